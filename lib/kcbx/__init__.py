"""kcbx: 控辍保学 report workbook.

The packages are the layers of one flow (docs/architecture.md): ledgers in
(``kcbx.ingest``), one DuckDB store (``kcbx.store``), pure measures
(``kcbx.measures``), the county pass and each report's ``Analysis``
(``kcbx.analysis``), reports (``kcbx.report``), the papermill runner
(``kcbx.runner``); notebooks call ``kcbx.notebook``, analysts ``kcbx.explore``
(``kcbx.sql(params, "SELECT …")`` is its read-only query on the store).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # kcbx.sql without importing pandas and the measures with the package.
    if name == "sql":
        from kcbx.explore import sql

        return sql
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
