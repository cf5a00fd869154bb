"""The cheapest hybrid: how many local GPUs (reserved rentals or owned) to hold, with each
hour's demand above their capacity sent to a managed API.

The costs come from :mod:`costlib.tco` on a :class:`costlib.options.Hybrid` whose GPU count
is an array: the whole cost curve is one vectorized call. Money is in USD per month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from costlib.capacity.profiles import preset_profile
from costlib.options import Hybrid
from costlib.sizing import _check_profile, _check_whole, _error
from costlib.tco import (
    local_capacity_images_per_month,
    monthly_cost_usd,
    option_gpus,
    overflow_images_per_month,
    serving_images_per_month,
)


@dataclass(frozen=True)
class HybridPlan:
    """The cost of holding 0..max local GPUs and sending each hour's excess to an API.

    Attributes
    ----------
    local, api : str
        The local option (reserved rental or owned GPUs) and the overflow API, by name.
    gpus : ndarray
        Local GPU counts 0, 1, ..., max_gpus. [GPUs]
    monthly_usd : ndarray
        Monthly cost at each count; at 0 the API alone, with no self-hosting overheads.
        [USD/month]
    overflow_images_per_month : ndarray
        Images the API takes at each count. [images/month]
    best_gpus : int
        The cheapest count. [GPUs]
    best_monthly_usd : float
        Its monthly cost. [USD/month]
    best_hybrid_gpus : int
        The cheapest count of at least one GPU (the best plan that is a hybrid). [GPUs]
    api_only_usd : float
        The API option alone (``monthly_usd[0]``). [USD/month]
    local_only_usd : float
        The local option alone, sized by the cost model for the volume and its peak.
        [USD/month]
    local_only_gpus : float
        The GPUs it holds. [GPUs]
    """

    local: str
    api: str
    gpus: np.ndarray
    monthly_usd: np.ndarray
    overflow_images_per_month: np.ndarray
    best_gpus: int
    best_monthly_usd: float
    best_hybrid_gpus: int
    api_only_usd: float
    local_only_usd: float
    local_only_gpus: float


def optimize_hybrid(model, local: str, api: str, profile: ArrayLike | None = None,
                    max_gpus: int = 64) -> HybridPlan:
    """The cheapest number of local GPUs to hold, with each hour's excess sent to an API.

    For every count 0..``max_gpus`` at once, the local GPUs serve each hour up to their
    capacity, ``gpus * images_per_hour * utilization`` (utilization as the cost model's
    Hybrid reads it: the share of an hour a GPU generates), and the API takes the rest: the
    overflow is the sum over hours of ``max(0, demand_h - capacity)``
    (:func:`costlib.tco.overflow_images_per_month`). The local and API costs come from
    :func:`costlib.tco.monthly_cost_usd` on a :class:`costlib.options.Hybrid` whose
    ``local_gpus`` is the array of counts: one vectorized call. Count 0 is the API option
    alone (no local GPUs, so none of the self-hosting overheads).

    Parameters
    ----------
    model : costlib.scenario.Model
        A resolved scenario; its base values are used.
    local : str
        A reserved rental or owned option of the model. [-]
    api : str
        An API option of the model. [-]
    profile : array_like, optional
        Hourly demand weights, last axis 168 or 8760 hours. Default: the scenario's
        variability preset and peak factor for a year
        (:func:`costlib.capacity.preset_profile`). [ratio]
    max_gpus : int, default 64
        Largest count to consider, a whole number >= 1. [GPUs]

    Returns
    -------
    HybridPlan
        The cost curve over the counts and the cheapest count.
    """
    _check_whole("max_gpus", max_gpus, low=1)
    local_option, api_option = model.option(local), model.option(api)
    if not (local_option.may_be_hybrid_local and local_option.holds_dedicated_gpus):
        raise _error("local", local, "must name a reserved rental or owned option, which "
                                     "holds GPUs all month for the base load (not an "
                                     "on-demand rental, an API or a hybrid)")
    if not api_option.may_be_hybrid_api:
        raise _error("api", api, "must name an API option: only a managed API takes a "
                                 "hybrid's overflow")
    if profile is None:
        spec = model.scenario.workload
        profile = preset_profile(spec.variability, float(model.workload.peak_factor))
    weights = _check_profile(profile)
    workload, ops = model.workload, model.ops
    gpus = np.arange(int(max_gpus) + 1, dtype=float)
    hybrid = Hybrid(f"{local}+{api}", local_option, api_option, gpus, profile=weights)
    monthly = np.array(monthly_cost_usd(hybrid, workload, ops), dtype=float)
    monthly[0] = monthly_cost_usd(api_option, workload, ops)
    overflow = overflow_images_per_month(
        serving_images_per_month(workload),
        local_capacity_images_per_month(local_option, gpus), weights)
    best = int(np.argmin(monthly))
    best_hybrid = 1 + int(np.argmin(monthly[1:]))
    return HybridPlan(local, api, gpus, monthly, overflow, best, float(monthly[best]),
                      best_hybrid, float(monthly[0]),
                      float(monthly_cost_usd(local_option, workload, ops)),
                      float(option_gpus(local_option, workload)))
