"""GPU throughput probe (torch and diffusers are imported lazily, inside functions).

Measures what a diffusion recipe really delivers on this machine: cold start, latency
p50/p95, images/hour over a batch-size sweep, time by stage, peak memory, energy per image
(NVML), model FLOPs and MFU, determinism and a sustained run. Writes a versioned JSON
result (and a CSV summary) that the cost model reads as the throughput of a local option.

Python API
----------
run_probe(preset, *, device="cuda", devices=None, weights=None, ..., out_path=None,
          progress=True) -> dict
    Measure a preset (`PRESETS`) and write the result; see `costlib.probe.runner`.
read_result(path) -> ProbeResult
    Read and validate a result file (`costlib.probe.result`, no torch).
combine(results) -> dict, merge_files(paths, out_path) -> Path
    Aggregate results of several GPUs or machines.
count_flops(settings, pipe=None) -> dict
    Model GFLOP per image by stage, counted on the meta device (`costlib.probe.models`).
resolve_settings(preset, **overrides) -> Settings
    The checked recipe and measurement plan of a run (`costlib.probe.presets`).

Command line: ``costlib probe ...`` or ``python -m costlib.probe ...`` (`costlib.probe.cli`).

Modules: ``presets`` (configs, presets, GPU peaks; pure data), ``models`` (pipelines and
FLOP counts), ``runner`` (the measurement), ``result`` (the file format), ``cli``.
"""

from costlib.probe.models import count_flops
from costlib.probe.presets import PRESETS, Preset, Settings, resolve_settings
from costlib.probe.result import (
    SCHEMA_VERSION,
    ProbeResult,
    combine,
    merge_files,
    read_result,
    write_result_atomic,
)
from costlib.probe.runner import run_probe

__all__ = [
    "PRESETS", "SCHEMA_VERSION", "Preset", "ProbeResult", "Settings", "combine", "count_flops",
    "merge_files", "read_result", "resolve_settings", "run_probe", "write_result_atomic",
]
