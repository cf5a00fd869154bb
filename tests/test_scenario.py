"""Scenario files: presets load, round trip, atomic saves, and bad input names the field."""

import copy
import datetime as dt
import os

import pytest
import yaml
from hostile import billion_laughs

from costlib.errors import InputError
from costlib.scenario import (
    load_scenario,
    parse_scenario,
    preset_names,
    preset_path,
    resolve,
    save_scenario,
)


def test_every_preset_loads_and_resolves(today):
    assert "default" in preset_names()
    for name in preset_names():
        model = resolve(load_scenario(preset_path(name)), today=today)
        assert model.options
        for inp in model.inputs.values():
            assert inp.low <= inp.value <= inp.high and inp.source


def test_inputs_carry_catalog_provenance(default_model):
    price = default_model.inputs["options.replicate_sdxl.usd_per_image"]
    assert price.value == 0.0023 and "ImageBench" in price.source and price.as_of == "2026"
    volume = default_model.inputs["workload.images_per_month"]
    assert (volume.low, volume.value, volume.high) == (60000, 100000, 150000)
    assert volume.overridden
    assert volume.as_of == "2026-11-22"  # a scenario value without as_of is dated `today`


def test_dates_come_from_today_not_the_clock(today):
    scenario = load_scenario(preset_path("default"))
    later = resolve(scenario, today=today + dt.timedelta(days=400))
    now = resolve(scenario, today=today)
    volume = "workload.images_per_month"
    assert later.inputs[volume].as_of == "2027-12-27" and now.inputs[volume].as_of == "2026-11-22"
    assert {p for p, i in later.inputs.items() if i.stale} > \
        {p for p, i in now.inputs.items() if i.stale}
    dated = resolve(scenario.model_copy(update={"as_of": dt.date(2026, 10, 1)}), today=today)
    assert dated.inputs[volume].as_of == "2026-10-01"


def test_round_trip_and_atomic_save(tmp_path):
    scenario = load_scenario(preset_path("default"))
    path = save_scenario(scenario, tmp_path / "client" / "s.yaml")
    assert load_scenario(path) == scenario
    assert [p.name for p in path.parent.iterdir()] == ["s.yaml"]  # no temp file left


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    scenario = load_scenario(preset_path("default"))
    path = save_scenario(scenario, tmp_path / "s.yaml")
    before = path.read_text()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_scenario(scenario.model_copy(update={"name": "changed"}), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]


def test_quotes_path_is_relative_to_the_scenario(tmp_path, monkeypatch, today):
    (tmp_path / "quotes.csv").write_text(
        "table,name,value,unit,source,as_of\n"
        "api_prices,replicate_sdxl,0.0015,USD/image,Client contract,2026-10\n")
    data = yaml.safe_load(preset_path("default").read_text())
    data["quotes"] = "quotes.csv"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.chdir("/")  # another folder, restored after the test
    model = resolve(load_scenario(tmp_path / "s.yaml"), today=today)
    price = model.inputs["options.replicate_sdxl.usd_per_image"]
    assert price.value == 0.0015 and price.overridden and price.source == "Client contract"


BASE = yaml.safe_load(preset_path("default").read_text())


def _set(path, value):
    data = copy.deepcopy(BASE)
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()

BAD = [
    ("workload.images_per_month", -5, "workload.images_per_month: -5.0 is not allowed; must be >= 0"),
    ("workload.images_per_month", float("nan"), "workload.images_per_month"),
    ("workload.images_per_month", float("inf"), "workload.images_per_month"),
    ("workload.images_per_month", "many", "workload.images_per_month"),
    ("workload.images_per_month", _DELETE, "workload: give images_per_month (generated images) or approved_per_month (approved assets), one of the two"),
    ("workload.outputs_per_approved", 0.5, "workload.outputs_per_approved: 0.5 is not allowed; must be >= 1"),
    ("workload.cache_hit_rate", 1.5, "workload.cache_hit_rate: 1.5 is not allowed; must be >= 0 and <= 0.99"),
    ("workload.cache_hit_rate", -0.1, "workload.cache_hit_rate: -0.1"),
    ("workload.variability", "wavy", "workload.variability: 'wavy' is not allowed"),
    ("workload.model", "sd3", "workload.model: 'sd3' is not allowed"),
    ("workload.resolution", "1024", "workload.resolution: '1024' is not allowed"),
    ("workload.peak_factor", 0.5, "workload.peak_factor: 0.5 is not allowed; must be >= 1"),
    ("workload.images_per_month", {"value": 10, "low": 20, "high": 30},
     "workload.images_per_month: 10.0 is not allowed; must lie within its low..high (20..30)"),
    ("workload.colour", "red", "workload.colour: 'red' is not allowed; there is no such field here"),
    ("constraints.privacy", "secret", "constraints.privacy: 'secret' is not allowed"),
    ("constraints.max_latency_s", 0, "constraints.max_latency_s: 0 is not allowed"),
    ("labor.ml_engineer_fte", -1, "labor.ml_engineer_fte: -1.0 is not allowed; must be >= 0"),
    ("labor.devops_hours_per_month", -3, "labor.devops_hours_per_month: -3.0 is not allowed"),
    ("horizon_months", 0, "horizon_months: 0 is not allowed"),
    ("horizon_months", 1000, "horizon_months: 1000 is not allowed"),
    ("discount_rate", 2, "discount_rate: 2.0 is not allowed; must be >= 0 and <= 1"),
    ("options", [], "options: [] is not allowed"),
    ("options.0.kind", "lease", "options.0.kind: 'lease' is not allowed"),
    ("options.0.offer", "replicate_sdxl_xl",
     "options.replicate_sdxl.offer: 'replicate_sdxl_xl' is not allowed; must name a row of "
     "api_prices (closest: replicate_sdxl, "),
    ("options.0.name", "Bad Name!", "options.0.name: 'Bad Name!' is not allowed"),
    ("options.1.name", "replicate_sdxl", "scenario: option name 'replicate_sdxl' is used twice"),
    ("options.0.surcharges", ["gold_plating"], "options.replicate_sdxl.surcharges: 'gold_plating'"),
    ("options.2.offer", "a100_40gb_weekly", "options.a100_on_demand.offer: 'a100_40gb_weekly'"),
    ("options.2.throughput", "sdxl_a900", "options.a100_on_demand.throughput: 'sdxl_a900' is not allowed"),
    ("options.2.set", {"images_per_hour": 0}, "options.a100_on_demand.images_per_hour: 0.0 is not allowed; must be > 0"),
    ("options.2.set", {"utilization": 1.5}, "options.a100_on_demand.utilization: 1.5 is not allowed"),
    ("options.2.set", {"colour": 1}, "options.a100_on_demand.set: 'colour' is not allowed"),
    ("options.1.set", {"outputs_per_approved": 0.5}, "options.fal_flux_schnell.outputs_per_approved: 0.5 is not allowed; must be >= 1"),
    ("options.4.set", {"annual_discount_rate": 0.1}, "options.rtx4090_owned.set: 'annual_discount_rate' is not allowed"),
    ("options.4.gpu", "a100_40gb", "options.rtx4090_owned.gpu: 'a100_40gb' has no purchase price"),
    ("options.4.gpu", "tpu", "options.rtx4090_owned.gpu: 'tpu' has no purchase price"),
    ("options.4.throughput", _DELETE, "option 'rtx4090_owned' of kind owned needs 'throughput'"),
    ("options.5.local", "replicate_sdxl", "hybrid 'hybrid_4090_replicate': local 'replicate_sdxl' must name an option of kind rented or owned"),
    ("options.5.api", "nothing", "hybrid 'hybrid_4090_replicate': api 'nothing' must name an option of kind api"),
    ("options.5.local_gpus", -1, "options.hybrid_4090_replicate.local_gpus: -1.0 is not allowed"),
    ("options.0.discounts", ["lora_surcharge"], "options.replicate_sdxl.discounts: 'lora_surcharge' is not allowed"),
    # plausibility: bounds said in the error, not a 300-digit table
    ("options", [{"name": "a", "kind": "api", "offer": "replicate_sdxl"}] * 101,
     "... is not allowed; must have at most 100 item(s)"),  # the value shown is cut short
    ("workload.images_per_month", 1e300, "workload.images_per_month: 1e+300 is not allowed; must be >= 0 and <= 1e+10"),
    ("workload.images_per_month", {"value": 10, "high": 1e12}, "workload.images_per_month (high): 1000000000000.0 is not allowed; must be >= 0 and <= 1e+10"),
    ("options.2.set", {"hourly_usd": 1e200}, "options.a100_on_demand.hourly_usd: 1e+200 is not allowed; must be >= 0 and <= 1e+09"),
    ("workload.resolution", "99999x99999", "workload.resolution: '99999x99999' is not allowed; must be WIDTHxHEIGHT with each side 64-8192 pixels"),
    ("stale_after_days", 10**50, "stale_after_days: 1e+50 is not allowed"),
    # a number is a number: true is not 1, text is not a number
    ("workload.images_per_month", True, "workload.images_per_month: True is not allowed; must be a number (not text or true/false)"),
    ("horizon_months", True, "horizon_months: True is not allowed; must be a number"),
    ("workload.images_per_month", "1000", "workload.images_per_month: '1000' is not allowed; must be a number"),
    # whole numbers where only whole numbers make sense
    ("options.5.local_gpus", 1.5, "options.hybrid_4090_replicate.local_gpus: 1.5 is not allowed; must be a whole number"),
    ("options.4.set", {"min_gpus": 0.5}, "options.rtx4090_owned.min_gpus: 0.5 is not allowed; must be a whole number"),
    ("horizon_months", 36.5, "horizon_months: 36.5 is not allowed; must be a whole number"),
    # fields that do not apply to an option's kind
    ("options.4.billing", "reserved", "options.4: billing: 'reserved' is not allowed; an option of kind owned does not take billing (it takes gpu, throughput, batch_size, precision)"),
    ("options.0.throughput", "sdxl_a100", "options.0: throughput: 'sdxl_a100' is not allowed; an option of kind api does not take throughput"),
    ("options.5.tier", "pro", "options.5: tier: 'pro' is not allowed; an option of kind hybrid does not take tier"),
    # a throughput row measured on another GPU or for another model
    ("options.4.throughput", "sdxl_h100", "options.rtx4090_owned.throughput: 'sdxl_h100' is not allowed; it is measured for gpu 'h100', the option needs 'rtx4090'"),
    ("workload.model", "flux-dev", "options.a100_on_demand.throughput: 'sdxl_a100' is not allowed; it is measured for model 'sdxl', the option needs 'flux-dev' (flux_dev_"),
    # the cash flow, labor, offers and uncertainty inputs (decision-grade economics)
    ("timeline", {"growth_per_month": 2}, "timeline.growth_per_month: 2.0 is not allowed; must be >= 0 and <= 1"),
    ("timeline", {"api_price_decline_per_year": -0.1}, "timeline.api_price_decline_per_year: -0.1 is not allowed; must be >= 0 and <= 0.9"),
    ("timeline", {"volume_curve": [1, 0.5]}, "timeline.volume_curve: [1, 0.5] is not allowed; must be volumes over today's (0-10,000) that never fall"),
    ("timeline", {"rate": 0.1}, "timeline.rate: 0.1 is not allowed; there is no such field here"),
    ("labor.oncall_usd_per_month", -5, "labor.oncall_usd_per_month: -5.0 is not allowed; must be >= 0"),
    ("labor.hardware_hours_per_gpu_month", {"value": 1, "low": 2, "high": 3}, "labor.hardware_hours_per_gpu_month: 1.0 is not allowed; must lie within its low..high (2..3)"),
    ("constraints.user_facing", "maybe", "constraints.user_facing: 'maybe' is not allowed"),
    ("options.2.set", {"spot_availability": 1.5}, "options.a100_on_demand.spot_availability: 1.5 is not allowed; must be >= 0 and <= 1"),
    ("options.3.set", {"commitment_discount": 0.95}, "options.a100_reserved.commitment_discount: 0.95 is not allowed; must be >= 0 and <= 0.9"),
    ("options.3.set", {"commitment_months": 12.5}, "options.a100_reserved.commitment_months: 12.5 is not allowed; must be a whole number"),
    ("options.4.set", {"gpus_per_server": 0}, "options.rtx4090_owned.gpus_per_server: 0.0 is not allowed; must be >= 1 and <= 64"),
    ("options.4.set", {"lead_months": 30}, "options.rtx4090_owned.lead_months: 30.0 is not allowed; must be >= 0 and <= 24"),
    ("options.6.set", {"max_concurrency": 0}, "options.serverless_h100.max_concurrency: 0.0 is not allowed; must be >= 1"),
    ("options.6.offer", "replicate_b300", "options.serverless_h100.offer: 'replicate_b300' is not allowed; must name a row of gpu_serverless"),
    ("price_uncertainty_per_year", 2, "price_uncertainty_per_year: 2 is not allowed; must be <= 1"),
    # a GPU option's batch size and precision (the market: batch and precision)
    ("options.4.batch_size", 0, "options.4.batch_size: 0 is not allowed; must be >= 1"),
    ("options.4.batch_size", 129, "options.4.batch_size: 129 is not allowed; must be <= 128"),
    ("options.4.batch_size", 2.5, "options.4.batch_size: 2.5 is not allowed"),
    ("options.0.batch_size", 4, "options.0: batch_size: 4 is not allowed; an option of kind api does not take batch_size"),
    ("options.5.precision", "fp8", "options.5: precision: 'fp8' is not allowed; an option of kind hybrid does not take precision"),
    ("options.4.precision", "fp32", "options.4.precision: 'fp32' is not allowed; must be one of 'bf16', 'fp16' or 'fp8'"),
    # fp8 needs an 8-bit peak: the RTX 4090 has none in the catalog, the A100 (INT8) and H100 do
    ("options.4.precision", "fp8", "options.rtx4090_owned.precision: 'fp8' is not allowed; rtx4090 has no 8-bit peak in the catalog, so it may run at bf16 or fp16"),
    # a throughput row measured at another precision than the option's (MLPerf: FP8)
    ("options.6.throughput", "sdxl_h100_mlperf", "options.serverless_h100.throughput: 'sdxl_h100_mlperf' is not allowed at precision bf16; it is measured at 8-bit (set precision: fp8)"),
]


@pytest.mark.parametrize("path, value, message", BAD, ids=[f"{b[0]}={b[1]!r}"[:40] for b in BAD])
def test_bad_scenario_field_is_named(path, value, message, today):
    with pytest.raises(InputError) as err:
        resolve(parse_scenario(_set(path, value)), today=today)
    text = str(err.value)
    assert message in text
    assert "\n" not in text


def test_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nworkload: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml: malformed YAML at line 3"):
        load_scenario(path)


MINIMAL = "name: x\nworkload: {images_per_month: %s}\noptions: [{name: a, kind: api, offer: replicate_sdxl}]\n"
LAUGHS = billion_laughs(5)


@pytest.mark.parametrize("text, message", [
    (MINIMAL % "1:30", "workload.images_per_month: '1:30' is not allowed; must be a number"),
    (MINIMAL % "true", "workload.images_per_month: True is not allowed; must be a number"),
    (MINIMAL % "yes", "workload.images_per_month: 'yes' is not allowed; must be a number"),
    (MINIMAL % ("1" * 5000), "line 2: a number of 5,000 digits is not allowed; at most 100"),
    (MINIMAL % ("[" * 3000 + "]" * 3000), "line 2: nesting deeper than 32 levels is not allowed"),
    ("name: x\nname: y\n" + (MINIMAL % 10)[8:], "line 2: key 'name' is given twice"),
    (LAUGHS + (MINIMAL % "*f")[8:].replace("name: x", ""), "alias *a is not allowed"),
    ((MINIMAL % 10).replace("name: x", 'name: "a \\u0000 b"'), None),  # control chars are text
])
def test_scenario_files_are_read_strictly(tmp_path, text, message):
    # YAML 1.1 read 1:30 as 90 and true as 1, kept the last of two keys, expanded aliases
    # into gigabytes (a hang) and raised tracebacks for 5,000 digits and deep nesting.
    path = tmp_path / "s.yaml"
    path.write_text(text)
    if message is None:
        assert load_scenario(path).name == "a \x00 b"
        return
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


def test_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="the file must hold a mapping of fields, not list"):
        load_scenario(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        load_scenario(tmp_path / "none.yaml")


def test_unknown_preset():
    with pytest.raises(InputError, match="preset: 'nope' is not allowed; must be one of"):
        preset_path("nope")


def test_with_values_unknown_path(default_model):
    with pytest.raises(InputError, match="input: 'workload.colour' is not allowed"):
        default_model.with_values({"workload.colour": 1})


def test_an_option_can_have_its_own_acceptance(today):
    """The default makes 25,000 approved assets from 100,000 images (4 per asset). Flux
    Schnell accepted at 6 per asset (4-8) generates 150,000 images for them, pays fal.ai's
    0.003 USD each (architecture article, 2026-05-19): 450 USD, plus the starter rate-limit
    tier's 75 USD (ImageBench), and its range is sampled as its own quantity."""
    from costlib.tco import evaluate
    from costlib.uncertainty import factors

    data = _set("options.1.set", {"outputs_per_approved": {"value": 6, "low": 4, "high": 8}})
    model = resolve(parse_scenario(data), today=today)
    rows = {r["name"]: r for r in evaluate(model)["options"]}
    assert rows["fal_flux_schnell"]["images_per_month"] == pytest.approx(150_000)
    assert rows["fal_flux_schnell"]["by_area"]["api_fees"] == pytest.approx(450 + 75)
    assert rows["replicate_sdxl"]["images_per_month"] == pytest.approx(100_000)
    assert "options.fal_flux_schnell.outputs_per_approved" in {f.name for f in factors(model)}


def test_a_rented_option_can_name_a_gpu_and_pick_its_market_offer(today):
    """SkyPilot catalog v7 snapshot: H100 on demand, median of ten clouds' cheapest offers
    2.44 USD/GPU-h (1.29 Hyperbolic .. 12.29 AWS before its 2025 cut); the cheapest spot
    offer 0.90 (PrimeIntellect, upstream DataCrunch)."""
    data = {"name": "market", "workload": {"images_per_month": 10000}, "options": [
        {"name": "h100_median", "kind": "rented", "gpu": "h100", "offer": "median",
         "throughput": "sdxl_h100"},
        {"name": "h100_spot", "kind": "rented", "gpu": "h100", "offer": "cheapest/spot",
         "throughput": "sdxl_h100"},
        {"name": "h100_lambda", "kind": "rented", "gpu": "h100", "offer": "lambda/on_demand",
         "throughput": "sdxl_h100"}]}
    model = resolve(parse_scenario(data), today=today)
    median = model.inputs["options.h100_median.hourly_usd"]
    assert (median.low, median.value, median.high) == pytest.approx((1.29, 2.44, 12.29))
    assert median.stale and "median of 10 clouds" in median.source
    assert model.inputs["options.h100_spot.hourly_usd"].value == 0.9
    assert model.inputs["options.h100_spot.rework"].row == "assumptions.spot_rework"
    assert model.inputs["options.h100_median.rework"].value == 0.0
    assert model.inputs["options.h100_lambda.hourly_usd"].value == 2.49
    assert model.records["h100_median"].gpu == "h100"


@pytest.mark.parametrize("offer, message", [
    ("median/weekly", "options.h100.offer: 'median/weekly' is not allowed; the market after "
                      "'/' must be on_demand or spot"),
    ("azure", "options.h100.offer: 'azure' is not allowed; must be cheapest, median or a "
              "cloud that offers h100 on_demand"),
])
def test_a_bad_market_pick_is_named(offer, message, today):
    data = {"name": "market", "workload": {"images_per_month": 10000}, "options": [
        {"name": "h100", "kind": "rented", "gpu": "h100", "offer": offer,
         "throughput": "sdxl_h100"}]}
    with pytest.raises(InputError) as err:
        resolve(parse_scenario(data), today=today)
    assert str(err.value).startswith(message)


def test_an_option_can_take_its_throughput_from_the_throughput_model(today):
    """An L40S (dense bf16 peak 362 TFLOP/s) at the market median for SDXL 1024² (416.3 TFLOP
    per image at 30 steps): the Ada median efficiency of the published figures."""
    from costlib.catalog import load_catalog
    from costlib.throughput import estimate

    data = {"name": "model", "workload": {"images_per_month": 10000, "model": "sdxl"},
            "options": [{"name": "l40s", "kind": "rented", "gpu": "l40s", "offer": "median",
                         "throughput": "model"}]}
    model = resolve(parse_scenario(data), today=today)
    iph = model.inputs["options.l40s.images_per_hour"]
    expected = estimate(load_catalog(today=today), "l40s", "sdxl")
    assert (iph.value, iph.low, iph.high) == (expected.value, expected.low, expected.high)
    assert iph.source.startswith("costlib throughput model") and not iph.stale
    data["options"][0]["gpu"] = "a6000"
    with pytest.raises(InputError, match="options.l40s.throughput: gpu 'a6000' has no peak "
                                         "FLOP rate in the catalog"):
        resolve(parse_scenario(data), today=today)


def test_batch_size_and_precision_flow_into_throughput_and_memory(today):
    """An H100 at the market median for FLUX.1-dev (the throughput model): fp8 runs against the
    dense FP8 peak (1,978.9 TFLOP/s, twice bf16's) and at 2 images a call gains FLUX's assumed
    1.01 (1.0-1.05, Amdahl at 2 from the gain at 4); its memory need loses half the
    transformer's 22.2 GB and gains one more image's 3.7 GB. A catalog row at batch 1 (ImageBench's
    RTX 4090, 300-450 SDXL images/h) moves to batch 4 by SDXL's gain, 1.05 (1.0-1.25)."""
    from costlib.catalog import load_catalog
    from costlib.throughput import batch_speedup, estimate, memory_fit

    catalog = load_catalog(today=today)
    data = {"name": "batch", "workload": {"images_per_month": 10000, "model": "flux-dev"},
            "options": [{"name": "h100", "kind": "rented", "gpu": "h100", "offer": "median",
                         "throughput": "model", "batch_size": 2, "precision": "fp8"}]}
    model = resolve(parse_scenario(data), today=today)
    iph = model.inputs["options.h100.images_per_hour"]
    single = estimate(catalog, "h100", "flux-dev", precision="16-bit")
    assert iph.value == pytest.approx(single.value * 1978.9 / 989.4 * batch_speedup(2, 1.01))
    assert iph.high == pytest.approx(single.high * 1978.9 / 989.4 * batch_speedup(2, 1.05))
    record = model.records["h100"]
    assert (record.batch_size, record.precision) == (2, "fp8")
    assert record.memory == memory_fit(catalog, "h100", "flux-dev", 2, "fp8", "1024x1024")
    assert record.memory.needed_gb == pytest.approx((22.2 + 3.6 - 11.1, 31.4 + 3.7 - 11.1))

    data = {"name": "batch", "workload": {"images_per_month": 10000, "model": "sdxl"},
            "options": [{"name": "own", "kind": "owned", "gpu": "rtx4090",
                         "throughput": "sdxl_rtx4090", "batch_size": 4},
                        {"name": "measured", "kind": "owned", "gpu": "rtx4090",
                         "throughput": "sdxl_rtx4090", "batch_size": 4,
                         "set": {"images_per_hour": 500}}]}
    model = resolve(parse_scenario(data), today=today)
    own = model.inputs["options.own.images_per_hour"]
    assert (own.low, own.value, own.high) == pytest.approx((300, 360 * 1.05, 450 * 1.25))
    # another quantity than the row's figure at batch 1, so the Monte Carlo draws it apart
    assert own.row == "throughput.sdxl_rtx4090_at_batch_4" and "at a batch of 4 images" in own.note
    # a throughput set by hand (or by a probe) is taken as measured at the option's batch
    assert model.inputs["options.measured.images_per_hour"].value == 500


def test_the_runpod_community_row_is_on_demand_and_picks_stay_on_secure_offers(today):
    """The architecture article gives the RTX 4090 'community instances at around $0.59/hr'
    (and calls it 'spot' in its table): RunPod's Community Cloud is a hosting tier, sold on
    demand and interruptible, and 0.59 sits between the snapshot's Secure Cloud on-demand
    (0.69) and spot (0.34) prices, so the row is on demand: no spot rework, no fallback. Market
    picks never choose it (pick = no): ``runpod`` is the Secure Cloud offer, 0.69 on demand and
    0.34 spot (SkyPilot catalog v7, 8x RTX 4090 per GPU)."""
    from costlib.catalog import load_catalog, market_offer

    catalog = load_catalog(today=today)
    row = catalog.get("gpu_rental", "rtx4090_community_hourly")
    assert (row.value, row.extra["market"], row.extra["pick"]) == (0.59, "on_demand", "no")
    assert "Community Cloud" in row.note and "'RTX 4090 spot'" in row.note
    data = {"name": "runpod", "workload": {"images_per_month": 10000}, "options": [
        {"name": "community", "kind": "rented", "offer": "rtx4090_community_hourly",
         "throughput": "sdxl_rtx4090"},
        {"name": "secure", "kind": "rented", "gpu": "rtx4090", "offer": "runpod",
         "throughput": "sdxl_rtx4090"},
        {"name": "secure_spot", "kind": "rented", "gpu": "rtx4090", "offer": "runpod/spot",
         "throughput": "sdxl_rtx4090"}]}
    model = resolve(parse_scenario(data), today=today)
    community = {k.rsplit(".", 1)[1]: i.value for k, i in model.inputs.items()
                 if k.startswith("options.community.")}
    assert (community["hourly_usd"], community["rework"], community["spot_availability"],
            community["fallback_hourly_usd"]) == (0.59, 0.0, 1.0, 0.0)
    assert model.inputs["options.secure.hourly_usd"].value == 0.69
    assert model.inputs["options.secure_spot.hourly_usd"].value == 0.34
    assert model.inputs["options.secure_spot.rework"].row == "assumptions.spot_rework"
    assert market_offer(catalog, "rtx4090", "cheapest").name != row.name


def test_prices_without_a_range_get_one_by_age_when_the_scenario_asks(today):
    """fal.ai's Flux Schnell price, 0.003 USD (architecture article, 2026-05-19), has no range
    and is 187 days old on 2026-11-22: at 20 % a year of age it gets +/-20 % x max(187 /
    365.25, 0.5) = 10.24 %, 0.002693..0.003307. Replicate's 0.0023 (ImageBench, 2026, read as
    2026-01-01: 325 days) gets 17.80 %. A price with its own range keeps it; a throughput is
    not a price."""
    data = _set("price_uncertainty_per_year", 0.2)
    model = resolve(parse_scenario(data), today=today)
    fal = model.inputs["options.fal_flux_schnell.usd_per_image"]
    assert (fal.low, fal.high) == pytest.approx((0.003 * (1 - 0.10240), 0.003 * (1 + 0.10240)),
                                                rel=1e-3)
    assert "no range given by the source" in fal.note
    replicate = model.inputs["options.replicate_sdxl.usd_per_image"]
    assert replicate.high == pytest.approx(0.0023 * (1 + 0.2 * 325 / 365.25))
    plain = resolve(parse_scenario(_set("price_uncertainty_per_year", 0.0)), today=today)
    assert plain.inputs["options.fal_flux_schnell.usd_per_image"].low == 0.003
    rental = model.inputs["options.a100_on_demand.hourly_usd"]
    assert (rental.low, rental.high) == (1.5, 2.5)  # the source's own range


def test_the_decision_names_prices_that_carry_no_range(today):
    from costlib.decision import decide

    model = resolve(parse_scenario(_set("price_uncertainty_per_year", 0.0)), today=today)
    d = decide(model, samples=300, sample_breakeven=False)
    assert "options.replicate_sdxl.usd_per_image" in d.unranged
    assert "options.a100_on_demand.hourly_usd" not in d.unranged  # not in contention
    aged = resolve(parse_scenario(_set("price_uncertainty_per_year", 0.2)), today=today)
    assert "options.replicate_sdxl.usd_per_image" not in decide(
        aged, samples=300, sample_breakeven=False).unranged


def test_demand_may_be_stated_in_approved_assets(today):
    """25,000 approved assets a month (20,000-30,000) at 4 outputs each: 100,000 generated
    images (80,000-120,000), the default's volume, so the same costs. Setting 200,000 images
    on it sets 50,000 approved assets (the range moves with it)."""
    from costlib.scenario import set_field

    data = copy.deepcopy(BASE)
    del data["workload"]["images_per_month"]
    data["workload"]["approved_per_month"] = {"value": 25_000, "low": 20_000, "high": 30_000}
    model = resolve(parse_scenario(data), today=today)
    images = model.inputs["workload.images_per_month"]
    assert (images.value, images.low, images.high) == (100_000, 80_000, 120_000)
    assert "approved assets" in images.source
    moved = set_field(parse_scenario(data), "workload.images_per_month", 200_000)
    assert moved.workload.approved_per_month.value == 50_000
    assert moved.workload.images_per_month is None
    with pytest.raises(InputError, match="one of the two"):
        parse_scenario({**data, "workload": {**data["workload"], "images_per_month": 5}})
