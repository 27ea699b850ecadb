"""Report sections: trends from earlier runs, the ranking, percentages (no store needed); the
warning of absence data not uploaded yet, on the demo county's store."""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from kcbx.metrics import analyse, measure_county
from kcbx.params import load_params
from kcbx.report import show
from kcbx.report.forms import write_forms
from kcbx.store import load_tables

DEMO_PARAMS = Path(__file__).resolve().parents[1] / "params" / "demo.yaml"  # written and ingested by `make test`


def this_run(as_of, cases_open, absent_today, out_of_school):
    """The county analysis of the run being rendered: only its date and figures matter here."""
    return SimpleNamespace(as_of=dt.date.fromisoformat(as_of), metrics={
        "cases_open": cases_open, "absent_unexcused_today": absent_today,
        "out_of_school_suspected": out_of_school})


def history(rows):
    frame = pd.DataFrame(rows, columns=["as_of", "township", "cases_open", "absent_unexcused_today",
                                        "out_of_school_suspected"])
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]))


def test_trends_take_the_last_run_of_each_week_and_month():
    # Mon 4 and Fri 8 Oct are one ISO week; Fri 15 Oct the next; all three in October.
    # The earlier runs, plus a stale run of the same day (replaced by this one) and a later one.
    runs = history([
        ("2021-10-04", None, 9, 3, 5), ("2021-10-04", "甲镇", 4, 1, 2),
        ("2021-10-08", None, 7, 2, 5), ("2021-10-15", None, 99, 99, 99), ("2021-10-22", None, 1, 1, 1),
    ])
    page = show.trends(this_run("2021-10-15", 6, 4, 4), runs).body
    tables = page.split("<img")[0]
    assert "<td>99</td>" not in tables and "2021-10-22" not in tables
    weekly, monthly = page.split("按月")
    # Weekly: 8 Oct (7 open) closes its week, 15 Oct (6) the next; 4 Oct is not shown.
    assert "2021-10-08" in weekly and "2021-10-15" in weekly and "2021-10-04" not in weekly
    # Monthly: October's last run is 15 Oct.
    assert "2021-10-15" in monthly and "2021-10-08" not in monthly
    assert "<img" in page  # the trend chart


def test_trends_need_an_earlier_run():
    only_today = history([("2021-10-15", None, 6, 4, 4), ("2021-10-08", "甲镇", 1, 1, 1)])
    assert "暂无趋势" in show.trends(this_run("2021-10-15", 6, 4, 4), only_today).body
    assert "暂无趋势" in show.trends(this_run("2021-10-15", 6, 4, 4), history([])).body


def test_ranking_is_one_sortable_table_most_open_cases_first():
    figures = pd.DataFrame({
        "township": ["甲镇", "乙镇", "丙乡"], "cases_open": [1, 3, 0], "cases_open_poverty": [1, 0, 0],
        "notices_overdue": [0, 0, 2], "enrollment_rate": [0.99, 0.97, None],
        "absent_unexcused_today": [0, 1, 2], "enrolled": [100, 200, 50]})
    page = show.ranking(None, figures).body
    assert page.count("<table") == 1
    assert 'class="dataframe kcbx-sortable"' in page and 'data-ascending-first="乡镇|入学率"' in page
    # Written by open cases: 乙镇 (3), 甲镇 (1), 丙乡 (0); 丙乡 has no 入学率, shown as a dash.
    assert page.index("乙镇") < page.index("甲镇") < page.index("丙乡")
    assert "97.0%" in page and "—" in page


def test_percent_shows_null_as_a_dash():
    assert show.percent(None) == "—"
    assert show.percent(0.5) == "50.0%"
    assert show.percent(1.1) == "110.0%"  # never capped


def test_county_lists_say_which_township_each_child_is_in():
    columns = {"name": "姓名", "school": "学校"}
    county, township = SimpleNamespace(township=None), SimpleNamespace(township="甲镇")
    assert list(show._with_township(county, columns).items()) == [
        ("name", "姓名"), ("township", "乡镇"), ("school", "学校")]
    assert show._with_township(township, columns) == columns
    assert list(show._with_township(county, {"month": "月份"})) == ["township", "month"]


# --- absence data not uploaded yet: the demo county ---------------------------------------

NOT_REPORTED = "今日缺勤数据尚未上报（最近上报：10月15日）"


@pytest.fixture(scope="module")
def demo():
    params = load_params(DEMO_PARAMS)
    return params, load_tables(params.store)


def daily_sheet_text(analysis, folder: Path) -> str:
    write_forms(analysis, folder / "forms.xlsx")
    sheet = openpyxl.load_workbook(folder / "forms.xlsx")["日报 未到校学生名册"]
    return "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)


def test_a_school_day_without_absence_rows_says_they_are_not_uploaded(demo, tmp_path):
    # The demo's absences end on Fri 15 Oct; Mon 18 Oct is a school day with no row yet.
    params, tables = demo
    county_pass = measure_county(tables, params, dt.date(2021, 10, 18))
    county = county_pass.analysis(None)
    assert county.metrics["absence_data_through"] == "2021-10-15"
    # The contract figures keep their definitions: nobody absent today, no streak.
    assert county.metrics["absent_unexcused_today"] == 0
    assert set(county.metrics["escalation"].values()) == {0}
    assert NOT_REPORTED in show.header(county).body
    assert NOT_REPORTED in show.escalation(county).body  # the 日报
    assert NOT_REPORTED in daily_sheet_text(county, tmp_path)
    for township in county_pass.townships():  # a county-wide fact: in every township's report
        assert NOT_REPORTED in show.header(county_pass.analysis(township)).body, township


def test_a_school_day_with_absence_rows_gives_no_warning(demo, tmp_path):
    params, tables = demo
    county_pass = measure_county(tables, params, dt.date(2021, 10, 15))
    county = county_pass.analysis(None)
    assert county.metrics["absence_data_through"] == "2021-10-15"
    assert "尚未上报" not in show.header(county).body
    assert "尚未上报" not in show.escalation(county).body
    assert "尚未上报" not in daily_sheet_text(county, tmp_path)
    for township in county_pass.townships():
        assert "尚未上报" not in show.header(county_pass.analysis(township)).body, township


def test_a_township_without_absences_on_a_reported_day_gives_no_warning(demo):
    # Fri 24 Sep: the county has absence rows, none of them of a 龙合镇 pupil. Measured for
    # 龙合镇 alone, the county's rows still count.
    params, tables = demo
    township = analyse(tables, params, dt.date(2021, 9, 24), "龙合镇")
    assert township.absent_today.empty and township.metrics["absence_data_through"] == "2021-09-24"
    assert "尚未上报" not in show.header(township).body
