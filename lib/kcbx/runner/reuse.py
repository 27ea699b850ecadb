"""Reusing the previous run's reports: a notebook whose fingerprint is unchanged gets the
previous run's folder of the same as_of, and one that fails now keeps it."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcbx.outputs import (
    COUNTY_NAME,
    DAILY_CARD_FILE,
    FAILED_NOTEBOOK_FILE,
    FORMS_FILE,
    METRICS_FILE,
    NOTEBOOK_FILE,
    NOTICE_SUFFIX,
    NOTICES_DIR,
    REPORT_FILE,
    SCHOOL_AGE_LEDGER_FILE,
    SCHOOL_FORMS_DIR,
    SCHOOL_FORMS_SUFFIX,
)
from kcbx.runner.kept import kept_reason, mark_kept
from kcbx.runner.manifest import PUBLISHED, SUCCEEDED, NotebookRecord, RunStatus, read_manifest
from kcbx.runner.publish import remove_tree
from kcbx.util.files import write_text_atomic

# What a reused notebook's folder must hold, and what else comes along when it is there.
REPORT_FILES = (NOTEBOOK_FILE, REPORT_FILE, FORMS_FILE, METRICS_FILE)
OPTIONAL_REPORT_FILES = (DAILY_CARD_FILE, SCHOOL_AGE_LEDGER_FILE)  # the 日报 card; the county's ledger


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the previous folder is deleted on publish: a link is a copy
    except OSError:
        shutil.copy2(source, target)


def reuse_folder(previous_dir: Path, output_dir: Path) -> bool:
    """Copy a previous report's folder (notebook, report, forms, metrics; the daily card, the
    county's 适龄儿童台账.xlsx, a township's per-school forms 学校/ and documents 文书/); False when
    incomplete. Not a failed run's notebook.failed.ipynb."""
    if not all((previous_dir / name).is_file() for name in REPORT_FILES):
        return False
    output_dir.mkdir(parents=True, exist_ok=True)
    for name in (*REPORT_FILES, *OPTIONAL_REPORT_FILES):
        if (previous_dir / name).is_file():
            _link_or_copy(previous_dir / name, output_dir / name)
    _reuse_files(previous_dir / SCHOOL_FORMS_DIR, output_dir / SCHOOL_FORMS_DIR, SCHOOL_FORMS_SUFFIX)
    _reuse_files(previous_dir / NOTICES_DIR, output_dir / NOTICES_DIR, NOTICE_SUFFIX)
    return True


def _reuse_files(previous: Path, target: Path, suffix: str) -> None:
    """The files of a previous report's subfolder (学校/'s workbooks, 文书/'s documents), each
    linked (or copied); only regular files named as ``kcbx.outputs`` names them (their suffix; no
    link, no hidden leftover)."""
    if not previous.is_dir() or previous.is_symlink():
        return
    files = [entry for entry in os.scandir(previous)
             if entry.is_file(follow_symlinks=False) and entry.name.endswith(suffix)
             and not entry.name.startswith(".")]
    target.mkdir(mode=0o700, exist_ok=True)
    for entry in files:
        _link_or_copy(Path(entry.path), target / entry.name)


def _update_metrics(path: Path, figures: Mapping[str, Any]) -> None:
    """Write ``figures`` into the metrics.json at path where they differ: a new file (atomic
    replace), so the previous run's, linked here, stays as it was."""
    metrics = json.loads(path.read_text(encoding="utf-8"))
    if all(metrics.get(key) == value for key, value in figures.items()):
        return
    write_text_atomic(path, json.dumps({**metrics, **figures}, ensure_ascii=False, indent=2) + "\n")


@dataclass(frozen=True)
class PreviousRun:
    """The published run of the same as_of, whose unchanged reports this run may reuse."""

    as_of_dir: Path
    run_fingerprint: str | None
    complete: bool  # every notebook succeeded
    order: tuple[str, ...]  # notebook names in run order
    records: dict[str, dict[str, Any]]  # by notebook name, those with a report in their folder
    stale_files: tuple[str, ...] = ()  # its manifest's lines on ledger files ingest could not read

    @classmethod
    def read(cls, as_of_dir: Path) -> PreviousRun | None:
        manifest = read_manifest(as_of_dir)
        if manifest is None:
            return None
        entries = manifest.get("townships", [])
        records = {entry["name"]: entry for entry in entries
                   if entry.get("status") in PUBLISHED and entry.get("fingerprint")}
        return cls(as_of_dir, manifest.get("run_fingerprint"),
                   bool(manifest.get("ok")) and all(e.get("status") in SUCCEEDED for e in entries),
                   tuple(entry["name"] for entry in entries), records,
                   tuple(manifest.get("stale_files") or ()))

    def _previous(self, name: str) -> tuple[dict, Path] | None:
        """The previous record of notebook ``name`` and its report folder; None when there is
        none, or the manifest names anything but a bare folder name (never a path out of the run)."""
        entry = self.records.get(name)
        if entry is None or Path(entry["dir"]).name != entry["dir"]:
            return None
        return entry, self.as_of_dir / entry["dir"]

    def reuse(self, name: str, output_dir: Path, fingerprint: str | None,
              metrics_update: Mapping[str, Any] | None = None) -> NotebookRecord | None:
        """The previous record of notebook ``name`` when its fingerprint is unchanged, its
        folder copied to ``output_dir``; None when it changed (or was not there).

        ``metrics_update``: figures of metrics.json that are no part of the fingerprint (the
        county ingest's totals, which every report's metrics.json carries): written into the
        copy where they differ."""
        previous = self._previous(name)
        if fingerprint is None or previous is None:
            return None
        entry, folder = previous
        # A kept report is marked old (kcbx.runner.kept): it is rendered again, never reused.
        if entry.get("status") == RunStatus.KEPT:
            return None
        if entry["fingerprint"] != fingerprint or not reuse_folder(folder, output_dir):
            return None
        if metrics_update:
            _update_metrics(output_dir / METRICS_FILE, metrics_update)
        return NotebookRecord(name=name, township=entry["township"], dir=output_dir.name,
                              status=RunStatus.REUSED, seconds=0.0, fingerprint=fingerprint,
                              worker=entry.get("worker"), rendered_at=entry.get("rendered_at"),
                              inputs=entry.get("inputs"), warnings=entry.get("warnings") or 0)

    def school_age_ledger(self) -> Path | None:
        """The previous county report's 适龄儿童台账.xlsx, for the run's ledger job to keep when its
        fingerprint is today's (kcbx.runner.ledger): a late absence ledger does not change it."""
        previous = self._previous(COUNTY_NAME)
        if previous is None:
            return None
        ledger = previous[1] / SCHOOL_AGE_LEDGER_FILE
        return ledger if ledger.is_file() and not ledger.is_symlink() else None

    def keep(self, failed: NotebookRecord, output_dir: Path) -> NotebookRecord:
        """A notebook that failed now keeps the previous report of this as_of, if there is
        one: the new failure is recorded beside it (its notebook as notebook.failed.ipynb), and
        the kept files say they are old (``kcbx.runner.kept.mark_kept``: a banner, metrics.json's
        kept_from and kept_reason, a line above every sheet of forms.xlsx, no daily.png)."""
        previous = self._previous(failed.name)
        if previous is None:
            return failed
        entry, folder = previous
        executed = output_dir / NOTEBOOK_FILE
        if executed.exists():
            executed.rename(output_dir / FAILED_NOTEBOOK_FILE)
        # What the failed notebook wrote of 学校/ and 文书/ goes: the kept folders are the previous
        # report's alone, never mixed with a document of the run that failed.
        for subfolder in (SCHOOL_FORMS_DIR, NOTICES_DIR):
            if (output_dir / subfolder).is_dir() and not (output_dir / subfolder).is_symlink():
                remove_tree(output_dir / subfolder)
        if not reuse_folder(folder, output_dir):
            return failed
        mark_kept(output_dir, entry.get("rendered_at"), kept_reason(failed.error))
        return dataclasses.replace(failed, status=RunStatus.KEPT, fingerprint=entry["fingerprint"],
                                   rendered_at=entry.get("rendered_at"), inputs=entry.get("inputs"),
                                   rendered_because=None, warnings=entry.get("warnings") or 0)


FIRST = "first"  # no report of this notebook in this as_of's folder yet
FORCED = "forced"  # kcbx run --force
FAILED_BEFORE = "failed_before"  # its report there is a kept one: its last run failed
UNRECORDED = "unrecorded"  # the previous run recorded no inputs (made by an older kcbx)


def why_rendered(previous: PreviousRun | None, name: str, inputs: Mapping[str, str],
                 forced: bool = False) -> tuple[str, ...]:
    """Why notebook ``name`` is rendered now rather than reused, as Ploomber says why a task is
    outdated: the names of the inputs (``kcbx.runner.prepare``: "program", "notebook",
    "params", a ledger kind, "ingest", "store", "ranking", "history") whose digest differs
    from those of its report in the previous run; or FIRST, FORCED, UNRECORDED; FAILED_BEFORE
    first when that report was kept from a failed run."""
    if forced:
        return (FORCED,)
    entry = None if previous is None else previous.records.get(name)
    if entry is None:
        return (FIRST,)
    earlier = entry.get("inputs")
    retried = (FAILED_BEFORE,) if entry.get("status") == RunStatus.KEPT else ()
    if not isinstance(earlier, Mapping):
        return (*retried, UNRECORDED)
    changed = tuple(source for source in (*inputs, *(s for s in earlier if s not in inputs))
                    if earlier.get(source) != inputs.get(source))
    return (*retried, *changed) or (UNRECORDED,)
