"""One rule in one place: what one part of costlib accepts, every part accepts, and an
option's numbers are the same wherever a user reads them."""

import itertools

import pytest
import yaml

from costlib.decision import decide
from costlib.errors import InputError
from costlib.fmt import usd
from costlib.scenario import load_scenario, parse_scenario, preset_names, preset_path, resolve
from costlib.tco import evaluate

# one option of every kind (and both billings of a rental), as a scenario file gives them
KINDS = {
    "api": {"kind": "api", "offer": "replicate_sdxl"},
    "rented_on_demand": {"kind": "rented", "offer": "a100_40gb_hourly",
                         "throughput": "sdxl_a100"},
    "rented_reserved": {"kind": "rented", "offer": "a100_40gb_monthly",
                        "throughput": "sdxl_a100"},
    "owned": {"kind": "owned", "gpu": "rtx4090", "throughput": "sdxl_rtx4090"},
    "serverless": {"kind": "serverless", "offer": "replicate_a100_80gb",
                   "throughput": "sdxl_a100_compiled"},
}
SAMPLES = 200


def _scenario(local: str, api: str) -> dict:
    options = [{"name": f"{k}_option", **spec} for k, spec in KINDS.items()]
    options.append({"name": "mix", "kind": "hybrid", "local": f"{local}_option",
                    "api": f"{api}_option", "local_gpus": 2})
    return {"name": f"hybrid of {local} and {api}", "horizon_months": 24,
            "workload": {"images_per_month": 300_000, "outputs_per_approved": 3,
                         "variability": "business_hours"},
            "options": options}


def _outcome(run) -> str:
    """'ok', or the one-line message of the InputError it raised."""
    try:
        run()
    except InputError as e:
        assert "\n" not in str(e)
        return str(e)
    return "ok"


@pytest.mark.slow
@pytest.mark.parametrize("local, api", list(itertools.product(KINDS, KINDS)))
def test_every_part_accepts_and_rejects_a_hybrid_of_any_two_kinds_alike(local, api, tmp_path,
                                                                        monkeypatch, today):
    """A hybrid's local part must hold dedicated GPUs and its overflow must be an API;
    validation, evaluate, decide, the report and every step form agree on it, with one
    message. (An on-demand local part once passed validation and evaluate, then failed in
    decide.)"""
    from costlib import ui
    from costlib.report import build_report

    data = _scenario(local, api)
    validated = _outcome(lambda: resolve(parse_scenario(data), today=today))
    model = None if validated != "ok" else resolve(parse_scenario(data), today=today)
    monkeypatch.setenv("COSTLIB_WORKSPACE", str(tmp_path))
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    def every_form():
        scenario = parse_scenario(data)
        for form in (ui.UseCaseForm, ui.VolumeForm, ui.PrivacyForm, ui.OperationsForm,
                     ui.TotalCostForm, ui.PrototypeForm, ui.ChooseForm, ui.OverviewForm):
            form(scenario, autosave=False)

    outcomes = {
        "evaluate": _outcome(lambda: evaluate(resolve(parse_scenario(data), today=today))),
        "decide": _outcome(lambda: decide(resolve(parse_scenario(data), today=today),
                                          samples=SAMPLES)),
        "report": _outcome(lambda: build_report(str(path), samples=SAMPLES, today=today)),
        "forms": _outcome(every_form),
    }
    for part, outcome in outcomes.items():
        assert outcome.split(": ", 1)[-1] == validated.split(": ", 1)[-1], part
    allowed = local in ("rented_reserved", "owned") and api == "api"
    assert (validated == "ok") == allowed, validated
    if model is not None:
        assert model.options["mix"].holds_dedicated_gpus


@pytest.mark.slow
@pytest.mark.parametrize("preset", preset_names())
def test_an_options_cost_and_gpus_are_one_number_everywhere(preset, today, tmp_path,
                                                             monkeypatch):
    """evaluate, the decision's base case, the report's cost table, the cost-by-area chart
    and the step 5 form show, for every option of every preset, the same GPUs and the same
    monthly cost (a hybrid included)."""
    from costlib import charts
    from costlib.report import build_report
    from costlib.ui import TotalCostForm

    monkeypatch.setenv("COSTLIB_WORKSPACE", str(tmp_path))
    scenario = load_scenario(preset_path(preset))
    model = resolve(scenario, today=today)
    rows = {r["name"]: r for r in evaluate(model)["options"]}
    decision = decide(model, samples=SAMPLES)
    for assessment in decision.options:
        row = rows[assessment.name]
        assert assessment.gpus == row["gpus"], assessment.name
        assert assessment.monthly_usd == pytest.approx(row["monthly_usd"], rel=1e-12), \
            assessment.name
        assert assessment.differing_usd == pytest.approx(row["differing_usd"], rel=1e-12)
    costs = str(build_report(preset, samples=SAMPLES, today=today).costs())
    for row in rows.values():
        assert usd(row["monthly_usd"], unit="") in costs, row["name"]
    # the chart of cost by area, as the report and step 5 draw it: the bars of each option
    # add up to its monthly cost (review, shared by every option, left out and said so)
    review = {n: r["by_area"]["review"] for n, r in rows.items()}
    labels = charts.option_labels(model)
    for figure in (charts.cost_by_area_figure(model),
                   TotalCostForm(scenario, autosave=False).shown[0]):
        stacked = {label: 0.0 for label in labels.values()}
        for bar in figure["data"]:
            for label, y in zip(bar["x"], bar["y"], strict=True):
                stacked[label] += y
        for name, row in rows.items():
            assert stacked[labels[name]] + review[name] == pytest.approx(row["monthly_usd"],
                                                                          rel=1e-9), name
