"""The demo county's people and registers.

Children (names, IDs, guardians), the ``Builder`` that holds them and the
roster rows as they are made, and the registers drawn from them: the 2020
roster of grades 6 and 9, children on no roster, the roster's deliberate faults,
the household, poverty and disability registers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stdnum.cn import ric

from kcbx.demo.plan import (
    AGE_REFERENCE,
    CLASS_SIZE,
    MIGRANT_REGION_CODES,
    SCHOOL_YEAR,
    DemoScale,
    names_data,
    plan_county,
    school_weights,
    split,
)

# ---------------------------------------------------------------------------
# People


def _with_check_digit(body17: str) -> str:
    # stdnum's calc_check_digit expects the full 18 characters and ignores the last one.
    return body17 + ric.calc_check_digit(body17 + "0")


def _mistype(id_number: str) -> str:
    """The same ID with a wrong check digit (the commonest typing error a checksum catches)."""
    digits = "0123456789X"
    return id_number[:17] + digits[(digits.index(id_number[17]) + 3) % 11]


def _birth_dates(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    """Birth dates (datetime64[D]) of children `ages` whole years old on 31 August 2021."""
    years = np.asarray(2020 - ages, dtype="int64")
    start = ((years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 8).astype("datetime64[D]")
    end = ((years - 1969).astype("datetime64[Y]").astype("datetime64[M]") + 8).astype("datetime64[D]")
    span = (end - start).astype(int)
    return start + (rng.random(len(ages)) * span).astype(int)


def _people(rng: np.random.Generator, names: dict, scale: DemoScale, ages, townships, villages,
            left_behind=None, migrant=None) -> pd.DataFrame:
    """New children: name, gender, birth date, 户籍 township and village, guardian, phone, region.

    `ages` are whole years on 31 August 2021. Regions are the county's code for
    most, a neighbour's for some, another province's for migrants.
    """
    n = len(ages)
    ages = np.asarray(ages)
    left_behind = np.zeros(n, bool) if left_behind is None else np.asarray(left_behind)
    migrant = np.zeros(n, bool) if migrant is None else np.asarray(migrant)
    male = rng.random(n) < 0.52
    surname_list = list(names["surnames"])
    weights = np.array(list(names["surnames"].values()), float)
    surnames = rng.choice(surname_list, size=n, p=weights / weights.sum())
    two_char = rng.random(n) < 0.7
    pools = {True: names["given_male"] + names["given_shared"], False: names["given_female"] + names["given_shared"]}
    first = rng.random(n)
    second = rng.random(n)
    given = [
        pools[m][int(a * len(pools[m]))] + (pools[m][int(b * len(pools[m]))] if two else "")
        for m, a, b, two in zip(male, first, second, two_char)
    ]
    # Left-behind children live with a grandparent; the others with a parent.
    guardian_is_man = rng.random(n) < 0.5
    adult = rng.random(n)
    other_surname = rng.choice(surname_list[:30], size=n)
    guardians = []
    for i in range(n):
        pool = names["adult_male"] if guardian_is_man[i] else names["adult_female"]
        family = surnames[i] if guardian_is_man[i] else other_surname[i]
        guardians.append(family + pool[int(adult[i] * len(pool))])
    prefixes = np.array(["138", "139", "135", "150", "158", "187", "177", "180", "189", "199"])
    phones = [p + f"{d:08d}" for p, d in zip(rng.choice(prefixes, n), rng.integers(0, 10**8, n))]
    blank_phone = rng.random(n) < 0.03
    neighbour = rng.random(n) < 0.08
    regions = np.where(neighbour, rng.choice(list(scale.neighbour_codes), n), scale.county_code)
    regions = np.where(migrant, rng.choice(list(MIGRANT_REGION_CODES), n), regions)
    return pd.DataFrame({
        "name": [s + g for s, g in zip(surnames, given)],
        "gender": np.where(male, "男", "女"),
        "birth_date": _birth_dates(rng, ages),
        "home_township": np.asarray(townships),
        "village": np.asarray(villages),
        "guardian": guardians,
        "phone": np.where(blank_phone, "", phones),
        "region": regions,
        "left_behind": left_behind,
        "migrant": migrant,
        "has_id": True,
        "in_population": ~migrant,      # a migrant child's 户籍 is in another province
        "role": "",
        "poor": False,                  # forced onto the poverty register by a scenario
    })


def assign_ids(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """18-digit IDs (GB 11643): region, birth date, an order code odd for boys, check digit.

    Order codes are unique per region and birth date; 学籍号 is G + ID (the national form);
    children flagged without an ID get an 'L' 学籍号 instead.
    """
    people = people.copy()
    births = pd.to_datetime(people["birth_date"]).dt.strftime("%Y%m%d")
    group = people["region"] + births
    # Children sharing region, birth date and sex get consecutive order codes from a random start.
    same = group + people["gender"]
    start = pd.Series(rng.integers(0, 400, len(people)), index=people.index).groupby(same).transform("first")
    order = (start + same.groupby(same).cumcount()) * 2 + (people["gender"] == "男")
    ids = [_with_check_digit(g + f"{o:03d}") for g, o in zip(group, order)]
    people["id_number"] = ids
    people["student_no"] = ["G" + i for i in ids]
    no_id = ~people["has_id"]
    people.loc[no_id, "student_no"] = [f"L{r}{b}{n:04d}" for r, b, n in
                                       zip(people.loc[no_id, "region"], births[no_id], range(1, int(no_id.sum()) + 1))]
    people.loc[no_id, "id_number"] = ""
    return people


# ---------------------------------------------------------------------------
# The builder: one pass, one generator, a fixed order


class Builder:
    """Builds the demo county step by step; every random draw comes from self.rng, in order."""

    def __init__(self, scale: DemoScale, seed: int):
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        self.names = names_data()
        self.townships = plan_county(scale, self.rng, self.names)
        self.schools = {s.name: s for t in self.townships for s in t.schools}
        self.people = pd.DataFrame()
        self.roster = pd.DataFrame()          # one row per roster row, keyed by `person`
        self.truth: dict[int, str] = {}
        # Filled once the 2021 roster exists: where each pupil's row is, and the pupils by township.
        self._row_of: dict[int, int] = {}
        self._pupils_of: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._grade6_sizes: dict[str, int] = {}

    # -- people and roster rows ------------------------------------------

    def add_people(self, frame: pd.DataFrame) -> np.ndarray:
        start = len(self.people)
        frame = frame.reset_index(drop=True)
        frame.index = pd.RangeIndex(start, start + len(frame))
        self.people = pd.concat([self.people, frame]) if len(self.people) else frame
        return frame.index.to_numpy()

    def add_roster_rows(self, rows: pd.DataFrame) -> None:
        defaults = {"status": "在读", "repeater": False, "defect": "", "class_name": ""}
        rows = rows.assign(**{k: rows[k] if k in rows else v for k, v in defaults.items()})
        self.roster = pd.concat([self.roster, rows], ignore_index=True) if len(self.roster) else rows

    def current_pupils(self) -> None:
        """The 2021 roster: exactly scale.pupils children, split by township, grade and school."""
        rng, t = self.rng, self.townships
        weights = [1.8 if i == 0 else rng.uniform(0.7, 1.3) for i in range(len(t))]
        rows = []
        for township, total in zip(t, split(self.scale.pupils, weights)):
            for grade, count in zip(range(1, 10), split(total, rng.uniform(0.93, 1.07, 9))):
                for school, n in zip(township.schools, split(count, school_weights(township, grade, rng))):
                    rows += [(township.name, school.name, school.kind, school.village, grade)] * n
        plan = pd.DataFrame(rows, columns=["township", "school", "kind", "school_village", "grade"])
        n = len(plan)
        repeater = rng.random(n) < 0.012
        late = rng.random(n) < 0.06
        early = (rng.random(n) < 0.02) & ~repeater & ~late
        ages = 5 + plan["grade"].to_numpy() + repeater + late - early
        # The county seat's junior school also takes pupils from other townships.
        home = plan["township"].to_numpy().copy()
        seat_junior = (plan["township"] == t[0].name) & (plan["grade"] >= 7) & (rng.random(n) < 0.06)
        others = [x.name for x in t[1:]] or [t[0].name]
        home[seat_junior.to_numpy()] = rng.choice(others, int(seat_junior.sum()))
        villages_of = {x.name: x.villages for x in t}
        pick = rng.random(n)
        village = np.array([villages_of[h][int(p * len(villages_of[h]))] for h, p in zip(home, pick)], dtype=object)
        own_village = (plan["kind"] == "village").to_numpy() & (rng.random(n) < 0.8) & (home == plan["township"].to_numpy())
        village[own_village] = plan["school_village"].to_numpy()[own_village]
        migrant = rng.random(n) < 0.05
        left_behind = (rng.random(n) < 0.21) & ~migrant
        people = _people(rng, self.names, self.scale, ages, home, village, left_behind, migrant)
        ids = self.add_people(people)
        boarding_rate = np.select(
            [plan["grade"] >= 7, plan["kind"] == "village", plan["kind"] == "nine_year"], [0.65, 0.05, 0.3], 0.25)
        status_draw = rng.random(n)
        roster = plan.assign(
            person=ids, school_year=SCHOOL_YEAR, repeater=repeater,
            boarding=rng.random(n) < boarding_rate,
            status=np.select([status_draw < 0.004, status_draw < 0.008], ["休学", "转出"], "在读"),
        )
        order = rng.permutation(n)
        roster = roster.iloc[order]
        position = roster.groupby(["school", "grade"]).cumcount()
        roster = roster.assign(class_name=(position // CLASS_SIZE + 1).astype(str) + "班").sort_index()
        self.add_roster_rows(roster.drop(columns=["kind", "school_village"]))
        self._row_of = dict(zip(self.roster["person"], self.roster.index))
        pupils = self.roster[self.roster["status"] == "在读"]
        self._pupils_of = {name: (rows["person"].to_numpy(), rows["grade"].to_numpy())
                           for name, rows in pupils.groupby("township", sort=False)}
        self._grade6_sizes = self.roster[self.roster["grade"] == 6].groupby("school").size().to_dict()

    # -- choosing children for roles --------------------------------------

    def pupils_2021(self) -> pd.DataFrame:
        """Sound 2021 roster rows, with each child's role and whether they are on the household register."""
        rows = self.roster[(self.roster["school_year"] == SCHOOL_YEAR) & (self.roster["defect"] == "")]
        return rows.join(self.people[["role", "in_population"]], on="person")

    def take_pupils(self, role: str, count: int, township: str, grades=range(1, 10)) -> list[int]:
        """Give a role to `count` 在读 pupils of a township (and grades) on the household register, with no role yet."""
        persons, pupil_grades = self._pupils_of[township]
        # people's index is positional (0..n-1), so take() finds each pupil's row.
        free = (self.people["role"].take(persons).to_numpy() == "") & self.people["in_population"].take(persons).to_numpy()
        persons = persons[free & np.isin(pupil_grades, list(grades))]
        chosen = persons[np.sort(self.rng.choice(len(persons), count, replace=False))]
        self.people.loc[chosen, "role"] = role
        return chosen.tolist()

    def row_of(self, person: int) -> pd.Series:
        """A pupil's 2021 roster row."""
        return self.roster.loc[self._row_of[person]]

    def set_status(self, person: int, status: str) -> None:
        self.roster.at[self._row_of[person], "status"] = status

    def township_index(self, name: str) -> int:
        return [t.name for t in self.townships].index(name)

    def junior_school(self, township: str) -> str:
        return next(s.name for s in self.townships[self.township_index(township)].schools if 9 in s.grades)

    def primary_school_of(self, township: str) -> str:
        """A school teaching grade 6 in a township, drawn by its size."""
        options = [s.name for s in self.townships[self.township_index(township)].schools if 6 in s.grades]
        weight = np.array([max(self._grade6_sizes.get(s, 0), 1) for s in options], float)
        return options[int(self.rng.choice(len(options), p=weight / weight.sum()))]

    def new_vanished(self, township: str, count: int) -> np.ndarray:
        """Children in grade 6 of 2020 in a township who are on no roster of 2021."""
        persons = self.new_children(township, np.full(count, 12), role="vanished")
        self.add_roster_rows(pd.DataFrame({
            "person": persons, "school_year": SCHOOL_YEAR - 1, "township": township,
            "school": [self.primary_school_of(township) for _ in persons], "grade": 6,
            "class_name": "1班", "boarding": False}))
        return persons

    def new_children(self, township: str, ages, role: str = "") -> np.ndarray:
        """New children on the household register of a township (the caller adds any roster rows)."""
        villages = self.townships[self.township_index(township)].villages
        n = len(ages)
        frame = _people(self.rng, self.names, self.scale, np.asarray(ages), [township] * n,
                        self.rng.choice(list(villages), n))
        return self.add_people(frame.assign(role=role))


# ---------------------------------------------------------------------------
# Previous school year, extra children, registers


def previous_year(b: Builder) -> None:
    """2020 roster rows for grades 6 and 9: the 小升初 and graduation checks need them.

    Grade 6 of 2020 = this year's grade-7 pupils who did not repeat, plus this
    year's grade-6 repeaters, plus a few who vanished (no 2021 row, no case).
    Grade 9 of 2020 = graduates (毕业, now on no roster) plus this year's grade-9 repeaters.
    """
    rng = b.rng
    current = b.pupils_2021()
    for township in b.townships:
        here = current[current["township"] == township.name]
        b.new_vanished(township.name, max(1, round(int((here["grade"] == 7).sum()) * 0.012)))
        count = max(1, round(int((here["grade"] == 9).sum()) * rng.uniform(0.9, 1.1)))
        graduates = b.new_children(township.name, 15 + (rng.random(count) < 0.1), role="graduate")
        b.add_roster_rows(pd.DataFrame({
            "person": graduates, "school_year": SCHOOL_YEAR - 1, "township": township.name,
            "school": b.junior_school(township.name), "grade": 9, "status": "毕业",
            "class_name": [f"{k}班" for k in rng.integers(1, 4, count)], "boarding": rng.random(count) < 0.6}))
    movers = current[((current["grade"] == 7) & ~current["repeater"]) | ((current["grade"] == 6) & current["repeater"])]
    homes = b.people.loc[movers["person"], "home_township"].to_numpy()
    schools = [school if grade == 6 else b.primary_school_of(home)
               for school, grade, home in zip(movers["school"], movers["grade"], homes)]
    repeat9 = current[(current["grade"] == 9) & current["repeater"]]
    earlier = pd.concat([
        pd.DataFrame({"person": movers["person"].to_numpy(), "school": schools, "grade": 6,
                      "boarding": movers["boarding"].to_numpy() & (rng.random(len(movers)) < 0.5)}),
        pd.DataFrame({"person": repeat9["person"].to_numpy(), "school": repeat9["school"].to_numpy(), "grade": 9,
                      "boarding": repeat9["boarding"].to_numpy()}),
    ], ignore_index=True)
    b.add_roster_rows(earlier.assign(
        school_year=SCHOOL_YEAR - 1, township=earlier["school"].map(lambda s: b.schools[s].township),
        class_name=[f"{k}班" for k in rng.integers(1, 4, len(earlier))]))


def extra_children(b: Builder) -> None:
    """Children on the household register and on no roster: suspects and children outside the age range."""
    rng, n = b.rng, b.scale.pupils
    counts = split(round(n * 0.012), [1.0] * len(b.townships))
    for township, count in zip(b.townships, counts):
        b.new_children(township.name, rng.integers(6, 16, count), role="out_of_school")
    counts = split(round(n * 0.03), [1.0] * len(b.townships))
    for township, count in zip(b.townships, counts):
        ages = np.where(rng.random(count) < 0.5, rng.integers(3, 6, count), rng.integers(16, 18, count))
        b.new_children(township.name, ages, role="outside_age")


def deliberate_roster_faults(b: Builder) -> None:
    """Rows every real roster has: a mistyped ID, a 高一 pupil, a double enrolment, pupils without an ID."""
    t0, t1 = b.townships[0], b.townships[1 % len(b.townships)]
    # A pupil whose ID was mistyped on the roster: the register has it right.
    (mistyped,) = b.new_children(t1.name, [9])
    b.people.at[mistyped, "role"] = "mistyped_id"
    primary = next(s for s in t1.schools if 4 in s.grades)
    b.add_roster_rows(pd.DataFrame([{"person": mistyped, "school_year": SCHOOL_YEAR, "township": t1.name,
                                     "school": primary.name, "grade": 4, "class_name": "1班", "boarding": False,
                                     "defect": "bad_checksum"}]))
    # A high-school pupil listed by mistake: 年级 高一 is no compulsory grade.
    (senior,) = b.new_children(t0.name, [16])
    b.people.at[senior, "role"] = "senior"
    b.add_roster_rows(pd.DataFrame([{"person": senior, "school_year": SCHOOL_YEAR, "township": t0.name,
                                     "school": b.junior_school(t0.name), "grade": "高一", "class_name": "1班",
                                     "boarding": True, "defect": "unknown_grade"}]))
    # Double enrolment: a village-school pupil also still listed by the central school.
    (twice,) = b.take_pupils("double_enrolment", 1, t0.name, grades=range(2, 7))
    row = b.row_of(twice)
    other = next(s for s in t0.schools if 6 in s.grades and s.name != row["school"])
    b.add_roster_rows(pd.DataFrame([{**row.to_dict(), "school": other.name, "defect": "double_enrolment"}]))
    # Children without an ID (无户籍): keyed by an 'L' 学籍号; not on the household register.
    for person in b.take_pupils("no_id", 2, t0.name, grades=range(1, 7)):
        b.people.loc[person, ["has_id", "in_population"]] = [False, False]


def registers(b: Builder) -> dict[str, pd.DataFrame]:
    """Population, poverty and disability registers, from the people table."""
    rng, people = b.rng, b.people
    population = people[people["in_population"]]
    population = population.assign(township=population["home_township"], defect="")
    ages = age_in_years(population["birth_date"])
    school_age = population[(ages >= 6) & (ages <= 15)]
    # Poverty: the children the scenarios need, plus ~12% of the school-age register.
    forced = school_age.index[school_age["poor"]]
    drawn = school_age.index[rng.random(len(school_age)) < 0.12]
    poor = school_age.loc[sorted(set(forced) | set(drawn))]
    categories = rng.choice(["脱贫户", "监测户", "低保户", "特困供养"], len(poor), p=[0.6, 0.15, 0.2, 0.05])
    poverty = poor.assign(category=categories, defect="")
    # Disability: the 送教上门 children, a couple not placed, ~1% in school.
    home_taught = population[population["role"] == "home_taught"]
    rest = school_age[school_age["role"].isin(["", "graduate"]) & (rng.random(len(school_age)) < 0.01)]
    placements = np.concatenate([
        np.full(len(home_taught), "送教上门"),
        rng.choice(["随班就读", "特教学校", "特教班", "未安置"], len(rest), p=[0.74, 0.1, 0.12, 0.04]),
    ])
    disabled = pd.concat([home_taught, rest])
    types = rng.choice(["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"], len(disabled))
    levels = np.where(placements == "送教上门", rng.choice(["一级", "二级"], len(disabled)),
                      rng.choice(["一级", "二级", "三级", "四级"], len(disabled)))
    disability = disabled.assign(disability_type=types, disability_level=levels, placement=placements, defect="")
    return {"population": population, "poverty": poverty, "disability": disability}


def age_in_years(birth_dates: pd.Series) -> pd.Series:
    """Whole years of age on 31 August 2021."""
    born = pd.to_datetime(birth_dates)
    ref = pd.Timestamp(AGE_REFERENCE)
    before_birthday = (born.dt.month > ref.month) | ((born.dt.month == ref.month) & (born.dt.day > ref.day))
    return ref.year - born.dt.year - before_birthday.astype(int)


# ---------------------------------------------------------------------------
# Faults written into the IDs themselves, once IDs exist


def finish_roster_faults(roster: pd.DataFrame, lower_x_township: str) -> None:
    """Apply the faults that live in the written ID itself, after IDs exist.

    A mistyped check digit (the row must be rejected), and one ID typed with a
    lower-case x in a township's CSV (read as X: accepted).
    """
    bad = roster["defect"] == "bad_checksum"
    roster.loc[bad, "id_number"] = roster.loc[bad, "id_number"].map(_mistype)
    roster.loc[bad, "student_no"] = ""
    ends_in_x = (roster["township"] == lower_x_township) & roster["id_number"].str.endswith("X") \
        & (roster["defect"] == "") & (roster["school_year"] == SCHOOL_YEAR)
    if ends_in_x.any():
        first = ends_in_x.idxmax()
        roster.loc[first, ["id_number", "defect"]] = [roster.at[first, "id_number"].lower(), "lowercase_x"]
