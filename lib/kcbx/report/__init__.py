"""Presentation: the only part of kcbx that knows about fonts, masking and Excel styles.

- ``kcbx.report.fonts``   — use_cjk_font(): matplotlib draws Chinese (Noto Sans CJK SC).
- ``kcbx.report.privacy`` — masked names, IDs and phones; safe_table_html() for tables.
- ``kcbx.report.charts``  — one function per chart, each returning a Figure.
- ``kcbx.report.excel``   — forms.xlsx: TableSheet (附件1, 附件3), FormSheet (附件2),
  write_workbook().
- ``kcbx.report.html``    — the notebook's HTML export.

Import the submodule you need (``from kcbx.report import charts``): importing
this package loads neither matplotlib nor xlsxwriter, so the runner stays light.
"""
