"""Plain labels for what people read: model inputs, uncertain factors and units.

Ids (``workload.images_per_month``, ``options.replicate_sdxl.usd_per_image``,
``assumptions.space``) belong in scenario files and JSON; every text a client reads (charts,
sentences, the report, the widgets) names an input by the label this registry gives it. An
input is known by its field, the last part of its path; an option's field is qualified by the
option's label, so two options' prices stay apart. A field missing from the registry falls
back to its words (``setup_weeks`` -> "setup weeks"), never to the path.
"""

from __future__ import annotations

from collections.abc import Mapping

# the field (last part of an input path) -> what it is, in words
FIELDS = {
    # workload
    "images_per_month": "monthly image volume",
    "outputs_per_approved": "outputs generated per approved asset",
    "peak_factor": "peak hour over the mean hour",
    "megapixels_per_image": "image size",
    "retention_months": "storage retention",
    "cache_hit_rate": "cache hit rate",
    "preview_share": "share of previews",
    "preview_cost_ratio": "GPU time of a preview against a final image",
    "preview_price_ratio": "API price of a preview against a final image",
    "prompt_tokens_per_image": "prompt length",
    "review_minutes_per_output": "review time per output",
    "reviewer_hourly_usd": "reviewer's hourly rate",
    "stored_mb_per_image": "stored size per image",
    "delivered_mb_per_image": "delivered size per image",
    "views_per_approved": "views per approved image",
    "storage_usd_per_gb_month": "storage price",
    "egress_usd_per_gb": "delivery (CDN) price",
    # labor
    "devops_hours_per_month": "DevOps time for self-hosted GPUs",
    "devops_hours_per_gpu_month": "DevOps time per GPU",
    "hardware_hours_per_gpu_month": "hardware handling time per owned GPU",
    "oncall_usd_per_month": "on-call rotation",
    "engineer_hourly_usd": "engineer's hourly rate",
    "ml_engineer_usd_per_month": "ML infrastructure engineer's salary",
    "ml_engineer_fte": "ML engineer time when self-hosting",
    "setup_weeks": "serving setup time",
    "monitoring_usd_per_month": "monitoring tools",
    "backup_copies": "backup copies",
    "downtime_allowance": "downtime allowance",
    "api_integration_hours_per_month": "API integration time",
    "vendor_management_hours_per_month": "vendor management time",
    "amortization_months": "amortization period",
    "discount_rate": "annual discount rate",
    # the cash flow
    "growth_per_month": "monthly volume growth",
    "api_price_decline_per_year": "yearly fall of API prices",
    "gpu_price_decline_per_year": "yearly fall of GPU prices",
    # options
    "usd_per_image": "price per image",
    "usd_per_megapixel": "price per megapixel",
    "surcharge_usd_per_image": "surcharge per image",
    "fixed_usd_per_month": "monthly plan fee",
    "usd_per_prompt_token": "price per prompt token",
    "volume_discount": "volume discount",
    "enterprise_discount": "enterprise discount",
    "hourly_usd": "GPU hourly price",
    "monthly_usd": "GPU monthly price",
    "images_per_hour": "GPU throughput",
    "utilization": "GPU utilization",
    "rework": "share of images generated again",
    "min_gpus": "minimum number of GPUs",
    "purchase_usd": "GPU purchase price",
    "board_watts": "GPU board power",
    "useful_life_months": "GPU useful life",
    "resale_fraction": "resale value",
    "idle_power_fraction": "idle power draw",
    "kwh_usd": "electricity price",
    "pue": "cooling and power overhead (PUE)",
    "maintenance_per_year": "yearly maintenance",
    "space_usd_per_gpu_month": "rack space per GPU",
    "local_gpus": "local GPUs of the hybrid",
    "host_usd_per_server": "host server price",
    "gpus_per_server": "GPUs per host server",
    "lead_months": "procurement lead time",
    "spot_availability": "spot capacity available",
    "fallback_hourly_usd": "on-demand price when spot is gone",
    "commitment_months": "commitment term",
    "commitment_discount": "commitment discount",
    "usd_per_gpu_second": "GPU price per second",
    "cold_starts_per_month": "cold starts a month",
    "cold_start_seconds": "cold start time",
    "max_concurrency": "GPUs the provider runs at once",
    "batch_size": "images a GPU generates per call (batch size)",
    "precision": "arithmetic precision",
}

# the image models a scenario names, as people write them
MODELS = {"sd15": "SD 1.5", "sdxl": "SDXL", "sdxl-turbo": "SDXL-Turbo",
          "flux-schnell": "FLUX.1-schnell", "flux-dev": "FLUX.1-dev", "other": "the model"}
# a self-hosted option's precision (its ``precision``) in words
PRECISIONS = {"bf16": "16-bit (bf16)", "fp16": "16-bit (fp16)", "fp8": "8-bit (fp8)"}

# units as people say them; a unit not listed reads as it is written
UNITS = {"fraction": "%", "fraction/year": "% a year", "fraction/month": "% a month",
         "ratio": "x", "images/h":
         "images/hour", "h/month": "hours/month", "min/image": "minutes/output",
         "images/asset": "outputs/asset", "USD/GPU-month": "USD per GPU a month",
         "USD/GB-month": "USD per GB a month", "USD/GB": "USD per GB",
         "1/month": "a month", "USD/GPU-s": "USD per GPU-second", "h/GPU-month":
         "hours per GPU a month", "USD/server": "USD per server", "GPUs/server":
         "GPUs per server"}


def field_label(field: str) -> str:
    """The words of one input field (the last part of its path)."""
    return FIELDS.get(field, field.replace("_", " "))


def option_of(path: str) -> str | None:
    """The option an input path belongs to ('options.NAME.FIELD' -> NAME), else None."""
    parts = path.split(".")
    return parts[1] if parts[0] == "options" and len(parts) > 2 else None


def input_label(path: str, option_labels: Mapping[str, str] | None = None) -> str:
    """An input path in words: 'monthly image volume', 'price per image of SDXL on
    Replicate (API)'. ``option_labels`` maps option names to their labels."""
    words = field_label(path.rsplit(".", 1)[-1])
    option = option_of(path)
    if option is None:
        return words
    return f"{words} of {(option_labels or {}).get(option, option.replace('_', ' '))}"


def factor_label(factor, option_labels: Mapping[str, str] | None = None) -> str:
    """An uncertain factor (one catalog row or one input, feeding one or more inputs) in
    words: its field's label, and the options it feeds where it feeds one or two."""
    paths = factor.paths or (factor.name,)
    words = field_label(paths[0].rsplit(".", 1)[-1])
    options = list(dict.fromkeys(o for o in map(option_of, paths) if o is not None))
    if not options or len(options) > 2:
        return words
    labels = option_labels or {}
    return f"{words} of " + " and ".join(labels.get(o, o.replace("_", " ")) for o in options)


def model_label(model: str) -> str:
    """An image model in words: 'sdxl' -> 'SDXL'."""
    return MODELS.get(model, model)


def precision_label(precision: str) -> str:
    """A precision in words: 'fp8' -> '8-bit (fp8)'."""
    return PRECISIONS.get(precision, precision)


# Counted units that read in the singular for exactly one ('1 month', not '1 months').
SINGULAR = {"months": "month", "weeks": "week", "copies": "copy", "GPUs": "GPU",
            "views": "view"}


def unit_label(unit: str, value: float | None = None) -> str:
    """A unit as people write it: 'fraction' -> '%', 'images/h' -> 'images/hour'; a counted
    unit in the singular for a ``value`` of exactly 1 ('months' -> 'month')."""
    if value == 1 and unit in SINGULAR:
        return SINGULAR[unit]
    return UNITS.get(unit, unit)


def option_labels(scenario) -> dict[str, str]:
    """Each option's label by name: the scenario's label, else the name in words."""
    return {o.name: o.label or o.name.replace("_", " ") for o in scenario.options}
