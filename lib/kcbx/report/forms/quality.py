"""数据问题: the rejected rows and the findings, then the files read; the one sheet of
forms.xlsx that is no official form (no full title, no sign-off)."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.common import FINDING_COLUMNS
from kcbx.report.excel import Column, TableSheet
from kcbx.report.forms.common import NUMBER, _is_blank, _numbered, _subtitle
from kcbx.schema import KIND_LABELS, REJECTED_COLUMNS

_PROBLEM_COLUMNS = [
    NUMBER,
    Column("类型", "type"),
    Column("台账", "kind_label"),
    Column("文件", "file"),
    Column("工作表", "sheet"),
    Column("行号", "row", kind="int"),
    Column("列", "column"),
    Column("值", "value"),
    Column("原因", "reason"),
]
_FILE_COLUMNS = [
    Column("台账", "kind_label"),
    Column("文件", "file"),
    Column("读入", "rows_read", group="行数", kind="int"),
    Column("接受", "rows_accepted", group="行数", kind="int"),
    Column("拒绝", "rows_rejected", group="行数", kind="int"),
    Column("错误", "error"),
]


def _kind_labels(kinds: pd.Series) -> pd.Series:
    return kinds.map(lambda kind: KIND_LABELS.get(kind, kind)).astype(object)


def _data_quality_sheets(analysis: Analysis) -> list[TableSheet]:
    """数据问题: rejected rows (拒绝) then findings (提示); then every file's rows read, accepted, rejected."""
    rejected = analysis.rejected.reindex(columns=list(REJECTED_COLUMNS))
    findings = analysis.findings.reindex(columns=list(FINDING_COLUMNS))  # stored ones have no detail
    explained = [finding if _is_blank(detail) else f"{finding}：{detail}"
                 for finding, detail in zip(findings["finding"], findings["detail"])]
    problems = pd.concat(
        [rejected.assign(type="拒绝"),
         findings.assign(type="提示", column=None, value=None,
                         reason=pd.Series(explained, index=findings.index, dtype=object))],
        ignore_index=True,
    )
    problems = problems.assign(kind_label=_kind_labels(problems["kind"]))
    log = analysis.ingest_log
    files = log.assign(kind_label=_kind_labels(log["kind"])).reset_index(drop=True)
    subtitle = _subtitle(analysis)
    read, accepted, refused = (int(log[column].fillna(0).sum())
                               for column in ("rows_read", "rows_accepted", "rows_rejected"))
    return [
        TableSheet("数据问题", "数据问题清单", _PROBLEM_COLUMNS, _numbered(problems), subtitle=subtitle,
                   notes=["拒绝：该行未读入（身份证号无效、日期无法识别、未知事件或年级、金额为负）；请更正后重报。",
                          "提示：该行已读入，但需核实（重复记录、非上课日缺勤、无学籍学生缺勤、案件缺少登记等）。"]),
        TableSheet("数据问题 文件读入", "台账文件读入情况", _FILE_COLUMNS, files, subtitle=subtitle,
                   notes=f"共读入 {read} 行：接受 {accepted} 行，拒绝 {refused} 行（读入 = 接受 + 拒绝）。"),
    ]
