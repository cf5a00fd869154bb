"""Files in and out: the one boundary where outside files enter, and atomic writes.

Reading (:func:`read_text`, :func:`load_yaml`, :func:`load_json`) turns every failure into
one :class:`~costlib.errors.InputError` line naming the file: only regular files (a FIFO or
``/dev/zero`` would hang or eat memory), at most :data:`MAX_INPUT_BYTES`, UTF-8, nested at
most :data:`MAX_DEPTH` deep. YAML is read strictly: no aliases (a few hundred bytes of
nested aliases expand to gigabytes), no duplicate keys, and the YAML 1.2 core schema (a
number is a number: ``1:30`` is text, not 90; ``yes`` is text, not true; ``012`` is twelve).
JSON is read strictly too: no ``NaN`` or ``Infinity``, no duplicate keys.

Writing (:func:`write_atomic`) goes through a synced temporary file renamed over the target:
a crash or Ctrl-C never leaves a half-written file. An overwritten file keeps its
permissions; a symlink is written through (the file it points to is replaced, the link
stays); temporary files left behind by a killed writer are removed. :func:`check_writable`
checks an output path before any work is done.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from costlib.errors import InputError

MAX_INPUT_BYTES = 8 * 1024 * 1024  # scenario, quotes and probe files are kilobytes
MAX_DEPTH = 32  # scenarios nest four levels deep
MAX_NUMBER_DIGITS = 100  # 1e100 is far above every plausibility bound
STALE_TEMP_SECONDS = 60.0  # an autosave takes milliseconds; older temp files were orphaned


def read_text(path: str | os.PathLike, what: str = "file") -> str:
    """The text of a regular UTF-8 file of at most :data:`MAX_INPUT_BYTES`.

    Parameters
    ----------
    path : path
        The file.
    what : str
        What the file is, for the message ("scenario", "quotes file", "probe result").

    Raises
    ------
    InputError
        One line naming the file and what is wrong.
    """
    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; the check below refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INPUT_BYTES:
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{name}: the {what} is not allowed; must be a regular file "
                             "(not a directory, device or pipe)")
        raise InputError(f"{name}: {info.st_size:,} bytes is not allowed; a {what} may "
                         f"have at most {MAX_INPUT_BYTES:,} bytes")
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(MAX_INPUT_BYTES + 1)
        except OSError as e:
            raise InputError(f"{name}: cannot be read ({e.strerror})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{name}: the {what} is not allowed; it may have at most "
                         f"{MAX_INPUT_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise InputError(f"{name}: byte {data[e.start]:#04x} at line {line} is not allowed; "
                         f"the {what} must be UTF-8 text") from None


# --- strict YAML ----------------------------------------------------------------------------

@functools.cache
def _yaml_loader():
    """A SafeLoader with the YAML 1.2 core schema, no aliases, no duplicate keys and a depth
    limit (built on first use: ``import costlib`` does not import yaml)."""
    import yaml
    from yaml.constructor import ConstructorError, SafeConstructor
    from yaml.resolver import BaseResolver

    class CoreResolver(BaseResolver):
        pass

    implicit = [
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
         "-+0123456789"),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ]
    for tag, pattern, first in implicit:
        CoreResolver.add_implicit_resolver(tag, re.compile(pattern), list(first))

    class Constructor(SafeConstructor):
        def construct_yaml_int(self, node):
            text = self.construct_scalar(node)
            digits = text.lstrip("+-")
            if len(digits) > MAX_NUMBER_DIGITS:
                raise ConstructorError(None, None, f"a number of {len(digits):,} digits is "
                                       f"not allowed; at most {MAX_NUMBER_DIGITS}",
                                       node.start_mark)
            if digits[:2] in ("0o", "0x"):
                value = int(digits[2:], 8 if digits[1] == "o" else 16)
                return -value if text.startswith("-") else value
            return int(text, 10)

        def construct_yaml_float(self, node):
            text = self.construct_scalar(node)
            if len(text) > MAX_NUMBER_DIGITS + 10:
                raise ConstructorError(None, None, f"a number of {len(text):,} characters is "
                                       f"not allowed; at most {MAX_NUMBER_DIGITS}",
                                       node.start_mark)
            return super().construct_yaml_float(node)

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeConstructor says so
                    break
                if duplicate:
                    raise ConstructorError(None, None, f"key {key!r} is given twice; each key "
                                           "may appear once", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    for tag, method in (("tag:yaml.org,2002:int", Constructor.construct_yaml_int),
                        ("tag:yaml.org,2002:float", Constructor.construct_yaml_float),
                        ("tag:yaml.org,2002:map", Constructor.construct_yaml_map)):
        Constructor.add_constructor(tag, method)

    class Loader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                 yaml.composer.Composer, Constructor, CoreResolver):
        def __init__(self, stream):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            Constructor.__init__(self)
            CoreResolver.__init__(self)
            self.depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.events.AliasEvent):
                event = self.get_event()
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} is not allowed; write the value out",
                    event.start_mark)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels is not allowed",
                    self.peek_event().start_mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def load_yaml(text: str, name: str):
    """Parse YAML strictly (see the module docstring); errors are one line naming ``name``
    and the line."""
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader, stricter)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        problem = str(getattr(e, "problem", None) or e).splitlines()[0][:200]
        raise InputError(f"{name}: malformed YAML{at}: {problem}") from None


def dump_yaml(data) -> str:
    """YAML text that :func:`load_yaml` reads back as ``data``: no aliases, and text that
    either YAML 1.1 or 1.2 would read as something else (``yes``, ``1e3``) quoted."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    for first, resolvers in _yaml_loader().yaml_implicit_resolvers.items():
        for tag, pattern in resolvers:
            Dumper.add_implicit_resolver(tag, pattern, [first])
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True)


# --- strict JSON ----------------------------------------------------------------------------

def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key[:80]!r} is given twice; each key may appear once")
        seen[key] = value
    return seen


def _no_constant(text):
    raise ValueError(f"{text} is not allowed; JSON numbers are finite")


def _int(text):
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of {len(text):,} digits is not allowed; at most "
                         f"{MAX_NUMBER_DIGITS}")
    return int(text)


def load_json(text: str, name: str):
    """Parse JSON strictly (no NaN or Infinity, no duplicate keys, no 5,000-digit numbers,
    nested at most :data:`MAX_DEPTH` deep); errors are one line naming ``name``."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_int=_int)
    except json.JSONDecodeError as e:
        raise InputError(f"{name}: not valid JSON (line {e.lineno}, column {e.colno}: "
                         f"{e.msg})") from None
    except RecursionError:
        raise InputError(f"{name}: nesting deeper than {MAX_DEPTH} levels is not allowed") \
            from None
    except ValueError as e:
        raise InputError(f"{name}: not valid JSON: {str(e)[:200]}") from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"{name}: nesting deeper than {MAX_DEPTH} levels is not allowed")
    return data


def _depth(data) -> int:
    """How deep lists and dicts nest (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else \
            node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest


# --- writing --------------------------------------------------------------------------------

def check_writable(path: str | os.PathLike, flag: str) -> Path:
    """Check, before any work, that ``path`` can be written as a file: not a directory, in
    an existing folder this process may write to. Returns the path (a symlink's target)."""
    path = Path(os.path.realpath(path))
    if path.is_dir():
        raise InputError(f"{flag}: {str(path)!r} is not allowed; it is a folder, give a file "
                         "name")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{flag}: {str(path)!r} is not allowed; the folder {str(folder)!r} "
                         "does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists()
                                                    and not os.access(path, os.W_OK)):
        raise InputError(f"{flag}: {str(path)!r} is not allowed; no permission to write there")
    return path


def remove_stale_temps(path: str | os.PathLike, older_than_s: float = STALE_TEMP_SECONDS) -> int:
    """Remove the temporary files a killed :func:`write_atomic` of ``path`` left behind
    (``.NAME.*.tmp`` older than ``older_than_s`` [s]). Returns how many it removed."""
    path = Path(path)
    removed = 0
    cutoff = time.time() - older_than_s
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if tmp.is_file() and not tmp.is_symlink() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except OSError:
            continue  # another writer's, or gone already
    return removed


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8, line endings as given) to ``path`` through a synced
    temporary file renamed over it. A new file gets ordinary permissions, an existing one
    keeps its own; a symlink is written through. Returns the path."""
    path = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # as an ordinary file, not mkstemp's 0600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
