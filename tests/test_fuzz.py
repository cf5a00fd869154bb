"""Fuzzing the input boundary: scenarios, quotes files and probe results built from a grammar
of valid and broken pieces (wrong types, units, encodings, depth, size, duplicates,
extremes), run through ``costlib evaluate`` in-process. Every example ends in either a valid
result whose invariants hold, or exit code 2 with exactly one line on stderr naming the file
or the field: never a traceback, a hang or a silently wrong answer.

On failure hypothesis prints the example and the blob that reproduces it
(``@reproduce_failure``); ``--hypothesis-seed=N`` replays a run.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
from unittest import mock

from hostile import billion_laughs
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from costlib import cli
from costlib.probe.result import SCHEMA_VERSION

TODAY = "2026-11-22"

# --- pieces ---------------------------------------------------------------------------------

GOOD_NUMBER = st.one_of(st.integers(1, 10**6), st.floats(1.0, 1e6))
BAD_NUMBER = st.sampled_from([
    -1, 0.5, 1.5, True, False, None, "many", "1:30", "", [], {}, 1e300, 10**40,
    {"value": 10, "low": 20, "high": 5}, {"value": 10, "low": 1, "high": 30, "extra": 1},
])
NUMBER = st.one_of(GOOD_NUMBER, GOOD_NUMBER.map(lambda v: {"value": v, "low": v * 0.8,
                                                           "high": v * 1.2}), BAD_NUMBER)
TEXT = st.one_of(st.sampled_from(["Acme", "Marketing batch", "\x1b[2J\x1b[Hx", "a" * 5000,
                                  "=cmd|' /C calc'!A0", "\u202eevil"]),
                 st.text(max_size=20))

API = st.fixed_dictionaries({"kind": st.just("api"), "offer": st.sampled_from(
    ["replicate_sdxl", "fal_flux_schnell", "no_such_offer"])},
    optional={"tier": st.sampled_from(["starter", "pro", "gold"]),
              "billing": st.just("reserved"),
              "set": st.fixed_dictionaries({}, optional={"usd_per_image": NUMBER})})
RENTED = st.fixed_dictionaries({
    "kind": st.just("rented"),
    "offer": st.sampled_from(["a100_40gb_hourly", "a100_40gb_monthly", "h100_hourly"]),
    "throughput": st.sampled_from(["sdxl_a100", "sdxl_h100", "sdxl_rtx4090", "nope"])},
    optional={"billing": st.sampled_from(["on_demand", "reserved", "spot"]),
              "gpu": st.just("a100_40gb"),
              "set": st.fixed_dictionaries({}, optional={"min_gpus": NUMBER,
                                                         "utilization": NUMBER})})
OWNED = st.fixed_dictionaries({
    "kind": st.just("owned"), "gpu": st.sampled_from(["rtx4090", "tpu"]),
    "throughput": st.sampled_from(["sdxl_rtx4090", "flux_schnell_rtx4090", "sdxl_h100"])},
    optional={"billing": st.just("reserved"),
              "set": st.fixed_dictionaries({}, optional={"min_gpus": NUMBER,
                                                         "purchase_usd": NUMBER})})
WORKLOAD = st.fixed_dictionaries({"images_per_month": NUMBER}, optional={
    "model": st.sampled_from(["sdxl", "flux-schnell", "sd3"]),
    "resolution": st.sampled_from(["1024x1024", "512x512", "99999x99999", "1024"]),
    "outputs_per_approved": NUMBER, "peak_factor": NUMBER, "cache_hit_rate": NUMBER,
    "variability": st.sampled_from(["steady", "spiky", "wavy"])})


@st.composite
def scenarios(draw):
    options = draw(st.lists(st.one_of(API, RENTED, OWNED), min_size=1, max_size=3))
    named = [{"name": f"o{i}", **o} for i, o in enumerate(options)]
    if draw(st.booleans()):
        local = next((o["name"] for o in named if o["kind"] in ("rented", "owned")), "o0")
        api = next((o["name"] for o in named if o["kind"] == "api"), "o0")
        named.append({"name": "hy", "kind": "hybrid", "local": local, "api": api,
                      "local_gpus": draw(NUMBER)})
    data = {"name": draw(TEXT), "workload": draw(WORKLOAD), "options": named}
    if draw(st.booleans()):
        data["horizon_months"] = draw(st.one_of(st.integers(1, 120), BAD_NUMBER))
    if draw(st.booleans()):
        data["labor"] = {"ml_engineer_fte": draw(NUMBER)}
    return data


# Text-level breakage that a dict cannot hold: JSON is YAML, so the scenario is written as
# JSON and then, sometimes, broken as text.
def _laughs(text: str) -> str:
    return billion_laughs(7) + "client: *h\n" + text


MUTATIONS = {
    "none": lambda t: t.encode(),
    "duplicate key": lambda t: (t[:-1] + ', "name": "again"}').encode(),
    "billion laughs": lambda t: _laughs("\n".join(f"{k}: {json.dumps(v)}" for k, v in
                                                  json.loads(t).items())).encode(),
    "sexagesimal": lambda t: re.sub(r'"images_per_month": [^,}]+', '"images_per_month": 1:30',
                                    t).encode(),
    "deep": lambda t: (t[:-1] + ', "client": ' + "[" * 3000 + "]" * 3000 + "}").encode(),
    "huge integer": lambda t: re.sub(r'"images_per_month": [^,}]+',
                                     '"images_per_month": ' + "9" * 5000, t).encode(),
    "latin-1": lambda t: t.encode().replace(b'"name": "', b'"name": "\xfc', 1),
    "truncated": lambda t: t.encode()[: len(t) // 2],
    "empty": lambda t: b"",
    "nul": lambda t: t.encode().replace(b"{", b"{\x00", 1),
}


@st.composite
def quotes_files(draw):
    rows = draw(st.lists(st.tuples(
        st.sampled_from([("api_prices", "replicate_sdxl"), ("throughput", "sdxl_a100"),
                         ("throughput", "sdxl_rtx4090"), ("gpu_rental", "a100_40gb_hourly"),
                         ("labor", "ml_infra_engineer"), ("nonsense", "x")]),
        st.sampled_from(["0.002", "2.3", "10", "-1", "1e300", "abc", ""]),
        st.sampled_from(["", "USD/image", "USD/1000 images", "s/image", "images/h",
                         "USD/month", "fraction"]),
        st.sampled_from(["Contract", "=cmd|' /C calc'!A0", "\x1b[2J"]),
        st.sampled_from(["2026-10", "2030-01", "soon"])), min_size=1, max_size=4))
    lines = ["table,name,value,unit,source,as_of"]
    lines += [f"{t},{n},{v},{u},\"{s}\",{d}" for (t, n), v, u, s, d in rows]
    text = "\n".join(lines) + "\n"
    return text.encode() if draw(st.integers(0, 9)) else text.encode()[:-1] + b"\xff\n"


@st.composite
def probe_files(draw):
    data = {
        "schema_version": draw(st.sampled_from([SCHEMA_VERSION, 2, "1"])),
        "kind": "costlib.probe.result",
        "status": draw(st.sampled_from(["complete", "complete", "failed", "running"])),
        "measured_at": "2026-11-01T12:00:00+00:00", "preset": "sdxl",
        "model": draw(st.sampled_from(["sdxl", "sdxl-tiny", "flux-dev"])),
        "source": "random-weights", "device": "cuda:0", "gpu_name": "NVIDIA GeForce RTX 4090",
        "device_count": 1, "best_images_per_hour": draw(st.one_of(
            st.floats(1, 1e5), st.sampled_from([0, -5, None, "fast", 1e300]))),
        "best_batch_size": 1, "p50_latency_s": 2.0, "p95_latency_s": 2.5, "avg_watts": None,
        "energy_wh_per_image": None, "mfu": None,
        "settings": {"dtype": "bf16", "height": draw(st.sampled_from([1024, 64])),
                     "width": 1024, "steps": draw(st.sampled_from([30, 1]))},
    }
    text = json.dumps(data)
    broken = draw(st.sampled_from(["none", "none", "nan", "duplicate", "deep", "bytes"]))
    if broken == "nan":
        text = text.replace('"p50_latency_s": 2.0', '"p50_latency_s": NaN')
    elif broken == "duplicate":
        text = text[:-1] + ', "status": "complete"}'
    elif broken == "deep":
        text = text[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    return text.encode() if broken != "bytes" else text.encode() + b"\xff"


# --- the property ---------------------------------------------------------------------------

def _run(args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    # a bug raises with its traceback (hypothesis shows it) instead of one line and exit 1
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            mock.patch.dict(os.environ, {"COSTLIB_TRACEBACK": "1"}):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


def _strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


@settings(max_examples=1000, deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(scenario=scenarios(), mutation=st.sampled_from(sorted(MUTATIONS)),
       quotes=st.none() | quotes_files(), probe=st.none() | probe_files())
def test_every_input_ends_in_a_result_or_one_line(tmp_path_factory, scenario, mutation,
                                                  quotes, probe):
    folder = tmp_path_factory.mktemp("fuzz")
    if quotes is not None:
        (folder / "q.csv").write_bytes(quotes)
        scenario = {**scenario, "quotes": "q.csv"}
    path = folder / "s.yaml"
    path.write_bytes(MUTATIONS[mutation](json.dumps(scenario)))
    args = ["evaluate", str(path), "--format", "json", "--today", TODAY]
    if probe is not None:
        (folder / "r.json").write_bytes(probe)
        args += ["--throughput", str(folder / "r.json"), "--apply-to", "o0"]
    code, out, err = _run(args)
    event(f"exit {code}")
    errors = [line for line in err.splitlines() if not line.startswith("costlib: warning:")]
    assert code in (0, 2), (code, err)
    if code == 2:
        assert len(errors) == 1 and err.endswith("\n"), err
        line = errors[0]
        assert line.startswith("costlib: error: ") and "Traceback" not in err
        assert re.match(r"costlib: error: [^:]+: ", line), line  # names a file or field
        assert len(line) < 600 and "\x1b" not in line
        return
    assert not errors, err
    result = _strict_json(out)
    assert "\x1b" not in out  # JSON escapes it
    monthly = {o["name"]: o["monthly_usd"] for o in result["options"]}
    assert all(math.isfinite(v) and v >= 0 for v in monthly.values()), monthly
    assert result["cheapest"] in monthly
    assert monthly[result["cheapest"]] == min(monthly.values())
    assert 0 <= result["images_per_month"] <= 1e10
    for o in result["options"]:
        assert o["gpus"] == int(o["gpus"]) and o["gpus"] >= 0
