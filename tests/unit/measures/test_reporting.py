"""Who has reported today (零报告, kcbx.measures.reporting), worked out by hand.

The week of Mon 11 – Fri 15 Oct 2021, all school days; Sat 16 Oct is none. Three schools have
在读 pupils: 一小 (A, B), 二小 (C), 三小 (D); 四小's only pupil E is 休学, so nobody expects a
report from it.
"""

import datetime as dt

import pandas as pd

from kcbx.measures import reporting

WEEK = pd.DatetimeIndex(pd.date_range("2021-10-11", "2021-10-15"))
FRIDAY, SATURDAY = dt.date(2021, 10, 15), dt.date(2021, 10, 16)

ROSTER = pd.DataFrame({
    "person_key": ["A", "B", "C", "D", "E"],
    "township": ["甲镇", "甲镇", "甲镇", "乙乡", "乙乡"],
    "school": ["一小", "一小", "二小", "三小", "四小"],
    "status": ["在读", "在读", "在读", "在读", "休学"],
})
# A 无故 on Friday, written with its school; C 病假 on Thursday, 学校 left blank (C's roster school
# 二小 reported it all the same).
ABSENCE = pd.DataFrame({"person_key": ["A", "C"], "school": ["一小", None],
                        "date": pd.to_datetime(["2021-10-15", "2021-10-14"])})
# 二小 says 无缺勤 on Friday; 三小 on Wednesday only, and on Saturday (no school day: ignored).
ZERO = pd.DataFrame({"school": ["二小", "三小", "三小"],
                     "date": pd.to_datetime(["2021-10-15", "2021-10-13", "2021-10-16"])})


def school_reporting(as_of, zero=ZERO):
    reported = reporting.reported_days(ABSENCE, zero, ROSTER, WEEK)
    return reporting.school_reporting(ROSTER, reported, WEEK, as_of)


def test_a_school_missing_the_day_is_not_reported_and_keeps_its_last_day():
    # Friday: 一小 by A's absence row, 二小 by its 零报告; 三小 sent nothing since Wednesday.
    table = school_reporting(FRIDAY)
    # By township then school (乙乡 sorts before 甲镇); 四小: no 在读 pupil.
    assert table["school"].tolist() == ["三小", "一小", "二小"]
    assert table["reported_today"].tolist() == [False, True, True]
    assert reporting.reporting_lists(table, is_school_day=True) == (["一小", "二小"], ["三小"])
    assert reporting.data_through_by_school(table) == {
        "一小": "2021-10-15", "二小": "2021-10-15", "三小": "2021-10-13"}


def test_an_absence_row_without_its_school_counts_for_the_pupils_roster_school():
    # Thursday: only C's row (学校 blank) is dated 14 Oct: 二小 reported through C's roster row.
    table = school_reporting(dt.date(2021, 10, 14))
    assert reporting.reporting_lists(table, is_school_day=True) == (["二小"], ["一小", "三小"])
    # Nobody reported on Mon–Tue, and 一小's first report is Friday's: before it, none this term.
    assert pd.isna(table.set_index("school").at["一小", "last_reported"])


def test_a_day_that_is_no_school_day_has_both_lists_empty():
    # Saturday: 三小's 零报告 that day is no report, and nobody is expected to report.
    table = school_reporting(SATURDAY)
    assert not table["reported_today"].any()
    assert reporting.reporting_lists(table, is_school_day=False) == ([], [])
    # Its last day in stays Wednesday: a row on a day without school does not count.
    assert reporting.data_through_by_school(table)["三小"] == "2021-10-13"


def test_without_any_zero_report_only_absence_rows_report():
    table = school_reporting(FRIDAY, zero=None)
    assert reporting.reporting_lists(table, is_school_day=True) == (["一小"], ["三小", "二小"])


def test_required_says_not_reported_optional_says_no_rows_were_asked_for():
    assert reporting.reporting_status(False, True, "required") == "未上报"
    assert reporting.reporting_status(False, True, "optional") == "无缺勤记录（未要求零报告）"
    assert reporting.reporting_status(True, True, "optional") == "已上报"
    assert reporting.reporting_status(False, False, "required") == ""  # no school day: no 日报
    table = school_reporting(FRIDAY)
    assert reporting.not_reported_schools(table, "required", True)["school"].tolist() == ["三小"]
    assert reporting.not_reported_schools(table, "optional", True).empty  # nobody chased
    assert reporting.not_reported_schools(table, "required", False).empty


def test_the_alert_names_the_schools_only_under_required():
    metrics = {"schools_not_reported": ["三小"]}
    assert reporting.not_reported_alert(metrics, "required") == "1 所学校今日未上报缺勤（零报告）：三小"
    assert reporting.not_reported_alert(metrics, "optional") is None
    assert reporting.not_reported_alert({"schools_not_reported": []}, "required") is None
