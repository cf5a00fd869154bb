"""A throughput model: images per hour of one GPU from the FLOPs of an image over the GPU's
dense peak at the recipe's precision times an efficiency per GPU architecture, calibrated on
published figures, and what a batch of images a call gains; the GPU memory a model needs at a
batch size and precision.

``images_per_hour = 3600 * peak_tflops * efficiency / tflop_per_image`` at batch 1, times
:func:`batch_speedup` at a larger batch. FLOPs come from the catalog's ``model_flops`` table
(the probe's count at each model's published recipe), peaks from ``gpu_hardware``
(``peak_bf16_tflops``; ``peak_8bit_tflops`` for 8-bit recipes: FP8, or INT8 on the A100), the
published figures from ``throughput`` (rows with basis ``published``, with steps and
resolution; their ``precision`` picks the peak, 16-bit where not stated; their ``batch`` the
batch they ran at, 1 where not stated). An architecture's efficiency is the median over its
published figures, each brought to batch 1 first; :func:`leave_one_out` checks each figure
against the efficiency calibrated on the others. A probe measurement replaces the model's
estimate.

Batching: a share of a batch-1 call is work a batch shares (kernel launches, a GPU one image
leaves partly idle), so images per hour rise with the batch with diminishing returns
(Amdahl's law, :func:`batch_speedup`), from each model's gain at batch 4 (``batch_gain``:
measured for SD 1.5, costlib assumptions with a range for SDXL, SDXL-Turbo and FLUX, whose
larger steps leave less to share). :func:`at_batch` is the one rule that moves a throughput
from one batch size to another (a published figure to batch 1, an estimate or a catalog row
to an option's batch); a call of b images takes ``b * 3600 / images_per_hour`` seconds
(:func:`seconds_per_call`), what a request waits for under a latency target.

Simplifications (said where the numbers are shown): FLOPs scale with pixels (attention grows
faster, so large images are slightly underestimated); one efficiency covers eager, compiled
and TensorRT runs alike, which is most of the spread of the checks; the batch gain is per
model at its recipe's resolution (smaller images gain more); 32-bit runs are held against the
16-bit peak, as the calibration's figures are.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass

import numpy as np

from costlib.catalog import Catalog, Sourced
from costlib.errors import InputError
from costlib.labels import model_label

# The architecture of each GPU the catalog names (a100: a published A100 of unstated memory).
ARCHITECTURES = {"a10": "ampere", "a100": "ampere", "a100_40gb": "ampere",
                 "a100_80gb": "ampere", "l4": "ada", "l40": "ada", "l40s": "ada",
                 "rtx4090": "ada", "h100": "hopper", "h100_pcie": "hopper",
                 "h100_nvl": "hopper", "h200": "hopper", "h200_nvl": "hopper",
                 "b200": "blackwell"}
# GPU names whose peak is another row's: an A100 of unstated memory has the A100's peak
_PEAK_OF = {"a100": "a100_40gb"}
# The precisions a self-hosted option may run at (its ``precision``), by the arithmetic of the
# throughput table they run in (which picks the peak): bf16 and fp16 on the 16-bit peak, fp8
# on the 8-bit one.
PRECISIONS = {"bf16": "16-bit", "fp16": "16-bit", "fp8": "8-bit"}
# Bytes a denoiser parameter takes at each precision; 8-bit recipes quantize the denoiser
# (UNet or transformer) alone, the text encoders and the VAE stay at 16 bits.
BYTES_PER_PARAMETER = {"bf16": 2, "fp16": 2, "fp8": 1}


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


def allowed_precisions(catalog: Catalog, gpu: str) -> tuple[str, ...]:
    """The precisions an option on ``gpu`` may run at: 16-bit ones always, fp8 where the
    catalog has the GPU's 8-bit peak (the datasheet's FP8 or, on the A100, INT8 rate)."""
    return tuple(p for p, arithmetic in PRECISIONS.items()
                 if arithmetic == "16-bit" or peak_tflops(catalog, gpu, arithmetic))


def batch_speedup(batch_size, gain, gain_batch=4.0):
    """Images per hour at ``batch_size`` over batch 1, from the gain measured at
    ``gain_batch``: Amdahl's law with a share ``s`` of a batch-1 call that the batch shares,
    ``s = (1 - 1 / gain) / (1 - 1 / gain_batch)``, so a call of b images takes ``(1 - s) b + s``
    batch-1 calls and the speedup is ``1 / ((1 - s) + s / b)``: 1 at batch 1, non-decreasing
    in the batch, at most ``1 / (1 - s)``. Broadcasts like numpy. [x]

    batch_size : float or array_like  Images a call, >= 1. [images]
    gain : float or array_like  Images per hour at ``gain_batch`` over batch 1, from 1 to
        ``gain_batch`` (exclusive). [x]
    gain_batch : float or array_like  The batch size the gain is measured at, > 1. [images]
    """
    share = ((1.0 - 1.0 / np.asarray(gain, dtype=float))
             / (1.0 - 1.0 / np.asarray(gain_batch, dtype=float)))
    return 1.0 / ((1.0 - share) + share / np.asarray(batch_size, dtype=float))


def seconds_per_call(images_per_hour_, batch_size=1):
    """Seconds one GPU takes for a call of ``batch_size`` images at ``images_per_hour_``
    (its throughput at that batch): every image of the call comes out at its end, so this is
    what a request waits for once a GPU takes it up. [s]"""
    return np.asarray(batch_size, dtype=float) * 3600.0 / np.asarray(images_per_hour_,
                                                                     dtype=float)


def _batch_factors(catalog: Catalog, model: str, from_batch: float,
                   to_batch: float) -> tuple[Sourced | None, tuple[float, float, float]]:
    """The model's batch_gain row and the factor (value, least, most) that takes a throughput
    at ``from_batch`` to ``to_batch``; (None, 1, 1, 1) where the model has no row."""
    rows = catalog.rows("batch_gain", model=model)
    if not rows or from_batch == to_batch:
        return (rows[0] if rows else None), (1.0, 1.0, 1.0)
    gain = rows[0]
    at = gain.extra["batch"]
    value, *ends = (float(batch_speedup(to_batch, g, at) / batch_speedup(from_batch, g, at))
                    for g in (gain.value, gain.low, gain.high))
    return gain, (value, min(ends), max(ends))


def at_batch(figure: Sourced, catalog: Catalog, model: str, from_batch: float,
             to_batch: float) -> Sourced:
    """``figure`` (images per hour of one GPU for ``model`` at ``from_batch`` images a call)
    at ``to_batch``: times the ratio of :func:`batch_speedup` at the two batch sizes for the
    model's ``batch_gain`` row, its range widened by the gain's range (a catalog row keeps its
    name and date). Unchanged where the batch sizes agree; where the model has no batch-gain
    figure, batching is taken to gain nothing and the note says so. [images/h]"""
    if from_batch == to_batch:
        return figure
    gain, (value, low, high) = _batch_factors(catalog, model, from_batch, to_batch)
    said = f"{figure.note}; " if figure.note else ""
    if gain is None:
        return dataclasses.replace(figure, note=f"{said}at a batch of {to_batch:g} images: no "
                                                f"batch gain is known for {model_label(model)}, "
                                                "none taken")
    basis = "a costlib assumption" if gain.source.startswith("costlib") else gain.source
    return dataclasses.replace(
        figure, value=figure.value * value, low=figure.low * low, high=figure.high * high,
        note=f"{said}at a batch of {to_batch:g} images: {value:.3g} ({low:.3g}-{high:.3g}) "
             f"times its figure at a batch of {from_batch:g}, from {model_label(model)}'s gain of "
             f"{gain.value:g} ({gain.low:g}-{gain.high:g}) at a batch of "
             f"{gain.extra['batch']:g} ({basis})")


@dataclass(frozen=True)
class Point:
    """One published figure the model can be checked against.

    name, gpu, model, architecture : str  Its throughput row, GPU, model and the GPU's
        architecture.
    images_per_hour : float  As published. [images/h]
    batch : float  Images a call it ran at (1 where not stated). [images]
    tflop, peak_tflops : float  FLOPs of its image, the GPU's peak. [TFLOP], [TFLOP/s]
    efficiency : float  The share of the peak it implies, brought to batch 1. [-]

    A figure implying more than the GPU's dense peak (``above_peak``) cannot be true as
    stated (another recipe, fewer steps or a smaller image than it says); it is checked like
    the others but calibrates nothing.
    """

    name: str
    gpu: str
    model: str
    architecture: str
    images_per_hour: float
    batch: float
    tflop: float
    peak_tflops: float
    efficiency: float

    @property
    def above_peak(self) -> bool:
        """True when the figure implies more FLOP/s than the GPU's dense peak."""
        return self.efficiency > 1.0


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
        batch = 1.0 if math.isnan(x["batch"]) else x["batch"]
        tflop = model_tflop(catalog, x["model"], x["steps"], x["resolution"])
        single = at_batch(e, catalog, x["model"], batch, 1.0).value
        points.append(Point(e.name, x["gpu"], x["model"], ARCHITECTURES[x["gpu"]], e.value,
                            batch, tflop, peak, efficiency(single, tflop, peak)))
    return points


def calibrated_efficiency(points: list[Point], architecture: str,
                          leave_out: str | None = None) -> list[float]:
    """The batch-1 efficiencies of an architecture's published figures (less one, by name;
    none above the GPU's peak)."""
    return [p.efficiency for p in points
            if p.architecture == architecture and p.name != leave_out and not p.above_peak]


@dataclass(frozen=True)
class Check:
    """A published figure against the model calibrated on the other figures of its
    architecture (at the figure's batch size): ``error`` = predicted / published - 1 (None
    where no other figure)."""

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
        single = images_per_hour(p.tflop, p.peak_tflops, statistics.median(others))
        predicted = single * _batch_factors(catalog, p.model, 1.0, p.batch)[1][0]
        checks.append(Check(p, predicted, predicted / p.images_per_hour - 1, len(others)))
    return checks


def estimate(catalog: Catalog, gpu: str, model: str, steps: float | None = None,
             resolution: str | None = None, field: str = "gpu",
             precision: str = "16-bit", batch_size: float = 1) -> Sourced:
    """Images per hour of one ``gpu`` for ``model`` at ``precision`` ("16-bit" or "8-bit") and
    ``batch_size`` images a call: the median efficiency of the GPU's architecture over its
    peak at that precision, low..high from its least and most efficient published figure,
    then :func:`at_batch`; ``field`` names the place that asked, in errors. [images/h]
    """
    peak = peak_tflops(catalog, gpu, precision)
    if peak is None or gpu not in ARCHITECTURES:
        known = sorted(e.extra["gpu"] for e in catalog.rows(
            "gpu_hardware", quantity=_peak_quantity(precision))
            if e.extra["gpu"] in ARCHITECTURES)
        raise InputError(f"{field}: gpu {gpu!r} has no peak FLOP rate in the catalog at "
                         f"{precision}; GPUs with one are {', '.join(known)}")
    effs = calibrated_efficiency(published_points(catalog), ARCHITECTURES[gpu])
    if not effs:
        raise InputError(f"{field}: gpu {gpu!r} is not allowed; no published throughput of its "
                         f"architecture ({ARCHITECTURES[gpu]}) calibrates the model")
    tflop = model_tflop(catalog, model, steps, resolution, field)
    value, low, high = (images_per_hour(tflop, peak, e)
                        for e in (statistics.median(effs), min(effs), max(effs)))
    single = Sourced(value=value, low=low, high=high, unit="images/h",
                     source=f"costlib throughput model: {tflop:.1f} TFLOP/image over {peak:g} "
                            f"TFLOP/s at the {ARCHITECTURES[gpu]} median efficiency of "
                            f"{len(effs)} published figures",
                     as_of=catalog.today.isoformat(),
                     note=f"at the {precision} peak, one image a call; FLOPs scale with pixels")
    return at_batch(single, catalog, model, 1, batch_size)


@dataclass(frozen=True)
class MemoryFit:
    """The GPU memory a model needs against the GPU's, at a batch size and precision: the
    ``model_memory`` pipeline row (batch 1, at its resolution and precision), plus what each
    further image of a batch adds (its ``per_image`` row, scaled with the pixels), less what an
    8-bit denoiser saves (half its ``denoiser_weights`` row). [GB]

    gpu_gb : float  The GPU's memory (datasheet). [GB]
    needed_gb : (low, value)  The model's need: value with every component on the GPU, low the
        least any published or estimated recipe at its precision keeps there. [GB]
    source : str  Where the need comes from.
    batch_size : int  Images a call. [images]
    precision : str  The option's precision (a key of :data:`PRECISIONS`).
    """

    gpu_gb: float
    needed_gb: tuple[float, float]
    source: str
    batch_size: int = 1
    precision: str = "bf16"

    @property
    def rule(self) -> str:
        """"fits" (every component fits), "tight" (only the low end fits: the text encoders
        leave the GPU after encoding) or "too_small" (not even the low end fits)."""
        low, value = self.needed_gb
        return "fits" if value <= self.gpu_gb else "tight" if low <= self.gpu_gb else "too_small"


def memory_fit(catalog: Catalog, gpu: str | None, model: str, batch_size: int = 1,
               precision: str = "bf16", resolution: str | None = None) -> MemoryFit | None:
    """The memory fit of ``model`` on ``gpu`` at ``batch_size`` images a call and
    ``precision``, with images of ``resolution`` (the pipeline row's where not given); None
    where the catalog lacks the GPU's memory or the model's need (or, above batch 1, what an
    image adds)."""
    memory = catalog.rows("gpu_hardware", gpu=gpu, quantity="memory_gb")
    need = {e.extra["part"]: e for e in catalog.rows("model_memory", model=model)}
    pipeline = need.get("pipeline")
    if not memory or pipeline is None:
        return None
    images = batch_size - pipeline.extra["batch"]
    per_image = need.get("per_image")
    if images and per_image is None:
        return None
    grow_low, grow = ((0.0, 0.0) if not images else
                      (images * per_image.low * _pixels(per_image, resolution),
                       images * per_image.value * _pixels(per_image, resolution)))
    weights = need.get("denoiser_weights")
    saved = 0.0 if weights is None else weights.value * (
        1 - BYTES_PER_PARAMETER[precision] / BYTES_PER_PARAMETER[pipeline.extra["precision"]])
    sources = [pipeline.source] + ([per_image.source] if images else []) + (
        [weights.source] if saved else [])
    return MemoryFit(gpu_gb=memory[0].value,
                     needed_gb=(pipeline.low + grow_low - saved, pipeline.value + grow - saved),
                     source="; ".join(sources), batch_size=batch_size, precision=precision)


def _pixels(row, resolution: str | None) -> float:
    """Pixels of ``resolution`` over those of the row's (1 where not given). [-]"""
    return megapixels(resolution) / megapixels(row.extra["resolution"]) if resolution else 1.0
