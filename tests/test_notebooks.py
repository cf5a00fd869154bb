"""Notebooks: committed without outputs, and each one runs top to bottom with no error."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

# the seven steps and the overview, and the report template in report/
NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").rglob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell["outputs"] and cell["execution_count"] is None, path.name
    assert "widgets" not in nb["metadata"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_runs_without_error(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLIB_WORKSPACE", str(tmp_path / "workspace"))
    nb = nbformat.read(path, as_version=4)
    # run in a folder of its own, as nbmake and papermill do: no path may be cwd-relative
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")]
    assert not errors, errors
