"""The analyst's door (kcbx.explore): five questions an analyst asks, on a county small enough
to work out by hand, the SQL views against the measures' own rules, and the store read while
an ingest replaces it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import duckdb
import pandas as pd
import pytest

from kcbx import cli, explore, schema
from kcbx import sql as kcbx_sql
from kcbx.analysis.fields import ANALYSIS_FIELDS
from kcbx.analysis.model import Analysis
from kcbx.measures.common import current_roster
from kcbx.params import ParamsError, load_params
from kcbx.report import show
from kcbx.store import tables as store
from kcbx.store.readonly import StoreOpenForWriting
from kcbx.store.tables import StoreUpdate, load_tables, write_update
from support.builders import resident_id, table
from support.demo_county import add_late_file, county, ingested_demo  # noqa: F401 (the demo's fixtures)
from support.paths import DEMO_PARAMS  # written and ingested by `make test`

AS_OF = dt.date(2021, 10, 15)  # a Friday; school days before it: Fri 8, Sat 9 (调休), Mon 11 … Fri 15 Oct
KEY = {f"P{n}": resident_id(f"201{n}0301", serial=f"{n}21") for n in range(1, 9)}

PARAMS_FILE = """\
county: 测试县
county_code: "452626"
ledgers: ledgers
store: test.duckdb
term: {start: 2021-09-01, end: 2022-01-14}
target_date: 2021-12-31
"""


def small_county_tables() -> dict[str, pd.DataFrame]:
    """Two townships, 甲镇 and 乙镇.

    Roster (file order): P1 甲小学 grade 3 在读, no 学年 (so: the current year); P2 甲中学 grade 8
    在读 and again at 乙中学 (乙镇) grade 8 在读 (重复学籍); P3 甲小学 grade 3 休学; P4 甲小学 grade 6
    of last year; P5 乙小学 (乙镇) grade 1 在读, no 学年.
    Unexcused absences: P1 Tue 12 – Fri 15 Oct (streak 4); P2 Thu 14, Fri 15 (2); P5 Mon 11,
    then Wed 13 – Fri 15 (present Tue 12: streak 3).
    Cases: P6 (甲镇) 厌学, open; P3 (甲镇) 厌学, returned 20 Sep; P7 (乙镇) 外出务工, open; P8 (甲镇)
    no cause, open.
    """
    jia, yi = dict(township="甲镇"), dict(township="乙镇")
    roster = table("roster", [
        dict(person_key=KEY["P1"], name="甲一", school="甲小学", grade=3, class_name="1班", status="在读", **jia),
        dict(school_year=2021, person_key=KEY["P2"], name="甲二", school="甲中学", grade=8, class_name="2班",
             status="在读", **jia),
        dict(school_year=2021, person_key=KEY["P2"], name="甲二", school="乙中学", grade=8, status="在读", **yi),
        dict(school_year=2021, person_key=KEY["P3"], name="甲三", school="甲小学", grade=3, status="休学", **jia),
        dict(school_year=2020, person_key=KEY["P4"], name="甲四", school="甲小学", grade=6, status="在读", **jia),
        dict(person_key=KEY["P5"], name="乙五", school="乙小学", grade=1, class_name="1班", status="在读", **yi),
    ])
    population = table("population", [
        dict(person_key=KEY[p], id_number=KEY[p], name=f"童{p}", township="乙镇" if p in ("P5", "P7") else "甲镇")
        for p in KEY])
    absent = [("P1", day) for day in (12, 13, 14, 15)] + [("P2", 14), ("P2", 15)] + \
             [("P5", day) for day in (11, 13, 14, 15)]
    absence = table("absence", [dict(date=f"2021-10-{day}", person_key=KEY[p], school="某校", absence_type="无故",
                                     unexcused=True) for p, day in absent])
    cases = table("cases", [
        dict(person_key=KEY["P6"], date="2021-09-06", event="登记", cause="厌学", **jia),
        dict(person_key=KEY["P3"], date="2021-09-10", event="登记", cause="厌学", **jia),
        dict(person_key=KEY["P3"], date="2021-09-20", event="复学", **jia),
        dict(person_key=KEY["P7"], date="2021-10-01", event="登记", cause="外出务工", **yi),
        dict(person_key=KEY["P8"], date="2021-09-15", event="登记", **jia),
    ])
    tables = {kind: table(kind, []) for kind in schema.KINDS}
    tables.update(roster=roster, population=population, absence=absence, cases=cases)
    return tables


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small county as a params file and a store (written as ingest writes one)."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "params.yaml").write_text(PARAMS_FILE, encoding="utf-8")
    (folder / "ledgers").mkdir()
    params = load_params(folder / "params.yaml")
    write_update(params.store, StoreUpdate(ledger_rows={kind: [frame] for kind, frame in
                                                        small_county_tables().items()}))
    return params


@pytest.fixture(scope="module")
def jia(small):
    return explore.open_township(small, "甲镇", AS_OF)


@pytest.fixture(scope="module")
def whole(small):
    return explore.open_county(small, AS_OF)


# --------------------------------------------------------------------------- townships

def test_townships_and_a_mistyped_one(small):
    assert explore.townships(small) == ["乙镇", "甲镇"]
    assert explore.townships(str(small.path)) == ["乙镇", "甲镇"]
    with pytest.raises(explore.UnknownTownship, match="是否要找 甲镇？") as raised:
        explore.open_township(small, "甲", AS_OF)  # a typo never gives a report of zeros
    assert "现有：乙镇、甲镇" in str(raised.value)
    with pytest.raises(ValueError, match="no township '丙镇'"):
        explore.open_township(small, "丙镇", AS_OF)


# --------------------------------------------------------------------------- 1. streaks

def test_q1_pupils_absent_three_days_running_with_school_and_grade(jia, whole):
    # 甲镇: P1 (4 days) only; P2's 2 days are short of 3; P5 is 乙镇's.
    streaks = explore.with_pupils(jia.streaks, jia)
    three = streaks[streaks["streak"] >= 3]
    assert three[["name", "township", "grade", "class_name", "streak"]].values.tolist() == [
        ["甲一", "甲镇", 3, "1班", 4]]
    assert three["streak_start"].tolist() == [pd.Timestamp("2021-10-12")]
    assert three["school"].tolist() == ["某校"]  # a.streaks' own school (of the absence) is kept
    # The county: P1 (4) and P5 (3, the run starting Wed 13 after Tue 12 at school).
    everyone = explore.with_pupils(whole.streaks, whole)
    by_name = dict(everyone[["name", "streak"]].values.tolist())
    assert by_name == {"甲一": 4, "甲二": 2, "乙五": 3}
    # P2 is on two rosters: the first in file order names them (甲中学, 甲镇).
    assert everyone.loc[everyone["name"] == "甲二", "township"].tolist() == ["甲镇"]
    assert len(everyone) == len(whole.streaks)  # never a row more


# --------------------------------------------------------------------------- 2. cases

def test_q2_open_cases_by_cause(jia, whole):
    # County: open P6 厌学, P7 外出务工, P8 (no cause: 未填写); P3's 厌学 case returned.
    by_cause = whole.case_breakdowns["cause"].set_index("cause")
    assert by_cause["open"].to_dict() == {"厌学": 1, "外出务工": 1, "未填写": 1}
    assert by_cause["cases"].to_dict() == {"厌学": 2, "外出务工": 1, "未填写": 1}
    # 甲镇 has P6, P3 and P8; P7's case is 乙镇's.
    assert jia.case_breakdowns["cause"].set_index("cause")["open"].to_dict() == {"厌学": 1, "未填写": 1}


# --------------------------------------------------------------------------- 3. enrolment

def test_q3_enrolment_by_township_and_grade_adds_up(whole, jia):
    # 在读 current rows: P1 (甲镇 3), P2 (甲镇 8 and 乙镇 8), P5 (乙镇 1): 3 pupils, 4 rows.
    assert whole.metrics["enrolled"] == 3
    assert whole.enrolled_by_school_grade["enrolled"].sum() == 4  # P2 counted at both schools
    pupils = explore.pupils(whole)
    assert len(pupils) == 3
    assert pupils.set_index("name")["schools"].to_dict() == {"甲一": "甲小学", "甲二": "乙中学、甲中学",
                                                             "乙五": "乙小学"}
    crosstab = pd.crosstab(pupils["township"], pupils["grade"], margins=True, margins_name="合计")
    assert crosstab.loc["甲镇"].to_dict() == {1: 0, 3: 1, 8: 1, "合计": 2}
    assert crosstab.loc["乙镇"].to_dict() == {1: 1, 3: 0, 8: 0, "合计": 1}
    assert crosstab.loc["合计", "合计"] == 3
    # A township: its own rows; P3 (休学) only when every status is asked for.
    assert sorted(explore.pupils(jia)["name"]) == ["甲一", "甲二"]
    assert sorted(explore.pupils(jia, status=None)["name"]) == ["甲一", "甲三", "甲二"]


# --------------------------------------------------------------------------- 4. SQL

def test_q4_sql_views_apply_the_current_school_year(small):
    # Current rows: P1 and P5 (no 学年) and P2 ×2, P3 (2021) = 5; a plain WHERE school_year = 2021
    # loses P1 and P5. One 在读 pupil each: P1, P2, P5; P2 on two schools' rosters.
    plain = explore.sql(small, "SELECT count(*) AS n FROM roster WHERE school_year = 2021")
    assert plain["n"].tolist() == [3]
    current = explore.sql(small, "SELECT count(*) AS n, count(*) FILTER (school_year_filled) AS filled, "
                                  "min(school_year) AS year FROM roster_current")
    assert current.values.tolist() == [[5, 2, 2021]]
    pupils = explore.sql(small, "SELECT name, township, n_schools FROM enrolled_pupils ORDER BY name")
    assert pupils.values.tolist() == [["乙五", "乙镇", 1], ["甲一", "甲镇", 1], ["甲二", "甲镇", 2]]
    by_township = kcbx_sql(small, "SELECT count(*) AS n FROM enrolled_pupils WHERE township = ?", ["乙镇"])
    assert by_township["n"].tolist() == [1]  # P5; P2 is named by their first row, 甲镇's
    # Last school year's view: P4's row, and the rows without 学年 are then of 2020.
    last_year = explore.sql(small, "SELECT count(*) AS n FROM roster_current", as_of="2021-06-30")
    assert last_year["n"].tolist() == [3]  # P4, P1, P5


def test_q4_the_store_cannot_be_written_through_sql(small):
    with pytest.raises(duckdb.Error, match="read-only"):
        explore.sql(small, "DELETE FROM roster")
    assert len(load_tables(small.store)["roster"]) == 6


def test_the_views_give_the_rows_the_measures_use():
    # On the demo county, where one township's roster files leave 学年 out.
    params = load_params(DEMO_PARAMS)
    roster = load_tables(params.store, kinds=["roster"])["roster"]
    current = current_roster(roster, AS_OF)
    rows = explore.sql(params, "SELECT source_file, source_row FROM roster_current")
    assert sorted(map(tuple, rows.values.tolist())) == sorted(
        zip(current["source_file"], current["source_row"].astype(int)))
    whole_demo = explore.open_county(params, AS_OF)
    enrolled = explore.sql(params, "SELECT count(*) AS n FROM enrolled_pupils")["n"].item()
    assert enrolled == whole_demo.metrics["enrolled"] == len(explore.pupils(whole_demo))
    assert whole_demo.enrolled_by_school_grade["enrolled"].sum() > enrolled  # the duplicates, twice


# --------------------------------------------------------------------------- 5. what-if

def test_q5_what_if_other_thresholds_and_a_bad_ladder(small, whole, jia):
    # County streaks 4, 2, 3. Ladder 1/3/5: ≥1 all 3, ≥3 P1 and P5, ≥5 nobody.
    assert whole.metrics["escalation"] == {"1": 3, "3": 2, "5": 0}
    ladder = explore.what_if(whole, escalation=[1, 2, 3])  # 崇明's 1/2/3: ≥2 all three, ≥3 two
    assert ladder.metrics["escalation"] == {"1": 3, "2": 3, "3": 2}
    assert ladder.params.overrides == {"escalation": [1, 2, 3]} and ladder.township is None
    assert ladder.params.sha256 != whole.params.sha256  # a what-if never passes for the file
    longer = explore.what_if(jia, escalation=(1, 3, 5, 7))
    assert longer.township == "甲镇" and longer.metrics["escalation"] == {"1": 2, "3": 1, "5": 0, "7": 0}
    assert "“1357”" in show.escalation(longer).body and "“135”" in show.escalation(jia).body
    with pytest.raises(ParamsError, match=r"'escalation': \[3, 1\] is not strictly increasing"):
        explore.what_if(jia, escalation=(3, 1))
    with pytest.raises(ParamsError, match="escalaton': unknown key, did you mean escalation"):
        explore.open_township(small, "甲镇", AS_OF, overrides={"escalaton": [1]})
    # A what-if of a what-if keeps both changes; a mapping is merged key by key.
    both = explore.what_if(longer, early_warning={"window": 10})
    assert both.params.escalation == (1, 3, 5, 7)
    assert both.params.early_warning.window == 10 and both.params.early_warning.unexcused_days == 3


# --------------------------------------------------------------------------- display

def test_an_analysis_shows_a_short_masked_summary(jia):
    text, page = repr(jia), jia._repr_html_()
    assert len(text.splitlines()) <= 40
    assert text.startswith("Analysis 测试县甲镇 · as_of 2021-10-15")
    assert "在读 2" in text and "连续无故缺勤 ≥1天 2 · ≥3天 1 · ≥5天 0" in text
    assert re.search(r"streaks\s+2\s", text) and re.search(r"roster\s+3\s", text)  # P1, P2, P3
    for shown in (text, page):
        assert not any(key in shown for key in KEY.values())  # no ID number, not even masked
        assert "甲一" not in shown and "甲二" not in shown  # nor a name
    assert "<table>" in page and "streaks" in page


def test_every_field_of_an_analysis_is_described_and_help_reaches_it(jia):
    assert set(ANALYSIS_FIELDS) == {item.name for item in dataclasses.fields(Analysis)}
    assert "streaks: pupils with an unexcused absence" in Analysis.__doc__  # help(a), a?
    described = str(explore.describe(jia, "enrolled_by_school_grade"))
    assert "counts at each school" in described and "kcbx.explore.pupils" in described
    assert repr(explore.describe("streaks")) == str(explore.describe("streaks"))
    with pytest.raises(KeyError, match="no Analysis field"):
        explore.describe("streak")


def test_masked_masks_names_and_ids(jia):
    shown = explore.masked(explore.with_pupils(jia.streaks, jia))
    assert sorted(shown["name"]) == ["甲*", "甲*"]  # 甲一, 甲二
    assert shown["person_key"].str.contains(r"^\d{6}\*+\d{3}[\dX]$").all()


# --------------------------------------------------------------------------- the store and ingest

@pytest.fixture
def demo(county):
    """The demo county ingested, with one more 劝返 file (9 rows) waiting to be ingested."""
    add_late_file(county)
    return county


def cases_rows(params) -> int:
    return explore.sql(params, "SELECT count(*) AS n FROM cases")["n"].item()


def test_an_open_sql_connection_does_not_stop_ingest(demo, capsys):
    before = cases_rows(demo)
    with explore.connect(demo) as analyst:
        assert cli.main(["ingest", "--params", str(demo.path), "--quiet"]) == 0
        # The open connection reads the store as it was; a new query reads the new one.
        assert analyst.execute("SELECT count(*) FROM cases").fetchone() == (before,)
        assert cases_rows(demo) == before + 9
    assert "Traceback" not in capsys.readouterr().err


def test_an_analyst_s_own_connection_in_the_same_process_does_not_stop_ingest(demo):
    # In a notebook: the store opened read-only with settings of one's own, then an ingest.
    # DuckDB hands every connect of this file in this process the instance this one holds:
    # before, ingest stopped ("a different configuration"), and readers saw the old store.
    before = cases_rows(demo)
    with duckdb.connect(str(demo.store), read_only=True, config={"threads": 1}) as analyst:
        assert cli.main(["ingest", "--params", str(demo.path), "--quiet"]) == 0
        assert analyst.execute("SELECT count(*) FROM cases").fetchone() == (before,)
        assert len(store.load_tables(demo.store, kinds=["cases"])["cases"]) == before + 9
        assert cases_rows(demo) == before + 9


def test_a_connection_open_for_writing_in_the_same_process_stops_ingest_clearly(demo, capsys):
    before = demo.store.read_bytes()
    with duckdb.connect(str(demo.store)):  # duckdb.connect's default: read and write
        assert cli.main(["ingest", "--params", str(demo.path), "--quiet"]) == 5
        with pytest.raises(StoreOpenForWriting, match="open for writing"):
            cases_rows(demo)  # and kcbx.sql says so too
    err = capsys.readouterr().err
    assert "open for writing elsewhere" in err and "Traceback" not in err
    assert demo.store.read_bytes() == before
