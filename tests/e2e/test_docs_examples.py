"""Every ```python block of README.md and docs/explore.md runs as written when pasted into a new
notebook in notebooks/ (where JupyterLab starts its kernels), in order, in one kernel, on the
project's demo county (written and ingested by `make test`).

A line that is an expression followed by a comment that is itself a value
(``kx.townships()  # ['坡荷乡', …]``) is checked: the expression must equal that value. And
nothing the examples draw or compute writes to stderr (a "Glyph … missing" warning, say).
"""

from __future__ import annotations

import ast
import datetime
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from support.paths import DEMO_PARAMS, DEMO_STORE, PROJECT

pytestmark = pytest.mark.slow

DOCUMENTS = ("README.md", "docs/explore.md")
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(document: str) -> list[str]:
    return PYTHON_BLOCK.findall((PROJECT / document).read_text(encoding="utf-8"))


def claimed_values(block: str) -> list[tuple[str, str]]:
    """(expression, value) for each line "<expression>  # <value>" whose comment is a value."""
    claims = []
    for line in block.splitlines():
        code, hash_, comment = line.partition("  # ")
        if not hash_:
            continue
        try:
            if not isinstance(ast.parse(code.strip()).body[0], ast.Expr):
                continue
            eval(comment.strip(), {"datetime": datetime})  # a value, not words
        except Exception:
            continue
        claims.append((code.strip(), comment.strip()))
    return claims


def with_checks(block: str) -> str:
    """The block with an assert after each line that claims its value (before a later line,
    ``con.close()`` say, changes what the expression gives)."""
    claims = dict(claimed_values(block))
    lines = ["import datetime"]
    for line in block.splitlines():
        lines.append(line)
        code = line.partition("  # ")[0].strip()
        if code in claims:
            indent = line[:len(line) - len(line.lstrip())]
            lines.append(f"{indent}assert ({code}) == ({claims[code]}), {code!r}")
    return "\n".join(lines)


def test_the_claims_are_found_as_written():
    # Worked by hand on lines of the docs' shape: a list, a tuple, a date; words are no claim.
    block = ('kx.townships()  # [\'甲镇\']\n'
             'con.sql("…").fetchone()  # (1,)\n'
             'a.as_of  # datetime.date(2021, 10, 15)\n'
             'a                 # key figures and every table\n'
             's[s["streak"] >= 3]  # 3 or more school days\n'
             'x = 1  # 1\n')
    assert claimed_values(block) == [("kx.townships()", "['甲镇']"), ('con.sql("…").fetchone()', "(1,)"),
                                     ("a.as_of", "datetime.date(2021, 10, 15)")]


@pytest.fixture(scope="module")
def demo_ready():
    if not DEMO_STORE.exists() or not DEMO_PARAMS.exists():
        pytest.skip("the demo county is written and ingested by `make test` (make demo)")


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_examples_run_as_pasted_into_a_notebook(document, demo_ready):
    blocks = python_blocks(document)
    assert blocks, f"{document} has no python block"
    assert any(claimed_values(block) for block in blocks) or document == "README.md"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(with_checks(block)) for block in blocks])
    environment = {name: value for name, value in os.environ.items() if not name.startswith("KCBX_")}
    client = NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(PROJECT / "notebooks")}})
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=environment)  # as a fresh JupyterLab kernel: no KCBX_PARAMS
    try:
        client.start_new_kernel_client()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    finally:
        client._cleanup_kernel()
    stderr = [output["text"] for cell in notebook.cells for output in cell.outputs
              if output.get("name") == "stderr"]
    assert stderr == []
