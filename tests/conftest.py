"""Shared test set-up: hypothesis profiles, the day tests count ages to, and the resolved
default scenario."""

import datetime as dt
import os

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


@pytest.fixture(scope="session")
def default_model():
    from costlib.scenario import load_scenario, preset_path, resolve

    return resolve(load_scenario(preset_path("default")), today=TODAY)
