"""Report sections: trends from earlier runs, the ranking, percentages (no store needed); the
warning of absence data not uploaded yet, on the demo county's store."""

import datetime as dt
import html
import re
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from kcbx.analysis.county import analyse, measure_county
from kcbx.params import load_params
from kcbx.report import show
from kcbx.report.forms import write_forms
from kcbx.store.tables import load_tables
from support.builders import resident_id
from support.paths import DEMO_PARAMS  # written and ingested by `make test`


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
        "township": ["甲镇", "乙镇", "丙乡"], "cases_open": [1, 3, 0], "cases_open_tuopin": [1, 0, 0],
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


# --- a small county that triggers every reading aid of the header and the lists --
#
# As of Fri 15 Oct 2021 (Sat 9 Oct was a make-up school day), clearance target Sun 31 Oct:
#   P1, P2  甲镇 pupils (甲小学, grades 3 and 7). P1 was absent without leave on the 5 school
#           days before (Sat 9, Mon 11 … Thu 14: one pupil a day, mean 1); today P1 and P2: 2.
#   P3      甲镇 户籍, no roster; case registered 6 Sep, 复学 20 Sep (returned).
#   P4      甲镇 户籍; case registered 7 Sep, 死亡 30 Sep (died: leaves the school-age count).
#   P5      甲镇 户籍, 脱贫户, no roster; case registered Mon 11 Oct, still open.
#   P6      甲镇 户籍; grade 6 at 甲小学 last year (2020), nothing this year: 疑似失学 and a 小升初 gap.
#   P7      甲镇 户籍; at school in 乙镇 (外乡镇就读).
#   P8      甲镇 户籍, 脱贫户; grade 9 毕业 in 2020 (已完成义务教育): not "脱贫户无学籍".
# Cases: 3, of which 1 returned, 1 died, 0 transferred, 1 open (P5). A week before (Fri 8 Oct)
# no case was open. 甲小学's enrollment rows give grade 1 a negative cohort dropout rate.

Q = {name: resident_id(birth) for name, birth in (
    ("P1", "20130501"), ("P2", "20090301"), ("P3", "20110101"), ("P4", "20100101"),
    ("P5", "20120601"), ("P6", "20090601"), ("P7", "20100301"), ("P8", "20060201"))}
AS_OF = dt.date(2021, 10, 15)


@pytest.fixture(scope="module")
def small():
    from kcbx.params import Params
    from support.builders import table

    params = Params(path=None, county="测试县", county_code="452626", ledgers=None, store=None,
                    outputs=None, term_start=dt.date(2021, 9, 1), term_end=dt.date(2022, 1, 14),
                    target_date=dt.date(2021, 10, 31))
    jia_file = dict(source_file="roster/甲小学.xlsx", township="甲镇")  # 甲镇's roster file
    roster = table("roster", [
        dict(school_year=2021, person_key=Q["P1"], name="甲一", school="甲小学", grade=3, status="在读", **jia_file),
        dict(school_year=2021, person_key=Q["P2"], name="甲二", school="甲中学", grade=7, status="在读", **jia_file),
        dict(school_year=2020, person_key=Q["P6"], name="甲六", school="甲小学", grade=6, status="在读", **jia_file),
        dict(school_year=2021, person_key=Q["P7"], name="甲七", township="乙镇", school="乙小学", grade=5, status="在读"),
        dict(school_year=2020, person_key=Q["P8"], name="甲八", school="甲中学", grade=9, status="毕业", **jia_file),
    ])
    population = table("population", [dict(person_key=Q[p], id_number=Q[p], name=f"甲{p}", township="甲镇")
                                      for p in ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8")])
    absent = [("2021-10-09", "P1"), ("2021-10-11", "P1"), ("2021-10-12", "P1"), ("2021-10-13", "P1"),
              ("2021-10-14", "P1"), ("2021-10-15", "P1"), ("2021-10-15", "P2")]
    absence = table("absence", [dict(date=day, person_key=Q[p], school="甲小学", absence_type="无故",
                                     unexcused=True) for day, p in absent])
    cases = table("cases", [
        dict(person_key=Q["P3"], township="甲镇", date="2021-09-06", event="登记", admin_owner="王", edu_owner="李"),
        dict(person_key=Q["P3"], township="甲镇", date="2021-09-20", event="复学"),
        dict(person_key=Q["P4"], township="甲镇", date="2021-09-07", event="登记", admin_owner="王", edu_owner="李"),
        dict(person_key=Q["P4"], township="甲镇", date="2021-09-30", event="死亡"),
        dict(person_key=Q["P5"], township="甲镇", date="2021-10-11", event="登记", admin_owner="王", edu_owner="李"),
    ])
    # Grade 1 of 2020 had 10 pupils; grade 2 of 2021 has 12, none repeating (nor in grade 1):
    # promotion 120%, repetition 0, dropout 1 − 1.2 − 0 = −20%.
    enrollment = table("enrollment", [
        dict(school_year=2020, township="甲镇", school="甲小学", grade=1, enrolled=10, repeaters=0, graduates=0),
        dict(school_year=2021, township="甲镇", school="甲小学", grade=1, enrolled=9, repeaters=0, graduates=0),
        dict(school_year=2021, township="甲镇", school="甲小学", grade=2, enrolled=12, repeaters=0, graduates=0),
    ])
    tables = {
        "roster": roster, "population": population, "absence": absence, "cases": cases,
        "poverty": table("poverty", [dict(person_key=Q["P5"], township="甲镇", category="脱贫户"),
                                     dict(person_key=Q["P8"], township="甲镇", category="脱贫户")]),
        "disability": table("disability", [dict(person_key=Q["P1"], township="甲镇", placement="送教上门")]),
        "home_teaching": table("home_teaching", [dict(person_key=Q["P1"], date="2021-09-10", hours=3,
                                                      teacher="王老师")]),
        "subsidy": table("subsidy", []), "enrollment": enrollment,
        "rejected_rows": pd.DataFrame([
            dict(kind="roster", file="roster/甲小学.xlsx", sheet="", row=9, column="年级", value="高一",
                 reason="年级无法识别"),
            # t.xlsx holds rows of 甲镇 and 乙镇 (P7's roster row): whose this row is, nobody can say.
            dict(kind="roster", file="t.xlsx", sheet="", row=20, column="日期", value="2021-02-30",
                 reason="日期无法识别")]),
        "findings": pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding", "detail"]),
        "ingest_log": pd.DataFrame([dict(kind="roster", file=name, sha256="x", rows_read=6,
                                         rows_accepted=5, rows_rejected=1, seconds=0.1, ingested_at=None,
                                         error=None) for name in ("roster/甲小学.xlsx", "t.xlsx")]),
    }
    return measure_county(tables, params, AS_OF)


NO_HISTORY = pd.DataFrame(columns=["as_of", "township", "cases_open"])


def test_cards_explain_themselves(small):
    page = show.header(small.analysis("甲镇")).body
    # 劝返率 33.3%, its scope said, the death named as 核减.
    assert "累计（含以前学期登记）：已复学 1 / 案件 3，其中核减 1 件（死亡 1，非辍学）" in page
    assert "33.3%" in page
    assert "本学年（9月1日起）登记的辍学案件，含已复学的学生" in page
    # 清零: 2 of 3 cases closed (returned, died); P5 still out; 31 Oct − 15 Oct = 16 days.
    assert "仍未复学 1 人，距清零目标（2021-10-31）还有 16 天" in page


def test_clearance_card_says_how_long_the_target_is_overdue(small):
    import dataclasses

    late = dataclasses.replace(small.params, target_date=dt.date(2021, 9, 30))
    county_pass = dataclasses.replace(small, params=late)
    # 15 Oct − 30 Sep = 15 days past the target.
    assert "仍未复学 1 人，已超过清零目标（2021-09-30）15 天" in show.header(county_pass.analysis("甲镇")).body


def test_header_alerts_on_trends_in_words(small):
    page = show.header(small.analysis("甲镇")).body
    # Today 2 ≥ 2 × the mean 1 of the 5 school days before.
    assert "今日无故缺勤 2 人，较前5个上课日平均 1 人上升" in page
    # Open on Fri 8 Oct: none (P3 returned, P4 died); today P5's: 1.
    assert "在办辍学案件 1 件，一周前（10月8日）没有，新增 1 件" in page


def test_county_header_shows_the_special_action_in_one_line(small):
    county = small.analysis(None)
    # The term: 3 found (6 Sep, 7 Sep, 11 Oct), 1 returned, 1 still out (P5, 脱贫户), 1 died.
    page = show.header(county, NO_HISTORY).body
    assert ("排查疑似辍学 3 人 → 劝返复学 1 人 → 仍未复学 1 人（脱贫户 1 人）；另 1 人转学、送教上门、死亡或已销号"
            in page)
    assert "无法与上次比较" in page
    # The last run was Fri 8 Oct with 0 open cases: since then P5's case, still open.
    earlier = pd.DataFrame({"as_of": pd.to_datetime(["2021-10-08"]), "township": [None], "cases_open": [0]})
    page = show.header(county, earlier).body
    assert "上次运行（2021-10-08）以来新登记：排查疑似辍学 1 人 → 劝返复学 0 人 → 仍未复学 1 人（脱贫户 1 人）" in page
    assert "全县在办案件 1 件，上次没有，新增 1 件" in page
    assert "专项行动" not in show.header(small.analysis("甲镇")).body  # the county's line only


def test_suspected_list_says_what_else_lists_its_children(small):
    page = show.matching(small.analysis("甲镇")).body
    # Suspected: P5 (open case) and P6 (小升初 gap); not suspected: P1, P2 at home, P7 in 乙镇,
    # P8 graduated, P3 returned. P4 died and is not school-age population.
    assert "其中 1 人另有在办辍学案件、1 人同在小升初未衔接名单" in page
    assert "本乡镇在校 2 人，外乡镇就读 1 人，已完成义务教育 1 人，有去向佐证 1 人" in page
    assert "在办辍学案件" in page and "小升初未衔接" in page  # the 另见 column
    # 脱贫户 without a roster row: P5 only; P8 finished grade 9.
    register_part = page.split("脱贫户名单、残疾人名单中的儿童无学籍")[1]
    assert register_part.count("<tr>") == 1  # P5 alone (the header row has a style)
    assert "无学籍；有在办辍学案件" in register_part


def test_cohort_rates_out_of_range_are_explained_and_never_minus_zero(small):
    page = show.rates(small.analysis("甲镇")).body
    assert "-20.0%" in page and "120.0%" in page
    assert page.count(show.COHORT_OUT_OF_RANGE) == 1  # grade 1 only
    assert "一年级" in page and "1年级" not in page
    assert show.percent(-1e-12) == "0.0%" and show.percent(-0.0) == "0.0%"
    assert show.percent(-0.0006) == "-0.1%"


ENGLISH_WORD = re.compile(r"[A-Za-z_]{3,}")


def visible_text(body: str) -> str:
    without_styles = re.sub(r"<style>.*?</style>", "", body, flags=re.S)  # the header's CSS
    without_images = re.sub(r'src="data:[^"]+"', "", without_styles)
    return html.unescape(re.sub(r"<[^>]+>", " ", without_images))


def test_the_report_is_in_chinese_throughout(small):
    for township in ("甲镇", None):
        a = small.analysis(township)
        body = show.report(a, [lambda a: show.header(a, NO_HISTORY), *show.TOWNSHIP_SECTIONS[1:]]).body
        # File names keep their extension (甲小学.xlsx); nothing else is English or a code.
        words = set(ENGLISH_WORD.findall(visible_text(body))) - {"xlsx", "csv", "forms"}
        assert not words, (township, words)
        assert body.count("<h1") == 1
        assert "送教教师" in body and "工作量(课时)" in body
        assert "学籍/甲小学.xlsx" in body  # the roster folder in Chinese
        assert "三年级" in body and "3年级" not in body


def test_rejected_rows_say_whose_they_are(small):
    jia, yi = (show.data_quality(small.analysis(t)).body for t in ("甲镇", "乙镇"))
    # roster/甲小学.xlsx holds only 甲镇's rows: its rejected row is 甲镇's, shown with the kind and
    # folder in Chinese. The row of t.xlsx (甲镇's and 乙镇's rows) belongs to no township: it is
    # listed once, on the county's page, and each township's page says one more is there.
    assert "年级无法识别" in jia and "年级无法识别" not in yi
    assert "学籍/甲小学.xlsx" in jia and ">学籍<" in jia
    assert "日期无法识别" not in jia and "日期无法识别" not in yi
    assert "只列在全县汇总报告中（本报告另有 1 条）" in jia and "（本报告另有 1 条）" in yi
    county = show.data_quality(small.analysis(None)).body
    assert "日期无法识别" in county and show.UNATTRIBUTED in county


def with_cases(county_pass, rows: list[dict]):
    """The small county again, its case log extended by these 甲镇 events."""
    from support.builders import table

    events = table("cases", [dict(township="甲镇", **row) for row in rows])
    tables = {**county_pass.tables, "cases": pd.concat([county_pass.tables["cases"], events], ignore_index=True)}
    return measure_county(tables, county_pass.params, AS_OF)


@pytest.fixture(scope="module")
def ladder_and_log(small):
    """P1 (6 unexcused days, 9–15 Oct) with an open case and no notice; P2 given a notice on
    26 Sep, due Sun 3 Oct (National Day) → Fri 8 Oct; P6 registered 14 Sep, struck 17 Sep
    with nothing done in between (a false 销号)."""
    return with_cases(small, [
        dict(person_key=Q["P1"], date="2021-10-14", event="登记"),
        dict(person_key=Q["P2"], date="2021-09-20", event="登记"),
        dict(person_key=Q["P2"], date="2021-09-26", event="发出限期复学通知书"),
        dict(person_key=Q["P6"], date="2021-09-14", event="登记", name="甲六"),
        dict(person_key=Q["P6"], date="2021-09-17", event="销号"),
    ]).analysis("甲镇")


def test_top_rung_without_a_notice_is_in_the_daily_list(small, ladder_and_log):
    heading = "日报：连续无故缺勤≥5天，未发限期复学通知书或未登记案件"
    # Without a case: P1's 6 days (≥ 5, the top of 135) have no case at all.
    page = show.escalation(small.analysis("甲镇")).body
    listed = page.split(heading)[1]
    assert "甲*" in listed and "尚未登记辍学案件" in listed and "甲一" not in page
    # With an open case and no notice.
    listed = show.escalation(ladder_and_log).body.split(heading)[1]
    assert "在办案件未发限期复学通知书" in listed and "甲*" in listed
    assert ladder_and_log.metrics["notices_missing"] == 1


def test_false_strikes_are_counted_apart_from_the_clearance(ladder_and_log):
    m = ladder_and_log.metrics
    # 甲镇: P3 returned, P4 died, P5, P1, P2 open, P6 struck → 6 cases, 3 open; closure_rate
    # keeps the contract's (6 − 3) / 6 = 50.0%, and the card says P6's 销号 is no clearance.
    assert (m["cases_total"], m["cases_open"], m["closure_rate"]) == (6, 3, 0.5)
    assert m["cases_struck_unverified"] == 1
    header = show.header(ladder_and_log, NO_HISTORY).body
    assert "另有 1 件销号无结果、销号前无劝返记录，待核实，不算清零" in header
    section = show.cases(ladder_and_log).body
    assert "已销号案件中 1 件销号待核实（无结果、销号前无劝返记录）" in section
    listed = section.split("<h3>销号待核实（无结果、销号前无劝返记录）</h3>")[1].split("<h3>")[0]
    assert "甲*" in listed and "2021-09-17" in listed and "甲六" not in section


def test_moved_deadline_is_said_in_the_open_cases(ladder_and_log):
    section = show.cases(ladder_and_log).body
    assert "10月3日 → 10月8日（遇节假日顺延）" in section
    # The count keeps the contract's calendar days: 15 Oct is 19 days after 26 Sep.
    assert ladder_and_log.metrics["notices_overdue"] == 1


def test_a_four_rung_ladder_shows_every_rung(small):
    import dataclasses

    four = dataclasses.replace(small.params, escalation=(1, 3, 5, 7))
    a = measure_county(small.tables, four, AS_OF).analysis("甲镇")
    page = show.escalation(a).body
    assert "缺勤预警（“1357”分级）" in page and "“135”" not in page
    assert all(f"≥{n} 天" in page for n in (1, 3, 5, 7))
    assert "政府发出限期复学通知书" in page   # the fourth rung's action
    # P1's 6 days are below the top rung 7: nobody owes the notice yet.
    assert a.metrics["escalation"] == {"1": 2, "3": 1, "5": 1, "7": 0} and len(a.notices_missing) == 0
    assert "连续缺勤≥7天" in show.key_groups(a).body


def test_junior_grades_are_named_as_the_county_writes_them(small):
    import dataclasses

    # P2 is in grade 7 at 甲中学 and absent unexcused on 15 Oct: the 135 list and the enrolment
    # table show his grade; the retention sentence names grade 9.
    default = small.analysis("甲镇")
    chuyi = measure_county(small.tables, dataclasses.replace(small.params, junior_grade_names="初一"),
                           AS_OF).analysis("甲镇")
    for section in (show.escalation, show.enrolment):
        assert "七年级" in section(default).body and "初一" not in section(default).body
        assert "初一" in section(chuyi).body and "七年级" not in section(chuyi).body
    assert "本学年初三" in show.rates(chuyi).body and "九年级" not in show.rates(chuyi).body
    assert "三年级" in show.enrolment(chuyi).body  # primary grades keep their names


def test_money_and_hours_keep_their_jiao_and_drop_a_spurious_point_zero(small):
    import dataclasses

    # P1 is the one 送教上门 child: funding due 1 × 687.5 元 = 687.5 元 (never "688").
    params = dataclasses.replace(small.params, home_teaching=dataclasses.replace(
        small.params.home_teaching, funding_per_year=687.5, visits_per_month=2.0, hours_per_visit=3.0))
    page = show.home_teaching(measure_county(small.tables, params, AS_OF).analysis("甲镇")).body
    assert "经费应拨 687.5 元/年" in page and "每月至少 2 次、每次 3 课时" in page
    table = show.masked_table(pd.DataFrame({"due": [1250.0, 687.5], "paid": [625.0, None]}),
                              {"due": "应发(元)", "paid": "实发(元)"})
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells == ["1250", "625", "687.5", ""]


def test_a_long_list_shows_its_first_rows_masked_and_says_how_many_there_are():
    frame = pd.DataFrame({"name": ["张三", "李四", "王五"], "id_number": ["452626201201010011"] * 3,
                          "grade": [7, 8, 9]})
    table = show.masked_table(frame, {"name": "姓名", "id_number": "身份证号", "grade": "年级"}, limit=2)
    assert "张*" in table and "李*" in table and "王" not in table
    assert "452626201201010011" not in table and "八年级" in table and "九年级" not in table
    assert "共 3 人，此处显示前 2 人；完整名单见 表格（forms.xlsx）。" in table  # a list of people
    assert "共" not in show.masked_table(frame, {"name": "姓名"}, limit=3)
    rows = show.masked_table(frame, {"grade": "年级"}, limit=2, sheet="预警名单")  # no names: rows
    assert "共 3 行，此处显示前 2 行；完整名单见 表格（forms.xlsx）「预警名单」。" in rows
    assert show.MAX_ROWS == 20


def test_a_count_against_an_earlier_one_reads_as_a_leader_says_it():
    assert show._change_words("一周前（10月8日）", 3, 6) == "比一周前（10月8日）多 3 件"
    assert show._change_words("上次", 4, 1) == "比上次少 3 件"
    assert show._change_words("一周前（10月8日）", 0, 1) == "一周前（10月8日）没有，新增 1 件"
    assert show._change_words("上次", 2, 2) == "与上次持平"


def test_every_section_is_in_the_contents_and_links_back(small):
    township = measure_county(small.tables, small.params, AS_OF).analysis("甲镇")
    header = show.header(township).body
    assert 'id="top"' in header and 'href="../index.html"' in header
    assert "<strong class=\"kcbx-as-of\">截至 2021-10-15</strong>" in header
    # When the page was made is small print of its own, never mistaken for the data's day.
    assert re.search(r'<p class="kcbx-generated">生成时间 \d{4}-\d\d-\d\d \d\d:\d\d（数据截至 2021-10-15）</p>', header)
    for section in show.TOWNSHIP_SECTIONS[1:]:
        body = section(township).body
        anchor = section.__name__
        assert f'<section class="kcbx-section" id="{anchor}">' in body and 'href="#top"' in body
        assert f'<a href="#{anchor}">{show.CONTENTS[anchor]}</a>' in header
    assert 'href="#ranking"' not in header  # the county's page only
    assert 'href="#ranking"' in show.header(measure_county(small.tables, small.params, AS_OF).analysis(None)).body


# 今日需处理 on hand-made figures: a school day whose absences are in.
QUIET_DAY = {"as_of": "2021-10-15", "is_school_day": True, "absence_data_through": "2021-10-15",
             "notices_missing": 0, "notices_overdue": 0, "early_warning": {"high": 0, "medium": 3},
             "absent_unexcused_today": 0, "out_of_school_suspected": 0}
ACTIONS = {
    "notices_missing": "{n} 名学生连续无故缺勤已达5天，尚未发限期复学通知书或立案（乡镇专干）",
    "notices_overdue": "{n} 份限期复学通知书逾期，学生仍未复学（包保干部）",
    "early_warning": "{n} 名学生辍学风险为“高”，本周内家访（班主任）",
    "absent_unexcused_today": "{n} 名学生今日无故缺勤，当日联系家长（班主任）",
    "out_of_school_suspected": "{n} 名疑似失学儿童待核查（村）",
}


def with_figure(key: str, n: int) -> dict:
    return {**QUIET_DAY, key: {"high": n, "medium": 3} if key == "early_warning" else n}


def test_a_quiet_day_has_nothing_to_do():
    assert show.todays_actions(QUIET_DAY, 5) == []


@pytest.mark.parametrize("key", list(ACTIONS))
def test_each_action_appears_exactly_when_its_figure_is_not_zero(key):
    assert show.todays_actions(with_figure(key, 2), 5) == [ACTIONS[key].format(n=2)]
    assert show.todays_actions(with_figure(key, 0), 5) == []


def test_at_most_five_most_urgent_first_and_no_absence_item_before_the_upload():
    busy = {**QUIET_DAY, "notices_missing": 2, "notices_overdue": 1, "early_warning": {"high": 4},
            "absent_unexcused_today": 3, "out_of_school_suspected": 7}
    assert show.todays_actions(busy, 5) == [ACTIONS[key].format(n=n) for key, n in zip(
        ACTIONS, (2, 1, 4, 3, 7))]
    # Today's absences not uploaded yet: 0 absent means "not in", so no call-the-parents item.
    late = {**busy, "absence_data_through": "2021-10-14", "absent_unexcused_today": 0}
    assert ACTIONS["absent_unexcused_today"].format(n=0) not in show.todays_actions(late, 5)
    assert len(show.todays_actions(late, 7)) == 4 and "已达7天" in show.todays_actions(late, 7)[0]


def test_the_county_names_the_townships_with_most_first():
    busy = {**QUIET_DAY, "notices_overdue": 2, "out_of_school_suspected": 11}
    where = {"notices_overdue": {"城厢镇": 1, "龙合镇": 1, "坡荷乡": 0},
             "out_of_school_suspected": {"城厢镇": 2, "龙合镇": 7, "百都乡": 1, "坡荷乡": 1}}
    assert show.todays_actions(busy, 5, where) == [
        ACTIONS["notices_overdue"].format(n=2) + "：城厢镇 1、龙合镇 1",
        ACTIONS["out_of_school_suspected"].format(n=11) + "：龙合镇 7、城厢镇 2、坡荷乡 1 等 4 个乡镇",
    ]


def test_the_county_items_count_the_same_rows_as_its_figures(small):
    # Each item's townships add up to the county's figure: no child named twice or lost.
    county = measure_county(small.tables, small.params, AS_OF).analysis(None)
    where = show.actions_by_township(county)
    m = county.metrics
    figures = {"notices_missing": m["notices_missing"], "notices_overdue": m["notices_overdue"],
               "warning_high": m["early_warning"]["high"], "absent_today": m["absent_unexcused_today"],
               "out_of_school_suspected": m["out_of_school_suspected"]}
    assert {key: sum(where[key].values()) for key in figures} == figures
    assert sum(1 for n in figures.values() if n) >= 4  # not a vacuous 0 == 0


def test_every_card_says_what_it_counts_retention_too(small):
    county = measure_county(small.tables, small.params, AS_OF).analysis(None)
    detail = county.metrics["retention_detail"]
    card = show.header(county).body.split('data-metric="retention_rate"')[1].split("</div></div>")[0]
    assert (f"本学年九年级 {detail['grade9'] if detail.get('grade9') is not None else '—'} 人 / "
            f"{detail['grade1_year']}学年一年级") in card


@pytest.mark.parametrize(("blockers", "words"), [
    ({"cases_open": 0, "top_rung_without_case": 0, "suspected_unverified": 0}, "已清零"),
    ({"cases_open": 0, "top_rung_without_case": 1, "suspected_unverified": 7},
     "在办案件 0；达5天未立案 1 人；疑似失学待核查 7 人：尚未清零"),
    ({"cases_open": 0, "top_rung_without_case": 0, "suspected_unverified": 2}, "在办案件 0；疑似失学待核查 2 人：尚未清零"),
])
def test_cleared_is_said_only_when_nothing_stands_in_the_way(blockers, words):
    assert show._clearance_blockers_words(blockers, 5) == words


def test_clearance_blockers_count_what_stands_in_the_way(small):
    county = measure_county(small.tables, small.params, AS_OF).analysis(None)
    m, top = county.metrics, max(small.params.escalation)
    at_top = set(county.streaks.loc[county.streaks["streak"] >= top, "person_key"])
    with_case = set(county.cases.loc[county.cases["state"] == "open", "person_key"])
    assert m["clearance_blockers"] == {"cases_open": m["cases_open"],
                                       "top_rung_without_case": len(at_top - with_case),
                                       "suspected_unverified": m["out_of_school_suspected"]}
