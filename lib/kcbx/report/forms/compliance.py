"""合规检查: one line per child or case breaking a rule officers used to check by hand (the
限期复学通知书 after the top rung, its 7 days, 未满16周岁务工, 复学未销号, 双线包保, 监护人电话,
早婚), with the fact and who must act (``kcbx.measures.compliance``)."""

from __future__ import annotations

from kcbx.analysis.model import Analysis
from kcbx.measures.compliance import RULES, rules_in_words
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import ID_OR_STUDENT_NO, NUMBER, _numbered, _official_table

_COMPLIANCE_COLUMNS = [
    NUMBER,
    Column("检查项目", "rule_label"),
    Column("学校", "school"),
    Column("姓名", "name"),
    Column(ID_OR_STUDENT_NO, "person_key"),
    Column("起算日期", "since", kind="date"),
    Column("发现情况", "fact", width=40),
    Column("责任单位及措施", "who_acts", width=30),
    Column("包保责任人", "owners", width=30),
    Column("整改情况", "done", width=16),
]


def _compliance_sheet(analysis: Analysis) -> TableSheet:
    """合规检查: the analysis' compliance rows in RULES' order, the county's with each row's 乡镇;
    a blank 整改情况 column to fill by hand, and each rule in words as a note."""
    params = analysis.params
    rows = analysis.compliance.assign(done=None)
    columns = _COMPLIANCE_COLUMNS if analysis.township else \
        [NUMBER, _COMPLIANCE_COLUMNS[1], Column("乡镇", "township"), *_COMPLIANCE_COLUMNS[2:]]
    words = rules_in_words(params.escalation, params.notice_grace_days, params.notice_days,
                           params.strike_off_days, params.case_open_days)
    counts = rows["rule"].value_counts()
    notes = [f"{label}（{int(counts.get(rule, 0))} 条）：{words[rule]}。" for rule, label in RULES.items()]
    if rows.empty:
        notes.insert(0, "本期各项检查均未发现问题。")
    return _official_table(analysis, "合规检查", "控辍保学合规检查表", columns, _numbered(rows), notes=notes)
