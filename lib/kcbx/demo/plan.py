"""The demo county's plan: its scales, dates and constants, its townships, villages and schools.

``SCALES`` holds the two sizes of county (``small`` and ``tongjiang``); ``plan_county``
lays out a scale's townships, villages and schools from the name list in
``kcbx/data/demo_names.json``; ``DemoCounty`` is what ``generate_demo`` returns.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd

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
    escalation: tuple[int, ...] = (1, 3, 5)   # the county's ladder: 那坡 "135", 通江 "1357"
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
    # the schools that miss DEMO_AS_OF's absence upload (no row, no 零报告: 未上报 that day)
    not_reported: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Calendar


def school_days(start: dt.date, end: dt.date, days_off: tuple[dt.date, ...] = DAYS_OFF) -> list[dt.date]:
    """Days from start to end that are official workdays (with 调休) and no local day off."""
    days = pd.date_range(start, end, freq="D").date
    return [d for d in days if chinese_calendar.is_workday(d) and d not in days_off]


# ---------------------------------------------------------------------------
# Small helpers


def names_data() -> dict:
    return json.loads((Path(__file__).resolve().parents[1] / "data" / "demo_names.json").read_text(encoding="utf-8"))


def split(total: int, weights) -> list[int]:
    """Split a whole number by weights (largest remainder): the parts add up exactly."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - parts), kind="stable")[: total - parts.sum()]:
        parts[i] += 1
    return parts.tolist()


def township_stem(township: str) -> str:
    return township[:-1] if township[-1] in "镇乡" else township


# ---------------------------------------------------------------------------
# The county: townships, villages, schools


def plan_county(scale: DemoScale, rng: np.random.Generator, names: dict) -> tuple[DemoTownship, ...]:
    township_names = names[scale.townships_key]
    village_counts = rng.integers(5, 10, size=len(township_names))
    stems = [a + b for a in names["village_first"] for b in names["village_second"] if a != b]
    stems = [stems[i] for i in rng.permutation(len(stems))[: int(village_counts.sum())]]
    townships, used = [], 0
    for index, township in enumerate(township_names):
        own = stems[used: used + int(village_counts[index])]
        used += int(village_counts[index])
        villages = (f"{township_stem(township)}社区",) + tuple(f"{s}村" for s in own)
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


def school_weights(township: DemoTownship, grade: int, rng: np.random.Generator) -> list[float]:
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

