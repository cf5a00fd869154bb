"""The probe on the CPU: tiny presets end to end, FLOP counts, failures, offline loading.

Every test here runs with sockets blocked: the probe must never touch the network.
Reference values: the FLOP counts of the catalog's model_flops table (data/model_flops.csv,
"the reference" below), which the throughput model uses.
"""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from costlib.errors import InputError
from costlib.probe import PRESETS, cli, models, read_result, resolve_settings, run_probe, runner

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
# diffusers 0.42's schedulers call np.array(copy=False) on tensors under numpy 2: not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

TINY = [name for name in PRESETS if name.endswith("-tiny")]
# A short measurement plan: every phase runs, in about a second per preset.
FAST = {"device": "cpu", "warmup_runs": 0, "latency_runs": 2, "window_seconds": 0.05,
        "sustained_seconds": 0.1, "progress": False}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and one thread keeps the suite steady when
    other processes share the two cores (OpenMP threads then wait on each other)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection attempt fails loudly (and the offline switches the probe sets in its
    process are undone after each test)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TRANSFORMERS_VERBOSITY"):
        monkeypatch.setenv(name, "")
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during a probe test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def inject(monkeypatch, fault):
    """Make runner.call_pipeline call ``fault(batch_size, phase_calls)`` before each call."""
    real = runner.call_pipeline
    calls = []

    def wrapped(pipe, settings, batch_size):
        calls.append(batch_size)
        fault(batch_size, calls)
        return real(pipe, settings, batch_size)

    monkeypatch.setattr(runner, "call_pipeline", wrapped)
    return calls


# --- end to end -----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("preset", TINY)
def test_every_tiny_preset_runs_end_to_end(preset, tmp_path):
    out = tmp_path / f"{preset}.json"
    data = run_probe(preset, out_path=out, **FAST)
    assert data["status"] == "complete"
    assert [b["batch_size"] for b in data["batches"]] == [1, 2]
    assert all(b["fits"] and b["images_per_hour"] > 0 and b["nonfinite_images"] == 0
               for b in data["batches"])
    stages = data["stages"]
    assert min(stages["text_encode_s"], stages["denoise_step_s"], stages["decode_s"]) > 0
    assert data["cold_start"]["cold_start_s"] >= data["cold_start"]["first_image_s"] > 0
    assert data["determinism"]["identical"] and data["determinism"]["all_finite"]
    assert data["sustained"]["images"] > 0 and data["sustained"]["windows"]
    assert data["sustained"]["failed_calls"] == data["sustained"]["nonfinite_images"] == 0
    assert data["latency"]["runs"] == 2 and data["stages"]["runs"] == 2
    assert data["compile"] == {"requested": False, "enabled": False}
    assert data["cold_start"]["weights"].startswith("random weights")
    assert data["environment"]["watermarker"] is False
    assert data["flops"]["total_gflop_per_image"] > 0
    env = data["environment"]
    assert env["torch"] == torch.__version__ and env["nvml"] is False
    assert env["attention_processor"]
    result = read_result(out)
    assert result.model == preset and result.device_count == 1
    assert result.best_images_per_hour == max(b["images_per_hour"] for b in data["batches"])
    assert result.p50_latency_s <= result.p95_latency_s
    assert result.avg_watts is None and result.energy_wh_per_image is None  # no NVML on a CPU
    assert len(out.with_suffix(".csv").read_text().splitlines()) == 3


@pytest.mark.slow
def test_tiny_flop_count_matches_a_count_of_the_real_pipeline_call():
    """count_flops (meta device, from configs) equals FlopCounterMode over a real call."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    for preset in TINY:
        settings = resolve_settings(preset, device="cpu")
        pipe, _ = models.build_random_pipeline(settings, "cpu")
        # The math backend decomposes attention into counted matmuls on the CPU.
        with torch.inference_mode(), sdpa_kernel(SDPBackend.MATH), \
                FlopCounterMode(display=False) as counter:
            runner.call_pipeline(pipe, settings, 1)
        counted = models.count_flops(settings)["total_gflop_per_image"]
        assert counted == pytest.approx(counter.get_total_flops() / 1e9, rel=1e-9), preset


# --- FLOPs of the full-size configs (meta device, no weights; about 15 s) --------------------

@pytest.mark.slow
def test_full_size_flops_match_the_reference_sd15_and_sdxl():
    # The reference: SD1.5 UNet 512² batch 2 = 1,607 GFLOP, VAE decode to 512²
    # 2,515, CLIP-L 13 (twice under CFG); SDXL UNet 1024² batch 2 = 13,522, VAE decode to
    # 1024² 10,470, OpenCLIP bigG 98 + CLIP-L 13; recipes 82.9 and 416.3 TFLOP per image.
    sd15 = models.count_flops(resolve_settings("sd15", scheduler="ddim"))
    assert sd15["denoise_step_gflop"] == pytest.approx(1607, rel=1e-3)
    assert sd15["decode_gflop"] == pytest.approx(2515, rel=1e-3)
    assert sd15["text_encode_gflop"] == pytest.approx(2 * 13, abs=1)
    assert sd15["total_gflop_per_image"] / 1e3 == pytest.approx(82.9, abs=0.05)
    # PNDM, SD1.5's own scheduler, calls the UNet once more than its step count.
    assert models.count_flops(resolve_settings("sd15"))["denoiser_calls"] == 51
    sdxl = models.count_flops(resolve_settings("sdxl"))
    assert sdxl["denoise_step_gflop"] == pytest.approx(13522, rel=1e-3)
    assert sdxl["decode_gflop"] == pytest.approx(10470, rel=1e-3)
    assert sdxl["text_encode_gflop"] == pytest.approx(98 + 13, abs=1)
    assert sdxl["total_gflop_per_image"] / 1e3 == pytest.approx(416.3, abs=0.05)


@pytest.mark.slow
def test_full_size_flops_match_the_reference_flux():
    # The reference: FLUX.1-dev transformer at 1024² + 512 text tokens = 74,385
    # GFLOP, schnell-shaped + 256 tokens = 69,467; T5-XXL 4,845; recipes 2,098 and 290.7 TFLOP.
    dev = models.count_flops(resolve_settings("flux-dev"))
    assert dev["denoise_step_gflop"] == pytest.approx(74385, rel=1e-3)
    assert dev["text_encode_gflop"] == pytest.approx(4845 + 13, abs=1)
    assert dev["total_gflop_per_image"] / 1e3 == pytest.approx(2098, rel=1e-3)
    schnell = models.count_flops(resolve_settings("flux-schnell"))
    assert schnell["denoise_step_gflop"] == pytest.approx(69467, rel=1e-3)
    assert schnell["total_gflop_per_image"] / 1e3 == pytest.approx(290.7, rel=1e-3)


# --- failures -------------------------------------------------------------------------------

def test_out_of_memory_at_one_batch_size_is_recorded_and_the_sweep_goes_on(monkeypatch,
                                                                          tmp_path):
    def fault(batch_size, calls):
        if batch_size == 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    inject(monkeypatch, fault)
    out = tmp_path / "oom.json"
    data = run_probe("sd15-tiny", batch_sizes=[1, 2, 4], out_path=out, **FAST)
    fits = {b["batch_size"]: b["fits"] for b in data["batches"]}
    assert fits == {1: True, 2: False, 4: True}
    assert data["batches"][1]["error"] == "out of memory"
    assert data["status"] == "complete"
    assert data["best_batch_size"] in (1, 4)
    assert "2,False" in out.with_suffix(".csv").read_text()


def test_memory_is_freed_after_the_failed_call_is_gone(monkeypatch, tmp_path):
    """Issue 14, item 8: empty_cache() inside the ``except`` block frees nothing, because the
    exception's traceback still holds the failed call's tensors; it runs after it."""
    import sys

    from costlib.probe import runner

    def fault(batch_size, calls):
        if batch_size == 2:
            raise torch.OutOfMemoryError("CUDA out of memory")

    freed_while_handling = []
    monkeypatch.setattr(runner, "_free",
                        lambda device: freed_while_handling.append(sys.exc_info()[0]))
    inject(monkeypatch, fault)
    run_probe("sd15-tiny", batch_sizes=[1, 2], out_path=tmp_path / "oom.json", **FAST)
    assert freed_while_handling and all(e is None for e in freed_while_handling)


def test_out_of_memory_at_batch_1_means_nothing_fits(monkeypatch, tmp_path, capsys):
    def fault(batch_size, calls):
        raise torch.OutOfMemoryError("CUDA out of memory")

    inject(monkeypatch, fault)
    out = tmp_path / "none.json"
    code = cli.main(["--preset", "sdxl-turbo-tiny", "--device", "cpu", "--no-progress",
                     "--out", str(out)])
    assert code == 1
    assert "nothing fit" in capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["error"] == "does not fit: out of memory at batch size 1"
    assert [b["fits"] for b in data["batches"]] == [False, False]
    with pytest.raises(InputError, match="the probe measured no batch size"):
        read_result(out)


@pytest.mark.parametrize("exc, status", [(KeyboardInterrupt, "interrupted"),
                                         (RuntimeError, "failed")])
def test_an_interrupted_sweep_keeps_what_was_measured(monkeypatch, tmp_path, exc, status):
    def fault(batch_size, calls):
        if batch_size == 2:
            raise exc("stopped at batch 2")

    inject(monkeypatch, fault)
    out = tmp_path / "partial.json"
    with pytest.raises(exc):
        run_probe("flux-schnell-tiny", batch_sizes=[1, 2, 4], out_path=out, **FAST)
    result = read_result(out)
    assert result.status == status
    assert result.best_batch_size == 1 and result.best_images_per_hour > 0
    assert [b["batch_size"] for b in result.data["batches"]] == [1]
    assert result.data["sustained"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["partial.csv", "partial.json"]
    if status == "failed":
        assert result.data["error"] == "RuntimeError: stopped at batch 2"


def test_ctrl_c_in_the_cli_exits_130_and_keeps_the_partial_result(monkeypatch, tmp_path,
                                                                  capsys):
    def fault(batch_size, calls):
        if batch_size == 2:
            raise KeyboardInterrupt

    inject(monkeypatch, fault)
    out = tmp_path / "cli.json"
    code = cli.main(["--preset", "sdxl-tiny", "--device", "cpu", "--no-progress",
                     "--latency-runs", "2", "--window-seconds", "0.05", "--out", str(out)])
    assert code == 130
    assert f"the partial result is in {out}" in capsys.readouterr().err
    assert read_result(out).status == "interrupted"


def test_sustained_run_counts_errors(monkeypatch, tmp_path):
    # Calls before the sustained run: first image 1, latency 2, stages 2, window warm-up 1,
    # window 1 (a tiny window); after them every other call fails, and the run goes on.
    def fault(batch_size, calls):
        if len(calls) > 7 and len(calls) % 2:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    calls = inject(monkeypatch, fault)
    data = run_probe("sdxl-turbo-tiny", batch_sizes=[1], out_path=tmp_path / "s.json",
                     **{**FAST, "window_seconds": 1e-9, "sustained_seconds": 0.3})
    sustained = data["sustained"]
    failed = sum(1 for n in range(8, len(calls) + 1) if n % 2)
    assert failed >= 1 and sustained["failed_calls"] == failed
    assert sustained["images"] == len(calls) - 7 - failed
    assert sustained["error_messages"] == [
        "RuntimeError: CUDA error: an illegal memory access was encountered"] * min(failed, 5)
    assert any("sustained run: " in w and "failed calls" in w for w in data["warnings"])


def nan_after(monkeypatch, first_bad_call: int, batch_sizes=(1, 2, 4, 8)):
    """A model that emits NaN images from call ``first_bad_call`` on, at these batch sizes."""
    real = runner.call_pipeline
    calls = []

    def wrapped(pipe, settings, batch_size):
        calls.append(batch_size)
        out = real(pipe, settings, batch_size)
        return out * float("nan") if (len(calls) >= first_bad_call
                                      and batch_size in batch_sizes) else out

    monkeypatch.setattr(runner, "call_pipeline", wrapped)


def test_nan_images_count_nowhere_in_the_sweep(monkeypatch, tmp_path):
    """Issue 14, item 11: a window of NaN images is no throughput (it used to be only a
    flag beside a normal images/hour)."""
    nan_after(monkeypatch, 1, batch_sizes=(2,))
    data = run_probe("sd15-tiny", batch_sizes=[1, 2], out_path=tmp_path / "n.json", **FAST)
    one, two = data["batches"]
    assert one["nonfinite_images"] == 0 and one["images_per_hour"] > 0
    assert two["images"] == 0 and two["nonfinite_images"] >= 2
    assert two["images_per_hour"] == 0 and two["mfu"] is None and two["achieved_tflops"] == 0
    assert two["error"].endswith("non-finite images (NaN or inf), not counted")
    assert data["best_batch_size"] == 1
    assert any(w.startswith("batch 2: ") for w in data["warnings"])


def test_nan_images_count_nowhere_in_the_sustained_run(monkeypatch, tmp_path):
    # Calls before the sustained run: 1 + 2 + 2 + 1 + 1 (see above); NaN from the 8th on.
    nan_after(monkeypatch, 8)
    data = run_probe("sd15-tiny", batch_sizes=[1], out_path=tmp_path / "n.json",
                     **{**FAST, "window_seconds": 1e-9, "sustained_seconds": 0.2})
    sustained = data["sustained"]
    assert sustained["images"] == 0 and sustained["nonfinite_images"] > 0
    assert sustained["images_per_hour"] == 0 and sustained["below_best"] is True
    assert data["best_images_per_hour"] > 0  # the sweep's window was clean
    assert data["sustained_images_per_hour"] == 0


def test_no_gpu_is_a_clear_error(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(InputError, match="no CUDA GPU found .* pass --device cpu"):
        run_probe("sdxl-tiny", **{**FAST, "device": "cuda"})
    with pytest.raises(InputError, match="devices: 'all' is not allowed; no CUDA GPU"):
        run_probe("sdxl-tiny", **{**FAST, "devices": "all"})
    assert cli.main(["--preset", "sdxl-tiny", "--no-progress"]) == 2
    assert "no CUDA GPU found" in capsys.readouterr().err


# --- determinism ----------------------------------------------------------------------------

@pytest.mark.slow
def test_determinism_check(monkeypatch, tmp_path):
    # SDXL-Turbo's ancestral sampler draws fresh noise at every step from the seeded generator.
    fast = {**FAST, "batch_sizes": [1], "sustained_seconds": 0}
    a = run_probe("sdxl-turbo-tiny", out_path=tmp_path / "a.json", seed=1, **fast)
    b = run_probe("sdxl-turbo-tiny", out_path=tmp_path / "b.json", seed=2, **fast)
    a, b = a["determinism"], b["determinism"]
    assert a["identical"] and b["identical"] and a["runs"] == 2
    assert len(a["sha256"]) == 64 and a["sha256"] != b["sha256"]
    again = run_probe("sdxl-turbo-tiny", out_path=tmp_path / "c.json", seed=1, **fast)
    again = again["determinism"]
    assert again["sha256"] == a["sha256"]

    real = runner.call_pipeline

    def noisy(pipe, settings, batch_size):
        return real(pipe, settings, batch_size) + 1e-3 * torch.rand(1).item()

    monkeypatch.setattr(runner, "call_pipeline", noisy)
    d = run_probe("sdxl-turbo-tiny", out_path=tmp_path / "d.json", **fast)["determinism"]
    assert d["identical"] is False


# --- sources, energy, compile, several devices ----------------------------------------------

def test_local_weights_load_offline(monkeypatch, tmp_path):
    from diffusers.pipelines.stable_diffusion_xl import pipeline_stable_diffusion_xl as sdxl

    settings = resolve_settings("sdxl-tiny", device="cpu")
    pipe, _ = models.build_random_pipeline(settings, "cpu")
    folder = tmp_path / "sdxl-tiny-weights"
    pipe.save_pretrained(folder)
    # Issue 14, item 9: with the watermark package installed, diffusers would watermark every
    # timed call (and here, without the package, fail to build the watermarker).
    monkeypatch.setattr(sdxl, "is_invisible_watermark_available", lambda: True)
    data = run_probe("sdxl-tiny", weights=str(folder), out_path=tmp_path / "w.json", **FAST)
    assert data["environment"]["watermarker"] is False
    assert data["cold_start"]["weights"].startswith(f"local folder {folder}, read from disk")
    assert os.environ["HF_HUB_OFFLINE"] == os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert data["source"] == "local-weights"
    assert data["settings"]["scheduler"] == "folder"
    assert data["environment"]["scheduler_class"] == "EulerDiscreteScheduler"
    assert data["flops"]["total_gflop_per_image"] == pytest.approx(
        models.count_flops(settings)["total_gflop_per_image"])
    fp16_only = tmp_path / "fp16-only"
    pipe.save_pretrained(fp16_only, variant="fp16")
    loaded, _ = models.load_pipeline(
        resolve_settings("sdxl-tiny", device="cpu", weights=str(fp16_only)), "cpu")
    assert torch.equal(loaded.unet.conv_in.weight, pipe.unet.conv_in.weight)
    with pytest.raises(InputError, match="it holds a StableDiffusionXLPipeline, preset "
                                         "flux-dev-tiny needs a FluxPipeline"):
        run_probe("flux-dev-tiny", weights=str(folder), out_path=tmp_path / "x.json", **FAST)


class FakeNvml:
    """A 100 W board: the energy counter grows with wall time."""

    throttle = []

    def energy_mj(self):
        return int(time.perf_counter() * 100 * 1000)

    def sample(self):
        return {"sm_clock_mhz": 1980, "power_watts": 100.0, "temperature_c": 40,
                "throttle_reasons": list(self.throttle)}

    def snapshot(self):
        return {"driver": "999.1", "max_sm_clock_mhz": 1980, "mem_clock_mhz": 2619,
                "power_limit_watts": 700.0, **self.sample()}


def test_energy_and_power_come_from_the_nvml_counter(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "_open_nvml", lambda device: (FakeNvml(), None))
    data = run_probe("flux-dev-tiny", out_path=tmp_path / "e.json",
                     **{**FAST, "window_seconds": 0.3})
    best = next(b for b in data["batches"] if b["batch_size"] == data["best_batch_size"])
    assert data["avg_watts"] == pytest.approx(100.0, rel=0.05)
    assert data["energy_wh_per_image"] == pytest.approx(
        100.0 * best["seconds_per_image"] / 3600.0, rel=0.05)
    assert data["environment"]["power_limit_watts"] == 700.0
    assert data["sustained"]["temperature_c_end"] == 40
    assert best["sm_clock_mhz"] == 1980 and best["throttle_reasons"] == []
    assert read_result(tmp_path / "e.json").avg_watts == data["avg_watts"]


def test_a_sustained_run_below_the_best_window_is_flagged(monkeypatch, tmp_path):
    """Issue 14, item 4: clocks, power and throttle reasons at the end of every window; a
    GPU that slows down (here: thermal slowdown, calls 3x slower) is flagged."""
    class HotNvml(FakeNvml):
        throttle = ["gpu_idle", "sw_thermal_slowdown"]

    monkeypatch.setattr(runner, "_open_nvml", lambda device: (HotNvml(), None))
    real = runner.call_pipeline
    sweep_done = []

    def slowing(pipe, settings, batch_size):
        start = time.perf_counter()
        out = real(pipe, settings, batch_size)
        if sweep_done:
            time.sleep(2 * (time.perf_counter() - start))
        return out

    monkeypatch.setattr(runner, "call_pipeline", slowing)
    sweep = runner.throughput_window

    def then_hot(*args, **kwargs):
        window = sweep(*args, **kwargs)
        sweep_done.append(True)
        return window

    monkeypatch.setattr(runner, "throughput_window", then_hot)
    data = run_probe("sd15-tiny", batch_sizes=[1], out_path=tmp_path / "h.json",
                     **{**FAST, "window_seconds": 0.2, "sustained_seconds": 0.6})
    sustained = data["sustained"]
    assert len(sustained["windows"]) >= 2
    assert all(w["temperature_c"] == 40 and w["sm_clock_mhz"] == 1980
               for w in sustained["windows"])
    assert sustained["share_of_best"] < 0.6 and sustained["below_best"] is True
    assert sustained["throttle_reasons"] == ["sw_thermal_slowdown"]  # idle is no slowdown
    assert any("of the best window" in w and "sw_thermal_slowdown" in w
               for w in data["warnings"])


def test_nvml_readings_through_pynvml(monkeypatch):
    import types

    class NVMLError(Exception):
        pass

    def by_uuid(uuid):
        raise NVMLError("not found")

    def clock(handle, kind):
        return {0: 1755, 2: 2619}[kind]

    fake = types.SimpleNamespace(
        NVMLError=NVMLError, NVML_CLOCK_SM=0, NVML_CLOCK_MEM=2, NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None, nvmlDeviceGetHandleByUUID=by_uuid,
        nvmlDeviceGetHandleByIndex=lambda i: f"handle{i}",
        nvmlSystemGetDriverVersion=lambda: b"560.35.03",
        nvmlDeviceGetClockInfo=clock, nvmlDeviceGetMaxClockInfo=lambda h, k: 1980,
        nvmlDeviceGetEnforcedPowerLimit=lambda h: 700_000,
        nvmlDeviceGetPowerUsage=lambda h: 412_500,
        nvmlDeviceGetTemperature=lambda h, k: 61,
        nvmlDeviceGetTotalEnergyConsumption=lambda h: (_ for _ in ()).throw(NVMLError("n/a")),
        nvmlDeviceGetCurrentClocksThrottleReasons=lambda h: 0x4 | 0x20,
    )
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake)
    nv = runner.Nvml(1, "1234-abcd")
    assert nv.snapshot() == {"driver": "560.35.03", "sm_clock_mhz": 1755,
                             "max_sm_clock_mhz": 1980, "mem_clock_mhz": 2619,
                             "power_limit_watts": 700.0, "power_watts": 412.5,
                             "temperature_c": 61,
                             "throttle_reasons": ["sw_power_cap", "sw_thermal_slowdown"]}
    assert nv.energy_mj() is None  # pre-Volta: energy marked unavailable


def test_nvml_reads_a_mig_slices_own_board_not_the_gpu_at_its_index(monkeypatch):
    """CUDA_VISIBLE_DEVICES=MIG-...: torch calls the slice cuda:0 and reports its UUID bare;
    NVML knows it as MIG-<uuid> (not GPU-<uuid>), and index 0 is another board."""
    import types

    class NVMLError(Exception):
        pass

    def by_uuid(uuid):
        if uuid != "MIG-5678-abcd":
            raise NVMLError("not found")
        return "slice-on-board-3"

    fake = types.SimpleNamespace(
        NVMLError=NVMLError, nvmlInit=lambda: None, nvmlDeviceGetHandleByUUID=by_uuid,
        nvmlDeviceGetDeviceHandleFromMigDeviceHandle=lambda h: {"slice-on-board-3": "board3"}[h],
        nvmlDeviceGetHandleByIndex=lambda i: f"board{i}",
        nvmlDeviceGetPowerUsage=lambda h: {"board3": 250_000}.get(h, 90_000))
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake)
    assert runner.Nvml(0, "5678-abcd")._read("nvmlDeviceGetPowerUsage", scale=1e-3) == 250.0
    assert runner.Nvml(0, "GPU-9999")._handle == "board0"  # unknown to NVML: by index


def test_throttle_reasons_on_a_driver_older_than_the_bindings(monkeypatch):
    """nvidia-ml-py 12.535+ has nvmlDeviceGetCurrentClocksEventReasons; a driver before 535
    lacks the function and NVML answers 'function not found': the old name still reads."""
    import types

    class NVMLError(Exception):
        pass

    def missing(handle):
        raise NVMLError("Function Not Found")

    fake = types.SimpleNamespace(
        NVMLError=NVMLError, nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetCurrentClocksEventReasons=missing,
        nvmlDeviceGetCurrentClocksThrottleReasons=lambda h: 0x4 | 0x40)
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake)
    assert runner.Nvml(0).throttle_reasons() == ["sw_power_cap", "hw_thermal_slowdown"]
    fake.nvmlDeviceGetCurrentClocksThrottleReasons = missing
    assert runner.Nvml(0).throttle_reasons() is None


def test_compile_settings_are_passed_and_written_into_the_result(monkeypatch, tmp_path):
    compiled = []

    def fake_compile(fn, **kwargs):
        compiled.append((type(fn).__name__, kwargs))
        return fn

    monkeypatch.setattr(torch, "compile", fake_compile)
    data = run_probe("sdxl-turbo-tiny", compile=True, out_path=tmp_path / "c.json", **FAST)
    # the preflight's tiny function, then the denoiser; never dynamic
    assert [name for name, _ in compiled] == ["function", "UNet2DConditionModel"]
    assert all(kw == {"mode": "default", "dynamic": False, "fullgraph": kw["fullgraph"]}
               for _, kw in compiled)
    block = data["compile"]
    assert (block["enabled"], block["mode"], block["recipe"], block["parts"]) == (
        True, "default", "denoiser", ["unet"])
    assert block["fullgraph"] is False and block["channels_last"] is False
    assert data["cold_start"]["compile"] is True and data["cold_start"]["compile_cache"]
    with pytest.raises(InputError, match="compile_mode: 'fast' is not allowed; use one of "
                                         "default, reduce-overhead"):
        resolve_settings("sdxl-tiny", compile_mode="fast")


def test_the_published_layout_compiles_like_the_recipe_without_its_inductor_tuning(
        monkeypatch, tmp_path):
    """gpu_check's compiled run: the published recipe's layout (channels_last, fullgraph,
    denoiser and VAE decode) in the default mode, without the recipe's coordinate-descent
    tuning, which compiles and times every Triton kernel many times over at its first call."""
    compiled, tuning = [], []

    def fake_compile(fn, **kwargs):
        compiled.append((type(fn).__name__, kwargs))
        return fn

    monkeypatch.setattr(torch, "compile", fake_compile)
    real = runner.call_pipeline

    def noting(pipe, settings, batch_size):
        tuning.append(torch._inductor.config.coordinate_descent_tuning)
        return real(pipe, settings, batch_size)

    monkeypatch.setattr(runner, "call_pipeline", noting)
    data = run_probe("sdxl-turbo-tiny", compile_recipe="published-layout", batch_sizes=[1],
                     out_path=tmp_path / "l.json", **FAST)
    block = data["compile"]
    assert (block["recipe"], block["mode"], block["parts"]) == (
        "published-layout", "default", ["unet", "vae.decode"])
    assert block["fullgraph"] and block["channels_last"] and block["inductor_config"] == {}
    assert [kw["fullgraph"] for _, kw in compiled] == [True, True, True]  # preflight too
    assert tuning and not any(tuning)
    published = resolve_settings("sdxl", compile_recipe="published")
    assert runner._compile_block(published, "cpu")["inductor_config"] == \
        runner.PUBLISHED_INDUCTOR and published.compile_mode == "max-autotune"


@pytest.mark.slow
def test_each_batch_size_compiles_once_and_nothing_recompiles(monkeypatch, tmp_path):
    """Issue 14, item 1: with dynamic=False every batch size gets its own graphs, compiled at
    its first call and timed there; the timed calls compile nothing. (Under torch.compile's
    default, batch 2 recompiled with a dynamic batch dimension and batch 4 compiled nothing.)
    The published recipe: denoiser and VAE decode, fullgraph, so two graphs per batch size.
    Dynamo's aot_eager backend keeps the test quick: which graphs compile is decided by
    Dynamo's guards, before any backend."""
    real = torch.compile

    def aot_eager(fn, mode=None, **kwargs):
        return real(fn, backend="aot_eager", **kwargs)

    monkeypatch.setattr(torch, "compile", aot_eager)
    data = run_probe("sdxl-turbo-tiny", compile_recipe="published", batch_sizes=[1, 2, 4],
                     out_path=tmp_path / "c.json", **{**FAST, "sustained_seconds": 0.2})
    block = data["compile"]
    assert block["parts"] == ["unet", "vae.decode"] and block["mode"] == "max-autotune"
    assert block["fullgraph"] and block["channels_last"]
    assert [b["batch_size"] for b in block["by_batch"]] == [1, 2, 4]
    assert all(b["graphs"] == 2 and b["compile_s"] > 0 for b in block["by_batch"])
    assert block["unexpected_recompiles"] == 0
    assert all(b["recompiles"] == 0 for b in data["batches"])
    assert data["cold_start"]["compile_s"] == block["by_batch"][0]["compile_s"]
    assert not [w for w in data["warnings"] if "recompile" in w]
    assert torch._inductor.config.epilogue_fusion is True  # the recipe's setting is undone


def test_a_broken_compiler_toolchain_falls_back_to_eager_or_stops(monkeypatch, tmp_path,
                                                                  capsys):
    """Issue 14, item 2: the preflight compiles a tiny function before any model is built."""
    import torch._inductor.config as inductor

    monkeypatch.setenv("CXX", "/nonexistent/g++")
    monkeypatch.setattr(inductor.cpp, "cxx", (None, "/nonexistent/g++"))
    data = run_probe("sd15-tiny", compile=True, fresh_compile_cache=True, batch_sizes=[1],
                     out_path=tmp_path / "f.json", **FAST)
    block = data["compile"]
    assert block["requested"] and not block["enabled"]
    assert "No working C++ compiler" in block["preflight_error"]
    assert block["fallback"] == "eager: the compiler preflight failed"
    assert data["status"] == "complete" and data["best_images_per_hour"] > 0
    assert data["cold_start"]["compile"] is False
    assert data["warnings"][0].startswith("compile fell back to eager: ")
    assert not os.path.exists(block["cache"]["dir"])  # the fresh cache is removed after
    assert os.environ.get("TORCHINDUCTOR_CACHE_DIR") != block["cache"]["dir"]
    with pytest.raises(InputError, match=r"^compile: the compiler toolchain failed on cpu "
                                         r"\(.*\); install a C compiler"):
        run_probe("sd15-tiny", compile=True, compile_fallback="stop",
                  out_path=tmp_path / "s.json", **FAST)
    code = cli.main(["--preset", "sd15-tiny", "--device", "cpu", "--compile",
                     "--compile-fallback", "stop", "--no-progress", "--out",
                     str(tmp_path / "c.json")])
    # (the library's own import notes aside, which the probe silences outside tests)
    err = [line for line in capsys.readouterr().err.splitlines() if "[transformers]" not in line]
    assert code == 2 and len(err) == 1 and "build-essential" in err[0]


def test_the_compile_cache_is_found_on_a_torch_without_cache_dir_utils(monkeypatch, tmp_path):
    """torch 2.4 and 2.5 have no torch._inductor.runtime.cache_dir_utils: the compile block
    (built before any model) must not fail there with an ImportError."""
    import sys

    import torch._inductor.runtime.runtime_utils  # noqa: F401 (loaded before it is hidden)

    monkeypatch.setitem(sys.modules, "torch._inductor.runtime.cache_dir_utils", None)
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "cache"))
    cache = runner._compile_cache(False)
    assert cache["dir"] == str(tmp_path / "cache") and cache["fresh"] is False
    assert cache["files_before"] == 0 and cache["state"] == "empty (fresh)"


def test_worker_environment_gives_one_gpu_and_a_fair_cpu_share():
    """Issue 14, item 10."""
    env, inside, threads = runner.worker_environment("cuda:2", 4, 64, None)
    assert env == {"CUDA_VISIBLE_DEVICES": "2", "OMP_NUM_THREADS": "16"}
    assert (inside, threads) == ("cuda:0", 16)
    # the parent's own visible list (here by UUID) is what the worker's index points into
    env, _, _ = runner.worker_environment("cuda:1", 2, 3, "GPU-aaa, GPU-bbb")
    assert env == {"CUDA_VISIBLE_DEVICES": "GPU-bbb", "OMP_NUM_THREADS": "1"}
    assert runner.worker_environment("cpu", 8, 2, None) == ({"OMP_NUM_THREADS": "1"}, "cpu", 1)


@pytest.mark.slow
def test_one_worker_per_device_and_the_aggregate(monkeypatch, tmp_path):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # two workers share two cores
    out = tmp_path / "multi.json"
    data = run_probe("sdxl-turbo-tiny", devices=["cpu", "cpu"], out_path=out,
                     **{**FAST, "batch_sizes": [1]})
    assert data["device_count"] == 2 and len(data["devices"]) == 2
    assert data["settings"]["dtype"] == "fp32"
    assert data["best_images_per_hour"] == pytest.approx(
        sum(d["best_images_per_hour"] for d in data["devices"]))
    assert read_result(out).device_count == 2
    assert read_result(tmp_path / "multi.dev0.json").device_count == 1
    assert data["sustained_images_per_hour"] == pytest.approx(
        sum(d["sustained_images_per_hour"] for d in data["devices"]))
    share = max(1, (os.cpu_count() or 1) // 2)
    assert [d["environment"]["torch_threads"] for d in data["devices"]] == [share, share]
    assert len(out.with_suffix(".csv").read_text().splitlines()) == 3


def test_cli_runs_a_tiny_preset(tmp_path, capsys):
    out = tmp_path / "cli.json"
    code = cli.main(["--preset", "flux-schnell-tiny", "--device", "cpu", "--no-progress",
                     "--batch-sizes", "1,2", "--steps", "2", "--latency-runs", "2",
                     "--warmup-runs", "0", "--window-seconds", "0.05", "--sustained-seconds", "0.05",
                     "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "images/hour at batch" in printed and str(out) in printed
    assert read_result(out).steps == 2


# --- the peak MFU is held against -----------------------------------------------------------

def test_the_environment_records_the_peak_of_the_runs_dtype_on_a_mig_slice(monkeypatch):
    # A 3g.20gb slice of an A100 SXM 40GB as torch reports it: 42 of the board's 108 SMs, so
    # 42/108 of the datasheet's dense 312 TFLOP/s (bf16) or 19.5 (fp32)
    from types import SimpleNamespace

    props = SimpleNamespace(name="NVIDIA A100-SXM4-40GB MIG 3g.20gb", total_memory=20 * 2**30,
                            major=8, minor=0, multi_processor_count=42)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device: props)
    env = runner.environment("cuda:0", None, "no NVML here", "bf16")
    assert (env["peak_gpu"], env["peak_dtype_quantity"]) == ("a100_40gb", "peak_bf16_tflops")
    assert env["mig_fraction"] == pytest.approx(42 / 108)
    assert env["peak_tflops"] == pytest.approx(312 * 42 / 108)
    assert env["practical_peak_tflops"] is None
    assert "a100_40gb_peak_bf16" in env["peak_source"]
    fp32 = runner.environment("cuda:0", None, "no NVML here", "fp32")
    assert (fp32["peak_dtype_quantity"], fp32["peak_tflops"]) == \
        ("peak_fp32_tflops", pytest.approx(19.5 * 42 / 108))
    cpu = runner.environment("cpu", None, "no NVML here", "fp32")
    assert [cpu[k] for k in ("peak_tflops", "peak_gpu", "mig_fraction")] == [None] * 3
