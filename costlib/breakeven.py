"""Break-even volume, payback month and flip points, solved on the real cost functions.

The cost functions have steps (whole GPUs, discount tiers), so every solver first scans a
grid in one vectorized call to bracket each change of the cheaper option, then refines it
with scipy's ``brentq`` on the same functions. Where the cheaper option never changes, the
answer is ``inf`` (documented, not an exception).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from costlib.errors import InputError, check_range
from costlib.options import Operations, Option, Workload
from costlib.tco import cash_usd, monthly_cost_usd

_GRID_POINTS = 2001


def _sign_changes(diff: np.ndarray) -> np.ndarray:
    """Indices i where the sign of ``diff`` differs between i and i + 1 (zeros carry over)."""
    sign = np.sign(diff)
    # carry the last non-zero sign over exact ties so a touch is not a crossing
    idx = np.where(sign != 0, np.arange(sign.size), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = sign[idx]
    return np.nonzero(filled[1:] * filled[:-1] < 0)[0]


def _refine(f, lo: float, hi: float) -> float:
    """The change point of ``f`` in ``[lo, hi]`` to within 1e-12 relative."""
    from scipy.optimize import brentq  # imported here: scipy.optimize takes ~0.4 s to load

    return float(brentq(f, lo, hi, xtol=1e-12 * max(abs(lo), 1.0), rtol=1e-14, maxiter=200))


def crossings_images_per_month(a: Option, b: Option, workload: Workload, ops: Operations,
                               max_images_per_month: float = 1e9) -> list[float]:
    """Every monthly volume in ``(0, max]`` at which the cheaper of ``a`` and ``b`` changes.

    Parameters
    ----------
    a, b : Option  The two options.
    workload : Workload  Everything but the volume, which is varied.
    ops : Operations
    max_images_per_month : float  Upper end of the search. [images/month]

    Returns
    -------
    list of float  Volumes, ascending. [images/month]
    """
    check_range("max_images_per_month", max_images_per_month, 1, low_open=False)
    grid = np.concatenate(([0.0], np.geomspace(1.0, max_images_per_month, _GRID_POINTS)))

    def diff(images):
        w = dataclasses.replace(workload, images_per_month=images)
        return monthly_cost_usd(a, w, ops) - monthly_cost_usd(b, w, ops)

    d = diff(grid)
    return [_refine(lambda x: float(diff(x)), grid[i], grid[i + 1])
            for i in _sign_changes(d)]


def breakeven_images_per_month(a: Option, b: Option, workload: Workload, ops: Operations,
                               max_images_per_month: float = 1e9) -> float:
    """The first monthly volume at which the cheaper of ``a`` and ``b`` changes.

    Returns ``inf`` where one option is cheaper (or they tie) at every volume up to
    ``max_images_per_month``. Where a whole-GPU step causes the change, this is the step's
    volume and the costs jump there rather than meet. [images/month]
    """
    found = crossings_images_per_month(a, b, workload, ops, max_images_per_month)
    return found[0] if found else math.inf


def payback_months(owned: Option, alternative: Option, workload: Workload,
                   ops: Operations):
    """Months until buying hardware has paid for itself against ``alternative``.

    The purchase is paid at month 0; each month saves the alternative's cost less the owned
    option's cash cost. ``inf`` where it never saves. [months]
    """
    upfront, own_monthly = cash_usd(owned, workload, ops)
    alt_upfront, alt_monthly = cash_usd(alternative, workload, ops)
    saving = alt_monthly - own_monthly
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(saving > 0, (upfront - alt_upfront) / saving, np.inf)
    return np.maximum(months, 0.0)


def flip_value(model, path: str, a: str, b: str, low: float | None = None,
               high: float | None = None) -> float:
    """The value of one input at which the cheaper of options ``a`` and ``b`` changes.

    Parameters
    ----------
    model : costlib.scenario.Model  A resolved scenario.
    path : str  The input to vary, e.g. ``options.replicate_sdxl.usd_per_image``.
    a, b : str  Option names.
    low, high : float  Search range; by default the input's own range widened to 0.1x-10x
        of its value. [unit of the input]

    Returns
    -------
    float  The first flip value from ``low`` upward, or ``inf`` if the cheaper option is
    the same over the whole range. [unit of the input]
    """
    if path not in model.inputs:
        raise InputError(f"vary: {path!r} is not allowed; must be one of "
                         f"{', '.join(model.inputs)}")
    model.option(a), model.option(b)
    base = model.inputs[path]
    low = min(base.low, base.value * 0.1) if low is None else low
    high = max(base.high, base.value * 10.0) if high is None else high
    if not low < high:
        raise InputError(f"{path}: range {low:g}..{high:g} is not allowed; low must be "
                         "below high")
    grid = np.linspace(low, high, _GRID_POINTS)

    def diff(x):
        m = model.with_values({path: x})
        return (monthly_cost_usd(m.options[a], m.workload, m.ops)
                - monthly_cost_usd(m.options[b], m.workload, m.ops))

    changes = _sign_changes(np.broadcast_to(diff(grid), grid.shape))
    if changes.size == 0:
        return math.inf
    i = changes[0]
    return _refine(lambda x: float(diff(x)), grid[i], grid[i + 1])
