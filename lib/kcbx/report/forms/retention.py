"""巩固率, in the county's and every township's forms: the 巩固率 of each grade cohort
(metrics ``retention_by_cohort``, ``kcbx.measures.rates``), a rate outside 0–100 % with its
reason, a rate below params ``retention_target`` marked."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.matching import grade_names
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import _official_table

ABOVE_100 = "高于100%：转入多于转出（转入学生未核减），如实列出、不封顶"
BELOW_0 = "低于0：在校生数为负，事业统计台账有误，请核对"


def percent_text(fraction: float) -> str:
    """95% for 0.95, 97.5% for 0.975: a target as it is written, no digit invented or lost."""
    return f"{round(fraction * 100, 2):g}%"


def _reason(cohort: dict, grade_label: str, grade1_label: str) -> str:
    """Why a cohort's rate is missing or outside 0–100 %, in one line; "" when it is neither."""
    rate = cohort["rate"]
    if rate is None:
        if cohort["grade1"] is None:
            return f"缺少{cohort['grade1_year']}学年{grade1_label}在校生数，无法计算"
        if cohort["enrolled"] is None:
            return f"缺少本学年{grade_label}在校生数，无法计算"
        return f"{cohort['grade1_year']}学年{grade1_label}在校生数为0，无法计算"
    if rate > 1:
        return ABOVE_100
    if rate < 0:
        return BELOW_0
    return ""


def retention_rows(analysis: Analysis) -> pd.DataFrame:
    """One row per grade cohort of metrics ``retention_by_cohort`` (grades 2–9): grade_name,
    intake_year ("2013学年"), grade1, enrolled, rate, target (低于目标 N% / 达到目标 / blank
    without a rate), reason (``_reason``; blank when there is none)."""
    names = grade_names(analysis.params.junior_grade_names)
    target = analysis.params.retention_target
    rows = []
    for cohort in analysis.metrics["retention_by_cohort"].values():
        rate = cohort["rate"]
        rows.append({
            "grade_name": names[cohort["grade"]],
            "intake_year": f"{cohort['grade1_year']}学年",
            "grade1": cohort["grade1"],
            "enrolled": cohort["enrolled"],
            "rate": rate,
            "target": (None if rate is None else
                       f"低于目标 {percent_text(target)}" if rate < target else "达到目标"),
            "reason": _reason(cohort, names[cohort["grade"]], names[1]) or None,
        })
    return pd.DataFrame(rows, columns=["grade_name", "intake_year", "grade1", "enrolled", "rate",
                                       "target", "reason"])


def _retention_sheet(analysis: Analysis) -> TableSheet:
    """巩固率: each grade cohort's 巩固率, its target mark and, outside 0–100 % or missing, why."""
    target = percent_text(analysis.params.retention_target)
    columns = [
        Column("本学年年级", "grade_name"),
        Column("入学学年", "intake_year"),
        Column("入学时一年级在校生(人)", "grade1", kind="int"),
        Column("本学年在校生(人)", "enrolled", kind="int"),
        Column("巩固率", "rate", kind="percent"),
        Column(f"对照目标({target})", "target"),
        Column("说明", "reason"),
    ]
    year = analysis.metrics["retention_by_cohort"]["9"]
    notes = [
        "巩固率＝本学年该年级在校生数÷该届学生入学学年的一年级在校生数（事业统计台账，"
        f"同一口径逐届计算）；九年级一行（{year['grade1_year']}学年入学）即义务教育巩固率。",
        "转学未核减：转入多于转出时巩固率可高于100%，照实列出、不封顶，并在说明栏注明。",
        f"目标：{target}（params retention_target），低于目标的届次标“低于目标 {target}”。",
    ]
    return _official_table(analysis, "巩固率", "义务教育巩固率（分年级）统计表", columns,
                           retention_rows(analysis), notes=notes)
