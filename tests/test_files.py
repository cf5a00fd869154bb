"""The boundary where files enter and leave: regular UTF-8 files under a size cap, strict
YAML and JSON, atomic writes that keep permissions and symlinks and clean up after a killed
writer. Each test reproduces a failure of a hostile input (a hang, a traceback, a silently
wrong value) and checks the one-line error instead."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest
from hostile import billion_laughs

from costlib import files
from costlib.errors import InputError
from costlib.files import (
    MAX_DEPTH,
    check_writable,
    dump_yaml,
    load_json,
    load_yaml,
    read_text,
    remove_stale_temps,
    write_atomic,
)


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and len(text) < 400, text
    return text


# --- reading: regular UTF-8 files of bounded size -------------------------------------------

def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "quotes.csv"
    os.mkfifo(fifo)
    done = []
    reader = threading.Thread(target=lambda: done.append(pytest.raises(InputError, read_text,
                                                                       fifo)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert done, "reading a FIFO hung"
    assert "must be a regular file" in str(done[0].value)


def test_devices_and_folders_are_refused(tmp_path):
    for path in ("/dev/zero", tmp_path):
        with pytest.raises(InputError, match="must be a regular file") as err:
            read_text(path, "scenario")
        one_line(err)


def test_a_file_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text("x" * 101)
    with pytest.raises(InputError, match="101 bytes is not allowed; a scenario may have at "
                                         "most 100 bytes"):
        read_text(big, "scenario")


def test_non_utf8_bytes_are_one_line_naming_the_line(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_bytes(b"name: ok\nclient: \xff\xfe\n")
    with pytest.raises(InputError, match=r"s\.yaml: byte 0xff at line 2 is not allowed; the "
                                         r"scenario must be UTF-8 text") as err:
        read_text(bad, "scenario")
    one_line(err)


def test_a_missing_file_says_it_cannot_be_read(tmp_path):
    with pytest.raises(InputError, match="none.yaml: cannot be read"):
        read_text(tmp_path / "none.yaml")


# --- strict YAML ----------------------------------------------------------------------------

def test_yaml_aliases_are_refused_so_a_billion_laughs_cannot_expand():
    laughs = billion_laughs(8)
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"line 2: alias \*a is not allowed") as err:
        load_yaml(laughs, "laughs.yaml")
    assert time.perf_counter() - start < 1
    one_line(err)


def test_yaml_duplicate_keys_are_refused():
    with pytest.raises(InputError, match="line 3: key 'name' is given twice"):
        load_yaml("name: a\nclient: b\nname: c\n", "s.yaml")


@pytest.mark.parametrize("text, value", [
    ("1:30", "1:30"),            # YAML 1.1 read 90 (sexagesimal)
    ("yes", "yes"), ("on", "on"), ("no", "no"),  # YAML 1.1 read true / false
    ("012", 12),                 # YAML 1.1 read 10 (octal)
    ("1_000", "1_000"),          # YAML 1.1 read 1000
    ("2026-11-22", "2026-11-22"),  # a date stays text; the schema parses it
    ("1e3", 1000.0),             # YAML 1.1 read the text '1e3'
    ("0x1F", 31), ("0o17", 15), ("-5", -5), ("+2.5", 2.5),
    ("true", True), ("null", None), ("~", None),
])
def test_yaml_follows_the_1_2_core_schema(text, value):
    assert load_yaml(f"v: {text}", "s.yaml") == {"v": value}


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000,
                                  "a:\n" + "".join(" " * i + "- \n" for i in range(200)),
                                  "a: " + "1" * 5000, "a: 1." + "5" * 5000])
def test_yaml_depth_and_number_size_are_bounded(text):
    with pytest.raises(InputError, match="is not allowed") as err:
        load_yaml(text, "s.yaml")
    one_line(err)


def test_dumped_yaml_reads_back_the_same():
    data = {"name": "yes", "client": "1e3", "x": ["0o17", "1:30", "true", "012", "~"],
            "n": [1, 2.5, None, True], "same": ["a"], "again": ["a"]}
    shared = ["z"]
    data["twice"] = [shared, shared]  # no anchors and aliases in what we write
    text = dump_yaml(data)
    assert "&" not in text and "*" not in text
    assert load_yaml(text, "s.yaml") == data


# --- strict JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ('{"a": NaN}', "NaN is not allowed"),
    ('{"a": Infinity}', "Infinity is not allowed"),
    ('{"a": 1, "a": 2}', "key 'a' is given twice"),
    ("[" * 50_000 + "]" * 50_000, f"nesting deeper than {MAX_DEPTH} levels"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nesting deeper than {MAX_DEPTH} levels"),
    ('{"a": ' + "9" * 5000 + "}", "a number of 5,000 digits is not allowed"),
    ("{not json", r"not valid JSON \(line 1"),
])
def test_json_is_strict(text, message):
    with pytest.raises(InputError, match=message) as err:
        load_json(text, "r.json")
    assert one_line(err).startswith("r.json: ")


# --- writing --------------------------------------------------------------------------------

def test_an_overwritten_file_keeps_its_permissions(tmp_path):
    secret = tmp_path / "report.html"
    secret.write_text("old")
    secret.chmod(0o600)
    write_atomic(secret, "new")
    assert secret.read_text() == "new"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_a_symlink_is_written_through(tmp_path):
    target = tmp_path / "real" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_temp_files_of_a_killed_writer_are_removed(tmp_path):
    path = tmp_path / "current.yaml"
    orphan = tmp_path / ".current.yaml.abc123.tmp"
    fresh = tmp_path / ".current.yaml.def456.tmp"  # another writer, busy right now
    other = tmp_path / ".other.yaml.abc123.tmp"
    for tmp in (orphan, fresh, other):
        tmp.write_text("half")
    now = time.time()  # the clock this process reads, whatever the file system's says
    for tmp, age_s in ((orphan, 3600), (fresh, 0), (other, 3600)):
        os.utime(tmp, (now - age_s, now - age_s))
    write_atomic(path, "name: x\n")
    assert not orphan.exists() and fresh.exists() and other.exists()
    assert remove_stale_temps(tmp_path / "other.yaml") == 1


def test_output_paths_are_checked_before_work(tmp_path):
    with pytest.raises(InputError, match="it is a folder"):
        check_writable(tmp_path, "-o")
    with pytest.raises(InputError, match="does not exist"):
        check_writable(tmp_path / "no" / "r.html", "-o")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who may write anywhere")
        with pytest.raises(InputError, match="no permission to write there"):
            check_writable(locked / "r.html", "-o")
    finally:
        locked.chmod(0o700)
    assert check_writable(tmp_path / "r.html", "-o") == (tmp_path / "r.html").resolve()
