"""township.ipynb through papermill with a day outside the demo's term (2021-09-01 – 2022-01-14):
it stops at its first cell after the parameters with the one line the CLI prints, and renders
nothing (no section shown, nothing written to output_dir)."""

from __future__ import annotations

import papermill
import pytest

from support.demo_county import ingested_demo  # noqa: F401 (the demo's fixture)
from support.paths import PROJECT

pytestmark = pytest.mark.slow

TOWNSHIP_NOTEBOOK = PROJECT / "notebooks" / "township.ipynb"


def expected_line(params_path) -> str:
    # The demo's last absence rows are of Fri 15 Oct 2021, a school day: the day suggested.
    return (f"as_of 2021-08-20 不在学期 2021-09-01 至 2022-01-14 内（参数文件 {params_path}）；"
            "有缺勤数据的最后一个上学日是 2021-10-15，可用 as_of = \"2021-10-15\"")


def run_township(tmp_path, params_path, as_of):
    output_dir = tmp_path / "outputs"
    executed = tmp_path / "executed.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        papermill.execute_notebook(
            str(TOWNSHIP_NOTEBOOK), str(executed), cwd=str(TOWNSHIP_NOTEBOOK.parent),
            parameters={"params": str(params_path), "as_of": as_of, "output_dir": str(output_dir)},
            kernel_name="python3", progress_bar=False)
    return failed.value, executed, output_dir


def test_a_summer_day_stops_at_the_parameters_with_one_line(ingested_demo, tmp_path):
    params_path = ingested_demo / "params" / "demo.yaml"
    error, executed, output_dir = run_township(tmp_path, params_path, "2021/08/20")  # the county's spelling
    assert error.ename == "OutOfTerm"
    assert error.evalue == expected_line(params_path)
    assert error.traceback == [f"OutOfTerm: {expected_line(params_path)}"]  # one line, no library frames
    notebook = papermill.iorw.load_notebook_node(str(executed))
    # Code cells: parameters, the injected parameters, then the first call into kcbx, which failed.
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    failing = [cell for cell in code if any(o.get("output_type") == "error" for o in cell.outputs)]
    assert failing == [code[2]] and "notebook.open_township" in code[2].source
    shown = [output for cell in notebook.cells for output in cell.get("outputs", [])
             if output.get("output_type") in ("display_data", "execute_result", "stream")]
    assert shown == []  # not one section rendered
    assert not output_dir.exists() or not any(output_dir.iterdir())


def test_today_follows_the_same_rule(ingested_demo, tmp_path):
    # Whatever today is on the county's clock, it is years after the demo's term.
    error, _, _ = run_township(tmp_path, ingested_demo / "params" / "demo.yaml", "today")
    assert error.ename == "OutOfTerm"
    assert "不在学期 2021-09-01 至 2022-01-14 内" in error.evalue and "可用 as_of = \"2021-10-15\"" in error.evalue


def test_a_date_that_is_none_names_the_parameter(ingested_demo, tmp_path):
    error, _, _ = run_township(tmp_path, ingested_demo / "params" / "demo.yaml", "15/10/2021")
    assert (error.ename, error.evalue) == ("NotADate", "as_of 应为日期，如 2021-10-15（收到 '15/10/2021'）")
