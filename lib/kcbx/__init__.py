"""kcbx: 控辍保学 report workbook.

Ledgers in (``kcbx.ledgers``), one DuckDB store (``kcbx.store``), pure measures
(``kcbx.measures``), metrics.json (``kcbx.metrics``), reports (``kcbx.report``),
and the papermill runner (``kcbx.run``).
"""

__version__ = "0.1.0"
