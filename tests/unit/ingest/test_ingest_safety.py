"""`kcbx ingest` never loses a county's data and `kcbx` output
piped into `head` ends quietly, on the small demo county."""

import fcntl
import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from kcbx import cli
from kcbx.ingest import county as ingest
from kcbx.store import tables as store
from support.demo_county import MORE_CASES, add_late_file, county, ingested_demo  # noqa: F401 (fixtures)


def kcbx_process(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kcbx.cli", *args], text=True, **popen)


# The demo county's accepted rows (kcbx demo, seed 20211015): with the 资助 冲正 row (a negative
# 金额), the schools' 零报告 rows and the villages' 核查 回执.
DEMO_ROWS_ACCEPTED = 10210


def ingest_cli(county, *extra: str) -> int:
    return cli.main(["ingest", "--params", str(county.path), "--quiet", *extra])


def leftovers(county) -> list[str]:
    """Hidden files a build of the store left beside it (the lock file is meant to stay)."""
    return sorted(p.name for p in county.store.parent.glob(f".{county.store.name}*")
                  if p != ingest.lock_path(county.store))


def accepted_rows(county) -> int:
    return store.ingest_totals(county.store)["rows_accepted"]


# --------------------------------------------------------------------------- 1. shrink guard

def test_an_empty_ledger_folder_is_refused_and_the_store_is_kept(county, capsys):
    before = county.store.read_bytes()
    for entry in county.ledgers.iterdir():  # an empty mount point: the share did not mount
        shutil.rmtree(entry)
    assert ingest_cli(county) == 4
    err = capsys.readouterr().err
    assert "--allow-shrink" in err and "学籍 roster" in err and "户籍 population" in err
    assert str(DEMO_ROWS_ACCEPTED) in err and "Traceback" not in err
    assert county.store.read_bytes() == before

    assert ingest_cli(county, "--allow-shrink") == 0  # meant: the store is emptied
    assert accepted_rows(county) == 0


def test_a_kind_whose_files_are_all_gone_is_refused(county, capsys):
    before = county.store.read_bytes()
    shutil.rmtree(county.ledgers / "残疾")  # 30 of the demo's rows, but a whole register
    assert ingest_cli(county) == 4
    err = capsys.readouterr().err
    assert "残疾 disability" in err and "学籍" not in err
    assert county.store.read_bytes() == before


def test_accepted_rows_falling_by_more_than_half_are_refused(county, capsys):
    before = county.store.read_bytes()
    for folder in ("roster", "户籍", "absence"):  # half an upload: one file per kind is left
        for path in sorted((county.ledgers / folder).iterdir())[1:]:
            path.unlink()
    assert ingest_cli(county) == 4
    err = capsys.readouterr().err
    assert str(DEMO_ROWS_ACCEPTED) in err and "类别" not in err  # every kind still has a file: only the figures
    assert county.store.read_bytes() == before


def test_a_missing_ledger_folder_is_refused_and_the_store_is_kept(county, capsys):
    before = county.store.read_bytes()
    shutil.rmtree(county.ledgers)
    assert ingest_cli(county) == 2
    err = capsys.readouterr().err
    assert str(county.ledgers) in err and "not mounted" in err and "Traceback" not in err
    assert county.store.read_bytes() == before


def test_the_exit_codes_are_in_the_ingest_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["ingest", "--help"])
    help_text = capsys.readouterr().out
    assert "--allow-shrink" in help_text
    assert "  4  refused, the store unchanged" in help_text and "  5  stopped, the store unchanged" in help_text


# --------------------------------------------------------------------------- 2. built beside, one writer

def test_a_failed_write_leaves_the_store_as_it_was_and_nothing_beside_it(county, monkeypatch):
    before = county.store.read_bytes()
    add_late_file(county)

    def insert_failing(con, table, frames):
        raise OSError(27, "File too large")

    monkeypatch.setattr(store, "_insert", insert_failing)
    with pytest.raises(OSError, match="File too large"):
        ingest.ingest_folder(county)
    assert county.store.read_bytes() == before
    assert leftovers(county) == []


def test_an_open_read_only_connection_does_not_block_ingest(county):
    add_late_file(county)
    with duckdb.connect(str(county.store), read_only=True) as analyst:
        done = subprocess.run([sys.executable, "-m", "kcbx.cli", "ingest", "--params", str(county.path), "--quiet"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "Could not set lock" not in done.stderr
        # The analyst still reads the store as it was when opened, whole.
        assert analyst.execute("SELECT count(*) FROM ingest_log WHERE file = ?", [MORE_CASES]).fetchone() == (0,)
    assert accepted_rows(county) == DEMO_ROWS_ACCEPTED + 9
    assert leftovers(county) == []


def test_a_store_open_for_writing_elsewhere_stops_ingest_clearly(county):
    before = county.store.read_bytes()
    add_late_file(county)
    with duckdb.connect(str(county.store)):  # a DuckDB shell opened without -readonly
        done = subprocess.run([sys.executable, "-m", "kcbx.cli", "ingest", "--params", str(county.path), "--quiet"],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 5
    assert "open for writing elsewhere" in done.stderr and "Traceback" not in done.stderr
    assert county.store.read_bytes() == before


def hold_lock(county):
    """Take the store's writer lock as another ingest would, with this process's pid in it."""
    lock = open(ingest.lock_path(county.store), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def test_a_second_ingest_waits_for_the_first(county):
    add_late_file(county)
    lock = hold_lock(county)
    try:
        second = kcbx_process("ingest", "--params", str(county.path), "--quiet",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = second.stderr.readline()
        assert "等待" in line and "waiting for the other ingest" in line and f"pid {os.getpid()}" in line
        time.sleep(0.5)
        assert second.poll() is None  # still waiting
    finally:
        lock.close()  # the first ingest ends
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "Traceback" not in err
    assert accepted_rows(county) == DEMO_ROWS_ACCEPTED + 9


def test_a_second_ingest_stops_clearly_after_the_timeout(county, monkeypatch, capsys):
    before = county.store.read_bytes()
    add_late_file(county)
    monkeypatch.setattr(ingest, "LOCK_TIMEOUT_SECONDS", 0.5)
    lock = hold_lock(county)
    try:
        assert ingest_cli(county) == 5
    finally:
        lock.close()
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "Traceback" not in err
    assert county.store.read_bytes() == before


def test_the_unchanged_fast_path_through_the_cli_imports_no_pandas(county):
    # What keeps an unchanged re-ingest under a second (benchmarks/bench_ingest.py measures
    # it): the CLI neither reads a ledger nor imports pandas. -X importtime lists every import.
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kcbx.cli", "ingest", "--params",
                           str(county.path), "--quiet"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "kcbx.ingest.county" in imported  # the listing is real
    assert "pandas" not in imported and "openpyxl" not in imported


# --------------------------------------------------------------------------- 3. killed mid-way

# Runs `kcbx ingest` in a process that kills itself (SIGKILL: no cleanup runs) the
# moment it first inserts rows into the store it is writing.
KILLED_WHILE_WRITING = """
import os, signal, sys
from kcbx import cli
from kcbx.store import tables as store
def insert_then_die(*args):
    os.kill(os.getpid(), signal.SIGKILL)
store._insert = insert_then_die
sys.exit(cli.main(["ingest", "--params", sys.argv[1], "--quiet"]))
"""


def ingest_killed_while_writing(county) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, str(county.path)],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr


def test_a_killed_first_ingest_leaves_no_store_and_the_next_one_cleans_up(county):
    county.store.unlink()
    ingest_killed_while_writing(county)
    assert not county.store.exists()
    assert leftovers(county)  # the hidden build of the killed ingest
    assert ingest_cli(county) == 0
    assert leftovers(county) == []
    assert accepted_rows(county) == DEMO_ROWS_ACCEPTED


def test_a_killed_later_ingest_leaves_the_old_store_intact(county):
    before = county.store.read_bytes()
    add_late_file(county)
    ingest_killed_while_writing(county)
    assert county.store.read_bytes() == before
    assert ingest_cli(county) == 0
    assert leftovers(county) == []
    assert accepted_rows(county) == DEMO_ROWS_ACCEPTED + 9


# --------------------------------------------------------------------------- 12. broken pipe

def test_output_into_a_closed_pipe_ends_quietly(county):
    reading_end, writing_end = os.pipe()
    os.close(reading_end)  # like `| head -3` once head has its lines and is gone
    try:
        townships = kcbx_process("townships", "--params", str(county.path), "--as-of", "2021-10-15",
                                 stdout=writing_end, stderr=subprocess.PIPE)
    finally:
        os.close(writing_end)
    _, err = townships.communicate(timeout=120)
    assert err == ""
    assert townships.returncode == 1
