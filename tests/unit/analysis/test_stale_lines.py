"""Which reports say that a ledger file could not be read (analysis.cut.stale_lines)."""

import pandas as pd

from kcbx.analysis.cut import ROWS_BY_INPUT, stale_lines

STALE = pd.DataFrame([
    {"kind": "roster", "file": "roster/一小.xlsx", "message": "一小学籍数据未更新", "townships": ["甲镇"]},
    {"kind": "absence", "file": "absence/乡.csv", "message": "乡缺勤数据缺失", "townships": []},
    {"kind": "cases", "file": "劝返/两镇.xlsx", "message": "两镇劝返数据未更新", "townships": ["甲镇", "乙镇"]},
])


def test_a_township_hears_of_its_own_files_and_of_those_that_may_be_anyones():
    assert stale_lines(STALE, "甲镇") == ("一小学籍数据未更新", "乡缺勤数据缺失", "两镇劝返数据未更新")
    assert stale_lines(STALE, "乙镇") == ("乡缺勤数据缺失", "两镇劝返数据未更新")
    assert stale_lines(STALE, "丙镇") == ("乡缺勤数据缺失",)


def test_the_county_hears_of_every_file_and_nobody_of_none():
    assert len(stale_lines(STALE, None)) == 3
    assert stale_lines(STALE.iloc[:0], "甲镇") == () and stale_lines(None, None) == ()


def test_going_stale_changes_a_reports_fingerprint():
    # The kept rows do not change when a file goes stale: the lines are an input of their own.
    assert "stale" in ROWS_BY_INPUT["ingest"]
