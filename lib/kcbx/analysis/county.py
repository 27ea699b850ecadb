"""The county pass: every county-wide measure of one county on one day, computed once;
each township's ``Analysis`` is cut from it (``kcbx.analysis.cut``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kcbx import schema
from kcbx.analysis.attribution import (
    KeyIndex,
    attribute_case_townships,
    attribute_to_townships,
    files_by_township,
    in_township,
    row_townships,
    rows_of,
    townships_in_scope,
)
from kcbx.analysis.cut import TownshipRows, compute_analysis, core_of, headline_of, select_rows
from kcbx.analysis.model import COUNTY_WIDE, Analysis
from kcbx.analysis.ranking import ranking_rows
from kcbx.calendar import school_days_for
from kcbx.measures import cases as case_measures
from kcbx.measures import escalation, groups, matching, reporting, support, verification, warning
from kcbx.measures.common import FINDING_COLUMNS, current_roster
from kcbx.measures.compliance import compliance_checks, known_birth_dates
from kcbx.measures.matching import first_row_per_person
from kcbx.params import Params


@dataclass
class CountyPass:
    """The measures of one county on one day, computed once; each township's Analysis is cut
    from them by ``analysis(township)``: measured once, rendered many times
    (docs/architecture.md, "One run, step by step").

    Measures that need the whole county (case attribution, duplicates, the registers'
    matching, key groups, findings) are always county-wide. Measures made of one row per
    pupil or child (absence streaks, 疑似失学, home-teaching months) cover ``scope``: every
    pupil of the county (None, a run), or one township's (``analyse`` for one township),
    which is how a test checks that cutting a county-wide measure equals measuring a
    township alone.
    """

    tables: dict[str, pd.DataFrame]
    params: Params
    as_of: dt.date
    scope: str | None
    school_days: pd.DatetimeIndex
    roster_now: pd.DataFrame
    streaks: pd.DataFrame        # pupils of scope with a streak ≥ 1, level and action
    absent_today: pd.DataFrame
    absence_data_through: dt.date | None  # county-wide: the last school day with absence or 零报告 rows
    school_reporting: pd.DataFrame  # county-wide: each school's report today and last (reporting.school_reporting)
    duplicates: pd.DataFrame     # county-wide
    cases: pd.DataFrame          # case_table of the county, township attributed
    case_states: pd.DataFrame
    case_events: pd.DataFrame    # every event with its case_id
    school_age: pd.DataFrame     # county-wide 适龄儿童台账, with standing and each child's check (CHECK_COLUMNS)
    out_of_school: pd.DataFrame  # of scope's school-age children
    home_teaching_due: pd.DataFrame
    home_teaching: pd.DataFrame  # scope's due children × month
    transition: pd.DataFrame | None
    subsidy_not_due: pd.DataFrame  # county-wide: 生活补助 paid to pupils not eligible (不应发)
    unenrolled_poverty: pd.DataFrame
    unenrolled_disability: pd.DataFrame
    person_groups: pd.DataFrame
    findings: pd.DataFrame       # county-wide, each with its township (None: unattributed)
    rejected: pd.DataFrame       # the store's rejected rows, each with its township
    township_files: dict[str, set[str]]
    ingest_totals: dict[str, int]
    warning_scores: pd.DataFrame  # scope's pupils scored on as_of (warning.score_day), with contacts
    warning_backtest: warning.Backtest  # scope's back-test: its listed pupils on L, its cases since
    compliance_checks: pd.DataFrame  # 合规检查: cases by case township, scope's pupils by roster township
    verification_ledger: bool = False  # the county has a verification ledger (rows of 核查)

    # (frame id, column) -> the frame's KeyIndex, which keeps the frame: its id is not reused
    _indexes: dict[tuple[int, str], KeyIndex] = field(
        default_factory=dict, repr=False, compare=False)

    def _rows_in(self, frame: pd.DataFrame | None, township: str | None,
                 column: str = "township") -> pd.DataFrame | None:
        """``in_township`` for the pass's own tables (``_rows_with`` of the one township)."""
        if township is None or frame is None:
            return frame
        return self._rows_with(frame, column, (township,))

    def _rows_with(self, frame: pd.DataFrame, column: str, keys: Collection[str] | None) -> pd.DataFrame:
        """``attribution.rows_of`` for the pass's own tables (``of_people`` when keys is None:
        every row), through each table's ``KeyIndex``, made once: a township's rows are found
        by its keys' codes, not by testing each of the county's texts for each of 49 townships."""
        if keys is None:
            return frame
        key = (id(frame), column)
        if key not in self._indexes:
            self._indexes[key] = KeyIndex(frame, column)
        return self._indexes[key].rows(keys)

    def townships(self) -> list[str]:
        """The townships a run covers: every township of the current roster or the
        population ledger, unless params lists them (params townships, docs/params.md)."""
        return townships_in_scope(self.tables, self.params, self.as_of)

    def headline_figures(self, townships: Sequence[str]) -> list[dict[str, Any]]:
        """Each township's figures of the 周通报 ranking, exactly as its Analysis has them,
        without cutting the rest of it: the county's report need not wait for every
        township's slice to be cut."""
        if self.scope is not None:
            raise ValueError(f"measured for {self.scope} only, not for the county's townships")
        return [{"township": township, **headline_of(core_of(self, township))} for township in townships]

    def ranking(self, townships: Sequence[str]) -> pd.DataFrame:
        """The 周通报 ranking of these townships: one row each, ``RANKING_KEYS``."""
        return ranking_rows(self.headline_figures(townships))

    def rows(self, township: str | None) -> TownshipRows:
        """The township's rows of every county-wide measure (None: the county's): what its
        Analysis is computed from (``analysis_of``)."""
        if self.scope is not None and township != self.scope:
            raise ValueError(f"measured for {self.scope}, not for {township or COUNTY_WIDE}")
        return select_rows(self, township)

    def analysis_of(self, rows: TownshipRows, ranking: pd.DataFrame | None = None) -> Analysis:
        """The Analysis of a township's rows, cut by ``rows``; the county's carries the ranking
        of its townships (``ranking``, when the caller has made it already)."""
        analysis = compute_analysis(rows, self.params, self.as_of, self.school_days)
        if rows.township is None and self.scope is None:
            analysis.ranking = self.ranking(self.townships()) if ranking is None else ranking
        return analysis

    def analysis(self, township: str | None) -> Analysis:
        """The township's Analysis (None: the county), cut from the county-wide measures."""
        return self.analysis_of(self.rows(township))


def measure_county(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date,
                   scope: str | None = None) -> CountyPass:
    """Every county-wide measure on as_of, once (see CountyPass; scope: None or a township)."""
    days = school_days_for(params)
    roster, population = tables["roster"], tables["population"]
    poverty, disability = tables["poverty"], tables["disability"]
    roster_now = current_roster(roster, as_of)
    scope_pupils = (None if scope is None
                    else set(in_township(roster_now, scope)["person_key"]))

    absence = tables["absence"]
    pupils_absence = rows_of(absence, "person_key",
                              set(roster_now["person_key"]) if scope_pupils is None else scope_pupils)
    streaks = escalation.absence_streaks(pupils_absence, days, as_of)
    streaks = escalation.escalation_levels(streaks[streaks["streak"] > 0], params.escalation)

    events = tables["cases"]
    cases = attribute_case_townships(
        case_measures.case_table(events, as_of, params.notice_days, days), roster_now, population)
    case_states = case_measures.case_states_on(cases)

    school_age = matching.school_age_children(
        population, as_of, params.school_age_min, params.school_age_max, case_states)
    # 疑似失学核查: each child's latest verification on as_of, and the standing it gives.
    verification_rows = tables.get("verification")
    checks = verification.latest_results(verification_rows, as_of)
    school_age = matching.with_checks(school_age, checks).assign(
        standing=matching.school_age_standing(school_age, roster, as_of, case_states, checks))
    transition = support.transition_missing(roster, as_of, case_states)
    # The 疑似失学 list says which of its children another list holds too (an open case, a
    # 小升初 gap), so nobody adds the lists up.
    names = matching.grade_names(params.junior_grade_names)
    out = matching.out_of_school(in_township(school_age, scope), roster, as_of, case_states, names, checks)
    out = out.assign(transition_gap=out["person_key"].isin(
        set() if transition is None else set(transition["person_key"])),
        in_absence_ledger=out["person_key"].isin(set(tables["absence"]["person_key"])))
    home_teaching_due = support.home_teaching_due(disability)
    ht = params.home_teaching
    compliance = support.home_teaching_compliance(
        in_township(home_teaching_due, scope), tables["home_teaching"], params.term_start,
        params.term_end, as_of, visits_per_month=ht.visits_per_month, hours_per_visit=ht.hours_per_visit)

    measured_findings = [tables.get("findings"),
                         escalation.absence_findings(absence, days, set(roster_now["person_key"])),
                         case_measures.case_findings(events, as_of),
                         support.subsidy_reversal_findings(tables["subsidy"]),
                         verification.evidence_findings(checks)]
    found = [f for f in measured_findings if f is not None and len(f)]
    totals = tables["ingest_log"][["rows_read", "rows_accepted", "rows_rejected"]].fillna(0).sum()
    rows = row_townships(tables, roster_now)
    # 预警名单: the ledgers read once, then the pupils scored on as_of and on the look-back day.
    evidence = warning.warning_evidence(roster, absence, events, poverty, disability, days)
    early = params.early_warning
    warning_scores = warning.with_contacts(warning.score_day(evidence, as_of, early, scope), population)
    linked_events = case_measures.case_events(events)
    today = escalation.absent_today(pupils_absence, days, as_of)
    zero_reports = tables.get(schema.ZERO_REPORTS)  # None: tables made without the store's
    reported = reporting.reported_days(absence, zero_reports, roster_now, days)
    # A day with only 零报告 rows is a day whose data is in (nobody was absent).
    report_dates = absence[["date"]] if zero_reports is None else pd.concat(
        [absence[["date"]], zero_reports[["date"]]], ignore_index=True)
    return CountyPass(
        tables=tables, params=params, as_of=as_of, scope=scope, school_days=days,
        roster_now=roster_now, streaks=streaks,
        absent_today=today,
        absence_data_through=escalation.absence_data_through(report_dates, days, as_of),
        school_reporting=reporting.school_reporting(roster_now, reported, days, as_of),
        duplicates=matching.duplicate_enrollments(roster_now),
        cases=cases, case_states=case_states, case_events=linked_events,
        school_age=school_age,
        out_of_school=out,
        home_teaching_due=home_teaching_due, home_teaching=compliance,
        transition=transition,
        subsidy_not_due=support.subsidy_not_due(roster_now, poverty, tables["subsidy"], as_of),
        unenrolled_poverty=matching.unenrolled_register_children(
            poverty, roster, as_of, case_states, names),
        unenrolled_disability=matching.unenrolled_register_children(
            disability, roster, as_of, case_states, names),
        person_groups=groups.person_groups(roster_now, poverty, disability, cases),
        findings=attribute_to_townships(pd.concat(found, ignore_index=True) if found
                                        else pd.DataFrame(columns=list(FINDING_COLUMNS)), rows),
        rejected=attribute_to_townships(tables["rejected_rows"], rows),
        township_files=files_by_township(rows),
        ingest_totals={key: int(totals[key]) for key in ("rows_read", "rows_accepted", "rows_rejected")},
        warning_scores=warning_scores,
        warning_backtest=warning.backtest(evidence, cases, as_of, early, scope),
        compliance_checks=compliance_checks(
            cases=cases, case_events=linked_events,
            # Every pupil's absences (not scope's): a case's child may be another township's pupil.
            absence=pupils_absence if scope is None else rows_of(
                absence, "person_key", set(roster_now["person_key"])),
            streaks=streaks, absent_today=today, early_warning=warning.listed_pupils(warning_scores),
            pupils=first_row_per_person(roster_now), population=population,
            birth_dates=known_birth_dates(roster_now, population),
            school_days=days, as_of=as_of, escalation=params.escalation,
            notice_grace_days=params.notice_grace_days, notice_days=params.notice_days,
            strike_off_days=params.strike_off_days, term_start=params.term_start,
            confirmed=school_age[school_age["check_result"].eq(verification.CONFIRMED).to_numpy(dtype=bool)],
            case_open_days=params.case_open_days),
        verification_ledger=verification_rows is not None and not verification_rows.empty,
    )


def analyse(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date,
            township: str | None = None) -> Analysis:
    """Every measure of metrics.json (docs/metrics.md) for one township (None: the county) on as_of, measured
    for that township alone (a run measures the county once instead: ``measure_county``)."""
    return measure_county(tables, params, as_of, scope=township).analysis(township)


