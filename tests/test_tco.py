"""Cost model: published figures reproduce, article inconsistencies show, invariants hold.

Sources named in the tests:
- AD: "Image Generation API vs Self-Hosted: The Architecture Decision", 2026-05-19.
- IB: ImageBench, "Cost, Speed, and Infrastructure Tradeoffs" learn guide, 2026.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlib.catalog import load_catalog
from costlib.options import (
    HOURS_PER_MONTH,
    Hybrid,
    ManagedAPI,
    Operations,
    OwnedGPU,
    RentedGPU,
    ServerlessGPU,
    Workload,
)
from costlib.tco import (
    COST_AREAS,
    DAYS_PER_MONTH,
    api_fees_usd,
    capital_usd_per_month,
    cost_per_approved_usd,
    cost_per_image_usd,
    engineering_hours_per_month,
    engineering_usd,
    evaluate,
    host_servers,
    monthly_cost_by_area,
    monthly_cost_usd,
    peak_requests_per_minute,
    rate_tier_usd,
)

CAT = load_catalog()
NO_OPS = Operations()


def per_day(option, images_per_day):
    w = Workload(images_per_month=images_per_day * DAYS_PER_MONTH)
    return float(monthly_cost_usd(option, w, NO_OPS)) / DAYS_PER_MONTH


def test_a100_80gb_flux_dev_cost_per_image_AD():
    # AD: A100-80GB on RunPod at ~2.09 USD/h making 120 Flux Dev images/h: ~0.017 USD/image.
    gpu = RentedGPU("a100", CAT.value("gpu_rental", "a100_80gb_hourly"),
                    CAT.value("throughput", "flux_dev_a100_80gb"))
    usd = cost_per_image_usd(gpu, Workload(images_per_month=100_000), NO_OPS)
    assert usd == pytest.approx(0.017, abs=0.0005)


def test_flux_schnell_api_vs_rtx4090_at_1000_per_day_AD():
    # AD table: 1,000 images/day is ~3.00 USD/day on fal.ai and ~1.40 USD/day on an RTX 4090
    # at ~0.59 USD/h making ~420 images/h (billed for the hours used).
    api = ManagedAPI("fal", CAT.value("api_prices", "fal_flux_schnell"))
    gpu = RentedGPU("4090", CAT.value("gpu_rental", "rtx4090_community_hourly"),
                    CAT.value("throughput", "flux_schnell_rtx4090"))
    assert per_day(api, 1000) == pytest.approx(3.00, abs=0.005)
    assert per_day(gpu, 1000) == pytest.approx(1.40, abs=0.01)
    # Burst row: 5K images on demand cost ~15 USD.
    assert float(api_fees_usd(api, 5000)) == pytest.approx(15.0)


def test_AD_self_hosted_column_does_not_follow_from_its_assumptions():
    # AD gives ~1.40 USD/day for both 100 and 1,000 images/day, and ~5.60 USD/day at 10,000
    # (2x GPU). From its own 0.59 USD/h and 420 images/h neither holds:
    hourly = CAT.value("gpu_rental", "rtx4090_community_hourly")
    iph = CAT.value("throughput", "flux_schnell_rtx4090")
    on_demand = RentedGPU("4090", hourly, iph)
    always_on = RentedGPU("4090", hourly, iph, billing="reserved", min_gpus=1)
    # billed by the hour, 100 images/day is a tenth of 1.40
    assert per_day(on_demand, 100) == pytest.approx(0.14, abs=0.005)
    # kept on 24/7 ("GPU on 24/7" in its second table) it is 14.16 USD/day, not 1.40
    assert per_day(always_on, 100) == pytest.approx(14.16, abs=0.01)
    # 10,000 images/day needs 23.8 GPU-hours: 14.05 USD/day billed by the hour, and two GPUs
    # around the clock cost 28.32 USD/day; 5.60 follows from neither.
    assert per_day(on_demand, 10_000) == pytest.approx(14.05, abs=0.01)
    two = dataclasses.replace(always_on, min_gpus=2)
    assert per_day(two, 10_000) == pytest.approx(28.32, abs=0.01)
    assert abs(per_day(on_demand, 10_000) - 5.60) > 8


def test_catalog_notes_the_article_inconsistencies():
    assert "does not follow" in CAT.get("throughput", "sdxl_rtx4090").note
    assert "inconsistent" in CAT.get("throughput", "sdxl_a100_as_stated").note
    assert "ten times" in CAT.get("use_cases", "game_per_asset").note


def test_IB_storage_and_cdn_example():
    # IB: 100k images/month of 2-3 MB PNGs: "raw storage $6-9/month"; CDN egress at 10x views
    # "$170-255/month". Egress follows (2,000-3,000 GB at 0.085 USD/GB); storage does not:
    # 200-300 GB at 0.023 USD/GB-month is 4.60-6.90 USD.
    storage = CAT.value("overheads", "storage")
    egress = CAT.value("overheads", "cdn_egress")
    png = CAT.get("overheads", "png_1024_size")
    api = ManagedAPI("free", 0.0)
    costs = []
    for mb in (png.low, png.high):
        w = Workload(images_per_month=100_000, stored_mb_per_image=mb,
                     storage_usd_per_gb_month=storage)
        costs.append(float(monthly_cost_by_area(api, w, NO_OPS)["storage_bandwidth"]))
    assert costs == pytest.approx([4.60, 6.90])
    egress_costs = [float(monthly_cost_by_area(api, Workload(
        images_per_month=100_000, views_per_approved=10, delivered_mb_per_image=mb,
        egress_usd_per_gb=egress), NO_OPS)["storage_bandwidth"]) for mb in (png.low, png.high)]
    assert egress_costs == pytest.approx([170.0, 255.0])


@pytest.mark.parametrize("case, stated_low, stated_high", [("game", 0.80, 7.50),
                                                           ("arch", 2.0, 18.0)])
def test_IB_use_case_cost_per_asset_is_ten_times_its_inputs(case, stated_low, stated_high):
    # IB: game assets 0.008-0.025 USD/concept x 10-30 iterations "= $0.80-7.50 per asset";
    # architecture 0.040-0.120 USD/render x 5-15 angles "= $2-18 per project".
    price = CAT.get("use_cases", f"{case}_price")
    count = CAT.get("use_cases", f"{case}_iterations" if case == "game" else f"{case}_angles")
    low = cost_per_approved_usd(ManagedAPI("a", price.low),
                                Workload(1000, outputs_per_approved=count.low), NO_OPS)
    high = cost_per_approved_usd(ManagedAPI("a", price.high),
                                 Workload(1000, outputs_per_approved=count.high), NO_OPS)
    assert float(low) == pytest.approx(stated_low / 10)
    assert float(high) == pytest.approx(stated_high / 10)


def test_IB_ecommerce_and_social_use_cases_follow():
    # IB: 1,000 SKUs x 8-12 variants x 0.003-0.005 USD = 24-60 USD/month; social 50-200
    # images at 0.015-0.040 = 0.75-8.00 USD/month.
    for low, high, n_low, n_high, stated in [(0.003, 0.005, 8000, 12000, (24, 60)),
                                             (0.015, 0.040, 50, 200, (0.75, 8.0))]:
        got = (float(monthly_cost_usd(ManagedAPI("a", low), Workload(n_low), NO_OPS)),
               float(monthly_cost_usd(ManagedAPI("a", high), Workload(n_high), NO_OPS)))
        assert got == pytest.approx(stated)


def test_rtx4090_power_and_cooling_matches_IB_with_catalog_assumptions():
    # IB: RTX 4090 "$800/year power/cooling"; 450 W around the clock at the catalog's
    # 0.15 USD/kWh and PUE 1.35 gives 798 USD/year.
    own = OwnedGPU("4090", 1600, images_per_hour=1e9, board_watts=450,
                   kwh_usd=CAT.value("assumptions", "electricity"),
                   pue=CAT.value("assumptions", "pue"), idle_power_fraction=1.0)
    area = monthly_cost_by_area(own, Workload(1000), NO_OPS)["power_cooling_space"]
    assert float(area) * 12 == pytest.approx(CAT.value("gpu_hardware", "rtx4090_power_cooling"),
                                             rel=0.01)


def test_graduated_discount_tiers():
    # IB: volume discounts of 10-30 % above 100k images/month; graduated, never a drop.
    api = ManagedAPI("a", 0.004, discount_tiers=((100_000, 0.2),))
    fees = api_fees_usd(api, np.array([50_000, 100_000, 200_000]))
    np.testing.assert_allclose(fees, [200, 400, 400 + 100_000 * 0.004 * 0.8])


def test_per_megapixel_pricing():
    api = ManagedAPI("a", 0.0, usd_per_megapixel=0.01)
    assert float(api_fees_usd(api, 100, megapixels_per_image=2.0)) == pytest.approx(2.0)


def test_capital_cost_straight_line_and_annuity():
    assert float(capital_usd_per_month(1600, 36, 0.25)) == pytest.approx(1200 / 36)
    # With a rate, the annuity's present value equals purchase less discounted resale.
    r = 1.08 ** (1 / 12) - 1
    pay = float(capital_usd_per_month(1600, 36, 0.25, 0.08))
    pv = pay * (1 - (1 + r) ** -36) / r
    assert pv == pytest.approx(1600 - 400 * (1 + r) ** -36)


def test_hybrid_sends_overflow_to_the_api():
    own = OwnedGPU("o", 1000, images_per_hour=100, utilization=1.0, useful_life_months=10)
    api = ManagedAPI("a", 0.01)
    hybrid = Hybrid("h", own, api, local_gpus=1)
    capacity = 100 * HOURS_PER_MONTH
    areas = monthly_cost_by_area(hybrid, Workload(capacity + 1000), NO_OPS)
    assert float(areas["api_fees"]) == pytest.approx(10.0)
    assert float(areas["gpu"]) == pytest.approx(100.0)


def test_cost_per_approved_includes_rejects_and_review():
    api = ManagedAPI("a", 0.01)
    w = Workload(1000, outputs_per_approved=5, review_minutes_per_output=3,
                 reviewer_hourly_usd=60)
    # 200 assets from 1,000 outputs: 10 USD of fees + every output looked at for 3 min at
    # 60 USD/h, 1,000 x 3 USD = 3,000 USD of review: 3,010 USD -> 15.05 USD/asset
    assert float(cost_per_approved_usd(api, w, NO_OPS)) == pytest.approx(15.05)


def test_every_area_present_and_vectorized(default_model):
    m = default_model
    volumes = np.geomspace(1, 1e7, 50)
    w = dataclasses.replace(m.workload, images_per_month=volumes)
    for option in m.options.values():
        areas = monthly_cost_by_area(option, w, m.ops)
        assert set(areas) == set(COST_AREAS)
        assert all(np.shape(v) == (50,) for v in areas.values())


def test_evaluate_default_scenario(default_model):
    """The default: 100,000 SDXL images a month, 4 per approved asset. Replicate's fee is
    100,000 x 0.0023 USD (ImageBench guide, 2026) = 230 USD/month; fal.ai's Flux Schnell
    100,000 x 0.003 USD (architecture article, 2026-05-19) = 300 USD/month; each adds the
    starter rate-limit tier's 75 USD/month (ImageBench), since business hours put 100,000 x
    3.36 / 730 / 60 = 7.7 requests/min in the busiest hour, above the free tier's 3. Per
    approved asset each option's monthly cost counts four images. The review every option
    pays, 100,000 outputs x 0.5 min at 40 USD/h = 33,333.33 USD, is the shared line."""
    result = evaluate(default_model)
    rows = {o["name"]: o for o in result["options"]}
    assert rows["replicate_sdxl"]["by_area"]["api_fees"] == pytest.approx(230.0 + 75)
    assert rows["fal_flux_schnell"]["by_area"]["api_fees"] == pytest.approx(300.0 + 75)
    assert result["shared_usd"] == pytest.approx(33_333.33, abs=0.01)
    for row in rows.values():
        assert row["differing_usd"] == pytest.approx(row["monthly_usd"] - 33_333.33, abs=0.01)
    assert result["approved_per_month"] == pytest.approx(25_000)
    for row in rows.values():
        assert row["usd_per_approved"] == pytest.approx(row["monthly_usd"] / 25_000)


# --- properties ----------------------------------------------------------------------

pos = st.floats(0.01, 1e4, allow_nan=False)
volume = st.floats(0, 1e8, allow_nan=False)
frac = st.floats(0.05, 1.0)


@st.composite
def options(draw):
    kind = draw(st.sampled_from(["api", "on_demand", "reserved", "owned", "serverless",
                                 "hybrid"]))
    api = ManagedAPI("a", draw(st.floats(0.0005, 0.2)),
                     discount_tiers=((100_000, draw(st.floats(0, 0.6))),),
                     fixed_usd_per_month=draw(st.floats(0, 500)))
    rented = RentedGPU("r", draw(pos), draw(st.floats(10, 5000)), utilization=draw(frac),
                       billing="reserved" if kind == "reserved" else "on_demand")
    owned = OwnedGPU("o", draw(st.floats(100, 50_000)), draw(st.floats(10, 5000)),
                     board_watts=draw(st.floats(0, 1000)), kwh_usd=draw(st.floats(0, 0.5)),
                     pue=draw(st.floats(1, 2)), maintenance_per_year=draw(st.floats(0, 0.2)),
                     space_usd_per_gpu_month=draw(st.floats(0, 100)), utilization=draw(frac),
                     idle_power_fraction=draw(st.floats(0, 1)),
                     resale_fraction=draw(st.floats(0, 0.5)),
                     annual_discount_rate=draw(st.floats(0, 0.2)),
                     host_usd_per_server=draw(st.floats(0, 10_000)),
                     gpus_per_server=draw(st.integers(1, 8)))
    serverless = ServerlessGPU("s", draw(st.floats(1e-4, 5e-3)), draw(st.floats(10, 5000)),
                               cold_starts_per_month=draw(st.floats(0, 1000)),
                               cold_start_seconds=draw(st.floats(0, 120)))
    return {"api": api, "on_demand": rented, "reserved": rented, "owned": owned,
            "serverless": serverless,
            "hybrid": Hybrid("h", owned, api, draw(st.integers(0, 4)))}[kind]


def workloads(draw_volume=volume):
    return st.builds(Workload, images_per_month=draw_volume,
                     outputs_per_approved=st.floats(1, 20), peak_factor=st.floats(1, 5),
                     review_minutes_per_output=st.floats(0, 5),
                     reviewer_hourly_usd=st.floats(0, 100),
                     stored_mb_per_image=st.floats(0, 5), delivered_mb_per_image=st.floats(0, 1),
                     views_per_approved=st.floats(0, 20),
                     storage_usd_per_gb_month=st.floats(0, 0.1),
                     egress_usd_per_gb=st.floats(0, 0.2), cache_hit_rate=st.floats(0, 0.5))


ops_strategy = st.builds(Operations, devops_hours_per_month=st.floats(0, 40),
                         devops_hours_per_gpu_month=st.floats(0, 2),
                         hardware_hours_per_gpu_month=st.floats(0, 4),
                         oncall_usd_per_month=st.floats(0, 3000), user_facing=st.booleans(),
                         engineer_hourly_usd=st.floats(0, 100), ml_engineer_fte=st.floats(0, 1),
                         ml_engineer_usd_per_month=st.floats(0, 12000),
                         setup_weeks=st.floats(0, 4), monitoring_usd_per_month=st.floats(0, 300),
                         backup_copies=st.floats(0, 2), downtime_allowance=st.floats(0, 0.1),
                         api_integration_hours_per_month=st.floats(0, 16),
                         vendor_management_hours_per_month=st.floats(0, 8))


@given(options(), workloads(), ops_strategy, st.floats(0, 1e7))
def test_cost_never_falls_as_volume_grows(option, workload, ops, extra):
    more = dataclasses.replace(workload, images_per_month=workload.images_per_month + extra)
    assert monthly_cost_usd(option, more, ops) >= monthly_cost_usd(option, workload, ops) - 1e-9


def _scale_prices(option, k):
    """Every price of an option times k (throughputs and shares unchanged)."""
    money = {"usd_per_image", "usd_per_megapixel", "surcharge_usd_per_image",
             "fixed_usd_per_month", "hourly_usd", "monthly_usd", "purchase_usd", "kwh_usd",
             "space_usd_per_gpu_month", "host_usd_per_server", "usd_per_gpu_second",
             "fallback_hourly_usd"}
    if isinstance(option, Hybrid):
        return dataclasses.replace(option, local=_scale_prices(option.local, k),
                                   api=_scale_prices(option.api, k))
    return dataclasses.replace(option, **{f.name: getattr(option, f.name) * k
                                          for f in dataclasses.fields(option) if f.name in money})


@given(options(), workloads(), st.floats(1.0, 2.0))
def test_cost_never_falls_as_price_grows(option, workload, k):
    assert (monthly_cost_usd(_scale_prices(option, k), workload, NO_OPS)
            >= monthly_cost_usd(option, workload, NO_OPS) - 1e-9)


@given(options(), workloads(), ops_strategy, st.floats(0.1, 10))
def test_scaling_every_price_scales_every_cost(option, workload, ops, k):
    w_k = dataclasses.replace(workload, reviewer_hourly_usd=workload.reviewer_hourly_usd * k,
                              storage_usd_per_gb_month=workload.storage_usd_per_gb_month * k,
                              egress_usd_per_gb=workload.egress_usd_per_gb * k)
    ops_k = dataclasses.replace(ops, engineer_hourly_usd=ops.engineer_hourly_usd * k,
                                ml_engineer_usd_per_month=ops.ml_engineer_usd_per_month * k,
                                monitoring_usd_per_month=ops.monitoring_usd_per_month * k,
                                oncall_usd_per_month=ops.oncall_usd_per_month * k)
    base = monthly_cost_by_area(option, workload, ops)
    scaled = monthly_cost_by_area(_scale_prices(option, k), w_k, ops_k)
    for area in COST_AREAS:
        assert float(scaled[area]) == pytest.approx(float(base[area]) * k, rel=1e-9, abs=1e-9)


# --- acceptance and review (per output) ------------------------------------------------


@given(options(), workloads(), ops_strategy, st.floats(1, 20), st.floats(0, 10))
def test_worse_acceptance_always_costs_more(option, workload, ops, outputs, worse):
    """For every option kind, generating more outputs per approved asset (the option's own
    acceptance) never costs less for the same approved assets."""
    better = dataclasses.replace(option, outputs_per_approved=outputs)
    worse_option = dataclasses.replace(option, outputs_per_approved=outputs + worse)
    assert (monthly_cost_usd(worse_option, workload, ops)
            >= monthly_cost_usd(better, workload, ops) - 1e-6)


@given(options(), workloads(), ops_strategy, st.floats(0, 5), st.floats(0, 100))
def test_cost_never_falls_as_review_time_or_labor_rates_grow(option, workload, ops, minutes,
                                                             rate):
    more = dataclasses.replace(
        workload, review_minutes_per_output=workload.review_minutes_per_output + minutes,
        reviewer_hourly_usd=workload.reviewer_hourly_usd + rate)
    dearer = dataclasses.replace(ops, engineer_hourly_usd=ops.engineer_hourly_usd + rate,
                                 ml_engineer_usd_per_month=ops.ml_engineer_usd_per_month
                                 + 100 * rate,
                                 oncall_usd_per_month=ops.oncall_usd_per_month + 10 * rate)
    assert monthly_cost_usd(option, more, dearer) >= monthly_cost_usd(option, workload, ops) - 1e-6


def test_an_api_accepted_half_as_often_is_dearer_despite_a_lower_price():
    """10,000 approved assets a month (40,000 outputs at 4 per asset), 0.5 min of review per
    output at 40 USD/h (costlib assumptions). SDXL on Replicate at 0.0023 USD/image (ImageBench
    guide, 2026): 40,000 x 0.0023 = 92 USD of fees + 40,000 x 0.5 / 60 x 40 = 13,333.33 USD
    of review = 13,425.33 USD. A cheaper API at 0.0015 USD/image whose outputs are accepted
    half as often (8 per asset) generates 80,000: 120 USD of fees + 26,666.67 USD of review
    = 26,786.67 USD, twice as dear per approved asset (2.68 against 1.34 USD)."""
    w = Workload(40_000, outputs_per_approved=4, review_minutes_per_output=0.5,
                 reviewer_hourly_usd=40)
    replicate = ManagedAPI("replicate", 0.0023)
    cheaper = ManagedAPI("cheaper", 0.0015, outputs_per_approved=8)
    assert float(monthly_cost_usd(replicate, w, NO_OPS)) == pytest.approx(13_425.33, abs=0.01)
    assert float(monthly_cost_usd(cheaper, w, NO_OPS)) == pytest.approx(26_786.67, abs=0.01)
    assert float(cost_per_approved_usd(cheaper, w, NO_OPS)) == pytest.approx(2.6787, abs=1e-4)
    assert float(cost_per_image_usd(cheaper, w, NO_OPS)) == pytest.approx(0.0015)


# --- labor -------------------------------------------------------------------------------


@given(ops_strategy, st.floats(0, 500), st.floats(0, 500), st.booleans())
def test_labor_never_falls_as_the_fleet_grows(ops, gpus, more, owns_hardware):
    small = engineering_usd(ops, engineering_hours_per_month(ops, gpus, owns_hardware))
    large = engineering_usd(ops, engineering_hours_per_month(ops, gpus + more, owns_hardware))
    assert large >= small - 1e-9


def test_dedicated_staff_absorb_hours_they_have_time_for():
    """ImageBench's 25 DevOps hours a month and the architecture article's quarter of an
    ML infrastructure engineer (10,000 USD/month, 160 working hours) were summed before:
    1,562.50 + 2,500 USD. They describe the same work: a quarter FTE has 40 h/month, so the
    25 h cost its 2,500 USD once. At 40 GPUs (0.5 h each) the 45 h exceed 40: 5 more hours
    at 62.50 USD/h = 2,812.50 USD. Owned GPUs add 1 h each of hardware handling: 85 h,
    45 beyond the staff, 2,500 + 45 x 62.50 = 5,312.50 USD."""
    ops = Operations(devops_hours_per_month=25, devops_hours_per_gpu_month=0.5,
                     hardware_hours_per_gpu_month=1, engineer_hourly_usd=62.5,
                     ml_engineer_fte=0.25, ml_engineer_usd_per_month=10_000)
    def cost(gpus, owned):
        return float(engineering_usd(ops, engineering_hours_per_month(ops, gpus, owned)))

    assert cost(0, owned=False) == pytest.approx(2500)
    assert cost(40, owned=False) == pytest.approx(2812.5)
    assert cost(40, owned=True) == pytest.approx(5312.5)


def test_on_call_only_when_user_facing_and_only_when_self_hosting():
    api, rented = ManagedAPI("a", 0.01), RentedGPU("r", 2.0, 1000, billing="reserved")
    w = Workload(10_000)
    for facing, expected in ((False, 0.0), (True, 1500.0)):
        ops = Operations(oncall_usd_per_month=1500, user_facing=facing)
        assert float(monthly_cost_by_area(rented, w, ops)["engineering"]) == expected
        assert float(monthly_cost_by_area(api, w, ops)["engineering"]) == 0.0


def test_rate_limit_tier_follows_the_busiest_hour():
    """ImageBench's tiers: free 3 requests/min, starter 75 (75 USD/month), pro 750 (500 USD);
    beyond pro a negotiated tier costlib prices one upgrade step (4x) above it, 2,000 USD."""
    from costlib.scenario.resolve import rate_tiers

    api = ManagedAPI("a", 0.0, rate_tiers=rate_tiers(CAT))
    rpm = np.array([2.0, 3.0, 7.7, 75.0, 76.0, 750.0, 5000.0])
    assert list(rate_tier_usd(api, rpm)) == [0, 0, 75, 75, 500, 500, 2000]
    # 100,000 images/month with 3.36x the mean in the busiest hour: 7.7 requests/min
    assert float(peak_requests_per_minute(100_000, 3.36)) == pytest.approx(7.67, abs=0.01)
    pro = ManagedAPI("a", 0.0, rate_tiers=rate_tiers(CAT, "pro"))
    assert float(rate_tier_usd(pro, 7.7)) == 500


def test_host_servers_are_whole_and_depreciate_with_the_gpus():
    """Five owned GPUs at four per host server need two servers: 5 x 1,600 + 2 x 3,000 =
    14,000 USD over 35 months straight-line = 400 USD/month."""
    own = OwnedGPU("o", 1600, 100, useful_life_months=35, host_usd_per_server=3000,
                   gpus_per_server=4, min_gpus=5)
    assert float(host_servers(own, 5)) == 2
    assert float(monthly_cost_by_area(own, Workload(0), NO_OPS)["gpu"]) == pytest.approx(400)
