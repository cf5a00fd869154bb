"""Plotly figure builders: a resolved scenario in, a plotly figure dict out, nothing displayed.

A figure dict (``{"data": [trace dicts], "layout": {...}}``) is what ``go.Figure(fig)``,
``go.FigureWidget(fig)`` and ``plotly.io`` take. Builders return dicts rather than
``go.Figure`` objects because plotly validates every object it builds (5-20 ms a figure),
too slow for widgets that rebuild their charts on every change; the widgets validate only
what changed (:func:`costlib.ui.forms.refresh_figure`).

One palette everywhere: an option keeps its color in every chart (by its position in the
scenario), and a cost area keeps its color in every stacked bar.
"""

from __future__ import annotations

import dataclasses
import html

import numpy as np

from costlib.breakeven import crossings_against
from costlib.cashflow import model_cash_flow
from costlib.fmt import number
from costlib.options import HOURS_PER_MONTH
from costlib.tco import (
    COST_AREAS,
    cost_per_approved_usd,
    local_capacity_images_per_month,
    monthly_cost_by_area,
    option_gpus,
    serving_images_per_month,
)

OPTION_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22")
AREA_COLORS = dict(zip(COST_AREAS, ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                                    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d"), strict=True))
# No plotly template (building one costs ~20 ms a figure, too slow for live widgets): the
# look is set explicitly, white with light grid lines.
_AXIS = dict(gridcolor="#e6e6e6", zerolinecolor="#cccccc", linecolor="#999999", automargin=True)
_LAYOUT = dict(template="none", font=dict(size=13, family="Arial, sans-serif", color="#333"),
               paper_bgcolor="white", plot_bgcolor="white",
               margin=dict(l=80, r=30, t=70, b=60), height=480)
_LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.2, x=0)
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

    return {"data": traces, "layout": {**_LAYOUT, "title": {"text": title},
                                       "xaxis": axis(xaxis), "yaxis": axis(yaxis), **layout}}


def _shared_note(model) -> str:
    usd = float(monthly_cost_by_area(next(iter(model.options.values())), model.workload,
                                     model.ops)[SHARED_AREA])
    return f"review labor, the same for every option, not shown: {usd:,.0f} USD/month" \
        if usd else ""


def _monthly_usd(option, workload, ops, include_review: bool):
    areas = monthly_cost_by_area(option, workload, ops)
    return sum(v for k, v in areas.items() if include_review or k != SHARED_AREA)


def _line(x, y, name: str, color: str, hovertemplate: str) -> dict:
    return dict(type="scatter", x=x, y=y, name=name, mode="lines",
                line=dict(color=color, width=2.5), hovertemplate=hovertemplate)


def option_colors(model) -> dict[str, str]:
    """The color of each option of a scenario, stable across charts."""
    return {name: OPTION_COLORS[i % len(OPTION_COLORS)] for i, name in enumerate(model.options)}


def option_labels(model) -> dict[str, str]:
    """Display labels by option name (the scenario's label, else the name), HTML-escaped:
    plotly reads a subset of HTML in text, so a label such as ``<b>`` stays text."""
    return {s.name: html.escape(s.label or s.name) for s in model.scenario.options}


def cost_by_area_figure(model, include_review: bool = False) -> dict:
    """Stacked bars: monthly cost of each option by cost area. [USD/month]"""
    labels = option_labels(model)
    names = list(model.options)
    areas = {n: monthly_cost_by_area(model.options[n], model.workload, model.ops) for n in names}
    bars = []
    for area, title in COST_AREAS.items():
        usd = [float(areas[n][area]) for n in names]
        if not any(usd) or (area == SHARED_AREA and not include_review):
            continue
        bars.append(dict(type="bar", name=title, x=[labels[n] for n in names], y=usd,
                         marker=dict(color=AREA_COLORS[area]),
                         hovertemplate="%{x}<br>" + title + ": %{y:$,.0f}/month<extra></extra>"))
    note = "" if include_review else _shared_note(model)
    return _figure(bars, "Monthly cost by cost area" + (f"<br><sup>{note}</sup>" if note else ""),
                   yaxis=dict(title="Cost [USD/month]", tickformat="$,.0f"),
                   barmode="stack", legend=dict(traceorder="reversed"))


def cost_vs_volume_figure(model, max_images_per_month: float | None = None,
                          points: int = 200, include_review: bool = False) -> dict:
    """Monthly cost of each option against volume, the scenario's volume and the break-even
    volumes against the cheapest option at that volume marked. [USD/month, images/month]"""
    current = float(model.workload.images_per_month)
    top = max_images_per_month or max(10 * current, 1000.0)
    volumes = np.geomspace(max(top / 1e4, 1.0), top, points)
    w = dataclasses.replace(model.workload, images_per_month=volumes)
    colors, labels = option_colors(model), option_labels(model)
    traces = [_line(volumes, _monthly_usd(option, w, model.ops, include_review), labels[name],
                    colors[name], labels[name] + "<br>%{x:,.0f} images/month: "
                    "%{y:$,.0f}/month<extra></extra>")
              for name, option in model.options.items()]
    at_current = {n: float(_monthly_usd(o, model.workload, model.ops, True))
                  for n, o in model.options.items()}
    best = min(at_current, key=at_current.get)
    xs, ys, texts = [], [], []
    others = {n: o for n, o in model.options.items() if n != best}
    found = crossings_against(model.options[best], others, model.workload, model.ops, top)
    for name, option in others.items():
        for v in found[name]:
            xs.append(v)
            ys.append(float(_monthly_usd(option, dataclasses.replace(
                model.workload, images_per_month=v), model.ops, include_review)))
            texts.append(f"{labels[best]} = {labels[name]}")
    traces.append(dict(type="scatter", x=xs, y=ys, mode="markers", name="break-even",
                       marker=dict(symbol="diamond", size=11, color="black"), text=texts,
                       hovertemplate="%{text}<br>%{x:,.0f} images/month"
                                     "<extra>break-even</extra>"))
    note = "" if include_review else _shared_note(model)
    return _figure(
        traces, "Monthly cost against volume" + (f"<br><sup>{note.split(':')[0]}</sup>"
                                                 if note else ""),
        xaxis=dict(type="log", title="Volume [images/month]"),
        yaxis=dict(title="Cost [USD/month]", tickformat="$,.0f"), legend=_LEGEND_BELOW,
        shapes=[dict(type="line", x0=current, x1=current, xref="x", y0=0, y1=1,
                     yref="y domain", line=dict(dash="dot", color="gray"))],
        # on a log axis an annotation's x is log10 of the value (a shape's is not)
        annotations=[dict(x=np.log10(max(current, 1e-9)), xref="x", y=1, yref="paper",
                          text="this scenario", showarrow=False, xanchor="right",
                          yanchor="top")])


def cumulative_cost_figure(model) -> dict:
    """Cumulative cash cost of each option over the horizon (:mod:`costlib.cashflow`:
    purchases and setup at month 0, growth, price declines, replacements). [USD]"""
    months = model.scenario.horizon_months
    colors, labels = option_colors(model), option_labels(model)
    traces = [_line(np.arange(months + 1),
                    model_cash_flow(model, name).cumulative_usd, labels[name],
                    colors[name], labels[name] + "<br>month %{x}: %{y:$,.0f}<extra></extra>")
              for name in model.options]
    return _figure(traces, f"Cumulative cost over {months} months, review labor included",
                   xaxis=dict(title="Month"),
                   yaxis=dict(title="Cumulative cost [USD]", tickformat="$,.0f"),
                   legend=_LEGEND_BELOW)


def cost_per_approved_figure(model) -> dict:
    """Bars: cost per approved asset of each option, review and rejects included. [USD/asset]"""
    colors, labels = option_colors(model), option_labels(model)
    names = list(model.options)
    usd = [float(cost_per_approved_usd(model.options[n], model.workload, model.ops))
           for n in names]
    outputs = number(model.workload.outputs_per_approved)
    return _figure([dict(type="bar", x=[labels[n] for n in names], y=usd,
                         marker=dict(color=[colors[n] for n in names]),
                         hovertemplate="%{x}: %{y:$,.3f} per approved asset<extra></extra>")],
                   f"Cost per approved asset<br><sup>{outputs} outputs generated per "
                   "approved asset unless an option has its own; review labor "
                   "included</sup>",
                   yaxis=dict(title="Cost [USD/asset]", tickformat="$,.3f"))


def demand_figure(model) -> dict:
    """A week of hourly demand for the scenario's profile against the hourly capacity of each
    option that holds GPUs (GPUs x images/h). [images/h]"""
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
    colors, labels = option_colors(model), option_labels(model)
    traces = [dict(type="scatter", x=hours, y=demand, name="demand", mode="lines",
                   line=dict(color="black", width=2), fill="tozeroy",
                   fillcolor="rgba(0,0,0,0.08)",
                   hovertemplate="hour %{x}: %{y:,.0f} images/h<extra>demand</extra>"),
              dict(type="scatter", x=[0, 167], y=[mean * peak] * 2,
                   name=f"peak hour (x{peak:.2f})", mode="lines",
                   line=dict(color="black", dash="dot"),
                   hovertemplate="%{y:,.0f} images/h<extra>peak hour</extra>")]
    for name, option in model.options.items():
        if not option.holds_dedicated_gpus:
            continue
        gpus = float(option_gpus(option, model.workload))
        capacity = float(local_capacity_images_per_month(option.local_part, gpus)) \
            / HOURS_PER_MONTH
        traces.append(dict(type="scatter", x=[0, 167], y=[capacity] * 2, mode="lines",
                           name=f"{labels[name]}: {gpus:g} GPU", line=dict(color=colors[name]),
                           hovertemplate=f"{labels[name]}<br>%{{y:,.0f}} images/h"
                                         "<extra></extra>"))
    return _figure(traces, f"Demand against GPU capacity<br><sup>{shape}; on-demand GPUs and "
                           "APIs scale with demand and are not drawn</sup>",
                   xaxis=dict(title="Hour of the week (Monday 00:00 = 0)"),
                   yaxis=dict(title="Images per hour [images/h]"), legend=_LEGEND_BELOW)


def distribution_figure(model, mc, metric: str = "monthly_usd") -> dict:
    """Monte Carlo distribution of each option's cost (box with P5-P95 whiskers and the
    probability of being cheapest in the legend). [USD/month or USD/asset]"""
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
                          hovertemplate=f"{labels[name]}<br>P5 {p5:,.0f} / P50 {p50:,.0f} / "
                                        f"P95 {p95:,.0f} {unit}<extra></extra>"))
    return _figure(boxes, f"How sure: cost distribution over {mc.samples:,} samples"
                          f"<br><sup>box: P25-P75, line: median, whiskers: P5-P95 "
                          f"({mc.distribution} distributions)</sup>",
                   xaxis=dict(title=f"Cost [{unit}]", tickformat="$,.0f"), showlegend=False)


def tornado_figure(model, tornado, bars: int = 10) -> dict:
    """Tornado: the output with each input at its low and its high, largest swing on top.
    [USD/month]"""
    # inputs that cannot move the output are left out
    from costlib.decision import matters

    moving = [b for b in tornado.bars if matters(b.swing, tornado.base_usd)]
    shown = moving[:bars][::-1]
    names = [f"{b.factor.name} ({number(b.factor.low)}-{number(b.factor.high)} {b.factor.unit})"
             for b in shown]
    base = tornado.base_usd
    traces = [dict(type="bar", y=names, x=[getattr(b, key) - base for b in shown], base=base,
                   orientation="h", name=label, marker=dict(color=color),
                   customdata=[getattr(b, key) for b in shown],
                   hovertemplate="%{y}<br>%{customdata:$,.0f}/month<extra>" + label
                                 + "</extra>")
              for label, key, color in (("input at its low", "output_at_low", "#4c78a8"),
                                        ("input at its high", "output_at_high", "#f58518"))]
    return _figure(traces, f"What it hinges on<br><sup>{tornado.output}; base "
                           f"{base:,.0f} USD/month</sup>",
                   xaxis=dict(title="Output [USD/month]", tickformat="$,.0f"),
                   barmode="overlay", legend=_LEGEND_BELOW,
                   height=max(360, 60 + 38 * len(shown)), margin={**_LAYOUT["margin"], "l": 40},
                   shapes=[dict(type="line", x0=base, x1=base, xref="x", y0=0, y1=1,
                                yref="y domain", line=dict(color="black"))])


def hybrid_figure(model, plan) -> dict:
    """Monthly cost against the number of local GPUs, overflow to the API. [USD/month]"""
    labels = option_labels(model)
    return _figure(
        [dict(type="scatter", x=plan.gpus, y=plan.monthly_usd, mode="lines+markers",
              name="hybrid", line=dict(color=option_colors(model)[plan.local], width=2.5),
              customdata=plan.overflow_images_per_month,
              hovertemplate="%{x} local GPUs: %{y:$,.0f}/month<br>%{customdata:,.0f} "
                            "images/month to the API<extra></extra>"),
         dict(type="scatter", x=[plan.best_gpus], y=[plan.best_monthly_usd], mode="markers",
              name="cheapest", marker=dict(symbol="star", size=16, color="black"),
              hovertemplate="cheapest: %{x} GPUs, %{y:$,.0f}/month<extra></extra>")],
        f"Hybrid split: {labels[plan.local]} for the base load, {labels[plan.api]} for the "
        f"overflow<br><sup>0 GPUs = the API alone; cheapest at {plan.best_gpus} GPUs</sup>",
        xaxis=dict(title="Local GPUs [GPUs]"),
        yaxis=dict(title="Cost [USD/month]", tickformat="$,.0f"), legend=_LEGEND_BELOW)
