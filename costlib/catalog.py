"""The data catalog: dated, sourced tables in ``data/*.csv``, validated on load.

Every row of every table has ``name, value, low, high, unit, source, as_of`` (and an
optional ``note``) plus a few columns of its own table (``TABLES`` lists them). A blank
``low`` or ``high`` means the source gives a single figure. ``as_of`` is a date, or a
month or year where the source gives no more (``2026``, ``2026-05``, ``2026-05-19``).

A user's own quotes (a client's negotiated price) live in a CSV of their own with a
``table`` column: a row whose name exists overrides the fields it fills in; a new name
adds a row; a filled cell in a column its table lacks is an error. The shipped tables are
never edited.

Each row is validated on load by a pydantic row model (`Row` plus the table's own columns,
`ROW_MODELS`): a bad cell fails with one line naming the file, row, column, the bad value and
what is allowed. Rows older than ``stale_after_days`` are flagged (``Entry.stale``), never
hidden, except physical figures that do not age: datasheet board power, peak rates, memory and
streaming multiprocessors (``TIMELESS_QUANTITIES``), the FLOPs of a model (``model_flops``),
the memory it needs (``model_memory``) and what batching gains it (``batch_gain``); ages count
to the ``today`` given to :func:`load_catalog` (by default the clock's date, read there and
nowhere else). A row dated after that day is flagged too (``Entry.future``, age 0), not
refused: a machine whose clock is behind still works, and :func:`future_warning` says which
rows to check.

``gpu_rental`` holds the articles' rows and a market snapshot: one row per cloud offer
(``cloud``), on demand or spot (``market``), in USD per GPU-hour. ``pick`` says whether
:func:`market_offer` may choose the row ("no" for the articles' rows and for offers the
snapshot itself flags as anomalous or without an on-demand price).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import math
import re
import statistics
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)

from costlib.errors import InputError, one_line, shown
from costlib.files import read_text

REQUIRED_COLUMNS = ("name", "value", "low", "high", "unit", "source", "as_of")
# Physical figures of a GPU (datasheet board power, peak rates, memory, streaming
# multiprocessors) do not age: never stale.
TIMELESS_QUANTITIES = ("board_watts", "peak_bf16_tflops", "peak_tf32_tflops",
                       "peak_fp32_tflops", "peak_8bit_tflops", "practical_bf16_tflops",
                       "memory_gb", "sm_count")
OPTIONAL_COLUMNS = ("note",)
DEFAULT_STALE_AFTER_DAYS = 365
_AS_OF = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _matching(pattern: str, allowed: str):
    """Text that must match ``pattern``; the error says what is ``allowed``."""
    compiled = re.compile(pattern)

    def check(text: str) -> str:
        if not compiled.match(text):
            raise ValueError(allowed)
        return text

    return Annotated[str, AfterValidator(check)]


def _blank_is_none(text):
    return None if isinstance(text, str) and text.strip() == "" else text


# Column types. Cells are text; pydantic parses them (whitespace stripped first).
Text = Annotated[str, Field(min_length=1)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# a blank cell: no figure (None)
OptionalAmount = Annotated[Amount | None, BeforeValidator(_blank_is_none), Field(default=None)]
# the precision of a published throughput's arithmetic (blank: not stated)
Precision = Annotated[Literal["32-bit", "16-bit", "8-bit"] | None,
                      BeforeValidator(_blank_is_none), Field(default=None)]
Name = _matching(r"^[a-z0-9][a-z0-9_\-]*$", "must be lower-case letters, digits, '_' or '-'")

# The columns of each table beyond the common ones, with their types: Text is any non-empty
# text, a Literal lists the allowed values, OptionalAmount a number >= 0 or blank (NaN in
# ``Entry.extra``).
TABLES: dict[str, dict[str, object]] = {
    "api_prices": {
        "provider": Text, "model": Text,
        "resolution": _matching(r"^\d+x\d+$", "must be WIDTHxHEIGHT in pixels, e.g. 1024x1024"),
        "pricing": Literal["per_image", "per_megapixel"],
    },
    "api_latency": {"family": Text, "metric": Text},
    "api_terms": {
        "kind": Literal["discount", "rate_limit", "tier_fee", "overhead", "surcharge", "fee"],
        "min_images_per_month": OptionalAmount,
    },
    "gpu_rental": {
        "gpu": Text, "cloud": Text, "pick": Literal["yes", "no"],
        "billing": Literal["hourly", "monthly"],
        "market": Literal["on_demand", "reserved", "spot"],
    },
    "gpu_serverless": {"provider": Text, "gpu": Text, "cold_start": Text},
    "gpu_hardware": {
        "gpu": Text,
        "quantity": Literal["purchase_usd", "power_cooling_usd_per_year", "board_watts",
                            "peak_bf16_tflops", "peak_tf32_tflops", "peak_fp32_tflops",
                            "peak_8bit_tflops", "practical_bf16_tflops", "memory_gb",
                            "sm_count"],
    },
    "throughput": {"gpu": Text, "model": Text, "basis": Text, "steps": OptionalAmount,
                   "resolution": Text, "precision": Precision, "batch": OptionalAmount},
    "model_flops": {"model": Text, "part": Literal["step", "image"], "steps": OptionalAmount,
                    "resolution": _matching(r"^\d+x\d+$", "must be WIDTHxHEIGHT in pixels")},
    "model_memory": {"model": Text,
                     "part": Literal["pipeline", "per_image", "denoiser_weights"],
                     "batch": OptionalAmount, "precision": Text,
                     "resolution": _matching(r"^\d+x\d+$", "must be WIDTHxHEIGHT in pixels")},
    "batch_gain": {"model": Text, "batch": Amount},
    "labor": {},
    "overheads": {},
    "assumptions": {},
    "use_cases": {"use_case": Text, "quantity": Text},
}


def data_dir() -> Path:
    """The folder of the shipped tables and preset scenarios (works from a wheel too)."""
    return Path(str(resources.files("costlib.data")))


@dataclass(frozen=True, kw_only=True)
class Sourced:
    """A number with the range its source gives, its unit, its source and its date: the one
    record of a sourced quantity (a catalog row, a model input, an uncertain factor).

    value, low, high : float  The figure and its range (a 90 % interval). [unit]
    unit : str  Its unit, e.g. ``USD/image``.
    source : str  Where it comes from: an article and its date, a quote, a scenario, or
        ``costlib assumption``.
    as_of : str  Date of the figure (year, month or day); '' where none applies.
    note : str  What a reader should know about it.
    """

    value: float
    low: float
    high: float
    unit: str
    source: str
    as_of: str = ""
    note: str = ""


def sourced(figure: Sourced) -> dict:
    """The sourced-quantity fields of a catalog row, an input or a factor, to make another
    record of the same quantity."""
    return {f.name: getattr(figure, f.name) for f in fields(Sourced)}


@dataclass(frozen=True, kw_only=True)
class Entry(Sourced):
    """One row of a catalog table.

    table, name : str  Where it is: ``table.name``.
    extra : dict  The table's own columns (gpu, model, provider, ...).
    overridden : bool  True where a user's quotes file set this row.
    age_days : int  Days from its ``as_of`` to the catalog's today, 0 where it is dated
        after it. [days]
    stale : bool  True where the figure is older than the catalog's threshold.
    future : bool  True where it is dated after the catalog's today (a clock behind, or a
        wrong date in the data).
    """

    table: str
    name: str
    extra: dict = field(default_factory=dict)
    overridden: bool = False
    age_days: int = 0
    stale: bool = False
    future: bool = False


def parse_as_of(text: str) -> dt.date:
    """The first day of the period an ``as_of`` string names (so age is never understated)."""
    m = _AS_OF.match(text.strip())
    if not m:
        raise ValueError("must be a date YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    return dt.date(year, month, day)


def parse_today(value: dt.date | str | None) -> dt.date | None:
    """The day ages count to, as a caller gives it: a date, an ISO date ``YYYY-MM-DD`` (a
    command-line option, a notebook parameter), or None or ``""`` for the clock's, which
    :func:`load_catalog` reads."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"today: {value!r} is not allowed; must be a date YYYY-MM-DD") \
            from None


def _as_of(text: str) -> str:
    """A date, month or year."""
    parse_as_of(text)
    return text


class Row(BaseModel):
    """The columns every table has; each table's row model adds its own (`TABLES`).

    ``low`` and ``high`` come before ``value`` so that ``value`` is checked against its
    range; a blank ``low`` or ``high`` is the value.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: Name
    low: OptionalAmount
    high: OptionalAmount
    value: Amount
    unit: Text
    source: Text
    as_of: Annotated[str, AfterValidator(_as_of)]
    note: str = ""

    @field_validator("value")
    @classmethod
    def _within_range(cls, value: float, info: ValidationInfo) -> float:
        if "low" in info.data and "high" in info.data:
            low, high = info.data["low"], info.data["high"]
            low, high = (value if low is None else low), (value if high is None else high)
            if not low <= value <= high:
                raise ValueError(f"must lie within low..high ({low:g}..{high:g})")
        return value


ROW_MODELS: dict[str, type[Row]] = {
    table: create_model(f"{table}_row", __base__=Row, **own) for table, own in TABLES.items()}


def _entry(table: str, raw: dict[str, str], where: str, today: dt.date,
           stale_after_days: int, overridden: bool = False) -> Entry:
    """Validate one raw CSV row into an Entry; errors name the place, the column, the bad
    value and what is allowed."""
    try:
        row = ROW_MODELS[table].model_validate(raw)
    except ValidationError as e:
        raise one_line(e, where) from None
    extra = {c: math.nan if getattr(row, c) is None else getattr(row, c) for c in TABLES[table]}
    age = (today - parse_as_of(row.as_of)).days
    timeless = table in ("model_flops", "model_memory", "batch_gain") or (table == "gpu_hardware"
                                          and extra["quantity"] in TIMELESS_QUANTITIES)
    return Entry(table=table, name=row.name, value=row.value,
                 low=row.value if row.low is None else row.low,
                 high=row.value if row.high is None else row.high, unit=row.unit,
                 source=row.source, as_of=row.as_of, note=row.note, extra=extra,
                 overridden=overridden, age_days=max(age, 0),
                 stale=age > stale_after_days and not timeless, future=age < 0)


def _read_csv(path: Path, allowed_columns: set[str], required: tuple[str, ...]):
    """Rows of a CSV as dicts, checking the header; yields (line number, row)."""
    reader = csv.DictReader(read_text(path, "CSV file").splitlines())
    try:
        yield from _checked_rows(path, reader, allowed_columns, required)
    except csv.Error as e:
        raise InputError(f"{path}: row {reader.line_num}: not valid CSV ({e})") from None


def _checked_rows(path: Path, reader: csv.DictReader, allowed_columns: set[str],
                  required: tuple[str, ...]):
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{path}: column '{missing[0]}' is missing; "
                         f"required columns are {', '.join(required)}")
    unknown = [c for c in header if c not in allowed_columns]
    if unknown:
        raise InputError(f"{path}: column {shown(unknown[0])} is not allowed; "
                         f"allowed columns are {', '.join(sorted(allowed_columns))}")
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            raise InputError(f"{path}: row {line} has {len(header)} columns expected "
                             "but a different count")
        yield line, row


class Catalog:
    """All tables, by ``(table, name)``; look rows up with :meth:`get` or :meth:`rows`.

    ``today`` is the date the rows' ages count to.
    """

    def __init__(self, entries: dict[tuple[str, str], Entry], stale_after_days: int,
                 today: dt.date):
        self.entries = entries
        self.stale_after_days = stale_after_days
        self.today = today

    def get(self, table: str, name: str, field: str | None = None) -> Entry:
        """The row ``name`` of ``table``; the error names ``field`` (the place that asked
        for the row, if given) and lists the valid names."""
        if table not in TABLES:
            raise InputError(f"table: {table!r} is not allowed; must be one of "
                             f"{', '.join(TABLES)}")
        try:
            return self.entries[(table, name)]
        except KeyError:
            names = [n for t, n in self.entries if t == table]
            close = difflib.get_close_matches(name, names, n=8, cutoff=0.5) or names[:8]
            valid = (", ".join(close) if len(names) == len(close) else
                     f"closest: {', '.join(close)}; {len(names)} rows in all, listed by "
                     "costlib catalog")
            where = f"{field}: {name!r} is not allowed; must name a row of {table}" if field \
                else f"{table}: {name!r} is not a known row; must be one of"
            raise InputError(f"{where} ({valid})" if field else f"{where} {valid}") from None

    def value(self, table: str, name: str) -> float:
        """The value of one row, in its unit."""
        return self.get(table, name).value

    def rows(self, table: str | None = None, **extra) -> list[Entry]:
        """Rows of one table (or all), filtered by the table's own columns."""
        if table is not None and table not in TABLES:
            raise InputError(f"table: {table!r} is not allowed; must be one of "
                             f"{', '.join(TABLES)}")
        return [e for (t, _), e in self.entries.items()
                if (table is None or t == table)
                and all(e.extra.get(k) == v for k, v in extra.items())]

    def stale(self) -> list[Entry]:
        """Rows older than the threshold."""
        return [e for e in self.entries.values() if e.stale]

    def future(self) -> list[Entry]:
        """Rows dated after the catalog's today."""
        return [e for e in self.entries.values() if e.future]

    def to_frame(self, table: str | None = None):
        """The rows as a pandas DataFrame (pandas imported only here)."""
        import pandas as pd

        records = [{"table": e.table, "name": e.name, "value": e.value, "low": e.low,
                    "high": e.high, "unit": e.unit, "source": e.source, "as_of": e.as_of,
                    "age_days": e.age_days, "stale": e.stale, "future": e.future,
                    "overridden": e.overridden,
                    "note": e.note, **e.extra} for e in self.rows(table)]
        return pd.DataFrame.from_records(records)


MARKET_PICKS = ("cheapest", "median")


def market_offer(catalog: Catalog, gpu: str, pick: str, market: str = "on_demand",
                 field: str = "offer") -> Entry:
    """The hourly rental offer for ``gpu`` that ``pick`` names, among rows with pick=yes.

    ``pick`` is a cloud (its cheapest offer), ``cheapest`` (the cheapest across clouds) or
    ``median``: the median across clouds of each cloud's cheapest offer (the snapshot's
    summary method), a derived row whose low..high is the spread across clouds, dated by
    its oldest row. ``field`` names the place that asked, in errors.
    """
    rows = catalog.rows("gpu_rental", gpu=gpu, market=market, billing="hourly", pick="yes")
    if not rows:
        known = sorted({e.extra["gpu"] for e in catalog.rows("gpu_rental", market=market,
                                                              pick="yes")})
        raise InputError(f"{field}: gpu {gpu!r} has no {market} market offer; GPUs with one "
                         f"are {', '.join(known)}")
    cheapest: dict[str, Entry] = {}
    for e in sorted(rows, key=lambda e: e.value):
        cheapest.setdefault(e.extra["cloud"], e)
    if pick == "cheapest":
        return next(iter(cheapest.values()))
    if pick in cheapest:
        return cheapest[pick]
    if pick != "median":
        raise InputError(f"{field}: {pick!r} is not allowed; must be "
                         f"{', '.join(MARKET_PICKS)} or a cloud that offers {gpu} {market} "
                         f"({', '.join(sorted(cheapest))})")
    offers = list(cheapest.values())
    oldest = max(offers, key=lambda e: e.age_days)
    listed = ", ".join(f"{e.extra['cloud']} {e.value:g}" for e in offers)
    return Entry(table="gpu_rental", name=f"{gpu}_median_{market}",
                 value=statistics.median(e.value for e in offers), low=offers[0].value,
                 high=offers[-1].value, unit=offers[0].unit,
                 source=f"median of {len(offers)} clouds' cheapest "
                        f"{market.replace('_', '-')} offers in USD per GPU-hour ({listed})",
                 as_of=oldest.as_of, note="low..high: the spread across clouds",
                 extra={**oldest.extra, "cloud": "median"}, age_days=oldest.age_days,
                 stale=any(e.stale for e in offers))


def load_catalog(quotes: str | Path | None = None, *, directory: str | Path | None = None,
                 stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
                 today: dt.date | None = None) -> Catalog:
    """Load and validate every table, then apply a user's quotes file.

    Parameters
    ----------
    quotes : path, optional
        CSV of the user's own figures with a ``table`` column (see module docstring).
    directory : path, optional
        Folder of the tables; the shipped ``data/`` by default.
    stale_after_days : int
        Rows older than this are flagged stale. [days]
    today : date, optional
        The date ages are counted to (today by default); rows dated after it are flagged
        (``Entry.future``).
    """
    if not isinstance(stale_after_days, int) or stale_after_days < 0:
        raise InputError(f"stale_after_days: {stale_after_days!r} is not allowed; "
                         "must be a whole number of days >= 0")
    today = today or dt.date.today()
    folder = Path(directory) if directory is not None else data_dir()
    entries: dict[tuple[str, str], Entry] = {}
    for table, own in TABLES.items():
        path = folder / f"{table}.csv"
        allowed = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) | set(own)
        for line, raw in _read_csv(path, allowed, REQUIRED_COLUMNS + tuple(own)):
            e = _entry(table, raw, f"{path.name}: row {line}", today, stale_after_days)
            if (table, e.name) in entries:
                raise InputError(f"{path.name}: row {line}: name: {e.name!r} is not allowed; "
                                 "names must be unique within a table")
            entries[(table, e.name)] = e
    if quotes is not None:
        _apply_quotes(entries, Path(quotes), today, stale_after_days)
    return Catalog(entries, stale_after_days, today)


def future_warning(catalog: Catalog, shown: int = 5) -> str:
    """One line naming the rows dated after the catalog's today (the first ``shown``; none
    at ``shown=0``, for a client's eyes), or '' where there are none."""
    rows = catalog.future()
    if not rows:
        return ""
    if not shown:
        return (f"{len(rows)} figures are dated after today ({catalog.today.isoformat()}): "
                "check the computer's clock or the data")
    names = ", ".join(f"{e.table}.{e.name} ({e.as_of})" for e in rows[:shown])
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return (f"{len(rows)} catalog row(s) dated after today ({catalog.today.isoformat()}): "
            f"{names}{more}; their age counts as 0; check the clock or the data")


def _apply_quotes(entries: dict, path: Path, today: dt.date, stale_after_days: int) -> None:
    """Override or add rows from a user's quotes file (see module docstring)."""
    allowed = ({"table"} | set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
               | {c for own in TABLES.values() for c in own})
    quoted: dict[tuple[str, str], int] = {}
    for line, raw in _read_csv(path, allowed, ("table", "name", "value", "source", "as_of")):
        where = f"{path.name}: row {line}"
        table = raw.pop("table").strip()
        if table not in TABLES:
            raise InputError(f"{where}: table: {shown(table)} is not allowed; "
                             f"must be one of {', '.join(TABLES)}")
        given = {k: v for k, v in raw.items() if v.strip() != ""}
        key = (table, raw["name"].strip())
        if key in quoted:
            raise InputError(f"{where}: name: {shown(key[1])} is not allowed; {table} "
                             f"{key[1]} is quoted already in row {quoted[key]}")
        quoted[key] = line
        base = entries.get(key)
        if base is not None:
            # A quoted value without its own range is a point: the shipped range is dropped.
            merged = {"name": base.name, "unit": base.unit,
                      **{k: "" if v != v else str(v) for k, v in base.extra.items()}, **given}
        else:
            merged = given
        entry = _entry(table, merged, where, today, stale_after_days, overridden=True)
        unit = base.unit if base else expected_unit(entries, table, entry.extra)
        entries[key] = _in_unit(entry, unit, where)


def expected_unit(entries: dict, table: str, extra: dict) -> str | None:
    """The unit a new row of ``table`` (with its own columns ``extra``) must be in: the one
    unit of the table's shipped rows, or the one unit of the shipped rows that share its
    value of a column that decides the unit (``billing: hourly`` offers are per hour).
    None where the shipped rows fix no unit (``assumptions`` mixes them)."""
    shipped = [e for (t, _), e in entries.items() if t == table and not e.overridden]
    units = {e.unit for e in shipped}
    if len(units) == 1:
        return units.pop()
    for column, kind in TABLES[table].items():
        if get_origin(kind) is not Literal:
            continue
        by_value: dict = {}
        for e in shipped:
            by_value.setdefault(e.extra[column], set()).add(e.unit)
        if all(len(u) == 1 for u in by_value.values()) and extra.get(column) in by_value:
            return next(iter(by_value[extra[column]]))
    return None


def _in_unit(entry: Entry, unit: str | None, where: str) -> Entry:
    """The entry with its figures in ``unit`` (converted where they are in another one)."""
    from dataclasses import replace

    from costlib.units import convert

    if unit is None or entry.unit == unit:
        return entry
    value, low, high = convert((entry.value, entry.low, entry.high), entry.unit, unit,
                               f"{where}: unit")
    note = f"converted from {entry.value:g} {entry.unit}" + (f"; {entry.note}" if entry.note
                                                             else "")
    return replace(entry, value=value, low=low, high=high, unit=unit, note=note)

