"""forms.xlsx printed by a real spreadsheet program: Debian's LibreOffice converts the demo
county's and a township's forms to PDF (`soffice --headless --convert-to pdf`), and
pdftotext reads each page back.

What must hold on paper: 附件2 prints one form a page, so its pages are as many as its
forms; no page holds only the right half of a sheet (every page shows its sheet's title
and first header, which repeat on every page and every printed part); and nothing prints
below 60 % (the words on a page are at least 0.6 times as tall as 10 pt text at 100 %).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import time
import unicodedata
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.cell import coordinate_to_tuple

from kcbx.report.excel import MIN_PRINT_SCALE
from support.county_run import AS_OF

pytestmark = pytest.mark.slow

FORM_SHEET = "附件2 辍学学生登记表"
INSTALL = "apt-get install libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito (make system-packages)"


def plain(text: str) -> str:
    """Text as compared here: NFKC (fonts map 示 to the Kangxi radical ⽰), without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def write_reference(path: Path) -> None:
    """One line of 10 pt text printed at 100 %, the height every page's words are measured by."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("参照")
    style = workbook.add_format({"font_size": 10})
    for row in range(20):
        sheet.write_string(row, 0, "示例县城厢镇中心小学 2021-10-15 张三", style)
    workbook.close()


def convert(sources: list[Path], out: Path) -> float:
    """Convert the workbooks to PDF in out with one LibreOffice; return the seconds it took.

    A private profile (-env:UserInstallation) per call: two runs at once would share and lock
    the user's one."""
    soffice = shutil.which("soffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.fail(f"LibreOffice and pdftotext are needed for the print test: {INSTALL}")
    started = time.perf_counter()
    done = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{out / 'profile'}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, sources)],
        capture_output=True, text=True, timeout=600,
    )
    seconds = time.perf_counter() - started
    missing = [source.stem for source in sources if not (out / f"{source.stem}.pdf").exists()]
    assert done.returncode == 0 and not missing, done.stdout + done.stderr
    return seconds


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, laid out (pdftotext -layout), one string a page."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]  # every page ends with a form feed


def word_heights(pdf: Path) -> list[float]:
    """The median height of the words of each page, in points (pdftotext -bbox)."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    return [statistics.median(float(y_max) - float(y_min) for y_min, y_max in
                              re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', page))
            for page in boxes.split("<page ")[1:]]


def sheets_on_paper(workbook: Path) -> tuple[list[tuple[str, str]], int]:
    """(title, first header) of each table sheet, and the number of 附件2 forms."""
    book = openpyxl.load_workbook(workbook)
    tables, forms = [], 0
    for sheet in book.worksheets:
        title = sheet["A1"].value
        if sheet.title == FORM_SHEET:  # each form begins with the sheet's title
            forms = sum(1 for (value,) in sheet.iter_rows(min_col=1, max_col=1, values_only=True)
                        if value == title)
            continue
        # Data begin where the panes are frozen; a header merged down both header rows keeps
        # its text in the upper one.
        first_data_row, _ = coordinate_to_tuple(sheet.freeze_panes)
        header = sheet.cell(first_data_row - 1, 1).value or sheet.cell(first_data_row - 2, 1).value
        tables.append((title, header))
    return tables, forms


@pytest.fixture(scope="module")
def printed(county_run, tmp_path_factory):
    """The session run's county and first township forms, and a 10 pt reference, as PDF."""
    root, townships = county_run
    out = tmp_path_factory.mktemp("printed")
    forms = root / "outputs" / "示例县" / AS_OF
    sources = {"county": forms / "county" / "forms.xlsx", "township": forms / townships[0] / "forms.xlsx"}
    for name, source in sources.items():
        shutil.copyfile(source, out / f"{name}.xlsx")
    write_reference(out / "reference.xlsx")
    seconds = convert([out / f"{name}.xlsx" for name in (*sources, "reference")], out)
    print(f"LibreOffice converted the county's and {townships[0]}'s forms in {seconds:.1f} s")
    return out


@pytest.mark.parametrize("name", ["county", "township"])
def test_every_printed_page_is_a_whole_form_or_a_titled_table_page(printed, name):
    tables, forms = sheets_on_paper(printed / f"{name}.xlsx")
    pages = [plain(text) for text in page_texts(printed / f"{name}.pdf")]
    form_title = plain(FORM_SHEET.split()[0])
    form_pages = [page for page in pages if page.startswith(form_title) and "登记表" in page[:40]]
    # One 附件2 page a form, each whole: 姓名 and 性别 (both halves of its first line) and the
    # sign-off's 填报日期 at its right end.
    assert forms > 1
    assert len(form_pages) == forms
    assert all("姓名" in page and "性别" in page and "填报日期" in page for page in form_pages)
    # Every other page starts with its sheet's title (and shows the sheet's first header), the
    # title and header repeated on every page and every printed part: no page is a right half.
    others = [page for page in pages if page not in form_pages]
    titles = [(plain(title), plain(header)) for title, header in tables]
    orphans = [page[:60] for page in others
               if not any(page.startswith(title) and header in page for title, header in titles)]
    assert orphans == []
    assert len(others) >= len(tables)  # every table sheet printed


@pytest.mark.parametrize("name", ["county", "township"])
def test_nothing_prints_below_sixty_percent(printed, name):
    # 10 pt text at 100 % is the reference; a page's words (mostly 10 pt table text) at scale s
    # are s times as tall.
    reference = word_heights(printed / "reference.pdf")[0]
    heights = word_heights(printed / f"{name}.pdf")
    smallest = min(heights) / reference
    assert smallest >= MIN_PRINT_SCALE / 100 - 0.02, [round(h / reference, 2) for h in heights]
