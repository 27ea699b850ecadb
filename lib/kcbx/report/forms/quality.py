"""数据问题: the rejected rows and the findings, then the files read; the one sheet of
forms.xlsx that is no official form (no full title, no sign-off)."""

from __future__ import annotations

import pandas as pd

from kcbx.analysis.attribution import problems_of_report
from kcbx.analysis.model import Analysis
from kcbx.measures.common import FINDING_COLUMNS, is_in
from kcbx.measures.matching import ENROLLED_STATUS, LIST_SEPARATOR, in_file_order
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
    Column("身份证号", "id_number"),
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
DUPLICATE = "重复学籍"


def _kind_labels(kinds: pd.Series) -> pd.Series:
    return kinds.map(lambda kind: KIND_LABELS.get(kind, kind)).astype(object)


def _duplicate_problems(analysis: Analysis) -> pd.DataFrame:
    """One 重复学籍 row per pupil with 在读 rows at two or more schools, naming every school with
    the roster row it comes from."""
    duplicates = analysis.duplicates
    problem_columns = ["type", "kind", "file", "sheet", "row", "column", "value", "id_number", "reason"]
    if duplicates.empty:  # nothing to join: an empty text join would come back as floats
        return pd.DataFrame(columns=problem_columns)
    roster = in_file_order(analysis.roster)
    enrolled = roster[(roster["status"] == ENROLLED_STATUS)
                      & is_in(roster["person_key"], set(duplicates["person_key"]))]
    where = (enrolled["school"].astype(str) + "（" + enrolled["source_file"].astype(str) + " 第 "
             + enrolled["source_row"].astype("Int64").astype(str) + " 行）")
    schools = where.groupby(enrolled["person_key"]).agg(LIST_SEPARATOR.join)
    reasons = ("同一学生在 " + duplicates["n_schools"].astype(str) + " 所学校有在读学籍："
               + duplicates["person_key"].map(schools).fillna(duplicates["schools"])
               + "；请核实后注销多余学籍（乡镇、全县合计只计一次）")
    files = enrolled.groupby("person_key")["source_file"].agg(lambda found: LIST_SEPARATOR.join(dict.fromkeys(found)))
    return pd.DataFrame({
        "type": DUPLICATE, "kind": "roster", "file": duplicates["person_key"].map(files), "sheet": None,
        "row": None, "column": None, "value": duplicates["name"],
        "id_number": duplicates["person_key"], "reason": reasons,
    }, index=duplicates.index)


def _data_quality_sheets(analysis: Analysis) -> list[TableSheet]:
    """数据问题: rejected rows (拒绝), pupils with 学籍 at two schools (重复学籍), then findings
    (提示); then every file's rows read, accepted, rejected."""
    rejected, left_rejected = problems_of_report(analysis.township, analysis.ingest_log, analysis.rejected)
    findings, left_findings = problems_of_report(analysis.township, analysis.ingest_log, analysis.findings)
    rejected = rejected.reindex(columns=list(REJECTED_COLUMNS))
    findings = findings.reindex(columns=list(FINDING_COLUMNS))  # stored ones have no detail
    explained = [finding if _is_blank(detail) else f"{finding}：{detail}"
                 for finding, detail in zip(findings["finding"], findings["detail"])]
    problems = pd.concat(
        [rejected.assign(type="拒绝"),
         _duplicate_problems(analysis),
         findings.assign(type="提示", column=None, value=None, id_number=None,
                         reason=pd.Series(explained, index=findings.index, dtype=object))],
        ignore_index=True,
    )
    problems = problems.assign(kind_label=_kind_labels(problems["kind"]))
    log = analysis.ingest_log
    files = log.assign(kind_label=_kind_labels(log["kind"])).reset_index(drop=True)
    subtitle = _subtitle(analysis)
    read, accepted, refused = (int(log[column].fillna(0).sum())
                               for column in ("rows_read", "rows_accepted", "rows_rejected"))
    notes = ["拒绝：该行未读入（身份证号无效、日期无法识别、未知事件或年级、课时为负）；请更正后重报。身份证号：该行所填，"
             "便于找到是谁的记录。",
             f"{DUPLICATE}：同一学生在两所及以上学校有本学年在读学籍；各校各计一次，乡镇、全县合计只计一次。",
             "提示：该行已读入，但需核实（重复记录、非上课日缺勤、无学籍学生缺勤、案件缺少登记、冲正无原发放等）。"]
    left = left_rejected + left_findings
    if left:
        notes.append(f"另有 {left} 条问题所在文件涉及多个乡镇、无法确定属于哪个乡镇，只列在全县 forms.xlsx 的「数据问题」中。")
    return [
        TableSheet("数据问题", "数据问题清单", _PROBLEM_COLUMNS, _numbered(problems), subtitle=subtitle,
                   notes=notes),
        TableSheet("数据问题 文件读入", "台账文件读入情况", _FILE_COLUMNS, files, subtitle=subtitle,
                   notes=f"共读入 {read} 行：接受 {accepted} 行，拒绝 {refused} 行（读入 = 接受 + 拒绝）。"),
    ]
