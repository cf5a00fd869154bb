"""A throughput model: images per hour of one GPU from the FLOPs of an image over the GPU's
dense peak at the recipe's precision times an efficiency per GPU architecture, calibrated on
published figures.

``images_per_hour = 3600 * peak_tflops * efficiency / tflop_per_image``. FLOPs come from the
catalog's ``model_flops`` table (the probe's count at each model's published recipe), peaks
from ``gpu_hardware`` (``peak_bf16_tflops``; ``peak_8bit_tflops`` for 8-bit recipes: FP8, or
INT8 on the A100), the published figures from ``throughput`` (rows with basis
``published``, with steps and resolution; their ``precision`` picks the peak, 16-bit where
not stated). An architecture's efficiency is
the median over its published figures; :func:`leave_one_out` checks each figure against the
efficiency calibrated on the others. A probe measurement replaces the model's estimate.

Simplifications (said where the numbers are shown): FLOPs scale with pixels (attention grows
faster, so large images are slightly underestimated); batch size is not modelled, and one
efficiency covers eager, compiled and TensorRT runs alike, which is most of the spread of the
checks; 32-bit runs are held against the 16-bit peak (the catalog has no 32-bit one).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from costlib.catalog import Catalog, Sourced
from costlib.errors import InputError

# The architecture of each GPU the catalog names (a100: a published A100 of unstated memory).
ARCHITECTURES = {"a10": "ampere", "a100": "ampere", "a100_40gb": "ampere",
                 "a100_80gb": "ampere", "l40s": "ada", "rtx4090": "ada", "h100": "hopper",
                 "h100_pcie": "hopper", "h200": "hopper", "b200": "blackwell"}
# GPU names whose peak is another row's: an A100 of unstated memory has the A100's peak
_PEAK_OF = {"a100": "a100_40gb"}


def megapixels(resolution: str) -> float:
    """Megapixels of a ``WIDTHxHEIGHT`` resolution. [MP]"""
    width, height = (int(x) for x in resolution.split("x"))
    return width * height / 2**20


def tflop_per_image(image_tflop, step_tflop, recipe_steps, steps, megapixel_ratio=1.0):
    """FLOPs of one image at ``steps`` from the count at the recipe's steps, scaled with the
    pixels. [TFLOP]

    image_tflop : float  FLOPs of one image at the recipe. [TFLOP]
    step_tflop : float  FLOPs of one denoising step at the recipe's resolution. [TFLOP]
    recipe_steps, steps : float  Steps of the recipe and of the image wanted. [steps]
    megapixel_ratio : float  Pixels of the image wanted over the recipe's. [-]
    """
    return (image_tflop + (steps - recipe_steps) * step_tflop) * megapixel_ratio


def images_per_hour(tflop, peak_tflops, efficiency):
    """Images per hour of one GPU. [images/h]

    tflop : float  FLOPs of one image. [TFLOP]
    peak_tflops : float  Dense bf16 peak of the GPU. [TFLOP/s]
    efficiency : float  Share of the peak the model's work reaches. [-]
    """
    return 3600.0 * peak_tflops * efficiency / tflop


def efficiency(images_per_hour_, tflop, peak_tflops):
    """The share of the peak a published throughput implies (its model FLOPs utilization). [-]"""
    return images_per_hour_ * tflop / (3600.0 * peak_tflops)


def _peak_quantity(precision) -> str:
    """The gpu_hardware quantity of the peak a recipe of ``precision`` runs against."""
    return "peak_8bit_tflops" if precision == "8-bit" else "peak_bf16_tflops"


def peak_tflops(catalog: Catalog, gpu: str, precision: str = "16-bit") -> float | None:
    """The GPU's dense datasheet peak at ``precision`` (8-bit: FP8 or INT8; anything else:
    bf16), or None where the catalog has none. [TFLOP/s]"""
    rows = catalog.rows("gpu_hardware", gpu=_PEAK_OF.get(gpu, gpu),
                        quantity=_peak_quantity(precision))
    return rows[0].value if rows else None


def model_tflop(catalog: Catalog, model: str, steps: float | None = None,
                resolution: str | None = None, field: str = "model") -> float:
    """FLOPs of one image of ``model`` (its recipe's steps and resolution where not given);
    ``field`` names the place that asked, in errors. [TFLOP]"""
    image = catalog.rows("model_flops", model=model, part="image")
    step = catalog.rows("model_flops", model=model, part="step")
    if not image or not step:
        known = sorted({e.extra["model"] for e in catalog.rows("model_flops")})
        raise InputError(f"{field}: model {model!r} has no FLOP count; models with one are "
                         f"{', '.join(known)}")
    recipe = image[0].extra
    ratio = megapixels(resolution) / megapixels(recipe["resolution"]) if resolution else 1.0
    return tflop_per_image(image[0].value, step[0].value, recipe["steps"],
                           recipe["steps"] if steps is None else steps, ratio)


@dataclass(frozen=True)
class Point:
    """One published figure the model can be checked against.

    name, gpu, architecture : str  Its throughput row, GPU and the GPU's architecture.
    images_per_hour : float  As published. [images/h]
    tflop, peak_tflops : float  FLOPs of its image, the GPU's peak. [TFLOP], [TFLOP/s]
    efficiency : float  The share of the peak it implies. [-]
    """

    name: str
    gpu: str
    architecture: str
    images_per_hour: float
    tflop: float
    peak_tflops: float
    efficiency: float


def published_points(catalog: Catalog) -> list[Point]:
    """The published throughput figures with a known GPU peak, model FLOPs, steps and
    resolution."""
    models = {e.extra["model"] for e in catalog.rows("model_flops")}
    points = []
    for e in catalog.rows("throughput", basis="published"):
        x = e.extra
        peak = peak_tflops(catalog, x["gpu"], x["precision"])
        if (peak is None or x["model"] not in models or math.isnan(x["steps"])
                or x["resolution"] == "unspecified"):
            continue
        tflop = model_tflop(catalog, x["model"], x["steps"], x["resolution"])
        points.append(Point(e.name, x["gpu"], ARCHITECTURES[x["gpu"]], e.value, tflop, peak,
                            efficiency(e.value, tflop, peak)))
    return points


def calibrated_efficiency(points: list[Point], architecture: str,
                          leave_out: str | None = None) -> list[float]:
    """The efficiencies of an architecture's published figures (less one, by name)."""
    return [p.efficiency for p in points
            if p.architecture == architecture and p.name != leave_out]


@dataclass(frozen=True)
class Check:
    """A published figure against the model calibrated on the other figures of its
    architecture: ``error`` = predicted / published - 1 (None where no other figure)."""

    point: Point
    predicted: float | None
    error: float | None
    calibrated_on: int


def leave_one_out(catalog: Catalog) -> list[Check]:
    """Every published figure predicted from its architecture's other figures."""
    points = published_points(catalog)
    checks = []
    for p in points:
        others = calibrated_efficiency(points, p.architecture, leave_out=p.name)
        if not others:
            checks.append(Check(p, None, None, 0))
            continue
        predicted = images_per_hour(p.tflop, p.peak_tflops, statistics.median(others))
        checks.append(Check(p, predicted, predicted / p.images_per_hour - 1, len(others)))
    return checks


def estimate(catalog: Catalog, gpu: str, model: str, steps: float | None = None,
             resolution: str | None = None, field: str = "gpu",
             precision: str = "16-bit") -> Sourced:
    """Images per hour of one ``gpu`` for ``model`` at ``precision`` ("16-bit" or "8-bit"):
    the median efficiency of the GPU's architecture over its peak at that precision,
    low..high from its least and most efficient published figure; ``field`` names the place
    that asked, in errors. [images/h]
    """
    peak = peak_tflops(catalog, gpu, precision)
    if peak is None or gpu not in ARCHITECTURES:
        known = sorted(e.extra["gpu"] for e in catalog.rows(
            "gpu_hardware", quantity=_peak_quantity(precision)))
        raise InputError(f"{field}: gpu {gpu!r} has no peak FLOP rate in the catalog at "
                         f"{precision}; GPUs with one are {', '.join(known)}")
    effs = calibrated_efficiency(published_points(catalog), ARCHITECTURES[gpu])
    if not effs:
        raise InputError(f"{field}: gpu {gpu!r} is not allowed; no published throughput of its "
                         f"architecture ({ARCHITECTURES[gpu]}) calibrates the model")
    tflop = model_tflop(catalog, model, steps, resolution, field)
    value, low, high = (images_per_hour(tflop, peak, e)
                        for e in (statistics.median(effs), min(effs), max(effs)))
    return Sourced(value=value, low=low, high=high, unit="images/h",
                   source=f"costlib throughput model: {tflop:.1f} TFLOP/image over {peak:g} "
                          f"TFLOP/s at the {ARCHITECTURES[gpu]} median efficiency of "
                          f"{len(effs)} published figures",
                   as_of=catalog.today.isoformat(),
                   note=f"at the {precision} peak; batch size is not modelled; FLOPs scale with "
                        "pixels")


@dataclass(frozen=True)
class MemoryFit:
    """The GPU memory a model needs against the GPU's, at batch 1 (the ``model_memory`` row,
    at its resolution). [GB]

    gpu_gb : float  The GPU's memory (datasheet). [GB]
    needed_gb : (low, value)  The model's need: value with every component on the GPU, low the
        least any published or estimated recipe at its precision keeps there. [GB]
    source : str  Where the need comes from.
    """

    gpu_gb: float
    needed_gb: tuple[float, float]
    source: str

    @property
    def rule(self) -> str:
        """"fits" (every component fits), "tight" (only the low end fits: the text encoders
        leave the GPU after encoding) or "too_small" (not even the low end fits)."""
        low, value = self.needed_gb
        return "fits" if value <= self.gpu_gb else "tight" if low <= self.gpu_gb else "too_small"


def memory_fit(catalog: Catalog, gpu: str | None, model: str) -> MemoryFit | None:
    """The memory fit of ``model`` on ``gpu``; None where the catalog lacks either figure."""
    memory = catalog.rows("gpu_hardware", gpu=gpu, quantity="memory_gb")
    need = catalog.rows("model_memory", model=model)
    if not memory or not need:
        return None
    return MemoryFit(gpu_gb=memory[0].value, needed_gb=(need[0].low, need[0].value),
                     source=need[0].source)
