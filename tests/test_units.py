"""Units: a figure in another unit is converted where the conversion is defined, refused
otherwise, never used as if it were in the expected unit."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlib.errors import InputError
from costlib.units import convert, convertible


@pytest.mark.parametrize("values, unit, to, want", [
    ((2.3, 1.5, 3.0), "USD/1000 images", "USD/image", (0.0023, 0.0015, 0.003)),
    ((0.5, 0.5, 0.5), "cents/image", "USD/image", (0.005, 0.005, 0.005)),
    # ImageBench: 8-12 s/image on an RTX 4090 is 300-450 images/h (data/throughput.csv)
    ((10.0, 8.0, 12.0), "s/image", "images/h", (360.0, 300.0, 450.0)),
    ((0.1, 0.1, 0.1), "images/s", "images/h", (360.0, 360.0, 360.0)),
    ((6.0, 6.0, 6.0), "images/min", "images/h", (360.0, 360.0, 360.0)),
    ((360.0, 300.0, 450.0), "images/h", "s/image", (10.0, 8.0, 12.0)),
    ((150.0, 100.0, 300.0), "USD/ kWh", "USD/kWh", (150.0, 100.0, 300.0)),
    ((0.45, 0.3, 0.45), "kW", "W", (450.0, 300.0, 450.0)),
])
def test_defined_conversions(values, unit, to, want):
    assert convert(values, unit, to, "f") == pytest.approx(want)


@pytest.mark.parametrize("unit, to", [
    ("USD/month", "USD/h"),      # a monthly offer is not an hourly one: billing, not a unit
    ("USD", "USD/image"), ("fraction", "USD/image"), ("images/h", "USD/image"),
    ("TFLOP/s", "images/h"), ("USD/1000 images", "USD/month"),
])
def test_undefined_conversions_are_refused(unit, to):
    assert not convertible(unit, to)
    with pytest.raises(InputError, match=f"f: '{unit}' is not allowed; must be '{to}'"):
        convert((1.0, 1.0, 1.0), unit, to, "f")


def test_a_reciprocal_of_zero_is_refused():
    with pytest.raises(InputError, match="must be > 0 to convert to images/h"):
        convert((0.0, 0.0, 0.0), "s/image", "images/h", "f")


UNITS = ["USD/image", "USD/1000 images", "cents/image", "s/image", "images/h", "images/s",
         "images/min", "USD/h", "USD/kWh", "USD/Wh"]


@given(st.sampled_from(UNITS), st.sampled_from(UNITS),
       st.lists(st.floats(1e-6, 1e6), min_size=3, max_size=3).map(sorted))
def test_conversions_keep_ranges_ordered_and_go_back(unit, to, figures):
    low, value, high = figures
    if not convertible(unit, to):
        return
    v, lo, hi = convert((value, low, high), unit, to, "f")
    assert lo <= v <= hi
    assert convert((v, lo, hi), to, unit, "f") == pytest.approx((value, low, high))
