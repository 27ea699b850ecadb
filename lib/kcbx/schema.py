"""Canonical tables of the store: one pandera model per ledger kind.

Everything after ingest speaks these English column names. Values that are
domain terms (学籍状态, 事件, 劝返方式 …) stay in Chinese, normalised to the
canonical spellings listed below, because they are what reports display.

Every ledger table also carries its provenance: ``source_file`` (path relative
to the ledger folder), ``source_sheet`` ("" for CSV) and ``source_row`` (the row
number as the user sees it in Excel, or the line number in a CSV file).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

KINDS: tuple[str, ...] = (
    "roster",
    "population",
    "poverty",
    "disability",
    "absence",
    "cases",
    "home_teaching",
    "subsidy",
    "enrollment",
    "verification",
)

# Folder names a county may use for each kind: the key or the Chinese name.
KIND_FOLDERS: dict[str, tuple[str, ...]] = {
    "roster": ("roster", "学籍"),
    "population": ("population", "户籍"),
    "poverty": ("poverty", "脱贫户"),
    "disability": ("disability", "残疾"),
    "absence": ("absence", "缺勤"),
    "cases": ("cases", "劝返"),
    "home_teaching": ("home_teaching", "送教"),
    "subsidy": ("subsidy", "资助"),
    "enrollment": ("enrollment", "事业统计"),
    "verification": ("verification", "核查"),
}

KIND_LABELS: dict[str, str] = {
    "roster": "学籍",
    "population": "户籍",
    "poverty": "脱贫户",
    "disability": "残疾",
    "absence": "缺勤",
    "cases": "劝返",
    "home_teaching": "送教",
    "subsidy": "资助",
    "enrollment": "事业统计",
    "verification": "核查",
}

PROVENANCE = ("source_file", "source_sheet", "source_row")
# person_key: the 18-character resident ID when present, else the 学籍号
# (a 学籍号 "G" + valid ID is that ID).
PERSON = ("person_key", "id_number", "student_no")

# Canonical domain values.
ROSTER_STATUSES = ("在读", "休学", "转出", "毕业", "死亡")
UNEXCUSED_TYPES = ("无故", "旷课")
SICK_LEAVE, PERSONAL_LEAVE = "病假", "事假"
EXCUSED_TYPES = (SICK_LEAVE, PERSONAL_LEAVE)
CASE_OPENING = "登记"
CASE_ACTIONS = ("家访", "劝返", "发出限期复学通知书")
CASE_OUTCOMES = ("复学", "转学", "外地就读", "送教上门", "死亡")
CASE_STRIKE = "销号"
CASE_EVENTS = (CASE_OPENING, *CASE_ACTIONS, *CASE_OUTCOMES, CASE_STRIKE)
CASE_METHODS = ("感召", "感化", "行政", "法治")
# 劝返方式 as the 四个一批 of the 控辍保学 notices names them: "讲道理感召一批, 特殊关爱感化一批…".
CASE_METHOD_NAMES = {"感召": "讲道理感召", "感化": "特殊关爱感化", "行政": "行政措施劝返", "法治": "法治手段兜底"}
CASE_PLACEMENTS = ("插班", "单独编班", "普职融合", "个别辅导")
# A finding: a row accepted but worth a look. Ingest's are stored; a measure's add their detail.
STORED_FINDING_COLUMNS = ("kind", "file", "sheet", "row", "finding")
FINDING_COLUMNS = (*STORED_FINDING_COLUMNS, "detail")
DISABILITY_PLACEMENTS = ("随班就读", "特教学校", "特教班", "送教上门", "未安置")
# 零报告: an absence-ledger row whose 姓名 or 缺勤类型 reads one of these says that its school
# reported the day with nobody absent. It is no absence: ingest keeps it apart, in ZERO_REPORTS.
ZERO_REPORT_WORDS = ("无缺勤", "零报告")
# 天数 of an absence row (optional; blank = 1): the consecutive school days from its 日期 that
# it stands for. Above this many a row is rejected: a longer absence is written in parts (and
# the child is, by then, long past every escalation threshold).
MAX_ABSENCE_DAYS = 30
ZERO_REPORTS = "zero_reports"
# Store tables read from another kind's files (not a kind of their own): table -> that kind.
DERIVED_TABLES: dict[str, str] = {ZERO_REPORTS: "absence"}
# 核查结果 of a verification row (a 疑似失学 child checked by the village or school), in the
# order of the 疑似失学核查回执's dropdown. 确认失学 and 其他 leave the child 疑似失学.
VERIFICATION_RESULTS = ("在外地就读", "已完成义务教育", "延缓入学", "免学", "休学", "死亡", "户籍迁出",
                        "确认失学", "其他")


@functools.cache
def _models() -> dict[str, pa.DataFrameSchema]:
    """The pandera models, built on first use (see MODELS)."""
    import pandera.pandas as pa

    def _text(nullable: bool = True) -> pa.Column:
        return pa.Column(object, nullable=nullable, required=True)

    def _person_columns() -> dict[str, pa.Column]:
        return {
            "person_key": pa.Column(object, nullable=False),
            "id_number": pa.Column(object, nullable=True),
            "student_no": pa.Column(object, nullable=True),
        }

    def _provenance_columns() -> dict[str, pa.Column]:
        return {
            "source_file": pa.Column(object, nullable=False),
            "source_sheet": pa.Column(object, nullable=False),
            "source_row": pa.Column("int64", pa.Check.ge(1)),
        }

    def _date(nullable: bool = False) -> pa.Column:
        return pa.Column("datetime64[ns]", nullable=nullable, coerce=True)

    def _int(nullable: bool = False, *checks: pa.Check) -> pa.Column:
        return pa.Column("Int64", list(checks), nullable=nullable, coerce=True)

    def _bool() -> pa.Column:
        return pa.Column(bool, coerce=True)

    def _one_of(values: tuple[str, ...], nullable: bool = False) -> pa.Column:
        return pa.Column(object, pa.Check.isin(list(values)), nullable=nullable)

    # Column order in each dict is the column order in the store.
    return {
        "roster": pa.DataFrameSchema(
            {
                # NULL = no 学年 in the ledger: "the current school year", which
                # depends on as_of, so the measures fill it (measures.common.roster_of_year).
                "school_year": _int(True, pa.Check.in_range(1990, 2100)),
                **_person_columns(),
                "name": _text(),
                "gender": _text(),
                "birth_date": _date(nullable=True),
                "township": _text(nullable=False),
                "school": _text(nullable=False),
                "grade": _int(False, pa.Check.in_range(1, 9)),
                "class_name": _text(),
                "boarding": _bool(),
                "status": _one_of(ROSTER_STATUSES),
                "left_behind": _bool(),
                "migrant": _bool(),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "population": pa.DataFrameSchema(
            {
                **_person_columns(),
                "name": _text(),
                "gender": _text(),
                "birth_date": _date(nullable=True),
                "township": _text(nullable=False),
                "village": _text(),
                "guardian": _text(),
                "phone": _text(),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "poverty": pa.DataFrameSchema(
            {
                **_person_columns(),
                "name": _text(),
                "township": _text(),
                "village": _text(),
                "category": _text(),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "disability": pa.DataFrameSchema(
            {
                **_person_columns(),
                "name": _text(),
                "township": _text(),
                "disability_type": _text(),
                "disability_level": _text(),
                "placement": _one_of(DISABILITY_PLACEMENTS, nullable=True),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "absence": pa.DataFrameSchema(
            {
                "date": _date(),
                **_person_columns(),
                "school": _text(),
                "absence_type": _one_of(UNEXCUSED_TYPES + EXCUSED_TYPES),
                "unexcused": _bool(),
                "note": _text(),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        # One row per 零报告: the school reported that day, nobody absent (ZERO_REPORT_WORDS).
        ZERO_REPORTS: pa.DataFrameSchema(
            {
                "date": _date(),
                "school": _text(nullable=False),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "cases": pa.DataFrameSchema(
            {
                **_person_columns(),
                "name": _text(),
                "township": _text(),
                "school": _text(),
                "grade": _int(True, pa.Check.in_range(1, 9)),
                "date": _date(),
                "event": _one_of(CASE_EVENTS),
                "cause": _text(),
                "destination": _text(),
                "admin_owner": _text(),
                "edu_owner": _text(),
                "method": _one_of(CASE_METHODS, nullable=True),
                "placement": _one_of(CASE_PLACEMENTS, nullable=True),
                "note": _text(),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "home_teaching": pa.DataFrameSchema(
            {
                **_person_columns(),
                "date": _date(),
                "hours": pa.Column(float, pa.Check.ge(0), coerce=True),
                "teacher": _text(),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "subsidy": pa.DataFrameSchema(
            {
                **_person_columns(),
                "term": pa.Column(object, pa.Check.str_matches(r"^\d{4}[秋春]$")),
                "item": _text(),
                # negative: a reversal (冲正) of an earlier payment (kcbx.measures.support)
                "amount": pa.Column(float, coerce=True),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        "enrollment": pa.DataFrameSchema(
            {
                "school_year": _int(False, pa.Check.in_range(1990, 2100)),
                "township": _text(nullable=False),
                "school": _text(nullable=False),
                "grade": _int(False, pa.Check.in_range(1, 9)),
                "enrolled": _int(False, pa.Check.ge(0)),
                "repeaters": _int(True, pa.Check.ge(0)),
                "graduates": _int(True, pa.Check.ge(0)),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
        # One check of a listed child. A row of a 回执 not filled in yet (no 核查结果, no
        # 核查日期) is kept with both NULL and counts as no check (kcbx.measures.verification).
        "verification": pa.DataFrameSchema(
            {
                **_person_columns(),
                "name": _text(),
                "township": _text(),
                "village": _text(),
                "result": _one_of(VERIFICATION_RESULTS, nullable=True),
                "evidence": _text(),
                "checked_by": _text(),
                "date": _date(nullable=True),
                **_provenance_columns(),
            },
            strict=True,
            ordered=True,
        ),
    }


def __getattr__(name: str) -> object:
    # MODELS is built when first asked for: pandera (with pandas) is slow to import,
    # which `kcbx ingest` pays only when it has a file to read.
    if name == "MODELS":
        return _models()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def columns(kind: str) -> list[str]:
    """The canonical column names of a kind, in store order."""
    return list(_models()[kind].columns)


# Store tables beside the ledger kinds.
# id_number: the row's 身份证号 cell as written, when it has one (whose row it is, whatever the reason).
REJECTED_COLUMNS = ("kind", "file", "sheet", "row", "column", "value", "reason", "id_number")
INGEST_LOG_COLUMNS = (
    "kind",
    "file",
    "sha256",
    "rows_read",
    "rows_accepted",
    "rows_rejected",
    "seconds",
    "ingested_at",
    "error",
)


def typed(values: pd.Series, column: pa.Column) -> pd.Series:
    """Values in the store's dtype for a model column.

    Dates datetime64[ns], whole numbers Int64, flags bool; text stays object
    (pandas 3 would infer its ``str`` dtype, which the models do not accept).
    """
    import pandas as pd  # here: schema is imported where pandas need not be (an unchanged re-ingest)

    dtype = str(column.dtype)
    if dtype.startswith("datetime64"):
        return pd.to_datetime(values).astype("datetime64[ns]")
    if dtype in ("Int64", "bool", "float64", "int64"):
        return values.astype(dtype)
    return text_values(values)


def text_values(values: pd.Series) -> pd.Series:
    """Text as object with None for missing (DuckDB hands pandas 3 ``str`` with NaN)."""
    values = values.astype(object)
    return values.where(values.notna(), None)
