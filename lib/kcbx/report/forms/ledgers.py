"""Two of the three ledgers of 四查三比对: the 适龄儿童台账 (a township's children one by one;
the county's summed by township, the whole list in its own file) and the 疑似辍学台账."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kcbx.analysis.model import COUNTY_WIDE, Analysis
from kcbx.measures.common import is_in
from kcbx.measures.matching import IN_SCHOOL_STATUSES, LIST_SEPARATOR, STANDINGS
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

# A school-age child who is neither at school in this township's roster nor suspected:
# at school elsewhere, compulsory schooling completed, or a case with proof of where they went.
NOT_SUSPECTED = "非疑似失学（外乡镇就读、已完成义务教育或有去向佐证）"


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


def _school_age_note(analysis: Analysis) -> str:
    """Who the 适龄儿童台账 lists, a note of both its forms."""
    params = analysis.params
    return (f"适龄：{params.school_age_min}–{params.school_age_max} 周岁"
            "（按学年开始前8月31日计），户籍所在乡镇；已死亡的不列。")


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
    return _official_table(analysis, "适龄儿童台账", "适龄儿童台账", _SCHOOL_AGE_COLUMNS, _numbered(rows),
                           notes=[_school_age_note(analysis), FAMILY_NOTE])


def _school_age_summary_sheet(analysis: Analysis) -> TableSheet:
    """适龄儿童台账 of the county: each township's school-age children by where they stand
    (the same standings as the township ledgers' 就学情况), the whole list in its own file."""
    standings = (analysis.school_age.assign(township=analysis.school_age["township"].fillna("（乡镇未详）"))
                 .pivot_table(index="township", columns="standing", values="person_key",
                              aggfunc="size", fill_value=0)
                 .reindex(columns=list(STANDINGS), fill_value=0))
    standings.insert(0, "children", standings.sum(axis=1))
    standings.loc[COUNTY_WIDE] = standings.sum()
    rows = _numbered(standings.rename_axis("township").reset_index())
    rows.loc[rows["township"] == COUNTY_WIDE, "number"] = None
    columns = [NUMBER, Column("乡镇", "township"), Column("适龄儿童", "children", kind="int"),
               *[Column(standing, standing, kind="int", group="其中") for standing in STANDINGS]]
    return _official_table(analysis, "适龄儿童台账", "适龄儿童台账（按户籍乡镇汇总）", columns, rows,
                           notes=[_school_age_note(analysis),
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
