"""The analyst's door: everything beyond the report, in a few lines each (docs/explore.md).

    from kcbx import explore as kx
    kx.townships("params/demo.yaml")                       # the county's townships
    a = kx.open_township("params/demo.yaml", "城厢镇", "2021-10-15")
    a                                                      # a short summary; help(a): every table
    kx.with_pupils(a.streaks, a)                           # name, township, grade beside each pupil
    kx.pupils(a)                                           # one row per 在读 pupil: counts add up
    kx.what_if(a, escalation=[1, 3, 5, 7])                 # the same day, other params (checked)
    kx.sql("params/demo.yaml", "SELECT … FROM roster_current")   # the store, read-only

Nothing here computes a figure of its own: the measures are kcbx.measures', the rules
(which roster rows are current, who is one pupil) the same the report uses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from kcbx.analysis.fields import ANALYSIS_FIELDS
from kcbx.analysis.model import Analysis
from kcbx.measures.common import school_year_of
from kcbx.measures.matching import ENROLLED_STATUS, LIST_SEPARATOR, first_row_per_person
from kcbx.notebook import UnknownTownship, day_of, open_county, open_township, params_of, townships
from kcbx.params import Params
from kcbx.store.readonly import STORE_ALIAS, open_read_only

__all__ = ["townships", "open_township", "open_county", "UnknownTownship", "what_if", "pupils",
           "with_pupils", "masked", "describe", "sql", "connect", "VIEWS"]

# What with_pupils adds beside a person_key: who and where the pupil is.
PUPIL_COLUMNS = ("name", "township", "school", "grade", "class_name")


# --------------------------------------------------------------------------- what-if

def what_if(a: Analysis, **overrides: Any) -> Analysis:
    """The same township and day measured with other params, e.g. ``what_if(a, escalation=[1, 3,
    5, 7])`` or ``what_if(a, early_warning={"window": 10})`` (a mapping is merged key by key).

    The overrides go through the same checks as the params file (a ladder (3, 1) is refused
    with ParamsError naming the key), on top of any what-if ``a`` already is.
    """
    if a.township is None:
        return open_county(a.params, a.as_of, overrides=overrides)
    return open_township(a.params, a.township, a.as_of, overrides=overrides)


# --------------------------------------------------------------------------- pupils

def pupils(a: Analysis, status: str | None = ENROLLED_STATUS) -> pd.DataFrame:
    """One row per pupil of the analysis' current roster with a row of ``status`` (在读; None:
    any): the first such row in file order, and ``schools``, every school of those rows.

    Its row count is metrics ``enrolled`` (for 在读): a pupil on two rosters (重复学籍) is one
    row, so a crosstab adds up to the county's figure, where ``a.enrolled_by_school_grade``
    counts them at each school::

        p = pupils(a)
        pd.crosstab(p["township"], p["grade"], margins=True, margins_name="合计")
    """
    rows = a.roster if status is None else a.roster[a.roster["status"] == status]
    schools = rows.groupby("person_key")["school"].agg(lambda names: LIST_SEPARATOR.join(sorted(set(names))))
    first = first_row_per_person(rows)  # how the report names a pupil
    return first.assign(schools=first["person_key"].map(schools)).reset_index(drop=True)


def with_pupils(frame: pd.DataFrame, a: Analysis, columns: Sequence[str] = PUPIL_COLUMNS) -> pd.DataFrame:
    """``frame`` (any table with person_key: a.streaks, a.absent_today …) with the pupil's name,
    township, school, grade and class beside each row, from their first current roster row in
    file order (as the report shows them); blank for a child on no current roster. A column
    the frame has already is kept as it is (a.streaks' school is that of the latest absence)."""
    added = [column for column in columns if column not in frame.columns]
    who = first_row_per_person(a.roster)[["person_key", *added]]
    return frame.merge(who, on="person_key", how="left", validate="many_to_one")


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with names, ID numbers and phones masked as the report masks them (张*明,
    452626********123X): for a screenshot or a table sent on."""
    from kcbx.report import privacy

    return privacy.mask_frame(frame)


# --------------------------------------------------------------------------- help

class Description(str):
    """Text that Jupyter shows as it is (not as a quoted string)."""

    def __repr__(self) -> str:
        return str(self)


def describe(a: Analysis | str | None = None, name: str | None = None) -> Description:
    """What an Analysis field holds, with its columns: ``describe(a, "streaks")`` or
    ``describe("streaks")``; every field when no name is given (as ``help(a)`` shows them)."""
    if isinstance(a, str):
        name = a
    if name is None:
        return Description("\n".join(doc.text(field) for field, doc in ANALYSIS_FIELDS.items()))
    if name not in ANALYSIS_FIELDS:
        raise KeyError(f"no Analysis field {name!r}; the fields are {', '.join(ANALYSIS_FIELDS)}")
    return Description(ANALYSIS_FIELDS[name].text(name))


# --------------------------------------------------------------------------- SQL

# Read-only views with the rules the measures apply, created in each connection of
# connect(); {year} is the current school year. Their SQL repeats kcbx.measures.common's
# rule (rows without 学年 belong to the current school year); tests/test_explore.py checks
# that the views give the rows the measures use.
VIEWS: dict[str, tuple[str, str]] = {
    "roster_years": (
        "every roster row, school_year filled: a row without 学年 is of the current school year "
        "(school_year_filled true)",
        f"SELECT * REPLACE (COALESCE(school_year, {{year}}) AS school_year), "
        f"school_year IS NULL AS school_year_filled FROM {STORE_ALIAS}.main.roster"),
    "roster_current": (
        "the current roster rows: of the current school year, rows without 学年 included "
        "(what every roster-based figure uses)",
        "SELECT * FROM roster_years WHERE school_year = {year}"),
    "enrolled_pupils": (
        "one row per pupil with a 在读 current roster row, the first in file order; n_schools: "
        "how many schools' rosters list them (2 or more: 重复学籍). Its count is metrics enrolled",
        "SELECT * EXCLUDE (file_order) FROM ("
        " SELECT *, count(DISTINCT school) OVER (PARTITION BY person_key) AS n_schools,"
        " row_number() OVER (PARTITION BY person_key ORDER BY source_file, source_sheet, source_row)"
        " AS file_order FROM roster_current WHERE status = '在读') WHERE file_order = 1"),
}


@contextlib.contextmanager
def connect(params: str | Path | Params, as_of: str | dt.date | None = None
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only DuckDB connection to the county's store, with VIEWS for the school year of
    as_of (default: of the params' term); closed when the ``with`` block ends::

        with kx.connect("params/demo.yaml") as con:
            con.sql("SELECT township, count(*) FROM enrolled_pupils GROUP BY ALL").df()

    The store cannot be written through it. It never blocks an ingest (which renames a new
    store into place): it goes on reading the store as it was when opened; open a new one to
    see the new store.
    """
    loaded = params_of(params)
    con = open_read_only(loaded.store)
    try:
        year = school_year_of(day_of(loaded, as_of))
        for view, (_, body) in VIEWS.items():
            con.execute(f"CREATE TEMP VIEW {view} AS {body.format(year=int(year))}")
        yield con
    finally:
        con.close()


def sql(params: str | Path | Params, query: str, parameters: Sequence | Mapping | None = None,
        as_of: str | dt.date | None = None) -> pd.DataFrame:
    """Run one query on the county's store, read-only, and return the result as a DataFrame.

    Opens the store, queries, closes: it never holds the store and never blocks an ingest.
    Every store table (schema.py's names; docs/ledgers.md) and VIEWS can be queried;
    ``parameters`` fill ``?`` or ``$name`` placeholders::

        kx.sql("params/demo.yaml", "SELECT grade, count(*) AS pupils FROM enrolled_pupils "
               "WHERE township = ? GROUP BY grade ORDER BY grade", ["城厢镇"])
    """
    with connect(params, as_of) as con:
        return con.execute(query, parameters).df() if parameters is not None else con.execute(query).df()
