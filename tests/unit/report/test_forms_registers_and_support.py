"""Issue 24, the forms themselves: 适龄儿童台账 and its 休学名单, 疑似辍学台账's first actions,
日报 without the 送教上门 pupils, 送教上门 over one period, 残疾儿童安置台账, 资助 冲正 and 数据问题;
one small county through the real ``analyse``, every figure worked out from its rows.

As of Friday 2021-10-15 (term 2021-09-01 – 2022-01-14, school age 6–15 on 31 Aug 2021).

城关镇's household register (户籍), in file order:
  P1 born 2012-01-01 (9)  城关小学 3年级 在读, 学籍号 L0001, 脱贫户; 旷课 11–15 Oct (5 days)
  P2 born 2008-01-01 (13) 城关中学 8年级 休学 only                       → 休学
  P3 born 2010-01-01 (11) 河西小学 (河西乡) 在读, 学籍号 L0003          → 外乡镇就读
  P4 born 2009-01-01 (12) 城关中学 转出                                  → 疑似失学: 核查转入学校学籍
  P5 born 2011-01-01 (10) on no roster, 无故 on 15 Oct in the absence ledger → 补录学籍
  P6 born 2013-01-01 (8)  nothing on record but an open case             → 入户核查
  P7 born 2010-06-01 (11) 在读 at 城关小学 and 城关中学 (重复学籍), 监测户
Not on the register: D1 (送教上门, 在读 at 城关小学), D2 (未安置), D3 (特教班), D4 (随班就读,
no roster row), D5 (随班就读, 17: too old); 河西乡: E1 在读 at 河西小学.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kcbx import schema
from kcbx.analysis.county import analyse
from kcbx.report.forms import form_sheets
from support.builders import autumn_params, resident_id, typed_ledger

AS_OF = dt.date(2021, 10, 15)
TOWN, WEST = "城关镇", "河西乡"
P1, P2, P3, P4, P5, P6, P7 = (resident_id(birth) for birth in (
    "20120101", "20080101", "20100101", "20090101", "20110101", "20130101", "20100601"))
D1, D2, D3, D4, D5 = (resident_id(birth) for birth in ("20110301", "20120301", "20080301", "20100301", "20040301"))
E1 = resident_id("20120501")
WHOLE_COUNTY_CASES = "cases/全县.xlsx"  # rows of both townships


def ledger(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order."""
    return typed_ledger(kind, rows, f"{kind}/{TOWN}.xlsx")


def pupil(key, school, grade, status="在读", township=TOWN, student_no=None):
    return {"person_key": key, "student_no": student_no, "township": township, "school": school,
            "grade": grade, "class_name": "1班", "status": status,
            "source_file": f"roster/{township}.xlsx"}


def child(key, name, phone):
    return {"person_key": key, "name": name, "township": TOWN, "village": "东村", "guardian": "家长",
            "phone": phone}


def tables() -> dict[str, pd.DataFrame]:
    found = {
        "roster": ledger("roster", [
            pupil(P1, "城关小学", 3, student_no="L0001"),                  # row 3
            pupil(P2, "城关中学", 8, status="休学", student_no="L0002"),   # row 4
            pupil(P4, "城关中学", 7, status="转出", student_no="L0004"),   # row 5
            pupil(P7, "城关小学", 5),                                      # row 6
            pupil(P7, "城关中学", 7),                                      # row 7
            pupil(D1, "城关小学", 4),                                      # row 8
            pupil(P3, "河西小学", 5, township=WEST, student_no="L0003"),   # row 9
            pupil(E1, "河西小学", 3, township=WEST),                       # row 10
        ]),
        "population": ledger("population", [
            child(P1, "张一", "13800000001"), child(P2, "李二", "13800000002"),
            child(P3, "王三", "13800000003"), child(P4, "赵四", None), child(P5, "钱五", "13800000005"),
            child(P6, "孙六", "13800000006"), child(P7, "周七", "13800000007"),
        ]),
        "poverty": ledger("poverty", [
            {"person_key": P1, "township": TOWN, "category": "脱贫户"},
            {"person_key": P7, "township": TOWN, "category": "监测户"},
        ]),
        "disability": ledger("disability", [
            {"person_key": key, "name": name, "township": TOWN, "disability_type": "肢体",
             "disability_level": "二级", "placement": placement}
            for key, name, placement in ((D1, "残一", "送教上门"), (D2, "残二", "未安置"), (D3, "残三", "特教班"),
                                         (D4, "残四", "随班就读"), (D5, "残五", "随班就读"))]),
        "absence": ledger("absence", [
            *({"date": f"2021-10-{day}", "person_key": P1, "school": "城关小学", "absence_type": "旷课",
               "unexcused": True} for day in (11, 12, 13, 14, 15)),
            {"date": "2021-10-15", "person_key": P5, "school": "城关小学", "absence_type": "无故", "unexcused": True},
        ]),
        "cases": ledger("cases", [
            {"person_key": P6, "township": TOWN, "date": "2021-09-20", "event": "登记",
             "source_file": WHOLE_COUNTY_CASES},
            {"person_key": E1, "township": WEST, "date": "2021-09-21", "event": "登记",
             "source_file": WHOLE_COUNTY_CASES},
        ]),
        "home_teaching": ledger("home_teaching", [
            {"person_key": D1, "date": day, "hours": 3, "teacher": "刘老师"}
            for day in ("2021-08-30", "2021-09-06", "2021-09-20", "2021-10-11", "2021-10-18")]),
        "subsidy": ledger("subsidy", [
            {"person_key": P1, "term": "2021秋", "item": "生活补助", "amount": 250.0},
            {"person_key": P1, "term": "2021秋", "item": "生活补助", "amount": -100.0},
            {"person_key": P7, "term": "2021秋", "item": "生活补助", "amount": -50.0},
        ]),
        "enrollment": ledger("enrollment", []),
        "rejected_rows": pd.DataFrame([
            {"kind": "roster", "file": f"roster/{TOWN}.xlsx", "sheet": "Sheet1", "row": 20, "column": "年级",
             "value": "高一", "reason": "年级无法识别", "id_number": P1},
            {"kind": "cases", "file": WHOLE_COUNTY_CASES, "sheet": "Sheet1", "row": 5, "column": "日期",
             "value": "2021-02-30", "reason": "日期无法识别", "id_number": E1},
        ]),
        "findings": pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding"]),
    }
    files = sorted({(kind, file) for kind in schema.KINDS if kind in found for file in found[kind]["source_file"]})
    found["ingest_log"] = pd.DataFrame([
        {"kind": kind, "file": file, "rows_read": (found[kind]["source_file"] == file).sum() + 1,
         "rows_accepted": (found[kind]["source_file"] == file).sum(), "rows_rejected": 1, "error": None}
        for kind, file in files])
    return found


PARAMS = autumn_params(target_date=dt.date(2021, 9, 30))


def sheets_of(township: str | None) -> dict:
    return {sheet.name: sheet for sheet in form_sheets(analyse(tables(), PARAMS, AS_OF, township))}


@pytest.fixture(scope="module")
def town():
    return sheets_of(TOWN)


@pytest.fixture(scope="module")
def county():
    return sheets_of(None)


def table_of(sheet) -> pd.DataFrame:
    """The sheet's rows, blanks as None."""
    rows = sheet.rows.astype(object)
    return rows.where(rows.notna(), None)


def by_person(sheet, key="person_key") -> dict:
    return {row[key]: row for row in table_of(sheet).to_dict("records")}


# --- 适龄儿童台账 ---------------------------------------------------------------------------


def test_school_age_ledger_fills_student_no_birth_date_and_splits_the_standing(town):
    rows = by_person(town["适龄儿童台账"])
    assert list(rows) == [P1, P2, P3, P4, P5, P6, P7]
    # 学籍号 from the roster: P3's from 河西乡's roster, where P3 is at school; P5 and P6 have none.
    assert [rows[key]["student_no"] for key in (P1, P2, P3, P4, P5)] == ["L0001", "L0002", "L0003", "L0004", None]
    # The register has no 出生日期: read from the ID.
    assert rows[P1]["birth_date"] == pd.Timestamp("2012-01-01")
    assert rows[P7]["birth_date"] == pd.Timestamp("2010-06-01")
    assert (rows[P1]["phone"], rows[P4]["phone"]) == ("13800000001", None)
    assert {key: row["form_standing"] for key, row in rows.items()} == {
        P1: "本乡镇在校", P2: "休学", P3: "外乡镇就读", P4: "疑似失学", P5: "疑似失学", P6: "疑似失学",
        P7: "本乡镇在校"}
    assert (rows[P2]["schooling"], rows[P3]["schooling"]) == ("休学（城关中学）", "在读（河西小学）")


def test_suspended_children_have_their_own_list_with_the_roster_row_as_evidence(town, county):
    rows = town["适龄儿童 休学名单"].rows
    assert rows[["person_key", "student_no", "school", "grade"]].values.tolist() == [[P2, "L0002", "城关中学", 8]]
    assert rows["evidence"].tolist() == ["学籍台账 roster/城关镇.xlsx「Sheet1」 第 4 行：学籍状态 休学（城关中学）"]
    assert county["适龄儿童 休学名单"].rows["person_key"].tolist() == [P2]


def test_the_county_sums_the_six_standings_by_township(county):
    # 城关镇: 7 children = 本乡镇在校 2 (P1, P7) + 外乡镇就读 1 (P3) + 休学 1 (P2) + 疑似失学 3 (P4–P6).
    rows = county["适龄儿童台账"].rows.set_index("township")
    standings = ["children", "本乡镇在校", "外乡镇就读", "已完成义务教育", "有去向佐证", "休学", "疑似失学"]
    assert rows.loc[TOWN, standings].tolist() == [7, 2, 1, 0, 0, 1, 3]
    assert rows.loc["全县", standings].tolist() == [7, 2, 1, 0, 0, 1, 3]


# --- 疑似辍学台账 ---------------------------------------------------------------------------


def test_the_first_action_follows_why_a_child_is_suspected(town):
    rows = town["疑似辍学台账"].rows
    assert rows[["kind", "person_key", "action"]].values.tolist() == [
        ["户籍比对：疑似失学", P4, "核查转入学校学籍"],   # 学籍 转出
        ["户籍比对：疑似失学", P5, "补录学籍"],           # no roster row, in the absence ledger
        ["户籍比对：疑似失学", P6, "入户核查"],           # nothing but an open case
        ["连续无故缺勤≥5天", P1, "报告乡镇政府和教育局"],  # the ladder's own action
    ]
    # Left blank for the village or school to fill.
    assert rows[["checked_by", "checked_on", "check_result", "check_evidence"]].isna().all().all()
    headers = [column.header for column in town["疑似辍学台账"].columns][-4:]
    assert headers == ["核查人", "核查日期", "核查结果", "佐证"]


# --- 日报 ---------------------------------------------------------------------------------


def test_daily_expected_leaves_out_pupils_taught_at_home(town):
    # 在读: 城关中学 P7 (P2 休学, P4 转出); 城关小学 P1, P7, D1; 合计 P1, P7, D1 = 3 (P7 once).
    # D1 is taught at home: 应到 1, 2, 2. Absent on 15 Oct: P1 (旷课) at 城关小学; P5 has no
    # 学籍 and counts nowhere. 实到 = 应到 − 缺勤: 1, 1, 1.
    # (P6's case names no school: 附件1's row for it has no pupil.)
    rows = table_of(town["日报 出勤统计"])
    assert rows[["school", "enrolled", "home_taught", "expected", "absent", "present"]].values.tolist() == [
        ["城关中学", 1, 0, 1, 0, 1], ["城关小学", 3, 1, 2, 1, 1], ["（未填学校）", 0, 0, 0, 0, 0],
        [None, 3, 1, 2, 1, 1]]


def test_the_daily_roll_and_the_warning_list_carry_the_family_category(town):
    roll = town["日报 未到校学生名册"].rows
    assert roll[["id_number", "family"]].values.tolist() == [[P1, "脱贫户"]]
    warning = by_person(town["预警名单"])
    assert warning[P1]["family"] == "脱贫户"  # 5 days of 旷课: high


# --- 送教上门 and 残疾儿童安置台账 -----------------------------------------------------------


def test_both_home_teaching_sheets_cover_the_term_to_as_of(town):
    compliance, workload = town["送教上门"], town["送教上门 教师工作量"]
    assert compliance.title.endswith("送教上门落实情况（2021-09-01至2021-10-15）")
    assert workload.title.endswith("送教教师工作量（2021-09-01至2021-10-15）")
    # D1's visits on 6 Sep, 20 Sep and 11 Oct: 30 Aug is before the term, 18 Oct after as_of.
    assert workload.rows[["teacher", "visits", "class_hours", "workload_hours"]].values.tolist() == [
        ["刘老师", 3, 9.0, 12.0]]
    assert "2021-09-01 至 2021-10-15 共送教 3 次、9 课时（含尚未结束的月份；按教师见「送教上门 教师工作量」，同一期间）。" \
        in compliance.notes


def test_every_disabled_child_of_school_age_is_placed(town):
    rows = table_of(town["残疾儿童安置台账"])
    # D5 is 17 on 31 Aug 2021: not of school age. D2 未安置 and on no roster: 待评估.
    assert rows[["person_key", "placed", "schools", "check"]].values.tolist() == [
        [D1, "送教上门", "城关小学", None],
        [D2, "待评估", None, "未安置：请组织评估安置"],
        [D3, "特教学校", None, None],
        [D4, "随班就读", None, "登记为随班就读，但本学年无在读学籍"],
    ]
    assert town["残疾儿童安置台账"].notes[0].endswith(
        "共 4 人，其中随班就读 1 人，特教学校 1 人，送教上门 1 人，待评估 1 人。")


# --- 资助 ----------------------------------------------------------------------------------


def test_a_reversal_is_subtracted_before_short_is_computed(town):
    # P1: day primary, 500 / 2 = 250 due; 250 paid, 100 reversed → 150, 100 short.
    # P7 (监测户, first 在读 row at 城关小学): 250 due; a reversal of 50 with nothing paid → 0, 250 short.
    rows = town["资助核对"].rows
    assert rows[["id_number", "due", "reversed", "paid", "missing", "in_full"]].values.tolist() == [
        [P1, 250.0, 100.0, 150.0, 100.0, "否"], [P7, 250.0, 50.0, 0.0, 250.0, "否"]]


# --- 数据问题 -------------------------------------------------------------------------------


def test_data_problems_show_ids_duplicates_and_leave_a_many_township_file_to_the_county(town, county):
    problems = town["数据问题"].rows
    # The cases file holds rows of both townships: its rejected row (E1's) is the county's alone.
    rejected = problems[problems["type"] == "拒绝"]
    assert rejected[["file", "row", "id_number"]].values.tolist() == [[f"roster/{TOWN}.xlsx", 20, P1]]
    assert "另有 1 条问题所在文件涉及多个乡镇、无法确定属于哪个乡镇，只列在全县 forms.xlsx 的「数据问题」中。" \
        in town["数据问题"].notes
    county_rejected = county["数据问题"].rows.query("type == '拒绝'")
    assert county_rejected[["file", "id_number"]].values.tolist() == [
        [f"roster/{TOWN}.xlsx", P1], [WHOLE_COUNTY_CASES, E1]]
    assert not any("另有" in note for note in county["数据问题"].notes)
    # P7 on two schools' rosters, both named with their rows.
    duplicate = problems[problems["type"] == "重复学籍"]
    assert duplicate[["id_number", "reason"]].values.tolist() == [[P7, (
        "同一学生在 2 所学校有在读学籍：城关小学（roster/城关镇.xlsx 第 6 行）、城关中学（roster/城关镇.xlsx 第 7 行）"
        "；请核实后注销多余学籍（乡镇、全县合计只计一次）")]]
    # P7's reversal with nothing paid before it (subsidy row 5) is a finding.
    hints = problems.loc[problems["type"] == "提示", "reason"].tolist()
    assert "冲正金额超过此前已发金额：冲正 50 元，此前同一学期同一项目已发 0 元" in hints
