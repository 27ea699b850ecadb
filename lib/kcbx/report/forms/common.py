"""What every sheet of forms.xlsx shares: titles, the sign-off block, the columns and notes
several forms print, and ``_people``, who each child is."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from kcbx.analysis.cut import TUOPIN, tuopin_keys
from kcbx.analysis.model import COUNTY_WIDE, Analysis
from kcbx.measures.cases import term_scope
from kcbx.measures.matching import first_row_per_person
from kcbx.params import Office
from kcbx.report.excel import BLANK_FOR_HANDWRITING, Column, SignOff, TableSheet

YES, NO = "是", "否"
ID_OR_STUDENT_NO = "身份证号/学籍号"  # person_key: the ID, else the 学籍号
# 家庭类别 of a child the analysis knows to be in the poverty register without its 类别.
POVERTY_CATEGORY_UNKNOWN = "脱贫户名单内（类别未详）"
FAMILY_NOTE = "家庭类别：脱贫户名单中的类别（脱贫户、监测户、低保户、特困供养）；空白为不在名单内。"
NUMBER = Column("序号", "number", kind="int", width=6)
FAMILY = Column("家庭类别", "family")
# 脱贫户 on a form means 类别 脱贫户 only; the register's other 类别 are 其他困难家庭.
OTHER_POVERTY = "其他困难家庭"
TUOPIN_NOTE = (f"{TUOPIN}：脱贫户名单中类别为“{TUOPIN}”的学生；{OTHER_POVERTY}：名单中其他类别"
               "（监测户、低保户、特困供养，或未填类别）的学生。")
# What a zero form (零报告) says under its header; it is signed all the same.
NO_DROPOUTS = "本期无辍学学生"


# --- titles and the sign-off block ------------------------------------------------


def _subtitle(analysis: Analysis) -> str:
    return f"{analysis.params.county} {analysis.township or COUNTY_WIDE}  截至 {analysis.as_of.isoformat()}"


def _term_label(term_start: dt.date) -> str:
    """The term as titles name it: "2021年秋季学期" for a term starting in autumn 2021, else 春季."""
    season = "秋季" if term_start.month >= 7 else "春季"
    return f"{term_start.year}年{season}学期"


def _title(analysis: Analysis, form: str, annex: int | None = None) -> str:
    """A form's full title, the county and term before the form's name as seed 000 writes them:
    "附件1 示例县2021年秋季学期控辍保学专项行动统计表"."""
    full = f"{analysis.params.county}{_term_label(analysis.params.term_start)}{form}"
    return full if annex is None else f"附件{annex} {full}"


def _signoff(analysis: Analysis, guardian: bool = False) -> SignOff:
    """The sign-off block: params ``office`` on the county's forms; a township's forms are filled,
    signed and stamped by the township (the office in params is the county's). ``guardian``:
    a 一生一表's, with the guardian's signature line (``GuardianSignOff``)."""
    office = analysis.params.office if analysis.township is None else Office()
    block = GuardianSignOff if guardian else SignOff
    return block(unit=office.unit, preparer=office.contact, phone=office.phone, date=analysis.as_of)


class GuardianSignOff(SignOff):
    """The sign-off block of a 一生一表, which the guardian signs too: a 监护人签字 line first."""

    def text(self) -> str:
        return f"监护人签字：{BLANK_FOR_HANDWRITING}　　{super().text()}"


def _official_table(analysis: Analysis, name: str, form: str, columns: list[Column], rows: pd.DataFrame,
                    notes: list[str] | str | None = None, annex: int | None = None) -> TableSheet:
    """A TableSheet of an official form: its full title, the subtitle and the sign-off block."""
    return TableSheet(name, _title(analysis, form, annex), columns, rows, subtitle=_subtitle(analysis),
                      notes=notes, signoff=_signoff(analysis))


def _zero_report(analysis: Analysis, name: str, form: str, columns: list[Column], annex: int | None = None,
                 notes: list[str] | None = None) -> TableSheet:
    """An official form with nothing to report (零报告): its header, NO_DROPOUTS under it, any
    notes, and the sign-off block, so that the unit signs that it has none."""
    return _official_table(analysis, name, form, columns, pd.DataFrame(columns=[c.key for c in columns]),
                           notes=[NO_DROPOUTS, *(notes or [])], annex=annex)


# --- shared lookups ----------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))) \
        or (isinstance(value, str) and not value.strip())


def _yes_no(flags: pd.Series) -> pd.Series:
    """True/False as 是/否; missing stays blank."""
    return flags.map(lambda flag: None if _is_blank(flag) else (YES if flag else NO)).astype(object)


# What a form needs to know about a child, and where each field is looked up first.
_PEOPLE_COLUMNS = ["id_number", "student_no", "name", "gender", "township", "school", "grade",
                   "class_name", "home_township", "village", "guardian", "phone", "family"]


def _family_categories(analysis: Analysis) -> pd.Series:
    """person_key → 家庭类别: the child's 类别 in the poverty register (脱贫户, 监测户 …); a child
    the register lists with a blank 类别 gets POVERTY_CATEGORY_UNKNOWN."""
    poverty = analysis.poverty.set_index("person_key")["category"]
    return poverty.fillna(POVERTY_CATEGORY_UNKNOWN).astype(object)


def _term_scopes(analysis: Analysis) -> pd.Series:
    """Each case's place on this term's forms (``kcbx.measures.cases.term_scope``), aligned
    with analysis.cases: "this_term", "carried_over", or None (left off)."""
    return term_scope(analysis.cases, analysis.params.term_start)


def _scope_note(analysis: Analysis) -> str:
    """What cases a term's form lists, and how many it leaves out (附件1–3)."""
    scopes = _term_scopes(analysis)
    this_term, carried = int(scopes.eq("this_term").sum()), int(scopes.eq("carried_over").sum())
    left_out = int(scopes.isna().sum())
    return (f"案件范围：本学期（{analysis.params.term_start.isoformat()} 起）登记的案件 {this_term} 件，"
            f"及此前登记、开学时仍未结案的上学期结转案件 {carried} 件；此前登记且开学前已结案或销号的 "
            f"{left_out} 件不列入（截至当日登记的全部案件 {len(scopes)} 件）。")


def _family_keys(analysis: Analysis) -> tuple[set[str], set[str]]:
    """The children of the analysis' poverty register: (类别 脱贫户, every other 类别 or none)."""
    tuopin = tuopin_keys(analysis.poverty)
    return tuopin, set(analysis.poverty["person_key"]) - tuopin


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
