"""Per-school forms: 附件1–3 of each school of a township, the school as 填报单位 (seed 000:
"各学校要认真填写附件1-3 … 加盖公章后 … 上报"), one workbook each under ``<township>/学校/``.

They are cut from the frames the township's forms.xlsx is made of (its 附件1 rows and its
cases with their child), never measured again: a school's 附件1 row is the township's row of
that school, figure for figure, and its 附件2/3 hold the cases the township's 附件3 lists under
that school. A school with no case on this term's forms gets the 零报告 附件2/3 of ``cases``
("本期无辍学学生"), signed by the school all the same.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.measures.by_school import NO_SCHOOL, SUBTOTAL_LABEL, TOTAL_LABEL
from kcbx.outputs import school_forms_file
from kcbx.report.excel import FormSheet, TableSheet, write_workbook
from kcbx.report.forms.cases import _registration_sheet, _summary_sheet
from kcbx.report.forms.common import _is_blank, _signoff
from kcbx.report.forms.statistics import _statistics_sheet


def schools_with_forms(statistics: pd.DataFrame) -> list[str]:
    """The schools of a township's 附件1 (``school_statistics``) that fill in forms of their own,
    in its row order: every school row but 合计 and 小计, and but NO_SCHOOL (a case naming no
    school has nobody to sign for it: the township's forms carry it)."""
    schools = statistics.loc[statistics["township"].ne(TOTAL_LABEL), "school"]
    named = [school for school in schools if not _is_blank(school)]
    return list(dict.fromkeys(school for school in named if school not in (SUBTOTAL_LABEL, NO_SCHOOL)))


def school_sheets(analysis: Analysis, school: str, statistics: pd.DataFrame,
                  cases: pd.DataFrame) -> list[TableSheet | FormSheet]:
    """附件1–3 of one school of the township ``analysis``: its rows of the township's 附件1
    (``statistics``), and the forms of its cases (``cases``: the township's, from
    ``_cases_with_child``, whose 学校 is this school), under the school's subtitle and sign-off."""
    own_cases = cases[cases["school"].eq(school)]
    # The sheet functions read the case log for 劝返记录: only this school's cases' events.
    events = analysis.case_events
    narrowed = dataclasses.replace(
        analysis, cases=analysis.cases[analysis.cases["case_id"].isin(own_cases["case_id"])],
        case_events=events[events["case_id"].isin(own_cases["case_id"])])
    sheets = [
        _statistics_sheet(narrowed, statistics[statistics["school"].eq(school)].reset_index(drop=True)),
        _registration_sheet(narrowed, own_cases),
        _summary_sheet(narrowed, own_cases),
    ]
    subtitle = (f"{analysis.params.county} {analysis.township} {school}  "
                f"截至 {analysis.as_of.isoformat()}")
    # The township's block with the school as its unit (a 一生一表's keeps its guardian line).
    return [dataclasses.replace(sheet, subtitle=subtitle,
                                signoff=dataclasses.replace(sheet.signoff or _signoff(analysis), unit=school))
            for sheet in sheets]


def write_school_forms(analysis: Analysis, folder: str | Path, statistics: pd.DataFrame,
                       cases: pd.DataFrame) -> list[Path]:
    """Write ``<folder>/<school>.xlsx`` (``kcbx.outputs.school_forms_file``) for every school of
    ``schools_with_forms`` and return their paths. The folder is replaced whole: written beside
    it under a hidden name and renamed into place, so it never mixes two runs and a school no
    longer on the township's 附件1 leaves no file behind."""
    if analysis.township is None:
        raise ValueError("per-school forms are a township's: the county's forms sum the townships")
    folder = Path(folder)
    names = []
    with replaced_folder(folder) as staging:
        for school in schools_with_forms(statistics):
            name = school_forms_file(school)
            write_workbook(staging / name, school_sheets(analysis, school, statistics, cases))
            names.append(name)
    return [folder / name for name in names]


@contextlib.contextmanager
def replaced_folder(folder: Path) -> Iterator[Path]:
    """A new, empty folder to fill in the ``with`` block, hidden beside ``folder`` (0700: a run
    publishes it 0755, kcbx.runner.private; its files are 0600), renamed over ``folder`` when
    the block ends; removed, ``folder`` left as it was, when the block fails."""
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir(mode=0o700)
    try:
        yield staging
        _replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_folder(new: Path, folder: Path) -> None:
    """Rename ``new`` to ``folder``; an earlier ``folder`` is renamed aside first, removed after."""
    aside = None
    if folder.exists():
        aside = folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.old")
        os.rename(folder, aside)
    try:
        os.rename(new, folder)
    except BaseException:
        if aside is not None:
            os.rename(aside, folder)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
