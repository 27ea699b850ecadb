"""Small canonical tables for tests: the store's columns, unspecified ones NULL."""

import datetime as dt
from pathlib import Path

import pandas as pd
from stdnum.cn import ric

from kcbx.params import Office, Params
from kcbx.schema import KINDS, MODELS, columns, typed

DATE_COLUMNS = {"birth_date", "date", "opened"}
TODAY = dt.date(2025, 1, 1)  # the ingest tests' today
ID_A = "110105201003010014"  # valid (see test_ids)
ID_B = "11010519491231002X"  # valid: GB 11643's example
OFFICE = Office(unit="测试县教育局", contact="王某", phone="0776-6821234")  # the forms' sign-off block


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


def autumn_params(**changes) -> Params:
    """测试县 (452626) in the autumn term 2021-09-01 – 2022-01-14, escalation 1/3/5, notices due
    back in 7 days; ``changes`` (target_date, office …) on top."""
    return Params(
        path=Path("params/test.yaml"), county="测试县", county_code="452626",
        ledgers=Path("ledgers"), store=Path("build/test.duckdb"), outputs=Path("outputs"),
        term_start=dt.date(2021, 9, 1), term_end=dt.date(2022, 1, 14),
        escalation=(1, 3, 5), notice_days=7, **changes,
    )


def ingested_whole(tables: dict[str, pd.DataFrame], file: str = "{kind}/县.xlsx") -> dict[str, pd.DataFrame]:
    """``tables`` (the ledgers) as an ingest that refused nothing leaves them: no rejected rows, no
    findings, and an ingest_log of one file a kind (``file`` formatted with the kind), every row accepted."""
    tables["rejected_rows"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "column", "value", "reason"])
    tables["findings"] = pd.DataFrame(columns=["kind", "file", "sheet", "row", "finding"])
    tables["ingest_log"] = pd.DataFrame([
        {"kind": kind, "file": file.format(kind=kind), "rows_read": len(tables[kind]),
         "rows_accepted": len(tables[kind]), "rows_rejected": 0, "error": None} for kind in KINDS if kind in tables])
    return tables


def counts(report) -> dict[str, tuple[int, int, int]]:
    """An ingest report's rows read, accepted and rejected, by file."""
    return {f.file: (f.rows_read, f.rows_accepted, f.rows_rejected) for f in report.files}
