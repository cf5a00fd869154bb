"""Speed of Monte Carlo, sensitivity, the hybrid optimizer and decide(): prints measured
figures against the targets of issue 6, asserts nothing.

Run: .venv/bin/python benchmarks/bench_decision.py
"""

from __future__ import annotations

import os

import numpy as np
from timing import best_seconds

from costlib import capacity as cap
from costlib import narrative
from costlib import uncertainty as unc
from costlib.decision import decide
from costlib.scenario import load_scenario, preset_path, resolve


def report(label: str, seconds: float, target: float | None = None) -> None:
    verdict = "" if target is None else (
        f"target < {target * 1e3:5.0f} ms  {'ok' if seconds < target else 'SLOWER'}")
    print(f"{label:<62} {seconds * 1e3:8.1f} ms  {verdict}")


def main() -> None:
    model = resolve(load_scenario(preset_path("default")))
    found = unc.factors(model)
    pair = ("replicate_sdxl", "rtx4090_owned")
    twenty = [f.name for f in unc.factors(model, pair)[:20]]
    print(f"costlib decision benchmarks (numpy {np.__version__}, {os.cpu_count()} CPUs); "
          f"default scenario: {len(model.options)} options, {len(found)} uncertain factors")
    # near the API/RTX 4090 break-even most factors flip the answer within their range, so
    # every flip point is bisected: the slow case
    close = model.with_values({"workload.images_per_month": 4.2e6})
    close_twenty = [f.name for f in unc.factors(close)[:20]]
    flipping = sum(f.below is not None or f.above is not None
                   for f in unc.flip_points(close, only=close_twenty))
    for distribution in unc.DISTRIBUTIONS:
        report(f"monte_carlo: 100,000 samples x {len(model.options)} options ({distribution})",
               best_seconds(lambda d=distribution: unc.monte_carlo(model, 100_000,
                                                                   distribution=d), 3),
               0.5)
    report("  of which sample_inputs (pert)",
           best_seconds(lambda: unc.sample_inputs(model, 100_000), 3))
    report("breakeven_samples: 10,000 samples (grid + bisection)",
           best_seconds(lambda: unc.breakeven_samples(
               model, "replicate_sdxl", "rtx4090_owned",
               unc.sample_inputs(model, 10_000)), 3))
    report("tornado: 20 factors (40 evaluations in one call)",
           best_seconds(lambda: unc.tornado(model, pair, only=twenty)), 0.2)
    report(f"tornado: all {len(unc.factors(model, pair))} factors that move the pair",
           best_seconds(lambda: unc.tornado(model, pair)))
    report("flip_points: 20 factors, none flips (default scenario)",
           best_seconds(lambda: unc.flip_points(model, only=twenty)), 1.0)
    report(f"flip_points: 20 factors, {flipping} flip (at 4.2M images/month)",
           best_seconds(lambda: unc.flip_points(close, only=close_twenty)), 1.0)
    year = cap.preset_profile("business_hours", 3.36)
    busy = model.with_values({"workload.images_per_month": 2e6})
    report("optimize_hybrid: 0-64 GPUs, 8760-hour profile",
           best_seconds(lambda: cap.optimize_hybrid(busy, "rtx4090_owned", "replicate_sdxl",
                                                    year)), 0.5)
    report("  with the profile built (preset_profile + optimize)",
           best_seconds(lambda: cap.optimize_hybrid(busy, "rtx4090_owned",
                                                    "replicate_sdxl")))
    report("decide: default scenario, 10,000 samples",
           best_seconds(lambda: decide(model), 3))
    decision = decide(model, samples=1000)
    report("  of which the sentences (costlib.narrative)",
           best_seconds(lambda: (narrative.reasons(decision), narrative.advice(decision),
                                 narrative.steps(decision),
                                 [narrative.option_notes(a) for a in decision.options])))


if __name__ == "__main__":
    main()
