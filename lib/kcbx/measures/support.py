"""Support for children at risk: 送教上门 (home teaching), 资助 (subsidies), 小升初 hand-over.

Pure functions of canonical DataFrames and parameters; the figures are those of
docs/metrics.md, the rules' numbers params keys (docs/params.md).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kcbx.measures.common import FINDING_COLUMNS, findings_of, is_in, roster_of_year, school_year_of
from kcbx.measures.matching import (
    ENROLLED_STATUS,
    REASON_SEPARATOR,
    absence_explanation,
    first_row_per_person,
    in_file_order,
    in_school_keys,
    settled_case_keys,
)
from kcbx.params import SubsidyStandards
from kcbx.schema import PROVENANCE

__all__ = [
    "HOME_TEACHING",
    "LIVING_ALLOWANCE",
    "home_teaching_due",
    "assessed_months",
    "distinct_visits",
    "home_teaching_compliance",
    "home_teaching_summary",
    "teacher_workload",
    "term_label",
    "school_level",
    "subsidy_check",
    "subsidy_not_due",
    "subsidy_exception",
    "SUBSIDY_EXCEPTIONS",
    "subsidy_reversal_findings",
    "transition_missing",
]

HOME_TEACHING = "送教上门"
# 项目 of the payments the subsidy standard is about; counties write it
# "生活补助" or in full ("家庭经济困难寄宿生生活补助"), so it is matched as a substring.
LIVING_ALLOWANCE = "生活补助"
LAST_PRIMARY_GRADE = 6
TRANSITION_GRADE = 6


# --- 送教上门 ---------------------------------------------------------------

def home_teaching_due(disability: pd.DataFrame) -> pd.DataFrame:
    """metrics.json's home_teaching_due: children in disability with 安置方式 送教上门.

    One row per child (the first 送教上门 row in file order decides the
    township): person_key, id_number, student_no, name, township,
    disability_type, disability_level.
    """
    placed_at_home = disability[disability["placement"] == HOME_TEACHING]
    columns = ["person_key", "id_number", "student_no", "name", "township",
               "disability_type", "disability_level"]
    return first_row_per_person(placed_at_home)[columns].reset_index(drop=True)


def assessed_months(term_start: dt.date, term_end: dt.date, as_of: dt.date) -> list[pd.Period]:
    """Calendar months lying wholly inside the term whose last day is on or before as_of.

    Term 2021-09-01..2022-01-14: September to December 2021 (January is cut short);
    as_of 2021-10-15 leaves September only.
    """
    last_counted_day = pd.Timestamp(min(term_end, as_of))
    return [
        month
        for month in pd.period_range(term_start, term_end, freq="M")
        if month.start_time >= pd.Timestamp(term_start)
        and month.end_time.normalize() <= last_counted_day
    ]


def distinct_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """Home-teaching visits with exact duplicate rows counted once (docs/ledgers.md).

    Rows are duplicates when every column but the provenance is equal.
    """
    content = [column for column in visits.columns if column not in PROVENANCE]
    return visits.drop_duplicates(subset=content, keep="first")


def home_teaching_compliance(
    due: pd.DataFrame,
    visits: pd.DataFrame,
    term_start: dt.date,
    term_end: dt.date,
    as_of: dt.date,
    visits_per_month: float = 2,
    hours_per_visit: float = 3,
) -> pd.DataFrame:
    """Each due child's visits in each assessed month, against the 送教上门 rule.

    metrics.json's home_teaching_compliant (docs/metrics.md): at least 2 visits and 6 class
    hours in every calendar month that lies wholly inside the term and whose last day is
    on or before as_of (2 = visits_per_month, 6 = visits_per_month × hours_per_visit).

    Returns one row per child × assessed month (none before a month has ended):
    person_key, name, township, month ("2021-09"), visits (int), hours (float),
    compliant (bool), and hours_year_to_date (float): the class hours of the school year
    (from 1 September) up to the month's end, against the yearly target (a spring
    month carries the autumn term's hours).
    """
    months = assessed_months(term_start, term_end, as_of)
    hours_needed = visits_per_month * hours_per_visit

    counted = distinct_visits(visits)
    counted = counted[is_in(counted["person_key"], due["person_key"])]
    counted = counted.assign(month=counted["date"].dt.to_period("M"))
    year_start = pd.Timestamp(school_year_of(as_of), 9, 1)
    this_year = counted[counted["date"] >= year_start]
    counted = counted[counted["month"].isin(months)]
    per_month = counted.groupby(["person_key", "month"]).agg(
        visits=("date", "size"), hours=("hours", "sum")
    )
    # Every due child gets every assessed month, with 0 visits where none was made.
    grid = pd.MultiIndex.from_product([due["person_key"], months], names=["person_key", "month"])
    table = per_month.reindex(grid, fill_value=0).reset_index()
    table = table.astype({"visits": "int64", "hours": "float64"})
    table["compliant"] = (table["visits"] >= visits_per_month) & (table["hours"] >= hours_needed)
    table["hours_year_to_date"] = _hours_year_to_date(this_year, table, year_start.to_period("M"))
    table["month"] = table["month"].astype(str)
    child_details = due[["person_key", "name", "township"]]
    return child_details.merge(table, on="person_key", how="inner")[
        ["person_key", "name", "township", "month", "visits", "hours", "compliant", "hours_year_to_date"]
    ]


def _hours_year_to_date(visits_this_year: pd.DataFrame, table: pd.DataFrame,
                        september: pd.Period) -> pd.Series:
    """For each (person_key, month) row of table: the visits' hours from September to that month."""
    if table.empty:
        return pd.Series(dtype="float64", index=table.index)
    months = pd.period_range(september, table["month"].max(), freq="M")
    grid = pd.MultiIndex.from_product([table["person_key"].unique(), months], names=["person_key", "month"])
    monthly = visits_this_year.groupby(["person_key", "month"])["hours"].sum().astype("float64")
    running = monthly.reindex(grid, fill_value=0.0).groupby(level="person_key").cumsum()
    rows = pd.MultiIndex.from_frame(table[["person_key", "month"]])
    return pd.Series(running.reindex(rows).to_numpy(dtype="float64"), index=table.index)


def home_teaching_summary(
    due: pd.DataFrame, compliance: pd.DataFrame, funding_per_year: float = 6000
) -> dict:
    """metrics.json's home_teaching_due and home_teaching_compliant, plus the funding due.

    compliant: due children compliant in every assessed month — all of them
    while no month has been assessed.
    Returns {due, compliant, not_compliant, months_assessed (list of "YYYY-MM"),
    funding_due (due × funding_per_year, yuan a year)}.
    """
    due_keys = set(due["person_key"])
    failed_a_month = set(compliance.loc[~compliance["compliant"], "person_key"]) & due_keys
    return {
        "due": len(due_keys),
        "compliant": len(due_keys) - len(failed_a_month),
        "not_compliant": len(failed_a_month),
        "months_assessed": sorted(set(compliance["month"])),
        "funding_due": float(len(due_keys) * funding_per_year),
    }


def teacher_workload(visits: pd.DataFrame, workload_hours_per_visit: float = 4,
                     start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Per 送教教师: visits, children visited, class hours taught, workload hours.

    Each visit counts 4 class hours of teacher workload (params
    home_teaching.workload_hours_per_visit, docs/params.md). Duplicate visit rows count once;
    only the visits dated from ``start`` to ``end`` count (both days in; None: no bound), so the
    workload covers the period the 送教上门 sheet does (term start to as_of). Visits with no
    teacher form one row with teacher <NA>. Columns: teacher, visits, children, class_hours,
    workload_hours.
    """
    dates = visits["date"]
    in_period = pd.Series(True, index=visits.index)
    if start is not None:
        in_period &= dates >= pd.Timestamp(start)
    if end is not None:
        in_period &= dates <= pd.Timestamp(end)
    per_teacher = (
        distinct_visits(visits[in_period])
        .groupby("teacher", dropna=False, sort=True)
        .agg(visits=("date", "size"), children=("person_key", "nunique"),
             class_hours=("hours", "sum"))
        .reset_index()
    )
    per_teacher["workload_hours"] = per_teacher["visits"] * workload_hours_per_visit
    return per_teacher.astype({"visits": "int64", "children": "int64", "class_hours": "float64",
                               "workload_hours": "float64"})


# --- 资助 -------------------------------------------------------------------

def term_label(as_of: dt.date) -> str:
    """学期 label of the term containing as_of: "2021秋" for September 2021 – January 2022,
    "2022春" for February – August 2022."""
    school_year = school_year_of(as_of)
    return f"{school_year}秋" if as_of.month >= 9 or as_of.month == 1 else f"{school_year + 1}春"


def school_level(grade: pd.Series) -> pd.Series:
    """'primary' for grades 1–6, 'junior' for 7–9 (the levels of params.subsidy)."""
    return grade.astype("Int64").gt(LAST_PRIMARY_GRADE).map({False: "primary", True: "junior"})


def _living_allowance_of_term(payments: pd.DataFrame, term: str) -> tuple[pd.Series, pd.Series]:
    """生活补助 payments of ``term`` by person_key: (their sum, negative amounts 冲正 included;
    the yuan reversed by 冲正, ≥ 0)."""
    is_living_allowance = payments["item"].astype("string").str.contains(LIVING_ALLOWANCE, regex=False, na=False)
    rows = payments[(payments["term"] == term) & is_living_allowance]
    net = rows.groupby("person_key")["amount"].sum()
    reversed_per_pupil = -rows["amount"].clip(upper=0.0).groupby(rows["person_key"]).sum()
    return net, reversed_per_pupil


def subsidy_check(
    current: pd.DataFrame,
    poverty: pd.DataFrame,
    payments: pd.DataFrame,
    as_of: dt.date,
    standards: SubsidyStandards,
) -> pd.DataFrame:
    """应助尽助: each eligible pupil's 生活补助 of the term containing as_of, against half the yearly standard.

    As docs/metrics.md defines them: subsidy_eligible, 在读 pupils in poverty; subsidy_short,
    eligible pupils whose 生活补助 payments for the term containing as_of add up to
    strictly less than half the yearly standard for their boarding status and
    level (grades 1–6 primary, 7–9 junior). Payments are summed, never merged:
    two equal instalments are two payments. A negative amount (冲正) reverses an earlier
    payment of the same pupil and term: it is subtracted before 少发 is computed, and what
    is left paid is never below 0 (``subsidy_reversal_findings`` lists a reversal with
    less paid before it).

    standards: params.subsidy, SubsidyStandards(boarding=YuanByLevel(primary=1000, junior=1250), day=…).
    A pupil on two schools' current rosters gets one row, from their first 在读
    row in file order (the duplicate is reported by duplicate_enrollments); pass
    a township's roster rows to get that township's pupils.

    Returns one row per eligible pupil: person_key, id_number, name, township,
    school, grade, level, boarding, category (poverty 类别), term, due, paid (net of
    reversals), reversed (yuan reversed, ≥ 0), short (bool), missing (yuan still owed, 0 when
    paid in full).
    """
    term = term_label(as_of)
    poor = first_row_per_person(poverty).set_index("person_key")["category"]
    enrolled = current[(current["status"] == ENROLLED_STATUS) & is_in(current["person_key"], poor.index)]
    pupils = first_row_per_person(enrolled).reset_index(drop=True)

    level = school_level(pupils["grade"])
    boarding = pupils["boarding"].fillna(False).astype(bool)
    due = [standards.yearly(b, lv) / 2 for b, lv in zip(boarding, level)]

    net, reversed_per_pupil = _living_allowance_of_term(payments, term)
    paid_per_pupil = net.clip(lower=0.0)

    checked = pupils[["person_key", "id_number", "name", "township", "school", "grade"]].assign(
        level=level.astype(object),
        boarding=boarding,
        category=pupils["person_key"].map(poor),
        term=term,
        due=pd.Series(due, index=pupils.index, dtype="float64"),
        paid=pupils["person_key"].map(paid_per_pupil).fillna(0.0).astype("float64"),
        reversed=pupils["person_key"].map(reversed_per_pupil).fillna(0.0).astype("float64"),
    )
    return checked.assign(
        short=checked["paid"] < checked["due"],
        missing=(checked["due"] - checked["paid"]).clip(lower=0.0),
    )


# 资助核对's exceptions, the rows the county's forms list (issue 27): nothing paid, short but
# something paid, more than due, paid though not eligible.
NOT_PAID, UNDERPAID, OVERPAID, NOT_DUE = "未发", "少发", "多发", "不应发"
SUBSIDY_EXCEPTIONS = (UNDERPAID, NOT_PAID, OVERPAID, NOT_DUE)
NOT_ENROLLED = "学籍状态"           # 不应发 because no current row is 在读: "学籍状态 休学"
NOT_IN_POVERTY = "不在脱贫户名单内"  # 不应发 because the poverty register does not list the pupil


def subsidy_exception(checked: pd.DataFrame) -> pd.Series:
    """Each eligible pupil's exception (rows of ``subsidy_check``): 未发, short with nothing paid
    (net of 冲正); 少发, short with something paid; 多发, paid more than due (by 1 分 or more);
    None when paid exactly what is due. 未发 + 少发 are subsidy_short.
    """
    paid, due, short = checked["paid"], checked["due"], checked["short"].astype(bool)
    exception = np.select([short & (paid <= 0), short, paid.round(2) > due.round(2)],
                          [NOT_PAID, UNDERPAID, OVERPAID], default=None)
    return pd.Series(exception, index=checked.index, dtype=object)


def subsidy_not_due(
    current: pd.DataFrame, poverty: pd.DataFrame, payments: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """不应发: pupils of the current roster paid 生活补助 for the term containing as_of (net of
    冲正, more than 0) who are not eligible: no current row 在读, or not in the poverty register.

    Pass the county's whole current roster: a pupil 在读 in one township is eligible there
    whatever their rows elsewhere say. Each pupil's row is their first 在读 row in file order,
    else their first row (its township is the township the pupil belongs to). Payments to
    people on no current roster are not attributed to any pupil, and not listed.

    Returns one row per pupil with subsidy_check's columns (due 0, short False, missing 0;
    category the pupil's 类别 when the register lists them), plus status (学籍状态 of the row)
    and reason: "学籍状态 休学", NOT_IN_POVERTY, or both joined with "；".
    """
    term = term_label(as_of)
    net, reversed_per_pupil = _living_allowance_of_term(payments, term)
    poor = first_row_per_person(poverty).set_index("person_key")["category"]
    enrolled = current["status"] == ENROLLED_STATUS
    eligible = set(current.loc[enrolled & is_in(current["person_key"], poor.index), "person_key"])
    paid_keys = set(net.index[net > 0]) - eligible
    candidates = current[is_in(current["person_key"], paid_keys)]
    in_school = candidates["status"] == ENROLLED_STATUS
    # Their 在读 row first, else their first row of any status; then in file order again.
    pupils = in_file_order(pd.concat([first_row_per_person(candidates[in_school]), first_row_per_person(candidates)])
                           .drop_duplicates("person_key", keep="first")).reset_index(drop=True)

    not_enrolled = ~is_in(pupils["person_key"], set(candidates.loc[in_school, "person_key"]))
    not_poor = ~is_in(pupils["person_key"], poor.index)
    reasons = [REASON_SEPARATOR.join(text for holds, text in (
        (off_roll, f"{NOT_ENROLLED} {status}"), (outside, NOT_IN_POVERTY)) if holds)
        for off_roll, outside, status in zip(not_enrolled, not_poor, pupils["status"])]
    level = school_level(pupils["grade"])
    return pupils[["person_key", "id_number", "name", "township", "school", "grade"]].assign(
        level=level.astype(object),
        boarding=pupils["boarding"].fillna(False).astype(bool),
        category=pupils["person_key"].map(poor),
        term=term,
        due=0.0,
        paid=pupils["person_key"].map(net).astype("float64"),
        reversed=pupils["person_key"].map(reversed_per_pupil).fillna(0.0).astype("float64"),
        short=False,
        missing=0.0,
        status=pupils["status"],
        reason=pd.Series(reasons, index=pupils.index, dtype=object),
    )


REVERSAL_UNMATCHED = "冲正金额超过此前已发金额"


def subsidy_reversal_findings(payments: pd.DataFrame) -> pd.DataFrame:
    """Reversals (冲正, a negative amount) with less paid before them, in file order, to the same
    pupil, term and 项目: nothing there to reverse. Data-quality findings (FINDING_COLUMNS, kind
    "subsidy"): the row is kept, and ``subsidy_check`` never lets a pupil's payments net below 0.
    """
    ordered = in_file_order(payments)
    amount = pd.to_numeric(ordered["amount"], errors="coerce").astype("float64")
    item = ordered["item"].astype("string").fillna("")
    # The balance of the pupil's payments of that term and 项目 after each row, in file order.
    balance = amount.groupby([ordered["person_key"], ordered["term"], item], dropna=False).cumsum()
    unmatched = ordered[(amount < 0) & (balance < 0)]
    if unmatched.empty:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    reversed_amount = -amount[unmatched.index]
    paid_before = balance[unmatched.index] + reversed_amount
    detail = ("冲正 " + reversed_amount.map(_plain_yuan) + " 元，此前同一学期同一项目已发 "
              + paid_before.map(_plain_yuan) + " 元")
    return findings_of(unmatched, "subsidy", REVERSAL_UNMATCHED, detail)


def _plain_yuan(amount: float) -> str:
    return f"{amount:g}"


# --- 小升初 -----------------------------------------------------------------

def transition_missing(
    roster: pd.DataFrame, as_of: dt.date, case_states: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    """小升初 hand-over: last year's grade-6 pupils not found at school this year.

    metrics.json's transition_missing (docs/metrics.md): pupils in grade 6 (any status) of
    the previous school year's roster who have no current 在读 or 休学 roster row and no case
    whose state on as_of is other than open; null when the roster ledger has no
    row of the previous school year at all.

    Pass the county's whole roster (a pupil may go on to a junior school in
    another township) and case states; filter the result by township.
    Returns None when no roster row is of the previous school year, else one
    row per pupil from their previous-year
    grade-6 row (first in file order; the figure belongs to that row's
    township): person_key, id_number, student_no, name, gender, township,
    school, class_name, status (last year's), has_open_case, reason.
    """
    current_year = school_year_of(as_of)
    previous = roster_of_year(roster, current_year - 1, current_year)
    if previous.empty:
        return None
    finished_grade_6 = first_row_per_person(previous[previous["grade"] == TRANSITION_GRADE])
    accounted_for = in_school_keys(roster, as_of) | settled_case_keys(case_states)
    missing = finished_grade_6[~is_in(finished_grade_6["person_key"], accounted_for)]
    columns = ["person_key", "id_number", "student_no", "name", "gender", "township",
               "school", "class_name", "status"]
    missing = missing[columns].reset_index(drop=True)
    return missing.join(absence_explanation(missing["person_key"], roster, as_of, case_states))
