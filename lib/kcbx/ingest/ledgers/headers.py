"""Chinese headers (and their synonyms) of each ledger kind, mapped to canonical columns.

The first name of each entry is the documented header (docs/ledgers.md); the rest are synonyms.
A county adds its own synonyms in its params file (``synonyms: {身份证号: [证件号]}``),
keyed by that first name; they apply to every ledger kind.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

# Headers shared by every kind that has them.
COMMON: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证件号"),
    "student_no": ("学籍号", "全国学籍号", "学籍辅号"),
    "name": ("姓名", "学生姓名", "儿童姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月日", "出生年月"),
    "township": ("乡镇", "乡(镇)", "乡镇(街道)", "所属乡镇"),
    "village": ("村", "村(社区)", "行政村", "村社区"),
    "school": ("学校", "学校名称", "就读学校"),
    "grade": ("年级", "就读年级"),
    "school_year": ("学年",),
    "date": ("日期",),
    "note": ("备注",),
}

# Headers of one kind: canonical column -> (documented header, synonyms...).
BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "roster": {
        "class_name": ("班级", "班别"),
        "boarding": ("是否寄宿", "寄宿", "是否寄宿生"),
        "status": ("学籍状态", "状态"),
        "left_behind": ("留守儿童", "是否留守儿童"),
        "migrant": ("随迁子女", "是否随迁子女"),
    },
    "population": {
        "guardian": ("监护人", "监护人姓名"),
        "phone": ("联系电话", "电话", "监护人电话"),
    },
    "poverty": {
        "category": ("类别", "户类别", "帮扶类别"),
    },
    "disability": {
        "disability_type": ("残疾类别", "残疾类型"),
        "disability_level": ("残疾等级",),
        "placement": ("安置方式", "安置情况"),
    },
    "absence": {
        "date": ("日期", "缺勤日期"),
        "absence_type": ("缺勤类型", "缺勤原因类型", "类型"),
        # Optional, not stored: a row with 天数 n stands for n consecutive school days from its
        # 日期 (normalize expands it into n absence rows; blank = 1).
        "days": ("天数", "缺勤天数"),
        # Not stored (the absence table keeps no name): read to recognise a 零报告 row, whose
        # 姓名 may read 无缺勤 (schema.ZERO_REPORT_WORDS).
        "name": COMMON["name"],
    },
    "cases": {
        "date": ("日期", "事件日期"),
        "event": ("事件", "事项"),
        "cause": ("辍学原因",),
        "destination": ("去向",),
        "admin_owner": ("行政线责任人", "包保干部"),
        "edu_owner": ("教育线责任人", "包保教师"),
        "method": ("劝返方式",),
        "placement": ("安置方式",),
    },
    "home_teaching": {
        "date": ("日期", "送教日期"),
        "hours": ("课时", "课时数"),
        "teacher": ("送教教师", "教师"),
    },
    "subsidy": {
        "term": ("学期",),
        "item": ("项目", "资助项目"),
        "amount": ("金额", "金额(元)", "发放金额"),
    },
    "enrollment": {
        "enrolled": ("在校生数",),
        "repeaters": ("留级生数",),
        "graduates": ("毕业生数",),
    },
    "verification": {
        "result": ("核查结果", "核查情况"),
        "evidence": ("佐证", "佐证材料", "证明材料"),
        "checked_by": ("核查人", "核查人员"),
        "date": ("核查日期", "日期"),
    },
}

# Columns a file must have (a header, or one of its synonyms), per kind.
# Either id_number or student_no must be present where a person is keyed.
REQUIRED: dict[str, tuple[str, ...]] = {
    "roster": ("township", "school", "grade"),
    "population": ("township",),
    "poverty": (),
    "disability": (),
    "absence": ("date", "absence_type"),
    "cases": ("date", "event"),
    "home_teaching": ("date", "hours"),
    "subsidy": ("term", "amount"),
    "enrollment": ("school_year", "township", "school", "grade", "enrolled"),
    "verification": ("result", "date"),
}

PERSON_KEYED = ("roster", "population", "poverty", "disability", "absence", "cases",
                "home_teaching", "subsidy", "verification")


@functools.lru_cache(maxsize=4096)  # header rows repeat across a county's files
def normalize_header(text: object) -> str:
    """A header cell reduced to what matters for matching.

    Full-width characters become half-width (（）-> ()), spaces and line breaks
    inside the cell go, and a required-field star or trailing colon is dropped.
    """
    if not isinstance(text, str):
        return ""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", folded).strip("*:")


@functools.cache
def _all_header_names() -> frozenset[str]:
    names = {n for entry in COMMON.values() for n in entry}
    names |= {n for by_col in BY_KIND.values() for entry in by_col.values() for n in entry}
    return frozenset(normalize_header(n) for n in names)


def is_known_header(text: object) -> bool:
    """Whether a header cell names a column kcbx knows in any kind (姓名 in an absence ledger,
    which keeps no name): a column not needed here, never an unknown one."""
    return normalize_header(text) in _all_header_names()


def unknown_synonym_keys(synonyms: Mapping[str, Iterable[str]]) -> list[str]:
    """Keys of the params file's ``synonyms`` that are no known header (they would do nothing)."""
    known = _all_header_names()
    return [key for key in synonyms if normalize_header(key) not in known]
