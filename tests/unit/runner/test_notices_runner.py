"""A township's 文书/ through the runner: reused with its report, marked old in a kept report (and
never mixed with the failed run's documents), private when published, linked from no HTML."""

from __future__ import annotations

import grp
import os

import docx
import pytest

from kcbx.outputs import FORMS_FILE, METRICS_FILE, NOTEBOOK_FILE, NOTICES_DIR, REPORT_FILE, notice_file
from kcbx.report.notices import document_text
from kcbx.runner.index import render_index
from kcbx.runner.kept import KEPT_LINE_START, kept_line, mark_kept
from kcbx.runner.manifest import NotebookError, NotebookRecord, RunStatus
from kcbx.runner.private import mode_of, set_published_modes
from kcbx.runner.reuse import PreviousRun, reuse_folder
from kcbx.util.files import Access

NOTICES = (notice_file("限期复学通知书", 1, "城关中学"), notice_file("童工情况通报函", 1, "城关中学"))
RENDERED_AT = "2021-10-15T16:02:09+08:00"


def document(path, text: str) -> None:
    doc = docx.Document()
    doc.add_paragraph(text)
    doc.save(str(path))


def township_report(folder, text: str = "城关镇人民政府 限期复学通知书"):
    """A township's finished report folder: its four files and two documents in 文书/."""
    folder.mkdir(parents=True)
    for name in (NOTEBOOK_FILE, REPORT_FILE, METRICS_FILE, FORMS_FILE):
        (folder / name).write_text("{}", encoding="utf-8")
    (folder / NOTICES_DIR).mkdir()
    for name in NOTICES:
        document(folder / NOTICES_DIR / name, text)
    return folder


def test_a_reused_report_keeps_its_documents_and_nothing_hidden(tmp_path):
    previous = township_report(tmp_path / "before" / "城关镇")
    (previous / NOTICES_DIR / ".限期复学通知书-01-城关中学.docx.123.tmp").write_bytes(b"a killed writer's leftover")
    (previous / NOTICES_DIR / "link.docx").symlink_to(previous / NOTICES_DIR / NOTICES[0])
    target = tmp_path / "now" / "城关镇"
    assert reuse_folder(previous, target)
    assert sorted(p.name for p in (target / NOTICES_DIR).iterdir()) == sorted(NOTICES)
    for name in NOTICES:
        assert (target / NOTICES_DIR / name).read_bytes() == (previous / NOTICES_DIR / name).read_bytes()


def test_a_kept_report_says_on_every_page_of_every_document_that_it_is_old(tmp_path):
    folder = township_report(tmp_path / "城关镇")
    linked = tmp_path / "elsewhere.docx"
    os.link(folder / NOTICES_DIR / NOTICES[0], linked)  # the previous run's copy, a hard link
    (folder / NOTICES_DIR / "broken.docx").write_bytes(b"not a document")
    mark_kept(folder, RENDERED_AT, "KeyError: 'x'")
    line = "本报告为上次结果（10月15日 16:02 生成）：本次运行失败，原因：KeyError: 'x'"
    assert line == kept_line(RENDERED_AT, "KeyError: 'x'")
    for name in NOTICES:
        doc = docx.Document(str(folder / NOTICES_DIR / name))
        assert [p.text for p in doc.sections[0].header.paragraphs] == [line]
        assert doc.sections[0].header.paragraphs[0].runs[0].bold
        assert doc.paragraphs[0].text == "城关镇人民政府 限期复学通知书"  # the document itself unchanged
        assert mode_of(folder / NOTICES_DIR / name) == 0o600
    # Not a document: removed, not left looking current. The hard link keeps the old content.
    assert not (folder / NOTICES_DIR / "broken.docx").exists()
    assert KEPT_LINE_START not in document_text(linked)
    # A second failure rewrites the line: still one.
    mark_kept(folder, RENDERED_AT, "ValueError: y")
    header = docx.Document(str(folder / NOTICES_DIR / NOTICES[0])).sections[0].header.paragraphs
    assert [p.text for p in header] == [kept_line(RENDERED_AT, "ValueError: y")]


def test_a_kept_report_holds_the_previous_documents_only(tmp_path):
    as_of_dir = tmp_path / "2021-10-15"
    township_report(as_of_dir / "城关镇", text="上次的通知书")
    previous = PreviousRun(as_of_dir, "run", True, ("城关镇",), {"城关镇": {
        "name": "城关镇", "township": "城关镇", "dir": "城关镇", "status": "ok", "fingerprint": "f1",
        "rendered_at": RENDERED_AT}})
    # This run's notebook wrote its documents, then failed.
    staged = township_report(tmp_path / "staged" / "城关镇", text="本次失败运行的通知书")
    document(staged / NOTICES_DIR / notice_file("限期复学通知书", 2, "城关小学"), "本次失败运行的通知书")
    failed = NotebookRecord(name="城关镇", township="城关镇", dir="城关镇", status=RunStatus.FAILED, seconds=1.0,
                            error=NotebookError(cell_index=3, cell_first_line="a = open_township()",
                                                exception="KeyError", message="x"))
    kept = previous.keep(failed, staged)
    assert kept.status == RunStatus.KEPT
    assert sorted(p.name for p in (staged / NOTICES_DIR).iterdir()) == sorted(NOTICES)
    for name in NOTICES:
        text = document_text(staged / NOTICES_DIR / name)
        assert text.startswith(KEPT_LINE_START) and "上次的通知书" in text and "本次失败" not in text


@pytest.mark.parametrize("group", [None, grp.getgrgid(os.getgid()).gr_name])
def test_published_documents_are_readable_by_owner_and_group_only(tmp_path, group):
    run = tmp_path / "run"
    township_report(run / "城关镇")
    os.chmod(run / "城关镇" / NOTICES_DIR / NOTICES[0], 0o644)  # as a careless umask would
    access = Access() if group is None else Access(group, grp.getgrnam(group).gr_gid)
    set_published_modes(run, access)
    for name in NOTICES:
        assert mode_of(run / "城关镇" / NOTICES_DIR / name) == (0o600 if group is None else 0o640)


def test_the_index_links_no_document(tmp_path):
    township_report(tmp_path / "城关镇")
    entry = {"name": "城关镇", "township": "城关镇", "dir": "城关镇", "status": "ok", "seconds": 1.0, "error": None}
    manifest = {"county": "测试县", "as_of": "2021-10-15", "started_at": "2021-10-15T16:40:05+08:00",
                "finished_at": "2021-10-15T16:41:07+08:00", "seconds": 62.0, "kcbx_version": "0.1.0",
                "params_path": "params/test.yaml", "params_sha256": "ab" * 32, "engine": "papermill",
                "workers": 2, "ok": True, "townships": [entry]}
    page = render_index(manifest, tmp_path)
    assert "文书" not in page and ".docx" not in page and "%E6%96%87%E4%B9%A6" not in page
