"""A batch of ledger files -> their rows, rejected rows and findings: what a reader process
does (kcbx.ingest.isolation), file by file, then the batch's checking in one go.

Every fault is the fault of one file, or of one row: a file that cannot be read, or that
meets a fault in kcbx, becomes an error naming the file; a row whose cells make the
checking fail (where no CellError names the reason) is found and rejected on its own,
and the rest of its file is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from kcbx import schema
from kcbx.ingest.ledgers.folder import Finding, LedgerFile
from kcbx.ingest.ledgers.normalize import NormalizedSheet, normalize_sheet, normalize_sheets
from kcbx.ingest.ledgers.read import LedgerReadError, RawSheet, header_vocabulary, read_ledger_file
from kcbx.ingest.ledgers.school_days import TermDays
from kcbx.ingest.results import FileReport, FileResult, failed_file
from kcbx.util.collector import collector_paused

# Rows found failing one by one before a sheet is given up as a whole (each search costs
# a few checks of part of the sheet).
MAX_FAILING_ROWS = 50
REASON_ROW_FAULT = "此行无法读取（内部错误 {error}），未读取"


def internal_error(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "读取此文件所需内存超过上限，未读取 out of memory"
    if isinstance(exc, OSError) and exc.strerror:
        return f"无法打开文件：{exc.strerror} cannot open the file"
    return f"读取时出错 internal error: {type(exc).__name__}: {exc}"


def _fatal(exc: BaseException) -> bool:
    """Exceptions that end the reading itself, not one file's (a Rust panic in the Excel
    reader is a BaseException, and is one file's)."""
    return isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


@collector_paused()
def read_files(ledger_files: list[LedgerFile], synonyms: Mapping[str, Iterable[str]], today: dt.date,
               announce: Callable[[int], None] | None = None,
               normalising: Callable[[], None] | None = None, term: TermDays | None = None) -> list[FileResult]:
    """Read, normalise and validate files, in order; one result per file.

    ``announce(i)`` is called before the i-th file is read and ``normalising()`` before the
    batch is checked: a reader process tells its parent what it is doing, so that a crash
    or a timeout is blamed on the right file. The sheets of all files are normalised
    together (normalize_sheets validates each kind in one call). ``term``: the school days an
    absence row's 天数 counts.
    """
    results: dict[int, FileResult] = {}
    readable: dict[int, tuple[list[RawSheet], list[Finding], float, list[tuple[str, str]]]] = {}
    vocabularies = {}
    for number, ledger_file in enumerate(ledger_files):
        if announce:
            announce(number)
        started = time.perf_counter()
        skipped: list[tuple[str, str]] = []
        try:
            if ledger_file.kind not in vocabularies:
                vocabularies[ledger_file.kind] = header_vocabulary(ledger_file.kind, synonyms)
            sheets, findings = read_ledger_file(ledger_file, vocabularies[ledger_file.kind], skipped)
        except BaseException as exc:  # noqa: B036 (a panic of the Excel reader is a BaseException)
            if _fatal(exc):
                raise
            error = str(exc) if isinstance(exc, LedgerReadError) else internal_error(exc)
            results[number] = failed_file(ledger_file, error, time.perf_counter() - started)
            results[number].report.skipped_sheets = [list(s) for s in skipped]
            continue
        readable[number] = (sheets, findings, time.perf_counter() - started, skipped)

    if normalising:
        normalising()
    started = time.perf_counter()
    try:
        normalized = iter(normalize_sheets([sheet for sheets, *_ in readable.values() for sheet in sheets], today,
                                           term))
        by_file = {number: [next(normalized) for _ in sheets] for number, (sheets, *_) in readable.items()}
    except Exception:
        # A fault met in some file: normalise file by file, and in it row by row where needed.
        by_file = {}
        for number, (sheets, *_) in list(readable.items()):
            try:
                by_file[number] = normalize_guarded(sheets, today, term)
            except Exception as exc:
                results[number] = failed_file(ledger_files[number], internal_error(exc), readable.pop(number)[2])
    rows = {number: sum(sheet.rows_read for sheet in by_file[number]) for number in readable}
    checking_seconds_per_row = (time.perf_counter() - started) / max(1, sum(rows.values()))

    for number, (sheets, findings, reading_seconds, skipped) in readable.items():
        normalized_sheets = by_file[number]
        for sheet in normalized_sheets:
            findings.extend(sheet.findings)
        report = FileReport(
            kind=ledger_files[number].kind,
            file=ledger_files[number].relative,
            sheets=[s.sheet for s in sheets],
            rows_read=rows[number],
            rows_accepted=sum(n.rows_accepted for n in normalized_sheets),
            rows_rejected=sum(len(n.rejected) for n in normalized_sheets),
            # its own reading, and its share of the checking done for all files together
            seconds=reading_seconds + rows[number] * checking_seconds_per_row,
            error="；".join(s.missing_message for s in sheets if s.missing) or None,
            warnings=len(findings),
            skipped_sheets=[list(s) for s in skipped],
            unfilled_lines=sum(s.unfilled for s in sheets),
        )
        results[number] = FileResult(report, [n.accepted for n in normalized_sheets],
                                     [n.rejected for n in normalized_sheets], findings,
                                     [n.zero_reports for n in normalized_sheets if n.zero_reports is not None])
    return [results[number] for number in range(len(ledger_files))]


# --------------------------------------------------------------------------- a fault in one row

def normalize_guarded(sheets: list[RawSheet], today: dt.date, term: TermDays | None = None) -> list[NormalizedSheet]:
    """normalize_sheets of one file's sheets; where that fails, sheet by sheet, and in a
    failing sheet the rows that make it fail are found (by halving) and rejected on their own.
    Raises when a sheet fails as a whole: with no rows, with every row, or with more than
    MAX_FAILING_ROWS rows failing alone."""
    try:
        return normalize_sheets(sheets, today, term)
    except Exception:
        return [_normalize_sheet_guarded(sheet, today, term) for sheet in sheets]


def _subset(sheet: RawSheet, rows: list[int]) -> RawSheet:
    wanted = set(rows)
    return dataclasses.replace(sheet, rows=sheet.rows.loc[rows],
                               cell_rejections={r: v for r, v in sheet.cell_rejections.items() if r in wanted})


def _fails(sheet: RawSheet, rows: list[int], today: dt.date, term: TermDays | None) -> Exception | None:
    try:
        normalize_sheet(_subset(sheet, rows), today, term)
    except Exception as exc:
        return exc
    return None


def _failing_rows(sheet: RawSheet, rows: list[int], today: dt.date, term: TermDays | None,
                  found: dict[int, Exception], error: Exception | None = None) -> None:
    """Bisect ``rows`` (known to fail, with ``error``, when given) down to the rows that fail alone."""
    if len(found) > MAX_FAILING_ROWS:
        return
    error = error if error is not None else _fails(sheet, rows, today, term)
    if error is None:
        return
    if len(rows) == 1:
        found[rows[0]] = error
        return
    middle = len(rows) // 2
    for half in (rows[:middle], rows[middle:]):
        _failing_rows(sheet, half, today, term, found)


def _normalize_sheet_guarded(sheet: RawSheet, today: dt.date, term: TermDays | None) -> NormalizedSheet:
    try:
        return normalize_sheet(sheet, today, term)
    except Exception as exc:
        error = exc
    rows = sheet.rows.index.tolist()
    if len(rows) < 2 or _fails(sheet, [], today, term) is not None:
        raise error  # not a row's fault: the sheet's
    found: dict[int, Exception] = {}
    _failing_rows(sheet, rows, today, term, found, error)
    if not found or len(found) > MAX_FAILING_ROWS or len(found) == len(rows):
        raise error
    kept = normalize_sheet(_subset(sheet, [r for r in sheet.rows.index if r not in found]), today, term)
    bad = sorted(found)
    faults = pd.DataFrame({name: pd.Series(values, dtype="int64" if name == "row" else object) for name, values in {
        "kind": [sheet.kind] * len(bad), "file": [sheet.file] * len(bad), "sheet": [sheet.sheet] * len(bad),
        "row": bad, "column": [""] * len(bad), "value": [""] * len(bad), "id_number": [None] * len(bad),
        "reason": [REASON_ROW_FAULT.format(error=type(found[r]).__name__) for r in bad]}.items()})
    rejected = pd.concat([kept.rejected, faults[list(schema.REJECTED_COLUMNS)]], ignore_index=True)
    return dataclasses.replace(kept, rejected=rejected.sort_values("row", kind="stable", ignore_index=True))
