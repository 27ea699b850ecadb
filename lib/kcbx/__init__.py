"""kcbx: 控辍保学 report workbook.

Ledgers in (``kcbx.ledgers``), one DuckDB store (``kcbx.store``), pure measures
(``kcbx.measures``), metrics.json (``kcbx.metrics``), reports (``kcbx.report``),
the papermill runner (``kcbx.run``), and the analyst's door (``kcbx.explore``;
``kcbx.sql(params, "SELECT …")`` is its read-only query on the store).
"""

__version__ = "0.1.0"

import functools


@functools.cache  # the code a process runs is what it loaded: read the files once
def source_digest(*parts: str) -> str:
    """sha256 of kcbx's own source (code, templates, data) under these parts of the package
    (``"ledgers"``, ``"store.py"`` …; the whole package when none): what a fingerprint of
    "the kcbx version" must cover, since code changes between releases too."""
    import hashlib
    from pathlib import Path

    package = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for part in parts or (".",):
        path = package / part
        sources = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                         and p.suffix != ".pyc") if path.is_dir() else [path]
        for source in sources:
            digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def __getattr__(name: str):
    # kcbx.sql without importing pandas and the measures with the package.
    if name == "sql":
        from kcbx.explore import sql

        return sql
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
