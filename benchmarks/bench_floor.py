"""The least CPU a run could take: every output of a county made in one process, with no
papermill, no kernel, no worker, no digest and no reuse. What a run spends beyond this
is orchestration; what this costs, no orchestration can save.

Run by hand after `kcbx ingest` (not by the tests):

    .venv/bin/python benchmarks/bench_floor.py --params params/tongjiang.yaml --as-of 2021-11-30

Measures, in CPU seconds of this process (DuckDB's threads included) and wall seconds:
the store load; the county pass; for every township its cut, its report's sections (charts
included), its outputs as a run writes them (``notebook.write_outputs``: forms.xlsx, a township's
学校/ and 文书/ folders, metrics.json, daily.png), and its report.html (nbconvert, from a notebook
holding the sections as outputs, as an executed notebook does); then the county's, with
its ranking and trends and its whole 适龄儿童台账.xlsx.

Prints each part's total, the whole, and two bounds on a machine of --cores cores:
- a full run (a first run, or ``--force``: bench_run's) cannot take less wall time than the
  whole's CPU divided by the cores; a run that renders every report again but is lent the
  previous run's unchanged 适龄儿童台账.xlsx, than the rest of it divided by the cores;
- a run after one township's change cannot take less than the county's chain: the load,
  the pass, then the county's cut, sections, outputs and HTML, each waiting for the last.
  (The changed township renders beside it.) The 适龄儿童台账.xlsx is left out of the
  chain: a change that leaves the ledger as it was keeps the previous file.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import nbformat

from bench_render import sections_notebook
from kcbx.analysis.county import measure_county
from kcbx.notebook import write_outputs
from kcbx.outputs import SCHOOL_AGE_LEDGER_FILE, county_output_dir
from kcbx.params import load_params, parse_as_of
from kcbx.report import show
from kcbx.report.forms import write_school_age_ledger
from kcbx.report.html import export_html
from kcbx.runner.history import load_history
from kcbx.store.tables import load_tables

PARTS = ("cut", "sections", "outputs", "html")


class Clock:
    """CPU and wall seconds, summed by part."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)

    def time(self, part: str, run: Callable[[], object]):
        cpu, wall = time.process_time(), time.perf_counter()
        result = run()
        self.cpu[part] += time.process_time() - cpu
        self.wall[part] += time.perf_counter() - wall
        return result


def render(clock: Clock, prefix: str, analysis, sections, folder: Path) -> None:
    """One report's outputs into folder, each part timed under prefix."""
    folder.mkdir()
    bodies = clock.time(f"{prefix}sections", lambda: [section().body for section in sections])
    # As a run's notebook writes them; the county's 适龄儿童台账.xlsx is a job of its own (below).
    clock.time(f"{prefix}outputs", lambda: write_outputs(analysis, folder, school_age_ledger=False))

    def html() -> None:
        notebook = folder / "notebook.ipynb"
        nbformat.write(sections_notebook(bodies, analysis.township or "county"), notebook)
        export_html(notebook, folder / "report.html")

    clock.time(f"{prefix}html", html)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params/demo.yaml")
    parser.add_argument("--as-of", default="2021-10-15")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    params, as_of = load_params(args.params), parse_as_of(args.as_of)
    clock = Clock()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        # A first render, untimed: imports, fonts and templates are each process's one-off cost.
        warm = measure_county(load_tables(params.store), params, as_of)
        first = warm.analysis(warm.townships()[0])
        render(Clock(), "", first, [lambda s=s, a=first: s(a) for s in show.TOWNSHIP_SECTIONS], folder / "warm")
        del warm, first

        tables = clock.time("load", lambda: load_tables(params.store))
        county_pass = clock.time("pass", lambda: measure_county(tables, params, as_of))
        names = county_pass.townships()
        for name in names:
            analysis = clock.time("cut", lambda name=name: county_pass.analysis(name))
            render(clock, "", analysis, [lambda s=s, a=analysis: s(a) for s in show.TOWNSHIP_SECTIONS],
                   folder / name)
        county = clock.time("county cut", lambda: county_pass.analysis(None))
        # As a run prepares them (kcbx.runner.prepare): the forms' 周通报 reads them too.
        county.ranking = clock.time("county cut", lambda: county_pass.ranking(names))
        county.history = load_history(county_output_dir(params), as_of, since=params.term_start)
        county_sections = [lambda: show.ranking(county, county.ranking),
                           lambda: show.trends(county, county.history),
                           *(lambda s=s: s(county) for s in show.TOWNSHIP_SECTIONS)]
        render(clock, "county ", county, county_sections, folder / "county")
        clock.time("county ledger", lambda: write_school_age_ledger(
            county, folder / "county" / SCHOOL_AGE_LEDGER_FILE))

    print(f"{params.county} {as_of}: {len(names)} townships and the county, in one process")
    print(f"{'part':<16}{'CPU s':>9}{'wall s':>9}")
    for part in clock.cpu:
        print(f"{part:<16}{clock.cpu[part]:>9.2f}{clock.wall[part]:>9.2f}")
    whole = sum(clock.cpu.values())
    print(f"{'whole':<16}{whole:>9.2f}{sum(clock.wall.values()):>9.2f}")
    per_township = {part: clock.cpu[part] / len(names) for part in PARTS}
    print("per township (CPU s): " + ", ".join(f"{part} {seconds:.3f}" for part, seconds in per_township.items())
          + f"; {sum(per_township.values()):.3f} in all")
    lent = whole - clock.cpu["county ledger"]
    print(f"full run on {args.cores} cores: at least {whole / args.cores:.1f} s wall (the whole's CPU / "
          f"{args.cores}); at least {lent / args.cores:.1f} s when the previous run lends its unchanged "
          f"适龄儿童台账.xlsx (never with --force)")
    chain = ("load", "pass", "county cut", "county sections", "county outputs", "county html")
    chain_wall = sum(clock.wall[part] for part in chain)
    print(f"one township changed: at least {chain_wall:.1f} s wall (the county's chain: "
          + " + ".join(f"{part} {clock.wall[part]:.2f}" for part in chain) + "): "
          f"{chain_wall / (whole / args.cores):.0%} of the full run's bound")


if __name__ == "__main__":
    main()
