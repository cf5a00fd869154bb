"""One vocabulary: every input of every preset has a plain label, and factors read in words."""

import pytest
from client_text import problems

from costlib import labels
from costlib.scenario import load_scenario, preset_names, preset_path, resolve
from costlib.uncertainty import factors


@pytest.fixture(scope="module", params=preset_names())
def model(request):
    return resolve(load_scenario(preset_path(request.param)))


def test_every_input_of_every_preset_has_a_label_of_its_own(model):
    fields = {path.rsplit(".", 1)[-1] for path in model.inputs}
    assert fields <= labels.FIELDS.keys(), fields - labels.FIELDS.keys()


def test_an_option_input_is_named_with_the_options_label():
    names = {"replicate_sdxl": "SDXL on Replicate (API)"}
    assert labels.input_label("workload.images_per_month", names) == "monthly image volume"
    assert labels.input_label("options.replicate_sdxl.usd_per_image", names) == (
        "price per image of SDXL on Replicate (API)")
    assert labels.input_label("options.my_gpu.images_per_hour") == "GPU throughput of my gpu"
    assert labels.field_label("some_new_field") == "some new field"


def test_factors_read_in_words_with_the_options_they_feed(model):
    option_labels = labels.option_labels(model.scenario)
    for factor in factors(model):
        text = labels.factor_label(factor, option_labels)
        assert not problems(text), (factor.name, text)


def test_a_row_feeding_two_options_names_both_and_a_shared_row_none():
    from costlib.catalog import sourced
    from costlib.uncertainty import Factor

    base = dict(value=1.0, low=0.5, high=2.0, unit="images/h", source="s")
    two = Factor(name="throughput.sdxl_a100", paths=("options.a.images_per_hour",
                                                      "options.b.images_per_hour"), **base)
    assert labels.factor_label(two, {"a": "A100 on demand", "b": "A100 reserved"}) == (
        "GPU throughput of A100 on demand and A100 reserved")
    many = Factor(name="assumptions.utilization", paths=tuple(
        f"options.{x}.utilization" for x in "abc"), **sourced(two))
    assert labels.factor_label(many) == "GPU utilization"


def test_units_as_people_write_them():
    assert labels.unit_label("fraction") == "%"
    assert labels.unit_label("images/h") == "images/hour"
    assert labels.unit_label("USD/month") == "USD/month"
