"""A store file cut short (a full disk, a copy stopped half-way) is found before a run and said
in one line, not a DuckDB traceback (issue 23); ``check_store`` is what ingest can reuse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from kcbx.store.readonly import DamagedStore, check_store, require_intact_store
from support.demo_county import county, ingested_demo  # noqa: F401 (the demo's fixtures)

AS_OF = "2021-10-15"


def cut(path, size: int) -> None:
    with open(path, "r+b") as file:
        file.truncate(size)


def test_an_intact_store_is_not_damaged(county):
    assert check_store(county.store) is None
    assert check_store(county.store, deep=True) is None
    require_intact_store(county.store, county.path)


def test_a_missing_store_is_not_called_damaged(tmp_path):
    assert check_store(tmp_path / "none.duckdb") is None


@pytest.mark.parametrize("keep", [0, 100, 20_000, 0.5, 0.99])
def test_a_store_cut_short_is_damaged(county, keep):
    size = county.store.stat().st_size
    cut(county.store, int(size * keep) if isinstance(keep, float) else keep)
    message = check_store(county.store, county.path)
    assert message is not None and "\n" not in message
    assert message.startswith(f"存储文件已损坏：{county.store}（")
    assert message.endswith(f"）；请运行 kcbx ingest --params {county.path} 重建")
    with pytest.raises(DamagedStore):
        require_intact_store(county.store, county.path)


def test_a_file_that_is_no_duckdb_store_is_damaged(tmp_path):
    store = tmp_path / "x.duckdb"
    store.write_bytes(b"PK\x03\x04 not a database" * 100)
    assert check_store(store).startswith("存储文件已损坏：")


def test_kcbx_run_on_a_cut_store_says_so_in_one_line(county):
    shutil.copyfile(county.store, county.store.with_suffix(".bak"))
    cut(county.store, county.store.stat().st_size // 2)
    child = subprocess.run([sys.executable, "-m", "kcbx.cli", "run", "--params", str(county.path),
                            "--as-of", AS_OF, "--quiet"], capture_output=True, text=True, timeout=300,
                           cwd=county.path.parent.parent, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert child.returncode == 2, child.stdout + child.stderr
    assert "Traceback" not in child.stderr
    lines = child.stderr.splitlines()
    assert len(lines) == 1, child.stderr
    assert lines[0].startswith(f"存储文件已损坏：{county.store}（")
    assert "请运行 kcbx ingest" in lines[0] and "重建" in lines[0]
    assert not (county.outputs / county.county).exists() or not any((county.outputs / county.county).iterdir())
