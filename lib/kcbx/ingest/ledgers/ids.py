"""Resident IDs (身份证号, GB 11643) and the person key, with stdnum.cn.ric.

The person key is the 18-character resident ID (身份证号, GB 11643, last character
a digit or X — a lower-case x is read as X — checksum valid). Where a pupil has
none, the 学籍号 keys them instead; a 学籍号 of the form G + ID is that ID. A row
whose ID is present but invalid is rejected, even when it has a 学籍号
(docs/ledgers.md, "Who a row is").

stdnum's ``validate`` also fails when the region code was not assigned in the
birth year, but counties get re-coded and old IDs stay valid: that case is a
warning here, never a rejection. Checksum and birth date are checked with
stdnum's own helpers so the two cases can be told apart.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

ID_LENGTH = 18
EARLIEST_BIRTH_YEAR = 1900  # an ID "born" before this is a typo, not a person

# Rejection reasons (shown to users as the rejected row's reason).
REASON_LENGTH = "身份证号应为18位"
REASON_FORMAT = "身份证号含非法字符"
REASON_CHECKSUM = "身份证号校验位错误"
REASON_BIRTH_DATE = "身份证号出生日期不存在"
REASON_FUTURE_BIRTH = "身份证号出生日期晚于今天"
REASON_NO_KEY = "缺少身份证号和学籍号"
# Warnings (findings; the row is kept).
WARNING_REGION = "身份证号地区码在出生年份未启用（可能为区划调整，已接受）"
WARNING_STUDENT_NO_MISMATCH = "学籍号中的身份证号与身份证号列不一致"
WARNING_G_STUDENT_NO_INVALID = "学籍号形如 G+身份证号，但其中的身份证号无效，按学籍号处理"


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one resident ID.

    ``number`` is the canonical form (upper-case X) when the ID is accepted,
    ``reason`` the rejection reason otherwise; ``warning`` may accompany an
    accepted ID.
    """

    number: str | None
    reason: str | None = None
    warning: str | None = None


CLEAN_ID = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: \d would accept other scripts


@functools.lru_cache(maxsize=4096)
def _region_known(region: str, birth_year: int) -> bool:
    """Whether stdnum knows the region code as assigned in that year.

    It depends on these two only, and a county's IDs share a handful of codes,
    so it is asked once per pair (stdnum's table lookup is slow beside the rest of the check).
    """
    try:
        ric.get_birth_place(f"{region}{birth_year:04d}0101000X")  # only code and year are read
    except ValidationError:
        return False
    return True


def check_resident_id(value: str, today: dt.date) -> IdCheck:
    """Check a resident ID: 18 characters, checksum valid, a real birth date not after today.

    A region code unknown for the birth year is a warning, not a rejection.
    """
    number = value.strip().upper()
    if not CLEAN_ID.match(number):
        # full-width digits and Ｘ (typed with a Chinese input method) are the ASCII ones
        # (NFKC; stdnum's compact does not fold them); spaces inside are typing noise
        number = ric.compact(unicodedata.normalize("NFKC", value)).replace(" ", "")
        if len(number) != ID_LENGTH:
            return IdCheck(None, REASON_LENGTH)
        if not CLEAN_ID.match(number):
            return IdCheck(None, REASON_FORMAT)
    if number[-1] != ric.calc_check_digit(number):
        return IdCheck(None, REASON_CHECKSUM)
    try:
        # what ric.get_birth_date does, without cleaning the number again (it is called per row)
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return IdCheck(None, REASON_BIRTH_DATE)
    if birth.year < EARLIEST_BIRTH_YEAR:
        return IdCheck(None, REASON_BIRTH_DATE)
    if birth > today:
        return IdCheck(None, REASON_FUTURE_BIRTH)
    if not _region_known(number[:6], birth.year):
        return IdCheck(number, warning=WARNING_REGION)
    return IdCheck(number)


@dataclass(frozen=True)
class PersonKey:
    """Who a ledger row is about: person_key, id_number, student_no (schema.PERSON).

    ``reason`` is set (and person_key is None) when the row must be rejected;
    ``reason_column`` then says which column ("id_number" or "student_no") is at fault.
    """

    person_key: str | None
    id_number: str | None
    student_no: str | None
    reason: str | None = None
    reason_column: str | None = None
    warning: str | None = None


def _id_inside_student_no(student_no: str) -> str | None:
    """The ID part of a 学籍号 of the form G + ID (unchecked), else None."""
    compact = unicodedata.normalize("NFKC", student_no).strip().upper()
    if len(compact) == ID_LENGTH + 1 and compact.startswith("G"):
        return compact[1:]
    return None


def resolve_person_key(id_number: str | None, student_no: str | None, today: dt.date) -> PersonKey:
    """The person key of a row: a valid ID, else the ID inside a G+ID 学籍号, else the 学籍号.

    Both inputs are cleaned text or None. A present but invalid ID rejects the
    row even when a 学籍号 is there; a row with neither is rejected.
    """
    inside = _id_inside_student_no(student_no) if student_no else None
    if id_number:
        checked = check_resident_id(id_number, today)
        if checked.number is None:
            return PersonKey(None, None, student_no, checked.reason, "id_number")
        warning = checked.warning
        if inside is not None and inside != checked.number and check_resident_id(inside, today).number:
            warning = warning or WARNING_STUDENT_NO_MISMATCH
        return PersonKey(checked.number, checked.number, student_no, warning=warning)
    if student_no:
        checked = check_resident_id(inside, today) if inside is not None else None
        if checked is not None and checked.number is not None:
            return PersonKey(checked.number, checked.number, student_no, warning=checked.warning)
        warning = WARNING_G_STUDENT_NO_INVALID if checked is not None else None
        return PersonKey(student_no, None, student_no, warning=warning)
    return PersonKey(None, None, None, REASON_NO_KEY, "id_number")
