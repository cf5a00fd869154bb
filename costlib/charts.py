"""Plotly figure builders: a resolved scenario in, ``go.Figure`` out, nothing displayed.

One palette everywhere: an option keeps its color in every chart (by its position in the
scenario), and a cost area keeps its color in every stacked bar.
"""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import plotly.graph_objects as go

from costlib.breakeven import crossings_images_per_month
from costlib.options import HOURS_PER_MONTH
from costlib.tco import (
    COST_AREAS,
    cost_per_approved_usd,
    cumulative_cost_usd,
    monthly_cost_by_area,
    option_gpus,
)
from costlib.uncertainty import fmt

OPTION_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22")
AREA_COLORS = dict(zip(COST_AREAS, ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                                    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d"), strict=True))
# No plotly template (building one costs ~20 ms a figure, too slow for live widgets): the
# look is set explicitly, white with light grid lines.
_AXIS = dict(gridcolor="#e6e6e6", zerolinecolor="#cccccc", linecolor="#999999", automargin=True)
_LAYOUT = dict(template=None, font=dict(size=13, family="Arial, sans-serif", color="#333"),
               paper_bgcolor="white", plot_bgcolor="white", xaxis=_AXIS, yaxis=_AXIS,
               margin=dict(l=80, r=30, t=70, b=60), height=480)
_LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.2, x=0)
# Review labor is the same for every option and can dwarf the rest: charts leave it out by
# default and say so, while every table and total includes it.
SHARED_AREA = "review"


def _shared_note(model) -> str:
    usd = float(monthly_cost_by_area(next(iter(model.options.values())), model.workload,
                                     model.ops)[SHARED_AREA])
    return f"review labor, the same for every option, not shown: {usd:,.0f} USD/month" \
        if usd else ""


def _monthly_usd(option, workload, ops, include_review: bool):
    areas = monthly_cost_by_area(option, workload, ops)
    return sum(v for k, v in areas.items() if include_review or k != SHARED_AREA)


def option_colors(model) -> dict[str, str]:
    """The color of each option of a scenario, stable across charts."""
    return {name: OPTION_COLORS[i % len(OPTION_COLORS)] for i, name in enumerate(model.options)}


def option_labels(model) -> dict[str, str]:
    """Display labels by option name (the scenario's label, else the name), HTML-escaped:
    plotly reads a subset of HTML in text, so a label such as ``<b>`` stays text."""
    return {s.name: html.escape(s.label or s.name) for s in model.scenario.options}


def cost_by_area_figure(model, include_review: bool = False) -> go.Figure:
    """Stacked bars: monthly cost of each option by cost area. [USD/month]"""
    labels = option_labels(model)
    names = list(model.options)
    areas = {n: monthly_cost_by_area(model.options[n], model.workload, model.ops) for n in names}
    fig = go.Figure()
    for area, title in COST_AREAS.items():
        usd = [float(areas[n][area]) for n in names]
        if not any(usd) or (area == SHARED_AREA and not include_review):
            continue
        fig.add_bar(name=title, x=[labels[n] for n in names], y=usd,
                    marker_color=AREA_COLORS[area],
                    hovertemplate="%{x}<br>" + title + ": %{y:$,.0f}/month<extra></extra>")
    note = "" if include_review else _shared_note(model)
    fig.update_layout(barmode="stack", title="Monthly cost by cost area"
                      + (f"<br><sup>{note}</sup>" if note else ""),
                      yaxis_title="Cost [USD/month]", yaxis_tickformat="$,.0f",
                      legend=dict(traceorder="reversed"), **_LAYOUT)
    return fig


def cost_vs_volume_figure(model, max_images_per_month: float | None = None,
                          points: int = 200, include_review: bool = False) -> go.Figure:
    """Monthly cost of each option against volume, the scenario's volume and the break-even
    volumes against the cheapest option at that volume marked. [USD/month, images/month]"""
    current = float(model.workload.images_per_month)
    top = max_images_per_month or max(10 * current, 1000.0)
    volumes = np.geomspace(max(top / 1e4, 1.0), top, points)
    w = dataclasses.replace(model.workload, images_per_month=volumes)
    colors, labels = option_colors(model), option_labels(model)
    fig = go.Figure()
    for name, option in model.options.items():
        fig.add_scatter(x=volumes, y=_monthly_usd(option, w, model.ops, include_review),
                        name=labels[name], mode="lines",
                        line=dict(color=colors[name], width=2.5),
                        hovertemplate=labels[name] + "<br>%{x:,.0f} images/month: "
                        "%{y:$,.0f}/month<extra></extra>")
    at_current = {n: float(_monthly_usd(o, model.workload, model.ops, True))
                  for n, o in model.options.items()}
    best = min(at_current, key=at_current.get)
    xs, ys, texts = [], [], []
    for name, option in model.options.items():
        if name == best:
            continue
        for v in crossings_images_per_month(model.options[best], option, model.workload,
                                            model.ops, top):
            xs.append(v)
            ys.append(float(_monthly_usd(option, dataclasses.replace(
                model.workload, images_per_month=v), model.ops, include_review)))
            texts.append(f"{labels[best]} = {labels[name]}")
    fig.add_scatter(x=xs, y=ys, mode="markers", name="break-even",
                    marker=dict(symbol="diamond", size=11, color="black"), text=texts,
                    hovertemplate="%{text}<br>%{x:,.0f} images/month<extra>break-even</extra>")
    fig.add_vline(x=current, line_dash="dot", line_color="gray")
    # on a log axis an annotation's x is log10 of the value (add_vline's would not be)
    fig.add_annotation(x=np.log10(max(current, 1e-9)), xref="x", y=1, yref="paper",
                       text="this scenario", showarrow=False, xanchor="right", yanchor="top")
    note = "" if include_review else _shared_note(model)
    fig.update_layout(title="Monthly cost against volume"
                      + (f"<br><sup>{note.split(':')[0]}</sup>" if note else ""),
                      xaxis_type="log", xaxis_title="Volume [images/month]",
                      yaxis_title="Cost [USD/month]", yaxis_tickformat="$,.0f",
                      legend=_LEGEND_BELOW, **_LAYOUT)
    return fig


def cumulative_cost_figure(model) -> go.Figure:
    """Cumulative cash cost of each option over the horizon (purchases at month 0). [USD]"""
    months = model.scenario.horizon_months
    colors, labels = option_colors(model), option_labels(model)
    fig = go.Figure()
    for name, option in model.options.items():
        usd = cumulative_cost_usd(option, model.workload, model.ops, months)
        fig.add_scatter(x=np.arange(months + 1), y=usd, name=labels[name], mode="lines",
                        line=dict(color=colors[name], width=2.5),
                        hovertemplate=labels[name] + "<br>month %{x}: %{y:$,.0f}<extra></extra>")
    fig.update_layout(title=f"Cumulative cost over {months} months, review labor included",
                      xaxis_title="Month", yaxis_title="Cumulative cost [USD]",
                      yaxis_tickformat="$,.0f", legend=_LEGEND_BELOW, **_LAYOUT)
    return fig


def cost_per_approved_figure(model) -> go.Figure:
    """Bars: cost per approved asset of each option, review and rejects included. [USD/asset]"""
    colors, labels = option_colors(model), option_labels(model)
    names = list(model.options)
    usd = [float(cost_per_approved_usd(model.options[n], model.workload, model.ops))
           for n in names]
    fig = go.Figure(go.Bar(x=[labels[n] for n in names], y=usd,
                           marker_color=[colors[n] for n in names],
                           hovertemplate="%{x}: %{y:$,.3f} per approved asset<extra></extra>"))
    outputs = float(model.workload.outputs_per_approved)
    fig.update_layout(title=f"Cost per approved asset<br><sup>{outputs:g} outputs generated per "
                            "approved asset; review labor included</sup>",
                      yaxis_title="Cost [USD/asset]", yaxis_tickformat="$,.3f", **_LAYOUT)
    return fig


def demand_figure(model) -> go.Figure:
    """A week of hourly demand for the scenario's profile against the hourly capacity of each
    option that holds GPUs (GPUs x images/h). [images/h]"""
    from costlib.capacity import demand_profile, hourly_images

    w = model.scenario.workload
    peak = float(model.workload.peak_factor)
    mean = float(model.workload.images_per_month) / HOURS_PER_MONTH
    hours = np.arange(168)
    if w.variability in ("business_hours", "spiky"):
        demand = hourly_images(mean * HOURS_PER_MONTH, demand_profile(w.variability, peak))
        shape = f"{w.variability.replace('_', ' ')} profile"
    else:  # steady or seasonal: flat within a week; the peak hour is shown as a line
        demand = np.full(168, mean)
        shape = f"{w.variability} demand, flat within a week"
    colors, labels = option_colors(model), option_labels(model)
    fig = go.Figure(go.Scatter(x=hours, y=demand, name="demand", mode="lines",
                               line=dict(color="black", width=2), fill="tozeroy",
                               fillcolor="rgba(0,0,0,0.08)",
                               hovertemplate="hour %{x}: %{y:,.0f} images/h<extra>demand</extra>"))
    fig.add_scatter(x=[0, 167], y=[mean * peak] * 2, name=f"peak hour (x{peak:.2f})",
                    mode="lines", line=dict(color="black", dash="dot"),
                    hovertemplate="%{y:,.0f} images/h<extra>peak hour</extra>")
    for name, option in model.options.items():
        local = option.local if option.kind == "hybrid" else option
        if option.kind == "api" or (option.kind == "rented" and option.billing == "on_demand"):
            continue
        gpus = float(option_gpus(option, model.workload))
        capacity = gpus * float(local.images_per_hour)
        fig.add_scatter(x=[0, 167], y=[capacity] * 2, mode="lines",
                        name=f"{labels[name]}: {gpus:g} GPU", line=dict(color=colors[name]),
                        hovertemplate=f"{labels[name]}<br>%{{y:,.0f}} images/h<extra></extra>")
    fig.update_layout(title=f"Demand against GPU capacity<br><sup>{shape}; on-demand GPUs and "
                            "APIs scale with demand and are not drawn</sup>",
                      xaxis_title="Hour of the week (Monday 00:00 = 0)",
                      yaxis_title="Images per hour [images/h]", legend=_LEGEND_BELOW, **_LAYOUT)
    return fig


def distribution_figure(model, mc, metric: str = "monthly_usd") -> go.Figure:
    """Monte Carlo distribution of each option's cost (box with P5-P95 whiskers and the
    probability of being cheapest in the legend). [USD/month or USD/asset]"""
    colors, labels = option_colors(model), option_labels(model)
    unit = "USD/month" if metric == "monthly_usd" else "USD/asset"
    fig = go.Figure()
    values = getattr(mc, metric)
    for name in mc.options:
        p5, p25, p50, p75, p95 = np.percentile(values[name], [5, 25, 50, 75, 95])
        label = f"{labels[name]}<br>cheapest in {mc.p_cheapest[name]:.0%}"
        fig.add_box(name=label, y=[label], q1=[p25], median=[p50], q3=[p75], lowerfence=[p5],
                    upperfence=[p95], orientation="h", marker_color=colors[name],
                    hovertemplate=f"{labels[name]}<br>P5 {p5:,.0f} / P50 {p50:,.0f} / "
                                  f"P95 {p95:,.0f} {unit}<extra></extra>")
    fig.update_layout(title=f"How sure: cost distribution over {mc.samples:,} samples"
                            f"<br><sup>box: P25-P75, line: median, whiskers: P5-P95 "
                            f"({mc.distribution} distributions)</sup>",
                      xaxis_title=f"Cost [{unit}]", xaxis_tickformat="$,.0f", showlegend=False,
                      **_LAYOUT)
    return fig


def tornado_figure(model, tornado, bars: int = 10) -> go.Figure:
    """Tornado: the output with each input at its low and its high, largest swing on top.
    [USD/month]"""
    # inputs that cannot move the output are left out
    moving = [b for b in tornado.bars if b.swing > max(0.01, 1e-6 * abs(tornado.base_usd))]
    shown = moving[:bars][::-1]
    names = [f"{b.factor.name} ({fmt(b.factor.low)}-{fmt(b.factor.high)} {b.factor.unit})"
             for b in shown]
    base = tornado.base_usd
    fig = go.Figure()
    for label, key, color in (("input at its low", "output_at_low", "#4c78a8"),
                              ("input at its high", "output_at_high", "#f58518")):
        fig.add_bar(y=names, x=[getattr(b, key) - base for b in shown], base=base,
                    orientation="h", name=label, marker_color=color,
                    customdata=[getattr(b, key) for b in shown],
                    hovertemplate="%{y}<br>%{customdata:$,.0f}/month<extra>" + label
                                  + "</extra>")
    fig.add_vline(x=base, line_color="black")
    fig.update_layout(title=f"What it hinges on<br><sup>{tornado.output}; base "
                            f"{base:,.0f} USD/month</sup>", barmode="overlay",
                      xaxis_title="Output [USD/month]", xaxis_tickformat="$,.0f",
                      legend=_LEGEND_BELOW, **_LAYOUT)
    fig.update_layout(height=max(360, 60 + 38 * len(shown)), margin=dict(l=40))
    return fig


def hybrid_figure(model, plan) -> go.Figure:
    """Monthly cost against the number of local GPUs, overflow to the API. [USD/month]"""
    labels = option_labels(model)
    fig = go.Figure(go.Scatter(
        x=plan.gpus, y=plan.monthly_usd, mode="lines+markers", name="hybrid",
        line=dict(color=option_colors(model)[plan.local], width=2.5),
        customdata=plan.overflow_images_per_month,
        hovertemplate="%{x} local GPUs: %{y:$,.0f}/month<br>%{customdata:,.0f} images/month "
                      "to the API<extra></extra>"))
    fig.add_scatter(x=[plan.best_gpus], y=[plan.best_monthly_usd], mode="markers",
                    name="cheapest", marker=dict(symbol="star", size=16, color="black"),
                    hovertemplate="cheapest: %{x} GPUs, %{y:$,.0f}/month<extra></extra>")
    fig.update_layout(title=f"Hybrid split: {labels[plan.local]} for the base load, "
                            f"{labels[plan.api]} for the overflow<br><sup>0 GPUs = the API "
                            f"alone; cheapest at {plan.best_gpus} GPUs</sup>",
                      xaxis_title="Local GPUs [GPUs]", yaxis_title="Cost [USD/month]",
                      yaxis_tickformat="$,.0f", legend=_LEGEND_BELOW, **_LAYOUT)
    return fig
