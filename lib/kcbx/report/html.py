"""report.html: an executed notebook exported as one self-contained, offline, phone-readable page.

Leadership open the reports on phones, often on poor connections or offline, so the
page must not ask any other host for anything. nbconvert's stock lab/classic pages
link require.js, MathJax and mermaid from a CDN and write ``lang="en"`` (which makes
browsers draw Japanese glyph forms); ``templates/kcbx_report.html.j2`` keeps
JupyterLab's cell markup but writes its own ``<head>``: our CSS inline, a
Content-Security-Policy that blocks every remote request and every script but our
own table sorter (admitted by its sha256), a phone viewport, and a provenance footer.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from kcbx.report.assets import SORT_SCRIPT, SORT_SCRIPT_SHA256, TEMPLATES_DIR
from kcbx.util.files import write_text_atomic

REPORT_TEMPLATE = TEMPLATES_DIR / "kcbx_report.html.j2"
# nbconvert checks the code against ISO 639-1: "zh-CN" is silently replaced by "en".
LANGUAGE_CODE = "zh"


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter without its last step: HTMLExporter parses the whole page
    again with BeautifulSoup to give images without alt text a placeholder and outputs a
    tabindex. Every kcbx image has its alt (``show.figure_html``), and that parse of a page
    full of base64 charts took longer than the rest of the export."""

    def from_notebook_node(self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        # HTMLExporter.from_notebook_node up to its BeautifulSoup pass.
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@functools.cache
def _report_exporter() -> HTMLExporter:
    """One exporter per process: building one loads and compiles the Jinja templates, most of
    an export's time. A reused exporter writes the same bytes as a fresh one (tests/test_html.py)."""
    return ReportExporter(
        template_name="lab",  # the lab cell markup; our template file replaces its page shell
        template_file=str(REPORT_TEMPLATE),
        exclude_input=True,  # leadership read results, not code
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,  # markdown images become data: URIs too
        language_code=LANGUAGE_CODE,
    )


# A warning as Python writes it to stderr: "path:12: UserWarning: message".
_WARNING = re.compile(r"\b[A-Z]\w*Warning: ")


def drop_streams(notebook: nbformat.NotebookNode) -> int:
    """Remove every stream output (stdout and stderr: prints, logs, warnings) from the notebook's
    cells, in place: a leader's page holds results, never a warning or a log line (the executed
    notebook on disk keeps them for the analyst). Returns how many warnings stderr held."""
    warnings_seen = 0
    for cell in notebook.cells:
        if "outputs" not in cell:
            continue
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                warnings_seen += len(_WARNING.findall(output.get("text", "")))
        cell.outputs = [output for output in cell.outputs if output.get("output_type") != "stream"]
    return warnings_seen


def export_html(
    notebook_path: str | Path,
    html_path: str | Path,
    *,
    provenance: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> int:
    """Export an executed notebook to a self-contained ``report.html`` (written atomically);
    return the warnings its cells wrote to stderr, which the page leaves out (``drop_streams``).

    No code cell's input and no prompts; ``<html lang="zh">``; images embedded as
    base64; no request to any other host and no script but the table sorter; readable on a 375-px phone
    and printable. ``provenance`` (e.g. county, township, as_of, run time, params
    sha256) is rendered, escaped, as a footer in its own order; ``title`` defaults to
    the notebook's ``metadata.title``, else its file name.
    """
    notebook_path = Path(notebook_path)
    notebook = nbformat.read(notebook_path, as_version=4)
    page_title = title or notebook.metadata.get("title") or notebook_path.stem
    warnings_seen = drop_streams(notebook)
    resources = {
        # metadata.path lets embed_images find images a markdown cell links relatively.
        "metadata": {"name": page_title, "path": str(notebook_path.parent)},
        "kcbx": {
            "title": page_title,
            "script": SORT_SCRIPT,
            "script_sha256": SORT_SCRIPT_SHA256,
            "provenance": [(str(key), "" if value is None else str(value))
                           for key, value in (provenance or {}).items()],
        },
    }
    body, _ = _report_exporter().from_notebook_node(notebook, resources=resources)
    write_text_atomic(html_path, body)
    return warnings_seen


BANNER_ID = "kcbx-banner"
_BANNER = re.compile(rf'<div id="{BANNER_ID}"[^>]*>.*?</div>\n?', re.S)
_BODY = re.compile(r"<body\b[^>]*>\n?", re.I)


def add_banner(html_path: str | Path, text: str) -> None:
    """Put ``text`` (escaped) in a red banner at the very top of the page at html_path: a kept
    report's "本报告为上次结果（…生成）：本次运行失败，原因：…". A banner already there is
    replaced. The page is written anew (atomically): a hard link of it elsewhere is untouched."""
    page = Path(html_path).read_text(encoding="utf-8")
    page = _BANNER.sub("", page)
    banner = (f'<div id="{BANNER_ID}" role="alert" style="background:#c00000;color:#fff;'
              "font-weight:bold;font-size:1.05rem;line-height:1.6;padding:.75rem 1rem;"
              f'margin:0 0 1rem 0;overflow-wrap:anywhere">{html.escape(text)}</div>\n')
    body = _BODY.search(page)
    at = body.end() if body else 0
    write_text_atomic(html_path, page[:at] + banner + page[at:])
