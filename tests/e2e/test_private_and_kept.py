"""Issue 23 on the session's real county run: the modes of every published file, and a kept
report (a re-run whose notebook fails) that says it is old in every file a leader may forward."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat

import openpyxl
import pytest

from kcbx.runner.manifest import NotebookError, NotebookRecord, RunStatus
from kcbx.runner.private import PUBLIC_FILES
from kcbx.runner.reuse import PreviousRun
from support.county_run import AS_OF


def test_every_published_file_has_its_mode(county_run):
    root, townships = county_run
    run_dir = root / "outputs" / "示例县" / AS_OF
    assert stat.S_IMODE(os.stat(run_dir).st_mode) == 0o755
    seen = set()
    for path in run_dir.rglob("*"):
        found = stat.S_IMODE(os.lstat(path).st_mode)
        expected = 0o755 if path.is_dir() else 0o644 if path.name in PUBLIC_FILES else 0o600
        assert found == expected, (path, oct(found))
        seen.add(path.name)
    assert {"forms.xlsx", "适龄儿童台账.xlsx", "notebook.ipynb", "report.html", "metrics.json",
            "daily.png", "index.html", "manifest.json"} <= seen
    # No snapshot or slice is left beside the store, nor anything hidden under outputs/.
    runs = root / "build" / "demo.duckdb.runs"
    assert not runs.exists() or list(runs.iterdir()) == []
    assert not [p for p in run_dir.parent.iterdir() if p.name.startswith(".")]


@pytest.fixture
def kept(county_run, tmp_path):
    """A township's report kept by a failing re-run, in a staged folder of hard links."""
    root, townships = county_run
    published = tmp_path / AS_OF
    shutil.copytree(root / "outputs" / "示例县" / AS_OF, published)
    previous = PreviousRun.read(published)
    entry = previous.records[townships[0]]
    staged = tmp_path / "staged" / entry["dir"]
    staged.mkdir(parents=True)
    failed = NotebookRecord(
        name=townships[0], township=townships[0], dir=entry["dir"], status=RunStatus.FAILED, seconds=1.0,
        error=NotebookError(3, "write_outputs(analysis, output_dir)", "OSError",
                            f"[Errno 28] No space left on device: '{published}/x/forms.xlsx'\nmore"))
    record = previous.keep(failed, staged)
    return published / entry["dir"], staged, record, entry


def test_a_kept_report_says_it_is_old_everywhere(kept):
    before, staged, record, entry = kept
    assert record.status == RunStatus.KEPT
    made = dt.datetime.fromisoformat(entry["rendered_at"])
    line_start = f"本报告为上次结果（{made.month}月{made.day}日 {made:%H:%M} 生成）"
    page = (staged / "report.html").read_text(encoding="utf-8")
    banner = page[page.index('<div id="kcbx-banner"'):]
    banner = banner[:banner.index("</div>")]
    assert line_start in banner and "生成）：本次运行失败，原因：OSError: [Errno 28] No space left on device" in banner
    assert "/" not in banner.split("原因：", 1)[1] and "more" not in banner  # no path, one line
    assert page.index('<div id="kcbx-banner"') < page.index("</h1>")  # at the top, above the title
    metrics = json.loads((staged / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["kept_from"] == entry["rendered_at"]
    assert metrics["kept_reason"].startswith("OSError: [Errno 28] No space left on device")
    workbook = openpyxl.load_workbook(staged / "forms.xlsx")
    for sheet in workbook.worksheets:
        cell = sheet["A1"]
        assert cell.value.startswith(line_start), sheet.title
        assert cell.font.b and cell.font.color.rgb.endswith("C00000")
        assert sheet["A2"].value  # the sheet's own title, one row down
    assert not (staged / "daily.png").exists()
    # The previous run's files (hard links of the staged ones before) are untouched.
    assert '<div id="kcbx-banner"' not in (before / "report.html").read_text(encoding="utf-8")
    assert "kept_from" not in json.loads((before / "metrics.json").read_text(encoding="utf-8"))
    assert (before / "daily.png").exists()
