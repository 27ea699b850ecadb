"""nbval runs the notebooks as they are committed: their parameters, not an analyst's edits.

Running a notebook in JupyterLab autosaves it. Its outputs never reach git (nbstripout, see
.gitattributes), but an edited parameters cell (``township = "城厢镇"``) stays in the
working tree, and nbval would run it. So each notebook's cell tagged ``parameters`` runs as
git's index holds it (what a commit would take); a notebook git does not track yet, or a
copy outside git, runs as it is. Variables that set parameters from the shell (KCBX_PARAMS,
set by ``make lab``) are dropped, so the kernels nbval starts get the notebooks' defaults.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nbformat
import pytest

for _name in [name for name in os.environ if name.startswith("KCBX_")]:
    del os.environ[_name]  # nbval --nbval-current-env starts its kernels with this environment

PARAMETERS_TAG = "parameters"


def committed_parameters(notebook: Path) -> str | None:
    """The source of the notebook's parameters cell as git's index holds it; None when git
    does not track the notebook (or there is no git)."""
    try:
        staged = subprocess.run(["git", "show", f":./{notebook.name}"], cwd=notebook.parent,
                                capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    cells = nbformat.reads(staged.decode("utf-8"), as_version=4).cells
    return next((cell.source for cell in cells if PARAMETERS_TAG in cell.metadata.get("tags", [])), None)


def pytest_collection_modifyitems(items):
    for item in items:
        cell = getattr(item, "cell", None)  # nbval's IPyNbCell
        if cell is None or PARAMETERS_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        committed = committed_parameters(Path(str(item.fspath)))
        if committed is not None and committed != cell.source:
            item.warn(pytest.PytestWarning(
                f"{Path(str(item.fspath)).name}: its parameters cell is edited in the working tree; "
                "nbval runs the committed one"))
            cell.source = committed
