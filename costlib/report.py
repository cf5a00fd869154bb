"""Client reports: one scenario in, an HTML report (interactive charts, works offline) and a
PDF out.

The report is a notebook, ``notebooks/report/report_template.ipynb`` (shipped as
``costlib.notebooks``): its markdown cells hold the wording, so a consultant rewords the
report without touching Python, and its code cells only call the section builders of a
:class:`Report`. :func:`render` executes the template with papermill (the scenario and the
options are its parameters), converts it to HTML with nbconvert, code cells left out, through
the ``costlib_report`` template (``notebooks/report/templates``: no CDN, no JupyterLab
stylesheet, a print stylesheet), and prints the HTML to PDF with headless Chromium.

Charts do not depend on plotly's renderer settings: each section cell returns plain HTML,
figures as ``to_html(include_plotlyjs=False)`` and plotly.js inlined once by
:meth:`Report.assets`, so the charts survive nbconvert, stay interactive and need no
network. Opened as ``report.html#print`` (as the PDF step does), or printed from a browser,
charts are drawn static at the printed width.

Every string a client supplies (scenario, client and option names, descriptions, labels,
quotes sources and notes) is escaped with :func:`html.escape`, in tables and in charts.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from costlib import __version__
from costlib.errors import InputError
from costlib.files import write_atomic

# Monte Carlo samples: at 10,000 the P5 and P95 of a cost move by under 1 % from seed to
# seed (2 % at 2,000), and decide() takes 1-2 s.
DEFAULT_SAMPLES = 10_000
DEFAULT_SEED = 0
DISTRIBUTION = "pert"
TEMPLATE = "report/report_template.ipynb"
NBCONVERT_TEMPLATE = "costlib_report"
# A4 less the print stylesheet's margins (2 x 14 mm) at 96 px per inch: charts are drawn
# this wide in print so nothing is clipped. [px]
PRINT_WIDTH_PX = 680
PRINT_HEIGHT_SCALE = 0.8  # charts a little lower in print, so two fit on a page
SECTIONS = {
    "summary": "Executive summary",
    "workload": "Workload and constraints",
    "costs": "Cost by option and cost area",
    "breakeven": "Break-even and cumulative cost",
    "uncertainty": "Uncertainty",
    "capacity": "Capacity and latency",
    "hybrid": "Hybrid split and cost levers",
    "appendix": "Appendix: every assumption",
}
CHARTS = ("cost_by_area", "cost_per_approved", "cost_vs_volume", "cumulative",
          "distribution", "tornado", "demand", "hybrid")
KINDS = {"api": "managed API", "rented": "rented GPU", "owned": "owned GPU",
         "hybrid": "hybrid"}
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


# --------------------------------------------------------------------------- small pieces


def esc(text) -> str:
    """Client text as HTML text: ``<script>`` stays text."""
    return html.escape(str(text), quote=True)


def usd(x: float) -> str:
    """A money figure as the CLI prints it: no cents from 100, four decimals below 1."""
    x = float(x)
    if not math.isfinite(x):
        return "unbounded"
    if x == 0:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.4f}" if abs(x) < 1 else f"{x:,.2f}"


def num(x: float) -> str:
    """A quantity for people: thousands separated, three significant digits below 1,000."""
    x = float(x)
    if not math.isfinite(x):
        return "unbounded"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def pct(p: float) -> str:
    return f"{100 * p:.0f} %" if p is not None else "-"


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


def _cls(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


def _cell(text: str, cls: str = "", attrs: dict | None = None, header: bool = False) -> str:
    tag = "th" if header else "td"
    extra = "".join(f' {k}="{esc(v)}"' for k, v in (attrs or {}).items())
    return f"<{tag}{_cls(cls)}{extra}>{text}</{tag}>"


def _table(head: list[tuple[str, str]], rows: list[tuple[str, list[str]]], cls: str = "",
           caption: str = "") -> str:
    """A table: ``head`` is ``(escaped text, class)`` per column, ``rows`` are
    ``(row class, [cell markup])``."""
    thead = "".join(_cell(text, c, header=True) for text, c in head)
    body = "".join(f"<tr{_cls(rc)}>{''.join(cells)}</tr>" for rc, cells in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (f'<table class="costlib-table {cls}">{cap}<thead><tr>{thead}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _items(lines, cls: str = "") -> str:
    return f"<ul{_cls(cls)}>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"


def _keyfigure(key: str, title: str, value: str, detail: str, extra: str = "",
               text: bool = False) -> str:
    """One box of the executive summary (arguments are markup, already escaped)."""
    cls = "costlib-value costlib-value-text" if text else "costlib-value"
    return (f'<div class="costlib-keyfigure" data-key="{key}"><span class="costlib-key">'
            f'{title}</span><span class="{cls}">{value}</span>'
            f'<span class="costlib-small">{detail}</span>{extra}</div>')


def _section(name: str, body: str) -> Html:
    return Html(f'<section class="costlib-section" data-section="{name}">{body}</section>',
                name)


def _range(low: float, high: float, unit: str = "") -> str:
    unit = f" {unit}" if unit else ""
    return f"{num(low)}-{num(high)}{unit}" if low != high else ""


def _seconds(triple) -> str:
    low, value, high = triple
    return f"{value:.3g} s" + (f" ({low:.3g}-{high:.3g})" if low != high else "")


def scenario_path(text: str | os.PathLike) -> Path:
    """A scenario file, or the name of a preset shipped in data/scenarios."""
    from costlib.scenario import preset_path

    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return preset_path(str(text))


def report_title(scenario, title: str | None = None) -> str:
    """The report's title: the one given, else one made from the scenario's name."""
    return title.strip() if title and title.strip() else \
        f"{scenario.name}: managed API, rented GPUs, owned GPUs or hybrid?"


def notebooks_dir() -> Path:
    """The folder of the report template and its nbconvert template (works from a wheel)."""
    try:
        return Path(str(resources.files("costlib.notebooks")))
    except ModuleNotFoundError:  # an editable install made before costlib.notebooks existed
        return Path(__file__).resolve().parent.parent / "notebooks"


def template_path() -> Path:
    """The report template notebook."""
    return notebooks_dir() / TEMPLATE


def nbconvert_templates_dir() -> Path:
    """The folder holding the ``costlib_report`` nbconvert template."""
    return notebooks_dir() / "report" / "templates"


def chart_html(fig, name: str) -> Html:
    """A plotly figure as report HTML: no plotly.js (see :meth:`Report.assets`), a stable
    element id, interactive on screen."""
    config = {"displaylogo": False, "responsive": True,
              "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
    div = fig.to_html(include_plotlyjs=False, full_html=False, div_id=f"costlib-chart-{name}",
                      config=config)
    return Html(f'<figure class="costlib-chart" data-chart="{esc(name)}">{div}</figure>',
                f"chart {name}")


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False) or [text]


def _fit_title(fig, width: int = 64, sub_width: int = 100) -> None:
    """Wrap a chart's title (and its ``<sup>`` subtitle) to fit the printed width, and make
    room for the lines above the plot."""
    title = fig.layout.title.text or ""
    main, _, rest = title.partition("<br>")
    lines = _wrap(main, width)
    if rest.startswith("<sup>") and rest.endswith("</sup>"):
        lines += [f"<sup>{x}</sup>" for x in _wrap(rest[5:-6], sub_width)]
    elif rest:
        lines.append(rest)
    fig.update_layout(title_text="<br>".join(lines),
                      margin_t=max(fig.layout.margin.t or 0, 36 + 22 * len(lines)))


def _wrap_categories(fig, width: int = 16) -> None:
    """Category labels of bar charts over several lines instead of slanted."""
    for trace in fig.data:
        if trace.type == "bar" and trace.orientation != "h" and trace.x is not None:
            trace.x = ["<br>".join(_wrap(str(x), width)) for x in trace.x]
    fig.update_xaxes(tickangle=0)


def _legend_rows(fig, font_px: float = 13) -> int:
    """Rows a horizontal legend takes in print, as plotly lays it out: one row where every
    entry fits across the plot, else columns as wide as the widest entry (about 0.5 em a
    character and 40 px for the symbol)."""
    names = [str(t.name) for t in fig.data if t.showlegend is not False and t.name]
    if not names:
        return 0
    margin = fig.layout.margin
    plot_px = PRINT_WIDTH_PX - (margin.l or 80) - (margin.r or 80)
    widths = [40 + 0.5 * font_px * len(n) for n in names]
    if sum(widths) <= plot_px:
        return 1
    columns = max(1, int(plot_px // max(widths)))
    return math.ceil(len(names) / columns)


def _legend_below(fig, axis_px: int, font_px: float = 13) -> int:
    """The legend under the plot with the room it needs below the x axis (``axis_px`` for
    tick labels and the axis title). Returns its rows."""
    rows = _legend_rows(fig, font_px)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom",
                                  xref="container", x=0.02, xanchor="left",
                                  font_size=font_px),
                      margin_b=axis_px + int(1.6 * font_px + 1) * rows)
    return rows


def polish(fig, name: str):
    """A chart of :mod:`costlib.charts` made to read well in a report, on screen and in
    print: titles wrapped, category labels level, legends below the plot, log-axis
    labels placed."""
    _fit_title(fig)
    if name in ("cost_by_area", "cost_per_approved"):
        _wrap_categories(fig)
    if name == "cost_by_area":
        fig.update_layout(legend_traceorder="normal")
        rows = _legend_below(fig, 76, font_px=11)
        fig.update_layout(height=480 + 18 * rows)
    elif fig.layout.legend.orientation == "h":
        rows = _legend_below(fig, 80)
        fig.update_layout(height=(fig.layout.height or 450) + 22 * rows - 40)
    return fig


# --------------------------------------------------------------------------- the report


@dataclass
class Report:
    """Everything a report shows for one scenario, and one HTML builder per section.

    model : costlib.scenario.Model  The scenario as given.
    evaluation : dict  :func:`costlib.tco.evaluate` of it (the JSON of ``costlib evaluate``):
        every cost table shows these numbers.
    decision : costlib.decision.Decision  The seven steps with a Monte Carlo of ``samples``
        samples seeded with ``seed``.
    client, title : str  As shown (unescaped; every builder escapes them).
    source : str  The scenario file's name or the preset's.
    """

    model: object
    evaluation: dict
    decision: object
    client: str
    title: str
    samples: int
    seed: int
    source: str
    prepared: str

    # ------------------------------------------------------------------ helpers

    @property
    def scenario(self):
        return self.model.scenario

    def _labels(self) -> dict[str, str]:
        return {s.name: s.label or s.name for s in self.scenario.options}

    def _label(self, name: str) -> str:
        return esc(self._labels()[name])

    def _rows(self) -> dict[str, dict]:
        return {r["name"]: r for r in self.evaluation["options"]}

    def _verdicts(self) -> dict[str, object]:
        return {a.name: a for a in self.decision.options}

    def _usd_cell(self, name: str, field: str, value: float) -> str:
        return _cell(usd(value), "num", {"data-option": name, "data-field": field,
                                         "data-value": repr(float(value))})

    def _basis_differs(self) -> list[str]:
        """Options the decision costs differently from the scenario as given."""
        rows = self._rows()
        return [a.name for a in self.decision.options
                if abs(a.monthly_usd - rows[a.name]["monthly_usd"]) > 0.5]

    def _basis_note(self) -> str:
        differs = self._basis_differs()
        if not differs:
            return ""
        why = []
        if not self.scenario.constraints.has_ops_team:
            why.append("self-hosting carries hiring one ML infrastructure engineer, since the "
                       "team has no operations capacity")
        if any(self.model.option(n).kind == "hybrid" for n in differs):
            why.append("hybrids are priced at their cheapest local GPU count under the hourly "
                       "demand profile")
        names = ", ".join(self._label(n) for n in differs)
        return (f'<p class="costlib-note">The recommendation costs {names} differently from '
                f"the scenario as given: {esc('; '.join(why) or 'see the notes')}. Cost "
                "tables show the scenario as given (the figures of <code>costlib evaluate"
                "</code>); the uncertainty section shows the decision's basis.</p>")

    def _hinge(self):
        """(assumption in words, detail) the recommendation hinges on."""
        d = self.decision
        if not d.feasible:
            return esc(d.deciding_factor or "the hard constraints"), \
                "No option meets the hard constraints."
        flipping = [f for f in d.flip_points if f.below is not None or f.above is not None]
        if flipping:
            def distance(flip):
                f = flip.factor
                span = (f.high - f.low) or 1.0
                return min(abs(v - f.value) / span for v in (flip.below, flip.above)
                           if v is not None)
            flip = min(flipping, key=distance)
            f = flip.factor
            return (esc(f"{f.name} ({num(f.value)} {f.unit}, range {num(f.low)}-{num(f.high)})"),
                    esc(f"{flip.sentence()} Source: {f.source}."))
        if d.tornado is not None and d.tornado.bars:
            top = d.tornado.bars[0]
            f = top.factor
            what = (f"the margin over {self._labels()[d.runner_up]}" if d.runner_up else
                    "its cost")
            return (esc(f"{f.name} ({num(f.low)}-{num(f.high)} {f.unit})"),
                    esc(f"Across its range it moves {what} by {usd(top.swing)} USD/month; no "
                        f"single input flips the answer within its range. Source: {f.source}."))
        return "nothing uncertain", "No input of this scenario has a range."

    # ------------------------------------------------------------------ sections

    def assets(self) -> Html:
        """The report's stylesheet (components.css of the nbconvert template) and plotly.js,
        once, inline (the report opens offline), with the print mode: with ``#print`` in the
        address, or when printed from a browser, charts are drawn static at the printed
        width."""
        from plotly.offline import get_plotlyjs

        css = (nbconvert_templates_dir() / NBCONVERT_TEMPLATE / "static" /
               "components.css").read_text(encoding="utf-8")

        script = f"""
(function () {{
  var W = {PRINT_WIDTH_PX}, H = {PRINT_HEIGHT_SCALE};
  var printing = /(^#|&)print\\b/.test(window.location.hash);
  if (printing) {{
    document.documentElement.classList.add("costlib-print");
    var newPlot = Plotly.newPlot;
    Plotly.newPlot = function (div, data, layout, config) {{
      var height = Math.round((layout.height || 450) * H);
      var el = typeof div === "string" ? document.getElementById(div) : div;
      [el, el.parentElement].forEach(function (e) {{  // to_html sizes the wrapper too
        e.style.height = height + "px"; e.style.width = W + "px"; }});
      layout = Object.assign({{}}, layout, {{width: W, height: height}});
      config = Object.assign({{}}, config, {{staticPlot: true, responsive: false}});
      return newPlot.call(Plotly, div, data, layout, config);
    }};
  }}
  function plots() {{ return document.querySelectorAll(".js-plotly-plot"); }}
  window.addEventListener("beforeprint", function () {{
    if (!printing) plots().forEach(function (p) {{ Plotly.relayout(p, {{width: W}}); }});
  }});
  window.addEventListener("afterprint", function () {{
    if (!printing) plots().forEach(function (p) {{
      Plotly.relayout(p, {{width: null}}); Plotly.Plots.resize(p); }});
  }});
}})();"""
        return Html(f'<style type="text/css">{css}</style>'
                    f'<script type="text/javascript">{get_plotlyjs()}</script>'
                    f'<script type="text/javascript">{script}</script>', "assets")

    def header(self) -> Html:
        """Title, client, scenario and date."""
        s = self.scenario
        ev = self.evaluation
        client = (f'<p class="costlib-prepared-for">Prepared for '
                  f"<strong>{esc(self.client)}</strong></p>" if self.client else "")
        desc = f'<p class="costlib-description">{esc(s.description)}</p>' if s.description \
            else ""
        return _section("header", f"""<header class="costlib-header">
{client}<h1 class="costlib-title">{esc(self.title)}</h1>
<p class="costlib-meta">Scenario <strong>{esc(s.name)}</strong> ({esc(self.source)}) &middot;
{num(ev['images_per_month'])} images and {num(ev['approved_per_month'])} approved assets a month
&middot; {s.horizon_months}-month horizon &middot; prepared {esc(self.prepared)} with costlib
{esc(__version__)}</p>{desc}</header>""")

    def summary(self) -> Html:
        """The recommendation, its monthly cost range, confidence and the assumption it hinges
        on; the reasons and the advice."""
        d = self.decision
        hinge, hinge_detail = self._hinge()
        if not d.feasible:
            body = f"""<div class="costlib-verdict costlib-infeasible">
<p class="costlib-verdict-title">Infeasible: no option meets the hard constraints</p>
<p>Excluded by <strong>{esc(d.deciding_factor)}</strong>; nothing is recommended and no cost is
given as an answer.</p></div>
<h3>Why</h3>{_items(d.reasons)}<h3>What to do</h3>{_items(d.advice)}"""
            return _section("summary", body)
        rec = d.option(d.recommendation)
        ev_usd = self._rows()[rec.name]["monthly_usd"]
        basis = (f'<span class="costlib-small">as costed for the decision; the scenario as '
                 f"given: {usd(ev_usd)} USD/month</span>"
                 if abs(rec.monthly_usd - ev_usd) > 0.5 else "")
        close = " (a close call)" if d.confidence < 0.6 else ""
        runner = (f"; runner-up {self._label(d.runner_up)}" if d.runner_up else "")
        figures = ('<div class="costlib-keyfigures">'
                   + _keyfigure("recommendation", "Recommendation", self._label(rec.name),
                                f"{esc(d.architecture)} ({esc(KINDS[rec.kind])}); deciding "
                                f"factor: {esc(d.deciding_factor)}{runner}")
                   + _keyfigure("monthly", "Monthly cost", f"{usd(rec.monthly_usd)} USD",
                                f"{usd(rec.monthly_usd_p5)}-{usd(rec.monthly_usd_p95)} USD "
                                f"(P5-P95 of {d.monte_carlo.samples:,} samples)", basis)
                   + _keyfigure("confidence", "Confidence", pct(d.confidence),
                                f"share of samples in which it is the cheapest option "
                                f"kept{close}")
                   + _keyfigure("hinge", "Hinges on", hinge, hinge_detail, text=True)
                   + "</div>")
        body = f"""{figures}
<h3>Why</h3>{_items(d.reasons)}<h3>What to do</h3>{_items(d.advice)}"""
        return _section("summary", body)

    def workload(self) -> Html:
        """The workload, constraints, labor and options as the scenario gives them, the
        options kept or excluded by the constraints, and steps 1-4 of the framework."""
        s = self.scenario

        def given(value) -> str:
            if isinstance(value, dict):
                text = num(value["value"])
                if value.get("low") is not None or value.get("high") is not None:
                    lo = value.get("low", value["value"])
                    hi = value.get("high", value["value"])
                    text += f" ({num(lo if lo is not None else value['value'])}-" \
                            f"{num(hi if hi is not None else value['value'])})"
                if value.get("source"):
                    text += f"; source: {value['source']}"
                return esc(text)
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, float | int):
                return esc(num(value))
            if isinstance(value, list | tuple):
                return esc(", ".join(map(str, value)))
            return esc(value)

        def rows(spec) -> list[tuple[str, list[str]]]:
            data = spec.model_dump(exclude_none=True, mode="json")
            return [("", [_cell(esc(k.replace("_", " "))), _cell(given(v))])
                    for k, v in data.items()]

        c = s.constraints
        constraint_rows = [
            ("", [_cell("privacy"), _cell(esc(f"{c.privacy} data"))]),
            ("", [_cell("data-processing agreement"),
                  _cell("available" if c.dpa_available else "not available")]),
            ("", [_cell("latency target"),
                  _cell(esc(f"{c.max_latency_s:g} s") if c.max_latency_s is not None
                        else "none")]),
            ("", [_cell("operations team"), _cell("yes" if c.has_ops_team else
                                                  "no (self-hosting needs a hire)")]),
            ("", [_cell("horizon"), _cell(f"{s.horizon_months} months")]),
        ]
        labor = rows(s.labor)
        head = [("Field", ""), ("As given", "")]
        options = []
        for spec in s.options:
            parts = [f"{k}: {v}" for k, v in (("offer", spec.offer), ("gpu", spec.gpu),
                                             ("throughput", spec.throughput),
                                             ("billing", spec.billing),
                                             ("local", spec.local), ("api", spec.api))
                     if v]
            if spec.local_gpus is not None:
                parts.append(f"local GPUs: {given(spec.local_gpus)}")
            if spec.discounts:
                parts.append(f"discounts: {', '.join(spec.discounts)}")
            if spec.set:
                parts.append("set: " + ", ".join(f"{k}={given(v)}" for k, v in spec.set.items()))
            verdict = self._verdicts()[spec.name]
            status = ("kept" if verdict.allowed else
                      "excluded: " + ", ".join(verdict.excluded_by))
            options.append(("" if verdict.allowed else "costlib-excluded", [
                _cell(f"{self._label(spec.name)}<br><code>{esc(spec.name)}</code>"),
                _cell(esc(KINDS[spec.kind])),
                _cell(esc("; ".join(parts))),
                _cell(f'<span class="costlib-badge costlib-{"kept" if verdict.allowed else "out"}'
                      f'">{esc(status)}</span> {esc(" ".join(verdict.reasons))}')]))
        steps = "".join(f'<li value="{step.number}"><strong>{esc(step.title)}.</strong> '
                        f"{esc(' '.join(step.findings))}</li>" for step in self.decision.steps[:4])
        body = ('<div class="costlib-columns"><div>'
                + _table(head, rows(s.workload), caption="Workload")
                + "</div><div>"
                + _table(head, constraint_rows, caption="Constraints")
                + (_table(head, labor, caption="Labor") if labor else "")
                + "</div></div>"
                + _table([("Option", ""), ("Kind", ""), ("As given", ""),
                          ("Under the constraints", "")], options, "costlib-options",
                         caption="Options compared")
                + f'<h3>What the first four steps found</h3><ol class="costlib-steps">{steps}'
                  "</ol>")
        return _section("workload", body)

    def costs(self) -> Html:
        """Monthly cost of every option (per image, per approved asset, upfront, over the
        horizon, NPV) and by cost area: the numbers of ``costlib evaluate``."""
        from costlib.tco import COST_AREAS

        ev = self.evaluation
        verdicts = self._verdicts()
        months = ev["horizon_months"]
        ranked = sorted(ev["options"], key=lambda r: r["monthly_usd"])
        rows = []
        for r in ranked:
            n = r["name"]
            cls = " ".join(x for x in ("costlib-best" if n == ev["cheapest"] else "",
                                       "" if verdicts[n].allowed else "costlib-excluded") if x)
            flag = "" if verdicts[n].allowed else (
                f' <span class="costlib-badge costlib-out">excluded: '
                f'{esc(", ".join(verdicts[n].excluded_by))}</span>')
            rows.append((cls, [
                _cell(self._label(n) + flag, attrs={"data-option": n}),
                _cell(esc(KINDS[r["kind"]])),
                _cell(f"{r['gpus']:g}", "num"),
                *(self._usd_cell(n, f, r[f]) for f in (
                    "monthly_usd", "usd_per_image", "usd_per_approved", "upfront_usd",
                    "horizon_usd", "npv_usd"))]))
        main = _table([("Option", ""), ("Kind", ""), ("GPUs", "num"), ("USD/month", "num"),
                       ("USD/image", "num"), ("USD/approved asset", "num"),
                       ("Upfront USD", "num"), (f"{months}-month USD", "num"),
                       ("NPV USD", "num")], rows, "costlib-costs",
                      caption="Monthly cost by option, cheapest first")
        areas = [a for a in COST_AREAS if any(r["by_area"][a] for r in ev["options"])]
        area_rows = [("", [_cell(esc(COST_AREAS[a]))]
                      + [self._usd_cell(r["name"], f"by_area.{a}", r["by_area"][a])
                         for r in ranked]) for a in areas]
        area_rows.append(("costlib-total", [_cell("Total")]
                          + [self._usd_cell(r["name"], "monthly_usd", r["monthly_usd"])
                             for r in ranked]))
        by_area = _table([("Cost area [USD/month]", "")]
                         + [(self._label(r["name"]), "num") for r in ranked], area_rows,
                         "costlib-areas", caption="Monthly cost by cost area [USD/month]")
        cheapest = self._label(ev["cheapest"])
        lead = (f"<p>At {num(ev['images_per_month'])} images a month, <strong>{cheapest}</strong>"
                f" costs least per month as the scenario gives it. Review labor, the same for "
                f"every option, is in every total; the charts leave it out where it would "
                f"dwarf the differences and say so.</p>")
        return _section("costs", lead + main + by_area + self._basis_note())

    def breakeven(self) -> Html:
        """Break-even volumes against the cheapest option, payback of purchases, and the
        decision's sampled break-even."""
        from costlib.breakeven import payback_months

        m, ev, d = self.model, self.evaluation, self.decision
        best = ev["cheapest"]
        found = self._crossings()
        rows = []
        for r in sorted(ev["options"], key=lambda r: r["monthly_usd"]):
            n = r["name"]
            if n == best:
                continue
            crossings = found[n]
            volumes = ", ".join(num(v) for v in crossings[:3]) + (
                " ..." if len(crossings) > 3 else "") if crossings else "none up to 1e9"
            payback = ""
            if r["kind"] in ("owned", "hybrid"):
                months = float(payback_months(m.options[n], m.options[best], m.workload, m.ops))
                payback = f"{months:.1f}" if math.isfinite(months) else "never"
            rows.append(("", [_cell(self._label(n), attrs={"data-option": n}),
                              _cell(esc(volumes), "num"), _cell(payback, "num")]))
        table = _table([("Option", ""), ("Break-even volume [images/month]", "num"),
                        (f"Payback against {self._label(best)} [months]", "num")], rows,
                       "costlib-breakeven",
                       caption=f"Where {self._label(best)} stops being the cheaper of the two")
        lines = []
        if d.feasible and d.breakeven is not None:
            b = d.breakeven
            a, alt = (self._labels()[x] for x in b.options)
            if math.isfinite(b.images_per_month):
                lines.append(f"The decision's break-even: {alt} takes over from {a} at about "
                             f"{num(b.images_per_month)} images/month; sampled, "
                             f"{num(b.p5)} to {num(b.p95)} (P5-P95), and it breaks even below "
                             f"1e9 images/month in {pct(b.p_breaks_even)} of samples.")
            else:
                lines.append(f"The decision's break-even: {alt} does not take over from {a} at "
                             f"any volume up to 1e9 images/month at base values (it does in "
                             f"{pct(b.p_breaks_even)} of samples).")
        lines.append(f"Today's volume: {num(ev['images_per_month'])} images/month. Payback "
                     f"counts the purchase at month 0 against the monthly saving.")
        return _section("breakeven", table + _items(lines, "costlib-notes"))

    def uncertainty(self) -> Html:
        """The Monte Carlo: base, P5, P50, P95 and the chance of being cheapest per option kept
        (the decision's costing), and its settings."""
        d = self.decision
        if not d.feasible:
            return _section("uncertainty", '<p class="costlib-note">No option is kept, so '
                                           "nothing is sampled.</p>")
        mc = d.monte_carlo
        rows = []
        for a in sorted((a for a in d.options if a.allowed), key=lambda a: a.monthly_usd):
            rows.append(("costlib-best" if a.name == d.recommendation else "", [
                _cell(self._label(a.name)),
                _cell(usd(a.monthly_usd), "num"), _cell(usd(a.monthly_usd_p5), "num"),
                _cell(usd(a.monthly_usd_p50), "num"), _cell(usd(a.monthly_usd_p95), "num"),
                _cell(pct(a.p_cheapest), "num")]))
        table = _table([("Option kept", ""), ("Base USD/month", "num"), ("P5", "num"),
                        ("P50", "num"), ("P95", "num"), ("Cheapest in", "num")], rows,
                       "costlib-mc", caption="Monthly cost over the sampled inputs")
        lead = (f'<p class="costlib-settings">{mc.samples:,} Monte Carlo samples, seed '
                f"<strong>{mc.seed}</strong>, {esc(mc.distribution)} distributions over each "
                f"input's range (read as a 90 % interval); inputs from one catalog row are drawn "
                f"together. The same seed gives the same report.</p>")
        return _section("uncertainty", lead + table)

    def flip_points(self) -> Html:
        """What would change the answer: each input whose range holds a flip."""
        d = self.decision
        if not d.feasible:
            return _section("flip-points", "")
        flipping = [f.sentence() for f in d.flip_points
                    if f.below is not None or f.above is not None]
        steady = len(d.flip_points) - len(flipping)
        lines = flipping or ["No single input flips the recommendation within its range."]
        tail = (f'<p class="costlib-note">The other {steady} uncertain inputs do not flip it '
                "within their ranges.</p>" if steady and flipping else "")
        return _section("flip-points", '<h3 class="costlib-subhead">What would change the '
                        'answer</h3>' + _items(lines, "costlib-flips") + tail)

    def capacity(self) -> Html:
        """GPUs held, latency warm and after a cold start against the target, and the
        capacity notes (queueing at the peak, bursts, hiring) of every option."""
        d, ev = self.decision, self.evaluation
        target = self.scenario.constraints.max_latency_s
        rows_ev = self._rows()
        rows = []
        for a in d.options:
            lat = a.latency
            warm = _seconds(lat.warm_seconds) if lat else "not known"
            cold = _seconds(lat.cold_start_seconds) if lat and lat.cold_start_seconds else (
                "none (kept warm)" if lat and lat.warm_dedicated else "-")
            verdict = "latency" not in a.excluded_by
            meets = "-" if target is None else ("meets" if verdict else "misses")
            notes = " ".join(a.notes) or "-"
            rows.append(("" if a.allowed else "costlib-excluded", [
                _cell(self._label(a.name)), _cell(f"{rows_ev[a.name]['gpus']:g}", "num"),
                _cell(esc(warm), "nowrap"), _cell(esc(cold), "nowrap"), _cell(meets),
                _cell(esc(notes), "costlib-notes-cell")]))
        table = _table([("Option", ""), ("GPUs", "num"), ("Warm latency", ""),
                        ("Cold start", ""),
                        (f"{target:g} s target" if target is not None else "Target", ""),
                        ("Notes", "")], rows, "costlib-capacity",
                       caption="Capacity and latency by option")
        steps = [x for step in d.steps if step.number in (2, 4) for x in step.findings]
        lead = (f"<p>Demand: {num(ev['images_per_month'])} images/month. "
                + (f"Latency target: {target:g} s per image." if target is not None else
                   "No latency target is set: every option qualifies on latency.")
                + "</p>")
        return _section("capacity", lead + table + _items(steps, "costlib-notes"))

    def hybrid(self) -> Html:
        """The cheapest split between local GPUs and an API, and the optimization levers."""
        d = self.decision
        plan = d.hybrid if d.feasible else None
        labels = self._labels()
        if plan is None:
            text = ('<p class="costlib-note">No hybrid to size: the options kept hold no pair of '
                    "a reserved or owned GPU option and an API.</p>")
        else:
            overflow = float(plan.overflow_images_per_month[plan.best_gpus])
            rows = [("", [_cell(esc(k)), _cell(esc(v), "num")]) for k, v in (
                ("Local GPUs for the base load", f"{labels[plan.local]}"),
                ("API for the overflow", f"{labels[plan.api]}"),
                ("Cheapest local GPU count", f"{plan.best_gpus}"),
                ("Monthly cost at that count", f"{usd(plan.best_monthly_usd)} USD"),
                ("Images sent to the API at that count", f"{num(overflow)} a month"),
                ("Cheapest count of at least one GPU", f"{plan.best_hybrid_gpus} "
                 f"({usd(float(plan.monthly_usd[plan.best_hybrid_gpus]))} USD/month)"),
                ("The API alone", f"{usd(plan.api_only_usd)} USD/month"),
                ("The local GPUs alone", f"{usd(plan.local_only_usd)} USD/month "
                 f"({plan.local_only_gpus:g} GPUs)"))]
            verdict = ("the API alone is cheapest: no local GPU pays for itself"
                       if plan.best_gpus == 0 else
                       f"{plan.best_gpus} local GPU(s) with the API taking each hour's excess "
                       "is cheapest")
            text = (f"<p>Under the hourly demand profile, {esc(verdict)}.</p>"
                    + _table([("Hybrid plan", ""), ("", "num")], rows, "costlib-hybrid"))
        levers = ""
        if d.feasible and d.levers:
            levers = ('<h3 class="costlib-subhead">Cost levers on the recommendation</h3>'
                      + _items([lever.sentence for lever in d.levers], "costlib-levers"))
        return _section("hybrid", text + levers)

    def appendix(self) -> Html:
        """Every input of the model: value, range, unit, source, as-of date and note, flagged
        where stale or given by the client (scenario or quotes file)."""
        s = self.scenario
        inputs = list(self.model.inputs.values())
        stale = sum(i.stale for i in inputs)
        client = sum(i.overridden for i in inputs)

        def group(path: str) -> str:
            if path.startswith("options."):
                name = path.split(".")[1]
                return f"Option: {self._labels().get(name, name)}"
            return {"workload": "Workload", "ops": "Operations"}.get(path.split(".")[0],
                                                                     "Finance")

        rows, current = [], None
        for i in inputs:
            g = group(i.path)
            if g != current:
                rows.append(("costlib-group", [f'<td colspan="7">{esc(g)}</td>']))
                current = g
            flags = []
            if i.stale:
                flags.append('<span class="costlib-badge costlib-stale">stale</span>')
            if i.overridden:
                flags.append('<span class="costlib-badge costlib-client">client</span>')
            note = f'<span class="costlib-small">{esc(i.note)}</span>' if i.note else ""
            name = (i.path.split(".", 2)[-1] if i.path.startswith("options.") else
                    i.path.split(".", 1)[-1])
            rows.append((" ".join(c for c in ("costlib-stale-row" if i.stale else "",
                                              "costlib-client-row" if i.overridden else "")
                                  if c), [
                _cell(f"<code>{esc(name)}</code>", attrs={"data-path": i.path}),
                _cell(esc(num(i.value)), "num"), _cell(esc(_range(i.low, i.high)), "num"),
                _cell(esc(i.unit)), _cell(esc(i.source) + (f"<br>{note}" if note else "")),
                _cell(esc(i.as_of or "-"), "nowrap"), _cell(" ".join(flags))]))
        table = _table([("Input", ""), ("Value", "num"), ("Range", "num"), ("Unit", ""),
                        ("Source and note", ""), ("As of", ""), ("Flag", "")], rows,
                       "costlib-assumptions")
        lead = (f"<p>{len(inputs)} inputs. <span class=\"costlib-badge costlib-stale\">stale"
                f"</span> {stale} older than {s.stale_after_days} days; "
                f'<span class="costlib-badge costlib-client">client</span> {client} given by the '
                "client in the scenario or a quotes file. Ranges are read as 90 % intervals; an "
                "input without a range is held at its value.</p>")
        mc = self.decision.monte_carlo
        method = (f'<p class="costlib-method">Prepared {esc(self.prepared)} with costlib '
                  f"{esc(__version__)} from {esc(self.source)}: "
                  + (f"{mc.samples:,} Monte Carlo samples, seed {mc.seed}, {esc(mc.distribution)}"
                     " distributions." if mc is not None else
                     f"no Monte Carlo (infeasible); seed {self.seed}.")
                  + "</p>")
        return _section("appendix", lead + method + table)

    def figure(self, name: str):
        """The plotly figure (``go.Figure``) of one chart, or None where it does not apply."""
        import plotly.graph_objects as go

        from costlib import charts

        if name not in CHARTS:
            raise InputError(f"chart: {name!r} is not allowed; must be one of "
                             f"{', '.join(CHARTS)}")
        m, d = self.model, self.decision
        fig = None
        if name == "cost_by_area":
            fig = charts.cost_by_area_figure(m)
        elif name == "cost_per_approved":
            fig = charts.cost_per_approved_figure(m)
        elif name == "cost_vs_volume":
            fig = charts.cost_vs_volume_figure(m, max_images_per_month=self._volume_top())
        elif name == "cumulative":
            fig = charts.cumulative_cost_figure(m)
        elif name == "demand":
            fig = charts.demand_figure(m)
        elif not d.feasible:
            return None
        elif name == "distribution":
            fig = charts.distribution_figure(m, d.monte_carlo)
        elif name == "tornado":
            if any(b.swing > max(0.01, 1e-6 * abs(d.tornado.base_usd)) for b in d.tornado.bars):
                fig = charts.tornado_figure(m, d.tornado)
        elif d.hybrid is not None:
            fig = charts.hybrid_figure(m, d.hybrid)
        if fig is None:
            return None
        fig = go.Figure(fig)
        if name == "hybrid":
            self._hybrid_range(fig, d.hybrid)
        return polish(fig, name)

    def _crossings(self) -> dict[str, list[float]]:
        """Volumes at which each option and the cheapest (as given) swap. [images/month]"""
        from costlib.breakeven import crossings_images_per_month

        m, best = self.model, self.evaluation["cheapest"]
        return {n: crossings_images_per_month(m.options[best], m.options[n], m.workload, m.ops)
                for n in m.options if n != best}

    def _volume_top(self) -> float:
        """The right end of the cost-against-volume chart: ten times today's volume, or
        twice the first break-even above it. [images/month]"""
        current = float(self.model.workload.images_per_month)
        later = [v for vs in self._crossings().values() for v in vs if v > current]
        if self.decision.breakeven is not None and math.isfinite(
                self.decision.breakeven.images_per_month):
            later.append(self.decision.breakeven.images_per_month)
        top = max(10 * current, 1000.0)
        return min(max(top, 2 * min(later)), 1e9) if later else top

    @staticmethod
    def _hybrid_range(fig, plan) -> None:
        """Show the GPU counts that matter, not all 64."""
        import numpy as np

        upper = int(min(len(plan.gpus) - 1, max(8, 3 * plan.best_hybrid_gpus,
                                                math.ceil(plan.local_only_gpus) + 2)))
        shown = np.asarray(plan.monthly_usd[:upper + 1], dtype=float)
        pad = 0.06 * float(np.ptp(shown) or abs(shown.max()) or 1.0)
        fig.update_xaxes(range=[-0.5, upper + 0.5])
        fig.update_yaxes(range=[float(shown.min()) - pad, float(shown.max()) + pad])

    def chart(self, name: str) -> Html:
        """One chart as HTML, or a line saying why there is none."""
        fig = self.figure(name)
        if fig is None:
            why = ("the decision is infeasible" if not self.decision.feasible else
                   "it does not apply to this scenario")
            return Html(f'<p class="costlib-note costlib-nochart" data-chart="{esc(name)}">'
                        f"No {esc(name.replace('_', ' '))} chart: {why}.</p>", f"chart {name}")
        return chart_html(fig, name)

    def charts(self) -> list[str]:
        """The names of the charts this report draws."""
        return [n for n in CHARTS if self.figure(n) is not None]


def build_report(scenario, *, client: str | None = None, title: str | None = None,
                 samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> Report:
    """Resolve, evaluate and decide one scenario (a file or a preset name) for a report.

    Parameters
    ----------
    scenario : str or Path  A scenario YAML file or the name of a preset.
    client : str, optional  The client's name; default: the scenario's ``client``.
    title : str, optional  The report's title; default: made from the scenario's name.
    samples : int  Monte Carlo samples. [samples]
    seed : int  Seed of the Monte Carlo, >= 0: the same seed gives the same report.
    """
    from costlib.decision import decide
    from costlib.scenario import load_scenario, resolve
    from costlib.tco import evaluate

    path = scenario_path(scenario)
    model = resolve(load_scenario(path))
    decision = decide(model, samples=samples, distribution=DISTRIBUTION, seed=seed)
    source = path.name if path.parent.resolve() != _presets_dir() else f"preset '{path.stem}'"
    return Report(model, evaluate(model), decision,
                  (client if client else model.scenario.client).strip(),
                  report_title(model.scenario, title), samples, seed, source,
                  dt.date.today().isoformat())


def _presets_dir() -> Path:
    from costlib.catalog import data_dir

    return (data_dir() / "scenarios").resolve()


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    """What :func:`render` wrote.

    html : Path
    pdf : Path or None
    charts : int  Figures in the HTML.
    html_seconds, pdf_seconds : float  Time to execute and convert, and to print. [s]
    """

    html: Path
    pdf: Path | None
    charts: int
    html_seconds: float
    pdf_seconds: float


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


def execute_template(scenario, executed: Path, *, client: str = "", title: str = "",
                     samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED,
                     template: Path | None = None) -> None:
    """Run the report template with papermill, the scenario and options as parameters,
    writing the executed notebook to ``executed``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    parameters = {"scenario": str(scenario), "client": client or "", "title": title or "",
                  "samples": int(samples), "seed": int(seed)}
    try:
        papermill.execute_notebook(str(template or template_path()), str(executed),
                                   parameters=parameters, kernel_name="python3",
                                   progress_bar=False, log_output=False,
                                   cwd=str(executed.parent),
                                   # the kernel's start-up chatter is no news to a user
                                   extra_arguments=["--IPKernelApp.log_level=ERROR"])
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
    """Print a report to PDF with headless Chromium, charts static at the printed width."""
    chromium = find_chromium()
    if chromium is None:
        raise InputError("--pdf: no Chromium found; install chromium (apt-get install "
                         "chromium) or name it in BROWSER_PATH")
    pdf_path = Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="costlib-chromium-") as profile:
        tmp_pdf = Path(profile) / "report.pdf"
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-extensions",
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
           notebook=None) -> Rendered:
    """The report of one scenario: HTML (and PDF where ``pdf`` is given).

    Parameters
    ----------
    scenario : str or Path  A scenario YAML file or a preset name.
    out_html : str or Path  The HTML to write.
    pdf : str or Path, optional  The PDF to write (needs Chromium).
    client, title : str, optional  Shown in the header; default: the scenario's client and a
        title made from its name.
    samples, seed : int  Monte Carlo samples and seed.
    notebook : str or Path, optional  Where to keep the executed notebook.

    Returns
    -------
    Rendered
    """
    from costlib.scenario import load_scenario
    from costlib.uncertainty import check_settings

    start = time.perf_counter()
    path = scenario_path(scenario)
    loaded = load_scenario(path)  # a bad scenario fails here, in one line
    check_settings(samples, DISTRIBUTION, seed)
    if pdf and find_chromium() is None:
        raise InputError("--pdf: no Chromium found; install chromium (apt-get install "
                         "chromium) or name it in BROWSER_PATH")
    name = report_title(loaded, title)
    out_html = Path(out_html)
    if out_html.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"-o: {str(out_html)!r} is not allowed; must end in .html")
    with tempfile.TemporaryDirectory(prefix="costlib-report-") as tmp:
        executed = Path(tmp) / "report.ipynb"
        execute_template(path.resolve(), executed, client=client or "", title=title or "",
                         samples=samples, seed=seed)
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
                    html_seconds, pdf_seconds)
