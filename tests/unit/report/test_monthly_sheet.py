"""月调度's 当月核查: the children verified (with evidence) in each month, from the demo county's
疑似失学核查回执; 待核查 when a county has no 回执 at all."""

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from kcbx.analysis.county import measure_county
from kcbx.params import load_params
from kcbx.report.forms.monthly import NOT_VERIFIED, monthly_rows
from kcbx.store.tables import load_tables
from support.demo_county import ingested_demo  # noqa: F401 (the demo's fixture)

AS_OF = dt.date(2021, 10, 15)


@pytest.fixture(scope="module")
def county(ingested_demo):
    params = load_params(ingested_demo / "params" / "demo.yaml")
    return measure_county(load_tables(params.store), params, AS_OF).analysis(None)


def test_each_month_counts_the_children_verified_in_it(county):
    rows = monthly_rows(county)
    # Every child the metrics count as verified (result with evidence, dated this term) is in
    # exactly one month's row.
    assert sum(rows["verified"]) == sum(county.metrics["suspected_verified"].values()) > 0
    checked = county.school_age.loc[county.school_age["check_evidenced"].astype(bool), "check_date"]
    october = pd.to_datetime(checked).dt.month.eq(10).sum()
    assert rows.loc[rows["month_label"] == "2021年10月", "verified"].item() == october


def test_without_any_return_every_month_with_a_list_says_to_verify(county):
    unchecked = county.school_age.assign(check_date=pd.NaT, check_evidenced=False)
    rows = monthly_rows(dataclasses.replace(county, school_age=unchecked))
    # September has no run on record (its list is blank), October has this run's list.
    assert [None if pd.isna(value) else value for value in rows["verified"]] == [None, NOT_VERIFIED]
