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
"""

import copy

import pytest
import yaml

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
