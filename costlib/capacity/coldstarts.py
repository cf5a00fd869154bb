"""Cold starts: how often a scale-to-zero deployment finds its model cold, and the latency
users see when some requests wait for a cold start.

Functions broadcast like numpy ufuncs (a scalar in gives a scalar out); bad input raises
:class:`costlib.errors.InputError` naming the field. Times are in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from costlib.errors import check_range
from costlib.sizing import FloatOrArray, _error, _out, bisect


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

        return _out(bisect(reached, low, high))

    return ColdStartLatency(mean_seconds=_out(mean), p50_seconds=quantile(0.5),
                            p95_seconds=quantile(0.95))
