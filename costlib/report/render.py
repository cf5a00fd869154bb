"""The render and print pipeline: the report template notebook executed with papermill,
converted to HTML with nbconvert (code cells left out) and printed to PDF with headless
Chromium.

papermill, nbconvert and nbformat are imported inside the functions that use them, so
``import costlib.report`` stays light.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from costlib.errors import InputError
from costlib.files import write_atomic
from costlib.scenario.io import scenario_path

# Monte Carlo samples: at 10,000 the P5 and P95 of a cost move by under 1 % from seed to
# seed (2 % at 2,000), and decide() takes 1-2 s.
DEFAULT_SAMPLES = 10_000
DEFAULT_SEED = 0
DISTRIBUTION = "pert"
TEMPLATE = "report/report_template.ipynb"
NBCONVERT_TEMPLATE = "costlib_report"
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass(frozen=True)
class Rendered:
    """What :func:`render` wrote.

    html : Path
    pdf : Path or None
    charts : int  Figures in the HTML.
    html_seconds, pdf_seconds : float  Time to execute and convert, and to print. [s]
    warning : str  What the reader should check ('' where nothing): catalog rows dated
        after the report's day (:func:`costlib.catalog.future_warning`).
    """

    html: Path
    pdf: Path | None
    charts: int
    html_seconds: float
    pdf_seconds: float
    warning: str = ""


# --------------------------------------------------------------------------- where things are


def report_title(scenario, title: str | None = None) -> str:
    """The report's title: the one given, else one made from the scenario's name."""
    if title and title.strip():
        return title.strip()
    return f"{scenario.name}: managed API, rented GPUs, owned GPUs or hybrid?"


def notebooks_dir() -> Path:
    """The folder of the report template and its nbconvert template (works from a wheel)."""
    try:
        return Path(str(resources.files("costlib.notebooks")))
    except ModuleNotFoundError:  # an editable install made before costlib.notebooks existed
        return Path(__file__).resolve().parents[2] / "notebooks"


def template_path() -> Path:
    """The report template notebook."""
    return notebooks_dir() / TEMPLATE


def nbconvert_templates_dir() -> Path:
    """The folder holding the ``costlib_report`` nbconvert template."""
    return notebooks_dir() / "report" / "templates"


def find_chromium() -> str | None:
    """Headless Chromium: ``BROWSER_PATH`` (as kaleido reads it), else the first of chromium,
    chromium-browser, google-chrome on PATH."""
    named = os.environ.get("BROWSER_PATH")
    if named and Path(named).is_file():
        return named
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def check_loopback(timeout: float = 2.0) -> None:
    """Fail at once where the loopback interface (127.0.0.1) does not carry a connection:
    the report's kernel talks to papermill over it, and without it papermill waits 60 s for
    the kernel before failing. A connection to a port of our own tells. [s]"""
    try:
        with socket.socket() as server, socket.socket() as client:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            client.settimeout(timeout)
            client.connect(server.getsockname())
    except OSError as e:
        raise InputError(f"report: no loopback network interface (127.0.0.1: "
                         f"{e.strerror or e}); the report's kernel needs one: bring it up "
                         "(ip link set lo up) or render on another machine") from None


def _no_chromium() -> InputError:
    return InputError("--pdf: no Chromium found; install chromium (apt-get install chromium) "
                      "or name it in BROWSER_PATH")


# --------------------------------------------------------------------------- the three steps


def execute_template(scenario, executed: Path, *, client: str = "", title: str = "",
                     samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED,
                     today: dt.date | None = None, template: Path | None = None) -> None:
    """Run the report template with papermill, the scenario and options as parameters,
    writing the executed notebook to ``executed``. ``today`` goes in as an ISO date, or
    ``""`` (None) for the clock's date, read in the kernel."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    parameters = {"scenario": str(scenario), "client": client or "", "title": title or "",
                  "samples": int(samples), "seed": int(seed),
                  "today": today.isoformat() if today else ""}
    try:
        papermill.execute_notebook(str(template or template_path()), str(executed),
                                   parameters=parameters, kernel_name="python3",
                                   progress_bar=False, log_output=False,
                                   cwd=str(executed.parent),
                                   # the kernel's own log is no news to a user: its
                                   # start-up chatter, and the "KeyboardInterrupt caught in
                                   # kernel" line it logs when the shutdown's interrupt (sent
                                   # by jupyter_client before every shutdown request) finds it
                                   # still in a handler on a busy machine. A failing cell is
                                   # reported from the notebook (PapermillExecutionError).
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as e:
        raise InputError(f"report: the template failed in cell {e.exec_count}: {e.ename}: "
                         f"{e.evalue}".splitlines()[0]) from None


def to_html(executed: Path, title: str) -> str:
    """The executed notebook as HTML without code cells, through the costlib_report
    nbconvert template."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    nb.metadata["title"] = title  # nbconvert escapes it into <title>
    exporter = HTMLExporter(template_name=NBCONVERT_TEMPLATE,
                            extra_template_basedirs=[str(nbconvert_templates_dir())],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 120.0) -> None:
    """Print a report to PDF with headless Chromium, charts static at the printed width
    (the ``#print`` mode of ``static/report.js``)."""
    chromium = find_chromium()
    if chromium is None:
        raise _no_chromium()
    pdf_path = Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="costlib-chromium-") as profile:
        tmp_pdf = Path(profile) / "report.pdf"
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-extensions",
                   # nothing leaves the machine, not even a DNS query for an update check:
                   # every host name resolves to nothing and any fetch goes to a closed port
                   "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                   "--disable-component-update", "--disable-sync", "--disable-default-apps",
                   "--disable-domain-reliability", "--no-pings",
                   "--disable-dev-shm-usage", "--no-first-run", "--mute-audio",
                   f"--user-data-dir={profile}/profile", "--no-pdf-header-footer",
                   "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000",
                   f"--print-to-pdf={tmp_pdf}",
                   Path(html_path).resolve().as_uri() + "#print"]
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise InputError(f"--pdf: Chromium did not finish within {timeout:g} s") from None
        if not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
            last = (out.stderr.strip().splitlines() or ["no output"])[-1]
            raise InputError(f"--pdf: Chromium wrote no PDF (exit {out.returncode}): {last}")
        write_atomic(pdf_path, tmp_pdf.read_bytes())


def render(scenario, out_html, *, pdf=None, client: str | None = None,
           title: str | None = None, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED,
           notebook=None, today: dt.date | str | None = None) -> Rendered:
    """The report of one scenario: HTML (and PDF where ``pdf`` is given).

    Every input is checked before any work, so a bad one fails in one line and writes
    nothing.

    Parameters
    ----------
    scenario : str or Path  A scenario YAML file or a preset name.
    out_html : str or Path  The HTML to write.
    pdf : str or Path, optional  The PDF to write (needs Chromium).
    client, title : str, optional  Shown in the header; default: the scenario's client and a
        title made from its name.
    samples : int  Monte Carlo samples. [samples]
    seed : int  Seed of the Monte Carlo, >= 0.
    notebook : str or Path, optional  Where to keep the executed notebook.
    today : datetime.date or str, optional  The day the ages of figures count to (the stale
        flags) and the report is dated, a date or ISO ``YYYY-MM-DD``; default: the clock's
        date when the template runs.

    Returns
    -------
    Rendered
    """
    from costlib.catalog import future_warning, load_catalog, parse_today
    from costlib.scenario import load_scenario
    from costlib.uncertainty import check_settings

    start = time.perf_counter()
    today = parse_today(today)
    path = scenario_path(scenario)
    loaded = load_scenario(path)  # a bad scenario fails here, in one line
    # and here a bad quotes file
    catalog = load_catalog(loaded.quotes, stale_after_days=loaded.stale_after_days,
                           today=today)
    check_settings(samples, DISTRIBUTION, seed)
    if pdf and find_chromium() is None:
        raise _no_chromium()
    check_loopback()
    name = report_title(loaded, title)
    out_html = Path(out_html)
    if out_html.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"-o: {str(out_html)!r} is not allowed; must end in .html")
    with tempfile.TemporaryDirectory(prefix="costlib-report-") as tmp:
        executed = Path(tmp) / "report.ipynb"
        execute_template(path.resolve(), executed, client=client or "", title=title or "",
                         samples=samples, seed=seed, today=today)
        body = to_html(executed, name)
        if notebook:
            write_atomic(Path(notebook), executed.read_bytes())
    write_atomic(out_html, body.encode("utf-8"))
    html_seconds = time.perf_counter() - start
    pdf_seconds = 0.0
    if pdf:
        start = time.perf_counter()
        print_pdf(out_html, Path(pdf))
        pdf_seconds = time.perf_counter() - start
    return Rendered(out_html, Path(pdf) if pdf else None, body.count('class="costlib-chart"'),
                    html_seconds, pdf_seconds, future_warning(catalog))
