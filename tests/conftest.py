"""Shared test set-up: hypothesis profiles and the resolved default scenario."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def default_model():
    from costlib.scenario import load_scenario, preset_path, resolve

    return resolve(load_scenario(preset_path("default")))
