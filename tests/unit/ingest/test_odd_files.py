"""Odd ledger files: each is read, or named in a clear error.

Real files of each shape are built in tmp_path and ingested through
kcbx.ingest.county.ingest_folder: rows read = accepted + rejected per file, the
problem row or cell named with file, sheet, row and a Chinese reason, the other
rows accepted.
"""

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from kcbx.ingest.county import ingest_folder
from kcbx.params import load_params
from kcbx.store import tables as store
from support.builders import ID_A, ID_B, TODAY, counts

EXCEL_LIMIT = 32_767
HEADER = ["日期", "身份证号", "学校", "缺勤类型", "备注"]


@pytest.fixture
def county(tmp_path):
    """A county whose only ledger folder is 缺勤 (absence); each test puts its file there."""
    (tmp_path / "ledgers" / "缺勤").mkdir(parents=True)
    params = tmp_path / "t.yaml"
    params.write_text("county: 测试县\nledgers: ledgers\nstore: build/t.duckdb\n"
                      "term: {start: 2021-09-01, end: 2022-01-14}\n", encoding="utf-8")
    return load_params(params)


def absence_file(county, name):
    return county.ledgers / "缺勤" / name


def csv_text(rows):
    return "\n".join(",".join(row) for row in [HEADER, *rows]) + "\n"


def ingest(county):
    report = ingest_folder(county, today=TODAY)
    tables = store.load_tables(county.store)
    for f in report.files:
        assert f.rows_read == f.rows_accepted + f.rows_rejected, f.file
    return report, tables


def findings_of(tables, file):
    found = tables["findings"]
    found = found[found["file"] == file]
    return list(zip(found["sheet"], found["row"].astype("Int64"), found["finding"]))


def test_a_1_mb_csv_cell_rejects_only_its_row(county):
    path = absence_file(county, "9月.csv")
    path.write_text(csv_text([["2021-09-01", ID_A, "一小", "病假", ""],
                              ["2021-09-02", ID_A, "一小", "事假", "长" * 2 ** 20],
                              ["2021-09-03", ID_B, "一小", "无故", ""]]), encoding="utf-8")
    report, tables = ingest(county)
    assert report.ok
    assert counts(report) == {"缺勤/9月.csv": (3, 2, 1)}
    assert list(tables["absence"]["source_row"]) == [2, 4]
    rejected = tables["rejected_rows"].iloc[0]
    assert (rejected["file"], rejected["sheet"], rejected["row"], rejected["column"]) == ("缺勤/9月.csv", "", 3, "备注")
    assert rejected["reason"] == "单元格过长（超过 Excel 的 32,767 字符上限）"
    assert rejected["value"] == "长" * 50 + "…（共 1,048,576 个字符）"  # not the megabyte itself


def test_a_formula_without_cached_value_is_a_finding_naming_the_cell(county):
    path = absence_file(county, "9月.xlsx")
    workbook = openpyxl.Workbook()  # openpyxl writes formulas and never calculates them
    sheet = workbook.active
    sheet.title = "九月"
    sheet.append(["九月缺勤登记"])
    sheet.append(HEADER)
    sheet.append(["2021-09-01", ID_A, "一小", "病假", "发烧"])
    sheet.append(["2021-09-02", ID_B, "一小", "事假", '=IF(A4="","","回家")'])
    sheet.append(["2021-09-03", ID_B, "一小", "无故", "=E4"])
    sheet.append(["合计", "=COUNTA(B3:B5)"])  # not a data row: no finding
    workbook.save(path)
    report, tables = ingest(county)
    assert counts(report) == {"缺勤/9月.xlsx": (3, 3, 0)}
    assert list(tables["absence"]["note"]) == ["发烧", None, None]
    assert findings_of(tables, "缺勤/9月.xlsx") == [
        ("九月", 4, "E4 等 2 个单元格（列「备注」）是公式但没有计算结果（请在 Excel 中打开并保存后重报）")]


def test_a_formula_with_a_cached_value_is_read_without_a_finding(county):
    path = absence_file(county, "9月.xlsx")
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("九月")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["2021-09-01", ID_A, "一小", "病假"])
    sheet.write_formula(1, 4, '="回"&"家"', None, "回家")  # the value Excel would have stored
    workbook.close()
    report, tables = ingest(county)
    assert counts(report) == {"缺勤/9月.xlsx": (1, 1, 0)}
    assert list(tables["absence"]["note"]) == ["回家"]
    assert findings_of(tables, "缺勤/9月.xlsx") == []


def test_text_of_exactly_32767_characters_may_be_cut(county):
    path = absence_file(county, "9月.xlsx")
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("九月")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["2021-09-01", ID_A, "一小", "病假", "短"])
    sheet.write_row(2, 0, ["2021-09-02", ID_B, "一小", "事假", "长" * EXCEL_LIMIT])
    workbook.close()
    report, tables = ingest(county)
    assert counts(report) == {"缺勤/9月.xlsx": (2, 2, 0)}
    assert findings_of(tables, "缺勤/9月.xlsx") == [
        ("九月", 3, "文本可能被截断（列「备注」正好 32,767 个字符，是 Excel 单元格的上限）")]


def test_a_csv_named_xlsx_is_read_as_csv_with_a_finding(county):
    path = absence_file(county, "9月.xlsx")
    path.write_bytes(csv_text([["2021-09-01", ID_A, "一小", "病假", ""],
                               ["2021-09-02", ID_B, "一小", "旷课", ""]]).encode("gbk"))
    report, tables = ingest(county)
    assert report.ok
    assert counts(report) == {"缺勤/9月.xlsx": (2, 2, 0)}
    assert findings_of(tables, "缺勤/9月.xlsx") == [
        ("", pd.NA, "文件名是 .xlsx，内容却是 CSV 文本：已按 CSV 文本读取（请把文件改名为 .csv）")]


def test_a_workbook_named_csv_is_read_as_a_workbook_with_a_finding(county):
    path = absence_file(county, "9月.csv")
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("九月")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["2021-09-01", ID_A, "一小", "病假"])
    workbook.close()
    report, tables = ingest(county)
    assert counts(report) == {"缺勤/9月.csv": (1, 1, 0)}
    assert findings_of(tables, "缺勤/9月.csv") == [
        ("", pd.NA, "文件名是 .csv，内容却是 Excel 工作簿：已按 Excel 工作簿读取（请把文件改名为 .xlsx）")]


@pytest.mark.parametrize(("content", "error"), [
    (b"%PDF-1.4\n\x00\x01\x02 binary", "内容既不是 Excel 工作簿也不是 CSV 文本，无法读取（请另存为 .xlsx 或 .csv 后重报）"),
    (b"<html><body><table><tr><td>\xe6\x97\xa5\xe6\x9c\x9f</td></tr></table></body></html>",
     "内容是网页或 XML（不是 Excel 工作簿）：请在 Excel 中打开后另存为 .xlsx"),
    (b"", "文件是空的（0 字节）"),
])
def test_a_file_that_is_neither_is_named_in_a_clear_error(county, content, error):
    absence_file(county, "9月.xls").write_bytes(content)
    absence_file(county, "10月.csv").write_text(csv_text([["2021-10-08", ID_A, "一小", "病假", ""]]),
                                                encoding="utf-8")
    report, _ = ingest(county)
    assert counts(report) == {"缺勤/10月.csv": (1, 1, 0), "缺勤/9月.xls": (0, 0, 0)}
    assert {f.file: f.error for f in report.files} == {"缺勤/10月.csv": None, "缺勤/9月.xls": f"缺勤/9月.xls：{error}"}



def test_a_phone_call_is_a_劝返_action_not_a_rejected_row(county):
    (county.ledgers / "劝返").mkdir()
    (county.ledgers / "劝返" / "案件.csv").write_text(
        "身份证号,姓名,乡镇,学校,年级,日期,事件\n"
        f"{ID_A},甲,城厢镇,一中,8,2021-10-08,疑似辍学登记\n"
        f"{ID_A},甲,城厢镇,一中,8,2021-10-09,电话联系\n"
        f"{ID_A},甲,城厢镇,一中,8,2021-10-11,微信联系\n", encoding="utf-8")
    report = ingest_folder(county, today=TODAY)
    (cases,) = [f for f in report.files if f.kind == "cases"]
    assert (cases.rows_read, cases.rows_accepted, cases.rows_rejected) == (3, 3, 0)
    stored = store.load_tables(county.store, kinds=["cases"])["cases"]
    assert stored["event"].tolist() == ["登记", "劝返", "劝返"]
