"""Tests for costlib.capacity.coldstarts: cold-start probability and latency.

Reference values come from the ImageBench guide "Cost, Speed, and Infrastructure Tradeoffs"
(2026), abbreviated "ImageBench" below, and from hand computation.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from costlib import capacity as cap
from costlib.errors import InputError


def test_cold_start_probability_from_idle_gaps():
    # Poisson arrivals, one request a minute, instance released after 5 idle minutes: a
    # request is cold when no request came in the 5 minutes before it, the Poisson
    # probability of 0 arrivals where 5 are expected, e^-5 = 0.0067379.
    assert cap.cold_start_probability(1 / 60, 300) == pytest.approx(0.006737947, rel=1e-8)
    assert cap.cold_start_probability(0.0, 300) == 1.0
    assert cap.cold_start_probability(1.0, 0.0) == 1.0


def test_cold_start_latency_with_imagebench_sdxl_ranges():
    # ImageBench, SDXL-based APIs: cold start 8-15 s, warm inference 2-4 s; 10 % cold.
    result = cap.cold_start_latency(0.1, warm_seconds_low=2, warm_seconds_high=4,
                                    cold_seconds_low=8, cold_seconds_high=15)
    assert result.mean_seconds == pytest.approx(0.9 * 3 + 0.1 * 11.5)
    # p50 inside the warm range: 0.9 (t - 2) / 2 = 0.5. p95: 0.9 + 0.1 (t - 8) / 7 = 0.95.
    assert result.p50_seconds == pytest.approx(2 + 1 / 0.9)
    assert result.p95_seconds == pytest.approx(11.5)
    # A cold fraction under 5 % leaves the p95 among warm requests.
    rare = cap.cold_start_probability(1 / 60, 300)
    low = cap.cold_start_latency(rare, warm_seconds_low=2, warm_seconds_high=4,
                                 cold_seconds_low=8, cold_seconds_high=15)
    assert low.p95_seconds == pytest.approx(2 + 2 * 0.95 / (1 - rare))


def test_cold_start_latency_with_fixed_times_steps_at_five_percent():
    result = cap.cold_start_latency([0.04, 0.06], warm_seconds_low=3, warm_seconds_high=3,
                                    cold_seconds_low=10, cold_seconds_high=10)
    np.testing.assert_allclose(result.p95_seconds, [3, 10])
    np.testing.assert_allclose(result.mean_seconds, [3.28, 3.42])


@pytest.mark.parametrize(("call", "field"), [
    (lambda: cap.cold_start_probability(-1.0, 300), "requests_per_second"),
    (lambda: cap.cold_start_probability(1.0, -300), "idle_timeout_seconds"),
    (lambda: cap.cold_start_latency(1.2, warm_seconds_low=2, warm_seconds_high=4,
                                    cold_seconds_low=8, cold_seconds_high=15), "cold_fraction"),
    (lambda: cap.cold_start_latency(0.1, warm_seconds_low=4, warm_seconds_high=2,
                                    cold_seconds_low=8, cold_seconds_high=15),
     "warm_seconds_high"),
    (lambda: cap.cold_start_latency(0.1, warm_seconds_low=2, warm_seconds_high=4,
                                    cold_seconds_low=-8, cold_seconds_high=15),
     "cold_seconds_low"),
])
def test_bad_input_names_the_field(call, field):
    # One line: the field before the first colon, then what is allowed.
    with pytest.raises(InputError, match=rf"^{re.escape(field)}:[^\n]*allowed[^\n]*$"):
        call()
