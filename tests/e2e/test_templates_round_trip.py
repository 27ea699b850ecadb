"""kcbx templates, filled in as a school and a village would, read back exactly.

The demo county's 城厢镇 templates are written by the command, filled with openpyxl (typed
values, one date typed as text, one dropdown value typed over its validation, one line of
several days by its 天数), put in the ledger folder as they come back, ingested, and the
township opened again: every filled value is in the figures, and the wrong value is a
rejected row naming the file, sheet and row.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kcbx import cli, notebook, schema
from kcbx.report.templates_xlsx import (
    ABSENCE_FILE,
    ABSENCE_SHEET,
    CASES_FILE,
    CASES_SHEET,
    VERIFICATION_FILE,
    VERIFICATION_SHEET,
    template_file,
    templates_dir,
)
from support.demo_county import county, ingested_demo  # noqa: F401  (fixtures)

AS_OF = "2021-10-15"
DAY = dt.date(2021, 10, 15)
TOWNSHIP = "城厢镇"
HEADER_ROW = 3  # as Excel shows it: a title, a line of guidance, the header


def write_templates(params) -> Path:
    assert cli.main(["templates", "--params", str(params.path), "--as-of", AS_OF, "--township", TOWNSHIP]) == 0
    return templates_dir(params, DAY) / TOWNSHIP


def columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[HEADER_ROW] if cell.value}


def lines(sheet) -> list[dict]:
    """The template's lines below the header, as {header: value, "row": Excel row}."""
    at = columns(sheet)
    return [{"row": row, **{header: sheet.cell(row, col).value for header, col in at.items()}}
            for row in range(HEADER_ROW + 1, sheet.max_row + 1)]


def fill(sheet, row: int, **values) -> None:
    at = columns(sheet)
    for header, value in values.items():
        sheet.cell(row, at[header]).value = value


def ingest_and_open(params, returned: list[tuple[str, Path]]):
    """Put the returned files in the ledger folder ((kind folder, file) each), ingest, open 城厢镇."""
    for kind_folder, path in returned:
        target = params.ledgers / kind_folder / "回收" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    assert cli.main(["ingest", "--params", str(params.path), "--quiet"]) == 0
    return notebook.open_township(params, TOWNSHIP, AS_OF)


@pytest.mark.slow
def test_absence_and_case_templates_filled_in_reach_the_figures(county):
    before = notebook.open_township(county, TOWNSHIP, AS_OF)
    folder = write_templates(county)
    school = "城厢镇中心小学"
    absence_path = folder / school / template_file(school, ABSENCE_FILE)
    workbook = openpyxl.load_workbook(absence_path)
    sheet = workbook[ABSENCE_SHEET]
    rows = lines(sheet)
    zero, pupils = rows[0], [r for r in rows[1:] if r["身份证号"]]
    assert (zero["序号"], zero["姓名"], zero["学校"], zero["日期"]) == ("零报告", "无缺勤", school, None)
    assert len(pupils) == len(before.roster.query("school == @school and status == '在读'").drop_duplicates("person_key"))
    absent = set(before.day_absences["person_key"])
    a, b, c = [p for p in pupils if p["身份证号"] not in absent][:3]
    fill(sheet, a["row"], 日期=dt.datetime(2021, 10, 15), 缺勤类型="无故", 备注="家长说在家帮忙")
    fill(sheet, b["row"], 日期="2021/10/15", 缺勤类型="病假")  # a date typed as text
    fill(sheet, c["row"], 日期=dt.datetime(2021, 10, 15), 缺勤类型="生病")  # typed over the dropdown
    # A pupil with no absence this term, 旷课 Wednesday 13 to Friday 15 October: one line, 天数 3.
    ever_absent = set(notebook.tables_of(county)["absence"]["person_key"])
    d = next(p for p in pupils if p["身份证号"] not in ever_absent | {a["身份证号"], b["身份证号"], c["身份证号"]})
    fill(sheet, d["row"], 日期=dt.datetime(2021, 10, 13), 缺勤类型="旷课", 天数=3)
    # The 零报告 line of another school, whose file says it had nobody absent that day.
    other = "城厢镇龙福小学"
    zero_path = folder / other / template_file(other, ABSENCE_FILE)
    other_book = openpyxl.load_workbook(zero_path)
    fill(other_book[ABSENCE_SHEET], HEADER_ROW + 1, 日期=dt.datetime(2021, 10, 15))

    # An open case of 城厢镇初级中学: a home visit on the day.
    case_school = "城厢镇初级中学"
    cases_path = folder / case_school / template_file(case_school, CASES_FILE)
    cases_book = openpyxl.load_workbook(cases_path)
    case_lines = [r for r in lines(cases_book[CASES_SHEET]) if r["姓名"]]
    open_cases = before.cases.query("state == 'open' and school == @case_school")
    assert sorted(r["身份证号"] for r in case_lines) == sorted(open_cases["person_key"])
    visited = case_lines[0]
    case = open_cases.set_index("person_key").loc[visited["身份证号"]]
    fill(cases_book[CASES_SHEET], visited["row"], 日期=dt.datetime(2021, 10, 15), 事件="家访", 劝返方式="感召",
         教育线责任人="李老师")

    returned = []
    for book, path, kind_folder in ((workbook, absence_path, "absence"), (other_book, zero_path, "absence"),
                                    (cases_book, cases_path, "劝返")):
        filled = path.with_name("filled-" + path.name)
        book.save(filled)
        returned.append((kind_folder, filled))
    after = ingest_and_open(county, returned)

    # 无故 on 15 Oct: one more unexcused absentee today, with the note (and the 3-day 旷课 pupil: two
    # more); 病假 (text date) is absent today.
    assert after.metrics["absent_unexcused_today"] == before.metrics["absent_unexcused_today"] + 2
    today = after.absent_today.set_index("person_key")
    assert today.loc[a["身份证号"], "note"] == "家长说在家帮忙"
    types = after.day_absences.set_index("person_key")["absence_type"]
    assert (types[a["身份证号"]], types[b["身份证号"]]) == ("无故", "病假")
    assert c["身份证号"] not in set(after.day_absences["person_key"])
    # 天数 3: three absence days, 13–15 October, of the one line; a streak of 3 school days, which
    # reaches the ladder's second rung (escalation 3) and not the third.
    stored = notebook.tables_of(county)["absence"]
    days = stored[(stored["person_key"] == d["身份证号"]) & stored["source_file"].str.contains("filled-")]
    assert [(day.date().isoformat(), row) for day, row in zip(days["date"], days["source_row"])] == [
        ("2021-10-13", d["row"]), ("2021-10-14", d["row"]), ("2021-10-15", d["row"])]
    streak = after.streaks.set_index("person_key").loc[d["身份证号"]]
    assert (streak["streak"], streak["streak_start"]) == (3, pd.Timestamp("2021-10-13"))
    assert after.metrics["escalation"]["3"] == before.metrics["escalation"]["3"] + 1
    assert after.metrics["escalation"]["5"] == before.metrics["escalation"]["5"]
    # The wrong dropdown value: a rejected row naming the file, the sheet, the row and the cell.
    rejected = after.rejected[after.rejected["file"].str.endswith(f"filled-{absence_path.name}")]
    assert rejected[["sheet", "row", "column", "value", "reason"]].to_dict("records") == [
        {"sheet": ABSENCE_SHEET, "row": c["row"], "column": "缺勤类型", "value": "生病", "reason": "未知缺勤类型"}]
    assert after.metrics["rows_rejected"] == before.metrics["rows_rejected"] + 1
    # The 零报告: that school reported the day (it may have had absence rows too).
    assert other in after.metrics["schools_reported"]
    assert other not in after.metrics["schools_not_reported"]
    zero_reports = notebook.tables_of(county)[schema.ZERO_REPORTS]
    assert len(zero_reports[(zero_reports["school"] == other) & (zero_reports["date"] == "2021-10-15")
                            & zero_reports["source_file"].str.contains("filled-")]) == 1
    # The home visit: one more attempt on the case, with its method and owner.
    after_case = after.cases.set_index("case_id").loc[case["case_id"]]
    assert after_case["attempts"] == case["attempts"] + 1
    assert after_case["state"] == "open"
    visit = after.case_events[after.case_events["source_file"].str.contains("filled-")]
    assert visit[["person_key", "event", "method", "edu_owner"]].to_dict("records") == [
        {"person_key": visited["身份证号"], "event": "家访", "method": "感召", "edu_owner": "李老师"}]
    # Nobody else was touched: the other lines, left blank, are no rows (a line of 3 days is one row read).
    assert after.metrics["rows_read"] == before.metrics["rows_read"] + 4 + 1 + 1


@pytest.mark.slow
def test_verification_return_filled_in_leaves_the_suspected_list(county):
    before = notebook.open_township(county, TOWNSHIP, AS_OF)
    folder = write_templates(county)
    path = folder / template_file(TOWNSHIP, VERIFICATION_FILE)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[VERIFICATION_SHEET]
    children = lines(sheet)
    # each child under the header ingest keys them by: 身份证号, or 学籍号 for a child without an ID
    assert sorted(r["身份证号"] or r["学籍号"] for r in children) == sorted(before.out_of_school["person_key"])
    assert all(bool(r["身份证号"]) != bool(r["学籍号"]) for r in children)
    assert all(r["列入原因"] for r in children)
    away, confirmed, wrong = children[:3]
    fill(sheet, away["row"], 核查结果="在外地就读", 佐证="南宁市滨湖路小学，学籍号 G450103201001010011",
         核查人="村委 韦明", 核查日期=dt.datetime(2021, 10, 14))
    fill(sheet, confirmed["row"], 核查结果="确认失学", 核查人="村委 韦明", 核查日期="2021年10月14日")  # text date
    fill(sheet, wrong["row"], 核查结果="打工去了", 佐证="电话", 核查人="村委 韦明", 核查日期=dt.datetime(2021, 10, 14))
    filled = path.with_name("filled-" + path.name)
    workbook.save(filled)
    after = ingest_and_open(county, [("核查", filled)])

    # 在外地就读 with a school in 佐证 leaves the list; 确认失学 stays; the wrong result is rejected.
    assert after.metrics["out_of_school_suspected"] == before.metrics["out_of_school_suspected"] - 1
    # (the demo's own 城厢镇 回执 has verified one 在外地就读 child already)
    assert after.metrics["suspected_verified"].get("在外地就读") == \
        before.metrics["suspected_verified"].get("在外地就读", 0) + 1
    assert away["身份证号"] not in set(after.out_of_school["id_number"])
    assert confirmed["身份证号"] in set(after.out_of_school["id_number"])
    rejected = after.rejected[after.rejected["file"].str.endswith(filled.name)]
    assert rejected[["sheet", "row", "column", "value"]].to_dict("records") == [
        {"sheet": VERIFICATION_SHEET, "row": wrong["row"], "column": "核查结果", "value": "打工去了"}]
    assert rejected["reason"].iloc[0].startswith("未知核查结果")
