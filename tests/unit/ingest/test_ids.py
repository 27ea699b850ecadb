"""Resident-ID rules (kcbx.ingest.ledgers.ids): checksum, birth date, region, person key."""

import datetime as dt

import pytest

from kcbx.ingest.ledgers import ids

TODAY = dt.date(2025, 1, 1)
# GB 11643's own example: Beijing 朝阳 (110105), born 1949-12-31, sequence 002, check digit X.
STANDARD_EXAMPLE = "11010519491231002X"
# 110105, born 2010-03-01, sequence 001: weighted sum 85, (12 - 85 % 11) % 11 = 4.
PUPIL = "110105201003010014"


def test_standard_example_is_valid():
    assert ids.check_resident_id(STANDARD_EXAMPLE, TODAY) == ids.IdCheck(STANDARD_EXAMPLE)


def test_lower_case_x_is_read_as_upper_case():
    assert ids.check_resident_id("11010519491231002x", TODAY).number == STANDARD_EXAMPLE


def test_spaces_inside_an_id_are_typing_noise():
    assert ids.check_resident_id(" 110105 20100301 0014 ", TODAY).number == PUPIL


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", ids.REASON_CHECKSUM),  # the example with its X replaced by 1
        ("1101051949123100", ids.REASON_LENGTH),  # 16 characters
        ("11010519491231002Y", ids.REASON_FORMAT),
        # 2021-02-30 does not exist; check digit 1 is right for this body, so only the date fails
        ("110105202102300011", ids.REASON_BIRTH_DATE),
        # born 2030-01-01, after TODAY; check digit X is right for this body
        ("11010520300101001X", ids.REASON_FUTURE_BIRTH),
    ],
)
def test_invalid_ids_are_rejected_with_their_reason(value, reason):
    assert ids.check_resident_id(value, TODAY) == ids.IdCheck(None, reason)


def test_unknown_region_is_a_warning_not_a_rejection():
    # 999999 is no county at all; checksum (X) and birth date 2010-03-01 are fine.
    checked = ids.check_resident_id("99999920100301001X", TODAY)
    assert checked.number == "99999920100301001X"
    assert checked.warning == ids.WARNING_REGION


def test_region_recoded_before_the_birth_year_is_a_warning():
    # stdnum's table knows 452626 (靖西县) only up to 2002; a child born 2012 keeps the row.
    checked = ids.check_resident_id("452626201205150022", TODAY)
    assert (checked.number, checked.warning) == ("452626201205150022", ids.WARNING_REGION)


def test_person_key_is_the_id_when_present():
    key = ids.resolve_person_key(PUPIL, "L2021000123", TODAY)
    assert (key.person_key, key.id_number, key.student_no, key.reason) == (PUPIL, PUPIL, "L2021000123", None)


def test_student_no_keys_a_pupil_without_id():
    key = ids.resolve_person_key(None, "L2021000123", TODAY)
    assert (key.person_key, key.id_number, key.student_no) == ("L2021000123", None, "L2021000123")


def test_student_no_g_plus_id_is_that_id():
    key = ids.resolve_person_key(None, "G" + PUPIL, TODAY)
    assert (key.person_key, key.id_number, key.student_no) == (PUPIL, PUPIL, "G" + PUPIL)


def test_student_no_g_plus_invalid_id_stays_a_student_no_with_a_warning():
    key = ids.resolve_person_key(None, "G110105201003010010", TODAY)  # checksum should be 4
    assert (key.person_key, key.id_number, key.reason) == ("G110105201003010010", None, None)
    assert key.warning == ids.WARNING_G_STUDENT_NO_INVALID


def test_invalid_id_rejects_the_row_even_with_a_student_no():
    key = ids.resolve_person_key("110105201003010010", "G" + PUPIL, TODAY)
    assert (key.person_key, key.reason, key.reason_column) == (None, ids.REASON_CHECKSUM, "id_number")


def test_row_with_neither_id_nor_student_no_is_rejected():
    key = ids.resolve_person_key(None, None, TODAY)
    assert (key.person_key, key.reason) == (None, ids.REASON_NO_KEY)


def test_student_no_carrying_another_id_is_a_warning():
    key = ids.resolve_person_key(STANDARD_EXAMPLE, "G" + PUPIL, TODAY)
    assert (key.person_key, key.warning) == (STANDARD_EXAMPLE, ids.WARNING_STUDENT_NO_MISMATCH)
