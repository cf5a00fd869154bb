"""What each section of the report shows, as data: plain dicts of already formatted strings
and numbers, one function per section, no HTML. The templates of ``templates/`` place them
(and escape them: these strings are client text as given).

Every function takes a :class:`costlib.report.Report`. Numbers are formatted by
:mod:`costlib.fmt`; option kinds are read from the option objects (``kind_label``,
``buys_hardware``, ...), never compared as strings.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from costlib import __version__, fmt
from costlib.labels import field_label, model_label
from costlib.narrative import flip_sentence, gpu_throughput, join_words, key_figures

SECTIONS = {
    "summary": "Executive summary",
    "workload": "Workload and constraints",
    "costs": "Cost by option and cost area",
    "breakeven": "Break-even and cumulative cost",
    "uncertainty": "Uncertainty",
    "capacity": "Capacity and latency",
    "hybrid": "Hybrid split and cost levers",
    "appendix": "Appendix: every assumption",
}
# The break-even search stops here: "never" in a table means not below it. [images/month]
SEARCHED_UP_TO = "a billion images a month"


@dataclass(frozen=True)
class Money:
    """One USD figure of a cost table, tagged with the option and the field of
    ``costlib evaluate`` it shows (``data-option``, ``data-field``, ``data-value``).

    option, field : str
    value : str  The exact value, ``repr(float)``: what a test or a reader compares.
    text : str  As shown. [USD]
    """

    option: str
    field: str
    value: str
    text: str


def money(option: str, field: str, value: float) -> Money:
    value = float(value)
    return Money(option, field, repr(value), fmt.usd(value, unit=""))


def _latency(triple) -> str:
    """A latency (low, value, high) as '4.2 s (3-6 s)'."""
    low, value, high = triple
    return fmt.seconds(value) + (f" ({fmt.seconds(low, high)})" if low != high else "")


def _mixes_local_and_api(option) -> bool:
    return option.local_part is not None and option.api_part is not None


# --------------------------------------------------------------------------- sections


def header(r) -> dict:
    s, ev = r.scenario, r.evaluation
    return {"client": r.client, "title": r.title, "scenario": s.name, "source": r.source,
            "images": fmt.volume(ev["images_per_month"], 3),
            "approved": fmt.volume(ev["approved_per_month"], 3),
            "horizon_months": s.horizon_months, "prepared": r.prepared,
            "version": __version__, "description": s.description}


def summary(r) -> dict:
    """The answer first: the key figures of :func:`costlib.narrative.key_figures` (the
    overview shows the same), then why and what to do."""
    d = r.decision
    data = {"feasible": d.feasible, "deciding_factor": d.deciding_factor or "",
            "reasons": list(d.reasons), "advice": list(d.advice), "figures": []}
    if not d.feasible:
        return data
    rec = d.option(d.recommendation)
    given_usd = r.rows()[rec.name]["monthly_usd"]
    extra = {"monthly": f"as costed for the decision; the scenario as given: "
                        f"{fmt.usd(given_usd)}/month"
             if abs(rec.monthly_usd - given_usd) > 0.5 else ""}
    data["figures"] = [{**dataclasses.asdict(f), "extra": extra.get(f.key, "")}
                       for f in key_figures(d)]
    return data


def _given(value, unit: str | None = None) -> str:
    """A field of the scenario as given, in words; with ``unit`` (its input's), its numbers
    read with it ('1 month', '0 %')."""
    def amount(low, high=None):
        if unit is None:
            return fmt.number(low) if high is None else fmt.span(low, high)
        return fmt.quantity(low, unit) if high is None else fmt.quantity_range(low, high, unit)

    if isinstance(value, dict):  # a quantity: value, range, source
        text = amount(value["value"])
        if value.get("low") is not None or value.get("high") is not None:
            low, high = (value[k] if value.get(k) is not None else value["value"]
                         for k in ("low", "high"))
            text += f" ({amount(low, high)})"
        if value.get("source"):
            text += f"; source: {value['source']}"
        return text
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return amount(value)
    if isinstance(value, list | tuple):
        return ", ".join(map(_given, value))
    return str(value).replace("_", " ")


def _fields(r, block: str) -> list[tuple[str, str]]:
    """(field in words, as given) for each field the scenario's ``block`` sets, with its
    input's unit; the model by its name."""
    data = getattr(r.scenario, block).model_dump(exclude_none=True, mode="json")
    units = {k: r.model.inputs[f"{block}.{k}"].unit for k in data
             if f"{block}.{k}" in r.model.inputs}
    return [(field_label(k), model_label(v) if f"{block}.{k}" == "workload.model"
             else _given(v, units.get(k))) for k, v in data.items()]


def _option_given(r, spec) -> str:
    """What the scenario sets for an option beyond its catalog offer, in one line: a GPU
    option's throughput with its batch size and precision, the options a hybrid combines,
    its local GPUs, discounts and values set by hand."""
    rate = r.model.inputs.get(f"options.{spec.name}.images_per_hour")
    record = r.model.records[spec.name]
    parts = [gpu_throughput(rate, record.batch_size, record.precision)] if rate else []
    parts += [f"{k}: {r.label(v)}" for k, v in (("local GPUs", spec.local),
                                               ("overflow API", spec.api)) if v]
    if spec.local_gpus is not None:
        parts.append(f"local GPUs held: {_given(spec.local_gpus)}")
    if spec.discounts:
        parts.append(f"discounts: {', '.join(map(field_label, spec.discounts))}")
    if spec.set:
        parts.append("set: " + ", ".join(f"{field_label(k)} {_given(v)}"
                                         for k, v in spec.set.items()))
    return "; ".join(parts) or "as the catalog gives it"


def workload(r) -> dict:
    s = r.scenario
    c = s.constraints
    verdicts = r.verdicts()
    options = []
    for spec in s.options:
        v = verdicts[spec.name]
        options.append({
            "label": r.label(spec.name), "name": spec.name,
            "kind": r.option(spec.name).kind_label, "given": _option_given(r, spec),
            "kept": v.allowed,
            "status": "kept" if v.allowed else "excluded: " + ", ".join(v.excluded_by),
            "reasons": " ".join(v.reasons)})
    return {
        "workload": _fields(r, "workload"),
        "constraints": [
            ("privacy", f"{c.privacy} data"),
            ("data-processing agreement", "available" if c.dpa_available else "not available"),
            ("latency target", fmt.seconds(c.max_latency_s) if c.max_latency_s is not None
             else "none"),
            ("operations team", "yes" if c.has_ops_team else "no (self-hosting needs a hire)"),
            ("horizon", f"{s.horizon_months} months"),
        ],
        "labor": _fields(r, "labor"),
        "options": options,
        "steps": [{"number": step.number, "title": step.title,
                   "findings": " ".join(step.findings)} for step in r.decision.steps[:4]],
    }


def _basis_note(r) -> dict | None:
    """Where the decision costs options differently from the scenario as given: which, and
    why; None where it does not."""
    rows = r.rows()
    differs = [a.name for a in r.decision.options
               if abs(a.monthly_usd - rows[a.name]["monthly_usd"]) > 0.5]
    if not differs:
        return None
    why = []
    if not r.scenario.constraints.has_ops_team:
        why.append("self-hosting carries hiring one ML infrastructure engineer, since the team "
                   "has no operations capacity")
    if any(_mixes_local_and_api(r.option(n)) for n in differs):
        why.append("hybrids are priced at their cheapest local GPU count under the hourly "
                   "demand profile")
    return {"names": ", ".join(r.label(n) for n in differs),
            "why": "; ".join(why) or "see the notes"}


def _rate_tier_note(r) -> str | None:
    """The rate-limit plan fee the managed APIs' fees include, for the request rate of each
    one's busiest hour (as the cost model bills it), with its source; None where none is
    paid."""
    from costlib.options import ManagedAPI
    from costlib.tco import (
        option_workload,
        peak_requests_per_minute,
        rate_tier_usd,
        serving_images_per_month,
    )

    paying: dict[tuple[float, str], list[str]] = {}
    for name in r.model.options:
        api = r.option(name)
        if not isinstance(api, ManagedAPI):
            continue
        w = option_workload(api, r.model.workload)
        rate = float(peak_requests_per_minute(
            serving_images_per_month(w, w.preview_price_ratio), w.peak_factor))
        fee = float(rate_tier_usd(api, rate))
        if fee > 0:
            paying.setdefault((fee, fmt.number(rate)), []).append(r.label(name))
    if not paying:
        return None
    plans = "; ".join(f"{fmt.usd(fee)} a month for {join_words(names)} ({rate} requests a "
                      "minute)" for (fee, rate), names in paying.items())
    row = r.catalog.get("api_terms", "starter_usd_per_month")
    return (f"API fees include the fee of the rate-limit plan each API's busiest hour needs: "
            f"{plans}; plan fees and limits: {row.source}.")


COST_FIELDS = ("differing_usd", "monthly_usd", "usd_per_image", "usd_per_approved",
               "upfront_usd", "horizon_usd", "npv_usd")


def costs(r) -> dict:
    from costlib.tco import COST_AREAS

    ev = r.evaluation
    verdicts = r.verdicts()
    ranked = sorted(ev["options"], key=lambda row: row["monthly_usd"])
    rows = [{"label": r.label(row["name"]), "name": row["name"],
             "best": row["name"] == ev["cheapest"],
             "excluded_by": ", ".join(verdicts[row["name"]].excluded_by),
             "kind": r.option(row["name"]).kind_label, "gpus": fmt.number(row["gpus"]),
             "cells": [money(row["name"], f, row[f]) for f in COST_FIELDS]}
            for row in ranked]
    areas = [a for a in COST_AREAS if any(row["by_area"][a] for row in ev["options"])]
    return {
        "images": fmt.count(ev["images_per_month"]),
        "cheapest": r.label(ev["cheapest"]),
        "shared": fmt.usd(ev["shared_usd"]),
        "months": ev["horizon_months"],
        "rows": rows,
        "columns": [r.label(row["name"]) for row in ranked],
        "areas": [{"name": COST_AREAS[a],
                   "cells": [money(row["name"], f"by_area.{a}", row["by_area"][a])
                             for row in ranked]} for a in areas],
        "totals": [money(row["name"], "monthly_usd", row["monthly_usd"]) for row in ranked],
        "basis": _basis_note(r),
        "rate_tiers": _rate_tier_note(r),
        "setup": fmt.quantity(r.model.values["labor.setup_weeks"], "weeks"),
        "discount": fmt.quantity(r.model.values["discount_rate"], "fraction/year"),
    }


def _sampled(b) -> str:
    """The sampled break-even volumes, their 90 % range, in words."""
    if math.isfinite(b.p95):
        return f"{fmt.volume(b.p5)} to {fmt.volume(b.p95)} (90 % range)"
    if math.isfinite(b.p5):
        return (f"from {fmt.volume(b.p5)} (5th percentile), with no break-even at the 95th "
                "percentile")
    return "no break-even at the 5th or the 95th percentile"


def breakeven(r) -> dict:
    from costlib.cashflow import payback_month

    m, ev, d = r.model, r.evaluation, r.decision
    best = ev["cheapest"]
    found = r.crossings
    rows = []
    for row in sorted(ev["options"], key=lambda row: row["monthly_usd"]):
        name = row["name"]
        if name == best:
            continue
        crossings = found[name]
        volumes = (", ".join(fmt.volume(v) for v in crossings[:3])
                   + (" ..." if len(crossings) > 3 else "")) if crossings else fmt.NEVER
        payback = "-"
        if r.option(name).buys_hardware:
            month = payback_month(m, name, best)
            payback = f"month {month:.0f}" if math.isfinite(month) else fmt.NEVER
        rows.append({"label": r.label(name), "name": name, "volumes": volumes,
                     "payback": payback})
    lines = []
    if d.feasible and d.breakeven is not None:
        b = d.breakeven
        a, alt = (r.label(x) for x in b.options)
        if math.isfinite(b.images_per_month):
            lines.append(f"The decision's break-even: {alt} takes over from {a} at about "
                         f"{fmt.volume(b.images_per_month)} images/month; sampled, "
                         f"{_sampled(b)}, and it breaks even below {SEARCHED_UP_TO} in "
                         f"{fmt.share(b.p_breaks_even)} of samples.")
        else:
            lines.append(f"The decision's break-even: {alt} does not take over from {a} at "
                         f"any volume up to {SEARCHED_UP_TO} at base values (it does in "
                         f"{fmt.share(b.p_breaks_even)} of samples).")
    if any(row["volumes"] == fmt.NEVER for row in rows):
        lines.append(f'Break-even volume "{fmt.NEVER}": the two do not swap at any volume up '
                     f"to {SEARCHED_UP_TO}.")
    if any(row["payback"] == fmt.NEVER for row in rows):
        lines.append(f'Payback "{fmt.NEVER}": the purchase has not paid for itself against '
                     f"{r.label(best)} by the end of the {m.scenario.horizon_months}-month "
                     "horizon.")
    lines.append(f"Today's volume: {fmt.volume(ev['images_per_month'], 3)} images/month. "
                 "Payback is the month from which the purchase's cumulative cash (bought at "
                 "month 0, with the cash flow's growth and prices) stays at or below the "
                 "cheapest option's.")
    return {"best": r.label(best), "rows": rows, "lines": lines}


# how each sampling distribution is told to a reader
_SHAPES = {"pert": "smooth hump peaking at its value (a beta-PERT distribution)",
           "triangular": "triangle peaking at its value", "lognormal": "lognormal curve",
           "uniform": "flat distribution"}


def uncertainty(r) -> dict:
    d = r.decision
    if not d.feasible:
        return {"feasible": False}
    mc = d.monte_carlo
    kept = sorted((a for a in d.options if a.allowed), key=lambda a: a.monthly_usd)
    return {"feasible": True, "samples": fmt.count(mc.samples), "seed": mc.seed,
            "distribution": _SHAPES.get(mc.distribution, mc.distribution),
            "rows": [{"label": r.label(a.name), "best": a.name == d.recommendation,
                      "usd": [fmt.usd(x, unit="") for x in (
                          a.monthly_usd, a.monthly_usd_p5, a.monthly_usd_p50,
                          a.monthly_usd_p95)],
                      "cheapest": fmt.share(a.p_cheapest)} for a in kept]}


def _labels(d) -> dict[str, str]:
    return {a.name: a.label for a in d.options}


def flip_points(r) -> dict:
    d = r.decision
    if not d.feasible:
        return {"feasible": False}
    flipping = [flip_sentence(f, _labels(d)) for f in d.flip_points
                if f.below is not None or f.above is not None]
    return {"feasible": True,
            "lines": flipping or ["No single input flips the recommendation within its range."],
            "steady": len(d.flip_points) - len(flipping) if flipping else 0}


def capacity(r) -> dict:
    d, ev = r.decision, r.evaluation
    target = r.scenario.constraints.max_latency_s
    gpus = {row["name"]: row["gpus"] for row in ev["options"]}
    rows = []
    for a in d.options:
        lat = a.latency
        if lat and lat.cold_start_seconds:
            cold = _latency(lat.cold_start_seconds)
        else:
            cold = "none (kept warm)" if lat and lat.warm_dedicated else "-"
        rows.append({
            "label": r.label(a.name), "allowed": a.allowed, "gpus": fmt.number(gpus[a.name]),
            "warm": _latency(lat.warm_seconds) if lat else "not known", "cold": cold,
            "meets": "-" if target is None else (
                "misses" if "latency" in a.excluded_by else "meets"),
            "notes": " ".join(a.notes) or "-"})
    return {"images": fmt.volume(ev["images_per_month"], 3),
            "target": fmt.seconds(target) if target is not None else None,
            "rows": rows,
            "notes": [x for step in d.steps if step.number in (2, 4) for x in step.findings]}


def hybrid(r) -> dict:
    d = r.decision
    plan = d.hybrid if d.feasible else None
    data = {"plan": plan is not None, "rows": [], "verdict": "",
            "levers": [lever.sentence for lever in d.levers] if d.feasible else []}
    if plan is None:
        return data
    overflow = float(plan.overflow_images_per_month[plan.best_gpus])
    at_one = float(plan.monthly_usd[plan.best_hybrid_gpus])
    data["rows"] = [
        ("Local GPUs for the base load", r.label(plan.local)),
        ("API for the overflow", r.label(plan.api)),
        ("Cheapest local GPU count", fmt.count(plan.best_gpus)),
        ("Monthly cost at that count", fmt.usd(plan.best_monthly_usd)),
        ("Images sent to the API at that count", f"{fmt.volume(overflow, 3)} a month"),
        ("Cheapest count of at least one GPU",
         f"{fmt.count(plan.best_hybrid_gpus)} ({fmt.usd(at_one)}/month)"),
        ("The API alone", f"{fmt.usd(plan.api_only_usd)}/month"),
        ("The local GPUs alone", f"{fmt.usd(plan.local_only_usd)}/month "
                                 f"({fmt.number(plan.local_only_gpus)} GPUs)"),
    ]
    data["verdict"] = ("the API alone is cheapest: no local GPU pays for itself"
                       if plan.best_gpus == 0 else
                       f"{fmt.count(plan.best_gpus)} local "
                       f"{'GPU' if plan.best_gpus == 1 else 'GPUs'} with the API taking each "
                       "hour's excess is cheapest")
    return data


def _group(r, path: str) -> str:
    """The appendix group of an input, by its path."""
    if path.startswith("options."):
        name = path.split(".")[1]
        return f"Option: {r.label(name) if name in r.labels() else name}"
    return {"workload": "Workload", "ops": "Operations"}.get(path.split(".")[0], "Finance")


# The appendix shows a price below 1 USD with up to this many significant digits: as its
# source gives it (0.001525 USD per GPU-second, not 0.00153), so a hand rebuild starts from it.
PRICE_DIGITS = 4


def appendix(r) -> dict:
    s = r.scenario
    inputs = list(r.model.inputs.values())
    groups: list[dict] = []
    for i in inputs:
        group = _group(r, i.path)
        if not groups or groups[-1]["name"] != group:
            groups.append({"name": group, "rows": []})
        groups[-1]["rows"].append({
            "name": field_label(i.path.rsplit(".", 1)[-1]),
            "path": i.path, "value": fmt.quantity(i.value, i.unit, usd_digits=PRICE_DIGITS),
            "range": fmt.quantity_range(i.low, i.high, i.unit, usd_digits=PRICE_DIGITS)
            if i.low != i.high else "",
            "source": i.source, "note": i.note or "",
            "as_of": i.as_of or "-", "stale": bool(i.stale), "client": bool(i.overridden)})
    mc = r.decision.monte_carlo
    method = (f"{fmt.count(mc.samples)} Monte Carlo samples (seed {mc.seed}), each input drawn "
              f"from a {_SHAPES.get(mc.distribution, mc.distribution)} over its range."
              if mc is not None else
              f"no Monte Carlo (infeasible); seed {r.seed}.")
    return {"count": len(inputs), "stale": sum(bool(i.stale) for i in inputs),
            "client": sum(bool(i.overridden) for i in inputs),
            "stale_after_days": s.stale_after_days, "groups": groups,
            "prepared": r.prepared, "version": __version__, "source": r.source,
            "method": method, "claims": [claim_row(c, v) for c, v in r.claims]}


def claim_row(claim, verdict) -> dict:
    """One claim of the source articles as the appendix shows it: the article, the claim in
    words, the recomputed figure and the verdict (with its reading)."""
    said = verdict.verdict.capitalize()
    return {"article": claim.article, "claim": claim.claim[0].upper() + claim.claim[1:],
            "recomputed": verdict.recomputed,
            "verdict": f"{said} {verdict.reading}" if verdict.reading else said}
