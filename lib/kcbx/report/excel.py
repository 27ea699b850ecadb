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
    # Leading columns that say whom a row is about, printed at the left of each part when the
    # sheet is too wide for one A3 page; None: up to 姓名, else the leading text columns.
    key_columns: int | None = None


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
    ("原因分析",),
    ("去向", "安置方式"),
    ("帮扶措施",),
    ("责任人(政府线)", "责任人(教育线)"),  # 双线包保: the township's cadre, the school's teacher
    ("限期复学通知书", "时限(复学期限)"),
    ("备注",),
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


# --- printing ------------------------------------------------------------------
#
# Spreadsheet programs grow no row for wrapped text they did not write themselves
# (LibreOffice, WPS), and "fit to page" cancels manual page breaks (Excel). So kcbx
# sizes every wrapped row itself, and picks each sheet's paper and scale from the
# sheet's own width: fit to one page wide where no break must hold, an explicit
# scale where one must (附件2's one form per page, a sheet split into two parts).

A3 = 8  # Excel's paper code
PAPER_POINTS = {A4: (595.3, 841.9), A3: (841.9, 1190.6)}  # portrait width, height
SIDE_MARGIN = 0.4  # inches
TOP_MARGIN = 0.6  # inches, top and bottom: room for the page footer
# A unit of column width, printed: Excel draws 5.25 pt (7 px at 96 dpi) plus 3.75 pt of
# padding per column; LibreOffice with Carlito (Calibri's metrics) 5.95 pt. The larger,
# so a sheet estimated to fit does fit.
POINTS_PER_WIDTH_UNIT = 6.0
MERGE_GAP_UNITS = 5 / 7  # the padding between two merged columns, in width units
MIN_PRINT_SCALE = 60  # percent: 10 pt text prints at 6 pt, the least that stays readable
A4_LANDSCAPE_MIN_SCALE = 75  # below this a sheet goes to A3 rather than shrink on A4
# Wrapped text: a display-width character (half a CJK character) of 10 pt text takes 0.95
# width units (a CJK glyph is 1 em, 13.3 px, against 7 px a unit); a line of CJK text is
# 1.45 em high (Noto Sans CJK), plus a few points of cell padding.
UNITS_PER_CHARACTER_AT_10PT = 0.95
LINE_HEIGHT_EM = 1.45
CELL_PADDING_POINTS = 3.0
DEFAULT_ROW_POINTS = 15.0
TITLE_FONT_SIZE = 16
TITLE_ROW_POINTS = 28.0
NOTE_FONT_SIZE = 9
SIGNOFF_ROW_POINTS = 24.0
FORM_ROW_POINTS = 22.0  # a form's line: room to write by hand
FORM_LONG_ROW_POINTS = 36.0  # a form's long answer (address, cause, measures)
IDENTIFYING_HEADERS = ("姓名",)  # a split sheet repeats its leading columns up to this one
MAX_KEY_COLUMNS = 4


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints: paper, orientation and scale (percent).

    ``fit_to_width``: the spreadsheet program fits the sheet one page wide itself
    (``scale`` is then kcbx's estimate of it). A sheet too wide for that is split
    into printed parts: ``column_breaks`` are the first columns of the later parts,
    and its first ``key_columns`` (who a row is about) repeat at the left of each.
    """

    paper: int
    landscape: bool
    scale: int
    fit_to_width: bool
    column_breaks: tuple[int, ...] = ()
    key_columns: int = 0


def printable_width(paper: int, landscape: bool) -> float:
    """Points across a page between the side margins."""
    width, height = PAPER_POINTS[paper]
    return (height if landscape else width) - 2 * SIDE_MARGIN * 72


def printable_height(paper: int, landscape: bool) -> float:
    """Points down a page between the top and bottom margins."""
    width, height = PAPER_POINTS[paper]
    return (width if landscape else height) - 2 * TOP_MARGIN * 72


def printed_width(widths: Sequence[float]) -> float:
    """Points the columns of these widths (in width units) take on paper at 100 %."""
    return sum(widths) * POINTS_PER_WIDTH_UNIT


def fitting_scale(points: float, room: float) -> int:
    """The largest whole percent (at most 100) at which points fit in room."""
    return 100 if points <= room else int(room * 100 // points)


def table_page_setup(widths: Sequence[float], key_columns: int = 0,
                     breakable: Sequence[bool] | None = None) -> PageSetup:
    """The paper a table of these column widths prints on, one page wide.

    A4 portrait when it fits at 100 %, else A4 landscape down to A4_LANDSCAPE_MIN_SCALE,
    else A3 landscape down to MIN_PRINT_SCALE. A wider sheet prints on A3 landscape in
    as few parts as keep that scale, cut where ``breakable[c]`` allows a part to start at
    column c (not inside a merged group header), each part led by the ``key_columns``.
    """
    total = printed_width(widths)
    for paper, landscape, least in ((A4, False, 100), (A4, True, A4_LANDSCAPE_MIN_SCALE),
                                    (A3, True, MIN_PRINT_SCALE)):
        scale = fitting_scale(total, printable_width(paper, landscape))
        if scale >= least:
            return PageSetup(paper, landscape, scale, fit_to_width=True)
    room = printable_width(A3, True)
    key_points = printed_width(widths[:key_columns])
    breaks = _balanced_column_breaks(widths, key_columns, breakable,
                                     room * 100 / MIN_PRINT_SCALE - key_points)
    starts = [key_columns, *breaks, len(widths)]
    widest = key_points + max(printed_width(widths[first:last]) for first, last in zip(starts, starts[1:]))
    return PageSetup(A3, True, fitting_scale(widest, room), fit_to_width=False,
                     column_breaks=tuple(breaks), key_columns=key_columns)


def _balanced_column_breaks(widths: Sequence[float], first: int, breakable: Sequence[bool] | None,
                            capacity: float) -> list[int]:
    """Breaks cutting columns first.. into the fewest parts no wider than capacity (points),
    then made as even as that number of parts allows (the widest part as narrow as can be)."""
    allowed = [True] * len(widths) if breakable is None else list(breakable)

    def packed(limit: float) -> list[int]:
        breaks: list[int] = []
        start, used, last_allowed = first, 0.0, None
        for col in range(first, len(widths)):
            points = printed_width(widths[col:col + 1])
            if col > start and allowed[col]:
                last_allowed = col
            if used + points > limit and col > start:
                cut = last_allowed if last_allowed is not None else col
                breaks.append(cut)
                start, last_allowed = cut, None
                used = printed_width(widths[cut:col])
            used += points
        return breaks

    parts = len(packed(capacity))
    low, high = printed_width([max(widths[first:], default=0)]), capacity
    for _ in range(40):  # bisect the narrowest limit that needs no more parts
        middle = (low + high) / 2
        low, high = (middle, high) if len(packed(middle)) > parts else (low, middle)
    return packed(high)


def form_page_setup(widths: Sequence[float], tallest_form: float) -> PageSetup:
    """A4 portrait for one form a page: the scale (at most 100 %) fitting the form's width
    and its tallest form (points); explicit, since "fit to page" would cancel the breaks."""
    scale = min(fitting_scale(printed_width(widths), printable_width(A4, False)),
                fitting_scale(tallest_form, printable_height(A4, False)))
    return PageSetup(A4, False, max(MIN_PRINT_SCALE, scale), fit_to_width=False)


def wrapped_lines(text: str, width: float, font_size: float = 10) -> int:
    """Lines a wrapped cell of width (width units) needs for text at font_size (points)."""
    per_character = UNITS_PER_CHARACTER_AT_10PT * font_size / 10
    room = max(1.0, width - 0.5)  # a few pixels of the cell are padding
    return sum(max(1, -(-display_width(line) * per_character // room))
               for line in text.split("\n")) if text else 1


def text_height(text: str, width: float, font_size: float = 10) -> float:
    """Points of row height a wrapped cell of width needs to show all of text."""
    return wrapped_lines(text, width, font_size) * LINE_HEIGHT_EM * font_size + CELL_PADDING_POINTS


def merged_width(widths: Sequence[float], first_col: int, last_col: int) -> float:
    """Width units of text room across columns first_col..last_col merged."""
    return sum(widths[first_col:last_col + 1]) + MERGE_GAP_UNITS * (last_col - first_col)


class _RowHeights:
    """The height each row needs, in points: the most asked for it; other rows keep the default."""

    def __init__(self) -> None:
        self.points: dict[int, float] = {}

    def need(self, row: int, points: float) -> None:
        if points > self.points.get(row, 0.0):
            self.points[row] = points

    def need_across(self, first_row: int, last_row: int, points: float) -> None:
        """A cell merged down rows first_row..last_row needs points: the last row makes up any lack."""
        lack = points - self.total(first_row, last_row)
        if lack > 0:
            self.points[last_row] = self.height(last_row) + lack

    def height(self, row: int) -> float:
        return self.points.get(row, DEFAULT_ROW_POINTS)

    def total(self, first_row: int, last_row: int) -> float:
        return sum(self.height(row) for row in range(first_row, last_row + 1))

    def set_row(self, worksheet: Worksheet, row: int) -> None:
        """Give row its height when it needs other than the default (in constant_memory, before
        a later row is written)."""
        if (points := self.points.get(row)) is not None:
            worksheet.set_row(row, round(points, 2))

    def apply(self, worksheet: Worksheet) -> None:
        for row in sorted(self.points):
            self.set_row(worksheet, row)


def _apply_page_setup(worksheet: Worksheet, setup: PageSetup, last_row: int, last_col: int,
                      title_rows: tuple[int, int] | None) -> None:
    """Paper, scale, margins, print area, and the rows (and key columns) every page repeats."""
    worksheet.set_paper(setup.paper)
    if setup.landscape:
        worksheet.set_landscape()
    else:
        worksheet.set_portrait()
    worksheet.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=TOP_MARGIN)
    if setup.fit_to_width:
        worksheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    else:
        worksheet.set_print_scale(setup.scale)
    if setup.column_breaks:
        worksheet.set_v_pagebreaks(list(setup.column_breaks))
        if setup.key_columns:
            worksheet.repeat_columns(0, setup.key_columns - 1)
    worksheet.print_area(0, 0, last_row, last_col)
    if title_rows is not None:
        worksheet.repeat_rows(*title_rows)
    worksheet.center_horizontally()


# --- writing -----------------------------------------------------------------


PRIVATE_FILE_MODE = 0o600  # a workbook holds full identities: its owner alone reads it
# Belt and braces: write() would never be called on ledger text, but should it be, it still
# writes text, not a formula or link (every workbook kcbx writes: here and templates_xlsx).
TEXT_ONLY_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                     "strings_to_numbers": False, "nan_inf_to_errors": True}
FINGERPRINT_PROPERTY = "kcbx 指纹"  # a custom document property (文件 › 属性 › 自定义)


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[TableSheet | FormSheet],
                   fingerprint: str | None = None, *, constant_memory: bool = False) -> None:
    """Write the sheets to one .xlsx file at path, atomically.

    The workbook is written under a temporary name in the same folder, then
    renamed over path: a reader never sees half a file, and a failed write
    leaves any earlier file intact (and a hard link of it elsewhere untouched).
    ``fingerprint``, of what the sheets were made from, is kept as a document
    property (``workbook_fingerprint``).

    ``constant_memory``: xlsxwriter keeps one row in memory, the earlier ones on disk, and
    writes texts inline rather than shared: a county's ledger of 80,000 rows takes some 30 MB
    while written rather than 160. Only for TableSheets, which are written in row order, and
    with no header cell merged down two rows (streaming, xlsxwriter merges down only once): a
    ValueError otherwise.
    """
    if not sheets:
        raise ValueError("write_workbook needs at least one sheet")
    if constant_memory:
        for sheet in sheets:
            if not isinstance(sheet, TableSheet):
                raise ValueError(f"write_workbook: constant_memory writes TableSheets only, "
                                 f"not {type(sheet).__name__} {sheet.name!r}")
            if _merged_down(sheet.columns):
                raise ValueError(f"write_workbook: constant_memory cannot merge TableSheet "
                                 f"{sheet.name!r}'s ungrouped headers down two rows")
    options = {**TEXT_ONLY_OPTIONS, "constant_memory": True} if constant_memory else TEXT_ONLY_OPTIONS
    # 0600: every workbook kcbx writes holds full identities (names, IDs, phones); the runner
    # widens it to params share_group when there is one (kcbx.runner.private).
    with replacing(path, mode=PRIVATE_FILE_MODE) as temporary, collector_paused():
        workbook = xlsxwriter.Workbook(str(temporary), options)
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
            {"bold": True, "font_size": TITLE_FONT_SIZE, "align": "center", "valign": "vcenter",
             "text_wrap": True}
        )
        self.subtitle = workbook.add_format({"font_size": 10, "valign": "vcenter", "text_wrap": True})
        self.title_left = workbook.add_format(
            {"bold": True, "font_size": TITLE_FONT_SIZE, "valign": "vcenter", "text_wrap": True}
        )
        self.header = workbook.add_format(
            {**bordered, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"}
        )
        self.note = workbook.add_format({"font_size": NOTE_FONT_SIZE, "text_wrap": True, "valign": "top"})
        self.signoff = workbook.add_format({"font_size": 10, "valign": "vcenter", "text_wrap": True})
        self.cell: dict[str, Format] = {"text": workbook.add_format(bordered)}
        self.cell_wrapped = workbook.add_format({**bordered, "text_wrap": True})
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


def _cell(value: Any, kind: str) -> Any:
    """What a cell of kind shows of a ledger value, its type telling the typed call that writes
    it (``_write_cell``): None a blank, a str text, a date a date, anything else a number; what
    does not fit the kind is text."""
    return None if _is_missing(value) else _present_cell(value, kind)


def _present_cell(value: Any, kind: str) -> Any:
    """_cell for a value known not to be missing."""
    if kind == "date" and (day := _as_datetime(value)) is not None:
        return day
    if kind in ("int", "float", "percent") and isinstance(value, numbers.Real) \
            and not isinstance(value, bool):
        return round(value, FLOAT_DECIMALS) if kind == "float" else value
    return _as_text(value)


def _column_cells(values: pd.Series, kind: str) -> list[Any]:
    """_cell of each of a table's column of values: the whole column tested for missing values
    at once (a county's column has tens of thousands of cells)."""
    missing = values.isna().to_numpy()  # the same test as _is_missing, for the whole column at once
    return [None if blank else _present_cell(value, kind)
            for value, blank in zip(values.tolist(), missing)]


def _texts(cells: Sequence[Any]) -> set[str]:
    """The distinct texts among cells, which size a text column: few, though the cells are many."""
    return {cell for cell in cells if isinstance(cell, str)}


def _write_cell(worksheet: Worksheet, row: int, col: int, cell: Any, style: Format,
                date_style: Format | None = None) -> None:
    """Write a cell (``_cell``) with its typed call: never write(), so no text becomes a formula."""
    if cell is None:
        worksheet.write_blank(row, col, None, style)
    elif isinstance(cell, str):
        worksheet.write_string(row, col, cell, style)
    elif isinstance(cell, dt.date):  # datetimes and pandas Timestamps too
        worksheet.write_datetime(row, col, cell, date_style or style)
    else:
        worksheet.write_number(row, col, cell, style)


def _write_value(worksheet: Worksheet, row: int, col: int, value: Any, kind: str,
                 style: Format, date_style: Format | None = None) -> None:
    """Write one ledger value with a typed call; what does not fit the kind is written as text."""
    _write_cell(worksheet, row, col, _cell(value, kind), style, date_style)


@dataclass(frozen=True)
class _Line:
    """Text merged across columns first_col..last_col of a row (one cell when they are one): a
    title, subtitle, note or sign-off; the row as tall as the wrapped text needs, at least points."""

    row: int
    first_col: int
    last_col: int
    text: str
    style: Format
    font_size: float = 10
    points: float = 0.0

    def fit(self, heights: _RowHeights, widths: Sequence[float]) -> None:
        room = merged_width(widths, self.first_col, self.last_col)
        heights.need(self.row, max(self.points, text_height(self.text, room, self.font_size)))

    def write(self, worksheet: Worksheet) -> None:
        _write_merged_text(worksheet, self.row, self.first_col, self.last_col, self.text, self.style)


def _heading_lines(row: int, first_col: int, last_col: int, title: str, subtitle: str | None,
                   styles: _Styles, title_style: Format | None = None) -> list[_Line]:
    """A title row (and subtitle row) from row, merged across first_col..last_col."""
    lines = [_Line(row, first_col, last_col, title, title_style or styles.title, TITLE_FONT_SIZE,
                   TITLE_ROW_POINTS)]
    if subtitle:
        lines.append(_Line(row + 1, first_col, last_col, subtitle, styles.subtitle))
    return lines


def _signoff_line(row: int, first_col: int, last_col: int, signoff: SignOff, styles: _Styles) -> _Line:
    return _Line(row, first_col, last_col, signoff.text(), styles.signoff, points=SIGNOFF_ROW_POINTS)


def _write_lines(worksheet: Worksheet, heights: _RowHeights, widths: Sequence[float],
                 lines: Sequence[_Line]) -> int:
    """Fit and write lines (a FormSheet's); return the row after the last."""
    for line in lines:
        line.fit(heights, widths)
        line.write(worksheet)
    return lines[-1].row + 1


def _write_signoff(worksheet: Worksheet, heights: _RowHeights, widths: Sequence[float], row: int,
                   last_col: int, signoff: SignOff | None, styles: _Styles) -> int:
    """The sign-off line from row (when the sheet has one); return the next free row."""
    if signoff is None:
        return row
    return _write_lines(worksheet, heights, widths, [_signoff_line(row, 0, last_col, signoff, styles)])


def _write_wrapped_text(worksheet: Worksheet, heights: _RowHeights, widths: Sequence[float], row: int,
                        first_col: int, last_col: int, text: str, style: Format) -> None:
    """text merged across first_col..last_col, its row as tall as the wrapped text needs."""
    _write_lines(worksheet, heights, widths, [_Line(row, first_col, last_col, text, style)])


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
    """Plan the whole sheet, then write its cells in row order, each row's height set before
    its cells: title, header, data, notes, sign-off. Row order is what xlsxwriter's
    constant_memory needs, where a row is on disk once a later one is written."""
    columns = list(sheet.columns)
    if not columns:
        raise ValueError(f"TableSheet {sheet.name!r} has no columns")
    missing = [column.key for column in columns if column.key not in sheet.rows.columns]
    if missing:
        raise KeyError(f"TableSheet {sheet.name!r}: rows lack columns {missing}")
    last_col = len(columns) - 1
    heights = _RowHeights()

    # The plan, no cell written. The table first: its widths decide the paper, and the paper
    # how the title is merged.
    cells = [_column_cells(sheet.rows[column.key], column.kind) for column in columns]
    content_widths, line_breaks = [], []
    for column, column_cells in zip(columns, cells):  # a column's texts at a time: a county's are MB
        texts = _texts(column_cells)
        content_widths.append(_content_width(sheet.rows[column.key], column.kind, texts))
        line_breaks.append(any("\n" in text for text in texts))
    widths = _column_widths(columns, content_widths)
    header_first = 2 if sheet.subtitle else 1
    header_last = header_first + _header_rows(columns) - 1
    first_data_row = header_last + 1
    _fit_table_header(heights, header_first, columns, widths)
    wrapped = [_wrapped_texts(*plan) for plan in zip(columns, cells, widths, content_widths, line_breaks)]
    for column_cells, tall in zip(cells, wrapped):
        if tall:
            for row, cell in enumerate(column_cells, start=first_data_row):
                if (points := tall.get(cell)) is not None:
                    heights.need(row, points)

    key_columns = _key_columns(columns) if sheet.key_columns is None else sheet.key_columns
    breakable = [col == 0 or columns[col].group is None or columns[col].group != columns[col - 1].group
                 for col in range(len(columns))]
    setup = table_page_setup(widths, key_columns, breakable)
    # Printed in parts, a title merged across a page break would print cut in two: it stands
    # in the key columns, which every part repeats; notes and sign-off close the last part.
    heading_last_col, closing_first_col = last_col, 0
    if setup.column_breaks:
        heading_last_col = (setup.key_columns or setup.column_breaks[0]) - 1
        closing_first_col = setup.column_breaks[-1]
    heading = _heading_lines(0, 0, heading_last_col, sheet.title, sheet.subtitle, styles,
                             title_style=styles.title_left if setup.column_breaks else styles.title)
    after_data = first_data_row + len(sheet.rows)
    closing = [_Line(after_data + index, closing_first_col, last_col, note, styles.note, NOTE_FONT_SIZE)
               for index, note in enumerate(_notes_lines(sheet.notes))]
    if sheet.signoff is not None:  # a blank row above it
        closing.append(_signoff_line(after_data + len(closing) + 1, closing_first_col, last_col,
                                     sheet.signoff, styles))
    for line in (*heading, *closing):
        line.fit(heights, widths)
    last_row = max(header_last, closing[-1].row if closing else after_data - 1)

    # The cells, row by row.
    for col, width in enumerate(widths):
        worksheet.set_column(col, col, width)
    for line in heading:
        heights.set_row(worksheet, line.row)
        line.write(worksheet)
    for row in range(header_first, header_last + 1):
        heights.set_row(worksheet, row)
    _write_table_header(worksheet, header_first, columns, styles)
    plain = [styles.cell[column.kind] for column in columns]
    for row, row_cells in enumerate(zip(*cells), start=first_data_row):
        heights.set_row(worksheet, row)
        for col, cell in enumerate(row_cells):
            tall = wrapped[col]
            _write_cell(worksheet, row, col, cell, styles.cell_wrapped if tall and cell in tall else plain[col])
    for line in closing:
        heights.set_row(worksheet, line.row)
        line.write(worksheet)

    worksheet.freeze_panes(first_data_row, 0)
    worksheet.autofilter(header_last, 0, max(header_last, after_data - 1), last_col)
    # Title and header rows print on every page.
    _apply_page_setup(worksheet, setup, last_row, last_col, (0, header_last))
    worksheet.set_footer("&C第 &P 页，共 &N 页")


def _key_columns(columns: Sequence[Column]) -> int:
    """The leading columns that say whom a row is about: up to 姓名 when it comes early,
    else the leading ungrouped text columns (the first column at least)."""
    leading = []
    for column in columns[:MAX_KEY_COLUMNS]:
        if column.group is not None:
            break
        leading.append(column)
        if column.header in IDENTIFYING_HEADERS:
            return len(leading)
    count = 0
    for index, column in enumerate(leading):
        if column.kind != "text" and index > 0:
            break
        count += 1
    return max(1, count)


def _header_rows(columns: Sequence[Column]) -> int:
    """Rows of the header: two when any column has a group."""
    return 2 if any(column.group for column in columns) else 1


def _merged_down(columns: Sequence[Column]) -> bool:
    """Whether the header has cells merged down its two rows: the headers of ungrouped columns."""
    return _header_rows(columns) == 2 and any(not column.group for column in columns)


def _fit_table_header(heights: _RowHeights, row: int, columns: Sequence[Column],
                      widths: Sequence[float]) -> None:
    """Heights for the header from row, as _write_table_header lays it out."""
    if _header_rows(columns) == 1:
        for col, column in enumerate(columns):
            heights.need(row, text_height(column.header, widths[col]))
        return
    down: list[tuple[str, float]] = []
    for group, first, last in _group_runs(columns):
        if group:
            heights.need(row, text_height(group, merged_width(widths, first, last)))
            for col in range(first, last + 1):
                heights.need(row + 1, text_height(columns[col].header, widths[col]))
        else:
            down.extend((columns[col].header, widths[col]) for col in range(first, last + 1))
    for header, width in down:  # merged down both rows: after the rows' own needs
        heights.need_across(row, row + 1, text_height(header, width))


def _wrapped_texts(column: Column, cells: Sequence[Any], width: float, content_width: int,
                   line_breaks: bool) -> dict[str, float]:
    """A text column's texts too long for its width, each with the height its row needs for it
    wrapped; none when the column is as wide as its widest text and no text breaks a line."""
    # Most columns are as wide as their widest text: only a capped or narrowed one wraps.
    if column.kind != "text" or (content_width * UNITS_PER_CHARACTER_AT_10PT <= width - 0.5
                                 and not line_breaks):
        return {}
    return {text: text_height(text, width) for text in _texts(cells) if wrapped_lines(text, width) > 1}


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
                        styles: _Styles) -> None:
    """Write the header from row, as _fit_table_header lays it out: its first row, then its second."""
    if _header_rows(columns) == 1:
        for col, column in enumerate(columns):
            worksheet.write_string(row, col, column.header, styles.header)
        return
    runs = _group_runs(columns)
    for group, first, last in runs:
        if group:
            _write_merged_text(worksheet, row, first, last, group, styles.header)
        else:  # merged down both rows (so never in constant_memory: write_workbook)
            for col in range(first, last + 1):
                worksheet.merge_range(row, col, row + 1, col, "", styles.header)
                worksheet.write_string(row, col, columns[col].header, styles.header)
    for group, first, last in runs:
        if group:
            for col in range(first, last + 1):
                worksheet.write_string(row + 1, col, columns[col].header, styles.header)


def _content_width(values: pd.Series, kind: str, texts: set[str]) -> int:
    """The widest value of a column as displayed, in character widths.

    ``texts`` are the column's values written as text (``_column_cells``): they size a
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
    last_col = len(FORM_WIDTHS) - 1
    heights = _RowHeights()
    if not sheet.forms:  # 零报告: the line, signed and stamped like any form
        row = _write_form_heading(worksheet, heights, 0, sheet, styles)
        _write_wrapped_text(worksheet, heights, FORM_WIDTHS, row, 0, last_col, "（本期无辍学学生）",
                            styles.subtitle)
        end = row + 1 if sheet.signoff is None else \
            _write_signoff(worksheet, heights, FORM_WIDTHS, row + 2, last_col, sheet.signoff, styles)
        form_starts = [0]
    else:
        end = 0
        form_starts = []
        for form in sheet.forms:
            form_starts.append(end)
            end = _write_pupil_form(worksheet, heights, end, sheet, form, styles)
    heights.apply(worksheet)
    tallest = max(heights.total(first, last - 1) for first, last in zip(form_starts, [*form_starts[1:], end]))
    # Each form has its own title: no rows repeat. A break "at row r" falls between 0-based
    # rows r-1 and r: each later form starts a page.
    _apply_page_setup(worksheet, form_page_setup(FORM_WIDTHS, tallest), end - 1, last_col, None)
    worksheet.set_h_pagebreaks(form_starts[1:])


def _write_form_heading(worksheet: Worksheet, heights: _RowHeights, row: int, sheet: FormSheet,
                        styles: _Styles) -> int:
    """The title (and subtitle) above a form; return the next free row."""
    return _write_lines(worksheet, heights, FORM_WIDTHS,
                        _heading_lines(row, 0, len(FORM_WIDTHS) - 1, sheet.title, sheet.subtitle, styles))


def _write_form_label(worksheet: Worksheet, heights: _RowHeights, row: int, col: int, label: str,
                      styles: _Styles) -> None:
    worksheet.write_string(row, col, label, styles.form_label)
    heights.need(row, text_height(label, FORM_WIDTHS[col]))


def _write_form_value(worksheet: Worksheet, heights: _RowHeights, row: int, first_col: int,
                      last_col: int, value: Any, styles: _Styles) -> None:
    if last_col > first_col:
        worksheet.merge_range(row, first_col, row, last_col, "", styles.form_value)
    kind = "date" if _as_datetime(value) is not None else "text"
    _write_value(worksheet, row, first_col, value, kind, styles.form_value, styles.form_date)
    if kind == "text" and not _is_missing(value):
        heights.need(row, text_height(_as_text(value), merged_width(FORM_WIDTHS, first_col, last_col)))


def _write_pupil_form(worksheet: Worksheet, heights: _RowHeights, row: int, sheet: FormSheet,
                      form: PupilForm, styles: _Styles) -> int:
    """Write one form from row; return the first row after it."""
    last_col = len(FORM_WIDTHS) - 1
    row = _write_form_heading(worksheet, heights, row, sheet, styles)
    for line in FORM_LAYOUT:
        if len(line) == 1:
            # A long answer (address, cause, measures): the whole width, a taller row.
            heights.need(row, FORM_LONG_ROW_POINTS)
            _write_form_label(worksheet, heights, row, 0, line[0], styles)
            _write_form_value(worksheet, heights, row, 1, last_col, form.fields.get(line[0]), styles)
        else:
            heights.need(row, FORM_ROW_POINTS)
            for pair, label in enumerate(line):
                _write_form_label(worksheet, heights, row, 2 * pair, label, styles)
                _write_form_value(worksheet, heights, row, 2 * pair + 1, 2 * pair + 1,
                                  form.fields.get(label), styles)
        row += 1

    _write_wrapped_text(worksheet, heights, FORM_WIDTHS, row, 0, last_col, "劝返记录", styles.form_label)
    row += 1
    for col, column in enumerate(HISTORY_COLUMNS):
        _write_form_label(worksheet, heights, row, col, column.header, styles)
    row += 1
    history = form.history[[column.key for column in HISTORY_COLUMNS]]
    for record in history.itertuples(index=False, name=None):
        for col, value in enumerate(record):
            _write_form_value(worksheet, heights, row, col, col, value, styles)
        row += 1
    for _ in range(max(0, FORM_BLANK_HISTORY_ROWS - len(history))):
        for col in range(len(HISTORY_COLUMNS)):
            worksheet.write_blank(row, col, None, styles.form_value)
        heights.need(row, FORM_ROW_POINTS)
        row += 1
    return _write_signoff(worksheet, heights, FORM_WIDTHS, row, last_col, sheet.signoff, styles)


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
    print_area = worksheet.print_area
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
        # The line joins the rows every page repeats: a kept report says so on each page.
        worksheet.print_title_rows = f"{1 if first == 1 else first + 1}:{last + 1}"
    if print_area:
        area = CellRange(print_area.split("!")[-1].replace("$", ""))
        area.expand(down=1)
        worksheet.print_area = area.coord
    for page_break in worksheet.row_breaks.brk:  # 附件2: each form still starts a page
        page_break.id += 1
