"""Measure a preset's throughput, latency, stages, memory, energy and determinism.

Public function: `run_probe`. torch and diffusers are imported inside the functions.

One run on one device goes through these phases, and writes the result file atomically
after each of them (so a crash or Ctrl-C keeps what was measured):

1. environment (GPU, driver, clocks, power limit, temperature, versions, CPU);
2. compiler preflight (with ``compile``): a tiny function compiled and run on the device with
   the run's settings; a failing toolchain falls back to eager (reason in the result) or
   stops with a one-line hint, before any model is built;
3. cold start: build (random weights) or load (local folder), move to the device, first
   image at batch 1 (compilation of batch 1 included), labelled with the weight source and
   the compile cache's state;
4. FLOPs per image, counted on the meta device;
5. warm-up calls, then ``latency_runs`` timed batch-1 calls (p50/p95 latency, determinism:
   every call uses the same seed, so their outputs must hash the same), then
   ``stage_runs`` calls timed by stage (text encode, denoise per step, decode);
6. the throughput sweep: at each batch size one untimed call (under ``torch.compile`` it
   compiles that batch size: its time and graph count are kept), peak memory reset, then
   calls until ``window_seconds`` have passed; images/hour, peak memory, NVML energy and
   power, clocks, power, temperature and throttle reasons at the window's end, MFU.
   Out of memory marks the batch size "does not fit" and the sweep goes on;
7. the sustained run: ``sustained_seconds`` of back-to-back calls at the best batch size, in
   windows of ``window_seconds`` each sampled like the sweep's; failed calls are counted and
   the run goes on; flagged when it falls below 97 % of the best window.

Non-finite images (NaN, inf) count nowhere: a window's images/hour counts finite images only,
and the non-finite ones are counted beside it, in the sweep and the sustained run alike.
Every timed interval starts and ends with a device synchronize. The throughput windows call
the pipeline exactly as a bare loop would; only the stage-timed calls carry timers.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
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
# A sustained run below this share of the best window's images/hour is flagged.
SUSTAINED_FLOOR = 0.97
# NVML clock event ("throttle") reason bits (nvml.h, nvmlClocksEventReason*), by name.
THROTTLE_REASONS = (
    (0x1, "gpu_idle"), (0x2, "applications_clocks_setting"), (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"), (0x10, "sync_boost"), (0x20, "sw_thermal_slowdown"),
    (0x40, "hw_thermal_slowdown"), (0x80, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
)
# The Inductor settings of diffusers' "accelerate inference" tutorial (the published recipe).
PUBLISHED_INDUCTOR = {"conv_1x1_as_mm": True, "coordinate_descent_tuning": True,
                      "epilogue_fusion": False, "coordinate_descent_check_all_directions": True}
TOOLCHAIN_HINT = ("install a C compiler and the Python headers (e.g. the build-essential and "
                  "python3-dev packages), make sure libcuda.so is on the linker path, or run "
                  "without --compile")


def run_probe(preset: str, *, device: str = "cuda", devices=None, weights: str | None = None,
              height: int | None = None, width: int | None = None, steps: int | None = None,
              guidance_scale: float | None = None, batch_sizes=None, dtype: str | None = None,
              scheduler: str | None = None, compile: bool = False,
              compile_mode: str | None = None, compile_recipe: str | None = None,
              compile_fallback: str = "eager", fresh_compile_cache: bool = False,
              warmup_runs: int | None = None, latency_runs: int | None = None,
              window_seconds: float | None = None, sustained_seconds: float | None = None,
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
        per-device and aggregate throughput; overrides ``device``. Each worker sees only its
        own GPU and a fair share of the CPU threads.
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
        Compile with ``torch.compile`` (``dynamic=False``); each batch size's compile time is
        measured apart from its throughput.
    compile_mode, compile_recipe : str, optional
        `costlib.probe.presets.COMPILE_MODES` / ``COMPILE_RECIPES``; either turns compile on.
    compile_fallback : {"eager", "stop"}
        What a failing compiler preflight does: measure eager (the reason in the result) or
        stop with InputError and a hint about the toolchain.
    fresh_compile_cache : bool
        Compile into a new, empty cache (removed after the run): a true cold start.
    warmup_runs, latency_runs : int, optional
        Untimed warm-up calls and timed batch-1 calls (>= 2).
    window_seconds : float, optional
        Length of each throughput window, and of each sustained window. [s]
    sustained_seconds : float, optional
        Length of the sustained run at the best batch size (0: none). [s]
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
        For a bad preset, number, device or weights folder, no GPU, or a failing compiler
        toolchain with ``compile_fallback="stop"``.
    KeyboardInterrupt
        After writing the partial result with status "interrupted".
    """
    targets = None if devices is None else _resolve_devices(devices)
    if targets is not None:  # the dtype default follows the kind of device
        device = "cpu" if all(d == "cpu" for d in targets) else "cuda"
    settings = resolve_settings(
        preset, device=device, weights=weights, height=height,
        width=width, steps=steps, guidance_scale=guidance_scale, batch_sizes=batch_sizes,
        dtype=dtype, scheduler=scheduler, compile=compile, compile_mode=compile_mode,
        compile_recipe=compile_recipe, compile_fallback=compile_fallback,
        fresh_compile_cache=fresh_compile_cache, warmup_runs=warmup_runs,
        latency_runs=latency_runs, window_seconds=window_seconds,
        sustained_seconds=sustained_seconds, seed=seed)
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
        The GPU's UUID as torch reports it (``GPU-`` or ``MIG-`` prefix optional); it finds
        the right board when CUDA_VISIBLE_DEVICES renumbers the GPUs. A MIG slice (NVML
        names it ``MIG-<uuid>``) is read through its board: power, energy, clocks and
        throttle reasons are the whole board's.
    """

    def __init__(self, index: int, uuid: str | None = None):
        import pynvml

        self._nv = pynvml
        pynvml.nvmlInit()
        handle = None
        bare = (uuid or "").removeprefix("GPU-").removeprefix("MIG-")
        for name in (f"GPU-{bare}", f"MIG-{bare}") if bare else ():
            try:
                handle = pynvml.nvmlDeviceGetHandleByUUID(name)
                if name.startswith("MIG-"):  # a slice's handle reads none of these
                    handle = pynvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(handle)
                break
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

    def throttle_reasons(self) -> list[str] | None:
        """Why the clocks are below their maximum now (`THROTTLE_REASONS` names); [] when
        nothing holds them back, None when unreadable."""
        # The new name needs driver 535 or later; a newer nvidia-ml-py has it on an older
        # driver too, where calling it fails (function not found): then the old name.
        for fn in ("nvmlDeviceGetCurrentClocksEventReasons",
                   "nvmlDeviceGetCurrentClocksThrottleReasons"):
            mask = self._read(fn) if hasattr(self._nv, fn) else None
            if mask is not None:
                return [name for bit, name in THROTTLE_REASONS if int(mask) & bit]
        return None

    def sample(self) -> dict:
        """What can change during a run: SM clock [MHz], power draw [W], temperature [°C]
        and the throttle reasons."""
        nv = self._nv
        return {"sm_clock_mhz": self._read("nvmlDeviceGetClockInfo", nv.NVML_CLOCK_SM),
                "power_watts": self._read("nvmlDeviceGetPowerUsage", scale=1e-3),
                "temperature_c": self._read("nvmlDeviceGetTemperature",
                                            nv.NVML_TEMPERATURE_GPU),
                "throttle_reasons": self.throttle_reasons()}

    def snapshot(self) -> dict:
        """`sample` plus the driver version, maximum SM and memory clocks [MHz] and the power
        limit [W]."""
        nv = self._nv
        try:
            driver = nv.nvmlSystemGetDriverVersion()
        except nv.NVMLError:
            driver = None
        return {
            "driver": driver.decode() if isinstance(driver, bytes) else driver,
            "max_sm_clock_mhz": self._read("nvmlDeviceGetMaxClockInfo", nv.NVML_CLOCK_SM),
            "mem_clock_mhz": self._read("nvmlDeviceGetClockInfo", nv.NVML_CLOCK_MEM),
            "power_limit_watts": self._read("nvmlDeviceGetEnforcedPowerLimit", scale=1e-3),
            **self.sample(),
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
    """Time text encoding and VAE decode of each call: instance-level wrappers, and whatever
    was there before (a compiled ``vae.decode``) put back after."""
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

    targets = ((pipe, "encode_prompt", "encode"), (pipe.vae, "decode", "decode"))
    before = [(obj, attr, obj.__dict__.get(attr)) for obj, attr, _ in targets]
    for obj, attr, name in targets:
        setattr(obj, attr, timed(name, getattr(obj, attr)))
    try:
        yield marks
    finally:
        for obj, attr, previous in before:
            if previous is None:
                delattr(obj, attr)
            else:
                setattr(obj, attr, previous)


def _digest(images) -> tuple[str, bool]:
    import torch

    finite = bool(torch.isfinite(images).all())
    array = images.detach().float().cpu().contiguous().numpy()
    return hashlib.sha256(array.tobytes()).hexdigest(), finite


def _finite_per_image(images):
    """A boolean per image, on the device (no synchronize): all its values finite."""
    import torch

    return torch.isfinite(images.reshape(images.shape[0], -1)).all(dim=1)


def _denoiser_name(pipe) -> str:
    return "transformer" if hasattr(pipe, "transformer") else "unet"


# --- torch.compile --------------------------------------------------------------------------

def _compile_counts() -> dict:
    """Graphs compiled so far in this process and the Inductor cache hits and misses (all 0
    while nothing has loaded the compiler: eager runs do not pay for importing it)."""
    if "torch._dynamo" not in sys.modules:
        return {"graphs": 0, "cache_hits": 0, "cache_misses": 0}
    from torch._dynamo.utils import counters

    return {"graphs": int(counters["stats"]["unique_graphs"]),
            "cache_hits": int(counters["inductor"]["fxgraph_cache_hit"]),
            "cache_misses": int(counters["inductor"]["fxgraph_cache_miss"])}


def _counts_since(before: dict) -> dict:
    now = _compile_counts()
    return {k: now[k] - before[k] for k in now}


def compile_preflight(settings: Settings, device: str) -> str | None:
    """Compile a tiny function with the run's mode on ``device`` and run it.

    Returns
    -------
    str or None
        None when the toolchain works, else the first line of the error (the compiler, the
        Python headers or libcuda missing, ...).
    """
    import torch
    import torch._dynamo

    from costlib.probe.models import torch_dtype

    def tiny(x):
        return torch.nn.functional.silu(x @ x) + 1.0

    try:
        fn = torch.compile(tiny, mode=settings.compile_mode, dynamic=False, fullgraph=True)
        fn(torch.ones(16, 16, device=device, dtype=torch_dtype(settings.dtype)))
        _sync(device)
    except Exception as exc:
        while (inner := getattr(exc, "inner_exception", None) or exc.__cause__) is not None:
            exc = inner  # the compiler's own error, under torch's wrappers
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]
    finally:
        torch._dynamo.reset()
    return None


def _compile_cache(fresh: bool) -> dict:
    """The Inductor/Triton cache this run compiles into; a new empty one when ``fresh``."""
    # runtime_utils has cache_dir in every torch 2.x; cache_dir_utils (its home now) is newer
    # than torch 2.4.
    from torch._inductor.runtime.runtime_utils import cache_dir

    if fresh:
        folder = tempfile.mkdtemp(prefix="costlib-compile-cache-")
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = folder
        os.environ["TRITON_CACHE_DIR"] = os.path.join(folder, "triton")
    folder = cache_dir()
    files = sum(len(names) for _, _, names in os.walk(folder)) if os.path.isdir(folder) else 0
    return {"dir": folder, "fresh": fresh, "files_before": files,
            "state": "empty (fresh)" if fresh or files == 0 else
                     f"existing, {files} files: compile times may be cache hits"}


def _apply_compile(pipe, settings: Settings) -> list[str]:
    """Wrap the pipeline's parts in ``torch.compile`` as the settings say; the parts."""
    import torch

    layout = settings.compile_recipe in ("published", "published-layout")
    options = {"mode": settings.compile_mode, "dynamic": False, "fullgraph": layout}
    name = _denoiser_name(pipe)
    if layout:
        getattr(pipe, name).to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
    setattr(pipe, name, torch.compile(getattr(pipe, name), **options))
    if not layout:
        return [name]
    pipe.vae.decode = torch.compile(pipe.vae.decode, **options)
    return [name, "vae.decode"]


def _inductor_config(block: dict):
    """The Inductor settings of the compile block, for the time of the measurement (compiling
    happens at each batch size's first call), restored after."""
    if not block.get("enabled") or not block["inductor_config"]:
        return nullcontext()
    import torch._inductor.config

    return torch._inductor.config.patch(block["inductor_config"])


def _compile_block(settings: Settings, device: str) -> dict:
    """The result's ``compile`` block before the model is built: the settings as run, the
    preflight's outcome and the cache. Raises InputError on a failed preflight when the
    fallback is "stop"."""
    if not settings.compile:
        return {"requested": False, "enabled": False}
    layout = settings.compile_recipe in ("published", "published-layout")
    block = {"requested": True, "enabled": True, "mode": settings.compile_mode,
             "recipe": settings.compile_recipe, "dynamic": False,
             "fullgraph": layout, "channels_last": layout,
             "inductor_config": PUBLISHED_INDUCTOR if settings.compile_recipe == "published"
             else {}, "backend": "inductor", "parts": [],
             "cache": _compile_cache(settings.fresh_compile_cache),
             "preflight_error": None, "fallback": None, "by_batch": [],
             "unexpected_recompiles": 0}
    reason = compile_preflight(settings, device)
    if reason is None:
        return block
    if settings.compile_fallback == "stop":
        raise InputError(f"compile: the compiler toolchain failed on {device} ({reason}); "
                         f"{TOOLCHAIN_HINT}")
    return {**block, "enabled": False, "preflight_error": reason,
            "fallback": "eager: the compiler preflight failed"}


# --- one device -----------------------------------------------------------------------------

class _Record:
    """The result object of one device, written atomically on every `save`."""

    def __init__(self, path: Path, data: dict):
        self.path, self.data = path, data

    def save(self) -> None:
        write_result_atomic(self.path, self.data)

    def summarize(self) -> None:
        """Top-level summary from the measured batch sizes (best images/hour) and the
        warnings an operator must read."""
        data = self.data
        fits = [b for b in data["batches"] if b["fits"] and b["images_per_hour"]]
        best = max(fits, key=lambda b: b["images_per_hour"]) if fits else None
        sustained = data.get("sustained") or {}
        data.update({
            "best_images_per_hour": best and best["images_per_hour"],
            "best_batch_size": best and best["batch_size"],
            "sustained_images_per_hour": sustained.get("images_per_hour"),
            "avg_watts": best and best["avg_watts"],
            "energy_wh_per_image": best and best["energy_wh_per_image"],
            "mfu": best and best["mfu"],
            "warnings": run_warnings(data),
        })


def run_warnings(data: dict) -> list[str]:
    """Plain sentences on what makes a result less trustworthy: compile fallback,
    unexpected recompiles, non-finite images, failed calls, a sustained run below the best."""
    out = []
    compiled = data.get("compile") or {}
    if compiled.get("fallback"):
        out.append(f"compile fell back to eager: {compiled['preflight_error']}")
    if compiled.get("unexpected_recompiles"):
        out.append(f"{compiled['unexpected_recompiles']} unexpected recompiles during timed "
                   "calls: their time is in the measurement")
    for b in data.get("batches") or []:
        if b.get("nonfinite_images"):
            out.append(f"batch {b['batch_size']}: {b['nonfinite_images']} of "
                       f"{b['nonfinite_images'] + b['images']} images non-finite (NaN or "
                       "inf), not counted")
    sustained = data.get("sustained") or {}
    if sustained.get("nonfinite_images") or sustained.get("failed_calls"):
        out.append(f"sustained run: {sustained['failed_calls']} failed calls, "
                   f"{sustained['nonfinite_images']} non-finite images, not counted")
    if sustained.get("below_best"):
        reasons = ", ".join(sustained["throttle_reasons"]) or "none reported"
        out.append(f"sustained throughput {sustained['share_of_best']:.0%} of the best window "
                   f"(under {SUSTAINED_FLOOR:.0%}); throttle reasons: {reasons}")
    return out


def probe_device(settings: Settings, device: str, out_path, progress: bool = True,
                 barrier=None, label: str | None = None) -> dict:
    """Run every phase of the probe on one device; see the module docstring.

    ``barrier`` (a multiprocessing Barrier) lines up the throughput sweeps of the workers
    of a multi-GPU run, so that their windows overlap; ``label`` is the device's name in
    the result when it differs from ``device`` (a worker that sees one GPU as cuda:0).
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
        "device": label or device, "gpu_name": env["gpu_name"] or f"CPU ({env['cpu']})",
        "device_count": 1, "best_images_per_hour": None, "best_batch_size": None,
        "sustained_images_per_hour": None, "p50_latency_s": None, "p95_latency_s": None,
        "avg_watts": None, "energy_wh_per_image": None, "mfu": None, "warnings": [],
        "settings": asdict(settings), "environment": env, "compile": None, "flops": None,
        "cold_start": None, "latency": None, "stages": None, "determinism": None,
        "batches": [], "sustained": None,
    })
    rec.save()
    bar = tqdm(unit="img", desc=f"{settings.preset} build", disable=not progress, leave=False)
    cache_env = {k: os.environ.get(k) for k in ("TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR")}
    try:
        rec.data["compile"] = _compile_block(settings, device)
        rec.save()
        pipe = _build(settings, device, rec)
        with torch.inference_mode(), _inductor_config(rec.data["compile"]):
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
        cache = (rec.data["compile"] or {}).get("cache") or {}
        if cache.get("fresh"):  # the fresh cache goes, and the caller's own comes back
            shutil.rmtree(cache["dir"], ignore_errors=True)
            for key, value in cache_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return rec.data


def _build(settings: Settings, device: str, rec: _Record):
    """Build or load the pipeline, count its FLOPs, compile if asked; record all three."""
    from costlib.probe.models import build_random_pipeline, count_flops, load_pipeline

    data = rec.data
    _reset_peak(device)
    if settings.weights is None:
        pipe, cold = build_random_pipeline(settings, device)
        weights = "random weights built on the device: no weight file read"
    else:
        pipe, cold = load_pipeline(settings, device)
        weights = (f"local folder {settings.weights}, read from disk (the operating system "
                   "may hold it in its page cache from an earlier run)")
    compiled = data["compile"]
    data["cold_start"] = {
        "build_s": cold["build_seconds"], "to_device_s": cold["to_device_seconds"],
        "first_image_s": None, "cold_start_s": None, "compile": compiled["enabled"],
        "compile_s": None, "weights": weights,
        "weights_bytes": sum(p.numel() * p.element_size() for _, m in pipe.components.items()
                             if hasattr(m, "parameters") for p in m.parameters()),
        "compile_cache": compiled["cache"]["state"] if compiled["enabled"] else None,
        **_peaks(device)}
    processors = getattr(getattr(pipe, _denoiser_name(pipe)), "attn_processors", {})
    data["environment"]["attention_processor"] = (
        type(next(iter(processors.values()))).__name__ if processors else None)
    data["environment"]["text_attention"] = getattr(
        pipe.text_encoder.config, "_attn_implementation", None)
    data["environment"]["scheduler_class"] = type(pipe.scheduler).__name__
    data["environment"]["watermarker"] = getattr(pipe, "watermark", None) is not None
    data["flops"] = count_flops(settings, pipe)
    if compiled["enabled"]:
        compiled["parts"] = _apply_compile(pipe, settings)
    rec.save()
    return pipe


def _compile_entry(batch_size: int, first: dict, steady_call_s: float) -> dict:
    """One ``compile.by_batch`` entry: what the first call at a batch size compiled (`_first_call`'s
    fields) and its compile time, the first call less a steady call. [s]"""
    return {"batch_size": batch_size,
            **{k: first[k] for k in ("first_call_s", "graphs", "cache_hits", "cache_misses")},
            "compile_s": max(first["first_call_s"] - steady_call_s, 0.0)}


def _first_call(call, batch_size: int, device: str) -> dict:
    """One untimed-for-throughput call, timed alone: the time and what it compiled."""
    before = _compile_counts()
    _sync(device)
    t0 = time.perf_counter()
    call(batch_size)
    _sync(device)
    return {"first_call_s": time.perf_counter() - t0, **_counts_since(before)}


def _measure(pipe, settings: Settings, device: str, rec: _Record, bar, nvml,
             barrier) -> None:
    """The timed phases, under ``torch.inference_mode``."""
    data, flops, cold = rec.data, rec.data["flops"], rec.data["cold_start"]
    compiled = data["compile"]

    def call(batch_size):
        out = call_pipeline(pipe, settings, batch_size)
        bar.update(batch_size)
        return out

    # Cold start: the first image (and compilation of batch 1) after build and move.
    bar.set_description_str(f"{settings.preset} first image")
    first = None
    try:
        first = _first_call(call, 1, device)
    except Exception as exc:
        if not _is_oom(exc):
            raise
    if first is None:
        _free(device)
        cold["error"] = "out of memory"
        data["batches"] = [_no_fit(b, "out of memory at batch size 1")
                           for b in settings.batch_sizes]
        data["error"] = "does not fit: out of memory at batch size 1"
        return
    cold.update(first_image_s=first["first_call_s"],
                cold_start_s=cold["build_s"] + cold["to_device_s"] + first["first_call_s"],
                **_peaks(device))
    rec.save()

    bar.set_description_str(f"{settings.preset} warm-up")
    before = _compile_counts()  # batch 1 is compiled: nothing may compile until the sweep
    for _ in range(settings.warmup_runs):
        call(1)
    _sync(device)

    # Latency at batch 1 (plain calls, as a user's request is served); determinism over them.
    bar.set_description_str(f"{settings.preset} latency")
    seconds, hashes, finite = [], [], True
    _reset_peak(device)
    for _ in range(settings.latency_runs):
        _sync(device)
        t0 = time.perf_counter()
        out = call(1)
        _sync(device)
        seconds.append(time.perf_counter() - t0)
        digest, ok = _digest(out)
        hashes.append(digest)
        finite &= ok
    p50, p95 = (float(v) for v in np.percentile(seconds, [50, 95]))
    data["latency"] = {"batch_size": 1, "runs": len(seconds), "seconds": seconds, "p50_s": p50,
                       "p95_s": p95, "mean_s": float(np.mean(seconds)), "max_s": max(seconds),
                       "percentiles": "linear interpolation between the two nearest runs",
                       **_peaks(device)}
    data["p50_latency_s"], data["p95_latency_s"] = p50, p95
    data["determinism"] = {"seed": settings.seed, "runs": len(hashes),
                           "identical": len(set(hashes)) == 1, "sha256": hashes[0],
                           "all_finite": finite}
    if compiled["enabled"]:
        compiled["by_batch"].append(_compile_entry(1, first, p50))
        cold["compile_s"] = compiled["by_batch"][0]["compile_s"]
    rec.save()

    # Time by stage, on calls of their own.
    bar.set_description_str(f"{settings.preset} stages")
    stages = []
    with _stage_timers(pipe, device) as marks:
        for _ in range(settings.stage_runs):
            _sync(device)
            t0 = time.perf_counter()
            call(1)
            _sync(device)
            (e0, e1), (d0, d1) = marks["encode"], marks["decode"]
            stages.append((time.perf_counter() - t0, e1 - e0, d0 - e1, d1 - d0))
    total_s, text_s, denoise_s, decode_s = (
        float(v) for v in np.median(np.array(stages), axis=0))
    calls = flops["denoiser_calls"]
    data["stages"] = {
        "runs": len(stages), "call_s": total_s, "text_encode_s": text_s,
        "denoise_s": denoise_s, "denoise_step_s": denoise_s / calls, "decode_s": decode_s,
        "other_s": max(total_s - text_s - denoise_s - decode_s, 0.0), "denoiser_calls": calls}
    if compiled["enabled"]:
        compiled["unexpected_recompiles"] += _counts_since(before)["graphs"]
    rec.save()

    if barrier is not None:
        bar.set_description_str(f"{settings.preset} waiting for the other GPUs")
        try:
            barrier.wait(BARRIER_TIMEOUT_S)
        except threading.BrokenBarrierError:
            pass

    # Throughput sweep.
    env = data["environment"]
    for b in settings.batch_sizes:
        bar.set_description_str(f"{settings.preset} batch {b}")
        window = None
        try:
            window = throughput_window(
                call, b, settings.window_seconds, device, nvml, flops["total_gflop_per_image"],
                env["peak_tflops"], env["practical_peak_tflops"])
        except Exception as exc:
            if not _is_oom(exc):
                raise
        if window is None:  # out of memory
            _free(device)
            window = _no_fit(b, "out of memory")
        elif compiled["enabled"]:
            compiled["unexpected_recompiles"] += window["recompiles"]
            if window["graphs"]:
                compiled["by_batch"].append(
                    _compile_entry(b, window, b * window["seconds_per_image"]))
        data["batches"].append(window)
        rec.summarize()
        rec.save()

    # Sustained run at the best batch size.
    if settings.sustained_seconds and data["best_batch_size"]:
        bar.set_description_str(f"{settings.preset} sustained")
        data["sustained"] = sustained_run(
            call, data["best_batch_size"], settings.sustained_seconds, settings.window_seconds,
            data["best_images_per_hour"], device, nvml)
        if compiled["enabled"]:
            compiled["unexpected_recompiles"] += data["sustained"]["recompiles"]


def _no_fit(batch_size: int, reason: str) -> dict:
    return {"batch_size": batch_size, "fits": False, "error": reason, "images": 0,
            "nonfinite_images": None, "seconds": None, "images_per_hour": None,
            "seconds_per_image": None, "first_call_s": None, "graphs": None, "recompiles": None,
            "cache_hits": None, "cache_misses": None, "peak_allocated_bytes": None,
            "peak_reserved_bytes": None, "energy_j": None, "avg_watts": None,
            "energy_wh_per_image": None, "achieved_tflops": None, "mfu": None,
            "mfu_practical": None, "sm_clock_mhz": None, "power_watts": None,
            "temperature_c": None, "throttle_reasons": None}


def _calls_for(call, batch_size: int, window_s: float, device: str, nvml,
               keep_going: bool) -> dict:
    """Calls back to back until ``window_s`` has passed (the window ends after the call that
    crosses it), synchronized at both ends.

    Finite and non-finite images are counted on the device and read once, at the end (no
    synchronize per call). With ``keep_going`` a failing call is counted (first five
    messages kept) and the window goes on; otherwise its exception propagates.
    """
    import torch

    flags, failed, messages = [], 0, []
    before = _compile_counts()
    e0 = nvml.energy_mj() if nvml else None
    _sync(device)
    t0 = time.perf_counter()
    while True:
        out_of_memory = False
        try:
            flags.append(_finite_per_image(call(batch_size)))
        except Exception as exc:
            if not keep_going:
                raise
            failed += 1
            if len(messages) < 5:
                messages.append(f"{type(exc).__name__}: {exc}"[:300])
            out_of_memory = _is_oom(exc)
        if out_of_memory:
            _free(device)
        if time.perf_counter() - t0 >= window_s:
            break
    _sync(device)
    seconds = time.perf_counter() - t0
    e1 = nvml.energy_mj() if nvml else None
    finite = torch.cat(flags) if flags else torch.zeros(0, dtype=torch.bool)
    images = int(finite.sum())
    energy_j = (e1 - e0) / 1e3 if e0 is not None and e1 is not None else None
    sample = nvml.sample() if nvml else dict.fromkeys(
        ("sm_clock_mhz", "power_watts", "temperature_c", "throttle_reasons"))
    return {"images": images, "nonfinite_images": int(finite.numel()) - images,
            "failed_calls": failed, "error_messages": messages, "seconds": seconds,
            "images_per_hour": images / seconds * 3600.0, "energy_j": energy_j,
            "recompiles": _counts_since(before)["graphs"], **sample}


def throughput_window(call, batch_size: int, window_s: float, device: str = "cpu", nvml=None,
                      gflop_per_image: float = 0.0, peak: float | None = None,
                      practical: float | None = None) -> dict:
    """Images/hour at one batch size: one untimed call (which compiles this batch size under
    ``torch.compile``), peak memory reset, then calls until ``window_s`` passed.

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
        Energy counter and sampled readings of the GPU; None without it.
    gflop_per_image : float
        Model FLOPs of one image, for the achieved rate. [GFLOP]
    peak, practical : float, optional
        Datasheet and practical peaks for MFU. [TFLOP/s]

    Returns
    -------
    dict
        One entry of the result's ``batches``; images/hour, energy and MFU count finite
        images only.
    """
    first = _first_call(call, batch_size, device)
    _reset_peak(device)
    w = _calls_for(call, batch_size, window_s, device, nvml, keep_going=False)
    images, seconds, energy_j = w["images"], w["seconds"], w["energy_j"]
    tflops = gflop_per_image * images / seconds / 1e3
    return {
        "batch_size": batch_size, "fits": True,
        "error": f"{w['nonfinite_images']} non-finite images (NaN or inf), not counted"
        if w["nonfinite_images"] else None,
        "images": images, "nonfinite_images": w["nonfinite_images"], "seconds": seconds,
        "images_per_hour": w["images_per_hour"],
        "seconds_per_image": seconds / images if images else None, **first,
        "recompiles": w["recompiles"], **_peaks(device), "energy_j": energy_j,
        "avg_watts": None if energy_j is None else energy_j / seconds,
        "energy_wh_per_image": None if energy_j is None or not images
        else energy_j / images / 3600.0,
        "achieved_tflops": tflops, "mfu": tflops / peak if peak else None,
        "mfu_practical": tflops / practical if practical else None,
        **{k: w[k] for k in ("sm_clock_mhz", "power_watts", "temperature_c",
                             "throttle_reasons")},
    }


def sustained_run(call, batch_size: int, seconds_target: float, window_s: float,
                  best_images_per_hour: float, device: str, nvml) -> dict:
    """Back-to-back calls for ``seconds_target`` in windows of ``window_s``, each sampled
    (clocks, power, temperature, throttle reasons); failed calls are counted and the run goes
    on. ``below_best`` flags a run under `SUSTAINED_FLOOR` of ``best_images_per_hour``."""
    start = nvml.sample() if nvml else {}
    windows, t0 = [], time.perf_counter()
    while (left := seconds_target - (time.perf_counter() - t0)) > 0:
        windows.append(_calls_for(call, batch_size, min(window_s, left), device, nvml,
                                  keep_going=True))
    seconds = sum(w["seconds"] for w in windows)
    images = sum(w["images"] for w in windows)
    rate = images / seconds * 3600.0
    share = rate / best_images_per_hour
    reasons = sorted({r for w in windows for r in (w["throttle_reasons"] or [])} - {"gpu_idle"})
    end = windows[-1] if windows else {}
    return {
        "seconds_target": seconds_target, "batch_size": batch_size, "window_seconds": window_s,
        "windows": [{k: v for k, v in w.items() if k != "error_messages"} for w in windows],
        "images": images, "nonfinite_images": sum(w["nonfinite_images"] for w in windows),
        "failed_calls": sum(w["failed_calls"] for w in windows),
        "error_messages": [m for w in windows for m in w["error_messages"]][:5],
        "seconds": seconds, "images_per_hour": rate, "share_of_best": share,
        "below_best": share < SUSTAINED_FLOOR, "throttle_reasons": reasons,
        "recompiles": sum(w["recompiles"] for w in windows),
        "temperature_c_start": start.get("temperature_c"),
        "temperature_c_end": end.get("temperature_c"),
        "sm_clock_mhz_start": start.get("sm_clock_mhz"),
        "sm_clock_mhz_end": end.get("sm_clock_mhz"),
    }


# --- several devices ------------------------------------------------------------------------

def worker_environment(device: str, workers: int, cpu_count: int,
                       visible: str | None) -> tuple[dict, str, int]:
    """What a worker of a multi-GPU run sets before torch loads.

    Parameters
    ----------
    device : str
        The worker's device, as the parent sees it (``"cuda:2"``, ``"cpu"``).
    workers : int
        Workers running at once.
    cpu_count : int
        CPU cores of the machine.
    visible : str or None
        The parent's ``CUDA_VISIBLE_DEVICES`` (indexes or UUIDs, comma separated).

    Returns
    -------
    env : dict
        ``CUDA_VISIBLE_DEVICES`` (the one GPU, as the machine names it) and
        ``OMP_NUM_THREADS``.
    device : str
        The device inside the worker (``"cuda:0"`` for a GPU).
    threads : int
        The worker's fair share of CPU threads (at least 1).
    """
    threads = max(1, cpu_count // workers)
    env = {"OMP_NUM_THREADS": str(threads)}
    if device == "cpu":
        return env, device, threads
    index = int(device.partition(":")[2] or 0)
    ids = [v.strip() for v in visible.split(",")] if visible else None
    env["CUDA_VISIBLE_DEVICES"] = ids[index] if ids else str(index)
    return env, "cuda:0", threads


def _worker(settings: Settings, device: str, workers: int, out_path: str, progress: bool,
            barrier) -> None:
    """One worker process: its own GPU and CPU share, then `probe_device`."""
    env, inside, threads = worker_environment(
        device, workers, os.cpu_count() or 1, os.environ.get("CUDA_VISIBLE_DEVICES"))
    os.environ.update(env)
    import torch

    torch.set_num_threads(threads)
    try:
        probe_device(settings, inside, out_path, progress, barrier, label=device)
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
    procs = [ctx.Process(target=_worker, args=(settings, d, len(devices), str(p),
                                               progress and i == 0, barrier), daemon=True)
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
