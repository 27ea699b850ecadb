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

from kcbx.util.errors import OneLineError
from kcbx.util.processes import lock_holder
from kcbx.util.text import inert


class StoreOpenForWriting(OneLineError, RuntimeError):
    """The store is open for writing elsewhere (a DuckDB shell or connection opened without
    read-only, in another process or this one): it cannot be read until that one closes."""


STORE_ALIAS = "store"  # the catalog name of the store in a connection of open_read_only


class NoStore(OneLineError, FileNotFoundError):
    """A county with no store yet: its ledgers were never ingested."""


def require_store(store_path: str | Path, params_path: str | Path | None = None) -> None:
    """Raise NoStore, saying which command makes it, when the store file is missing."""
    if not Path(store_path).exists():
        ingest = f"kcbx ingest --params {params_path}" if params_path else "kcbx ingest"
        raise NoStore(f"no store at {store_path}: run `{ingest}` first")


class DamagedStore(OneLineError, RuntimeError):
    """The store file cannot be read (cut short, not a DuckDB file): its message is one line
    saying so and that ``kcbx ingest`` rebuilds it (``check_store``)."""


def require_intact_store(store_path: str | Path, params_path: str | Path | None = None) -> None:
    """Raise NoStore when the store is missing, DamagedStore when DuckDB cannot read it."""
    require_store(store_path, params_path)
    damaged = check_store(store_path, params_path)
    if damaged:
        raise DamagedStore(damaged)


# DuckDB's file: three 4 KiB headers, then total_blocks blocks of block_size bytes each.
_FILE_HEADERS_BYTES = 3 * 4096


def check_store(store_path: str | Path, params_path: str | Path | None = None, *,
                deep: bool = False) -> str | None:
    """None when the store file can be read; else one line saying it is damaged and what to do:
    "存储文件已损坏：<store>（<DuckDB's reason>）；请运行 kcbx ingest --params <params> 重建".

    Damaged is what DuckDB itself says, read-only, in an instance of its own: the file does not
    attach (not a DuckDB file, its header cut short), or it is shorter than its own blocks
    (``pragma_database_size``: cut short by a full disk or a copy stopped half-way), which is
    then confirmed by reading every column of every table. ``deep`` reads them all in any case
    (seconds on a large county). A missing store, or one open for writing elsewhere, is not
    damaged: ``require_store`` and ``open_read_only`` say those. Used by ``kcbx run`` before a
    run; ``kcbx ingest`` can use it to set a damaged store aside before rebuilding it.
    """
    store_path = Path(store_path)
    if not store_path.is_file():
        return None
    con = duckdb.connect(":memory:")
    try:
        try:
            con.execute(f"ATTACH {_literal(str(store_path.resolve()))} AS {STORE_ALIAS} (READ_ONLY)")
        except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
            if "Could not set lock" in str(exc) or isinstance(exc, duckdb.ResourceInUseException):
                return None  # open for writing elsewhere: open_read_only says so
            return _damaged(store_path, params_path, exc)
        except duckdb.Error as exc:
            return _damaged(store_path, params_path, exc)
        block_size, blocks = con.execute(
            "SELECT block_size, total_blocks FROM pragma_database_size() WHERE database_name = ?",
            [STORE_ALIAS]).fetchone()
        if not deep and store_path.stat().st_size >= _FILE_HEADERS_BYTES + blocks * block_size:
            return None
        try:
            _read_every_column(con)
        except duckdb.Error as exc:
            return _damaged(store_path, params_path, exc)
        return None
    finally:
        con.close()


def _read_every_column(con: duckdb.DuckDBPyConnection) -> None:
    """Read every block of every table's data: hash each column (a count would read none)."""
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
                         [STORE_ALIAS]).fetchall()
    for schema, table in tables:
        name = f"{STORE_ALIAS}.{_identifier(schema)}.{_identifier(table)}"
        con.execute(f"SELECT max(hash(COLUMNS(*))) FROM {name}").fetchall()


def _damaged(store_path: Path, params_path: str | Path | None, exc: BaseException) -> str:
    reason = inert(" ".join(str(exc).split()), limit=300)  # DuckDB's message, on one line
    ingest = f"kcbx ingest --params {inert(params_path, limit=None)}" if params_path else "kcbx ingest"
    return f"存储文件已损坏：{inert(store_path, limit=None)}（{reason}）；请运行 {ingest} 重建"


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
        raise StoreOpenForWriting(_held_for_writing(store_path, str(exc))) from None
    except BaseException:
        con.close()
        raise
    return con


def _held_for_writing(store_path: Path, reason: str) -> str:
    """One line: who holds the store for writing (a Jupyter kernel, by its command line) and
    what to do, then DuckDB's own words."""
    holder = lock_holder(reason) or ("本进程中的一个连接" if "Unique file handle" in reason else "另一个程序")
    return (f"{holder}以读写方式打开了库 {store_path}：请在那里关闭该连接（con.close()，或重启内核），"
            f"读库请用只读方式（kx.connect、duckdb.connect(path, read_only=True)） "
            f"the store is open for writing elsewhere: {' '.join(reason.split())}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

