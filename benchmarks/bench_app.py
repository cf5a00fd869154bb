"""The app in a browser, page by page (prints figures): Voila as `make app` serves it, headless
Chromium opens each page by its navigation links, and for every page we print the seconds from
navigation to the first line of the answer (the status line, or the key-figure cards where the
page has them), to every chart drawn, and the bytes the page received over its websocket.
After the walk, with every page closed, it prints the kernels still running, again after the
cull interval (the Makefile's settings, shortened here).

Targets (issue 12): key figures within 3 s and all charts within 6 s on this machine.
Run: .venv/bin/python benchmarks/bench_app.py [--screenshots DIR] [--bundle-per-chart]
(--bundle-per-chart: without the template's copy of plotly's bundle, as before issue 12)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
from costlib.ui.forms import plotly_bundle  # noqa: E402
from costlib.ui.pages import PAGES  # noqa: E402

CHARTS = {"00_overview": 3, "01_use_case": 1, "02_volume": 2, "03_privacy": 1,
          "04_operations": 1, "05_total_cost": 6, "06_prototype": 2, "07_choose": 3}
CARDS = ("00_overview", "07_choose")  # the pages that open with the key-figure cards
CULL_S = 20  # the app culls after 120 s, checked every 30 s; shortened for the benchmark


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(workspace: Path, bundle: bool):
    """Voila as `make app` starts it (plotly's bundle among the template's static files where
    ``bundle``; the Makefile's culling flags, shorter times, and its rendering flags)."""
    served = ROOT / re.search(r"APP_BUNDLE := (\S+)", (ROOT / "Makefile").read_text()).group(1)
    if bundle:
        served.parent.mkdir(exist_ok=True)
        shutil.copy(plotly_bundle(), served)
    else:
        served.unlink(missing_ok=True)
    port = _free_port()
    flags = re.search(r"APP_CULL := (.*?)\n(?!\t)", (ROOT / "Makefile").read_text(),
                      re.S).group(1).replace("\\\n\t", " ").split()
    flags = [re.sub(r"cull_idle_timeout=\d+", f"cull_idle_timeout={CULL_S}",
                    re.sub(r"cull_interval=\d+", "cull_interval=5", f)) for f in flags]
    flags += re.search(r"APP_RENDER := (.*)", (ROOT / "Makefile").read_text()).group(1).split()
    env = {**os.environ, "JUPYTER_PATH": str(ROOT / "notebooks"),
           "COSTLIB_WORKSPACE": str(workspace)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "voila"), "--no-browser",
                             f"--port={port}", "--Voila.ip=127.0.0.1", "--template=costlib",
                             *flags, str(ROOT / "notebooks")], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    return proc, url


def kernels(proc) -> int:
    """Kernels the server runs: its ipykernel child processes."""
    running = 0
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            running += "ipykernel" in " ".join(child.cmdline())
        except psutil.Error:  # gone, or a zombie the server has not reaped yet: not running
            pass
    return running


def visit(page, server, stem: str, click: str | None, url: str, shots: Path | None) -> dict:
    """Open one page (by clicking its link where ``click`` names it) and time it."""
    received = [0]
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))))
    start = time.perf_counter()
    if click:
        with page.expect_navigation(wait_until="commit"):
            page.get_by_role("link", name=click).first.click()
    else:
        page.goto(url)
    page.wait_for_selector("[data-key='recommendation']" if stem in CARDS else
                           "text=images/month", timeout=180_000)
    answer = time.perf_counter() - start
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length "
                           f">= {2 * CHARTS[stem]}", timeout=180_000)
    charts = time.perf_counter() - start
    if shots is not None:
        page.screenshot(path=str(shots / f"app_{stem}.png"), full_page=True)
    return {"page": stem, "answer_s": answer, "charts_s": charts, "ws_mb": received[0] / 1e6,
            "kernels": kernels(server)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--bundle-per-chart", action="store_true")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix="costlib-bench-app-"))
    proc, url = serve(workspace, bundle=not args.bundle_per_chart)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)  # the landing page
            if args.screenshots:
                page.screenshot(path=str(args.screenshots / "app_landing.png"), full_page=True)
            rows.append(visit(page, proc, PAGES[0][0], PAGES[0][1], url, args.screenshots))
            for stem, title, _ in PAGES[1:]:  # onwards by each page's "next" link
                rows.append(visit(page, proc, stem, title, url, args.screenshots))
            open_now = kernels(proc)
            page.close()
            browser.close()
        time.sleep(2)
        closed = kernels(proc)
        time.sleep(CULL_S + 10)
        culled = kernels(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{'page':<16}{'to answer [s]':>15}{'to charts [s]':>15}{'websocket [MB]':>16}"
          f"{'kernels':>9}")
    for r in rows:
        print(f"{r['page']:<16}{r['answer_s']:>15.1f}{r['charts_s']:>15.1f}{r['ws_mb']:>16.1f}"
              f"{r['kernels']:>9}")
    print(f"kernels: {open_now} after visiting {len(rows)} pages, {closed} once the browser "
          f"closed, {culled} after {CULL_S + 10} s (cull after {CULL_S} s idle)")


if __name__ == "__main__":
    main()
