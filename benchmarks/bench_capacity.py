"""Speed of costlib.capacity and costlib.sizing: prints figures, asserts nothing.

Run: .venv/bin/python benchmarks/bench_capacity.py
"""

from __future__ import annotations

import numpy as np
from timing import best_seconds

from costlib import capacity as cap
from costlib import sizing


def report(label: str, seconds: float, cells: int) -> None:
    print(f"{label:<58} {seconds * 1e3:9.2f} ms  {seconds / cells * 1e9:9.1f} ns/cell")


def main() -> None:
    servers = np.arange(1, 65)
    rates = np.linspace(0.01, 20.0, 1000)[:, None]          # requests/s
    service_seconds = 3.0
    traffic = rates * service_seconds
    grid = rates.size * servers.size

    print(f"costlib.capacity and costlib.sizing benchmarks (numpy {np.__version__})")
    report("erlang_c: 1000 traffic values x c = 1..64",
           best_seconds(lambda: cap.erlang_c(traffic, servers)), grid)
    report("queue_latency (p50/p95 by bisection): 1000 rates x 64 GPUs",
           best_seconds(lambda: cap.queue_latency(rates, service_seconds, servers)), grid)

    loop_rates = rates[::20, 0]
    loop_cells = loop_rates.size * servers.size

    def scalar_loop() -> None:
        for rate in loop_rates:
            for c in servers:
                cap.erlang_c(rate * service_seconds, int(c))

    report(f"erlang_c, one call per cell (Python loop): {loop_rates.size} x 64",
           best_seconds(scalar_loop, repeats=3), loop_cells)
    report("erlang_c: c = 2000, 1000 traffic values",
           best_seconds(lambda: cap.erlang_c(np.linspace(1, 1990, 1000), 2000)), 1000)

    hours = cap.HOURS_PER_YEAR
    report("demand_profile('seasonal', hours=8760)",
           best_seconds(lambda: cap.demand_profile("seasonal", 1.5, hours)), hours)
    factors = np.linspace(1, 4, 100)
    report("demand_profile('business_hours', 100 peak factors, 8760 h)",
           best_seconds(lambda: cap.demand_profile("business_hours", factors, hours)),
           100 * hours)
    week = cap.demand_profile("business_hours", 3.0)
    months = np.linspace(0.5, 1.5, 12)
    report("yearly_profile(week, months): 8760 h",
           best_seconds(lambda: cap.yearly_profile(week, months)), hours)
    year = cap.yearly_profile(week, months)
    volumes = np.linspace(1e4, 1e7, 100)
    report("hourly_images: 100 monthly volumes x 8760 h",
           best_seconds(lambda: sizing.hourly_images(volumes, year)), 100 * hours)
    report("gpus_for_peak: 100 monthly volumes, 8760 h profile",
           best_seconds(lambda: sizing.gpus_for_peak(volumes, year, 900.0, 0.8)), 100)


if __name__ == "__main__":
    main()
