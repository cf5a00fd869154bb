"""Capacity planning: API rate limits, queueing latency, cold starts, demand profiles and the
cheapest hybrid split of local GPUs and API overflow; GPU counts for volumes, peaks and
deadlines come from :mod:`costlib.sizing` and are re-exported here.

Every function is pure and broadcasts its array arguments like a numpy ufunc, so one call
evaluates a whole grid (a scalar in gives a scalar out). Bad input raises
:class:`costlib.errors.InputError` naming the field. A plan that cannot work is reported as
such, never as a misleading number: GPU counts and waits are ``inf`` where no number of GPUs
(or no finite wait) will do, and results with several parts carry a ``feasible`` flag.

Conventions: times in seconds, rates in the unit their name says (``images_per_hour``,
``requests_per_second``, ``requests_per_minute``), money in USD. A month is the average month,
8760 / 12 = 730 hours.

Modules, by topic:

- :mod:`costlib.sizing`: GPUs for a volume, a peak hour or a deadline; time to finish.
- :mod:`costlib.capacity.ratelimits`: request rates, what a rate limit lets through, tiers.
- :mod:`costlib.capacity.queueing`: Erlang B and C, M/M/c waits and latency quantiles.
- :mod:`costlib.capacity.coldstarts`: cold-start probability and the latency it adds.
- :mod:`costlib.capacity.profiles`: hourly demand profiles from presets and seasonality.
- :mod:`costlib.capacity.hybrid`: the cheapest number of local GPUs with API overflow.
"""

from costlib.capacity.coldstarts import ColdStartLatency, cold_start_latency, cold_start_probability
from costlib.capacity.hybrid import HybridPlan, optimize_hybrid
from costlib.capacity.profiles import (
    PRESETS,
    demand_profile,
    max_peak_factor,
    preset_profile,
    yearly_profile,
)
from costlib.capacity.queueing import (
    QueueLatency,
    erlang_b,
    erlang_c,
    latency_quantile_seconds,
    queue_latency,
    wait_quantile_seconds,
)
from costlib.capacity.ratelimits import (
    RateLimitCheck,
    images_allowed_by_rate_limit,
    rate_limit_check,
    requests_per_minute_needed,
)
from costlib.options import HOURS_PER_MONTH
from costlib.sizing import (
    HOURS_PER_WEEK,
    HOURS_PER_YEAR,
    FloatOrArray,
    gpus_for_deadline,
    gpus_for_peak,
    gpus_for_volume,
    hourly_images,
    max_seconds_per_batch,
    peak_to_mean,
    seconds_to_finish,
)

__all__ = [
    # sizing
    "gpus_for_volume", "gpus_for_peak", "gpus_for_deadline", "seconds_to_finish",
    "max_seconds_per_batch",
    # ratelimits
    "requests_per_minute_needed", "images_allowed_by_rate_limit", "RateLimitCheck",
    "rate_limit_check",
    # queueing
    "erlang_b", "erlang_c", "QueueLatency", "queue_latency", "wait_quantile_seconds",
    "latency_quantile_seconds",
    # coldstarts
    "cold_start_probability", "ColdStartLatency", "cold_start_latency",
    # profiles
    "PRESETS", "demand_profile", "max_peak_factor", "yearly_profile", "peak_to_mean",
    "hourly_images", "preset_profile",
    # hybrid
    "HybridPlan", "optimize_hybrid",
    # constants and types
    "HOURS_PER_WEEK", "HOURS_PER_YEAR", "HOURS_PER_MONTH", "FloatOrArray",
]
