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

import ipywidgets as widgets
import plotly.graph_objects as go

from costlib import charts
from costlib.catalog import load_catalog
from costlib.errors import InputError
from costlib.scenario import MODELS, PRIVACY, VARIABILITY, resolve
from costlib.tco import evaluate
from costlib.ui import state

_WIDE = widgets.Layout(width="520px")
_STYLE = {"description_width": "230px"}


def refresh_figure(target: go.FigureWidget, source: go.Figure) -> None:
    """Make ``target`` show ``source``, in place: trace data and layout are updated inside
    one ``batch_update``; traces are only re-created when their number or kind changed."""
    same = (len(target.data) == len(source.data)
            and all(a.type == b.type for a, b in zip(target.data, source.data, strict=True)))
    if not same:
        with target.batch_update():
            target.data = ()
            target.add_traces(source.data)
            target.layout = source.layout
        return
    with target.batch_update():
        for old, new in zip(target.data, source.data, strict=True):
            old.update(new.to_plotly_json(), overwrite=True)
        target.layout.update(source.layout.to_plotly_json(), overwrite=False)


class StepForm:
    """One step: picker, fields (scenario path -> widget), charts and a status line.

    Subclasses define ``title``, :meth:`make_fields` and :meth:`make_figures`.
    """

    title = ""
    resets: dict[str, tuple[str, ...]] = {}  # a change of the key unsets these fields

    def __init__(self, scenario=None, autosave: bool = True):
        self.autosave = autosave
        self.scenario = scenario if scenario is not None else state.load_current()
        self.catalog = load_catalog(self.scenario.quotes,
                                    stale_after_days=self.scenario.stale_after_days)
        self.model = resolve(self.scenario, self.catalog)
        self.status = widgets.HTML()
        self.picker = widgets.Dropdown(options=state.choices(), value=state.CURRENT,
                                       description="Scenario", style=_STYLE, layout=_WIDE)
        self.picker.observe(self._on_pick, names="value")
        self.fields: dict[str, widgets.Widget] = self.make_fields()
        for path, widget in self.fields.items():
            widget.observe(lambda change, path=path: self._on_field(path, change.new),
                           names="value")
        self.extras = self.make_extra()
        self.figures = [go.FigureWidget(f) for f in self.make_figures(self.model)]
        self.on_model(self.model)
        self._show_status()

    # -- to override ------------------------------------------------------------------
    def make_fields(self) -> dict[str, widgets.Widget]:
        return {}

    def make_figures(self, model) -> list[go.Figure]:
        return []

    def make_extra(self) -> list[widgets.Widget]:
        """Widgets shown between the fields and the charts (tables, texts)."""
        return []

    def on_model(self, model) -> None:
        """Called after every successful change (for the extra widgets)."""

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
                value = (self.model.values.get(path.replace("labor.", "ops."))
                         if path.split(".")[0] in ("workload", "labor") else None)
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
        for target, source in zip(self.figures, self.make_figures(model), strict=True):
            refresh_figure(target, source)
        self.scenario, self.model = scenario, model
        self._sync_fields()
        self.on_model(model)
        if self.autosave:
            state.save_current(scenario)
        self._show_status()

    def _error(self, error: Exception) -> None:
        self.status.value = (f"<span style='color:#b00020'>&#9888; {html.escape(str(error))}"
                             "</span>")

    def _show_status(self) -> None:
        result = evaluate(self.model)
        cheapest = next(o["label"] for o in result["options"] if o["name"] == result["cheapest"])
        stale = len(result["stale_inputs"])
        note = f"; {stale} input(s) older than {self.scenario.stale_after_days} days" \
            if stale else ""
        self.status.value = (f"<b>{html.escape(self.scenario.name)}</b>: "
                             f"{result['images_per_month']:,.0f} images/month; cheapest per "
                             f"month: <b>{html.escape(cheapest)}</b>{note}")

    def widget(self) -> widgets.VBox:
        """The whole form, ready to display."""
        return widgets.VBox([self.picker, *self.fields.values(), self.status, *self.extras,
                             *self.figures])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())


def _slider(cls, description, value, **kw):
    return cls(value=value, description=description, style=_STYLE, layout=_WIDE,
               continuous_update=False, **kw)


class UseCaseForm(StepForm):
    """Step 1: the use case: a preset or your own, the model, the resolution and how many
    outputs are generated per approved asset."""

    title = "Step 1: define the use case"

    def make_fields(self):
        w = self.scenario.workload
        return {
            "workload.model": widgets.Dropdown(options=MODELS, value=w.model,
                                               description="Model", style=_STYLE,
                                               layout=_WIDE),
            "workload.resolution": widgets.Dropdown(
                options=sorted({"512x512", "768x768", "1024x1024", "1024x1792", w.resolution}),
                value=w.resolution, description="Resolution [px]", style=_STYLE, layout=_WIDE),
            "workload.outputs_per_approved": _slider(
                widgets.FloatSlider, "Outputs per approved asset",
                float(self.model.workload.outputs_per_approved),
                min=1, max=40, step=0.5),
        }

    def make_extra(self):
        self.description = widgets.HTML()
        return [self.description]

    def on_model(self, model):
        self.description.value = f"<i>{html.escape(model.scenario.description)}</i>"

    def make_figures(self, model):
        return [charts.cost_per_approved_figure(model)]


class VolumeForm(StepForm):
    """Step 2: volume and variability: images per month, the demand profile and its peak."""

    title = "Step 2: estimate volume and variability"
    resets = {"workload.variability": ("workload.peak_factor",)}

    def make_fields(self):
        w = self.scenario.workload
        return {
            "workload.images_per_month": _slider(
                widgets.FloatLogSlider, "Images per month",
                float(self.model.workload.images_per_month),
                base=10, min=1, max=8, step=0.05, readout_format=",.0f"),
            "workload.variability": widgets.Dropdown(
                options=VARIABILITY, value=w.variability, description="Demand profile",
                style=_STYLE, layout=_WIDE),
            "workload.peak_factor": _slider(
                widgets.FloatSlider, "Peak hour over mean hour",
                float(self.model.workload.peak_factor), min=1, max=4.2, step=0.05),
        }

    def make_figures(self, model):
        return [charts.demand_figure(model), charts.cost_vs_volume_figure(model)]


class PrivacyForm(StepForm):
    """Step 3: privacy: how sensitive the prompts and images are and whether a
    data-processing agreement with the provider is available."""

    title = "Step 3: set privacy requirements"

    QUESTIONS = ("What data is sent to the provider?",
                 "How is it stored, and for how long is it retained?",
                 "Can it be used to train the provider's models?",
                 "Which access controls and audit logs are available?",
                 "Do data residency requirements apply, and where is it processed?")

    def make_fields(self):
        c = self.scenario.constraints
        return {
            "constraints.privacy": widgets.Dropdown(options=PRIVACY, value=c.privacy,
                                                    description="Data sensitivity",
                                                    style=_STYLE, layout=_WIDE),
            "constraints.dpa_available": widgets.Checkbox(
                value=c.dpa_available, description="Data-processing agreement available",
                style=_STYLE, layout=_WIDE),
        }

    def make_extra(self):
        self.checklist = widgets.VBox(
            [widgets.HTML("<b>Vendor evaluation</b> (answer for each API before relying "
                          "on it)")]
            + [widgets.Checkbox(description=q, value=False, indent=False,
                                layout=widgets.Layout(width="640px")) for q in self.QUESTIONS])
        return [self.checklist]

    def make_figures(self, model):
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
            "labor.devops_hours_per_month": _slider(
                widgets.FloatSlider, "DevOps time [h/month]", float(ops.devops_hours_per_month),
                min=0, max=160, step=1),
            "labor.ml_engineer_fte": _slider(
                widgets.FloatSlider, "ML engineer when self-hosting [FTE]",
                float(ops.ml_engineer_fte), min=0, max=3, step=0.05),
            "labor.engineer_hourly_usd": _slider(
                widgets.FloatSlider, "Engineer rate [USD/h]", float(ops.engineer_hourly_usd),
                min=20, max=200, step=1),
            "labor.setup_weeks": _slider(
                widgets.FloatSlider, "Serving setup [weeks]", float(ops.setup_weeks),
                min=0, max=16, step=0.5),
        }

    def make_figures(self, model):
        return [charts.cost_by_area_figure(model)]


class TotalCostForm(StepForm):
    """Step 5: total cost: by area, against volume, over the horizon, per approved asset."""

    title = "Step 5: model total cost"

    def make_fields(self):
        return {
            "workload.images_per_month": _slider(
                widgets.FloatLogSlider, "Images per month",
                float(self.model.workload.images_per_month),
                base=10, min=1, max=8, step=0.05, readout_format=",.0f"),
            "horizon_months": _slider(widgets.IntSlider, "Horizon [months]",
                                      self.scenario.horizon_months, min=1, max=120),
            "workload.cache_hit_rate": _slider(
                widgets.FloatSlider, "Cache hit rate [0-1]",
                float(self.model.workload.cache_hit_rate), min=0,
                max=0.9, step=0.01),
        }

    def make_figures(self, model):
        return [charts.cost_by_area_figure(model), charts.cost_vs_volume_figure(model),
                charts.cumulative_cost_figure(model), charts.cost_per_approved_figure(model)]
