"""Measure a preset's throughput, latency, stages, memory, energy and determinism.

Public function: `run_probe`. torch and diffusers are imported inside the functions.

One run on one device goes through these phases, and writes the result file atomically
after each of them (so a crash or Ctrl-C keeps what was measured):

1. environment (GPU, driver, clocks, power limit, temperature, versions, CPU);
2. cold start: build (random weights) or load (local folder), move to the device, first
   image at batch 1 (compilation included when ``compile`` is on);
3. FLOPs per image, counted on the meta device;
4. warm-up calls, then ``latency_runs`` timed batch-1 calls: p50/p95 latency, time by stage
   (text encode, denoise per step, decode) and the determinism check (every call uses the
   same seed, so their outputs must hash the same);
5. the throughput sweep: at each batch size one untimed call, then calls until
   ``window_seconds`` have passed; images/hour, peak memory, NVML energy and power, MFU.
   Out of memory marks the batch size "does not fit" and the sweep goes on;
6. the sustained run: ``sustained_images`` images generated back to back at the best batch
   size, with errors (failed calls: exceptions, non-finite images) counted.

Every timed interval starts and ends with a device synchronize. The throughput windows call
the pipeline exactly as a bare loop would; only the latency calls carry stage timers.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from costlib.errors import InputError
from costlib.probe.presets import Settings, gpu_peaks, parse_device, resolve_settings
from costlib.probe.result import (
    KIND,
    SCHEMA_VERSION,
    combine,
    default_out_path,
    utc_now,
    write_result_atomic,
)

BARRIER_TIMEOUT_S = 1800.0


def run_probe(preset: str, *, device: str = "cuda", devices=None, weights: str | None = None,
              height: int | None = None, width: int | None = None, steps: int | None = None,
              guidance_scale: float | None = None, batch_sizes=None, dtype: str | None = None,
              scheduler: str | None = None, compile: bool = False,
              warmup_runs: int | None = None, latency_runs: int | None = None,
              window_seconds: float | None = None, sustained_images: int | None = None,
              seed: int = 0, out_path=None, progress: bool = True) -> dict:
    """Probe one preset on one device, or one worker per GPU, and write the result.

    Parameters
    ----------
    preset : str
        A name of `costlib.probe.presets.PRESETS` (``"sdxl"``, ``"sdxl-tiny"``, ...).
    device : str
        ``"cuda"``, ``"cuda:N"`` or ``"cpu"`` (the CPU only when asked for).
    devices : "all" or list of str, optional
        Run one worker process per device at once (``"all"``: every visible GPU) and report
        per-device and aggregate throughput; overrides ``device``.
    weights : str, optional
        Local diffusers folder with real weights, loaded offline; random weights if None.
    height, width : int, optional
        Image size. [px]
    steps : int, optional
        Denoising steps per image.
    guidance_scale : float, optional
        CFG scale (SD, SDXL; CFG runs when > 1) or embedded guidance (FLUX.1-dev).
    batch_sizes : sequence of int, optional
        Batch sizes of the throughput sweep. [images per call]
    dtype : {"fp32", "fp16", "bf16"}, optional
        Compute dtype; bf16 on a GPU, fp32 on the CPU by default.
    scheduler : str, optional
        Scheduler key (`costlib.probe.presets.SCHEDULERS`).
    compile : bool
        Run the denoiser under ``torch.compile`` (compile time counts as cold start).
    warmup_runs, latency_runs : int, optional
        Untimed warm-up calls and timed batch-1 calls (>= 2).
    sustained_images : int, optional
        Images of the sustained run (0: none), at the best batch size.
    window_seconds : float, optional
        Length of each throughput window. [s]
    seed : int
        Seed of the random weights and of every generation.
    out_path : str or Path, optional
        Result JSON (a CSV summary goes beside it); default
        ``probe-results/<preset>-<UTC time>.json``.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The result object as written (see `costlib.probe.result`).

    Raises
    ------
    InputError
        For a bad preset, number, device or weights folder, or no GPU.
    KeyboardInterrupt
        After writing the partial result with status "interrupted".
    """
    targets = None if devices is None else _resolve_devices(devices)
    if targets is not None:  # the dtype default follows the kind of device
        device = "cpu" if all(d == "cpu" for d in targets) else "cuda"
    settings = resolve_settings(
        preset, device=device, weights=weights, height=height,
        width=width, steps=steps, guidance_scale=guidance_scale, batch_sizes=batch_sizes,
        dtype=dtype, scheduler=scheduler, compile=compile, warmup_runs=warmup_runs,
        latency_runs=latency_runs, window_seconds=window_seconds,
        sustained_images=sustained_images, seed=seed)
    out_path = Path(out_path or default_out_path(settings.preset))
    if targets is not None:
        return _run_workers(settings, targets, out_path, progress)
    return probe_device(settings, device, out_path, progress)


# --- devices --------------------------------------------------------------------------------

def _offline() -> None:
    """Keep the Hugging Face libraries off the network (and quiet) in this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def check_device(device: str) -> str:
    """A usable torch device string; InputError when the GPU is missing."""
    import torch

    device = parse_device(device)
    if device == "cpu":
        return device
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise InputError(f"device: {device!r} is not allowed; no CUDA GPU found (torch "
                         f"{torch.__version__}, {build}); pass --device cpu (device='cpu') "
                         "to run on the CPU, meant for the -tiny presets")
    index = torch.device(device).index
    index = torch.cuda.current_device() if index is None else index
    if index >= torch.cuda.device_count():
        raise InputError(f"device: {device!r} is not allowed; this machine has "
                         f"{torch.cuda.device_count()} GPU(s), cuda:0 to "
                         f"cuda:{torch.cuda.device_count() - 1}")
    return f"cuda:{index}"


def _resolve_devices(devices) -> list[str]:
    if devices == "all":
        import torch

        if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
            raise InputError("devices: 'all' is not allowed; no CUDA GPU found")
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if isinstance(devices, str) or not devices:
        raise InputError(f"devices: {devices!r} is not allowed; use 'all' or a list of devices")
    return [parse_device(str(d) if not isinstance(d, int) else f"cuda:{d}") for d in devices]


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def _reset_peak(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)


def _peaks(device: str) -> dict:
    import torch

    if not device.startswith("cuda"):
        return {"peak_allocated_bytes": None, "peak_reserved_bytes": None}
    return {"peak_allocated_bytes": torch.cuda.max_memory_allocated(device),
            "peak_reserved_bytes": torch.cuda.max_memory_reserved(device)}


def _is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def _free(device: str) -> None:
    """Release cached GPU memory. Called after an ``except`` block, not in it: inside, the
    exception's traceback still holds the failed call's tensors, so nothing is freed."""
    import torch

    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


# --- NVML -----------------------------------------------------------------------------------

class Nvml:
    """Readings of one GPU through NVML (``nvidia-ml-py``); every reading None if unreadable.

    Parameters
    ----------
    index : int
        NVML device index, used when ``uuid`` is None or unknown to NVML.
    uuid : str, optional
        The GPU's UUID as torch reports it (``GPU-`` prefix optional); it finds the right
        board when CUDA_VISIBLE_DEVICES renumbers the GPUs.
    """

    def __init__(self, index: int, uuid: str | None = None):
        import pynvml

        self._nv = pynvml
        pynvml.nvmlInit()
        handle = None
        if uuid:
            try:
                handle = pynvml.nvmlDeviceGetHandleByUUID(
                    uuid if uuid.startswith("GPU-") else f"GPU-{uuid}")
            except pynvml.NVMLError:
                handle = None
        self._handle = handle or pynvml.nvmlDeviceGetHandleByIndex(index)

    def _read(self, fn, *args, scale: float = 1.0):
        try:
            value = getattr(self._nv, fn)(self._handle, *args)
        except self._nv.NVMLError:
            return None
        return value * scale if scale != 1.0 else value

    def energy_mj(self) -> int | None:
        """Board energy since the driver loaded (Volta and newer). [mJ]"""
        return self._read("nvmlDeviceGetTotalEnergyConsumption")

    def snapshot(self) -> dict:
        """Clocks [MHz], power limit and draw [W], temperature [°C], driver version."""
        nv = self._nv
        try:
            driver = nv.nvmlSystemGetDriverVersion()
        except nv.NVMLError:
            driver = None
        return {
            "driver": driver.decode() if isinstance(driver, bytes) else driver,
            "sm_clock_mhz": self._read("nvmlDeviceGetClockInfo", nv.NVML_CLOCK_SM),
            "max_sm_clock_mhz": self._read("nvmlDeviceGetMaxClockInfo", nv.NVML_CLOCK_SM),
            "mem_clock_mhz": self._read("nvmlDeviceGetClockInfo", nv.NVML_CLOCK_MEM),
            "power_limit_watts": self._read("nvmlDeviceGetEnforcedPowerLimit", scale=1e-3),
            "power_watts": self._read("nvmlDeviceGetPowerUsage", scale=1e-3),
            "temperature_c": self._read("nvmlDeviceGetTemperature", nv.NVML_TEMPERATURE_GPU),
        }


def _open_nvml(device: str) -> tuple[Nvml | None, str | None]:
    """NVML for a CUDA device, or None and the reason it is unavailable."""
    if not device.startswith("cuda"):
        return None, "the device is the CPU"
    import torch

    props = torch.cuda.get_device_properties(device)
    uuid = getattr(props, "uuid", None)
    try:
        return Nvml(torch.device(device).index or 0, str(uuid) if uuid else None), None
    except Exception as exc:  # no library, no driver, no permission: measured without
        return None, f"NVML unavailable: {exc}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str, nvml: Nvml | None, nvml_reason: str | None, dtype: str) -> dict:
    """What the result was measured on: hardware, clocks, limits and library versions, and
    the dense peak of ``dtype`` on this GPU (or MIG slice) that MFU is held against."""
    import diffusers
    import torch
    import transformers

    try:
        accelerate = version("accelerate")  # diffusers loads big weights faster with it
    except PackageNotFoundError:
        accelerate = None
    env = {
        "hostname": platform.node(), "platform": platform.platform(),
        "python": platform.python_version(), "cpu": _cpu_model(), "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "cuda": torch.version.cuda, "diffusers": diffusers.__version__,
        "transformers": transformers.__version__, "accelerate": accelerate,
        "torch_threads": torch.get_num_threads(),
        "nvml": nvml is not None, "nvml_reason": nvml_reason,
    }
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(device)
        peaks = gpu_peaks(props.name, dtype, props.multi_processor_count)
        env.update({
            "gpu_name": props.name, "gpu_memory_bytes": props.total_memory,
            "compute_capability": f"{props.major}.{props.minor}",
            "multiprocessors": props.multi_processor_count,
            "cudnn": torch.backends.cudnn.version(),
            "sdpa_backends": {
                "flash": torch.backends.cuda.flash_sdp_enabled(),
                "mem_efficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                "cudnn": torch.backends.cuda.cudnn_sdp_enabled(),
                "math": torch.backends.cuda.math_sdp_enabled()},
            "peak_tflops": peaks["peak_tflops"],
            "practical_peak_tflops": peaks["practical_peak_tflops"], "peak_gpu": peaks["gpu"],
            "peak_dtype_quantity": peaks["dtype_peak"], "mig_fraction": peaks["mig_fraction"],
            "peak_source": peaks["source"],
        })
    else:
        env.update({"gpu_name": None, "peak_tflops": None, "practical_peak_tflops": None,
                    "peak_gpu": None, "peak_dtype_quantity": None, "mig_fraction": None,
                    "peak_source": None})
    if nvml is not None:
        env.update(nvml.snapshot())
    return env


# --- calling the pipeline -------------------------------------------------------------------

def call_pipeline(pipe, settings: Settings, batch_size: int):
    """One pipeline call for ``batch_size`` prompts, seeded on the device; the images as a
    tensor (decoded, not converted to PIL)."""
    import torch

    from costlib.probe.models import PROMPT

    kwargs = {}
    if settings.family == "flux":
        kwargs["max_sequence_length"] = settings.max_sequence_length
    return pipe(prompt=[PROMPT] * batch_size, height=settings.height, width=settings.width,
                num_inference_steps=settings.steps, guidance_scale=settings.guidance_scale,
                generator=torch.Generator(pipe.device).manual_seed(settings.seed),
                output_type="pt", **kwargs).images


@contextmanager
def _stage_timers(pipe, device: str):
    """Time text encoding and VAE decode of each call (instance-level wrappers, removed after)."""
    marks: dict[str, tuple[float, float]] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            _sync(device)
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            _sync(device)
            marks[name] = (t0, time.perf_counter())
            return out
        return wrapper

    pipe.encode_prompt = timed("encode", pipe.encode_prompt)
    pipe.vae.decode = timed("decode", pipe.vae.decode)
    try:
        yield marks
    finally:
        del pipe.encode_prompt
        del pipe.vae.decode


def _digest(images) -> tuple[str, bool]:
    import torch

    finite = bool(torch.isfinite(images).all())
    array = images.detach().float().cpu().contiguous().numpy()
    return hashlib.sha256(array.tobytes()).hexdigest(), finite


def _denoiser(pipe):
    return pipe.transformer if hasattr(pipe, "transformer") else pipe.unet


# --- one device -----------------------------------------------------------------------------

class _Record:
    """The result object of one device, written atomically on every `save`."""

    def __init__(self, path: Path, data: dict):
        self.path, self.data = path, data

    def save(self) -> None:
        write_result_atomic(self.path, self.data)

    def summarize(self) -> None:
        """Top-level summary from the measured batch sizes (best images/hour)."""
        fits = [b for b in self.data["batches"] if b["fits"]]
        best = max(fits, key=lambda b: b["images_per_hour"]) if fits else None
        self.data.update({
            "best_images_per_hour": best and best["images_per_hour"],
            "best_batch_size": best and best["batch_size"],
            "avg_watts": best and best["avg_watts"],
            "energy_wh_per_image": best and best["energy_wh_per_image"],
            "mfu": best and best["mfu"],
        })


def probe_device(settings: Settings, device: str, out_path, progress: bool = True,
                 barrier=None) -> dict:
    """Run every phase of the probe on one device; see the module docstring.

    ``barrier`` (a multiprocessing Barrier) lines up the throughput sweeps of the workers
    of a multi-GPU run, so that their windows overlap.
    """
    _offline()
    import torch
    from tqdm.auto import tqdm

    device = check_device(device)
    nvml, nvml_reason = _open_nvml(device)
    env = environment(device, nvml, nvml_reason, settings.dtype)
    rec = _Record(Path(out_path), {
        "schema_version": SCHEMA_VERSION, "kind": KIND, "status": "running", "error": None,
        "run_id": uuid.uuid4().hex, "measured_at": utc_now(), "preset": settings.preset,
        "model": settings.model,
        "source": "random-weights" if settings.weights is None else "local-weights",
        "device": device, "gpu_name": env["gpu_name"] or f"CPU ({env['cpu']})",
        "device_count": 1, "best_images_per_hour": None, "best_batch_size": None,
        "p50_latency_s": None, "p95_latency_s": None, "avg_watts": None,
        "energy_wh_per_image": None, "mfu": None, "settings": asdict(settings),
        "environment": env, "flops": None, "cold_start": None, "latency": None,
        "stages": None, "determinism": None, "batches": [], "sustained": None,
    })
    rec.save()
    bar = tqdm(unit="img", desc=f"{settings.preset} build", disable=not progress, leave=False)
    try:
        pipe = _build(settings, device, rec)
        with torch.inference_mode():
            _measure(pipe, settings, device, rec, bar, nvml, barrier)
        rec.data["status"] = "complete"
    except KeyboardInterrupt:
        rec.data["status"] = "interrupted"
        raise
    except BaseException as exc:
        rec.data.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        bar.close()
        rec.summarize()
        rec.save()
    return rec.data


def _build(settings: Settings, device: str, rec: _Record):
    """Build or load the pipeline, count its FLOPs, compile if asked; record all three."""
    import torch

    from costlib.probe.models import build_random_pipeline, count_flops, load_pipeline

    data = rec.data
    _reset_peak(device)
    if settings.weights is None:
        pipe, cold = build_random_pipeline(settings, device)
    else:
        pipe, cold = load_pipeline(settings, device)
    data["cold_start"] = {"build_s": cold["build_seconds"],
                          "to_device_s": cold["to_device_seconds"], "first_image_s": None,
                          "cold_start_s": None, "compile": settings.compile, **_peaks(device)}
    processors = getattr(_denoiser(pipe), "attn_processors", {})
    data["environment"]["attention_processor"] = (
        type(next(iter(processors.values()))).__name__ if processors else None)
    data["environment"]["text_attention"] = getattr(
        pipe.text_encoder.config, "_attn_implementation", None)
    data["environment"]["scheduler_class"] = type(pipe.scheduler).__name__
    data["flops"] = count_flops(settings, pipe)
    if settings.compile:
        name = "transformer" if hasattr(pipe, "transformer") else "unet"
        setattr(pipe, name, torch.compile(getattr(pipe, name)))
    rec.save()
    return pipe


def _measure(pipe, settings: Settings, device: str, rec: _Record, bar, nvml,
             barrier) -> None:
    """The timed phases, under ``torch.inference_mode``."""
    data, flops, cold = rec.data, rec.data["flops"], rec.data["cold_start"]

    def call(batch_size):
        out = call_pipeline(pipe, settings, batch_size)
        bar.update(batch_size)
        return out

    # Cold start: the first image (and compilation) after build and move.
    bar.set_description_str(f"{settings.preset} first image")
    t0 = time.perf_counter()
    fits = True
    try:
        call(1)
        _sync(device)
    except Exception as exc:
        if not _is_oom(exc):
            raise
        fits = False
    if not fits:
        _free(device)
        cold["error"] = "out of memory"
        data["batches"] = [_no_fit(b, "out of memory at batch size 1")
                           for b in settings.batch_sizes]
        data["error"] = "does not fit: out of memory at batch size 1"
        return
    first = time.perf_counter() - t0
    cold.update(first_image_s=first, cold_start_s=cold["build_s"] + cold["to_device_s"] + first,
                **_peaks(device))
    rec.save()

    bar.set_description_str(f"{settings.preset} warm-up")
    for _ in range(settings.warmup_runs):
        call(1)
    _sync(device)

    # Latency at batch 1, with stage timers; determinism over the same calls.
    bar.set_description_str(f"{settings.preset} latency")
    seconds, stages, hashes, finite = [], [], [], True
    _reset_peak(device)
    with _stage_timers(pipe, device) as marks:
        for _ in range(settings.latency_runs):
            _sync(device)
            t0 = time.perf_counter()
            out = call(1)
            _sync(device)
            t1 = time.perf_counter()
            seconds.append(t1 - t0)
            (e0, e1), (d0, d1) = marks["encode"], marks["decode"]
            stages.append((e1 - e0, d0 - e1, d1 - d0))
            digest, ok = _digest(out)
            hashes.append(digest)
            finite &= ok
    p50, p95 = (float(v) for v in np.percentile(seconds, [50, 95]))
    data["latency"] = {"batch_size": 1, "runs": len(seconds), "seconds": seconds, "p50_s": p50,
                       "p95_s": p95, "mean_s": float(np.mean(seconds)), **_peaks(device)}
    data["p50_latency_s"], data["p95_latency_s"] = p50, p95
    text_s, denoise_s, decode_s = (float(v) for v in np.median(np.array(stages), axis=0))
    calls = flops["denoiser_calls"]
    data["stages"] = {
        "text_encode_s": text_s, "denoise_s": denoise_s, "denoise_step_s": denoise_s / calls,
        "decode_s": decode_s, "other_s": max(p50 - text_s - denoise_s - decode_s, 0.0),
        "denoiser_calls": calls}
    data["determinism"] = {"seed": settings.seed, "runs": len(hashes),
                           "identical": len(set(hashes)) == 1, "sha256": hashes[0],
                           "all_finite": finite}
    rec.save()

    if barrier is not None:
        bar.set_description_str(f"{settings.preset} waiting for the other GPUs")
        try:
            barrier.wait(BARRIER_TIMEOUT_S)
        except threading.BrokenBarrierError:
            pass

    # Throughput sweep.
    peak, practical = data["environment"]["peak_tflops"], \
        data["environment"]["practical_peak_tflops"]
    for b in settings.batch_sizes:
        bar.set_description_str(f"{settings.preset} batch {b}")
        window = None
        try:
            window = throughput_window(
                call, b, settings.window_seconds, device, nvml, flops["total_gflop_per_image"],
                peak, practical)
        except Exception as exc:
            if not _is_oom(exc):
                raise
        if window is None:  # out of memory
            _free(device)
            window = _no_fit(b, "out of memory")
        data["batches"].append(window)
        rec.summarize()
        rec.save()

    # Sustained run at the best batch size.
    if settings.sustained_images and data["best_batch_size"]:
        bar.set_description_str(f"{settings.preset} sustained")
        data["sustained"] = _sustained(call, data["best_batch_size"],
                                       settings.sustained_images, device, nvml)


def _no_fit(batch_size: int, reason: str) -> dict:
    return {"batch_size": batch_size, "fits": False, "error": reason, "images": 0,
            "seconds": None, "images_per_hour": None, "seconds_per_image": None,
            "peak_allocated_bytes": None, "peak_reserved_bytes": None, "energy_j": None,
            "avg_watts": None, "energy_wh_per_image": None, "achieved_tflops": None,
            "mfu": None, "mfu_practical": None, "all_finite": None}


def throughput_window(call, batch_size: int, window_s: float, device: str = "cpu", nvml=None,
                      gflop_per_image: float = 0.0, peak: float | None = None,
                      practical: float | None = None) -> dict:
    """Images/hour at one batch size: one untimed call, then calls until ``window_s`` passed.

    Parameters
    ----------
    call : callable
        ``call(batch_size)`` runs the pipeline once and returns the images.
    batch_size : int
        Images per call.
    window_s : float
        Minimum length of the timed window; it ends after the call that crosses it. [s]
    device : str
        Synchronized before the window starts and after it ends.
    nvml : Nvml, optional
        Energy counter of the GPU; energy and power are None without it.
    gflop_per_image : float
        Model FLOPs of one image, for the achieved rate. [GFLOP]
    peak, practical : float, optional
        Datasheet and practical peaks for MFU. [TFLOP/s]

    Returns
    -------
    dict
        One entry of the result's ``batches``.
    """
    _reset_peak(device)
    call(batch_size)
    _sync(device)
    e0 = nvml.energy_mj() if nvml else None
    images = 0
    t0 = time.perf_counter()
    while True:
        out = call(batch_size)
        images += batch_size
        if time.perf_counter() - t0 >= window_s:
            break
    _sync(device)
    seconds = time.perf_counter() - t0
    e1 = nvml.energy_mj() if nvml else None
    energy_j = (e1 - e0) / 1e3 if e0 is not None and e1 is not None else None
    tflops = gflop_per_image * images / seconds / 1e3
    return {
        "batch_size": batch_size, "fits": True, "error": None, "images": images,
        "seconds": seconds, "images_per_hour": images / seconds * 3600.0,
        "seconds_per_image": seconds / images, **_peaks(device), "energy_j": energy_j,
        "avg_watts": None if energy_j is None else energy_j / seconds,
        "energy_wh_per_image": None if energy_j is None else energy_j / images / 3600.0,
        "achieved_tflops": tflops, "mfu": tflops / peak if peak else None,
        "mfu_practical": tflops / practical if practical else None,
        "all_finite": _digest(out)[1],
    }


def _sustained(call, batch_size: int, images_target: int, device: str, nvml) -> dict:
    """``images_target`` images back to back; failed calls (exceptions, non-finite images)
    are counted and the run goes on."""
    import torch

    start = nvml.snapshot() if nvml else {}
    calls = -(-images_target // batch_size)
    images, errors, messages = 0, 0, []
    t0 = time.perf_counter()
    for _ in range(calls):
        out_of_memory = False
        try:
            out = call(batch_size)
            if not bool(torch.isfinite(out).all()):
                raise FloatingPointError("non-finite values in the images")
            images += batch_size
        except Exception as exc:
            errors += 1
            if len(messages) < 5:
                messages.append(f"{type(exc).__name__}: {exc}"[:300])
            out_of_memory = _is_oom(exc)
        if out_of_memory:
            out = None
            _free(device)
    _sync(device)
    seconds = time.perf_counter() - t0
    end = nvml.snapshot() if nvml else {}
    return {
        "images_target": images_target, "batch_size": batch_size, "calls": calls,
        "images": images, "errors": errors, "error_messages": messages, "seconds": seconds,
        "images_per_hour": images / seconds * 3600.0,
        "temperature_c_start": start.get("temperature_c"),
        "temperature_c_end": end.get("temperature_c"),
        "sm_clock_mhz_start": start.get("sm_clock_mhz"),
        "sm_clock_mhz_end": end.get("sm_clock_mhz"),
    }


# --- several devices ------------------------------------------------------------------------

def _worker(settings: Settings, device: str, out_path: str, progress: bool, barrier) -> None:
    try:
        probe_device(settings, device, out_path, progress, barrier)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BaseException as exc:
        print(f"costlib probe: {device}: {type(exc).__name__}: {exc}", flush=True)
        raise SystemExit(1) from None


def _run_workers(settings: Settings, devices: list[str], out_path: Path,
                 progress: bool) -> dict:
    """One worker process per device, then the aggregate of their results."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(devices))
    parts = [out_path.with_name(f"{out_path.stem}.dev{i}{out_path.suffix}")
             for i in range(len(devices))]
    procs = [ctx.Process(target=_worker, args=(settings, d, str(p), progress and i == 0,
                                               barrier), daemon=True)
             for i, (d, p) in enumerate(zip(devices, parts, strict=True))]
    for p in procs:
        p.start()
    interrupted = False
    try:
        while any(p.is_alive() for p in procs):
            if any(p.exitcode not in (None, 0) for p in procs):
                barrier.abort()
            for p in procs:
                p.join(timeout=0.5)
    except KeyboardInterrupt:
        interrupted = True
        for p in procs:
            p.join()
    loaded = [(str(p), json.loads(p.read_text())) for p in parts if p.exists()]
    measured = [(label, r) for label, r in loaded if r.get("best_images_per_hour") is not None]
    if not measured:
        raise InputError(f"devices: {devices!r} is not allowed; no worker measured anything "
                         f"(see {', '.join(str(p) for p in parts)})")
    aggregate = combine([r for _, r in measured], [label for label, _ in measured])
    if len(measured) < len(devices):
        aggregate.update(status="failed" if not interrupted else "interrupted",
                         error=f"{len(devices) - len(measured)} of {len(devices)} workers "
                               "measured nothing")
    write_result_atomic(out_path, aggregate)
    if interrupted:
        raise KeyboardInterrupt
    return aggregate
