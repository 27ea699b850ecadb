"""Who has reported today (日报, 零报告): per school and school day, reported or not.

Every school sends its absences by 17:00 each school day, and a 零报告 when nobody was
absent (seed 000). A school that sent nothing is not a school with perfect attendance:
what the 日报 says of its pupils depends on whether it reported.

A school reported on a day when the absence ledger has a row of that day for it — an
absence row counts for the school its 学校 cell names and for its pupil's schools of the
current roster — or a 零报告 row (store table ``zero_reports``) naming it. Only school days
count. The schools expected to report are those with at least one 在读 pupil on the current
roster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

import pandas as pd

from kcbx.measures.common import as_timestamp
from kcbx.measures.matching import ENROLLED_STATUS

__all__ = [
    "REPORTING_COLUMNS",
    "ZERO_REPORTS_REQUIRED",
    "ZERO_REPORTS_OPTIONAL",
    "NOT_REPORTED",
    "NO_ROWS_OPTIONAL",
    "reported_days",
    "school_reporting",
    "reporting_lists",
    "data_through_by_school",
    "reporting_status",
    "not_reported_alert",
    "not_reported_schools",
]

ZERO_REPORTS_REQUIRED, ZERO_REPORTS_OPTIONAL = "required", "optional"
ZeroReports = Literal["required", "optional"]
# What the 日报 says of a school with no row today: under params zero_reports required it has
# not reported; under optional nobody asked it for a 零报告, so no row may mean nobody absent.
NOT_REPORTED = "未上报"
NO_ROWS_OPTIONAL = "无缺勤记录（未要求零报告）"
REPORTED = "已上报"

REPORTING_COLUMNS = ["township", "school", "reported_today", "last_reported"]


def reported_days(absence: pd.DataFrame, zero_reports: pd.DataFrame | None, roster: pd.DataFrame,
                  school_days: pd.DatetimeIndex) -> pd.DataFrame:
    """The (school, date) pairs on which a school reported: date a school day, one row each.

    ``absence``: the absence table; ``zero_reports``: the store's zero_reports table (None: none);
    ``roster``: the current roster rows (an absence row counts for its pupil's schools there too).
    Returns school, date (datetime64)."""
    named = absence[["school", "date"]]
    pupils_schools = roster[["person_key", "school"]].drop_duplicates()
    by_roster = absence[["person_key", "date"]].merge(pupils_schools, on="person_key")[["school", "date"]]
    frames = [named, by_roster]
    if zero_reports is not None:
        frames.append(zero_reports[["school", "date"]])
    pairs = pd.concat(frames, ignore_index=True).dropna()
    pairs = pairs.assign(date=pd.to_datetime(pairs["date"]).dt.normalize())
    pairs = pairs[pairs["date"].isin(school_days)]
    return pairs.drop_duplicates().sort_values(["school", "date"], ignore_index=True)


def school_reporting(roster: pd.DataFrame, reported: pd.DataFrame, school_days: pd.DatetimeIndex,
                     as_of: dt.date) -> pd.DataFrame:
    """One row per school with at least one 在读 pupil on the current roster ``roster``, by
    township then school: township, school, reported_today (a report dated as_of, which is a
    school day), last_reported (the last school day on or before as_of it reported: its
    absence_data_through; NaT: none this term). ``reported``: ``reported_days``."""
    schools = (roster.loc[roster["status"] == ENROLLED_STATUS, ["township", "school"]]
               .dropna().drop_duplicates().sort_values(["township", "school"], ignore_index=True))
    day = as_timestamp(as_of)
    so_far = reported[reported["date"] <= day]
    last = so_far.groupby("school")["date"].max()
    today = set(so_far.loc[so_far["date"] == day, "school"])
    is_school_day = day in school_days
    return schools.assign(
        reported_today=schools["school"].isin(today) & is_school_day,
        last_reported=pd.to_datetime(schools["school"].map(dict(last.items()))).astype("datetime64[ns]"),
    )[REPORTING_COLUMNS]


def reporting_lists(reporting: pd.DataFrame, is_school_day: bool) -> tuple[list[str], list[str]]:
    """metrics.json ``schools_reported`` and ``schools_not_reported``: the names (sorted, each
    once) of the schools that have, or have not, reported on as_of; both [] on a day that is no
    school day."""
    if not is_school_day:
        return [], []
    reported = sorted(set(reporting.loc[reporting["reported_today"], "school"]))
    not_reported = sorted(set(reporting.loc[~reporting["reported_today"], "school"]) - set(reported))
    return reported, not_reported


def data_through_by_school(reporting: pd.DataFrame) -> dict[str, str | None]:
    """``absence_data_through_by_school``: each school's last reported school day on or before
    as_of (ISO date; None: none this term), by school name."""
    last = reporting.groupby("school", sort=True)["last_reported"].max()
    return {school: (None if pd.isna(day) else day.date().isoformat()) for school, day in last.items()}


def reporting_status(reported_today: bool, is_school_day: bool, zero_reports: ZeroReports) -> str:
    """What the 日报 says of a school: 已上报; without a row today 未上报 (zero_reports required)
    or 无缺勤记录（未要求零报告） (optional); "" on a day that is no school day."""
    if not is_school_day:
        return ""
    if reported_today:
        return REPORTED
    return NOT_REPORTED if zero_reports == ZERO_REPORTS_REQUIRED else NO_ROWS_OPTIONAL


def not_reported_schools(reporting: pd.DataFrame, zero_reports: ZeroReports, is_school_day: bool) -> pd.DataFrame:
    """The schools to chase today: under zero_reports required, the rows of ``reporting``
    (``school_reporting``) that have not reported, by township then school; none under optional
    (no row may mean nobody absent) and on a day that is no school day."""
    if zero_reports != ZERO_REPORTS_REQUIRED or not is_school_day:
        return reporting.iloc[0:0].reset_index(drop=True)
    return reporting[~reporting["reported_today"]].reset_index(drop=True)


def not_reported_alert(metrics: Mapping, zero_reports: ZeroReports) -> str | None:
    """The 日报's line when schools have not reported today under zero_reports required:
    "2 所学校今日未上报：一小、二小"; None otherwise (optional: no row may be no absence)."""
    missing = metrics.get("schools_not_reported") or []
    if zero_reports != ZERO_REPORTS_REQUIRED or not missing:
        return None
    shown = "、".join(missing[:5]) + (f"等 {len(missing)} 所" if len(missing) > 5 else "")
    return f"{len(missing)} 所学校今日未上报缺勤（零报告）：{shown}"
