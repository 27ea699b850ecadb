"""How fast is `kcbx ingest`, against merely reading the same files with pandas + calamine?

Run by hand (not by the tests):

    cd /work/main && PYTHONPATH=lib .venv/bin/python benchmarks/bench_ingest.py --params params/tongjiang.yaml

The ingest writes to a fresh store in a temporary folder, so every file is
read (an existing store would skip unchanged files) and the county's store is
left alone. The two are timed in turn, ``--repeat`` times, and the fastest
of each counts (other work on the machine only ever slows a run down).
Prints rows, seconds and rows per second for both, then the
re-ingest with no file changed: of ingest_folder, and of the whole `kcbx
ingest` command in a new Python process (start-up and imports included).
Targets: the ingest within 1.5x the plain read (issue 27; 2x before), the re-ingest within 1 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from kcbx.ingest.county import ingest_folder
from kcbx.ingest.ledgers.folder import find_ledger_files
from kcbx.ingest.ledgers.read import read_grids
from kcbx.params import load_params


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the ingest's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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


def time_cli_reingest(params_path: Path, ledgers: Path, store: Path) -> float:
    """Seconds of `kcbx ingest --quiet` in a new process, on a params file pointing at ``store``."""
    settings = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    settings.update(ledgers=str(ledgers), store=str(store), outputs=str(store.parent / "outputs"))
    scratch_params = store.parent / "params.yaml"
    scratch_params.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kcbx.cli", "ingest", "--params", str(scratch_params), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest of each is shown")
    args = parser.parse_args()
    params = load_params(args.params)

    ingest_seconds = read_seconds = ingest_cpu = read_cpu = float("inf")
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.repeat):
            fresh = dataclasses.replace(params, store=Path(scratch) / f"bench{round_}.duckdb")
            started, cpu_started = time.perf_counter(), cpu_seconds()
            report = ingest_folder(fresh)
            ingest_seconds = min(ingest_seconds, time.perf_counter() - started)
            ingest_cpu = min(ingest_cpu, cpu_seconds() - cpu_started)
            cpu_started = cpu_seconds()
            read_rows, seconds = time_plain_read(params.ledgers)
            read_seconds = min(read_seconds, seconds)
            read_cpu = min(read_cpu, cpu_seconds() - cpu_started)

        reingest_seconds = cli_seconds = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            again = ingest_folder(fresh)
            reingest_seconds = min(reingest_seconds, time.perf_counter() - started)
            assert {f.status for f in again.files} == {"unchanged"}, "a file was read again"
            cli_seconds = min(cli_seconds, time_cli_reingest(args.params, params.ledgers, fresh.store))

    grid_rows, grid_seconds = time_raw_grids(params.ledgers)

    def line(label: str, rows: int, seconds: float) -> str:
        rate = rows / seconds if seconds else float("inf")
        return f"{label:<34} {rows:>10,} rows {seconds:>8.2f} s {rate:>12,.0f} rows/s"

    print(f"ledgers: {params.ledgers} ({len(report.files)} files), fastest of {args.repeat} rounds")
    print(line("kcbx ingest (read+check+store)", report.rows_read, ingest_seconds))
    print(f"{'  accepted / rejected':<34} {report.rows_accepted:>10,} / {report.rows_rejected:,}")
    print(line("pandas + calamine read only", read_rows, read_seconds))
    print(f"{'  ingest / plain read':<34} {ingest_seconds / read_seconds:>10.2f} x (target <= 1.5)")
    print(f"{'  CPU s, all processes':<34} {ingest_cpu:>10.2f} s ingest, {read_cpu:.2f} s plain read")
    print(line("kcbx read_grids only", grid_rows, grid_seconds))
    print(f"{'re-ingest, nothing changed':<34} {'ingest_folder':>10} {reingest_seconds:>8.2f} s")
    print(f"{'':<34} {'kcbx CLI':>10} {cli_seconds:>8.2f} s (new process; target <= 1 s)")
    slowest = sorted(report.files, key=lambda f: f.seconds, reverse=True)[:5]
    print("slowest files: " + ", ".join(f"{f.file} {f.seconds:.2f} s" for f in slowest))


if __name__ == "__main__":
    main()
