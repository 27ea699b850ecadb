"""`kcbx ingest`: read a county's ledger folder into its DuckDB store.

`kcbx ingest --params FILE` reads the ledger folder into the store and prints
(and writes beside the store as JSON) rows read, accepted and rejected per
file. Every data row is accepted or rejected with a reason:
rows read = rows accepted + rows rejected, per file.

Re-ingesting is incremental: a file whose bytes (sha256) and reading rules are
unchanged is not read again and keeps its rows; a changed file replaces its
own rows; a file that disappeared has its rows removed. The store is rebuilt
beside itself and renamed into place (kcbx.store.tables.write_update), one ingest at a
time (a lock file beside the store). When nothing changed, the store is not written,
and pandas, pandera and the readers (slow to import) are not loaded: they
are imported where a file is read or the store written.

An ingest that would lose a whole kind's files, or more than half the accepted
rows, is refused (ShrinkRefused): an unmounted share or a half-finished upload
must not empty the store that every report is cut from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import multiprocessing
import os
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from kcbx import __version__, schema
from kcbx.ingest.ledgers.folder import Finding, LedgerFile, find_ledger_files
from kcbx.ingest.ledgers.headers import unknown_synonym_keys
from kcbx.params import Params
from kcbx.store.readonly import StoreOpenForWriting, open_read_only
from kcbx.util import workers
from kcbx.util.collector import collector_paused
from kcbx.util.digest import source_digest
from kcbx.util.files import sha256_of_file, write_text_atomic

if TYPE_CHECKING:
    import pandas as pd

# Reading is Python-bound: with this much to read and a core to spare, a second
# process reads too (this machine kind has 2 cores). It costs the second process's imports
# and the rows' trip back (more CPU in all), which a small county's
# ingest, or a machine already busy, would not repay.
PARALLEL_MIN_BYTES = 4 * 2 ** 20
WORKERS = 2
# Files are handed out in about this many parts, so that both processes finish together.
PARTS = 12

# A second ingest of the same store waits this long for the first to end, then stops.
LOCK_TIMEOUT_SECONDS = 10 * 60
# Accepted rows falling below this share of the stored ones look like a share half
# mounted or an upload half done, not like a county's children leaving.
SHRINK_LIMIT = 0.5


class IngestStopped(Exception):
    """Ingest stopped before writing, the store unchanged; ``exit_code`` is the CLI's."""

    exit_code = 1


class ShrinkRefused(IngestStopped):
    """A kind lost all its files, or most accepted rows would go (``allow_shrink`` overrides)."""

    exit_code = 4


class StoreBusy(IngestStopped):
    """Another ingest of the same store still held it after LOCK_TIMEOUT_SECONDS."""

    exit_code = 5


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


# --------------------------------------------------------------------------- what changed

# What turns a file into stored rows besides its bytes and the county's synonyms:
# kcbx's own reading, checking and storing code (the store's tables are laid out
# by it too), and the libraries that read cells and check IDs.
READING_CODE = ("ingest", "schema.py", "store")
READING_LIBRARIES = ("pandas", "pandera", "python-calamine", "python-stdnum")


def reading_rules(params: Params) -> str:
    """Fingerprint of what decides how a file is read besides its bytes: kcbx's version
    and reading code, the libraries it reads with, and the county's header synonyms.
    A change re-reads every file."""
    rules = {"kcbx": __version__, "code": source_digest(*READING_CODE),
             "libraries": {name: metadata.version(name) for name in READING_LIBRARIES},
             "synonyms": {k: list(v) for k, v in sorted(params.synonyms.items())}}
    return hashlib.sha256(json.dumps(rules, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredFile:
    """What the store remembers of an ingested file (one ingest_log row)."""

    kind: str
    file: str
    sha256: str
    rules: str
    sheets: tuple[str, ...]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    seconds: float
    error: str | None
    warnings: int


@dataclass(frozen=True)
class StoredState:
    """What the store says of the last ingest: its files by name, and its findings
    about the folder itself (kind, file, sheet, row, finding), in no order."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    folder_findings: tuple[tuple, ...] = ()


def stored_state(store_path: str | Path) -> StoredState:
    """The store's ingest_log and folder findings; empty for a missing store or one
    whose tables are not as expected (duckdb alone: no pandas). StoreBusy when another
    program has the store open for writing."""
    if not Path(store_path).exists():
        return StoredState()
    try:
        with open_read_only(store_path) as con:
            log = con.execute("SELECT kind, file, sha256, rules, sheets, rows_read, rows_accepted, "
                              "rows_rejected, seconds, error, warnings FROM ingest_log").fetchall()
            folder_findings = con.execute("SELECT kind, file, sheet, row, finding FROM findings WHERE kind IS NULL "
                                          "OR file NOT IN (SELECT file FROM ingest_log)").fetchall()
    except StoreOpenForWriting as exc:
        # Opened for writing elsewhere: a DuckDB shell opened without -readonly, say, or a
        # connection of this very process (a notebook that called ingest_folder).
        raise StoreBusy(f"{exc}; 本次未运行，库未改动 stopped, the store is unchanged") from None
    except duckdb.Error:  # an older layout: the store is rebuilt when written
        return StoredState()
    files = {row[1]: StoredFile(row[0], row[1], row[2], row[3], tuple(json.loads(row[4] or "[]")),
                                *(int(n) for n in row[5:8]), float(row[8]), row[9], int(row[10]))
             for row in log}
    return StoredState(files, tuple(folder_findings))


def _files_to_read(files: list[LedgerFile], hashes: Mapping[str, str], rules: str,
                   previous: Mapping[str, StoredFile]) -> list[LedgerFile]:
    # A file's path names its kind folder, so same path + same bytes + same rules = same rows.
    return [f for f in files if not (f.relative in previous and previous[f.relative].sha256 == hashes[f.relative]
                                     and previous[f.relative].rules == rules)]


def _unchanged_report(stored: StoredFile) -> FileReport:
    return FileReport(stored.kind, stored.file, list(stored.sheets), stored.rows_read, stored.rows_accepted,
                      stored.rows_rejected, stored.seconds, stored.error, stored.warnings, status="unchanged")


# --------------------------------------------------------------------------- reading files

@dataclass
class _FileResult:
    report: FileReport
    accepted: list[pd.DataFrame]
    rejected: list[pd.DataFrame]
    findings: list[Finding]


def _failed_file(ledger_file: LedgerFile, error: str, seconds: float) -> _FileResult:
    """A file that could not be read: an error naming the file, so that the other files go on."""
    report = FileReport(ledger_file.kind, ledger_file.relative, [], 0, 0, 0, seconds,
                        error=f"{ledger_file.relative}：{error}")
    return _FileResult(report, [], [], [])


def _internal_error(exc: Exception) -> str:
    return f"读取时出错 internal error: {type(exc).__name__}: {exc}"


@collector_paused()
def _read_files(ledger_files: list[LedgerFile], synonyms: Mapping[str, Iterable[str]],
                today: dt.date) -> list[_FileResult]:
    """Read, normalise and validate files, in order; one result per file.

    The sheets of all files are normalised together (normalize_sheets validates
    each kind in one call). A file that cannot be read, or that meets a fault in
    kcbx, becomes an error naming the file, not an exception.
    """
    from kcbx.ingest.ledgers.normalize import normalize_sheets
    from kcbx.ingest.ledgers.read import LedgerReadError, RawSheet, header_vocabulary, read_ledger_file

    results: dict[int, _FileResult] = {}
    readable: dict[int, tuple[list[RawSheet], list[Finding], float]] = {}
    vocabularies = {}
    for number, ledger_file in enumerate(ledger_files):
        started = time.perf_counter()
        if ledger_file.kind not in vocabularies:
            vocabularies[ledger_file.kind] = header_vocabulary(ledger_file.kind, synonyms)
        try:
            sheets, findings = read_ledger_file(ledger_file, vocabularies[ledger_file.kind])
        except Exception as exc:
            error = str(exc) if isinstance(exc, LedgerReadError) else _internal_error(exc)
            results[number] = _failed_file(ledger_file, error, time.perf_counter() - started)
            continue
        readable[number] = (sheets, findings, time.perf_counter() - started)

    started = time.perf_counter()
    try:
        normalized = iter(normalize_sheets([sheet for sheets, _, _ in readable.values() for sheet in sheets], today))
        by_file = {number: [next(normalized) for _ in sheets] for number, (sheets, _, _) in readable.items()}
    except Exception:
        # A fault met in some file: normalise file by file, so that the error names it.
        by_file = {}
        for number, (sheets, _, _) in list(readable.items()):
            try:
                by_file[number] = normalize_sheets(sheets, today)
            except Exception as exc:
                results[number] = _failed_file(ledger_files[number], _internal_error(exc), readable.pop(number)[2])
    rows = {number: sum(sheet.rows_read for sheet in by_file[number]) for number in readable}
    checking_seconds_per_row = (time.perf_counter() - started) / max(1, sum(rows.values()))

    for number, (sheets, findings, reading_seconds) in readable.items():
        normalized_sheets = by_file[number]
        for sheet in normalized_sheets:
            findings.extend(sheet.findings)
        report = FileReport(
            kind=ledger_files[number].kind,
            file=ledger_files[number].relative,
            sheets=[s.sheet for s in sheets],
            rows_read=rows[number],
            rows_accepted=sum(len(n.accepted) for n in normalized_sheets),
            rows_rejected=sum(len(n.rejected) for n in normalized_sheets),
            # its own reading, and its share of the checking done for all files together
            seconds=reading_seconds + rows[number] * checking_seconds_per_row,
            error="；".join(s.missing_message for s in sheets if s.missing) or None,
            warnings=len(findings),
        )
        results[number] = _FileResult(report, [n.accepted for n in normalized_sheets],
                                      [n.rejected for n in normalized_sheets], findings)
    return [results[number] for number in range(len(ledger_files))]


def _parts(ledger_files: list[LedgerFile], count: int) -> list[list[LedgerFile]]:
    """The files in consecutive parts of about equal bytes."""
    sizes = [f.path.stat().st_size for f in ledger_files]
    share = sum(sizes) / count
    parts: list[list[LedgerFile]] = [[]]
    done = 0
    for ledger_file, size in zip(ledger_files, sizes):
        if parts[-1] and done >= share * len(parts):
            parts.append([])
        parts[-1].append(ledger_file)
        done += size
    return parts


def _spare_cores() -> int:
    """Cores no process wants now, this one included: Linux's count of runnable threads
    (/proc/loadavg), else the last minute's load. The minute's average lags: for a minute
    after a heavy job ends it still says both cores are taken, and the reading would run
    in one process on an idle machine."""
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            wanted = int(loadavg.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        wanted = round(os.getloadavg()[0])
    return (os.cpu_count() or 1) - wanted


def _read_all(ledger_files: list[LedgerFile], synonyms: Mapping[str, Iterable[str]], today: dt.date,
              progress: bool) -> list[_FileResult]:
    """_read_files of every file, in order; in a second process too when there is much to read.

    The files are cut into parts: a pool of WORKERS - 1 processes is kept two
    parts ahead from the front of the list, while this process reads parts from
    the back, until they meet. Should a worker die, its parts are read here.
    """
    from tqdm import tqdm

    parallel = (WORKERS > 1 and _spare_cores() >= 1
                and sum(f.path.stat().st_size for f in ledger_files) >= PARALLEL_MIN_BYTES)
    parts = _parts(ledger_files, PARTS) if parallel else [ledger_files]
    results: dict[int, list[_FileResult]] = {}
    with tqdm(total=len(ledger_files), desc="读取台账 reading", unit="file", disable=not progress) as bar:

        def read_here(number: int) -> None:
            results[number] = _read_files(parts[number], synonyms, today)
            bar.update(len(parts[number]))

        if not parallel:
            read_here(0)
            return results[0]
        with ProcessPoolExecutor(WORKERS - 1, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=workers.start, initargs=(os.getpid(),)) as pool:
            given: dict[int, Future] = {}
            front, back = 0, len(parts) - 1
            pool_works = True
            while front <= back:
                while pool_works and front <= back and sum(not f.done() for f in given.values()) < 2 * (WORKERS - 1):
                    try:
                        given[front] = pool.submit(_read_files, parts[front], synonyms, today)
                    except BrokenProcessPool:
                        pool_works = False
                        break
                    given[front].add_done_callback(
                        lambda future, files=len(parts[front]): future.exception() or bar.update(files))  # noqa: B008
                    front += 1
                if front <= back:
                    read_here(back)
                    back -= 1
            for number, future in given.items():
                try:
                    results[number] = future.result()
                except BrokenProcessPool:
                    read_here(number)
    return [result for number in range(len(parts)) for result in results[number]]


# --------------------------------------------------------------------------- ingest

def lock_path(store_path: Path) -> Path:
    """The lock file an ingest holds while it may write the store (hidden, beside it; it stays)."""
    return store_path.with_name(f".{store_path.name}.lock")


@contextlib.contextmanager
def _writer_lock(store_path: Path) -> Iterator[None]:
    """Hold the store's writer lock (flock): one ingest at a time decides what changed and
    writes. Another holder is waited for, LOCK_TIMEOUT_SECONDS at most; the holder's pid
    is written in the lock file for the one that waits to name."""
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(store_path), "a+", encoding="utf-8") as lock:

        def locked() -> bool:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not locked():
            lock.seek(0)
            holder = f"pid {lock.read().strip() or '?'}"
            print(f"另一个 ingest（{holder}）正在写入 {store_path}，等待其结束 "
                  f"waiting for the other ingest ({holder}) of this store", file=sys.stderr, flush=True)
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while not locked():
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"等待另一个 ingest（{holder}）超过 {LOCK_TIMEOUT_SECONDS:g} 秒，本次未运行，库未改动 "
                                    f"the other ingest ({holder}) still held {store_path} after "
                                    f"{LOCK_TIMEOUT_SECONDS:g} s: stopped, the store is unchanged")
                time.sleep(0.2)
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield  # the lock goes when the file is closed, or with the process


def ingest_folder(params: Params, *, progress: bool = False, today: dt.date | None = None,
                  allow_shrink: bool = False) -> IngestReport:
    """Read ``params.ledgers`` into ``params.store`` and write the report beside the store.

    ``today`` bounds birth dates in IDs (default: the real today); ``progress``
    shows a per-file progress bar on stderr. Raises ShrinkRefused when a kind lost
    all its files or most accepted rows would go (unless ``allow_shrink``), StoreBusy
    when another ingest held the store too long; either way the store is unchanged.
    """
    started = time.perf_counter()
    today = today or dt.date.today()
    if not params.ledgers.is_dir():  # most likely a share that did not mount
        raise FileNotFoundError(f"台账文件夹不存在（共享盘未挂载？），库未改动 ledger folder not found "
                                f"(share not mounted?), the store is unchanged: {params.ledgers}")
    with _writer_lock(params.store):
        files, folder_findings = find_ledger_files(params.ledgers)
        folder_findings += [Finding(None, "params", "", None, f"params 文件 synonyms 的键「{key}」不是已知表头，未使用")
                            for key in unknown_synonym_keys(params.synonyms)]
        rules = reading_rules(params)
        hashes = {f.relative: sha256_of_file(f.path) for f in files}

        stored = stored_state(params.store)
        present = {f.relative for f in files}
        nothing_changed = (params.store.exists() and not _files_to_read(files, hashes, rules, stored.files)
                           and present == stored.files.keys()
                           and Counter(map(dataclasses.astuple, folder_findings)) == Counter(stored.folder_findings))
        if nothing_changed:
            reports, removed = {name: _unchanged_report(stored.files[name]) for name in present}, []
        else:
            reports, removed = _update_store(params, files, hashes, rules, stored.files, folder_findings,
                                             today, progress, allow_shrink)

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


def _shrinkage(previous: Mapping[str, StoredFile], reports: Mapping[str, FileReport]) -> list[str]:
    """How the new state shrank from the stored one beyond what a county's ledgers do
    between two ingests: kinds with files before and none now, accepted rows fallen
    below SHRINK_LIMIT of before. Empty when neither."""
    gone = {f.kind for f in previous.values()} - {r.kind for r in reports.values()}
    before = sum(f.rows_accepted for f in previous.values())
    after = sum(r.rows_accepted for r in reports.values())
    reasons = []
    if gone:
        kinds = "、".join(f"{schema.KIND_LABELS[kind]} {kind}" for kind in schema.KINDS if kind in gone)
        reasons.append(f"上次有文件、这次一个也没有 no files any more: {kinds}")
    if after < before * SHRINK_LIMIT:
        reasons.append(f"接受的行从 {before} 降到 {after}（不到 {SHRINK_LIMIT:.0%}）"
                       f"accepted rows fell from {before} to {after} (below {SHRINK_LIMIT:.0%})")
    return reasons


def _update_store(params: Params, files: list[LedgerFile], hashes: Mapping[str, str], rules: str,
                  previous: Mapping[str, StoredFile], folder_findings: list[Finding], today: dt.date,
                  progress: bool, allow_shrink: bool) -> tuple[dict[str, FileReport], list[str]]:
    """Read the files that changed and write the changes to the store, all or nothing.

    Returns every file's report and the files removed from the store.
    """
    from kcbx.store import tables as store
    # A store laid out by other code is rebuilt when written: every file is read again.
    reusable = previous if store.layout_matches(params.store) else {}
    to_read = _files_to_read(files, hashes, rules, reusable)
    present = {f.relative for f in files}
    removed = sorted(name for name in reusable if name not in present)
    reading = {f.relative for f in to_read}
    reports: dict[str, FileReport] = {f.relative: _unchanged_report(reusable[f.relative])
                                      for f in files if f.relative not in reading}
    update = store.StoreUpdate(files_to_clear=[f.relative for f in to_read] + removed)
    findings = list(folder_findings)
    for result in _read_all(to_read, params.synonyms, today, progress):
        reports[result.report.file] = result.report
        update.ledger_rows.setdefault(result.report.kind, []).extend(result.accepted)
        update.rejected.extend(result.rejected)
        findings.extend(result.findings)

    shrinkage = [] if allow_shrink else _shrinkage(previous, reports)
    if shrinkage:
        raise ShrinkRefused("\n".join([
            f"拒绝写入，库未改动 refused, the store is unchanged: {params.store}",
            *(f"  {reason}" for reason in shrinkage),
            f"  台账文件夹 ledger folder: {params.ledgers}",
            "共享盘是否已挂载、各校是否都已上传？确实如此时，加 --allow-shrink 再运行一次。",
            "Is the share mounted, is every upload complete? If the ledgers really shrank, "
            "run again with --allow-shrink."]))

    update.findings = [dataclasses.astuple(f) for f in findings]
    ingested_at = dt.datetime.now().replace(microsecond=0)
    update.log = [{**dataclasses.asdict(reports[f.relative]), "sha256": hashes[f.relative], "ingested_at": ingested_at,
                   "sheets": json.dumps(reports[f.relative].sheets, ensure_ascii=False), "rules": rules}
                  for f in to_read]
    store.write_update(params.store, update)
    return reports, removed


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
