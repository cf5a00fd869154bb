"""The notebooks' status line names the stale inputs in words, each once, as the CLI warns:
for 2026-11-22 the e-commerce catalog preset has two inputs older than 365 days, the hourly
price of its H100 spot rental (the market median, dated 2025) and the on-demand price it falls
back to when spot capacity is gone (likewise)."""

import datetime as dt

from client_text import problems

from costlib.scenario import load_scenario, preset_path, resolve
from costlib.ui.forms import stale_note


def _model(preset, today):
    return resolve(load_scenario(preset_path(preset)), today=today)


def test_status_names_the_stale_input_once(today):
    note = stale_note(_model("ecommerce_catalog", today))
    assert note == ("; older than 365 days: GPU hourly price of H100 spot, market median (as of "
                    "2025), on-demand price when spot is gone of H100 spot, market median (as "
                    "of 2025)")
    assert not problems(note)


def test_status_says_nothing_where_nothing_is_stale(today):
    assert stale_note(_model("default", today)) == ""


def test_status_names_three_and_counts_the_rest():
    # two years on, every dated input of the default preset is stale: 51 named inputs
    note = stale_note(_model("default", dt.date(2028, 1, 1)))
    assert note.startswith("; older than 365 days: peak hour over the mean hour (as of "
                           "2026-11), ")
    assert note.endswith(" and 48 more")
