"""Small helpers every measure shares: the current roster, school-year arithmetic."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kcbx.params import school_year_of

__all__ = ["school_year_of", "roster_of_year", "current_roster", "as_timestamp"]


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
