"""Cross-registry matching (四查三比对): 户籍 against 学籍, the key registers against 学籍.

The household register (population) lists the children a township answers for;
the roster says who is at school; dropout cases say where the others went.
A school-age child with no proof of schooling is a suspected out-of-school
child (疑似失学); a child with 在读 rows at two schools is a duplicate (重复学籍).

Every function is pure: canonical DataFrames (``kcbx.schema`` columns) in,
DataFrames or numbers out. Pass the county's whole roster and case states
even for a township run: a child of one township's 户籍 may be at school, or
have a case, in another. ``case_states`` is one row per dropout case with at
least ``person_key`` and ``state`` — the case's state on as_of, one of
open, returned, transferred, home_teaching, died, closed (as
``kcbx.measures.cases.case_table`` returns it for the same as_of). ``checks`` is
``kcbx.measures.verification.latest_results`` of the verification ledger on the same as_of:
a child verified with the evidence their result needs leaves 疑似失学 for the standing it names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from kcbx.measures.cases import CASE_STATES
from kcbx.measures.common import current_roster, is_in, school_year_of
from kcbx.measures.verification import LEAVES_SUSPECTED
from kcbx.schema import PROVENANCE

__all__ = [
    "CASE_OPEN",
    "CASE_DIED",
    "CASE_TRANSFERRED",
    "IN_SCHOOL_STATUSES",
    "ENROLLED_STATUS",
    "in_file_order",
    "first_row_per_person",
    "school_age_reference_date",
    "age_on",
    "in_school_keys",
    "settled_case_keys",
    "open_case_keys",
    "completed_compulsory_keys",
    "absence_explanation",
    "GRADE_NAMES",
    "JUNIOR_GRADE_NAMES",
    "grade_names",
    "STANDINGS",
    "VERIFIED_STANDINGS",
    "CHECK_COLUMNS",
    "with_checks",
    "school_age_standing",
    "school_age_children",
    "out_of_school",
    "enrollment_rate",
    "duplicate_enrollments",
    "unenrolled_register_children",
]

# Case states on a date (docs/ledgers.md, cases), the codes of cases.CASE_STATES.
CASE_OPEN, CASE_DIED, CASE_TRANSFERRED = "open", "died", "transferred"
assert {CASE_OPEN, CASE_DIED, CASE_TRANSFERRED} <= set(CASE_STATES)

# A current roster row with one of these statuses is proof of schooling.
IN_SCHOOL_STATUSES = ("在读", "休学")
ENROLLED_STATUS = "在读"
GRADUATED_STATUS = "毕业"
FINAL_GRADE = 9
# Grades as reports write them (年级 is stored 1–9, docs/ledgers.md). Counties name
# the junior grades 七年级…九年级 or 初一…初三 (params junior_grade_names).
_PRIMARY_GRADE_NAMES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
JUNIOR_GRADE_NAMES: dict[str, tuple[str, str, str]] = {
    "七年级": ("七年级", "八年级", "九年级"),
    "初一": ("初一", "初二", "初三"),
}


def grade_names(junior: str = "七年级") -> dict[int, str]:
    """1 → 一年级 … 9 → 九年级, or 7 → 初一 … 9 → 初三 when the county writes junior grades so."""
    return dict(enumerate(_PRIMARY_GRADE_NAMES + JUNIOR_GRADE_NAMES[junior], start=1))


GRADE_NAMES: dict[int, str] = grade_names()

# Where each school-age child stands, in the order the rules are applied: the first that holds.
# The last is 疑似失学 (out_of_school_suspected); the others are why a child is not suspected.
IN_HOME_TOWNSHIP = "本乡镇在校"
IN_OTHER_TOWNSHIP = "外乡镇就读"
COMPLETED = "已完成义务教育"
SETTLED = "有去向佐证"
SUSPECTED = "疑似失学"
# A verified child (with the evidence the result needs) stands where the result says: 已完成义务教育
# joins the roster's graduates; 在外地就读, 延缓入学, 免学, 休学, 死亡, 户籍迁出 stand on their own.
# 确认失学 and 其他 leave the child 疑似失学.
VERIFIED_STANDINGS: dict[str, str] = {result: COMPLETED if result == COMPLETED else result
                                      for result in LEAVES_SUSPECTED}
STANDINGS = (IN_HOME_TOWNSHIP, IN_OTHER_TOWNSHIP, COMPLETED, SETTLED,
             *(name for name in dict.fromkeys(VERIFIED_STANDINGS.values()) if name != COMPLETED), SUSPECTED)
# What out_of_school (and school_age, ``with_checks``) say of each child's verification on as_of.
CHECK_COLUMNS = ("check_result", "check_date", "check_evidence", "check_evidenced")

REASON_NO_ROSTER = "无学籍"
REASON_OPEN_CASE = "有在办辍学案件"
REASON_SEPARATOR = "；"
LIST_SEPARATOR = "、"


def in_file_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by (file, sheet, row); frames without provenance keep their order."""
    provenance = [column for column in PROVENANCE if column in frame.columns]
    return frame.sort_values(provenance, kind="stable") if provenance else frame


def first_row_per_person(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per person_key: the first in file order.

    Registers list a child more than once (two villages' sheets, a re-sent file);
    the first row decides the child's name, township and other details.
    """
    return in_file_order(frame).drop_duplicates("person_key", keep="first")


def school_age_reference_date(as_of: dt.date) -> dt.date:
    """31 August before the school year containing as_of: the age cut-off for school entry.

    A child who is 6 on 31 August 2021 starts grade 1 in September 2021
    (入学年龄: 年满六周岁, 以8月31日为界), so school year 2021 measures ages on 2021-08-31.
    """
    return dt.date(school_year_of(as_of), 8, 31)


def age_on(
    birth_date: pd.Series | None, id_number: pd.Series, reference_date: dt.date
) -> pd.Series:
    """Whole years of age on reference_date, per row (Int64, <NA> when unknown).

    docs/metrics.md (`school_age_population`): age in whole years on 31 August of the
    school year, from 出生日期, else from the ID. The ID's digits 7–14 are the birth date
    YYYYMMDD (GB 11643; IDs were checked with stdnum.cn.ric at ingest).
    birth_date None: registers without a 出生日期 column, the ID alone.
    """
    born = pd.to_datetime(
        id_number.astype("string").str.slice(6, 14), format="%Y%m%d", errors="coerce"
    )
    if birth_date is not None:
        born = pd.to_datetime(birth_date, errors="coerce").fillna(born)
    reference = pd.Timestamp(reference_date)
    # A child whose birthday falls after the reference day in the year is one year younger.
    birthday_not_yet = (born.dt.month * 100 + born.dt.day) > (reference.month * 100 + reference.day)
    age = reference.year - born.dt.year - birthday_not_yet.astype("Int64")
    return age.astype("Int64")


def _keys(frame: pd.DataFrame, mask: pd.Series) -> set[str]:
    return set(frame.loc[mask, "person_key"].dropna())


def in_school_keys(roster: pd.DataFrame, as_of: dt.date) -> set[str]:
    """Children with a current 在读 or 休学 roster row."""
    current = current_roster(roster, as_of)
    return _keys(current, current["status"].isin(IN_SCHOOL_STATUSES))


def completed_compulsory_keys(roster: pd.DataFrame) -> set[str]:
    """Children with a roster row of any year showing grade 9 毕业 (compulsory schooling completed)."""
    return _keys(roster, (roster["grade"] == FINAL_GRADE) & (roster["status"] == GRADUATED_STATUS))


def _case_keys(case_states: pd.DataFrame | None, state: str, *, other_than: bool = False) -> set[str]:
    """Children with a case in (or, other_than, not in) the given state on as_of."""
    if case_states is None:
        return set()
    in_state = case_states["state"] == state
    return _keys(case_states, ~in_state if other_than else in_state)


def settled_case_keys(case_states: pd.DataFrame | None) -> set[str]:
    """Children with a case whose state on as_of is other than open.

    Returned, transferred, home teaching or struck are proof enough (docs/metrics.md,
    `out_of_school_suspected`).
    """
    return _case_keys(case_states, CASE_OPEN, other_than=True)


def open_case_keys(case_states: pd.DataFrame | None) -> set[str]:
    """Children with a case that is open on as_of."""
    return _case_keys(case_states, CASE_OPEN)


def _roster_reasons(person_keys: pd.Series, roster: pd.DataFrame, as_of: dt.date,
                    names: Mapping[int, str]) -> pd.Series:
    """What the roster says about children who are not at school now, in Chinese.

    "无学籍" (no roster row in any year); "学籍状态: 转出" (the statuses of
    their current rows); "无本学年学籍（2020学年 六年级 毕业）" (only earlier
    years: the latest row). Indexed like person_keys.
    """
    current_year = school_year_of(as_of)
    years = roster["school_year"].astype("Int64").fillna(current_year)
    rows = in_file_order(roster.assign(school_year=years))
    rows = rows[is_in(rows["person_key"], set(person_keys))]

    current = rows[rows["school_year"] == current_year]
    current_statuses = current.groupby("person_key")["status"].agg(
        lambda statuses: LIST_SEPARATOR.join(dict.fromkeys(statuses))
    )
    earlier = rows[rows["school_year"] < current_year].sort_values("school_year", kind="stable")
    latest_earlier = earlier.drop_duplicates("person_key", keep="last").set_index("person_key")

    def reason(key: str) -> str:
        if key in current_statuses.index:
            return f"学籍状态: {current_statuses[key]}"
        if key in latest_earlier.index:
            row = latest_earlier.loc[key]
            grade = names.get(int(row["grade"]), f"{row['grade']}年级")
            return f"无本学年学籍（{int(row['school_year'])}学年 {grade} {row['status']}）"
        return REASON_NO_ROSTER

    return person_keys.map(reason)


def absence_explanation(
    person_keys: pd.Series,
    roster: pd.DataFrame,
    as_of: dt.date,
    case_states: pd.DataFrame | None = None,
    grade_names: Mapping[int, str] = GRADE_NAMES,
) -> pd.DataFrame:
    """Why children not at school still count, for the lists schools act on.

    Returns, indexed like person_keys: has_open_case (bool) and reason — what the
    roster says ("无学籍", "学籍状态: 转出", "无本学年学籍（2020学年 六年级 毕业）"),
    followed by "；有在办辍学案件" when a case is open on as_of.
    """
    has_open_case = is_in(person_keys, open_case_keys(case_states)).astype(bool)
    reasons = _roster_reasons(person_keys, roster, as_of, grade_names)
    reasons = reasons.where(~has_open_case, reasons + REASON_SEPARATOR + REASON_OPEN_CASE)
    return pd.DataFrame({"has_open_case": has_open_case, "reason": reasons.astype(object)})


def school_age_children(
    population: pd.DataFrame,
    as_of: dt.date,
    age_min: int,
    age_max: int,
    case_states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The 适龄儿童台账: school_age_population.

    As docs/metrics.md defines it: distinct children in population whose age in whole
    years on 31 August of the school year (birth date from 出生日期, else from the ID) is
    within the school-age range, less those whose case state on as_of is died.

    A child listed on several population rows is represented by the first row
    in file order (its township, its birth date). A child with neither a birth
    date nor an ID has no known age and is left out.

    Returns one row per child: person_key, id_number, student_no, name, gender,
    birth_date, township, village, guardian, phone, age.
    """
    children = first_row_per_person(population)
    ages = age_on(children["birth_date"], children["id_number"], school_age_reference_date(as_of))
    children = children.assign(age=ages)
    within_range = children["age"].between(age_min, age_max).fillna(False).astype(bool)
    alive = ~is_in(children["person_key"], _case_keys(case_states, CASE_DIED))
    columns = ["person_key", "id_number", "student_no", "name", "gender", "birth_date",
               "township", "village", "guardian", "phone", "age"]
    return children.loc[within_range & alive, columns].reset_index(drop=True)


def school_age_standing(
    school_age: pd.DataFrame,
    roster: pd.DataFrame,
    as_of: dt.date,
    case_states: pd.DataFrame | None = None,
    checks: pd.DataFrame | None = None,
) -> pd.Series:
    """Where each school-age child stands (STANDINGS), indexed like school_age.

    At school (a current 在读 or 休学 roster row): 本乡镇在校 when a row is in the child's
    population township, else 外乡镇就读; else 已完成义务教育 (grade 9 毕业 in any year);
    else 有去向佐证 (a case whose state is other than open); else, verified with the evidence
    the result needs (``checks``), the standing the result names (VERIFIED_STANDINGS: 在外地就读,
    已完成义务教育, 延缓入学, 免学, 休学, 死亡, 户籍迁出); else 疑似失学 — metrics.json's
    out_of_school_suspected, so the reasons a child is not suspected add up with it to
    school_age_population.
    """
    current = current_roster(roster, as_of)
    at_school = current[current["status"].isin(IN_SCHOOL_STATUSES)]
    home_pairs = set(zip(at_school["person_key"], at_school["township"]))
    keys = school_age["person_key"]
    in_home_township = pd.Series([(key, town) in home_pairs
                                  for key, town in zip(keys, school_age["township"])],
                                 index=school_age.index, dtype=bool)
    rules = [
        (IN_HOME_TOWNSHIP, in_home_township),
        (IN_OTHER_TOWNSHIP, is_in(keys, set(at_school["person_key"]))),
        (COMPLETED, is_in(keys, completed_compulsory_keys(roster))),
        (SETTLED, is_in(keys, settled_case_keys(case_states))),
    ]
    if checks is not None and len(checks):
        verified = checks[checks["evidenced"].astype(bool)]
        rules += [(VERIFIED_STANDINGS[result], is_in(keys, set(verified.loc[verified["result"] == result,
                                                                          "person_key"])))
                  for result in LEAVES_SUSPECTED]
    standing = pd.Series(SUSPECTED, index=school_age.index, dtype=object)
    for name, holds in reversed(rules):  # the first rule that holds wins
        standing = standing.mask(holds.to_numpy(dtype=bool), name)
    return standing


def with_checks(children: pd.DataFrame, checks: pd.DataFrame | None) -> pd.DataFrame:
    """The children with their verification on as_of (CHECK_COLUMNS): check_result (the 核查结果
    of their latest row, None: no check), check_date (its 核查日期), check_evidence (its 佐证) and
    check_evidenced (whether 佐证 holds what the result needs). ``checks``: verification.latest_results."""
    if checks is None or checks.empty:
        return children.assign(check_result=pd.Series(None, index=children.index, dtype=object),
                               check_date=pd.Series(pd.NaT, index=children.index, dtype="datetime64[ns]"),
                               check_evidence=pd.Series(None, index=children.index, dtype=object),
                               check_evidenced=pd.Series(False, index=children.index, dtype=bool))
    by_child = checks.set_index("person_key")
    keys = children["person_key"]
    return children.assign(
        check_result=_text_or_none(keys.map(by_child["result"])),
        check_date=pd.to_datetime(keys.map(by_child["date"])).astype("datetime64[ns]"),
        check_evidence=_text_or_none(keys.map(by_child["evidence"])),
        check_evidenced=keys.map(by_child["evidenced"]).fillna(False).astype(bool))


def _text_or_none(values: pd.Series) -> pd.Series:
    values = values.astype(object)
    return values.where(values.notna(), None)


REASON_CHECKED = "核查："
REASON_NO_EVIDENCE = "（缺佐证）"


def out_of_school(
    school_age: pd.DataFrame,
    roster: pd.DataFrame,
    as_of: dt.date,
    case_states: pd.DataFrame | None = None,
    grade_names: Mapping[int, str] = GRADE_NAMES,
    checks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The 疑似失学 list: out_of_school_suspected.

    As docs/metrics.md defines it: of the school-age children, those with no current 在读
    or 休学 roster row, no roster row of any year showing grade 9 毕业, no case whose state
    on as_of is other than open, and no verification result (``checks``) with its evidence
    other than 确认失学 or 其他 (school_age_standing 疑似失学).

    Returns the school_age columns of those children plus has_open_case, reason (see
    absence_explanation, then "；核查：确认失学" or "；核查：在外地就读（缺佐证）" for a checked
    child) and CHECK_COLUMNS (``with_checks``).
    """
    suspected_rows = school_age_standing(school_age, roster, as_of, case_states, checks) == SUSPECTED
    suspected = school_age[suspected_rows.to_numpy(dtype=bool)].reset_index(drop=True)
    suspected = suspected.drop(columns=[c for c in CHECK_COLUMNS if c in suspected.columns])
    out = with_checks(suspected.join(absence_explanation(suspected["person_key"], roster, as_of, case_states,
                                                         grade_names)), checks)
    checked = out["check_result"].notna()
    said = (REASON_SEPARATOR + REASON_CHECKED + out["check_result"].fillna("").astype(str)
            + out["check_evidenced"].map({True: "", False: REASON_NO_EVIDENCE}))
    return out.assign(reason=out["reason"].where(~checked, out["reason"] + said).astype(object))


def enrollment_rate(n_school_age: int, n_out: int) -> float | None:
    """入学率: (school_age_population − out_of_school_suspected) / school_age_population; None when 0."""
    if not n_school_age:
        return None
    return (n_school_age - n_out) / n_school_age


def duplicate_enrollments(current: pd.DataFrame) -> pd.DataFrame:
    """重复学籍: children with 在读 rows at two or more schools (of the current roster given).

    Returns one row per child: person_key, name (first row in file order),
    schools and townships (distinct, sorted, joined with "、"), n_schools.
    """
    enrolled = in_file_order(current[current["status"] == ENROLLED_STATUS])
    # Only the few children at two schools reach the per-child text joins below.
    n_schools = enrolled.groupby("person_key")["school"].transform("nunique")
    enrolled = enrolled[n_schools >= 2]
    per_child = enrolled.groupby("person_key", sort=True).agg(
        name=("name", "first"),
        schools=("school", lambda schools: LIST_SEPARATOR.join(sorted(set(schools)))),
        townships=("township", lambda townships: LIST_SEPARATOR.join(sorted(set(townships)))),
        n_schools=("school", "nunique"),
    )
    return per_child[per_child["n_schools"] >= 2].reset_index()


def unenrolled_register_children(
    register: pd.DataFrame,
    roster: pd.DataFrame,
    as_of: dt.date,
    case_states: pd.DataFrame | None = None,
    grade_names: Mapping[int, str] = GRADE_NAMES,
) -> pd.DataFrame:
    """Children of a key register (poverty or disability) on no current 在读 or 休学 roster row
    who have not completed compulsory schooling (no grade 9 毕业 in any year: a graduate is
    not missing from school).

    The third comparison of 四查三比对 (脱贫户 database against 学籍). Every other child
    on the register is listed, whatever their age: the registers carry no birth
    date of their own, so ``age`` (on 31 August, from the ID; <NA> without one)
    is given for the reader to judge, rather than silently dropping children.
    One row per child (first register row in file order): the register's
    columns (less provenance) plus age, has_open_case and reason (see absence_explanation).
    """
    children = first_row_per_person(register)
    accounted_for = in_school_keys(roster, as_of) | completed_compulsory_keys(roster)
    children = children[~is_in(children["person_key"], accounted_for)]
    children = children.drop(columns=[c for c in PROVENANCE if c in children.columns])
    ages = age_on(None, children["id_number"], school_age_reference_date(as_of))
    children = children.assign(age=ages).reset_index(drop=True)
    return children.join(absence_explanation(children["person_key"], roster, as_of, case_states,
                                             grade_names))
