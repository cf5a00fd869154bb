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

from costlib.cashflow import Timeline
from costlib.catalog import Catalog, Entry, Sourced, load_catalog, market_offer, sourced
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
    ServerlessGPU,
    Workload,
    megapixels,
)
from costlib.scenario.schema import OptionSpec, Ranged, Scenario, input_limits, input_whole
from costlib.throughput import (
    PRECISIONS,
    MemoryFit,
    allowed_precisions,
    at_batch,
    estimate,
    memory_fit,
)


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
    "devops_hours_per_gpu_month": ("labor", "devops_hours_per_gpu"),
    "hardware_hours_per_gpu_month": ("labor", "hardware_hours_per_gpu"),
    "oncall_usd_per_month": ("labor", "oncall"),
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
    "host_usd_per_server": ("assumptions", "host_server"),
    "gpus_per_server": ("assumptions", "gpus_per_server"),
    "lead_months": ("assumptions", "procurement_lead"),
    "utilization": ("assumptions", "utilization"),
}


@dataclasses.dataclass(frozen=True)
class OptionRecord:
    """What an option is beyond the numbers that vary: read from the scenario and the catalog.

    billing : str or None  ``on_demand`` or ``reserved`` (rented GPUs).
    gpu : str or None  The GPU it runs on (rented and owned GPUs), as the catalog names it.
    discount_thresholds : dict  ``{api_terms row: images/month it starts at}`` (APIs).
        [images/month]
    rate_tiers : tuple  ``(requests/min, USD/month)`` of the rate-limit tiers (APIs).
    latency : dict  ``{metric: Entry}`` of its api_latency families, later families first.
    memory : MemoryFit or None  The scenario's model against its GPU's memory at its batch
        size and precision (a hybrid: its local GPUs'); None for APIs or where the catalog
        lacks a figure.
    batch_size : int  Images its GPUs generate per call (GPU options; 1 otherwise). [images]
    precision : str  The arithmetic its GPUs run in: bf16, fp16 or fp8 (GPU options).
    """

    billing: str | None = None
    gpu: str | None = None
    discount_thresholds: dict[str, float] = dataclasses.field(default_factory=dict)
    rate_tiers: tuple[tuple[float, float], ...] = ()
    latency: dict[str, Entry] = dataclasses.field(default_factory=dict)
    memory: MemoryFit | None = None
    batch_size: int = 1
    precision: str = "bf16"


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
    timeline: Timeline
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


def _from_entry(path: str, e: Entry, price_uncertainty_per_year: float = 0.0) -> Input:
    inp = Input(path=path, **sourced(e), stale=e.stale, overridden=e.overridden,
                row=f"{e.table}.{e.name}")
    return aged_range(inp, e.age_days, price_uncertainty_per_year)


def aged_range(inp: Input, age_days: int, share_per_year: float) -> Input:
    """A price (a USD unit) whose source gives no range, given +/- ``share_per_year`` of its
    value per year of its age, at least half a year's and at most 90 %: what a scenario's
    ``price_uncertainty_per_year`` does. Other inputs are returned unchanged."""
    if not share_per_year or inp.low != inp.high or not inp.unit.startswith("USD"):
        return inp
    spread = min(share_per_year * max(age_days / 365.25, 0.5), 0.9)
    note = (f"no range given by the source: +/-{spread:.0%} from the scenario's price "
            f"uncertainty of {share_per_year:.0%} a year of age")
    return dataclasses.replace(inp, low=inp.value * (1 - spread), high=inp.value * (1 + spread),
                               note=f"{inp.note}; {note}" if inp.note else note)


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


def generated(w) -> Ranged:
    """Generated images for a workload stated in approved assets: the approved assets (and
    their range) times the outputs generated per approved asset at its value. (The range of
    acceptance still moves review and fees through the outputs per approved asset.)"""
    def number(q):
        return (q.value, q.low, q.high, q.source) if isinstance(q, Ranged) else (q, q, q, None)

    approved, low, high, source = number(w.approved_per_month)
    outputs = number(w.outputs_per_approved)[0]
    return Ranged(value=approved * outputs, low=None if low is None else low * outputs,
                  high=None if high is None else high * outputs,
                  source=f"{source + ': ' if source else ''}{approved:g} approved assets a month "
                         f"x {outputs:g} outputs per approved asset")


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
        if input_whole(inp.path) and v != int(v):
            raise InputError(f"{inp.path}{label}: {v!r} is not allowed; must be a whole "
                             "number")


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

    def take(path: str, given, default: tuple[str, str] | Entry | None = None, unit: str = "",
             fallback: float | None = None):
        entry = catalog.get(*default) if isinstance(default, tuple) else default
        if given is not None:
            inp = _from_scenario(path, given, unit or (entry.unit if entry else ""), scenario,
                                 today)
        elif entry is not None:
            inp = _from_entry(path, entry, scenario.price_uncertainty_per_year)
        else:
            inp = Input(path=path, value=fallback, low=fallback, high=fallback, unit=unit,
                        source="not given; the default applies")
        _check_limits(inp)
        inputs[path] = inp

    w = scenario.workload
    take("workload.images_per_month", w.images_per_month or generated(w), unit="images/month")
    take("workload.outputs_per_approved", w.outputs_per_approved, unit="images/asset")
    take("workload.peak_factor", w.peak_factor, ("assumptions", f"peak_{w.variability}"))
    width, height = (int(x) for x in w.resolution.split("x"))
    take("workload.megapixels_per_image", megapixels(width, height), unit="MP")
    take("workload.retention_months", w.retention_months, unit="months")
    take("workload.cache_hit_rate", w.cache_hit_rate, unit="fraction")
    take("workload.preview_share", w.preview_share, unit="fraction")
    take("workload.preview_cost_ratio", w.preview_cost_ratio,
         ("assumptions", "preview_cost_ratio"))
    take("workload.preview_price_ratio", w.preview_price_ratio,
         ("assumptions", "preview_price_ratio"))
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
    t = scenario.timeline
    take("timeline.growth_per_month", t.growth_per_month, unit="fraction/month")
    take("timeline.api_price_decline_per_year", t.api_price_decline_per_year,
         ("assumptions", "api_price_decline"))
    take("timeline.gpu_price_decline_per_year", t.gpu_price_decline_per_year,
         ("assumptions", "gpu_price_decline"))
    from costlib.capacity.profiles import preset_profile

    records = _with_memory(scenario, catalog, {spec.name: _resolve_option(spec, catalog, take,
                                                                          w)
                                               for spec in scenario.options})
    # hybrids overflow hour by hour under the scenario's demand profile, in every view
    profile = preset_profile(w.variability, inputs["workload.peak_factor"].value)
    for spec in scenario.options:
        _check_throughput_row(spec, catalog, records[spec.name].gpu, w.model)
    values = {path: inp.value for path, inp in inputs.items()}
    return _build(scenario, inputs, values, records, profile)


# Fields an option's ``set:`` may give, by kind: its dataclass fields less those the
# scenario gives otherwise (billing, parts, the discount rate, the hybrid's GPU count).
_NOT_SET = {"name", "discount_tiers", "rate_tiers", "billing", "local", "api", "local_gpus",
            "profile", "annual_discount_rate"}


def _settable(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)} - _NOT_SET


def _resolve_option(spec: OptionSpec, catalog: Catalog, take, workload) -> OptionRecord:
    """Register the inputs of one option (``options.NAME.FIELD`` paths) and return its
    record; ``workload`` is the scenario's (its model and resolution set GPU throughputs)."""
    cls = OPTION_KINDS[spec.kind]
    unknown = set(spec.set) - _settable(cls)
    if unknown:
        raise InputError(f"options.{spec.name}.set: {sorted(unknown)[0]!r} is not allowed; "
                         f"fields of a {spec.kind} option are "
                         f"{', '.join(sorted(_settable(cls))) or 'none'}")
    p = f"options.{spec.name}"
    if "outputs_per_approved" in spec.set:  # the option's own acceptance
        take(f"{p}.outputs_per_approved", spec.set["outputs_per_approved"], unit="images/asset")
    return _RESOLVE[cls](spec, catalog, take, p, spec.set.get, workload)


def _resolve_api(spec, catalog, take, p, s, workload) -> OptionRecord:
    offer = catalog.get("api_prices", spec.offer, field=f"{p}.offer")
    per_mp = offer.extra["pricing"] == "per_megapixel"
    take(f"{p}.usd_per_image", s("usd_per_image"), None if per_mp else offer, unit="USD/image",
         fallback=0.0)
    take(f"{p}.usd_per_megapixel", s("usd_per_megapixel"), offer if per_mp else None,
         unit="USD/MP", fallback=0.0)
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
    take(f"{p}.fixed_usd_per_month", s("fixed_usd_per_month"), unit="USD/month",
         fallback=0.0)
    take(f"{p}.usd_per_prompt_token", s("usd_per_prompt_token"), unit="USD/token",
         fallback=0.0)
    return OptionRecord(discount_thresholds=thresholds, rate_tiers=rate_tiers(catalog, spec.tier),
                        latency=_latency(spec, catalog, latency_families(spec)))


RATE_TIERS = ("free", "starter", "pro")


def rate_tiers(catalog: Catalog, lowest: str | None = None) -> tuple[tuple[float, float], ...]:
    """The rate-limit tiers an API may be on, ``(requests/min, USD/month)`` ascending, from
    ``lowest`` (the option's ``tier``) up: ImageBench's free, starter and pro tiers, then a
    negotiated enterprise tier above pro, priced one upgrade step (its 3-5x for twice the
    limit) above the pro fee. Fees at their values (not sampled)."""
    names = RATE_TIERS[RATE_TIERS.index(lowest):] if lowest else RATE_TIERS
    fee = {"free": 0.0} | {n: catalog.value("api_terms", f"{n}_usd_per_month")
                           for n in RATE_TIERS[1:]}
    tiers = [(catalog.value("api_terms", f"{n}_requests_per_minute"), fee[n]) for n in names]
    enterprise_usd = fee["pro"] * catalog.value("api_terms", "tier_upgrade_cost_multiplier")
    return (*tiers, (math.inf, enterprise_usd))


# ``throughput: model``: images/hour from the throughput model for the option's GPU and the
# workload's model and resolution, at the option's precision and batch size.
MODEL_THROUGHPUT = "model"


def _with_memory(scenario: Scenario, catalog: Catalog, records: dict) -> dict:
    """The records with the memory fit of the scenario's model on each option's GPU at its
    batch size and precision (a hybrid's: its local option's)."""
    w = scenario.workload
    gpu_side = {s.name: records[s.local] if s.kind == "hybrid" else records[s.name]
                for s in scenario.options}
    return {name: dataclasses.replace(r, memory=memory_fit(
                catalog, gpu_side[name].gpu, w.model, gpu_side[name].batch_size,
                gpu_side[name].precision, w.resolution))
            for name, r in records.items()}


def _throughput(spec, catalog, take, p, s, gpu: str, workload) -> None:
    """Register an option's images/hour at its batch size: a value it sets (taken as measured
    at that batch size, as a probe's is), the throughput model's estimate for its GPU, or a
    catalog row moved from the batch size it was measured at (1 where not stated) by the
    model's batch gain (:func:`costlib.throughput.at_batch`). The option's precision must be
    one its GPU runs."""
    _check_precision(spec, catalog, gpu)
    if spec.throughput == MODEL_THROUGHPUT and "images_per_hour" not in spec.set:
        figure = estimate(catalog, gpu, workload.model, resolution=workload.resolution,
                          field=f"{p}.throughput", precision=PRECISIONS[spec.precision],
                          batch_size=spec.batch_size)
        row = Entry(table="throughput", name=f"model_{gpu}_{workload.model}_{spec.precision}"
                                             f"_batch_{spec.batch_size}", **sourced(figure))
    elif spec.throughput not in (None, MODEL_THROUGHPUT):
        row = catalog.get("throughput", spec.throughput, field=f"{p}.throughput")
        measured_at = 1.0 if math.isnan(row.extra["batch"]) else row.extra["batch"]
        if measured_at != spec.batch_size:  # another quantity than the row's: drawn apart
            row = dataclasses.replace(
                at_batch(row, catalog, workload.model, measured_at, spec.batch_size),
                name=f"{row.name}_at_batch_{spec.batch_size}")
    else:
        row = None
    take(f"{p}.images_per_hour", s("images_per_hour"), row, unit="images/h")


def _check_precision(spec: OptionSpec, catalog: Catalog, gpu: str) -> None:
    """A GPU option's precision must be one its GPU has a peak for (fp8: an 8-bit one)."""
    allowed = allowed_precisions(catalog, gpu)
    if spec.precision not in allowed:
        raise InputError(f"options.{spec.name}.precision: {spec.precision!r} is not allowed; "
                         f"{gpu} has no 8-bit peak in the catalog, so it may run at "
                         f"{' or '.join(allowed)}")


def rental_offer(spec: OptionSpec, catalog: Catalog, field: str) -> Entry:
    """A rented option's offer: the gpu_rental row ``offer`` names or, where the option names
    a ``gpu``, the market offer ``offer`` picks: ``PICK`` or ``PICK/MARKET`` with PICK a
    cloud, ``cheapest`` or ``median`` and MARKET ``on_demand`` (default) or ``spot``."""
    if spec.gpu is None:
        return catalog.get("gpu_rental", spec.offer, field=field)
    pick, _, market = spec.offer.partition("/")
    if market not in ("", "on_demand", "spot"):
        raise InputError(f"{field}: {spec.offer!r} is not allowed; the market after '/' must "
                         "be on_demand or spot")
    return market_offer(catalog, spec.gpu, pick, market or "on_demand", field=field)


def _resolve_rented(spec, catalog, take, p, s, workload) -> OptionRecord:
    offer = rental_offer(spec, catalog, f"{p}.offer")
    billing = spec.billing or ("reserved" if offer.extra["billing"] == "monthly"
                               else "on_demand")
    hourly = offer.extra["billing"] == "hourly"
    take(f"{p}.hourly_usd", s("hourly_usd"), offer if hourly else None,
         unit="USD/h", fallback=offer.value / HOURS_PER_MONTH)
    take(f"{p}.monthly_usd", s("monthly_usd"),
         None if hourly else offer, unit="USD/month", fallback=0.0)
    _throughput(spec, catalog, take, p, s, offer.extra["gpu"], workload)
    util_row = "utilization" if billing == "reserved" else "on_demand_utilization"
    take(f"{p}.utilization", s("utilization"), ("assumptions", util_row))
    spot = offer.extra["market"] == "spot"
    take(f"{p}.rework", s("rework"), ("assumptions", "spot_rework") if spot else None,
         unit="fraction", fallback=0.0)
    take(f"{p}.spot_availability", s("spot_availability"),
         ("assumptions", "spot_availability") if spot else None, unit="fraction", fallback=1.0)
    take(f"{p}.fallback_hourly_usd", s("fallback_hourly_usd"),
         _on_demand_fallback(catalog, offer) if spot else None, unit="USD/h", fallback=0.0)
    take(f"{p}.commitment_months", s("commitment_months"), unit="months", fallback=0.0)
    take(f"{p}.commitment_discount", s("commitment_discount"), unit="fraction", fallback=0.0)
    take(f"{p}.min_gpus", s("min_gpus"), unit="GPUs", fallback=1.0)
    return OptionRecord(billing=billing, gpu=offer.extra["gpu"],
                        latency=_latency(spec, catalog, spec.latency),
                        batch_size=spec.batch_size, precision=spec.precision)


def _on_demand_fallback(catalog: Catalog, spot: Entry) -> Entry:
    """What an hour costs when spot capacity is not there: the market median on-demand
    offer of the same GPU, or the spot offer itself where the market has none."""
    try:
        return market_offer(catalog, spot.extra["gpu"], "median")
    except InputError:
        return spot


def _resolve_owned(spec, catalog, take, p, s, workload) -> OptionRecord:
    purchase = catalog.rows("gpu_hardware", gpu=spec.gpu, quantity="purchase_usd")
    if not purchase and "purchase_usd" not in spec.set:
        known = sorted({e.extra["gpu"] for e in catalog.rows("gpu_hardware",
                                                              quantity="purchase_usd")})
        raise InputError(f"{p}.gpu: {spec.gpu!r} has no purchase price in the catalog (no "
                         f"source gives one); set purchase_usd or add a quote; priced GPUs "
                         f"are {', '.join(known)}")
    watts = catalog.rows("gpu_hardware", gpu=spec.gpu, quantity="board_watts")
    if not watts and "board_watts" not in spec.set:
        known = sorted({e.extra["gpu"] for e in catalog.rows("gpu_hardware",
                                                              quantity="board_watts")})
        raise InputError(f"{p}.gpu: {spec.gpu!r} is not allowed; must be one of "
                         f"{', '.join(known)} (or set board_watts)")
    take(f"{p}.purchase_usd", s("purchase_usd"),
         ("gpu_hardware", purchase[0].name) if purchase else None)
    take(f"{p}.board_watts", s("board_watts"),
         ("gpu_hardware", watts[0].name) if watts else None)
    _throughput(spec, catalog, take, p, s, spec.gpu, workload)
    for field, row in _OWNED_DEFAULTS.items():
        take(f"{p}.{field}", s(field), row)
    take(f"{p}.min_gpus", s("min_gpus"), unit="GPUs", fallback=1.0)
    return OptionRecord(gpu=spec.gpu, latency=_latency(spec, catalog, spec.latency),
                        batch_size=spec.batch_size, precision=spec.precision)


def _resolve_serverless(spec, catalog, take, p, s, workload) -> OptionRecord:
    offer = catalog.get("gpu_serverless", spec.offer, field=f"{p}.offer")
    take(f"{p}.usd_per_gpu_second", s("usd_per_gpu_second"), ("gpu_serverless", spec.offer))
    _throughput(spec, catalog, take, p, s, offer.extra["gpu"], workload)
    take(f"{p}.cold_starts_per_month", s("cold_starts_per_month"),
         ("assumptions", "serverless_cold_starts"))
    take(f"{p}.cold_start_seconds", s("cold_start_seconds"),
         ("api_latency", offer.extra["cold_start"]))
    take(f"{p}.max_concurrency", s("max_concurrency"), ("assumptions", "serverless_concurrency"))
    return OptionRecord(gpu=offer.extra["gpu"], latency=_latency(spec, catalog, spec.latency),
                        batch_size=spec.batch_size, precision=spec.precision)


def _resolve_hybrid(spec, catalog, take, p, s, workload) -> OptionRecord:
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


def _check_throughput_row(spec: OptionSpec, catalog: Catalog, gpu: str | None,
                          model: str) -> None:
    """A throughput row an option reads must be measured on its GPU, for the model the
    scenario generates (a row for ``unspecified`` GPUs fits any; model ``other`` any row) and,
    where it says, at the option's precision."""
    row = catalog.entries.get(("throughput", spec.throughput))
    if row is None or "images_per_hour" in spec.set:
        return
    for column, want, wildcard in (("gpu", gpu, "unspecified"), ("model", model, "other")):
        have = row.extra[column]
        if have not in (want, wildcard) and want != wildcard:
            fit = [e.name for e in catalog.rows("throughput", **{column: want})]
            raise InputError(f"options.{spec.name}.throughput: {spec.throughput!r} is not "
                             f"allowed; it is measured for {column} {have!r}, the option "
                             f"needs {want!r} ({', '.join(fit) or 'no row: set images_per_hour'})")
    stated = row.extra["precision"]  # NaN where the row does not say
    if isinstance(stated, str) and stated != PRECISIONS[spec.precision]:
        fit = [p for p, arithmetic in PRECISIONS.items() if arithmetic == stated]
        instead = (f"set precision: {' or '.join(fit)}" if fit else
                   "no precision a scenario may set runs at it: set images_per_hour")
        raise InputError(f"options.{spec.name}.throughput: {spec.throughput!r} is not allowed "
                         f"at precision {spec.precision}; it is measured at {stated} "
                         f"({instead})")


def _build(scenario: Scenario, inputs: dict[str, Input], values: dict,
           records: dict[str, OptionRecord], profile) -> Model:
    """Construct the cost-model objects from input values."""
    workload = Workload(**{f.name: values[f"workload.{f.name}"]
                           for f in dataclasses.fields(Workload)})
    labor = Operations(user_facing=scenario.constraints.user_facing,
                       **{f.name: values[f"labor.{f.name}"]
                          for f in dataclasses.fields(Operations) if f.name != "user_facing"})
    timeline = Timeline(volume_curve=scenario.timeline.volume_curve,
                        **{f.name: values[f"timeline.{f.name}"]
                           for f in dataclasses.fields(Timeline) if f.name != "volume_curve"})
    specs = {s.name: s for s in scenario.options}
    context = {"rate": values["discount_rate"], "profile": profile, "specs": specs,
               "records": records}

    def build(spec: OptionSpec) -> Option:
        p = f"options.{spec.name}."
        mine = {k[len(p):]: val for k, val in values.items() if k.startswith(p)}
        return _BUILD[OPTION_KINDS[spec.kind]](spec, records[spec.name], mine, build, context)

    options = {spec.name: build(spec) for spec in scenario.options}
    return Model(scenario, inputs, values, records, profile, workload, labor, timeline, options)


def _build_api(spec, record, mine, build, context) -> ManagedAPI:
    tiers = tuple(sorted(((record.discount_thresholds[k.removeprefix("discount.")], val)
                          for k, val in mine.items() if k.startswith("discount.")),
                         key=lambda t: t[0]))
    fields = {k: val for k, val in mine.items() if not k.startswith("discount.")}
    return ManagedAPI(spec.name, discount_tiers=tiers, rate_tiers=record.rate_tiers, **fields)


def _build_hybrid(spec, record, mine, build, context) -> Hybrid:
    specs = context["specs"]
    return Hybrid(spec.name, build(specs[spec.local]), build(specs[spec.api]),
                  mine["local_gpus"], profile=context["profile"],
                  outputs_per_approved=mine.get("outputs_per_approved"))


# Each option kind's resolver (scenario + catalog -> inputs and record) and builder
# (input values -> the cost-model object): adding a kind adds its two entries here.
_RESOLVE = {ManagedAPI: _resolve_api, RentedGPU: _resolve_rented, OwnedGPU: _resolve_owned,
            ServerlessGPU: _resolve_serverless, Hybrid: _resolve_hybrid}
_BUILD = {
    ManagedAPI: _build_api,
    RentedGPU: lambda spec, record, mine, build, context: RentedGPU(
        spec.name, billing=record.billing, **mine),
    OwnedGPU: lambda spec, record, mine, build, context: OwnedGPU(
        spec.name, annual_discount_rate=context["rate"], **mine),
    ServerlessGPU: lambda spec, record, mine, build, context: ServerlessGPU(spec.name, **mine),
    Hybrid: _build_hybrid,
}
