"""Shared test set-up: hypothesis profiles, the day tests count ages to, a clock that must
not be read, the resolved default scenario, and costlib built into a wheel and installed."""

import datetime as dt
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# Results that depend on the date (ages, stale flags, the date of scenario values) are
# computed for this day, never the machine's clock: the suite passes on any date.
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="session")
def today():
    return TODAY


class ClockRead(AssertionError):
    """costlib read the clock where a test gave it the day."""


def _set_clock(monkeypatch, today) -> None:
    """Make the clock costlib reads (the catalog's, where it reads it and nowhere else)
    call ``today()``."""
    from costlib import catalog

    class Clock(dt.date):
        @classmethod
        def today(cls):
            return today()

    monkeypatch.setattr(catalog, "dt", types.SimpleNamespace(date=Clock))


@pytest.fixture
def frozen_clock(monkeypatch):
    """The clock costlib reads raises :class:`ClockRead`: whatever reads it instead of the
    ``today`` it was given fails."""
    def read():
        raise ClockRead("costlib read the clock")

    _set_clock(monkeypatch, read)
    return ClockRead


@pytest.fixture
def clock(monkeypatch):
    """``clock(day)``: the clock costlib reads says ``day``, for tests of what reads it and
    takes no day (the notebooks' forms)."""
    return lambda day: _set_clock(monkeypatch, lambda: day)


@pytest.fixture
def clock_on_test_day(clock):
    """The clock costlib reads says :data:`TODAY`."""
    clock(TODAY)


@pytest.fixture(scope="session")
def default_model():
    from costlib.scenario import load_scenario, preset_path, resolve

    return resolve(load_scenario(preset_path("default")), today=TODAY)


@pytest.fixture(scope="session")
def steady_model():
    """The default scenario with steady demand (its busiest hour 1.2x the mean): owned GPUs
    break even with the API at about 1.84M images/month (with the default's business-hours
    peak they never do)."""
    from costlib.scenario import load_scenario, preset_path, resolve, set_field

    scenario = set_field(load_scenario(preset_path("default")), "workload.variability", "steady")
    return resolve(scenario, today=TODAY)


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory):
    """costlib built into a wheel and installed into a folder of its own, outside the
    checkout: ``(wheel, site)``, site to be put on PYTHONPATH."""
    root = Path(__file__).parent.parent
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(root)], check=True,
                   capture_output=True, timeout=300)
    wheel = next(wheels.glob("*.whl"))
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    return wheel, site
