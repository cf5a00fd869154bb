"""Client reports: time and size of `costlib report` for every preset scenario, HTML and PDF;
prints measured figures against the targets of issue 5 (a report in under 60 s, HTML under
6 MB), asserts nothing.

Run: .venv/bin/python benchmarks/bench_report.py [PRESET ...]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from costlib.report import DEFAULT_SAMPLES, find_chromium, render
from costlib.scenario import preset_names

SECONDS_TARGET = 60.0
MB_TARGET = 6.0


def pages(pdf: Path) -> str:
    if shutil.which("pdfinfo") is None:
        return "?"
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    found = re.search(r"Pages:\s+(\d+)", out)
    return found.group(1) if found else "?"


def main(names: list[str]) -> None:
    chromium = find_chromium()
    print(f"costlib report benchmarks ({os.cpu_count()} CPUs, {DEFAULT_SAMPLES:,} Monte Carlo "
          f"samples, PDF: {chromium or 'no Chromium, skipped'})")
    print(f"{'preset':<20} {'HTML s':>7} {'PDF s':>6} {'total s':>8} {'HTML MB':>8} "
          f"{'charts':>6} {'PDF KB':>7} {'pages':>5}  verdict")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            out = Path(tmp) / name
            result = render(name, out / f"{name}.html",
                             pdf=out / f"{name}.pdf" if chromium else None)
            total = result.html_seconds + result.pdf_seconds
            mb = result.html.stat().st_size / 1e6
            pdf_kb = f"{result.pdf.stat().st_size / 1e3:7.0f}" if result.pdf else "      -"
            ok = total < SECONDS_TARGET and mb < MB_TARGET
            print(f"{name:<20} {result.html_seconds:7.1f} {result.pdf_seconds:6.1f} "
                  f"{total:8.1f} {mb:8.2f} {result.charts:6d} {pdf_kb} "
                  f"{pages(result.pdf) if result.pdf else '-':>5}  "
                  f"{'ok' if ok else 'SLOWER OR LARGER'} (target < {SECONDS_TARGET:g} s, "
                  f"< {MB_TARGET:g} MB)")


if __name__ == "__main__":
    main(sys.argv[1:] or preset_names())
