"""``costlib probe``: the command line of the throughput probe.

Usage::

    costlib probe --preset sdxl [--device cuda:0 | --devices all] [--weights DIR]
                  [--height PX --width PX --steps N --guidance-scale G]
                  [--batch-sizes 1,2,4,8] [--dtype bf16] [--scheduler euler]
                  [--compile] [--compile-mode MODE] [--compile-recipe NAME]
                  [--compile-fallback eager|stop] [--fresh-compile-cache]
                  [--warmup-runs N --latency-runs N --window-seconds S --sustained-seconds S]
                  [--seed N] [--out FILE.json] [--no-progress]
    costlib probe --list-presets
    costlib probe merge A.json B.json -o OUT.json

Standalone: ``python -m costlib.probe ...``. `register` adds the same subcommand to the
top-level ``costlib`` parser. Exit codes: 0 measured, 1 nothing fit or the run failed,
2 bad input (one line ``costlib probe: error: ...`` on stderr), 130 interrupted (the
partial result is on disk). Nothing here imports torch until a probe runs.
"""

from __future__ import annotations

import argparse
import sys

from costlib.errors import InputError
from costlib.probe.presets import (
    COMPILE_FALLBACKS,
    COMPILE_MODES,
    COMPILE_RECIPES,
    DTYPES,
    PRESETS,
    SCHEDULERS,
)

PROG = "costlib probe"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2."""

    def error(self, message):
        print(f"{PROG}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--preset", metavar="NAME", help=f"recipe to measure: {', '.join(PRESETS)}")
    add("--list-presets", action="store_true", help="list the presets and exit")
    add("--device", default="cuda", metavar="DEV", help="cuda, cuda:N or cpu (default cuda)")
    add("--devices", metavar="all|0,1,..",
        help="one worker per GPU: 'all' or a comma list of GPU indexes")
    add("--weights", metavar="DIR", help="local diffusers folder with real weights "
                                         "(offline); default: random weights, same compute")
    add("--height", metavar="PX", help="image height [px]")
    add("--width", metavar="PX", help="image width [px]")
    add("--steps", metavar="N", help="denoising steps")
    add("--guidance-scale", metavar="G",
        help="CFG scale (SD/SDXL) or embedded guidance (FLUX.1-dev)")
    add("--batch-sizes", metavar="B,B,..", help="throughput sweep, e.g. 1,2,4,8")
    add("--dtype", metavar="DTYPE",
        help=f"{', '.join(DTYPES)} (default bf16 on a GPU, fp32 on the CPU)")
    add("--scheduler", metavar="NAME",
        help=f"one of {', '.join(SCHEDULERS)} (default: the preset's)")
    add("--compile", action="store_true",
        help="torch.compile (dynamic=False; each batch size's compile timed apart)")
    add("--compile-mode", metavar="MODE",
        help=f"{', '.join(COMPILE_MODES)} (implies --compile; default: 'default', "
             "max-autotune for the published recipe)")
    add("--compile-recipe", metavar="NAME",
        help=f"{', '.join(COMPILE_RECIPES)}: the denoiser alone (default), diffusers' "
             "published recipe (channels_last, fullgraph, denoiser and VAE decode, its "
             "Inductor settings), or its layout without those settings, which take minutes "
             "to tune (implies --compile)")
    add("--compile-fallback", metavar="WHAT", default="eager",
        help=f"{' or '.join(COMPILE_FALLBACKS)}: when the compiler toolchain fails its "
             "preflight, measure eager (default) or stop")
    add("--fresh-compile-cache", action="store_true",
        help="compile into a new empty cache: a true cold start")
    add("--warmup-runs", metavar="N", help="untimed calls before timing")
    add("--latency-runs", metavar="N", help="timed batch-1 calls (>= 2; default 30)")
    add("--window-seconds", metavar="S", help="length of each throughput window [s]")
    add("--sustained-seconds", metavar="S",
        help="length of the sustained run [s] (0: none; default 600 on a GPU)")
    add("--seed", metavar="N", help="seed of the weights and of every image (default 0)")
    add("--out", "-o", metavar="FILE",
        help="result JSON (default probe-results/<preset>-<time>.json)")
    add("--no-progress", action="store_true", help="no progress bar")
    sub = parser.add_subparsers(dest="probe_command", metavar="merge")
    merge = sub.add_parser("merge", help="combine results of several machines into one",
                           description="Combine probe results (throughputs add up).")
    merge.add_argument("inputs", nargs="+", metavar="RESULT.json", help="result JSON files")
    merge.add_argument("--out", "-o", required=True, metavar="OUT.json",
                       help="aggregate result JSON")
    parser.set_defaults(func=run_command)


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``probe`` subcommand (and ``probe merge``) to a top-level parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()`` of the ``costlib`` command.

    Returns
    -------
    argparse.ArgumentParser
        The probe parser; its ``func`` default is `run_command`.
    """
    parser = subparsers.add_parser(
        "probe", help="measure images/hour, latency and energy of a local GPU",
        description="GPU throughput probe: measure a diffusion recipe on this machine.")
    _add_arguments(parser)
    return parser


def _number(flag: str, text, kind):
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise InputError(f"{flag}: {text!r} is not allowed; must be {noun}") from None


def _run_kwargs(args) -> dict:
    if args.preset is None:
        raise InputError(f"preset: None is not allowed; pass --preset, one of "
                         f"{', '.join(PRESETS)}")
    batch_sizes = None
    if args.batch_sizes is not None:
        batch_sizes = [_number("batch_sizes", b.strip(), int)
                       for b in args.batch_sizes.split(",") if b.strip()]
    devices = None
    if args.devices is not None:
        devices = "all" if args.devices == "all" else [
            int(d) if d.strip().isdigit() else d.strip() for d in args.devices.split(",")]
    seed = _number("seed", args.seed, int)
    return {
        "preset": args.preset, "device": args.device, "devices": devices,
        "weights": args.weights, "height": _number("height", args.height, int),
        "width": _number("width", args.width, int), "steps": _number("steps", args.steps, int),
        "guidance_scale": _number("guidance_scale", args.guidance_scale, float),
        "batch_sizes": batch_sizes, "dtype": args.dtype, "scheduler": args.scheduler,
        "compile": args.compile, "compile_mode": args.compile_mode,
        "compile_recipe": args.compile_recipe, "compile_fallback": args.compile_fallback,
        "fresh_compile_cache": args.fresh_compile_cache,
        "warmup_runs": _number("warmup_runs", args.warmup_runs, int),
        "latency_runs": _number("latency_runs", args.latency_runs, int),
        "window_seconds": _number("window_seconds", args.window_seconds, float),
        "sustained_seconds": _number("sustained_seconds", args.sustained_seconds, float),
        "seed": 0 if seed is None else seed, "out_path": args.out,
        "progress": not args.no_progress,
    }


def _list_presets() -> None:
    print(f"{'preset':<18} {'family':<6} {'size':>9} {'steps':>5} {'guidance':>8}  scheduler")
    for p in PRESETS.values():
        print(f"{p.name:<18} {p.family:<6} {f'{p.width}x{p.height}':>9} {p.steps:>5} "
              f"{p.guidance_scale:>8g}  {p.scheduler}")


def _fmt(value, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _report(result: dict, path) -> None:
    print(f"{result['preset']} on {result['gpu_name']} x{result['device_count']}: "
          f"{_fmt(result['best_images_per_hour'], ',.0f', ' images/hour')} at batch "
          f"{_fmt(result['best_batch_size'], 'd')}; latency p50 "
          f"{_fmt(result['p50_latency_s'], '.3f', ' s')}, p95 "
          f"{_fmt(result['p95_latency_s'], '.3f', ' s')}; energy "
          f"{_fmt(result['energy_wh_per_image'], '.4f', ' Wh/image')}, power "
          f"{_fmt(result['avg_watts'], '.0f', ' W')}; MFU {_fmt(result['mfu'], '.1%')}")
    if result.get("sustained_images_per_hour") is not None:
        print(f"sustained: {result['sustained_images_per_hour']:,.0f} images/hour")
    for line in result.get("warnings") or []:
        print(f"warning: {line}")
    print(f"result: {path} (summary: {path.with_suffix('.csv')})")


def run_command(args) -> int:
    """Run ``costlib probe`` (or ``probe merge``) from parsed arguments; the exit code."""
    from pathlib import Path

    from costlib.files import check_writable
    from costlib.probe.result import default_out_path, merge_files

    out = None
    try:
        if getattr(args, "probe_command", None) == "merge":
            check_writable(args.out, "--out")
            out = merge_files(args.inputs, args.out)
            print(f"merged {len(args.inputs)} results into {out}")
            return 0
        if args.list_presets:
            _list_presets()
            return 0
        kwargs = _run_kwargs(args)
        from costlib.probe.runner import run_probe

        out = Path(kwargs["out_path"] or default_out_path(kwargs["preset"]))
        kwargs["out_path"] = out
        result = run_probe(**kwargs)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; the partial result is in {out}", file=sys.stderr)
        return 130
    except Exception as exc:
        where = f" (the result file {out} records it)" if out is not None else ""
        print(f"{PROG}: error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 1
    _report(result, out)
    if result["best_images_per_hour"] is None:
        print(f"{PROG}: error: nothing fit on {result['gpu_name']}: {result['error']}",
              file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    """``python -m costlib.probe``: parse ``argv`` and run; the exit code."""
    parser = _Parser(prog=PROG, description="GPU throughput probe: measure a diffusion "
                                            "recipe on this machine.")
    _add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return args.func(args)
