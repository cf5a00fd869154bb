"""The decision's facts in plain sentences.

Pure functions, facts in and strings out: each reads the typed records of
:mod:`costlib.decision` (a :class:`~costlib.decision.Verdict`, an
:class:`~costlib.decision.OptionAssessment`, a :class:`~costlib.decision.Lever`, a
:class:`~costlib.decision.Decision` whose text fields may still be empty) and returns the
sentences people read. Options are named by their labels, numbers are formatted by
:mod:`costlib.fmt`, and a value that does not exist is never written as "inf" or "nan".
:func:`costlib.decision.decide` calls these to fill its results' text fields; the rules (what
is a close call, which swing matters) live in :mod:`costlib.decision`.

Sources quoted in the sentences:
- the architecture article: "Image Generation API vs Self-Hosted: The Architecture
  Decision", 2026-05-19 (start managed; ~500K images/month; DPAs after legal review).
- the ImageBench guide: "Cost, Speed, and Infrastructure Tradeoffs", 2026 (real time at
  3 s or less; caching, cascading previews and prompt optimization as levers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from costlib.decision import (
    CLOSE_CALL,
    MANAGED_UNTIL_IMAGES_PER_MONTH,
    REAL_TIME_SECONDS,
    Decision,
    Lever,
    OptionAssessment,
    Step,
    Verdict,
    matters,
)
from costlib.fmt import (
    count,
    number,
    quantity,
    quantity_range,
    seconds,
    share,
    span,
    usd,
    volume,
)
from costlib.labels import factor_label, input_label, model_label, precision_label, unit_label

AD = "the architecture article of May 2026"
IB = "the ImageBench guide of 2026"
STEP_TITLES = ("Define the use case", "Estimate volume and variability",
               "Set privacy requirements", "Measure operational capacity", "Model total cost",
               "Prototype before committing", "Choose cloud, local or hybrid")


# --------------------------------------------------------------------------- small pieces


def _percent(x: float) -> str:
    """A share with up to three significant digits: 0.225 -> '22.5 %'."""
    return f"{number(100 * x)} %"


def _percents(low: float, high: float) -> str:
    """A range of shares: (0.15, 0.3) -> '15-30 %'."""
    return f"{span(100 * low, 100 * high)} %"


def _gpus(n: float) -> str:
    """'1 GPU', '3 GPUs'."""
    return f"{count(n)} GPU" + ("" if count(n) == "1" else "s")


def _cost(x: float) -> str:
    """A cost in USD; '-' where it does not exist (no volume to spread it over)."""
    return usd(x, missing="-")


def join_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# --------------------------------------------------------------------------- one option


def option_reasons(verdict: Verdict) -> tuple[str, ...]:
    """One sentence per hard constraint that applies to an option: why kept or excluded."""
    reasons = []
    data = verdict.privacy
    if verdict.privacy_rule == "dpa":
        reasons.append(f"Privacy: allowed for {data} data under the data-processing "
                       f"agreement; {AD} advises legal review for each provider.")
    elif verdict.privacy_rule == "excluded":
        reasons.append(f"Privacy: excluded, because prompts and images are {data} and no "
                       "data-processing agreement is available, so they may not go to a "
                       "third party (an API or a serverless GPU provider).")
    elif verdict.privacy_rule == "stays_local":
        reasons.append(f"Privacy: allowed; {data} data stays on GPUs the team runs.")
    if verdict.latency_rule is not None:
        target = seconds(verdict.max_latency_s)
        latency = verdict.latency
        if verdict.latency_rule == "not_warm":
            reasons.append("Latency: excluded, because its GPUs are started when requests "
                           "come, not kept warm: a request after an idle gap waits for a GPU "
                           f"to start and the model to load, beyond the {target} target.")
        elif verdict.latency_rule == "queued":
            reasons.append("Latency: excluded, because its busiest hour needs more GPUs at once "
                           "than the serverless provider runs for the team, so requests queue "
                           f"beyond the {target} target.")
        elif verdict.latency_rule == "unknown":
            reasons.append("Latency: excluded, because no latency figure is known to check "
                           f"against the {target} target; record a provider test in step 6.")
        elif verdict.latency_rule == "too_slow":
            low, _, high = latency.warm_seconds
            reasons.append(f"Latency: excluded, because its warm latency of "
                           f"{seconds(low, high)} ({latency.source}) exceeds the {target} "
                           "target.")
        else:
            low, _, high = latency.warm_seconds
            reasons.append(f"Latency: allowed, its warm latency of {seconds(low, high)} meets "
                           f"the {target} target.")
    memory = verdict.memory
    if verdict.memory_rule == "too_small":
        reasons.append(f"Memory: excluded, because the model needs at least "
                       f"{number(memory.needed_gb[0])} GB of GPU memory {_run(memory)} "
                       f"({memory.source}), more than the {number(memory.gpu_gb)} GB of its "
                       "GPU.")
    elif verdict.memory_rule == "tight":
        reasons.append(f"Memory: allowed only with the text encoders moved off the GPU after "
                       f"encoding: with every part on the GPU the model needs "
                       f"{number(memory.needed_gb[1])} GB {_run(memory)}, more than the "
                       f"{number(memory.gpu_gb)} GB of its GPU; without them "
                       f"{number(memory.needed_gb[0])} GB.")
    if not reasons:
        reasons.append("Allowed: no hard constraint applies to it.")
    return tuple(reasons)


def gpu_throughput(rate, batch_size: int, precision: str) -> str:
    """A GPU option's throughput in words, with how it runs: 'GPU throughput 360 images/hour
    (300-450 images/hour), one image a call in 16-bit (bf16)'. ``rate`` is its images/hour
    input (value, low, high, unit)."""
    calls = ("one image a call" if batch_size == 1 else
             f"batches of {count(batch_size)} images a call")
    spread = (f" ({quantity_range(rate.low, rate.high, rate.unit)})" if rate.low != rate.high
              else "")
    return (f"GPU throughput {quantity(rate.value, rate.unit)}{spread}, {calls} in "
            f"{precision_label(precision)}")


def _run(memory) -> str:
    """How an option runs its model, for a memory reason: 'at batch 1', or 'at batch 4 in
    8-bit (fp8)' where it batches or runs in another precision than bf16."""
    words = f"at batch {count(memory.batch_size)}"
    if memory.precision == "bf16":
        return words
    return f"{words} in {precision_label(memory.precision)}"


def option_notes(a: OptionAssessment) -> tuple[str, ...]:
    """Caveats that do not exclude an option: cold starts, hiring, the hybrid's GPU count,
    queueing at the peak, a burst it cannot absorb."""
    notes = []
    v = a.verdict
    if v.cold_start_misses:
        low, _, high = v.latency.cold_start_seconds
        notes.append(f"Its cold starts ({seconds(low, high)}) miss the "
                     f"{seconds(v.max_latency_s)} target after idle periods: keep it warm "
                     "with steady traffic.")
    if a.hired:
        notes.append("Costed with hiring one ML infrastructure engineer (1 FTE), since the "
                     "team has no operations capacity.")
    if a.hybrid_sizing is not None:
        h = a.hybrid_sizing
        if h.gpus != h.scenario_gpus:
            notes.append(f"Priced with the scenario's {_gpus(h.scenario_gpus)} held locally, "
                         f"each hour's excess sent to the API; {count(h.gpus)} (the cheapest "
                         f"of 1-{count(h.max_gpus)}) would cost less: set the hybrid's local "
                         f"GPUs to {count(h.gpus)}.")
    if a.peak_queue is not None:
        q = a.peak_queue
        target = seconds(q.max_latency_s)
        if math.isfinite(q.p95_latency_s):
            run = "runs" if count(q.gpus) == "1" else "run"
            notes.append(f"At the peak hour its {_gpus(q.gpus)} {run} at {share(q.utilization)}, "
                         f"and a queueing model (M/M/c) puts the 95th-percentile latency at "
                         f"{seconds(q.p95_latency_s)}, above the {target} target: hold more "
                         "GPUs (the model overstates waits of near-fixed generation times).")
        else:
            notes.append(f"At the peak hour requests arrive faster than its {_gpus(q.gpus)} "
                         f"generate ({share(q.utilization)} of their capacity): the queue "
                         f"keeps growing, far beyond the {target} target; hold more GPUs.")
    if a.burst is not None:
        b = a.burst
        burst = f"a burst of {volume(b.images, 3)} images in {number(b.hours)} h"
        if not math.isfinite(b.gpus_needed):
            call = ("one image takes" if b.batch_size == 1 else
                    f"one call of {count(b.batch_size)} images takes")
            notes.append(f"No number of its GPUs can absorb {burst}: {call} "
                         f"{seconds(b.seconds_per_call)}, longer than the burst window; send "
                         "bursts to an API.")
        else:
            notes.append(f"Its {_gpus(b.gpus)} cannot absorb {burst} (that needs "
                         f"{count(b.gpus_needed)}): pre-provision or overflow to an API.")
    return tuple(notes)


# --------------------------------------------------------------------------- levers


def lever_setting(lever: Lever) -> str:
    """The setting a lever compares, in words."""
    if lever.name == "cache":
        return (f"{_percent(lever.value)} cache hit rate (the scenario's)" if lever.from_scenario
                else f"{_percent(lever.value)} hit rate ({lever.source})")
    if lever.name == "previews":
        return f"{_percent(lever.value)} previews at {_percent(lever.reference)} of a final"
    if not lever.applies:
        return "no token-priced API"
    return f"{number(lever.value)} instead of {number(lever.reference)} tokens"


def lever_sentence(lever: Lever, labels: dict[str, str]) -> str:
    """A lever's effect on the option it is applied to, in words; ``labels`` maps option
    names to the labels people read."""
    saving = f"{usd(lever.saving_usd_per_month)}/month"
    on = f" on {labels.get(lever.option, lever.option)}"
    if lever.name == "cache":
        if lever.from_scenario:
            return f"Caching: the scenario's {_percent(lever.value)} hit rate saves {saving}."
        return (f"Caching: semantic caching at a {_percent(lever.value)} hit rate "
                f"({_percents(lever.guide_low, lever.guide_high)} per {IB}) would save "
                f"{saving}{on}.")
    if lever.name == "previews":
        if lever.from_scenario:
            return (f"Cascading previews: the scenario's {_percent(lever.value)} previews "
                    f"(each {_percent(lever.reference)} of a final generation) save {saving}.")
        return (f"Cascading previews (a turbo preview the user iterates on before the final "
                f"generation) cut GPU generation cost by "
                f"{_percents(lever.guide_low, lever.guide_high)} per {IB}: at "
                f"{_percent(lever.value)} previews, each costing {_percent(lever.reference)} of "
                f"a final here (an API bills a preview at its turbo price, not its speed), "
                f"they would save {saving}{on}.")
    if not lever.applies:
        return ("Prompt optimization saves nothing directly here: the APIs price per image, "
                "not per prompt token (enter a price per prompt token and a prompt length "
                "where one does); its gain is fewer outputs per approved asset, which a "
                "prototype measures.")
    return (f"Prompt optimization: prompts of {number(lever.value)} instead of "
            f"{number(lever.reference)} tokens ({IB}'s 45-to-12 example) would save "
            f"{saving}{on}.")


# --------------------------------------------------------------------------- the decision


def flip_sentence(flip, labels: dict[str, str]) -> str:
    """Where one factor flips the cheapest option, in words (options by their labels)."""
    f = flip.factor
    name = factor_label(f, labels)
    # a flip of the monthly volume is a break-even volume: rounded as the break-evens are
    def flip_at(value):
        return f"{volume(value)} {unit_label(f.unit)}" if f.unit == "images/month" \
            else quantity(value, f.unit)

    parts = [f"{word} {flip_at(value)}, {labels.get(to, to)} becomes cheapest"
             for word, value, to in (("falls to", flip.below, flip.below_to),
                                     ("rises to", flip.above, flip.above_to))
             if value is not None]
    if not parts:
        return (f"No flip within the range of the {name} "
                f"({quantity_range(f.low, f.high, f.unit)}): "
                f"{labels.get(flip.recommended, flip.recommended)} stays cheapest.")
    return f"If the {name} (base {quantity(f.value, f.unit)}) " + "; if it ".join(parts) + "."


def _distance(flip) -> float:
    """How far a factor must move to flip, as a share of its range."""
    f = flip.factor
    width = f.high - f.low
    return min(abs(v - f.value) / width for v in (flip.below, flip.above) if v is not None)


def _ranked(d: Decision) -> list[OptionAssessment]:
    """The options kept, cheapest first (ties in the scenario's order)."""
    return sorted((a for a in d.options if a.allowed), key=lambda a: a.monthly_usd)


def _constraint_words(d: Decision, constraints) -> list[str]:
    s = d.setting
    words = []
    if "privacy" in constraints:
        words.append(f"prompts and images are {s.privacy} and no data-processing agreement is "
                     "available, so no third party may receive them")
    if "latency" in constraints:
        target = seconds(s.max_latency_s)
        words.append(
            f"the {target} latency target is real time (at most "
            f"{seconds(REAL_TIME_SECONDS)}), where only warm dedicated GPUs and turbo-class "
            f"models suffice ({IB})" if s.max_latency_s <= REAL_TIME_SECONDS else
            f"the {target} latency target excludes the cheapest option")
    if "memory" in constraints:
        words.append("the model does not fit the memory of the cheapest option's GPU")
    return words


def reasons(d: Decision) -> tuple[str, ...]:
    """Why: the deciding factor first, then how sure, what the margin hinges on, what flips
    it, where the other architecture takes over and what is excluded."""
    a = {x.name: x for x in d.options}
    if not d.feasible:
        return (_infeasible_reason(d),)
    r = a[d.recommendation]
    runner = a.get(d.runner_up)
    cost_line = (f"{r.label} costs {_cost(r.monthly_usd)}/month "
                 f"({_cost(r.usd_per_approved)} per approved asset"
                 + (f"; {_cost(d.shared_usd)} of it is review labor every option pays, "
                    f"{_cost(r.differing_usd)} is what the choice changes"
                    if d.shared_usd else "") + ")")
    if runner is not None:
        gap = runner.monthly_usd - r.monthly_usd
        cost_line += (f", {_cost(gap)} less than {runner.label}" if gap >= 0 else
                      f", {_cost(-gap)} more than {runner.label}")
    if d.tie is not None and d.deciding_factor == "cost":
        first = f"{_tie_sentence(d, a)} {cost_line}."
    elif d.deciding_factor == "cost":
        first = (f"Cost decides at {volume(d.setting.images_per_month[1], 3)} images/month: "
                 f"{cost_line}.")
    elif d.deciding_factor == "operations":
        first = ("Operations capacity decides: the team has no one to run GPUs, so "
                 "self-hosting carries hiring at least one ML infrastructure engineer; without "
                 f"that hire {a[d.cheapest_without_hiring].label} would be cheapest. "
                 f"{cost_line}.")
    else:
        free = a[d.cheapest_unconstrained]
        words = _constraint_words(d, free.excluded_by)
        both = len(free.excluded_by) > 1
        first = (f"{d.deciding_factor.capitalize()} {'decide' if both else 'decides'}: "
                 f"{'; '.join(words)}. Without {'those constraints' if both else 'that constraint'}"
                 f" {free.label} would be cheapest ({_cost(free.monthly_usd)}/month). Among the "
                 f"options kept, {cost_line}.")
    out = [first]
    if d.tie is not None and d.deciding_factor != "cost":
        out.append(_tie_sentence(d, a))
    samples = d.monte_carlo.samples if d.monte_carlo is not None else None
    of_samples = f" of {count(samples)} Monte Carlo samples" if samples else " of samples"
    out.append(f"{r.label} is cheaper than every other option kept by more than "
               f"{_cost(d.materiality_usd)}/month (the band within which costs are practically "
               f"tied) in {share(d.confidence)}{of_samples}, and the cheapest at all in "
               f"{share(r.p_cheapest)}; its monthly cost lies between "
               f"{_cost(r.monthly_usd_p5)} and {_cost(r.monthly_usd_p95)} (a 90 % range).")
    labels = {x.name: x.label for x in d.options}
    ranked = _ranked(d)
    favourite = max(ranked, key=lambda x: x.p_cheapest or 0.0)
    if favourite.name != r.name and d.tie is None:
        out.append(f"{favourite.label} is the cheapest in more samples "
                   f"({share(favourite.p_cheapest)}), though not at the base values: the two "
                   "are close.")
    sens = d.tornado
    if sens is not None and sens.bars and runner is not None \
            and matters(sens.bars[0].swing, sens.base_usd):
        top = sens.bars[0]
        out.append(f"The margin over {runner.label} is most sensitive to the "
                   f"{factor_label(top.factor, labels)} "
                   f"({quantity_range(top.factor.low, top.factor.high, top.factor.unit)}), "
                   f"which moves it by {usd(top.swing)}/month.")
    flipping = sorted((f for f in d.flip_points if f.below is not None or f.above is not None),
                      key=_distance)
    out += [flip_sentence(f, labels) for f in flipping[:3]]
    if not flipping:
        out.append("No single input flips the recommendation within its range.")
    b = d.breakeven
    if b is not None and math.isfinite(b.images_per_month):
        direction = "above" if b.alternative_cheaper_above else "below"
        out.append(f"{a[b.options[1]].label} becomes cheaper {direction} about "
                   f"{volume(b.images_per_month)} images/month{_sampled_breakeven(b)}.")
    excluded = [x for x in d.options if not x.allowed]
    if excluded:
        out.append(f"{len(excluded)} of {len(d.options)} options are excluded: "
                   + "; ".join(f"{x.label} ({', '.join(x.excluded_by)})" for x in excluded)
                   + ".")
    return tuple(out)


_TIE_WORDS = {
    "acceptance": lambda chosen, other: (
        f"acceptance decides: it needs {number(chosen)} outputs per approved asset against "
        f"{number(other)}"),
    "privacy": lambda chosen, other: (
        "privacy decides: it keeps prompts and images on GPUs the team runs"),
    "operations": lambda chosen, other: (
        "operational burden decides: it is easier to run and to reverse ("
        + ("no GPUs to run" if chosen == 0 else "no GPU fleet to operate" if chosen < 1
           else "no hardware to buy") + ")"),
    "latency": lambda chosen, other: (
        f"latency decides: it answers faster, {seconds(chosen)} against {seconds(other)} "
        "warm at the high end" if math.isfinite(other) else
        f"latency decides: its warm latency is known ({seconds(chosen)} at the high end), "
        "the other's is not"),
    "cost": lambda chosen, other: (
        "nothing else that matters here tells them apart, so cost decides: it is "
        f"{_cost(other - chosen)}/month cheaper at base values"),
}


def _tie_sentence(d: Decision, a: dict) -> str:
    """Options practically tied on cost, and the criterion that chose among them."""
    t = d.tie
    tied = join_words([a[n].label for n in t.options])
    cheapest = a[t.options[0]].monthly_usd
    band = f", {_percent(d.materiality_usd / cheapest)} of the cheapest's cost" \
        if cheapest else ""
    return (f"Practically tied on cost: {tied} lie within {_cost(d.tie_spread_usd)}/month of one "
            f"another, inside the materiality band of {_cost(d.materiality_usd)}/month"
            f"{band}, so the choice rests on what else matters; against "
            f"{a[t.next_option].label}, {_TIE_WORDS[t.criterion](t.chosen_value, t.next_value)}.")


def _sampled_breakeven(b) -> str:
    """The sampled break-even volume in words ('' where it was not sampled)."""
    if math.isnan(b.p5):
        return ""
    never = f"{share(1 - b.p_breaks_even)} of samples never break even"
    if not math.isfinite(b.p5):
        return f" (sampled: {never})"
    if not math.isfinite(b.p95):
        return f" (sampled: from {volume(b.p5)} at the 5th percentile; {never})"
    return f" (sampled: {volume(b.p5)} to {volume(b.p95)}, 90 % range)"


def _blocking(d: Decision) -> list[str]:
    return sorted({b for x in d.options for b in x.excluded_by})


def _infeasible_reason(d: Decision) -> str:
    s = d.setting
    words = {"privacy": f"privacy ({s.privacy} data, no data-processing agreement)",
             "latency": f"latency (the {seconds(s.max_latency_s)} target)"
             if s.max_latency_s is not None else "latency",
             "memory": "GPU memory (the model does not fit)"}
    return (f"Infeasible: no option meets the hard constraints; "
            f"{join_words([words[b] for b in _blocking(d)])} exclude all {len(d.options)} options, "
            "so there is nothing to recommend.")


def _and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def advice(d: Decision) -> tuple[str, ...]:
    """The framework's advice where it applies: start managed and revisit at measured volume,
    prototype before committing, the way back to APIs, hiring, a close call, a cheaper
    hybrid; for an infeasible decision, what would make one option feasible."""
    if not d.feasible:
        return _infeasible_advice(d)
    a = {x.name: x for x in d.options}
    r = a[d.recommendation]
    images = d.setting.images_per_month[1]
    b = d.breakeven
    crosses = b is not None and math.isfinite(b.images_per_month)
    apis = [x for x in _ranked(d) if not x.self_hosted]
    out = []
    if not r.self_hosted:
        line = ("Stay on a managed API until a self-hosted option is cheaper at a volume you "
                f"have measured (the default {AD} recommends).")
        if crosses:
            line += (f" Revisit at measured volume: {a[b.options[1]].label} becomes cheaper "
                     f"from about {volume(b.images_per_month)} images/month.")
        elif b is not None:
            line += " No self-hosted option of this scenario becomes cheaper at a higher volume."
        elif images < MANAGED_UNTIL_IMAGES_PER_MONTH:
            line += (f" Revisit when measured volume nears "
                     f"{volume(MANAGED_UNTIL_IMAGES_PER_MONTH)} images/month, where self-hosting "
                     f"typically breaks even ({AD}).")
        out.append(line)
    elif apis:
        if images < MANAGED_UNTIL_IMAGES_PER_MONTH:
            out.append(f"The architecture article's default is to start managed: below about "
                       f"{volume(MANAGED_UNTIL_IMAGES_PER_MONTH)} images/month self-hosting "
                       f"rarely pays once engineering is counted. Here {r.label} is cheaper "
                       f"(the cheapest in {share(r.p_cheapest)} of samples); confirm the "
                       f"volume on {apis[0].label} first.")
        holds = (f"; the saving holds above about {volume(b.images_per_month)} images/month"
                 if crosses else "")
        out.append(f"Prototype before committing: run real prompts through {apis[0].label} "
                   "and measure accepted outputs per asset (assumed "
                   f"{number(d.setting.outputs_per_approved[1])}) and the volume{holds}.")
    else:
        out.append("Prototype before committing: run real prompts on the chosen GPUs and "
                   "measure accepted outputs per asset, not generated images.")
    if any("privacy" in x.excluded_by for x in d.options):
        out.append("A signed data-processing agreement, after legal review of each provider, "
                   f"would reopen managed APIs ({AD}).")
    if not d.setting.has_ops_team and r.self_hosted:
        out.append("Self-hosting wins even with hiring: budget the ML infrastructure engineer "
                   "and the serving setup (2-4 weeks) before moving.")
    if d.unranged:
        labels = {x.name: x.label for x in d.options}
        fixed = [input_label(p, labels) for p in d.unranged]
        out.append(f"No range given by the source for the {_and(fixed)}: the confidence leaves "
                   "their uncertainty out. Give them a range in the scenario (a quote's low "
                   "and high), or an uncertainty by age for prices without one.")
    if d.confidence is not None and d.confidence < CLOSE_CALL and d.tie is None:
        sens = d.tornado
        labels = {x.name: x.label for x in d.options}
        top = [factor_label(bar.factor, labels)
               for bar in (sens.bars[:3] if sens is not None else ())
               if matters(bar.swing, sens.base_usd)]
        out.append(f"A close call (a material lead in {share(d.confidence)} of samples): narrow "
                   "the ranges of "
                   f"{', '.join(top) or 'the inputs'} with quotes or a prototype before "
                   "committing, or prefer the choice that is easier to reverse.")
    if d.hybrid_saving_usd is not None and d.hybrid is not None:
        plan = d.hybrid
        out.append(f"A hybrid of {count(plan.best_gpus)} {a[plan.local].label} "
                   f"{'GPU' if plan.best_gpus == 1 else 'GPUs'} with {a[plan.api].label} "
                   f"taking each hour's excess would cost {usd(plan.best_monthly_usd)}/month, "
                   f"{usd(d.hybrid_saving_usd)} less: add it to the scenario as a hybrid "
                   "option to weigh it with its uncertainty.")
    return tuple(out)


def _infeasible_advice(d: Decision) -> tuple[str, ...]:
    blocking = _blocking(d)
    out = []
    if "memory" in blocking:
        out.append("Add an option on a GPU with more memory, or generate with a smaller or "
                   "quantized model.")
    if "privacy" in blocking:
        out.append("Add a self-hosted option (rented or owned GPUs) that meets the other "
                   "constraints, or obtain a data-processing agreement after legal review of "
                   f"each provider ({AD}).")
    if "latency" in blocking:
        out.append("Relax the latency target, or add a warm dedicated GPU or a turbo-class "
                   f"model (SDXL-Turbo, LCM, Flux schnell: 1-3 s per {IB}); most production "
                   "deployments generate asynchronously with webhook callbacks.")
    return tuple(out)


# --------------------------------------------------------------------------- the steps


def steps(d: Decision) -> tuple[Step, ...]:
    """The seven steps with their findings; steps 6 and 7 repeat the decision's advice and
    first reason, so fill those first."""
    s = d.setting
    a = {x.name: x for x in d.options}
    low, images, high = s.images_per_month
    outputs_low, outputs, outputs_high = s.outputs_per_approved
    one = [f"{s.scenario}: {s.description}" if s.description else s.scenario,
           f"{model_label(s.image_model)} at {s.resolution} px; {volume(images / outputs, 3)} "
           "approved assets a "
           f"month at {number(outputs)} outputs per approved asset."]
    two = [f"{volume(images, 3)} images/month"
           + (f" ({span(low, high, volume)})" if low < high else "")
           + f", {s.variability.replace('_', ' ')} demand with a peak hour "
           f"{number(s.peak_over_mean)} times the mean hour."]
    if s.burst_images and s.burst_hours:
        two.append(f"Bursts of {volume(s.burst_images, 3)} images in {number(s.burst_hours)} h.")
    three = [f"Prompts and images are {s.privacy}; a data-processing agreement is "
             f"{'available' if s.dpa_available else 'not available'}."]
    private = [x.label for x in d.options if "privacy" in x.excluded_by]
    if private:
        three.append(f"Excluded for privacy (third parties): {', '.join(private)}.")
    if s.max_latency_s is not None:
        late = [x.label for x in d.options if "latency" in x.excluded_by]
        three.append(f"Latency target {seconds(s.max_latency_s)}"
                     + (f": excluded {', '.join(late)}." if late else ": every option meets it."))
    small = [x.label for x in d.options if "memory" in x.excluded_by]
    if small:
        three.append(f"Excluded for GPU memory (the model does not fit): {', '.join(small)}.")
    four = [("The team has no operations capacity: self-hosting is costed with hiring one ML "
             "infrastructure engineer.") if not s.has_ops_team else
            (f"The team operates GPUs with {number(s.ml_engineer_fte)} FTE of an ML "
             "infrastructure engineer when self-hosting.")]
    if not d.feasible:
        five = ["No option is left to cost."]
        six = list(d.advice)
        seven = list(d.reasons[:1])
    else:
        five = [f"{x.label}: {_cost(x.monthly_usd)}/month (90 % range {_cost(x.monthly_usd_p5)} "
                f"to {_cost(x.monthly_usd_p95)}), {_cost(x.usd_per_approved)} per approved "
                f"asset, cheapest in {share(x.p_cheapest)} of samples." for x in _ranked(d)]
        six = [x for x in d.advice if x.startswith(("Prototype", "The architecture"))] or [
            "Measure accepted outputs, not generated images, on real prompts: the costs "
            f"assume {number(outputs)} outputs per approved asset "
            f"({span(outputs_low, outputs_high)})."]
        r = a[d.recommendation]
        seven = [f"Choose {r.architecture}: {r.label} (confidence {share(d.confidence)}).",
                 *d.reasons[:1]]
    findings = (one, two, three, four, five, six, seven)
    return tuple(Step(number=i + 1, title=STEP_TITLES[i], findings=tuple(found))
                 for i, found in enumerate(findings))


# --------------------------------------------------------------------------- key figures


@dataclass(frozen=True)
class KeyFigure:
    """One figure of the first screen (the overview's cards, the report's summary).

    key : str  What it is, for markup: "recommendation", "monthly", "confidence", "hinge".
    title, value, detail : str  As shown: 'Monthly cost', '1,384 USD', '573-6,436 USD ...'.
    text : bool  The value is words, not a figure.
    """

    key: str
    title: str
    value: str
    detail: str
    text: bool = False


def hinge(d: Decision) -> tuple[str, str]:
    """(the input the recommendation hinges on, in words; the detail): the nearest flip,
    else the largest swing of the margin."""
    labels = {x.name: x.label for x in d.options}
    flipping = sorted((f for f in d.flip_points if f.below is not None or f.above is not None),
                      key=_distance)
    if flipping:
        f = flipping[0].factor
        return (f"{factor_label(f, labels)}: {quantity(f.value, f.unit)} (range "
                f"{quantity_range(f.low, f.high, f.unit)})",
                f"{flip_sentence(flipping[0], labels)} Source: {f.source}.")
    sens = d.tornado
    if sens is not None and sens.bars:
        top = sens.bars[0]
        f = top.factor
        what = f"the margin over {labels[d.runner_up]}" if d.runner_up else "its cost"
        return (f"{factor_label(f, labels)} ({quantity_range(f.low, f.high, f.unit)})",
                f"Across its range it moves {what} by {usd(top.swing)}/month; no single "
                f"input flips the answer within its range. Source: {f.source}.")
    return "nothing uncertain", "No input of this scenario has a range."


def key_figures(d: Decision) -> tuple[KeyFigure, ...]:
    """The answer in four figures: the recommendation, its monthly cost and range, how sure
    (or practically tied), and what it hinges on; none for an infeasible decision."""
    if not d.feasible:
        return ()
    r = next(x for x in d.options if x.name == d.recommendation)
    labels = {x.name: x.label for x in d.options}
    runner = f"; runner-up {labels[d.runner_up]}" if d.runner_up else ""
    samples = d.monte_carlo.samples if d.monte_carlo is not None else 0
    if d.tie is not None:
        sure = KeyFigure("confidence", "Confidence", "Practically tied",
                         f"{join_words([labels[n] for n in d.tie.options])} cost within "
                         f"{_cost(d.tie_spread_usd)}/month of one another, inside the "
                         f"materiality band of {_cost(d.materiality_usd)}/month; chosen on "
                         f"{d.tie.criterion}", text=True)
    else:
        sure = KeyFigure("confidence", "Confidence", share(d.confidence),
                         "share of samples in which it is cheaper than every other option "
                         f"kept by more than {_cost(d.materiality_usd)}/month"
                         + (" (a close call)" if d.confidence < CLOSE_CALL else ""))
    hinge_text, hinge_detail = hinge(d)
    return (
        KeyFigure("recommendation", "Recommendation", r.label,
                  f"{r.architecture}; deciding factor: {d.deciding_factor}{runner}", text=True),
        KeyFigure("monthly", "Monthly cost", _cost(r.monthly_usd),
                  f"at the inputs' values; over {count(samples)} samples: median "
                  f"{_cost(r.monthly_usd_p50)}, 90 % range "
                  f"{span(r.monthly_usd_p5, r.monthly_usd_p95, lambda x: usd(x, unit=''))} "
                  "USD/month"),
        sure,
        KeyFigure("hinge", "Hinges on", hinge_text, hinge_detail, text=True),
    )
