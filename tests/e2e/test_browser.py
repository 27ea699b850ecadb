"""The reports as a person sees them: headless Chromium (Debian's), masking, injection.

Chromium is driven by Playwright with the system browser (no browser download).
"""

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import duckdb
import openpyxl
import pytest

from kcbx.report.html import SORT_SCRIPT
from support.county_run import AS_OF, INJECTED, kcbx

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def as_of_dir(root: Path) -> Path:
    return root / "outputs" / "示例县" / AS_OF


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser test: apt-get install chromium "
                    "(.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_page(browser, path: Path, screenshot: Path):
    """Load a file on a 375-px phone screen; return the page, its requests and console errors."""
    page = browser.new_page(viewport={"width": 375, "height": 812})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    page.screenshot(path=str(screenshot), full_page=True)
    return page, requests, errors


def percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"


def test_township_report_is_self_contained_and_shows_the_metrics(county_run, browser, tmp_path):
    root, townships = county_run
    folder = as_of_dir(root) / townships[0]
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    page, requests, errors = open_page(browser, folder / "report.html", tmp_path / "township.png")

    # Nothing but the page itself (and inline data: images) is requested.
    assert [url for url in requests if not url.startswith("data:")] == [(folder / "report.html").as_uri()]
    assert errors == []
    assert (tmp_path / "township.png").stat().st_size > 10_000
    # No sideways scrolling of the page on a phone: wide tables scroll in their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    def card(key):
        return page.locator(f'[data-metric="{key}"] .kcbx-value').inner_text().strip()

    assert card("enrollment_rate") == percent(metrics["enrollment_rate"])
    assert card("retention_rate") == percent(metrics["retention_rate"])
    assert card("cases_open") == str(metrics["cases_open"])
    assert card("absent_unexcused_today") == str(metrics["absent_unexcused_today"])
    text = page.inner_text("body")
    assert f"其中脱贫户 {metrics['cases_open_tuopin']} 件" in text
    assert page.evaluate("document.documentElement.lang") == "zh"
    # Provenance, folded away for the data clerk: every ledger file with its counts, run time.
    assert page.locator("footer details").get_attribute("open") is None
    footer = page.text_content("footer")
    assert "数据来源（供数据管理员）" in footer and "执行耗时" in footer
    assert "台账 劝返/注入测试.csv" in footer and "拒收" in footer
    page.close()


def test_index_links_every_report(county_run, browser, tmp_path):
    root, townships = county_run
    index = as_of_dir(root) / "index.html"
    page, requests, errors = open_page(browser, index, tmp_path / "index.png")
    assert [url for url in requests if not url.startswith("data:")] == [index.as_uri()]
    assert errors == []
    links = [unquote(link or "") for link in
             page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")]
    for name in [*townships, "county"]:
        assert any(link.startswith(f"{name}/") and link.endswith("report.html") for link in links), name
    page.close()


def identities(root: Path) -> tuple[set[str], set[str]]:
    """Every full name (3+ characters) and every ID / 学籍号 the ledgers hold."""
    with duckdb.connect(str(root / "build" / "demo.duckdb"), read_only=True) as con:
        names, keys = set(), set()
        for kind in ("roster", "population", "poverty", "disability", "cases"):
            for name, key, number in con.execute(
                    f"select name, id_number, student_no from {kind}").fetchall():
                if name and len(name) >= 3:
                    names.add(name)
                keys |= {k for k in (key, number) if k}
    return names, keys


def test_no_name_and_no_full_id_in_any_html(county_run):
    root, _ = county_run
    names, keys = identities(root)
    assert len(names) > 1000 and len(keys) > 1000
    pages = list(as_of_dir(root).rglob("*.html"))
    assert len(pages) >= 4
    # Any form: as stored, with a lower-case x, or any ID-shaped token at all (old
    # 15-digit IDs included), whatever the ledgers hold.
    lower = {k.lower() for k in keys}
    id_shaped = re.compile(r"(?<![0-9A-Za-z])(?:G?\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not [k for k in keys | lower if k in text], page
        assert not [n for n in names if n in text], page
        assert not id_shaped.findall(text), page
    # The 预警名单 lists pupils by name in every report: checked above like every other list.
    reports = [page.read_text(encoding="utf-8") for page in pages if page.name == "report.html"]
    assert len(reports) >= 3 and all("<h2>预警名单（辍学风险）</h2>" in text for text in reports)
    # No warning, traceback or log line reaches a leader's page, and no hash or path either.
    for text in reports:
        assert not [word for word in ("Warning", "Traceback", "Glyph") if word in text]
        words = re.sub(r'src="data:[^"]*"', "", text)  # the embedded charts' base64
        assert not re.findall(r"\b[0-9a-f]{16,}\b", words)
        assert str(root) not in words and "/tmp/" not in words


def test_ledger_text_stays_text_in_html_and_excel(county_run):
    root, townships = county_run
    folder = as_of_dir(root) / townships[0]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The only script on the page is kcbx's own table sorter, word for word.
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S) == [SORT_SCRIPT]

    workbook = openpyxl.load_workbook(folder / "forms.xlsx")
    found = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                if cell.value in INJECTED.values():
                    found[cell.value] = cell.data_type
    assert found == dict.fromkeys(INJECTED.values(), "s")


def ranking_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "table.kcbx-sortable tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))")


def test_county_ranking_sorts_by_a_click_on_its_headings(county_run, browser, tmp_path):
    root, townships = county_run
    folder = as_of_dir(root) / "county"
    page, requests, errors = open_page(browser, folder / "report.html", tmp_path / "county.png")
    assert [url for url in requests if not url.startswith("data:")] == [(folder / "report.html").as_uri()]
    assert errors == []  # a CSP refusal of the sorter would show here
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the phone again
    figures = {t: json.loads((as_of_dir(root) / t / "metrics.json").read_text(encoding="utf-8"))
               for t in townships}
    headings = page.eval_on_selector_all("table.kcbx-sortable thead th",
                                         "cells => cells.map(c => c.textContent.trim())")
    assert [h.rstrip("↕↑↓ ") for h in headings][:5] == ["乡镇", "在办案件", "脱贫户在办", "通知书逾期", "入学率"]

    def click_and_read(label, column_key, expect_descending):
        page.locator("table.kcbx-sortable thead button", has_text=label).click()
        rows = ranking_rows(page)
        assert sorted(r[0] for r in rows) == sorted(townships)
        expected = sorted(townships, key=lambda t: (figures[t][column_key] is None,
                                                    (-1 if expect_descending else 1) * (figures[t][column_key] or 0)))
        assert [r[0] for r in rows] == expected, (label, rows)
        state = page.locator("table.kcbx-sortable thead th", has_text=label).get_attribute("aria-sort")
        assert state == ("descending" if expect_descending else "ascending")

    # First click: the most urgent first (most poverty cases; lowest 入学率); second click reverses.
    click_and_read("脱贫户在办", "cases_open_tuopin", True)
    click_and_read("入学率", "enrollment_rate", False)
    click_and_read("入学率", "enrollment_rate", True)
    # Each row still shows its own township's figures after sorting.
    for row in ranking_rows(page):
        assert row[1] == str(figures[row[0]]["cases_open"]) and row[4] == percent(figures[row[0]]["enrollment_rate"])
    page.close()


LATER = "2021-10-22"


@pytest.fixture(scope="module")
def second_run(county_run, tmp_path_factory):
    """A copy of the demo county run again a week later, so its county report has a trend."""
    root, townships = county_run
    later_root = tmp_path_factory.mktemp("later") / "county"
    shutil.copytree(root, later_root)
    run = kcbx("run", "--params", str(later_root / "params" / "demo.yaml"), "--as-of", LATER,
               "--quiet", "--township", townships[0], cwd=later_root)
    assert run.returncode == 0, run.stdout + run.stderr
    return later_root


def test_county_report_shows_the_trend_across_runs(second_run, browser, tmp_path):
    county_dir = second_run / "outputs" / "示例县"
    earlier = json.loads((county_dir / AS_OF / "county" / "metrics.json").read_text(encoding="utf-8"))
    latest = json.loads((county_dir / LATER / "county" / "metrics.json").read_text(encoding="utf-8"))
    page, _, errors = open_page(browser, county_dir / LATER / "county" / "report.html", tmp_path / "trend.png")
    assert errors == []
    section = page.locator("section.kcbx-section", has_text="趋势（周通报、月调度）")
    weekly = section.locator("table").first
    rows = weekly.locator("tbody tr").all_inner_texts()
    # 15 and 22 October are in different ISO weeks: both are shown, each with its run's figures.
    assert [r.split("\t")[:2] for r in rows] == [[AS_OF, str(earlier["cases_open"])],
                                                 [LATER, str(latest["cases_open"])]]
    assert section.locator("img.kcbx-chart").count() == 1
    page.close()


FIRST_COLUMN_AFTER_SCROLL = """() => {
  const box = Array.from(document.querySelectorAll('.kcbx-table'))
    .find(b => b.scrollWidth > b.clientWidth + 40 && b.querySelector('tbody tr'));
  if (!box) { return null; }
  const row = box.querySelector('tbody tr');
  const before = [row.cells[0].getBoundingClientRect().left, row.cells[1].getBoundingClientRect().left];
  box.scrollLeft = 120;
  const after = [row.cells[0].getBoundingClientRect().left, row.cells[1].getBoundingClientRect().left];
  return {before, after};
}"""


@pytest.mark.parametrize("report", ["county", "first township"])
def test_a_phone_reads_the_page_down_never_sideways(county_run, browser, tmp_path, report):
    root, townships = county_run
    folder = as_of_dir(root) / ("county" if report == "county" else townships[0])
    page, _, errors = open_page(browser, folder / "report.html", tmp_path / "phone.png")
    assert errors == []
    # The page itself never scrolls sideways at 375 px: wide tables scroll inside their box.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
    # The contents lead to each section, and each section leads back up.
    page.click('nav.kcbx-contents a[href="#early_warning"]')
    assert page.evaluate("location.hash") == "#early_warning"
    assert page.evaluate("document.getElementById('early_warning').getBoundingClientRect().top") < 5
    page.click('#early_warning .kcbx-back a')
    assert page.evaluate("location.hash") == "#top"
    assert page.locator('header a[href="../index.html"]').count() == 1
    # In a table wider than the phone, the first column (the name) stays while the rest scrolls.
    moved = page.evaluate(FIRST_COLUMN_AFTER_SCROLL)
    assert moved is not None, "no table wider than the phone on this page"
    assert moved["after"][0] == pytest.approx(moved["before"][0], abs=1)
    assert moved["after"][1] < moved["before"][1] - 50
    # Charts fill the phone's width (their text is then 11 CSS px or more: test_charts), and a
    # page has at most four: only those no table beside them shows.
    widths = page.evaluate("Array.from(document.querySelectorAll('img.kcbx-chart')).map(i => i.getBoundingClientRect().width)")
    assert widths and min(widths) >= 340
    assert len(widths) <= 4
    page.close()
