"""demo → ingest → run, through the real commands, for two townships and the county.

Every file the contract promises exists, and metrics.json figures equal counts
taken straight from the DuckDB store with SQL (not through kcbx's measures).
"""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from kcbx.analysis.metrics import CONTRACT_KEYS
from support.county_run import AS_OF

pytestmark = pytest.mark.slow

SCHOOL_YEAR = 2021


def store(root: Path):
    return duckdb.connect(str(root / "build" / "demo.duckdb"), read_only=True)


def as_of_dir(root: Path) -> Path:
    return root / "outputs" / "示例县" / AS_OF


def test_every_report_file_exists(county_run):
    root, townships = county_run
    folder = as_of_dir(root)
    assert (folder / "index.html").is_file() and (folder / "manifest.json").is_file()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {n["status"] for n in manifest["townships"]} == {"ok"}
    for name in [*townships, "county"]:
        sub = folder / name
        for file in ("report.html", "forms.xlsx", "metrics.json", "notebook.ipynb"):
            assert (sub / file).is_file(), f"{name}/{file}"
    # Nothing half-written is left beside the finished run.
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def metrics(root: Path, name: str) -> dict:
    return json.loads((as_of_dir(root) / name / "metrics.json").read_text(encoding="utf-8"))


def test_metrics_hold_every_contract_key_with_its_type(county_run):
    root, townships = county_run
    for name in [*townships, "county"]:
        m = metrics(root, name)
        assert set(CONTRACT_KEYS) <= set(m)
        assert m["as_of"] == AS_OF and m["county"] == "示例县"
        assert m["township"] == (None if name == "county" else name)
        for key in ("enrolled", "school_age_population", "out_of_school_suspected",
                    "duplicate_enrollments", "absent_unexcused_today", "cases_total", "cases_open",
                    "cases_open_poverty", "cases_returned", "notices_overdue", "home_teaching_due",
                    "home_teaching_compliant", "subsidy_eligible", "subsidy_short",
                    "rows_read", "rows_accepted", "rows_rejected"):
            assert type(m[key]) is int, key
        for key in ("enrollment_rate", "return_rate", "closure_rate", "retention_rate", "dropout_rate"):
            assert m[key] is None or type(m[key]) is float, key
        assert set(m["escalation"]) == {"1", "3", "5"}
        assert set(m["groups"]) == {"poverty", "left_behind", "migrant", "disabled", "grades_8_9"}
        assert set(m["cohort"]) == {"promotion", "repetition", "dropout", "survival_to_grade_9"}
        assert m["transition_missing"] is None or type(m["transition_missing"]) is int


def test_ingest_totals_equal_the_store(county_run):
    root, _ = county_run
    with store(root) as con:
        read, accepted, rejected = con.execute(
            "select sum(rows_read), sum(rows_accepted), sum(rows_rejected) from ingest_log").fetchone()
        listed = con.execute("select count(*) from rejected_rows").fetchone()[0]
        stored = sum(con.execute(f"select count(*) from {kind}").fetchone()[0]
                     for kind in ("roster", "population", "poverty", "disability", "absence", "cases",
                                  "home_teaching", "subsidy", "enrollment", "verification",
                                  "zero_reports"))  # the absence files' 零报告 rows: accepted, no absence
    assert read == accepted + rejected
    assert accepted == stored
    assert rejected == listed > 0  # the demo carries deliberate bad rows
    m = metrics(root, "county")
    assert (m["rows_read"], m["rows_accepted"], m["rows_rejected"]) == (read, accepted, rejected)


CURRENT = f"coalesce(school_year, {SCHOOL_YEAR}) = {SCHOOL_YEAR}"


def test_enrolment_and_duplicates_equal_sql_counts(county_run):
    root, townships = county_run
    with store(root) as con:
        for township in townships:
            enrolled = con.execute(
                f"select count(distinct person_key) from roster where {CURRENT} and status = '在读' "
                "and township = ?", [township]).fetchone()[0]
            assert metrics(root, township)["enrolled"] == enrolled
        county_enrolled, duplicates = con.execute(f"""
            select count(*), count(*) filter (where schools > 1) from (
              select person_key, count(distinct school) as schools from roster
              where {CURRENT} and status = '在读' group by person_key)""").fetchone()
    assert metrics(root, "county")["enrolled"] == county_enrolled
    assert metrics(root, "county")["duplicate_enrollments"] == duplicates >= 1


def test_todays_absences_equal_sql_counts(county_run):
    root, townships = county_run
    day = dt.date.fromisoformat(AS_OF)
    with store(root) as con:
        for township in townships:
            absent = con.execute(f"""
                select count(distinct a.person_key) from absence a
                where a.unexcused and a.date = ? and a.person_key in
                  (select person_key from roster where {CURRENT} and township = ?)""",
                                 [day, township]).fetchone()[0]
            assert metrics(root, township)["absent_unexcused_today"] == absent
