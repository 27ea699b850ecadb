"""Readers that misbehave, for tests: what a reader process runs instead of
kcbx.ingest.reading.read_files (ingest_folder(reader=functools.partial(faulty, ...))).

This module is imported by the reader processes themselves (forked from kcbx's fork server,
with the test session's sys.path), so the faults happen where the real ones would: a Python
exception, an abort (as the Excel reader's failed allocation does), a file that never ends.
"""

import os
import time

# A cell value that makes the checking of its row fail (where no CellError names a reason).
BOOM = "会让检查出错的值"


def faulty(files, synonyms, today, announce=None, normalising=None, *, term=None, read_fault=None,
           normalize_fault=None, abort_on=None, hang_on=None, hog_on=None, abort_when_checking=None):
    """read_files, except that reading the file named ``read_fault`` raises RuntimeError,
    checking a batch holding ``normalize_fault`` raises KeyError, reading ``abort_on`` aborts
    the process, reading ``hang_on`` never ends, reading ``hog_on`` asks for 64 GiB (beyond
    the reader's address-space limit: nothing is taken), checking a batch holding
    ``abort_when_checking`` aborts the process, and checking a sheet with a BOOM cell raises
    ValueError."""
    from kcbx.ingest import reading
    from kcbx.ingest.ledgers import normalize

    original_read, original_normalize = reading.read_ledger_file, reading.normalize_sheets

    def read_ledger_file(ledger_file, vocabulary, skipped=None):
        if ledger_file.relative == read_fault:
            raise RuntimeError("read fault")
        if ledger_file.relative == abort_on:
            os.abort()
        if ledger_file.relative == hang_on:
            time.sleep(3600)
        if ledger_file.relative == hog_on:
            bytearray(64 * 2 ** 30)
        return original_read(ledger_file, vocabulary, skipped)

    def normalize_sheets(sheets, today, term=None):
        if any(sheet.file == normalize_fault for sheet in sheets):
            raise KeyError("normalize fault")
        if any(sheet.file == abort_when_checking for sheet in sheets):
            os.abort()
        if any((sheet.rows == BOOM).any(axis=None) for sheet in sheets):
            raise ValueError("a row the checking cannot take")
        return original_normalize(sheets, today, term)

    # normalize_sheet calls normalize_sheets of its own module: both names are replaced
    reading.read_ledger_file = read_ledger_file
    reading.normalize_sheets = normalize.normalize_sheets = normalize_sheets
    try:
        return reading.read_files(files, synonyms, today, announce, normalising, term=term)
    finally:
        reading.read_ledger_file = original_read
        reading.normalize_sheets = normalize.normalize_sheets = original_normalize
