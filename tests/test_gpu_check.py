"""benchmarks/gpu_check.py: the one-shot GPU check (its comparison, and its line on a CPU).

Reference values: the expected ranges the issue derives for an H100 SXM from public figures
(stable-fast README 2023, diffusers "accelerate inference" tutorial 2024, MLPerf as a
ceiling); an SDXL image is 416,256 GFLOP (data/model_flops.csv).
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_check)


def result(s_per_image: dict, watts=550.0, peak_tflops=989.0, weights_gb=6.94, peak_gb=10.5):
    """A probe result with these seconds per image by batch size."""
    batches = [{"batch_size": b, "fits": True, "seconds_per_image": s,
                "images_per_hour": 3600 / s, "mfu": 416.256 / s / peak_tflops,
                "avg_watts": watts} for b, s in s_per_image.items()]
    return {"status": "complete", "batches": batches,
            "cold_start": {"weights_bytes": weights_gb * 1e9},
            "latency": {"peak_allocated_bytes": peak_gb * 1e9}}


def flags(rows):
    return {r["figure"]: r["flag"] for r in rows if r["flag"]}


def test_an_h100_inside_the_public_figures_is_not_flagged():
    eager, compiled = result({1: 1.95, 4: 1.6}), result({1: 1.7, 4: 1.45})
    rows = gpu_check.check_rows(eager, compiled, "NVIDIA H100 80GB HBM3")
    assert flags(rows) == {}
    best = next(r for r in rows if r["figure"] == "best [s/image]")
    assert best["measured"] == 1.45 and (best["expected_low"], best["expected_high"]) == (1.3, 1.7)


def test_an_fp32_like_run_is_flagged_with_the_suspects():
    eager = result({1: 5.0, 4: 4.6})
    rows = gpu_check.check_rows(eager, result({1: 4.4}), "NVIDIA H100 80GB HBM3")
    flagged = flags(rows)
    assert flagged["eager batch 1 [s/image]"].startswith("OUTSIDE 1-2.8 s: suspect fp32")
    assert flagged["eager batch 1 MFU"] == "OUTSIDE"
    assert "board power [W]" not in flagged


def test_h200_ranges_are_3_to_8_percent_faster_and_other_gpus_have_none():
    h200 = gpu_check.expected("h200")
    assert h200["eager batch 1 [s/image]"] == pytest.approx((1.7 / 1.08, 2.2 / 1.03))
    assert h200["best [images/hour]"] == pytest.approx((2100 * 1.03, 2750 * 1.08))
    assert gpu_check.gpu_family("NVIDIA H200") == "h200"
    assert gpu_check.gpu_family("NVIDIA A100-SXM4-80GB") == "a100"
    # the NVL and PCIe boards run lower clocks (835.5 and 756 TFLOP/s against the SXM's 989.4)
    assert gpu_check.gpu_family("NVIDIA H200 NVL") is None
    assert gpu_check.gpu_family("NVIDIA H100 PCIe") is None
    assert gpu_check.gpu_family("NVIDIA L40S") is None
    rows = gpu_check.check_rows(result({1: 4.0}), {}, "NVIDIA L40S")
    assert flags(rows)["compiled batch 1 [s/image]"] == "not measured"
    assert "eager batch 1 [s/image]" not in flags(rows)  # no range, no sanity band


def test_make_gpu_check_without_a_gpu_prints_one_line_and_exits_0():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the check would run for 8 minutes")
    # -o: the environment counts as installed (the suite runs inside it)
    done = subprocess.run(["make", "-s", "-o", ".venv/.installed", "gpu-check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu-check: no CUDA GPU on this machine")


def test_both_runs_fit_the_budget_and_the_compiled_run_skips_the_inductor_tuning(monkeypatch,
                                                                               tmp_path):
    """On a GPU: an eager run that hangs to its timeout leaves the compiled run only what is
    left of BUDGET_S (the check ends inside its 10-minute slot, the summary printed), and
    the compiled run compiles the published layout in the default mode, without the
    recipe's coordinate-descent tuning (minutes per batch size for SDXL)."""
    import types

    torch = pytest.importorskip("torch")
    clock, calls = [1000.0], []

    def run(cmd, timeout):
        calls.append((cmd, timeout))
        clock[0] += timeout  # each run takes all the time it is given
        raise subprocess.TimeoutExpired(cmd, timeout)

    monkeypatch.setattr(torch.version, "cuda", "12.4")  # a CUDA build
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA H200")
    monkeypatch.setattr(gpu_check, "subprocess",
                        types.SimpleNamespace(run=run, TimeoutExpired=subprocess.TimeoutExpired))
    monkeypatch.setattr(gpu_check, "time", types.SimpleNamespace(perf_counter=lambda: clock[0]))
    code = gpu_check.main(["--out", str(tmp_path)])
    assert code == 1 and [timeout for _, timeout in calls] == [
        gpu_check.EAGER_TIMEOUT_S, gpu_check.BUDGET_S - gpu_check.EAGER_TIMEOUT_S]
    assert sum(timeout for _, timeout in calls) <= gpu_check.BUDGET_S <= 540
    compiled = calls[1][0]
    recipe = compiled[compiled.index("--compile-recipe") + 1]
    mode = compiled[compiled.index("--compile-mode") + 1]
    assert (recipe, mode) == ("published-layout", "default")
    assert gpu_check.run_timeout("compiled", gpu_check.BUDGET_S) <= 0


def test_a_complete_run_becomes_a_row_the_catalog_loads(tmp_path):
    """The check's best measurement, as a row of data/throughput.csv: an H200 compiled run
    best at batch 4, 1.5 s/image = 2,400 images/h, loads beside the shipped rows with its
    conditions in the note; a run that did not complete gives none."""
    import csv
    import datetime as dt
    import shutil

    from costlib.catalog import load_catalog

    run = {**result({1: 1.8, 4: 1.5}), "gpu_name": "NVIDIA H200", "model": "sdxl",
           "best_batch_size": 4, "best_images_per_hour": 2400.0,
           "measured_at": "2026-12-01T10:00:00+00:00",
           "settings": {"dtype": "bf16", "steps": 30, "width": 1024, "height": 1024},
           "environment": {"torch": "2.11.0", "cuda": "13.0", "driver": "580.159.03"},
           "compile": {"enabled": True, "mode": "default", "recipe": "published-layout"}}
    row = gpu_check.throughput_row("compiled", run)
    assert gpu_check.throughput_row("eager", {**run, "status": "failed"}) is None
    tables = tmp_path / "data"
    shutil.copytree(ROOT / "data", tables, ignore=shutil.ignore_patterns("__pycache__"))
    with (tables / "throughput.csv").open() as f:
        assert list(row) == next(csv.reader(f))  # the table's columns, in order
    gpu_check.write_csv(tmp_path / "rows.csv", [row])
    with (tables / "throughput.csv").open("a") as f:
        f.write((tmp_path / "rows.csv").read_text().split("\n", 1)[1])
    entry = load_catalog(directory=tables, today=dt.date(2026, 12, 1)).get(
        "throughput", "sdxl_h200_costlib_probe_compiled")
    assert (entry.value, entry.unit, entry.extra["batch"], entry.extra["precision"]) == \
        (2400, "images/h", 4, "16-bit")
    assert "torch.compile default mode, published-layout recipe" in entry.note
    assert "1.500 s/image at batch 4, 550 W board power; torch 2.11.0" in entry.note
