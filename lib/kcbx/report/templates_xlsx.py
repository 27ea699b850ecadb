"""Templates schools and villages fill in, that kcbx reads back exactly (``kcbx templates``).

    <outputs>/<county>/templates/<as_of>/<township>/<school>/<school>缺勤登记.xlsx
    <outputs>/<county>/templates/<as_of>/<township>/<school>/<school>劝返记录.xlsx
    <outputs>/<county>/templates/<as_of>/<township>/<township>疑似失学核查回执.xlsx

Each workbook's first sheet is a ledger sheet in the shape ingest reads (docs/ledgers.md): a
title row, the header row in the ledger's own Chinese headers, then one line per pupil (case,
child) with who it is written in, and the columns to fill left blank. A line left unfilled is
no data row (ingest: a row of an event kind holding only who it is); a filled line is one
absence, case event or check. The header and the written-in cells are locked (sheet
protection, no password); every input cell is unlocked and carries a date, list or length
validation. A second sheet, 填表说明, has no header ingest recognises and is skipped.

Every value is written with xlsxwriter's typed calls (``write_string``): a name "=1+1" stays
text, an ID keeps its X. The files hold full identities: they are created with the mode of
a private file (``kcbx.util.files.Access``: 0600, or 0640 with params ``share_group``).

The headers are ingest's (kcbx.ingest.ledgers.headers), written out here because the report
layer does not import ingest; tests/unit/report/test_templates_xlsx.py checks them against it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kcbx import schema
from kcbx.analysis.model import Analysis
from kcbx.outputs import county_output_dir, safe_dirname
from kcbx.params import Params
from kcbx.report.excel import A4, TEXT_ONLY_OPTIONS
from kcbx.util.collector import collector_paused
from kcbx.util.files import Access, replacing

TEMPLATES_DIR = "templates"  # <outputs>/<county>/templates/<as_of>/<township>/
ABSENCE_FILE = "缺勤登记"  # <school>缺勤登记.xlsx
CASES_FILE = "劝返记录"  # <school>劝返记录.xlsx
VERIFICATION_FILE = "疑似失学核查回执"  # <township>疑似失学核查回执.xlsx
SUFFIX = ".xlsx"
INSTRUCTIONS_SHEET = "填表说明"
ABSENCE_SHEET, CASES_SHEET, VERIFICATION_SHEET = "缺勤登记", "劝返记录", "核查回执"

# 零报告 (docs/ledgers.md): the line a school fills with the day's 日期 when nobody was absent;
# its 姓名 reads ZERO_REPORT (schema.ZERO_REPORT_WORDS).
ZERO_REPORT = "无缺勤"
ZERO_REPORT_LABEL = "零报告"
ABSENCE_TYPES = (*schema.EXCUSED_TYPES, *schema.UNEXCUSED_TYPES)  # 病假, 事假, 无故, 旷课
# 核查结果 as the verification kind reads them (schema.VERIFICATION_RESULTS, contract order).
VERIFICATION_RESULTS: tuple[str, ...] = schema.VERIFICATION_RESULTS
GRADE_NAMES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
SPARE_ROWS = 10  # blank lines at the end, who included: a pupil missing from the roster, a second day
MAX_NOTE = 200  # characters of a free-text cell (备注, 佐证 …)
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")


# --- what a sheet is ------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """One column of a template sheet: its header (ingest's, or one ingest ignores), its width,
    and what an input cell of it accepts: "text" (free, up to ``length`` characters), "date",
    "list" (``choices``), "whole" (a whole number from 1 to ``length``); ``given``: written in
    by kcbx and locked (an input in spare lines)."""

    header: str
    width: float
    accepts: str = "text"
    choices: tuple[str, ...] = ()
    length: int = MAX_NOTE
    given: bool = False
    help: str = ""


@dataclass
class TemplateSheet:
    """A ledger sheet: a title, columns, lines (header -> value; a given column's value) and
    the number of spare lines. ``locked_inputs``: (line, header) input cells kcbx locks blank
    (the 零报告 line's 缺勤类型). ``comments``: (line, header) -> a note shown on the cell."""

    name: str
    title: str
    subtitle: str
    columns: list[Col]
    lines: list[dict[str, str]]
    spare: int = SPARE_ROWS
    spare_given: dict[str, str] = field(default_factory=dict)  # given on spare lines too (学校)
    locked_inputs: set[tuple[int, str]] = field(default_factory=set)
    comments: dict[tuple[int, str], str] = field(default_factory=dict)


TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 0, 1, 2  # zero-based; data from row 4 as Excel shows it
FIRST_LINE = HEADER_ROW + 1


@dataclass(frozen=True)
class DateRange:
    first: dt.date
    last: dt.date


# --- the three templates ----------------------------------------------------------------------


def _text(value: Any) -> str:
    """A ledger value as the text a cell holds ("" for a missing one)."""
    if value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _grade(value: Any) -> str:
    try:
        return GRADE_NAMES[int(value) - 1]
    except (TypeError, ValueError, IndexError):
        return _text(value)


def absence_sheet(school: str, pupils: pd.DataFrame, days: DateRange) -> TemplateSheet:
    """缺勤登记 of one school: the 零报告 line, then one line per 在读 pupil (姓名, 年级, 班级,
    学籍号, 身份证号, 学校 written in), 日期, 缺勤类型, 天数 and 备注 to fill: a line is one
    absence of 天数 consecutive school days from 日期 (blank: one day)."""
    columns = [
        Col("序号", 6, given=True),
        Col("姓名", 10, given=True, length=20),
        Col("年级", 8, accepts="list", choices=GRADE_NAMES, given=True),
        Col("班级", 8, given=True, length=20),
        Col("学籍号", 22, given=True, length=30, help="学籍号或身份证号至少填一项"),
        Col("身份证号", 21, given=True, length=18, help="18 位身份证号，末位 X 大写"),
        Col("学校", 18, given=True),
        Col("日期", 12, accepts="date",
            help=f"缺勤的日期（{days.first} 至 {days.last}）；连续缺勤多天填第一天，并填「天数」"),
        Col("缺勤类型", 10, accepts="list", choices=ABSENCE_TYPES, help="病假、事假（有故）或 无故、旷课（无故）"),
        Col("天数", 6, accepts="whole", length=schema.MAX_ABSENCE_DAYS, help=DAYS_HELP),
        Col("备注", 24, help="原因、联系家长情况等"),
    ]
    lines = [{"序号": ZERO_REPORT_LABEL, "姓名": ZERO_REPORT, "学校": school}]
    ordered = pupils.sort_values(["grade", "class_name", "name"], na_position="last", kind="stable")
    for number, pupil in enumerate(ordered.itertuples(index=False), start=1):
        lines.append({"序号": str(number), "姓名": _text(pupil.name), "年级": _grade(pupil.grade),
                      "班级": _text(pupil.class_name), "学籍号": _text(pupil.student_no),
                      "身份证号": _text(pupil.id_number), "学校": school})
    return TemplateSheet(
        ABSENCE_SHEET, f"{school} 学生缺勤登记（日报）",
        f"每个上学日 17:00 前报送。当天无人缺勤：在第一行「{ZERO_REPORT_LABEL}」填日期（零报告）；"
        "有学生缺勤：在该生一行填日期和缺勤类型（连续缺勤多天：日期填第一天，再填天数）。详见「填表说明」。",
        columns, lines, spare_given={"学校": school}, locked_inputs={(0, "缺勤类型"), (0, "天数")})


DAYS_HELP = "连续缺勤的上学日天数，从「日期」算起；不填为 1 天"


def _identity(person_key: str) -> dict[str, str]:
    """A child (of a case, of the 疑似失学 list) under the header ingest keys them by: the person
    key, an ID as 身份证号, else (a child without one) as 学籍号."""
    key = _text(person_key)
    return {"身份证号": key} if ID_PATTERN.match(key) else {"学籍号": key}


def cases_sheet(school: str, township: str, cases: pd.DataFrame, events: pd.DataFrame,
                days: DateRange) -> TemplateSheet:
    """劝返记录 of one school: one line per open case (the child, 乡镇, 学校, 年级 written in;
    a note on the name says when it was opened and its last event), the event to fill: 日期,
    事件 (schema.CASE_EVENTS), 劝返方式, 安置方式, 去向, the two owners, 备注."""
    columns = [
        Col("序号", 6, given=True),
        Col("姓名", 10, given=True, length=20),
        Col("身份证号", 21, given=True, length=18, help="18 位身份证号，末位 X 大写"),
        Col("学籍号", 22, given=True, length=30, help="无身份证号的学生填学籍号"),
        Col("乡镇", 10, given=True),
        Col("学校", 18, given=True),
        Col("年级", 8, accepts="list", choices=GRADE_NAMES, given=True),
        Col("日期", 12, accepts="date", help=f"事件的日期（{days.first} 至 {days.last}）"),
        Col("事件", 16, accepts="list", choices=schema.CASE_EVENTS,
            help="登记 立案；家访、劝返、发出限期复学通知书 工作；复学、转学、外地就读、送教上门、死亡 结果；销号"),
        Col("劝返方式", 10, accepts="list", choices=schema.CASE_METHODS),
        Col("安置方式", 10, accepts="list", choices=schema.CASE_PLACEMENTS),
        Col("去向", 14),
        Col("行政线责任人", 14, length=40),
        Col("教育线责任人", 14, length=40),
        Col("备注", 24),
    ]
    lines, comments = [], {}
    ordered = cases.sort_values(["opened", "name"], kind="stable")
    for number, case in enumerate(ordered.itertuples(index=False), start=1):
        lines.append({"序号": str(number), "姓名": _text(case.name), **_identity(case.person_key),
                      "乡镇": _text(case.township) or township, "学校": school, "年级": _grade(case.grade)})
        comments[(len(lines) - 1, "姓名")] = _case_note(case, events)
    return TemplateSheet(
        CASES_SHEET, f"{school} 劝返工作记录",
        "在办案件已列出：每次工作（家访、劝返、发通知书）或结果（复学、转学……）填一行日期和事件；"
        "同一学生多次工作或新登记的学生，用表末空行（填身份证号或学籍号）。详见「填表说明」。",
        columns, lines, spare_given={"学校": school, "乡镇": township}, comments=comments)


def _case_note(case: Any, events: pd.DataFrame) -> str:
    """What an officer needs to see of an open case: opened, cause, owners, last event."""
    parts = [f"立案：{_text(case.opened)}"]
    if _text(case.cause):
        parts.append(f"辍学原因：{_text(case.cause)}")
    owners = "、".join(filter(None, (_text(case.admin_owner), _text(case.edu_owner))))
    if owners:
        parts.append(f"责任人：{owners}")
    own = events[events["case_id"] == case.case_id] if "case_id" in events else events.iloc[0:0]
    if len(own):
        last = own.sort_values("date", kind="stable").iloc[-1]
        parts.append(f"最近：{_text(last['date'])} {_text(last['event'])}")
    return "\n".join(parts)


def verification_sheet(township: str, children: pd.DataFrame, days: DateRange) -> TemplateSheet:
    """疑似失学核查回执 of one township: one line per child kcbx lists as 疑似失学, with full
    identity (the person key under 身份证号, or 学籍号 for a child without an ID, as ingest keys
    them), village, guardian and the reason kcbx lists them; 核查结果 (a dropdown), 佐证,
    核查人 and 核查日期 to fill (the verification kind's headers)."""
    columns = [
        Col("序号", 6, given=True),
        Col("身份证号", 21, given=True, length=18, help="18 位身份证号，末位 X 大写"),
        Col("学籍号", 22, given=True, length=30, help="无身份证号的儿童填学籍号"),
        Col("姓名", 10, given=True, length=20),
        Col("性别", 6, given=True, length=2),
        Col("出生日期", 12, given=True, length=10),
        Col("乡镇", 10, given=True),
        Col("村", 12, given=True, length=30),
        Col("监护人", 10, given=True, length=20),
        Col("联系电话", 14, given=True, length=20),
        Col("列入原因", 24, given=True),
        Col("核查结果", 16, accepts="list", choices=VERIFICATION_RESULTS,
            help="在外地就读：佐证填学校和学籍号；延缓入学、免学：佐证填批准文号；确认失学、其他：可不填佐证"),
        Col("佐证", 28, help="就读学校和学籍号，或证明、批准文号"),
        Col("核查人", 12, length=40),
        Col("核查日期", 12, accepts="date", help=f"核查的日期（{days.first} 至 {days.last}）"),
    ]
    lines = []
    ordered = children.sort_values(["village", "name"], na_position="last", kind="stable")
    for number, child in enumerate(ordered.itertuples(index=False), start=1):
        lines.append({"序号": str(number), **_identity(child.person_key), "姓名": _text(child.name),
                      "性别": _text(child.gender), "出生日期": _text(child.birth_date),
                      "乡镇": _text(child.township) or township, "村": _text(child.village),
                      "监护人": _text(child.guardian), "联系电话": _text(child.phone),
                      "列入原因": _text(child.reason)})
    return TemplateSheet(
        VERIFICATION_SHEET, f"{township} 疑似失学儿童核查回执",
        "请村（社区）和学校逐一核查下列儿童，填写核查结果、佐证、核查人和核查日期后交回乡镇。详见「填表说明」。",
        columns, lines, spare=0)


INSTRUCTIONS: dict[str, list[str]] = {
    ABSENCE_SHEET: [
        "1. 本表每个上学日 17:00 前报送一次（日报）。请勿改动表头、姓名、学籍号、身份证号等已填内容（已锁定）。",
        f"2. 当天无人缺勤：在第一行（序号「{ZERO_REPORT_LABEL}」、姓名「{ZERO_REPORT}」）的「日期」填当天日期，即为零报告。",
        "3. 有学生缺勤：在该生一行填「日期」和「缺勤类型」（下拉选择：病假、事假、无故、旷课），可在「备注」写原因。",
        f"4. 连续缺勤多个上学日只填一行，不必每天一行：「日期」填第一天，「天数」填连续缺勤的上学日天数"
        f"（1—{schema.MAX_ABSENCE_DAYS} 的整数，不填为 1 天）。天数只数上学日，跳过周末、节假日和放假日，"
        "调休上课的周末照算：如周四起缺勤 3 天，即周四、周五和下周一。天数不能超出本学期。",
        "5. 同一学生另有一段不连续的缺勤，或缺勤类型不同：在表末空行另填一行"
        "（填身份证号或学籍号、姓名、日期、缺勤类型，需要时填天数）。",
        "6. 花名册中没有的学生，也在表末空行填写（身份证号或学籍号必填）。",
        "7. 日期请用日期格式（如 2021-10-15）；缺勤类型只能从下拉列表中选择，天数只能填整数，"
        "手工输入其他文字的行将被退回。零报告行只填日期，不填天数（每天各报一次）。",
        "8. 未填日期和缺勤类型的行视为未缺勤，不会上报。",
    ],
    CASES_SHEET: [
        "1. 表中已列出本校在办的辍学（疑似辍学）案件，鼠标停在姓名上可看立案日期、原因和最近一次工作。",
        "2. 每做一次工作（家访、劝返、发出限期复学通知书）或有了结果（复学、转学、外地就读、送教上门、死亡），"
        "在该生一行填「日期」和「事件」（下拉选择）。",
        "3. 同一学生本次要记多条：第一条填在本人行，其余在表末空行各填一行（填身份证号或学籍号）。"
        "新发现的辍学学生：在空行填写，事件选「登记」。",
        "4. 劝返方式：感召、感化、行政、法治；复学后填安置方式：插班、单独编班、普职融合、个别辅导。",
        "5. 未填日期和事件的行视为本次无新情况，不会上报。",
    ],
    VERIFICATION_SHEET: [
        "1. 表中列出的是户籍在本乡镇、适龄但查不到在读学籍的儿童（疑似失学），列入原因见「列入原因」列。",
        "2. 请逐一核查，在「核查结果」下拉选择：" + "、".join(VERIFICATION_RESULTS) + "。",
        "3. 佐证：在外地就读填就读学校名称和学籍号；延缓入学、免学填批准文号；"
        "休学、死亡、户籍迁出、已完成义务教育填证明材料名称或编号；确认失学、其他可不填。",
        "4. 缺少佐证的核查结果不予认定，儿童仍列为疑似失学。确认失学的儿童须在规定时间内登记劝返案件。",
        "5. 填写核查人和核查日期后交回乡镇。未填核查结果的行视为尚未核查。",
    ],
}


# --- writing ------------------------------------------------------------------------------------


def write_template(path: Path, sheet: TemplateSheet, days: DateRange, access: Access | None = None) -> Path:
    """Write one template workbook (the ledger sheet, then 填表说明) at path, whole or not at all,
    readable by its owner (and params share_group) only."""
    access = access or Access()
    with replacing(path, mode=access.file_mode) as temporary, collector_paused():
        workbook = xlsxwriter.Workbook(str(temporary), TEXT_ONLY_OPTIONS)
        styles = _styles(workbook)
        _write_ledger_sheet(workbook.add_worksheet(sheet.name), sheet, days, styles)
        _write_instructions(workbook.add_worksheet(INSTRUCTIONS_SHEET), INSTRUCTIONS[sheet.name], styles)
        workbook.close()
    access.private_file(path)
    return path


def _styles(workbook: xlsxwriter.Workbook) -> dict[str, Any]:
    bordered = {"border": 1, "valign": "vcenter", "font_size": 10}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
        "subtitle": workbook.add_format({"font_size": 10, "text_wrap": True, "valign": "vcenter"}),
        "header": workbook.add_format({**bordered, "bold": True, "align": "center", "text_wrap": True,
                                       "bg_color": "#D9E1F2"}),
        "given": workbook.add_format({**bordered, "num_format": "@", "bg_color": "#F2F2F2"}),
        "zero": workbook.add_format({**bordered, "num_format": "@", "bg_color": "#E2EFDA", "bold": True}),
        "input": workbook.add_format({**bordered, "num_format": "@", "locked": False}),
        "date": workbook.add_format({**bordered, "num_format": "yyyy-mm-dd", "locked": False}),
        # a number, not text: Excel's whole-number validation refuses a number typed into a text cell
        "whole": workbook.add_format({**bordered, "num_format": "0", "locked": False}),
        "instructions": workbook.add_format({"font_size": 11, "text_wrap": True, "valign": "top"}),
    }


def _validation(column: Col, days: DateRange) -> dict[str, Any]:
    """The data validation of an input cell of this column: dates inside the range, a list, or a
    text of at most ``length`` characters; a value outside is refused (Excel's stop message)."""
    if column.accepts == "date":
        rule: dict[str, Any] = {"validate": "date", "criteria": "between", "minimum": days.first,
                                "maximum": days.last,
                                "error_message": f"请填 {days.first} 至 {days.last} 之间的日期（如 {days.first}）"}
    elif column.accepts == "list":
        rule = {"validate": "list", "source": list(column.choices),
                "error_message": "请从下拉列表中选择：" + "、".join(column.choices)}
    elif column.accepts == "whole":
        rule = {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": column.length,
                "error_message": f"请填 1 至 {column.length} 的整数（不填为 1 天）"}
    else:
        rule = {"validate": "length", "criteria": "<=", "value": column.length,
                "error_message": f"最多 {column.length} 个字"}
    rule["error_title"] = f"「{column.header}」填写有误"
    if column.help:
        rule["input_title"], rule["input_message"] = column.header, column.help[:255]
    return rule


def _write_ledger_sheet(worksheet: Worksheet, sheet: TemplateSheet, days: DateRange,
                        styles: dict[str, Any]) -> None:
    last_col = len(sheet.columns) - 1
    worksheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, sheet.title, styles["title"])
    worksheet.merge_range(SUBTITLE_ROW, 0, SUBTITLE_ROW, last_col, sheet.subtitle, styles["subtitle"])
    worksheet.set_row(TITLE_ROW, 24)
    worksheet.set_row(SUBTITLE_ROW, 32)
    for col, column in enumerate(sheet.columns):
        worksheet.set_column(col, col, column.width)
        worksheet.write_string(HEADER_ROW, col, column.header, styles["header"])
    lines = len(sheet.lines) + sheet.spare
    for position in range(lines):
        row = FIRST_LINE + position
        spare = position >= len(sheet.lines)
        values = sheet.spare_given if spare else sheet.lines[position]
        zero = not spare and values.get("姓名") == ZERO_REPORT and values.get("序号") == ZERO_REPORT_LABEL
        for col, column in enumerate(sheet.columns):
            value = values.get(column.header, "")
            if column.header == "序号" and spare:
                value = "补充"
            is_input = not column.given or (spare and column.header not in sheet.spare_given
                                              and column.header != "序号")
            if (position, column.header) in sheet.locked_inputs:
                is_input = False
            if not is_input:
                style = styles["zero"] if zero else styles["given"]
                if value:
                    worksheet.write_string(row, col, value, style)
                else:
                    worksheet.write_blank(row, col, None, style)
                continue
            style = styles[column.accepts] if column.accepts in ("date", "whole") else styles["input"]
            if value:
                worksheet.write_string(row, col, value, style)
            else:
                worksheet.write_blank(row, col, None, style)
    for col, column in enumerate(sheet.columns):
        # one validation per column over its input lines (a rule on a locked cell does no harm)
        is_given = column.given and column.header not in ("序号",)
        first = FIRST_LINE + (len(sheet.lines) if is_given else 0)
        if column.header == "序号" or column.header in sheet.spare_given or first > FIRST_LINE + lines - 1:
            continue
        worksheet.data_validation(first, col, FIRST_LINE + lines - 1, col, _validation(column, days))
    for (position, header), text in sheet.comments.items():
        col = [c.header for c in sheet.columns].index(header)
        worksheet.write_comment(FIRST_LINE + position, col, text, {"x_scale": 1.6, "y_scale": 1.4})
    worksheet.freeze_panes(FIRST_LINE, 0)
    worksheet.protect("", {"format_columns": True, "format_rows": True, "autofilter": True,
                           "select_locked_cells": True, "select_unlocked_cells": True})
    worksheet.set_landscape()
    worksheet.set_paper(A4)
    worksheet.fit_to_pages(1, 0)
    worksheet.repeat_rows(HEADER_ROW)
    worksheet.activate()


def _write_instructions(worksheet: Worksheet, lines: Sequence[str], styles: dict[str, Any]) -> None:
    """One instruction a row, in column A only: no row holds two headers, so ingest skips the sheet."""
    worksheet.set_column(0, 0, 110)
    worksheet.write_string(0, 0, INSTRUCTIONS_SHEET, styles["title"])
    for row, line in enumerate(lines, start=2):
        worksheet.write_string(row, 0, line, styles["instructions"])
        worksheet.set_row(row, 30)


# --- a township's templates -----------------------------------------------------------------


@dataclass
class TownshipTemplates:
    """What ``write_township_templates`` wrote: the township's folder, its files, and counts."""

    township: str
    folder: Path
    files: list[Path]
    schools: int
    pupils: int
    open_cases: int
    suspected: int

    def line(self) -> str:
        return (f"{self.township}: {self.schools} 所学校 schools, 缺勤登记 {self.pupils} 名学生 pupils, "
                f"劝返记录 {self.open_cases} 件在办 open cases, 疑似失学核查回执 {self.suspected} 名 children: "
                f"{len(self.files)} files in {self.folder}")


def templates_dir(params: Params, as_of: dt.date) -> Path:
    """``<outputs>/<county>/templates/<as_of>``: the templates of one day, a folder per township."""
    return county_output_dir(params) / TEMPLATES_DIR / as_of.isoformat()


def template_file(owner: str, template: str) -> str:
    """"城厢镇中心小学缺勤登记.xlsx": whose it is and what, safe as a file name (outputs.safe_dirname)."""
    return safe_dirname(f"{owner}{template}") + SUFFIX


def days_of(params: Params) -> DateRange:
    """The dates an input cell accepts: the term's."""
    return DateRange(params.term_start, params.term_end)


def _pupils_by_school(analysis: Analysis) -> dict[str, pd.DataFrame]:
    roster = analysis.roster
    enrolled = roster[roster["status"] == "在读"].drop_duplicates(["school", "person_key"])
    return {str(school): rows for school, rows in enrolled.groupby("school", sort=True)}


def write_township_templates(analysis: Analysis, folder: Path | None = None) -> TownshipTemplates:
    """Write one township's templates (``analysis``: ``notebook.open_township`` or the county
    pass's slice): per school with 在读 pupils or an open case, 缺勤登记 and 劝返记录 in
    ``<folder>/<school>/``; the township's 疑似失学核查回执 in ``<folder>``. folder None: the
    township's folder under ``templates_dir``."""
    params, township = analysis.params, analysis.township
    if township is None:
        raise ValueError("templates are written per township: open a township's analysis")
    folder = folder if folder is not None else templates_dir(params, analysis.as_of) / safe_dirname(township)
    access = Access.of(params)
    days = days_of(params)
    pupils = _pupils_by_school(analysis)
    cases = analysis.cases
    open_cases = cases[cases["state"] == "open"] if len(cases) else cases
    case_school = open_cases["school"].map(_text) if len(open_cases) else pd.Series(dtype=object)
    schools = sorted(set(pupils) | {s for s in case_school if s})
    files: list[Path] = []
    _private_folder(folder, access)
    for school in schools:
        school_folder = folder / safe_dirname(school)
        _private_folder(school_folder, access)
        roster = pupils.get(school, analysis.roster.iloc[0:0])
        files.append(write_template(school_folder / template_file(school, ABSENCE_FILE),
                                    absence_sheet(school, roster, days), days, access))
        own = open_cases[case_school == school] if len(open_cases) else open_cases
        files.append(write_template(school_folder / template_file(school, CASES_FILE),
                                    cases_sheet(school, township, own, analysis.case_events, days), days, access))
    unplaced = open_cases[case_school == ""] if len(open_cases) else open_cases
    if len(unplaced):  # open cases of no school: the township's own 劝返记录
        files.append(write_template(folder / template_file(f"{township}（未填学校）", CASES_FILE),
                                    cases_sheet("", township, unplaced, analysis.case_events, days), days, access))
    files.append(write_template(folder / template_file(township, VERIFICATION_FILE),
                                verification_sheet(township, analysis.out_of_school, days), days, access))
    return TownshipTemplates(township, folder, files, len(schools),
                             sum(len(rows) for rows in pupils.values()), len(open_cases), len(analysis.out_of_school))


def _private_folder(path: Path, access: Access) -> None:
    path.mkdir(parents=True, exist_ok=True)
    access.private_folder(path)
