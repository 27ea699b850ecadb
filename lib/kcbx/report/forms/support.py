"""The support forms: 送教上门 (each child × assessed month, and the teachers' workload),
资助核对 (应助尽助) and 小升初 (last year's grade-6 pupils not found at school)."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.matching import LIST_SEPARATOR
from kcbx.report.excel import Column, TableSheet, plain_number
from kcbx.report.forms.common import ID_OR_STUDENT_NO, NUMBER, _numbered, _official_table, _yes_no


def _yuan(amount: float) -> str:
    """Yuan in a note: 6,000 and 687.5 (its 角 kept, never rounded to 688)."""
    return plain_number(amount, thousands=True)


def _home_teaching_columns(hours_per_year: float) -> list[Column]:
    return [
        NUMBER,
        Column("乡镇", "township"),
        Column("姓名", "name"),
        Column(ID_OR_STUDENT_NO, "person_key"),
        Column("残疾类别", "disability_type"),
        Column("残疾等级", "disability_level"),
        Column("月份", "month"),
        Column("送教次数", "visits", kind="int"),
        Column("课时", "hours", kind="float"),
        Column("累计课时", "hours_to_date", kind="float"),
        Column(f"距{plain_number(hours_per_year)}课时尚差", "hours_short", kind="float"),
        Column("达标", "compliant_text"),
    ]


_WORKLOAD_COLUMNS = [
    Column("送教教师", "teacher"),
    Column("送教次数", "visits", kind="int"),
    Column("送教学生数", "children", kind="int"),
    Column("授课课时", "class_hours", kind="float"),
    Column("计工作量课时", "workload_hours", kind="float"),
]


def _home_teaching_rows(analysis: Analysis) -> pd.DataFrame:
    """Each child × assessed month, with the school year's running total of class hours
    against the year's target, and the child's 残疾类别 and 等级 from the disability register."""
    target = analysis.params.home_teaching.hours_per_year
    months = analysis.home_teaching.sort_values(["person_key", "month"], kind="stable")
    hours_to_date = months["hours_year_to_date"]
    disability = analysis.home_teaching_due.set_index("person_key")[["disability_type", "disability_level"]]
    details = disability.reindex(months["person_key"].to_numpy()).set_axis(months.index)
    return months.assign(
        disability_type=details["disability_type"], disability_level=details["disability_level"],
        hours_to_date=hours_to_date, hours_short=(target - hours_to_date).clip(lower=0),
        compliant_text=_yes_no(months["compliant"]),
    )


def _home_teaching_sheets(analysis: Analysis) -> list[TableSheet]:
    """送教上门: each child × assessed month against the rule; then the teachers' workload."""
    rule = analysis.params.home_teaching
    summary = analysis.home_teaching_summary
    months = LIST_SEPARATOR.join(summary.get("months_assessed", [])) or "尚无已结束的整月"
    funding = (f"应拨付送教经费 {_yuan(summary.get('funding_due', 0))} 元/年"
               f"（{summary['due']} 人 × {_yuan(rule.funding_per_year)} 元）。")
    hours_per_year = plain_number(rule.hours_per_year)
    compliance = _official_table(
        analysis, "送教上门", "送教上门落实情况", _home_teaching_columns(rule.hours_per_year),
        _numbered(_home_teaching_rows(analysis)),
        notes=[f"应送教 {summary['due']} 人，各月均达标 {summary['compliant']} 人；考核月份：{months}。",
               f"标准：每月至少 {plain_number(rule.visits_per_month)} 次、"
               f"每次 {plain_number(rule.hours_per_visit)} 课时，每学年不少于 {hours_per_year} 课时。",
               f"累计课时：本学年（9月1日起）至该月底的课时累计，对照每学年 {hours_per_year} 课时。",
               funding])
    workload = _official_table(
        analysis, "送教上门 教师工作量", "送教教师工作量", _WORKLOAD_COLUMNS, analysis.teacher_workload,
        notes=[f"每次送教计 {plain_number(rule.workload_hours_per_visit)} 课时工作量；重复记录只计一次。",
               funding])
    return [compliance, workload]


_SUBSIDY_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("姓名", "name"),
    Column("身份证号", "id_number"),
    Column("年级", "grade", kind="int"),
    Column("学段", "level_text"),
    Column("寄宿", "boarding_text"),
    Column("脱贫户类别", "category"),
    Column("学期", "term"),
    Column("应发(元)", "due", group="生活补助", kind="float"),
    Column("实发(元)", "paid", group="生活补助", kind="float"),
    Column("少发(元)", "missing", group="生活补助", kind="float"),
    Column("是否足额", "in_full"),
]
_LEVELS = {"primary": "小学", "junior": "初中"}


def _subsidy_sheet(analysis: Analysis) -> TableSheet:
    """资助核对 (应助尽助): each eligible pupil's 生活补助 this term against half the yearly standard."""
    subsidy = analysis.subsidy
    rows = subsidy.assign(
        level_text=subsidy["level"].map(_LEVELS),
        boarding_text=_yes_no(subsidy["boarding"]),
        in_full=_yes_no(~subsidy["short"].astype(bool)),
    ).sort_values(["township", "school"], kind="stable")
    standard = analysis.params.subsidy
    return _official_table(
        analysis, "资助核对", "学生资助核对表（应助尽助）", _SUBSIDY_COLUMNS, _numbered(rows),
        notes=[f"应发：每学期为年标准的一半。年标准（元）：寄宿生 小学 {_yuan(standard.boarding.primary)}、"
               f"初中 {_yuan(standard.boarding.junior)}；非寄宿生 小学 {_yuan(standard.day.primary)}、"
               f"初中 {_yuan(standard.day.junior)}。"])


_TRANSITION_COLUMNS = [
    NUMBER,
    Column("姓名", "name"),
    Column("性别", "gender"),
    Column("身份证号", "id_number"),
    Column("学籍号", "student_no"),
    Column("乡镇", "township"),
    Column("原小学", "school"),
    Column("原班级", "class_name"),
    Column("上学年学籍状态", "status"),
    Column("有在办辍学案件", "open_case_text"),
    Column("情况", "reason"),
]


def _transition_sheet(analysis: Analysis) -> TableSheet:
    """小升初: last year's grade-6 pupils not found at school this year (or: last year's roster is missing)."""
    title = "小升初衔接核对表"
    if analysis.transition is None:
        empty = pd.DataFrame(columns=[column.key for column in _TRANSITION_COLUMNS])
        return _official_table(analysis, "小升初", title, _TRANSITION_COLUMNS, empty,
                               notes="缺少上一学年的学籍台账：无法核对小升初衔接。请补报上一学年学籍。")
    transition = analysis.transition
    rows = transition.assign(open_case_text=_yes_no(transition["has_open_case"]))
    return _official_table(analysis, "小升初", title, _TRANSITION_COLUMNS, _numbered(rows),
                           notes="上一学年六年级学生，本学年无在读、休学学籍，也无已有结果的辍学案件。")
