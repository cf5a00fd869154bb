"""The probe's result file, settings and command line: everything that needs no torch."""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys

import pytest

from costlib.errors import InputError
from costlib.probe import cli
from costlib.probe.presets import PRESETS, gpu_peaks, resolve_settings
from costlib.probe.result import (
    SCHEMA_VERSION,
    ProbeResult,
    combine,
    merge_files,
    read_result,
    write_result_atomic,
)
from costlib.scenario import parse_scenario

FULL_MODELS = ("sd15", "sdxl", "sdxl-turbo", "flux-schnell", "flux-dev")


_RUN_IDS = itertools.count()


def leaf(rate=3600.0, batch=1, gpu="NVIDIA H100 80GB HBM3", watts=500.0, wh=0.1, **extra):
    """A minimal valid single-device result (each one another run)."""
    data = {
        "schema_version": SCHEMA_VERSION, "kind": "costlib.probe.result", "status": "complete",
        "run_id": f"run-{next(_RUN_IDS)}",
        "error": None, "measured_at": "2026-11-01T12:00:00+00:00", "preset": "sdxl",
        "model": "sdxl", "source": "random-weights", "device": "cuda:0", "gpu_name": gpu,
        "device_count": 1, "best_images_per_hour": rate, "best_batch_size": batch,
        "p50_latency_s": 2.0, "p95_latency_s": 2.2, "avg_watts": watts,
        "energy_wh_per_image": wh, "mfu": 0.4,
        "settings": {"dtype": "bf16", "height": 1024, "width": 1024, "steps": 30,
                     "guidance_scale": 5.0},
        "environment": {"hostname": "gpu-1"},
        "batches": [{"batch_size": batch, "fits": True, "images_per_hour": rate},
                    {"batch_size": 2 * batch, "fits": False, "images_per_hour": None}],
    }
    data.update(extra)
    return data


# --- presets and settings -------------------------------------------------------------------

def test_every_model_has_a_full_and_a_tiny_preset():
    assert {p.name for p in PRESETS.values() if not p.tiny} == set(FULL_MODELS)
    assert {p.name for p in PRESETS.values() if p.tiny} == {m + "-tiny" for m in FULL_MODELS}


def test_presets_follow_the_published_recipes():
    # The recipes the models publish: SD1.5 512² 50 steps CFG, SDXL 1024² 30 steps CFG,
    # FLUX.1-schnell 1024² 4 steps, FLUX.1-dev 1024² 28 steps; SDXL-Turbo 1 step, no CFG.
    cases = {"sd15": (512, 50, True), "sdxl": (1024, 30, True), "sdxl-turbo": (512, 1, False),
             "flux-schnell": (1024, 4, False), "flux-dev": (1024, 28, False)}
    for name, (size, steps, cfg) in cases.items():
        s = resolve_settings(name)
        assert (s.height, s.width, s.steps, s.cfg) == (size, size, steps, cfg)
        assert resolve_settings(name + "-tiny", device="cpu").cfg == cfg
    assert resolve_settings("sdxl").dtype == "bf16"
    assert resolve_settings("sdxl-tiny", device="cpu").dtype == "fp32"


@pytest.mark.parametrize("kwargs, message", [
    ({"preset": "sdxxl"}, "preset: 'sdxxl' is not allowed; valid presets: sd15, sd15-tiny"),
    ({"steps": 0}, "steps: 0 is not allowed; must be an integer >= 1"),
    ({"steps": 2.5}, "steps: 2.5 is not allowed"),
    ({"height": 1000}, "height: 1000 is not allowed; must be a multiple of 64"),
    ({"guidance_scale": float("nan")}, "guidance_scale: nan is not allowed"),
    ({"dtype": "fp8"}, "dtype: 'fp8' is not allowed; use one of fp32, fp16, bf16"),
    ({"scheduler": "flow-euler"}, "scheduler: 'flow-euler' is not allowed for sdxl"),
    ({"batch_sizes": []}, "batch_sizes: () is not allowed"),
    ({"batch_sizes": [1, 0]}, "batch_sizes: 0 is not allowed"),
    ({"latency_runs": 1}, "latency_runs: 1 is not allowed; must be an integer >= 2"),
    ({"window_seconds": 0}, "window_seconds: 0.0 is not allowed; must be > 0"),
    ({"device": "gpu"}, "device: 'gpu' is not allowed; use 'cpu', 'cuda' or 'cuda:N'"),
    ({"weights": "/no/such/folder"}, "weights: '/no/such/folder' is not allowed; no such folder"),
])
def test_bad_settings_name_the_field_and_what_is_allowed(kwargs, message):
    kwargs = {"preset": "sdxl", **kwargs}
    with pytest.raises(InputError) as err:
        resolve_settings(**kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_weights_folder_without_model_index_is_rejected(tmp_path):
    with pytest.raises(InputError, match="not a diffusers folder"):
        resolve_settings("sdxl", weights=str(tmp_path))


# Every device name torch reports for these GPUs -> (catalog GPU, dense bf16/fp16 tensor peak,
# non-tensor FP32 peak) [TFLOP/s], as NVIDIA publishes them (dense: half the datasheets'
# "with sparsity" figures):
# - H100 datasheet (2023-03): SXM 1,979 / 67, PCIe 1,513 / 51 (Hopper whitepaper: 989.4
#   dense); H100 NVL column (per GPU): 1,671 / 60
# - H200 datasheet (2024-11): SXM 1,979 / 67, NVL 1,671 / 60
# - A100 datasheet (2021-06): 312 dense / 19.5, SXM and PCIe, 40 and 80 GB alike
# - L40S datasheet (2023-08): 362.05 / 91.6; L40 datasheet: 181.05 / 90.5
# - L4 datasheet (2023-03): 242 with sparsity ("one-half lower without") / 30.3
# - GB200 NVL72 page, HGX B200 column: 4.5 PFLOP/s with sparsity / 75
# - Ada whitepaper v2.01, RTX 4090: 165.2 with FP32 accumulate / 82.6
DEVICE_NAMES = [
    ("NVIDIA H100 80GB HBM3", "h100", 989.4, 67.0),
    ("NVIDIA H100 PCIe", "h100_pcie", 756.0, 51.0),
    ("NVIDIA H100 NVL", "h100_nvl", 835.5, 60.0),
    ("NVIDIA H200", "h200", 989.4, 67.0),
    ("NVIDIA H200 NVL", "h200_nvl", 835.5, 60.0),
    ("NVIDIA A100-SXM4-40GB", "a100_40gb", 312.0, 19.5),
    ("NVIDIA A100-SXM4-80GB", "a100_80gb", 312.0, 19.5),
    ("NVIDIA A100-PCIE-40GB", "a100_40gb", 312.0, 19.5),
    ("NVIDIA A100 80GB PCIe", "a100_80gb", 312.0, 19.5),
    ("NVIDIA L40S", "l40s", 362.05, 91.6),
    ("NVIDIA L40", "l40", 181.05, 90.5),
    ("NVIDIA L4", "l4", 121.0, 30.3),
    ("NVIDIA GeForce RTX 4090", "rtx4090", 165.2, 82.6),
    ("NVIDIA B200", "b200", 2250.0, 75.0),
]


@pytest.fixture(scope="module")
def catalog():
    from costlib.catalog import load_catalog

    return load_catalog()


def _row_value(catalog, gpu, quantity):
    rows = catalog.rows("gpu_hardware", gpu=gpu, quantity=quantity)
    return rows[0].value if rows else None


@pytest.mark.parametrize("name, gpu, bf16, fp32", DEVICE_NAMES)
def test_each_device_name_gets_its_gpus_dense_peak_per_dtype(catalog, name, gpu, bf16, fp32):
    for dtype in ("bf16", "fp16"):
        got = gpu_peaks(name, dtype, catalog=catalog)
        assert (got["gpu"], got["dtype_peak"]) == (gpu, "peak_bf16_tflops")
        assert got["peak_tflops"] == _row_value(catalog, gpu, "peak_bf16_tflops") == bf16
        assert got["practical_peak_tflops"] == _row_value(catalog, gpu, "practical_bf16_tflops")
        assert got["mig_fraction"] is None
    got = gpu_peaks(name, "fp32", catalog=catalog)
    assert (got["gpu"], got["dtype_peak"]) == (gpu, "peak_fp32_tflops")
    assert got["peak_tflops"] == _row_value(catalog, gpu, "peak_fp32_tflops") == fp32
    assert got["practical_peak_tflops"] is None  # no practical fp32 rate in the catalog
    assert f"gpu_hardware {gpu}_peak_fp32: NVIDIA" in got["source"]


def test_fp32_runs_use_the_fp32_peak_not_the_bf16_one(catalog):
    # torch's default float32 matmul precision is "highest" (no TF32): an fp32 run on an H100
    # SXM is held against its 67 TFLOP/s, not the 989.4 of bf16
    fp32, bf16 = (gpu_peaks("NVIDIA H100 80GB HBM3", d, catalog=catalog) for d in ("fp32", "bf16"))
    assert (fp32["peak_tflops"], bf16["peak_tflops"]) == (67.0, 989.4)
    assert (fp32["practical_peak_tflops"], bf16["practical_peak_tflops"]) == (None, 800.0)


def test_nvl_boards_are_not_their_sxm_twins(catalog):
    # The H200 NVL got the H200 SXM's 989.4 TFLOP/s and its practical GEMM rate
    nvl, sxm = (gpu_peaks(n, "bf16", catalog=catalog) for n in ("NVIDIA H200 NVL", "NVIDIA H200"))
    assert (nvl["gpu"], nvl["peak_tflops"], nvl["practical_peak_tflops"]) == \
        ("h200_nvl", 835.5, None)
    assert (sxm["gpu"], sxm["peak_tflops"], sxm["practical_peak_tflops"]) == ("h200", 989.4, 800.0)
    assert gpu_peaks("NVIDIA H100 NVL", "bf16", catalog=catalog)["gpu"] == "h100_nvl"


@pytest.mark.parametrize("name, multiprocessors, gpu, fraction", [
    # A100 whitepaper: 108 SMs, a MIG compute slice 14 (3g.20gb: 42); Hopper whitepaper: H100
    # SXM5 132 SMs, a 1g.10gb slice 16
    ("NVIDIA A100-SXM4-40GB MIG 3g.20gb", 42, "a100_40gb", 42 / 108),
    ("NVIDIA H100 80GB HBM3 MIG 1g.10gb", 16, "h100", 16 / 132),
    ("NVIDIA A100-SXM4-80GB MIG 7g.80gb", 98, "a100_80gb", 98 / 108),
    ("NVIDIA A100-SXM4-80GB", 98, "a100_80gb", 98 / 108),  # fewer SMs than the board: a slice
])
def test_a_mig_slice_gets_its_share_of_the_board(catalog, name, multiprocessors, gpu, fraction):
    got = gpu_peaks(name, "bf16", multiprocessors, catalog=catalog)
    assert (got["gpu"], got["mig_fraction"]) == (gpu, pytest.approx(fraction))
    board = _row_value(catalog, gpu, "peak_bf16_tflops")
    assert got["peak_tflops"] == pytest.approx(board * fraction)
    assert f"gpu_hardware {gpu}_sm_count" in got["source"]
    if gpu == "h100":  # the practical large-GEMM rate shrinks with the slice too
        assert got["practical_peak_tflops"] == pytest.approx(800.0 * fraction)


def test_a_whole_board_is_no_slice_and_an_unmeasured_slice_has_no_peak(catalog):
    whole = gpu_peaks("NVIDIA H100 80GB HBM3", "bf16", 132, catalog=catalog)
    assert (whole["peak_tflops"], whole["mig_fraction"]) == (989.4, None)
    unknown_share = gpu_peaks("NVIDIA A100-SXM4-40GB MIG 1g.5gb", "bf16", catalog=catalog)
    assert unknown_share == {"gpu": "a100_40gb", "dtype_peak": "peak_bf16_tflops",
                             "peak_tflops": None, "practical_peak_tflops": None,
                             "mig_fraction": None, "source": None}


@pytest.mark.parametrize("name", ["NVIDIA GH200 480GB", "NVIDIA H100", "Tesla T4",
                                  "NVIDIA RTX 6000 Ada Generation", "NVIDIA L40G", ""])
def test_an_unknown_device_name_has_no_peak(catalog, name):
    # "GH200" holds "H200", "L40G" holds "L40" and "L4": whole words only
    assert gpu_peaks(name, "bf16", 100, catalog=catalog) == {
        "gpu": None, "dtype_peak": "peak_bf16_tflops", "peak_tflops": None,
        "practical_peak_tflops": None, "mig_fraction": None, "source": None}


@pytest.mark.parametrize("kwargs, message", [
    ({"dtype": "fp8"}, "dtype: 'fp8' is not allowed; use one of fp32, fp16, bf16"),
    ({"multiprocessors": 0}, "multiprocessors: 0 is not allowed; must be an integer >= 1"),
    ({"multiprocessors": 1.5}, "multiprocessors: 1.5 is not allowed; must be an integer >= 1"),
])
def test_bad_peak_arguments_name_the_field(kwargs, message):
    with pytest.raises(InputError) as err:
        gpu_peaks(**{"gpu_name": "NVIDIA L4", "dtype": "bf16", **kwargs})
    assert str(err.value) == message


# --- the result file ------------------------------------------------------------------------

def test_json_round_trip(tmp_path):
    written = leaf()
    path = write_result_atomic(tmp_path / "r.json", written)
    data = json.loads(path.read_text())
    assert data == {**written, "updated_at": data["updated_at"]}
    result = read_result(path)
    assert isinstance(result, ProbeResult)
    assert (result.model, result.best_images_per_hour, result.best_batch_size) == \
        ("sdxl", 3600.0, 1)
    assert (result.p50_latency_s, result.avg_watts, result.energy_wh_per_image) == \
        (2.0, 500.0, 0.1)
    assert (result.dtype, result.height, result.steps, result.path) == \
        ("bf16", 1024, 30, str(path))
    assert result.data["environment"]["hostname"] == "gpu-1"
    assert (tmp_path / "r.csv").read_text().splitlines()[0].startswith("preset,model,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json"]  # no temp files


def test_non_finite_numbers_are_written_as_null(tmp_path):
    path = write_result_atomic(tmp_path / "r.json", leaf(mfu=float("nan")))
    assert json.loads(path.read_text())["mfu"] is None
    assert read_result(path).mfu is None


@pytest.mark.parametrize("change, message", [
    ({"schema_version": 99}, "schema_version: 99 is not allowed; this costlib reads version 1"),
    ({"schema_version": "1"}, "schema_version: '1' is not allowed; this costlib reads version 1"),
    ({"kind": "other"}, "kind: 'other' is not allowed; must be 'costlib.probe.result'"),
    ({"best_images_per_hour": -1.0}, "best_images_per_hour: -1.0 is not allowed; must be > 0"),
    ({"best_images_per_hour": float("nan")}, "not valid JSON: NaN is not allowed"),
    ({"best_images_per_hour": None, "status": "failed"},
     "best_images_per_hour: None is not allowed; the probe measured no batch size (status "
     "'failed'); run it again"),
    ({"best_batch_size": 0}, "best_batch_size: 0 is not allowed; must be >= 1"),
    ({"device_count": "2"}, "device_count: '2' is not allowed; must be a whole number"),
    ({"device_count": True}, "device_count: True is not allowed; must be a whole number"),
    ({"p50_latency_s": -0.5}, "p50_latency_s: -0.5 is not allowed; must be >= 0"),
    ({"measured_at": "2026-11-01 12:00"}, "measured_at: '2026-11-01 12:00' is not allowed; must be "
                                          "an ISO 8601 time with a UTC offset"),
    ({"status": "done"}, "status: 'done' is not allowed; must be one of 'running', 'complete', "
                         "'interrupted' or 'failed'"),
    ({"gpu_name": None}, "gpu_name: None is not allowed; must be text"),
    ({"model": "sdxxl"}, "model: 'sdxxl' is not allowed; must be one of sd15, sdxl, sdxl-turbo,"),
    ({"settings": {"dtype": "bf16", "height": 1024, "width": 1024}},
     "settings.steps: missing; it is required"),
])
def test_bad_result_files_name_the_file_and_the_field(tmp_path, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(leaf(**change)))
    with pytest.raises(InputError) as err:
        read_result(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_key_unreadable_and_invalid_files(tmp_path):
    data = leaf()
    del data["preset"]
    (tmp_path / "a.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"a\.json: preset: missing; it is required"):
        read_result(tmp_path / "a.json")
    with pytest.raises(InputError, match=r"nope\.json: cannot be read"):
        read_result(tmp_path / "nope.json")
    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(InputError, match=r"b\.json: not valid JSON \(line 1"):
        read_result(tmp_path / "b.json")


def test_combine_adds_throughputs_and_keeps_the_devices():
    a = leaf(rate=3600.0, batch=2, watts=500.0, wh=0.10)
    b = leaf(rate=1800.0, batch=4, gpu="NVIDIA A100-SXM4-80GB", watts=300.0, wh=0.20)
    merged = combine([a, b])
    assert merged["best_images_per_hour"] == 5400.0
    assert merged["device_count"] == 2
    assert merged["best_batch_size"] == 4
    assert merged["gpu_name"] == "NVIDIA H100 80GB HBM3 + NVIDIA A100-SXM4-80GB"
    assert merged["avg_watts"] == pytest.approx(400.0)
    # total energy over total images: (0.1 * 3600 + 0.2 * 1800) / 5400
    assert merged["energy_wh_per_image"] == pytest.approx(720.0 / 5400.0)
    assert len(merged["devices"]) == 2
    # merging a merge flattens it
    again = combine([merged, leaf(rate=600.0, watts=None)])
    assert again["best_images_per_hour"] == 6000.0
    assert len(again["devices"]) == 3
    assert again["avg_watts"] is None


def test_combine_refuses_different_recipes():
    with pytest.raises(InputError, match=r"b\.json: settings\.steps: 20 is not allowed; it must "
                                         r"match 30 of a\.json"):
        other = leaf()
        other["settings"] = {**other["settings"], "steps": 20}
        combine([leaf(), other], ["a.json", "b.json"])
    with pytest.raises(InputError, match="model: 'flux-dev' is not allowed"):
        combine([leaf(), leaf(model="flux-dev")])


def test_merge_files_and_the_merge_command(tmp_path, capsys):
    write_result_atomic(tmp_path / "a.json", leaf())
    write_result_atomic(tmp_path / "b.json", leaf(rate=1200.0))
    out = merge_files([tmp_path / "a.json", tmp_path / "b.json"], tmp_path / "ab.json")
    assert read_result(out).best_images_per_hour == 4800.0
    code = cli.main(["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"),
                     "-o", str(tmp_path / "cli.json")])
    assert code == 0
    result = read_result(tmp_path / "cli.json")
    assert (result.best_images_per_hour, result.device_count) == (4800.0, 2)
    assert len((tmp_path / "cli.csv").read_text().splitlines()) == 1 + 4
    assert "merged 2 results" in capsys.readouterr().out


def test_merging_results_of_different_gpus_keeps_each_gpu_apart(tmp_path):
    # `probe merge l40s.json l4.json` summed an L40S and an L4 into one 'NVIDIA L40S + NVIDIA
    # L4' machine; candidates measured side by side stay apart, per GPU
    paths = []
    for i, (gpu, rate, watts) in enumerate([("NVIDIA L40S", 1000.0, 300.0),
                                            ("NVIDIA L40S", 1100.0, 320.0),
                                            ("NVIDIA L4", 300.0, 70.0)]):
        paths.append(write_result_atomic(tmp_path / f"{i}.json",
                                         leaf(rate=rate, gpu=gpu, watts=watts)))
    merged = read_result(merge_files(paths, tmp_path / "all.json"))
    assert [(g.gpu_name, g.device_count, g.images_per_hour) for g in merged.gpus] == \
        [("NVIDIA L40S", 2, 2100.0), ("NVIDIA L4", 1, 300.0)]
    l40s, l4 = merged.gpus
    assert (l40s.images_per_hour_per_gpu, l40s.avg_watts) == (1050.0, 310.0)
    assert (l4.images_per_hour_per_gpu, l4.avg_watts) == (300.0, 70.0)
    written = json.loads((tmp_path / "all.json").read_text())["gpus"]
    assert written[0] == {"gpu_name": "NVIDIA L40S", "device_count": 2,
                          "images_per_hour": 2100.0, "avg_watts": 310.0,
                          "images_per_hour_per_gpu": 1050.0}
    assert merged.data["sustained_images_per_hour"] is None  # not every device has one
    # a merge of merges regroups from the devices
    again = read_result(merge_files([tmp_path / "all.json",
                                     write_result_atomic(tmp_path / "3.json",
                                                         leaf(rate=320.0, gpu="NVIDIA L4"))],
                                    tmp_path / "again.json"))
    assert [(g.gpu_name, g.device_count, g.images_per_hour) for g in again.gpus] == \
        [("NVIDIA L40S", 2, 2100.0), ("NVIDIA L4", 2, 620.0)]


def test_a_merge_keeps_each_devices_warnings_and_sums_sustained_rates():
    hot = leaf(device="cuda:1", sustained_images_per_hour=900.0,
               warnings=["sustained throughput 90% of the best window (under 97%)"])
    merged = combine([leaf(sustained_images_per_hour=1000.0, warnings=[]), hot])
    assert merged["sustained_images_per_hour"] == 1900.0
    assert merged["warnings"] == ["cuda:1 (NVIDIA H100 80GB HBM3): sustained throughput 90% "
                                  "of the best window (under 97%)"]


@pytest.mark.parametrize("catalog_gpu, device, runs", [
    ("l4", "NVIDIA L4", True),
    ("l4", "NVIDIA L40S", False),  # "l4" was found inside "nvidial40s"
    ("l40s", "NVIDIA L40S", True),
    ("l40s", "NVIDIA L40", False),
    ("rtx4090", "NVIDIA GeForce RTX 4090", True),
    ("a100_80gb", "NVIDIA A100 80GB PCIe", True),
    ("a100_80gb", "NVIDIA A100-SXM4-40GB", False),
    ("a100_40gb", "NVIDIA A100-SXM4-40GB MIG 3g.20gb", True),
    ("h100_pcie", "NVIDIA H100 PCIe", True),
    ("h100_pcie", "NVIDIA H100 80GB HBM3", False),
    ("h100", "NVIDIA H100 PCIe", True),  # a bare h100 is any H100, as the rental rows are
    ("h200", "NVIDIA GH200 480GB", False),
    ("a10g", "NVIDIA A10G", True),
    ("a10", "NVIDIA A10G", False),
])
def test_an_option_runs_on_a_device_by_whole_words(catalog_gpu, device, runs):
    from costlib.probe.result import runs_on

    assert runs_on(catalog_gpu, device) is runs


def test_a_multi_gpu_run_gives_options_the_throughput_of_one_gpu(tmp_path):
    # `--devices all` on two RTX 4090s (1,000 + 800 images/h) set 1,800 images/h as the
    # throughput of ONE GPU of the option: sizing then needed half the GPUs it does
    from costlib.probe.result import apply_to_scenario

    two = combine([leaf(rate=1000.0, gpu="NVIDIA GeForce RTX 4090", watts=400.0),
                   leaf(rate=800.0, gpu="NVIDIA GeForce RTX 4090", watts=440.0)])
    path = write_result_atomic(tmp_path / "two.json", two)
    applied = apply_to_scenario(_scenario(), path, ["rtx4090_owned"]).options[4].set
    assert applied["images_per_hour"].value == 900.0
    assert applied["board_watts"].value == 420.0
    assert "NVIDIA GeForce RTX 4090, per GPU of 2" in applied["images_per_hour"].source


def test_a_result_of_several_gpus_applies_one_gpu_at_a_time(tmp_path):
    from costlib.probe.result import apply_to_scenario

    both = combine([leaf(rate=1000.0, gpu="NVIDIA GeForce RTX 4090"),
                    leaf(rate=3000.0, gpu="NVIDIA H100 80GB HBM3")])
    path = write_result_atomic(tmp_path / "both.json", both)
    with pytest.raises(InputError, match=r"both\.json: a result of several GPUs \(NVIDIA "
                                         r"GeForce RTX 4090, NVIDIA H100 80GB HBM3\) is not "
                                         r"allowed here"):
        apply_to_scenario(_scenario(), path, ["rtx4090_owned"])
    applied = apply_to_scenario(_scenario(), path, ["rtx4090_owned"],
                                gpu_name="NVIDIA GeForce RTX 4090")
    assert applied.options[4].set["images_per_hour"].value == 1000.0
    with pytest.raises(InputError, match="gpu_name: 'NVIDIA L4' is not allowed; the result holds"):
        apply_to_scenario(_scenario(), path, ["rtx4090_owned"], gpu_name="NVIDIA L4")


def _at_batch(batch: int, path) -> tuple[float, float, int, str]:
    """The default scenario's owned RTX 4090 at ``batch`` with a probe result applied: its
    images/h, board power, batch size and the source of its images/h."""
    from costlib.probe.result import apply_to_scenario

    scenario = _scenario()
    data = scenario.model_dump(mode="json")
    data["options"][4]["batch_size"] = batch
    owned = apply_to_scenario(parse_scenario(data), path, ["rtx4090_owned"]).options[4]
    return (owned.set["images_per_hour"].value, owned.set["board_watts"].value,
            owned.batch_size, owned.set["images_per_hour"].source)


def test_a_probe_result_applies_at_the_options_batch_size(tmp_path):
    """The probe measured 900 images/h at 380 W at batch 1 and 1,000 at 400 W at batch 2 (its
    best): an option at batch 1 takes 900 and 380 W, one at batch 4 (not swept) runs at the
    best batch size, 2, with 1,000 and 400 W."""
    one = leaf(rate=1000.0, batch=2, gpu="NVIDIA GeForce RTX 4090", watts=400.0, batches=[
        {"batch_size": 1, "fits": True, "images_per_hour": 900.0, "avg_watts": 380.0},
        {"batch_size": 2, "fits": True, "images_per_hour": 1000.0, "avg_watts": 400.0},
        {"batch_size": 4, "fits": False, "images_per_hour": None}])
    path = write_result_atomic(tmp_path / "probe.json", one)
    rate, watts, runs_at, source = _at_batch(1, path)
    assert (rate, watts, runs_at) == (900.0, 380.0, 1)
    assert source.startswith("probe result probe.json") and source.endswith(" at a batch of 1")
    assert _at_batch(2, path)[:3] == (1000.0, 400.0, 2)
    assert _at_batch(4, path)[:3] == (1000.0, 400.0, 2)


def test_a_merged_result_applies_each_gpus_own_batch_sweep(tmp_path):
    """Two RTX 4090s (best at batch 2: 1,000 and 800 images/h; at batch 1: 900 and 700) merged
    with an H100 best at batch 8: the 4090 option at batch 1 takes (900 + 700) / 2 = 800 per
    GPU, and one at batch 4 runs at the 4090s' best batch, 2 (not the H100's 8), with 900."""
    def rtx(rate, at_one):
        return leaf(rate=rate, batch=2, gpu="NVIDIA GeForce RTX 4090", watts=400.0, batches=[
            {"batch_size": 1, "fits": True, "images_per_hour": at_one},
            {"batch_size": 2, "fits": True, "images_per_hour": rate}])

    merged = combine([rtx(1000.0, 900.0), rtx(800.0, 700.0),
                      leaf(rate=3000.0, batch=8, gpu="NVIDIA H100 80GB HBM3")])
    path = write_result_atomic(tmp_path / "merged.json", merged)
    from costlib.probe.result import apply_to_scenario

    for batch, rate, runs_at in ((1, 800.0, 1), (4, 900.0, 2)):
        data = _scenario().model_dump(mode="json")
        data["options"][4]["batch_size"] = batch
        owned = apply_to_scenario(parse_scenario(data), path, ["rtx4090_owned"],
                                  gpu_name="NVIDIA GeForce RTX 4090").options[4]
        assert (owned.set["images_per_hour"].value, owned.batch_size) == (rate, runs_at)
        assert owned.set["board_watts"].value == 400.0  # no power per batch: the best window's


# --- command line (no torch needed) ---------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--device", "cpu"], "preset: None is not allowed; pass --preset, one of sd15,"),
    (["--preset", "nope", "--device", "cpu"], "preset: 'nope' is not allowed; valid presets:"),
    (["--preset", "sdxl-tiny", "--steps", "abc"], "steps: 'abc' is not allowed; must be an "
                                                   "integer"),
    (["--preset", "sdxl-tiny", "--window-seconds", "-1"], "window_seconds: -1.0 is not allowed"),
    (["--preset", "sdxl-tiny", "--batch-sizes", "1,x"], "batch_sizes: 'x' is not allowed"),
    (["--preset", "sdxl-tiny", "--weights", "/no/such"], "weights: '/no/such' is not allowed; "
                                                          "no such folder"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["merge", "/no/a.json", "-o", "/tmp/x.json"], "/no/a.json: cannot be read"),
    (["merge", "/no/a.json", "-o", "/"], "--out: '/' is not allowed; it is a folder"),
])
def test_cli_errors_are_one_line_with_exit_code_2(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("costlib probe: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_cli_lists_the_presets(capsys):
    assert cli.main(["--list-presets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PRESETS)


def test_register_adds_probe_and_merge_to_a_top_level_parser():
    top = argparse.ArgumentParser(prog="costlib")
    cli.register(top.add_subparsers(dest="command"))
    args = top.parse_args(["probe", "--preset", "sdxl", "--devices", "all"])
    assert (args.command, args.preset, args.devices, args.func) == \
        ("probe", "sdxl", "all", cli.run_command)
    args = top.parse_args(["probe", "merge", "a.json", "b.json", "-o", "c.json"])
    assert (args.probe_command, args.inputs, args.out) == ("merge", ["a.json", "b.json"],
                                                           "c.json")


def test_importing_the_probe_does_not_import_torch():
    code = ("import sys, costlib.probe, costlib.probe.result, costlib.probe.cli; "
            "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'tokenizers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_python_m_costlib_probe_runs():
    proc = subprocess.run([sys.executable, "-m", "costlib.probe", "--preset", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("costlib probe: error: preset: 'nope' is not allowed")


# --- applied only when complete and comparable; a run counts once ---------------------------

def _scenario():
    from costlib.scenario import load_scenario, preset_path

    return load_scenario(preset_path("default"))  # sdxl at 1024x1024


@pytest.mark.parametrize("change, found", [
    ({"status": "failed"}, "status 'failed'"),
    ({"status": "interrupted"}, "status 'interrupted'"),
    ({"model": "sdxl-tiny", "preset": "sdxl-tiny"}, "model 'sdxl-tiny', not 'sdxl'"),
    ({"settings": {"dtype": "bf16", "height": 64, "width": 64, "steps": 30}},
     "64x64 px, not 1024x1024"),
    ({"settings": {"dtype": "bf16", "height": 1024, "width": 1024, "steps": 1}},
     "1 steps, not 30"),
    # an fp32 run is about half as fast as the bf16 the option runs at
    ({"settings": {"dtype": "fp32", "height": 1024, "width": 1024, "steps": 30}},
     "measured in fp32, RTX 4090 owned runs in bf16"),
])
def test_a_result_not_comparable_with_the_scenario_is_refused(tmp_path, change, found):
    # A failed run, or one measured at 64x64 with 1 step, was applied to a 1024x1024
    # scenario without a word.
    from costlib.probe.result import apply_to_scenario

    path = write_result_atomic(tmp_path / "r.json", leaf(**change))
    with pytest.raises(InputError, match="the probe result is not allowed") as err:
        apply_to_scenario(_scenario(), path, ["rtx4090_owned"])
    assert found in str(err.value) and "--accept-probe-mismatch" in str(err.value)
    accepted = apply_to_scenario(_scenario(), path, ["rtx4090_owned"], accept_mismatch=True)
    measured = accepted.options[4].set["images_per_hour"]
    assert measured.value == 3600.0 and f"accepted although {found}" in measured.source


def test_a_comparable_result_applies_quietly(tmp_path):
    from costlib.probe.result import apply_to_scenario

    path = write_result_atomic(tmp_path / "r.json", leaf())
    applied = apply_to_scenario(_scenario(), path, ["rtx4090_owned"])
    assert "accepted although" not in applied.options[4].set["images_per_hour"].source
    # fp16 and bf16 are the same 16-bit arithmetic
    fp16 = leaf(settings={"dtype": "fp16", "height": 1024, "width": 1024, "steps": 30})
    applied = apply_to_scenario(_scenario(), write_result_atomic(tmp_path / "h.json", fp16),
                                ["rtx4090_owned"])
    assert "accepted although" not in applied.options[4].set["images_per_hour"].source


def test_the_same_run_is_merged_once(tmp_path):
    # `probe merge a.json a.json` doubled the measured throughput
    write_result_atomic(tmp_path / "a.json", leaf())
    with pytest.raises(InputError, match=r"a\.json: the run of 'cuda:0' measured at .* is "
                                         r"not allowed; it is in .*a\.json already"):
        merge_files([tmp_path / "a.json", tmp_path / "a.json"], tmp_path / "ab.json")
    merged = merge_files([tmp_path / "a.json"], tmp_path / "m.json")
    with pytest.raises(InputError, match="already"):  # nor a merge and one of its parts
        merge_files([merged, tmp_path / "a.json"], tmp_path / "again.json")
    old = {k: v for k, v in leaf().items() if k != "run_id"}  # results without a run id
    with pytest.raises(InputError, match="already"):
        combine([old, dict(old)])
    assert combine([old, {**old, "device": "cuda:1"}])["device_count"] == 2
