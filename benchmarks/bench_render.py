"""How long does rendering one township's report take, once its analysis is computed?

Run by hand after `kcbx ingest` (not by the tests):

    .venv/bin/python benchmarks/bench_render.py --params params/tongjiang.yaml --as-of 2021-11-30

For a sample of townships (spread over the county's list) the analysis is computed
first, untimed; then the four parts of rendering are timed, each the best of
--repeat runs: the report's sections (``kcbx.report.show``, charts included), forms.xlsx
(``kcbx.report.forms.write_forms``), report.html (``kcbx.report.html.export_html``
of a notebook holding the sections as outputs, as an executed township notebook does) and
the 日报 card daily.png (``kcbx.report.daily_card.daily_card_png``).
Prints seconds per township for each part, and their means.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

from kcbx.analysis.attribution import townships_in_scope
from kcbx.analysis.county import analyse
from kcbx.analysis.model import Analysis
from kcbx.params import load_params, parse_as_of
from kcbx.report import show
from kcbx.report.daily_card import daily_card_png
from kcbx.report.forms import write_forms
from kcbx.report.html import export_html
from kcbx.store.tables import load_tables

PARTS = ("sections", "forms", "html", "card")


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds: the least disturbed by other work."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def sections_notebook(bodies: list[str], title: str) -> nbformat.NotebookNode:
    """A notebook as an executed township notebook leaves it: one output per section."""
    cell = nbformat.v4.new_code_cell("show.report(analysis)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": body}) for body in bodies]
    return nbformat.v4.new_notebook(cells=[cell], metadata={"title": title})


def render_times(analysis: Analysis, folder: Path, repeat: int) -> dict[str, float]:
    """Seconds for each part of rendering the analysis into folder."""
    bodies = [section(analysis).body for section in show.TOWNSHIP_SECTIONS]
    nbformat.write(sections_notebook(bodies, analysis.township or "county"), folder / "notebook.ipynb")
    return {
        "sections": best_of(repeat, lambda: [section(analysis) for section in show.TOWNSHIP_SECTIONS]),
        "forms": best_of(repeat, lambda: write_forms(analysis, folder / "forms.xlsx")),
        "html": best_of(repeat, lambda: export_html(folder / "notebook.ipynb", folder / "report.html")),
        "card": best_of(repeat, lambda: daily_card_png(analysis)),
    }


def spread(items: list[str], count: int) -> list[str]:
    """count items evenly spaced over the list (all of them when it is shorter)."""
    if count >= len(items):
        return items
    step = len(items) / count
    return [items[int(index * step)] for index in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params/demo.yaml")
    parser.add_argument("--as-of", default="2021-10-15")
    parser.add_argument("--sample", type=int, default=4, help="townships to render (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each part; the best counts")
    parser.add_argument("--county", action="store_true", help="render the county's report too")
    args = parser.parse_args()
    params, as_of = load_params(args.params), parse_as_of(args.as_of)
    tables = load_tables(params.store)
    townships: list[str | None] = list(spread(townships_in_scope(tables, params, as_of), args.sample))
    if args.county:
        townships.append(None)
    if not townships:
        parser.error("nothing to render: no township in scope (try --county)")

    print(f"{'township':<12}" + "".join(f"{part:>10}" for part in PARTS) + f"{'total':>10}")
    times: dict[str, list[float]] = {part: [] for part in PARTS}
    with tempfile.TemporaryDirectory() as temporary:
        # One render first, untimed: imports, font registration and the HTML templates
        # are a worker's one-off costs, not a township's.
        render_times(analyse(tables, params, as_of, townships[0]), Path(temporary), repeat=1)
        for township in townships:
            analysis = analyse(tables, params, as_of, township)
            folder = Path(temporary) / (township or "county")
            folder.mkdir()
            seconds = render_times(analysis, folder, args.repeat)
            if township is not None:
                for part in PARTS:
                    times[part].append(seconds[part])
            print(f"{township or '(county)':<12}" + "".join(f"{seconds[part]:>10.3f}" for part in PARTS)
                  + f"{sum(seconds.values()):>10.3f}")
    means = {part: statistics.mean(values) for part, values in times.items()}
    print(f"{'mean':<12}" + "".join(f"{means[part]:>10.3f}" for part in PARTS)
          + f"{sum(means.values()):>10.3f}   s per township, best of {args.repeat}")


if __name__ == "__main__":
    main()
