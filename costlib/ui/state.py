"""Where the notebooks keep the scenario between steps and kernel restarts.

The working scenario lives in one file, ``current.yaml``, in the workspace folder: the
``COSTLIB_WORKSPACE`` environment variable, or ``~/.costlib``. Every path is resolved here,
never relative to the working directory (notebook runners change it).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from costlib.scenario import (
    LIMITS,
    Scenario,
    load_scenario,
    parse_scenario,
    preset_names,
    preset_path,
    save_scenario,
)

CURRENT = "current"


def workspace_dir() -> Path:
    """The folder of the working scenario (created on first use)."""
    folder = Path(os.environ.get("COSTLIB_WORKSPACE") or Path.home() / ".costlib")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def current_path() -> Path:
    """The working scenario's file."""
    return workspace_dir() / f"{CURRENT}.yaml"


def load_current() -> Scenario:
    """The working scenario, or the default preset where none was saved yet."""
    path = current_path()
    return load_scenario(path if path.is_file() else preset_path("default"))


def save_current(scenario: Scenario) -> Path:
    """Save the working scenario atomically; the next step's notebook loads it."""
    return save_scenario(scenario, current_path())


def choices() -> list[str]:
    """Names a scenario picker offers: the working scenario, then the presets."""
    return [CURRENT, *preset_names()]


def load_choice(name: str) -> Scenario:
    """The scenario a picker name stands for."""
    return load_current() if name == CURRENT else load_scenario(preset_path(name))


def set_field(scenario: Scenario, path: str, value) -> Scenario:
    """A copy of ``scenario`` with the field at dotted ``path`` set to ``value``.

    Where the field holds a range (``{value, low, high}``) and ``value`` is a number, the
    range moves with it (low and high scaled by the same factor), so a slider keeps the
    uncertainty the scenario gave. Validation errors name the field.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    last = keys[-1]
    old = node.get(last) if isinstance(node, dict) else None
    if isinstance(old, dict) and "value" in old and isinstance(value, int | float):
        ratio = value / old["value"] if old["value"] else None
        floor, ceiling, _ = LIMITS.get(last, (0.0, math.inf, False))
        new = {**old, "value": value}
        for bound in ("low", "high"):
            if bound in old:
                moved = old[bound] * ratio if ratio is not None else value
                new[bound] = min(max(moved, floor), ceiling)
        new["low"] = min(new.get("low", value), value)
        new["high"] = max(new.get("high", value), value)
        value = new
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return parse_scenario(data, "scenario")
