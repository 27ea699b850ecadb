"""`kcbx ingest`: read a county's ledger folder into its DuckDB store.

Contract: "`kcbx ingest --params FILE` reads the ledger folder into the store
and prints (and writes beside the store as JSON) rows read, accepted and
rejected per file." Every data row is accepted or rejected with a reason:
rows read = rows accepted + rows rejected, per file.

Re-ingesting is incremental: a file whose bytes (sha256) and reading rules are
unchanged is not read again and keeps its rows; a changed file replaces its
own rows; a file that disappeared has its rows removed. All changes are
written in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

import kcbx
from kcbx import schema, store
from kcbx.files import write_text_atomic
from kcbx.ledgers.normalize import normalize_sheet
from kcbx.ledgers.read import (Finding, HeaderVocabulary, LedgerFile, LedgerReadError,
                               find_ledger_files, header_vocabulary, read_ledger_file,
                               unknown_synonym_keys)
from kcbx.params import Params


@dataclass
class FileReport:
    """One ledger file's ingest: ``status`` is "read" (this run) or "unchanged" (kept from before)."""

    kind: str
    file: str
    sheets: list[str]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    seconds: float
    error: str | None = None
    warnings: int = 0
    status: str = "read"


@dataclass
class IngestReport:
    """What an ingest did, per file and in total; ``ok`` is false when a file had an error."""

    store: str
    ledgers: str
    files: list[FileReport] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    folder_findings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def ok(self) -> bool:
        return all(f.error is None for f in self.files)

    def to_dict(self) -> dict:
        return {
            "store": self.store,
            "ledgers": self.ledgers,
            "ok": self.ok,
            "totals": {"rows_read": self.rows_read, "rows_accepted": self.rows_accepted,
                       "rows_rejected": self.rows_rejected},
            "files": [dataclasses.asdict(f) for f in self.files],
            "removed": self.removed,
            "folder_findings": self.folder_findings,
            "seconds": round(self.seconds, 3),
        }


def report_path(store_path: Path) -> Path:
    """Where the ingest report is written: ``<store stem>.ingest.json`` beside the store."""
    return store_path.with_name(f"{store_path.stem}.ingest.json")


def reading_rules(params: Params) -> str:
    """Fingerprint of what decides how a file is read besides its bytes: the kcbx
    version and the county's header synonyms. A change re-reads every file."""
    rules = {"kcbx": kcbx.__version__, "synonyms": {k: list(v) for k, v in sorted(params.synonyms.items())}}
    return hashlib.sha256(json.dumps(rules, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _FileResult:
    report: FileReport
    accepted: list[pd.DataFrame]
    rejected: list[pd.DataFrame]
    findings: list[Finding]


def _read_file(ledger_file: LedgerFile, vocabulary: HeaderVocabulary, today: dt.date) -> _FileResult:
    """Read, normalise and validate one file.

    A file that cannot be read becomes an error naming the file, not an exception.
    """
    started = time.perf_counter()
    try:
        sheets, findings = read_ledger_file(ledger_file, vocabulary)
    except LedgerReadError as exc:
        report = FileReport(ledger_file.kind, ledger_file.relative, [], 0, 0, 0,
                            time.perf_counter() - started, error=f"{ledger_file.relative}：{exc}")
        return _FileResult(report, [], [], [])
    accepted, rejected, errors = [], [], []
    for sheet in sheets:
        normalized = normalize_sheet(sheet, today)
        accepted.append(normalized.accepted)
        rejected.append(normalized.rejected)
        findings.extend(normalized.findings)
        if sheet.missing:
            errors.append(sheet.missing_message)
    report = FileReport(
        kind=ledger_file.kind,
        file=ledger_file.relative,
        sheets=[s.sheet for s in sheets],
        rows_read=sum(len(a) + len(r) for a, r in zip(accepted, rejected)),
        rows_accepted=sum(len(a) for a in accepted),
        rows_rejected=sum(len(r) for r in rejected),
        seconds=time.perf_counter() - started,
        error="；".join(errors) or None,
        warnings=len(findings),
    )
    return _FileResult(report, accepted, rejected, findings)


def _findings_frame(findings: list[Finding]) -> pd.DataFrame:
    frame = pd.DataFrame([dataclasses.asdict(f) for f in findings], columns=list(store.FINDINGS_COLUMNS))
    return frame.astype({"kind": object, "file": object, "sheet": object, "finding": object, "row": "Int64"})


def _log_frame(report: FileReport, sha256: str, rules: str, ingested_at: dt.datetime) -> pd.DataFrame:
    row = {**{c: getattr(report, c) for c in ("kind", "file", "rows_read", "rows_accepted",
                                                 "rows_rejected", "seconds", "error", "warnings")},
           "sha256": sha256, "ingested_at": ingested_at, "sheets": json.dumps(report.sheets, ensure_ascii=False),
           "rules": rules}
    return pd.DataFrame([row], columns=list(store.table_types()["ingest_log"])).astype(
        {"kind": object, "file": object, "sha256": object, "error": object, "sheets": object, "rules": object})


def _unchanged_report(stored: store.StoredFile) -> FileReport:
    return FileReport(stored.kind, stored.file, list(stored.sheets), stored.rows_read, stored.rows_accepted,
                      stored.rows_rejected, stored.seconds, stored.error, stored.warnings, status="unchanged")


def ingest_folder(params: Params, *, progress: bool = False, today: dt.date | None = None) -> IngestReport:
    """Read ``params.ledgers`` into ``params.store`` and write the report beside the store.

    ``today`` bounds birth dates in IDs (default: the real today); ``progress``
    shows a per-file progress bar on stderr.
    """
    started = time.perf_counter()
    today = today or dt.date.today()
    files, folder_findings = find_ledger_files(params.ledgers)
    folder_findings += [Finding(None, "params", "", None, f"params 文件 synonyms 的键「{key}」不是已知表头，未使用")
                        for key in unknown_synonym_keys(params.synonyms)]
    rules = reading_rules(params)
    previous = store.stored_files(params.store)
    vocabularies = {kind: header_vocabulary(kind, params.synonyms) for kind in schema.KINDS}

    hashes = {f.relative: _sha256(f.path) for f in files}
    # A file's path names its kind folder, so same path + same bytes + same rules = same rows.
    to_read = [f for f in files if not (f.relative in previous and previous[f.relative].sha256 == hashes[f.relative]
                                        and previous[f.relative].rules == rules)]
    present = {f.relative for f in files}
    removed = sorted(name for name in previous if name not in present)
    reading = {f.relative for f in to_read}
    update = store.StoreUpdate(
        files_to_clear=[f.relative for f in to_read] + removed,
        findings=[_findings_frame(folder_findings)],
    )
    reports: dict[str, FileReport] = {f.relative: _unchanged_report(previous[f.relative])
                                      for f in files if f.relative not in reading}
    ingested_at = dt.datetime.now().replace(microsecond=0)
    for ledger_file in tqdm(to_read, desc="读取台账 reading", unit="file", disable=not progress):
        result = _read_file(ledger_file, vocabularies[ledger_file.kind], today)
        reports[ledger_file.relative] = result.report
        update.ledger_rows.setdefault(ledger_file.kind, []).extend(result.accepted)
        update.rejected.extend(result.rejected)
        update.findings.append(_findings_frame(result.findings))
        update.log.append(_log_frame(result.report, hashes[ledger_file.relative], rules, ingested_at))
    store.write_update(params.store, update)

    report = IngestReport(
        store=str(params.store),
        ledgers=str(params.ledgers),
        files=[reports[f.relative] for f in files],
        removed=removed,
        folder_findings=[f"{f.file}: {f.finding}" for f in folder_findings],
        seconds=time.perf_counter() - started,
    )
    write_text_atomic(report_path(params.store),
                      json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    return report


# --------------------------------------------------------------------------- printing

def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def format_report(report: IngestReport) -> str:
    """The per-file table the CLI prints, with totals and any errors, in Chinese and English."""
    head = ["类别 kind", "文件 file", "读取 read", "接受 accepted", "拒绝 rejected", "秒 s", "状态 status"]
    lines = []
    for f in report.files:
        status = "错误 error" if f.error else ("未变 unchanged" if f.status == "unchanged" else "已读 read")
        lines.append([schema.KIND_LABELS[f.kind], f.file, str(f.rows_read), str(f.rows_accepted),
                      str(f.rows_rejected), f"{f.seconds:.2f}", status])
    lines.append(["合计 total", f"{len(report.files)} 个文件 files", str(report.rows_read),
                  str(report.rows_accepted), str(report.rows_rejected), f"{report.seconds:.2f}",
                  "正常 ok" if report.ok else "有错误 errors"])
    widths = [max(_width(row[i]) for row in [head, *lines]) for i in range(len(head))]
    numeric = {2, 3, 4, 5}

    def render(row: list[str]) -> str:
        return "  ".join(_pad(cell, widths[i], right=i in numeric) for i, cell in enumerate(row)).rstrip()

    out = [render(head), "  ".join("-" * w for w in widths), *map(render, lines[:-1]),
           "  ".join("-" * w for w in widths), render(lines[-1])]
    errors = [f for f in report.files if f.error]
    if errors:
        out += ["", "错误 errors:"] + [f"  {f.error}" for f in errors]  # each names its file
    if report.removed:
        out += ["", "已移除（文件不再存在）removed:"] + [f"  {name}" for name in report.removed]
    if report.folder_findings:
        out += ["", "提示 notes:"] + [f"  {text}" for text in report.folder_findings]
    out += ["", f"详细的拒绝行与提示见 rejected rows and findings: {report.store} "
                f"(tables rejected_rows, findings); {report_path(Path(report.store))}"]
    return "\n".join(out)
