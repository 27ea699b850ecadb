"""``kcbx run``: every township notebook, then the county notebook, into one as_of folder.

Layout (contract)::

    <outputs>/<county>/<as_of>/<township dir>/  notebook.ipynb report.html forms.xlsx metrics.json
    <outputs>/<county>/<as_of>/county/          the same for the county roll-up
    <outputs>/<county>/<as_of>/index.html · manifest.json

Notebook protocol: a cell tagged ``parameters`` defines ``params`` (the params file),
``township`` (None for the county notebook), ``as_of`` (ISO date) and ``output_dir``
(None = interactive use); given a folder, the notebook writes ``metrics.json`` and
``forms.xlsx`` there. The runner saves the executed notebook beside them and exports
``report.html`` from it.

How one notebook is executed lives behind ``ENGINES`` (as papermill's own engine
registry): an engine is a function ``(NotebookJob) -> None`` that runs
``job.input_path`` with ``job.parameters`` in a kernel of this interpreter and saves
the executed notebook at ``job.executed_path`` - also when a cell fails - raising on
failure. Everything else is the runner's, so every engine gets it for free: the
worker pool, timing, locating the failing cell in the saved notebook, report.html,
removing a failed notebook's partial outputs, the progress bar and the manifest.

Atomic outputs: the as_of folder is built as ``.<as_of>.partial-<pid>`` beside its
final place and renamed when complete; a previous run of the same as_of is renamed
to ``.<as_of>.old-<pid>`` first, then removed. A killed run leaves only a dot-named
folder, which the next run removes once its process is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from tqdm import tqdm
from traitlets import default

from kcbx import __version__
from kcbx.params import Params
from kcbx.report.html import export_html
from kcbx.report.index import describe_error, readable_time, write_index

NOTEBOOK_FILE = "notebook.ipynb"
REPORT_FILE = "report.html"
FORMS_FILE = "forms.xlsx"
METRICS_FILE = "metrics.json"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.html"
# What the notebook itself must have written for its report to count as complete.
NOTEBOOK_OUTPUTS = (METRICS_FILE, FORMS_FILE)

COUNTY_NAME = "county"  # the county notebook's name in the manifest, and its folder
TOWNSHIP_NOTEBOOK = "township.ipynb"
COUNTY_NOTEBOOK = "county.ipynb"
# lib/kcbx/run.py -> the project folder's notebooks/ (an editable install or PYTHONPATH=lib).
DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"

KERNEL_NAME = "python3"
# A hung cell must not hold the daily run (due at 17:00) forever; a real cell takes seconds.
CELL_TIMEOUT_SECONDS = 1800


# ---------------------------------------------------------------------------------------
# Folder names

_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\ud800-\udfff]')
_UNSAFE_EDGES = re.compile(r"^[\s.]+|[\s.]+$")  # hidden (.x), "..", and Windows' trailing dots
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)
# Names the as_of folder already uses for itself.
_LAYOUT_NAMES = frozenset({COUNTY_NAME, INDEX_FILE, MANIFEST_FILE})
MAX_DIRNAME_CHARS = 60  # 60 CJK characters = 180 bytes, inside the 255-byte file-name limit


def safe_dirname(name: str) -> str:
    """A folder name for a township (or county) that can never lead outside the output folder.

    Path separators, NUL, control and Windows-forbidden characters become "_"; leading
    and trailing dots and spaces go (no hidden folder, no ".."); Windows device names
    and the as_of folder's own names (county, index.html, manifest.json) are avoided;
    Chinese is kept. When any of that changed the name, a short hash of the original
    is appended, so distinct names stay distinct ("a/b" -> "a_b-<hash>", not "a_b").
    """
    cleaned = _UNSAFE_EDGES.sub("", _UNSAFE_CHARS.sub("_", name)[:MAX_DIRNAME_CHARS])
    reserved = (cleaned.split(".")[0].casefold() in _WINDOWS_DEVICES
                or cleaned.casefold() in _LAYOUT_NAMES)
    if cleaned and cleaned == name and not reserved:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned or '未命名'}-{digest}"


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

    @property
    def executed_path(self) -> Path:
        return self.output_dir / NOTEBOOK_FILE


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
    status: str  # "ok" | "failed"
    seconds: float
    error: NotebookError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "township": self.township, "dir": self.dir,
                "status": self.status, "seconds": round(self.seconds, 3),
                "error": self.error.to_dict() if self.error else None}


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

    @property
    def ok(self) -> bool:
        """True when every notebook, the county's included, succeeded."""
        return all(record.status == "ok" for record in self.townships)

    def to_dict(self) -> dict[str, Any]:
        return {
            "county": self.county, "as_of": self.as_of.isoformat(),
            "started_at": self.started_at, "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3), "kcbx_version": self.kcbx_version,
            "params_path": self.params_path, "params_sha256": self.params_sha256,
            "engine": self.engine, "workers": self.workers, "ok": self.ok,
            "townships": [record.to_dict() for record in self.townships],
        }


# ---------------------------------------------------------------------------------------
# Engines

class ProjectKernelSpecManager(KernelSpecManager):
    """Knows one kernel: ipykernel's own spec for this interpreter (``sys.executable``).

    A "python3" kernelspec installed elsewhere (a user's or the system's Jupyter) would
    otherwise win the lookup and run the reports in another Python; with no kernel
    folder to search, jupyter_client falls back to ipykernel's built-in spec, whose
    argv[0] is ``sys.executable``. Nothing to install by hand.
    """

    @default("kernel_dirs")
    def _no_installed_kernels(self) -> list[str]:
        return []


class ProjectKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, limited to the project's interpreter."""

    @default("kernel_spec_manager")
    def _project_kernel_specs(self) -> KernelSpecManager:
        return ProjectKernelSpecManager()

    @default("transport_encryption")
    def _encrypt_when_possible(self) -> str:
        # Children's records cross the kernel's sockets: CurveZMQ when pyzmq has it
        # (which also silences ipykernel's "running over TCP without encryption").
        return "auto" if zmq.has("curve") else "disabled"

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts every kernel before shutting it down; an idle kernel
        # then prints "ERROR | KeyboardInterrupt caught in kernel" into the run's output,
        # which reads like a failure. A kernel being shut down needs no interrupt.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


def execute_with_papermill(job: NotebookJob) -> None:
    """Run one notebook in a fresh kernel with papermill, which saves the executed
    notebook - the failing cell marked - also when a cell raises."""
    papermill.execute_notebook(
        str(job.input_path),
        str(job.executed_path),
        parameters=job.parameters,
        kernel_name=KERNEL_NAME,
        language="python",
        cwd=str(job.input_path.parent),  # as in JupyterLab: relative paths from notebooks/
        progress_bar=False,
        log_output=False,
        execution_timeout=CELL_TIMEOUT_SECONDS,
        kernel_manager_class=ProjectKernelManager,
    )


# Engines run inside spawned worker processes, which see only what importing this module
# registers: add an engine here (or in a module imported here), not at run time.
ENGINES: dict[str, Callable[[NotebookJob], None]] = {"papermill": execute_with_papermill}


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
    missing = [name for name in NOTEBOOK_OUTPUTS if not (job.output_dir / name).is_file()]
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
    started = time.perf_counter()
    job.output_dir.mkdir(parents=True, exist_ok=True)
    error: NotebookError | None = None
    try:
        ENGINES[engine](job)
    except Exception as exc:  # noqa: BLE001 - whatever happened, it is this notebook's failure
        error = failure_from_notebook(job.executed_path, exc)
    if error is None:
        error = _missing_outputs(job)
    if error is None:
        try:
            took = {"执行耗时": f"{time.perf_counter() - started:.1f} 秒"}
            export_html(job.executed_path, job.output_dir / REPORT_FILE,
                        provenance={**job.provenance, **took}, title=job.title)
        except Exception as exc:  # noqa: BLE001
            error = NotebookError(None, None, type(exc).__name__,
                                  f"report.html export: {exc}"[:_MAX_MESSAGE_CHARS])
    if error is not None:
        _keep_only_notebook(job.output_dir)
    return NotebookRecord(name=job.name, township=job.township, dir=job.output_dir.name,
                          status="ok" if error is None else "failed",
                          seconds=time.perf_counter() - started, error=error)


# ---------------------------------------------------------------------------------------
# The run

_LEFTOVER = re.compile(r"^\.\d{4}-\d{2}-\d{2}\.(?:partial|old)-(\d+)$")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_folders(county_dir: Path) -> list[Path]:
    """Remove what killed runs left in a county's output folder and return it:
    ``.<as_of>.partial-<pid>`` (unfinished) and ``.<as_of>.old-<pid>`` (replaced, not yet
    deleted) whose process is no longer running. A live process's folder is left alone:
    it may be a run going on right now."""
    removed = []
    for path in county_dir.iterdir() if county_dir.is_dir() else ():
        match = _LEFTOVER.match(path.name)
        if match and path.is_dir() and not _process_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


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
        shutil.rmtree(aside, ignore_errors=True)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def ledger_provenance(params: Params) -> dict[str, str]:
    """Each ledger file the store was built from: its sha256 (first 16) and rows read/accepted/rejected."""
    from kcbx.store import load_tables

    if not params.store.exists():
        return {}
    log = load_tables(params.store, kinds=[])["ingest_log"]
    return {f"台账 {row.file}": (f"sha256 {str(row.sha256 or '')[:16]} · 读入 {row.rows_read} · "
                                f"接受 {row.rows_accepted} · 拒收 {row.rows_rejected}")
            for row in log.itertuples()}


def _jobs(params: Params, as_of: dt.date, townships: Sequence[str], run_dir: Path,
          notebooks_dir: Path, started_at: str) -> list[NotebookJob]:
    """One job per township, in the given order, then the county's."""
    dirs = [safe_dirname(name) for name in townships]
    if len(set(dirs)) != len(dirs):  # safe_dirname keeps distinct names distinct: a bug if not
        raise ValueError(f"township folder names collide: {dirs}")
    ledgers = ledger_provenance(params)
    jobs = []
    for name, folder in [*zip(townships, dirs), (None, COUNTY_NAME)]:
        output_dir = run_dir / folder
        provenance = {
            "县": params.county, "乡镇": name or "全县", "截至日期": as_of.isoformat(),
            "运行时间": readable_time(started_at), "kcbx 版本": __version__,
            "参数文件": params.path.name, "参数 sha256": params.sha256, **ledgers,
        }
        title = (f"{params.county}{name} 控辍保学报告（截至 {as_of.isoformat()}）" if name
                 else f"{params.county} 控辍保学汇总报告（截至 {as_of.isoformat()}）")
        jobs.append(NotebookJob(
            name=name or COUNTY_NAME,
            township=name,
            input_path=notebooks_dir / (TOWNSHIP_NOTEBOOK if name else COUNTY_NOTEBOOK),
            output_dir=output_dir,
            parameters={"params": str(params.path), "township": name,
                        "as_of": as_of.isoformat(), "output_dir": str(output_dir)},
            title=title,
            provenance=provenance,
        ))
    return jobs


def _submit(pool: Executor, jobs: Sequence[NotebookJob], engine: str,
            bar: tqdm) -> list[NotebookRecord]:
    """Run jobs on the pool; records in job order, the bar advanced as each finishes."""
    futures = {pool.submit(render_notebook, job, engine): position
               for position, job in enumerate(jobs)}
    records: list[NotebookRecord | None] = [None] * len(jobs)
    for future in as_completed(futures):
        record = future.result()
        records[futures[future]] = record
        bar.set_postfix_str(f"{record.name} {'✓' if record.status == 'ok' else '失败'}")
        bar.update(1)
    return records  # type: ignore[return-value]


def _execute_all(township_jobs: Sequence[NotebookJob], county_job: NotebookJob, engine: str,
                 workers: int, progress: bool, label: str) -> list[NotebookRecord]:
    """The township notebooks ``workers`` at a time in worker processes, then the county's."""
    # spawn, not fork: a forked worker would inherit this process's threads (tqdm, zmq).
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        with tqdm(total=len(township_jobs) + 1, desc=label, unit="份", disable=not progress) as bar:
            records = _submit(pool, township_jobs, engine, bar)
            return records + _submit(pool, [county_job], engine, bar)
    finally:
        # On an error or Ctrl-C, queued notebooks are cancelled; running ones finish first,
        # so that no worker still writes into the folder when the caller removes it.
        pool.shutdown(wait=True, cancel_futures=True)


def run_county(
    params: Params,
    as_of: dt.date,
    townships: list[str],
    *,
    workers: int = 2,
    progress: bool = True,
    notebooks_dir: Path | None = None,
    engine: str = "papermill",
) -> Manifest:
    """Execute ``township.ipynb`` for every township (``workers`` at a time), then
    ``county.ipynb``, into ``<params.outputs>/<county>/<as_of>/``, with index.html and
    manifest.json; the folder appears complete or not at all.

    A failing notebook is recorded (cell, exception) and keeps only its executed
    notebook; every other one still completes. ``Manifest.ok`` is False when any
    failed. A tqdm bar on stderr counts finished notebooks when ``progress``.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else DEFAULT_NOTEBOOKS_DIR
    for notebook in (TOWNSHIP_NOTEBOOK, COUNTY_NOTEBOOK):
        if not (notebooks_dir / notebook).is_file():
            raise FileNotFoundError(f"no {notebook} in {notebooks_dir}")
    townships = list(dict.fromkeys(townships))  # a township listed twice runs once
    county_dir = params.outputs / safe_dirname(params.county)
    as_of_dir = county_dir / as_of.isoformat()
    county_dir.mkdir(parents=True, exist_ok=True)
    partial_dir = county_dir / f".{as_of.isoformat()}.partial-{os.getpid()}"
    started_at, started = _now(), time.perf_counter()
    *township_jobs, county_job = _jobs(params, as_of, townships, partial_dir,
                                       notebooks_dir, started_at)
    remove_stale_folders(county_dir)
    shutil.rmtree(partial_dir, ignore_errors=True)  # our own pid: a leftover of this process
    partial_dir.mkdir()
    pool_size = max(1, min(workers, len(township_jobs)))
    try:
        records = _execute_all(township_jobs, county_job, engine, pool_size, progress,
                               label=f"{params.county} {as_of.isoformat()}")
        manifest = Manifest(
            county=params.county, as_of=as_of, started_at=started_at, finished_at=_now(),
            seconds=time.perf_counter() - started, kcbx_version=__version__,
            params_path=str(params.path), params_sha256=params.sha256, engine=engine,
            workers=pool_size, townships=tuple(records), as_of_dir=as_of_dir,
        )
        (partial_dir / MANIFEST_FILE).write_text(
            json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_index(partial_dir, manifest)
        _publish(partial_dir, as_of_dir)
    except BaseException:
        shutil.rmtree(partial_dir, ignore_errors=True)  # only a killed run leaves a partial folder
        raise
    return manifest
