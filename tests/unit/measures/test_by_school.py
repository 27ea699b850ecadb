"""kcbx.measures.by_school: 附件1's people by school, worked out by hand on a few frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.measures.by_school import counted_people, counted_twice, counts_by_school

TERM_START = dt.date(2021, 9, 1)
NAT = pd.NaT
CASE_COLUMNS = ["case_id", "person_key", "township", "school", "opened", "state", "outcome_date", "struck_date"]


def roster(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["township", "school", "person_key", "status"])


def case(key: str, school: str, opened: str, state: str, ended: str | None = None) -> dict:
    outcome = pd.Timestamp(ended) if ended and state != "closed" else NAT
    struck = pd.Timestamp(ended) if ended and state == "closed" else NAT
    return {"case_id": f"{key}#1", "person_key": key, "township": "甲乡", "school": school,
            "opened": pd.Timestamp(opened), "state": state, "outcome_date": outcome, "struck_date": struck}


def counted(pupils: pd.DataFrame, cases: list[dict], *, tuopin=(), other=(), without_case=()) -> dict:
    nobody = pd.DataFrame(columns=["person_key", "absence_type"])
    return counted_people(
        pupils, absent_today=nobody, day_absences=nobody,
        streaks=pd.DataFrame({"person_key": pd.Series(dtype=object), "streak": pd.Series(dtype="int64")}),
        thresholds=(1, 3, 5), top_rung_without_case=without_case, cases=pd.DataFrame(cases, columns=CASE_COLUMNS),
        term_start=TERM_START, tuopin_keys=tuopin, other_poverty_keys=other,
        out_of_school=pd.DataFrame(columns=["township", "person_key"]),
        subsidy=pd.DataFrame(columns=["township", "school", "person_key", "short"]))


def test_pupils_counted_at_two_schools_per_township_and_anywhere():
    # a: 一小 and 二小 of 甲乡; b: 一小 of 甲乡 and 三小 of 乙乡; c: 一小 twice (one school);
    # d: 休学 at 二小, 在读 at 一小 (counted at 一小 only).
    pupils = roster(("甲乡", "一小", "a", "在读"), ("甲乡", "二小", "a", "在读"),
                    ("甲乡", "一小", "b", "在读"), ("乙乡", "三小", "b", "在读"),
                    ("甲乡", "一小", "c", "在读"), ("甲乡", "一小", "c", "在读"),
                    ("甲乡", "一小", "d", "在读"), ("甲乡", "二小", "d", "休学"))
    assert counted_twice(pupils) == ({"甲乡": 1, "乙乡": 0}, 2)  # 甲乡: a; anywhere: a, b


def test_case_groups_by_latest_case_of_this_terms_forms_with_each_category():
    cases = [
        case("k1", "一小", "2021-09-05", "open"),              # 仍未复学, 脱贫户
        case("k2", "一小", "2021-05-01", "open"),              # carried over, 其他困难家庭
        case("k3", "一小", "2021-03-01", "returned", "2021-03-09"),   # ended in spring: left off
        case("k4", "二小", "2021-06-01", "transferred", "2021-09-03"),  # carried over, 核减
        case("k5", "二小", "2021-09-10", "closed", "2021-09-12"),     # 已销号待核实, 脱贫户
    ]
    figures = counted(roster(("甲乡", "一小", "p", "在读")), cases, tuopin={"k1", "k5"}, other={"k2", "k4"})
    units = {name: sorted(rows["unit"]) for name, rows in figures.items() if name.startswith("cases_")}
    assert units["cases_open"] == ["k1", "k2"]
    assert (units["cases_open_tuopin"], units["cases_open_other"], units["cases_open_carried"]) == (["k1"], ["k2"], ["k2"])
    assert units["cases_returned"] == []  # k3's return was last term's
    assert units["cases_transferred"] == units["cases_deducted"] == units["cases_deducted_other"] == ["k4"]
    assert (units["cases_closed"], units["cases_closed_tuopin"]) == (["k5"], ["k5"])


def test_the_table_keeps_its_columns_and_adds_counted_twice_on_totals_only():
    pupils = roster(("甲乡", "一小", "a", "在读"), ("甲乡", "二小", "a", "在读"), ("甲乡", "二小", "b", "在读"))
    table = counts_by_school(counted(pupils, [], without_case={"b"}), pupils, subtotals=True)
    assert list(zip(table["school"], table["enrolled"], table["top_rung_without_case"], table["counted_twice"])) == [
        ("一小", 1, 0, pd.NA), ("二小", 2, 1, pd.NA), ("小计", 2, 1, 1), (None, 2, 1, 1)]
    assert {"absent_any", "sick_leave", "personal_leave", "absent_today"} <= set(table.columns)  # 日报 出勤统计's
