"""预警名单: the pupils about to drop out, found before they do, and how often the list was right.

The early-warning list scores every pupil with a current 在读 roster row and **no open
case** on as_of (a child with an open case is already worked on), by transparent rules
whose weights a county sets (params ``early_warning``, docs/params.md). Score = the sum of the weights of the
rules that hold; level high or medium by ``levels``; below medium a pupil is not listed.

The rules (params ``early_warning``; days are school days, an absence row on a day that
is no school day does not count, a pupil absent twice on one day counts once):

- attendance: days absent of any type in the window / school days in the window ≥ absence_share;
- unexcused: days with an unexcused absence (无故, 旷课) in the window ≥ unexcused_days;
- relapse (反复反弹): the child has a case whose state on the day is returned;
- overage: age on 31 August of the school year − (grade + 5) ≥ overage_years (false when unknown);
- key_group: in the poverty or disability ledger, or the roster row says 留守儿童 是;
- grades: the roster row's grade is one of ``grades``.

The window is the last ``window`` school days on or before the day (fewer early in the
term). A pupil on two current roster rows is scored once: the first 在读 row in file order
gives grade, 留守, township (and school, class); absences count from every row's school.

One function scores pupils on any day (``score_pupils``): as_of, the back-test's look-back
day, the day before each case opened. What the rules read is prepared once
(``warning_evidence``): each pupil's absent school days sorted into one array, so the days
absent in any window of any pupil are two binary searches, and every case's state on any
day is an as-of lookup in its replayed log. The back-test then costs one more scoring, not
one pass over the ledgers per day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kcbx.calendar import last_school_day_on_or_before
from kcbx.measures.cases import case_timeline
from kcbx.measures.common import as_timestamp, current_roster, is_in, school_year_of
from kcbx.measures.escalation import counted_absences
from kcbx.measures.matching import ENROLLED_STATUS, GRADE_NAMES, age_on, first_row_per_person, school_age_reference_date
from kcbx.params import EARLY_WARNING_RULES, EarlyWarning

__all__ = [
    "RULES",
    "RULE_TAGS",
    "LEVELS",
    "LEVEL_ACTIONS",
    "rules_in_words",
    "BACKTEST_KEYS",
    "AbsenceDays",
    "WarningEvidence",
    "Backtest",
    "absence_days",
    "window_counts",
    "warning_evidence",
    "enrolled_pupils",
    "score_pupils",
    "score_day",
    "lookback_day",
    "school_day_before",
    "backtest",
    "listed_pupils",
    "with_contacts",
    "level_counts",
    "warning_figures",
]

RULES: tuple[str, ...] = EARLY_WARNING_RULES
# The rules as short tags on the list, in RULES order.
RULE_TAGS: dict[str, str] = {
    "attendance": "出勤率低",
    "unexcused": "无故缺勤多",
    "relapse": "曾辍学复学",
    "overage": "超龄",
    "key_group": "重点群体",
    "grades": "关键年级",
}
assert tuple(RULE_TAGS) == RULES
# Level code -> the label reports show, highest first.
LEVELS: dict[str, str] = {"high": "高", "medium": "中"}
# What a 班主任 does for a pupil at each level (as escalation.ESCALATION_ACTIONS for a streak).
LEVEL_ACTIONS: dict[str, str] = {
    "high": "“高”：班主任当天联系监护人并家访，报学校包保教师；此后每天核实到校情况，"
            "一周内不见好转的报学校控辍专人。",
    "medium": "“中”：班主任一周内与学生谈心、与监护人通话，每周核实出勤；情况加重的按“高”处理。",
}
BACKTEST_KEYS = ("listed", "became_cases", "precision", "cases", "flagged_before", "recall")


def rules_in_words(settings: EarlyWarning, grade_names: Mapping[int, str] = GRADE_NAMES) -> str:
    """The scoring as a list's reader needs it, with a county's params (``early_warning``):
    "在读且没有在办辍学案件的学生，按下列规则计分：出勤率低（2 分）：近 20 个上课日缺勤（含病假、
    事假）占 10% 及以上；…。总分 5 分及以上为“高”，3 分及以上为“中”。"."""
    window, weights, levels = settings.window, settings.weights, settings.levels
    meaning = {
        "attendance": f"近 {window} 个上课日缺勤（含病假、事假）占 {settings.absence_share * 100:g}% 及以上",
        "unexcused": f"近 {window} 个上课日无故缺勤 {settings.unexcused_days} 天及以上（不必连续）",
        "relapse": "曾辍学、已劝返复学",
        "overage": f"年龄比所在年级的正常年龄大 {settings.overage_years} 岁及以上",
        "key_group": "困难家庭（脱贫户名单）、残疾或留守儿童",
        "grades": "、".join(grade_names.get(grade, f"{grade}年级") for grade in settings.grades) or "无",
    }
    rules = "；".join(f"{RULE_TAGS[rule]}（{weights.of(rule):g} 分）：{meaning[rule]}" for rule in RULES)
    return (f"在读且没有在办辍学案件的学生，按下列规则计分：{rules}。"
            f"总分 {levels.high:g} 分及以上为“高”，{levels.medium:g} 分及以上为“中”。")


# One row per pupil scored on a day (score_pupils).
PUPIL_COLUMNS = ["person_key", "name", "id_number", "student_no", "township", "school", "grade",
                 "class_name", "left_behind", "age"]
SCORE_COLUMNS = ["person_key", "day", *PUPIL_COLUMNS[1:], "window_days", "absent_days",
                 "unexcused_days", *RULES, "score", "level"]


# --- absences: sorted once, counted for any window ------------------------------------


@dataclass(frozen=True)
class AbsenceDays:
    """Every pupil's absent school days, sorted once (``absence_days``).

    A pupil is a code (their position in ``pupils``); a day is its position in
    ``school_days``; one absent day is the number code × stride + position, so each array
    is sorted by pupil, then by day, and one pupil's days in a window are a contiguous run.
    """

    school_days: pd.DatetimeIndex
    pupils: pd.Index          # person keys with a counted absence of any type
    any_type: np.ndarray      # int64, sorted: days absent of any type
    unexcused: np.ndarray     # int64, sorted: days with an unexcused absence

    @property
    def stride(self) -> int:
        return len(self.school_days) + 1


def absence_days(absence: pd.DataFrame, school_days: pd.DatetimeIndex) -> AbsenceDays:
    """Each pupil's absent school days (any type, and unexcused), from one pass over the absences.

    Only rows dated on a school day count; a pupil absent twice on one day is absent once
    (``escalation.counted_absences``).
    """
    days = pd.DatetimeIndex(school_days)
    any_type = counted_absences(absence, days, unexcused_only=False)
    unexcused = counted_absences(absence, days)
    pupils = pd.Index(any_type["person_key"].unique())
    stride = len(days) + 1

    def encoded(rows: pd.DataFrame) -> np.ndarray:
        code = pupils.get_indexer(rows["person_key"]).astype(np.int64)
        return np.sort(code * stride + days.get_indexer(rows["date"]).astype(np.int64))

    return AbsenceDays(days, pupils, encoded(any_type), encoded(unexcused))


def window_counts(absences: AbsenceDays, person_keys: pd.Series, days: pd.Series,
                  window: int) -> pd.DataFrame:
    """For each (pupil, day): the window's school days and the pupil's days absent in it.

    The window is the last ``window`` school days on or before the day, fewer early in the
    term (those of the term so far); none before the term's first school day. Returns,
    indexed like person_keys: window_days, absent_days (any type), unexcused_days.
    """
    on = pd.DatetimeIndex(pd.to_datetime(days)).normalize()
    last = absences.school_days.searchsorted(on, side="right").astype(np.int64) - 1
    first = np.maximum(last - window + 1, 0)
    window_days = np.where(last >= 0, last - first + 1, 0)
    code = absences.pupils.get_indexer(pd.Index(person_keys)).astype(np.int64)
    counted = (code >= 0) & (last >= 0)
    low = code * absences.stride + first
    high = code * absences.stride + last

    def in_window(sorted_days: np.ndarray) -> np.ndarray:
        found = (np.searchsorted(sorted_days, high, side="right")
                 - np.searchsorted(sorted_days, low, side="left"))
        return np.where(counted, found, 0).astype(np.int64)

    return pd.DataFrame({"window_days": window_days.astype(np.int64),
                         "absent_days": in_window(absences.any_type),
                         "unexcused_days": in_window(absences.unexcused)},
                        index=person_keys.index)


# --- what the rules read, prepared once -----------------------------------------------


@dataclass(frozen=True)
class WarningEvidence:
    """What the rules read, prepared once per county pass to score pupils on any day."""

    roster: pd.DataFrame          # every roster row: each day's current roster is cut from it
    absences: AbsenceDays
    case_timeline: pd.DataFrame   # cases.case_timeline: every case's state on any day
    key_group: frozenset[str]     # children in the poverty or disability ledger
    _pupils: dict[int, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def pupils(self, school_year: int) -> pd.DataFrame:
        """``enrolled_pupils`` of a school year, worked out once (as_of and L share theirs)."""
        if school_year not in self._pupils:
            self._pupils[school_year] = enrolled_pupils(self.roster, dt.date(school_year, 9, 1))
        return self._pupils[school_year]


def warning_evidence(roster: pd.DataFrame, absence: pd.DataFrame, case_events: pd.DataFrame,
                     poverty: pd.DataFrame, disability: pd.DataFrame,
                     school_days: pd.DatetimeIndex) -> WarningEvidence:
    """The canonical tables read once for scoring: roster (every year), absences, the case log."""
    return WarningEvidence(
        roster=roster,
        absences=absence_days(absence, school_days),
        case_timeline=case_timeline(case_events),
        key_group=frozenset(poverty["person_key"]) | frozenset(disability["person_key"]),
    )


def enrolled_pupils(roster: pd.DataFrame, day: dt.date | pd.Timestamp) -> pd.DataFrame:
    """The pupils scored on a day, before their cases are looked at: one row per pupil with a 在读
    row of the school year containing the day, their first such row in file order.

    Columns PUPIL_COLUMNS: age is whole years on 31 August of the school year (as for
    school_age_population: 出生日期, else the ID; <NA> when unknown).
    """
    on = as_timestamp(day).date()
    current = current_roster(roster, on)
    first = first_row_per_person(current[current["status"] == ENROLLED_STATUS])
    age = age_on(first["birth_date"], first["id_number"], school_age_reference_date(on))
    return first.assign(age=age)[PUPIL_COLUMNS].reset_index(drop=True)


def _case_flags(timeline: pd.DataFrame, queries: pd.DataFrame) -> pd.DataFrame:
    """open, returned: whether the child has a case in that state on the query's day.

    ``queries``: person_key, day; the result is indexed like it. A case's state on a day is
    that after its last event on or before the day (``cases.case_timeline``); a case opened
    later is not there yet.
    """
    flags = pd.DataFrame(False, index=queries.index, columns=["open", "returned"])
    with_cases = queries[is_in(queries["person_key"], set(timeline["person_key"]))]
    if with_cases.empty:
        return flags
    pairs = (with_cases.rename_axis("query").reset_index()[["query", "person_key", "day"]]
             .merge(timeline[["case_id", "person_key"]].drop_duplicates(), on="person_key")
             .rename(columns={"day": "date"}).astype({"date": "datetime64[ns]"})
             .sort_values("date", kind="stable"))
    on_day = pd.merge_asof(pairs, timeline[["case_id", "date", "state"]], on="date", by="case_id",
                           direction="backward")
    in_state = pd.DataFrame({"open": on_day["state"].eq("open"),
                             "returned": on_day["state"].eq("returned")})
    found = in_state.groupby(on_day["query"].to_numpy()).any()
    flags.loc[found.index] = found
    return flags.astype(bool)


def score_pupils(evidence: WarningEvidence, queries: pd.DataFrame,
                 settings: EarlyWarning) -> pd.DataFrame:
    """Score pupils on days: the early-warning rules above for each (person_key, day).

    ``queries``: person_key, day (any days, one or many per pupil; a unique index); ``settings``: params
    ``early_warning``. A query is scored when its child has a 在读 row of the school year
    containing the day and no case open on the day ("every pupil with a current 在读 roster
    row and no open case"); the others are left out. Returns SCORE_COLUMNS for the scored
    queries, indexed like them: the pupil's first 在读 row (PUPIL_COLUMNS), window_days,
    absent_days, unexcused_days (``window_counts``), one bool per rule (RULES), score (the
    sum of the weights of the rules that hold) and level ("high", "medium", or None below
    ``levels.medium``).
    """
    days = pd.to_datetime(queries["day"]).dt.normalize()
    years = days.dt.year - (days.dt.month < 9)  # school_year_of, for every day at once
    parts = [queries.loc[in_year.index, ["person_key"]].assign(day=days[in_year.index])
             .join(evidence.pupils(int(year)).set_index("person_key"), on="person_key", how="inner")
             for year, in_year in days.groupby(years, sort=True)]
    rows = [part for part in parts if len(part)]
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in SCORE_COLUMNS})
    pupils = pd.concat(rows)
    cases = _case_flags(evidence.case_timeline, pupils)
    pupils = pupils[~cases["open"]]
    counts = window_counts(evidence.absences, pupils["person_key"], pupils["day"], settings.window)
    window_days = counts["window_days"].to_numpy()
    share = np.divide(counts["absent_days"].to_numpy(), window_days,
                      out=np.zeros(len(counts)), where=window_days > 0)
    overage = (pupils["age"] - (pupils["grade"] + 5)) >= settings.overage_years
    rules = pd.DataFrame({
        "attendance": (window_days > 0) & (share >= settings.absence_share),
        "unexcused": counts["unexcused_days"].to_numpy() >= settings.unexcused_days,
        "relapse": cases.loc[pupils.index, "returned"].to_numpy(),
        "overage": overage.fillna(False).to_numpy(dtype=bool),
        "key_group": (pupils["left_behind"].fillna(False).astype(bool)
                      | is_in(pupils["person_key"], evidence.key_group)).to_numpy(),
        "grades": pupils["grade"].isin(settings.grades).fillna(False).to_numpy(dtype=bool),
    }, index=pupils.index)[list(RULES)].astype(bool)
    weights = np.array([settings.weights.of(rule) for rule in RULES])
    score = pd.Series(rules.to_numpy() @ weights, index=pupils.index)
    levels = settings.levels
    level = pd.Series(np.where(score >= levels.high, "high",
                               np.where(score >= levels.medium, "medium", None)),
                      index=pupils.index, dtype=object)
    return pd.concat([pupils, counts, rules], axis=1).assign(score=score, level=level)[SCORE_COLUMNS]


def score_day(evidence: WarningEvidence, day: dt.date | pd.Timestamp, settings: EarlyWarning,
              township: str | None = None) -> pd.DataFrame:
    """Every pupil scored on a day (``score_pupils``); with township, those whose first 在读 row
    is in it (a pupil's township is that roster row's)."""
    pupils = evidence.pupils(school_year_of(as_timestamp(day).date()))
    if township is not None:
        pupils = pupils[pupils["township"] == township]
    return score_pupils(evidence, pupils[["person_key"]].assign(day=as_timestamp(day)), settings)


# --- the back-test ---------------------------------------------------------------------


def lookback_day(school_days: pd.DatetimeIndex, as_of: dt.date, horizon: int) -> pd.Timestamp | None:
    """L: "the last school day on or before as_of − horizon"; None when that is before the
    term's first school day (too early in the term to look back)."""
    return last_school_day_on_or_before(school_days, as_timestamp(as_of) - pd.Timedelta(days=horizon))


def school_day_before(school_days: pd.DatetimeIndex, days: pd.Series) -> pd.Series:
    """The last school day strictly before each day; NaT when that falls before the term start."""
    position = school_days.searchsorted(pd.DatetimeIndex(pd.to_datetime(days)).normalize(), side="left") - 1
    before = pd.Series(school_days[np.maximum(position, 0)], index=days.index)
    return before.where(position >= 0).astype("datetime64[ns]")


_LISTED_COLUMNS = ["person_key", "township", "score", "level", "became_case"]
_CASE_COLUMNS = ["case_id", "person_key", "township", "opened", "day_before", "counted", "flagged"]


@dataclass(frozen=True)
class Backtest:
    """The list made at the look-back day L, against the cases opened since (``backtest``).

    ``listed``: the pupils high or medium on L (person_key, township of their roster row on
    L, score, level, became_case); ``cases``: the cases opened in (L, as_of] (case_id,
    person_key, township of the case, opened, day_before: the last school day before the
    opening, counted: the child was scored that day, flagged: and high or medium).
    """

    lookback_day: pd.Timestamp | None
    listed: pd.DataFrame
    cases: pd.DataFrame

    def of_township(self, township: str | None) -> Backtest:
        """The back-test attributed to one township: a pupil by their roster row on L, a case
        by its case township; the whole when township is None."""
        if township is None:
            return self
        return Backtest(self.lookback_day,
                        self.listed[self.listed["township"] == township].reset_index(drop=True),
                        self.cases[self.cases["township"] == township].reset_index(drop=True))

    def figures(self) -> dict:
        """metrics.json ``early_warning.backtest``: every value null when L is before the term."""
        if self.lookback_day is None:
            return dict.fromkeys(BACKTEST_KEYS)
        listed, became = len(self.listed), int(self.listed["became_case"].sum())
        counted = self.cases[self.cases["counted"]]
        cases, flagged = len(counted), int(counted["flagged"].sum())
        return {"listed": listed, "became_cases": became,
                "precision": became / listed if listed else None,
                "cases": cases, "flagged_before": flagged,
                "recall": flagged / cases if cases else None}


def backtest(evidence: WarningEvidence, cases: pd.DataFrame, as_of: dt.date, settings: EarlyWarning,
             township: str | None = None) -> Backtest:
    """The back-test on the county's own history at L, the last school day on or before
    as_of − horizon.

    listed = pupils high or medium on L (scored on L exactly as above, with L as as_of);
    became_cases = of those, children with a case opened in (L, as_of]; … cases = cases
    opened in (L, as_of] whose child had a current 在读 roster row and no open case on the
    last school day before the case's opening date (a case whose day before falls before
    the term start is left out); flagged_before = of those, cases whose child was high or
    medium on that day (metrics.json's early_warning.backtest, docs/metrics.md).
    ``cases``: the county's case_table on as_of (case_id, person_key, township, opened);
    with township, the pupils of its roster on L and its own cases (a case of any township
    makes a listed pupil a hit).
    """
    school_days = evidence.absences.school_days
    day = lookback_day(school_days, as_of, settings.horizon)
    if day is None:
        return Backtest(None, pd.DataFrame(columns=_LISTED_COLUMNS), pd.DataFrame(columns=_CASE_COLUMNS))
    opened = pd.to_datetime(cases["opened"])
    since = cases[(opened > day) & (opened <= as_timestamp(as_of))]
    on_day = score_day(evidence, day, settings, township)
    listed = on_day[on_day["level"].notna()]
    listed = listed.assign(became_case=is_in(listed["person_key"], set(since["person_key"])))
    own = since if township is None else since[since["township"] == township]
    own = own[["case_id", "person_key", "township", "opened"]].assign(
        opened=pd.to_datetime(own["opened"]), day_before=school_day_before(school_days, own["opened"]))
    known = own[own["day_before"].notna()]
    scored = score_pupils(evidence, known[["person_key"]].assign(day=known["day_before"]), settings)
    return Backtest(day, listed[_LISTED_COLUMNS].reset_index(drop=True),
                    own.assign(counted=is_in(own.index, scored.index),
                               flagged=is_in(own.index, scored.index[scored["level"].notna()])
                               ).reset_index(drop=True)[_CASE_COLUMNS])


# --- the list and its figures ----------------------------------------------------------


def with_contacts(scores: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """scores with guardian and phone from the child's population row (first in file order;
    blank for a child the register lacks)."""
    contacts = first_row_per_person(population).set_index("person_key")[["guardian", "phone"]]
    found = contacts.reindex(scores["person_key"].to_numpy())
    return scores.assign(guardian=found["guardian"].to_numpy(), phone=found["phone"].to_numpy())


def listed_pupils(scores: pd.DataFrame) -> pd.DataFrame:
    """The list: the pupils high or medium, highest score first (then township, school, grade,
    class and key, so the order is the same however the pupils were scored); scores'
    columns but the day."""
    listed = scores[scores["level"].notna()].drop(columns="day")
    return listed.sort_values(["score", "township", "school", "grade", "class_name", "person_key"],
                              ascending=[False, True, True, True, True, True],
                              kind="stable", na_position="last").reset_index(drop=True)


def level_counts(listed: pd.DataFrame, by: str | None = None) -> pd.DataFrame | dict[str, int]:
    """Pupils at each level: {"high": n, "medium": n}; with ``by`` (e.g. "township"), one row
    per value of that column with a column per level."""
    if by is None:
        return {level: int((listed["level"] == level).sum()) for level in LEVELS}
    counts = listed.groupby([by, "level"]).size().unstack(fill_value=0)
    return counts.reindex(columns=list(LEVELS), fill_value=0).astype("int64").rename_axis(columns=None)


def warning_figures(scores: pd.DataFrame, check: Backtest) -> dict:
    """metrics.json ``early_warning``: {"high", "medium", "rules": {rule: pupils}, "backtest": {…}}.

    ``scores``: the pupils in scope scored on as_of (every one, listed or not): "rules:
    pupils (in scope, scored) for whom each rule holds".
    """
    return {**level_counts(scores),
            "rules": {rule: int(scores[rule].astype(bool).sum()) for rule in RULES},
            "backtest": check.figures()}
