"""report.pdf: the demo county's reports printed by Debian's Chromium (`kcbx run --pdf`), and
the print CSS they are printed with.

The session's county run (tests/conftest.py) is copied, not run again: `kcbx run` on the
copy, with the same townships, reuses its unchanged reports (nothing is rendered) and only
prints. Text is read with pypdf where it is installed (the dev extra), else pdftotext.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from kcbx.outputs import REPORT_PDF_FILE
from kcbx.runner.pdf import CHROMIUM_ARGS, CHROMIUM_ENV, PdfUnavailable, find_chromium, print_reports
from support.county_run import AS_OF

pytestmark = pytest.mark.slow

A4_POINTS = (595.0, 842.0)  # 210 × 297 mm
PRINT_WIDTH_PX = 703  # A4 less kcbx.css's 12 mm margins, in CSS pixels (186 mm)


def as_of_dir(root: Path) -> Path:
    return root / "outputs" / "示例县" / AS_OF


def pdfs_under(root: Path) -> list[Path]:
    return sorted(as_of_dir(root).rglob(REPORT_PDF_FILE))


@pytest.fixture
def copy_of_run(county_run, tmp_path) -> tuple[Path, list[str]]:
    """The session's county run (store, ledgers, params, outputs), copied to be run again."""
    root, townships = county_run
    copy = tmp_path / "county"
    shutil.copytree(root, copy, symlinks=True)
    return copy, townships


def run(root: Path, townships: list[str], *extra: str, chromium: str | None = None) -> subprocess.CompletedProcess:
    """`kcbx run` of the same townships as the session's run (so its reports are reused)."""
    env = {key: value for key, value in os.environ.items() if key != CHROMIUM_ENV}
    if chromium:
        env[CHROMIUM_ENV] = chromium
    args = ["run", "--params", str(root / "params" / "demo.yaml"), "--as-of", AS_OF, "--quiet",
            *[arg for t in townships for arg in ("--township", t)], *extra]
    return subprocess.run([sys.executable, "-m", "kcbx.cli", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    """Each page's size in points."""
    try:
        from pypdf import PdfReader
    except ImportError:  # Chromium writes each page object and its MediaBox as plain text
        data = path.read_bytes()
        boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
        pages = len(re.findall(rb"/Type /Page\b(?!s)", data))
        return [tuple(map(float, boxes[0]))] * pages if boxes else []
    return [(float(page.mediabox.width), float(page.mediabox.height)) for page in PdfReader(path).pages]


def pdf_text(path: Path) -> str | None:
    """The PDF's text, NFKC (fonts map 示 to the Kangxi radical ⽰) without spaces; None when
    neither pypdf nor pdftotext is there."""
    try:
        from pypdf import PdfReader

        text = "".join(page.extract_text() for page in PdfReader(path).pages)
    except ImportError:
        if not shutil.which("pdftotext"):
            return None
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_without_pdf_no_report_pdf_is_written(county_run):
    root, _ = county_run
    assert (as_of_dir(root) / "county" / "report.html").is_file()
    assert pdfs_under(root) == []


def test_without_chromium_the_run_says_so_in_one_line_and_succeeds(copy_of_run):
    root, townships = copy_of_run
    done = run(root, townships, "--pdf", chromium="/nonexistent/chromium")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("未生成 PDF") and "Chromium" in lines[0], done.stderr
    assert "3 of 3 reports ok (3 reused)" in done.stdout
    assert pdfs_under(root) == []
    assert not [p for p in as_of_dir(root).parent.iterdir() if p.name.startswith(".")]


def test_a_chromium_that_does_not_start_is_one_line_too(county_run, tmp_path, monkeypatch):
    root, townships = county_run
    shutil.copytree(as_of_dir(root) / townships[0], tmp_path / townships[0])
    monkeypatch.setenv(CHROMIUM_ENV, "/bin/true")  # an executable, not a browser
    outcome = print_reports(tmp_path, [townships[0]])
    assert len(outcome.lines()) == 1 and outcome.lines()[0].startswith("未生成 PDF：Chromium（/bin/true）无法启动")
    assert not (tmp_path / townships[0] / REPORT_PDF_FILE).exists()


def test_run_pdf_prints_every_report_to_a4_and_keeps_it_while_the_report_is_unchanged(copy_of_run):
    try:
        find_chromium()
    except PdfUnavailable:
        pytest.fail("Debian's chromium is needed: apt-get install chromium (.ci/system-packages installs it)")
    root, townships = copy_of_run
    done = run(root, townships, "--pdf")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    folders = [*townships, "county"]
    assert pdfs_under(root) == sorted(as_of_dir(root) / name / REPORT_PDF_FILE for name in folders)
    for name in folders:
        pdf = as_of_dir(root) / name / REPORT_PDF_FILE
        assert pdf.read_bytes().startswith(b"%PDF-")
        pages = pdf_pages(pdf)
        assert len(pages) >= 2, name
        assert all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in pages), pages
        text = pdf_text(pdf)
        if text is not None:
            assert "示例县" in text and "控辍保学日报" in text
            assert (name if name != "county" else "全县") in text
            assert "回到目录" not in text and "数据来源" not in text  # hidden in print
    # Published whole: nothing half-written beside the run.
    assert not [p for p in as_of_dir(root).parent.iterdir() if p.name.startswith(".")]

    # Unchanged: the same PDF (a link of it), not printed again; even with no browser.
    before = {name: (as_of_dir(root) / name / REPORT_PDF_FILE).stat().st_ino for name in folders}
    again = run(root, townships, "--pdf", chromium="/nonexistent/chromium")
    assert again.returncode == 0 and again.stderr == ""
    assert {name: (as_of_dir(root) / name / REPORT_PDF_FILE).stat().st_ino for name in folders} == before

    # Without --pdf the run publishes no PDF.
    plain = run(root, townships)
    assert plain.returncode == 0, plain.stderr
    assert pdfs_under(root) == []


# --- the print CSS, as Chromium lays out the page for A4 --------------------------------------


@pytest.fixture(scope="module")
def print_page():
    """A page of the width A4 prints, laid out with the print CSS."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(find_chromium()), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        page.emulate_media(media="print")
        yield page
        browser.close()


# Lines of text in each cell of up to 6 characters with no space: one when the cell keeps it whole.
SHORT_CELLS_LINES = """() => [...document.querySelectorAll('td, th')].flatMap(cell => {
  const text = cell.innerText.trim();
  if (!text || text.length > 6 || /\\s/.test(text)) return [];
  const tops = new Set(), walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(walker.currentNode);
    for (const box of range.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top));
  }
  return [[text, tops.size]];
})"""


@pytest.mark.parametrize("report", ["county", "township"])
def test_printed_tables_fit_a4_and_short_cells_stay_on_one_line(county_run, print_page, report):
    root, townships = county_run
    html = as_of_dir(root) / (townships[0] if report == "township" else "county") / "report.html"
    print_page.goto(html.as_uri(), wait_until="load")
    widths = print_page.evaluate("() => [...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().width)")
    assert widths and max(widths) <= PRINT_WIDTH_PX + 0.5
    cells = print_page.evaluate(SHORT_CELLS_LINES)
    assert len(cells) > 50
    # Four characters or fewer never wrap (平孟镇, 九年级, 外出务工); headers of five or six may, once.
    assert [text for text, lines in cells if lines > 1 and len(text) <= 4] == []
    assert [text for text, lines in cells if lines > 2] == []
    # Header rows repeat on each page; rows are not split.
    assert print_page.evaluate("getComputedStyle(document.querySelector('thead')).display") == "table-header-group"
    assert print_page.evaluate("getComputedStyle(document.querySelector('tbody tr')).breakInside") == "avoid"


def test_printed_cards_never_leave_one_alone_on_a_row(county_run, print_page):
    root, _ = county_run
    print_page.goto((as_of_dir(root) / "county" / "report.html").as_uri(), wait_until="load")
    tops = print_page.evaluate("() => [...document.querySelectorAll('.kcbx-cards > .kcbx-card')]"
                               ".map(card => Math.round(card.getBoundingClientRect().top))")
    rows = [tops.count(top) for top in sorted(set(tops))]
    assert len(tops) >= 5 and min(rows) >= 2, rows
    right = print_page.evaluate("document.querySelector('.kcbx-cards').getBoundingClientRect().right")
    assert right < PRINT_WIDTH_PX  # the last card's border stays on the page


def test_sections_with_a_chart_start_a_page_and_clerk_details_are_not_printed(county_run, print_page):
    root, _ = county_run
    print_page.goto((as_of_dir(root) / "county" / "report.html").as_uri(), wait_until="load")
    sections = print_page.evaluate("""() => [...document.querySelectorAll('.kcbx-section')].map(s =>
        [s.id, s.querySelector('img') !== null, getComputedStyle(s).breakBefore])""")
    charted = [breaks for name, chart, breaks in sections if chart and name != "trends"]
    assert charted and set(charted) == {"page"}
    # The trends share the ranking's page (the 周通报), chart or not (the demo has no earlier run).
    assert {breaks for name, chart, breaks in sections if not chart or name == "trends"} == {"auto"}
    hidden = print_page.evaluate("""() => ['.kcbx-contents', '.kcbx-back', 'details.kcbx-clerk', '.kcbx-provenance']
        .map(selector => [...document.querySelectorAll(selector)].every(e => e.offsetParent === null))""")
    assert hidden == [True, True, True, True]
