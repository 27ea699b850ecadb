"""Masked identities for leadership reports, and tables whose text never runs as HTML."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from kcbx.report.privacy import (
    COMPOUND_SURNAMES,
    mask_frame,
    mask_id,
    mask_ids_in_text,
    mask_name,
    mask_phone,
    safe_table_html,
)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),      # surname and last character stay
        ("张三", "张*"),          # a one-character given name is masked whole
        ("欧阳建华", "欧阳*华"),  # compound surname kept whole
        ("欧阳华", "欧阳*"),      # compound surname, one-character given name
        ("欧阳", "欧*"),          # two characters: read as surname + given name
        ("张", "*"),              # a one-character name reveals nothing
        ("司马光明亮", "司马*亮"),  # one star for any number of masked characters
        (" 李 四 ", "李*"),       # blanks inside and around are dropped first
        ("阿依古丽·买买提", "阿*提"),
    ],
)
def test_mask_name_examples(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, ""])
def test_missing_values_stay_empty(missing):
    assert mask_name(missing) == ""
    assert mask_id(missing) == ""
    assert mask_phone(missing) == ""


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("45262620100101123X", "452626********123X"),   # first 6 + 8 stars + last 4
        ("45262620100101123x", "452626********123X"),   # lower-case x read as X
        ("G45262620100101123X", "G452626********123X"),  # 学籍号 G + ID: masked as the ID
        ("L5226012010", "L5*******10"),  # other 学籍号: 11 chars = 2 kept + 7 stars + 2 kept
        ("ABCD", "****"),                # too short to keep anything
        (452626201001011234, "452626********1234"),     # an ID read as a number
    ],
)
def test_mask_id_examples(value, masked):
    assert mask_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("0776-6821234", "077****1234"),
        ("6821234", "*******"),  # 7 characters: masked whole
    ],
)
def test_mask_phone_examples(value, masked):
    assert mask_phone(value) == masked


def test_mask_frame_masks_default_columns_on_a_copy():
    df = pd.DataFrame(
        {
            "person_key": ["45262620100101123X", "G45262620120202456X"],
            "name": ["张三明", "欧阳建华"],
            "guardian": ["张大山", None],
            "phone": ["13812341234", None],
            "school": ["城厢镇中心小学", "百都乡中学"],
            "grade": [3, 5],
        }
    )
    masked = mask_frame(df)
    assert masked["person_key"].tolist() == ["452626********123X", "G452626********456X"]
    assert masked["name"].tolist() == ["张*明", "欧阳*华"]
    assert masked["guardian"].tolist() == ["张*山", ""]
    assert masked["phone"].tolist() == ["138****1234", ""]
    # Other columns are untouched, and so is the caller's frame.
    assert masked["school"].tolist() == ["城厢镇中心小学", "百都乡中学"]
    assert masked["grade"].tolist() == [3, 5]
    assert df.loc[0, "name"] == "张三明"


def test_mask_frame_with_chosen_columns():
    df = pd.DataFrame({"姓名": ["王小二"], "name": ["王小二"], "证件": ["45262620100101123X"]})
    masked = mask_frame(df, name_columns=["姓名"], id_columns=["证件"], phone_columns=[])
    assert masked.loc[0, "姓名"] == "王*二"
    assert masked.loc[0, "证件"] == "452626********123X"
    assert masked.loc[0, "name"] == "王小二"  # not listed: left as it is


def test_safe_table_html_keeps_ledger_markup_as_text():
    df = pd.DataFrame({"<b>备注</b>": ["<script>alert(1)</script>", "A & B", None]})
    html = safe_table_html(df)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;备注&lt;/b&gt;" in html  # headers are escaped too
    assert "A &amp; B" in html
    assert "NaN" not in html and "None" not in html  # a missing value shows blank


def test_safe_table_html_refuses_to_stop_escaping():
    df = pd.DataFrame({"a": ["x"]})
    with pytest.raises(ValueError):
        safe_table_html(df, escape=False)
    with pytest.raises(ValueError):
        safe_table_html(df, render_links=True)


# --- properties ------------------------------------------------------------------

HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
plain_names = st.text(HANZI, min_size=2, max_size=8)
compound_names = st.builds(
    lambda surname, given_name: surname + given_name,
    st.sampled_from(COMPOUND_SURNAMES),
    st.text(HANZI, min_size=1, max_size=4),
)


@given(st.one_of(plain_names, compound_names))
def test_masked_name_never_shows_the_whole_name(name):
    masked = mask_name(name)
    assert name not in masked
    assert "*" in masked
    assert masked[0] == name[0]  # the surname still reads


def _resident_id(region: str, birth: dt.date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


resident_ids = st.builds(
    _resident_id,
    st.from_regex(r"[1-6]\d{5}", fullmatch=True),
    st.dates(dt.date(2005, 1, 1), dt.date(2020, 12, 31)),
    st.integers(0, 999),
)


@given(resident_ids, st.booleans())
def test_masked_id_never_shows_the_birth_date(resident_id, as_student_no):
    value = "G" + resident_id if as_student_no else resident_id
    masked = mask_id(value)
    assert resident_id[6:14] not in masked
    assert masked.endswith(resident_id[-4:])
    assert len(masked) == len(value)


@given(
    st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True).filter(
        lambda value: not re.fullmatch(r"G?\d{17}[\dX]", value)  # those are IDs
    )
)
def test_other_student_numbers_keep_only_their_ends(student_no):
    hidden = len(student_no) - 4
    assert mask_id(student_no) == student_no[:2] + "*" * hidden + student_no[-2:]


def test_ids_inside_free_text_are_masked():
    # A finding's detail names the pupil by ID; the page must not.
    text = "学籍号/身份证号: 45262620100101123X；另 G452626201001011234 与 1234567890"
    assert mask_ids_in_text(text) == ("学籍号/身份证号: 452626********123X；另 G452626********1234 与 1234567890")
    assert mask_ids_in_text(None) == ""
