"""The demo county's events: absences, early-warning signs, cases, home teaching,
subsidies and enrolment statistics, with the hand-made scenarios the reports rely on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kcbx.demo.people import Builder, age_in_years
from kcbx.demo.plan import DEMO_AS_OF, ENROLLMENT_YEARS, SCHOOL_YEAR, TERM_LABEL, TERM_START, split, township_stem

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


def absences(b: Builder, term_days: list[dt.date]) -> tuple[pd.DataFrame, dict[tuple[int, int], int]]:
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


def warning_signs(b: Builder, absences: pd.DataFrame, runs: dict[tuple[int, int], int],
                  term_days: list[dt.date], seed: int) -> pd.DataFrame:
    """The absences that make the early-warning list and its back-test real (docs/metrics.md,
    ``early_warning``): every rule holds for someone, and the list made on the look-back day finds a
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
    age = age_in_years(b.people.loc[pupils["person"], "birth_date"]).to_numpy()
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
# 零报告: every school reports every school day, one of them not today

ZERO_REPORT_NAME = "无缺勤"  # what a school writes in 姓名 on a day nobody was absent


def zero_reports(b: Builder, absences: pd.DataFrame, term_days: list[dt.date]) -> tuple[pd.DataFrame, str | None]:
    """The absences with a 零报告 row (日期, 学校, 姓名 无缺勤, the rest blank) for each school and
    school day up to the ledger's end on which the school had no sound absence row; and the
    school that misses DEMO_AS_OF's upload altogether (no 零报告 that day: it had no absence
    either, so only the missing report tells it apart from a perfect day), None when the
    ledger ends before DEMO_AS_OF.

    The missing school is the first village primary, from the last township, with no
    absence on DEMO_AS_OF."""
    days = [d for d in term_days if d <= b.scale.ledger_end]
    sound = absences[absences["defect"] == ""]
    reported = set(zip(sound["school"], sound["date"]))
    absent_today = {school for school, day in reported if day == DEMO_AS_OF}
    missing = None
    if DEMO_AS_OF in days:
        village_primaries = [school.name for township in reversed(b.townships) for school in township.schools
                             if school.kind == "village" and school.name not in absent_today]
        missing = village_primaries[0] if village_primaries else None
    rows = [{"date": day, "school": school.name, "township": township.name, "name": ZERO_REPORT_NAME, "defect": ""}
            for township in b.townships for school in township.schools for day in days
            if (school.name, day) not in reported and not (school.name == missing and day == DEMO_AS_OF)]
    # Schools keep the register day by day: a 零报告 takes its day's place among the absences.
    return pd.concat([absences, pd.DataFrame(rows)], ignore_index=True).sort_values(
        ["date", "school"], kind="stable", ignore_index=True), missing


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


def cases(b: Builder, runs: dict[tuple[int, int], int]) -> pd.DataFrame:
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
                f"{_adult_name(b, rng)}（{township_stem(township)}{rng.choice(['副镇长', '副乡长', '村支书', '驻村工作队员'])}）"
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


def _adult_name(b: Builder, rng: np.random.Generator) -> str:
    surnames = list(b.names["surnames"])[:30]
    pool = b.names["adult_male"] + b.names["adult_female"]
    return str(rng.choice(surnames)) + str(rng.choice(pool))


def _case_child(b: Builder, scenario: _Scenario, copy: int, township: str,
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


def home_teaching(b: Builder, term_days: list[dt.date], disability: pd.DataFrame) -> pd.DataFrame:
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


def subsidies(b: Builder, poverty: pd.DataFrame) -> pd.DataFrame:
    """2021秋 payments to 在读 poverty pupils: half the yearly standard, some in two instalments.

    Some are short (one instalment of two, or the day rate for a boarder), one is
    missing, and each also gets 营养改善; one row is a 冲正 (a negative amount: a reversal of an earlier payment).
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
    refund = frame.iloc[[1]].assign(amount=-312.5, item="生活补助", defect="reversal")
    return pd.concat([frame, refund], ignore_index=True)


def enrollment(b: Builder) -> pd.DataFrame:
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
                    counts = split(total[(g, year)], shares)
                if year == SCHOOL_YEAR:
                    repeaters = [repeat[(s.name, g, year)] for s in schools]
                else:
                    repeaters = split(total_r[(g, year)], [max(c, 1) for c in counts])
                for school, count, rep in zip(schools, counts, repeaters):
                    grads = None
                    if g == 9 and year < SCHOOL_YEAR:
                        grads = split(graduates[year], [max(c, 1) for c in counts])[schools.index(school)]
                    rows.append({"school_year": year, "township": township.name, "school": school.name,
                                 "grade": g, "enrolled": count, "repeaters": rep, "graduates": grads, "defect": ""})
    return pd.DataFrame(rows)
