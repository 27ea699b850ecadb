"""Toy notebooks that follow the notebook protocol (a ``parameters`` cell with params, township,
as_of, output_dir, prepared) and write what a report's folder must hold, in a fraction of the
real notebooks' time: for runner tests that count what was rendered and what was reused."""

from pathlib import Path

import nbformat

TOY_CELLS = [
    "params = None\ntownship = None\nas_of = None\noutput_dir = None\nprepared = None",
    "import json, pathlib\n"
    "out = pathlib.Path(output_dir)\n"
    "(out / 'metrics.json').write_text(json.dumps({'as_of': as_of, 'township': township}), encoding='utf-8')\n"
    "(out / 'forms.xlsx').write_bytes(b'toy workbook')\n"
    "f'{township or \"全县\"}'",
]


def write_toy_notebooks(folder: Path) -> Path:
    """township.ipynb and county.ipynb, the same toy, in ``folder`` (returned)."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in TOY_CELLS]
    notebook.cells[0].metadata["tags"] = ["parameters"]
    for name in ("township.ipynb", "county.ipynb"):
        nbformat.write(notebook, folder / name)
    return folder
