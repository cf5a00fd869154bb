"""Tests for costlib.capacity.ratelimits: request rates, rate-limit windows and tiers.

Reference values come from the ImageBench guide "Cost, Speed, and Infrastructure Tradeoffs"
(2026), abbreviated "ImageBench" below, and from hand computation.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from costlib import capacity as cap
from costlib.errors import InputError

# ImageBench rate-limit tiers, "Rate Limits (typical tiers)": Free/trial 1-5 req/min,
# Starter 50-100 req/min at 50-100 USD/month, Pro 500-1000 req/min at 500+ USD/month,
# Enterprise negotiated, typically 5000+ req/min. The low ends of the ranges: the limit a
# buyer can count on. The Free tier's fee is 0; Enterprise's is negotiated (None).
IMAGEBENCH_TIERS_LOW = [("Free", 1, 0.0), ("Starter", 50, 50.0), ("Pro", 500, 500.0),
                        ("Enterprise", 5000, None)]
IMAGEBENCH_TIERS_HIGH = [("Free", 5, 0.0), ("Starter", 100, 100.0), ("Pro", 1000, 500.0),
                         ("Enterprise", 5000, None)]


def test_imagebench_deadline_request_rates():
    # ImageBench, "Practical Throughput Example", 1000 images needed in 10 minutes:
    # DALL-E 3 (no batching) requires 100 req/min; SDXL batched needs 25 req/min at batch=4.
    assert cap.requests_per_minute_needed(1000, 600) == 100
    assert cap.requests_per_minute_needed(1000, 600, batch_size=4) == 25


def test_imagebench_deadline_rate_limit_tiers():
    # 100 req/min outgrows Starter at its low end (50) and needs Pro, 450 USD/month more:
    # the article's "feasible on Pro+ tier". At Starter's high end (100) Starter suffices.
    low = cap.rate_limit_check([100, 25], IMAGEBENCH_TIERS_LOW, current_tier="Starter")
    np.testing.assert_array_equal(low.suffices, [False, True])
    assert list(low.tier) == ["Pro", "Starter"]
    np.testing.assert_array_equal(low.usd_per_month, [500, 50])
    np.testing.assert_array_equal(low.extra_usd_per_month, [450, 0])
    high = cap.rate_limit_check(100, IMAGEBENCH_TIERS_HIGH, current_tier="Starter")
    assert high.suffices and high.tier == "Starter" and high.extra_usd_per_month == 0
    # On the free tier, even batching leaves 25 req/min five times over its 5 req/min.
    free = cap.rate_limit_check(25, IMAGEBENCH_TIERS_HIGH, current_tier="Free")
    assert not free.suffices and free.tier == "Starter" and free.extra_usd_per_month == 100


def test_burst_of_5000_images_in_one_hour_through_an_api():
    # 5000 / 60 = 83.3 req/min. A 50 req/min Starter tier lets 3000 images through in the
    # hour without batching, 12000 with batches of 4.
    assert cap.requests_per_minute_needed(5000, 3600) == pytest.approx(5000 / 60)
    np.testing.assert_array_equal(cap.images_allowed_by_rate_limit(3600, 50, [1, 4]),
                                  [3000, 12000])


def test_rate_limit_beyond_every_tier_is_infeasible():
    check = cap.rate_limit_check(6000, IMAGEBENCH_TIERS_LOW, current_tier="Pro")
    assert not check.feasible and not check.suffices
    assert check.tier is None
    assert check.usd_per_month == math.inf and check.extra_usd_per_month == math.inf
    # A tier that suffices but whose fee is negotiated prices as nan, not as a made-up number.
    enterprise = cap.rate_limit_check(3000, IMAGEBENCH_TIERS_LOW, current_tier="Pro")
    assert enterprise.feasible and enterprise.tier == "Enterprise"
    assert math.isnan(enterprise.usd_per_month) and math.isnan(enterprise.extra_usd_per_month)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: cap.requests_per_minute_needed(1000, 0), "seconds"),
    (lambda: cap.requests_per_minute_needed(10.5, 600), "images"),
    (lambda: cap.images_allowed_by_rate_limit(3600, -5), "requests_per_minute"),
    (lambda: cap.images_allowed_by_rate_limit(3600, 50, 0.5), "batch_size"),
    (lambda: cap.rate_limit_check(-1, IMAGEBENCH_TIERS_LOW, "Free"), "requests_per_minute"),
    (lambda: cap.rate_limit_check(10, IMAGEBENCH_TIERS_LOW, "Gold"), "current_tier"),
    (lambda: cap.rate_limit_check(10, [], "Free"), "tiers"),
    (lambda: cap.rate_limit_check(10, [("A", 50, 1.0), ("B", 5, 2.0)], "A"), "tiers"),
    (lambda: cap.rate_limit_check(10, [("A", 50, -1.0)], "A"), "usd_per_month"),
    (lambda: cap.rate_limit_check(10, [("A", 50)], "A"), "tiers"),
    (lambda: cap.rate_limit_check(10, [("A", 50, 1.0), ("A", 60, 2.0)], "A"), "tiers"),
])
def test_bad_input_names_the_field(call, field):
    # One line: the field before the first colon, then what is allowed.
    with pytest.raises(InputError, match=rf"^[^:\n]*{re.escape(field)}[^:\n]*:[^\n]*"
                                         r"allowed[^\n]*$"):
        call()
