"""Counts by school: the people behind each figure of the statistics by school (forms.xlsx's
附件1 统计表, and its 日报 出勤统计), counted at each school, then once per township and once in all.

Pure functions of the analysis' frames and parameters; ``kcbx.report.forms`` gives the
figures their Chinese headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from kcbx.measures.cases import CASE_STATES
from kcbx.measures.common import is_in
from kcbx.measures.matching import ENROLLED_STATUS
from kcbx.schema import PERSONAL_LEAVE, SICK_LEAVE

__all__ = ["TOTAL_LABEL", "SUBTOTAL_LABEL", "NO_SCHOOL", "TOWNSHIP_ONLY", "pupil_schools", "counted_people",
           "counts_by_school"]

TOTAL_LABEL = "合计"  # the township of the last row, which counts everyone once
SUBTOTAL_LABEL = "小计"  # the school of a township's row after its schools (subtotals)
NO_SCHOOL = "（未填学校）"  # the school of a case that names none
# Figures of the register side: counted by township only, a suspected child is at no school.
TOWNSHIP_ONLY = ("out_of_school",)


def pupil_schools(roster: pd.DataFrame) -> pd.DataFrame:
    """(township, school, person_key): the schools each pupil counts at.

    Those of the pupil's 在读 rows — a pupil on two schools' rosters counts at
    each (the duplicate is a finding) — or, for a pupil with no 在读 row (休学,
    转出 …), those of all their current rows.
    """
    reading = roster["status"].eq(ENROLLED_STATUS)
    has_reading = reading.groupby(roster["person_key"]).transform("any")
    counted = roster[reading | ~has_reading]
    return counted[["township", "school", "person_key"]].drop_duplicates()


def counted_people(
    roster: pd.DataFrame,
    *,
    absent_today: pd.DataFrame,
    day_absences: pd.DataFrame,
    streaks: pd.DataFrame,
    thresholds: Iterable[int],
    cases: pd.DataFrame,
    person_groups: pd.DataFrame,
    out_of_school: pd.DataFrame,
    subsidy: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """What each figure counts: figure → rows of (township, school, unit), unit a person.

    roster: the current roster rows; absent_today: the pupils absent without leave today;
    day_absences: every pupil absent today, with absence_type; streaks: person_key, streak;
    thresholds: the escalation thresholds; cases: one row per case, in order of opening, with
    its state on as_of; person_groups: person_key, poverty; out_of_school: the suspected
    children, by township; subsidy: the subsidy check, with short.

    A pupil counts at each school of their current roster rows (``pupil_schools``); a
    child with a case counts once, by their latest case: its school and its state.
    """
    pupils = pupil_schools(roster)
    reading = set(roster.loc[roster["status"].eq(ENROLLED_STATUS), "person_key"])
    poverty = set(person_groups.loc[person_groups["poverty"].astype(bool), "person_key"])

    def of_pupils(keys) -> pd.DataFrame:
        return pupils[is_in(pupils["person_key"], set(keys))].rename(columns={"person_key": "unit"})

    latest = cases.drop_duplicates("person_key", keep="last")
    children = latest.assign(school=latest["school"].fillna(NO_SCHOOL))[
        ["township", "school", "person_key", "state"]].rename(columns={"person_key": "unit"})
    subsidy = subsidy[["township", "school", "person_key", "short"]].rename(columns={"person_key": "unit"})
    suspected = out_of_school[["township", "person_key"]].rename(
        columns={"person_key": "unit"}).assign(school=None)
    return {
        "enrolled": of_pupils(reading),
        "absent_today": of_pupils(absent_today["person_key"]),
        "absent_any": of_pupils(day_absences["person_key"]),
        "sick_leave": of_pupils(day_absences.loc[day_absences["absence_type"].eq(SICK_LEAVE), "person_key"]),
        "personal_leave": of_pupils(
            day_absences.loc[day_absences["absence_type"].eq(PERSONAL_LEAVE), "person_key"]),
        **{f"streak_{n}": of_pupils(streaks.loc[streaks["streak"] >= n, "person_key"])
           for n in sorted(thresholds)},
        **{f"cases_{state}": children[children["state"].eq(state)] for state in CASE_STATES},
        "cases_total": children,
        "cases_open_poverty": children[children["state"].eq("open") & is_in(children["unit"], poverty)],
        "out_of_school": suspected,
        "poverty_pupils": of_pupils(reading & poverty),
        "subsidy_due": subsidy,
        "subsidy_short": subsidy[subsidy["short"].astype(bool)],
    }


def counts_by_school(counted: Mapping[str, pd.DataFrame], roster: pd.DataFrame, *,
                     subtotals: bool) -> pd.DataFrame:
    """The figures of ``counted_people`` by school: one row per school, by township then school;
    with ``subtotals`` (the county's), each township's row (school SUBTOTAL_LABEL) after its
    schools; then the TOTAL_LABEL row.

    Columns (people): township, school; enrolled (在读 pupils); absent_today (无故缺勤
    today); absent_any, sick_leave, personal_leave (absent today of any type, 病假, 事假);
    streak_N for each escalation threshold N (pupils whose run of unexcused school
    days is at least N); cases_<state> for each case state (CASE_STATES) and cases_total,
    their sum: children with a case, by their latest case (its school, its state on
    as_of); cases_open_poverty (脱贫户辍学: of those, open and in the poverty register);
    out_of_school (疑似失学, by the child's population township: blank on school rows);
    poverty_pupils (在读 pupils in the poverty register); subsidy_due, subsidy_short (资助
    应发 and 少发 pupils: the school of the subsidy check).

    A pupil counts at each school of their current roster rows (``pupil_schools``); a
    subtotal or total row counts each person once, so the total row gives metrics.json's
    enrolled, absent_unexcused_today, escalation, out_of_school_suspected, subsidy_eligible
    and subsidy_short (docs/metrics.md) even when a pupil is on two schools' rosters, and its
    case columns the case counts whenever no child has two cases. The schools are those of
    the roster, plus any school only a case names.
    """
    place = ["township", "school"]
    located = [units for name, units in counted.items() if name not in TOWNSHIP_ONLY]
    schools = pd.concat([roster[place], *(units[place] for units in located)])
    schools = pd.MultiIndex.from_frame(schools.drop_duplicates().sort_values(place))
    by_school = pd.DataFrame(
        {name: units.groupby(place)["unit"].nunique().reindex(schools, fill_value=0)
         for name, units in counted.items()},
        index=schools,
    ).reset_index()
    by_school[list(TOWNSHIP_ONLY)] = pd.NA
    parts = [by_school]
    if subtotals:
        townships = sorted(set(schools.get_level_values("township").dropna())
                           | set(counted["out_of_school"]["township"].dropna()))
        by_township = pd.DataFrame(
            {name: units.groupby("township")["unit"].nunique().reindex(townships, fill_value=0)
             for name, units in counted.items()},
            index=pd.Index(townships, name="township"),
        ).reset_index().assign(school=SUBTOTAL_LABEL)
        # Stable: within a township, its schools stay first and its subtotal comes last.
        parts = [pd.concat([by_school, by_township], ignore_index=True).sort_values("township", kind="stable")]
    total = {"township": TOTAL_LABEL, "school": None,
             **{name: units["unit"].nunique() for name, units in counted.items()}}
    table = pd.concat([*parts, pd.DataFrame([total])], ignore_index=True)
    return table.astype(dict.fromkeys(counted, "Int64"))
