"""GPU rental prices from a SkyPilot catalog folder, as a quotes file for the catalog.

SkyPilot keeps one ``<cloud>/vms.csv`` per cloud (columns ``InstanceType, AcceleratorName,
AcceleratorCount, vCPUs, MemoryGiB, Price, Region, GpuInfo, SpotPrice``; prices in USD per
instance-hour). :func:`read_skypilot` turns the GPU instances into ``gpu_rental`` rows in USD
per GPU-hour (``Price / AcceleratorCount``, ``SpotPrice / AcceleratorCount``): one row per
cloud, instance type and market, at its cheapest region. Each row's source is the file's path
and its date the file's modification date, so prices can be refreshed from a folder a SkyPilot
user already has, without waiting for a costlib release. Nothing is downloaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

from costlib.errors import InputError

REQUIRED_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region",
                    "SpotPrice")
QUOTE_COLUMNS = ("table", "name", "gpu", "cloud", "pick", "billing", "market", "value", "unit",
                 "source", "as_of", "note")
# SkyPilot accelerator names whose catalog name differs from its lower-cased form
_GPU_NAMES = {"A100": "a100_40gb", "H100-MEGA": "h100"}
# GCP prices a GPU instance's host VM and its GPUs on separate rows: no row is the total
_PARTIAL_PRICE_CLOUDS = {"gcp": "GCP prices the host VM and the GPUs on separate rows: "
                                "this row is not the total, add the other part yourself"}


def catalog_gpu(accelerator: str) -> str:
    """The catalog's name of a SkyPilot accelerator (``A100-80GB`` -> ``a100_80gb``)."""
    return _GPU_NAMES.get(accelerator) or re.sub(r"[^a-z0-9]+", "_", accelerator.lower()).strip("_")


def _number(text: str, where: str, column: str) -> float | None:
    """A price cell in USD/h: None where blank; an error names the cell otherwise."""
    if text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{where}: {column}: {text!r} is not allowed; must be a number >= 0 "
                         "(USD per instance-hour) or blank")
    return value


def _gpu_count(text: str, where: str) -> int:
    try:
        count = float(text)
    except ValueError:
        count = math.nan
    if not (math.isfinite(count) and count >= 1 and count == int(count)):
        raise InputError(f"{where}: AcceleratorCount: {text!r} is not allowed; must be a whole "
                         "number of GPUs >= 1")
    return int(count)


def read_vms(path: Path) -> list[dict]:
    """Quote rows (``gpu_rental``, USD/GPU-h) of one cloud's ``vms.csv``; the cloud is its
    folder's name."""
    cloud = path.parent.name.lower()
    as_of = dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    source = f"SkyPilot catalog {path} (file of {as_of})"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: column '{missing[0]}' is missing; required columns are "
                             f"{', '.join(REQUIRED_COLUMNS)}")
        cheapest: dict[tuple[str, str], dict] = {}
        for line, row in enumerate(reader, start=2):
            if not (row["AcceleratorName"] or "").strip() \
                    or not (row["InstanceType"] or "").strip():
                continue  # a CPU instance, or a GPU priced apart from any instance
            where = f"{path}: row {line}"
            count = _gpu_count(row["AcceleratorCount"], where)
            instance = row["InstanceType"].strip()
            for market, column in (("on_demand", "Price"), ("spot", "SpotPrice")):
                price = _number(row[column] or "", where, column)
                if not price:  # blank, or 0: SkyPilot's "no such offer"
                    continue
                key = (instance, market)
                if key not in cheapest or price / count < cheapest[key]["value"]:
                    cheapest[key] = _quote(cloud, instance, row, count, price, market, source,
                                           as_of)
    return list(cheapest.values())


def _quote(cloud, instance, row, count, price, market, source, as_of) -> dict:
    gpu = catalog_gpu(row["AcceleratorName"].strip())
    slug = re.sub(r"[^a-z0-9]+", "_", instance.lower()).strip("_")
    partial = _PARTIAL_PRICE_CLOUDS.get(cloud)
    note = f"{instance} in {row['Region']}: {price:g} USD/h over {count} GPU(s)"
    return {"table": "gpu_rental", "name": f"{gpu}_{cloud}_{slug}"
            + ("_spot" if market == "spot" else ""), "gpu": gpu, "cloud": cloud,
            "pick": "no" if partial else "yes", "billing": "hourly", "market": market,
            "value": price / count, "unit": "USD/GPU-h", "source": source, "as_of": as_of,
            "note": f"{note}; {partial}" if partial else note}


def read_skypilot(directory: str | Path) -> list[dict]:
    """Quote rows of every ``<cloud>/vms.csv`` in a SkyPilot catalog folder, clouds in name
    order."""
    folder = Path(directory)
    files = sorted(folder.glob("*/vms.csv"))
    if not files:
        raise InputError(f"{folder}: no <cloud>/vms.csv file found; must be a SkyPilot "
                         "catalog folder (for example ~/.sky/catalogs/v7)")
    return [q for path in files for q in read_vms(path)]


def write_quotes(quotes: list[dict], path: str | Path) -> None:
    """Write quote rows as a quotes file the catalog reads (``load_catalog(quotes=...)``)."""
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=QUOTE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**q, "value": f"{q['value']:.6g}"} for q in quotes)
