"""The warm-kernel engine: notebooks share one kernel, and nothing one leaves reaches the next.

Each test runs real notebooks through the runner's ``render_notebook`` with the "warm"
engine (papermill engine "kcbx"), in this process's warm kernel, one after another.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest

import kcbx.runner.kernels.engine
from kcbx.runner.engines import NotebookJob, start_worker
from kcbx.runner.execute import render_notebook
from kcbx.runner.kernels import reset as kernel_reset
from kcbx.runner.kernels.engine import WARM_UP, WarmKernel, warm_kernel
from kcbx.runner.kernels.papermill_engine import WarmKernelEngine

PARAMETERS = "params = None\ntownship = None\nas_of = None\noutput_dir = None\nprepared = None"
# Writes what the kernel looks like into metrics.json (and a forms.xlsx, as the protocol asks).
REPORT_STATE = (
    "import json, os, pathlib, matplotlib\n"
    "import kcbx.report.show as show\n"
    "state = {'pid': os.getpid(), 'leaked': 'leaked' in globals(),\n"
    "         'linewidth': matplotlib.rcParams['lines.linewidth'],\n"
    "         'percent': show.percent(0.5), 'env': os.environ.get('KCBX_TEST_LEAK'),\n"
    "         'cwd': os.getcwd()}\n"
    "out = pathlib.Path(output_dir)\n"
    "(out / 'metrics.json').write_text(json.dumps(state), encoding='utf-8')\n"
    "(out / 'forms.xlsx').write_bytes(b'toy')"
)


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(PARAMETERS), *map(nbformat.v4.new_code_cell, cells)]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return path


def run(tmp_path: Path, name: str, *cells: str, timeout: int = 60):
    """Render one notebook on the warm engine; the record and what it wrote as its metrics."""
    source = notebook(tmp_path / f"{name}.ipynb", *cells)
    job = NotebookJob(name=name, township=name, input_path=source, output_dir=tmp_path / name,
                      parameters={"output_dir": str(tmp_path / name)}, title=name, provenance={},
                      cell_timeout=timeout)
    record = render_notebook(job, "warm")
    metrics = tmp_path / name / "metrics.json"
    return record, json.loads(metrics.read_text()) if metrics.exists() else None


def test_papermill_finds_the_engine_by_its_entry_point():
    assert papermill.engines.papermill_engines.get_engine("kcbx") is WarmKernelEngine


@pytest.mark.slow
def test_notebooks_share_a_kernel_but_not_its_state(tmp_path):
    first, before = run(tmp_path, "甲", REPORT_STATE)
    # The second notebook leaves a global, an rcParam, an environment variable and another folder.
    dirty, _ = run(tmp_path, "乙", REPORT_STATE,
                   "leaked = 1\nmatplotlib.rcParams['lines.linewidth'] = 9.0\n"
                   "os.environ['KCBX_TEST_LEAK'] = 'yes'\nos.chdir('/')")
    after_record, after = run(tmp_path, "丙", REPORT_STATE)
    assert [first.status, dirty.status, after_record.status] == ["ok", "ok", "ok"]
    assert after["pid"] == before["pid"]  # the same kernel …
    assert after == before  # … as it was before: no global, rcParam, variable or folder left
    assert after["cwd"] == str(tmp_path)  # papermill's cwd: the notebook's own folder


@pytest.mark.slow
def test_a_monkeypatch_gets_a_new_kernel(tmp_path):
    _, before = run(tmp_path, "甲", REPORT_STATE)
    run(tmp_path, "乙", "import kcbx.report.show as show\nshow.percent = lambda *a, **k: 'patched'")
    _, after = run(tmp_path, "丙", REPORT_STATE)
    assert after["percent"] == before["percent"] == "50.0%"
    assert after["pid"] != before["pid"]


@pytest.mark.slow
def test_a_dead_kernel_fails_its_notebook_and_is_replaced(tmp_path):
    _, before = run(tmp_path, "甲", REPORT_STATE)
    died, _ = run(tmp_path, "乙", "import os\nos._exit(1)")
    assert died.status == "failed" and "Dead" in died.error.exception + died.error.message
    record, after = run(tmp_path, "丙", REPORT_STATE)
    assert record.status == "ok" and after["pid"] != before["pid"]


@pytest.mark.slow
def test_a_hung_cell_times_out_fails_its_notebook_and_the_kernel_is_replaced(tmp_path):
    _, before = run(tmp_path, "甲", REPORT_STATE)
    hung, _ = run(tmp_path, "乙", "import time\ntime.sleep(600)", timeout=3)
    assert hung.status == "failed" and "Timeout" in hung.error.exception
    assert hung.seconds < 60
    record, after = run(tmp_path, "丙", REPORT_STATE)
    assert record.status == "ok" and after["pid"] != before["pid"]


@pytest.mark.slow
def test_a_failing_cell_is_recorded_and_the_next_notebook_starts_clean(tmp_path):
    failed, _ = run(tmp_path, "乙", "leaked = 1\nraise ValueError('台账有错')")
    assert failed.status == "failed"
    assert (failed.error.cell_index, failed.error.exception, failed.error.message) == (
        1, "ValueError", "台账有错")
    record, after = run(tmp_path, "丙", REPORT_STATE)
    assert record.status == "ok" and after["leaked"] is False


def test_reset_reports_a_replaced_attribute_only():
    before = {"mod": {"a": 1, "b": 2}}
    assert kernel_reset._changed(before, {"mod": {"a": 1, "b": 2, "c": 3}}) == []  # added: fine
    assert kernel_reset._changed(before, {"mod": {"a": 1, "b": 5}}) == ["mod.b"]
    assert kernel_reset._changed(before, {"mod": {"a": 1}}) == ["mod.b"]
    assert kernel_reset._changed(before, {}) == []  # module unloaded: re-imported fresh


def test_the_warm_kernel_is_this_process_s_own():
    assert warm_kernel() is warm_kernel()


def test_a_kernel_that_dies_at_birth_is_started_again(monkeypatch):
    # Two workers' kernels can be handed the same free port; the loser dies before its
    # first reply. Here the first kernel really dies, in its warm-up cell.
    real_run_cell = WarmKernel._run_cell
    sources = []

    def dies_the_first_time(kernel, source, timeout):
        sources.append(source)
        if len(sources) == 1:
            real_run_cell(kernel, "import os\nos._exit(1)", timeout)
        return real_run_cell(kernel, source, timeout)

    monkeypatch.setattr(WarmKernel, "_run_cell", dies_the_first_time)
    kernel = WarmKernel()
    try:
        kernel.start()
        assert kernel._run_cell("print(6 * 7)", 60).strip() == "42"
        assert sources[:2] == [WARM_UP, WARM_UP]  # the warm-up again, in a new kernel
    finally:
        kernel.shutdown()


def test_a_worker_whose_kernel_cannot_start_still_starts(monkeypatch):
    # An initializer that raises would break the run's whole pool: the worker starts
    # without a kernel, and its first notebook tries again (and fails alone if it must).
    def no_kernel():
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(kcbx.runner.kernels.engine, "warm_kernel", no_kernel)
    start_worker("warm")


@pytest.mark.slow
def test_a_chart_missing_a_glyph_fails_its_notebook(tmp_path):
    # A character no CJK font has: the chart would show an empty box, so the notebook fails
    # and no report.html is written (the run then keeps the previous report, or marks it failed).
    chart = ("import matplotlib.pyplot as plt\nimport kcbx.report.show as show\n"
             "from kcbx.report.fonts import use_cjk_font\nuse_cjk_font()\n"
             "figure, axes = plt.subplots()\naxes.set_title('乡镇 \\U0001F600')\n"
             "show.figure_html(figure, 'chart')")
    record, _ = run(tmp_path, "丁", REPORT_STATE, chart)
    assert record.status == "failed"
    assert record.error.exception == "MissingGlyph" and "GRINNING FACE" in record.error.message
    assert not (tmp_path / "丁" / "report.html").exists()
