"""Demand profiles: hourly demand weights (mean 1) over a week or a year, from presets
("steady", "business_hours", "seasonal", "spiky") with a chosen peak-to-mean factor, or a
weekly pattern combined with monthly seasonality.

A profile is an array whose last axis holds 168 hours (a week from Monday 00:00) or 8760
hours (a 365-day year); leading axes stack several profiles (e.g. one per peak factor). The
presets are costlib's modeling assumptions, not published figures. :func:`peak_to_mean`,
:func:`hourly_images` turn a profile into its peak ratio and hourly volumes (and
:func:`costlib.sizing.gpus_for_peak` into GPUs); they live in :mod:`costlib.sizing`, below the
cost model, and are re-exported here.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from costlib.errors import InputError, check_range
from costlib.sizing import HOURS_PER_WEEK, HOURS_PER_YEAR, _error, hourly_images, peak_to_mean

__all__ = ["HOURS_PER_WEEK", "HOURS_PER_YEAR", "PRESETS", "demand_profile", "hourly_images",
           "max_peak_factor", "peak_to_mean", "preset_profile", "yearly_profile"]

PRESETS = ("steady", "business_hours", "seasonal", "spiky")

_DAYS_PER_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _check_hours(hours: int) -> None:
    if hours not in (HOURS_PER_WEEK, HOURS_PER_YEAR):
        raise _error("hours", hours, f"must be {HOURS_PER_WEEK} (a week) or "
                                     f"{HOURS_PER_YEAR} (a year)")


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
    if preset == "steady":
        return _preset_profile(preset, None, hours)
    if peak_factor is None:
        raise _error("peak_factor", None, f"the {preset!r} preset needs a peak factor >= 1")
    check_range("peak_factor", peak_factor, low=1)
    if np.ndim(peak_factor) == 0:
        return _preset_profile(preset, float(peak_factor), hours)
    return demand_profile(preset, np.minimum(peak_factor, max_peak_factor(preset, hours)),
                          hours)


@functools.lru_cache(maxsize=32)
def _preset_profile(preset: str, peak_factor: float | None, hours: int) -> np.ndarray:
    """One preset profile, built once (every resolve and decision asks for the scenario's);
    read-only, since callers share it."""
    if peak_factor is None:
        weights = demand_profile(preset, hours=hours)
    else:
        weights = demand_profile(preset, min(peak_factor, max_peak_factor(preset, hours)), hours)
    weights.flags.writeable = False
    return weights
