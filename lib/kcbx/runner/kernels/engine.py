"""Kernels for the runner: the project's own interpreter, and warm kernels reused across notebooks.

A fresh kernel a notebook (start, imports, shutdown) costs more than a township
report's own work. ``kcbx.runner.kernels.papermill_engine.WarmKernelEngine`` is a papermill
engine (registered as "kcbx" through papermill's ``papermill.engine`` entry point) that runs
each notebook in a kernel started once per worker process, kcbx already imported, and
reset between notebooks (``kcbx.runner.kernels.reset``). papermill still injects the parameters,
records each cell's state and time, and saves the executed notebook with the failing
cell marked: the engine changes only where the cells run.

Kernel hygiene: before each notebook the kernel is reset; a notebook that failed, a
kernel that died or hung (cell timeout), or a monkeypatch that a reset cannot undo
replaces the kernel, so nothing one notebook did reaches the next.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

import nbformat
import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from traitlets import default

from kcbx.runner.kernels import reset as kernel_reset

KERNEL_NAME = "python3"
STARTUP_TIMEOUT_SECONDS = 60
KERNEL_START_ATTEMPTS = 3
RESET_TIMEOUT_SECONDS = 60
# Imported once per kernel, before the checkpoint that every reset returns to. A prepared slice
# needs no store, no ledger check and no calendar estimate: nothing here imports DuckDB, pandera
# or lunar_python (issue 27; tests/unit/runner/test_slice_imports.py).
WARM_UP = ("import kcbx.runner.kernels.reset, kcbx.notebook, kcbx.report.show, kcbx.report.forms\n"
           "kcbx.runner.kernels.reset.checkpoint()")

log = logging.getLogger("kcbx.runner.kernels.engine")


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


class WarmKernel:
    """One kernel of this interpreter, started once and reused for many notebooks."""

    def __init__(self) -> None:
        self.km: ProjectKernelManager | None = None
        self.kc = None

    def _run_cell(self, source: str, timeout: int) -> str:
        """Execute one cell in the kernel (starting it when there is none); its stdout."""
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        client = NotebookClient(notebook, km=self.km, kernel_name=KERNEL_NAME, timeout=timeout,
                                startup_timeout=STARTUP_TIMEOUT_SECONDS,
                                resources={"metadata": {"path": os.getcwd()}})
        client.kc = self.kc
        client.execute()  # not owning the kernel manager, the client leaves the kernel running
        self.kc = client.kc
        return "".join(output.get("text", "") for output in notebook.cells[0].outputs
                       if output.get("name") == "stdout")

    def start(self) -> None:
        """A new kernel, warmed up. One that dies at birth is started again, KERNEL_START_ATTEMPTS
        times in all: jupyter_client picks free ports before the kernel binds them, so two
        kernels starting at once (two workers) can be handed the same port, and one dies with
        "Address already in use"."""
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            self.km = ProjectKernelManager(kernel_name=KERNEL_NAME)
            self.kc = None
            try:
                self._run_cell(WARM_UP, STARTUP_TIMEOUT_SECONDS)
                return
            except Exception as exc:
                self.shutdown()
                if attempt == KERNEL_START_ATTEMPTS:
                    raise
                log.warning("kernel start failed (%s: %s); starting another (%d of %d)",
                            type(exc).__name__, exc, attempt + 1, KERNEL_START_ATTEMPTS)

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                log.debug("kernel shutdown failed", exc_info=True)
        self.km = self.kc = None

    def replace(self) -> None:
        """A new kernel instead of this one (after a failure, a death, a hang or a monkeypatch)."""
        self.shutdown()
        self.start()

    def ready_for(self, cwd: str) -> None:
        """Reset the kernel for the next notebook (working folder ``cwd``); replace it when the
        reset fails or reports what it cannot undo."""
        if self.km is None:
            self.start()
        try:
            answer = self._reset(cwd)
        except Exception as exc:
            answer = f"{kernel_reset.DIRTY}: {type(exc).__name__}"
        if answer != kernel_reset.CLEAN:
            log.info("replacing the kernel: %s", answer)
            self.replace()
            self._reset(cwd)

    def _reset(self, cwd: str) -> str:
        """kcbx.runner.kernels.reset.reset in the kernel: its answer, CLEAN or DIRTY."""
        # Through importlib: the cell binds no name in the notebook's namespace.
        reset = "__import__('importlib').import_module('kcbx.runner.kernels.reset').reset"
        return self._run_cell(f"print({reset}({cwd!r}))", RESET_TIMEOUT_SECONDS).strip()


_this_thread = threading.local()  # a kernel's client lives in its thread's event loop


def warm_kernel() -> WarmKernel:
    """This thread's warm kernel, started on first use and shut down when the process exits."""
    kernel = getattr(_this_thread, "kernel", None)
    if kernel is None:
        kernel = _this_thread.kernel = WarmKernel()
        atexit.register(kernel.shutdown)
        kernel.start()  # should it fail, the next notebook's ready_for starts one again
    return kernel


def shutdown_warm_kernel() -> None:
    """Shut this thread's warm kernel down now (a dask worker leaving)."""
    kernel = getattr(_this_thread, "kernel", None)
    if kernel is not None:
        kernel.shutdown()
        _this_thread.kernel = None
