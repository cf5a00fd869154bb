"""Chart builders: figure dicts in plotly's own form, one color per option, honest markers."""

import base64
import dataclasses

import numpy as np
import plotly.graph_objects as go
import pytest

from costlib import charts
from costlib.decision import decide
from costlib.scenario import load_scenario, preset_names, preset_path, resolve
from costlib.tco import monthly_cost_usd


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
    assert "review labor, the same for every option, not shown" in fig["layout"]["title"]["text"]
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
