"""The command line: ``kcbx demo | ingest | run | townships | templates | calendar``.

Each subcommand is a thin shell over one library function, so that the same
work can be done from a notebook or a test without going through argparse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from kcbx import __version__
from kcbx.params import DEFAULT_TIMEZONE, ParamsError, load_params, parse_as_of
from kcbx.store.readonly import DamagedStore, NoStore, require_intact_store
from kcbx.util.text import inert, one_line


def _repo_root() -> Path:
    """The project folder: where params/, build/ and outputs/ live for the demo."""
    return Path.cwd()


def cmd_demo(args: argparse.Namespace) -> int:
    from kcbx.demo import write_demo

    params_path = write_demo(Path(args.out), scale=args.scale, seed=args.seed)
    print(f"demo county written; params file: {params_path}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from kcbx.ingest.county import IngestStopped, format_report, ingest_folder

    params = load_params(args.params)
    try:
        report = ingest_folder(params, progress=not args.quiet, allow_shrink=args.allow_shrink)
    except IngestStopped as stopped:  # refused, or another ingest held the store: nothing written
        print(f"kcbx ingest: {one_line(stopped)}", file=sys.stderr)
        return stopped.exit_code
    if args.quiet:  # a cron line's log: the summary, and on stderr what needs a person
        print(ingest_summary(report))
        for line in ingest_problems(report):
            print(f"  {line}", file=sys.stderr)
    else:
        print(format_report(report))
    return 0 if report.ok else 1


def ingest_summary(report) -> str:
    """An ingest in one line: files, rows read, accepted and rejected, seconds, ok or not."""
    state = "正常 ok" if report.ok else "有错误 errors"
    if report.stale:  # never an all-clear that hides a file whose older rows stand in
        state += f", 沿用旧数据 stale {len(report.stale)}"
    return (f"kcbx ingest: {len(report.files)} 个文件 files, 读取 read {report.rows_read}, "
            f"接受 accepted {report.rows_accepted}, 拒绝 rejected {report.rows_rejected}, "
            f"{report.seconds:.1f} s: {state}: {inert(report.store, limit=None)}")


def ingest_problems(report) -> list[str]:
    """One line per file that could not be read, and per file whose earlier rows were kept."""
    lines = [one_line(f.error) for f in report.files if f.error and f.status != "stale"]
    lines += [f"沿用旧数据 stale: {inert(f.file)}: {one_line(f.error or '')}" for f in report.stale]
    return lines


NOTHING_TO_RUN = 3  # exit code: as_of outside the term of every county
OS_ERROR = 6  # exit code: a file could not be read or written (permission, disk full)


def cmd_run(args: argparse.Namespace) -> int:
    from kcbx.runner.run import NothingToRun, check_in_term, run_county

    province = len(args.params) > 1
    as_of = as_of_for(args.as_of, args.params)
    outcomes: list[CountyOutcome] = []
    in_term = []
    for position, path in enumerate(args.params):
        try:
            params = load_params(path)
        except Exception as exc:  # a province goes on without this county (one county: exit 2)
            if not province:
                raise
            outcomes.append(CountyOutcome(str(path), NOT_RUN, f"params: {exception_line(exc)}", position))
            continue
        try:
            check_in_term(params, as_of)
            in_term.append((position, params))
        except NothingToRun:
            # The notebooks' and kcbx.explore's line: the term, the file, the day to use instead.
            from kcbx.notebook import out_of_term_message

            print(f"kcbx run: {one_line(out_of_term_message(params, as_of))}", file=sys.stderr)
            outcomes.append(CountyOutcome(params.county, NOTHING_TO_DO, f"{as_of} is outside its term", position))
    if not in_term:
        if province:
            print_province_summary(outcomes, args.params)
        return 2 if any(o.status == NOT_RUN for o in outcomes) else NOTHING_TO_RUN
    if args.scheduler is not None:
        return _run_on_cluster(in_term, as_of, args, outcomes)
    for position, params in in_term:
        try:
            require_intact_store(params.store, params.path)  # missing, or cut short: one line
            manifest = run_county(params, as_of, list(args.township) or None, workers=args.workers,
                                  progress=not args.quiet, engine=args.engine, force=args.force,
                                  pdf=True if args.pdf else None)  # None: the params file's pdf key
        except (NoStore, DamagedStore) as exc:
            print(one_line(exc), file=sys.stderr)
            outcomes.append(CountyOutcome(params.county, NOT_RUN, exception_line(exc), position))
            continue
        except Exception as exc:  # one county's damaged store or broken worker: the next one runs
            if not province:
                raise
            print(f"{inert(params.county)}: not run: {exception_line(exc)}", file=sys.stderr)
            outcomes.append(CountyOutcome(params.county, NOT_RUN, exception_line(exc), position))
            continue
        _print_outcome(manifest)
        outcomes.append(CountyOutcome.of(manifest, position))
    if province:
        print_province_summary(outcomes, args.params)
    return province_status(outcomes)


def _run_on_cluster(counties, as_of, args: argparse.Namespace, outcomes: list[CountyOutcome]) -> int:
    from kcbx.runner.cluster import run_counties

    if args.township:
        print("kcbx run: --township cannot be used with --scheduler", file=sys.stderr)
        return 2
    if args.pdf:
        print("kcbx run: --pdf cannot be used with --scheduler (a params file's pdf: true can)", file=sys.stderr)
        return 2
    positions = [position for position, _ in counties]
    ran = run_counties([params for _, params in counties], as_of, scheduler=args.scheduler,
                       workers=args.workers, progress=not args.quiet, force=args.force, engine=args.engine)
    for position, outcome in zip(positions, ran):
        if outcome.manifest is None:
            print(f"{inert(outcome.params.county)}: not run: {one_line(outcome.error)}", file=sys.stderr)
            outcomes.append(CountyOutcome(outcome.params.county, NOT_RUN, outcome.error or "", position))
        else:
            _print_outcome(outcome.manifest)
            outcomes.append(CountyOutcome.of(outcome.manifest, position))
    if len(args.params) > 1:
        print_province_summary(outcomes, args.params)
    return province_status(outcomes)


# A county's outcome in a run of several (a province): one line each in the summary.
OK, REPORTS_FAILED, NOT_RUN, NOTHING_TO_DO = "ok", "reports failed", "not run", "nothing to run"
STALE_DATA = "ok, on stale data"  # every report made, but a ledger file could not be read
STALE_EXIT = 7  # exit code: reports made, but on a ledger file's earlier rows (listed)


@dataclass(frozen=True)
class CountyOutcome:
    """One county of ``kcbx run``: its name (the params file's name when it could not be read),
    how it went (OK, REPORTS_FAILED, NOT_RUN, NOTHING_TO_DO) and one line saying so."""

    county: str
    status: str
    text: str
    position: int = 0  # of its --params on the command line: the summary's order

    @classmethod
    def of(cls, manifest, position: int = 0) -> CountyOutcome:
        status = REPORTS_FAILED if not manifest.ok else STALE_DATA if manifest.stale_files else OK
        return cls(manifest.county, status, summary(manifest), position)


def exception_line(exc: BaseException) -> str:
    """An exception in one line: its name and its message's lines joined (no traceback)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {'; '.join(lines)}" if lines else type(exc).__name__


def province_status(outcomes: list[CountyOutcome]) -> int:
    """The exit status of a run of one or several counties: 2 when a county could not run (its
    params, its store, any error before its reports), else 1 when a report failed, else 7 when
    the reports stand on a ledger file's earlier rows (it could not be read), else 0."""
    if any(o.status == NOT_RUN for o in outcomes):
        return 2
    if any(o.status == REPORTS_FAILED for o in outcomes):
        return 1
    return STALE_EXIT if any(o.status == STALE_DATA for o in outcomes) else 0


def print_province_summary(outcomes: list[CountyOutcome], params_files) -> None:
    """The summary of a province run on stdout: a head line, then one line per county."""
    counts = {status: sum(o.status == status for o in outcomes)
              for status in (OK, REPORTS_FAILED, NOT_RUN, NOTHING_TO_DO)}
    if any(o.status == STALE_DATA for o in outcomes):
        counts[STALE_DATA] = sum(o.status == STALE_DATA for o in outcomes)
    print(f"province: {len(params_files)} counties: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    for outcome in sorted(outcomes, key=lambda o: o.position):
        text = outcome.text.split(": ", 1)[1] if outcome.text.startswith(f"{outcome.county}: ") else outcome.text
        print(f"  {inert(outcome.county)}: {outcome.status}: {one_line(text)}")


def _print_outcome(manifest) -> bool:
    print(summary(manifest))
    for line in manifest.stale_files:
        print(f"  台账未更新: {line}", file=sys.stderr)
    for t in manifest.townships:
        if not t.succeeded:
            print(f"  failed: {inert(t.name)}: {one_line(t.error)}", file=sys.stderr)
    return manifest.ok


def summary(manifest) -> str:
    """One line for a finished run: reports ok (of them reused), seconds, where index.html is."""
    records = manifest.townships
    ok = sum(t.succeeded for t in records)
    reused = sum(t.status == "reused" for t in records)
    return (f"{inert(manifest.county)}: {ok} of {len(records)} reports ok ({reused} reused) in {manifest.seconds:.1f} s: "
            f"{inert(str(manifest.as_of_dir / 'index.html'), limit=None)}")


def as_of_for(value: str, params_paths: list[str]) -> dt.date:
    """--as-of: a date, or 'today' on the counties' clock (params timezone, default
    Asia/Shanghai), not the server's: a UTC server at 00:30 Beijing time means the Beijing date."""
    if str(value).strip().lower() != "today":
        return parse_as_of(value)
    zones = set()
    for path in params_paths:
        try:
            zones.add(load_params(path).timezone)
        except Exception:  # the county's own error is reported when the run loads it
            zones.add(DEFAULT_TIMEZONE)
    days = {parse_as_of(value, zone) for zone in zones or {DEFAULT_TIMEZONE}}
    if len(days) > 1:
        raise ValueError(f"--as-of today is {' or '.join(sorted(map(str, days)))} in the counties' "
                         "time zones (params timezone): give the date, YYYY-MM-DD")
    return days.pop()


def cmd_townships(args: argparse.Namespace) -> int:
    from kcbx.analysis.attribution import townships_in_scope
    from kcbx.store.tables import load_tables

    params = load_params(args.params)
    tables = load_tables(params.store, kinds=["roster", "population"])
    for name in townships_in_scope(tables, params, parse_as_of(args.as_of, params.timezone)):
        print(inert(name, limit=None))
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from kcbx.analysis.attribution import townships_in_scope
    from kcbx.analysis.county import analyse
    from kcbx.notebook import check_as_of, check_township, tables_of
    from kcbx.report.templates_xlsx import templates_dir, write_township_templates

    params = load_params(args.params)
    day = check_as_of(params, as_of_for(args.as_of, [args.params]))  # outside the term: one line, exit 2
    tables = tables_of(params)
    names = [check_township(tables, params, day, name) for name in args.township] or \
        townships_in_scope(tables, params, day)
    for township in names:
        written = write_township_templates(analyse(tables, params, day, township))
        print(inert(written.line(), limit=None))
    print(f"kcbx templates: {len(names)} townships: {inert(str(templates_dir(params, day)), limit=None)}")
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    from kcbx.calendar import estimated_holidays, library_knows

    year = args.year
    if library_knows(year):
        print(f"kcbx calendar: chinese-calendar knows {year}: it is the official calendar, "
              f"and params calendar.{year} would not be read", file=sys.stderr)
        return 2
    lines = [
        f"# {year} 年节假日安排为估算（kcbx calendar）：放假日期按法定节日推算，调休上班日未知。",
        f"# 请按国务院办公厅关于{year}年部分节假日安排的通知核对 holidays、补充 workdays（调休上班日），",
        "# 再替换参数文件中的 calendar 键。",
        "calendar:",
        f"  {year}:",
        "    holidays:",
        *(f"      - {day.isoformat()}  # {festival}"
          for festival, days in estimated_holidays(year).items() for day in days),
        "    workdays: []",
    ]
    print("\n".join(lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kcbx", description="控辍保学 report workbook")
    parser.add_argument("--version", action="version", version=f"kcbx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write the demo county's ledgers and params file")
    demo.add_argument("--out", default=str(_repo_root()),
                      help="project folder: ledgers go to build/ledgers, params to params/")
    demo.add_argument("--scale", choices=["small", "tongjiang"], default="small")
    demo.add_argument("--seed", type=int, default=20211015)
    demo.set_defaults(func=cmd_demo)

    ingest = sub.add_parser(
        "ingest", help="read the ledger folder into the store",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status:\n"
               "  0  every file read\n"
               "  1  a file could not be read (listed; the other files are stored)\n"
               "  2  the params file or the ledger folder is missing (a share not mounted?)\n"
               "  4  refused, the store unchanged: a kind that had files has none, or the\n"
               "     accepted rows fell by more than half (--allow-shrink accepts it)\n"
               "  5  stopped, the store unchanged: another ingest of the same store did\n"
               "     not finish in time (an ingest waits for it), or another program\n"
               "     has the store open for writing\n"
               "  6  a file could not be written or read (permission, disk full): the path\n"
               "     and the reason in one line; the store stays as it was")
    ingest.add_argument("--params", required=True)
    ingest.add_argument("--quiet", action="store_true",
                        help="print one summary line (errors on stderr), no table or progress bar")
    ingest.add_argument("--allow-shrink", action="store_true",
                        help="write even when a kind lost all its files or most rows would go")
    ingest.set_defaults(func=cmd_ingest)

    run = sub.add_parser(
        "run", help="render every township report and the county roll-up",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status:\n"
               "  0  every report ok (rendered now or reused)\n"
               "  1  a report failed (a township with an earlier report of this as_of keeps it,\n"
               "     marked 上次结果（本次失败）)\n"
               "  2  the params file is wrong or a county has no store yet\n"
               "     (several --params, a province: every county is tried on its own, failures\n"
               "     included, and a summary lists each county's outcome; the status is the\n"
               "     worst: 2 a county could not run, 1 a report failed)\n"
               "  3  nothing to run: as_of is outside the term (a summer day's cron run)\n"
               "  7  every report made, but a ledger file could not be read at the last ingest:\n"
               "     its earlier rows were used, and each report it touches says so (listed)\n"
               "  6  a file could not be written or read (permission, disk full): the path\n"
               "     and the reason in one line; the previous run stays as it was")
    run.add_argument("--params", required=True, action="append",
                     help="a county's params file; repeat it to run several counties (a province)")
    run.add_argument("--as-of", required=True,
                     help="a date (2021-10-15, 2021/10/15, 2021年10月15日, 20211015 …) or 'today'")
    run.add_argument("--workers", type=int, default=2,
                     help="notebooks run in parallel (with --scheduler local: dask workers)")
    run.add_argument("--scheduler", default=None,
                     help="run the notebooks on dask.distributed: 'local' (a local cluster) or "
                          "tcp://HOST:PORT of a running `dask scheduler`")
    run.add_argument("--township", action="append", default=[],
                     help="only this township (repeatable); default: every township")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--force", action="store_true",
                     help="render every report, even those whose inputs did not change")
    run.add_argument("--pdf", action="store_true",
                     help="also print each report.html to report.pdf beside it (A4, with Debian's chromium; "
                          "KCBX_CHROMIUM names another); without chromium one line says so and the run goes on. "
                          "params pdf: true does it on every run")
    run.add_argument("--engine", choices=["warm", "papermill"], default="warm",
                     help="warm: one kernel per worker, reused (default); papermill: a fresh kernel per notebook")
    run.set_defaults(func=cmd_run)

    towns = sub.add_parser("townships", help="list the townships a run would cover")
    towns.add_argument("--params", required=True)
    towns.add_argument("--as-of", required=True)
    towns.set_defaults(func=cmd_townships)

    templates = sub.add_parser(
        "templates", help="write the templates schools and villages fill in (缺勤登记, 劝返记录, 疑似失学核查回执)",
        description="Per school 缺勤登记.xlsx and 劝返记录.xlsx, per township 疑似失学核查回执.xlsx, under "
                    "<outputs>/<county>/templates/<as_of>/<township>/; filled in and put in the ledger folder, "
                    "kcbx ingest reads them as written. Run kcbx ingest first: they list the store's pupils.")
    templates.add_argument("--params", required=True)
    templates.add_argument("--as-of", required=True, help="a date (2021-10-15 …) or 'today'")
    templates.add_argument("--township", action="append", default=[],
                           help="only this township (repeatable); default: every township")
    templates.set_defaults(func=cmd_templates)

    calendar = sub.add_parser(
        "calendar", help="print a params calendar block, estimated, for a year chinese-calendar lacks")
    calendar.add_argument("--year", type=int, required=True)
    calendar.set_defaults(func=cmd_calendar)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()  # here, not at exit, so that a reader gone early is caught below
        return status
    except (ParamsError, FileNotFoundError, ValueError) as exc:
        print(f"kcbx {args.command}: {one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whoever read stdout has gone (`kcbx townships ... | head -3`): stop quietly, as
        # Python's documentation advises, with stdout on devnull so that the flush at exit
        # does not fail again. Exit 1: the output was not all delivered.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        # A folder not writable, a disk full: the path and the system's reason, in one line.
        # What was published before is intact (every output is written aside, then renamed).
        print(f"kcbx {args.command}: {one_line(describe_os_error(exc))}", file=sys.stderr)
        return OS_ERROR


def describe_os_error(exc: OSError) -> str:
    """"File too large: /srv/kcbx/outputs/..." - the reason, then the path when one is known."""
    reason = exc.strerror or str(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{reason}: {' -> '.join(paths)}" if paths else reason


if __name__ == "__main__":
    sys.exit(main())
