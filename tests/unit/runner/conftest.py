"""The runner tests' store: the demo county written and ingested once per session, in a
temporary folder (the project's build/demo.duckdb may be mid-migration while others work)."""

from pathlib import Path

import pytest

from kcbx import cli


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """A store of the demo county ingested by this kcbx (copy it before use)."""
    root = tmp_path_factory.mktemp("runner-demo")
    assert cli.main(["demo", "--out", str(root)]) == 0
    assert cli.main(["ingest", "--params", str(root / "params" / "demo.yaml"), "--quiet"]) == 0
    return root / "build" / "demo.duckdb"
