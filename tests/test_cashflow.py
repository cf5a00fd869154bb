"""Cash flow month by month: a constant world reproduces the monthly model; growth, price
declines, replacement, resale and lead time by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlib.cashflow import Timeline, breakeven_month, cash_flow, cash_totals, model_cash_flow
from costlib.options import ManagedAPI, Operations, OwnedGPU, RentedGPU, Workload
from costlib.tco import evaluate, monthly_cost_by_area, setup_usd

CONSTANT = Timeline()
NO_OPS = Operations()


def test_constant_world_is_the_monthly_cost_month_after_month():
    """No growth, no price decline, no lead time: month 0 pays the GPUs (2 x 1,600 USD) and
    the setup (3 weeks of a 10,000 USD/month engineer = 6,923.08 USD); every later month
    pays the monthly cost less the capital charge and the spread setup."""
    own = OwnedGPU("o", 1600, 100, useful_life_months=36, min_gpus=2, space_usd_per_gpu_month=25)
    ops = Operations(setup_weeks=3, ml_engineer_usd_per_month=10_000, amortization_months=36)
    w = Workload(10_000)
    flow = cash_flow(own, w, ops, CONSTANT, 36)
    areas = monthly_cost_by_area(own, w, ops)
    monthly = sum(areas.values()) - areas["gpu"] - setup_usd(ops) / 36
    assert flow.cash_usd[0] == pytest.approx(3200 + 6923.0769, rel=1e-6)
    assert np.allclose(flow.cash_usd[1:], monthly)
    # the horizon total equals the monthly cost x 36 (capital at its straight-line charge)
    assert flow.cumulative_usd[-1] == pytest.approx(float(sum(areas.values())) * 36)


def test_npv_at_zero_rate_is_cumulative_less_remaining_value():
    """Over 12 months of a 24-month life, half of the depreciable 800 USD is used: 600 USD
    remains and is credited."""
    own = OwnedGPU("o", 1000, 500, useful_life_months=24, resale_fraction=0.2)
    flow = cash_flow(own, Workload(10_000), NO_OPS, CONSTANT, 12)
    assert float(flow.residual_usd) == pytest.approx(600)
    assert float(flow.npv_usd(0.0)) == pytest.approx(float(flow.cumulative_usd[-1]) - 600)


def test_a_60_month_horizon_with_a_36_month_life_buys_twice():
    """One GPU at 1,000 USD, 36-month life, resold at 20 % of a new one's price; GPU prices
    fall 10 % a year. Month 0: buy at 1,000. Month 36: buy again at 1,000 x 0.9^3 = 729 and
    resell the first for 0.2 x 729 = 145.80. At month 60 the second GPU is 24 months old,
    heading for a resale of 0.2 x 1,000 x 0.9^5 = 118.10: 729 - 24/36 x (729 - 118.10) =
    321.73 left."""
    own = OwnedGPU("o", 1000, 500, useful_life_months=36, resale_fraction=0.2)
    flow = cash_flow(own, Workload(1000), NO_OPS, Timeline(gpu_price_decline_per_year=0.1), 60)
    assert flow.gpu_purchases.sum() == 2
    assert flow.cash_usd[0] == pytest.approx(1000)
    assert flow.cash_usd[36] == pytest.approx(729 - 145.8)
    assert float(flow.residual_usd) == pytest.approx(321.732)


def test_growth_and_api_price_decline_break_even_month():
    """100,000 images/month growing 4 % a month; an API at 0.01 USD/image whose price falls
    20 % a year; or one owned GPU (20,000 USD, fast enough for the whole horizon, 100 USD/month
    of space, nothing else). Month k's API bill is 1,000 x q^(k-1) with
    q = 1.04 x 0.8^(1/12) = 1.020840, so after m months the API has cost
    1,000 x (q^m - 1) / (q - 1): 21,572.22 after 18 months against 20,000 + 18 x 100 =
    21,800 for the GPU, 23,021.78 after 19 against 21,900. The GPU breaks even in month 19.
    """
    api = ManagedAPI("a", 0.01)
    own = OwnedGPU("o", 20_000, 1e6, useful_life_months=48, space_usd_per_gpu_month=100)
    timeline = Timeline(growth_per_month=0.04, api_price_decline_per_year=0.2)
    w = Workload(100_000)
    api_flow, own_flow = (cash_flow(o, w, NO_OPS, timeline, 36) for o in (api, own))
    assert api_flow.cumulative_usd[18] == pytest.approx(21_572.22, abs=0.01)
    assert api_flow.cumulative_usd[19] == pytest.approx(23_021.78, abs=0.01)
    assert own_flow.cumulative_usd[19] == pytest.approx(21_900)
    assert breakeven_month(own_flow.cumulative_usd, api_flow.cumulative_usd) == 19
    assert np.isnan(breakeven_month(own_flow.cumulative_usd[:18], api_flow.cumulative_usd[:18]))


def test_no_payback_when_owning_never_saves():
    own = OwnedGPU("o", 1000, 100, board_watts=1000, kwh_usd=10.0)
    cheap_api = ManagedAPI("a", 1e-6)
    flows = [cash_flow(o, Workload(1000), NO_OPS, CONSTANT, 36) for o in (own, cheap_api)]
    assert np.isnan(breakeven_month(flows[0].cumulative_usd, flows[1].cumulative_usd))


def test_growth_buys_gpus_when_a_month_first_needs_them():
    """100 images/h per GPU at full use is 73,000 images/month; 60,000 growing 10 % a month
    outgrows one GPU in month 4 (60,000 x 1.1^3 = 79,860), so a second is bought then."""
    own = OwnedGPU("o", 1000, 100, min_gpus=0)
    flow = cash_flow(own, Workload(60_000), NO_OPS, Timeline(growth_per_month=0.1), 6)
    assert list(flow.gpu_purchases) == [1, 0, 0, 1, 0, 0]


def test_lead_time_is_carried_by_the_bridge_api():
    """Two months of lead time: months 1 and 2 cost the API's 100 USD, month 3 the GPU's
    25 USD of space."""
    api = ManagedAPI("a", 0.01)
    own = OwnedGPU("o", 1000, 1e5, space_usd_per_gpu_month=25, lead_months=2)
    flow = cash_flow(own, Workload(10_000), NO_OPS, CONSTANT, 4, bridge=api)
    assert list(flow.cash_usd) == pytest.approx([1000, 100, 100, 25, 25])


def test_rental_follows_gpu_prices():
    """A reserved GPU at 730 USD/month with GPU prices falling 19 % a year costs
    730 x 0.81^(12/12) = 591.30 USD in month 13."""
    rented = RentedGPU("r", 1.0, 100, billing="reserved")
    flow = cash_flow(rented, Workload(1000), NO_OPS, Timeline(gpu_price_decline_per_year=0.19),
                     13)
    assert flow.cash_usd[13] == pytest.approx(591.30)


@given(st.floats(0, 0.1), st.floats(0, 0.5), st.floats(0, 0.5), st.integers(1, 72))
def test_cumulative_cash_never_falls_and_evaluates_in_one_call(growth, api_decline,
                                                               gpu_decline, months):
    timeline = Timeline(growth, api_decline, gpu_decline)
    for option in (ManagedAPI("a", 0.01), OwnedGPU("o", 1000, 100, resale_fraction=0.2),
                   RentedGPU("r", 1.0, 100)):
        flow = cash_flow(option, Workload(np.array([1e3, 1e5])), NO_OPS, timeline, months)
        assert flow.cash_usd.shape == (months + 1, 2)
        assert np.all(np.diff(flow.cumulative_usd, axis=0)[1:] >= -1e-6)


def test_evaluate_reads_the_cash_flow(default_model):
    result = evaluate(default_model)
    rate = default_model.values["discount_rate"]
    for row in result["options"]:
        flow = model_cash_flow(default_model, row["name"])
        assert row["horizon_usd"] == pytest.approx(float(flow.cumulative_usd[-1]))
        assert row["npv_usd"] == pytest.approx(float(flow.npv_usd(rate)))
        assert row["upfront_usd"] == pytest.approx(float(flow.cash_usd[0]))


def test_serverless_gpu_priced_from_a_published_per_second_rate():
    """Replicate's A100 (80 GB) at 0.0014 USD/GPU-s (Replicate pricing, 2026-05-04); SDXL at
    1,000 images/h on it, so 3.6 s each. 100,000 images take 360,000 GPU-s; 60 cold starts
    a month at the architecture article's 75 s for a Replicate cold start add 4,500 GPU-s:
    364,500 x 0.0014 = 510.30 USD/month, nothing when idle, nothing bought."""
    from costlib.catalog import load_catalog
    from costlib.options import ServerlessGPU

    cat = load_catalog()
    option = ServerlessGPU("replicate_a100", cat.value("gpu_serverless", "replicate_a100_80gb"),
                           1000, cold_starts_per_month=60,
                           cold_start_seconds=cat.value("api_latency", "replicate_cold_start"))
    areas = monthly_cost_by_area(option, Workload(100_000), NO_OPS)
    assert float(areas["gpu"]) == pytest.approx(510.30)
    idle = monthly_cost_by_area(option, Workload(0), NO_OPS)
    assert float(idle["gpu"]) == pytest.approx(60 * 75 * 0.0014)
    flow = cash_flow(option, Workload(100_000), NO_OPS, CONSTANT, 12)
    assert flow.cash_usd[0] == 0 and flow.gpu_purchases.sum() == 0


def test_a_commitment_discounts_the_rental_and_is_owed_for_its_term():
    """An A100 at 2 USD/h reserved around the clock is 1,460 USD/month; a 3-year commitment at
    40 % off costs 876. Over a 24-month horizon the other 12 months are still owed: 12 x 876 =
    10,512 USD at the end of month 24."""
    a100 = RentedGPU("a100", 2.0, 1000, billing="reserved", commitment_months=36,
                     commitment_discount=0.4)
    flow = cash_flow(a100, Workload(1000), NO_OPS, CONSTANT, 24)
    assert flow.cash_usd[1] == pytest.approx(876)
    assert flow.cash_usd[24] == pytest.approx(876 + 12 * 876)
    assert cash_flow(a100, Workload(1000), NO_OPS, CONSTANT, 36).cash_usd[36] == \
        pytest.approx(876)


def test_spot_hours_without_capacity_run_on_demand():
    """A spot RTX 4090 at 0.59 USD/h there 90 % of the hours needed, the rest on demand at
    0.69: 0.9 x 0.59 + 0.1 x 0.69 = 0.60 USD/h; 100 images/h at full use, 10 % rework: 73,000
    images take 730 x 1.1 = 803 h, 481.80 USD."""
    spot = RentedGPU("spot", 0.59, 100, rework=0.1, spot_availability=0.9,
                     fallback_hourly_usd=0.69)
    assert float(monthly_cost_by_area(spot, Workload(73_000), NO_OPS)["gpu"]) == \
        pytest.approx(803 * 0.60)


@given(st.sampled_from(["api", "owned", "rented", "reserved", "serverless", "hybrid"]),
       st.sampled_from([0.0, 0.03]), st.floats(0, 0.4), st.floats(0, 0.4),
       st.integers(1, 72), st.integers(0, 3), st.sampled_from([1.0, 3.0]),
       st.sampled_from([0, 12, 36]))
def test_totals_equal_the_month_by_month_flow(kind, growth, api_decline, gpu_decline, months,
                                               lead, retention, commitment):
    """cash_totals (sums of price factors and discounts, for Monte Carlo) and cash_flow (month
    by month) give the same horizon total and NPV, for samples of every kind."""
    from costlib.options import Hybrid, ServerlessGPU

    n = 3
    api = ManagedAPI("a", np.array([0.002, 0.01, 0.03]), rate_tiers=((3.0, 0.0), (np.inf, 75)))
    own = OwnedGPU("o", np.array([1600.0, 3000, 20000]), np.array([100.0, 400, 2000]),
                   useful_life_months=np.array([24.0, 36, 48]), resale_fraction=0.2,
                   space_usd_per_gpu_month=25, host_usd_per_server=3000, gpus_per_server=4,
                   lead_months=lead, utilization=0.7)
    rented = RentedGPU("r", 2.0, 500, billing="reserved" if kind == "reserved" else "on_demand",
                       commitment_months=commitment)
    option = {"api": api, "owned": own, "rented": rented, "reserved": rented,
              "serverless": ServerlessGPU("s", 0.0014, 1000, 60, 75),
              "hybrid": Hybrid("h", own, api, 2)}[kind]
    w = Workload(np.array([1e4, 2e5, 3e6]), outputs_per_approved=3, retention_months=retention,
                 stored_mb_per_image=2, storage_usd_per_gb_month=0.02, review_minutes_per_output=0.5,
                 reviewer_hourly_usd=40)
    ops = Operations(setup_weeks=3, ml_engineer_usd_per_month=10_000, amortization_months=months,
                     devops_hours_per_month=25, engineer_hourly_usd=62.5, backup_copies=1)
    timeline = Timeline(growth, np.full(n, api_decline), gpu_decline)
    rate = np.array([0.0, 0.08, 0.12])
    flow = cash_flow(option, w, ops, timeline, months, bridge=api)
    horizon, npv = cash_totals(option, w, ops, timeline, months, rate, bridge=api)
    assert np.allclose(horizon, flow.cumulative_usd[-1], rtol=1e-9)
    assert np.allclose(npv, flow.npv_usd(rate), rtol=1e-9)


def test_a_volume_curve_shapes_the_months():
    """A launch: half of today's volume for two months, then today's, then twice it from
    month 4 on. An API at 0.01 USD/image on 100,000 images: 500, 500, 1,000, then 2,000 USD
    a month."""
    flow = cash_flow(ManagedAPI("a", 0.01), Workload(100_000), NO_OPS,
                     Timeline(volume_curve=(0.5, 0.5, 1.0, 2.0)), 6)
    assert list(flow.cash_usd) == pytest.approx([0, 500, 500, 1000, 2000, 2000, 2000])
