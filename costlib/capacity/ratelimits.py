"""API rate limits: the request rate a deadline needs, the images a limit lets through, and
which rate-limit tier carries a rate at what monthly fee.

Functions broadcast like numpy ufuncs (a scalar in gives a scalar out); bad input raises
:class:`costlib.errors.InputError` naming the field. Rates are in requests per minute, as
providers publish their limits; one request returns ``batch_size`` images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from costlib.errors import check_range
from costlib.sizing import (
    FloatOrArray,
    _batches,
    _check_deadline_inputs,
    _check_whole,
    _error,
    _floor,
    _out,
)


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
