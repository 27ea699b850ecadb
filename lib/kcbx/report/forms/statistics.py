"""附件1 统计表: the figures by school (the county's with each township's 小计 row), then a
合计 row; counted by ``kcbx.measures.by_school``."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.cut import TUOPIN
from kcbx.analysis.model import Analysis
from kcbx.measures.by_school import CASE_GROUPS, TOTAL_LABEL, counted_people, counts_by_school
from kcbx.measures.cases import CASE_STATES, NO_OPEN_CASE
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import OTHER_POVERTY, TUOPIN_NOTE, _family_keys, _official_table, _scope_note

# The groups of case states, in the order an officer reads them: the children still out first.
_CASE_GROUP_HEADERS = {
    "open": "仍未复学(人)",
    "returned": "已复学(人)",
    "deducted": "核减(非辍学)(人)",
    "closed": "已销号待核实(人)",
}
_DEDUCTED_HEADERS = {state: CASE_STATES[state] for state in CASE_GROUPS["deducted"]}
_SUSPECTED = "疑似失学(人)"


def school_statistics(analysis: Analysis) -> pd.DataFrame:
    """附件1 统计表 as a frame (``kcbx.measures.by_school.counts_by_school``): one row per
    school, by township then school; in the county's, each township's 小计 row after its
    schools; then the 合计 row. The 日报 出勤统计 takes its figures from it too.

    Every analysis works, a school's rows alone included: the figures come from its tables."""
    tuopin, other = _family_keys(analysis)
    without_case = analysis.notices_missing.loc[analysis.notices_missing["finding"].eq(NO_OPEN_CASE), "person_key"]
    counted = counted_people(
        analysis.roster, absent_today=analysis.absent_today, day_absences=analysis.day_absences,
        streaks=analysis.streaks, thresholds=analysis.params.escalation,
        top_rung_without_case=without_case, cases=analysis.cases, term_start=analysis.params.term_start,
        tuopin_keys=tuopin, other_poverty_keys=other, out_of_school=analysis.out_of_school,
        subsidy=analysis.subsidy)
    return counts_by_school(counted, analysis.roster, subtotals=analysis.township is None)


def _duplicate_notes(statistics: pd.DataFrame, county: bool) -> pd.Series:
    """备注 of the 小计 and 合计 rows: how many pupils on two schools' rosters they count once
    (none: blank). The county's 合计 is the county's, a township's the township's."""
    whose = "全县" if county else "乡镇"
    wording = statistics["township"].eq(TOTAL_LABEL).map({True: whose, False: "乡镇"})
    twice = statistics["counted_twice"]
    notes = "同一学生在两校有学籍，" + wording + "合计只计一次（" + twice.astype("string") + " 人）"
    return notes.astype(object).where(twice.fillna(0).gt(0).astype(bool), None)


def _family_columns(key: str, group: str) -> list[Column]:
    return [Column("合计", key, group=group, kind="int"),
            Column(f"其中{TUOPIN}", f"{key}_tuopin", group=group, kind="int"),
            Column(f"其中{OTHER_POVERTY}", f"{key}_other", group=group, kind="int")]


def _statistics_sheet(analysis: Analysis, statistics: pd.DataFrame) -> TableSheet:
    thresholds = sorted(analysis.params.escalation)
    top = thresholds[-1]
    deducted = _CASE_GROUP_HEADERS["deducted"]
    columns = [
        Column("乡镇", "township"),
        Column("学校", "school"),
        Column("在读学生(人)", "enrolled", kind="int"),
        Column("今日无故缺勤(人)", "absent_today", kind="int"),
        *(Column(f"≥{n}天", f"streak_{n}", group="连续无故缺勤(人)", kind="int") for n in thresholds),
        Column(f"≥{top}天未立案(人)", "top_rung_without_case", kind="int"),
        *_family_columns("cases_open", _CASE_GROUP_HEADERS["open"]),
        Column("其中上学期结转", "cases_open_carried", group=_CASE_GROUP_HEADERS["open"], kind="int"),
        *_family_columns("cases_returned", _CASE_GROUP_HEADERS["returned"]),
        *(Column(header, f"cases_{state}", group=deducted, kind="int") for state, header in _DEDUCTED_HEADERS.items()),
        *_family_columns("cases_deducted", deducted),
        *_family_columns("cases_closed", _CASE_GROUP_HEADERS["closed"]),
        Column("合计", "out_of_school", group=_SUSPECTED, kind="int"),
        Column("其中已立案", "out_of_school_with_case", group=_SUSPECTED, kind="int"),
        Column(f"{TUOPIN}学生(人)", "tuopin_pupils", kind="int"),
        Column(f"{OTHER_POVERTY}学生(人)", "other_poverty_pupils", kind="int"),
        Column("应发", "subsidy_due", group="资助(人)", kind="int"),
        Column("少发", "subsidy_short", group="资助(人)", kind="int"),
        Column("备注", "note"),
    ]
    rows = statistics.assign(note=_duplicate_notes(statistics, county=analysis.township is None))
    return _official_table(
        analysis, "附件1 统计表", "控辍保学专项行动统计表", columns, rows, annex=1,
        notes=[
            "说明：均按人计。学生数按本学年学籍计；同一学生在两所学校学籍中的，在两校各计一次，"
            "小计、合计只计一次（人数见备注）。",
            f"连续无故缺勤按上课日计，截至 {analysis.as_of.isoformat()} 前最后一个上课日；"
            f"≥{top}天未立案：连续无故缺勤达 {top} 天、截至当日没有在办辍学案件的学生，应即登记。",
            "辍学案件按学生计，以其最近一次案件的登记学校和截至当日的状态计，四组互不重叠："
            "仍未复学（在办）；已复学；核减（非辍学）：送教上门、转学/外地就读、死亡；"
            "已销号待核实：已销号而无复学等结果。各组不相加为“辍学学生”数。",
            _scope_note(analysis) + "上学期结转的仍未复学学生另列“其中上学期结转”。",
            TUOPIN_NOTE,
            "疑似失学按户籍所在乡镇计，不分学校（户籍适龄儿童无在读、休学学籍，无九年级毕业记录，"
            "也无已有结果的辍学案件）；其中已立案：已有在办辍学案件、已计入“仍未复学”的儿童，不要重复相加。",
            f"资助：在读且在脱贫户名单内（{TUOPIN}及{OTHER_POVERTY}）的学生本学期生活补助应发人数，"
            "实发不足年标准一半的为少发。",
        ],
    )
