"""The templates schools fill in: ingest's own headers, locked and validated cells, text that
stays text, private files; an unfilled template is no rows, a filled line exactly one."""

from __future__ import annotations

import datetime as dt
import stat

import openpyxl
import pandas as pd
import pytest

from kcbx import schema
from kcbx.calendar import school_days
from kcbx.ingest.ledgers import folder, headers, normalize, read
from kcbx.ingest.ledgers.school_days import TermDays
from kcbx.report import templates_xlsx as tx

DAYS = tx.DateRange(dt.date(2021, 9, 1), dt.date(2022, 1, 14))
ID_X = "45102620100101018X"  # checksum valid, ends in X
ID_2 = "451026201001010032"
SCHOOL = "城厢镇中心小学"


def pupils() -> pd.DataFrame:
    return pd.DataFrame({
        "person_key": [ID_X, ID_2], "id_number": [ID_X, ID_2], "student_no": ["G" + ID_X, "G" + ID_2],
        "name": ["=1+1", "李四"], "grade": [3, 1], "class_name": ["2班", "1班"], "status": ["在读", "在读"],
    })


def write(tmp_path, sheet: tx.TemplateSheet, name: str = "t.xlsx"):
    path = tx.write_template(tmp_path / name, sheet, DAYS)
    return path, openpyxl.load_workbook(path)


@pytest.mark.parametrize(("kind", "sheet"), [
    ("absence", tx.absence_sheet(SCHOOL, pupils(), DAYS)),
    ("cases", tx.cases_sheet(SCHOOL, "城厢镇", pd.DataFrame(columns=["opened", "name"]), pd.DataFrame(), DAYS)),
    ("verification", tx.verification_sheet("城厢镇", pd.DataFrame(columns=["village", "name"]), DAYS)),
])
def test_every_header_is_one_ingest_reads_or_knows_to_ignore(kind, sheet):
    vocabulary = read.header_vocabulary(kind)
    read_columns = {vocabulary.column_of(c.header) for c in sheet.columns} - {None}
    ignored = [c.header for c in sheet.columns if vocabulary.column_of(c.header) is None]
    assert all(h in read.SERIAL_HEADERS or headers.is_known_header(h) for h in ignored), ignored
    assert set(headers.REQUIRED[kind]) <= read_columns
    # every input column (what the school fills) is read back
    assert all(vocabulary.column_of(c.header) for c in sheet.columns if not c.given)


def test_absence_template_layout_protection_and_validation(tmp_path):
    path, book = write(tmp_path, tx.absence_sheet(SCHOOL, pupils(), DAYS))
    assert book.sheetnames == [tx.ABSENCE_SHEET, tx.INSTRUCTIONS_SHEET]
    sheet = book[tx.ABSENCE_SHEET]
    header = [c.value for c in sheet[3]]
    assert header == ["序号", "姓名", "年级", "班级", "学籍号", "身份证号", "学校", "日期", "缺勤类型", "天数", "备注"]
    # Row 4 the 零报告 line; then pupils by grade: 李四 (1) before "=1+1" (3), the name as text.
    assert [c.value for c in sheet[4]][:7] == ["零报告", "无缺勤", None, None, None, None, SCHOOL]
    assert [c.value for c in sheet[5]][:7] == ["1", "李四", "一年级", "1班", "G" + ID_2, ID_2, SCHOOL]
    assert sheet["B6"].value == "=1+1" and sheet["B6"].data_type == "s"
    assert sheet["F6"].value == ID_X
    assert sheet.protection.sheet
    assert sheet["A3"].protection.locked and sheet["F5"].protection.locked
    assert not sheet["H5"].protection.locked and not sheet["I5"].protection.locked  # 日期, 缺勤类型
    assert not sheet["J5"].protection.locked and sheet["J5"].number_format == "0"  # 天数: a number
    assert not sheet["H4"].protection.locked and sheet["I4"].protection.locked  # 零报告: its date only
    assert sheet["J4"].protection.locked
    spare = 6 + tx.SPARE_ROWS
    assert sheet.cell(spare, 1).value == "补充" and not sheet.cell(spare, 6).protection.locked
    rules = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    # between (Excel's default operator) the term's first and last day, as serial numbers
    assert (rules["H4:H16"].type, rules["H4:H16"].formula1, rules["H4:H16"].formula2) == ("date", "44440", "44575")
    assert rules["I4:I16"].type == "list" and rules["I4:I16"].formula1 == '"病假,事假,无故,旷课"'
    assert rules["I4:I16"].showErrorMessage
    # 天数: a whole number of school days, 1 to 30, with the help text on the cell
    assert (rules["J4:J16"].type, rules["J4:J16"].formula1, rules["J4:J16"].formula2) == ("whole", "1", "30")
    assert rules["J4:J16"].prompt == "连续缺勤的上学日天数，从「日期」算起；不填为 1 天"
    assert rules["K4:K16"].type == "textLength"
    assert rules["F7:F16"].type == "textLength"  # a spare line's 身份证号
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def read_back(path, kind: str):
    ledger = folder.LedgerFile(kind, path, f"{kind}/{path.name}")
    skipped: list = []
    sheets, findings = read.read_ledger_file(ledger, read.header_vocabulary(kind), skipped)
    return sheets, findings, skipped


def test_unfilled_template_is_no_rows_and_its_instructions_are_skipped(tmp_path):
    path, _ = write(tmp_path, tx.absence_sheet(SCHOOL, pupils(), DAYS))
    sheets, findings, skipped = read_back(path, "absence")
    assert [(s.sheet, len(s.rows)) for s in sheets] == [(tx.ABSENCE_SHEET, 0)]
    # 填表说明 holds one text a row: no header, so it is skipped (and noted, as any such sheet)
    assert skipped == [(tx.INSTRUCTIONS_SHEET, read.REASON_NO_HEADER)]
    assert [(f.sheet, f.finding) for f in findings] == [(tx.INSTRUCTIONS_SHEET, read.REASON_NO_HEADER)]


def test_a_filled_line_is_one_absence_of_that_pupil(tmp_path):
    path, book = write(tmp_path, tx.absence_sheet(SCHOOL, pupils(), DAYS))
    sheet = book[tx.ABSENCE_SHEET]
    sheet["H6"], sheet["I6"] = dt.datetime(2021, 10, 15), "旷课"  # "=1+1", the pupil with the X
    book.save(path)
    (raw,), _, _ = read_back(path, "absence")
    rows = normalize.normalize_sheet(raw, dt.date(2021, 10, 15)).accepted
    assert rows[["date", "person_key", "school", "absence_type", "source_row"]].to_dict("records") == [
        {"date": pd.Timestamp("2021-10-15"), "person_key": ID_X, "school": SCHOOL, "absence_type": "旷课",
         "source_row": 6}]


def test_cases_template_keys_a_child_without_id_by_student_no_and_notes_the_case(tmp_path):
    cases = pd.DataFrame({"case_id": ["c1"], "person_key": ["2021450000123"], "name": ["王五"], "township": ["城厢镇"],
                          "grade": [8], "opened": [pd.Timestamp("2021-09-20")], "cause": ["厌学"],
                          "admin_owner": ["韦副镇长"], "edu_owner": [None]})
    events = pd.DataFrame({"case_id": ["c1", "c1"], "date": pd.to_datetime(["2021-09-20", "2021-10-08"]),
                           "event": ["登记", "家访"]})
    path, book = write(tmp_path, tx.cases_sheet(SCHOOL, "城厢镇", cases, events, DAYS))
    sheet = book[tx.CASES_SHEET]
    at = {c.value: c.column_letter for c in sheet[3]}
    assert (sheet[f"{at['身份证号']}4"].value, sheet[f"{at['学籍号']}4"].value) == (None, "2021450000123")
    assert sheet[f"{at['年级']}4"].value == "八年级"
    assert sheet[f"{at['姓名']}4"].comment.text == "立案：2021-09-20\n辍学原因：厌学\n责任人：韦副镇长\n最近：2021-10-08 家访"
    grade_rule = next(dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith(at["年级"]))
    assert (grade_rule.type, grade_rule.formula1) == ("list", '"一年级,二年级,三年级,四年级,五年级,六年级,七年级,八年级,九年级"')
    events_rule = next(dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith(at["事件"]))
    assert events_rule.formula1 == '"' + ",".join(schema.CASE_EVENTS) + '"'
    sheets, findings, _ = read_back(path, "cases")
    assert len(sheets[0].rows) == 0 and [f.sheet for f in findings] == [tx.INSTRUCTIONS_SHEET]


TERM = TermDays(DAYS.first, DAYS.last, tuple(d.date() for d in school_days(DAYS.first, DAYS.last)))


def test_a_line_with_days_is_that_many_school_days_of_the_pupil(tmp_path):
    path, book = write(tmp_path, tx.absence_sheet(SCHOOL, pupils(), DAYS))
    sheet = book[tx.ABSENCE_SHEET]
    at = {c.value: c.column_letter for c in sheet[3]}
    # 30 Sept 2021, 3 days: 国庆 skipped, Saturday 9 October a make-up school day (调休)
    sheet[f"{at['日期']}6"], sheet[f"{at['缺勤类型']}6"], sheet[f"{at['天数']}6"] = dt.datetime(2021, 9, 30), "无故", 3
    sheet[f"{at['日期']}5"], sheet[f"{at['缺勤类型']}5"] = dt.datetime(2021, 10, 15), "病假"  # 天数 blank: 1 day
    book.save(path)
    (raw,), _, _ = read_back(path, "absence")
    result = normalize.normalize_sheet(raw, dt.date(2021, 10, 15), TERM)
    assert result.accepted[["date", "person_key", "source_row"]].to_dict("records") == [
        {"date": pd.Timestamp("2021-10-15"), "person_key": ID_2, "source_row": 5},
        {"date": pd.Timestamp("2021-09-30"), "person_key": ID_X, "source_row": 6},
        {"date": pd.Timestamp("2021-10-08"), "person_key": ID_X, "source_row": 6},
        {"date": pd.Timestamp("2021-10-09"), "person_key": ID_X, "source_row": 6}]
    assert (result.rows_read, result.rows_accepted) == (2, 2)


def test_an_untouched_absence_template_counts_its_pupils_lines_as_unfilled(tmp_path):
    path, _ = write(tmp_path, tx.absence_sheet(SCHOOL, pupils(), DAYS))
    (raw,), _, _ = read_back(path, "absence")
    assert (len(raw.rows), raw.unfilled) == (0, 2)  # the two pupils; not the 零报告 line, not the spare lines


def test_verification_template_keys_a_child_without_id_by_student_no_and_reads_back(tmp_path):
    student_no = "2021450000123"  # no ID: the 学籍号 is the person key
    children = pd.DataFrame({
        "person_key": [student_no, ID_2], "id_number": [None, ID_2], "name": ["王五", "李四"],
        "gender": ["男", "女"], "birth_date": [pd.Timestamp("2012-05-01"), pd.Timestamp("2010-01-01")],
        "township": ["城厢镇", "城厢镇"], "village": ["一村", "二村"], "guardian": ["王父", "李母"],
        "phone": ["13800138000", None], "reason": ["无在读学籍", "无在读学籍"]})
    path, book = write(tmp_path, tx.verification_sheet("城厢镇", children, DAYS))
    sheet = book[tx.VERIFICATION_SHEET]
    at = {c.value: c.column_letter for c in sheet[3]}
    assert [(sheet[f"{at['身份证号']}{r}"].value, sheet[f"{at['学籍号']}{r}"].value) for r in (4, 5)] == [
        (None, student_no), (ID_2, None)]
    for row in (4, 5):
        sheet[f"{at['核查结果']}{row}"], sheet[f"{at['佐证']}{row}"] = "在外地就读", "南宁市滨湖路小学"
        sheet[f"{at['核查日期']}{row}"] = dt.datetime(2021, 10, 14)
    book.save(path)
    (raw,), _, _ = read_back(path, "verification")
    result = normalize.normalize_sheet(raw, dt.date(2021, 10, 15))
    assert result.rejected.empty
    assert result.accepted[["person_key", "student_no", "id_number", "result"]].to_dict("records") == [
        {"person_key": student_no, "student_no": student_no, "id_number": None, "result": "在外地就读"},
        {"person_key": ID_2, "student_no": None, "id_number": ID_2, "result": "在外地就读"}]
