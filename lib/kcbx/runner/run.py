"""``kcbx run``: every township's report and the county's, into one as_of folder.

Layout (contract)::

    <outputs>/<county>/<as_of>/<township dir>/  notebook.ipynb report.html forms.xlsx metrics.json
    <outputs>/<county>/<as_of>/county/          the same for the county roll-up
    <outputs>/<county>/<as_of>/index.html · manifest.json

Compute once, render many (architecture.md):

1. The run's fingerprint covers the store snapshot, the params, the notebooks, the kcbx
   version, as_of and the earlier runs the trends read. Equal to the previous complete
   run's of this as_of: every report is reused as it is, nothing is computed.
2. Otherwise ``kcbx.runner.prepare`` measures the county once and cuts one slice per notebook,
   each with its own fingerprint. A notebook whose fingerprint equals the previous run's
   is reused (its folder copied); the others run on the engine, ``workers`` at a time,
   each as soon as its slice is cut: the county's first (the longest report), then the townships'.
3. manifest.json and index.html; the folder is published whole or not at all.

Notebook protocol: a cell tagged ``parameters`` defines ``params`` (the params file),
``township`` (None for the county notebook), ``as_of`` (ISO date), ``output_dir`` (None =
interactive use) and ``prepared`` (the pickled slice; None = compute on demand); given a
folder, the notebook writes ``metrics.json`` and ``forms.xlsx`` there, the county notebook
also ``适龄儿童台账.xlsx`` (the previous run's is lent to it, to keep when unchanged). The runner saves
the executed notebook beside them and exports ``report.html`` from it.

How one notebook is executed lives behind ``ENGINES``: a function ``(NotebookJob) ->
None`` that runs ``job.input_path`` with ``job.parameters`` and saves the executed
notebook at ``job.executed_path`` - also when a cell fails - raising on failure.
"warm" (the default) reuses one kernel per worker (``kcbx.runner.kernels.engine``); "papermill" starts a
fresh kernel per notebook. Everything else is the runner's, so every engine gets it for
free: the worker pool, timing, the failing cell, report.html, removing a failed
notebook's partial outputs, the progress bar and the manifest.

Atomic outputs: the as_of folder is built as ``.<as_of>.partial-<pid>`` beside its
final place and renamed when complete; a previous run of the same as_of is renamed
to ``.<as_of>.old-<pid>`` first, then removed. A killed run leaves only a dot-named
folder, which the next run removes once its process is gone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import socket
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kcbx import __version__
from kcbx.outputs import (
    COUNTY_NAME,
    FAILED_NOTEBOOK_FILE,
    FORMS_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    NOTEBOOK_FILE,
    PREPARED_DIR,
    REPORT_FILE,
    SCHOOL_AGE_LEDGER_FILE,
    county_output_dir,
    safe_dirname,
)
from kcbx.params import Params
from kcbx.runner.index import readable_time, write_index
from kcbx.runner.manifest import (
    FAILED,
    KEPT,
    OK,
    PUBLISHED,
    REUSED,
    SUCCEEDED,
    Manifest,
    NotebookError,
    NotebookRecord,
    read_manifest,
)
from kcbx.util import workers
from kcbx.util.digest import source_digest
from kcbx.util.files import process_alive, sha256_of_file, write_text_atomic

# What the notebook itself must have written for its report to count as complete.
NOTEBOOK_OUTPUTS = (METRICS_FILE, FORMS_FILE)
# What a reused notebook's folder must hold, and what else comes along when it is there.
REPORT_FILES = (NOTEBOOK_FILE, REPORT_FILE, FORMS_FILE, METRICS_FILE)
OPTIONAL_REPORT_FILES = (SCHOOL_AGE_LEDGER_FILE,)  # the county's

TOWNSHIP_NOTEBOOK = "township.ipynb"
COUNTY_NOTEBOOK = "county.ipynb"
# lib/kcbx/runner/run.py -> the project folder's notebooks/ (an editable install or PYTHONPATH=lib).
DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[3] / "notebooks"

# A hung cell must not hold the daily run (due at 17:00) forever; a real cell takes seconds.
CELL_TIMEOUT_SECONDS = 1800
DEFAULT_ENGINE = "warm"


class NothingToRun(ValueError):
    """The run has nothing to do (as_of outside the term): said before any notebook starts."""


def check_in_term(params: Params, as_of: dt.date) -> None:
    """Raise NothingToRun when as_of is outside the params term (a summer day's cron run,
    a typo'd year): such a report would count every child as out of school."""
    if not params.term_start <= as_of <= params.term_end:
        raise NothingToRun(f"{as_of} is outside the term {params.term_start} – {params.term_end} "
                           f"of {params.path}: nothing to run")


# ---------------------------------------------------------------------------------------
# What a run is made of

@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute into its own folder: the runner builds it, an engine runs it."""

    name: str  # the township, or COUNTY_NAME
    township: str | None  # the notebook's `township` parameter
    input_path: Path
    output_dir: Path
    parameters: dict[str, Any]
    title: str  # of report.html
    provenance: dict[str, str]  # footer of report.html
    fingerprint: str | None = None  # of its inputs (kcbx.runner.prepare); None: never reused
    cell_timeout: int = CELL_TIMEOUT_SECONDS

    @property
    def executed_path(self) -> Path:
        return self.output_dir / NOTEBOOK_FILE


# ---------------------------------------------------------------------------------------
# Engines

def execute_with_papermill(job: NotebookJob, engine_name: str | None = None) -> None:
    """Run one notebook with papermill (``engine_name`` None: a fresh kernel), which saves
    the executed notebook - the failing cell marked - also when a cell raises."""
    import papermill

    from kcbx.runner.kernels.engine import KERNEL_NAME, ProjectKernelManager  # first: it speeds papermill's import

    papermill.execute_notebook(
        str(job.input_path),
        str(job.executed_path),
        parameters=job.parameters,
        engine_name=engine_name,
        kernel_name=KERNEL_NAME,
        language="python",
        cwd=str(job.input_path.parent),  # as in JupyterLab: relative paths from notebooks/
        progress_bar=False,
        log_output=False,
        execution_timeout=job.cell_timeout,
        kernel_manager_class=ProjectKernelManager,
    )


# Engines run inside spawned worker processes, which see only what importing this module
# registers: add an engine here (or in a module imported here), not at run time.
ENGINES: dict[str, Callable[[NotebookJob], None]] = {
    "warm": partial(execute_with_papermill, engine_name="kcbx"),  # kcbx.runner.kernels.engine.WarmKernelEngine
    "papermill": execute_with_papermill,
}


def start_worker(engine: str) -> None:
    """A notebook worker's warm kernel starts now, while the county is measured. The kernel
    exits with its worker (ipykernel watches its parent too)."""
    workers.skip_iri_format_check()  # before the engine imports nbformat
    if engine == "warm":
        from kcbx.runner.kernels.engine import log, warm_kernel

        try:
            warm_kernel()
        except Exception:
            # An initializer that raises breaks the whole pool, and with it the run; the
            # worker's first notebook starts a kernel again, and fails alone if it cannot.
            log.exception("the worker's warm kernel did not start; its first notebook tries again")


def start_pool_worker(engine: str) -> None:
    """The start of a worker of the run's own process pool: it follows the run, exits at
    once when the pool shuts down (``kcbx.util.workers.start``: a run killed with kill -9 must not
    leave workers and kernels behind), and warms its kernel (``start_worker``)."""
    workers.start(os.getppid())
    start_worker(engine)


def worker_name() -> str:
    """Where a notebook runs: the dask worker's address on a cluster, else host:pid."""
    if "distributed" in sys.modules:  # only a dask worker has imported it
        from distributed import get_worker

        try:
            return get_worker().address
        except ValueError:  # not inside a dask task
            pass
    return f"{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------------------------------
# One notebook, in a worker process

# Cells papermill adds to the executed notebook: not in the source notebook.
_PAPERMILL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})
_MAX_MESSAGE_CHARS = 1000


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def failure_from_notebook(executed_path: Path, exc: BaseException) -> NotebookError:
    """The failure of a notebook run: the first code cell with an error output in the
    executed notebook, indexed as in the source notebook; when there is none (kernel
    died, a cell timed out, nothing was saved), only the exception that ended the run."""
    import nbformat  # a second's import (jsonschema) that an unchanged re-run need not pay

    try:
        notebook = nbformat.read(executed_path, as_version=4)
    except (OSError, ValueError):  # not saved, or not valid JSON
        notebook = None
    source_cells = [cell for cell in (notebook.cells if notebook else [])
                    if not _PAPERMILL_TAGS & set(cell.get("metadata", {}).get("tags", []))]
    for index, cell in enumerate(source_cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return NotebookError(index, _first_line(cell.source), str(output.get("ename", "")),
                                     str(output.get("evalue", ""))[:_MAX_MESSAGE_CHARS])
    return NotebookError(None, None, type(exc).__name__, str(exc)[:_MAX_MESSAGE_CHARS])


def _missing_outputs(job: NotebookJob) -> NotebookError | None:
    expected = NOTEBOOK_OUTPUTS if job.township is not None else (*NOTEBOOK_OUTPUTS, SCHOOL_AGE_LEDGER_FILE)
    missing = [name for name in expected if not (job.output_dir / name).is_file()]
    if not missing:
        return None
    return NotebookError(None, None, "MissingOutput",
                         f"the notebook did not write {', '.join(missing)} into output_dir")


def _keep_only_notebook(output_dir: Path) -> None:
    """A failed notebook's folder keeps its executed notebook and nothing that could pass
    for a complete report (metrics.json, forms.xlsx, charts the notebook wrote before failing)."""
    for path in output_dir.iterdir():
        if path.name == NOTEBOOK_FILE:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def render_notebook(job: NotebookJob, engine: str) -> NotebookRecord:
    """Execute one notebook with ``ENGINES[engine]``, then export its report.html.

    Any failure - a cell raising, the kernel dying, a missing output, the export -
    becomes the record's error, and the folder keeps only the executed notebook.
    """
    from kcbx.report.html import export_html

    started, rendered_at = time.perf_counter(), _now()
    job.output_dir.mkdir(parents=True, exist_ok=True)
    error: NotebookError | None = None
    try:
        ENGINES[engine](job)
    except Exception as exc:
        error = failure_from_notebook(job.executed_path, exc)
    if error is None:
        error = _missing_outputs(job)
    if error is None:
        try:
            took = {"执行耗时": f"{time.perf_counter() - started:.1f} 秒"}
            export_html(job.executed_path, job.output_dir / REPORT_FILE,
                        provenance={**job.provenance, **took}, title=job.title)
        except Exception as exc:
            error = NotebookError(None, None, type(exc).__name__,
                                  f"report.html export: {exc}"[:_MAX_MESSAGE_CHARS])
    if error is not None:
        _keep_only_notebook(job.output_dir)
    return NotebookRecord(name=job.name, township=job.township, dir=job.output_dir.name,
                          status=OK if error is None else FAILED,
                          seconds=time.perf_counter() - started, error=error,
                          fingerprint=job.fingerprint, worker=worker_name(),
                          rendered_at=rendered_at)


# ---------------------------------------------------------------------------------------
# Reusing the previous run's reports

def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the previous folder is deleted on publish: a link is a copy
    except OSError:
        shutil.copy2(source, target)


def reuse_folder(previous_dir: Path, output_dir: Path) -> bool:
    """Copy a previous report's folder (notebook, report, forms, metrics; the county's
    适龄儿童台账.xlsx); False when incomplete. Not a failed run's notebook.failed.ipynb."""
    if not all((previous_dir / name).is_file() for name in REPORT_FILES):
        return False
    output_dir.mkdir(parents=True, exist_ok=True)
    for name in (*REPORT_FILES, *OPTIONAL_REPORT_FILES):
        if (previous_dir / name).is_file():
            _link_or_copy(previous_dir / name, output_dir / name)
    return True


@dataclass(frozen=True)
class PreviousRun:
    """The published run of the same as_of, whose unchanged reports this run may reuse."""

    as_of_dir: Path
    run_fingerprint: str | None
    complete: bool  # every notebook succeeded
    order: tuple[str, ...]  # notebook names in run order
    records: dict[str, dict[str, Any]]  # by notebook name, those with a report in their folder

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
                   tuple(entry["name"] for entry in entries), records)

    def _previous(self, name: str) -> tuple[dict, Path] | None:
        """The previous record of notebook ``name`` and its report folder; None when there is
        none, or the manifest names anything but a bare folder name (never a path out of the run)."""
        entry = self.records.get(name)
        if entry is None or Path(entry["dir"]).name != entry["dir"]:
            return None
        return entry, self.as_of_dir / entry["dir"]

    def reuse(self, name: str, output_dir: Path, fingerprint: str | None) -> NotebookRecord | None:
        """The previous record of notebook ``name`` when its fingerprint is unchanged, its
        folder copied to ``output_dir``; None when it changed (or was not there)."""
        previous = self._previous(name)
        if fingerprint is None or previous is None:
            return None
        entry, folder = previous
        if entry["fingerprint"] != fingerprint or not reuse_folder(folder, output_dir):
            return None
        # A kept report whose inputs are today's inputs again is as good as a new one.
        return NotebookRecord(name=name, township=entry["township"], dir=output_dir.name,
                              status=REUSED, seconds=0.0, fingerprint=fingerprint,
                              worker=entry.get("worker"), rendered_at=entry.get("rendered_at"))

    def lend_ledger(self, output_dir: Path) -> None:
        """Put the previous county report's 适龄儿童台账.xlsx into output_dir, for the county
        notebook to keep when its fingerprint is today's (``forms.write_school_age_ledger``):
        eight seconds at tongjiang scale that a late absence ledger does not change.
        Rewriting it replaces the link, never the previous run's file."""
        previous = self._previous(COUNTY_NAME)
        if previous is None:
            return
        ledger = previous[1] / SCHOOL_AGE_LEDGER_FILE
        if ledger.is_file() and not ledger.is_symlink():
            output_dir.mkdir(parents=True, exist_ok=True)
            _link_or_copy(ledger, output_dir / SCHOOL_AGE_LEDGER_FILE)

    def keep(self, failed: NotebookRecord, output_dir: Path) -> NotebookRecord:
        """A notebook that failed now keeps the previous report of this as_of, if there is
        one: the new failure is recorded beside it (its notebook as notebook.failed.ipynb)."""
        previous = self._previous(failed.name)
        if previous is None:
            return failed
        entry, folder = previous
        executed = output_dir / NOTEBOOK_FILE
        if executed.exists():
            executed.rename(output_dir / FAILED_NOTEBOOK_FILE)
        if not reuse_folder(folder, output_dir):
            return failed
        return dataclasses.replace(failed, status=KEPT, fingerprint=entry["fingerprint"],
                                   rendered_at=entry.get("rendered_at"))


# ---------------------------------------------------------------------------------------
# The run

_LEFTOVER = re.compile(r"^\.(?P<as_of>\d{4}-\d{2}-\d{2})\.(?P<kind>partial|old)-(?P<pid>\d+)$")


def remove_stale_folders(county_dir: Path) -> list[Path]:
    """Remove what killed runs left in a county's output folder and return it:
    ``.<as_of>.partial-<pid>`` (unfinished) and ``.<as_of>.old-<pid>`` (replaced, not yet
    deleted) whose process is no longer running. A live process's folder is left alone:
    it may be a run going on right now."""
    removed = []
    for path in sorted(county_dir.iterdir()) if county_dir.is_dir() else ():
        match = _LEFTOVER.match(path.name)
        if not (match and path.is_dir() and not process_alive(int(match.group("pid")))):
            continue
        published = county_dir / match.group("as_of")
        if match.group("kind") == "old" and not published.exists():
            # The run died between its two renames: this is the last published run.
            os.rename(path, published)
            continue
        remove_tree(path)
        removed.append(path)
    return removed


def remove_tree(path: Path) -> None:
    """Remove a folder even where a read-only subfolder would stop ``shutil.rmtree``
    (we own what we wrote: write permission is given back where a removal is refused)."""
    def allow_and_retry(function, target, _exc_info) -> None:
        parent = Path(target).parent
        parent.chmod(parent.stat().st_mode | stat.S_IWUSR | stat.S_IXUSR)
        if Path(target).is_dir() and not Path(target).is_symlink():
            Path(target).chmod(Path(target).stat().st_mode | stat.S_IRWXU)
        function(target)

    shutil.rmtree(path, onerror=allow_and_retry)


def _publish(partial_dir: Path, as_of_dir: Path) -> None:
    """Rename the finished folder into place; a previous run of the same as_of is renamed
    aside first and removed after, so a reader sees the old run or the new one, never a mix."""
    aside = as_of_dir.with_name(f".{as_of_dir.name}.old-{os.getpid()}")
    replacing = as_of_dir.exists()
    if replacing:
        os.rename(as_of_dir, aside)
    try:
        os.rename(partial_dir, as_of_dir)
    except BaseException:
        if replacing:
            os.rename(aside, as_of_dir)
        raise
    if replacing:
        remove_tree(aside)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


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
         ledger_files: dict[str, str], cell_timeout: int) -> NotebookJob:
    output_dir = run_dir / folder
    provenance = {
        "县": params.county, "乡镇": township or "全县", "截至日期": as_of.isoformat(),
        "运行时间": readable_time(started_at), "kcbx 版本": __version__,
        "参数文件": params.path.name, "参数 sha256": params.sha256,
        "输入指纹": (fingerprint or "")[:16], **ledger_files,
    }
    title = (f"{params.county}{township} 控辍保学报告（截至 {as_of.isoformat()}）" if township
             else f"{params.county} 控辍保学汇总报告（截至 {as_of.isoformat()}）")
    return NotebookJob(
        name=township or COUNTY_NAME,
        township=township,
        input_path=notebooks_dir / (TOWNSHIP_NOTEBOOK if township else COUNTY_NOTEBOOK),
        output_dir=output_dir,
        parameters={"params": str(params.path), "township": township, "as_of": as_of.isoformat(),
                    "output_dir": str(output_dir),
                    "prepared": None if prepared is None else str(prepared)},
        title=title,
        provenance=provenance,
        fingerprint=fingerprint,
        cell_timeout=cell_timeout,
    )


def _folders(townships: Sequence[str]) -> dict[str | None, str]:
    dirs = [safe_dirname(name) for name in townships]
    if len(set(dirs)) != len(dirs):  # safe_dirname keeps distinct names distinct: a bug if not
        raise ValueError(f"township folder names collide: {dirs}")
    return {**dict(zip(townships, dirs)), None: COUNTY_NAME}


class _Dispatcher:
    """Hands ready jobs to the pool, at most ``limit`` at a time, the county's first: the
    county report is the longest, and a queue of townships must not hold it back."""

    def __init__(self, pool: Executor, engine: str, limit: int, bar: tqdm):
        self.pool, self.engine, self.limit, self.bar = pool, engine, limit, bar
        self.waiting: deque[NotebookJob] = deque()
        self.running: dict[Future, NotebookJob] = {}
        self.records: dict[str, NotebookRecord] = {}

    def add(self, job: NotebookJob) -> None:
        if job.township is None:
            self.waiting.appendleft(job)
        else:
            self.waiting.append(job)
        self._collect(timeout=0)

    def done(self, record: NotebookRecord) -> None:
        self.records[record.name] = record
        self.bar.set_postfix_str(f"{record.name} {'✓' if record.succeeded else '失败'}")
        self.bar.update(1)

    def _collect(self, timeout: float | None) -> None:
        if self.running:
            finished, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in finished:
                self.running.pop(future)
                self.done(future.result())
        while self.waiting and len(self.running) < self.limit:
            job = self.waiting.popleft()
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
) -> Manifest:
    """Every township's report (``townships`` None: every township in scope) and the
    county's, into ``<params.outputs>/<county>/<as_of>/`` with index.html and
    manifest.json; the folder appears complete or not at all.

    A failing notebook is recorded (cell, exception) and keeps only its executed
    notebook; every other one still completes. ``Manifest.ok`` is False when any
    failed. Unchanged notebooks are reused from the previous run of this as_of unless
    ``force``. ``pool`` runs the notebooks elsewhere (a dask cluster, see kcbx.runner.cluster);
    by default a pool of ``workers`` local processes. A tqdm bar on stderr when ``progress``.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else DEFAULT_NOTEBOOKS_DIR
    notebook_paths = {name: notebooks_dir / name for name in (TOWNSHIP_NOTEBOOK, COUNTY_NOTEBOOK)}
    for path in notebook_paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"no {path.name} in {notebooks_dir}")
    check_in_term(params, as_of)
    if not params.store.exists():
        raise FileNotFoundError(f"no store at {params.store}: run `kcbx ingest --params {params.path}` first")
    if townships is not None:
        townships = list(dict.fromkeys(townships))  # a township listed twice runs once
    county_dir = county_output_dir(params)
    as_of_dir = county_dir / as_of.isoformat()
    county_dir.mkdir(parents=True, exist_ok=True)
    partial_dir = county_dir / f".{as_of.isoformat()}.partial-{os.getpid()}"
    started_at, started = _now(), time.perf_counter()
    remove_stale_folders(county_dir)
    shutil.rmtree(partial_dir, ignore_errors=True)  # our own pid: a leftover of this process
    partial_dir.mkdir()
    label = f"{params.county} {as_of.isoformat()}"
    try:
        # One snapshot of the store for the whole run: an ingest meanwhile cannot mix states.
        snapshot = partial_dir / PREPARED_DIR / "store.duckdb"
        snapshot.parent.mkdir()
        shutil.copyfile(params.store, snapshot)
        store_sha256 = sha256_of_file(snapshot)
        notebook_sha256 = {name: sha256_of_file(path) for name, path in notebook_paths.items()}
        fingerprint = run_fingerprint(params, as_of, townships, store_sha256,
                                      notebook_sha256.values(), county_dir)
        previous = None if force else PreviousRun.read(as_of_dir)
        with tqdm(total=None, desc=label, unit="份", disable=not progress) as bar:
            if previous and previous.complete and previous.run_fingerprint == fingerprint:
                records = _reuse_all(previous, partial_dir, bar)
            else:
                records = _render_all(params, as_of, townships, partial_dir, notebooks_dir,
                                      notebook_sha256, started_at, snapshot, store_sha256, engine,
                                      pool, workers, previous, cell_timeout, bar)
        shutil.rmtree(partial_dir / PREPARED_DIR)
        manifest = Manifest(
            county=params.county, as_of=as_of, started_at=started_at, finished_at=_now(),
            seconds=time.perf_counter() - started, kcbx_version=__version__,
            params_path=str(params.path), params_sha256=params.sha256, engine=engine,
            workers=workers, townships=tuple(records), as_of_dir=as_of_dir,
            store_sha256=store_sha256, run_fingerprint=fingerprint, scheduler=scheduler,
        )
        write_text_atomic(partial_dir / MANIFEST_FILE,
                          json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n")
        write_index(partial_dir, manifest)
        _publish(partial_dir, as_of_dir)
    except BaseException:
        shutil.rmtree(partial_dir, ignore_errors=True)  # only a killed run leaves a partial folder
        raise
    return manifest


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
                previous: PreviousRun | None, cell_timeout: int, bar: tqdm) -> list[NotebookRecord]:
    """Measure the county once; reuse each unchanged notebook, run the others on the pool,
    each as soon as its slice is cut. Records in run order: townships, then the county."""
    from kcbx.runner.prepare import CountyPreparation

    own_pool = pool is None
    if own_pool:
        # spawn, not fork: a forked worker would inherit this process's threads (tqdm, zmq).
        pool = ProcessPoolExecutor(max_workers=workers, initializer=start_pool_worker,
                                   initargs=(engine,),
                                   mp_context=multiprocessing.get_context("spawn"))
        for _ in range(workers):  # start the workers (and their kernels) while the county is measured
            pool.submit(time.sleep, 0)
    try:
        bar.set_postfix_str("统计全县 measuring the county")
        preparation = CountyPreparation(
            params, as_of, townships, run_dir / PREPARED_DIR,
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
                       prepared.ledger_files, cell_timeout)
            record = previous.reuse(job.name, job.output_dir, job.fingerprint) if previous else None
            if record is not None:
                dispatcher.done(record)
                continue
            prepared.write()
            if previous and job.township is None:
                previous.lend_ledger(job.output_dir)
            dispatcher.add(job)
        # Every slice is cut: the county's tables need not stay in memory (a slice computes
        # its Analysis from the pass, so the last one holds it too).
        del preparation, prepared
        records = dispatcher.finish()
        return [previous.keep(records[name], run_dir / records[name].dir)
                if previous and records[name].status == FAILED else records[name]
                for name in [*townships, COUNTY_NAME]]
    finally:
        if own_pool:
            # On an error or Ctrl-C, queued notebooks are cancelled; running ones finish first,
            # so that no worker still writes into the folder when the caller removes it.
            pool.shutdown(wait=True, cancel_futures=True)
