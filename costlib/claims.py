"""The claims audit: the numeric claims of the source articles, recomputed from the catalog
(the framework article makes none).

Each :class:`Claim` names its article, says what the article claims (in our words, with its
figures), and recomputes it from catalog rows with plain arithmetic: the recomputed figure
and a verdict, ``holds``, ``does not hold`` or ``holds only if`` (with the reading under
which it does). :func:`audit` runs them all; ``costlib claims`` prints one line each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from costlib.catalog import Catalog
from costlib.fmt import volume

HIDDEN = "Hidden Cost of Convenience (Stable Diffusion local vs cloud)"
IMAGEBENCH = "ImageBench cost guide (2026)"
ARCHITECTURE = "API vs Self-Hosted architecture article (2026-05-19)"
BREAKEVEN = "Cloud vs local AI break-even article"

HOLDS, FAILS, ONLY_IF = "holds", "does not hold", "holds only if"
# ImageBench's break-even analysis prices SDXL at this API cost. [USD/image]
IMAGEBENCH_API_USD = 0.004
HOURS_PER_DAY, DAYS_PER_MONTH, HOURS_PER_MONTH = 24, 30, 730


@dataclass(frozen=True)
class Verdict:
    """A claim recomputed: the figure the catalog gives and whether the claim holds.

    recomputed : str  The recomputed figure, with its arithmetic.
    verdict : str  ``holds``, ``does not hold`` or ``holds only if``.
    reading : str  For ``holds only if``: the condition; '' otherwise.
    """

    recomputed: str
    verdict: str
    reading: str = ""


@dataclass(frozen=True)
class Claim:
    """One numeric claim of an article and how the catalog recomputes it."""

    key: str
    article: str
    claim: str
    check: Callable[[Catalog], Verdict]


def breakeven_images(fixed_usd_per_month, api_usd_per_image, local_usd_per_image=0.0):
    """Monthly volume at which a fixed monthly cost equals the API's bill: ``inf`` where the
    API is no dearer per image. [images/month]"""
    gap = api_usd_per_image - local_usd_per_image
    return fixed_usd_per_month / gap if gap > 0 else math.inf


def _v(cat: Catalog, table: str, name: str) -> float:
    return cat.value(table, name)


def _range(cat: Catalog, table: str, name: str) -> tuple[float, float]:
    e = cat.get(table, name)
    return e.low, e.high


def _rtx4090_fixed_usd_per_month(cat: Catalog) -> float:
    """An owned RTX 4090's purchase over its useful life plus maintenance. [USD/month]"""
    purchase = _v(cat, "gpu_hardware", "rtx4090_purchase")
    return (purchase / _v(cat, "assumptions", "useful_life")
            + purchase * _v(cat, "assumptions", "maintenance") / 12)


def _rtx4090_power_usd_per_image(cat: Catalog) -> float:
    """ImageBench's 800 USD/year of power and cooling over a year of SDXL at 360 images/h."""
    return (_v(cat, "gpu_hardware", "rtx4090_power_cooling")
            / (_v(cat, "throughput", "sdxl_rtx4090") * 8760))


def _fewer_than_50_cloud(cat):
    fixed = _rtx4090_fixed_usd_per_month(cat)
    api = _v(cat, "api_prices", "replicate_sdxl")
    images = breakeven_images(fixed, api, _rtx4090_power_usd_per_image(cat))
    price_for_hundreds = fixed / 300
    return Verdict(f"an owned RTX 4090 ({fixed:.0f} USD/month) breaks even with SDXL on "
                   f"Replicate ({api:g} USD/image) at {volume(images, 3)} images/month; at 300 "
                   f"images/month only against an API dearer than {price_for_hundreds:.2f} "
                   "USD/image", ONLY_IF,
                   "below 50 a month cloud wins at any price; hundreds favour local only "
                   f"against APIs above {price_for_hundreds:.2f} USD/image")


def _dozens_daily_within_months(cat):
    purchase = _v(cat, "gpu_hardware", "rtx4090_purchase")
    images = 36 * DAYS_PER_MONTH
    prices = [_v(cat, "api_prices", name) for name in
              ("replicate_sdxl", "openai_dalle3", "openai_gpt_image_1_high_1024x1536")]
    months = ", ".join(f"{purchase / (images * p):,.0f} at {p:g} USD/image" for p in prices)
    return Verdict(f"{images:,} images/month reach the {purchase:,.0f} USD of an RTX 4090 "
                   f"after (months) {months}", ONLY_IF,
                   "with premium APIs (0.25 USD/image); years at 0.04, never in practice at "
                   "SDXL prices")


def _three_orders(cat):
    prices = [e.value for e in cat.rows("api_prices", pricing="per_image")]
    ratio = max(prices) / min(prices)
    return Verdict(f"per-image API prices span {min(prices):g}-{max(prices):g} USD: "
                   f"{ratio:,.0f}x, {math.log10(ratio):.1f} orders of magnitude", FAILS)


def _a100_monthly_breakeven(cat):
    low, high = _range(cat, "gpu_rental", "a100_40gb_monthly")
    return Verdict(f"{low:,.0f}-{high:,.0f} USD/month over {IMAGEBENCH_API_USD} USD/image: "
                   f"{breakeven_images(low, IMAGEBENCH_API_USD):,.0f}-"
                   f"{breakeven_images(high, IMAGEBENCH_API_USD):,.0f} "
                   "images/month", ONLY_IF, "at the low end of its monthly price (1,100 USD)")


def _above_200k(cat):
    low, high = _range(cat, "gpu_rental", "a100_40gb_monthly")
    return Verdict(f"its own figures (an A100 rented monthly, {low:,.0f}-{high:,.0f} USD, "
                   f"against {IMAGEBENCH_API_USD} USD/image) break even at "
                   f"{breakeven_images(low, IMAGEBENCH_API_USD):,.0f}-"
                   f"{breakeven_images(high, IMAGEBENCH_API_USD):,.0f} "
                   "images/month, before any labor", FAILS)


def _a100_hourly_breakeven(cat):
    usd_low, usd_high = _range(cat, "gpu_rental", "a100_40gb_hourly")
    iph_low, iph_high = _range(cat, "throughput", "sdxl_a100")
    month_low, month_high = _range(cat, "gpu_rental", "a100_40gb_monthly")
    return Verdict(f"an A100 hour ({usd_low:.2f}-{usd_high:.2f} USD) makes {iph_low:,.0f}-"
                   f"{iph_high:,.0f} SDXL images worth {iph_low * IMAGEBENCH_API_USD:.2f}-"
                   f"{iph_high * IMAGEBENCH_API_USD:.2f} USD at {IMAGEBENCH_API_USD} USD "
                   "each, so hourly beats the API at any number of hours; against the "
                   "monthly rental it breaks even at "
                   f"{month_low / usd_high:,.0f}-{month_high / usd_low:,.0f} h", FAILS)


def _rtx4090_recoup(cat):
    purchase = _v(cat, "gpu_hardware", "rtx4090_purchase")
    images = breakeven_images(purchase, IMAGEBENCH_API_USD, _rtx4090_power_usd_per_image(cat))
    return Verdict(f"{purchase:,.0f} USD over {IMAGEBENCH_API_USD} USD/image less "
                   f"{_rtx4090_power_usd_per_image(cat):.4f} USD of power per image: "
                   f"{volume(images, 3)} images", FAILS)


def _stated_images_per_hour(gpu):
    def check(cat):
        low, high = _range(cat, "throughput", f"sdxl_{gpu}")
        stated_low, stated_high = _range(cat, "throughput", f"sdxl_{gpu}_as_stated")
        return Verdict(f"its own seconds per image give {low:,.0f}-{high:,.0f} images/h, "
                       f"{low / stated_high:.0f}-{high / stated_low:.0f}x the stated "
                       f"{stated_low:,.0f}-{stated_high:,.0f}", FAILS)
    return check


def _tier_upgrade(cat):
    starter = _v(cat, "api_terms", "starter_usd_per_month")
    pro = _v(cat, "api_terms", "pro_usd_per_month")
    rate = (_v(cat, "api_terms", "pro_requests_per_minute")
            / _v(cat, "api_terms", "starter_requests_per_minute"))
    per_doubling = (pro / starter) ** (math.log(2) / math.log(rate))
    low, high = _range(cat, "api_terms", "tier_upgrade_cost_multiplier")
    return Verdict(f"its own tiers: starter to pro costs {pro / starter:.1f}x for {rate:.0f}x "
                   f"the rate limit, {per_doubling:.1f}x per doubling (not {low:g}-{high:g}x)",
                   FAILS)


def _dreambooth(cat):
    usd_low, usd_high = _range(cat, "gpu_rental", "a100_40gb_hourly")
    train_low, train_high = _range(cat, "overheads", "dreambooth_training")
    return Verdict(f"10-30 A100 minutes at {usd_low:.2f}-{usd_high:.2f} USD/h cost "
                   f"{usd_low * 10 / 60:.2f}-{usd_high * 30 / 60:.2f} USD; "
                   f"{train_low:g}-{train_high:g} USD buys {train_low / usd_high * 60:.0f}-"
                   f"{train_high / usd_low * 60:.0f} A100 minutes", FAILS)


def _custom_models_vs_inference(cat):
    train_low, train_high = _range(cat, "overheads", "dreambooth_training")
    prices = (_v(cat, "api_prices", "replicate_sdxl"), IMAGEBENCH_API_USD)
    return Verdict(f"50 models x {train_low:g}-{train_high:g} USD = {50 * train_low:,.0f}-"
                   f"{50 * train_high:,.0f} USD against {100_000 * prices[0]:,.0f}-"
                   f"{100_000 * prices[1]:,.0f} USD of inference (100k images at "
                   f"{prices[0]:g}-{prices[1]:g} USD)", FAILS)


def _storage_100k(cat):
    low, high = _range(cat, "overheads", "png_1024_size")
    usd = _v(cat, "overheads", "storage")
    return Verdict(f"100k PNGs of {low:g}-{high:g} MB at {usd:g} USD/GB-month: "
                   f"{100_000 * low / 1000 * usd:.2f}-{100_000 * high / 1000 * usd:.2f} USD/month",
                   FAILS)


def _cdn_100k(cat):
    low, high = _range(cat, "overheads", "png_1024_size")
    usd = _v(cat, "overheads", "cdn_egress")
    views = _v(cat, "overheads", "views_per_image")
    return Verdict(f"100k images x {views:g} views x {low:g}-{high:g} MB x {usd:g} USD/GB: "
                   f"{100_000 * views * low / 1000 * usd:,.0f}-"
                   f"{100_000 * views * high / 1000 * usd:,.0f} USD/month", ONLY_IF,
                   "every generated image is viewed at its PNG size (not the delivered WebP)")


def _optimization_100k(cat):
    low, high = _range(cat, "overheads", "image_optimization")
    return Verdict(f"100k x {low:g}-{high:g} USD: {100_000 * low:.0f}-{100_000 * high:.0f} "
                   "USD/month", HOLDS)


def _ops_500k(cat):
    hours = _v(cat, "labor", "devops_hours")
    fixed = (_v(cat, "gpu_rental", "a100_40gb_monthly")
             + hours * _v(cat, "labor", "devops_hourly"))
    replicate = _v(cat, "api_prices", "replicate_sdxl")
    return Verdict(f"an A100 rented monthly plus {hours:g} h of DevOps ({fixed:,.0f} "
                   f"USD/month) breaks even at "
                   f"{volume(breakeven_images(fixed, IMAGEBENCH_API_USD), 3)} images/month "
                   f"against {IMAGEBENCH_API_USD} USD/image, "
                   f"{volume(breakeven_images(fixed, replicate), 3)} "
                   f"against Replicate's {replicate:g}",
                   ONLY_IF, f"APIs cost at least {fixed / 500_000:.4f} USD/image")


def _a100_80gb_per_image(cat):
    usd = _v(cat, "gpu_rental", "a100_80gb_hourly")
    iph = _v(cat, "throughput", "flux_dev_a100_80gb")
    return Verdict(f"{usd:g} USD/h over {iph:g} images/h: {usd / iph:.4f} USD/image", HOLDS)


def _per_day(images_per_day, stated_usd_per_day):
    def check(cat):
        api = _v(cat, "api_prices", "fal_flux_schnell")
        hours = images_per_day / _v(cat, "throughput", "flux_schnell_rtx4090")
        usd = hours * _v(cat, "gpu_rental", "rtx4090_community_hourly")
        always_on = HOURS_PER_DAY * _v(cat, "gpu_rental", "rtx4090_community_hourly")
        verdict = HOLDS if math.isclose(usd, stated_usd_per_day, rel_tol=0.1) else FAILS
        return Verdict(f"fal.ai {images_per_day * api:.2f} USD/day; an RTX 4090 billed for "
                       f"the {hours:.1f} h it needs {usd:.2f} USD/day (around the clock "
                       f"{always_on:.2f})", verdict)
    return check


def _crossover_500k(cat):
    eng_low, eng_high = _range(cat, "labor", "ml_infra_engineer")
    api = _v(cat, "api_prices", "fal_flux_schnell")
    local = (_v(cat, "gpu_rental", "rtx4090_community_hourly")
             / _v(cat, "throughput", "flux_schnell_rtx4090"))
    return Verdict(f"{eng_low:,.0f}-{eng_high:,.0f} USD/month of engineering over the "
                   f"{api - local:.4f} USD/image between fal.ai ({api:g}) and an RTX 4090 "
                   f"({local:.4f}): {breakeven_images(eng_low, api, local) / 1e6:.1f}-"
                   f"{breakeven_images(eng_high, api, local) / 1e6:.1f} million images/month",
                   FAILS)


def _dedicated_50k_100k(cat):
    api = _v(cat, "api_prices", "fal_flux_schnell")
    rows = {"RTX 4090": "rtx4090_community_hourly", "A100-80GB": "a100_80gb_hourly"}
    volumes = {gpu: breakeven_images(_v(cat, "gpu_rental", row) * HOURS_PER_MONTH, api)
               for gpu, row in rows.items()}
    return Verdict(f"a GPU rented around the clock breaks even with fal.ai's {api:g} "
                   "USD/image at " + ", ".join(f"{volume(v, 3)} images/month ({gpu})"
                                               for gpu, v in volumes.items()), FAILS)


def _one_to_three_cents(cat):
    a100 = _v(cat, "gpu_rental", "a100_80gb_hourly") / _v(cat, "throughput",
                                                           "flux_dev_a100_80gb")
    rtx = (_v(cat, "gpu_rental", "rtx4090_community_hourly")
           / _v(cat, "throughput", "flux_schnell_rtx4090"))
    return Verdict(f"Flux Dev on an A100-80GB {a100:.4f} USD/image; Flux Schnell on an "
                   f"RTX 4090 {rtx:.4f}", ONLY_IF, "for Flux Dev on an A100-80GB; Flux "
                   "Schnell on an RTX 4090 costs a tenth of it")


def _sweet_spot(cat):
    fixed = _rtx4090_fixed_usd_per_month(cat)
    power = _rtx4090_power_usd_per_image(cat)
    prices = (_v(cat, "api_prices", "replicate_sdxl"), IMAGEBENCH_API_USD,
              _v(cat, "api_prices", "openai_dalle3"))
    volumes = ", ".join(f"{volume(breakeven_images(fixed, p, power), 3)} at {p:g} USD/image"
                        for p in prices)
    return Verdict(f"an owned RTX 4090 ({fixed:.0f} USD/month) breaks even with an API at "
                   f"(images/month) {volumes}", ONLY_IF, "for the cheapest APIs (up to about "
                   "0.004 USD/image); dearer APIs cross near 1,000 a month")


def _use_case_product(stated, *factors):
    """A use case's stated cost against the product of its own figures' ranges."""
    def check(cat):
        ranges = [_range(cat, "use_cases", f) for f in factors]
        low, high = math.prod(r[0] for r in ranges), math.prod(r[1] for r in ranges)
        s_low, s_high = _range(cat, "use_cases", stated)
        ok = math.isclose(low, s_low, rel_tol=0.02) and math.isclose(high, s_high, rel_tol=0.02)
        named = " x ".join(f.split("_", 1)[1].replace("_", " ") for f in factors)
        return Verdict(f"{low:,.2f}-{high:,.2f} USD from {named} (stated "
                       f"{s_low:g}-{s_high:g})", HOLDS if ok else FAILS)
    return check


CLAIMS: tuple[Claim, ...] = (
    Claim("fewer_than_50_cloud", HIDDEN, "under 50 images a month favours cloud APIs, "
          "hundreds a month favour local generation", _fewer_than_50_cloud),
    Claim("dozens_daily_within_months", HIDDEN, "at dozens of images a day, API spend passes "
          "the amortized cost of local hardware within months", _dozens_daily_within_months),
    Claim("three_orders_of_magnitude", IMAGEBENCH, "API prices per image vary by three orders "
          "of magnitude", _three_orders),
    Claim("above_200k", IMAGEBENCH, "self-hosting pays above 200k images a month",
          _above_200k),
    Claim("a100_monthly_275k", IMAGEBENCH, "an A100 rented monthly breaks even with a 0.004 "
          "USD/image API at about 275,000 images a month", _a100_monthly_breakeven),
    Claim("a100_hourly_50_70h", IMAGEBENCH, "an A100 rented hourly breaks even at 50-70 hours "
          "of use a month", _a100_hourly_breakeven),
    Claim("rtx4090_600k", IMAGEBENCH, "an RTX 4090 recoups its hardware after about 600,000 "
          "images at 0.004 USD/image", _rtx4090_recoup),
    Claim("rtx4090_30_40_per_hour", IMAGEBENCH, "an RTX 4090 makes 30-40 SDXL images an hour",
          _stated_images_per_hour("rtx4090")),
    Claim("a100_100_150_per_hour", IMAGEBENCH, "an A100 makes 100-150 SDXL images an hour",
          _stated_images_per_hour("a100")),
    Claim("h100_250_400_per_hour", IMAGEBENCH, "an H100 makes 250-400 SDXL images an hour",
          _stated_images_per_hour("h100")),
    Claim("tier_upgrade_3_5x", IMAGEBENCH, "a tier upgrade costs 3-5x for twice the rate "
          "limit", _tier_upgrade),
    Claim("dreambooth_2_8", IMAGEBENCH, "DreamBooth training costs 2-8 USD per model for 10-30 "
          "minutes on an A100", _dreambooth),
    Claim("custom_models_exceed_inference", IMAGEBENCH, "at 100k images a month from 50 custom "
          "models, monthly model iteration (200-400 USD) costs more than inference",
          _custom_models_vs_inference),
    Claim("storage_100k", IMAGEBENCH, "raw storage of 100k images costs 6-9 USD a month",
          _storage_100k),
    Claim("cdn_100k", IMAGEBENCH, "CDN egress for 100k images at 10 views costs 170-255 USD "
          "a month", _cdn_100k),
    Claim("optimization_100k", IMAGEBENCH, "image optimization for 100k images costs 10-50 USD "
          "a month", _optimization_100k),
    Claim("ops_500k", IMAGEBENCH, "self-hosting with its operational overhead pays only above "
          "about 500k images a month", _ops_500k),
    Claim("ecommerce_monthly", IMAGEBENCH, "1,000 SKUs of product images cost 24-60 USD a "
          "month", _use_case_product("ecommerce_monthly", "ecommerce_price",
                                     "ecommerce_products", "ecommerce_variants")),
    Claim("social_monthly", IMAGEBENCH, "a brand's social media images cost 0.75-8.00 USD a "
          "month", _use_case_product("social_monthly", "social_price", "social_images")),
    Claim("game_per_asset", IMAGEBENCH, "a game asset costs 0.80-7.50 USD at 10-30 iterations",
          _use_case_product("game_per_asset", "game_price", "game_iterations")),
    Claim("arch_per_project", IMAGEBENCH, "an architecture project costs 2-18 USD at 5-15 "
          "angles", _use_case_product("arch_per_project", "arch_price", "arch_angles")),
    Claim("a100_80gb_017", ARCHITECTURE, "an A100-80GB on RunPod at 2.09 USD/h making 120 Flux "
          "Dev images an hour costs about 0.017 USD/image", _a100_80gb_per_image),
    Claim("per_day_100", ARCHITECTURE, "at 100 images a day: 0.30 USD/day on fal.ai, 1.40 on "
          "an RTX 4090", _per_day(100, 1.40)),
    Claim("per_day_1000", ARCHITECTURE, "at 1,000 images a day: 3.00 USD/day on fal.ai, 1.40 "
          "on an RTX 4090", _per_day(1000, 1.40)),
    Claim("per_day_10000", ARCHITECTURE, "at 10,000 images a day: 30 USD/day on fal.ai, 5.60 "
          "on two GPUs", _per_day(10_000, 5.60)),
    Claim("crossover_500k", ARCHITECTURE, "with engineering included, self-hosting crosses "
          "over at about 500K images a month", _crossover_500k),
    Claim("dedicated_50k_100k", ARCHITECTURE, "on GPU cost alone, dedicated instances are "
          "cheaper from 50,000-100,000 images a month", _dedicated_50k_100k),
    Claim("one_to_three_cents", ARCHITECTURE, "self-hosted at scale costs 0.01-0.03 USD per "
          "image at full utilization", _one_to_three_cents),
    Claim("sweet_spot_10k_100k", BREAKEVEN, "the sweet spot where neither cloud nor local is "
          "clearly cheaper lies at 10,000-100,000 requests a month", _sweet_spot),
)


def audit(catalog: Catalog) -> list[tuple[Claim, Verdict]]:
    """Every claim with its recomputation."""
    return [(c, c.check(catalog)) for c in CLAIMS]
