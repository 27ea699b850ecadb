"""Ledger files read in reader processes that may die: a crash, a timeout or a memory limit
while reading one file is that file's error, named in one line, and the other files are stored.

A county's files are read in batches ("parts", about equal in bytes) by at most a few reader
processes, one batch at a time each. A reader says which file it is reading before reading
it, and when it starts checking its batch; the files it has read it keeps until then, so
that a batch is checked in one go (per-file checking would cost twice the time). When a
reader dies (the Excel reader aborts when an allocation fails; the kernel kills a process
out of memory) or outlives its deadline (it is then killed), the file it was reading is
given that error and the rest of its batch is given to a reader again. When it dies while
checking, each file of its batch is read again alone, and the one that fails again alone is
the one to blame.

Each reader is bounded: its address space (RLIMIT_AS, MEMORY_LIMIT_BYTES), the time to read
one file (FILE_TIMEOUT_SECONDS) and to check a batch (PART_TIMEOUT_SECONDS). Readers are
forked from a fork server that has imported the readers' modules once (ingests in the same
Python process, and readers started again after a crash, start at once).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from kcbx.ingest.ledgers.folder import LedgerFile
from kcbx.ingest.ledgers.school_days import TermDays
from kcbx.ingest.results import TIMED_OUT, FileResult, failed_file
from kcbx.util import workers

# A reader's address space: about 430 MB once its modules are loaded (kcbx.ingest.reader_env),
# some 600 MB at the end of a county's largest batch: 2 GiB leaves room for a county-wide
# ledger of 100,000 rows, and bounds what one file can take of the server (the readers of an
# ingest: WORKERS of them at most).
MEMORY_LIMIT_BYTES = 2 * 2 ** 30
# Reading one file takes under a second (a county's largest, 600 KB: 0.8 s): a file taking
# longer than this is stuck, or the machine is.
FILE_TIMEOUT_SECONDS = 120.0
# Checking a batch: a twelfth of a county's rows, a few seconds.
PART_TIMEOUT_SECONDS = 600.0
# Imported by the fork server once: the readers' environment first, then the reading code.
PRELOAD = ["kcbx.ingest.reader_env", "kcbx.ingest.reading"]

Reader = Callable[..., list[FileResult]]


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_early() -> None:
    """Start the fork server now, so that its imports (a second's work) go on while the
    ingest prepares to read; the first reader then starts at once. Returns at once."""
    import multiprocessing.forkserver

    _context()
    multiprocessing.forkserver.ensure_running()


# --------------------------------------------------------------------------- the reader process

def _serve(conn: multiprocessing.connection.Connection, memory_limit: int) -> None:
    """A reader process: bounded, it reads batches until told to stop (None) or its parent goes."""
    workers.follow(os.getppid())  # the fork server, which ends with the ingest that started it
    workers.limit_memory(memory_limit)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        reader, files, synonyms, today, term = request
        if reader is None:
            from kcbx.ingest.reading import read_files as reader
        try:
            results = reader(files, synonyms, today, announce=lambda number: conn.send(("reading", number)),
                             normalising=lambda: conn.send(("normalising",)), term=term)
            conn.send(("done", results))
        except BaseException as exc:  # noqa: B036 (reported to the parent, which blames a file)
            message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            try:
                conn.send(("error", message))
            except BaseException:  # noqa: B036 (the parent sees the pipe close)
                pass
            break
    conn.close()
    os._exit(0)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = signal.Signals(-exitcode).name
        except ValueError:
            how = f"signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    limit = f"{MEMORY_LIMIT_BYTES / 2 ** 30:g} GB"
    return (f"读取此文件时读取进程崩溃（{how}），未读取：多半是读取所需内存超过每个文件 {limit} 的上限，"
            f"或文件已损坏 the reader process died ({how})")


def _timed_out(seconds: float) -> str:
    return f"{TIMED_OUT}（超过 {seconds:g} 秒），未读取 timed out after {seconds:g} s"


class _ReaderProcess:
    """One reader process, seen from the ingest: its batch (positions in the file list), what
    it is doing, and its deadline."""

    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, MEMORY_LIMIT_BYTES), name="kcbx-ledger-reader",
                                       daemon=True)
        self.process.start()
        child.close()
        self.job: list[int] | None = None
        self.phase = "idle"  # then "starting" (given a batch), "reading" or "normalising"
        self.current: int | None = None  # index in job of the file being read, while reading
        self.started = self.deadline = 0.0

    def give(self, job: list[int], request: tuple) -> None:
        self.job, self.phase, self.current = job, "starting", None
        self.started = time.monotonic()
        self.deadline = self.started + FILE_TIMEOUT_SECONDS
        self.conn.send(request)

    @property
    def limit(self) -> float:
        return PART_TIMEOUT_SECONDS if self.phase == "normalising" else FILE_TIMEOUT_SECONDS

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


# --------------------------------------------------------------------------- the ingest's side

def read_isolated(ledger_files: list[LedgerFile], parts: list[list[int]], synonyms: Mapping[str, Iterable[str]],
                  today: dt.date, *, processes: int = 1, reader: Reader | None = None,
                  done: Callable[[int], None] | None = None, term: TermDays | None = None) -> list[FileResult]:
    """One result per file of ``ledger_files``, in order, read in at most ``processes`` reader
    processes, batch by batch (``parts``: positions in ``ledger_files``); ``term``: the school
    days an absence row's 天数 counts.

    ``reader`` is what a reader process calls on a batch (default kcbx.ingest.reading.read_files,
    imported there only; a test passes one that misbehaves); ``done(n)`` is called as n more
    files are done.
    """
    context = _context()
    jobs = deque(part for part in parts if part)
    results: dict[int, FileResult] = {}
    readers: list[_ReaderProcess] = []

    def finish(position: int, result: FileResult) -> None:
        results[position] = result
        if done:
            done(1)

    def blame(process: _ReaderProcess, reason: str) -> None:
        """The reader failed with ``reason``: its file's error, its batch given out again."""
        job = process.job
        readers.remove(process)
        process.kill()
        if process.current is not None:
            culprit = job[process.current]
            finish(culprit, failed_file(ledger_files[culprit], reason, time.monotonic() - process.started))
            rest = [position for position in job if position != culprit]
            if rest:
                jobs.appendleft(rest)
        elif len(job) == 1:
            finish(job[0], failed_file(ledger_files[job[0]], reason, time.monotonic() - process.started))
        else:  # while checking the batch: each file alone, to find the one to blame
            jobs.extendleft([position] for position in reversed(job))

    def hear(process: _ReaderProcess) -> None:
        """Take what a reader said (it may have died after saying it)."""
        while True:
            try:
                if not process.conn.poll():
                    break
                message = process.conn.recv()
            except (EOFError, OSError):
                break
            now = time.monotonic()
            if message[0] == "reading":
                process.phase, process.current, process.started = "reading", message[1], now
                process.deadline = now + process.limit
            elif message[0] == "normalising":
                process.phase, process.current = "normalising", None
                process.deadline = now + process.limit
            elif message[0] == "done":
                for position, result in zip(process.job, message[1]):
                    finish(position, result)
                process.job, process.phase, process.current = None, "idle", None
                return
            elif message[0] == "error":
                blame(process, f"读取时出错 internal error: {message[1]}")
                return
        if not process.process.is_alive() or process.conn.closed:
            process.process.join()
            blame(process, _death(process.process.exitcode))

    def give(process: _ReaderProcess) -> None:
        job = jobs.popleft()
        try:
            process.give(job, (reader, [ledger_files[p] for p in job], dict(synonyms), today, term))
        except OSError:  # it died while idle (killed from outside): its batch goes to another
            jobs.appendleft(job)
            readers.remove(process)
            process.kill()

    try:
        while jobs or any(process.job is not None for process in readers):
            for process in list(readers):
                if process.job is None and jobs:
                    give(process)
            while jobs and len(readers) < max(1, processes):
                readers.append(_ReaderProcess(context))
                give(readers[-1])
            busy = [process for process in readers if process.job is not None]
            timeout = max(0.0, min(process.deadline for process in busy) - time.monotonic())
            ready = set(multiprocessing.connection.wait(
                [process.conn for process in busy] + [process.process.sentinel for process in busy], timeout))
            for process in busy:
                if process.conn in ready or process.process.sentinel in ready:
                    hear(process)
                elif time.monotonic() >= process.deadline:
                    blame(process, _timed_out(process.limit))
    finally:
        for process in readers:
            if process.job is None:
                process.stop()
            else:
                process.kill()
    return [results[position] for position in range(len(ledger_files))]
