"""How one notebook is executed: ``NotebookJob`` and the engines that run it.

An engine is a function ``(NotebookJob) -> None`` in ``ENGINES`` that runs
``job.input_path`` with ``job.parameters`` and saves the executed notebook at
``job.executed_path`` - also when a cell fails - raising on failure. "warm" (the default)
reuses one kernel per worker (``kcbx.runner.kernels.engine``); "papermill" starts a fresh
kernel per notebook. Everything else is the runner's (``kcbx.runner.execute``,
``kcbx.runner.run``), so every engine gets it for free: the worker pool, timing, the
failing cell, report.html, removing a failed notebook's partial outputs, the progress bar
and the manifest.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kcbx.outputs import NOTEBOOK_FILE
from kcbx.util import workers

# A hung cell must not hold the daily run (due at 17:00) forever; a real cell takes seconds.
CELL_TIMEOUT_SECONDS = 1800
DEFAULT_ENGINE = "warm"


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
    inputs: dict[str, str] | None = None  # each input's digest, for the next run to say what changed
    rendered_because: tuple[str, ...] | None = None  # why it runs rather than being reused (reuse.why_rendered)
    cell_timeout: int = CELL_TIMEOUT_SECONDS

    @property
    def executed_path(self) -> Path:
        return self.output_dir / NOTEBOOK_FILE


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
    "warm": partial(execute_with_papermill, engine_name="kcbx"),  # kcbx.runner.kernels.papermill_engine.WarmKernelEngine
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
