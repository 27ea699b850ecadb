"""The session's county run (conftest.county_run, not a run of its own) wrote daily.png, the
日报 card, for the county and every township it ran, and index.html links each one."""

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

from kcbx.outputs import DAILY_CARD_FILE, REPORT_PDF_FILE
from support.county_run import AS_OF

pytestmark = pytest.mark.slow


def test_the_run_writes_and_links_a_daily_card_for_the_county_and_every_township(county_run):
    root, townships = county_run
    folder = Path(root) / "outputs" / "示例县" / AS_OF
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    index = (folder / "index.html").read_text(encoding="utf-8")
    dirs = {entry["township"]: entry["dir"] for entry in manifest["townships"]}
    assert set(dirs) == {None, *townships}
    for name in dirs.values():
        card = folder / name / DAILY_CARD_FILE
        assert card.is_file(), f"{name}/{DAILY_CARD_FILE}"
        with Image.open(io.BytesIO(card.read_bytes())) as image:
            assert image.format == "PNG" and image.mode == "P" and image.width == 1080
        assert len(card.read_bytes()) < 200_000
        assert f'<a href="{quote(name)}/{DAILY_CARD_FILE}">日报图</a>' in index, name
        # report.pdf (kcbx run --pdf) is linked exactly when it was written.
        pdf_link = f'<a href="{quote(name)}/{REPORT_PDF_FILE}">PDF</a>'
        assert (pdf_link in index) == (folder / name / REPORT_PDF_FILE).is_file(), name
