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
3a. 巩固率 — the 巩固率 of each grade cohort (grades 2–9, metrics ``retention_by_cohort``), a rate
   above 100 % or below 0 with its reason, one below params ``retention_target`` marked
   "低于目标 95%" (``retention``);
4–6. the three ledgers of 四查三比对: 适龄儿童台账 with its 休学名单, 疑似辍学台账 (``ledgers``),
   辍学台账 (``cases``);
7. 日报 出勤统计 — 应到, 实到 and 缺勤 per school; 8. 日报 未到校学生名册 — the pupils absent
   without leave; 8a. 预警名单 — the pupils high and medium on the early-warning list (``daily``);
9. 送教上门, and the teachers' workload, over one period (term start to as_of); 9a. 残疾儿童安置台账;
   10. 资助核对 (冲正 subtracted); 11. 小升初 (``support``);
12. the county's only: 周通报 — the townships in the order of the report page's 乡镇排名, its rule
   above the table, each figure beside its change over a week: from last week's run, else from
   the case log replayed to that day, the source named on each row (``bulletin``); and 月调度 —
   one row per month of the term up to as_of: cases opened, returned and still out, 送教上门
   compliance, 无故缺勤 pupil-days, 疑似失学 at the month's end (待核查) (``monthly``);
12a. 合规检查 — one line per child or case breaking a rule officers check by hand (the notice
   after the top rung, its 7 days, 未满16周岁务工, 复学未销号, 双线包保, 监护人电话, 早婚), with the
   fact and who must act (``compliance``);
13. 数据问题 (rejected rows and findings), and the files read (``quality``).

Every official sheet (all but 数据问题) has a full title ("示例县2021年秋季学期…") and ends
with the sign-off block (填报单位（盖章）, 填报人, 联系电话, 填报日期): the county office's
details from params ``office`` on the county's forms, lines to fill by hand on a township's
(``common``). ``workbook`` puts the sheets together and writes the files.

A township's report also holds one workbook per school, ``学校/<school>.xlsx``: 附件1–3 of that
school, the school as 填报单位, cut from the township's frames (``school``).
"""

from kcbx.report.forms.school import school_sheets, schools_with_forms, write_school_forms
from kcbx.report.forms.statistics import school_statistics
from kcbx.report.forms.workbook import form_sheets, write_forms, write_school_age_ledger

__all__ = ["form_sheets", "school_sheets", "school_statistics", "schools_with_forms", "write_forms",
           "write_school_age_ledger", "write_school_forms"]
