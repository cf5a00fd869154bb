"""GPU memory fit: an option whose GPU lacks the memory its model needs is excluded.

Sources named in the tests (figures as data/gpu_hardware.csv and data/model_memory.csv hold
them):
- Datasheets: NVIDIA T4 16 GB, GeForce RTX 4090 24 GB, H100 80 GB.
- DIFFUSERS: diffusers benchmark results (sayakpaul/sample-datasets): SDXL 1024x1024 batch 1
  bf16, whole pipeline, peak 10.030 GB (8.328 GB unfused).
- FLUX: costlib's estimate from the FLUX.1-dev parameter counts (transformer 11,901 M, T5-XXL
  4,762 M, CLIP-L 123 M, VAE 84 M) at 2 bytes: (11,901 + 4,762 + 123 + 84) M x 2 B
  = 33.74e9 B = 31.4 binary GB with every part on the GPU; the transformer alone
  11,901 M x 2 B = 22.2 binary GB.
- LAMBDA: LambdaLabs' lambda-diffusers benchmark, SD 1.4 at 512x512, fp16 with xformers,
  memory reserved after a call: A100 80GB PCIe 3.19 x 10^9 bytes at batch 1, 11.12 at batch 8,
  19.81 at batch 16.
- Batch growth (model_memory per_image rows): SD 1.5 1.04 (1.03-1.59) binary GB an image
  (LAMBDA's batch 1 to 16); SDXL and FLUX at 1024x1024 3.7 (3.6-6.4), costlib's estimate.
"""

import copy
import datetime as dt
import functools

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from costlib.catalog import load_catalog
from costlib.decision import Verdict, decide
from costlib.narrative import option_reasons
from costlib.scenario import parse_scenario, preset_path, resolve
from costlib.throughput import MemoryFit, memory_fit

FLUX = (22.2, 31.4)  # FLUX: (transformer alone, every part) [GB]
SDXL = (8.328, 10.030)  # DIFFUSERS [GB]


@pytest.mark.parametrize("gpu_gb, needed, rule", [
    (24, FLUX, "tight"),  # RTX 4090: 22.2 <= 24 < 31.4
    (16, FLUX, "too_small"),  # T4: 16 < 22.2
    (80, FLUX, "fits"),  # H100: 31.4 <= 80
    (16, SDXL, "fits"),  # T4: 10.03 <= 16
    (24, SDXL, "fits"),
])
def test_memory_rule_by_hand(gpu_gb, needed, rule):
    assert MemoryFit(gpu_gb=gpu_gb, needed_gb=needed, source="hand").rule == rule


def test_catalog_figures(today):
    catalog = load_catalog(today=today)
    fit = memory_fit(catalog, "t4", "flux-dev")
    assert (fit.gpu_gb, fit.needed_gb) == (16, FLUX)
    assert memory_fit(catalog, "rtx4090", "sdxl").needed_gb == SDXL
    assert memory_fit(catalog, "rtx4090", "other") is None  # no figure: no check
    assert memory_fit(catalog, None, "sdxl") is None  # an API: no GPU


def _scenario(model, today):
    """The default scenario generating ``model``, with a T4 rented (market median), the owned
    RTX 4090 and its hybrid; throughputs set by hand (the memory rule does not read them)."""
    data = copy.deepcopy(yaml.safe_load(preset_path("default").read_text()))
    data["workload"]["model"] = model
    local = [o for o in data["options"] if o["name"] in ("rtx4090_owned",
                                                          "hybrid_4090_replicate")]
    for o in local:
        o.pop("throughput", None)
        if o["kind"] == "hybrid":
            o["api"] = "fal"
        else:
            o["set"] = {"images_per_hour": 100}
    t4 = {"name": "t4_rented", "label": "T4 rented", "kind": "rented", "gpu": "t4",
          "offer": "median", "set": {"images_per_hour": 50}}
    api = {"name": "fal", "label": "fal.ai", "kind": "api", "offer": "fal_flux_schnell"}
    data["options"] = [api, t4, *local]
    return resolve(parse_scenario(data), today=today)


def test_flux_dev_on_a_16_gb_t4_is_excluded_and_on_a_24_gb_card_kept_tight(today):
    d = decide(_scenario("flux-dev", today), samples=200)
    a = {x.name: x for x in d.options}
    assert a["t4_rented"].excluded_by == ("memory",)
    assert a["rtx4090_owned"].allowed and a["rtx4090_owned"].verdict.memory_rule == "tight"
    assert a["hybrid_4090_replicate"].verdict.memory_rule == "tight"
    assert a["fal"].verdict.memory is None
    assert option_reasons(a["t4_rented"].verdict) == (
        "Memory: excluded, because the model needs at least 22.2 GB of GPU memory at batch 1 "
        f"({a['t4_rented'].verdict.memory.source}), more than the 16 GB of its GPU.",)
    assert any("Excluded for GPU memory" in f for s in d.steps for f in s.findings)


def test_a_tight_fit_is_kept_and_said():
    """FLUX on a 24 GB card: kept, its reason gives both ends of the need (FLUX above)."""
    fit = MemoryFit(gpu_gb=24, needed_gb=FLUX, source="hand")
    verdict = Verdict(excluded_by=(), privacy="internal", privacy_rule=None,
                      max_latency_s=None, latency=None, latency_rule=None,
                      cold_start_misses=False, memory=fit, memory_rule=fit.rule)
    assert option_reasons(verdict) == (
        "Memory: allowed only with the text encoders moved off the GPU after encoding: with "
        "every part on the GPU the model needs 31.4 GB at batch 1, more than the 24 GB of its "
        "GPU; without them 22.2 GB.",)


def test_sdxl_on_the_same_t4_is_kept(today):
    d = decide(_scenario("sdxl", today), samples=200)
    t4 = {x.name: x for x in d.options}["t4_rented"]
    assert t4.allowed and t4.verdict.memory_rule == "fits"


def test_a_batch_adds_what_each_image_needs_and_fp8_halves_the_denoiser(today):
    catalog = load_catalog(today=today)
    # SDXL at batch 8: DIFFUSERS' batch-1 need plus 7 images of 3.6 (low) and 3.7 GB
    assert memory_fit(catalog, "rtx4090", "sdxl", 8).needed_gb == pytest.approx(
        (8.328 + 7 * 3.6, 10.030 + 7 * 3.7))
    # at 512x512 an image adds a quarter of that (it scales with the pixels)
    assert memory_fit(catalog, "rtx4090", "sdxl", 8, resolution="512x512").needed_gb == \
        pytest.approx((8.328 + 7 * 0.9, 10.030 + 7 * 0.925))
    # FLUX.1-dev in fp8: the transformer's 22.2 GB of bf16 weights take half
    fit = memory_fit(catalog, "h100", "flux-dev", 1, "fp8")
    assert fit.needed_gb == pytest.approx((22.2 - 11.1, 31.4 - 11.1))
    assert (fit.batch_size, fit.precision) == (1, "fp8")


def test_the_growth_per_image_reproduces_lambdas_batch_16():
    """LAMBDA on the A100 80GB: SD 1.x from batch 1 to 16, 3.19 to 19.81 x 10^9 bytes. The
    catalog's growth of 1.04 binary GB an image over the batch-1 need measured by DIFFUSERS
    (2.805 binary GB, bf16) gives the batch-16 figure within 5 % (and batch 8's, 11.12)."""
    catalog = _catalog()
    for batch, measured in ((16, 19.81e9), (8, 11.12e9)):
        predicted = memory_fit(catalog, "a100_80gb", "sd15", batch).needed_gb[1] * 2**30
        assert predicted == pytest.approx(measured, rel=0.05), batch


@functools.cache
def _catalog():
    return load_catalog(today=dt.date(2026, 11, 22))


@given(batch=st.integers(1, 63), model=st.sampled_from(["sd15", "sdxl", "flux-dev"]),
       precision=st.sampled_from(["bf16", "fp16", "fp8"]))
def test_memory_never_falls_as_the_batch_grows(batch, model, precision):
    catalog = _catalog()
    smaller, larger = (memory_fit(catalog, "h200", model, b, precision).needed_gb
                       for b in (batch, batch + 1))
    assert all(a < b for a, b in zip(smaller, larger, strict=True))


def test_sdxl_at_batch_8_on_a_24_gb_card_is_excluded_in_plain_words(today):
    """The default scenario's owned RTX 4090 at 8 SDXL images a call: at least 8.328 + 7 x 3.6
    = 33.5 GB, more than its 24 GB, so it is excluded; at batch 1 it fits (10.0 GB)."""
    data = copy.deepcopy(yaml.safe_load(preset_path("default").read_text()))
    owned = next(o for o in data["options"] if o["name"] == "rtx4090_owned")
    owned["batch_size"] = 8
    d = decide(resolve(parse_scenario(data), today=today), samples=200)
    a = {x.name: x for x in d.options}
    assert a["rtx4090_owned"].excluded_by == ("memory",)
    assert a["hybrid_4090_replicate"].excluded_by == ("memory",)  # its local GPUs batch too
    reason = option_reasons(a["rtx4090_owned"].verdict)[0]
    assert reason.startswith("Memory: excluded, because the model needs at least 33.5 GB of "
                             "GPU memory at batch 8 (")
    assert reason.endswith("more than the 24 GB of its GPU.")
    assert "options." not in reason and "rtx4090_owned" not in reason


def test_fp8_is_said_with_the_need():
    fit = MemoryFit(gpu_gb=16, needed_gb=(20.0, 25.0), source="hand", batch_size=2,
                    precision="fp8")
    verdict = Verdict(excluded_by=("memory",), privacy="internal", privacy_rule=None,
                      max_latency_s=None, latency=None, latency_rule=None,
                      cold_start_misses=False, memory=fit, memory_rule=fit.rule)
    assert option_reasons(verdict) == (
        "Memory: excluded, because the model needs at least 20 GB of GPU memory at batch 2 in "
        "8-bit (fp8) (hand), more than the 16 GB of its GPU.",)
