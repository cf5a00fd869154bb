"""Client reports: one scenario in, an HTML report (interactive charts, works offline) and a
PDF out.

The report is a notebook, ``notebooks/report/report_template.ipynb`` (shipped as
``costlib.notebooks``): its markdown cells hold the wording, so a consultant rewords the
report without touching Python, and its code cells only call the section builders of a
:class:`Report` (:func:`build_report`). :func:`render` executes the template with papermill
(the scenario and the options are its parameters), converts it to HTML with nbconvert, code
cells left out, through the ``costlib_report`` template (``notebooks/report/templates``: no
CDN, no JupyterLab stylesheet, a print stylesheet), and prints the HTML to PDF with headless
Chromium.

The package, one concern a module:

- :mod:`~costlib.report.sections`: the data each section shows, formatted, no HTML;
- :mod:`~costlib.report.html`: that data placed by the Jinja templates of ``templates/``,
  autoescape on, so every string a client supplies (scenario, client and option names,
  descriptions, labels, quotes sources and notes) is escaped; the print mode's JavaScript is
  ``static/report.js``;
- :mod:`~costlib.report.figures`: the charts of :mod:`costlib.charts` polished for print;
- :mod:`~costlib.report.builder`: :class:`Report` and :func:`build_report`;
- :mod:`~costlib.report.render`: papermill, nbconvert and Chromium.

Charts do not depend on plotly's renderer settings: each section cell returns plain HTML,
figures as ``to_html(include_plotlyjs=False)`` and plotly.js inlined once by
:meth:`Report.assets`, so the charts survive nbconvert, stay interactive and need no
network. Opened as ``report.html#print`` (as the PDF step does), or printed from a browser,
charts are drawn static at the printed width.
"""

from costlib.report.builder import Report, build_report
from costlib.report.figures import CHARTS, PRINT_HEIGHT_SCALE, PRINT_WIDTH_PX, polish
from costlib.report.html import Html
from costlib.report.render import (
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    DISTRIBUTION,
    NBCONVERT_TEMPLATE,
    TEMPLATE,
    Rendered,
    execute_template,
    find_chromium,
    nbconvert_templates_dir,
    notebooks_dir,
    print_pdf,
    render,
    report_title,
    template_path,
    to_html,
)
from costlib.report.sections import SECTIONS

__all__ = [
    "CHARTS", "DEFAULT_SAMPLES", "DEFAULT_SEED", "DISTRIBUTION", "NBCONVERT_TEMPLATE",
    "PRINT_HEIGHT_SCALE", "PRINT_WIDTH_PX", "SECTIONS", "TEMPLATE", "Html", "Rendered",
    "Report", "build_report", "execute_template", "find_chromium", "nbconvert_templates_dir",
    "notebooks_dir", "polish", "print_pdf", "render", "report_title",
    "template_path", "to_html",
]
