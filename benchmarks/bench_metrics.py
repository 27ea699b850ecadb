"""How long do all the measures take, for the whole county and per township, in one process?

Run by hand after `kcbx ingest` (not by the tests):

    .venv/bin/python benchmarks/bench_metrics.py --params params/tongjiang.yaml --as-of 2021-10-15

Prints the store load time, the county analysis time, and the per-township analysis
time (mean, slowest, total) for every township in scope.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kcbx.metrics import analyse, townships_in_scope
from kcbx.params import load_params, parse_as_of
from kcbx.store import load_tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params/demo.yaml")
    parser.add_argument("--as-of", default="2021-10-15")
    args = parser.parse_args()
    params, as_of = load_params(args.params), parse_as_of(args.as_of)

    started = time.perf_counter()
    tables = load_tables(params.store)
    loaded = time.perf_counter() - started
    rows = sum(len(t) for t in tables.values())
    print(f"store: {rows:,} rows loaded in {loaded:.2f} s")

    started = time.perf_counter()
    analyse(tables, params, as_of, None)
    print(f"county: all metrics in {time.perf_counter() - started:.2f} s")

    seconds = []
    for township in townships_in_scope(tables, params, as_of):
        started = time.perf_counter()
        analyse(tables, params, as_of, township)
        seconds.append(time.perf_counter() - started)
    print(f"townships: {len(seconds)}, mean {statistics.mean(seconds):.2f} s, "
          f"slowest {max(seconds):.2f} s, all {sum(seconds):.1f} s")


if __name__ == "__main__":
    main()
