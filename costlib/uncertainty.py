"""Uncertainty: Monte Carlo over the input ranges, tornado sensitivity and flip points.

Every range in the catalog and the scenario (``low``..``high``) is read as a 90 % interval:
``low`` is the 5th and ``high`` the 95th percentile. The distribution is selectable:

- ``"pert"`` (default): a beta-PERT whose mode is the input's value; its support is solved so
  that its 5th and 95th percentiles are ``low`` and ``high`` (so it reaches a little beyond
  them).
- ``"triangular"``: the same with a triangular shape (like @RISK's "Trigen").
- ``"lognormal"``: ``ln x`` normal with 5th and 95th percentiles at ``low`` and ``high``; its
  median is ``sqrt(low * high)``, not the value. A range that starts at 0 cannot be
  lognormal: such inputs are drawn from the PERT (listed in ``MonteCarlo.fallbacks``).
- ``"uniform"``: flat, stretched so that 90 % of it lies between ``low`` and ``high``; the
  value is not used.

Inputs whose ``low == high`` are constants and are not sampled. Draws are clipped to each
input's allowed range (:data:`costlib.scenario.LIMITS`: a utilization stays in (0, 1], a
price at or above 0), which puts a little mass on the limit where a range touches it; GPU
counts are rounded to whole GPUs.

Correlation: inputs that come from the same catalog row are one quantity (the A100's
throughput feeds both the on-demand and the reserved A100; the utilization assumption feeds
every reserved or owned GPU) and get the same draw. Everything else is drawn independently.
Each quantity has its own random stream, seeded from the seed and its name, so a draw does not
change when other inputs are added, and two scenarios compared with one seed share their
common draws.

The sample flows through the cost model as arrays, with no Python loop over samples: 100,000
samples of every option take a fraction of a second.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from costlib.breakeven import breakeven_samples, crossings
from costlib.catalog import Sourced, sourced
from costlib.errors import InputError, check_finite
from costlib.labels import option_of
from costlib.sizing import bisect
from costlib.tco import approved_per_month, monthly_cost_usd

DISTRIBUTIONS = ("pert", "triangular", "lognormal", "uniform")
_P_LOW, _P_HIGH = 0.05, 0.95
_Z95 = 1.6448536269514722  # standard normal 95th percentile


# --------------------------------------------------------------------------- factors



@dataclass(frozen=True, kw_only=True)
class Factor(Sourced):
    """One uncertain quantity (value, range, unit, source and date of its inputs): the inputs
    fed by one catalog row, or one input.

    name : str  The catalog row (``table.name``) or the input path.
    paths : tuple of str  The model inputs it sets.
    """

    name: str
    paths: tuple[str, ...]


def options_used_by(model, names: Iterable[str]) -> set[str]:
    """The option names whose inputs can change the cost of ``names`` (hybrids use two)."""
    used = set(names)
    for name in names:
        option = model.options[name]
        used |= {part.name for part in (option.local_part, option.api_part) if part is not None}
    return used


def _option_names(model, options: Sequence[str] | None) -> tuple[str, ...]:
    if options is None:
        return tuple(model.options)
    names = tuple(options)
    if not names:
        raise InputError("options: an empty list is not allowed; name at least one option")
    for name in names:
        model.option(name)
    return names


def factors(model, options: Sequence[str] | None = None) -> list[Factor]:
    """The uncertain quantities of a model: inputs with ``low < high``, grouped by catalog row.

    An input whose value was changed with ``Model.with_values`` (a what-if with no range) is
    a constant at its new value; give a new range with ``Model.with_inputs``.

    Parameters
    ----------
    model : costlib.scenario.Model
    options : sequence of str, optional  Keep only quantities that can change the cost of
        these options (workload, operations and their own inputs). Default: every option.

    Returns
    -------
    list of Factor  In the order of the model's inputs.
    """
    names = _option_names(model, options)
    used = options_used_by(model, names)
    groups: dict[str, list] = {}
    for path, inp in model.inputs.items():
        _check_interval(path, inp.value, inp.low, inp.high)
        current = model.values[path]
        if np.ndim(current) != 0:
            raise InputError(f"{path}: an array of shape {np.shape(current)} is not allowed; "
                             "sample a model whose values are single numbers")
        option = option_of(path)
        if (inp.low == inp.high or float(current) != inp.value
                or (option is not None and option not in used)):
            continue
        groups.setdefault(inp.row or path, []).append(inp)
    return [Factor(name=key, paths=tuple(i.path for i in group), **sourced(group[0]))
            for key, group in groups.items()]


def _check_interval(path: str, value: float, low: float, high: float) -> None:
    for label, v in (("", value), (" (low)", low), (" (high)", high)):
        check_finite(f"{path}{label}", v)
    if low > high:
        raise InputError(f"{path}: low {low!r} is above high {high!r}; the range must have "
                         "low <= value <= high")
    if not low <= value <= high:
        raise InputError(f"{path}: {value!r} is not allowed; must lie within its low..high "
                         f"({low:g}..{high:g})")


# --------------------------------------------------------------------------- distributions


def _check_distribution(distribution: str) -> None:
    if distribution not in DISTRIBUTIONS:
        raise InputError(f"distribution: {distribution!r} is not allowed; must be one of "
                         f"{', '.join(DISTRIBUTIONS)}")


def _unit_quantile(kind: str, mode, p):
    """Quantile ``p`` of the PERT or triangular distribution on [0, 1] with this mode."""
    if kind == "pert":
        from scipy.special import betaincinv

        return betaincinv(1.0 + 4.0 * mode, 5.0 - 4.0 * mode, p)
    with np.errstate(invalid="ignore"):
        return np.where(p <= mode, np.sqrt(p * mode), 1.0 - np.sqrt((1.0 - p) * (1.0 - mode)))


@functools.lru_cache(maxsize=64)
def _fit_unit(kind: str, targets: tuple[float, ...]):
    """Mode position ``t`` and 5th and 95th percentiles of the PERT or triangular distribution
    on [0, 1] whose mode sits at ``target`` of the way from its 5th to its 95th percentile,
    one per target. Cached: an interactive session fits the same shapes on every change.

    With mode t the mode sits at ``g(t) = (t - q5) / (q95 - q5)`` of the way; g rises from
    below 0 to above 1, so bisection finds the t with ``g(t) = target``, all at once.
    """
    target = np.array(targets)

    def past_target(t):
        q_low, q_high = _unit_quantile(kind, t, _P_LOW), _unit_quantile(kind, t, _P_HIGH)
        return (t - q_low) / (q_high - q_low) >= target

    t = bisect(past_target, np.zeros_like(target), np.ones_like(target))
    fitted = (t, _unit_quantile(kind, t, _P_LOW), _unit_quantile(kind, t, _P_HIGH))
    for array in fitted:  # shared by every caller of the cache
        array.flags.writeable = False
    return fitted


def _fit_bounded(kind: str, low: np.ndarray, value: np.ndarray, high: np.ndarray):
    """Support ``(a, width)`` and mode position ``t`` of a PERT or triangular distribution
    with mode ``value`` and 5th and 95th percentiles ``low`` and ``high``, one per factor.
    The shape depends only on where the mode sits in the range (rounded to 1e-12, so a
    range scaled with its value keeps its cached shape)."""
    t, q_low, q_high = _fit_unit(kind, tuple(np.round((value - low) / (high - low), 12)))
    width = (high - low) / (q_high - q_low)
    return low - width * q_low, width, t


def _draw(kind: str, factor: Factor, samples: int, seed: int, fitted) -> np.ndarray:
    """``samples`` draws of one factor from its own stream."""
    rng = np.random.default_rng([seed, zlib.crc32(factor.name.encode())])
    if kind == "uniform":
        width = (factor.high - factor.low) / (_P_HIGH - _P_LOW)
        return factor.low - _P_LOW * width + width * rng.random(samples)
    if kind == "lognormal":
        log_low, log_high = math.log(factor.low), math.log(factor.high)
        sigma = (log_high - log_low) / (2 * _Z95)
        return np.exp(0.5 * (log_low + log_high) + sigma * rng.standard_normal(samples))
    start, width, mode = fitted
    if kind == "pert":
        unit = rng.beta(1.0 + 4.0 * mode, 5.0 - 4.0 * mode, samples)
    else:
        unit = _unit_quantile("triangular", mode, rng.random(samples))
    return start + width * unit


def _clip(path: str, x: np.ndarray) -> np.ndarray:
    from costlib.scenario.schema import input_limits, input_whole

    low, high, open_low = input_limits(path)
    x = np.clip(x, np.nextafter(low, np.inf) if open_low else low, high)
    return np.round(x) if input_whole(path) else x


MAX_SAMPLES = 1_000_000  # a minute and a few GB; more would exhaust memory, not settle more


def check_settings(samples: int, distribution: str, seed: int) -> None:
    """Raise InputError unless ``1 <= samples <= MAX_SAMPLES`` and ``seed >= 0`` are whole
    numbers and the distribution is one of ``DISTRIBUTIONS``."""
    for field, value, low, high in (("samples", samples, 1, MAX_SAMPLES),
                                    ("seed", seed, 0, 2**63 - 1)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            raise InputError(f"{field}: {value!r} is not allowed; must be a whole number "
                             f">= {low}")
        if value > high:
            raise InputError(f"{field}: {value:,} is not allowed; at most {high:,}")
    _check_distribution(distribution)


def _kinds(found: list[Factor], distribution: str) -> list[str]:
    """The distribution of each factor: a lognormal cannot start at 0, the PERT stands in."""
    return [("pert" if distribution == "lognormal" and f.low <= 0 else distribution)
            for f in found]


def sample_inputs(model, samples: int = 10_000, distribution: str = "pert", seed: int = 0,
                  options: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Draw every uncertain input of a model.

    Parameters
    ----------
    model : costlib.scenario.Model
    samples : int  Draws per input. [samples]
    distribution : str  One of ``DISTRIBUTIONS`` (see the module notes).
    seed : int  Seed of the random streams, >= 0; the same seed gives the same draws.
    options : sequence of str, optional  Draw only what can change these options' costs.

    Returns
    -------
    dict  ``{path: ndarray of shape (samples,)}`` for every sampled input; inputs of one
        catalog row get equal arrays. [unit of each input]
    """
    check_settings(samples, distribution, seed)
    found = factors(model, options)
    kinds = _kinds(found, distribution)
    fitted: dict[str, tuple] = {}
    for kind in ("pert", "triangular"):
        mine = [f for f, k in zip(found, kinds, strict=True) if k == kind]
        if mine:
            arrays = (np.array([getattr(f, a) for f in mine]) for a in ("low", "value", "high"))
            start, width, mode = _fit_bounded(kind, *arrays)
            fitted.update({f.name: (start[i], width[i], mode[i]) for i, f in enumerate(mine)})
    draws: dict[str, np.ndarray] = {}
    for factor, kind in zip(found, kinds, strict=True):
        x = _draw(kind, factor, samples, seed, fitted.get(factor.name))
        for path in factor.paths:
            draws[path] = _clip(path, x)
    return draws


# --------------------------------------------------------------------------- Monte Carlo


def _costs(model, names: Sequence[str], shape) -> np.ndarray:
    """Monthly cost of each named option, shape ``(len(names),) + shape``. [USD/month]"""
    return np.stack([np.broadcast_to(monthly_cost_usd(model.options[n], model.workload,
                                                      model.ops), shape) for n in names])


@dataclass(frozen=True)
class MonteCarlo:
    """The result of :func:`monte_carlo`: per option, arrays of one value per sample.

    samples, seed, distribution : the settings used.
    options : tuple of str  The options compared.
    draws : dict  Sampled inputs ``{path: ndarray}``. [unit of each input]
    monthly_usd : dict  ``{option: ndarray}``. [USD/month]
    usd_per_approved : dict  ``{option: ndarray}``. [USD/asset]
    p_cheapest : dict  ``{option: probability}`` that it has the lowest monthly cost; ties
        go to the option listed first. Sums to 1. [0-1]
    breakeven_options : tuple of str or None  The pair whose break-even volume was sampled.
    breakeven_images_per_month : ndarray or None  Per sample, the first volume at which the
        cheaper of the pair changes; ``inf`` where it never does. [images/month]
    fallbacks : tuple of str  Factors drawn from the PERT instead of a lognormal.
    horizon_usd, npv_usd : dict or None  ``{option: ndarray}`` of the cumulative cash cost and
        the NPV over the horizon, month by month (:mod:`costlib.cashflow`), where asked
        for. [USD]
    """

    samples: int
    seed: int
    distribution: str
    options: tuple[str, ...]
    draws: dict[str, np.ndarray]
    monthly_usd: dict[str, np.ndarray]
    usd_per_approved: dict[str, np.ndarray]
    p_cheapest: dict[str, float]
    breakeven_options: tuple[str, str] | None = None
    breakeven_images_per_month: np.ndarray | None = None
    fallbacks: tuple[str, ...] = ()
    horizon_usd: dict[str, np.ndarray] | None = None
    npv_usd: dict[str, np.ndarray] | None = None

    def percentiles(self, metric: str = "monthly_usd",
                    q: Sequence[float] = (5, 50, 95)) -> dict[str, tuple[float, ...]]:
        """Percentiles ``q`` of ``monthly_usd``, ``usd_per_approved``, ``horizon_usd`` or
        ``npv_usd`` (the last two where sampled) for every option."""
        metrics = ("monthly_usd", "usd_per_approved") + (
            ("horizon_usd", "npv_usd") if self.horizon_usd is not None else ())
        if metric not in metrics:
            raise InputError(f"metric: {metric!r} is not allowed; must be one of "
                             f"{', '.join(metrics)}")
        values = getattr(self, metric)
        return {n: tuple(float(x) for x in np.percentile(values[n], q)) for n in self.options}

    def summary(self) -> dict:
        """JSON-ready: per option P5, P50, P95 of both metrics, mean monthly cost and the
        probability of being cheapest; break-even percentiles and the share that break even."""
        monthly, approved = self.percentiles(), self.percentiles("usd_per_approved")
        result = {
            "samples": self.samples, "seed": self.seed, "distribution": self.distribution,
            "sampled_inputs": sorted(self.draws), "fallbacks": list(self.fallbacks),
            "options": {n: {"monthly_usd": dict(zip(("p5", "p50", "p95"), monthly[n],
                                                    strict=True)),
                            "mean_monthly_usd": float(np.mean(self.monthly_usd[n])),
                            "usd_per_approved": dict(zip(("p5", "p50", "p95"), approved[n],
                                                         strict=True)),
                            "p_cheapest": self.p_cheapest[n]} for n in self.options},
        }
        if self.breakeven_options is not None:
            volumes = self.breakeven_images_per_month
            result["breakeven"] = {
                "options": list(self.breakeven_options),
                "p_breaks_even": float(np.mean(np.isfinite(volumes))),
                "images_per_month": dict(zip(("p5", "p50", "p95"),
                                             breakeven_percentiles(volumes), strict=True)),
            }
        return result


def monte_carlo(model, samples: int = 10_000, *, distribution: str = "pert", seed: int = 0,
                options: Sequence[str] | None = None,
                breakeven: tuple[str, str] | None = None,
                cash_flow: bool = False) -> MonteCarlo:
    """Monthly cost and cost per approved asset of every option over sampled inputs.

    Parameters
    ----------
    model : costlib.scenario.Model
    samples : int  Number of samples. [samples]
    distribution : str  One of ``DISTRIBUTIONS`` (see the module notes).
    seed : int  Seed, >= 0: the same seed gives the same result.
    options : sequence of str, optional  Options to compare (default: all); the probability
        of being cheapest is among these.
    breakeven : (str, str), optional  Two options whose break-even volume to sample too
        (see :func:`breakeven_samples`).
    cash_flow : bool  Also run every sample's cash flow month by month over the horizon
        (growth, price declines, purchases): cumulative cost and NPV per option.

    Returns
    -------
    MonteCarlo
    """
    names = _option_names(model, options)
    if breakeven is not None:
        names_for_draws = tuple(dict.fromkeys((*names, *breakeven)))
    else:
        names_for_draws = names
    draws = sample_inputs(model, samples, distribution, seed, names_for_draws)
    found = factors(model, names_for_draws)
    fallbacks = tuple(f.name for f, k in zip(found, _kinds(found, distribution), strict=True)
                      if k != distribution)
    m = model.with_values(draws)
    monthly = _costs(m, names, (samples,))
    with np.errstate(divide="ignore", invalid="ignore"):
        approved = monthly / approved_per_month(m.workload)
    counts = np.bincount(np.argmin(monthly, axis=0), minlength=len(names))
    volumes = None
    if breakeven is not None:
        volumes = np.broadcast_to(breakeven_samples(model, breakeven[0], breakeven[1], draws),
                                  (samples,)).copy()
    horizon = npv = None
    if cash_flow:
        from costlib.cashflow import model_cash_totals

        totals = {n: model_cash_totals(m, n) for n in names}
        horizon = {n: np.broadcast_to(t[0], (samples,)) for n, t in totals.items()}
        npv = {n: np.broadcast_to(t[1], (samples,)) for n, t in totals.items()}
    return MonteCarlo(samples, seed, distribution, names, draws,
                      dict(zip(names, monthly, strict=True)),
                      dict(zip(names, np.broadcast_to(approved, monthly.shape), strict=True)),
                      {n: float(c / samples) for n, c in zip(names, counts, strict=True)},
                      None if breakeven is None else tuple(breakeven), volumes, fallbacks,
                      horizon, npv)


def breakeven_percentiles(volumes: np.ndarray, q: Sequence[float] = (5, 50, 95)):
    """Percentiles of sampled break-even volumes, ``inf`` included (samples that never break
    even): each is a sampled value (the inverted CDF), never an interpolation. [images/month]
    """
    return tuple(float(v) for v in np.percentile(volumes, q, method="inverted_cdf"))


# --------------------------------------------------------------------------- sensitivity


def _batched(model, found: list[Factor], values: np.ndarray) -> dict[str, np.ndarray]:
    """Changes that set factor f to ``values[f, j]`` in cell ``f * C + j`` (C columns) and
    every other factor to its base value: one with_values call evaluates them all."""
    count, columns = values.shape
    changes = {}
    for f, factor in enumerate(found):
        for path in factor.paths:
            arr = np.full(count * columns, model.values[path], dtype=float)
            arr[f * columns:(f + 1) * columns] = values[f]
            changes[path] = arr
    return changes


def _ranked(model, names: Sequence[str]) -> list[str]:
    """Option names by base monthly cost, cheapest first (ties keep the given order)."""
    costs = _costs(model, names, ())
    return [names[i] for i in np.argsort(costs, kind="stable")]


@dataclass(frozen=True)
class TornadoBar:
    """One bar: the output with one factor at its low and at its high, the rest at base.

    output_at_low, output_at_high : float  [USD/month]
    swing : float  ``abs(output_at_high - output_at_low)``, >= 0. [USD/month]
    """

    factor: Factor
    output_at_low: float
    output_at_high: float
    swing: float


@dataclass(frozen=True)
class Tornado:
    """A tornado: bars sorted by swing, largest first.

    output : str  What was measured, in words.
    options : tuple of str  ``(a,)`` for a's monthly cost, ``(a, b)`` for a's minus b's.
    base_usd : float  The output at base values. [USD/month]
    """

    output: str
    options: tuple[str, ...]
    base_usd: float
    bars: tuple[TornadoBar, ...]


def _resolve_output(model, output, options) -> tuple[str, ...]:
    if output is None:
        ranked = _ranked(model, _option_names(model, options))
        return tuple(ranked[:2])
    pair = (output,) if isinstance(output, str) else tuple(output)
    if len(pair) not in (1, 2):
        raise InputError(f"output: {output!r} is not allowed; must be an option name or a "
                         "pair of option names")
    for name in pair:
        model.option(name)
    return pair


def _output(model, pair: tuple[str, ...], shape) -> np.ndarray:
    costs = _costs(model, pair, shape)
    return costs[0] - costs[1] if len(pair) == 2 else costs[0]


def _only(model, found: list[Factor], only: Sequence[str] | None) -> list[Factor]:
    """The factors of ``found`` named in ``only``; a name that is no factor of the model is an
    error, one that cannot change these options is left out."""
    if only is None:
        return found
    known = {f.name for f in factors(model)}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise InputError(f"only: {unknown[0]!r} is not allowed; must be one of "
                         f"{', '.join(sorted(known))}")
    return [f for f in found if f.name in set(only)]


def tornado(model, output: str | tuple[str, str] | None = None,
            options: Sequence[str] | None = None, only: Sequence[str] | None = None) -> Tornado:
    """Each uncertain quantity at its low and its high with the others at base.

    Parameters
    ----------
    model : costlib.scenario.Model
    output : str or (str, str), optional  An option (its monthly cost) or a pair (the first's
        monthly cost minus the second's). Default: the cheapest of ``options`` at base values
        minus the runner-up (negative: how much the winner saves).
    options : sequence of str, optional  Without ``output``: the options to rank (default:
        all). The quantities varied are those that can change the output's options.
    only : sequence of str, optional  Factor names to keep (default: every factor that can
        change the output).

    Returns
    -------
    Tornado  Every factor's low and high evaluated in one batched call.
    """
    pair = _resolve_output(model, output, options)
    found = _only(model, factors(model, pair), only)
    base = float(_output(model, pair, ()))
    if not found:
        return Tornado(_describe(pair), pair, base, ())
    values = np.array([[f.low, f.high] for f in found])
    out = _output(model.with_values(_batched(model, found, values)), pair,
                  (values.size,)).reshape(values.shape)
    bars = [TornadoBar(f, float(lo), float(hi), float(abs(hi - lo)))
            for f, (lo, hi) in zip(found, out, strict=True)]
    bars.sort(key=lambda bar: -bar.swing)
    return Tornado(_describe(pair), pair, base, tuple(bars))


def _describe(pair: tuple[str, ...]) -> str:
    if len(pair) == 1:
        return f"monthly cost of {pair[0]}"
    return f"monthly cost of {pair[0]} minus {pair[1]}"


@dataclass(frozen=True)
class FlipPoint:
    """Where one factor, moved from its base value, changes the cheapest option.

    recommended : str  The cheapest option at base values.
    below, above : float or None  The nearest value under (over) the base at which another
        option becomes cheapest; None: no flip within the factor's range. [unit of the factor]
    below_to, above_to : str or None  The option that is cheapest beyond that value.
    """

    factor: Factor
    recommended: str
    below: float | None
    below_to: str | None
    above: float | None
    above_to: str | None


def flip_points(model, options: Sequence[str] | None = None, grid_points: int = 64,
                only: Sequence[str] | None = None) -> list[FlipPoint]:
    """For each uncertain quantity, the value at which the cheapest option changes.

    Each factor is moved from its base value down to its low and up to its high with the
    others at base, on ``grid_points`` values each way, and the first value where another
    option is cheapest is found by the one crossing solver
    (:func:`costlib.breakeven.crossings`), every factor and direction at once, to the exact
    value (the cost functions' steps included). A flip that starts and ends between two grid
    values is missed.

    Parameters
    ----------
    model : costlib.scenario.Model
    options : sequence of str, optional  The options that compete (default: all).
    grid_points : int  Values per direction, >= 2.
    only : sequence of str, optional  Factor names to keep (default: every factor that can
        change these options' costs).

    Returns
    -------
    list of FlipPoint  One per factor, in the order of :func:`factors`.
    """
    names = _option_names(model, options)
    if not isinstance(grid_points, int) or grid_points < 2:
        raise InputError(f"grid_points: {grid_points!r} is not allowed; must be a whole "
                         "number >= 2")
    found = _only(model, factors(model, names), only)
    recommended = _ranked(model, names)[0]
    if not found:
        return []
    rec = names.index(recommended)
    # row 2f moves factor f from its base down to its low, row 2f + 1 up to its high
    base = np.repeat([f.value for f in found], 2)
    ends = np.array([[f.low, f.high] for f in found]).ravel()
    grid = base[:, None] + (ends - base)[:, None] * np.linspace(0.0, 1.0, grid_points)

    def winners(x, rows):
        """The cheapest option with each row's factor at ``x``, the others at base."""
        changes = {path: np.where((rows // 2 == f)[:, None], x, model.values[path])
                   for f, factor in enumerate(found) for path in factor.paths}
        return np.argmin(_costs(model.with_values(changes), names, x.shape), axis=0)

    row, outside, _ = crossings(lambda x, rows: np.where(winners(x, rows) == rec, -1.0, 1.0),
                                grid, grid.shape[0], first_only=True)
    taker = winners(outside[:, None], row)[:, 0] if row.size else row
    flips = {int(r): (float(x), names[int(t)]) for r, x, t in zip(row, outside, taker,
                                                                   strict=True)}
    result = []
    for f, factor in enumerate(found):
        below, below_to = flips.get(2 * f, (None, None))
        above, above_to = flips.get(2 * f + 1, (None, None))
        result.append(FlipPoint(factor, recommended, below, below_to, above, above_to))
    return result
