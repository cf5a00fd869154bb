"""The probe's overhead: its time per image against a bare loop calling the same pipeline.

On a tiny model (where overhead would show most) and one pipeline object, alternate ROUNDS
times (in ABBA order, to cancel drifts of a shared machine) between

- a bare loop: ``pipe(...)`` called over and over for WINDOW_S seconds, as one would time
  it by hand, and
- the probe's own measurement: `costlib.probe.runner.throughput_window` calling
  `costlib.probe.runner.call_pipeline` through the same closure ``run_probe`` uses (the
  code that produces the result's images/hour),

and report the median over rounds of probe / bare time per image. The target is within
5 %. Then one end-to-end ``run_probe`` of the same preset, for reference (a fresh pipeline,
so noisier). Printed, not asserted.

Both sides synchronize the device at the start and end of their timing, so the comparison
holds on a GPU, where calls are queued asynchronously.

Run: ``.venv/bin/python benchmarks/bench_probe.py`` (CPU, about a minute), or on a GPU
``.venv/bin/python benchmarks/bench_probe.py --device cuda --preset sdxl-turbo``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from costlib.probe import resolve_settings, run_probe
from costlib.probe.models import PROMPT, build_random_pipeline
from costlib.probe.runner import _sync, call_pipeline, throughput_window

ROUNDS = 12
WINDOW_S = 1.5


def bare_seconds_per_image(pipe, settings, window_s: float, device: str) -> float:
    """What a user would time by hand: call the pipeline in a loop for ``window_s``,
    synchronizing the device before and after."""
    def once():
        return pipe(prompt=[PROMPT], height=settings.height, width=settings.width,
                    num_inference_steps=settings.steps, guidance_scale=settings.guidance_scale,
                    generator=torch.Generator(pipe.device).manual_seed(settings.seed),
                    output_type="pt").images

    with torch.inference_mode():
        once()
        _sync(device)
        images, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < window_s:
            once()
            images += 1
        _sync(device)
        return (time.perf_counter() - t0) / images


def probe_seconds_per_image(pipe, settings, window_s: float, device: str) -> float:
    """The probe's window over the same pipeline, called as `run_probe` calls it."""
    bar = tqdm(disable=True)

    def call(batch_size):
        out = call_pipeline(pipe, settings, batch_size)
        bar.update(batch_size)
        return out

    with torch.inference_mode():
        return throughput_window(call, 1, window_s, device)["seconds_per_image"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--preset", default="sdxl-tiny", help="probe preset (default sdxl-tiny)")
    args = parser.parse_args()
    device, preset = args.device, args.preset
    if device == "cpu":
        torch.set_num_threads(1)  # steadier on a shared machine; the same for both sides
    settings = resolve_settings(preset, device=device)
    pipe, _ = build_random_pipeline(settings, device)
    bare, probe = [], []
    for i in range(ROUNDS):
        pair = [bare_seconds_per_image, probe_seconds_per_image]
        for fn in pair if i % 2 == 0 else pair[::-1]:
            (bare if fn is bare_seconds_per_image else probe).append(
                fn(pipe, settings, WINDOW_S, device))
    ratios = [p / b for b, p in zip(bare, probe, strict=True)]
    overhead = statistics.median(ratios) - 1.0
    print(f"probe overhead on {preset} ({device}, {ROUNDS} rounds of {WINDOW_S:g} s, "
          f"same pipeline): bare loop {statistics.median(bare) * 1e3:.2f} ms/image, probe "
          f"{statistics.median(probe) * 1e3:.2f} ms/image, overhead {overhead:+.1%} "
          f"(median of per-round ratios; target within 5 %: "
          f"{'yes' if abs(overhead) <= 0.05 else 'no'})")
    print(f"  bare loop [ms/image]: {', '.join(f'{x * 1e3:.1f}' for x in bare)}")
    print(f"  probe     [ms/image]: {', '.join(f'{x * 1e3:.1f}' for x in probe)}")
    with tempfile.TemporaryDirectory() as tmp:
        data = run_probe(preset, device=device, batch_sizes=[1], window_seconds=2 * WINDOW_S,
                         sustained_seconds=0, out_path=Path(tmp) / "r.json", progress=False)
    after = bare_seconds_per_image(pipe, settings, 2 * WINDOW_S, device)
    print(f"  end to end: run_probe {data['batches'][0]['seconds_per_image'] * 1e3:.2f} "
          f"ms/image (fresh pipeline), bare loop right after {after * 1e3:.2f} ms/image")


if __name__ == "__main__":
    main()
