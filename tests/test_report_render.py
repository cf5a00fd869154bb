"""Client reports end to end (costlib.report.render): `costlib report` run as a user would,
its HTML read back, its PDF rendered to PNG, and the HTML opened in headless Chromium with no
network. Tests that render a report are marked slow (a report takes 5-10 s).

PNGs of the PDF pages land in test-artifacts/report-*.png (look at them). Tests that need
Chromium, Playwright or poppler's pdftoppm skip where those are missing; `.ci/run` installs
them.
"""

import importlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from report_fixtures import CLIENT, write_nasty

from costlib import fmt
from costlib import report as rp

pytestmark = pytest.mark.slow  # renders reports: papermill, nbconvert, Chromium

ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "test-artifacts"
COSTLIB = str(Path(sys.executable).parent / "costlib")
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm) is not installed")


def run(*args, cwd="/", env=None, timeout=300):
    return subprocess.run([COSTLIB, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def without_plotly_js(text: str) -> str:
    """The HTML less the embedded plotly.js bundle (whose strings name map-tile servers that
    no chart of ours ever asks for)."""
    start = text.index("* plotly.js v")
    return text[:start] + text[text.index("</script>", start):]


class Cells(HTMLParser):
    """Every element carrying data-option and data-field: (option, field) -> (value, text)."""

    def __init__(self):
        super().__init__()
        self.found, self._open = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-field" in a and "data-value" in a:
            self._open = (a["data-option"], a["data-field"], float(a["data-value"]), [])

    def handle_data(self, data):
        if self._open:
            self._open[3].append(data)

    def handle_endtag(self, tag):
        if self._open and tag in ("td", "th"):
            option, field, value, text = self._open
            self.found.setdefault((option, field), []).append((value, "".join(text)))
            self._open = None


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def default_report(tmp_path_factory, today):
    """The default preset's report, HTML and PDF, made from another folder."""
    out = tmp_path_factory.mktemp("report")
    args = ["report", "default", "-o", str(out / "default.html"), "--today", str(today)]
    if CHROMIUM:
        args += ["--pdf", str(out / "default.pdf")]
    done = run(*args, cwd=out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return out


@needs_chromium
def test_make_report_writes_into_a_folder_it_creates(tmp_path, today):
    # `make report SCENARIO=...` on a fresh checkout stopped at "the folder build/reports does
    # not exist"
    report = tmp_path / "build" / "reports" / "default"
    done = subprocess.run(["make", "-s", "-o", ".venv/.installed", "report", "SCENARIO=default",
                           f"REPORT={report}", f"TODAY={today}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert report.with_suffix(".html").stat().st_size > 0
    assert report.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


@pytest.fixture(scope="module")
def nasty_report(tmp_path_factory, today):
    out = tmp_path_factory.mktemp("nasty")
    write_nasty(out)
    done = run("report", "nasty.yaml", "-o", "nasty.html", "--client", CLIENT, "--samples",
               "2000", "--seed", "7", "--today", str(today), cwd=out)
    assert done.returncode == 0, done.stderr
    return out / "nasty.html"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


# --------------------------------------------------------------------------- the HTML


@pytest.mark.slow
def test_the_html_holds_every_section_and_every_chart(default_report):
    text = (default_report / "default.html").read_text()
    for section in ("header", *rp.SECTIONS, "flip-points"):
        assert f'data-section="{section}"' in text, section
    for title in rp.SECTIONS.values():  # the template's markdown headings
        assert f">{title}<" in text, title
    for chart in rp.CHARTS:
        assert f'<figure class="costlib-chart" data-chart="{chart}">' in text, chart
    assert text.count('class="costlib-chart"') == len(rp.CHARTS) == 8
    assert text.count("Plotly.newPlot(") == 8 and text.count('class="plotly-graph-div"') == 8
    assert "No tornado chart" not in text and "costlib-nochart" not in text


@pytest.mark.slow
def test_no_code_no_errors_no_prompts(default_report):
    text = without_plotly_js((default_report / "default.html").read_text())
    assert "build_report(" not in text and "report.summary()" not in text
    assert "Traceback" not in text
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd.jupyter.stderr"', text)
    assert "In&nbsp;[" not in text and "Out[" not in text


@pytest.mark.slow
def test_numbers_equal_costlib_evaluate(default_report, today):
    done = run("evaluate", "default", "--format", "json", "--today", str(today))
    assert done.returncode == 0, done.stderr
    evaluated = json.loads(done.stdout)
    cells = Cells()
    cells.feed((default_report / "default.html").read_text())
    checked = 0
    for option in evaluated["options"]:
        fields = {f: option[f] for f in ("differing_usd", "monthly_usd", "usd_per_image",
                                         "usd_per_approved",
                                         "upfront_usd", "horizon_usd", "npv_usd")}
        fields.update({f"by_area.{a}": v for a, v in option["by_area"].items() if v})
        for field, want in fields.items():
            shown = cells.found[(option["name"], field)]
            for value, text in shown:
                assert value == want, (option["name"], field)
                assert text == fmt.usd(want, unit=""), (option["name"], field, text)
                checked += 1
    assert checked > 6 * 12
    # the summary line and the cheapest option
    text = (default_report / "default.html").read_text()
    assert f"{fmt.count(evaluated['images_per_month'])} images and" in text
    cheapest = next(o["label"] for o in evaluated["options"]
                    if o["name"] == evaluated["cheapest"])
    assert f"<strong>{escape(cheapest)}</strong> costs least per month" in text


@pytest.mark.slow
def test_plotly_js_is_embedded_once_and_nothing_is_fetched(default_report):
    text = (default_report / "default.html").read_text()
    assert text.count("* plotly.js v") == 1
    rest = without_plotly_js(text)
    # no element loads anything: no src/href to another host, no <link>, no @import
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", rest, re.I)
    assert "<link" not in rest and "@import" not in rest
    # and no address at all in our own markup, styles and scripts
    assert re.findall(r"https?://[^\s\"'<>]*", rest) == []
    assert len(text.encode()) < 6e6


@pytest.mark.slow
def test_the_seed_and_samples_are_printed(default_report, nasty_report):
    assert "10,000 Monte Carlo samples (seed <strong>0</strong>)" in (
        default_report / "default.html").read_text()
    assert "2,000 Monte Carlo samples (seed <strong>7</strong>)" in nasty_report.read_text()


@pytest.mark.slow
def test_the_report_is_dated_the_day_given(nasty_report, today):
    text = nasty_report.read_text()
    assert f"prepared {today.isoformat()} with costlib" in text  # the header
    assert f"Prepared {today.isoformat()} with costlib" in text  # the appendix


@pytest.mark.slow
def test_client_text_is_escaped(nasty_report):
    text = nasty_report.read_text()
    rest = without_plotly_js(text)
    for raw in ("<script>alert", "<img src=x", "<b>Owned", "<b>guess", "<i>x</i>",
                "</title><script>", "<a href"):
        assert raw not in rest, raw
    assert "Prepared for <strong>Acme &lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;" \
        in rest
    assert "Replicate &lt;script&gt;alert(3)&lt;/script&gt;" in rest
    assert "their &lt;b&gt;guess&lt;/b&gt;" in rest
    assert "Quote &lt;script&gt;alert(5)&lt;/script&gt;" in rest  # a quotes file's source
    # the only scripts are plotly.js, the print mode and one per chart
    assert len(re.findall(r"<script", text)) == 2 + 8
    # in the charts, labels are escaped before plotly reads them as its pseudo-HTML
    assert "\\u003cb\\u003eOwned" not in rest
    assert '"name":"&lt;b&gt;Owned&lt;\\u002fb&gt;' in rest


# --------------------------------------------------------------------------- the PDF


@pytest.mark.slow
@needs_chromium
@needs_poppler
def test_the_pdf_has_the_expected_pages(default_report):
    pdf = default_report / "default.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert "A4" in info
    assert 9 <= pages <= 25, pages
    texts = [subprocess.run(["pdftotext", "-layout", "-f", str(p), "-l", str(p), str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
             for p in range(1, pages + 1)]
    assert "Marketing batch (default)" in texts[0] and "Executive summary" in texts[0]
    assert "Page 1 of" in texts[0]
    # sections follow one another (no near-empty page where one spills over); the appendix
    # starts a page of its own (the template's "new-page" tag)
    for title in list(rp.SECTIONS.values())[1:]:
        assert any(title in t for t in texts), title
    assert any(t.lstrip().startswith(rp.SECTIONS["appendix"]) for t in texts)


@pytest.mark.slow
@needs_chromium
@needs_poppler
def test_pdf_pages_are_not_blank(default_report):
    from PIL import Image

    pdf = default_report / "default.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("report-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / "report")],
                   check=True)
    pngs = sorted(ARTIFACTS.glob("report-*.png"))
    assert pngs
    for png in (pngs[0], pngs[3]):  # page 1, and page 4, which holds two charts
        gray = Image.open(png).convert("L")
        dark = gray.point(lambda v: 255 if v < 200 else 0).histogram()[255] / (
            gray.width * gray.height)
        assert dark > 0.02, (png.name, dark)
    # no page is less than a third full, but the one before the appendix (which starts a page)
    # and the last
    texts = [subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
             for p in range(1, len(pngs) + 1)]
    appendix = next(i for i, t in enumerate(texts) if t.lstrip().startswith(
        rp.SECTIONS["appendix"]))
    for i, png in enumerate(pngs[:-1]):
        if i != appendix - 1:
            assert _filled(png) > 1 / 3, (png.name, _filled(png))


def _filled(png) -> float:
    """How far down a page its content reaches, above the page number. [fraction]"""
    from PIL import Image

    gray = Image.open(png).convert("L")
    rows = gray.crop((0, 0, gray.width, int(0.93 * gray.height))).point(
        lambda v: 255 if v < 200 else 0)
    box = rows.getbbox()
    return box[3] / gray.height if box else 0.0


# --------------------------------------------------------------------------- in a browser


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"failed": [], "requests": [], "errors": [], "dialogs": []}
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    return page, seen


@pytest.mark.slow
def test_the_charts_render_offline_in_chromium(default_report, browser):
    url = (default_report / "default.html").as_uri()
    page, seen = _open(browser, url)
    assert page.locator(".js-plotly-plot").count() == 8
    # every chart drew its axes or boxes: an svg with content in each
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .map(p => p.querySelectorAll('.main-svg g').length)""")
    assert all(n > 5 for n in drawn), drawn
    assert page.locator(".modebar-btn").count() > 8  # interactive on screen
    assert not seen["failed"] and not seen["errors"] and not seen["dialogs"]
    assert all(u.startswith("file:") for u in seen["requests"]), seen["requests"]
    page.close()
    # the print mode the PDF uses: static charts at the printed width
    page, seen = _open(browser, url + "#print")
    widths = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .map(p => p._fullLayout.width)""")
    assert widths == [rp.PRINT_WIDTH_PX] * 8
    assert page.locator(".modebar-btn").count() == 0
    assert not seen["failed"] and not seen["errors"]
    page.close()


@pytest.mark.slow
def test_appendix_figures_stay_in_their_columns_in_print(default_report, browser):
    # In the PDF, "100,000 images/month" and "0.5 minutes/output" ran over the range column
    # beside them: number cells did not wrap in the appendix's fixed-width columns. Printed
    # on Letter paper the page is about 740 CSS px wide.
    page, _ = _open(browser, (default_report / "default.html").as_uri() + "#print")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 740, "height": 1000})
    overflowing = page.evaluate("""() => Array.from(
        document.querySelectorAll('table.costlib-assumptions td'))
        .filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.trim())""")
    assert overflowing == []
    page.close()


@pytest.mark.slow
def test_escaped_text_stays_text_in_chromium(nasty_report, browser):
    page, seen = _open(browser, nasty_report.as_uri())
    assert not seen["dialogs"] and not seen["errors"]
    assert page.locator(".js-plotly-plot").count() == 8
    assert "Acme </title><script>alert(2)</script>" in page.text_content(".costlib-prepared-for")
    assert page.title().startswith('Nasty <script>alert("name")</script> & co')
    labels = page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-chart=cost_per_approved] .xtick text')).map(t => t.textContent)""")
    assert any("<b>Owned</b>" in x for x in labels), labels
    page.close()


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("args, message", [
    (("report", "nope", "-o", "x.html"), "preset: 'nope' is not allowed"),
    (("report", "default", "-o", "x.txt"), "-o: 'x.txt' is not allowed; must end in .html"),
    (("report", "default", "-o", "x.html", "--samples", "0"), "samples: 0 is not allowed"),
    (("report", "default", "-o", "x.html", "--seed", "-1"), "seed: -1 is not allowed"),
    (("report", "/nonexistent/s.yaml", "-o", "x.html"), "cannot be read"),
    (("report", "default", "-o", "x.html", "--today", "2026-13-01"),
     "today: '2026-13-01' is not allowed; must be a date YYYY-MM-DD"),
])
def test_report_errors_are_one_line_and_exit_2(args, message, tmp_path):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("costlib: error:") and message in out.stderr
    assert out.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_pdf_without_chromium_is_an_error_before_any_work(tmp_path):
    env = {"PATH": "/nonexistent", "BROWSER_PATH": "/nonexistent/chromium"}
    out = subprocess.run([sys.executable, "-c", "import sys, costlib.cli as c; "
                          "sys.exit(c.main(sys.argv[1:]))", "report", "default", "-o",
                          "x.html", "--pdf", "x.pdf"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 2 and "--pdf: no Chromium found" in out.stderr
    assert not list(tmp_path.iterdir())


def main(capsys, *args):
    from costlib import cli

    code = cli.main(list(args))
    return (code, *capsys.readouterr())


def test_no_loopback_interface_is_one_line_at_once(capsys, monkeypatch, tmp_path):
    # Without loopback the kernel never answered: a 60 s wait, then a RuntimeError.
    import errno
    import time
    import types

    render = importlib.import_module("costlib.report.render")

    class NoLoopback(render.socket.socket):
        def connect(self, address):
            raise OSError(errno.ENETUNREACH, "Network is unreachable")

    def kernel_never_answers(*args, **kwargs):  # as papermill did, if less patiently
        time.sleep(15)
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    monkeypatch.setattr(render, "socket", types.SimpleNamespace(socket=NoLoopback))
    monkeypatch.setattr(render, "execute_template", kernel_never_answers)
    start = time.perf_counter()
    code, out, err = main(capsys, "report", "default", "-o", str(tmp_path / "r.html"),
                          "--today", "2026-11-22")
    assert time.perf_counter() - start < 10
    assert code == 2 and not out and err.count("\n") == 1
    assert err.startswith("costlib: error: report: no loopback network interface (127.0.0.1: "
                          "Network is unreachable); the report's kernel needs one")
    assert not list(tmp_path.iterdir())


def test_a_clock_behind_the_data_renders_and_says_so(capsys, monkeypatch, tmp_path):
    # The catalog refused rows dated after today: no report on a machine whose clock is behind.
    render = importlib.import_module("costlib.report.render")

    monkeypatch.setattr(render, "execute_template", lambda *a, **k: None)
    monkeypatch.setattr(render, "to_html", lambda executed, title: "<html></html>")
    code, out, err = main(capsys, "report", "default", "-o", str(tmp_path / "r.html"),
                          "--today", "2025-06-01")
    assert code == 0 and out.startswith("wrote ")
    assert err.startswith("costlib: warning: ") and err.count("\n") == 1
    assert "dated after today (2025-06-01): " in err and "check the clock or the data" in err


def test_help():
    out = run("report", "--help")
    assert out.returncode == 0 and "--pdf OUT.pdf" in out.stdout and "--client" in out.stdout
    assert "--today YYYY-MM-DD" in out.stdout


@pytest.mark.slow
def test_the_template_ships_in_the_wheel_and_reports_from_it(tmp_path, installed_wheel):
    wheel, site = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("costlib/notebooks/report/report_template.ipynb",
                 "costlib/notebooks/report/templates/costlib_report/index.html.j2",
                 "costlib/notebooks/report/templates/costlib_report/conf.json",
                 "costlib/notebooks/report/templates/costlib_report/static/report.css",
                 "costlib/report/templates/_section.html.j2",
                 "costlib/report/templates/summary.html.j2",
                 "costlib/report/static/report.js"):
        assert name in names, name
    code = ("import costlib, costlib.cli as c, sys; assert costlib.__file__.startswith(sys.argv[1])"
            "; sys.exit(c.main(['report', 'prototype', '-o', 'r.html', '--samples', '500']))")
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True,
                         text=True, cwd=tmp_path, env={"PYTHONPATH": str(site),
                                                       "PATH": str(Path(sys.executable).parent)},
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r.html").read_text().count('class="costlib-chart"') == 8


# --------------------------------------------------------------------------- no network


def _network_use(trace: str) -> list[str]:
    """Lines of an ``strace -f -yy`` log where a packet would leave the machine: a TCP
    connect to another host, or data sent on an IP socket that is not loopback (DNS
    included). A UDP connect alone sends nothing (Chromium probes its route that way)."""
    loopback = re.compile(r'"(127\.\d+\.\d+\.\d+|::1)"')
    connected: dict[str, str] = {}
    found = []
    for line in trace.splitlines():
        m = re.search(r"\b(connect|sendto|sendmsg|write)\((\d+)<(TCP|UDP)v?6?:", line)
        if not m:
            continue
        call, fd, proto = m.groups()
        outside = "inet_" in line and not loopback.search(line)
        if call == "connect":
            connected[fd] = "outside" if outside else "loopback"
            if proto == "TCP" and outside:
                found.append(line)
        elif outside or connected.get(fd) == "outside":
            found.append(line)
    return found


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("strace") and rp.find_chromium()),
                    reason="needs strace and Chromium")
def test_the_pdf_printer_sends_nothing_outside_the_machine(tmp_path, monkeypatch):
    # Chromium sent DNS queries for Google update and account hosts despite
    # --disable-background-networking.
    import importlib

    render_module = importlib.import_module("costlib.report.render")  # the module
    log = tmp_path / "trace.txt"
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec strace -f -qq -yy -e trace=connect,sendto,sendmsg,write '
                       f'-o {log} {rp.find_chromium()} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(render_module, "find_chromium", lambda: str(wrapper))
    html = tmp_path / "r.html"
    html.write_text("<!doctype html><title>r</title><p>offline</p>"
                    "<img src='https://example.com/x.png'>")  # a fetch it must not make
    render_module.print_pdf(html, tmp_path / "r.pdf", timeout=120)
    assert (tmp_path / "r.pdf").stat().st_size > 0
    trace = log.read_text()
    assert "connect(" in trace  # the trace saw the calls it checks
    assert _network_use(trace) == []
