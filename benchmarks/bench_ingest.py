"""How fast is `kcbx ingest`, against merely reading the same files with pandas + calamine?

Run by hand (not by the tests):

    cd /work/main && PYTHONPATH=lib .venv/bin/python benchmarks/bench_ingest.py --params params/demo.yaml

The ingest writes to a fresh store in a temporary folder, so every file is
read (an existing store would skip unchanged files) and the county's store is
left alone. Prints rows, seconds and rows per second for both.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import pandas as pd

from kcbx.ingest import ingest_folder
from kcbx.ledgers.read import find_ledger_files, read_grids
from kcbx.params import load_params


def time_plain_read(ledgers: Path) -> tuple[int, float]:
    """Rows (all sheet rows, title and header included) and seconds to read every ledger file."""
    files, _ = find_ledger_files(ledgers)
    started = time.perf_counter()
    rows = 0
    for ledger_file in files:
        if ledger_file.path.suffix.lower() == ".csv":
            rows += len(pd.read_csv(ledger_file.path, header=None, dtype=str, encoding_errors="replace",
                                    on_bad_lines="skip"))
        else:
            sheets = pd.read_excel(ledger_file.path, sheet_name=None, header=None, dtype=object,
                                   engine="calamine")
            rows += sum(len(sheet) for sheet in sheets.values())
    return rows, time.perf_counter() - started


def time_raw_grids(ledgers: Path) -> tuple[int, float]:
    """Rows and seconds for kcbx's own file reading alone (read_grids: encodings, CSV line numbers)."""
    files, _ = find_ledger_files(ledgers)
    started = time.perf_counter()
    rows = sum(len(grid) for f in files for _, grid in read_grids(f.path))
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, type=Path)
    args = parser.parse_args()
    params = load_params(args.params)

    with tempfile.TemporaryDirectory() as scratch:
        fresh = dataclasses.replace(params, store=Path(scratch) / "bench.duckdb")
        started = time.perf_counter()
        report = ingest_folder(fresh)
        ingest_seconds = time.perf_counter() - started

    read_rows, read_seconds = time_plain_read(params.ledgers)
    grid_rows, grid_seconds = time_raw_grids(params.ledgers)

    def line(label: str, rows: int, seconds: float) -> str:
        rate = rows / seconds if seconds else float("inf")
        return f"{label:<34} {rows:>10,} rows {seconds:>8.2f} s {rate:>12,.0f} rows/s"

    print(f"ledgers: {params.ledgers} ({len(report.files)} files)")
    print(line("kcbx ingest (read+check+store)", report.rows_read, ingest_seconds))
    print(f"{'  accepted / rejected':<34} {report.rows_accepted:>10,} / {report.rows_rejected:,}")
    print(line("kcbx read_grids only", grid_rows, grid_seconds))
    print(line("pandas + calamine read only", read_rows, read_seconds))
    slowest = sorted(report.files, key=lambda f: f.seconds, reverse=True)[:5]
    print("slowest files: " + ", ".join(f"{f.file} {f.seconds:.2f} s" for f in slowest))


if __name__ == "__main__":
    main()
