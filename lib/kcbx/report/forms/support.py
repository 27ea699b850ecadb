"""The support forms: 送教上门 (each child × assessed month, and the teachers' workload),
资助核对 (应助尽助; the county's: its exceptions, and 资助 乡镇汇总) and 小升初 (last year's grade-6
pupils not found at school)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.by_school import TOTAL_LABEL
from kcbx.measures.common import is_in
from kcbx.measures.matching import (
    ENROLLED_STATUS,
    IN_SCHOOL_STATUSES,
    LIST_SEPARATOR,
    REASON_SEPARATOR,
    age_on,
    first_row_per_person,
    in_file_order,
    school_age_reference_date,
)
from kcbx.measures.support import (
    HOME_TEACHING,
    NOT_DUE,
    NOT_IN_POVERTY,
    OVERPAID,
    SUBSIDY_EXCEPTIONS,
    subsidy_exception,
)
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


def _period(analysis: Analysis) -> tuple[dt.date, dt.date]:
    """The period both 送教上门 sheets cover: the term's start to as_of (the term's end at most)."""
    params = analysis.params
    return params.term_start, min(analysis.as_of, params.term_end)


def _home_teaching_sheets(analysis: Analysis) -> list[TableSheet]:
    """送教上门: each child × assessed month against the rule; then the teachers' workload; both
    over the same period, the term's start to as_of, said in their titles."""
    rule = analysis.params.home_teaching
    summary = analysis.home_teaching_summary
    start, end = _period(analysis)
    period = f"（{start.isoformat()}至{end.isoformat()}）"
    months = LIST_SEPARATOR.join(summary.get("months_assessed", [])) or "尚无已结束的整月"
    funding = (f"应拨付送教经费 {_yuan(summary.get('funding_due', 0))} 元/年"
               f"（{summary['due']} 人 × {_yuan(rule.funding_per_year)} 元）。")
    hours_per_year = plain_number(rule.hours_per_year)
    workload = analysis.teacher_workload
    visits, hours = int(workload["visits"].sum()), float(workload["class_hours"].sum())
    compliance = _official_table(
        analysis, "送教上门", f"送教上门落实情况{period}", _home_teaching_columns(rule.hours_per_year),
        _numbered(_home_teaching_rows(analysis)),
        notes=[f"应送教 {summary['due']} 人，各月均达标 {summary['compliant']} 人；考核月份：{months}"
               f"（{start.isoformat()} 至 {end.isoformat()} 间已结束的整月）。",
               f"{start.isoformat()} 至 {end.isoformat()} 共送教 {visits} 次、{plain_number(hours)} 课时"
               "（含尚未结束的月份；按教师见「送教上门 教师工作量」，同一期间）。",
               f"标准：每月至少 {plain_number(rule.visits_per_month)} 次、"
               f"每次 {plain_number(rule.hours_per_visit)} 课时，每学年不少于 {hours_per_year} 课时。",
               f"累计课时：本学年（9月1日起）至该月底的课时累计，对照每学年 {hours_per_year} 课时。",
               funding])
    teachers = _official_table(
        analysis, "送教上门 教师工作量", f"送教教师工作量{period}", _WORKLOAD_COLUMNS, workload,
        notes=[f"统计期间：{start.isoformat()} 至 {end.isoformat()}（与「送教上门」同一期间）。",
               f"每次送教计 {plain_number(rule.workload_hours_per_visit)} 课时工作量；重复记录只计一次。",
               funding])
    return [compliance, teachers]


# 残疾儿童安置台账: where each disabled child of school age is taught.
MAINSTREAM, SPECIAL_SCHOOL, AT_HOME, TO_ASSESS = "随班就读", "特教学校", HOME_TEACHING, "待评估"
# 安置方式 of the disability register → the ledger's placement; 未安置 and blank are decided by
# the roster (在读 at a school: 随班就读), else 待评估.
_PLACEMENTS = {"随班就读": MAINSTREAM, "特教学校": SPECIAL_SCHOOL, "特教班": SPECIAL_SCHOOL,
               HOME_TEACHING: AT_HOME}

_DISABILITY_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("姓名", "name"),
    Column(ID_OR_STUDENT_NO, "person_key"),
    Column("年龄", "age", kind="int"),
    Column("残疾类别", "disability_type"),
    Column("残疾等级", "disability_level"),
    Column("登记安置方式", "placement"),
    Column("安置", "placed"),
    Column("本学年学籍", "schools"),
    Column("核对", "check"),
]


def disability_placements(analysis: Analysis) -> pd.DataFrame:
    """Every child of the township's disability register of school age (params school_age, on 31
    August of the school year, from the roster's 出生日期, else the ID; unknown ages kept), one row
    each (the register's first row), with ``placed``: 随班就读, 特教学校 (also 特教班), 送教上门 or
    待评估; ``schools``: their current 在读 and 休学 rows; ``check``: where register and roster differ."""
    params = analysis.params
    children = first_row_per_person(analysis.disability).reset_index(drop=True)
    roster = analysis.register_roster
    at_school = in_file_order(roster[roster["status"].isin(IN_SCHOOL_STATUSES)
                                     & is_in(roster["person_key"], set(children["person_key"]))])
    places = (at_school["school"].astype(str) + at_school["status"].map({"休学": "（休学）"}).fillna(""))
    schools = places.groupby(at_school["person_key"]).agg(lambda found: LIST_SEPARATOR.join(dict.fromkeys(found)))
    born = first_row_per_person(roster.dropna(subset=["birth_date"])).set_index("person_key")["birth_date"]
    # reindex, not map: mapping through an empty datetime Series fails in pandas.
    birth_dates = pd.Series(born.reindex(children["person_key"].to_numpy()).to_numpy(), index=children.index)
    ages = age_on(birth_dates, children["id_number"],
                  school_age_reference_date(analysis.as_of))
    children = children.assign(age=ages, schools=children["person_key"].map(schools))
    of_age = children["age"].between(params.school_age_min, params.school_age_max).fillna(False).astype(bool)
    children = children[children["age"].isna().to_numpy() | of_age.to_numpy()].reset_index(drop=True)
    unknown_age = children["age"].isna()
    registered = children["placement"].map(_PLACEMENTS)
    enrolled = set(at_school.loc[at_school["status"] == ENROLLED_STATUS, "person_key"])
    in_class = is_in(children["person_key"], enrolled)
    placed = registered.where(registered.notna(), in_class.map({True: MAINSTREAM, False: TO_ASSESS}))
    findings = [
        (registered.eq(MAINSTREAM) & children["schools"].isna(), "登记为随班就读，但本学年无在读学籍"),
        (registered.isna() & in_class, "残疾台账未登记安置方式，按学籍计为随班就读"),
        (placed.eq(TO_ASSESS), "未安置：请组织评估安置"),
        (unknown_age, "年龄不详，请核实"),
    ]
    check = [REASON_SEPARATOR.join(text for holds, text in findings if holds.iloc[row]) or None
             for row in range(len(children))]
    return children.assign(placed=placed.astype(object), check=pd.Series(check, index=children.index, dtype=object))


def _disability_placement_sheet(analysis: Analysis) -> TableSheet:
    """残疾儿童安置台账: every disabled child of school age and how they are placed, from the
    disability register and the roster."""
    rows = disability_placements(analysis)
    counts = rows["placed"].value_counts()
    tally = "，".join(f"{placed} {int(counts.get(placed, 0))} 人"
                     for placed in (MAINSTREAM, SPECIAL_SCHOOL, AT_HOME, TO_ASSESS))
    params = analysis.params
    return _official_table(
        analysis, "残疾儿童安置台账", "适龄残疾儿童少年安置台账", _DISABILITY_COLUMNS, _numbered(rows),
        notes=[f"残疾儿童台账中 {params.school_age_min}–{params.school_age_max} 周岁（按学年开始前8月31日计）的儿童，"
               f"按残疾台账所属乡镇：共 {len(rows)} 人，其中{tally}。",
               "安置：按残疾台账的安置方式（特教班计入特教学校）；未登记或未安置的，本学年有在读学籍计为随班就读，"
               "否则为待评估。本学年学籍：在读、休学的学校。"])


_SUBSIDY_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("学校", "school"),
    Column("姓名", "name"),
    Column("身份证号", "id_number"),
    Column("年级", "grade", kind="int"),
    Column("学段", "level_text"),
    Column("寄宿", "boarding_text"),
    Column("家庭类别", "category"),
    Column("学期", "term"),
    Column("应发(元)", "due", group="生活补助", kind="float"),
    Column("冲正(元)", "reversed", group="生活补助", kind="float"),
    Column("实发(元)", "paid", group="生活补助", kind="float"),
    Column("少发(元)", "missing", group="生活补助", kind="float"),
    Column("是否足额", "in_full"),
    Column("核对结果", "exception"),
    Column("说明", "reason"),
]
_LEVELS = {"primary": "小学", "junior": "初中"}
UNKNOWN_TOWNSHIP = "（乡镇未详）"
TOTAL = TOTAL_LABEL  # the 合计 row, as 附件1 and 出勤统计 name it


def subsidy_rows(analysis: Analysis) -> pd.DataFrame:
    """The township's whole 资助核对 list (the county's: every township's), by township and
    school: each eligible pupil (analysis.subsidy), then those paid though not eligible
    (analysis.subsidy_not_due, 不应发), each with ``exception``: 未发, 少发, 多发, 不应发 or None
    (``kcbx.measures.support.subsidy_exception``) and ``reason`` (多发: by how much; 不应发: why)."""
    eligible = analysis.subsidy
    exception = subsidy_exception(eligible)
    over = [f"超出应发 {_yuan(paid - due)} 元" if found == OVERPAID else None
            for paid, due, found in zip(eligible["paid"], eligible["due"], exception)]
    eligible = eligible.assign(
        in_full=_yes_no(~eligible["short"].astype(bool)), exception=exception,
        reason=pd.Series(over, index=eligible.index, dtype=object))
    not_due = analysis.subsidy_not_due.assign(exception=NOT_DUE, in_full=None)
    rows = pd.concat([eligible, not_due[[c for c in not_due.columns if c != "status"]]], ignore_index=True)
    return rows.assign(
        level_text=rows["level"].map(_LEVELS),
        boarding_text=_yes_no(rows["boarding"]),
    ).sort_values(["township", "school"], kind="stable").reset_index(drop=True)


def _subsidy_notes(analysis: Analysis, rows: pd.DataFrame) -> list[str]:
    """资助核对's notes: the standard, 冲正, what each 核对结果 means and how many pupils have it;
    the county's say that it lists the exceptions only, and where the rest is."""
    standard = analysis.params.subsidy
    tally = "，".join(f"{exception} {int(rows['exception'].eq(exception).sum())} 人"
                     for exception in SUBSIDY_EXCEPTIONS)
    scope = (f"全县只列核对结果为未发、少发、多发、不应发的学生（{tally}）；各乡镇应发、实发、差额见「资助 乡镇汇总」，"
             "逐人全名单见该乡镇 forms.xlsx 的「资助核对」。" if analysis.township is None
             else f"核对结果：{tally}。")
    return [f"应发：每学期为年标准的一半。年标准（元）：寄宿生 小学 {_yuan(standard.boarding.primary)}、"
            f"初中 {_yuan(standard.boarding.junior)}；非寄宿生 小学 {_yuan(standard.day.primary)}、"
            f"初中 {_yuan(standard.day.junior)}。",
            "冲正：金额为负数的发放记录，冲减同一学生同一学期此前的发放；实发为冲正后的净额，少发 = 应发 − 实发。",
            "核对结果：未发，应助学生本学期实发为 0；少发，实发少于应发；多发，实发多于应发；"
            f"不应发，本学期领取生活补助但不在应助范围（本学年无在读学籍，或{NOT_IN_POVERTY}），应发计 0。",
            scope]


def _subsidy_sheets(analysis: Analysis) -> list[TableSheet]:
    """资助核对 (应助尽助): a township's every eligible pupil's 生活补助 this term against half
    the yearly standard, and the pupils paid though not eligible; the county's only the
    exceptions (未发, 少发, 多发, 不应发), then 资助 乡镇汇总, each township's list in figures."""
    rows = subsidy_rows(analysis)
    listed = rows if analysis.township is not None else rows[rows["exception"].notna()]
    check = _official_table(analysis, "资助核对", "学生资助核对表（应助尽助）", _SUBSIDY_COLUMNS, _numbered(listed),
                            notes=_subsidy_notes(analysis, rows))
    return [check] if analysis.township is not None else [check, _subsidy_totals_sheet(analysis, rows)]


_SUBSIDY_TOTAL_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("应发人数", "eligible", kind="int"),
    Column("应发(元)", "due", group="生活补助", kind="float"),
    Column("实发(元)", "paid", group="生活补助", kind="float"),
    Column("冲正(元)", "reversed", group="生活补助", kind="float"),
    Column("差额(元)", "difference", group="生活补助", kind="float"),
    *[Column(exception, exception, group="核对结果(人)", kind="int") for exception in SUBSIDY_EXCEPTIONS],
]


def subsidy_totals(rows: pd.DataFrame, townships: list[str] | None = None) -> pd.DataFrame:
    """Each township's 资助核对 list in figures (``rows``: ``subsidy_rows``), one row each and
    TOTAL last: eligible (应发人数), due, paid and reversed (yuan, 不应发 rows' too), difference
    (due − paid) and the pupils of each exception. ``townships``: those to list even without a
    row; a row of no known township counts under UNKNOWN_TOWNSHIP."""
    rows = rows.assign(township=rows["township"].fillna(UNKNOWN_TOWNSHIP))
    by_township = rows.groupby("township", sort=True)
    figures = pd.DataFrame({
        "eligible": by_township["exception"].apply(lambda found: int((found != NOT_DUE).sum())),
        "due": by_township["due"].sum(), "paid": by_township["paid"].sum(),
        "reversed": by_township["reversed"].sum()})
    for exception in SUBSIDY_EXCEPTIONS:
        figures[exception] = by_township["exception"].apply(lambda found, e=exception: int(found.eq(e).sum()))
    names = sorted(set(figures.index) | set(townships or []))
    figures = figures.reindex(names, fill_value=0)
    figures.loc[TOTAL] = figures.sum()
    figures["difference"] = figures["due"] - figures["paid"]
    counts = ["eligible", *SUBSIDY_EXCEPTIONS]
    figures[counts] = figures[counts].astype("int64")
    figures[["due", "paid", "reversed", "difference"]] = figures[["due", "paid", "reversed", "difference"]].astype(
        "float64")
    return figures.rename_axis("township").reset_index()


def _subsidy_totals_sheet(analysis: Analysis, rows: pd.DataFrame) -> TableSheet:
    """资助 乡镇汇总 (the county's): each township's 资助核对 list (``rows``: ``subsidy_rows``) in
    figures, and 合计."""
    townships = sorted(set(analysis.roster["township"].dropna()))
    totals = _numbered(subsidy_totals(rows, townships))
    totals.loc[totals["township"] == TOTAL, "number"] = None
    return _official_table(
        analysis, "资助 乡镇汇总", "学生资助核对乡镇汇总表", _SUBSIDY_TOTAL_COLUMNS, totals,
        notes=["各乡镇「资助核对」全名单的合计：应发人数为应助学生数；应发、实发、冲正为名单各行之和"
               "（实发、冲正含不应发学生）；差额 = 应发 − 实发（负数为多发、不应发超过少发、未发）。",
               "核对结果各列为人数；逐人名单：全县 forms.xlsx「资助核对」列出未发、少发、多发、不应发的学生，"
               "各乡镇 forms.xlsx「资助核对」列出全部学生。"])


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
