"""Time one `kcbx run`: seconds in total and per notebook (townships, then the county).

    PYTHONPATH=lib .venv/bin/python benchmarks/bench_run.py --params params/demo.yaml \
        --as-of 2021-10-15 [--workers 2] [--township 城厢镇 ...] [--engine papermill]

The run is a real one: it replaces <outputs>/<county>/<as_of>/. Not run by the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kcbx.params import load_params, parse_as_of
from kcbx.run import ENGINES, run_county


def townships_of(params, as_of) -> list[str]:
    """Every township a run covers (as `kcbx run` finds them), from the ingested store."""
    from kcbx.metrics import townships_in_scope
    from kcbx.store import load_tables

    return townships_in_scope(load_tables(params.store, kinds=["roster", "population"]),
                              params, as_of)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True)
    parser.add_argument("--as-of", required=True, help="YYYY-MM-DD or 'today'")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--township", action="append", default=[],
                        help="only this township (repeatable); default: every township")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="papermill")
    parser.add_argument("--notebooks", type=Path, default=None, help="default: notebooks/")
    args = parser.parse_args(argv)

    params = load_params(args.params)
    as_of = parse_as_of(args.as_of)
    townships = args.township or townships_of(params, as_of)
    manifest = run_county(params, as_of, townships, workers=args.workers, progress=False,
                          notebooks_dir=args.notebooks, engine=args.engine)

    for record in manifest.townships:
        status = "" if record.status == "ok" else f"  FAILED: {record.error}"
        print(f"{record.seconds:7.2f} s  {record.name}{status}")
    notebook_seconds = sum(record.seconds for record in manifest.townships)
    print(f"{len(manifest.townships)} notebooks ({len(townships)} townships + county), "
          f"{manifest.workers} workers, engine {manifest.engine}")
    print(f"total {manifest.seconds:.2f} s wall; notebooks {notebook_seconds:.2f} s summed; "
          f"{manifest.seconds / len(manifest.townships):.2f} s wall per notebook")
    return 0 if manifest.ok else 1


if __name__ == "__main__":  # required: the worker processes are spawned and re-import this file
    sys.exit(main())
