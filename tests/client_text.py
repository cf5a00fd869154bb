"""What no text a client reads may hold: a model path or catalog row (``workload.x``,
``assumptions.space``), an ``_``-joined id (``replicate_sdxl``), "inf", "nan" or "1e9", or a
volume with more than three significant digits where a rounded one is meant."""

import re

_PATH = re.compile(r"\b(?:workload|labor|ops|options|assumptions|throughput|gpu_rental|"
                   r"gpu_hardware|api_prices|api_terms|api_latency|overheads)\.[a-z0-9_]+")
_ID = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
_NOT_A_NUMBER = re.compile(r"\b(?:inf|infinity|nan)\b|\b1e\+?0?9\b", re.I)
_VOLUME = re.compile(r"(\d[\d,]*(?:\.\d+)?)(?: million| billion)? (?:images|approved assets)")


def _significant(number: str) -> int:
    return len(number.replace(",", "").replace(".", "").strip("0"))


def problems(text: str) -> list[str]:
    """Each thing in ``text`` a client should not read, in words ([] where none)."""
    found = [f"path {m}" for m in _PATH.findall(text)]
    found += [f"id {m}" for m in _ID.findall(text)]
    found += [f"not a number: {m}" for m in _NOT_A_NUMBER.findall(text)]
    found += [f"unrounded volume {m}" for m in _VOLUME.findall(text) if _significant(m) > 3]
    return found
