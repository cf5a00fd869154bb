"""Units of sourced figures: a figure given in another unit than the one a place expects is
converted where the conversion is defined (``USD/1000 images`` to ``USD/image``, ``s/image``
to ``images/h``) and refused otherwise, never used as if it were in the expected unit.

A unit is ``WORD`` or ``WORD/[COUNT ]WORD`` (``USD/image``, ``USD/1000 images``,
``images/h``); words of one dimension convert by their size (:data:`_WORDS`), a rate
converts to its reciprocal (``s/image`` and ``images/h``). Any other unit (``fraction``,
``TFLOP/s``) must match exactly.
"""

from __future__ import annotations

import re

from costlib.errors import InputError

# unit word: (dimension, size in the dimension's base unit)
_WORDS = {
    "USD": ("money", 1.0), "cents": ("money", 0.01),
    "image": ("images", 1.0), "images": ("images", 1.0),
    "s": ("time", 1.0), "min": ("time", 60.0), "h": ("time", 3600.0),
    "hour": ("time", 3600.0), "hours": ("time", 3600.0),
    "Wh": ("energy", 1.0), "kWh": ("energy", 1000.0), "W": ("power", 1.0), "kW": ("power", 1000.0),
}
_UNIT = re.compile(r"^\s*(\w+)\s*(?:/\s*(?:(\d+(?:\.\d+)?)\s*)?(\w+))?\s*$")


def _parse(unit: str) -> tuple[str, float, str, float] | None:
    """``(dimension, size, per dimension, per size)`` of a unit, or None where its words are
    not known (``images/h`` -> ``("images", 1, "time", 3600)``)."""
    m = _UNIT.match(unit)
    if not m or m[1] not in _WORDS or (m[3] is not None and m[3] not in _WORDS):
        return None
    dim, size = _WORDS[m[1]]
    per_dim, per_size = _WORDS[m[3]] if m[3] else ("", 1.0)
    return dim, size, per_dim, per_size * float(m[2] or 1)


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def convertible(unit: str, to: str) -> bool:
    """Whether a figure in ``unit`` can be converted to ``to``."""
    if _same(unit, to):
        return True
    a, b = _parse(unit), _parse(to)
    return a is not None and b is not None and (
        (a[0], a[2]) == (b[0], b[2]) or ((a[0], a[2]) == (b[2], b[0]) and a[2] != ""))


def convert(values: tuple[float, float, float], unit: str, to: str,
            field: str) -> tuple[float, float, float]:
    """``(value, low, high)`` in ``unit`` as ``(value, low, high)`` in ``to``.

    Raises
    ------
    InputError
        Naming ``field`` where no conversion from ``unit`` to ``to`` is defined, or where a
        reciprocal would divide by zero.
    """
    if _same(unit, to):
        return values
    if not convertible(unit, to):
        raise InputError(f"{field}: {unit!r} is not allowed; must be {to!r} or a unit "
                         "that converts to it")
    a, b = _parse(unit), _parse(to)
    if (a[0], a[2]) == (b[0], b[2]):
        factor = (a[1] / a[3]) / (b[1] / b[3])
        value, low, high = (v * factor for v in values)
        return value, low, high
    if min(values) <= 0:
        raise InputError(f"{field}: {min(values)!r} {unit} is not allowed; must be > 0 to "
                         f"convert to {to}")
    factor = (b[3] * a[3]) / (b[1] * a[1])
    value, high, low = (factor / v for v in values)  # a reciprocal swaps low and high
    return value, low, high
