"""forms.xlsx: the official forms' shape, and no ledger text turned into a formula."""

from __future__ import annotations

import datetime as dt
import gc
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcbx.report.excel import (
    FORM_FIELDS,
    Column,
    FormSheet,
    PupilForm,
    SignOff,
    TableSheet,
    _column_cells,
    _texts,
    _write_cell,
    _write_value,
    history_from_case_events,
    plain_number,
    write_workbook,
)

FORMULA_LIKE = ["=1+1", "@SUM(A1)", "+1", "-1+2", '=HYPERLINK("http://x")']

COLUMNS = [
    Column("学校", "school"),
    Column("姓名", "name"),
    Column("身份证号", "id_number"),
    Column("在校生", "enrolled", group="人数", kind="int"),
    Column("辍学", "dropouts", group="人数", kind="int"),
    Column("巩固率", "retention", kind="percent"),
    Column("登记日期", "date", kind="date"),
]


def statistics_sheet(rows: pd.DataFrame) -> TableSheet:
    return TableSheet("附件1", "附件1 控辍保学统计表", COLUMNS, rows,
                      subtitle="示例县 城厢镇 截至 2021-09-30", notes="说明：人数为在读学生。")


def one_row(**changes) -> dict:
    row = {"school": "城厢镇中心小学", "name": "张三", "id_number": "45262620100101123X",
           "enrolled": 300, "dropouts": 1, "retention": 0.985,
           "date": pd.Timestamp("2021-09-01")}
    return {**row, **changes}


@pytest.fixture
def statistics(tmp_path):
    rows = pd.DataFrame([one_row()] + [one_row(name=value, school=value, id_number=value)
                                       for value in FORMULA_LIKE])
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [statistics_sheet(rows)])
    return path


def test_table_sheet_layout(statistics):
    sheet = openpyxl.load_workbook(statistics)["附件1"]
    # Row 1 title and row 2 subtitle span the 7 columns A–G.
    assert sheet["A1"].value == "附件1 控辍保学统计表"
    assert sheet["A2"].value == "示例县 城厢镇 截至 2021-09-30"
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert {"A1:G1", "A2:G2"} <= merged
    # Header rows 3–4: 人数 spans D3:E3 above 在校生 and 辍学; ungrouped headers merge down.
    assert "D3:E3" in merged and sheet["D3"].value == "人数"
    assert (sheet["D4"].value, sheet["E4"].value) == ("在校生", "辍学")
    assert {"A3:A4", "B3:B4", "C3:C4", "F3:F4", "G3:G4"} <= merged
    # Data start on row 5: panes frozen there, header rows printed on every page.
    assert sheet.freeze_panes == "A5"
    assert sheet.print_title_rows == "$1:$4"  # title, subtitle and header
    # 94 width units (6 pt each, 564 pt) are too wide for A4 portrait's 538 pt: landscape.
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToHeight == 0  # as many pages tall as needed
    assert sheet.page_setup.fitToWidth in (None, 1)  # one page wide (1 is the default)
    # 1 + 5 data rows on rows 5–10, then the note on row 11, merged across.
    assert sheet["A11"].value == "说明：人数为在读学生。" and "A11:G11" in merged


def test_ids_and_formula_like_text_stay_text(statistics):
    sheet = openpyxl.load_workbook(statistics)["附件1"]
    id_cell = sheet["C5"]
    assert (id_cell.value, id_cell.data_type) == ("45262620100101123X", "s")
    for row, value in enumerate(FORMULA_LIKE, start=6):
        for column in "ABC":
            cell = sheet[f"{column}{row}"]
            assert (cell.value, cell.data_type) == (value, "s")
    # And no formula anywhere in the file.
    with zipfile.ZipFile(statistics) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_numbers_and_dates_are_typed(statistics):
    sheet = openpyxl.load_workbook(statistics)["附件1"]
    assert (sheet["D5"].value, sheet["D5"].data_type) == (300, "n")
    assert sheet["F5"].value == pytest.approx(0.985)
    assert sheet["F5"].number_format == "0.0%"
    assert sheet["G5"].is_date
    assert sheet["G5"].value == dt.datetime(2021, 9, 1)
    assert sheet["G5"].number_format == "yyyy-mm-dd"


def test_missing_values_are_blank_cells(tmp_path):
    rows = pd.DataFrame([one_row(name=None, enrolled=None, retention=float("nan"), date=pd.NaT)])
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [statistics_sheet(rows)])
    sheet = openpyxl.load_workbook(path)["附件1"]
    assert [sheet[f"{c}5"].value for c in "BDFG"] == [None, None, None, None]


def test_text_in_a_number_column_is_written_as_text(tmp_path):
    rows = pd.DataFrame([one_row(enrolled="=2*3")])
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [statistics_sheet(rows)])
    cell = openpyxl.load_workbook(path)["附件1"]["D5"]
    assert (cell.value, cell.data_type) == ("=2*3", "s")


def test_widths_count_chinese_characters_double_and_are_capped(tmp_path):
    rows = pd.DataFrame({"school": ["那坡县城厢镇中心小学"], "note": ["备注" * 40],
                         "code": ["AB12"], "grade": [7]})
    columns = [Column("学校", "school"), Column("备注", "note"),
               Column("代码", "code"), Column("年级", "grade", kind="int", width=5)]
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [TableSheet("附件3", "附件3 登记汇总表", columns, rows)])
    widths = openpyxl.load_workbook(path)["附件3"].column_dimensions
    # xlsxwriter stores a width w as w + 0.71 (the cell padding in pixels).
    assert widths["A"].width == pytest.approx(22.71, abs=0.01)  # 10 CJK chars = 20, + 2 padding
    assert widths["B"].width == pytest.approx(40.71, abs=0.01)  # 160 wide: capped at 40
    assert widths["C"].width == pytest.approx(6.71, abs=0.01)   # header 代码 = 4 > "AB12" = 4; + 2
    assert widths["D"].width == pytest.approx(5.71, abs=0.01)   # the Column's own width


def test_without_groups_the_header_is_one_row(tmp_path):
    columns = [Column("学校", "school"), Column("在校生", "enrolled", kind="int")]
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [TableSheet("附件3", "附件3 登记汇总表", columns,
                                     pd.DataFrame([one_row()]))])
    sheet = openpyxl.load_workbook(path)["附件3"]
    # Title on row 1, no subtitle, header on row 2, data from row 3.
    assert [sheet["A2"].value, sheet["B2"].value] == ["学校", "在校生"]
    assert sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$1:$2"
    assert sheet["B3"].value == 300


def test_a_missing_column_is_named(tmp_path):
    with pytest.raises(KeyError, match="id_number"):
        write_workbook(tmp_path / "forms.xlsx",
                       [statistics_sheet(pd.DataFrame([one_row()]).drop(columns="id_number"))])


# --- 附件2: one form per pupil ---------------------------------------------------------------

CASE_EVENTS = pd.DataFrame(
    {
        "date": pd.to_datetime(["2021-09-10", "2021-09-03", "2021-09-10"]),
        "event": ["劝返", "登记", "家访"],
        "admin_owner": ["李乡长", None, "李乡长"],
        "edu_owner": ["王老师", "王老师", None],
        "method": ["感召", None, None],
        "placement": [None, None, None],
        "note": ["家长同意返校", "", "=cmd|' /C calc'!A0"],
    }
)


def test_history_from_case_events():
    history = history_from_case_events(CASE_EVENTS)
    # Sorted by date; the two 10 Sep events keep file order (劝返 before 家访).
    assert history["event"].tolist() == ["登记", "劝返", "家访"]
    assert history["owner"].tolist() == ["王老师", "李乡长；王老师", "李乡长"]
    assert history["result"].tolist() == ["", "感召；家长同意返校", "=cmd|' /C calc'!A0"]


def dropout_forms(tmp_path):
    first = PupilForm(
        {"姓名": "张三", "性别": "男", "身份证号": "45262620100101123X", "学校": "城厢镇中学",
         "辍学(离校)时间": dt.date(2021, 9, 3), "家庭住址": "城厢镇那布村12号", "联系电话": "13812341234"},
        history_from_case_events(CASE_EVENTS),
    )
    second = PupilForm({"姓名": "李四", "原因分析": "=1+1"})
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [FormSheet("附件2", "附件2 辍学学生登记表", [first, second],
                                    subtitle="示例县 城厢镇")])
    return openpyxl.load_workbook(path)["附件2"]


def test_one_form_per_pupil_with_a_page_break_between(tmp_path):
    sheet = dropout_forms(tmp_path)
    # Form 1: title row 1, subtitle row 2, the 12 lines of fields on rows 3–14,
    # 劝返记录 on row 15, its header on row 16, 3 events on rows 17–19.
    # Form 2 starts on row 20, so the one page break falls after row 19.
    titles = [row for row in range(1, sheet.max_row + 1)
              if sheet.cell(row, 1).value == "附件2 辍学学生登记表"]
    assert titles == [1, 20]
    assert [brk.id for brk in sheet.row_breaks.brk] == [19]
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr is None or not sheet.sheet_properties.pageSetUpPr.fitToPage


def test_form_fields_are_labelled_and_typed(tmp_path):
    sheet = dropout_forms(tmp_path)
    assert [sheet["A3"].value, sheet["B3"].value, sheet["C3"].value, sheet["D3"].value] == \
        ["姓名", "张三", "性别", "男"]
    id_cell = sheet["B4"]
    assert (id_cell.value, id_cell.data_type) == ("45262620100101123X", "s")
    assert sheet["A8"].value == "辍学(离校)时间"
    assert sheet["B8"].value == dt.datetime(2021, 9, 3) and sheet["B8"].is_date
    # 家庭住址 (row 7) is a full-width line: its value spans B–D.
    assert sheet["A7"].value == "家庭住址" and sheet["B7"].value == "城厢镇那布村12号"
    assert "B7:D7" in {str(r) for r in sheet.merged_cells.ranges}
    # Every label of the form appears once in form 1 (rows 3–14).
    labels = [sheet.cell(row, col).value for row in range(3, 15) for col in (1, 3)]
    assert [label for label in labels if label] == list(FORM_FIELDS)


def test_form_history_rows_and_formula_safety(tmp_path):
    sheet = dropout_forms(tmp_path)
    assert [sheet.cell(16, col).value for col in range(1, 5)] == ["日期", "事件", "责任人", "结果/备注"]
    assert [sheet.cell(row, 2).value for row in (17, 18, 19)] == ["登记", "劝返", "家访"]
    assert sheet["A17"].value == dt.datetime(2021, 9, 3)
    assert (sheet["D19"].value, sheet["D19"].data_type) == ("=cmd|' /C calc'!A0", "s")
    # Form 2 (from row 20): 原因分析 on its 7th line of fields, row 20 + 2 + 6 = 28.
    assert sheet["A28"].value == "原因分析"
    assert (sheet["B28"].value, sheet["B28"].data_type) == ("=1+1", "s")
    # No events: 3 blank bordered lines for handwriting, rows 36–38, after 劝返记录 (34) and header (35).
    assert sheet["A34"].value == "劝返记录"
    assert all(sheet.cell(row, 1).border.left.style == "thin" for row in (36, 37, 38))
    assert sheet.max_row == 38


def test_unknown_form_field_is_refused():
    with pytest.raises(ValueError, match="身份证"):
        PupilForm({"身份证": "45262620100101123X"})


def test_an_empty_form_sheet_says_so(tmp_path):
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [FormSheet("附件2", "附件2 辍学学生登记表", [])])
    sheet = openpyxl.load_workbook(path)["附件2"]
    assert sheet["A1"].value == "附件2 辍学学生登记表"
    assert sheet["A2"].value == "（本期无辍学学生）"


# --- atomic write ---------------------------------------------------------------------------


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "forms.xlsx"
    path.write_bytes(b"old")
    write_workbook(path, [statistics_sheet(pd.DataFrame([one_row()]))])
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir()] == ["forms.xlsx"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "forms.xlsx"
    path.write_bytes(b"old")
    good = statistics_sheet(pd.DataFrame([one_row()]))
    bad = TableSheet("附件[3]", "附件3", COLUMNS, pd.DataFrame([one_row()]))  # [] not allowed
    with pytest.raises(Exception, match="附件"):
        write_workbook(path, [good, bad])
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["forms.xlsx"]


@pytest.mark.parametrize("fails", [False, True])
def test_the_garbage_collector_runs_again_after_a_write(tmp_path, fails):
    # write_workbook pauses the collector while it writes: a failed write must not leave it off.
    sheet = statistics_sheet(pd.DataFrame([one_row()]))
    if fails:
        sheet = TableSheet("附件[3]", "附件3", COLUMNS, pd.DataFrame([one_row()]))  # [] not allowed
    assert gc.isenabled()
    try:
        write_workbook(tmp_path / "forms.xlsx", [sheet])
    except Exception:
        assert fails
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(tmp_path):
    gc.disable()
    try:
        write_workbook(tmp_path / "forms.xlsx", [statistics_sheet(pd.DataFrame([one_row()]))])
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- sign-off block, and figures that keep their 角 ---------------------------------------------


def test_a_signed_table_ends_with_the_sign_off_line(tmp_path):
    path = tmp_path / "forms.xlsx"
    signoff = SignOff(unit="示例县教育局", preparer="=1+1", phone=None, date=dt.date(2021, 10, 15))
    write_workbook(path, [TableSheet("附件1", "附件1 统计表", COLUMNS, pd.DataFrame([one_row()]),
                                     notes="说明。", signoff=signoff)])
    sheet = openpyxl.load_workbook(path)["附件1"]
    # Title row 1, header rows 2–3, data row 4, the note on row 5, a blank row, then the
    # sign-off across the sheet on row 7; a field not given is a line to write on, and
    # ledger-like text stays text.
    assert sheet["A5"].value == "说明。" and sheet["A6"].value is None
    assert (sheet["A7"].value, sheet["A7"].data_type) == (
        "填报单位（盖章）：示例县教育局　　填报人：=1+1　　联系电话：__________　　填报日期：2021-10-15", "s")
    assert "A7:G7" in {str(r) for r in sheet.merged_cells.ranges}


def test_every_pupil_form_is_signed(tmp_path):
    path = tmp_path / "forms.xlsx"
    forms = [PupilForm({"姓名": "张三"}), PupilForm({"姓名": "李四"})]
    write_workbook(path, [FormSheet("附件2", "附件2 辍学学生登记表", forms, signoff=SignOff())])
    sheet = openpyxl.load_workbook(path)["附件2"]
    # Each form: title, 12 lines, 劝返记录, its header, 3 blank lines (rows 1–18), sign-off on row 19.
    signed = [row for row in range(1, sheet.max_row + 1)
              if str(sheet.cell(row, 1).value).startswith("填报单位（盖章）：__________")]
    assert signed == [19, 38]
    assert [brk.id for brk in sheet.row_breaks.brk] == [19]  # the sign-off stays on its form's page


def test_yuan_and_hours_keep_their_decimals_and_lose_a_spurious_zero(tmp_path):
    assert [plain_number(v) for v in (687.5, 6.0, 312.456, -0.001, 60)] == ["687.5", "6", "312.46", "0", "60"]
    assert plain_number(6000.0, thousands=True) == "6,000" and plain_number(1312.5, thousands=True) == "1,312.5"
    path = tmp_path / "forms.xlsx"
    rows = pd.DataFrame({"amount": [687.5, 6.0, 312.456]})
    write_workbook(path, [TableSheet("资助", "资助", [Column("金额(元)", "amount", kind="float")], rows)])
    sheet = openpyxl.load_workbook(path)["资助"]
    cells = [sheet.cell(row, 1) for row in (3, 4, 5)]
    # "General": 687.5 shows as 687.5 (not 687.50 or 688), 6 as 6; values rounded to the 分.
    assert [cell.value for cell in cells] == [687.5, 6, 312.46]
    assert {cell.number_format for cell in cells} == {"General"}


# --- a column written at once is its values written one by one --------------------------------


class RecordingSheet:
    """Records a worksheet's typed writes (method, row, col, value, style): what a cell gets."""

    def __init__(self) -> None:
        self.writes: list[tuple] = []

    def __getattr__(self, method):
        if method not in ("write_blank", "write_string", "write_number", "write_datetime"):
            raise AttributeError(method)
        return lambda row, col, value, style: self.writes.append((method, row, col, value, style))


LEDGER_VALUES = st.one_of(
    st.none(), st.just(float("nan")), st.just(pd.NaT), st.text(max_size=6), st.booleans(),
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 12, 31)))


@given(values=st.lists(LEDGER_VALUES, max_size=12) | st.lists(st.text(max_size=6), max_size=12),
       kind=st.sampled_from(["text", "int", "float", "date", "percent"]),
       dtype=st.sampled_from([object, "string"]))
def test_a_column_is_written_as_its_values_one_by_one(values, kind, dtype):
    # _column_cells tests the whole column for missing values at once; _write_value, the
    # brute force, tests each value: the same cells, and the texts are those written as text.
    if dtype == "string" and not all(value is None or isinstance(value, str) for value in values):
        dtype = object
    column = pd.Series(values, dtype=dtype)
    at_once, one_by_one = RecordingSheet(), RecordingSheet()
    cells = _column_cells(column, kind)
    for row, cell in enumerate(cells, start=3):
        _write_cell(at_once, row, 2, cell, "style")
    texts = _texts(cells)
    for row, value in enumerate(column.tolist(), start=3):
        _write_value(one_by_one, row, 2, value, kind, "style")
    assert at_once.writes == one_by_one.writes
    assert texts == {value for method, *_, value, _ in one_by_one.writes if method == "write_string"}
