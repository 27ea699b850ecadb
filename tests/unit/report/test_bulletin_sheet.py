"""周通报 (forms.xlsx, the county's): the 乡镇排名 order with its rule above the table, and 较上周
from last week's run or, without one, from the case log replayed to a week before.

A small county through the real ``analyse``. as_of Friday 15 October 2021; a week before is
Friday 8 October, a school day (1–7 October are the National Day holidays).

甲镇  A 登记 6 Sep, 限期复学通知书 20 Sep (due 27 Sep: overdue on 8 and 15 Oct), open;
      B 登记 11 Oct, open.
乙乡  C (脱贫户) 登记 10 Sep, 复学 12 Oct; D (监测户, not 脱贫户) 登记 13 Oct, open.
丙乡  E 登记 1 Sep, open.

Now:         甲镇 2 open (脱贫户 0, overdue 1); 乙乡 1 (D; 脱贫户 0); 丙乡 1 (E).
8 October:   甲镇 1 (A; overdue 1);            乙乡 1 (C; 脱贫户 1); 丙乡 1 (E).
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from kcbx import schema
from kcbx.analysis.county import analyse
from kcbx.analysis.ranking import RANKING_RULE, ranking_rows
from kcbx.report import show
from kcbx.report.excel import write_workbook
from kcbx.report.forms.bulletin import _weekly_bulletin_sheet
from support.builders import autumn_params, typed_ledger

AS_OF = dt.date(2021, 10, 15)
TOWNSHIPS = ("甲镇", "乙乡", "丙乡")
PARAMS = autumn_params()
ID = {name: f"45262620100101{n:03d}" for n, name in enumerate("ABCDE", start=1)}


def ledger(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order."""
    return typed_ledger(kind, rows, f"{kind}/测试县.xlsx")


def event(child: str, day: str, what: str, township: str) -> dict:
    return {"person_key": ID[child], "township": township, "date": day, "event": what,
            "name": child, "school": f"{township}小学", "grade": 5}


def county_tables() -> dict[str, pd.DataFrame]:
    tables = {kind: ledger(kind, []) for kind in schema.KINDS}
    tables["roster"] = ledger("roster", [
        {"person_key": f"45262620110101{n:03d}", "name": f"学生{n}", "township": township,
         "school": f"{township}小学", "grade": 3, "status": "在读"}
        for n, township in enumerate(TOWNSHIPS, start=1)])
    tables["poverty"] = ledger("poverty", [
        {"person_key": ID["C"], "name": "C", "township": "乙乡", "category": "脱贫户"},
        {"person_key": ID["D"], "name": "D", "township": "乙乡", "category": "监测户"}])
    tables["cases"] = ledger("cases", [
        event("E", "2021-09-01", "登记", "丙乡"),
        event("A", "2021-09-06", "登记", "甲镇"),
        event("C", "2021-09-10", "登记", "乙乡"),
        event("A", "2021-09-20", "发出限期复学通知书", "甲镇"),
        event("B", "2021-10-11", "登记", "甲镇"),
        event("C", "2021-10-12", "复学", "乙乡"),
        event("D", "2021-10-13", "登记", "乙乡"),
    ])
    tables["rejected_rows"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "column", "value", "reason"])
    tables["findings"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding"])
    tables["ingest_log"] = pd.DataFrame(columns=["kind", "file", "rows_read", "rows_accepted",
                                                 "rows_rejected", "error"])
    return tables


def county_analysis(history: pd.DataFrame | None = None, as_of: dt.date = AS_OF):
    """The county's Analysis as a run prepares it: its townships' ranking and earlier runs."""
    tables = county_tables()
    county = analyse(tables, PARAMS, as_of, None)
    county.ranking = ranking_rows([analyse(tables, PARAMS, as_of, town).metrics for town in TOWNSHIPS])
    county.history = history
    return county


def written(county, tmp_path):
    """The 周通报 sheet written alone, reopened: its rows as dicts, and its lines of text."""
    write_workbook(tmp_path / "forms.xlsx", [_weekly_bulletin_sheet(county)])
    sheet = openpyxl.load_workbook(tmp_path / "forms.xlsx")["周通报"]
    _, header_last, last_col, last_row = range_boundaries(sheet.auto_filter.ref)
    headers = [sheet.cell(header_last, col).value or sheet.cell(header_last - 1, col).value
               for col in range(1, last_col + 1)]
    # The two header rows name 本周 and 较上周 under each group: key them by column position.
    rows = [[sheet.cell(row, col).value for col in range(1, last_col + 1)]
            for row in range(header_last + 1, last_row + 1)]
    text = [row[0] for row in sheet.iter_rows(values_only=True) if row[0] and isinstance(row[0], str)]
    return headers, rows, text


# Column positions on the sheet.
RANK, TOWN, OPEN, OPEN_CHANGE, TUOPIN, TUOPIN_CHANGE, OVERDUE, OVERDUE_CHANGE = range(8)
RATE_CHANGE, PREVIOUS_RANK, SOURCE = 9, 12, 13


def test_order_is_the_html_ranking_and_its_rule_stands_above_the_table(tmp_path):
    county = county_analysis()
    headers, rows, text = written(county, tmp_path)
    assert headers[RANK] == "排名" and headers[PREVIOUS_RANK] == "上周排名" and headers[SOURCE] == "较上周依据"
    # 甲镇 2 open cases: rank 1. 丙乡 and 乙乡 1 each: both rank 2 (the next would be 4), listed by
    # name: 丙 (U+4E19) before 乙 (U+4E59).
    assert [(row[RANK], row[TOWN], row[OPEN]) for row in rows] == [(1, "甲镇", 2), (2, "丙乡", 1), (2, "乙乡", 1)]
    # The report page's 乡镇排名 lists them in the same order.
    page = show.ranking(None, county.ranking).body
    assert sorted(TOWNSHIPS, key=page.index) == ["甲镇", "丙乡", "乙乡"]
    # The rule: on the subtitle line, above the header, and in words on the page too.
    subtitle = text[1]
    assert subtitle.startswith("测试县 全县  截至 2021-10-15") and subtitle.endswith(f"排名：{RANKING_RULE}")
    assert "第1名为在办案件最多" in RANKING_RULE and "并列同一名次" in RANKING_RULE
    assert RANKING_RULE in page


def test_without_a_run_a_week_before_the_case_log_is_replayed_to_8_october(tmp_path):
    county = county_analysis()
    _, rows, text = written(county, tmp_path)
    by_town = {row[TOWN]: row for row in rows}
    # 甲镇: 2 open now, 1 on 8 Oct (+1); 脱贫户 0 and 0; overdue 1 and 1 (A's notice of 20 Sep).
    assert [by_town["甲镇"][i] for i in (OPEN_CHANGE, TUOPIN_CHANGE, OVERDUE, OVERDUE_CHANGE)] == [1, 0, 1, 0]
    # 乙乡: 1 open either day (C then, D now): 0; its 脱贫户 case C returned since: 0 − 1 = −1.
    assert [by_town["乙乡"][i] for i in (OPEN_CHANGE, TUOPIN, TUOPIN_CHANGE)] == [0, 0, -1]
    assert by_town["丙乡"][OPEN_CHANGE] == 0
    # 入学率 cannot be replayed from the case log: blank.
    assert all(row[RATE_CHANGE] is None for row in rows)
    # A week before, each had 1 open case: all rank 1.
    assert [row[PREVIOUS_RANK] for row in rows] == [1, 1, 1]
    assert {row[SOURCE] for row in rows} == {"按劝返台账回溯（2021-10-08）"}
    assert ("较上周：各乡镇无该周运行结果，按劝返台账回溯至 2021-10-08：在办案件、其中脱贫户、通知书逾期"
            "按当日已录入的台账事件重算，入学率无法回溯，留空。") in text


def test_the_replay_is_the_week_ago_figure_each_township_report_shows():
    county = county_analysis()
    rows = _weekly_bulletin_sheet(county).rows.set_index("township")
    for town in TOWNSHIPS:
        week_ago = analyse(county_tables(), PARAMS, AS_OF, town).metrics["open_cases_week_ago"]
        assert week_ago["date"] == "2021-10-08"
        assert rows.at[town, "cases_open"] - rows.at[town, "cases_open_change"] == week_ago["open"], town


def test_last_weeks_run_is_used_where_it_has_the_township(tmp_path):
    # The run of 8 Oct has 甲镇 only (its figures then: 4 open, 2 脱贫户, 0 overdue, 入学率 90%).
    history = pd.DataFrame([
        {"as_of": "2021-10-08", "township": None, "cases_open": 9},
        {"as_of": "2021-10-08", "township": "甲镇", "cases_open": 4, "cases_open_tuopin": 2,
         "notices_overdue": 0, "enrollment_rate": 0.9},
    ]).assign(as_of=lambda runs: pd.to_datetime(runs["as_of"]))
    _, rows, text = written(county_analysis(history), tmp_path)
    by_town = {row[TOWN]: row for row in rows}
    # 甲镇 against the run: 2 − 4 = −2 open, 0 − 2 = −2 脱贫户, 1 − 0 = +1 overdue; 入学率 now
    # has no population, so no change either.
    assert [by_town["甲镇"][i] for i in (OPEN_CHANGE, TUOPIN_CHANGE, OVERDUE_CHANGE, RATE_CHANGE)] == [-2, -2, 1, None]
    assert by_town["甲镇"][SOURCE] == "上周运行结果（2021-10-08）"
    assert by_town["乙乡"][SOURCE] == by_town["丙乡"][SOURCE] == "按劝返台账回溯（2021-10-08）"
    # 上周排名: 甲镇 4 first; 丙乡 and 乙乡 1 each share rank 2.
    assert {town: row[PREVIOUS_RANK] for town, row in by_town.items()} == {"甲镇": 1, "丙乡": 2, "乙乡": 2}
    assert ("较上周：甲镇与 2021-10-08 的运行结果（上周运行结果）相比；丙乡、乙乡无该周运行结果，"
            "按劝返台账回溯至 2021-10-08：在办案件、其中脱贫户、通知书逾期按当日已录入的台账事件重算，"
            "入学率无法回溯，留空。") in text


def test_a_run_of_another_week_is_not_last_weeks():
    # 1 Oct is two weeks back, 14 Oct a day back: neither is the run of 8 Oct.
    history = pd.DataFrame([
        {"as_of": "2021-10-01", "township": "甲镇", "cases_open": 7},
        {"as_of": "2021-10-14", "township": "甲镇", "cases_open": 7},
    ]).assign(as_of=lambda runs: pd.to_datetime(runs["as_of"]))
    rows = _weekly_bulletin_sheet(county_analysis(history)).rows.set_index("township")
    assert rows.at["甲镇", "cases_open_change"] == 1
    assert rows.at["甲镇", "source"] == "按劝返台账回溯（2021-10-08）"


def test_no_school_day_a_week_back_no_comparison():
    # Friday 3 September: a week before (27 August) the term had not begun.
    sheet = _weekly_bulletin_sheet(county_analysis(as_of=dt.date(2021, 9, 3)))
    assert sheet.rows["cases_open_change"].isna().all() and sheet.rows["previous_rank"].isna().all()
    assert set(sheet.rows["source"]) == {""}
    assert "较上周：2021-08-27 及以前本学期尚无上课日，暂不比较。" in sheet.notes


def test_a_county_analysis_without_ranking_is_refused():
    county = county_analysis()
    county.ranking = None
    with pytest.raises(ValueError, match="no ranking"):
        _weekly_bulletin_sheet(county)
