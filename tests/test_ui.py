"""Widget forms driven without a browser: a value change reaches the model and the charts.
A form reads the clock (its catalog's day): here it says the test day."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from client_text import problems

from costlib.scenario import load_scenario, preset_path
from costlib.ui import (
    ChooseForm,
    OperationsForm,
    OverviewForm,
    PrivacyForm,
    PrototypeForm,
    TotalCostForm,
    UseCaseForm,
    VolumeForm,
    state,
)

pytestmark = pytest.mark.usefixtures("clock_on_test_day")
PROBE = Path(__file__).parent / "data" / "probe_result.json"


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLIB_WORKSPACE", str(tmp_path))
    return tmp_path


def ys(form, figure=0):
    return [np.array(t.y, dtype=float) for t in form.figures[figure].data if t.y is not None]


def changed(before, after):
    return len(before) != len(after) or any(
        a.shape != b.shape or not np.allclose(a, b) for a, b in zip(before, after, strict=True))


# (form, field, new value, model input path, expected model value, figure index)
CASES = [
    (UseCaseForm, "workload.outputs_per_approved", 8.0, "workload.outputs_per_approved", 8.0, 0),
    (VolumeForm, "workload.images_per_month", 400_000.0, "workload.images_per_month", 400_000, 1),
    (VolumeForm, "workload.peak_factor", 2.0, "workload.peak_factor", 2.0, 0),
    (PrivacyForm, "constraints.privacy", "regulated", None, None, None),
    (OperationsForm, "labor.devops_hours_per_month", 80.0, "labor.devops_hours_per_month", 80, 0),
    (OperationsForm, "labor.ml_engineer_fte", 1.0, "labor.ml_engineer_fte", 1.0, 0),
    (TotalCostForm, "workload.cache_hit_rate", 0.4, "workload.cache_hit_rate", 0.4, 0),
    (TotalCostForm, "horizon_months", 12, "labor.amortization_months", 12, 2),
]


@pytest.mark.parametrize("form_cls, field, value, path, expected, figure", CASES,
                         ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_a_field_change_updates_model_figure_and_saved_scenario(form_cls, field, value, path,
                                                                 expected, figure):
    form = form_cls()
    before = ys(form, figure) if figure is not None else None
    form.fields[field].value = value
    assert "&#9888;" not in form.status.value, form.status.value
    if path:
        assert form.model.values[path] == pytest.approx(expected)
    if figure is not None:
        assert changed(before, ys(form, figure))
    saved = state.load_current()
    assert saved == form.scenario  # the next step starts from here


def test_variability_change_resets_the_peak_factor_to_the_catalog_default():
    form = VolumeForm()
    form.fields["workload.variability"].value = "spiky"
    assert form.model.values["workload.peak_factor"] == 4.0  # catalog peak_spiky
    assert form.fields["workload.peak_factor"].value == 4.0
    assert form.model.inputs["workload.peak_factor"].source == "costlib assumption"


def test_range_moves_with_the_slider():
    form = VolumeForm()
    form.fields["workload.images_per_month"].value = 200_000
    inp = form.model.inputs["workload.images_per_month"]
    assert (inp.low, inp.value, inp.high) == pytest.approx((120_000, 200_000, 300_000))


def test_picker_loads_a_preset_into_every_field():
    form = VolumeForm()
    form.picker.value = "ecommerce_catalog"
    assert form.scenario == load_scenario(preset_path("ecommerce_catalog"))
    assert form.fields["workload.images_per_month"].value == pytest.approx(1_000_000)
    assert form.fields["workload.variability"].value == "steady"


def test_bad_value_is_shown_not_raised():
    form = UseCaseForm()
    form._on_field("workload.outputs_per_approved", 0.2)
    assert "workload.outputs_per_approved: 0.2 is not allowed" in form.status.value
    assert form.model.values["workload.outputs_per_approved"] == 4  # unchanged


def test_answers_survive_a_new_form(workspace):
    VolumeForm().fields["workload.images_per_month"].value = 250_000
    assert OperationsForm().model.values["workload.images_per_month"] == pytest.approx(250_000)
    assert (workspace / "current.yaml").is_file()


def test_privacy_constraint_excludes_the_apis():
    form = PrivacyForm()
    form.fields["constraints.dpa_available"].value = False
    form.fields["constraints.privacy"].value = "regulated"
    assert "excluded: privacy" in form.allowed.value
    assert form.decision.architecture == "local"
    assert "recommended" in form.status.value


def test_total_cost_shows_uncertainty_and_tornado():
    form = TotalCostForm()
    box = form.figures[4]
    assert len(box.data) == len(form.decision.monte_carlo.options)
    before = [list(t.x) for t in form.figures[5].data]
    form.fields["workload.images_per_month"].value = 2_000_000
    assert [list(t.x) for t in form.figures[5].data] != before


def test_prototype_uses_measured_numbers(tmp_path):
    from costlib.probe.result import read_result

    form = PrototypeForm()
    form.acceptance.value = 0.25
    assert form.model.values["workload.outputs_per_approved"] == pytest.approx(4.0)
    probe = Path(__file__).parent / "data" / "probe_result.json"
    before = ys(form, 0)
    form.load_probe(str(probe), "rtx4090_owned")
    measured = form.model.inputs["options.rtx4090_owned.images_per_hour"]
    assert measured.value == read_result(probe).best_images_per_hour
    assert "probe result probe_result.json" in measured.source
    assert changed(before, ys(form, 0))
    form.record_provider()  # nothing measured yet: nothing recorded
    assert "warm latency: '' is not allowed" in form.status.value
    form.warm_p95.value, form.cold_start.value = "6.5", "45"
    form.record_provider("replicate_sdxl")
    latency = form.model.records["replicate_sdxl"].latency
    assert latency["warm"].value == 6.5 and latency["cold_start"].value == 45.0
    assert OperationsForm().scenario.quotes  # the next step reads the measured rows too
    form.consistent.value = False
    assert "not be reproducible" in form.status.value


def test_prototype_applies_a_mismatched_probe_result_only_where_accepted(tmp_path, today):
    # The command line has --accept-probe-mismatch; step 6 had no way to accept such a result.
    from costlib import report as rp
    from costlib.report import sections

    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps({**json.loads(PROBE.read_text()), "status": "failed"}))
    form = PrototypeForm()
    path = "options.rtx4090_owned.images_per_hour"
    catalog_figure = form.model.inputs[path]
    form.load_probe(str(failed), "rtx4090_owned")
    assert "status 'failed'" in form.status.value and form.ACCEPT in form.status.value
    assert form.model.inputs[path] == catalog_figure
    form.accept_mismatch.value = True
    form.load_probe(str(failed), "rtx4090_owned")
    assert "The probe result is applied although status &#x27;failed&#x27;." \
        in form.status.value
    assert "accepted although status 'failed'" in form.model.inputs[path].source
    # the next steps and the report read the working scenario: its figures say so too
    report = rp.build_report(state.current_path(), samples=200, today=today)
    rows = {r["path"]: r for g in sections.appendix(report)["groups"] for r in g["rows"]}
    assert "accepted although status 'failed'" in rows[path]["source"]


def test_a_clock_behind_the_data_is_said_in_the_status_line(clock):
    # The catalog refused rows dated after today: no step opened on a clock behind the data.
    clock(dt.date(2025, 6, 1))
    form = VolumeForm()
    assert "figures are dated after today (2025-06-01): " in form.status.value
    assert "check the computer&#x27;s clock or the data" in form.status.value
    assert not problems(form.status.value)  # words, not row ids
    form.fields["workload.images_per_month"].value = 400_000
    assert form.model.values["workload.images_per_month"] == 400_000


def test_prototype_applies_a_merged_result_per_gpu(tmp_path):
    # Step 6 refused a merged result of several GPUs (SkyPilot runs on two clouds); the option
    # now takes the GPU it runs on: the RTX 4090's 1,500 images/h, not the H100's 4,000.
    from costlib.probe.result import combine, write_result_atomic

    base = json.loads(PROBE.read_text())
    runs = [{**base, "run_id": gpu, "gpu_name": gpu, "best_images_per_hour": rate,
             "batches": [{"batch_size": 1, "fits": True, "images_per_hour": rate}]}
            for gpu, rate in (("NVIDIA GeForce RTX 4090", 1500.0),
                              ("NVIDIA H100 80GB HBM3", 4000.0))]
    path = write_result_atomic(tmp_path / "merged.json", combine(runs))
    form = PrototypeForm()
    form.accept_mismatch.value = True  # the fixture is a tiny run
    form.load_probe(str(path), "rtx4090_owned")
    measured = form.model.inputs["options.rtx4090_owned.images_per_hour"]
    assert measured.value == 1500.0 and "NVIDIA GeForce RTX 4090" in measured.source
    form.load_probe(str(path), "serverless_h100")
    assert "applies to a rented or owned option" in form.status.value


def test_prototype_errors_are_shown():
    form = PrototypeForm()
    form.load_probe("/nonexistent.json", "rtx4090_owned")
    assert "&#9888;" in form.status.value
    form.load_probe(str(Path(__file__).parent / "data" / "probe_result.json"), "replicate_sdxl")
    assert "applies to a rented or owned option" in form.status.value


def test_choose_recommends_and_saves(workspace):
    form = ChooseForm()
    assert "data-key='recommendation'" in form.cards.value
    assert form.widget().children[0] is form.cards  # the answer comes first
    form.save("acme-2026")
    assert (workspace / "acme-2026.yaml").is_file()
    assert ("acme-2026 (saved)", "saved/acme-2026") in form.picker.options
    assert form.picker.value == "saved/acme-2026"  # not back to the working scenario
    form.save("bad name!")
    assert "name: 'bad name!' is not allowed" in form.status.value


def test_overview_updates_the_decision():
    form = OverviewForm()
    assert form.decision.architecture == "cloud"  # default: a DPA is available
    form.fields["workload.images_per_month"].value = 5e7
    assert form.model.values["workload.images_per_month"] == pytest.approx(5e7)
    assert "50 million images/month" in form.status.value
    assert "data-key='recommendation'" in form.cards.value
    assert form.widget().children[0] is form.cards  # the answer comes first


@pytest.mark.slow
def test_choose_produces_the_client_report(workspace):
    form = ChooseForm()
    form.save_name.value = "acme"
    form.report(pdf=False)
    html_path = workspace / "reports" / "acme.html"
    assert html_path.is_file() and html_path.stat().st_size > 1_000_000
    assert "download='acme.html' href='data:text/html;base64," in form.saved.value


def test_refresh_sends_only_what_changed_and_the_widget_shows_the_new_figure():
    from costlib.ui.forms import message_figure, refresh_figure

    def spec(ys, title, **extra):
        return {"data": [{"type": "scatter", "x": [0, 1], "y": y, "name": f"t{i}", **extra}
                         for i, y in enumerate(ys)],
                "layout": {"title": {"text": title}, "xaxis": {"title": {"text": "x [s]"}}}}

    shown = spec([[1.0, 2.0], [3.0, 4.0]], "before", line={"color": "red"})
    widget = go.FigureWidget(shown)
    sent = []
    original = widget._send_update_msg
    widget._send_update_msg = lambda restyle_data, relayout_data, **kw: (
        sent.append((restyle_data, relayout_data)),
        original(restyle_data, relayout_data, **kw))
    new = spec([[1.0, 2.0], [3.0, 5.0]], "after")  # line color gone, one y changed
    refresh_figure(widget, shown, new)
    assert [list(t.y) for t in widget.data] == [[1.0, 2.0], [3.0, 5.0]]
    assert widget.layout.title.text == "after" and widget.layout.xaxis.title.text == "x [s]"
    assert all(t.line.color is None for t in widget.data)
    [(restyle, relayout)] = sent  # one message per figure
    assert set(restyle) == {"y", "line"} and set(relayout) == {"title"}
    refresh_figure(widget, new, new)
    assert len(sent) == 1  # nothing changed, nothing sent
    refresh_figure(widget, new, message_figure("Hybrid split", "no hybrid"))
    assert len(widget.data) == 0 and widget.layout.annotations[0].text == "no hybrid"


def test_the_log_slider_writes_a_round_volume():
    form = VolumeForm()
    form.fields["workload.images_per_month"].value = 3162277.6601683795
    assert form.scenario.workload.images_per_month.value == 3_200_000
    assert form.fields["workload.images_per_month"].value == 3_200_000


def test_slider_readouts_show_no_false_decimals():
    """A whole number reads "25", not "25.00"; a share reads as a percentage."""
    import ipywidgets as widgets

    sliders = [w for cls in (UseCaseForm, VolumeForm, OperationsForm, TotalCostForm,
                             PrototypeForm) for form in [cls()]
               for w in [*form.fields.values(), *form.extras]
               if isinstance(w, widgets.FloatSlider)]
    assert len(sliders) == 11
    for slider in sliders:
        assert slider.readout_format != ".2f", slider.description  # ipywidgets' default
        assert slider.readout_format.endswith("%") == (slider.max <= 1), slider.description


def test_the_overview_answers_first_and_keeps_that_answer_current():
    """The first cell's answer (no plotly) is the form's: the same decision, its cards
    updated by the form and not shown twice (the overview's and step 7's)."""
    from costlib.ui.answer import Answer

    answer = Answer()
    form = OverviewForm(answer=answer)
    assert form.decision is answer.decision and form.cards is answer.cards
    assert form.cards not in form.widget().children
    before = answer.cards.value
    form.fields["workload.images_per_month"].value = 5e6
    assert answer.cards.value != before and "data-key='monthly'" in answer.cards.value
    choose = ChooseForm(answer=Answer())
    assert choose.cards not in choose.widget().children
    assert "data-key='recommendation'" in choose.cards.value


def test_choices_speak_labels_and_the_privacy_levels_are_explained():
    form = PrototypeForm()
    assert ("SDXL on Replicate (API)", "replicate_sdxl") in form.api_option.options
    assert form.warm_p95.value == "" and form.cold_start.value == ""  # nothing invented
    privacy = OverviewForm().fields["constraints.privacy"]
    assert [v for _, v in privacy.options] == ["public", "internal", "confidential",
                                               "regulated"]
    assert all(":" in label for label, _ in privacy.options)


def test_the_overview_has_the_agreement_so_sensitivity_can_matter():
    form = OverviewForm()
    form.fields["constraints.dpa_available"].value = False
    form.fields["constraints.privacy"].value = "regulated"
    assert form.decision.architecture != "cloud"


def test_a_step_gives_its_numbers_as_a_dataframe():
    form = TotalCostForm()
    frame = form.frame()
    assert list(frame.index) == [o.label for o in form.scenario.options]
    assert frame.loc[frame.index[0], "monthly_usd"] == pytest.approx(
        sum(frame.filter(like="_usd_per_month").iloc[0]))


def test_prototype_sets_the_batch_size_and_precision_of_a_gpu_option():
    form = PrototypeForm()
    form.probe_option.value = "rtx4090_owned"
    path = "options.rtx4090_owned.images_per_hour"
    one = form.model.inputs[path].value
    form.batch.value = 4
    spec = next(o for o in form.scenario.options if o.name == "rtx4090_owned")
    assert spec.batch_size == 4
    assert form.model.inputs[path].value > one  # SDXL's batch gain (data/batch_gain.csv)
    form.precision.value = "fp8"  # the RTX 4090 has no 8-bit peak in the catalog
    assert "no 8-bit peak" in form.status.value
    assert form.precision.value == "bf16"  # the field shows what the option runs at
    form.probe_option.value = "a100_reserved"  # the A100's INT8 peak allows 8-bit
    assert (form.batch.value, form.precision.value) == (1, "bf16")
    form.precision.value = "fp8"
    assert next(o for o in form.scenario.options if o.name == "a100_reserved").precision == "fp8"


def test_prototype_offers_the_options_of_the_scenario_shown():
    from costlib.scenario import load_scenario, preset_path

    form = PrototypeForm(autosave=False)
    form.load(load_scenario(preset_path("internal_feature")))
    local = {name for _, name in form.probe_option.options}
    assert local == {o.name for o in form.scenario.options if o.kind in ("rented", "owned")}
    assert form.probe_option.value in local
    form.batch.value = 2  # bound to an option of the scenario shown
    spec = next(o for o in form.scenario.options if o.name == form.probe_option.value)
    assert spec.batch_size == 2
