"""巩固率, the UIS reconstructed cohort, 辍学率 and enrolment counts."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.measures.rates import (
    cohort,
    dropout_rate,
    enrolled_count,
    enrollment_by_school_grade,
    retention_rate,
)
from kcbx.schema import columns


def enrollment(*rows: tuple) -> pd.DataFrame:
    """Enrollment ledger rows: (school_year, school, grade, enrolled, repeaters, graduates)."""
    frame = pd.DataFrame(
        [
            {"school_year": year, "township": "甲镇", "school": school, "grade": grade,
             "enrolled": enrolled, "repeaters": repeaters, "graduates": graduates,
             "source_file": "t.xlsx", "source_sheet": "", "source_row": n + 2}
            for n, (year, school, grade, enrolled, repeaters, graduates) in enumerate(rows)
        ],
        columns=columns("enrollment"),
    )
    return frame.astype(dict.fromkeys(["school_year", "grade", "enrolled", "repeaters", "graduates"], "Int64"))


# --- 巩固率 ---------------------------------------------------------------------

def test_retention_above_one_is_flagged_not_capped():
    ledger = enrollment(
        (2021, "一中", 9, 60, 0, 0), (2021, "二中", 9, 50, 0, 0),  # grade 9 in 2021: 110
        (2013, "一小", 1, 70, 0, 0), (2013, "二小", 1, 30, 0, 0),  # grade 1 in 2013: 100
        (2020, "一中", 9, 999, 0, 0), (2014, "一小", 1, 1, 0, 0),  # other years: ignored
    )
    # 110 / 100 = 1.1 > 1: transfers in not netted out.
    assert retention_rate(ledger, 2021) == {
        "rate": 1.1, "flag": True, "grade9": 110, "grade1": 100, "grade1_year": 2013,
    }


def test_retention_below_one():
    ledger = enrollment((2021, "一中", 9, 110, 0, 0), (2013, "一小", 1, 120, 0, 0))
    result = retention_rate(ledger, 2021)
    assert result["rate"] == 110 / 120 and result["flag"] is False


def test_retention_null_when_a_row_is_missing_or_zero():
    no_grade_1 = retention_rate(enrollment((2021, "一中", 9, 110, 0, 0)), 2021)
    assert no_grade_1 == {"rate": None, "flag": None, "grade9": 110, "grade1": None, "grade1_year": 2013}
    no_grade_9 = retention_rate(enrollment((2013, "一小", 1, 100, 0, 0)), 2021)
    assert no_grade_9["rate"] is None and no_grade_9["grade9"] is None
    zero_intake = retention_rate(enrollment((2021, "一中", 9, 5, 0, 0), (2013, "一小", 1, 0, 0, 0)), 2021)
    assert zero_intake["rate"] is None and zero_intake["grade1"] == 0


# --- UIS cohort -------------------------------------------------------------------

def test_cohort_on_grades_7_to_9_by_hand():
    ledger = enrollment(
        # t = 2020: E7 100, E8 90, E9 80, G9 76
        (2020, "一中", 7, 100, 0, 0), (2020, "一中", 8, 90, 0, 0), (2020, "一中", 9, 80, 0, 76),
        # t+1 = 2021: (E, R) = (105, 2), (98, 3), (86, 1); its 毕业生数 is next year's business
        (2021, "一中", 7, 105, 2, 0), (2021, "一中", 8, 98, 3, 0), (2021, "一中", 9, 86, 1, 999),
    )
    result = cohort(ledger, 2021)
    p, r, d = result["promotion"], result["repetition"], result["dropout"]
    # p7 = (98 − 3) / 100, r7 = 2 / 100, d7 = 1 − 0.95 − 0.02
    assert p["7"] == pytest.approx(0.95) and r["7"] == pytest.approx(0.02) and d["7"] == pytest.approx(0.03)
    # p8 = (86 − 1) / 90, r8 = 3 / 90, d8 = 2 / 90
    assert p["8"] == pytest.approx(85 / 90) and r["8"] == pytest.approx(3 / 90) and d["8"] == pytest.approx(2 / 90)
    # p9 = G9,t / E9,t = 76 / 80, r9 = 1 / 80, d9 = 1 − 0.95 − 0.0125
    assert p["9"] == pytest.approx(0.95) and r["9"] == pytest.approx(0.0125) and d["9"] == pytest.approx(0.0375)
    # Grades 1–6 have no rows in 2020: null rates, so survival (needing grades 1–8) is null.
    assert [p[str(g)] for g in range(1, 7)] == [None] * 6
    assert result["survival_to_grade_9"] is None
    assert list(p) == [str(g) for g in range(1, 10)]


def test_cohort_survival_over_nine_grades():
    # Every grade: E_t = 100; at t+1, E = 90 of whom R = 10 repeaters.
    # p_g = (90 − 10) / 100 = 0.8, r_g = 0.1, d_g = 0.1 (p_9 = G / E = 80 / 100).
    # survival = (0.8 / 0.9)^8 = 8^8 / 9^8.
    rows = [(2020, "校", g, 100, 0, 80 if g == 9 else 0) for g in range(1, 10)]
    rows += [(2021, "校", g, 90, 10, 0) for g in range(1, 10)]
    result = cohort(enrollment(*rows), 2021)
    assert result["promotion"]["1"] == pytest.approx(0.8)
    assert result["dropout"]["9"] == pytest.approx(0.1)
    assert result["survival_to_grade_9"] == pytest.approx(16777216 / 43046721)


def test_cohort_rates_are_not_clamped():
    # 40 pupils transfer into grade 8: p7 = (140 − 0) / 100 = 1.4, d7 = 1 − 1.4 − 0 = −0.4.
    ledger = enrollment((2020, "一中", 7, 100, 0, 0), (2021, "一中", 7, 100, 0, 0), (2021, "一中", 8, 140, 0, 0))
    result = cohort(ledger, 2021)
    assert result["promotion"]["7"] == pytest.approx(1.4)
    assert result["dropout"]["7"] == pytest.approx(-0.4)


def test_cohort_blank_repeaters_make_rates_null_not_zero():
    ledger = enrollment(
        (2020, "一中", 7, 100, 0, 0), (2020, "一中", 8, 90, 0, 0),
        (2021, "一中", 7, 100, 0, 0),
        # One of two schools left 留级生数 blank for grade 8 in 2021.
        (2021, "一中", 8, 50, 2, 0), (2021, "二中", 8, 45, None, 0),
        (2021, "一中", 9, 85, 1, 0),
    )
    result = cohort(ledger, 2021)
    # p7 needs R8,t+1 (unknown): null; r8 = R8,t+1 / E8,t: null; d7, d8 null.
    assert result["promotion"]["7"] is None and result["dropout"]["7"] is None
    assert result["repetition"]["8"] is None and result["dropout"]["8"] is None
    # p8 = (85 − 1) / 90 does not need it; r7 = 0 / 100.
    assert result["promotion"]["8"] == pytest.approx(84 / 90)
    assert result["repetition"]["7"] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.booleans()),
    min_size=9, max_size=9,
))
def test_cohort_recovers_a_simulated_flow(flows):
    """Each grade g at t: promoted + repeating + leaving pupils (a school's share split at random).

    Building t+1 from these flows, the cohort rates must give back promoted / E,
    repeating / E and leaving / E, whichever school the pupils were counted in.
    """
    entrants = 50
    rows = []
    for grade, (promoted, repeating, leaving, in_first_school) in enumerate(flows, start=1):
        enrolled_t = promoted + repeating + leaving
        rows.append((2020, "一校" if in_first_school else "二校", grade, enrolled_t, 0,
                     promoted if grade == 9 else 0))
        arriving = entrants if grade == 1 else flows[grade - 2][0]
        # Split the next year's grade over two schools: repeaters in one, arrivals in the other.
        rows.append((2021, "一校", grade, repeating, repeating, 0))
        rows.append((2021, "二校", grade, arriving, 0, 0))
    result = cohort(enrollment(*rows), 2021)

    survival = 1.0
    for grade, (promoted, repeating, leaving, _) in enumerate(flows, start=1):
        enrolled_t = promoted + repeating + leaving
        key = str(grade)
        if enrolled_t == 0:
            assert result["promotion"][key] is None and result["dropout"][key] is None
            survival = None if grade < 9 else survival
            continue
        assert result["promotion"][key] == pytest.approx(promoted / enrolled_t)
        assert result["repetition"][key] == pytest.approx(repeating / enrolled_t)
        assert result["dropout"][key] == pytest.approx(leaving / enrolled_t)
        if grade < 9 and survival is not None:
            survival = None if repeating == enrolled_t else survival * promoted / (promoted + leaving)
    if survival is None:
        assert result["survival_to_grade_9"] is None
    else:
        # p / (1 − r) = promoted / (promoted + leaving): the share of those who move on eventually.
        assert result["survival_to_grade_9"] == pytest.approx(survival)


# --- 辍学率 ------------------------------------------------------------------------

def test_dropout_rate_counts_in_year_cases():
    as_of = dt.date(2021, 10, 15)
    cases = pd.DataFrame(
        [
            ("c1", "P1", "2021-09-10", "open"),          # counts
            ("c2", "P2", "2021-08-31", "open"),          # last school year
            ("c3", "P3", "2021-10-01", "transferred"),   # transferred: not a dropout
            ("c4", "P4", "2021-10-02", "died"),          # died: not a dropout
            ("c5", "P5", "2021-09-20", "returned"),      # returned: still dropped out this year
            ("c6", "P1", "2021-10-05", "closed"),        # P1's second case: a case of its own
            ("c7", "P7", "2021-10-20", "open"),          # after as_of
        ],
        columns=["case_id", "person_key", "opened", "state"],
    ).assign(opened=lambda f: pd.to_datetime(f["opened"]))
    # c1, c5 and c6 (P1's second case) over 400 enrolled.
    assert dropout_rate(cases, 400, as_of) == 3 / 400
    assert dropout_rate(cases, 0, as_of) is None


# --- enrolment counts ----------------------------------------------------------------

def test_enrollment_counts_distinct_pupils_in_school():
    current = pd.DataFrame(
        [
            ("P1", "甲镇", "一小", 1, "在读"),
            ("P1", "甲镇", "一小", 1, "在读"),  # a repeated row: one pupil
            ("P2", "甲镇", "一小", 1, "在读"),
            ("P3", "甲镇", "一小", 1, "休学"),  # not 在读
            ("P4", "乙镇", "二小", 2, "在读"),
            ("P1", "乙镇", "二小", 1, "在读"),  # P1 also at 二小: counted there, once in the total
        ],
        columns=["person_key", "township", "school", "grade", "status"],
    )
    assert enrolled_count(current) == 3  # P1, P2, P4
    assert enrollment_by_school_grade(current).to_dict("records") == [
        {"township": "乙镇", "school": "二小", "grade": 1, "enrolled": 1},
        {"township": "乙镇", "school": "二小", "grade": 2, "enrolled": 1},
        {"township": "甲镇", "school": "一小", "grade": 1, "enrolled": 2},
    ]
