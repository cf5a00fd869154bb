"""The one error type costlib raises for bad input, and small checks that raise it.

Every message is one line naming the field, the bad value and what is allowed, so a
user (or a CLI) can show it as is.
"""

from __future__ import annotations

import math

import numpy as np


class InputError(ValueError):
    """Bad input: the message names the field, the bad value and what is allowed."""


def _bad(field: str, value, allowed: str) -> InputError:
    return InputError(f"{field}: {value!r} is not allowed; {allowed}")


def check_finite(field: str, value) -> None:
    """Raise InputError unless every element of ``value`` is a finite number."""
    if isinstance(value, float | int) and math.isfinite(value):  # the common case, 20x faster
        return
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].flat[0] if arr.ndim else float(arr)
        raise _bad(field, float(bad), "must be a finite number")


def check_range(field: str, value, low: float = -math.inf, high: float = math.inf,
                low_open: bool = False) -> None:
    """Raise InputError unless ``low <= value <= high`` (``low < value`` if ``low_open``).

    Finiteness is checked first, since ``nan < 0`` is False.
    """
    check_finite(field, value)
    arr = np.asarray(value, dtype=float)
    too_low = arr <= low if low_open else arr < low
    bad = too_low | (arr > high)
    if np.any(bad):
        first = float(arr[bad].flat[0]) if arr.ndim else float(arr)
        lo = f"> {low:g}" if low_open else f">= {low:g}"
        allowed = f"must be {lo}" + (f" and <= {high:g}" if math.isfinite(high) else "")
        raise _bad(field, first, allowed)
