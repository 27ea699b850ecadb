"""The demo county: deterministic synthetic ledgers, shaped the way schools send them.

``write_demo(repo_root)`` writes ``build/ledgers/demo/<kind>/…`` and
``params/demo.yaml`` (``scale="tongjiang"``: ``build/ledgers/tongjiang`` and
``params/tongjiang.yaml``, 49 townships and 77,097 pupils, for benchmarks).
``generate_demo()`` builds the same ledgers in memory, with canonical column
names (schema.py) and a ``defect`` column naming each deliberate fault, so that
tests can check the files against what was meant.

What the demo holds, and why (contract.md "Ledgers in", domain.md):

- a roster for school year 2021 (and 2020 for grades 6 and 9: 小升初 and
  graduates), a household register, poverty and disability registers, one term
  of absences, a 劝返 case log, home-teaching visits, subsidy payments and nine
  school years (2013–2021) of enrolment statistics, coherent with one another;
- hand-made scenarios on ``DEMO_AS_OF``: unexcused runs reaching every
  escalation threshold (across a weekend and across National Day with its
  make-up days), cases in every state (open with and without an overdue notice,
  returned, transferred, home teaching, died, struck), children on no roster;
- the faults real ledgers have: a wrong ID checksum, an impossible date, an
  unknown 年级 and 事件, a negative 金额, a child on two schools' rosters, pupils
  without an ID, an exact duplicate absence and case event, an absence on a
  holiday, text that looks like a formula or HTML.

Everything comes from one seeded ``numpy`` Generator, in a fixed order: the
same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import xlsxwriter
from stdnum.cn import ric

from kcbx import schema
from kcbx.ingest.ledgers.headers import BY_KIND, COMMON

__all__ = [
    "DEMO_AS_OF",
    "DEFAULT_SEED",
    "SCALES",
    "DemoScale",
    "DemoSchool",
    "DemoTownship",
    "DemoCounty",
    "generate_demo",
    "write_demo",
    "school_days",
]

# The default as_of of `make report`: the Friday after National Day week, inside the term.
DEMO_AS_OF = dt.date(2021, 10, 15)
DEFAULT_SEED = 20211015

SCHOOL_YEAR = 2021
TERM_START, TERM_END = dt.date(2021, 9, 1), dt.date(2022, 1, 14)
DAYS_OFF = (dt.date(2021, 11, 12),)          # a local day off (written to the params file)
AGE_REFERENCE = dt.date(2021, 8, 31)         # ages are whole years on 31 August of the school year
ENROLLMENT_YEARS = tuple(range(2013, SCHOOL_YEAR + 1))   # 巩固率 needs grade 1 of 2013 for grade 9 of 2021
TERM_LABEL = "2021秋"
CLASS_SIZE = 45

# Children whose 户籍 is in another province (随迁子女): real codes valid for their birth years.
MIGRANT_REGION_CODES = ("522633", "410423", "440306", "500101")


@dataclass(frozen=True)
class DemoScale:
    """One size of demo county."""

    key: str                     # params file stem and ledger folder name
    county: str
    county_code: str             # real code of the county, valid for children born 2002 and later
    neighbour_codes: tuple[str, ...]   # other real codes of the same prefecture
    townships_key: str           # list of township names in data/demo_names.json
    pupils: int                  # distinct valid pupils on the 2021 roster
    ledger_end: dt.date          # last day covered by the absence and home-teaching ledgers
    copies: int                  # how many times the hand-made scenarios are repeated
    nine_year_every: int         # every n-th township (from the 4th) runs one 九年一贯制 school
    escalation: tuple[int, ...] = (1, 3, 5)   # the county's ladder: 那坡 "135", 通江 "1357" (seed 004)
    # The early-warning back-test's look-back in calendar days (params early_warning.horizon):
    # the small demo's as_of, 15 Oct, is six weeks into the term, too early for the default 60.
    warning_horizon: int = 60


# 那坡县 is 451026 since 2002 (452627 before): stdnum rejects 452626 (old 靖西县) for
# anyone born after 2002, so the demo uses the code its children's IDs really carry.
SCALES: dict[str, DemoScale] = {
    "small": DemoScale("demo", "示例县", "451026", ("451002", "451022", "451024"),
                       "townships_small", 3000, DEMO_AS_OF, 1, 6, warning_horizon=30),
    "tongjiang": DemoScale("tongjiang", "通江示例县", "511921", ("511902", "511922", "511923"),
                           "townships_tongjiang", 77_097, TERM_END, 25, 7, escalation=(1, 3, 5, 7)),
}


@dataclass(frozen=True)
class DemoSchool:
    name: str
    township: str
    kind: str                    # central | village | junior | nine_year
    grades: tuple[int, ...]
    village: str = ""            # the village a village primary stands in


@dataclass(frozen=True)
class DemoTownship:
    name: str
    villages: tuple[str, ...]
    schools: tuple[DemoSchool, ...]


@dataclass
class DemoCounty:
    """The demo ledgers in memory: one DataFrame per kind, canonical column names.

    Every table has a ``defect`` column: "" for a sound row, else the deliberate
    fault (e.g. "bad_checksum", "unknown_grade", "holiday_absence"). Tables also
    keep a ``township`` column used to split them into files. ``truth`` holds
    the scenario each hand-made child plays (person key -> scenario name).
    """

    scale: DemoScale
    seed: int
    townships: tuple[DemoTownship, ...]
    tables: dict[str, pd.DataFrame]
    truth: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Calendar


def school_days(start: dt.date, end: dt.date, days_off: tuple[dt.date, ...] = DAYS_OFF) -> list[dt.date]:
    """Days from start to end that are official workdays (with 调休) and no local day off."""
    days = pd.date_range(start, end, freq="D").date
    return [d for d in days if chinese_calendar.is_workday(d) and d not in days_off]


# ---------------------------------------------------------------------------
# Small helpers


def _names_data() -> dict:
    return json.loads((Path(__file__).parent / "data" / "demo_names.json").read_text(encoding="utf-8"))


def _split(total: int, weights) -> list[int]:
    """Split a whole number by weights (largest remainder): the parts add up exactly."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - parts), kind="stable")[: total - parts.sum()]:
        parts[i] += 1
    return parts.tolist()


def _stem(township: str) -> str:
    return township[:-1] if township[-1] in "镇乡" else township


def _with_check_digit(body17: str) -> str:
    # stdnum's calc_check_digit expects the full 18 characters and ignores the last one.
    return body17 + ric.calc_check_digit(body17 + "0")


def _mistype(id_number: str) -> str:
    """The same ID with a wrong check digit (the commonest typing error a checksum catches)."""
    digits = "0123456789X"
    return id_number[:17] + digits[(digits.index(id_number[17]) + 3) % 11]


# ---------------------------------------------------------------------------
# The county: townships, villages, schools


def _plan_county(scale: DemoScale, rng: np.random.Generator, names: dict) -> tuple[DemoTownship, ...]:
    township_names = names[scale.townships_key]
    village_counts = rng.integers(5, 10, size=len(township_names))
    stems = [a + b for a in names["village_first"] for b in names["village_second"] if a != b]
    stems = [stems[i] for i in rng.permutation(len(stems))[: int(village_counts.sum())]]
    townships, used = [], 0
    for index, township in enumerate(township_names):
        own = stems[used: used + int(village_counts[index])]
        used += int(village_counts[index])
        villages = (f"{_stem(township)}社区",) + tuple(f"{s}村" for s in own)
        village_primaries = [
            DemoSchool(f"{township}{s}小学", township, "village", tuple(range(1, 7)), f"{s}村")
            for s in own[: int(rng.integers(1, 3 if scale.key == "demo" else 4))]
        ]
        if index % scale.nine_year_every == 3:
            main = [DemoSchool(f"{township}九年一贯制学校", township, "nine_year", tuple(range(1, 10)))]
        else:
            main = [DemoSchool(f"{township}中心小学", township, "central", tuple(range(1, 7))),
                    DemoSchool(f"{township}初级中学", township, "junior", (7, 8, 9))]
        townships.append(DemoTownship(township, villages, tuple(main + village_primaries)))
    return tuple(townships)


def _school_weights(township: DemoTownship, grade: int, rng: np.random.Generator) -> list[float]:
    """Share of a township's pupils of one grade in each of its schools (0 where not taught)."""
    weights = []
    villages = sum(s.kind == "village" for s in township.schools)
    for school in township.schools:
        if grade not in school.grades:
            weights.append(0.0)
        elif school.kind == "village":
            weights.append(0.45 / villages * rng.uniform(0.7, 1.3))
        else:
            weights.append(1.0 if grade >= 7 else 0.55)
    return weights


# ---------------------------------------------------------------------------
# People


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


def _assign_ids(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
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


class _Builder:
    """Builds the demo county step by step; every random draw comes from self.rng, in order."""

    def __init__(self, scale: DemoScale, seed: int):
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        self.names = _names_data()
        self.townships = _plan_county(scale, self.rng, self.names)
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
        for township, total in zip(t, _split(self.scale.pupils, weights)):
            for grade, count in zip(range(1, 10), _split(total, rng.uniform(0.93, 1.07, 9))):
                for school, n in zip(township.schools, _split(count, _school_weights(township, grade, rng))):
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


def _previous_year(b: _Builder) -> None:
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


def _extra_children(b: _Builder) -> None:
    """Children on the household register and on no roster: suspects and children outside the age range."""
    rng, n = b.rng, b.scale.pupils
    counts = _split(round(n * 0.012), [1.0] * len(b.townships))
    for township, count in zip(b.townships, counts):
        b.new_children(township.name, rng.integers(6, 16, count), role="out_of_school")
    counts = _split(round(n * 0.03), [1.0] * len(b.townships))
    for township, count in zip(b.townships, counts):
        ages = np.where(rng.random(count) < 0.5, rng.integers(3, 6, count), rng.integers(16, 18, count))
        b.new_children(township.name, ages, role="outside_age")


def _deliberate_roster_faults(b: _Builder) -> None:
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


def _registers(b: _Builder) -> dict[str, pd.DataFrame]:
    """Population, poverty and disability registers, from the people table."""
    rng, people = b.rng, b.people
    population = people[people["in_population"]]
    population = population.assign(township=population["home_township"], defect="")
    ages = _age(population["birth_date"])
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


def _age(birth_dates: pd.Series) -> pd.Series:
    """Whole years of age on 31 August 2021."""
    born = pd.to_datetime(birth_dates)
    ref = pd.Timestamp(AGE_REFERENCE)
    before_birthday = (born.dt.month > ref.month) | ((born.dt.month == ref.month) & (born.dt.day > ref.day))
    return ref.year - born.dt.year - before_birthday.astype(int)


# ---------------------------------------------------------------------------
# Absences: designed unexcused runs, background absences, deliberate faults

# Unexcused runs ending on DEMO_AS_OF, in school days. 8 and 12 cross National Day
# (1–7 Oct off, Sat 9 Oct a make-up school day); 12 also reaches back to Sun 26 Sep, a make-up day.
ESCALATION_RUNS = (1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 8, 12)
# Runs that end before DEMO_AS_OF: one across the weekend of 11–12 Sep, one ending the day before.
ENDED_RUNS = ((dt.date(2021, 9, 14), 3), (dt.date(2021, 10, 14), 4))


def _run_days(end: dt.date, length: int, days: list[dt.date]) -> list[dt.date]:
    """The `length` school days ending on `end`."""
    before = [d for d in days if d <= end]
    return before[-length:]


def _absences(b: _Builder, term_days: list[dt.date]) -> tuple[pd.DataFrame, dict[tuple[int, int], int]]:
    """One row per pupil and day absent. Returns the rows and the run pupils by (copy, run length)."""
    rng, scale = b.rng, b.scale
    rows: list[dict] = []
    runs: dict[tuple[int, int], int] = {}
    n_town = len(b.townships)

    def run_rows(person: int, end: dt.date, length: int) -> list[dict]:
        row = b.row_of(person)
        kind = "旷课" if row["grade"] >= 7 else "无故"
        return [{"person": person, "school": row["school"], "township": row["township"], "date": d,
                 "absence_type": kind, "note": ""} for d in _run_days(end, length, term_days)]

    for copy in range(scale.copies):
        for index, length in enumerate(ESCALATION_RUNS):
            (person,) = b.take_pupils("run", 1, b.townships[(index + copy) % n_town].name)
            runs.setdefault((copy, length), person)
            rows += run_rows(person, DEMO_AS_OF, length)
        for index, (end, length) in enumerate(ENDED_RUNS):
            (person,) = b.take_pupils("ended_run", 1, b.townships[(index + copy + 2) % n_town].name)
            rows += run_rows(person, end, length)
    # Background: sporadic sick leave, personal leave and single unexcused days.
    days = [d for d in term_days if d <= scale.ledger_end]
    pupils = b.pupils_2021()
    pupils = pupils[(pupils["status"] == "在读") & (pupils["role"] == "")]
    cells = len(pupils) * len(days)
    count = int(rng.binomial(cells, 0.009))
    picked = np.sort(rng.choice(cells, count, replace=False))
    who = picked // len(days)
    types = rng.choice(["病假", "事假", "无故", "旷课"], count, p=[0.6, 0.3, 0.05, 0.05])
    notes = np.where(types == "病假", rng.choice(["感冒发烧", "腹泻", "就医", ""], count), "")
    background = pd.DataFrame({
        "person": pupils["person"].to_numpy()[who],
        "school": pupils["school"].to_numpy()[who],
        "township": pupils["township"].to_numpy()[who],
        "date": np.array(days, dtype=object)[picked % len(days)],
        "absence_type": types,
        "note": notes,
    })
    absences = pd.concat([pd.DataFrame(rows), background], ignore_index=True).assign(defect="")
    # Deliberate faults: an exact duplicate row, a day off (National Day), a child on no current roster.
    duplicate = absences.iloc[[len(absences) - 1]].assign(defect="duplicate_absence")
    holiday = background.iloc[[0]].assign(date=dt.date(2021, 10, 4), absence_type="无故", note="",
                                          defect="holiday_absence")
    vanished = int(b.people.index[b.people["role"] == "vanished"][-1])
    home = b.people.at[vanished, "home_township"]
    no_roster = pd.DataFrame([{"person": vanished, "school": b.junior_school(home), "township": home,
                               "date": TERM_START, "absence_type": "无故", "note": "开学未报到",
                               "defect": "no_current_roster"}])
    no_id = int(b.people.index[b.people["role"] == "no_id"][0])
    keyed_by_student_no = pd.DataFrame(run_rows(no_id, term_days[4], 2)).assign(absence_type="病假", defect="")
    absences = pd.concat([absences, duplicate, holiday, no_roster, keyed_by_student_no], ignore_index=True)
    # Schools keep the register day by day.
    absences = absences.sort_values(["date", "school"], kind="stable", ignore_index=True)
    return absences, runs


# ---------------------------------------------------------------------------
# Early warning (预警名单): the signs before a dropout


# The run-8 child's days without leave early in September: on the look-back day (15 Sep,
# 30 days before DEMO_AS_OF) they stand high on the list, weeks before their case opens.
EARLY_SIGNS = (dt.date(2021, 9, 7), dt.date(2021, 9, 9), dt.date(2021, 9, 14))
# Days of leave in the last weeks before DEMO_AS_OF (never on it: today's figures stay as they were).
RELAPSE_DAYS = {"returned_insert": (dt.date(2021, 9, 28), dt.date(2021, 10, 11), dt.date(2021, 10, 13)),
                "returned_vocational": (dt.date(2021, 10, 12), dt.date(2021, 10, 14))}
LEAVE_DAYS = (dt.date(2021, 10, 8), dt.date(2021, 10, 13))
WARNING_PUPILS_PER_COPY = 2     # 留守 pupils in grades 8–9, and over-age pupils, with LEAVE_DAYS


def _warning_signs(b: _Builder, absences: pd.DataFrame, runs: dict[tuple[int, int], int],
                   term_days: list[dt.date], seed: int) -> pd.DataFrame:
    """The absences that make the early-warning list and its back-test real (contract "Early
    warning"): every rule holds for someone, and the list made on the look-back day finds a
    child whose case opened later.

    - the run-8 child (case opened 12 Oct) missed EARLY_SIGNS without leave;
    - children back at school (复学: 插班 on 13 Sep, 普职融合 in grade 8 or 9) take leave again;
    - 留守 pupils in grades 8–9 and over-age pupils (age − (grade + 5) ≥ 2) take LEAVE_DAYS.

    Drawn from a generator of its own, after the rest, and no pupil's role changes: every
    other ledger row stays as it was. A pupil's day already in the ledger is not written twice.
    """
    rng = np.random.default_rng([seed, 11])
    rows: list[dict] = []

    def absent(person: int, days, kinds) -> None:
        row = b.row_of(person)
        rows.extend({"person": person, "school": row["school"], "township": row["township"], "date": day,
                     "absence_type": kind, "note": "", "defect": ""} for day, kind in zip(days, kinds))

    def leave(count: int) -> np.ndarray:
        return rng.choice(["病假", "事假"], count)

    for copy in range(b.scale.copies):
        child = runs[(copy, 8)]
        absent(child, EARLY_SIGNS, ["旷课" if b.row_of(child)["grade"] >= 7 else "无故"] * len(EARLY_SIGNS))
    for person, scenario in b.truth.items():
        if scenario in RELAPSE_DAYS:
            absent(person, RELAPSE_DAYS[scenario], leave(len(RELAPSE_DAYS[scenario])))
    pupils = b.pupils_2021()
    pupils = pupils[(pupils["status"] == "在读") & (pupils["role"] == "")]
    age = _age(b.people.loc[pupils["person"], "birth_date"]).to_numpy()
    left_behind = b.people.loc[pupils["person"], "left_behind"].to_numpy(dtype=bool)
    grade = pupils["grade"].astype(int).to_numpy()
    count = WARNING_PUPILS_PER_COPY * b.scale.copies
    for candidates in (pupils[left_behind & np.isin(grade, (8, 9))], pupils[age - (grade + 5) >= 2]):
        chosen = candidates["person"].to_numpy()
        for person in np.sort(rng.choice(chosen, min(count, len(chosen)), replace=False)):
            absent(int(person), LEAVE_DAYS, leave(len(LEAVE_DAYS)))
    school_day = set(term_days)
    signs = pd.DataFrame(rows)
    signs = signs[signs["date"].isin(school_day) & (signs["date"] != DEMO_AS_OF)]
    written = set(zip(absences["person"], absences["date"]))
    signs = signs[[(person, day) not in written for person, day in zip(signs["person"], signs["date"])]]
    signs = signs.drop_duplicates(["person", "date"])
    # Schools keep the register day by day: the new rows take their place, the others keep theirs.
    return pd.concat([absences, signs], ignore_index=True).sort_values(
        ["date", "school"], kind="stable", ignore_index=True)


# ---------------------------------------------------------------------------
# Cases (劝返台账)


@dataclass(frozen=True)
class _Step:
    event: str
    day: str                     # ISO date, or a deliberately impossible one
    method: str = ""
    placement: str = ""
    destination: str = ""
    note: str = ""
    defect: str = ""


@dataclass(frozen=True)
class _Scenario:
    """A hand-made case: who the child is, the cause, the events (file order)."""

    name: str
    child: str                   # roster | transferred | died | home_taught | run8 | run12 | vanished | dropout
    cause: str
    steps: tuple[_Step, ...]
    grades: tuple[int, ...] = tuple(range(1, 10))
    poor: bool = False
    missing_admin_owner: bool = False


# States on DEMO_AS_OF are in the names: open_*, returned_*, transferred_*, home_teaching, died, struck_*.
SCENARIOS: tuple[_Scenario, ...] = (
    _Scenario("open_notice_overdue_g7", "vanished", "厌学", (
        _Step("登记", "2021-09-06"), _Step("家访", "2021-09-08", "感召"),
        _Step("家访", "2021-09-08", "感召", defect="duplicate_event"),
        _Step("劝返", "2021-09-14", "感召"), _Step("发出限期复学通知书", "2021-09-24", "行政")), poor=True),
    _Scenario("open_notice_overdue_worker", "dropout", "外出务工", (
        _Step("登记", "2021-09-03"), _Step("家访", "2021-09-07", "感化"),
        _Step("劝返", "2021-09-16", "行政", note="电话联系在广东务工的监护人"),
        _Step("发出限期复学通知书", "2021-09-29", "行政"),
        _Step("劝返", "2021-10-08", "法治", note="联合司法所送达法律文书")), poor=True),
    _Scenario("open_notice_pending", "run12", "厌学", (
        _Step("登记", "2021-09-30"), _Step("家访", "2021-10-08", "感召"),
        _Step("发出限期复学通知书", "2021-10-11", "行政"))),
    _Scenario("open_no_notice", "run8", "学习困难", (
        _Step("登记", "2021-10-12", note='=HYPERLINK("http://example.invalid","详情")'),
        _Step("家访", "2021-10-13", "感化", note="家长称<b>孩子</b>不愿上学<script>alert(1)</script>")), poor=True),
    _Scenario("returned_insert", "roster", "家庭困难", (
        _Step("登记", "2021-09-06"), _Step("家访", "2021-09-07", "感化"), _Step("劝返", "2021-09-09", "感化"),
        _Step("复学", "2021-09-13", placement="插班")), poor=True),
    _Scenario("returned_separate_class", "roster", "沉迷网络", (
        _Step("登记", "2021-09-08"), _Step("劝返", "2021-09-10", "感召"),
        _Step("见备注", "2021-09-12", defect="unknown_event"),  # a 事件 no ledger knows
        _Step("发出限期复学通知书", "2021-09-15", "行政"), _Step("复学", "2021-09-22", placement="单独编班"))),
    _Scenario("returned_vocational", "roster", "早婚", (
        _Step("登记", "2021-09-02"), _Step("家访", "2021-09-03", "法治", note="告知监护人法定义务"),
        _Step("劝返", "2021-09-06", "法治"), _Step("复学", "2021-09-27", placement="普职融合")), grades=(8, 9)),
    _Scenario("returned_tutoring", "roster", "疾病", (
        _Step("登记", "2021-09-13"), _Step("复学", "2021-10-08", placement="个别辅导"))),
    _Scenario("transferred_school", "transferred", "随父母外出", (
        _Step("登记", "2021-09-06"), _Step("家访", "2021-09-07", "感召"),
        _Step("转学", "2021-09-15", destination="广东省东莞市长安镇中心小学", note="已取得转入学校接收证明"))),
    _Scenario("transferred_elsewhere", "vanished", "随父母外出", (
        _Step("登记", "2021-09-07"),
        _Step("外地就读", "2021-09-17", destination="广西南宁市第十四中学", note="佐证：在校证明"))),
    _Scenario("home_teaching", "home_taught", "疾病", (
        _Step("登记", "2021-09-02"), _Step("家访", "2021-09-06", "感化"),
        _Step("送教上门", "2021-09-10", note="经残疾评估委员会评估"))),
    _Scenario("died", "died", "疾病", (
        _Step("登记", "2021-09-06"), _Step("家访", "2021-09-08", "感化"),
        _Step("死亡", "2021-09-20", note="因病去世，家属提供死亡证明"))),
    _Scenario("struck_after_return", "roster", "厌学", (
        _Step("登记", "2021-09-03"), _Step("劝返", "2021-09-06", "感召"),
        _Step("复学", "2021-09-08", placement="插班"), _Step("销号", "2021-09-30"))),
    _Scenario("struck_without_outcome", "roster", "疾病", (
        _Step("登记", "2021-09-14"), _Step("销号", "2021-09-17", note="核实为病假，系误报"))),
    _Scenario("open_without_registration", "roster", "厌学", (
        _Step("家访", "2021-10-09", "感召", defect="no_registration"),)),
    _Scenario("open_missing_owner", "dropout", "外出务工", (
        _Step("登记", "2021-10-11"), _Step("家访", "2021-10-13", "感召")), missing_admin_owner=True),
    _Scenario("returned_last_year", "roster", "厌学", (
        _Step("登记", "2021-02-22"), _Step("家访", "2021-02-30", "感召", defect="impossible_date"),
        _Step("复学", "2021-03-08", placement="插班")), grades=(2, 3, 4, 5, 6, 7, 8, 9)),
)


def _cases(b: _Builder, runs: dict[tuple[int, int], int]) -> pd.DataFrame:
    """The case log: every scenario once per copy, spread over the townships."""
    rng, rows = b.rng, []
    n_town = len(b.townships)
    for copy in range(b.scale.copies):
        for index, scenario in enumerate(SCENARIOS):
            township = b.townships[(index + 3 * copy) % n_town].name
            person, school, grade = _case_child(b, scenario, copy, township, runs)
            b.truth[person] = scenario.name
            if scenario.poor:
                b.people.at[person, "poor"] = True
            township = b.schools[school].township        # the case belongs to its 登记's township
            admin = "" if scenario.missing_admin_owner else \
                f"{_adult_name(b, rng)}（{_stem(township)}{rng.choice(['副镇长', '副乡长', '村支书', '驻村工作队员'])}）"
            edu = f"{_adult_name(b, rng)}（{rng.choice(['班主任', '包保教师', '校长'])}）"
            for step in scenario.steps:
                rows.append({"person": person, "township": township, "school": school, "grade": grade,
                             "date": _date_or_text(step.day), "event": step.event, "cause": scenario.cause,
                             "destination": step.destination, "admin_owner": admin, "edu_owner": edu,
                             "method": step.method, "placement": step.placement, "note": step.note,
                             "defect": step.defect, "scenario": scenario.name})
    return pd.DataFrame(rows)


def _date_or_text(day: str) -> dt.date | str:
    """An ISO date as a date; a deliberately impossible one (2021-02-30) stays text."""
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        return day


def _adult_name(b: _Builder, rng: np.random.Generator) -> str:
    surnames = list(b.names["surnames"])[:30]
    pool = b.names["adult_male"] + b.names["adult_female"]
    return str(rng.choice(surnames)) + str(rng.choice(pool))


def _case_child(b: _Builder, scenario: _Scenario, copy: int, township: str,
                runs: dict[tuple[int, int], int]) -> tuple[int, str, int]:
    """The child a scenario is about, with the school and 年级 its events carry."""
    if scenario.child in ("run8", "run12"):
        person = runs[(copy, int(scenario.child[3:]))]
    elif scenario.child == "vanished":
        (person,) = b.new_vanished(township, 1)
        b.people.at[person, "role"] = "vanished_case"
        return int(person), b.junior_school(township), 7
    elif scenario.child == "dropout":
        (person,) = b.new_children(township, [14 + int(b.rng.random() < 0.3)], role="dropout")
        return int(person), b.junior_school(township), 9
    elif scenario.child == "home_taught":
        pool = b.people.index[(b.people["role"] == "home_taught") & (b.people["home_township"] == township)]
        person = int(pool[0]) if len(pool) else b.take_pupils("home_taught", 1, township)[0]
    else:
        (person,) = b.take_pupils(scenario.name, 1, township, scenario.grades)
        b.set_status(person, {"transferred": "转出", "died": "死亡"}.get(scenario.child, "在读"))
    row = b.row_of(person)
    return int(person), row["school"], int(row["grade"])


# ---------------------------------------------------------------------------
# Home teaching, subsidies, enrolment statistics


def _home_teaching(b: _Builder, term_days: list[dt.date], disability: pd.DataFrame) -> pd.DataFrame:
    """Visits to the 送教上门 children: two of three class hours a month; one child short in September."""
    rng, rows = b.rng, []
    children = disability[disability["placement"] == "送教上门"].index.tolist()
    days = [d for d in term_days if d <= b.scale.ledger_end]
    months = sorted({(d.year, d.month) for d in days})
    teachers = b.names["teachers"]
    for number, person in enumerate(children):
        teacher = teachers[number % len(teachers)]
        for month in months:
            in_month = [d for d in days if (d.year, d.month) == month]
            first = [d for d in in_month if d.day <= 14]
            second = [d for d in in_month if d.day > 14]
            visits = [first[int(rng.integers(len(first)))]] if first else []
            if second:
                visits.append(second[int(rng.integers(len(second)))])
            if number == 0 and month == (2021, 9):
                visits = visits[:1]        # the child short in a month: one visit in September
            rows += [{"person": person, "date": d, "hours": 3, "teacher": teacher, "defect": ""} for d in visits]
    return pd.DataFrame(rows)


def _subsidies(b: _Builder, poverty: pd.DataFrame) -> pd.DataFrame:
    """2021秋 payments to 在读 poverty pupils: half the yearly standard, some in two instalments.

    Some are short (one instalment of two, or the day rate for a boarder), one is
    missing, and each also gets 营养改善; one row has a negative amount.
    """
    rng, rows = b.rng, []
    yearly = {(True, "primary"): 1000, (True, "junior"): 1250, (False, "primary"): 500, (False, "junior"): 625}
    pupils = b.pupils_2021()
    eligible = pupils[(pupils["status"] == "在读") & pupils["person"].isin(poverty.index)].drop_duplicates("person")
    for position, (_, row) in enumerate(eligible.iterrows()):
        level = "junior" if row["grade"] >= 7 else "primary"
        half = yearly[(bool(row["boarding"]), level)] / 2
        draw = rng.random()
        if position == 0:
            payments = []                                  # missing entirely
        elif draw < 0.12:
            payments = [half / 2, half / 2]                # two equal instalments (real, never merged)
        elif draw < 0.16:
            payments = [half / 2]                          # short: the second instalment never came
        elif draw < 0.18 and row["boarding"]:
            payments = [yearly[(False, level)] / 2]        # short: paid at the day rate
        else:
            payments = [half]
        base = {"person": row["person"], "school": row["school"], "township": row["township"],
                "term": TERM_LABEL, "defect": ""}
        rows += [{**base, "item": "生活补助", "amount": amount} for amount in payments]
        rows.append({**base, "item": "营养改善", "amount": 400.0})
    frame = pd.DataFrame(rows)
    refund = frame.iloc[[1]].assign(amount=-312.5, item="生活补助", defect="negative_amount")
    return pd.concat([frame, refund], ignore_index=True)


def _enrollment(b: _Builder) -> pd.DataFrame:
    """事业统计 2013–2021 per school and grade, coherent with the rosters of 2021 and 2020.

    Counts of 2021 (and grades 6, 9 of 2020) are the roster's 在读 rows (2020:
    every row). Earlier years are rebuilt backwards per township: E[g,t] =
    (E[g+1,t+1] − R[g+1,t+1]) / p with promotion p ≈ 0.965–0.99, so 巩固率
    lands near 0.9; the third township's p ≈ 0.995–1.005 (transfers in) puts its
    巩固率 slightly above 1, which the report must flag.
    """
    rng = b.rng
    roster = b.roster[b.roster["defect"] == ""]
    now = roster[(roster["school_year"] == SCHOOL_YEAR) & (roster["status"] == "在读")]
    before = roster[roster["school_year"] == SCHOOL_YEAR - 1]
    rows = []
    for index, township in enumerate(b.townships):
        flagged = index == 2 % len(b.townships)
        lo, hi = (0.995, 1.005) if flagged else (0.965, 0.99)
        here_now = now[now["township"] == township.name]
        here_before = before[before["township"] == township.name]
        counted_now = here_now.groupby(["school", "grade"]).size().to_dict()
        repeaters_now = here_now[here_now["repeater"]].groupby(["school", "grade"]).size().to_dict()
        counted_before = here_before.groupby(["school", "grade"]).size().to_dict()
        per_school = {(s.name, g, SCHOOL_YEAR): counted_now.get((s.name, g), 0)
                      for s in township.schools for g in s.grades}
        repeat = {(s.name, g, SCHOOL_YEAR): repeaters_now.get((s.name, g), 0)
                  for s in township.schools for g in s.grades}
        per_school.update({(s.name, g, SCHOOL_YEAR - 1): counted_before.get((s.name, g), 0)
                           for s in township.schools for g in (6, 9) if g in s.grades})
        total = {(g, SCHOOL_YEAR): sum(v for (s, gg, y), v in per_school.items() if gg == g and y == SCHOOL_YEAR)
                 for g in range(1, 10)}
        total_r = {(g, SCHOOL_YEAR): sum(v for (s, gg, y), v in repeat.items() if gg == g and y == SCHOOL_YEAR)
                   for g in range(1, 10)}
        graduates = {SCHOOL_YEAR - 1: int(((here_before["grade"] == 9) & (here_before["status"] == "毕业")).sum())}
        for year in range(SCHOOL_YEAR - 1, ENROLLMENT_YEARS[0] - 1, -1):
            for g in range(1, 10):
                known = [v for (s, gg, y), v in per_school.items() if gg == g and y == year]
                if known:
                    total[(g, year)] = sum(known)
                elif g < 9:
                    total[(g, year)] = round((total[(g + 1, year + 1)] - total_r[(g + 1, year + 1)]) / rng.uniform(lo, hi))
                else:
                    total[(g, year)] = round(total[(9, year + 1)] * rng.uniform(0.97, 1.03))
                total_r[(g, year)] = round(total[(g, year)] * rng.uniform(0.005, 0.015))
            graduates.setdefault(year, round(total[(9, year)] * rng.uniform(0.97, 0.995)))
        for year in ENROLLMENT_YEARS:
            for g in range(1, 10):
                schools = [s for s in township.schools if g in s.grades]
                shares = [max(per_school.get((s.name, g, SCHOOL_YEAR), 0), 1) for s in schools]
                if (schools[0].name, g, year) in per_school:
                    counts = [per_school[(s.name, g, year)] for s in schools]
                else:
                    counts = _split(total[(g, year)], shares)
                if year == SCHOOL_YEAR:
                    repeaters = [repeat[(s.name, g, year)] for s in schools]
                else:
                    repeaters = _split(total_r[(g, year)], [max(c, 1) for c in counts])
                for school, count, rep in zip(schools, counts, repeaters):
                    grads = None
                    if g == 9 and year < SCHOOL_YEAR:
                        grads = _split(graduates[year], [max(c, 1) for c in counts])[schools.index(school)]
                    rows.append({"school_year": year, "township": township.name, "school": school.name,
                                 "grade": g, "enrolled": count, "repeaters": rep, "graduates": grads, "defect": ""})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Assembling the tables


def generate_demo(scale: str = "small", seed: int = DEFAULT_SEED) -> DemoCounty:
    """Build the demo county in memory (no I/O besides reading the name list).

    Tables: the kind's canonical columns that its files carry (schema.py, without
    provenance, person_key and derived flags), then ``name``/``school`` where the
    files carry them beyond the contract, ``township`` (the file it goes to),
    roster ``repeater``, cases ``scenario`` and ``defect``. ``truth`` maps the
    key of every hand-made case child to its scenario name.
    """
    b = _Builder(SCALES[scale], seed)
    term_days = school_days(TERM_START, TERM_END)
    b.current_pupils()
    for copy in range(b.scale.copies):
        for number in range(8):           # ~8 送教上门 children per copy
            b.take_pupils("home_taught", 1, b.townships[(number + copy) % len(b.townships)].name)
    _previous_year(b)
    _extra_children(b)
    _deliberate_roster_faults(b)
    absences, runs = _absences(b, term_days)
    cases = _cases(b, runs)
    absences = _warning_signs(b, absences, runs, term_days, seed)
    b.people = _assign_ids(b.people, b.rng)
    registers = _registers(b)
    # Files list pupils by grade and class, as a school's register does.
    grade_order = pd.to_numeric(b.roster["grade"], errors="coerce").fillna(10)    # 高一 last
    roster = _person_columns(b, b.roster.assign(_grade=grade_order).sort_values(
        ["school_year", "school", "_grade", "class_name"], kind="stable").drop(columns="_grade"))
    # The third township sends one CSV for all its schools: the clerk there types a lower-case x.
    _finish_roster_faults(roster, b.townships[2 % len(b.townships)].name)
    frames = {
        "roster": roster,
        **{k: _person_columns(b, v.rename_axis("person").reset_index()) for k, v in registers.items()},
        "absence": _person_columns(b, absences),
        "cases": _person_columns(b, cases),
        "home_teaching": _person_columns(b, _home_teaching(b, term_days, registers["disability"])),
        "subsidy": _person_columns(b, _subsidies(b, registers["poverty"])),
        "enrollment": _enrollment(b),
    }
    tables = {kind: _canonical(kind, frame) for kind, frame in frames.items()}
    truth = {b.people.at[p, "id_number"] or b.people.at[p, "student_no"]: s for p, s in b.truth.items()}
    return DemoCounty(b.scale, seed, b.townships, tables, truth)


def _person_columns(b: _Builder, frame: pd.DataFrame) -> pd.DataFrame:
    """Attach ID, 学籍号, name, gender, birth date and (where missing) township from the people table."""
    people = b.people
    keep = ["id_number", "student_no", "name", "gender", "birth_date", "left_behind", "migrant",
            "village", "guardian", "phone", "home_township"]
    merged = frame.drop(columns=[c for c in keep if c in frame], errors="ignore").join(people[keep], on="person")
    if "township" not in merged:
        merged["township"] = merged["home_township"]
    merged["birth_date"] = pd.to_datetime(merged["birth_date"]).dt.date
    return merged.reset_index(drop=True)


def _canonical(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The kind's canonical columns that a ledger file carries, then township, extras and defect."""
    derived = set(schema.PROVENANCE) | {"person_key", "unexcused"}
    wanted = [c for c in schema.columns(kind) if c not in derived and c in frame]
    extras = [c for c in ("name", "school", "township", "repeater", "scenario", "defect") if c in frame and c not in wanted]
    return frame[wanted + extras].reset_index(drop=True)


def _finish_roster_faults(roster: pd.DataFrame, lower_x_township: str) -> None:
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


# ---------------------------------------------------------------------------
# File shapes and writers


@dataclass(frozen=True)
class _Shape:
    """How one file looks: the variations schools really send."""

    fmt: str = "xlsx"            # xlsx | csv-gbk | csv-bom
    dates: str = "excel"         # excel | iso | slash | dot | cn | mixed
    grades: str = "number"       # number | cn (七年级) | short (初一) | mixed
    years: str = "number"        # number | span (2021-2022) | suffix (2021学年) | omit
    headers: tuple[tuple[str, str], ...] = ()   # canonical column -> header other than the contract's
    title: bool = True
    grouped: bool = False        # roster: 学生类别 spanning 留守儿童 / 随迁子女
    blank_rows: bool = False
    total_row: bool = False
    omit: tuple[str, ...] = ()   # canonical columns this file does not have


_CN_GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
_SHORT_GRADES = _CN_GRADES[:6] + ("初一", "初二", "初三")
_DATE_STYLES = ("excel", "iso", "slash", "dot", "cn")


def _header(kind: str, column: str, shape: _Shape) -> str:
    override = dict(shape.headers).get(column)
    return override or (BY_KIND.get(kind, {}).get(column) or COMMON[column])[0]


def _format_date(value: dt.date, style: str, fmt: str):
    if style == "excel":
        return value if fmt == "xlsx" else value.isoformat()
    return {"iso": value.isoformat(),
            "slash": f"{value.year}/{value.month}/{value.day}",
            "dot": f"{value.year}.{value.month}.{value.day}",
            "cn": f"{value.year}年{value.month}月{value.day}日"}[style]


def _cell(value, column: str, shape: _Shape, row: int):
    """One value as the file shows it: 是/否, a date style, a grade spelling, a 学年 spelling."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        style = _DATE_STYLES[row % 5] if shape.dates == "mixed" else shape.dates
        return _format_date(value, style, shape.fmt)
    if column == "grade":
        g = int(value)
        style = ("number", "cn", "short")[row % 3] if shape.grades == "mixed" else shape.grades
        return {"number": g, "cn": _CN_GRADES[g - 1], "short": _SHORT_GRADES[g - 1]}[style]
    if column == "school_year":
        y = int(value)
        return {"number": y, "span": f"{y}-{y + 1}", "suffix": f"{y}学年"}[shape.years]
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class _Sheet:
    name: str
    title: str
    frame: pd.DataFrame


def _write_file(path: Path, kind: str, columns: list[str], sheets: list[_Sheet], shape: _Shape) -> None:
    """Write one ledger file (all sheets in one workbook, or one CSV from the first sheet)."""
    columns = [c for c in columns if c not in shape.omit and not (c == "school_year" and shape.years == "omit")]
    headers = [_header(kind, c, shape) for c in columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    if shape.fmt == "xlsx":
        _write_xlsx(path, columns, headers, sheets, shape)
    else:
        _write_csv(path, columns, headers, sheets[0], shape)


def _data_rows(frame: pd.DataFrame, columns: list[str], shape: _Shape) -> list[list]:
    values = frame[columns].to_numpy(dtype=object)
    return [[_cell(v, c, shape, i) for v, c in zip(row, columns)] for i, row in enumerate(values)]


def _write_csv(path: Path, columns, headers, sheet: _Sheet, shape: _Shape) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if shape.title:
        writer.writerow([sheet.title] + [""] * (len(columns) - 1))
    writer.writerow(headers)
    rows = _data_rows(sheet.frame, columns, shape)
    middle = len(rows) // 2
    for i, row in enumerate(rows):
        if shape.blank_rows and i == middle:
            writer.writerow([""] * len(columns))
        writer.writerow(row)
    if shape.total_row:
        writer.writerow(["合计", f"{len(rows)}人"] + [""] * (len(columns) - 2))
    encoding = "gbk" if shape.fmt == "csv-gbk" else "utf-8-sig"
    path.write_bytes(out.getvalue().encode(encoding))


def _write_xlsx(path: Path, columns, headers, sheets: list[_Sheet], shape: _Shape) -> None:
    # No string may become a formula or a link: ledgers hold data, never code.
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    workbook.set_properties({"created": dt.datetime(2021, 10, 15, 17, 0), "author": "kcbx demo"})
    bold = workbook.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    title_format = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    width = len(columns)
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        r = 0
        if shape.title:
            ws.merge_range(0, 0, 0, width - 1, sheet.title, title_format)
            ws.merge_range(1, 0, 1, width - 1, "填报单位（盖章）：　　　　填报日期：2021年9月10日")
            r = 2
        r = _write_header(ws, r, columns, headers, shape, bold)
        rows = _data_rows(sheet.frame, columns, shape)
        middle = len(rows) // 2
        for i, row in enumerate(rows):
            if shape.blank_rows and i == middle:
                r += 1                         # a blank row in the middle, as people leave them
            for c, value in enumerate(row):
                if isinstance(value, str):
                    if value:
                        ws.write_string(r, c, value)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                else:
                    ws.write_number(r, c, value)
            r += 1
        if shape.total_row:
            ws.write_string(r, 0, "合计")
            ws.write_string(r, 1, f"{len(rows)}人")
        ws.set_column(0, width - 1, 14)
    workbook.close()


def _write_header(ws, r: int, columns, headers, shape: _Shape, bold) -> int:
    """The header row; with `grouped`, two rows where 学生类别 spans 留守儿童 and 随迁子女 (real merges)."""
    grouped = shape.grouped and "left_behind" in columns and "migrant" in columns
    if not grouped:
        for c, h in enumerate(headers):
            ws.write_string(r, c, h, bold)
        return r + 1
    group = (columns.index("left_behind"), columns.index("migrant"))
    for c, h in enumerate(headers):
        if c in group:
            ws.write_string(r + 1, c, h, bold)
        else:
            ws.merge_range(r, c, r + 1, c, h, bold)
    ws.merge_range(r, min(group), r, max(group), "学生类别", bold)
    return r + 2


# Roster shapes, one per township in turn (townships beyond the sixth reuse them).
_ROSTER_SHAPES = (
    # per-school workbooks: titles, two-row merged header, Excel dates, 三年级/七年级, 合计
    ("school", _Shape(grades="cn", grouped=True, blank_rows=True, total_row=True)),
    # per-school workbooks: one header row, 2014/3/5, 初一, 2021-2022, 身份证号码, 学校名称
    ("school", _Shape(dates="slash", grades="short", years="span", title=False,
                      headers=(("id_number", "身份证号码"), ("school", "学校名称")))),
    # one GBK CSV for the township: a title line, 2014.3.5, numbers, no 学年, no 学籍号
    ("township", _Shape(fmt="csv-gbk", dates="dot", years="omit", headers=(("id_number", "公民身份号码"),),
                        omit=("student_no",), total_row=True)),
    # per-school workbooks: 2014年3月5日, 2021学年, 状态, 是否寄宿生
    ("school", _Shape(dates="cn", years="suffix", headers=(("status", "状态"), ("boarding", "是否寄宿生")),
                      blank_rows=True)),
    # per-school UTF-8 CSV with BOM: 证件号 (a synonym only the params file knows), ISO dates
    ("school", _Shape(fmt="csv-bom", dates="iso", grades="cn", title=False, headers=(("id_number", "证件号"),))),
    # one workbook for the township, one sheet per school: every date and grade spelling mixed
    ("sheets", _Shape(dates="mixed", grades="mixed", total_row=True)),
)

_ROSTER_COLUMNS = ["school_year", "id_number", "student_no", "name", "gender", "birth_date", "township",
                   "school", "grade", "class_name", "boarding", "status", "left_behind", "migrant"]


def _write_roster(demo: DemoCounty, folder: Path) -> None:
    roster = demo.tables["roster"]
    now = roster[roster["school_year"] == SCHOOL_YEAR]
    for index, township in enumerate(demo.townships):
        split, shape = _ROSTER_SHAPES[index % len(_ROSTER_SHAPES)]
        here = now[now["township"] == township.name]
        title = "{}2021年秋季学期学生花名册"
        ext = "xlsx" if shape.fmt == "xlsx" else "csv"
        if split == "township":
            _write_file(folder / f"{township.name}2021年秋季学期学生花名册.{ext}", "roster", _ROSTER_COLUMNS,
                        [_Sheet(township.name, title.format(township.name), here)], shape)
        elif split == "sheets":
            sheets = [_Sheet(s.name[len(township.name):][:31] or s.name, title.format(s.name), here[here["school"] == s.name])
                      for s in township.schools]
            _write_file(folder / f"{township.name}各校学生花名册.xlsx", "roster", _ROSTER_COLUMNS, sheets, shape)
        else:
            for s in township.schools:
                _write_file(folder / f"{s.name}学生花名册.{ext}", "roster", _ROSTER_COLUMNS,
                            [_Sheet("花名册", title.format(s.name), here[here["school"] == s.name])], shape)
    before = roster[roster["school_year"] == SCHOOL_YEAR - 1]
    _write_file(folder / "2020学年六年级学生名册.xlsx", "roster", _ROSTER_COLUMNS,
                [_Sheet("六年级", f"{demo.scale.county}2020-2021学年六年级学生名册", before[before["grade"] == 6])],
                _Shape(years="span", grades="cn"))
    _write_file(folder / "2020学年九年级学生名册.xlsx", "roster", _ROSTER_COLUMNS,
                [_Sheet("九年级", f"{demo.scale.county}2020学年九年级学生名册（含毕业生）", before[before["grade"] == 9])],
                _Shape(dates="iso"))


def _by_township(demo: DemoCounty, kind: str, folder: Path, columns: list[str], name: str, shapes) -> None:
    """One file per township, cycling through file shapes."""
    table = demo.tables[kind]
    for index, township in enumerate(demo.townships):
        shape = shapes[index % len(shapes)]
        ext = "xlsx" if shape.fmt == "xlsx" else "csv"
        _write_file(folder / f"{township.name}{name}.{ext}", kind, columns,
                    [_Sheet(name, f"{township.name}{name}", table[table["township"] == township.name])], shape)


def _write_ledgers(demo: DemoCounty, root: Path) -> None:
    """Write every kind into its folder (the key or the Chinese name, as counties do both)."""
    t = demo.tables
    county = demo.scale.county
    _write_roster(demo, root / "roster")
    _by_township(demo, "population", root / "户籍",
                 ["id_number", "name", "gender", "birth_date", "township", "village", "guardian", "phone"],
                 "适龄儿童户籍台账", (
                     _Shape(headers=(("village", "村(社区)"),), blank_rows=True),
                     _Shape(dates="iso", title=False),
                     _Shape(fmt="csv-gbk", dates="slash", title=False,
                            headers=(("id_number", "公民身份号码"), ("village", "行政村"))),
                     _Shape(dates="cn"),
                     _Shape(omit=("birth_date",), title=False),      # birth date from the ID
                     _Shape(fmt="csv-bom", dates="iso", title=False, headers=(("village", "村(社区)"),)),
                 ))
    _write_file(root / "poverty" / "脱贫户家庭学生名单.xlsx", "poverty",
                ["id_number", "name", "township", "village", "category"],
                [_Sheet("名单", f"{county}脱贫户（含监测户、低保户、特困供养）家庭义务教育阶段子女名单", t["poverty"])],
                _Shape(total_row=True))
    _write_file(root / "残疾" / "残疾儿童少年名单.xlsx", "disability",
                ["id_number", "name", "township", "disability_type", "disability_level", "placement"],
                [_Sheet("名单", f"{county}适龄残疾儿童少年入学安置情况", t["disability"])], _Shape())
    _by_township(demo, "absence", root / "absence",
                 ["date", "id_number", "student_no", "name", "school", "absence_type", "note"],
                 "2021秋季学期缺勤登记", (
                     _Shape(fmt="csv-bom", dates="iso", title=False),
                     _Shape(fmt="csv-gbk", dates="slash", title=False, headers=(("school", "学校名称"),)),
                     _Shape(dates="excel"),
                 ))
    _write_cases(demo, root / "劝返")
    _write_file(root / "送教" / "送教上门记录.xlsx", "home_teaching",
                ["id_number", "name", "date", "hours", "teacher"],
                [_Sheet("送教记录", f"{county}送教上门工作记录表", t["home_teaching"])], _Shape(dates="cn"))
    _write_subsidy(demo, root / "subsidy")
    _write_enrollment(demo, root / "事业统计")


def _write_cases(demo: DemoCounty, folder: Path) -> None:
    """The county's case log, except one township that keeps its own (CSV, other header names)."""
    cases = demo.tables["cases"]
    columns = ["id_number", "name", "township", "school", "grade", "date", "event", "cause", "destination",
               "admin_owner", "edu_owner", "method", "placement", "note"]
    own = demo.townships[1 % len(demo.townships)].name
    for_county = cases[cases["township"] != own] if len(demo.townships) > 1 else cases
    _write_file(folder / "劝返复学工作台账.xlsx", "cases", columns,
                [_Sheet("台账", f"{demo.scale.county}控辍保学劝返复学工作台账（一生一案）", for_county)],
                _Shape(grades="short"))
    if len(demo.townships) > 1:
        _write_file(folder / f"{own}劝返台账.csv", "cases", columns,
                    [_Sheet("台账", "", cases[cases["township"] == own])],
                    _Shape(fmt="csv-gbk", dates="iso", title=False,
                           headers=(("date", "事件日期"), ("admin_owner", "包保干部"), ("edu_owner", "包保教师"))))


def _write_subsidy(demo: DemoCounty, folder: Path) -> None:
    subsidy = demo.tables["subsidy"]
    columns = ["id_number", "name", "school", "term", "item", "amount"]
    own = demo.townships[1 % len(demo.townships)].name
    _write_file(folder / "2021秋季学期资助发放明细.xlsx", "subsidy", columns,
                [_Sheet("发放明细", f"{demo.scale.county}2021年秋季学期学生资助发放明细", subsidy[subsidy["township"] != own])],
                _Shape(total_row=True))
    # One township writes the term in full and the amount header with its unit.
    _write_file(folder / f"{own}资助发放.csv", "subsidy", columns,
                [_Sheet("", "", subsidy[subsidy["township"] == own].assign(term="2021年秋季学期"))],
                _Shape(fmt="csv-bom", title=False, headers=(("amount", "金额(元)"),)))


def _write_enrollment(demo: DemoCounty, folder: Path) -> None:
    """One workbook, one sheet per school year, as the statistics office keeps them."""
    enrollment = demo.tables["enrollment"]
    sheets = [_Sheet(f"{y}学年", f"{demo.scale.county}{y}学年义务教育分年级在校生情况", enrollment[enrollment["school_year"] == y])
              for y in ENROLLMENT_YEARS]
    _write_file(folder / f"教育事业统计{ENROLLMENT_YEARS[0]}-{ENROLLMENT_YEARS[-1]}.xlsx", "enrollment",
                ["school_year", "township", "school", "grade", "enrolled", "repeaters", "graduates"], sheets, _Shape())


# ---------------------------------------------------------------------------
# Params file and the entry point


def _params_text(scale_name: str, scale: DemoScale, seed: int) -> str:
    return f"""\
# Written by kcbx.demo.write_demo(scale={scale_name!r}, seed={seed}): do not edit by hand,
# run `kcbx demo` again. Keys: contract.md "Parameters in".
county: {scale.county}
county_code: "{scale.county_code}"
ledgers: ../build/ledgers/{scale.key}
store: ../build/{scale.key}.duckdb
outputs: ../outputs
term: {{start: {TERM_START}, end: {TERM_END}}}
days_off: [{", ".join(str(d) for d in DAYS_OFF)}]
extra_school_days: []
calendar: {{}}
escalation: [{", ".join(str(n) for n in scale.escalation)}]
notice_days: 7
target_date: 2021-12-31
school_age: {{min: 6, max: 15}}
subsidy: {{boarding: {{primary: 1000, junior: 1250}}, day: {{primary: 500, junior: 625}}}}
home_teaching: {{visits_per_month: 2, hours_per_visit: 3, hours_per_year: 60,
                workload_hours_per_visit: 4, funding_per_year: 6000}}
townships: []
# One township's roster files head the ID column 证件号, a name only this county uses.
synonyms: {{身份证号: [证件号]}}
{_warning_text(scale)}"""


def _warning_text(scale: DemoScale) -> str:
    """The params file's early_warning block: only what differs from the contract's defaults."""
    if scale.warning_horizon == 60:
        return ""
    return ("# The demo's as_of (15 Oct) is six weeks into the term: its back-test looks back "
            f"{scale.warning_horizon} days, not 60.\n"
            f"early_warning: {{horizon: {scale.warning_horizon}}}\n")


def write_demo(out_dir: Path, scale: str = "small", seed: int = DEFAULT_SEED) -> Path:
    """Write the demo county's ledgers and params file under `out_dir` (the repo root).

    Ledgers go to ``<out_dir>/build/ledgers/<key>/<kind>/…`` (the folder is
    replaced), the params file to ``<out_dir>/params/<key>.yaml``, where key is
    "demo" for scale "small" and "tongjiang" for "tongjiang". Returns the params path.
    """
    demo = generate_demo(scale, seed)
    out_dir = Path(out_dir)
    ledgers = out_dir / "build" / "ledgers" / demo.scale.key
    shutil.rmtree(ledgers, ignore_errors=True)
    _write_ledgers(demo, ledgers)
    params = out_dir / "params" / f"{demo.scale.key}.yaml"
    params.parent.mkdir(parents=True, exist_ok=True)
    params.write_text(_params_text(scale, demo.scale, seed), encoding="utf-8")
    return params
