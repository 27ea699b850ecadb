"""Issue 27: the county's 资助核对 lists the exceptions only (未发, 少发, 多发, 不应发), beside a
sheet of township totals (资助 乡镇汇总); each township's forms keep the full list.

As of Friday 2021-10-15, term 2021秋; the default standard, a term being half the year:
day primary 250, day junior 312.5, boarding primary 500, boarding junior 625 yuan.

城关镇 (城关小学, 城关中学), current roster in file order:
  A1 城关小学 4年级 day      脱贫户  paid 250                    → due 250, in full
  A2 城关小学 3年级 day      监测户  nothing                     → 未发 (250 short)
  A3 城关中学 8年级 boarding 低保户  300 + 300, 冲正 −100 = 500   → 少发 (due 625: 125 short)
  A4 城关中学 7年级 day      脱贫户  312.5 twice = 625           → 多发 (due 312.5: 312.5 over)
  A5 城关小学 5年级 在读, in no register, paid 300             → 不应发 (不在脱贫户名单内)
  A6 城关中学 9年级 休学 only, 脱贫户, paid 312.5              → 不应发 (学籍状态 休学)
  A7 城关小学 2年级 day      脱贫户  250, 冲正 −250 = 0          → 未发 (250 reversed)
  B3 城关小学 4年级 day      脱贫户  nothing                     → 未发; B3 also has an earlier
     转出 row at 河西小学: 在读 in 城关镇, so eligible there, and not 不应发 in 河西乡
河西乡 (河西小学):
  B1 河西小学 1年级 boarding 脱贫户  paid 500                    → due 500, in full
  B2 河西小学 6年级 boarding 监测户  paid 200                    → 少发 (due 500: 300 short)
Not listed anywhere: A8 (在读, no register) paid only for 2021春; Z1, on no roster, paid 250.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from kcbx.analysis.county import measure_county
from kcbx.measures.support import subsidy_exception, subsidy_not_due
from kcbx.report.forms import form_sheets, write_forms
from support.builders import ingested_whole, resident_id
from support.forms_county import AS_OF, PARAMS, TOWN, WEST, ledger

PRIMARY, MIDDLE, WEST_SCHOOL = "城关小学", "城关中学", "河西小学"
A1, A2, A3, A4, A5, A6, A7, A8 = (resident_id("20110101", f"{n:03d}") for n in range(41, 49))
B1, B2, B3 = (resident_id("20120101", f"{n:03d}") for n in range(51, 54))
Z1 = resident_id("20100101", "061")
C1 = resident_id("20100101", "071")
COUNTY = None


def pupil(key, school, grade, boarding=False, status="在读", township=TOWN):
    return {"person_key": key, "name": f"学生{key[-4:]}", "gender": "男", "township": township,
            "school": school, "grade": grade, "class_name": "1班", "status": status, "boarding": boarding}


def paid(key, amount, term="2021秋", item="生活补助"):
    return {"person_key": key, "term": term, "item": item, "amount": amount}


def county_tables() -> dict[str, pd.DataFrame]:
    tables = {
        "roster": ledger("roster", [
            pupil(A1, PRIMARY, 4), pupil(A2, PRIMARY, 3), pupil(A3, MIDDLE, 8, boarding=True),
            pupil(A4, MIDDLE, 7), pupil(A5, PRIMARY, 5), pupil(A6, MIDDLE, 9, status="休学"),
            pupil(A7, PRIMARY, 2), pupil(A8, PRIMARY, 6),
            pupil(B3, WEST_SCHOOL, 4, status="转出", township=WEST), pupil(B3, PRIMARY, 4),
            pupil(B1, WEST_SCHOOL, 1, boarding=True, township=WEST),
            pupil(B2, WEST_SCHOOL, 6, boarding=True, township=WEST),
        ]),
        "population": ledger("population", []),
        "poverty": ledger("poverty", [
            {"person_key": key, "township": township, "category": category} for key, township, category in (
                (A1, TOWN, "脱贫户"), (A2, TOWN, "监测户"), (A3, TOWN, "低保户"), (A4, TOWN, "脱贫户"),
                (A6, TOWN, "脱贫户"), (A7, TOWN, "脱贫户"), (B3, WEST, "脱贫户"), (B1, WEST, "脱贫户"),
                (B2, WEST, "监测户"))]),
        "disability": ledger("disability", []),
        "absence": ledger("absence", []),
        # C1's case, so that the case forms have a row (C1 has no payment).
        "cases": ledger("cases", [{"person_key": C1, "township": TOWN, "school": PRIMARY, "date": "2021-09-20",
                                   "event": "登记"}]),
        "home_teaching": ledger("home_teaching", []),
        "subsidy": ledger("subsidy", [
            paid(A1, 250.0), paid(A3, 300.0), paid(A3, 300.0), paid(A3, -100.0), paid(A4, 312.5),
            paid(A4, 312.5), paid(A5, 300.0), paid(A6, 312.5), paid(A7, 250.0), paid(A7, -250.0),
            paid(A8, 250.0, term="2021春"), paid(Z1, 250.0), paid(B1, 500.0), paid(B2, 200.0)]),
        "enrollment": ledger("enrollment", []),
    }
    return ingested_whole(tables)


@pytest.fixture(scope="module")
def analyses():
    """The county's Analysis and every township's, cut from one county pass, as a run does."""
    county_pass = measure_county(county_tables(), PARAMS, AS_OF)
    townships = county_pass.townships()
    assert townships == [TOWN, WEST]
    return {place: county_pass.analysis(place) for place in [COUNTY, *townships]}


@pytest.fixture(scope="module")
def sheets(analyses):
    return {place: {sheet.name: sheet for sheet in form_sheets(analysis)} for place, analysis in analyses.items()}


def listed(sheet) -> pd.DataFrame:
    """A 资助核对 sheet's rows as the form prints them (every column but 序号), blanks as None."""
    rows = sheet.rows[[column.key for column in sheet.columns if column.key != "number"]].astype(object)
    return rows.where(rows.notna(), None)


def exceptions_of(sheet) -> dict:
    rows = listed(sheet)
    return dict(zip(rows["id_number"], rows["exception"]))


# --- the measures, by hand --------------------------------------------------------------------


def test_each_eligible_pupil_has_one_exception_or_none():
    # due 250 each: paid 0 → 未发; 100 → 少发; 250 → none; 250.004 (under 1 分 over) → none; 300 → 多发.
    checked = pd.DataFrame({"due": [250.0] * 5, "paid": [0.0, 100.0, 250.0, 250.004, 300.0]})
    checked["short"] = checked["paid"] < checked["due"]
    assert subsidy_exception(checked).tolist() == ["未发", "少发", None, None, "多发"]


def test_not_due_are_pupils_paid_though_not_enrolled_or_not_in_the_register():
    # X 在读, no register: paid 100 → 不应发. Y 休学 and 转出, in the register: paid 50 + 50 − 20 = 80
    # (20 reversed) → 不应发, on Y's first row (休学). W 在读 and in the register: eligible.
    # V paid 100 then 冲正 100: nothing paid. U paid 100 for another term, T 营养餐 only: neither counts.
    roster = ledger("roster", [pupil("X", PRIMARY, 3), pupil("Y", MIDDLE, 8, status="休学"),
                               pupil("Y", WEST_SCHOOL, 8, status="转出", township=WEST), pupil("W", PRIMARY, 1),
                               pupil("V", PRIMARY, 2), pupil("U", PRIMARY, 2), pupil("T", PRIMARY, 2)])
    poverty = ledger("poverty", [{"person_key": "Y", "category": "监测户"}, {"person_key": "W", "category": "脱贫户"}])
    payments = ledger("subsidy", [
        paid("X", 100.0), paid("Y", 50.0), paid("Y", 50.0), paid("Y", -20.0), paid("W", 250.0),
        paid("V", 100.0), paid("V", -100.0), paid("U", 100.0, term="2021春"), paid("T", 100.0, item="营养餐")])
    found = subsidy_not_due(roster, poverty, payments, AS_OF).astype(object)
    found = found.where(found.notna(), None)
    assert found[["person_key", "township", "school", "status", "category", "due", "paid", "reversed",
                  "reason"]].values.tolist() == [
        ["X", TOWN, PRIMARY, "在读", None, 0.0, 100.0, 0.0, "不在脱贫户名单内"],
        ["Y", TOWN, MIDDLE, "休学", "监测户", 0.0, 80.0, 20.0, "学籍状态 休学"]]
    assert not found["short"].any() and found["missing"].eq(0).all()


# --- the forms --------------------------------------------------------------------------------


def test_each_township_keeps_its_full_list(sheets):
    # By school, 城关中学 first (中 U+4E2D < 小 U+5C0F); the eligible in file order, then 不应发.
    assert exceptions_of(sheets[TOWN]["资助核对"]) == {
        A3: "少发", A4: "多发", A6: "不应发", A1: None, A2: "未发", A7: "未发", B3: "未发", A5: "不应发"}
    rows = listed(sheets[TOWN]["资助核对"]).set_index("id_number")
    assert list(rows.index) == [A3, A4, A6, A1, A2, A7, B3, A5]
    assert rows.loc[A3, ["due", "reversed", "paid", "missing", "in_full"]].tolist() == [625.0, 100.0, 500.0, 125.0, "否"]
    assert rows.loc[A4, ["due", "paid", "in_full", "reason"]].tolist() == [312.5, 625.0, "是", "超出应发 312.5 元"]
    assert rows.loc[A7, ["due", "reversed", "paid", "missing"]].tolist() == [250.0, 250.0, 0.0, 250.0]
    assert rows.loc[A5, ["due", "paid", "missing", "in_full", "reason"]].tolist() == [
        0.0, 300.0, 0.0, None, "不在脱贫户名单内"]
    assert rows.loc[A6, ["category", "paid", "reason"]].tolist() == ["脱贫户", 312.5, "学籍状态 休学"]
    # B3 is 在读 in 城关镇: 河西乡's 转出 row makes B3 no 不应发 there. A8 (another term), Z1 (on
    # no roster) are on neither list.
    assert exceptions_of(sheets[WEST]["资助核对"]) == {B1: None, B2: "少发"}
    assert "核对结果：少发 1 人，未发 3 人，多发 1 人，不应发 2 人。" in sheets[TOWN]["资助核对"].notes
    assert "资助 乡镇汇总" not in sheets[TOWN]


def test_the_county_lists_exactly_the_exception_rows_of_the_townships_lists(sheets):
    townships = pd.concat([listed(sheets[place]["资助核对"]) for place in (TOWN, WEST)], ignore_index=True)
    exceptions = townships[townships["exception"].notna()]
    county = listed(sheets[COUNTY]["资助核对"])
    # Row for row, every column the form prints, in the townships' order.
    assert county.values.tolist() == exceptions.values.tolist()
    assert dict(zip(county["id_number"], county["exception"])) == {
        A3: "少发", A4: "多发", A6: "不应发", A2: "未发", A7: "未发", B3: "未发", A5: "不应发", B2: "少发"}
    assert sheets[COUNTY]["资助核对"].notes[-1].startswith(
        "全县只列核对结果为未发、少发、多发、不应发的学生（少发 2 人，未发 3 人，多发 1 人，不应发 2 人）")


def totals_of(rows: pd.DataFrame) -> list:
    """A township's figures as the totals sheet has them, from its own full list."""
    eligible = rows[rows["exception"] != "不应发"]
    return [len(eligible), rows["due"].sum(), rows["paid"].sum(), rows["reversed"].sum(),
            rows["due"].sum() - rows["paid"].sum(),
            *[int((rows["exception"] == exception).sum()) for exception in ("少发", "未发", "多发", "不应发")]]


FIGURES = ["eligible", "due", "paid", "reversed", "difference", "少发", "未发", "多发", "不应发"]


def test_the_township_totals_add_up_to_the_townships_lists(sheets, analyses):
    totals = sheets[COUNTY]["资助 乡镇汇总"].rows.set_index("township")
    assert list(totals.index) == [TOWN, WEST, "合计"]
    # 城关镇: 应发 A1 250 + A2 250 + A3 625 + A4 312.5 + A7 250 + B3 250 = 1937.5 (6 pupils);
    # 实发 A1 250 + A3 500 + A4 625 + A5 300 + A6 312.5 = 1987.5; 冲正 A3 100 + A7 250 = 350;
    # 差额 1937.5 − 1987.5 = −50. 河西乡: 应发 500 + 500, 实发 500 + 200, 差额 300.
    assert totals.loc[TOWN, FIGURES].tolist() == [6, 1937.5, 1987.5, 350.0, -50.0, 1, 3, 1, 2]
    assert totals.loc[WEST, FIGURES].tolist() == [2, 1000.0, 700.0, 0.0, 300.0, 1, 0, 0, 0]
    assert totals.loc["合计", FIGURES].tolist() == [8, 2937.5, 2687.5, 350.0, 250.0, 2, 3, 1, 2]
    for place in (TOWN, WEST):
        assert totals.loc[place, FIGURES].tolist() == totals_of(listed(sheets[place]["资助核对"]))
        metrics = analyses[place].metrics
        assert (totals.loc[place, "eligible"], totals.loc[place, "少发"] + totals.loc[place, "未发"]) == (
            metrics["subsidy_eligible"], metrics["subsidy_short"])
    county = analyses[COUNTY].metrics
    assert (county["subsidy_eligible"], county["subsidy_short"]) == (8, 5)
    assert pd.isna(totals.loc["合计", "number"])


def test_the_county_workbook_has_the_totals_beside_the_list(analyses, tmp_path):
    path = tmp_path / "forms.xlsx"
    write_forms(analyses[COUNTY], path)
    book = openpyxl.load_workbook(path, read_only=True)
    names = book.sheetnames
    assert names[names.index("资助核对") + 1] == "资助 乡镇汇总"
    rows = [row for row in book["资助 乡镇汇总"].iter_rows(values_only=True) if row and row[1] == "合计"]
    # The 合计 worked out by hand in the test above: 城关镇's figures plus 河西乡's.
    assert list(rows[0][:11]) == [None, "合计", 8, 2937.5, 2687.5, 350, 250, 2, 3, 1, 2]

