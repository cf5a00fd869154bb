"""The seven-step framework as facts: constraints and costs in, a typed decision out.

:func:`decide` follows the framework article's steps (define the use case; estimate volume and
variability; set privacy requirements; measure operational capacity; model total cost;
prototype before committing; choose cloud, local or hybrid):

1. Hard constraints first. Every option is assessed and kept or excluded, with the facts of
   each rule in a :class:`Verdict`:

   - Privacy: prompts and images rated "confidential" or "regulated" may not go to a third
     party unless a data-processing agreement is marked available; without one every option
     that sends them to a third party (APIs, hybrids) is excluded.
   - Latency: with ``max_latency_s`` set, an option is kept only if its warm latency at the
     high end of its range (the 95th percentile) meets the target. APIs take their figures
     from the catalog's api_latency families (the option's ``latency``, or the defaults of the
     shipped offers); self-hosted GPUs answer a request when its call ends: a call of
     ``batch_size`` images takes ``batch_size * 3600 / images_per_hour`` seconds (the option's
     throughput at that batch size), so a larger batch can miss a target that batch 1 meets;
     held as dedicated GPUs (reserved or owned), stay warm (no cold starts); an on-demand
     rental is started for busy hours, so it is not warm capacity and is excluded; a hybrid is
     as slow as the slower of its parts. At the ImageBench guide's real-time target of 3 s
     this leaves turbo-class models and warm dedicated GPUs, as the guide says.
   - Memory: a GPU option (a hybrid: its local GPUs) whose GPU lacks the memory the
     scenario's model needs at its batch size and precision even at the low end (text
     encoders off the GPU after encoding) is excluded; where only that low end fits, it is
     kept with a note
     (:class:`costlib.throughput.MemoryFit`, the catalog's ``model_memory`` and
     ``gpu_hardware`` rows).
   - Operations: with no operations team (``has_ops_team: false``) self-hosting carries the
     hiring cost of at least one full-time ML infrastructure engineer, so every self-hosted
     option is costed with ``ml_engineer_fte >= 1``.

2. Costs with their uncertainty, among the options kept: base monthly costs under the
   scenario's hourly demand profile (hybrids overflow hour by hour, each at its cheapest local
   GPU count from :func:`costlib.capacity.optimize_hybrid`), a Monte Carlo sample
   (:func:`costlib.uncertainty.monte_carlo`), a tornado of the difference between the
   cheapest option and the runner-up, flip points, and the break-even volume against the best
   option of the other architecture.

3. A recommendation: the option cheapest at base values, its architecture (cloud: a managed
   API; local: GPUs the team runs, rented or owned; hybrid), the probability that it is the
   cheapest as its confidence, the deciding factor (the constraint without which another
   option would win, or cost), and the optimization levers' effect on its cost. Where every
   option is excluded the decision is infeasible: it names the constraints and carries no
   cost figure as an answer.

This module holds the facts and the rules (:data:`CLOSE_CALL`, :func:`matters`); the plain
sentences that narrate them (a decision's reasons and advice, each option's reasons and notes,
the levers' sentences, the steps' findings) come from :mod:`costlib.narrative`, which
:func:`decide` calls to fill the text fields. Every result type is built with keyword
arguments.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from costlib.breakeven import crossings_against
from costlib.capacity import (
    HybridPlan,
    gpus_for_deadline,
    optimize_hybrid,
    preset_profile,
    queue_latency,
)
from costlib.catalog import load_catalog
from costlib.errors import InputError
from costlib.fmt import json_ready, quantity
from costlib.labels import option_of
from costlib.options import HOURS_PER_MONTH
from costlib.sizing import gpus_needed
from costlib.tco import (
    approved_per_month,
    monthly_cost_by_area,
    monthly_cost_usd,
    option_gpus,
    option_workload,
    serving_images_per_month,
    shared_review_usd,
)
from costlib.throughput import MemoryFit, seconds_per_call
from costlib.uncertainty import (
    FlipPoint,
    MonteCarlo,
    Tornado,
    breakeven_percentiles,
    check_settings,
    flip_points,
    monte_carlo,
    options_used_by,
    tornado,
)

# ImageBench guide: "For real-time use cases (<=3 second target), only turbo models or
# pre-warmed dedicated instances suffice."
REAL_TIME_SECONDS = 3.0
# Architecture article (2026-05-19): "~500K images per month at which self-hosted GPU
# infrastructure typically breaks even against managed APIs - including fully-loaded
# engineering cost".
MANAGED_UNTIL_IMAGES_PER_MONTH = 500_000
# ImageBench's prompt optimization example: a 45-token prompt rewritten in 12 tokens.
PROMPT_TOKENS_OPTIMIZED_RATIO = 12 / 45
# Confidence (probability of being the cheapest option kept) below which the answer is a
# close call. [0-1]
CLOSE_CALL = 0.6
# Privacy ratings that may not go to a third party without a data-processing agreement.
SENSITIVE = ("confidential", "regulated")


def matters(swing_usd: float, base_usd: float) -> bool:
    """Whether a swing of a monthly cost is above rounding noise: more than a cent and more
    than a millionth of the cost at base values (nan never matters).

    swing_usd : float  How far an input moves the output. [USD/month]
    base_usd : float  The output at base values. [USD/month]
    """
    return bool(swing_usd > max(0.01, 1e-6 * abs(base_usd)))


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, kw_only=True)
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
    Otherwise GPUs the team runs answer when a call of the option's batch size ends,
    ``batch_size * 3600 / images_per_hour`` seconds (the range follows the throughput's
    range), with no cold start; only dedicated GPUs (reserved or
    owned) count as warm dedicated capacity; an API has no figure. A hybrid is as slow as the
    slower of its two parts. [s]
    """
    option = model.option(name)
    dedicated = option.holds_dedicated_gpus
    figures = model.records[name].latency
    warm = figures.get("warm") or figures.get("typical")
    if warm is not None:
        cold = figures.get("cold_start")
        # dedicated GPUs with no API behind them are kept warm: no cold start
        keeps_cold = cold is not None and not (dedicated and option.api_part is None)
        return Latency(warm_seconds=(warm.low, warm.value, warm.high),
                       cold_start_seconds=(cold.low, cold.value, cold.high) if keeps_cold
                       else None,
                       warm_dedicated=dedicated, source=warm.source)
    local, api = option.local_part, option.api_part
    if local is not None and api is not None:
        parts = [option_latency(model, local.name), option_latency(model, api.name)]
        if any(p is None for p in parts):
            return None
        colds = [p.cold_start_seconds for p in parts if p.cold_start_seconds]
        return Latency(
            warm_seconds=tuple(max(p.warm_seconds[i] for p in parts) for i in range(3)),
            cold_start_seconds=tuple(max(c[i] for c in colds) for i in range(3)) if colds
            else None,
            warm_dedicated=dedicated, source="; ".join(p.source for p in parts))
    if local is None and not option.scales_to_zero:
        return None
    rate = model.inputs[f"options.{name}.images_per_hour"]
    batch = model.records[name].batch_size
    cold = None
    if option.scales_to_zero:  # a serverless GPU boots and loads the model after idle gaps
        c = model.inputs[f"options.{name}.cold_start_seconds"]
        cold = (c.low, c.value, c.high)
    call = "3600 s" if batch == 1 else f"a call of {batch} images, {batch} x 3600 s,"
    return Latency(warm_seconds=tuple(float(seconds_per_call(r, batch))
                                      for r in (rate.high, rate.value, rate.low)),
                   cold_start_seconds=cold, warm_dedicated=dedicated,
                   source=f"{call} over its throughput of {quantity(rate.value, rate.unit)} "
                          f"({rate.source})")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What the hard constraints say about one option: the facts, no words.

    excluded_by : tuple of str  The constraints that exclude it ("privacy", "latency",
        "memory").
    privacy : str  How the scenario rates prompts and images ("public", "internal",
        "confidential" or "regulated").
    privacy_rule : str or None  How the privacy constraint applies where the data is
        confidential or regulated: "stays_local" (GPUs the team runs), "dpa" (a third party,
        allowed under the data-processing agreement) or "excluded" (a third party, no
        agreement); None for public or internal data.
    max_latency_s : float or None  The latency target; None where none is set. [s]
    latency : Latency or None  The option's latency, where anything gives it.
    latency_rule : str or None  Under a target: "meets" (warm latency at the high end of its
        range at or under the target), "too_slow" (above it), "unknown" (no figure to check)
        "not_warm" (an on-demand rental, started for busy hours) or "queued" (a serverless GPU
        whose busiest hour needs more GPUs than the provider runs at once); None without a
        target.
    cold_start_misses : bool  Kept on latency, but its cold starts (high end) miss the target.
    memory : MemoryFit or None  The model's memory need against its GPU's memory (rented,
        owned, serverless and hybrid options); None where a figure is missing.
    memory_rule : str or None  ``memory.rule``: "fits", "tight" (only with the text encoders
        off the GPU after encoding) or "too_small" (excluded); None without ``memory``.
    """

    excluded_by: tuple[str, ...]
    privacy: str
    privacy_rule: Literal["stays_local", "dpa", "excluded"] | None
    max_latency_s: float | None
    latency: Latency | None
    latency_rule: Literal["meets", "too_slow", "unknown", "not_warm", "queued"] | None
    cold_start_misses: bool
    memory: MemoryFit | None
    memory_rule: Literal["fits", "tight", "too_small"] | None


@dataclass(frozen=True, kw_only=True)
class PeakQueue:
    """Queueing at the peak hour where an M/M/c queue's p95 latency misses the target.

    gpus : float  GPUs the option holds. [GPUs]
    utilization : float  Their utilization at the peak hour. [0-1, above 1 overloaded]
    p95_latency_s : float  95th percentile latency, wait included; ``inf`` where the queue
        never clears. [s]
    max_latency_s : float  The target. [s]
    """

    gpus: float
    utilization: float
    p95_latency_s: float
    max_latency_s: float


@dataclass(frozen=True, kw_only=True)
class BurstShortfall:
    """A burst of the scenario that the option's GPUs cannot generate within its window.

    images : float  Images in the burst. [images]
    hours : float  The window. [h]
    gpus : float  GPUs the option holds. [GPUs]
    gpus_needed : float  GPUs the burst needs; ``inf`` where one call takes longer than the
        window, so no number of GPUs can. [GPUs]
    seconds_per_call : float  Time one GPU takes for a call of ``batch_size`` images. [s]
    batch_size : int  Images a call. [images]
    """

    images: float
    hours: float
    gpus: float
    gpus_needed: float
    seconds_per_call: float
    batch_size: int = 1


@dataclass(frozen=True, kw_only=True)
class HybridSizing:
    """How a hybrid option was sized for the decision.

    gpus : int  The cheapest local GPU count (advice: the option is priced at the
        scenario's count). [GPUs]
    max_gpus : int  The largest count considered. [GPUs]
    scenario_gpus : float  The count the scenario gives. [GPUs]
    """

    gpus: int
    max_gpus: int
    scenario_gpus: float


@dataclass(frozen=True, kw_only=True)
class OptionAssessment:
    """One option: kept or excluded by the constraints, and what it costs.

    name, label, kind : str  Its name in the scenario, its label for people, and its kind.
    architecture : str  "cloud", "local" or "hybrid".
    self_hosted : bool  The team runs GPUs for it (rented, owned or a hybrid's local part).
    allowed : bool  Kept by every hard constraint.
    excluded_by : tuple of str  The constraints that exclude it ("privacy", "latency").
    verdict : Verdict  The constraints' facts.
    latency : Latency or None
    hired : bool  Costed with hiring an ML infrastructure engineer (no operations team).
    hybrid_sizing : HybridSizing or None  For a hybrid kept: its local GPU count.
    peak_queue : PeakQueue or None  Where queueing at the peak misses the latency target.
    burst : BurstShortfall or None  Where its GPUs cannot absorb the scenario's burst.
    gpus : float  GPUs it holds at the base values. [GPUs]
    monthly_usd : float  Base monthly cost (shown for excluded options too, for what the
        constraint costs). [USD/month]
    differing_usd : float  The part of it the choice changes: all but the review labor
        every option pays (``Decision.shared_usd``). [USD/month]
    usd_per_approved : float  ``inf`` at zero volume. [USD/asset]
    monthly_usd_p5, monthly_usd_p50, monthly_usd_p95 : float or None  From the Monte Carlo
        sample; None for excluded options. [USD/month]
    p_cheapest : float or None  Probability of being the cheapest option kept; None where
        excluded. [0-1]
    reasons : tuple of str  One sentence per constraint that applies: why kept or excluded.
    notes : tuple of str  Caveats that do not exclude it (cold starts, queueing at the peak,
        a burst it cannot absorb, hiring, the hybrid GPU count chosen).
    """

    name: str
    label: str
    kind: str
    architecture: str
    self_hosted: bool
    allowed: bool
    excluded_by: tuple[str, ...]
    verdict: Verdict
    latency: Latency | None
    hired: bool = False
    hybrid_sizing: HybridSizing | None = None
    peak_queue: PeakQueue | None = None
    burst: BurstShortfall | None = None
    gpus: float
    monthly_usd: float
    differing_usd: float
    usd_per_approved: float
    monthly_usd_p5: float | None = None
    monthly_usd_p50: float | None = None
    monthly_usd_p95: float | None = None
    p_cheapest: float | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Breakeven:
    """The volume at which the best option of the other architecture takes over.

    options : (recommended, alternative)
    alternative_cheaper_above : bool  True where the alternative becomes cheaper above the
        volume (a recommended API against GPUs), False where below it (recommended GPUs
        against an API).
    images_per_month : float  At the base values: the first volume above today's at which
        the alternative becomes cheaper (for a recommended API), or the last one below today's
        (for a recommended self-hosted option); ``inf`` where there is none. [images/month]
    p5, p50, p95 : float  Percentiles of the sampled break-even volume (first change from 0
        upward), ``inf`` where the sample never breaks even; nan where not sampled.
        [images/month]
    p_breaks_even : float  Share of samples that break even within the searched volumes;
        nan where not sampled. [0-1]
    """

    options: tuple[str, str]
    alternative_cheaper_above: bool
    images_per_month: float
    p5: float
    p50: float
    p95: float
    p_breaks_even: float


@dataclass(frozen=True, kw_only=True)
class Lever:
    """An optimization lever from the ImageBench guide and its effect on the recommendation.

    name : str  "cache", "previews" or "prompt".
    option : str  The option it is applied to (the recommendation), by name.
    applies : bool  False where it cannot change the cost (prompt optimization with no API
        that prices prompt tokens).
    from_scenario : bool  The scenario's own setting (the saving is what it already saves),
        or the guide's typical figure (what it would save).
    value : float  The setting compared: a cache hit rate [0-1], a share of previews [0-1]
        or the optimized prompt length [tokens/image]; 0 where it does not apply.
    reference : float  Previews: a preview's cost over a final generation [ratio]; prompt:
        today's prompt length [tokens/image]; cache: 0.
    guide_low, guide_high : float or None  The guide's range: the hit rate for caching, the
        cut in generation cost for previews. [0-1]
    source : str  Where a typical figure comes from ('' for the scenario's own).
    saving_usd_per_month : float  Monthly cost of the recommended option without the lever
        minus with it. [USD/month]
    setting : str  The setting compared, in words.
    sentence : str
    """

    name: Literal["cache", "previews", "prompt"]
    option: str
    applies: bool = True
    from_scenario: bool
    value: float
    reference: float = 0.0
    guide_low: float | None = None
    guide_high: float | None = None
    source: str = ""
    saving_usd_per_month: float
    setting: str = ""
    sentence: str = ""


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of the framework, with what the analysis found."""

    number: int
    title: str
    findings: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Setting:
    """The scenario as the first four steps describe it.

    scenario, description : str  Its name and description.
    image_model, resolution : str  e.g. "sdxl", "1024x1024".
    images_per_month : (low, value, high)  [images/month]
    outputs_per_approved : (low, value, high)  [images/asset]
    variability : str  The demand preset ("steady", "business_hours", ...).
    peak_over_mean : float  The busiest hour of the demand profile over the mean hour. [ratio]
    burst_images : float or None  [images]
    burst_hours : float or None  [h]
    privacy : str
    dpa_available : bool
    max_latency_s : float or None  [s]
    has_ops_team : bool
    ml_engineer_fte : float  The scenario's share of an ML infrastructure engineer. [FTE]
    """

    scenario: str
    description: str
    image_model: str
    resolution: str
    images_per_month: tuple[float, float, float]
    outputs_per_approved: tuple[float, float, float]
    variability: str
    peak_over_mean: float
    burst_images: float | None
    burst_hours: float | None
    privacy: str
    dpa_available: bool
    max_latency_s: float | None
    has_ops_team: bool
    ml_engineer_fte: float


@dataclass(frozen=True, kw_only=True)
class Tie:
    """Options within the materiality band of the cheapest, and how one was chosen.

    options : tuple of str  The tied options, cheapest first.
    criterion : str  What chose: "acceptance", "privacy", "operations", "latency" or "cost"
        (the first of these on which the chosen option beats the next one).
    next_option : str  The tied option that came second.
    chosen_value, next_value : float  The two options' figures on that criterion: outputs
        per approved asset, data leaving the team (1) or not (0), operational burden (0 no
        GPUs to run, 0.5 a serverless GPU, 1 GPUs to run, 2 hardware bought), warm latency
        at the high end [s], monthly cost [USD/month].
    """

    options: tuple[str, ...]
    criterion: str
    next_option: str
    chosen_value: float
    next_value: float


# Among practically tied options, the non-cost criteria in the order they decide.
TIE_CRITERIA = ("acceptance", "privacy", "operations", "latency", "cost")


def materiality_usd(scenario, cheapest_usd: float) -> float:
    """The band within which monthly costs are practically tied: the scenario's
    ``materiality_share`` of the cheapest option's cost, at least its
    ``materiality_usd_per_month``. [USD/month]"""
    return max(scenario.materiality_share * cheapest_usd, scenario.materiality_usd_per_month)


def _tie_figures(model, name: str, verdict) -> tuple[float, ...]:
    """An option's figures on :data:`TIE_CRITERIA`, lower is better. Latency counts only
    where someone waits for the image (a latency target, or user-facing serving); for a
    batch workload every option's is 0, so cost decides before it."""
    option = model.options[name]
    outputs = option.outputs_per_approved or float(model.workload.outputs_per_approved)
    c = model.scenario.constraints
    sensitive = c.privacy in ("confidential", "regulated")
    waits = c.max_latency_s is not None or c.user_facing
    latency = 0.0 if not waits else (
        verdict.latency.warm_seconds[2] if verdict.latency is not None else math.inf)
    return (float(outputs), float(sensitive and option.third_party),
            option.operations_burden, float(latency))


def _break_tie(model, tied: list[str], verdicts, base: dict) -> tuple[str, Tie]:
    """The tied option that is best on the first criterion that tells them apart."""
    figures = {n: (*_tie_figures(model, n, verdicts[n]), base[n]) for n in tied}
    ordered = sorted(tied, key=lambda n: figures[n])
    chosen, second = ordered[0], ordered[1]
    k = next((i for i, (a, b) in enumerate(zip(figures[chosen], figures[second], strict=True))
              if a != b), len(TIE_CRITERIA) - 1)
    return chosen, Tie(options=tuple(tied), criterion=TIE_CRITERIA[k], next_option=second,
                       chosen_value=figures[chosen][k], next_value=figures[second][k])


def _confidence(mc, rec: str, share: float, floor_usd: float) -> float:
    """Share of samples in which ``rec`` is cheaper than every other option by more than
    the materiality band (the share of its own sampled cost, at least the floor)."""
    mine = mc.monthly_usd[rec]
    others = [mc.monthly_usd[n] for n in mc.options if n != rec]
    if not others:
        return 1.0
    band = np.maximum(share * mine, floor_usd)
    return float(np.mean(np.min(others, axis=0) - mine > band))


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The framework's answer for one scenario.

    scenario : str  Its name.
    feasible : bool  False where every option is excluded: then recommendation, label,
        architecture, confidence and runner_up are None and no cost is given as an answer.
    recommendation : str or None  The option to choose, by name; label and architecture
        ("cloud", "local" or "hybrid") describe it.
    confidence : float or None  Probability that it is cheaper than every other option kept
        by more than the materiality band (0 where it is practically tied). [0-1]
    runner_up : str or None  The cheapest option kept other than the recommendation.
    materiality_usd : float or None  The band within which monthly costs are practically
        tied: the scenario's share of the cheapest option's cost, at least its USD floor.
        [USD/month]
    shared_usd : float or None  Review labor every option pays (the least any pays), shown
        as its own line. [USD/month]
    tie : Tie or None  Where several options are practically tied: which, and the non-cost
        criterion that chose among them.
    deciding_factor : str or None  "privacy", "latency", "privacy and latency",
        "operations" or "cost": the constraint without which another option would win, or
        cost where none would; for an infeasible decision the constraints that exclude all.
    cheapest_unconstrained : str or None  The cheapest option with no constraint applied
        (privacy and latency ignored, no hire).
    cheapest_without_hiring : str or None  The cheapest option kept, costed without hiring.
    options : tuple of OptionAssessment  Every option of the scenario, kept or excluded.
    breakeven : Breakeven or None
    tornado : Tornado or None  Of the recommended option's cost minus the runner-up's.
    flip_points : tuple of FlipPoint  One per uncertain quantity.
    hybrid : HybridPlan or None  The cheapest local/API split considered.
    hybrid_saving_usd : float or None  Where the scenario has no hybrid the recommendation
        could be, and ``hybrid`` (with at least one GPU) costs less than the recommendation:
        by how much. [USD/month]
    levers : tuple of Lever
    unranged : tuple of str  Input paths of the options in contention (the recommendation,
        the runner-up and any tied) whose price or throughput carries no range: the
        confidence leaves their uncertainty out ("no range given by the source").
    setting : Setting  The scenario's facts the first steps report.
    monte_carlo : MonteCarlo or None  The sample behind the confidence (arrays per option).
    reasons : tuple of str  Plain sentences, the deciding factor first.
    advice : tuple of str  The framework's advice where it applies.
    steps : tuple of Step  The seven steps with their findings, for a report.
    """

    scenario: str
    feasible: bool
    recommendation: str | None
    label: str | None
    architecture: str | None
    confidence: float | None
    runner_up: str | None
    deciding_factor: str | None
    materiality_usd: float | None = None
    shared_usd: float | None = None
    tie: Tie | None = None
    cheapest_unconstrained: str | None = None
    cheapest_without_hiring: str | None = None
    options: tuple[OptionAssessment, ...]
    breakeven: Breakeven | None = None
    tornado: Tornado | None = None
    flip_points: tuple[FlipPoint, ...] = ()
    hybrid: HybridPlan | None = None
    hybrid_saving_usd: float | None = None
    levers: tuple[Lever, ...] = ()
    unranged: tuple[str, ...] = ()
    setting: Setting
    monte_carlo: MonteCarlo | None = None
    reasons: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()

    @property
    def tie_spread_usd(self) -> float | None:
        """How far apart the practically tied options' base monthly costs lie (inside the
        materiality band); None without a tie. [USD/month]"""
        if self.tie is None:
            return None
        costs = [self.option(n).monthly_usd for n in self.tie.options]
        return max(costs) - min(costs)

    def option(self, name: str) -> OptionAssessment:
        """One option's assessment; the error lists the valid names."""
        for assessment in self.options:
            if assessment.name == name:
                return assessment
        raise InputError(f"option: {name!r} is not allowed; must be one of "
                         f"{', '.join(a.name for a in self.options)}")

    def to_dict(self) -> dict:
        """Strict-JSON-ready data: every field, with the Monte Carlo sample as its summary
        (percentiles and probabilities, not the raw arrays); a value that does not exist
        (``inf``: never breaks even; nan: not sampled) is None, so ``json.dumps(...,
        allow_nan=False)`` holds."""
        data = {f.name: json_ready(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name != "monte_carlo"}
        data["monte_carlo"] = (None if self.monte_carlo is None
                               else json_ready(self.monte_carlo.summary()))
        return data


# --------------------------------------------------------------------------- constraints


def _verdict(model, name: str) -> Verdict:
    """The hard constraints' facts for one option."""
    c = model.scenario.constraints
    option = model.option(name)
    excluded = []
    privacy_rule = None
    if c.privacy in SENSITIVE:
        if not option.third_party:
            privacy_rule = "stays_local"
        elif c.dpa_available:
            privacy_rule = "dpa"
        else:
            privacy_rule = "excluded"
            excluded.append("privacy")
    latency = option_latency(model, name)
    target = c.max_latency_s
    latency_rule, cold_start_misses = None, False
    if target is not None:
        cold = latency.cold_start_seconds if latency is not None else None
        starts_cold = option.scales_to_zero and cold is not None and cold[2] > target
        if (option.self_hosted and not option.holds_dedicated_gpus) or starts_cold:
            latency_rule = "not_warm"  # GPUs started when requests come
        elif latency is None:
            latency_rule = "unknown"
        elif latency.warm_seconds[2] > target:
            latency_rule = "too_slow"
        elif option.scales_to_zero and _peak_gpus(model, name) > option.max_concurrency:
            latency_rule = "queued"  # the busiest hour needs more GPUs than the provider runs
        else:
            latency_rule = "meets"
            cold_start_misses = (latency.cold_start_seconds is not None
                                 and latency.cold_start_seconds[2] > target)
        if latency_rule != "meets":
            excluded.append("latency")
    memory = model.records[name].memory
    if memory is not None and memory.rule == "too_small":
        excluded.append("memory")
    return Verdict(excluded_by=tuple(excluded), privacy=c.privacy, privacy_rule=privacy_rule,
                   max_latency_s=target, latency=latency, latency_rule=latency_rule,
                   cold_start_misses=cold_start_misses, memory=memory,
                   memory_rule=None if memory is None else memory.rule)


def unranged_inputs(model, names) -> tuple[str, ...]:
    """Prices and throughputs of the named options (and their parts) that carry no range,
    zero-valued defaults left out: what the Monte Carlo holds fixed."""
    used = options_used_by(model, names - {None})
    return tuple(p for p, i in model.inputs.items()
                 if option_of(p) in used and i.low == i.high and i.value != 0
                 and (i.unit.startswith("USD") or i.unit == "images/h"))


def _peak_gpus(model, name: str) -> float:
    """GPUs a serverless option runs at once in the busiest hour (at full use). [GPUs]"""
    option = model.option(name)
    w = option_workload(option, model.workload)
    return float(gpus_needed(serving_images_per_month(w), option.images_per_hour, 1.0,
                             w.peak_factor, 0.0))


def _unhired(model):
    """The model without the hire a team with no operations capacity must make (the
    scenario's own ML engineer share), to tell whether operations decide."""
    fte = model.scenario.labor.ml_engineer_fte
    value = fte.value if hasattr(fte, "value") else float(fte)
    return model.with_values({"labor.ml_engineer_fte": value})


def _capacity(model, name: str, target: float | None
              ) -> tuple[PeakQueue | None, BurstShortfall | None]:
    """Queueing at the peak hour (under a latency target) and a burst its GPUs cannot absorb,
    for options that hold dedicated GPUs with no API to overflow to. A GPU serves calls of
    the option's batch size: the queue's customers are batches (the peak rate over the batch
    size), each served in :func:`costlib.throughput.seconds_per_call`; the wait to fill a
    batch is not counted (a server batching on the fly sends a partial batch instead)."""
    option = model.option(name)
    if not option.holds_dedicated_gpus or option.api_part is not None:
        return None, None
    w = model.workload
    gpus = float(option_gpus(option, w))
    batch = model.records[name].batch_size
    per_call = float(seconds_per_call(float(option.images_per_hour), batch))
    peak = None
    if target is not None and gpus >= 1:
        peak_per_second = (float(serving_images_per_month(w)) / HOURS_PER_MONTH
                           * float(w.peak_factor) / 3600.0)
        queue = queue_latency(peak_per_second / batch, per_call, gpus)
        if float(queue.p95_latency_seconds) > target:
            peak = PeakQueue(gpus=gpus, utilization=float(queue.utilization),
                             p95_latency_s=float(queue.p95_latency_seconds),
                             max_latency_s=target)
    burst = None
    spec = model.scenario.workload
    if spec.burst_images and spec.burst_hours:
        needed = float(gpus_for_deadline(math.ceil(spec.burst_images),
                                         spec.burst_hours * 3600.0, per_call, batch))
        if not math.isfinite(needed) or needed > gpus:
            burst = BurstShortfall(images=float(spec.burst_images),
                                   hours=float(spec.burst_hours), gpus=gpus,
                                   gpus_needed=needed if math.isfinite(needed) else math.inf,
                                   seconds_per_call=per_call, batch_size=batch)
    return peak, burst


def _splits(option) -> bool:
    """The option sends part of its images to an API and runs the rest on local GPUs."""
    return option.local_part is not None and option.api_part is not None


# --------------------------------------------------------------------------- decide


def decide(model, *, samples: int = 10_000, distribution: str = "pert", seed: int = 0,
           max_gpus: int = 64, catalog=None, sample_breakeven: bool = True,
           today: dt.date | None = None) -> Decision:
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
        with the scenario's quotes if not given. Pass the one the model was resolved
        against (or its ``today``): one day for the model and the levers.
    sample_breakeven : bool  False skips the break-even volume of every sample (two thirds
        of the time at a few hundred samples, for interactive views): the break-even's
        percentiles and share are then nan.
    today : datetime.date, optional  The day the catalog is loaded for when ``catalog`` is
        not given: the ``today`` the model was resolved with (default: the clock's date).

    Returns
    -------
    Decision  Its facts, and its sentences from :mod:`costlib.narrative`.
    """
    check_settings(samples, distribution, seed)
    if not isinstance(max_gpus, int) or isinstance(max_gpus, bool) or max_gpus < 1:
        raise InputError(f"max_gpus: {max_gpus!r} is not allowed; must be a whole number >= 1")
    scenario = model.scenario
    c = scenario.constraints
    if catalog is None:
        catalog = load_catalog(scenario.quotes, stale_after_days=scenario.stale_after_days,
                               today=today)
    hired = not c.has_ops_team
    # the model prices every view alike: the hire (no operations team) and the hourly
    # profile the hybrids overflow under come with it from costlib.scenario.resolve
    costed = model
    profile = preset_profile(scenario.workload.variability, float(model.workload.peak_factor))
    labels = {s.name: s.label or s.name for s in scenario.options}

    verdicts = {name: _verdict(model, name) for name in model.options}
    allowed = [n for n in model.options if not verdicts[n].excluded_by]

    # each hybrid's cheapest local GPU count under the demand profile: advice, not its price
    # (a hybrid costs what the scenario's count costs, in every view)
    plans: dict[str, HybridPlan] = {}
    for name in allowed:
        option = costed.options[name]
        if _splits(option):
            plans[name] = optimize_hybrid(costed, option.local_part.name, option.api_part.name,
                                          profile, max_gpus)

    by_area = {n: monthly_cost_by_area(o, costed.workload, costed.ops)
               for n, o in costed.options.items()}
    base = {n: float(sum(areas.values())) for n, areas in by_area.items()}
    shared = float(shared_review_usd(float(a["review"]) for a in by_area.values()))
    approved = float(approved_per_month(costed.workload))
    per_approved = {n: (v / approved if approved > 0 else math.inf) for n, v in base.items()}
    capacity = {n: _capacity(costed, n, c.max_latency_s) for n in model.options}

    def assessment(name, mc=None, percentiles=None):
        option = model.options[name]
        verdict = verdicts[name]
        p5, p50, p95 = percentiles[name] if percentiles and name in percentiles else (None,) * 3
        return OptionAssessment(
            name=name, label=labels[name], kind=option.kind, architecture=option.architecture,
            self_hosted=option.self_hosted, allowed=not verdict.excluded_by,
            excluded_by=verdict.excluded_by, verdict=verdict, latency=verdict.latency,
            hired=hired and option.self_hosted,
            hybrid_sizing=None if name not in plans else HybridSizing(
                gpus=int(plans[name].best_hybrid_gpus), max_gpus=max_gpus,
                scenario_gpus=float(model.values[f"options.{name}.local_gpus"])),
            peak_queue=capacity[name][0], burst=capacity[name][1],
            gpus=float(option_gpus(costed.options[name], costed.workload)),
            monthly_usd=base[name], differing_usd=base[name] - shared,
            usd_per_approved=per_approved[name],
            monthly_usd_p5=p5, monthly_usd_p50=p50, monthly_usd_p95=p95,
            p_cheapest=None if mc is None or name not in mc.options else mc.p_cheapest[name])

    setting = _setting(model, profile)
    if not allowed:
        blocking = sorted({b for v in verdicts.values() for b in v.excluded_by})
        return _narrate(Decision(
            scenario=scenario.name, feasible=False, recommendation=None, label=None,
            architecture=None, confidence=None, runner_up=None,
            deciding_factor=" and ".join(blocking),
            options=tuple(assessment(n) for n in model.options), setting=setting))

    ranked = sorted(allowed, key=lambda n: base[n])
    cheapest = ranked[0]
    band = materiality_usd(scenario, base[cheapest])
    tied = [n for n in ranked if base[n] - base[cheapest] <= band]
    rec, tie = _break_tie(costed, tied, verdicts, base) if len(tied) > 1 else (cheapest, None)
    rivals = [n for n in ranked if n != rec]
    runner = rivals[0] if rivals else None
    alternative, volume = _alternative(costed, rec, ranked)
    sampled = alternative is not None and sample_breakeven
    mc = monte_carlo(costed, samples, distribution=distribution, seed=seed, options=ranked,
                     breakeven=(rec, alternative) if sampled else None)
    sens = tornado(costed, (rec, runner) if runner else rec, options=ranked)
    flips = tuple(flip_points(costed, options=ranked))
    breakeven = None
    if alternative is not None:
        p5, p50, p95 = (breakeven_percentiles(mc.breakeven_images_per_month) if sampled
                        else (math.nan,) * 3)
        breakeven = Breakeven(
            options=(rec, alternative),
            alternative_cheaper_above=not costed.options[rec].self_hosted,
            images_per_month=volume, p5=p5, p50=p50, p95=p95,
            p_breaks_even=float(np.mean(np.isfinite(mc.breakeven_images_per_month)))
            if sampled else math.nan)
    if plans:
        hybrid_plan = min(plans.values(), key=lambda p: p.monthly_usd[p.best_hybrid_gpus])
        hybrid_saving = None
    else:
        hybrid_plan = _suggested_hybrid(costed, ranked, profile, max_gpus)
        hybrid_saving = None
        if hybrid_plan is not None and hybrid_plan.best_gpus > 0 \
                and hybrid_plan.best_monthly_usd < base[rec]:
            hybrid_saving = base[rec] - float(hybrid_plan.best_monthly_usd)
    levers = _levers(costed, rec, catalog)
    percentiles = mc.percentiles()
    assessments = tuple(assessment(n, mc, percentiles) for n in model.options)

    # the deciding factor: the constraint without which another option would win
    free = _unhired(model) if hired else model
    free_base = {n: float(monthly_cost_usd(o, free.workload, free.ops))
                 for n, o in free.options.items()}
    free_winner = min(model.options, key=lambda n: free_base[n])
    unhired_winner = min(allowed, key=lambda n: free_base[n])
    if verdicts[free_winner].excluded_by:
        factor = " and ".join(verdicts[free_winner].excluded_by)
    elif hired and unhired_winner != cheapest:
        factor = "operations"
    else:
        factor = "cost"

    return _narrate(Decision(
        scenario=scenario.name, feasible=True, recommendation=rec, label=labels[rec],
        architecture=model.options[rec].architecture,
        confidence=_confidence(mc, rec, scenario.materiality_share,
                               scenario.materiality_usd_per_month),
        runner_up=runner, deciding_factor=factor, materiality_usd=band, shared_usd=shared,
        tie=tie,
        cheapest_unconstrained=free_winner,
        cheapest_without_hiring=unhired_winner, options=assessments, breakeven=breakeven,
        tornado=sens, flip_points=flips, hybrid=hybrid_plan, hybrid_saving_usd=hybrid_saving,
        levers=tuple(levers),
        unranged=unranged_inputs(model, {rec, runner, *(tie.options if tie else ())}),
        setting=setting, monte_carlo=mc))


def _setting(model, profile) -> Setting:
    """The scenario's facts for the first four steps."""
    s = model.scenario
    images = model.inputs["workload.images_per_month"]
    outputs = model.inputs["workload.outputs_per_approved"]
    return Setting(
        scenario=s.name, description=s.description, image_model=s.workload.model,
        resolution=s.workload.resolution,
        images_per_month=(images.low, images.value, images.high),
        outputs_per_approved=(outputs.low, outputs.value, outputs.high),
        variability=s.workload.variability, peak_over_mean=float(np.max(profile)),
        burst_images=s.workload.burst_images, burst_hours=s.workload.burst_hours,
        privacy=s.constraints.privacy, dpa_available=s.constraints.dpa_available,
        max_latency_s=s.constraints.max_latency_s, has_ops_team=s.constraints.has_ops_team,
        ml_engineer_fte=float(model.values["labor.ml_engineer_fte"]))


def _narrate(facts: Decision) -> Decision:
    """The decision with its sentences filled in by :mod:`costlib.narrative`."""
    from costlib import narrative  # narrative reads this module's facts and rules

    labels = {a.name: a.label for a in facts.options}
    options = tuple(dataclasses.replace(a, reasons=narrative.option_reasons(a.verdict),
                                        notes=narrative.option_notes(a))
                    for a in facts.options)
    levers = tuple(dataclasses.replace(lever, setting=narrative.lever_setting(lever),
                                       sentence=narrative.lever_sentence(lever, labels))
                   for lever in facts.levers)
    told = dataclasses.replace(facts, options=options, levers=levers)
    told = dataclasses.replace(told, reasons=narrative.reasons(told),
                               advice=narrative.advice(told))
    return dataclasses.replace(told, steps=narrative.steps(told))


def _alternative(model, rec: str, ranked: list[str]) -> tuple[str | None, float]:
    """The option of the other architecture (cloud against self-hosted) that the volume
    matters most to, and its break-even volume at base values.

    For a recommended API: the self-hosted option that becomes cheaper at the lowest volume
    above today's. For a recommended self-hosted option: the API that stays cheaper up to the
    highest volume below today's. Where none crosses, the cheapest of the other architecture
    with ``inf``; None where the other architecture has no option kept.
    """
    self_hosted = model.option(rec).self_hosted
    others = [n for n in ranked if model.option(n).self_hosted != self_hosted]
    if not others:
        return None, math.inf
    images = float(model.workload.images_per_month)
    best, best_volume = others[0], math.inf
    found = crossings_against(model.options[rec], {n: model.options[n] for n in others},
                              model.workload, model.ops)
    for name in others:
        crossings = found[name]
        if not self_hosted:
            later = [v for v in crossings if v > images]
            if later and later[0] < best_volume:
                best, best_volume = name, later[0]
        else:
            earlier = [v for v in crossings if v <= images]
            if earlier and (not math.isfinite(best_volume) or earlier[-1] > best_volume):
                best, best_volume = name, earlier[-1]
    return best, best_volume


def _suggested_hybrid(model, ranked, profile, max_gpus) -> HybridPlan | None:
    """Without a hybrid option: the cheapest kept API with the cheapest kept option that may
    back a hybrid (dedicated GPUs), for the advice."""
    options = model.options
    apis = [n for n in ranked if options[n].may_be_hybrid_api]
    locals_ = [n for n in ranked
               if options[n].holds_dedicated_gpus and options[n].may_be_hybrid_local]
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
    current = float(w.cache_hit_rate)
    cache = catalog.get("overheads", "semantic_cache_hit_rate")
    if current > 0:
        levers.append(Lever(name="cache", option=rec, from_scenario=True, value=current,
                            saving_usd_per_month=cost({"workload.cache_hit_rate": 0.0}) - now))
    else:
        levers.append(Lever(name="cache", option=rec, from_scenario=False, value=cache.value,
                            guide_low=cache.low, guide_high=cache.high, source=cache.source,
                            saving_usd_per_month=now - cost(
                                {"workload.cache_hit_rate": cache.value})))
    # an API bills a preview at its turbo tier's price; GPUs pay its time
    ratio = float(w.preview_price_ratio if model.options[rec].bills_per_image
                  else w.preview_cost_ratio)
    share = float(w.preview_share)
    if share > 0:
        levers.append(Lever(name="previews", option=rec, from_scenario=True, value=share,
                            reference=ratio, saving_usd_per_month=cost(
                                {"workload.preview_share": 0.0}) - now))
    else:
        tiering = catalog.get("overheads", "quality_tiering_saving")
        # the share of previews that cuts GPU generation cost by the guide's typical figure,
        # billed at the recommendation's own ratio (an API's price ratio saves far less)
        time_ratio = float(w.preview_cost_ratio)
        share = min(tiering.value / (1.0 - time_ratio), 0.99) if time_ratio < 1 else 0.0
        levers.append(Lever(name="previews", option=rec, from_scenario=False, value=share,
                            reference=ratio, guide_low=tiering.low, guide_high=tiering.high,
                            source=tiering.source, saving_usd_per_month=now - cost(
                                {"workload.preview_share": share})))
    tokens = float(w.prompt_tokens_per_image)
    priced = any(o.api_part is not None and float(o.api_part.usd_per_prompt_token) > 0
                 for o in model.options.values())
    if tokens > 0 and priced:
        shorter = tokens * PROMPT_TOKENS_OPTIMIZED_RATIO
        levers.append(Lever(name="prompt", option=rec, from_scenario=False, value=shorter,
                            reference=tokens, saving_usd_per_month=now - cost(
                                {"workload.prompt_tokens_per_image": shorter})))
    else:
        levers.append(Lever(name="prompt", option=rec, applies=False, from_scenario=False,
                            value=0.0, reference=tokens, saving_usd_per_month=0.0))
    return levers
