"""The DuckDB store: one file per county, written once per ingest, read by every run.

Tables: one per ledger kind with exactly the columns of schema.MODELS, and those read
from a kind's files (schema.DERIVED_TABLES: ``zero_reports``, the absence files' 零报告 rows),
``rejected_rows`` (schema.REJECTED_COLUMNS), ``ingest_log`` (one row per file:
schema.INGEST_LOG_COLUMNS, then ``sheets``, ``warnings``, ``rules`` and ``skipped``),
``findings`` (warnings that did not reject a row: kind, file, sheet, row, finding) and
``stale_files``: the files whose latest version could not be read, with the rows of
an earlier version kept in the store in their place (``stale_files()`` lists them).

Every row is tied to the file it came from, so one file's rows can be replaced
or removed on their own (re-ingest is incremental). Readers open the file
read-only, so parallel township runs do not block one another; the writer builds
a new file beside it and renames it into place (write_update), so it never blocks
a reader either, nor is blocked by one.

Every kcbx reader opens the file through ``open_read_only``: a DuckDB instance of its
own, not the one DuckDB keeps per file and process. An analyst's own connection in the
same Python process (a JupyterLab kernel) then neither hands kcbx the store as it was
before the last ingest renamed a new one into place, nor, opened with other settings,
stops kcbx with "Can't open a connection to same database file with a different
configuration".
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow

from kcbx import schema
from kcbx.store.readonly import open_read_only
from kcbx.util.files import Access, created_private, process_alive, replacing

LOG_EXTRA_COLUMNS = ("sheets", "warnings", "rules", "skipped")
SIDE_TABLES = ("rejected_rows", "ingest_log", "findings")
# Not loaded with the ledgers (load_tables): read with stale_files().
STALE_TABLE = "stale_files"

# Side tables' column types; ledger tables' come from the pandera models.
_SIDE_TYPES: dict[str, dict[str, str]] = {
    "rejected_rows": {**dict.fromkeys(schema.REJECTED_COLUMNS, "VARCHAR"), "row": "BIGINT"},
    "ingest_log": {
        "kind": "VARCHAR", "file": "VARCHAR", "sha256": "VARCHAR",
        "rows_read": "BIGINT", "rows_accepted": "BIGINT", "rows_rejected": "BIGINT",
        "seconds": "DOUBLE", "ingested_at": "TIMESTAMP", "error": "VARCHAR",
        "sheets": "VARCHAR",  # JSON list of the sheet names read
        "warnings": "BIGINT",  # findings recorded for the file
        "rules": "VARCHAR",  # fingerprint of the reading rules (code version, synonyms)
        "skipped": "VARCHAR",  # JSON list of [sheet, reason] of the sheets not read
    },
    "findings": {"kind": "VARCHAR", "file": "VARCHAR", "sheet": "VARCHAR", "row": "BIGINT",
                 "finding": "VARCHAR"},
    # A ledger file whose latest version could not be read (one row per such file):
    STALE_TABLE: {
        "kind": "VARCHAR", "file": "VARCHAR",
        "sha256": "VARCHAR",  # of the version that could not be read
        "rules": "VARCHAR",  # the reading rules it failed with
        "reason": "VARCHAR",  # why (the file's error, naming it)
        "failed_at": "TIMESTAMP",  # when that version was first found unreadable
        "kept_from": "TIMESTAMP",  # when the rows kept in its place were read; NULL: none kept
        "retry": "BOOLEAN",  # read again next time even if unchanged (it timed out)
    },
}
assert tuple(_SIDE_TYPES["ingest_log"]) == schema.INGEST_LOG_COLUMNS + LOG_EXTRA_COLUMNS
assert tuple(_SIDE_TYPES["rejected_rows"]) == schema.REJECTED_COLUMNS


def _sql_type(column: pa.Column) -> str:
    dtype = str(column.dtype)
    if dtype.startswith("datetime64"):
        return "DATE"
    return {"Int64": "BIGINT", "int64": "BIGINT", "bool": "BOOLEAN", "float64": "DOUBLE"}.get(dtype, "VARCHAR")


def table_types() -> dict[str, dict[str, str]]:
    """Every store table -> its columns and SQL types, in store order."""
    ledger = {kind: {c: _sql_type(col) for c, col in schema.MODELS[kind].columns.items()}
              for kind in (*schema.KINDS, *schema.DERIVED_TABLES)}
    return {**ledger, **_SIDE_TYPES}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'  # "row" and "column" are SQL words


# --------------------------------------------------------------------------- reading

def _schema_matches(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every table exists with exactly today's columns (else the store is rebuilt)."""
    found: dict[str, list[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main' "
            "ORDER BY table_name, ordinal_position").fetchall():
        found.setdefault(table, []).append(column)
    return all(found.get(t) == list(cols) for t, cols in table_types().items())


def _as_store_dtypes(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    if table in schema.MODELS:
        columns = schema.MODELS[table].columns
        return pd.DataFrame({c: schema.typed(frame[c], col) for c, col in columns.items()})
    converted = {}
    for name, sql_type in _SIDE_TYPES[table].items():
        values = frame[name]
        if sql_type == "BIGINT":
            converted[name] = values.astype("Int64")
        elif sql_type == "BOOLEAN":
            converted[name] = values.astype(bool)
        elif sql_type == "TIMESTAMP":
            converted[name] = values.astype("datetime64[ns]")
        elif sql_type == "DOUBLE":
            converted[name] = values.astype("float64")
        else:
            converted[name] = schema.text_values(values)
    return pd.DataFrame(converted)


_ORDER = {
    "rejected_rows": "file, sheet, row",
    "ingest_log": "kind, file",
    "findings": "file NULLS FIRST, sheet, row NULLS FIRST",
}


def load_tables(store_path: str | Path, kinds: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The store's tables as DataFrames: every kind (or those in ``kinds``), plus
    "rejected_rows", "ingest_log", "findings" and "stale_files" (kind, file, message,
    townships: what a report says of each file that could not be read, ``stale_files``).

    Ledger rows come in file order (source_file, source_sheet, source_row), so
    same-day case events keep the order they were written in. Dates are
    datetime64[ns], flags bool, whole numbers Int64, text object: a ledger
    table passes its schema.MODELS validation as loaded. Opens read-only.
    """
    wanted = list(schema.KINDS if kinds is None else kinds)
    unknown = set(wanted) - set(schema.KINDS)
    if unknown:
        raise ValueError(f"unknown ledger kinds: {sorted(unknown)}")
    # A table read from a kind's files comes with that kind (zero_reports with absence).
    wanted += [table for table, kind in schema.DERIVED_TABLES.items() if kind in wanted]
    with open_read_only(store_path) as con:
        if not _schema_matches(con):
            raise RuntimeError(f"store {store_path} was written by another kcbx version: run `kcbx ingest` again")
        tables = {}
        for table in [*wanted, *SIDE_TABLES]:
            order = _ORDER.get(table, "source_file, source_sheet, source_row")
            frame = _frame_of(con.sql(f"SELECT * FROM {_q(table)} ORDER BY {order}").to_arrow_table())
            tables[table] = _as_store_dtypes(frame, table)
        stale = _stale_of(con)
    # What the reports say of each file that could not be read (its kept rows are above).
    tables[STALE_TABLE] = pd.DataFrame(
        [{"kind": f.kind, "file": f.file, "message": f.message(), "townships": list(f.townships)} for f in stale],
        columns=["kind", "file", "message", "townships"])
    return tables


def _frame_of(table: pyarrow.Table) -> pd.DataFrame:
    """A DuckDB result as a DataFrame, text straight into object arrays (``_objects``).

    Through Arrow, not ``.df()``: pandas 3 would first make every text column its ``str``
    dtype, only to be turned back into objects; straight into objects, a store loads much
    faster."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if pyarrow.types.is_string(column.type) or pyarrow.types.is_large_string(column.type):
            columns[name] = pd.Series(_objects(column), dtype=object)
        else:
            columns[name] = column.to_pandas()
    return pd.DataFrame(columns)


def _objects(column: pyarrow.ChunkedArray) -> np.ndarray:
    """Text as an object array, None for NULL, each distinct text one Python object.

    A school, a township, a file name repeats on thousands of rows: shared, a county's
    tables take far less memory in every process that holds them, and a report's prepared
    slice is smaller and pickles (and unpickles) faster, each repeat a reference."""
    encoded = column.combine_chunks().dictionary_encode()
    texts = np.append(encoded.dictionary.to_numpy(zero_copy_only=False), None)  # last: NULL
    return texts[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()]


def ingest_totals(store_path: str | Path) -> dict[str, int]:
    """The county's ingest totals, from ingest_log: rows_read, rows_accepted, rows_rejected."""
    with open_read_only(store_path) as con:
        read, accepted, rejected = con.execute(
            "SELECT COALESCE(SUM(rows_read), 0), COALESCE(SUM(rows_accepted), 0), "
            "COALESCE(SUM(rows_rejected), 0) FROM ingest_log").fetchone()
    return {"rows_read": int(read), "rows_accepted": int(accepted), "rows_rejected": int(rejected)}


# --------------------------------------------------------------------------- stale files

@dataclass(frozen=True)
class StaleFile:
    """A ledger file whose latest version could not be read (store table stale_files).

    ``reason``: why (the file's error, which names the file); ``failed_at``: when that
    version was first found unreadable; ``kept_from``: when the rows kept in the store in
    its place were read (None: no earlier rows, the file gives nothing); ``rows_kept``:
    how many accepted rows that is; ``townships`` and ``schools``: the 乡镇 and 学校 of
    those rows (empty for a kind without such columns, or when none is kept).
    """

    kind: str
    file: str
    reason: str
    failed_at: dt.datetime
    kept_from: dt.datetime | None
    rows_kept: int
    townships: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()

    @property
    def who(self) -> str:
        """Whose data it is, in words: the schools, else the townships, else the file's name."""
        names, unit = (self.schools, "所学校") if self.schools else (self.townships, "个乡镇")
        if names:
            return "、".join(names[:3]) + (f"等 {len(names)} {unit}" if len(names) > 3 else "")
        return self.file.rsplit("/", 1)[-1]

    def message(self) -> str:
        """One line for a report or a run's summary, e.g.
        "一小学籍数据未更新（文件无法读取，沿用 10月14日 数据）"."""
        label = schema.KIND_LABELS.get(self.kind, self.kind)
        if self.kept_from is None:
            return f"{self.who}{label}数据缺失（文件无法读取，没有可沿用的数据）"
        return f"{self.who}{label}数据未更新（文件无法读取，沿用 {self.kept_from.month}月{self.kept_from.day}日 数据）"


def stale_files(store_path: str | Path) -> list[StaleFile]:
    """The ledger files whose latest version could not be read at the last ingest, by kind
    and file (empty for a store without the table: written before stale marks existed).

    Such a file keeps the rows of its last version that could be read (``kept_from``): the
    reports are cut from those, and should say so; `kcbx ingest` exits 1 while any is listed.
    Reads with duckdb alone (no pandas needed). Opens read-only.
    """
    with open_read_only(store_path) as con:
        return _stale_of(con)


def _stale_of(con: duckdb.DuckDBPyConnection) -> list[StaleFile]:
    try:
        marks = con.execute(f"SELECT kind, file, reason, failed_at, kept_from FROM {STALE_TABLE} "
                            "ORDER BY kind, file").fetchall()
    except duckdb.CatalogException:
        return []
    found = []
    for kind, file, reason, failed_at, kept_from in marks:
        rows, townships, schools = 0, (), ()
        if kind in schema.MODELS:
            rows = con.execute(f"SELECT count(*) FROM {_q(kind)} WHERE source_file = ?", [file]).fetchone()[0]
            townships, schools = (_distinct_of_file(con, kind, column, file) for column in ("township", "school"))
        found.append(StaleFile(kind, file, reason, failed_at, kept_from, int(rows), townships, schools))
    return found


def _distinct_of_file(con: duckdb.DuckDBPyConnection, kind: str, column: str, file: str) -> tuple[str, ...]:
    """The distinct values of a kind's column in one file's rows (none when the kind lacks it)."""
    if column not in schema.MODELS[kind].columns:
        return ()
    return tuple(value for (value,) in con.execute(
        f"SELECT DISTINCT {_q(column)} FROM {_q(kind)} WHERE source_file = ? AND {_q(column)} IS NOT NULL "
        "ORDER BY 1", [file]).fetchall())


# --------------------------------------------------------------------------- writing

def layout_matches(store_path: str | Path) -> bool:
    """Whether the store exists with every table laid out as this code lays it out
    (else writing rebuilds it, and every file must be read again)."""
    if not Path(store_path).exists():
        return False
    with open_read_only(store_path) as con:
        return _schema_matches(con)


@dataclass
class StoreUpdate:
    """One ingest's changes: files whose rows go (changed or gone), and the new rows.

    ``ledger_rows`` maps a kind to its new rows (schema.MODELS columns) and
    ``rejected`` holds new rejected rows (schema.REJECTED_COLUMNS), as frames;
    ``log`` (ingest_log rows, as dicts by column) and ``findings`` (tuples in
    schema.STORED_FINDING_COLUMNS order) are plain records. Findings about the folder itself
    (no kind, or a file that is no ledger) are rewritten by every ingest.

    ``stale`` (stale_files rows, as dicts by column) replaces the stale marks of its files;
    a file cleared loses its mark. A file marked stale whose earlier rows are kept is
    not among ``files_to_clear``: its rows, log and findings stay as they are.
    """

    files_to_clear: list[str] = field(default_factory=list)
    ledger_rows: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    rejected: list[pd.DataFrame] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    findings: list[tuple] = field(default_factory=list)
    stale: list[dict] = field(default_factory=list)


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    if not _schema_matches(con):
        # Written by another version: drop everything, so every file is read again.
        for (table,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall():
            con.execute(f"DROP TABLE {_q(table)}")
    for table, columns in table_types().items():
        body = ", ".join(f"{_q(c)} {t}" for c, t in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {_q(table)} ({body})")


def _insert(con: duckdb.DuckDBPyConnection, table: str, frames: list[pd.DataFrame]) -> None:
    frames = [f for f in frames if len(f)]
    if not frames:
        return
    batch = pd.concat(frames, ignore_index=True)
    con.register("batch", batch)  # handed over as a DataFrame, not row by row
    try:
        columns = ", ".join(_q(c) for c in table_types()[table])
        con.execute(f"INSERT INTO {_q(table)} ({columns}) SELECT {columns} FROM batch")
    finally:
        con.unregister("batch")


def _side_frame(table: str, records: list[dict] | list[tuple]) -> pd.DataFrame:
    """Records of a side table in the store's dtypes."""
    return _as_store_dtypes(pd.DataFrame.from_records(records, columns=list(_SIDE_TYPES[table])), table)


def write_update(store_path: str | Path, update: StoreUpdate, access: Access | None = None) -> None:
    """Apply one ingest's changes, all or nothing.

    The changes go into a copy of the store under a hidden name beside it, renamed
    over the store when complete. A reader (a run copying its snapshot, an analyst's
    read-only connection) sees the old store or the new one, never half of one, and
    its DuckDB file lock never stops the writer. A writer killed mid-way leaves the
    old store (or none) and its hidden copy, which the next write removes. Writers
    take turns by kcbx.ingest.county's lock.
    """
    store_path = Path(store_path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(store_path)
    # The store holds every child's identity: its owner alone reads it (or params share_group),
    # from the first byte of the copy and its .wal, whatever the umask.
    with replacing(store_path) as building, created_private():
        if store_path.exists():
            shutil.copyfile(store_path, building)
        with duckdb.connect(str(building)) as con:
            _apply(con, update)
        (access or Access()).private_file(building)


def _apply(con: duckdb.DuckDBPyConnection, update: StoreUpdate) -> None:
    _create_tables(con)
    con.execute("BEGIN TRANSACTION")  # one commit for all the changes: far faster than one each
    try:
        cleared = pd.DataFrame({"file": pd.Series(update.files_to_clear, dtype=object)})
        con.register("cleared", cleared)
        for kind in (*schema.KINDS, *schema.DERIVED_TABLES):
            con.execute(f"DELETE FROM {_q(kind)} WHERE source_file IN (SELECT file FROM cleared)")
        for table in SIDE_TABLES:
            con.execute(f"DELETE FROM {_q(table)} WHERE file IN (SELECT file FROM cleared)")
        # About the folder (no kind) or a file that is no ledger: rewritten by every ingest.
        con.execute("DELETE FROM findings WHERE kind IS NULL OR file NOT IN (SELECT file FROM ingest_log)")
        marked = pd.DataFrame({"file": pd.Series([record["file"] for record in update.stale], dtype=object)})
        con.register("marked", marked)
        con.execute(f"DELETE FROM {STALE_TABLE} WHERE file IN (SELECT file FROM cleared) "
                    "OR file IN (SELECT file FROM marked)")
        con.unregister("marked")
        con.unregister("cleared")
        for kind, frames in update.ledger_rows.items():
            _insert(con, kind, frames)
        _insert(con, "rejected_rows", update.rejected)
        _insert(con, "ingest_log", [_side_frame("ingest_log", update.log)])
        _insert(con, "findings", [_side_frame("findings", update.findings)])
        _insert(con, STALE_TABLE, [_side_frame(STALE_TABLE, update.stale)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _remove_abandoned_builds(store_path: Path) -> None:
    """Remove the hidden copies (and their DuckDB WAL) left by writers that were killed:
    kcbx.util.files.replacing names them ``.<store name>.<pid>.<random>.tmp``."""
    build = re.compile(rf"\.{re.escape(store_path.name)}\.(\d+)\.[0-9a-f]+\.tmp(\.wal)?")
    for path in store_path.parent.glob(f".{store_path.name}.*.tmp*"):
        match = build.fullmatch(path.name)
        if match and not process_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
