"""Per-school forms of the demo county: every school's 附件1 row is its township's row, figure
for figure, and every case of a township's 附件3 is on exactly one school's 附件3; a run
publishes them (学校/, private workbooks) and index.html links them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from kcbx import notebook
from kcbx.measures.by_school import NO_SCHOOL, TOTAL_LABEL
from kcbx.outputs import FORMS_FILE, SCHOOL_FORMS_DIR, school_forms_file
from kcbx.runner.kept import KEPT_LINE_START
from kcbx.runner.manifest import NotebookError, NotebookRecord, RunStatus
from kcbx.runner.private import mode_of
from kcbx.runner.reuse import PreviousRun
from support.county_run import AS_OF
from support.paths import DEMO_PARAMS  # written and ingested by `make test`


def table_rows(sheet) -> list[tuple]:
    """The data rows of a table sheet: those its autofilter covers below the header."""
    _col, header_last, _last_col, last_row = range_boundaries(sheet.auto_filter.ref)
    return [tuple(cell.value for cell in row)
            for row in sheet.iter_rows(min_row=header_last + 1, max_row=last_row)]


@pytest.mark.slow
def test_every_school_of_the_demo_county_adds_up_to_its_township_rows(tmp_path):
    townships = notebook.townships(DEMO_PARAMS, AS_OF)
    assert len(townships) == 6
    schools_seen = 0
    for township in townships:
        folder = tmp_path / township
        written = notebook.write_outputs(notebook.open_township(DEMO_PARAMS, township, AS_OF), folder)
        assert folder / SCHOOL_FORMS_DIR in written
        forms = openpyxl.load_workbook(folder / FORMS_FILE)
        rows = table_rows(forms["附件1 统计表"])
        schools = [row[1] for row in rows if row[0] != TOTAL_LABEL and row[1] != NO_SCHOOL]
        files = sorted(path.name for path in (folder / SCHOOL_FORMS_DIR).iterdir())
        assert files == sorted(school_forms_file(school) for school in schools), township
        case_lines = 0
        for school in schools:
            book = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / school_forms_file(school))
            assert table_rows(book["附件1 统计表"]) == [row for row in rows if row[1] == school], school
            case_lines += len(table_rows(book["附件3 登记汇总表"]))
        # Each case of the township's 附件3 is on its school's 附件3: the lines add up.
        assert case_lines == len(table_rows(forms["附件3 登记汇总表"])), township
        schools_seen += len(schools)
    assert schools_seen == 20  # the demo county's schools: 4 + 3 + 3 + 3 + 3 + 4


@pytest.mark.slow
def test_the_run_publishes_private_school_forms_and_links_them(county_run):
    root, townships = county_run
    folder = Path(root) / "outputs" / "示例县" / AS_OF
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    index = (folder / "index.html").read_text(encoding="utf-8")
    dirs = {entry["township"]: entry["dir"] for entry in manifest["townships"]}
    assert not (folder / dirs[None] / SCHOOL_FORMS_DIR).exists()  # the county sums the townships
    for township in townships:
        schools = folder / dirs[township] / SCHOOL_FORMS_DIR
        workbooks = sorted(schools.iterdir())
        assert workbooks and mode_of(schools) == 0o755, township
        assert all(mode_of(path) == 0o600 for path in workbooks), township
        link = f'<a href="{quote(dirs[township])}/{quote(SCHOOL_FORMS_DIR)}/">各校表格（{len(workbooks)}所）</a>'
        assert link in index, township


@pytest.mark.slow
def test_a_kept_report_marks_every_school_form_old_and_leaves_the_previous_ones(county_run, tmp_path):
    root, townships = county_run
    published = tmp_path / AS_OF
    shutil.copytree(Path(root) / "outputs" / "示例县" / AS_OF, published)
    previous = PreviousRun.read(published)
    entry = previous.records[townships[0]]
    staged = tmp_path / "staged" / entry["dir"]
    staged.mkdir(parents=True)
    failed = NotebookRecord(name=townships[0], township=townships[0], dir=entry["dir"],
                            status=RunStatus.FAILED, seconds=1.0,
                            error=NotebookError(3, "write_outputs(a, output_dir)", "KeyError", "'x'"))
    assert previous.keep(failed, staged).status == RunStatus.KEPT
    workbooks = sorted((staged / SCHOOL_FORMS_DIR).iterdir())
    assert [path.name for path in workbooks] == sorted(
        path.name for path in (published / entry["dir"] / SCHOOL_FORMS_DIR).iterdir())
    for path in workbooks:
        for sheet in openpyxl.load_workbook(path).worksheets:
            assert sheet["A1"].value.startswith(KEPT_LINE_START), (path.name, sheet.title)
            assert sheet["A1"].value.endswith("原因：KeyError: 'x'"), (path.name, sheet.title)
        # The previous run's workbook (a hard link of the staged one before) is untouched.
        before = openpyxl.load_workbook(published / entry["dir"] / SCHOOL_FORMS_DIR / path.name)
        assert not str(before.worksheets[0]["A1"].value).startswith(KEPT_LINE_START)
