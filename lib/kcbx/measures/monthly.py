"""月调度 (seed 001: "日报告、周通报、月调度"): the term month by month up to as_of.

Pure counting per calendar month of the term, from the tables an analysis already holds:
the case table and log (``kcbx.measures.cases``), the 送教上门 child × month compliance
(``support.home_teaching_compliance``), the unexcused pupils per school day
(``escalation.daily_unexcused``), and figures of earlier runs. A month's figures stand at
its ``through`` day: its last day, or as_of for the month under way.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.measures.cases import case_events, states_over_time
from kcbx.measures.common import as_timestamp

__all__ = ["MONTHLY_COLUMNS", "term_months", "monthly_cases", "monthly_home_teaching",
           "monthly_unexcused", "month_end_figure", "monthly_review"]

RETURN_EVENT = "复学"
MONTH_COLUMNS = ["month", "first_day", "through"]
MONTHLY_COLUMNS = [*MONTH_COLUMNS, "opened", "returned", "open_at_end", "home_teaching_assessed",
                   "home_teaching_compliant", "unexcused_pupil_days"]


def term_months(term_start: dt.date, term_end: dt.date, as_of: dt.date) -> pd.DataFrame:
    """The term's calendar months up to as_of, one row each: month ("2021-09"), first_day (the
    month's first day, term_start in the first month), through (its last day; term_end or
    as_of where earlier). None before the term starts."""
    last = min(as_timestamp(term_end), as_timestamp(as_of))
    start = as_timestamp(term_start)
    if last < start:
        return pd.DataFrame({"month": pd.Series(dtype=object), "first_day": pd.Series(dtype="datetime64[ns]"),
                             "through": pd.Series(dtype="datetime64[ns]")})
    periods = pd.period_range(start, last, freq="M")
    return pd.DataFrame({
        "month": [str(period) for period in periods],
        "first_day": [max(period.start_time, start) for period in periods],
        "through": [min(period.end_time.normalize(), last) for period in periods],
    }).astype({"first_day": "datetime64[ns]", "through": "datetime64[ns]"})


def _in_month(dates: pd.Series, months: pd.DataFrame) -> pd.Series:
    """Each date's month of ``months`` ("2021-09"), None outside them (before the term, after as_of)."""
    dates = pd.to_datetime(dates).dt.normalize()
    month = pd.Series(None, index=dates.index, dtype=object)
    for row in months.itertuples():
        month[(dates >= row.first_day) & (dates <= row.through)] = row.month
    return month


def _count_by_month(month_of_rows: pd.Series, months: pd.DataFrame, values: pd.Series | None = None) -> list[int]:
    counted = month_of_rows.value_counts() if values is None else values.groupby(month_of_rows).sum()
    return [int(counted.get(month, 0)) for month in months["month"]]


def monthly_cases(cases: pd.DataFrame, events: pd.DataFrame, months: pd.DataFrame,
                  notice_days: int) -> pd.DataFrame:
    """Per month: opened (cases whose first event falls in it), returned (cases with a 复学
    event in it, each case once a month; a case that returns and later transfers counts in
    the month of its 复学), open_at_end (cases open on its ``through`` day, as ``cases_open``
    counts them with that day as as_of: ``states_over_time``).

    A case opened before the term (上学期结转) is opened in no month but counts as open.
    ``cases`` is a case_table, ``events`` their log. Returns MONTH_COLUMNS and the three counts.
    """
    opened = _count_by_month(_in_month(cases["opened"], months), months)
    linked = case_events(events)
    returns = linked[linked["event"].eq(RETURN_EVENT) & ~linked["duplicate"]]
    returns = returns.assign(month=_in_month(returns["date"], months)).dropna(subset=["month"])
    returned = returns.drop_duplicates(["case_id", "month"])["month"]
    states = states_over_time(events, pd.DatetimeIndex(months["through"]), notice_days)
    return months[MONTH_COLUMNS].assign(
        opened=opened, returned=_count_by_month(returned, months),
        open_at_end=states["open"].to_numpy() if len(months) else [])


def monthly_home_teaching(compliance: pd.DataFrame, months: pd.DataFrame) -> pd.DataFrame:
    """Per month: home_teaching_assessed (送教上门 children assessed in it) and
    home_teaching_compliant (of those, compliant), from the child × month table; both
    None for a month that is not assessed (not wholly inside the term, or not ended by as_of)."""
    by_month = compliance.groupby("month")["compliant"].agg(["size", "sum"])
    assessed = [int(by_month.at[m, "size"]) if m in by_month.index else None for m in months["month"]]
    compliant = [int(by_month.at[m, "sum"]) if m in by_month.index else None for m in months["month"]]
    return months[MONTH_COLUMNS].assign(home_teaching_assessed=pd.array(assessed, dtype="Int64"),
                                        home_teaching_compliant=pd.array(compliant, dtype="Int64"))


def monthly_unexcused(daily_unexcused: pd.DataFrame, months: pd.DataFrame) -> pd.DataFrame:
    """Per month: unexcused_pupil_days, the sum over its school days of the pupils absent
    without leave that day (``daily_unexcused``: date, pupils): a pupil absent 3 days counts 3."""
    month = _in_month(daily_unexcused["date"], months)
    return months[MONTH_COLUMNS].assign(
        unexcused_pupil_days=_count_by_month(month, months, daily_unexcused["pupils"]))


def month_end_figure(runs: pd.DataFrame, column: str, months: pd.DataFrame) -> list:
    """Per month, ``column`` of the latest run (``runs``: as_of, column) dated inside the month
    up to its through day; None when no run of the month has it."""
    dated = runs.dropna(subset=[column]).assign(month=_in_month(runs["as_of"], months)).dropna(subset=["month"])
    latest = dated.sort_values("as_of", kind="stable").groupby("month")[column].last()
    return [latest.get(month) for month in months["month"]]


def monthly_review(cases: pd.DataFrame, events: pd.DataFrame, compliance: pd.DataFrame,
                   daily_unexcused: pd.DataFrame, term_start: dt.date, term_end: dt.date,
                   as_of: dt.date, notice_days: int) -> pd.DataFrame:
    """The 月调度 table: one row per month of the term up to as_of, MONTHLY_COLUMNS
    (``monthly_cases``, ``monthly_home_teaching``, ``monthly_unexcused``)."""
    months = term_months(term_start, term_end, as_of)
    table = monthly_cases(cases, events, months, notice_days)
    table = table.merge(monthly_home_teaching(compliance, months), on=MONTH_COLUMNS)
    return table.merge(monthly_unexcused(daily_unexcused, months), on=MONTH_COLUMNS)[MONTHLY_COLUMNS]
