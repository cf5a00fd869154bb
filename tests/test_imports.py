"""The cost model stays light: importing it pulls in no torch, plotly, widgets or scipy.stats."""

import json
import subprocess
import sys

HEAVY = ("torch", "diffusers", "plotly", "ipywidgets", "scipy.stats", "pandas")


def loaded_after(statement):
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout))


def test_import_costlib_is_light():
    assert not loaded_after("import costlib") & set(HEAVY)


def test_cost_model_and_cli_import_no_heavy_module():
    modules = loaded_after("import costlib.scenario, costlib.tco, costlib.breakeven, "
                           "costlib.capacity, costlib.cli; costlib.cli.build_parser()")
    assert not modules & set(HEAVY), modules & set(HEAVY)
