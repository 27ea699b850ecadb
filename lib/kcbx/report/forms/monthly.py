"""月调度, the county's only (seed 001: "日报告、周通报、月调度"): one row per month of the
term up to as_of, counted by ``kcbx.measures.monthly``."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.model import Analysis, no_history
from kcbx.measures.monthly import month_end_figure, monthly_review, term_months
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import _official_table

# No verification ledger (核查回执) at all: every child on the 疑似失学 list is still to verify.
NOT_VERIFIED = "待核查"
SUSPECTED = "out_of_school_suspected"


def _suspected_by_month(county: Analysis, months: pd.DataFrame) -> list:
    """疑似失学 at each month's end: the county's figure of the month's last complete run, this
    run's for the month under way (it replaces an earlier run of the same day)."""
    history = no_history() if county.history is None else county.history
    earlier = history[history["township"].isna() & (history["as_of"] < pd.Timestamp(county.as_of))]
    this_run = pd.DataFrame({"as_of": [pd.Timestamp(county.as_of)], SUSPECTED: [county.metrics[SUSPECTED]]})
    runs = pd.concat([earlier.reindex(columns=["as_of", SUSPECTED]), this_run], ignore_index=True)
    return month_end_figure(runs, SUSPECTED, months)


def _verified_by_month(county: Analysis, table: pd.DataFrame, suspected) -> list:
    """已核查: the school-age children whose 核查 result, with its evidence, is dated in the
    month (up to its 统计截至); NOT_VERIFIED for every month with a list when there is no
    verification ledger at all."""
    school_age = county.school_age
    if "check_date" not in school_age or school_age["check_date"].isna().all():
        return [None if pd.isna(found) else NOT_VERIFIED for found in suspected]
    dates = pd.to_datetime(school_age["check_date"])[school_age["check_evidenced"].astype(bool)]
    months = pd.PeriodIndex(table["month"], freq="M")
    return [int(((dates.dt.to_period("M") == month) & (dates <= through)).sum())
            for month, through in zip(months, pd.to_datetime(table["through"]), strict=True)]


def monthly_rows(county: Analysis) -> pd.DataFrame:
    """The 月调度 rows: ``monthly_review`` of the county's tables, the month as "2021年9月",
    疑似失学 at the month's end (``_suspected_by_month``) and the children verified in the month
    (``_verified_by_month``) beside it."""
    params = county.params
    months = term_months(params.term_start, params.term_end, county.as_of)
    table = monthly_review(county.cases, county.case_events, county.home_teaching, county.daily_unexcused,
                           params.term_start, params.term_end, county.as_of, params.notice_days)
    suspected = pd.array(_suspected_by_month(county, months), dtype="Int64")
    periods = pd.PeriodIndex(table["month"], freq="M")
    return table.assign(
        month_label=[f"{period.year}年{period.month}月" for period in periods],
        through=table["through"].dt.date,
        suspected=suspected,
        verified=_verified_by_month(county, table, suspected))


_CASES, _HOME, _SUSPECTED = "辍学案件(件)", "送教上门(人)", "疑似失学(人)"
_MONTHLY_COLUMNS = [
    Column("月份", "month_label"),
    Column("统计截至", "through", kind="date"),
    Column("新登记", "opened", group=_CASES, kind="int"),
    Column("本月复学", "returned", group=_CASES, kind="int"),
    Column("仍未复学(月末在办)", "open_at_end", group=_CASES, kind="int"),
    Column("应送教", "home_teaching_assessed", group=_HOME, kind="int"),
    Column("当月达标", "home_teaching_compliant", group=_HOME, kind="int"),
    Column("无故缺勤(人·天)", "unexcused_pupil_days", kind="int"),
    Column("名单人数(月末)", "suspected", group=_SUSPECTED, kind="int"),
    Column("当月核查(人)", "verified", group=_SUSPECTED),
]


def _monthly_sheet(county: Analysis) -> TableSheet:
    """月调度: the term month by month (``monthly_rows``), what each column counts in the notes."""
    ht = county.params.home_teaching
    notes = [
        "辍学案件：新登记为当月首次登记的案件；本月复学为当月有“复学”事件的案件（每件每月计一次）；"
        "仍未复学为统计截至日仍在办的案件（与当日报告的在办案件同一口径），含上学期结转案件。",
        f"送教上门：当月整月在学期内且已结束的才考核，达标＝当月送教不少于 {ht.visits_per_month:g} 次且 "
        f"{ht.visits_per_month * ht.hours_per_visit:g} 课时；未考核的月份留空。",
        "无故缺勤：当月每个上课日无故缺勤（无故、旷课）的学生人数之和，一名学生缺勤3天计3人·天。",
        "疑似失学：当月最后一次完整运行的名单人数（本月为本次运行）；当月无运行记录的留空。"
        "当月核查：核查日期在当月、结果有佐证的儿童（疑似失学核查回执）；尚无任何回执时写"
        f"“{NOT_VERIFIED}”。",
    ]
    return _official_table(county, "月调度", "控辍保学工作月调度表", _MONTHLY_COLUMNS, monthly_rows(county),
                           notes=notes)
