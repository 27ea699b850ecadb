"""A damaged store (cut short by a full disk, a copy stopped half-way) is moved aside by
`kcbx ingest` and rebuilt from the ledger folder, not a traceback on every retry (issue 23)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kcbx.ingest import county as ingest
from kcbx.store import tables as store
from kcbx.store.readonly import check_store
from support.demo_county import county, ingested_demo  # noqa: F401 (the demo's fixtures)


def cut(path, size: int) -> None:
    with open(path, "r+b") as file:
        file.truncate(size)


def ingest_cli(county) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kcbx.cli", "ingest", "--params", str(county.path), "--quiet"],
                          capture_output=True, text=True, timeout=600, cwd=county.path.parent.parent,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def damaged_copies(county) -> list:
    return sorted(county.store.parent.glob(f"{county.store.name}.damaged-*"))


@pytest.mark.parametrize("keep", [0.5, 100])
def test_a_cut_store_is_moved_aside_and_rebuilt(county, keep):
    totals = store.ingest_totals(county.store)
    assert totals["rows_accepted"] > 0
    size = county.store.stat().st_size
    cut(county.store, int(size * keep) if isinstance(keep, float) else keep)
    cut_bytes = county.store.read_bytes()
    wal = county.store.with_name(f"{county.store.name}.wal")
    wal.write_bytes(b"a wal left by a writer that died")

    child = ingest_cli(county)

    assert child.returncode == 0, child.stdout + child.stderr
    assert "Traceback" not in child.stderr
    lines = child.stderr.splitlines()
    assert len(lines) == 1, child.stderr
    moved = Path(lines[0].split("已移到 ")[-1].split("，")[0])
    assert moved.parent == county.store.parent and re.fullmatch(re.escape(county.store.name) + r"\.damaged-\d{8}-\d{6}", moved.name)
    assert lines[0] == f"存储文件已损坏，已移到 {moved}，正从台账目录重建"
    assert moved.read_bytes() == cut_bytes and stat.S_IMODE(moved.stat().st_mode) == 0o600
    moved_wal = moved.with_name(f"{moved.name}.wal")
    assert moved_wal.read_bytes() == b"a wal left by a writer that died" and not wal.exists()
    assert stat.S_IMODE(moved_wal.stat().st_mode) == 0o600
    assert store.ingest_totals(county.store) == totals  # as the first ingest read them
    assert check_store(county.store, deep=True) is None

    again = ingest_cli(county)  # the rebuilt store is healthy: nothing more is moved
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert damaged_copies(county) == [moved, moved_wal]


def test_an_earlier_damaged_copy_is_never_overwritten(county, monkeypatch):
    when = ingest.dt.datetime(2021, 10, 15, 8, 30, 0)
    taken = ingest.damaged_path(county.store, when)
    taken.write_bytes(b"an earlier damaged store")
    monkeypatch.setattr(ingest, "damaged_path", lambda store_path, _when=None: taken)
    cut(county.store, 100)
    moved = ingest.set_damaged_store_aside(county.store, county.path)
    assert moved is not None and moved != taken and moved.name.startswith(taken.name)
    assert taken.read_bytes() == b"an earlier damaged store"
    assert len(moved.read_bytes()) == 100 and not county.store.exists()


def test_a_healthy_store_is_never_moved(county):
    before = store.ingest_totals(county.store)
    (county.ledgers / "劝返" / "平孟镇劝返台账.csv").touch()  # same bytes: nothing to read
    child = ingest_cli(county)
    assert child.returncode == 0, child.stderr
    assert "损坏" not in child.stderr and "Traceback" not in child.stderr
    assert damaged_copies(county) == []
    assert ingest.set_damaged_store_aside(county.store, county.path) is None
    assert store.ingest_totals(county.store) == before


def test_a_missing_store_is_not_set_aside(tmp_path):
    assert ingest.set_damaged_store_aside(tmp_path / "none.duckdb") is None
    assert list(tmp_path.iterdir()) == []
