"""Files that broke ingest (issue 23, classes 1 and 2), made as schools really send them.

One bad file or cell never erases good data nor gives a false all-clear: a bad cell rejects
its row; a file that cannot be read keeps the rows of its last version that could be read,
marked stale, and the ingest says so (exit 1). One file never stops everyone's ingest nor
exhausts the server: each file is read in a bounded reader process, files that would cost
too much are refused before reading, and a crash, a timeout or a memory limit is that
file's error, in one line.
"""

import datetime as dt
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import fault_readers  # tests/unit/ingest: imported by the reader processes too
import openpyxl
import pytest

from kcbx import cli
from kcbx.ingest.county import ingest_folder, report_path
from kcbx.params import load_params
from kcbx.store import tables as store
from support.builders import ID_A, ID_B, TODAY, counts, resident_id

ROSTER_HEADER = ["序号", "身份证号", "姓名", "乡镇", "学校", "年级"]
ABSENCE_HEADER = ["日期", "身份证号", "学校", "缺勤类型", "备注"]


def pupils(school: str, count: int, first_serial: int) -> list[list]:
    """Roster rows of ``count`` pupils of 甲镇's ``school`` with valid, distinct IDs."""
    return [[n + 1, resident_id("20120301", f"{first_serial + n:03d}"), f"学生{first_serial + n}", "甲镇", school,
             3 + n % 4] for n in range(count)]


def write_roster(path: Path, school: str, rows: list[list], title: str | None = None) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append([title or f"甲镇{school}学生花名册"])
    sheet.append(ROSTER_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


@pytest.fixture
def county(tmp_path):
    """甲镇's two schools' rosters (30 pupils each) and one absence file, not yet ingested."""
    ledgers = tmp_path / "ledgers"
    (ledgers / "学籍").mkdir(parents=True)
    (ledgers / "缺勤").mkdir()
    write_roster(ledgers / "学籍" / "一小.xlsx", "一小", pupils("一小", 30, 100))
    write_roster(ledgers / "学籍" / "二小.xlsx", "二小", pupils("二小", 30, 200))
    (ledgers / "缺勤" / "10月.csv").write_text(
        "\n".join([",".join(ABSENCE_HEADER), f"2021-10-08,{ID_A},一小,病假,", f"2021-10-11,{ID_B},一小,无故,"]) + "\n",
        encoding="utf-8")
    params = tmp_path / "t.yaml"
    params.write_text("county: 测试县\nledgers: ledgers\nstore: build/t.duckdb\n"
                      "term: {start: 2021-09-01, end: 2022-01-14}\n", encoding="utf-8")
    return load_params(params)


def ingest(county, **options):
    report = ingest_folder(county, today=TODAY, **options)
    for f in report.files:
        assert f.rows_read == f.rows_accepted + f.rows_rejected, f.file
    return report


def rows_of(county, kind: str, file: str) -> int:
    frame = store.load_tables(county.store, kinds=[kind])[kind]
    return int((frame["source_file"] == file).sum())


def errors_of(report) -> dict[str, str]:
    return {f.file: f.error for f in report.files if f.error}


def cut_short(path: Path, keep: float = 0.5) -> None:
    """A half-copied upload: the file's first bytes only."""
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


# --------------------------------------------------------------------------- 1. never erase good data

def test_a_roster_cut_short_keeps_the_schools_earlier_rows_marked_stale(county, capsys):
    assert cli.main(["ingest", "--params", str(county.path), "--quiet"]) == 0
    assert rows_of(county, "roster", "学籍/一小.xlsx") == 30

    cut_short(county.ledgers / "学籍" / "一小.xlsx")  # "Cannot detect file format" today
    capsys.readouterr()
    assert cli.main(["ingest", "--params", str(county.path), "--quiet"]) == 1  # no false all-clear
    printed = capsys.readouterr()  # --quiet: the one-line summary, and on stderr the file
    assert "有错误 errors, 沿用旧数据 stale 1" in printed.out and "沿用旧数据 stale: 学籍/一小.xlsx" in printed.err
    assert rows_of(county, "roster", "学籍/一小.xlsx") == 30  # the school's pupils are still there
    assert rows_of(county, "roster", "学籍/二小.xlsx") == 30

    (stale,) = store.stale_files(county.store)
    assert (stale.kind, stale.file, stale.rows_kept) == ("roster", "学籍/一小.xlsx", 30)
    assert (stale.townships, stale.schools) == (("甲镇",), ("一小",))
    assert stale.reason.startswith("学籍/一小.xlsx：Excel 文件不完整或已损坏（多半是上传或复制没有完成）")
    today = dt.date.today()
    assert stale.kept_from.date() == today and stale.failed_at.date() == today
    assert stale.message() == f"一小学籍数据未更新（文件无法读取，沿用 {today.month}月{today.day}日 数据）"

    saved = json.loads(report_path(county.store).read_text(encoding="utf-8"))
    assert saved["ok"] is False
    assert [(f["file"], f["kept_from"] is not None) for f in saved["stale"]] == [("学籍/一小.xlsx", True)]
    entry = next(f for f in saved["files"] if f["file"] == "学籍/一小.xlsx")
    assert (entry["status"], entry["rows_accepted"]) == ("stale", 30)

    # The same bad upload again: not read again, the store not rewritten, still stale; and
    # the unchanged re-ingest still loads no pandas.
    written = county.store.stat().st_mtime_ns
    again = ingest(county)
    assert {f.file: f.status for f in again.files}["学籍/一小.xlsx"] == "stale" and not again.ok
    assert county.store.stat().st_mtime_ns == written
    script = ("import sys; from kcbx.ingest.county import ingest_folder; from kcbx.params import load_params; "
              f"report = ingest_folder(load_params({str(county.path)!r})); "
              "print(sorted({f.status for f in report.files}), 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["['stale',", "'unchanged']", "False"]
    assert county.store.stat().st_mtime_ns == written

    # The school uploads its roster whole: read, the mark gone.
    write_roster(county.ledgers / "学籍" / "一小.xlsx", "一小", pupils("一小", 31, 100))
    fixed = ingest(county)
    assert fixed.ok and counts(fixed)["学籍/一小.xlsx"] == (31, 31, 0)
    assert store.stale_files(county.store) == []


def test_a_stale_file_removed_on_purpose_loses_its_rows(county):
    ingest(county)
    cut_short(county.ledgers / "学籍" / "一小.xlsx")
    ingest(county)
    (county.ledgers / "学籍" / "一小.xlsx").unlink()  # through the shrink guard, like any file removed
    report = ingest(county)
    assert report.removed == ["学籍/一小.xlsx"] and report.ok
    assert rows_of(county, "roster", "学籍/一小.xlsx") == 0
    assert store.stale_files(county.store) == []


def test_a_new_file_that_cannot_be_read_is_listed_with_nothing_kept(county):
    (county.ledgers / "学籍" / "三小.xlsx").write_bytes(b"PK\x03\x04 half an upload")
    report = ingest(county)
    assert not report.ok and report.stale == []  # nothing earlier to keep
    assert counts(report)["学籍/一小.xlsx"] == (30, 30, 0)
    (unread,) = store.stale_files(county.store)
    assert (unread.file, unread.kept_from, unread.rows_kept) == ("学籍/三小.xlsx", None, 0)
    assert unread.message() == "三小.xlsx学籍数据缺失（文件无法读取，没有可沿用的数据）"


def test_a_sheet_that_loses_a_required_header_keeps_the_earlier_rows(county):
    ingest(county)
    rows = [row[:4] + row[5:] for row in pupils("一小", 30, 100)]  # the 学校 column deleted by mistake
    workbook = openpyxl.Workbook()
    workbook.active.append([h for h in ROSTER_HEADER if h != "学校"])
    for row in rows:
        workbook.active.append(row)
    workbook.save(county.ledgers / "学籍" / "一小.xlsx")
    report = ingest(county)
    assert rows_of(county, "roster", "学籍/一小.xlsx") == 30
    assert [f.file for f in report.stale] == ["学籍/一小.xlsx"]
    assert "缺少必需的列 「学校」" in report.stale[0].error


def test_an_absence_date_in_3021_rejects_only_its_row(county):
    path = county.ledgers / "缺勤" / "10月.csv"
    path.write_text("\n".join([",".join(ABSENCE_HEADER), f"2021-10-08,{ID_A},一小,病假,",
                               f"3021-10-15,{ID_A},一小,无故,", f"1899-12-31,{ID_B},一小,无故,",
                               f"2021-10-11,{ID_B},一小,无故,"]) + "\n", encoding="utf-8")
    workbook = openpyxl.Workbook()  # the same typo as an Excel date cell, and as text
    workbook.active.append(ABSENCE_HEADER)
    workbook.active.append([dt.datetime(3021, 10, 15), ID_A, "一小", "无故", ""])
    workbook.active.append(["3021年10月15日", ID_B, "一小", "无故", ""])
    workbook.active.append([dt.datetime(2021, 10, 12), ID_B, "一小", "无故", ""])
    workbook.save(county.ledgers / "缺勤" / "10月补报.xlsx")
    report = ingest(county)
    assert report.ok  # "internal error: OutOfBoundsDatetime" failed the whole file, a false all-clear
    assert counts(report)["缺勤/10月.csv"] == (4, 2, 2)
    assert counts(report)["缺勤/10月补报.xlsx"] == (3, 1, 2)
    rejected = store.load_tables(county.store)["rejected_rows"]
    rejected = rejected[rejected["file"].str.startswith("缺勤/")]
    assert list(zip(rejected["file"], rejected["row"], rejected["column"], rejected["value"])) == [
        ("缺勤/10月.csv", 3, "日期", "3021-10-15"), ("缺勤/10月.csv", 4, "日期", "1899-12-31"),
        ("缺勤/10月补报.xlsx", 2, "日期", "3021-10-15"), ("缺勤/10月补报.xlsx", 3, "日期", "3021年10月15日")]
    assert set(rejected["reason"]) == {"日期超出范围（应在 1900—2099 年之间）"}


def test_one_gbk_row_in_a_utf8_csv_is_read_and_the_others_kept(county):
    lines = [",".join(ABSENCE_HEADER).encode(), f"2021-10-08,{ID_A},一小,病假,发烧".encode(),
             f"2021-10-11,{ID_B},一小,事假,回老家".encode("gbk"),  # pasted from a GBK export
             f"2021-10-12,{ID_B},一小,无故,".encode()]
    (county.ledgers / "缺勤" / "10月.csv").write_bytes(b"\r\n".join(lines) + b"\r\n")
    report = ingest(county)
    assert report.ok and counts(report)["缺勤/10月.csv"] == (3, 3, 0)
    tables = store.load_tables(county.store)
    absence = tables["absence"]
    assert list(absence["note"]) == ["发烧", "回老家", None] and list(absence["school"]) == ["一小"] * 3
    findings = tables["findings"]
    assert list(findings.loc[findings["file"] == "缺勤/10月.csv", "finding"]) == [
        "第 3 行（共 1 行）是 GBK 编码，文件其余是 UTF-8：已按 GBK 读取，请核对"]


def test_a_line_in_no_encoding_rejects_only_its_row(county):
    lines = [",".join(ABSENCE_HEADER).encode(), f"2021-10-08,{ID_A},一小,病假,".encode(),
             f"2021-10-11,{ID_B},一小,事假,".encode() + b"\xff\xfe\xff",  # neither UTF-8 nor GBK
             f"2021-10-12,{ID_B},一小,无故,".encode("gbk"), f"2021-10-13,{ID_B},一小,无故,".encode()]
    (county.ledgers / "缺勤" / "10月.csv").write_bytes(b"\n".join(lines) + b"\n")
    report = ingest(county)
    assert counts(report)["缺勤/10月.csv"] == (4, 3, 1)
    rejected = store.load_tables(county.store)["rejected_rows"]
    assert list(zip(rejected["row"], rejected["column"], rejected["reason"])) == [
        (3, "备注", "此行编码无法识别（既不是 UTF-8 也不是 GBK），未读取")]


def test_a_full_width_x_in_an_id_is_read_as_x(county):
    pupil = next(i for i in (resident_id("20120301", f"{s:03d}") for s in range(100)) if i.endswith("X"))
    typed = "".join(chr(ord(c) + 0xFEE0) for c in pupil[:-1]) + "Ｘ"  # full-width digits and Ｘ (an IME's)
    write_roster(county.ledgers / "学籍" / "二小.xlsx", "二小", [[1, typed, "全角", "甲镇", "二小", 3],
                                                               [2, pupil[:-1] + "ｘ", "半全角", "甲镇", "二小", 4]])
    report = ingest(county)
    assert counts(report)["学籍/二小.xlsx"] == (2, 2, 0)  # rejected (身份证号含非法字符), then 疑似失学
    roster = store.load_tables(county.store, kinds=["roster"])["roster"]
    assert list(roster.loc[roster["school"] == "二小", "person_key"]) == [pupil, pupil]


# --------------------------------------------------------------------------- 2. never stop everyone's ingest

def test_a_file_name_in_gbk_bytes_is_read_and_reported_readably(county, capsys):
    # A Windows zip unpacked on Linux: the folder and the file are named in GBK bytes.
    folder = os.path.join(os.fsencode(county.ledgers), "学籍".encode("gbk"))
    shutil.rmtree(county.ledgers / "学籍")
    os.mkdir(folder)
    write_roster(Path(os.fsdecode(os.path.join(folder, "一小花名册.xlsx".encode("gbk")))), "一小",
                 pupils("一小", 3, 100))
    with open(os.path.join(folder, b"\xb6\xfe\xff.csv"), "wb") as odd:  # 二 and a byte GBK lacks
        odd.write(("\n".join([",".join(ROSTER_HEADER[1:]), *(",".join(map(str, row[1:]))
                                                             for row in pupils("二小", 2, 200))]) + "\n").encode())
    assert cli.main(["ingest", "--params", str(county.path)]) == 0  # the table names each file
    out = capsys.readouterr().out
    assert "学籍/一小花名册.xlsx" in out and "学籍/\\xb6\\xfe\\xff.csv" in out
    saved = json.loads(report_path(county.store).read_text(encoding="utf-8"))
    assert {f["file"]: f["rows_accepted"] for f in saved["files"]} == {
        "学籍/一小花名册.xlsx": 3, "学籍/\\xb6\\xfe\\xff.csv": 2, "缺勤/10月.csv": 2}
    findings = store.load_tables(county.store)["findings"]
    assert findings["finding"].str.startswith("文件名不是 UTF-8 编码").sum() == 2


STRAY_CELL = "XFD1048576"


def stray_cell_workbook(path: Path) -> Path:
    """A roster with one stray cell at the sheet's last row and column (Ctrl+End, then a key)."""
    write_roster(path, "一小", pupils("一小", 30, 100))
    workbook = openpyxl.load_workbook(path)
    workbook.active[STRAY_CELL] = "x"
    workbook.save(path)
    return path


def test_todays_reader_allocates_a_stray_cells_whole_range(tmp_path):
    """Why the used range is checked before reading: calamine allocates every cell of the
    range, 512 GiB here, and aborts the process. Run in a process whose address space is
    bounded to 1 GiB, so nothing is taken from the machine."""
    path = stray_cell_workbook(tmp_path / "stray.xlsx")
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 ** 30, 2 ** 30)); "
              "from python_calamine import CalamineWorkbook; "
              "CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0)")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "RUST_BACKTRACE": "0"})
    assert done.returncode == -6  # SIGABRT: exit 134 in a shell
    assert "memory allocation of 549755813888 bytes failed" in done.stderr


def test_a_stray_cell_at_the_sheets_last_cell_is_refused_by_name(county):
    stray_cell_workbook(county.ledgers / "学籍" / "三小.xlsx")
    report = ingest(county)  # refused from the <dimension>: the reader's 512 GiB is never asked for
    assert counts(report)["学籍/一小.xlsx"] == (30, 30, 0) and counts(report)["缺勤/10月.csv"] == (2, 2, 0)
    assert errors_of(report) == {"学籍/三小.xlsx": (
        "学籍/三小.xlsx：工作表「花名册」的使用范围 A1:XFD1048576 有 17,179,869,184 个单元格，超过 5,000,000 的上限，"
        "未读取：多半是远处误填了单元格（最远的是 XFD1048576），请删除该单元格后重报 "
        "used range too large (a stray cell far from the table?)")}


def test_styles_reaching_the_sheets_last_row_are_no_stray_cell(county):
    path = county.ledgers / "学籍" / "一小.xlsx"
    workbook = openpyxl.load_workbook(path)
    workbook.active[STRAY_CELL].font = openpyxl.styles.Font(bold=True)  # a style, no value
    workbook.save(path)
    assert '<dimension ref="A1:XFD1048576"' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    report = ingest(county)
    assert report.ok and counts(report)["学籍/一小.xlsx"] == (30, 30, 0)


def test_a_workbook_whose_dimension_lies_crashes_only_its_own_reader(county):
    """A stray cell the <dimension> does not show (written by hand, or by a tool that never
    updates it): the check trusts the dimension, the reader aborts allocating 512 GiB under
    its address-space limit, and that is this file's error."""
    path = stray_cell_workbook(county.ledgers / "学籍" / "三小.xlsx")
    data = {info: zipfile.ZipFile(path).read(info) for info in zipfile.ZipFile(path).infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as liar:
        for info, content in data.items():
            # openpyxl writes "<dimension …/>" with lxml installed, "<dimension … />" without.
            liar.writestr(info, re.sub(rb'<dimension ref="A1:XFD1048576"\s*/>', b'<dimension ref="A1:F32"/>', content))
    report = ingest(county)
    assert counts(report)["学籍/一小.xlsx"] == (30, 30, 0) and counts(report)["学籍/二小.xlsx"] == (30, 30, 0)
    error = errors_of(report)["学籍/三小.xlsx"]
    assert error.startswith("学籍/三小.xlsx：读取此文件时读取进程崩溃（SIGABRT），未读取") and "\n" not in error


def bomb(path: Path, inflated: int) -> Path:
    """A real roster whose sheet is padded, after its rows, with ``inflated`` bytes of spaces:
    1 GiB compresses to about 1 MB."""
    write_roster(path, "三小", pupils("三小", 3, 300))
    source = zipfile.ZipFile(path)
    parts = {info: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info, content in parts.items():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, content)
                continue
            head, tail = content.split(b"</sheetData>")
            with out.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                block = b" " * (16 * 2 ** 20)
                for _ in range(inflated // len(block)):
                    sheet.write(block)
                sheet.write(b"</sheetData>" + tail)
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    return bomb(tmp_path_factory.mktemp("bomb") / "三小.xlsx", 2 ** 30)


def test_a_zip_bomb_is_refused_before_it_is_inflated(county, zip_bomb):
    assert zip_bomb.stat().st_size < 1.5 * 2 ** 20
    shutil.copy(zip_bomb, county.ledgers / "学籍" / "三小.xlsx")
    report = ingest(county)
    assert counts(report)["学籍/一小.xlsx"] == (30, 30, 0)
    # 1,024 MB is the zip directory's declared size (2 ** 30 bytes of padding plus the roster, in
    # whole MB): the refusal comes from the headers, before anything is inflated.
    assert errors_of(report)["学籍/三小.xlsx"].startswith(
        "学籍/三小.xlsx：解压后有 1,024 MB，超过单个文件 200 MB 的上限，未读取")


def test_a_part_inflating_beyond_the_ratio_is_refused(county):
    bomb(county.ledgers / "学籍" / "三小.xlsx", 48 * 2 ** 20)  # under 200 MB, but 1,000 times its size
    report = ingest(county)
    assert "超过 100 倍的上限" in errors_of(report)["学籍/三小.xlsx"]
    assert counts(report)["学籍/二小.xlsx"] == (30, 30, 0)


def test_a_reader_that_hangs_is_that_files_timeout_and_is_read_again_next_time(county, monkeypatch):
    from kcbx.ingest import isolation

    ingest(county)
    write_roster(county.ledgers / "学籍" / "一小.xlsx", "一小", pupils("一小", 31, 100))
    monkeypatch.setattr(isolation, "FILE_TIMEOUT_SECONDS", 2.0)
    report = ingest(county, reader=functools.partial(fault_readers.faulty, hang_on="学籍/一小.xlsx"))
    assert errors_of(report) == {"学籍/一小.xlsx": "学籍/一小.xlsx：读取超时（超过 2 秒），未读取 timed out after 2 s"}
    assert [f.file for f in report.stale] == ["学籍/一小.xlsx"] and rows_of(county, "roster", "学籍/一小.xlsx") == 30
    assert counts(report)["学籍/二小.xlsx"] == (30, 30, 0)
    # A timeout may be the machine's: the same file is read again next time.
    again = ingest(county)
    assert again.ok and counts(again)["学籍/一小.xlsx"] == (31, 31, 0)


def test_a_reader_that_dies_checking_a_batch_blames_only_its_file(county):
    report = ingest(county, reader=functools.partial(fault_readers.faulty, abort_when_checking="学籍/二小.xlsx"))
    assert set(errors_of(report)) == {"学籍/二小.xlsx"}
    assert "读取进程崩溃（SIGABRT）" in errors_of(report)["学籍/二小.xlsx"]
    assert counts(report)["学籍/一小.xlsx"] == (30, 30, 0) and counts(report)["缺勤/10月.csv"] == (2, 2, 0)


def test_a_file_beyond_the_memory_limit_is_that_files_error(county):
    report = ingest(county, reader=functools.partial(fault_readers.faulty, hog_on="学籍/一小.xlsx"))
    assert errors_of(report) == {"学籍/一小.xlsx": "学籍/一小.xlsx：读取此文件所需内存超过上限，未读取 out of memory"}
    assert counts(report)["学籍/二小.xlsx"] == (30, 30, 0)


def test_a_row_that_breaks_the_checking_rejects_only_itself(county):
    path = county.ledgers / "缺勤" / "10月.csv"
    path.write_text("\n".join([",".join(ABSENCE_HEADER), f"2021-10-08,{ID_A},一小,病假,",
                               f"2021-10-11,{ID_B},一小,无故,{fault_readers.BOOM}", f"2021-10-12,{ID_B},一小,无故,"])
                    + "\n", encoding="utf-8")
    report = ingest(county, reader=fault_readers.faulty)
    assert report.ok and counts(report)["缺勤/10月.csv"] == (3, 2, 1)
    rejected = store.load_tables(county.store)["rejected_rows"]
    assert list(zip(rejected["row"], rejected["reason"])) == [(3, "此行无法读取（内部错误 ValueError），未读取")]


# --------------------------------------------------------------------------- accounted for

def test_every_file_and_sheet_left_aside_is_in_the_ingest_report(county, capsys):
    roster = county.ledgers / "学籍" / "一小.xlsx"
    workbook = openpyxl.load_workbook(roster)
    workbook.create_sheet("填表说明").append(["请按模板填写，不要改动表头。"])
    workbook.save(roster)
    (county.ledgers / "学籍" / "~$一小.xlsx").write_bytes(b"lock")
    (county.ledgers / "学籍" / ".DS_Store").write_bytes(b"")
    (county.ledgers / "学籍" / "说明.docx").write_bytes(b"")
    (county.ledgers / "照片").mkdir()
    assert cli.main(["ingest", "--params", str(county.path)]) == 0  # the table says what was skipped
    out = capsys.readouterr().out
    saved = json.loads(report_path(county.store).read_text(encoding="utf-8"))
    entry = next(f for f in saved["files"] if f["file"] == "学籍/一小.xlsx")
    assert (entry["sheets"], entry["skipped_sheets"]) == (["花名册"], [["填表说明", "未找到可识别的表头，已跳过该工作表"]])
    assert saved["ignored"] == ["学籍/.DS_Store: 隐藏文件，已忽略 hidden file, ignored",
                                "学籍/~$一小.xlsx: Excel 打开工作簿时留下的临时锁文件，已忽略 Excel lock file, ignored"]
    assert saved["folder_findings"] == ["学籍/说明.docx: 不支持的文件类型（需要 .xlsx/.xls/.csv），已跳过",
                                        "照片: 文件夹名不是台账类别，已跳过"]
    assert "学籍/一小.xlsx，工作表「填表说明」：未找到可识别的表头，已跳过该工作表" in out
    assert "学籍/~$一小.xlsx: Excel 打开工作簿时留下的临时锁文件" in out
    # An unchanged re-ingest, built from the store, still accounts for the skipped sheet.
    again = ingest(county)
    assert {f.file: f.skipped_sheets for f in again.files}["学籍/一小.xlsx"] == [
        ["填表说明", "未找到可识别的表头，已跳过该工作表"]]
