"""The analyst, round two (issue 25): params found from anywhere, days outside the term refused
in one line, townships by name as typed, a connection kept without ``with``, the county in one
call, the absence_days view, lists for schools, the Chinese font, the ingest's lock message."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import duckdb
import openpyxl
import pandas as pd
import pytest

from kcbx import cli, explore, notebook, schema
from kcbx.analysis.metrics import json_ready
from kcbx.params import ParamsError, load_params
from kcbx.store.tables import StoreUpdate, write_update
from kcbx.util.processes import process_words
from support.builders import resident_id, table
from support.demo_county import county, ingested_demo  # noqa: F401 (the demo's fixtures)
from support.paths import PROJECT

AS_OF = dt.date(2021, 10, 15)  # a Friday, a school day
KEY = {p: resident_id(birth, serial=f"{n}21") for n, (p, birth) in
       enumerate([("P1", "20130301"), ("P2", "20080301"), ("P3", "20150301"), ("P4", "20120301"),
                  ("P9", "20130501")], start=1)}

PARAMS_FILE = """\
county: 测试县
county_code: "452626"
ledgers: ledgers
store: test.duckdb
term: {start: 2021/9/1, end: 2022年1月14日}
"""


def two_townships() -> dict[str, pd.DataFrame]:
    """甲镇: P1 (甲小学 grade 3, 1班) and P2 (甲中学 grade 8) 在读; P4, born 2012, on the
    population ledger only. 乙镇: P3 (乙小学 grade 1) 在读. Absences: P1 on Fri 1 Oct (国庆: no
    school day) and Fri 15 Oct, P3 on Thu 14 Oct, P9 (on no roster) on Fri 15 Oct."""
    jia, yi = dict(township="甲镇"), dict(township="乙镇")
    roster = table("roster", [
        dict(person_key=KEY["P1"], name="甲一", school="甲小学", grade=3, class_name="1班", status="在读", **jia),
        dict(person_key=KEY["P2"], name="=甲二", school="甲中学", grade=8, class_name="2班", status="在读", **jia),
        dict(person_key=KEY["P3"], name="乙三", school="乙小学", grade=1, class_name="1班", status="在读", **yi),
    ])
    population = table("population", [
        dict(person_key=KEY[p], id_number=KEY[p], name=f"童{p}", township="乙镇" if p == "P3" else "甲镇",
             birth_date=f"{KEY[p][6:10]}-{KEY[p][10:12]}-{KEY[p][12:14]}")
        for p in ("P1", "P2", "P3", "P4")])
    absence = table("absence", [
        dict(date=f"2021-10-{day:02d}", person_key=KEY[p], school="某校", absence_type="无故", unexcused=True)
        for p, day in [("P1", 1), ("P1", 15), ("P3", 14), ("P9", 15)]])
    tables = {kind: table(kind, []) for kind in schema.KINDS}
    tables.update(roster=roster, population=population, absence=absence)
    return tables


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round_two")
    (folder / "params.yaml").write_text(PARAMS_FILE, encoding="utf-8")
    (folder / "ledgers").mkdir()
    params = load_params(folder / "params.yaml")
    write_update(params.store, StoreUpdate(ledger_rows={kind: [frame] for kind, frame in two_townships().items()}))
    return params


# --------------------------------------------------------------------------- dates and the term

def test_the_params_file_reads_dates_as_people_write_them(small):
    assert (small.term_start, small.term_end) == (dt.date(2021, 9, 1), dt.date(2022, 1, 14))


def test_a_day_outside_the_term_is_one_line_with_the_last_school_day_with_data(small):
    # The last absence rows are of Fri 15 Oct, a school day: the day suggested.
    line = (f"as_of 2021-08-20 不在学期 2021-09-01 至 2022-01-14 内（参数文件 {small.path}）；"
            "有缺勤数据的最后一个上学日是 2021-10-15，可用 as_of = \"2021-10-15\"")
    for call in (lambda: explore.open_township(small, "甲镇", "2021.8.20"),
                 lambda: explore.open_county(small, "20210820"),
                 lambda: explore.townships(small, "2021-8-20"),
                 lambda: explore.townships_table(small, "2021年8月20日")):
        with pytest.raises(explore.OutOfTerm) as refused:
            call()
        assert str(refused.value) == line
        assert refused.value._render_traceback_() == [f"OutOfTerm: {line}"]  # what a notebook shows


def test_today_outside_the_term_is_refused_too(small, monkeypatch):
    # 16:30 UTC on 7 Dec 2026 is already 8 Dec in Beijing: the county's day is refused.
    monkeypatch.setattr("kcbx.params._now", lambda: dt.datetime(2026, 12, 7, 16, 30, tzinfo=dt.UTC))
    with pytest.raises(explore.OutOfTerm, match=r"^as_of 2026-12-08 不在学期"):
        explore.open_township(small, "甲镇", "today")


def test_a_day_written_the_county_s_way_opens_that_day(small):
    assert explore.open_township(small, "甲镇", "2021年10月15日").as_of == AS_OF
    assert explore.open_township(small, "甲镇").as_of == AS_OF  # none given: the last school day with data


def test_a_date_that_is_none_is_one_line_naming_as_of(small):
    with pytest.raises(ValueError) as refused:
        explore.open_township(small, "甲镇", "15/10/2021")
    assert str(refused.value) == "as_of 应为日期，如 2021-10-15（收到 '15/10/2021'）"


# --------------------------------------------------------------------------- params from anywhere

def test_params_are_found_from_the_notebooks_folder(monkeypatch):
    monkeypatch.chdir(PROJECT / "notebooks")
    monkeypatch.delenv("KCBX_PARAMS", raising=False)
    assert notebook.params_path("params/demo.yaml") == PROJECT / "params" / "demo.yaml"
    assert notebook.params_path(None) == PROJECT / "params" / "demo.yaml"
    assert notebook.params_path("../params/demo.yaml").resolve() == PROJECT / "params" / "demo.yaml"


def test_kcbx_params_comes_first(small, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KCBX_PARAMS", str(small.path))
    assert notebook.params_path(None) == small.path
    assert explore.townships() == ["乙镇", "甲镇"]


def test_params_found_nowhere_is_one_line(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError) as missing:
        notebook.params_path("params/nowhere.yaml")
    assert str(missing.value) == f"没有参数文件：{tmp_path} 与 {PROJECT} 下的 params/nowhere.yaml"
    with pytest.raises(ParamsError, match="乡镇请写 township=…$"):
        explore.open_township("城厢镇")  # a township given where params go


# --------------------------------------------------------------------------- townships by name

def test_a_township_is_found_with_spaces_around_it(small):
    assert explore.open_township(small, " 甲镇\u3000", AS_OF).township == "甲镇"


def test_an_unknown_township_is_one_chinese_line_with_pinyin_initials(small):
    with pytest.raises(explore.UnknownTownship) as unknown:
        explore.open_township(small, "jz", AS_OF)  # 甲镇: jia zhen
    assert str(unknown.value) == ("没有乡镇「jz」，是否要找 甲镇？（测试县现有：乙镇、甲镇） "
                                  "no township 'jz' in the current roster or the population ledger")
    with pytest.raises(explore.UnknownTownship, match="^没有乡镇「Y」，是否要找 乙镇？"):
        explore.open_township(small, "Y", AS_OF)  # 乙镇: yi zhen, typed with the shift key on
    with pytest.raises(explore.UnknownTownship, match="^没有乡镇「县城」（测试县现有：乙镇、甲镇）"):
        explore.open_township(small, "县城", AS_OF)  # nothing close: no hint


# --------------------------------------------------------------------------- connect, and SQL views

def test_a_connection_kept_without_with_reads_and_closes(small):
    con = explore.connect(small)
    assert con.execute("SELECT count(*) FROM roster_current").fetchall() == [(3,)]
    assert con.execute("SELECT count(*) FROM enrolled_pupils").fetchall() == [(3,)]
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM roster")  # read-only, as with `with`
    con.close()
    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")
    with explore.connect(small) as again:  # and still a context manager
        assert again.execute("SELECT count(*) FROM absence").fetchall() == [(4,)]


def test_absence_days_has_township_grade_class_and_the_school_day_flag(small):
    days = explore.sql(small, "SELECT date, township, grade, class_name, school_day FROM absence_days "
                              "ORDER BY date, person_key")
    # 1 Oct is 国庆 (no school day); P9 is on no roster: no township, grade or class.
    rows = [(row.date.date(), row.township, row.grade, row.class_name, row.school_day)
            for row in days.astype(object).where(days.notna(), None).itertuples()]
    fifteenth = [(AS_OF, "甲镇", 3, "1班", True), (AS_OF, None, None, None, True)]  # P1, P9
    assert rows == [(dt.date(2021, 10, 1), "甲镇", 3, "1班", False),
                    (dt.date(2021, 10, 14), "乙镇", 1, "1班", True),
                    *(fifteenth if KEY["P1"] < KEY["P9"] else fifteenth[::-1])]
    # The term's school days beside them: 15 Oct is one, 1 Oct (国庆) is not.
    assert explore.sql(small, "SELECT count(*) FILTER (date = DATE '2021-10-15') AS fri, "
                              "count(*) FILTER (date = DATE '2021-10-01') AS holiday FROM school_days"
                       ).iloc[0].tolist() == [1, 0]


# --------------------------------------------------------------------------- the county in one call

def test_townships_table_is_each_township_s_metrics_from_one_pass(small):
    table = explore.townships_table(small, AS_OF)
    assert table.index.tolist() == ["乙镇", "甲镇"]
    # 甲镇: P1 and P2 在读; P4 (born 2012) on the population ledger alone: 3 school-age, 1 suspected.
    # 乙镇: P3 在读, school-age (born 2015: 6 on 31 Aug 2021).
    assert table.loc["甲镇", ["enrolled", "school_age_population", "out_of_school_suspected"]].tolist() == [2, 3, 1]
    assert table.loc["乙镇", ["enrolled", "school_age_population", "out_of_school_suspected"]].tolist() == [1, 1, 0]
    assert table.loc["甲镇", "enrollment_rate"] == pytest.approx(2 / 3)
    assert "rows_read" not in table.columns and "escalation" not in table.columns  # no dict, no ingest totals
    for township in table.index:  # as each township's own report has them
        alone = explore.open_township(small, township, AS_OF).metrics
        own = {key: json_ready(alone[key]) for key in table.columns}
        assert table.loc[township].to_dict() == pytest.approx(
            {key: float("nan") if value is None else value for key, value in own.items()}, nan_ok=True)


def test_a_rate_within_1e_12_of_zero_is_written_as_zero():
    assert json_ready(-3.469446951953614e-17) == 0.0 and str(json_ready(-3.47e-17)) == "0.0"
    assert json_ready(1e-9) == 1e-9  # a small rate that is not zero stays


# --------------------------------------------------------------------------- lists for schools

def test_label_names_the_columns_in_chinese():
    frame = pd.DataFrame({"name": ["甲一"], "grade": [3], "streak": [4], "mine": [1]})
    assert explore.label(frame).columns.tolist() == ["姓名", "年级", "连续缺勤天数", "mine"]
    assert explore.label(frame, {"mine": "我的"}).columns.tolist()[-1] == "我的"


def test_to_excel_writes_chinese_headers_typed_cells_and_no_formula(small, tmp_path):
    a = explore.open_township(small, "甲镇", AS_OF)
    frame = explore.with_pupils(a.roster[["person_key"]], a)[["name", "school", "grade"]]
    frame = frame.assign(streak_start=pd.Timestamp("2021-10-12"), enrollment_rate=0.5)
    path = explore.to_excel({"名单": frame}, tmp_path / "名单.xlsx", masked=False)
    sheet = openpyxl.load_workbook(path)["名单"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(cells) if "姓名" in row)
    assert cells[header] == ["姓名", "学校", "年级", "连续缺勤起始日", "入学率"]
    first = cells[header + 1]
    assert first[:3] == ["甲一", "甲小学", 3]  # the grade a number, not text
    assert first[3] == dt.datetime(2021, 10, 12) and first[4] == 0.5
    formula_like = [row for row in cells[header + 1:] if row[0] == "=甲二"]
    assert formula_like and sheet.cell(header + 3, 1).data_type == "s"  # text, never a formula
    assert sheet.column_dimensions["B"].width >= len("甲小学") * 2
    masked = openpyxl.load_workbook(explore.to_excel(frame, tmp_path / "m.xlsx"))["名单"]
    names = [row[0].value for row in masked.iter_rows()]
    assert "甲一" not in names and "甲*" in names  # masked unless masked=False


# --------------------------------------------------------------------------- the Chinese font

DRAW = """
import warnings
import matplotlib
matplotlib.use("Agg")
import pandas as pd
{import_line}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ax = pd.Series({{"城厢镇": 3, "坡荷乡": 2}}).plot.bar(title="今日无故缺勤")
    ax.figure.canvas.draw()
print(sum("missing from font" in str(w.message) for w in caught))
"""


def test_importing_explore_draws_an_analyst_s_own_chart_in_chinese(tmp_path):
    def missing_glyph_warnings(import_line: str) -> int:
        done = subprocess.run([sys.executable, "-c", DRAW.format(import_line=import_line)], capture_output=True,
                              text=True, timeout=300, env={"MPLCONFIGDIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.strip().splitlines()[-1])

    assert missing_glyph_warnings("from kcbx import explore as kx") == 0
    # Without the import, matplotlib's DejaVu Sans has none of these 11 characters.
    assert missing_glyph_warnings("pass") > 0


# --------------------------------------------------------------------------- ingest: quiet, and who holds the store

def test_ingest_quiet_prints_one_line(county, capsys):
    assert cli.main(["ingest", "--params", str(county.path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [out.strip()]
    # 37 ledger files, and the two townships' 疑似失学核查回执 (核查).
    assert out.startswith("kcbx ingest: 39 个文件 files, 读取 read ") and out.strip().endswith(
        f"正常 ok: {county.store}")


@pytest.mark.parametrize("argv, words", [
    (["/srv/kcbx/.venv/bin/python", "-m", "ipykernel_launcher", "-f", "/root/.local/kernel-1.json"],
     "一个 Jupyter 内核（PID 42）"),
    (["duckdb", "build/demo.duckdb"], "DuckDB 命令行（PID 42）"),
    (["/usr/bin/python3.11", "fix.py", "--all"], "一个 Python 程序（PID 42：fix.py --all）"),
    (None, "进程 PID 42"),  # gone before it could be read
])
def test_a_process_is_named_as_a_person_would(argv, words):
    assert process_words(42, argv) == words


def test_a_jupyter_kernel_holding_the_store_is_named_by_the_ingest(county, capsys):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    outputs = []
    try:
        reply = client.execute_interactive(
            f"import duckdb, os; con = duckdb.connect({str(county.store)!r}); print(os.getpid())",
            timeout=120, output_hook=lambda message: outputs.append(message))
        assert reply["content"]["status"] == "ok"
        pid = next(int(m["content"]["text"]) for m in outputs if m["msg_type"] == "stream")
        assert cli.main(["ingest", "--params", str(county.path), "--quiet"]) == 5
        err = capsys.readouterr().err
        assert f"一个 Jupyter 内核（PID {pid}）以读写方式打开了库 {county.store}" in err
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

