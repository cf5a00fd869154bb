"""The notebooks' status line names the stale inputs in words, each once, as the CLI warns:
for 2026-11-22 the internal-feature preset has one input older than 365 days, the fallback
price of its RTX 4090 community rental (a gpu_rental row as of 2025-06)."""

import datetime as dt

from client_text import problems

from costlib.scenario import load_scenario, preset_path, resolve
from costlib.ui.forms import stale_note


def _model(preset, today):
    return resolve(load_scenario(preset_path(preset)), today=today)


def test_status_names_the_stale_input_once(today):
    note = stale_note(_model("internal_feature", today))
    assert note == ("; older than 365 days: on-demand price when spot is gone of RTX 4090 "
                    "community on demand (as of 2025-06)")
    assert not problems(note)


def test_status_says_nothing_where_nothing_is_stale(today):
    assert stale_note(_model("default", today)) == ""


def test_status_names_three_and_counts_the_rest():
    # two years on, every dated input of the default preset is stale: 51 named inputs
    note = stale_note(_model("default", dt.date(2028, 1, 1)))
    assert note.startswith("; older than 365 days: peak hour over the mean hour (as of "
                           "2026-11), ")
    assert note.endswith(" and 48 more")
