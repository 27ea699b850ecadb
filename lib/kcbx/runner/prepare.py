"""The compute-once step of a run: one county pass, one prepared slice per notebook.

A run reads one snapshot of the store, measures the county once
(``analysis.county.measure_county``) and cuts each township's Analysis from it; each slice is
written as a pickle that its notebook opens (notebook parameter ``prepared``). The
county's slice also carries the township ranking, cut from the same pass, and the
earlier runs' figures, so the county notebook need not wait for the townships.

A slice's fingerprint is the digest of its inputs, each digested on its own so that a
report rendered again can say which changed: the township's rows of every county-wide
measure and ledger (``analysis.cut.TownshipRows``, which its Analysis is computed from and
nothing else), grouped by the ledger they come from (``analysis.cut.rows_by_input``), and of
the ingest log what its page shows of the files it lists (``LOG_COLUMNS_SHOWN``: a file of
another township removed or added changes none of them); the params, as_of and school
days; the county's ranking and history for the county's report; the notebook file and kcbx's
source. The county's report is made of the whole store: its fingerprint takes the snapshot's sha256 instead of
digesting every row of the county again, which would hold back the county report, the
longest, from starting. A notebook whose fingerprint equals the previous complete
run's is reused: its Analysis is never computed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from kcbx.analysis.attribution import LOG_COLUMNS_SHOWN
from kcbx.analysis.county import measure_county
from kcbx.analysis.cut import TownshipRows, rows_by_input
from kcbx.analysis.model import Analysis
from kcbx.outputs import county_output_dir
from kcbx.params import Params
from kcbx.runner.history import load_history
from kcbx.store.tables import load_tables
from kcbx.util.digest import content_digest, source_digest
from kcbx.util.files import sha256_of_file

PICKLE_PROTOCOL = 5

# What the county's 适龄儿童台账.xlsx is made of (``report.forms.write_school_age_ledger``): the
# school-age rows (their standing and checks, measured in the county pass), the suspected, the
# roster rows of 学籍号, 在读 and 休学, and the poverty register's 家庭类别; not the absence or
# case ledgers (a case moves the ledger only through a child's standing). Fields of the
# county's ``TownshipRows``, as ``analysis.cut.ROWS_BY_INPUT`` names them.
SCHOOL_AGE_LEDGER_ROWS = ("core.school_age", "core.out_of_school", "core.roster", "register_roster", "poverty")


@dataclass(frozen=True)
class PreparedSlice:
    """One notebook's input, ready to compute: its fingerprint and ledger files now; its
    Analysis (``analysis``) and the pickle its notebook opens (``write``) only when the
    notebook is to run, not for a report reused unchanged."""

    township: str | None  # None: the county
    path: Path  # where the pickle goes, for the notebook's ``prepared`` parameter
    fingerprint: str  # of ``inputs``
    inputs: dict[str, str]  # what the report is made of (program, notebook, params, each ledger's rows) -> digest
    ledger_files: dict[str, str]  # the report footer's ledger lines: file -> sha256 and counts
    compute: Callable[[], Analysis] = field(repr=False, compare=False)

    @cached_property
    def analysis(self) -> Analysis:
        return self.compute()

    def write(self) -> Path:
        """Write the pickled Analysis (for this run's notebook) and return its path: 0600 (it
        holds full identities; the run widens it to params share_group, kcbx.runner.private)."""
        data = pickle.dumps(self.analysis, protocol=PICKLE_PROTOCOL)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(data)
        return self.path


def ledger_lines(ingest_log: pd.DataFrame) -> dict[str, str]:
    """Each ledger file a report is made from, with its rows read, accepted and rejected (its
    sha256 is in the store's ingest_log, not on a leader's page)."""
    return {f"台账 {row.file}": f"读入 {row.rows_read} · 接受 {row.rows_accepted} · 拒收 {row.rows_rejected}"
            for row in ingest_log.itertuples()}


def _as_shown(log: pd.DataFrame) -> pd.DataFrame:
    # What a report shows of the files it lists, nothing else (LOG_COLUMNS_SHOWN): when and how
    # fast a file was read, or its sha256 when another township's rows of it changed, must not
    # make a report look changed. Its own rows of the file are digested by ledger kind.
    return log[[c for c in LOG_COLUMNS_SHOWN if c in log.columns]].reset_index(drop=True)


class CountyPreparation:
    """One run's county pass: the store snapshot read and measured once (on creation), then
    ``slices()`` cuts each notebook's slice."""

    def __init__(self, params: Params, as_of: dt.date, townships: Sequence[str] | None,
                 folder: Path, *, township_notebook_sha256: str, county_notebook_sha256: str,
                 store_snapshot: Path | None = None, store_sha256: str | None = None):
        """``townships`` None: every township in scope; the notebooks' sha256 go into the
        fingerprints; ``store_snapshot`` is the store file to read (default: params.store),
        ``store_sha256`` its sha256 when the caller has it already (the run has: it is not
        read twice); slices are written into ``folder`` (``PreparedSlice.write``)."""
        self.params, self.as_of, self.folder = params, as_of, folder
        self.township_notebook_sha256 = township_notebook_sha256
        self.county_notebook_sha256 = county_notebook_sha256
        store = store_snapshot or params.store
        self.store_sha256 = store_sha256 or sha256_of_file(store)
        self.county_pass = measure_county(load_tables(store), params, as_of)
        self.townships = list(townships) if townships is not None else self.county_pass.townships()
        self._county_rows: TownshipRows | None = None  # the county's slice's, once cut
        # The same for every slice of the run: digested once, not once per township.
        self.shared_inputs = {"program": source_digest(),
                              "params": content_digest(params, as_of, self.county_pass.school_days)}

    def school_age_ledger_fingerprint(self) -> str:
        """The fingerprint of the county's 适龄儿童台账.xlsx, a job of its own in the run: kcbx's
        source, the params, as_of and school days, and the rows it is made of
        (``SCHOOL_AGE_LEDGER_ROWS``): a late absence or case ledger leaves it as it is."""
        rows = self._county_rows or self.county_pass.rows(None)

        def value(name: str) -> object:
            owner, _, field_name = name.rpartition(".")
            return getattr(rows.core if owner == "core" else rows, field_name)

        return content_digest(self.shared_inputs, *(value(name) for name in SCHOOL_AGE_LEDGER_ROWS))

    def slices(self) -> Iterator[PreparedSlice]:
        """The county's slice first (its ranking takes only each township's headline figures
        from the pass: the longest report starts at once), then each township's as soon as
        its rows are selected, in order."""
        self.folder.mkdir(parents=True, exist_ok=True)
        county_only = {"ranking": self.county_pass.ranking(self.townships),
                       "history": load_history(county_output_dir(self.params), self.as_of,
                                               since=self.params.term_start)}
        yield self._slice(None, self.folder / "county.pkl", self.county_notebook_sha256, county_only)
        for position, township in enumerate(self.townships):
            yield self._slice(township, self.folder / f"{position:04d}.pkl",
                              self.township_notebook_sha256, {})

    def _slice(self, township: str | None, path: Path, notebook_sha256: str,
               county_only: dict[str, pd.DataFrame]) -> PreparedSlice:
        """``county_only``: the county's ranking and history (Analysis fields), empty for a township."""
        county_pass = self.county_pass
        rows = county_pass.rows(township)
        if township is None:
            self._county_rows = rows  # the ledger's fingerprint reads them too
        inputs = {"program": self.shared_inputs["program"], "notebook": notebook_sha256,
                  "params": self.shared_inputs["params"]}
        if township is None:
            inputs["store"] = self.store_sha256  # the county's rows are every row of the store
        else:
            # The county's ingest totals are no part of a township's report but its metrics.json,
            # which a reused report gets rewritten (``reuse.PreviousRun.reuse``): another
            # township's file removed or added must not render this one again.
            shown = dataclasses.replace(rows, ingest_log=_as_shown(rows.ingest_log), ingest_totals={})
            inputs.update({source: content_digest(*parts) for source, parts in rows_by_input(shown).items()})
        inputs.update({name: content_digest(value) for name, value in county_only.items()})
        fingerprint = content_digest(inputs)

        def compute() -> Analysis:
            analysis = county_pass.analysis_of(rows, county_only.get("ranking"))
            return dataclasses.replace(analysis, history=county_only.get("history"))

        return PreparedSlice(township, path, fingerprint, inputs, ledger_lines(rows.ingest_log), compute)
