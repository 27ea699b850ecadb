"""A township's 学校/ folder of per-school forms through the runner: reused with its report,
marked old in a kept report, private when published, linked from index.html."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pandas as pd

from kcbx.outputs import (
    FORMS_FILE,
    METRICS_FILE,
    NOTEBOOK_FILE,
    REPORT_FILE,
    SCHOOL_FORMS_DIR,
    school_forms_file,
)
from kcbx.report.excel import Column, SignOff, TableSheet, write_workbook
from kcbx.runner.index import render_index
from kcbx.runner.kept import KEPT_LINE_START, mark_kept
from kcbx.runner.private import mode_of, set_published_modes
from kcbx.runner.reuse import reuse_folder
from kcbx.util.files import Access

SCHOOLS = ("城关小学", "城关中学")


def school_workbook(path: Path, school: str) -> None:
    rows = pd.DataFrame({"school": [school], "enrolled": [2]})
    write_workbook(path, [TableSheet("附件1 统计表", "附件1 测试县统计表",
                                     [Column("学校", "school"), Column("在读学生(人)", "enrolled", kind="int")],
                                     rows, signoff=SignOff(unit=school))])


def township_report(folder: Path) -> Path:
    """A township's finished report folder: its four files and two schools' workbooks."""
    folder.mkdir(parents=True)
    for name in (NOTEBOOK_FILE, REPORT_FILE, METRICS_FILE):
        (folder / name).write_text("{}", encoding="utf-8")
    school_workbook(folder / FORMS_FILE, "城关镇")
    (folder / SCHOOL_FORMS_DIR).mkdir()
    for school in SCHOOLS:
        school_workbook(folder / SCHOOL_FORMS_DIR / school_forms_file(school), school)
    return folder


def test_a_reused_report_keeps_its_school_forms_and_nothing_hidden(tmp_path):
    previous = township_report(tmp_path / "before" / "城关镇")
    (previous / SCHOOL_FORMS_DIR / ".城关小学.xlsx.123.tmp").write_bytes(b"a killed writer's leftover")
    target = tmp_path / "now" / "城关镇"
    assert reuse_folder(previous, target)
    assert sorted(path.name for path in (target / SCHOOL_FORMS_DIR).iterdir()) == ["城关中学.xlsx", "城关小学.xlsx"]
    for school in SCHOOLS:
        copied = target / SCHOOL_FORMS_DIR / school_forms_file(school)
        assert copied.read_bytes() == (previous / SCHOOL_FORMS_DIR / school_forms_file(school)).read_bytes()


def test_a_kept_report_says_on_every_school_form_that_it_is_old(tmp_path):
    folder = township_report(tmp_path / "城关镇")
    mark_kept(folder, "2021-10-15T16:02:09+08:00", "KeyError: 'x'")
    for school in SCHOOLS:
        sheet = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / school_forms_file(school))["附件1 统计表"]
        assert sheet["A1"].value == "本报告为上次结果（10月15日 16:02 生成）：本次运行失败，原因：KeyError: 'x'"
        assert sheet["A2"].value == "附件1 测试县统计表"  # the form itself moved down one row
    # Marked again by a second failure: still one line, rewritten.
    mark_kept(folder, "2021-10-15T16:02:09+08:00", "ValueError: y")
    sheet = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / "城关小学.xlsx")["附件1 统计表"]
    assert sheet["A1"].value.startswith(KEPT_LINE_START) and sheet["A1"].value.endswith("ValueError: y")
    assert sheet["A2"].value == "附件1 测试县统计表"


def test_published_school_forms_are_private_in_a_listable_folder(tmp_path):
    run = tmp_path / "run"
    township_report(run / "城关镇")
    os.chmod(run / "城关镇" / SCHOOL_FORMS_DIR / "城关小学.xlsx", 0o644)  # as a careless umask would
    set_published_modes(run, Access())
    assert mode_of(run / "城关镇" / SCHOOL_FORMS_DIR) == 0o755
    for school in SCHOOLS:
        assert mode_of(run / "城关镇" / SCHOOL_FORMS_DIR / school_forms_file(school)) == 0o600


def test_the_index_links_a_township_school_forms_with_their_count(tmp_path):
    township_report(tmp_path / "城关镇")
    (tmp_path / "河西乡").mkdir()  # a report without per-school forms (made by an older kcbx)
    entries = [{"name": name, "township": township, "dir": name, "status": status, "seconds": 1.0,
                "error": None if status == "ok" else {"exception": "KeyError", "message": "x"}}
               for name, township, status in (("城关镇", "城关镇", "ok"), ("河西乡", "河西乡", "ok"),
                                              ("county", None, "ok"))]
    manifest = {"county": "测试县", "as_of": "2021-10-15", "started_at": "2021-10-15T16:40:05+08:00",
                "finished_at": "2021-10-15T16:41:07+08:00", "seconds": 62.0, "kcbx_version": "0.1.0",
                "params_path": "params/test.yaml", "params_sha256": "ab" * 32, "engine": "papermill",
                "workers": 2, "ok": True, "townships": entries}
    page = render_index(manifest, tmp_path)
    href = f'{quote("城关镇")}/{quote(SCHOOL_FORMS_DIR)}/'
    assert f'<a href="{href}">各校表格（2所）</a>' in page
    assert page.count("各校表格") == 1  # not 河西乡's, not the county's
