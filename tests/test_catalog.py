"""The data catalog: every shipped row validates; bad tables fail with a precise error."""

import csv
import datetime as dt
import math
import os
import re
import shutil
from pathlib import Path

import pytest

from costlib.catalog import (
    REQUIRED_COLUMNS,
    TABLES,
    data_dir,
    future_warning,
    load_catalog,
    market_offer,
    parse_as_of,
    parse_today,
)
from costlib.errors import InputError

TODAY = dt.date(2026, 11, 22)


def test_every_shipped_row_has_value_range_unit_source_and_date():
    cat = load_catalog(today=TODAY)
    assert {t for t, _ in cat.entries} == set(TABLES)
    for e in cat.entries.values():
        assert e.low <= e.value <= e.high and math.isfinite(e.value)
        assert e.unit and e.source and e.as_of
        # sources name the article, never our copies of it (seeds/NNN_<hash>.txt)
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt$", e.source), e.source


def test_required_rows_from_the_issue_are_present():
    cat = load_catalog(today=TODAY)
    apis = {e.name for e in cat.rows("api_prices")}
    assert {"replicate_sdxl", "fal_flux_schnell", "openai_dalle3", "openai_dalle3_hd",
            "google_imagen3", "ideogram_standard", "ideogram_turbo", "leonardo_basic",
            "midjourney_estimated", "adobe_firefly", "flux1_pro"} <= apis
    assert cat.value("api_terms", "lora_surcharge") == 0.0006
    assert math.isnan(cat.get("api_terms", "lora_surcharge").extra["min_images_per_month"])
    assert cat.get("api_terms", "volume_discount").extra["min_images_per_month"] == 100000
    assert {e.extra["gpu"] for e in cat.rows("gpu_rental")} >= {"a100_40gb", "a100_80gb",
                                                                "h100", "rtx4090"}
    assert cat.get("labor", "ml_infra_engineer").low == 8000
    assert cat.get("labor", "ml_infra_engineer").high == 12000
    assert cat.value("overheads", "cdn_egress") == 0.085
    assert {e.extra["use_case"] for e in cat.rows("use_cases")} == {
        "ecommerce", "social_media", "game_assets", "architecture"}


def test_stale_rows_are_flagged_with_a_user_threshold():
    cat = load_catalog(today=TODAY, stale_after_days=365)
    stale = {e.name for e in cat.stale()}
    assert "sdxl_a100_compiled" in stale  # 2024
    assert "fal_flux_schnell" not in {e.name for e in cat.stale()}  # 2026-05-19
    strict = load_catalog(today=TODAY, stale_after_days=30)
    assert "fal_flux_schnell" in {e.name for e in strict.stale()}
    assert cat.get("api_prices", "fal_flux_schnell").age_days == 187
    assert cat.today == TODAY


def test_ages_count_to_the_given_day_not_the_clock():
    later = load_catalog(today=TODAY + dt.timedelta(days=10))
    assert later.get("api_prices", "fal_flux_schnell").age_days == 197


def test_rows_dated_after_today_are_flagged_not_refused(tables, tmp_path):
    # A clock behind the data (or a wrong date in it) made every command fail.
    _corrupt(tables, "api_prices", "2026-05-19,Article", "2027-05-19,Article")
    quotes = tmp_path / "q.csv"
    quotes.write_text("table,name,value,source,as_of\nlabor,ml_infra_engineer,1,me,2027-01\n")
    cat = load_catalog(quotes, directory=tables, today=TODAY)
    ahead = cat.get("api_prices", "fal_flux_schnell")
    assert ahead.future and ahead.age_days == 0 and not ahead.stale
    assert {(e.table, e.name) for e in cat.future()} == {("api_prices", "fal_flux_schnell"),
                                                         ("labor", "ml_infra_engineer")}
    assert future_warning(cat) == (
        "2 catalog row(s) dated after today (2026-11-22): api_prices.fal_flux_schnell "
        "(2027-05-19), labor.ml_infra_engineer (2027-01); their age counts as 0; check the "
        "clock or the data")
    assert future_warning(load_catalog(today=TODAY)) == ""  # the shipped data: none
    behind = load_catalog(today=dt.date(2025, 6, 1))  # a clock a year and a half behind
    assert future_warning(behind).startswith(f"{len(behind.future())} catalog row(s) dated "
                                             "after today (2025-06-01): ")
    assert future_warning(behind).endswith(" more; their age counts as 0; check the clock or "
                                           "the data")


def test_partial_dates_count_from_the_start_of_the_period():
    assert parse_as_of("2026") == dt.date(2026, 1, 1)
    assert parse_as_of("2026-05") == dt.date(2026, 5, 1)


def test_quotes_override_by_name_and_add_rows(tmp_path):
    quotes = tmp_path / "quotes.csv"
    quotes.write_text(
        "table,name,value,low,high,unit,source,as_of,gpu,quantity,note\n"
        "api_prices,replicate_sdxl,0.0018,,,USD/image,Client contract 2026-10,2026-10-01,,,\n"
        "gpu_hardware,a100_80gb_purchase,15000,14000,16000,USD,Vendor quote,2026-11-01,"
        "a100_80gb,purchase_usd,Client's reseller\n")
    cat = load_catalog(quotes, today=TODAY)
    e = cat.get("api_prices", "replicate_sdxl")
    assert (e.value, e.low, e.high, e.overridden) == (0.0018, 0.0018, 0.0018, True)
    assert e.extra["provider"] == "Replicate"  # untouched columns keep the shipped values
    assert cat.get("gpu_hardware", "a100_80gb_purchase").value == 15000
    shipped = load_catalog(today=TODAY).get("api_prices", "replicate_sdxl")
    assert shipped.value == 0.0023 and not shipped.overridden


def test_quotes_in_another_unit_are_converted(tmp_path):
    # A quote in USD/1000 images was used as USD/image (cost x1000), one in s/image as
    # images/hour.
    quotes = tmp_path / "quotes.csv"
    quotes.write_text(
        "table,name,value,low,high,unit,source,as_of,gpu,model,basis\n"
        "api_prices,replicate_sdxl,1.8,1.5,2.0,USD/1000 images,Contract,2026-10,,,\n"
        "throughput,sdxl_a100,10,8,12,s/image,Benchmark,2026-10,,,\n"
        "throughput,sdxl_h100,0.05,,,images/s,Benchmark,2026-10,,,\n")
    cat = load_catalog(quotes, today=TODAY)
    price = cat.get("api_prices", "replicate_sdxl")
    assert (price.value, price.low, price.high, price.unit) == pytest.approx(
        (0.0018, 0.0015, 0.002, "USD/image"))
    assert "converted from 1.8 USD/1000 images" in price.note
    rate = cat.get("throughput", "sdxl_a100")
    # 10 s/image is 360 images/h; the slow end of the range is the low end of the rate
    assert (rate.value, rate.low, rate.high, rate.unit) == (360, 300, 450, "images/h")
    assert cat.get("throughput", "sdxl_h100").value == pytest.approx(180)


def test_csv_and_non_regular_quotes_files_end_in_one_line(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):  # a FIFO hung, /dev/zero ate memory without limit
        with pytest.raises(InputError, match="must be a regular file"):
            load_catalog(path, today=TODAY)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"table,name,value,source,as_of\nlabor,x,1,M\xfcller,2026\n")
    with pytest.raises(InputError, match="latin.csv: byte 0xfc at line 2 is not allowed"):
        load_catalog(latin, today=TODAY)


def test_lookup_errors_list_valid_names():
    cat = load_catalog(today=TODAY)
    with pytest.raises(InputError, match="gpu_rental: 'a200' is not a known row; must be one of"):
        cat.get("gpu_rental", "a200")
    with pytest.raises(InputError, match="table: 'prices' is not allowed"):
        cat.rows("prices")


def test_to_frame():
    frame = load_catalog(today=TODAY).to_frame("throughput")
    assert {"value", "low", "high", "source", "stale", "gpu"} <= set(frame.columns)


@pytest.fixture
def tables(tmp_path):
    for table in TABLES:
        shutil.copy(data_dir() / f"{table}.csv", tmp_path / f"{table}.csv")
    return tmp_path


def _corrupt(folder, table, old, new):
    path = folder / f"{table}.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


BAD_TABLES = [
    ("negative value", "overheads", "storage,0.023", "storage,-0.023",
     "overheads.csv: row 2: value: '-0.023' is not allowed; must be >= 0"),
    ("nan value", "overheads", "storage,0.023", "storage,nan",
     "overheads.csv: row 2: value: 'nan' is not allowed; must be a finite number"),
    ("inf value", "overheads", "storage,0.023", "storage,inf",
     "overheads.csv: row 2: value: 'inf' is not allowed; must be a finite number"),
    ("text value", "overheads", "storage,0.023", "storage,cheap",
     "overheads.csv: row 2: value: 'cheap' is not allowed; must be a number"),
    ("low above value", "labor", "10000,8000,12000", "10000,11000,12000",
     "labor.csv: row 2: value: '10000' is not allowed; must lie within low..high (11000..12000)"),
    ("bad date", "overheads", "0.023,,,USD/GB-month,\"ImageBench, Cost, Speed, and "
     "Infrastructure Tradeoffs (learn guide), 2026\",2026,",
     "0.023,,,USD/GB-month,\"ImageBench\",May 2026,",
     "overheads.csv: row 2: as_of: 'May 2026' is not allowed; must be a date YYYY, YYYY-MM or "
     "YYYY-MM-DD"),
    ("missing source", "labor", "\"costlib assumption\",2026-11,No source quantifies ongoing",
     ",2026-11,No source quantifies ongoing",
     "labor.csv: row 7: source: '' is not allowed; must not be empty"),
    ("missing unit", "overheads", "0.085,,,USD/GB", "0.085,,,",
     "overheads.csv: row 3: unit: '' is not allowed; must not be empty"),
    ("bad enum", "gpu_rental", "hourly,on_demand,2.00", "hourly,lease,2.00",
     "gpu_rental.csv: row 2: market: 'lease' is not allowed; must be one of 'on_demand', "
     "'reserved' or 'spot'"),
    ("bad resolution", "api_prices", "SDXL,1024x1024", "SDXL,big",
     "api_prices.csv: row 2: resolution: 'big' is not allowed; must be WIDTHxHEIGHT in pixels, "
     "e.g. 1024x1024"),
    ("duplicate name", "overheads", "cdn_egress,", "storage,",
     "overheads.csv: row 3: name: 'storage' is not allowed; names must be unique within a table"),
    ("bad name", "overheads", "cdn_egress,", "CDN Egress,",
     "overheads.csv: row 3: name: 'CDN Egress' is not allowed; must be lower-case letters, "
     "digits, '_' or '-'"),
]


@pytest.mark.parametrize("label, table, old, new, message", BAD_TABLES,
                         ids=[b[0] for b in BAD_TABLES])
def test_bad_rows_name_file_row_column_value_and_what_is_allowed(tables, label, table, old,
                                                                   new, message):
    _corrupt(tables, table, old, new)
    with pytest.raises(InputError) as err:
        load_catalog(directory=tables, today=TODAY)
    assert str(err.value) == message


def test_missing_column(tables):
    path = tables / "labor.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(",".join(c for c in line.split(",")[:1]) for line in lines))
    with pytest.raises(InputError, match="column 'value' is missing; required columns are "
                       + ", ".join(REQUIRED_COLUMNS)):
        load_catalog(directory=tables, today=TODAY)


def test_malformed_csv_row(tables):
    path = tables / "overheads.csv"
    path.write_text(path.read_text() + "extra,1,1,1,x,y,2026,note,surplus\n")
    with pytest.raises(InputError, match="overheads.csv: row 14 has 8 columns expected"):
        load_catalog(directory=tables, today=TODAY)


def test_missing_table(tables):
    (tables / "labor.csv").unlink()
    with pytest.raises(InputError, match="labor.csv: cannot be read"):
        load_catalog(directory=tables, today=TODAY)


BAD_QUOTES = [
    ("unknown table", "table,name,value,source,as_of\nprices,x,1,me,2026\n",
     "q.csv: row 2: table: 'prices' is not allowed; must be one of api_prices, api_latency"),
    ("new row without unit", "table,name,value,source,as_of\ngpu_rental,new_gpu,1,me,2026\n",
     "q.csv: row 2: unit: missing; it is required"),
    # a cell in a column of another table is a mistake, not silently dropped
    ("column of another table", "table,name,value,unit,source,as_of,gpu\n"
     "overheads,storage,0.02,USD/GB-month,me,2026,h100\n",
     "q.csv: row 2: gpu: 'h100' is not allowed; there is no such field here"),
    # an override is validated as a whole row: a bad quoted value, a date that is none
    ("negative override", "table,name,value,source,as_of\nlabor,ml_infra_engineer,-1,me,2026\n",
     "q.csv: row 2: value: '-1' is not allowed; must be >= 0"),
    ("undated override",
     "table,name,value,source,as_of\nlabor,ml_infra_engineer,1,me,Jan 2027\n",
     "as_of: 'Jan 2027' is not allowed; must be a date YYYY, YYYY-MM or YYYY-MM-DD"),
    # a quote in a unit with no defined conversion to the row's own
    ("unit without conversion", "table,name,value,unit,source,as_of\n"
     "api_prices,replicate_sdxl,1000,USD/month,me,2026\n",
     "q.csv: row 2: unit: 'USD/month' is not allowed; must be 'USD/image' or a unit that "
     "converts"),
    ("override in another unit", "table,name,value,unit,source,as_of\n"
     "throughput,sdxl_a100,20,fraction,me,2026\n",
     "q.csv: row 2: unit: 'fraction' is not allowed; must be 'images/h'"),
    ("new row in another unit", "table,name,value,unit,source,as_of,gpu,quantity\n"
     "gpu_hardware,l4_watts,72,USD,me,2026,l4,board_watts\n",
     "q.csv: row 2: unit: 'USD' is not allowed; must be 'W'"),
    # the same row quoted twice: the last silently won
    ("duplicate row", "table,name,value,source,as_of\nlabor,ml_infra_engineer,1,me,2026\n"
     "labor,ml_infra_engineer,2,me,2026\n",
     "q.csv: row 3: name: 'ml_infra_engineer' is not allowed; labor ml_infra_engineer is "
     "quoted already in row 2"),
    # not CSV at all: a traceback from the csv module
    ("huge field", "table,name,value,source,as_of\nlabor,x,1,\"" + "y" * 200_000 + "\",2026\n",
     "not valid CSV (field larger than field limit"),
]


@pytest.mark.parametrize("label, text, message", BAD_QUOTES, ids=[b[0] for b in BAD_QUOTES])
def test_bad_quotes_file(tmp_path, label, text, message):
    quotes = tmp_path / "q.csv"
    quotes.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)):
        load_catalog(quotes, today=TODAY)


def test_today_as_given():
    assert parse_today(TODAY) == TODAY
    assert parse_today(" 2026-11-22 ") == TODAY  # a command-line option, a notebook parameter
    assert parse_today(None) is None and parse_today("") is None  # the clock's, read later
    with pytest.raises(InputError, match="today: '22.11.2026' is not allowed; must be a date "
                                         "YYYY-MM-DD"):
        parse_today("22.11.2026")


def test_bad_threshold():
    with pytest.raises(InputError, match="stale_after_days: -1"):
        load_catalog(stale_after_days=-1)


# The market snapshot in ../shared (SkyPilot catalog v7 GPU prices, read offline): the rows of
# gpu_rental.csv that cite it must match it, and the picks must reproduce its summary table.
SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "market"
_SNAPSHOT_GPUS = {"T4": "t4", "L4": "l4", "A10G": "a10g", "A10": "a10", "L40S": "l40s",
                  "A6000": "a6000", "RTX4090": "rtx4090", "RTX5090": "rtx5090",
                  "A100-40GB": "a100_40gb", "A100-80GB": "a100_80gb", "H100": "h100",
                  "H200": "h200", "B200": "b200"}


def _snapshot(name):
    path = SNAPSHOT / name
    if not path.exists():
        pytest.skip(f"the market snapshot {path} is not here (it lives beside the checkout)")
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_market_rental_row_matches_its_snapshot_row():
    cat = load_catalog(today=TODAY)
    market = {(e.source, e.extra["market"]): e for e in cat.rows("gpu_rental")
              if e.source.startswith("SkyPilot catalog v7")}
    expected = {}
    for r in _snapshot("gpu_rental_skypilot.csv"):
        source = f"{r['source']}: {r['instance_type']}, {r['region']}"
        for market_, column in (("on_demand", "usd_per_gpu_hour"),
                                ("spot", "spot_usd_per_gpu_hour")):
            if r[column]:
                expected[(source, market_)] = (float(r[column]), _SNAPSHOT_GPUS[r["gpu"]],
                                               r["cloud"],
                                               "[excluded from summary]" in r["note"])
    assert set(market) == set(expected)
    for key, (value, gpu, cloud, excluded) in expected.items():
        e = market[key]
        assert (e.value, e.extra["gpu"], e.extra["cloud"]) == (value, gpu, cloud), key
        assert e.extra["pick"] == ("no" if excluded else "yes"), key
        assert e.unit == "USD/GPU-h" and e.extra["billing"] == "hourly"


def test_known_snapshot_caveats_stay_visible():
    cat = load_catalog(today=TODAY)
    for e in cat.rows("gpu_rental", cloud="aws"):
        assert "predates June" in e.note or "predates the June-2025" in e.note
    runpod_l40s = cat.rows("gpu_rental", gpu="l40s", cloud="runpod")
    assert runpod_l40s and all("swapped" in e.note for e in runpod_l40s)
    # the GCP us-central1 rows the snapshot calls anomalous are never picked
    anomalous = [e for e in cat.rows("gpu_rental", cloud="gcp") if "us-central1" in e.source
                 and e.extra["gpu"] in ("a100_80gb", "h100") and "a3-mega" not in e.source]
    assert anomalous and all(e.extra["pick"] == "no" for e in anomalous)
    # the snapshot has no commit dates: every market price is over a year old on TODAY
    assert all(e.stale for e in cat.rows("gpu_rental", pick="yes"))


def test_market_picks_reproduce_the_snapshot_summary():
    """gpu_rental_summary.csv: min and median across clouds of each cloud's cheapest
    on-demand offer (A10G and A10 are pooled there, separate GPUs here)."""
    cat = load_catalog(today=TODAY)
    for r in _snapshot("gpu_rental_summary.csv"):
        if r["gpu"] not in _SNAPSHOT_GPUS:
            continue
        gpu = _SNAPSHOT_GPUS[r["gpu"]]
        median = market_offer(cat, gpu, "median")
        cheapest = market_offer(cat, gpu, "cheapest")
        assert median.value == pytest.approx(float(r["median_usd"]), abs=5e-4), gpu
        assert (median.low, median.high) == pytest.approx(
            (float(r["min_usd"]), float(r["max_usd"])), abs=5e-4)
        assert cheapest.value == pytest.approx(float(r["min_usd"]), abs=5e-4)
        assert cheapest.extra["cloud"] == r["min_cloud"]
        assert market_offer(cat, gpu, r["max_cloud"]).value == pytest.approx(
            float(r["max_usd"]), abs=5e-4)


def test_market_offer_by_cloud_and_spot():
    cat = load_catalog(today=TODAY)
    # SkyPilot v7 lambda: gpu_1x_h100_pcie 2.49 is Lambda's cheapest H100 (1x SXM 3.29, 8x 2.99)
    assert market_offer(cat, "h100", "lambda").value == 2.49
    # spot: the cheapest H100 spot is PrimeIntellect/DataCrunch at 0.90 USD/GPU-h
    spot = market_offer(cat, "h100", "cheapest", "spot")
    assert (spot.value, spot.extra["market"]) == (0.9, "spot")
    median = market_offer(cat, "h100", "median")
    assert "median of 10 clouds" in median.source and median.stale


MARKET_ERRORS = [
    (("tpu", "median"), "offer: gpu 'tpu' has no on_demand market offer; GPUs with one are a10, "),
    (("h100", "azure"), "offer: 'azure' is not allowed; must be cheapest, median or a cloud that "
                        "offers h100 on_demand (aws, cudo, gcp, hyperbolic, lambda, nebius,"),
    (("rtx5090", "median", "spot"), "offer: gpu 'rtx5090' has no spot market offer"),
]


@pytest.mark.parametrize("args, message", MARKET_ERRORS)
def test_market_offer_errors(args, message):
    with pytest.raises(InputError) as err:
        market_offer(load_catalog(today=TODAY), *args)
    assert str(err.value).startswith(message)


def test_every_market_api_price_matches_its_snapshot_row():
    """api_prices rows citing a page of the snapshot (api_prices_public.csv) carry its figure,
    model and date; undated pages, subscriptions and per-GPU-second prices are left out."""
    cat = load_catalog(today=TODAY)
    market = [e for e in cat.rows("api_prices") if e.source.startswith("https://")]
    snapshot = _snapshot("api_prices_public.csv")
    assert len(market) == 51
    for e in market:
        matches = [r for r in snapshot if r["source_url"] == e.source
                   and e.extra["model"].startswith(r["model"]) and float(r["usd"]) == e.value
                   and (r["variant"] == "-" or r["variant"] in e.extra["model"])]
        assert len(matches) >= 1, e.name
        assert matches[0]["as_of"].startswith(e.as_of) or "2025-2026" in matches[0]["as_of"]
        per_mp = matches[0]["unit"] == "per megapixel"
        assert (e.extra["pricing"], e.unit) == (("per_megapixel", "USD/MP") if per_mp
                                                else ("per_image", "USD/image")), e.name
        if "NOT RE-VERIFIED" in matches[0]["quote"]:
            assert "not re-verified" in e.note, e.name
        if not re.fullmatch(r"\d+x\d+", matches[0]["resolution"]):
            assert "resolution" in e.note, e.name  # an assumed or simplified resolution says so


def test_every_published_throughput_row_matches_its_snapshot_row():
    """throughput rows citing a page of the snapshot (throughput_public.csv) carry its
    images/hour, steps and resolution; MLPerf's 8-GPU quantized runs say they are an upper
    bound."""
    cat = load_catalog(today=TODAY)
    published = [e for e in cat.rows("throughput") if "https://" in e.source]
    snapshot = _snapshot("throughput_public.csv")
    assert len(published) == 25  # the 26 less fal's undated fast-sdxl page
    for e in published:
        matches = [r for r in snapshot if e.source.endswith(": " + r["source_url"])
                   and float(r["images_per_hour"]) == e.value]
        assert len(matches) == 1, e.name
        r = matches[0]
        assert e.extra["steps"] == float(r["steps"])
        assert e.extra["resolution"] == r["resolution"]
        if "MLPerf" in r["as_of"]:
            assert "upper bound for one GPU" in e.note


def test_prices_age_but_datasheet_figures_do_not():
    # NVIDIA's RTX 4090 specifications (2022-10): 450 W board power, four years old on TODAY
    cat = load_catalog(today=TODAY, stale_after_days=365)
    watts = cat.get("gpu_hardware", "rtx4090_board_power")
    assert watts.age_days > 365 and not watts.stale
    assert not cat.get("gpu_hardware", "h100_peak_bf16").stale
    assert cat.get("gpu_rental", "h100_lambda_gpu_1x_h100_pcie").stale  # a 2025 price
    later = load_catalog(today=dt.date(2027, 6, 1))
    assert later.get("gpu_hardware", "rtx4090_purchase").stale  # a 2026 price, aged
