"""Speed of the cost engine (prints figures; targets from issue 2, 2-core machine).

Run: .venv/bin/python benchmarks/bench_core.py
"""

import dataclasses
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from costlib.scenario import load_scenario, preset_path, resolve
from costlib.tco import evaluate, monthly_cost_usd

COSTLIB = str(Path(sys.executable).parent / "costlib")


def wall_s(cmd, repeat=7):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def report(what, seconds, target_s):
    verdict = "ok" if seconds < target_s else "OVER TARGET"
    print(f"{what:<58} {seconds * 1000:9.2f} ms   target < {target_s * 1000:.0f} ms   {verdict}")


def main():
    bare = wall_s([sys.executable, "-c", "pass"])
    report("import costlib (process, minus bare interpreter)",
           wall_s([sys.executable, "-c", "import costlib"]) - bare, 0.5)
    report("import costlib.scenario + tco + breakeven (minus bare)",
           wall_s([sys.executable, "-c", "import costlib.scenario, costlib.tco, "
                   "costlib.breakeven"]) - bare, 0.5)
    report("costlib evaluate default (whole process)", wall_s([COSTLIB, "evaluate", "default"]),
           1.5)

    model = resolve(load_scenario(preset_path("default")))
    times = []
    for _ in range(300):
        t = time.perf_counter()
        evaluate(model)
        times.append(time.perf_counter() - t)
    report("one evaluation, all options (median of 300)", statistics.median(times), 0.005)

    volumes = np.geomspace(1, 1e8, 1_000_000)
    w = dataclasses.replace(model.workload, images_per_month=volumes)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for option in model.options.values():
            monthly_cost_usd(option, w, model.ops)
        times.append(time.perf_counter() - t)
    report("all options over 1,000,000 volumes (median of 5)", statistics.median(times), 0.5)

    from costlib.uncertainty import monte_carlo

    months = model.scenario.horizon_months
    for cash_flow in (False, True):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            monte_carlo(model, 100_000, cash_flow=cash_flow)
            times.append(time.perf_counter() - t)
        what = (f"Monte Carlo 100,000 x all options, cash flow {months} months" if cash_flow
                else "Monte Carlo 100,000 x all options, monthly cost")
        report(what + " (median of 3)", statistics.median(times), 1.0)
    report("costlib decide default (whole process)", wall_s([COSTLIB, "decide", "default"], 3),
           2.0)


if __name__ == "__main__":
    main()
