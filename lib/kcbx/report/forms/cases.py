"""The cases' forms: 附件2 辍学学生登记表 (one form per case, 一生一表), 附件3 登记汇总表
(one line per case) and the 辍学台账."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.cases import CASE_STATES, NOTICE_EVENT, TERM_SCOPES, deadline_moved_note
from kcbx.measures.matching import LIST_SEPARATOR
from kcbx.report.excel import Column, FormSheet, PupilForm, TableSheet, history_from_case_events
from kcbx.report.forms.common import (
    FAMILY,
    FAMILY_NOTE,
    NUMBER,
    _details,
    _is_blank,
    _numbered,
    _official_table,
    _scope_note,
    _signoff,
    _subtitle,
    _term_scopes,
    _title,
    _yes_no,
    _zero_report,
)
from kcbx.schema import CASE_ACTIONS, CASE_METHOD_NAMES

# Where a form's 辍学(离校)时间 comes from: the first day of the absence run that led to the
# case (the absence ledger), else the case's registration.
LEFT_ON_RUN = "连续无故缺勤首日"
LEFT_ON_REGISTERED = "登记日期（未查到引致登记的连续缺勤）"
REGISTRATION_FORM = "义务教育阶段辍学学生登记表"  # seed 000's 附件2, after the county and term
SUMMARY_FORM = "义务教育阶段辍学学生登记汇总表"  # seed 000's 附件3


def _cases_with_child(analysis: Analysis, people: pd.DataFrame) -> pd.DataFrame:
    """The case table with what the forms add about the child, in case-table order.

    Adds id_number, gender, class_name, guardian, village, home_township, phone,
    family (from ``_people``); name, school and grade fall back on ``_people`` (the
    roster row first) when the case events leave them blank; method_wording (四个一批);
    measures (帮扶措施: ``_case_measures``); returned_on (the outcome date of a returned
    case); left_on, left_on_basis (辍学(离校)时间 and where it comes from: ``_left_school_on``);
    scope, scope_label (the case's place on this term's forms, ``term_scope``; None: left
    off them); notice_due_note ("10月3日 → 10月8日（遇节假日顺延）" where the 复学期限 moved);
    notice_overdue_text (是/否 once a notice was sent, else blank).
    """
    cases = analysis.cases.reset_index(drop=True)
    child = _details(people, cases["person_key"])
    returned = cases["state"].eq("returned")
    scope = _term_scopes(analysis).reset_index(drop=True)
    left_on, basis = _left_school_on(cases, analysis.streaks)
    return cases.assign(
        name=cases["name"].where(cases["name"].notna(), child["name"]),
        school=cases["school"].where(cases["school"].notna(), child["school"]),
        grade=cases["grade"].astype(object).where(cases["grade"].notna(), child["grade"]),
        **{column: child[column] for column in
           ("id_number", "gender", "class_name", "guardian", "village", "home_township", "phone",
            "family")},
        method_wording=cases["method"].map(_method_wording),
        measures=cases["case_id"].map(_case_measures(analysis)).astype(object),
        returned_on=cases["outcome_date"].where(returned),
        left_on=left_on,
        left_on_basis=basis,
        scope=scope,
        scope_label=scope.map(TERM_SCOPES).astype(object),
        notice_due_note=deadline_moved_note(cases["notice_due_nominal"], cases["notice_due"]),
        notice_overdue_text=_yes_no(cases["notice_overdue"]).where(cases["last_notice"].notna()),
    )


def _left_school_on(cases: pd.DataFrame, streaks: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """辍学(离校)时间 of each case, and its basis (LEFT_ON_RUN or LEFT_ON_REGISTERED).

    The first day of the child's run of unexcused absences where that run began on or before
    the case's opening and the case is the child's latest (the run is still going on as_of, so
    it is the one that led to this case). ``streaks`` holds only runs going on at as_of: a run
    that ended before (the child came back, or the absences stop in the ledger) is not known,
    and the registration date stands in for it.
    """
    runs = streaks.loc[streaks["streak"].ge(1) & streaks["streak_start"].notna()]
    # reindex, not map: map of an empty key column onto dates fails in pandas.
    starts = runs.set_index("person_key")["streak_start"].reindex(cases["person_key"].to_numpy())
    run_start = pd.Series(pd.to_datetime(starts.to_numpy()), index=cases.index)
    latest = ~cases["person_key"].duplicated(keep="last")
    led = latest & run_start.notna() & (run_start <= cases["opened"])
    left_on = run_start.where(led, cases["opened"])
    basis = pd.Series(np.where(led, LEFT_ON_RUN, LEFT_ON_REGISTERED), index=cases.index, dtype=object)
    return left_on, basis


def _case_measures(analysis: Analysis) -> dict[str, str]:
    """case_id → 帮扶措施 from its log: the 四个一批 methods its actions (家访, 劝返, notices) used,
    in order, then what those actions noted ("家访：家长不配合"); no entry where the log has
    neither (the form leaves the line to fill by hand)."""
    events = analysis.case_events
    actions = events[~events["duplicate"] & events["event"].isin(CASE_ACTIONS)
                     & (events["date"] <= pd.Timestamp(analysis.as_of))].sort_values("date", kind="stable")
    measures = {}
    for case_id, rows in actions.groupby("case_id", sort=False):
        methods = [_method_wording(m) for m in rows["method"] if not _is_blank(m)]
        notes = [f"{event}：{note}" for event, note in zip(rows["event"], rows["note"]) if not _is_blank(note)]
        parts = ["、".join(dict.fromkeys(methods)), *dict.fromkeys(notes)]
        text = "；".join(part for part in parts if part)
        if text:
            measures[case_id] = text
    return measures


def _on_this_terms_forms(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases 附件2 and 附件3 list: opened this term, or carried over still open."""
    return cases[cases["scope"].notna()]


def _method_wording(method: Any) -> Any:
    """A 劝返方式 as 四个一批 words it (感召 → 讲道理感召); other values unchanged."""
    return CASE_METHOD_NAMES.get(method, method)


def _open_first(cases: pd.DataFrame) -> pd.DataFrame:
    """Open cases first, then the others, each in case-table order (opened, case_id)."""
    return cases.sort_values("state", key=lambda state: state.ne("open"), kind="stable")


def _case_history(analysis: Analysis) -> dict[str, pd.DataFrame]:
    """case_id → its 劝返记录 (history_from_case_events) from its events on or before as_of.

    Duplicate event rows are left out: the measures count them once. Methods
    are worded as on the form's 处理措施 (四个一批).
    """
    events = analysis.case_events
    events = events[~events["duplicate"] & (events["date"] <= pd.Timestamp(analysis.as_of))]
    events = events.assign(method=events["method"].map(_method_wording)).sort_values("date", kind="stable")
    # Worded once for every case (a county has hundreds), then split: each case's rows keep
    # the date order, same-day events their file order, as for one case alone.
    history = history_from_case_events(events)
    return {case_id: rows.reset_index(drop=True)
            for case_id, rows in history.groupby(events["case_id"].to_numpy(), sort=False)}


def _grade_and_class(grade: Any, class_name: Any) -> str | None:
    """年级班级 as a form writes it: "7年级2班" (a bare class number gets its 班)."""
    parts = []
    if not _is_blank(grade):
        parts.append(f"{int(grade)}年级")
    if not _is_blank(class_name):
        text = str(class_name).strip()
        parts.append(f"{text}班" if text.isdigit() else text)
    return "".join(parts) or None


# A zero 附件2 (no case this term) lists the form's first fields as a header, nothing under it.
_ZERO_REGISTRATION_COLUMNS = [
    NUMBER,
    Column("姓名", "name"),
    Column("身份证号", "id_number"),
    Column("学校", "school"),
    Column("年级班级", "grade"),
    Column("辍学(离校)时间", "left_on", kind="date"),
    Column("辍学原因", "cause"),
]
_REGISTRATION = "附件2 辍学学生登记表"


def _registration_sheet(analysis: Analysis, cases: pd.DataFrame) -> FormSheet | TableSheet:
    """附件2 辍学学生登记表: the forms of ``_registration_forms`` under the form's title, each
    signed by the unit and the guardian; with no case on this term's forms, the 零报告
    ("本期无辍学学生"), signed all the same. ``cases``: ``_cases_with_child``'s rows, any subset."""
    listed = _on_this_terms_forms(cases)
    if listed.empty:
        return _zero_report(analysis, _REGISTRATION, REGISTRATION_FORM, _ZERO_REGISTRATION_COLUMNS, annex=2,
                            notes=[_scope_note(analysis)])
    return FormSheet(_REGISTRATION, _title(analysis, REGISTRATION_FORM, annex=2),
                     _registration_forms(analysis, listed), subtitle=_subtitle(analysis),
                     signoff=_signoff(analysis, guardian=True))


def _registration_forms(analysis: Analysis, cases: pd.DataFrame) -> list[PupilForm]:
    """附件2: one 辍学学生登记表 per case (一生一表), open cases first.

    原因分析 is the case's 辍学原因, 帮扶措施 its measures (``_case_measures``), 责任人 the two
    lines' owners (包保干部, 包保教师), 时限 the 复学期限 (always a date). 备注 says the case's
    scope (本学期登记, 上学期结转), where 辍学(离校)时间 comes from, and a deadline moved past a
    holiday; the 劝返记录 row of that notice says it too.
    """
    history = _case_history(analysis)
    forms = []
    for case in _open_first(cases).to_dict("records"):
        address = "".join(str(part) for part in (case["home_township"], case["village"])
                          if not _is_blank(part)) or None
        fields = {
            "姓名": case["name"],
            "性别": case["gender"],
            "身份证号": case["id_number"],
            "学校": case["school"],
            "年级班级": _grade_and_class(case["grade"], case["class_name"]),
            "监护人姓名": case["guardian"],
            "家庭类别": case["family"],
            "家庭住址": address,
            "联系电话": case["phone"],
            "辍学(离校)时间": case["left_on"],
            "原因分析": case["cause"],
            "去向": case["destination"],
            "责任人(政府线)": case["admin_owner"],
            "责任人(教育线)": case["edu_owner"],
            "帮扶措施": case["measures"],
            "复学时间": case["returned_on"],
            "安置方式": case["placement"],
            "限期复学通知书": case["last_notice"],
            "时限(复学期限)": case["notice_due"],
            "备注": _form_note(case),
        }
        filled = {label: value for label, value in fields.items() if not _is_blank(value)}
        forms.append(PupilForm(filled, _annotated_history(history.get(case["case_id"]), case)))
    return forms


def _form_note(case: dict) -> str:
    """A form's 备注: "本学期登记；辍学(离校)时间：…；复学期限 10月3日 → 10月8日（遇节假日顺延）"."""
    parts = [case["scope_label"], f"辍学(离校)时间：{case['left_on_basis']}",
             None if _is_blank(case["notice_due_note"]) else f"复学期限 {case['notice_due_note']}"]
    return "；".join(part for part in parts if not _is_blank(part))


def _annotated_history(rows: pd.DataFrame | None, case: dict) -> pd.DataFrame:
    """A form's 劝返记录, the notice that set the 复学期限 saying its move past a holiday."""
    rows = pd.DataFrame(columns=["date", "event", "owner", "result"]) if rows is None else rows
    if _is_blank(case["notice_due_note"]):  # most cases: nothing to say, no copy
        return rows
    rows = rows.copy()
    notice = rows.index[rows["event"].eq(NOTICE_EVENT) & rows["date"].eq(case["last_notice"])]
    if len(notice):
        before = rows.at[notice[-1], "result"]
        moved = f"复学期限 {case['notice_due_note']}"
        rows.at[notice[-1], "result"] = moved if _is_blank(before) else f"{before}；{moved}"
    return rows


_NOTICE = "限期复学通知书"
_NOTICE_COLUMNS = [
    Column("最近发出", "last_notice", group=_NOTICE, kind="date"),
    Column("复学期限", "notice_due", group=_NOTICE, kind="date"),
    Column("期限顺延", "notice_due_note", group=_NOTICE),
    Column("逾期", "notice_overdue_text", group=_NOTICE),
]
NOTICE_NOTE = ("限期复学通知书：复学期限为发出日加规定天数，遇节假日、周末顺延到下一个上课日（见“期限顺延”）；"
               "逾期按发出后超过规定的日历天数计，与 metrics.json 的 notices_overdue 一致。")
STRUCK_UNVERIFIED = "销号无结果无劝返"
_SUMMARY_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("姓名", "name"),
    Column("性别", "gender"),
    Column("身份证号", "id_number"),
    Column("年级", "grade", kind="int"),
    Column("村(社区)", "village"),
    Column("监护人", "guardian"),
    Column("联系电话", "phone"),
    FAMILY,
    Column("辍学时间", "left_on", kind="date"),
    Column("辍学时间依据", "left_on_basis"),
    Column("辍学原因", "cause"),
    Column("去向", "destination"),
    Column("范围", "scope_label"),
    Column("当前状态", "state_label"),
    Column("劝返次数", "attempts", kind="int"),
    Column("包保干部", "admin_owner"),
    Column("包保教师", "edu_owner"),
    Column("劝返方式", "method_wording"),
    Column("安置方式", "placement"),
    Column("复学时间", "returned_on", kind="date"),
    Column("销号时间", "struck_date", kind="date"),
    *_NOTICE_COLUMNS,
]


def _summary_sheet(analysis: Analysis, cases: pd.DataFrame) -> TableSheet:
    """附件3: one line per case on this term's forms, in the order of the 附件2 forms; with none,
    the 零报告 ("本期无辍学学生"), signed all the same. ``cases``: ``_cases_with_child``'s rows."""
    listed = _on_this_terms_forms(cases)
    notes = ["序号与附件2登记表的顺序一致：在办案件在前。乡镇为案件登记乡镇，村为户籍所在村。",
             _scope_note(analysis) + "“范围”列：本学期登记或上学期结转。",
             f"辍学时间：{LEFT_ON_RUN}（缺勤台账中引致登记的连续无故缺勤），台账无对应缺勤时为登记日期（见“辍学时间依据”）。",
             NOTICE_NOTE, FAMILY_NOTE]
    if listed.empty:
        return _zero_report(analysis, "附件3 登记汇总表", SUMMARY_FORM, _SUMMARY_COLUMNS, annex=3, notes=notes[1:])
    return _official_table(analysis, "附件3 登记汇总表", SUMMARY_FORM, _SUMMARY_COLUMNS,
                           _numbered(_open_first(listed)), annex=3, notes=notes)


_OWNERS = "包保责任人"
_CASE_LEDGER_COLUMNS = [
    NUMBER,
    Column("案件编号", "case_id"),
    Column("姓名", "name"),
    Column("身份证号", "id_number"),
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("年级", "grade", kind="int"),
    FAMILY,
    Column("登记日期", "opened", kind="date"),
    Column("当前状态", "state_label"),
    Column("结果", "outcome_event"),
    Column("结果日期", "outcome_date", kind="date"),
    Column("销号日期", "struck_date", kind="date"),
    Column("辍学原因", "cause"),
    Column("去向", "destination"),
    Column("行政线(包保干部)", "admin_owner", group=_OWNERS),
    Column("教育线(包保教师)", "edu_owner", group=_OWNERS),
    Column("劝返方式", "method_wording"),
    Column("安置方式", "placement"),
    Column("劝返次数", "attempts", kind="int"),
    *_NOTICE_COLUMNS,
    Column("需核实", "problems"),
]


def _case_problems(registered: bool, missing_owner: bool, struck_unverified: bool) -> str | None:
    """需核实 of a case: opened by an event other than 登记, an owner line left blank, or struck
    with no outcome and no 劝返 action before the 销号 (an inspector reads a false 销号)."""
    problems = [text for text, present in (("无登记事件", not registered), ("缺包保责任人", missing_owner),
                                           (STRUCK_UNVERIFIED, struck_unverified)) if present]
    return LIST_SEPARATOR.join(problems) or None


def _case_ledger_sheet(analysis: Analysis, cases: pd.DataFrame) -> TableSheet:
    """辍学台账: every case opened on or before as_of, closed ones included (动态销号)."""
    problems = [_case_problems(*flags) for flags in zip(
        cases["registered"].astype(bool), cases["missing_owner"].astype(bool),
        cases["struck_unverified"].astype(bool))]
    rows = _numbered(cases.assign(problems=pd.Series(problems, index=cases.index, dtype=object)))
    states = "；".join(CASE_STATES.values())
    return _official_table(analysis, "辍学台账", "辍学台账（劝返台账）", _CASE_LEDGER_COLUMNS, rows,
                           notes=[f"状态：{states}。已销号案件保留其结果（动态销号）。",
                                  "需核实：案件没有登记事件（以首个事件日期立案），行政线、教育线责任人未填，"
                                  "或销号时既无结果（复学、转学等）、销号前也无家访、劝返或限期复学通知书。",
                                  NOTICE_NOTE, FAMILY_NOTE])
