"""metrics.json assembled for a township and for the county: the attribution rules, by hand.

A two-township county, as_of Friday 15 October 2021 (school year 2021; ages on 2021-08-31):

  K1  甲镇 roster (甲小学, grade 3, 在读), population 甲镇, born 2013 (8)
  K2  甲镇 roster (甲中学, grade 8, 在读, 留守), population 甲镇, born 2008 (13)
  K3  乙镇 roster (乙小学, grade 5, 在读) AND 甲镇 roster (甲小学, 在读): a duplicate; population 乙镇 (10)
  K4  乙镇 roster (乙中学, grade 9, 休学); not in population
  K5  population 乙镇 only, born 2012 (9), poverty register; an open case registered in 乙镇
  K6  population 甲镇, born 2000 (21): outside the school age
Absences (unexcused): K1 on Thu 14 and Fri 15 Oct (streak 2), K3 on Fri 15 Oct (streak 1).
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.analysis.attribution import rows_of, townships_in_scope
from kcbx.analysis.county import analyse, measure_county
from kcbx.analysis.cut import unexcused_surge
from kcbx.analysis.metrics import CONTRACT_KEYS, contract_metrics
from kcbx.measures.common import is_in
from kcbx.params import Params
from support.builders import resident_id, table

AS_OF = dt.date(2021, 10, 15)
K1, K2, K3, K4, K5, K6 = (resident_id(b) for b in
                          ("20130501", "20080301", "20110101", "20060601", "20120601", "20000101"))


@pytest.fixture(scope="module")
def county():
    params = Params(path=None, county="测试县", county_code="452626", ledgers=None, store=None,
                    outputs=None, term_start=dt.date(2021, 9, 1), term_end=dt.date(2022, 1, 14),
                    target_date=dt.date(2021, 12, 31))
    roster = table("roster", [
        dict(school_year=2021, person_key=K1, name="甲一", township="甲镇", school="甲小学", grade=3, status="在读"),
        dict(school_year=2021, person_key=K2, name="甲二", township="甲镇", school="甲中学", grade=8, status="在读",
             left_behind=True),
        dict(school_year=2021, person_key=K3, name="乙三", township="乙镇", school="乙小学", grade=5, status="在读"),
        dict(school_year=2021, person_key=K3, name="乙三", township="甲镇", school="甲小学", grade=5, status="在读"),
        dict(school_year=2021, person_key=K4, name="乙四", township="乙镇", school="乙中学", grade=9, status="休学"),
    ])
    population = table("population", [
        dict(person_key=K1, township="甲镇", birth_date="2013-05-01"),
        dict(person_key=K2, township="甲镇", birth_date="2008-03-01"),
        dict(person_key=K3, township="乙镇", birth_date="2011-01-01"),
        dict(person_key=K5, township="乙镇", birth_date="2012-06-01"),
        dict(person_key=K6, township="甲镇", birth_date="2000-01-01"),
    ])
    absence = table("absence", [
        dict(date="2021-10-14", person_key=K1, school="甲小学", absence_type="无故", unexcused=True),
        dict(date="2021-10-15", person_key=K1, school="甲小学", absence_type="旷课", unexcused=True),
        dict(date="2021-10-15", person_key=K3, school="乙小学", absence_type="无故", unexcused=True),
    ])
    cases = table("cases", [
        dict(person_key=K5, township="乙镇", date="2021-09-10", event="登记", admin_owner="王干部",
             edu_owner="李老师"),
    ])
    tables = {
        "roster": roster, "population": population, "absence": absence, "cases": cases,
        "poverty": table("poverty", [dict(person_key=K5, township="乙镇", category="脱贫户")]),
        "disability": table("disability", []), "home_teaching": table("home_teaching", []),
        "subsidy": table("subsidy", []), "enrollment": table("enrollment", []),
        "rejected_rows": pd.DataFrame(columns=["kind", "file", "sheet", "row", "column", "value", "reason"]),
        "findings": pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding", "detail"]),
        "ingest_log": pd.DataFrame([dict(kind="roster", file="t.xlsx", sha256="x", rows_read=20,
                                         rows_accepted=18, rows_rejected=2, seconds=0.1,
                                         ingested_at=None, error=None)]),
    }
    return tables, params


def metrics_of(county, township):
    tables, params = county
    return contract_metrics(analyse(tables, params, AS_OF, township))


def test_townships_come_from_the_current_roster_and_population(county):
    tables, params = county
    assert townships_in_scope(tables, params, AS_OF) == sorted(["甲镇", "乙镇"])


def test_every_contract_key_is_present(county):
    metrics = metrics_of(county, "甲镇")
    assert list(metrics)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)


def test_enrolment_counts_a_duplicate_in_each_township_and_once_in_the_county(county):
    # 甲镇: K1, K2 and K3 (on 甲小学's roster too); 乙镇: K3 (K4 is 休学); county: K1, K2, K3.
    assert metrics_of(county, "甲镇")["enrolled"] == 3
    assert metrics_of(county, "乙镇")["enrolled"] == 1
    assert metrics_of(county, None)["enrolled"] == 3
    # K3 is the one duplicate, seen from both townships and once by the county.
    assert [metrics_of(county, t)["duplicate_enrollments"] for t in ("甲镇", "乙镇", None)] == [1, 1, 1]


def test_register_side_figures_follow_the_population_township(county):
    jia, yi, whole = (metrics_of(county, t) for t in ("甲镇", "乙镇", None))
    # 甲镇: K1 (8) and K2 (13); K6 is 21. Both at school.
    assert (jia["school_age_population"], jia["out_of_school_suspected"], jia["enrollment_rate"]) == (2, 0, 1.0)
    # 乙镇: K3 (10) at school, K5 (9) on no roster with only an open case: suspected.
    assert (yi["school_age_population"], yi["out_of_school_suspected"], yi["enrollment_rate"]) == (2, 1, 0.5)
    assert (whole["school_age_population"], whole["out_of_school_suspected"]) == (4, 1)


def test_absences_follow_the_pupils_roster_townships(county):
    jia, yi, whole = (metrics_of(county, t) for t in ("甲镇", "乙镇", None))
    # K1 absent Thu and Fri (streak 2); K3 absent Fri (streak 1) and on both townships' rosters.
    assert jia["escalation"] == {"1": 2, "3": 0, "5": 0}
    assert jia["absent_unexcused_today"] == 2
    assert yi["escalation"] == {"1": 1, "3": 0, "5": 0}
    assert whole["absent_unexcused_today"] == 2


def test_cases_follow_the_registration_township(county):
    jia, yi, whole = (metrics_of(county, t) for t in ("甲镇", "乙镇", None))
    assert (jia["cases_total"], jia["cases_open"], jia["return_rate"]) == (0, 0, None)
    # K5's case: open, in the poverty register -> open poverty case; nothing returned.
    assert (yi["cases_total"], yi["cases_open"], yi["cases_open_poverty"]) == (1, 1, 1)
    assert (yi["return_rate"], yi["closure_rate"]) == (0.0, 0.0)
    # 乙镇's in-year dropout rate: 1 case opened 10 Sep over 1 enrolled pupil.
    assert yi["dropout_rate"] == 1.0
    assert whole["cases_open"] == 1


def test_groups_split_the_runs_own_figures(county):
    jia, yi = metrics_of(county, "甲镇"), metrics_of(county, "乙镇")
    # K2 is 留守 and in grade 8: enrolled in 甲镇; nobody reaches 5 days.
    assert jia["groups"]["left_behind"] == {"enrolled": 1, "cases_open": 0, "escalated": 0}
    assert jia["groups"]["grades_8_9"]["enrolled"] == 1
    # K5 is poor and not enrolled; his open case is 乙镇's.
    assert yi["groups"]["poverty"] == {"enrolled": 0, "cases_open": 1, "escalated": 0}


def test_missing_rows_give_nulls_not_zeros(county):
    metrics = metrics_of(county, "甲镇")
    # No enrollment ledger rows: retention and cohort are null; no 2020 roster: transition null.
    assert metrics["retention_rate"] is None and metrics["retention_flag"] is None
    assert metrics["cohort"]["survival_to_grade_9"] is None
    assert metrics["transition_missing"] is None
    # Ingest totals are those of the files the report lists: 甲镇's rows are all in t.xlsx.
    assert (metrics["rows_read"], metrics["rows_accepted"], metrics["rows_rejected"]) == (20, 18, 2)


@pytest.mark.parametrize(("as_of", "through"), [
    (dt.date(2021, 10, 14), "2021-10-14"),  # Thu: only K1 (甲镇) absent, yet 乙镇's data is in too
    (dt.date(2021, 10, 16), "2021-10-15"),  # Sat: no school day
    (dt.date(2021, 10, 18), "2021-10-15"),  # Mon: nothing uploaded yet
    (dt.date(2021, 10, 13), None),          # before any row
])
def test_absence_data_through_is_the_county_s_in_every_township(county, as_of, through):
    tables, params = county
    cut = measure_county(tables, params, as_of)
    for township in ("甲镇", "乙镇", None):
        fresh = contract_metrics(analyse(tables, params, as_of, township))  # measured alone
        assert fresh["absence_data_through"] == through, township
        assert cut.analysis(township).metrics["absence_data_through"] == through, township
        # Beside the contract's figures, which keep their definitions.
        assert list(fresh).index("absence_data_through") >= len(CONTRACT_KEYS)


def test_reasons_a_child_is_not_suspected_add_up_with_the_suspected(county):
    jia, yi = metrics_of(county, "甲镇"), metrics_of(county, "乙镇")
    # 甲镇's 户籍: K1 and K2, both on 甲镇's roster. 乙镇's: K3 (on 乙镇's roster too, so at
    # school at home) and K5 (no roster, an open case: suspected).
    # No verification ledger: the standings a verification gives are all 0.
    verified = {"在外地就读": 0, "延缓入学": 0, "免学": 0, "休学": 0, "死亡": 0, "户籍迁出": 0}
    assert jia["school_age_standing"] == {"本乡镇在校": 2, "外乡镇就读": 0, "已完成义务教育": 0,
                                          "有去向佐证": 0, **verified, "疑似失学": 0}
    assert yi["school_age_standing"] == {"本乡镇在校": 1, "外乡镇就读": 0, "已完成义务教育": 0,
                                         "有去向佐证": 0, **verified, "疑似失学": 1}
    assert sum(yi["school_age_standing"].values()) == yi["school_age_population"]


def with_problems(county):
    """The county with K4's school sending a roster file of its own (乙中学.xlsx), a rejected row
    in it and one in the county-wide t.xlsx, and two findings on accepted rows of t.xlsx."""
    tables, params = county
    roster = tables["roster"].copy()
    roster.loc[roster["person_key"] == K4, "source_file"] = "乙中学.xlsx"
    rejected = pd.DataFrame([
        dict(kind="roster", file="乙中学.xlsx", sheet="", row=9, column="年级", value="高一", reason="年级无法识别"),
        dict(kind="roster", file="t.xlsx", sheet="", row=30, column="身份证号", value="x", reason="校验位错误"),
    ])
    findings = pd.DataFrame([
        # Absence row 2 is K1's (甲镇 by his roster row); case row 2 is K5's 登记 in 乙镇.
        dict(kind="absence", file="t.xlsx", sheet="", row=2, finding="重复的缺勤记录", detail=""),
        dict(kind="cases", file="t.xlsx", sheet="", row=2, finding="案件缺少登记", detail=""),
    ])
    log = pd.concat([tables["ingest_log"], tables["ingest_log"].assign(file="乙中学.xlsx")], ignore_index=True)
    return {**tables, "roster": roster, "rejected_rows": rejected, "findings": findings,
            "ingest_log": log}, params


def test_data_problems_are_shown_to_the_township_they_belong_to(county):
    tables, params = with_problems(county)
    cut = measure_county(tables, params, AS_OF)
    jia, yi, whole = (cut.analysis(t) for t in ("甲镇", "乙镇", None))
    # 乙中学.xlsx holds only 乙镇 rows: its rejected row is 乙镇's. The rejected row of t.xlsx
    # (rows of both townships) cannot be told apart: both see it.
    assert sorted(yi.rejected["file"]) == ["t.xlsx", "乙中学.xlsx"]
    assert jia.rejected["file"].tolist() == ["t.xlsx"]
    assert jia.rejected["township"].isna().all()
    # A finding on an accepted row goes to that row's township only.
    assert jia.findings["finding"].tolist() == ["重复的缺勤记录"]
    assert yi.findings["finding"].tolist() == ["案件缺少登记"]
    assert len(whole.rejected) == 2 and len(whole.findings) == 2
    # The ingest log: 乙中学.xlsx is 乙镇's only.
    assert "乙中学.xlsx" not in set(jia.ingest_log["file"]) and "乙中学.xlsx" in set(yi.ingest_log["file"])
    # The same when the township is measured alone.
    assert analyse(tables, params, AS_OF, "甲镇").findings["finding"].tolist() == ["重复的缺勤记录"]


def test_an_unexcused_absence_surge_against_the_five_school_days_before():
    days = pd.bdate_range("2021-10-08", "2021-10-15")  # Fri 8 … Fri 15 Oct: 6 school days
    # Before Fri 15: 8, 11, 12, 13, 14 Oct with 4, 6, 5, 5, 5 pupils: mean 25 / 5 = 5.
    daily = pd.DataFrame({"date": days, "pupils": [4, 6, 5, 5, 5, 10]})
    assert unexcused_surge(daily, dt.date(2021, 10, 15)) == {
        "today": 10, "previous_mean": 5.0, "previous_days": 5, "rising": True}  # 10 ≥ 2 × 5
    assert unexcused_surge(daily.assign(pupils=[4, 6, 5, 5, 5, 9]), dt.date(2021, 10, 15))["rising"] is False
    # A day that is no school day (Sat 16 Oct) has no figure for today.
    assert unexcused_surge(daily, dt.date(2021, 10, 16)) is None


def test_open_cases_a_week_before_and_the_term_funnel(county):
    tables, params = county
    events = table("cases", [
        dict(person_key=K5, township="乙镇", date="2021-09-10", event="登记"),
        dict(person_key=K4, township="乙镇", date="2021-10-11", event="登记"),
        dict(person_key=K2, township="甲镇", date="2021-10-12", event="登记"),
        dict(person_key=K2, township="甲镇", date="2021-10-14", event="复学"),
    ])
    yi = analyse({**tables, "cases": events}, params, AS_OF, "乙镇").metrics
    # Fri 8 Oct (a week before Fri 15): only K5's case, open; today K5 and K4: 2 open.
    assert yi["open_cases_week_ago"] == {"date": "2021-10-08", "open": 1}
    assert yi["cases_open"] == 2
    # Since the term began (1 Sep): 乙镇 found 2, none returned, 2 still out, K5 poor.
    assert yi["return_funnel"] == {"since": "2021-09-01", "found": 2, "returned": 0, "still_open": 2,
                                   "still_open_poverty": 1, "still_open_tuopin": 1}
    whole = analyse({**tables, "cases": events}, params, AS_OF, None).metrics
    assert whole["return_funnel"] == {"since": "2021-09-01", "found": 3, "returned": 1,
                                      "still_open": 2, "still_open_poverty": 1, "still_open_tuopin": 1}


def test_top_rung_notice_check_reads_every_township_s_cases(county):
    tables, params = county
    # K1 (甲镇's roster) absent without leave Mon 11 – Fri 15 Oct: 5 school days, the top of
    # 135. Their case was registered in 乙镇 (its 登记 row says so): open, no notice yet.
    absence = table("absence", [dict(date=f"2021-10-{day}", person_key=K1, school="甲小学", absence_type="无故",
                                     unexcused=True) for day in (11, 12, 13, 14, 15)])
    cases = pd.concat([tables["cases"], table("cases", [
        dict(person_key=K1, township="乙镇", date="2021-10-14", event="登记")])], ignore_index=True)
    jia = analyse({**tables, "absence": absence, "cases": cases}, params, AS_OF, "甲镇")
    assert jia.notices_missing[["person_key", "streak", "finding"]].values.tolist() == [
        [K1, 5, "在办案件未发限期复学通知书"]]   # not "尚未登记": the case is 乙镇's
    metrics = contract_metrics(jia)
    extra = list(metrics)[len(CONTRACT_KEYS):]
    assert (metrics["notices_missing"], metrics["cases_struck_unverified"]) == (1, 0)
    assert {"notices_missing", "cases_struck_unverified"} <= set(extra)


# --- selecting a township's rows: the fast paths against pandas' own ---------------------

@pytest.fixture(scope="module")
def county_pass(county):
    tables, params = county
    return measure_county(tables, params, AS_OF)


KEYS = st.sampled_from(["K1", "K2", "K3", "K4", "甲", "乙"])
MISSING = st.one_of(st.none(), st.builds(float, st.just("nan")))  # each NaN a new object


@given(values=st.lists(st.one_of(KEYS, MISSING), max_size=30),
       keys=st.sets(st.one_of(KEYS, MISSING), max_size=4),
       dtype=st.sampled_from([object, "str", "string[pyarrow]"]), as_index=st.booleans())
@settings(max_examples=300, deadline=None)
def test_is_in_equals_pandas_isin(values, keys, dtype, as_index):
    series = pd.Series(values, dtype=dtype, index=[f"r{i}" for i in range(len(values))], name="key")
    values_in = pd.Index(series) if as_index else series
    found = is_in(values_in, keys)
    if as_index:
        np.testing.assert_array_equal(found, values_in.isin(keys))
    else:
        pd.testing.assert_series_equal(found, series.isin(keys))


def test_is_in_leaves_other_dtypes_and_unhashable_cells_to_pandas():
    numbers = pd.Series([1, 2, 3])
    pd.testing.assert_series_equal(is_in(numbers, [2, 3]), numbers.isin([2, 3]))
    lists = pd.Series([["a"], "b"], dtype=object)
    assert is_in(lists, {"b"}).tolist() == [False, True]


@given(values=st.lists(st.one_of(KEYS, st.none()), max_size=30), keys=st.sets(KEYS, max_size=4),
       dtype=st.sampled_from([object, "str", "string[pyarrow]"]))
@settings(max_examples=150, deadline=None)
def test_rows_of_equals_pandas_isin(values, keys, dtype):
    frame = pd.DataFrame({"person_key": pd.Series(values, dtype=dtype),
                          "n": range(len(values))}, index=[f"r{i}" for i in range(len(values))])
    expected = frame[frame["person_key"].isin(keys)]
    pd.testing.assert_frame_equal(rows_of(frame, "person_key", keys), expected)


@given(townships=st.lists(st.one_of(st.sampled_from(["甲镇", "乙镇", "丙镇"]), st.none()), max_size=30),
       asked=st.sampled_from(["甲镇", "乙镇", "丙镇", "丁镇"]))
@settings(max_examples=150, deadline=None)
def test_a_pass_s_rows_of_a_township_equal_comparing_every_row(county_pass, townships, asked):
    frame = pd.DataFrame({"township": pd.Series(townships, dtype=object), "n": range(len(townships))})
    for _ in range(2):  # the second time from the pass's grouping of the frame
        pd.testing.assert_frame_equal(county_pass._rows_in(frame, asked), frame[frame["township"] == asked])
    assert county_pass._rows_in(frame, None) is frame
