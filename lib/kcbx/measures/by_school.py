"""Counts by school: the people behind each figure of the statistics by school (forms.xlsx's
附件1 统计表, and its 日报 出勤统计), counted at each school, then once per township and once in all.

Pure functions of the analysis' frames and parameters; ``kcbx.report.forms`` gives the
figures their Chinese headers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import pandas as pd

from kcbx.measures.cases import term_scope
from kcbx.measures.common import is_in
from kcbx.measures.matching import ENROLLED_STATUS
from kcbx.schema import PERSONAL_LEAVE, SICK_LEAVE

__all__ = ["TOTAL_LABEL", "SUBTOTAL_LABEL", "NO_SCHOOL", "TOWNSHIP_ONLY", "CASE_GROUPS", "DEDUCTED_STATES",
           "pupil_schools", "counted_twice", "counted_people", "counts_by_school"]

TOTAL_LABEL = "合计"  # the township of the last row, which counts everyone once
SUBTOTAL_LABEL = "小计"  # the school of a township's row after its schools (subtotals)
NO_SCHOOL = "（未填学校）"  # the school of a case that names none
# Figures of the register side: counted by township only, a suspected child is at no school.
TOWNSHIP_ONLY = ("out_of_school", "out_of_school_with_case")
# 核减 (not dropouts): a case that ended in home teaching, a transfer or a death.
DEDUCTED_STATES = ("home_teaching", "transferred", "died")
# 附件1's groups of case states, none overlapping the others: still out (open), returned,
# 核减, and struck without an outcome (to verify).
CASE_GROUPS: dict[str, tuple[str, ...]] = {
    "open": ("open",),
    "returned": ("returned",),
    "deducted": DEDUCTED_STATES,
    "closed": ("closed",),
}


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


def counted_twice(roster: pd.DataFrame) -> tuple[dict[str, int], int]:
    """Pupils counted at two or more schools (``pupil_schools``), whom a 小计 or 合计 counts once:
    ({township: pupils at two or more of its schools}, pupils at two or more schools anywhere)."""
    pupils = pupil_schools(roster)
    by_township = pupils.groupby(["township", "person_key"]).size().gt(1).groupby(level="township").sum()
    anywhere = int(pupils.groupby("person_key").size().gt(1).sum())
    return {township: int(n) for township, n in by_township.items()}, anywhere


def counted_people(
    roster: pd.DataFrame,
    *,
    absent_today: pd.DataFrame,
    day_absences: pd.DataFrame,
    streaks: pd.DataFrame,
    thresholds: Iterable[int],
    top_rung_without_case: Iterable[str],
    cases: pd.DataFrame,
    term_start: dt.date,
    tuopin_keys: Iterable[str],
    other_poverty_keys: Iterable[str],
    out_of_school: pd.DataFrame,
    subsidy: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """What each figure counts: figure → rows of (township, school, unit), unit a person.

    roster: the current roster rows; absent_today: the pupils absent without leave today;
    day_absences: every pupil absent today, with absence_type; streaks: person_key, streak;
    thresholds: the escalation thresholds; top_rung_without_case: the pupils at the top rung
    with no open case (metrics clearance_blockers); cases: one row per case, in order of
    opening, with its state on as_of; term_start: the term's first day (``term_scope``);
    tuopin_keys: the children of 类别 脱贫户; other_poverty_keys: the register's other
    children (监测户, 低保户, 特困供养, or no 类别); out_of_school: the suspected children, by
    township; subsidy: the subsidy check, with short.

    A pupil counts at each school of their current roster rows (``pupil_schools``). Cases on
    this term's forms only (``term_scope``: opened this term, or still open when it began);
    a child with such a case counts once, by their latest one: its school and its state.
    """
    pupils = pupil_schools(roster)
    reading = set(roster.loc[roster["status"].eq(ENROLLED_STATUS), "person_key"])
    tuopin, other = set(tuopin_keys), set(other_poverty_keys)

    def of_pupils(keys) -> pd.DataFrame:
        return pupils[is_in(pupils["person_key"], set(keys))].rename(columns={"person_key": "unit"})

    scope = term_scope(cases, term_start)
    latest = cases.assign(scope=scope)[scope.notna()].drop_duplicates("person_key", keep="last")
    children = latest.assign(school=latest["school"].fillna(NO_SCHOOL))[
        ["township", "school", "person_key", "state", "scope"]].rename(columns={"person_key": "unit"})

    def with_family(name: str, units: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """The figure, and its 其中脱贫户 and 其中其他困难家庭."""
        return {name: units, f"{name}_tuopin": units[is_in(units["unit"], tuopin)],
                f"{name}_other": units[is_in(units["unit"], other)]}

    case_figures: dict[str, pd.DataFrame] = {}
    for group, states in CASE_GROUPS.items():
        in_group = children[children["state"].isin(states)]
        if group == "deducted":
            case_figures.update({f"cases_{state}": in_group[in_group["state"].eq(state)]
                                 for state in DEDUCTED_STATES})
        case_figures.update(with_family(f"cases_{group}", in_group))
        if group == "open":
            case_figures["cases_open_carried"] = in_group[in_group["scope"].eq("carried_over")]

    open_cases = set(cases.loc[cases["state"].eq("open"), "person_key"])
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
        "top_rung_without_case": of_pupils(top_rung_without_case),
        **case_figures,
        "out_of_school": suspected,
        "out_of_school_with_case": suspected[is_in(suspected["unit"], open_cases)],
        "tuopin_pupils": of_pupils(reading & tuopin),
        "other_poverty_pupils": of_pupils(reading & other),
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
    days is at least N); top_rung_without_case (at the top rung, no open case);
    children with a case on this term's forms, by their latest such case (its school, its
    state on as_of), in groups that do not overlap: cases_open (仍未复学), cases_returned
    (已复学), cases_deducted (核减: cases_home_teaching + cases_transferred + cases_died),
    cases_closed (已销号待核实: struck without an outcome), each with _tuopin (类别 脱贫户)
    and _other (the register's other 类别); cases_open_carried (of cases_open, cases
    carried over from an earlier term); out_of_school (疑似失学, by the child's population
    township: blank on school rows) and out_of_school_with_case (of those, with an open
    case); tuopin_pupils, other_poverty_pupils (在读 pupils of 类别 脱贫户, of the other
    类别); subsidy_due, subsidy_short (资助 应发 and 少发 pupils: the school of the subsidy
    check); counted_twice (on 小计 and 合计 rows: pupils counted at two schools of it, whom
    that row counts once; ``counted_twice``).

    A pupil counts at each school of their current roster rows (``pupil_schools``); a
    subtotal or total row counts each person once, so the total row gives metrics.json's
    enrolled, absent_unexcused_today, escalation, out_of_school_suspected, subsidy_eligible,
    subsidy_short and clearance_blockers.top_rung_without_case (docs/metrics.md) even when a
    pupil is on two schools' rosters. The schools are those of the roster, plus any school
    only a case names.
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
    twice_by_township, twice = counted_twice(roster)
    by_school["counted_twice"] = pd.NA
    parts = [by_school]
    if subtotals:
        townships = sorted(set(schools.get_level_values("township").dropna())
                           | set(counted["out_of_school"]["township"].dropna()))
        by_township = pd.DataFrame(
            {name: units.groupby("township")["unit"].nunique().reindex(townships, fill_value=0)
             for name, units in counted.items()},
            index=pd.Index(townships, name="township"),
        ).reset_index().assign(school=SUBTOTAL_LABEL)
        by_township["counted_twice"] = [twice_by_township.get(township, 0) for township in townships]
        # Stable: within a township, its schools stay first and its subtotal comes last.
        parts = [pd.concat([by_school, by_township], ignore_index=True).sort_values("township", kind="stable")]
    total = {"township": TOTAL_LABEL, "school": None,
             **{name: units["unit"].nunique() for name, units in counted.items()}, "counted_twice": twice}
    table = pd.concat([*parts, pd.DataFrame([total])], ignore_index=True)
    return table.astype(dict.fromkeys([*counted, "counted_twice"], "Int64"))
