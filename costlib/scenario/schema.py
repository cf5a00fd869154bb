"""The scenario file's schema: pydantic models whose errors are one line naming the field, the
bad value and what is allowed, the allowed range of every number, and editing one field.

Any number may be given as a plain value or as ``{value: V, low: L, high: H, source: "..."}``
so its uncertainty travels with it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from costlib.errors import InputError, one_line
from costlib.options import OPTION_KINDS


def _number(value):
    """A number as written, not text or true/false read as one (``true`` is not 1)."""
    if isinstance(value, bool | str):
        raise ValueError("must be a number (not text or true/false)")
    return value


def _resolution(text: str) -> str:
    if not all(64 <= int(side) <= 8192 for side in text.split("x")):
        raise ValueError("must be WIDTHxHEIGHT with each side 64-8192 pixels")
    return text


Number = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_number)]
Whole = Annotated[int, BeforeValidator(_number)]
MODELS = ("sd15", "sdxl", "sdxl-turbo", "flux-schnell", "flux-dev", "other")
# A self-hosted option's arithmetic: bf16 or fp16 (the 16-bit peak, 2-byte weights) or fp8 (the
# 8-bit peak, 1-byte denoiser weights; only on GPUs with an 8-bit peak in the catalog).
PRECISIONS = ("bf16", "fp16", "fp8")
# The most images a call: a batch beyond it fits no GPU the catalog holds for any model.
MAX_BATCH_SIZE = 128
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
    """Demand as generated images a month, or as the approved assets the business wants (the
    images then follow from the outputs generated per approved asset)."""

    images_per_month: Quantity | None = None
    approved_per_month: Quantity | None = None
    outputs_per_approved: Quantity = 1.0
    model: Literal[MODELS] = "sdxl"
    resolution: Annotated[str, Field(pattern=r"^\d{2,5}x\d{2,5}$"),
                          AfterValidator(_resolution)] = "1024x1024"
    variability: Literal[VARIABILITY] = "steady"
    peak_factor: Quantity | None = None
    burst_images: Number | None = Field(default=None, ge=0, le=1e10)
    burst_hours: Number | None = Field(default=None, gt=0, le=8760)
    review_minutes_per_output: Quantity | None = None
    reviewer_hourly_usd: Quantity | None = None
    stored_mb_per_image: Quantity | None = None
    retention_months: Quantity = 1.0
    delivered_mb_per_image: Quantity | None = None
    views_per_approved: Quantity | None = None
    cache_hit_rate: Quantity = 0.0
    preview_share: Quantity = 0.0
    preview_cost_ratio: Quantity | None = None
    preview_price_ratio: Quantity | None = None
    prompt_tokens_per_image: Quantity = 0.0

    @model_validator(mode="after")
    def _one_demand(self):
        if (self.images_per_month is None) == (self.approved_per_month is None):
            raise ValueError("give images_per_month (generated images) or approved_per_month "
                             "(approved assets), one of the two")
        return self


class Constraints(_Strict):
    privacy: Literal[PRIVACY] = "internal"
    dpa_available: bool = False
    max_latency_s: Number | None = Field(default=None, gt=0, le=86400)
    has_ops_team: bool = True
    user_facing: bool = False


class LaborSpec(_Strict):
    devops_hours_per_month: Quantity | None = None
    devops_hours_per_gpu_month: Quantity | None = None
    hardware_hours_per_gpu_month: Quantity | None = None
    oncall_usd_per_month: Quantity | None = None
    engineer_hourly_usd: Quantity | None = None
    ml_engineer_fte: Quantity = 0.0
    ml_engineer_usd_per_month: Quantity | None = None
    setup_weeks: Quantity | None = None
    monitoring_usd_per_month: Quantity | None = None
    backup_copies: Quantity | None = None
    downtime_allowance: Quantity | None = None
    api_integration_hours_per_month: Quantity | None = None
    vendor_management_hours_per_month: Quantity | None = None


class TimelineSpec(_Strict):
    """How the world moves over the horizon (the cash flow): volume growth and price declines."""

    growth_per_month: Quantity = 0.0
    # volume over today's, month by month from month 1 (the last holds after it): a launch
    # or a ramp the growth rate cannot say
    volume_curve: Annotated[tuple[Number, ...], Field(max_length=240)] = ()
    api_price_decline_per_year: Quantity | None = None
    gpu_price_decline_per_year: Quantity | None = None

    @field_validator("volume_curve")
    @classmethod
    def _never_falls(cls, curve):
        if any(x < 0 or x > 1e4 for x in curve) or any(b < a for a, b in zip(curve, curve[1:],
                                                                               strict=False)):
            raise ValueError("must be volumes over today's (0-10,000) that never fall (owned "
                             "GPUs are not sold)")
        return curve


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
    # GPU options (rented, owned, serverless): images a GPU generates per call, and the
    # arithmetic it runs in; both move its throughput, memory need and latency
    batch_size: Whole = Field(default=1, ge=1, le=MAX_BATCH_SIZE)
    precision: Literal[PRECISIONS] = "bf16"
    set: dict[str, Quantity] = {}

    @model_validator(mode="after")
    def _needs(self):
        for key in OPTION_KINDS[self.kind].spec_needs:
            if getattr(self, key) is None and not (key == "throughput"
                                                   and "images_per_hour" in self.set):
                raise ValueError(f"option {self.name!r} of kind {self.kind} needs '{key}'")
        kind = OPTION_KINDS[self.kind]
        takes = (*kind.spec_needs, *kind.spec_may)
        for key in sorted(self.model_fields_set - {"name", "kind", "label", "latency", "set",
                                                   *takes}):
            if getattr(self, key) not in (None, (), {}, type(self).model_fields[key].default):
                raise ValueError(f"{key}: {getattr(self, key)!r} is not allowed; an option of "
                                 f"kind {self.kind} does not take {key} (it takes "
                                 f"{', '.join(takes)})")
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
    timeline: TimelineSpec = TimelineSpec()
    horizon_months: int = Field(default=36, ge=1, le=240)
    discount_rate: Quantity | None = None
    stale_after_days: Whole = Field(default=365, ge=0, le=36500)
    # costlib assumption: monthly costs within 5 % of each other are practically tied (the
    # inputs' own ranges are wider than that); a scenario may set the share or a USD floor
    materiality_share: Number = Field(default=0.05, ge=0, le=1)
    materiality_usd_per_month: Number = Field(default=0.0, ge=0, le=1e9)
    # a catalog price whose source gives no range gets +/- this share per year of its age
    # (at least half a year's): 0 keeps such prices exact, and the decision names them
    price_uncertainty_per_year: Number = Field(default=0.0, ge=0, le=1)
    options: Annotated[list[OptionSpec], Field(min_length=1, max_length=100)]

    _whole_months = field_validator("horizon_months", mode="before")(_number)

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
    uncertainty the scenario gave. Generated images set on a workload stated in approved
    assets set the approved assets that give them. Validation errors name the field.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    last = keys[-1]
    if path == "workload.images_per_month" and "approved_per_month" in node \
            and isinstance(value, int | float):
        # demand stated in approved assets stays so: the images it should give, in assets
        outputs = node.get("outputs_per_approved", 1.0)
        last, value = "approved_per_month", value / (outputs["value"] if isinstance(
            outputs, dict) else outputs)
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


# Allowed ranges by field name: (low, high, low is exclusive).
LIMITS: dict[str, tuple[float, float, bool]] = {
    "images_per_month": (0, 1e10, False),
    "approved_per_month": (0, 1e10, False),
    "outputs_per_approved": (1, 10_000, False),
    "peak_factor": (1, 1000, False),
    "megapixels_per_image": (0, 100, True),
    "retention_months": (0, 1200, False),
    "cache_hit_rate": (0, 0.99, False),
    "preview_share": (0, 0.99, False),
    "preview_cost_ratio": (0, 1, False),
    "preview_price_ratio": (0, 1, False),
    "utilization": (0, 1, True),
    "resale_fraction": (0, 1, False),
    "idle_power_fraction": (0, 1, False),
    "downtime_allowance": (0, 1, False),
    "rework": (0, 10, False),
    "ml_engineer_fte": (0, 100, False),
    "images_per_hour": (0, 1e7, True),
    "useful_life_months": (0, 1200, True),
    "amortization_months": (0, 1200, True),
    "pue": (1, 5, False),
    "annual_discount_rate": (0, 1, False),
    "discount_rate": (0, 1, False),
    "local_gpus": (0, 100_000, False),
    "min_gpus": (0, 100_000, False),
    "gpus_per_server": (1, 64, False),
    "max_concurrency": (1, 100_000, False),
    "lead_months": (0, 24, False),
    "growth_per_month": (0, 1, False),
    "api_price_decline_per_year": (0, 0.9, False),
    "gpu_price_decline_per_year": (0, 0.9, False),
    "spot_availability": (0, 1, False),
    "commitment_months": (0, 60, False),
    "commitment_discount": (0, 0.9, False),
    "batch_size": (1, MAX_BATCH_SIZE, False),
}
_DEFAULT_LIMIT = (0, 1e9, False)  # no price, time or count of one thing comes near it
# Counts that only make sense whole.
WHOLE = ("local_gpus", "min_gpus", "gpus_per_server", "max_concurrency", "lead_months",
         "commitment_months", "batch_size")


def input_limits(path: str) -> tuple[float, float, bool]:
    """The allowed range of an input, by its field name: ``(low, high, low is exclusive)``."""
    return LIMITS.get(path.rsplit(".", 1)[-1], _DEFAULT_LIMIT)


def input_whole(path: str) -> bool:
    """Whether an input only makes sense as a whole number (a count of GPUs or servers,
    whole months); Monte Carlo draws of it are rounded."""
    return path.rsplit(".", 1)[-1] in WHOLE
