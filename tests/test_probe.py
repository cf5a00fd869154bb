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
        "sustained_images": 2, "progress": False}


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
    assert all(b["fits"] and b["images_per_hour"] > 0 and b["all_finite"]
               for b in data["batches"])
    stages = data["stages"]
    assert min(stages["text_encode_s"], stages["denoise_step_s"], stages["decode_s"]) > 0
    assert data["cold_start"]["cold_start_s"] >= data["cold_start"]["first_image_s"] > 0
    assert data["determinism"]["identical"] and data["determinism"]["all_finite"]
    assert data["sustained"]["images"] == 2
    assert data["sustained"]["errors"] == 0
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
    # Calls: first image 1, latency 2, window warm-up 1, window 1 (a tiny window), then the
    # sustained calls 6 to 9 (4 images at batch 1), of which 7 and 9 fail.
    def fault(batch_size, calls):
        if len(calls) in (7, 9):
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    calls = inject(monkeypatch, fault)
    data = run_probe("sdxl-turbo-tiny", batch_sizes=[1], out_path=tmp_path / "s.json",
                     **{**FAST, "window_seconds": 1e-9, "sustained_images": 4})
    assert len(calls) == 9
    sustained = data["sustained"]
    assert (sustained["calls"], sustained["errors"], sustained["images"]) == (4, 2, 2)
    assert sustained["error_messages"] == [
        "RuntimeError: CUDA error: an illegal memory access was encountered"] * 2


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
    fast = {**FAST, "batch_sizes": [1], "sustained_images": 0}
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

def test_local_weights_load_offline(tmp_path):
    settings = resolve_settings("sdxl-tiny", device="cpu")
    pipe, _ = models.build_random_pipeline(settings, "cpu")
    folder = tmp_path / "sdxl-tiny-weights"
    pipe.save_pretrained(folder)
    data = run_probe("sdxl-tiny", weights=str(folder), out_path=tmp_path / "w.json", **FAST)
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

    def energy_mj(self):
        return int(time.perf_counter() * 100 * 1000)

    def snapshot(self):
        return {"driver": "999.1", "sm_clock_mhz": 1980, "max_sm_clock_mhz": 1980,
                "mem_clock_mhz": 2619, "power_limit_watts": 700.0, "power_watts": 100.0,
                "temperature_c": 40}


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
    assert read_result(tmp_path / "e.json").avg_watts == data["avg_watts"]


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
    )
    monkeypatch.setitem(__import__("sys").modules, "pynvml", fake)
    nv = runner.Nvml(1, "1234-abcd")
    assert nv.snapshot() == {"driver": "560.35.03", "sm_clock_mhz": 1755,
                             "max_sm_clock_mhz": 1980, "mem_clock_mhz": 2619,
                             "power_limit_watts": 700.0, "power_watts": 412.5,
                             "temperature_c": 61}
    assert nv.energy_mj() is None  # pre-Volta: energy marked unavailable


def test_compile_is_applied_to_the_denoiser(monkeypatch, tmp_path):
    compiled = []

    def fake_compile(module, **kwargs):
        compiled.append(type(module).__name__)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    data = run_probe("sdxl-turbo-tiny", compile=True, out_path=tmp_path / "c.json", **FAST)
    assert compiled == ["UNet2DConditionModel"]
    assert data["cold_start"]["compile"] is True


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
    assert len(out.with_suffix(".csv").read_text().splitlines()) == 3


def test_cli_runs_a_tiny_preset(tmp_path, capsys):
    out = tmp_path / "cli.json"
    code = cli.main(["--preset", "flux-schnell-tiny", "--device", "cpu", "--no-progress",
                     "--batch-sizes", "1,2", "--steps", "2", "--latency-runs", "2",
                     "--warmup-runs", "0", "--window-seconds", "0.05", "--sustained-images", "1",
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
