"""examples/probe.sky.yaml, the SkyPilot task that measures a preset on a cloud GPU.

SkyPilot's own loader reads it, with the GPU and preset overridden the way
`sky launch --gpus H100:1 --env PRESET=flux-dev` overrides them, and its run script names the
result after the preset, the GPU and the cluster.

SkyPilot 0.14 pins click<8.2 and costlib's environment holds huggingface_hub, which needs
click>=8.4.2 (through diffusers and transformers), so SkyPilot lives in a venv of its own:
`make test` builds .venv-sky and names its Python in SKYPILOT_PYTHON. The loader test runs
there, in a subprocess, with sockets blocked, HOME in a temporary folder (SkyPilot writes
~/.sky) and usage collection off. Without that venv it skips, except under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TASK = ROOT / "examples" / "probe.sky.yaml"

_LOAD = """
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network access attempted while loading the task")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse

import sky
from sky.utils import dag_utils

plain = sky.Task.from_yaml(sys.argv[1])
# what `sky launch --gpus H100:1 --env PRESET=flux-dev TASK` does to it
dag = dag_utils.load_chain_dag_from_yaml(sys.argv[1], env_overrides=[("PRESET", "flux-dev")])
(overridden,) = dag.tasks
overridden.set_resources_override({"accelerators": "H100:1"})
print(json.dumps({
    "version": sky.__version__, "name": plain.name, "workdir": plain.workdir,
    "envs": plain.envs, "setup": plain.setup, "run": plain.run,
    "accelerators": [r.accelerators for r in plain.resources],
    "overridden_envs": overridden.envs,
    "overridden_accelerators": [r.accelerators for r in overridden.resources],
}))
"""


def _skypilot_python() -> str:
    """The Python of SkyPilot's own venv (SKYPILOT_PYTHON, or .venv-sky as `make test` builds
    it); skips without one, fails under CI."""
    python = os.environ.get("SKYPILOT_PYTHON") or str(ROOT / ".venv-sky" / "bin" / "python")
    if not Path(python).is_file():
        message = f"no SkyPilot venv at {python}; `make test` builds it (.venv-sky)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python


def test_skypilot_reads_the_task_with_the_gpu_and_preset_overridden(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "SKYPILOT_DISABLE_USAGE_COLLECTION": "1"}
    proc = subprocess.run([_skypilot_python(), "-c", _LOAD, str(TASK)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    task = json.loads(proc.stdout.splitlines()[-1])
    assert task["version"] == "0.14.1"
    assert (task["name"], task["workdir"]) == ("costlib-probe", ".")
    assert task["envs"] == {"PRESET": "sdxl", "PROBE_ARGS": ""}
    assert task["accelerators"] == [{"L40S": 1}]
    assert task["overridden_envs"] == {"PRESET": "flux-dev", "PROBE_ARGS": ""}
    assert task["overridden_accelerators"] == [{"H100": 1}]
    assert 'install -q --python ~/costlib-venv/bin/python -e ".[probe]"' in task["setup"]
    assert "--devices all" in task["run"]


def test_the_run_script_names_the_result_after_preset_gpu_and_cluster(tmp_path):
    # The task's run script with SkyPilot's environment, nvidia-smi and the costlib command
    # stood in for: it measures every GPU and names the file so that results of several
    # clusters can sit side by side in probe-results/.
    task = yaml.safe_load(TASK.read_text())
    bin_dir = tmp_path / "bin"
    venv_bin = tmp_path / "costlib-venv" / "bin"
    for folder in (bin_dir, venv_bin):
        folder.mkdir(parents=True)
    (bin_dir / "nvidia-smi").write_text("#!/bin/sh\nprintf 'NVIDIA L40S\\n'\n")
    (venv_bin / "costlib").write_text('#!/bin/sh\necho "costlib $*"\n')
    (venv_bin / "python").symlink_to(sys.executable)
    for stub in (bin_dir / "nvidia-smi", venv_bin / "costlib"):
        stub.chmod(0o755)
    cluster = json.dumps({"cluster_name": "probe-l40s", "cloud": "AWS", "region": "us-east-1",
                          "zone": None})
    env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "HOME": str(tmp_path),
           "SKYPILOT_CLUSTER_INFO": cluster, **task["envs"], "PRESET": "flux-dev",
           "PROBE_ARGS": "--compile"}
    proc = subprocess.run(["bash", "-c", task["run"]], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = "probe-results/flux-dev-NVIDIA-L40S-probe-l40s.json"
    assert proc.stdout.splitlines() == [
        f"costlib probe --preset flux-dev --devices all --no-progress --compile --out {out}",
        f"result: ~/sky_workdir/{out}"]
