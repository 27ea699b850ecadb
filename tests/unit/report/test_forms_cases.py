"""附件2 一生一表 and 附件3 登记汇总表 (issue 24): this term's cases, what each form must carry,
and the signed 零报告; on the county of support.forms_county (its docstring has every row)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from kcbx.analysis.county import analyse
from kcbx.report.excel import FormSheet, TableSheet, write_workbook
from kcbx.report.forms.cases import LEFT_ON_REGISTERED, LEFT_ON_RUN, _cases_with_child, _registration_sheet, _summary_sheet
from kcbx.report.forms.common import NO_DROPOUTS, _people
from support.forms_county import AS_OF, K1, K2, K3, K4, P4, PARAMS, TOWN, WEST, county_tables

BLANK = "__________"
SIGNED = f"填报单位（盖章）：{BLANK}　　填报人：{BLANK}　　联系电话：{BLANK}　　填报日期：2021-10-15"


def sheets_of(analysis) -> tuple[FormSheet | TableSheet, TableSheet]:
    cases = _cases_with_child(analysis, _people(analysis))
    return _registration_sheet(analysis, cases), _summary_sheet(analysis, cases)


@pytest.fixture(scope="module")
def town():
    return analyse(county_tables(), PARAMS, AS_OF, TOWN)


@pytest.fixture(scope="module")
def town_sheets(town):
    return sheets_of(town)


@pytest.fixture(scope="module")
def forms(town_sheets) -> dict[str, object]:
    """The town's 附件2 forms by the child's ID."""
    return {form.fields["身份证号"]: form for form in town_sheets[0].forms}


def texts(path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)]


def test_this_terms_cases_and_those_carried_over_but_not_an_earlier_terms_closed_case(town_sheets):
    registration, summary = town_sheets
    # Nine cases of 城关镇; C3 (K3) opened and returned in the spring is on neither form.
    assert len(registration.forms) == 8 == len(summary.rows)
    assert K3 not in set(summary.rows["id_number"])
    scopes = dict(zip(summary.rows["id_number"], summary.rows["scope_label"]))
    assert (scopes[K2], scopes[K4], scopes[K1], scopes[P4]) == ("上学期结转", "上学期结转", "本学期登记", "本学期登记")
    assert any(note.startswith("案件范围：本学期（2021-09-01 起）登记的案件 6 件，及此前登记、开学时仍未结案的上学期结转案件 2 件；"
                               "此前登记且开学前已结案或销号的 1 件不列入") for note in summary.notes)


def test_each_form_carries_cause_measures_owners_and_a_dated_deadline(forms):
    k1 = forms[K1].fields
    assert k1["原因分析"] == "厌学"
    # 帮扶措施: the methods of 家访, 劝返 and the notice in order, then what the 家访 noted.
    assert k1["帮扶措施"] == "特殊关爱感化、行政措施劝返、法治手段兜底；家访：家长不配合"
    assert (k1["责任人(政府线)"], k1["责任人(教育线)"]) == ("李乡长", "王老师")  # 双线
    # 时限: the notice of Sun 26 Sep is due Sun 3 Oct, a holiday, so Fri 8 Oct: a date, always.
    assert (k1["限期复学通知书"], k1["时限(复学期限)"]) == (pd.Timestamp("2021-09-26"), pd.Timestamp("2021-10-08"))
    assert k1["备注"] == f"本学期登记；辍学(离校)时间：{LEFT_ON_REGISTERED}；复学期限 10月3日 → 10月8日（遇节假日顺延）"
    history = forms[K1].history
    notice = history[history["event"] == "发出限期复学通知书"]
    assert notice["result"].tolist() == ["法治手段兜底；复学期限 10月3日 → 10月8日（遇节假日顺延）"]
    # C2 has no action in the log: its measures are left to fill in by hand.
    assert "帮扶措施" not in forms[K2].fields


def test_left_school_on_the_first_day_of_the_run_that_led_to_the_case(forms, town_sheets):
    # P4 was absent without leave from Mon 11 Oct and registered on 13 Oct: 辍学(离校)时间 11 Oct.
    assert forms[P4].fields["辍学(离校)时间"] == pd.Timestamp("2021-10-11")
    assert forms[P4].fields["备注"] == f"本学期登记；辍学(离校)时间：{LEFT_ON_RUN}"
    # K1 has no absence in the ledger: the registration day, 6 Sep, and the form says so.
    assert forms[K1].fields["辍学(离校)时间"] == pd.Timestamp("2021-09-06")
    assert forms[K1].fields["备注"].startswith(f"本学期登记；辍学(离校)时间：{LEFT_ON_REGISTERED}")
    assert forms[K2].fields["备注"] == f"上学期结转；辍学(离校)时间：{LEFT_ON_REGISTERED}"
    summary = town_sheets[1].rows.set_index("id_number")
    assert (summary.at[P4, "left_on"], summary.at[P4, "left_on_basis"]) == (pd.Timestamp("2021-10-11"), LEFT_ON_RUN)


def test_every_form_has_the_guardians_signature_line(town_sheets, tmp_path):
    write_workbook(tmp_path / "forms.xlsx", list(town_sheets))
    signed = texts(tmp_path / "forms.xlsx")
    assert signed.count(f"监护人签字：{BLANK}　　{SIGNED}") == 8  # one per form
    assert signed.count(SIGNED) == 1  # 附件3's block, the unit's alone
    assert "附件2 测试县2021年秋季学期义务教育阶段辍学学生登记表" in signed
    assert "附件3 测试县2021年秋季学期义务教育阶段辍学学生登记汇总表" in signed


def test_a_township_without_a_case_this_term_signs_a_zero_report(tmp_path):
    # 河西乡's only case (C10, spring, returned) is left off: both forms say 本期无辍学学生, signed.
    west = analyse(county_tables(), PARAMS, AS_OF, WEST)
    registration, summary = sheets_of(west)
    assert isinstance(registration, TableSheet) and registration.rows.empty and summary.rows.empty
    write_workbook(tmp_path / "forms.xlsx", [registration, summary])
    book = openpyxl.load_workbook(tmp_path / "forms.xlsx")
    for sheet in book.worksheets:
        lines = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        assert NO_DROPOUTS in lines, sheet.title
        assert SIGNED in lines, sheet.title
        assert any("开学前已结案或销号的 1 件不列入" in line for line in lines), sheet.title
    assert book.worksheets[0]["A1"].value == "附件2 测试县2021年秋季学期义务教育阶段辍学学生登记表"

