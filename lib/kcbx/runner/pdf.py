"""``report.pdf``: each report.html of a run printed to A4 by Chromium, for leaders who print.

``kcbx run --pdf`` (or params ``pdf: true``). Printed in the run's staged folder, after every
notebook is done and before manifest.json, index.html and the rename that publishes the
folder: a killed run leaves no PDF anywhere a reader looks, and a published report.pdf is
always the print of the report.html beside it.

- One Chromium for the whole run, started only when a report needs printing; each
  report.html is loaded from its file and printed with its own ``@media print`` CSS
  (kcbx.css, kcbx_sections.css), A4, backgrounds on, page numbers at the foot.
- A report whose report.html is byte for byte the one published before (an unchanged,
  reused report; a failed one's kept report) keeps the PDF printed from it, when there is
  one (a hard link); any other is printed anew. A reused report without a PDF gets one.
- Each PDF is written under a temporary name and renamed (``util.files.replacing``).
- Chromium (Debian's ``chromium``; ``KCBX_CHROMIUM`` names another executable) and the
  Playwright package drive it; no browser is downloaded. Where either is missing, the run
  says so in one line and publishes its reports without PDFs.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kcbx.outputs import REPORT_FILE, REPORT_PDF_FILE
from kcbx.util.files import replacing
from kcbx.util.text import one_line

CHROMIUM_ENV = "KCBX_CHROMIUM"  # the Chromium executable to print with (default: found on PATH)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, no sandbox (root in a container), nothing asked of the network.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync")
PAGE_TIMEOUT_MS = 120_000  # one report: load and print (the county's longest takes about a second)
NO_CHROMIUM = "未生成 PDF：找不到 Chromium（apt-get install chromium，或以环境变量 KCBX_CHROMIUM 指定）"
NO_PLAYWRIGHT = "未生成 PDF：缺少 Playwright（pip install 'kcbx[pdf]'）"
# The foot of every page: "3 / 12". Chromium fills the spans; the template's own style is all it has.
FOOTER = ('<div style="width:100%;font-size:8px;color:#57606a;text-align:center;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


class PdfUnavailable(RuntimeError):
    """Chromium or Playwright is missing, or Chromium does not start: one line, in Chinese."""


def find_chromium() -> Path:
    """The Chromium to print with: ``$KCBX_CHROMIUM`` when set (and nothing else then), else
    the first of CHROMIUM_NAMES on PATH, else /usr/bin/chromium. PdfUnavailable if none is there."""
    named = os.environ.get(CHROMIUM_ENV)
    candidates = [named] if named else [*(shutil.which(name) for name in CHROMIUM_NAMES), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise PdfUnavailable(NO_CHROMIUM)


def _sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise PdfUnavailable(NO_PLAYWRIGHT) from None
    return sync_playwright


@dataclass
class PrintOutcome:
    """What the PDF step did for one run, folder by folder (folder names inside the run)."""

    printed: dict[str, float] = field(default_factory=dict)  # folder -> seconds (load and print)
    kept: list[str] = field(default_factory=list)  # the previous PDF of an identical report.html
    failed: dict[str, str] = field(default_factory=dict)  # folder -> why it has no PDF
    unavailable: str | None = None  # why nothing was printed (Chromium or Playwright missing)
    launch_seconds: float = 0.0  # Chromium's start, once a run
    seconds: float = 0.0  # the whole step

    @property
    def written(self) -> set[str]:
        """Folders that have a report.pdf now."""
        return {*self.printed, *self.kept}

    def lines(self) -> list[str]:
        """What a person is told: one line when nothing could be printed, one per report that failed."""
        if self.unavailable:
            return [self.unavailable]
        return [f"未生成 PDF：{folder}：{why}" for folder, why in self.failed.items()]


def _same_report(previous_html: Path, html: Path) -> bool:
    """The staged report.html is the published one (a hard link of it, or equal bytes)."""
    try:
        return os.path.samefile(previous_html, html) or filecmp.cmp(previous_html, html, shallow=False)
    except OSError:
        return False


def _keep_previous(previous_dir: Path | None, folder: Path) -> bool:
    """Link the published report.pdf into ``folder`` when it was printed from this very report.html."""
    if previous_dir is None:
        return False
    before = previous_dir / folder.name
    if not ((before / REPORT_PDF_FILE).is_file() and _same_report(before / REPORT_FILE, folder / REPORT_FILE)):
        return False
    with replacing(folder / REPORT_PDF_FILE) as temporary:
        try:
            os.link(before / REPORT_PDF_FILE, temporary)  # the previous folder goes on publish: a link is a copy
        except OSError:
            shutil.copy2(before / REPORT_PDF_FILE, temporary)
    return True


def print_page(browser, html: Path, pdf: Path) -> None:
    """Print one page (report.html, index.html) to ``pdf``: A4, its @media print CSS, backgrounds
    on, page numbers at the foot; written under a temporary name and renamed."""
    page = browser.new_page()
    try:
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        # The page's Content-Security-Policy lets it load nothing but inline styles and data: images.
        page.goto(html.as_uri(), wait_until="load")
        with replacing(pdf) as temporary:
            # The margins are those of the page's @page rule; the foot holds the page number.
            page.pdf(path=str(temporary), format="A4", print_background=True, prefer_css_page_size=True,
                     display_header_footer=True, header_template="<span></span>", footer_template=FOOTER)
    finally:
        page.close()


def print_reports(run_dir: Path, folders: Sequence[str], previous_dir: Path | None = None,
                  on_done: Callable[[str], None] | None = None) -> PrintOutcome:
    """Write ``report.pdf`` beside the report.html of each of ``folders`` (inside ``run_dir``).

    ``previous_dir``: the published run of the same as_of, whose PDF is kept for a report.html
    that is still the same. Chromium starts once, when the first report must be printed.
    Nothing raises for a missing browser: ``PrintOutcome.unavailable`` says why, and a report
    that cannot be printed is in ``failed`` (a Ctrl-C still stops the run).
    """
    outcome, started = PrintOutcome(), time.perf_counter()
    to_print = []
    for name in folders:
        folder = run_dir / name
        if not (folder / REPORT_FILE).is_file():
            continue
        if _keep_previous(previous_dir, folder):
            outcome.kept.append(name)
            if on_done:
                on_done(name)
        else:
            to_print.append(name)
    if to_print:
        try:
            _print_all(run_dir, to_print, outcome, on_done)
        except PdfUnavailable as exc:
            outcome.unavailable = str(exc)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _print_all(run_dir: Path, folders: Sequence[str], outcome: PrintOutcome,
               on_done: Callable[[str], None] | None) -> None:
    chromium = find_chromium()
    sync_playwright = _sync_playwright()
    from playwright.sync_api import Error as PlaywrightError

    launched = time.perf_counter()
    try:
        # Playwright's own errors out here are its start's or Chromium's launch (inside an
        # asyncio loop, as in JupyterLab, the sync API refuses to start); a page's are caught below.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS))
            outcome.launch_seconds = time.perf_counter() - launched
            try:
                for name in folders:
                    folder, began = run_dir / name, time.perf_counter()
                    try:
                        print_page(browser, folder / REPORT_FILE, folder / REPORT_PDF_FILE)
                    except PlaywrightError as exc:
                        outcome.failed[name] = _first_line(exc)
                    else:
                        outcome.printed[name] = time.perf_counter() - began
                    if on_done:
                        on_done(name)
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfUnavailable(f"未生成 PDF：Chromium（{chromium}）无法启动：{_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


_said: set[str] = set()


def say(line: str) -> None:
    """A line on stderr, once a process: a province's run with no Chromium says so once, not once a county."""
    if line not in _said:
        _said.add(line)
        print(one_line(line), file=sys.stderr, flush=True)
