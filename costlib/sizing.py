"""Sizing: how many GPUs a volume, a peak hour or a deadline needs, and how long GPUs take.

Every function is pure and broadcasts its array arguments like a numpy ufunc, so one call
evaluates a whole grid (a scalar in gives a scalar out). Bad input raises
:class:`costlib.errors.InputError` naming the field. A plan that cannot work is reported as
such, never as a misleading number: GPU counts are ``inf`` where no number of GPUs will do.

Conventions: times in seconds, rates in the unit their name says (``images_per_hour``,
``images_per_month``), money in USD. A month is the average month, 8760 / 12 = 730 hours.
A demand profile is an array of hourly weights whose last axis holds a week (168 hours,
from Monday 00:00) or a year (8760 hours); :mod:`costlib.capacity.profiles` builds them.

**The sizing rule** (one for the cost model, capacity planning, the decision, the hybrid
optimizer and the charts): a GPU generates for at most ``utilization`` of any hour, the
busiest hour included, so a fleet holds ``ceil(peak-hour images / (images_per_hour *
utilization))`` GPUs (:func:`gpus_needed`), never fewer than its ``min_gpus``. The mean hour
then runs well below the target; the headroom left in the peak hour absorbs requests that
arrive at random within it (:func:`costlib.capacity.queue_latency` gives the waits). A
hybrid's local GPUs serve each hour up to the same capacity and send the rest to the API.

This module sits below :mod:`costlib.tco`: it imports only numpy, :mod:`costlib.errors` and
:mod:`costlib.options`. It also holds the small helpers the :mod:`costlib.capacity` modules
share (input checks, rounding) and :func:`bisect`, the one vectorized bisection that
:mod:`costlib.breakeven` and :mod:`costlib.uncertainty` use as well.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from costlib.errors import InputError, check_range
from costlib.options import HOURS_PER_MONTH

HOURS_PER_WEEK = 168
HOURS_PER_YEAR = 8760

# Relative slack that keeps floating-point noise (1000 * 3 / 600 = 5.000000000000001) from
# adding a whole GPU, batch or request when counts are rounded.
_ROUNDING_SLACK = 1e-9
# Bisection halves the bracket each step: 48 steps leave 2**-48 (4e-15) of it, far below any
# time that matters here.
_BISECTION_STEPS = 48

FloatOrArray = float | np.ndarray


# --------------------------------------------------------------------------- shared helpers


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


def _check_profile(profile: ArrayLike) -> np.ndarray:
    """The profile as a float array; InputError unless its last axis is a week or a year of
    weights >= 0, not all zero."""
    arr = np.asarray(profile, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] not in (HOURS_PER_WEEK, HOURS_PER_YEAR):
        raise InputError(f"profile: an array of shape {arr.shape} is not allowed; the last "
                         f"axis must hold {HOURS_PER_WEEK} or {HOURS_PER_YEAR} hours")
    check_range("profile", arr, low=0)
    if np.any(arr.sum(axis=-1) == 0):
        raise InputError("profile: all weights are 0; give at least one hour a weight > 0")
    return arr


def _ceil(x: np.ndarray) -> np.ndarray:
    return np.ceil(x * (1 - _ROUNDING_SLACK))


def _floor(x: np.ndarray) -> np.ndarray:
    return np.floor(x * (1 + _ROUNDING_SLACK))


def _out(x):
    """A 0-d array as a scalar; anything else as is."""
    return x[()] if isinstance(x, np.ndarray) else x


def bisect(holds: Callable[[np.ndarray], np.ndarray], low: ArrayLike,
           high: ArrayLike, steps: int = _BISECTION_STEPS) -> np.ndarray:
    """Smallest t in [low, high] where ``holds(t)``, elementwise, by vectorized bisection.

    The one bisection of costlib (quantiles in :mod:`costlib.capacity`, crossings in
    :mod:`costlib.breakeven`, shape fits in :mod:`costlib.uncertainty`): every element is
    bisected at once, ``steps`` halvings (48 by default, which leave 2**-48, 4e-15, of each
    bracket).

    Parameters
    ----------
    holds : callable
        Takes an array of t shaped like the broadcast brackets and returns a boolean array of
        that shape; must be monotone in t (False, then True) and True at ``high``. [-]
    low, high : array_like
        Brackets, broadcast together, ``low <= high``. [unit of t]
    steps : int
        Halvings. [-]

    Returns
    -------
    t : ndarray
        The upper end of the final bracket: ``holds(t)`` is True there. [unit of t]
    """
    low, high = np.broadcast_arrays(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    for _ in range(steps):
        mid = 0.5 * (low + high)
        ok = holds(mid)
        high = np.where(ok, mid, high)
        low = np.where(ok, low, mid)
    return high


def _check_deadline_inputs(images: ArrayLike, batch_size: ArrayLike) -> None:
    _check_whole("images", images, low=0)
    _check_whole("batch_size", batch_size, low=1)


def _batches(images: ArrayLike, batch_size: ArrayLike) -> np.ndarray:
    """Batches needed for ``images``: the last one may be partly filled."""
    return np.ceil(np.asarray(images, dtype=float) / np.asarray(batch_size, dtype=float))


def _rounds(images: ArrayLike, gpus: ArrayLike, batch_size: ArrayLike) -> np.ndarray:
    """Batches the busiest of ``gpus`` GPUs runs: ``ceil(ceil(images / batch_size) / gpus)``."""
    return np.ceil(_batches(images, batch_size) / np.asarray(gpus, dtype=float))


# --------------------------------------------------------------------------- volume and peak


def _gpus(images_per_hour, gpu_images_per_hour, utilization) -> np.ndarray:
    """The sizing rule, unchecked (the cost model calls it on Monte Carlo arrays)."""
    capacity = np.multiply(gpu_images_per_hour, utilization)
    return _ceil(np.asarray(images_per_hour, dtype=float) / capacity)


def gpus_for_volume(images_per_hour: ArrayLike, gpu_images_per_hour: ArrayLike,
                    utilization: ArrayLike) -> FloatOrArray:
    """GPUs needed to serve an hourly volume at a target utilization.

    ``ceil(images_per_hour / (gpu_images_per_hour * utilization))``: the fewest GPUs whose
    busy fraction stays at or below ``utilization``. It sizes for throughput only; use
    :func:`costlib.capacity.queue_latency` for the waits that a utilization implies.

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
    return _out(_gpus(images_per_hour, gpu_images_per_hour, utilization))


def gpus_needed(images_per_month, images_per_hour, utilization=1.0, peak_factor=1.0,
                min_gpus=0.0):
    """GPUs a fleet holds for a monthly volume: the sizing rule of the module notes.

    ``max(ceil(images_per_month / 730 * peak_factor / (images_per_hour * utilization)),
    min_gpus)``: the busiest hour at the target utilization. Unchecked, for the cost model's
    arrays (the scenario checks its inputs); :func:`gpus_for_peak` is the checked form for a
    demand profile.

    Parameters
    ----------
    images_per_month : array_like  Images to generate. [images/month]
    images_per_hour : array_like  Throughput of one GPU. [images/h]
    utilization : array_like  Share of any hour a GPU generates, in (0, 1]. [fraction]
    peak_factor : array_like  Busiest hour over the mean hour, >= 1. [ratio]
    min_gpus : array_like  Floor on the count. [GPUs]

    Returns
    -------
    ndarray  GPUs. [GPUs]
    """
    peak_per_hour = np.asarray(images_per_month, dtype=float) / HOURS_PER_MONTH \
        * np.asarray(peak_factor, dtype=float)
    return np.maximum(_gpus(peak_per_hour, images_per_hour, utilization), min_gpus)


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
    requests still arrive at random: check waits at that count with
    :func:`costlib.capacity.queue_latency`.

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


# --------------------------------------------------------------------------- deadlines


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
    return _out(_rounds(images, gpus, batch_size) * np.asarray(seconds_per_batch, dtype=float))


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
    with np.errstate(divide="ignore"):
        return _out(np.asarray(deadline_seconds, dtype=float)
                    / _rounds(images, gpus, batch_size))
