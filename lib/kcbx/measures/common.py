"""Small helpers every measure shares: the current roster, school-year arithmetic, and
finding rows whose text is one of many keys (``is_in``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kcbx.params import school_year_of
from kcbx.schema import FINDING_COLUMNS

__all__ = ["school_year_of", "roster_of_year", "current_roster", "as_timestamp",
           "FINDING_COLUMNS", "findings_of", "is_in"]


def is_in(values: pd.Series | pd.Index, keys: Iterable[Hashable]) -> pd.Series | np.ndarray:
    """``values.isin(keys)``, as fast for a county's 80,000 person keys as for a handful.

    pandas 3 compares text by first making a pyarrow scalar of every key, slow for a county's
    pupils looked up among as many keys, where a set answers at once. Text columns are
    looked up in a set (object dtype) or with Arrow's own is_in (pandas' pyarrow ``str``);
    other dtypes go to pandas. A missing value (None, NaN) is
    found as pandas finds it (an object column tells None from NaN). Returns what ``isin``
    returns: a Series on the same index for a Series, an array for an Index.
    """
    key_set = keys if isinstance(keys, set | frozenset) else set(keys)
    found = _text_in(values, key_set)
    if found is None:
        return values.isin(key_set)
    if isinstance(values, pd.Index):
        return found
    return pd.Series(found, index=values.index, name=values.name, copy=False)


def _text_in(values: pd.Series | pd.Index, key_set: set | frozenset) -> np.ndarray | None:
    """Membership of text values as a bool array; None for what pandas should answer."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        column = pa.array(values.array)
        try:
            value_set = pa.array(list(key_set), type=column.type, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a key that is not text
            return None
        return pc.is_in(column, value_set=value_set).to_numpy(zero_copy_only=False)
    if values.dtype != object:
        return None
    array = values.to_numpy()
    try:
        found = np.fromiter((value in key_set for value in array), dtype=bool, count=len(array))
    except TypeError:  # an unhashable cell (a list, a dict)
        return None
    missing = pd.isna(array)
    if missing.any():
        # pandas tells None from NaN here: its own answer, from the few missing keys.
        keys = np.fromiter(key_set, dtype=object, count=len(key_set))
        missing_keys = keys[pd.isna(keys)]
        found[missing] = pd.Series(array[missing], dtype=object).isin(missing_keys).to_numpy()
    return found


def as_timestamp(day: dt.date | pd.Timestamp) -> pd.Timestamp:
    """A date as a midnight Timestamp, comparable with the store's datetime64 columns."""
    return pd.Timestamp(day).normalize()


def roster_of_year(roster: pd.DataFrame, school_year: int, current_year: int) -> pd.DataFrame:
    """Roster rows of one school year; rows without 学年 belong to the current school year."""
    years = roster["school_year"].astype("Int64").fillna(current_year)
    return roster[years == school_year]


def current_roster(roster: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Roster rows of the school year containing as_of (a 'current roster row', docs/metrics.md)."""
    year = school_year_of(as_of)
    return roster_of_year(roster, year, year)


def findings_of(rows: pd.DataFrame, kind: str, finding: str, detail: pd.Series | str = "") -> pd.DataFrame:
    """One data-quality finding per ledger row of `rows` (which carry the store's provenance
    columns): a row accepted but worth a look (docs/ledgers.md, "Accepted, but noted as
    findings"). `finding` is a fixed phrase per check, so findings can be counted by kind;
    `detail` says what was seen."""
    return pd.DataFrame(
        {
            "kind": kind,
            "file": rows["source_file"].to_numpy(),
            "sheet": rows["source_sheet"].to_numpy(),
            "row": rows["source_row"].to_numpy(),
            "finding": finding,
            "detail": detail.to_numpy() if isinstance(detail, pd.Series) else detail,
        },
        columns=list(FINDING_COLUMNS),
    )
