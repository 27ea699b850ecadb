"""What each field of an ``Analysis`` holds: one description per table and per column.

The one place these are written. ``Analysis``'s docstring is built from them (so ``help(a)``
and ``a?`` in Jupyter show them), ``kcbx.explore.describe`` prints one, and the summary an
analysis shows in Jupyter names each table with its first line.

Tables hold full identities (person_key is the resident ID, else the 学籍号); the report
masks them, ``forms.xlsx`` does not. "Of the township": attributed as metrics.json is (see
``kcbx.analysis.metrics``); for the county, every row once.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldDoc:
    """One field: ``summary`` (one line: what a row is), ``detail`` (how it is made, what to
    watch for), ``columns`` (column → meaning; columns of a store table keep schema.py's names)."""

    summary: str
    detail: str = ""
    columns: dict[str, str] = field(default_factory=dict)

    def text(self, name: str, width: int = 92) -> str:
        """The description as a docstring paragraph: the name and summary, the detail, the columns."""
        lines = textwrap.wrap(f"{name}: {self.summary}", width, subsequent_indent="    ")
        if self.detail:
            lines += textwrap.wrap(self.detail, width, initial_indent="    ", subsequent_indent="    ")
        for column, meaning in self.columns.items():
            lines += textwrap.wrap(f"- {column}: {meaning}", width, initial_indent="    ",
                                   subsequent_indent="      ")
        return "\n".join(lines)


PERSON = "the resident ID (身份证号), else the 学籍号"
ROSTER_COLUMNS = {
    "school_year": "学年 as the ledger gives it (2021 = Sept 2021 – Aug 2022); NULL: not given, "
                   "read as the current school year",
    "person_key": PERSON, "id_number": "身份证号", "student_no": "学籍号", "name": "姓名",
    "gender": "性别", "birth_date": "出生日期", "township": "乡镇", "school": "学校",
    "grade": "年级 1–9", "class_name": "班级", "boarding": "是否寄宿",
    "status": "学籍状态: 在读, 休学, 转出, 毕业, 死亡", "left_behind": "留守儿童",
    "migrant": "随迁子女", "source_file, source_sheet, source_row": "the ledger row it came from",
}
STREAK_COLUMNS = {
    "person_key": PERSON,
    "streak": "consecutive unexcused-absent school days ending on the last school day on or "
              "before as_of (days without school between them neither break nor lengthen it)",
    "streak_start": "first day of the run",
    "last_absent": "latest unexcused-absent school day",
    "school": "学校 of that latest absence row",
    "level": "the largest threshold of params escalation the streak reaches (0 below the first)",
    "rung": "1 for the first threshold, 2 for the second … (0 below the first)",
    "action": "what that rung owes (班主任劝返, 学校包保 …)",
}
CHILD_COLUMNS = {
    "person_key": PERSON, "id_number": "身份证号", "student_no": "学籍号", "name": "姓名",
    "gender": "性别", "birth_date": "出生日期", "township": "乡镇 of the population row",
    "village": "村", "guardian": "监护人", "phone": "联系电话",
    "age": "whole years on 31 August of the school year",
    "standing": "本乡镇在校, 外乡镇就读, 已完成义务教育, 有去向佐证, a verified result's standing "
                "(在外地就读, 延缓入学, 免学, 休学, 死亡, 户籍迁出) or 疑似失学",
    "check_result": "核查结果 of the child's latest verification row on or before as_of (None: no check)",
    "check_date": "its 核查日期", "check_evidence": "its 佐证",
    "check_evidenced": "佐证 holds what the result needs (kcbx.measures.verification.has_evidence)",
}
EXPLAINED = {"has_open_case": "the child has a case open on as_of",
             "reason": "why the child counts here, in words (无学籍, 学籍状态 …)"}

ANALYSIS_FIELDS: dict[str, FieldDoc] = {
    "params": FieldDoc("the county's params (kcbx.params.Params), overrides of a what-if included"),
    "as_of": FieldDoc("the day measured (datetime.date)"),
    "township": FieldDoc("the township measured; None for the county"),
    "metrics": FieldDoc(
        "metrics.json as a dict: the fixed keys first, then the report's extra figures",
        "docs/metrics.md describes every key."),
    "school_days": FieldDoc("every school day of the term (DatetimeIndex): the term's weekdays, "
                            "less holidays and days_off, plus 调休 and extra_school_days"),
    "roster": FieldDoc(
        "the township's current roster rows: one row per roster row, any 学籍状态",
        "Current: of the school year containing as_of, rows without 学年 included (the rule the "
        "measures use, kcbx.measures.common.current_roster). A pupil on two schools' rosters has "
        "two rows; kcbx.explore.pupils(a) gives one row per pupil.",
        ROSTER_COLUMNS),
    "enrolled_by_school_grade": FieldDoc(
        "distinct 在读 pupils by township, school and grade (one row per school × grade)",
        "A pupil on two rosters (重复学籍) counts at each school, so the column sums to "
        "enrolled + the duplicates (the demo county: 2980 against enrolled 2979). For counts "
        "that add up, count kcbx.explore.pupils(a), one row per pupil: "
        "pd.crosstab(p.township, p.grade, margins=True).",
        {"township": "乡镇", "school": "学校", "grade": "年级 1–9",
         "enrolled": "distinct 在读 pupils"}),
    "streaks": FieldDoc(
        "pupils with an unexcused absence on or before as_of whose streak is at least 1: one row "
        "per pupil, the escalation ladder's rung and the action it owes",
        "metrics.json escalation counts these rows by threshold. No name or grade here: "
        "kcbx.explore.with_pupils(a.streaks, a) adds them.",
        STREAK_COLUMNS),
    "absent_today": FieldDoc(
        "日报: pupils with an unexcused absence (无故, 旷课) on as_of; its row count is "
        "absent_unexcused_today",
        "Empty when as_of is no school day.",
        {"person_key": PERSON, "school": "学校", "absence_type": "缺勤类型", "note": "备注"}),
    "daily_unexcused": FieldDoc(
        "pupils with an unexcused absence on each school day of the term up to as_of",
        columns={"date": "school day", "pupils": "pupils absent unexcused that day"}),
    "cases": FieldDoc(
        "劝返台账: one row per dropout case opened on or before as_of, attributed to its township "
        "(of its 登记 event, else the roster, else the population township)",
        "From the case's events on or before as_of; state is the case state of docs/ledgers.md.",
        {"case_id": "the case", "person_key": PERSON, "name, school, grade": "as the case's events "
         "first give them", "township": "the case's township", "opened": "date of its first event",
         "registered": "opened by a 登记 event",
         "state, state_label": "open, returned, transferred, home_teaching, died, closed "
                               "(在办, 已复学 …)",
         "outcome_event, outcome_date": "the last outcome (复学, 转学 …)",
         "struck, struck_date": "销号, and its date",
         "last_notice, notice_due, notice_overdue": "the last 限期复学通知书, the day the child is "
                                                    "due back, and whether it is overdue",
         "cause, destination": "辍学原因, 去向 (latest given)",
         "admin_owner, edu_owner, missing_owner": "the two lines' owners; missing_owner: either "
                                                  "blank on every event",
         "method, placement": "劝返方式, 安置方式 (latest given)",
         "attempts": "家访, 劝返 and notices", "events": "events counted",
         "struck_unverified": "struck with no outcome and no 劝返 before it: to verify"}),
    "case_events": FieldDoc(
        "the events of those cases: one row per case ledger row, with its case_id",
        columns={"case_id": "the case it belongs to", "event": "事件", "date": "日期",
                 "duplicate": "an exact copy of an earlier row (counted once)",
                 "unregistered": "the case had no 登记 before it"}),
    "case_breakdowns": FieldDoc(
        "cases by state, cause, method and placement: a dict of tables, one row per value "
        "with cases and one count column per state"),
    "clearance": FieldDoc("清零 progress: open cases, the target date, days remaining, met"),
    "states_over_time": FieldDoc(
        "cases in each state on each school day up to as_of (the case chart)",
        columns={"date": "school day", "open … closed": "cases in that state",
                 "notices_overdue": "open cases with an overdue notice"}),
    "school_age": FieldDoc(
        "适龄儿童台账: children of the population ledger of school age (school_age in params) on "
        "31 August of the school year, less those whose case says died; one row per child",
        "Its row count is school_age_population; by the population row's township.",
        CHILD_COLUMNS),
    "out_of_school": FieldDoc(
        "疑似失学: school-age children with no current 在读 or 休学 roster row, no grade-9 毕业 row, "
        "no case settled otherwise and no verification result with its evidence other than 确认失学 or "
        "其他; its row count is out_of_school_suspected (and suspected_pending)",
        columns={**CHILD_COLUMNS, **EXPLAINED,
                 "transition_gap": "also on the 小升初 list (transition)",
                 "in_absence_ledger": "the absence ledger has a row of the child (a pupil "
                                      "whose 学籍 is missing: 补录学籍)"}),
    "duplicates": FieldDoc(
        "重复学籍: children with 在读 current roster rows at two or more schools",
        columns={"person_key": PERSON, "name": "姓名", "schools": "学校, joined with 、",
                 "townships": "乡镇, joined with 、", "n_schools": "how many schools"}),
    "unenrolled_poverty": FieldDoc(
        "children of the poverty register (脱贫户) on no current 在读 or 休学 roster row who have "
        "not completed grade 9: one row per child, whatever their age",
        "The register carries no birth date: age (from the ID) is there for the reader to judge.",
        {"category": "类别", "age": CHILD_COLUMNS["age"] + " (<NA> without an ID)", **EXPLAINED}),
    "unenrolled_disability": FieldDoc(
        "children of the disability register on no current 在读 or 休学 roster row who have not "
        "completed grade 9: one row per child, whatever their age",
        columns={"placement": "安置方式", "age": CHILD_COLUMNS["age"] + " (<NA> without an ID)",
                 **EXPLAINED}),
    "home_teaching": FieldDoc(
        "送教上门 compliance: one row per due child × calendar month wholly inside the term and "
        "ended by as_of",
        columns={"month": "2021-09", "visits": "distinct visits", "hours": "class hours",
                 "compliant": "at least visits_per_month visits and visits_per_month × "
                              "hours_per_visit hours", "hours_year_to_date": "class hours so far"}),
    "home_teaching_summary": FieldDoc("送教上门 in figures: due, compliant, months assessed, funding due"),
    "teacher_workload": FieldDoc(
        "per 送教教师: visits, children, class hours and workload hours (visits × "
        "workload_hours_per_visit)"),
    "subsidy": FieldDoc(
        "应助尽助: one row per eligible pupil (在读 and in the poverty register), their 生活补助 of "
        "the term containing as_of against half the yearly standard",
        columns={"level": "primary (grades 1–6) or junior (7–9)", "boarding": "是否寄宿",
                 "term": "学期 (2021秋)", "due": "half the yearly standard, yuan",
                 "paid": "生活补助 paid for the term", "short": "paid < due",
                 "missing": "due − paid where short"}),
    "subsidy_not_due": FieldDoc(
        "不应发: one row per pupil of the current roster paid 生活补助 for the term containing "
        "as_of (net of 冲正) who is not eligible: no current row 在读, or not in the poverty register",
        "Eligibility is the county's: a pupil 在读 in another township is not listed. The row is "
        "the pupil's first 在读 row, else their first current row.",
        {"due": "0", "paid": "生活补助 paid for the term, net of 冲正", "status": "学籍状态 of the row",
         "reason": "学籍状态 … and/or 不在脱贫户名单内"}),
    "transition": FieldDoc(
        "小升初: last year's grade-6 pupils with no current 在读 or 休学 row and no case settled "
        "otherwise; None when the roster has no row of last year",
        "By the township of last year's row.",
        {"status": "last year's 学籍状态", "school": "last year's school", **EXPLAINED}),
    "person_groups": FieldDoc(
        "the key groups of the township's pupils and case children: one row per child",
        columns={"person_key": PERSON, "poverty": "脱贫户", "left_behind": "留守儿童",
                 "migrant": "随迁子女", "disabled": "残疾", "grades_8_9": "八、九年级"}),
    "findings": FieldDoc(
        "data-quality findings: rows accepted but worth a look (a duplicate absence, an absence "
        "on no school day …)",
        columns={"kind, file, sheet, row": "the ledger row", "finding": "the check",
                 "detail": "what was seen", "township": "the township it belongs to (None: "
                                                       "could not tell)"}),
    "rejected": FieldDoc(
        "rejected ledger rows, with file, sheet, row, column, value and reason",
        columns={"township": "the township it belongs to (None: the file spans several)"}),
    "ingest_log": FieldDoc("one row per ledger file: rows read, accepted and rejected, sha256, error"),
    "day_absences": FieldDoc(
        "日报 出勤统计: every pupil absent on as_of, any type",
        columns={"person_key": PERSON, "school": "学校", "absence_type": "缺勤类型",
                 "unexcused": "无故 or 旷课"}),
    "home_teaching_due": FieldDoc(
        "children of the disability register placed 送教上门: one row per child",
        columns={"disability_type": "残疾类别", "disability_level": "残疾等级"}),
    "poverty": FieldDoc(
        "the township's people in the poverty register (pupils, case children, school-age "
        "children): person_key, category"),
    "notices_missing": FieldDoc(
        "pupils at the ladder's top rung with no 限期复学通知书, or with no open case",
        columns={**STREAK_COLUMNS, "finding": "what is missing"}),
    "early_warning": FieldDoc(
        "预警名单: pupils scored high or medium on as_of by the early-warning rules (params "
        "early_warning), highest score first",
        "In scope: pupils with a current 在读 row and no open case; one bool column per rule, "
        "score and level (high, medium); see docs/metrics.md, early_warning."),
    "compliance": FieldDoc(
        "合规检查: one row per child or case breaking one of the checks officers do by hand, by rule",
        "Rules (kcbx.measures.compliance.RULES): notice_late (the 限期复学通知书 more than params "
        "notice_grace_days school days after the top rung, or still missing), return_overdue (the "
        "notice's notice_days over, child not back), child_labour (务工 under 16), not_struck_off "
        "(已复学 more than strike_off_days days, no 销号), no_owner (双线 owner missing), "
        "no_guardian_phone (未到校名册 or 预警名单 without a phone), early_marriage (早婚), "
        "case_not_opened (verified 确认失学, no case within case_open_days school days). A case's "
        "row belongs to the case township, a pupil's to the township of their roster row.",
        columns={"rule": "the rule's code", "rule_label": "the rule in Chinese", "township": "乡镇",
                 "school": "学校", "name": "姓名", "person_key": PERSON,
                 "case_id": "the case (None: a pupil's row)",
                 "since": "the day the rule's clock started (top rung, notice, 复学, 登记)",
                 "fact": "what was found, in one Chinese line with its dates",
                 "who_acts": "who must act, and what", "owners": "the case's 包保干部 and 包保教师"}),
    "disability": FieldDoc(
        "the township's rows of the disability register (its 乡镇; the county: all), any age: "
        "the 残疾儿童安置台账 is made of them",
        columns={"disability_type": "残疾类别", "disability_level": "残疾等级",
                 "placement": "安置方式: 随班就读, 特教学校, 特教班, 送教上门, 未安置"}),
    "register_roster": FieldDoc(
        "the current roster rows, in any township, of the township's school-age children and "
        "disability-register children: where each is at school (学籍号, 学籍状态 休学 …)",
        columns=ROSTER_COLUMNS),
    "school_reporting": FieldDoc(
        "日报 上报情况: one row per school with a 在读 pupil, whether it has reported today (absence "
        "rows or a 零报告) and the last school day it reported",
        "A school with no row today is 未上报 under params zero_reports required, and "
        "无缺勤记录（未要求零报告） under optional (kcbx.measures.reporting).",
        columns={"township": "乡镇", "school": "学校",
                 "reported_today": "an absence row or a 零报告 dated as_of (False on a day that is no school day)",
                 "last_reported": "the last school day on or before as_of it reported (NaT: none this term)"}),
    "ranking": FieldDoc(
        "the county's only (None for a township): the 周通报 ranking, one row per township",
        columns={"township": "the township", "cases_open": "open cases",
                 "cases_open_tuopin": "open cases of 脱贫户 children (类别 脱贫户 only)",
         "notices_overdue": "notices past their deadline", "enrollment_rate": "入学率",
         "absent_unexcused_today": "pupils absent without leave today", "enrolled": "pupils 在读"}),
    "history": FieldDoc(
        "the county's only (None for a township): every report's figures in earlier complete "
        "runs of this term, one row per report and run (township empty: the county's)"),
    "stale": FieldDoc(
        "a line for each ledger file the last ingest could not read whose earlier rows this "
        "report uses, e.g. 一小学籍数据未更新（文件无法读取，沿用 10月14日 数据）; empty when none"),
}


def docstring() -> str:
    """Every field's description, as a docstring section."""
    return ("\n\nFields (kcbx.analysis.fields; kcbx.explore.describe(a, name) prints one):\n\n"
            + "\n".join(ANALYSIS_FIELDS[name].text(name) for name in ANALYSIS_FIELDS))


def summary_of(name: str) -> str:
    """The first line of a field's description ('' for a field not described)."""
    doc = ANALYSIS_FIELDS.get(name)
    return doc.summary if doc else ""
