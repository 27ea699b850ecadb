"""Small canonical tables for tests: the store's columns, unspecified ones NULL."""

import datetime as dt

import pandas as pd
from stdnum.cn import ric

from kcbx.schema import MODELS, columns, typed

DATE_COLUMNS = {"birth_date", "date", "opened"}
TODAY = dt.date(2025, 1, 1)  # the ingest tests' today
ID_A = "110105201003010014"  # valid (see test_ids)
ID_B = "11010519491231002X"  # valid: GB 11643's example


def resident_id(birth: str, serial: str = "123", region: str = "452626") -> str:
    """A checksum-valid resident ID born on birth (YYYYMMDD)."""
    body = f"{region}{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def table(kind: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical store table: unspecified columns NULL, provenance in the order given."""
    frame = pd.DataFrame(
        [{"source_file": "t.xlsx", "source_sheet": "", "source_row": n + 2, **row}
         for n, row in enumerate(rows)],
        columns=columns(kind),
    )
    for column in DATE_COLUMNS & set(frame.columns):
        frame[column] = pd.to_datetime(frame[column])
    for column in ("boarding", "left_behind", "migrant", "unexcused"):
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), False).astype(bool)
    return frame


def typed_ledger(kind: str, rows: list[dict], default_file: str) -> pd.DataFrame:
    """Canonical rows of one kind, typed as the store gives them, in file order (rows 3, 4 …):
    id_number is the row's person_key; source_file ``default_file`` unless a row names its own."""
    frame = pd.DataFrame(rows, columns=columns(kind))
    if "id_number" in frame.columns:
        frame["id_number"] = frame["person_key"]
    frame["source_file"] = frame["source_file"].astype(object).fillna(default_file)
    frame["source_sheet"] = frame["source_sheet"].astype(object).fillna("Sheet1")
    frame["source_row"] = range(3, 3 + len(frame))
    for flag in ("boarding", "left_behind", "migrant", "unexcused"):
        if flag in frame.columns:
            frame[flag] = frame[flag].astype(object).fillna(False)
    return pd.DataFrame({name: typed(frame[name], column) for name, column in MODELS[kind].columns.items()})


def counts(report) -> dict[str, tuple[int, int, int]]:
    """An ingest report's rows read, accepted and rejected, by file."""
    return {f.file: (f.rows_read, f.rows_accepted, f.rows_rejected) for f in report.files}
