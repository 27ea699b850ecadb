"""Dates as people write them: the one parser for every date kcbx is given (the command line,
the params file, notebooks' parameters, kcbx.explore).

Accepted, with or without leading zeros: 2021-10-15, 2021-10-5, 2021/10/15, 2021.10.15,
2021年10月15日, and eight digits 20211015 (as text or a number). Full-width digits and separators (２０２１／１０／１５,
as a Chinese input method types them) are read as their ASCII forms. Anything else is one
line naming the parameter and an example::

    as_of 应为日期，如 2021-10-15（收到 '15/10/2021'）
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from kcbx.util.errors import OneLineError

__all__ = ["EXAMPLE", "NotADate", "parse_date"]

EXAMPLE = "2021-10-15"

# year, month, day with one separator used twice (2021-10-5, 2021/10/15, 2021.10.15),
# the Chinese 年月日, or eight digits with none.
_WITH_SEPARATOR = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_EIGHT_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")


class NotADate(OneLineError, ValueError):
    """A value given as a date that is none: its message is one line naming the parameter."""

    def __init__(self, value: object, name: str = "as_of"):
        self.value = value
        self.name = name
        what = f"{name} 应为日期" if name else "应为日期"
        super().__init__(f"{what}，如 {EXAMPLE}（收到 {_shown(value)}）")


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else "'" + value + "'"
    # One line, short: a pasted paragraph must not become the message.
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…'"


def parse_date(value: object, name: str = "as_of") -> dt.date:
    """The date ``value`` names: a date (a datetime's date), or text in one of the spellings
    above. Raises NotADate, naming ``name``, for anything else (an impossible day such as
    2021-02-30 included)."""
    if isinstance(value, dt.datetime):  # a pandas Timestamp is one too
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # 20211015 unquoted in YAML or a notebook cell
    if not isinstance(value, str):
        raise NotADate(value, name)
    text = unicodedata.normalize("NFKC", value).strip()  # full-width ２０２１／１０／１５ too
    for pattern, groups in ((_WITH_SEPARATOR, (1, 3, 4)), (_CHINESE, (1, 2, 3)), (_EIGHT_DIGITS, (1, 2, 3))):
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(match.group(group)) for group in groups)
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise NotADate(value, name)
