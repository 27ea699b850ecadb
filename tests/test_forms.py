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
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from kcbx import schema
from kcbx.metrics import analyse
from kcbx.params import Params
from kcbx.report.forms import form_sheets, school_statistics, write_forms
from kcbx.store import typed

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
    frame = pd.DataFrame(rows, columns=schema.columns(kind))
    frame["person_key"] = frame.get("person_key", frame.get("id_number"))
    if "id_number" in frame.columns:
        frame["id_number"] = frame["person_key"]
    frame["source_file"] = frame["source_file"].astype(object).fillna(f"{kind}/{TOWN}.xlsx")
    frame["source_sheet"] = frame["source_sheet"].astype(object).fillna("Sheet1")
    frame["source_row"] = range(3, 3 + len(frame))
    for flag in ("boarding", "left_behind", "migrant", "unexcused"):
        if flag in frame.columns:
            frame[flag] = frame[flag].astype(object).fillna(False)
    columns = schema.MODELS[kind].columns
    return pd.DataFrame({name: typed(frame[name], column) for name, column in columns.items()})


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


def county_tables() -> dict[str, pd.DataFrame]:
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
        ]),
        "home_teaching": ledger("home_teaching", [
            {"person_key": ID_I, "date": "2021-09-06", "hours": 3, "teacher": "刘老师"},
            {"person_key": ID_I, "date": "2021-09-20", "hours": 3, "teacher": "刘老师"},
        ]),
        "subsidy": ledger("subsidy", [
            {"person_key": ID_C, "term": "2021秋", "item": "生活补助", "amount": 200.0},
        ]),
        "enrollment": ledger("enrollment", []),
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


PARAMS = Params(
    path=Path("params/test.yaml"), county="测试县", county_code="452626",
    ledgers=Path("ledgers"), store=Path("build/test.duckdb"), outputs=Path("outputs"),
    term_start=dt.date(2021, 9, 1), term_end=dt.date(2022, 1, 14),
    escalation=(1, 3, 5), notice_days=7, target_date=dt.date(2021, 9, 30),
)


@pytest.fixture(scope="module")
def town():
    return analyse(county_tables(), PARAMS, AS_OF, TOWN)


@pytest.fixture(scope="module")
def county():
    return analyse(county_tables(), PARAMS, AS_OF, None)


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


def test_sheets_in_order_each_with_title_and_subtitle(workbook):
    assert workbook.sheetnames == [
        "附件1 统计表", "附件2 辍学学生登记表", "附件3 登记汇总表", "适龄儿童台账", "疑似辍学台账",
        "辍学台账", "日报 未到校学生名册", "送教上门", "送教上门 教师工作量", "资助核对", "小升初",
        "数据问题", "数据问题 文件读入",
    ]
    for sheet in workbook.worksheets:
        assert sheet["A1"].value, sheet.title
        assert sheet["A2"].value == SUBTITLE, sheet.title


def test_no_cell_is_a_formula_and_ids_formula_like_text_stay_text(workbook):
    every_cell = [cell for sheet in workbook.worksheets for cell in cells(sheet)]
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
    assert row_3[:5] == ["乡镇", "学校", "在校生数(在读)", "今日无故缺勤", "连续无故缺勤(人)"]
    assert row_4[4:10] == ["≥1天", "≥3天", "≥5天", "在办", "已复学", "合计"]
    assert row_3[7] == "辍学案件(件)"


def test_statistics_by_school_and_total(workbook, town):
    rows = {(r["乡镇"], r["学校"]): r for r in records(workbook["附件1 统计表"])}
    # 城关中学 < 城关小学 in code-point order (中 U+4E2D, 小 U+5C0F); 合计 last.
    assert list(rows) == [(TOWN, "城关中学"), (TOWN, "城关小学"), ("合计", None)]
    middle, primary, total = rows.values()
    # 在读: 小学 A, B; 中学 B, C (D is 休学). B counts at both schools, once in 合计: A, B, C = 3.
    assert (primary["在校生数(在读)"], middle["在校生数(在读)"], total["在校生数(在读)"]) == (2, 2, 3)
    assert total["在校生数(在读)"] == town.metrics["enrolled"] == 3
    # Unexcused today: A (小学 only: not where A is 转出) and B (both); C's 病假 does not
    # count → 2, 1, total 2.
    assert (primary["今日无故缺勤"], middle["今日无故缺勤"], total["今日无故缺勤"]) == (2, 1, 2)
    assert total["今日无故缺勤"] == town.metrics["absent_unexcused_today"]
    # Streaks: A 1, B 5 → ≥1: A, B; ≥3 and ≥5: B only.
    assert [primary[f"≥{n}天"] for n in (1, 3, 5)] == [2, 1, 1]
    assert [middle[f"≥{n}天"] for n in (1, 3, 5)] == [1, 1, 1]
    assert [total[f"≥{n}天"] for n in (1, 3, 5)] == [2, 1, 1] == list(town.metrics["escalation"].values())
    # Case 1 (open) at 城关中学, case 2 (returned) at 城关小学; 河西乡's case is not ours.
    assert (middle["在办"], middle["已复学"], middle["合计"]) == (1, 0, 1)
    assert (primary["在办"], primary["已复学"], primary["合计"]) == (0, 1, 1)
    assert (total["在办"], total["已复学"], total["合计"]) == (1, 1, 2)
    # Poverty: C (在读, 城关中学); F is on no roster. C is paid 200 of 312.5 → 应发 1, 少发 1.
    assert (middle["脱贫户学生数"], primary["脱贫户学生数"], total["脱贫户学生数"]) == (1, 0, 1)
    assert (middle["应发"], middle["少发"], total["应发"], total["少发"]) == (1, 1, 1, 1)
    assert (total["应发"], total["少发"]) == (town.metrics["subsidy_eligible"], town.metrics["subsidy_short"])


def test_county_statistics_by_township_then_school(county, tmp_path):
    table = school_statistics(county)
    assert list(zip(table["township"], table["school"])) == [
        (TOWN, "城关中学"), (TOWN, "城关小学"), ("河西乡", "河西小学"), ("合计", None)]
    total = table.iloc[-1]
    # The county adds E: enrolled A, B, C, E = 4; absent today A, B, E = 3;
    # cases 1, 2, 3 (1 and 3 open).
    assert (total["enrolled"], total["absent_today"], total["cases_open"], total["cases_total"]) == (4, 3, 2, 3)
    assert total["enrolled"] == county.metrics["enrolled"]
    write_forms(county, tmp_path / "forms.xlsx")
    assert openpyxl.load_workbook(tmp_path / "forms.xlsx")["附件1 统计表"]["A2"].value == "测试县 全县  截至 2021-10-15"


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
    assert (first["包保教师"], first["包保干部"]) == ("王老师", "李乡长")
    assert first["处理措施"] == "法治手段兜底"
    assert first["复学时间"] is None  # still open
    assert second["姓名"] == "钱七"
    assert (second["处理措施"], second["安置方式"]) == ("讲道理感召", "插班")
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


def test_data_problems_and_files_read(workbook, town):
    problems = records(workbook["数据问题"])
    rejected = [r for r in problems if r["类型"] == "拒绝"]
    assert [(r["台账"], r["行号"], r["列"], r["原因"]) for r in rejected] == [
        ("学籍", 12, "身份证号", "身份证号校验位错误")]
    # The repeated 家访 row of case 1 is accepted, counted once, and listed as a finding.
    hints = [r["原因"] for r in problems if r["类型"] == "提示"]
    assert "重复的劝返事件：与前面一行完全相同, 只计一次" in hints
    files = {r["文件"]: r for r in records(workbook["数据问题 文件读入"])}
    assert (files[f"roster/{TOWN}.xlsx"]["读入"], files[f"roster/{TOWN}.xlsx"]["接受"],
            files[f"roster/{TOWN}.xlsx"]["拒绝"]) == (9, 8, 1)
    assert "cases/河西乡.xlsx" not in files  # another township's file


def test_a_township_with_nothing_to_report_still_gets_every_sheet(tmp_path):
    # No roster, register, absence or case row names 无名乡: every table is empty, 附件1 is
    # only its 合计 row of zeros, and 附件2 says there is no form.
    empty = analyse(county_tables(), PARAMS, AS_OF, "无名乡")
    write_forms(empty, tmp_path / "forms.xlsx")
    book = openpyxl.load_workbook(tmp_path / "forms.xlsx")
    assert len(book.sheetnames) == 13
    total = records(book["附件1 统计表"])
    assert len(total) == 1 and total[0]["乡镇"] == "合计" and total[0]["在校生数(在读)"] == 0
    assert any(cell.value == "（本期无辍学学生）" for cell in cells(book["附件2 辍学学生登记表"]))
    assert records(book["附件3 登记汇总表"]) == []
