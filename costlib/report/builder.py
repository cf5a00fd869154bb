"""The report of one scenario: :func:`build_report` resolves, evaluates and decides it, and
the :class:`Report` it returns has one method per section of the report template, each
returning :class:`~costlib.report.html.Html` (the section's data from
:mod:`~costlib.report.sections` placed by its template).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from costlib.report import figures, html, sections
from costlib.report.html import Html
from costlib.report.render import (
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    DISTRIBUTION,
    NBCONVERT_TEMPLATE,
    nbconvert_templates_dir,
    report_title,
)
from costlib.scenario.io import scenario_path


@dataclass
class Report:
    """Everything a report shows for one scenario, and one HTML builder per section.

    model : costlib.scenario.Model  The scenario as given.
    evaluation : dict  :func:`costlib.tco.evaluate` of it (the JSON of ``costlib evaluate``):
        every cost table shows these numbers.
    decision : costlib.decision.Decision  The seven steps with a Monte Carlo of ``samples``
        samples seeded with ``seed``.
    client, title : str  As shown (unescaped; the templates escape them).
    samples : int  Monte Carlo samples asked for. [samples]
    seed : int  Seed of the Monte Carlo.
    source : str  The scenario file's name or the preset's.
    prepared : str  The date the report is dated, ISO: the day its figures' ages count to.
    claims : list  The source articles' claims recomputed from the same catalog
        (:func:`costlib.claims.audit`): ``(Claim, Verdict)`` pairs.
    catalog : costlib.catalog.Catalog  The catalog it was built from (one day for all).
    """

    model: object
    evaluation: dict
    decision: object
    client: str
    title: str
    samples: int
    seed: int
    source: str
    prepared: str
    claims: list
    catalog: object

    # ------------------------------------------------------------------ lookups

    @property
    def scenario(self):
        return self.model.scenario

    def labels(self) -> dict[str, str]:
        """Display labels by option name: the scenario's label, else the name."""
        return {s.name: s.label or s.name for s in self.scenario.options}

    def label(self, name: str) -> str:
        return self.labels()[name]

    def option(self, name: str):
        """The option object (:mod:`costlib.options`): its kind label and rules."""
        return self.model.option(name)

    def rows(self) -> dict[str, dict]:
        """The evaluation's row of each option, by name."""
        return {r["name"]: r for r in self.evaluation["options"]}

    def verdicts(self) -> dict[str, object]:
        """The decision's assessment of each option, by name."""
        return {a.name: a for a in self.decision.options}

    @functools.cached_property
    def crossings(self) -> dict[str, list[float]]:
        """Volumes at which each option and the cheapest (as given) swap, by option name.
        [images/month]"""
        return figures.crossings(self.model, self.evaluation["cheapest"])

    # ------------------------------------------------------------------ sections

    def assets(self) -> Html:
        """The report's stylesheet (components.css of the nbconvert template), plotly.js and
        the print mode (``static/report.js``), once, inline: the report opens offline. With
        ``#print`` in the address, or when printed from a browser, charts are drawn static at
        the printed width."""
        css = (nbconvert_templates_dir() / NBCONVERT_TEMPLATE / "static" /
               "components.css").read_text(encoding="utf-8")
        return html.assets(css)

    def header(self) -> Html:
        """Title, client, scenario and date."""
        return html.section("header", sections.header(self))

    def summary(self) -> Html:
        """The recommendation, its monthly cost range, confidence and the assumption it hinges
        on; the reasons and the advice."""
        return html.section("summary", sections.summary(self))

    def workload(self) -> Html:
        """The workload, constraints, labor and options as the scenario gives them, the
        options kept or excluded by the constraints, and steps 1-4 of the framework."""
        return html.section("workload", sections.workload(self))

    def costs(self) -> Html:
        """Monthly cost of every option (per image, per approved asset, upfront, over the
        horizon, NPV) and by cost area: the numbers of ``costlib evaluate``."""
        return html.section("costs", sections.costs(self))

    def breakeven(self) -> Html:
        """Break-even volumes against the cheapest option, payback of purchases, and the
        decision's sampled break-even."""
        return html.section("breakeven", sections.breakeven(self))

    def uncertainty(self) -> Html:
        """The Monte Carlo: base, P5, P50, P95 and the chance of being cheapest per option
        kept (the decision's costing), and its settings."""
        return html.section("uncertainty", sections.uncertainty(self))

    def flip_points(self) -> Html:
        """What would change the answer: each input whose range holds a flip."""
        return html.section("flip-points", sections.flip_points(self))

    def capacity(self) -> Html:
        """GPUs held, latency warm and after a cold start against the target, and the
        capacity notes (queueing at the peak, bursts, hiring) of every option."""
        return html.section("capacity", sections.capacity(self))

    def hybrid(self) -> Html:
        """The cheapest split between local GPUs and an API, and the optimization levers."""
        return html.section("hybrid", sections.hybrid(self))

    def appendix(self) -> Html:
        """Every input of the model: value, range, unit, source, as-of date and note, flagged
        where stale or given by the client (scenario or quotes file); then the source
        articles' claims, recomputed."""
        return html.section("appendix", sections.appendix(self))

    # ------------------------------------------------------------------ charts

    def figure(self, name: str):
        """The plotly figure (``go.Figure``) of one chart of :data:`CHARTS`, polished for the
        report, or None where it does not apply."""
        figures.check_chart(name)
        return figures.figure(self.model, self.decision, self.evaluation["cheapest"], name)

    def chart(self, name: str) -> Html:
        """One chart as HTML, or a line saying why there is none."""
        fig = self.figure(name)
        if fig is None:
            return html.no_chart(name, "the decision is infeasible" if not self.decision.feasible
                                 else "it does not apply to this scenario")
        return html.chart(fig, name)

    def charts(self) -> list[str]:
        """The names of the charts this report draws."""
        return [n for n in figures.CHARTS if self.figure(n) is not None]


def build_report(scenario, *, client: str | None = None, title: str | None = None,
                 samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED,
                 today: dt.date | str | None = None) -> Report:
    """Resolve, evaluate and decide one scenario (a file or a preset name) for a report.

    Parameters
    ----------
    scenario : str or Path  A scenario YAML file or the name of a preset.
    client : str, optional  The client's name; default: the scenario's ``client``.
    title : str, optional  The report's title; default: made from the scenario's name.
    samples : int  Monte Carlo samples. [samples]
    seed : int  Seed of the Monte Carlo, >= 0: the same seed gives the same report.
    today : datetime.date or str, optional  The day the ages of figures count to (the stale
        flags) and the report is dated: a date, or ISO ``YYYY-MM-DD`` (the template's
        parameter); None or ``""``: the clock's date, read once, as the catalog loads.
    """
    from costlib.catalog import load_catalog, parse_today
    from costlib.claims import audit
    from costlib.decision import decide
    from costlib.scenario import load_scenario, resolve
    from costlib.tco import evaluate

    path = scenario_path(scenario)
    loaded = load_scenario(path)
    # one catalog, so one day, for the inputs' ages, the levers' figures and the date shown
    catalog = load_catalog(loaded.quotes, stale_after_days=loaded.stale_after_days,
                           today=parse_today(today))
    model = resolve(loaded, catalog, today=catalog.today)
    decision = decide(model, samples=samples, distribution=DISTRIBUTION, seed=seed,
                      catalog=catalog)
    source = (path.name if path.parent.resolve() != _presets_dir() else
              f"the {path.stem.replace('_', ' ')} preset")
    return Report(model, evaluate(model), decision,
                  (client if client else model.scenario.client).strip(),
                  report_title(model.scenario, title), samples, seed, source,
                  catalog.today.isoformat(), audit(catalog), catalog)


def _presets_dir() -> Path:
    from costlib.catalog import data_dir

    return (data_dir() / "scenarios").resolve()
