"""The workbooks: forms.xlsx (``form_sheets``, every sheet in the order schools use them),
a township's per-school forms (``school``) and the county's whole 适龄儿童台账.xlsx."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.report.excel import FormSheet, TableSheet, workbook_fingerprint, write_workbook
from kcbx.report.forms.bulletin import _weekly_bulletin_sheet
from kcbx.report.forms.cases import _case_ledger_sheet, _cases_with_child, _registration_sheet, _summary_sheet
from kcbx.report.forms.common import _people
from kcbx.report.forms.compliance import _compliance_sheet
from kcbx.report.forms.daily import _attendance_sheet, _daily_sheet, _not_reported_sheet, _warning_sheet
from kcbx.report.forms.ledgers import (
    _school_age_sheet,
    _school_age_summary_sheet,
    _suspected_sheet,
    _suspended_sheet,
)
from kcbx.report.forms.monthly import _monthly_sheet
from kcbx.report.forms.notices_list import _notices_list_sheets, document_list
from kcbx.report.forms.quality import _data_quality_sheets
from kcbx.report.forms.retention import _retention_sheet
from kcbx.report.forms.school import write_school_forms
from kcbx.report.forms.statistics import _statistics_sheet, school_statistics
from kcbx.report.forms.support import (
    _disability_placement_sheet,
    _home_teaching_sheets,
    _subsidy_sheets,
    _transition_sheet,
)
from kcbx.util.digest import content_digest, source_digest


def write_forms(analysis: Analysis, path: str | Path,
                school_age_ledger: str | Path | None = None,
                school_forms: str | Path | None = None,
                notices: str | Path | None = None) -> list[Path]:
    """Write the township's (or, township None, the county's) forms.xlsx at path, atomically;
    with ``school_age_ledger``, the county's whole 适龄儿童台账 there too (``write_school_age_ledger``);
    with ``school_forms``, a township's folder of per-school forms (``school.write_school_forms``),
    whose paths are returned; with ``notices``, a township's folder of 文书 (``kcbx.report.notices``),
    from the very rows of its 文书清单. All from one gathering of who each child is, the per-school
    forms from the very frames of the township's 附件1–3."""
    people = _people(analysis)
    if school_age_ledger is not None:
        write_school_age_ledger(analysis, school_age_ledger, people)
    cases = _cases_with_child(analysis, people)
    statistics = school_statistics(analysis)
    documents = None if notices is None else document_list(analysis, people)
    write_workbook(path, form_sheets(analysis, people, cases=cases, statistics=statistics, documents=documents))
    written = [] if school_forms is None else write_school_forms(analysis, school_forms, statistics, cases)
    if notices is not None:
        from kcbx.report.notices import write_notices  # python-docx, and notices imports forms

        write_notices(analysis, notices, documents)
    return written


def write_school_age_ledger(analysis: Analysis, path: str | Path,
                            people: pd.DataFrame | None = None, *, fingerprint: str | None = None) -> bool:
    """Write the county's 适龄儿童台账.xlsx, every school-age child of the county, at path
    (atomically); unless the file there already holds this very ledger (its fingerprint, a
    property of the workbook: ``fingerprint``, of what the ledger is made of, else the digest
    of the sheet, its rows, titles and kcbx's source). True when written.

    A county's tens of thousands of rows take seconds to write, and most re-runs change none
    of them: a late absence ledger, a case event. So the county's forms.xlsx carries the
    ledger summed by township, and a run makes this file in a job of its own, keyed on the
    ledger's inputs (kcbx.runner.ledger), the previous run's copy kept when they are unchanged.
    """
    if fingerprint is not None and workbook_fingerprint(path) == fingerprint:
        return False  # known before the sheet is built: nothing to build
    sheet = _school_age_sheet(analysis, _people(analysis) if people is None else people)
    if fingerprint is None:
        fingerprint = content_digest(source_digest(), sheet)
        if workbook_fingerprint(path) == fingerprint:
            return False
    # Row by row: xlsxwriter keeps one row in memory rather than the ledger's million cells.
    write_workbook(path, [sheet], fingerprint=fingerprint, constant_memory=True)
    return True


def form_sheets(analysis: Analysis, people: pd.DataFrame | None = None, *,
                cases: pd.DataFrame | None = None,
                statistics: pd.DataFrame | None = None,
                documents: pd.DataFrame | None = None) -> list[TableSheet | FormSheet]:
    """Every sheet of forms.xlsx, in the order schools use them (``people``: ``_people``;
    ``cases``: ``_cases_with_child``; ``statistics``: ``school_statistics``; ``documents``:
    ``notices_list.document_list``; each when the caller has it already)."""
    people = _people(analysis) if people is None else people
    cases = _cases_with_child(analysis, people) if cases is None else cases
    statistics = school_statistics(analysis) if statistics is None else statistics
    county = analysis.township is None
    return [
        _statistics_sheet(analysis, statistics),
        _registration_sheet(analysis, cases),
        _summary_sheet(analysis, cases),
        _retention_sheet(analysis),
        _school_age_summary_sheet(analysis) if county else _school_age_sheet(analysis, people),
        _suspended_sheet(analysis, people),
        _suspected_sheet(analysis, people),
        _case_ledger_sheet(analysis, cases),
        _not_reported_sheet(analysis),
        _attendance_sheet(analysis, statistics),
        _daily_sheet(analysis, people),
        _warning_sheet(analysis),
        *_home_teaching_sheets(analysis),
        _disability_placement_sheet(analysis),
        *_subsidy_sheets(analysis),
        _transition_sheet(analysis),
        *([_weekly_bulletin_sheet(analysis), _monthly_sheet(analysis)] if county else []),
        _compliance_sheet(analysis),
        *_notices_list_sheets(analysis, people, documents),
        *_data_quality_sheets(analysis),
    ]
