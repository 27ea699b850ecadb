"""Raw cells -> canonical values, and sheets -> accepted + rejected rows (kcbx.ingest.ledgers.normalize)."""

import datetime as dt

import pandas as pd
import pytest

from kcbx import schema
from kcbx.ingest.ledgers import normalize as nz
from kcbx.ingest.ledgers.read import Header, RawSheet

TODAY = dt.date(2025, 1, 1)
ID_A = "110105201003010014"  # valid, born 2010-03-01 (see test_ids)
ID_B = "11010519491231002X"  # GB 11643's example
SEPT_1 = dt.date(2021, 9, 1)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2021, 9, 1),  # an Excel date cell
        pd.Timestamp("2021-09-01"),
        44440,  # Excel serial: 1899-12-30 + 44440 days = 2021-09-01
        44440.75,  # a serial with a time of day (18:00)
        "2021-09-01",
        "2021/9/1",
        "2021.9.1",
        "2021年9月1日",
        "２０２１年９月１日",  # full-width digits
        "2021-09-01 08:30:00",
        "2021/9/1 8:30",
        "20210901",
    ],
)
def test_every_date_spelling_reads_as_the_same_day(value):
    assert nz.parse_date(value) == SEPT_1


@pytest.mark.parametrize("value", ["2021-02-30", "九月一日", "2021-09", "x", 20210901.5, True])
def test_unreadable_dates_are_rejected(value):
    with pytest.raises(nz.CellError, match="^日期无法识别$"):
        nz.parse_date(value)


def test_blank_date_is_none():
    assert nz.parse_date("  ") is None and nz.parse_date(float("nan")) is None


@pytest.mark.parametrize(
    ("value", "grade"),
    [(3, 3), ("3", 3), ("三年级", 3), ("7年级", 7), ("七年级", 7), ("初一", 7), ("初二年级", 8), ("初三", 9),
     ("九年级", 9), (9.0, 9)],
)
def test_grades(value, grade):
    assert nz.parse_grade(value) == grade


@pytest.mark.parametrize("value", [0, 10, "高一", "十年级", "学前班"])
def test_unknown_grades_are_rejected(value):
    with pytest.raises(nz.CellError, match="^年级无法识别$"):
        nz.parse_grade(value)


@pytest.mark.parametrize("value", [2021, "2021", "2021-2022", "2021学年", "2021—2022学年", "2021-22", "2021～2022学年度"])
def test_school_year_spellings_read_as_the_starting_year(value):
    assert nz.parse_school_year(value) == 2021


def test_school_year_whose_second_year_does_not_follow_is_rejected():
    with pytest.raises(nz.CellError, match="学年无法识别"):
        nz.parse_school_year("2021-2023")


@pytest.mark.parametrize(
    ("value", "term"),
    [("2021秋", "2021秋"), ("2021年秋季学期", "2021秋"), ("2022春", "2022春"), ("2022年春季", "2022春"),
     ("2021-2022学年第一学期", "2021秋"), ("2021-2022学年第二学期", "2022春")],
)
def test_terms(value, term):
    assert nz.parse_term(value) == term


def test_amounts():
    assert nz.parse_amount("1,000元") == 1000.0
    assert nz.parse_amount(312.5) == 312.5
    with pytest.raises(nz.CellError, match="^金额为负数$"):
        nz.parse_amount(-500)
    with pytest.raises(nz.CellError, match="^金额无法识别$"):
        nz.parse_amount("五百")


@pytest.mark.parametrize(("value", "flag"), [("是", True), ("否", False), ("Y", True), ("n", False), (1, True),
                                             (0, False), ("√", True), (None, False), ("", False), (True, True)])
def test_yes_no(value, flag):
    assert nz.parse_yes_no(value) is flag


def test_events_and_their_spellings():
    assert nz.parse_event("疑似辍学登记") == "登记"
    assert nz.parse_event("辍学登记") == "登记"
    assert nz.parse_event("发出限期复学通知书") == "发出限期复学通知书"
    # A phone call or a WeChat message to the family is a 劝返 action, not a rejected row.
    assert [nz.parse_event(e) for e in ("电话联系", "电话劝返", "微信联系")] == ["劝返"] * 3
    with pytest.raises(nz.CellError, match="^未知事件$"):
        nz.parse_event("约谈")


def test_absence_types():
    assert nz.parse_absence_type("旷课") == "旷课"
    with pytest.raises(nz.CellError, match="^未知缺勤类型$"):
        nz.parse_absence_type("迟到")


def test_text_stays_exactly_as_written_and_numbers_keep_their_digits():
    assert nz.cell_text("  =HYPERLINK(\"http://x\")  ") == "=HYPERLINK(\"http://x\")"
    assert nz.cell_text("=1+1") == "=1+1"
    assert nz.cell_text(13800138000) == "13800138000"
    assert nz.cell_text(13800138000.0) == "13800138000"
    assert nz.cell_text(None) is None


# --------------------------------------------------------------------------- whole sheets

def raw_sheet(kind, records, first_row=3, labels=None):
    """A RawSheet of records (dicts of canonical column -> raw cell) starting at first_row."""
    rows = pd.DataFrame(records, dtype=object)
    rows.index = range(first_row, first_row + len(rows))
    columns = {c: i for i, c in enumerate(rows.columns)}
    header = Header(rows=(first_row - 1,), columns=columns, labels=labels or {c: c for c in rows.columns})
    return RawSheet(kind, f"{kind}/t.xlsx", "Sheet1", header, rows)


def test_roster_sheet_reconciles_and_gives_reasons():
    sheet = raw_sheet("roster", [
        {"id_number": ID_A, "name": "=1+1", "township": "甲镇", "school": "一小", "grade": "初一", "school_year": None},
        {"id_number": "110105201003010010", "name": "b", "township": "甲镇", "school": "一小", "grade": 3,
         "school_year": 2021},
        {"id_number": ID_B, "name": "c", "township": "甲镇", "school": "一小", "grade": "高一", "school_year": 2021},
        {"id_number": ID_B, "name": "d", "township": None, "school": "一小", "grade": 2, "school_year": "1800"},
        {"id_number": ID_B, "name": "e", "township": "乙镇", "school": "二小", "grade": 2, "school_year": "1800"},
    ], labels={"id_number": "身份证号", "grade": "年级", "township": "乡镇", "school_year": "学年"})
    result = nz.normalize_sheet(sheet, TODAY)

    # 5 rows read: row 3 accepted; 4 bad checksum, 5 grade 高一, 6 blank 乡镇 (checked before 学年),
    # 7 学年 1800 passes parsing but fails the model's 1990-2100 range check.
    assert result.rows_read == 5
    assert list(result.accepted["source_row"]) == [3]
    assert list(result.rejected["row"]) == [4, 5, 6, 7]
    assert list(result.rejected["reason"]) == ["身份证号校验位错误", "年级无法识别", "乡镇为空", "学年超出范围"]
    assert list(result.rejected["column"]) == ["身份证号", "年级", "乡镇", "学年"]
    assert list(result.rejected["value"]) == ["110105201003010010", "高一", "", "1800"]

    accepted = result.accepted.iloc[0]
    assert accepted["name"] == "=1+1"  # never evaluated
    assert accepted["grade"] == 7 and accepted["status"] == "在读"  # 初一 = grade 7; blank status = 在读
    assert pd.isna(accepted["school_year"])  # NULL = the current school year, filled by the measures
    schema.MODELS["roster"].validate(result.accepted)  # store dtypes: object text, not pandas 3 str


def test_absence_sheet_derives_unexcused():
    sheet = raw_sheet("absence", [
        {"date": "2021/9/1", "id_number": ID_A, "absence_type": "旷课"},
        {"date": 44441, "id_number": ID_A, "absence_type": "病假"},
        {"date": "2021-09-03", "id_number": ID_A, "absence_type": "迟到"},
    ])
    result = nz.normalize_sheet(sheet, TODAY)
    assert list(result.accepted["date"]) == [pd.Timestamp("2021-09-01"), pd.Timestamp("2021-09-02")]
    assert list(result.accepted["unexcused"]) == [True, False]
    assert list(result.rejected["reason"]) == ["未知缺勤类型"]


def test_subsidy_reversal_is_kept_negative_hours_rejected_and_term_spelling():
    # A negative 金额 is a 冲正 (a reversal of an earlier payment): read, not rejected;
    # a negative 课时 means nothing and is rejected.
    sheet = raw_sheet("subsidy", [
        {"id_number": ID_A, "term": "2021年秋季学期", "item": "生活补助", "amount": "250"},
        {"id_number": ID_A, "term": "2021秋", "item": "生活补助", "amount": "-250元"},
    ])
    result = nz.normalize_sheet(sheet, TODAY)
    assert list(result.accepted["term"]) == ["2021秋", "2021秋"]
    assert list(result.accepted["amount"]) == [250.0, -250.0]
    assert result.rejected.empty
    visits = nz.normalize_sheet(raw_sheet("home_teaching", [
        {"id_number": ID_A, "date": "2021-09-06", "hours": -3}]), TODAY)
    assert list(visits.rejected["reason"]) == ["课时为负数"]


def test_cases_keep_file_order_and_canonical_events():
    sheet = raw_sheet("cases", [
        {"id_number": ID_A, "date": "2021-09-10", "event": "疑似辍学登记", "method": None},
        {"id_number": ID_A, "date": "2021-09-10", "event": "家访", "method": "讲道理感召"},
        {"id_number": ID_A, "date": "2021-09-11", "event": "约谈", "method": None},
    ])
    result = nz.normalize_sheet(sheet, TODAY)
    assert list(result.accepted["event"]) == ["登记", "家访"]
    assert list(result.accepted["source_row"]) == [3, 4]
    assert list(result.accepted["method"]) == [None, "感召"]
    assert list(result.rejected["reason"]) == ["未知事件"]


def test_region_warnings_are_one_finding_per_code():
    # Three children born after 2002 with 452626 (靖西县 until 2002 in stdnum's table): one finding.
    sheet = raw_sheet("population", [
        {"id_number": "452626201205150022", "township": "甲镇"},
        {"id_number": "452626201306200033", "township": "甲镇"},
        {"id_number": "452626200901010045", "township": "甲镇"},
    ])
    result = nz.normalize_sheet(sheet, TODAY)
    assert len(result.accepted) == 3
    assert [(f.row, f.finding) for f in result.findings] == [
        (3, "身份证号地区码在出生年份未启用（可能为区划调整，已接受）：地区码 452626，共 3 行")]


def test_sheet_missing_a_required_column_rejects_every_row():
    sheet = raw_sheet("roster", [{"id_number": ID_A, "school": "一小", "grade": 1}] * 2)
    sheet.missing = ["「乡镇」（也作：乡(镇)）"]
    result = nz.normalize_sheet(sheet, TODAY)
    assert (len(result.accepted), len(result.rejected)) == (0, 2)
    assert set(result.rejected["reason"]) == {"roster/t.xlsx，工作表「Sheet1」：缺少必需的列 「乡镇」（也作：乡(镇)）"}


def test_enrollment_counts():
    sheet = raw_sheet("enrollment", [
        {"school_year": "2021-2022", "township": "甲镇", "school": "一小", "grade": "一年级", "enrolled": 120,
         "repeaters": None, "graduates": None},
        {"school_year": 2021, "township": "甲镇", "school": "一小", "grade": 2, "enrolled": "12.5",
         "repeaters": None, "graduates": None},
    ])
    result = nz.normalize_sheet(sheet, TODAY)
    assert list(result.accepted["enrolled"]) == [120]
    assert list(result.rejected["reason"]) == ["在校生数应为整数"]


def test_id_stored_as_a_number_is_rejected_with_its_own_reason():
    # Excel keeps 15 significant digits: 110105201003010014 typed as a number reads back ...010000.
    sheet = raw_sheet("population", [{"id_number": 110105201003010000, "township": "甲镇"}])
    result = nz.normalize_sheet(sheet, TODAY)
    assert list(result.rejected["reason"]) == [nz.REASON_ID_AS_NUMBER]
    assert list(result.rejected["value"]) == ["110105201003010000"]
