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

from conftest import AS_OF, INJECTED

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
    assert f"其中脱贫户 {metrics['cases_open_poverty']} 件" in text
    assert page.evaluate("document.documentElement.lang") == "zh"
    # Provenance footer: the params hash, every ledger file with its hash and counts, run time.
    footer = page.inner_text("footer")
    assert "参数 sha256" in footer and "执行耗时" in footer
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
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not [k for k in keys if k in text], page
        assert not [n for n in names if n in text], page


def test_ledger_text_stays_text_in_html_and_excel(county_run):
    root, townships = county_run
    folder = as_of_dir(root) / townships[0]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<script\b", html)

    workbook = openpyxl.load_workbook(folder / "forms.xlsx")
    found = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                if cell.value in INJECTED.values():
                    found[cell.value] = cell.data_type
    assert found == {value: "s" for value in INJECTED.values()}
