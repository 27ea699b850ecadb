"""Where a county's outputs go, and every output file's name, defined once: one function
for each folder, used by every part that reads or writes them (the runner, the trends,
the notebooks, the CLI), so that a county or township name with "/" or ".." lands in the
same safe folder for all of them.

    <outputs>/<county>/<as_of>/<township>/  report.html · forms.xlsx · metrics.json · daily.png · notebook.ipynb
                                            (and report.pdf, with kcbx run --pdf)
    <outputs>/<county>/<as_of>/<township>/学校/<school>.xlsx   附件1–3 of each school
    <outputs>/<county>/<as_of>/<township>/文书/<文书>-<nn>-<school>.docx   限期复学通知书, 童工情况通报函
    <outputs>/<county>/<as_of>/county/      the county roll-up, and its 适龄儿童台账.xlsx
    <outputs>/<county>/<as_of>/index.html · manifest.json
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from kcbx.params import Params
from kcbx.util.text import hidden

COUNTY_NAME = "county"  # the county notebook's name in the manifest, and its folder
INDEX_FILE = "index.html"
MANIFEST_FILE = "manifest.json"
# One report's folder:
NOTEBOOK_FILE = "notebook.ipynb"  # the executed notebook
REPORT_FILE = "report.html"
FORMS_FILE = "forms.xlsx"
METRICS_FILE = "metrics.json"
DAILY_CARD_FILE = "daily.png"  # the 日报 card leaders forward (report/daily_card.py)
REPORT_PDF_FILE = "report.pdf"  # report.html printed, beside it (kcbx run --pdf)
SCHOOL_AGE_LEDGER_FILE = "适龄儿童台账.xlsx"  # the county's whole ledger, beside its forms.xlsx
FAILED_NOTEBOOK_FILE = "notebook.failed.ipynb"  # this run's failed notebook, beside a kept report
SCHOOL_FORMS_DIR = "学校"  # a township's folder of per-school forms: <school>.xlsx each
SCHOOL_FORMS_SUFFIX = ".xlsx"
# A township's folder of documents to print, stamp and deliver (kcbx.report.notices): one .docx each.
NOTICES_DIR = "文书"
NOTICE_SUFFIX = ".docx"

# Path separators and Windows-forbidden characters; every character that would not be seen as
# itself (controls, bidi, zero-width, surrogates, unassigned: util.text.hidden) goes too.
_UNSAFE_CHARS = re.compile(r'[/\\:*?"<>|]')
_UNSAFE_EDGES = re.compile(r"^[\s.]+|[\s.]+$")  # hidden (.x), "..", and Windows' trailing dots
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)
# Names the as_of folder already uses for itself.
_LAYOUT_NAMES = frozenset({COUNTY_NAME, INDEX_FILE, MANIFEST_FILE})
MAX_DIRNAME_CHARS = 60  # 60 CJK characters = 180 bytes, inside the 255-byte file-name limit


def safe_dirname(name: str) -> str:
    """A folder name for a township (or county) that can never lead outside the output folder.

    Path separators, NUL, control and Windows-forbidden characters become "_"; leading
    and trailing dots and spaces go (no hidden folder, no ".."); Windows device names
    and the as_of folder's own names (county, index.html, manifest.json) are avoided;
    Chinese is kept. When any of that changed the name, a short hash of the original
    is appended, so distinct names stay distinct ("a/b" -> "a_b-<hash>", not "a_b").
    """
    shown = "".join("_" if hidden(char) else char for char in _UNSAFE_CHARS.sub("_", name))
    cleaned = _UNSAFE_EDGES.sub("", shown[:MAX_DIRNAME_CHARS])
    reserved = (cleaned.split(".")[0].casefold() in _WINDOWS_DEVICES
                or cleaned.casefold() in _LAYOUT_NAMES)
    if cleaned and cleaned == name and not reserved:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned or '未命名'}-{digest}"


def county_output_dir(params: Params) -> Path:
    """``<outputs>/<county>``: every run of the county, one folder per as_of."""
    return params.outputs / safe_dirname(params.county)


def school_forms_file(school: str) -> str:
    """The file name of a school's forms in SCHOOL_FORMS_DIR: "城厢镇中心小学.xlsx"; a name that
    could leave the folder, hide the file or clash with a device is made safe as a folder's is
    (``safe_dirname``: "../x" -> "_x-<hash>.xlsx")."""
    return safe_dirname(school) + SCHOOL_FORMS_SUFFIX


def notice_file(document: str, number: int, school: str | None) -> str:
    """The file name of a document in NOTICES_DIR: "限期复学通知书-01-城厢镇中心小学.docx" (the
    document, its number in the day's list, the school; no child's name: the folder is listable).
    The school, ledger text, is made safe as a folder's name is (``safe_dirname``), and so is the
    whole name: it never leaves the folder."""
    parts = [document, f"{number:02d}", *([safe_dirname(school)] if school and school.strip() else [])]
    return safe_dirname("-".join(parts)) + NOTICE_SUFFIX
