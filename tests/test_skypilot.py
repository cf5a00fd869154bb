"""SkyPilot catalog folders become quotes files of USD per GPU-hour; bad files fail in one line.

The fixture (tests/data/skypilot) follows SkyPilot's catalog v7 ``<cloud>/vms.csv`` format with
prices from the SkyPilot catalog snapshot in the market reference: AWS p5.48xlarge 98.32 USD/h
for 8 H100 (before AWS's June-2025 cut), Lambda gpu_8x_h100_sxm5 23.92 USD/h for 8 H100.
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from costlib.catalog import load_catalog
from costlib.cli import main
from costlib.errors import InputError
from costlib.skypilot import read_skypilot, write_quotes

FIXTURE = Path(__file__).parent / "data" / "skypilot"
TODAY = dt.date(2026, 11, 22)
FILE_DATE = dt.datetime(2026, 11, 2, 12, 0)

# name: (USD per GPU-hour computed by hand = Price / AcceleratorCount, pick)
EXPECTED = {
    "t4_aws_g4dn_xlarge": (0.526, "yes"),  # us-east-1 0.526 beats us-west-1 0.587
    "t4_aws_g4dn_xlarge_spot": (0.1831, "yes"),
    "h100_aws_p5_48xlarge": (98.32 / 8, "yes"),  # 12.29
    "h100_aws_p5_48xlarge_spot": (23.1584 / 8, "yes"),  # 2.8948
    "h200_aws_p5e_48xlarge_spot": (12.536 / 8, "yes"),  # no on-demand price: spot only
    "a100_40gb_gcp_a2_highgpu_1g": (0.73948, "no"),  # host VM only: never picked
    "a100_40gb_gcp_a2_highgpu_1g_spot": (0.29576, "no"),
    "h100_lambda_gpu_1x_h100_pcie": (2.49, "yes"),
    "h100_lambda_gpu_8x_h100_sxm5": (23.92 / 8, "yes"),  # 2.99
}


@pytest.fixture
def folder(tmp_path):
    """The fixture copied, its files dated FILE_DATE."""
    target = tmp_path / "v7"
    shutil.copytree(FIXTURE, target)
    for path in target.glob("*/vms.csv"):
        os.utime(path, (FILE_DATE.timestamp(), FILE_DATE.timestamp()))
    return target


def test_prices_per_gpu_hour_with_file_and_date_as_source(folder):
    quotes = {q["name"]: q for q in read_skypilot(folder)}
    assert set(quotes) == set(EXPECTED)  # CPU instances and GPU-only rows are left out
    for name, (usd, pick) in EXPECTED.items():
        assert quotes[name]["value"] == pytest.approx(usd, rel=1e-12), name
        assert quotes[name]["pick"] == pick
        assert quotes[name]["as_of"] == "2026-11-02"
        assert str(folder) in quotes[name]["source"]
    assert "separate rows" in quotes["a100_40gb_gcp_a2_highgpu_1g"]["note"]


def test_the_quotes_file_loads_and_overrides_the_snapshot(folder, tmp_path):
    out = tmp_path / "quotes.csv"
    write_quotes(read_skypilot(folder), out)
    cat = load_catalog(out, today=TODAY)
    h100 = cat.get("gpu_rental", "h100_aws_p5_48xlarge")  # the snapshot's row, refreshed
    assert (h100.value, h100.overridden, h100.as_of) == (12.29, True, "2026-11-02")
    assert not h100.stale
    assert cat.get("gpu_rental", "h200_aws_p5e_48xlarge_spot").extra["market"] == "spot"


def test_cli_writes_the_quotes_file(folder, tmp_path, capsys):
    out = tmp_path / "quotes.csv"
    assert main(["catalog", "import-skypilot", str(folder), "-o", str(out)]) == 0
    assert "wrote 9 GPU rental quotes (USD/GPU-h) from aws, gcp, lambda" in capsys.readouterr().out
    assert out.read_text().startswith("table,name,gpu,cloud,pick,billing,market,value,unit,")


def _break(folder, old, new):
    path = folder / "aws" / "vms.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


BAD_FILES = [
    ("missing column", ",SpotPrice,", ",Spot,",
     "column 'SpotPrice' is missing; required columns are InstanceType, AcceleratorName, "
     "AcceleratorCount, Price, Region, SpotPrice"),
    ("zero GPU count", "g4dn.xlarge,T4,1.0,", "g4dn.xlarge,T4,0,",
     "row 3: AcceleratorCount: '0' is not allowed; must be a whole number of GPUs >= 1"),
    ("non-numeric price", "98.32,", "ninety,",
     "row 5: Price: 'ninety' is not allowed; must be a number >= 0 (USD per instance-hour) "
     "or blank"),
]


@pytest.mark.parametrize("label, old, new, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_fail_in_one_line(folder, label, old, new, message):
    path = _break(folder, old, new)
    with pytest.raises(InputError) as err:
        read_skypilot(folder)
    assert str(err.value) == f"{path}: {message}"


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["catalog", "import-skypilot", str(tmp_path), "-o", str(tmp_path / "q.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no <cloud>/vms.csv file found" in err
    assert main(["catalog", "import-skypilot", str(tmp_path)]) == 2
    assert "--out QUOTES.csv are required" in capsys.readouterr().err
