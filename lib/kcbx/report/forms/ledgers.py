"""Two of the three ledgers of 四查三比对: the 适龄儿童台账 (a township's children one by one;
the county's summed by township, the whole list in its own file) and the 疑似辍学台账."""

from __future__ import annotations

from typing import Any

import pandas as pd
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric

from kcbx.analysis.model import COUNTY_WIDE, Analysis
from kcbx.measures.common import is_in
from kcbx.measures.matching import (
    COMPLETED,
    ENROLLED_STATUS,
    IN_HOME_TOWNSHIP,
    IN_OTHER_TOWNSHIP,
    IN_SCHOOL_STATUSES,
    LIST_SEPARATOR,
    SETTLED,
    SUSPECTED,
    VERIFIED_STANDINGS,
    in_file_order,
)
from kcbx.outputs import SCHOOL_AGE_LEDGER_FILE
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import (
    FAMILY,
    FAMILY_NOTE,
    ID_OR_STUDENT_NO,
    NUMBER,
    _details,
    _numbered,
    _official_table,
    _yes_no,
)

# A school-age child who is neither at school nor suspected: compulsory schooling completed,
# or a case with proof of where they went.
NOT_SUSPECTED = "非疑似失学（已完成义务教育或有去向佐证）"
# The ledger's own standings: matching.STANDINGS with 休学 apart from those at school (a pupil
# whose current rows are all 休学 is at school for 入学率, yet is no pupil in class); a child a
# verification says is 休学 stands there too.
SUSPENDED = "休学"
assert VERIFIED_STANDINGS["休学"] == SUSPENDED
_VERIFIED_ONLY = tuple(name for name in dict.fromkeys(VERIFIED_STANDINGS.values()) if name not in (COMPLETED, SUSPENDED))
FORM_STANDINGS = (IN_HOME_TOWNSHIP, IN_OTHER_TOWNSHIP, COMPLETED, SETTLED, *_VERIFIED_ONLY, SUSPENDED, SUSPECTED)


def _at_school_rows(analysis: Analysis) -> pd.DataFrame:
    """The current 在读 and 休学 roster rows, in any township, of the children the ledgers list."""
    roster = analysis.register_roster
    return roster[roster["status"].isin(IN_SCHOOL_STATUSES) & roster["person_key"].notna()]


def _schooling(analysis: Analysis, person_keys: pd.Series) -> pd.Series:
    """就学情况 of each child: "在读（XX小学）" from the current roster, else why they are suspected."""
    at_school = _at_school_rows(analysis)
    places = (at_school["status"] + "（" + at_school["school"].astype(str) + "）")
    # person_key → its distinct places in roster order; a plain loop, as a groupby calling
    # Python per child takes seconds for a county.
    places_of: dict[Any, dict[str, None]] = {}
    for person_key, place in zip(at_school["person_key"], places):
        places_of.setdefault(person_key, {})[place] = None
    in_school = {person_key: LIST_SEPARATOR.join(texts) for person_key, texts in places_of.items()}
    suspected = analysis.out_of_school.set_index("person_key")["reason"]
    texts = person_keys.map(in_school).astype(object)
    for more in (person_keys.map("疑似失学：" + suspected), person_keys.map(_verified_texts(analysis))):
        texts = texts.where(texts.notna(), more.astype(object))
    return texts.where(texts.notna(), NOT_SUSPECTED)


def _verified_texts(analysis: Analysis) -> pd.Series:
    """person_key → "核查：在外地就读（佐证：XX市第一中学；10月12日）" for the school-age children a
    verification takes off the 疑似失学 list."""
    children = analysis.school_age
    if "check_result" not in children:
        return pd.Series(dtype=object)
    verified = children[children["standing"].isin(VERIFIED_STANDINGS.values()).to_numpy(dtype=bool)
                        & children["check_evidenced"].astype(bool).to_numpy()
                        & children["check_result"].isin(list(VERIFIED_STANDINGS)).to_numpy(dtype=bool)]
    texts = [f"核查：{result}（佐证：{evidence or ''}；{day.month}月{day.day}日）"
             for result, evidence, day in zip(verified["check_result"], verified["check_evidence"],
                                               pd.to_datetime(verified["check_date"]))]
    return pd.Series(texts, index=verified["person_key"].to_numpy(), dtype=object)


def _suspended_rows(analysis: Analysis) -> pd.DataFrame:
    """The 休学 roster row (first in file order) of each child whose current 在读 and 休学 rows
    are all 休学, indexed by person_key."""
    at_school = in_file_order(_at_school_rows(analysis))
    reading = set(at_school.loc[at_school["status"] == ENROLLED_STATUS, "person_key"])
    suspended = at_school[(at_school["status"] == SUSPENDED) & ~is_in(at_school["person_key"], reading)]
    return suspended.drop_duplicates("person_key").set_index("person_key")


def _standings(analysis: Analysis) -> pd.Series:
    """Each school-age child's standing (FORM_STANDINGS), indexed like analysis.school_age:
    the metrics' standing, with 休学 taken out of those at school."""
    children = analysis.school_age
    at_school = children["standing"].isin([IN_HOME_TOWNSHIP, IN_OTHER_TOWNSHIP])
    suspended = is_in(children["person_key"], set(_suspended_rows(analysis).index))
    return children["standing"].mask(at_school & suspended, SUSPENDED).astype(object)


def _verified_evidence(children: pd.DataFrame) -> pd.Series:
    """核查回执 as the evidence of a standing: "核查：休学（佐证：…，核查日期 2021-10-12）"."""
    if "check_result" not in children:
        return pd.Series(None, index=children.index, dtype=object)
    dates = pd.to_datetime(children["check_date"]).dt.strftime("%Y-%m-%d")
    texts = ("疑似失学核查：" + children["check_result"].astype(str) + "（佐证："
             + children["check_evidence"].fillna("").astype(str) + "，核查日期 " + dates.fillna("") + "）")
    return texts.where(children["check_result"].notna(), None).astype(object)


def _birth_date_from_id(id_numbers: pd.Series) -> pd.Series:
    """出生日期 read from each resident ID (GB 11643; blank where there is none)."""
    def born(id_number: Any) -> Any:
        try:
            return pd.Timestamp(ric.get_birth_date(id_number))
        except (TypeError, ValueError, stdnum_exceptions.ValidationError):
            return pd.NaT
    return pd.to_datetime(id_numbers.map(born, na_action="ignore"))


def _student_numbers(analysis: Analysis, person_keys: pd.Series) -> pd.Series:
    """学籍号 of each child from their current roster rows (在读 or 休学 first, then file order)."""
    roster = in_file_order(analysis.register_roster.dropna(subset=["student_no"]))
    roster = roster.assign(at_school=roster["status"].isin(IN_SCHOOL_STATUSES))
    first = roster.sort_values("at_school", ascending=False, kind="stable").drop_duplicates("person_key")
    return person_keys.map(first.set_index("person_key")["student_no"])


def _school_age_note(analysis: Analysis) -> str:
    """Who the 适龄儿童台账 lists, a note of both its forms."""
    params = analysis.params
    return (f"适龄：{params.school_age_min}–{params.school_age_max} 周岁"
            "（按学年开始前8月31日计），户籍所在乡镇；已死亡的不列。")


_STANDING_NOTE = ("就学状态：本乡镇在校、外乡镇就读（本学年在读学籍在户籍乡镇或其他乡镇）、已完成义务教育（九年级毕业，"
                  "或经核查确认）、有去向佐证（辍学案件已有结果）、在外地就读、延缓入学、免学、死亡、户籍迁出（经村（社区）、"
                  "学校核查且佐证齐全）、休学（本学年学籍均为休学，或经核查确认；名单见「适龄儿童 休学名单」）、"
                  "疑似失学（含核查确认失学、核查结果缺佐证的）；各项之和为适龄儿童数。")
_FILLED_NOTE = ("学籍号：户籍台账未填时取自本学年学籍；出生日期：户籍台账未填时由身份证号推算；"
                "联系电话：取自户籍台账。")

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
    Column("就学状态", "form_standing"),
    Column("就学情况", "schooling"),
    Column("疑似失学", "suspected"),
]


def _school_age_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """适龄儿童台账: the township's school-age children (户籍) and where each stands; 学籍号 from
    the roster and 出生日期 from the ID where the register lacks them, the phone where a
    register has it."""
    children = analysis.school_age
    child = _details(people, children["person_key"])
    rows = children.assign(
        student_no=children["student_no"].fillna(_student_numbers(analysis, children["person_key"])),
        birth_date=pd.to_datetime(children["birth_date"]).fillna(_birth_date_from_id(children["id_number"])),
        phone=children["phone"].fillna(child["phone"]),
        family=child["family"],
        form_standing=_standings(analysis),
        schooling=_schooling(analysis, children["person_key"]),
        suspected=_yes_no(is_in(children["person_key"], set(analysis.out_of_school["person_key"]))),
    )
    return _official_table(analysis, "适龄儿童台账", "适龄儿童台账", _SCHOOL_AGE_COLUMNS, _numbered(rows),
                           notes=[_school_age_note(analysis), _STANDING_NOTE, _FILLED_NOTE, FAMILY_NOTE])


_SUSPENDED_COLUMNS = [
    NUMBER,
    Column("乡镇", "township"),
    Column("村(社区)", "village"),
    Column("姓名", "name"),
    Column("性别", "gender"),
    Column("身份证号", "id_number"),
    Column("学籍号", "student_no"),
    Column("年龄", "age", kind="int"),
    Column("学校", "school"),
    Column("年级", "grade", kind="int"),
    Column("班级", "class_name"),
    Column("监护人", "guardian"),
    Column("联系电话", "phone"),
    FAMILY,
    Column("佐证", "evidence"),
]


def _suspended_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """适龄儿童 休学名单: the school-age children whose current 学籍 are all 休学, each with the
    roster row the standing rests on (its file and row), for the school to show the approval."""
    children = analysis.school_age[(_standings(analysis) == SUSPENDED).to_numpy(dtype=bool)]
    suspended = _suspended_rows(analysis).reindex(children["person_key"].to_numpy())
    roster_row = suspended.set_axis(children.index)
    sheet = roster_row["source_sheet"].fillna("").map(lambda name: f"「{name}」" if name else "")
    evidence = ("学籍台账 " + roster_row["source_file"].astype(str) + sheet + " 第 "
                + roster_row["source_row"].astype("Int64").astype(str) + " 行：学籍状态 休学（"
                + roster_row["school"].astype(str) + "）")
    # A child on no roster whom a verification says is 休学: the 回执 is the evidence.
    evidence = evidence.where(roster_row["source_file"].notna(), _verified_evidence(children))
    rows = children.assign(
        student_no=children["student_no"].fillna(roster_row["student_no"]),
        school=roster_row["school"], grade=roster_row["grade"], class_name=roster_row["class_name"],
        family=_details(people, children["person_key"])["family"],
        evidence=evidence,
    )
    return _official_table(analysis, "适龄儿童 休学名单", "适龄儿童休学名单", _SUSPENDED_COLUMNS, _numbered(rows),
                           notes=["适龄儿童中本学年学籍均为休学者（计入入学率的在校人数，但不在班就读），及无学籍、经村（社区）、学校核查确认休学者。",
                                  "佐证：据以认定休学的学籍台账行，或疑似失学核查回执；学校应留存休学审批材料，复学后及时更新学籍状态。",
                                  FAMILY_NOTE])


def _school_age_summary_sheet(analysis: Analysis) -> TableSheet:
    """适龄儿童台账 of the county: each township's school-age children by where they stand
    (the same standings as the township ledgers' 就学状态), the whole list in its own file."""
    children = analysis.school_age.assign(
        township=analysis.school_age["township"].fillna("（乡镇未详）"), form_standing=_standings(analysis))
    standings = (children.pivot_table(index="township", columns="form_standing", values="person_key",
                                      aggfunc="size", fill_value=0)
                 .reindex(columns=list(FORM_STANDINGS), fill_value=0))
    standings.insert(0, "children", standings.sum(axis=1))
    standings.loc[COUNTY_WIDE] = standings.sum()
    rows = _numbered(standings.rename_axis("township").reset_index())
    rows.loc[rows["township"] == COUNTY_WIDE, "number"] = None
    columns = [NUMBER, Column("乡镇", "township"), Column("适龄儿童", "children", kind="int"),
               *[Column(standing, standing, kind="int", group="其中") for standing in FORM_STANDINGS]]
    return _official_table(analysis, "适龄儿童台账", "适龄儿童台账（按户籍乡镇汇总）", columns, rows,
                           notes=[_school_age_note(analysis), _STANDING_NOTE,
                                  f"全县逐人名单见同一文件夹的 {SCHOOL_AGE_LEDGER_FILE}；"
                                  "各乡镇名单见该乡镇 forms.xlsx 的「适龄儿童台账」。"])


# The first action on a 户籍比对 row follows why the child is suspected.
CHECK_TRANSFER = "核查转入学校学籍"        # the roster says 转出: where did the pupil go?
ENTER_ROSTER = "补录学籍"                 # on no roster, yet the absence ledger has the pupil
VISIT_HOME = "入户核查"                   # nothing on record: the village visits the family
TRANSFERRED_OUT = "转出"


def first_actions(suspected: pd.DataFrame) -> pd.Series:
    """The first action on each 疑似失学 child (rows of analysis.out_of_school): a current roster
    row 转出 → 核查转入学校学籍; else absent from this year's roster but in the absence ledger →
    补录学籍; else 入户核查."""
    statuses = suspected["reason"].astype(str).str.extract(r"^学籍状态: ([^；]*)", expand=False)
    transferred = statuses.fillna("").str.split(LIST_SEPARATOR).map(lambda found: TRANSFERRED_OUT in found)
    no_roster_row = statuses.isna()
    in_absences = suspected.get("in_absence_ledger", pd.Series(False, index=suspected.index)).fillna(False)
    action = pd.Series(VISIT_HOME, index=suspected.index, dtype=object)
    action = action.mask(no_roster_row & in_absences.astype(bool), ENTER_ROSTER)
    return action.mask(transferred.astype(bool), CHECK_TRANSFER)


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
    # Left blank: the village or school fills them in and returns the sheet.
    Column("核查人", "checked_by", group="核查（村、学校填写）", width=10),
    Column("核查日期", "checked_on", group="核查（村、学校填写）", kind="date", width=12),
    Column("核查结果", "check_result", group="核查（村、学校填写）", width=14),
    Column("佐证", "check_evidence", group="核查（村、学校填写）", width=18),
]
_CHECK_KEYS = ("checked_by", "checked_on", "check_result", "check_evidence")


def _suspected_sheet(analysis: Analysis, people: pd.DataFrame) -> TableSheet:
    """疑似辍学台账: suspected out of school (户籍 × 学籍), each with the first action its reason
    calls for, and pupils at the top escalation level; the check's columns left to fill."""
    top = max(analysis.params.escalation)
    out = analysis.out_of_school
    unregistered = out.assign(kind="户籍比对：疑似失学", school=None, grade=None, streak=None,
                              streak_start=None, action=first_actions(out),
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
        # object first: with no finding at all the map is float NaN, which text must not fill
        reason=absent["person_key"].map(notice_findings).astype(object).fillna("已有在办辍学案件，已发限期复学通知书"),
    )
    filled_here = [column.key for column in _SUSPECTED_COLUMNS[1:] if column.key not in _CHECK_KEYS]
    rows = pd.concat([frame[filled_here] for frame in (unregistered, absentees)], ignore_index=True)
    rows = rows.assign(**dict.fromkeys(_CHECK_KEYS))
    return _official_table(analysis, "疑似辍学台账", "疑似辍学台账", _SUSPECTED_COLUMNS, _numbered(rows),
                           notes=["户籍比对：适龄儿童无本学年在读、休学学籍，无九年级毕业记录，也无已有结果的辍学案件。",
                                  f"应采取措施（户籍比对）：学籍状态为转出的，{CHECK_TRANSFER}；本学年无学籍、"
                                  f"但缺勤台账有其记录的，{ENTER_ROSTER}；其余{VISIT_HOME}。",
                                  f"连续无故缺勤：截至最后一个上课日连续无故缺勤达 {top} 个上课日（最高一级）。",
                                  "核查人、核查日期、核查结果、佐证：由村（社区）、学校核查后填写；核查结果填 在外地就读、"
                                  "已完成义务教育、延缓入学、免学、休学、死亡、户籍迁出、确认失学 或 其他，佐证填就读学校、"
                                  "批准文号等。",
                                  FAMILY_NOTE])
