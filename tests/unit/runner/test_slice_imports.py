"""Issue 27: a kernel that renders a run's prepared slice imports only what the slice needs.

The slice is an Analysis already computed by the run's county pass: the kernel reads no
store (DuckDB), checks no ledger (pandera) and estimates no calendar (lunar_python). Each
test renders the real notebook (notebooks/township.ipynb, county.ipynb) from a prepared
slice of the demo county on a warm kernel of its own, with one cell appended that prints
which of those modules the kernel holds; the report must be the slice's own figures.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import nbformat
import pytest

from kcbx.analysis.metrics import metrics_json
from kcbx.params import load_params
from kcbx.runner.engines import NotebookJob
from kcbx.runner.execute import render_notebook
from kcbx.runner.kernels.engine import shutdown_warm_kernel
from kcbx.runner.manifest import RunStatus
from kcbx.runner.prepare import CountyPreparation
from support.paths import PROJECT

pytestmark = pytest.mark.slow

AS_OF = dt.date(2021, 10, 15)
NOT_FOR_A_SLICE = ("duckdb", "pandera", "lunar_python")
# Printed by the cell appended to the notebook: the kernel's modules of those packages.
MODULES_CELL = ("import json as _json, sys as _sys\n"
                f"print(_json.dumps(sorted(_name for _name in _sys.modules if _name.split('.')[0] in {NOT_FOR_A_SLICE!r}\n"
                "                        or _name == 'kcbx.notebook')))")


@pytest.fixture(scope="module")
def prepared(demo_store, tmp_path_factory):
    """The demo county's slices of one county pass: the county's, then each township's."""
    params = load_params(demo_store.parent.parent / "params" / "demo.yaml")
    folder = tmp_path_factory.mktemp("slices")
    preparation = CountyPreparation(params, AS_OF, None, folder, township_notebook_sha256="t",
                                    county_notebook_sha256="c")
    return params, list(preparation.slices())


def render_in_a_new_kernel(job: NotebookJob):
    """render_notebook on the warm engine, in a thread of its own: its kernel is new, and
    holds nothing that another test's notebook imported."""
    record = []

    def render() -> None:
        try:
            record.append(render_notebook(job, "warm"))
        finally:
            shutdown_warm_kernel()

    thread = threading.Thread(target=render)
    thread.start()
    thread.join()
    return record[0]


def render_slice(params, piece, notebook_name: str, tmp_path: Path) -> tuple[list[str], Path]:
    """Render the project's notebook from the slice, with MODULES_CELL appended: the kernel's
    modules it printed, and the report's folder."""
    source = nbformat.read(PROJECT / "notebooks" / notebook_name, as_version=4)
    source.cells.append(nbformat.v4.new_code_cell(MODULES_CELL))
    copy = tmp_path / "notebooks" / notebook_name
    copy.parent.mkdir()
    nbformat.write(source, copy)
    output = tmp_path / "report"
    job = NotebookJob(name=piece.township or "county", township=piece.township, input_path=copy,
                      output_dir=output,
                      parameters={"params": str(params.path), "township": piece.township,
                                  "as_of": AS_OF.isoformat(), "output_dir": str(output),
                                  "prepared": str(piece.write())},
                      title="t", provenance={})
    record = render_in_a_new_kernel(job)
    assert record.status is RunStatus.OK, record.error
    executed = nbformat.read(job.executed_path, as_version=4)
    printed = "".join(out.get("text", "") for out in executed.cells[-1].outputs)
    return json.loads(printed), output


@pytest.mark.parametrize("notebook_name", ["township.ipynb", "county.ipynb"])
def test_a_prepared_slice_renders_without_duckdb_pandera_or_lunar_python(prepared, notebook_name, tmp_path):
    params, slices = prepared
    piece = slices[1] if notebook_name == "township.ipynb" else slices[0]  # slices[0]: the county's
    modules, output = render_slice(params, piece, notebook_name, tmp_path)
    assert "kcbx.notebook" in modules  # the cell ran in the notebook's kernel
    assert [name for name in modules if name != "kcbx.notebook"] == []
    # The report is the slice's own figures, however few modules made it.
    written = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    assert written == json.loads(metrics_json(piece.analysis))
    assert (output / "report.html").is_file() and (output / "forms.xlsx").is_file()
