"""Latency of every step's form: from a widget change to updated figure data (prints figures).

Target (issue 4): under 100 ms p95 on this 2-core machine. 100 changes per step.
Run: .venv/bin/python benchmarks/bench_ui.py
"""

import os
import statistics
import tempfile
import time

import numpy as np

os.environ.setdefault("COSTLIB_WORKSPACE", tempfile.mkdtemp(prefix="costlib-bench-"))

from costlib.ui import (  # noqa: E402  (the workspace must be set first)
    ChooseForm,
    OperationsForm,
    OverviewForm,
    PrivacyForm,
    PrototypeForm,
    TotalCostForm,
    UseCaseForm,
    VolumeForm,
)

# (form, widget to move, values it cycles through)
CASES = [
    (OverviewForm, "workload.images_per_month", np.geomspace(2e4, 5e5, 10)),
    (UseCaseForm, "workload.outputs_per_approved", np.linspace(2, 8, 10)),
    (VolumeForm, "workload.images_per_month", np.geomspace(2e4, 5e5, 10)),
    (PrivacyForm, "constraints.privacy", ["internal", "confidential", "regulated", "public"]),
    (OperationsForm, "labor.devops_hours_per_month", np.linspace(10, 40, 10)),
    (TotalCostForm, "workload.images_per_month", np.geomspace(2e4, 5e5, 10)),
    (PrototypeForm, "acceptance", np.linspace(0.2, 0.8, 10)),
    (ChooseForm, "picker", ["default", "ecommerce_catalog", "prototype", "internal_feature"]),
]


def widget_of(form, name):
    return getattr(form, name) if name in ("acceptance", "picker") else form.fields[name]


def main():
    print(f"{'step':<16}{'median ms':>10}{'p95 ms':>10}   target p95 < 100 ms")
    for cls, name, values in CASES:
        form = cls()
        widget = widget_of(form, name)
        times = []
        for i in range(100):
            value = values[i % len(values)]
            value = float(value) if not isinstance(value, str) else value
            if widget.value == value:
                value = values[(i + 1) % len(values)]
            t = time.perf_counter()
            widget.value = value
            times.append((time.perf_counter() - t) * 1000)
        p95 = float(np.percentile(times, 95))
        print(f"{cls.__name__:<16}{statistics.median(times):>10.1f}{p95:>10.1f}   "
              f"{'ok' if p95 < 100 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
