"""Report HTML: the Jinja templates of ``templates/`` rendered with autoescape on, so every
string a client supplies (scenario, client and option names, descriptions, labels, quotes
sources and notes) is escaped wherever a template places it. Only markup we make ourselves
passes unescaped: the stylesheet, plotly.js, ``static/report.js`` and plotly's chart divs.
"""

from __future__ import annotations

import functools
from pathlib import Path

from costlib.report.figures import PRINT_HEIGHT_SCALE, PRINT_WIDTH_PX

HERE = Path(__file__).resolve().parent
CHART_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


class Html:
    """A piece of report HTML: shown as HTML by Jupyter, ``str()`` gives the markup."""

    def __init__(self, markup: str, name: str = ""):
        self.markup = markup
        self.name = name

    def __str__(self) -> str:
        return self.markup

    def __repr__(self) -> str:  # the text/plain of a notebook output: short, not the markup
        return f"<costlib report {self.name or 'html'}: {len(self.markup):,} characters>"

    def _repr_html_(self) -> str:
        return self.markup

    def __html__(self) -> str:  # markupsafe: placed in a template as is
        return self.markup


@functools.cache
def environment():
    """The Jinja environment of the report's templates: autoescape on, and an undefined
    name in a template is an error, not an empty string."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def render_template(template: str, **context) -> str:
    """One template of ``templates/`` rendered with ``context`` (escaped where placed)."""
    return environment().get_template(template).render(**context)


def section(name: str, data: dict, template: str | None = None) -> Html:
    """A report section: ``templates/{template or name}.html.j2`` rendered with the
    section's data (:mod:`costlib.report.sections`), in a ``<section data-section=name>``."""
    template = template or name.replace("-", "_")
    return Html(render_template(f"{template}.html.j2", section=name, **data), name)


def static(name: str) -> str:
    """A file of ``static/`` as text."""
    return (HERE / "static" / name).read_text(encoding="utf-8")


def assets(css: str) -> Html:
    """The stylesheet ``css``, plotly.js and the print mode (``static/report.js``), inline:
    the report opens offline."""
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    return Html(render_template("assets.html.j2", css=Markup(css),
                                plotly_js=Markup(get_plotlyjs()),
                                script=Markup(static("report.js")),
                                print_width_px=PRINT_WIDTH_PX,
                                print_height_scale=PRINT_HEIGHT_SCALE), "assets")


def chart(fig, name: str) -> Html:
    """A plotly figure as report HTML: no plotly.js (see :func:`assets`), a stable element
    id, interactive on screen."""
    from markupsafe import Markup

    div = fig.to_html(include_plotlyjs=False, full_html=False, div_id=f"costlib-chart-{name}",
                      config=CHART_CONFIG)
    return Html(render_template("chart.html.j2", name=name, div=Markup(div)), f"chart {name}")


def no_chart(name: str, why: str) -> Html:
    """The line shown where a chart does not apply."""
    return Html(render_template("no_chart.html.j2", name=name, title=name.replace("_", " "),
                                why=why), f"chart {name}")
