"""The seven-step framework as one function: constraints and costs in, a recommendation with
reasons out.

:func:`decide` follows the framework article's steps (define the use case; estimate volume and
variability; set privacy requirements; measure operational capacity; model total cost;
prototype before committing; choose cloud, local or hybrid):

1. Hard constraints first. Every option is assessed and kept or excluded with a reason:

   - Privacy: prompts and images rated "confidential" or "regulated" may not go to a third
     party unless a data-processing agreement is marked available; without one every API and
     hybrid option is excluded.
   - Latency: with ``max_latency_s`` set, an option is kept only if its warm latency at the
     high end of its range (the 95th percentile) meets the target. APIs take their figures
     from the catalog's api_latency families (the option's ``latency``, or the defaults of the
     shipped offers); self-hosted GPUs generate one image in ``3600 / images_per_hour`` seconds
     and, reserved or owned, stay warm (no cold starts); an on-demand rental is started for
     busy hours, so it is not warm capacity and is excluded; a hybrid needs both parts to
     qualify. At the ImageBench guide's real-time target of 3 s this leaves turbo-class
     models and warm dedicated GPUs, as the guide says.
   - Operations: with no operations team (``has_ops_team: false``) self-hosting carries the
     hiring cost of at least one full-time ML infrastructure engineer, so every rented, owned
     and hybrid option is costed with ``ml_engineer_fte >= 1``.

2. Costs with their uncertainty, among the options kept: base monthly costs under the
   scenario's hourly demand profile (hybrids overflow hour by hour, each at its cheapest local
   GPU count from :func:`costlib.capacity.optimize_hybrid`), a Monte Carlo sample
   (:func:`costlib.uncertainty.monte_carlo`), a tornado of the difference between the
   cheapest option and the runner-up, flip points, and the break-even volume against the best
   option of the other architecture.

3. A recommendation: the option cheapest at base values, its architecture (cloud: a managed
   API; local: GPUs the team runs, rented or owned; hybrid), the probability that it is the
   cheapest as its confidence, the deciding factor (the constraint without which another
   option would win, or cost), reasons in plain sentences, the framework's advice (start
   managed and revisit at measured volume; prototype before committing) and the optimization
   levers' effect on its cost. Where every option is excluded the decision is infeasible: it
   names the constraints and carries no cost figure as an answer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from costlib.breakeven import crossings_images_per_month
from costlib.capacity import (
    HybridPlan,
    gpus_for_deadline,
    optimize_hybrid,
    preset_profile,
    queue_latency,
)
from costlib.catalog import load_catalog
from costlib.errors import InputError
from costlib.options import HOURS_PER_MONTH, Hybrid, ManagedAPI, OwnedGPU, RentedGPU
from costlib.tco import (
    monthly_cost_usd,
    option_gpus,
    serving_images_per_month,
)
from costlib.uncertainty import (
    FlipPoint,
    MonteCarlo,
    Tornado,
    breakeven_percentiles,
    check_settings,
    flip_points,
    fmt,
    monte_carlo,
    to_json,
    tornado,
)

ARCHITECTURES = {"api": "cloud", "rented": "local", "owned": "local", "hybrid": "hybrid"}
# ImageBench guide: "For real-time use cases (<=3 second target), only turbo models or
# pre-warmed dedicated instances suffice."
REAL_TIME_SECONDS = 3.0
# Architecture article (2026-05-19): "~500K images per month at which self-hosted GPU
# infrastructure typically breaks even against managed APIs - including fully-loaded
# engineering cost".
MANAGED_UNTIL_IMAGES_PER_MONTH = 500_000
# ImageBench's prompt optimization example: a 45-token prompt rewritten in 12 tokens.
PROMPT_TOKENS_OPTIMIZED_RATIO = 12 / 45
CLOSE_CALL = 0.6  # confidence below which the answer is called close
_AD = "the architecture article (2026-05-19)"
_IB = "the ImageBench guide (2026)"


# --------------------------------------------------------------------------- small pieces


def _usd(x: float) -> str:
    if not math.isfinite(x):
        return "unbounded"
    return f"{x:,.0f} USD" if abs(x) >= 100 else f"{x:,.2f} USD" if abs(x) >= 1 \
        else f"{x:.4f} USD"


def _count(x: float) -> str:
    return f"{x:,.0f}" if math.isfinite(x) else "unbounded"


def _seconds(low: float, high: float) -> str:
    return f"{low:.3g} s" if low == high else f"{low:.3g}-{high:.3g} s"


@dataclass(frozen=True)
class Latency:
    """What a request to an option takes, warm and (where it has them) after a cold start.

    warm_seconds : (low, value, high)  Warm latency of one image. [s]
    cold_start_seconds : (low, value, high) or None  Latency after an idle period. [s]
    warm_dedicated : bool  Kept warm by its owner (reserved or owned GPUs).
    source : str  Where the figures come from.
    """

    warm_seconds: tuple[float, float, float]
    cold_start_seconds: tuple[float, float, float] | None
    warm_dedicated: bool
    source: str


def option_latency(model, name: str) -> Latency | None:
    """The latency of one option, or None where nothing gives it.

    An option's ``latency`` families (api_latency rows, the shipped offers have defaults)
    come first: their "warm" figure (or "typical" for managed queues) and "cold_start".
    Otherwise a reserved or owned GPU takes ``3600 / images_per_hour`` seconds per image
    with no cold start (the range follows the throughput's range), an on-demand rental the
    same but is not warm dedicated capacity, and an API has no figure. A hybrid is as slow as
    the slower of its two parts. [s]
    """
    option = model.option(name)
    local = option.local if isinstance(option, Hybrid) else option
    dedicated = isinstance(local, OwnedGPU) or (isinstance(local, RentedGPU)
                                                and local.billing == "reserved")
    figures = model.structure.get(f"options.{name}.latency", {})
    warm = figures.get("warm") or figures.get("typical")
    if warm is not None:
        cold = figures.get("cold_start")
        keeps_cold = cold is not None and not (dedicated and local is option)
        return Latency((warm.low, warm.value, warm.high),
                       (cold.low, cold.value, cold.high) if keeps_cold else None,
                       dedicated, warm.source)
    if isinstance(option, Hybrid):
        spec = next(s for s in model.scenario.options if s.name == name)
        parts = [option_latency(model, spec.local), option_latency(model, spec.api)]
        if any(p is None for p in parts):
            return None
        warm_seconds = tuple(max(p.warm_seconds[i] for p in parts) for i in range(3))
        colds = [p.cold_start_seconds for p in parts if p.cold_start_seconds]
        cold_seconds = tuple(max(c[i] for c in colds) for i in range(3)) if colds else None
        return Latency(warm_seconds, cold_seconds, dedicated,
                       "; ".join(p.source for p in parts))
    if isinstance(option, ManagedAPI):
        return None
    rate = model.inputs[f"options.{name}.images_per_hour"]
    warm = (3600.0 / rate.high, 3600.0 / rate.value, 3600.0 / rate.low)
    return Latency(warm, None, dedicated,
                   f"3600 s over its throughput of {rate.value:g} images/h ({rate.source})")


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class OptionAssessment:
    """One option: kept or excluded by the constraints, and what it costs.

    name, label, kind : str
    architecture : str  "cloud", "local" or "hybrid".
    allowed : bool  Kept by every hard constraint.
    excluded_by : tuple of str  The constraints that exclude it ("privacy", "latency").
    reasons : tuple of str  One sentence per constraint that applies: why kept or excluded.
    notes : tuple of str  Caveats that do not exclude it (cold starts, queueing at the peak,
        a burst it cannot absorb, hiring, the hybrid GPU count chosen).
    latency : Latency or None
    gpus : float  GPUs it holds at the base values. [GPUs]
    monthly_usd : float  Base monthly cost (shown for excluded options too, for what the
        constraint costs). [USD/month]
    usd_per_approved : float  [USD/asset]
    monthly_usd_p5, monthly_usd_p50, monthly_usd_p95 : float or None  From the Monte Carlo
        sample; None for excluded options. [USD/month]
    p_cheapest : float or None  Probability of being the cheapest option kept; None where
        excluded. [0-1]
    """

    name: str
    label: str
    kind: str
    architecture: str
    allowed: bool
    excluded_by: tuple[str, ...]
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    latency: Latency | None
    gpus: float
    monthly_usd: float
    usd_per_approved: float
    monthly_usd_p5: float | None = None
    monthly_usd_p50: float | None = None
    monthly_usd_p95: float | None = None
    p_cheapest: float | None = None


@dataclass(frozen=True)
class Breakeven:
    """The volume at which the best option of the other architecture takes over.

    options : (recommended, alternative)
    images_per_month : float  At the base values: the first volume above today's at which
        the alternative becomes cheaper (for a recommended API), or the last one below today's
        (for a recommended self-hosted option); ``inf`` where there is none. [images/month]
    p5, p50, p95 : float  Percentiles of the sampled break-even volume (first change from 0
        upward), ``inf`` where the sample never breaks even. [images/month]
    p_breaks_even : float  Share of samples with a break-even volume below 1e9. [0-1]
    """

    options: tuple[str, str]
    images_per_month: float
    p5: float
    p50: float
    p95: float
    p_breaks_even: float


@dataclass(frozen=True)
class Lever:
    """An optimization lever from the ImageBench guide and its effect on the recommendation.

    name : str  "cache", "previews" or "prompt".
    setting : str  The setting compared, in words.
    saving_usd_per_month : float  Monthly cost of the recommended option without the lever
        minus with it (the scenario's own setting, or the guide's typical figure where the
        scenario does not use it). [USD/month]
    sentence : str
    """

    name: str
    setting: str
    saving_usd_per_month: float
    sentence: str


@dataclass(frozen=True)
class Step:
    """One step of the framework, with what the analysis found."""

    number: int
    title: str
    findings: tuple[str, ...]


STEP_TITLES = ("Define the use case", "Estimate volume and variability",
               "Set privacy requirements", "Measure operational capacity", "Model total cost",
               "Prototype before committing", "Choose cloud, local or hybrid")


@dataclass(frozen=True)
class Decision:
    """The framework's answer for one scenario.

    scenario : str  Its name.
    feasible : bool  False where every option is excluded: then recommendation, architecture,
        confidence and runner_up are None and no cost is given as an answer.
    recommendation : str or None  The option to choose, by name; label and architecture
        ("cloud", "local" or "hybrid") describe it.
    confidence : float or None  Probability that it is the cheapest option kept. [0-1]
    runner_up : str or None  The next cheapest option kept.
    deciding_factor : str or None  "privacy", "latency", "operations" or "cost": the
        constraint without which another option would win, or cost where none would.
    reasons : tuple of str  Plain sentences, the deciding factor first.
    advice : tuple of str  The framework's advice where it applies.
    options : tuple of OptionAssessment  Every option of the scenario, kept or excluded.
    breakeven : Breakeven or None
    tornado : Tornado or None  Of the recommended option's cost minus the runner-up's.
    flip_points : tuple of FlipPoint  One per uncertain quantity.
    hybrid : HybridPlan or None  The cheapest local/API split considered.
    levers : tuple of Lever
    steps : tuple of Step  The seven steps with their findings, for a report.
    monte_carlo : MonteCarlo or None  The sample behind the confidence (arrays per option).
    """

    scenario: str
    feasible: bool
    recommendation: str | None
    label: str | None
    architecture: str | None
    confidence: float | None
    runner_up: str | None
    deciding_factor: str | None
    reasons: tuple[str, ...]
    advice: tuple[str, ...]
    options: tuple[OptionAssessment, ...]
    breakeven: Breakeven | None
    tornado: Tornado | None
    flip_points: tuple[FlipPoint, ...]
    hybrid: HybridPlan | None
    levers: tuple[Lever, ...]
    steps: tuple[Step, ...]
    monte_carlo: MonteCarlo | None

    def option(self, name: str) -> OptionAssessment:
        """One option's assessment; the error lists the valid names."""
        for assessment in self.options:
            if assessment.name == name:
                return assessment
        raise InputError(f"option: {name!r} is not allowed; must be one of "
                         f"{', '.join(a.name for a in self.options)}")

    def to_dict(self) -> dict:
        """JSON-ready: every field, with the Monte Carlo sample as its summary (percentiles
        and probabilities, not the raw arrays). ``inf`` stays a float: write JSON with
        ``allow_nan``."""
        data = {f.name: to_json(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name != "monte_carlo"}
        data["monte_carlo"] = None if self.monte_carlo is None else self.monte_carlo.summary()
        return data


# --------------------------------------------------------------------------- constraints


def _constraints(model, name: str) -> tuple[list[str], list[str], list[str], Latency | None]:
    """``(excluded_by, reasons, notes, latency)`` of one option under the hard constraints."""
    c = model.scenario.constraints
    kind = model.option(name).kind
    third_party = kind in ("api", "hybrid")
    excluded, reasons, notes = [], [], []
    if c.privacy in ("confidential", "regulated") and third_party:
        if c.dpa_available:
            reasons.append(f"Privacy: allowed for {c.privacy} data under the data-processing "
                           f"agreement; {_AD} advises legal review for each provider.")
        else:
            excluded.append("privacy")
            reasons.append(f"Privacy: excluded, because prompts and images are {c.privacy} "
                           "and no data-processing agreement is available, so they may not "
                           "go to a third-party API.")
    elif c.privacy in ("confidential", "regulated"):
        reasons.append(f"Privacy: allowed; {c.privacy} data stays on GPUs the team runs.")
    latency = option_latency(model, name)
    if c.max_latency_s is not None:
        target = c.max_latency_s
        option = model.option(name)
        local = option.local if isinstance(option, Hybrid) else option
        on_demand = isinstance(local, RentedGPU) and local.billing == "on_demand"
        if on_demand:
            excluded.append("latency")
            reasons.append(f"Latency: excluded, because an on-demand rental is started for busy "
                           f"hours, not kept warm: a request after an idle gap waits for a GPU "
                           f"to start and the model to load, far beyond the {target:g} s "
                           "target.")
        elif latency is None:
            excluded.append("latency")
            reasons.append(f"Latency: excluded, because no latency figure is known to check "
                           f"against the {target:g} s target; name its api_latency family in "
                           "the option's 'latency'.")
        elif latency.warm_seconds[2] > target:
            excluded.append("latency")
            low, _, high = latency.warm_seconds
            reasons.append(f"Latency: excluded, because its warm latency of "
                           f"{_seconds(low, high)} ({latency.source}) exceeds the {target:g} s "
                           "target.")
        else:
            low, _, high = latency.warm_seconds
            reasons.append(f"Latency: allowed, its warm latency of {_seconds(low, high)} meets "
                           f"the {target:g} s target.")
            if latency.cold_start_seconds and latency.cold_start_seconds[2] > target:
                lo, _, hi = latency.cold_start_seconds
                notes.append(f"Its cold starts ({_seconds(lo, hi)}) miss the {target:g} s "
                             "target after idle periods: keep it warm with steady traffic.")
    if not reasons:
        reasons.append("Allowed: no hard constraint applies to it.")
    return excluded, reasons, notes, latency


def _hire(model):
    """The model with self-hosting costed with at least one ML infrastructure engineer."""
    fte = model.inputs["ops.ml_engineer_fte"]
    hired = dataclasses.replace(
        fte, value=max(fte.value, 1.0), low=max(fte.low, 1.0), high=max(fte.high, 1.0),
        source="hiring: the team has no operations capacity (has_ops_team: false)", row="")
    return model.with_inputs([hired])


def _self_hosting_notes(model, name: str, target: float | None) -> list[str]:
    """Queueing at the peak hour (under a latency target) and bursts it cannot absorb."""
    option = model.option(name)
    if not (isinstance(option, OwnedGPU) or (isinstance(option, RentedGPU)
                                             and option.billing == "reserved")):
        return []
    w = model.workload
    gpus = float(option_gpus(option, w))
    seconds_per_image = 3600.0 / float(option.images_per_hour)
    notes = []
    if target is not None and gpus >= 1:
        peak_per_second = (float(serving_images_per_month(w)) / HOURS_PER_MONTH
                           * float(w.peak_factor) / 3600.0)
        queue = queue_latency(peak_per_second, seconds_per_image, gpus)
        if queue.p95_latency_seconds > target:
            notes.append(f"At the peak hour its {gpus:.0f} GPU(s) run at "
                         f"{float(queue.utilization):.0%}, and an M/M/c queue puts the p95 "
                         f"latency at {float(queue.p95_latency_seconds):.3g} s, above the "
                         f"{target:g} s target: hold more GPUs (M/M/c overstates waits of "
                         "near-fixed generation times).")
    spec = model.scenario.workload
    if spec.burst_images and spec.burst_hours:
        needed = float(gpus_for_deadline(math.ceil(spec.burst_images),
                                         spec.burst_hours * 3600.0, seconds_per_image))
        burst = f"a burst of {_count(spec.burst_images)} images in {spec.burst_hours:g} h"
        if not math.isfinite(needed):
            notes.append(f"No number of its GPUs can absorb {burst}: one image takes "
                         f"{seconds_per_image:.3g} s, longer than the burst window; send "
                         "bursts to an API.")
        elif needed > gpus:
            notes.append(f"Its {gpus:.0f} GPU(s) cannot absorb {burst} (that needs "
                         f"{_count(needed)}): pre-provision or overflow to an API.")
    return notes


# --------------------------------------------------------------------------- decide


def decide(model, *, samples: int = 10_000, distribution: str = "pert", seed: int = 0,
           max_gpus: int = 64, catalog=None, sample_breakeven: bool = True) -> Decision:
    """The seven steps for a resolved scenario: constraints, costs with their uncertainty, and
    a recommendation with reasons (see the module notes).

    Parameters
    ----------
    model : costlib.scenario.Model
    samples : int  Monte Carlo samples. [samples]
    distribution : str  One of :data:`costlib.uncertainty.DISTRIBUTIONS`.
    seed : int  Seed, >= 0: the same seed gives the same decision.
    max_gpus : int  Largest local GPU count the hybrid optimizer considers. [GPUs]
    catalog : costlib.catalog.Catalog, optional  For the levers' typical figures; loaded
        with the scenario's quotes if not given.
    sample_breakeven : bool  False skips the break-even volume of every sample (two thirds
        of the time at a few hundred samples, for interactive views): the break-even's
        percentiles and share are then nan.

    Returns
    -------
    Decision
    """
    check_settings(samples, distribution, seed)
    if not isinstance(max_gpus, int) or isinstance(max_gpus, bool) or max_gpus < 1:
        raise InputError(f"max_gpus: {max_gpus!r} is not allowed; must be a whole number >= 1")
    scenario = model.scenario
    c = scenario.constraints
    if catalog is None:
        catalog = load_catalog(scenario.quotes, stale_after_days=scenario.stale_after_days)
    hired = not c.has_ops_team
    costed = _hire(model) if hired else model
    profile = preset_profile(scenario.workload.variability, float(model.workload.peak_factor))
    costed = costed.with_profile(profile)
    specs = {s.name: s for s in scenario.options}

    verdicts = {name: _constraints(model, name) for name in model.options}
    allowed = [n for n in model.options if not verdicts[n][0]]

    # hybrids at their cheapest local GPU count under the demand profile
    plans: dict[str, HybridPlan] = {}
    for name in allowed:
        if specs[name].kind == "hybrid":
            plans[name] = optimize_hybrid(costed, specs[name].local, specs[name].api,
                                          profile, max_gpus)
    counts = [dataclasses.replace(
        model.inputs[f"options.{n}.local_gpus"], value=float(p.best_hybrid_gpus),
        low=float(p.best_hybrid_gpus), high=float(p.best_hybrid_gpus),
        source=f"hybrid optimizer: cheapest of 1-{max_gpus} local GPUs", row="")
        for n, p in plans.items()]
    costed = costed.with_inputs(counts)

    base = {n: float(monthly_cost_usd(o, costed.workload, costed.ops))
            for n, o in costed.options.items()}
    images = float(costed.workload.images_per_month)
    per_approved = {n: (v / images * float(costed.workload.outputs_per_approved)
                        if images > 0 else math.inf) for n, v in base.items()}

    def notes_for(name):
        notes = list(verdicts[name][2])
        if hired and specs[name].kind != "api":
            notes.append("Costed with hiring one ML infrastructure engineer (1 FTE), since the "
                         "team has no operations capacity.")
        if name in plans:
            notes.append(f"Priced at its cheapest local GPU count, {plans[name].best_hybrid_gpus}"
                         f" (of 1-{max_gpus}; the scenario gives "
                         f"{model.values[f'options.{name}.local_gpus']:g}), with each hour's "
                         "excess sent to the API under the demand profile.")
        notes += _self_hosting_notes(costed, name, c.max_latency_s)
        return tuple(notes)

    def assessment(name, mc=None, percentiles=None):
        excluded, reasons, _, latency = verdicts[name]
        pct = percentiles.get(name) if percentiles else None
        return OptionAssessment(
            name, specs[name].label or name, specs[name].kind, ARCHITECTURES[specs[name].kind],
            not excluded, tuple(excluded), tuple(reasons), notes_for(name), latency,
            float(option_gpus(costed.options[name], costed.workload)), base[name],
            per_approved[name], *(pct if pct else (None, None, None)),
            None if mc is None or name not in mc.options else mc.p_cheapest[name])

    steps_head = _steps_head(model, profile, verdicts, hired)
    if not allowed:
        return _infeasible(model, verdicts, [assessment(n) for n in model.options], steps_head)

    ranked = sorted(allowed, key=lambda n: base[n])
    rec = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    alternative, volume = _alternative(costed, rec, ranked)
    sampled = alternative is not None and sample_breakeven
    mc = monte_carlo(costed, samples, distribution=distribution, seed=seed, options=ranked,
                     breakeven=(rec, alternative) if sampled else None)
    sens = tornado(costed, (rec, runner) if runner else rec, options=ranked)
    flips = tuple(flip_points(costed, options=ranked))
    breakeven = None if alternative is None else Breakeven(
        (rec, alternative), volume,
        *(breakeven_percentiles(mc.breakeven_images_per_month) if sampled else (math.nan,) * 3),
        float(np.mean(np.isfinite(mc.breakeven_images_per_month))) if sampled else math.nan)
    hybrid_plan = min(plans.values(), key=lambda p: p.monthly_usd[p.best_hybrid_gpus]) \
        if plans else _suggested_hybrid(costed, ranked, specs, profile, max_gpus)
    levers = _levers(costed, rec, catalog)
    percentiles = mc.percentiles()
    assessments = tuple(assessment(n, mc, percentiles) for n in model.options)

    # the deciding factor: the constraint without which another option would win
    free = model.with_profile(profile).with_inputs(counts)
    free_base = {n: float(monthly_cost_usd(o, free.workload, free.ops))
                 for n, o in free.options.items()}
    free_winner = min(model.options, key=lambda n: free_base[n])
    unhired_winner = min(allowed, key=lambda n: free_base[n])
    if verdicts[free_winner][0]:
        factor = " and ".join(verdicts[free_winner][0])
    elif hired and unhired_winner != rec:
        factor = "operations"
    else:
        factor = "cost"

    a = {x.name: x for x in assessments}
    reasons = _reasons(costed, a, rec, runner, factor, free_winner, unhired_winner, mc, sens,
                       flips, breakeven)
    advice = _advice(costed, a, rec, alternative, breakeven, mc, sens, hybrid_plan, allowed,
                     verdicts)
    steps = steps_head + _steps_tail(costed, a, rec, ranked, advice, reasons)
    return Decision(scenario.name, True, rec, a[rec].label, a[rec].architecture,
                    mc.p_cheapest[rec], runner, factor, tuple(reasons), tuple(advice),
                    assessments, breakeven, sens, flips, hybrid_plan, tuple(levers),
                    steps, mc)


def _infeasible(model, verdicts, assessments, steps_head) -> Decision:
    blocking = sorted({b for v in verdicts.values() for b in v[0]})
    c = model.scenario.constraints
    words = {"privacy": f"privacy ({c.privacy} data, no data-processing agreement)",
             "latency": f"latency (the {c.max_latency_s:g} s target)"
             if c.max_latency_s is not None else "latency"}
    reason = (f"Infeasible: no option meets the hard constraints; "
              f"{' and '.join(words[b] for b in blocking)} exclude all "
              f"{len(assessments)} options, so there is nothing to recommend.")
    advice = []
    if "privacy" in blocking:
        advice.append("Add a self-hosted option (rented or owned GPUs) that meets the other "
                      "constraints, or obtain a data-processing agreement after legal review "
                      f"of each provider ({_AD}).")
    if "latency" in blocking:
        advice.append(f"Relax the latency target, or add a warm dedicated GPU or a turbo-class "
                      f"model (SDXL-Turbo, LCM, Flux schnell: 1-3 s per {_IB}); most production "
                      "deployments generate asynchronously with webhook callbacks.")
    steps = steps_head + (
        Step(5, STEP_TITLES[4], ("No option is left to cost.",)),
        Step(6, STEP_TITLES[5], tuple(advice)),
        Step(7, STEP_TITLES[6], (reason,)))
    return Decision(model.scenario.name, False, None, None, None, None, None,
                    " and ".join(blocking), (reason,), tuple(advice), tuple(assessments), None,
                    None, (), None, (), steps, None)


def _alternative(model, rec: str, ranked: list[str]) -> tuple[str | None, float]:
    """The option of the other architecture (cloud against self-hosted) that the volume
    matters most to, and its break-even volume at base values.

    For a recommended API: the self-hosted option that becomes cheaper at the lowest volume
    above today's. For a recommended self-hosted option: the API that stays cheaper up to the
    highest volume below today's. Where none crosses, the cheapest of the other architecture
    with ``inf``; None where the other architecture has no option kept.
    """
    cloud = model.option(rec).kind == "api"
    others = [n for n in ranked if (model.option(n).kind == "api") != cloud]
    if not others:
        return None, math.inf
    images = float(model.workload.images_per_month)
    best, best_volume = others[0], math.inf
    for name in others:
        crossings = crossings_images_per_month(model.options[rec], model.options[name],
                                               model.workload, model.ops)
        if cloud:
            later = [v for v in crossings if v > images]
            if later and later[0] < best_volume:
                best, best_volume = name, later[0]
        else:
            earlier = [v for v in crossings if v <= images]
            if earlier and (not math.isfinite(best_volume) or earlier[-1] > best_volume):
                best, best_volume = name, earlier[-1]
    return best, best_volume


def _suggested_hybrid(model, ranked, specs, profile, max_gpus) -> HybridPlan | None:
    """Without a hybrid option: the cheapest kept API with the cheapest kept reserved or
    owned GPUs, for the advice."""
    apis = [n for n in ranked if specs[n].kind == "api"]
    locals_ = [n for n in ranked if specs[n].kind == "owned"
               or (specs[n].kind == "rented" and model.options[n].billing == "reserved")]
    if not apis or not locals_:
        return None
    return optimize_hybrid(model, locals_[0], apis[0], profile, max_gpus)


def _levers(model, rec: str, catalog) -> list[Lever]:
    """The ImageBench guide's levers on the recommended option at base values."""
    w = model.workload

    def cost(changes):
        m = model.with_values(changes)
        return float(monthly_cost_usd(m.options[rec], m.workload, m.ops))

    now = cost({})
    levers = []
    cache = catalog.get("overheads", "semantic_cache_hit_rate")
    current = float(w.cache_hit_rate)
    if current > 0:
        saving = cost({"workload.cache_hit_rate": 0.0}) - now
        levers.append(Lever("cache", f"{current:.0%} cache hit rate (the scenario's)", saving,
                            f"Caching: the scenario's {current:.0%} hit rate saves "
                            f"{_usd(saving)}/month."))
    else:
        saving = now - cost({"workload.cache_hit_rate": cache.value})
        levers.append(Lever("cache", f"{cache.value:.1%} hit rate ({cache.source})", saving,
                            f"Caching: semantic caching at a {cache.value:.1%} hit rate "
                            f"({cache.low:.0%}-{cache.high:.0%} per {_IB}) would save "
                            f"{_usd(saving)}/month on {rec}."))
    ratio = float(w.preview_cost_ratio)
    share = float(w.preview_share)
    if share > 0:
        saving = cost({"workload.preview_share": 0.0}) - now
        levers.append(Lever("previews", f"{share:.0%} previews at {ratio:.0%} of a final",
                            saving, f"Cascading previews: the scenario's {share:.0%} previews "
                            f"(each {ratio:.0%} of a final generation) save {_usd(saving)}/"
                            "month."))
    else:
        tiering = catalog.get("overheads", "quality_tiering_saving")
        share = min(tiering.value / (1.0 - ratio), 0.99) if ratio < 1 else 0.0
        saving = now - cost({"workload.preview_share": share})
        levers.append(Lever("previews", f"{share:.0%} previews at {ratio:.0%} of a final",
                            saving, f"Cascading previews (a turbo preview the user iterates on "
                            f"before the final generation) cut generation cost by "
                            f"{tiering.low:.0%}-{tiering.high:.0%} per {_IB}: at {share:.0%} "
                            f"previews costing {ratio:.0%} of a final they would save "
                            f"{_usd(saving)}/month on {rec}."))
    tokens = float(w.prompt_tokens_per_image)
    priced = [n for n, o in model.options.items()
              if isinstance(o, ManagedAPI) and float(o.usd_per_prompt_token) > 0]
    if tokens > 0 and priced:
        shorter = tokens * PROMPT_TOKENS_OPTIMIZED_RATIO
        saving = now - cost({"workload.prompt_tokens_per_image": shorter})
        levers.append(Lever("prompt", f"{shorter:.0f} instead of {tokens:.0f} tokens", saving,
                            f"Prompt optimization: prompts of {shorter:.0f} instead of "
                            f"{tokens:.0f} tokens ({_IB}'s 45-to-12 example) would save "
                            f"{_usd(saving)}/month on {rec}."))
    else:
        levers.append(Lever("prompt", "no token-priced API", 0.0,
                            "Prompt optimization saves nothing directly here: the APIs price "
                            "per image, not per prompt token (set usd_per_prompt_token and "
                            "prompt_tokens_per_image where one does); its gain is fewer "
                            "outputs per approved asset, which a prototype measures."))
    return levers


# --------------------------------------------------------------------------- words


def _reasons(model, a, rec, runner, factor, free_winner, unhired_winner, mc, sens, flips,
             breakeven) -> list[str]:
    c = model.scenario.constraints
    r = a[rec]
    images = float(model.workload.images_per_month)
    cost_line = (f"{r.label} costs {_usd(r.monthly_usd)}/month "
                 f"({_usd(r.usd_per_approved)} per approved asset)")
    if runner is not None:
        cost_line += (f", {_usd(a[runner].monthly_usd - r.monthly_usd)} less than "
                      f"{a[runner].label}")
    if factor == "cost":
        first = f"Cost decides at {_count(images)} images/month: {cost_line}."
    elif factor == "operations":
        first = (f"Operations capacity decides: the team has no one to run GPUs, so "
                 f"self-hosting carries hiring at least one ML infrastructure engineer; without "
                 f"that hire {a[unhired_winner].label} would be cheapest. {cost_line}.")
    else:
        words = []
        if "privacy" in factor:
            words.append(f"prompts and images are {c.privacy} and no data-processing "
                         "agreement is available, so no third-party API may receive them")
        if "latency" in factor:
            words.append(
                f"the {c.max_latency_s:g} s latency target is real time (at most "
                f"{REAL_TIME_SECONDS:g} s), where only warm dedicated GPUs and turbo-class "
                f"models suffice ({_IB})" if c.max_latency_s <= REAL_TIME_SECONDS else
                f"the {c.max_latency_s:g} s latency target excludes the cheapest option")
        first = (f"{factor.capitalize()} decides: {'; '.join(words)}. Without that "
                 f"constraint {a[free_winner].label} would be cheapest "
                 f"({_usd(a[free_winner].monthly_usd)}/month). Among the options kept, "
                 f"{cost_line}.")
    reasons = [first]
    p = mc.p_cheapest[rec]
    reasons.append(f"{r.label} is the cheapest in {p:.0%} of {mc.samples:,} Monte Carlo "
                   f"samples; its monthly cost lies between {_usd(r.monthly_usd_p5)} and "
                   f"{_usd(r.monthly_usd_p95)} (P5-P95).")
    favourite = max(mc.p_cheapest, key=mc.p_cheapest.get)
    if favourite != rec:
        reasons.append(f"{a[favourite].label} is the cheapest in more samples "
                       f"({mc.p_cheapest[favourite]:.0%}), though not at the base values: "
                       "the two are close.")
    if sens.bars and _matters(sens.bars[0].swing, sens.base_usd) and runner is not None:
        top = sens.bars[0]
        reasons.append(f"The margin over {a[runner].label} is most sensitive to "
                       f"{top.factor.name} ({fmt(top.factor.low)}-{fmt(top.factor.high)} "
                       f"{top.factor.unit}), which moves it by {_usd(top.swing)}/month.")
    flipping = sorted((f for f in flips if f.below is not None or f.above is not None),
                      key=lambda f: _distance(f))
    for f in flipping[:3]:
        reasons.append(f.sentence())
    if not flipping:
        reasons.append("No single input flips the recommendation within its range.")
    if breakeven is not None and math.isfinite(breakeven.images_per_month):
        alt = a[breakeven.options[1]].label
        direction = "above" if r.kind == "api" else "below"
        sampled = ("" if math.isnan(breakeven.p5) else
                   f" (sampled: {_count(breakeven.p5)} to {_count(breakeven.p95)}, P5-P95)")
        reasons.append(f"{alt} becomes cheaper {direction} about "
                       f"{_count(breakeven.images_per_month)} images/month{sampled}.")
    excluded = [x for x in a.values() if not x.allowed]
    if excluded:
        reasons.append(f"{len(excluded)} of {len(a)} options are excluded: "
                       + "; ".join(f"{x.label} ({', '.join(x.excluded_by)})" for x in excluded)
                       + ".")
    return reasons


def _matters(swing: float, base_usd: float) -> bool:
    """A swing above rounding noise (a millionth of the output, at least a cent)."""
    return swing > max(0.01, 1e-6 * abs(base_usd))


def _distance(flip: FlipPoint) -> float:
    """How far a factor must move to flip, as a share of its range."""
    f = flip.factor
    span = f.high - f.low
    return min(abs(v - f.value) / span for v in (flip.below, flip.above) if v is not None)


def _advice(model, a, rec, alternative, breakeven, mc, sens, plan, allowed,
            verdicts) -> list[str]:
    c = model.scenario.constraints
    r = a[rec]
    images = float(model.workload.images_per_month)
    advice = []
    apis = [n for n in allowed if a[n].kind == "api"]
    if r.kind == "api":
        line = (f"Start managed and stay managed until the economics force the conversation "
                f"({_AD}).")
        if breakeven is not None and math.isfinite(breakeven.images_per_month):
            line += (f" Revisit at measured volume: {a[breakeven.options[1]].label} becomes "
                     f"cheaper from about {_count(breakeven.images_per_month)} images/month.")
        elif alternative is not None:
            line += (f" No self-hosted option of this scenario becomes cheaper below "
                     f"{_count(1e9)} images/month.")
        elif images < MANAGED_UNTIL_IMAGES_PER_MONTH:
            line += (f" Revisit when measured volume nears {_count(MANAGED_UNTIL_IMAGES_PER_MONTH)}"
                     f" images/month, where self-hosting typically breaks even ({_AD}).")
        advice.append(line)
    elif apis:
        if images < MANAGED_UNTIL_IMAGES_PER_MONTH:
            advice.append(f"The architecture article's default is to start managed: below about "
                          f"{_count(MANAGED_UNTIL_IMAGES_PER_MONTH)} images/month self-hosting "
                          f"rarely pays once engineering is counted. Here {r.label} is cheaper "
                          f"(P = {mc.p_cheapest[rec]:.0%}); confirm the volume on "
                          f"{a[apis[0]].label} first.")
        volume = breakeven.images_per_month if breakeven is not None else math.inf
        below = (f"; the saving holds above about {_count(volume)} images/month"
                 if math.isfinite(volume) else "")
        advice.append(f"Prototype before committing: run real prompts through "
                      f"{a[apis[0]].label} and measure accepted outputs per asset (assumed "
                      f"{float(model.workload.outputs_per_approved):g}) and the volume{below}.")
    else:
        advice.append("Prototype before committing: run real prompts on the chosen GPUs and "
                      "measure accepted outputs per asset, not generated images.")
    if any("privacy" in v[0] for v in verdicts.values()):
        advice.append(f"A signed data-processing agreement, after legal review of each "
                      f"provider, would reopen managed APIs ({_AD}).")
    if not c.has_ops_team and r.kind != "api":
        advice.append("Self-hosting wins even with hiring: budget the ML infrastructure "
                      "engineer and the serving setup (2-4 weeks) before moving.")
    if mc.p_cheapest[rec] < CLOSE_CALL:
        top = ", ".join(b.factor.name for b in sens.bars[:3]
                        if _matters(b.swing, sens.base_usd))
        advice.append(f"A close call (P = {mc.p_cheapest[rec]:.0%}): narrow the ranges of "
                      f"{top or 'the inputs'} with quotes or a prototype before committing, "
                      "or prefer the choice that is easier to reverse.")
    if plan is not None and r.kind != "hybrid" and plan.best_gpus > 0 \
            and plan.best_monthly_usd < r.monthly_usd:
        advice.append(f"A hybrid of {plan.best_gpus} {plan.local} GPU(s) with {plan.api} taking "
                      f"each hour's excess would cost {_usd(plan.best_monthly_usd)}/month, "
                      f"{_usd(r.monthly_usd - plan.best_monthly_usd)} less: add it to the "
                      "scenario as a hybrid option to weigh it with its uncertainty.")
    return advice


def _steps_head(model, profile, verdicts, hired) -> tuple[Step, ...]:
    s = model.scenario
    w = model.workload
    images = model.inputs["workload.images_per_month"]
    approved = float(w.images_per_month) / float(w.outputs_per_approved)
    c = s.constraints
    one = [f"{s.name}: {s.description}".rstrip(": ") if s.description else s.name,
           f"{s.workload.model} at {s.workload.resolution}; {_count(approved)} approved assets "
           f"a month at {float(w.outputs_per_approved):g} outputs per approved asset."]
    two = [f"{_count(images.value)} images/month"
           + (f" ({_count(images.low)}-{_count(images.high)})" if images.low < images.high
              else "") + f", {s.workload.variability.replace('_', ' ')} demand with a peak hour "
           f"{float(np.max(profile)):.3g} times the mean hour."]
    if s.workload.burst_images and s.workload.burst_hours:
        two.append(f"Bursts of {_count(s.workload.burst_images)} images in "
                   f"{s.workload.burst_hours:g} h.")
    three = [f"Prompts and images are {c.privacy}; a data-processing agreement is "
             f"{'available' if c.dpa_available else 'not available'}."]
    excluded = [n for n in model.options if "privacy" in verdicts[n][0]]
    if excluded:
        three.append(f"Excluded for privacy (third-party APIs): {', '.join(excluded)}.")
    if c.max_latency_s is not None:
        late = [n for n in model.options if "latency" in verdicts[n][0]]
        three.append(f"Latency target {c.max_latency_s:g} s"
                     + (f": excluded {', '.join(late)}." if late else ": every option meets it."))
    four = [("The team has no operations capacity: self-hosting is costed with hiring one ML "
             "infrastructure engineer.") if hired else
            (f"The team operates GPUs with {model.values['ops.ml_engineer_fte']:g} FTE of an ML "
             "infrastructure engineer when self-hosting.")]
    return (Step(1, STEP_TITLES[0], tuple(one)), Step(2, STEP_TITLES[1], tuple(two)),
            Step(3, STEP_TITLES[2], tuple(three)), Step(4, STEP_TITLES[3], tuple(four)))


def _steps_tail(model, a, rec, ranked, advice, reasons) -> tuple[Step, ...]:
    five = [f"{a[n].label}: {_usd(a[n].monthly_usd)}/month (P5-P95 "
            f"{_usd(a[n].monthly_usd_p5)}-{_usd(a[n].monthly_usd_p95)}), "
            f"{_usd(a[n].usd_per_approved)} per approved asset, cheapest in "
            f"{a[n].p_cheapest:.0%} of samples." for n in ranked]
    outputs = model.inputs["workload.outputs_per_approved"]
    six = [x for x in advice if x.startswith(("Prototype", "The architecture"))] or [
        f"Measure accepted outputs, not generated images, on real prompts: the costs assume "
        f"{outputs.value:g} outputs per approved asset ({outputs.low:g}-{outputs.high:g})."]
    seven = [f"Choose {a[rec].architecture}: {a[rec].label} (confidence "
             f"{a[rec].p_cheapest:.0%}).", reasons[0]]
    return (Step(5, STEP_TITLES[4], tuple(five)), Step(6, STEP_TITLES[5], tuple(six)),
            Step(7, STEP_TITLES[6], tuple(seven)))
