"""The notebooks' workspace survives a broken working scenario and a killed autosave."""

import os
import time

import pytest

from costlib.scenario import load_scenario, preset_path
from costlib.ui import state

DEFAULT = load_scenario(preset_path("default"))
pytestmark = pytest.mark.usefixtures("clock_on_test_day")  # the forms read the clock


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLIB_WORKSPACE", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("content", [
    b"name: Marketing\nworkload: {images_per_month: 10",            # truncated
    b"",                                                             # empty
    bytes(range(256)),                                               # random bytes
    b"name: x\nworkload: {images_per_month: 10}\n"
    b"options: [{name: a, kind: api, offer: gone_offer}]\n",         # an unknown offer
    b"name: x\nquotes: deleted.csv\nworkload: {images_per_month: 10}\n"
    b"options: [{name: a, kind: api, offer: replicate_sdxl}]\n",     # a deleted quotes file
])
def test_a_broken_working_scenario_falls_back_to_the_default(workspace, content, capsys):
    # Every step notebook failed at start with a 7-frame traceback and no hint.
    current = workspace / "current.yaml"
    current.write_bytes(content)
    assert state.load_current() == DEFAULT
    kept = list(workspace.glob("current.yaml.broken-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content  # nothing is lost
    assert not current.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and kept[0].name in err and "default scenario" in err
    assert "saved/current" not in " ".join(state.choices())  # the picker does not offer it
    assert state.load_current() == DEFAULT and not capsys.readouterr().err  # said once


def test_a_working_scenario_that_works_is_kept(workspace, capsys):
    changed = state.set_field(DEFAULT, "workload.images_per_month", 12_345)
    state.save_current(changed)
    assert state.load_current() == changed
    assert not capsys.readouterr().err


def test_temp_files_of_a_killed_autosave_are_removed_on_start(workspace):
    orphan = workspace / ".current.yaml.x1y2z3.tmp"
    orphan.write_text("name: half")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    state.load_current()
    assert not orphan.exists()


def test_a_failed_autosave_shows_in_the_status_line(workspace, monkeypatch):
    # A failed autosave escaped the widget handler: the model held the new value while the
    # status line showed the old one and no error.
    import errno

    from costlib.ui.forms import VolumeForm

    form = VolumeForm()

    def full(scenario):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(state, "save_current", full)
    form.fields["workload.images_per_month"].value = 250_000
    assert form.model.values["workload.images_per_month"] == 250_000
    assert "250" in form.status.value  # the status line shows the new volume
    assert "Not saved (No space left on device)" in form.status.value


def test_a_fault_of_the_catalog_does_not_move_the_working_scenario(workspace, monkeypatch):
    # A broken data table fails every scenario alike: the working one is not to blame.
    from costlib.errors import InputError

    state.save_current(DEFAULT)

    def broken(scenario, *args, **kwargs):
        raise InputError("api_prices.csv: row 2: value: 'cheap' is not allowed; must be a "
                         "number")

    monkeypatch.setattr("costlib.scenario.resolve", broken)
    with pytest.raises(InputError, match="api_prices.csv: row 2"):
        state.load_current()
    assert (workspace / "current.yaml").exists()
    assert not list(workspace.glob("current.yaml.broken-*"))
