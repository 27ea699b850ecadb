"""Dropout cases: 劝返台账, 一生一案, 动态销号.

The cases ledger is an event log (docs/ledgers.md, cases): 登记 opens a case;
家访, 劝返 and 发出限期复学通知书 are actions on it (a notice is due back
`notice_days` calendar days later); 复学, 转学, 外地就读, 送教上门 and 死亡 are
outcomes; 销号 strikes the case from the ledger. A case's state on a date,
from its events on or before that date: the last outcome if there is one —
returned (复学), transferred (转学, 外地就读), home teaching (送教上门), died
(死亡) — else closed if struck (销号), else open. Struck cases keep their
outcome. A case begins with 登记; the child's later events belong to it until
another 登记 opens a new case (an event with no earlier 登记 opens one on its
own date, and is reported as a data-quality finding). Same-day events keep
file order.

The event frame is taken to be in file order (as the store returns it, with a
unique index); it is sorted stably by date only, so same-day events keep that order. An exact
duplicate event row is counted once: its later copies are ignored by every
measure and listed by `case_findings`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from kcbx.measures.common import FINDING_COLUMNS, as_timestamp, findings_of, is_in
from kcbx.schema import CASE_ACTIONS, CASE_OPENING, CASE_STRIKE, PROVENANCE

__all__ = [
    "CASE_STATES",
    "OUTCOME_STATES",
    "NOTICE_EVENT",
    "case_events",
    "build_cases",
    "notice_deadline",
    "deadline_moved_note",
    "notices_missing",
    "case_table",
    "case_counts",
    "TERM_SCOPES",
    "term_scope",
    "clearance_progress",
    "return_funnel",
    "open_cases_before",
    "breakdown",
    "case_findings",
    "case_states_on",
    "case_timeline",
    "states_over_time",
]

# State code -> the label reports show, in the order reports list them.
CASE_STATES: dict[str, str] = {
    "open": "在办(未复学)",
    "returned": "已复学",
    "transferred": "转学/外地就读",
    "home_teaching": "送教上门",
    "died": "死亡",
    "closed": "已销号(无结果)",
}
# Outcome event -> the state it puts the case in.
OUTCOME_STATES: dict[str, str] = {
    "复学": "returned",
    "转学": "transferred",
    "外地就读": "transferred",
    "送教上门": "home_teaching",
    "死亡": "died",
}
NOTICE_EVENT = "发出限期复学通知书"

# The columns case_events adds to each event row.
_LINK_COLUMNS = ("case_id", "order", "opens_case", "unregistered", "duplicate")
# Columns whose latest non-blank value describes the case.
_LATEST_COLUMNS = ["cause", "destination", "admin_owner", "edu_owner", "method", "placement"]
# Columns describing the child, taken from the case's first event that fills them.
_FIRST_COLUMNS = ["name", "school", "grade"]

CASE_TABLE_COLUMNS = [
    "case_id", "person_key", "name", "township", "school", "grade", "opened", "registered",
    "state", "state_label", "outcome_event", "outcome_date", "struck", "struck_date",
    "last_notice", "notice_due_nominal", "notice_due", "notice_overdue", *_LATEST_COLUMNS[:4],
    "missing_owner", *_LATEST_COLUMNS[4:], "attempts", "events", "struck_unverified",
]

# Findings of the 1357 ladder's last step (after 5 days the government issues a
# 限期复学通知书), for a pupil at or above the top rung.
NOTICE_NOT_ISSUED = "在办案件未发限期复学通知书"
NO_OPEN_CASE = "尚未登记辍学案件"


def _blank_to_na(values: pd.Series) -> pd.Series:
    """Empty and whitespace-only text as missing, so 'latest non-blank' skips it."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return values
    text = values.astype(object)
    blank = [isinstance(value, str) and not value.strip() for value in text]
    return text.mask(pd.Series(blank, index=text.index, dtype=bool))


def case_events(events: pd.DataFrame) -> pd.DataFrame:
    """Every event row, in its original order and index, with the case it belongs to.

    Adds: case_id (person_key + "#" + n, n = 1, 2 … in date order per child:
    stable as long as no earlier-dated event is added), order (the event's
    position in the stable date order; NA for duplicates), opens_case (the
    case's first event), unregistered (opens a case without being a 登记: a
    finding), duplicate (an exact copy of an earlier row; it carries the case
    of its first copy and is otherwise ignored).
    """
    # Two event rows equal on every column but provenance are one event written twice (the
    # columns this function adds, when given events it linked before, are no column of the row).
    data_columns = [c for c in events.columns if c not in PROVENANCE and c not in _LINK_COLUMNS]
    duplicate = events.duplicated(data_columns, keep="first")
    kept = events[~duplicate].sort_values("date", kind="stable")

    child = kept["person_key"]
    registration = kept["event"].eq(CASE_OPENING)
    first_of_child = kept.groupby("person_key", sort=False).cumcount().eq(0)
    opens_case = registration | first_of_child
    number = opens_case.astype("int64").groupby(child, sort=False).cumsum()
    case_id = child.astype(str) + "#" + number.astype(str)

    # A duplicate belongs where its first copy does.
    copy_group = events.groupby(data_columns, dropna=False, sort=False).ngroup()
    case_of_group = pd.Series(case_id.to_numpy(), index=copy_group[kept.index].to_numpy())
    return events.assign(
        case_id=copy_group.map(case_of_group),
        order=pd.Series(range(len(kept)), index=kept.index, dtype="Int64").reindex(events.index),
        opens_case=opens_case.reindex(events.index, fill_value=False).astype(bool),
        unregistered=(opens_case & ~registration).reindex(events.index, fill_value=False).astype(bool),
        duplicate=duplicate.astype(bool),
    )


def build_cases(events: pd.DataFrame) -> pd.DataFrame:
    """One row per case over the whole log: case_id, person_key, opened, registered, event_rows.

    `event_rows` lists the index labels (in ``events``) of the case's events in
    case order, duplicates excluded; `registered` is False when the case was
    opened by an event other than 登记.
    """
    linked = _kept_in_order(case_events(events))
    grouped = linked.groupby("case_id", sort=False)
    return pd.DataFrame(
        {
            "person_key": grouped["person_key"].first(),
            "opened": grouped["date"].first(),
            "registered": ~grouped["unregistered"].first(),
            "event_rows": linked.index.to_series().groupby(linked["case_id"], sort=False).agg(list),
        }
    ).rename_axis("case_id").reset_index()


def _kept_in_order(linked: pd.DataFrame) -> pd.DataFrame:
    return linked[~linked["duplicate"]].sort_values("order")


def _replay(linked: pd.DataFrame) -> pd.DataFrame:
    """The non-duplicate events in case order, each with its case's state right after it.

    Adds state (the case-state rule above applied to the events so far), outcome_event,
    outcome_date (the last outcome so far), struck_date (the first 销号 so far)
    and last_notice (the last notice so far).
    """
    kept = _kept_in_order(linked)
    per_case = kept["case_id"]
    is_outcome = kept["event"].isin(OUTCOME_STATES.keys())
    outcome_event = kept["event"].where(is_outcome).groupby(per_case).ffill()
    outcome_date = kept["date"].where(is_outcome).groupby(per_case).ffill()
    strikes = kept["date"].where(kept["event"].eq(CASE_STRIKE))
    # The case's first strike, shown from that event on.
    struck_so_far = strikes.groupby(per_case).ffill().notna()
    struck_date = strikes.groupby(per_case).transform("first").where(struck_so_far)
    last_notice = kept["date"].where(kept["event"].eq(NOTICE_EVENT)).groupby(per_case).ffill()
    without_outcome = pd.Series(np.where(struck_so_far, "closed", "open"), index=kept.index, dtype=object)
    state = outcome_event.map(OUTCOME_STATES).astype(object).fillna(without_outcome)
    return kept.assign(
        state=state,
        outcome_event=outcome_event.astype(object),
        outcome_date=outcome_date.astype("datetime64[ns]"),
        struck_date=struck_date.astype("datetime64[ns]"),
        last_notice=last_notice.astype("datetime64[ns]"),
    )


def _notice_overdue(
    state: pd.Series, last_notice: pd.Series, on: pd.Series | pd.Timestamp, notice_days: int
) -> pd.Series:
    """Open, and the last notice is more than notice_days calendar days before the day."""
    return state.eq("open") & last_notice.notna() & ((on - last_notice).dt.days > notice_days)


def notice_deadline(nominal: pd.Series, school_days: pd.DatetimeIndex | None) -> pd.Series:
    """The day a child given a notice must be back by: the nominal deadline (notice date +
    notice_days), moved to the next school day when it falls on a day without school (a
    holiday, a weekend, a day off) inside the term, as a deadline falling on a holiday moves
    to the day after it. Outside the term's school days (no calendar known there) it stays."""
    if school_days is None or len(school_days) == 0:
        return nominal
    days = pd.DatetimeIndex(school_days).as_unit("ns")
    inside = nominal.notna() & (nominal >= days[0]) & (nominal <= days[-1])
    # searchsorted "left": the deadline itself when it is a school day, else the next one.
    next_school_day = pd.Series(days[days.searchsorted(nominal[inside], side="left")],
                                index=nominal[inside].index)
    return nominal.where(~inside, next_school_day.reindex(nominal.index)).astype("datetime64[ns]")


def deadline_moved_note(nominal: pd.Series, due: pd.Series) -> pd.Series:
    """"10月3日 → 10月8日（遇节假日顺延）" where the deadline moved (``notice_deadline``), else None."""
    def month_day(days: pd.Series) -> pd.Series:
        days = pd.to_datetime(days)  # an empty case_table's columns are object, with no .dt
        return days.dt.month.astype("Int64").astype(str) + "月" + days.dt.day.astype("Int64").astype(str) + "日"

    moved = nominal.notna() & due.notna() & nominal.ne(due)
    note = month_day(nominal) + " → " + month_day(due) + "（遇节假日顺延）"
    return note.astype(object).where(moved, None)


def _acted_before_strike(described: pd.DataFrame) -> pd.Series:
    """case_id → whether a 劝返 action (家访, 劝返 with its synonyms, or a notice: CASE_ACTIONS,
    the attempts 劝返次数 counts) came before the case's first 销号, in case order."""
    per_case = described["case_id"]
    struck_yet = described["event"].eq(CASE_STRIKE).astype("int64").groupby(per_case).cummax().astype(bool)
    acted = described["event"].isin(CASE_ACTIONS) & ~struck_yet
    return acted.groupby(per_case, sort=False).any()


def case_table(events: pd.DataFrame, as_of: dt.date, notice_days: int,
               school_days: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """One row per case opened on or before as_of, from its events on or before as_of.

    Columns: case_id, person_key; name, school, grade (first value the case's
    events give, its opening event first); township (of its 登记 event; None
    without one — the caller falls back on the roster, then the population
    township); opened (date of the first event); registered (opened by 登记);
    state, state_label (CASE_STATES); outcome_event, outcome_date (the last
    outcome); struck, struck_date (the first 销号); last_notice,
    notice_due_nominal (last_notice + notice_days calendar days), notice_due (the
    same, moved to the next of ``school_days`` when it falls on a day without
    school: ``notice_deadline``; unmoved without school_days), notice_overdue
    (metrics.json's notices_overdue, docs/metrics.md: open cases whose last notice on or
    before as_of is more than notice_days calendar days before as_of — calendar days, so it
    does not wait for a moved deadline); cause, destination,
    admin_owner, edu_owner (latest non-blank); missing_owner (either line blank
    on every event); method, placement (latest non-blank); attempts (家访, 劝返
    and notices); events (non-duplicate events counted); struck_unverified (a false
    销号 to check: struck with no outcome and no 劝返 action before the 销号).
    """
    day = as_timestamp(as_of)
    linked = case_events(events)
    replayed = _replay(linked[linked["date"] <= day])
    if replayed.empty:
        return pd.DataFrame(columns=CASE_TABLE_COLUMNS)
    text_columns = [*_FIRST_COLUMNS, *_LATEST_COLUMNS, "township"]
    described = replayed.assign(**{c: _blank_to_na(replayed[c]) for c in text_columns})
    grouped = described.groupby("case_id", sort=False)
    first = grouped[["person_key", "date", *_FIRST_COLUMNS]].first()
    latest = grouped[_LATEST_COLUMNS].last()
    final = grouped[["state", "outcome_event", "outcome_date", "struck_date", "last_notice"]].last()
    is_attempt = described["event"].isin(CASE_ACTIONS)
    registration = described[described["event"].eq(CASE_OPENING)]
    township = registration.groupby("case_id", sort=False)["township"].first()

    table = pd.concat([first.rename(columns={"date": "opened"}), latest, final], axis=1)
    nominal_due = table["last_notice"] + pd.Timedelta(days=notice_days)
    table = table.assign(
        township=township.reindex(table.index),
        registered=~grouped["unregistered"].first(),
        state_label=table["state"].map(CASE_STATES),
        struck=table["struck_date"].notna(),
        notice_due_nominal=nominal_due,
        notice_due=notice_deadline(nominal_due, school_days),
        notice_overdue=_notice_overdue(table["state"], table["last_notice"], day, notice_days),
        missing_owner=table["admin_owner"].isna() | table["edu_owner"].isna(),
        attempts=is_attempt.groupby(described["case_id"], sort=False).sum().astype("int64"),
        events=grouped.size().astype("int64"),
        struck_unverified=table["state"].eq("closed") & ~_acted_before_strike(described).reindex(table.index),
    )
    table = table.rename_axis("case_id").reset_index()
    # Missing text as None (not NaN), as the store gives it.
    optional_text = ["name", "school", "township", "outcome_event", *_LATEST_COLUMNS]
    table[optional_text] = table[optional_text].astype(object).where(table[optional_text].notna(), None)
    return table.sort_values(["opened", "case_id"], kind="stable", ignore_index=True)[CASE_TABLE_COLUMNS]


# A case's place on this term's forms (附件1–3), from ``term_scope``; the forms list them in this order.
TERM_SCOPES: dict[str, str] = {"this_term": "本学期登记", "carried_over": "上学期结转"}


def term_scope(cases: pd.DataFrame, term_start: dt.date) -> pd.Series:
    """Each case's scope on this term's forms (TERM_SCOPES' codes), or None: left off them.

    this_term: opened on or after term_start. carried_over: opened before, and neither an
    outcome nor a 销号 before term_start (still open when the term began). None: opened and
    ended (its outcome, or its 销号) in an earlier term. ``cases`` is a case_table.
    """
    start = as_timestamp(term_start)
    ended = pd.concat([cases["outcome_date"], cases["struck_date"]], axis=1).min(axis=1)
    this_term = cases["opened"] >= start
    carried = ~this_term & ~(ended < start)
    codes = np.select([this_term.to_numpy(), carried.to_numpy()], ["this_term", "carried_over"], "")
    return pd.Series([code or None for code in codes], index=cases.index, dtype=object)


def case_counts(cases: pd.DataFrame, poverty_keys: Iterable[str] | None = None,
                tuopin_keys: Iterable[str] | None = None) -> dict:
    """metrics.json's case figures (docs/metrics.md) from a case_table.

    cases_total (cases opened on or before as_of), cases_open, cases_open_poverty
    (open cases whose child is in the poverty ledger; None when poverty_keys is
    not given), cases_open_tuopin (of those, the children whose 类别 is 脱贫户 exactly:
    ``tuopin_keys``; None when not given), cases_returned, return_rate (cases_returned / cases_total),
    closure_rate ((cases_total − cases_open) / cases_total), notices_overdue,
    cases_by_state {state code: n} and cases_struck_unverified (false 销号 to check:
    in closure_rate as docs/metrics.md defines it, but never shown as cleared without
    it). Rates are None when cases_total is 0.
    """
    total = len(cases)
    by_state = cases["state"].value_counts().reindex(list(CASE_STATES), fill_value=0)
    is_open = cases["state"].eq("open")
    open_poverty = open_tuopin = None
    if poverty_keys is not None:
        open_poverty = int((is_open & is_in(cases["person_key"], set(poverty_keys))).sum())
    if tuopin_keys is not None:
        open_tuopin = int((is_open & is_in(cases["person_key"], set(tuopin_keys))).sum())
    return {
        "cases_total": total,
        "cases_open": int(by_state["open"]),
        "cases_open_poverty": open_poverty,
        "cases_open_tuopin": open_tuopin,
        "cases_returned": int(by_state["returned"]),
        "return_rate": float(by_state["returned"] / total) if total else None,
        "closure_rate": float((total - by_state["open"]) / total) if total else None,
        "notices_overdue": int(cases["notice_overdue"].astype(bool).sum()),
        "cases_by_state": {state: int(n) for state, n in by_state.items()},
        "cases_struck_unverified": int(cases["struck_unverified"].astype(bool).sum()),
    }


def clearance_progress(cases: pd.DataFrame, as_of: dt.date, target_date: dt.date | None) -> dict:
    """How far the 清零 goal is: open cases left and days left until the target date.

    Returns open_cases, target_date (ISO text or None), days_remaining
    (target_date − as_of in calendar days, negative once passed; None without a
    target), met (no open case on as_of), overdue (open cases left after the
    target date) and struck_unverified (cases struck with no outcome and no 劝返
    action: not open, yet not shown as cleared either).
    """
    open_cases = int(cases["state"].eq("open").sum())
    days_remaining = (target_date - as_of).days if target_date is not None else None
    return {
        "open_cases": open_cases,
        "target_date": target_date.isoformat() if target_date is not None else None,
        "days_remaining": days_remaining,
        "met": open_cases == 0,
        "overdue": open_cases > 0 and days_remaining is not None and days_remaining < 0,
        "struck_unverified": int(cases["struck_unverified"].astype(bool).sum()),
    }


def notices_missing(streaks: pd.DataFrame, cases: pd.DataFrame, top_threshold: int) -> pd.DataFrame:
    """Pupils at or above the ladder's top rung whose 限期复学通知书 is missing.

    ``streaks``: escalation_levels rows; ``cases``: a case_table. A pupil with an open case
    none of whose open cases has a notice: NOTICE_NOT_ISSUED; with no open case (never
    registered, or only cases with an outcome or struck): NO_OPEN_CASE. Returns the
    streak rows of those pupils, longest streak first, with ``finding``.
    """
    at_top = streaks[streaks["streak"] >= top_threshold]
    open_cases = cases[cases["state"].eq("open")]
    with_notice = set(open_cases.loc[open_cases["last_notice"].notna(), "person_key"])
    finding = pd.Series(np.where(is_in(at_top["person_key"], set(open_cases["person_key"])),
                                 NOTICE_NOT_ISSUED, NO_OPEN_CASE), index=at_top.index, dtype=object)
    missing = at_top.assign(finding=finding)[~is_in(at_top["person_key"], with_notice)]
    return missing.sort_values(["streak", "person_key"], ascending=[False, True], ignore_index=True)


def return_funnel(cases: pd.DataFrame, since: dt.date, poverty_keys: Iterable[str],
                  tuopin_keys: Iterable[str] = ()) -> dict:
    """The county's 专项行动 in one line, as its notices word it ("排查 958 名 … 仅 115 人未返校"),
    from a case_table.

    Of the cases opened on or after ``since``: found (all of them), returned (state returned
    on as_of), still_open (state open), still_open_poverty (open, child in the poverty
    ledger, any 类别) and still_open_tuopin (open, child of 类别 脱贫户: ``tuopin_keys``).
    Cases opened earlier are not in it, whatever their state.
    """
    found = cases[pd.to_datetime(cases["opened"]) >= as_timestamp(since)]
    still_open = found["state"].eq("open")
    return {
        "since": since.isoformat(),
        "found": int(len(found)),
        "returned": int(found["state"].eq("returned").sum()),
        "still_open": int(still_open.sum()),
        "still_open_poverty": int((still_open & is_in(found["person_key"], set(poverty_keys))).sum()),
        "still_open_tuopin": int((still_open & is_in(found["person_key"], set(tuopin_keys))).sum()),
    }


def open_cases_before(states_over_time: pd.DataFrame, as_of: dt.date, days_before: int) -> dict | None:
    """Open cases on the last school day at least ``days_before`` calendar days before as_of
    (from ``states_over_time``): {date, open}; None when the term has no such day yet."""
    cutoff = as_timestamp(as_of) - pd.Timedelta(days=days_before)
    earlier = states_over_time[pd.to_datetime(states_over_time["date"]) <= cutoff]
    if earlier.empty:
        return None
    last = earlier.iloc[-1]
    return {"date": pd.Timestamp(last["date"]).date().isoformat(), "open": int(last["open"])}


def breakdown(cases: pd.DataFrame, column: str) -> pd.DataFrame:
    """Cases counted by the values of one column (cause, method, placement …), split by state.

    Returns `column`, cases, then one count per state code; blank values count
    as "未填写"; most frequent first. By "state" itself: state, state_label, cases
    (every state, zeros included).
    """
    if column == "state":
        counts = cases["state"].value_counts().reindex(list(CASE_STATES), fill_value=0)
        return pd.DataFrame(
            {"state": list(CASE_STATES), "state_label": list(CASE_STATES.values()), "cases": counts.to_numpy()}
        )
    values = _blank_to_na(cases[column].astype(object)).fillna("未填写").rename(column)
    table = (cases.groupby([values, cases["state"]]).size().unstack(fill_value=0)
             .reindex(columns=list(CASE_STATES), fill_value=0))
    table.insert(0, "cases", table.sum(axis=1))
    table = table.rename_axis(index=column, columns=None).reset_index()
    return table.sort_values(["cases", column], ascending=[False, True], ignore_index=True)


def case_findings(events: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Case-event rows (on or before as_of) accepted but worth a look; FINDING_COLUMNS, kind "cases".

    - 案件缺少登记: an event with no earlier 登记 for the child; it opens the case on its date;
    - 销号后仍有事件: an event after the 销号 of its case (in case order);
    - 重复的劝返事件: an exact copy of an earlier row (counted once).
    """
    linked = case_events(events)
    linked = linked[linked["date"] <= as_timestamp(as_of)]
    unregistered = linked[linked["unregistered"]]
    replayed = _replay(linked)
    # Struck already before this event: the 销号 itself has no earlier strike.
    struck_before = replayed.groupby("case_id")["struck_date"].shift().notna()
    after_strike = replayed[struck_before]
    duplicates = linked[linked["duplicate"]]
    return pd.concat(
        [
            findings_of(
                unregistered, "cases", "案件缺少登记",
                unregistered["event"] + " 前没有登记, 以 "
                + unregistered["date"].dt.strftime("%Y-%m-%d") + " 立案",
            ),
            findings_of(after_strike, "cases", "销号后仍有事件", after_strike["event"] + " 在销号之后"),
            findings_of(duplicates, "cases", "重复的劝返事件", "与前面一行完全相同, 只计一次"),
        ],
        ignore_index=True,
    )[list(FINDING_COLUMNS)]


def case_states_on(cases: pd.DataFrame) -> pd.DataFrame:
    """person_key, state: one row per case of a case_table (a child may have several)."""
    return cases[["person_key", "state"]].reset_index(drop=True)


def case_timeline(events: pd.DataFrame) -> pd.DataFrame:
    """Each case's state at the end of each day it has events, from the whole log replayed once.

    Returns case_id, person_key, date, state, last_notice: one row per case and event day,
    in date order. A case's state on any day D is that of its last row dated on or before D
    (a case's state on a date comes from its events on or before that date); before
    its first row the case is not opened yet.
    """
    replayed = _replay(case_events(events))
    timeline = replayed.groupby(["case_id", "date"], sort=False).tail(1)
    timeline = timeline[["case_id", "person_key", "date", "state", "last_notice"]]
    return timeline.astype({"date": "datetime64[ns]"}).sort_values("date", kind="stable")


def states_over_time(events: pd.DataFrame, days: pd.DatetimeIndex, notice_days: int) -> pd.DataFrame:
    """Cases in each state on each of the given days (chart "case states over the term").

    Returns date, one count column per state code, notices_overdue: on each
    day, the cases opened on or before it, each in its state from its events
    on or before that day — the figures case_table would give with as_of = day.
    The log is replayed once; each day then reads every case's latest event
    (an as-of join), instead of rebuilding the table per day.
    """
    dates = pd.DatetimeIndex(days).normalize().sort_values().as_unit("ns")
    state_columns = list(CASE_STATES)
    on_day = _cases_on_days(case_timeline(events), dates)
    if on_day.empty:
        counts = pd.DataFrame(0, index=dates, columns=[*state_columns, "notices_overdue"], dtype="int64")
        return counts.rename_axis("date").reset_index()
    counts = on_day.groupby(["date", "state"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=dates, columns=state_columns, fill_value=0)
    overdue = _notice_overdue(on_day["state"], on_day["last_notice"], on_day["date"], notice_days)
    counts["notices_overdue"] = overdue.groupby(on_day["date"]).sum().reindex(dates, fill_value=0)
    return counts.astype("int64").rename_axis(index="date", columns=None).reset_index()


def _cases_on_days(timeline: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Every (day, case) pair of ``case_timeline`` rows and sorted ``dates`` whose case is opened
    by that day: date, case_id, state, last_notice, each read at the end of the case's last
    event day on or before the day (an as-of join)."""
    timeline = timeline[["case_id", "date", "state", "last_notice"]]
    if timeline.empty or dates.empty:
        return timeline.iloc[0:0]
    grid = pd.MultiIndex.from_product([dates, timeline["case_id"].unique()], names=["date", "case_id"])
    grid = grid.to_frame(index=False).astype({"case_id": timeline["case_id"].dtype})
    on_day = pd.merge_asof(grid, timeline, on="date", by="case_id", direction="backward")
    return on_day[on_day["state"].notna()]  # drop cases not yet opened that day


def states_of_cases_on(events: pd.DataFrame, day: dt.date, notice_days: int) -> pd.DataFrame:
    """Each case opened by ``day``: case_id, person_key, state and notice_overdue that day, from
    the log replayed once, as ``states_over_time`` reads them (a case's replay depends on its
    own events only, so the counts of any group of cases equal those of its events replayed alone)."""
    timeline = case_timeline(events)
    on_day = _cases_on_days(timeline, pd.DatetimeIndex([as_timestamp(day)]).as_unit("ns"))
    person = timeline.drop_duplicates("case_id").set_index("case_id")["person_key"]
    return pd.DataFrame({
        "case_id": on_day["case_id"].to_numpy(),
        "person_key": on_day["case_id"].map(person).to_numpy(),
        "state": on_day["state"].to_numpy(),
        "notice_overdue": _notice_overdue(on_day["state"], on_day["last_notice"], on_day["date"],
                                          notice_days).to_numpy(),
    })
