"""index.html of one run: every township's report (county roll-up first), or why it failed.

The page is rendered from the manifest in its JSON form (``manifest.json``), so it can
be rebuilt from a finished run folder alone; it shares report.html's head (inline CSS,
no script, no remote request) and is readable on a phone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from kcbx.outputs import (
    DAILY_CARD_FILE,
    INDEX_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    REPORT_PDF_FILE,
    SCHOOL_AGE_LEDGER_FILE,
    SCHOOL_FORMS_DIR,
    SCHOOL_FORMS_SUFFIX,
)
from kcbx.report.assets import (  # the page shares report.html's head, without nbconvert
    SORT_SCRIPT,
    SORT_SCRIPT_SHA256,
    TEMPLATES_DIR,
)
from kcbx.runner.manifest import PUBLISHED, SUCCEEDED, Manifest, RunStatus, describe_error
from kcbx.runner.reuse import FAILED_BEFORE, FIRST, FORCED, UNRECORDED
from kcbx.schema import KIND_LABELS
from kcbx.util.files import write_text_atomic

COUNTY_LABEL = "全县汇总"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # township names and error messages come from ledgers and notebooks
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def readable_time(iso: str) -> str:
    """"2021-10-15T17:02:09+08:00" -> "2021-10-15 17:02" for people; manifest.json keeps ISO."""
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(iso)


# Why a report was rendered, in words (runner.reuse.why_rendered); a ledger kind is said by its label.
_BECAUSE = {FIRST: "首次生成", FORCED: "按要求重新生成（--force）", FAILED_BEFORE: "上次失败",
            UNRECORDED: "上次运行未记录输入", "program": "程序更新", "notebook": "报告模板更新",
            "params": "参数或校历有变化", "store": "台账有变化", "ingest": "导入记录有变化",
            "ranking": "乡镇排名有变化", "history": "往期结果有变化"}


def rendered_because_words(because: Sequence[str] | None) -> str:
    """"重新生成：缺勤台账有变化", "重新生成：程序更新", "首次生成", "按要求重新生成（--force）":
    why a report was rendered now."""
    if not because:
        return ""
    if list(because) in ([FIRST], [FORCED]):
        return _BECAUSE[because[0]]
    words = [_BECAUSE.get(code) or (f"{KIND_LABELS[code]}台账有变化" if code in KIND_LABELS else code)
             for code in because]
    return "重新生成：" + "、".join(words)


# The county on one screen: each report's figures that call for action today, from its
# metrics.json (docs/metrics.md), and whether a non-zero one is marked as needing action.
COCKPIT = (
    ("cases_open", "在办案件", False),
    ("absent_unexcused_today", "今日无故缺勤", False),
    ("notices_missing", "达最高一级未立案", True),
    ("out_of_school_suspected", "疑似失学", False),
    ("early_warning.high", "预警（高）", True),
    ("notices_overdue", "通知书逾期", True),
)


def _figure(metrics: Mapping[str, Any], key: str) -> Any:
    value: Any = metrics
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _report_folder(as_of_dir: Path | None, entry: Mapping[str, Any]) -> Path | None:
    """A published report's folder in ``as_of_dir``; None when there is none to read. A bare
    folder name only: a hand-edited manifest must not lead outside the run."""
    folder = str(entry.get("dir", ""))
    if as_of_dir is not None and entry["status"] in PUBLISHED and folder and Path(folder).name == folder:
        return as_of_dir / folder
    return None


def cockpit_figures(as_of_dir: Path | None, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One report's COCKPIT figures (text "—" where there is no report or no such figure)."""
    metrics = None
    folder = _report_folder(as_of_dir, entry)
    if folder is not None:
        try:
            metrics = json.loads((folder / METRICS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            metrics = None
    figures = []
    for key, _label, act in COCKPIT:
        value = _figure(metrics, key) if isinstance(metrics, Mapping) else None
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        figures.append({"text": "—" if number is None else f"{number:g}", "act": bool(act and number)})
    return figures


def file_href(as_of_dir: Path | None, entry: Mapping[str, Any], name: str) -> str:
    """The link to a published report's file ``name`` when its folder holds it, else "": the
    日报 card (daily.png) and report.pdf (kcbx run --pdf) are linked only where they are."""
    folder = _report_folder(as_of_dir, entry)
    if folder is None or not (folder / name).is_file():
        return ""
    return f'{quote(str(entry["dir"]))}/{quote(name)}'


def school_forms_count(as_of_dir: Path | None, entry: Mapping[str, Any]) -> int:
    """How many per-school workbooks a published township report holds in 学校/ (0: none)."""
    folder = _report_folder(as_of_dir, entry)
    schools = None if folder is None else folder / SCHOOL_FORMS_DIR
    if schools is None or not schools.is_dir():
        return 0
    return sum(1 for path in schools.iterdir()
               if path.name.endswith(SCHOOL_FORMS_SUFFIX) and not path.name.startswith("."))


def _school_forms_link(as_of_dir: Path | None, entry: Mapping[str, Any]) -> dict[str, Any]:
    schools = school_forms_count(as_of_dir, entry)
    href = f'{quote(str(entry["dir"]))}/{quote(SCHOOL_FORMS_DIR)}/' if schools else ""
    return {"schools_href": href, "schools": schools}


def _rows(notebooks: list[Mapping[str, Any]], as_of_dir: Path | None = None) -> list[dict[str, Any]]:
    # The county roll-up first (township null), then townships in run order.
    ordered = sorted(notebooks, key=lambda entry: entry.get("township") is not None)
    return [
        {
            "label": COUNTY_LABEL if entry.get("township") is None else entry["name"],
            "ok": entry["status"] in SUCCEEDED,
            "reused": entry["status"] == RunStatus.REUSED,
            "kept": entry["status"] == RunStatus.KEPT,
            "fingerprint": (entry.get("fingerprint") or "")[:12],
            "rendered_at": readable_time(entry.get("rendered_at") or ""),
            "warnings": entry.get("warnings") or 0,
            "figures": cockpit_figures(as_of_dir, entry),
            "because": (rendered_because_words(entry.get("rendered_because"))
                        if entry["status"] == RunStatus.OK else ""),
            # Folder names keep Chinese; percent-encoding makes every href a valid relative URL.
            "href": quote(entry["dir"]),
            # The county's whole 适龄儿童台账, in its own workbook beside forms.xlsx.
            "ledger_href": (f'{quote(entry["dir"])}/{quote(SCHOOL_AGE_LEDGER_FILE)}'
                            if entry.get("township") is None else ""),
            # Beside 报告, where the folder holds them: the 日报 card and the printable report.
            "daily_href": file_href(as_of_dir, entry, DAILY_CARD_FILE),
            "pdf_href": file_href(as_of_dir, entry, REPORT_PDF_FILE),
            # A township's folder of per-school forms (附件1–3 of each school), where there is one.
            **_school_forms_link(as_of_dir, entry),
            "error": describe_error(entry.get("error") or {}) if entry["status"] not in SUCCEEDED else "",
        }
        for entry in ordered
    ]


def render_index(manifest: Mapping[str, Any], as_of_dir: Path | None = None) -> str:
    """The index page's HTML for a manifest in its JSON form (see ``kcbx.runner.manifest.Manifest.to_dict``);
    each report's figures are read from its metrics.json in ``as_of_dir`` (none: shown as "—")."""
    notebooks = list(manifest["townships"])
    ok = sum(entry["status"] in SUCCEEDED for entry in notebooks)
    return _environment.get_template("run_index.html.j2").render(
        county=manifest["county"],
        as_of=manifest["as_of"],
        started_at=readable_time(manifest["started_at"]),
        finished_at=readable_time(manifest["finished_at"]),
        seconds=f'{manifest["seconds"]:.0f}',
        kcbx_version=manifest["kcbx_version"],
        params_path=manifest["params_path"],
        params_sha256=manifest["params_sha256"],
        engine=manifest["engine"],
        workers=manifest["workers"],
        ok=ok,
        reused=sum(entry["status"] == RunStatus.REUSED for entry in notebooks),
        kept=sum(entry["status"] == RunStatus.KEPT for entry in notebooks),
        scheduler=manifest.get("scheduler") or "local",
        store_sha256=(manifest.get("store_sha256") or "")[:16],
        failed=len(notebooks) - ok,
        rows=_rows(notebooks, None if as_of_dir is None else Path(as_of_dir)),
        cockpit=[label for _key, label, _act in COCKPIT],
        script=SORT_SCRIPT,
        script_sha256=SORT_SCRIPT_SHA256,
        ledger_file=SCHOOL_AGE_LEDGER_FILE,
    )


def write_index(as_of_dir: str | Path,
                manifest: Manifest | Mapping[str, Any] | None = None) -> Path:
    """Write ``<as_of_dir>/index.html`` (atomically) and return its path.

    ``manifest`` is a ``kcbx.runner.manifest.Manifest`` or its JSON form; None reads the folder's
    ``manifest.json`` (to rebuild the page of a finished run).
    """
    as_of_dir = Path(as_of_dir)
    if manifest is None:
        manifest = json.loads((as_of_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    elif not isinstance(manifest, Mapping):
        manifest = manifest.to_dict()
    path = as_of_dir / INDEX_FILE
    write_text_atomic(path, render_index(manifest, as_of_dir))
    return path
