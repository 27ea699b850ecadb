"""``kcbx run``: every township's report and the county's, into one as_of folder.

Layout::

    <outputs>/<county>/<as_of>/<township dir>/  notebook.ipynb report.html forms.xlsx metrics.json
    <outputs>/<county>/<as_of>/county/          the same for the county roll-up
    <outputs>/<county>/<as_of>/index.html · manifest.json

Compute once, render many (docs/architecture.md, "One run, step by step"):

1. The run's fingerprint covers the store snapshot, the params, the notebooks, the kcbx
   version, as_of and the earlier runs the trends read. Equal to the previous complete
   run's of this as_of: every report is reused as it is, nothing is computed.
2. Otherwise ``kcbx.runner.prepare`` measures the county once and cuts one slice per notebook,
   each with its own fingerprint. A notebook whose fingerprint equals the previous run's
   is reused (its folder copied); the others run on the engine, ``workers`` at a time,
   each as soon as its slice is cut: the county's first (the longest report), then the townships'.
3. With ``pdf`` (``--pdf``, params ``pdf: true``), each report.html is printed to report.pdf
   in the staged folder (``kcbx.runner.pdf``: one Chromium a run; a PDF of an unchanged
   report.html is kept).
4. manifest.json and index.html; every file gets its mode (``kcbx.runner.private``: what holds
   identities 0600, or 0640 with params ``share_group``); the folder is published whole or not at all.

The store snapshot and the prepared slices live in a private work folder beside the store
(``<store>.runs/<pid>-<token>/``), never under outputs/, and are removed when the run ends,
however it ends: SIGTERM raises ``kcbx.runner.private.Terminated`` (a SystemExit) while the
run goes on, so that its ``finally`` blocks remove them and the partial folder.

Notebook protocol: a cell tagged ``parameters`` defines ``params`` (the params file),
``township`` (None for the county notebook), ``as_of`` (ISO date), ``output_dir`` (None =
interactive use) and ``prepared`` (the pickled slice; None = compute on demand); given a
folder, the notebook writes ``metrics.json`` and ``forms.xlsx`` there. The county's
``适龄儿童台账.xlsx`` is a job of its own (``kcbx.runner.ledger``), started beside the county's
report, ahead of the townships: the previous run's file when its fingerprint is unchanged. The
runner saves the executed notebook beside them and exports ``report.html`` from it.

Modules: ``engines`` (NotebookJob and the engines that run it), ``execute`` (one notebook, in
a worker process), ``ledger`` (the county's 适龄儿童台账.xlsx), ``reuse`` (the previous run's
reports), ``pdf`` (report.pdf), ``publish`` (atomic outputs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kcbx import __version__
from kcbx.outputs import (
    COUNTY_NAME,
    MANIFEST_FILE,
    SCHOOL_AGE_LEDGER_FILE,
    county_output_dir,
    safe_dirname,
)
from kcbx.params import Params
from kcbx.runner.engines import CELL_TIMEOUT_SECONDS, DEFAULT_ENGINE, ENGINES, NotebookJob, start_pool_worker
from kcbx.runner.execute import keep_only_notebook, now, render_notebook
from kcbx.runner.index import readable_time, write_index
from kcbx.runner.ledger import LedgerJob, LedgerOutcome, make_school_age_ledger
from kcbx.runner.manifest import PUBLISHED, Manifest, NotebookError, NotebookRecord, RunStatus
from kcbx.runner.pdf import print_reports, say
from kcbx.runner.private import Access, Terminated, set_published_modes, sigterm_raises, work_folder
from kcbx.runner.publish import publish, remove_stale_folders
from kcbx.runner.reuse import PreviousRun, why_rendered
from kcbx.store.readonly import require_store
from kcbx.util.digest import source_digest
from kcbx.util.files import sha256_of_file, write_text_atomic
from kcbx.util.text import inert

TOWNSHIP_NOTEBOOK = "township.ipynb"
COUNTY_NOTEBOOK = "county.ipynb"
# lib/kcbx/runner/run.py -> the project folder's notebooks/ (an editable install or PYTHONPATH=lib).
DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[3] / "notebooks"


class NothingToRun(ValueError):
    """The run has nothing to do (as_of outside the term): said before any notebook starts."""


def check_in_term(params: Params, as_of: dt.date) -> None:
    """Raise NothingToRun when as_of is outside the params term (a summer day's cron run,
    a typo'd year): such a report would count every child as out of school."""
    if not params.term_start <= as_of <= params.term_end:
        raise NothingToRun(f"{as_of} is outside the term {params.term_start} – {params.term_end} "
                           f"of {params.path}: nothing to run")


def run_fingerprint(params: Params, as_of: dt.date, townships: Sequence[str] | None, store_sha256: str,
                    notebooks_sha256: Iterable[str], county_dir: Path) -> str:
    """Everything a whole run is made of: the store snapshot, params, notebooks, kcbx's source,
    as_of, the townships asked for (None: those in scope, which the store and params decide),
    and the earlier runs' manifests (the county's trends read them)."""
    earlier = sorted(path for path in county_dir.glob(f"*/{MANIFEST_FILE}")
                     if path.parent.name < as_of.isoformat())
    parts = [source_digest(), as_of.isoformat(), params.sha256, store_sha256, *notebooks_sha256,
             json.dumps(None if townships is None else list(townships), ensure_ascii=False),
             *(f"{path.parent.name}:{sha256_of_file(path)}" for path in earlier)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _job(params: Params, as_of: dt.date, township: str | None, folder: str, run_dir: Path,
         notebooks_dir: Path, started_at: str, prepared: Path | None, fingerprint: str | None,
         ledger_files: dict[str, str], cell_timeout: int, inputs: dict[str, str] | None = None) -> NotebookJob:
    # Here, not at import: an unchanged re-run never renders, and need not import pandas.
    from kcbx.analysis.model import COUNTY_WIDE, report_title

    output_dir = run_dir / folder
    provenance = {
        "县": params.county, "乡镇": township or COUNTY_WIDE, "截至日期": as_of.isoformat(),
        "运行时间": readable_time(started_at), "kcbx 版本": __version__,
        # No hash and no path on a leader's page: manifest.json and index.html keep them.
        "参数文件": params.path.name, **ledger_files,
    }
    return NotebookJob(
        name=township or COUNTY_NAME,
        township=township,
        input_path=notebooks_dir / (TOWNSHIP_NOTEBOOK if township else COUNTY_NOTEBOOK),
        output_dir=output_dir,
        parameters={"params": str(params.path), "township": township, "as_of": as_of.isoformat(),
                    "output_dir": str(output_dir),
                    "prepared": None if prepared is None else str(prepared)},
        title=report_title(params.county, township, as_of),
        provenance=provenance,
        fingerprint=fingerprint,
        inputs=inputs,
        cell_timeout=cell_timeout,
    )


def _folders(townships: Sequence[str]) -> dict[str | None, str]:
    dirs = [safe_dirname(name) for name in townships]
    if len(set(dirs)) != len(dirs):  # safe_dirname keeps distinct names distinct: a bug if not
        raise ValueError(f"township folder names collide: {dirs}")
    return {**dict(zip(townships, dirs)), None: COUNTY_NAME}


class _Dispatcher:
    """Hands ready jobs to the pool, at most ``limit`` at a time, the county's first: the
    county report is the longest, and a queue of townships must not hold it back. The county's
    适龄儿童台账.xlsx (``add_ledger``) goes next, ahead of every township."""

    def __init__(self, pool: Executor, engine: str, limit: int, bar: tqdm):
        self.pool, self.engine, self.limit, self.bar = pool, engine, limit, bar
        self.waiting: deque[NotebookJob | LedgerJob] = deque()
        self.running: dict[Future, NotebookJob | LedgerJob] = {}
        self.records: dict[str, NotebookRecord] = {}
        self.ledger: LedgerOutcome | BaseException | None = None  # how the ledger job went

    def add(self, job: NotebookJob) -> None:
        if job.township is None:
            self.waiting.appendleft(job)
        else:
            self.waiting.append(job)
        self._collect(timeout=0)

    def add_ledger(self, job: LedgerJob) -> None:
        self.waiting.appendleft(job)  # the county's report is running already: it was added first
        self._collect(timeout=0)

    def done(self, record: NotebookRecord) -> None:
        self.records[record.name] = record
        self.bar.set_postfix_str(f"{inert(record.name)} {'✓' if record.succeeded else '失败'}")
        self.bar.update(1)

    def _collect(self, timeout: float | None) -> None:
        if self.running:
            finished, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in finished:
                if isinstance(self.running.pop(future), LedgerJob):
                    self.ledger = future.exception() or future.result()
                else:
                    self.done(future.result())
        while self.waiting and len(self.running) < self.limit:
            job = self.waiting.popleft()
            if isinstance(job, LedgerJob):
                self.running[self.pool.submit(make_school_age_ledger, job)] = job
            else:
                self.running[self.pool.submit(render_notebook, job, self.engine)] = job

    def finish(self) -> dict[str, NotebookRecord]:
        while self.waiting or self.running:
            self._collect(timeout=None)
        return self.records


def run_county(
    params: Params,
    as_of: dt.date,
    townships: Sequence[str] | None = None,
    *,
    workers: int = 2,
    progress: bool = True,
    notebooks_dir: Path | None = None,
    engine: str = DEFAULT_ENGINE,
    force: bool = False,
    pool: Executor | None = None,
    scheduler: str = "local",
    cell_timeout: int = CELL_TIMEOUT_SECONDS,
    pdf: bool | None = None,
) -> Manifest:
    """Every township's report (``townships`` None: every township in scope) and the
    county's, into ``<params.outputs>/<county>/<as_of>/`` with index.html and
    manifest.json; the folder appears complete or not at all.

    A failing notebook is recorded (cell, exception) and keeps only its executed
    notebook; every other one still completes. ``Manifest.ok`` is False when any
    failed. Unchanged notebooks are reused from the previous run of this as_of unless
    ``force``. ``pool`` runs the notebooks elsewhere (a dask cluster, see kcbx.runner.cluster);
    by default a pool of ``workers`` local processes. A tqdm bar on stderr when ``progress``.
    ``pdf`` (None: params ``pdf``): each report.html is also printed to report.pdf beside it;
    where Chromium or Playwright is missing one line on stderr says so, and the run goes on.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else DEFAULT_NOTEBOOKS_DIR
    notebook_paths = {name: notebooks_dir / name for name in (TOWNSHIP_NOTEBOOK, COUNTY_NOTEBOOK)}
    for path in notebook_paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"no {path.name} in {notebooks_dir}")
    check_in_term(params, as_of)
    require_store(params.store, params.path)
    if townships is not None:
        townships = list(dict.fromkeys(townships))  # a township listed twice runs once
    county_dir = county_output_dir(params)
    as_of_dir = county_dir / as_of.isoformat()
    county_dir.mkdir(parents=True, exist_ok=True)
    partial_dir = county_dir / f".{as_of.isoformat()}.partial-{os.getpid()}"
    started_at, started = now(), time.perf_counter()
    access = Access.of(params)
    with sigterm_raises():
        remove_stale_folders(county_dir)
        shutil.rmtree(partial_dir, ignore_errors=True)  # our own pid: a leftover of this process
        partial_dir.mkdir(mode=0o700)
        access.private_folder(partial_dir)  # nothing in it readable by others until its modes are set
        try:
            return _run_into(params, as_of, townships, partial_dir, as_of_dir, county_dir,
                             notebook_paths, notebooks_dir, started_at, started, access, engine,
                             pool, workers, cell_timeout, progress, force, scheduler, pdf)
        except BaseException:
            shutil.rmtree(partial_dir, ignore_errors=True)  # only a killed run leaves a partial folder
            raise


def _run_into(params: Params, as_of: dt.date, townships: Sequence[str] | None, partial_dir: Path,
              as_of_dir: Path, county_dir: Path, notebook_paths: dict[str, Path], notebooks_dir: Path,
              started_at: str, started: float, access: Access, engine: str, pool: Executor | None,
              workers: int, cell_timeout: int, progress: bool, force: bool, scheduler: str,
              pdf: bool | None) -> Manifest:
    """``run_county`` once its partial folder is made: render into it, then publish it."""
    label = f"{inert(params.county)} {as_of.isoformat()}"
    with work_folder(params.store, access) as work:
        # One snapshot of the store for the whole run: an ingest meanwhile cannot mix states.
        snapshot = work / "store.duckdb"
        shutil.copyfile(params.store, snapshot)
        access.private_file(snapshot)
        store_sha256 = sha256_of_file(snapshot)
        notebook_sha256 = {name: sha256_of_file(path) for name, path in notebook_paths.items()}
        fingerprint = run_fingerprint(params, as_of, townships, store_sha256,
                                      notebook_sha256.values(), county_dir)
        previous = None if force else PreviousRun.read(as_of_dir)
        with tqdm(total=None, desc=label, unit="份", disable=not progress) as bar:
            ledger = None
            if previous and previous.complete and previous.run_fingerprint == fingerprint:
                records = _reuse_all(previous, partial_dir, bar)
                stale = previous.stale_files  # the same store: the same files unread
            else:
                stale = _stale_lines(snapshot)
                records, ledger = _render_all(params, as_of, townships, partial_dir, notebooks_dir,
                                      notebook_sha256, started_at, snapshot, store_sha256, engine,
                                      pool, workers, previous, cell_timeout, bar, force,
                                      work=work, access=access)
    if params.pdf if pdf is None else pdf:
        _print_pdfs(partial_dir, as_of_dir, records, label, progress)
    manifest = Manifest(
        county=params.county, as_of=as_of, started_at=started_at, finished_at=now(),
        seconds=time.perf_counter() - started, kcbx_version=__version__,
        params_path=str(params.path), params_sha256=params.sha256, engine=engine,
        workers=workers, townships=tuple(records), as_of_dir=as_of_dir,
        store_sha256=store_sha256, run_fingerprint=fingerprint, scheduler=scheduler,
        stale_files=stale, school_age_ledger=ledger,
    )
    write_text_atomic(partial_dir / MANIFEST_FILE,
                      json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n")
    write_index(partial_dir, manifest)
    set_published_modes(partial_dir, access)
    publish(partial_dir, as_of_dir)
    return manifest


def _stale_lines(store: Path) -> tuple[str, ...]:
    """A line for each ledger file the last ingest could not read: the reports use its earlier
    rows, and say so. Imported here: the store's tables import pandas, which an unchanged
    re-run never needs."""
    from kcbx.store.tables import stale_files

    return tuple(inert(f.message(), limit=None) for f in stale_files(store))


def _end_workers(pool: Executor) -> None:
    """End a local pool's worker processes at once (SIGTERM), and wait for them to be gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)


def _print_pdfs(run_dir: Path, as_of_dir: Path, records: Sequence[NotebookRecord], label: str,
                progress: bool) -> None:
    """report.pdf beside each published report.html of the staged run (kcbx.runner.pdf)."""
    folders = [record.dir for record in records if record.status in PUBLISHED]
    with tqdm(total=len(folders), desc=f"{label} PDF", unit="份", disable=not progress) as bar:
        outcome = print_reports(run_dir, folders, as_of_dir if as_of_dir.is_dir() else None,
                                on_done=lambda name: bar.update(1))
    for line in outcome.lines():
        say(line)


def _ledger_outcome(records: dict[str, NotebookRecord], ledger: LedgerOutcome | BaseException | None,
                    run_dir: Path) -> None:
    """The county's report is complete with its 适龄儿童台账.xlsx alone: when that job failed, the
    county's report fails with it; when the report failed, the ledger goes. A failed report's
    folder keeps only its notebook (the previous report of the day is kept, ``PreviousRun.keep``)."""
    county = records.get(COUNTY_NAME)
    if county is None:
        return
    if county.status != RunStatus.OK:
        (run_dir / county.dir / SCHOOL_AGE_LEDGER_FILE).unlink(missing_ok=True)
        return
    if not isinstance(ledger, BaseException):
        return
    keep_only_notebook(run_dir / county.dir)
    records[COUNTY_NAME] = dataclasses.replace(county, status=RunStatus.FAILED, error=NotebookError(
        None, None, type(ledger).__name__, f"{SCHOOL_AGE_LEDGER_FILE}: {ledger}"[:1000]))


def _ledger_line(ledger: LedgerOutcome | BaseException | None) -> dict[str, Any] | None:
    """manifest.json's ``school_age_ledger``: written, reused (the previous run's file, its
    fingerprint unchanged) or failed (with why); None when the county's report was reused."""
    if ledger is None:
        return None
    if isinstance(ledger, BaseException):
        return {"status": "failed", "error": f"{type(ledger).__name__}: {ledger}"[:1000]}
    return ledger.to_dict()


def _reuse_all(previous: PreviousRun, run_dir: Path, bar: tqdm) -> list[NotebookRecord]:
    """Nothing changed since the previous complete run: every report is reused as it is."""
    bar.reset(total=len(previous.order))
    records = []
    for name in previous.order:
        entry = previous.records[name]
        record = previous.reuse(name, run_dir / entry["dir"], entry["fingerprint"])
        if record is None:
            raise RuntimeError(f"the previous report of {name} is incomplete: run again with --force")
        records.append(record)
        bar.update(1)
    return records


def _render_all(params: Params, as_of: dt.date, townships: Sequence[str] | None, run_dir: Path,
                notebooks_dir: Path, notebook_sha256: dict[str, str], started_at: str,
                snapshot: Path, store_sha256: str, engine: str, pool: Executor | None, workers: int,
                previous: PreviousRun | None, cell_timeout: int, bar: tqdm,
                force: bool = False, *, work: Path,
                access: Access) -> tuple[list[NotebookRecord], dict[str, Any] | None]:
    """Measure the county once; reuse each unchanged notebook, run the others on the pool,
    each as soon as its slice is cut. Records in run order: townships, then the county; and
    how the county's 适龄儿童台账.xlsx job went (manifest ``school_age_ledger``, ``_ledger_line``)."""
    from kcbx.runner.prepare import CountyPreparation

    own_pool = pool is None
    if own_pool:
        # spawn, not fork: a forked worker would inherit this process's threads (tqdm, zmq).
        pool = ProcessPoolExecutor(max_workers=workers, initializer=start_pool_worker,
                                   initargs=(engine,),
                                   mp_context=multiprocessing.get_context("spawn"))
        for _ in range(workers):  # start the workers (and their kernels) while the county is measured
            pool.submit(time.sleep, 0)
    dispatcher: _Dispatcher | None = None
    try:
        bar.set_postfix_str("统计全县 measuring the county")
        preparation = CountyPreparation(
            params, as_of, townships, work,
            store_snapshot=snapshot, store_sha256=store_sha256,
            township_notebook_sha256=notebook_sha256[TOWNSHIP_NOTEBOOK],
            county_notebook_sha256=notebook_sha256[COUNTY_NOTEBOOK])
        townships = preparation.townships
        bar.reset(total=len(townships) + 1)
        folders = _folders(townships)
        dispatcher = _Dispatcher(pool, engine, workers, bar)
        for prepared in preparation.slices():
            job = _job(params, as_of, prepared.township, folders[prepared.township], run_dir,
                       notebooks_dir, started_at, prepared.path, prepared.fingerprint,
                       prepared.ledger_files, cell_timeout, prepared.inputs)
            record = (previous.reuse(job.name, job.output_dir, job.fingerprint,
                                     metrics_update=preparation.county_pass.ingest_totals)
                      if previous else None)
            if record is not None:
                dispatcher.done(record)
                continue
            job = dataclasses.replace(job, rendered_because=why_rendered(previous, job.name, job.inputs, force))
            access.private_file(prepared.write())
            dispatcher.add(job)
            if job.township is None:  # its 适龄儿童台账.xlsx: a job of its own, next
                dispatcher.add_ledger(LedgerJob(
                    prepared.path, job.output_dir / SCHOOL_AGE_LEDGER_FILE,
                    preparation.school_age_ledger_fingerprint(),
                    previous.school_age_ledger() if previous else None))
        # Every slice is cut: the county's tables need not stay in memory (a slice computes
        # its Analysis from the pass, so the last one holds it too).
        del preparation, prepared
        records = dispatcher.finish()
        _ledger_outcome(records, dispatcher.ledger, run_dir)
        return ([previous.keep(records[name], run_dir / records[name].dir)
                 if previous and records[name].status == RunStatus.FAILED else records[name]
                 for name in [*townships, COUNTY_NAME]], _ledger_line(dispatcher.ledger))
    except Terminated:
        # Stopped (SIGTERM): no notebook is waited for. The workers are ended (their kernels
        # follow them, kcbx.util.workers), queued and running notebooks cancelled.
        if own_pool:
            _end_workers(pool)
        else:
            for future in list(dispatcher.running if dispatcher else ()):
                future.cancel()
        raise
    finally:
        if own_pool:
            # On an error or Ctrl-C, queued notebooks are cancelled; running ones finish first,
            # so that no worker still writes into the folder when the caller removes it.
            pool.shutdown(wait=True, cancel_futures=True)
