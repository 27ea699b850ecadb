"""Rates: 巩固率 (retention), the UNESCO UIS reconstructed cohort, 辍学率, enrolment counts.

Pure functions of canonical DataFrames. Rates are unrounded fractions, never
clamped (docs/metrics.md: transfers that are not netted out can push them above 1 or
below 0, and the report says so), and None where a denominator is 0 or a
needed figure is missing.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from kcbx.measures.common import as_timestamp, school_year_of
from kcbx.measures.matching import CASE_DIED, CASE_TRANSFERRED, ENROLLED_STATUS

__all__ = [
    "GRADES",
    "retention_rate",
    "retention_by_cohort",
    "cohort",
    "in_year_dropouts",
    "dropout_rate",
    "enrollment_by_school_grade",
    "enrolled_count",
]

GRADES = tuple(range(1, 10))
FIRST_GRADE, FINAL_GRADE = GRADES[0], GRADES[-1]
COUNT_COLUMNS = ["enrolled", "repeaters", "graduates"]


def _totals_by_year_and_grade(enrollment: pd.DataFrame) -> pd.DataFrame:
    """在校生数, 留级生数, 毕业生数 summed per (school_year, grade) over the rows given.

    A sum that includes a NULL cell is NULL: an unreported 留级生数 or 毕业生数
    is unknown, not zero, so a rate built on it is null rather than silently
    too high or too low.
    """
    keys = ["school_year", "grade"]
    counts = enrollment[keys + COUNT_COLUMNS].astype(dict.fromkeys(COUNT_COLUMNS, "Float64"))
    totals = counts.groupby(keys)[COUNT_COLUMNS].sum()
    has_null = counts[COUNT_COLUMNS].isna().groupby([counts[k] for k in keys]).any()
    return totals.mask(has_null)


def _total(totals: pd.DataFrame, column: str, school_year: int, grade: int) -> float | None:
    """One summed figure; None when no row gives it or a row left it blank."""
    key = (school_year, grade)
    if key not in totals.index:
        return None
    value = totals.at[key, column]
    return None if pd.isna(value) else float(value)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _cohort_retention(totals: pd.DataFrame, school_year: int, grade: int) -> dict:
    """巩固率 of the cohort in ``grade`` in school_year: its 在校生数 now over the grade-1
    在校生数 of its intake year, school_year − (grade − 1); never capped, flagged above 1."""
    grade1_year = school_year - (grade - FIRST_GRADE)
    enrolled = _total(totals, "enrolled", school_year, grade)
    grade1 = _total(totals, "enrolled", grade1_year, FIRST_GRADE)
    rate = _ratio(enrolled, grade1)
    return {
        "grade": grade,
        "rate": rate,
        "flag": None if rate is None else rate > 1,
        "enrolled": None if enrolled is None else int(enrolled),
        "grade1": None if grade1 is None else int(grade1),
        "grade1_year": grade1_year,
    }


def retention_rate(enrollment: pd.DataFrame, school_year: int) -> dict:
    """巩固率 of one school year, from the enrollment ledger rows given (the caller picks the township).

    As docs/metrics.md defines it: grade-9 在校生数 of the current school year / grade-1
    在校生数 eight school years earlier (grade 1 in 2013 for grade 9 in 2021); null
    where either row is missing; flag true where retention_rate > 1 (transfers in
    not netted out): shown, never capped. It is the grade-9 cohort of ``retention_by_cohort``.

    Returns {rate, flag, grade9, grade1, grade1_year}: grade9 and grade1 are the
    summed counts (int, None when no row), rate None also when grade1 is 0.
    """
    final = _cohort_retention(_totals_by_year_and_grade(enrollment), school_year, FINAL_GRADE)
    return {"rate": final["rate"], "flag": final["flag"], "grade9": final["enrolled"],
            "grade1": final["grade1"], "grade1_year": final["grade1_year"]}


def retention_by_cohort(enrollment: pd.DataFrame, school_year: int) -> dict[str, dict]:
    """巩固率 of every cohort past its intake year, by the grade it is in: retention_rate's
    definition applied to grades 2–9 (grade g's 在校生数 of school_year over the grade-1
    在校生数 of school_year − (g − 1)); grade "9" is retention_rate itself.

    Returns {"2": {grade, rate, flag, enrolled, grade1, grade1_year}, …, "9": …}: enrolled
    and grade1 the summed counts (None when no row gives them), rate None when either is
    missing or grade1 is 0, flag true above 1 (None when rate is).
    """
    totals = _totals_by_year_and_grade(enrollment)
    return {str(grade): _cohort_retention(totals, school_year, grade) for grade in GRADES[1:]}


def cohort(enrollment: pd.DataFrame, school_year: int) -> dict:
    """UNESCO UIS reconstructed cohort between t = school_year − 1 and t+1 = school_year.

    As docs/metrics.md defines it (`cohort`), with E 在校生数, R 留级生数, G 毕业生数 (on the row of 学年 t):
    p_g = (E_{g+1,t+1} − R_{g+1,t+1}) / E_{g,t} for g < 9, p_9 = G_{9,t} / E_{9,t};
    r_g = R_{g,t+1} / E_{g,t}; d_g = 1 − p_g − r_g;
    survival_to_grade_9 = Π_{g=1..8} p_g / (1 − r_g);
    a grade with E_{g,t} = 0 has null rates, and survival is then null.

    Nulls: a grade with E_{g,t} 0 or absent has all three rates null. A rate
    whose R or G is absent (no row) or blank (NULL in any row summed) is null,
    and so is d_g. Survival is null when any p_g or r_g of grades 1–8 is null
    or some r_g is 1 (a grade everyone repeats: the cohort never gets through).

    Returns {"promotion": {"1": …, "9": …}, "repetition": {…}, "dropout": {…},
    "survival_to_grade_9": …} with string keys and None for nulls.
    """
    t, t_next = school_year - 1, school_year
    totals = _totals_by_year_and_grade(enrollment)
    promotion: dict[str, float | None] = {}
    repetition: dict[str, float | None] = {}
    dropout: dict[str, float | None] = {}
    for grade in GRADES:
        enrolled = _total(totals, "enrolled", t, grade)
        if grade < FINAL_GRADE:
            next_enrolled = _total(totals, "enrolled", t_next, grade + 1)
            next_repeaters = _total(totals, "repeaters", t_next, grade + 1)
            promoted = (
                None if next_enrolled is None or next_repeaters is None
                else next_enrolled - next_repeaters
            )
        else:
            promoted = _total(totals, "graduates", t, FINAL_GRADE)
        p = _ratio(promoted, enrolled)
        r = _ratio(_total(totals, "repeaters", t_next, grade), enrolled)
        promotion[str(grade)] = p
        repetition[str(grade)] = r
        dropout[str(grade)] = None if p is None or r is None else 1 - p - r

    return {
        "promotion": promotion,
        "repetition": repetition,
        "dropout": dropout,
        "survival_to_grade_9": _survival_to_final_grade(promotion, repetition),
    }


def _survival_to_final_grade(
    promotion: dict[str, float | None], repetition: dict[str, float | None]
) -> float | None:
    """Π_{g=1..8} p_g / (1 − r_g): repeaters try again, as often as it takes."""
    factors = []
    for grade in GRADES[:-1]:
        p, r = promotion[str(grade)], repetition[str(grade)]
        if p is None or r is None or r == 1:
            return None
        factors.append(p / (1 - r))
    return math.prod(factors)


def in_year_dropouts(cases: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Cases counted by dropout_rate: opened from 1 September of the current school
    year up to as_of, in a state on as_of other than transferred or died."""
    opened = pd.to_datetime(cases["opened"])
    year_start = pd.Timestamp(school_year_of(as_of), 9, 1)
    in_year = (opened >= year_start) & (opened <= as_timestamp(as_of))
    still_dropout = ~cases["state"].isin([CASE_TRANSFERRED, CASE_DIED])
    return cases[in_year & still_dropout]


def dropout_rate(cases: pd.DataFrame, enrolled: int, as_of: dt.date) -> float | None:
    """辍学率, an in-year reading (not the year-end statistic).

    As docs/metrics.md defines it: cases opened in the current school year (from
    1 September) whose state on as_of is neither transferred nor died, over enrolled.
    Counted as cases, as defined: a child whose second case of the
    year is opened after a return counts twice. None when enrolled is 0.

    cases: one row per case with person_key, opened (date), state on as_of.
    """
    if not enrolled:
        return None
    return len(in_year_dropouts(cases, as_of)) / enrolled


def _enrolled_rows(current: pd.DataFrame) -> pd.DataFrame:
    return current[current["status"] == ENROLLED_STATUS]


def enrollment_by_school_grade(current: pd.DataFrame) -> pd.DataFrame:
    """Distinct 在读 pupils of the current roster given, by township, school and grade.

    Returns columns township, school, grade, enrolled (int), sorted by them.
    """
    counts = (
        _enrolled_rows(current)
        .groupby(["township", "school", "grade"], sort=True)["person_key"]
        .nunique()
        .rename("enrolled")
        .reset_index()
    )
    return counts.astype({"enrolled": "int64"})


def enrolled_count(current: pd.DataFrame) -> int:
    """metrics.json's 'enrolled': distinct pupils with a 在读 row of the current roster given."""
    return int(_enrolled_rows(current)["person_key"].nunique())
