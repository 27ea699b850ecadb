"""The demo county: deterministic synthetic ledgers, shaped the way schools send them.

``write_demo(repo_root)`` writes ``build/ledgers/demo/<kind>/…`` and
``params/demo.yaml`` (``scale="tongjiang"``: ``build/ledgers/tongjiang`` and
``params/tongjiang.yaml``, 49 townships and 77,097 pupils, for benchmarks).
``generate_demo()`` builds the same ledgers in memory, with canonical column
names (schema.py) and a ``defect`` column naming each deliberate fault, so that
tests can check the files against what was meant.

What the demo holds, and why (the ledgers are described in docs/ledgers.md):

- a roster for school year 2021 (and 2020 for grades 6 and 9: 小升初 and
  graduates), a household register, poverty and disability registers, one term
  of absences, a 劝返 case log, home-teaching visits, subsidy payments and nine
  school years (2013–2021) of enrolment statistics, coherent with one another;
- hand-made scenarios on ``DEMO_AS_OF``: unexcused runs reaching every
  escalation threshold (across a weekend and across National Day with its
  make-up days), cases in every state (open with and without an overdue notice,
  returned, transferred, home teaching, died, struck), children on no roster;
- the faults real ledgers have: a wrong ID checksum, an impossible date, an
  unknown 年级 and 事件, a child on two schools' rosters, pupils
  without an ID, an exact duplicate absence and case event, an absence on a
  holiday, text that looks like a formula or HTML; and a 冲正 (a negative 金额, a reversal);
- a 零报告 row (日期, 学校, 姓名 无缺勤) from every school on each school day it had no
  absence, except one village primary that misses ``DEMO_AS_OF``'s upload altogether
  (``DemoCounty.not_reported``; the params file says ``zero_reports: required``);
- two townships' 疑似失学核查回执 returned (kcbx.demo.verification): every 核查结果, one
  without its evidence, a 确认失学 with no case past ``case_open_days``.

Everything comes from one seeded ``numpy`` Generator, in a fixed order: the
same seed gives byte-identical files.
"""

from __future__ import annotations

import pandas as pd

from kcbx import schema
from kcbx.demo import people, scenarios
from kcbx.demo import verification as verification_returns
from kcbx.demo.people import Builder
from kcbx.demo.plan import DEFAULT_SEED, SCALES, TERM_END, TERM_START, DemoCounty, school_days


def generate_demo(scale: str = "small", seed: int = DEFAULT_SEED) -> DemoCounty:
    """Build the demo county in memory (no I/O besides reading the name list).

    Tables: the kind's canonical columns that its files carry (schema.py, without
    provenance, person_key and derived flags), then ``name``/``school`` where the
    files carry them beyond the kind's columns in docs/ledgers.md, ``township``
    (the file it goes to), roster ``repeater``, cases ``scenario`` and ``defect``. ``truth`` maps the
    key of every hand-made case child to its scenario name.
    """
    b = Builder(SCALES[scale], seed)
    term_days = school_days(TERM_START, TERM_END)
    b.current_pupils()
    for copy in range(b.scale.copies):
        for number in range(8):           # ~8 送教上门 children per copy
            b.take_pupils("home_taught", 1, b.townships[(number + copy) % len(b.townships)].name)
    people.previous_year(b)
    people.extra_children(b)
    people.deliberate_roster_faults(b)
    absences, runs = scenarios.absences(b, term_days)
    cases = scenarios.cases(b, runs)
    absences = scenarios.warning_signs(b, absences, runs, term_days, seed)
    b.people = people.assign_ids(b.people, b.rng)
    registers = people.registers(b)
    # Files list pupils by grade and class, as a school's register does.
    grade_order = pd.to_numeric(b.roster["grade"], errors="coerce").fillna(10)    # 高一 last
    roster = _person_columns(b, b.roster.assign(_grade=grade_order).sort_values(
        ["school_year", "school", "_grade", "class_name"], kind="stable").drop(columns="_grade"))
    # The third township sends one CSV for all its schools: the clerk there types a lower-case x.
    people.finish_roster_faults(roster, b.townships[2 % len(b.townships)].name)
    # After the people columns: a 零报告 row is nobody's (no ID, 姓名 无缺勤).
    absence, not_reported = scenarios.zero_reports(b, _person_columns(b, absences), term_days)
    frames = {
        "roster": roster,
        **{k: _person_columns(b, v.rename_axis("person").reset_index()) for k, v in registers.items()},
        "absence": absence,
        "cases": _person_columns(b, cases),
        "home_teaching": _person_columns(b, scenarios.home_teaching(b, term_days, registers["disability"])),
        "subsidy": _person_columns(b, scenarios.subsidies(b, registers["poverty"])),
        "enrollment": scenarios.enrollment(b),
        # Two townships' 疑似失学核查回执, returned (kcbx.demo.verification).
        "verification": _person_columns(b, verification_returns.verification(b, cases)),
    }
    tables = {kind: _canonical(kind, frame) for kind, frame in frames.items()}
    truth = {b.people.at[p, "id_number"] or b.people.at[p, "student_no"]: s for p, s in b.truth.items()}
    return DemoCounty(b.scale, seed, b.townships, tables, truth,
                      not_reported=() if not_reported is None else (not_reported,))


def _person_columns(b: Builder, frame: pd.DataFrame) -> pd.DataFrame:
    """Attach ID, 学籍号, name, gender, birth date and (where missing) township from the people table."""
    keep = ["id_number", "student_no", "name", "gender", "birth_date", "left_behind", "migrant",
            "village", "guardian", "phone", "home_township"]
    merged = frame.drop(columns=[c for c in keep if c in frame], errors="ignore").join(b.people[keep], on="person")
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
