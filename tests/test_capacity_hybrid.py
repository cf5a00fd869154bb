"""Tests for costlib.capacity.hybrid: the cheapest number of local GPUs with API overflow.

The optimizer is checked against the direct hour-by-hour sum of the overflow and against the
cost model (:func:`costlib.tco.monthly_cost_usd`) at single GPU counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from costlib import capacity as cap
from costlib.errors import InputError
from costlib.options import Hybrid
from costlib.tco import monthly_cost_usd


def test_overflow_is_the_hourly_excess_for_every_gpu_count(default_model):
    # The brief's definition, sum over hours of max(0, demand_h - capacity_h), computed
    # directly on a (GPU counts x 8760 hours) grid, against the optimizer's curve.
    model = default_model.with_values({"workload.images_per_month": 2e6})
    year = cap.preset_profile("business_hours", 3.36)
    plan = cap.optimize_hybrid(model, "rtx4090_owned", "replicate_sdxl", year)
    local = model.options["rtx4090_owned"]
    per_gpu_hour = local.images_per_hour * local.utilization
    demand = cap.hourly_images(2e6, year)
    direct = np.maximum(demand[None, :] - plan.gpus[:, None] * per_gpu_hour, 0).sum(axis=1)
    np.testing.assert_allclose(plan.overflow_images_per_month, direct / 12, rtol=1e-9,
                               atol=1e-6)
    assert plan.overflow_images_per_month[0] == pytest.approx(2e6)
    assert np.all(np.diff(plan.overflow_images_per_month) <= 1e-9)


def test_optimize_hybrid_curve_is_the_cost_model_at_each_count(default_model):
    model = default_model.with_values({"workload.images_per_month": 2e6})
    year = cap.preset_profile("business_hours", 3.36)
    plan = cap.optimize_hybrid(model, "rtx4090_owned", "replicate_sdxl", year)
    assert plan.gpus.tolist() == list(range(65))
    w, ops = model.workload, model.ops
    assert plan.monthly_usd[0] == pytest.approx(
        float(monthly_cost_usd(model.options["replicate_sdxl"], w, ops)), rel=1e-12)
    for gpus in (1, 7, 40):
        one = Hybrid("h", model.options["rtx4090_owned"], model.options["replicate_sdxl"],
                     gpus, profile=year)
        assert plan.monthly_usd[gpus] == pytest.approx(float(monthly_cost_usd(one, w, ops)),
                                                       rel=1e-12)
    # The best count is the cheapest on the curve; the best hybrid holds at least one GPU.
    assert plan.monthly_usd[plan.best_gpus] == plan.best_monthly_usd == plan.monthly_usd.min()
    assert plan.best_hybrid_gpus >= 1
    assert plan.monthly_usd[plan.best_hybrid_gpus] == plan.monthly_usd[1:].min()


def test_a_peaky_profile_overflows_more_than_a_steady_one(default_model):
    # With capacity for the mean hour, a steady month sends nothing to the API; business
    # hours at 3.36x the mean send the peaks.
    model = default_model.with_values({"workload.images_per_month": 1e6})
    steady = cap.optimize_hybrid(model, "a100_reserved", "replicate_sdxl",
                                 cap.preset_profile("steady"))
    peaky = cap.optimize_hybrid(model, "a100_reserved", "replicate_sdxl",
                                cap.preset_profile("business_hours", 3.36))
    mean_gpus = math.ceil(1e6 / 730 / (900 * 0.7))
    assert steady.overflow_images_per_month[mean_gpus] == 0
    assert peaky.overflow_images_per_month[mean_gpus] > 0.2e6
    # a steady profile reproduces the cost model's steady hybrid (profile None)
    flat = Hybrid("h", model.options["a100_reserved"], model.options["replicate_sdxl"], 1)
    assert steady.monthly_usd[1] == pytest.approx(
        float(monthly_cost_usd(flat, model.workload, model.ops)), rel=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"max_gpus": 0}, "max_gpus: 0"),
    ({"max_gpus": 2.5}, "max_gpus: 2.5"),
    ({"local": "a100_on_demand"}, "local: 'a100_on_demand'.*reserved rental or owned"),
    ({"local": "replicate_sdxl"}, "local: 'replicate_sdxl'"),
    ({"local": "hybrid_4090_replicate"}, "local: 'hybrid_4090_replicate'.*reserved rental"),
    ({"api": "rtx4090_owned"}, "api: 'rtx4090_owned'.*API option"),
    ({"api": "a100_reserved"}, "api: 'a100_reserved'.*API option"),
    ({"api": "hybrid_4090_replicate"}, "api: 'hybrid_4090_replicate'.*API option"),
    ({"api": "nope"}, "option: 'nope'"),
    ({"profile": np.ones(100)}, "profile: an array of shape"),
])
def test_optimize_hybrid_bad_input(default_model, kwargs, match):
    args = {"local": "rtx4090_owned", "api": "replicate_sdxl", **kwargs}
    with pytest.raises(InputError, match=match):
        cap.optimize_hybrid(default_model, **args)
