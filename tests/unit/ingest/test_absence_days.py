"""天数 of an absence row (issue 26): a row with 天数 n stands for n consecutive school days from its
日期, counted on the term's calendar (调休 and the county's days off included); a 天数 that is no
whole number from 1 to 30, or that runs past the term, rejects its row naming the column. Files
without the column read as ever. Hand-worked on the autumn term 2021-09-01 – 2022-01-14."""

import datetime as dt

import chinese_calendar
import pandas as pd
import pytest

from kcbx import schema
from kcbx.calendar import school_days
from kcbx.ingest.county import format_report, ingest_folder
from kcbx.ingest.ledgers import normalize as nz
from kcbx.ingest.ledgers.read import Header, RawSheet, header_vocabulary
from kcbx.ingest.ledgers.school_days import TermDays, term_days
from kcbx.params import load_params
from kcbx.store import tables as store
from support.builders import ID_A, ID_B, TODAY, autumn_params, counts

START, END = dt.date(2021, 9, 1), dt.date(2022, 1, 14)
TERM = TermDays(START, END, tuple(day.date() for day in school_days(START, END)))
DAYS = "天数"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def absence_sheet(records, labels=None):
    """An absence sheet of these rows (from row 3), headers as the contract names them."""
    rows = pd.DataFrame(records, dtype=object)
    rows.index = range(3, 3 + len(rows))
    names = {"date": "日期", "id_number": "身份证号", "name": "姓名", "school": "学校", "absence_type": "缺勤类型",
             "days": DAYS, "note": "备注", **(labels or {})}
    header = Header(rows=(2,), columns={c: i for i, c in enumerate(rows.columns)},
                    labels={c: names[c] for c in rows.columns})
    return RawSheet("absence", "absence/一小.xlsx", "缺勤登记", header, rows)


def row(date, days=None, **cells):
    return {"date": date, "id_number": ID_A, "school": "一小", "absence_type": "无故", "days": days,
            "note": None, **cells}


def accepted_days(result) -> list[str]:
    return [d.date().isoformat() for d in result.accepted["date"]]


# --- the cell --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "days"), [(3, 3), (3.0, 3), ("3", 3), ("３", 3), ("3天", 3), (" 2 ", 2),
                                             ("3.0", 3), (30, 30), (1, 1)])
def test_days_read_as_whole_numbers(value, days):
    assert nz.parse_days(value) == days


@pytest.mark.parametrize("value", [None, "", "  ", float("nan")])
def test_a_blank_days_cell_is_none_one_day(value):
    assert nz.parse_days(value) is None


@pytest.mark.parametrize(("value", "reason"), [
    (0, nz.REASON_DAYS), (2.5, nz.REASON_DAYS), ("2.5", nz.REASON_DAYS), ("三", nz.REASON_DAYS),
    (-1, nz.REASON_DAYS), ("-1", nz.REASON_DAYS), (True, nz.REASON_DAYS), ("3-5", nz.REASON_DAYS),
    (31, nz.REASON_DAYS_OVER), ("31", nz.REASON_DAYS_OVER), (365, nz.REASON_DAYS_OVER),
])
def test_days_that_are_no_whole_number_from_1_to_30_are_refused(value, reason):
    with pytest.raises(nz.CellError) as refused:
        nz.parse_days(value)
    assert str(refused.value) == reason and str(refused.value).startswith("天数")


def test_the_days_header_and_its_synonym_are_read_in_the_absence_ledger():
    vocabulary = header_vocabulary("absence")
    assert vocabulary.column_of("天数") == vocabulary.column_of("缺勤天数") == "days"
    assert schema.MAX_ABSENCE_DAYS == 30


# --- a row: its school days -------------------------------------------------------------------

def test_three_days_from_30_september_skip_the_national_day_holiday_to_the_make_up_saturday():
    # 2021: 国庆 1–7 October; Saturday 9 October was a make-up school day (调休), as was Sunday 26 September.
    assert chinese_calendar.is_workday(day("2021-10-09")) and chinese_calendar.is_workday(day("2021-09-26"))
    assert not any(chinese_calendar.is_workday(day(f"2021-10-0{d}")) for d in range(1, 8))
    result = nz.normalize_sheet(absence_sheet([row("2021-09-30", 3, note="在家帮忙")]), TODAY, TERM)
    assert accepted_days(result) == ["2021-09-30", "2021-10-08", "2021-10-09"]
    # the same pupil, type, school and note, and the same cell: file, sheet and row 3
    assert result.accepted[["person_key", "absence_type", "unexcused", "school", "note", "source_file",
                            "source_sheet", "source_row"]].drop_duplicates().to_dict("records") == [
        {"person_key": ID_A, "absence_type": "无故", "unexcused": True, "school": "一小", "note": "在家帮忙",
         "source_file": "absence/一小.xlsx", "source_sheet": "缺勤登记", "source_row": 3}]
    schema.MODELS["absence"].validate(result.accepted)
    # one data row read and accepted (stored as three absences)
    assert (result.rows_read, result.rows_accepted, len(result.rejected)) == (1, 1, 0)


def test_a_blank_days_cell_or_1_is_the_one_day_as_before():
    result = nz.normalize_sheet(absence_sheet([row("2021-10-15"), row("2021-10-14", 1), row("2021-10-13", "")]),
                                TODAY, TERM)
    assert accepted_days(result) == ["2021-10-15", "2021-10-14", "2021-10-13"]
    assert result.accepted["source_row"].tolist() == [3, 4, 5]
    assert (result.rows_read, result.rows_accepted) == (3, 3)


def test_a_file_without_the_column_reads_exactly_as_before():
    records = [{k: v for k, v in row("2021-10-15").items() if k != "days"}]
    with_column = nz.normalize_sheet(absence_sheet([row("2021-10-15")]), TODAY, TERM)
    without = nz.normalize_sheet(absence_sheet(records), TODAY, TERM)
    pd.testing.assert_frame_equal(with_column.accepted, without.accepted)
    without_term = nz.normalize_sheet(absence_sheet(records), TODAY)
    pd.testing.assert_frame_equal(without_term.accepted, without.accepted)


def test_rows_run_on_in_file_order_each_followed_by_its_further_days():
    result = nz.normalize_sheet(absence_sheet([
        row("2021-10-13", 2), row("2021-10-15", None, id_number=ID_B, absence_type="病假"),
        row("2021-10-15", 2)]), TODAY, TERM)
    assert list(zip(result.accepted["source_row"], accepted_days(result))) == [
        (3, "2021-10-13"), (3, "2021-10-14"), (4, "2021-10-15"), (5, "2021-10-15"), (5, "2021-10-18")]
    assert result.rows_accepted == 3


@pytest.mark.parametrize(("value", "reason"), [
    (0, nz.REASON_DAYS), (2.5, nz.REASON_DAYS), ("三", nz.REASON_DAYS), (31, nz.REASON_DAYS_OVER)])
def test_a_wrong_days_cell_rejects_its_row_naming_the_column(value, reason):
    result = nz.normalize_sheet(absence_sheet([row("2021-10-11", value), row("2021-10-15", 2)]), TODAY, TERM)
    assert result.rejected[["row", "column", "value", "reason"]].to_dict("records") == [
        {"row": 3, "column": DAYS, "value": nz.cell_text(value), "reason": reason}]
    assert accepted_days(result) == ["2021-10-15", "2021-10-18"]  # the other row stands
    assert (result.rows_read, result.rows_accepted) == (2, 1)


def test_the_column_is_named_as_the_file_heads_it():
    result = nz.normalize_sheet(absence_sheet([row("2021-10-11", "三")], labels={"days": "缺勤天数"}), TODAY, TERM)
    assert result.rejected[["column", "reason"]].values.tolist() == [["缺勤天数", nz.REASON_DAYS]]


def test_days_past_the_end_of_term_reject_the_row():
    # Thursday 13 January 2022: the 13th and the 14th (the term's last day) are left, not 3.
    result = nz.normalize_sheet(absence_sheet([row("2022-01-13", 3), row("2022-01-13", 2)]), TODAY, TERM)
    assert result.rejected[["row", "column", "reason"]].to_dict("records") == [
        {"row": 3, "column": DAYS, "reason": "天数超出学期：从 2022-01-13 起到学期最后一天 2022-01-14 只有 2 个上学日"}]
    assert accepted_days(result) == ["2022-01-13", "2022-01-14"]


def test_days_counted_from_a_day_that_is_no_school_day_or_outside_the_term_reject_the_row():
    result = nz.normalize_sheet(absence_sheet([
        row("2021-10-02", 3),  # 国庆
        row("2022-03-01", 2),  # after the term
        row("2021-10-02", 1),  # one day, as ever: accepted, and noted later as no school day
    ]), TODAY, TERM)
    reasons = dict(zip(result.rejected["row"], result.rejected["reason"]))
    assert reasons == {
        3: "天数无法计算：日期 2021-10-02 不是上学日（天数从日期算起，日期应填连续缺勤的第一个上学日）",
        4: "天数无法计算：日期 2022-03-01 不在学期内（2021-09-01 至 2022-01-14），天数只能从学期内的上学日算起"}
    assert accepted_days(result) == ["2021-10-02"]


def test_a_row_rejected_for_another_cell_keeps_that_reason():
    result = nz.normalize_sheet(absence_sheet([row("2021-13-01", "三"), row("2021-10-11", 2, absence_type="生病")]),
                                TODAY, TERM)
    assert result.rejected[["row", "reason"]].values.tolist() == [[3, nz.REASON_DATE], [4, "未知缺勤类型"]]


def test_a_zero_report_with_days_is_rejected_and_with_1_or_blank_is_a_zero_report():
    result = nz.normalize_sheet(absence_sheet([
        row("2021-10-15", 5, id_number=None, name="无缺勤", absence_type=None),
        row("2021-10-14", 1, id_number=None, name="无缺勤", absence_type=None),
        row("2021-10-13", None, id_number=None, name="无缺勤", absence_type=None),
    ]), TODAY, TERM)
    assert result.rejected[["row", "column", "reason"]].to_dict("records") == [
        {"row": 3, "column": DAYS, "reason": nz.REASON_ZERO_REPORT_DAYS}]
    assert result.zero_reports["source_row"].tolist() == [4, 5]
    assert result.accepted.empty and (result.rows_read, result.rows_accepted) == (3, 2)


def test_without_a_term_a_row_of_several_days_is_rejected():
    result = nz.normalize_sheet(absence_sheet([row("2021-10-11", 2)]), TODAY)
    assert result.rejected["reason"].tolist() == [nz.REASON_DAYS_NO_TERM]


def test_the_term_days_are_the_measures_school_days_with_the_countys_own():
    params = autumn_params(days_off=(day("2021-10-08"),), extra_school_days=(day("2021-10-10"),))
    term = term_days(params)
    assert (term.start, term.end) == (START, END)
    assert term.from_day(day("2021-09-30"), 3) == (day("2021-09-30"), day("2021-10-09"), day("2021-10-10"))
    assert not term.is_school_day(day("2021-10-08")) and term.is_school_day(day("2021-10-10"))


# --- through the ingest (reader processes, the store, the report) -------------------------------

@pytest.fixture
def county(tmp_path):
    ledgers = tmp_path / "ledgers"
    (ledgers / "缺勤").mkdir(parents=True)
    params = tmp_path / "params" / "t.yaml"
    params.parent.mkdir()
    params.write_text("county: 测试县\nledgers: ../ledgers\nstore: ../build/t.duckdb\n"
                      "term: {start: 2021-09-01, end: 2022-01-14}\ndays_off: [2021-10-11]\n", encoding="utf-8")
    return load_params(params)


def write_csv(path, lines):
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))


def test_ingest_stores_a_row_of_several_days_as_that_many_absences_and_counts_one_row(county):
    write_csv(county.ledgers / "缺勤" / "一小.csv", [
        "日期,身份证号,学校,缺勤类型,缺勤天数,备注",
        f"2021-09-30,{ID_A},一小,无故,3,",
        f"2021-10-08,{ID_B},一小,病假,3,发烧",  # the county's day off on Monday 11 October is skipped
        f"2021-10-15,{ID_B},一小,事假,0,",
    ])
    report = ingest_folder(county, today=TODAY)
    assert counts(report) == {"缺勤/一小.csv": (3, 2, 1)}
    absence = store.load_tables(county.store)["absence"]
    assert [(key, d.date().isoformat(), line) for key, d, line in
            zip(absence["person_key"], absence["date"], absence["source_row"])] == [
        (ID_A, "2021-09-30", 2), (ID_A, "2021-10-08", 2), (ID_A, "2021-10-09", 2),
        (ID_B, "2021-10-08", 3), (ID_B, "2021-10-09", 3), (ID_B, "2021-10-12", 3)]
    rejected = store.load_tables(county.store)["rejected_rows"]
    assert rejected[["row", "column", "reason"]].values.tolist() == [[4, "缺勤天数", nz.REASON_DAYS]]


def test_a_change_of_the_terms_calendar_reads_the_files_again(county, tmp_path):
    write_csv(county.ledgers / "缺勤" / "一小.csv", ["日期,身份证号,学校,缺勤类型,天数", f"2021-10-08,{ID_A},一小,无故,3"])
    ingest_folder(county, today=TODAY)
    county.path.write_text(county.path.read_text(encoding="utf-8").replace("days_off: [2021-10-11]", "days_off: []"),
                           encoding="utf-8")
    again = ingest_folder(load_params(county.path), today=TODAY)
    assert [f.status for f in again.files] == ["read"]
    dates = store.load_tables(county.store)["absence"]["date"]
    assert [d.date().isoformat() for d in dates] == ["2021-10-08", "2021-10-09", "2021-10-11"]


def test_the_ingest_log_counts_a_files_template_lines_left_unfilled(county):
    write_csv(county.ledgers / "缺勤" / "一小.csv", [
        "序号,姓名,学籍号,身份证号,学校,日期,缺勤类型,天数,备注",
        "零报告,无缺勤,,,一小,,,,",  # the 零报告 line left blank: no pupil's line
        f"1,张三,,{ID_A},一小,2021-10-15,无故,,",
        f"2,李四,,{ID_B},一小,,,,",  # a pupil's line left unfilled
        "3,王五,G2021450000123,,一小,,,,",  # keyed by 学籍号 only
        ",,,,,,,,",  # blank: not counted
        "补充,,,,一小,,,,",  # a spare line: not counted
    ])
    write_csv(county.ledgers / "缺勤" / "二小.csv", [
        "序号,姓名,身份证号,学校,日期,缺勤类型",
        f"1,张三,{ID_A},二小,,", f"2,李四,{ID_B},二小,,",
    ])
    report = ingest_folder(county, today=TODAY)
    unfilled = {f.file: (f.unfilled_lines, f.unfilled_note) for f in report.files}
    assert unfilled == {
        "缺勤/一小.csv": (2, "模板空行 2 行（未填日期和缺勤类型，视为未缺勤）"),
        "缺勤/二小.csv": (2, "模板空行 2 行（未填日期和缺勤类型，视为未缺勤）；整张表一行也没有填")}
    assert counts(report) == {"缺勤/一小.csv": (1, 1, 0), "缺勤/二小.csv": (0, 0, 0)}
    printed = format_report(report)
    assert "  缺勤/二小.csv：模板空行 2 行（未填日期和缺勤类型，视为未缺勤）；整张表一行也没有填" in printed
    # an ingest that reads nothing again says the same
    again = ingest_folder(county, today=TODAY)
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert {f.file: (f.unfilled_lines, f.unfilled_note) for f in again.files} == unfilled
