"""The store file, opened read-only by a DuckDB instance of its own.

``kcbx.store.tables`` (with pandas) and ``kcbx ingest``'s fast path (without) both read the store
through ``open_read_only``; so does ``kcbx.explore.sql`` for an analyst.

Why an instance of its own: DuckDB keeps one database instance per file and process and
hands it to every ``duckdb.connect(path)`` of that process. An ingest renames a new store
into place; an instance opened before the rename goes on showing the file it opened (the
replaced one), and a new ``connect`` of the same path gets that instance as long as any
connection of the process (an analyst's, in a JupyterLab kernel) holds it. And a connect
with other settings than the held one fails ("Can't open a connection to same database
file with a different configuration"), which made ``kcbx ingest`` stop with a traceback
when an analyst had the store open in the same process.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


class StoreOpenForWriting(RuntimeError):
    """The store is open for writing elsewhere (a DuckDB shell or connection opened without
    read-only, in another process or this one): it cannot be read until that one closes."""


STORE_ALIAS = "store"  # the catalog name of the store in a connection of open_read_only


class NoStore(FileNotFoundError):
    """A county with no store yet: its ledgers were never ingested."""


def require_store(store_path: str | Path, params_path: str | Path | None = None) -> None:
    """Raise NoStore, saying which command makes it, when the store file is missing."""
    if not Path(store_path).exists():
        ingest = f"kcbx ingest --params {params_path}" if params_path else "kcbx ingest"
        raise NoStore(f"no store at {store_path}: run `{ingest}` first")


def open_read_only(store_path: str | Path) -> duckdb.DuckDBPyConnection:
    """A new connection that reads the store file as it is now, read-only.

    An in-memory DuckDB of its own with the file attached READ_ONLY as ``store`` (and
    made the default catalog, so tables are named plainly): not DuckDB's shared instance
    of the file, which after an ingest still shows the store the rename replaced as long
    as any connection of this process holds it. Close it when done (``with``): an open
    reader never blocks an ingest, but keeps the replaced file's space until closed.
    Raises NoStore for a missing store, StoreOpenForWriting when it is open for writing
    elsewhere.
    """
    store_path = Path(store_path)
    require_store(store_path)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_literal(str(store_path.resolve()))} AS {STORE_ALIAS} (READ_ONLY)")
        con.execute(f"USE {STORE_ALIAS}")
    except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
        con.close()
        # "Could not set lock": a writer in another process; "Unique file handle conflict":
        # a writer in this one. Any other fault (not a DuckDB file, say) is raised as it is.
        if isinstance(exc, duckdb.IOException) and "Could not set lock" not in str(exc):
            raise
        raise StoreOpenForWriting(
            f"库正被其他程序以读写方式打开 the store {store_path} is open for writing elsewhere "
            f"(close it, or open it read-only): {exc}") from None
    except BaseException:
        con.close()
        raise
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
