"""Chart builders: figure dicts in plotly's own form, one color per option, honest markers."""

import base64
import dataclasses
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from client_text import problems

from costlib import charts
from costlib.decision import decide
from costlib.scenario import load_scenario, preset_names, preset_path, resolve, set_field
from costlib.tco import evaluate, monthly_cost_usd


@pytest.fixture(scope="module", params=preset_names())
def preset(request):
    model = resolve(load_scenario(preset_path(request.param)))
    return model, decide(model, samples=200, sample_breakeven=False)


def every_chart(model, decision):
    figures = {"cost_by_area": charts.cost_by_area_figure(model),
               "cost_vs_volume": charts.cost_vs_volume_figure(model),
               "cumulative": charts.cumulative_cost_figure(model),
               "cost_per_approved": charts.cost_per_approved_figure(model),
               "demand": charts.demand_figure(model)}
    if decision.monte_carlo is not None:
        figures["distribution"] = charts.distribution_figure(model, decision.monte_carlo)
    if decision.tornado is not None:
        figures["tornado"] = charts.tornado_figure(model, decision.tornado)
    if decision.hybrid is not None:
        figures["hybrid"] = charts.hybrid_figure(model, decision.hybrid)
    return figures


def plain(value):
    """A figure dict with arrays as lists (plotly's typed-array encoding decoded)."""
    if isinstance(value, dict) and value.keys() == {"dtype", "bdata"}:
        return plain(np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def test_every_chart_is_already_in_plotlys_own_form(preset):
    # The widgets send changed properties unvalidated (costlib.ui.forms.refresh_figure):
    # that is right only if validation would change nothing.
    for name, spec in every_chart(*preset).items():
        validated = go.Figure(spec).to_dict()
        validated["layout"].pop("template")
        mine = plain({"data": spec["data"],
                      "layout": {k: v for k, v in spec["layout"].items() if k != "template"}})
        assert plain(validated) == mine, name


def test_an_option_keeps_its_color_in_every_chart(preset):
    model, decision = preset
    labels, colors = charts.option_labels(model), charts.option_colors(model)
    assert len(set(colors.values())) == len(colors)
    figures = every_chart(model, decision)
    for name in ("cost_vs_volume", "cumulative"):
        for trace in figures[name]["data"]:
            option = next((n for n, label in labels.items() if label == trace["name"]), None)
            if option is not None:
                assert trace["line"]["color"] == colors[option], (name, option)
    bars = figures["cost_per_approved"]["data"][0]
    assert bars["marker"]["color"] == [colors[n] for n in model.options]


def test_review_labor_is_left_out_of_the_bars_and_said_in_the_title(default_model):
    fig = charts.cost_by_area_figure(default_model)
    assert "Review labor" not in [t["name"] for t in fig["data"]]
    assert "review labor every option pays, not shown: 33,333 USD/month" in fig["layout"]["title"]["text"]
    with_review = charts.cost_by_area_figure(default_model, include_review=True)
    assert len(with_review["data"]) == len(fig["data"]) + 1


def test_break_even_markers_sit_where_two_options_cost_the_same(steady_model):
    # the steady default at 1M images/month: the API/RTX 4090 break-even (~1.84M) lies on
    # the chart's 10x range
    model = steady_model.with_values({"workload.images_per_month": 1_000_000})
    fig = charts.cost_vs_volume_figure(model, include_review=True)
    markers = fig["data"][-1]
    assert markers["name"] == "break-even" and markers["x"]
    by_label = {label: n for n, label in charts.option_labels(model).items()}
    for x, text in zip(markers["x"], markers["text"], strict=True):
        a, b = (model.options[by_label[s]] for s in text.split(" = "))
        w = dataclasses.replace(model.workload, images_per_month=x)
        cost_a, cost_b = (float(monthly_cost_usd(o, w, model.ops)) for o in (a, b))
        assert cost_a == pytest.approx(cost_b, rel=1e-3), text
    assert any(1.7e6 < x < 2e6 for x in markers["x"])
    assert fig["layout"]["shapes"][0]["x0"] == 1_000_000  # "this scenario"


def test_cumulative_cost_starts_with_the_purchases(default_model):
    fig = charts.cumulative_cost_figure(default_model)
    months = default_model.scenario.horizon_months
    for trace in fig["data"]:
        assert len(trace["x"]) == months + 1
        assert np.all(np.diff(trace["y"]) >= 0)


# --------------------------------------------------------------------------- read at a glance


def chart_texts(value):
    """Every string of a figure dict a reader can see (hover templates less their %{...})."""
    if isinstance(value, str):
        yield re.sub(r"%\{[^}]*\}|<[^>]+>", " ", value)
    elif isinstance(value, dict):
        for key, v in value.items():
            if key not in ("type", "mode", "dtype", "bdata", "fill", "orientation", "barmode",
                           "symbol", "dash", "xref", "yref", "xanchor", "yanchor", "template",
                           "tickformat", "tickprefix", "textposition", "traceorder",
                           "family", "color", "fillcolor", "gridcolor", "zerolinecolor",
                           "linecolor", "paper_bgcolor", "plot_bgcolor", "legendgroup"):
                yield from chart_texts(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from chart_texts(v)


def test_no_chart_shows_an_id_a_path_inf_or_an_unrounded_volume(preset):
    for name, spec in every_chart(*preset).items():
        for text in chart_texts(spec):
            assert not problems(text), (name, text)


def test_an_option_has_one_color_in_every_preset():
    seen = {}
    for preset_name in preset_names():
        model = resolve(load_scenario(preset_path(preset_name)))
        for option, color in charts.option_colors(model).items():
            assert seen.setdefault(option, color) == color, (option, preset_name)
    assert not set(seen.values()) & set(charts.AREA_COLORS.values())  # never a cost area's


def test_an_unknown_option_takes_a_free_color_by_its_name(default_model):
    spec = default_model.scenario.options[0].model_copy(update={"name": "my_api"})
    scenario = default_model.scenario.model_copy(
        update={"options": [*default_model.scenario.options, spec]})
    colors = charts.option_colors(resolve(scenario))
    assert len(set(colors.values())) == len(colors)
    assert colors["my_api"] in charts.OPTION_COLORS


def test_log_axes_say_so_and_tick_round_values(default_model):
    fig = charts.cost_vs_volume_figure(default_model)
    for axis in (fig["layout"]["xaxis"], fig["layout"]["yaxis"]):
        assert axis["type"] == "log" and axis["title"]["text"].endswith("log scale")
        assert all(re.fullmatch(r"\$?\d+(\.\d)?[kMB]?", t) for t in axis["ticktext"])
    assert fig["layout"]["xaxis"]["ticktext"] == ["100", "1k", "10k", "100k", "1M"]


def test_lines_that_coincide_are_dashed_and_named():
    traces = [{"name": "A", "y": [1.0, 2.0], "line": {}}, {"name": "B: 2 GPUs", "y": [1.0, 2.01],
                                                           "line": {}},
              {"name": "C", "y": [1.0, 2.0], "line": {}}, {"name": "D", "y": [5.0, 6.0],
                                                           "line": {}}]
    notes = charts._mark_coincident(traces)
    assert notes == ["B (dashed) lies on A", "C (dotted) lies on A"]
    assert [t["line"].get("dash") for t in traces] == [None, "dash", "dot", None]


def test_a_week_reads_in_day_names_and_a_far_capacity_is_named():
    model = resolve(load_scenario(preset_path("prototype")))
    fig = charts.demand_figure(model)
    assert fig["layout"]["xaxis"]["ticktext"] == list(charts.DAYS)
    top = fig["layout"]["yaxis"]["range"][1]
    assert top < 100  # a few images an hour are not flattened by a 252-image capacity
    assert "capacity above the chart" in fig["layout"]["title"]["text"]


def test_the_hybrid_axis_is_sized_to_the_workload(default_model):
    decision = decide(default_model, samples=200, sample_breakeven=False)
    fig = charts.hybrid_figure(default_model, decision.hybrid)
    assert max(fig["data"][0]["x"]) <= 8 < len(decision.hybrid.gpus)


def test_charts_leave_out_only_the_review_every_option_pays(default_model, today):
    """Flux Schnell accepted at 6 outputs per asset instead of 4 has 150,000 outputs reviewed
    (0.5 min at 40 USD/h: 50,000 USD/month) against the others' 33,333: its extra 16,667 USD is
    a cost the choice changes and stays on the charts; the 33,333 every option pays is left
    out, over 36 months 1.2 million USD."""
    scenario = default_model.scenario
    index = [o.name for o in scenario.options].index("fal_flux_schnell")
    model = resolve(set_field(scenario, f"options.{index}.set", {"outputs_per_approved": 6}),
                    today=today)
    bars = charts.cost_by_area_figure(model)
    extra = next(b for b in bars["data"] if b["name"] == "Review labor above the shared")
    by_option = dict(zip(extra["x"], extra["y"], strict=True))
    assert by_option["Flux Schnell on fal.ai (API)"] == pytest.approx(16_666.67, abs=0.01)
    assert by_option["SDXL on Replicate (API)"] == 0
    cumulative = charts.cumulative_cost_figure(model)
    rows = {r["label"]: r for r in evaluate(model)["options"]}
    for trace in cumulative["data"]:
        assert trace["y"][-1] == pytest.approx(rows[trace["name"]]["horizon_usd"]
                                               - 36 * 100_000 * 0.5 / 60 * 40, rel=1e-9)
    assert "left out: 1,200,000 USD over 36 months" in cumulative["layout"]["title"]["text"]
