"""合规检查 on the demo county: the sheet of the county's forms.xlsx fires every rule at least
once, a township's sheet holds its own rows, and the report's lines name nobody."""

import datetime as dt

import openpyxl
import pytest

from kcbx.analysis.county import measure_county
from kcbx.measures.compliance import RULES
from kcbx.params import load_params
from kcbx.report import show
from kcbx.report.forms import write_forms
from kcbx.store.tables import load_tables
from support.demo_county import ingested_demo  # noqa: F401 (the demo's fixture)

AS_OF = dt.date(2021, 10, 15)  # the demo's as_of


@pytest.fixture(scope="module")
def demo_pass(ingested_demo):
    params = load_params(ingested_demo / "params" / "demo.yaml")
    return measure_county(load_tables(params.store), params, AS_OF)


def sheet_rows(path, name: str = "合规检查") -> list[tuple]:
    sheet = openpyxl.load_workbook(path, read_only=True)[name]
    return list(sheet.iter_rows(values_only=True))


def test_the_county_forms_fire_every_rule(demo_pass, tmp_path):
    a = demo_pass.analysis(None)
    write_forms(a, tmp_path / "forms.xlsx")
    rows = sheet_rows(tmp_path / "forms.xlsx")
    header = rows[2]
    assert header[:5] == ("序号", "检查项目", "乡镇", "学校", "姓名")
    labels = [row[1] for row in rows[3:] if isinstance(row[0], int)]
    assert set(RULES.values()) <= set(labels), set(RULES.values()) - set(labels)
    assert len(labels) == len(a.compliance)
    # The sheet comes just before 数据问题.
    names = openpyxl.load_workbook(tmp_path / "forms.xlsx", read_only=True).sheetnames
    assert names[names.index("合规检查") + 1] == "数据问题"


def test_the_demo_rows_are_the_hand_made_scenarios(demo_pass):
    checks = demo_pass.analysis(None).compliance
    by_rule = checks.groupby("rule").size().to_dict()
    # open_notice_overdue_g7, _worker (both notices 13 and 18 school days late), open_notice_pending
    # (top rung 30 Sep, notice 11 Oct: 3 school days), open_no_notice (top rung 12 Oct, none by
    # 15 Oct: 3), open_missing_owner and open_without_registration (no run: opened 11 and 9 Oct,
    # no notice by 15 Oct).
    assert by_rule["notice_late"] == 6
    assert by_rule["return_overdue"] == 2      # the two notices of 24 and 29 Sep
    assert by_rule["child_labour"] == 2        # the two 外出务工 dropouts, 14 and 15
    # returned_insert (13 Sep), returned_separate_class (22 Sep), returned_vocational (27 Sep),
    # returned_last_year (8 Mar); returned_tutoring came back on 8 Oct: 7 days, not more.
    assert by_rule["not_struck_off"] == 4
    assert by_rule["no_owner"] == 1            # open_missing_owner
    assert by_rule["early_marriage"] == 1      # returned_vocational
    assert by_rule["no_guardian_phone"] >= 1


def test_a_townships_sheet_holds_its_rows_only(demo_pass):
    county_checks = demo_pass.analysis(None).compliance
    for township in demo_pass.townships():
        mine = demo_pass.analysis(township).compliance
        assert (mine["township"] == township).all()
        assert len(mine) == int((county_checks["township"] == township).sum())


def test_the_report_counts_each_rule_and_names_nobody(demo_pass):
    a = demo_pass.analysis(None)
    body = show.compliance(a).body
    # A line per rule with rows: the demo county fires all of them.
    assert a.compliance["rule"].nunique() == len(RULES) == body.count("<li>")
    # A township with fewer: one line each, then one naming the rules with none.
    township = min(demo_pass.townships(), key=lambda name: demo_pass.analysis(name).compliance["rule"].nunique())
    mine = demo_pass.analysis(township)
    page = show.compliance(mine).body
    assert page.count("<li>") == mine.compliance["rule"].nunique() + 1
    assert "<li>无问题：" in page
    assert f"共 {len(a.compliance)} 条" in body
    assert "限期复学通知书未按时发出：6 条：" in body
    for name in a.compliance["name"].dropna():
        assert name not in body
    for key in a.compliance["person_key"]:
        assert key not in body
