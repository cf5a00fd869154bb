"""The answer first: the working scenario's decision in four cards, without the charts.

The first cell of the overview and of step 7 shows :class:`Answer`: the decision engine and
ipywidgets only, no plotly (whose import costs 1-2 s in a fresh kernel), so with Voila's
progressive rendering the cards are on screen before the charts' cell has run. The form of
the next cell takes the answer over (``OverviewForm(answer=answer)``) and keeps the cards
current.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from costlib.catalog import load_catalog
from costlib.decision import decide
from costlib.scenario import resolve
from costlib.ui import state


def key_figures_html(decision) -> str:
    """The answer in four cards (:func:`costlib.narrative.key_figures`, the report's
    summary shows the same)."""
    from costlib.narrative import key_figures

    if not decision.feasible:
        return ""  # the form's text says why
    cards = "".join(
        "<div style='flex:1 1 200px;border:1px solid #d0d7de;border-radius:6px;"
        "padding:10px 12px;background:#f6f8fa;line-height:1.35' data-key='{}'>"
        "<div style='font-size:11px;text-transform:uppercase;color:#57606a'>{}</div>"
        "<div style='font-size:{};font-weight:700;margin:4px 0'>{}</div>"
        "<div style='font-size:12px;color:#57606a'>{}</div></div>".format(
            f.key, html.escape(f.title), "15px" if f.text else "22px", html.escape(f.value),
            html.escape(f.detail))
        for f in key_figures(decision))
    return f"<div style='display:flex;gap:10px;flex-wrap:wrap;margin:8px 0'>{cards}</div>"


class Answer:
    """The working scenario (or ``scenario``) decided, with the samples and seed of the
    report and `costlib decide`; ``cards`` shows its key figures."""

    def __init__(self, scenario=None):
        self.scenario = scenario if scenario is not None else state.load_current()
        self.catalog = load_catalog(self.scenario.quotes,
                                    stale_after_days=self.scenario.stale_after_days)
        self.model = resolve(self.scenario, self.catalog)
        self.decision = decide(self.model, catalog=self.catalog, sample_breakeven=False)
        self.cards = widgets.HTML(key_figures_html(self.decision))

    def _ipython_display_(self):
        from IPython.display import display

        display(self.cards)
