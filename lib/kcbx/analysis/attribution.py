"""Which township each row and figure belongs to, and which townships a run covers.

The measures in ``kcbx.measures`` are computed over the whole county, then each
figure is given to the township of the register it comes from (docs/metrics.md,
"Whose figure it is"):

- school side (enrolment, absences, subsidies, groups): the 乡镇 of the pupil's
  current roster row — a pupil on two townships' rosters counts in each;
- register side (school-age population, suspected out of school, 入学率): the
  乡镇 of the child's population row;
- a case: the 乡镇 of its 登记 event, else the child's roster township, else the
  population township;
- home teaching: the disability register's 乡镇; 小升初: last year's roster row;
- 巩固率 and the cohort: the enrollment ledger's own 乡镇 column.

The county run (township None) takes every row once, so a duplicate child counts once.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from kcbx import schema
from kcbx.measures import matching
from kcbx.measures.common import current_roster, is_in
from kcbx.params import Params, ParamsError


def townships_in_data(tables: dict[str, pd.DataFrame], as_of: dt.date) -> list[str]:
    """Every township found in the current roster or the population ledger, sorted."""
    names = set(current_roster(tables["roster"], as_of)["township"].dropna())
    names |= set(tables["population"]["township"].dropna())
    return sorted(str(n) for n in names if str(n).strip())


def close_townships(name: str, known: Sequence[str]) -> list[str]:
    """The known townships a mistyped name may mean: the close spellings, then those that
    contain it ("城厢" → 城厢镇)."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    return close + [town for town in known if name and name in town and town not in close]


def townships_in_scope(tables: dict[str, pd.DataFrame], params: Params, as_of: dt.date) -> list[str]:
    """Every township found in the current roster or the population ledger, unless params lists
    them; a listed township the ledgers do not know is an error (its report would be all zeros)."""
    known = townships_in_data(tables, as_of)
    if not params.townships:
        return known
    unknown = [name for name in params.townships if name not in known]
    if unknown:
        hints = "; ".join(f"{name}: did you mean {'、'.join(close)}?"
                          for name in unknown if (close := close_townships(name, known)))
        raise ParamsError(f"{params.path}: 'townships': {'、'.join(unknown)} not in the current roster "
                          f"or the population ledger{'; ' + hints if hints else ''}; "
                          f"known: {'、'.join(known)}")
    return list(params.townships)


def in_township(frame: pd.DataFrame, township: str | None, column: str = "township") -> pd.DataFrame:
    if township is None or frame is None:
        return frame
    return frame[frame[column] == township]


def of_people(frame: pd.DataFrame, keys: set[str] | None) -> pd.DataFrame:
    """The rows of these people; all rows when keys is None (the county)."""
    return frame if keys is None else rows_of(frame, "person_key", keys)


def rows_of(frame: pd.DataFrame, column: str, keys: Collection[str]) -> pd.DataFrame:
    """The rows whose ``column`` is one of keys, as ``frame[frame[column].isin(keys)]``."""
    return frame[is_in(frame[column], keys)]


class KeyIndex:
    """A table's column factorised once, to take the rows of many sets of keys: ``rows(keys)``
    is ``rows_of(frame, column, keys)``, the rows in the table's order, found by the keys'
    codes (a lookup per key and one pass over the codes) instead of a test per row."""

    def __init__(self, frame: pd.DataFrame, column: str):
        self.frame, self.column = frame, column
        self.codes, uniques = pd.factorize(frame[column])  # a missing cell: code -1
        self.uniques = pd.Index(uniques)

    def rows(self, keys: Collection[str]) -> pd.DataFrame:
        if any(key is None or key is pd.NA or key != key for key in keys):
            return rows_of(self.frame, self.column, keys)  # a missing key finds missing cells: pandas' rule
        wanted = self.uniques.get_indexer(list(keys))
        chosen = np.zeros(len(self.uniques) + 1, dtype=bool)  # the last slot answers code -1
        chosen[wanted[wanted >= 0]] = True
        return self.frame.take(np.flatnonzero(chosen[self.codes]))


def _first_township_by_person(frame: pd.DataFrame) -> pd.Series:
    """person_key → township of the person's first row in file order."""
    ordered = matching.first_row_per_person(frame.dropna(subset=["township"]))
    return ordered.set_index("person_key")["township"]


def attribute_case_townships(cases: pd.DataFrame, roster_now: pd.DataFrame,
                             population: pd.DataFrame) -> pd.DataFrame:
    """A case's township: of its 登记 event, else the child's roster township, else population."""
    fallback_roster = cases["person_key"].map(_first_township_by_person(roster_now))
    fallback_population = cases["person_key"].map(_first_township_by_person(population))
    township = cases["township"].where(cases["township"].notna(), fallback_roster)
    township = township.where(township.notna(), fallback_population)
    return cases.assign(township=township)


def row_townships(tables: dict[str, pd.DataFrame], roster_now: pd.DataFrame) -> pd.DataFrame:
    """Every accepted ledger row's township: kind, file, sheet, row, township — the row's 乡镇, else
    its person's current roster township; None when the row gives neither (an enrolment row
    always has one)."""
    roster_township = _first_township_by_person(roster_now)
    parts = []
    for kind in schema.KINDS:
        frame = tables.get(kind)  # tables made by hand may lack a kind (verification)
        if frame is None or frame.empty:
            continue
        township = (frame["township"].astype(object) if "township" in frame.columns
                    else pd.Series(None, index=frame.index, dtype=object))
        if "person_key" in frame.columns:
            township = township.fillna(frame["person_key"].map(roster_township))
        parts.append(pd.DataFrame({"kind": kind, "file": frame["source_file"],
                                   "sheet": frame["source_sheet"], "row": frame["source_row"],
                                   "township": township}))
    # A 零报告 row names its school only: the school's township, so a file of nothing but
    # 零报告 rows is still listed in its township's report.
    for table, kind in schema.DERIVED_TABLES.items():
        frame = tables.get(table)
        if frame is None or frame.empty:
            continue
        school_township = roster_now.drop_duplicates("school").set_index("school")["township"]
        parts.append(pd.DataFrame({"kind": kind, "file": frame["source_file"], "sheet": frame["source_sheet"],
                                   "row": frame["source_row"],
                                   "township": frame["school"].map(school_township).astype(object)}))
    if not parts:
        return pd.DataFrame(columns=["kind", "file", "sheet", "row", "township"])
    return _provenance_key(pd.concat(parts, ignore_index=True))


def _provenance_key(frame: pd.DataFrame) -> pd.DataFrame:
    """file, sheet, row in one spelling (a CSV's sheet is blank), so rows of the store, the
    rejected rows and the findings can be joined on them."""
    return frame.assign(sheet=frame["sheet"].fillna("").astype(str),
                        row=pd.to_numeric(frame["row"], errors="coerce").astype("Int64"))


def files_by_township(rows: pd.DataFrame) -> dict[str, set[str]]:
    """township → ledger files with a row of it (``row_townships``)."""
    found = rows[["township", "file"]].dropna().drop_duplicates()
    return {str(name): set(files) for name, files in found.groupby("township")["file"]}


def attribute_to_townships(problems: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows or findings (kind, file, sheet, row …) with the township they belong to.

    A problem on an accepted row (a finding) takes that row's township (``row_townships``).
    A rejected row is not in the store, and its 乡镇 cell is not kept: it takes its file's
    township when every attributed row of the file is of one township (a school's roster, a
    township's absences), and none when the file spans several — it is then shown to each of
    them, never guessed from its neighbours. The same holds for a problem on a header row.
    """
    if problems.empty:
        return problems.assign(township=pd.Series(dtype=object))
    keyed = _provenance_key(problems)
    where = ["kind", "file", "sheet", "row"]
    on_row = keyed[where].merge(rows.drop_duplicates(where), how="left", on=where)["township"]
    per_file = rows.dropna(subset=["township"]).groupby("file")["township"].unique()
    single = per_file[per_file.map(len) == 1].map(lambda names: names[0])
    of_row = pd.Series(on_row.to_numpy(dtype=object), index=problems.index)
    township = of_row.where(of_row.notna(), problems["file"].map(single))
    return problems.assign(township=township.astype(object).where(township.notna(), None))

# What a report shows of each ledger file it lists (数据说明, forms.xlsx's 数据问题 文件读入, the
# footer's ledger lines): not its sha256, when or how fast it was read, or its sheets.
LOG_COLUMNS_SHOWN = ("kind", "file", "rows_read", "rows_accepted", "rows_rejected", "error")


def data_quality(log: pd.DataFrame, rejected: pd.DataFrame, findings: pd.DataFrame,
                 township: str | None, township_files: dict[str, set[str]]
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Ingest log, rejected rows and findings of one township (all of them for the county).

    A problem attributed to a township (``attribute_to_townships``) is shown to it alone; one
    that could not be attributed is shown to every township with a row in its file. A file
    that gave no accepted row (unreadable, missing header) belongs to every township: nobody
    can tell whose it is, and everybody should see it.
    """
    if township is None:
        return log, rejected, findings
    files = township_files.get(township, set()) | set(log.loc[log["rows_accepted"].fillna(0) == 0, "file"])

    def of_township(problems: pd.DataFrame) -> pd.DataFrame:
        if problems.empty:
            return problems
        unattributed = problems["township"].isna() & problems["file"].isin(files)
        return problems[(problems["township"] == township) | unattributed]

    return log[log["file"].isin(files)], of_township(rejected), of_township(findings)




def problems_of_report(township: str | None, ingest_log: pd.DataFrame,
                       problems: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The problems (rejected rows or findings, with township and file) a township's report
    lists, and how many it leaves to the county's (the county's, township None, lists all).

    A problem no township could be given in a file that gave rows to several townships is
    listed once, on the county's: six townships each listing it would report it six times. A
    file that gave no row at all (unreadable, a missing header) stays on every report that
    lists it: nobody knows whose it is.
    """
    if township is None or problems.empty:
        return problems, 0
    gave_rows = set(ingest_log.loc[ingest_log["rows_accepted"].fillna(0) > 0, "file"])
    for_county = problems["township"].isna() & problems["file"].isin(gave_rows)
    return problems[~for_county], int(for_county.sum())
