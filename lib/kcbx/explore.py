"""The analyst's door: everything beyond the report, in a few lines each (docs/explore.md).

    from kcbx import explore as kx
    kx.townships("params/demo.yaml")                       # the county's townships
    a = kx.open_township("params/demo.yaml", "城厢镇", "2021-10-15")
    a                                                      # a short summary; help(a): every table
    kx.with_pupils(a.streaks, a)                           # name, township, grade beside each pupil
    kx.pupils(a)                                           # one row per 在读 pupil: counts add up
    kx.what_if(a, escalation=[1, 3, 5, 7])                 # the same day, other params (checked)
    kx.townships_table(as_of="2021-10-15")                 # every township's headline figures
    kx.sql("params/demo.yaml", "SELECT … FROM roster_current")   # the store, read-only
    kx.to_excel({"名单": kx.label(frame)}, "名单.xlsx", masked=False)   # a list for schools

``params`` may be left out everywhere: $KCBX_PARAMS (``make lab PARAMS=…``), else the
project's params/demo.yaml; a relative path is found from the working folder or the project
folder (a notebook runs in notebooks/). A date is written as people write it (2021/10/15,
2021年10月15日 …); one outside the params term is refused in one line (OutOfTerm).

Importing this module makes matplotlib draw Chinese (the report's CJK font): an analyst's own
``frame.plot.bar()`` shows 城厢镇, not boxes.

Nothing here computes a figure of its own: the measures are kcbx.measures', the rules
(which roster rows are current, who is one pupil) the same the report uses.
"""

from __future__ import annotations

import atexit
import datetime as dt
import numbers
import re
import warnings
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from kcbx.analysis.county import measure_county
from kcbx.analysis.fields import ANALYSIS_FIELDS
from kcbx.analysis.metrics import CONTRACT_KEYS, json_ready
from kcbx.analysis.model import Analysis
from kcbx.calendar import school_days_for
from kcbx.measures.common import school_year_of
from kcbx.measures.matching import ENROLLED_STATUS, LIST_SEPARATOR, first_row_per_person
from kcbx.notebook import (
    OutOfTerm,
    UnknownTownship,
    analysis_day,
    open_county,
    open_township,
    params_of,
    tables_of,
    townships,
)
from kcbx.params import Params, parse_as_of
from kcbx.report.fonts import CJKFontNotFound, use_cjk_font
from kcbx.store.readonly import STORE_ALIAS, open_read_only

__all__ = ["townships", "open_township", "open_county", "UnknownTownship", "OutOfTerm", "what_if",
           "pupils", "with_pupils", "masked", "describe", "sql", "connect", "VIEWS",
           "townships_table", "label", "to_excel", "LABELS"]

ParamsGiven = str | Path | Params | None  # None: $KCBX_PARAMS, else params/demo.yaml


def _draw_chinese() -> None:
    """The report's CJK font for every chart of the session, the analyst's own included."""
    try:
        use_cjk_font()
    except CJKFontNotFound as missing:  # charts still draw, with boxes: say so once
        warnings.warn(str(missing), stacklevel=3)


_draw_chinese()

# What with_pupils adds beside a person_key: who and where the pupil is.
PUPIL_COLUMNS = ("name", "township", "school", "grade", "class_name")


# --------------------------------------------------------------------------- what-if

def what_if(a: Analysis, **overrides: Any) -> Analysis:
    """The same township and day measured with other params, e.g. ``what_if(a, escalation=[1, 3,
    5, 7])`` or ``what_if(a, early_warning={"window": 10})`` (a mapping is merged key by key).

    The overrides go through the same checks as the params file (a ladder (3, 1) is refused
    with ParamsError naming the key), on top of any what-if ``a`` already is.
    """
    if a.township is None:
        return open_county(a.params, a.as_of, overrides=overrides)
    return open_township(a.params, a.township, a.as_of, overrides=overrides)


# --------------------------------------------------------------------------- pupils

def pupils(a: Analysis, status: str | None = ENROLLED_STATUS) -> pd.DataFrame:
    """One row per pupil of the analysis' current roster with a row of ``status`` (在读; None:
    any): the first such row in file order, and ``schools``, every school of those rows.

    Its row count is metrics ``enrolled`` (for 在读): a pupil on two rosters (重复学籍) is one
    row, so a crosstab adds up to the county's figure, where ``a.enrolled_by_school_grade``
    counts them at each school::

        p = pupils(a)
        pd.crosstab(p["township"], p["grade"], margins=True, margins_name="合计")
    """
    rows = a.roster if status is None else a.roster[a.roster["status"] == status]
    schools = rows.groupby("person_key")["school"].agg(lambda names: LIST_SEPARATOR.join(sorted(set(names))))
    first = first_row_per_person(rows)  # how the report names a pupil
    return first.assign(schools=first["person_key"].map(schools)).reset_index(drop=True)


def with_pupils(frame: pd.DataFrame, a: Analysis, columns: Sequence[str] = PUPIL_COLUMNS) -> pd.DataFrame:
    """``frame`` (any table with person_key: a.streaks, a.absent_today …) with the pupil's name,
    township, school, grade and class beside each row, from their first current roster row in
    file order (as the report shows them); blank for a child on no current roster. A column
    the frame has already is kept as it is (a.streaks' school is that of the latest absence)."""
    added = [column for column in columns if column not in frame.columns]
    who = first_row_per_person(a.roster)[["person_key", *added]]
    return frame.merge(who, on="person_key", how="left", validate="many_to_one")


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with names, ID numbers and phones masked as the report masks them (张*明,
    452626********123X): for a screenshot or a table sent on."""
    from kcbx.report import privacy

    return privacy.mask_frame(frame)


# --------------------------------------------------------------------------- help

class Description(str):
    """Text that Jupyter shows as it is (not as a quoted string)."""

    def __repr__(self) -> str:
        return str(self)


def describe(a: Analysis | str | None = None, name: str | None = None) -> Description:
    """What an Analysis field holds, with its columns: ``describe(a, "streaks")`` or
    ``describe("streaks")``; every field when no name is given (as ``help(a)`` shows them)."""
    if isinstance(a, str):
        name = a
    if name is None:
        return Description("\n".join(doc.text(field) for field, doc in ANALYSIS_FIELDS.items()))
    if name not in ANALYSIS_FIELDS:
        raise KeyError(f"no Analysis field {name!r}; the fields are {', '.join(ANALYSIS_FIELDS)}")
    return Description(ANALYSIS_FIELDS[name].text(name))


# --------------------------------------------------------------------------- SQL

# Read-only views with the rules the measures apply, created in each connection of
# connect() (beside a temp table school_days(date) of the params' term); {year} is the
# current school year. Their SQL repeats kcbx.measures.common's
# rule (rows without 学年 belong to the current school year); tests/test_explore.py checks
# that the views give the rows the measures use.
VIEWS: dict[str, tuple[str, str]] = {
    "roster_years": (
        "every roster row, school_year filled: a row without 学年 is of the current school year "
        "(school_year_filled true)",
        f"SELECT * REPLACE (COALESCE(school_year, {{year}}) AS school_year), "
        f"school_year IS NULL AS school_year_filled FROM {STORE_ALIAS}.main.roster"),
    "roster_current": (
        "the current roster rows: of the current school year, rows without 学年 included "
        "(what every roster-based figure uses)",
        "SELECT * FROM roster_years WHERE school_year = {year}"),
    "enrolled_pupils": (
        "one row per pupil with a 在读 current roster row, the first in file order; n_schools: "
        "how many schools' rosters list them (2 or more: 重复学籍). Its count is metrics enrolled",
        "SELECT * EXCLUDE (file_order) FROM ("
        " SELECT *, count(DISTINCT school) OVER (PARTITION BY person_key) AS n_schools,"
        " row_number() OVER (PARTITION BY person_key ORDER BY source_file, source_sheet, source_row)"
        " AS file_order FROM roster_current WHERE status = '在读') WHERE file_order = 1"),
    "absence_days": (
        "every absence row with the pupil's township, grade and class_name (their first current "
        "roster row in file order, as kx.with_pupils gives them; NULL for a child on no current "
        "roster) and school_day: whether the date is a school day of the params' term "
        "(only school days count in any figure)",
        "SELECT a.*, p.township, p.grade, p.class_name,"
        " a.date IN (SELECT date FROM school_days) AS school_day"
        f" FROM {STORE_ALIAS}.main.absence AS a LEFT JOIN ("
        " SELECT person_key, township, grade, class_name FROM ("
        " SELECT *, row_number() OVER (PARTITION BY person_key"
        " ORDER BY source_file, source_sheet, source_row) AS file_order FROM roster_current)"
        " WHERE file_order = 1) AS p USING (person_key)"),
}


# Connections connect() handed out and not yet closed: closed at exit (the kernel's end).
_open_connections: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_open_connections() -> None:
    for con in list(_open_connections):
        con.close()


def connect(params: ParamsGiven = None, as_of: str | dt.date | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to the county's store, with VIEWS for the school year of
    as_of (default: of the params' term; any day, a day of last school year included). Use it
    with ``with`` (closed when the block ends) or keep it for several queries and
    ``con.close()`` it (else it closes with the kernel)::

        con = kx.connect("params/demo.yaml")
        con.sql("SELECT township, count(*) FROM enrolled_pupils GROUP BY ALL").df()
        con.close()

    The store cannot be written through it. It never blocks an ingest (which renames a new
    store into place): it goes on reading the store as it was when opened; open a new one to
    see the new store.
    """
    loaded = params_of(params)
    # as_of only chooses the views' school year (last year's roster, say): any day, no figure
    year = school_year_of(loaded.term_start if as_of is None else parse_as_of(as_of, loaded.timezone))
    days = [day.date() for day in school_days_for(loaded)]
    con = open_read_only(loaded.store)
    try:
        con.execute("CREATE TEMP TABLE school_days AS SELECT unnest(?::DATE[]) AS date", [days])
        for view, (_, body) in VIEWS.items():
            con.execute(f"CREATE TEMP VIEW {view} AS {body.format(year=int(year))}")
    except BaseException:
        con.close()
        raise
    _open_connections.add(con)
    return con


def sql(params: ParamsGiven, query: str | None = None, parameters: Sequence | Mapping | None = None,
        as_of: str | dt.date | None = None) -> pd.DataFrame:
    """Run one query on the county's store, read-only, and return the result as a DataFrame.

    Opens the store, queries, closes: it never holds the store and never blocks an ingest.
    Every store table (schema.py's names; docs/ledgers.md) and VIEWS can be queried;
    ``parameters`` fill ``?`` or ``$name`` placeholders; params None: $KCBX_PARAMS, else the
    demo's::

        kx.sql("params/demo.yaml", "SELECT grade, count(*) AS pupils FROM enrolled_pupils "
               "WHERE township = ? GROUP BY grade ORDER BY grade", ["城厢镇"])
        kx.sql("SELECT count(*) FROM roster_current")   # the query alone: the default params
    """
    if query is None:  # sql("SELECT …"): the one text given is the query
        params, query = None, params
    with connect(params, as_of) as con:
        return con.execute(query, parameters).df() if parameters is not None else con.execute(query).df()


# --------------------------------------------------------------------------- the county in one call

# metrics.json's fixed keys that are not figures of a township (docs/metrics.md): who, when,
# and the ingest totals (of the ledger files a report lists).
_NOT_FIGURES = ("as_of", "county", "township", "rows_read", "rows_accepted", "rows_rejected")


def townships_table(params: ParamsGiven = None, as_of: str | dt.date | None = None) -> pd.DataFrame:
    """One row per township (index: township, in the order a run covers them) with every
    headline figure of its metrics.json: each fixed key of docs/metrics.md whose value is a
    number (enrolled, enrollment_rate, cases_open, dropout_rate …), as its metrics.json has it.

    From one county pass (as ``kcbx run`` measures the county once and cuts each township
    from it), not a loop of open_township. as_of None: the term's last school day with data.
    ``kx.label(table)`` names the columns in Chinese. The county's own figures (each child
    once) are ``kx.open_county(...).metrics``, not the sum of these rows."""
    loaded = params_of(params)
    day = analysis_day(loaded, as_of)
    county = measure_county(tables_of(loaded), loaded, day)
    names = county.townships()
    metrics = [county.analysis(name).metrics for name in names]
    figures = [key for key in CONTRACT_KEYS if key not in _NOT_FIGURES
               and all(_is_figure(row.get(key)) for row in metrics)]
    # as metrics.json writes them: a rate of -3.47e-17 is 0
    table = pd.DataFrame([{key: json_ready(row[key]) for key in figures} for row in metrics],
                         index=pd.Index(names, name="township"), columns=figures)
    return table.apply(pd.to_numeric)  # None (no figure) as NaN; whole numbers stay int64


def _is_figure(value: Any) -> bool:
    return value is None or isinstance(value, numbers.Number) and not isinstance(value, bool)


# --------------------------------------------------------------------------- lists for schools

# Chinese headers of the columns an analyst's lists carry: the ledgers' documented headers
# (docs/ledgers.md) for store columns, the report's words for the measures' columns and
# metrics.json's keys. A column not here keeps its name.
LABELS: dict[str, str] = {
    # who
    "person_key": "身份证号/学籍号", "id_number": "身份证号", "student_no": "学籍号", "name": "姓名",
    "gender": "性别", "birth_date": "出生日期", "age": "年龄", "guardian": "监护人", "phone": "联系电话",
    # where
    "township": "乡镇", "village": "村(社区)", "school": "学校", "schools": "学校", "townships": "乡镇",
    "n_schools": "学籍学校数", "grade": "年级", "class_name": "班级", "school_year": "学年",
    "status": "学籍状态", "boarding": "是否寄宿", "left_behind": "留守儿童", "migrant": "随迁子女",
    # absences and the escalation ladder
    "date": "日期", "absence_type": "缺勤类型", "unexcused": "无故缺勤", "note": "备注",
    "school_day": "是否上学日", "streak": "连续缺勤天数", "streak_start": "连续缺勤起始日",
    "last_absent": "最近缺勤日", "level": "达到阈值(天)", "rung": "处置级别", "action": "应采取措施",
    # cases
    "case_id": "案件编号", "opened": "登记日期", "state_label": "案件状态", "cause": "辍学原因",
    "destination": "去向", "method": "劝返方式", "placement": "安置方式", "event": "事件",
    "last_notice": "最近限期复学通知书", "notice_due": "复学期限", "notice_overdue": "通知书逾期",
    "category": "类别", "disability_type": "残疾类别", "disability_level": "残疾等级",
    # metrics.json (townships_table)
    "enrolled": "在读学生数", "school_age_population": "适龄儿童数", "out_of_school_suspected": "疑似失学人数",
    "enrollment_rate": "入学率", "duplicate_enrollments": "重复学籍人数",
    "absent_unexcused_today": "今日无故缺勤人数", "cases_total": "劝返案件总数", "cases_open": "在办案件",
    "cases_open_poverty": "在办案件(脱贫户等)", "cases_open_tuopin": "在办案件(脱贫户)",
    "cases_returned": "已复学案件", "return_rate": "劝返率", "closure_rate": "销号率",
    "notices_overdue": "通知书逾期", "retention_rate": "巩固率", "dropout_rate": "辍学率",
    "home_teaching_due": "应送教人数", "home_teaching_compliant": "送教达标人数",
    "subsidy_eligible": "应补助人数", "subsidy_short": "补助未足额人数",
    "transition_missing": "小升初未衔接人数", "rows_read": "读入行数", "rows_accepted": "接收行数",
    "rows_rejected": "拒收行数",
    # provenance
    "source_file": "来源文件", "source_sheet": "来源工作表", "source_row": "来源行号",
}


def label(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The frame with its columns (and its index's name) renamed to Chinese (LABELS; ``labels``
    adds or replaces some): for a list that goes to schools. Other columns keep their name."""
    names = {**LABELS, **(labels or {})}
    renamed = frame.rename(columns=lambda column: names.get(column, column))
    if renamed.index.name in names:
        renamed.index = renamed.index.rename(names[renamed.index.name])
    return renamed


# Excel refuses these in a sheet name, and names longer than 31 characters.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def to_excel(sheets: Mapping[str, pd.DataFrame] | pd.DataFrame, path: str | Path,
             masked: bool = True) -> Path:
    """Write each frame to a sheet of one .xlsx file, the way kcbx writes its forms: Chinese
    headers (``label``), widths fitted to the content, numbers and dates as typed cells, text
    never read as a formula, the file readable by its owner only (it may hold identities).

    ``masked`` (default): names, IDs and phones masked as in the report; ``masked=False`` for
    a list that goes to schools, who must know whom it names::

        kx.to_excel({"连续缺勤": s[s["streak"] >= 3]}, "连续缺勤名单.xlsx", masked=False)

    A single frame is one sheet named 名单. A named index (townships_table's township) is
    written as the first column. Returns the path written.
    """
    from kcbx.report.excel import Column, TableSheet, write_workbook
    from kcbx.report.privacy import mask_frame

    if isinstance(sheets, pd.DataFrame):
        sheets = {"名单": sheets}
    written = []
    for name, frame in sheets.items():
        frame = frame.reset_index() if frame.index.name is not None else frame.reset_index(drop=True)
        shown = label(mask_frame(frame) if masked else frame)
        shown.columns = [str(column) for column in shown.columns]
        sheet_name = _SHEET_NAME_FORBIDDEN.sub("_", str(name))[:31] or f"Sheet{len(written) + 1}"
        columns = [Column(header, header, kind=_kind(frame[original], original))
                   for header, original in zip(shown.columns, frame.columns)]
        written.append(TableSheet(name=sheet_name, title=str(name), columns=columns, rows=shown))
    path = Path(path)
    write_workbook(path, written)
    return path


def _kind(values: pd.Series, column: Any) -> str:
    """The cell type of a column: dates as dates, numbers as numbers, rates as percentages."""
    if pd.api.types.is_bool_dtype(values):
        return "text"  # 是/否
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_numeric_dtype(values):
        if str(column).endswith("_rate"):
            return "percent"
        return "int" if pd.api.types.is_integer_dtype(values) else "float"
    present = values.dropna()
    if len(present) and all(isinstance(value, dt.date) for value in present):
        return "date"
    return "text"

