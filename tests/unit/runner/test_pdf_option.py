"""report.pdf, asked for: `kcbx run --pdf`, params `pdf: true`, and what the PDF step does
without a browser (which PDF it keeps, what it says). No Chromium starts here: the printing
itself is tested on the demo county in tests/e2e/test_pdf.py."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

import kcbx.runner.cluster  # imported before a test patches run_county: it binds the real one
import kcbx.runner.pdf
import kcbx.runner.run
from kcbx.cli import build_parser, main
from kcbx.outputs import REPORT_FILE, REPORT_PDF_FILE
from kcbx.params import ParamsError, load_params
from kcbx.runner.manifest import Manifest
from kcbx.runner.pdf import (
    CHROMIUM_ENV,
    NO_CHROMIUM,
    NO_PLAYWRIGHT,
    PdfUnavailable,
    find_chromium,
    print_reports,
)

MINIMAL = """
county: 示例县
ledgers: ../ledgers/demo
store: ../build/demo.duckdb
term: {start: 2021-09-01, end: 2022-01-14}
"""


def params_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "params" / "c.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(MINIMAL + extra, encoding="utf-8")
    return path


# --- the option and the key ---------------------------------------------------------------


def test_run_takes_pdf_and_leaves_it_off_by_default():
    parser = build_parser()
    assert parser.parse_args(["run", "--params", "p.yaml", "--as-of", "today", "--pdf"]).pdf is True
    assert parser.parse_args(["run", "--params", "p.yaml", "--as-of", "today"]).pdf is False


def test_params_pdf_is_a_strict_bool_off_by_default(tmp_path):
    assert load_params(params_file(tmp_path)).pdf is False
    assert load_params(params_file(tmp_path, "pdf: true\n")).pdf is True
    assert load_params(params_file(tmp_path, "pdf:\n")).pdf is False  # written with no value: not given
    with pytest.raises(ParamsError, match="'pdf'"):
        load_params(params_file(tmp_path, 'pdf: "yes"\n'))


@pytest.fixture
def calls(tmp_path, monkeypatch):
    """cmd_run with run_county recorded instead of run (a store file is there, empty)."""
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "demo.duckdb").write_bytes(b"")
    for name in ("require_store", "require_intact_store"):  # whichever the command line calls
        monkeypatch.setattr(f"kcbx.cli.{name}", lambda *args: None, raising=False)
    made = []

    def fake_run_county(params, as_of, townships, **options):
        made.append(options)
        return Manifest(county=params.county, as_of=as_of, started_at="", finished_at="", seconds=0.0,
                        kcbx_version="", params_path=str(params.path), params_sha256="", engine="warm",
                        workers=1, townships=(), as_of_dir=tmp_path)

    monkeypatch.setattr(kcbx.runner.run, "run_county", fake_run_county)
    return made


def test_cli_passes_pdf_to_the_run_and_otherwise_leaves_it_to_the_params_file(tmp_path, calls):
    path = str(params_file(tmp_path))
    assert main(["run", "--params", path, "--as-of", "2021-10-15", "--quiet", "--pdf"]) == 0
    assert main(["run", "--params", path, "--as-of", "2021-10-15", "--quiet"]) == 0
    assert [options["pdf"] for options in calls] == [True, None]  # None: params pdf decides


def test_pdf_with_a_scheduler_is_refused(tmp_path, calls, capsys):
    path = str(params_file(tmp_path))
    assert main(["run", "--params", path, "--as-of", "2021-10-15", "--scheduler", "local", "--pdf"]) == 2
    assert "--pdf" in capsys.readouterr().err
    assert calls == []


def test_run_county_asks_for_pdfs_by_the_option_else_by_the_params_key(tmp_path, monkeypatch):
    """run_county's pdf=None reads params.pdf; True or False wins over it."""
    asked = []
    monkeypatch.setattr(kcbx.runner.run, "_print_pdfs", lambda run_dir, *args: asked.append(run_dir))
    monkeypatch.setattr(kcbx.runner.run, "_render_all", lambda *args, **options: ([], None))
    monkeypatch.setattr(kcbx.runner.run, "require_store", lambda *args: None)
    monkeypatch.setattr(kcbx.runner.run, "_stale_lines", lambda *args: ())  # the store is no DuckDB file here
    monkeypatch.setattr(kcbx.runner.run, "write_index", lambda *args: None)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "demo.duckdb").write_bytes(b"store")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("township.ipynb", "county.ipynb"):
        (notebooks / name).write_text("{}", encoding="utf-8")
    plain, with_key = load_params(params_file(tmp_path)), load_params(params_file(tmp_path, "pdf: true\n"))
    for params, pdf in [(plain, None), (with_key, None), (plain, True), (with_key, False)]:
        kcbx.runner.run.run_county(params, dt.date(2021, 10, 15), progress=False, notebooks_dir=notebooks,
                                   force=True, pdf=pdf)
    assert len(asked) == 2  # with_key and None; plain and True


# --- finding Chromium -----------------------------------------------------------------------


def test_kcbx_chromium_names_the_browser_and_nothing_else_then(tmp_path, monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENV, "/nonexistent/chromium")
    with pytest.raises(PdfUnavailable) as caught:
        find_chromium()
    assert str(caught.value) == NO_CHROMIUM
    assert "\n" not in NO_CHROMIUM and "chromium" in NO_CHROMIUM
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv(CHROMIUM_ENV, str(browser))
    assert find_chromium() == browser


def test_without_chromium_on_path_there_is_none(monkeypatch):
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)
    monkeypatch.setattr(kcbx.runner.pdf.shutil, "which", lambda name: None)
    monkeypatch.setattr(kcbx.runner.pdf.os.path, "isfile", lambda path: False)
    with pytest.raises(PdfUnavailable):
        find_chromium()


def test_without_playwright_nothing_is_printed_and_one_line_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(kcbx.runner.pdf, "find_chromium", lambda: Path("/usr/bin/chromium"))
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails as if not installed
    report(tmp_path / "甲镇", "<p>甲</p>")
    outcome = print_reports(tmp_path, ["甲镇"])
    assert outcome.lines() == [NO_PLAYWRIGHT] and "kcbx[pdf]" in NO_PLAYWRIGHT
    assert not (tmp_path / "甲镇" / REPORT_PDF_FILE).exists()


def test_a_missing_line_is_said_once_a_process(capsys, monkeypatch):
    monkeypatch.setattr(kcbx.runner.pdf, "_said", set())
    kcbx.runner.pdf.say(NO_CHROMIUM)
    kcbx.runner.pdf.say(NO_CHROMIUM)
    assert capsys.readouterr().err == NO_CHROMIUM + "\n"


# --- which PDF a staged run gets, with no browser ---------------------------------------------


def report(folder: Path, html: str, pdf: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / REPORT_FILE).write_text(html, encoding="utf-8")
    if pdf is not None:
        (folder / REPORT_PDF_FILE).write_bytes(pdf)
    return folder


def test_an_unchanged_report_keeps_its_pdf_and_a_changed_one_never_does(tmp_path, monkeypatch):
    """The staged run's 甲镇 is the published one's report.html (linked, as reuse links it):
    its PDF is linked too, with no browser started. 乙镇's report.html changed: its old PDF
    would be stale, so it is not carried over; with no Chromium it has none, and one line says why.
    丙镇 had no PDF yet: it needs printing too."""
    monkeypatch.setenv(CHROMIUM_ENV, "/nonexistent/chromium")
    published, staged = tmp_path / "2021-10-15", tmp_path / ".2021-10-15.partial-1"
    report(published / "甲镇", "<p>甲</p>", b"%PDF-a")
    report(published / "乙镇", "<p>乙 old</p>", b"%PDF-b old")
    report(published / "丙镇", "<p>丙</p>")
    (staged / "甲镇").mkdir(parents=True)
    os.link(published / "甲镇" / REPORT_FILE, staged / "甲镇" / REPORT_FILE)
    report(staged / "乙镇", "<p>乙 new</p>")
    report(staged / "丙镇", "<p>丙</p>")
    (staged / "丁镇").mkdir()  # a failed notebook with no report: nothing to print
    done = []

    outcome = print_reports(staged, ["甲镇", "乙镇", "丙镇", "丁镇"], published, on_done=done.append)

    assert (staged / "甲镇" / REPORT_PDF_FILE).read_bytes() == b"%PDF-a"
    assert not (staged / "乙镇" / REPORT_PDF_FILE).exists()
    assert not (staged / "丙镇" / REPORT_PDF_FILE).exists()
    assert outcome.kept == ["甲镇"] and outcome.written == {"甲镇"}
    assert outcome.unavailable == NO_CHROMIUM and outcome.lines() == [NO_CHROMIUM]
    assert done == ["甲镇"]
    assert not [path for path in staged.rglob("*") if path.name.startswith(".")]  # no temporary left


def test_equal_bytes_are_the_same_report_even_when_copied(tmp_path, monkeypatch):
    monkeypatch.setattr(kcbx.runner.pdf, "_print_all", lambda *args: pytest.fail("nothing to print"))
    published, staged = tmp_path / "published", tmp_path / "staged"
    report(published / "county", "<p>全县</p>", b"%PDF-county")
    report(staged / "county", "<p>全县</p>")
    outcome = print_reports(staged, ["county"], published)
    assert outcome.kept == ["county"] and (staged / "county" / REPORT_PDF_FILE).read_bytes() == b"%PDF-county"


def test_with_nothing_published_before_every_report_is_printed(tmp_path, monkeypatch):
    printed = []
    monkeypatch.setattr(kcbx.runner.pdf, "_print_all",
                        lambda run_dir, folders, outcome, on_done: printed.extend(folders))
    report(tmp_path / "run" / "甲镇", "<p>甲</p>")
    report(tmp_path / "run" / "county", "<p>全县</p>")
    print_reports(tmp_path / "run", ["甲镇", "county"], None)
    assert printed == ["甲镇", "county"]
