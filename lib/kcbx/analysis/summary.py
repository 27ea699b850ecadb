"""How an ``Analysis`` shows itself when typed in Jupyter or a console: a short summary.

The key figures, then each table with its row count and what a row is (``kcbx.analysis.fields``).
No row of any table: names and ID numbers stay out of the summary altogether (the tables
themselves are a keystroke away, ``a.streaks``).
"""

from __future__ import annotations

import dataclasses
import html
from typing import TYPE_CHECKING

import pandas as pd

from kcbx.analysis.fields import summary_of

if TYPE_CHECKING:
    from kcbx.analysis.model import Analysis

# metrics.json keys shown first, in this order, with their Chinese names.
KEY_FIGURES = {
    "enrolled": "在读",
    "school_age_population": "适龄儿童",
    "out_of_school_suspected": "疑似失学",
    "enrollment_rate": "入学率",
    "duplicate_enrollments": "重复学籍",
    "absent_unexcused_today": "今日无故缺勤",
    "escalation": "连续无故缺勤",
    "cases_open": "在办辍学案件",
    "cases_total": "案件",
    "notices_overdue": "通知书逾期",
}
HINT = ("help(a) describes every table; kcbx.explore.describe(a, 'streaks') one; "
        "kcbx.explore.with_pupils(a.streaks, a) adds name, school, grade, township")


def _figure(key: str, value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if isinstance(value, dict):  # escalation: {"1": 9, "3": 4, "5": 2}
        return " · ".join(f"≥{threshold}天 {count}" for threshold, count in value.items())
    return str(value)


def key_figures(a: Analysis) -> list[tuple[str, str, str]]:
    """(key, Chinese name, value as text) of the figures a summary shows."""
    return [(key, label, _figure(key, a.metrics.get(key))) for key, label in KEY_FIGURES.items()
            if key in a.metrics]


def tables(a: Analysis) -> list[tuple[str, int, str]]:
    """(field, rows, what a row is) for each table of the analysis, in field order."""
    rows = []
    for item in dataclasses.fields(a):
        value = getattr(a, item.name)
        if isinstance(value, pd.DataFrame):
            rows.append((item.name, len(value), summary_of(item.name)))
        elif item.name == "transition" and value is None:
            rows.append((item.name, 0, "None: the roster has no row of last year"))
    return rows


def _title(a: Analysis) -> str:
    overrides = f" · what-if {a.params.overrides}" if getattr(a.params, "overrides", None) else ""
    return f"Analysis {a.title} · as_of {a.as_of.isoformat()}{overrides}"


def _shortened(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip(" ,:;") + "…"


def summary_text(a: Analysis) -> str:
    """The plain-text summary (``repr(a)``)."""
    listed = tables(a)
    width = max(len(name) for name, _, _ in listed)
    lines = [_title(a),
             "  " + "；".join(f"{label} {value}" for _, label, value in key_figures(a)),
             "tables (rows):"]
    lines += [f"  {name.ljust(width)} {rows:>6}  {_shortened(what)}" for name, rows, what in listed]
    lines.append(HINT)
    return "\n".join(lines)


def summary_html(a: Analysis) -> str:
    """The summary as HTML (Jupyter's display of ``a``), styled inline."""
    e = html.escape
    cell = 'style="text-align:left; padding:0.1rem 0.5rem; border:0; border-bottom:1px solid #d0d7de"'
    figures = "".join(f"<tr><th {cell}>{e(label)}</th><td {cell}>{e(value)}</td></tr>"
                      for _, label, value in key_figures(a))
    listed = tables(a)
    rows = "".join(f"<tr><td {cell}><code>{e(name)}</code></td><td {cell} align='right'>{count}</td>"
                   f"<td {cell}>{e(what)}</td></tr>" for name, count, what in listed)
    return (f'<div class="kcbx-summary"><p><strong>{e(_title(a))}</strong></p>'
            f"<table>{figures}</table>"
            f"<details><summary>{len(listed)} tables (rows)</summary><table>{rows}</table></details>"
            f"<p style='font-size:0.85em; color:#57606a'>{e(HINT)}</p></div>")
