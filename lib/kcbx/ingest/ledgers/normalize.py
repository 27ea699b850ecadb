"""Raw sheet rows -> canonical rows (schema.MODELS) and rejected rows with a reason.

Every data row is either accepted into the store or listed, with file, sheet,
row and reason, among the rejected rows: rows read = rows accepted + rows
rejected, per file. Rejected: an invalid key, a date that does not parse, an
unknown 事件 or 年级, a negative 课时 (a negative 金额 is a 冲正, kept). Common spellings are read: 学年 2021-2022
or 2021学年 as 2021; 学期 2021年秋季学期 as 2021秋 (docs/ledgers.md, "Values").

Each ``parse_*`` function reads one cell: it returns the canonical value (None
for a blank cell) or raises CellError with the reason shown to the user. Text
is only stripped, never evaluated: "=HYPERLINK(...)" stays that string.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from kcbx import schema
from kcbx.ingest.ledgers import headers
from kcbx.ingest.ledgers.ids import WARNING_REGION, PersonKey, resolve_person_key
from kcbx.ingest.ledgers.read import Finding, RawSheet
from kcbx.ingest.ledgers.school_days import TermDays


class CellError(ValueError):
    """A cell that cannot be read; the message is the rejection reason (Chinese)."""


# --------------------------------------------------------------------------- cells

def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.isna(value)) if isinstance(value, (float, type(pd.NaT))) else False


def cell_text(value: object) -> str | None:
    """A cell as text: stripped, otherwise exactly as written; None when blank.

    Numbers typed into text columns (phone numbers, 学籍号) keep their digits:
    13800138000, never "1.38e10" or "13800138000.0".
    """
    if _is_blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    return str(value)


def _folded(value: object) -> str:
    """Text with full-width digits and punctuation folded (２０２１ -> 2021) and no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _whole_number(value: object) -> int | None:
    """A numeric cell that holds a whole number, else None (bools are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug absorbed)
# Serials of 1900-01-01 .. 2099-12-31: a plain number outside is no date.
EXCEL_SERIALS = range(1, 73051)
DATE_TEXT = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # a time part, ignored
)
DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # 20210901
REASON_DATE = "日期无法识别"
# Dates a ledger can hold: from 1900 (the oldest birth date of a guardian's ID) to 2099, the
# range of Excel's serial numbers above. Anything else is a typo (3021-10-15 for 2021-10-15),
# and its row is rejected; the store could not even hold year 3021 (pandas' datetime64[ns]
# ends in 2262, and failed the whole file).
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
REASON_DATE_RANGE = "日期超出范围（应在 1900—2099 年之间）"


def parse_date(value: object) -> dt.date | None:
    """A date: an Excel date or serial number, 2021-09-01, 2021/9/1, 2021.9.1, 2021年9月1日, 20210901.

    A time part (2021-09-01 08:00:00) is ignored. Raises CellError("日期无法识别"), or
    CellError(REASON_DATE_RANGE) for a date before 1900 or after 2099.
    """
    date = _parse_date(value)
    if date is not None and not EARLIEST_DATE <= date <= LATEST_DATE:
        raise CellError(REASON_DATE_RANGE)
    return date


def _parse_date(value: object) -> dt.date | None:
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    serial = _whole_number(value)
    if serial is not None and serial in EXCEL_SERIALS:
        return EXCEL_EPOCH + dt.timedelta(days=serial)
    if isinstance(value, float) and not math.isnan(value) and int(value) in EXCEL_SERIALS:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))  # a serial with a time fraction
    text = _folded(value)
    match = DATE_TEXT.match(text) or DATE_COMPACT.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(REASON_DATE)


CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}
GRADE_TEXT = re.compile(r"^(?:小学)?([1-9一二三四五六七八九])(?:年级|级)?$")
JUNIOR_GRADE_TEXT = re.compile(r"^初(?:中)?([123一二三])(?:年级|级)?$")  # 初一 = grade 7
REASON_GRADE = "年级无法识别"


def parse_grade(value: object) -> int | None:
    """年级 1–9: 1–9, 一年级…九年级, 7年级, 初一/初二/初三 (= 7/8/9, also 初一年级). Raises CellError."""
    if _is_blank(value):
        return None
    number = _whole_number(value)
    if number is not None:
        if 1 <= number <= 9:
            return number
        raise CellError(REASON_GRADE)
    text = _folded(value)
    if match := GRADE_TEXT.match(text):
        digit = match.group(1)
        return CHINESE_DIGITS.get(digit) or int(digit)
    if match := JUNIOR_GRADE_TEXT.match(text):
        digit = match.group(1)
        return 6 + (CHINESE_DIGITS.get(digit) or int(digit))
    raise CellError(REASON_GRADE)


SCHOOL_YEAR_TEXT = re.compile(r"^(\d{4})(?:[-—–~至/](\d{4}|\d{2}))?(?:学年度?|年度?)?$")
REASON_SCHOOL_YEAR = "学年无法识别"


def parse_school_year(value: object) -> int | None:
    """学年 as its starting year: 2021, 2021-2022, 2021—2022学年, 2021学年, 2021-22 -> 2021.

    A second year that does not follow the first is an error. Raises CellError.
    """
    if _is_blank(value):
        return None
    number = _whole_number(value)
    if number is not None:
        if not 0 <= number <= 9999:  # the model checks the range; this keeps it a year at all
            raise CellError(REASON_SCHOOL_YEAR)
        return number
    match = SCHOOL_YEAR_TEXT.match(_folded(value))
    if not match:
        raise CellError(REASON_SCHOOL_YEAR)
    start, end = int(match.group(1)), match.group(2)
    if end is not None and int(end) != (start + 1) % 10 ** len(end):
        raise CellError(REASON_SCHOOL_YEAR)
    return start


TERM_TEXT = re.compile(r"^(\d{4})年?(秋|春)季?(?:学期)?$")
TERM_OF_SCHOOL_YEAR = re.compile(r"^(\d{4})[-—–~至](\d{4})学年度?第?([一二12])学期$")
REASON_TERM = "学期无法识别"


def parse_term(value: object) -> str | None:
    """学期 label: 2021秋, 2021年秋季学期, 2022春, 2022年春季; 2021-2022学年第一学期 = 2021秋, 第二学期 = 2022春."""
    if _is_blank(value):
        return None
    text = _folded(value)
    if match := TERM_TEXT.match(text):
        return f"{match.group(1)}{match.group(2)}"
    if match := TERM_OF_SCHOOL_YEAR.match(text):
        start, end, which = int(match.group(1)), int(match.group(2)), match.group(3)
        if end == start + 1:
            return f"{start}秋" if which in "一1" else f"{end}春"
    raise CellError(REASON_TERM)


def _number(value: object, label: str, signed: bool = False) -> float:
    if isinstance(value, bool):
        raise CellError(f"{label}无法识别")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = _folded(value).replace(",", "").removesuffix("元").lstrip("¥")
        try:
            number = float(text)
        except ValueError:
            raise CellError(f"{label}无法识别") from None
    if not math.isfinite(number):
        raise CellError(f"{label}无法识别")
    if number < 0 and not signed:
        raise CellError(f"{label}为负数")
    return number


def parse_amount(value: object, label: str = "金额", signed: bool = False) -> float | None:
    """A non-negative quantity (金额 "1,000元" -> 1000.0, 课时); ``signed``: a negative one too (a
    资助 冲正 "-312.5"). Raises CellError("金额为负数") etc."""
    return None if _is_blank(value) else _number(value, label, signed)


MAX_COUNT = 10 ** 9  # more pupils than China has: a typo (and beyond the store's whole numbers)


def parse_count(value: object, label: str) -> int | None:
    """A head count (在校生数 …): a whole number >= 0. Raises CellError."""
    if _is_blank(value):
        return None
    number = _number(value, label)
    if not number.is_integer():
        raise CellError(f"{label}应为整数")
    if number > MAX_COUNT:
        raise CellError(f"{label}超出范围")
    return int(number)


YES = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "寄宿"}
NO = {"否", "n", "no", "false", "0", "×", "✗", "无", "不是", "走读"}


def parse_yes_no(value: object, label: str = "是否") -> bool:
    """是/否 (also Y/N, 1/0, √/×; 寄宿/走读); a blank cell is 否. Raises CellError."""
    if _is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = _folded(cell_text(value)).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(f"{label}应为是或否")


def _canonical(value: object, spellings: dict[str, str], allowed: tuple[str, ...], reason: str) -> str | None:
    """A cell naming one of ``allowed``, folded, another spelling replaced (``spellings``);
    None when blank. Raises CellError(reason) for any other word."""
    if _is_blank(value):
        return None
    text = _folded(value)
    text = spellings.get(text, text)
    if text not in allowed:
        raise CellError(reason)
    return text


EVENT_SPELLINGS = {
    "疑似辍学登记": schema.CASE_OPENING,
    "辍学登记": schema.CASE_OPENING,
    "限期复学通知书": "发出限期复学通知书",
    "发限期复学通知书": "发出限期复学通知书",
    "下发限期复学通知书": "发出限期复学通知书",
    # A call or a message to the family is a 劝返 action like a visit (docs/ledgers.md, 事件).
    "电话联系": "劝返",
    "电话劝返": "劝返",
    "微信联系": "劝返",
}
REASON_EVENT = "未知事件"


def parse_event(value: object) -> str | None:
    """事件: one of schema.CASE_EVENTS; 疑似辍学登记 and 辍学登记 are 登记, 电话联系, 电话劝返 and
    微信联系 are 劝返 (EVENT_SPELLINGS). Raises CellError("未知事件")."""
    return _canonical(value, EVENT_SPELLINGS, schema.CASE_EVENTS, REASON_EVENT)


ABSENCE_SPELLINGS = {"无故缺勤": "无故", "无故缺课": "无故", "旷课缺勤": "旷课"}


def parse_absence_type(value: object) -> str | None:
    """缺勤类型: 无故, 旷课 (unexcused), 病假, 事假 (excused). Raises CellError("未知缺勤类型")."""
    return _canonical(value, ABSENCE_SPELLINGS, schema.UNEXCUSED_TYPES + schema.EXCUSED_TYPES, "未知缺勤类型")


REASON_DAYS = f"天数应为正整数（连续缺勤的上学日天数，1—{schema.MAX_ABSENCE_DAYS}；不填为 1 天）"
REASON_DAYS_OVER = (f"天数超过上限（最多 {schema.MAX_ABSENCE_DAYS} 个上学日；更长的缺勤请分成几行，"
                    "每行从该段第一个上学日填起）")
DAYS_TEXT = re.compile(r"^(\d+)(?:\.0+)?天?$")


def parse_days(value: object) -> int | None:
    """天数 of an absence row: a whole number of school days, 1 to schema.MAX_ABSENCE_DAYS
    (``3``, ``3.0``, ``"3"``, ``"３天"``); None when blank (one day). Raises CellError: REASON_DAYS
    for anything else (0, 2.5, 三), REASON_DAYS_OVER above the cap."""
    if _is_blank(value):
        return None
    number = _whole_number(value)
    if number is None and not isinstance(value, (bool, int, float)):
        match = DAYS_TEXT.match(_folded(value))
        number = int(match.group(1)) if match else None
    if number is None or number < 1:
        raise CellError(REASON_DAYS)
    if number > schema.MAX_ABSENCE_DAYS:
        raise CellError(REASON_DAYS_OVER)
    return number


STATUS_SPELLINGS = {"在校": "在读", "在籍": "在读", "转学": "转出", "已毕业": "毕业"}


def parse_status(value: object) -> str:
    """学籍状态: 在读 (the default for a blank cell), 休学, 转出, 毕业, 死亡. Raises CellError."""
    if _is_blank(value):
        return "在读"
    return _canonical(value, STATUS_SPELLINGS, schema.ROSTER_STATUSES, "未知学籍状态")


VERIFICATION_SPELLINGS = {
    "外地就读": "在外地就读", "异地就读": "在外地就读", "在外就读": "在外地就读",
    "已完成九年义务教育": "已完成义务教育", "完成义务教育": "已完成义务教育",
    "缓学": "延缓入学", "缓入学": "延缓入学", "免予入学": "免学",
    "已死亡": "死亡", "迁出": "户籍迁出", "户口迁出": "户籍迁出", "已迁出": "户籍迁出",
    "失学": "确认失学", "确认辍学": "确认失学", "其它": "其他",
}
REASON_VERIFICATION_RESULT = "未知核查结果（应为 " + "、".join(schema.VERIFICATION_RESULTS) + " 之一）"


def parse_verification_result(value: object) -> str | None:
    """核查结果: one of schema.VERIFICATION_RESULTS (外地就读 is 在外地就读, 缓学 延缓入学, 迁出
    户籍迁出 … VERIFICATION_SPELLINGS). Raises CellError naming the allowed results."""
    return _canonical(value, VERIFICATION_SPELLINGS, schema.VERIFICATION_RESULTS, REASON_VERIFICATION_RESULT)


def parse_choice(value: object, choices: tuple[str, ...], reason: str) -> str | None:
    """One of a few canonical words, also inside a longer spelling (讲道理感召 -> 感召)."""
    if _is_blank(value):
        return None
    text = _folded(value)
    if text in choices:
        return text
    contained = [choice for choice in choices if choice in text]
    if len(contained) == 1:
        return contained[0]
    raise CellError(reason)


# --------------------------------------------------------------------------- columns

def contract_header(kind: str, column: str) -> str:
    """The documented Chinese header of a canonical column (docs/ledgers.md; for reasons and messages)."""
    if column == "person_key":
        column = "id_number"
    names = headers.BY_KIND.get(kind, {}).get(column) or headers.COMMON.get(column)
    return names[0] if names else column


@functools.cache
def _parser(kind: str, column: str) -> Callable[[object], object]:
    """How one canonical column's cells are read (one function per column, so that
    parsed cells can be shared by every sheet of a batch)."""
    label = contract_header(kind, column)
    match column:
        case "birth_date" | "date":
            return parse_date
        case "grade":
            return parse_grade
        case "school_year":
            return parse_school_year
        case "term":
            return parse_term
        case "amount":  # a negative 金额 is a reversal (冲正) of an earlier payment
            return lambda v: parse_amount(v, label, signed=True)
        case "hours":
            return lambda v: parse_amount(v, label)
        case "enrolled" | "repeaters" | "graduates":
            return lambda v: parse_count(v, label)
        case "boarding" | "left_behind" | "migrant":
            return lambda v: parse_yes_no(v, label)
        case "status":
            return parse_status
        case "absence_type":
            return parse_absence_type
        case "days":
            return parse_days
        case "event":
            return parse_event
        case "result":
            return parse_verification_result
        case "method":
            return lambda v: parse_choice(v, schema.CASE_METHODS, "未知劝返方式")
        case "placement":
            choices = schema.CASE_PLACEMENTS if kind == "cases" else schema.DISABILITY_PLACEMENTS
            return lambda v: parse_choice(v, choices, "未知安置方式")
        case _:
            return cell_text


@dataclass(frozen=True)
class _Bad:
    reason: str


def _cell_texts(cells: list) -> list[str | None]:
    """cell_text of every cell; text cells (most of them) are stripped without a call each."""
    return [(cell.strip() or None) if type(cell) is str else cell_text(cell) for cell in cells]


class _Caches:
    """What one batch of sheets has parsed already, by distinct cell: ledgers repeat
    schools, grades and dates, and a child recurs in the roster, absences and cases."""

    def __init__(self) -> None:
        self.cells: dict[Callable, dict[tuple[type, object], object]] = {}
        self.unreadable: set[Callable] = set()  # parsers that have met a cell they cannot read
        self.person_keys: dict[tuple[str | None, str | None], PersonKey] = {}

    def read_column(self, cells: list, parse: Callable[[object], object]) -> tuple[list, list[int]]:
        """Parse a column's cells, and say where they cannot be read: a cell that
        cannot be read becomes a _Bad holding the reason."""
        if parse is cell_text:
            return _cell_texts(cells), []  # text is mostly distinct (names, IDs): nothing to share
        cache = self.cells.setdefault(parse, {})
        values = []
        for cell in cells:
            key = (type(cell), cell)  # typed: the text "1" and the number 1 may read differently
            if key not in cache:
                try:
                    cache[key] = parse(cell)
                except CellError as exc:
                    cache[key] = _Bad(str(exc))
                    self.unreadable.add(parse)
            values.append(cache[key])
        if parse not in self.unreadable:
            return values, []  # the usual case: no _Bad can be among them
        return values, [position for position, value in enumerate(values) if type(value) is _Bad]


def _raw_columns(rows: pd.DataFrame) -> dict[str, list]:
    """Every column's raw cells as a list (one conversion for the whole sheet)."""
    return dict(zip(rows.columns, rows.to_numpy(dtype=object).T.tolist()))


def _raw(cells: dict[str, list], column: str, length: int) -> list:
    """A column's raw cells; all blank when the file has no such column (it is optional)."""
    return cells[column] if column in cells else [None] * length


# Columns computed here rather than read from a cell.
DERIVED = set(schema.PERSON) | set(schema.PROVENANCE) | {"unexcused"}


# --------------------------------------------------------------------------- sheets

@dataclass
class NormalizedSheet:
    """A sheet read: ``accepted`` rows (the columns of schema.MODELS[kind], validated),
    ``rejected`` rows (schema.REJECTED_COLUMNS), row-level ``findings``, and an absence
    sheet's 零报告 rows (``zero_reports``: schema.MODELS[schema.ZERO_REPORTS]), accepted too
    but no absence."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    zero_reports: pd.DataFrame | None = None
    # Absence rows added for the 天数 of accepted rows (a row with 天数 3 is one data row accepted,
    # stored as three absences): not counted again among the rows accepted.
    days_added: int = 0

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted) - self.days_added + (0 if self.zero_reports is None else len(self.zero_reports))

    @property
    def rows_read(self) -> int:
        return self.rows_accepted + len(self.rejected)


# A rejected cell's value is shown up to this many characters (a cell may hold a megabyte).
VALUE_SHOWN = 50


def _shown(text: str) -> str:
    return text if len(text) <= VALUE_SHOWN else f"{text[:VALUE_SHOWN]}…（共 {len(text):,} 个字符）"


class _Rejections:
    """The first reason each row is rejected for (one rejected row per data row).

    Reasons use the documented header names (stable, so they can be counted);
    the ``column`` shown is the header as written in the file.
    """

    def __init__(self, sheet: RawSheet):
        self.sheet = sheet
        self.by_row: dict[int, tuple[str, str, str]] = {}  # row -> (column label, value, reason)

    def label(self, column: str) -> str:
        return self.sheet.header.labels.get(column) or contract_header(self.sheet.kind, column)

    def add(self, row: int, column: str, reason: str) -> None:
        if row not in self.by_row:
            raw = self.sheet.rows.at[row, column] if column in self.sheet.rows else None
            self.by_row[row] = (self.label(column), _shown(cell_text(raw) or ""), reason)

    def id_cell(self, row: int) -> str | None:
        """The row's 身份证号 cell as written (shortened like a value), None when blank or absent."""
        rows = self.sheet.rows
        text = cell_text(rows.at[row, "id_number"]) if "id_number" in rows and row in rows.index else None
        return _shown(text) if text else None

    def frame(self) -> pd.DataFrame:
        rows = sorted(self.by_row)
        columns = {
            "kind": [self.sheet.kind] * len(rows),
            "file": [self.sheet.file] * len(rows),
            "sheet": [self.sheet.sheet] * len(rows),
            "row": rows,
            "column": [self.by_row[r][0] for r in rows],
            "value": [self.by_row[r][1] for r in rows],
            "reason": [self.by_row[r][2] for r in rows],
            "id_number": [self.id_cell(r) for r in rows],
        }
        return pd.DataFrame({name: pd.Series(columns[name], dtype="int64" if name == "row" else object)
                             for name in schema.REJECTED_COLUMNS})


PANDERA_REASONS = {
    "not_nullable": "{label}为空",
    "isin": "{label}不在允许的取值中",
    "in_range": "{label}超出范围",
    "str_matches": "{label}格式错误",
    "greater_than_or_equal_to": "{label}为负数",
}


def _pandera_reason(check: str, label: str) -> str:
    name = check.split("(")[0]
    return PANDERA_REASONS.get(name, "{label}未通过检查（" + check + "）").format(label=label)


@dataclass
class _ParsedSheet:
    """A sheet whose cells are read: the rows not rejected so far, as lists of canonical
    values by column (untyped), the rejections, and the warnings of rows kept, by row."""

    sheet: RawSheet
    values: dict[str, list]
    rejections: _Rejections
    warnings: dict[int, str]
    zero_reports: pd.DataFrame | None = None
    # An absence row's further days (天数 > 1), by row: the school days after its 日期.
    more_days: dict[int, tuple[dt.date, ...]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.values["source_row"])


def normalize_sheet(sheet: RawSheet, today: dt.date, term: TermDays | None = None) -> NormalizedSheet:
    """Canonical rows of one sheet, the rows rejected with their reason, and warnings.

    Per row, the first problem found is its reason: the person key first, then
    the columns in store order, then the pandera model's checks. ``today``
    bounds birth dates in IDs; ``term``'s school days are what an absence row's 天数
    counts (without it, a 天数 above 1 is rejected).
    """
    return normalize_sheets([sheet], today, term)[0]


def normalize_sheets(sheets: list[RawSheet], today: dt.date, term: TermDays | None = None) -> list[NormalizedSheet]:
    """normalize_sheet of every sheet, in order, with one pandera validation per kind.

    Validating costs milliseconds a call whatever the rows, and a county sends
    hundreds of small sheets: they are checked together, and a failing row is
    traced back to its sheet.
    """
    caches = _Caches()
    parsed = [_parse_sheet(sheet, today, caches, term) for sheet in sheets]
    results: list[NormalizedSheet | None] = [None] * len(sheets)
    for kind in dict.fromkeys(sheet.kind for sheet in sheets):
        numbers = [i for i, sheet in enumerate(sheets) if sheet.kind == kind]
        accepted = _validate(kind, [parsed[i] for i in numbers])
        for i, rows in zip(numbers, accepted):
            findings = _warning_findings(sheets[i], parsed[i].warnings, rows)
            expanded = _with_more_days(rows, parsed[i].more_days) if parsed[i].more_days else rows
            results[i] = NormalizedSheet(expanded, parsed[i].rejections.frame(), findings,
                                         parsed[i].zero_reports, days_added=len(expanded) - len(rows))
    return results


def _parse_sheet(sheet: RawSheet, today: dt.date, caches: _Caches, term: TermDays | None = None) -> _ParsedSheet:
    """Read every cell of a sheet; rows with an unreadable cell or key are rejected here."""
    kind, rows = sheet.kind, sheet.rows
    model = schema.MODELS[kind]
    rejections = _Rejections(sheet)
    row_numbers = rows.index.tolist()
    if sheet.missing:
        for row in row_numbers:
            rejections.by_row[row] = ("表头", "", sheet.missing_message)
        return _ParsedSheet(sheet, {column: [] for column in model.columns}, rejections, {})

    for row, (column, reason) in sheet.cell_rejections.items():
        rejections.add(row, column, reason)
    zero_reports = None
    if kind == "absence":  # its 零报告 rows are read apart: no pupil, no absence
        sheet, zero_reports = _take_zero_reports(sheet, rejections)
        rows, row_numbers = sheet.rows, sheet.rows.index.tolist()
    raw = _raw_columns(rows)
    values: dict[str, list] = {}
    warnings: dict[int, str] = {}
    if kind in headers.PERSON_KEYED:
        person, warnings = _person_columns(sheet, raw, today, rejections, caches.person_keys)
        values.update(person)

    for column, spec in model.columns.items():
        if column in DERIVED:
            continue
        parsed, unreadable = caches.read_column(_raw(raw, column, len(row_numbers)), _parser(kind, column))
        for position in unreadable:
            rejections.add(row_numbers[position], column, parsed[position].reason)
        if not spec.nullable:
            for row, value in zip(row_numbers, parsed):
                if value is None:
                    rejections.add(row, column, f"{contract_header(kind, column)}为空")
        values[column] = parsed

    more_days: dict[int, tuple[dt.date, ...]] = {}
    if kind == "absence":
        values["unexcused"] = [value in schema.UNEXCUSED_TYPES for value in values["absence_type"]]
        if "days" in raw:  # an optional column: files without it are read as ever
            more_days = _absence_days(raw["days"], values["date"], row_numbers, rejections, caches, term)
    if kind == "verification":
        _incomplete_checks(values, row_numbers, rejections)
    values["source_file"] = [sheet.file] * len(row_numbers)
    values["source_sheet"] = [sheet.sheet] * len(row_numbers)
    values["source_row"] = row_numbers

    if rejections.by_row:
        kept = [position for position, row in enumerate(row_numbers) if row not in rejections.by_row]
        values = {column: [cells[position] for position in kept] for column, cells in values.items()}
    return _ParsedSheet(sheet, {column: values[column] for column in model.columns}, rejections, warnings,
                        zero_reports, {row: days for row, days in more_days.items() if row not in rejections.by_row})


def _absence_days(cells: list, dates: list, row_numbers: list[int], rejections: _Rejections, caches: _Caches,
                  term: TermDays | None) -> dict[int, tuple[dt.date, ...]]:
    """The further school days of the absence rows whose 天数 is above 1, by row; a 天数 that is
    no whole number from 1 to schema.MAX_ABSENCE_DAYS rejects its row, and so does one that
    cannot be counted in the term: its 日期 is no school day of the term (天数 counts from it),
    or the term ends before the 天数 is reached."""
    parsed, unreadable = caches.read_column(cells, parse_days)
    for position in unreadable:
        rejections.add(row_numbers[position], "days", parsed[position].reason)
    more: dict[int, tuple[dt.date, ...]] = {}
    for row, count, date in zip(row_numbers, parsed, dates):
        if count is None or type(count) is _Bad or count == 1 or row in rejections.by_row:
            continue
        if date is None or type(date) is _Bad:
            continue  # rejected for its 日期 already
        reason = None
        if term is None:
            reason = REASON_DAYS_NO_TERM
        elif not term.start <= date <= term.end:
            reason = REASON_DAYS_OUTSIDE_TERM.format(date=date, start=term.start, end=term.end)
        elif not term.is_school_day(date):
            reason = REASON_DAYS_NOT_SCHOOL_DAY.format(date=date)
        else:
            days = term.from_day(date, count)
            if len(days) < count:
                reason = REASON_DAYS_PAST_TERM.format(date=date, left=len(days), end=term.end)
            else:
                more[row] = days[1:]
        if reason is not None:
            rejections.add(row, "days", reason)
    return more


REASON_DAYS_NO_TERM = "天数无法计算（没有学期的上学日）"
REASON_DAYS_OUTSIDE_TERM = "天数无法计算：日期 {date} 不在学期内（{start} 至 {end}），天数只能从学期内的上学日算起"
REASON_DAYS_NOT_SCHOOL_DAY = "天数无法计算：日期 {date} 不是上学日（天数从日期算起，日期应填连续缺勤的第一个上学日）"
REASON_DAYS_PAST_TERM = "天数超出学期：从 {date} 起到学期最后一天 {end} 只有 {left} 个上学日"


def _with_more_days(rows: pd.DataFrame, more_days: dict[int, tuple[dt.date, ...]]) -> pd.DataFrame:
    """Accepted absence rows with a row added for each further day of their 天数, right after
    it: the same pupil, type, school and note, the same source row (rejections and findings
    name the cell the school filled), the day's date."""
    extra = [more_days.get(row, ()) for row in rows["source_row"].tolist()]
    expanded = rows.loc[rows.index.repeat([1 + len(days) for days in extra])].reset_index(drop=True)
    dates = [day for first, days in zip(rows["date"].tolist(), extra) for day in (first, *days)]
    expanded["date"] = schema.typed(pd.Series(dates, dtype=object), schema.MODELS["absence"].columns["date"])
    return expanded


REASON_ZERO_REPORT_SCHOOL = "零报告未填学校（零报告须写明日期和学校）"
# A 零报告 is one school day's report: several days with nobody absent are several 零报告 lines, each
# sent on its day (a 零报告 sent ahead, or one for a week at once, is no daily report).
REASON_ZERO_REPORT_DAYS = "零报告只报一天，天数须空着（每个无人缺勤的上学日各报一行零报告）"


def _one_day(cell: object) -> bool:
    """Whether a 零报告 row's 天数 cell is blank or 1."""
    try:
        return parse_days(cell) in (None, 1)
    except CellError:
        return False


def _reads_zero_report(cell: object) -> bool:
    return not _is_blank(cell) and _folded(cell) in schema.ZERO_REPORT_WORDS


def _take_zero_reports(sheet: RawSheet, rejections: _Rejections) -> tuple[RawSheet, pd.DataFrame]:
    """An absence sheet without its 零报告 rows, and those rows read: date, school and provenance.

    A 零报告 needs its 日期 and 学校 (whose report it is, which day); without either, or with a
    cell the reader already refused, it is rejected with the reason."""
    rows = sheet.rows
    length = len(rows)
    names = rows["name"].tolist() if "name" in rows else [None] * length
    types = rows["absence_type"].tolist() if "absence_type" in rows else [None] * length
    # A 零报告: its 姓名 or 缺勤类型 reads 无缺勤 or 零报告; each distinct cell looked at once
    # (names and types recur row after row)
    zero_cells = {cell for cell in {*names, *types} if _reads_zero_report(cell)}
    zero_rows = [row for row, name, kind in zip(rows.index.tolist(), names, types)
                 if name in zero_cells or kind in zero_cells]
    dates, schools, kept = [], [], []
    for row in zero_rows:
        if row in rejections.by_row:  # a cell the reader refused (a formula without its value …)
            continue
        try:
            date = parse_date(rows.at[row, "date"])
        except CellError as exc:
            rejections.add(row, "date", str(exc))
            continue
        school = cell_text(rows.at[row, "school"]) if "school" in rows else None
        if date is None:
            rejections.add(row, "date", f"{contract_header('absence', 'date')}为空")
        elif school is None:
            rejections.add(row, "school", REASON_ZERO_REPORT_SCHOOL)
        elif "days" in rows and not _one_day(rows.at[row, "days"]):
            rejections.add(row, "days", REASON_ZERO_REPORT_DAYS)
        else:
            dates.append(date)
            schools.append(school)
            kept.append(row)
    model = schema.MODELS[schema.ZERO_REPORTS]
    reports = pd.DataFrame({column: schema.typed(pd.Series(values, dtype=object), model.columns[column])
                            for column, values in {"date": dates, "school": schools, "source_file": [sheet.file] * len(kept),
                                                   "source_sheet": [sheet.sheet] * len(kept),
                                                   "source_row": kept}.items()})
    if not zero_rows:
        return sheet, reports
    zero = set(zero_rows)
    others = [row for row in rows.index if row not in zero]
    remaining = dataclasses.replace(sheet, rows=rows.loc[others],
                                    cell_rejections={r: v for r, v in sheet.cell_rejections.items() if r not in zero})
    return remaining, model.validate(reports)


def _incomplete_checks(values: dict[str, list], row_numbers: list[int], rejections: _Rejections) -> None:
    """A verification row filled in part: 核查人, 佐证 or 核查日期 without a 核查结果, or a
    核查结果 without its 核查日期, is rejected. A row with none of them (a 回执 row not
    filled in yet) is kept, and counts as no check."""
    for row, result, evidence, checker, date in zip(row_numbers, values["result"], values["evidence"],
                                                   values["checked_by"], values["date"]):
        if type(result) is _Bad or type(date) is _Bad:
            continue  # rejected already, for the cell that cannot be read
        if result is None and (evidence or checker or date is not None):
            rejections.add(row, "result", f"{contract_header('verification', 'result')}为空")
        elif result is not None and date is None:
            rejections.add(row, "date", f"{contract_header('verification', 'date')}为空")


def _validate(kind: str, sheets: list[_ParsedSheet]) -> list[pd.DataFrame]:
    """The rows of several parsed sheets of one kind, typed and validated by schema.MODELS[kind]
    in one call, back as one frame per sheet. Rows failing a check join their sheet's rejections."""
    model = schema.MODELS[kind]
    frame = pd.DataFrame({column: schema.typed(pd.Series([value for sheet in sheets for value in sheet.values[column]],
                                                  dtype=object), spec)
                          for column, spec in model.columns.items()})
    sheet_of_row = np.repeat(np.arange(len(sheets)), [sheet.rows for sheet in sheets])
    try:
        accepted = model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases
        if failures["index"].isna().any():  # a column-level failure is a bug here, not bad data
            raise
        for failure in failures.itertuples():
            position = int(failure.index)
            reason = _pandera_reason(str(failure.check), contract_header(kind, failure.column))
            sheets[sheet_of_row[position]].rejections.add(int(frame.at[position, "source_row"]),
                                                          failure.column, reason)
        failed = sorted({int(position) for position in failures["index"]})
        sheet_of_row = np.delete(sheet_of_row, failed)
        accepted = model.validate(frame.drop(index=failed))
    bounds = np.searchsorted(sheet_of_row, np.arange(len(sheets) + 1))
    return [accepted.iloc[start:stop].reset_index(drop=True) for start, stop in zip(bounds[:-1], bounds[1:])]


def _person_columns(sheet: RawSheet, raw: dict[str, list], today: dt.date, rejections: _Rejections,
                    resolved: dict[tuple[str | None, str | None], PersonKey]
                    ) -> tuple[dict[str, list], dict[int, str]]:
    """person_key, id_number, student_no of every row (see ids.resolve_person_key),
    and the warnings of rows that are kept, by row. ``resolved`` holds the keys
    of (ID, 学籍号) pairs met before."""
    row_numbers = sheet.rows.index.tolist()
    id_cells = _raw(raw, "id_number", len(row_numbers))
    student_no_cells = _raw(raw, "student_no", len(row_numbers))
    keys: list[PersonKey] = []
    warnings: dict[int, str] = {}
    for row, id_cell, pair in zip(row_numbers, id_cells, zip(_cell_texts(id_cells), _cell_texts(student_no_cells))):
        key = resolved.get(pair)
        if key is None:
            key = resolved[pair] = resolve_person_key(*pair, today)
        keys.append(key)
        if _id_stored_as_number(id_cell):
            rejections.add(row, "id_number", REASON_ID_AS_NUMBER)
        elif key.reason:
            rejections.add(row, key.reason_column, key.reason)
        elif key.warning:
            warnings[row] = key.warning
    columns = {name: [getattr(key, name) for key in keys] for name in schema.PERSON}
    return columns, warnings


REASON_ID_AS_NUMBER = "身份证号被存为数字，后几位已丢失（请把该列设为文本后重新填写）"


def _id_stored_as_number(raw: object) -> bool:
    """An ID typed into a numeric Excel cell: Excel keeps 15 significant digits, so it is lost."""
    if type(raw) is str:
        return False  # the usual case, decided at once
    number = _whole_number(raw)
    return number is not None and number >= 10 ** 15


def _warning_findings(sheet: RawSheet, warnings: dict[int, str], accepted: pd.DataFrame) -> list[Finding]:
    """Findings for the accepted rows' warnings.

    A region code unknown for the birth year is one finding per code (first row,
    count): a county re-coded after its children were born would otherwise
    flood the list with one line per child.
    """
    if not warnings:
        return []  # also: a kind without a person has no id_number column
    id_of_row = dict(zip(accepted["source_row"], accepted["id_number"]))  # accepted rows only
    findings = []
    by_region: dict[str, list[int]] = {}
    for row, warning in warnings.items():
        if row not in id_of_row:
            continue
        if warning == WARNING_REGION:
            by_region.setdefault(id_of_row[row][:6], []).append(row)
        else:
            findings.append(Finding(sheet.kind, sheet.file, sheet.sheet, int(row), warning))
    for region, rows in by_region.items():
        findings.append(Finding(sheet.kind, sheet.file, sheet.sheet, int(rows[0]),
                                f"{WARNING_REGION}：地区码 {region}，共 {len(rows)} 行"))
    return findings
