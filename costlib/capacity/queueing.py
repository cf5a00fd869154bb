"""Queueing of requests on GPUs: Erlang B and C, and the waits and latencies of an M/M/c
queue (mean, median, p95 and any quantile).

The M/M/c model assumes Poisson arrivals, exponential service times, first come first
served and no abandonment. GPU image generation takes a nearly fixed time per image, so
M/M/c is conservative: for one GPU it predicts twice the mean wait of a fixed service time
(Pollaczek-Khinchine), and its latency spread is wider than a measured one.

Functions broadcast like numpy ufuncs (a scalar in gives a scalar out); bad input raises
:class:`costlib.errors.InputError` naming the field. Times are in seconds, rates in requests
per second. Where the GPUs cannot keep up (utilization >= 1) waits are ``inf`` and results
carry ``feasible`` False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from costlib.errors import check_range
from costlib.sizing import FloatOrArray, _check_whole, _error, _out, bisect


def _check_open_unit(field: str, value: ArrayLike) -> None:
    """Raise InputError unless every element lies strictly between 0 and 1."""
    check_range(field, value, low=0, high=1, low_open=True)
    arr = np.asarray(value, dtype=float)
    if np.any(arr == 1):
        raise _error(field, 1.0, "must be > 0 and < 1")


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


def _queue(requests_per_second: ArrayLike, service_seconds: ArrayLike, gpus: ArrayLike):
    """Check and broadcast the inputs; return the M/M/c basics: utilization, stability,
    P(wait), service rate and the decay rate ``gpus / service_seconds - requests_per_second``
    of the wait tail."""
    check_range("requests_per_second", requests_per_second, low=0)
    check_range("service_seconds", service_seconds, low=0, low_open=True)
    _check_whole("gpus", gpus, low=1)
    rate, service, servers = np.broadcast_arrays(np.asarray(requests_per_second, dtype=float),
                                                 np.asarray(service_seconds, dtype=float),
                                                 np.asarray(gpus, dtype=float))
    traffic = rate * service
    utilization = traffic / servers
    stable = utilization < 1
    p_wait = _erlang_c(traffic, servers)
    decay = np.where(stable, (servers - traffic) / service, 1.0)
    return utilization, stable, p_wait, 1 / service, decay


def _inf_where_unstable(stable: np.ndarray, seconds: np.ndarray) -> FloatOrArray:
    return _out(np.where(stable, seconds, np.inf))


def _wait_quantile(quantile: ArrayLike, p_wait: np.ndarray, decay: np.ndarray) -> np.ndarray:
    # P(W > t) = p_wait * exp(-decay * t); the quantile is 0 while P(W = 0) covers it.
    return np.log(np.maximum(p_wait / (1 - np.asarray(quantile, dtype=float)), 1.0)) / decay


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
    return bisect(survival_at_most_target, np.zeros_like(high), high)


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
    utilization, stable, p_wait, service_rate, decay = _queue(requests_per_second,
                                                              service_seconds, gpus)

    def unstable_inf(seconds: np.ndarray) -> FloatOrArray:
        return _inf_where_unstable(stable, seconds)

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
    _, stable, p_wait, _, decay = _queue(requests_per_second, service_seconds, gpus)
    return _inf_where_unstable(stable, _wait_quantile(quantile, p_wait, decay))


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
    _, stable, p_wait, service_rate, decay = _queue(requests_per_second, service_seconds, gpus)
    return _inf_where_unstable(stable, _latency_quantile(quantile, p_wait, service_rate, decay))
