"""`kcbx ingest` end to end on a small county built in tmp_path (kcbx.ingest.county, kcbx.store.tables)."""

import functools
import json
import subprocess
import sys

import fault_readers  # tests/unit/ingest: imported by the reader processes too
import pandas as pd
import pytest
import xlsxwriter

from kcbx import schema
from kcbx.ingest import county as ingest
from kcbx.ingest.county import format_report, ingest_folder, report_path
from kcbx.params import load_params
from kcbx.store import tables as store
from support.builders import ID_A, ID_B, TODAY, counts

BAD_CHECKSUM = "110105201003010010"


def write_roster(path):
    """学籍/一小.xlsx: title row 1, header row 2, data rows 3-5, 合计 row 6.

    Row 3 accepted; row 4 has 年级 高一 (rejected); row 5 keyed by a G+ID 学籍号 (accepted).
    The 姓名 of row 3 is the text "=1+1", written as a string cell, never a formula.
    """
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("一小")
    sheet.merge_range(0, 0, 0, 6, "甲镇一小学生花名册")
    sheet.write_row(1, 0, ["学年", "身份证号", "学籍号", "姓名", "乡镇", "学校名称", "年级"])
    sheet.write_row(2, 0, ["2021-2022学年", ID_A, "", "", "甲镇", "一小", "三年级"])
    sheet.write_string(2, 3, "=1+1")
    sheet.write_row(3, 0, ["2021学年", ID_B, "", "李四", "甲镇", "一小", "高一"])
    sheet.write_row(4, 0, [2021, "", "G" + ID_B, "王五", "甲镇", "一小", "初一"])
    sheet.write_row(5, 0, ["合计", "", "", "3人"])
    workbook.close()


def write_population(path, rows):
    """户籍/甲镇.csv in GBK with a title line; data rows start on line 3."""
    lines = ["甲镇适龄儿童名单", "身份证号码,姓名,乡镇,村（社区）,联系电话"] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))


def write_absence(path):
    """缺勤/9月.csv in UTF-8 with BOM, keyed by the county's synonym 证件号 (lines 2-4 are data).

    Line 2 accepted; line 3 has a bad checksum; line 4 has the date 2021-13-01 (rejected).
    """
    text = ("日期,证件号,学校,缺勤类型\n"
            f"2021-09-01,{ID_A},一小,旷课\n"
            f"2021-09-01,{BAD_CHECKSUM},一小,病假\n"
            f"2021-13-01,{ID_B},一小,无故\n")
    path.write_bytes(text.encode("utf-8-sig"))


@pytest.fixture
def county(tmp_path):
    ledgers = tmp_path / "ledgers"
    for folder in ("学籍", "户籍", "缺勤", "资助", "cases"):
        (ledgers / folder).mkdir(parents=True)
    write_roster(ledgers / "学籍" / "一小.xlsx")
    write_population(ledgers / "户籍" / "甲镇.csv", [[ID_A, "张三", "甲镇", "一村", "13800138000"],
                                                  [ID_B, "李四", "甲镇", "二村", ""]])
    write_absence(ledgers / "缺勤" / "9月.csv")
    (ledgers / "资助" / "坏文件.xlsx").write_bytes(b"\x00garbage, not a workbook")
    (ledgers / "cases" / "劝返.csv").write_text(f"身份证号,日期,备注\n{ID_A},2021-09-10,无\n", encoding="utf-8")
    params = tmp_path / "params" / "t.yaml"
    params.parent.mkdir()
    params.write_text(
        "county: 测试县\nledgers: ../ledgers\nstore: ../build/t.duckdb\n"
        "term: {start: 2021-09-01, end: 2022-01-14}\nsynonyms: {身份证号: [证件号]}\n",
        encoding="utf-8")
    return load_params(params)


def test_every_file_reconciles_and_bad_files_do_not_stop_the_others(county):
    report = ingest_folder(county, today=TODAY)
    assert counts(report) == {
        "cases/劝返.csv": (1, 0, 1),  # no 事件 column: its one data row is rejected with the message
        "学籍/一小.xlsx": (3, 2, 1),  # rows 3-5; row 4 高一 rejected
        "户籍/甲镇.csv": (2, 2, 0),
        "缺勤/9月.csv": (3, 1, 2),  # line 3 checksum, line 4 date
        "资助/坏文件.xlsx": (0, 0, 0),  # unreadable: listed with an error
    }
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (9, 5, 4)
    assert not report.ok
    errors = {f.file: f.error for f in report.files if f.error}
    assert set(errors) == {"cases/劝返.csv", "资助/坏文件.xlsx"}
    assert errors["cases/劝返.csv"] == "cases/劝返.csv：缺少必需的列 「事件」（也作：事项）"
    assert store.ingest_totals(county.store) == {"rows_read": 9, "rows_accepted": 5, "rows_rejected": 4}


def test_store_holds_canonical_rows_and_rejected_rows(county):
    ingest_folder(county, today=TODAY)
    tables = store.load_tables(county.store)
    for kind in schema.KINDS:
        schema.MODELS[kind].validate(tables[kind])  # exactly the canonical columns and dtypes

    roster = tables["roster"]
    assert list(roster["source_row"]) == [3, 5]
    assert list(roster["name"]) == ["=1+1", "王五"]  # the formula-looking name stayed text
    assert list(roster["person_key"]) == [ID_A, ID_B]  # row 5: G + ID is that ID
    assert list(roster["school_year"]) == [2021, 2021]
    assert list(tables["population"]["phone"]) == ["13800138000", None]
    assert tables["absence"]["date"].dtype == "datetime64[ns]"
    # Side tables' text is object too, NULL read as None (not NaN, not pandas' str dtype).
    errors = tables["ingest_log"].set_index("file")["error"]
    assert errors.dtype == object
    assert errors["学籍/一小.xlsx"] is None and isinstance(errors["资助/坏文件.xlsx"], str)
    # Each distinct text is one object, however many rows repeat it (memory, pickling).
    files = roster["source_file"]
    assert files.nunique() == 1 and files.iloc[0] is files.iloc[1]

    rejected = tables["rejected_rows"].set_index(["file", "row"])
    assert rejected.loc[("学籍/一小.xlsx", 4), "reason"] == "年级无法识别"
    assert rejected.loc[("学籍/一小.xlsx", 4), "sheet"] == "一小"
    assert rejected.loc[("缺勤/9月.csv", 3), ["column", "value", "reason"]].tolist() == [
        "证件号", BAD_CHECKSUM, "身份证号校验位错误"]
    assert rejected.loc[("缺勤/9月.csv", 4), "reason"] == "日期无法识别"


def test_report_is_written_beside_the_store_and_printed(county):
    report = ingest_folder(county, today=TODAY)
    written = json.loads(report_path(county.store).read_text(encoding="utf-8"))
    assert report_path(county.store).name == "t.ingest.json"
    assert written["totals"] == {"rows_read": 9, "rows_accepted": 5, "rows_rejected": 4}
    assert written["ok"] is False
    text = format_report(report)
    assert "学籍/一小.xlsx" in text and "资助/坏文件.xlsx" in text
    assert "有错误 errors" in text


def test_reingest_is_idempotent(county):
    first = ingest_folder(county, today=TODAY)
    before = store.load_tables(county.store)
    second = ingest_folder(county, today=TODAY)
    after = store.load_tables(county.store)
    assert {f.status for f in second.files} == {"unchanged"}
    assert counts(second) == counts(first)
    for table in [*schema.KINDS, "rejected_rows", "findings"]:
        pd.testing.assert_frame_equal(before[table], after[table])
    assert store.ingest_totals(county.store)["rows_read"] == 9


def test_changed_file_replaces_its_rows_and_a_removed_file_loses_them(county):
    ingest_folder(county, today=TODAY)
    write_population(county.ledgers / "户籍" / "甲镇.csv", [[ID_B, "李四", "甲镇", "三村", ""]])
    (county.ledgers / "缺勤" / "9月.csv").unlink()
    report = ingest_folder(county, today=TODAY, allow_shrink=True)  # its kind's only file (see test_ingest_safety)

    statuses = {f.file: f.status for f in report.files}
    assert statuses["户籍/甲镇.csv"] == "read" and statuses["学籍/一小.xlsx"] == "unchanged"
    assert report.removed == ["缺勤/9月.csv"]
    tables = store.load_tables(county.store)
    assert list(tables["population"]["village"]) == ["三村"]  # the old 2 rows are gone
    assert tables["absence"].empty
    assert "缺勤/9月.csv" not in set(tables["rejected_rows"]["file"])
    # 9 rows before, less the 3 absence rows and 1 of the 2 population rows.
    assert store.ingest_totals(county.store) == {"rows_read": 5, "rows_accepted": 3, "rows_rejected": 2}


def test_changed_synonyms_reread_every_file(county, tmp_path):
    ingest_folder(county, today=TODAY)
    county.path.write_text(county.path.read_text(encoding="utf-8").replace("[证件号]", "[证件号, 身份号]"),
                           encoding="utf-8")
    report = ingest_folder(load_params(county.path), today=TODAY)
    assert {f.status for f in report.files} == {"read"}


def test_reading_the_store_does_not_block_other_readers(county):
    ingest_folder(county, today=TODAY)
    import duckdb

    with duckdb.connect(str(county.store), read_only=True):
        assert store.ingest_totals(county.store)["rows_accepted"] == 5  # a second reader opens fine


def test_missing_store_says_to_ingest_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="kcbx ingest"):
        store.load_tables(tmp_path / "none.duckdb")


def test_files_read_in_a_second_process_give_the_same_report_and_rows(county, monkeypatch):
    serial = ingest_folder(county, today=TODAY)
    serial_tables = store.load_tables(county.store)
    county.store.unlink()
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)  # a pool even for this small county,
    monkeypatch.setattr(ingest, "_spare_cores", lambda: 1)  # and on a busy machine
    monkeypatch.setattr(ingest, "PARTS", 4)
    parallel = ingest_folder(county, today=TODAY)
    assert counts(parallel) == counts(serial)
    assert {f.file: f.error for f in parallel.files} == {f.file: f.error for f in serial.files}  # 坏文件 too
    tables = store.load_tables(county.store)
    for table in [*schema.KINDS, "rejected_rows", "findings"]:
        pd.testing.assert_frame_equal(tables[table], serial_tables[table])


def test_a_fault_in_kcbx_is_reported_on_its_file_and_the_others_go_on(county):
    # The faults happen in the reader process, where files are read (fault_readers).
    reader = functools.partial(fault_readers.faulty, read_fault="户籍/甲镇.csv", normalize_fault="缺勤/9月.csv")
    report = ingest_folder(county, today=TODAY, reader=reader)
    errors = {f.file: f.error for f in report.files if f.error}
    assert errors["户籍/甲镇.csv"].startswith("户籍/甲镇.csv：") and "RuntimeError: read fault" in errors["户籍/甲镇.csv"]
    assert "KeyError" in errors["缺勤/9月.csv"]
    assert counts(report)["学籍/一小.xlsx"] == (3, 2, 1)  # the others are read as ever


def test_reingest_with_nothing_changed_neither_writes_nor_loads_pandas(county):
    ingest_folder(county, today=TODAY)
    written = county.store.stat().st_mtime_ns
    script = ("import sys; from kcbx.ingest.county import ingest_folder; from kcbx.params import load_params; "
              f"report = ingest_folder(load_params({str(county.path)!r})); "
              "print({f.status for f in report.files}, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["{'unchanged'}", "False"]
    assert county.store.stat().st_mtime_ns == written


def test_a_file_that_is_no_ledger_is_noted_once_and_leaves_the_reingest_unchanged(county):
    (county.ledgers / "缺勤" / "说明.docx").write_bytes(b"")
    ingest_folder(county, today=TODAY)
    written = county.store.stat().st_mtime_ns
    ingest_folder(county, today=TODAY)
    findings = store.load_tables(county.store)["findings"]
    assert list(findings["file"]).count("缺勤/说明.docx") == 1
    assert county.store.stat().st_mtime_ns == written  # nothing changed: not written again
