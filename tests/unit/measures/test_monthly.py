"""月调度: the term counted month by month (kcbx.measures.monthly), worked by hand.

Term Wed 1 Sep 2021 – Fri 14 Jan 2022; as_of Fri 15 Oct 2021 unless a test says otherwise.
"""

import datetime as dt

import pandas as pd

from kcbx.measures.cases import case_table
from kcbx.measures.monthly import (
    month_end_figure,
    monthly_cases,
    monthly_home_teaching,
    monthly_review,
    monthly_unexcused,
    term_months,
)
from kcbx.schema import columns

D = dt.date
TERM_START, TERM_END, AS_OF = D(2021, 9, 1), D(2022, 1, 14), D(2021, 10, 15)
NOTICE_DAYS = 7


def events(*rows) -> pd.DataFrame:
    """Canonical case events, in file order, from (person_key, date, event) tuples."""
    records = []
    for line, (person, date, event) in enumerate(rows, start=2):
        record = dict.fromkeys(columns("cases"))
        record.update(person_key=person, id_number=person, date=pd.Timestamp(date), event=event,
                      source_file="劝返台账.xlsx", source_sheet="Sheet1", source_row=line)
        records.append(record)
    frame = pd.DataFrame(records, columns=columns("cases"))
    return frame.astype({"date": "datetime64[ns]", "grade": "Int64", "source_row": "int64"})


# A: a spring-term case still open (上学期结转): opened in no month, open at every month end.
# B: 登记 6 Sep, 复学 20 Sep, then 转学 5 Oct: returned in September (state now transferred).
# C: 登记 10 Sep, 复学 30 Sep (the month's last day counts), 复学 again 1 Oct (written twice
#    by another teacher: a second 复学 of the same case, so October counts it too).
# D: 登记 14 Sep, still open.  E: 登记 12 Oct, 复学 20 Oct (after as_of: not counted).
# F: 登记 18 Oct, after as_of: no case yet.
LOG = events(
    ("A", "2021-03-01", "登记"),
    ("B", "2021-09-06", "登记"), ("B", "2021-09-20", "复学"), ("B", "2021-10-05", "转学"),
    ("C", "2021-09-10", "登记"), ("C", "2021-09-30", "复学"), ("C", "2021-10-01", "复学"),
    ("D", "2021-09-14", "登记"),
    ("E", "2021-10-12", "登记"), ("E", "2021-10-20", "复学"),
    ("F", "2021-10-18", "登记"),
)


def test_term_months_run_to_as_of():
    months = term_months(TERM_START, TERM_END, AS_OF)
    assert months["month"].tolist() == ["2021-09", "2021-10"]
    assert months["first_day"].dt.date.tolist() == [D(2021, 9, 1), D(2021, 10, 1)]
    # September stands at its last day, October (under way) at as_of.
    assert months["through"].dt.date.tolist() == [D(2021, 9, 30), D(2021, 10, 15)]


def test_term_months_cut_at_the_term_end():
    # as_of after the term: January ends with the term on the 14th; five months in all.
    months = term_months(TERM_START, TERM_END, D(2022, 2, 20))
    assert months["month"].tolist() == ["2021-09", "2021-10", "2021-11", "2021-12", "2022-01"]
    assert months["through"].iloc[-1].date() == D(2022, 1, 14)
    assert term_months(TERM_START, TERM_END, D(2021, 8, 30)).empty


def test_cases_opened_returned_and_still_out_per_month():
    months = term_months(TERM_START, TERM_END, AS_OF)
    counted = monthly_cases(case_table(LOG, AS_OF, NOTICE_DAYS), LOG, months, NOTICE_DAYS)
    # Opened: September B, C, D = 3; October E = 1 (A is from the spring, F after as_of).
    assert counted["opened"].tolist() == [3, 1]
    # Returned: September B (20th) and C (30th) = 2; October C's second 复学 = 1 (E's is after as_of).
    assert counted["returned"].tolist() == [2, 1]
    # Open on 30 Sep: A and D = 2 (B and C returned). On 15 Oct: A, D and E = 3.
    assert counted["open_at_end"].tolist() == [2, 3]


def test_home_teaching_per_assessed_month():
    months = term_months(TERM_START, TERM_END, D(2021, 11, 15))
    # Two children due; September and October assessed (November not ended): P compliant
    # both months, Q in September only.
    compliance = pd.DataFrame({
        "person_key": ["P", "P", "Q", "Q"], "month": ["2021-09", "2021-10", "2021-09", "2021-10"],
        "compliant": [True, True, True, False]})
    counted = monthly_home_teaching(compliance, months)
    assert counted["home_teaching_assessed"].tolist() == [2, 2, pd.NA]
    assert counted["home_teaching_compliant"].tolist() == [2, 1, pd.NA]


def test_unexcused_pupil_days_per_month():
    months = term_months(TERM_START, TERM_END, AS_OF)
    daily = pd.DataFrame({"date": pd.to_datetime(["2021-09-29", "2021-09-30", "2021-10-08", "2021-10-15"]),
                          "pupils": [2, 3, 1, 4]})
    # September 2 + 3 = 5 pupil-days; October 1 + 4 = 5.
    assert monthly_unexcused(daily, months)["unexcused_pupil_days"].tolist() == [5, 5]


def test_month_end_figure_takes_the_months_last_run():
    months = term_months(TERM_START, TERM_END, AS_OF)
    runs = pd.DataFrame({"as_of": pd.to_datetime(["2021-09-10", "2021-09-28", "2021-10-15", "2021-10-20"]),
                         "out_of_school_suspected": [9, 7, 5, 1]})
    # September: the run of the 28th (7), not the 10th. October: the 15th (5); the 20th is after as_of.
    assert month_end_figure(runs, "out_of_school_suspected", months) == [7, 5]
    # A month with no run has no figure.
    assert month_end_figure(runs.iloc[2:], "out_of_school_suspected", months) == [None, 5]


def test_monthly_review_puts_the_parts_side_by_side():
    compliance = pd.DataFrame({"person_key": ["P"], "month": ["2021-09"], "compliant": [False]})
    daily = pd.DataFrame({"date": pd.to_datetime(["2021-10-15"]), "pupils": [4]})
    review = monthly_review(case_table(LOG, AS_OF, NOTICE_DAYS), LOG, compliance, daily,
                            TERM_START, TERM_END, AS_OF, NOTICE_DAYS)
    assert review[["month", "opened", "returned", "open_at_end", "home_teaching_assessed",
                   "home_teaching_compliant", "unexcused_pupil_days"]].astype(object).values.tolist() == [
        ["2021-09", 3, 2, 2, 1, 0, 0], ["2021-10", 1, 1, 3, pd.NA, pd.NA, 4]]
