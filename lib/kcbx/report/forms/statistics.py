"""附件1 统计表: the figures by school (the county's with each township's 小计 row), then a
合计 row; counted by ``kcbx.measures.by_school``."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.by_school import counted_people, counts_by_school
from kcbx.measures.cases import CASE_STATES
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import _official_table

# Short headers of the case states in 附件1 (the ledgers print CASE_STATES' full labels).
_STATE_HEADERS = {**CASE_STATES, "open": "在办", "closed": "已销号无结果"}


def school_statistics(analysis: Analysis) -> pd.DataFrame:
    """附件1 统计表 as a frame (``kcbx.measures.by_school.counts_by_school``): one row per
    school, by township then school; in the county's, each township's 小计 row after its
    schools; then the 合计 row. The 日报 出勤统计 takes its figures from it too."""
    counted = counted_people(
        analysis.roster, absent_today=analysis.absent_today, day_absences=analysis.day_absences,
        streaks=analysis.streaks, thresholds=analysis.params.escalation, cases=analysis.cases,
        person_groups=analysis.person_groups, out_of_school=analysis.out_of_school,
        subsidy=analysis.subsidy)
    return counts_by_school(counted, analysis.roster, subtotals=analysis.township is None)


def _statistics_sheet(analysis: Analysis, statistics: pd.DataFrame) -> TableSheet:
    thresholds = sorted(analysis.params.escalation)
    dropouts = "辍学学生(人)"
    columns = [
        Column("乡镇", "township"),
        Column("学校", "school"),
        Column("在读学生(人)", "enrolled", kind="int"),
        Column("今日无故缺勤(人)", "absent_today", kind="int"),
        *(Column(f"≥{n}天", f"streak_{n}", group="连续无故缺勤(人)", kind="int") for n in thresholds),
        *(Column(header, f"cases_{state}", group=dropouts, kind="int")
          for state, header in _STATE_HEADERS.items()),
        Column("合计", "cases_total", group=dropouts, kind="int"),
        Column("脱贫户辍学未复学(人)", "cases_open_poverty", kind="int"),
        Column("疑似失学(人)", "out_of_school", kind="int"),
        Column("脱贫户学生(人)", "poverty_pupils", kind="int"),
        Column("应发", "subsidy_due", group="资助(人)", kind="int"),
        Column("少发", "subsidy_short", group="资助(人)", kind="int"),
    ]
    return _official_table(
        analysis, "附件1 统计表", "控辍保学工作统计表", columns, statistics, annex=1,
        notes=[
            "说明：均按人计。学生数按本学年学籍计；同一学生在两所学校学籍中的，在两校各计一次，"
            "小计、合计只计一次。",
            f"连续无故缺勤按上课日计，截至 {analysis.as_of.isoformat()} 前最后一个上课日。",
            "辍学学生按最近一次登记的学校和截至当日的状态计，各状态之和为合计；"
            "脱贫户辍学未复学：其中在办、在脱贫户名单内的学生。",
            "疑似失学按户籍所在乡镇计，不分学校（户籍适龄儿童无在读、休学学籍，无九年级毕业记录，"
            "也无已有结果的辍学案件）。",
            "资助：在读脱贫户学生本学期生活补助应发人数，实发不足年标准一半的为少发。",
        ],
    )
