"""Per-school forms (学校/<school>.xlsx): 附件1–3 of each school, the school as 填报单位.

One small township, 城关镇, as_of Friday 2021-10-15, escalation 1/3/5:

  城关小学  A 张三 在读;  B 李四 在读 here AND at 城关中学 (a duplicate 学籍), 旷课 15 Oct
            case 2 of G 钱七: 登记 5 Sep, 复学 12 Sep                  → 已复学
  城关中学  B (the duplicate);  C 陈五 在读, 脱贫户
            case 1 of F 赵六: 登记 10 Sep, 家访 15 Sep, 限期复学通知书 20 Sep,
            still out                                                  → 在办
  城关三小  K 王九 在读, no case                                        → 零报告
  "../.=1+1" L, 在读: a school name that would leave the folder, hide the file and look like a
            formula

So 在读: 城关小学 2 (A, B), 城关中学 2 (B, C), 城关三小 1, the odd school 1; the township's
合计 counts B once: 5, one less than the schools' 6.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from kcbx import schema
from kcbx.analysis.county import analyse
from kcbx.outputs import SCHOOL_FORMS_DIR, school_forms_file
from kcbx.report.forms import write_forms
from kcbx.report.forms.common import NO_DROPOUTS
from kcbx.report.forms.school import schools_with_forms
from support.builders import OFFICE, autumn_params, typed_ledger

AS_OF = dt.date(2021, 10, 15)
TOWN = "城关镇"
ODD = "../.=1+1"
ID_A, ID_B, ID_C = "45262620120101001X", "452626200901010021", "452626200801010031"
ID_F, ID_G = "452626200701010041", "452626200801010051"
ID_K, ID_L = "452626201001010061", "452626201001010071"
ID_I = "452626201101010081"
PARAMS = autumn_params(target_date=dt.date(2021, 9, 30), office=OFFICE)


def ledger(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order."""
    return typed_ledger(kind, rows, f"{kind}/{TOWN}.xlsx")


def pupil(key, name, school, grade):
    born = f"{key[6:10]}-{key[10:12]}-{key[12:14]}"  # as the ID says
    return {"person_key": key, "name": name, "gender": "男", "birth_date": born, "township": TOWN,
            "school": school, "grade": grade, "class_name": "1", "status": "在读"}


def event(key, day, what, **details):
    return {"person_key": key, "township": TOWN, "date": day, "event": what, **details}


def township_tables() -> dict[str, pd.DataFrame]:
    tables = {kind: ledger(kind, []) for kind in schema.KINDS}
    tables["roster"] = ledger("roster", [
        pupil(ID_A, "张三", "城关小学", 3), pupil(ID_B, "李四", "城关小学", 6),
        pupil(ID_B, "李四", "城关中学", 7), pupil(ID_C, "陈五", "城关中学", 8),
        pupil(ID_K, "王九", "城关三小", 2), pupil(ID_L, "刘十", ODD, 2),
    ])
    tables["population"] = ledger("population", [
        {"person_key": key, "name": name, "gender": "男", "township": TOWN, "village": "东村",
         "guardian": f"{name[0]}大", "phone": "13800000000"}
        for key, name in ((ID_A, "张三"), (ID_B, "李四"), (ID_C, "陈五"), (ID_K, "王九"), (ID_L, "刘十"),
                          (ID_F, "赵六"), (ID_G, "钱七"), (ID_I, "周九"))])
    tables["poverty"] = ledger("poverty", [
        {"person_key": ID_C, "name": "陈五", "township": TOWN, "category": "脱贫户"}])
    # Not at any school: 送教上门 (other sheets' code wants one such child; these forms ignore him).
    tables["disability"] = ledger("disability", [
        {"person_key": ID_I, "name": "周九", "township": TOWN, "disability_type": "肢体",
         "disability_level": "一级", "placement": "送教上门"}])
    tables["absence"] = ledger("absence", [
        {"date": "2021-10-15", "person_key": ID_B, "school": "城关中学", "absence_type": "旷课",
         "unexcused": True}])
    tables["cases"] = ledger("cases", [
        event(ID_G, "2021-09-05", "登记", name="钱七", school="城关小学", grade=6, cause="家庭困难",
              admin_owner="钱干部", edu_owner="钱老师"),
        event(ID_G, "2021-09-12", "复学", placement="插班"),
        event(ID_F, "2021-09-10", "登记", name="赵六", school="城关中学", grade=8, cause="厌学",
              admin_owner="李乡长", edu_owner="王老师"),
        event(ID_F, "2021-09-15", "家访", note="家长不配合"),
        event(ID_F, "2021-09-20", "发出限期复学通知书", method="法治"),
    ])
    tables["rejected_rows"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "column", "value", "reason"])
    tables["findings"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding"])
    tables["ingest_log"] = pd.DataFrame(
        columns=["kind", "file", "rows_read", "rows_accepted", "rows_rejected", "error"])
    return tables


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The township's forms.xlsx and its 学校/ folder, written once for the module."""
    folder = tmp_path_factory.mktemp("town")
    analysis = analyse(township_tables(), PARAMS, AS_OF, TOWN)
    paths = write_forms(analysis, folder / "forms.xlsx", school_forms=folder / SCHOOL_FORMS_DIR)
    return folder, paths


def table_rows(sheet) -> list[tuple]:
    """The data rows of a table sheet (the rows its autofilter covers below the header)."""
    _col, header_last, _last_col, last_row = range_boundaries(sheet.auto_filter.ref)
    return [tuple(cell.value for cell in row)
            for row in sheet.iter_rows(min_row=header_last + 1, max_row=last_row)]


def column(sheet, header: str) -> int:
    """The 0-based index of the table column headed ``header`` (either header row)."""
    _col, header_last, _last_col, _row = range_boundaries(sheet.auto_filter.ref)
    for row in (header_last - 1, header_last):
        for cell in sheet[row]:
            if cell.value == header:
                return cell.column - 1
    raise KeyError(header)


def all_text(sheet) -> list[str]:
    return [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]


def test_one_file_per_school_of_the_township_forms_with_safe_names(written):
    folder, paths = written
    schools = folder / SCHOOL_FORMS_DIR
    expected = ["城关三小.xlsx", "城关中学.xlsx", "城关小学.xlsx", school_forms_file(ODD)]
    assert sorted(path.name for path in schools.iterdir()) == sorted(expected)
    assert sorted(path.name for path in paths) == sorted(expected)
    # "../.=1+1": no separator, no leading dot, and a hash keeps it apart from a school named "_=1+1".
    odd = school_forms_file(ODD)
    assert "/" not in odd and not odd.startswith(".") and odd.startswith("_.=1+1-") and odd.endswith(".xlsx")
    assert (schools / odd).resolve().parent == schools.resolve()
    # Nothing left beside the folder: it was staged under a hidden name and renamed.
    assert sorted(path.name for path in folder.iterdir()) == ["forms.xlsx", SCHOOL_FORMS_DIR]


def test_each_school_row_is_its_township_row_and_the_hand_counted_pupils(written):
    folder, _paths = written
    township = openpyxl.load_workbook(folder / "forms.xlsx")["附件1 统计表"]
    township_rows = {row[1] or row[0]: row for row in table_rows(township)}  # 合计: no school
    enrolled = column(township, "在读学生(人)")
    for school, pupils in (("城关小学", 2), ("城关中学", 2), ("城关三小", 1), (ODD, 1)):
        sheet = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / school_forms_file(school))["附件1 统计表"]
        assert table_rows(sheet) == [township_rows[school]], school
        assert table_rows(sheet)[0][enrolled] == pupils, school
    # B counts at both schools: the schools sum to 6, the township's 合计 to 5.
    assert township_rows["合计"][enrolled] == 5


def test_a_school_forms_carry_its_cases_and_sign_off(written):
    folder, _paths = written
    book = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / "城关中学.xlsx")
    summary = book["附件3 登记汇总表"]
    names = [row[column(summary, "姓名")] for row in table_rows(summary)]
    assert names == ["赵六"]  # 钱七's case is 城关小学's
    assert "赵六" in all_text(book["附件2 辍学学生登记表"]) and "钱七" not in all_text(book["附件2 辍学学生登记表"])
    for sheet in book.worksheets:
        texts = all_text(sheet)
        assert any("填报单位（盖章）：城关中学" in text for text in texts), sheet.title
        assert "测试县 城关镇 城关中学  截至 2021-10-15" in texts, sheet.title
    # The scope note counts the school's cases (1), not the township's (2).
    assert any("全部案件 1 件" in text for text in all_text(summary))
    township = openpyxl.load_workbook(folder / "forms.xlsx")["附件3 登记汇总表"]
    assert any("全部案件 2 件" in text for text in all_text(township))
    # 城关小学 has 钱七, returned: the 附件3 line says 已复学.
    primary = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / "城关小学.xlsx")["附件3 登记汇总表"]
    assert [(row[column(primary, "姓名")], row[column(primary, "当前状态")]) for row in table_rows(primary)] \
        == [("钱七", "已复学")]


def test_a_school_with_no_case_sends_a_signed_zero_report(written):
    folder, _paths = written
    book = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / "城关三小.xlsx")
    for sheet in (book["附件2 辍学学生登记表"], book["附件3 登记汇总表"]):
        texts = all_text(sheet)
        assert any(NO_DROPOUTS in text for text in texts), sheet.title
        assert any("填报单位（盖章）：城关三小" in text for text in texts), sheet.title
    assert table_rows(book["附件3 登记汇总表"]) == []


def test_a_school_name_that_looks_like_a_formula_stays_text(written):
    folder, _paths = written
    book = openpyxl.load_workbook(folder / SCHOOL_FORMS_DIR / school_forms_file(ODD))
    cell = next(cell for row in book["附件1 统计表"].iter_rows() for cell in row if cell.value == ODD)
    assert cell.data_type == "s"


def test_rewriting_replaces_the_folder_whole(tmp_path):
    schools = tmp_path / SCHOOL_FORMS_DIR
    schools.mkdir()
    (schools / "已撤并小学.xlsx").write_bytes(b"an earlier run's school")
    analysis = analyse(township_tables(), PARAMS, AS_OF, TOWN)
    write_forms(analysis, tmp_path / "forms.xlsx", school_forms=schools)
    assert "已撤并小学.xlsx" not in {path.name for path in schools.iterdir()}
    assert len(list(schools.iterdir())) == 4
    assert sorted(path.name for path in tmp_path.iterdir()) == ["forms.xlsx", SCHOOL_FORMS_DIR]


def test_only_real_schools_get_a_file():
    # The county's 小计 rows, the 合计 row and a case naming no school sign nothing themselves.
    statistics = pd.DataFrame({"township": [TOWN, TOWN, TOWN, TOWN, "合计"],
                               "school": ["城关小学", "（未填学校）", "城关中学", "小计", None]})
    assert schools_with_forms(statistics) == ["城关小学", "城关中学"]


def test_the_county_has_no_per_school_forms(tmp_path):
    county = analyse(township_tables(), PARAMS, AS_OF, None)
    with pytest.raises(ValueError, match="township"):
        write_forms(county, tmp_path / "forms.xlsx", school_forms=tmp_path / SCHOOL_FORMS_DIR)
