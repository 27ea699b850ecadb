"""疑似失学核查 (issue 26): each 核查结果 and its evidence rule, the latest row on or before as_of,
the standings a verified child takes, the per-village progress, and 确认失学's case_open_days
rule at its boundary (kcbx.measures.verification, .matching, .compliance)."""

import datetime as dt

import pandas as pd
import pytest

from kcbx.calendar import school_days
from kcbx.measures import matching
from kcbx.measures.cases import case_states_on, case_table
from kcbx.measures.compliance import COMPLIANCE_COLUMNS, RULES, case_not_opened, compliance_checks
from kcbx.measures.verification import (
    FINDING_NO_EVIDENCE,
    evidence_findings,
    has_evidence,
    latest_results,
    progress_by_village,
)
from kcbx.schema import VERIFICATION_RESULTS
from support.builders import resident_id, table

D = dt.date
AS_OF = D(2021, 10, 15)
# 1–7 Oct 2021 are National Day holidays; Sat 9 Oct is a make-up school day.
DAYS = school_days(D(2021, 9, 1), D(2021, 10, 29))
K1, K2, K3, K4 = (resident_id(f"20120{m}01") for m in range(1, 5))


def checks(*rows: tuple) -> pd.DataFrame:
    """Verification rows (person, result, evidence, date), in file order."""
    return table("verification", [
        {"person_key": key, "id_number": key, "name": f"童{n}", "township": "甲镇", "village": "东村",
         "result": result, "evidence": evidence, "checked_by": "村委", "date": day}
        for n, (key, result, evidence, day) in enumerate(rows)])


# --- each result and its evidence --------------------------------------------------------

@pytest.mark.parametrize(("result", "evidence", "enough"), [
    # 在外地就读: a school's name.
    ("在外地就读", "东莞市长安镇中心小学 学籍号G4419…", True),
    ("在外地就读", "广州市第七中学", True),
    ("在外地就读", "随父母在广东", False),          # a place, no school
    ("在外地就读", "", False),
    # 延缓入学, 免学: an approval number.
    ("延缓入学", "那教缓〔2021〕3号", True),
    ("延缓入学", "批准文号：2021-015", True),
    ("延缓入学", "家长口头申请", False),            # no number
    ("免学", "县教育局免学审批 第12号", True),
    ("免学", "县教育局同意", False),
    # 已完成义务教育, 休学, 死亡, 户籍迁出: anything written.
    ("已完成义务教育", "外县初中毕业证", True),
    ("已完成义务教育", "  ", False),                 # blanks only
    ("休学", "医院诊断证明", True),
    ("休学", None, False),
    ("死亡", "死亡医学证明", True),
    ("死亡", "", False),
    ("户籍迁出", "迁往南宁", True),
    ("户籍迁出", None, False),
    # 确认失学, 其他: nothing needed.
    ("确认失学", None, True),
    ("确认失学", "", True),
    ("其他", None, True),
])
def test_each_result_and_its_evidence(result, evidence, enough):
    assert has_evidence(result, evidence) is enough


def test_every_result_has_its_rule():
    for result in VERIFICATION_RESULTS:
        has_evidence(result, "x")  # no KeyError


# --- the latest row on or before as_of ------------------------------------------------------

def test_latest_row_on_or_before_as_of_wins():
    rows = checks(
        (K1, "其他", "电话无人接听", "2021-10-08"),
        (K1, "在外地就读", "东莞市长安镇中心小学", "2021-10-15"),   # on as_of: counts
        (K1, "确认失学", None, "2021-10-16"),                     # the day after: not yet
        (K2, "在外地就读", "随父母在广东", "2021-10-14"),          # no school named
        (K3, "死亡", "死亡证明", "2021-10-16"),                     # only after as_of: no check yet
    )
    results = latest_results(rows, AS_OF).set_index("person_key")
    assert results.loc[K1, ["result", "evidenced"]].tolist() == ["在外地就读", True]
    assert results.loc[K2, ["result", "evidenced"]].tolist() == ["在外地就读", False]
    assert K3 not in results.index
    # A day later, K1's 确认失学 is the latest and K3's 死亡 counts.
    later = latest_results(rows, D(2021, 10, 16)).set_index("person_key")
    assert later.loc[K1, "result"] == "确认失学" and later.loc[K3, "result"] == "死亡"


def test_same_day_rows_keep_file_order_and_unfilled_lines_are_no_check():
    rows = checks((K1, "确认失学", None, "2021-10-12"), (K1, "休学", "诊断证明", "2021-10-12"),
                  (K2, None, None, None))                              # a 回执 line not filled in
    results = latest_results(rows, AS_OF)
    assert results[["person_key", "result"]].values.tolist() == [[K1, "休学"]]


def test_a_result_without_its_evidence_is_a_finding():
    rows = checks((K1, "延缓入学", "家长口头申请", "2021-10-14"), (K2, "免学", "那教免〔2021〕1号", "2021-10-14"))
    found = evidence_findings(latest_results(rows, AS_OF))
    assert found[["row", "finding"]].values.tolist() == [[2, FINDING_NO_EVIDENCE]]
    assert "批准文号" in found.at[0, "detail"] and "家长口头申请" in found.at[0, "detail"]


# --- standings: a verified child leaves 疑似失学 for the standing the result names ----------------

def population(*keys: str) -> pd.DataFrame:
    return table("population", [{"person_key": key, "id_number": key, "name": f"童{n}", "township": "甲镇",
                                 "village": "东村" if n % 2 else "西村"} for n, key in enumerate(keys)])


NO_ROSTER = table("roster", [])
RESULT_KEYS = [resident_id(f"20100{m}01", serial=f"{n:03d}") for n, m in enumerate(range(1, 10))]


def test_each_result_with_its_evidence_gives_its_standing():
    evidence = {"在外地就读": "东莞市长安镇中心小学", "延缓入学": "那教缓〔2021〕3号", "免学": "那教免〔2021〕1号"}
    rows = checks(*[(key, result, evidence.get(result, "证明"), "2021-10-12")
                    for key, result in zip(RESULT_KEYS, VERIFICATION_RESULTS)])
    found = latest_results(rows, AS_OF)
    children = matching.school_age_children(population(*RESULT_KEYS), AS_OF, 6, 15)
    standing = matching.school_age_standing(children, NO_ROSTER, AS_OF, None, found)
    assert dict(zip(children["person_key"].map(dict(zip(RESULT_KEYS, VERIFICATION_RESULTS))), standing)) == {
        "在外地就读": "在外地就读", "已完成义务教育": "已完成义务教育", "延缓入学": "延缓入学", "免学": "免学",
        "休学": "休学", "死亡": "死亡", "户籍迁出": "户籍迁出",
        "确认失学": "疑似失学", "其他": "疑似失学"}          # these two stay on the list
    out = matching.out_of_school(children, NO_ROSTER, AS_OF, checks=found)
    assert sorted(out["check_result"]) == ["其他", "确认失学"]
    assert all(out["reason"].str.endswith("核查：确认失学") | out["reason"].str.endswith("核查：其他"))


def test_without_evidence_the_child_stays_suspected_and_without_checks_nothing_changes():
    rows = checks((K1, "在外地就读", "随父母在广东", "2021-10-12"))
    children = matching.school_age_children(population(K1, K2), AS_OF, 6, 15)
    out = matching.out_of_school(children, NO_ROSTER, AS_OF, checks=latest_results(rows, AS_OF))
    assert out.set_index("person_key")["reason"].to_dict() == {
        K1: "无学籍；核查：在外地就读（缺佐证）", K2: "无学籍"}
    assert out["check_result"].isna().sum() == 1             # K2: suspected_unverified
    plain = matching.out_of_school(children, NO_ROSTER, AS_OF)
    assert len(plain) == 2 and plain["check_result"].isna().all()


def test_a_child_at_school_keeps_that_standing_whatever_the_check_says():
    roster = table("roster", [{"person_key": K1, "id_number": K1, "township": "甲镇", "school": "一小",
                               "grade": 3, "status": "在读", "school_year": 2021}])
    children = matching.school_age_children(population(K1), AS_OF, 6, 15)
    found = latest_results(checks((K1, "户籍迁出", "迁往南宁", "2021-10-12")), AS_OF)
    assert matching.school_age_standing(children, roster, AS_OF, None, found).tolist() == ["本乡镇在校"]


# --- progress by village ------------------------------------------------------------------

def test_verified_this_week_and_waiting_by_village():
    # 东村: K2 verified 10-09 (inside the 7 days ending 10-15), K4 confirmed 10-08 (a day too early
    # for this week), still suspected. 西村: K1 checked without evidence, K3 never checked.
    rows = checks((K2, "户籍迁出", "迁往南宁", "2021-10-09"), (K4, "确认失学", None, "2021-10-08"),
                  (K1, "免学", "县里同意", "2021-10-14"))
    found = latest_results(rows, AS_OF)
    children = matching.with_checks(matching.school_age_children(population(K1, K2, K3, K4), AS_OF, 6, 15), found)
    out = matching.out_of_school(children, NO_ROSTER, AS_OF, checks=found)
    progress = progress_by_village(children, out, AS_OF).set_index("village")
    assert progress.loc["东村", ["verified_this_week", "pending", "unchecked", "no_evidence", "confirmed"]
                        ].tolist() == [1, 1, 0, 0, 1]
    assert progress.loc["西村", ["verified_this_week", "pending", "unchecked", "no_evidence", "confirmed"]
                        ].tolist() == [0, 2, 1, 1, 0]


# --- 确认失学 must open a case within case_open_days school days --------------------------------

def confirmed(day: str, key: str = K1) -> pd.DataFrame:
    return pd.DataFrame({"person_key": [key], "name": ["童一"], "township": ["甲镇"],
                         "check_date": [pd.Timestamp(day)]})


def case_log(*rows: tuple) -> pd.DataFrame:
    return table("cases", [{"person_key": key, "id_number": key, "township": "甲镇", "school": "一中",
                            "name": "童一", "date": day, "event": event} for key, day, event in rows])


NO_CASES = case_table(case_log(), AS_OF, 7, DAYS)


@pytest.mark.parametrize(("as_of", "listed"), [
    # Confirmed Fri 8 Oct; school days after it: Sat 9 (make-up), Mon 11, Tue 12, Wed 13.
    (D(2021, 10, 11), False),   # 2 school days
    (D(2021, 10, 12), False),   # 3: the last day allowed
    (D(2021, 10, 13), True),    # 4: past case_open_days 3
])
def test_confirmed_without_a_case_at_the_boundary(as_of, listed):
    rows = case_not_opened(confirmed("2021-10-08"), case_table(case_log(), as_of, 7, DAYS), DAYS, as_of, 3)
    assert list(rows.columns) == COMPLIANCE_COLUMNS
    assert len(rows) == int(listed)
    if listed:
        assert rows.at[0, "fact"] == "10月8日核查确认失学，已过4个上课日仍未登记辍学案件（应在3个上课日内登记）"
        assert rows.at[0, "rule_label"] == RULES["case_not_opened"] and rows.at[0, "case_id"] is None


@pytest.mark.parametrize(("opened", "listed"), [
    ("2021-10-12", False),      # the 3rd school day after 8 Oct (9, 11, 12): on time
    ("2021-10-13", True),       # the 4th: late, and the case is open
])
def test_a_case_opened_on_time_or_late(opened, listed):
    cases = case_table(case_log((K1, opened, "登记")), AS_OF, 7, DAYS)
    rows = case_not_opened(confirmed("2021-10-08"), cases, DAYS, AS_OF, 3)
    assert len(rows) == int(listed)
    if listed:
        assert rows.at[0, "fact"] == "10月8日核查确认失学，10月13日才登记辍学案件，相隔4个上课日（应在3个上课日内登记）"


def test_a_case_open_before_the_check_covers_it_and_a_closed_one_does_not():
    open_before = case_table(case_log((K1, "2021-09-20", "登记")), AS_OF, 7, DAYS)
    assert case_not_opened(confirmed("2021-10-08"), open_before, DAYS, AS_OF, 3).empty
    returned_before = case_table(case_log((K1, "2021-09-06", "登记"), (K1, "2021-09-20", "复学")), AS_OF, 7, DAYS)
    assert len(case_not_opened(confirmed("2021-10-08"), returned_before, DAYS, AS_OF, 3)) == 1


def test_compliance_checks_lists_the_rule_last_and_only_with_confirmed_children():
    common = dict(cases=NO_CASES, case_events=pd.DataFrame(columns=["case_id", "event", "date"]),
                  absence=table("absence", []), streaks=pd.DataFrame(columns=["person_key", "streak", "streak_start",
                                                                              "school"]),
                  absent_today=pd.DataFrame(columns=["person_key"]), early_warning=pd.DataFrame(columns=["person_key"]),
                  pupils=pd.DataFrame(columns=["person_key", "township", "school", "name"]),
                  population=table("population", []), birth_dates=pd.Series(dtype="datetime64[ns]"),
                  school_days=DAYS, as_of=AS_OF, escalation=(1, 3, 5), notice_grace_days=2, notice_days=7,
                  strike_off_days=7, term_start=D(2021, 9, 1))
    assert compliance_checks(**common).empty
    rows = compliance_checks(**common, confirmed=confirmed("2021-10-08"), case_open_days=3)
    assert rows["rule"].tolist() == ["case_not_opened"] and rows.at[0, "township"] == "甲镇"
    assert compliance_checks(**common, confirmed=confirmed("2021-10-08"), case_open_days=6).empty  # 6 days allowed


def test_case_states_still_drive_settled_children():
    # A verification does not override a settled case: 有去向佐证 comes first.
    cases = case_table(case_log((K1, "2021-09-06", "登记"), (K1, "2021-09-20", "复学")), AS_OF, 7, DAYS)
    children = matching.school_age_children(population(K1), AS_OF, 6, 15)
    found = latest_results(checks((K1, "死亡", "证明", "2021-10-12")), AS_OF)
    assert matching.school_age_standing(children, NO_ROSTER, AS_OF, case_states_on(cases), found).tolist() == [
        "有去向佐证"]
