"""Where the notebooks keep the scenario between steps and kernel restarts.

The working scenario lives in one file, ``current.yaml``, in the workspace folder: the
``COSTLIB_WORKSPACE`` environment variable, or ``~/.costlib``. Every path is resolved here,
never relative to the working directory (notebook runners change it).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from costlib.errors import InputError
from costlib.files import read_text, write_atomic
from costlib.scenario import (
    Scenario,
    load_scenario,
    preset_names,
    preset_path,
    save_scenario,
    set_field,
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
    """The working scenario, or the default preset where none was saved yet.

    A working scenario that cannot be used (truncated, not YAML, an unknown offer, a deleted
    quotes file) is moved aside to ``current.yaml.broken-<UTC time>`` and the default is
    used instead, said in one line on stderr: every step notebook still starts. Temporary
    files of a killed autosave are removed.
    """
    from costlib.files import remove_stale_temps
    from costlib.scenario import resolve

    path = current_path()
    remove_stale_temps(path)
    if not path.exists():
        return load_scenario(preset_path("default"))
    try:
        scenario = load_scenario(path)
        resolve(scenario)  # an unknown offer or a deleted quotes file fails here, not later
        return scenario
    except InputError as e:
        default = load_scenario(preset_path("default"))
        resolve(default)  # a fault of the catalog, not of the file, is raised
        kept = path.with_name(f"{path.name}.broken-"
                              f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
        os.replace(path, kept)
        print(f"costlib: the working scenario could not be used ({e}); it is kept as "
              f"{kept.name} and the default scenario is loaded", file=sys.stderr)
        return default


def save_current(scenario: Scenario) -> Path:
    """Save the working scenario atomically; the next step's notebook loads it."""
    return save_scenario(scenario, current_path())


SAVED = "saved/"


def choices() -> list[str]:
    """Names a scenario picker offers: the working scenario, the scenarios saved in the
    workspace (``saved/NAME``), then the presets."""
    saved = sorted(p.stem for p in workspace_dir().glob("*.yaml") if p.stem != CURRENT)
    return [CURRENT, *(SAVED + n for n in saved), *preset_names()]


def load_choice(name: str) -> Scenario:
    """The scenario a picker name stands for."""
    if name == CURRENT:
        return load_current()
    if name.startswith(SAVED):
        return load_scenario(workspace_dir() / f"{name.removeprefix(SAVED)}.yaml")
    return load_scenario(preset_path(name))


def save_as(scenario: Scenario, name: str) -> Path:
    """Save a copy of the scenario in the workspace under ``name`` (a picker then offers it)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]*", name or "") or name == CURRENT:
        raise InputError(f"name: {name!r} is not allowed; use letters, digits, '_' or '-' "
                         f"(not {CURRENT!r})")
    return save_scenario(scenario, workspace_dir() / f"{name}.yaml")


def _option_index(scenario: Scenario, name: str) -> int:
    names = [o.name for o in scenario.options]
    if name not in names:
        raise InputError(f"option: {name!r} is not allowed; must be one of {', '.join(names)}")
    return names.index(name)


def record_latency(scenario: Scenario, option: str, warm_p95_s: float,
                   cold_start_s: float | None) -> Scenario:
    """Record a provider test of an API option (p95 of warm requests, cold start) as rows of
    the workspace quotes file, and make the option read them after its catalog figures."""
    import csv
    import datetime as dt
    import io

    from costlib.catalog import load_catalog
    from costlib.options import OPTION_KINDS, ManagedAPI
    from costlib.scenario import latency_families

    i = _option_index(scenario, option)
    spec = scenario.options[i]
    if not issubclass(OPTION_KINDS[spec.kind], ManagedAPI):
        raise InputError(f"option: {option!r} is not allowed; provider tests apply to an "
                         "API option")
    family = f"measured_{option}"
    today = dt.date.today().isoformat()
    new = {f"{family}_{metric}": (metric, seconds)
           for metric, seconds in (("warm", warm_p95_s), ("cold_start", cold_start_s))
           if seconds is not None}
    columns = ["table", "name", "value", "low", "high", "unit", "source", "as_of", "family",
               "metric", "note"]
    rows = []
    if scenario.quotes:
        rows = [r for r in csv.DictReader(io.StringIO(read_text(scenario.quotes, "quotes file")))
                if r.get("name") not in new]
        columns += [c for c in rows[0] if c not in columns] if rows else []
    rows += [{"table": "api_latency", "name": name, "value": seconds, "unit": "s",
              "source": "Provider test in the prototype step", "as_of": today,
              "family": family, "metric": metric,
              "note": "p95 of warm requests" if metric == "warm" else "after an idle period"}
             for name, (metric, seconds) in new.items()]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = workspace_dir() / "quotes.csv"
    write_atomic(path, out.getvalue())
    load_catalog(path)  # validate before the scenario points at it
    families = tuple(f for f in latency_families(spec) if f != family) + (family,)
    scenario = set_field(scenario, "quotes", str(path))
    return set_field(scenario, f"options.{i}.latency", list(families))
