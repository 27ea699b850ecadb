"""The papermill engine "kcbx": notebooks run in this process's warm kernel (kcbx.runner.kernels.engine).

papermill loads this module through the ``papermill.engine`` entry point (pyproject.toml)
while papermill itself is being imported; so it imports nothing of papermill but the
engine base and the client, and kcbx never imports it directly: use
``papermill.execute_notebook(..., engine_name="kcbx")``.
"""

from __future__ import annotations

import os

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, NotebookExecutionManager

from kcbx.runner.kernels.engine import KERNEL_NAME, STARTUP_TIMEOUT_SECONDS, log, warm_kernel


def _failed(notebook) -> bool:
    return any(cell.get("metadata", {}).get("papermill", {}).get("exception")
               for cell in notebook.cells)


class WarmKernelEngine(Engine):
    """papermill engine "kcbx": the notebook runs in this process's warm kernel."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=STARTUP_TIMEOUT_SECONDS,
                                 execution_timeout=None, **kwargs):
        kernel = warm_kernel()
        kernel.ready_for(os.getcwd())  # papermill runs the engine inside the notebook's cwd
        # No save around every cell: the cells report to a manager of the same notebook without an output
        # path; nb_man saves it at the start and, failed or not, at the end (Engine.execute_notebook).
        cells = NotebookExecutionManager(nb_man.nb, output_path=None, log_output=log_output,
                                         progress_bar=False)
        client = PapermillNotebookClient(
            cells, km=kernel.km, kernel_name=KERNEL_NAME, timeout=execution_timeout,
            startup_timeout=start_timeout, log=log, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file)
        client.kc = kernel.kc
        try:
            client.execute()
        except BaseException:
            kernel.replace()  # dead, hung (cell timeout) or interrupted: never reuse it
            raise
        if _failed(nb_man.nb):
            kernel.replace()  # a half-run notebook may leave anything behind
        return nb_man.nb
