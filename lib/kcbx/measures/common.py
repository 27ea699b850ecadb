"""Small helpers every measure shares: the current roster, school-year arithmetic."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.params import school_year_of

__all__ = ["school_year_of", "roster_of_year", "current_roster", "as_timestamp",
           "FINDING_COLUMNS", "findings_of"]


def as_timestamp(day: dt.date | pd.Timestamp) -> pd.Timestamp:
    """A date as a midnight Timestamp, comparable with the store's datetime64 columns."""
    return pd.Timestamp(day).normalize()


def roster_of_year(roster: pd.DataFrame, school_year: int, current_year: int) -> pd.DataFrame:
    """Roster rows of one school year; rows without 学年 belong to the current school year."""
    years = roster["school_year"].astype("Int64").fillna(current_year)
    return roster[years == school_year]


def current_roster(roster: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Roster rows of the school year containing as_of (the contract's 'current roster row')."""
    year = school_year_of(as_of)
    return roster_of_year(roster, year, year)


# Data-quality findings: rows accepted into the store but worth a look (contract,
# "Accepted but reported as data-quality findings"). `finding` is a fixed phrase
# per check, so findings can be counted by kind; `detail` says what was seen.
FINDING_COLUMNS = ("kind", "file", "sheet", "row", "finding", "detail")


def findings_of(rows: pd.DataFrame, kind: str, finding: str, detail: pd.Series | str = "") -> pd.DataFrame:
    """One finding per ledger row of `rows` (which carry the store's provenance columns)."""
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
