"""Break-even volume and flip points: one crossing solver for all of them (the payback month
comes from the cash flow, :func:`costlib.cashflow.payback_month`).

The cost functions have steps (whole GPUs, discount tiers), so a crossing cannot be found
from a formula. :func:`crossings` finds where a difference changes sign along a grid, for
many rows at once (one row for the base case, one per Monte Carlo sample, one per factor and
direction of a flip-point search), in three vectorized passes: the difference on a coarse
grid per row; a fine grid of :data:`FINE_STEPS` steps over each coarse step where the sign
changes; then, in that fine step, the zero of the line through its two ends (the costs are
linear between their whole-GPU and tier steps), checked just before and after it, and
bisection on the real cost functions where the check fails (a step). Every answer in the
package (the CLI, the decision, the charts, the report, the Monte Carlo sample) comes from
this one solver, so the base case and a sample with every range collapsed agree exactly.

A change that starts and ends between two coarse grid values is missed. Where the cheaper
option never changes, the answer is ``inf`` (documented, not an exception).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from costlib.errors import InputError, check_range
from costlib.options import Operations, Option, Workload
from costlib.sizing import bisect
from costlib.tco import monthly_cost_usd

# 0 and 240 geometric steps of 9 % from 1 image/month to the top of the search
VOLUME_GRID_POINTS = 241
FINE_STEPS = 64  # over each coarse step where the sign changes: 0.14 % of a 9 % step each
# halvings of a fine step: 2**-14 of 1.3e-4 of the value leaves 8e-9 of it, far below the
# three significant digits any view shows
BISECTION_STEPS = 14
MAX_IMAGES_PER_MONTH = 1e9
_CELLS_PER_CHUNK = 500_000  # cost evaluations per vectorized call: bounds the memory


def _filled_sign(diff: np.ndarray, before=None) -> np.ndarray:
    """The sign of ``diff`` (rows x columns) with exact ties carrying the sign before them, so
    a touch is not a crossing; leading ties take ``before`` (per row), else the first
    non-zero sign of the row."""
    sign = np.sign(diff)
    columns = np.arange(sign.shape[-1])
    idx = np.where(sign != 0, columns, 0)
    np.maximum.accumulate(idx, axis=-1, out=idx)
    filled = np.take_along_axis(sign, idx, axis=-1)
    if before is None:
        before = np.take_along_axis(sign, np.argmax(sign != 0, axis=-1)[..., None], -1)[..., 0]
    return np.where(filled == 0, np.asarray(before)[..., None], filled)


def _changes(filled: np.ndarray, first_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(row, i)`` of every step i -> i + 1 of a filled sign array where the sign changes,
    or only the first per row."""
    change = filled[:, 1:] * filled[:, :-1] < 0
    if first_only:
        change &= np.cumsum(change, axis=1) == 1
    return np.nonzero(change)


def _scan(diff: Callable, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``diff(x, rows)`` over a 2-d ``x`` (one row per entry of ``rows``), in chunks."""
    out = np.empty(x.shape)
    chunk = max(1, _CELLS_PER_CHUNK // x.shape[1])
    for start in range(0, x.shape[0], chunk):
        part = slice(start, start + chunk)
        out[part] = np.broadcast_to(diff(x[part], rows[part]), x[part].shape)
    return out


def crossings(diff: Callable, grid, rows: int = 1, *, first_only: bool = False):
    """Where ``diff`` changes sign along the rows of ``grid``: the one crossing solver.

    Parameters
    ----------
    diff : callable  ``diff(x, rows)`` -> array shaped like ``x``: the difference at the
        values ``x`` (2-d, one row per entry of the index array ``rows``). Only its sign is
        used. [any]
    grid : array_like  Values to scan, 1-d (shared by every row) or ``(rows, points)``,
        ordered (ascending or descending) along each row. [unit of x]
    rows : int  Number of rows (samples, factors...).
    first_only : bool  Only the first change along each row.

    Returns
    -------
    (row, x, side) : ndarrays  One entry per crossing, in row order and along the grid: the
        row it belongs to, the first value on the far side of the change (to 1e-12 relative
        where the difference is linear there, else to 2**-14 of the fine step), and the sign
        of ``diff`` before it. [-, unit of x, -]
    """
    grid = np.asarray(grid, dtype=float)
    grid = np.broadcast_to(grid if grid.ndim == 2 else grid[None, :], (rows, grid.shape[-1]))
    all_rows = np.arange(rows)
    coarse = _filled_sign(_scan(diff, grid, all_rows))
    row, i = _changes(coarse, first_only)
    if row.size == 0:  # nothing changes sign: no fine pass, no bisection
        return row, np.empty(0), np.empty(0)
    start, stop = grid[row, i], grid[row, i + 1]
    fine = start[:, None] + (stop - start)[:, None] * np.linspace(0.0, 1.0, FINE_STEPS + 1)
    fine_diff = _scan(diff, fine, row)
    filled = _filled_sign(fine_diff, before=coarse[row, i])
    bracket, j = _changes(filled, first_only)
    row = row[bracket]
    side = filled[bracket, j]
    low, high = fine[bracket, j], fine[bracket, j + 1]
    x = _secant(diff, row, side, low, high, fine_diff[bracket, j], fine_diff[bracket, j + 1])
    jumps = np.isnan(x)  # the difference jumps in the step (a whole GPU, a tier): bisect
    if jumps.any():
        r, s = row[jumps], side[jumps]
        x[jumps] = bisect(lambda mid: np.sign(diff(mid[:, None], r)[:, 0]) != s,
                          low[jumps], high[jumps], BISECTION_STEPS)
    return row, x, side


def _secant(diff, row, side, low, high, diff_low, diff_high) -> np.ndarray:
    """Where the difference is linear across a fine step (the cost functions are, between
    their whole-GPU and tier steps), the point where the line meets zero, nudged to the far
    side and checked there and just before it; nan where the check fails."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = low + (high - low) * diff_low / (diff_low - diff_high)
    nudge = 1e-12 * np.maximum(np.abs(x), 1.0) * np.sign(high - low)
    x = np.where(np.isfinite(x), x, low)
    near, far = np.clip(x - nudge, *_sorted(low, high)), np.clip(x + nudge, *_sorted(low, high))
    sides = np.sign(diff(np.stack([near, far], axis=1), row))
    ok = (sides[:, 0] == side) & (sides[:, 1] != side)
    return np.where(ok, far, np.nan)


def _sorted(a, b):
    return np.minimum(a, b), np.maximum(a, b)


def _volume_grid(max_images_per_month: float) -> np.ndarray:
    return np.concatenate(([0.0], np.geomspace(1.0, max_images_per_month,
                                               VOLUME_GRID_POINTS - 1)))


def crossings_against(a: Option, others: dict[str, Option], workload: Workload,
                       ops: Operations, max_images_per_month: float = MAX_IMAGES_PER_MONTH
                       ) -> dict[str, list[float]]:
    """Every monthly volume in ``(0, max]`` at which the cheaper of ``a`` and each of
    ``others`` changes: one solver call for all of them (a row per other option).

    Parameters
    ----------
    a : Option  The option compared against each of the others.
    others : dict  ``{name: Option}``.
    workload : Workload  Everything but the volume, which is varied.
    ops : Operations
    max_images_per_month : float  Upper end of the search. [images/month]

    Returns
    -------
    dict  ``{name: volumes, ascending}``. [images/month]
    """
    check_range("max_images_per_month", max_images_per_month, 1)
    options = list(others.values())

    def cost(option, images):
        return monthly_cost_usd(option, dataclasses.replace(workload, images_per_month=images),
                                ops)

    def diff(images, rows):
        out = np.broadcast_to(cost(a, images), images.shape).copy()
        for k in np.unique(rows):
            mine = rows == k
            out[mine] -= np.broadcast_to(cost(options[k], images[mine]), out[mine].shape)
        return out

    row, volumes, _ = crossings(diff, _volume_grid(max_images_per_month), len(options))
    return {name: [float(v) for v in volumes[row == k]] for k, name in enumerate(others)}


def crossings_images_per_month(a: Option, b: Option, workload: Workload, ops: Operations,
                               max_images_per_month: float = MAX_IMAGES_PER_MONTH
                               ) -> list[float]:
    """Every monthly volume in ``(0, max]`` at which the cheaper of ``a`` and ``b`` changes,
    ascending (:func:`crossings_against` for one option). [images/month]"""
    return crossings_against(a, {"b": b}, workload, ops, max_images_per_month)["b"]


def breakeven_images_per_month(a: Option, b: Option, workload: Workload, ops: Operations,
                               max_images_per_month: float = MAX_IMAGES_PER_MONTH) -> float:
    """The first monthly volume at which the cheaper of ``a`` and ``b`` changes.

    Returns ``inf`` where one option is cheaper (or they tie) at every volume up to
    ``max_images_per_month``. Where a whole-GPU step causes the change, this is the step's
    volume and the costs jump there rather than meet. [images/month]
    """
    found = crossings_images_per_month(a, b, workload, ops, max_images_per_month)
    return found[0] if found else math.inf


def breakeven_samples(model, a: str, b: str, draws: dict[str, np.ndarray],
                      max_images_per_month: float = MAX_IMAGES_PER_MONTH) -> np.ndarray:
    """The break-even volume of two options for every sample of the other inputs.

    Per sample, the first monthly volume in ``(0, max]`` at which the cheaper of ``a`` and
    ``b`` changes: :func:`breakeven_images_per_month` for every sample at once, by the same
    solver on the same grid (a sample whose inputs are the base values gives the base
    answer). A sampled volume is replaced by the grid.

    Parameters
    ----------
    model : costlib.scenario.Model
    a, b : str  Option names.
    draws : dict  ``{path: ndarray}`` of equal length, e.g.
        :func:`costlib.uncertainty.sample_inputs`.
    max_images_per_month : float  Upper end of the search. [images/month]

    Returns
    -------
    ndarray  One volume per sample; ``inf`` where the cheaper option never changes.
        [images/month]
    """
    model.option(a), model.option(b)
    check_range("max_images_per_month", max_images_per_month, 1)
    draws = {p: np.asarray(v, dtype=float) for p, v in draws.items()
             if p != "workload.images_per_month"}
    lengths = {v.shape for v in draws.values()}
    if len(lengths) > 1 or any(len(s) != 1 for s in lengths):
        raise InputError("draws: arrays of shapes "
                         f"{sorted(lengths)} are not allowed; give one 1-d length for all")
    n = next(iter(lengths))[0] if lengths else 1

    def diff(images, rows):
        m = model.with_values({**{p: v[rows, None] for p, v in draws.items()},
                               "workload.images_per_month": images})
        return (monthly_cost_usd(m.options[a], m.workload, m.ops)
                - monthly_cost_usd(m.options[b], m.workload, m.ops))

    row, found, _ = crossings(diff, _volume_grid(max_images_per_month), n, first_only=True)
    volumes = np.full(n, np.inf)
    volumes[row] = found
    return volumes


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

    def diff(x, _rows):
        m = model.with_values({path: x})
        return (monthly_cost_usd(m.options[a], m.workload, m.ops)
                - monthly_cost_usd(m.options[b], m.workload, m.ops))

    _, found, _ = crossings(diff, np.linspace(low, high, VOLUME_GRID_POINTS),
                            first_only=True)
    return float(found[0]) if found.size else math.inf
