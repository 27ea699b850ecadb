"""forms.xlsx: the official forms of one township (or the county), for schools to act on.

A working document (domain.md, "Care with the data"): full identities, no
masking. This module only declares the sheets — which rows, which Chinese
headers — from an ``Analysis``; ``kcbx.report.excel`` writes them, ledger text
always as text, never as a formula.

Sheets, in order:

1. 附件1 统计表 — figures by school (the county's with 乡镇小计 rows), then a 合计 row (seed 000);
2. 附件2 辍学学生登记表 — one form per case, 一生一表 (seed 000);
3. 附件3 登记汇总表 — one line per case (seed 000);
4–6. the three ledgers of 四查三比对: 适龄儿童台账, 疑似辍学台账, 辍学台账;
7. 日报 出勤统计 — 应到, 实到 and 缺勤 per school; 8. 日报 未到校学生名册 — the pupils absent
   without leave; 8a. 预警名单 — the pupils high and medium on the early-warning list;
9. 送教上门, and the teachers' workload; 10. 资助核对; 11. 小升初;
12. the county's only: 周通报 — the townships ranked, with the change over a week (seed 001);
13. 数据问题 (rejected rows and findings), and the files read.

Every official sheet (all but 数据问题) has a full title ("示例县2021年秋季学期…") and ends
with the sign-off block (填报单位（盖章）, 填报人, 联系电话, 填报日期): the county office's
details from params ``office`` on the county's forms, lines to fill by hand on a township's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from kcbx.analysis.model import Analysis, no_history
from kcbx.analysis.ranking import RANKING_KEYS
from kcbx.measures.cases import CASE_STATES, deadline_moved_note
from kcbx.measures.common import FINDING_COLUMNS, is_in
from kcbx.measures.escalation import absence_not_reported
from kcbx.measures.matching import ENROLLED_STATUS, IN_SCHOOL_STATUSES, STANDINGS, first_row_per_person, grade_names
from kcbx.measures.warning import LEVEL_ACTIONS, LEVELS, RULE_TAGS, RULES, rules_in_words
from kcbx.outputs import SCHOOL_AGE_LEDGER_FILE
from kcbx.report.excel import (
    Column,
    FormSheet,
    PupilForm,
    SignOff,
    TableSheet,
    history_from_case_events,
    plain_number,
    workbook_fingerprint,
    write_workbook,
)
from kcbx.schema import CASE_METHOD_NAMES, KIND_LABELS, PERSONAL_LEAVE, REJECTED_COLUMNS, SICK_LEAVE
from kcbx.util.digest import content_digest, source_digest

__all__ = ["METHOD_WORDING", "form_sheets", "school_statistics", "write_forms"]

METHOD_WORDING = CASE_METHOD_NAMES  # kept for readers of this module
TOTAL_LABEL = "合计"
SUBTOTAL_LABEL = "小计"  # a county's 附件1: the township's row after its schools
NO_SCHOOL = "（未填学校）"
COUNTY_LABEL = "全县"
YES, NO = "是", "否"
LIST_SEPARATOR = "、"
# A school-age child who is neither at school in this township's roster nor suspected:
# at school elsewhere, compulsory schooling completed, or a case with proof of where they went.
NOT_SUSPECTED = "非疑似失学（外乡镇就读、已完成义务教育或有去向佐证）"
ID_OR_STUDENT_NO = "身份证号/学籍号"  # person_key: the ID, else the 学籍号 (contract)
# 家庭类别 of a child the analysis knows to be in the poverty register without its 类别.
POVERTY_CATEGORY_UNKNOWN = "脱贫户名单内（类别未详）"
FAMILY_NOTE = "家庭类别：脱贫户名单中的类别（脱贫户、监测户、低保户、特困供养）；空白为不在名单内。"


# --- the workbook ----------------------------------------------------------------


def write_forms(analysis: Analysis, path: str | Path,
                school_age_ledger: str | Path | None = None) -> None:
    """Write the township's (or, township None, the county's) forms.xlsx at path, atomically;
    with ``school_age_ledger``, the county's whole 适龄儿童台账 there too (``write_school_age_ledger``),
    both from one gathering of who each child is."""
    people = _people(analysis)
    if school_age_ledger is not None:
        write_school_age_ledger(analysis, school_age_ledger, people)
    write_workbook(path, form_sheets(analysis, people))


def write_school_age_ledger(analysis: Analysis, path: str | Path,
                            people: pd.DataFrame | None = None) -> bool:
    """Write the county's 适龄儿童台账.xlsx, every school-age child of the county, at path
    (atomically); unless the file there already holds this very ledger (its fingerprint, a
    property of the workbook, covers the rows, titles and kcbx's source). True when written.

    Tens of thousands of rows take seconds to write (82,072 at tongjiang scale: about 8 s),
    and most re-runs change none of them: a late absence ledger, a case event. So the
    county's forms.xlsx carries the ledger summed by township, and the run gives this file
    the previous run's copy to keep (kcbx.runner.run).
    """
    sheet = _school_age_sheet(analysis, _people(analysis) if people is None else people)
    fingerprint = content_digest(source_digest(), sheet)
    if workbook_fingerprint(path) == fingerprint:
        return False
    write_workbook(path, [sheet], fingerprint=fingerprint)
    return True


def form_sheets(analysis: Analysis, people: pd.DataFrame | None = None) -> list[TableSheet | FormSheet]:
    """Every sheet of forms.xlsx, in the order schools use them (``people``: ``_people``, when
    the caller has it already)."""
    people = _people(analysis) if people is None else people
    cases = _cases_with_child(analysis, people)
    statistics = school_statistics(analysis)
    county = analysis.township is None
    return [
        _statistics_sheet(analysis, statistics),
        FormSheet("附件2 辍学学生登记表", _title(analysis, "辍学学生登记表", annex=2),
                  _registration_forms(analysis, cases), subtitle=_subtitle(analysis),
                  signoff=_signoff(analysis)),
        _summary_sheet(analysis, cases),
        _school_age_summary_sheet(analysis) if county else _school_age_sheet(analysis, people),
        _suspected_sheet(analysis, people),
        _case_ledger_sheet(analysis, cases),
        _attendance_sheet(analysis, statistics),
        _daily_sheet(analysis, people),
        _warning_sheet(analysis),
        *_home_teaching_sheets(analysis),
        _subsidy_sheet(analysis),
        _transition_sheet(analysis),
        *([_weekly_bulletin_sheet(analysis)] if county else []),
        *_data_quality_sheets(analysis),
    ]


def _subtitle(analysis: Analysis) -> str:
    return f"{analysis.params.county} {analysis.township or COUNTY_LABEL}  截至 {analysis.as_of.isoformat()}"


def _term_label(term_start: dt.date) -> str:
    """The term as titles name it: "2021年秋季学期" for a term starting in autumn 2021, else 春季."""
    season = "秋季" if term_start.month >= 7 else "春季"
    return f"{term_start.year}年{season}学期"


def _title(analysis: Analysis, form: str, annex: int | None = None) -> str:
    """A form's full title: "附件1 示例县2021年秋季学期控辍保学工作统计表"."""
    full = f"{analysis.params.county}{_term_label(analysis.params.term_start)}{form}"
    return full if annex is None else f"附件{annex} {full}"


def _signoff(analysis: Analysis) -> SignOff:
    """The sign-off block: params ``office`` on the county's forms; a township's forms are filled,
    signed and stamped by the township (the office in params is the county's)."""
    office = analysis.params.office if analysis.township is None else {}
    return SignOff(unit=office.get("unit"), preparer=office.get("contact"), phone=office.get("phone"),
                   date=analysis.as_of)


def _official_table(analysis: Analysis, name: str, form: str, columns: list[Column], rows: pd.DataFrame,
                    notes: list[str] | str | None = None, annex: int | None = None) -> TableSheet:
    """A TableSheet of an official form: its full title, the subtitle and the sign-off block."""
    return TableSheet(name, _title(analysis, form, annex), columns, rows, subtitle=_subtitle(analysis),
                      notes=notes, signoff=_signoff(analysis))


def _yuan(amount: float) -> str:
    """Yuan in a note: 6,000 and 687.5 (its 角 kept, never rounded to 688)."""
    return plain_number(amount, thousands=True)


# --- shared lookups ----------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))) \
        or (isinstance(value, str) and not value.strip())


def _yes_no(flags: pd.Series) -> pd.Series:
    """True/False as 是/否; missing stays blank."""
    return flags.map(lambda flag: None if _is_blank(flag) else (YES if flag else NO)).astype(object)


def _grade_and_class(grade: Any, class_name: Any) -> str | None:
    """年级班级 as a form writes it: "7年级2班" (a bare class number gets its 班)."""
    parts = []
    if not _is_blank(grade):
        parts.append(f"{int(grade)}年级")
    if not _is_blank(class_name):
        text = str(class_name).strip()
        parts.append(f"{text}班" if text.isdigit() else text)
    return "".join(parts) or None


# What a form needs to know about a child, and where each field is looked up first.
_PEOPLE_COLUMNS = ["id_number", "student_no", "name", "gender", "township", "school", "grade",
                   "class_name", "home_township", "village", "guardian", "phone", "family"]


def _family_categories(analysis: Analysis) -> pd.Series:
    """person_key → 家庭类别: the child's 类别 in the poverty register (脱贫户, 监测户 …); a child
    the register lists with a blank 类别 gets POVERTY_CATEGORY_UNKNOWN."""
    poverty = analysis.poverty.set_index("person_key")["category"]
    return poverty.fillna(POVERTY_CATEGORY_UNKNOWN).astype(object)


def _people(analysis: Analysis) -> pd.DataFrame:
    """One row per child known to the analysis, indexed by person_key (columns _PEOPLE_COLUMNS).

    Each field comes from the first source that fills it: the current roster
    (first row in file order), then the population register (the school-age
    children of the township: guardian, village, phone), then the case events;
    family (家庭类别) from ``_family_categories``.
    """
    roster = first_row_per_person(analysis.roster)
    population = analysis.school_age.rename(columns={"township": "home_township"})
    events = first_row_per_person(analysis.case_events[~analysis.case_events["duplicate"]])
    found = [source.drop_duplicates("person_key")
             .reindex(columns=["person_key", *_PEOPLE_COLUMNS]).astype(object)
             for source in (roster, population, events)]
    # Stacked in source order, first() takes each field's first non-blank value.
    people = pd.concat(found, ignore_index=True).groupby("person_key", sort=False, dropna=False).first()
    people["family"] = people.index.to_series().map(_family_categories(analysis))
    return people[_PEOPLE_COLUMNS].astype(object)


def _details(people: pd.DataFrame, person_keys: pd.Series) -> pd.DataFrame:
    """The people rows of person_keys, aligned with them (all blank for an unknown child)."""
    return people.reindex(person_keys.to_numpy()).set_axis(person_keys.index)


def _numbered(rows: pd.DataFrame) -> pd.DataFrame:
    """rows with a fresh index and 序号 (column "number": 1, 2 … in row order)."""
    rows = rows.reset_index(drop=True)
    return rows.assign(number=range(1, len(rows) + 1))


NUMBER = Column("序号", "number", kind="int", width=6)


# --- 附件1 统计表 --------------------------------------------------------------------


def _pupil_schools(roster: pd.DataFrame) -> pd.DataFrame:
    """(township, school, person_key): the schools each pupil counts at.

    Those of the pupil's 在读 rows — a pupil on two schools' rosters counts at
    each (the duplicate is a finding) — or, for a pupil with no 在读 row (休学,
    转出 …), those of all their current rows.
    """
    reading = roster["status"].eq(ENROLLED_STATUS)
    has_reading = reading.groupby(roster["person_key"]).transform("any")
    counted = roster[reading | ~has_reading]
    return counted[["township", "school", "person_key"]].drop_duplicates()


# Short headers of the case states in 附件1 (the ledgers print CASE_STATES' full labels).
_STATE_HEADERS = {**CASE_STATES, "open": "在办", "closed": "已销号无结果"}
# 附件1 figures of the register side: counted by township only, a suspected child is at no school.
_TOWNSHIP_ONLY = ("out_of_school",)


def _statistics_units(analysis: Analysis) -> dict[str, pd.DataFrame]:
    """What each 附件1 column counts: rows of (township, school, unit), unit a person.

    A pupil counts at each school of their current roster rows (``_pupil_schools``); a
    child with a case counts once, by their latest case (the case table is in order of
    opening): its school and its state on as_of.
    """
    pupils = _pupil_schools(analysis.roster)
    reading = set(analysis.roster.loc[analysis.roster["status"].eq(ENROLLED_STATUS), "person_key"])
    groups = analysis.person_groups
    poverty = set(groups.loc[groups["poverty"].astype(bool), "person_key"])
    streaks = analysis.streaks

    def of_pupils(keys) -> pd.DataFrame:
        return pupils[is_in(pupils["person_key"], set(keys))].rename(columns={"person_key": "unit"})

    absences = analysis.day_absences
    latest = analysis.cases.drop_duplicates("person_key", keep="last")
    children = latest.assign(school=latest["school"].fillna(NO_SCHOOL))[
        ["township", "school", "person_key", "state"]].rename(columns={"person_key": "unit"})
    subsidy = analysis.subsidy[["township", "school", "person_key", "short"]].rename(
        columns={"person_key": "unit"})
    suspected = analysis.out_of_school[["township", "person_key"]].rename(
        columns={"person_key": "unit"}).assign(school=None)
    return {
        "enrolled": of_pupils(reading),
        "absent_today": of_pupils(analysis.absent_today["person_key"]),
        "absent_any": of_pupils(absences["person_key"]),
        "sick_leave": of_pupils(absences.loc[absences["absence_type"].eq(SICK_LEAVE), "person_key"]),
        "personal_leave": of_pupils(
            absences.loc[absences["absence_type"].eq(PERSONAL_LEAVE), "person_key"]),
        **{f"streak_{n}": of_pupils(streaks.loc[streaks["streak"] >= n, "person_key"])
           for n in sorted(analysis.params.escalation)},
        **{f"cases_{state}": children[children["state"].eq(state)] for state in CASE_STATES},
        "cases_total": children,
        "cases_open_poverty": children[children["state"].eq("open") & is_in(children["unit"], poverty)],
        "out_of_school": suspected,
        "poverty_pupils": of_pupils(reading & poverty),
        "subsidy_due": subsidy,
        "subsidy_short": subsidy[subsidy["short"].astype(bool)],
    }


def school_statistics(analysis: Analysis) -> pd.DataFrame:
    """附件1 统计表 as a frame: one row per school, by township then school; in the county's,
    each township's 小计 row (school "小计") after its schools; then the 合计 row.

    Columns (people, 人): township, school; enrolled (在读 pupils); absent_today (无故缺勤
    today); absent_any, sick_leave, personal_leave (absent today of any type, 病假, 事假:
    the 日报 出勤统计); streak_N for each escalation threshold N (pupils whose run of unexcused school
    days is at least N); cases_<state> for each case state (CASE_STATES) and cases_total,
    their sum: children with a case, by their latest case (its school, its state on
    as_of); cases_open_poverty (脱贫户辍学: of those, open and in the poverty register);
    out_of_school (疑似失学, by the child's population township: blank on school rows);
    poverty_pupils (在读 pupils in the poverty register); subsidy_due, subsidy_short (资助
    应发 and 少发 pupils: the school of the subsidy check).

    A pupil counts at each school of their current roster rows (``_pupil_schools``); a
    小计 or 合计 row counts each person once, so the 合计 row gives metrics.json's enrolled,
    absent_unexcused_today, escalation, out_of_school_suspected, subsidy_eligible and
    subsidy_short even when a pupil is on two schools' rosters, and its case columns the
    case counts whenever no child has two cases. The schools are those of the current
    roster, plus any school only a case names.
    """
    counted = _statistics_units(analysis)
    place = ["township", "school"]
    located = [units for name, units in counted.items() if name not in _TOWNSHIP_ONLY]
    schools = pd.concat([analysis.roster[place], *(units[place] for units in located)])
    schools = pd.MultiIndex.from_frame(schools.drop_duplicates().sort_values(place))
    by_school = pd.DataFrame(
        {name: units.groupby(place)["unit"].nunique().reindex(schools, fill_value=0)
         for name, units in counted.items()},
        index=schools,
    ).reset_index()
    by_school[list(_TOWNSHIP_ONLY)] = pd.NA
    parts = [by_school]
    if analysis.township is None:
        townships = sorted(set(schools.get_level_values("township").dropna())
                           | set(counted["out_of_school"]["township"].dropna()))
        subtotals = pd.DataFrame(
            {name: units.groupby("township")["unit"].nunique().reindex(townships, fill_value=0)
             for name, units in counted.items()},
            index=pd.Index(townships, name="township"),
        ).reset_index().assign(school=SUBTOTAL_LABEL)
        # Stable: within a township, its schools stay first and its 小计 comes last.
        parts = [pd.concat([by_school, subtotals], ignore_index=True).sort_values("township", kind="stable")]
    total = {"township": TOTAL_LABEL, "school": None,
             **{name: units["unit"].nunique() for name, units in counted.items()}}
    table = pd.concat([*parts, pd.DataFrame([total])], ignore_index=True)
    return table.astype(dict.fromkeys(counted, "Int64"))


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


# --- the cases: 附件2, 附件3, 辍学台账 ------------------------------------------------


def _cases_with_child(analysis: Analysis, people: pd.DataFrame) -> pd.DataFrame:
    """The case table with what the forms add about the child, in case-table order.

    Adds id_number, gender, class_name, guardian, village, home_township, phone,
    family (from ``_people``); name, school and grade fall back on ``_people`` (the
    roster row first) when the case events leave them blank; method_wording (四个一批);
    returned_on (the outcome date of a returned case); notice_due_note ("10月3日 →
    10月8日（遇节假日顺延）" where the 复学期限 moved); notice_overdue_text (是/否 once a
    notice was sent, else blank).
    """
    cases = analysis.cases.reset_index(drop=True)
    child = _details(people, cases["person_key"])
    returned = cases["state"].eq("returned")
    return cases.assign(
        name=cases["name"].where(cases["name"].notna(), child["name"]),
        school=cases["school"].where(cases["school"].notna(), child["school"]),
        grade=cases["grade"].astype(object).where(cases["grade"].notna(), child["grade"]),
        **{column: child[column] for column in
           ("id_number", "gender", "class_name", "guardian", "village", "home_township", "phone",
            "family")},
        method_wording=cases["method"].map(_method_wording),
        returned_on=cases["outcome_date"].where(returned),
        notice_due_note=deadline_moved_note(cases["notice_due_nominal"], cases["notice_due"]),
        notice_overdue_text=_yes_no(cases["notice_overdue"]).where(cases["last_notice"].notna()),
    )


def _method_wording(method: Any) -> Any:
    """A 劝返方式 as 四个一批 words it (感召 → 讲道理感召); other values unchanged."""
    return METHOD_WORDING.get(method, method)


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


def _registration_forms(analysis: Analysis, cases: pd.DataFrame) -> list[PupilForm]:
    """附件2: one 辍学学生登记表 per case (一生一表), open cases first."""
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
            "辍学(离校)时间": case["opened"],
            "辍学原因": case["cause"],
            "去向": case["destination"],
            "包保教师": case["edu_owner"],
            "包保干部": case["admin_owner"],
            "处理措施": case["method_wording"],
            "复学时间": case["returned_on"],
            "安置方式": case["placement"],
            "限期复学通知书": case["last_notice"],
            # A deadline moved past a holiday says so ("10月3日 → 10月8日（遇节假日顺延）").
            "复学期限": case["notice_due_note"] or case["notice_due"],
        }
        filled = {label: value for label, value in fields.items() if not _is_blank(value)}
        case_history = history.get(case["case_id"])
        forms.append(PupilForm(filled) if case_history is None else PupilForm(filled, case_history))
    return forms


_NOTICE = "限期复学通知书"
_NOTICE_COLUMNS = [
    Column("最近发出", "last_notice", group=_NOTICE, kind="date"),
    Column("复学期限", "notice_due", group=_NOTICE, kind="date"),
    Column("期限顺延", "notice_due_note", group=_NOTICE),
    Column("逾期", "notice_overdue_text", group=_NOTICE),
]
FAMILY = Column("家庭类别", "family")
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
    Column("辍学时间", "opened", kind="date"),
    Column("辍学原因", "cause"),
    Column("去向", "destination"),
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
    """附件3: one line per case, in the order of the 附件2 forms."""
    return _official_table(analysis, "附件3 登记汇总表", "辍学学生登记汇总表", _SUMMARY_COLUMNS,
                           _numbered(_open_first(cases)), annex=3,
                           notes=["序号与附件2登记表的顺序一致：在办案件在前。乡镇为案件登记乡镇，村为户籍所在村。",
                                  NOTICE_NOTE, FAMILY_NOTE])


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


# --- 适龄儿童台账, 疑似辍学台账 ---------------------------------------------------------


def _schooling(analysis: Analysis, person_keys: pd.Series) -> pd.Series:
    """就学情况 of each child: "在读（XX小学）" from the current roster, else why they are suspected."""
    roster = analysis.roster
    at_school = roster[roster["status"].isin(IN_SCHOOL_STATUSES) & roster["person_key"].notna()]
    places = (at_school["status"] + "（" + at_school["school"].astype(str) + "）")
    # person_key → its distinct places in roster order; a plain loop, as a groupby calling
    # Python per child takes seconds for a county.
    places_of: dict[Any, dict[str, None]] = {}
    for person_key, place in zip(at_school["person_key"], places):
        places_of.setdefault(person_key, {})[place] = None
    in_school = {person_key: LIST_SEPARATOR.join(texts) for person_key, texts in places_of.items()}
    suspected = analysis.out_of_school.set_index("person_key")["reason"]
    return person_keys.map(in_school).fillna(person_keys.map("疑似失学：" + suspected)).fillna(NOT_SUSPECTED)


_SCHOOL_AGE_COLUMNS = [
    NUMBER,
    Column("姓名", "name"),
    Column("性别", "gender"),
    Column("身份证号", "id_number"),
    Column("学籍号", "student_no"),
    Column("出生日期", "birth_date", kind="date"),
    Column("年龄", "age", kind="int"),
    Column("乡镇", "township"),
    Column("村(社区)", "village"),
    Column("监护人", "guardian"),
    Column("联系电话", "phone"),
    FAMILY,
    Column("就学情况", "schooling"),
    Column("疑似失学", "suspected"),
]


def _school_age_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """适龄儿童台账: the township's school-age children (户籍) and whether each is at school."""
    children = analysis.school_age
    rows = children.assign(
        family=_details(people, children["person_key"])["family"],
        schooling=_schooling(analysis, children["person_key"]),
        suspected=_yes_no(is_in(children["person_key"], set(analysis.out_of_school["person_key"]))),
    )
    params = analysis.params
    return _official_table(analysis, "适龄儿童台账", "适龄儿童台账", _SCHOOL_AGE_COLUMNS, _numbered(rows),
                           notes=[f"适龄：{params.school_age_min}–{params.school_age_max} 周岁"
                                  "（按学年开始前8月31日计），户籍所在乡镇；已死亡的不列。", FAMILY_NOTE])


def _school_age_summary_sheet(analysis: Analysis) -> TableSheet:
    """适龄儿童台账 of the county: each township's school-age children by where they stand
    (the same standings as the township ledgers' 就学情况), the whole list in its own file."""
    standings = (analysis.school_age.assign(township=analysis.school_age["township"].fillna("（乡镇未详）"))
                 .pivot_table(index="township", columns="standing", values="person_key",
                              aggfunc="size", fill_value=0)
                 .reindex(columns=list(STANDINGS), fill_value=0))
    standings.insert(0, "children", standings.sum(axis=1))
    standings.loc[COUNTY_LABEL] = standings.sum()
    rows = _numbered(standings.rename_axis("township").reset_index())
    rows.loc[rows["township"] == COUNTY_LABEL, "number"] = None
    columns = [NUMBER, Column("乡镇", "township"), Column("适龄儿童", "children", kind="int"),
               *[Column(standing, standing, kind="int", group="其中") for standing in STANDINGS]]
    params = analysis.params
    return _official_table(analysis, "适龄儿童台账", "适龄儿童台账（按户籍乡镇汇总）", columns, rows,
                           notes=[f"适龄：{params.school_age_min}–{params.school_age_max} 周岁"
                                  "（按学年开始前8月31日计），户籍所在乡镇；已死亡的不列。",
                                  f"全县逐人名单见同一文件夹的 {SCHOOL_AGE_LEDGER_FILE}；"
                                  "各乡镇名单见该乡镇 forms.xlsx 的「适龄儿童台账」。"])


_SUSPECTED_COLUMNS = [
    NUMBER,
    Column("类型", "kind"),
    Column("姓名", "name"),
    Column("性别", "gender"),
    Column(ID_OR_STUDENT_NO, "person_key"),
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("年级", "grade", kind="int"),
    Column("村(社区)", "village"),
    Column("监护人", "guardian"),
    Column("联系电话", "phone"),
    FAMILY,
    Column("连续无故缺勤(天)", "streak", kind="int"),
    Column("缺勤起始日", "streak_start", kind="date"),
    Column("情况", "reason"),
    Column("应采取措施", "action"),
]


def _suspected_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """疑似辍学台账: suspected out of school (户籍 × 学籍) and pupils at the top escalation level."""
    top = max(analysis.params.escalation)
    out = analysis.out_of_school
    unregistered = out.assign(kind="户籍比对：疑似失学", school=None, grade=None, streak=None,
                              streak_start=None, action="入户核查，登记劝返",
                              family=_details(people, out["person_key"])["family"])
    absent = analysis.streaks[analysis.streaks["level"] == top]
    child = _details(people, absent["person_key"])
    notice_findings = analysis.notices_missing.set_index("person_key")["finding"]
    absentees = absent.assign(
        kind=f"连续无故缺勤≥{top}天",
        **{column: child[column]
           for column in ("name", "gender", "township", "grade", "village", "guardian", "phone",
                          "family")},
        school=child["school"].where(child["school"].notna(), absent["school"]),
        reason=absent["person_key"].map(notice_findings).fillna("已有在办辍学案件，已发限期复学通知书"),
    )
    rows = pd.concat([frame[[column.key for column in _SUSPECTED_COLUMNS[1:]]]
                      for frame in (unregistered, absentees)], ignore_index=True)
    return _official_table(analysis, "疑似辍学台账", "疑似辍学台账", _SUSPECTED_COLUMNS, _numbered(rows),
                           notes=["户籍比对：适龄儿童无本学年在读、休学学籍，无九年级毕业记录，也无已有结果的辍学案件。",
                                  f"连续无故缺勤：截至最后一个上课日连续无故缺勤达 {top} 个上课日（最高一级）。",
                                  FAMILY_NOTE])


# --- 日报 ----------------------------------------------------------------------------


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


_ABSENT = "缺勤(人)"
_ATTENDANCE_COLUMNS = [
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("应到(人)", "enrolled", kind="int"),
    Column("实到(人)", "present", kind="int"),
    Column("合计", "absent", group=_ABSENT, kind="int"),
    Column("无故", "absent_today", group=_ABSENT, kind="int"),
    Column("病假", "sick_leave", group=_ABSENT, kind="int"),
    Column("事假", "personal_leave", group=_ABSENT, kind="int"),
]


def _attendance_sheet(analysis: Analysis, statistics: pd.DataFrame) -> TableSheet:
    """日报 出勤统计: per school, 应到 (在读 pupils), 实到 = 应到 − 缺勤, and 缺勤 split into
    无故, 病假 and 事假, counted as 附件1 counts (each pupil at each school of their roster)."""
    rows = statistics[["township", "school", "enrolled", "absent_today", "sick_leave",
                       "personal_leave"]].assign(absent=statistics["absent_any"],
                                                 present=statistics["enrolled"] - statistics["absent_any"])
    return _official_table(
        analysis, "日报 出勤统计", "控辍保学日报（学生出勤统计表）", _ATTENDANCE_COLUMNS, rows,
        notes=[*_daily_notes(analysis),
               "应到：本学年在读学生（两校学籍的学生在两校各计一次，小计、合计只计一次）；无故：无故、旷课；"
               "实到 = 应到 − 缺勤合计。无故缺勤学生见“日报 未到校学生名册”。"])


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
]


def _daily_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """日报 未到校学生名册: pupils absent without leave today, with their streak and the action owed;
    the county's with each pupil's 乡镇 (of their roster row)."""
    today = analysis.absent_today
    child = _details(people, today["person_key"])
    streak = analysis.streaks.set_index("person_key")
    rows = today.assign(
        **{column: child[column] for column in ("township", "grade", "class_name", "name", "gender",
                                                "id_number", "guardian", "phone")},
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
                                                   "或尚未登记辍学案件。"])


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
    Column("分数", "score", kind="float"),
    Column("等级", "level_text"),
    *(Column(tag, f"rule_{rule}", group="预警规则") for rule, tag in RULE_TAGS.items()),
]


def _warning_sheet(analysis: Analysis) -> TableSheet:
    """预警名单: the pupils high and medium on as_of, highest score first, each rule 是/否, with the
    guardian's phone: for the 班主任 and 包保教师 who act on it (contract "Early warning")."""
    listed = analysis.early_warning
    rows = listed.assign(level_text=listed["level"].map(LEVELS),
                         **{f"rule_{rule}": _yes_no(listed[rule]) for rule in RULES})
    return _official_table(
        analysis, "预警名单", "控辍保学预警名单", _WARNING_COLUMNS, _numbered(rows),
        notes=[rules_in_words(analysis.params.early_warning, grade_names(analysis.params.junior_grade_names)),
               *LEVEL_ACTIONS.values()])


# --- 送教上门, 资助, 小升初 ---------------------------------------------------------------


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
    target = float(analysis.params.home_teaching["hours_per_year"])
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
    months = "、".join(summary.get("months_assessed", [])) or "尚无已结束的整月"
    funding = (f"应拨付送教经费 {_yuan(summary.get('funding_due', 0))} 元/年"
               f"（{summary['due']} 人 × {_yuan(rule['funding_per_year'])} 元）。")
    hours_per_year = plain_number(rule["hours_per_year"])
    compliance = _official_table(
        analysis, "送教上门", "送教上门落实情况", _home_teaching_columns(rule["hours_per_year"]),
        _numbered(_home_teaching_rows(analysis)),
        notes=[f"应送教 {summary['due']} 人，各月均达标 {summary['compliant']} 人；考核月份：{months}。",
               f"标准：每月至少 {plain_number(rule['visits_per_month'])} 次、"
               f"每次 {plain_number(rule['hours_per_visit'])} 课时，每学年不少于 {hours_per_year} 课时。",
               f"累计课时：本学年（9月1日起）至该月底的课时累计，对照每学年 {hours_per_year} 课时。",
               funding])
    workload = _official_table(
        analysis, "送教上门 教师工作量", "送教教师工作量", _WORKLOAD_COLUMNS, analysis.teacher_workload,
        notes=[f"每次送教计 {plain_number(rule['workload_hours_per_visit'])} 课时工作量；重复记录只计一次。",
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
        notes=[f"应发：每学期为年标准的一半。年标准（元）：寄宿生 小学 {_yuan(standard['boarding']['primary'])}、"
               f"初中 {_yuan(standard['boarding']['junior'])}；非寄宿生 小学 {_yuan(standard['day']['primary'])}、"
               f"初中 {_yuan(standard['day']['junior'])}。"])


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


# --- 周通报 (the county's) ----------------------------------------------------------------------


# Worst first: most open cases, then most open 脱贫户 cases, most overdue notices, lowest 入学率.
_RANKING_ORDER = {"cases_open": False, "cases_open_poverty": False, "notices_overdue": False,
                  "enrollment_rate": True}
WEEK = dt.timedelta(days=7)


def _ranked(figures: pd.DataFrame) -> pd.DataFrame:
    """figures (one row per township, RANKING_KEYS) worst first, with rank: equal figures share it."""
    keys = list(_RANKING_ORDER)
    figures = figures.assign(**{key: pd.to_numeric(figures[key], errors="coerce") for key in RANKING_KEYS})
    ordered = figures.sort_values(keys, ascending=list(_RANKING_ORDER.values()), kind="stable",
                                  na_position="last").reset_index(drop=True)
    position = pd.Series(range(1, len(ordered) + 1), index=ordered.index)
    rank = position.groupby([ordered[key] for key in keys], dropna=False, sort=False).transform("min")
    return ordered.assign(rank=rank)


def _week_before(earlier: pd.DataFrame, as_of: dt.date) -> tuple[dt.date | None, pd.DataFrame]:
    """The townships' figures of the latest earlier run at least a week before as_of, and its day."""
    runs = earlier[earlier["township"].notna() & (earlier["as_of"] <= pd.Timestamp(as_of - WEEK))]
    if runs.empty:
        return None, pd.DataFrame(columns=["township", *RANKING_KEYS])
    day = runs["as_of"].max()
    return day.date(), runs[runs["as_of"].eq(day)].reindex(columns=["township", *RANKING_KEYS])


_THIS_WEEK, _CHANGE = "本周", "较上周"
_BULLETIN_COLUMNS = [
    Column("排名", "rank", kind="int"),
    Column("乡镇", "township"),
    Column(_THIS_WEEK, "cases_open", group="在办辍学案件(件)", kind="int"),
    Column(_CHANGE, "cases_open_change", group="在办辍学案件(件)", kind="int"),
    Column(_THIS_WEEK, "cases_open_poverty", group="其中脱贫户(件)", kind="int"),
    Column(_CHANGE, "cases_open_poverty_change", group="其中脱贫户(件)", kind="int"),
    Column(_THIS_WEEK, "notices_overdue", group="通知书逾期(件)", kind="int"),
    Column(_CHANGE, "notices_overdue_change", group="通知书逾期(件)", kind="int"),
    Column(_THIS_WEEK, "enrollment_rate", group="入学率", kind="percent"),
    Column(_CHANGE, "enrollment_rate_change", group="入学率", kind="percent"),
    Column("今日无故缺勤(人)", "absent_unexcused_today", kind="int"),
    Column("在读学生(人)", "enrolled", kind="int"),
    Column("上周排名", "previous_rank", kind="int"),
]
_COMPARED = ("cases_open", "cases_open_poverty", "notices_overdue", "enrollment_rate")


def _weekly_bulletin_sheet(county: Analysis) -> TableSheet:
    """周通报: the townships ranked worst first, each figure beside its change since the run a week
    before (the latest run at least 7 days earlier; blank when there is none or the township
    was not in it)."""
    if county.ranking is None:
        raise ValueError("the county's analysis carries no ranking: open it with "
                         "kcbx.notebook.open_county, or analyse the county (township None)")
    current = _ranked(county.ranking)
    day, before = _week_before(no_history() if county.history is None else county.history, county.as_of)
    previous = _ranked(before).set_index("township")
    rows = current.assign(
        previous_rank=current["township"].map(previous["rank"]),
        **{f"{key}_change": current[key] - current["township"].map(previous[key]) for key in _COMPARED})
    compared = (f"较上周：与 {day.isoformat()} 的运行结果相比。" if day is not None else
                f"较上周：无 {(county.as_of - WEEK).isoformat()} 或更早的运行结果，暂不比较。")
    return _official_table(
        county, "周通报", "控辍保学工作周通报（乡镇排名）", _BULLETIN_COLUMNS, rows,
        notes=["排名：在办辍学案件多者在前；相同时依次比较其中脱贫户、通知书逾期（多者在前）、入学率（低者在前）；"
               "各项相同的并列。", compared])


# --- 数据问题 -----------------------------------------------------------------------------


_PROBLEM_COLUMNS = [
    NUMBER,
    Column("类型", "type"),
    Column("台账", "kind_label"),
    Column("文件", "file"),
    Column("工作表", "sheet"),
    Column("行号", "row", kind="int"),
    Column("列", "column"),
    Column("值", "value"),
    Column("原因", "reason"),
]
_FILE_COLUMNS = [
    Column("台账", "kind_label"),
    Column("文件", "file"),
    Column("读入", "rows_read", group="行数", kind="int"),
    Column("接受", "rows_accepted", group="行数", kind="int"),
    Column("拒绝", "rows_rejected", group="行数", kind="int"),
    Column("错误", "error"),
]


def _kind_labels(kinds: pd.Series) -> pd.Series:
    return kinds.map(lambda kind: KIND_LABELS.get(kind, kind)).astype(object)


def _data_quality_sheets(analysis: Analysis) -> list[TableSheet]:
    """数据问题: rejected rows (拒绝) then findings (提示); then every file's rows read, accepted, rejected."""
    rejected = analysis.rejected.reindex(columns=list(REJECTED_COLUMNS))
    findings = analysis.findings.reindex(columns=list(FINDING_COLUMNS))  # stored ones have no detail
    explained = [finding if _is_blank(detail) else f"{finding}：{detail}"
                 for finding, detail in zip(findings["finding"], findings["detail"])]
    problems = pd.concat(
        [rejected.assign(type="拒绝"),
         findings.assign(type="提示", column=None, value=None,
                         reason=pd.Series(explained, index=findings.index, dtype=object))],
        ignore_index=True,
    )
    problems = problems.assign(kind_label=_kind_labels(problems["kind"]))
    log = analysis.ingest_log
    files = log.assign(kind_label=_kind_labels(log["kind"])).reset_index(drop=True)
    subtitle = _subtitle(analysis)
    read, accepted, refused = (int(log[column].fillna(0).sum())
                               for column in ("rows_read", "rows_accepted", "rows_rejected"))
    return [
        TableSheet("数据问题", "数据问题清单", _PROBLEM_COLUMNS, _numbered(problems), subtitle=subtitle,
                   notes=["拒绝：该行未读入（身份证号无效、日期无法识别、未知事件或年级、金额为负）；请更正后重报。",
                          "提示：该行已读入，但需核实（重复记录、非上课日缺勤、无学籍学生缺勤、案件缺少登记等）。"]),
        TableSheet("数据问题 文件读入", "台账文件读入情况", _FILE_COLUMNS, files, subtitle=subtitle,
                   notes=f"共读入 {read} 行：接受 {accepted} 行，拒绝 {refused} 行（读入 = 接受 + 拒绝）。"),
    ]
