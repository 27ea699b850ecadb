"""The screenshots in the README: what a leader sees on a phone.

    make report && .venv/bin/python docs/screenshots/take.py

Opens the demo county's report in Debian's Chromium at 375 × 812 CSS px (a phone, drawn
at 2× like one) and saves its first three screens, then copies the county's daily.png
(the 日报 card forwarded in WeChat groups) and index.html's first screen beside them.
Run by hand after a change to what the pages look like; the PNGs are committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "outputs" / "示例县" / "2021-10-15"
OUT = Path(__file__).resolve().parent
PHONE = {"width": 375, "height": 812}
SCREENS = 3
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> int:
    county = RUN / "county" / "report.html"
    if not county.is_file():
        print(f"{county} is missing: run `make report` first", file=sys.stderr)
        return 1
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=PHONE, device_scale_factor=2)
        page.goto(county.as_uri(), wait_until="load")
        for screen in range(SCREENS):
            page.evaluate(f"window.scrollTo(0, {screen * PHONE['height']})")
            page.screenshot(path=str(OUT / f"county-phone-{screen + 1}.png"))
        page.goto((RUN / "index.html").as_uri(), wait_until="load")
        page.screenshot(path=str(OUT / "index-phone.png"))
        browser.close()
    shutil.copyfile(RUN / "county" / "daily.png", OUT / "daily.png")
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
