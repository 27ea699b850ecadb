"""forms.xlsx: the official forms of one township (or the county), for schools to act on.

A working document: full identities, no masking. This package only declares the sheets —
which rows, which Chinese headers — from an ``Analysis``; ``kcbx.report.excel`` writes them,
ledger text always as text, never as a formula. One module per family of sheets; the
figures by school are counted by ``kcbx.measures.by_school``.

Sheets, in order:

1. 附件1 统计表 — figures by school (the county's with 乡镇小计 rows), then a 合计 row
   (``statistics``);
2. 附件2 辍学学生登记表 — one form per case, 一生一表 (``cases``);
3. 附件3 登记汇总表 — one line per case (``cases``);
4–6. the three ledgers of 四查三比对: 适龄儿童台账, 疑似辍学台账 (``ledgers``), 辍学台账 (``cases``);
7. 日报 出勤统计 — 应到, 实到 and 缺勤 per school; 8. 日报 未到校学生名册 — the pupils absent
   without leave; 8a. 预警名单 — the pupils high and medium on the early-warning list (``daily``);
9. 送教上门, and the teachers' workload; 10. 资助核对; 11. 小升初 (``support``);
12. the county's only: 周通报 — the townships ranked, with the change over a week (``bulletin``);
13. 数据问题 (rejected rows and findings), and the files read (``quality``).

Every official sheet (all but 数据问题) has a full title ("示例县2021年秋季学期…") and ends
with the sign-off block (填报单位（盖章）, 填报人, 联系电话, 填报日期): the county office's
details from params ``office`` on the county's forms, lines to fill by hand on a township's
(``common``). ``workbook`` puts the sheets together and writes the files.
"""

from kcbx.report.forms.statistics import school_statistics
from kcbx.report.forms.workbook import form_sheets, write_forms, write_school_age_ledger

__all__ = ["form_sheets", "school_statistics", "write_forms", "write_school_age_ledger"]
