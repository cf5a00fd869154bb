"""The probe's versioned result file: read, validate, write atomically, combine.

No torch here: the cost model reads probe results through `read_result` alone.

A result is one JSON object. The summary fields at its top level are what the cost model
reads (`ProbeResult`); the blocks below them are the measurements they come from.

Top level
    ``schema_version`` (int, `SCHEMA_VERSION`), ``kind`` ("costlib.probe.result"),
    ``status`` ("running", "complete", "interrupted", "failed"), ``error`` (str or null),
    ``run_id`` (a random hex id of the run; absent in results of older versions),
    ``measured_at`` (ISO 8601 UTC, start of the run), ``updated_at`` (last write),
    ``preset``, ``model``, ``source`` ("random-weights" or "local-weights"), ``device``
    ("cuda:0", "cpu", "aggregate"), ``gpu_name``, ``device_count``,
    ``best_images_per_hour`` [images/h, all devices together, at the best batch size],
    ``best_batch_size`` [images per call], ``p50_latency_s`` / ``p95_latency_s`` [s, one image
    at batch 1], ``avg_watts`` [W per GPU, board power during the best window],
    ``energy_wh_per_image`` [Wh], ``mfu`` [fraction of the datasheet dense peak of the
    run's dtype: bf16/fp16 tensor, or non-tensor FP32 for fp32; a MIG slice's share of it],
    ``sustained_images_per_hour`` [images/h over the sustained run], ``warnings`` (plain
    sentences: compile fallback, unexpected recompiles, non-finite images, failed calls, a
    sustained run under 97 % of the best window).
    Null where not measured or not available (no NVML, unknown peak).
``settings``
    The run's `costlib.probe.presets.Settings` (recipe, dtype, scheduler, plan).
``environment``
    ``gpu_name``, ``gpu_memory_bytes``, ``compute_capability``, ``driver``,
    ``sm_clock_mhz`` / ``max_sm_clock_mhz`` / ``mem_clock_mhz``, ``power_limit_watts``,
    ``power_watts``, ``temperature_c``, ``throttle_reasons`` (NVML, at the start), ``nvml``
    and ``nvml_reason``, ``multiprocessors``, ``peak_tflops`` / ``practical_peak_tflops`` (the
    dtype's dense peak and large-GEMM rate [TFLOP/s], scaled by ``mig_fraction`` on a MIG
    slice), ``peak_gpu`` (catalog GPU), ``peak_dtype_quantity`` (e.g. ``peak_bf16_tflops``),
    ``mig_fraction``, ``peak_source`` (the ``gpu_hardware`` rows), ``sdpa_backends``,
    ``attention_processor`` (denoiser), ``text_attention``, ``scheduler_class``,
    ``watermarker`` (false: SDXL's invisible watermark is off); versions ``torch``, ``cuda``,
    ``cudnn``, ``diffusers``, ``transformers``, ``accelerate``, ``python``; ``cpu``,
    ``cpu_count``, ``torch_threads``, ``platform``, ``hostname``.
``compile``
    ``requested``, ``enabled`` (false after a fallback); when requested: ``mode``, ``recipe``,
    ``dynamic`` (false), ``fullgraph``, ``channels_last``, ``inductor_config``, ``backend``,
    ``parts`` (compiled modules), ``cache`` (``dir``, ``fresh``, ``files_before``,
    ``state``), ``preflight_error`` and ``fallback``, ``by_batch`` (per batch size:
    ``first_call_s``, ``compile_s`` = first call less a steady call [s], ``graphs``,
    ``cache_hits``, ``cache_misses``), ``unexpected_recompiles`` (graphs compiled during timed
    calls).
``flops``
    Model GFLOP of one image by stage, counted on the meta device [GFLOP].
``cold_start``
    ``build_s``, ``to_device_s``, ``first_image_s`` (batch 1's compile included when on),
    ``cold_start_s`` (their sum), ``compile_s``, ``weights`` (where they came from, in words),
    ``weights_bytes``, ``compile_cache`` (its state), peak memory of the first image [bytes].
``latency``
    Plain batch-1 calls after warm-up: ``seconds`` (each), ``p50_s``, ``p95_s`` (linear
    interpolation), ``mean_s``, ``max_s``, peaks.
``stages``
    Medians over ``runs`` stage-timed calls of their own: ``call_s``, ``text_encode_s``,
    ``denoise_s``, ``denoise_step_s`` (per denoiser call), ``decode_s``, ``other_s``;
    ``denoiser_calls`` per image.
``determinism``
    ``seed``, ``runs`` (latency calls compared), ``identical``, ``sha256`` of the first
    output, ``all_finite``.
``batches``
    One entry per batch size of the sweep: ``batch_size``, ``fits`` (false: out of memory,
    "does not fit"), ``error``, ``images``, ``seconds`` (window) [s], ``images_per_hour``,
    ``seconds_per_image``, ``peak_allocated_bytes``, ``peak_reserved_bytes``, ``energy_j``,
    ``avg_watts``, ``energy_wh_per_image``, ``achieved_tflops`` [TFLOP/s], ``mfu``,
    ``mfu_practical`` (against the practical large-GEMM rate), ``nonfinite_images`` (not in
    ``images``), ``first_call_s``, ``graphs`` (compiled by the first call), ``recompiles``
    (during the window), and at the window's end ``sm_clock_mhz``, ``power_watts``,
    ``temperature_c``, ``throttle_reasons``.
``sustained``
    ``seconds_target`` of back-to-back calls at the best batch size, in ``windows`` of
    ``window_seconds`` (each: ``images``, ``nonfinite_images``, ``failed_calls``,
    ``seconds``, ``images_per_hour``, ``energy_j``, ``recompiles`` and the NVML readings at
    its end): ``images`` (finite), ``nonfinite_images``, ``failed_calls`` (exceptions),
    ``error_messages`` (first five), ``seconds``, ``images_per_hour``, ``share_of_best`` (of
    the best window), ``below_best`` (under 97 %), ``throttle_reasons`` (seen, idle aside),
    GPU temperature [°C] and SM clock [MHz] at start and end.
``devices``
    For an aggregate (``--devices all`` or ``probe merge``): the per-device results, each
    shaped as above; the top level then sums their best throughputs (of different GPUs: a
    mixed cluster's capacity, not any one GPU's).
``gpus``
    For an aggregate: one entry per GPU (device name), the GPUs kept apart: ``gpu_name``,
    ``device_count``, ``images_per_hour`` (theirs added up), ``images_per_hour_per_gpu``,
    ``avg_watts`` [W per GPU]. `GpuGroup` reads the same from ``devices``; the cost model
    applies each GPU's figure per GPU to the options on that GPU (`matching_options`).

A CSV summary beside the JSON (same name, ``.csv``) has one row per device and batch size.

Reading checks the summary fields with the pydantic model `ResultV1`; an error is one line
naming the file, the field, the bad value and what is allowed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from costlib.errors import InputError, one_line
from costlib.files import load_json, read_text, write_atomic
from costlib.probe.presets import PRESETS
from costlib.throughput import PRECISIONS

SCHEMA_VERSION = 1
KIND = "costlib.probe.result"
STATUSES = ("running", "complete", "interrupted", "failed")
MODELS = tuple(name for name, preset in PRESETS.items() if not preset.tiny)
_RUN_COLUMNS = ("preset", "model", "hostname", "device", "gpu_name", "dtype", "height",
                "width", "steps")
_BATCH_COLUMNS = ("batch_size", "fits", "images_per_hour", "seconds_per_image",
                  "peak_allocated_bytes", "peak_reserved_bytes", "avg_watts",
                  "energy_wh_per_image", "mfu")
CSV_COLUMNS = (*_RUN_COLUMNS, *_BATCH_COLUMNS, "status")


@dataclass(frozen=True)
class ProbeResult:
    """What the cost model reads from a probe result file.

    Attributes
    ----------
    preset : str
        Probe preset, e.g. ``"sdxl"`` or ``"sdxl-tiny"``.
    model : str
        Model label: one of `MODELS` for full-size presets, ``"<model>-tiny"`` otherwise.
    gpu_name : str
        Device name (names joined with " + " for a mixed aggregate).
    device_count : int
        GPUs measured together.
    best_images_per_hour : float
        Throughput of all devices together at the best batch size. [images/h]
    best_batch_size : int
        Batch size of that throughput. [images per call]
    p50_latency_s, p95_latency_s : float or None
        Median and 95th percentile time of one image at batch 1. [s]
    avg_watts : float or None
        Average board power per GPU over the best throughput window; None without NVML. [W]
    energy_wh_per_image : float or None
        Board energy per image over that window; None without NVML. [Wh]
    measured_at : str
        Start of the measurement, ISO 8601 UTC.
    path : str
        The file it was read from.
    status : str
        "complete", or "interrupted"/"failed"/"running" for a partial result.
    source : str
        "random-weights" or "local-weights".
    dtype : str
        Compute dtype ("fp32", "fp16", "bf16").
    height, width : int
        Image size. [px]
    steps : int
        Denoising steps per image.
    mfu : float or None
        Model FLOPs utilization at the best batch against the datasheet dense peak of the
        run's dtype (of the MIG slice's share). [fraction]
    gpus : tuple of GpuGroup
        The devices measured, one group per GPU (device name), in the order measured.
    data : Mapping
        The whole JSON object.
    """

    preset: str
    model: str
    gpu_name: str
    device_count: int
    best_images_per_hour: float
    best_batch_size: int
    p50_latency_s: float | None
    p95_latency_s: float | None
    avg_watts: float | None
    energy_wh_per_image: float | None
    measured_at: str
    path: str
    status: str
    source: str
    dtype: str
    height: int
    width: int
    steps: int
    mfu: float | None
    gpus: tuple[GpuGroup, ...]
    data: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class GpuGroup:
    """The devices of a result that are one GPU (one device name as torch reports it).

    Attributes
    ----------
    gpu_name : str
        Device name, e.g. ``"NVIDIA L40S"``.
    device_count : int
        Devices of that name. [GPUs]
    images_per_hour : float
        Their best throughputs added up. [images/h]
    avg_watts : float or None
        Average board power per GPU; None unless every device has it. [W]
    """

    gpu_name: str
    device_count: int
    images_per_hour: float
    avg_watts: float | None

    @property
    def images_per_hour_per_gpu(self) -> float:
        """Throughput of one of these GPUs. [images/h]"""
        return self.images_per_hour / self.device_count


def gpu_groups(data: Mapping) -> tuple[GpuGroup, ...]:
    """The devices of a result object (a single run or an aggregate), one `GpuGroup` per
    device name, in the order they were measured."""
    by_name: dict[str, list[Mapping]] = {}
    for leaf in data.get("devices") or [data]:
        by_name.setdefault(leaf["gpu_name"], []).append(leaf)
    groups = []
    for name, leaves in by_name.items():
        counts = [leaf.get("device_count", 1) for leaf in leaves]
        watts = [leaf.get("avg_watts") for leaf in leaves]
        groups.append(GpuGroup(
            gpu_name=name, device_count=sum(counts),
            images_per_hour=float(sum(leaf["best_images_per_hour"] for leaf in leaves)),
            avg_watts=None if None in watts else sum(
                w * n for w, n in zip(watts, counts, strict=True)) / sum(counts)))
    return tuple(groups)


def utc_now() -> str:
    """The current time, ISO 8601 UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_out_path(preset: str) -> Path:
    """``probe-results/<preset>-<UTC time>.json`` under the working directory."""
    return Path("probe-results") / f"{preset}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


def csv_rows(payload: Mapping) -> list[dict]:
    """One CSV summary row per device and batch size of a result."""
    rows = []
    for leaf in payload.get("devices") or [payload]:
        s, env = leaf.get("settings") or {}, leaf.get("environment") or {}
        for b in leaf.get("batches") or []:
            rows.append({
                "preset": leaf.get("preset"), "model": leaf.get("model"),
                "hostname": env.get("hostname"), "device": leaf.get("device"),
                "gpu_name": leaf.get("gpu_name"), "dtype": s.get("dtype"),
                "height": s.get("height"), "width": s.get("width"), "steps": s.get("steps"),
                **{k: b.get(k) for k in _BATCH_COLUMNS}, "status": leaf.get("status"),
            })
    return rows


def write_result_atomic(path, payload: Mapping) -> Path:
    """Write a result (JSON) and its CSV summary, each by temp file + ``os.replace``.

    A crash or Ctrl-C at any moment leaves either the previous or the new file, never half
    of one. Non-finite floats are written as null (strict JSON).

    Parameters
    ----------
    path : str or Path
        The JSON file; the CSV goes beside it with the suffix ``.csv``.
    payload : Mapping
        The result object.

    Returns
    -------
    Path
        The JSON file.
    """
    path = Path(path)
    data = _finite_or_none(dict(payload))
    data["updated_at"] = utc_now()
    write_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(data))
    write_atomic(path.with_suffix(".csv"), buf.getvalue())
    return path


# --- reading --------------------------------------------------------------------------------

def _check(test, allowed: str):
    """An AfterValidator: the value passes ``test``, else the error says ``allowed``."""
    def check(value):
        if not test(value):
            raise ValueError(allowed)
        return value

    return AfterValidator(check)


def _aware_iso_time(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


_Count = Annotated[int, Field(ge=1)]
_Measure = Annotated[float, Field(ge=0, allow_inf_nan=False)] | None  # null: not measured


class _Settings(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    dtype: str
    height: _Count
    width: _Count
    steps: _Count


class ResultV1(BaseModel):
    """The fields of a schema version 1 result that costlib checks (see the module
    docstring); the measurement blocks pass as they are. Every listed field must be present;
    the nullable ones may be null. Strict: no string is read as a number."""

    model_config = ConfigDict(extra="allow", strict=True)

    kind: Annotated[Any, _check(lambda v: v == KIND, f"must be {KIND!r}")]
    schema_version: Annotated[Any, _check(
        lambda v: v == SCHEMA_VERSION and not isinstance(v, bool),
        f"this costlib reads version {SCHEMA_VERSION}")]
    status: Literal[STATUSES]
    measured_at: Annotated[str, _check(_aware_iso_time, "must be an ISO 8601 time with a UTC "
                                                        "offset")]
    settings: _Settings
    model: Annotated[str, _check(lambda v: v.removesuffix("-tiny") in MODELS,
                                 f"must be one of {', '.join(MODELS)} (or the same with -tiny)")]
    preset: str
    source: str
    gpu_name: str
    device_count: _Count
    best_images_per_hour: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    best_batch_size: _Count
    p50_latency_s: _Measure
    p95_latency_s: _Measure
    avg_watts: _Measure
    energy_wh_per_image: _Measure
    mfu: _Measure

    @field_validator("best_images_per_hour", mode="before")
    @classmethod
    def _measured(cls, value, info):
        if value is None:
            raise ValueError(f"the probe measured no batch size (status "
                             f"{info.data.get('status')!r}); run it again")
        return value


def validate(data, source: str = "result") -> ProbeResult:
    """Check a parsed result object (`ResultV1`) and return its summary.

    Parameters
    ----------
    data : object
        Parsed JSON.
    source : str
        File name for the messages.

    Raises
    ------
    InputError
        Naming the file, the field, the bad value and what is allowed.
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: {type(data).__name__} is not allowed; a probe result is "
                         "a JSON object")
    try:
        r = ResultV1.model_validate(data)
    except ValidationError as e:
        raise one_line(e, source) from None
    return ProbeResult(
        preset=r.preset, model=r.model, gpu_name=r.gpu_name, device_count=r.device_count,
        best_images_per_hour=r.best_images_per_hour, best_batch_size=r.best_batch_size,
        p50_latency_s=r.p50_latency_s, p95_latency_s=r.p95_latency_s, avg_watts=r.avg_watts,
        energy_wh_per_image=r.energy_wh_per_image, measured_at=r.measured_at, path=source,
        status=r.status, source=r.source, dtype=r.settings.dtype, height=r.settings.height,
        width=r.settings.width, steps=r.settings.steps, mfu=r.mfu, gpus=gpu_groups(data),
        data=data,
    )


def _load(path) -> tuple[str, Any]:
    source = str(path)
    return source, load_json(read_text(path, "probe result"), source)


def read_result(path) -> ProbeResult:
    """Read and validate a probe result file.

    Parameters
    ----------
    path : str or Path
        A JSON file written by the probe (or by ``costlib probe merge``).

    Returns
    -------
    ProbeResult

    Raises
    ------
    InputError
        Naming the file and the field, for an unreadable, invalid, other-version or
        empty (nothing measured) file.
    """
    source, data = _load(path)
    return validate(data, source)


# --- combining ------------------------------------------------------------------------------

_MUST_MATCH = ("dtype", "height", "width", "steps", "guidance_scale")


def _max_or_none(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def combine(results: list[Mapping], labels: list[str] | None = None) -> dict:
    """Combine results of several devices or machines into one aggregate result.

    Throughputs add up (each device at its own best batch size), and ``gpus`` keeps each
    GPU's apart (`GpuGroup`): results of different GPUs are candidates measured side by
    side, not one machine. ``best_batch_size`` is the largest of the devices' best batch
    sizes. Latencies are the worst device's (a percentile of a mixture is not known from its
    parts). ``avg_watts`` is per GPU, ``energy_wh_per_image`` the total energy over the total
    images, ``mfu`` the mean, ``sustained_images_per_hour`` the sum; each null unless every
    device has it. ``warnings`` are every device's, each named by its device. Aggregates are
    flattened, so merging a merge works.

    Parameters
    ----------
    results : list of Mapping
        Validated result objects of one preset and one recipe.
    labels : list of str, optional
        Names (file names) for the error messages.

    Raises
    ------
    InputError
        When the results differ in preset, model or recipe, or one measured nothing.
    """
    labels = labels or [f"result {i + 1}" for i in range(len(results))]
    leaves, leaf_labels = [], []
    for r, label in zip(results, labels, strict=True):
        validate(r, label)
        for leaf in r.get("devices") or [r]:
            leaves.append(dict(leaf))
            leaf_labels.append(label)
    if not leaves:
        raise InputError("results: [] is not allowed; give at least one result to combine")
    runs: dict[tuple, str] = {}
    for leaf, label in zip(leaves, leaf_labels, strict=True):
        run = _run_key(leaf)
        if run in runs:
            raise InputError(f"{label}: the run of {leaf.get('device')!r} measured at "
                             f"{leaf.get('measured_at')!r} is not allowed; it is in "
                             f"{runs[run]} already (a run counts once)")
        runs[run] = label
    first = leaves[0]
    for leaf, label in zip(leaves[1:], leaf_labels[1:], strict=True):
        for key in ("preset", "model"):
            if leaf[key] != first[key]:
                raise InputError(f"{label}: {key}: {leaf[key]!r} is not allowed; it must match "
                                 f"{first[key]!r} of {leaf_labels[0]}")
        for key in _MUST_MATCH:
            mine, theirs = leaf["settings"].get(key), first["settings"].get(key)
            if mine != theirs:
                raise InputError(f"{label}: settings.{key}: {mine!r} is not allowed; it must "
                                 f"match {theirs!r} of {leaf_labels[0]}")
    for leaf in leaves:
        leaf.setdefault("device_count", 1)
    rates = [leaf["best_images_per_hour"] for leaf in leaves]
    total_devices = sum(leaf["device_count"] for leaf in leaves)
    watts = [leaf.get("avg_watts") for leaf in leaves]
    energy = [leaf.get("energy_wh_per_image") for leaf in leaves]
    mfus = [leaf.get("mfu") for leaf in leaves]
    sustained = [leaf.get("sustained_images_per_hour") for leaf in leaves]
    names = list(dict.fromkeys(leaf["gpu_name"] for leaf in leaves))
    order = {s: i for i, s in enumerate(("complete", "running", "interrupted", "failed"))}
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "status": max((leaf["status"] for leaf in leaves), key=order.__getitem__),
        "error": next((leaf.get("error") for leaf in leaves if leaf.get("error")), None),
        "measured_at": max(leaf["measured_at"] for leaf in leaves),
        "preset": first["preset"],
        "model": first["model"],
        "source": first.get("source"),
        "device": "aggregate",
        "gpu_name": " + ".join(names),
        "device_count": total_devices,
        "best_images_per_hour": float(sum(rates)),
        "best_batch_size": max(leaf["best_batch_size"] for leaf in leaves),
        "p50_latency_s": _max_or_none(leaf.get("p50_latency_s") for leaf in leaves),
        "p95_latency_s": _max_or_none(leaf.get("p95_latency_s") for leaf in leaves),
        "avg_watts": None if None in watts else sum(
            w * leaf["device_count"] for w, leaf in zip(watts, leaves, strict=True))
        / total_devices,
        "energy_wh_per_image": None if None in energy else sum(
            e * r for e, r in zip(energy, rates, strict=True)) / sum(rates),
        "mfu": None if None in mfus else sum(mfus) / len(mfus),
        "sustained_images_per_hour": None if None in sustained else float(sum(sustained)),
        "warnings": [f"{leaf.get('device')} ({leaf['gpu_name']}): {w}"
                     for leaf in leaves for w in leaf.get("warnings") or []],
        "settings": first["settings"],
        "gpus": [{**asdict(g), "images_per_hour_per_gpu": g.images_per_hour_per_gpu}
                 for g in gpu_groups({"devices": leaves})],
        "devices": leaves,
    }


def _run_key(leaf: Mapping) -> tuple:
    """What identifies one device's run: its run id and device (older results: the start
    time, host and device)."""
    host = (leaf.get("environment") or {}).get("hostname")
    return (leaf.get("run_id") or (leaf.get("measured_at"), host), leaf.get("device"))


def merge_files(paths, out_path) -> Path:
    """Read several result files, `combine` them and write the aggregate atomically."""
    loaded = [_load(p) for p in paths]
    merged = combine([data for _, data in loaded], [source for source, _ in loaded])
    return write_result_atomic(out_path, merged)


def _words(text: str) -> set[str]:
    """The words of a name, lower case, and each two neighbours joined ("NVIDIA GeForce RTX
    4090" holds "rtx4090"; "NVIDIA L40S" holds "l40s" but not "l4")."""
    words = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    return {*words, *(a + b for a, b in zip(words, words[1:], strict=False))}


def runs_on(catalog_gpu: str, gpu_name: str) -> bool:
    """Whether a device name is the catalog's GPU: every part of the catalog name is a word
    of the device name (``a100_80gb`` needs ``a100`` and ``80gb``, ``h100_pcie`` needs
    ``h100`` and ``pcie``; a bare ``h100`` takes any H100, as the rental rows do)."""
    parts = re.findall(r"[a-z]+\d*[a-z]*|\d+gb", catalog_gpu.lower())
    return bool(parts) and set(parts) <= _words(gpu_name)


def matching_options(model, result: ProbeResult, names: list[str] | None = None,
                     field: str = "--apply-to") -> dict[str, GpuGroup]:
    """Rented or owned options of a resolved scenario, each with the GPU of the result it
    runs on (`runs_on`). ``names`` picks options explicitly: of a result of one GPU, that
    GPU's figures go to them whatever their GPU; of a result of several, each takes the one
    it runs on. ``field`` is what an error calls the named options (the command-line flag).

    Raises
    ------
    InputError
        When an option runs on several GPUs of the result, or a named option on none.
    """
    found = {}
    for name, option in model.options.items():
        if option.kind not in ("rented", "owned") or (names is not None and name not in names):
            continue
        fits = [g for g in result.gpus if runs_on(model.records[name].gpu, g.gpu_name)]
        if names is not None and len(result.gpus) == 1:
            fits = list(result.gpus)
        if len(fits) > 1:
            raise InputError(f"{result.path}: option {name!r} runs on "
                             f"{model.records[name].gpu!r}, which matches several GPUs of the "
                             f"result ({', '.join(g.gpu_name for g in fits)}); that is not "
                             "allowed: merge each GPU's results into a file of its own")
        if not fits and names is not None:
            raise InputError(f"{field}: {name!r} is not allowed; it runs on "
                             f"{model.records[name].gpu!r}, and the result holds "
                             f"{', '.join(g.gpu_name for g in result.gpus)}")
        if fits:
            found[name] = fits[0]
    return found


# The arithmetic a probe's dtype or an option's precision runs in: bf16 and fp16 alike.
ARITHMETIC = {"fp32": "32-bit", **PRECISIONS}


def mismatches(result: ProbeResult, scenario, options=()) -> list[str]:
    """How a probe result is not comparable with a scenario: a run that did not complete, or
    another model, resolution or step count than the scenario's model generates with
    (its preset's recipe), or, for each of the named ``options``, another arithmetic than the
    option's precision (fp32 for a bf16 option, bf16 for an fp8 one). Empty when it is
    comparable."""
    w = scenario.workload
    found = [] if result.status == "complete" else [f"status {result.status!r}"]
    if w.model != "other" and result.model != w.model:
        found.append(f"model {result.model!r}, not {w.model!r}")
    if f"{result.width}x{result.height}" != w.resolution:
        found.append(f"{result.width}x{result.height} px, not {w.resolution}")
    recipe = PRESETS.get(w.model)
    if recipe is not None and result.steps != recipe.steps:
        found.append(f"{result.steps} steps, not {recipe.steps}")
    for spec in scenario.options:
        if spec.name in options and ARITHMETIC.get(result.dtype) != ARITHMETIC.get(
                spec.precision):
            found.append(f"measured in {result.dtype}, {spec.label or spec.name} runs in "
                         f"{spec.precision}")
    return found


def batch_sweep(result: ProbeResult, gpu_name: str) -> tuple[int, dict[int, tuple]]:
    """One GPU's best batch size in a result (the largest of its devices' best batch sizes)
    and, per batch size every device of it ran and fit, the throughput of one of those GPUs
    [images/h] with its board power [W] (None unless every device has it)."""
    leaves = [leaf for leaf in result.data.get("devices") or [result.data]
              if leaf["gpu_name"] == gpu_name]
    rows: dict[int, list[Mapping]] = {}
    for leaf in leaves:
        for row in leaf.get("batches") or ():
            if row.get("fits") and row.get("images_per_hour"):
                rows.setdefault(row["batch_size"], []).append(row)
    sweep = {}
    for batch, measured in rows.items():
        if len(measured) == len(leaves):
            watts = [row.get("avg_watts") for row in measured]
            sweep[batch] = (sum(row["images_per_hour"] for row in measured) / len(leaves),
                            None if None in watts else sum(watts) / len(watts))
    return max(leaf["best_batch_size"] for leaf in leaves), sweep


def apply_to_scenario(scenario, path: str | Path, options: list[str],
                      accept_mismatch: bool = False,
                      how_to_accept: str = "--accept-probe-mismatch",
                      gpu_name: str | None = None):
    """The scenario with a probe result's measured images/hour of one GPU (and, for owned
    GPUs, its measured board power per GPU) set on the named rented or owned options, the
    result file and its GPU as the source. Returns a new scenario
    (``costlib.scenario.Scenario``).

    Each option takes the measurement at its own batch size where the probe's sweep ran it
    and it fit (`batch_sweep`), with the board power there where the sweep has it (else
    the best window's); else it runs at the best batch size, with the best throughput.

    ``gpu_name`` picks the GPU of a result that holds several (`ProbeResult.gpus`); None
    takes the result's only one. Of a GPU measured on N devices, the options get the
    throughput of one: the N devices' together over N.

    A result that is not comparable with the scenario (`mismatches`) is refused unless
    ``accept_mismatch``; then the source of every value it sets says how it differs. The
    refusal names ``how_to_accept`` (the command-line flag, or the form's checkbox).
    """
    from costlib.scenario import set_field

    result = read_result(path)
    differs = mismatches(result, scenario, options)
    if differs and not accept_mismatch:
        raise InputError(f"{path}: the probe result is not allowed; it must be a complete "
                         "run of the scenario's model, resolution and steps at the option's "
                         f"precision ({'; '.join(differs)})"
                         f"; to use it anyway, accept the mismatch ({how_to_accept})")
    data = scenario.model_dump(mode="json")["options"]
    local = [o["name"] for o in data if o["kind"] in ("rented", "owned")]
    for name in options:
        if name not in local:
            raise InputError(f"option: {name!r} is not allowed; a probe result applies to a "
                             f"rented or owned option ({', '.join(local)})")
    groups = {g.gpu_name: g for g in result.gpus}
    if gpu_name is None and len(groups) > 1:
        raise InputError(f"{path}: a result of several GPUs ({', '.join(groups)}) is not "
                         "allowed here; apply it with `costlib evaluate --throughput`, which "
                         "gives each option the GPU it runs on, or load one GPU's result")
    if gpu_name is not None and gpu_name not in groups:
        raise InputError(f"gpu_name: {gpu_name!r} is not allowed; the result holds "
                         f"{', '.join(groups)}")
    group = groups[gpu_name] if gpu_name is not None else result.gpus[0]
    names = [o.name for o in scenario.options]
    note = f"; accepted although {', '.join(differs)}" if differs else ""
    per_gpu = f", per GPU of {group.device_count}" if group.device_count > 1 else ""
    source = (f"probe result {Path(path).name} ({group.gpu_name}{per_gpu}, {result.preset}, "
              f"{result.measured_at[:10]}{note})")
    best_batch, sweep = batch_sweep(result, group.gpu_name)
    for name in options:
        i = names.index(name)
        batch = data[i]["batch_size"]
        rate, watts, at = group.images_per_hour_per_gpu, group.avg_watts, ""
        if batch != best_batch and batch in sweep:
            (rate, at_watts), at = sweep[batch], f" at a batch of {batch}"
            watts = watts if at_watts is None else at_watts
        measured = {"images_per_hour": rate}
        if watts is not None and data[i]["kind"] == "owned":
            measured["board_watts"] = watts
        values = {**data[i]["set"], **{k: {"value": v, "source": source + at}
                                       for k, v in measured.items()}}
        scenario = set_field(scenario, f"options.{i}.set", values)
        if batch != best_batch and batch not in sweep:
            scenario = set_field(scenario, f"options.{i}.batch_size", best_batch)
    return scenario
