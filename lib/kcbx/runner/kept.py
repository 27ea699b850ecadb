"""A kept report says it is old: the previous report of this as_of, kept because this run's
notebook failed (``reuse.PreviousRun.keep``), must not pass for a complete and current one.

In the kept folder (files copied from the previous run, never changed in place: they may be
hard links of the previous run's files, so each is written anew and renamed over its copy):

- report.html gets a red banner at its top: "本报告为上次结果（10月15日 16:02 生成）：本次运行失败，
  原因：…" (the reason in one line: the exception and its message, no traceback, no cell
  source, no path, ID numbers masked);
- metrics.json gains ``kept_from`` (the kept report's rendered_at) and ``kept_reason`` (the
  same one-line reason) - docs/contract.md, "Additions for issues 15–18";
- forms.xlsx gets the same line in a red bold row above every sheet's title, and so does each
  school's workbook in 学校/ (a school signs and sends its 附件1–3: an old one must say so);
- each document in 文书/ (限期复学通知书, 童工情况通报函: printed, stamped and delivered) gets it in
  red bold in the header of every page (``kcbx.report.notices.mark_documents``); one that cannot
  be read as a document is removed;
- daily.png is removed: a 日报 card is forwarded as it is, and an old one would look current
  (index.html then links no card for that report).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kcbx.outputs import (
    DAILY_CARD_FILE,
    FORMS_FILE,
    METRICS_FILE,
    NOTICES_DIR,
    REPORT_FILE,
    SCHOOL_FORMS_DIR,
    SCHOOL_FORMS_SUFFIX,
)
from kcbx.util.files import write_text_atomic

KEPT_LINE_START = "本报告为上次结果"
_MAX_REASON_CHARS = 160
# A file path in an exception's message: /a/b…, C:\a\b…, ~/a (two parts at least, so "1/2" stays).
_PATH = re.compile(r"(?:[A-Za-z]:|~)?(?:[\\/][^\s'\"\\/:,;()（）]+){2,}[\\/]?")


def kept_reason(error: Any) -> str:
    """This run's failure in one line for people: the exception's name and the first line of
    its message, without a path (a path becomes "…") and with ID numbers masked."""
    if error is None:
        return "原因不明"
    if not isinstance(error, Mapping):
        error = error.to_dict()
    message = next((line.strip() for line in str(error.get("message") or "").splitlines() if line.strip()), "")
    exception = str(error.get("exception") or "Error")
    text = f"{exception}: {message}" if message else exception
    text = _PATH.sub("…", text)
    from kcbx.report.privacy import mask_ids_in_text  # a leader's page: no full ID, even in a message

    text = mask_ids_in_text(text)
    return text if len(text) <= _MAX_REASON_CHARS else text[: _MAX_REASON_CHARS - 1] + "…"


def made_at(rendered_at: str | None) -> str:
    """"2021-10-15T16:02:09+08:00" -> "10月15日 16:02"."""
    try:
        moment = dt.datetime.fromisoformat(str(rendered_at))
    except (TypeError, ValueError):
        return "时间不明"
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def kept_line(rendered_at: str | None, reason: str) -> str:
    return f"{KEPT_LINE_START}（{made_at(rendered_at)} 生成）：本次运行失败，原因：{reason}"


def mark_kept(folder: Path, rendered_at: str | None, reason: str) -> None:
    """Mark the kept report in ``folder`` as old (see the module's docstring). A forms.xlsx that
    cannot be read as a workbook is removed rather than left looking current."""
    from kcbx.report.excel import write_line_above_every_sheet
    from kcbx.report.html import add_banner
    from kcbx.report.notices import mark_documents

    line = kept_line(rendered_at, reason)
    report = folder / REPORT_FILE
    if report.is_file():
        add_banner(report, line)
    metrics_path = folder / METRICS_FILE
    if metrics_path.is_file():
        try:
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        except ValueError:
            metrics = None
        if isinstance(metrics, dict):
            metrics.update({"kept_from": rendered_at, "kept_reason": reason})
            write_text_atomic(metrics_path, json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    schools = folder / SCHOOL_FORMS_DIR
    school_forms = sorted(schools.glob("*" + SCHOOL_FORMS_SUFFIX)) if schools.is_dir() else []
    for forms in [folder / FORMS_FILE, *school_forms]:
        if not forms.is_file():
            continue
        try:
            write_line_above_every_sheet(forms, line, replaces=KEPT_LINE_START)
        except Exception:  # not a workbook (openpyxl raises several kinds): no old file passes for new
            forms.unlink()
    mark_documents(folder / NOTICES_DIR, line, replaces=KEPT_LINE_START)
    (folder / DAILY_CARD_FILE).unlink(missing_ok=True)
