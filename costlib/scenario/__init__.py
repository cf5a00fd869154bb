"""Scenario files: a workload, its constraints, labor assumptions and the options to compare.

- :mod:`costlib.scenario.schema`: the pydantic models of the file (errors in one line naming
  the field, the bad value and what is allowed), the allowed range of every number, and
  :func:`set_field` to edit one field.
- :mod:`costlib.scenario.io`: YAML in and out (atomic writes) and the shipped presets.
- :mod:`costlib.scenario.resolve`: scenario + catalog -> :class:`Model`, the cost-model
  objects plus every input with its value, range, unit, source and date.
"""

from costlib.scenario.io import (
    load_scenario,
    preset_names,
    preset_path,
    save_scenario,
    scenario_path,
)
from costlib.scenario.resolve import (
    Input,
    Model,
    OptionRecord,
    hire,
    latency_families,
    resolve,
)
from costlib.scenario.schema import (
    LIMITS,
    MODELS,
    PRIVACY,
    VARIABILITY,
    Constraints,
    LaborSpec,
    OptionSpec,
    Ranged,
    Scenario,
    WorkloadSpec,
    input_limits,
    parse_scenario,
    set_field,
)

__all__ = ["LIMITS", "MODELS", "PRIVACY", "VARIABILITY", "Constraints", "Input", "LaborSpec",
           "Model", "OptionRecord", "OptionSpec", "Ranged", "Scenario", "WorkloadSpec", "hire",
           "input_limits", "latency_families", "load_scenario", "parse_scenario",
           "preset_names", "preset_path", "resolve", "save_scenario", "scenario_path", "set_field"]
