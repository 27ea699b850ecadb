"""How long do the measures take: the county pass once, each township's cut, and (for
comparison) a township measured on its own?

Run by hand after `kcbx ingest` (not by the tests):

    .venv/bin/python benchmarks/bench_metrics.py --params params/tongjiang.yaml --as-of 2021-11-30

Prints the store load time, the county pass, the cut per township (mean, slowest, all;
and what a reused report costs: its rows selected and digested),
and a fresh per-township analysis (`analyse`, what JupyterLab computes on demand) for a
sample of townships; then the early warning (预警名单) on its own: reading the ledgers for
it once, scoring every pupil on as_of, the back-test, and every pupil scored on each of the
last 20 school days at once (what a back-test over many days would cost).
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from kcbx.analysis.county import analyse, measure_county
from kcbx.calendar import school_days_for
from kcbx.measures import warning
from kcbx.measures.cases import case_table
from kcbx.params import load_params, parse_as_of
from kcbx.store.tables import load_tables
from kcbx.util.digest import content_digest


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params/demo.yaml")
    parser.add_argument("--as-of", default="2021-10-15")
    parser.add_argument("--sample", type=int, default=3, help="townships measured on their own")
    args = parser.parse_args()
    params, as_of = load_params(args.params), parse_as_of(args.as_of)

    tables, seconds = timed(load_tables, params.store)
    print(f"store: {sum(len(t) for t in tables.values()):,} rows loaded in {seconds:.2f} s")
    county_pass, seconds = timed(measure_county, tables, params, as_of)
    print(f"county pass (every county-wide measure, once): {seconds:.2f} s")
    townships = county_pass.townships()
    cuts = [timed(county_pass.analysis, township)[1] for township in townships]
    _, county_cut = timed(county_pass.analysis, None)
    print(f"cut per township: {len(cuts)} townships, mean {statistics.mean(cuts):.3f} s, "
          f"slowest {max(cuts):.3f} s, all {sum(cuts):.1f} s; the county's cut {county_cut:.2f} s")
    # What a run pays for a township whose report it reuses: its rows selected and digested.
    selected = [timed(county_pass.rows, township) for township in townships]
    digests = [timed(content_digest, rows)[1] for rows, _ in selected]
    print(f"  of which selecting a township's rows: mean {statistics.mean(s for _, s in selected):.3f} s; "
          f"digesting them (its fingerprint): mean {statistics.mean(digests):.3f} s; "
          f"both, all townships {sum(s for _, s in selected) + sum(digests):.1f} s")
    fresh = [timed(analyse, tables, params, as_of, township)[1] for township in townships[:args.sample]]
    print(f"a township measured on its own (analyse): mean {statistics.mean(fresh):.2f} s "
          f"over {len(fresh)} townships")
    bench_early_warning(tables, params, as_of)


def bench_early_warning(tables, params, as_of) -> None:
    """The 预警名单's own costs, inside the county pass above."""
    days, settings = school_days_for(params), params.early_warning
    evidence, seconds = timed(warning.warning_evidence, tables["roster"], tables["absence"], tables["cases"],
                              tables["poverty"], tables["disability"], days)
    print(f"early warning: ledgers read once ({len(tables['absence']):,} absence rows, "
          f"{len(evidence.case_timeline):,} case days) in {seconds:.2f} s")
    scores, seconds = timed(warning.score_day, evidence, as_of, settings)
    print(f"  every pupil scored on {as_of}: {len(scores):,} pupils, "
          f"{int(scores['level'].notna().sum()):,} listed, in {seconds:.2f} s")
    cases = case_table(tables["cases"], as_of, params.notice_days, days)
    check, seconds = timed(warning.backtest, evidence, cases, as_of, settings)
    print(f"  back-test (L = {check.lookback_day and check.lookback_day.date()}, horizon "
          f"{settings.horizon} days): {check.figures()} in {seconds:.2f} s")
    recent = days[days <= pd.Timestamp(as_of)][-20:]
    pupils = warning.enrolled_pupils(evidence.roster, as_of)["person_key"]
    queries = pd.DataFrame({"person_key": list(pupils) * len(recent),
                            "day": recent.repeat(len(pupils))})
    many, seconds = timed(warning.score_pupils, evidence, queries, settings)
    print(f"  every pupil on each of the last {len(recent)} school days at once: {len(many):,} scores "
          f"in {seconds:.2f} s")


if __name__ == "__main__":
    main()
