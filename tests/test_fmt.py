"""The one formatter: volumes rounded to what the data supports, units as people write them,
money without false precision, never "inf"."""

import math

import pytest

from costlib import fmt


@pytest.mark.parametrize("value, digits, text", [
    (850, 2, "850"), (3000, 2, "3,000"), (13_014, 2, "13,000"), (42_500, 3, "42,500"),
    (4_201_804, 2, "4.2 million"), (15_856_479, 2, "16 million"),
    (378_400_824, 2, "380 million"), (378_400_824, 3, "378 million"),
    (2.5e9, 2, "2.5 billion"), (math.inf, 2, "never")])
def test_volumes_keep_two_or_three_significant_digits(value, digits, text):
    assert fmt.volume(value, digits) == text


@pytest.mark.parametrize("value, text", [
    (33_950.4, "33,950 USD"), (84.014, "84.01 USD"), (50.0, "50 USD"), (0.3, "0.3 USD"),
    (0.0023, "0.0023 USD"), (0, "0 USD"), (math.nan, "never")])
def test_money(value, text):
    assert fmt.usd(value) == text


def test_a_price_as_its_source_gives_it():
    # the appendix showed Replicate's 0.001525 USD per GPU-second as 0.00153: rebuilt from
    # the figure shown, the serverless break-even moved from 90,850 to 89,600 images/month
    assert fmt.quantity(0.001525, "USD/GPU-s", usd_digits=4) == "0.001525 USD per GPU-second"
    assert fmt.quantity(0.001525, "USD/GPU-s") == "0.00153 USD per GPU-second"


@pytest.mark.parametrize("low, high, unit, text", [
    (0.35, 0.35, "fraction", "35 %"), (0.1, 0.3, "fraction/year", "10-30 % a year"),
    (1.35, 1.35, "ratio", "1.35x"), (8000, 12000, "USD/month", "8,000-12,000 USD/month"),
    (4_201_804, 4_201_804, "images/month", "4.2 million images/month"),
    (300, 450, "images/h", "300-450 images/hour"), (0.25, 1, "FTE", "0.25-1 FTE"),
    (math.inf, 1, "FTE", "never"),
    # the report's appendix read "1 months", "1 copies" and a growth of "0 a month"
    (1, 1, "months", "1 month"), (1, 1, "copies", "1 copy"), (1, 1, "GPUs", "1 GPU"),
    (0, 2, "copies", "0-2 copies"), (36, 36, "months", "36 months"),
    (0.02, 0.02, "fraction/month", "2 % a month")])
def test_quantities_with_their_units(low, high, unit, text):
    assert fmt.quantity_range(low, high, unit) == text
    if low == high:
        assert fmt.quantity(low, unit) == text
