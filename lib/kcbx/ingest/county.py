"""`kcbx ingest`: read a county's ledger folder into its DuckDB store.

`kcbx ingest --params FILE` reads the ledger folder into the store and prints
(and writes beside the store as JSON) rows read, accepted and rejected per
file. Every data row is accepted or rejected with a reason:
rows read = rows accepted + rows rejected, per file.

Re-ingesting is incremental: a file whose bytes (sha256) and reading rules are
unchanged is not read again and keeps its rows; a changed file replaces its
own rows; a file that disappeared has its rows removed. A file that cannot be read
at all (cut short by an upload, not a spreadsheet, too costly to read, crashing or
outliving its reader: kcbx.ingest.isolation) keeps the rows of its last version that
could be read, marked stale (store table stale_files, with the day those rows were
read): one bad upload never erases a school's rows. The store is rebuilt
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
import os
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from kcbx import __version__, schema
from kcbx.ingest.ledgers.folder import Finding, LedgerFile, list_ledger_folder
from kcbx.ingest.ledgers.headers import unknown_synonym_keys
from kcbx.ingest.ledgers.school_days import TermDays, term_days, term_rules
from kcbx.ingest.results import TIMED_OUT, FileReport
from kcbx.params import Params
from kcbx.store.readonly import StoreOpenForWriting, check_store, open_read_only
from kcbx.util.digest import source_digest
from kcbx.util.files import Access, sha256_of_file, write_text_atomic
from kcbx.util.processes import command_line, process_words
from kcbx.util.text import inert, one_line

if TYPE_CHECKING:
    from kcbx.ingest.results import FileResult

# Files are read in reader processes (kcbx.ingest.isolation), one at least, so that no file
# can take the ingest down. Reading is Python-bound: with this much to read and a core to
# spare, a second one reads too (this machine kind has 2 cores). It costs the second
# process's start and the rows' trip back, which a small county's ingest, or a machine
# already busy, would not repay.
PARALLEL_MIN_BYTES = 4 * 2 ** 20
WORKERS = 2
# Two readers are handed the files in about this many parts, so that both finish together.
PARTS = 12
# And parts hold at most this many bytes of files, so that what a reader holds stays well
# inside its memory limit whatever the county (a county's 20 MB of ledgers take some 600 MB
# read). A part is checked in one go: fewer, larger parts cost less (one reader: 12 parts
# instead of 2 cost a county 0.5–1 s more).
PART_MAX_BYTES = 16 * 2 ** 20

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
class IngestReport:
    """What an ingest did, per file and in total; ``ok`` is false when a file had an error
    (a stale file among them: see FileReport). ``ignored``: the files passed over without
    a finding (Excel's lock files, hidden files) with the reason, as "name: reason"."""

    store: str
    ledgers: str
    files: list[FileReport] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    folder_findings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ignored: list[str] = field(default_factory=list)

    @property
    def stale(self) -> list[FileReport]:
        """The files that could not be read, whose earlier rows the store keeps."""
        return [f for f in self.files if f.status == "stale"]

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
            "stale": [{"kind": f.kind, "file": f.file, "kept_from": f.kept_from, "error": f.error}
                      for f in self.stale],
            "removed": self.removed,
            "folder_findings": self.folder_findings,
            "ignored": self.ignored,
            "seconds": round(self.seconds, 3),
        }


def report_path(store_path: Path) -> Path:
    """Where the ingest report is written: ``<store stem>.ingest.json`` beside the store."""
    return store_path.with_name(f"{store_path.stem}.ingest.json")


# --------------------------------------------------------------------------- what changed

# What turns a file into stored rows besides its bytes and the county's synonyms:
# kcbx's own reading, checking and storing code (the store's tables are laid out
# by it too), the libraries that read cells and check IDs, and the school days an
# absence row's 天数 counts (kcbx.calendar, the holiday library and the lunar calendar of a year it estimates, the params' term).
READING_CODE = ("ingest", "schema.py", "store", "calendar.py")
READING_LIBRARIES = ("pandas", "pandera", "python-calamine", "python-stdnum", "chinesecalendar", "lunar_python")


def reading_rules(params: Params) -> str:
    """Fingerprint of what decides how a file is read besides its bytes: kcbx's version
    and reading code, the libraries it reads with, the county's header synonyms and its
    term's calendar (an absence row's 天数 counts its school days). A change re-reads every file."""
    rules = {"kcbx": __version__, "code": source_digest(*READING_CODE),
             "libraries": {name: metadata.version(name) for name in READING_LIBRARIES},
             "synonyms": {k: list(v) for k, v in sorted(params.synonyms.items())},
             "school_days": term_rules(params)}
    return hashlib.sha256(json.dumps(rules, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredFile:
    """What the store remembers of an ingested file (one ingest_log row): for a stale file,
    its last version that could be read, whose rows the store keeps."""

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
    ingested_at: dt.datetime | None = None
    skipped: tuple[tuple[str, str], ...] = ()
    unfilled_lines: int = 0  # from the ingest report beside the store (the store keeps no count)


@dataclass(frozen=True)
class StaleMark:
    """A file whose latest version could not be read (one stale_files row)."""

    kind: str
    file: str
    sha256: str
    rules: str
    reason: str
    failed_at: dt.datetime
    kept_from: dt.datetime | None
    retry: bool


@dataclass(frozen=True)
class StoredState:
    """What the store says of the last ingest: its files by name, its stale marks by file,
    and its findings about the folder itself (kind, file, sheet, row, finding), in no order."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    folder_findings: tuple[tuple, ...] = ()
    stale: dict[str, StaleMark] = field(default_factory=dict)


def stored_state(store_path: str | Path) -> StoredState:
    """The store's ingest_log, stale marks and folder findings; empty for a missing store or
    one whose tables are not as expected (duckdb alone: no pandas). StoreBusy when another
    program has the store open for writing."""
    if not Path(store_path).exists():
        return StoredState()
    try:
        with open_read_only(store_path) as con:
            log = con.execute("SELECT kind, file, sha256, rules, sheets, rows_read, rows_accepted, "
                              "rows_rejected, seconds, error, warnings, ingested_at, skipped FROM ingest_log").fetchall()
            folder_findings = con.execute("SELECT kind, file, sheet, row, finding FROM findings WHERE kind IS NULL "
                                          "OR file NOT IN (SELECT file FROM ingest_log)").fetchall()
            stale = con.execute("SELECT kind, file, sha256, rules, reason, failed_at, kept_from, retry "
                                "FROM stale_files").fetchall()
    except StoreOpenForWriting as exc:
        # Opened for writing elsewhere: a DuckDB shell opened without -readonly, say, or a
        # connection of this very process (a notebook that called ingest_folder).
        raise StoreBusy(f"{exc}; 本次未运行，库未改动 stopped, the store is unchanged") from None
    except duckdb.Error:  # an older layout: the store is rebuilt when written
        return StoredState()
    unfilled = _unfilled_reported(Path(store_path))
    files = {}
    for row in log:
        counts = tuple(int(n) for n in row[5:8])
        files[row[1]] = StoredFile(row[0], row[1], row[2], row[3], tuple(json.loads(row[4] or "[]")), *counts,
                                   float(row[8]), row[9], int(row[10]), row[11],
                                   tuple(map(tuple, json.loads(row[12] or "[]"))),
                                   unfilled.get((row[1], counts), 0))
    marks = {row[1]: StaleMark(*row[:7], bool(row[7])) for row in stale}
    return StoredState(files, tuple(folder_findings), marks)


def _unfilled_reported(store_path: Path) -> dict[tuple[str, tuple[int, int, int]], int]:
    """The template lines left unfilled per file, as the last ingest report beside the store
    says, by (file, (rows read, accepted, rejected)): a file not read again keeps its count in
    the report. Empty when there is no readable report."""
    try:
        files = json.loads(report_path(store_path).read_text(encoding="utf-8"))["files"]
        return {(f["file"], (int(f["rows_read"]), int(f["rows_accepted"]), int(f["rows_rejected"]))):
                int(f["unfilled_lines"]) for f in files if f.get("unfilled_lines")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _files_to_read(files: list[LedgerFile], hashes: Mapping[str, str], rules: str,
                   previous: Mapping[str, StoredFile], stale: Mapping[str, StaleMark]) -> list[LedgerFile]:
    # A file's path names its kind folder, so same path + same bytes + same rules = same rows.
    # A stale file is unchanged while it is the same unreadable version (unless it timed out).
    def unchanged(f: LedgerFile) -> bool:
        mark = stale.get(f.relative)
        if mark is not None:
            return mark.sha256 == hashes[f.relative] and mark.rules == rules and not mark.retry
        stored = previous.get(f.relative)
        return stored is not None and stored.sha256 == hashes[f.relative] and stored.rules == rules

    return [f for f in files if not unchanged(f)]


def _stored_report(stored: StoredFile, mark: StaleMark | None = None) -> FileReport:
    """The report of a file whose rows are the store's: unchanged, or stale (``mark``) with
    the rows of its last version that could be read."""
    stale = mark is not None and mark.kept_from is not None
    return FileReport(stored.kind, stored.file, list(stored.sheets), stored.rows_read, stored.rows_accepted,
                      stored.rows_rejected, stored.seconds, mark.reason if mark else stored.error,
                      stored.warnings, status="stale" if stale else "unchanged",
                      skipped_sheets=[list(s) for s in stored.skipped],
                      kept_from=stored.ingested_at.isoformat() if stale and stored.ingested_at else None,
                      unfilled_lines=stored.unfilled_lines)


def _hash(ledger_file: LedgerFile) -> str:
    """The file's sha256; "" when it cannot be opened (its reading will say why)."""
    try:
        return sha256_of_file(ledger_file.path)
    except OSError:
        return ""


# --------------------------------------------------------------------------- reading files

def _parts(ledger_files: list[LedgerFile], count: int) -> list[list[LedgerFile]]:
    """The files in consecutive parts of about equal bytes."""
    sizes = [_size(f) for f in ledger_files]
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


def _size(ledger_file: LedgerFile) -> int:
    try:
        return ledger_file.path.stat().st_size
    except OSError:
        return 0


def _read_all(ledger_files: list[LedgerFile], synonyms: Mapping[str, Iterable[str]], today: dt.date,
              progress: bool, reader: Callable | None = None, spare_cores: int = 0,
              term: TermDays | None = None) -> list[FileResult]:
    """kcbx.ingest.reading.read_files of every file, in order, in reader processes
    (kcbx.ingest.isolation): two when there is much to read and a core to spare
    (``spare_cores``, measured by _spare_cores while this process ran alone), else one.
    ``reader`` replaces read_files in the reader processes (for tests); ``term``: the school
    days an absence row's 天数 counts."""
    from tqdm import tqdm

    from kcbx.ingest.isolation import read_isolated

    total = sum(map(_size, ledger_files))
    large = total >= PARALLEL_MIN_BYTES
    processes = WORKERS if large and WORKERS > 1 and spare_cores >= 1 else 1
    count = max(PARTS if processes > 1 else 1, -(-total // PART_MAX_BYTES))
    parts = _parts(ledger_files, count) if count > 1 else [ledger_files]
    positions, start = [], 0
    for part in parts:
        positions.append(list(range(start, start + len(part))))
        start += len(part)
    with tqdm(total=len(ledger_files), desc="读取台账 reading", unit="file", disable=not progress) as bar:
        return read_isolated(ledger_files, positions, synonyms, today, processes=processes, reader=reader,
                             done=bar.update, term=term)


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
            written = lock.read().strip()
            holder = f"pid {written or '?'}"
            # "一个 Jupyter 内核（PID 4242）" when a notebook ingests: who to go and ask
            who = process_words(int(written), command_line(int(written))) if written.isdigit() else holder
            print(f"另一个 ingest（{who}）正在写入 {store_path}，等待其结束 "
                  f"waiting for the other ingest ({holder}) of this store", file=sys.stderr, flush=True)
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while not locked():
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"等待另一个 ingest（{who}）超过 {LOCK_TIMEOUT_SECONDS:g} 秒，本次未运行，库未改动 "
                                    f"the other ingest ({holder}) still held {store_path} after "
                                    f"{LOCK_TIMEOUT_SECONDS:g} s: stopped, the store is unchanged")
                time.sleep(0.2)
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield  # the lock goes when the file is closed, or with the process


def damaged_path(store_path: Path, when: dt.datetime | None = None) -> Path:
    """Where a damaged store is set aside: ``<store>.damaged-<YYYYmmdd-HHMMSS>`` beside it."""
    stamp = (when or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return store_path.with_name(f"{store_path.name}.damaged-{stamp}")


def _move_without_overwriting(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; FileExistsError when ``target`` exists (it is kept).
    A hard link then unlink never replaces a file, not even one made meanwhile; where the
    file system has no hard links, the check and rename run under the ingest lock."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some shares): check, then rename
        if target.exists() or target.is_symlink():
            raise FileExistsError(target) from None
        os.rename(source, target)
    else:
        source.unlink()


def set_damaged_store_aside(store_path: Path, params_path: Path | None = None) -> Path | None:
    """When DuckDB cannot read the store (kcbx.store.readonly.check_store: cut short, not a
    DuckDB file), move it (and its .wal, if any) aside to ``damaged_path`` with mode 0600,
    never over an existing file, and return where; None for a readable or missing store (or
    one open for writing elsewhere, which stored_state says). Hold the writer lock."""
    if check_store(store_path, params_path) is None:
        return None
    base = damaged_path(store_path)
    wal = store_path.with_name(f"{store_path.name}.wal")  # DuckDB's write-ahead log beside it
    for attempt in range(1, 1000):  # a second damage in the same second: <name>-2, -3, …
        target = base if attempt == 1 else base.with_name(f"{base.name}-{attempt}")
        wal_target = target.with_name(f"{target.name}.wal")
        if wal_target.exists() or wal_target.is_symlink():
            continue
        try:
            _move_without_overwriting(store_path, target)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"no free name for the damaged store beside {base}")
    os.chmod(target, 0o600)
    if wal.exists():  # it belongs to the damaged file; beside the rebuilt store it would be replayed
        _move_without_overwriting(wal, wal_target)
        os.chmod(wal_target, 0o600)
    return target


def ingest_folder(params: Params, *, progress: bool = False, today: dt.date | None = None,
                  allow_shrink: bool = False, reader: Callable | None = None) -> IngestReport:
    """Read ``params.ledgers`` into ``params.store`` and write the report beside the store.

    ``today`` bounds birth dates in IDs (default: the real today); ``progress``
    shows a per-file progress bar on stderr. Raises ShrinkRefused when a kind lost
    all its files or most accepted rows would go (unless ``allow_shrink``), StoreBusy
    when another ingest held the store too long; either way the store is unchanged.
    A file that cannot be read is that file's error (the report's ``ok`` is false); when
    an earlier version of it was read, its rows stay, marked stale. ``reader`` replaces
    what a reader process runs (kcbx.ingest.reading.read_files), for tests.
    """
    started = time.perf_counter()
    today = today or dt.date.today()
    if not params.ledgers.is_dir():  # most likely a share that did not mount
        raise FileNotFoundError(f"台账文件夹不存在（共享盘未挂载？），库未改动 ledger folder not found "
                                f"(share not mounted?), the store is unchanged: {params.ledgers}")
    with _writer_lock(params.store):
        moved = set_damaged_store_aside(params.store, params.path)
        if moved is not None:  # rebuilt below as by a first ingest: no store, nothing to shrink from
            print(f"存储文件已损坏，已移到 {inert(moved, limit=None)}，正从台账目录重建", file=sys.stderr, flush=True)
        listing = list_ledger_folder(params.ledgers)
        files, folder_findings = listing.files, listing.findings
        folder_findings += [Finding(None, "params", "", None, f"params 文件 synonyms 的键「{key}」不是已知表头，未使用")
                            for key in unknown_synonym_keys(params.synonyms)]
        rules = reading_rules(params)
        hashes = {f.relative: _hash(f) for f in files}

        stored = stored_state(params.store)
        present = {f.relative for f in files}
        changed = _files_to_read(files, hashes, rules, stored.files, stored.stale)
        nothing_changed = (params.store.exists() and not changed
                           and present == stored.files.keys()
                           and Counter(map(dataclasses.astuple, folder_findings)) == Counter(stored.folder_findings))
        if nothing_changed:
            reports = {name: _stored_report(stored.files[name], stored.stale.get(name)) for name in present}
            removed = []
        else:
            spare_cores = _spare_cores()  # before our own fork server starts to work
            if changed:
                from kcbx.ingest.isolation import start_early

                start_early()  # its imports overlap the store code's below
            reports, removed = _update_store(params, files, hashes, rules, stored, folder_findings,
                                             today, progress, allow_shrink, reader, spare_cores)

        report = IngestReport(
            store=str(params.store),
            ledgers=str(params.ledgers),
            files=[reports[f.relative] for f in files],
            removed=removed,
            folder_findings=[f"{f.file}: {f.finding}" for f in folder_findings],
            seconds=time.perf_counter() - started,
            ignored=[f"{name}: {reason}" for name, reason in listing.ignored],
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
                  stored: StoredState, folder_findings: list[Finding], today: dt.date,
                  progress: bool, allow_shrink: bool, reader: Callable | None = None, spare_cores: int = 0
                  ) -> tuple[dict[str, FileReport], list[str]]:
    """Read the files that changed and write the changes to the store, all or nothing.

    A file read with an error (it could not be read, or a sheet lacks a required header)
    whose earlier version gave accepted rows keeps those rows, its log and findings: it is
    marked stale instead (stale_files: why, since when, the day its rows were read).
    Returns every file's report and the files removed from the store.
    """
    from kcbx.store import tables as store
    # A store laid out by other code is rebuilt when written: every file is read again.
    layout_matches = store.layout_matches(params.store)
    reusable = stored.files if layout_matches else {}
    marks = stored.stale if layout_matches else {}
    to_read = _files_to_read(files, hashes, rules, reusable, marks)
    present = {f.relative for f in files}
    removed = sorted(name for name in reusable if name not in present)
    reading = {f.relative for f in to_read}
    reports: dict[str, FileReport] = {f.relative: _stored_report(reusable[f.relative], marks.get(f.relative))
                                      for f in files if f.relative not in reading}
    update = store.StoreUpdate(files_to_clear=list(removed))
    findings = list(folder_findings)
    now = dt.datetime.now().replace(microsecond=0)
    logged = []
    term = term_days(params) if to_read else None
    for result in _read_all(to_read, params.synonyms, today, progress, reader, spare_cores, term):
        name, error = result.report.file, result.report.error
        earlier = reusable.get(name)
        if error is not None:
            previous = marks.get(name)
            keep = (earlier is not None and earlier.rows_accepted > 0
                    and (previous is None or previous.kept_from is not None))
            mark = StaleMark(result.report.kind, name, hashes[name], rules, error,
                             failed_at=previous.failed_at if previous is not None and previous.sha256 == hashes[name]
                             else now,
                             kept_from=earlier.ingested_at if keep else None, retry=TIMED_OUT in error)
            update.stale.append(dataclasses.asdict(mark))
            if keep:  # its earlier rows, log and findings stay
                reports[name] = _stored_report(earlier, mark)
                continue
        reports[name] = result.report
        update.files_to_clear.append(name)
        update.ledger_rows.setdefault(result.report.kind, []).extend(result.accepted)
        if result.zero_reports:
            update.ledger_rows.setdefault(schema.ZERO_REPORTS, []).extend(result.zero_reports)
        update.rejected.extend(result.rejected)
        findings.extend(result.findings)
        logged.append(name)

    shrinkage = [] if allow_shrink else _shrinkage(stored.files, reports)
    if shrinkage:
        raise ShrinkRefused("\n".join([
            f"拒绝写入，库未改动 refused, the store is unchanged: {params.store}",
            *(f"  {reason}" for reason in shrinkage),
            f"  台账文件夹 ledger folder: {params.ledgers}",
            "共享盘是否已挂载、各校是否都已上传？确实如此时，加 --allow-shrink 再运行一次。",
            "Is the share mounted, is every upload complete? If the ledgers really shrank, "
            "run again with --allow-shrink."]))

    update.findings = [dataclasses.astuple(f) for f in findings]
    update.log = [{**dataclasses.asdict(reports[name]), "sha256": hashes[name], "ingested_at": now,
                   "sheets": json.dumps(reports[name].sheets, ensure_ascii=False), "rules": rules,
                   "skipped": json.dumps(reports[name].skipped_sheets, ensure_ascii=False)}
                  for name in logged]
    store.write_update(params.store, update, Access.of(params))
    return reports, removed


# --------------------------------------------------------------------------- printing

def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _day(timestamp: str | None) -> str:
    """'2021-10-14T16:05:00' -> '10月14日'."""
    if not timestamp:
        return "?"
    day = dt.datetime.fromisoformat(timestamp)
    return f"{day.month}月{day.day}日"


def format_report(report: IngestReport) -> str:
    """The per-file table the CLI prints, with totals and any errors, in Chinese and English."""
    head = ["类别 kind", "文件 file", "读取 read", "接受 accepted", "拒绝 rejected", "秒 s", "状态 status"]
    lines = []
    for f in report.files:
        status = ("沿用旧数据 stale" if f.status == "stale" else "错误 error" if f.error
                  else "未变 unchanged" if f.status == "unchanged" else "已读 read")
        lines.append([schema.KIND_LABELS[f.kind], inert(f.file), str(f.rows_read), str(f.rows_accepted),
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
        out += ["", "错误 errors:"] + [f"  {one_line(f.error)}" for f in errors]  # each names its file
    if report.stale:
        out += ["", "文件无法读取，库中沿用上次读入的数据 stale (unreadable; earlier rows kept):"]
        out += [f"  {inert(f.file)}：沿用 {_day(f.kept_from)} 读入的 {f.rows_accepted} 行" for f in report.stale]
    if report.removed:
        out += ["", "已移除（文件不再存在）removed:"] + [f"  {inert(name)}" for name in report.removed]
    skipped = [f"  {inert(f.file)}，工作表「{inert(sheet)}」：{one_line(reason)}"
               for f in report.files for sheet, reason in f.skipped_sheets]
    if skipped:
        out += ["", "跳过的工作表 sheets skipped:", *skipped]
    unfilled = [f"  {inert(f.file)}：{f.unfilled_note}" for f in report.files if f.unfilled_note]
    if unfilled:
        out += ["", "模板中未填写的行（不是数据行，未读取）template lines left unfilled:", *unfilled]
    if report.folder_findings or report.ignored:
        out += ["", "提示 notes:"] + [f"  {one_line(text)}" for text in report.folder_findings + report.ignored]
    out += ["", f"详细的拒绝行与提示见 rejected rows and findings: {report.store} "
                f"(tables rejected_rows, findings); {report_path(Path(report.store))}"]
    return "\n".join(out)
