"""The county's 适龄儿童台账.xlsx is a job of its own (issue 27): keyed on the school-age rows
and the registers it reads, started right after the county's report and ahead of every
township, and kept as it is when a late absence ledger comes in."""

from __future__ import annotations

import datetime as dt
import shutil
from concurrent.futures import Future
from pathlib import Path

import pytest
from tqdm import tqdm

from kcbx import cli
from kcbx.outputs import SCHOOL_AGE_LEDGER_FILE
from kcbx.report.excel import workbook_fingerprint
from kcbx.runner import run as runner
from kcbx.runner.engines import NotebookJob
from kcbx.runner.ledger import LedgerJob, make_school_age_ledger
from kcbx.runner.manifest import read_manifest
from kcbx.runner.prepare import CountyPreparation
from kcbx.runner.run import run_county
from support.demo_county import county, ingested_demo  # noqa: F401 (the demo's fixtures)
from support.toy_notebooks import write_toy_notebooks

AS_OF = dt.date(2021, 10, 15)


def ingest(params) -> None:
    assert cli.main(["ingest", "--params", str(params.path), "--quiet", "--allow-shrink"]) == 0


def ledger_fingerprint(params, folder: Path) -> str:
    return CountyPreparation(params, AS_OF, None, folder, township_notebook_sha256="t",
                             county_notebook_sha256="c").school_age_ledger_fingerprint()


@pytest.mark.slow
def test_a_late_absence_ledger_reuses_the_county_s_school_age_ledger(county, tmp_path):
    notebooks = write_toy_notebooks(tmp_path / "notebooks")  # they write no ledger: the run does
    first = run_county(county, AS_OF, progress=False, notebooks_dir=notebooks)
    assert first.ok
    ledger = county.outputs / "示例县" / AS_OF.isoformat() / "county" / SCHOOL_AGE_LEDGER_FILE
    written = ledger.stat().st_ino
    fingerprint = ledger_fingerprint(county, tmp_path / "a")
    assert workbook_fingerprint(ledger) == fingerprint  # the job's own fingerprint, in the workbook
    assert first.school_age_ledger["status"] == "written"

    # A late absence ledger (one township's file sent again): the county's report is rendered
    # again, its 适龄儿童台账.xlsx is the previous run's file, not written again.
    [absence_file] = (county.ledgers / "absence").glob("平孟镇*")
    shutil.copyfile(absence_file, absence_file.with_name("平孟镇补报缺勤" + absence_file.suffix))
    ingest(county)
    assert ledger_fingerprint(county, tmp_path / "b") == fingerprint
    late = run_county(county, AS_OF, progress=False, notebooks_dir=notebooks)
    assert {r.name: r.status for r in late.townships}["county"] == "ok"
    assert ledger.stat().st_ino == written
    assert late.school_age_ledger["status"] == "reused"  # and manifest.json says so
    assert read_manifest(ledger.parent.parent)["school_age_ledger"]["status"] == "reused"

    # A household register's file taken out: school-age children go, the ledger is written anew.
    [register] = (county.ledgers / "户籍").glob("平孟镇*")
    register.unlink()
    ingest(county)
    changed = run_county(county, AS_OF, progress=False, notebooks_dir=notebooks)
    assert changed.ok
    assert ledger.stat().st_ino != written
    assert changed.school_age_ledger["status"] == "written"
    assert workbook_fingerprint(ledger) == ledger_fingerprint(county, tmp_path / "c") != fingerprint


class _Pool:
    """A pool that records what it was given, in order, and finishes nothing until asked."""

    def __init__(self):
        self.submitted: list[str] = []

    def submit(self, function, job, *args) -> Future:
        self.submitted.append("ledger" if function is make_school_age_ledger else job.name)
        return Future()


def _notebook(name: str, township: str | None) -> NotebookJob:
    return NotebookJob(name=name, township=township, input_path=Path("x.ipynb"), output_dir=Path(name),
                       parameters={}, title=name, provenance={})


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_the_ledger_starts_after_the_county_s_report_and_before_every_township(workers):
    pool = _Pool()
    dispatcher = runner._Dispatcher(pool, "warm", workers, tqdm(disable=True))
    dispatcher.add(_notebook("county", None))
    dispatcher.add_ledger(LedgerJob(Path("county.pkl"), Path("county") / SCHOOL_AGE_LEDGER_FILE, "f"))
    for township in ("甲镇", "乙镇", "丙镇"):
        dispatcher.add(_notebook(township, township))
    # Only `workers` jobs go to the pool at once; the queue holds the rest in the same order.
    queued = [job.name if isinstance(job, NotebookJob) else "ledger" for job in dispatcher.waiting]
    assert pool.submitted + queued == ["county", "ledger", "甲镇", "乙镇", "丙镇"]
    assert len(pool.submitted) == workers


def test_a_county_report_is_complete_with_its_ledger_only(tmp_path):
    from kcbx.runner.manifest import NotebookRecord, RunStatus

    def county_folder(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for file in ("notebook.ipynb", "report.html", "forms.xlsx", "metrics.json", SCHOOL_AGE_LEDGER_FILE):
            (folder / file).write_bytes(b"x")
        return folder

    # The ledger could not be written: the county's report fails with it, its folder keeps its notebook.
    folder = county_folder("b")
    records = {"county": NotebookRecord("county", None, "b", RunStatus.OK, 1.0)}
    runner._ledger_outcome(records, OSError(28, "No space left on device"), tmp_path)
    assert records["county"].status == RunStatus.FAILED
    assert records["county"].error.message == f"{SCHOOL_AGE_LEDGER_FILE}: [Errno 28] No space left on device"
    assert sorted(p.name for p in folder.iterdir()) == ["notebook.ipynb"]

    # The county's notebook failed: the ledger the job wrote beside it goes too.
    folder = county_folder("c")
    (folder / "report.html").unlink()
    records = {"county": NotebookRecord("county", None, "c", RunStatus.FAILED, 1.0)}
    runner._ledger_outcome(records, None, tmp_path)
    assert not (folder / SCHOOL_AGE_LEDGER_FILE).exists() and records["county"].status == RunStatus.FAILED

    # How the job went, as manifest.json says it.
    assert runner._ledger_line(None) is None
    assert runner._ledger_line(OSError(28, "No space left on device")) == {
        "status": "failed", "error": "OSError: [Errno 28] No space left on device"}

    # Both went well: nothing changes.
    folder = county_folder("d")
    records = {"county": NotebookRecord("county", None, "d", RunStatus.OK, 1.0)}
    runner._ledger_outcome(records, None, tmp_path)
    assert records["county"].status == RunStatus.OK and (folder / SCHOOL_AGE_LEDGER_FILE).is_file()
