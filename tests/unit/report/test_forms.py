"""forms.xlsx of a township and of the county, reopened with openpyxl and checked by hand.

One small county, written canonical-table by canonical-table, goes through the
real ``analyse``; every expected figure below is worked out from these rows.

Term 2021-09-01 – 2022-01-14, as_of Friday 2021-10-15; 1–7 October are the
National Day holidays and Saturday 9 October a make-up school day, so the
school days of 11–15 October are five consecutive ones. Escalation 1/3/5.

城关镇 (the township under test)
  A 张三   城关小学 3年级1班 在读 (and an old 转出 row at 城关中学)
                                                 absent (无故) 15 Oct          → streak 1
  B "=1+1" 在读 at 城关小学 (6年级) AND 城关中学 (7年级) — a duplicate
                                                 absent (旷课) 11–15 Oct       → streak 5
  C "@SUM(A1)" 城关中学 8年级 在读, 脱贫户        病假 15 Oct (excused: not counted);
                                                 生活补助 2021秋 200 < 625 / 2 → 少发
  D        城关中学 9年级 休学
  F 赵六   not on the roster; case 1 at 城关中学: 登记 10 Sep, 家访 15 Sep (written
           twice), 限期复学通知书 20 Sep (法治; due 27 Sep → overdue), 劝返 20 Oct (after as_of)
  G 钱七   not on the roster; case 2 at 城关小学: 登记 5 Sep, 劝返 8 Sep (感召), 复学 12 Sep (插班)
  H 孙八   on the population register only                → 疑似失学
  I 周九   disability register, 送教上门: two 3-hour visits in September
  J 吴十   2020 roster: 城关小学 6年级 毕业, nothing this year → 小升初 missing
河西乡: E 在读 at 河西小学, absent 15 Oct; case 3 (E) open at 河西小学.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from kcbx import schema
from kcbx.analysis.county import analyse
from kcbx.analysis.ranking import ranking_rows
from kcbx.report.excel import workbook_fingerprint
from kcbx.report.forms import form_sheets, school_statistics, write_forms, write_school_age_ledger
from support.builders import OFFICE, autumn_params, typed_ledger

AS_OF = dt.date(2021, 10, 15)
TOWN = "城关镇"
SUBTITLE = "测试县 城关镇  截至 2021-10-15"

ID_A = "45262620120101001X"
ID_B = "452626200901010021"
ID_C = "452626200801010031"
ID_D = "452626200701010091"
ID_E = "452626201001010081"
ID_F = "452626200701010041"
ID_G = "452626200801010051"
ID_H = "452626201001010061"
ID_I = "452626201101010071"
ID_J = "452626200901010101"


def ledger(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order."""
    return typed_ledger(kind, rows, f"{kind}/{TOWN}.xlsx")


def pupil(key, name, school, grade, status="在读", township=TOWN, year=None, class_name="1"):
    return {"school_year": year, "person_key": key, "name": name, "gender": "男", "township": township,
            "school": school, "grade": grade, "class_name": class_name, "status": status}


def child(key, name, village, guardian, phone, township=TOWN, gender="女"):
    return {"person_key": key, "name": name, "gender": gender, "township": township,
            "village": village, "guardian": guardian, "phone": phone}


def absent(day, key, school, kind="无故"):
    return {"date": day, "person_key": key, "school": school, "absence_type": kind,
            "unexcused": kind in schema.UNEXCUSED_TYPES}


def event(key, day, what, township=TOWN, **details):
    return {"person_key": key, "township": township, "date": day, "event": what, **details}


def county_tables(extra_cases: list[dict] = ()) -> dict[str, pd.DataFrame]:
    case_1 = {"name": "赵六", "school": "城关中学", "grade": 8}
    case_2 = {"name": "钱七", "school": "城关小学", "grade": 6}
    tables = {
        "roster": ledger("roster", [
            pupil(ID_A, "张三", "城关小学", 3),
            pupil(ID_A, "张三", "城关中学", 3, status="转出"),
            pupil(ID_B, "=1+1", "城关小学", 6),
            pupil(ID_B, "=1+1", "城关中学", 7),
            pupil(ID_C, "@SUM(A1)", "城关中学", 8),
            pupil(ID_D, "李四", "城关中学", 9, status="休学"),
            pupil(ID_E, "郑五", "河西小学", 4, township="河西乡"),
            pupil(ID_J, "吴十", "城关小学", 6, status="毕业", year=2020),
        ]),
        "population": ledger("population", [
            child(ID_A, "张三", "东村", "张大", "13800000000"),
            child(ID_B, "=1+1", "东村", "王大", "13800000002"),
            child(ID_C, "@SUM(A1)", "西村", "陈大", "13800000003"),
            child(ID_F, "赵六", "东村", "赵大", "13800000001"),
            child(ID_G, "钱七", "南村", "钱大", "13800000007"),
            child(ID_H, "孙八", "北村", "孙大", "13800000008"),
            child(ID_E, "郑五", "河村", "郑大", "13800000005", township="河西乡"),
        ]),
        "poverty": ledger("poverty", [
            {"person_key": ID_C, "name": "@SUM(A1)", "township": TOWN, "category": "脱贫户"},
            {"person_key": ID_F, "name": "赵六", "township": TOWN, "category": "监测户"},
        ]),
        "disability": ledger("disability", [
            {"person_key": ID_I, "name": "周九", "township": TOWN, "disability_type": "肢体",
             "disability_level": "一级", "placement": "送教上门"},
        ]),
        "absence": ledger("absence", [
            *(absent(f"2021-10-{day}", ID_B, "城关中学", "旷课") for day in (11, 12, 13, 14, 15)),
            absent("2021-10-15", ID_A, "城关小学"),
            absent("2021-10-15", ID_C, "城关中学", "病假"),
            absent("2021-10-15", ID_E, "河西小学"),
        ]),
        "cases": ledger("cases", [
            event(ID_G, "2021-09-05", "登记", **case_2, cause="家庭困难", admin_owner="钱干部",
                  edu_owner="钱老师"),
            event(ID_G, "2021-09-08", "劝返", method="感召"),
            event(ID_G, "2021-09-12", "复学", placement="插班"),
            event(ID_F, "2021-09-10", "登记", **case_1, cause="厌学", destination="在家",
                  admin_owner="李乡长", edu_owner="王老师"),
            event(ID_F, "2021-09-15", "家访", note="家长不配合"),
            event(ID_F, "2021-09-15", "家访", note="家长不配合"),  # the same row sent twice
            event(ID_F, "2021-09-20", "发出限期复学通知书", method="法治"),
            event(ID_F, "2021-10-20", "劝返"),  # after as_of
            event(ID_E, "2021-10-01", "登记", township="河西乡", name="郑五", school="河西小学",
                  grade=4, source_file="cases/河西乡.xlsx"),
            *extra_cases,
        ]),
        "home_teaching": ledger("home_teaching", [
            {"person_key": ID_I, "date": "2021-09-06", "hours": 3, "teacher": "刘老师"},
            {"person_key": ID_I, "date": "2021-09-20", "hours": 3, "teacher": "刘老师"},
        ]),
        "subsidy": ledger("subsidy", [
            {"person_key": ID_C, "term": "2021秋", "item": "生活补助", "amount": 200.0},
        ]),
        "enrollment": ledger("enrollment", []),
        "verification": ledger("verification", []),
        "rejected_rows": pd.DataFrame([{
            "kind": "roster", "file": f"roster/{TOWN}.xlsx", "sheet": "Sheet1", "row": 12,
            "column": "身份证号", "value": '=HYPERLINK("http://x")', "reason": "身份证号校验位错误"}]),
        "findings": pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding"]),
    }
    files = [(kind, f"{kind}/{TOWN}.xlsx") for kind in schema.KINDS] + [("cases", "cases/河西乡.xlsx")]
    read = {f"roster/{TOWN}.xlsx": 9}  # 8 accepted + 1 rejected
    tables["ingest_log"] = pd.DataFrame([
        {"kind": kind, "file": file, "rows_read": read.get(file, (tables[kind]["source_file"] == file).sum()),
         "rows_accepted": (tables[kind]["source_file"] == file).sum(),
         "rows_rejected": 1 if file in read else 0, "error": None}
        for kind, file in files])
    return tables


PARAMS = autumn_params(target_date=dt.date(2021, 9, 30), office=OFFICE)
FULL_TITLE = "测试县2021年秋季学期"


@pytest.fixture(scope="module")
def town():
    return analyse(county_tables(), PARAMS, AS_OF, TOWN)


# Earlier runs (Analysis.history): the 周通报 compares with the latest run at least a week
# before as_of (8 Oct); 1 Oct is older, 14 Oct too recent, the county row (township None) no
# township.
EARLIER_RUNS = pd.DataFrame([
    {"as_of": "2021-10-01", "township": TOWN, "cases_open": 5},
    {"as_of": "2021-10-08", "township": None, "cases_open": 9},
    {"as_of": "2021-10-08", "township": TOWN, "cases_open": 3, "cases_open_tuopin": 1,
     "notices_overdue": 0, "enrollment_rate": 0.9, "absent_unexcused_today": 0, "enrolled": 3},
    {"as_of": "2021-10-08", "township": "河西乡", "cases_open": 0, "cases_open_tuopin": 0,
     "notices_overdue": 0, "enrollment_rate": 1.0, "absent_unexcused_today": 0, "enrolled": 1},
    {"as_of": "2021-10-14", "township": TOWN, "cases_open": 7},
]).assign(as_of=lambda runs: pd.to_datetime(runs["as_of"]))


def county_analysis(tables: dict[str, pd.DataFrame], as_of: dt.date = AS_OF):
    """The county's Analysis as a run prepares it: with the townships' ranking and earlier runs."""
    county = analyse(tables, PARAMS, as_of, None)
    county.ranking = ranking_rows(
        [analyse(tables, PARAMS, as_of, township).metrics for township in (TOWN, "河西乡")])
    county.history = EARLIER_RUNS
    return county


@pytest.fixture(scope="module")
def county():
    return county_analysis(county_tables())


@pytest.fixture(scope="module")
def county_workbook(county, tmp_path_factory):
    path = tmp_path_factory.mktemp("county") / "forms.xlsx"
    write_forms(county, path)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def workbook(town, tmp_path_factory):
    path = tmp_path_factory.mktemp("forms") / "forms.xlsx"
    write_forms(town, path)
    return openpyxl.load_workbook(path)


def records(sheet) -> list[dict]:
    """The sheet's table as dicts keyed by the bottom header cell (the top one where merged)."""
    first_col, header_last, last_col, last_row = range_boundaries(sheet.auto_filter.ref)
    grouped = sheet.cell(header_last - 1, 1).value != sheet["A2"].value  # two header rows?
    headers = []
    for col in range(first_col, last_col + 1):
        leaf = sheet.cell(header_last, col).value
        headers.append(leaf if leaf is not None or not grouped else sheet.cell(header_last - 1, col).value)
    return [{header: sheet.cell(row, col).value for col, header in enumerate(headers, start=first_col)}
            for row in range(header_last + 1, last_row + 1)]


def cells(sheet):
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


# --- the workbook ----------------------------------------------------------------------------


SHEETS = ["附件1 统计表", "附件2 辍学学生登记表", "附件3 登记汇总表", "巩固率", "适龄儿童台账", "适龄儿童 休学名单",
          "疑似辍学台账", "辍学台账", "日报 未上报学校", "日报 出勤统计", "日报 未到校学生名册", "预警名单", "送教上门",
          "送教上门 教师工作量",
          "残疾儿童安置台账", "资助核对",
          "小升初", "合规检查", "文书清单", "数据问题", "数据问题 文件读入"]


def test_sheets_in_order_each_with_title_and_subtitle(workbook, county_workbook):
    assert workbook.sheetnames == SHEETS
    # The county's forms add the 资助 乡镇汇总 beside 资助核对, and the 周通报 and the 月调度 before
    # 合规检查 and the data problems; its 文书 are the townships' (文书清单: a township's only).
    subsidy = SHEETS.index("资助核对") + 1
    assert county_workbook.sheetnames == [*SHEETS[:subsidy], "资助 乡镇汇总", *SHEETS[subsidy:-4],
                                          "周通报", "月调度", "合规检查", *SHEETS[-2:]]
    for sheet in workbook.worksheets:
        assert sheet["A1"].value, sheet.title
        assert sheet["A2"].value == SUBTITLE, sheet.title


def test_no_cell_is_a_formula_and_ids_formula_like_text_stay_text(workbook, county_workbook):
    # The rejected row's file (roster/城关镇.xlsx) also holds 河西乡's E: it is on the county's sheet.
    every_cell = [cell for book in (workbook, county_workbook) for sheet in book.worksheets for cell in cells(sheet)]
    assert not [cell.coordinate for cell in every_cell if cell.data_type == "f"]
    by_value = {}
    for cell in every_cell:
        by_value.setdefault(cell.value, cell)
    # Ledger names "=1+1" and "@SUM(A1)", a rejected value "=HYPERLINK(…)": written as text.
    for text in ("=1+1", "@SUM(A1)", '=HYPERLINK("http://x")', ID_A, "13800000001"):
        assert by_value[text].data_type == "s", text


# --- 附件1 -------------------------------------------------------------------------------------


def test_statistics_header_groups_thresholds_and_cases(workbook):
    sheet = workbook["附件1 统计表"]
    # Row 3 holds the groups (merged over their columns), row 4 the leaves.
    row_3 = [cell.value for cell in sheet[3]]
    row_4 = [cell.value for cell in sheet[4]]
    assert row_3[:5] == ["乡镇", "学校", "在读学生(人)", "今日无故缺勤(人)", "连续无故缺勤(人)"]
    assert row_4[4:7] == ["≥1天", "≥3天", "≥5天"]
    # Whole status groups, the children still out first; never one 辍学学生 total (issue 24).
    assert [row_3[col] for col in (7, 8, 12, 15, 21, 24)] == [
        "≥5天未立案(人)", "仍未复学(人)", "已复学(人)", "核减(非辍学)(人)", "已销号待核实(人)", "疑似失学(人)"]
    assert row_4[8:12] == ["合计", "其中脱贫户", "其中其他困难家庭", "其中上学期结转"]
    assert row_3[26:28] == ["脱贫户学生(人)", "其他困难家庭学生(人)"]


def test_statistics_by_school_and_total(workbook, town):
    rows = {(r["乡镇"], r["学校"]): r for r in records(workbook["附件1 统计表"])}
    # 城关中学 < 城关小学 in code-point order (中 U+4E2D, 小 U+5C0F); 合计 last.
    assert list(rows) == [(TOWN, "城关中学"), (TOWN, "城关小学"), ("合计", None)]
    middle, primary, total = rows.values()
    # 在读: 小学 A, B; 中学 B, C (D is 休学). B counts at both schools, once in 合计: A, B, C = 3.
    assert (primary["在读学生(人)"], middle["在读学生(人)"], total["在读学生(人)"]) == (2, 2, 3)
    assert total["在读学生(人)"] == town.metrics["enrolled"] == 3
    # Unexcused today: A (小学 only: not where A is 转出) and B (both); C's 病假 does not
    # count → 2, 1, total 2.
    assert (primary["今日无故缺勤(人)"], middle["今日无故缺勤(人)"], total["今日无故缺勤(人)"]) == (2, 1, 2)
    assert total["今日无故缺勤(人)"] == town.metrics["absent_unexcused_today"]
    # Streaks: A 1, B 5 → ≥1: A, B; ≥3 and ≥5: B only.
    assert [primary[f"≥{n}天"] for n in (1, 3, 5)] == [2, 1, 1]
    assert [middle[f"≥{n}天"] for n in (1, 3, 5)] == [1, 1, 1]
    assert [total[f"≥{n}天"] for n in (1, 3, 5)] == [2, 1, 1] == list(town.metrics["escalation"].values())
    # Poverty: C (在读, 城关中学, 脱贫户); F is on no roster. C is paid 200 of 312.5 → 应发 1, 少发 1.
    assert (middle["脱贫户学生(人)"], primary["脱贫户学生(人)"], total["脱贫户学生(人)"]) == (1, 0, 1)
    assert total["其他困难家庭学生(人)"] == 0
    assert (middle["应发"], middle["少发"], total["应发"], total["少发"]) == (1, 1, 1, 1)
    assert (total["应发"], total["少发"]) == (town.metrics["subsidy_eligible"], town.metrics["subsidy_short"])
    # Case 1 (open) at 城关中学, case 2 (returned) at 城关小学; 河西乡's case is not ours.
    figures = {row["school"]: row for row in school_statistics(town).to_dict("records")}
    assert [(figures[school]["cases_open"], figures[school]["cases_returned"]) for school in ("城关中学", "城关小学", None)] == [
        (1, 0), (0, 1), (1, 1)]
    # 疑似失学 (F, H) by township only: blank on the school rows; F has the open case 1 (其中已立案).
    assert [pd.isna(figures[school]["out_of_school"]) for school in ("城关中学", "城关小学")] == [True, True]
    assert figures[None]["out_of_school"] == 2
    assert figures[None]["out_of_school_with_case"] == 1
    # F (监测户) has the open case: 其中其他困难家庭, not 其中脱贫户.
    assert (figures[None]["cases_open_tuopin"], figures[None]["cases_open_other"]) == (0, 1)


def test_county_statistics_by_township_then_school_with_subtotals(county, county_workbook):
    table = school_statistics(county)
    # Each township's 小计 row after its schools.
    assert list(zip(table["township"], table["school"])) == [
        (TOWN, "城关中学"), (TOWN, "城关小学"), (TOWN, "小计"), ("河西乡", "河西小学"), ("河西乡", "小计"),
        ("合计", None)]
    town_total, west_total, total = (table.iloc[i] for i in (2, 4, 5))
    # 城关镇: enrolled A, B, C (B once, though at two schools); 河西乡: E. Suspected: F, H; none.
    assert (town_total["enrolled"], west_total["enrolled"], total["enrolled"]) == (3, 1, 4)
    assert (town_total["out_of_school"], west_total["out_of_school"], total["out_of_school"]) == (2, 0, 2)
    assert (town_total["cases_open"], town_total["cases_returned"], west_total["cases_open"]) == (1, 1, 1)
    # The county adds E: enrolled A, B, C, E = 4; absent today A, B, E = 3;
    # cases 1, 2, 3 (1 and 3 open, 2 returned).
    assert (total["enrolled"], total["absent_today"], total["cases_open"], total["cases_returned"]) == (4, 3, 2, 1)
    assert total["enrolled"] == county.metrics["enrolled"]
    assert total["out_of_school"] == county.metrics["out_of_school_suspected"]
    assert county_workbook["附件1 统计表"]["A2"].value == "测试县 全县  截至 2021-10-15"


# --- 附件2 and 附件3 -----------------------------------------------------------------------------


def form_values(sheet) -> list[dict]:
    """Each form's label → value (the cell right of the label), forms split at each 姓名 label."""
    forms: list[dict] = []
    for row in sheet.iter_rows():
        for cell in row[:3:2]:  # labels are in columns A and C
            if cell.value == "姓名":
                forms.append({})
            if forms and isinstance(cell.value, str) and cell.font.b:
                forms[-1][cell.value] = sheet.cell(cell.row, cell.column + 1).value
    return forms


def test_one_form_per_case_open_first_with_the_childs_details(workbook):
    sheet = workbook["附件2 辍学学生登记表"]
    forms = form_values(sheet)
    assert len(forms) == 2  # cases 1 and 2 of 城关镇
    first, second = forms
    # Case 1 is open: it comes first although case 2 was opened earlier (5 Sep < 10 Sep).
    assert first["姓名"] == "赵六"
    assert first["身份证号"] == ID_F  # from the population register
    assert first["性别"] == "女"
    assert first["年级班级"] == "8年级"  # the case's grade; F has no roster class
    assert (first["监护人姓名"], first["联系电话"], first["家庭住址"]) == ("赵大", "13800000001", "城关镇东村")
    assert first["辍学(离校)时间"] == dt.datetime(2021, 9, 10)
    assert (first["责任人(教育线)"], first["责任人(政府线)"]) == ("王老师", "李乡长")
    # 帮扶措施: the notice's 法治, then what the 家访 noted.
    assert first["帮扶措施"] == "法治手段兜底；家访：家长不配合"
    assert first["复学时间"] is None  # still open
    assert second["姓名"] == "钱七"
    assert (second["帮扶措施"], second["安置方式"]) == ("讲道理感召", "插班")
    assert second["复学时间"] == dt.datetime(2021, 9, 12)


def test_form_history_lists_each_event_once_up_to_as_of(town):
    form_sheet = form_sheets(town)[1]
    history = form_sheet.forms[0].history
    # 登记, 家访 (its copy left out), notice; the 劝返 of 20 October is after as_of.
    assert list(history["event"]) == ["登记", "家访", "发出限期复学通知书"]
    assert list(history["date"]) == [pd.Timestamp("2021-09-10"), pd.Timestamp("2021-09-15"),
                                     pd.Timestamp("2021-09-20")]
    # Methods are worded as on the form's 处理措施: case 2's 劝返 by 感召.
    returned = form_sheet.forms[1].history
    assert returned.loc[returned["event"] == "劝返", "result"].tolist() == ["讲道理感召"]


def test_summary_sheet_one_line_per_case_with_notice(workbook):
    rows = records(workbook["附件3 登记汇总表"])
    assert [(r["序号"], r["姓名"], r["当前状态"]) for r in rows] == [
        (1, "赵六", "在办(未复学)"), (2, "钱七", "已复学")]
    open_case = rows[0]
    # Notice of 20 Sep, due 27 Sep (7 days); 15 Oct is past it → 逾期 是. 2 attempts: 家访, notice.
    assert (open_case["最近发出"], open_case["复学期限"], open_case["逾期"]) == (
        dt.datetime(2021, 9, 20), dt.datetime(2021, 9, 27), "是")
    assert open_case["劝返次数"] == 2
    assert open_case["身份证号"] == ID_F and open_case["劝返方式"] == "法治手段兜底"
    assert rows[1]["逾期"] is None  # no notice sent


# --- the three ledgers ---------------------------------------------------------------------------


def test_school_age_ledger_says_who_is_at_school(workbook, town):
    rows = {r["身份证号"]: r for r in records(workbook["适龄儿童台账"])}
    assert set(rows) == {ID_A, ID_B, ID_C, ID_F, ID_G, ID_H} == set(town.school_age["person_key"])
    assert rows[ID_A]["就学情况"] == "在读（城关小学）"
    assert rows[ID_B]["就学情况"] == "在读（城关小学）、在读（城关中学）"
    assert rows[ID_H]["就学情况"] == "疑似失学：无学籍" and rows[ID_H]["疑似失学"] == "是"
    assert rows[ID_F]["就学情况"] == "疑似失学：无学籍；有在办辍学案件"
    # G returned to school (case 2): not suspected, though on no roster of ours.
    assert rows[ID_G]["疑似失学"] == "否"
    assert rows[ID_A]["年龄"] == 9  # born 2012-01-01, age on 31 Aug 2021


def test_the_county_forms_sum_the_school_age_ledger_by_township(county_workbook):
    sheet = county_workbook["适龄儿童台账"]
    values = list(sheet.iter_rows(min_row=3, values_only=True))
    assert values[0][:4] == ("序号", "乡镇", "适龄儿童", "其中")
    # Between 有去向佐证 and 休学, the standings a verification gives (none here: no 核查 ledger).
    assert values[1][3:14] == ("本乡镇在校", "外乡镇就读", "已完成义务教育", "有去向佐证", "在外地就读", "延缓入学",
                               "免学", "死亡", "户籍迁出", "休学", "疑似失学")
    # 城关镇: A, B, C at school; G's case has proof of where he went; F and H suspected.
    # (D, 休学, is on no household register: 休学 0.)
    assert values[2][:14] == (1, "城关镇", 6, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2)
    assert values[3][:14] == (2, "河西乡", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert values[4][:14] == (None, "全县", 7, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2)
    assert "适龄儿童台账.xlsx" in " ".join(str(v[0]) for v in values[5:])


def test_the_county_s_whole_ledger_is_its_own_workbook_kept_while_unchanged(county, tmp_path):
    ledger = tmp_path / "适龄儿童台账.xlsx"
    assert write_school_age_ledger(county, ledger)
    rows = records(openpyxl.load_workbook(ledger)["适龄儿童台账"])
    assert {r["身份证号"] for r in rows} == set(county.school_age["person_key"]) and len(rows) == 7
    written = ledger.stat().st_mtime_ns
    assert not write_school_age_ledger(county, ledger) and ledger.stat().st_mtime_ns == written

    # The previous run's copy, lent as a hard link: a changed child rewrites this folder's
    # file and leaves the previous run's untouched.
    previous = tmp_path / "previous.xlsx"
    previous.hardlink_to(ledger)
    renamed = dataclasses.replace(county, school_age=county.school_age.assign(
        name=county.school_age["name"].replace("张三", "张三丰")))
    assert write_school_age_ledger(renamed, ledger)
    assert "张三丰" in {r["姓名"] for r in records(openpyxl.load_workbook(ledger)["适龄儿童台账"])}
    assert "张三丰" not in {r["姓名"] for r in records(openpyxl.load_workbook(previous)["适龄儿童台账"])}
    assert workbook_fingerprint(previous) != workbook_fingerprint(ledger) is not None


def test_a_workbook_without_a_fingerprint_has_none(tmp_path):
    (tmp_path / "not.xlsx").write_text("no workbook")
    assert workbook_fingerprint(tmp_path / "not.xlsx") is None
    assert workbook_fingerprint(tmp_path / "missing.xlsx") is None


def test_suspected_ledger_lists_out_of_school_then_top_level_absentees(workbook):
    rows = records(workbook["疑似辍学台账"])
    assert [(r["类型"], r["身份证号/学籍号"]) for r in rows] == [
        ("户籍比对：疑似失学", ID_F), ("户籍比对：疑似失学", ID_H), ("连续无故缺勤≥5天", ID_B)]
    b = rows[2]
    assert (b["姓名"], b["学校"], b["连续无故缺勤(天)"], b["缺勤起始日"]) == (
        "=1+1", "城关小学", 5, dt.datetime(2021, 10, 11))
    assert b["应采取措施"] == "报告乡镇政府和教育局" and b["情况"] == "尚未登记辍学案件"


def test_case_ledger_keeps_case_table_order_and_states(workbook):
    rows = records(workbook["辍学台账"])
    # Case-table order: by date opened (5 Sep, then 10 Sep).
    assert [(r["姓名"], r["当前状态"], r["结果"]) for r in rows] == [
        ("钱七", "已复学", "复学"), ("赵六", "在办(未复学)", None)]
    assert rows[0]["结果日期"] == dt.datetime(2021, 9, 12)
    assert rows[1]["案件编号"] == f"{ID_F}#1"
    assert rows[1]["需核实"] is None  # registered, both owners named


# --- 日报, 送教上门, 资助, 小升初, 数据问题 ------------------------------------------------------------


def test_daily_list_of_absent_pupils_with_streak_and_action(workbook):
    rows = records(workbook["日报 未到校学生名册"])
    # B's first roster row is at 城关小学 (6年级), A at 城关小学 3年级: sorted by school, grade.
    assert [(r["姓名"], r["年级"], r["连续无故缺勤(天)"], r["应采取措施"]) for r in rows] == [
        ("张三", 3, 1, "班主任劝返"), ("=1+1", 6, 5, "报告乡镇政府和教育局")]
    assert rows[0]["身份证号"] == ID_A and rows[0]["联系电话"] == "13800000000"
    assert rows[1]["缺勤类型"] == "旷课"


def test_daily_list_says_when_today_s_absences_are_not_uploaded(workbook, tmp_path):
    # The absences end on Fri 15 Oct: on that day, no warning; on Mon 18 Oct, a school day
    # with no absence row yet, the empty list says the data is not in, right under the header.
    assert not any("尚未上报" in str(cell.value) for cell in cells(workbook["日报 未到校学生名册"]))
    write_forms(analyse(county_tables(), PARAMS, dt.date(2021, 10, 18), TOWN), tmp_path / "forms.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "forms.xlsx")["日报 未到校学生名册"]
    assert records(sheet) == []
    _, header_last, _, _ = range_boundaries(sheet.auto_filter.ref)
    assert sheet.cell(header_last + 1, 1).value == "今日缺勤数据尚未上报（最近上报：10月15日）"


def test_home_teaching_month_and_teacher_workload(workbook):
    months = records(workbook["送教上门"])
    # As of 15 Oct only September has ended: 2 visits, 6 hours → 达标.
    assert [(r["姓名"], r["月份"], r["送教次数"], r["课时"], r["达标"]) for r in months] == [
        ("周九", "2021-09", 2, 6, "是")]
    notes = [cell.value for cell in cells(workbook["送教上门"]) if "经费" in str(cell.value)]
    assert notes == ["应拨付送教经费 6,000 元/年（1 人 × 6,000 元）。"]
    teachers = records(workbook["送教上门 教师工作量"])
    # 2 visits × 4 workload hours = 8.
    assert [(r["送教教师"], r["送教次数"], r["授课课时"], r["计工作量课时"]) for r in teachers] == [
        ("刘老师", 2, 6, 8)]


def test_subsidy_check(workbook):
    rows = records(workbook["资助核对"])
    # C: 8年级 → 初中, not boarding: 625 a year, 312.5 a term; 200 paid → 112.5 short.
    assert [(r["姓名"], r["学段"], r["寄宿"], r["应发(元)"], r["实发(元)"], r["少发(元)"], r["是否足额"])
            for r in rows] == [("@SUM(A1)", "初中", "否", 312.5, 200, 112.5, "否")]


def test_transition_lists_last_years_grade_6(workbook):
    rows = records(workbook["小升初"])
    assert [(r["姓名"], r["原小学"], r["上学年学籍状态"]) for r in rows] == [("吴十", "城关小学", "毕业")]


def test_transition_without_last_years_roster_says_so(town, tmp_path):
    path = tmp_path / "forms.xlsx"
    write_forms(dataclasses.replace(town, transition=None), path)
    sheet = openpyxl.load_workbook(path)["小升初"]
    assert records(sheet) == []
    assert any("缺少上一学年的学籍台账" in str(cell.value) for cell in cells(sheet))


def test_data_problems_and_files_read(workbook, county_workbook, town):
    problems = records(workbook["数据问题"])
    # roster/城关镇.xlsx also holds 河西乡's E: its rejected row, of no known township, is listed
    # once, on the county's sheet; the township's says so.
    assert [r for r in problems if r["类型"] == "拒绝"] == []
    assert "另有 1 条问题所在文件涉及多个乡镇、无法确定属于哪个乡镇，只列在全县 forms.xlsx 的「数据问题」中。" \
        in sheet_text(workbook["数据问题"])
    rejected = [r for r in records(county_workbook["数据问题"]) if r["类型"] == "拒绝"]
    assert [(r["台账"], r["行号"], r["列"], r["原因"]) for r in rejected] == [
        ("学籍", 12, "身份证号", "身份证号校验位错误")]
    # The repeated 家访 row of case 1 is accepted, counted once, and listed as a finding.
    hints = [r["原因"] for r in problems if r["类型"] == "提示"]
    assert "重复的劝返事件：与前面一行完全相同, 只计一次" in hints
    files = {r["文件"]: r for r in records(workbook["数据问题 文件读入"])}
    assert (files[f"roster/{TOWN}.xlsx"]["读入"], files[f"roster/{TOWN}.xlsx"]["接受"],
            files[f"roster/{TOWN}.xlsx"]["拒绝"]) == (9, 8, 1)
    assert "cases/河西乡.xlsx" not in files  # another township's file


def test_early_warning_list_with_full_identities_and_each_rule(workbook):
    # 城关镇 on 15 Oct (window: the 20 school days from 14 Sep). B is scored by his first 在读
    # row (城关小学, grade 6; born 2009: 12 = 6 + 5 + 1, not over-age): 旷课 11–15 Oct, 5 days ->
    # unexcused 3 + attendance (5 / 20) 2 = 5, high. A: 1 / 20 absent, 0. C (grade 8, 脱贫户):
    # key group + grade = 2, 病假 1 / 20: below medium. D is 休学; F, G are on no roster.
    rows = records(workbook["预警名单"])
    assert rows == [{"序号": 1, "乡镇": TOWN, "学校": "城关小学", "年级": 6, "班级": "1", "姓名": "=1+1",
                     "身份证号": ID_B, "监护人": "王大", "联系电话": "13800000002", "家庭类别": None, "分数": 5,
                     "等级": "高",
                     "出勤率低": "是", "无故缺勤多": "是", "曾辍学复学": "否", "超龄": "否", "重点群体": "否",
                     "关键年级": "否"}]
    sheet = workbook["预警名单"]
    name = next(cell for cell in cells(sheet) if cell.value == "=1+1")
    assert name.data_type == "s"  # text, never a formula
    notes = [cell.value for cell in cells(sheet) if isinstance(cell.value, str)]
    assert any(note.startswith("在读且没有在办辍学案件的学生，按下列规则计分") for note in notes)
    assert any("班主任当天联系监护人" in note for note in notes)


def test_a_township_with_nothing_to_report_still_gets_every_sheet(tmp_path):
    # No roster, register, absence or case row names 无名乡: every table is empty, 附件1 is
    # only its 合计 row of zeros, and 附件2 says there is no form.
    empty = analyse(county_tables(), PARAMS, AS_OF, "无名乡")
    write_forms(empty, tmp_path / "forms.xlsx")
    book = openpyxl.load_workbook(tmp_path / "forms.xlsx")
    assert book.sheetnames == SHEETS
    total = records(book["附件1 统计表"])
    assert len(total) == 1 and total[0]["乡镇"] == "合计" and total[0]["在读学生(人)"] == 0
    assert any(cell.value == "本期无辍学学生" for cell in cells(book["附件2 辍学学生登记表"]))
    assert records(book["附件3 登记汇总表"]) == []


# --- forms an officer would sign ---------------------------------------------------------------


def sheet_text(sheet) -> list[str]:
    return [str(cell.value) for cell in cells(sheet)]


def test_family_category_on_every_case_form_and_the_school_age_ledger(workbook):
    # Item 5. F (赵六) is 监测户 in the poverty register (no roster row: the register's category);
    # C is 脱贫户 (在读: the subsidy check's category); the others are in no register: blank.
    first, second = form_values(workbook["附件2 辍学学生登记表"])
    assert (first["姓名"], first["家庭类别"], second["家庭类别"]) == ("赵六", "监测户", None)
    assert [(r["姓名"], r["家庭类别"]) for r in records(workbook["附件3 登记汇总表"])] == [
        ("赵六", "监测户"), ("钱七", None)]
    assert [(r["姓名"], r["家庭类别"]) for r in records(workbook["辍学台账"])] == [
        ("钱七", None), ("赵六", "监测户")]
    school_age = {r["身份证号"]: r["家庭类别"] for r in records(workbook["适龄儿童台账"])}
    assert (school_age[ID_C], school_age[ID_F], school_age[ID_A], school_age[ID_H]) == (
        "脱贫户", "监测户", None, None)
    suspected = {r["身份证号/学籍号"]: r["家庭类别"] for r in records(workbook["疑似辍学台账"])}
    assert suspected == {ID_F: "监测户", ID_H: None, ID_B: None}


ID_K, ID_L, ID_M, ID_N = "452626200901010111", "452626200901010121", "452626200901010131", "452626200901010141"
# Four more 城关镇 cases, one per remaining state, and a second case of G (钱七), open.
MORE_CASES = [
    event(ID_K, "2021-09-06", "登记", name="韩一", school="城关中学", grade=7),
    event(ID_K, "2021-09-20", "转学"),
    event(ID_L, "2021-09-07", "登记", name="杨二", school="城关小学", grade=5),
    event(ID_L, "2021-09-25", "死亡"),
    event(ID_M, "2021-09-08", "登记", name="朱三", school="城关中学", grade=8),
    event(ID_M, "2021-09-17", "销号"),
    event(ID_N, "2021-09-09", "登记", name="秦四", school="城关小学", grade=3),
    event(ID_N, "2021-09-30", "送教上门"),
    event(ID_G, "2021-10-11", "登记", name="钱七", school="城关中学", grade=7),
]


@pytest.fixture(scope="module")
def every_state(tmp_path_factory):
    path = tmp_path_factory.mktemp("states") / "forms.xlsx"
    town = analyse(county_tables(MORE_CASES), PARAMS, AS_OF, TOWN)
    write_forms(town, path)
    return town, openpyxl.load_workbook(path)


def test_statistics_count_children_in_every_case_state_in_groups_that_do_not_overlap(every_state):
    # Item 6. Seven cases of six children: G counts once, by the latest case (open, 城关中学),
    # no longer as returned at 城关小学.
    town, _ = every_state
    rows = {row["school"]: row for row in school_statistics(town).to_dict("records")}
    middle, primary, total = rows["城关中学"], rows["城关小学"], rows[None]
    # 城关中学: F, G open; K transferred (核减); M struck without outcome. 城关小学: L died, N home
    # teaching (both 核减).
    groups = ["cases_open", "cases_returned", "cases_deducted", "cases_closed"]
    assert [middle[group] for group in groups] == [2, 0, 1, 1]
    assert [primary[group] for group in groups] == [0, 0, 2, 0]
    assert [total[group] for group in groups] == [2, 0, 3, 1]
    assert [total[f"cases_{state}"] for state in ("home_teaching", "transferred", "died")] == [1, 1, 1]
    assert town.metrics["cases_total"] == 7  # cases, not children: G has two
    # F is 监测户, G in no register: no 脱贫户 child is still out, one of another category.
    assert (total["cases_open_tuopin"], total["cases_open_other"]) == (0, 1)


def test_summary_columns_in_the_order_officers_file_them(workbook, every_state):
    # Item 8. 乡镇, 学校, 姓名 first; 村, 监护人, 联系电话, 去向, 复学时间, 销号时间 added.
    sheet = workbook["附件3 登记汇总表"]
    _, header_last, last_col, _ = range_boundaries(sheet.auto_filter.ref)
    headers = [sheet.cell(header_last - 1, col).value or sheet.cell(header_last, col).value
               for col in range(1, 5)]
    assert headers == ["序号", "乡镇", "学校", "姓名"]
    zhao, qian = records(sheet)
    assert (zhao["乡镇"], zhao["学校"], zhao["村(社区)"], zhao["监护人"], zhao["联系电话"], zhao["去向"]) == (
        TOWN, "城关中学", "东村", "赵大", "13800000001", "在家")
    assert (zhao["复学时间"], zhao["销号时间"]) == (None, None)
    assert qian["复学时间"] == dt.datetime(2021, 9, 12)
    _, book = every_state
    struck = [r for r in records(book["附件3 登记汇总表"]) if r["姓名"] == "朱三"]
    assert [(r["当前状态"], r["销号时间"]) for r in struck] == [("已销号(无结果)", dt.datetime(2021, 9, 17))]


def test_every_official_sheet_has_a_full_title_and_the_sign_off_block(workbook, county_workbook):
    # Item 7. A township's forms leave the unit, preparer and phone to the township; the county's
    # come from params office. Data problems are no official form: no block.
    blank = "__________"
    for book, signoff in (
            (workbook, f"填报单位（盖章）：{blank}　　填报人：{blank}　　联系电话：{blank}　　填报日期：2021-10-15"),
            (county_workbook, "填报单位（盖章）：测试县教育局　　填报人：王某　　联系电话：0776-6821234　　"
                              "填报日期：2021-10-15")):
        for sheet in book.worksheets:
            signed = sheet_text(sheet).count(signoff)
            if sheet.title.startswith("数据问题"):
                assert signed == 0, sheet.title
            elif sheet.title == "附件2 辍学学生登记表":
                # Every form is signed, by the guardian too.
                assert sheet_text(sheet).count(f"监护人签字：{blank}　　{signoff}") == len(form_values(sheet))
            else:
                assert signed == 1, sheet.title
                assert sheet["A1"].value.split(" ")[-1].startswith(FULL_TITLE), sheet.title
    assert workbook["附件1 统计表"]["A1"].value == f"附件1 {FULL_TITLE}控辍保学专项行动统计表"
    assert workbook["附件3 登记汇总表"]["A1"].value == f"附件3 {FULL_TITLE}义务教育阶段辍学学生登记汇总表"


def test_daily_attendance_per_school_and_the_county_roll_by_township(workbook, county_workbook):
    # Item 9. 应到 = 在读 pupils: 城关中学 B, C; 城关小学 A, B; 合计 A, B, C (B once). On 15 Oct
    # B is 旷课 and A 无故 (无故 1 and 2, as in 附件1), C 病假 at 城关中学; nobody 事假. 缺勤合计:
    # 城关中学 B, C; 城关小学 A, B; 合计 3. 实到 = 应到 − 缺勤合计 = 0 everywhere.
    rows = records(workbook["日报 出勤统计"])
    assert [(r["学校"], r["应到(人)"], r["无故"], r["病假"], r["事假"], r["合计"], r["实到(人)"]) for r in rows] == [
        ("城关中学", 2, 1, 1, 0, 2, 0), ("城关小学", 2, 2, 0, 0, 2, 0), (None, 3, 2, 1, 0, 3, 0)]
    county_rows = records(county_workbook["日报 出勤统计"])
    assert [(r["乡镇"], r["学校"], r["应到(人)"], r["无故"]) for r in county_rows] == [
        (TOWN, "城关中学", 2, 1), (TOWN, "城关小学", 2, 2), (TOWN, "小计", 3, 2),
        ("河西乡", "河西小学", 1, 1), ("河西乡", "小计", 1, 1), ("合计", None, 4, 3)]
    roll = records(county_workbook["日报 未到校学生名册"])
    assert [(r["乡镇"], r["学校"], r["姓名"]) for r in roll] == [
        (TOWN, "城关小学", "张三"), (TOWN, "城关小学", "=1+1"), ("河西乡", "河西小学", "郑五")]
    assert "乡镇" not in records(workbook["日报 未到校学生名册"])[0]  # a township's roll: one township


def test_weekly_bulletin_ranks_townships_with_the_change_over_a_week(county_workbook):
    # Item 10. This week: 城关镇 1 open case (F, 监测户), 1 overdue notice, 入学率 4/6 (F, H
    # suspected); 河西乡 1 open case (E), 入学率 1/1. Equal open cases share rank 1, by name (城
    # before 河: ranking.ranked). A week before (8 Oct): 城关镇 3 open, 1 脱贫户, 0 overdue, 90%;
    # 河西乡 0, 0, 0, 100%.
    sheet = county_workbook["周通报"]
    rows = records(sheet)
    assert [r["乡镇"] for r in rows] == [TOWN, "河西乡"]
    town, west = rows
    row_4 = [cell.value for cell in sheet[4]]
    assert row_4[2:4] == ["本周", "较上周"]
    assert (town["排名"], town["上周排名"], west["排名"], west["上周排名"]) == (1, 1, 1, 2)
    changes = [cell.value for cell in sheet[5]][2:10]
    # open, its change; 脱贫户 (F is 监测户: 0), change; overdue, change
    assert changes[:6] == [1, -2, 0, -1, 1, 1]
    assert changes[6] == pytest.approx(4 / 6) and changes[7] == pytest.approx(4 / 6 - 0.9)
    west_changes = [cell.value for cell in sheet[6]][2:10]
    assert west_changes[:6] == [1, 1, 0, 0, 0, 0] and west_changes[7] == 0
    assert "较上周：各乡镇与 2021-10-08 的运行结果（上周运行结果）相比。" in sheet_text(sheet)


def test_weekly_bulletin_without_a_run_a_week_before(tmp_path):
    county = county_analysis(county_tables())
    county.history = EARLIER_RUNS[EARLIER_RUNS["as_of"] > pd.Timestamp("2021-10-08")]
    write_forms(county, tmp_path / "forms.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "forms.xlsx")["周通报"]
    # The case log replayed to 8 Oct (tests/unit/report/test_bulletin_sheet.py): F and E open, 1 each.
    assert [(r["乡镇"], r["上周排名"]) for r in records(sheet)] == [(TOWN, 1), ("河西乡", 1)]
    assert [cell.value for cell in sheet[5]][3] == 0
    assert records(sheet)[0]["较上周依据"] == "按劝返台账回溯（2021-10-08）"


def test_home_teaching_running_total_against_the_yearly_target_and_disability(tmp_path):
    # Item 11. As of 15 November September and October have ended: 6 hours, then none;
    # the running total stays 6, 54 short of 60. 周九: 肢体, 一级.
    write_forms(analyse(county_tables(), PARAMS, dt.date(2021, 11, 15), TOWN), tmp_path / "forms.xlsx")
    rows = records(openpyxl.load_workbook(tmp_path / "forms.xlsx")["送教上门"])
    assert [(r["月份"], r["残疾类别"], r["残疾等级"], r["课时"], r["累计课时"], r["距60课时尚差"], r["达标"])
            for r in rows] == [("2021-09", "肢体", "一级", 6, 6, 54, "是"),
                               ("2021-10", "肢体", "一级", 0, 6, 54, "否")]


def test_money_keeps_its_jiao_and_hours_their_plain_form(tmp_path, workbook):
    # Item 12. 687.5 yuan a year is printed 687.5, never 688; whole hours and yuan without ".0".
    params = dataclasses.replace(PARAMS, home_teaching=dataclasses.replace(PARAMS.home_teaching, funding_per_year=687.5))
    write_forms(analyse(county_tables(), params, AS_OF, TOWN), tmp_path / "forms.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "forms.xlsx")["送教上门"]
    assert "应拨付送教经费 687.5 元/年（1 人 × 687.5 元）。" in sheet_text(sheet)
    assert "标准：每月至少 2 次、每次 3 课时，每学年不少于 60 课时。" in sheet_text(sheet)
    subsidy = workbook["资助核对"]
    assert any("年标准（元）：寄宿生 小学 1,000、初中 1,250；非寄宿生 小学 500、初中 625。" in text
               for text in sheet_text(subsidy))
    due = [cell for cell in cells(subsidy) if cell.value == 312.5]
    assert due and all(cell.number_format == "General" for cell in due)


# --- the 1357 ladder and the case log ----------------------------------------------------------


@pytest.fixture(scope="module")
def ladder_workbook(tmp_path_factory):
    """城关镇 with three more cases: B (5 days of 旷课, 11–15 Oct) registered 13 Oct, no notice;
    D registered 14 Sep and struck 17 Sep with nothing done between; H registered 20 Sep and
    given a notice on 26 Sep (+7 days: Sun 3 Oct, National Day → Fri 8 Oct)."""
    tables = county_tables([
        event(ID_B, "2021-10-13", "登记", name="=1+1", school="城关中学", grade=7),
        event(ID_D, "2021-09-14", "登记", name="李四", school="城关中学", grade=9),
        event(ID_D, "2021-09-17", "销号"),
        event(ID_H, "2021-09-20", "登记", name="孙八"),
        event(ID_H, "2021-09-26", "发出限期复学通知书"),
    ])
    path = tmp_path_factory.mktemp("ladder") / "forms.xlsx"
    write_forms(analyse(tables, PARAMS, AS_OF, TOWN), path)
    return openpyxl.load_workbook(path)


def test_top_rung_without_a_notice_in_the_daily_sheet_and_the_suspected_ledger(workbook, ladder_workbook):
    # No case for B: "尚未登记辍学案件"; A (1 day) is below the top rung 5.
    daily = {r["姓名"]: r for r in records(workbook["日报 未到校学生名册"])}
    assert (daily["=1+1"]["最高一级未落实"], daily["张三"]["最高一级未落实"]) == ("尚未登记辍学案件", None)
    # An open case since 13 Oct and no notice.
    daily = {r["姓名"]: r for r in records(ladder_workbook["日报 未到校学生名册"])}
    assert daily["=1+1"]["最高一级未落实"] == "在办案件未发限期复学通知书"
    suspected = [r for r in records(ladder_workbook["疑似辍学台账"]) if r["类型"] == "连续无故缺勤≥5天"]
    assert [(r["身份证号/学籍号"], r["情况"]) for r in suspected] == [(ID_B, "在办案件未发限期复学通知书")]


def test_a_false_strike_needs_checking_in_the_case_ledger(ladder_workbook):
    rows = {r["姓名"]: r for r in records(ladder_workbook["辍学台账"])}
    # No owner named on D's events either: both problems, in the ledger's order.
    assert (rows["李四"]["当前状态"], rows["李四"]["需核实"]) == ("已销号(无结果)", "缺包保责任人、销号无结果无劝返")
    assert rows["赵六"]["需核实"] is None   # open, 家访 and a notice


def test_a_deadline_on_a_holiday_moves_and_the_forms_say_so(ladder_workbook):
    for sheet in ("附件3 登记汇总表", "辍学台账"):
        rows = {r["姓名"]: r for r in records(ladder_workbook[sheet])}
        h = rows["孙八"]
        assert (h["最近发出"], h["复学期限"], h["期限顺延"]) == (
            dt.datetime(2021, 9, 26), dt.datetime(2021, 10, 8), "10月3日 → 10月8日（遇节假日顺延）")
        # 赵六's notice of 20 Sep is due Mon 27 Sep, a school day: nothing moves.
        assert (rows["赵六"]["复学期限"], rows["赵六"]["期限顺延"]) == (dt.datetime(2021, 9, 27), None)
        # Overdue in calendar days as metrics.json counts it: 15 Oct is 19 days after 26 Sep.
        assert h["逾期"] == "是"
    forms = {form["姓名"]: form for form in form_values(ladder_workbook["附件2 辍学学生登记表"])}
    # 复学期限 is a date on the form too; the move is noted on the notice's 劝返记录 row.
    assert (forms["孙八"]["限期复学通知书"], forms["孙八"]["时限(复学期限)"]) == (
        dt.datetime(2021, 9, 26), dt.datetime(2021, 10, 8))
    assert "复学期限 10月3日 → 10月8日（遇节假日顺延）" in sheet_text(ladder_workbook["附件2 辍学学生登记表"])
    assert (forms["赵六"]["限期复学通知书"], forms["赵六"]["时限(复学期限)"]) == (
        dt.datetime(2021, 9, 20), dt.datetime(2021, 9, 27))


def test_a_four_rung_ladder_has_a_column_for_every_rung(tmp_path):
    four = dataclasses.replace(PARAMS, escalation=(1, 3, 5, 7))
    path = tmp_path / "forms.xlsx"
    write_forms(analyse(county_tables(), four, AS_OF, TOWN), path)
    book = openpyxl.load_workbook(path)
    row_3, row_4 = ([cell.value for cell in book["附件1 统计表"][row]] for row in (3, 4))
    assert row_4[4:8] == ["≥1天", "≥3天", "≥5天", "≥7天"]
    assert row_3[8] == "≥7天未立案(人)"
    total = records(book["附件1 统计表"])[-1]
    # A (1 day) and B (5 days): two pupils ≥1, B ≥3 and ≥5, nobody ≥7.
    assert [total[f"≥{n}天"] for n in (1, 3, 5, 7)] == [2, 1, 1, 0]
    # The top rung is now 7: B's 5 days owe no notice yet.
    assert not [r for r in records(book["疑似辍学台账"]) if r["类型"].startswith("连续无故缺勤")]
    assert all(r["最高一级未落实"] is None for r in records(book["日报 未到校学生名册"]))
