"""The official forms as Excel: a declarative, formula-safe workbook writer.

forms.xlsx is a working document for schools (full identities allowed), in the
shape of the forms attached to the provincial 控辍保学 notice: 附件1 统计表 and
附件3 登记汇总表 are tables (``TableSheet``), 附件2 辍学学生登记表 is one form per pupil, "一生一表"
(``FormSheet``). An official sheet ends with the ``SignOff`` block an officer
signs and stamps.

Nothing from a ledger may execute (docs/architecture.md): every value is written with
xlsxwriter's typed calls (write_string, write_number, write_datetime), never
``write()``, so "=1+1" or "=HYPERLINK(…)" stays text and an ID keeps its X.
"""

from __future__ import annotations

import datetime as dt
import numbers
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Literal
from xml.etree import ElementTree

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kcbx.util.collector import collector_paused
from kcbx.util.files import replacing

__all__ = [
    "Column",
    "FORM_FIELDS",
    "FORM_LAYOUT",
    "FormSheet",
    "HISTORY_COLUMNS",
    "PupilForm",
    "SignOff",
    "TableSheet",
    "display_width",
    "history_from_case_events",
    "plain_number",
    "write_workbook",
]

ColumnKind = Literal["text", "int", "float", "date", "percent"]

NUMBER_FORMATS: dict[str, str] = {
    "int": "0",
    # Yuan and class hours: 687.5 stays 687.5 and 6 stays 6 (no "0.00": Excel has no format
    # that hides the decimals of whole numbers only). Values are rounded to FLOAT_DECIMALS.
    "float": "General",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
}
# Column widths in Excel character units.
MIN_WIDTH = 4
MAX_WIDTH = 40
WIDTH_PADDING = 2
DATE_WIDTH = 10  # yyyy-mm-dd
A4 = 9  # Excel's paper code
FLOAT_DECIMALS = 2  # a float column's values: yuan to the 分, class hours to the hundredth
# East Asian wide and full-width characters take two character widths.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


@dataclass(frozen=True)
class Column:
    """One column of a TableSheet.

    ``key`` is the DataFrame column; ``group`` is a header spanning the
    consecutive columns that share it; ``width`` (characters) overrides the
    width fitted to the content.
    """

    header: str
    key: str
    width: float | None = None
    group: str | None = None
    kind: ColumnKind = "text"

    def __post_init__(self) -> None:
        if self.kind not in ("text", *NUMBER_FORMATS):
            raise ValueError(f"Column {self.header!r}: unknown kind {self.kind!r}")


def plain_number(value: float, thousands: bool = False) -> str:
    """A figure as a form prints it: 687.5 stays 687.5 (never 688), 6.0 is 6 (no ".0")."""
    rounded = round(float(value), FLOAT_DECIMALS) + 0.0  # + 0.0: no "-0"
    text = f"{rounded:,.{FLOAT_DECIMALS}f}" if thousands else f"{rounded:.{FLOAT_DECIMALS}f}"
    return text.rstrip("0").rstrip(".")


BLANK_FOR_HANDWRITING = "__________"


@dataclass(frozen=True)
class SignOff:
    """The block under an official form: 填报单位（盖章）, 填报人, 联系电话, 填报日期.

    A field left None is printed as a line to write on by hand.
    """

    unit: str | None = None
    preparer: str | None = None
    phone: str | None = None
    date: dt.date | None = None

    def text(self) -> str:
        fields = (("填报单位（盖章）", self.unit), ("填报人", self.preparer), ("联系电话", self.phone),
                  ("填报日期", None if self.date is None else self.date.isoformat()))
        return "　　".join(f"{label}：{value or BLANK_FOR_HANDWRITING}" for label, value in fields)


@dataclass(frozen=True)
class TableSheet:
    """A sheet holding one table: title, subtitle, a one- or two-row header, rows, notes.

    The header has two rows when any column has a group: group cells merged
    above their columns, ungrouped headers merged down both rows.
    """

    name: str
    title: str
    columns: Sequence[Column]
    rows: pd.DataFrame
    subtitle: str | None = None
    notes: Sequence[str] | str | None = None
    signoff: SignOff | None = None


# 附件2 辍学学生登记表: the fields of public county and provincial templates,
# laid out two to a line; a line
# with one field gives its value the whole width.
FORM_LAYOUT: tuple[tuple[str, ...], ...] = (
    ("姓名", "性别"),
    ("身份证号", "学校"),
    ("年级班级", "家庭类别"),
    ("监护人姓名", "联系电话"),
    ("家庭住址",),
    ("辍学(离校)时间", "复学时间"),
    ("辍学原因",),
    ("去向",),
    ("包保教师", "包保干部"),
    ("处理措施", "安置方式"),
    ("限期复学通知书", "复学期限"),
)
FORM_FIELDS: tuple[str, ...] = tuple(label for line in FORM_LAYOUT for label in line)
# The form's 劝返记录 table: every attempt, with its date, who and result.
HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("日期", "date", kind="date"),
    Column("事件", "event"),
    Column("责任人", "owner"),
    Column("结果/备注", "result"),
)
# Blank lines a form's 劝返记录 keeps for handwriting when it has fewer events.
FORM_BLANK_HISTORY_ROWS = 3
# Widths of the form's four columns (label, value, label, value): they fit an
# A4 portrait page at 100 %, since "fit to page" would cancel the page breaks.
FORM_WIDTHS = (14.0, 30.0, 14.0, 30.0)


@dataclass(frozen=True)
class PupilForm:
    """One pupil's 辍学学生登记表.

    ``fields`` maps labels of FORM_FIELDS to values (a missing label leaves
    its cell blank for handwriting); ``history`` has the columns of
    HISTORY_COLUMNS: date, event, owner, result.
    """

    fields: Mapping[str, Any]
    history: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[c.key for c in HISTORY_COLUMNS])
    )

    def __post_init__(self) -> None:
        unknown = [label for label in self.fields if label not in FORM_FIELDS]
        if unknown:
            raise ValueError(f"PupilForm: unknown fields {unknown}; the form has {FORM_FIELDS}")
        missing = [c.key for c in HISTORY_COLUMNS if c.key not in self.history.columns]
        if missing:
            raise KeyError(f"PupilForm: history lacks columns {missing}")


@dataclass(frozen=True)
class FormSheet:
    """A sheet of 辍学学生登记表, one print-ready form per pupil, a page each (each signed)."""

    name: str
    title: str
    forms: Sequence[PupilForm]
    subtitle: str | None = None
    signoff: SignOff | None = None


def history_from_case_events(events: pd.DataFrame) -> pd.DataFrame:
    """A case's events (canonical ``cases`` columns) as a form's 劝返记录.

    Returns the columns of HISTORY_COLUMNS: date, event, owner (责任人: the two
    lines, admin_owner and edu_owner, joined) and result (结果/备注: the method
    劝返方式, the placement 安置方式 and the note, joined). Events are in date
    order; same-day events keep their file order.
    """
    ordered = events.sort_values("date", kind="stable").reset_index(drop=True)

    def joined(columns: Sequence[str]) -> list[str]:
        present = [ordered[column].tolist() for column in columns if column in ordered.columns]
        return [
            "；".join(_as_text(value) for value in values if not _is_missing(value) and value != "")
            for values in zip(*present)
        ] if present else [""] * len(ordered)

    return pd.DataFrame(
        {
            "date": ordered["date"],
            "event": ordered["event"],
            "owner": joined(("admin_owner", "edu_owner")),
            "result": joined(("method", "placement", "note")),
        }
    )


def display_width(text: str) -> int:
    """Characters of text as Excel counts width: CJK and full-width characters count two."""
    return len(text) + len(_WIDE.findall(text))


# --- writing -----------------------------------------------------------------


PRIVATE_FILE_MODE = 0o600  # a workbook holds full identities: its owner alone reads it
FINGERPRINT_PROPERTY = "kcbx 指纹"  # a custom document property (文件 › 属性 › 自定义)


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[TableSheet | FormSheet],
                   fingerprint: str | None = None) -> None:
    """Write the sheets to one .xlsx file at path, atomically.

    The workbook is written under a temporary name in the same folder, then
    renamed over path: a reader never sees half a file, and a failed write
    leaves any earlier file intact (and a hard link of it elsewhere untouched).
    ``fingerprint``, of what the sheets were made from, is kept as a document
    property (``workbook_fingerprint``).
    """
    if not sheets:
        raise ValueError("write_workbook needs at least one sheet")
    # 0600: every workbook kcbx writes holds full identities (names, IDs, phones); the runner
    # widens it to params share_group when there is one (kcbx.runner.private).
    with replacing(path, mode=PRIVATE_FILE_MODE) as temporary, collector_paused():
        workbook = xlsxwriter.Workbook(
            str(temporary),
            # Belt and braces: write() would never be called on ledger text,
            # but should it be, it still writes text, not a formula or link.
            {"strings_to_formulas": False, "strings_to_urls": False,
             "strings_to_numbers": False, "nan_inf_to_errors": True},
        )
        if fingerprint is not None:
            workbook.set_custom_property(FINGERPRINT_PROPERTY, fingerprint)
        styles = _Styles(workbook)
        for sheet in sheets:
            worksheet = workbook.add_worksheet(sheet.name)
            if isinstance(sheet, TableSheet):
                _write_table_sheet(worksheet, sheet, styles)
            else:
                _write_form_sheet(worksheet, sheet, styles)
        workbook.close()


def workbook_fingerprint(path: str | os.PathLike[str]) -> str | None:
    """The fingerprint ``write_workbook`` kept in the workbook at path; None when there is no
    such file, no fingerprint, or the file is not a readable workbook."""
    try:
        with zipfile.ZipFile(path) as package:
            properties = ElementTree.fromstring(package.read("docProps/custom.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    for prop in properties:
        if prop.get("name") == FINGERPRINT_PROPERTY and len(prop):
            return prop[0].text
    return None


class _Styles:
    """The workbook's cell formats, made once per workbook."""

    def __init__(self, workbook: Workbook) -> None:
        bordered = {"border": 1, "valign": "vcenter", "font_size": 10}
        self.title = workbook.add_format(
            {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = workbook.add_format({"font_size": 10, "valign": "vcenter"})
        self.header = workbook.add_format(
            {**bordered, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"}
        )
        self.note = workbook.add_format({"font_size": 9, "text_wrap": True, "valign": "top"})
        self.signoff = workbook.add_format({"font_size": 10, "valign": "vcenter"})
        self.cell: dict[str, Format] = {"text": workbook.add_format(bordered)}
        for kind, number_format in NUMBER_FORMATS.items():
            self.cell[kind] = workbook.add_format({**bordered, "num_format": number_format})
        self.form_label = workbook.add_format(
            {**bordered, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}
        )
        self.form_value = workbook.add_format({**bordered, "text_wrap": True})
        self.form_date = workbook.add_format(
            {**bordered, "num_format": NUMBER_FORMATS["date"], "align": "left"}
        )


def _is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT (pandas decides); never true for a list or other container."""
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _as_text(value: Any) -> str:
    """A ledger value as the text a form shows."""
    if isinstance(value, str):  # most values: no other check needed
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone or ID read as a number: no ".0"
    return str(value)


def _as_datetime(value: Any) -> dt.datetime | dt.date | None:
    """value as a naive date or datetime, or None when it is not one (never parsed from text)."""
    if isinstance(value, dt.datetime):  # pandas Timestamps included
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return None


def _write_value(worksheet: Worksheet, row: int, col: int, value: Any, kind: str,
                 style: Format, date_style: Format | None = None) -> None:
    """Write one ledger value with a typed call; what does not fit the kind is written as text."""
    if _is_missing(value):
        worksheet.write_blank(row, col, None, style)
    else:
        _write_present_value(worksheet, row, col, value, kind, style, date_style)


def _write_present_value(worksheet: Worksheet, row: int, col: int, value: Any, kind: str,
                         style: Format, date_style: Format | None = None) -> str | None:
    """_write_value for a value known not to be missing; return the text when written as text."""
    if kind == "date" and (day := _as_datetime(value)) is not None:
        worksheet.write_datetime(row, col, day, date_style or style)
        return None
    if kind in ("int", "float", "percent") and isinstance(value, numbers.Real) \
            and not isinstance(value, bool):
        worksheet.write_number(row, col, round(value, FLOAT_DECIMALS) if kind == "float" else value,
                               style)
        return None
    text = _as_text(value)
    worksheet.write_string(row, col, text, style)
    return text


def _write_column(worksheet: Worksheet, first_row: int, col: int, values: pd.Series, kind: str,
                  style: Format) -> set[str]:
    """Write a table's column downward from first_row, each value as _write_value writes it.

    Returns the distinct texts written as text, which size a text column: a county's
    column has tens of thousands of cells but few distinct values.
    """
    texts: set[str] = set()
    missing = values.isna().to_numpy()  # the same test as _is_missing, for the whole column at once
    for row, value, blank in zip(range(first_row, first_row + len(values)), values.tolist(), missing):
        if blank:
            worksheet.write_blank(row, col, None, style)
        elif (text := _write_present_value(worksheet, row, col, value, kind, style)) is not None:
            texts.add(text)
    return texts


def _write_signoff(worksheet: Worksheet, row: int, last_col: int, signoff: SignOff | None,
                   styles: _Styles) -> int:
    """The sign-off line from row (when the sheet has one); return the next free row."""
    if signoff is None:
        return row
    worksheet.set_row(row, 24)
    _write_merged_text(worksheet, row, 0, last_col, signoff.text(), styles.signoff)
    return row + 1


def _write_merged_text(worksheet: Worksheet, row: int, first_col: int, last_col: int,
                       text: str, style: Format) -> None:
    # xlsxwriter refuses to merge a single cell.
    if last_col > first_col:
        worksheet.merge_range(row, first_col, row, last_col, "", style)
    worksheet.write_string(row, first_col, text, style)


def _notes_lines(notes: Sequence[str] | str | None) -> list[str]:
    if notes is None:
        return []
    return [notes] if isinstance(notes, str) else list(notes)


# --- TableSheet ----------------------------------------------------------------


def _write_table_sheet(worksheet: Worksheet, sheet: TableSheet, styles: _Styles) -> None:
    columns = list(sheet.columns)
    if not columns:
        raise ValueError(f"TableSheet {sheet.name!r} has no columns")
    missing = [column.key for column in columns if column.key not in sheet.rows.columns]
    if missing:
        raise KeyError(f"TableSheet {sheet.name!r}: rows lack columns {missing}")
    last_col = len(columns) - 1

    row = _write_heading(worksheet, 0, last_col, sheet.title, sheet.subtitle, styles)

    header_first = row
    header_last = _write_table_header(worksheet, header_first, columns, styles)
    first_data_row = header_last + 1

    content_widths = []
    for col, column in enumerate(columns):
        values = sheet.rows[column.key]
        texts = _write_column(worksheet, first_data_row, col, values, column.kind, styles.cell[column.kind])
        content_widths.append(_content_width(values, column.kind, texts))

    row = first_data_row + len(sheet.rows)
    for line in _notes_lines(sheet.notes):
        _write_merged_text(worksheet, row, 0, last_col, line, styles.note)
        row += 1
    _write_signoff(worksheet, row + 1, last_col, sheet.signoff, styles)

    for col, width in enumerate(_column_widths(columns, content_widths)):
        worksheet.set_column(col, col, width)
    worksheet.freeze_panes(first_data_row, 0)
    worksheet.autofilter(header_last, 0, max(header_last, first_data_row + len(sheet.rows) - 1),
                         last_col)
    worksheet.repeat_rows(header_first, header_last)  # print titles on every page
    worksheet.set_landscape()
    worksheet.set_paper(A4)
    worksheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    worksheet.center_horizontally()
    worksheet.set_footer("&C第 &P 页，共 &N 页")


def _group_runs(columns: Sequence[Column]) -> list[tuple[str | None, int, int]]:
    """(group, first index, last index) for each run of consecutive columns sharing a group."""
    runs = []
    index = 0
    for group, members in groupby(columns, key=lambda column: column.group):
        count = len(list(members))
        runs.append((group, index, index + count - 1))
        index += count
    return runs


def _write_table_header(worksheet: Worksheet, row: int, columns: Sequence[Column],
                        styles: _Styles) -> int:
    """Write the header from row; return the index of its last row."""
    if not any(column.group for column in columns):
        for col, column in enumerate(columns):
            worksheet.write_string(row, col, column.header, styles.header)
        return row
    for group, first, last in _group_runs(columns):
        if group:
            _write_merged_text(worksheet, row, first, last, group, styles.header)
            for col in range(first, last + 1):
                worksheet.write_string(row + 1, col, columns[col].header, styles.header)
        else:
            for col in range(first, last + 1):
                worksheet.merge_range(row, col, row + 1, col, "", styles.header)
                worksheet.write_string(row, col, columns[col].header, styles.header)
    return row + 1


def _content_width(values: pd.Series, kind: str, texts: set[str]) -> int:
    """The widest value of a column as displayed, in character widths.

    ``texts`` are the column's values as written as text (``_write_column``): they size a
    text column; a date or number column is sized by its dates or numbers.
    """
    if kind == "text":
        return max(map(display_width, texts), default=0)
    present = values.dropna()
    if present.empty:
        return 0
    if kind == "date":
        return DATE_WIDTH
    numeric = pd.to_numeric(present, errors="coerce").dropna()  # int, float or percent
    if numeric.empty:
        return 0
    shown = {"int": "{:.0f}".format, "float": plain_number, "percent": "{:.1%}".format}[kind]
    # The widest number is the largest or the most negative one (or, for floats, has more decimals).
    return max(len(shown(value)) for value in pd.unique(numeric.to_numpy()))


def _column_widths(columns: Sequence[Column], content_widths: Sequence[int]) -> list[float]:
    """Widths that fit header and content, capped; a group label gets room across its run."""
    widths: list[float] = []
    for column, content in zip(columns, content_widths):
        if column.width is not None:
            widths.append(column.width)
            continue
        fitted = max(display_width(column.header), content)
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, fitted + WIDTH_PADDING))))
    for group, first, last in _group_runs(columns):
        shortfall = display_width(group or "") + WIDTH_PADDING - sum(widths[first:last + 1])
        if group and shortfall > 0:
            for col in range(first, last + 1):
                if columns[col].width is None:
                    widths[col] += shortfall / (last - first + 1)
    return widths


# --- FormSheet -----------------------------------------------------------------


def _write_form_sheet(worksheet: Worksheet, sheet: FormSheet, styles: _Styles) -> None:
    for col, width in enumerate(FORM_WIDTHS):
        worksheet.set_column(col, col, width)
    worksheet.set_portrait()
    worksheet.set_paper(A4)
    worksheet.center_horizontally()
    if not sheet.forms:
        _write_form_heading(worksheet, 0, sheet, styles)
        worksheet.write_string(2 if sheet.subtitle else 1, 0, "（本期无辍学学生）", styles.subtitle)
        return
    row = 0
    form_starts = []
    for form in sheet.forms:
        form_starts.append(row)
        row = _write_pupil_form(worksheet, row, sheet, form, styles)
    # A break "at row r" falls between 0-based rows r-1 and r: each later form starts a page.
    worksheet.set_h_pagebreaks(form_starts[1:])


def _write_heading(worksheet: Worksheet, row: int, last_col: int, title: str,
                   subtitle: str | None, styles: _Styles) -> int:
    """A merged title row (and subtitle row) across the sheet; return the next free row."""
    worksheet.set_row(row, 28)
    _write_merged_text(worksheet, row, 0, last_col, title, styles.title)
    row += 1
    if subtitle:
        _write_merged_text(worksheet, row, 0, last_col, subtitle, styles.subtitle)
        row += 1
    return row


def _write_form_heading(worksheet: Worksheet, row: int, sheet: FormSheet, styles: _Styles) -> int:
    """The title (and subtitle) above a form; return the next free row."""
    return _write_heading(worksheet, row, len(FORM_WIDTHS) - 1, sheet.title, sheet.subtitle, styles)


def _write_form_value(worksheet: Worksheet, row: int, first_col: int, last_col: int,
                      value: Any, styles: _Styles) -> None:
    if last_col > first_col:
        worksheet.merge_range(row, first_col, row, last_col, "", styles.form_value)
    kind = "date" if _as_datetime(value) is not None else "text"
    _write_value(worksheet, row, first_col, value, kind, styles.form_value, styles.form_date)


def _write_pupil_form(worksheet: Worksheet, row: int, sheet: FormSheet, form: PupilForm,
                      styles: _Styles) -> int:
    """Write one form from row; return the first row after it."""
    last_col = len(FORM_WIDTHS) - 1
    row = _write_form_heading(worksheet, row, sheet, styles)
    for line in FORM_LAYOUT:
        if len(line) == 1:
            # A long answer (address, cause, measures): the whole width, a taller row.
            worksheet.set_row(row, 36)
            worksheet.write_string(row, 0, line[0], styles.form_label)
            _write_form_value(worksheet, row, 1, last_col, form.fields.get(line[0]), styles)
        else:
            worksheet.set_row(row, 22)
            for pair, label in enumerate(line):
                worksheet.write_string(row, 2 * pair, label, styles.form_label)
                _write_form_value(worksheet, row, 2 * pair + 1, 2 * pair + 1,
                                  form.fields.get(label), styles)
        row += 1

    _write_merged_text(worksheet, row, 0, last_col, "劝返记录", styles.form_label)
    row += 1
    for col, column in enumerate(HISTORY_COLUMNS):
        worksheet.write_string(row, col, column.header, styles.form_label)
    row += 1
    history = form.history[[column.key for column in HISTORY_COLUMNS]]
    for record in history.itertuples(index=False, name=None):
        for col, value in enumerate(record):
            _write_form_value(worksheet, row, col, col, value, styles)
        row += 1
    for _ in range(max(0, FORM_BLANK_HISTORY_ROWS - len(history))):
        for col in range(len(HISTORY_COLUMNS)):
            worksheet.write_blank(row, col, None, styles.form_value)
        worksheet.set_row(row, 22)
        row += 1
    return _write_signoff(worksheet, row, last_col, sheet.signoff, styles)


def write_line_above_every_sheet(path: str | os.PathLike[str], text: str, replaces: str | None = None) -> None:
    """Insert one row at the top of every sheet of the workbook at path, holding ``text`` in a
    red bold cell merged across the sheet's columns (a kept report's "本报告为上次结果…" line);
    a sheet whose first cell already starts with ``replaces`` has that line rewritten instead.

    The sheets' layout moves down with their rows: merged cells, row heights, the frozen
    panes, the autofilter and the print titles. The workbook is rewritten whole under a
    temporary name (0600, it holds identities) and renamed over path: a hard link of the
    file elsewhere keeps the old content.
    """
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    workbook = load_workbook(path)
    for worksheet in workbook.worksheets:
        first = worksheet.cell(1, 1).value
        if not (replaces and isinstance(first, str) and first.startswith(replaces)):
            _insert_top_row(worksheet)
        width = max(1, worksheet.max_column)
        cell = worksheet.cell(1, 1)
        cell.value = text
        cell.data_type = "s"  # text, never a formula
        cell.font = Font(bold=True, color="FFC00000", size=12)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if width > 1 and not any(r.min_row == 1 and r.min_col == 1 for r in worksheet.merged_cells.ranges):
            worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        worksheet.row_dimensions[1].height = 32
    with replacing(path, mode=PRIVATE_FILE_MODE) as temporary:
        workbook.save(temporary)


def _insert_top_row(worksheet: Any) -> None:
    """Move every row of an openpyxl worksheet down by one, with what openpyxl's insert_rows
    leaves behind: merged ranges, row heights, frozen panes, autofilter, print titles."""
    from openpyxl.worksheet.cell_range import CellRange
    from openpyxl.worksheet.dimensions import RowDimension

    title_rows = worksheet.print_title_rows
    freeze = worksheet.freeze_panes
    heights = {index: dimension.height for index, dimension in worksheet.row_dimensions.items()
               if dimension.height is not None}
    worksheet.insert_rows(1)
    for merged in worksheet.merged_cells.ranges:
        merged.shift(row_shift=1)
    worksheet.row_dimensions.clear()
    for index, height in heights.items():
        worksheet.row_dimensions[index + 1] = RowDimension(worksheet, index=index + 1, ht=height)
    if freeze:
        cell = worksheet[freeze]
        worksheet.freeze_panes = worksheet.cell(cell.row + 1, cell.column)
    if worksheet.auto_filter.ref:
        moved = CellRange(worksheet.auto_filter.ref)
        moved.shift(row_shift=1)
        worksheet.auto_filter.ref = moved.coord
    if title_rows:
        first, last = (int(part.strip("$")) for part in title_rows.split(":"))
        worksheet.print_title_rows = f"{first + 1}:{last + 1}"
