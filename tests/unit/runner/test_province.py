"""A province never stops for one county (issue 23): a county's broken params or damaged store
is that county's failure, reported in its own line, while the others run."""

from __future__ import annotations

import json
import shutil

import pytest
from test_run import write_params, write_toy_notebook

import kcbx.runner.run
from kcbx import cli


@pytest.fixture
def province(tmp_path, demo_store, monkeypatch):
    """Three counties' params: 甲县 fine, 乙县 with a typo'd key, 丙县 with a truncated store."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("township.ipynb", "county.ipynb"):
        write_toy_notebook(notebooks / name)
    monkeypatch.setattr(kcbx.runner.run, "DEFAULT_NOTEBOOKS_DIR", notebooks)
    files = []
    for county in ("甲县", "乙县", "丙县"):
        folder = tmp_path / county
        path = write_params(folder)
        (folder / "build").mkdir()
        shutil.copyfile(demo_store, folder / "build" / "demo.duckdb")
        text = path.read_text(encoding="utf-8").replace("county: 示例县", f"county: {county}")
        if county == "乙县":
            text += "escalaton: [1, 3, 5]\n"  # the typo
        path.write_text(text, encoding="utf-8")
        files.append(path)
    store = tmp_path / "丙县" / "build" / "demo.duckdb"
    with store.open("r+b") as damaged:
        damaged.truncate(store.stat().st_size // 3)
    return tmp_path, files


def run_province(files, *extra):
    return cli.main(["run", *[arg for path in files for arg in ("--params", str(path))],
                     "--as-of", "2021-10-15", "--quiet", *extra])


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", [None, "local"])
def test_one_county_s_typo_and_another_s_damaged_store_do_not_stop_the_province(province, scheduler, capsys):
    root, files = province
    extra = ["--township", "甲镇"] if scheduler is None else ["--scheduler", scheduler, "--workers", "2"]
    status = run_province(files, *extra)
    out, err = capsys.readouterr()
    assert status == 2, out + err
    manifest = json.loads((root / "甲县" / "outputs" / "甲县" / "2021-10-15" / "manifest.json").read_text())
    assert manifest["county"] == "甲县"  # the good county ran in full …
    assert not (root / "丙县" / "outputs" / "丙县" / "2021-10-15").exists()  # … the damaged one published nothing
    summary = out[out.index("province:"):].splitlines()
    assert summary[0].startswith("province: 3 counties: ")
    lines = summary[1:]
    assert len(lines) == 3, summary
    assert lines[0].startswith("  甲县: ")
    assert lines[1].startswith(f"  {files[1]}: not run: params: ") and "escalaton" in lines[1]
    assert lines[2].startswith("  丙县: not run: ")
    assert "Traceback" not in err


def test_a_single_county_s_broken_params_still_exit_2(province, capsys):
    _, files = province
    assert run_province(files[1:2]) == 2
    assert "escalaton" in capsys.readouterr().err
