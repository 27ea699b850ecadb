"""合规检查: each rule on hand-made ledgers, at its boundary (the day before, the day of, the day
after), and the notice rule against a brute-force walk of the school days."""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.calendar import school_days
from kcbx.measures.cases import case_events, case_table
from kcbx.measures.compliance import (
    COMPLIANCE_COLUMNS,
    RULES,
    WHO_ACTS,
    case_top_rung_days,
    child_labour,
    compliance_checks,
    early_marriage,
    known_birth_dates,
    no_guardian_phone,
    no_owner,
    not_struck_off,
    notice_late,
    return_overdue,
    school_days_between,
    top_rung_runs,
)
from kcbx.measures.escalation import absence_streaks
from kcbx.schema import UNEXCUSED_TYPES
from support.builders import resident_id, table

D = dt.date
# 1 Sep – 29 Oct 2021: 中秋 19–21 Sep (Sat 18 Sep a make-up school day), National Day 1–7 Oct
# (Sun 26 Sep and Sat 9 Oct make-up school days).
DAYS = school_days(D(2021, 9, 1), D(2021, 10, 29))
TERM_START = D(2021, 9, 1)
LADDER = (1, 3, 5)
OWNERS = {"admin_owner": "韦一（副镇长）", "edu_owner": "黄二（班主任）"}


def events(*rows, **common) -> pd.DataFrame:
    """Case events from (person_key, date, event[, {column: value}]) in file order; every row of
    township 甲镇, school 一中, with both owners unless ``common`` says otherwise."""
    base = {"township": "甲镇", "school": "一中", "name": "张三", **OWNERS, **common}
    return table("cases", [{**base, "person_key": person, "id_number": person, "date": day, "event": event,
                            **(extra[0] if extra else {})} for person, day, event, *extra in rows])


def absences(person: str, *days: str, kind: str = "无故") -> pd.DataFrame:
    return table("absence", [{"date": day, "person_key": person, "school": "一中", "absence_type": kind,
                              "unexcused": kind in UNEXCUSED_TYPES} for day in days])


NO_ABSENCE = absences("nobody").iloc[0:0]


def cases_on(log: pd.DataFrame, as_of: dt.date, notice_days: int = 7) -> pd.DataFrame:
    return case_table(log, as_of, notice_days, DAYS)


def late(log: pd.DataFrame, absence: pd.DataFrame, as_of: dt.date, grace: int = 2) -> pd.DataFrame:
    streaks = absence_streaks(absence, DAYS, as_of)
    pupils = pd.DataFrame({"person_key": ["p1", "p9"], "township": "甲镇", "school": "一中", "name": ["张三", "李九"]})
    return notice_late(cases_on(log, as_of), case_events(log), absence, streaks, pupils, DAYS, as_of,
                       LADDER, grace)


# The run of p1: Fri 8, Sat 9 (make-up), Mon 11, Tue 12, Wed 13 Oct: the 5th day, the top rung, is
# Wed 13 Oct. Grace 2 school days: Thu 14 (1), Fri 15 (2); Mon 18 is the 3rd.
RUN = absences("p1", "2021-10-08", "2021-10-09", "2021-10-11", "2021-10-12", "2021-10-13", "2021-10-14")


# --- helpers ---------------------------------------------------------------------------


def test_school_days_between_counts_after_and_through():
    after = pd.Series(pd.to_datetime(["2021-09-30", "2021-10-13", "2021-10-13"]))
    # 30 Sep → 11 Oct: 8, 9, 11 Oct (1–7 Oct are National Day); 13 → 13 Oct: none; 13 → 18 Oct: 14, 15, 18.
    through = pd.Series(pd.to_datetime(["2021-10-11", "2021-10-13", "2021-10-18"]))
    assert school_days_between(DAYS, after, through).tolist() == [3, 0, 3]
    # Through Sun 17 Oct: 8, 9, 11–15 Oct after 30 Sep; 14, 15 Oct after 13 Oct.
    assert school_days_between(DAYS, after, pd.Timestamp("2021-10-17")).tolist() == [7, 2, 2]


def test_top_rung_runs_reach_the_top_on_the_fifth_school_day():
    runs = top_rung_runs(RUN, DAYS, 5, D(2021, 10, 15))
    # The run ends on Thu 14 (absent), Fri 15 he came: one run of 6, top on its 5th day.
    assert runs.to_dict("records") == [{"person_key": "p1", "run_start": pd.Timestamp("2021-10-08"),
                                        "top_day": pd.Timestamp("2021-10-13"), "run_end": pd.Timestamp("2021-10-14")}]
    # On Tue 12 Oct the run is 4 days long: no top rung yet.
    assert top_rung_runs(RUN, DAYS, 5, D(2021, 10, 12)).empty
    # Excused days are no run.
    assert top_rung_runs(absences("p1", *RUN["date"].dt.strftime("%Y-%m-%d"), kind="病假"), DAYS, 5,
                         D(2021, 10, 15)).empty


def test_a_case_takes_the_run_going_on_the_school_day_before_it_opened():
    # Case on Mon 11 Oct: the school day before is Sat 9 (make-up), the run was going then.
    log = events(("p1", "2021-10-11", "登记"))
    cases = cases_on(log, D(2021, 10, 20))
    reached = case_top_rung_days(cases, top_rung_runs(RUN, DAYS, 5, D(2021, 10, 20)), DAYS)
    assert reached.to_dict("records") == [{"top_day": pd.Timestamp("2021-10-13"), "from_ledger": True}]


def test_a_run_that_ended_before_the_case_is_not_its_run():
    # Absent Mon 6 – Fri 10 Sep (top on Fri 10), back on Mon 13 Sep; a case opened on Mon 11 Oct
    # without a run of its own: its 登记 date stands in.
    september = absences("p1", "2021-09-06", "2021-09-07", "2021-09-08", "2021-09-09", "2021-09-10")
    log = events(("p1", "2021-10-11", "登记"))
    cases = cases_on(log, D(2021, 10, 20))
    reached = case_top_rung_days(cases, top_rung_runs(september, DAYS, 5, D(2021, 10, 20)), DAYS)
    assert reached.to_dict("records") == [{"top_day": pd.Timestamp("2021-10-11"), "from_ledger": False}]


def test_a_later_case_of_the_child_ends_the_earlier_ones_claim_on_runs():
    # Case 1 opened Tue 28 Sep and left open; case 2 opened Mon 11 Oct: RUN (top Wed 13) is
    # case 2's, not case 1's, which falls back on its own opening date.
    log = events(("p1", "2021-09-28", "登记"), ("p1", "2021-10-11", "登记"))
    cases = cases_on(log, D(2021, 10, 20))
    reached = case_top_rung_days(cases, top_rung_runs(RUN, DAYS, 5, D(2021, 10, 20)), DAYS)
    assert reached["top_day"].tolist() == [pd.Timestamp("2021-09-28"), pd.Timestamp("2021-10-13")]
    assert reached["from_ledger"].tolist() == [False, True]


# --- notice_late -----------------------------------------------------------------------


def test_no_notice_is_a_row_on_the_third_school_day_after_the_top_rung():
    log = events(("p1", "2021-10-11", "登记"))
    assert late(log, RUN, D(2021, 10, 14)).empty       # 1 school day after Wed 13
    assert late(log, RUN, D(2021, 10, 15)).empty       # 2: the last day allowed
    assert late(log, RUN, D(2021, 10, 17)).empty       # Sunday: still 2
    row = late(log, RUN, D(2021, 10, 18)).iloc[0]      # Mon 18: 3
    assert (row["rule"], row["case_id"], row["since"]) == ("notice_late", "p1#1", pd.Timestamp("2021-10-13"))
    assert row["fact"] == ("10月13日连续无故缺勤达5天（最高一级），已过3个上课日仍未发出限期复学通知书"
                           "（应在2个上课日内发出）")
    assert row["who_acts"] == WHO_ACTS["notice_late"]
    assert row["owners"] == "包保干部：韦一（副镇长）；包保教师：黄二（班主任）"


def test_a_notice_on_the_second_school_day_is_in_time_on_the_third_late():
    def log(notice_day: str) -> pd.DataFrame:
        return events(("p1", "2021-10-11", "登记"), ("p1", notice_day, "发出限期复学通知书"))

    assert late(log("2021-10-14"), RUN, D(2021, 10, 22)).empty   # 1 school day after
    assert late(log("2021-10-15"), RUN, D(2021, 10, 22)).empty   # 2
    row = late(log("2021-10-18"), RUN, D(2021, 10, 22)).iloc[0]   # 3
    assert row["fact"] == ("10月13日连续无故缺勤达5天（最高一级），10月18日才发出限期复学通知书，相隔3个上课日"
                           "（应在2个上课日内发出）")


def test_national_day_does_not_count_against_the_notice():
    # Absent Fri 24, Sun 26 (make-up), Mon 27, Tue 28, Wed 29, Thu 30 Sep: the 5th day, the top
    # rung, is Wed 29 Sep. 1–7 Oct are no school days: Thu 30 Sep is the 1st school day after,
    # Fri 8 Oct the 2nd, Sat 9 Oct (make-up) the 3rd.
    run = absences("p1", "2021-09-24", "2021-09-26", "2021-09-27", "2021-09-28", "2021-09-29", "2021-09-30")
    log = events(("p1", "2021-09-30", "登记"), ("p1", "2021-10-09", "发出限期复学通知书"))
    row = late(log, run, D(2021, 10, 11)).iloc[0]
    assert row["since"] == pd.Timestamp("2021-09-29")
    assert "相隔3个上课日" in row["fact"]
    on_time = events(("p1", "2021-09-30", "登记"), ("p1", "2021-10-08", "发出限期复学通知书"))
    assert late(on_time, run, D(2021, 10, 11)).empty  # 30 Sep, 8 Oct: 2, in time


def test_without_a_run_the_registration_date_stands_in():
    log = events(("p1", "2021-10-11", "登记"))
    assert late(log, NO_ABSENCE, D(2021, 10, 13)).empty   # Tue 12, Wed 13: 2
    row = late(log, NO_ABSENCE, D(2021, 10, 14)).iloc[0]  # Thu 14: 3
    assert row["fact"] == ("10月11日登记（缺勤台账无连续5天记录，从此日算起），已过3个上课日仍未发出限期复学通知书"
                           "（应在2个上课日内发出）")
    # A case opened by another event than 登记 says 立案.
    unregistered = events(("p1", "2021-10-11", "家访"))
    assert late(unregistered, NO_ABSENCE, D(2021, 10, 14)).iloc[0]["fact"].startswith("10月11日立案（")


def test_a_case_that_ended_owes_no_notice():
    log = events(("p1", "2021-10-11", "登记"), ("p1", "2021-10-14", "复学"))
    assert late(log, RUN, D(2021, 10, 20)).empty


def test_a_pupil_at_the_top_rung_without_a_case():
    # p9 absent 8 Oct – 18 Oct: top rung Wed 13 Oct; no case at all.
    run = absences("p9", "2021-10-08", "2021-10-09", "2021-10-11", "2021-10-12", "2021-10-13",
                   "2021-10-14", "2021-10-15", "2021-10-18")
    no_cases = events(("p1", "2021-09-01", "登记"), ("p1", "2021-09-02", "复学"))
    assert late(no_cases, run, D(2021, 10, 15)).empty   # 14, 15: 2
    row = late(no_cases, run, D(2021, 10, 18)).iloc[0]  # 14, 15, 18: 3
    assert (row["person_key"], row["name"], row["case_id"], row["owners"]) == ("p9", "李九", None, None)
    assert row["fact"] == ("10月13日连续无故缺勤达5天（最高一级），已过3个上课日，尚未登记辍学案件，"
                           "也未发出限期复学通知书（应在2个上课日内发出）")
    assert row["who_acts"].startswith("学校（登记辍学案件")
    # With an open case, the case's row speaks for him (none of his own).
    with_case = events(("p9", "2021-10-14", "登记"), ("p9", "2021-10-14", "发出限期复学通知书"))
    assert late(with_case, run, D(2021, 10, 18)).empty


# --- return_overdue --------------------------------------------------------------------


def test_return_overdue_after_notice_days_calendar_days():
    log = events(("p1", "2021-10-08", "登记"), ("p1", "2021-10-11", "发出限期复学通知书"))
    assert return_overdue(cases_on(log, D(2021, 10, 17)), D(2021, 10, 17), 7).empty  # 6 days
    assert return_overdue(cases_on(log, D(2021, 10, 18)), D(2021, 10, 18), 7).empty  # 7: the last day
    row = return_overdue(cases_on(log, D(2021, 10, 19)), D(2021, 10, 19), 7).iloc[0]  # 8
    assert row["fact"] == "10月11日发出限期复学通知书（限7日内返校），至10月19日已过8天仍未复学"
    assert row["since"] == pd.Timestamp("2021-10-11")
    back = events(("p1", "2021-10-08", "登记"), ("p1", "2021-10-11", "发出限期复学通知书"), ("p1", "2021-10-18", "复学"))
    assert return_overdue(cases_on(back, D(2021, 10, 19)), D(2021, 10, 19), 7).empty


# --- child_labour ----------------------------------------------------------------------

WORKER = resident_id("20051016")  # 16 on Sat 16 Oct 2021


def test_a_working_child_is_listed_until_the_16th_birthday():
    log = events((WORKER, "2021-09-06", "登记", {"cause": "外出务工", "destination": "广东东莞"}))
    for as_of, listed in ((D(2021, 10, 14), True), (D(2021, 10, 15), True), (D(2021, 10, 16), False)):
        rows = child_labour(cases_on(log, as_of), pd.Series(dtype="datetime64[ns]"), as_of, TERM_START)
        assert len(rows) == int(listed), as_of
    row = child_labour(cases_on(log, D(2021, 10, 15)), pd.Series(dtype="datetime64[ns]"), D(2021, 10, 15),
                       TERM_START).iloc[0]
    assert row["fact"] == "辍学原因：外出务工；去向：广东东莞；截至10月15日15周岁（未满16周岁）；案件状态：在办(未复学)"
    assert row["who_acts"] == "乡镇人民政府、县教育局（通报务工地教育、人社、公安部门）"


def test_work_in_the_destination_counts_and_the_register_birth_date_wins():
    log = events(("S001", "2021-09-06", "登记", {"cause": "厌学", "destination": "随亲戚打工"}),
                 ("S002", "2021-09-06", "登记", {"cause": "厌学"}),
                 ("S003", "2021-09-06", "登记", {"cause": "外出务工"}))
    # S001 born 2006-01-01: 15. S002 is not working. S003 has no birth date and no ID: age unknown.
    births = pd.Series(pd.to_datetime(["2006-01-01"]), index=["S001"])
    rows = child_labour(cases_on(log, D(2021, 10, 15)), births, D(2021, 10, 15), TERM_START)
    assert rows["person_key"].tolist() == ["S001"]


def test_a_case_of_an_earlier_term_is_not_listed():
    log = events((WORKER, "2021-03-01", "登记", {"cause": "外出务工"}), (WORKER, "2021-03-20", "复学"))
    assert child_labour(cases_on(log, D(2021, 10, 15)), pd.Series(dtype="datetime64[ns]"), D(2021, 10, 15),
                        TERM_START).empty
    carried = events((WORKER, "2021-03-01", "登记", {"cause": "外出务工"}))  # still open: 上学期结转
    assert len(child_labour(cases_on(carried, D(2021, 10, 15)), pd.Series(dtype="datetime64[ns]"),
                            D(2021, 10, 15), TERM_START)) == 1


def test_known_birth_dates_take_the_first_register_that_dates_the_child():
    roster = table("roster", [{"person_key": "a", "birth_date": None}, {"person_key": "b", "birth_date": "2010-01-02"}])
    population = table("population", [{"person_key": "a", "birth_date": "2009-05-06"},
                                      {"person_key": "b", "birth_date": "2011-01-01"}])
    assert known_birth_dates(roster, population).to_dict() == {"b": pd.Timestamp("2010-01-02"),
                                                               "a": pd.Timestamp("2009-05-06")}


# --- not_struck_off --------------------------------------------------------------------


def test_returned_and_not_struck_off_after_strike_off_days():
    log = events(("p1", "2021-10-01", "登记"), ("p1", "2021-10-08", "复学"))
    assert not_struck_off(cases_on(log, D(2021, 10, 14)), D(2021, 10, 14), 7).empty  # 6 days
    assert not_struck_off(cases_on(log, D(2021, 10, 15)), D(2021, 10, 15), 7).empty  # 7
    row = not_struck_off(cases_on(log, D(2021, 10, 16)), D(2021, 10, 16), 7).iloc[0]  # 8
    assert row["fact"] == "10月8日复学，至10月16日已过8天仍未销号（复学后7天内应核实销号）"
    struck = events(("p1", "2021-10-01", "登记"), ("p1", "2021-10-08", "复学"), ("p1", "2021-10-20", "销号"))
    assert not_struck_off(cases_on(struck, D(2021, 10, 22)), D(2021, 10, 22), 7).empty
    transferred = events(("p1", "2021-10-01", "登记"), ("p1", "2021-10-08", "转学"))
    assert not_struck_off(cases_on(transferred, D(2021, 10, 22)), D(2021, 10, 22), 7).empty


# --- no_owner --------------------------------------------------------------------------


def test_an_open_case_without_either_line():
    log = pd.concat([events(("p1", "2021-10-11", "登记"), admin_owner=None),
                     events(("p2", "2021-10-12", "登记"), admin_owner=" ", edu_owner=None),
                     events(("p3", "2021-10-12", "登记")),
                     events(("p4", "2021-10-12", "登记"), ("p4", "2021-10-13", "复学"), edu_owner=None)],
                    ignore_index=True)
    rows = no_owner(cases_on(log, D(2021, 10, 15)), D(2021, 10, 15)).set_index("person_key")
    assert rows.index.tolist() == ["p1", "p2"]  # p3 has both; p4 is back at school
    assert rows.at["p1", "fact"] == "10月11日登记，未落实行政线（包保干部）责任人"
    assert rows.at["p1", "who_acts"] == "乡镇人民政府（指定包保干部）"
    assert rows.at["p1", "owners"] == "包保教师：黄二（班主任）"
    assert rows.at["p2", "fact"] == "10月12日登记，未落实行政线（包保干部）、教育线（包保教师）责任人"
    assert rows.at["p2", "who_acts"] == "乡镇人民政府（指定包保干部）、学校（指定包保教师）"
    assert rows.at["p2", "owners"] is None


# --- no_guardian_phone -----------------------------------------------------------------


def test_pupils_on_the_lists_without_a_guardian_phone():
    population = table("population", [{"person_key": "p1", "phone": ""}, {"person_key": "p3", "phone": "13912345678"},
                                      {"person_key": "p4", "phone": None}, {"person_key": "p4", "phone": "13800000000"}])
    absent = pd.DataFrame({"person_key": ["p1", "p3"], "school": "一中"})
    listed = pd.DataFrame({"person_key": ["p1", "p2", "p4"]})
    pupils = pd.DataFrame({"person_key": ["p1", "p2", "p3", "p4"], "township": "甲镇", "school": "一中",
                           "name": ["甲", "乙", "丙", "丁"]})
    rows = no_guardian_phone(absent, listed, pupils, population).set_index("person_key")
    # p3 has a phone; p4's first register row has none (the first row decides, as on the forms).
    assert rows.index.tolist() == ["p1", "p2", "p4"]
    assert rows.at["p1", "fact"] == "列入未到校名册（今日无故缺勤）、预警名单，户籍台账未填监护人联系电话"
    assert rows.at["p2", "fact"] == "列入预警名单，户籍台账中无该生"
    assert rows.at["p2", "name"] == "乙"


# --- early_marriage --------------------------------------------------------------------


def test_early_marriage_whatever_became_of_the_case_this_term():
    log = pd.concat([events(("p1", "2021-09-02", "登记"), ("p1", "2021-09-27", "复学"), cause="早婚"),
                     events(("p2", "2021-03-02", "登记"), ("p2", "2021-03-27", "复学"), cause="早婚"),
                     events(("p3", "2021-09-02", "登记"), cause="厌学")], ignore_index=True)
    rows = early_marriage(cases_on(log, D(2021, 10, 15)), TERM_START)
    assert rows["person_key"].tolist() == ["p1"]  # p2's case ended last term
    assert rows.iloc[0]["fact"] == "辍学原因：早婚；案件状态：已复学"
    assert rows.iloc[0]["who_acts"] == "乡镇人民政府、县教育局（通报妇联、司法部门）"


# --- all rules together ----------------------------------------------------------------


def test_compliance_checks_in_rule_order():
    log = pd.concat([
        events((WORKER, "2021-09-06", "登记"), (WORKER, "2021-09-10", "发出限期复学通知书"),
               cause="外出务工", admin_owner=None),
        events(("p2", "2021-09-02", "登记"), ("p2", "2021-09-27", "复学"), cause="早婚"),
    ], ignore_index=True)
    as_of = D(2021, 10, 15)
    checks = compliance_checks(
        cases=cases_on(log, as_of), case_events=case_events(log), absence=NO_ABSENCE,
        streaks=absence_streaks(NO_ABSENCE, DAYS, as_of), absent_today=pd.DataFrame({"person_key": ["p5"]}),
        early_warning=pd.DataFrame({"person_key": []}), pupils=pd.DataFrame(
            {"person_key": ["p5"], "township": "甲镇", "school": "一中", "name": ["戊"]}),
        population=table("population", []), birth_dates=pd.Series(dtype="datetime64[ns]"),
        school_days=DAYS, as_of=as_of, escalation=LADDER, notice_grace_days=2, notice_days=7,
        strike_off_days=7, term_start=TERM_START)
    assert list(checks.columns) == COMPLIANCE_COLUMNS
    # The worker's notice: 登记 Mon 6 Sep, notice Fri 10 Sep: 7, 8, 9, 10 = 4 school days; 10 Sep
    # + 7 days is past; 15 on 15 Oct; no 包保干部. p2: 复学 27 Sep, not struck; 早婚. p5: no phone.
    assert checks["rule"].tolist() == ["notice_late", "return_overdue", "child_labour", "not_struck_off",
                                       "no_owner", "no_guardian_phone", "early_marriage"]
    # Every rule but case_not_opened (no verification here), in RULES' order.
    assert checks["rule_label"].tolist() == [label for rule, label in RULES.items() if rule != "case_not_opened"]
    assert checks["person_key"].tolist() == [WORKER, WORKER, WORKER, "p2", WORKER, "p5", "p2"]


# --- property: the notice rule against a day-by-day walk ---------------------------------

WINDOW = pd.date_range("2021-09-01", periods=30, freq="D", unit="ns")


def brute_force_notice_row(school: list[pd.Timestamp], absent: set[pd.Timestamp], opened: pd.Timestamp,
                           notice: pd.Timestamp | None, as_of: pd.Timestamp, top: int,
                           grace: int) -> pd.Timestamp | None:
    """The top-rung day of an open case whose notice is late (None: no row), walking the days."""
    days = [d for d in school if d <= as_of]
    # Runs of consecutive absent school days, each with its top-th day.
    runs, current = [], []
    for day in days:
        if day in absent:
            current.append(day)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    before = [d for d in school if d < opened]
    day_before = before[-1] if before else opened
    tops = [run[top - 1] for run in runs if len(run) >= top and run[-1] >= day_before]
    top_day = min(tops) if tops else opened
    until = notice if notice is not None and notice <= as_of else as_of
    waited = sum(1 for d in school if top_day < d <= until)
    return top_day if waited > grace else None


@settings(max_examples=100, deadline=None)
@given(
    school_mask=st.lists(st.booleans(), min_size=len(WINDOW), max_size=len(WINDOW)),
    absent_days=st.sets(st.integers(0, len(WINDOW) - 1), max_size=25),
    opened=st.integers(0, len(WINDOW) - 1),
    notice_after=st.one_of(st.none(), st.integers(0, 12)),
    as_of_after=st.integers(0, 12),
    top=st.sampled_from([3, 5]),
    grace=st.integers(0, 3),
)
def test_notice_rule_matches_a_day_by_day_walk(school_mask, absent_days, opened, notice_after, as_of_after,
                                                top, grace):
    days = WINDOW[pd.Series(school_mask).to_numpy()]
    opened_day = WINDOW[opened]
    as_of = opened_day + pd.Timedelta(days=as_of_after)
    notice = None if notice_after is None else opened_day + pd.Timedelta(days=notice_after)
    rows = [("p1", opened_day.strftime("%Y-%m-%d"), "登记")]
    if notice is not None:
        rows.append(("p1", notice.strftime("%Y-%m-%d"), "发出限期复学通知书"))
    log = events(*rows)
    absent = sorted(WINDOW[i] for i in absent_days)
    absence = absences("p1", *(d.strftime("%Y-%m-%d") for d in absent)) if absent else NO_ABSENCE
    cases = case_table(log, as_of.date(), 7, days)
    pupils = pd.DataFrame({"person_key": ["p1"], "township": "甲镇", "school": "一中", "name": ["张三"]})
    got = notice_late(cases, case_events(log), absence, absence_streaks(absence, days, as_of.date()), pupils,
                      days, as_of.date(), (1, top), grace)
    expected = brute_force_notice_row(list(days), set(absent), opened_day, notice, as_of, top, grace)
    if expected is None:
        assert got.empty
    else:
        assert got["since"].tolist() == [expected] and got["case_id"].tolist() == ["p1#1"]
