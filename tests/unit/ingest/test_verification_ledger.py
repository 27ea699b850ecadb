"""The verification kind (核查, issue 26): a 疑似失学核查回执 read as the township returns it —
the folder's name, the headers, the results' spellings, unfilled lines kept as no check, and a
row rejected for an unknown 核查结果 naming its file, sheet, row and column."""

import datetime as dt

import pandas as pd
import xlsxwriter

from kcbx import schema
from kcbx.ingest.ledgers import folder, normalize, read
from support.builders import ID_A, ID_B, TODAY, resident_id

ID_C = resident_id("20130501")
ID_D = resident_id("20140601")
ID_E = resident_id("20150701")
HEADER = ["序号", "身份证号", "姓名", "性别", "乡镇", "村", "列入原因", "核查结果", "佐证", "核查人", "核查日期"]


def returned_form(path):
    """A 回执 as the township sends it back: a title row, then the header on row 2.

    Row 3  ID_A  外地就读 (the short spelling)  with a school, a date typed as text
    Row 4  ID_B  外出打工 — no such 核查结果: rejected
    Row 5  ID_C  nothing filled in yet: kept, no check
    Row 6  ID_D  确认失学 without 核查日期: rejected
    Row 7  ID_E  a 核查人 and 佐证 but no 核查结果: rejected
    """
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("核查回执")
    sheet.write(0, 0, "甲镇 疑似失学儿童核查回执")
    sheet.write_row(1, 0, HEADER)
    rows = [
        ["1", ID_A, "张一", "男", "甲镇", "东村", "无学籍", "外地就读", "东莞市长安镇中心小学", "李村委", "2021年10月12日"],
        ["2", ID_B, "张二", "女", "甲镇", "东村", "无学籍", "外出打工", "", "李村委", "2021-10-12"],
        ["3", ID_C, "张三", "男", "甲镇", "西村", "无学籍", "", "", "", ""],
        ["4", ID_D, "张四", "女", "甲镇", "西村", "无学籍", "确认失学", "", "王村委", ""],
        ["5", ID_E, "张五", "男", "甲镇", "西村", "无学籍", "", "医院证明", "王村委", ""],
    ]
    for r, values in enumerate(rows, start=2):
        sheet.write_row(r, 0, values)
    workbook.close()


def read_form(tmp_path):
    path = tmp_path / "核查" / "甲镇疑似失学核查回执.xlsx"
    path.parent.mkdir()
    returned_form(path)
    files, _ = folder.find_ledger_files(tmp_path)
    (ledger_file,) = files
    sheets, _ = read.read_ledger_file(ledger_file, read.header_vocabulary(ledger_file.kind))
    return ledger_file, normalize.normalize_sheets(sheets, TODAY)[0]


def test_the_folder_names_the_kind():
    assert schema.KIND_FOLDERS["verification"] == ("verification", "核查")
    assert schema.KIND_LABELS["verification"] == "核查"


def test_a_returned_form_is_read_row_by_row(tmp_path):
    ledger_file, sheet = read_form(tmp_path)
    assert ledger_file.kind == "verification"
    assert sheet.rows_read == 5  # the title row and the header are no data rows
    accepted = sheet.accepted.set_index("source_row")
    assert list(accepted.index) == [3, 5]
    assert accepted.loc[3, ["person_key", "result", "evidence", "checked_by", "village"]].tolist() == [
        ID_A, "在外地就读", "东莞市长安镇中心小学", "李村委", "东村"]
    assert accepted.loc[3, "date"] == pd.Timestamp(dt.date(2021, 10, 12))
    # A line nobody has filled in yet is kept, with no result and no date (no check).
    assert pd.isna(accepted.loc[5, "result"]) and pd.isna(accepted.loc[5, "date"])
    assert list(sheet.accepted.columns) == schema.columns("verification")


def test_an_unknown_result_rejects_its_row_naming_file_sheet_row_and_column(tmp_path):
    _, sheet = read_form(tmp_path)
    rejected = sheet.rejected.set_index("row")
    assert list(rejected.index) == [4, 6, 7]
    unknown = rejected.loc[4]
    assert (unknown["file"], unknown["sheet"], unknown["column"], unknown["value"]) == (
        "核查/甲镇疑似失学核查回执.xlsx", "核查回执", "核查结果", "外出打工")
    assert unknown["reason"].startswith("未知核查结果") and "确认失学" in unknown["reason"]
    assert unknown["id_number"] == ID_B
    # Filled in part: a result without its date, a 佐证 and 核查人 without a result.
    assert rejected.loc[6, ["column", "reason"]].tolist() == ["核查日期", "核查日期为空"]
    assert rejected.loc[7, ["column", "reason"]].tolist() == ["核查结果", "核查结果为空"]


def test_results_as_villages_spell_them():
    spelled = {"在外地就读": "在外地就读", "外地就读": "在外地就读", "缓学": "延缓入学", "免予入学": "免学",
               "户口迁出": "户籍迁出", "迁出": "户籍迁出", "已死亡": "死亡", "确认辍学": "确认失学",
               "其它": "其他", " 休学 ": "休学", "已完成九年义务教育": "已完成义务教育", None: None}
    assert {written: normalize.parse_verification_result(written) for written in spelled} == spelled
