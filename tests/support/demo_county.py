"""The small demo county, written and ingested once per test module, and a copy per test."""

import shutil

import pytest

from kcbx import cli
from kcbx.params import load_params

MORE_CASES = "劝返/补报劝返台账.csv"  # a late file: a copy of one the demo has


@pytest.fixture(scope="module")
def ingested_demo(tmp_path_factory):
    """The demo county's ledgers, params and store, ingested once for this module."""
    root = tmp_path_factory.mktemp("demo")
    assert cli.main(["demo", "--out", str(root)]) == 0
    assert cli.main(["ingest", "--params", str(root / "params" / "demo.yaml"), "--quiet"]) == 0
    return root


@pytest.fixture
def county(ingested_demo, tmp_path):
    """A copy of the ingested demo (params paths are relative, so the copy stands alone)."""
    shutil.copytree(ingested_demo, tmp_path, dirs_exist_ok=True)
    return load_params(tmp_path / "params" / "demo.yaml")


def add_late_file(county) -> None:
    shutil.copyfile(county.ledgers / "劝返" / "平孟镇劝返台账.csv", county.ledgers / MORE_CASES)
