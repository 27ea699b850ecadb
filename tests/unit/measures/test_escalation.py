"""Escalation of unexcused absence ("135" / "1357"): worked examples and a brute-force property."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.calendar import school_days
from kcbx.measures.escalation import (
    absence_data_through,
    absence_findings,
    absence_not_reported,
    absence_streaks,
    absent_today,
    daily_unexcused,
    escalation_counts,
    escalation_levels,
    ladder_name,
)
from kcbx.schema import UNEXCUSED_TYPES, columns

D = dt.date
# Wed 22 Sep – Tue 12 Oct 2021: 1–7 Oct National Day; Sun 26 Sep and Sat 9 Oct are 调休 school days.
DAYS = school_days(D(2021, 9, 22), D(2021, 10, 12))


def absence_frame(rows) -> pd.DataFrame:
    """Canonical absence rows from (date, person_key, absence_type[, school]) tuples, in file order."""
    records = []
    for line, (date, person, kind, *school) in enumerate(rows, start=2):
        records.append(
            {
                "date": pd.Timestamp(date),
                "person_key": person,
                "id_number": person,
                "student_no": None,
                "school": school[0] if school else "一中",
                "absence_type": kind,
                "unexcused": kind in UNEXCUSED_TYPES,
                "note": None,
                "source_file": "缺勤.xlsx",
                "source_sheet": "Sheet1",
                "source_row": line,
            }
        )
    frame = pd.DataFrame(records, columns=columns("absence"))
    return frame.astype({"date": "datetime64[ns]", "unexcused": bool, "source_row": "int64"})


def streak_of(streaks: pd.DataFrame, person: str) -> pd.Series:
    return streaks.set_index("person_key").loc[person]


def test_streak_spans_national_day():
    # Absent Thu 30 Sep and Sat 9 Oct (a make-up school day); 1–7 Oct are holidays,
    # Fri 8 Oct is a school day he attended -> the streak on 9 Oct is 1, not 2.
    absence = absence_frame([("2021-09-30", "p1", "无故"), ("2021-10-09", "p1", "旷课")])
    row = streak_of(absence_streaks(absence, DAYS, D(2021, 10, 9)), "p1")
    assert row["streak"] == 1
    assert row["streak_start"] == pd.Timestamp("2021-10-09")


def test_holidays_neither_break_nor_lengthen_a_streak():
    # Absent Wed 29, Thu 30 Sep, Fri 8, Sat 9 Oct: consecutive school days across the
    # holiday (1–7 Oct) -> 4. An absence on Sun 3 Oct (holiday) is ignored.
    absence = absence_frame(
        [("2021-09-29", "p1", "无故"), ("2021-09-30", "p1", "无故"), ("2021-10-03", "p1", "无故"),
         ("2021-10-08", "p1", "无故"), ("2021-10-09", "p1", "无故")]
    )
    row = streak_of(absence_streaks(absence, DAYS, D(2021, 10, 9)), "p1")
    assert (row["streak"], row["streak_start"], row["last_absent"]) == (
        4, pd.Timestamp("2021-09-29"), pd.Timestamp("2021-10-09")
    )
    # as_of Sun 10 Oct (no school day): the streak ends on Sat 9 Oct, still 4.
    assert streak_of(absence_streaks(absence, DAYS, D(2021, 10, 10)), "p1")["streak"] == 4
    # as_of Mon 11 Oct, he came back: 0, though he stays listed with his last absence.
    back = streak_of(absence_streaks(absence, DAYS, D(2021, 10, 11)), "p1")
    assert back["streak"] == 0 and pd.isna(back["streak_start"])
    assert back["last_absent"] == pd.Timestamp("2021-10-09")


def test_excused_duplicate_and_later_absences():
    absence = absence_frame(
        [
            ("2021-09-27", "p1", "无故"),
            ("2021-09-28", "p1", "病假"),   # excused: breaks the run
            ("2021-09-29", "p1", "无故"),
            ("2021-09-29", "p1", "旷课"),   # same day twice: one day
            ("2021-09-30", "p1", "无故"),
            ("2021-10-08", "p1", "无故"),   # after as_of: not counted
            ("2021-09-28", "p2", "事假"),   # only excused: no row at all
        ]
    )
    streaks = absence_streaks(absence, DAYS, D(2021, 9, 30))
    # p1: 29 and 30 Sep -> 2 (27 Sep is cut off by the excused 28 Sep).
    assert streaks["person_key"].tolist() == ["p1"]
    assert streak_of(streaks, "p1")["streak"] == 2


def test_no_absence_gives_an_empty_table():
    streaks = absence_streaks(absence_frame([]), DAYS, D(2021, 10, 9))
    assert streaks.empty
    assert list(streaks.columns) == ["person_key", "streak", "streak_start", "last_absent", "school"]
    assert escalation_counts(streaks, [1, 3, 5]) == {"1": 0, "3": 0, "5": 0}


STREAKS = pd.DataFrame({"person_key": list("abcdefg"), "streak": [0, 1, 2, 3, 4, 5, 7]})


def test_levels_and_actions_135():
    levels = escalation_levels(STREAKS, [1, 3, 5])
    # streak 0 -> no level; 1, 2 -> 1; 3, 4 -> 3; 5, 7 -> 5.
    assert levels["level"].tolist() == [0, 1, 1, 3, 3, 5, 5]
    assert levels["action"].tolist() == [
        None, "班主任劝返", "班主任劝返", "学校专人劝返", "学校专人劝返",
        "报告乡镇政府和教育局", "报告乡镇政府和教育局",
    ]


def test_ladder_is_named_as_counties_name_it():
    assert ladder_name([1, 3, 5]) == "135"
    assert ladder_name([7, 1, 5, 3]) == "1357"      # 通江's ladder, whatever the order given
    assert ladder_name([1, 2, 10]) == "1/2/10"       # two digits: no longer readable run together


def test_levels_and_actions_1357_and_more_rungs():
    levels = escalation_levels(STREAKS, [1, 3, 5, 7])
    # Only the streak of 7 reaches the fourth rung: the government's notice.
    assert levels["level"].tolist() == [0, 1, 1, 3, 3, 5, 7]
    assert levels["action"].iloc[-1] == "政府发出限期复学通知书"
    # A fifth threshold keeps the last action.
    five = escalation_levels(STREAKS, [1, 2, 3, 4, 5])
    assert five["rung"].tolist() == [0, 1, 2, 3, 4, 5, 5]
    assert five["action"].iloc[-1] == "政府发出限期复学通知书"


def test_escalation_counts():
    # Streaks 0,1,2,3,4,5,7: >=1: six pupils; >=3: four; >=5: two; >=2 (崇明 1/2/3): five.
    assert escalation_counts(STREAKS, [1, 3, 5]) == {"1": 6, "3": 4, "5": 2}
    assert escalation_counts(STREAKS, [1, 2, 3]) == {"1": 6, "2": 5, "3": 4}


def test_absent_today():
    absence = absence_frame(
        [
            ("2021-10-08", "p1", "无故", "一中"),
            ("2021-10-08", "p1", "无故", "一中"),    # duplicate: listed once
            ("2021-10-08", "p2", "病假", "二小"),    # excused: not listed
            ("2021-10-08", "p3", "旷课", "二小"),
            ("2021-10-03", "p4", "无故", "二小"),    # a holiday
        ]
    )
    today = absent_today(absence, DAYS, D(2021, 10, 8))
    assert today[["person_key", "school", "absence_type"]].values.tolist() == [
        ["p1", "一中", "无故"], ["p3", "二小", "旷课"]
    ]
    # Sun 3 Oct is no school day: nobody is listed, even p4.
    assert absent_today(absence, DAYS, D(2021, 10, 3)).empty


def test_daily_unexcused():
    absence = absence_frame(
        [("2021-09-29", "p1", "无故"), ("2021-09-29", "p2", "无故"), ("2021-09-29", "p2", "无故"),
         ("2021-09-30", "p1", "病假"), ("2021-10-08", "p1", "无故"), ("2021-10-03", "p3", "无故")]
    )
    daily = daily_unexcused(absence, DAYS, D(2021, 10, 8))
    # School days 22 Sep … 8 Oct: 9 of them; two pupils on 29 Sep, none on 30 Sep
    # (excused), one on 8 Oct; 3 Oct is no school day and has no row.
    assert len(daily) == 9
    assert daily.set_index("date")["pupils"].to_dict() == {
        pd.Timestamp("2021-09-22"): 0, pd.Timestamp("2021-09-23"): 0, pd.Timestamp("2021-09-24"): 0,
        pd.Timestamp("2021-09-26"): 0, pd.Timestamp("2021-09-27"): 0, pd.Timestamp("2021-09-28"): 0,
        pd.Timestamp("2021-09-29"): 2, pd.Timestamp("2021-09-30"): 0, pd.Timestamp("2021-10-08"): 1,
    }


def test_absence_findings():
    absence = absence_frame(
        [
            ("2021-09-29", "p1", "无故"),   # row 2: fine
            ("2021-09-29", "p1", "无故"),   # row 3: exact duplicate of row 2
            ("2021-10-02", "p1", "病假"),   # row 4: a holiday
            ("2021-09-29", "p9", "旷课"),   # row 5: p9 is on no current roster
        ]
    )
    findings = absence_findings(absence, DAYS, current_roster_keys={"p1"})
    assert sorted(zip(findings["row"], findings["finding"])) == [
        (3, "重复的缺勤记录"), (4, "缺勤日期不是上课日"), (5, "学生不在本学年学籍中"),
    ]
    assert set(findings["kind"]) == {"absence"} and set(findings["file"]) == {"缺勤.xlsx"}


# --- absence data not uploaded yet ----------------------------------------------------------

# School days of DAYS around National Day: … Wed 29 Sep, Thu 30 Sep; 1–7 Oct holidays;
# Fri 8 Oct, Sat 9 Oct (调休), Mon 11 Oct, Tue 12 Oct.
UPLOADS = absence_frame([
    ("2021-09-29", "p1", "无故"),
    ("2021-09-30", "p2", "病假"),   # only an excused absence that day: the day is reported
    ("2021-10-03", "p1", "无故"),   # a holiday: a row on no school day is no report
    ("2021-10-12", "p3", "无故"),   # after the as_of dates below but the last
])


@pytest.mark.parametrize(("as_of", "through"), [
    (D(2021, 9, 29), D(2021, 9, 29)),   # a school day with rows: itself
    (D(2021, 9, 30), D(2021, 9, 30)),   # excused only: still reported
    (D(2021, 10, 3), D(2021, 9, 30)),   # a holiday as_of, with a row on it: 30 Sep
    (D(2021, 10, 8), D(2021, 9, 30)),   # a school day with no row: 30 Sep
    (D(2021, 10, 10), D(2021, 9, 30)),  # a Sunday
    (D(2021, 10, 12), D(2021, 10, 12)),
    (D(2021, 9, 28), None),             # nothing on or before as_of
])
def test_absence_data_through_is_the_last_school_day_with_any_row(as_of, through):
    assert absence_data_through(UPLOADS, DAYS, as_of) == through


def test_absence_data_through_of_no_rows_is_none():
    assert absence_data_through(absence_frame([]), DAYS, D(2021, 10, 8)) is None


def figures(as_of: str, is_school_day: bool, through: str | None) -> dict:
    return {"as_of": as_of, "is_school_day": is_school_day, "absence_data_through": through}


def test_absence_not_reported_warns_on_a_school_day_without_rows():
    # Mon 18 Oct 2021, the last rows on Fri 15 Oct.
    assert absence_not_reported(figures("2021-10-18", True, "2021-10-15")) == \
        "今日缺勤数据尚未上报（最近上报：10月15日）"
    assert absence_not_reported(figures("2021-09-01", True, None)) == "今日缺勤数据尚未上报（本学期尚无上报）"


def test_absence_not_reported_is_silent_when_reported_or_no_school_day():
    assert absence_not_reported(figures("2021-10-15", True, "2021-10-15")) is None
    assert absence_not_reported(figures("2021-10-16", False, "2021-10-15")) is None  # a Saturday
    assert absence_not_reported(figures("2021-10-03", False, None)) is None


# --- property: the vectorised streak against a day-by-day walk ---------------------------

WINDOW = pd.date_range("2021-09-01", periods=25, freq="D", unit="ns")


def brute_force_streaks(rows, days: pd.DatetimeIndex, as_of: pd.Timestamp) -> dict:
    """Walk back from the last school day <= as_of, one school day at a time."""
    school = set(days)
    absent = {(p, pd.Timestamp(d)) for d, p, kind in rows if kind in UNEXCUSED_TYPES and pd.Timestamp(d) in school}
    absent = {(p, d) for p, d in absent if d <= as_of}
    past_days = [d for d in days if d <= as_of]
    result = {}
    for person in {p for p, _ in absent}:
        streak, start = 0, pd.NaT
        for day in reversed(past_days):
            if (person, day) not in absent:
                break
            streak, start = streak + 1, day
        last_absent = max(d for p, d in absent if p == person)
        result[person] = (streak, start, last_absent)
    return result


@settings(max_examples=200, deadline=None)
@given(
    school_mask=st.lists(st.booleans(), min_size=len(WINDOW), max_size=len(WINDOW)),
    rows=st.lists(
        st.tuples(
            st.integers(0, len(WINDOW) - 1),
            st.sampled_from(["p1", "p2", "p3"]),
            st.sampled_from(["无故", "旷课", "病假"]),
        ),
        max_size=40,
    ),
    as_of_offset=st.integers(-2, len(WINDOW) + 2),
)
def test_streaks_match_a_day_by_day_walk(school_mask, rows, as_of_offset):
    days = WINDOW[pd.Series(school_mask).to_numpy()]
    rows = [(WINDOW[i], person, kind) for i, person, kind in rows]
    as_of = WINDOW[0] + pd.Timedelta(days=as_of_offset)
    streaks = absence_streaks(absence_frame(rows), days, as_of.date())
    got = {
        r.person_key: (r.streak, r.streak_start, r.last_absent)
        for r in streaks.itertuples()
    }
    expected = brute_force_streaks(rows, days, as_of)
    assert got.keys() == expected.keys()
    for person, (streak, start, last_absent) in expected.items():
        got_streak, got_start, got_last = got[person]
        assert got_streak == streak and got_last == last_absent
        assert (pd.isna(got_start) and pd.isna(start)) or got_start == start


@pytest.mark.parametrize("as_of", [D(2021, 9, 21), D(2021, 9, 1)])
def test_before_the_first_school_day_nobody_has_a_streak(as_of):
    absence = absence_frame([("2021-09-22", "p1", "无故")])
    assert absence_streaks(absence, DAYS, as_of).empty
