"""Assembles every measure for one township (or the county) and metrics.json.

The measures in ``kcbx.measures`` are computed over the whole county, then each
figure is given to the township of the register it comes from (contract,
"Each figure belongs to the township of the register it comes from"):

- school side (enrolment, absences, subsidies, groups): the 乡镇 of the pupil's
  current roster row — a pupil on two townships' rosters counts in each;
- register side (school-age population, suspected out of school, 入学率): the
  乡镇 of the child's population row;
- a case: the 乡镇 of its 登记 event, else the child's roster township, else the
  population township;
- home teaching: the disability register's 乡镇; 小升初: last year's roster row;
- 巩固率 and the cohort: the enrollment ledger's own 乡镇 column.

The county run (township None) takes every row once, so a duplicate child counts once.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kcbx import fields, schema
from kcbx.calendar import calendar_coverage, school_days_for
from kcbx.measures import cases as case_measures
from kcbx.measures import escalation, groups, matching, rates, support, warning
from kcbx.measures.common import FINDING_COLUMNS, current_roster, is_in, school_year_of
from kcbx.params import Params, ParamsError

CONTRACT_KEYS = (
    "as_of", "county", "township", "enrolled", "school_age_population",
    "out_of_school_suspected", "enrollment_rate", "duplicate_enrollments",
    "absent_unexcused_today", "escalation", "cases_total", "cases_open",
    "cases_open_poverty", "cases_returned", "return_rate", "closure_rate",
    "notices_overdue", "retention_rate", "retention_flag", "cohort", "dropout_rate",
    "groups", "home_teaching_due", "home_teaching_compliant", "subsidy_eligible",
    "subsidy_short", "transition_missing", "rows_read", "rows_accepted", "rows_rejected",
    "early_warning",
)

ENROLLED = "在读"
# The header's trend alert (issue 10): today's unexcused absences at least SURGE_FACTOR times
# the mean of the SURGE_WINDOW school days before; open cases against a week before.
SURGE_WINDOW, SURGE_FACTOR = 5, 2
WEEK = 7
NO_ROWS = np.array([], dtype=np.intp)


RANKING_KEYS = ("cases_open", "cases_open_poverty", "notices_overdue", "enrollment_rate",
                "absent_unexcused_today", "enrolled")


def ranking_rows(metrics: Sequence[dict]) -> pd.DataFrame:
    """One row per township's metrics with the figures of the weekly ranking (周通报)."""
    columns = ["township", *RANKING_KEYS]
    return pd.DataFrame([{key: row.get(key) for key in columns} for row in metrics], columns=columns)


def no_history() -> pd.DataFrame:
    """The ``history`` of a county with no earlier complete run: its two key columns, empty."""
    return pd.DataFrame({"as_of": pd.Series(dtype="datetime64[ns]"), "township": pd.Series(dtype=object)})


def townships_in_data(tables: dict[str, pd.DataFrame], as_of: dt.date) -> list[str]:
    """Every township found in the current roster or the population ledger, sorted."""
    names = set(current_roster(tables["roster"], as_of)["township"].dropna())
    names |= set(tables["population"]["township"].dropna())
    return sorted(str(n) for n in names if str(n).strip())


def townships_in_scope(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date) -> list[str]:
    """Every township found in the current roster or the population ledger, unless params lists
    them; a listed township the ledgers do not know is an error (its report would be all zeros)."""
    known = townships_in_data(tables, as_of)
    if not params.townships:
        return known
    unknown = [name for name in params.townships if name not in known]
    if unknown:
        hints = "; ".join(f"{name}: did you mean {'、'.join(close)}?"
                          for name in unknown if (close := difflib.get_close_matches(name, known, n=3)))
        raise ParamsError(f"{params.path}: 'townships': {'、'.join(unknown)} not in the current roster "
                          f"or the population ledger{'; ' + hints if hints else ''}; "
                          f"known: {'、'.join(known)}")
    return list(params.townships)


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
class Analysis:
    """Everything one report shows: metrics.json plus the tables behind each figure.

    Tables hold full identities; ``kcbx.report`` masks them for the HTML.
    """

    params: Params
    as_of: dt.date
    township: str | None
    metrics: dict
    school_days: pd.DatetimeIndex
    roster: pd.DataFrame                  # current roster rows of the township
    enrolled_by_school_grade: pd.DataFrame
    streaks: pd.DataFrame                 # pupils with a streak ≥ 1, level and action owed
    absent_today: pd.DataFrame            # 日报: unexcused today
    daily_unexcused: pd.DataFrame
    cases: pd.DataFrame                   # one row per case (case_table), township attributed
    case_events: pd.DataFrame             # the events of those cases, with case_id
    case_breakdowns: dict[str, pd.DataFrame]
    clearance: dict
    states_over_time: pd.DataFrame
    school_age: pd.DataFrame              # 适龄儿童台账
    out_of_school: pd.DataFrame           # 疑似失学
    duplicates: pd.DataFrame
    unenrolled_poverty: pd.DataFrame
    unenrolled_disability: pd.DataFrame
    home_teaching: pd.DataFrame           # child × month compliance
    home_teaching_summary: dict
    teacher_workload: pd.DataFrame
    subsidy: pd.DataFrame
    transition: pd.DataFrame | None
    person_groups: pd.DataFrame           # the township's pupils and case children
    findings: pd.DataFrame
    rejected: pd.DataFrame
    ingest_log: pd.DataFrame
    day_absences: pd.DataFrame            # 日报 出勤统计: every pupil absent today, any type
    home_teaching_due: pd.DataFrame       # the disability register's 送教上门 children
    poverty: pd.DataFrame                 # person_key, category: the township's people in the register
    notices_missing: pd.DataFrame         # at the ladder's top rung without a 限期复学通知书
    # 预警名单: the pupils high or medium on as_of, highest score first (warning.listed_pupils):
    # person_key, name, id_number, student_no, township, school, grade, class_name, left_behind,
    # age, window_days, absent_days, unexcused_days, one bool per rule (warning.RULES), score,
    # level ("high", "medium"), guardian, phone
    early_warning: pd.DataFrame
    # The county's only (None for a township's): the 周通报 ranking, one row per township with
    # its RANKING_KEYS figures, from the same county pass; and the county's figures in earlier
    # complete runs (as_of ≤ this one). A run's county pass fills both; so does
    # ``workbook.open_county`` in JupyterLab.
    ranking: pd.DataFrame | None = None
    history: pd.DataFrame | None = None

    @property
    def title(self) -> str:
        return f"{self.params.county}{self.township or '全县'}"

    # Typed in Jupyter or a console: a short summary, no identities (kcbx.report.summary).
    def _repr_html_(self) -> str:
        from kcbx.report.summary import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        from kcbx.report.summary import summary_text

        return summary_text(self)


Analysis.__doc__ += fields.docstring()  # help(a), a? in Jupyter: every table described


def _in_township(frame: pd.DataFrame, township: str | None, column: str = "township") -> pd.DataFrame:
    if township is None or frame is None:
        return frame
    return frame[frame[column] == township]


def _of_people(frame: pd.DataFrame, keys: set[str] | None) -> pd.DataFrame:
    """The rows of these people; all rows when keys is None (the county)."""
    return frame if keys is None else _rows_of(frame, "person_key", keys)


def _rows_of(frame: pd.DataFrame, column: str, keys: Collection[str]) -> pd.DataFrame:
    """The rows whose ``column`` is one of keys, as ``frame[frame[column].isin(keys)]``."""
    return frame[is_in(frame[column], keys)]


def _first_township_by_person(frame: pd.DataFrame) -> pd.Series:
    """person_key → township of the person's first row in file order."""
    ordered = matching.first_row_per_person(frame.dropna(subset=["township"]))
    return ordered.set_index("person_key")["township"]


def attribute_case_townships(cases: pd.DataFrame, roster_now: pd.DataFrame,
                             population: pd.DataFrame) -> pd.DataFrame:
    """A case's township: of its 登记 event, else the child's roster township, else population."""
    fallback_roster = cases["person_key"].map(_first_township_by_person(roster_now))
    fallback_population = cases["person_key"].map(_first_township_by_person(population))
    township = cases["township"].where(cases["township"].notna(), fallback_roster)
    township = township.where(township.notna(), fallback_population)
    return cases.assign(township=township)


def row_townships(tables: dict[str, pd.DataFrame], roster_now: pd.DataFrame) -> pd.DataFrame:
    """Every accepted ledger row's township: kind, file, sheet, row, township — the row's 乡镇, else
    its person's current roster township; None when the row gives neither (an enrolment row
    always has one)."""
    roster_township = _first_township_by_person(roster_now)
    parts = []
    for kind in schema.KINDS:
        frame = tables[kind]
        if frame.empty:
            continue
        township = (frame["township"].astype(object) if "township" in frame.columns
                    else pd.Series(None, index=frame.index, dtype=object))
        if "person_key" in frame.columns:
            township = township.fillna(frame["person_key"].map(roster_township))
        parts.append(pd.DataFrame({"kind": kind, "file": frame["source_file"],
                                   "sheet": frame["source_sheet"], "row": frame["source_row"],
                                   "township": township}))
    if not parts:
        return pd.DataFrame(columns=["kind", "file", "sheet", "row", "township"])
    return _provenance_key(pd.concat(parts, ignore_index=True))


def _provenance_key(frame: pd.DataFrame) -> pd.DataFrame:
    """file, sheet, row in one spelling (a CSV's sheet is blank), so rows of the store, the
    rejected rows and the findings can be joined on them."""
    return frame.assign(sheet=frame["sheet"].fillna("").astype(str),
                        row=pd.to_numeric(frame["row"], errors="coerce").astype("Int64"))


def files_by_township(rows: pd.DataFrame) -> dict[str, set[str]]:
    """township → ledger files with a row of it (``row_townships``)."""
    found = rows[["township", "file"]].dropna().drop_duplicates()
    return {str(name): set(files) for name, files in found.groupby("township")["file"]}


def attribute_to_townships(problems: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows or findings (kind, file, sheet, row …) with the township they belong to.

    A problem on an accepted row (a finding) takes that row's township (``row_townships``).
    A rejected row is not in the store, and its 乡镇 cell is not kept: it takes its file's
    township when every attributed row of the file is of one township (a school's roster, a
    township's absences), and none when the file spans several — it is then shown to each of
    them, never guessed from its neighbours. The same holds for a problem on a header row.
    """
    if problems.empty:
        return problems.assign(township=pd.Series(dtype=object))
    keyed = _provenance_key(problems)
    where = ["kind", "file", "sheet", "row"]
    on_row = keyed[where].merge(rows.drop_duplicates(where), how="left", on=where)["township"]
    per_file = rows.dropna(subset=["township"]).groupby("file")["township"].unique()
    single = per_file[per_file.map(len) == 1].map(lambda names: names[0])
    of_row = pd.Series(on_row.to_numpy(dtype=object), index=problems.index)
    township = of_row.where(of_row.notna(), problems["file"].map(single))
    return problems.assign(township=township.astype(object).where(township.notna(), None))

def data_quality(log: pd.DataFrame, rejected: pd.DataFrame, findings: pd.DataFrame,
                 township: str | None, township_files: dict[str, set[str]]
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Ingest log, rejected rows and findings of one township (all of them for the county).

    A problem attributed to a township (``attribute_to_townships``) is shown to it alone; one
    that could not be attributed is shown to every township with a row in its file. A file
    that gave no accepted row (unreadable, missing header) belongs to every township: nobody
    can tell whose it is, and everybody should see it.
    """
    if township is None:
        return log, rejected, findings
    files = township_files.get(township, set()) | set(log.loc[log["rows_accepted"].fillna(0) == 0, "file"])

    def of_township(problems: pd.DataFrame) -> pd.DataFrame:
        if problems.empty:
            return problems
        unattributed = problems["township"].isna() & problems["file"].isin(files)
        return problems[(problems["township"] == township) | unattributed]

    return log[log["file"].isin(files)], of_township(rejected), of_township(findings)


@dataclass
class CountyPass:
    """The measures of one county on one day, computed once; each township's Analysis is cut
    from them by ``analysis(township)`` (architecture: "Compute once, render many").

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
    absence_data_through: dt.date | None  # county-wide: the last school day with absence rows
    duplicates: pd.DataFrame     # county-wide
    cases: pd.DataFrame          # case_table of the county, township attributed
    case_states: pd.DataFrame
    case_events: pd.DataFrame    # every event with its case_id
    school_age: pd.DataFrame     # county-wide 适龄儿童台账
    out_of_school: pd.DataFrame  # of scope's school-age children
    home_teaching_due: pd.DataFrame
    home_teaching: pd.DataFrame  # scope's due children × month
    transition: pd.DataFrame | None
    unenrolled_poverty: pd.DataFrame
    unenrolled_disability: pd.DataFrame
    person_groups: pd.DataFrame
    findings: pd.DataFrame       # county-wide, each with its township (None: unattributed)
    rejected: pd.DataFrame       # the store's rejected rows, each with its township
    township_files: dict[str, set[str]]
    ingest_totals: dict[str, int]
    warning_scores: pd.DataFrame  # scope's pupils scored on as_of (warning.score_day), with contacts
    warning_backtest: warning.Backtest  # scope's back-test: its listed pupils on L, its cases since

    # frame id -> (the frame, its row positions by township); the frame is kept so its id is not reused
    _positions: dict[tuple[int, str], tuple[pd.DataFrame, dict]] = field(
        default_factory=dict, repr=False, compare=False)

    def _rows_in(self, frame: pd.DataFrame | None, township: str | None,
                 column: str = "township") -> pd.DataFrame | None:
        """``_in_township`` for the pass's own tables: each is grouped by township once, not
        compared row by row for each of 49 townships."""
        if township is None or frame is None:
            return frame
        key = (id(frame), column)
        if key not in self._positions:
            self._positions[key] = (frame, frame.groupby(column, sort=False).indices)
        return frame.take(self._positions[key][1].get(township, NO_ROWS))

    def townships(self) -> list[str]:
        """The townships a run covers (contract: every township of the current roster or
        the population ledger, unless params lists them)."""
        return townships_in_scope(self.tables, self.params, self.as_of)

    def headline_figures(self, townships: Sequence[str]) -> list[dict[str, Any]]:
        """Each township's figures of the 周通报 ranking, exactly as its Analysis has them,
        without cutting the rest of it: the county's report need not wait for every
        township's slice to be cut (0.3 s for tongjiang's 49, against 4.2 s)."""
        if self.scope is not None:
            raise ValueError(f"measured for {self.scope} only, not for the county's townships")
        return [{"township": township, **_headline(_core(self, township))} for township in townships]

    def ranking(self, townships: Sequence[str]) -> pd.DataFrame:
        """The 周通报 ranking of these townships: one row each, ``RANKING_KEYS``."""
        return ranking_rows(self.headline_figures(townships))

    def rows(self, township: str | None) -> TownshipRows:
        """The township's rows of every county-wide measure (None: the county's): what its
        Analysis is computed from (``analysis_of``)."""
        if self.scope is not None and township != self.scope:
            raise ValueError(f"measured for {self.scope}, not for {township or '全县'}")
        return _select(self, township)

    def analysis_of(self, rows: TownshipRows, ranking: pd.DataFrame | None = None) -> Analysis:
        """The Analysis of a township's rows, cut by ``rows``; the county's carries the ranking
        of its townships (``ranking``, when the caller has made it already)."""
        analysis = _compute(rows, self.params, self.as_of, self.school_days)
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
                    else set(_in_township(roster_now, scope)["person_key"]))

    absence = tables["absence"]
    pupils_absence = _rows_of(absence, "person_key",
                              set(roster_now["person_key"]) if scope_pupils is None else scope_pupils)
    streaks = escalation.absence_streaks(pupils_absence, days, as_of)
    streaks = escalation.escalation_levels(streaks[streaks["streak"] > 0], params.escalation)

    events = tables["cases"]
    cases = attribute_case_townships(
        case_measures.case_table(events, as_of, params.notice_days, days), roster_now, population)
    case_states = case_measures.case_states_on(cases)

    school_age = matching.school_age_children(
        population, as_of, params.school_age_min, params.school_age_max, case_states)
    school_age = school_age.assign(
        standing=matching.school_age_standing(school_age, roster, as_of, case_states))
    transition = support.transition_missing(roster, as_of, case_states)
    # The 疑似失学 list says which of its children another list holds too (an open case, a
    # 小升初 gap), so nobody adds the lists up.
    names = matching.grade_names(params.junior_grade_names)
    out = matching.out_of_school(_in_township(school_age, scope), roster, as_of, case_states, names)
    out = out.assign(transition_gap=out["person_key"].isin(
        set() if transition is None else set(transition["person_key"])))
    home_teaching_due = support.home_teaching_due(disability)
    ht = params.home_teaching
    compliance = support.home_teaching_compliance(
        _in_township(home_teaching_due, scope), tables["home_teaching"], params.term_start,
        params.term_end, as_of, visits_per_month=int(ht["visits_per_month"]),
        hours_per_visit=float(ht["hours_per_visit"]))

    measured_findings = [tables.get("findings"),
                         escalation.absence_findings(absence, days, set(roster_now["person_key"])),
                         case_measures.case_findings(events, as_of)]
    found = [f for f in measured_findings if f is not None and len(f)]
    totals = tables["ingest_log"][["rows_read", "rows_accepted", "rows_rejected"]].fillna(0).sum()
    rows = row_townships(tables, roster_now)
    # 预警名单: the ledgers read once, then the pupils scored on as_of and on the look-back day.
    evidence = warning.warning_evidence(roster, absence, events, poverty, disability, days)
    early = params.early_warning
    return CountyPass(
        tables=tables, params=params, as_of=as_of, scope=scope, school_days=days,
        roster_now=roster_now, streaks=streaks,
        absent_today=escalation.absent_today(pupils_absence, days, as_of),
        absence_data_through=escalation.absence_data_through(absence, days, as_of),
        duplicates=matching.duplicate_enrollments(roster_now),
        cases=cases, case_states=case_states, case_events=case_measures.case_events(events),
        school_age=school_age,
        out_of_school=out,
        home_teaching_due=home_teaching_due, home_teaching=compliance,
        transition=transition,
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
        warning_scores=warning.with_contacts(warning.score_day(evidence, as_of, early, scope), population),
        warning_backtest=warning.backtest(evidence, cases, as_of, early, scope),
    )


@dataclass
class _Core:
    """The part of a township's cut that its headline figures come from (``_headline``)."""

    roster: pd.DataFrame  # the township's current roster rows
    pupils: set[str] | None  # their person_keys (None: the county)
    absent_today: pd.DataFrame
    cases: pd.DataFrame  # attributed to the township
    case_counts: dict
    school_age: pd.DataFrame
    out_of_school: pd.DataFrame


def _core(county: CountyPass, township: str | None) -> _Core:
    town_roster = county._rows_in(county.roster_now, township)
    town_pupils = None if township is None else set(town_roster["person_key"])
    town_cases = county._rows_in(county.cases, township)
    return _Core(
        roster=town_roster, pupils=town_pupils,
        absent_today=_of_people(county.absent_today, town_pupils).reset_index(drop=True),
        cases=town_cases,
        case_counts=case_measures.case_counts(town_cases, set(county.tables["poverty"]["person_key"])),
        school_age=county._rows_in(county.school_age, township),
        out_of_school=county._rows_in(county.out_of_school, township).reset_index(drop=True),
    )


def _headline(core: _Core) -> dict[str, Any]:
    """The figures of the 周通报 ranking, as the township's metrics.json has them."""
    counts = core.case_counts
    return {
        "enrolled": int(rates.enrolled_count(core.roster)),
        "enrollment_rate": matching.enrollment_rate(len(core.school_age), len(core.out_of_school)),
        "absent_unexcused_today": int(len(core.absent_today)),
        "cases_open": counts["cases_open"],
        "cases_open_poverty": counts["cases_open_poverty"],
        "notices_overdue": counts["notices_overdue"],
    }


@dataclass
class TownshipRows:
    """A township's own rows of every county-wide measure and ledger, and the county-wide
    figures its report repeats (None: the county, every row).

    Its Analysis is computed from these alone, with params, as_of and the school days
    (``_compute`` is given nothing else): their digest fingerprints the report's inputs
    (``kcbx.prepared``) without computing the report, and cannot miss one of them.
    """

    township: str | None
    core: _Core
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
    transition: pd.DataFrame | None
    person_groups: pd.DataFrame    # its pupils and case children
    warning_scores: pd.DataFrame
    backtest: warning.Backtest
    ingest_log: pd.DataFrame
    rejected: pd.DataFrame
    findings: pd.DataFrame
    unenrolled_poverty: pd.DataFrame
    unenrolled_disability: pd.DataFrame
    ingest_totals: dict[str, int]
    absence_data_through: dt.date | None


def _enrolled_keys(roster: pd.DataFrame) -> set[str]:
    return set(roster.loc[roster["status"] == ENROLLED, "person_key"])


def _select(county: CountyPass, township: str | None) -> TownshipRows:
    """The township's rows of the county pass (None: the county's, all of them)."""
    tables = county.tables
    core = _core(county, township)
    pupils = core.pupils
    case_children = None if pupils is None else pupils | set(core.cases["person_key"])
    register_children = (None if case_children is None
                         else case_children | set(core.school_age["person_key"]))
    absence = tables["absence"]
    due = county._rows_in(county.home_teaching_due, township)
    due_keys = set(due["person_key"])
    log, rejected, findings = data_quality(tables["ingest_log"], county.rejected, county.findings,
                                           township, county.township_files)
    return TownshipRows(
        township=township, core=core,
        streaks=_of_people(county.streaks, pupils),
        absence=_rows_of(absence, "person_key",
                         set(county.roster_now["person_key"]) if pupils is None else pupils),
        duplicates=_rows_of(county.duplicates, "person_key", _enrolled_keys(core.roster)),
        pupil_cases=_of_people(county.cases, pupils),
        case_events=_rows_of(county.case_events, "case_id", set(core.cases["case_id"])),
        enrollment=county._rows_in(tables["enrollment"], township),
        home_teaching_due=due,
        home_teaching=_rows_of(county.home_teaching, "person_key", due_keys),
        visits=_rows_of(tables["home_teaching"], "person_key", due_keys),
        poverty=_of_people(tables["poverty"], register_children),
        subsidy=_of_people(tables["subsidy"], pupils),
        transition=county._rows_in(county.transition, township),
        person_groups=_of_people(county.person_groups, case_children),
        warning_scores=county._rows_in(county.warning_scores, township),
        backtest=county.warning_backtest.of_township(township),
        ingest_log=log, rejected=rejected, findings=findings,
        unenrolled_poverty=county._rows_in(county.unenrolled_poverty, township),
        unenrolled_disability=county._rows_in(county.unenrolled_disability, township),
        ingest_totals=county.ingest_totals,
        absence_data_through=county.absence_data_through,
    )


def _compute(rows: TownshipRows, params: Params, as_of: dt.date, days: pd.DatetimeIndex) -> Analysis:
    """One township's Analysis (None: the county) from its rows: each figure given to the
    township of the register it comes from (see the module's docstring)."""
    township, core = rows.township, rows.core
    year = school_year_of(as_of)
    headline = _headline(core)

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
                                               funding_per_year=float(ht["funding_per_year"]))
    workload = support.teacher_workload(
        rows.visits, workload_hours_per_visit=float(ht["workload_hours_per_visit"]))
    # Only the township's pupils' register rows and payments can count.
    subsidy = support.subsidy_check(town_roster, _of_people(rows.poverty, town_pupils),
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
        # Beyond the contract: figures the report shows beside the fixed ones.
        "cases_by_state": counts["cases_by_state"],
        "cases_struck_unverified": counts["cases_struck_unverified"],
        "notices_missing": int(len(notices_missing)),
        "clearance": case_measures.clearance_progress(town_cases, as_of, params.target_date),
        "retention_detail": retention,
        "home_teaching_funding_due": ht_summary.get("funding_due"),
        "subsidy_missing_yuan": float(subsidy["missing"].sum()) if len(subsidy) else 0.0,
        "school_days_so_far": int((days <= pd.Timestamp(as_of)).sum()),
        "is_school_day": bool(pd.Timestamp(as_of) in days),
        "return_funnel": case_measures.return_funnel(town_cases, params.term_start,
                                                     rows.poverty["person_key"]),
        "unexcused_surge": unexcused_surge(daily, as_of),
        "open_cases_week_ago": case_measures.open_cases_before(states, as_of, WEEK),
        "school_age_standing": {name: int(n) for name, n in school_age["standing"].value_counts()
                                .reindex(matching.STANDINGS, fill_value=0).items()},
        "absence_data_through": (None if rows.absence_data_through is None
                                 else rows.absence_data_through.isoformat()),
        # A term year chinese-calendar and params lack runs on an estimate (kcbx.calendar).
        "calendar_estimated": calendar_coverage(params).estimated,
        "early_warning": warning.warning_figures(warning_scores, backtest),
        # Beyond the contract: the back-test's look-back day L (null: too early in the term).
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
        subsidy=subsidy, transition=transition,
        person_groups=rows.person_groups.reset_index(drop=True),
        findings=findings, rejected=rejected, ingest_log=log, notices_missing=notices_missing,
        day_absences=escalation.absences_on(town_absence, days, as_of),
        home_teaching_due=home_teaching_due.reset_index(drop=True),
        poverty=matching.first_row_per_person(rows.poverty)[["person_key", "category"]
                                                            ].reset_index(drop=True),
        early_warning=warning.listed_pupils(warning_scores),
    )


def analyse(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date,
            township: str | None = None) -> Analysis:
    """Every measure of the contract for one township (None: the county) on as_of, measured
    for that township alone (a run measures the county once instead: ``measure_county``)."""
    return measure_county(tables, params, as_of, scope=township).analysis(township)


def contract_metrics(analysis: Analysis) -> dict:
    """metrics.json: every contract key first, then the extra figures."""
    metrics = analysis.metrics
    return {**{key: metrics[key] for key in CONTRACT_KEYS},
            **{k: v for k, v in metrics.items() if k not in CONTRACT_KEYS}}
