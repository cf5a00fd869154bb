"""The ``costlib`` command: evaluate, breakeven, decide, catalog, claims, report and probe.

Every bad input (a file, an argument, an output path) ends in one line on stderr,
``costlib: error: ...``, and exit code 2; Ctrl-C in one line and exit code 130; a failure to
write (a full disk) in one line and exit code 1. Control characters of a file's text never
reach the terminal, and no CSV cell starts a spreadsheet formula.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import re
import sys

from costlib.errors import InputError
from costlib.fmt import count, json_ready, usd

FORMATS = ("table", "json", "csv")
# C0 and C1 controls but tab and newline, and bidirectional overrides: what a terminal obeys
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage) and exit code 2."""

    def error(self, message):
        raise SystemExit(_fail(f"{self.prog}: error: {message}", 2))


def _fail(line: str, code: int) -> int:
    print(_CONTROL.sub("", line.replace("\n", " ")), file=sys.stderr)
    return code


class _Printable:
    """A text stream that drops control characters (escape sequences that would clear the
    screen or rewrite a line) from what is written to it."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(_CONTROL.sub("", text))

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _TwoOptions(argparse.Action):
    """``--between A B``: two different options (an option against itself has no answer)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values[0] == values[1]:
            parser.error(f"argument --between: {values[0]!r} twice is not allowed; name two "
                         "different options")
        setattr(namespace, self.dest, values)


def csv_safe(cell):
    """A CSV cell a spreadsheet shows as text: one starting with ``= + - @`` (or a tab or
    carriage return) gets a leading ``'``, so it never runs as a formula. Numbers pass."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _model(args):
    """The scenario resolved for ``--today`` (with a probe result where given), and the
    catalog it was resolved against."""
    from costlib.catalog import load_catalog
    from costlib.scenario import load_scenario, resolve, scenario_path

    scenario = load_scenario(scenario_path(args.scenario))
    catalog = load_catalog(scenario.quotes, stale_after_days=scenario.stale_after_days,
                           today=_today(args))
    model = resolve(scenario, catalog)
    if getattr(args, "throughput", None):
        model = resolve(with_probe_result(model, args.throughput, args.apply_to,
                                          args.accept_probe_mismatch), catalog)
    return model, catalog


def _add_today(parser: argparse.ArgumentParser, what: str = "") -> None:
    parser.add_argument("--today", metavar="YYYY-MM-DD",
                        help=f"the day the ages of figures count to{what} (default: today)")


def _add_accept(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accept-probe-mismatch", action="store_true",
                        help="apply a probe result of an unfinished run or of another model, "
                             "resolution or step count (its figures' source says so)")


def _today(args) -> dt.date | None:
    """The ``--today`` date (None: the library takes today's)."""
    from costlib.catalog import parse_today

    return parse_today(args.today)


def with_probe_result(model, path: str, apply_to: list[str] | None = None,
                      accept_mismatch: bool = False):
    """The model's scenario with a probe's measured throughput on its local options, each at
    its own batch size where the probe's sweep ran it (else at the probe's best batch size).

    By default it applies to every rented or owned option whose GPU matches a GPU the
    probe ran on, each option taking its own GPU's figure per GPU (a merged result of
    several GPUs keeps them apart); ``apply_to`` names options explicitly. A result of an
    unfinished run, or of another model, resolution or step count than the scenario's, is
    refused unless ``accept_mismatch`` (then a warning and the figures' source say how it
    differs). A GPU of the result that no option runs on is named in a note.
    """
    from costlib.probe.result import (
        apply_to_scenario,
        matching_options,
        mismatches,
        read_result,
    )

    result = read_result(path)
    local = [n for n, o in model.options.items() if o.local_part is o]
    for name in apply_to or ():
        if name not in local:
            raise InputError(f"--apply-to: {name!r} is not allowed; must be a rented or "
                             f"owned option of the scenario ({', '.join(local)})")
    targets = matching_options(model, result, apply_to)
    if not targets:
        raise InputError(f"--throughput: no option of this scenario runs on "
                         f"{result.gpu_name!r}; name one with --apply-to ({', '.join(local)})")
    differs = mismatches(result, model.scenario, targets)
    if differs and accept_mismatch:
        print(f"costlib: warning: the probe result is applied although "
              f"{'; '.join(differs)}", file=sys.stderr)
    scenario = model.scenario
    for group in result.gpus:
        names = [n for n, g in targets.items() if g is group]
        if names:
            scenario = apply_to_scenario(scenario, path, names, accept_mismatch,
                                         gpu_name=group.gpu_name)
        elif not apply_to:
            print(f"costlib: note: no option of this scenario runs on {group.gpu_name!r}; "
                  "its measurement is not used", file=sys.stderr)
    return scenario


def _fmt_usd(x: float) -> str:
    return usd(x, missing="-", unit="")


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _warn_future(catalog) -> None:
    from costlib.catalog import future_warning

    text = future_warning(catalog)
    if text:
        print(f"costlib: warning: {text}", file=sys.stderr)


def _warn(model, catalog) -> None:
    """The warnings of a command that succeeded: catalog rows dated after today, inputs
    older than the scenario's threshold."""
    _warn_future(catalog)
    stale = [i for i in model.inputs.values() if i.stale]
    if stale:
        names = ", ".join(f"{i.path} ({i.as_of})" for i in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        print(f"costlib: warning: {len(stale)} input(s) older than "
              f"{model.scenario.stale_after_days} days: {names}{more}", file=sys.stderr)


def cmd_evaluate(args) -> int:
    from costlib.tco import COST_AREAS, evaluate

    model, catalog = _model(args)
    result = evaluate(model)
    _warn(model, catalog)
    if args.format == "json":
        print(json.dumps(json_ready(result), indent=2, allow_nan=False))
    elif args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["option", "kind", "gpus", "differing_usd", "monthly_usd",
                         "usd_per_image", "usd_per_approved", "upfront_usd", "horizon_usd",
                         "npv_usd", *COST_AREAS])
        for r in result["options"]:
            writer.writerow([r["name"], r["kind"], r["gpus"], r["differing_usd"],
                             r["monthly_usd"], r["usd_per_image"], r["usd_per_approved"],
                             r["upfront_usd"], r["horizon_usd"], r["npv_usd"],
                             *r["by_area"].values()])
        print(out.getvalue(), end="")
    else:
        months = result["horizon_months"]
        rows = [["option", "kind", "GPUs", "differs USD/month", "all-in USD/month",
                 "USD/image", "USD/approved", "upfront USD", f"{months}-month USD"]]
        for r in sorted(result["options"], key=lambda r: r["monthly_usd"]):
            kind = model.options[r["name"]].kind_label
            rows.append([r["label"], kind, count(r["gpus"]), _fmt_usd(r["differing_usd"]),
                         _fmt_usd(r["monthly_usd"]), _fmt_usd(r["usd_per_image"]),
                         _fmt_usd(r["usd_per_approved"]), _fmt_usd(r["upfront_usd"]),
                         _fmt_usd(r["horizon_usd"])])
        print(f"{result['scenario']}: {count(result['images_per_month'])} images/month, "
              f"{count(result['approved_per_month'])} approved")
        print(_table(rows))
        print(f"shared by every option, in all-in: review labor "
              f"{_fmt_usd(result['shared_usd'])} USD/month. \"differs\" is what the choice "
              "changes; USD/image is generation cost per image (review left out), "
              "USD/approved all-in per approved asset.")
        cheapest = next(r["label"] for r in result["options"] if r["name"] == result["cheapest"])
        print(f"cheapest per month: {cheapest}")
    return 0


def cmd_breakeven(args) -> int:
    from costlib.breakeven import (
        MAX_IMAGES_PER_MONTH,
        crossings_images_per_month,
        flip_value,
    )
    from costlib.cashflow import payback_month
    from costlib.fmt import quantity, volume
    from costlib.labels import input_label, option_labels
    from costlib.tco import monthly_cost_usd

    model, catalog = _model(args)
    a, b = (model.option(n) for n in args.between)
    first, second = (option_labels(model.scenario)[n] for n in args.between)
    if args.vary:
        value = flip_value(model, args.vary, args.between[0], args.between[1], args.low,
                           args.high)
        unit = model.inputs[args.vary].unit
        result = {"between": args.between, "vary": args.vary,
                  "base_value": model.inputs[args.vary].value, "flip_value": value,
                  "unit": unit}
        vary = input_label(args.vary, option_labels(model.scenario))
        text = (f"the {vary} at {quantity(value, unit)} flips the cheaper of {first} and "
                f"{second} (now {quantity(result['base_value'], unit)})"
                if math.isfinite(value) else
                f"no flip of the {vary} within its search range")
    else:
        found = crossings_images_per_month(a, b, model.workload, model.ops)
        images = found[0] if found else math.inf
        w = dataclasses.replace(model.workload, images_per_month=images) \
            if math.isfinite(images) else model.workload
        result = {"between": args.between, "breakeven_images_per_month": images,
                  "crossings_images_per_month": found,
                  "monthly_usd_at_breakeven": [float(monthly_cost_usd(o, w, model.ops))
                                               for o in (a, b)]
                  if math.isfinite(images) else None}
        for owned, other in (args.between, args.between[::-1]):
            if model.option(owned).buys_hardware:
                result["payback_month"] = payback_month(model, owned, other)
        text = (f"break-even between {first} and {second}: "
                + (f"{' and '.join(volume(v) for v in found)} images/month"
                   + (" (the cheaper of the two changes at each)" if len(found) > 1 else "")
                   if found else f"none (one option is cheaper at every volume up to "
                                 f"{volume(MAX_IMAGES_PER_MONTH)} images/month)"))
        if "payback_month" in result:
            month = result["payback_month"]
            text += (f"; the hardware pays back in month {month:.0f}" if math.isfinite(month)
                     else f"; the hardware does not pay back within the "
                          f"{model.scenario.horizon_months}-month horizon")
    _warn(model, catalog)
    # JSON has null where there is no answer; "summary" says why in words
    print(json.dumps(json_ready({**result, "summary": text}), indent=2, allow_nan=False)
          if args.format == "json" else text)
    return 0


def cmd_import_skypilot(args) -> int:
    """``costlib catalog import-skypilot DIR -o QUOTES.csv``: SkyPilot prices as quotes."""
    from costlib.skypilot import read_skypilot, write_quotes

    if not args.directory or not args.out:
        raise InputError("catalog import-skypilot: DIR and --out QUOTES.csv are required, e.g. "
                         "costlib catalog import-skypilot ~/.sky/catalogs/v7 -o quotes.csv")
    quotes = read_skypilot(args.directory)
    write_quotes(quotes, args.out)
    clouds = sorted({q["cloud"] for q in quotes})
    print(f"wrote {len(quotes)} GPU rental quotes (USD/GPU-h) from {', '.join(clouds)} to "
          f"{args.out}; use it with --quotes or a scenario's 'quotes' field")
    return 0


def cmd_catalog(args) -> int:
    from costlib.catalog import TABLES, load_catalog

    if args.table == "import-skypilot":
        return cmd_import_skypilot(args)
    if args.directory or args.out:
        raise InputError(f"catalog: {args.directory or args.out!r} is not allowed; only "
                         "import-skypilot takes DIR and --out")
    catalog = load_catalog(args.quotes, stale_after_days=args.stale_after, today=_today(args))
    entries = catalog.rows(args.table)
    if args.format == "json":
        print(json.dumps(json_ready([dataclasses.asdict(e) for e in entries]), indent=2,
                         default=str, allow_nan=False))
        return 0
    if args.format == "csv":
        frame = catalog.to_frame(args.table)
        print(frame.map(csv_safe).to_csv(index=False), end="")
        return 0
    for table in [args.table] if args.table else TABLES:
        rows = [["name", "value", "low-high", "unit", "as of", "age", "source"]]
        for e in (e for e in entries if e.table == table):
            flag = " STALE" if e.stale else " FUTURE" if e.future else ""
            flag += " QUOTE" if e.overridden else ""
            rows.append([e.name, f"{e.value:g}",
                         f"{e.low:g}-{e.high:g}" if e.low != e.high else "",
                         e.unit, e.as_of, f"{e.age_days}d{flag}", e.source[:60]])
        print(f"\n[{table}]")
        print(_table(rows))
    if args.table in (None, "throughput"):
        print_throughput_checks(catalog)
    stale = catalog.stale()
    if stale:
        print(f"\n{len(stale)} row(s) older than {args.stale_after} days are marked STALE.")
    _warn_future(catalog)
    return 0


def print_throughput_checks(catalog) -> None:
    """The throughput model against every published figure, each predicted from its
    architecture's other figures (leave one out)."""
    from costlib.throughput import leave_one_out

    rows = [["published figure", "architecture", "precision", "batch", "images/h", "model",
             "error", "batch-1 efficiency"]]
    for c in leave_one_out(catalog):
        precision = catalog.get("throughput", c.point.name).extra["precision"]
        rows.append([c.point.name, c.point.architecture,
                     precision if isinstance(precision, str) else "not stated",
                     f"{c.point.batch:g}", f"{c.point.images_per_hour:,.0f}",
                     "-" if c.predicted is None else f"{c.predicted:,.0f}",
                     "-" if c.error is None else f"{c.error:+.0%}",
                     f"{c.point.efficiency:.0%}" + (" (above the peak: not used)"
                                                    if c.point.above_peak else "")])
    print("\n[throughput model: FLOPs per image / (dense peak at the recipe's precision x "
          "efficiency of the architecture at batch 1) x the model's batch gain, each figure "
          "predicted from the others at its own batch size]")
    print(_table(rows))


def cmd_claims(args) -> int:
    """``costlib claims``: every numeric claim of the source articles, recomputed."""
    from costlib.catalog import load_catalog
    from costlib.claims import audit

    catalog = load_catalog(args.quotes, today=_today(args))
    results = audit(catalog)
    _warn_future(catalog)
    if args.format == "json":
        print(json.dumps([{"key": c.key, "article": c.article, "claim": c.claim,
                           "recomputed": v.recomputed, "verdict": v.verdict,
                           "reading": v.reading} for c, v in results], indent=2))
        return 0
    for c, v in results:
        verdict = f"{v.verdict.upper()}: {v.reading}" if v.reading else v.verdict.upper()
        print(f"[{c.article}] {c.claim} -> {v.recomputed} -> {verdict}")
    return 0


def cmd_decide(args) -> int:
    from costlib.decision import decide
    from costlib.fmt import share

    model, catalog = _model(args)
    decision = decide(model, samples=args.samples, seed=args.seed, catalog=catalog)
    _warn(model, catalog)
    if args.format == "json":
        print(json.dumps(decision.to_dict(), indent=2, allow_nan=False))
        return 0
    if decision.feasible:
        runner = decision.option(decision.runner_up).label if decision.runner_up else "none"
        tie = decision.tie
        if tie is not None:
            others = [decision.option(n).label for n in tie.options
                      if n != decision.recommendation]
            why = (f"practically tied on cost with {', '.join(others)} (within "
                   f"{usd(decision.tie_spread_usd)}/month, inside the materiality band of "
                   f"{usd(decision.materiality_usd)}/month), chosen on {tie.criterion}")
        else:
            why = (f"{share(decision.confidence)} sure it is cheaper than the rest by more "
                   f"than {usd(decision.materiality_usd)}/month")
        print(f"{model.scenario.name}: choose {decision.label} ({decision.architecture}), "
              f"{why}; runner-up {runner}; decided by {decision.deciding_factor}")
    else:
        print(f"{model.scenario.name}: no option meets the hard constraints "
              f"({decision.deciding_factor})")
    for title, lines in (("Why", decision.reasons), ("Advice", decision.advice)):
        print(f"\n{title}:")
        print("\n".join(f"- {line}" for line in lines))
    excluded = [a for a in decision.options if not a.allowed]
    if excluded:
        print("\nExcluded:")
        print("\n".join(f"- {a.label}: {' '.join(a.reasons)}" for a in excluded))
    print(f"\n({decision.monte_carlo.samples if decision.monte_carlo else 0:,} Monte Carlo "
          f"samples, seed {args.seed})")
    return 0


def cmd_report(args) -> int:
    from costlib.files import check_writable
    from costlib.report import render  # papermill, nbconvert and plotly load only here

    for flag, path in (("-o", args.out), ("--pdf", args.pdf), ("--notebook", args.notebook)):
        if path:
            check_writable(path, flag)  # before minutes of rendering, not after
    result = render(args.scenario, args.out, pdf=args.pdf, client=args.client,
                    title=args.title, samples=args.samples, seed=args.seed,
                    notebook=args.notebook, today=_today(args))
    size = result.html.stat().st_size / 1e6
    print(f"wrote {result.html} ({size:.1f} MB, {result.charts} charts) in "
          f"{result.html_seconds:.1f} s")
    if result.pdf is not None:
        print(f"wrote {result.pdf} in {result.pdf_seconds:.1f} s")
    if result.warning:
        print(f"costlib: warning: {result.warning}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from costlib import __version__

    parser = _Parser(
        prog="costlib",
        description="Compare managed image-generation APIs, rented GPUs, owned GPUs and "
                    "hybrids for one workload. SCENARIO is a YAML file or a preset name.")
    parser.add_argument("--version", action="version", version=f"costlib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ev = sub.add_parser("evaluate", help="monthly cost of every option of a scenario",
                        description="Monthly cost by cost area, per image and per approved "
                                    "asset, for every option of the scenario.")
    ev.add_argument("scenario", metavar="SCENARIO")
    ev.add_argument("--format", choices=FORMATS, default="table")
    ev.add_argument("--throughput", metavar="RESULT.json",
                    help="a probe result whose measured images/hour replaces the catalog's")
    ev.add_argument("--apply-to", action="append", metavar="OPTION",
                    help="option the probe result applies to (repeatable); default: every "
                         "option on the probed GPU")
    _add_accept(ev)
    _add_today(ev)
    ev.set_defaults(func=cmd_evaluate)

    be = sub.add_parser("breakeven", help="break-even volume, payback, or an input's flip value",
                        description="Volume at which the cheaper of two options changes, the "
                                    "payback month of a purchase, or with --vary the value of "
                                    "one input at which the cheaper option changes.")
    be.add_argument("scenario", metavar="SCENARIO")
    be.add_argument("--between", nargs=2, required=True, metavar=("A", "B"), action=_TwoOptions)
    be.add_argument("--vary", metavar="FIELD",
                    help="input path, e.g. options.replicate_sdxl.usd_per_image")
    be.add_argument("--low", type=float, help="lower end of the --vary search")
    be.add_argument("--high", type=float, help="upper end of the --vary search")
    be.add_argument("--format", choices=("text", "json"), default="text")
    be.add_argument("--throughput", metavar="RESULT.json")
    be.add_argument("--apply-to", action="append", metavar="OPTION")
    _add_accept(be)
    _add_today(be)
    be.set_defaults(func=cmd_breakeven)

    de = sub.add_parser("decide", help="the recommendation, its confidence and reasons",
                        description="The seven-step decision: hard constraints, costs with "
                                    "their uncertainty, the recommendation with its "
                                    "confidence, reasons, advice and exclusions.")
    de.add_argument("scenario", metavar="SCENARIO")
    de.add_argument("--format", choices=("table", "json"), default="table")
    de.add_argument("--samples", type=int, default=10_000, metavar="N",
                    help="Monte Carlo samples (default 10,000)")
    de.add_argument("--seed", type=int, default=0, metavar="N",
                    help="Monte Carlo seed (default 0): the same seed gives the same answer")
    de.add_argument("--throughput", metavar="RESULT.json")
    de.add_argument("--apply-to", action="append", metavar="OPTION")
    _add_accept(de)
    _add_today(de)
    de.set_defaults(func=cmd_decide)

    ca = sub.add_parser("catalog", help="the sourced data tables, with source and age",
                        description="Rows of the data catalog with their source and age; "
                                    "stale rows are marked.")
    ca.add_argument("table", nargs="?", metavar="TABLE",
                    help="a table to show, or import-skypilot to read SkyPilot's prices")
    ca.add_argument("directory", nargs="?", metavar="DIR",
                    help="with import-skypilot: a SkyPilot catalog folder of <cloud>/vms.csv")
    ca.add_argument("-o", "--out", metavar="QUOTES.csv",
                    help="with import-skypilot: the quotes file to write")
    ca.add_argument("--quotes", metavar="QUOTES.csv", help="your own figures overriding rows")
    ca.add_argument("--stale-after", type=int, default=365, metavar="DAYS")
    ca.add_argument("--format", choices=FORMATS, default="table")
    _add_today(ca)
    ca.set_defaults(func=cmd_catalog)

    cl = sub.add_parser("claims", help="the articles' numeric claims, recomputed",
                        description="Every numeric claim of the source articles with its "
                                    "recomputation from the catalog: holds, does not hold, or "
                                    "holds only under a stated reading.")
    cl.add_argument("--quotes", metavar="QUOTES.csv", help="your own figures overriding rows")
    cl.add_argument("--format", choices=("text", "json"), default="text")
    _add_today(cl)
    cl.set_defaults(func=cmd_claims)

    re_ = sub.add_parser("report", help="a client report: HTML with interactive charts, and PDF",
                         description="Run the report template notebook on the scenario "
                                     "(papermill) and write HTML without code, with "
                                     "interactive charts that work offline; --pdf prints it "
                                     "with headless Chromium.")
    re_.add_argument("scenario", metavar="SCENARIO")
    re_.add_argument("-o", "--out", required=True, metavar="OUT.html", help="the HTML to write")
    re_.add_argument("--pdf", metavar="OUT.pdf", help="also print it to this PDF (Chromium)")
    re_.add_argument("--client", metavar="NAME", help="client name in the header (default: "
                                                      "the scenario's client)")
    re_.add_argument("--title", metavar="TEXT", help="report title (default: from the "
                                                     "scenario's name)")
    re_.add_argument("--samples", type=int, default=10_000, metavar="N",
                     help="Monte Carlo samples (default 10,000)")
    re_.add_argument("--seed", type=int, default=0, metavar="N",
                     help="Monte Carlo seed, printed in the report (default 0)")
    re_.add_argument("--notebook", metavar="OUT.ipynb", help="keep the executed notebook")
    _add_today(re_, " and the report is dated")
    re_.set_defaults(func=cmd_report)

    from costlib.probe.cli import register

    register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Printable(out), _Printable(err)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help, --version, or a one-line argument error
            return e.code if isinstance(e.code, int) else 2
        return args.func(args)
    except InputError as e:
        return _fail(f"costlib: error: {e}", 2)
    except KeyboardInterrupt:
        return _fail("costlib: interrupted; no file was left half-written", 130)
    except OSError as e:  # a full disk, a folder gone while rendering
        return _fail(f"costlib: error: cannot write {e.filename or 'the output'}: "
                     f"{e.strerror or e}", 1)
    except Exception as e:  # a bug: one line for the user, the traceback where asked for
        if os.environ.get("COSTLIB_TRACEBACK"):
            raise
        return _fail(f"costlib: internal error: {type(e).__name__}: {str(e)[:300]} (set "
                     "COSTLIB_TRACEBACK=1 to see where; please report it)", 1)
    finally:
        sys.stdout, sys.stderr = out, err


if __name__ == "__main__":
    sys.exit(main())
