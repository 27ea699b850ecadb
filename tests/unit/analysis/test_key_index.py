"""KeyIndex takes a township's rows of a county table by its keys' codes: the very rows, in the
very order and with the very labels, that testing each row (``frame[frame[column].isin(keys)]``)
gives, for text stored either way pandas stores it, with missing cells and keys."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbx.analysis.attribution import KeyIndex

KEYS = st.sampled_from(["甲", "乙", "丙", "丁", "51192120100101001X", ""])
CELLS = st.one_of(KEYS, st.none())


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(CELLS, max_size=30), key_sets=st.lists(st.sets(st.one_of(KEYS, st.none())), max_size=4),
       dtype=st.sampled_from([object, "str"]), labels_from=st.integers(0, 5))
def test_the_rows_of_each_key_set_are_those_isin_finds(cells, key_sets, dtype, labels_from):
    frame = pd.DataFrame({"person_key": pd.Series(cells, dtype=dtype), "n": range(len(cells))})
    frame.index = frame.index * 3 + labels_from  # labels that are not positions
    index = KeyIndex(frame, "person_key")
    for keys in key_sets:  # one index serves every set, as it serves every township
        expected = frame[frame["person_key"].isin(keys)]
        pd.testing.assert_frame_equal(index.rows(keys), expected)


def test_a_township_s_pupils_by_hand():
    frame = pd.DataFrame({"person_key": ["乙", "甲", None, "丙", "甲"], "row": [1, 2, 3, 4, 5]})
    index = KeyIndex(frame, "person_key")
    assert list(index.rows({"甲", "丁"})["row"]) == [2, 5]  # the table's order, an unknown key finds nothing
    assert list(index.rows(set())["row"]) == []
    assert list(index.rows({None, "丙"})["row"]) == [3, 4]  # a missing key finds the missing cell
