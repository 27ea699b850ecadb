"""One notebook, in a worker process: run it on its engine, check what it wrote, export
its report.html; or record why it failed and keep only its executed notebook."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from kcbx.outputs import FORMS_FILE, METRICS_FILE, NOTEBOOK_FILE, REPORT_FILE
from kcbx.runner.engines import ENGINES, NotebookJob, worker_name
from kcbx.runner.manifest import NotebookError, NotebookRecord, RunStatus

# What the notebook itself must have written for its report to count as complete.
NOTEBOOK_OUTPUTS = (METRICS_FILE, FORMS_FILE)


def now() -> str:
    """Local time with its offset, to the second (ISO 8601): the manifest's times."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


_MAX_MESSAGE_CHARS = 1000


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def _source_cell_index(job: NotebookJob, executed_index: int) -> int | None:
    """The index in the source notebook of the executed notebook's cell ``executed_index``:
    papermill counts the cell it injects the parameters in (after the cell tagged
    ``parameters``, first when there is none; in place of an injected cell already there).
    None for the injected cell itself."""
    from papermill.iorw import load_notebook_node
    from papermill.utils import find_first_tagged_cell_index

    if not job.parameters:  # nothing injected
        return executed_index
    try:
        source = load_notebook_node(str(job.input_path))
    except (OSError, ValueError):  # gone or changed since it ran: the cell is still named by its line
        return None
    if find_first_tagged_cell_index(source, "injected-parameters") >= 0:
        return executed_index
    injected = find_first_tagged_cell_index(source, "parameters") + 1  # 0 when none is tagged
    if executed_index == injected:
        return None
    return executed_index - 1 if executed_index > injected else executed_index


def failure(job: NotebookJob, exc: BaseException) -> NotebookError:
    """The failure of a notebook run: the failing cell papermill reports (indexed as in the
    source notebook) with its exception; when there is none (kernel died, a cell timed out),
    only the exception that ended the run."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return NotebookError(_source_cell_index(job, exc.cell_index), _first_line(exc.source or ""),
                             str(exc.ename), str(exc.evalue)[:_MAX_MESSAGE_CHARS])
    return NotebookError(None, None, type(exc).__name__, str(exc)[:_MAX_MESSAGE_CHARS])


def _missing_outputs(job: NotebookJob) -> NotebookError | None:
    # Not the county's 适龄儿童台账.xlsx: a job of its own makes it (kcbx.runner.ledger).
    missing = [name for name in NOTEBOOK_OUTPUTS if not (job.output_dir / name).is_file()]
    if not missing:
        return None
    return NotebookError(None, None, "MissingOutput",
                         f"the notebook did not write {', '.join(missing)} into output_dir")


def keep_only_notebook(output_dir: Path) -> None:
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

    started, rendered_at = time.perf_counter(), now()
    job.output_dir.mkdir(parents=True, exist_ok=True)
    error: NotebookError | None = None
    try:
        ENGINES[engine](job)
    except Exception as exc:
        error = failure(job, exc)
    if error is None:
        error = _missing_outputs(job)
    warnings_seen = 0
    if error is None:
        try:
            took = {"执行耗时": f"{time.perf_counter() - started:.1f} 秒"}
            warnings_seen = export_html(job.executed_path, job.output_dir / REPORT_FILE,
                        provenance={**job.provenance, **took}, title=job.title)
        except Exception as exc:
            error = NotebookError(None, None, type(exc).__name__,
                                  f"report.html export: {exc}"[:_MAX_MESSAGE_CHARS])
    if error is not None:
        keep_only_notebook(job.output_dir)
    return NotebookRecord(name=job.name, township=job.township, dir=job.output_dir.name,
                          status=RunStatus.OK if error is None else RunStatus.FAILED,
                          seconds=time.perf_counter() - started, error=error,
                          fingerprint=job.fingerprint, worker=worker_name(),
                          rendered_at=rendered_at, inputs=job.inputs,
                          rendered_because=job.rendered_because, warnings=warnings_seen)
