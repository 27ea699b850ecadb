"""The county's 适龄儿童台账.xlsx, a job of its own (issue 27): every school-age child of the
county, tens of thousands of rows that take seconds to write, and that most re-runs leave as
they were (a late absence ledger, a case event).

It has its own fingerprint (``prepare.CountyPreparation.school_age_ledger_fingerprint``: the
school-age rows and the registers it reads), kept in the workbook itself
(``report.excel.workbook_fingerprint``). The run starts it as soon as the county is measured,
beside the county's report and before the townships' (``run._Dispatcher``), in a worker of the
pool: the previous run's file when its fingerprint is the same (linked, not written), else
written anew from the county's prepared slice. The county notebook of a run writes no ledger.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kcbx.runner.engines import worker_name

WRITTEN, REUSED = "written", "reused"


@dataclass(frozen=True)
class LedgerJob:
    """The county's 适龄儿童台账.xlsx to make: from the county's prepared slice (``prepared``)
    into ``target``, unless ``previous`` (last run's file of this as_of) has ``fingerprint``."""

    prepared: Path
    target: Path
    fingerprint: str
    previous: Path | None = None


@dataclass(frozen=True)
class LedgerOutcome:
    """How the ledger job went: manifest.json's ``school_age_ledger`` (``to_dict``)."""

    status: str  # WRITTEN or REUSED
    worker: str
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"status": self.status, "worker": self.worker, "seconds": round(self.seconds, 3)}


def make_school_age_ledger(job: LedgerJob) -> LedgerOutcome:
    """Run in a worker: link the previous ledger when its fingerprint is today's, else load the
    county's Analysis and write the ledger (``report.forms.write_school_age_ledger``); raises
    when it cannot be written (the run then records the county's report as failed)."""
    from kcbx.report.excel import workbook_fingerprint

    started = time.perf_counter()
    job.target.parent.mkdir(parents=True, exist_ok=True)
    if job.previous is not None and workbook_fingerprint(job.previous) == job.fingerprint:
        _replace_with_link(job.previous, job.target)
        return LedgerOutcome(REUSED, worker_name(), time.perf_counter() - started)
    from kcbx.report.forms import write_school_age_ledger

    with open(job.prepared, "rb") as stream:
        analysis = pickle.load(stream)  # written by this run's own process (prepare.PreparedSlice)
    write_school_age_ledger(analysis, job.target, fingerprint=job.fingerprint)
    return LedgerOutcome(WRITTEN, worker_name(), time.perf_counter() - started)


def _replace_with_link(source: Path, target: Path) -> None:
    """target becomes a hard link of source (a copy across file systems), never half a file."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        shutil.copy2(source, temporary)
    os.replace(temporary, target)
