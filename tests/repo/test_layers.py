"""The house: the packages are layers (docs/architecture.md), held by import-linter in `make lint`.

These tests show that the layer contract bites: an upward import written on purpose into a copy
of the package breaks it, and no two kcbx modules import each other, however indirectly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from support.paths import PROJECT as ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess:
    """import-linter with the project's contracts, on the kcbx package found in package_parent."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=package_parent, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_hold():
    done = lint_imports(ROOT / "lib")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    # A measure that reaches up into the runner: what the layer contract is there to stop.
    shutil.copytree(ROOT / "lib" / "kcbx", tmp_path / "kcbx", ignore=shutil.ignore_patterns("__pycache__"))
    common = tmp_path / "kcbx" / "measures" / "common.py"
    common.write_text(common.read_text(encoding="utf-8") + "\nfrom kcbx.runner import run  # upward\n",
                      encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "Layers: each package imports only those below it BROKEN" in done.stdout
    assert "kcbx.measures.common -> kcbx.runner.run" in done.stdout


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components of a directed graph: a component of two or more is an import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def test_strongly_connected_finds_a_circle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(map(sorted, strongly_connected(edges))) == [["a", "b", "c"], ["d"]]


def test_no_import_circle():
    graph = grimp.build_graph("kcbx", exclude_type_checking_imports=True)
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    circles = [sorted(component) for component in strongly_connected(edges) if len(component) > 1]
    assert circles == []


def test_no_two_test_modules_share_a_name():
    # pytest imports test modules by their base name (no __init__.py in tests/): two files of
    # one name stop the whole collection ("import file mismatch").
    from collections import Counter
    from pathlib import Path

    names = Counter(path.name for path in (Path(__file__).parents[1]).rglob("test_*.py"))
    assert [name for name, n in names.items() if n > 1] == []
