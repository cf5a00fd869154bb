"""Scenario files in and out: YAML read and validated, written atomically, and the presets
shipped in data/scenarios."""

from __future__ import annotations

import os
from pathlib import Path

from costlib.catalog import data_dir
from costlib.errors import InputError
from costlib.files import dump_yaml, load_yaml, read_text, write_atomic
from costlib.scenario.schema import Scenario, parse_scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file; a relative ``quotes`` path is made absolute."""
    path = Path(path)
    data = load_yaml(read_text(path, "scenario"), str(path))
    scenario = parse_scenario(data, str(path))
    if scenario.quotes and not Path(scenario.quotes).is_absolute():
        scenario = scenario.model_copy(
            update={"quotes": str((path.parent / scenario.quotes).resolve())})
    return scenario


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as YAML atomically (never a half-written file). Returns the path."""
    return write_atomic(path, dump_yaml(scenario.model_dump(mode="json",
                                                            exclude_defaults=True)))


def scenario_path(text: str | os.PathLike) -> Path:
    """A scenario file, or the name of a preset shipped in data/scenarios."""
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return preset_path(str(text))


def preset_names() -> list[str]:
    """Names of the preset scenarios shipped in data/scenarios."""
    return sorted(p.stem for p in (data_dir() / "scenarios").glob("*.yaml"))


def preset_path(name: str) -> Path:
    """The file of a preset scenario; the error lists the valid names."""
    path = data_dir() / "scenarios" / f"{name}.yaml"
    if not path.is_file():
        raise InputError(f"preset: {name!r} is not allowed; must be one of "
                         f"{', '.join(preset_names())}")
    return path
