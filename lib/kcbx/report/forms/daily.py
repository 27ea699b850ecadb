"""The daily forms: 日报 未上报学校 (the schools whose absences or 零报告 are not in today),
日报 出勤统计 (应到, 实到 and 缺勤 per school), 日报 未到校学生名册 (the pupils absent without
leave today) and the 预警名单 (the pupils high and medium on the early-warning list)."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.by_school import SUBTOTAL_LABEL, TOTAL_LABEL
from kcbx.measures.common import is_in
from kcbx.measures.escalation import absence_not_reported
from kcbx.measures.matching import ENROLLED_STATUS, grade_names
from kcbx.measures.reporting import (
    NOT_REPORTED,
    ZERO_REPORTS_REQUIRED,
    not_reported_alert,
    not_reported_schools,
    reporting_status,
)
from kcbx.measures.warning import LEVEL_ACTIONS, LEVELS, RULE_TAGS, RULES, rules_in_words
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import (
    FAMILY,
    FAMILY_NOTE,
    NUMBER,
    _details,
    _family_categories,
    _numbered,
    _official_table,
    _yes_no,
)


def _daily_notes(analysis: Analysis) -> list[str]:
    """The 日报 sheets' notes: when it is due, or that today is no school day; first, whether
    today's absences are in at all."""
    school_day = pd.Timestamp(analysis.as_of) in analysis.school_days
    notes = ["每个上课日17:00前报送（日报告）。"] if school_day else \
        [f"{analysis.as_of.isoformat()} 不是上课日，无需日报。"]
    not_reported = absence_not_reported(analysis.metrics)
    if not_reported:  # first, right under the (then empty) list
        notes.insert(0, not_reported)
    return notes


# --- 日报 未上报学校 ------------------------------------------------------------------------

_NOT_REPORTED_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("上报情况", "status"),
    Column("最近上报日期", "last_reported", kind="date"),
]


def _not_reported_sheet(analysis: Analysis) -> TableSheet:
    """日报 未上报学校, first of the 日报 sheets: whom to call before 17:00 (under params
    zero_reports required, the schools with a 在读 pupil and neither an absence row nor a 零报告
    today, with the last school day each reported)."""
    rows = not_reported_schools(analysis.school_reporting, analysis.params.zero_reports,
                                analysis.metrics["is_school_day"])
    rows = rows.assign(status=pd.Series(NOT_REPORTED, index=rows.index, dtype=object))
    school_day = analysis.metrics["is_school_day"]
    if not school_day:
        notes = [f"{analysis.as_of.isoformat()} 不是上课日，无需日报。"]
    elif analysis.params.zero_reports != ZERO_REPORTS_REQUIRED:
        notes = ["本县未要求零报告（params zero_reports: optional）：今日没有缺勤记录的学校可能无人缺勤，"
                 "也可能尚未上报，见“日报 出勤统计”的上报情况。"]
    else:
        notes = [not_reported_alert(analysis.metrics, ZERO_REPORTS_REQUIRED) or "今日各校均已上报缺勤或零报告。",
                 "上报：当日有缺勤记录，或报了零报告（姓名或缺勤类型填“无缺勤”）。未上报学校的学生不计入当日实到。"]
    return _official_table(analysis, "日报 未上报学校", "未上报学校（日报）",
                           _NOT_REPORTED_COLUMNS if analysis.township is None else
                           [c for c in _NOT_REPORTED_COLUMNS if c.key != "township"],
                           _numbered(rows), notes=notes)


# --- 日报 出勤统计 ----------------------------------------------------------------------

_ABSENT = "缺勤(人)"
_ATTENDANCE_COLUMNS = [
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("上报情况", "reporting"),
    Column("在读(人)", "enrolled", kind="int"),
    Column("送教上门(人)", "home_taught", kind="int"),
    Column("应到(人)", "expected", kind="int"),
    Column("实到(人)", "present", kind="int"),
    Column("合计", "absent", group=_ABSENT, kind="int"),
    Column("无故", "absent_today", group=_ABSENT, kind="int"),
    Column("病假", "sick_leave", group=_ABSENT, kind="int"),
    Column("事假", "personal_leave", group=_ABSENT, kind="int"),
]


def home_taught_by_row(analysis: Analysis, statistics: pd.DataFrame) -> pd.Series:
    """Per row of the 出勤统计 (a school, a township's 小计, the 合计): the distinct 在读 pupils
    there who are placed 送教上门 (analysis.home_teaching_due), taught at home, not in class."""
    roster = analysis.roster
    taught = roster[(roster["status"] == ENROLLED_STATUS)
                    & is_in(roster["person_key"], set(analysis.home_teaching_due["person_key"]))]

    by_school = taught.groupby(["township", "school"])["person_key"].nunique()
    by_township = taught.groupby("township")["person_key"].nunique()
    everyone = taught["person_key"].nunique()

    def pupils(township: object, school: object) -> int:
        if township == TOTAL_LABEL:
            return everyone
        if school == SUBTOTAL_LABEL:
            return int(by_township.get(township, 0))
        return int(by_school.get((township, school), 0))

    return pd.Series([pupils(township, school) for township, school
                      in zip(statistics["township"], statistics["school"])], index=statistics.index, dtype="int64")


def _attendance_sheet(analysis: Analysis, statistics: pd.DataFrame) -> TableSheet:
    """日报 出勤统计: per school, 在读 pupils, of them 送教上门 (taught at home), 应到 = 在读 −
    送教上门, 实到 = 应到 − 缺勤, and 缺勤 split into 无故, 病假 and 事假, counted as 附件1 counts
    (each pupil at each school of their roster).

    上报情况 per school (kcbx.measures.reporting): a school that has not reported today under
    params zero_reports required has 应到 and 实到 "未上报" (its pupils are not counted present),
    and its 应到 is left out of its township's 小计 and the 合计, so that 实到 = 应到 − 缺勤 there too."""
    home_taught = home_taught_by_row(analysis, statistics)
    expected = statistics["enrolled"] - home_taught
    rows = statistics[["township", "school", "enrolled", "absent_today", "sick_leave",
                       "personal_leave"]].assign(home_taught=home_taught, expected=expected,
                                                 absent=statistics["absent_any"],
                                                 present=expected - statistics["absent_any"])
    rows, reporting_notes = _with_reporting(analysis, rows)
    return _official_table(
        analysis, "日报 出勤统计", "控辍保学日报（学生出勤统计表）", _ATTENDANCE_COLUMNS, rows,
        notes=[*_daily_notes(analysis), *reporting_notes,
               "在读：本学年在读学生（两校学籍的学生在两校各计一次，小计、合计只计一次）；送教上门：其中安置方式为"
               "送教上门的学生（残疾儿童台账），不到校上课；应到 = 在读 − 送教上门；无故：无故、旷课；"
               "实到 = 应到 − 缺勤合计。无故缺勤学生见“日报 未到校学生名册”。"])


def _with_reporting(analysis: Analysis, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The 出勤统计 rows with 上报情况, and under zero_reports required the 未上报 schools' 应到 and
    实到 as "未上报", their 应到 out of the 小计 and 合计 rows; the notes that say so."""
    school_day = bool(analysis.metrics["is_school_day"])
    mode = analysis.params.zero_reports
    today = dict(zip(analysis.school_reporting["school"], analysis.school_reporting["reported_today"]))
    is_school = ~rows["township"].eq(TOTAL_LABEL) & ~rows["school"].eq(SUBTOTAL_LABEL)
    status = pd.Series([reporting_status(bool(today.get(school, False)), school_day, mode) if own else None
                        for school, own in zip(rows["school"], is_school)], index=rows.index, dtype=object)
    rows = rows.assign(reporting=status)
    missing = is_school & status.eq(NOT_REPORTED)
    if not missing.any():
        return rows, []
    # Taken out of the 小计 of the school's township and of the 合计: nobody there is counted present.
    left_out = rows.loc[missing].groupby("township")["expected"].sum()
    subtotal = rows["school"].eq(SUBTOTAL_LABEL)
    total = rows["township"].eq(TOTAL_LABEL)
    less = pd.Series(0, index=rows.index, dtype="int64")
    less[subtotal] = rows.loc[subtotal, "township"].map(left_out).fillna(0).astype("int64")
    less[total] = int(left_out.sum())
    expected = (rows["expected"] - less).astype(object)
    present = (rows["present"] - less).astype(object)
    expected[missing] = NOT_REPORTED
    present[missing] = NOT_REPORTED
    count = int(missing.sum())
    return rows.assign(expected=expected, present=present), [
        f"{count} 所学校今日未上报（见“日报 未上报学校”）：其应到、实到记为“未上报”，不计入小计、合计的应到、实到。"]


_DAILY_COLUMNS = [
    NUMBER,
    Column("学校", "school"),
    Column("年级", "grade", kind="int"),
    Column("班级", "class_name"),
    Column("姓名", "name"),
    Column("性别", "gender"),
    Column("身份证号", "id_number"),
    Column("缺勤类型", "absence_type"),
    Column("备注", "note"),
    Column("连续无故缺勤(天)", "streak", kind="int"),
    Column("应采取措施", "action"),
    Column("最高一级未落实", "notice_finding"),
    Column("监护人", "guardian"),
    Column("联系电话", "phone"),
    FAMILY,
]


def _daily_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """日报 未到校学生名册: pupils absent without leave today, with their streak and the action owed;
    the county's with each pupil's 乡镇 (of their roster row)."""
    today = analysis.absent_today
    child = _details(people, today["person_key"])
    streak = analysis.streaks.set_index("person_key")
    rows = today.assign(
        **{column: child[column] for column in ("township", "grade", "class_name", "name", "gender",
                                                "id_number", "guardian", "phone", "family")},
        school=child["school"].where(child["school"].notna(), today["school"]),
        streak=today["person_key"].map(streak["streak"]),
        action=today["person_key"].map(streak["action"]),
        notice_finding=today["person_key"].map(analysis.notices_missing.set_index("person_key")["finding"]),
    ).sort_values(["township", "school", "grade", "class_name"], kind="stable", na_position="last")
    columns = _DAILY_COLUMNS if analysis.township else \
        [NUMBER, Column("乡镇", "township"), *_DAILY_COLUMNS[1:]]
    top = max(analysis.params.escalation)
    return _official_table(analysis, "日报 未到校学生名册", "未到校学生名册（日报）", columns,
                           _numbered(rows), notes=[*_daily_notes(analysis),
                                                   f"最高一级未落实：连续无故缺勤达 {top} 个上课日，在办案件未发限期复学通知书，"
                                                   "或尚未登记辍学案件。", FAMILY_NOTE])


# --- 预警名单 -----------------------------------------------------------------------------


_WARNING_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("年级", "grade", kind="int"),
    Column("班级", "class_name"),
    Column("姓名", "name"),
    Column("身份证号", "id_number"),
    Column("监护人", "guardian"),
    Column("联系电话", "phone"),
    FAMILY,
    Column("分数", "score", kind="float"),
    Column("等级", "level_text"),
    *(Column(tag, f"rule_{rule}", group="预警规则") for rule, tag in RULE_TAGS.items()),
]


def _warning_sheet(analysis: Analysis) -> TableSheet:
    """预警名单: the pupils high and medium on as_of, highest score first, each rule 是/否, with the
    guardian's phone: for the 班主任 and 包保教师 who act on it."""
    listed = analysis.early_warning
    rows = listed.assign(level_text=listed["level"].map(LEVELS),
                         family=listed["person_key"].map(_family_categories(analysis)),
                         **{f"rule_{rule}": _yes_no(listed[rule]) for rule in RULES})
    return _official_table(
        analysis, "预警名单", "控辍保学预警名单", _WARNING_COLUMNS, _numbered(rows),
        notes=[rules_in_words(analysis.params.early_warning, grade_names(analysis.params.junior_grade_names)),
               *LEVEL_ACTIONS.values(), FAMILY_NOTE])
