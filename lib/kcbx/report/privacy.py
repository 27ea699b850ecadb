"""Masked identities and escaped tables for the reports leadership reads.

Care with the data (docs/architecture.md): reports for leadership show aggregates and
masked identities (张*明, ID 452626********123X); full identities appear only in
the working Excel forms that schools need to act on. Nothing from a ledger may
execute: not as an Excel formula, not as HTML.

Missing values (None, NaN, NA, NaT) become "" so a masked table shows a blank.

Free text (备注, 辍学原因, 去向, a rejected cell's value: any text kcbx does not type) is
masked too, by one function, ``Masker.__call__``, applied to every text cell of every
table in ``safe_table_html``:

- an ID-like run: 15 or more digits in a row, with an optional trailing X/x/Ｘ
  (451026201502154691, a 19-digit typo, a G + ID 学籍号, a bank card), or an ID
  written in groups split by one space or dash: 6-8-4 (451026 20150215 4691) and
  6-4-4-4 (the first group 6 digits or more, the last 3 digits and a digit or X). Kept:
  the first 6 characters and, from 18 on, the last 4 (451026********4691); the birth
  date never. Digits of any script (full-width ５) count as digits.
- a phone: a mobile 1[3-9] + 9 digits, also written 3-4-4 with spaces or dashes and
  after +86 (the +86 stays); a landline 0 + 2-3 digit area code + 7-8 digits, with or
  without a dash, a space or brackets (0827-1234567, (0827)1234567). Kept: the first 3
  and last 4 digits (139****5678). Digits around do not shield one: a mobile inside a
  longer run of digits is masked as well. A 7-8 digit local number without its area
  code is not recognisable in text and stays.
- a known name (the page's pupils and guardians, ``masker_of``): any occurrence of a
  name of 2 or more characters with at least one CJK character and no digit, masked
  like a name column (王一安 -> 王*安); names that overlap in the text are masked as one
  stretch. Kinship words and placeholders that ledgers put in a name cell (父亲, 奶奶,
  不详 …, ``NOT_NAMES``) are no names. A name inside a longer known place name of the
  page (a school, township or village: 马林 in 马林小学) is left, and so are whole columns of
  places (乡镇, 学校, 村) and of the officials who act, named on purpose (行政线责任人,
  教育线责任人, 送教教师: a cadre may share a guardian's name): ``KEEPS_NAMES``. IDs and
  phones are masked there too. A name written with blanks inside (王 一 安) is not
  recognised.

Columns whose header is an ID, a phone or a name (any ledger synonym: 公民身份号码,
证件号码, 监护人电话 …, and the county's own ``synonyms``: ``header_kind``) are masked
whole like their kind, in every table, also where a rejected row names the column it
came from.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import numbers
import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "COMPOUND_SURNAMES",
    "DEFAULT_ID_COLUMNS",
    "DEFAULT_NAME_COLUMNS",
    "DEFAULT_PHONE_COLUMNS",
    "KEEPS_NAMES",
    "NOT_NAMES",
    "PLACE_COLUMNS",
    "Masker",
    "header_kind",
    "known_names",
    "mask_frame",
    "mask_free_text",
    "mask_id",
    "mask_ids_in_text",
    "mask_name",
    "mask_phone",
    "masked_cells",
    "masker_of",
    "page_masker",
    "page_masking",
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
                    masker: Masker | None = None, **to_html_kwargs: Any) -> str:
    """df as an HTML table whose cell text is always masked and escaped.

    Every text cell passes ``masker`` (by default the page's, ``page_masker``) in
    ``masked_cells``: IDs, phones and known names in free text are masked, and a column
    headed as an ID, a phone or a name (``header_kind``) is masked whole unless it is
    masked already. Ledger text such as ``<script>alert(1)</script>`` stays text. Keyword
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
    table = masked_cells(df, masker or page_masker()).to_html(escape=True, **options)
    if table_attributes:
        extra = "".join(f' {html.escape(name)}="{html.escape(value)}"'
                        for name, value in table_attributes.items())
        table = table.replace("<table", "<table" + extra, 1)
    return table


# --- free text: IDs, phones and known names wherever they stand ------------------------------

# The patterns run on a copy of the text whose digits of any script (full-width ５, ٥ …) and
# full-width Ｘ are ASCII, character for character (``_ascii_digits``): spans are the same.
_DIGIT = "[0-9]"
_SEP = "[ \u00a0\u3000\\-\u2010\u2011\u2012\u2013\u2014\uff0d]"  # one space or dash between groups
_X = "[Xx]"
# In groups first (a run of digits glued before one is its first group), then a plain run.
_LAST_GROUP = f"{_DIGIT}{{3}}(?:{_DIGIT}|{_X})"
_ID_LIKE = (
    f"{_DIGIT}{{6,}}{_SEP}{_DIGIT}{{8}}{_SEP}{_LAST_GROUP}"                       # 451026 20150215 4691
    f"|{_DIGIT}{{6,}}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}{_SEP}{_LAST_GROUP}"   # 451026-2015-0215-4691
    f"|{_DIGIT}{{15,}}{_X}?"                                                      # 451026201502154691
)
_MOBILE = f"1[3-9]{_DIGIT}{_SEP}?{_DIGIT}{{4}}{_SEP}?{_DIGIT}{{4}}"    # 13912345678, 139 1234 5678
# A local number of 8 digits only where no digit follows: 0827-1234567 glued to 13912345678 is two.
_LANDLINE = f"[(（]?0{_DIGIT}{{2,3}}[)）]?{_SEP}?(?:{_DIGIT}{{8}}(?!{_DIGIT})|{_DIGIT}{{7}})"  # 0827-1234567
# IDs first, then mobiles, then landlines, each in what is left: a phone written with spaces
# must not eat the start of an ID beside it (139 451026201502154691) and leave its birth date
# in view, nor an area code the start of a mobile (0827 13912345678; a local number never
# starts with 1).
_ID_LIKE_IN_TEXT = re.compile(_ID_LIKE)
_MOBILE_IN_TEXT = re.compile(_MOBILE)
_LANDLINE_IN_TEXT = re.compile(_LANDLINE)
_ANY_DIGIT = re.compile(r"\d")  # a decimal digit of any script
# Every pattern above needs 10 digits or more, at most 2 characters apart: text without 7 such
# digits in a row (a count, a date, 687.5) is passed over at once.
_MAYBE_A_NUMBER = re.compile(r"\d(?:\D{0,2}\d){6}")


class _AsciiDigits(dict):
    """A str.translate table, filled as characters are met: a decimal digit of any script -> its
    ASCII digit, Ｘ/ｘ -> X/x, anything else unchanged (one character for one, so spans agree)."""

    def __missing__(self, codepoint: int) -> int | str:
        char = chr(codepoint)
        value = unicodedata.decimal(char, None)
        self[codepoint] = str(value) if value is not None else {"Ｘ": "X", "ｘ": "x"}.get(char, codepoint)
        return self[codepoint]


_ASCII_DIGITS = _AsciiDigits()


def _ascii_digits(text: str) -> str:
    return text.translate(_ASCII_DIGITS)


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

# What ledgers put in a name cell that is no name (a guardian's column holds 奶奶, 父亲, 不详):
# masking these would wreck ordinary text ("跟随奶奶生活").
NOT_NAMES: frozenset[str] = frozenset((
    "父亲", "母亲", "父母", "爸爸", "妈妈", "爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷",
    "祖父", "祖母", "外祖父", "外祖母", "哥哥", "姐姐", "弟弟", "妹妹", "叔叔", "阿姨", "伯伯",
    "伯父", "伯母", "舅舅", "舅妈", "姑姑", "姑父", "婶婶", "叔父", "本人", "自己", "家长",
    "监护人", "学生", "儿童", "不详", "未知", "暂无", "没有", "其他", "同上", "见上", "缺失",
))

# Header words of the identity columns (any ledger synonym: 公民身份号码, 证件号码, 监护人电话 …;
# tests/unit/report/test_free_text.py checks every synonym of kcbx.ingest's header lists).
# A phone is looked for first (电话号码 is a phone, not an ID), then an ID, then a name.
_HEADER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phone", ("电话", "手机", "联系方式")),
    ("id", ("身份", "证件", "证号", "学籍号", "学籍辅号", "学号", "号码")),
    ("name", ("姓名", "监护人", "家长")),
)
_CANONICAL_HEADERS = {"phone": "phone", "person_key": "id", "id_number": "id", "student_no": "id",
                      "name": "name", "guardian": "name"}
_MASK_OF_KIND: dict[str, Callable[[Any], str]] = {"id": mask_id, "phone": mask_phone, "name": mask_name}
# What mask_id, mask_phone and mask_name write: a value of that shape is not masked again (an
# ID's 452626********123X would become 45**************3X); a star elsewhere does not shield one.
_MASKED_SHAPE = {
    "id": re.compile(r"G?[0-9A-Z]{6}\*{8}[0-9A-Z]{4}|[^*]{0,2}\*+[^*]{0,2}"),
    "phone": re.compile(r"[^*]{0,3}\*+[^*]{0,4}"),
    "name": re.compile(r"[^*]{0,2}\*[^*]?"),
}
# Columns whose text no known name is masked in: places (ledger vocabulary, a pupil named 龙合
# must not turn 龙合镇 into 龙*镇) and the officials who act, named on purpose (a cadre may share
# a guardian's common name). IDs and phones are masked there too.
KEEPS_NAMES: frozenset[str] = frozenset((
    "township", "school", "schools", "village", "乡镇", "学校", "原学校", "村",
    "admin_owner", "edu_owner", "teacher", "行政线责任人", "教育线责任人", "送教教师", "包保干部", "包保教师",
))
# The columns of a page's tables that hold places: their names are protected in free text.
PLACE_COLUMNS: tuple[str, ...] = ("township", "school", "village")


def _header(label: Any) -> str:
    """A column header as compared: full-width folded, no blanks, no required-field star or colon."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(label))).strip("*:")


def header_kind(label: Any) -> str | None:
    """"id", "phone" or "name" when a column with this header holds identities, else None.

    Canonical columns (id_number, guardian …) by name; Chinese headers by their words, so
    every ledger synonym (身份证号码, 公民身份号码, 证件号码, 学籍辅号, 学生姓名, 监护人电话 …)
    and most a county invents (证件号) are known without a list.
    """
    text = _header(label)
    if text in _CANONICAL_HEADERS:
        return _CANONICAL_HEADERS[text]
    for kind, words in _HEADER_WORDS:
        if any(word in text for word in words):
            return kind
    return None


def _mask_id_like(compact: str) -> str:
    """A digit run read as an ID: the first 6 stay, and from 18 characters on the last 4."""
    if len(compact) >= 18:
        return compact[:6] + MASK * (len(compact) - 10) + compact[-4:]
    return compact[:6] + MASK * (len(compact) - 6)


def _mask_id_in_text(found: str) -> str:
    return _mask_id_like(re.sub(r"[^0-9X]", "", found.upper()))


def _mask_phone_in_text(found: str) -> str:
    # (0827)1234567 -> 082****4567: brackets, spaces and dashes go with the digits.
    return mask_phone(re.sub(r"[^0-9]", "", found))


def _replace(pattern: re.Pattern[str], mask: Callable[[str], str], text: str) -> str:
    """Each match of pattern in the ASCII-digit copy of text, masked (given the copy's match)."""
    parts, at = [], 0
    for match in pattern.finditer(_ascii_digits(text)):
        parts += [text[at:match.start()], mask(match.group(0))]
        at = match.end()
    return "".join(parts) + text[at:] if parts else text


def _name_or_none(value: Any) -> str | None:
    """A known name as matched in text, or None when it could wreck ordinary text."""
    if not isinstance(value, str):
        return None
    name = "".join(value.split())  # no blanks, as mask_name reads it
    if len(name) < 2 or name in NOT_NAMES or MASK in name or _ANY_DIGIT.search(name) or not _CJK.search(name):
        return None
    return name


class Masker:
    """Masks free text for leadership: ID-like runs, phone numbers and the known ``names``.

    Built once per page (``masker_of``): the names go into a set, indexed by their first
    character with the lengths that start there, so masking a text costs one set lookup per
    character that starts a name and per length, not one search per name (a county holds
    80,000 children and their guardians). A name inside one of the ``places`` (schools,
    townships, villages) where it stands in the text is left. ``header_synonyms`` (params
    ``synonyms``) adds a county's own headers to ``header_kind``.
    """

    def __init__(self, names: Iterable[Any] = (),
                 header_synonyms: Mapping[str, Iterable[str]] | None = None, places: Iterable[Any] = ()):
        self.names: frozenset[str] = frozenset(filter(None, map(_name_or_none, names)))
        self.places: frozenset[str] = frozenset(
            place for place in ("".join(p.split()) for p in places if isinstance(p, str)) if len(place) >= 2)
        self._lengths = _lengths_by_first(self.names)
        self._first = frozenset(self._lengths)
        self._place_lengths = _lengths_by_first(self.places)
        self._headers: dict[str, str] = {}
        for header, synonyms in (header_synonyms or {}).items():
            kind = header_kind(header)
            if kind:
                self._headers.update({_header(synonym): kind for synonym in synonyms})

    def __call__(self, text: Any, *, names: bool = True) -> str:
        """text with IDs, phones and (unless ``names=False``) known names masked; missing → ''."""
        if _is_missing(text):
            return ""
        text = str(text)
        if _MAYBE_A_NUMBER.search(text):
            text = _replace(_ID_LIKE_IN_TEXT, _mask_id_in_text, text)
            text = _replace(_MOBILE_IN_TEXT, _mask_phone_in_text, text)
            text = _replace(_LANDLINE_IN_TEXT, _mask_phone_in_text, text)
        if names and self.names and not self._first.isdisjoint(text):
            text = self._mask_names(text)
        return text

    def name_spans(self, text: str) -> list[tuple[int, int]]:
        """Where known names stand in text: every occurrence that is not inside a longer place
        name there (马林 in 马林小学; a village called 马林 does not shield the name), overlapping
        ones merged."""
        in_place = _longest_at_each(text, self.places, self._place_lengths) if self.places else []
        return _spans(text, self.names, self._lengths, skip=in_place)

    def _mask_span(self, span: str) -> str:
        masked = mask_name(span)
        # A kept compound surname that is a known name itself (a child called 欧阳): keep one character.
        kept = masked.split(MASK, 1)[0]
        return span[0] + MASK + span[-1] if kept in self.names else masked

    def _mask_names(self, text: str) -> str:
        parts, at = [], 0
        for start, end in self.name_spans(text):
            parts += [text[at:start], self._mask_span(text[start:end])]
            at = end
        return "".join(parts) + text[at:] if parts else text

    def header_kind(self, label: Any) -> str | None:
        """``header_kind``, knowing the county's own synonyms too."""
        return self._headers.get(_header(label)) or header_kind(label)

    def mask_by_header(self, label: Any, value: Any) -> Any:
        """value masked as its column's kind (an ID, a phone, a name), unchanged in any other
        column or when it is masked already; free text is masked with every cell (``masked_cells``)."""
        return _mask_as(self.header_kind(label), value)


def _mask_as(kind: str | None, value: Any) -> Any:
    if kind is None or _is_missing(value) or _MASKED_SHAPE[kind].fullmatch(str(value)):
        return value
    return _MASK_OF_KIND[kind](value)


def _lengths_by_first(words: frozenset[str]) -> dict[str, tuple[int, ...]]:
    """For each first character, the lengths of the words that start with it, longest first."""
    lengths: dict[str, set[int]] = {}
    for first, length in {(word[0], len(word)) for word in words}:
        lengths.setdefault(first, set()).add(length)
    return {first: tuple(sorted(found, reverse=True)) for first, found in lengths.items()}


def _longest_at_each(text: str, words: frozenset[str], lengths: Mapping[str, tuple[int, ...]]) -> list[tuple[int, int]]:
    """The longest of the words at each position of text, one span each (not merged: a name is
    shielded only by one place it stands in, not by two places that touch)."""
    found = []
    for i, char in enumerate(text):
        for length in lengths.get(char, ()):
            if i + length <= len(text) and text[i:i + length] in words:
                found.append((i, i + length))
                break
    return found


def _spans(text: str, words: frozenset[str], lengths: Mapping[str, tuple[int, ...]],
           skip: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Where words stand in text, overlapping occurrences merged; an occurrence inside one of
    the longer ``skip`` spans does not count (the longest at a position that is not, counts)."""
    spans: list[tuple[int, int]] = []
    start = end = 0
    for i, char in enumerate(text):
        for length in lengths.get(char, ()):  # longest first
            if i + length <= len(text) and text[i:i + length] in words and not any(a <= i and i + length <= b and b - a > length
                                                       for a, b in skip):
                if i < end:
                    end = max(end, i + length)
                else:
                    if end:
                        spans.append((start, end))
                    start, end = i, i + length
                break
    if end:
        spans.append((start, end))
    return spans


_NO_NAMES = Masker()


def mask_free_text(text: Any, names: Iterable[Any] = ()) -> str:
    """Free text with IDs, phones and the given names masked (``Masker``); missing → ''."""
    return (Masker(names) if names else _NO_NAMES)(text)


def mask_ids_in_text(text: Any) -> str:
    """Free text with every ID-like run and phone number in it masked; missing → ''."""
    return _NO_NAMES(text)


def known_names(page: Any, columns: Iterable[str] = DEFAULT_NAME_COLUMNS) -> set[str]:
    """Every pupil's and guardian's name in a page's tables: the ``columns`` of each DataFrame
    attribute of ``page`` (an Analysis: roster, school_age with its guardians, cases …); with
    ``columns=PLACE_COLUMNS``, every school, township and village."""
    found: set[str] = set()
    for value in getattr(page, "__dict__", {}).values():
        if isinstance(value, pd.DataFrame):
            for column in columns:
                if column in value.columns:
                    found.update(pd.unique(value[column].dropna()))
    return found


_MASKERS: dict[int, tuple[weakref.ref, Masker]] = {}


def masker_of(page: Any) -> Masker:
    """The Masker of a page's Analysis (its known names, its county's header synonyms), built
    once per Analysis and kept while the Analysis lives; ``None`` gives IDs and phones only."""
    if page is None:
        return _NO_NAMES
    key = id(page)
    kept = _MASKERS.get(key)
    if kept is not None and kept[0]() is page:
        return kept[1]
    params = getattr(page, "params", None)
    masker = Masker(known_names(page), getattr(params, "synonyms", None), known_names(page, PLACE_COLUMNS))

    def forget(gone: weakref.ref) -> None:  # the Analysis is gone: so is its Masker
        if _MASKERS.get(key, (None,))[0] is gone:
            del _MASKERS[key]

    try:
        _MASKERS[key] = (weakref.ref(page, forget), masker)
    except TypeError:  # an object without weak references (a test's SimpleNamespace): not kept
        pass
    return masker


_PAGE_MASKER: contextvars.ContextVar[Masker] = contextvars.ContextVar("kcbx_page_masker", default=_NO_NAMES)


def page_masker() -> Masker:
    """The Masker of the page being rendered (``page_masking``); outside one, IDs and phones only."""
    return _PAGE_MASKER.get()


@contextlib.contextmanager
def page_masking(page: Any) -> Iterator[Masker]:
    """Inside, every table (``safe_table_html``) masks the known names of ``page`` (an Analysis)."""
    token = _PAGE_MASKER.set(masker_of(page))
    try:
        yield _PAGE_MASKER.get()
    finally:
        _PAGE_MASKER.reset(token)


def _may_hold_text(column: pd.Series) -> bool:
    """Any column but dates and booleans: an ID read as a number is shown as digits too."""
    return not (pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column))


def masked_cells(df: pd.DataFrame, masker: Masker) -> pd.DataFrame:
    """df with every cell of text or a number masked: a column headed as an ID, a phone or a
    name whole (``Masker.mask_by_header``), then the free-text rules on every cell (no names in
    a column of KEEPS_NAMES). A cell that masking leaves as it was keeps its type (a count stays a
    number); df itself is left as it is."""
    masked: pd.DataFrame | None = None
    for position, label in enumerate(df.columns):
        column = df.iloc[:, position]
        if not _may_hold_text(column):
            continue
        kind, names = masker.header_kind(label), _header(label) not in KEEPS_NAMES

        def mask(value: Any, kind: str | None = kind, names: bool = names) -> Any:
            if isinstance(value, bool) or not isinstance(value, str | numbers.Real) or _is_missing(value):
                return value
            text = masker(str(_mask_as(kind, value)), names=names)
            return value if text == str(value) else text

        new = column.map(mask)
        if not new.equals(column):
            if masked is None:
                masked = df.copy()
            masked.isetitem(position, new)
    return df if masked is None else masked
