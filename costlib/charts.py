"""Plotly figure builders: a resolved scenario in, a plotly figure dict out, nothing displayed.

A figure dict (``{"data": [trace dicts], "layout": {...}}``) is what ``go.Figure(fig)``,
``go.FigureWidget(fig)`` and ``plotly.io`` take. Builders return dicts rather than
``go.Figure`` objects because plotly validates every object it builds (5-20 ms a figure),
too slow for widgets that rebuild their charts on every change; the widgets validate only
what changed (:func:`costlib.ui.forms.refresh_figure`).

Two palettes that never meet: an option keeps its color in every chart and every scenario
(the shipped options have theirs, another option takes one by its name), and cost areas are
drawn in pale colors no option uses. Log axes say so in their title and carry round ticks
(1k, 10k, 100k, 1M), and lines that coincide are drawn dashed and named in the title.
"""

from __future__ import annotations

import dataclasses
import html
import math
import zlib

import numpy as np

from costlib.breakeven import crossings_against
from costlib.cashflow import model_cash_flow, volumes_per_month
from costlib.fmt import count, number, usd, volume
from costlib.labels import factor_label
from costlib.labels import option_labels as _plain_labels
from costlib.options import HOURS_PER_MONTH
from costlib.tco import (
    COST_AREAS,
    cost_per_approved_usd,
    local_capacity_images_per_month,
    monthly_cost_by_area,
    option_gpus,
    serving_images_per_month,
    shared_review_usd,
)

# the shipped options' colors, the same in every preset (two options share one only where
# they are the same offer under two names and never meet in a scenario)
KNOWN_COLORS = {
    "replicate_sdxl": "#1f77b4", "fal_flux_schnell": "#17becf", "openai_dalle3": "#2ca02c",
    "openai_dalle3_hd": "#637939", "google_imagen3": "#bcbd22", "leonardo_basic": "#8c564b",
    "ideogram_standard": "#7f7f7f", "a100_on_demand": "#9467bd", "a100_reserved": "#393b79",
    "h100_reserved": "#8c6d31", "rtx4090_owned": "#d62728", "rtx4090_on_demand": "#ff7f0e",
    "rtx4090_community": "#ff7f0e", "hybrid_4090_replicate": "#e377c2",
    "hybrid_4090_fal": "#e377c2"}
# any other option: a color picked by its name (crc32), the next free one on a clash
OPTION_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39",
                 "#7b4173")
# cost areas: pale (ColorBrewer Set3), so that no area reads as an option
AREA_COLORS = dict(zip(COST_AREAS, ("#80b1d3", "#fb8072", "#fdb462", "#bebada", "#b3de69",
                                    "#8dd3c7", "#fccde5", "#d9d9d9", "#ffed6f"), strict=True))
LOW_HIGH_COLORS = ("#9ecae1", "#fdae6b")  # tornado: an input at its low, at its high
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# No plotly template (building one costs ~20 ms a figure, too slow for live widgets): the
# look is set explicitly, white with light grid lines.
_AXIS = dict(gridcolor="#e6e6e6", zerolinecolor="#cccccc", linecolor="#999999", automargin=True)
_LAYOUT = dict(template="none", font=dict(size=13, family="Arial, sans-serif", color="#333"),
               paper_bgcolor="white", plot_bgcolor="white",
               margin=dict(l=80, r=30, t=70, b=60), height=480)
# a legend below the plot, at the foot of the figure, under the x axis's title
_LEGEND_BELOW = dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0)
_MARGIN_LEGEND_BELOW = 150  # room for the x axis and three legend rows [px]
# Review labor is the same for every option and can dwarf the rest: charts leave it out by
# default and say so, while every table and total includes it.
SHARED_AREA = "review"


def _figure(traces: list[dict], title: str, xaxis: dict | None = None,
            yaxis: dict | None = None, **layout) -> dict:
    """A figure dict in the common look: ``traces`` are plotly trace dicts (with their
    ``type``), ``layout`` any further layout keys. Titles (an axis's ``title`` too) are given
    as text and written in plotly's own form, ``{"text": ...}``, the form widgets are sent
    unvalidated (plotly.js 3 reads no other)."""
    def axis(spec):
        spec = {**_AXIS, **(spec or {})}
        return {**spec, "title": {"text": spec["title"]}} if "title" in spec else spec

    margin = {**_LAYOUT["margin"], "t": 56 + 24 * title.count("<br>")}
    if layout.get("legend") == _LEGEND_BELOW:
        margin["b"] = _MARGIN_LEGEND_BELOW
        layout.setdefault("height", 560)
    layout["margin"] = {**margin, **layout.get("margin", {})}
    # the title (and its notes) hangs from the top of the figure, above the plot
    return {"data": traces, "layout": {**_LAYOUT, "title": {"text": title, "y": 1,
                                                            "yref": "container",
                                                            "yanchor": "top",
                                                            "pad": {"t": 14}},
                                       "xaxis": axis(xaxis), "yaxis": axis(yaxis), **layout}}


def _shared_usd(model, workload):
    """Review labor every option pays at ``workload`` (the least any pays): the cost the
    choice does not change, left out of the charts by default. [USD/month]"""
    return shared_review_usd(monthly_cost_by_area(o, workload, model.ops)[SHARED_AREA]
                             for o in model.options.values())


def _shared_note(model) -> str:
    monthly = float(_shared_usd(model, model.workload))
    return f"review labor every option pays, not shown: {usd(monthly)}/month" \
        if monthly else ""


def _monthly_usd(model, option, workload, include_review: bool):
    """An option's monthly cost, or (by default) the part of it the choice changes."""
    total = sum(monthly_cost_by_area(option, workload, model.ops).values())
    return total if include_review else total - _shared_usd(model, workload)


def _line(x, y, name: str, color: str, hovertemplate: str) -> dict:
    return dict(type="scatter", x=x, y=y, name=name, mode="lines",
                line=dict(color=color, width=2.5), hovertemplate=hovertemplate)


def _short(x: float) -> str:
    """A round tick value in few characters: 500, 2k, 10k, 1.5M, 2B."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def log_axis(low: float, high: float, title: str, money: bool = False) -> dict:
    """A log axis from ``low`` to ``high`` that says it is one, with round ticks: 1-2-5
    steps over up to three decades, decades beyond ('$1k', '10k', '1M')."""
    low, high = max(low, 1e-9), max(high, low * 10)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if last - first <= 3 else (1,)
    ticks = [m * 10.0 ** e for e in range(first, last + 1) for m in steps
             if low <= m * 10.0 ** e <= high]
    prefix = "$" if money else ""
    return dict(type="log", title=f"{title}, log scale", tickvals=ticks,
                ticktext=[prefix + _short(t) for t in ticks])


_DASHES = {"dash": "dashed", "dot": "dotted", "dashdot": "dash-dotted",
           "longdash": "long-dashed"}


def _mark_coincident(traces: list[dict]) -> list[str]:
    """Dash each line that lies on an earlier one (within 2 %, too close to tell apart), a
    different dash for each further one, and say which, so none hides another: one note
    per line it dashed. A line is named by its legend entry up to a colon."""
    said = []
    for i, trace in enumerate(traces):
        same = [t for t in traces[:i] if np.allclose(trace["y"], t["y"], rtol=0.02, atol=0.5)]
        if same:
            dash = list(_DASHES)[(len(same) - 1) % len(_DASHES)]
            trace["line"] = {**trace["line"], "dash": dash}
            said.append(f"{trace['name'].split(':')[0]} ({_DASHES[dash]}) lies on "
                        f"{same[0]['name'].split(':')[0]}")
    return said


def _subtitle(title: str, *notes: str, width: int = 110) -> str:
    """A chart title with its notes in smaller lines below, a new line where one would pass
    ``width`` characters."""
    lines: list[str] = []
    for note in filter(None, notes):
        if lines and len(lines[-1]) + len(note) + 2 <= width:
            lines[-1] += f"; {note}"
        else:
            lines.append(note)
    return title + "".join(f"<br><sup>{line}</sup>" for line in lines)


def option_colors(model) -> dict[str, str]:
    """The color of each option of a scenario: its own where it is a shipped option, else
    one picked by its name; the same in every chart and every scenario."""
    colors = {n: KNOWN_COLORS[n] for n in model.options if n in KNOWN_COLORS}
    for name in model.options:
        if name in colors:
            continue
        start = zlib.crc32(name.encode())
        free = [OPTION_COLORS[(start + i) % len(OPTION_COLORS)]
                for i in range(len(OPTION_COLORS))]
        colors[name] = next((c for c in free if c not in colors.values()), free[0])
    return {n: colors[n] for n in model.options}


def option_labels(model) -> dict[str, str]:
    """Display labels by option name (the scenario's label, else the name in words),
    HTML-escaped: plotly reads a subset of HTML in text, so a label such as ``<b>`` stays
    text."""
    return {n: html.escape(label) for n, label in _plain_labels(model.scenario).items()}


_MONEY = dict(tickprefix="$", tickformat=",~r")  # a money axis: $ and round ticks


def cost_by_area_figure(model, include_review: bool = False) -> dict:
    """Stacked bars: monthly cost of each option by cost area. [USD/month]"""
    labels = option_labels(model)
    names = list(model.options)
    areas = {n: monthly_cost_by_area(model.options[n], model.workload, model.ops) for n in names}
    shared = 0.0 if include_review else float(_shared_usd(model, model.workload))
    bars = []
    for area, title in COST_AREAS.items():
        # review above what every option pays (worse acceptance) is a cost the choice changes
        monthly = [float(areas[n][area]) - (shared if area == SHARED_AREA else 0.0)
                   for n in names]
        if not any(monthly):
            continue
        if area == SHARED_AREA and not include_review:
            title = "Review labor above the shared"
        bars.append(dict(type="bar", name=title, x=[labels[n] for n in names], y=monthly,
                         marker=dict(color=AREA_COLORS[area], line=dict(color="white",
                                                                        width=0.5)),
                         text=[f"{usd(v)}/month" for v in monthly], textposition="none",
                         hovertemplate="%{x}<br>" + title + ": %{text}<extra></extra>"))
    return _figure(bars, _subtitle("Monthly cost by cost area",
                                   "" if include_review else _shared_note(model)),
                   yaxis=dict(title="Cost [USD/month]", **_MONEY),
                   barmode="stack", legend=dict(traceorder="reversed"))


def _crossings(model, best: str, top: float, include_review: bool):
    """Break-evens against the cheapest option up to ``top``: (volume, cost, text) each."""
    labels = option_labels(model)
    others = {n: o for n, o in model.options.items() if n != best}
    found = crossings_against(model.options[best], others, model.workload, model.ops, top)
    return [(v, float(_monthly_usd(model, others[name], dataclasses.replace(
                model.workload, images_per_month=v), include_review)),
             f"{labels[best]} = {labels[name]}")
            for name in others for v in found[name]]


def cost_vs_volume_figure(model, max_images_per_month: float | None = None,
                          points: int = 200, include_review: bool = False) -> dict:
    """Monthly cost of each option against volume (log axes), the scenario's volume and the
    break-even volumes against the cheapest option at that volume marked; a break-even beyond
    the chart, up to a billion images a month, is named in the title.
    [USD/month, images/month]"""
    current = float(model.workload.images_per_month)
    top = max_images_per_month or max(10 * current, 1000.0)
    volumes = np.geomspace(max(top / 1e4, 1.0), top, points)
    w = dataclasses.replace(model.workload, images_per_month=volumes)
    colors, labels = option_colors(model), option_labels(model)
    traces = [_line(volumes, _monthly_usd(model, option, w, include_review), labels[name],
                    colors[name], labels[name] + "<br>%{x:,.3~r} images/month: "
                    "%{y:$,.0f}/month<extra></extra>")
              for name, option in model.options.items()]
    coincide = _mark_coincident(traces)
    at_current = {n: float(_monthly_usd(model, o, model.workload, True))
                  for n, o in model.options.items()}
    best = min(at_current, key=at_current.get)
    marks = _crossings(model, best, 1e9, include_review)
    shown = [m for m in marks if m[0] <= top]
    first = {}  # a pair's first break-even beyond the chart (a GPU step adds more)
    for v, _, text in marks:
        if v > top:
            first.setdefault(text, v)
    beyond = ", ".join(f"{text} at {volume(v)}" for text, v in first.items())
    traces.append(dict(type="scatter", x=[m[0] for m in shown], y=[m[1] for m in shown],
                       mode="markers", name="break-even",
                       marker=dict(symbol="diamond", size=11, color="black"),
                       text=[m[2] for m in shown],
                       hovertemplate="%{text}<br>%{x:,.3~r} images/month"
                                     "<extra>break-even</extra>"))
    costs = np.concatenate([t["y"] for t in traces[:-1]])
    costs = costs[costs > 0]
    note = _shared_note(model) if not include_review else ""
    breaks = ("diamonds: break-even with the cheapest" if shown else
              "no break-even with the cheapest on this range")
    return _figure(
        traces, _subtitle("Monthly cost against volume", breaks,
                          f"beyond the chart: {beyond}" if beyond else "",
                          note.split(":")[0], *coincide),
        xaxis=log_axis(volumes[0], top, "Volume [images/month]"),
        yaxis=log_axis(costs.min(), costs.max(), "Cost [USD/month]", money=True)
        if costs.size else dict(title="Cost [USD/month]", **_MONEY),
        legend=_LEGEND_BELOW,
        shapes=[dict(type="line", x0=current, x1=current, xref="x", y0=0, y1=1,
                     yref="y domain", line=dict(dash="dot", color="gray"))],
        # on a log axis an annotation's x is log10 of the value (a shape's is not)
        annotations=[dict(x=np.log10(max(current, 1e-9)), xref="x", y=1, yref="paper",
                          text=f"this scenario: {volume(current, 3)}", showarrow=False,
                          xanchor="right", yanchor="top")])


def cumulative_cost_figure(model, include_review: bool = False) -> dict:
    """Cumulative cash cost of each option over the horizon (:mod:`costlib.cashflow`:
    purchases and setup at month 0, growth, price declines, replacements), by default less
    the review labor every option pays (which follows the volume month by month). [USD]"""
    months = model.scenario.horizon_months
    colors, labels = option_colors(model), option_labels(model)
    shared = 0.0 if include_review else float(_shared_usd(model, model.workload))
    volume = volumes_per_month(1.0, model.timeline, months)  # each month's over today's
    shared_cumulative = shared * np.concatenate(([0.0], np.cumsum(volume)))
    traces = [_line(np.arange(months + 1),
                    model_cash_flow(model, name).cumulative_usd - shared_cumulative,
                    labels[name], colors[name],
                    labels[name] + "<br>month %{x}: %{y:$,.0f}<extra></extra>")
              for name in model.options]
    note = ("review labor included" if include_review or not shared else
            f"review labor every option pays left out: {usd(shared_cumulative[-1])} over "
            f"{months} months")
    return _figure(traces, _subtitle(f"Cumulative cost over {months} months", note,
                                     *_mark_coincident(traces)),
                   xaxis=dict(title="Month"),
                   yaxis=dict(title="Cumulative cost [USD]", **_MONEY),
                   legend=_LEGEND_BELOW)


def cost_per_approved_figure(model) -> dict:
    """Bars: cost per approved asset of each option, review and rejects included. [USD/asset]"""
    colors, labels = option_colors(model), option_labels(model)
    names = list(model.options)
    per_asset = [float(cost_per_approved_usd(model.options[n], model.workload, model.ops))
                 for n in names]
    outputs = number(model.workload.outputs_per_approved)
    return _figure([dict(type="bar", x=[labels[n] for n in names], y=per_asset,
                         marker=dict(color=[colors[n] for n in names]),
                         text=[usd(v) for v in per_asset], textposition="outside",
                         hovertemplate="%{x}: %{text} per approved asset<extra></extra>")],
                   _subtitle("Cost per approved asset",
                             f"{outputs} outputs generated per approved asset unless an option "
                             "has its own; review labor included"),
                   yaxis=dict(title="Cost per approved asset [USD]", **_MONEY))


def demand_figure(model) -> dict:
    """A week of hourly demand for the scenario's profile against the hourly capacity of each
    option that holds GPUs (GPUs x images/h); capacities far above the peak are named, not
    drawn to scale. [images/h]"""
    from costlib.capacity import demand_profile, hourly_images

    w = model.scenario.workload
    peak = float(model.workload.peak_factor)
    # GPUs are sized on what they serve: requests less cache hits, previews at their share
    mean = float(serving_images_per_month(model.workload)) / HOURS_PER_MONTH
    hours = np.arange(168)
    if w.variability in ("business_hours", "spiky"):
        demand = hourly_images(mean * HOURS_PER_MONTH, demand_profile(w.variability, peak))
        shape = f"{w.variability.replace('_', ' ')} profile"
    else:  # steady or seasonal: flat within a week; the peak hour is shown as a line
        demand = np.full(168, mean)
        shape = f"{w.variability} demand, flat within a week"
    when = [f"{DAYS[h // 24]} {h % 24:02d}:00" for h in hours]
    colors, labels = option_colors(model), option_labels(model)
    traces = [dict(type="scatter", x=hours, y=demand, name="demand", mode="lines",
                   line=dict(color="black", width=2), fill="tozeroy",
                   fillcolor="rgba(0,0,0,0.08)", text=when,
                   hovertemplate="%{text}: %{y:,.3~r} images/hour<extra>demand</extra>"),
              dict(type="scatter", x=[0, 167], y=[mean * peak] * 2,
                   name=f"peak hour ({number(peak)} x the mean)", mode="lines",
                   line=dict(color="black", dash="dot"),
                   hovertemplate="%{y:,.3~r} images/hour<extra>peak hour</extra>")]
    # the axis reaches to 3x the peak: a capacity far above it would flatten the demand
    ceiling = 3 * max(float(demand.max()), mean * peak, 1e-9)
    above = []
    capacities = []
    for name, option in model.options.items():
        if not option.holds_dedicated_gpus:
            continue
        gpus = float(option_gpus(option, model.workload))
        capacity = float(local_capacity_images_per_month(option.local_part, gpus)) \
            / HOURS_PER_MONTH
        held = f"{count(gpus)} GPU" + ("" if count(gpus) == "1" else "s")
        if capacity > ceiling:
            above.append(f"{labels[name]} {volume(capacity, 3)}")
        capacities.append(dict(type="scatter", x=[0, 167], y=[capacity] * 2, mode="lines",
                           name=f"{labels[name]}: {held}, {volume(capacity, 3)} images/hour",
                           line=dict(color=colors[name]),
                           hovertemplate=f"{labels[name]}<br>%{{y:,.3~r}} images/hour"
                                         "<extra></extra>"))
    off = (f"capacity above the chart (images/hour): {', '.join(above)}" if above else "")
    top = ceiling if above else max([ceiling / 3 * 1.15, *(t["y"][0] for t in capacities)]) * 1.1
    coincide = _mark_coincident(capacities)
    return _figure(traces + capacities,
                   _subtitle("Demand against GPU capacity", shape,
                             "on-demand GPUs and APIs scale with demand and are not drawn",
                             off, *coincide),
                   xaxis=dict(title="Day of the week (hourly demand)", tickvals=list(
                       range(0, 168, 24)), ticktext=list(DAYS), range=[0, 167]),
                   yaxis=dict(title="Images per hour", range=[0, top]), legend=_LEGEND_BELOW)


def distribution_figure(model, mc, metric: str = "monthly_usd") -> dict:
    """Monte Carlo distribution of each option's cost (box with P5-P95 whiskers and the
    probability of being cheapest in its label). [USD/month or USD/asset]"""
    colors, labels = option_colors(model), option_labels(model)
    unit = "USD/month" if metric == "monthly_usd" else "USD/asset"
    values = getattr(mc, metric)
    boxes = []
    for name in mc.options:
        p5, p25, p50, p75, p95 = np.percentile(values[name], [5, 25, 50, 75, 95])
        label = f"{labels[name]}<br>cheapest in {mc.p_cheapest[name]:.0%}"
        boxes.append(dict(type="box", name=label, y=[label], q1=[p25], median=[p50], q3=[p75],
                          lowerfence=[p5], upperfence=[p95], orientation="h",
                          marker=dict(color=colors[name]),
                          hovertemplate=f"{labels[name]}<br>low {usd(p5)}, median {usd(p50)},"
                                        f" high {usd(p95)} ({unit})<extra></extra>"))
    return _figure(boxes, _subtitle(
        f"How sure: cost over {mc.samples:,} samples of the inputs",
        "box: the middle half; line: median; whiskers: 90 % of samples"),
                   xaxis=dict(title=f"Cost [{unit}]", **_MONEY), showlegend=False)


def _tornado_output(tornado, labels: dict[str, str]) -> tuple[str, str]:
    """(what a tornado measures at base values, in words; its axis title)."""
    base = tornado.base_usd
    if len(tornado.options) == 2:
        a, b = (labels.get(n, n) for n in tornado.options)
        return (f"{a} costs {usd(abs(base))}/month {'more' if base >= 0 else 'less'} than "
                f"{b} at base values", "Cost difference [USD/month]")
    return (f"{labels.get(tornado.options[0])} costs {usd(base)}/month at base values",
            "Cost [USD/month]")


def tornado_figure(model, tornado, bars: int = 10) -> dict:
    """Tornado: the output with each input at its low and its high, largest swing on top.
    [USD/month]"""
    # inputs that cannot move the output are left out
    from costlib.decision import matters
    from costlib.fmt import quantity_range

    plain = _plain_labels(model.scenario)
    moving = [b for b in tornado.bars if matters(b.swing, tornado.base_usd)]
    shown = moving[:bars][::-1]
    names = [html.escape(f"{factor_label(b.factor, plain)} "
                         f"({quantity_range(b.factor.low, b.factor.high, b.factor.unit)})")
             for b in shown]
    base = tornado.base_usd
    what, axis = _tornado_output(tornado, option_labels(model))
    traces = [dict(type="bar", y=names, x=[getattr(b, key) - base for b in shown], base=base,
                   orientation="h", name=label, marker=dict(color=color),
                   text=[f"{usd(getattr(b, key))}/month" for b in shown], textposition="none",
                   hovertemplate="%{y}<br>%{text}<extra>" + label + "</extra>")
              for (label, key), color in zip((("input at its low", "output_at_low"),
                                              ("input at its high", "output_at_high")),
                                             LOW_HIGH_COLORS, strict=True)]
    return _figure(traces, _subtitle("What it hinges on", what,
                                     "each bar: the cost with one input at its low or high"),
                   xaxis=dict(title=axis, **_MONEY),
                   barmode="overlay", legend=_LEGEND_BELOW,
                   height=max(400, 210 + 38 * len(shown)), margin={"l": 40},
                   shapes=[dict(type="line", x0=base, x1=base, xref="x", y0=0, y1=1,
                                yref="y domain", line=dict(color="black"))])


def hybrid_figure(model, plan) -> dict:
    """Monthly cost against the number of local GPUs, overflow to the API; the axis reaches
    beyond the cheapest hybrid count and the GPUs the local option alone would hold, not to
    the plan's largest count. [USD/month]"""
    labels = option_labels(model)
    reach = max(3 * plan.best_hybrid_gpus, math.ceil(plan.local_only_gpus) + 2, 3)
    last = int(min(reach, plan.gpus[-1]))
    gpus, monthly = plan.gpus[:last + 1], plan.monthly_usd[:last + 1]
    return _figure(
        [dict(type="scatter", x=gpus, y=monthly, mode="lines+markers",
              name="hybrid", line=dict(color=option_colors(model)[plan.local], width=2.5),
              customdata=plan.overflow_images_per_month[:last + 1],
              hovertemplate="%{x} local GPUs: %{y:$,.0f}/month<br>%{customdata:,.3~r} "
                            "images/month to the API<extra></extra>"),
         dict(type="scatter", x=[plan.best_gpus], y=[plan.best_monthly_usd], mode="markers",
              name="cheapest", marker=dict(symbol="star", size=16, color="black"),
              hovertemplate="cheapest: %{x} GPUs, %{y:$,.0f}/month<extra></extra>")],
        _subtitle(f"Hybrid split: {labels[plan.local]} for the base load, {labels[plan.api]} "
                  "for the overflow",
                  f"0 GPUs = the API alone; cheapest at {count(plan.best_gpus)} "
                  f"{'GPU' if plan.best_gpus == 1 else 'GPUs'}"),
        xaxis=dict(title="Local GPUs", **({"dtick": 1} if last <= 12 else {})),
        yaxis=dict(title="Cost [USD/month]", **_MONEY), legend=_LEGEND_BELOW)
