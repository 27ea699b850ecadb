"""How does a province run scale on dask.distributed, from 1 to 2 workers?

    .venv/bin/python benchmarks/bench_cluster.py --params params/demo.yaml --as-of 2021-10-15 \
        [--counties 2] [--max-workers 2]

Runs ``--counties`` copies of the county (each under its own name, sharing the store) on
a local dask cluster of 1, then 2 … workers (`kcbx run --scheduler local`), every
report rendered, and prints the wall time, including the cluster's start. Outputs go to
a temporary folder. Not run by the tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from kcbx.params import load_params, parse_as_of
from kcbx.runner.cluster import run_counties


def county_copies(params_path: Path, counties: int, folder: Path) -> list:
    """The county's params under other names (示例县-1, -2 …), outputs in ``folder``."""
    original = load_params(params_path)
    text = params_path.read_text(encoding="utf-8")
    copies = []
    for n in range(1, counties + 1):
        lines = [line for line in text.splitlines()
                 if not line.startswith(("county:", "store:", "outputs:", "ledgers:"))]
        path = folder / f"county-{n}.yaml"
        path.write_text("\n".join([*lines, f"county: {original.county}-{n}",
                                   f"store: {original.store}", f"outputs: {folder / 'outputs'}",
                                   f"ledgers: {original.ledgers}"]) + "\n", encoding="utf-8")
        copies.append(load_params(path))
    return copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--counties", type=int, default=2)
    parser.add_argument("--max-workers", type=int, default=2)
    args = parser.parse_args()
    as_of = parse_as_of(args.as_of)
    with tempfile.TemporaryDirectory() as scratch:
        counties = county_copies(args.params, args.counties, Path(scratch))
        walls = {}
        for workers in range(1, args.max_workers + 1):
            started = time.perf_counter()
            outcomes = run_counties(counties, as_of, scheduler="local", workers=workers,
                                    progress=False, force=True)
            walls[workers] = time.perf_counter() - started
            notebooks = sum(len(o.manifest.townships) for o in outcomes if o.manifest)
            ok = all(o.manifest is not None and o.manifest.ok for o in outcomes)
            print(f"{workers} worker(s): {len(counties)} counties, {notebooks} notebooks in "
                  f"{walls[workers]:.1f} s wall (cluster start included); ok={ok}; "
                  f"speed-up {walls[1] / walls[workers]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
