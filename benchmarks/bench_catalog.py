"""Speed of the catalog with the market rows (prints figures; targets from issue 15).

Run: .venv/bin/python benchmarks/bench_catalog.py
"""

import statistics
import time

from bench_core import COSTLIB, report, wall_s

from costlib.catalog import load_catalog


def main():
    report("costlib catalog (whole process)", wall_s([COSTLIB, "catalog"]), 1.0)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        catalog = load_catalog()
        times.append(time.perf_counter() - t)
    report(f"load_catalog, {len(catalog.entries)} rows (median of 20)", statistics.median(times),
           0.1)


if __name__ == "__main__":
    main()
