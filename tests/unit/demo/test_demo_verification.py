"""The demo's 疑似失学核查回执 (kcbx.demo.verification): every 核查结果 at least once, one result
without its evidence, one 确认失学 with no case past case_open_days, all on 疑似失学 children."""

import datetime as dt

import pandas as pd

from kcbx.calendar import school_days
from kcbx.demo.generate import generate_demo
from kcbx.demo.plan import DEMO_AS_OF, TERM_END, TERM_START
from kcbx.measures.compliance import school_days_between
from kcbx.measures.verification import CONFIRMED, latest_results
from kcbx.schema import VERIFICATION_RESULTS


def test_the_demo_returns_every_result_and_the_faults_the_issue_asks_for():
    demo = generate_demo()
    rows = demo.tables["verification"]
    keyed = rows.assign(person_key=rows["id_number"], date=pd.to_datetime(rows["date"]),
                        source_file="核查/回执.xlsx", source_sheet="核查回执", source_row=range(3, 3 + len(rows)))
    results = latest_results(keyed, DEMO_AS_OF)
    assert set(VERIFICATION_RESULTS) <= set(results["result"])
    # a few villages of two townships; one line left unfilled
    assert rows["township"].nunique() == 2 and rows["result"].isna().sum() == 1
    # exactly one result lacks its evidence: 延缓入学 without an approval number
    lacking = results[~results["evidenced"]]
    assert lacking["result"].tolist() == ["延缓入学"]
    # a 确认失学 whose case_open_days (3) have passed by as_of, with no case of the child
    days = school_days(TERM_START, TERM_END)
    confirmed = results[results["result"] == CONFIRMED]
    waited = school_days_between(days, pd.to_datetime(confirmed["date"]), pd.Timestamp(DEMO_AS_OF))
    assert (waited > 3).sum() == 1 and (waited <= 3).sum() == 1
    assert not set(confirmed["person_key"]) & set(demo.tables["cases"]["id_number"])
    # none of these children is on a roster: each was on the 疑似失学 list
    assert not set(rows["id_number"]) & set(demo.tables["roster"]["id_number"].dropna())
    assert rows["date"].dropna().max() <= dt.date(2021, 10, 15)
