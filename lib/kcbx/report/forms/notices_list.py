"""文书清单: the documents the law asks for, one row each, as the township writes them under
``文书/`` (``kcbx.report.notices``), for the officer who prints, stamps and delivers them.

``document_list`` decides which documents there are and what each says, from the analysis
alone: ``kcbx.report.notices`` writes the .docx files from these very rows, so the list and the
folder never disagree.

- 限期复学通知书 (seed 004: after 5 days "由政府向监护人发出《限期复学通知书》，要求7天内务必返校"):
  one for every pupil at the ladder's top rung with an open case and no notice yet
  (``kcbx.measures.cases.notices_missing``, finding NOTICE_NOT_ISSUED). Dated as_of; the child
  must be back ``notice_days`` days after delivery, the day carried past holidays and days off
  to the next school day (``kcbx.measures.cases.notice_deadline``). Once delivered, its number
  and date go into the case log as the 发出限期复学通知书 event, and the pupil leaves the list.
- 童工情况通报函 (seed 000: "对外出打工的未满16周岁的辍学学生 … 及时向务工地公安、人社部门通报"):
  one for every row of the compliance rule child_labour (``kcbx.measures.compliance``), addressed
  to the place of work's education, human-resources and police departments.

A township's only: the county's forms.xlsx sums the townships and has no such sheet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.cases import NO_OPEN_CASE, NOTICE_EVENT, NOTICE_NOT_ISSUED, notice_deadline
from kcbx.measures.compliance import known_birth_dates
from kcbx.measures.matching import age_on
from kcbx.outputs import NOTICES_DIR, notice_file
from kcbx.report.excel import BLANK_FOR_HANDWRITING, Column, TableSheet
from kcbx.report.forms.cases import _grade_and_class
from kcbx.report.forms.common import ID_OR_STUDENT_NO, NUMBER, _is_blank, _numbered, _official_table, _people
from kcbx.util.text import hidden

NOTICE = "限期复学通知书"
LABOUR_LETTER = "童工情况通报函"
DOCUMENTS = (NOTICE, LABOUR_LETTER)  # in the order the list and the folder give them
CHILD_LABOUR_RULE = "child_labour"  # kcbx.measures.compliance.RULES
# 文书编号's word for each document: "城厢镇限复〔2021〕1015-01号".
_NUMBER_WORDS = {NOTICE: "限复", LABOUR_LETTER: "童工通"}
NOTICE_METHOD = "法治"  # 劝返方式 of the notice's event: 法治手段兜底

DOCUMENT_COLUMNS = [
    "document", "seq", "doc_number", "file_name", "person_key", "case_id", "name", "gender", "id_label",
    "id_value", "school", "grade_class", "guardian", "phone", "address", "streak", "streak_start",
    "last_absent", "issued", "due", "due_moved", "cause", "destination", "born", "age",
    "opened", "owners", "reason", "log_entry",
]


def clean(value: Any) -> str | None:
    """Ledger text for a printed document: on one line, without a character that would not be
    seen as itself (controls, bidi, zero-width: ``kcbx.util.text.hidden``, which a .docx could not
    even hold); None for a blank."""
    if _is_blank(value):
        return None
    text = "".join(" " if hidden(char) else char for char in str(value))
    return " ".join(text.split()) or None


def or_handwriting(value: Any) -> str:
    """The value, or a line to fill in by hand when the ledgers do not give it."""
    return clean(value) or BLANK_FOR_HANDWRITING


def chinese_date(day: Any) -> str:
    """2021-10-15 -> "2021年10月15日"."""
    day = pd.Timestamp(day)
    return f"{day.year}年{day.month}月{day.day}日"


def log_entry(number: str, notice_days: int) -> str:
    """What the officer writes into the case log once a notice is delivered."""
    return (f"送达后在劝返台账登记一条：日期＝送达日期，事件＝{NOTICE_EVENT}，劝返方式＝{NOTICE_METHOD}，"
            f"备注＝{number}（此后不再生成该生的通知书，{notice_days}日期限自送达日期起算）")


def _with_guardians(analysis: Analysis, people: pd.DataFrame) -> pd.Series:
    """person_key → 监护人: the population register's (``_people``: the township's school-age
    children), else the one the 预警名单 found in the county's register."""
    warned = analysis.early_warning
    if "guardian" in warned.columns and len(warned):
        fallback = warned.drop_duplicates("person_key").set_index("person_key")["guardian"]
        return people["guardian"].where(people["guardian"].map(lambda v: not _is_blank(v)),
                                         fallback.reindex(people.index))
    return people["guardian"]


def _owners(case: pd.Series | None) -> str | None:
    if case is None:
        return None
    parts = [f"{label}：{clean(case.get(column))}" for column, label in
             (("admin_owner", "包保干部"), ("edu_owner", "包保教师")) if clean(case.get(column))]
    return "；".join(parts) or None


def _child(people: pd.DataFrame, guardians: pd.Series, key: str) -> dict[str, Any]:
    """Who the child is, from ``_people`` (roster, then population register, then case events)."""
    known = people.loc[key] if key in people.index else pd.Series(dtype=object)
    id_number, student_no = clean(known.get("id_number")), clean(known.get("student_no"))
    id_label, id_value = ("身份证号", id_number) if id_number else ("学籍号", student_no or clean(key))
    address = "".join(part for part in (clean(known.get("home_township")), clean(known.get("village"))) if part)
    return {
        "person_key": key, "name": clean(known.get("name")), "gender": clean(known.get("gender")),
        "id_label": id_label, "id_value": id_value, "school": clean(known.get("school")),
        "grade_class": _grade_and_class(known.get("grade"), known.get("class_name")),
        "guardian": clean(guardians.get(key)), "phone": clean(known.get("phone")), "address": address or None,
    }


def _open_case(analysis: Analysis, key: str) -> pd.Series | None:
    """The pupil's latest open case among the township's (None: registered in another township)."""
    mine = analysis.cases[analysis.cases["person_key"].eq(key) & analysis.cases["state"].eq("open")]
    return None if mine.empty else mine.sort_values("opened", kind="stable").iloc[-1]


def _notice_rows(analysis: Analysis, people: pd.DataFrame, guardians: pd.Series) -> list[dict]:
    params, as_of = analysis.params, analysis.as_of
    top = max(params.escalation)
    days = pd.DatetimeIndex(analysis.school_days).as_unit("ns")
    nominal = pd.Series([pd.Timestamp(as_of) + pd.Timedelta(days=params.notice_days)], dtype="datetime64[ns]")
    due = notice_deadline(nominal, days).iloc[0]
    moved = None if due == nominal.iloc[0] else f"{chinese_date(nominal.iloc[0])}遇节假日，顺延至{chinese_date(due)}"
    missing = analysis.notices_missing
    rows = []
    for _, streak in missing[missing["finding"].eq(NOTICE_NOT_ISSUED)].iterrows():
        key = streak["person_key"]
        child = _child(people, guardians, key)
        child["school"] = child["school"] or clean(streak.get("school"))
        case = _open_case(analysis, key)
        start, last = pd.Timestamp(streak["streak_start"]), pd.Timestamp(streak["last_absent"])
        rows.append({
            **child, "document": NOTICE, "case_id": None if case is None else case["case_id"],
            "streak": int(streak["streak"]), "streak_start": start, "last_absent": last,
            "issued": pd.Timestamp(as_of), "due": due, "due_moved": moved,
            "cause": None if case is None else clean(case.get("cause")),
            "destination": None if case is None else clean(case.get("destination")),
            "opened": None if case is None else pd.Timestamp(case["opened"]),
            "owners": _owners(case),
            "reason": (f"自{chinese_date(start)}起连续无故缺勤{int(streak['streak'])}个上课日"
                       f"（达{top}天为最高一级），已登记辍学案件，尚未发出{NOTICE}"),
        })
    return rows


def _labour_rows(analysis: Analysis, people: pd.DataFrame, guardians: pd.Series) -> list[dict]:
    """One row per row of the compliance rule child_labour: the rule is not written twice."""
    flagged = analysis.compliance[analysis.compliance["rule"].eq(CHILD_LABOUR_RULE)]
    if flagged.empty:
        return []
    cases = analysis.cases.set_index("case_id")
    born = known_birth_dates(analysis.roster, analysis.school_age)
    rows = []
    for _, row in flagged.iterrows():
        key = row["person_key"]
        case = cases.loc[row["case_id"]] if row["case_id"] in cases.index else None
        child = _child(people, guardians, key)
        child["name"] = child["name"] or clean(row.get("name"))
        child["school"] = child["school"] or clean(row.get("school"))
        # 出生日期 from the registers, else the ID's (as the rule ages the child: ``age_on``).
        ids = pd.Series([key if len(str(key)) == 18 else None], dtype=object)
        birth = pd.Series([born.get(key, pd.NaT)], dtype="datetime64[ns]")
        birth_day = birth.fillna(pd.to_datetime(ids.astype("string").str.slice(6, 14), format="%Y%m%d",
                                                errors="coerce")).iloc[0]
        age = age_on(birth, ids, analysis.as_of).iloc[0]
        rows.append({
            **child, "document": LABOUR_LETTER, "case_id": row["case_id"], "issued": pd.Timestamp(analysis.as_of),
            "cause": None if case is None else clean(case.get("cause")),
            "destination": None if case is None else clean(case.get("destination")),
            "opened": None if case is None else pd.Timestamp(case["opened"]),
            "born": None if pd.isna(birth_day) else pd.Timestamp(birth_day),
            "age": None if pd.isna(age) else int(age),
            "owners": clean(row.get("owners")),
            "reason": clean(row["fact"]),
        })
    return rows


def document_list(analysis: Analysis, people: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every document the township's 文书/ holds, one row each (DOCUMENT_COLUMNS), notices first,
    then letters, each by school, class and child; empty for the county.

    doc_number: 文书编号, "<乡镇>限复〔<year>〕<MMDD>-<nn>号" (nn counts the document's rows; the
    same as_of gives the same numbers); file_name: ``kcbx.outputs.notice_file``; issued: as_of,
    the date the document is signed; due: a notice's deadline, delivered on that day; log_entry:
    what goes back into the case log once a notice is delivered.
    """
    if analysis.township is None:
        return pd.DataFrame(columns=DOCUMENT_COLUMNS)
    people = _people(analysis) if people is None else people
    guardians = _with_guardians(analysis, people)
    records = [*_notice_rows(analysis, people, guardians), *_labour_rows(analysis, people, guardians)]
    # Column by column as objects: a notice's streak stays 5 beside a letter's None (never 5.0, NaN).
    found = pd.DataFrame({column: pd.Series([record.get(column) for record in records], dtype=object)
                          for column in DOCUMENT_COLUMNS})
    if found.empty:
        return found
    order = found["document"].map({document: n for n, document in enumerate(DOCUMENTS)})
    found = (found.assign(_order=order, _school=found["school"].fillna(""), _class=found["grade_class"].fillna(""))
             .sort_values(["_order", "_school", "_class", "person_key"], kind="stable")
             .drop(columns=["_order", "_school", "_class"]).reset_index(drop=True))
    found["seq"] = found.groupby("document").cumcount() + 1
    day: dt.date = analysis.as_of
    found["doc_number"] = [f"{analysis.township}{_NUMBER_WORDS[document]}〔{day.year}〕{day:%m%d}-{seq:02d}号"
                       for document, seq in zip(found["document"], found["seq"])]
    found["file_name"] = [notice_file(document, seq, school)
                          for document, seq, school in zip(found["document"], found["seq"], found["school"])]
    found["log_entry"] = [log_entry(number, analysis.params.notice_days) if document == NOTICE else
                          "发出后存档（劝返台账无此事件：该生仍列入合规检查“未满16周岁外出务工”时，每次运行都会生成本函）"
                          for document, number in zip(found["document"], found["doc_number"])]
    return found[DOCUMENT_COLUMNS]


_LIST_COLUMNS = [
    NUMBER,
    Column("文书", "document", width=14),
    Column("文书编号", "doc_number", width=24),
    Column(f"文件（{NOTICES_DIR}/）", "file_name", width=30),
    Column("学校", "school"),
    Column("姓名", "name"),
    Column(ID_OR_STUDENT_NO, "person_key"),
    Column("年级班级", "grade_class"),
    Column("监护人", "guardian"),
    Column("事由", "reason", width=36),
    Column("落款日期", "issued", kind="date"),
    Column("限期返校日期", "due", kind="date"),
    Column("送达（发出）日期", "delivered", width=12),
    Column("送达后登记", "log_entry", width=40),
]


def _notices_list_sheets(analysis: Analysis, people: pd.DataFrame | None = None,
                         documents: pd.DataFrame | None = None) -> list[TableSheet]:
    """文书清单, a township's only (the county's forms.xlsx: none): every document of its 文书/,
    what it is about, and what to do once it is delivered; a blank 送达日期 to fill by hand.
    ``documents``: ``document_list``'s rows, when the caller has them already."""
    if analysis.township is None:
        return []
    params = analysis.params
    documents = document_list(analysis, people) if documents is None else documents
    rows = documents.assign(guardian=documents["guardian"].fillna(f"{BLANK_FOR_HANDWRITING}（户籍台账无，请核实）"),
                            delivered=None)
    top = max(params.escalation)
    counts = documents["document"].value_counts()
    notes = [
        f"文书在本报告文件夹的“{NOTICES_DIR}”中，每份一个 Word 文件（.docx）：含学生全名和身份证号，仅供经办人员使用，"
        "不得转发、公开。文件名不含姓名，按本表对照。",
        f"{NOTICE}（{int(counts.get(NOTICE, 0))} 份）：连续无故缺勤达{top}天（最高一级）、已登记辍学案件、尚未发出通知书"
        f"的学生各一份（《中华人民共和国义务教育法》第五条、第五十八条）。打印，加盖{analysis.township}人民政府公章，"
        f"送达监护人，存根联存档；送达后在劝返台账登记：日期＝送达日期，事件＝{NOTICE_EVENT}，"
        f"劝返方式＝{NOTICE_METHOD}，备注＝文书编号。kcbx 读到此条后不再生成该生的通知书，"
        f"并自送达日期起计{params.notice_days}日返校期限（遇节假日顺延）。",
        f"限期返校日期按落款当日送达计算（{params.notice_days}日后，遇节假日、休息日顺延至其后第一个上课日）；"
        "送达晚于落款的，期限自送达之日起算。",
        f"{LABOUR_LETTER}（{int(counts.get(LABOUR_LETTER, 0))} 份）：合规检查“未满16周岁外出务工”所列学生各一份，"
        "发往务工地教育、人社、公安部门，由乡镇人民政府和县教育局盖章。",
    ]
    without_case = int(analysis.notices_missing["finding"].eq(NO_OPEN_CASE).sum())
    if without_case:
        notes.append(f"另有 {without_case} 名学生连续无故缺勤达{top}天但尚未登记辍学案件：须先登记案件"
                     f"（见合规检查），下次运行即生成其{NOTICE}。")
    if documents.empty:
        notes.insert(0, "本期无需发出的文书。")
    return [_official_table(analysis, "文书清单", "控辍保学文书清单", _LIST_COLUMNS, _numbered(rows), notes=notes)]
