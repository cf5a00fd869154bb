"""Capacity planning: GPUs for volumes, peaks and deadlines, queueing latency, API rate limits,
cold starts, demand profiles and the cheapest hybrid split of local GPUs and API overflow.

Every function is pure and broadcasts its array arguments like a numpy ufunc, so one call
evaluates a whole grid (a scalar in gives a scalar out). Bad input raises
:class:`costlib.errors.InputError` naming the field. A plan that cannot work is reported as
such, never as a misleading number: GPU counts and waits are ``inf`` where no number of GPUs
(or no finite wait) will do, and results with several parts carry a ``feasible`` flag.

Conventions: times in seconds, rates in the unit their name says (``images_per_hour``,
``requests_per_second``, ``requests_per_minute``), money in USD. A month is the average month,
8760 / 12 = 730 hours.

The queueing functions use the M/M/c model (Poisson arrivals, exponential service times,
first come first served, no abandonment). GPU image generation takes a nearly fixed time per
image, so M/M/c is conservative: for one GPU it predicts twice the mean wait of a fixed
service time (Pollaczek-Khinchine), and its latency spread is wider than a measured one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from costlib.errors import InputError, check_range
from costlib.options import Hybrid, OwnedGPU, RentedGPU
from costlib.tco import (
    local_capacity_images_per_month,
    monthly_cost_usd,
    option_gpus,
    overflow_images_per_month,
    serving_images_per_month,
)

HOURS_PER_WEEK = 168
HOURS_PER_YEAR = 8760
HOURS_PER_MONTH = HOURS_PER_YEAR / 12
PRESETS = ("steady", "business_hours", "seasonal", "spiky")

_DAYS_PER_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
# Relative slack that keeps floating-point noise (1000 * 3 / 600 = 5.000000000000001) from
# adding a whole GPU, batch or request when counts are rounded.
_ROUNDING_SLACK = 1e-9
# Bisection halves the bracket each step: 48 steps leave 2**-48 (4e-15) of it, far below any
# time that matters here.
_BISECTION_STEPS = 48

FloatOrArray = float | np.ndarray


def _error(field: str, value, allowed: str) -> InputError:
    return InputError(f"{field}: {value!r} is not allowed; {allowed}")


def _check_whole(field: str, value: ArrayLike, low: float) -> None:
    """Raise InputError unless every element is a whole number >= ``low``."""
    check_range(field, value, low=low)
    arr = np.asarray(value, dtype=float)
    fractional = arr != np.floor(arr)
    if np.any(fractional):
        raise _error(field, float(arr[fractional].flat[0]) if arr.ndim else float(arr),
                     f"must be a whole number >= {low:g}")


def _check_open_unit(field: str, value: ArrayLike) -> None:
    """Raise InputError unless every element lies strictly between 0 and 1."""
    check_range(field, value, low=0, high=1, low_open=True)
    arr = np.asarray(value, dtype=float)
    if np.any(arr == 1):
        raise _error(field, 1.0, "must be > 0 and < 1")


def _ceil(x: np.ndarray) -> np.ndarray:
    return np.ceil(x * (1 - _ROUNDING_SLACK))


def _floor(x: np.ndarray) -> np.ndarray:
    return np.floor(x * (1 + _ROUNDING_SLACK))


def _out(x):
    """A 0-d array as a scalar; anything else as is."""
    return x[()] if isinstance(x, np.ndarray) else x


def _bisect(holds: Callable[[np.ndarray], np.ndarray], low: np.ndarray,
            high: np.ndarray) -> np.ndarray:
    """Smallest t in [low, high] where ``holds(t)``, elementwise; ``holds`` must be monotone
    (False then True) in t and true at ``high``."""
    low, high = np.broadcast_arrays(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        ok = holds(mid)
        high = np.where(ok, mid, high)
        low = np.where(ok, low, mid)
    return high


# --------------------------------------------------------------------------- volume, deadlines


def gpus_for_volume(images_per_hour: ArrayLike, gpu_images_per_hour: ArrayLike,
                    utilization: ArrayLike) -> FloatOrArray:
    """GPUs needed to serve a sustained volume at a target utilization.

    ``ceil(images_per_hour / (gpu_images_per_hour * utilization))``: the fewest GPUs whose
    busy fraction stays at or below ``utilization``. It sizes for throughput only; use
    :func:`queue_latency` for the waits that a utilization implies.

    Parameters
    ----------
    images_per_hour : float or array_like
        Demand to serve. [images/h]
    gpu_images_per_hour : float or array_like
        Throughput of one GPU. [images/h]
    utilization : float or array_like
        Target busy fraction of each GPU, in (0, 1]. [fraction]

    Returns
    -------
    gpus : float or ndarray
        Whole number of GPUs (0 for no demand). [GPUs]
    """
    check_range("images_per_hour", images_per_hour, low=0)
    check_range("gpu_images_per_hour", gpu_images_per_hour, low=0, low_open=True)
    check_range("utilization", utilization, low=0, high=1, low_open=True)
    demand = np.asarray(images_per_hour, dtype=float)
    capacity = np.asarray(gpu_images_per_hour, dtype=float) * np.asarray(utilization, float)
    return _out(_ceil(demand / capacity))


def _check_deadline_inputs(images: ArrayLike, batch_size: ArrayLike) -> None:
    _check_whole("images", images, low=0)
    _check_whole("batch_size", batch_size, low=1)


def _batches(images: ArrayLike, batch_size: ArrayLike) -> np.ndarray:
    """Batches needed for ``images``: the last one may be partly filled."""
    return np.ceil(np.asarray(images, dtype=float) / np.asarray(batch_size, dtype=float))


def gpus_for_deadline(images: ArrayLike, deadline_seconds: ArrayLike,
                      seconds_per_batch: ArrayLike, batch_size: ArrayLike = 1) -> FloatOrArray:
    """GPUs needed to generate a number of images before a deadline.

    Each GPU runs whole batches back to back, so it finishes
    ``floor(deadline_seconds / seconds_per_batch)`` batches in time; the images need
    ``ceil(images / batch_size)`` batches (a partly filled last batch takes a full batch time).
    Start-up and queueing overheads are not included: add them to ``seconds_per_batch`` or
    subtract them from ``deadline_seconds``.

    Parameters
    ----------
    images : int or array_like
        Images to generate, a whole number >= 0. [images]
    deadline_seconds : float or array_like
        Time allowed, > 0. [s]
    seconds_per_batch : float or array_like
        Time one GPU takes for one batch; with ``batch_size=1`` the time per image. [s]
    batch_size : int or array_like, default 1
        Images per batch, a whole number >= 1. [images]

    Returns
    -------
    gpus : float or ndarray
        Whole number of GPUs (0 for no images); ``inf`` where one batch takes longer than the
        deadline, so no number of GPUs meets it. [GPUs]
    """
    _check_deadline_inputs(images, batch_size)
    check_range("deadline_seconds", deadline_seconds, low=0, low_open=True)
    check_range("seconds_per_batch", seconds_per_batch, low=0, low_open=True)
    batches_per_gpu = _floor(np.asarray(deadline_seconds, dtype=float)
                             / np.asarray(seconds_per_batch, dtype=float))
    batches = _batches(images, batch_size)
    with np.errstate(divide="ignore", invalid="ignore"):
        gpus = np.where(batches == 0, 0.0, np.ceil(batches / batches_per_gpu))
    return _out(gpus)


def seconds_to_finish(images: ArrayLike, gpus: ArrayLike, seconds_per_batch: ArrayLike,
                      batch_size: ArrayLike = 1) -> FloatOrArray:
    """Time a number of GPUs takes to generate a number of images.

    ``ceil(ceil(images / batch_size) / gpus) * seconds_per_batch``: the busiest GPU runs that
    many batches. Compare it with a deadline to see whether a GPU count suffices.

    Parameters
    ----------
    images : int or array_like
        Images to generate, a whole number >= 0. [images]
    gpus : int or array_like
        GPUs working in parallel, a whole number >= 1. [GPUs]
    seconds_per_batch : float or array_like
        Time one GPU takes for one batch; with ``batch_size=1`` the time per image. [s]
    batch_size : int or array_like, default 1
        Images per batch, a whole number >= 1. [images]

    Returns
    -------
    seconds : float or ndarray
        Time until the last image is done. [s]
    """
    _check_deadline_inputs(images, batch_size)
    _check_whole("gpus", gpus, low=1)
    check_range("seconds_per_batch", seconds_per_batch, low=0, low_open=True)
    rounds = np.ceil(_batches(images, batch_size) / np.asarray(gpus, dtype=float))
    return _out(rounds * np.asarray(seconds_per_batch, dtype=float))


def max_seconds_per_batch(images: ArrayLike, deadline_seconds: ArrayLike, gpus: ArrayLike,
                          batch_size: ArrayLike = 1) -> FloatOrArray:
    """Slowest batch time at which a number of GPUs still meets a deadline.

    The inverse of :func:`gpus_for_deadline`: the busiest GPU must run
    ``ceil(ceil(images / batch_size) / gpus)`` batches within ``deadline_seconds``. Use it to
    check a published claim ("N GPUs meet the deadline") against a measured time per image.

    Parameters
    ----------
    images : int or array_like
        Images to generate, a whole number >= 0. [images]
    deadline_seconds : float or array_like
        Time allowed, > 0. [s]
    gpus : int or array_like
        GPUs working in parallel, a whole number >= 1. [GPUs]
    batch_size : int or array_like, default 1
        Images per batch, a whole number >= 1. [images]

    Returns
    -------
    seconds_per_batch : float or ndarray
        Longest time per batch (per image with ``batch_size=1``) that meets the deadline;
        ``inf`` for no images. [s]
    """
    _check_deadline_inputs(images, batch_size)
    check_range("deadline_seconds", deadline_seconds, low=0, low_open=True)
    _check_whole("gpus", gpus, low=1)
    rounds = np.ceil(_batches(images, batch_size) / np.asarray(gpus, dtype=float))
    with np.errstate(divide="ignore"):
        return _out(np.asarray(deadline_seconds, dtype=float) / rounds)


# --------------------------------------------------------------------------- API rate limits


def requests_per_minute_needed(images: ArrayLike, seconds: ArrayLike,
                               batch_size: ArrayLike = 1) -> FloatOrArray:
    """Request rate an API must allow to deliver a number of images in a time.

    One request returns ``batch_size`` images (1 for an API without batching), so the rate
    is ``ceil(images / batch_size) / (seconds / 60)``. The API's own latency and concurrency
    limits are not included.

    Parameters
    ----------
    images : int or array_like
        Images to generate, a whole number >= 0. [images]
    seconds : float or array_like
        Time allowed, > 0. [s]
    batch_size : int or array_like, default 1
        Images returned per request, a whole number >= 1. [images]

    Returns
    -------
    requests_per_minute : float or ndarray
        Required rate limit. [requests/min]
    """
    _check_deadline_inputs(images, batch_size)
    check_range("seconds", seconds, low=0, low_open=True)
    return _out(_batches(images, batch_size) / (np.asarray(seconds, dtype=float) / 60))


def images_allowed_by_rate_limit(seconds: ArrayLike, requests_per_minute: ArrayLike,
                                 batch_size: ArrayLike = 1) -> FloatOrArray:
    """Most images an API rate limit lets through in a time window.

    ``floor(requests_per_minute * seconds / 60) * batch_size``. Compare it with a burst (for
    example 5,000 images in one hour) to see whether a tier can carry it.

    Parameters
    ----------
    seconds : float or array_like
        Length of the window, >= 0. [s]
    requests_per_minute : float or array_like
        The API's rate limit, >= 0. [requests/min]
    batch_size : int or array_like, default 1
        Images returned per request, a whole number >= 1. [images]

    Returns
    -------
    images : float or ndarray
        Whole number of images. [images]
    """
    check_range("seconds", seconds, low=0)
    check_range("requests_per_minute", requests_per_minute, low=0)
    _check_whole("batch_size", batch_size, low=1)
    requests = _floor(np.asarray(requests_per_minute, dtype=float)
                      * np.asarray(seconds, dtype=float) / 60)
    return _out(requests * np.asarray(batch_size, dtype=float))


@dataclass(frozen=True)
class RateLimitCheck:
    """Whether an API tier carries a request rate, and what the tier that does costs.

    Attributes
    ----------
    suffices : bool or ndarray
        The current tier's limit covers the rate.
    feasible : bool or ndarray
        Some tier's limit covers the rate.
    tier : str, None or ndarray
        Name of the lowest tier that covers the rate; None where none does.
    usd_per_month : float or ndarray
        That tier's fee; ``nan`` where its fee is negotiated (given as None), ``inf`` where no
        tier covers the rate. [USD/month]
    extra_usd_per_month : float or ndarray
        Fee of ``tier`` minus the current tier's fee: 0 where the current tier is the lowest
        that suffices, negative where a cheaper tier would do, ``nan`` where a fee is
        negotiated, ``inf`` where no tier covers the rate. [USD/month]
    """

    suffices: np.ndarray | np.bool_
    feasible: np.ndarray | np.bool_
    tier: np.ndarray | str | None
    usd_per_month: FloatOrArray
    extra_usd_per_month: FloatOrArray


def rate_limit_check(requests_per_minute: ArrayLike,
                     tiers: Sequence[tuple[str, float, float | None]],
                     current_tier: str) -> RateLimitCheck:
    """Check an API rate-limit tier against a request rate and price the tier that suffices.

    Parameters
    ----------
    requests_per_minute : float or array_like
        Rate to carry, >= 0, e.g. from :func:`requests_per_minute_needed`. [requests/min]
    tiers : sequence of (str, float, float or None)
        ``(name, requests_per_minute, usd_per_month)`` for each tier, in order of strictly
        increasing limit; ``usd_per_month`` is None where the fee is negotiated. The catalog
        supplies a provider's tiers. [-, requests/min, USD/month]
    current_tier : str
        Name of the tier in use, one of the names in ``tiers``. [-]

    Returns
    -------
    RateLimitCheck
        Whether the current tier suffices, the lowest tier that does and its fee.
    """
    check_range("requests_per_minute", requests_per_minute, low=0)
    if len(tiers) == 0:
        raise _error("tiers", list(tiers), "must list at least one tier")
    for tier in tiers:
        if len(tier) != 3:
            raise _error("tiers", tier, "each tier must be (name, requests_per_minute, "
                                        "usd_per_month or None)")
        name, limit, fee = tier
        check_range(f"tiers[{name!r}].requests_per_minute", limit, low=0, low_open=True)
        if fee is not None:
            check_range(f"tiers[{name!r}].usd_per_month", fee, low=0)
    names = [tier[0] for tier in tiers]
    if len(set(names)) != len(names):
        raise _error("tiers", names, "tier names must be unique")
    limits = np.array([tier[1] for tier in tiers], dtype=float)
    if np.any(np.diff(limits) <= 0):
        raise _error("tiers", limits.tolist(),
                     "limits must strictly increase from one tier to the next")
    if current_tier not in names:
        raise _error("current_tier", current_tier, f"must be one of {names}")
    fees = np.array([np.nan if tier[2] is None else tier[2] for tier in tiers], dtype=float)
    labels = np.array([*names, None], dtype=object)
    current = names.index(current_tier)

    rate = np.asarray(requests_per_minute, dtype=float)
    lowest = np.searchsorted(limits, rate, side="left")
    feasible = lowest < len(tiers)
    fee = np.where(feasible, fees[np.minimum(lowest, len(tiers) - 1)], np.inf)
    extra = np.where(lowest == current, 0.0, fee - fees[current])
    return RateLimitCheck(
        suffices=_out(rate <= limits[current]),
        feasible=_out(feasible),
        tier=_out(labels[lowest]),
        usd_per_month=_out(fee),
        extra_usd_per_month=_out(np.where(feasible, extra, np.inf)),
    )


# --------------------------------------------------------------------------- queueing (M/M/c)


def erlang_b(traffic_erlangs: ArrayLike, servers: ArrayLike) -> FloatOrArray:
    """Erlang B blocking probability of offered traffic on a number of servers.

    Computed with the stable recursion ``B(0) = 1``,
    ``B(k) = A B(k-1) / (k + A B(k-1))``, which never forms ``A**c`` or ``c!``; it takes
    ``max(servers)`` vectorized steps.

    Parameters
    ----------
    traffic_erlangs : float or array_like
        Offered traffic A = arrival rate x mean service time, >= 0. [Erlang]
    servers : int or array_like
        Servers c (GPUs), a whole number >= 1. [servers]

    Returns
    -------
    probability : float or ndarray
        Probability that all servers are busy in a loss system, in [0, 1]. [fraction]
    """
    check_range("traffic_erlangs", traffic_erlangs, low=0)
    _check_whole("servers", servers, low=1)
    return _out(_erlang_b(np.asarray(traffic_erlangs, dtype=float), np.asarray(servers)))


def _erlang_b(traffic: np.ndarray, servers: np.ndarray) -> np.ndarray:
    traffic, servers = np.broadcast_arrays(traffic, servers.astype(np.int64))
    blocking = np.ones(traffic.shape)
    step, updated = np.empty(traffic.shape), np.empty(traffic.shape)
    top = int(servers.max()) if servers.size else 0
    for k in range(1, top + 1):
        # In place: B <- A B / (k + A B) where k <= servers, frozen beyond.
        np.multiply(traffic, blocking, out=step)
        np.add(step, k, out=updated)
        np.divide(step, updated, out=updated)
        np.copyto(blocking, updated, where=servers >= k)
    return blocking


def erlang_c(traffic_erlangs: ArrayLike, servers: ArrayLike) -> FloatOrArray:
    """Erlang C probability that a request waits in an M/M/c queue.

    ``C = B / (1 - rho (1 - B))`` with ``B`` the Erlang B probability and
    ``rho = A / c`` the utilization. Where ``rho >= 1`` the queue grows without bound and
    every request waits: the result is 1.

    Parameters
    ----------
    traffic_erlangs : float or array_like
        Offered traffic A = arrival rate x mean service time, >= 0. [Erlang]
    servers : int or array_like
        Servers c (GPUs), a whole number >= 1. [servers]

    Returns
    -------
    probability : float or ndarray
        Probability of waiting, in [0, 1]. [fraction]
    """
    check_range("traffic_erlangs", traffic_erlangs, low=0)
    _check_whole("servers", servers, low=1)
    return _out(_erlang_c(np.asarray(traffic_erlangs, dtype=float), np.asarray(servers)))


def _erlang_c(traffic: np.ndarray, servers: np.ndarray) -> np.ndarray:
    blocking = _erlang_b(traffic, servers)
    rho = traffic / servers
    stable = rho < 1
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = blocking / (1 - rho * (1 - blocking))
    return np.where(stable, np.clip(waiting, 0.0, 1.0), 1.0)


@dataclass(frozen=True)
class QueueLatency:
    """Waits and latencies of an M/M/c queue of requests on GPUs.

    Latency is wait plus service: the time from a request's arrival to its image. Where the
    queue is unstable (utilization >= 1) every wait and latency is ``inf``.

    Attributes
    ----------
    utilization : float or ndarray
        Offered traffic per GPU, ``requests_per_second * service_seconds / gpus``; a value
        >= 1 means the GPUs cannot keep up. [fraction]
    feasible : bool or ndarray
        The queue is stable (utilization < 1).
    p_wait : float or ndarray
        Probability that a request waits (Erlang C). [fraction]
    mean_wait_seconds, p50_wait_seconds, p95_wait_seconds : float or ndarray
        Mean, median and 95th percentile of the wait before service. [s]
    mean_latency_seconds, p50_latency_seconds, p95_latency_seconds : float or ndarray
        Mean, median and 95th percentile of wait plus service. [s]
    """

    utilization: FloatOrArray
    feasible: np.ndarray | np.bool_
    p_wait: FloatOrArray
    mean_wait_seconds: FloatOrArray
    p50_wait_seconds: FloatOrArray
    p95_wait_seconds: FloatOrArray
    mean_latency_seconds: FloatOrArray
    p50_latency_seconds: FloatOrArray
    p95_latency_seconds: FloatOrArray


def _check_queue_inputs(requests_per_second: ArrayLike, service_seconds: ArrayLike,
                        gpus: ArrayLike) -> None:
    check_range("requests_per_second", requests_per_second, low=0)
    check_range("service_seconds", service_seconds, low=0, low_open=True)
    _check_whole("gpus", gpus, low=1)


def _queue(requests_per_second: ArrayLike, service_seconds: ArrayLike, gpus: ArrayLike):
    """Broadcast inputs and the M/M/c basics: utilization, stability, P(wait), service rate
    and the decay rate ``gpus / service_seconds - requests_per_second`` of the wait tail."""
    rate, service, servers = np.broadcast_arrays(np.asarray(requests_per_second, dtype=float),
                                                 np.asarray(service_seconds, dtype=float),
                                                 np.asarray(gpus, dtype=float))
    traffic = rate * service
    utilization = traffic / servers
    stable = utilization < 1
    p_wait = _erlang_c(traffic, servers)
    decay = np.where(stable, (servers - traffic) / service, 1.0)
    return utilization, stable, p_wait, 1 / service, decay


def _wait_quantile(quantile: ArrayLike, p_wait: np.ndarray, decay: np.ndarray) -> np.ndarray:
    # P(W > t) = p_wait * exp(-decay * t); the quantile is 0 while P(W = 0) covers it.
    return np.log(np.maximum(p_wait / (1 - quantile), 1.0)) / decay


def _latency_quantile(quantile: ArrayLike, p_wait: np.ndarray, service_rate: np.ndarray,
                      decay: np.ndarray) -> np.ndarray:
    # Latency = W + S with S ~ Exp(service_rate) independent of W, so
    # P(W + S > t) = exp(-mu t) + p_wait mu (exp(-a t) - exp(-b t)) / (b - a)
    # with a, b the smaller and larger of mu and the wait decay; written with expm1 so that it
    # stays exact when a and b are close.
    slow = np.minimum(service_rate, decay)
    gap = np.maximum(service_rate, decay) - slow
    target = 1 - np.asarray(quantile, dtype=float)
    service_is_slow = service_rate <= decay

    def survival_at_most_target(t: np.ndarray) -> np.ndarray:
        z = gap * t
        slow_part = np.exp(-slow * t)
        fast_part = -np.expm1(-z)        # 1 - exp(-gap t)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(z > 0, fast_part / z, 1.0)
        service_part = np.where(service_is_slow, slow_part, slow_part * (1 - fast_part))
        survival = service_part + p_wait * service_rate * t * slow_part * ratio
        return survival <= target

    # P(W + S > t) <= P(W > t/2) + P(S > t/2) <= (1 + p_wait) exp(-slow t / 2) brackets it.
    high = 2 * np.log((1 + p_wait) / target) / slow
    return _bisect(survival_at_most_target, np.zeros_like(high), high)


def queue_latency(requests_per_second: ArrayLike, service_seconds: ArrayLike,
                  gpus: ArrayLike) -> QueueLatency:
    """Queueing wait and latency of Poisson requests on a number of GPUs (M/M/c, Erlang C).

    The wait W has ``P(W > t) = C exp(-(c / s - lambda) t)`` with C the Erlang C probability,
    c the GPUs, s the mean service time and lambda the arrival rate; latency adds an
    exponential service time. See the module notes: for near-fixed generation times the
    model overstates waits.

    Parameters
    ----------
    requests_per_second : float or array_like
        Mean arrival rate of requests, >= 0. [requests/s]
    service_seconds : float or array_like
        Mean time one GPU takes to serve one request, > 0. [s]
    gpus : int or array_like
        GPUs serving the queue, a whole number >= 1. [GPUs]

    Returns
    -------
    QueueLatency
        Utilization, feasibility, probability of waiting, mean, p50 and p95 of wait and of
        latency; waits and latencies are ``inf`` where utilization >= 1.
    """
    _check_queue_inputs(requests_per_second, service_seconds, gpus)
    utilization, stable, p_wait, service_rate, decay = _queue(requests_per_second,
                                                              service_seconds, gpus)
    def unstable_inf(x: np.ndarray) -> FloatOrArray:
        return _out(np.where(stable, x, np.inf))

    mean_wait = p_wait / decay
    return QueueLatency(
        utilization=_out(utilization),
        feasible=_out(stable),
        p_wait=_out(p_wait),
        mean_wait_seconds=unstable_inf(mean_wait),
        p50_wait_seconds=unstable_inf(_wait_quantile(0.5, p_wait, decay)),
        p95_wait_seconds=unstable_inf(_wait_quantile(0.95, p_wait, decay)),
        mean_latency_seconds=unstable_inf(mean_wait + 1 / service_rate),
        p50_latency_seconds=unstable_inf(_latency_quantile(0.5, p_wait, service_rate, decay)),
        p95_latency_seconds=unstable_inf(_latency_quantile(0.95, p_wait, service_rate, decay)),
    )


def wait_quantile_seconds(quantile: ArrayLike, requests_per_second: ArrayLike,
                          service_seconds: ArrayLike, gpus: ArrayLike) -> FloatOrArray:
    """Any quantile of the M/M/c wait before service (p99 and so on).

    Parameters
    ----------
    quantile : float or array_like
        Probability level, in (0, 1), e.g. 0.99. [fraction]
    requests_per_second : float or array_like
        Mean arrival rate of requests, >= 0. [requests/s]
    service_seconds : float or array_like
        Mean time one GPU takes to serve one request, > 0. [s]
    gpus : int or array_like
        GPUs serving the queue, a whole number >= 1. [GPUs]

    Returns
    -------
    seconds : float or ndarray
        The wait that this fraction of requests does not exceed; ``inf`` where utilization
        >= 1. [s]
    """
    _check_open_unit("quantile", quantile)
    _check_queue_inputs(requests_per_second, service_seconds, gpus)
    _, stable, p_wait, _, decay = _queue(requests_per_second, service_seconds, gpus)
    wait = _wait_quantile(np.asarray(quantile, dtype=float), p_wait, decay)
    return _out(np.where(stable, wait, np.inf))


def latency_quantile_seconds(quantile: ArrayLike, requests_per_second: ArrayLike,
                             service_seconds: ArrayLike, gpus: ArrayLike) -> FloatOrArray:
    """Any quantile of the M/M/c latency (wait plus service), found by bisection.

    Parameters
    ----------
    quantile : float or array_like
        Probability level, in (0, 1), e.g. 0.99. [fraction]
    requests_per_second : float or array_like
        Mean arrival rate of requests, >= 0. [requests/s]
    service_seconds : float or array_like
        Mean time one GPU takes to serve one request, > 0. [s]
    gpus : int or array_like
        GPUs serving the queue, a whole number >= 1. [GPUs]

    Returns
    -------
    seconds : float or ndarray
        The latency that this fraction of requests does not exceed; ``inf`` where
        utilization >= 1. [s]
    """
    _check_open_unit("quantile", quantile)
    _check_queue_inputs(requests_per_second, service_seconds, gpus)
    _, stable, p_wait, service_rate, decay = _queue(requests_per_second, service_seconds, gpus)
    latency = _latency_quantile(quantile, p_wait, service_rate, decay)
    return _out(np.where(stable, latency, np.inf))


# --------------------------------------------------------------------------- cold starts


def cold_start_probability(requests_per_second: ArrayLike,
                           idle_timeout_seconds: ArrayLike) -> FloatOrArray:
    """Fraction of requests that find the model cold, ``exp(-requests_per_second * T)``.

    Assumes Poisson arrivals and one serving instance that stays warm for
    ``idle_timeout_seconds`` after each request and then scales to zero: a request is cold
    when the gap since the previous request exceeds the timeout.

    Parameters
    ----------
    requests_per_second : float or array_like
        Mean arrival rate of requests, >= 0. [requests/s]
    idle_timeout_seconds : float or array_like
        Idle time after which the instance is released, >= 0. [s]

    Returns
    -------
    fraction : float or ndarray
        Probability that a request hits a cold start, in [0, 1]. [fraction]
    """
    check_range("requests_per_second", requests_per_second, low=0)
    check_range("idle_timeout_seconds", idle_timeout_seconds, low=0)
    exponent = np.asarray(requests_per_second, dtype=float) * np.asarray(idle_timeout_seconds,
                                                                          dtype=float)
    return _out(np.exp(-exponent))


@dataclass(frozen=True)
class ColdStartLatency:
    """User-facing latency when some requests hit a cold start.

    Attributes
    ----------
    mean_seconds, p50_seconds, p95_seconds : float or ndarray
        Mean, median and 95th percentile latency over warm and cold requests. [s]
    """

    mean_seconds: FloatOrArray
    p50_seconds: FloatOrArray
    p95_seconds: FloatOrArray


def _check_interval(field: str, low: ArrayLike, high: ArrayLike) -> None:
    check_range(f"{field}_low", low, low=0)
    check_range(f"{field}_high", high, low=0)
    low_arr, high_arr = np.broadcast_arrays(np.asarray(low, float), np.asarray(high, float))
    reversed_ = high_arr < low_arr
    if np.any(reversed_):
        raise _error(f"{field}_high", float(high_arr[reversed_].flat[0]),
                     f"must be >= {field}_low ({float(low_arr[reversed_].flat[0]):g})")


def _uniform_cdf(t: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.clip((t - low) / width, 0.0, 1.0)
    return np.where(width > 0, spread, t >= low)


def cold_start_latency(cold_fraction: ArrayLike, *, warm_seconds_low: ArrayLike,
                       warm_seconds_high: ArrayLike, cold_seconds_low: ArrayLike,
                       cold_seconds_high: ArrayLike) -> ColdStartLatency:
    """Expected, median and p95 latency when a fraction of requests hit a cold start.

    Modeling assumption: a warm request's latency is uniform between the warm bounds and a
    cold request's between the cold bounds (ranges as sources publish them, e.g. warm 2-4 s
    and cold 8-15 s for SDXL APIs in the ImageBench guide, 2026). Equal bounds give a fixed
    time. The cold bounds are the whole latency of a cold request, start-up included, as
    published "time to first image" figures are.

    Parameters
    ----------
    cold_fraction : float or array_like
        Fraction of requests that hit a cold start, in [0, 1], e.g. from
        :func:`cold_start_probability`. [fraction]
    warm_seconds_low, warm_seconds_high : float or array_like
        Range of a warm request's latency, 0 <= low <= high. [s]
    cold_seconds_low, cold_seconds_high : float or array_like
        Range of a cold request's latency, 0 <= low <= high. [s]

    Returns
    -------
    ColdStartLatency
        Mean, median and p95 latency.
    """
    check_range("cold_fraction", cold_fraction, low=0, high=1)
    _check_interval("warm_seconds", warm_seconds_low, warm_seconds_high)
    _check_interval("cold_seconds", cold_seconds_low, cold_seconds_high)
    fraction, warm_low, warm_high, cold_low, cold_high = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (cold_fraction, warm_seconds_low,
                                               warm_seconds_high, cold_seconds_low,
                                               cold_seconds_high)))
    mean = (1 - fraction) * (warm_low + warm_high) / 2 + fraction * (cold_low + cold_high) / 2
    low = np.minimum(warm_low, cold_low)
    high = np.maximum(warm_high, cold_high)

    def quantile(level: float) -> FloatOrArray:
        def reached(t: np.ndarray) -> np.ndarray:
            cdf = ((1 - fraction) * _uniform_cdf(t, warm_low, warm_high)
                   + fraction * _uniform_cdf(t, cold_low, cold_high))
            return cdf >= level

        return _out(_bisect(reached, low, high))

    return ColdStartLatency(mean_seconds=_out(mean), p50_seconds=quantile(0.5),
                            p95_seconds=quantile(0.95))


# --------------------------------------------------------------------------- demand profiles


def _check_hours(hours: int) -> None:
    if hours not in (HOURS_PER_WEEK, HOURS_PER_YEAR):
        raise _error("hours", hours, f"must be {HOURS_PER_WEEK} (a week) or "
                                     f"{HOURS_PER_YEAR} (a year)")


def _check_profile(profile: ArrayLike) -> np.ndarray:
    arr = np.asarray(profile, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] not in (HOURS_PER_WEEK, HOURS_PER_YEAR):
        raise InputError(f"profile: an array of shape {arr.shape} is not allowed; the last "
                         f"axis must hold {HOURS_PER_WEEK} or {HOURS_PER_YEAR} hours")
    check_range("profile", arr, low=0)
    if np.any(arr.sum(axis=-1) == 0):
        raise InputError("profile: all weights are 0; give at least one hour a weight > 0")
    return arr


def _block_profile(hours: int, busy: np.ndarray, peak_factor: np.ndarray) -> np.ndarray:
    """Weight ``peak_factor`` in the busy hours and the rest spread so the mean is 1."""
    busy_hours = busy.sum()
    # Clipped at 0: at the largest factor, hours * (1 - 1e-16) can leave -1e-16.
    base = np.maximum((hours - busy_hours * peak_factor) / (hours - busy_hours), 0.0)
    return np.where(busy, peak_factor[..., None], base[..., None])


def _hour_index(hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day and day of week (0 = Monday) of each hour, starting Monday 00:00."""
    index = np.arange(hours)
    return index % 24, (index // 24) % 7


def _busy_hours(preset: str, hours: int) -> np.ndarray:
    """Peak hours of the block presets: weekday business hours, or 18:00 every day."""
    hour_of_day, day_of_week = _hour_index(hours)
    if preset == "business_hours":
        return (day_of_week < 5) & (hour_of_day >= 9) & (hour_of_day < 17)
    return hour_of_day == 18


def _seasonal_months(amplitude: np.ndarray) -> np.ndarray:
    # Peak in December (month index 11), trough in June; clipped at 0 for amplitude 1 + 1e-16.
    angle = 2 * np.pi * (np.arange(12) - 11) / 12
    return np.maximum(1 + amplitude[..., None] * np.cos(angle), 0.0)


# Mean of cos over the year's hours, month lengths weighted: the seasonal peak-to-mean ratio
# of 1 + a cos is (1 + a) / (1 + a * _SEASONAL_COS_MEAN).
_SEASONAL_COS_MEAN = float(np.sum(_DAYS_PER_MONTH * np.cos(2 * np.pi * (np.arange(12) - 11)
                                                            / 12)) / 365)
_SEASONAL_MAX_PEAK_FACTOR = 2 / (1 + _SEASONAL_COS_MEAN)


def demand_profile(preset: str, peak_factor: ArrayLike | None = None,
                   hours: int = HOURS_PER_WEEK) -> np.ndarray:
    """Hourly demand weights (mean 1) for a preset shape with a given peak-to-mean factor.

    The presets are costlib's modeling assumptions, not published figures. Hours start on a
    Monday at 00:00; a year is 365 days (8760 hours). Each preset meets ``peak_factor``
    exactly: ``peak_to_mean(demand_profile(p, f, h)) == f``.

    - ``"steady"``: flat; takes no peak factor (or 1).
    - ``"business_hours"``: Monday to Friday 09:00-17:00 (40 of 168 hours) at the peak, the
      other hours equal and lower; peak factor in [1, 4.2] for a week, [1, 4.195] for a year
      (its 2088 business hours); at the top there is no demand off hours.
    - ``"spiky"``: one spike hour a day, 18:00-19:00 (say a daily campaign or release), the
      other 23 hours equal and lower; peak factor in [1, 24].
    - ``"seasonal"``: only with ``hours=8760``; monthly weights ``1 + a cos`` peaking in
      December and lowest in June, flat within each month; peak factor in [1, ~2.005]
      (at the top June has no demand). Combine seasonality with a weekly shape through
      :func:`yearly_profile`.

    Parameters
    ----------
    preset : str
        One of "steady", "business_hours", "seasonal", "spiky". [-]
    peak_factor : float or array_like, optional
        Peak hour over mean hour; required except for "steady". An array gives one profile
        per element, stacked on the leading axes. [ratio]
    hours : int, default 168
        168 for an hour-of-week profile or 8760 for a year. [h]

    Returns
    -------
    weights : ndarray
        Shape ``np.shape(peak_factor) + (hours,)``, mean 1 along the last axis. [ratio]
    """
    top = max_peak_factor(preset, hours)
    if preset == "steady":
        if peak_factor is not None:
            check_range("peak_factor", peak_factor, low=1)
            if np.any(np.asarray(peak_factor) != 1):
                raise _error("peak_factor", peak_factor,
                             "the 'steady' preset is flat: leave it out or give 1")
        return np.ones(np.shape(peak_factor) + (hours,))
    if peak_factor is None:
        raise _error("peak_factor", None,
                     f"the {preset!r} preset needs a peak factor in [1, {top:.4g}]")
    check_range("peak_factor", peak_factor, low=1, high=top)
    factor = np.asarray(peak_factor, dtype=float)
    if preset == "seasonal":
        # Solve (1 + a) / (1 + a k) = peak_factor for the amplitude a.
        amplitude = (factor - 1) / (1 - factor * _SEASONAL_COS_MEAN)
        return yearly_profile(np.ones(HOURS_PER_WEEK), _seasonal_months(amplitude))
    return _block_profile(hours, _busy_hours(preset, hours), factor)


def max_peak_factor(preset: str, hours: int = HOURS_PER_WEEK) -> float:
    """Largest peak factor a preset of :func:`demand_profile` allows (e.g. a slider's end).

    At this factor all demand falls in the busy hours (for "seasonal": none in June).

    Parameters
    ----------
    preset : str
        One of "steady", "business_hours", "seasonal", "spiky". [-]
    hours : int, default 168
        168 for an hour-of-week profile or 8760 for a year ("seasonal": 8760 only). [h]

    Returns
    -------
    peak_factor : float
        1 for "steady", 4.2 (week) or 4.195 (year) for "business_hours", 24 for "spiky",
        about 2.005 for "seasonal". [ratio]
    """
    if preset not in PRESETS:
        raise _error("preset", preset, f"must be one of {list(PRESETS)}")
    _check_hours(hours)
    if preset == "steady":
        return 1.0
    if preset == "seasonal":
        if hours != HOURS_PER_YEAR:
            raise _error("hours", hours,
                         f"the 'seasonal' preset needs {HOURS_PER_YEAR} (a year)")
        return _SEASONAL_MAX_PEAK_FACTOR
    return hours / int(_busy_hours(preset, hours).sum())


def yearly_profile(weekly_weights: ArrayLike, monthly_weights: ArrayLike) -> np.ndarray:
    """A year of hourly weights (mean 1): a weekly pattern times monthly seasonality.

    The week repeats from Monday 00:00 over 365 days; every hour of a month is scaled by that
    month's weight; the result is rescaled to mean 1.

    Parameters
    ----------
    weekly_weights : array_like
        Hour-of-week weights, last axis of length 168, >= 0. [ratio]
    monthly_weights : array_like
        Weights of January to December, last axis of length 12, >= 0. [ratio]

    Returns
    -------
    weights : ndarray
        Last axis of length 8760, leading axes broadcast from both inputs. [ratio]
    """
    weekly = np.asarray(weekly_weights, dtype=float)
    monthly = np.asarray(monthly_weights, dtype=float)
    if weekly.ndim == 0 or weekly.shape[-1] != HOURS_PER_WEEK:
        raise InputError(f"weekly_weights: an array of shape {weekly.shape} is not allowed; "
                         f"the last axis must hold {HOURS_PER_WEEK} hours")
    if monthly.ndim == 0 or monthly.shape[-1] != 12:
        raise InputError(f"monthly_weights: an array of shape {monthly.shape} is not allowed; "
                         "the last axis must hold 12 months")
    check_range("weekly_weights", weekly, low=0)
    check_range("monthly_weights", monthly, low=0)
    _, day_of_week = _hour_index(HOURS_PER_YEAR)
    hour_of_week = day_of_week * 24 + np.arange(HOURS_PER_YEAR) % 24
    month_of_hour = np.repeat(np.arange(12), _DAYS_PER_MONTH * 24)
    weights = weekly[..., hour_of_week] * monthly[..., month_of_hour]
    total = weights.mean(axis=-1, keepdims=True)
    if np.any(total == 0):
        raise InputError("weekly_weights, monthly_weights: together they give no demand in any "
                         "hour; give some hour and its month a weight > 0")
    return weights / total


def peak_to_mean(profile: ArrayLike) -> FloatOrArray:
    """Peak hour over mean hour of a demand profile.

    Parameters
    ----------
    profile : array_like
        Hourly weights, last axis of length 168 or 8760, >= 0, not all zero. [ratio]

    Returns
    -------
    ratio : float or ndarray
        ``max / mean`` along the last axis, >= 1. [ratio]
    """
    weights = _check_profile(profile)
    return _out(weights.max(axis=-1) / weights.mean(axis=-1))


def hourly_images(images_per_month: ArrayLike, profile: ArrayLike) -> np.ndarray:
    """Images in each hour of a profile for a monthly volume.

    The profile is rescaled to mean 1 and multiplied by the mean hourly volume,
    ``images_per_month / 730``. For a year-long profile ``images_per_month`` is the average
    month (a twelfth of the year's volume), so seasonal months get more or less.

    Parameters
    ----------
    images_per_month : float or array_like
        Average monthly volume, >= 0; broadcasts against the profile's leading axes.
        [images/month]
    profile : array_like
        Hourly weights, last axis of length 168 or 8760, >= 0, not all zero. [ratio]

    Returns
    -------
    images : ndarray
        Images in each hour, shape ``broadcast(images_per_month, profile[..., 0]) + (hours,)``.
        [images/h]
    """
    check_range("images_per_month", images_per_month, low=0)
    weights = _check_profile(profile)
    normalized = weights / weights.mean(axis=-1, keepdims=True)
    hourly_mean = np.asarray(images_per_month, dtype=float) / HOURS_PER_MONTH
    return hourly_mean[..., None] * normalized


def gpus_for_peak(images_per_month: ArrayLike, profile: ArrayLike,
                  gpu_images_per_hour: ArrayLike, utilization: ArrayLike) -> FloatOrArray:
    """GPUs needed to serve the peak hour of a demand profile at a target utilization.

    ``gpus_for_volume(images_per_month / 730 * peak_to_mean(profile), ...)``. Within the hour
    requests still arrive at random: check waits at that count with :func:`queue_latency`.

    Parameters
    ----------
    images_per_month : float or array_like
        Average monthly volume, >= 0. [images/month]
    profile : array_like
        Hourly weights, last axis of length 168 or 8760, >= 0, not all zero. [ratio]
    gpu_images_per_hour : float or array_like
        Throughput of one GPU, > 0. [images/h]
    utilization : float or array_like
        Target busy fraction of each GPU in the peak hour, in (0, 1]. [fraction]

    Returns
    -------
    gpus : float or ndarray
        Whole number of GPUs. [GPUs]
    """
    check_range("images_per_month", images_per_month, low=0)
    peak_images_per_hour = (np.asarray(images_per_month, dtype=float) / HOURS_PER_MONTH
                            * peak_to_mean(profile))
    return gpus_for_volume(peak_images_per_hour, gpu_images_per_hour, utilization)


def preset_profile(preset: str, peak_factor: ArrayLike | None = None,
                   hours: int = HOURS_PER_YEAR) -> np.ndarray:
    """Hourly weights of a scenario's variability preset, tolerant of its peak factor.

    :func:`demand_profile` with two allowances for scenario data: "steady" ignores the peak
    factor (the cost model's steady peak factor, e.g. 1.2, is hour-to-hour noise that a flat
    profile has none of), and a peak factor above what the preset can give is lowered to its
    maximum (:func:`max_peak_factor`), where all demand falls in the busy hours. "seasonal" is
    only defined for a year.

    Parameters
    ----------
    preset : str
        One of "steady", "business_hours", "seasonal", "spiky". [-]
    peak_factor : float, optional
        Peak hour over mean hour, >= 1; required except for "steady". [ratio]
    hours : int, default 8760
        168 for an hour-of-week profile or 8760 for a year. [h]

    Returns
    -------
    weights : ndarray
        Shape ``(hours,)``, mean 1. [ratio]
    """
    top = max_peak_factor(preset, hours)
    if preset == "steady":
        return demand_profile(preset, hours=hours)
    if peak_factor is None:
        raise _error("peak_factor", None, f"the {preset!r} preset needs a peak factor >= 1")
    check_range("peak_factor", peak_factor, low=1)
    return demand_profile(preset, np.minimum(peak_factor, top), hours)


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
        variability preset and peak factor for a year (:func:`preset_profile`). [ratio]
    max_gpus : int, default 64
        Largest count to consider, a whole number >= 1. [GPUs]

    Returns
    -------
    HybridPlan
        The cost curve over the counts and the cheapest count.
    """
    _check_whole("max_gpus", max_gpus, low=1)
    local_option, api_option = model.option(local), model.option(api)
    if not (isinstance(local_option, OwnedGPU) or (isinstance(local_option, RentedGPU)
                                                   and local_option.billing == "reserved")):
        raise _error("local", local, "must name a reserved rental or owned option: an "
                                     "on-demand rental or an API holds no GPUs for a base load")
    if api_option.kind != "api":
        raise _error("api", api, "must name an API option")
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
