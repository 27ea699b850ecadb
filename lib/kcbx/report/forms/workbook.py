"""The workbooks: forms.xlsx (``form_sheets``, every sheet in the order schools use them)
and the county's whole 适龄儿童台账.xlsx."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.report.excel import FormSheet, TableSheet, workbook_fingerprint, write_workbook
from kcbx.report.forms.bulletin import _weekly_bulletin_sheet
from kcbx.report.forms.cases import _case_ledger_sheet, _cases_with_child, _registration_sheet, _summary_sheet
from kcbx.report.forms.common import _people
from kcbx.report.forms.daily import _attendance_sheet, _daily_sheet, _warning_sheet
from kcbx.report.forms.ledgers import _school_age_sheet, _school_age_summary_sheet, _suspected_sheet
from kcbx.report.forms.quality import _data_quality_sheets
from kcbx.report.forms.statistics import _statistics_sheet, school_statistics
from kcbx.report.forms.support import _home_teaching_sheets, _subsidy_sheet, _transition_sheet
from kcbx.util.digest import content_digest, source_digest


def write_forms(analysis: Analysis, path: str | Path,
                school_age_ledger: str | Path | None = None) -> None:
    """Write the township's (or, township None, the county's) forms.xlsx at path, atomically;
    with ``school_age_ledger``, the county's whole 适龄儿童台账 there too (``write_school_age_ledger``),
    both from one gathering of who each child is."""
    people = _people(analysis)
    if school_age_ledger is not None:
        write_school_age_ledger(analysis, school_age_ledger, people)
    write_workbook(path, form_sheets(analysis, people))


def write_school_age_ledger(analysis: Analysis, path: str | Path,
                            people: pd.DataFrame | None = None) -> bool:
    """Write the county's 适龄儿童台账.xlsx, every school-age child of the county, at path
    (atomically); unless the file there already holds this very ledger (its fingerprint, a
    property of the workbook, covers the rows, titles and kcbx's source). True when written.

    A county's tens of thousands of rows take seconds to write, and most re-runs change none
    of them: a late absence ledger, a case event. So the county's forms.xlsx carries the
    ledger summed by township, and the run gives this file the previous run's copy to keep
    (kcbx.runner.run).
    """
    sheet = _school_age_sheet(analysis, _people(analysis) if people is None else people)
    fingerprint = content_digest(source_digest(), sheet)
    if workbook_fingerprint(path) == fingerprint:
        return False
    write_workbook(path, [sheet], fingerprint=fingerprint)
    return True


def form_sheets(analysis: Analysis, people: pd.DataFrame | None = None) -> list[TableSheet | FormSheet]:
    """Every sheet of forms.xlsx, in the order schools use them (``people``: ``_people``, when
    the caller has it already)."""
    people = _people(analysis) if people is None else people
    cases = _cases_with_child(analysis, people)
    statistics = school_statistics(analysis)
    county = analysis.township is None
    return [
        _statistics_sheet(analysis, statistics),
        _registration_sheet(analysis, cases),
        _summary_sheet(analysis, cases),
        _school_age_summary_sheet(analysis) if county else _school_age_sheet(analysis, people),
        _suspected_sheet(analysis, people),
        _case_ledger_sheet(analysis, cases),
        _attendance_sheet(analysis, statistics),
        _daily_sheet(analysis, people),
        _warning_sheet(analysis),
        *_home_teaching_sheets(analysis),
        _subsidy_sheet(analysis),
        _transition_sheet(analysis),
        *([_weekly_bulletin_sheet(analysis)] if county else []),
        *_data_quality_sheets(analysis),
    ]
