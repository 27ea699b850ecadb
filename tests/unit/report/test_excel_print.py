"""forms.xlsx on paper: each sheet's paper, scale and print titles, and rows tall enough for
their wrapped text, worked out by hand from kcbx.report.excel's measures.

The measures: a width unit prints 6 pt; A4 portrait has 595.3 − 2 × 28.8 = 537.7 pt across,
A4 landscape 784.3, A3 landscape 1133.0; A4 portrait 841.9 − 2 × 43.2 = 755.5 pt down. A
display-width character (half a CJK one) of 10 pt text takes 0.95 units, a cell loses 0.5
units to padding, and a line is 1.45 × the font size high, plus 3 pt.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from kcbx.report.excel import (
    A3,
    A4,
    FORM_WIDTHS,
    Column,
    FormSheet,
    PageSetup,
    PupilForm,
    SignOff,
    TableSheet,
    form_page_setup,
    table_page_setup,
    text_height,
    wrapped_lines,
    write_line_above_every_sheet,
    write_workbook,
)

OWNERS = "潘文军（平孟村支书）；陈凤英（班主任）"  # 19 CJK and full-width characters: 38 wide


def test_lines_of_wrapped_text():
    # 一…十 is 20 wide: 19 units. In 10 units (9.5 of room) that is exactly 2 lines; in 20 one.
    assert wrapped_lines("一二三四五六七八九十", 10) == 2
    assert wrapped_lines("一二三四五六七八九十", 20) == 1
    # The 责任人 column of a form is 14 wide: 38 × 0.95 = 36.1 units over 13.5 is 2.7 → 3 lines.
    assert wrapped_lines(OWNERS, FORM_WIDTHS[2]) == 3
    # A line break starts a line of its own; at 20 pt a character takes twice the room.
    assert wrapped_lines("甲\n乙", 40) == 2
    assert wrapped_lines("一二三四五六七八九十", 20, font_size=20) == 2
    # 3 lines of 10 pt: 3 × 14.5 + 3 = 46.5 pt.
    assert text_height(OWNERS, FORM_WIDTHS[2]) == pytest.approx(46.5)


@pytest.mark.parametrize(("units", "expected"), [
    (80, PageSetup(A4, False, 100, fit_to_width=True)),   # 480 pt ≤ 537.7: A4 portrait
    (120, PageSetup(A4, True, 100, fit_to_width=True)),   # 720 pt: A4 landscape, whole
    (150, PageSetup(A4, True, 87, fit_to_width=True)),    # 900 pt: 784.3 / 900 = 87 %
    (180, PageSetup(A3, True, 100, fit_to_width=True)),   # 1080 pt: 72 % on A4 is below 75: A3
    (300, PageSetup(A3, True, 62, fit_to_width=True)),    # 1800 pt: 1133 / 1800 = 62.9 %
])
def test_paper_follows_the_width(units, expected):
    assert table_page_setup([units / 10] * 10) == expected


def test_a_sheet_too_wide_for_a3_prints_in_two_parts():
    # A key column of 20 and 38 columns of 10: 400 units, 2400 pt, 47 % on A3 — below 60.
    # At 60 % a part may take 1133 / 0.6 = 1888 pt, the key column's 120 pt included: two
    # parts. Even: 19 columns each, the second from column 1 + 19 = 20; the widest part is
    # 20 + 190 = 210 units, 1260 pt: 1133 / 1260 = 89.9 %.
    widths = [20.0] + [10.0] * 38
    assert table_page_setup(widths, key_columns=1) == \
        PageSetup(A3, True, 89, fit_to_width=False, column_breaks=(20,), key_columns=1)
    # A group header over columns 19–21 cannot be cut: the break goes to 19, the first part
    # (columns 1–18) 180 wide and the second (19–38) 200; 220 units with the key, 1320 pt, 85 %.
    breakable = [col not in (20, 21) for col in range(len(widths))]
    assert table_page_setup(widths, key_columns=1, breakable=breakable).column_breaks == (19,)
    assert table_page_setup(widths, key_columns=1, breakable=breakable).scale == 85


def test_a_form_page_fits_its_tallest_form():
    # 88 units are 528 pt, within A4 portrait's 537.7; a form 900 pt tall gets 755.5 / 900 = 83 %.
    assert form_page_setup(FORM_WIDTHS, 900) == PageSetup(A4, False, 83, fit_to_width=False)
    assert form_page_setup(FORM_WIDTHS, 700).scale == 100


def wide_sheet() -> TableSheet:
    """姓名 is the third column: the first three say whom a row is about. 3 + 38 columns."""
    columns = [Column("序号", "index", width=6), Column("乡镇", "town", width=10),
               Column("姓名", "name", width=10)]
    columns += [Column(f"项{n}", f"c{n}", width=10) for n in range(38)]
    row = {"index": 1, "town": "城厢镇", "name": "张三", **{f"c{n}": "是" for n in range(38)}}
    return TableSheet("附件3", "附件3 辍学学生登记汇总表", columns, pd.DataFrame([row, row]),
                      subtitle="示例县 城厢镇", notes="说明：一行一名学生。", signoff=SignOff())


def test_a_wide_sheet_repeats_its_key_columns_on_both_parts(tmp_path):
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [wide_sheet()])
    sheet = openpyxl.load_workbook(path)["附件3"]
    # 406 units, 2436 pt: too wide for A3 at 60 %. The key (序号 乡镇 姓名, 26 units, 156 pt)
    # leaves 1888 − 156 = 1732 pt (288 units) a part: two parts of 19 columns of 10, the second
    # from column 3 + 19 = 22 (W); the widest is 26 + 190 = 216 units, 1296 pt, 87 %.
    assert [brk.id for brk in sheet.col_breaks.brk] == [22]
    assert sheet.print_title_cols == "$A:$C"
    assert (sheet.page_setup.paperSize, sheet.page_setup.orientation, sheet.page_setup.scale) == \
        (A3, "landscape", 87)
    # Title, subtitle and header repeat on every page; the print area ends with the sign-off:
    # data rows 4–5, the note on row 6, a blank row, the sign-off on row 8.
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.print_area.endswith("$A$1:$AO$8")
    # The title stands in the key columns every part repeats; the note and sign-off close the
    # last part (W to AO), so no part prints the cut-off half of a merged line.
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert {"A1:C1", "A2:C2", "W6:AO6", "W8:AO8"} <= merged
    assert sheet["W6"].value == "说明：一行一名学生。"
    # 附件3 辍学学生登记汇总表 is 22 wide at 16 pt: 22 × 1.52 = 33.4 units in 26 + 2 × 5/7 − 0.5
    # = 26.9 of room → 2 lines, 2 × 1.45 × 16 + 3 = 49.4 pt (more than the title row's 28),
    # kept by xlsxwriter to the nearest pixel: 66 px, 49.5 pt.
    assert sheet.row_dimensions[1].height == pytest.approx(49.5)


def test_a_narrow_sheet_fits_one_page_wide_on_a4_portrait(tmp_path):
    path = tmp_path / "forms.xlsx"
    columns = [Column("乡镇", "town", width=20), Column("人数", "count", kind="int", width=10)]
    write_workbook(path, [TableSheet("汇总", "汇总表", columns, pd.DataFrame({"town": ["城厢镇"], "count": [3]}))])
    sheet = openpyxl.load_workbook(path)["汇总"]
    assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (A4, "portrait")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToHeight == 0
    assert not sheet.col_breaks.brk
    assert sheet.print_title_rows == "$1:$2" and sheet.print_area.endswith("$A$1:$B$3")


def test_wrapped_cells_get_the_height_of_their_text(tmp_path):
    path = tmp_path / "forms.xlsx"
    columns = [Column("名称", "name", width=10), Column("连续无故缺勤(天)", "days", kind="int", width=8)]
    rows = pd.DataFrame({"name": ["一二三四五六七八九十一二", "短"], "days": [5, 1]})
    note = "注" * 50
    write_workbook(path, [TableSheet("表", "表", columns, rows, notes=note)])
    sheet = openpyxl.load_workbook(path)["表"]
    # Header 连续无故缺勤(天) is 16 wide: 15.2 units in 7.5 → 3 lines, 46.5 pt.
    assert sheet.row_dimensions[2].height == pytest.approx(46.5)
    # 一…二 (12 CJK) is 24 wide: 22.8 units in 9.5 → 3 lines, 46.5 pt, and the cell wraps;
    # 短 fits: its row keeps the default height.
    assert sheet.row_dimensions[3].height == pytest.approx(46.5)
    assert sheet["A3"].alignment.wrap_text
    assert sheet.row_dimensions[4].height is None
    # The note, 100 wide at 9 pt (0.855 units each: 85.5), merged across 10 + 8 + 5/7 units
    # (18.2 of room): 5 lines of 13.05 pt + 3 = 68.25 pt.
    assert sheet.row_dimensions[5].height == pytest.approx(68.25)


def test_a_form_row_is_as_tall_as_its_responsible_people(tmp_path):
    history = pd.DataFrame({"date": [pd.Timestamp("2021-09-03")], "event": ["登记"],
                            "owner": [OWNERS], "result": [""]})
    path = tmp_path / "forms.xlsx"
    write_workbook(path, [FormSheet("附件2", "附件2 辍学学生登记表", [PupilForm({"姓名": "张三"}, history)])])
    sheet = openpyxl.load_workbook(path)["附件2"]
    # Title row 1, 12 lines of fields (rows 2–13), 劝返记录 14, its header 15, the event on 16:
    # 责任人 takes 3 lines, 46.5 pt.
    assert sheet["C16"].value == OWNERS
    assert sheet.row_dimensions[16].height == pytest.approx(46.5)
    # One form, A4 portrait at 100 % (no fit to page, which would cancel the breaks); nothing repeats.
    assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (A4, "portrait")
    assert sheet.sheet_properties.pageSetUpPr is None or not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows is None
    assert sheet.print_area.endswith("$A$1:$D$18")  # 3 history rows: 16–18


def test_a_kept_line_moves_the_print_setup_down(tmp_path):
    path = tmp_path / "forms.xlsx"
    forms = [PupilForm({"姓名": "张三"}), PupilForm({"姓名": "李四"})]
    write_workbook(path, [wide_sheet(), FormSheet("附件2", "附件2 辍学学生登记表", forms)])
    write_line_above_every_sheet(path, "本报告为上次结果")
    workbook = openpyxl.load_workbook(path)
    table, form = workbook["附件3"], workbook["附件2"]
    # The line is row 1 and joins the rows every page repeats; everything else moves down one.
    assert table.print_title_rows == "$1:$4"
    assert table.print_area.endswith("$A$1:$AO$9")
    assert [brk.id for brk in table.col_breaks.brk] == [22] and table.print_title_cols == "$A:$C"
    # Each form is 18 rows (title, 12, 劝返记录, header, 3 blank): the break after row 18 is now
    # after row 19, and the area ends on row 37.
    assert [brk.id for brk in form.row_breaks.brk] == [19]
    assert form.print_area.endswith("$A$1:$D$37")
