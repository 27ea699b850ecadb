"""附件1 统计表: labels that say what they count (issue 24), on the county of support.forms_county.

Every expected figure is worked out from the rows described in forms_county's docstring.
"""

from __future__ import annotations

import openpyxl
import pytest

from kcbx.analysis.county import analyse
from kcbx.report.excel import write_workbook
from kcbx.report.forms.statistics import _statistics_sheet, school_statistics
from support.forms_county import AS_OF, MIDDLE, PARAMS, PRIMARY, TOWN, WEST, WEST_SCHOOL, county_tables


@pytest.fixture(scope="module")
def tables():
    return county_tables()


@pytest.fixture(scope="module")
def town(tables):
    return analyse(tables, PARAMS, AS_OF, TOWN)


@pytest.fixture(scope="module")
def county(tables):
    return analyse(tables, PARAMS, AS_OF, None)


def rows_by_place(analysis) -> dict[tuple, dict]:
    table = school_statistics(analysis)
    return {(row["township"], row["school"]): row for row in table.to_dict("records")}


@pytest.fixture(scope="module")
def sheet(town, tmp_path_factory):
    path = tmp_path_factory.mktemp("statistics") / "forms.xlsx"
    write_workbook(path, [_statistics_sheet(town, school_statistics(town))])
    return openpyxl.load_workbook(path).worksheets[0]


def texts(sheet) -> list[str]:
    return [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]


def test_whole_status_groups_with_their_tuopin_and_total(town):
    rows = rows_by_place(town)
    middle, primary, total = rows[(TOWN, MIDDLE)], rows[(TOWN, PRIMARY)], rows[("合计", None)]
    # 仍未复学: C1 (K1 脱贫户, 中学), C9 (P4, 中学), C2 (K2 特困供养, 小学, from the spring) = 3.
    assert [middle["cases_open"], primary["cases_open"], total["cases_open"]] == [2, 1, 3]
    assert (total["cases_open_tuopin"], total["cases_open_other"], total["cases_open_carried"]) == (1, 1, 1)
    # 已复学: C4 only (carried over, returned 10 Sep); C3 returned in March is not on this term's form.
    assert (primary["cases_returned"], total["cases_returned"], total["cases_returned_tuopin"]) == (1, 1, 0)
    # 核减: C6 送教上门 (小学), C5 转学 (中学, K5 脱贫户), C7 死亡 (中学, K7 监测户) = 3.
    assert [total[f"cases_{state}"] for state in ("home_teaching", "transferred", "died")] == [1, 1, 1]
    assert (total["cases_deducted"], total["cases_deducted_tuopin"], total["cases_deducted_other"]) == (3, 1, 1)
    assert (middle["cases_deducted"], primary["cases_deducted"]) == (2, 1)
    # 已销号待核实: C8, struck without an outcome.
    assert (middle["cases_closed"], total["cases_closed"]) == (1, 1)
    # The four groups share nobody: 3 + 1 + 3 + 1 = the 8 children with a case on this term's form.
    assert sum(total[f"cases_{group}"] for group in ("open", "returned", "deducted", "closed")) == 8
    assert "cases_total" not in total


def test_the_sheet_heads_each_group_and_never_one_dropout_total(sheet):
    assert sheet["A1"].value == "附件1 测试县2021年秋季学期控辍保学专项行动统计表"
    groups = [cell.value for cell in sheet[3]]
    leaves = [cell.value for cell in sheet[4]]
    assert groups[:6] == ["乡镇", "学校", "在读学生(人)", "今日无故缺勤(人)", "连续无故缺勤(人)", None]
    assert leaves[4:7] == ["≥1天", "≥3天", "≥5天"]
    assert groups[7] == "≥5天未立案(人)"
    assert [(groups[col], leaves[col]) for col in range(8, 12)] == [
        ("仍未复学(人)", "合计"), (None, "其中脱贫户"), (None, "其中其他困难家庭"), (None, "其中上学期结转")]
    assert [groups[col] for col in (12, 15, 21, 24)] == ["已复学(人)", "核减(非辍学)(人)", "已销号待核实(人)",
                                                           "疑似失学(人)"]
    assert leaves[15:21] == ["送教上门", "转学/外地就读", "死亡", "合计", "其中脱贫户", "其中其他困难家庭"]
    assert leaves[24:26] == ["合计", "其中已立案"]
    assert groups[26:28] == ["脱贫户学生(人)", "其他困难家庭学生(人)"]
    assert "辍学学生(人)" not in groups
    # The 合计 row (row 7, after 城关中学 and 城关小学): still out 3, with 1 脱贫户, 1 other, 1 carried.
    total = [cell.value for cell in sheet[7]]
    assert total[0] == "合计" and total[8:12] == [3, 1, 1, 1]


def test_tuopin_counts_the_category_tuopin_only_the_others_beside_it(town):
    total = rows_by_place(town)[("合计", None)]
    # 在读: P1 脱贫户; P2 监测户 and P5 低保户 are 其他困难家庭 (P3, P4, Q1 in no register).
    assert (total["tuopin_pupils"], total["other_poverty_pupils"]) == (1, 2)
    # 资助 counts every 类别 (subsidy_eligible): P1, P2, P5, none paid.
    assert (total["subsidy_due"], total["subsidy_short"]) == (3, 3) == (
        town.metrics["subsidy_eligible"], town.metrics["subsidy_short"])
    # 仍未复学 其中脱贫户 is K1 alone: cases_open_tuopin; K2 (特困供养) is in cases_open_poverty only.
    assert total["cases_open_tuopin"] == town.metrics["cases_open_tuopin"] == 1
    assert town.metrics["cases_open_poverty"] == 2


def test_top_rung_without_a_case_is_the_clearance_blocker(town):
    rows = rows_by_place(town)
    # P3 and P4 reach 5 days; P4 has an open case (C9): P3 alone, at 城关中学.
    assert [rows[(TOWN, MIDDLE)]["top_rung_without_case"], rows[(TOWN, PRIMARY)]["top_rung_without_case"]] == [1, 0]
    assert rows[("合计", None)]["top_rung_without_case"] == town.metrics["clearance_blockers"]["top_rung_without_case"] == 1


def test_suspected_children_who_already_have_a_case(town):
    total = rows_by_place(town)[("合计", None)]
    # 疑似失学: K1 (open case C1) and H1 (none); K1 is also in 仍未复学, so 其中已立案 1.
    assert (total["out_of_school"], total["out_of_school_with_case"]) == (2, 1)


def test_the_notes_say_the_term_scope_and_how_many_cases_are_left_out(sheet, town):
    # 城关镇's 9 cases: this term C1, C5–C9 (6); carried over C2 (open) and C4 (returned 10 Sep) (2);
    # C3 opened and returned in the spring: left out (1). metrics cases_total keeps all 9.
    assert town.metrics["cases_total"] == 9
    assert ("案件范围：本学期（2021-09-01 起）登记的案件 6 件，及此前登记、开学时仍未结案的上学期结转案件 2 件；"
            "此前登记且开学前已结案或销号的 1 件不列入（截至当日登记的全部案件 9 件）。"
            "上学期结转的仍未复学学生另列“其中上学期结转”。") in texts(sheet)


def test_a_pupil_on_two_rosters_is_counted_once_and_the_note_says_so(sheet, county):
    # 城关镇's sheet: P2 at both 城关 schools. 在读 4 (小学 P1 P2 P5 Q1) + 3 (中学 P2 P3 P4), 合计 6.
    total = [cell.value for cell in sheet[7]]
    assert total[2] == 6
    assert total[-1] == "同一学生在两校有学籍，乡镇合计只计一次（1 人）"
    assert [cell.value for cell in sheet[5]][-1] is None  # a school row has no such note
    # The county: 城关镇's 小计 counts P2 once (1); 河西乡 has Q1 at one school of its own (none);
    # the county's 合计 counts P2 and Q1 (also at 城关小学) once each: 2.
    rows = rows_by_place(county)
    assert [rows[(town, "小计")]["counted_twice"] for town in (TOWN, WEST)] == [1, 0]
    assert rows[("合计", None)]["counted_twice"] == 2
    assert (rows[(WEST, WEST_SCHOOL)]["enrolled"], rows[("合计", None)]["enrolled"]) == (1, 6)
    statistics = _statistics_sheet(county, school_statistics(county)).rows
    notes = dict(zip(zip(statistics["township"], statistics["school"]), statistics["note"]))
    assert notes[(TOWN, "小计")] == "同一学生在两校有学籍，乡镇合计只计一次（1 人）"
    assert notes[(WEST, "小计")] is None
    assert notes[("合计", None)] == "同一学生在两校有学籍，全县合计只计一次（2 人）"
