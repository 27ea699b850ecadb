"""The runner: real papermill runs of toy notebooks, folder names, and the run history.

The toy notebooks follow the notebook protocol (a `parameters` cell with params,
township, as_of, output_dir, prepared) and write metrics.json and forms.xlsx like the
real ones; the run still measures the county, from a copy of the demo county's store.
One module-wide run of three townships serves most tests; the others run the county
notebook alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jupyter_client.kernelspec import KernelSpecManager

import kcbx.runner.kernels.engine
import kcbx.runner.run
from kcbx.outputs import SCHOOL_AGE_LEDGER_FILE, safe_dirname
from kcbx.params import load_params
from kcbx.runner.history import load_history
from kcbx.runner.index import rendered_because_words
from kcbx.runner.reuse import PreviousRun, why_rendered
from kcbx.runner.run import run_county
from support.county_run import start_hanging_run

AS_OF = dt.date(2021, 10, 15)

# Cell 1 (the 2nd cell) writes metrics.json and kernel.txt, then fails for 乙镇:
# the runner must then remove those partial outputs and keep only the notebook.
FAILING_CELL_FIRST_LINE = "# 写出指标；乙镇的台账有错，在这一格失败"
TOY_CELLS = [
    "params = None\ntownship = None\nas_of = None\noutput_dir = None\nprepared = None",
    FAILING_CELL_FIRST_LINE + "\n"
    "import json, pathlib, sys\n"
    "ENROLLED = {'甲镇': 120, '乙镇': 80, '丙镇': 95, None: 295}\n"
    "out = pathlib.Path(output_dir)\n"
    "metrics = {'as_of': as_of, 'county': '示例县', 'township': township,\n"
    "           'enrolled': ENROLLED.get(township, 100), 'return_rate': 0.5,\n"
    "           'escalation': {'1': 3, '5': 1}}\n"
    "(out / 'metrics.json').write_text(json.dumps(metrics, ensure_ascii=False), encoding='utf-8')\n"
    "(out / 'kernel.txt').write_text(sys.executable, encoding='utf-8')\n"
    "if township == '乙镇':\n"
    "    raise ValueError('乙镇的台账有错')",
    "(out / 'forms.xlsx').write_bytes(b'toy workbook')\n"
    "(out / 'daily.png').write_bytes(b'toy card')\n"
    "ledger = out / '适龄儿童台账.xlsx'  # the county's, kept when the run lends one\n"
    "if township is None and not ledger.exists():\n"
    "    ledger.write_bytes(b'toy ledger')\n"
    "import warnings\n"
    "print('调试：', out)  # a print, a log line and a warning: for the notebook, never the page\n"
    "warnings.warn('示例警告')\n"
    "f'{township or \"全县\"} 在校生 {ENROLLED.get(township, 100)} 人'",
]


def write_toy_notebook(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in TOY_CELLS]
    notebook.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(notebook, path)


def write_params(folder: Path) -> Path:
    path = folder / "params" / "demo.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "county: 示例县\ncounty_code: '452626'\nledgers: ../ledgers\n"
        "store: ../build/demo.duckdb\noutputs: ../outputs\n"
        "term: {start: 2021-09-01, end: 2022-01-14}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory, demo_store) -> Path:
    """A project folder with the toy notebooks, a params file and a copy of the demo
    county's store (outputs under outputs/)."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
    write_toy_notebook(root / "notebooks" / "township.ipynb")
    write_toy_notebook(root / "notebooks" / "county.ipynb")
    write_params(root)
    (root / "build").mkdir()
    shutil.copyfile(demo_store, root / "build" / "demo.duckdb")
    return root


@pytest.fixture(scope="module")
def three_townships(project):
    """One run of 甲镇, 乙镇 (fails in its 2nd cell) and 丙镇, then the county."""
    params = load_params(project / "params" / "demo.yaml")
    manifest = run_county(params, AS_OF, ["甲镇", "乙镇", "丙镇"], workers=2, progress=False,
                          notebooks_dir=project / "notebooks")
    return params, manifest


def copy_of_project(project: Path, tmp_path: Path):
    """The module project with its outputs, copied so that a test may change them."""
    shutil.copytree(project, tmp_path / "project")
    return load_params(tmp_path / "project" / "params" / "demo.yaml")


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# ---------------------------------------------------------------------------------------
# Real runs

@pytest.mark.slow
def test_a_failing_township_keeps_only_its_notebook_and_the_others_complete(three_townships):
    params, manifest = three_townships
    run_dir = params.outputs / "示例县" / "2021-10-15"
    assert [(t.name, t.status) for t in manifest.townships] == [
        ("甲镇", "ok"), ("乙镇", "failed"), ("丙镇", "ok"), ("county", "ok")]
    assert manifest.ok is False
    # The failing notebook wrote metrics.json and kernel.txt before raising: both removed.
    assert sorted(os.listdir(run_dir / "乙镇")) == ["notebook.ipynb"]
    for folder in ("甲镇", "丙镇"):
        assert sorted(os.listdir(run_dir / folder)) == [
            "daily.png", "forms.xlsx", "kernel.txt", "metrics.json", "notebook.ipynb", "report.html"]
    assert sorted(os.listdir(run_dir / "county")) == [
        "daily.png", "forms.xlsx", "kernel.txt", "metrics.json", "notebook.ipynb", "report.html", SCHOOL_AGE_LEDGER_FILE]
    # Only the published folder: no partial or aside folder is left beside it.
    assert os.listdir(run_dir.parent) == ["2021-10-15"]
    assert sorted(os.listdir(run_dir)) == [
        "county", "index.html", "manifest.json", "丙镇", "乙镇", "甲镇"]


@pytest.mark.slow
def test_manifest_records_the_failing_cell(three_townships):
    params, manifest = three_townships
    run_dir = params.outputs / "示例县" / "2021-10-15"
    failed = manifest.townships[1]
    # Cell 0 is `parameters`; the raise is in cell 1 of the source notebook (papermill's
    # injected-parameters and error-marker cells in the saved notebook are not counted).
    assert failed.error.to_dict() == {"cell_index": 1, "cell_first_line": FAILING_CELL_FIRST_LINE,
                                      "exception": "ValueError", "message": "乙镇的台账有错"}
    on_disk = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest.to_dict()
    assert (on_disk["county"], on_disk["as_of"], on_disk["engine"], on_disk["ok"]) == (
        "示例县", "2021-10-15", "warm", False)
    assert on_disk["params_sha256"] == params.sha256
    assert on_disk["kcbx_version"] == kcbx.__version__
    assert on_disk["townships"][3] == {**on_disk["townships"][3], "name": "county",
                                       "township": None, "dir": "county", "error": None}
    # The executed notebook of the failure still shows the error, for whoever fixes it.
    saved = nbformat.read(run_dir / "乙镇" / "notebook.ipynb", as_version=4)
    errors = [o for c in saved.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.evalue for e in errors] == ["乙镇的台账有错"]


@pytest.mark.parametrize(("tagged", "executed_index", "expected"), [
    (0, 0, 0), (0, 1, None), (0, 2, 1), (1, 0, 0), (1, 3, 2),  # injected after the parameters cell
    (None, 0, None), (None, 2, 1),  # no parameters cell: injected first
])
def test_the_failing_cell_is_indexed_as_in_the_source_notebook(tmp_path, tagged, executed_index, expected):
    from papermill.exceptions import PapermillExecutionError

    from kcbx.runner.engines import NotebookJob
    from kcbx.runner.execute import failure

    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"cell_{i} = {i}") for i in range(4)])
    if tagged is not None:
        source.cells[tagged].metadata["tags"] = ["parameters"]
    nbformat.write(source, tmp_path / "source.ipynb")
    job = NotebookJob(name="甲镇", township="甲镇", input_path=tmp_path / "source.ipynb",
                      output_dir=tmp_path / "甲镇", parameters={"township": "甲镇"}, title="", provenance={})
    error = PapermillExecutionError(executed_index, 3, "\n  # 出错的一格\nx = 1", "KeyError", "'学号'", [])
    assert failure(job, error).to_dict() == {"cell_index": expected, "cell_first_line": "# 出错的一格",
                                             "exception": "KeyError", "message": "'学号'"}
    # Without papermill's error (kernel died, a cell timed out): the exception alone.
    assert failure(job, TimeoutError("cell timed out")).to_dict() == {
        "cell_index": None, "cell_first_line": None, "exception": "TimeoutError", "message": "cell timed out"}


@pytest.mark.slow
def test_the_kernel_is_this_interpreter(three_townships):
    params, _ = three_townships
    kernel_executable = params.outputs / "示例县" / "2021-10-15" / "甲镇" / "kernel.txt"
    assert kernel_executable.read_text(encoding="utf-8") == sys.executable


@pytest.mark.slow
def test_index_and_report_of_the_run(three_townships):
    params, _ = three_townships
    run_dir = params.outputs / "示例县" / "2021-10-15"
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert index.index("全县汇总") < index.index("甲镇")
    assert f'href="{quote("甲镇")}/report.html"' in index
    assert f'href="{quote("乙镇")}/notebook.ipynb"' in index
    assert 'cell 1 &#34;# 写出指标；乙镇的台账有错，在这一格失败&#34;: ValueError: 乙镇的台账有错' in index
    report = (run_dir / "甲镇" / "report.html").read_text(encoding="utf-8")
    assert "甲镇 在校生 120 人" in report  # the cell's result ...
    assert "ENROLLED" not in report  # ... but not the code,
    assert "调试" not in report and "Warning" not in report and "示例警告" not in report  # nor any stream
    # The manifest counts the warning; index.html says so, linking the notebook that holds it.
    entries = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["townships"]
    assert {e["name"]: e["warnings"] for e in entries} == {"甲镇": 1, "乙镇": 0, "丙镇": 1, "county": 1}
    assert f'<a class="kcbx-warning" href="{quote("甲镇")}/notebook.ipynb">有警告（1）</a>' in index
    executed = (run_dir / "甲镇" / "notebook.ipynb").read_text(encoding="utf-8")
    assert "示例警告" in executed and "调试" in executed
    assert "<title>示例县甲镇 控辍保学报告（截至 2021-10-15）</title>" in report


@pytest.mark.slow
def test_history_reads_the_run(three_townships):
    params, _ = three_townships
    history = load_history(params.outputs / "示例县", up_to=AS_OF)
    # County first, then the townships that succeeded (乙镇 failed: it has no metrics).
    assert history["township"].tolist()[1:] == ["甲镇", "丙镇"]
    assert history["township"].isna().tolist() == [True, False, False]
    assert history["enrolled"].tolist() == [295, 120, 95]
    assert history["escalation.5"].tolist() == [1, 1, 1]


@pytest.mark.slow
def test_rerun_replaces_the_as_of_folder_and_removes_leftovers(project, three_townships, tmp_path):
    params = copy_of_project(project, tmp_path)
    county_dir = params.outputs / "示例县"
    leftover = county_dir / f".2021-10-14.partial-{dead_pid()}"  # a run killed yesterday
    leftover.mkdir()
    manifest = run_county(params, AS_OF, ["丙镇"], progress=False,
                          notebooks_dir=params.path.parent.parent / "notebooks")
    assert manifest.ok is True
    assert os.listdir(county_dir) == ["2021-10-15"]
    # The second run covered 丙镇 only: 甲镇 and 乙镇 of the first run are gone.
    assert sorted(os.listdir(county_dir / "2021-10-15")) == [
        "county", "index.html", "manifest.json", "丙镇"]
    on_disk = json.loads((county_dir / "2021-10-15" / "manifest.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in on_disk["townships"]] == ["丙镇", "county"]


@pytest.mark.slow
def test_a_crashed_first_run_leaves_no_as_of_folder(project, tmp_path, monkeypatch):
    params = copy_of_project(project, tmp_path)
    shutil.rmtree(params.outputs, ignore_errors=True)

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash after the notebooks ran")

    monkeypatch.setattr(kcbx.runner.run, "write_index", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_county(params, AS_OF, [], progress=False,
                   notebooks_dir=params.path.parent.parent / "notebooks")
    assert os.listdir(params.outputs / "示例县") == []


@pytest.mark.slow
def test_a_crashed_rerun_keeps_the_previous_run(project, three_townships, tmp_path, monkeypatch):
    params = copy_of_project(project, tmp_path)
    run_dir = params.outputs / "示例县" / "2021-10-15"
    before = (run_dir / "manifest.json").read_text(encoding="utf-8")

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash after the notebooks ran")

    monkeypatch.setattr(kcbx.runner.run, "write_index", crash)
    with pytest.raises(RuntimeError):
        run_county(params, AS_OF, [], progress=False,
                   notebooks_dir=params.path.parent.parent / "notebooks")
    assert os.listdir(run_dir.parent) == ["2021-10-15"]
    assert (run_dir / "manifest.json").read_text(encoding="utf-8") == before
    assert sorted(os.listdir(run_dir / "甲镇")) == [
        "daily.png", "forms.xlsx", "kernel.txt", "metrics.json", "notebook.ipynb", "report.html"]


def test_an_installed_python3_kernelspec_cannot_replace_this_interpreter(tmp_path, monkeypatch):
    # Another Jupyter's "python3" kernelspec, first on the search path (JUPYTER_PATH):
    # a plain KernelSpecManager would start that Python; the runner's kernel manager
    # only knows ipykernel's built-in spec for sys.executable.
    foreign = tmp_path / "kernels" / "python3"
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text(json.dumps(
        {"argv": ["/opt/other/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "Other Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == "/opt/other/bin/python"
    manager = kcbx.runner.kernels.engine.ProjectKernelManager(kernel_name=kcbx.runner.kernels.engine.KERNEL_NAME)
    assert manager.kernel_spec.argv[0] == sys.executable


def test_unknown_engine_and_missing_notebooks_fail_before_anything_is_written(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    shutil.rmtree(params.outputs, ignore_errors=True)
    with pytest.raises(ValueError, match="unknown engine 'dask'"):
        run_county(params, AS_OF, ["甲镇"], engine="dask", notebooks_dir=project / "notebooks")
    with pytest.raises(FileNotFoundError, match="township.ipynb"):
        run_county(params, AS_OF, ["甲镇"], notebooks_dir=tmp_path)
    assert not params.outputs.exists()


# ---------------------------------------------------------------------------------------
# Folder names

@pytest.mark.parametrize(("name", "expected"), [
    ("城厢镇", "城厢镇"),  # a normal name is kept as it is
    ("../evil", "_evil-"),  # "/" -> "_", then the leading dots go
    ("a/b", "a_b-"),
    ("a\\b", "a_b-"),
    (".hidden", "hidden-"),
    ("", "未命名-"),
    ("..", "未命名-"),
    ("county", "county-"),  # the county roll-up's own folder
    ("CON", "CON-"),  # a Windows device name
    ("镇\x00名", "镇_名-"),
])
def test_safe_dirname(name, expected):
    result = safe_dirname(name)
    if expected.endswith("-"):  # changed: an 8-hex-digit hash of the original is appended
        assert result.startswith(expected) and len(result) == len(expected) + 8
    else:
        assert result == expected


def test_safe_dirname_keeps_distinct_names_distinct():
    # "a_b" is a legal name and kept; "a/b" and "a\\b" sanitise to the same text, so the
    # hash of each original tells them apart.
    names = ["a_b", "a/b", "a\\b", "a:b"]
    assert len({safe_dirname(name) for name in names}) == 4


@given(st.text())
def test_safe_dirname_never_leaves_the_folder(name):
    result = safe_dirname(name)
    assert result and result not in (".", "..") and not result.startswith(".")
    assert not set(result) & {"/", "\\", "\x00"}
    root = Path("/srv/outputs")
    assert (root / result).parent == root and len(result.encode("utf-8", "surrogatepass")) < 255


@given(st.text(), st.text())
def test_safe_dirname_is_one_to_one(first, second):
    if first != second:
        assert safe_dirname(first) != safe_dirname(second)


# ---------------------------------------------------------------------------------------
# History from hand-made folders

def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_history_reads_only_complete_runs_up_to_the_date(tmp_path):
    county_dir = tmp_path / "示例县"
    entries = [{"name": "甲镇", "township": "甲镇", "dir": "甲镇", "status": "ok"},
               {"name": "乙镇", "township": "乙镇", "dir": "乙镇", "status": "failed"},
               {"name": "county", "township": None, "dir": "county", "status": "ok"}]
    for day, open_cases in (("2021-10-08", 7), ("2021-10-15", 5), ("2021-10-22", 2)):
        write_json(county_dir / day / "manifest.json", {"townships": entries})
        write_json(county_dir / day / "甲镇" / "metrics.json",
                   {"as_of": day, "township": "甲镇", "cases_open": open_cases,
                    "return_rate": None, "groups": {"poverty": {"cases_open": 1}},
                    "schools_not_reported": ["一小"]})
        write_json(county_dir / day / "county" / "metrics.json",
                   {"as_of": day, "township": None, "cases_open": open_cases + 10})
        # A failed township's stray metrics are not read: the manifest says it failed.
        write_json(county_dir / day / "乙镇" / "metrics.json", {"cases_open": 99})
    # Not runs: a partial folder, a dated folder without manifest, a folder of another name.
    write_json(county_dir / ".2021-10-09.partial-123" / "county" / "metrics.json",
               {"cases_open": 99})
    write_json(county_dir / "2021-10-10" / "county" / "metrics.json", {"cases_open": 99})
    write_json(county_dir / "20211011" / "manifest.json", {"townships": entries})
    # A complete run whose county metrics.json is corrupt: its 甲镇 row still counts.
    write_json(county_dir / "2021-10-01" / "manifest.json", {"townships": entries})
    write_json(county_dir / "2021-10-01" / "甲镇" / "metrics.json", {"cases_open": 9})
    (county_dir / "2021-10-01" / "county" / "metrics.json").parent.mkdir()
    (county_dir / "2021-10-01" / "county" / "metrics.json").write_text("{not json")

    with pytest.warns(UserWarning, match="skipping"):
        history = load_history(county_dir, up_to=dt.date(2021, 10, 15))

    # 10-01: 甲镇 only; 10-08 and 10-15: county (cases + 10) then 甲镇; 10-22 is after up_to.
    assert [d.date().isoformat() for d in history["as_of"]] == [
        "2021-10-01", "2021-10-08", "2021-10-08", "2021-10-15", "2021-10-15"]
    assert history["township"].isna().tolist() == [False, True, False, True, False]
    assert history["cases_open"].tolist() == [9, 17, 7, 15, 5]
    assert history["groups.poverty.cases_open"].fillna(-1).tolist() == [-1, -1, 1, -1, 1]
    assert "schools_not_reported" not in history.columns  # names, no figure: the history keeps none


def test_history_of_a_county_without_runs_is_empty(tmp_path):
    history = load_history(tmp_path / "no such county", up_to=AS_OF)
    assert history.empty and list(history.columns) == ["as_of", "township"]


def test_kernel_manager_skips_the_interrupt_before_shutdown():
    import asyncio

    manager = kcbx.runner.kernels.engine.ProjectKernelManager()
    # No kernel runs: an interrupt that really happens fails loudly …
    with pytest.raises(RuntimeError):
        asyncio.run(manager._async_interrupt_kernel())
    # … but during shutdown none is sent (it only made the kernel log a spurious ERROR).
    manager.shutting_down = True
    assert asyncio.run(manager._async_interrupt_kernel()) is None


# ---------------------------------------------------------------------------------------
# Incremental runs

def _change_one_absence(store: Path, township: str) -> None:
    """One excused absence of a pupil of the township becomes unexcused (a corrected ledger)."""
    import duckdb

    with duckdb.connect(str(store)) as con:
        con.execute(
            "UPDATE absence SET unexcused = true, absence_type = '无故' WHERE (source_file, source_row) = "
            "(SELECT (a.source_file, a.source_row) FROM absence a JOIN roster r USING (person_key) "
            " WHERE r.township = ? AND NOT a.unexcused ORDER BY a.source_file, a.source_row LIMIT 1)",
            [township])


@pytest.mark.slow
def test_unchanged_notebooks_are_reused_and_a_change_renders_only_its_township(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    notebooks = params.path.parent.parent / "notebooks"
    towns = ["城厢镇", "坡荷乡"]  # townships of the demo county's store

    def statuses(manifest):
        return {t.name: t.status for t in manifest.townships}

    first = run_county(params, AS_OF, towns, progress=False, notebooks_dir=notebooks)
    assert statuses(first) == {"城厢镇": "ok", "坡荷乡": "ok", "county": "ok"}
    # Neither township had a report of this day yet (the copied outputs may hold the county's).
    assert {t.name: t.rendered_because for t in first.townships if t.township} == {
        "城厢镇": ("first",), "坡荷乡": ("first",)}

    again = run_county(params, AS_OF, towns, progress=False, notebooks_dir=notebooks)
    assert statuses(again) == {"城厢镇": "reused", "坡荷乡": "reused", "county": "reused"}
    assert [t.fingerprint for t in again.townships] == [t.fingerprint for t in first.townships]
    assert again.run_fingerprint == first.run_fingerprint and again.ok
    run_dir = params.outputs / "示例县" / "2021-10-15"
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert index.count("沿用 reused") == 3 and first.townships[0].fingerprint[:12] in index
    assert (run_dir / "坡荷乡" / "metrics.json").is_file()
    assert (run_dir / "坡荷乡" / "daily.png").read_bytes() == b"toy card"  # a reused report keeps its card

    ledger = run_dir / "county" / SCHOOL_AGE_LEDGER_FILE
    written = ledger.stat().st_ino
    _change_one_absence(params.store, "城厢镇")
    changed = run_county(params, AS_OF, towns, progress=False, notebooks_dir=notebooks)
    assert statuses(changed) == {"城厢镇": "ok", "坡荷乡": "reused", "county": "ok"}
    # Why each was rendered again: the township's absence rows; the county's whole store, and
    # its earlier runs (the first run of this day is one of them now).
    because = {t.name: t.rendered_because for t in changed.townships}
    assert because == {"城厢镇": ("absence",), "坡荷乡": None, "county": ("store", "history")}
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert "重新生成：缺勤台账有变化" in index and "重新生成：台账有变化、往期结果有变化" in index
    reused = next(t for t in changed.townships if t.name == "坡荷乡")
    assert reused.inputs == next(t for t in first.townships if t.name == "坡荷乡").inputs
    assert changed.store_sha256 != first.store_sha256
    # An absence changes no school-age child: the county keeps the ledger it had (the same file).
    assert ledger.stat().st_ino == written
    assert 'href="county/%E9%80%82' in (run_dir / "index.html").read_text(encoding="utf-8")

    forced = run_county(params, AS_OF, towns, progress=False, notebooks_dir=notebooks, force=True)
    assert statuses(forced) == {"城厢镇": "ok", "坡荷乡": "ok", "county": "ok"}
    assert "按要求重新生成（--force）" in (run_dir / "index.html").read_text(encoding="utf-8")
    assert ledger.stat().st_ino != written  # --force renders everything again
    on_disk = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert [t["fingerprint"] for t in on_disk["townships"]] == [t.fingerprint for t in forced.townships]
    assert all(t["worker"] for t in on_disk["townships"])


# ---------------------------------------------------------------------------------------
# Faults: a re-run never makes things worse; nothing to run; a killed run

def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.slow
def test_a_township_failing_in_a_rerun_keeps_its_previous_report(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    notebooks = params.path.parent.parent / "notebooks"
    towns = ["城厢镇", "坡荷乡"]
    first = run_county(params, AS_OF, towns, progress=False, notebooks_dir=notebooks)
    run_dir = params.outputs / "示例县" / "2021-10-15"
    report_before = (run_dir / "城厢镇" / "report.html").read_bytes()
    # The township notebook now fails for 城厢镇 (say, a disk filled up half way).
    source = nbformat.read(notebooks / "township.ipynb", as_version=4)
    source.cells[1].source += "\nif township == '城厢镇':\n    raise OSError(28, 'No space left on device')"
    nbformat.write(source, notebooks / "township.ipynb")

    again = run_county(params, AS_OF, towns, progress=False, notebooks_dir=notebooks)
    status = {t.name: t.status for t in again.townships}
    assert status == {"城厢镇": "kept", "坡荷乡": "ok", "county": "ok"} and not again.ok
    kept = again.townships[0]
    assert kept.error.message == "[Errno 28] No space left on device"
    assert kept.fingerprint == first.townships[0].fingerprint  # of the report in the folder
    # The kept report is the previous one, marked old (kcbx.runner.kept).
    kept_page = (run_dir / "城厢镇" / "report.html").read_text(encoding="utf-8")
    assert kept_page.replace(kept_page[kept_page.index('<div id="kcbx-banner"'):
                                       kept_page.index("</div>", kept_page.index('<div id="kcbx-banner"')) + 7],
                             "").encode("utf-8") == report_before
    assert "本报告为上次结果" in kept_page and "本次运行失败，原因：OSError: [Errno 28] No space left on device" in kept_page
    assert (run_dir / "城厢镇" / "notebook.failed.ipynb").is_file()
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert "上次结果（本次失败）" in index and "No space left on device" in index
    history = load_history(params.outputs / "示例县", up_to=AS_OF)
    assert set(history["township"].dropna()) == {"城厢镇", "坡荷乡"}


def test_a_run_killed_between_its_renames_restores_the_published_folder(tmp_path):
    county_dir = tmp_path / "示例县"
    aside = county_dir / f".2021-10-15.old-{dead_pid()}"  # renamed aside; the new one never came
    (aside / "城厢镇").mkdir(parents=True)
    (aside / "manifest.json").write_text("{}")
    partial = county_dir / f".2021-10-16.partial-{dead_pid()}"
    partial.mkdir()
    assert kcbx.runner.run.remove_stale_folders(county_dir) == [partial]
    assert sorted(os.listdir(county_dir)) == ["2021-10-15"]
    assert (county_dir / "2021-10-15" / "manifest.json").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs util-linux setpriv")
def test_a_read_only_previous_run_leaves_no_hidden_folder(project, three_townships, tmp_path):
    params = copy_of_project(project, tmp_path)
    county_dir = params.outputs / "示例县"
    (county_dir / "2021-10-15" / "甲镇").chmod(0o555)  # someone made it read-only
    code = ("import datetime as dt, sys\nfrom pathlib import Path\nfrom kcbx.params import load_params\n"
            "from kcbx.runner.run import run_county\n"
            "m = run_county(load_params(sys.argv[1]), dt.date(2021, 10, 15), ['丙镇'], progress=False,\n"
            "               notebooks_dir=Path(sys.argv[2]))\nprint(m.ok)")
    # Root ignores file modes; without CAP_DAC_OVERRIDE it is refused like anyone else.
    done = subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--",
                           sys.executable, "-c", code, str(params.path),
                           str(params.path.parent.parent / "notebooks")],
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
    assert sorted(os.listdir(county_dir)) == ["2021-10-15"]


def test_an_as_of_outside_the_term_has_nothing_to_run(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    shutil.rmtree(params.outputs, ignore_errors=True)
    for day in (dt.date(2021, 8, 31), dt.date(2027, 3, 1)):
        with pytest.raises(kcbx.runner.run.NothingToRun, match="outside the term 2021-09-01 – 2022-01-14"):
            run_county(params, day, ["甲镇"], notebooks_dir=project / "notebooks")
    assert not params.outputs.exists()


def test_trends_ignore_runs_of_another_term(tmp_path):
    for day in ("2021-06-30", "2021-10-15"):
        run_dir = tmp_path / day
        (run_dir / "county").mkdir(parents=True)
        (run_dir / "manifest.json").write_text(json.dumps(
            {"townships": [{"name": "county", "township": None, "dir": "county", "status": "ok"}]}))
        (run_dir / "county" / "metrics.json").write_text(json.dumps({"enrolled": 1}))
    history = load_history(tmp_path, up_to=AS_OF, since=dt.date(2021, 9, 1))
    assert history["as_of"].dt.strftime("%Y-%m-%d").tolist() == ["2021-10-15"]


@pytest.mark.slow
def test_a_killed_run_leaves_no_worker_or_kernel_behind(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    notebooks = params.path.parent.parent / "notebooks"
    run = start_hanging_run(params.path, notebooks)
    deadline = time.monotonic() + 120
    while len(_descendants(run.pid)) < 4 and time.monotonic() < deadline:  # 2 workers, 2 kernels
        time.sleep(0.5)
    left = _descendants(run.pid)
    assert len(left) >= 4
    run.kill()
    run.wait()
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") for pid in left) and time.monotonic() < deadline:
        time.sleep(0.5)
    alive = [pid for pid in left if os.path.exists(f"/proc/{pid}")
             and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == []


def _workers_and_kernels(pids: set[int]) -> set[int]:
    """Those of pids that are a run's worker processes or kernels, and alive."""
    found = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                zombie = stat.read().rsplit(")", 1)[1].split()[0] == "Z"
            with open(f"/proc/{pid}/cmdline") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if not zombie and ("multiprocessing.spawn" in command or "ipykernel_launcher" in command):
            found.add(pid)
    return found


def test_a_finished_run_has_shut_its_workers_and_kernels_down(project, tmp_path):
    # The pool's workers skip their interpreter's teardown (os._exit): that must come after
    # their kernels are shut down, not leave kernels to notice alone that their worker died.
    params = copy_of_project(project, tmp_path)
    earlier = _workers_and_kernels(_descendants(os.getpid()))  # another test's warm kernel
    seen: set[int] = set()
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            seen.update(_workers_and_kernels(_descendants(os.getpid())) - earlier)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        manifest = run_county(params, dt.date(2021, 10, 15), ["甲镇"], progress=False, force=True)
    finally:
        watching.set()
        watcher.join()
    assert manifest.ok
    assert len(seen) >= 4  # 2 workers, 2 kernels
    assert _workers_and_kernels(seen) == set()


def test_the_cli_says_nothing_to_run_outside_the_term(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    done = subprocess.run([sys.executable, "-m", "kcbx.cli", "run", "--params", str(params.path),
                           "--as-of", "2021-08-31", "--quiet"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3
    # The notebooks' and kcbx.explore's line (kcbx.notebook.out_of_term_message), with the day to use.
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"kcbx run: as_of 2021-08-31 不在学期 2021-09-01 至 2022-01-14 内（参数文件 {params.path}）")


@pytest.mark.slow
def test_a_full_disk_ends_in_one_line_and_the_previous_run_stays(project, three_townships, tmp_path):
    params = copy_of_project(project, tmp_path)
    run_dir = params.outputs / "示例县" / "2021-10-15"
    before = {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()}
    # Python ignores SIGXFSZ: past 150 blocks a write fails with EFBIG ("File too large").
    done = subprocess.run(
        ["bash", "-c", f'ulimit -f 150; exec "{sys.executable}" -m kcbx.cli run --params '
                       f'"{params.path}" --as-of 2021-10-15 --quiet --force --township 丙镇'],
        capture_output=True, text=True, timeout=300, cwd=params.path.parent.parent)
    assert done.returncode == 6, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kcbx run: File too large: ") and "Traceback" not in done.stderr
    assert {path: path.read_bytes() for path in run_dir.rglob("*") if path.is_file()} == before
    assert sorted(os.listdir(run_dir.parent)) == ["2021-10-15"]


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs util-linux setpriv")
def test_an_outputs_folder_that_cannot_be_written_ends_in_one_line(project, tmp_path):
    params = copy_of_project(project, tmp_path)
    shutil.rmtree(params.outputs, ignore_errors=True)
    params.outputs.mkdir()
    params.outputs.chmod(0o555)
    done = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", sys.executable,
         "-m", "kcbx.cli", "run", "--params", str(params.path), "--as-of", "2021-10-15", "--quiet"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 6
    assert done.stderr.strip() == f"kcbx run: Permission denied: {params.outputs / '示例县'}"


@pytest.mark.slow
def test_an_odd_county_name_has_one_folder_for_the_run_the_cli_and_the_trends(project, tmp_path):
    import pickle

    from kcbx.runner.prepare import CountyPreparation

    params = copy_of_project(project, tmp_path)
    params.path.write_text(params.path.read_text(encoding="utf-8").replace(
        "county: 示例县", "county: '../示例/县'"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kcbx.cli", "run", "--params", str(params.path),
                           "--as-of", "2021-10-15", "--quiet", "--township", "城厢镇"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = Path(done.stdout.strip().rsplit(": ", 1)[1])
    assert printed.is_file() and printed.parent.parent.parent == params.outputs
    later = CountyPreparation(load_params(params.path), dt.date(2021, 10, 22), ["城厢镇"],
                              tmp_path / "slices", township_notebook_sha256="t",
                              county_notebook_sha256="c")
    county = pickle.loads(next(later.slices()).write().read_bytes())  # the county's comes first
    assert county.history["as_of"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2021-10-15"]


def previous_run(*entries: dict) -> PreviousRun:
    return PreviousRun(Path("unused"), "run", True, tuple(e["name"] for e in entries),
                       {e["name"]: e for e in entries})


def test_why_a_report_is_rendered_again():
    inputs = {"program": "p", "notebook": "n", "params": "x", "absence": "a2", "roster": "r"}
    earlier = {"name": "甲镇", "status": "ok", "inputs": {**inputs, "absence": "a1"}}
    assert why_rendered(previous_run(earlier), "甲镇", inputs) == ("absence",)
    assert why_rendered(previous_run(earlier), "乙镇", inputs) == ("first",)
    assert why_rendered(None, "甲镇", inputs) == ("first",)
    assert why_rendered(previous_run(earlier), "甲镇", inputs, forced=True) == ("forced",)
    # A new kcbx: the program changed too; an input the earlier run had and this one has not counts.
    newer = {**inputs, "program": "q"}
    assert why_rendered(previous_run(earlier), "甲镇", newer) == ("program", "absence")
    gone = {k: v for k, v in inputs.items() if k != "roster"}
    assert why_rendered(previous_run({**earlier, "inputs": inputs}), "甲镇", gone) == ("roster",)
    # A report kept from a failed run, and a manifest of an older kcbx with no inputs recorded.
    kept = {**earlier, "status": "kept"}
    assert why_rendered(previous_run(kept), "甲镇", inputs) == ("failed_before", "absence")
    assert why_rendered(previous_run({"name": "甲镇", "status": "ok"}), "甲镇", inputs) == ("unrecorded",)


def test_why_in_words():
    assert rendered_because_words(("absence",)) == "重新生成：缺勤台账有变化"
    assert rendered_because_words(("program", "cases")) == "重新生成：程序更新、劝返台账有变化"
    assert rendered_because_words(("first",)) == "首次生成"
    assert rendered_because_words(("forced",)) == "按要求重新生成（--force）"
    assert rendered_because_words(None) == ""
