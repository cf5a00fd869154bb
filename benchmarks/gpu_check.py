"""One-shot GPU check of the probe: SDXL on one H100, H200 or A100, against public figures.

Runs ``costlib probe`` twice on the first GPU, SDXL 1024x1024, 30 steps, bf16, random
weights (nothing downloaded), batch sizes 1 and 4 -- eager, then compiled (the published
recipe's layout: channels_last, fullgraph, UNet and VAE decode; the "default" compile mode
and none of the recipe's Inductor settings, since max-autotune or its coordinate-descent
tuning alone would take longer than the whole check) -- about 8 minutes in all, and never
more than `BUDGET_S`: each run gets what is left of it (a run cut short keeps what it
measured, batch 1 before batch 4). It writes both results (JSON and CSV) and
``gpu-check.csv`` into the output folder and prints each measured figure beside its expected
range, flagging anything outside. Each complete run's best measurement is written as a row of
data/throughput.csv, its conditions in the note (``throughput-rows.csv``).

On a machine without a CUDA GPU it says so in one line and exits 0.

Usage: ``make gpu-check`` or ``.venv/bin/python benchmarks/gpu_check.py [--out DIR]``.
Exit code: 0 checked (flags are printed, not failures), 1 a probe run failed.

Expected ranges (H100 SXM, SDXL 1024x1024, 30 steps, bf16), from public figures: the
stable-fast README (2023: H100 SDXL batch 1, fp16, 14.9 it/s eager, 18.5 compiled) and the
diffusers "accelerate inference" tutorial (2024: A100 80GB SDXL batch 1, bf16 + SDPA 3.31 s,
+ torch.compile 2.54 s) scaled, MLPerf Inference SDXL as a ceiling. An H200 is 3-8 % faster
than an H100 (same compute, more memory bandwidth). MFU is against the dense bf16 peak.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

from costlib.files import write_atomic
from costlib.probe.presets import gpu_key
from costlib.probe.result import ARITHMETIC

# (what, low, high, unit) per GPU; seconds per image and MFU at a batch size, the best
# seconds per image over both runs, weights and peak memory, board power.
H100 = {
    "eager batch 1 [s/image]": (1.7, 2.2),
    "eager batch 1 MFU": (0.19, 0.25),
    "compiled batch 1 [s/image]": (1.5, 1.9),
    "best [s/image]": (1.3, 1.7),
    "best [images/hour]": (2100, 2750),
    "best MFU": (0.25, 0.32),
    "weights [GB]": (6.6, 7.2),
    "peak allocated, batch 1 [GB]": (9, 13),
    "board power [W]": (450, 650),
}
FASTER = {"h200": (1.03, 1.08)}  # speed-up over the H100 (low, high)
A100 = {  # the tutorial's 3.31 s eager and 2.54 s compiled, +-12 %; power: 400 W board
    "eager batch 1 [s/image]": (2.9, 3.7),
    "eager batch 1 MFU": (0.36, 0.46),
    "compiled batch 1 [s/image]": (2.25, 2.85),
    "best [s/image]": (2.0, 2.85),
    "best [images/hour]": (1260, 1800),
    "best MFU": (0.47, 0.67),
    "weights [GB]": (6.6, 7.2),
    "peak allocated, batch 1 [GB]": (9, 13),
    "board power [W]": (250, 400),
}
# Outside this band the run is wrong, not slow: fp32, the math attention backend, a
# CPU-bound host, throttling or a MIG slice (for an H100 or H200).
SANE_S_PER_IMAGE = (1.0, 2.8)
SUSPECTS = "suspect fp32, the math attention backend, a CPU-bound host, throttling or MIG"
PLAN = ["--preset", "sdxl", "--dtype", "bf16", "--batch-sizes", "1,4", "--warmup-runs", "2",
        "--latency-runs", "10", "--window-seconds", "15", "--no-progress"]
# The compiled run's latency calls are not checked (only its windows are): few of them.
RUNS = {"eager": ["--sustained-seconds", "30"],
        "compiled": ["--compile-recipe", "published-layout", "--compile-mode", "default",
                     "--sustained-seconds", "0", "--warmup-runs", "1", "--latency-runs", "3"]}
# The whole check, started inside a 10-minute slot that also holds the install and the summary;
# the eager run (about 3 minutes) may take at most EAGER_TIMEOUT_S of it, the compiled run
# (about 5: two compiles of UNet and VAE decode) the rest.
BUDGET_S = 540.0
EAGER_TIMEOUT_S = 240.0


def run_timeout(label: str, elapsed_s: float) -> float:
    """Seconds the run ``label`` may take when ``elapsed_s`` of `BUDGET_S` are spent
    (<= 0: no time left for it). [s]"""
    left = BUDGET_S - elapsed_s
    return min(left, EAGER_TIMEOUT_S) if label == "eager" else left


# The boards the ranges are for, by the catalog's name of the device (the probe's own name
# rule): SXM H100 and H200, A100 of either memory. NVL and PCIe boards run lower clocks.
FAMILIES = {"h100": "h100", "h200": "h200", "a100_40gb": "a100", "a100_80gb": "a100"}


def gpu_family(gpu_name: str) -> str | None:
    """"h100", "h200", "a100" or None (another GPU, or another board of one), from the
    device name."""
    return FAMILIES.get(gpu_key(gpu_name))


def expected(family: str | None) -> dict:
    """The expected ranges of a GPU family (empty for another GPU)."""
    if family == "a100":
        return A100
    if family not in ("h100", "h200"):
        return {}
    low, high = FASTER.get(family, (1.0, 1.0))
    faster = {"[s/image]": (1 / high, 1 / low), "[images/hour]": (low, high),
              "MFU": (low, high)}
    out = {}
    for what, (lo, hi) in H100.items():
        f_lo, f_hi = next((f for unit, f in faster.items() if what.endswith(unit)), (1, 1))
        out[what] = (lo * f_lo, hi * f_hi)
    if family == "h200":
        out["board power [W]"] = (450, 700)
    return out


def _batch(result: dict, size: int) -> dict:
    return next((b for b in result.get("batches") or [] if b["batch_size"] == size
                 and b["fits"]), {})


def measured(eager: dict, compiled: dict) -> dict:
    """The checked figures of the two results (None where not measured)."""
    fits = [b for r in (eager, compiled) for b in r.get("batches") or []
            if b["fits"] and b["seconds_per_image"]]
    best = min(fits, key=lambda b: b["seconds_per_image"], default={})
    latency = eager.get("latency") or {}
    gb = 1e9
    return {
        "eager batch 1 [s/image]": _batch(eager, 1).get("seconds_per_image"),
        "eager batch 1 MFU": _batch(eager, 1).get("mfu"),
        "compiled batch 1 [s/image]": _batch(compiled, 1).get("seconds_per_image"),
        "best [s/image]": best.get("seconds_per_image"),
        "best [images/hour]": best.get("images_per_hour"),
        "best MFU": best.get("mfu"),
        "weights [GB]": ((eager.get("cold_start") or {}).get("weights_bytes") or 0) / gb
        or None,
        "peak allocated, batch 1 [GB]": (latency.get("peak_allocated_bytes") or 0) / gb
        or None,
        "board power [W]": best.get("avg_watts"),
    }


def check_rows(eager: dict, compiled: dict, gpu_name: str) -> list[dict]:
    """One row per figure: measured value, expected range and a flag when outside it; every
    seconds-per-image figure outside `SANE_S_PER_IMAGE` names the usual suspects."""
    ranges = expected(gpu_family(gpu_name))
    rows = []
    for what, value in measured(eager, compiled).items():
        low, high = ranges.get(what, (None, None))
        flag = ""
        if value is None:
            flag = "not measured"
        elif low is not None and not low <= value <= high:
            flag = "OUTSIDE"
        sane = SANE_S_PER_IMAGE
        if (value is not None and what.endswith("[s/image]") and gpu_family(gpu_name)
                in ("h100", "h200") and not sane[0] <= value <= sane[1]):
            flag = f"OUTSIDE {sane[0]:g}-{sane[1]:g} s: {SUSPECTS}"
        rows.append({"figure": what, "measured": value, "expected_low": low,
                     "expected_high": high, "flag": flag})
    return rows


def throughput_row(label: str, result: dict) -> dict | None:
    """A complete run's best measurement as a row of data/throughput.csv (its columns,
    in order), with the run's conditions in its note; None for a run that did not
    complete or a GPU the catalog does not know. [images/h]"""
    gpu = gpu_key(result.get("gpu_name") or "")
    if result.get("status") != "complete" or gpu is None:
        return None
    env, block = result.get("environment") or {}, result.get("compile") or {}
    settings = result["settings"]
    best = _batch(result, result["best_batch_size"])
    how = (f"torch.compile {block.get('mode')} mode, {block.get('recipe')} recipe"
           if block.get("enabled") else "eager")
    date = result["measured_at"][:10]
    watts = best.get("avg_watts")
    return {
        "name": f"sdxl_{gpu}_costlib_probe_{label}", "gpu": gpu, "model": result["model"],
        "basis": "published", "steps": settings["steps"],
        "resolution": f"{settings['width']}x{settings['height']}",
        "precision": ARITHMETIC[settings["dtype"]],
        "batch": result["best_batch_size"], "value": round(result["best_images_per_hour"]),
        "low": "", "high": "", "unit": "images/h",
        "source": f"costlib probe (make gpu-check) on one {result['gpu_name']}, {date}",
        "as_of": date,
        "note": (f"Measured: {settings['dtype']}, {how}, random weights, "
                 f"{best.get('seconds_per_image', 0):.3f} s/image at batch "
                 f"{result['best_batch_size']}"
                 + (f", {watts:.0f} W board power" if watts else "")
                 + f"; torch {env.get('torch')}, CUDA {env.get('cuda')}, driver "
                 f"{env.get('driver')}; one run, no range"),
    }


def write_csv(path: Path, rows: list[dict]) -> str:
    """Write rows (dicts of the same keys) as a CSV file, atomically; its text."""
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, table.getvalue())
    return table.getvalue()


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/gpu-check", help="output folder")
    args = parser.parse_args(argv)
    import torch

    if torch.version.cuda is None and Path("/proc/driver/nvidia/version").exists():
        print("gpu-check: this machine has an NVIDIA driver but torch is a CPU-only build; "
              "install the CUDA build (make clean && make gpu-check TORCH_SPEC=torch)")
        return 1
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        print(f"gpu-check: no CUDA GPU on this machine (torch {torch.__version__}, {build}); "
              "nothing to check")
        return 0
    gpu_name = torch.cuda.get_device_name(0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, start = {}, time.perf_counter()
    for label, extra in RUNS.items():
        path = out / f"sdxl-{label}.json"
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "costlib.probe", *PLAN, *extra, "--out", str(path)]
        timeout = run_timeout(label, t0 - start)
        try:
            code = subprocess.run(cmd, timeout=timeout).returncode if timeout > 0 else \
                "skipped: no time left"
        except subprocess.TimeoutExpired:
            code = f"timeout after {timeout:.0f} s"
        print(f"gpu-check: {label} run: exit {code} in {time.perf_counter() - t0:.0f} s")
        results[label] = json.loads(path.read_text()) if path.exists() else {}
        if code != 0:
            print(f"gpu-check: the {label} run did not complete; see {path}")
    rows = check_rows(results["eager"], results["compiled"], gpu_name)
    write_csv(out / "gpu-check.csv", rows)
    print(f"\nSDXL 1024x1024, 30 steps, bf16 on {gpu_name} "
          f"({time.perf_counter() - start:.0f} s in all)")
    print(f"{'figure':<30} {'measured':>10}   {'expected':<15} flag")
    for r in rows:
        span = "n/a" if r["expected_low"] is None else \
            f"{_fmt(r['expected_low'])}-{_fmt(r['expected_high'])}"
        print(f"{r['figure']:<30} {_fmt(r['measured']):>10}   {span:<15} {r['flag']}")
    for label, result in results.items():
        for line in result.get("warnings") or []:
            print(f"{label}: warning: {line}")
    catalog_rows = [row for label, result in results.items()
                    if (row := throughput_row(label, result)) is not None]
    if catalog_rows:
        text = write_csv(out / "throughput-rows.csv", catalog_rows)
        print(f"rows for data/throughput.csv ({out}/throughput-rows.csv):\n"
              + text.split("\n", 1)[1])
    print(f"results: {out}/")
    return 0 if all(r.get("status") == "complete" for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
