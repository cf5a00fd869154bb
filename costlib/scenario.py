"""Scenario files: a workload, its constraints, labor assumptions and the options to compare.

A scenario is YAML, validated with pydantic on load: an error names the field, the bad value
and what is allowed, in one line. Any number may be given as a plain value or as
``{value: V, low: L, high: H, source: "..."}`` so its uncertainty travels with it. Saving is
atomic (a temporary file renamed over the target).

:func:`resolve` turns a scenario and the catalog into a :class:`Model`: the cost-model
dataclasses plus every input with its value, range, unit, source and date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from costlib.catalog import Catalog, Entry, data_dir, load_catalog
from costlib.errors import InputError, one_line
from costlib.files import write_atomic
from costlib.options import (
    HOURS_PER_MONTH,
    OPTION_KINDS,
    Hybrid,
    ManagedAPI,
    Operations,
    Option,
    OwnedGPU,
    RentedGPU,
    Workload,
    megapixels,
)

Number = Annotated[float, Field(allow_inf_nan=False)]
MODELS = ("sd15", "sdxl", "sdxl-turbo", "flux-schnell", "flux-dev", "other")
VARIABILITY = ("steady", "business_hours", "seasonal", "spiky")
PRIVACY = ("public", "internal", "confidential", "regulated")
_IDENT = r"^[a-z0-9][a-z0-9_\-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ranged(_Strict):
    """A number with the range it may take (read as a 90 % interval) and where it came from."""

    value: Number
    low: Number | None = None
    high: Number | None = None
    source: str | None = None


Quantity = Number | Ranged


class WorkloadSpec(_Strict):
    images_per_month: Quantity
    outputs_per_approved: Quantity = 1.0
    model: Literal[MODELS] = "sdxl"
    resolution: Annotated[str, Field(pattern=r"^\d{2,5}x\d{2,5}$")] = "1024x1024"
    variability: Literal[VARIABILITY] = "steady"
    peak_factor: Quantity | None = None
    burst_images: Number | None = Field(default=None, ge=0)
    burst_hours: Number | None = Field(default=None, gt=0)
    review_minutes_per_asset: Quantity | None = None
    reviewer_hourly_usd: Quantity | None = None
    stored_mb_per_image: Quantity | None = None
    retention_months: Quantity = 1.0
    delivered_mb_per_image: Quantity | None = None
    views_per_approved: Quantity | None = None
    cache_hit_rate: Quantity = 0.0
    preview_share: Quantity = 0.0
    preview_cost_ratio: Quantity | None = None
    prompt_tokens_per_image: Quantity = 0.0


class Constraints(_Strict):
    privacy: Literal[PRIVACY] = "internal"
    dpa_available: bool = False
    max_latency_s: Number | None = Field(default=None, gt=0)
    has_ops_team: bool = True


class LaborSpec(_Strict):
    devops_hours_per_month: Quantity | None = None
    engineer_hourly_usd: Quantity | None = None
    ml_engineer_fte: Quantity = 0.0
    ml_engineer_usd_per_month: Quantity | None = None
    setup_weeks: Quantity | None = None
    monitoring_usd_per_month: Quantity | None = None
    backup_copies: Quantity | None = None
    downtime_allowance: Quantity | None = None
    api_integration_hours_per_month: Quantity | None = None
    vendor_management_hours_per_month: Quantity | None = None


class OptionSpec(_Strict):
    name: Annotated[str, Field(pattern=_IDENT)]
    kind: Literal[tuple(OPTION_KINDS)]
    label: str | None = None
    offer: str | None = None
    throughput: str | None = None
    gpu: str | None = None
    billing: Literal["on_demand", "reserved"] | None = None
    discounts: tuple[str, ...] = ()
    surcharges: tuple[str, ...] = ()
    tier: Literal["starter", "pro"] | None = None
    local: str | None = None
    api: str | None = None
    local_gpus: Quantity | None = None
    latency: tuple[str, ...] = ()
    set: dict[str, Quantity] = {}

    @model_validator(mode="after")
    def _needs(self):
        for key in OPTION_KINDS[self.kind].spec_needs:
            if getattr(self, key) is None and not (key == "throughput"
                                                   and "images_per_hour" in self.set):
                raise ValueError(f"option {self.name!r} of kind {self.kind} needs '{key}'")
        return self


class Scenario(_Strict):
    name: str
    description: str = ""
    client: str = ""
    as_of: dt.date | None = None
    quotes: str | None = None
    workload: WorkloadSpec
    constraints: Constraints = Constraints()
    labor: LaborSpec = LaborSpec()
    horizon_months: int = Field(default=36, ge=1, le=240)
    discount_rate: Quantity | None = None
    stale_after_days: int = Field(default=365, ge=0)
    options: Annotated[list[OptionSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _references(self):
        kinds = {}
        for o in self.options:
            if o.name in kinds:
                raise ValueError(f"option name {o.name!r} is used twice")
            kinds[o.name] = o
        for o in self.options:
            for part, allowed in (("local", "may_be_hybrid_local"), ("api", "may_be_hybrid_api")):
                if part not in OPTION_KINDS[o.kind].spec_needs:
                    continue
                named = kinds.get(getattr(o, part))
                if named is None or not getattr(OPTION_KINDS[named.kind], allowed):
                    fit = " or ".join(k for k, c in OPTION_KINDS.items() if getattr(c, allowed))
                    raise ValueError(f"hybrid {o.name!r}: {part} {getattr(o, part)!r} must "
                                     f"name an option of kind {fit} in this scenario "
                                     f"({', '.join(kinds)})")
        return self


def parse_scenario(data: dict, where: str = "scenario") -> Scenario:
    """Validate a scenario given as a dict (as read from YAML)."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: the file must hold a mapping of fields, "
                         f"not {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise one_line(e, where) from None


def set_field(scenario: Scenario, path: str, value) -> Scenario:
    """A copy of ``scenario`` with the field at dotted ``path`` set to ``value``.

    Where the field holds a range (``{value, low, high}``) and ``value`` is a number, the
    range moves with it (low and high scaled by the same factor), so a slider keeps the
    uncertainty the scenario gave. Validation errors name the field.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    last = keys[-1]
    old = node.get(last) if isinstance(node, dict) else None
    if isinstance(old, dict) and "value" in old and isinstance(value, int | float):
        ratio = value / old["value"] if old["value"] else None
        floor, ceiling, _ = LIMITS.get(last, (0.0, math.inf, False))
        new = {**old, "value": value}
        for bound in ("low", "high"):
            if bound in old:
                moved = old[bound] * ratio if ratio is not None else value
                new[bound] = min(max(moved, floor), ceiling)
        new["low"] = min(new.get("low", value), value)
        new["high"] = max(new.get("high", value), value)
        value = new
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return parse_scenario(data, "scenario")



def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file; a relative ``quotes`` path is made absolute."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}: malformed YAML{at}: "
                         f"{getattr(e, 'problem', None) or e}") from None
    scenario = parse_scenario(data, str(path))
    if scenario.quotes and not Path(scenario.quotes).is_absolute():
        scenario = scenario.model_copy(
            update={"quotes": str((path.parent / scenario.quotes).resolve())})
    return scenario


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as YAML atomically (never a half-written file). Returns the path."""
    return write_atomic(path, yaml.safe_dump(
        scenario.model_dump(mode="json", exclude_defaults=True), sort_keys=False,
        allow_unicode=True))


def preset_names() -> list[str]:
    """Names of the preset scenarios shipped in data/scenarios."""
    return sorted(p.stem for p in (data_dir() / "scenarios").glob("*.yaml"))


def preset_path(name: str) -> Path:
    """The file of a preset scenario; the error lists the valid names."""
    path = data_dir() / "scenarios" / f"{name}.yaml"
    if not path.is_file():
        raise InputError(f"preset: {name!r} is not allowed; must be one of "
                         f"{', '.join(preset_names())}")
    return path


# ---------------------------------------------------------------------------------------
# Resolution: scenario + catalog -> cost-model inputs with provenance.

@dataclasses.dataclass(frozen=True)
class Input:
    """One number the model uses, with its range and provenance.

    path : str  Where it goes, e.g. ``options.replicate_sdxl.usd_per_image``.
    value, low, high : float  [unit]
    row : str  The catalog row it comes from, ``table.name`` ('' for scenario values and
        defaults). Inputs from one row are one quantity: Monte Carlo draws them together.
    """

    path: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    as_of: str
    note: str = ""
    stale: bool = False
    overridden: bool = False
    row: str = ""


# Allowed ranges by field name: (low, high, low is exclusive).
LIMITS: dict[str, tuple[float, float, bool]] = {
    "images_per_month": (0, math.inf, False),
    "outputs_per_approved": (1, math.inf, False),
    "peak_factor": (1, math.inf, False),
    "megapixels_per_image": (0, math.inf, True),
    "retention_months": (0, math.inf, False),
    "cache_hit_rate": (0, 0.99, False),
    "preview_share": (0, 0.99, False),
    "preview_cost_ratio": (0, 1, False),
    "utilization": (0, 1, True),
    "resale_fraction": (0, 1, False),
    "idle_power_fraction": (0, 1, False),
    "downtime_allowance": (0, 1, False),
    "rework": (0, 10, False),
    "ml_engineer_fte": (0, 100, False),
    "images_per_hour": (0, math.inf, True),
    "useful_life_months": (0, math.inf, True),
    "amortization_months": (0, math.inf, True),
    "pue": (1, 5, False),
    "annual_discount_rate": (0, 1, False),
    "discount_rate": (0, 1, False),
    "local_gpus": (0, 100_000, False),
    "min_gpus": (0, 100_000, False),
}
_DEFAULT_LIMIT = (0, math.inf, False)

_WORKLOAD_DEFAULTS = {
    "review_minutes_per_asset": ("labor", "review_minutes_per_asset"),
    "reviewer_hourly_usd": ("labor", "reviewer_hourly"),
    "stored_mb_per_image": ("overheads", "png_1024_size"),
    "delivered_mb_per_image": ("overheads", "jpeg_webp_1024_size"),
    "views_per_approved": ("overheads", "views_per_image"),
    "storage_usd_per_gb_month": ("overheads", "storage"),
    "egress_usd_per_gb": ("overheads", "cdn_egress"),
}
_OPS_DEFAULTS = {
    "devops_hours_per_month": ("labor", "devops_hours"),
    "engineer_hourly_usd": ("labor", "devops_hourly"),
    "ml_engineer_usd_per_month": ("labor", "ml_infra_engineer"),
    "setup_weeks": ("labor", "serving_setup"),
    "monitoring_usd_per_month": ("assumptions", "monitoring_tools"),
    "backup_copies": ("assumptions", "backup_copies"),
    "downtime_allowance": ("assumptions", "downtime_allowance"),
    "api_integration_hours_per_month": ("labor", "api_integration_hours"),
    "vendor_management_hours_per_month": ("labor", "vendor_management_hours"),
}
# Latency families (api_latency) of the shipped API offers: the model's warm times, then the
# provider's cold starts where a source gives them. A scenario's ``latency`` replaces these.
def latency_families(spec: OptionSpec) -> tuple[str, ...]:
    """The api_latency families an API option reads: its own, else its offer's defaults."""
    return spec.latency or _API_LATENCY_DEFAULTS.get(spec.offer, ())


_API_LATENCY_DEFAULTS = {
    "replicate_sdxl": ("sdxl_api", "replicate"),
    "fal_flux_schnell": ("flux_schnell", "fal"),
    "openai_dalle3": ("dalle3",),
    "openai_dalle3_hd": ("dalle3",),
    "google_imagen3": ("imagen3",),
    "flux1_pro": ("flux_pro",),
    "sdxl_turbo_api": ("sdxl_turbo",),
}
_OWNED_DEFAULTS = {
    "useful_life_months": ("assumptions", "useful_life"),
    "resale_fraction": ("assumptions", "resale_fraction"),
    "idle_power_fraction": ("assumptions", "idle_power_fraction"),
    "kwh_usd": ("assumptions", "electricity"),
    "pue": ("assumptions", "pue"),
    "maintenance_per_year": ("assumptions", "maintenance"),
    "space_usd_per_gpu_month": ("assumptions", "space"),
    "utilization": ("assumptions", "utilization"),
}


@dataclasses.dataclass(frozen=True)
class Model:
    """A resolved scenario: every input with provenance, and the cost-model objects.

    ``values`` maps each input path to its value (floats, or arrays for Monte Carlo);
    :meth:`with_values` rebuilds the objects with some of them changed.
    """

    scenario: Scenario
    inputs: dict[str, Input]
    values: dict[str, object]
    structure: dict[str, object]
    workload: Workload
    ops: Operations
    options: dict[str, Option]

    def with_values(self, changes: dict[str, object]) -> Model:
        """The same model with some input values replaced (by path)."""
        unknown = [p for p in changes if p not in self.inputs]
        if unknown:
            raise InputError(f"input: {unknown[0]!r} is not allowed; must be one of "
                             f"{', '.join(self.inputs)}")
        return _build(self.scenario, self.inputs, {**self.values, **changes}, self.structure)

    def with_inputs(self, replaced: list[Input]) -> Model:
        """The same model with some inputs (value and provenance) replaced, by path."""
        for inp in replaced:
            if inp.path not in self.inputs:
                raise InputError(f"input: {inp.path!r} is not allowed; must be one of "
                                 f"{', '.join(self.inputs)}")
            _check_limits(inp)
        inputs = {**self.inputs, **{i.path: i for i in replaced}}
        values = {**self.values, **{i.path: i.value for i in replaced}}
        return _build(self.scenario, inputs, values, self.structure)

    def with_profile(self, profile) -> Model:
        """The same model with hybrid options sending overflow hour by hour under an hourly
        demand profile (weights, e.g. :func:`costlib.capacity.preset_profile`); None goes
        back to the steady ``max(0, images - capacity)``."""
        structure = {k: v for k, v in self.structure.items() if k != "hourly_profile"}
        if profile is not None:
            structure["hourly_profile"] = np.asarray(profile, dtype=float)
        return _build(self.scenario, self.inputs, self.values, structure)

    def option(self, name: str) -> Option:
        """One option by name; the error lists the valid names."""
        try:
            return self.options[name]
        except KeyError:
            raise InputError(f"option: {name!r} is not allowed; must be one of "
                             f"{', '.join(self.options)}") from None


def _from_entry(path: str, e: Entry) -> Input:
    return Input(path, e.value, e.low, e.high, e.unit, e.source, e.as_of, e.note, e.stale,
                 e.overridden, row=f"{e.table}.{e.name}")


def _from_scenario(path: str, q, unit: str, scenario: Scenario, today: dt.date) -> Input:
    as_of = (scenario.as_of or today).isoformat()
    if isinstance(q, Ranged):
        low = q.value if q.low is None else q.low
        high = q.value if q.high is None else q.high
        if low > high:
            raise InputError(f"{path}: low {low:g} is above high {high:g}; a range must have "
                             "low <= value <= high")
        if not low <= q.value <= high:
            raise InputError(f"{path}: {q.value!r} is not allowed; must lie within its "
                             f"low..high ({low:g}..{high:g})")
        return Input(path, q.value, low, high, unit, q.source or f"scenario '{scenario.name}'",
                     as_of, overridden=True)
    return Input(path, float(q), float(q), float(q), unit, f"scenario '{scenario.name}'", as_of,
                 overridden=True)


def hire(fte: Input) -> Input:
    """Self-hosting costed with at least one full-time ML infrastructure engineer: the hire a
    team with no operations capacity (``has_ops_team: false``) must make. Every view (the
    cost table, the decision, the report) prices self-hosted options with it. [FTE]"""
    if fte.low >= 1.0:
        return fte
    return dataclasses.replace(
        fte, value=max(fte.value, 1.0), low=max(fte.low, 1.0), high=max(fte.high, 1.0),
        source="hiring: the team has no operations capacity (has_ops_team: false)", row="")


def input_limits(path: str) -> tuple[float, float, bool]:
    """The allowed range of an input, by its field name: ``(low, high, low is exclusive)``."""
    return LIMITS.get(path.rsplit(".", 1)[-1], _DEFAULT_LIMIT)


def _check_limits(inp: Input) -> None:
    low, high, open_low = input_limits(inp.path)
    for label, v in (("", inp.value), (" (low)", inp.low), (" (high)", inp.high)):
        ok = (v > low if open_low else v >= low) and v <= high
        if not ok or not math.isfinite(v):
            allowed = f"must be {'>' if open_low else '>='} {low:g}"
            if math.isfinite(high):
                allowed += f" and <= {high:g}"
            raise InputError(f"{inp.path}{label}: {v!r} is not allowed; {allowed}")


def resolve(scenario: Scenario, catalog: Catalog | None = None, *,
            today: dt.date | None = None) -> Model:
    """Resolve a scenario against the catalog (loaded with the scenario's quotes if not given).

    Every number comes from the scenario where it sets one, otherwise from a catalog row;
    each becomes an :class:`Input` carrying its range, unit, source and date. ``today`` is
    the date catalog ages count to and the date of scenario values when the scenario gives
    no ``as_of`` (default: the catalog's ``today``, which defaults to today).
    """
    if catalog is None:
        catalog = load_catalog(scenario.quotes, stale_after_days=scenario.stale_after_days,
                               today=today)
    today = today or catalog.today
    inputs: dict[str, Input] = {}

    def take(path: str, given, default: tuple[str, str] | None = None, unit: str = "",
             fallback: float | None = None):
        if given is not None:
            inp = _from_scenario(path, given, unit or (catalog.get(*default).unit
                                                       if default else ""), scenario, today)
        elif default is not None:
            inp = _from_entry(path, catalog.get(*default))
        else:
            inp = Input(path, fallback, fallback, fallback, unit, "costlib default", "")
        _check_limits(inp)
        inputs[path] = inp

    w = scenario.workload
    take("workload.images_per_month", w.images_per_month, unit="images/month")
    take("workload.outputs_per_approved", w.outputs_per_approved, unit="images/asset")
    take("workload.peak_factor", w.peak_factor, ("assumptions", f"peak_{w.variability}"))
    width, height = (int(x) for x in w.resolution.split("x"))
    take("workload.megapixels_per_image", megapixels(width, height), unit="MP")
    take("workload.retention_months", w.retention_months, unit="months")
    take("workload.cache_hit_rate", w.cache_hit_rate, unit="fraction")
    take("workload.preview_share", w.preview_share, unit="fraction")
    take("workload.preview_cost_ratio", w.preview_cost_ratio,
         ("assumptions", "preview_cost_ratio"))
    take("workload.prompt_tokens_per_image", w.prompt_tokens_per_image, unit="tokens/image")
    for field, row in _WORKLOAD_DEFAULTS.items():
        take(f"workload.{field}", getattr(w, field, None), row)
    labor = scenario.labor
    for field, row in _OPS_DEFAULTS.items():
        take(f"ops.{field}", getattr(labor, field), row)
    take("ops.ml_engineer_fte", labor.ml_engineer_fte, unit="FTE")
    if not scenario.constraints.has_ops_team:
        inputs["ops.ml_engineer_fte"] = hire(inputs["ops.ml_engineer_fte"])
    take("ops.amortization_months", float(scenario.horizon_months), unit="months")
    take("discount_rate", scenario.discount_rate, ("assumptions", "annual_discount_rate"))
    from costlib.capacity.profiles import preset_profile

    # hybrids overflow hour by hour under the scenario's demand profile, in every view
    structure: dict[str, object] = {"hourly_profile": preset_profile(
        w.variability, inputs["workload.peak_factor"].value)}
    for spec in scenario.options:
        _resolve_option(spec, catalog, take, structure)
    values = {path: inp.value for path, inp in inputs.items()}
    return _build(scenario, inputs, values, structure)


_OPTION_FIELDS = {
    "api": {f.name for f in dataclasses.fields(ManagedAPI)} - {"name", "kind", "discount_tiers"},
    "rented": {f.name for f in dataclasses.fields(RentedGPU)} - {"name", "kind", "billing"},
    "owned": {f.name for f in dataclasses.fields(OwnedGPU)} - {"name", "kind"},
    "hybrid": set(),
}


def _resolve_option(spec: OptionSpec, catalog: Catalog, take, structure: dict) -> None:
    """Register the inputs of one option (``options.NAME.FIELD`` paths), and in
    ``structure`` what is not a number to vary: billing and discount thresholds."""
    p = f"options.{spec.name}"
    unknown = set(spec.set) - _OPTION_FIELDS[spec.kind]
    if unknown:
        raise InputError(f"{p}.set: {sorted(unknown)[0]!r} is not allowed; fields of a "
                         f"{spec.kind} option are {', '.join(sorted(_OPTION_FIELDS[spec.kind]))}")
    s = spec.set.get
    if spec.kind == "api":
        catalog.get("api_prices", spec.offer, field=f"{p}.offer")
        take(f"{p}.usd_per_image", s("usd_per_image"), ("api_prices", spec.offer))
        take(f"{p}.usd_per_megapixel", s("usd_per_megapixel"), unit="USD/MP", fallback=0.0)
        for name in spec.discounts:
            entry = catalog.get("api_terms", name, field=f"{p}.discounts")
            if entry.extra["kind"] != "discount":
                raise InputError(f"{p}.discounts: {name!r} is not allowed; must name a "
                                 "discount row of api_terms")
            if math.isnan(entry.extra["min_images_per_month"]):
                raise InputError(f"api_terms: row {name!r} has no min_images_per_month; a "
                                 "discount needs the volume it starts at")
            take(f"{p}.discount.{name}", None, ("api_terms", name))
            structure[f"{p}.discount.{name}"] = entry.extra["min_images_per_month"]
        surcharge = sum(catalog.get("api_terms", n, field=f"{p}.surcharges").value
                        for n in spec.surcharges)
        take(f"{p}.surcharge_usd_per_image", s("surcharge_usd_per_image"), unit="USD/image",
             fallback=surcharge)
        tier_row = ("api_terms", f"{spec.tier}_usd_per_month") if spec.tier else None
        take(f"{p}.fixed_usd_per_month", s("fixed_usd_per_month"), tier_row, unit="USD/month",
             fallback=0.0)
        take(f"{p}.usd_per_prompt_token", s("usd_per_prompt_token"), unit="USD/token",
             fallback=0.0)
        _resolve_latency(spec, catalog, structure,
                         latency_families(spec))
        return
    _resolve_latency(spec, catalog, structure, spec.latency)
    if spec.throughput is not None:
        catalog.get("throughput", spec.throughput, field=f"{p}.throughput")
    if spec.kind == "rented":
        offer = catalog.get("gpu_rental", spec.offer, field=f"{p}.offer")
        billing = spec.billing or ("reserved" if offer.extra["billing"] == "monthly"
                                   else "on_demand")
        hourly = offer.extra["billing"] == "hourly"
        take(f"{p}.hourly_usd", s("hourly_usd"), ("gpu_rental", spec.offer) if hourly else None,
             unit="USD/h", fallback=offer.value / HOURS_PER_MONTH)
        take(f"{p}.monthly_usd", s("monthly_usd"),
             None if hourly else ("gpu_rental", spec.offer), unit="USD/month", fallback=0.0)
        take(f"{p}.images_per_hour", s("images_per_hour"),
             ("throughput", spec.throughput) if spec.throughput else None, unit="images/h")
        util_row = "utilization" if billing == "reserved" else "on_demand_utilization"
        take(f"{p}.utilization", s("utilization"), ("assumptions", util_row))
        spot = offer.extra["market"] == "spot"
        take(f"{p}.rework", s("rework"), ("assumptions", "spot_rework") if spot else None,
             unit="fraction", fallback=0.0)
        take(f"{p}.min_gpus", s("min_gpus"), unit="GPUs", fallback=1.0)
        structure[f"{p}.billing"] = billing
        structure[f"{p}.gpu"] = offer.extra["gpu"]
    elif spec.kind == "owned":
        purchase = catalog.rows("gpu_hardware", gpu=spec.gpu, quantity="purchase_usd")
        if not purchase and "purchase_usd" not in spec.set:
            known = sorted({e.extra["gpu"] for e in catalog.rows("gpu_hardware",
                                                                  quantity="purchase_usd")})
            raise InputError(f"{p}.gpu: {spec.gpu!r} has no purchase price in the catalog (no "
                             f"source gives one); set purchase_usd or add a quote; priced GPUs "
                             f"are {', '.join(known)}")
        watts = catalog.rows("gpu_hardware", gpu=spec.gpu, quantity="board_watts")
        if not watts and "board_watts" not in spec.set:
            known = sorted({e.extra["gpu"] for e in catalog.rows("gpu_hardware")})
            raise InputError(f"{p}.gpu: {spec.gpu!r} is not allowed; must be one of "
                             f"{', '.join(known)} (or set board_watts)")
        take(f"{p}.purchase_usd", s("purchase_usd"),
             ("gpu_hardware", purchase[0].name) if purchase else None)
        take(f"{p}.board_watts", s("board_watts"),
             ("gpu_hardware", watts[0].name) if watts else None)
        take(f"{p}.images_per_hour", s("images_per_hour"),
             ("throughput", spec.throughput) if spec.throughput else None, unit="images/h")
        for field, row in _OWNED_DEFAULTS.items():
            take(f"{p}.{field}", s(field), row)
        take(f"{p}.min_gpus", s("min_gpus"), unit="GPUs", fallback=1.0)
        structure[f"{p}.gpu"] = spec.gpu
    else:
        take(f"{p}.local_gpus", spec.local_gpus, unit="GPUs")


def _resolve_latency(spec: OptionSpec, catalog: Catalog, structure: dict,
                     families: tuple[str, ...]) -> None:
    """Record an option's latency figures (rows of api_latency) in ``structure``, as
    ``{metric: Entry}`` under ``options.NAME.latency``; a later family's metric replaces an
    earlier one's (``[sdxl_api, replicate]``: SDXL warm times, Replicate's cold starts)."""
    figures: dict[str, Entry] = {}
    for family in families:
        rows = catalog.rows("api_latency", family=family)
        if not rows:
            known = sorted({e.extra["family"] for e in catalog.rows("api_latency")})
            raise InputError(f"options.{spec.name}.latency: {family!r} is not allowed; must "
                             f"be a family of api_latency ({', '.join(known)})")
        figures.update({e.extra["metric"]: e for e in rows})
    if figures:
        structure[f"options.{spec.name}.latency"] = figures


def _build(scenario: Scenario, inputs: dict[str, Input], values: dict,
           structure: dict) -> Model:
    """Construct the cost-model objects from input values."""
    def v(path):
        return values[path]

    workload = Workload(**{f.name: v(f"workload.{f.name}")
                           for f in dataclasses.fields(Workload)})
    ops = Operations(**{f.name: v(f"ops.{f.name}") for f in dataclasses.fields(Operations)})
    rate = v("discount_rate")
    options: dict[str, Option] = {}
    specs = {s.name: s for s in scenario.options}

    def build(spec: OptionSpec) -> Option:
        p = f"options.{spec.name}."
        mine = {k[len(p):]: val for k, val in values.items() if k.startswith(p)}
        if spec.kind == "api":
            tiers = tuple(sorted(((structure[p + k], val) for k, val in mine.items()
                                  if k.startswith("discount.")), key=lambda t: t[0]))
            fields = {k: val for k, val in mine.items() if not k.startswith("discount.")}
            return ManagedAPI(spec.name, discount_tiers=tiers, **fields)
        if spec.kind == "rented":
            return RentedGPU(spec.name, billing=structure[p + "billing"], **mine)
        if spec.kind == "owned":
            return OwnedGPU(spec.name, annual_discount_rate=rate, **mine)
        return Hybrid(spec.name, build(specs[spec.local]), build(specs[spec.api]),
                      mine["local_gpus"], profile=structure.get("hourly_profile"))

    for spec in scenario.options:
        options[spec.name] = build(spec)
    return Model(scenario, inputs, values, structure, workload, ops, options)
