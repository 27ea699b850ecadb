"""零报告 rows of the absence ledger: read apart from the absences, counted as accepted, never an
absence (kcbx.ingest.ledgers.normalize, kcbx.analysis), and the 日报's 未上报 lines."""

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kcbx import schema
from kcbx.analysis.county import analyse
from kcbx.ingest.ledgers import normalize as nz
from kcbx.ingest.ledgers.read import Header, RawSheet
from kcbx.report.forms.daily import _attendance_sheet, _not_reported_sheet
from kcbx.report.forms.statistics import school_statistics
from support.forms_county import AS_OF, MIDDLE, P3, PARAMS, PRIMARY, WEST, WEST_SCHOOL, county_tables

ID_A = "110105201003010014"  # valid (see test_ids)


def absence_sheet(records):
    rows = pd.DataFrame(records, dtype=object)
    rows.index = range(3, 3 + len(rows))
    header = Header(rows=(2,), columns={c: i for i, c in enumerate(rows.columns)}, labels={c: c for c in rows.columns})
    return RawSheet("absence", "absence/甲镇.xlsx", "Sheet1", header, rows)


def test_zero_reports_are_read_apart_and_counted_as_accepted():
    sheet = absence_sheet([
        {"date": "2021-10-15", "id_number": ID_A, "name": "张三", "school": "一小", "absence_type": "无故"},
        {"date": "2021-10-15", "id_number": None, "name": "无缺勤", "school": "二小", "absence_type": None},
        {"date": "2021/10/15", "id_number": None, "name": None, "school": "三小", "absence_type": "零报告"},
        {"date": "2021-10-15", "id_number": None, "name": "无缺勤", "school": None, "absence_type": None},
        {"date": "10月15日", "id_number": None, "name": " 无缺勤 ", "school": "四小", "absence_type": None},
    ])
    result = nz.normalize_sheet(sheet, dt.date(2025, 1, 1))
    # Row 3 is the one absence; rows 4 and 5 are 零报告 (by 姓名, by 缺勤类型); row 6 names no school
    # and row 7's date cannot be read: both rejected with the reason. 5 read = 3 accepted + 2 rejected.
    assert result.accepted["source_row"].tolist() == [3]
    assert result.zero_reports[["school", "source_row"]].values.tolist() == [["二小", 4], ["三小", 5]]
    assert (result.zero_reports["date"] == pd.Timestamp("2021-10-15")).all()
    assert dict(zip(result.rejected["row"], result.rejected["reason"])) == {
        6: nz.REASON_ZERO_REPORT_SCHOOL, 7: nz.REASON_DATE}
    assert (result.rows_read, result.rows_accepted) == (5, 3)
    schema.MODELS[schema.ZERO_REPORTS].validate(result.zero_reports)


def test_a_sheet_without_zero_reports_is_read_as_before():
    sheet = absence_sheet([{"date": "2021-10-15", "id_number": ID_A, "school": "一小", "absence_type": "病假"}])
    result = nz.normalize_sheet(sheet, dt.date(2025, 1, 1))
    assert len(result.accepted) == 1 and result.zero_reports.empty and result.rows_read == 1


# --- the hand-made county of support.forms_county ---------------------------------------------
# 在读 pupils at 城关小学, 城关中学 (城关镇) and 河西小学 (河西乡). 城关中学's P3 and P4 are absent 无故
# 11–15 Oct. On Fri 15 Oct 城关小学 sends a 零报告; 河西小学 sent one on Thursday and nothing today.

def zero_reports(*rows):
    frame = pd.DataFrame(rows, columns=["school", "date"])
    return frame.assign(date=pd.to_datetime(frame["date"]), source_file="absence/县.xlsx", source_sheet="Sheet1",
                        source_row=range(3, 3 + len(frame)))


@pytest.fixture
def tables():
    tables = county_tables()
    tables[schema.ZERO_REPORTS] = zero_reports((PRIMARY, "2021-10-15"), (WEST_SCHOOL, "2021-10-14"),
                                               # 城关中学 on a day P3 was absent: still P3's absence counts
                                               (MIDDLE, "2021-10-13"))
    return tables


REQUIRED = dataclasses.replace(PARAMS, zero_reports="required")


def test_the_county_knows_who_reported_today(tables):
    m = analyse(tables, REQUIRED, AS_OF).metrics
    assert m["schools_reported"] == [MIDDLE, PRIMARY]  # 城关中学 by its absences, 城关小学 by its 零报告
    assert m["schools_not_reported"] == [WEST_SCHOOL]
    assert m["absence_data_through_by_school"] == {
        MIDDLE: "2021-10-15", PRIMARY: "2021-10-15", WEST_SCHOOL: "2021-10-14"}
    assert m["absence_data_through"] == "2021-10-15"
    # A township's lists hold its own schools.
    west = analyse(tables, REQUIRED, AS_OF, WEST).metrics
    assert (west["schools_reported"], west["schools_not_reported"]) == ([], [WEST_SCHOOL])


def test_a_day_with_only_zero_reports_is_a_day_whose_data_is_in(tables):
    # Mon 18 Oct: nobody absent anywhere, every school says 无缺勤.
    monday = dt.date(2021, 10, 18)
    tables[schema.ZERO_REPORTS] = zero_reports(*((school, "2021-10-18") for school in (MIDDLE, PRIMARY, WEST_SCHOOL)))
    m = analyse(tables, REQUIRED, monday).metrics
    assert m["absence_data_through"] == "2021-10-18" and m["schools_not_reported"] == []


def test_no_school_day_has_both_lists_empty(tables):
    m = analyse(tables, REQUIRED, dt.date(2021, 10, 16)).metrics  # a Saturday
    assert (m["schools_reported"], m["schools_not_reported"]) == ([], [])


def test_a_zero_report_is_no_absence_anywhere(tables):
    # The same county without its 零报告 rows: escalation, 日报 and the warning list are unchanged.
    with_zero = analyse(tables, REQUIRED, AS_OF)
    without = analyse({k: v for k, v in tables.items() if k != schema.ZERO_REPORTS}, REQUIRED, AS_OF)
    for key in ("absent_unexcused_today", "escalation", "early_warning", "notices_missing"):
        assert with_zero.metrics[key] == without.metrics[key], key
    assert with_zero.absent_today["person_key"].tolist() == without.absent_today["person_key"].tolist()
    assert with_zero.day_absences.equals(without.day_absences)
    assert P3 in set(with_zero.streaks["person_key"])  # the 13 Oct 零报告 of 城关中学 breaks no run
    assert with_zero.streaks.set_index("person_key").at[P3, "streak"] == 5


def rows_of(sheet):
    return sheet.rows.to_dict("records")


def test_the_daily_forms_list_the_school_and_do_not_count_its_pupils_present(tables):
    county = analyse(tables, REQUIRED, AS_OF)
    missing = rows_of(_not_reported_sheet(county))
    assert [(r["township"], r["school"], r["status"], r["last_reported"]) for r in missing] == [
        (WEST, WEST_SCHOOL, "未上报", pd.Timestamp("2021-10-14"))]
    attendance = rows_of(_attendance_sheet(county, school_statistics(county)))
    by_school = {(r["township"], r["school"]): r for r in attendance}
    west = by_school[(WEST, WEST_SCHOOL)]
    assert (west["reporting"], west["expected"], west["present"]) == ("未上报", "未上报", "未上报")
    # 河西小学's one pupil (Q1, also on 城关小学's roster) is out of 河西乡's 小计: 应到 0, 实到 0.
    assert (by_school[(WEST, "小计")]["expected"], by_school[(WEST, "小计")]["present"]) == (0, 0)
    assert by_school[(WEST, "小计")]["reporting"] is None
    assert by_school[("城关镇", PRIMARY)]["reporting"] == "已上报"


def test_under_optional_a_school_without_rows_is_not_chased(tables):
    county = analyse(tables, PARAMS, AS_OF)  # zero_reports: optional, the default
    assert county.metrics["schools_not_reported"] == [WEST_SCHOOL]  # the figure keeps its definition
    assert rows_of(_not_reported_sheet(county)) == []
    attendance = {r["school"]: r for r in rows_of(_attendance_sheet(county, school_statistics(county)))}
    assert attendance[WEST_SCHOOL]["reporting"] == "无缺勤记录（未要求零报告）"
    assert attendance[WEST_SCHOOL]["expected"] == attendance[WEST_SCHOOL]["present"] == 1
