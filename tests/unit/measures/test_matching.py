"""四查三比对: school-age children, the 疑似失学 list, duplicates, key registers off the roster."""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.measures.matching import (
    age_on,
    duplicate_enrollments,
    enrollment_rate,
    out_of_school,
    school_age_children,
    school_age_reference_date,
    school_age_standing,
    unenrolled_register_children,
)
from support.builders import resident_id, table

AS_OF = dt.date(2021, 10, 15)  # school year 2021: ages are taken on 2021-08-31






def cases(*pairs: tuple[str, str]) -> pd.DataFrame:
    """Case states on as_of: (person_key, state) pairs."""
    return pd.DataFrame(pairs, columns=["person_key", "state"])


# --- age -------------------------------------------------------------------

def test_reference_date_is_31_august_before_the_school_year():
    # 15 Oct 2021 and 10 Jan 2022 both lie in school year 2021.
    assert school_age_reference_date(dt.date(2021, 10, 15)) == dt.date(2021, 8, 31)
    assert school_age_reference_date(dt.date(2022, 1, 10)) == dt.date(2021, 8, 31)
    assert school_age_reference_date(dt.date(2022, 9, 1)) == dt.date(2022, 8, 31)


def test_age_from_birth_date_else_from_the_id():
    birth = pd.to_datetime(pd.Series([None, None, "2010-03-01", None]))
    ids = pd.Series([
        resident_id("20150831"),  # no 出生日期: ID says 2015-08-31 -> 6 on 2021-08-31 (birthday that day)
        resident_id("20150901"),  # ID says 2015-09-01 -> still 5 on 2021-08-31
        resident_id("20110301"),  # 出生日期 2010-03-01 wins over the ID -> 11
        None,                     # neither -> unknown
    ])
    ages = age_on(birth, ids, dt.date(2021, 8, 31))
    assert ages.tolist()[:3] == [6, 5, 11]
    assert pd.isna(ages.iloc[3])


# --- school-age children -----------------------------------------------------

def test_school_age_children_range_death_and_first_row():
    population = table("population", [
        {"person_key": "A", "birth_date": "2015-08-31", "township": "甲镇"},  # 6 -> in
        {"person_key": "B", "birth_date": "2015-09-01", "township": "甲镇"},  # 5 -> out
        {"person_key": "C", "birth_date": "2005-09-01", "township": "甲镇"},  # 15 (birthday next day) -> in
        {"person_key": "D", "birth_date": "2005-08-31", "township": "甲镇"},  # 16 -> out
        {"person_key": "E", "birth_date": "2012-05-05", "township": "甲镇"},  # 9 but died -> out
        # F twice: the row of b.xlsx comes first in the frame, a.xlsx first in file order.
        {"person_key": "F", "birth_date": "2012-05-05", "township": "乙镇", "source_file": "b.xlsx"},
        {"person_key": "F", "birth_date": "2012-05-05", "township": "甲镇", "source_file": "a.xlsx"},
        {"person_key": "G", "birth_date": None, "township": "甲镇"},  # no ID, no birth date -> unknown age, out
    ])
    children = school_age_children(population, AS_OF, 6, 15, cases(("E", "died"), ("A", "open")))
    # A, C, F remain; F's township is that of a.xlsx.
    assert sorted(children["person_key"]) == ["A", "C", "F"]
    assert children.set_index("person_key").loc["F", "township"] == "甲镇"
    assert children.set_index("person_key")["age"].to_dict() == {"A": 6, "C": 15, "F": 9}


# --- 疑似失学 -----------------------------------------------------------------

def test_out_of_school_proofs_and_non_proofs():
    keys = [f"K{n}" for n in range(1, 17)]
    population = table("population", [
        {"person_key": key, "birth_date": "2011-01-01", "township": "甲镇"} for key in keys
    ])  # everyone is 10 on 2021-08-31
    roster = table("roster", [
        {"person_key": "K1", "school_year": 2021, "grade": 5, "status": "在读", "township": "甲镇", "school": "S"},
        {"person_key": "K2", "school_year": 2021, "grade": 5, "status": "休学", "township": "甲镇", "school": "S"},
        # grade-9 毕业 in an earlier year: compulsory schooling completed.
        {"person_key": "K3", "school_year": 2020, "grade": 9, "status": "毕业", "township": "甲镇", "school": "S"},
        # 转出 this year is no proof.
        {"person_key": "K8", "school_year": 2021, "grade": 5, "status": "转出", "township": "甲镇", "school": "S"},
        # Only last year's row.
        {"person_key": "K11", "school_year": 2020, "grade": 6, "status": "在读", "township": "甲镇", "school": "S"},
        # A row without 学年 belongs to the current school year.
        {"person_key": "K13", "school_year": None, "grade": 5, "status": "在读", "township": "甲镇", "school": "S"},
        # Grade 9 of last year but 在读, not 毕业: no proof.
        {"person_key": "K14", "school_year": 2020, "grade": 9, "status": "在读", "township": "甲镇", "school": "S"},
    ])
    states = cases(
        ("K4", "returned"), ("K5", "transferred"), ("K6", "closed"), ("K7", "home_teaching"),
        ("K9", "open"),                       # an open case is no proof
        ("K15", "open"), ("K15", "returned"),  # a later case returned: proof
        ("K16", "died"),                      # leaves the population
    )
    school_age = school_age_children(population, AS_OF, 6, 15, states)
    out = out_of_school(school_age, roster, AS_OF, states).set_index("person_key")

    assert len(school_age) == 15  # 16 children less K16 (died)
    # K10 and K12 have nothing at all; K8, K9, K11, K14 as commented above.
    assert out["reason"].to_dict() == {
        "K8": "学籍状态: 转出",
        "K9": "无学籍；有在办辍学案件",
        "K10": "无学籍",
        "K11": "无本学年学籍（2020学年 六年级 在读）",
        "K12": "无学籍",
        "K14": "无本学年学籍（2020学年 九年级 在读）",
    }
    assert out["has_open_case"].to_dict() == {
        "K8": False, "K9": True, "K10": False, "K11": False, "K12": False, "K14": False,
    }
    # (15 − 6) / 15
    assert enrollment_rate(len(school_age), len(out)) == 9 / 15


def test_reasons_a_child_is_not_suspected_are_counted_apart():
    # Five children of 甲镇's 户籍, all 10: P1 at school in 甲镇; P2 at school in 乙镇 only;
    # P3 finished grade 9 last year (毕业) and has a case returned — the first rule wins:
    # 已完成义务教育; P4 has a case transferred (有去向佐证); P5 has nothing: 疑似失学.
    population = table("population", [
        {"person_key": key, "birth_date": "2011-01-01", "township": "甲镇"}
        for key in ("P1", "P2", "P3", "P4", "P5")])
    roster = table("roster", [
        {"person_key": "P1", "school_year": 2021, "grade": 5, "status": "在读", "township": "甲镇", "school": "S"},
        {"person_key": "P2", "school_year": 2021, "grade": 5, "status": "休学", "township": "乙镇", "school": "T"},
        {"person_key": "P3", "school_year": 2020, "grade": 9, "status": "毕业", "township": "甲镇", "school": "S"},
    ])
    states = cases(("P3", "returned"), ("P4", "transferred"))
    school_age = school_age_children(population, AS_OF, 6, 15, states)
    standing = school_age_standing(school_age, roster, AS_OF, states)
    assert dict(zip(school_age["person_key"], standing)) == {
        "P1": "本乡镇在校", "P2": "外乡镇就读", "P3": "已完成义务教育", "P4": "有去向佐证", "P5": "疑似失学"}
    # The suspected list is exactly the children standing 疑似失学.
    assert out_of_school(school_age, roster, AS_OF, states)["person_key"].tolist() == ["P5"]


def test_enrollment_rate_without_children_is_null():
    assert enrollment_rate(0, 0) is None
    assert enrollment_rate(4, 1) == 0.75  # (4 − 1) / 4


# --- 重复学籍 -----------------------------------------------------------------

def test_duplicate_enrollments_one_row_per_child():
    current = table("roster", [
        # P1 在读 at two schools in two townships: the duplicate.
        {"person_key": "P1", "name": "张三", "status": "在读", "school": "城关小学", "township": "城关镇", "grade": 3},
        {"person_key": "P1", "name": "张三", "status": "在读", "school": "石桥小学", "township": "石桥镇", "grade": 3},
        # P2 on two rows of the same school: one school, not a duplicate.
        {"person_key": "P2", "name": "李四", "status": "在读", "school": "城关小学", "township": "城关镇", "grade": 3},
        {"person_key": "P2", "name": "李四", "status": "在读", "school": "城关小学", "township": "城关镇", "grade": 4},
        # P3 在读 at one school, 转出 from another: not a duplicate.
        {"person_key": "P3", "name": "王五", "status": "在读", "school": "城关小学", "township": "城关镇", "grade": 3},
        {"person_key": "P3", "name": "王五", "status": "转出", "school": "石桥小学", "township": "石桥镇", "grade": 3},
    ])
    duplicates = duplicate_enrollments(current)
    assert duplicates.to_dict("records") == [{
        "person_key": "P1", "name": "张三",
        "schools": "城关小学、石桥小学", "townships": "城关镇、石桥镇", "n_schools": 2,
    }]


ROSTER_ROWS = st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3", "P4"]),
                                 st.sampled_from(["城关小学", "石桥小学", "民主小学"]),
                                 st.sampled_from(["在读", "转出"])), max_size=14)


@settings(max_examples=80, deadline=None)
@given(ROSTER_ROWS)
def test_duplicate_enrollments_against_brute_force(rows):
    township = {"城关小学": "城关镇", "石桥小学": "石桥镇", "民主小学": "城关镇"}
    current = table("roster", [{"person_key": key, "name": f"童{key}", "status": status, "school": school,
                                "township": township[school], "grade": 3} for key, school, status in rows])
    expected = []
    for key in sorted({key for key, _, _ in rows}):
        schools = {school for k, school, status in rows if k == key and status == "在读"}
        if len(schools) >= 2:
            expected.append({"person_key": key, "name": f"童{key}", "schools": "、".join(sorted(schools)),
                             "townships": "、".join(sorted({township[s] for s in schools})),
                             "n_schools": len(schools)})
    assert duplicate_enrollments(current).to_dict("records") == expected


# --- 脱贫户/残疾 against 学籍 -------------------------------------------------------

def test_unenrolled_register_children():
    r4 = resident_id("20100505")  # 11 on 2021-08-31
    r5 = resident_id("20050101")  # 16 on 2021-08-31
    poverty = table("poverty", [
        {"person_key": "R1", "township": "甲镇", "category": "脱贫户"},
        {"person_key": "R2", "township": "甲镇", "category": "脱贫户"},
        {"person_key": "R3", "township": "甲镇", "category": "监测户"},
        {"person_key": r4, "id_number": r4, "township": "甲镇", "category": "低保户"},
        {"person_key": r4, "id_number": r4, "township": "乙镇", "category": "低保户"},  # listed twice
        {"person_key": r5, "id_number": r5, "township": "甲镇", "category": "脱贫户"},
    ])
    roster = table("roster", [
        {"person_key": "R1", "school_year": 2021, "grade": 4, "status": "在读", "township": "甲镇", "school": "S"},
        {"person_key": "R2", "school_year": 2021, "grade": 4, "status": "休学", "township": "甲镇", "school": "S"},
        {"person_key": "R3", "school_year": 2021, "grade": 4, "status": "转出", "township": "甲镇", "school": "S"},
        {"person_key": r5, "school_year": 2020, "grade": 9, "status": "毕业", "township": "甲镇", "school": "S"},
    ])
    found = unenrolled_register_children(poverty, roster, AS_OF, cases((r4, "open")))
    # R1 (在读) and R2 (休学) are on the roster; R3 and r4 (once) are not; r5 finished grade 9
    # in 2020 (毕业): compulsory schooling completed, so not missing from school.
    assert found["person_key"].tolist() == ["R3", r4]
    assert found["township"].tolist() == ["甲镇", "甲镇"]
    assert found["age"].tolist()[1:] == [11] and pd.isna(found["age"].iloc[0])  # R3 has no ID
    assert found["reason"].tolist() == ["学籍状态: 转出", "无学籍；有在办辍学案件"]
