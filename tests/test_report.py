"""Client reports in process: the section data (costlib.report.sections), their HTML through
the Jinja templates with autoescape (costlib.report.html), the charts polished for print
(costlib.report.figures) and the Report builder. The rendered report, end to end, is tested
in test_report_render.py.
"""

import datetime as dt
import math
import re

import pytest
from client_text import problems
from markupsafe import escape
from report_fixtures import CLIENT, INFEASIBLE, write_nasty

from costlib import fmt
from costlib import report as rp
from costlib.catalog import load_catalog, parse_as_of
from costlib.errors import InputError
from costlib.report import html, sections

SECTION_METHODS = ("header", "summary", "workload", "costs", "breakeven", "uncertainty",
                   "flip_points", "capacity", "hybrid", "appendix")
RAW = ("<script", "<img", "<b>", "<i>", "<a href", "</title>")


@pytest.fixture(scope="module")
def built(today):
    return rp.build_report("default", samples=2000, seed=3, client="<script>x</script>",
                           today=today)


@pytest.fixture(scope="module")
def nasty(tmp_path_factory, today):
    path = write_nasty(tmp_path_factory.mktemp("nasty"))
    return rp.build_report(path, samples=500, client=CLIENT, today=today)


# --------------------------------------------------------------------------- escaping


def test_client_text_is_escaped_in_every_section(nasty):
    shown = {name: str(getattr(nasty, name)()) for name in SECTION_METHODS}
    for name, markup in shown.items():
        for raw in RAW:
            assert raw not in markup, (name, raw)
    label = str(escape("Replicate <script>alert(3)</script>"))
    owned = str(escape('<b>Owned</b> <a href="javascript:alert(4)">x</a>'))
    scenario = str(escape('Nasty <script>alert("name")</script> & co'))
    # the scenario's name and the client
    assert f"<strong>{scenario}</strong>" in shown["header"]
    assert f"Prepared for <strong>{escape(CLIENT)}</strong>" in shown["header"]
    assert str(escape("Text with <img src=x onerror=alert(1)> and a </script> end")) \
        in shown["header"]
    # an option's label, wherever options are listed
    for name in ("summary", "workload", "costs", "breakeven", "uncertainty", "capacity",
                 "hybrid", "appendix"):
        assert label in shown[name] and owned in shown[name], name
    assert "Mix &amp; match" in shown["costs"]
    # a quote's source and a scenario value's source
    assert str(escape('Quote <script>alert(5)</script> "signed"')) in shown["appendix"]
    assert "their &lt;b&gt;guess&lt;/b&gt;" in shown["workload"]


def test_charts_carry_no_raw_client_markup(nasty):
    for name in rp.CHARTS:
        markup = str(nasty.chart(name))
        assert "<script>alert" not in markup and "<b>Owned" not in markup, name
        assert markup.count("<script") <= 1, name  # plotly's own Plotly.newPlot call


def test_templates_autoescape():
    env = html.environment()
    assert env.autoescape is True
    assert html.render_template("no_chart.html.j2", name="x", title="<b>", why="a & b") == \
        '<p class="costlib-note costlib-nochart" data-chart="x">No &lt;b&gt; chart: a &amp; b.</p>'
    # Html pieces are markup we made: placed as they are
    piece = html.Html("<em>ours</em>")
    assert str(escape(piece)) == "<em>ours</em>"


def test_the_print_mode_is_the_static_script(built):
    assets = str(built.assets())
    assert html.static("report.js") in assets
    assert f'data-print-width="{rp.PRINT_WIDTH_PX}"' in assets
    assert assets.count("<script") == 2 and "* plotly.js v" in assets
    assert ".costlib-keyfigures" in assets  # components.css


# --------------------------------------------------------------------------- the sections


def test_report_builders_escape_and_count(built):
    assert "&lt;script&gt;x&lt;/script&gt;" in str(built.header())
    assert "<script>x" not in str(built.header())
    assert built.charts() == list(rp.CHARTS)
    assert "seed <strong>3</strong>" in str(built.uncertainty())
    summary = str(built.summary())
    for key in ("recommendation", "monthly", "confidence", "hinge"):
        assert f'data-key="{key}"' in summary
    assert "at the inputs&#39; values; over 2,000 samples: median " in summary
    assert repr(built.summary()).startswith("<costlib report summary")  # short text/plain
    for name in SECTION_METHODS:
        section = name.replace("_", "-")
        assert f'<section class="costlib-section" data-section="{section}">' in \
            str(getattr(built, name)())


def test_cost_tables_show_the_evaluation(built):
    data = sections.costs(built)
    shown = {(c.option, c.field): c for row in data["rows"] for c in row["cells"]}
    for row in built.evaluation["options"]:
        cell = shown[(row["name"], "monthly_usd")]
        assert float(cell.value) == row["monthly_usd"]
        assert cell.text == fmt.usd(row["monthly_usd"], unit="")
    assert [r["kind"] for r in data["rows"]] == [
        built.model.options[r["name"]].kind_label for r in data["rows"]]
    assert data["rows"][0]["best"] and data["rows"][0]["name"] == built.evaluation["cheapest"]


def test_the_api_fees_say_which_rate_limit_plan_they_include(built):
    """The default's busiest hour: 100,000 images x 3.36 (peak over mean) / 730 h / 60 =
    7.67 requests a minute, above the free tier's 3 (ImageBench guide): Replicate's 305 USD
    of fees is 230 for images and 75 for the starter plan, which the table alone does not
    show."""
    note = sections.costs(built)["rate_tiers"]
    assert note.startswith("API fees include the fee of the rate-limit plan each API's "
                           "busiest hour needs: 75 USD a month for SDXL on Replicate (API) and "
                           "Flux Schnell on fal.ai (API) (7.67 requests a minute); plan fees "
                           "and limits: ImageBench")
    assert "is all-in. API fees include the fee" in str(built.costs())


def test_the_scenario_as_given_reads_with_units(built):
    # "storage retention 1", "cache hit rate 0", "model sdxl", "0.25 (0.1-0.5)"
    shown = dict(sections.workload(built)["workload"] + sections.workload(built)["labor"])
    assert (shown["monthly image volume"], shown["model"], shown["storage retention"],
            shown["cache hit rate"], shown["ML engineer time when self-hosting"]) == (
        "100,000 images/month (60,000-150,000 images/month)", "SDXL", "1 month", "0 %",
        "0.25 FTE (0.1-0.5 FTE)")


def test_the_words_a_board_asks_about_are_explained(built):
    # "Monte Carlo", "P5/P95", "NPV", "FTE", "materiality band" were used without a gloss
    whole = " ".join(str(getattr(built, name)()) for name in SECTION_METHODS)
    glossary = str(built.appendix()).split("Words used in this report")[1]
    for term in ("Monte Carlo", "NPV", "FTE", "materiality band", "cold start", "P5"):
        assert term in whole and term in glossary, term


def test_a_volume_flip_reads_as_the_break_even_it_is(built):
    """Serverless H100 and Replicate cross at 90,850 images/month: the reasons said "falls to
    90,800" (three digits) and the break-even table "91,000" (two): one number, one rounding."""
    flip = next(r for r in built.decision.reasons if "(base 100,000 images/month)" in r)
    assert "falls to 91,000 images/month, SDXL on serverless H100 (Replicate)" in flip
    assert "39,000, 91,000" in str(built.breakeven())


def test_the_method_text_rebuilds_the_owned_gpus_costs(built):
    """The appendix's "How each monthly cost is computed", followed by hand for the default's
    owned RTX 4090s from the appendix's inputs: 100,000 images / 730 h x 3.36 = 460 an hour
    at peak over 360 x 0.7 = 252 per GPU: 2 GPUs, 1 host server, 6,200 USD of hardware;
    the level payment at 8 % a year over 36 months less the 20 % resale 162.77; power 277.8
    busy + 1,182.2 idle hours x 0.1, x 450 W, 0.15 USD/kWh, PUE 1.35 = 36.09, + 2 x 25 of
    space; maintenance 6,200 x 5 % / 12; engineering 0.25 x 10,000 (26.5 h of platform work,
    under the FTE's 40) + 3 weeks x 10,000 / (52/12) / 36; downtime 3 % of GPU, power and
    space; storage 100,000 x 2.5 MB x 1 month x 0.023 x 2 copies + 25,000 x 10 views x 0.3 MB
    x 0.085; review 100,000 x 0.5 min / 60 x 40 USD/h."""
    v, o = built.model.values, "options.rtx4090_owned."
    images = v["workload.images_per_month"]
    gpus = math.ceil(images / 730 * v["workload.peak_factor"]
                     / (v[o + "images_per_hour"] * v[o + "utilization"]))
    hardware = gpus * v[o + "purchase_usd"] + math.ceil(gpus / v[o + "gpus_per_server"]) \
        * v[o + "host_usd_per_server"]
    rate, life = (1 + v["discount_rate"]) ** (1 / 12) - 1, v[o + "useful_life_months"]
    left = (1 + rate) ** -life
    depreciation = (hardware - hardware * v[o + "resale_fraction"] * left) * rate / (1 - left)
    busy = images / v[o + "images_per_hour"]
    idle = gpus * 730 - busy
    power = ((busy + idle * v[o + "idle_power_fraction"]) * v[o + "board_watts"] / 1000
             * v[o + "kwh_usd"] * v[o + "pue"] + gpus * v[o + "space_usd_per_gpu_month"])
    platform_hours = v["labor.devops_hours_per_month"] + gpus * (
        v["labor.devops_hours_per_gpu_month"] + v["labor.hardware_hours_per_gpu_month"])
    fte = v["labor.ml_engineer_fte"]
    engineering = (fte * v["labor.ml_engineer_usd_per_month"]
                   + max(platform_hours - fte * 160, 0) * v["labor.engineer_hourly_usd"]
                   + v["labor.setup_weeks"] * v["labor.ml_engineer_usd_per_month"] / (52 / 12)
                   / v["labor.amortization_months"])
    w = {k.split(".")[1]: x for k, x in v.items() if k.startswith("workload.")}
    storage = (images * w["stored_mb_per_image"] * w["retention_months"] / 1000
               * w["storage_usd_per_gb_month"] * (1 + v["labor.backup_copies"])
               + images / w["outputs_per_approved"] * w["views_per_approved"]
               * w["delivered_mb_per_image"] / 1000 * w["egress_usd_per_gb"])
    by_hand = {
        "gpu": depreciation, "power_cooling_space": power,
        "maintenance": hardware * v[o + "maintenance_per_year"] / 12,
        "engineering": engineering, "monitoring": v["labor.monitoring_usd_per_month"],
        "downtime_risk": (depreciation + power) * v["labor.downtime_allowance"],
        "storage_bandwidth": storage,
        "review": images * w["review_minutes_per_output"] / 60 * w["reviewer_hourly_usd"]}
    row = next(r for r in built.evaluation["options"] if r["name"] == "rtx4090_owned")
    assert (gpus, hardware) == (row["gpus"], 6200)
    assert {k: row["by_area"][k] for k in by_hand} == pytest.approx(by_hand, rel=1e-12)
    assert by_hand["gpu"] == pytest.approx(162.77, abs=0.005)
    assert "How each monthly cost is computed" in str(built.appendix())


def _strings(data, skip=()):
    """Every string in a section's data, less the keys in ``skip``."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key not in skip:
                yield from _strings(value, skip)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _strings(value, skip)
    elif isinstance(data, sections.Money):
        yield data.text


# sentences the decision writes (costlib.decision, costlib.uncertainty), tested there
DECISION_TEXT = ("reasons", "advice", "levers", "steps", "notes")


def test_no_inf_or_unbounded_in_client_text(built, nasty):
    for report in (built, nasty):
        for name in SECTION_METHODS:
            if name == "flip_points":  # the flip points' own sentences
                continue
            for text in _strings(getattr(sections, name)(report), DECISION_TEXT):
                assert not re.search(r"\binf\b|\bnan\b|unbounded|1e\+?0?9", text, re.I), \
                    (name, text)


def test_breakeven_says_never_in_words(built):
    data = sections.breakeven(built)
    never = [r for r in data["rows"] if r["volumes"] == fmt.NEVER]
    assert never  # the default preset: the APIs and the rented A100s never swap
    assert any("do not swap at any volume up to a billion images a month" in line
               for line in data["lines"])
    paid = {r["name"]: r["payback"] for r in data["rows"]}
    for name, payback in paid.items():  # payback only where hardware is bought
        assert (payback != "-") == built.model.options[name].buys_hardware, name


def test_an_infeasible_scenario_still_reports(tmp_path, today):
    (tmp_path / "s.yaml").write_text(INFEASIBLE)
    r = rp.build_report(tmp_path / "s.yaml", samples=500, today=today)
    assert not r.decision.feasible
    summary = str(r.summary())
    assert "Infeasible: no option meets the hard constraints" in summary
    assert "privacy" in summary
    assert r.charts() == ["cost_by_area", "cost_per_approved", "cost_vs_volume", "cumulative",
                          "demand"]
    for name in ("distribution", "tornado", "hybrid"):
        assert "the decision is infeasible" in str(r.chart(name))
    for section in SECTION_METHODS:
        assert "data-section" in str(getattr(r, section)())
    assert "EXCLUDED" in str(r.workload()).upper()
    assert "no Monte Carlo (infeasible)" in str(r.appendix())


# --------------------------------------------------------------------------- the date


def test_the_date_shown_and_the_staleness_follow_today(today):
    later = today + dt.timedelta(days=3 * 365)
    reports = {day: rp.build_report("prototype", samples=200, today=day)
               for day in (today, later)}
    for day, r in reports.items():
        assert r.prepared == day.isoformat()
        assert f"prepared {day.isoformat()} with costlib" in str(r.header())
        appendix = str(r.appendix())
        assert f"Prepared {day.isoformat()} with costlib" in appendix
        data = sections.appendix(r)
        assert f"{data['stale']} older than {r.scenario.stale_after_days}" in appendix
        for i in r.model.inputs.values():
            if i.row:  # a catalog row: stale where older than the threshold on that day,
                # except a datasheet's board power, which does not age
                age = (day - parse_as_of(i.as_of)).days
                timeless = i.path.endswith(".board_watts")
                assert i.stale == (age > r.scenario.stale_after_days and not timeless), \
                    (day, i.path)
    # three years on, every catalog price is stale; on the test day, some are not
    aged = reports[later]
    assert sections.appendix(aged)["stale"] > sections.appendix(reports[today])["stale"]
    assert all(i.stale for i in aged.model.inputs.values()
               if i.row and not i.path.endswith(".board_watts"))


def test_a_report_given_today_never_reads_the_clock(frozen_clock, today):
    with pytest.raises(frozen_clock):
        load_catalog()  # reading the clock fails
    r = rp.build_report("prototype", samples=200, today=today.isoformat())  # as papermill
    assert r.prepared == today.isoformat()
    assert r.decision.feasible and r.decision.levers  # decide's catalog is the same day's
    with pytest.raises(InputError, match="today: '2026-13-01' is not allowed; must be a date "
                                         "YYYY-MM-DD"):
        rp.build_report("prototype", samples=200, today="2026-13-01")


# --------------------------------------------------------------------------- the figures


def test_charts_read_well_in_print(built):
    fig = built.figure("hybrid")  # a long title: wrapped, the plot pushed down to fit
    assert fig.layout.title.text.count("<br>") >= 2
    assert fig.layout.margin.t >= 36 + 22 * 3
    volume = built.figure("cost_vs_volume")  # the "this scenario" label sits on the line
    label = next(a for a in volume.layout.annotations if a.text.startswith("this scenario"))
    assert label.x == pytest.approx(5.0)  # log10(100,000)
    # ten times today's volume: SDXL on Replicate breaks even with no self-hosted option at
    # base values (the A100 on demand in 31 % of samples, from 3.7 million at the 5th
    # percentile)
    assert built.decision.breakeven.images_per_month == float("inf")
    assert max(volume.data[0].x) == pytest.approx(1e6)
    bars = built.figure("cost_by_area")
    assert all("<br>" in x or len(x) <= 16 for x in bars.data[0].x)
    assert bars.layout.legend.orientation == "h"


def test_render_api_reports_an_unknown_chart():
    r = rp.Report.__new__(rp.Report)
    with pytest.raises(InputError, match="chart: 'pie' is not allowed"):
        r.figure("pie")


# --------------------------------------------------------------------------- the template


def test_template_holds_the_wording_and_its_parameters():
    import nbformat

    nb = nbformat.read(rp.template_path(), as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("scenario", "client", "title", "samples", "seed", "today"):
        assert re.search(rf"^{name} = ", params[0].source, re.M), name
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for title in rp.SECTIONS.values():
        assert f"## {title}" in markdown
    code = [c.source for c in nb.cells if c.cell_type == "code"][1:]
    assert all(len(s.splitlines()) <= 4 for s in code)  # thin: calls, no logic
    # every call the template makes exists on a Report
    for call in re.findall(r"report\.(\w+)\(", "\n".join(code)):
        assert callable(getattr(rp.Report, call)), call


@pytest.fixture(scope="module", params=["default", "ecommerce_catalog", "prototype"])
def preset_report(request, today):
    return rp.build_report(request.param, samples=500, today=today)


# keys of section data that are ids for the markup (data-option, data-path), not shown
MARKUP_KEYS = ("name", "path", "key", "option", "field", "value")


def test_client_text_speaks_labels_and_rounds(preset_report):
    """Every sentence, label and figure of every section, decision text included: no model
    path, no option id, no inf and no unrounded volume."""
    for name in SECTION_METHODS:
        for text in _strings(getattr(sections, name)(preset_report), MARKUP_KEYS):
            assert not problems(text), (name, text)
