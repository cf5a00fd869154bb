"""Deployment options, the workload and the operations assumptions as frozen dataclasses.

Numeric fields are floats or numpy arrays that broadcast together: a Monte Carlo sample or
a grid of volumes is one set of arrays, evaluated by :mod:`costlib.tco` in one call.
Units are in the field names and in brackets in the docstrings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from costlib.errors import InputError

HOURS_PER_MONTH = 730.0  # 8,760 h / 12 months
# Working hours in a full-time month: the architecture article's ML infrastructure engineer
# rate over these hours gives the engineering hourly rate (labor.csv, devops_hourly).
WORK_HOURS_PER_FTE_MONTH = 160.0
# A turbo preview over a full generation, in GPU time or price: ImageBench gives SDXL-Turbo
# 1-2 s against 8-12 s per image for the final generation (1.5 / 10).
PREVIEW_COST_RATIO = 0.15


@dataclass(frozen=True)
class Workload:
    """What the team generates each month.

    images_per_month : float  Generated images (every output, approved or not). [images/month]
    outputs_per_approved : float  Outputs generated per approved asset, >= 1. [images/asset]
    peak_factor : float  Busiest hour's rate over the mean hourly rate, >= 1. [ratio]
    megapixels_per_image : float  Output size, e.g. 1.05 for 1024x1024. [MP]
    review_minutes_per_output : float  Review time per generated output: every output is
        looked at, so worse acceptance costs more review. [min/image]
    reviewer_hourly_usd : float  Cost of review labor. [USD/h]
    stored_mb_per_image : float  Stored size of a generated image. [MB]
    retention_months : float  Months a generated image stays stored. [months]
    delivered_mb_per_image : float  Size served to viewers. [MB]
    views_per_approved : float  Times each approved asset is downloaded. [views]
    storage_usd_per_gb_month : float  Object storage price. [USD/GB-month]
    egress_usd_per_gb : float  CDN egress price. [USD/GB]
    cache_hit_rate : float  Share of requests served from a cache with no generation. [0-1]
    preview_share : float  Share of generated images that are cheap previews (cascading quality
        tiers: a turbo preview the user iterates on before the final generation). [0-1]
    preview_cost_ratio : float  GPU time of a preview over a full generation (the same GPUs at
        turbo speed): what previews cost where GPU time is paid. [ratio]
    preview_price_ratio : float  Price of a preview over a full generation where an API bills
        per image (its turbo tier's price, not its speed). [ratio]
    prompt_tokens_per_image : float  Prompt length, billed where an API prices prompt tokens;
        prompt optimization shortens it. [tokens/image]
    """

    images_per_month: float
    outputs_per_approved: float = 1.0
    peak_factor: float = 1.0
    megapixels_per_image: float = 1.048576
    review_minutes_per_output: float = 0.0
    reviewer_hourly_usd: float = 0.0
    stored_mb_per_image: float = 0.0
    retention_months: float = 1.0
    delivered_mb_per_image: float = 0.0
    views_per_approved: float = 0.0
    storage_usd_per_gb_month: float = 0.0
    egress_usd_per_gb: float = 0.0
    cache_hit_rate: float = 0.0
    preview_share: float = 0.0
    preview_cost_ratio: float = PREVIEW_COST_RATIO
    preview_price_ratio: float = 1.0
    prompt_tokens_per_image: float = 0.0


@dataclass(frozen=True)
class Operations:
    """People and overheads a deployment needs, by kind.

    Self-hosting takes one role, platform engineering (ML infrastructure and DevOps are the
    same work, named by two sources): ``devops_hours_per_month`` for a first GPU server plus
    ``devops_hours_per_gpu_month`` per GPU, plus ``hardware_hours_per_gpu_month`` per GPU the
    team owns (racking, failures, replacement). Staff the team dedicates
    (``ml_engineer_fte``) do up to 160 h/month each of it for their salary; hours beyond are
    bought at ``engineer_hourly_usd``. User-facing serving adds an on-call rotation. An API
    takes integration and vendor management hours instead.

    devops_hours_per_month : float  Base effort of operating self-hosted GPUs. [h/month]
    devops_hours_per_gpu_month : float  Effort added by each GPU held. [h/GPU-month]
    hardware_hours_per_gpu_month : float  Effort added by each owned GPU. [h/GPU-month]
    engineer_hourly_usd : float  Rate for DevOps, integration and vendor work. [USD/h]
    ml_engineer_fte : float  Staff dedicated to operating the GPUs. [FTE]
    ml_engineer_usd_per_month : float  Fully loaded cost of one such engineer. [USD/month]
    oncall_usd_per_month : float  On-call rotation for user-facing self-hosted serving. [USD/month]
    user_facing : bool  Serving is user-facing (outages reach users), so self-hosting is on call.
    setup_weeks : float  Initial serving setup effort of one engineer. [weeks]
    amortization_months : float  Months the setup effort is spread over in a monthly cost
        (the cash flow pays it at month 0). [months]
    monitoring_usd_per_month : float  Monitoring and security tooling when self-hosting. [USD/month]
    backup_copies : float  Extra stored copies when self-hosting. [copies]
    downtime_allowance : float  Downtime cost as a share of compute cost. [0-1]
    api_integration_hours_per_month : float  Engineering on an API integration. [h/month]
    vendor_management_hours_per_month : float  Vendor management and monitoring. [h/month]
    """

    devops_hours_per_month: float = 0.0
    devops_hours_per_gpu_month: float = 0.0
    hardware_hours_per_gpu_month: float = 0.0
    engineer_hourly_usd: float = 0.0
    ml_engineer_fte: float = 0.0
    ml_engineer_usd_per_month: float = 0.0
    oncall_usd_per_month: float = 0.0
    user_facing: bool = False
    setup_weeks: float = 0.0
    amortization_months: float = 36.0
    monitoring_usd_per_month: float = 0.0
    backup_copies: float = 0.0
    downtime_allowance: float = 0.0
    api_integration_hours_per_month: float = 0.0
    vendor_management_hours_per_month: float = 0.0


class OptionKind:
    """What every option kind answers about itself, so that no other module compares kind
    strings (subclasses override what differs; a hybrid answers for its two parts).

    kind : str  The name a scenario file gives the kind.
    kind_label : str  The kind in words, for people.
    architecture : str  "cloud" (a managed API), "local" (GPUs the team runs) or "hybrid".
    third_party : bool  Prompts and images go to a third party.
    spec_needs : tuple of str  What an option of this kind names in a scenario file.
    spec_may : tuple of str  What else it may name there (beyond name, kind, label, latency
        and set, which every option may give); any other field is an error.
    may_be_hybrid_local, may_be_hybrid_api : bool  May serve as a hybrid's local part (when
        it holds dedicated GPUs) or as its overflow API.
    holds_dedicated_gpus : bool  Whole GPUs kept for the team all month (reserved, owned or a
        hybrid's local part): warm capacity, sized by :func:`costlib.sizing.gpus_needed`.
    self_hosted : bool  The team runs GPUs and pays the people and tooling that takes.
    operations_burden : float  What it asks of the team to run, for choosing between options
        tied on cost: 0 an API, 0.5 a serverless GPU (the team packages and deploys its
        model), 1 rented GPUs (a fleet to operate), 2 owned GPUs (and hardware to handle).
    bills_per_image : bool  Billed per image (an API): a preview costs its price ratio, not
        its GPU-time ratio.
    scales_to_zero : bool  GPUs billed by the second that a provider starts on demand (a
        serverless GPU): the team's model, no GPU held, cold starts billed.
    buys_hardware : bool  GPUs are bought at month 0 (itself or a hybrid's local part).
    local_part : RentedGPU, OwnedGPU or None  The GPUs the team runs.
    api_part : ManagedAPI or None  The managed API it sends images to.

    Every kind has the field ``outputs_per_approved`` (float or None): its own outputs per
    approved asset (acceptance), where its model or recipe is accepted more or less often than
    the workload's; None: the workload's. [images/asset]
    """

    kind: ClassVar[str]
    kind_label: ClassVar[str]
    architecture: ClassVar[str] = "local"
    third_party: ClassVar[bool] = False
    spec_needs: ClassVar[tuple[str, ...]]
    spec_may: ClassVar[tuple[str, ...]] = ()
    may_be_hybrid_local: ClassVar[bool] = False
    may_be_hybrid_api: ClassVar[bool] = False
    holds_dedicated_gpus: ClassVar[bool] = False
    self_hosted: ClassVar[bool] = True
    operations_burden: ClassVar[float] = 1.0
    scales_to_zero: ClassVar[bool] = False
    bills_per_image: ClassVar[bool] = False
    buys_hardware: ClassVar[bool] = False

    @property
    def local_part(self) -> RentedGPU | OwnedGPU | None:
        return self

    @property
    def committed_months(self):
        """Months of GPU rental it has committed to pay for (0: none). [months]"""
        local = self.local_part
        return 0.0 if local is None or local is self else local.committed_months

    @property
    def api_part(self) -> ManagedAPI | None:
        return None


@dataclass(frozen=True)
class ManagedAPI(OptionKind):
    """A managed image-generation API billed per image (or per megapixel).

    usd_per_image : float  List price per generated image. [USD/image]
    usd_per_megapixel : float  Price per output megapixel; used instead when > 0. [USD/MP]
    discount_tiers : tuple  ``(min_images_per_month, discount)`` pairs, graduated: images
        above each threshold get that discount, so the bill never falls as volume grows.
    surcharge_usd_per_image : float  Per-image extras such as a fine-tuned LoRA. [USD/image]
    fixed_usd_per_month : float  Plan fee. [USD/month]
    rate_tiers : tuple  ``(requests_per_minute, usd_per_month)`` pairs of the rate-limit
        tiers it may be on, ascending: the API pays the fee of the lowest tier whose limit
        carries the busiest hour's request rate.
    usd_per_prompt_token : float  Token-based pricing of the prompt, where an API has it (0 for
        today's per-image prices). [USD/token]
    outputs_per_approved : float or None  Its own acceptance (see :class:`OptionKind`).
    """

    name: str
    usd_per_image: float
    usd_per_megapixel: float = 0.0
    discount_tiers: tuple[tuple[float, float], ...] = ()
    surcharge_usd_per_image: float = 0.0
    fixed_usd_per_month: float = 0.0
    usd_per_prompt_token: float = 0.0
    rate_tiers: tuple[tuple[float, float], ...] = ()
    outputs_per_approved: float | None = None

    kind: ClassVar[str] = "api"
    kind_label: ClassVar[str] = "managed API"
    architecture: ClassVar[str] = "cloud"
    third_party: ClassVar[bool] = True
    spec_needs: ClassVar[tuple[str, ...]] = ("offer",)
    spec_may: ClassVar[tuple[str, ...]] = ("discounts", "surcharges", "tier")
    may_be_hybrid_api: ClassVar[bool] = True
    self_hosted: ClassVar[bool] = False
    operations_burden: ClassVar[float] = 0.0
    bills_per_image: ClassVar[bool] = True

    @property
    def local_part(self) -> None:
        return None

    @property
    def api_part(self) -> ManagedAPI:
        return self


@dataclass(frozen=True)
class RentedGPU(OptionKind):
    """GPUs rented by the hour (on demand, billed for the hours needed) or reserved 24/7.

    hourly_usd : float  Price of one GPU hour. [USD/h]
    monthly_usd : float  Price of one GPU reserved for a month; 0 means hourly x 730 h. [USD/month]
    images_per_hour : float  Throughput of one GPU for this model and recipe. [images/h]
    utilization : float  Share of paid GPU time that produces images. [0-1]
    billing : str  ``on_demand`` (pay for busy hours) or ``reserved`` (whole GPUs, all month).
    rework : float  Extra hours lost to spot interruptions. [0-1]
    spot_availability : float  Share of the hours needed that spot capacity is there; the
        rest runs at ``fallback_hourly_usd`` (on demand). 1 for on-demand offers. [0-1]
    fallback_hourly_usd : float  Price of an hour when spot capacity is not there. [USD/h]
    commitment_months : float  Term of a committed-use contract (12 or 36; 0 none): reserved
        GPUs at ``commitment_discount`` off, paid for the whole term. [months]
    commitment_discount : float  Discount of the commitment on the rental. [0-1]
    min_gpus : float  GPUs kept when reserved, even with no work. [GPUs]
    outputs_per_approved : float or None  Its own acceptance (see :class:`OptionKind`).
    """

    name: str
    hourly_usd: float
    images_per_hour: float
    monthly_usd: float = 0.0
    utilization: float = 1.0
    billing: Literal["on_demand", "reserved"] = "on_demand"
    rework: float = 0.0
    spot_availability: float = 1.0
    fallback_hourly_usd: float = 0.0
    commitment_months: float = 0.0
    commitment_discount: float = 0.0
    min_gpus: float = 1.0
    outputs_per_approved: float | None = None

    kind: ClassVar[str] = "rented"
    kind_label: ClassVar[str] = "rented GPU"
    spec_needs: ClassVar[tuple[str, ...]] = ("offer", "throughput")
    spec_may: ClassVar[tuple[str, ...]] = ("billing", "gpu",  # gpu: of a market offer
                                           "batch_size", "precision")
    may_be_hybrid_local: ClassVar[bool] = True  # when reserved: see holds_dedicated_gpus

    @property
    def holds_dedicated_gpus(self) -> bool:
        """Reserved GPUs are held all month; on demand, GPUs start for busy hours only."""
        return self.billing == "reserved"

    @property
    def committed_months(self):
        """Reserved GPUs under a committed-use contract are paid for its whole term. [months]"""
        return self.commitment_months if self.holds_dedicated_gpus else 0.0

    @property
    def effective_hourly_usd(self):
        """An hour at the offer's price where spot capacity is there, at the fallback price
        where it is not. [USD/h]"""
        return (np.multiply(self.spot_availability, self.hourly_usd)
                + np.multiply(np.subtract(1.0, self.spot_availability),
                              self.fallback_hourly_usd))


@dataclass(frozen=True)
class OwnedGPU(OptionKind):
    """GPUs bought and run by the team.

    purchase_usd : float  Price of one GPU (or server share). [USD]
    useful_life_months : float  Depreciation period. [months]
    resale_fraction : float  Resale value at the end of life over purchase. [0-1]
    board_watts : float  Power drawn while generating. [W]
    idle_power_fraction : float  Idle draw over board power. [0-1]
    kwh_usd : float  Electricity price. [USD/kWh]
    pue : float  Facility power over IT power (cooling). [ratio]
    maintenance_per_year : float  Maintenance and parts over purchase, per year. [1/year]
    space_usd_per_gpu_month : float  Rack or room space. [USD/GPU-month]
    host_usd_per_server : float  Host server and networking bought for each server. [USD/server]
    gpus_per_server : float  GPUs one host server holds. [GPUs/server]
    lead_months : float  Procurement lead time: months from order to serving, during which
        an API carries the load (in the cash flow). [months]
    images_per_hour : float  Throughput of one GPU. [images/h]
    utilization : float  Target average utilization when sizing. [0-1]
    annual_discount_rate : float  Cost of capital; 0 gives straight-line depreciation,
        above 0 the capital cost is the equivalent monthly annuity (NPV-consistent). [1/year]
    min_gpus : float  GPUs owned even with no work. [GPUs]
    outputs_per_approved : float or None  Its own acceptance (see :class:`OptionKind`).
    """

    name: str
    purchase_usd: float
    images_per_hour: float
    useful_life_months: float = 36.0
    resale_fraction: float = 0.0
    board_watts: float = 0.0
    idle_power_fraction: float = 0.0
    kwh_usd: float = 0.0
    pue: float = 1.0
    maintenance_per_year: float = 0.0
    space_usd_per_gpu_month: float = 0.0
    host_usd_per_server: float = 0.0
    gpus_per_server: float = 1.0
    lead_months: float = 0.0
    utilization: float = 1.0
    annual_discount_rate: float = 0.0
    min_gpus: float = 1.0
    outputs_per_approved: float | None = None

    kind: ClassVar[str] = "owned"
    kind_label: ClassVar[str] = "owned GPU"
    spec_needs: ClassVar[tuple[str, ...]] = ("gpu", "throughput")
    spec_may: ClassVar[tuple[str, ...]] = ("batch_size", "precision")
    may_be_hybrid_local: ClassVar[bool] = True
    holds_dedicated_gpus: ClassVar[bool] = True
    buys_hardware: ClassVar[bool] = True
    operations_burden: ClassVar[float] = 2.0


@dataclass(frozen=True)
class ServerlessGPU(OptionKind):
    """The team's own model on GPUs a provider runs and bills by the second, scaled to zero
    between requests (serverless GPU: Replicate, Modal, RunPod serverless). No GPU is held:
    the team pays the seconds that generate and the seconds each cold start takes to boot and
    load the model; at most ``max_concurrency`` GPUs run at once.

    usd_per_gpu_second : float  Price of one GPU-second. [USD/GPU-s]
    images_per_hour : float  Throughput of one GPU for this model and recipe. [images/h]
    cold_starts_per_month : float  Times a GPU starts from zero (after an idle gap, or to
        scale out). [1/month]
    cold_start_seconds : float  Billed seconds of one cold start. [s]
    max_concurrency : float  GPUs the provider runs at once for the team. [GPUs]
    outputs_per_approved : float or None  Its own acceptance (see :class:`OptionKind`).
    """

    name: str
    usd_per_gpu_second: float
    images_per_hour: float
    cold_starts_per_month: float = 0.0
    cold_start_seconds: float = 0.0
    max_concurrency: float = 1.0
    outputs_per_approved: float | None = None

    kind: ClassVar[str] = "serverless"
    kind_label: ClassVar[str] = "serverless GPU"
    architecture: ClassVar[str] = "cloud"
    third_party: ClassVar[bool] = True
    spec_needs: ClassVar[tuple[str, ...]] = ("offer", "throughput")
    spec_may: ClassVar[tuple[str, ...]] = ("batch_size", "precision")
    self_hosted: ClassVar[bool] = False
    operations_burden: ClassVar[float] = 0.5
    scales_to_zero: ClassVar[bool] = True

    @property
    def local_part(self) -> None:
        return None


@dataclass(frozen=True)
class Hybrid(OptionKind):
    """Local GPUs for the base load, overflow to an API.

    local : RentedGPU (reserved) or OwnedGPU  The local capacity.
    api : ManagedAPI  Where the overflow goes.
    local_gpus : float  GPUs held locally. [GPUs]
    profile : ndarray or None  Hourly demand weights (mean 1, e.g. a year of 8,760 hours from
        :func:`costlib.capacity.preset_profile`): the API takes each hour's demand above the
        local capacity. None sends ``max(0, images - capacity)`` a month, a steady profile.
        [ratio]
    outputs_per_approved : float or None  Its own acceptance (see :class:`OptionKind`).
    """

    name: str
    local: RentedGPU | OwnedGPU
    api: ManagedAPI
    local_gpus: float = 1.0
    profile: np.ndarray | None = field(default=None, compare=False, repr=False)
    outputs_per_approved: float | None = None

    kind: ClassVar[str] = "hybrid"
    kind_label: ClassVar[str] = "hybrid"
    architecture: ClassVar[str] = "hybrid"
    third_party: ClassVar[bool] = True
    spec_needs: ClassVar[tuple[str, ...]] = ("local", "api", "local_gpus")
    holds_dedicated_gpus: ClassVar[bool] = True

    def __post_init__(self):
        if not self.local.holds_dedicated_gpus:
            raise InputError(f"options.{self.name}.local: {self.local.name!r} is not allowed; "
                             "a hybrid's local part must hold dedicated GPUs (reserved or "
                             "owned), not on-demand rentals")

    @property
    def local_part(self) -> RentedGPU | OwnedGPU:
        return self.local

    @property
    def api_part(self) -> ManagedAPI:
        return self.api

    @property
    def buys_hardware(self) -> bool:
        return self.local.buys_hardware

    @property
    def operations_burden(self) -> float:
        return self.local.operations_burden


Option = ManagedAPI | RentedGPU | OwnedGPU | ServerlessGPU | Hybrid
# Every option kind by the name a scenario file gives it; each class carries its own rules
# (the ClassVars and properties above), so no other module compares kind strings.
OPTION_KINDS: dict[str, type] = {cls.kind: cls for cls in (ManagedAPI, RentedGPU, OwnedGPU,
                                                             ServerlessGPU, Hybrid)}


def megapixels(width_px: int, height_px: int) -> float:
    """Output size in megapixels (10**6 pixels): 1024x1024 is 1.048576 MP. [MP]"""
    return width_px * height_px / 1e6
