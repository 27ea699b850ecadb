"""送教上门, 资助 and 小升初, worked by hand."""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.measures.support import (
    assessed_months,
    home_teaching_compliance,
    home_teaching_due,
    home_teaching_summary,
    subsidy_check,
    subsidy_reversal_findings,
    teacher_workload,
    term_label,
    transition_missing,
)
from kcbx.params import DEFAULT_SUBSIDY
from support.builders import table

TERM_START, TERM_END = dt.date(2021, 9, 1), dt.date(2022, 1, 14)
AS_OF = dt.date(2021, 10, 15)




def visit(key: str, day: str, hours: float, teacher: str = "王老师") -> dict:
    return {"person_key": key, "date": day, "hours": hours, "teacher": teacher}


# --- 送教上门 --------------------------------------------------------------------

def test_home_teaching_due_from_the_disability_register():
    disability = table("disability", [
        {"person_key": "D1", "township": "甲镇", "placement": "送教上门"},
        {"person_key": "D2", "township": "甲镇", "placement": "随班就读"},
        {"person_key": "D3", "township": "乙镇", "placement": "送教上门", "source_file": "b.xlsx"},
        {"person_key": "D3", "township": "甲镇", "placement": "送教上门", "source_file": "a.xlsx"},
        {"person_key": "D4", "township": "甲镇", "placement": None},
    ])
    due = home_teaching_due(disability)
    # D1 and D3 (once; a.xlsx comes first in file order, so 甲镇).
    assert due[["person_key", "township"]].values.tolist() == [["D3", "甲镇"], ["D1", "甲镇"]]


def test_assessed_months():
    # Sep–Dec 2021 lie wholly inside the term; January 2022 is cut short by the term end.
    assert [str(m) for m in assessed_months(TERM_START, TERM_END, dt.date(2022, 1, 20))] == [
        "2021-09", "2021-10", "2021-11", "2021-12",
    ]
    assert [str(m) for m in assessed_months(TERM_START, TERM_END, AS_OF)] == ["2021-09"]
    assert [str(m) for m in assessed_months(TERM_START, TERM_END, dt.date(2021, 9, 30))] == ["2021-09"]
    assert assessed_months(TERM_START, TERM_END, dt.date(2021, 9, 20)) == []
    # A term starting on 3 September: September is not wholly inside.
    assert [str(m) for m in assessed_months(dt.date(2021, 9, 3), TERM_END, dt.date(2021, 10, 31))] == ["2021-10"]


DUE = pd.DataFrame({"person_key": ["H1", "H2", "H3", "H4"], "name": ["甲", "乙", "丙", "丁"],
                    "township": ["甲镇"] * 4})
VISITS = table("home_teaching", [
    visit("H1", "2021-09-10", 3), visit("H1", "2021-09-24", 3),   # 2 visits, 6 h: compliant
    visit("H1", "2021-10-08", 3),                                 # October: not yet assessed
    visit("H2", "2021-09-10", 3), visit("H2", "2021-09-10", 3),   # an exact duplicate: 1 visit, 3 h
    visit("H3", "2021-09-03", 2), visit("H3", "2021-09-13", 2), visit("H3", "2021-09-27", 2),  # 3 visits, 6 h
    visit("H4", "2021-09-06", 2.5), visit("H4", "2021-09-20", 2.5),  # 2 visits, 5 h: too few hours
    visit("X9", "2021-09-06", 3),                                  # not due: ignored
])


def test_home_teaching_compliance_in_september():
    compliance = home_teaching_compliance(DUE, VISITS, TERM_START, TERM_END, AS_OF)
    assert compliance[["person_key", "month", "visits", "hours", "compliant"]].values.tolist() == [
        ["H1", "2021-09", 2, 6.0, True],
        ["H2", "2021-09", 1, 3.0, False],
        ["H3", "2021-09", 3, 6.0, True],
        ["H4", "2021-09", 2, 5.0, False],
    ]
    # 4 due, H1 and H3 compliant; funding 4 × 6,000 yuan.
    assert home_teaching_summary(DUE, compliance) == {
        "due": 4, "compliant": 2, "not_compliant": 2, "months_assessed": ["2021-09"], "funding_due": 24000,
    }


def test_before_any_month_ends_every_child_is_compliant():
    compliance = home_teaching_compliance(DUE, VISITS, TERM_START, TERM_END, dt.date(2021, 9, 20))
    assert compliance.empty
    assert home_teaching_summary(DUE, compliance)["compliant"] == 4


def test_a_child_never_visited_fails_every_month():
    due = DUE.iloc[:1].assign(person_key="H9")
    compliance = home_teaching_compliance(due, VISITS, TERM_START, TERM_END, dt.date(2021, 11, 30))
    # September, October, November: 0 visits each.
    assert compliance[["month", "visits", "compliant"]].values.tolist() == [
        ["2021-09", 0, False], ["2021-10", 0, False], ["2021-11", 0, False],
    ]


@settings(max_examples=30, deadline=None)
@given(st.lists(
    st.tuples(st.sampled_from(["H1", "H2", "H3"]), st.integers(0, 121), st.sampled_from([1.0, 2.0, 3.0, 4.0])),
    max_size=25,
))
def test_compliance_matches_a_per_child_loop(raw_visits):
    days = [dt.date(2021, 9, 1) + dt.timedelta(days=offset) for _, offset, _ in raw_visits]
    visits = table("home_teaching", [visit(k, d.isoformat(), h) for (k, _, h), d in zip(raw_visits, days)])
    as_of = dt.date(2021, 12, 15)  # September, October, November assessed
    compliance = home_teaching_compliance(DUE.iloc[:3], visits, TERM_START, TERM_END, as_of)

    expected = []
    for key in ["H1", "H2", "H3"]:
        for year, month in [(2021, 9), (2021, 10), (2021, 11)]:
            distinct = {(k, d, h) for (k, _, h), d in zip(raw_visits, days)
                        if k == key and (d.year, d.month) == (year, month)}
            hours = sum(h for _, _, h in distinct)
            year_to_date = sum(h for _, _, h in {(k, d, h) for (k, _, h), d in zip(raw_visits, days)
                                                 if k == key and (d.year, d.month) <= (year, month)})
            expected.append([key, f"{year}-{month:02d}", len(distinct), hours,
                             len(distinct) >= 2 and hours >= 6, year_to_date])
    assert compliance[["person_key", "month", "visits", "hours", "compliant",
                       "hours_year_to_date"]].values.tolist() == expected


def test_a_spring_month_carries_the_autumn_terms_hours():
    # School year 2021: autumn visits 10 Sep (3 h) and 20 Dec (3 h), last school year's
    # 1 Jun 2021 (3 h, not this year's). Spring term from Mon 14 Feb 2022: February is cut
    # short, March is assessed by 15 Apr; a visit on 20 Feb (2 h) and two in March (3 h each).
    visits = table("home_teaching", [
        visit("H1", "2021-06-01", 3), visit("H1", "2021-09-10", 3), visit("H1", "2021-12-20", 3),
        visit("H1", "2022-02-20", 2), visit("H1", "2022-03-07", 3), visit("H1", "2022-03-21", 3)])
    compliance = home_teaching_compliance(DUE.iloc[:1], visits, dt.date(2022, 2, 14), dt.date(2022, 7, 8),
                                          dt.date(2022, 4, 15))
    # March: 6 h in the month; 3 + 3 + 2 + 6 = 14 h since 1 September 2021.
    assert compliance[["month", "hours", "hours_year_to_date"]].values.tolist() == [["2022-03", 6.0, 14.0]]


def test_teacher_workload():
    visits = table("home_teaching", [
        visit("H1", "2021-09-10", 3, "王老师"), visit("H1", "2021-09-10", 3, "王老师"),  # duplicate
        visit("H1", "2021-09-24", 3, "王老师"), visit("H2", "2021-09-11", 2, "王老师"),
        visit("H3", "2021-09-12", 3, "李老师"),
    ])
    # 王: 3 visits (the duplicate once), 2 children, 3 + 3 + 2 = 8 class hours, 3 × 4 = 12 workload hours.
    # 李: 1 visit, 3 class hours, 4 workload hours. Sorted by teacher: 李 (U+674E) before 王 (U+738B).
    assert teacher_workload(visits).values.tolist() == [
        ["李老师", 1, 1, 3.0, 4], ["王老师", 3, 2, 8.0, 12],
    ]
    # The period 11–24 September, both days in: 王's 10 Sep visit falls out → 2 visits (11, 24
    # Sep), 2 children, 3 + 2 = 5 class hours, 8 workload hours; 李's 12 Sep visit stays.
    assert teacher_workload(visits, start=dt.date(2021, 9, 11), end=dt.date(2021, 9, 24)).values.tolist() == [
        ["李老师", 1, 1, 3.0, 4], ["王老师", 2, 2, 5.0, 8],
    ]


# --- 资助 ---------------------------------------------------------------------------

def test_term_label():
    assert term_label(dt.date(2021, 9, 1)) == "2021秋"
    assert term_label(dt.date(2022, 1, 10)) == "2021秋"  # January: still the autumn term
    assert term_label(dt.date(2022, 2, 1)) == "2022春"
    assert term_label(dt.date(2022, 8, 31)) == "2022春"


def test_subsidy_check():
    def pupil(key, grade, boarding, status="在读", school="一校", **extra):
        return {"person_key": key, "school_year": 2021, "grade": grade, "boarding": boarding,
                "status": status, "school": school, "township": "甲镇", **extra}

    current = table("roster", [
        pupil("S1", 8, True),            # boarding junior: due 1250 / 2 = 625
        pupil("S2", 3, False),           # day primary: due 500 / 2 = 250
        pupil("S3", 5, True),            # boarding primary: due 1000 / 2 = 500
        pupil("S4", 7, False),           # day junior: due 625 / 2 = 312.5
        pupil("S5", 4, False),           # not in poverty: not eligible
        pupil("S6", 4, False, "休学"),    # 休学: not eligible
        pupil("S7", 2, False, school="一校"),  # on two rosters: one row, from 一校 (first in file order)
        pupil("S7", 2, True, school="二校"),
    ])
    poverty = table("poverty", [{"person_key": k, "category": "脱贫户"}
                                for k in ["S1", "S2", "S3", "S4", "S6", "S7"]])
    payments = table("subsidy", [
        {"person_key": "S1", "term": "2021秋", "item": "生活补助", "amount": 312.5},
        {"person_key": "S1", "term": "2021秋", "item": "生活补助", "amount": 312.5},  # 2nd instalment: real
        {"person_key": "S2", "term": "2021秋", "item": "生活补助", "amount": 200.0},
        {"person_key": "S3", "term": "2021春", "item": "生活补助", "amount": 500.0},  # another term
        {"person_key": "S3", "term": "2021秋", "item": "营养改善", "amount": 300.0},  # another item
        {"person_key": "S4", "term": "2021秋", "item": "家庭经济困难寄宿生生活补助", "amount": 312.5},
        {"person_key": "S7", "term": "2021秋", "item": "生活补助", "amount": 250.0},
    ])
    checked = subsidy_check(current, poverty, payments, AS_OF, DEFAULT_SUBSIDY)
    assert checked[["person_key", "level", "term", "due", "paid", "short", "missing"]].values.tolist() == [
        ["S1", "junior", "2021秋", 625.0, 625.0, False, 0.0],   # 312.5 + 312.5 = 625
        ["S2", "primary", "2021秋", 250.0, 200.0, True, 50.0],  # short by 50
        ["S3", "primary", "2021秋", 500.0, 0.0, True, 500.0],   # nothing this term
        ["S4", "junior", "2021秋", 312.5, 312.5, False, 0.0],   # equal is not short
        ["S7", "primary", "2021秋", 250.0, 250.0, False, 0.0],  # day pupil at 一校
    ]
    assert checked.loc[checked["person_key"] == "S7", "school"].item() == "一校"


def test_a_reversal_cancels_an_earlier_payment_before_short_is_computed():
    # R1, boarding primary (due 1000 / 2 = 500): paid 500, then 冲正 -312.5 → 187.5 kept,
    # 500 − 187.5 = 312.5 short (the demo county's 农健晨). R2, day junior (312.5): paid 312.5
    # twice, one instalment reversed → 312.5, in full. R3, day primary (250): a 冲正 of 100 with
    # nothing paid before it → 0 kept, never −100, and 250 short; the row is a finding.
    current = table("roster", [
        {"person_key": key, "school_year": 2021, "grade": grade, "boarding": boarding, "status": "在读",
         "school": "一校", "township": "甲镇"}
        for key, grade, boarding in (("R1", 3, True), ("R2", 8, False), ("R3", 2, False))])
    poverty = table("poverty", [{"person_key": key, "category": "脱贫户"} for key in ("R1", "R2", "R3")])
    payments = table("subsidy", [
        {"person_key": "R1", "term": "2021秋", "item": "生活补助", "amount": 500.0},
        {"person_key": "R1", "term": "2021秋", "item": "营养改善", "amount": 400.0},
        {"person_key": "R1", "term": "2021秋", "item": "生活补助", "amount": -312.5},
        {"person_key": "R2", "term": "2021秋", "item": "生活补助", "amount": 312.5},
        {"person_key": "R2", "term": "2021秋", "item": "生活补助", "amount": 312.5},
        {"person_key": "R2", "term": "2021秋", "item": "生活补助", "amount": -312.5},
        {"person_key": "R3", "term": "2021秋", "item": "生活补助", "amount": -100.0},
    ])
    checked = subsidy_check(current, poverty, payments, AS_OF, DEFAULT_SUBSIDY)
    assert checked[["person_key", "due", "paid", "reversed", "short", "missing"]].values.tolist() == [
        ["R1", 500.0, 187.5, 312.5, True, 312.5],
        ["R2", 312.5, 312.5, 312.5, False, 0.0],
        ["R3", 250.0, 0.0, 100.0, True, 250.0],
    ]
    # Only R3's reversal has less paid before it (row 8: the table's rows start at 2).
    findings = subsidy_reversal_findings(payments)
    assert findings[["kind", "row", "finding", "detail"]].values.tolist() == [
        ["subsidy", 8, "冲正金额超过此前已发金额", "冲正 100 元，此前同一学期同一项目已发 0 元"]]


# --- 小升初 ---------------------------------------------------------------------------

def test_transition_missing():
    def row(key, year, grade, status, township="甲镇", school="一小"):
        return {"person_key": key, "school_year": year, "grade": grade, "status": status,
                "township": township, "school": school}

    roster = table("roster", [
        row("T1", 2020, 6, "毕业"), row("T1", None, 7, "在读", school="一中"),  # found (学年 blank = 2021)
        row("T2", 2020, 6, "在读", township="乙镇"),                           # nowhere this year
        row("T3", 2020, 6, "毕业"), row("T3", 2021, 7, "转出", school="一中"),  # 转出 is no proof
        row("T4", 2020, 6, "毕业"),                                           # transferred case: proof
        row("T5", 2020, 6, "毕业"),                                           # open case: no proof
        row("T6", 2020, 5, "在读"),                                           # grade 5: not concerned
        row("T7", 2020, 6, "转出"), row("T7", 2021, 7, "休学", school="一中"),  # any status; 休学 now: found
        row("T8", 2019, 6, "毕业"),                                           # two years ago
    ])
    states = pd.DataFrame({"person_key": ["T4", "T5"], "state": ["transferred", "open"]})
    missing = transition_missing(roster, AS_OF, states)
    assert missing[["person_key", "township", "school", "status", "has_open_case", "reason"]].values.tolist() == [
        ["T2", "乙镇", "一小", "在读", False, "无本学年学籍（2020学年 六年级 在读）"],
        ["T3", "甲镇", "一小", "毕业", False, "学籍状态: 转出"],
        ["T5", "甲镇", "一小", "毕业", True, "无本学年学籍（2020学年 六年级 毕业）；有在办辍学案件"],
    ]


def test_transition_null_without_last_years_roster():
    roster = table("roster", [{"person_key": "T1", "school_year": 2021, "grade": 7, "status": "在读",
                               "township": "甲镇", "school": "一中"}])
    assert transition_missing(roster, AS_OF) is None
    # Last year's rows exist but no grade 6: zero, not null.
    roster.loc[1] = {**roster.loc[0].to_dict(), "school_year": 2020, "grade": 5}
    assert len(transition_missing(roster, AS_OF)) == 0
