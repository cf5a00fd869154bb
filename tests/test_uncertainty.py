"""Monte Carlo, tornado and flip points: exact where the answer is known, stable where it is
sampled, and consistent with the deterministic model one input at a time.

The analytic cases: with every range collapsed the sample is the deterministic model; a
price drawn uniformly gives a cost linear in it, whose percentiles follow from the 90 %
reading of the range (P5 = low, P95 = high).
"""

import copy
import dataclasses
import json
import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from costlib import uncertainty as unc
from costlib.breakeven import breakeven_images_per_month
from costlib.errors import InputError
from costlib.scenario import Input, parse_scenario, preset_path, resolve
from costlib.tco import evaluate, monthly_cost_usd

BASE = yaml.safe_load(preset_path("default").read_text())


def collapsed(model):
    """Every range collapsed to its value: a model with no uncertainty."""
    return model.with_inputs([dataclasses.replace(i, low=i.value, high=i.value)
                              for i in model.inputs.values()])


def near_breakeven(model):
    """The default scenario with steady demand (``steady_model``) at 1.8M images/month, just
    below the API/RTX 4090 break-even (about 1.84M), where most factors flip the answer within
    their range. (With the default's business-hours peak the API is cheaper at every volume.)"""
    return model.with_values({"workload.images_per_month": 1.8e6})


# --------------------------------------------------------------------------- Monte Carlo


def test_collapsed_ranges_give_the_deterministic_model_exactly(default_model):
    model = collapsed(default_model)
    assert unc.factors(model) == []
    mc = unc.monte_carlo(model, 1000)
    assert mc.draws == {}
    summary = evaluate(model)
    for row in summary["options"]:
        assert np.all(mc.monthly_usd[row["name"]] == row["monthly_usd"])
        assert np.all(mc.usd_per_approved[row["name"]] == row["usd_per_approved"])
        assert mc.percentiles()[row["name"]] == (row["monthly_usd"],) * 3
    assert mc.p_cheapest[summary["cheapest"]] == 1.0


def test_p50_is_stable_to_one_percent_across_seeds(default_model):
    medians = np.array([[p[1] for p in unc.monte_carlo(default_model, 200_000,
                                                       seed=seed).percentiles().values()]
                        for seed in (1, 2, 3)])
    spread = (medians.max(axis=0) - medians.min(axis=0)) / medians.mean(axis=0)
    assert np.all(spread < 0.01), spread


def test_uniform_price_gives_the_analytic_linear_cost():
    # One API at 0.005-0.015 USD/image read as a 90 % interval, everything else fixed: the
    # monthly cost is c + images x price, so its P5/P50/P95 sit at the price's low, middle and
    # high and its mean at the middle.
    data = copy.deepcopy(BASE)
    data["options"] = [{"name": "api", "kind": "api", "offer": "replicate_sdxl",
                        "set": {"usd_per_image": {"value": 0.01, "low": 0.005,
                                                  "high": 0.015}}}]
    model = resolve(parse_scenario(data))
    fixed = model.with_inputs([dataclasses.replace(i, low=i.value, high=i.value)
                               for p, i in model.inputs.items()
                               if p != "options.api.usd_per_image"])
    images = fixed.values["workload.images_per_month"]
    at = {price: float(monthly_cost_usd(m.options["api"], m.workload, m.ops))
          for price in (0.005, 0.01, 0.015)
          for m in [fixed.with_values({"options.api.usd_per_image": price})]}
    assert at[0.015] - at[0.01] == pytest.approx(images * 0.005)  # linear
    mc = unc.monte_carlo(fixed, 200_000, distribution="uniform", seed=7)
    assert list(mc.draws) == ["options.api.usd_per_image"]
    p5, p50, p95 = mc.percentiles()["api"]
    # the sampling error of these quantiles is about 0.1 % of the price
    assert p5 == pytest.approx(at[0.005], abs=images * 0.005 * 0.005)
    assert p50 == pytest.approx(at[0.01], abs=images * 0.01 * 0.005)
    assert p95 == pytest.approx(at[0.015], abs=images * 0.015 * 0.005)
    assert mc.monthly_usd["api"].mean() == pytest.approx(at[0.01], abs=images * 0.01 * 0.005)
    # and the support reaches 1/18 of the range beyond each end: 90 % lies within it
    drawn = mc.draws["options.api.usd_per_image"]
    assert drawn.min() == pytest.approx(0.005 - 0.01 / 18, abs=1e-6)
    assert drawn.max() == pytest.approx(0.015 + 0.01 / 18, abs=1e-6)


@pytest.mark.parametrize("distribution", unc.DISTRIBUTIONS)
def test_every_distribution_reads_a_range_as_a_90_percent_interval(default_model,
                                                                   distribution):
    # images/month 60,000 (low) - 100,000 (value) - 150,000 (high)
    draws = unc.sample_inputs(default_model, 400_000, distribution, seed=3)
    volume = draws["workload.images_per_month"]
    p5, p50, p95 = np.percentile(volume, [5, 50, 95])
    assert p5 == pytest.approx(60_000, rel=0.005)
    assert p95 == pytest.approx(150_000, rel=0.005)
    if distribution == "lognormal":
        assert p50 == pytest.approx(math.sqrt(60_000 * 150_000), rel=0.005)
    elif distribution == "uniform":
        assert p50 == pytest.approx(105_000, rel=0.005)
    else:  # the value is the mode: the histogram peaks there
        counts, edges = np.histogram(volume, bins=60)
        peak = edges[np.argmax(counts)]
        assert abs(peak - 100_000) < 8_000


def test_inputs_from_one_catalog_row_share_their_draws(default_model):
    draws = unc.sample_inputs(default_model, 5000)
    # sdxl_a100 feeds both A100 options; the utilization assumption feeds every reserved or
    # owned GPU
    np.testing.assert_array_equal(draws["options.a100_on_demand.images_per_hour"],
                                  draws["options.a100_reserved.images_per_hour"])
    np.testing.assert_array_equal(draws["options.a100_reserved.utilization"],
                                  draws["options.rtx4090_owned.utilization"])
    names = [f.name for f in unc.factors(default_model)]
    assert "throughput.sdxl_a100" in names and "assumptions.utilization" in names
    # a scenario's own range is its own quantity, independent of the others
    assert not np.array_equal(draws["workload.images_per_month"],
                              draws["workload.outputs_per_approved"])


@pytest.mark.parametrize("distribution", unc.DISTRIBUTIONS)
def test_draws_respect_the_limits(default_model, distribution):
    # on-demand utilization 0.7-1.0 reaches past 1 unclipped; space and resale start at 0
    draws = unc.sample_inputs(default_model, 50_000, distribution)
    utilization = draws["options.a100_on_demand.utilization"]
    assert utilization.max() <= 1.0 and utilization.min() > 0
    assert draws["options.rtx4090_owned.space_usd_per_gpu_month"].min() >= 0
    assert draws["options.rtx4090_owned.resale_fraction"].min() >= 0
    if distribution != "lognormal":
        assert np.any(utilization == 1.0)


def test_gpu_counts_are_drawn_whole(default_model):
    data = copy.deepcopy(BASE)
    hybrid = next(o for o in data["options"] if o["kind"] == "hybrid")
    hybrid["local_gpus"] = {"value": 2, "low": 1, "high": 4}
    draws = unc.sample_inputs(resolve(parse_scenario(data)), 2000)
    gpus = draws["options.hybrid_4090_replicate.local_gpus"]
    assert np.all(gpus == np.round(gpus)) and gpus.min() >= 0


def test_seeded_reproducible_and_stable_when_inputs_are_added(default_model):
    a = unc.monte_carlo(default_model, 3000, seed=11)
    b = unc.monte_carlo(default_model, 3000, seed=11)
    c = unc.monte_carlo(default_model, 3000, seed=12)
    for name in a.options:
        np.testing.assert_array_equal(a.monthly_usd[name], b.monthly_usd[name])
    assert not np.array_equal(a.monthly_usd["replicate_sdxl"], c.monthly_usd["replicate_sdxl"])
    # each quantity has its own stream: its draws do not depend on which others exist
    only_api = unc.sample_inputs(default_model, 3000, seed=11, options=["replicate_sdxl"])
    assert "options.rtx4090_owned.purchase_usd" not in only_api
    np.testing.assert_array_equal(only_api["workload.images_per_month"],
                                  a.draws["workload.images_per_month"])


def test_constants_are_not_sampled(default_model):
    draws = unc.sample_inputs(default_model, 100)
    for path, inp in default_model.inputs.items():
        assert (path in draws) == (inp.low < inp.high), path
    # a what-if value set with with_values has no range: it stays a constant
    pinned = default_model.with_values({"workload.images_per_month": 4.2e6})
    assert "workload.images_per_month" not in unc.sample_inputs(pinned, 100)
    mc = unc.monte_carlo(pinned, 100)
    assert np.all(mc.usd_per_approved["replicate_sdxl"] > 0)


def test_lognormal_cannot_start_at_zero_and_falls_back_to_pert(default_model):
    mc = unc.monte_carlo(default_model, 1000, distribution="lognormal")
    assert {"assumptions.resale_fraction", "assumptions.space",
            "assumptions.backup_copies"} <= set(mc.fallbacks)
    assert unc.monte_carlo(default_model, 1000).fallbacks == ()


def test_breakeven_samples_match_the_deterministic_solver(default_model):
    a, b = "replicate_sdxl", "rtx4090_owned"
    fixed = collapsed(default_model)
    expected = breakeven_images_per_month(fixed.options[a], fixed.options[b], fixed.workload,
                                          fixed.ops)
    assert unc.breakeven_samples(fixed, a, b, {})[0] == pytest.approx(expected, rel=1e-9)
    # a Monte Carlo sample set with every range collapsed to its value: the base answer
    collapsed_draws = {p: np.full(50, float(inp.value)) for p, inp in default_model.inputs.items()
                       if inp.low < inp.high and p != "workload.images_per_month"}
    sampled = unc.breakeven_samples(default_model, a, b, collapsed_draws)
    np.testing.assert_allclose(sampled, expected, rtol=1e-3)
    # sample by sample, the vectorized search is the one-at-a-time solver (one solver, one
    # grid): equal to 0.1 % (in fact to rounding), sawtooth of whole-GPU steps included
    draws = unc.sample_inputs(default_model, 400, seed=5)
    volumes = unc.breakeven_samples(default_model, a, b, draws)
    for i in range(0, 400, 10):
        m = default_model.with_values({p: float(v[i]) for p, v in draws.items()})
        one = breakeven_images_per_month(m.options[a], m.options[b], m.workload, m.ops)
        if not math.isfinite(one):
            assert volumes[i] == math.inf
            continue
        assert volumes[i] == pytest.approx(one, rel=1e-3)
        w = [dataclasses.replace(m.workload, images_per_month=volumes[i] * k)
             for k in (1 - 1e-7, 1 + 1e-7)]
        before, after = (float(monthly_cost_usd(m.options[a], x, m.ops)
                               - monthly_cost_usd(m.options[b], x, m.ops)) for x in w)
        assert before * after < 0
    mc = unc.monte_carlo(default_model, 400, seed=5, breakeven=(a, b))
    np.testing.assert_array_equal(mc.breakeven_images_per_month, volumes)
    summary = mc.summary()["breakeven"]
    assert summary["options"] == [a, b] and 0 < summary["p_breaks_even"] <= 1
    assert summary["images_per_month"]["p5"] <= summary["images_per_month"]["p95"]


def test_summary_is_json_ready(default_model):
    mc = unc.monte_carlo(default_model, 500, breakeven=("replicate_sdxl", "a100_reserved"))
    text = json.dumps(mc.summary(), allow_nan=True)
    data = json.loads(text)
    assert set(data["options"]) == set(default_model.options)
    row = data["options"]["replicate_sdxl"]
    assert row["monthly_usd"]["p5"] <= row["monthly_usd"]["p50"] <= row["monthly_usd"]["p95"]
    assert row["usd_per_approved"]["p50"] > 0


# --------------------------------------------------------------------------- sensitivity


def test_tornado_batched_equals_one_factor_at_a_time(steady_model):
    model = near_breakeven(steady_model)
    pair = ("replicate_sdxl", "rtx4090_owned")
    result = unc.tornado(model, pair)
    assert result.options == pair and len(result.bars) == len(unc.factors(model, pair))

    def diff(m):
        return float(monthly_cost_usd(m.options[pair[0]], m.workload, m.ops)
                     - monthly_cost_usd(m.options[pair[1]], m.workload, m.ops))

    assert result.base_usd == pytest.approx(diff(model))
    for bar in result.bars:
        low = diff(model.with_values({p: bar.factor.low for p in bar.factor.paths}))
        high = diff(model.with_values({p: bar.factor.high for p in bar.factor.paths}))
        assert (bar.output_at_low, bar.output_at_high) == pytest.approx((low, high), rel=1e-9,
                                                                         abs=1e-6)
    swings = [bar.swing for bar in result.bars]
    assert swings == sorted(swings, reverse=True)


def test_tornado_default_output_is_winner_minus_runner_up(default_model):
    result = unc.tornado(default_model)
    assert result.options == ("replicate_sdxl", "serverless_h100")
    assert result.base_usd < 0  # the winner saves this much
    assert result.bars[0].factor.name == "throughput.sdxl_h100"  # the serverless GPU-seconds
    one = unc.tornado(default_model, "rtx4090_owned", only=["assumptions.electricity"])
    assert [b.factor.name for b in one.bars] == ["assumptions.electricity"]
    assert one.bars[0].output_at_high > one.bars[0].output_at_low


def test_flip_points_land_where_the_cheapest_option_changes(steady_model):
    model = near_breakeven(steady_model)
    flips = [f for f in unc.flip_points(model) if f.below is not None or f.above is not None]
    assert len(flips) >= 10
    for flip in flips:
        for value, taker, sign in ((flip.below, flip.below_to, -1),
                                   (flip.above, flip.above_to, 1)):
            if value is None:
                continue
            f = flip.factor
            inside = value - sign * 1e-6 * (f.high - f.low)

            def winner(x, f=f):
                m = model.with_values({p: x for p in f.paths})
                costs = {n: float(monthly_cost_usd(o, m.workload, m.ops))
                         for n, o in m.options.items()}
                return min(costs, key=costs.get)

            assert winner(value) == taker != flip.recommended
            assert winner(inside) == flip.recommended
            assert f.low <= value <= f.high


def test_no_flip_within_a_range_is_reported_as_none(today):
    """The default without its serverless GPU (whose throughput range reaches Replicate's
    cost): Replicate stays the cheapest across every input's range."""
    data = yaml.safe_load(preset_path("default").read_text())
    data["options"] = [o for o in data["options"] if o["kind"] != "serverless"]
    flips = unc.flip_points(resolve(parse_scenario(data), today=today))
    assert flips and all(f.below is None and f.above is None for f in flips)
    assert {f.recommended for f in flips} == {"replicate_sdxl"}


# --------------------------------------------------------------------------- bad input


def test_a_range_with_low_above_high_is_an_error(default_model):
    inp = default_model.inputs["options.a100_reserved.monthly_usd"]
    bad = default_model.with_inputs([dataclasses.replace(inp, low=1800, high=1100)])
    with pytest.raises(InputError, match=r"options.a100_reserved.monthly_usd: low 1800.*above "
                                         r"high 1100"):
        unc.monte_carlo(bad, 100)
    with pytest.raises(InputError, match="workload.images_per_month: low 6 is above high 4"):
        parse_and_resolve({"images_per_month": {"value": 5, "low": 6, "high": 4}})


def parse_and_resolve(workload):
    data = copy.deepcopy(BASE)
    data["workload"].update(workload)
    return resolve(parse_scenario(data))


@pytest.mark.parametrize(("call", "match"), [
    (lambda m: unc.monte_carlo(m, 0), "samples: 0"),
    (lambda m: unc.monte_carlo(m, 10.5), "samples: 10.5"),
    # 745 GB of samples: a MemoryError traceback
    (lambda m: unc.monte_carlo(m, 10**11), "samples: 100,000,000,000 is not allowed; at most "
                                           "1,000,000"),
    (lambda m: unc.monte_carlo(m, 10, seed=-1), "seed: -1"),
    (lambda m: unc.monte_carlo(m, 10, distribution="normal"), "distribution: 'normal'"),
    (lambda m: unc.monte_carlo(m, 10, options=[]), "options: an empty list"),
    (lambda m: unc.monte_carlo(m, 10, options=["nope"]), "option: 'nope'"),
    (lambda m: unc.monte_carlo(m, 10).percentiles("usd"), "metric: 'usd'"),
    (lambda m: unc.tornado(m, ("a", "b", "c")), "output: "),
    (lambda m: unc.tornado(m, only=["nope"]), "only: 'nope'"),
    (lambda m: unc.flip_points(m, grid_points=1), "grid_points: 1"),
    (lambda m: unc.breakeven_samples(m, "replicate_sdxl", "rtx4090_owned", {},
                                     max_images_per_month=-5), "max_images_per_month: -5"),
    (lambda m: unc.breakeven_samples(m, "replicate_sdxl", "rtx4090_owned",
                                     {"labor.setup_weeks": np.ones((2, 2))}), "draws: arrays"),
])
def test_bad_input_names_the_field(default_model, call, match):
    with pytest.raises(InputError, match=match):
        call(default_model)


def test_negative_and_non_finite_ranges_are_errors(default_model):
    inp = default_model.inputs["options.replicate_sdxl.usd_per_image"]
    with pytest.raises(InputError, match=r"usd_per_image \(low\): -0.001"):
        default_model.with_inputs([dataclasses.replace(inp, low=-0.001)])
    with pytest.raises(InputError, match="cache_hit_rate: -0.1"):
        parse_and_resolve({"cache_hit_rate": -0.1})
    nan = Input(path="workload.images_per_month", value=1e5, low=float("nan"), high=2e5,
                unit="images/month", source="x")
    model = default_model.with_inputs([dataclasses.replace(nan, low=1e5)])
    object.__setattr__(model.inputs["workload.images_per_month"], "low", float("nan"))
    with pytest.raises(InputError, match=r"images_per_month \(low\): nan.*finite"):
        unc.factors(model)


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("distribution", unc.DISTRIBUTIONS)
def test_a_price_range_centred_on_a_rivals_price_wins_half_the_samples(default_model,
                                                                        distribution):
    """fal.ai's Flux Schnell at 0.003 USD/image (architecture article, 2026-05-19) against
    Replicate's SDXL given a symmetric range around the same 0.003: every other cost is the
    same for both APIs, so each is cheaper in half of the samples (to sampling error:
    sqrt(0.25 / 20,000) = 0.35 %, checked at 2 %). The lognormal's median is
    sqrt(low x high): 0.002..0.0045 centres it on 0.003."""
    high = 0.0045 if distribution == "lognormal" else 0.004
    rival = dataclasses.replace(default_model.inputs["options.replicate_sdxl.usd_per_image"],
                                value=0.003, low=0.002, high=high, row="")
    model = collapsed(default_model).with_inputs([rival])
    mc = unc.monte_carlo(model, 20_000, seed=3, distribution=distribution,
                         options=["replicate_sdxl", "fal_flux_schnell"])
    assert mc.p_cheapest["replicate_sdxl"] == pytest.approx(0.5, abs=0.02)


@settings(max_examples=25)
@given(st.floats(1e3, 1e8), st.sampled_from([None, "rtx4090_owned",
                                             ("a100_reserved", "replicate_sdxl"),
                                             ("hybrid_4090_replicate", "a100_on_demand")]))
def test_tornado_swings_are_non_negative_and_sorted(default_model, volume, output):
    model = default_model.with_values({"workload.images_per_month": volume})
    bars = unc.tornado(model, output).bars
    assert all(bar.swing >= 0 for bar in bars)
    assert all(a.swing >= b.swing for a, b in zip(bars, bars[1:], strict=False))


def test_sampled_cash_flow_with_collapsed_ranges_is_the_base_case(default_model):
    model = collapsed(default_model)
    mc = unc.monte_carlo(model, 50, cash_flow=True)
    rows = {r["name"]: r for r in evaluate(model)["options"]}
    for name, row in rows.items():
        assert np.allclose(mc.horizon_usd[name], row["horizon_usd"])
        assert np.allclose(mc.npv_usd[name], row["npv_usd"])
    assert set(mc.percentiles("npv_usd")) == set(rows)
