"""The one formatter for what people read: money, counts, plain numbers, shares and "never".

Every text a user sees (CLI tables, the decision's sentences, chart labels, the report, the
widgets' status lines) formats numbers here, so one figure reads the same everywhere. A
value that does not exist (no break-even, never pays back) is ``inf`` in the model and
``never`` (or the caller's word) in text: never "inf", "nan" or "1e+09".
"""

from __future__ import annotations

import math

from costlib.labels import unit_label

NEVER = "never"


def _finite(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def number(x, missing: str = NEVER) -> str:
    """A plain number: thousands separated at 1,000 and above, three significant digits
    below (0.0023, 4.5, 730), ``missing`` for inf or nan."""
    x = _finite(x)
    if x is None:
        return missing
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def count(x, missing: str = NEVER) -> str:
    """A whole count with thousands separated (GPUs, images), ``missing`` for inf or nan;
    counts of a million and more keep three significant digits (4,201,804 -> 4,200,000)."""
    x = _finite(x)
    if x is None:
        return missing
    if abs(x) >= 1e6:
        x = float(f"{x:.3g}")
    return f"{x:,.0f}"


def volume(x, digits: int = 2, missing: str = NEVER) -> str:
    """A volume (images, assets) rounded to what the data supports: ``digits`` significant
    digits from 1,000 (13,014 -> '13,000'), millions and billions in words (4,201,804 ->
    '4.2 million'); ``missing`` for inf or nan."""
    x = _finite(x)
    if x is None:
        return missing
    if abs(x) < 1000:
        return count(x)
    x = float(f"{x:.{digits}g}")
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            return f"{round(x / size, 6):,.12g} {word}"
    return f"{x:,.0f}"


def usd(x, missing: str = NEVER, unit: str = "USD", digits: int | None = None) -> str:
    """Money: whole dollars from 100 (33,950 USD), cents from 1 where there are any (84.01
    USD, 50 USD), two or three significant digits below (0.23 USD, 0.0023 USD), or up to
    ``digits`` there (a price as its source gives it: 0.001525 USD); ``missing`` for inf or
    nan. ``unit`` follows the number ('' for none)."""
    x = _finite(x)
    if x is None:
        return missing
    if x == 0:
        text = "0"
    elif abs(x) >= 100:
        text = f"{x:,.0f}"
    elif abs(x) >= 1:
        text = f"{x:,.2f}".removesuffix(".00")
    elif digits is not None:
        text = f"{x:.{digits}g}"
    else:
        text = f"{x:.2g}" if abs(x) >= 0.01 else f"{x:.3g}"
    return f"{text} {unit}".rstrip()


def share(p, missing: str = "-") -> str:
    """A probability or fraction as a whole percent (0.634 -> '63 %'); ``missing`` for None,
    inf or nan."""
    p = _finite(p)
    if p is None:
        return missing
    return f"{100 * p:.0f} %"


def seconds(low, high=None) -> str:
    """A duration or a range of durations in seconds, three significant digits."""
    high = low if high is None else high
    if float(low) == float(high):
        return f"{number(low)} s"
    return f"{number(low)}-{number(high)} s"


def span(low, high, formatter=number) -> str:
    """A range 'low-high' in one formatter; one value where both ends agree."""
    a, b = formatter(low), formatter(high)
    return a if a == b else f"{a}-{b}"


def quantity(x, unit: str, missing: str = NEVER, usd_digits: int | None = None) -> str:
    """A value with its unit as people write it: a fraction as a percent ('35 %'), a ratio
    as '1.4x', money by :func:`usd` (``usd_digits`` below 1 USD), a monthly volume by
    :func:`volume`."""
    return quantity_range(x, x, unit, missing, usd_digits)


def quantity_range(low, high, unit: str, missing: str = NEVER,
                   usd_digits: int | None = None) -> str:
    """A range of a quantity, 'low-high unit', in the form of :func:`quantity`; one value
    where both ends read the same."""
    if _finite(low) is None or _finite(high) is None:
        return missing
    if unit.startswith("fraction"):
        return f"{span(100 * float(low), 100 * float(high))} {unit_label(unit)}"
    if unit == "ratio":
        return f"{span(low, high)}x"
    if unit.startswith("USD"):
        return (f"{span(low, high, lambda v: usd(v, unit='', digits=usd_digits))} "
                f"{unit_label(unit)}")
    if unit.startswith("images/"):
        return f"{span(low, high, lambda v: volume(v, 3))} {unit_label(unit)}"
    one = float(low) if low == high else None
    return f"{span(low, high)} {unit_label(unit, one)}".rstrip()


def json_ready(obj):
    """Results as strict JSON data: dataclasses and dicts to dicts, arrays and tuples to
    lists, numpy scalars to Python numbers, and a number that does not exist (inf, nan) to
    None, so ``json.dumps(..., allow_nan=False)`` never writes ``Infinity``."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: json_ready(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
