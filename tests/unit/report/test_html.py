"""report.html and index.html: self-contained, Chinese, no code, escaped, phone-readable.

The notebook here is built with its outputs already in place (as a kernel would have
left them), so these tests need no kernel and run in well under a second.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import matplotlib
import nbformat
import pandas as pd
import pytest

from kcbx.report.html import SORT_SCRIPT, SORT_SCRIPT_SHA256, _report_exporter, export_html
from kcbx.runner.index import render_index, write_index

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LEDGER_TEXT = "<script>alert(1)</script>"  # a 姓名 cell as a hostile ledger might hold it


def png_base64() -> str:
    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([1, 2, 3])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


# What a cell's stderr may hold: two warnings (one over two lines) and a log line.
STDERR = ("/srv/kcbx/lib/x.py:3: UserWarning: Glyph 20065 missing from font(s) DejaVu Sans.\n"
          "  figure.canvas.draw()\n"
          "/srv/kcbx/lib/y.py:9: FutureWarning: a default will change\n"
          "INFO kcbx: 7 files read\n")


def executed_notebook() -> nbformat.NotebookNode:
    table = pd.DataFrame({"姓名": [LEDGER_TEXT, "张*明"], "缺勤天数": [5, 3]})
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell("# 甲镇 控辍保学日报"),
        v4.new_code_cell("SECRET_CODE_MARKER = 1\ntable", execution_count=1, outputs=[
            v4.new_output("execute_result", data={"text/html": table._repr_html_(),
                                                  "text/plain": repr(table)}, execution_count=1)]),
        v4.new_code_cell("print('打印输出')", execution_count=2, outputs=[
            v4.new_output("stream", name="stdout", text="打印输出\n"),
            v4.new_output("stream", name="stderr", text=STDERR)]),
        v4.new_code_cell("chart", execution_count=3, outputs=[
            v4.new_output("display_data",
                          data={"image/png": png_base64(), "text/plain": "<Figure>"})]),
        v4.new_code_cell("Javascript('alert(3)')", execution_count=4, outputs=[
            v4.new_output("display_data", data={"application/javascript": "alert(3)"})]),
    ]
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("report")
    nbformat.write(executed_notebook(), folder / "notebook.ipynb")
    export_html(folder / "notebook.ipynb", folder / "report.html", title="甲镇 报告",
                provenance={"县": "示例县", "参数文件": "<b>demo.yaml</b>"})
    return (folder / "report.html").read_text(encoding="utf-8")


def test_report_asks_no_other_host(report):
    assert not re.search(r"https?:|//cdn|@import", report, re.IGNORECASE)
    # No require.js, MathJax, mermaid, nor the JS output: the one script is kcbx's table sorter …
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", report, re.S | re.IGNORECASE)
    assert scripts == [SORT_SCRIPT] and report.lower().count("<script") == 1
    assert "alert(3)" not in report
    sources = re.findall(r'src="([^"]*)"', report)
    assert sources and all(source.startswith("data:") for source in sources)
    # … and the browser is told so: inline styles, data: images, and only the script whose
    # sha256 is that of the text on the page.
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    assert (f"default-src 'none'; script-src 'sha256-{digest}'; img-src data:; "
            "style-src 'unsafe-inline'") in report


def test_report_is_chinese_with_a_phone_viewport_and_print_css(report):
    assert '<html lang="zh">' in report
    # (nbconvert re-serialises the page with BeautifulSoup: attribute order may change)
    metas = re.findall(r"<meta [^>]*>", report)
    assert any('name="viewport"' in meta and "width=device-width" in meta for meta in metas)
    assert "overflow-x: auto" in report  # wide tables scroll in their own box
    assert "img, svg, video { max-width: 100%; height: auto; }" in report
    assert "@media print" in report


def test_report_shows_outputs_not_code_nor_prompts(report):
    assert "SECRET_CODE_MARKER" not in report
    assert "print(" not in report
    assert "In&nbsp;[" not in report and "Out[" not in report
    assert "打印输出" not in report  # stream output is for the notebook, never the leader's page
    assert "Warning" not in report and "Glyph" not in report and "/srv/kcbx" not in report
    assert "<h1>甲镇 控辍保学日报</h1>" in report
    assert 'src="data:image/png;base64,' in report


def test_ledger_text_shows_as_text(report):
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in report
    assert LEDGER_TEXT not in report


def test_title_and_provenance_footer_are_escaped(report):
    assert "<title>甲镇 报告</title>" in report
    assert "<dt>县</dt><dd>示例县</dd>" in report
    assert "<dt>参数文件</dt><dd>&lt;b&gt;demo.yaml&lt;/b&gt;</dd>" in report


def test_export_replaces_the_old_page_whole(tmp_path):
    nbformat.write(executed_notebook(), tmp_path / "notebook.ipynb")
    (tmp_path / "report.html").write_text("old page", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        export_html(tmp_path / "missing.ipynb", tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "old page"
    export_html(tmp_path / "notebook.ipynb", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>notebook</title>" in page  # no title given: the notebook's file name
    assert sorted(os.listdir(tmp_path)) == ["notebook.ipynb", "report.html"]  # no temp file left


def test_a_reused_exporter_writes_what_a_fresh_one_writes(tmp_path):
    # A worker keeps one exporter for every notebook it exports: nothing of one export may
    # leak into the next (lexer, title, provenance, the folder markdown images are read from).
    other = executed_notebook()
    other.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    other.metadata["title"] = "乙镇 控辍保学日报"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "logo.png").write_bytes(base64.b64decode(png_base64()))
    other.cells.insert(0, nbformat.v4.new_markdown_cell("![标志](logo.png) 乙镇"))
    notebooks = {"first": (executed_notebook(), {"县": "示例县"}), "other": (other, {"乡镇": "乙镇"})}
    for name, (notebook, _) in notebooks.items():
        (tmp_path / name).mkdir(exist_ok=True)
        nbformat.write(notebook, tmp_path / name / "notebook.ipynb")

    def export(name: str) -> bytes:
        page = tmp_path / name / "report.html"
        export_html(tmp_path / name / "notebook.ipynb", page, provenance=notebooks[name][1])
        return page.read_bytes()

    fresh = {}
    for name in notebooks:
        _report_exporter.cache_clear()
        fresh[name] = export(name)
    assert fresh["first"] != fresh["other"]
    assert re.search(r'<img src="data:image/png[^>]* alt="标志"'.encode(), fresh["other"])  # read from other/
    _report_exporter.cache_clear()
    for name in ("first", "other", "first", "other"):
        assert export(name) == fresh[name]
    assert _report_exporter.cache_info().misses == 1  # one exporter served all four


# ---------------------------------------------------------------------------------------
# index.html

def manifest_json(county: str = "示例县") -> dict:
    return {
        "county": county, "as_of": "2021-10-15",
        "started_at": "2021-10-15T16:40:05+08:00", "finished_at": "2021-10-15T16:41:07+08:00",
        "seconds": 62.4, "kcbx_version": "0.1.0", "params_path": "/srv/kcbx/params/demo.yaml",
        "params_sha256": "ab" * 32, "engine": "papermill", "workers": 2, "ok": False,
        "townships": [
            {"name": "甲镇", "township": "甲镇", "dir": "甲镇", "status": "ok",
             "seconds": 20.1, "error": None},
            {"name": "<i>乙镇</i>", "township": "<i>乙镇</i>", "dir": "_i_乙镇__i_-1a2b3c4d",
             "status": "failed", "seconds": 3.2,
             "error": {"cell_index": 4, "cell_first_line": "cases = load('<b>')",
                       "exception": "KeyError", "message": "'<b>'"}},
            {"name": "county", "township": None, "dir": "county", "status": "ok",
             "seconds": 30.0, "error": None},
        ],
    }


def test_index_lists_the_county_first_then_every_township():
    page = render_index(manifest_json())
    assert page.index("全县汇总") < page.index("甲镇") < page.index("乙镇")
    assert f'<a href="{quote("甲镇")}/report.html">' in page
    assert f'<a href="{quote("甲镇")}/forms.xlsx">' in page
    assert '<a href="county/report.html">' in page
    assert f'<a href="{quote("甲镇")}/forms.xlsx">表格</a>' in page
    # The data's day stands out; when and how the run went folds away (62.4 s rounds to 62).
    assert "<strong>截至 2021-10-15</strong>" in page
    assert "<summary>运行详情（供数据管理员）</summary>" in page
    assert "2021-10-15 16:41（开始 2021-10-15 16:40，用时 62 秒）" in page
    assert "1 份失败</span>，2 份成功" in page


def test_index_shows_a_failure_escaped_with_its_notebook():
    page = render_index(manifest_json())
    assert "<td>&lt;i&gt;乙镇&lt;/i&gt;</td>" in page and "<i>乙镇" not in page
    assert ('cell 4 &#34;cases = load(&#39;&lt;b&gt;&#39;)&#34;: KeyError: &#39;&lt;b&gt;&#39;'
            in page)
    assert f'<a href="{quote("_i_乙镇__i_-1a2b3c4d")}/notebook.ipynb">' in page
    assert f'{quote("_i_乙镇__i_-1a2b3c4d")}/report.html' not in page


def test_index_is_self_contained_and_escapes_the_county():
    page = render_index(manifest_json(county="<script>x</script>县"))
    assert "&lt;script&gt;x&lt;/script&gt;县" in page
    # One script, the table sorter, and the policy admits exactly it.
    assert page.lower().count("<script") == 1 and f"<script>{SORT_SCRIPT}</script>" in page
    assert f"default-src 'none'; script-src 'sha256-{SORT_SCRIPT_SHA256}'; img-src data:;" in page
    assert not re.search(r"https?:", page)
    assert '<html lang="zh">' in page and 'name="viewport"' in page


def test_write_index_rebuilds_the_page_from_manifest_json(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(manifest_json(), ensure_ascii=False),
                                            encoding="utf-8")
    path = write_index(tmp_path)
    assert path == tmp_path / "index.html"
    assert path.read_text(encoding="utf-8") == render_index(manifest_json())
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["index.html", "manifest.json"]


def test_the_export_counts_the_warnings_it_leaves_out(tmp_path):
    nbformat.write(executed_notebook(), tmp_path / "notebook.ipynb")
    assert export_html(tmp_path / "notebook.ipynb", tmp_path / "report.html") == 2
    kept = nbformat.read(tmp_path / "notebook.ipynb", as_version=4)  # the analyst's copy is untouched
    assert [o["name"] for o in kept.cells[2].outputs] == ["stdout", "stderr"]


def test_index_shows_each_report_s_figures_and_marks_what_needs_action(tmp_path):
    manifest = manifest_json()
    (tmp_path / "甲镇").mkdir()
    (tmp_path / "甲镇" / "metrics.json").write_text(json.dumps({
        "cases_open": 3, "absent_unexcused_today": 0, "notices_missing": 2,
        "out_of_school_suspected": 7, "early_warning": {"high": 0, "medium": 4}, "notices_overdue": 1}),
        encoding="utf-8")
    page = render_index(manifest, tmp_path)
    row = page[page.index("<td>甲镇</td>"):]
    row = row[:row.index("</tr>")]
    cells = re.findall(r"<td( class=\"kcbx-act\")?>([^<]*)</td>", row)[1:7]
    # 在办案件, 今日无故缺勤, 达最高一级未立案 (marked), 疑似失学, 预警（高） 0, 通知书逾期 (marked)
    assert cells == [("", "3"), ("", "0"), (' class="kcbx-act"', "2"), ("", "7"), ("", "0"),
                     (' class="kcbx-act"', "1")]
    county = page[page.index("<td>全县汇总</td>"):]
    assert county[:county.index("</tr>")].count("<td>—</td>") == 6  # no metrics.json: no figure
    for label in ("在办案件", "今日无故缺勤", "达最高一级未立案", "疑似失学", "预警（高）", "通知书逾期"):
        assert f"<th>{label}</th>" in page
