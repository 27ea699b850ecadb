"""Writing the demo county: ledger files shaped the way schools send them, and the params file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from kcbx.demo.generate import generate_demo
from kcbx.demo.plan import (
    DAYS_OFF,
    DEFAULT_SEED,
    ENROLLMENT_YEARS,
    SCHOOL_YEAR,
    TERM_END,
    TERM_START,
    DemoCounty,
    DemoScale,
)
from kcbx.ingest.ledgers.headers import BY_KIND, COMMON

# ---------------------------------------------------------------------------
# File shapes and writers


@dataclass(frozen=True)
class _Shape:
    """How one file looks: the variations schools really send."""

    fmt: str = "xlsx"            # xlsx | csv-gbk | csv-bom
    dates: str = "excel"         # excel | iso | slash | dot | cn | mixed
    grades: str = "number"       # number | cn (七年级) | short (初一) | mixed
    years: str = "number"        # number | span (2021-2022) | suffix (2021学年) | omit
    headers: tuple[tuple[str, str], ...] = ()   # canonical column -> header other than its first name in docs/ledgers.md
    title: bool = True
    grouped: bool = False        # roster: 学生类别 spanning 留守儿童 / 随迁子女
    blank_rows: bool = False
    total_row: bool = False
    omit: tuple[str, ...] = ()   # canonical columns this file does not have


_CN_GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
_SHORT_GRADES = _CN_GRADES[:6] + ("初一", "初二", "初三")
_DATE_STYLES = ("excel", "iso", "slash", "dot", "cn")


def _header(kind: str, column: str, shape: _Shape) -> str:
    override = dict(shape.headers).get(column)
    return override or (BY_KIND.get(kind, {}).get(column) or COMMON[column])[0]


def _format_date(value: dt.date, style: str, fmt: str):
    if style == "excel":
        return value if fmt == "xlsx" else value.isoformat()
    return {"iso": value.isoformat(),
            "slash": f"{value.year}/{value.month}/{value.day}",
            "dot": f"{value.year}.{value.month}.{value.day}",
            "cn": f"{value.year}年{value.month}月{value.day}日"}[style]


def _cell(value, column: str, shape: _Shape, row: int):
    """One value as the file shows it: 是/否, a date style, a grade spelling, a 学年 spelling."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        style = _DATE_STYLES[row % 5] if shape.dates == "mixed" else shape.dates
        return _format_date(value, style, shape.fmt)
    if column == "grade":
        g = int(value)
        style = ("number", "cn", "short")[row % 3] if shape.grades == "mixed" else shape.grades
        return {"number": g, "cn": _CN_GRADES[g - 1], "short": _SHORT_GRADES[g - 1]}[style]
    if column == "school_year":
        y = int(value)
        return {"number": y, "span": f"{y}-{y + 1}", "suffix": f"{y}学年"}[shape.years]
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class _Sheet:
    name: str
    title: str
    frame: pd.DataFrame


def _write_file(path: Path, kind: str, columns: list[str], sheets: list[_Sheet], shape: _Shape) -> None:
    """Write one ledger file (all sheets in one workbook, or one CSV from the first sheet)."""
    columns = [c for c in columns if c not in shape.omit and not (c == "school_year" and shape.years == "omit")]
    headers = [_header(kind, c, shape) for c in columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    if shape.fmt == "xlsx":
        _write_xlsx(path, columns, headers, sheets, shape)
    else:
        _write_csv(path, columns, headers, sheets[0], shape)


def _data_rows(frame: pd.DataFrame, columns: list[str], shape: _Shape) -> list[list]:
    values = frame[columns].to_numpy(dtype=object)
    return [[_cell(v, c, shape, i) for v, c in zip(row, columns)] for i, row in enumerate(values)]


def _write_csv(path: Path, columns, headers, sheet: _Sheet, shape: _Shape) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if shape.title:
        writer.writerow([sheet.title] + [""] * (len(columns) - 1))
    writer.writerow(headers)
    rows = _data_rows(sheet.frame, columns, shape)
    middle = len(rows) // 2
    for i, row in enumerate(rows):
        if shape.blank_rows and i == middle:
            writer.writerow([""] * len(columns))
        writer.writerow(row)
    if shape.total_row:
        writer.writerow(["合计", f"{len(rows)}人"] + [""] * (len(columns) - 2))
    encoding = "gbk" if shape.fmt == "csv-gbk" else "utf-8-sig"
    path.write_bytes(out.getvalue().encode(encoding))


def _write_xlsx(path: Path, columns, headers, sheets: list[_Sheet], shape: _Shape) -> None:
    # No string may become a formula or a link: ledgers hold data, never code.
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    workbook.set_properties({"created": dt.datetime(2021, 10, 15, 17, 0), "author": "kcbx demo"})
    bold = workbook.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    title_format = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    width = len(columns)
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        r = 0
        if shape.title:
            ws.merge_range(0, 0, 0, width - 1, sheet.title, title_format)
            ws.merge_range(1, 0, 1, width - 1, "填报单位（盖章）：　　　　填报日期：2021年9月10日")
            r = 2
        r = _write_header(ws, r, columns, headers, shape, bold)
        rows = _data_rows(sheet.frame, columns, shape)
        middle = len(rows) // 2
        for i, row in enumerate(rows):
            if shape.blank_rows and i == middle:
                r += 1                         # a blank row in the middle, as people leave them
            for c, value in enumerate(row):
                if isinstance(value, str):
                    if value:
                        ws.write_string(r, c, value)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                else:
                    ws.write_number(r, c, value)
            r += 1
        if shape.total_row:
            ws.write_string(r, 0, "合计")
            ws.write_string(r, 1, f"{len(rows)}人")
        ws.set_column(0, width - 1, 14)
    workbook.close()


def _write_header(ws, r: int, columns, headers, shape: _Shape, bold) -> int:
    """The header row; with `grouped`, two rows where 学生类别 spans 留守儿童 and 随迁子女 (real merges)."""
    grouped = shape.grouped and "left_behind" in columns and "migrant" in columns
    if not grouped:
        for c, h in enumerate(headers):
            ws.write_string(r, c, h, bold)
        return r + 1
    group = (columns.index("left_behind"), columns.index("migrant"))
    for c, h in enumerate(headers):
        if c in group:
            ws.write_string(r + 1, c, h, bold)
        else:
            ws.merge_range(r, c, r + 1, c, h, bold)
    ws.merge_range(r, min(group), r, max(group), "学生类别", bold)
    return r + 2


# Roster shapes, one per township in turn (townships beyond the sixth reuse them).
_ROSTER_SHAPES = (
    # per-school workbooks: titles, two-row merged header, Excel dates, 三年级/七年级, 合计
    ("school", _Shape(grades="cn", grouped=True, blank_rows=True, total_row=True)),
    # per-school workbooks: one header row, 2014/3/5, 初一, 2021-2022, 身份证号码, 学校名称
    ("school", _Shape(dates="slash", grades="short", years="span", title=False,
                      headers=(("id_number", "身份证号码"), ("school", "学校名称")))),
    # one GBK CSV for the township: a title line, 2014.3.5, numbers, no 学年, no 学籍号
    ("township", _Shape(fmt="csv-gbk", dates="dot", years="omit", headers=(("id_number", "公民身份号码"),),
                        omit=("student_no",), total_row=True)),
    # per-school workbooks: 2014年3月5日, 2021学年, 状态, 是否寄宿生
    ("school", _Shape(dates="cn", years="suffix", headers=(("status", "状态"), ("boarding", "是否寄宿生")),
                      blank_rows=True)),
    # per-school UTF-8 CSV with BOM: 证件号 (a synonym only the params file knows), ISO dates
    ("school", _Shape(fmt="csv-bom", dates="iso", grades="cn", title=False, headers=(("id_number", "证件号"),))),
    # one workbook for the township, one sheet per school: every date and grade spelling mixed
    ("sheets", _Shape(dates="mixed", grades="mixed", total_row=True)),
)

_ROSTER_COLUMNS = ["school_year", "id_number", "student_no", "name", "gender", "birth_date", "township",
                   "school", "grade", "class_name", "boarding", "status", "left_behind", "migrant"]


def _write_roster(demo: DemoCounty, folder: Path) -> None:
    roster = demo.tables["roster"]
    now = roster[roster["school_year"] == SCHOOL_YEAR]
    for index, township in enumerate(demo.townships):
        split, shape = _ROSTER_SHAPES[index % len(_ROSTER_SHAPES)]
        here = now[now["township"] == township.name]
        title = "{}2021年秋季学期学生花名册"
        ext = "xlsx" if shape.fmt == "xlsx" else "csv"
        if split == "township":
            _write_file(folder / f"{township.name}2021年秋季学期学生花名册.{ext}", "roster", _ROSTER_COLUMNS,
                        [_Sheet(township.name, title.format(township.name), here)], shape)
        elif split == "sheets":
            sheets = [_Sheet(s.name[len(township.name):][:31] or s.name, title.format(s.name), here[here["school"] == s.name])
                      for s in township.schools]
            _write_file(folder / f"{township.name}各校学生花名册.xlsx", "roster", _ROSTER_COLUMNS, sheets, shape)
        else:
            for s in township.schools:
                _write_file(folder / f"{s.name}学生花名册.{ext}", "roster", _ROSTER_COLUMNS,
                            [_Sheet("花名册", title.format(s.name), here[here["school"] == s.name])], shape)
    before = roster[roster["school_year"] == SCHOOL_YEAR - 1]
    _write_file(folder / "2020学年六年级学生名册.xlsx", "roster", _ROSTER_COLUMNS,
                [_Sheet("六年级", f"{demo.scale.county}2020-2021学年六年级学生名册", before[before["grade"] == 6])],
                _Shape(years="span", grades="cn"))
    _write_file(folder / "2020学年九年级学生名册.xlsx", "roster", _ROSTER_COLUMNS,
                [_Sheet("九年级", f"{demo.scale.county}2020学年九年级学生名册（含毕业生）", before[before["grade"] == 9])],
                _Shape(dates="iso"))


def _by_township(demo: DemoCounty, kind: str, folder: Path, columns: list[str], name: str, shapes) -> None:
    """One file per township, cycling through file shapes."""
    table = demo.tables[kind]
    for index, township in enumerate(demo.townships):
        shape = shapes[index % len(shapes)]
        ext = "xlsx" if shape.fmt == "xlsx" else "csv"
        _write_file(folder / f"{township.name}{name}.{ext}", kind, columns,
                    [_Sheet(name, f"{township.name}{name}", table[table["township"] == township.name])], shape)


def _write_ledgers(demo: DemoCounty, root: Path) -> None:
    """Write every kind into its folder (the key or the Chinese name, as counties do both)."""
    t = demo.tables
    county = demo.scale.county
    _write_roster(demo, root / "roster")
    _by_township(demo, "population", root / "户籍",
                 ["id_number", "name", "gender", "birth_date", "township", "village", "guardian", "phone"],
                 "适龄儿童户籍台账", (
                     _Shape(headers=(("village", "村(社区)"),), blank_rows=True),
                     _Shape(dates="iso", title=False),
                     _Shape(fmt="csv-gbk", dates="slash", title=False,
                            headers=(("id_number", "公民身份号码"), ("village", "行政村"))),
                     _Shape(dates="cn"),
                     _Shape(omit=("birth_date",), title=False),      # birth date from the ID
                     _Shape(fmt="csv-bom", dates="iso", title=False, headers=(("village", "村(社区)"),)),
                 ))
    _write_file(root / "poverty" / "脱贫户家庭学生名单.xlsx", "poverty",
                ["id_number", "name", "township", "village", "category"],
                [_Sheet("名单", f"{county}脱贫户（含监测户、低保户、特困供养）家庭义务教育阶段子女名单", t["poverty"])],
                _Shape(total_row=True))
    _write_file(root / "残疾" / "残疾儿童少年名单.xlsx", "disability",
                ["id_number", "name", "township", "disability_type", "disability_level", "placement"],
                [_Sheet("名单", f"{county}适龄残疾儿童少年入学安置情况", t["disability"])], _Shape())
    _by_township(demo, "absence", root / "absence",
                 ["date", "id_number", "student_no", "name", "school", "absence_type", "note"],
                 "2021秋季学期缺勤登记", (
                     _Shape(fmt="csv-bom", dates="iso", title=False),
                     _Shape(fmt="csv-gbk", dates="slash", title=False, headers=(("school", "学校名称"),)),
                     _Shape(dates="excel"),
                 ))
    _write_cases(demo, root / "劝返")
    _write_file(root / "送教" / "送教上门记录.xlsx", "home_teaching",
                ["id_number", "name", "date", "hours", "teacher"],
                [_Sheet("送教记录", f"{county}送教上门工作记录表", t["home_teaching"])], _Shape(dates="cn"))
    _write_subsidy(demo, root / "subsidy")
    _write_enrollment(demo, root / "事业统计")
    _write_verification(demo, root / "核查")


def _write_cases(demo: DemoCounty, folder: Path) -> None:
    """The county's case log, except one township that keeps its own (CSV, other header names)."""
    cases = demo.tables["cases"]
    columns = ["id_number", "name", "township", "school", "grade", "date", "event", "cause", "destination",
               "admin_owner", "edu_owner", "method", "placement", "note"]
    own = demo.townships[1 % len(demo.townships)].name
    for_county = cases[cases["township"] != own] if len(demo.townships) > 1 else cases
    _write_file(folder / "劝返复学工作台账.xlsx", "cases", columns,
                [_Sheet("台账", f"{demo.scale.county}控辍保学劝返复学工作台账（一生一案）", for_county)],
                _Shape(grades="short"))
    if len(demo.townships) > 1:
        _write_file(folder / f"{own}劝返台账.csv", "cases", columns,
                    [_Sheet("台账", "", cases[cases["township"] == own])],
                    _Shape(fmt="csv-gbk", dates="iso", title=False,
                           headers=(("date", "事件日期"), ("admin_owner", "包保干部"), ("edu_owner", "包保教师"))))


def _write_verification(demo: DemoCounty, folder: Path) -> None:
    """The 疑似失学核查回执 the townships returned: one workbook each, as the township sent it back."""
    returns = demo.tables.get("verification")
    if returns is None or returns.empty:
        return
    columns = ["id_number", "name", "township", "village", "result", "evidence", "checked_by", "date"]
    for township in dict.fromkeys(returns["township"]):
        _write_file(folder / f"{township}疑似失学核查回执.xlsx", "verification", columns,
                    [_Sheet("核查回执", f"{township} 疑似失学儿童核查回执", returns[returns["township"] == township])],
                    _Shape(dates="iso"))


def _write_subsidy(demo: DemoCounty, folder: Path) -> None:
    subsidy = demo.tables["subsidy"]
    columns = ["id_number", "name", "school", "term", "item", "amount"]
    own = demo.townships[1 % len(demo.townships)].name
    _write_file(folder / "2021秋季学期资助发放明细.xlsx", "subsidy", columns,
                [_Sheet("发放明细", f"{demo.scale.county}2021年秋季学期学生资助发放明细", subsidy[subsidy["township"] != own])],
                _Shape(total_row=True))
    # One township writes the term in full and the amount header with its unit.
    _write_file(folder / f"{own}资助发放.csv", "subsidy", columns,
                [_Sheet("", "", subsidy[subsidy["township"] == own].assign(term="2021年秋季学期"))],
                _Shape(fmt="csv-bom", title=False, headers=(("amount", "金额(元)"),)))


def _write_enrollment(demo: DemoCounty, folder: Path) -> None:
    """One workbook, one sheet per school year, as the statistics office keeps them."""
    enrollment = demo.tables["enrollment"]
    sheets = [_Sheet(f"{y}学年", f"{demo.scale.county}{y}学年义务教育分年级在校生情况", enrollment[enrollment["school_year"] == y])
              for y in ENROLLMENT_YEARS]
    _write_file(folder / f"教育事业统计{ENROLLMENT_YEARS[0]}-{ENROLLMENT_YEARS[-1]}.xlsx", "enrollment",
                ["school_year", "township", "school", "grade", "enrolled", "repeaters", "graduates"], sheets, _Shape())


# ---------------------------------------------------------------------------
# Params file and the entry point


def _params_text(scale_name: str, scale: DemoScale, seed: int) -> str:
    return f"""\
# Written by kcbx.demo.write_demo(scale={scale_name!r}, seed={seed}): do not edit by hand,
# run `kcbx demo` again. Keys: docs/params.md.
county: {scale.county}
county_code: "{scale.county_code}"
ledgers: ../build/ledgers/{scale.key}
store: ../build/{scale.key}.duckdb
outputs: ../outputs
term: {{start: {TERM_START}, end: {TERM_END}}}
days_off: [{", ".join(str(d) for d in DAYS_OFF)}]
extra_school_days: []
calendar: {{}}
escalation: [{", ".join(str(n) for n in scale.escalation)}]
notice_days: 7
target_date: 2021-12-31
school_age: {{min: 6, max: 15}}
subsidy: {{boarding: {{primary: 1000, junior: 1250}}, day: {{primary: 500, junior: 625}}}}
home_teaching: {{visits_per_month: 2, hours_per_visit: 3, hours_per_year: 60,
                workload_hours_per_visit: 4, funding_per_year: 6000}}
townships: []
# Every school sends a 零报告 on a day nobody is absent: a school without a row has not reported.
zero_reports: required
# One township's roster files head the ID column 证件号, a name only this county uses.
synonyms: {{身份证号: [证件号]}}
{_warning_text(scale)}"""


def _warning_text(scale: DemoScale) -> str:
    """The params file's early_warning block: only what differs from the defaults (docs/params.md)."""
    if scale.warning_horizon == 60:
        return ""
    return ("# The demo's as_of (15 Oct) is six weeks into the term: its back-test looks back "
            f"{scale.warning_horizon} days, not 60.\n"
            f"early_warning: {{horizon: {scale.warning_horizon}}}\n")


def write_demo(out_dir: Path, scale: str = "small", seed: int = DEFAULT_SEED) -> Path:
    """Write the demo county's ledgers and params file under `out_dir` (the repo root).

    Ledgers go to ``<out_dir>/build/ledgers/<key>/<kind>/…`` (the folder is
    replaced), the params file to ``<out_dir>/params/<key>.yaml``, where key is
    "demo" for scale "small" and "tongjiang" for "tongjiang". Returns the params path.
    """
    demo = generate_demo(scale, seed)
    out_dir = Path(out_dir)
    ledgers = out_dir / "build" / "ledgers" / demo.scale.key
    shutil.rmtree(ledgers, ignore_errors=True)
    _write_ledgers(demo, ledgers)
    params = out_dir / "params" / f"{demo.scale.key}.yaml"
    params.parent.mkdir(parents=True, exist_ok=True)
    params.write_text(_params_text(scale, demo.scale, seed), encoding="utf-8")
    return params
