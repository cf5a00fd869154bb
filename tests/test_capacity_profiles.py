"""Tests for costlib.capacity.profiles: preset demand profiles and yearly seasonality.

The presets are costlib's modeling assumptions; the expected values are hand counts of their
hours (40 business hours a week, 2088 in a 365-day year starting on a Monday) and the
definition of a peak-to-mean factor.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlib import capacity as cap
from costlib.errors import InputError


@pytest.mark.parametrize(("preset", "peak_factor", "hours"), [
    ("business_hours", 2.5, 168), ("business_hours", 3.0, 8760), ("business_hours", 4.2, 168),
    ("spiky", 6.0, 168), ("spiky", 24.0, 8760), ("seasonal", 1.5, 8760),
    ("seasonal", cap.max_peak_factor("seasonal", 8760), 8760),
])
def test_presets_meet_their_peak_factor_with_mean_one(preset, peak_factor, hours):
    weights = cap.demand_profile(preset, peak_factor, hours)
    assert weights.shape == (hours,)
    assert weights.mean() == pytest.approx(1.0, rel=1e-12)
    assert cap.peak_to_mean(weights) == pytest.approx(peak_factor, rel=1e-12)
    assert weights.min() >= 0


def test_max_peak_factor_puts_all_demand_in_the_busy_hours():
    assert cap.max_peak_factor("steady") == 1
    assert cap.max_peak_factor("business_hours") == pytest.approx(168 / 40)
    assert cap.max_peak_factor("business_hours", 8760) == pytest.approx(8760 / (52 * 40 + 8))
    assert cap.max_peak_factor("spiky", 8760) == 24
    top = cap.demand_profile("business_hours", cap.max_peak_factor("business_hours", 8760), 8760)
    assert np.count_nonzero(top) == 52 * 40 + 8
    seasonal = cap.demand_profile("seasonal", cap.max_peak_factor("seasonal", 8760), 8760)
    june = slice(24 * (31 + 28 + 31 + 30 + 31), 24 * (31 + 28 + 31 + 30 + 31 + 30))
    np.testing.assert_allclose(seasonal[june], 0, atol=1e-12)


def test_preset_shapes():
    week = cap.demand_profile("business_hours", 3.0)
    monday_10h, saturday_10h, monday_3h = week[10], week[5 * 24 + 10], week[3]
    assert monday_10h == 3.0 and saturday_10h == monday_3h < 1
    spiky = cap.demand_profile("spiky", 5.0)
    assert np.flatnonzero(spiky == 5.0).tolist() == [18 + 24 * d for d in range(7)]
    year = cap.demand_profile("seasonal", 1.5, hours=8760)
    january, june, december = year[0], year[24 * (31 + 28 + 31 + 30 + 31)], year[-1]
    assert december == year.max() > january > june == year.min()
    np.testing.assert_array_equal(cap.demand_profile("steady"), np.ones(168))


def test_demand_profile_broadcasts_over_peak_factors():
    factors = np.array([1.0, 2.0, 3.5])
    weights = cap.demand_profile("business_hours", factors)
    assert weights.shape == (3, 168)
    np.testing.assert_allclose(cap.peak_to_mean(weights), factors)


def test_yearly_profile_combines_week_and_seasons():
    week = cap.demand_profile("business_hours", 3.0)
    months = np.where(np.arange(12) == 11, 2.0, 1.0)          # December twice the rest
    year = cap.yearly_profile(week, months)
    assert year.shape == (8760,) and year.mean() == pytest.approx(1.0)
    # Monday 1 January 10:00 against Monday 3 December 10:00 (day 336 is a Monday).
    assert year[24 * 336 + 10] == pytest.approx(2 * year[10])


def test_preset_profile_takes_scenario_peak_factors():
    # The cost model's steady peak factor (1.2) is noise a flat profile has none of; a factor
    # beyond the preset's reach is lowered to its maximum.
    np.testing.assert_array_equal(cap.preset_profile("steady", 1.2), np.ones(8760))
    top = cap.max_peak_factor("business_hours", 8760)
    np.testing.assert_array_equal(cap.preset_profile("business_hours", 6.0),
                                  cap.demand_profile("business_hours", top, 8760))
    assert cap.peak_to_mean(cap.preset_profile("spiky", 4.0)) == pytest.approx(4.0)
    with pytest.raises(InputError, match="peak_factor: None"):
        cap.preset_profile("spiky")
    with pytest.raises(InputError, match="peak_factor: 0.5"):
        cap.preset_profile("spiky", 0.5)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: cap.demand_profile("bursty", 2.0), "preset"),
    (lambda: cap.demand_profile("business_hours"), "peak_factor"),
    (lambda: cap.demand_profile("business_hours", 5.0), "peak_factor"),
    (lambda: cap.demand_profile("business_hours", 0.5), "peak_factor"),
    (lambda: cap.demand_profile("steady", 2.0), "peak_factor"),
    (lambda: cap.demand_profile("seasonal", 1.5), "hours"),
    (lambda: cap.demand_profile("spiky", 2.0, hours=24), "hours"),
    (lambda: cap.max_peak_factor("seasonal"), "hours"),
    (lambda: cap.yearly_profile(np.ones(168), np.ones(4)), "monthly_weights"),
    (lambda: cap.yearly_profile(np.ones(24), np.ones(12)), "weekly_weights"),
    (lambda: cap.yearly_profile(np.zeros(168), np.ones(12)), "weekly_weights"),
])
def test_bad_input_names_the_field(call, field):
    # One line: the field before the first colon, then what is allowed (or what to give).
    with pytest.raises(InputError, match=rf"^[^:\n]*{re.escape(field)}[^:\n]*:[^\n]*"
                                         r"(allowed|give)[^\n]*$"):
        call()


@given(st.sampled_from([("business_hours", 168), ("business_hours", 8760), ("spiky", 168),
                        ("spiky", 8760), ("seasonal", 8760)]),
       st.floats(0, 1))
def test_any_allowed_peak_factor_is_met(preset_hours, position):
    preset, hours = preset_hours
    factor = 1 + position * (cap.max_peak_factor(preset, hours) - 1)
    weights = cap.demand_profile(preset, factor, hours)
    assert cap.peak_to_mean(weights) == pytest.approx(factor, rel=1e-12)
    assert weights.min() >= 0
