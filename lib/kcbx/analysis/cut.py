"""The cut: one township's (or the county's) rows of the county pass, and the
``Analysis`` computed from them alone (``analyse`` measures one township on its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from kcbx.analysis.attribution import data_quality, of_people
from kcbx.analysis.model import Analysis
from kcbx.calendar import calendar_coverage
from kcbx.measures import cases as case_measures
from kcbx.measures import escalation, groups, matching, rates, reporting, support, warning
from kcbx.measures.common import school_year_of
from kcbx.params import Params
from kcbx.schema import VERIFICATION_RESULTS

if TYPE_CHECKING:
    from kcbx.analysis.county import CountyPass

# The header's trend alert: today's unexcused absences at least SURGE_FACTOR times
# the mean of the SURGE_WINDOW school days before; open cases against a week before.
SURGE_WINDOW, SURGE_FACTOR = 5, 2
WEEK = dt.timedelta(days=7)  # open cases a week ago; the 周通报 compares with the run a week before


def unexcused_surge(daily_unexcused: pd.DataFrame, as_of: dt.date) -> dict | None:
    """Today's unexcused absences against the mean of the SURGE_WINDOW school days before
    (fewer early in the term): {today, previous_mean, previous_days, rising}; rising when
    today ≥ SURGE_FACTOR × that mean and someone is absent. None when as_of is no school day
    or the first of the term. ``daily_unexcused``: date, pupils (one row per school day)."""
    days = daily_unexcused.sort_values("date")
    if days.empty or pd.Timestamp(days["date"].iloc[-1]) != pd.Timestamp(as_of) or len(days) < 2:
        return None
    today = int(days["pupils"].iloc[-1])
    previous = days["pupils"].iloc[-1 - SURGE_WINDOW:-1]
    mean = float(previous.mean())
    return {"today": today, "previous_mean": mean, "previous_days": int(len(previous)),
            "rising": today > 0 and today >= SURGE_FACTOR * mean}


@dataclass
class Core:
    """The part of a township's cut that its headline figures come from (``headline_of``)."""

    roster: pd.DataFrame  # the township's current roster rows
    pupils: set[str] | None  # their person_keys (None: the county)
    absent_today: pd.DataFrame
    cases: pd.DataFrame  # attributed to the township
    case_counts: dict
    school_age: pd.DataFrame
    out_of_school: pd.DataFrame


def core_of(county: CountyPass, township: str | None) -> Core:
    town_roster = county._rows_in(county.roster_now, township)
    town_pupils = None if township is None else set(town_roster["person_key"])
    town_cases = county._rows_in(county.cases, township)
    return Core(
        roster=town_roster, pupils=town_pupils,
        absent_today=county._rows_with(county.absent_today, "person_key", town_pupils).reset_index(drop=True),
        cases=town_cases,
        case_counts=case_measures.case_counts(town_cases, set(county.tables["poverty"]["person_key"]),
                                              tuopin_keys(county.tables["poverty"])),
        school_age=county._rows_in(county.school_age, township),
        out_of_school=county._rows_in(county.out_of_school, township).reset_index(drop=True),
    )


TUOPIN = "脱贫户"  # the poverty register's 类别 that 脱贫户 means; 监测户, 低保户, 特困供养 are others


def tuopin_keys(poverty: pd.DataFrame) -> set[str]:
    """The children the poverty register lists with 类别 脱贫户 exactly (cases_open_tuopin)."""
    return set(poverty.loc[poverty["category"].astype(str).str.strip().eq(TUOPIN), "person_key"])


def headline_of(core: Core) -> dict[str, Any]:
    """The figures of the 周通报 ranking, as the township's metrics.json has them."""
    counts = core.case_counts
    return {
        "enrolled": int(rates.enrolled_count(core.roster)),
        "enrollment_rate": matching.enrollment_rate(len(core.school_age), len(core.out_of_school)),
        "absent_unexcused_today": int(len(core.absent_today)),
        "cases_open": counts["cases_open"],
        "cases_open_poverty": counts["cases_open_poverty"],
        "cases_open_tuopin": counts["cases_open_tuopin"],
        "notices_overdue": counts["notices_overdue"],
    }


def verified_by_result(school_age: pd.DataFrame) -> dict[str, int]:
    """suspected_verified: for each 核查结果 (schema.VERIFICATION_RESULTS), the school-age children
    whose result on as_of has the evidence it needs (``check_result``, ``check_evidenced``)."""
    verified = school_age.loc[school_age["check_evidenced"].astype(bool), "check_result"]
    counts = verified.value_counts()
    return {result: int(counts.get(result, 0)) for result in VERIFICATION_RESULTS}


@dataclass
class TownshipRows:
    """A township's own rows of every county-wide measure and ledger, and the county-wide
    figures its report repeats (None: the county, every row).

    Its Analysis is computed from these alone, with params, as_of and the school days
    (``compute_analysis`` is given nothing else): their digest fingerprints the report's inputs
    (``kcbx.runner.prepare``) without computing the report, and cannot miss one of them.
    """

    township: str | None
    core: Core
    streaks: pd.DataFrame          # of its pupils
    absence: pd.DataFrame          # the absence ledger's rows of its pupils
    duplicates: pd.DataFrame       # of its 在读 pupils
    pupil_cases: pd.DataFrame      # the county's cases of its pupils, wherever registered
    case_events: pd.DataFrame      # the events of its cases
    enrollment: pd.DataFrame       # the enrollment ledger's rows of it
    home_teaching_due: pd.DataFrame
    home_teaching: pd.DataFrame    # its due children × month compliance
    visits: pd.DataFrame           # the home-teaching ledger's rows of them
    poverty: pd.DataFrame          # the register's rows of its pupils, case and school-age children
    subsidy: pd.DataFrame          # payments to its pupils
    subsidy_not_due: pd.DataFrame  # its pupils paid 生活补助 though not eligible (不应发)
    transition: pd.DataFrame | None
    person_groups: pd.DataFrame    # its pupils and case children
    warning_scores: pd.DataFrame
    backtest: warning.Backtest
    ingest_log: pd.DataFrame
    rejected: pd.DataFrame
    findings: pd.DataFrame
    unenrolled_poverty: pd.DataFrame
    unenrolled_disability: pd.DataFrame
    disability: pd.DataFrame       # the disability register's rows of it (its 乡镇)
    # The current roster rows, wherever they are, of its school-age children and of its disability
    # register's children: the forms' 学籍号, 休学 and school of each (外乡镇就读 too).
    register_roster: pd.DataFrame
    ingest_totals: dict[str, int]  # the county ingest's rows read, accepted, rejected
    absence_data_through: dt.date | None
    school_reporting: pd.DataFrame  # its schools: reported today, last reported (reporting.school_reporting)
    compliance_checks: pd.DataFrame  # 合规检查 rows of its cases (case township) and pupils
    stale: tuple[str, ...] = ()    # a line for each ledger file that could not be read, whose rows it uses
    verification_ledger: bool = False  # the county has a verification ledger (suspected_verified {} if not)


# Which input each part of a township's rows comes from: a ledger kind (schema.KIND_LABELS),
# or "ingest" for what the ingest noted. A report rendered again names the inputs whose rows
# changed; every field of TownshipRows and of its Core is in exactly one group (a test checks).
ROWS_BY_INPUT: dict[str, tuple[str, ...]] = {
    "roster": ("core.roster", "core.pupils", "duplicates", "transition", "person_groups", "register_roster"),
    "population": ("core.school_age", "core.out_of_school"),
    "absence": ("streaks", "absence", "core.absent_today", "absence_data_through", "warning_scores",
                "backtest", "school_reporting"),
    "cases": ("core.cases", "core.case_counts", "pupil_cases", "case_events", "compliance_checks"),
    "poverty": ("poverty", "unenrolled_poverty"),
    "disability": ("home_teaching_due", "unenrolled_disability", "disability"),
    "home_teaching": ("home_teaching", "visits"),
    "subsidy": ("subsidy", "subsidy_not_due"),
    "enrollment": ("enrollment",),
    "verification": ("verification_ledger",),
    "ingest": ("township", "ingest_log", "rejected", "findings", "ingest_totals", "stale"),
}


def rows_by_input(rows: TownshipRows) -> dict[str, list[Any]]:
    """The township's rows grouped by the input they come from (``ROWS_BY_INPUT``)."""
    def value(name: str) -> Any:
        owner, _, field = name.rpartition(".")
        return getattr(rows.core if owner == "core" else rows, field)

    return {source: [value(name) for name in names] for source, names in ROWS_BY_INPUT.items()}


def _enrolled_keys(roster: pd.DataFrame) -> set[str]:
    return set(roster.loc[roster["status"] == matching.ENROLLED_STATUS, "person_key"])


def select_rows(county: CountyPass, township: str | None) -> TownshipRows:
    """The township's rows of the county pass (None: the county's, all of them)."""
    tables = county.tables
    core = core_of(county, township)
    pupils = core.pupils
    case_children = None if pupils is None else pupils | set(core.cases["person_key"])
    register_children = (None if case_children is None
                         else case_children | set(core.school_age["person_key"]))
    absence = tables["absence"]
    due = county._rows_in(county.home_teaching_due, township)
    disability = county._rows_in(tables["disability"], township)
    due_keys = set(due["person_key"])
    log, rejected, findings = data_quality(tables["ingest_log"], county.rejected, county.findings,
                                           township, county.township_files)
    return TownshipRows(
        township=township, core=core,
        streaks=county._rows_with(county.streaks, "person_key", pupils),
        absence=county._rows_with(absence, "person_key",
                         set(county.roster_now["person_key"]) if pupils is None else pupils),
        duplicates=county._rows_with(county.duplicates, "person_key", _enrolled_keys(core.roster)),
        pupil_cases=county._rows_with(county.cases, "person_key", pupils),
        case_events=county._rows_with(county.case_events, "case_id", set(core.cases["case_id"])),
        enrollment=county._rows_in(tables["enrollment"], township),
        home_teaching_due=due,
        home_teaching=county._rows_with(county.home_teaching, "person_key", due_keys),
        visits=county._rows_with(tables["home_teaching"], "person_key", due_keys),
        poverty=county._rows_with(tables["poverty"], "person_key", register_children),
        subsidy=county._rows_with(tables["subsidy"], "person_key", pupils),
        subsidy_not_due=county._rows_in(county.subsidy_not_due, township).reset_index(drop=True),
        transition=county._rows_in(county.transition, township),
        person_groups=county._rows_with(county.person_groups, "person_key", case_children),
        warning_scores=county._rows_in(county.warning_scores, township),
        backtest=county.warning_backtest.of_township(township),
        ingest_log=log, rejected=rejected, findings=findings,
        unenrolled_poverty=county._rows_in(county.unenrolled_poverty, township),
        unenrolled_disability=county._rows_in(county.unenrolled_disability, township),
        disability=disability,
        register_roster=(county.roster_now if township is None else county._rows_with(
            county.roster_now, "person_key", set(core.school_age["person_key"]) | set(disability["person_key"]))),
        # The county ingest's totals, as the contract defines rows_read … for every report; no
        # part of a township's fingerprint (kcbx.runner.prepare): a reused report gets the run's
        # totals written into its metrics.json (kcbx.runner.reuse).
        ingest_totals=county.ingest_totals,
        absence_data_through=county.absence_data_through,
        school_reporting=county._rows_in(county.school_reporting, township).reset_index(drop=True),
        compliance_checks=county._rows_in(county.compliance_checks, township).reset_index(drop=True),
        stale=stale_lines(tables.get("stale_files"), township),
        verification_ledger=county.verification_ledger,
    )


def stale_lines(stale: pd.DataFrame | None, township: str | None) -> tuple[str, ...]:
    """The lines a report shows for the ledger files that could not be read: the county's all
    of them; a township's those whose kept rows are of it, and those with no township (a file
    that kept nothing, or a kind without one: it may be anyone's)."""
    if stale is None or stale.empty:
        return ()
    mine = [township is None or not towns or township in towns for towns in stale["townships"]]
    return tuple(stale.loc[mine, "message"])


def compute_analysis(rows: TownshipRows, params: Params, as_of: dt.date, days: pd.DatetimeIndex) -> Analysis:
    """One township's Analysis (None: the county) from its rows: each figure given to the
    township of the register it comes from (see the module's docstring)."""
    township, core = rows.township, rows.core
    year = school_year_of(as_of)
    headline = headline_of(core)

    # --- school side: the current roster of the township -------------------------------
    town_roster, town_pupils = core.roster, core.pupils
    streaks, today, town_absence = rows.streaks, core.absent_today, rows.absence
    reading_keys = _enrolled_keys(town_roster)
    duplicates = rows.duplicates

    # --- cases --------------------------------------------------------------------------
    town_cases, counts = core.cases, core.case_counts
    town_events = rows.case_events

    # --- register side: the population ledger --------------------------------------------
    school_age, out = core.school_age, core.out_of_school

    # --- rates from the enrollment ledger ------------------------------------------------
    town_enrollment = rows.enrollment
    retention = rates.retention_rate(town_enrollment, year)

    # --- support -------------------------------------------------------------------------
    home_teaching_due, compliance = rows.home_teaching_due, rows.home_teaching
    ht = params.home_teaching
    ht_summary = support.home_teaching_summary(home_teaching_due, compliance,
                                               funding_per_year=ht.funding_per_year)
    # Over the period of the compliance sheet: the term's start to as_of.
    workload = support.teacher_workload(rows.visits, workload_hours_per_visit=ht.workload_hours_per_visit,
                                        start=params.term_start, end=min(as_of, params.term_end))
    # Only the township's pupils' register rows and payments can count.
    subsidy = support.subsidy_check(town_roster, of_people(rows.poverty, town_pupils),
                                    rows.subsidy, as_of, params.subsidy)
    transition = rows.transition

    # --- key groups ----------------------------------------------------------------------
    top = max(params.escalation)
    escalated_keys = set(streaks.loc[streaks["streak"] >= top, "person_key"])
    # Against every case of the county: a pupil's case may be registered in another township.
    notices_missing = case_measures.notices_missing(streaks, rows.pupil_cases, top)
    group_figures = groups.group_summary(
        rows.person_groups, reading_keys, town_cases[town_cases["state"] == "open"], escalated_keys)

    # --- trends, for the header's alerts -------------------------------------------------
    daily = escalation.daily_unexcused(town_absence, days, as_of)
    states = case_measures.states_over_time(town_events, days[days <= pd.Timestamp(as_of)],
                                            params.notice_days)

    # --- 预警名单: of the township's pupils by their first 在读 row; cases by case township --
    warning_scores, backtest = rows.warning_scores, rows.backtest
    log, rejected, findings = rows.ingest_log, rows.rejected, rows.findings

    n_school_age, n_out = len(school_age), len(out)
    is_school_day = bool(pd.Timestamp(as_of) in days)
    schools_reported, schools_not_reported = reporting.reporting_lists(rows.school_reporting, is_school_day)
    metrics = {
        "as_of": as_of.isoformat(),
        "county": params.county,
        "township": township,
        "enrolled": headline["enrolled"],
        "school_age_population": int(n_school_age),
        "out_of_school_suspected": int(n_out),
        "enrollment_rate": headline["enrollment_rate"],
        "duplicate_enrollments": int(len(duplicates)),
        "absent_unexcused_today": headline["absent_unexcused_today"],
        "escalation": escalation.escalation_counts(streaks, params.escalation),
        "cases_total": counts["cases_total"],
        "cases_open": headline["cases_open"],
        "cases_open_poverty": headline["cases_open_poverty"],
        "cases_returned": counts["cases_returned"],
        "return_rate": counts["return_rate"],
        "closure_rate": counts["closure_rate"],
        "notices_overdue": headline["notices_overdue"],
        "retention_rate": retention["rate"],
        "retention_flag": retention["flag"],
        "cohort": rates.cohort(town_enrollment, year),
        "dropout_rate": rates.dropout_rate(town_cases, headline["enrolled"], as_of),
        "groups": group_figures,
        "home_teaching_due": int(ht_summary["due"]),
        "home_teaching_compliant": int(ht_summary["compliant"]),
        "subsidy_eligible": int(len(subsidy)),
        "subsidy_short": int(subsidy["short"].sum()) if len(subsidy) else 0,
        "transition_missing": None if transition is None else int(len(transition)),
        **rows.ingest_totals,
        # Beyond the fixed keys (docs/metrics.md): figures the report shows beside them.
        "cases_by_state": counts["cases_by_state"],
        "cases_struck_unverified": counts["cases_struck_unverified"],
        "cases_open_tuopin": counts["cases_open_tuopin"],
        # 已清零 only when all three are 0 (suspected_unverified: 疑似失学 children with no
        # verification row at all; every one of them without a verification ledger).
        "clearance_blockers": {
            "cases_open": headline["cases_open"],
            # notices_missing's pupils at the top rung with no open case (the 附件1 column too).
            "top_rung_without_case": int(notices_missing["finding"].eq(case_measures.NO_OPEN_CASE).sum()),
            "suspected_unverified": int(out["check_result"].isna().sum()),  # out_of_school carries its check
        },
        # 疑似失学核查: school-age children by the result of their check (with its evidence);
        # those still to verify or confirmed out of school.
        "suspected_verified": verified_by_result(school_age) if rows.verification_ledger else {},
        "suspected_pending": int(n_out),
        "notices_missing": int(len(notices_missing)),
        "clearance": case_measures.clearance_progress(town_cases, as_of, params.target_date),
        "retention_detail": retention,
        "retention_by_cohort": rates.retention_by_cohort(town_enrollment, year),
        "home_teaching_funding_due": ht_summary.get("funding_due"),
        "subsidy_missing_yuan": float(subsidy["missing"].sum()) if len(subsidy) else 0.0,
        "school_days_so_far": int((days <= pd.Timestamp(as_of)).sum()),
        "is_school_day": is_school_day,
        "return_funnel": case_measures.return_funnel(town_cases, params.term_start,
                                                     rows.poverty["person_key"], tuopin_keys(rows.poverty)),
        "unexcused_surge": unexcused_surge(daily, as_of),
        "open_cases_week_ago": case_measures.open_cases_before(states, as_of, WEEK.days),
        "school_age_standing": {name: int(n) for name, n in school_age["standing"].value_counts()
                                .reindex(matching.STANDINGS, fill_value=0).items()},
        "absence_data_through": (None if rows.absence_data_through is None
                                 else rows.absence_data_through.isoformat()),
        # 零报告 (docs/metrics.md): who has sent today's absences or a 零报告, who has not, and
        # each school's last day in.
        "schools_reported": schools_reported,
        "schools_not_reported": schools_not_reported,
        "absence_data_through_by_school": reporting.data_through_by_school(rows.school_reporting),
        # A term year chinese-calendar and params lack runs on an estimate (kcbx.calendar).
        "calendar_estimated": calendar_coverage(params).estimated,
        "early_warning": warning.warning_figures(warning_scores, backtest),
        # Beyond the fixed keys: the back-test's look-back day L (null: too early in the term).
        "early_warning_lookback_day": (None if backtest.lookback_day is None
                                       else backtest.lookback_day.date().isoformat()),
    }

    return Analysis(
        params=params, as_of=as_of, township=township, metrics=metrics, school_days=days,
        roster=town_roster,
        enrolled_by_school_grade=rates.enrollment_by_school_grade(town_roster),
        streaks=streaks, absent_today=today,
        daily_unexcused=daily,
        cases=town_cases, case_events=town_events,
        case_breakdowns={column: case_measures.breakdown(town_cases, column)
                         for column in ("state", "cause", "method", "placement")},
        clearance=metrics["clearance"],
        states_over_time=states,
        school_age=school_age, out_of_school=out, duplicates=duplicates,
        unenrolled_poverty=rows.unenrolled_poverty, unenrolled_disability=rows.unenrolled_disability,
        home_teaching=compliance, home_teaching_summary=ht_summary, teacher_workload=workload,
        subsidy=subsidy, subsidy_not_due=rows.subsidy_not_due, transition=transition,
        person_groups=rows.person_groups.reset_index(drop=True),
        findings=findings, rejected=rejected, ingest_log=log, notices_missing=notices_missing, stale=rows.stale,
        day_absences=escalation.absences_on(town_absence, days, as_of),
        home_teaching_due=home_teaching_due.reset_index(drop=True),
        disability=rows.disability.reset_index(drop=True), register_roster=rows.register_roster,
        poverty=matching.first_row_per_person(rows.poverty)[["person_key", "category"]
                                                            ].reset_index(drop=True),
        early_warning=warning.listed_pupils(warning_scores),
        compliance=rows.compliance_checks,
        school_reporting=rows.school_reporting,
    )
