"""巩固率 by grade cohort (kcbx.measures.rates.retention_by_cohort) and forms.xlsx's 巩固率 sheet:
reasons for rates outside 0–100 %, marks below params retention_target. Worked by hand.

The enrolment ledger of 甲镇, school year 2021 (as_of 15 October 2021):
  grade 9 now 110, grade 1 of 2013 100  → 110 %  (above 100 %: transfers in)
  grade 8 now  90, grade 1 of 2014 100  →  90 %  (below the 95 % target)
  grade 7 now  96, grade 1 of 2015 100  →  96 %
  grade 6 now  50, grade 1 of 2016 no row → no rate
  grade 5 no row,  grade 1 of 2017  80  → no rate
  grade 4 now  30, grade 1 of 2018   0  → no rate
  grade 3 now  -5 (a negative count typed into the ledger), grade 1 of 2019 50 → −10 %
  grade 2 now  40, grade 1 of 2020  40  → 100 %
乙乡's rows (grade 9 now 1, grade 1 of 2013 1) belong to its own forms only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pandas as pd
import pytest

from kcbx import schema
from kcbx.analysis.county import analyse
from kcbx.measures.rates import retention_by_cohort, retention_rate
from kcbx.params import ParamsError, load_params
from kcbx.report.excel import write_workbook
from kcbx.report.forms.retention import ABOVE_100, BELOW_0, _retention_sheet, percent_text
from support.builders import autumn_params, typed_ledger

AS_OF = dt.date(2021, 10, 15)
TOWN = "甲镇"
PARAMS = autumn_params()  # escalation 1/3/5 and 7-day notices: the defaults

# (school_year, grade, 在校生数) of 甲镇
TOWN_ROWS = [(2021, 9, 110), (2013, 1, 100), (2021, 8, 90), (2014, 1, 100), (2021, 7, 96), (2015, 1, 100),
             (2021, 6, 50), (2017, 1, 80), (2021, 4, 30), (2018, 1, 0), (2021, 3, -5), (2019, 1, 50),
             (2021, 2, 40), (2020, 1, 40)]


def ledger(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order."""
    return typed_ledger(kind, rows, f"{kind}/测试县.xlsx")


def enrollment_rows(township: str, rows) -> list[dict]:
    return [{"school_year": year, "township": township, "school": f"{township}学校", "grade": grade,
             "enrolled": enrolled, "repeaters": 0, "graduates": 0} for year, grade, enrolled in rows]


def county_tables() -> dict[str, pd.DataFrame]:
    tables = {kind: ledger(kind, []) for kind in schema.KINDS}
    tables["roster"] = ledger("roster", [
        {"person_key": "452626201101010011", "name": "甲", "township": TOWN, "school": "甲镇学校",
         "grade": 3, "status": "在读"},
        {"person_key": "452626201101010021", "name": "乙", "township": "乙乡", "school": "乙乡学校",
         "grade": 3, "status": "在读"}])
    tables["enrollment"] = ledger("enrollment", enrollment_rows(TOWN, TOWN_ROWS)
                                  + enrollment_rows("乙乡", [(2021, 9, 1), (2013, 1, 1)]))
    tables["rejected_rows"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "column", "value", "reason"])
    tables["findings"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding"])
    tables["ingest_log"] = pd.DataFrame(columns=["kind", "file", "rows_read", "rows_accepted",
                                                 "rows_rejected", "error"])
    return tables


@pytest.fixture(scope="module")
def town():
    return analyse(county_tables(), PARAMS, AS_OF, TOWN)


def test_each_cohort_over_its_own_intake_by_hand():
    cohorts = retention_by_cohort(county_tables()["enrollment"].query("township == @TOWN"), 2021)
    assert list(cohorts) == ["2", "3", "4", "5", "6", "7", "8", "9"]
    assert cohorts["9"] == {"grade": 9, "rate": 1.1, "flag": True, "enrolled": 110, "grade1": 100,
                            "grade1_year": 2013}
    assert cohorts["8"]["rate"] == 0.9 and cohorts["8"]["grade1_year"] == 2014 and cohorts["8"]["flag"] is False
    assert cohorts["7"]["rate"] == 0.96
    assert (cohorts["6"]["rate"], cohorts["6"]["grade1"], cohorts["6"]["enrolled"]) == (None, None, 50)
    assert (cohorts["5"]["rate"], cohorts["5"]["grade1"], cohorts["5"]["enrolled"]) == (None, 80, None)
    assert (cohorts["4"]["rate"], cohorts["4"]["grade1"], cohorts["4"]["flag"]) == (None, 0, None)
    assert cohorts["3"]["rate"] == -0.1 and cohorts["3"]["flag"] is False
    assert cohorts["2"]["rate"] == 1.0 and cohorts["2"]["grade1_year"] == 2020


def test_grade_9_cohort_is_the_retention_rate():
    ledger_rows = county_tables()["enrollment"].query("township == @TOWN")
    final, cohort_9 = retention_rate(ledger_rows, 2021), retention_by_cohort(ledger_rows, 2021)["9"]
    assert (final["rate"], final["flag"], final["grade9"], final["grade1"], final["grade1_year"]) == (
        cohort_9["rate"], cohort_9["flag"], cohort_9["enrolled"], cohort_9["grade1"], cohort_9["grade1_year"])


def test_the_township_metrics_count_its_own_ledger_rows(town):
    # 乙乡's grade 9 (1 of 1) would make 111 / 101 if it were counted.
    assert town.metrics["retention_by_cohort"]["9"]["rate"] == 1.1
    assert town.metrics["retention_rate"] == 1.1


def sheet_rows(analysis, tmp_path) -> tuple[list[tuple], list[str]]:
    write_workbook(tmp_path / "forms.xlsx", [_retention_sheet(analysis)])
    sheet = openpyxl.load_workbook(tmp_path / "forms.xlsx")["巩固率"]
    lines = [row for row in sheet.iter_rows(values_only=True) if any(value is not None for value in row)]
    header = lines.index(("本学年年级", "入学学年", "入学时一年级在校生(人)", "本学年在校生(人)", "巩固率",
                          "对照目标(95%)", "说明"))
    table = [row for row in lines[header + 1:] if row[1] is not None]
    notes = [row[0] for row in lines[header + 1 + len(table):]]
    return table, notes


def test_the_sheet_marks_below_target_and_gives_each_odd_rate_its_reason(town, tmp_path):
    table, notes = sheet_rows(town, tmp_path)
    assert [row[:5] for row in table] == [
        ("二年级", "2020学年", 40, 40, 1),
        ("三年级", "2019学年", 50, -5, -0.1),
        ("四年级", "2018学年", 0, 30, None),
        ("五年级", "2017学年", 80, None, None),
        ("六年级", "2016学年", None, 50, None),
        ("七年级", "2015学年", 100, 96, 0.96),
        ("八年级", "2014学年", 100, 90, 0.9),
        ("九年级", "2013学年", 100, 110, 1.1),
    ]
    marks = {row[0]: (row[5], row[6]) for row in table}
    assert marks["二年级"] == ("达到目标", None)  # exactly 100 %: neither reason nor mark
    assert marks["三年级"] == ("低于目标 95%", BELOW_0)
    assert marks["四年级"] == (None, "2018学年一年级在校生数为0，无法计算")
    assert marks["五年级"] == (None, "缺少本学年五年级在校生数，无法计算")
    assert marks["六年级"] == (None, "缺少2016学年一年级在校生数，无法计算")
    assert marks["七年级"] == ("达到目标", None)  # 96 % ≥ 95 %
    assert marks["八年级"] == ("低于目标 95%", None)
    assert marks["九年级"] == ("达到目标", ABOVE_100)
    assert ABOVE_100.startswith("高于100%：转入多于转出")
    assert notes[0].startswith("巩固率＝本学年该年级在校生数÷该届学生入学学年的一年级在校生数")
    assert notes[2] == "目标：95%（params retention_target），低于目标的届次标“低于目标 95%”。"
    assert notes[3].startswith("填报单位（盖章）")  # the sign-off block closes the form


def test_the_target_comes_from_params(tmp_path):
    # At 90 % the 八年级 cohort (exactly 90 %) is no longer below it; 三年级 (−10 %) still is.
    lower = dataclasses.replace(PARAMS, retention_target=0.9)
    sheet = _retention_sheet(analyse(county_tables(), lower, AS_OF, TOWN))
    marks = dict(zip(sheet.rows["grade_name"], sheet.rows["target"], strict=True))
    assert (marks["八年级"], marks["三年级"]) == ("达到目标", "低于目标 90%")
    assert [column.header for column in sheet.columns][5] == "对照目标(90%)"
    assert percent_text(0.975) == "97.5%"


def test_the_params_file_takes_a_fraction(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("county: 测试县\nledgers: l\nstore: s.duckdb\nterm: {start: 2021-09-01, end: 2022-01-14}\n",
                    encoding="utf-8")
    assert load_params(path).retention_target == 0.95  # the default
    assert load_params(path, {"retention_target": 0.9}).retention_target == 0.9
    with pytest.raises(ParamsError, match="'retention_target': 95 is above 1: write a fraction, 0.95 for 95 %"):
        load_params(path, {"retention_target": 95})
    with pytest.raises(ParamsError, match="'retention_target'"):
        load_params(path, {"retention_target": "95%"})
