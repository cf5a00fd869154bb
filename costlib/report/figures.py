"""The report's charts: the figures of :mod:`costlib.charts` for one scenario and its
decision, made to read well in a report, on screen and in print (titles wrapped to the
printed width, category labels level, legends below the plot with the room they need).

plotly is imported inside the functions that build figures.
"""

from __future__ import annotations

import math
import textwrap

from costlib.errors import InputError

CHARTS = ("cost_by_area", "cost_per_approved", "cost_vs_volume", "cumulative",
          "distribution", "tornado", "demand", "hybrid")
# A4 less the print stylesheet's margins (2 x 14 mm) at 96 px per inch: charts are drawn
# this wide in print so nothing is clipped. [px]
PRINT_WIDTH_PX = 680
PRINT_HEIGHT_SCALE = 0.8  # charts a little lower in print, so two fit on a page
# The cost-against-volume chart ends at most here. [images/month]
MAX_IMAGES_PER_MONTH = 1e9


# --------------------------------------------------------------------------- polish


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False) or [text]


def fit_title(fig, width: int = 64, sub_width: int = 100) -> None:
    """Wrap a chart's title (and its ``<sup>`` subtitle) to fit the printed width, and make
    room for the lines above the plot."""
    main, *rest = (fig.layout.title.text or "").split("<br>")
    lines = _wrap(main, width)
    for line in rest:
        if line.startswith("<sup>") and line.endswith("</sup>"):
            lines += [f"<sup>{x}</sup>" for x in _wrap(line[5:-6], sub_width)]
        else:
            lines.append(line)
    fig.update_layout(title_text="<br>".join(lines),
                      margin_t=max(fig.layout.margin.t or 0, 36 + 22 * len(lines)))


def wrap_categories(fig, width: int = 16) -> None:
    """Category labels of bar charts over several lines instead of slanted."""
    for trace in fig.data:
        if trace.type == "bar" and trace.orientation != "h" and trace.x is not None:
            trace.x = ["<br>".join(_wrap(str(x), width)) for x in trace.x]
    fig.update_xaxes(tickangle=0)


def legend_rows(fig, font_px: float = 13) -> int:
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


def legend_below(fig, axis_px: int, font_px: float = 13) -> int:
    """The legend under the plot with the room it needs below the x axis (``axis_px`` for
    tick labels and the axis title). Returns its rows."""
    rows = legend_rows(fig, font_px)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom",
                                  xref="container", x=0.02, xanchor="left",
                                  font_size=font_px),
                      margin_b=axis_px + int(1.6 * font_px + 1) * rows)
    return rows


def polish(fig, name: str):
    """A chart of :mod:`costlib.charts` (a ``go.Figure``, changed in place and returned)
    made to read well in a report: titles wrapped, category labels level, legends below the
    plot."""
    fit_title(fig)
    if name in ("cost_by_area", "cost_per_approved"):
        wrap_categories(fig)
    if name == "cost_by_area":
        fig.update_layout(legend_traceorder="normal")
        rows = legend_below(fig, 76, font_px=11)
        fig.update_layout(height=480 + 18 * rows)
    elif fig.layout.legend.orientation == "h":
        rows = legend_below(fig, 80)
        fig.update_layout(height=(fig.layout.height or 450) + 22 * rows - 40)
    return fig


# --------------------------------------------------------------------------- the figures


def crossings(model, cheapest: str) -> dict[str, list[float]]:
    """Volumes at which each option and ``cheapest`` swap, by option name.
    [images/month]"""
    from costlib.breakeven import crossings_against

    others = {n: o for n, o in model.options.items() if n != cheapest}
    return crossings_against(model.options[cheapest], others, model.workload, model.ops,
                             MAX_IMAGES_PER_MONTH)


def volume_top(model, decision, cheapest: str) -> float:
    """The right end of the cost-against-volume chart: ten times today's volume, or
    twice the first break-even above it. [images/month]"""
    current = float(model.workload.images_per_month)
    later = [v for vs in crossings(model, cheapest).values() for v in vs if v > current]
    if decision.breakeven is not None and math.isfinite(decision.breakeven.images_per_month):
        later.append(decision.breakeven.images_per_month)
    top = max(10 * current, 1000.0)
    return min(max(top, 2 * min(later)), MAX_IMAGES_PER_MONTH) if later else top


def check_chart(name: str) -> None:
    if name not in CHARTS:
        raise InputError(f"chart: {name!r} is not allowed; must be one of {', '.join(CHARTS)}")


def _tornado_moves(tornado) -> bool:
    """Some bar of the tornado is wider than rounding: a chart worth drawing."""
    from costlib.decision import matters

    return any(matters(b.swing, tornado.base_usd) for b in tornado.bars)


def figure(model, decision, cheapest: str, name: str):
    """The polished figure (``go.Figure``) of one chart of :data:`CHARTS`, or None where it
    does not apply (the uncertainty and hybrid charts of an infeasible decision, a tornado
    without any swing, a decision with no hybrid to size).

    model : costlib.scenario.Model
    decision : costlib.decision.Decision
    cheapest : str  The cheapest option as the scenario gives it (the evaluation's).
    name : str  One of :data:`CHARTS`.
    """
    import plotly.graph_objects as go

    from costlib import charts

    check_chart(name)
    d = decision
    fig = None
    if name == "cost_by_area":
        fig = charts.cost_by_area_figure(model)
    elif name == "cost_per_approved":
        fig = charts.cost_per_approved_figure(model)
    elif name == "cost_vs_volume":
        fig = charts.cost_vs_volume_figure(
            model, max_images_per_month=volume_top(model, d, cheapest))
    elif name == "cumulative":
        fig = charts.cumulative_cost_figure(model)
    elif name == "demand":
        fig = charts.demand_figure(model)
    elif not d.feasible:
        return None
    elif name == "distribution":
        fig = charts.distribution_figure(model, d.monte_carlo)
    elif name == "tornado":
        if _tornado_moves(d.tornado):
            fig = charts.tornado_figure(model, d.tornado)
    elif d.hybrid is not None:
        fig = charts.hybrid_figure(model, d.hybrid)
    if fig is None:
        return None
    return polish(go.Figure(fig), name)
