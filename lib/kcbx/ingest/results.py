"""What reading one ledger file gave, as the ingest report shows it (no pandas here: the
unchanged re-ingest builds its report from the store without loading it, and the ingest
itself never loads the readers' code: kcbx.ingest.isolation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from kcbx.ingest.ledgers.folder import Finding, LedgerFile

# How a file's error begins when its reader outlived its deadline (kcbx.ingest.isolation): such
# a file is read again at the next ingest, even unchanged (the machine may have been busy).
TIMED_OUT = "读取超时"


@dataclass
class FileReport:
    """One ledger file's ingest.

    ``status``: "read" (this run), "unchanged" (kept from before) or "stale": the file
    could not be read now (``error`` says why) and the rows read from it on ``kept_from``
    (an ISO timestamp) stay in the store; the row counts are then those of the kept rows.
    ``skipped_sheets``: [sheet, reason] of the sheets not read (no recognisable header).
    ``unfilled_lines``: lines of a template that name a pupil (身份证号 or 学籍号) and were left
    unfilled, passed over as no data row (kcbx.ingest.ledgers.read.data_rows): a school that
    sent its template untouched shows here, with no row read.
    """

    kind: str
    file: str
    sheets: list[str]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    seconds: float
    error: str | None = None
    warnings: int = 0
    status: str = "read"
    skipped_sheets: list[list[str]] = field(default_factory=list)
    kept_from: str | None = None
    unfilled_lines: int = 0

    @property
    def unfilled_note(self) -> str | None:
        """The ingest log's line on the template lines left unfilled: 模板空行 N 行（…）; None when none."""
        if not self.unfilled_lines:
            return None
        meaning = UNFILLED_MEANS.get(self.kind, "未填写，未读取")
        untouched = "；整张表一行也没有填" if self.rows_read == 0 else ""
        return f"模板空行 {self.unfilled_lines} 行（{meaning}）{untouched}"


# What a template line left unfilled means, by kind (the templates' own 填表说明 say the same).
UNFILLED_MEANS = {
    "absence": "未填日期和缺勤类型，视为未缺勤",
    "cases": "未填日期和事件，视为本次无新情况",
    "home_teaching": "未填日期和课时，视为未送教",
    "subsidy": "未填学期和金额，视为未发放",
}


@dataclass
class FileResult:
    """One file read: its report, accepted rows and rejected rows (frames, per sheet), findings,
    and an absence file's 零报告 rows (per sheet: schema.ZERO_REPORTS, counted as accepted)."""

    report: FileReport
    accepted: list[pd.DataFrame]
    rejected: list[pd.DataFrame]
    findings: list[Finding]
    zero_reports: list[pd.DataFrame] = field(default_factory=list)


def failed_file(ledger_file: LedgerFile, error: str, seconds: float) -> FileResult:
    """A file that could not be read: an error naming the file, so that the other files go on."""
    report = FileReport(ledger_file.kind, ledger_file.relative, [], 0, 0, 0, seconds,
                        error=f"{ledger_file.relative}：{error}")
    return FileResult(report, [], [], [])
