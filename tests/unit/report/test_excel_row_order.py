"""A TableSheet is written row by row: xlsxwriter's constant_memory (a county's ledger kept on
disk a row at a time) writes the very sheet the default mode does."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest

from kcbx.report.excel import Column, FormSheet, PupilForm, SignOff, TableSheet, write_workbook

LONG = "该生父母在外务工，由祖父母监护，" * 4  # 64 CJK characters: past the widest column, wraps
NEWLINE = "家访两次\n电话联系三次"

ROWS = pd.DataFrame({
    "number": [1, 2, 3, 4, 5],
    "school": ["城厢镇中心小学", "=1+1", None, "平孟小学", "城厢镇中学"],
    "name": ["张三", "李四", "王五", None, "赵六"],
    "note": [LONG, NEWLINE, None, "", "已返校"],
    "date": [pd.Timestamp("2021-09-01"), pd.NaT, pd.Timestamp("2021-10-15 08:30"),
             dt.date(2021, 11, 30), "不详"],
    "count": [300, None, 0, "不详", 12],
    "amount": [687.5, 6.0, float("nan"), 1234.567, -0.004],
    "rate": [0.985, 1.0, None, 0.5, float("nan")],
})
NOTES = ["说明：" + "人数为在读学生，巩固率为在校生占应在校生之比；" * 3, "金额单位：元。"]
SIGNOFF = SignOff(unit="城厢镇人民政府", date=dt.date(2021, 11, 30))


def grouped_sheet() -> TableSheet:
    """A header of two rows: group labels merged across their columns, the headers under them."""
    columns = [Column("学校", "school", group="学生"), Column("姓名", "name", group="学生"),
               Column("情况说明", "note", group="学生"),
               Column("登记日期", "date", kind="date", group="登记"),
               Column("人数", "count", kind="int", group="登记"),
               Column("金额", "amount", kind="float", group="登记"),
               Column("巩固率", "rate", kind="percent", group="比例")]
    return TableSheet("附件1", "附件1 控辍保学统计表", columns, ROWS, subtitle="示例县 城厢镇 截至 2021-11-30",
                      notes=NOTES, signoff=SIGNOFF)


def ledger_sheet() -> TableSheet:
    """The county ledger's shape: a header of one row."""
    columns = [Column("序号", "number", width=6, kind="int"), Column("学校", "school"),
               Column("姓名", "name"), Column("情况说明", "note"),
               Column("出生日期", "date", kind="date"), Column("年龄", "count", kind="int"),
               Column("补助", "amount", kind="float"), Column("比例", "rate", kind="percent")]
    return TableSheet("适龄儿童台账", "示例县适龄儿童台账", columns, ROWS, notes=NOTES[0], signoff=SIGNOFF)


def wide_sheet() -> TableSheet:
    """Printed in two parts: the title in the key columns, notes and sign-off in the last part."""
    columns = [Column("序号", "number", width=6, kind="int"), Column("姓名", "name", width=10),
               Column("学校", "school", width=10), Column("登记日期", "date", kind="date", width=10)]
    columns += [Column(f"项{n}", f"c{n}", width=10) for n in range(36)]
    rows = ROWS.assign(**{f"c{n}": NEWLINE if n % 5 else LONG for n in range(36)})
    return TableSheet("附件3", "附件3 辍学学生登记汇总表", columns, rows, subtitle="示例县", notes=NOTES,
                      signoff=SIGNOFF)


def contents(path) -> dict:
    """What a reader sees of a one-sheet workbook: every cell's value and number format, the
    merged ranges, column widths, row heights and the print layout."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return {
        "cells": {cell.coordinate: (cell.value, cell.number_format, cell.alignment.wrap_text)
                  for row in sheet.iter_rows() for cell in row if cell.value is not None or cell.has_style},
        "merged": sorted(str(cell_range) for cell_range in sheet.merged_cells.ranges),
        "widths": {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()},
        "heights": {row: dimension.height for row, dimension in sheet.row_dimensions.items()
                    if dimension.height is not None},
        "layout": (sheet.freeze_panes, sheet.auto_filter.ref, sheet.print_area, sheet.print_title_rows,
                   sheet.print_title_cols, [brk.id for brk in sheet.col_breaks.brk]),
    }


@pytest.mark.parametrize("sheet", [grouped_sheet(), ledger_sheet(), wide_sheet()], ids=["grouped", "ledger", "wide"])
def test_constant_memory_writes_the_same_sheet(sheet, tmp_path):
    default, streamed = tmp_path / "default.xlsx", tmp_path / "streamed.xlsx"
    write_workbook(default, [sheet])
    write_workbook(streamed, [sheet], constant_memory=True)
    with zipfile.ZipFile(streamed) as package:  # texts inline: constant_memory it was
        assert "xl/sharedStrings.xml" not in package.namelist()
    expected, written = contents(default), contents(streamed)
    assert written == expected
    # Not the same nothing: the sheet has what a row written out of order would lose.
    assert len(expected["cells"]) > len(sheet.columns) * len(sheet.rows)
    assert any(value == LONG and wraps for value, _, wraps in expected["cells"].values())
    assert any(value == NEWLINE and wraps for value, _, wraps in expected["cells"].values())
    assert any(fmt == "yyyy-mm-dd" and isinstance(value, dt.datetime)
               for value, fmt, _ in expected["cells"].values())
    assert any(value == "=1+1" for value, *_ in expected["cells"].values())  # text, not a formula
    assert any(value == SIGNOFF.text() for value, *_ in expected["cells"].values())
    assert len(expected["heights"]) >= 5 and expected["merged"]


def test_the_grouped_header_and_the_cells_as_written(tmp_path):
    path = tmp_path / "streamed.xlsx"
    write_workbook(path, [grouped_sheet()], constant_memory=True)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    # Title 1, subtitle 2, the groups on 3 over the headers on 4, data 5–9, notes 10–11, sign-off 13.
    assert {"A1:G1", "A2:G2", "A3:C3", "D3:F3", "A10:G10", "A11:G11", "A13:G13"} == \
        {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert [sheet.cell(3, col).value for col in (1, 4, 7)] == ["学生", "登记", "比例"]
    assert [cell.value for cell in sheet[4]] == ["学校", "姓名", "情况说明", "登记日期", "人数", "金额", "巩固率"]
    assert [cell.value for cell in sheet[5]] == ["城厢镇中心小学", "张三", LONG, dt.datetime(2021, 9, 1), 300,
                                                 687.5, 0.985]
    assert [cell.value for cell in sheet[8]][3:6] == [dt.datetime(2021, 11, 30), "不详", 1234.57]
    assert [sheet.cell(row, 5).number_format for row in (5, 7)] == ["0", "0"]
    assert sheet["G5"].number_format == "0.0%" and sheet["D5"].number_format == "yyyy-mm-dd"
    assert sheet["A7"].value is None and sheet["A7"].border.left.style == "thin"  # a blank, bordered
    assert sheet.row_dimensions[5].height > 15 and sheet.row_dimensions[6].height > 15  # wrapped
    assert sheet.row_dimensions[7].height is None
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:G9"


def test_constant_memory_refuses_a_form_sheet(tmp_path):
    path = tmp_path / "forms.xlsx"
    forms = FormSheet("附件2", "附件2 辍学学生登记表", [PupilForm({"姓名": "张三"})])
    with pytest.raises(ValueError, match="TableSheets only"):
        write_workbook(path, [ledger_sheet(), forms], constant_memory=True)
    assert not path.exists()


def test_constant_memory_refuses_a_header_merged_down_two_rows(tmp_path):
    # xlsxwriter streaming rows merges down two rows once only: 序号 and 姓名 would lose theirs.
    columns = [Column("序号", "number", kind="int"), Column("姓名", "name"),
               Column("人数", "count", kind="int", group="登记"), Column("金额", "amount", group="登记")]
    sheet = TableSheet("附件1", "附件1", columns, ROWS)
    with pytest.raises(ValueError, match="down two rows"):
        write_workbook(tmp_path / "forms.xlsx", [sheet], constant_memory=True)
    write_workbook(tmp_path / "forms.xlsx", [sheet])  # the default mode merges them
    merged = {str(cell_range) for cell_range in openpyxl.load_workbook(tmp_path / "forms.xlsx").worksheets[0]
              .merged_cells.ranges}
    assert {"A2:A3", "B2:B3", "C2:D2"} <= merged
