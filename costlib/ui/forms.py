"""Widget forms, one per step of the decision framework.

Each form shows a scenario picker, the step's inputs and its charts. Changing an input
validates the scenario, re-resolves it, updates every chart in place
(``FigureWidget.batch_update``) and saves the working scenario, so the next step's notebook
starts from it. A bad value is shown in the form's status line, never raised.

Tests drive a form without a browser: setting ``form.fields[path].value`` runs the same
handler a browser change runs.
"""

from __future__ import annotations

import html
import re
import sys

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from costlib import charts
from costlib.catalog import future_warning, load_catalog
from costlib.errors import InputError
from costlib.fmt import share, volume
from costlib.labels import input_label, option_labels, precision_label
from costlib.scenario import MODELS, PRIVACY, VARIABILITY, resolve
from costlib.tco import evaluate
from costlib.throughput import PRECISIONS
from costlib.ui import state
from costlib.ui.answer import key_figures_html

# plotly's FigureWidget (first used below) imports nbformat, whose jsonschema compiles an
# optional IRI grammar (rfc3987_syntax) as it is imported: 1-1.6 s of every page's start.
# Nothing in a costlib kernel validates IRIs; jsonschema goes without that one check.
sys.modules.setdefault("rfc3987_syntax", None)

_WIDE = widgets.Layout(width="520px")
_BUTTON = widgets.Layout(width="auto")
_STYLE = {"description_width": "230px"}


def _differs(a, b) -> bool:
    """Whether two values of a plotly figure dict differ (arrays compared by value)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray | list | tuple) or isinstance(b, np.ndarray | list | tuple):
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return not np.array_equal(a, b)
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is not type(b) or a != b


def _changed(old: dict, new: dict) -> dict:
    """The keys of ``new`` whose values differ from ``old``'s; a key gone from ``new`` maps
    to None, which unsets it."""
    return {k: new.get(k) for k in old.keys() | new.keys()
            if k not in old or k not in new or _differs(old[k], new[k])}


# In Voila every FigureWidget ships plotly's 5 MB widget bundle over the websocket, one copy
# a chart. `make app` puts a copy of the bundle among the template's static files; a widget
# whose code is this loader imports it from there instead: once a page, cached across pages.
BUNDLE = "plotly-widgetbundle.js"
_LOADER = f"""const base = document.body.dataset.baseUrl || "/voila/";
const bundle = await import(new URL(base + "templates/costlib/static/{BUNDLE}",
                                    location.href).href);
export default bundle.default;
"""


def served_bundle() -> bool:
    """Whether this kernel runs a Voila page and the template serves plotly's widget bundle
    (the very file of the plotly installed here)."""
    import os
    from pathlib import Path

    from jupyter_core.paths import jupyter_path

    if "VOILA_REQUEST_URL" not in os.environ:  # set for every Voila kernel, progressive too
        return False
    size = plotly_bundle().stat().st_size
    copies = [Path(d) / BUNDLE for d in jupyter_path("voila", "templates", "costlib", "static")]
    return any(c.is_file() and c.stat().st_size == size for c in copies)


def plotly_bundle():
    """The widget bundle of the plotly installed here (what `make app` copies)."""
    from pathlib import Path

    import plotly.basewidget

    return Path(plotly.basewidget.__file__).parent / "package_data" / "widgetbundle.js"


def figure_widget(spec: dict) -> go.FigureWidget:
    """A FigureWidget of a figure dict; in Voila, one that loads plotly's bundle from the
    template's static files where it is served (see :func:`served_bundle`)."""
    if served_bundle():
        return _ServedFigureWidget(spec)
    return go.FigureWidget(spec)


def stale_note(model, shown: int = 3) -> str:
    """What the status line says of inputs older than the scenario's limit: the first
    ``shown`` named once each, in words, with their dates, then how many more ('' where none
    is)."""
    labels = option_labels(model.scenario)
    named = list(dict.fromkeys(f"{input_label(i.path, labels)} (as of {i.as_of})"
                               for i in model.inputs.values() if i.stale))
    if not named:
        return ""
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    return (f"; older than {model.scenario.stale_after_days} days: "
            f"{', '.join(named[:shown])}{more}")


class _ServedFigureWidget(go.FigureWidget):
    _esm = _LOADER


def picker_choices() -> list[tuple[str, str]]:
    """The scenario picker's choices in words: (label, name) for :func:`state.choices`."""
    def label(name: str) -> str:
        if name == state.CURRENT:
            return "the working scenario"
        if name.startswith(state.SAVED):
            return f"{name.removeprefix(state.SAVED)} (saved)"
        return f"{name.replace('_', ' ')} (preset)"

    return [(label(n), n) for n in state.choices()]


def refresh_figure(target: go.FigureWidget, shown: dict, source: dict) -> None:
    """Make ``target``, which shows the figure dict ``shown``, show the figure dict ``source``
    instead, in place, in one message: only the trace properties and layout keys that changed
    are sent, unvalidated (``plotly_update``; validating them costs 0.3 ms a property, and
    the builders write plotly's own form). Traces are re-created, validated, only when their
    number or kind changed."""
    old_traces, new_traces = shown["data"], source["data"]
    if [t["type"] for t in old_traces] != [t["type"] for t in new_traces]:
        with target.batch_update():
            target.data = ()
            target.add_traces(new_traces)
            target.layout = source["layout"]
        return
    keys = set().union(*(_changed(a, b) for a, b in zip(old_traces, new_traces, strict=True)))
    restyle = {k: [t.get(k) for t in new_traces] for k in keys}
    relayout = _changed(shown["layout"], source["layout"])
    if restyle or relayout:
        target.plotly_update(restyle_data=restyle, relayout_data=relayout)


class StepForm:
    """One step: picker, fields (scenario path -> widget), charts and a status line.

    Subclasses define ``title``, :meth:`make_fields` and :meth:`make_figures`.
    """

    title = ""
    resets: dict[str, tuple[str, ...]] = {}  # a change of the key unsets these fields
    # every change also runs the decision engine, with the samples and seed of the report and
    # `costlib decide` (so the figures agree); the break-even is not sampled (0.4 s a change)
    decides = False

    def __init__(self, scenario=None, autosave: bool = True):
        self.autosave = autosave
        self.scenario = scenario if scenario is not None else state.load_current()
        self.catalog = load_catalog(self.scenario.quotes,
                                    stale_after_days=self.scenario.stale_after_days)
        self.model = resolve(self.scenario, self.catalog)
        self.decision = self._decide(self.model)
        self.status = widgets.HTML()
        self.picker = widgets.Dropdown(options=picker_choices(), value=state.CURRENT,
                                       description="Scenario", style=_STYLE, layout=_WIDE)
        self.picker.observe(self._on_pick, names="value")
        self.fields: dict[str, widgets.Widget] = self.make_fields()
        for path, widget in self.fields.items():
            widget.observe(lambda change, path=path: self._on_field(path, change.new),
                           names="value")
        self.extras = self.make_extra()
        self.shown = self.make_figures(self.model, self.decision)  # figure dicts on screen
        self.figures = [figure_widget(f) for f in self.shown]
        self.on_model(self.model, self.decision)
        self._show_status()

    # -- to override ------------------------------------------------------------------
    def make_fields(self) -> dict[str, widgets.Widget]:
        return {}

    def make_figures(self, model, decision) -> list[dict]:
        """The step's charts as plotly figure dicts (see :mod:`costlib.charts`)."""
        return []

    def make_extra(self) -> list[widgets.Widget]:
        """Widgets shown between the fields and the charts (tables, texts)."""
        return []

    def on_model(self, model, decision) -> None:
        """Called after every successful change (for the extra widgets)."""

    def _decide(self, model):
        if not self.decides:
            return None
        from costlib.decision import decide

        return decide(model, catalog=self.catalog, sample_breakeven=False)

    # -- wiring -----------------------------------------------------------------------
    def _on_pick(self, change) -> None:
        try:
            self.load(state.load_choice(change.new))
        except InputError as e:
            self._error(e)

    def load(self, scenario) -> None:
        """Show another scenario: every field takes its value, every chart updates."""
        self.catalog = load_catalog(scenario.quotes, stale_after_days=scenario.stale_after_days)
        self.apply(scenario)

    def _sync_fields(self) -> None:
        """Set every field from the resolved model, without running the change handlers."""
        self._syncing = True
        try:
            for path, widget in self.fields.items():
                value = (self.model.values.get(path)
                         if path.split(".")[0] in ("workload", "labor", "timeline") else None)
                if value is None:
                    node = self.scenario
                    for key in path.split("."):
                        node = getattr(node, key)
                    value = node
                widget.value = value
        finally:
            self._syncing = False

    def _on_field(self, path: str, value) -> None:
        if getattr(self, "_syncing", False):
            return
        if path in ROUNDED:
            value = ROUNDED[path](value)
        try:
            scenario = state.set_field(self.scenario, path, value)
            for other in self.resets.get(path, ()):
                scenario = state.set_field(scenario, other, None)
            self.apply(scenario)
        except InputError as e:
            self._error(e)

    def apply(self, scenario) -> None:
        """Resolve a new scenario, update the charts in place, save it."""
        model = resolve(scenario, self.catalog)
        decision = self._decide(model)
        sources = self.make_figures(model, decision)
        for target, shown, source in zip(self.figures, self.shown, sources, strict=True):
            refresh_figure(target, shown, source)
        self.shown = sources
        self.scenario, self.model, self.decision = scenario, model, decision
        self._sync_fields()
        self.on_model(model, decision)
        unsaved = None
        if self.autosave:
            try:
                state.save_current(scenario)
            except OSError as e:  # a full disk: the form goes on, and says so
                unsaved = e
        self._show_status()
        if unsaved is not None:
            why = html.escape(unsaved.strerror or str(unsaved))
            self.status.value += (f"<br>&#9888; Not saved ({why}): the next step will not see "
                                  "this change.")

    def _error(self, error: Exception) -> None:
        message = html.escape(str(error), quote=False)
        self.status.value = f"<span style='color:#b00020'>&#9888; {message}</span>"

    def _show_status(self) -> None:
        result = evaluate(self.model)
        cheapest = next(o["label"] for o in result["options"] if o["name"] == result["cheapest"])
        answer = f"cheapest per month: <b>{html.escape(cheapest)}</b>"
        d = self.decision
        if d is not None and not d.feasible:
            answer = "<b>no option meets the constraints</b>"
        elif d is not None:
            sure = ("practically tied on cost with "
                    + ", ".join(html.escape(a.label) for a in d.options
                                if d.tie is not None and a.name in d.tie.options
                                and a.name != d.recommendation)
                    if d.tie is not None else
                    f"{share(d.confidence)} sure it is cheaper by a material margin")
            answer = f"recommended: <b>{html.escape(d.label)}</b> ({sure})"
        ahead = future_warning(self.catalog, shown=0)
        ahead = f"<br>&#9888; {html.escape(ahead)}" if ahead else ""
        self.status.value = (f"<b>{html.escape(self.scenario.name)}</b>: "
                             f"{volume(result['images_per_month'], 3)} images/month; "
                             f"{answer}{html.escape(stale_note(self.model))}{ahead}")

    def widget(self) -> widgets.VBox:
        """The whole form, ready to display."""
        return widgets.VBox([self.picker, *self.fields.values(), self.status, *self.extras,
                             *self.figures])

    def frame(self):
        """The step's numbers as a pandas DataFrame for one's own analysis: every option's
        costs (monthly, per image, per approved asset, over the horizon) and each cost
        area, one row an option. [USD]"""
        import pandas as pd

        rows = evaluate(self.model)["options"]
        return pd.DataFrame([{"option": r["label"], "monthly_usd": r["monthly_usd"],
                              "usd_per_image": r["usd_per_image"],
                              "usd_per_approved": r["usd_per_approved"],
                              "horizon_usd": r["horizon_usd"],
                              **{f"{a}_usd_per_month": v for a, v in r["by_area"].items()}}
                             for r in rows]).set_index("option")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())


def message_figure(title: str, text: str) -> dict:
    """A chart slot with a message instead of data (so a form keeps its chart count)."""
    return {"data": [], "layout": {
        "title": {"text": title}, "template": "none", "plot_bgcolor": "white", "height": 300,
        "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "annotations": [dict(text=html.escape(text), showarrow=False, x=0.5, y=0.5,
                             xref="paper", yref="paper", font=dict(size=15))]}}


def uncertainty_figure(model, decision) -> dict:
    """The Monte Carlo distribution of the options kept, or why there is none."""
    if decision is None or decision.monte_carlo is None:
        return message_figure("How sure", "No option meets the constraints: nothing to sample.")
    return charts.distribution_figure(model, decision.monte_carlo)


def hinge_figure(model, decision) -> dict:
    """The tornado of the recommendation's margin, or why there is none."""
    if decision is None or decision.tornado is None or not decision.tornado.bars:
        return message_figure("What it hinges on", "Only one option is kept, or no input "
                              "is uncertain: there is no margin to test.")
    return charts.tornado_figure(model, decision.tornado)


def options_table(decision) -> str:
    """HTML table: every option, kept or excluded by a constraint, and why."""
    rows = "".join(
        f"<tr><td>{html.escape(a.label)}</td>"
        f"<td style='color:{'#1a7f37' if a.allowed else '#b00020'}'>"
        f"{'kept' if a.allowed else 'excluded: ' + html.escape(', '.join(a.excluded_by))}</td>"
        f"<td>{html.escape(' '.join(a.reasons) or '-')}</td></tr>" for a in decision.options)
    return ("<table style='border-collapse:collapse' cellpadding='4'><tr><th align='left'>"
            "Option</th><th align='left'>Constraints</th><th align='left'>Why</th></tr>"
            f"{rows}</table>")


def _slider(cls, description, value, **kw):
    return cls(value=value, description=description, style=_STYLE, layout=_WIDE,
               continuous_update=False, **kw)


def _words(ids) -> list[tuple[str, str]]:
    """Dropdown choices of ids, shown in words: ('business hours', 'business_hours')."""
    return [(i.replace("_", " "), i) for i in ids]


def _volume_slider(model):
    """Images per month on a log scale, 10 to 100 million (what it writes is rounded to two
    significant digits, see :data:`ROUNDED`)."""
    return _slider(widgets.FloatLogSlider, "Images per month",
                   float(model.workload.images_per_month), base=10, min=1, max=8, step=0.05,
                   readout_format=".2s")


# fields whose widget writes more digits than a person meant: rounded before they are saved
ROUNDED = {"workload.images_per_month": lambda v: float(f"{float(v):.2g}")}

PRIVACY_WORDS = {  # the sensitivity levels, as a person chooses among them
    "public": "public: any API",
    "internal": "internal: any API, standard terms",
    "confidential": "confidential: APIs only with an agreement",
    "regulated": "regulated (personal data): APIs only with an agreement",
}
PRIVACY_NOTE = ("<small style='line-height:1.4'>Confidential and regulated prompts and images "
                "may go to a third-party API only under a signed data-processing agreement "
                "(after legal review of each provider); without one, only GPUs you rent or own "
                "remain. Public and internal data may go to any API.</small>")


def _privacy_fields(c) -> dict[str, widgets.Widget]:
    """The privacy level (explained in its choices) and the data-processing agreement."""
    return {
        "constraints.privacy": widgets.Dropdown(
            options=[(PRIVACY_WORDS[p], p) for p in PRIVACY], value=c.privacy,
            description="Data sensitivity", style=_STYLE, layout=_WIDE),
        "constraints.dpa_available": widgets.Checkbox(
            value=c.dpa_available, description="Data-processing agreement available",
            style=_STYLE, layout=_WIDE),
    }


class UseCaseForm(StepForm):
    """Step 1: the use case: a preset or your own, the model, the resolution and how many
    outputs are generated per approved asset."""

    title = "Step 1: define the use case"

    def make_fields(self):
        w = self.scenario.workload
        return {
            "workload.model": widgets.Dropdown(options=_words(MODELS), value=w.model,
                                               description="Model", style=_STYLE,
                                               layout=_WIDE),
            "workload.resolution": widgets.Dropdown(
                options=sorted({"512x512", "768x768", "1024x1024", "1024x1792", w.resolution}),
                value=w.resolution, description="Resolution [px]", style=_STYLE, layout=_WIDE),
            "workload.outputs_per_approved": _slider(
                widgets.FloatSlider, "Outputs per approved asset",
                float(self.model.workload.outputs_per_approved),
                min=1, max=40, step=0.5, readout_format=".3"),
        }

    def make_extra(self):
        self.description = widgets.HTML()
        return [self.description]

    def on_model(self, model, decision):
        self.description.value = f"<i>{html.escape(model.scenario.description)}</i>"

    def make_figures(self, model, decision):
        return [charts.cost_per_approved_figure(model)]


class VolumeForm(StepForm):
    """Step 2: volume and variability: images per month, the demand profile and its peak."""

    title = "Step 2: estimate volume and variability"
    resets = {"workload.variability": ("workload.peak_factor",)}

    def make_fields(self):
        w = self.scenario.workload
        return {
            "workload.images_per_month": _volume_slider(self.model),
            "workload.variability": widgets.Dropdown(
                options=_words(VARIABILITY), value=w.variability, description="Demand profile",
                style=_STYLE, layout=_WIDE),
            "workload.peak_factor": _slider(
                widgets.FloatSlider, "Peak hour over mean hour",
                float(self.model.workload.peak_factor), min=1, max=4.2, step=0.05,
                readout_format=".3"),
        }

    def make_figures(self, model, decision):
        return [charts.demand_figure(model), charts.cost_vs_volume_figure(model)]


class PrivacyForm(StepForm):
    """Step 3: privacy: how sensitive the prompts and images are and whether a
    data-processing agreement with the provider is available."""

    title = "Step 3: set privacy requirements"
    decides = True

    QUESTIONS = ("Which prompts, images and metadata leave your network?",
                 "Where does the provider keep them, and when are they deleted?",
                 "Does its contract let it train its models on them?",
                 "Who can see them there, and is every access logged?",
                 "In which country are they processed, and must they stay in one?")

    def make_fields(self):
        return _privacy_fields(self.scenario.constraints)

    def make_extra(self):
        questions = "".join(f"<li>{html.escape(q)}</li>" for q in self.QUESTIONS)
        self.allowed = widgets.HTML()
        return [widgets.HTML(PRIVACY_NOTE), self.allowed,
                widgets.HTML("<b>Ask each API provider before relying on it</b> (the answers "
                             "decide whether a data-processing agreement is available)"
                             f"<ul>{questions}</ul>")]

    def on_model(self, model, decision):
        self.allowed.value = options_table(decision)

    def make_figures(self, model, decision):
        return [charts.cost_by_area_figure(model)]


class OperationsForm(StepForm):
    """Step 4: operational capacity: who runs the GPUs, at what cost in hours and people."""

    title = "Step 4: measure operational capacity"

    def make_fields(self):
        c, ops = self.scenario.constraints, self.model.ops
        return {
            "constraints.has_ops_team": widgets.Checkbox(
                value=c.has_ops_team, description="We have people to run GPUs", style=_STYLE,
                layout=_WIDE),
            "constraints.user_facing": widgets.Checkbox(
                value=c.user_facing, description="Users wait on it (self-hosting is on call)",
                style=_STYLE, layout=_WIDE),
            "labor.devops_hours_per_month": _slider(
                widgets.FloatSlider, "DevOps time [h/month]", float(ops.devops_hours_per_month),
                min=0, max=160, step=1, readout_format=".0f"),
            "labor.ml_engineer_fte": _slider(
                widgets.FloatSlider, "ML engineer time [FTE]",
                float(ops.ml_engineer_fte), min=0, max=3, step=0.05, readout_format=".3"),
            "labor.engineer_hourly_usd": _slider(
                widgets.FloatSlider, "Engineer rate [USD/h]", float(ops.engineer_hourly_usd),
                min=20, max=200, step=1, readout_format=".0f"),
            "labor.setup_weeks": _slider(
                widgets.FloatSlider, "Serving setup [weeks]", float(ops.setup_weeks),
                min=0, max=16, step=0.5, readout_format=".3"),
        }

    def make_figures(self, model, decision):
        return [charts.cost_by_area_figure(model)]


class TotalCostForm(StepForm):
    """Step 5: total cost: by area, against volume, over the horizon, per approved asset."""

    title = "Step 5: model total cost"
    decides = True

    def make_fields(self):
        return {
            "workload.images_per_month": _volume_slider(self.model),
            "horizon_months": _slider(widgets.IntSlider, "Horizon [months]",
                                      self.scenario.horizon_months, min=1, max=120),
            "workload.cache_hit_rate": _slider(
                widgets.FloatSlider, "Cache hit rate [% of images]",
                float(self.model.workload.cache_hit_rate), min=0,
                max=0.9, step=0.01, readout_format=".0%"),
            # the cash flow over the horizon (cumulative chart, NPV, payback)
            "timeline.growth_per_month": _slider(
                widgets.FloatSlider, "Volume growth [% a month]",
                float(self.model.timeline.growth_per_month), min=0, max=0.1, step=0.005,
                readout_format=".1%"),
            "timeline.api_price_decline_per_year": _slider(
                widgets.FloatSlider, "API prices fall [% a year]",
                float(self.model.timeline.api_price_decline_per_year), min=0, max=0.5,
                step=0.05, readout_format=".0%"),
            "timeline.gpu_price_decline_per_year": _slider(
                widgets.FloatSlider, "GPU prices fall [% a year]",
                float(self.model.timeline.gpu_price_decline_per_year), min=0, max=0.5,
                step=0.05, readout_format=".0%"),
        }

    def make_figures(self, model, decision):
        return [charts.cost_by_area_figure(model), charts.cost_vs_volume_figure(model),
                charts.cumulative_cost_figure(model), charts.cost_per_approved_figure(model),
                uncertainty_figure(model, decision), hinge_figure(model, decision)]


def decision_html(decision) -> str:
    """The recommendation, its confidence, reasons, advice and flip points, as HTML."""
    def items(lines):
        return "".join(f"<li>{html.escape(x)}</li>" for x in lines)

    if not decision.feasible:
        return (f"<h4 style='color:#b00020'>No option meets the constraints</h4>"
                f"<ul>{items(decision.reasons)}</ul>")
    from costlib.narrative import flip_sentence

    labels = {a.name: a.label for a in decision.options}
    flips = [flip_sentence(f, labels) for f in decision.flip_points
             if f.below is not None or f.above is not None][:5]
    return (f"<b>Why</b><ul>{items(decision.reasons)}</ul>"
            f"<b>Advice</b><ul>{items(decision.advice)}</ul>"
            f"<b>What would change the answer</b>"
            f"<ul>{items(flips or ['No single input flips it within its range.'])}</ul>")


def _seconds(what: str, text: str, required: bool) -> float | None:
    """A measured duration typed into a text field; None where left empty and not
    required. [s]"""
    text = (text or "").strip()
    if not text and not required:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 600:
        raise InputError(f"{what}: {text!r} is not allowed; enter the measured seconds, "
                         "more than 0 and at most 600")
    return value


class PrototypeForm(StepForm):
    """Step 6: prototype: load a probe result (or run the probe on a GPU), enter the accepted
    share of outputs and the provider tests, and see the model use the measured numbers."""

    title = "Step 6: prototype before committing"
    ACCEPT = "Accept a result measured under other conditions"

    def _choices(self) -> tuple[list, list]:
        """(label, name) of the scenario's local GPU options and of its API options."""
        m = self.model
        names = option_labels(self.scenario)
        local = [(names[n], n) for n, o in m.options.items() if o.local_part is o]
        apis = [(names[n], n) for n, o in m.options.items() if o.api_part is o]
        return local, apis

    def on_model(self, model, decision):
        """Another scenario (picked, or loaded) may have other options to choose from."""
        local, apis = self._choices()
        for dropdown, choices in ((self.probe_option, local), (self.api_option, apis)):
            if list(dropdown.options) != choices:
                dropdown.options = choices

    def make_extra(self):
        m = self.model
        local, apis = self._choices()
        self.acceptance = _slider(widgets.FloatSlider, "Accepted share of outputs [%]",
                                  1 / float(m.workload.outputs_per_approved), min=0.02, max=1,
                                  step=0.01, readout_format=".0%")
        self.acceptance.observe(lambda c: None if getattr(self, "_syncing", False) else
                                self._on_field("workload.outputs_per_approved", 1 / c.new),
                                names="value")
        self.probe_path = widgets.Text(description="Probe result [JSON path]", style=_STYLE,
                                       layout=_WIDE, placeholder="/path/to/result.json")
        self.probe_option = widgets.Dropdown(options=local, description="Applies to option",
                                             style=_STYLE, layout=_WIDE)
        # how that option runs its GPU: images a call, arithmetic (fp8 where its GPU has an
        # 8-bit peak; the model says so otherwise)
        self.batch = widgets.BoundedIntText(min=1, max=128, description="Batch size [images a "
                                            "call]", style=_STYLE, layout=_WIDE)
        self.precision = widgets.Dropdown(options=[(precision_label(p), p) for p in PRECISIONS],
                                          description="Precision", style=_STYLE, layout=_WIDE)
        self.batch.observe(lambda c: self._on_option("batch_size", c.new), names="value")
        self.precision.observe(lambda c: self._on_option("precision", c.new), names="value")
        self.probe_option.observe(lambda c: self._sync_fields(), names="value")
        # as --accept-probe-mismatch: another model, resolution or step count, or a run that
        # did not complete; the figures' source then says how it differs
        self.accept_mismatch = widgets.Checkbox(value=False, description=self.ACCEPT,
                                                style=_STYLE,
                                                layout=widgets.Layout(width="720px"))
        load = widgets.Button(description="Use measured throughput", icon="upload", layout=_BUTTON)
        load.on_click(lambda _: self.load_probe())
        run = widgets.Button(description="Run the probe on this GPU", icon="play", layout=_BUTTON)
        run.on_click(lambda _: self.run_probe())
        self.api_option = widgets.Dropdown(options=apis, description="API tested",
                                           style=_STYLE, layout=_WIDE)
        # empty until measured: a click must never record a number nobody measured
        self.warm_p95 = widgets.Text(description="95th percentile of 50 warm requests [s]",
                                     placeholder="measured, e.g. 2.8", style=_STYLE,
                                     layout=_WIDE)
        self.cold_start = widgets.Text(description="Cold start [s]",
                                       placeholder="measured, or leave empty", style=_STYLE,
                                       layout=_WIDE)
        self.consistent = widgets.Checkbox(value=True, description="Same prompt and seed "
                                           "gave the same image 10 times", style=_STYLE,
                                           layout=widgets.Layout(width="720px"))
        self.consistent.observe(lambda c: self._show_status(), names="value")
        record = widgets.Button(description="Record provider test", icon="check", layout=_BUTTON)
        record.on_click(lambda _: self.record_provider())
        return [widgets.HTML("<b>Acceptance</b>"), self.acceptance,
                widgets.HTML("<b>Your GPU</b> (costlib probe)"), self.probe_option,
                self.batch, self.precision, self.probe_path, self.accept_mismatch,
                widgets.HBox([load, run]),
                widgets.HTML("<b>Provider tests</b>"), self.api_option, self.warm_p95,
                self.cold_start, self.consistent, record]

    def _option_index(self) -> int | None:
        """Where the option the GPU fields apply to is in the scenario's options (None: not
        in this scenario)."""
        return next((i for i, o in enumerate(self.scenario.options)
                     if o.name == self.probe_option.value), None)

    def _on_option(self, field: str, value) -> None:
        """Set ``field`` of the chosen GPU option; a refused value goes back to the option's."""
        if getattr(self, "_syncing", False) or self._option_index() is None:
            return
        self._on_field(f"options.{self._option_index()}.{field}", value)
        self._sync_fields()

    def _sync_fields(self):
        self._syncing = True
        try:
            self.acceptance.value = 1 / float(self.model.workload.outputs_per_approved)
            if self._option_index() is not None:
                spec = self.scenario.options[self._option_index()]
                self.batch.value, self.precision.value = spec.batch_size, spec.precision
        finally:
            self._syncing = False

    def _show_status(self):
        super()._show_status()
        if hasattr(self, "consistent") and not self.consistent.value:
            self.status.value += ("<br>&#9888; Outputs differ for the same seed: A/B tests "
                                  "and batch re-runs will not be reproducible on this provider.")

    def load_probe(self, path: str | None = None, option: str | None = None) -> None:
        """Apply a probe result file to a local option (the button's handler). A result of
        another model, resolution or step count, or of an unfinished run, is applied only
        where :attr:`accept_mismatch` is ticked; then the status line says how it differs,
        as the source of its figures does (and the report's appendix with it). Of a merged
        result of several GPUs, the option takes the GPU it runs on."""
        try:
            from costlib.probe.result import (
                apply_to_scenario,
                matching_options,
                mismatches,
                read_result,
            )

            path = path or self.probe_path.value
            result = read_result(path)
            names = [option or self.probe_option.value]
            differs = mismatches(result, self.scenario, names)
            runs_on = matching_options(self.model, result, names, "option") \
                if len(result.gpus) > 1 else {}
            gpu = runs_on[names[0]].gpu_name if names[0] in runs_on else None
            self.apply(apply_to_scenario(self.scenario, path, names, self.accept_mismatch.value,
                                         f"tick '{self.ACCEPT}'", gpu))
        except InputError as e:
            return self._error(e)
        if differs:
            self.status.value += ("<br>&#9888; The probe result is applied although "
                                  f"{html.escape('; '.join(differs))}.")

    def run_probe(self) -> None:
        """Measure this machine's GPU with the probe and apply the result."""
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            return self._error(InputError("probe: torch is not installed here; install "
                                          "costlib[probe] on the GPU server"))
        import torch

        if not torch.cuda.is_available():
            return self._error(InputError("probe: no GPU here; run `costlib probe` on the "
                                          "GPU server and load its result"))
        from costlib.probe import run_probe

        out = state.workspace_dir() / "probe-result.json"
        # a 2-minute sustained run (the command's default is 10): a notebook waits for it
        run_probe(self.scenario.workload.model, device="cuda", sustained_seconds=120,
                  out_path=out)
        self.load_probe(str(out))

    def record_provider(self, option: str | None = None, warm_p95_s: float | None = None,
                        cold_start_s: float | None = None) -> None:
        """Record a provider test (the button's handler)."""
        try:
            warm = warm_p95_s if warm_p95_s is not None else _seconds(
                "warm latency", self.warm_p95.value, required=True)
            cold = cold_start_s if cold_start_s is not None else _seconds(
                "cold start", self.cold_start.value, required=False)
            scenario = state.record_latency(self.scenario, option or self.api_option.value,
                                            warm, cold)
            self.load(scenario)
        except InputError as e:
            self._error(e)

    def make_figures(self, model, decision):
        return [charts.cost_per_approved_figure(model), charts.cost_by_area_figure(model)]


class AnswerFirst(StepForm):
    """A step that opens with the answer in four cards (:class:`costlib.ui.answer.Answer`).

    ``answer``: the answer a cell above already shows; the form starts from its scenario and
    decision and keeps its cards current (without it, the form shows its own cards first).
    """

    decides = True

    def __init__(self, scenario=None, autosave: bool = True, answer=None):
        self._given, self.answered = answer, answer is not None
        self.cards = answer.cards if answer is not None else widgets.HTML()
        super().__init__(answer.scenario if answer is not None else scenario, autosave)

    def _decide(self, model):
        first, self._given = self._given, None  # the answer's decision, of the same scenario
        return first.decision if first is not None else super()._decide(model)

    def on_model(self, model, decision):
        self.cards.value = key_figures_html(decision)

    def widget(self) -> widgets.VBox:
        """The cards above everything (where no cell above shows them): the first screen
        answers the question."""
        cards = [] if self.answered else [self.cards]
        return widgets.VBox([*cards, self.picker, *self.fields.values(), self.status,
                             *self.extras, *self.figures])


class ChooseForm(AnswerFirst):
    """Step 7: choose: the recommendation with its reasons, confidence and flip points, the
    hybrid split; save the scenario and produce the client report, with download links."""

    title = "Step 7: choose cloud, local or hybrid"

    def make_extra(self):
        self.answer = widgets.HTML()
        self.table = widgets.HTML()
        self.save_name = widgets.Text(description="Save scenario as", style=_STYLE,
                                      layout=_WIDE, placeholder="client-name")
        save = widgets.Button(description="Save", icon="save", layout=_BUTTON)
        save.on_click(lambda _: self.save())
        self.client = widgets.Text(description="Client name (report header)", style=_STYLE,
                                   layout=_WIDE, placeholder="the scenario's name if empty")
        report = widgets.Button(description="Produce the client report", icon="file",
                                layout=_BUTTON)
        report.on_click(lambda _: self.report())
        self.saved = widgets.HTML()
        return [self.answer, self.table, widgets.HBox([self.save_name, save]),
                widgets.HBox([self.client, report]), self.saved]

    def on_model(self, model, decision):
        super().on_model(model, decision)
        self.answer.value = decision_html(decision)
        self.table.value = options_table(decision)

    def save(self, name: str | None = None) -> None:
        """Save the scenario in the workspace under a name (the button's handler); the
        picker then offers it and stays on it."""
        try:
            name = name or self.save_name.value
            state.save_as(self.scenario, name)
            self._syncing = True  # the picker's new options must not reload a scenario
            try:
                self.picker.options = picker_choices()
                self.picker.value = state.SAVED + name
            finally:
                self._syncing = False
            self.saved.value = f"Saved as <b>{html.escape(name)}</b>: the picker offers it."
        except InputError as e:
            self._error(e)

    def report(self, pdf: bool = True) -> None:
        """Write the client report of the working scenario into the workspace (HTML, and a
        PDF where Chromium is installed) and offer both as downloads; the button's
        handler."""
        from costlib.report import find_chromium, render

        name = re.sub(r"[^A-Za-z0-9_-]+", "-", self.save_name.value or self.scenario.name)
        out = state.workspace_dir() / "reports" / f"{name.strip('-') or 'report'}.html"
        self.saved.value = "Writing the report (about 10 s)..."
        try:
            result = render(state.save_current(self.scenario), out,
                            pdf=out.with_suffix(".pdf") if pdf and find_chromium() else None,
                            client=self.client.value.strip() or None)
        except InputError as e:
            return self._error(e)
        written = [result.html] + ([result.pdf] if result.pdf else [])
        self.saved.value = "Report ready: " + " &nbsp; ".join(map(download_link, written))

    def make_figures(self, model, decision):
        hybrid = (charts.hybrid_figure(model, decision.hybrid) if decision.hybrid is not None
                  else message_figure("Hybrid split", "No rented-reserved or owned option and "
                                      "API pair is kept: no hybrid to size."))
        return [hybrid, uncertainty_figure(model, decision), hinge_figure(model, decision)]


def download_link(path) -> str:
    """A link that downloads a file the kernel wrote (its bytes in the link: Voila serves no
    workspace files), named by the file's name."""
    import base64
    import mimetypes

    data = base64.b64encode(path.read_bytes()).decode("ascii")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    name = html.escape(path.name)
    return (f"<a download='{name}' href='data:{kind};base64,{data}' style='{LINK_STYLE}'>"
            f"&#11015; {name}</a>")


LINK_STYLE = "color:#1a73e8;text-decoration:underline;font-weight:600"


class OverviewForm(AnswerFirst):
    """The whole decision on one screen for the working scenario: the answer in four cards
    first, then the controls that matter most and the charts."""

    title = "The decision on one screen"

    def make_fields(self):
        return {"workload.images_per_month": _volume_slider(self.model),
                **_privacy_fields(self.scenario.constraints)}

    def make_extra(self):
        self.answer = widgets.HTML()
        return [widgets.HTML(PRIVACY_NOTE), self.answer]

    def on_model(self, model, decision):
        super().on_model(model, decision)
        self.answer.value = decision_html(decision)

    def make_figures(self, model, decision):
        return [charts.cost_by_area_figure(model), charts.cost_vs_volume_figure(model),
                uncertainty_figure(model, decision)]
