"""Dropout cases: the event log replayed into cases and states; worked examples and properties."""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.calendar import school_days
from kcbx.measures.cases import (
    CASE_STATES,
    NO_OPEN_CASE,
    NOTICE_NOT_ISSUED,
    OUTCOME_STATES,
    breakdown,
    build_cases,
    case_counts,
    case_events,
    case_findings,
    case_states_on,
    case_table,
    clearance_progress,
    deadline_moved_note,
    notices_missing,
    open_cases_before,
    return_funnel,
    states_over_time,
    term_scope,
)
from kcbx.schema import CASE_EVENTS, columns

D = dt.date


def event_frame(rows) -> pd.DataFrame:
    """Canonical case events, in file order, from (person_key, date, event, {other columns}) tuples."""
    records = []
    for line, (person, date, event, *extra) in enumerate(rows, start=2):
        record = dict.fromkeys(columns("cases"))
        record.update(
            person_key=person, id_number=person, date=pd.Timestamp(date), event=event,
            source_file="劝返台账.xlsx", source_sheet="Sheet1", source_row=line,
        )
        record.update(extra[0] if extra else {})
        records.append(record)
    frame = pd.DataFrame(records, columns=columns("cases"))
    return frame.astype({"date": "datetime64[ns]", "grade": "Int64", "source_row": "int64"})


def one_case(table: pd.DataFrame, case_id: str) -> pd.Series:
    return table.set_index("case_id").loc[case_id]


# --- which case an event belongs to -------------------------------------------------------

def test_registration_opens_a_new_case_and_later_events_join_it():
    events = event_frame([
        ("p1", "2021-09-01", "登记"),
        ("p1", "2021-09-03", "家访"),
        ("p1", "2021-09-10", "复学"),
        ("p1", "2021-11-01", "登记"),      # a second dropout: case 2
        ("p1", "2021-11-02", "劝返"),
    ])
    assert case_events(events)["case_id"].tolist() == ["p1#1", "p1#1", "p1#1", "p1#2", "p1#2"]
    cases = build_cases(events)
    assert cases["case_id"].tolist() == ["p1#1", "p1#2"]
    assert cases["event_rows"].tolist() == [[0, 1, 2], [3, 4]]


def test_event_before_any_registration_opens_an_unregistered_case():
    events = event_frame([
        ("p2", "2021-09-05", "家访"),      # no 登记 before: opens p2#1 on 5 Sep
        ("p2", "2021-09-06", "劝返"),      # joins p2#1
        ("p2", "2021-09-20", "登记"),      # opens p2#2
    ])
    linked = case_events(events)
    assert linked["case_id"].tolist() == ["p2#1", "p2#1", "p2#2"]
    assert linked["unregistered"].tolist() == [True, False, False]
    assert build_cases(events)["registered"].tolist() == [False, True]


def test_events_are_sorted_by_date_but_same_day_keeps_file_order():
    # The file lists 复学 (1 Oct) before 登记 (1 Sep): date order puts 登记 first -> one case.
    events = event_frame([("p1", "2021-10-01", "复学"), ("p1", "2021-09-01", "登记")])
    assert case_events(events)["case_id"].tolist() == ["p1#1", "p1#1"]
    # Same day, file order 复学 then 登记: 复学 opens an unregistered case (returned),
    # and 登记 opens a second one, open.
    same_day = event_frame([("p1", "2021-09-01", "复学"), ("p1", "2021-09-01", "登记")])
    table = case_table(same_day, D(2021, 9, 30), notice_days=7)
    assert table["state"].tolist() == ["returned", "open"]


def test_exact_duplicate_event_counts_once():
    events = event_frame([
        ("p1", "2021-09-01", "登记"),
        ("p1", "2021-09-01", "登记"),      # exact copy: not a second case
        ("p1", "2021-09-02", "家访"),
    ])
    linked = case_events(events)
    assert linked["case_id"].tolist() == ["p1#1", "p1#1", "p1#1"]
    assert linked["duplicate"].tolist() == [False, True, False]
    assert one_case(case_table(events, D(2021, 9, 30), 7), "p1#1")["events"] == 2


# --- the state rule -----------------------------------------------------------------------

def test_states_on_a_date():
    events = event_frame([
        ("a", "2021-09-01", "登记"), ("a", "2021-09-05", "复学"),
        ("b", "2021-09-01", "登记"), ("b", "2021-09-05", "外地就读"),
        ("c", "2021-09-01", "登记"), ("c", "2021-09-05", "销号"),
        ("d", "2021-09-01", "登记"), ("d", "2021-09-05", "复学"), ("d", "2021-09-06", "销号"),
        ("e", "2021-09-01", "登记"), ("e", "2021-09-05", "转学"), ("e", "2021-09-08", "复学"),
        ("f", "2021-09-01", "登记"), ("f", "2021-09-05", "死亡"),
        ("g", "2021-09-01", "登记"), ("g", "2021-09-05", "送教上门"),
        ("h", "2021-09-01", "登记"), ("h", "2021-09-30", "复学"),   # after as_of
        ("i", "2021-09-20", "登记"),                                # opened after as_of
    ])
    table = case_table(events, D(2021, 9, 10), notice_days=7).set_index("person_key")
    assert table["state"].to_dict() == {
        "a": "returned",        # 复学
        "b": "transferred",     # 外地就读
        "c": "closed",          # struck without outcome
        "d": "returned",        # struck cases keep their outcome
        "e": "returned",        # the last outcome wins
        "f": "died",
        "g": "home_teaching",
        "h": "open",            # its 复学 lies after as_of
    }                           # i: opened after as_of, no row
    assert table.loc["d", "struck"] and table.loc["d", "struck_date"] == pd.Timestamp("2021-09-06")
    assert table.loc["e", "outcome_event"] == "复学"
    assert table.loc["e", "outcome_date"] == pd.Timestamp("2021-09-08")
    assert not table.loc["a", "struck"] and pd.isna(table.loc["a", "struck_date"])
    assert table.loc["b", "state_label"] == "转学/外地就读"


def test_notice_overdue_is_more_than_notice_days_after_the_last_notice():
    events = event_frame([
        ("p1", "2021-09-01", "登记"), ("p1", "2021-09-02", "发出限期复学通知书"),
        ("p2", "2021-09-01", "登记"), ("p2", "2021-09-02", "发出限期复学通知书"), ("p2", "2021-09-05", "复学"),
        ("p3", "2021-09-01", "登记"),                                          # no notice
        ("p4", "2021-09-01", "登记"), ("p4", "2021-09-02", "发出限期复学通知书"),
        ("p4", "2021-09-06", "发出限期复学通知书"),                               # renewed
    ])
    # 9 Sep: 7 days after p1's notice of 2 Sep -> not "more than" 7: not overdue.
    on_9th = case_table(events, D(2021, 9, 9), notice_days=7).set_index("person_key")
    assert not on_9th["notice_overdue"].any()
    assert on_9th.loc["p1", "notice_due"] == pd.Timestamp("2021-09-09")
    # 10 Sep: 8 days -> p1 overdue. p2 returned, p3 has no notice, p4's last notice
    # is 6 Sep (4 days): only p1.
    on_10th = case_table(events, D(2021, 9, 10), notice_days=7).set_index("person_key")
    assert on_10th.index[on_10th["notice_overdue"]].tolist() == ["p1"]
    assert on_10th.loc["p4", "last_notice"] == pd.Timestamp("2021-09-06")
    assert case_counts(on_10th.reset_index())["notices_overdue"] == 1


# The autumn term of 2021: 1–7 Oct National Day, Sat 9 Oct a make-up school day.
TERM_DAYS = school_days(D(2021, 9, 1), D(2022, 1, 14))


def test_notice_deadline_on_a_holiday_moves_to_the_next_school_day():
    events = event_frame([
        ("p1", "2021-09-20", "登记"), ("p1", "2021-09-26", "发出限期复学通知书"),  # +7: Sun 3 Oct, holiday
        ("p2", "2021-09-20", "登记"), ("p2", "2021-09-30", "发出限期复学通知书"),  # +7: Thu 7 Oct, holiday
        ("p3", "2021-09-20", "登记"), ("p3", "2021-10-08", "发出限期复学通知书"),  # +7: Fri 15 Oct, school
        ("p4", "2021-09-20", "登记"), ("p4", "2021-10-02", "发出限期复学通知书"),  # +7: Sat 9 Oct, make-up day
        ("p5", "2022-01-09", "登记"), ("p5", "2022-01-10", "发出限期复学通知书"),  # +7: 17 Jan, after the term
    ])
    table = case_table(events, D(2022, 1, 14), notice_days=7, school_days=TERM_DAYS).set_index("person_key")
    # The first school day after the holiday is Fri 8 Oct; a school day or a day past the term stays.
    assert table["notice_due"].dt.strftime("%m-%d").to_dict() == {
        "p1": "10-08", "p2": "10-08", "p3": "10-15", "p4": "10-09", "p5": "01-17"}
    assert table.loc["p1", "notice_due_nominal"] == pd.Timestamp("2021-10-03")
    notes = deadline_moved_note(table["notice_due_nominal"], table["notice_due"]).to_dict()
    assert notes == {"p1": "10月3日 → 10月8日（遇节假日顺延）", "p2": "10月7日 → 10月8日（遇节假日顺延）",
                     "p3": None, "p4": None, "p5": None}
    # Without a calendar the deadline is the calendar one.
    assert case_table(events, D(2022, 1, 14), 7).set_index("person_key").loc["p1", "notice_due"] == \
        pd.Timestamp("2021-10-03")


def test_no_case_no_moved_deadline():
    empty = case_table(event_frame([]), D(2021, 10, 15), 7)
    assert deadline_moved_note(empty["notice_due_nominal"], empty["notice_due"]).empty


def test_notices_overdue_stays_in_calendar_days_when_the_deadline_moves():
    # Contract: "more than notice_days calendar days before as_of". On Mon 4 Oct, 8 days after
    # the notice of 26 Sep, the case counts as overdue though the moved deadline is 8 Oct.
    events = event_frame([("p1", "2021-09-20", "登记"), ("p1", "2021-09-26", "发出限期复学通知书")])
    table = case_table(events, D(2021, 10, 4), notice_days=7, school_days=TERM_DAYS)
    assert table.loc[0, "notice_due"] == pd.Timestamp("2021-10-08")
    assert bool(table.loc[0, "notice_overdue"]) and case_counts(table)["notices_overdue"] == 1


def test_struck_without_outcome_or_action_before_it_is_unverified():
    events = event_frame([
        ("p1", "2021-09-14", "登记"), ("p1", "2021-09-17", "销号"),                            # false 销号
        ("p2", "2021-09-14", "登记"), ("p2", "2021-09-15", "家访"), ("p2", "2021-09-17", "销号"),
        ("p3", "2021-09-14", "登记"), ("p3", "2021-09-17", "销号"), ("p3", "2021-09-18", "劝返"),  # too late
        ("p4", "2021-09-14", "登记"), ("p4", "2021-09-16", "复学"), ("p4", "2021-09-17", "销号"),  # outcome
        ("p5", "2021-09-14", "登记"), ("p5", "2021-09-15", "发出限期复学通知书"), ("p5", "2021-09-17", "销号"),
        ("p6", "2021-09-14", "登记"),                                                            # open
        ("p7", "2021-09-14", "登记"), ("p7", "2021-09-17", "劝返"), ("p7", "2021-09-17", "销号"),  # same day, before
    ])
    table = case_table(events, D(2021, 9, 30), notice_days=7)
    unverified = table.set_index("person_key")["struck_unverified"]
    assert unverified[unverified].index.tolist() == ["p1", "p3"]
    counts = case_counts(table)
    # 7 cases, 1 open: closure_rate keeps the contract's (7 − 1) / 7, the two struck ones in it.
    assert (counts["cases_struck_unverified"], counts["closure_rate"]) == (2, 6 / 7)
    assert clearance_progress(table, D(2021, 9, 30), D(2021, 12, 31))["struck_unverified"] == 2


def test_pupils_at_the_top_rung_without_a_notice():
    streaks = pd.DataFrame({"person_key": ["a", "b", "c", "d", "e"], "streak": [8, 6, 5, 5, 4]})
    cases = pd.DataFrame({
        "person_key": ["a", "b", "d"],
        "state": ["open", "open", "returned"],
        "last_notice": pd.to_datetime([None, "2021-10-10", None]),
    })
    # Top rung 5: a (open, no notice), c (no case), d (case returned, none open); b has its
    # notice; e is below the top rung.
    missing = notices_missing(streaks, cases, top_threshold=5)
    assert missing[["person_key", "streak", "finding"]].values.tolist() == [
        ["a", 8, NOTICE_NOT_ISSUED], ["c", 5, NO_OPEN_CASE], ["d", 5, NO_OPEN_CASE]]
    # A four-rung ladder (1357): only a reaches the top.
    assert notices_missing(streaks, cases, top_threshold=7)["person_key"].tolist() == ["a"]


def test_case_details_owners_attempts_and_township():
    events = event_frame([
        ("p1", "2021-09-01", "登记", {"township": "甲镇", "name": "张三", "grade": 8, "cause": "厌学",
                                     "admin_owner": "王村长", "edu_owner": ""}),
        ("p1", "2021-09-02", "家访", {"township": "乙镇", "edu_owner": "李老师", "method": "感召"}),
        ("p1", "2021-09-03", "劝返", {"cause": "  ", "method": "行政"}),       # blank cause: keep 厌学
        ("p1", "2021-09-04", "发出限期复学通知书"),
        ("p1", "2021-09-08", "复学", {"placement": "插班"}),
        ("p2", "2021-09-03", "家访", {"township": "丙镇", "admin_owner": "赵干部"}),  # no 登记
    ])
    table = case_table(events, D(2021, 9, 30), notice_days=7)
    p1 = one_case(table, "p1#1")
    assert (p1["name"], p1["grade"], p1["township"]) == ("张三", 8, "甲镇")   # township of the 登记 row
    assert (p1["cause"], p1["admin_owner"], p1["edu_owner"]) == ("厌学", "王村长", "李老师")
    assert not p1["missing_owner"]                      # each line filled on some event
    assert (p1["method"], p1["placement"]) == ("行政", "插班")     # the latest non-blank
    assert (p1["attempts"], p1["events"]) == (3, 5)     # 家访, 劝返, notice; five events
    assert p1["opened"] == pd.Timestamp("2021-09-01") and p1["registered"]
    p2 = one_case(table, "p2#1")
    assert p2["township"] is None and not p2["registered"]   # no 登记: no case township
    assert p2["missing_owner"]                               # no education-line owner


# --- figures --------------------------------------------------------------------------------

CASES = pd.DataFrame({
    "person_key": ["a", "a", "b", "c", "d", "e"],
    "state": ["open", "returned", "open", "transferred", "closed", "returned"],
    "notice_overdue": [True, False, False, False, False, False],
    "cause": ["厌学", "厌学", None, "外出务工", "厌学", ""],
    "struck_unverified": [False, False, False, False, True, False],   # d: struck, nothing done
})


def test_case_counts():
    counts = case_counts(CASES, poverty_keys={"a", "c"})
    # 6 cases: 2 open (a, b), 2 returned; open ones in poverty: a's only.
    assert counts["cases_total"] == 6
    assert counts["cases_open"] == 2
    assert counts["cases_open_poverty"] == 1
    assert counts["cases_returned"] == 2
    assert counts["return_rate"] == 2 / 6
    assert counts["closure_rate"] == (6 - 2) / 6
    assert counts["cases_by_state"] == {
        "open": 2, "returned": 2, "transferred": 1, "home_teaching": 0, "died": 0, "closed": 1,
    }
    assert counts["cases_struck_unverified"] == 1   # d, still in closure_rate's numerator
    empty = case_counts(CASES.iloc[:0])
    assert (empty["cases_total"], empty["return_rate"], empty["closure_rate"]) == (0, None, None)
    assert empty["cases_open_poverty"] is None   # poverty keys not given


def test_term_scope_keeps_this_terms_cases_and_earlier_ones_still_open_when_it_began():
    events = event_frame([
        ("this", "2021-09-01", "登记"),                                   # opened on the first day
        ("carried", "2021-05-10", "登记"),                                # still open on 1 Sep
        ("returned_in_term", "2021-06-01", "登记"), ("returned_in_term", "2021-09-06", "复学"),
        ("ended", "2021-03-01", "登记"), ("ended", "2021-03-08", "复学"),  # returned last term
        ("struck", "2021-04-01", "登记"), ("struck", "2021-04-09", "销号"),  # struck last term
        ("struck_on_day_one", "2021-04-01", "登记"), ("struck_on_day_one", "2021-09-01", "销号"),
    ])
    table = case_table(events, D(2021, 10, 15), notice_days=7)
    scope = dict(zip(table["person_key"], term_scope(table, D(2021, 9, 1))))
    assert scope == {"this": "this_term", "carried": "carried_over", "returned_in_term": "carried_over",
                     "ended": None, "struck": None, "struck_on_day_one": "carried_over"}


def test_clearance_progress():
    # Two open cases, 20 days before the 30 Sep target.
    assert clearance_progress(CASES, D(2021, 9, 10), D(2021, 9, 30)) == {
        "open_cases": 2, "target_date": "2021-09-30", "days_remaining": 20, "met": False, "overdue": False,
        "struck_unverified": 1,
    }
    # 5 days after the target, still open: overdue.
    late = clearance_progress(CASES, D(2021, 10, 5), D(2021, 9, 30))
    assert (late["days_remaining"], late["overdue"]) == (-5, True)
    cleared = clearance_progress(CASES[CASES["state"] != "open"], D(2021, 10, 5), D(2021, 9, 30))
    assert cleared["met"] and not cleared["overdue"]


def test_return_funnel_counts_the_cases_found_since_a_day():
    # Seed 001's line. A: registered in June (last school year): not in the term's funnel.
    # B returned, C still open (poor), D died, E still open: found 4, returned 1, still out 2.
    table = case_table(event_frame([
        ("A", "2021-06-01", "登记"),
        ("B", "2021-09-06", "登记"), ("B", "2021-09-20", "复学"),
        ("C", "2021-09-07", "登记"),
        ("D", "2021-09-08", "登记"), ("D", "2021-09-30", "死亡"),
        ("E", "2021-10-11", "登记"),
    ]), D(2021, 10, 15), 7)
    # C and E are in the poverty register; only E's 类别 is 脱贫户.
    assert return_funnel(table, D(2021, 9, 1), {"C", "A", "E"}, {"E", "A"}) == {
        "since": "2021-09-01", "found": 4, "returned": 1, "still_open": 2, "still_open_poverty": 2,
        "still_open_tuopin": 1}
    # Since the last run on Fri 8 Oct: only E is new, still open.
    assert return_funnel(table, D(2021, 10, 9), {"C"})["found"] == 1


def test_open_cases_a_week_before():
    days = pd.DatetimeIndex(pd.bdate_range("2021-10-04", "2021-10-15"))
    states = states_over_time(event_frame([
        ("A", "2021-10-05", "登记"), ("B", "2021-10-11", "登记"), ("A", "2021-10-12", "复学"),
    ]), days, 7)
    # A week before Fri 15 Oct is Fri 8 Oct: A open (1). Before Mon 4 Oct the term has no day.
    assert open_cases_before(states, D(2021, 10, 15), 7) == {"date": "2021-10-08", "open": 1}
    assert open_cases_before(states, D(2021, 10, 6), 7) is None


def test_breakdown_by_cause_and_state():
    by_cause = breakdown(CASES, "cause")
    # 厌学: 3 cases (open, returned, closed); 未填写 (None and ""): 2; 外出务工: 1.
    assert by_cause[["cause", "cases", "open", "returned", "closed"]].values.tolist() == [
        ["厌学", 3, 1, 1, 1], ["未填写", 2, 1, 1, 0], ["外出务工", 1, 0, 0, 0],
    ]
    by_state = breakdown(CASES, "state").set_index("state")["cases"]
    assert by_state.to_dict() == {"open": 2, "returned": 2, "transferred": 1, "home_teaching": 0, "died": 0, "closed": 1}


def test_case_states_on():
    assert case_states_on(CASES).values.tolist() == [
        ["a", "open"], ["a", "returned"], ["b", "open"], ["c", "transferred"], ["d", "closed"], ["e", "returned"],
    ]


def test_case_findings():
    events = event_frame([
        ("p1", "2021-09-01", "登记"),        # row 2
        ("p1", "2021-09-05", "销号"),        # row 3
        ("p1", "2021-09-07", "家访"),        # row 4: after the strike
        ("p2", "2021-09-02", "劝返"),        # row 5: no 登记 before
        ("p2", "2021-09-03", "家访"),        # row 6: joins p2's case, not reported again
        ("p2", "2021-09-03", "家访"),        # row 7: exact copy of row 6
        ("p3", "2021-10-09", "家访"),        # row 8: after as_of, not looked at
    ])
    findings = case_findings(events, D(2021, 9, 30))
    assert sorted(zip(findings["row"], findings["finding"])) == [
        (4, "销号后仍有事件"), (5, "案件缺少登记"), (7, "重复的劝返事件"),
    ]
    assert set(findings["kind"]) == {"cases"}


def test_states_over_time():
    events = event_frame([
        ("p1", "2021-09-01", "登记"), ("p1", "2021-09-02", "发出限期复学通知书"), ("p1", "2021-09-12", "复学"),
        ("p2", "2021-09-03", "登记"), ("p2", "2021-09-05", "销号"),
    ])
    days = pd.DatetimeIndex(["2021-08-31", "2021-09-01", "2021-09-04", "2021-09-05", "2021-09-10", "2021-09-12"])
    table = states_over_time(events, days, notice_days=7).set_index("date")
    # 31 Aug: nothing opened. 1 Sep: p1 open. 4 Sep: p1, p2 open. 5 Sep: p2 struck.
    # 10 Sep: p1's notice (2 Sep) is 8 days old -> overdue. 12 Sep: p1 returned.
    assert table["open"].tolist() == [0, 1, 2, 1, 1, 0]
    assert table["closed"].tolist() == [0, 0, 0, 1, 1, 1]
    assert table["returned"].tolist() == [0, 0, 0, 0, 0, 1]
    assert table["notices_overdue"].tolist() == [0, 0, 0, 0, 1, 0]


# --- properties: against a brute-force replay of the log ----------------------------------

def brute_force_replay(rows, as_of: pd.Timestamp) -> dict[str, tuple[str, pd.Timestamp | None]]:
    """Replay the contract's words, event by event: case_id -> (state, last notice) on as_of."""
    seen, log = set(), []
    for row in rows:                      # exact duplicates count once
        if row not in seen:
            seen.add(row)
            log.append(row)
    log.sort(key=lambda row: row[1])      # stable: same-day events keep file order
    case_of_event, cases_per_child, current = [], {}, {}
    for person, _date, event in log:
        if event == "登记" or person not in current:
            cases_per_child[person] = cases_per_child.get(person, 0) + 1
            current[person] = f"{person}#{cases_per_child[person]}"
        case_of_event.append(current[person])
    replayed = {}
    for case_id in dict.fromkeys(case_of_event):
        mine = [(d, e) for (p, d, e), c in zip(log, case_of_event) if c == case_id and d <= as_of]
        if not mine:
            continue
        outcomes = [e for d, e in mine if e in OUTCOME_STATES]
        if outcomes:
            state = OUTCOME_STATES[outcomes[-1]]
        else:
            state = "closed" if any(e == "销号" for d, e in mine) else "open"
        notices = [d for d, e in mine if e == "发出限期复学通知书"]
        replayed[case_id] = (state, notices[-1] if notices else None)
    return replayed


def brute_force_states(rows, as_of: pd.Timestamp) -> dict[str, str]:
    return {case_id: state for case_id, (state, _) in brute_force_replay(rows, as_of).items()}


event_logs = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2"]),
        st.integers(0, 9).map(lambda n: pd.Timestamp("2021-09-01") + pd.Timedelta(days=n)),
        st.sampled_from(CASE_EVENTS),
    ),
    max_size=14,
)


@settings(max_examples=200, deadline=None)
@given(rows=event_logs, as_of_offset=st.integers(-1, 10))
def test_case_states_match_a_replay_of_the_log(rows, as_of_offset):
    as_of = pd.Timestamp("2021-09-01") + pd.Timedelta(days=as_of_offset)
    table = case_table(event_frame(rows), as_of.date(), notice_days=3)
    assert dict(zip(table["case_id"], table["state"])) == brute_force_states(rows, as_of)


@settings(max_examples=100, deadline=None)
@given(rows=event_logs)
def test_states_over_time_match_a_replay_on_every_day(rows):
    days = pd.date_range("2021-08-31", "2021-09-11", freq="D", unit="ns")
    over_time = states_over_time(event_frame(rows), days, notice_days=3).set_index("date")
    for day in days:
        expected = pd.Series(brute_force_states(rows, day), dtype=object).value_counts()
        expected = expected.reindex(list(CASE_STATES), fill_value=0)
        assert over_time.loc[day, list(CASE_STATES)].tolist() == expected.tolist()
        # Overdue: open, and the last notice more than 3 days before the day.
        overdue = sum(
            state == "open" and notice is not None and (day - notice).days > 3
            for state, notice in brute_force_replay(rows, day).values()
        )
        assert over_time.loc[day, "notices_overdue"] == overdue
