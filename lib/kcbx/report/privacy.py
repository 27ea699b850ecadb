"""Masked identities and escaped tables for the reports leadership reads.

Care with the data (docs/architecture.md): reports for leadership show aggregates and
masked identities (张*明, ID 452626********123X); full identities appear only in
the working Excel forms that schools need to act on. Nothing from a ledger may
execute: not as an Excel formula, not as HTML.

Missing values (None, NaN, NA, NaT) become "" so a masked table shows a blank.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "COMPOUND_SURNAMES",
    "DEFAULT_ID_COLUMNS",
    "DEFAULT_NAME_COLUMNS",
    "DEFAULT_PHONE_COLUMNS",
    "mask_frame",
    "mask_id",
    "mask_name",
    "mask_phone",
    "safe_table_html",
]

MASK = "*"

# Two-character surnames (复姓) still met today; the name keeps them whole.
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙",
    "长孙", "宇文", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "司徒", "司空",
    "澹台", "公冶", "太史", "申屠", "钟离", "闻人", "赫连", "东郭", "百里", "呼延",
    "万俟", "单于", "濮阳", "淳于", "拓跋", "左丘", "第五", "东门", "羊舌", "微生",
)

DEFAULT_NAME_COLUMNS: tuple[str, ...] = ("name", "guardian")
DEFAULT_ID_COLUMNS: tuple[str, ...] = ("person_key", "id_number", "student_no")
DEFAULT_PHONE_COLUMNS: tuple[str, ...] = ("phone",)

_RESIDENT_ID = re.compile(r"\d{17}[\dX]")
# 学籍号 of the form G + resident ID (docs/ledgers.md: "a 学籍号 of the form G + ID is that ID").
_G_PLUS_ID = re.compile(r"G\d{17}[\dX]")


def _is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT (pandas decides); never true for a list or other container."""
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _clean(value: Any) -> str:
    """The value as text without surrounding or inner blanks ("" when missing)."""
    return "" if _is_missing(value) else re.sub(r"\s+", "", str(value))


def mask_name(name: Any) -> str:
    """张三明 -> 张*明: keep the surname and the last character, mask the rest.

    The surname is one character, or two for a compound surname (欧阳建华 ->
    欧阳*华). A given name of one character is masked whole (张三 -> 张*,
    欧阳华 -> 欧阳*), a one-character name becomes "*". One star stands for any
    number of masked characters, so the mask does not reveal the name's length.
    """
    text = _clean(name)
    if not text:
        return ""
    if len(text) == 1:
        return MASK
    compound = len(text) >= 3 and text.startswith(COMPOUND_SURNAMES)
    surname, given = (text[:2], text[2:]) if compound else (text[:1], text[1:])
    if len(given) == 1:
        return surname + MASK
    return surname + MASK + given[-1]


def mask_id(value: Any) -> str:
    """45262620100101123X -> 452626********123X: the region and the last 4 stay.

    The 8 birth-date digits are always hidden. A 学籍号 G + ID is masked the same
    way behind its G (G452626********123X); any other 学籍号 keeps its first 2
    and last 2 characters with one star for each character between (4
    characters or fewer: all stars). A lower-case x is read as X.
    """
    text = _clean(value).upper()
    if _RESIDENT_ID.fullmatch(text):
        return text[:6] + MASK * 8 + text[-4:]
    if _G_PLUS_ID.fullmatch(text):
        return "G" + mask_id(text[1:])
    if len(text) <= 4:
        return MASK * len(text)
    return text[:2] + MASK * (len(text) - 4) + text[-2:]


def mask_phone(value: Any) -> str:
    """13812341234 -> 138****1234: the first 3 and last 4 stay, 4 stars between.

    Numbers shorter than 8 characters (a local number without its area code)
    are masked whole, one star per character.
    """
    text = _clean(value)
    if len(text) < 8:
        return MASK * len(text)
    return text[:3] + MASK * 4 + text[-4:]


def _mask_column(column: pd.Series, mask: Callable[[Any], str]) -> pd.Series:
    # Mask each distinct value once: ledgers repeat guardians, schools' IDs recur.
    distinct = pd.unique(column.dropna())
    masked = {value: mask(value) for value in distinct}
    return column.map(masked).astype(object).fillna("")  # an all-blank column is float NaN


def mask_frame(
    df: pd.DataFrame,
    name_columns: Iterable[str] = DEFAULT_NAME_COLUMNS,
    id_columns: Iterable[str] = DEFAULT_ID_COLUMNS,
    phone_columns: Iterable[str] = DEFAULT_PHONE_COLUMNS,
) -> pd.DataFrame:
    """A copy of df with its identity columns masked for a leadership report.

    Names with mask_name, IDs and 学籍号 with mask_id, phone numbers with
    mask_phone. Listed columns that df lacks are skipped, so the defaults fit
    any ledger kind. Masked columns hold text; missing values become "".
    """
    masked = df.copy()
    for columns, mask in (
        (name_columns, mask_name),
        (id_columns, mask_id),
        (phone_columns, mask_phone),
    ):
        for column in columns:
            if column in masked.columns:
                masked[column] = _mask_column(masked[column], mask)
    return masked


def safe_table_html(df: pd.DataFrame, *, table_attributes: Mapping[str, str] | None = None,
                    **to_html_kwargs: Any) -> str:
    """df as an HTML table whose cell text is always escaped.

    Ledger text such as ``<script>alert(1)</script>`` stays text. Keyword
    arguments go to ``DataFrame.to_html``; the defaults are index=False,
    na_rep="" and border=0. ``escape=False`` is refused, and so is
    ``render_links=True`` (ledger text must not become a link either).
    ``table_attributes`` are added, escaped, to the ``<table>`` tag
    (``data-ascending-first`` for the sorter).
    """
    if to_html_kwargs.pop("escape", True) is not True:
        raise ValueError("safe_table_html always escapes; escape=False is not allowed")
    if to_html_kwargs.get("render_links"):
        raise ValueError("safe_table_html does not turn ledger text into links")
    options = {"index": False, "na_rep": "", "border": 0, **to_html_kwargs}
    table = df.to_html(escape=True, **options)
    if table_attributes:
        extra = "".join(f' {html.escape(name)}="{html.escape(value)}"'
                        for name, value in table_attributes.items())
        table = table.replace("<table", "<table" + extra, 1)
    return table


# An 18-character resident ID (or its G-prefixed 学籍号) inside free text, such as a finding's detail.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])G?\d{17}[\dXx](?![0-9A-Za-z])")


def mask_ids_in_text(text: Any) -> str:
    """Free text with every resident ID in it masked like mask_id; missing → ''."""
    if _is_missing(text):
        return ""
    return _ID_IN_TEXT.sub(lambda match: mask_id(match.group(0)), str(text))
