"""Escalation of unexcused absence: the "135" / "1357" mechanism (params ``escalation``, docs/params.md).

A pupil absent without valid reason (无故/旷课) for 1 school day: the head
teacher persuades; N consecutive school days: the next rung of the ladder. The
thresholds are county parameters (``escalation: [1, 3, 5]``), so nothing here
assumes three of them.

Every function takes the canonical ``absence`` table and the term's school
days (``kcbx.calendar.school_days``). Only unexcused rows dated on a school day
count; a pupil absent twice on one day is absent once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from kcbx.calendar import last_school_day_on_or_before
from kcbx.measures.common import FINDING_COLUMNS, as_timestamp, findings_of, is_in

__all__ = [
    "ESCALATION_ACTIONS",
    "action_of_rung",
    "ladder_name",
    "absence_streaks",
    "escalation_levels",
    "escalation_counts",
    "absent_today",
    "daily_unexcused",
    "absence_findings",
    "absence_data_through",
    "absence_not_reported",
    "absences_on",
    "counted_absences",
    "numbered_runs",
]

# The action owed at each rung of the ladder, rung 1 first (the county's 1-3-5 ladder
# (三天、五天) as the provincial 控辍保学 notice sets it, plus the government's notice
# of a "1357" ladder such as 通江's). A county with fewer thresholds uses the
# first rungs (崇明 1/2/3: head teacher, school, report); rungs beyond the
# fourth keep the last action, the government's notice being the final step.
ESCALATION_ACTIONS: tuple[str, ...] = (
    "班主任劝返",
    "学校专人劝返",
    "报告乡镇政府和教育局",
    "政府发出限期复学通知书",
)

STREAK_COLUMNS = ["person_key", "streak", "streak_start", "last_absent", "school"]
TODAY_COLUMNS = ["person_key", "school", "absence_type", "note"]

# The columns that make an absence row what it is; two rows equal on all of
# them are one absence written twice (provenance columns always differ).
_ABSENCE_DATA_COLUMNS = [
    "date", "person_key", "id_number", "student_no", "school", "absence_type", "unexcused", "note",
]


def counted_absences(absence: pd.DataFrame, school_days: pd.DatetimeIndex,
                     unexcused_only: bool = True) -> pd.DataFrame:
    """Unexcused absences (of any type: ``unexcused_only=False``) on school days, one row per
    pupil and day (the first in file order); ``date`` normalized to midnight."""
    dates = absence["date"].dt.normalize()
    kept = absence["unexcused"].astype(bool) if unexcused_only else pd.Series(True, index=absence.index)
    counted = absence[kept & dates.isin(school_days)]
    counted = counted.assign(date=dates[counted.index])
    return counted.drop_duplicates(["person_key", "date"], keep="first")


def numbered_runs(counted: pd.DataFrame, school_days: pd.DatetimeIndex) -> pd.DataFrame:
    """``counted_absences`` rows with position (the school day's number 0, 1, 2 …) and run (one id
    per run of consecutive unexcused-absent school days of a pupil), sorted by pupil and day.

    Consecutive school days differ by 1 in position, so a run is a stretch of positions that
    each follow the one before: days between two school days neither break nor lengthen it.
    """
    counted = counted.assign(position=school_days.get_indexer(counted["date"]))
    counted = counted.sort_values(["person_key", "position"], kind="stable")
    return counted.assign(run=counted.groupby("person_key")["position"].diff().ne(1).cumsum())


def absence_streaks(
    absence: pd.DataFrame, school_days: pd.DatetimeIndex, as_of: dt.date
) -> pd.DataFrame:
    """Each pupil's run of consecutive unexcused-absent school days ending on the last school day <= as_of.

    As metrics.json's escalation counts it (docs/metrics.md): the run of consecutive
    unexcused-absent school days ending on the last school day on or before as_of. Days between two school
    days (weekends, holidays, days off) neither break nor lengthen a run.

    Returns one row per pupil with at least one counted absence on or before
    as_of: person_key, streak (int; 0 when not absent on that last school day),
    streak_start (first day of the run; NaT when streak is 0), last_absent
    (latest absent school day), school (of that latest absence).
    """
    last_day = last_school_day_on_or_before(school_days, as_of)
    counted = counted_absences(absence, school_days)
    counted = counted[counted["date"] <= as_timestamp(as_of)]
    if counted.empty or last_day is None:
        return pd.DataFrame(
            {
                "person_key": pd.Series(dtype=object),
                "streak": pd.Series(dtype="int64"),
                "streak_start": pd.Series(dtype="datetime64[ns]"),
                "last_absent": pd.Series(dtype="datetime64[ns]"),
                "school": pd.Series(dtype=object),
            }
        )

    counted = numbered_runs(counted, school_days)
    latest = counted.groupby("person_key").tail(1).set_index("person_key")
    runs = counted.groupby("run")["position"].agg(["min", "size"])
    latest_run = runs.loc[latest["run"]].set_axis(latest.index)

    ends_on_last_day = latest["position"] == school_days.get_loc(last_day)
    streak = latest_run["size"].where(ends_on_last_day, 0).astype("int64")
    run_start = pd.Series(school_days[latest_run["min"].to_numpy()], index=latest.index)
    streak_start = run_start.where(ends_on_last_day)
    return pd.DataFrame(
        {
            "streak": streak,
            "streak_start": streak_start.astype("datetime64[ns]"),
            "last_absent": latest["date"],
            "school": latest["school"],
        }
    ).reset_index()[STREAK_COLUMNS]


def action_of_rung(rung: int) -> str | None:
    """The action owed at a rung (1 = first threshold); rungs past the last action keep it; None at 0."""
    return ESCALATION_ACTIONS[min(rung, len(ESCALATION_ACTIONS)) - 1] if rung else None


def ladder_name(thresholds: Sequence[int]) -> str:
    """The ladder as counties name it: "135", "1357"; "1/2/10" once a rung has two digits."""
    ordered = [str(n) for n in sorted(thresholds)]
    return ("" if all(len(n) == 1 for n in ordered) else "/").join(ordered)


def escalation_levels(streaks: pd.DataFrame, thresholds: Sequence[int]) -> pd.DataFrame:
    """The rung of the ladder each pupil's streak has reached, and the action it owes.

    Adds `level` (the largest threshold the streak reaches, e.g. 3 for a streak
    of 4 under "135"; 0 below the first), `rung` (1 for the first threshold,
    2 for the second …; 0 below the first) and `action` (ESCALATION_ACTIONS of
    the rung; rungs past the fourth keep the fourth's action; None at rung 0).
    """
    ordered = sorted(thresholds)
    streak = streaks["streak"].to_numpy()
    rung = pd.Series(0, index=streaks.index, dtype="int64")
    level = pd.Series(0, index=streaks.index, dtype="int64")
    for index, threshold in enumerate(ordered, start=1):
        reached = streak >= threshold
        rung[reached] = index
        level[reached] = threshold
    action = pd.Series([action_of_rung(r) for r in rung], index=streaks.index, dtype=object)
    return streaks.assign(level=level, rung=rung, action=action)


def escalation_counts(streaks: pd.DataFrame, thresholds: Sequence[int]) -> dict[str, int]:
    """metrics.json's `escalation`: for each threshold N, pupils whose streak is at least N: {"1": …, "3": …}."""
    streak = streaks["streak"]
    return {str(n): int((streak >= n).sum()) for n in sorted(thresholds)}


def absent_today(absence: pd.DataFrame, school_days: pd.DatetimeIndex, as_of: dt.date) -> pd.DataFrame:
    """The daily report (日报告): pupils with an unexcused absence on as_of; empty if it is no school day.

    metrics.json's `absent_unexcused_today` is its row count. Returns person_key,
    school, absence_type, note (of the pupil's first row that day, in file order).
    """
    counted = counted_absences(absence, school_days)
    today = counted[counted["date"] == as_timestamp(as_of)]
    return today[TODAY_COLUMNS].reset_index(drop=True)


def absences_on(absence: pd.DataFrame, school_days: pd.DatetimeIndex, as_of: dt.date) -> pd.DataFrame:
    """Every pupil absent on as_of, of any type (日报 出勤统计: 病假, 事假 and 无故 per school);
    empty when as_of is no school day. One row per pupil, their first row in file order:
    person_key, school, absence_type, unexcused."""
    day = as_timestamp(as_of)
    if day not in school_days:
        return absence.iloc[0:0][["person_key", "school", "absence_type", "unexcused"]]
    on_day = absence[absence["date"].dt.normalize() == day]
    return on_day.drop_duplicates("person_key", keep="first")[
        ["person_key", "school", "absence_type", "unexcused"]].reset_index(drop=True)


def daily_unexcused(absence: pd.DataFrame, school_days: pd.DatetimeIndex, as_of: dt.date) -> pd.DataFrame:
    """Pupils with an unexcused absence on each school day of the term up to as_of (trend chart).

    Returns date, pupils: one row per school day on or before as_of, 0 where nobody was absent.
    """
    days = school_days[school_days <= as_timestamp(as_of)]
    per_day = counted_absences(absence, school_days).groupby("date").size()
    pupils = per_day.reindex(days, fill_value=0).astype("int64")
    return pd.DataFrame({"date": days, "pupils": pupils.to_numpy()})


def absence_data_through(
    absence: pd.DataFrame, school_days: pd.DatetimeIndex, as_of: dt.date
) -> dt.date | None:
    """The last school day on or before as_of with any absence row (日报 data "through" that day).

    metrics.json `absence_data_through`: "the last school day on or before as_of
    with any absence row in the county (null when there is none)". Any row
    counts, excused or not (a school that reports only 病假 has reported); a row
    dated on a day that is no school day does not. Pass the county's whole
    absence table: whether a day's data is in is a county-wide fact, not a
    township's (a township whose pupils were all at school has nothing to report).
    """
    dates = absence["date"].dt.normalize()
    reported = dates[dates.isin(school_days) & (dates <= as_timestamp(as_of))]
    return None if reported.empty else reported.max().date()


def absence_not_reported(metrics: Mapping) -> str | None:
    """The 日报's warning when as_of is a school day and no absence row of it is in yet; else None.

    "今日缺勤数据尚未上报（最近上报：10月15日）", the date being metrics.json's
    `absence_data_through`: absent today 0 and no streak then mean "not uploaded
    yet" (a 16:00 run before late schools upload), not "a perfect day". Reads
    the figures `as_of`, `is_school_day` and `absence_data_through` (ISO dates).
    """
    through = metrics["absence_data_through"]
    if not metrics["is_school_day"] or through == metrics["as_of"]:
        return None
    if through is None:
        return "今日缺勤数据尚未上报（本学期尚无上报）"
    day = dt.date.fromisoformat(through)
    return f"今日缺勤数据尚未上报（最近上报：{day.month}月{day.day}日）"


def absence_findings(
    absence: pd.DataFrame, school_days: pd.DatetimeIndex, current_roster_keys: Collection[str]
) -> pd.DataFrame:
    """Absence rows accepted but worth a look (data-quality findings, docs/ledgers.md).

    - 重复的缺勤记录: an exact duplicate of an earlier row (the copies after the first);
    - 缺勤日期不是上课日: an absence on a day that is no school day of the term;
    - 学生不在本学年学籍中: an absence of a pupil with no current roster row.
    Returns FINDING_COLUMNS (kind is "absence"); a row may have several findings.
    """
    duplicates = absence[absence.duplicated(_ABSENCE_DATA_COLUMNS, keep="first")]
    not_school_day = absence[~absence["date"].dt.normalize().isin(school_days)]
    off_roster = absence[~is_in(absence["person_key"], set(current_roster_keys))]
    return pd.concat(
        [
            findings_of(duplicates, "absence", "重复的缺勤记录", "与前面一行完全相同, 只计一次"),
            findings_of(
                not_school_day,
                "absence",
                "缺勤日期不是上课日",
                not_school_day["date"].dt.strftime("%Y-%m-%d") + " 不是本学期的上课日",
            ),
            findings_of(
                off_roster, "absence", "学生不在本学年学籍中", "学籍号/身份证号: " + off_roster["person_key"]
            ),
        ],
        ignore_index=True,
    )[list(FINDING_COLUMNS)]
