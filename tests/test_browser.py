"""The app in a real browser: Voila serves the notebooks, headless Chromium clicks through.

Screenshots of every step land in test-artifacts/ (look at them). Skipped only where Debian's
chromium is not installed; `.ci/run` installs it.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed"),
              pytest.mark.slow]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Url(str):
    """A server's URL, with its process (``proc``) and workspace folder (``workspace``)."""


def _serve(args, workspace, ready_path=""):
    """Start a Jupyter server (``args`` after the executable's name) on a free port; yield
    its URL (a :class:`Url`), stop it afterwards."""
    port = _free_port()
    env = {**os.environ, "JUPYTER_PATH": str(ROOT / "notebooks"),
           "COSTLIB_WORKSPACE": str(workspace)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / args[0]), f"--port={port}",
                             *args[1:]], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = Url(f"http://127.0.0.1:{port}")
    url.proc, url.workspace = proc, workspace
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + ready_path, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a busy machine: stopping its kernels took too long
        proc.kill()
        proc.wait(timeout=30)


CULL_S = 10  # `make app` culls a closed page's kernel after 120 s; sooner here


def _makefile_flags(name: str) -> list[str]:
    return re.search(rf"{name} := (.*?)\n(?!\t)", (ROOT / "Makefile").read_text(),
                     re.S).group(1).replace("\\\n\t", " ").split()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`make app`: Voila on the notebooks, with the Makefile's culling (sooner), its
    progressive rendering and plotly's bundle among the template's static files."""
    from costlib.ui.forms import plotly_bundle

    served = ROOT / re.search(r"APP_BUNDLE := (\S+)", (ROOT / "Makefile").read_text()).group(1)
    served.parent.mkdir(exist_ok=True)
    shutil.copy(plotly_bundle(), served)
    cull = [re.sub(r"cull_idle_timeout=\d+", f"cull_idle_timeout={CULL_S}",
                   re.sub(r"cull_interval=\d+", "cull_interval=2", f))
            for f in _makefile_flags("APP_CULL")]
    yield from _serve(["voila", "--no-browser", "--Voila.ip=127.0.0.1", "--template=costlib",
                       *cull, *_makefile_flags("APP_RENDER"), str(ROOT / "notebooks")],
                      tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`: JupyterLab with the Makefile's offline flags, no token, on a copy of the
    notebooks (JupyterLab saves the notebooks it runs)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    flags = _makefile_flags("LAB_OFFLINE")
    # a layout of its own: JupyterLab restores the tabs an earlier run left open (a second,
    # hidden notebook the waits below would find first)
    layouts = tmp_path_factory.mktemp("lab-workspaces")
    yield from _serve(["jupyter-lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                       "--IdentityProvider.token=", f"--ServerApp.root_dir={root}",
                       f"--LabApp.workspaces_dir={layouts}", *flags],
                      tmp_path_factory.mktemp("workspace"), "/lab")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _open(browser, url, failed):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url, timeout=120_000)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    return page


def _charts(page):
    """What each chart shows: its title and every trace's data (boxes' quartiles too)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => JSON.stringify("
        "[g.layout.title, g.data.map(d => [d.x, d.y, d.q1].map(a => a && Array.from(a)))]))")


def _title(page, index):
    return page.locator(".js-plotly-plot").nth(index).locator(".gtitle").text_content()


def test_the_landing_page_lists_the_pages_offline(app, browser):
    failed = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(app, timeout=120_000)
    assert page.locator("a[href$='.ipynb']").count() == len(NOTEBOOKS)
    assert "voila/tree" not in page.content()  # not Voila's file list
    assert not failed, failed
    page.close()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_step_renders_offline_without_errors(app, browser, name):
    failed = []
    page = _open(browser, f"{app}/voila/render/{name}", failed)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}.png"), full_page=True)
    assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    assert "Traceback" not in page.inner_text("body")
    assert not failed, f"requests failed (offline?): {failed}"
    page.close()


def test_step5_slider_updates_every_chart(app, browser):
    failed = []
    page = _open(browser, f"{app}/voila/render/05_total_cost.ipynb", failed)
    before, title = _charts(page), _title(page, 0)
    assert len(before) == 6
    handle = page.locator(".noUi-handle").first
    handle.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    deadline = time.time() + 60
    while any(a == b for a, b in zip(_charts(page), before, strict=True)) and time.time() < deadline:
        time.sleep(0.5)
    # every chart follows the volume, those below the fold too (anywidget 0.9.17+ dropped
    # updates to charts that took over 2 s to load)
    assert [a != b for a, b in zip(_charts(page), before, strict=True)] == [True] * 6
    assert "is not allowed" not in page.inner_text("body")
    # changed titles reach plotly.js too (sent unvalidated, in plotly's own form): the
    # review labor left out of the first chart grows with the volume
    assert _title(page, 0) != title and "review labor" in _title(page, 0)
    page.screenshot(path=str(ARTIFACTS / "05_total_cost_after_slider.png"), full_page=True)
    for i, chart in enumerate(page.locator(".js-plotly-plot").all()):
        chart.screenshot(path=str(ARTIFACTS / f"05_total_cost_after_slider_chart{i}.png"))
    page.close()


def test_lab_runs_the_overview_and_its_slider_updates_the_charts(lab, browser):
    failed = []
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(f"{lab}/lab/tree/notebooks/00_overview.ipynb", timeout=120_000)
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_selector("text=| Idle", timeout=120_000)  # the kernel is up
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    page.wait_for_timeout(3000)
    before = _charts(page)
    assert len(before) == 3
    page.locator(".noUi-handle").first.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    deadline = time.time() + 60
    while any(a == b for a, b in zip(_charts(page), before, strict=True)) \
            and time.time() < deadline:
        time.sleep(0.5)
    assert [a != b for a, b in zip(_charts(page), before, strict=True)] == [True] * 3
    body = page.inner_text("body")
    assert "Traceback" not in body and "Jupyter news" not in body  # no news prompt either
    assert not failed, f"requests failed (offline?): {failed}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab_00_overview.png"))
    page.close()


def _kernels(server) -> int:
    """Kernels a server runs: its ipykernel child processes."""
    import psutil

    running = 0
    for child in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            running += "ipykernel" in " ".join(child.cmdline())
        except psutil.Error:  # gone, or a zombie its server has not reaped yet: not running
            pass
    return running


def test_a_walk_by_the_links_shows_the_decisions_figures_in_words(app, browser):
    """Landing page -> overview -> steps 1-7 by each page's links -> step 7's report: the key
    figures (the report's too) equal `costlib decide`'s on the working scenario, no page shows
    an id, a path, inf or an unrounded volume, and a closed page's kernel is shut down."""
    from client_text import problems

    from costlib.decision import decide
    from costlib.narrative import key_figures
    from costlib.scenario import load_scenario, resolve
    from costlib.ui.pages import PAGES

    failed = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(app, timeout=120_000)
    assert page.title().startswith("costlib")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app_landing.png"))
    for stem, title, _ in PAGES:
        with page.expect_navigation(wait_until="commit"):
            page.get_by_role("link", name=title).first.click()
        page.wait_for_selector("text=images/month", timeout=120_000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        assert page.title() == f"costlib · {title}", stem
        # the page left shut its kernel down on the way out: one kernel, this page's
        deadline = time.time() + 10
        while _kernels(app) > 1 and time.time() < deadline:
            time.sleep(0.5)
        assert _kernels(app) == 1, stem
        body = page.inner_text("body")
        assert not problems(body), (stem, problems(body))
        assert "Run All" not in body  # JupyterLab's note: Voila runs the page
        page.screenshot(path=str(ARTIFACTS / f"walk_{stem}.png"), full_page=True)
        if stem in ("00_overview", "07_choose"):
            scenario = load_scenario(app.workspace / "current.yaml") \
                if (app.workspace / "current.yaml").is_file() else None
            model = resolve(scenario or load_scenario(ROOT / "data/scenarios/default.yaml"))
            for figure in key_figures(decide(model, sample_breakeven=False)):
                card = page.locator(f"[data-key='{figure.key}']").first.inner_text()
                assert figure.value in card and figure.detail in card, (stem, figure.key)
    # step 7's report: a client's name, the button, the link; the downloaded report opens
    # and its key figures are `costlib decide`'s
    page.get_by_placeholder("the scenario's name if empty").fill("Acme Retail")
    page.get_by_role("button", name="Produce the client report").click()
    link = page.locator("a[download$='.html']")
    link.wait_for(timeout=180_000)
    with page.expect_download() as download:
        link.click()
    report_path = ARTIFACTS / "walk_report.html"
    download.value.save_as(report_path)
    report = browser.new_page(viewport={"width": 1280, "height": 900})
    report.on("requestfailed", lambda r: failed.append(r.url))
    report.goto(report_path.as_uri())
    assert "Acme Retail" in report.content()  # the header names the client
    for figure in key_figures(decide(model)):
        card = report.locator(f".costlib-keyfigure[data-key='{figure.key}']").inner_text()
        assert figure.value in card and figure.detail in card, ("report", figure.key)
    report.screenshot(path=str(ARTIFACTS / "walk_report.png"))
    report.close()
    # a page's shutdown request, sent as it is left, reads as aborted by the navigation; the
    # kernel count above shows it arrives
    failed = [u for u in failed if "/voila/api/shutdown/" not in u]
    assert not failed, f"requests failed (offline?): {failed}"
    page.close()
    deadline = time.time() + CULL_S + 30
    while _kernels(app) and time.time() < deadline:
        time.sleep(1)
    assert _kernels(app) == 0


def test_a_step_link_in_lab_opens_the_step_in_the_same_lab(lab, browser):
    """JupyterLab opens a step's link in a new tab of the same Lab: no "Leave site?", no
    reload, the overview stays open; the step, unrun, says to run it."""
    dialogs = []
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{lab}/lab/tree/notebooks/00_overview.ipynb", timeout=120_000)
    page.wait_for_selector(".jp-Notebook .jp-RenderedMarkdown a", timeout=120_000)
    page.evaluate("() => { window.__costlibMarker = 1; }")
    page.locator(".jp-RenderedMarkdown a", has_text="Step 1: Define the use case").first.click()
    page.wait_for_selector(".lm-TabBar-tab:has-text('01_use_case.ipynb')", timeout=60_000)
    assert page.evaluate("() => window.__costlibMarker") == 1  # the same Lab, not reloaded
    assert page.locator(".lm-TabBar-tab:has-text('00_overview.ipynb')").count() >= 1
    # the step opens unrun, and says how to run it
    page.locator(".lm-TabBar-tab:has-text('01_use_case.ipynb')").first.click()
    step = page.locator(".jp-NotebookPanel", has=page.locator("h1:has-text('Step 1')"))
    note = step.locator(".costlib-lab-only").first
    note.wait_for(timeout=60_000)  # shown once; read below whatever tab a busy Lab shows last
    assert step.locator(".jp-OutputArea-output").count() == 0  # unrun
    assert "Run All Cells" in note.text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab_01_use_case_opened.png"))
    assert not dialogs, dialogs
    page.close()
