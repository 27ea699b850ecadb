"""文书/: the 《限期复学通知书》 and the 童工情况通报函 a township writes, opened with python-docx and
checked field by field against the ledgers, every number worked out by hand.

A small county (城关镇, 城关中学 and 城关小学), term 2021-09-01 – 2022-01-14, escalation 1/3/5,
notices due back in 7 days:

  A   城关中学 4年级1班, absent without leave on the school days before as_of; case 登记 with both
      owners, no notice → a notice (its guardian 张大山 from the population register)
  B   城关中学 (and 城关小学: a duplicate 学籍), the same absences, no case → no notice (a case
      must be registered first)
  C   城关中学, the same absences, case with a 发出限期复学通知书 → no new notice
  D   城关小学, absent 3 school days only, case open → no notice (not at the top rung)
  W1  born 1 Mar 2007 (14 on 15 Oct 2021), case this term, 辍学原因 外出务工, 去向 广东省东莞市 → a letter
  W2  born 1 Jun 2004 (17): 外出务工 → no letter (16 or older)
  W3  born 1 Jan 2008: 辍学原因 厌学 → no letter (not working)
  W4  born 1 May 2007: 打工, registered and back in the spring → no letter (not on this term's forms)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat

import docx
import openpyxl
import pandas as pd
import pytest

from kcbx.analysis.county import analyse
from kcbx.outputs import NOTICE_SUFFIX, NOTICES_DIR, notice_file
from kcbx.report.excel import BLANK_FOR_HANDWRITING
from kcbx.report.forms import write_forms
from kcbx.report.forms.notices_list import LABOUR_LETTER, NOTICE, document_list
from kcbx.report.notices import ARTICLE_5, ARTICLE_58, LEGAL_BASIS, document_text, write_notices
from support.builders import ingested_whole, resident_id
from support.forms_county import MIDDLE, PARAMS, PRIMARY, TOWN, event, ledger, pupil

A, B, C, D = (resident_id("20100101", f"{n:03d}") for n in range(51, 55))
W1, W2, W3, W4 = (resident_id(born, "061") for born in ("20070301", "20040601", "20080101", "20070501"))
OWNERS = {"admin_owner": "李乡长", "edu_owner": "王老师"}
AS_OF = dt.date(2021, 10, 15)  # a Friday; 11–15 October are five school days


def tables(absent_days: list[str], opened: str, notice: str) -> dict[str, pd.DataFrame]:
    """A, B, C absent without leave on ``absent_days``; D on the last three of them; A's, C's and
    D's cases registered on ``opened``, C's notice on ``notice``."""
    absences = [{"date": day, "person_key": key, "school": MIDDLE, "absence_type": "无故", "unexcused": True}
                for key in (A, B, C) for day in absent_days]
    absences += [{"date": day, "person_key": D, "school": PRIMARY, "absence_type": "旷课", "unexcused": True}
                 for day in absent_days[-3:]]
    named = {A: "张小明", B: "李小红", C: "王小刚", D: "赵小丽", W1: "陈小军", W2: "刘大伟", W3: "黄小芳", W4: "周小强"}
    found = {
        # B on 城关小学's roster too (a duplicate 学籍, as a county has): the forms' 数据问题 lists it.
        "roster": ledger("roster", [{**pupil(key, school), "name": named[key]} for key, school in
                                    ((A, MIDDLE), (B, MIDDLE), (B, PRIMARY), (C, MIDDLE), (D, PRIMARY))]),
        "population": ledger("population", [
            {"person_key": A, "name": "张小明", "gender": "男", "township": TOWN, "village": "东村",
             "guardian": "张大山", "phone": "13800000001"},
            {"person_key": W1, "name": "陈小军", "gender": "男", "township": TOWN, "village": "西村",
             "guardian": "陈父", "phone": "13800000002"},
        ]),
        "poverty": ledger("poverty", []),
        "disability": ledger("disability", []),
        "absence": ledger("absence", absences),
        "cases": ledger("cases", [
            event(A, opened, "登记", MIDDLE, name="张小明", grade=4, cause="厌学", **OWNERS),
            event(C, opened, "登记", MIDDLE, name="王小刚", grade=4, cause="厌学", **OWNERS),
            event(C, notice, "发出限期复学通知书", method="法治"),
            event(D, opened, "登记", PRIMARY, name="赵小丽", grade=4, **OWNERS),
            # The place of work with a vertical tab a spreadsheet let in: not on the document.
            event(W1, "2021-09-10", "登记", MIDDLE, name="陈小军", grade=9, cause="外出务工",
                  destination="广东省东莞市\x0b", **OWNERS),
            event(W2, "2021-09-12", "登记", MIDDLE, name="刘大伟", grade=9, cause="外出务工", **OWNERS),
            event(W3, "2021-09-14", "登记", MIDDLE, name="黄小芳", grade=8, cause="厌学", destination="在家"),
            event(W4, "2021-03-01", "登记", MIDDLE, name="周小强", grade=8, cause="打工"),
            event(W4, "2021-03-20", "复学"),
        ]),
        "home_teaching": ledger("home_teaching", []),
        "subsidy": ledger("subsidy", []),
        "enrollment": ledger("enrollment", []),
    }
    return ingested_whole(found)


@pytest.fixture(scope="module")
def town():
    october = [f"2021-10-{day}" for day in (11, 12, 13, 14, 15)]
    return analyse(tables(october, "2021-10-13", "2021-10-14"), PARAMS, AS_OF, TOWN)


def stub_fields(path) -> dict[str, str]:
    """The 存根's table (page 2): label → value."""
    table = docx.Document(str(path)).tables[0]
    return {row.cells[0].text: row.cells[1].text for row in table.rows}


def body(path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_a_notice_for_the_child_at_the_top_rung_with_an_open_case_and_no_notice(town, tmp_path):
    paths = write_notices(town, tmp_path / NOTICES_DIR)
    notices = [path for path in paths if path.name.startswith(NOTICE)]
    # A only: B has no case, C has its notice, D is 3 days absent (the top rung is 5).
    assert [path.name for path in notices] == ["限期复学通知书-01-城关中学.docx"]
    fields = stub_fields(notices[0])
    assert fields == {
        "文书编号": "城关镇限复〔2021〕1015-01号",
        "学生姓名": "张小明",
        "性别": "男",
        "身份证号": A,
        "学校": "城关中学",
        "年级班级": "4年级1班",
        "监护人": "张大山",  # the population register's
        "联系电话": "13800000001",
        "家庭住址": "城关镇东村",
        # 11–15 October: five school days without leave.
        "无故缺勤": "自2021年10月11日起连续5个上课日（至2021年10月15日）",
        "依据": "《中华人民共和国义务教育法》第五条、第五十八条",
        # Fri 15 Oct + 7 days = Fri 22 Oct, a school day: not moved.
        "限期返校": "送达之日起7日内；落款当日送达的，于2021年10月22日前",
        "发文单位": "城关镇人民政府",
        "包保责任人": "包保干部：李乡长；包保教师：王老师",
        "落款日期": "2021年10月15日",
    }
    # No field is empty, and none is left to be written by hand.
    assert all(value.strip() and BLANK_FOR_HANDWRITING not in value for value in fields.values())
    text = body(notices[0])
    assert "张大山（学生张小明的监护人）：" in text
    assert f"你（们）的子女张小明（身份证号：{A}），系城关中学4年级1班学生" in text
    assert ARTICLE_5 in text and ARTICLE_58 in text and LEGAL_BASIS in fields["依据"]
    assert "自本通知送达之日起7日内送张小明到城关中学复学（本通知于落款当日送达的，应于2021年10月22日前返校）" in text
    assert "城关镇人民政府（盖章）\n2021年10月15日" in text
    # The stub says what goes back into the case log, with the notice's number.
    assert ("送达后在劝返台账登记一条：日期＝送达日期，事件＝发出限期复学通知书，劝返方式＝法治，"
            "备注＝城关镇限复〔2021〕1015-01号") in text


def test_the_deadline_is_carried_past_national_day(tmp_path):
    # as_of Sun 26 Sep 2021, a make-up school day (调休). The school days up to it: Sat 18 Sep (made up),
    # then 19–21 Sep are 中秋 holidays, then Wed 22, Thu 23, Fri 24, Sun 26. Absent on those five:
    # the run reaches the top rung (5) on 26 Sep.
    # 26 Sep + 7 days = Sun 3 Oct, inside the 国庆 holidays (1–7 Oct); the next school day is Fri 8 Oct.
    days = ["2021-09-18", "2021-09-22", "2021-09-23", "2021-09-24", "2021-09-26"]
    september = analyse(tables(days, "2021-09-24", "2021-09-25"), PARAMS, dt.date(2021, 9, 26), TOWN)
    streak = september.streaks.set_index("person_key").loc[A]
    assert streak["streak"] == 5 and streak["streak_start"] == pd.Timestamp("2021-09-18")
    [row] = document_list(september).query("document == @NOTICE").itertuples()
    assert row.due == pd.Timestamp("2021-10-08")
    [path] = [p for p in write_notices(september, tmp_path / NOTICES_DIR) if p.name.startswith(NOTICE)]
    fields = stub_fields(path)
    assert fields["限期返校"] == ("送达之日起7日内；落款当日送达的，于2021年10月8日前"
                              "（2021年10月3日遇节假日，顺延至2021年10月8日）")
    assert fields["无故缺勤"] == "自2021年9月18日起连续5个上课日（至2021年9月26日）"
    assert fields["落款日期"] == "2021年9月26日"
    assert "应于2021年10月8日前返校；2021年10月3日遇节假日，顺延至2021年10月8日" in body(path)


def test_a_letter_for_each_working_child_under_16_as_the_compliance_rule_lists_them(town, tmp_path):
    # The rule child_labour is not written twice: the letters are its rows, and by hand W1 alone
    # (W2 is 17, W3 does not work, W4's case ended in the spring).
    flagged = town.compliance.loc[town.compliance["rule"].eq("child_labour"), "person_key"]
    assert list(flagged) == [W1]
    letters = [p for p in write_notices(town, tmp_path / NOTICES_DIR) if p.name.startswith(LABOUR_LETTER)]
    assert [p.name for p in letters] == ["童工情况通报函-01-城关中学.docx"]
    fields = stub_fields(letters[0])
    assert fields["学生姓名"] == "陈小军" and fields["身份证号"] == W1
    assert fields["出生日期"] == "2007年3月1日"
    assert fields["年龄"] == "14周岁（未满16周岁）"  # 1 Mar 2007 → 14 on 15 Oct 2021
    assert fields["辍学原因"] == "外出务工" and fields["去向（务工地）"] == "广东省东莞市"
    assert fields["监护人"] == "陈父"
    assert fields["发往"] == "务工地教育、人社、公安部门"
    assert fields["发文单位"] == "城关镇人民政府、测试县教育局"
    assert all(value.strip() and BLANK_FOR_HANDWRITING not in value for value in fields.values())
    text = body(letters[0])
    assert text.splitlines()[2] == "务工地（广东省东莞市）教育、人社、公安部门："
    assert "截至2021年10月15日年仅14周岁，未满16周岁" in text
    assert "城关镇人民政府（盖章）\n测试县教育局（盖章）\n2021年10月15日" in text
    assert "\x0b" not in document_text(letters[0])


def test_the_files_hold_identities_and_are_private_from_their_first_byte(town, tmp_path):
    previous = os.umask(0)  # a careless umask: the files are 0600 all the same
    try:
        paths = write_notices(town, tmp_path / NOTICES_DIR)
    finally:
        os.umask(previous)
    assert len(paths) == 2
    for path in paths:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.parent == tmp_path / NOTICES_DIR and path.suffix == NOTICE_SUFFIX
        # The folder may be listed: no child's name in a file name.
        assert not any(name in path.name for name in ("张小明", "陈小军"))
    # Nothing else in the folder: no temporary file left.
    assert sorted(p.name for p in (tmp_path / NOTICES_DIR).iterdir()) == sorted(p.name for p in paths)


def test_a_school_name_cannot_lead_the_file_out_of_its_folder(town, tmp_path):
    assert "/" not in notice_file(NOTICE, 1, "../../etc") and not notice_file(NOTICE, 1, "..").startswith(".")
    hostile = dataclasses.replace(town, roster=town.roster.assign(school="../../城关\u202e中学"))
    paths = write_notices(hostile, tmp_path / "out" / NOTICES_DIR)
    for path in paths:
        assert path.parent == tmp_path / "out" / NOTICES_DIR and path.is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [NOTICES_DIR]


def test_written_again_the_folder_holds_only_todays_documents(town, tmp_path):
    folder = tmp_path / NOTICES_DIR
    folder.mkdir()
    (folder / "限期复学通知书-09-旧学校.docx").write_bytes(b"yesterday's")
    write_notices(town, folder)
    assert "限期复学通知书-09-旧学校.docx" not in {p.name for p in folder.iterdir()}


def test_the_list_on_forms_xlsx_names_every_file_and_what_to_log(town, tmp_path):
    write_forms(town, tmp_path / "forms.xlsx")
    paths = write_notices(town, tmp_path / NOTICES_DIR)
    sheet = openpyxl.load_workbook(tmp_path / "forms.xlsx")["文书清单"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if row[0] == "序号")
    listed = [dict(zip(header, row)) for row in rows if isinstance(row[0], int)]
    assert [row["文件（文书/）"] for row in listed] == [p.name for p in paths]
    notice, letter = listed
    assert (notice["文书"], notice["姓名"], notice["身份证号/学籍号"], notice["监护人"]) == (NOTICE, "张小明", A, "张大山")
    assert notice["文书编号"] == "城关镇限复〔2021〕1015-01号"
    assert notice["限期返校日期"] == dt.datetime(2021, 10, 22)
    assert "事件＝发出限期复学通知书" in notice["送达后登记"]
    assert (letter["文书"], letter["姓名"]) == (LABOUR_LETTER, "陈小军")
    notes = " ".join(str(value) for row in rows for value in row if isinstance(value, str))
    # B is at the top rung with no case: the officer is told to register one first.
    assert "另有 1 名学生连续无故缺勤达5天但尚未登记辍学案件" in notes


def test_the_county_writes_no_documents_and_lists_none(town, tmp_path):
    county = analyse(tables([f"2021-10-{day}" for day in (11, 12, 13, 14, 15)], "2021-10-13", "2021-10-14"),
                     PARAMS, AS_OF, None)
    assert document_list(county).empty
    with pytest.raises(ValueError):
        write_notices(county, tmp_path / NOTICES_DIR)
    write_forms(county, tmp_path / "forms.xlsx")
    assert "文书清单" not in openpyxl.load_workbook(tmp_path / "forms.xlsx", read_only=True).sheetnames


def test_a_guardian_the_registers_lack_is_a_line_to_write_by_hand_and_the_list_says_so(town, tmp_path):
    # A's household registered elsewhere: no population row in the township, none on the 预警名单.
    elsewhere = dataclasses.replace(town, school_age=town.school_age[town.school_age["person_key"].ne(A)],
                                    early_warning=town.early_warning[town.early_warning["person_key"].ne(A)])
    [notice] = [p for p in write_notices(elsewhere, tmp_path / NOTICES_DIR) if p.name.startswith(NOTICE)]
    assert stub_fields(notice)["监护人"] == BLANK_FOR_HANDWRITING
    assert body(notice).splitlines()[3] == f"{BLANK_FOR_HANDWRITING}（学生张小明的监护人）："
    write_forms(elsewhere, tmp_path / "forms.xlsx")
    values = [cell for row in openpyxl.load_workbook(tmp_path / "forms.xlsx")["文书清单"].iter_rows(values_only=True)
              for cell in row]
    assert f"{BLANK_FOR_HANDWRITING}（户籍台账无，请核实）" in values
