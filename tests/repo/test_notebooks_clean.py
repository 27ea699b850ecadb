"""Notebooks reach git without outputs (nbstripout's filter, set up by the Makefile), and
nbval runs their parameters as committed (notebooks/conftest.py), in throw-away repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from support.paths import PROJECT as ROOT

BIN = Path(sys.executable).parent  # the venv's bin, where nbstripout is installed


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture
def repo(tmp_path) -> Path:
    """A new git repository with the project's .gitattributes and the Makefile's filter setup."""
    run("git", "init", "-q", cwd=tmp_path)
    run("git", "config", "user.email", "test@example.org", cwd=tmp_path)
    run("git", "config", "user.name", "test", cwd=tmp_path)
    shutil.copyfile(ROOT / ".gitattributes", tmp_path / ".gitattributes")
    for _ in range(2):  # make runs it on every report, test and lab: twice changes nothing
        run("make", "-s", "-f", str(ROOT / "Makefile"), "git-filter", f"BIN={BIN}", cwd=tmp_path)
    assert (tmp_path / ".gitattributes").read_bytes() == (ROOT / ".gitattributes").read_bytes()
    return tmp_path


def executed(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as JupyterLab saves it after a run: outputs, counts, its metadata."""
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code":
            cell.execution_count = number
            cell.outputs = [new_output("stream", text="张三 452626201003011234\n")]
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.2", "mimetype": "text/x-python",
                                          "pygments_lexer": "ipython3"}
    return notebook


def test_a_notebook_with_outputs_is_stripped_when_added(repo):
    notebook = nbformat.read(ROOT / "notebooks" / "township.ipynb", as_version=4)
    nbformat.write(executed(notebook), repo / "township.ipynb")
    run("git", "add", "township.ipynb", ".gitattributes", cwd=repo)
    staged = nbformat.reads(run("git", "show", ":township.ipynb", cwd=repo).stdout, as_version=4)
    code = [cell for cell in staged.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert staged.metadata["language_info"] == {"name": "python"}
    # What matters stays: the sources and the parameters tag papermill needs.
    assert [cell.source for cell in staged.cells] == [cell.source for cell in notebook.cells]
    assert "parameters" in code[0].metadata["tags"]
    # Committed, run again: a change of outputs alone is no change to commit.
    run("git", "commit", "-q", "-m", "township", cwd=repo)
    again = nbformat.read(repo / "township.ipynb", as_version=4)
    again.cells[1].outputs = [new_output("stream", text="another run\n")]
    nbformat.write(again, repo / "township.ipynb")
    assert run("git", "diff", "--stat", cwd=repo).stdout == ""
    run("git", "add", "township.ipynb", cwd=repo)
    assert run("git", "status", "--porcelain", cwd=repo).stdout == ""


def committed_version(path: Path) -> nbformat.NotebookNode:
    """A notebook as git's index holds it (the file itself while git does not track it)."""
    shown = subprocess.run(["git", "show", f":./{path.name}"], cwd=path.parent, capture_output=True, text=True)
    text = shown.stdout if shown.returncode == 0 else path.read_text(encoding="utf-8")
    return nbformat.reads(text, as_version=4)


@pytest.mark.parametrize("name", ["township.ipynb", "county.ipynb", "explore.ipynb"])
def test_the_project_s_notebooks_carry_no_outputs_and_read_params_from_make_lab(name):
    committed = committed_version(ROOT / "notebooks" / name)
    assert all(cell.outputs == [] and cell.execution_count is None
               for cell in committed.cells if cell.cell_type == "code")
    parameters = nbformat.read(ROOT / "notebooks" / name, as_version=4).cells
    parameters = next(cell for cell in parameters if "parameters" in cell.metadata.get("tags", []))
    # params None: kcbx reads KCBX_PARAMS (make lab), else the project's params/demo.yaml
    # (kcbx.notebook.params_path), from whatever folder the kernel runs in.
    assert "\nparams = None  # " in parameters.source and "KCBX_PARAMS" in parameters.source


def test_nbval_runs_the_committed_parameters(repo):
    shutil.copyfile(ROOT / "notebooks" / "conftest.py", repo / "conftest.py")
    notebook = new_notebook(cells=[
        new_code_cell("import os\ntownship = os.environ.get('KCBX_PARAMS', 'committed')",
                      metadata={"tags": ["parameters"]}),
        new_code_cell("assert township == 'committed', township")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, repo / "check.ipynb")
    run("git", "add", "check.ipynb", cwd=repo)
    # An analyst's edit left in the working tree, and make lab's variable in the shell.
    notebook.cells[0].source = "township = '城厢镇'"
    nbformat.write(notebook, repo / "check.ipynb")
    done = subprocess.run([sys.executable, "-m", "pytest", "check.ipynb", "--nbval-lax", "--nbval-current-env",
                           "-p", "no:cacheprovider", "-q"], cwd=repo, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "KCBX_PARAMS": "/elsewhere.yaml"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout and "nbval runs the committed one" in done.stdout


@pytest.mark.parametrize("name", ["township.ipynb", "county.ipynb"])
def test_papermill_reads_every_parameter_of_the_run_s_notebooks(name):
    # A parameters cell papermill cannot read makes every run log "Passed unknown parameter".
    found = papermill.inspect_notebook(str(ROOT / "notebooks" / name))
    assert {"params", "township", "as_of", "output_dir", "prepared"} <= set(found)
