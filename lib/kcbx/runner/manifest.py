"""``manifest.json``: what a run did, notebook by notebook (written by kcbx.runner.run, read by
the index page, the trends and the next run, which reuses what did not change)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from kcbx.outputs import MANIFEST_FILE


class RunStatus(StrEnum):
    """How one notebook of a run went; its value is what manifest.json says.

    A str: a status read back from a manifest.json is a plain string, and compares equal
    to its member (``"ok" == RunStatus.OK``, ``"ok" in SUCCEEDED``).
    """

    OK = "ok"  # rendered by this run
    REUSED = "reused"  # the previous run's report of identical inputs (same fingerprint)
    FAILED = "failed"
    # This run failed, and the report of the previous run of the same as_of stays in
    # place (marked "上次结果（本次失败）"): a failure never replaces a good report by nothing.
    KEPT = "kept"


# A reused report is the report of identical inputs: as good as a new one.
SUCCEEDED = frozenset({RunStatus.OK, RunStatus.REUSED})
PUBLISHED = SUCCEEDED | {RunStatus.KEPT}  # a report is in the folder


def describe_error(error: Mapping[str, Any]) -> str:
    """One line for a failed notebook: the failing cell (index in the source notebook,
    first line of its source) when known, then the exception name and message."""
    where = ""
    if error.get("cell_index") is not None:
        where = f'cell {error["cell_index"]} "{error.get("cell_first_line") or ""}": '
    return f'{where}{error.get("exception", "Error")}: {error.get("message", "")}'


@dataclass(frozen=True)
class NotebookError:
    """Why a notebook failed: the failing cell when one is known, and the exception."""

    cell_index: int | None  # 0-based, in the source notebook (papermill's added cells not counted)
    cell_first_line: str | None
    exception: str  # the exception's class name, e.g. "KeyError"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"cell_index": self.cell_index, "cell_first_line": self.cell_first_line,
                "exception": self.exception, "message": self.message}

    def __str__(self) -> str:
        return describe_error(self.to_dict())


@dataclass(frozen=True)
class NotebookRecord:
    """How one notebook went: one entry of the manifest's ``townships`` list."""

    name: str
    township: str | None  # None for the county notebook
    dir: str  # folder name inside the as_of folder
    status: RunStatus
    seconds: float
    error: NotebookError | None = None
    fingerprint: str | None = None  # of the inputs of the report in its folder (kcbx.runner.prepare)
    worker: str | None = None  # where it ran: host:pid, or the dask worker's address
    rendered_at: str | None = None  # when its report was made (an earlier run's, when reused)
    inputs: dict[str, str] | None = None  # what its report is made of -> digest (kcbx.runner.prepare)
    rendered_because: tuple[str, ...] | None = None  # why it was rendered, not reused (reuse.why_rendered)
    warnings: int = 0  # warnings its cells wrote (left out of report.html; in its notebook.ipynb)

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "township": self.township, "dir": self.dir,
                "status": RunStatus(self.status).value, "seconds": round(self.seconds, 3),
                "error": self.error.to_dict() if self.error else None,
                "fingerprint": self.fingerprint, "worker": self.worker,
                "rendered_at": self.rendered_at, "inputs": self.inputs,
                "rendered_because": None if self.rendered_because is None else list(self.rendered_because),
                "warnings": self.warnings}


@dataclass(frozen=True)
class Manifest:
    """``manifest.json``: what ran, with what, and how each notebook went.

    ``townships`` lists every township's notebook in run order, then the county's
    (name "county", township None).
    """

    county: str
    as_of: dt.date
    started_at: str  # ISO 8601, local time with offset
    finished_at: str
    seconds: float
    kcbx_version: str
    params_path: str
    params_sha256: str
    engine: str
    workers: int
    townships: tuple[NotebookRecord, ...]
    as_of_dir: Path = field(compare=False)  # where the run was published; not written to JSON
    store_sha256: str | None = None  # the store snapshot every notebook's slice was cut from
    run_fingerprint: str | None = None  # store, params, notebooks, kcbx version, as_of, history
    scheduler: str | None = None  # "local", or the dask scheduler's address
    # A line for each ledger file the last ingest could not read (its earlier rows were used).
    stale_files: tuple[str, ...] = ()
    # The county's 适龄儿童台账.xlsx job (kcbx.runner.ledger): {status: written | reused | failed,
    # worker, seconds}; None when the run made none (the county's report reused, or not run).
    school_age_ledger: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when every notebook, the county's included, succeeded (made now or reused)."""
        return all(record.succeeded for record in self.townships)

    def to_dict(self) -> dict[str, Any]:
        return {
            "county": self.county, "as_of": self.as_of.isoformat(),
            "started_at": self.started_at, "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3), "kcbx_version": self.kcbx_version,
            "params_path": self.params_path, "params_sha256": self.params_sha256,
            "store_sha256": self.store_sha256, "run_fingerprint": self.run_fingerprint,
            "engine": self.engine, "workers": self.workers, "scheduler": self.scheduler,
            "ok": self.ok, "stale_files": list(self.stale_files),
            "school_age_ledger": self.school_age_ledger,
            "townships": [record.to_dict() for record in self.townships],
        }


def read_manifest(as_of_dir: Path) -> dict[str, Any] | None:
    """A published run's manifest.json in its JSON form; None when there is none or it is unreadable."""
    try:
        return json.loads((Path(as_of_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
