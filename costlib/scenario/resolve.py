"""Resolution: a scenario and the catalog become a :class:`Model`, the cost-model objects plus
every input with its value, range, unit, source and date.

Paths name inputs the way the scenario file does: ``workload.images_per_month``,
``labor.ml_engineer_fte``, ``options.NAME.usd_per_image``, ``discount_rate``. Each option
kind resolves its own inputs (:data:`_RESOLVE`) and is built from them (:data:`_BUILD`);
what is not a number to vary (billing, the GPU, discount thresholds, latency figures) is
kept in its :class:`OptionRecord`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from costlib.catalog import Catalog, Entry, Sourced, load_catalog, sourced
from costlib.errors import InputError
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
from costlib.scenario.schema import OptionSpec, Ranged, Scenario, input_limits


@dataclasses.dataclass(frozen=True, kw_only=True)
class Input(Sourced):
    """One number the model uses, with its range and provenance.

    path : str  Where it goes, e.g. ``options.replicate_sdxl.usd_per_image``.
    stale, overridden : bool  Older than the scenario's threshold; set by a scenario value or
        a quotes file.
    row : str  The catalog row it comes from, ``table.name`` ('' for scenario values and
        defaults). Inputs from one row are one quantity: Monte Carlo draws them together.
    """

    path: str
    stale: bool = False
    overridden: bool = False
    row: str = ""


_WORKLOAD_DEFAULTS = {
    "review_minutes_per_output": ("labor", "review_minutes_per_output"),
    "reviewer_hourly_usd": ("labor", "reviewer_hourly"),
    "stored_mb_per_image": ("overheads", "png_1024_size"),
    "delivered_mb_per_image": ("overheads", "jpeg_webp_1024_size"),
    "views_per_approved": ("overheads", "views_per_image"),
    "storage_usd_per_gb_month": ("overheads", "storage"),
    "egress_usd_per_gb": ("overheads", "cdn_egress"),
}
_LABOR_DEFAULTS = {
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
class OptionRecord:
    """What an option is beyond the numbers that vary: read from the scenario and the catalog.

    billing : str or None  ``on_demand`` or ``reserved`` (rented GPUs).
    gpu : str or None  The GPU it runs on (rented and owned GPUs), as the catalog names it.
    discount_thresholds : dict  ``{api_terms row: images/month it starts at}`` (APIs).
        [images/month]
    latency : dict  ``{metric: Entry}`` of its api_latency families, later families first.
    """

    billing: str | None = None
    gpu: str | None = None
    discount_thresholds: dict[str, float] = dataclasses.field(default_factory=dict)
    latency: dict[str, Entry] = dataclasses.field(default_factory=dict)


def latency_families(spec: OptionSpec) -> tuple[str, ...]:
    """The api_latency families an API option reads: its own, else its offer's defaults."""
    return spec.latency or _API_LATENCY_DEFAULTS.get(spec.offer, ())


@dataclasses.dataclass(frozen=True)
class Model:
    """A resolved scenario: every input with provenance, and the cost-model objects.

    ``values`` maps each input path to its value (floats, or arrays for Monte Carlo);
    :meth:`with_values` rebuilds the objects with some of them changed. ``records`` holds
    each option's :class:`OptionRecord`; ``profile`` the hourly demand weights hybrids
    overflow under (None: a steady ``max(0, images - capacity)``).
    """

    scenario: Scenario
    inputs: dict[str, Input]
    values: dict[str, object]
    records: dict[str, OptionRecord]
    profile: np.ndarray | None
    workload: Workload
    labor: Operations
    options: dict[str, Option]

    @property
    def ops(self) -> Operations:
        """The labor and overheads, as the cost functions name their argument."""
        return self.labor

    def with_values(self, changes: dict[str, object]) -> Model:
        """The same model with some input values replaced (by path)."""
        unknown = [p for p in changes if p not in self.inputs]
        if unknown:
            raise InputError(f"input: {unknown[0]!r} is not allowed; must be one of "
                             f"{', '.join(self.inputs)}")
        return _build(self.scenario, self.inputs, {**self.values, **changes}, self.records,
                      self.profile)

    def with_inputs(self, replaced: list[Input]) -> Model:
        """The same model with some inputs (value and provenance) replaced, by path."""
        for inp in replaced:
            if inp.path not in self.inputs:
                raise InputError(f"input: {inp.path!r} is not allowed; must be one of "
                                 f"{', '.join(self.inputs)}")
            _check_limits(inp)
        inputs = {**self.inputs, **{i.path: i for i in replaced}}
        values = {**self.values, **{i.path: i.value for i in replaced}}
        return _build(self.scenario, inputs, values, self.records, self.profile)

    def option(self, name: str) -> Option:
        """One option by name; the error lists the valid names."""
        try:
            return self.options[name]
        except KeyError:
            raise InputError(f"option: {name!r} is not allowed; must be one of "
                             f"{', '.join(self.options)}") from None


def _from_entry(path: str, e: Entry) -> Input:
    return Input(path=path, **sourced(e), stale=e.stale, overridden=e.overridden,
                 row=f"{e.table}.{e.name}")


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
        return Input(path=path, value=q.value, low=low, high=high, unit=unit,
                     source=q.source or f"scenario '{scenario.name}'", as_of=as_of,
                     overridden=True)
    return Input(path=path, value=float(q), low=float(q), high=float(q), unit=unit,
                 source=f"scenario '{scenario.name}'", as_of=as_of, overridden=True)


def hire(fte: Input) -> Input:
    """Self-hosting costed with at least one full-time ML infrastructure engineer: the hire a
    team with no operations capacity (``has_ops_team: false``) must make. Every view (the
    cost table, the decision, the report) prices self-hosted options with it. [FTE]"""
    if fte.low >= 1.0:
        return fte
    return dataclasses.replace(
        fte, value=max(fte.value, 1.0), low=max(fte.low, 1.0), high=max(fte.high, 1.0),
        source="hiring: the team has no operations capacity", row="")


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
            inp = Input(path=path, value=fallback, low=fallback, high=fallback, unit=unit,
                        source="costlib default")
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
    for field, row in _LABOR_DEFAULTS.items():
        take(f"labor.{field}", getattr(labor, field), row)
    take("labor.ml_engineer_fte", labor.ml_engineer_fte, unit="FTE")
    if not scenario.constraints.has_ops_team:
        inputs["labor.ml_engineer_fte"] = hire(inputs["labor.ml_engineer_fte"])
    take("labor.amortization_months", float(scenario.horizon_months), unit="months")
    take("discount_rate", scenario.discount_rate, ("assumptions", "annual_discount_rate"))
    from costlib.capacity.profiles import preset_profile

    records = {spec.name: _resolve_option(spec, catalog, take) for spec in scenario.options}
    # hybrids overflow hour by hour under the scenario's demand profile, in every view
    profile = preset_profile(w.variability, inputs["workload.peak_factor"].value)
    values = {path: inp.value for path, inp in inputs.items()}
    return _build(scenario, inputs, values, records, profile)


# Fields an option's ``set:`` may give, by kind: its dataclass fields less those the
# scenario gives otherwise (billing, parts, the discount rate, the hybrid's GPU count).
_NOT_SET = {"name", "discount_tiers", "billing", "local", "api", "local_gpus", "profile",
            "annual_discount_rate"}


def _settable(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)} - _NOT_SET


def _resolve_option(spec: OptionSpec, catalog: Catalog, take) -> OptionRecord:
    """Register the inputs of one option (``options.NAME.FIELD`` paths) and return its
    record."""
    cls = OPTION_KINDS[spec.kind]
    unknown = set(spec.set) - _settable(cls)
    if unknown:
        raise InputError(f"options.{spec.name}.set: {sorted(unknown)[0]!r} is not allowed; "
                         f"fields of a {spec.kind} option are "
                         f"{', '.join(sorted(_settable(cls))) or 'none'}")
    p = f"options.{spec.name}"
    if "outputs_per_approved" in spec.set:  # the option's own acceptance
        take(f"{p}.outputs_per_approved", spec.set["outputs_per_approved"], unit="images/asset")
    return _RESOLVE[cls](spec, catalog, take, p, spec.set.get)


def _resolve_api(spec, catalog, take, p, s) -> OptionRecord:
    catalog.get("api_prices", spec.offer, field=f"{p}.offer")
    take(f"{p}.usd_per_image", s("usd_per_image"), ("api_prices", spec.offer))
    take(f"{p}.usd_per_megapixel", s("usd_per_megapixel"), unit="USD/MP", fallback=0.0)
    thresholds = {}
    for name in spec.discounts:
        entry = catalog.get("api_terms", name, field=f"{p}.discounts")
        if entry.extra["kind"] != "discount":
            raise InputError(f"{p}.discounts: {name!r} is not allowed; must name a "
                             "discount row of api_terms")
        if math.isnan(entry.extra["min_images_per_month"]):
            raise InputError(f"api_terms: row {name!r} has no min_images_per_month; a "
                             "discount needs the volume it starts at")
        take(f"{p}.discount.{name}", None, ("api_terms", name))
        thresholds[name] = entry.extra["min_images_per_month"]
    surcharge = sum(catalog.get("api_terms", n, field=f"{p}.surcharges").value
                    for n in spec.surcharges)
    take(f"{p}.surcharge_usd_per_image", s("surcharge_usd_per_image"), unit="USD/image",
         fallback=surcharge)
    tier_row = ("api_terms", f"{spec.tier}_usd_per_month") if spec.tier else None
    take(f"{p}.fixed_usd_per_month", s("fixed_usd_per_month"), tier_row, unit="USD/month",
         fallback=0.0)
    take(f"{p}.usd_per_prompt_token", s("usd_per_prompt_token"), unit="USD/token",
         fallback=0.0)
    return OptionRecord(discount_thresholds=thresholds,
                        latency=_latency(spec, catalog, latency_families(spec)))


def _throughput(spec, catalog, take, p, s) -> None:
    if spec.throughput is not None:
        catalog.get("throughput", spec.throughput, field=f"{p}.throughput")
    take(f"{p}.images_per_hour", s("images_per_hour"),
         ("throughput", spec.throughput) if spec.throughput else None, unit="images/h")


def _resolve_rented(spec, catalog, take, p, s) -> OptionRecord:
    offer = catalog.get("gpu_rental", spec.offer, field=f"{p}.offer")
    billing = spec.billing or ("reserved" if offer.extra["billing"] == "monthly"
                               else "on_demand")
    hourly = offer.extra["billing"] == "hourly"
    take(f"{p}.hourly_usd", s("hourly_usd"), ("gpu_rental", spec.offer) if hourly else None,
         unit="USD/h", fallback=offer.value / HOURS_PER_MONTH)
    take(f"{p}.monthly_usd", s("monthly_usd"),
         None if hourly else ("gpu_rental", spec.offer), unit="USD/month", fallback=0.0)
    _throughput(spec, catalog, take, p, s)
    util_row = "utilization" if billing == "reserved" else "on_demand_utilization"
    take(f"{p}.utilization", s("utilization"), ("assumptions", util_row))
    spot = offer.extra["market"] == "spot"
    take(f"{p}.rework", s("rework"), ("assumptions", "spot_rework") if spot else None,
         unit="fraction", fallback=0.0)
    take(f"{p}.min_gpus", s("min_gpus"), unit="GPUs", fallback=1.0)
    return OptionRecord(billing=billing, gpu=offer.extra["gpu"],
                        latency=_latency(spec, catalog, spec.latency))


def _resolve_owned(spec, catalog, take, p, s) -> OptionRecord:
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
    _throughput(spec, catalog, take, p, s)
    for field, row in _OWNED_DEFAULTS.items():
        take(f"{p}.{field}", s(field), row)
    take(f"{p}.min_gpus", s("min_gpus"), unit="GPUs", fallback=1.0)
    return OptionRecord(gpu=spec.gpu, latency=_latency(spec, catalog, spec.latency))


def _resolve_hybrid(spec, catalog, take, p, s) -> OptionRecord:
    take(f"{p}.local_gpus", spec.local_gpus, unit="GPUs")
    return OptionRecord(latency=_latency(spec, catalog, spec.latency))


def _latency(spec: OptionSpec, catalog: Catalog, families: tuple[str, ...]) -> dict:
    """An option's latency figures (rows of api_latency) as ``{metric: Entry}``; a later
    family's metric replaces an earlier one's (``[sdxl_api, replicate]``: SDXL warm times,
    Replicate's cold starts)."""
    figures: dict[str, Entry] = {}
    for family in families:
        rows = catalog.rows("api_latency", family=family)
        if not rows:
            known = sorted({e.extra["family"] for e in catalog.rows("api_latency")})
            raise InputError(f"options.{spec.name}.latency: {family!r} is not allowed; must "
                             f"be a family of api_latency ({', '.join(known)})")
        figures.update({e.extra["metric"]: e for e in rows})
    return figures


def _build(scenario: Scenario, inputs: dict[str, Input], values: dict,
           records: dict[str, OptionRecord], profile) -> Model:
    """Construct the cost-model objects from input values."""
    workload = Workload(**{f.name: values[f"workload.{f.name}"]
                           for f in dataclasses.fields(Workload)})
    labor = Operations(**{f.name: values[f"labor.{f.name}"]
                          for f in dataclasses.fields(Operations)})
    specs = {s.name: s for s in scenario.options}
    context = {"rate": values["discount_rate"], "profile": profile, "specs": specs,
               "records": records}

    def build(spec: OptionSpec) -> Option:
        p = f"options.{spec.name}."
        mine = {k[len(p):]: val for k, val in values.items() if k.startswith(p)}
        return _BUILD[OPTION_KINDS[spec.kind]](spec, records[spec.name], mine, build, context)

    options = {spec.name: build(spec) for spec in scenario.options}
    return Model(scenario, inputs, values, records, profile, workload, labor, options)


def _build_api(spec, record, mine, build, context) -> ManagedAPI:
    tiers = tuple(sorted(((record.discount_thresholds[k.removeprefix("discount.")], val)
                          for k, val in mine.items() if k.startswith("discount.")),
                         key=lambda t: t[0]))
    fields = {k: val for k, val in mine.items() if not k.startswith("discount.")}
    return ManagedAPI(spec.name, discount_tiers=tiers, **fields)


def _build_hybrid(spec, record, mine, build, context) -> Hybrid:
    specs = context["specs"]
    return Hybrid(spec.name, build(specs[spec.local]), build(specs[spec.api]),
                  mine["local_gpus"], profile=context["profile"],
                  outputs_per_approved=mine.get("outputs_per_approved"))


# Each option kind's resolver (scenario + catalog -> inputs and record) and builder
# (input values -> the cost-model object): adding a kind adds its two entries here.
_RESOLVE = {ManagedAPI: _resolve_api, RentedGPU: _resolve_rented, OwnedGPU: _resolve_owned,
            Hybrid: _resolve_hybrid}
_BUILD = {
    ManagedAPI: _build_api,
    RentedGPU: lambda spec, record, mine, build, context: RentedGPU(
        spec.name, billing=record.billing, **mine),
    OwnedGPU: lambda spec, record, mine, build, context: OwnedGPU(
        spec.name, annual_discount_rate=context["rate"], **mine),
    Hybrid: _build_hybrid,
}
