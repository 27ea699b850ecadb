"""How fast is `kcbx run`? Every figure of the speed table (README), in one run, on a copy of the county.

    .venv/bin/python benchmarks/bench_run.py --params params/tongjiang.yaml --as-of 2021-11-30 \
        [--sample 4] [--workers 2] [--skip-naive]

Prints, for the same sample of townships:
  1. the naive loop: the `papermill` CLI, then `jupyter nbconvert --to html --no-input`,
     one notebook after another (each notebook computes the county itself);
  2. the previous engine: papermill with a fresh kernel per notebook ("papermill");
  3. the warm-kernel engine ("warm");
then, on the whole county: 4. the warm engine, every report rendered (--force), with the
peak RSS of all its processes and the CPU seconds of the run's parent, its workers and
their kernels; 5. the unchanged re-run through the `kcbx` CLI; 6. a change to one
township's ledger rows (one absence corrected in the store); 7. one township's absence file
taken out of a copy of the ledger folder (`kcbx ingest --allow-shrink`).

Runs write into a temporary outputs folder and a copy of the store: the county's own
outputs and store are left alone. Not run by the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from kcbx.params import load_params, parse_as_of
from kcbx.runner.manifest import RunStatus
from kcbx.runner.run import DEFAULT_NOTEBOOKS_DIR, TOWNSHIP_NOTEBOOK, run_county

BIN = Path(sys.executable).parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProcessTree:
    """This process and all its descendants, sampled: the largest sum of their resident
    memory, and the CPU seconds each used (its last sample), by kind: this process (the
    run's parent), its workers, their kernels."""

    KINDS = ("parent", "workers", "kernels")

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._cpu: dict[int, tuple[str, float]] = {}  # pid -> (kind, CPU seconds so far)

    @staticmethod
    def _kind(pid: int) -> str:
        if pid == os.getpid():
            return "parent"
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            return "workers"
        return "kernels" if b"ipykernel" in command else "workers"

    def _tree(self, root: int) -> dict[int, tuple[int, float]]:
        """pid -> (resident bytes, CPU seconds) of root and its descendants."""
        parents, usage = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/statm") as statm:
                    rss = int(statm.read().split()[1]) * PAGE_SIZE
            except (OSError, IndexError, ValueError):
                continue  # the process ended meanwhile
            parents[int(entry)] = int(fields[1])
            usage[int(entry)] = (rss, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
        tree, frontier = {root}, [root]
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
            tree.update(children)
            frontier = children
        return {pid: usage[pid] for pid in tree if pid in usage}

    def _sample(self) -> None:
        while not self._stop.is_set():
            tree = self._tree(os.getpid())
            self.peak = max(self.peak, sum(rss for rss, _ in tree.values()))
            for pid, (_, cpu) in tree.items():
                kind = self._cpu[pid][0] if pid in self._cpu else self._kind(pid)
                self._cpu[pid] = (kind, cpu)
            time.sleep(self.interval)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used while sampled, by kind (a process shorter than a sample is missed)."""
        totals = dict.fromkeys(self.KINDS, 0.0)
        for kind, seconds in self._cpu.values():
            totals[kind] += seconds
        totals["parent"] -= self._parent_before
        return totals

    def __enter__(self) -> ProcessTree:
        self._parent_before = sum(os.times()[:2])
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def naive_loop(params, as_of, townships, folder: Path) -> list[float]:
    """Seconds per notebook: papermill CLI, then nbconvert CLI, one after another."""
    seconds = []
    for position, township in enumerate(townships):
        out = folder / f"naive-{position}"
        out.mkdir(parents=True)
        executed = out / "notebook.ipynb"
        started = time.perf_counter()
        subprocess.run([BIN / "papermill", DEFAULT_NOTEBOOKS_DIR / TOWNSHIP_NOTEBOOK, executed,
                        "-p", "params", str(params.path), "-p", "township", township,
                        "-p", "as_of", as_of.isoformat(), "-p", "output_dir", str(out),
                        "--cwd", str(DEFAULT_NOTEBOOKS_DIR), "--no-progress-bar"],
                       check=True, capture_output=True)
        subprocess.run([BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", str(executed)],
                       check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def township_seconds(manifest) -> list[float]:
    return [t.seconds for t in manifest.townships if t.township is not None]


def report(label: str, manifest, wall: float) -> None:
    towns = township_seconds(manifest)
    county = [t.seconds for t in manifest.townships if t.township is None]
    reused = sum(t.status == RunStatus.REUSED for t in manifest.townships)
    mean = f"{statistics.mean(towns):.2f} s" if towns else "-"
    print(f"{label:<44} {wall:7.2f} s wall  {len(manifest.townships)} notebooks "
          f"({reused} reused), {wall / len(manifest.townships):.2f} s wall per notebook; "
          f"township notebook mean {mean}, county {county[0]:.2f} s; ok={manifest.ok}")


def change_one_township(store: Path) -> str:
    """Correct one absence (病假 → 无故) of one pupil, as a re-sent school file would; the township."""
    with duckdb.connect(str(store)) as con:
        township, source_file, source_row = con.execute(
            "SELECT r.township, a.source_file, a.source_row FROM absence a JOIN roster r USING (person_key) "
            "WHERE NOT a.unexcused ORDER BY a.source_file, a.source_row LIMIT 1").fetchone()
        con.execute("UPDATE absence SET unexcused = true, absence_type = '无故' "
                    "WHERE source_file = ? AND source_row = ?", [source_file, source_row])
    return township


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--sample", type=int, default=4, help="townships in the sample runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    original = load_params(args.params)
    as_of = parse_as_of(args.as_of)

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        store = scratch / "store.duckdb"
        shutil.copyfile(original.store, store)
        # A params file of its own, so that the CLI and papermill see the copy too.
        text = original.path.read_text(encoding="utf-8")
        params_path = scratch / original.path.name
        params_path.write_text(
            "\n".join(line for line in text.splitlines()
                      if not line.startswith(("store:", "outputs:", "ledgers:")))
            + f"\nstore: {store}\noutputs: {scratch / 'outputs'}\nledgers: {original.ledgers}\n",
            encoding="utf-8")
        params = load_params(params_path)

        def timed_run(**kwargs):
            started = time.perf_counter()
            manifest = run_county(params, as_of, progress=False, workers=args.workers, **kwargs)
            return manifest, time.perf_counter() - started

        full, _ = timed_run(force=True)  # also warms the file cache and finds the townships
        sample = [t.township for t in full.townships if t.township is not None][:args.sample]
        print(f"{params.county} {as_of}: {len(full.townships) - 1} townships; sample {', '.join(sample)}; "
              f"{args.workers} workers")

        if not args.skip_naive:
            naive = naive_loop(params, as_of, sample, scratch / "naive")
            print(f"{'1. naive loop (papermill CLI + nbconvert CLI)':<44} {sum(naive):7.2f} s wall  "
                  f"{len(naive)} notebooks, {statistics.mean(naive):.2f} s per notebook")
        fresh, wall = timed_run(townships=sample, engine="papermill", force=True)
        report("2. papermill engine, fresh kernels, sample", fresh, wall)
        warm, wall = timed_run(townships=sample, engine="warm", force=True)
        report("3. warm engine, sample", warm, wall)
        if not args.skip_naive:
            per_notebook = sum(township_seconds(warm)) / len(sample)
            print(f"   per township notebook: naive {statistics.mean(naive):.2f} s, warm "
                  f"{per_notebook:.2f} s: {statistics.mean(naive) / per_notebook:.1f}x; "
                  f"wall per notebook (naive / warm run): "
                  f"{statistics.mean(naive) / (wall / len(warm.townships)):.1f}x")

        with ProcessTree() as processes:
            full, wall = timed_run(force=True)
        report("4. warm engine, whole county", full, wall)
        print(f"   peak RSS of all processes: {processes.peak / 2**30:.2f} GiB")
        cpu = processes.cpu_seconds()
        print(f"   CPU seconds: {sum(cpu.values()):.1f} in all over {wall:.1f} s wall; "
              + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in cpu.items()))

        started = time.perf_counter()
        subprocess.run([BIN / "kcbx", "run", "--params", str(params_path), "--as-of",
                        as_of.isoformat(), "--quiet"], check=True, capture_output=True)
        unchanged = time.perf_counter() - started
        print(f"{'5. unchanged re-run (kcbx CLI)':<44} {unchanged:7.2f} s wall  "
              f"({unchanged / wall:.1%} of the full run)")

        township = change_one_township(store)
        changed, changed_wall = timed_run()
        rendered = [t.name for t in changed.townships if t.status != RunStatus.REUSED]
        report(f"6. one township changed ({township})", changed, changed_wall)
        print(f"   rendered again: {', '.join(rendered)} ({changed_wall / wall:.1%} of the full run)")

        # 7. A copy of the ledger folder, ingested (which undoes 6.'s change) and run; then one
        # township's absence file taken out of it.
        ledgers = scratch / "ledgers"
        shutil.copytree(original.ledgers, ledgers)
        params_path.write_text(params_path.read_text(encoding="utf-8").replace(
            f"ledgers: {original.ledgers}", f"ledgers: {ledgers}"), encoding="utf-8")
        params = load_params(params_path)
        ingest = [BIN / "kcbx", "ingest", "--params", str(params_path), "--quiet", "--allow-shrink"]
        subprocess.run(ingest, check=True, capture_output=True)
        timed_run()
        removed_file, township = one_township_s_absence_file(store)
        (ledgers / removed_file).unlink()
        subprocess.run(ingest, check=True, capture_output=True)
        removed, removed_wall = timed_run()
        rendered = [t.name for t in removed.townships if t.status != RunStatus.REUSED]
        report(f"7. one absence file removed ({township})", removed, removed_wall)
        print(f"   rendered again: {', '.join(rendered)} ({removed_wall / wall:.1%} of the full run)")
    return 0


def one_township_s_absence_file(store: Path) -> tuple[str, str]:
    """An absence file whose pupils are all of one township (its path in the ledger folder), and the township."""
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute(
            "SELECT a.source_file, min(r.township) FROM absence a JOIN roster r USING (person_key) "
            "GROUP BY a.source_file HAVING count(DISTINCT r.township) = 1 ORDER BY 1 LIMIT 1").fetchone()


if __name__ == "__main__":  # required: the worker processes are spawned and re-import this file
    sys.exit(main())
