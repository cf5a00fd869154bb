"""The one error type costlib raises for bad input, and small checks that raise it.

Every message is one line naming the field, the bad value and what is allowed, so a
user (or a CLI) can show it as is: ``FIELD: VALUE is not allowed; WHAT IS ALLOWED``, after
the file (and row) it came from where there is one. :func:`one_line` turns a pydantic
validation error into that line; pydantic itself is not imported here.
"""

from __future__ import annotations

import math

import numpy as np


class InputError(ValueError):
    """Bad input: the message names the field, the bad value and what is allowed."""


MAX_SHOWN = 80  # characters of a bad value an error shows


def shown(value) -> str:
    """``repr(value)`` for a message: one line, at most :data:`MAX_SHOWN` characters (a bad
    value may be a megabyte of nested lists), control characters as ``?``, big whole
    numbers in ``%g`` style (1e+20, not 21 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        text = f"{value:.3g}" if abs(value) < 10**300 else "a number of over 300 digits"
    else:
        text = _short_repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


def _short_repr(value) -> str:
    """A repr that stops early on big containers (never builds a huge string)."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = MAX_SHOWN
    r.maxlevel = 3
    return r.repr(value)


def _bad(field: str, value, allowed: str) -> InputError:
    return InputError(f"{field}: {shown(value)} is not allowed; {allowed}")


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


# What is allowed, by pydantic error type (``ctx`` fills the braces); other types keep
# pydantic's own message.
_ALLOWED = {
    "missing": "it is required",
    "extra_forbidden": "there is no such field here",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "finite_number": "must be a finite number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_pattern_mismatch": "must match {pattern}",
    "literal_error": "must be one of {expected}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "dict_type": "must be a mapping of fields",
    "model_type": "must be a mapping of fields",
    "date_parsing": "must be a date YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date YYYY-MM-DD",
    "date_type": "must be a date YYYY-MM-DD",
}


def _is_union_member(part) -> bool:
    """pydantic names the member of a union it tried (``float``, ``Ranged``,
    ``function-after[...]``) in an error's location; those are not fields."""
    return isinstance(part, str) and (part in ("float", "int", "str", "bool", "none")
                                      or part[:1].isupper() or "[" in part)


def one_line(error, where: str) -> InputError:
    """The first error of a pydantic ``ValidationError`` as the one-line InputError every
    costlib check raises: ``WHERE: FIELD: VALUE is not allowed; WHAT IS ALLOWED``.

    Parameters
    ----------
    error : pydantic.ValidationError
        The error of a ``model_validate`` call.
    where : str
        The place the input came from: a file name, ``"q.csv: row 3"``, ``"scenario"``.

    Returns
    -------
    InputError
        To raise (``raise one_line(e, path) from None``).
    """
    first = error.errors(include_url=False)[0]
    field = ".".join(str(p) for p in first["loc"] if not _is_union_member(p))
    kind = first["type"]
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (first.get("ctx") or {}).items()}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        allowed = "must not be empty"
    elif kind in _ALLOWED:
        allowed = _ALLOWED[kind].format(**ctx)
    else:  # value errors from our own validators already say what is allowed
        allowed = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    prefix = f"{where}: {field}: " if field else f"{where}: "
    if kind == "missing":
        return InputError(f"{prefix}missing; {allowed}")
    value = first.get("input")
    what = "" if isinstance(value, dict) else f"{shown(value)} is not allowed; "
    return InputError(f"{prefix}{what}{allowed[:300]}")
