"""Total cost of ownership: pure, vectorized cost functions.

Every function broadcasts like numpy: pass an array of volumes, or options whose fields
are Monte Carlo arrays, and get arrays back with no Python loop. Money is USD.

Cost areas follow the framework article's lists of cloud and local costs (usage fees;
storage and bandwidth; integration engineering; vendor management and monitoring; GPU
hardware; power, cooling and space; maintenance and replacement; DevOps time; storage and
backups; monitoring and security; downtime risk) plus review labor per generated output.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from costlib import __version__
from costlib.options import (
    HOURS_PER_MONTH,
    WORK_HOURS_PER_FTE_MONTH,
    Hybrid,
    ManagedAPI,
    Operations,
    Option,
    OwnedGPU,
    RentedGPU,
    ServerlessGPU,
    Workload,
)
from costlib.sizing import gpus_needed

COST_AREAS: dict[str, str] = {
    "api_fees": "API fees",
    "gpu": "GPU rental or depreciation",
    "power_cooling_space": "Power, cooling and space",
    "maintenance": "Maintenance and replacement",
    "engineering": "Engineering and DevOps",
    "monitoring": "Monitoring, security and vendor management",
    "storage_bandwidth": "Storage, backups and bandwidth",
    "downtime_risk": "Downtime risk",
    "review": "Review labor",
}
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0
_WEEKS_PER_MONTH = 52.0 / 12.0


def api_fees_usd(api: ManagedAPI, images_per_month, megapixels_per_image=1.048576,
                 prompt_tokens_per_image=0.0, peak_requests_per_minute=0.0):
    """Monthly bill of a managed API with graduated volume discounts and the rate-limit tier
    its busiest hour needs.

    Parameters
    ----------
    api : ManagedAPI
    images_per_month : array_like  Images generated through the API. [images/month]
    megapixels_per_image : array_like  Output size, for per-megapixel pricing. [MP]
    prompt_tokens_per_image : array_like  Prompt length, billed at ``api.usd_per_prompt_token``
        (not discounted). [tokens/image]
    peak_requests_per_minute : array_like  Request rate of the busiest hour: the tier fee of
        the lowest of ``api.rate_tiers`` that carries it is paid. [requests/min]

    Returns
    -------
    ndarray  Fees, plan and tier fees included. [USD/month]
    """
    images = np.asarray(images_per_month, dtype=float)
    unit_usd = np.where(np.asarray(api.usd_per_megapixel) > 0,
                        np.multiply(api.usd_per_megapixel, megapixels_per_image),
                        api.usd_per_image)
    thresholds = [0.0] + [float(t) for t, _ in api.discount_tiers] + [np.inf]
    discounts = [0.0] + [d for _, d in api.discount_tiers]
    billed = 0.0
    for lo, hi, discount in zip(thresholds[:-1], thresholds[1:], discounts, strict=False):
        billed = billed + np.clip(images - lo, 0.0, hi - lo) * (1.0 - np.asarray(discount))
    per_image_extra_usd = np.add(api.surcharge_usd_per_image,
                                 np.multiply(api.usd_per_prompt_token, prompt_tokens_per_image))
    return (unit_usd * billed + per_image_extra_usd * images + api.fixed_usd_per_month
            + rate_tier_usd(api, peak_requests_per_minute))


def rate_tier_usd(api: ManagedAPI, requests_per_minute):
    """Fee of the lowest rate-limit tier of ``api`` whose limit carries a request rate (the
    last tier beyond them all); 0 without tiers. [USD/month]"""
    if not api.rate_tiers:
        return 0.0
    limits = np.array([limit for limit, _ in api.rate_tiers])
    fees = np.array([fee for _, fee in api.rate_tiers])
    index = np.searchsorted(limits, np.asarray(requests_per_minute, dtype=float) - 1e-9)
    return fees[np.minimum(index, len(fees) - 1)]


def peak_requests_per_minute(images_per_month, peak_factor):
    """Requests a minute in the busiest hour, one image a request. [requests/min]"""
    return np.multiply(images_per_month, peak_factor) / HOURS_PER_MONTH / 60.0


def capital_usd_per_month(purchase_usd, useful_life_months, resale_fraction=0.0,
                          annual_discount_rate=0.0):
    """Monthly capital cost of one purchase.

    At a zero rate, straight-line depreciation ``(purchase - resale) / life``; above zero,
    the level monthly payment whose present value over the life equals the purchase less
    the discounted resale (an annuity, consistent with NPV).

    Parameters
    ----------
    purchase_usd : array_like  [USD]
    useful_life_months : array_like  [months]
    resale_fraction : array_like  Resale value at the end of life over purchase. [0-1]
    annual_discount_rate : array_like  [1/year]

    Returns
    -------
    ndarray  [USD/month]
    """
    price = np.asarray(purchase_usd, dtype=float)
    life = np.asarray(useful_life_months, dtype=float)
    monthly_rate = np.expm1(np.log1p(np.asarray(annual_discount_rate, dtype=float)) / 12.0)
    discount = np.exp(-life * np.log1p(monthly_rate))  # 1 / (1 + r)^n
    net_present = price - price * np.asarray(resale_fraction) * discount
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = np.where(monthly_rate > 0, monthly_rate / -np.expm1(-life * np.log1p(
            monthly_rate)), 1.0 / life)
    return net_present * annuity


def _zero(like):
    return np.zeros_like(np.asarray(like, dtype=float))


def _rented(gpu: RentedGPU, images, peak_factor, gpus=None) -> tuple[dict, object]:
    """GPU rental for ``images`` generated images, and the GPUs it runs (the peak hour's
    count on demand); ``gpus`` fixes the reserved count."""
    n = gpus if gpus is not None else gpus_needed(
        images, gpu.images_per_hour, gpu.utilization, peak_factor,
        gpu.min_gpus if gpu.holds_dedicated_gpus else 0.0)
    hourly = gpu.effective_hourly_usd
    if not gpu.holds_dedicated_gpus:  # on demand: pay for the hours generating
        hours = images / np.multiply(gpu.images_per_hour, gpu.utilization) * (1.0 + gpu.rework)
        cost = hours * hourly
    else:
        monthly = np.where(np.asarray(gpu.monthly_usd) > 0, gpu.monthly_usd,
                           np.multiply(hourly, HOURS_PER_MONTH))
        cost = n * monthly * np.subtract(1.0, gpu.commitment_discount)
    return {"gpu": cost + _zero(images)}, n


def host_servers(own: OwnedGPU, gpus):
    """Host servers that hold ``gpus`` owned GPUs: whole servers. [servers]"""
    return np.ceil(np.asarray(gpus, dtype=float) / own.gpus_per_server - 1e-9)


def _owned(own: OwnedGPU, images, peak_factor, gpus=None) -> tuple[dict, object]:
    """Depreciation (GPUs and their host servers), power, space and maintenance of owned
    GPUs generating ``images``, and the GPUs held."""
    n = gpus if gpus is not None else gpus_needed(
        images, own.images_per_hour, own.utilization, peak_factor, own.min_gpus)
    busy_hours = images / np.asarray(own.images_per_hour, dtype=float)
    idle_hours = np.maximum(n * HOURS_PER_MONTH - busy_hours, 0.0)
    kwh = (busy_hours + idle_hours * own.idle_power_fraction) * own.board_watts / 1000.0
    hardware_usd = n * own.purchase_usd + host_servers(own, n) * own.host_usd_per_server
    return {
        "gpu": capital_usd_per_month(hardware_usd, own.useful_life_months,
                                     own.resale_fraction, own.annual_discount_rate),
        "power_cooling_space": kwh * np.multiply(own.kwh_usd, own.pue)
        + n * own.space_usd_per_gpu_month,
        "maintenance": hardware_usd * own.maintenance_per_year / 12.0,
    }, n


def engineering_hours_per_month(ops: Operations, gpus, owns_hardware: bool):
    """Platform engineering effort of running ``gpus`` GPUs: a base for the first server, an
    effort per GPU, and hardware handling per GPU when the team owns them. [h/month]"""
    per_gpu = np.add(ops.devops_hours_per_gpu_month,
                     ops.hardware_hours_per_gpu_month if owns_hardware else 0.0)
    return ops.devops_hours_per_month + np.multiply(gpus, per_gpu)


def engineering_usd(ops: Operations, hours):
    """Monthly cost of ``hours`` of platform engineering: the dedicated staff's salaries
    (``ml_engineer_fte``), who do up to 160 h/month each, and the hours beyond them at the
    engineering rate. No hour is paid twice. [USD/month]"""
    covered_hours = np.multiply(ops.ml_engineer_fte, WORK_HOURS_PER_FTE_MONTH)
    return (np.multiply(ops.ml_engineer_fte, ops.ml_engineer_usd_per_month)
            + np.maximum(np.subtract(hours, covered_hours), 0.0) * ops.engineer_hourly_usd)


def setup_usd(ops: Operations):
    """Initial serving setup: ``setup_weeks`` of one engineer at the staff salary. Paid at
    month 0 in the cash flow; spread over ``amortization_months`` in a monthly cost. [USD]"""
    return np.multiply(ops.setup_weeks, ops.ml_engineer_usd_per_month) / _WEEKS_PER_MONTH


def _self_hosting(ops: Operations, compute_usd, gpus, owns_hardware) -> dict:
    """People, tooling and downtime allowance of running ``gpus`` GPUs yourself."""
    hours = engineering_hours_per_month(ops, gpus, owns_hardware)
    return {
        "engineering": engineering_usd(ops, hours)
        + np.multiply(ops.oncall_usd_per_month, float(ops.user_facing))
        + setup_usd(ops) / ops.amortization_months,
        "monitoring": np.asarray(ops.monitoring_usd_per_month, dtype=float),
        "downtime_risk": compute_usd * ops.downtime_allowance,
    }


def _api_operations(ops: Operations) -> dict:
    return {
        "engineering": np.multiply(ops.api_integration_hours_per_month, ops.engineer_hourly_usd),
        "monitoring": np.multiply(ops.vendor_management_hours_per_month,
                                  ops.engineer_hourly_usd),
    }


def _add(*parts: dict) -> dict:
    total: dict = {}
    for part in parts:
        for area, usd in part.items():
            total[area] = total.get(area, 0.0) + usd
    return total


def local_capacity_images_per_month(local: RentedGPU | OwnedGPU, gpus):
    """What ``gpus`` local GPUs generate in a month at their target utilization. [images/month]"""
    return np.multiply(gpus, np.multiply(local.images_per_hour, local.utilization)) \
        * HOURS_PER_MONTH


_SORTED_PROFILE: dict[int, tuple] = {}


def _sorted_profile(profile) -> tuple[np.ndarray, np.ndarray]:
    """Hourly weights sorted and rescaled to mean 1, and the sums of the k largest (k = 0..
    hours). The last profile's are kept: a model evaluates its one profile many times."""
    kept = _SORTED_PROFILE.get(id(profile))
    if kept is not None and kept[0] is profile:
        return kept[1], kept[2]
    weights = np.sort(np.asarray(profile, dtype=float))
    weights = weights / weights.mean()
    top_sums = np.concatenate(([0.0], np.cumsum(weights[::-1])))
    _SORTED_PROFILE.clear()
    _SORTED_PROFILE[id(profile)] = (profile, weights, top_sums)
    return weights, top_sums


def overflow_images_per_month(images_per_month, capacity_images_per_month, profile=None):
    """Images above a local capacity, hour by hour under a demand profile.

    With hourly weights ``w_h`` (mean 1) the demand of hour h is ``w_h * images / 730`` and
    the overflow is the sum over hours of ``max(0, demand_h - capacity / 730)``, scaled to a
    month. It is computed from the sorted weights and their running sums (a piecewise-linear
    function of the capacity), so ``images`` and ``capacity`` may be arrays of any shape, a
    Monte Carlo sample or a grid of GPU counts, with no array of hours per element.

    Parameters
    ----------
    images_per_month : array_like  Images to serve. [images/month]
    capacity_images_per_month : array_like  What the local GPUs generate in a month. [images/month]
    profile : array_like or None  Hourly weights, >= 0 (rescaled to mean 1); None is steady:
        ``max(0, images - capacity)``. [ratio]

    Returns
    -------
    ndarray  Images sent to the overflow. [images/month]
    """
    images = np.asarray(images_per_month, dtype=float)
    capacity = np.asarray(capacity_images_per_month, dtype=float)
    if profile is None:
        return np.maximum(images - capacity, 0.0)
    weights, top_sums = _sorted_profile(profile)
    hours = weights.size
    with np.errstate(divide="ignore", invalid="ignore"):
        level = capacity / images  # capacity per hour over the mean hour's demand
        above = hours - np.searchsorted(weights, level, side="right")
        share = (top_sums[above] - above * level) / hours
    return np.where(above > 0, images * share, 0.0)


def serving_images_per_month(workload: Workload, preview_ratio=None):
    """Images an option serves, in full generations: requests less cache hits, with previews
    counted at ``preview_ratio`` of a full generation (default the GPU-time ratio
    ``preview_cost_ratio``; an API's is ``preview_price_ratio``). [images/month]"""
    ratio = workload.preview_cost_ratio if preview_ratio is None else preview_ratio
    generated = np.asarray(workload.images_per_month, dtype=float) \
        * (1.0 - np.asarray(workload.cache_hit_rate))
    return generated * (1.0 - np.multiply(workload.preview_share, np.subtract(1.0, ratio)))


def _api_serving(api: ManagedAPI, images, workload: Workload, ops: Operations) -> dict:
    return _add({"api_fees": api_fees_usd(
        api, images, workload.megapixels_per_image, workload.prompt_tokens_per_image,
        peak_requests_per_minute(images, workload.peak_factor))}, _api_operations(ops))


def _hybrid_serving(option: Hybrid, images, workload: Workload, ops: Operations) -> dict:
    """Local GPUs serve each hour up to their capacity (the sizing rule's utilization), the
    API takes the rest."""
    capacity = local_capacity_images_per_month(option.local, option.local_gpus)
    if option.profile is None:
        local_images = np.minimum(images, capacity)
    else:
        local_images = images - overflow_images_per_month(images, capacity, option.profile)
    local = _SERVING[type(option.local)](option.local, local_images, workload, ops,
                                         gpus=np.asarray(option.local_gpus, dtype=float))
    peak_overflow = np.maximum(peak_requests_per_minute(images, workload.peak_factor)
                               - capacity / HOURS_PER_MONTH / 60.0, 0.0)
    overflow = {"api_fees": api_fees_usd(option.api, images - local_images,
                                         workload.megapixels_per_image,
                                         workload.prompt_tokens_per_image, peak_overflow)}
    return _add(local, overflow, _api_operations(ops))


def _self_hosted(compute_and_gpus: tuple[dict, object], ops: Operations,
                 owns_hardware: bool) -> dict:
    compute, gpus = compute_and_gpus
    compute_usd = compute["gpu"] + compute.get("power_cooling_space", 0.0)
    return _add(compute, _self_hosting(ops, compute_usd, gpus, owns_hardware))


def _rented_serving(gpu: RentedGPU, images, workload, ops, gpus=None) -> dict:
    return _self_hosted(_rented(gpu, images, workload.peak_factor, gpus), ops,
                        owns_hardware=False)


def _owned_serving(own: OwnedGPU, images, workload, ops, gpus=None) -> dict:
    return _self_hosted(_owned(own, images, workload.peak_factor, gpus), ops,
                        owns_hardware=True)


def serverless_gpu_seconds(option: ServerlessGPU, images):
    """GPU-seconds a serverless GPU bills for ``images``: generating, plus every cold start's
    boot and model load. [GPU-s/month]"""
    return (np.asarray(images, dtype=float) * 3600.0 / option.images_per_hour
            + np.multiply(option.cold_starts_per_month, option.cold_start_seconds))


def _serverless_serving(option: ServerlessGPU, images, workload: Workload,
                        ops: Operations) -> dict:
    """Billed GPU-seconds, and the integration and vendor work of a provider (the provider
    runs the GPUs: no fleet to operate, no on-call)."""
    return _add({"gpu": serverless_gpu_seconds(option, images) * option.usd_per_gpu_second},
                _api_operations(ops))


# Every cost area that depends on how an option serves its images (not storage or review),
# by option kind.
_SERVING = {ManagedAPI: _api_serving, RentedGPU: _rented_serving, OwnedGPU: _owned_serving,
            ServerlessGPU: _serverless_serving, Hybrid: _hybrid_serving}


def monthly_cost_by_area(option: Option, workload: Workload, ops: Operations) -> dict:
    """Monthly cost of serving ``workload`` with ``option``, by cost area.

    Parameters
    ----------
    option : ManagedAPI, RentedGPU, OwnedGPU, ServerlessGPU or Hybrid
    workload : Workload  ``images_per_month`` may be an array.
    ops : Operations

    Returns
    -------
    dict  ``{area: ndarray}`` over every key of ``COST_AREAS`` (zeros where an area does not
    apply). [USD/month]
    """
    areas = _areas(option, workload, ops)
    zero = _zero(sum(areas.values()))
    return {area: zero + areas.get(area, 0.0) for area in COST_AREAS}


def approved_per_month(workload: Workload):
    """Approved assets a month, the demand every option serves: the workload's images over
    its outputs per approved asset. [assets/month]"""
    return np.asarray(workload.images_per_month, dtype=float) / workload.outputs_per_approved


def option_workload(option: Option, workload: Workload) -> Workload:
    """The workload as ``option`` generates it: the same approved assets, at the option's own
    outputs per approved asset where it has one (a model accepted less often generates, pays
    for and has reviewed more outputs for the same assets)."""
    if option.outputs_per_approved is None:
        return workload
    return dataclasses.replace(
        workload, outputs_per_approved=option.outputs_per_approved,
        images_per_month=approved_per_month(workload) * option.outputs_per_approved)


def storage_usd_per_month(workload: Workload, ops: Operations):
    """Object storage of the generated images once ``retention_months`` of them are kept
    (the steady state; the cash flow ramps up to it), with ``backup_copies`` extra copies
    whatever serves them. [USD/month]"""
    generated = (np.asarray(workload.images_per_month, dtype=float)
                 * (1.0 - np.asarray(workload.cache_hit_rate)))
    return (generated * np.multiply(workload.stored_mb_per_image, workload.retention_months)
            / 1000.0 * workload.storage_usd_per_gb_month * np.add(1.0, ops.backup_copies))


def _areas(option: Option, workload: Workload, ops: Operations) -> dict:
    """The cost areas that apply to ``option``, unbroadcast (see monthly_cost_by_area)."""
    workload = option_workload(option, workload)
    requested = np.asarray(workload.images_per_month, dtype=float)
    egress_usd = (approved_per_month(workload) * np.multiply(workload.views_per_approved,
                                                             workload.delivered_mb_per_image)
                  / 1000.0 * workload.egress_usd_per_gb)
    shared = {
        "storage_bandwidth": storage_usd_per_month(workload, ops) + egress_usd,
        # every output is looked at (a cache hit too): worse acceptance, more review
        "review": requested * np.multiply(workload.review_minutes_per_output,
                                          workload.reviewer_hourly_usd) / 60.0,
    }
    ratio = workload.preview_price_ratio if option.bills_per_image else None
    serving = _SERVING[type(option)](option, serving_images_per_month(workload, ratio),
                                     workload, ops)
    return _add(serving, shared)


def monthly_cost_usd(option: Option, workload: Workload, ops: Operations):
    """Total monthly cost, all areas. [USD/month]"""
    return np.asarray(sum(_areas(option, workload, ops).values()), dtype=float)


def cost_per_image_usd(option: Option, workload: Workload, ops: Operations):
    """Generation cost per image the option generates: its monthly cost without review
    labor, over its images (``inf`` at zero volume). [USD/image]"""
    areas = monthly_cost_by_area(option, workload, ops)
    images = option_workload(option, workload).images_per_month
    with np.errstate(divide="ignore", invalid="ignore"):
        return (sum(areas.values()) - areas["review"]) / np.asarray(images, dtype=float)


def cost_per_approved_usd(option: Option, workload: Workload, ops: Operations):
    """All-in monthly cost over approved assets: rejected outputs and review included
    (``inf`` at zero volume). [USD/asset]"""
    with np.errstate(divide="ignore", invalid="ignore"):
        return monthly_cost_usd(option, workload, ops) / approved_per_month(workload)


def option_gpus(option: Option, workload: Workload):
    """GPUs the option holds (reserved, owned or hybrid local); 0 for an API. [GPUs]

    On-demand rentals report the GPUs running in the peak hour. Every count follows the
    sizing rule (:func:`costlib.sizing.gpus_needed`).
    """
    local = option.local_part
    zero = _zero(workload.images_per_month)
    workload = option_workload(option, workload)
    if local is None:
        return zero
    if local is not option:  # a hybrid holds the local GPUs it names
        return zero + option.local_gpus
    return gpus_needed(serving_images_per_month(workload), local.images_per_hour,
                       local.utilization, workload.peak_factor,
                       local.min_gpus if local.holds_dedicated_gpus else 0.0)


def shared_review_usd(review_usd_by_option):
    """Review labor every option pays: the least any of them pays (at the workload's own
    acceptance it is the same for all); what an option pays above it is a cost the choice
    changes. Arrays (a grid of volumes) are compared element by element. [USD/month]"""
    reviews = list(review_usd_by_option)
    return np.minimum.reduce(np.broadcast_arrays(*reviews)) if reviews else 0.0


def evaluate(model) -> dict:
    """Every option of a resolved scenario (``costlib.scenario.Model``), summarized.

    Returns a JSON-ready dict: per option its GPUs, monthly cost by area and in total, the
    part of it the choice changes (all but the review every option shares), cost per image
    and per approved asset, month-0 cash, cumulative cash cost and NPV over the horizon
    (:mod:`costlib.cashflow`); the shared review; the cheapest option by monthly cost; and
    the stale inputs. The README documents the fields.
    """
    from costlib.cashflow import model_cash_flow  # the cash flow builds on this module

    w, ops = model.workload, model.ops
    months = model.scenario.horizon_months
    rate = model.values["discount_rate"]
    rows = []
    for name, option in model.options.items():
        areas = {k: float(v) for k, v in monthly_cost_by_area(option, w, ops).items()}
        flow = model_cash_flow(model, name)
        total = sum(areas.values())
        images = float(option_workload(option, w).images_per_month)
        approved = float(approved_per_month(w))
        spec = next(s for s in model.scenario.options if s.name == name)
        rows.append({
            "name": name,
            "label": spec.label or name,
            "kind": option.kind,
            "gpus": float(option_gpus(option, w)),
            "monthly_usd": total,
            "images_per_month": images,
            "usd_per_image": (total - areas["review"]) / images if images > 0 else math.inf,
            "usd_per_approved": total / approved if approved > 0 else math.inf,
            "upfront_usd": float(flow.cash_usd[0]),
            "horizon_usd": float(flow.cumulative_usd[-1]),
            "npv_usd": float(flow.npv_usd(rate)),
            "by_area": areas,
        })
    shared = shared_review_usd(r["by_area"]["review"] for r in rows)
    for r in rows:
        r["differing_usd"] = r["monthly_usd"] - shared
    return {
        "costlib_version": __version__,
        "scenario": model.scenario.name,
        "horizon_months": months,
        "images_per_month": float(w.images_per_month),
        "approved_per_month": float(approved_per_month(w)),
        "shared_usd": shared,
        "cheapest": min(rows, key=lambda r: r["monthly_usd"])["name"],
        "options": rows,
        "stale_inputs": [p for p, i in model.inputs.items() if i.stale],
    }
