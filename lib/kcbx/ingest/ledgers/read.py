"""Files as schools send them -> raw tables: formats, encodings, header detection.

The ledger folder (docs/ledgers.md): one subfolder per kind, named by the key or the
Chinese name; any number of .xlsx, .xls or .csv files, with a title row or two above
the header, merged header cells, blank rows, a closing 合计 row, CSV in UTF-8 (with
or without BOM) or GBK. Headers are matched by the Chinese name or a synonym,
including the county's own synonyms from its params file.

Nothing here interprets a value: cells come out exactly as stored (text stays
text, numbers stay numbers, Excel dates arrive as datetimes), so that
``normalize`` can decide, and so that an ID keeps its X and a name such as
"=1+1" stays that string.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from kcbx import schema
from kcbx.ingest.ledgers import headers
from kcbx.ingest.ledgers.folder import Finding, LedgerFile
from kcbx.ingest.ledgers.headers import normalize_header

# The header is looked for among the first rows only: title rows sit above it.
HEADER_SEARCH_ROWS = 10
# A sheet whose best row matches fewer known headers has no recognisable header
# (a lone "备注" in an instructions sheet is not a table).
MIN_HEADER_MATCHES = 2
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
# Row-number columns every template has: not worth a finding when left unread.
SERIAL_HEADERS = {"序号", "编号", "No", "No."}
TOTAL_ROW = re.compile(r"^(合计|小计|总计)([:：(（].*)?$")
# Excel holds at most this many characters in a cell: a longer text was never typed
# into Excel, one exactly this long may have been cut there.
EXCEL_CELL_LIMIT = 32_767
REASON_CELL_TOO_LONG = f"单元格过长（超过 Excel 的 {EXCEL_CELL_LIMIT:,} 字符上限）"


class LedgerReadError(Exception):
    """A file that cannot be read at all (not a spreadsheet, corrupt, undecodable)."""


# --------------------------------------------------------------------------- reading files

# A file is read by what it holds, whatever its name says.
ZIP_SIGNATURE = b"PK\x03\x04"  # .xlsx, .xlsm: a zip of XML parts
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls: an OLE2 compound document
SNIFF_BYTES = 4096
FORMAT_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv"}
FORMAT_NAMES = {"xlsx": "Excel 工作簿", "xls": "Excel 97-2003 工作簿", "csv": "CSV 文本"}


def file_format(path: Path) -> str:
    """What a file holds, by its first bytes: "xlsx", "xls" or "csv" (any other text).

    Raises LedgerReadError for an empty file, a binary file of another kind
    (a PDF or a picture named .xlsx) and a web page or XML saved as .xls.
    """
    with open(path, "rb") as file:
        head = file.read(SNIFF_BYTES)
    if head.startswith(ZIP_SIGNATURE):
        return "xlsx"
    if head.startswith(OLE2_SIGNATURE):
        return "xls"
    if not head:
        raise LedgerReadError("文件是空的（0 字节）")
    if b"\0" in head:  # text, in UTF-8 or GBK, never holds a NUL byte
        raise LedgerReadError("内容既不是 Excel 工作簿也不是 CSV 文本，无法读取（请另存为 .xlsx 或 .csv 后重报）")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise LedgerReadError("内容是网页或 XML（不是 Excel 工作簿）：请在 Excel 中打开后另存为 .xlsx")
    return "csv"


def misnamed(path: Path, content_format: str) -> str | None:
    """The finding for a file whose name says another format than its content, else None."""
    suffix = path.suffix.lower()
    if FORMAT_OF_SUFFIX.get(suffix) == content_format:
        return None
    name = FORMAT_NAMES[content_format]
    return f"文件名是 {suffix}，内容却是 {name}：已按 {name}读取（请把文件改名为 .{content_format}）"


def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GBK/GB18030."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerReadError("CSV 文件编码无法识别（需要 UTF-8 或 GBK）")


def _csv_grid(path: Path) -> pd.DataFrame:
    text = decode_csv(path.read_bytes())
    if len(text) > csv.field_size_limit():
        # No cell is longer than its file. Cells longer than Excel's limit are
        # rejected row by row (data_rows), not the whole file.
        csv.field_size_limit(len(text))
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    next_line = 1
    try:
        for record in reader:
            rows.append(record)
            line_numbers.append(next_line)  # a quoted cell may span lines: a row starts here
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise LedgerReadError(f"CSV 格式错误（第 {reader.line_num} 行）: {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    padded = [[cell if cell != "" else None for cell in r] + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(padded, index=line_numbers, columns=range(width), dtype=object)


def _excel_grids(path: Path) -> list[tuple[str, pd.DataFrame]]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises its own types for every kind of broken file
        raise LedgerReadError(f"无法读取 Excel 文件: {exc}") from exc
    grids = []
    for name, grid in sheets.items():
        grid.index = grid.index + 1  # Excel's row numbers start at 1, title rows included
        grids.append((str(name), grid))
    return grids


def read_grids(path: Path, content_format: str | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet of a file as (sheet name, raw cells); a CSV is one sheet named "".

    The file is read as what it holds (``content_format``, else file_format(path)),
    whatever its name. Cells are raw values (object dtype, blank = NaN/None); the
    index is the row number the user sees: Excel's row number, or the CSV line number.
    """
    path = Path(path)
    if (content_format or file_format(path)) == "csv":
        return [("", _csv_grid(path))]
    return _excel_grids(path)


# An xlsx formula cell whose <v> (the value Excel stored when it last calculated) is
# missing or empty: written by a program that never calculated it (openpyxl does so).
# Calamine reads the cell as blank. Tags may carry a namespace prefix (x:c).
FORMULA_WITHOUT_VALUE = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)"
    rb"\s*(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>")
CELL_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
STRING_RESULT = re.compile(rb'\bt="str"')  # with an empty <v>: the formula's result is ""
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _worksheet_parts(workbook: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its cells (xl/workbook.xml and its relationships)."""
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in ElementTree.fromstring(workbook.read("xl/_rels/workbook.xml.rels"))}
    parts = {}
    for sheet in ElementTree.fromstring(workbook.read("xl/workbook.xml")).iter():
        if sheet.tag.rpartition("}")[2] == "sheet" and sheet.get(RELATIONSHIP_ID) in targets:
            target = targets[sheet.get(RELATIONSHIP_ID)]
            parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _column_position(letters: bytes) -> int:
    position = 0
    for letter in letters:
        position = position * 26 + letter - ord("A") + 1
    return position - 1


def formulas_without_value(path: Path, sheet_names: Iterable[str]) -> dict[str, list[tuple[int, int, str]]]:
    """The formula cells with no stored value of some sheets of an xlsx file:
    sheet name -> [(row, column position, cell reference such as "C7")].

    Read from the sheets' XML, since calamine reads such a cell as blank and
    tells no more. Cells without an r attribute (no writer we know omits it) are not found.
    """
    found: dict[str, list[tuple[int, int, str]]] = {}
    with zipfile.ZipFile(path) as workbook:
        parts = _worksheet_parts(workbook)
        for name in sheet_names:
            if name not in parts:
                continue
            cells = workbook.read(parts[name])
            if b"<f" not in cells and b":f" not in cells:  # no formula at all: decided without the regex
                continue
            for match in FORMULA_WITHOUT_VALUE.finditer(cells):
                attributes, empty_value = match.groups()
                reference = CELL_REFERENCE.search(attributes)
                if reference is None or (empty_value and STRING_RESULT.search(attributes)):
                    continue
                letters, row = reference.groups()
                found.setdefault(name, []).append((int(row), _column_position(letters),
                                                   (letters + row).decode()))
    return found


# --------------------------------------------------------------------------- headers

@dataclass(frozen=True)
class HeaderVocabulary:
    """The headers one kind of ledger is read with.

    ``by_name`` maps a normalised header to its canonical column; ``names`` lists,
    per canonical column, the documented header first and then its synonyms.
    """

    kind: str
    by_name: Mapping[str, str]
    names: Mapping[str, tuple[str, ...]]

    def column_of(self, cell: object) -> str | None:
        return self.by_name.get(normalize_header(cell))

    def describe(self, column: str) -> str:
        """'乡镇（也作：乡(镇)、所属乡镇）': the header and its synonyms, for messages."""
        first, *others = self.names[column]
        return f"「{first}」（也作：{'、'.join(others)}）" if others else f"「{first}」"


def _kind_headers(kind: str) -> dict[str, tuple[str, ...]]:
    """Canonical column -> header names, for the columns this kind's store table has."""
    wanted = set(schema.columns(kind))
    merged = {col: names for col, names in headers.COMMON.items() if col in wanted}
    merged.update(headers.BY_KIND.get(kind, {}))  # a kind's own names win (e.g. 缺勤日期)
    return merged


def header_vocabulary(kind: str, synonyms: Mapping[str, Iterable[str]] | None = None) -> HeaderVocabulary:
    """The headers of one kind: headers.COMMON + headers.BY_KIND[kind] + the params synonyms.

    Params synonyms are keyed by a header name (the documented one, or a synonym)
    and apply to every kind that has that column.
    """
    names = {col: tuple(entry) for col, entry in _kind_headers(kind).items()}
    by_name = {normalize_header(n): col for col, entry in names.items() for n in entry}
    for key, extra in (synonyms or {}).items():
        column = by_name.get(normalize_header(key))
        if column is None:
            continue  # a header this kind does not have
        names[column] = names[column] + tuple(s for s in extra if s not in names[column])
        by_name.update({normalize_header(s): column for s in extra})
    return HeaderVocabulary(kind, by_name, names)


@dataclass(frozen=True)
class Header:
    """Where a sheet's header is and what it says.

    ``rows``: the header's row numbers (two for a merged two-row header);
    ``columns``: canonical column -> position in the sheet;
    ``labels``: canonical column -> the header text as written in the file;
    ``unknown``: header texts that match no known column (ignored);
    ``duplicates``: canonical columns that appear more than once (first kept).
    """

    rows: tuple[int, ...]
    columns: dict[str, int]
    labels: dict[str, str]
    unknown: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


def _row_matches(values: Iterable[object], vocabulary: HeaderVocabulary) -> dict[int, str]:
    """Position -> canonical column, for the cells of one row that are known headers."""
    matches = {}
    for position, cell in enumerate(values):
        column = vocabulary.column_of(cell)
        if column is not None:
            matches[position] = column
    return matches


def detect_header(grid: pd.DataFrame, vocabulary: HeaderVocabulary) -> Header | None:
    """Find the header among the first rows: the row matching the most known headers.

    A merged two-row header (a group label such as 学生类别 above 是否寄宿 and
    留守儿童; merged cells read as the value in the first cell and blanks to its
    right) is the best row plus the row just below or above it that names
    further columns where the best row names none. Returns None when no row
    matches at least MIN_HEADER_MATCHES headers.
    """
    top = grid.head(HEADER_SEARCH_ROWS)
    top_cells = top.to_numpy(dtype=object).tolist()
    matches = [_row_matches(row, vocabulary) for row in top_cells]
    if not matches:
        return None
    best = max(range(len(matches)), key=lambda i: len(set(matches[i].values())))
    if len(set(matches[best].values())) < MIN_HEADER_MATCHES:
        return None

    header_rows = [best]
    merged = dict(matches[best])
    for neighbour in (best + 1, best - 1):
        if not 0 <= neighbour < len(matches):
            continue
        extra = {pos: col for pos, col in matches[neighbour].items()
                 if pos not in matches[best] and col not in matches[best].values()}
        if extra:
            header_rows.append(neighbour)
            merged.update(extra)

    columns: dict[str, int] = {}
    duplicates = []
    for position in sorted(merged):
        column = merged[position]
        if column in columns:
            duplicates.append(column)
        else:
            columns[column] = position

    header_rows.sort()

    def header_cells(position: int) -> list:
        return [top_cells[row][position] for row in header_rows]

    labels = {col: _label_at(header_cells(pos), vocabulary) for col, pos in columns.items()}
    unknown = []
    for position in range(top.shape[1]):
        text = "/".join(_texts(header_cells(position)))
        if position not in merged and text and normalize_header(text) not in SERIAL_HEADERS:
            unknown.append(text)
    return Header(
        rows=tuple(int(top.index[row]) for row in header_rows),
        columns=columns,
        labels=labels,
        unknown=tuple(unknown),
        duplicates=tuple(duplicates),
    )


def _texts(cells: Iterable[object]) -> list[str]:
    return [c.strip() for c in cells if isinstance(c, str) and c.strip()]


def _label_at(cells: Iterable[object], vocabulary: HeaderVocabulary) -> str:
    """The header text that named a column (the sub-header, not the group label above it)."""
    return next(t for t in reversed(_texts(cells)) if vocabulary.column_of(t))


def missing_headers(header: Header, vocabulary: HeaderVocabulary) -> list[str]:
    """Descriptions of the required headers (headers.REQUIRED) the header lacks.

    A person-keyed kind also needs 身份证号 or 学籍号 (headers.PERSON_KEYED).
    """
    kind = vocabulary.kind
    missing = [vocabulary.describe(col) for col in headers.REQUIRED[kind] if col not in header.columns]
    if kind in headers.PERSON_KEYED and not {"id_number", "student_no"} & header.columns.keys():
        missing.append(f"{vocabulary.describe('id_number')}或{vocabulary.describe('student_no')}")
    return missing


# --------------------------------------------------------------------------- data rows
# Plain Python over each column's cells, with the rare cases screened in C: a
# county's ledgers hold a few hundred thousand rows in a few hundred small
# sheets, where pandas' cost per call would outweigh the work.

TOTAL_FIRST_CHARACTERS = frozenset("合小总")
# Screens a column's texts joined by line breaks: can any of them be a total cell?
TOTAL_AT_LINE_START = re.compile(r"^[合小总]", re.MULTILINE)


def _stripped_texts(cells: list) -> list[str]:
    """Every cell as stripped text, "" when blank (None, NaN, NaT or only spaces)."""
    return [cell.strip() if type(cell) is str else ("" if pd.isna(cell) else str(cell).strip())
            for cell in cells]


def _total_positions(texts: list[str]) -> list[int]:
    """Positions of 合计/小计/总计 cells among a column's stripped texts."""
    if not TOTAL_AT_LINE_START.search("\n".join(texts)):
        return []  # the usual case, decided without a Python loop
    return [position for position, text in enumerate(texts)
            if text[:1] in TOTAL_FIRST_CHARACTERS and TOTAL_ROW.match(re.sub(r"\s+", "", text))]


@dataclass(frozen=True)
class DataRows:
    """A sheet's data rows and what reading them noticed.

    ``rows``: raw cells under canonical column names, indexed by the row number
    the user sees; ``long_cells``: (row, column, characters) of the texts of
    EXCEL_CELL_LIMIT characters or more among them (measured stripped);
    ``has_blanks``: whether any of their cells is blank.
    """

    rows: pd.DataFrame
    long_cells: list[tuple[int, str, int]]
    has_blanks: bool


def data_rows(grid: pd.DataFrame, header: Header) -> DataRows:
    """The data rows below the header, as raw cells under canonical column names.

    Not data rows: rows whose known columns are all blank (templates often
    pre-fill a 序号 column), rows with a 合计/小计/总计 cell in any column (often
    under 序号 or 学校, which may be unmapped), and rows repeating the header's
    texts in at least MIN_HEADER_MATCHES cells (sheets pasted together).
    """
    below_header = grid.index > max(header.rows)
    body = grid.to_numpy(dtype=object)[below_header]
    column_at = {position: column for column, position in header.columns.items()}
    skip = [False] * len(body)
    header_repeats = [0] * len(body)
    known_texts = []
    long_cells = []  # (position in body, column, characters)
    for position in range(body.shape[1]):
        texts = _stripped_texts(body[:, position].tolist())
        for row in _total_positions(texts):
            skip[row] = True
        if position not in column_at:
            continue
        known_texts.append(texts)
        label = header.labels[column_at[position]]
        if label in texts:
            for row, text in enumerate(texts):
                header_repeats[row] += text == label
        if max(map(len, texts), default=0) >= EXCEL_CELL_LIMIT:  # the usual case, decided in C
            long_cells += [(row, column_at[position], len(text)) for row, text in enumerate(texts)
                           if len(text) >= EXCEL_CELL_LIMIT]
    has_blanks = False
    for row, texts in enumerate(zip(*known_texts)):
        if not any(texts) or header_repeats[row] >= MIN_HEADER_MATCHES:
            skip[row] = True
        elif not has_blanks and not all(texts):
            has_blanks = True
    keep = ~np.array(skip, dtype=bool)
    row_numbers = grid.index[below_header]
    rows = pd.DataFrame(body[keep][:, list(header.columns.values())], index=row_numbers[keep],
                        columns=list(header.columns), dtype=object)
    return DataRows(rows, [(int(row_numbers[row]), column, length) for row, column, length in long_cells
                           if not skip[row]], has_blanks)


# --------------------------------------------------------------------------- one file

@dataclass
class RawSheet:
    """One sheet's data rows, not yet interpreted.

    ``rows``: raw cells under canonical column names, indexed by source row;
    ``missing``: descriptions of required headers the sheet lacks (then every
    row is rejected with ``missing_message``); ``cell_rejections``: rows to
    reject for a cell found unfit when reading, row -> (column, reason).
    """

    kind: str
    file: str
    sheet: str
    header: Header
    rows: pd.DataFrame
    missing: list[str] = field(default_factory=list)
    cell_rejections: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def missing_message(self) -> str:
        where = f"{self.file}" + (f"，工作表「{self.sheet}」" if self.sheet else "")
        return f"{where}：缺少必需的列 {'；'.join(self.missing)}"


def read_ledger_file(ledger_file: LedgerFile, vocabulary: HeaderVocabulary) -> tuple[list[RawSheet], list[Finding]]:
    """Read every sheet of a file that has a recognisable header.

    The file is read as what it holds, with a finding when its name says
    otherwise. Sheets without a header are skipped and listed as findings; so
    are header texts that name no known column, texts that Excel's cell limit
    may have cut, and (xlsx) formula cells that were never calculated. A text
    longer than that limit rejects its row. Raises LedgerReadError when the file
    cannot be read, or when no sheet at all has a recognisable header.
    """
    sheets: list[RawSheet] = []
    findings: list[Finding] = []

    def note(sheet: str, text: str, row: int | None = None) -> None:
        findings.append(Finding(ledger_file.kind, ledger_file.relative, sheet, row, text))

    content_format = file_format(ledger_file.path)
    name_mismatch = misnamed(ledger_file.path, content_format)
    if name_mismatch:
        note("", name_mismatch)
    sheets_with_blanks = []
    for sheet_name, grid in read_grids(ledger_file.path, content_format):
        header = detect_header(grid, vocabulary)
        if header is None:
            note(sheet_name, "未找到可识别的表头，已跳过该工作表")
            continue
        if header.unknown:
            note(sheet_name, f"未识别的列（未读取）：{'、'.join(header.unknown)}", header.rows[0])
        for column in header.duplicates:
            note(sheet_name, f"列{vocabulary.describe(column)}出现多次，只读取第一列", header.rows[0])
        body = data_rows(grid, header)
        rejections = {}
        for row, column, length in body.long_cells:
            if length > EXCEL_CELL_LIMIT:
                rejections.setdefault(row, (column, REASON_CELL_TOO_LONG))
            else:
                note(sheet_name, f"文本可能被截断（列「{header.labels[column]}」正好 {EXCEL_CELL_LIMIT:,} 个字符，"
                                 f"是 Excel 单元格的上限）", row)
        sheets.append(RawSheet(ledger_file.kind, ledger_file.relative, sheet_name, header,
                               body.rows, missing_headers(header, vocabulary), rejections))
        if body.has_blanks:
            sheets_with_blanks.append(sheets[-1])
    if not sheets:
        required = [vocabulary.describe(c) for c in headers.REQUIRED[ledger_file.kind]]
        raise LedgerReadError("；".join(filter(None, [name_mismatch, "没有工作表含可识别的表头" + (
            f"（需要 {'、'.join(required)} 等列）" if required else "")])))
    if content_format == "xlsx" and sheets_with_blanks:  # a formula never calculated reads as blank
        findings += _uncalculated_formula_findings(ledger_file, sheets_with_blanks)
    return sheets, findings


REASON_UNCALCULATED = "是公式但没有计算结果（请在 Excel 中打开并保存后重报）"


def _uncalculated_formula_findings(ledger_file: LedgerFile, sheets: list[RawSheet]) -> list[Finding]:
    """Per sheet and column, one finding for the data cells that are formulas never
    calculated: the first such cell, and how many there are."""
    cells = formulas_without_value(ledger_file.path, [sheet.sheet for sheet in sheets])
    findings = []
    for sheet in sheets:
        if sheet.sheet not in cells:
            continue
        column_at = {position: column for column, position in sheet.header.columns.items()}
        data_row_numbers = set(sheet.rows.index)
        by_column: dict[str, list[tuple[int, str]]] = {}
        for row, position, reference in cells[sheet.sheet]:
            if row in data_row_numbers and position in column_at:
                by_column.setdefault(column_at[position], []).append((row, reference))
        for column, found in by_column.items():
            row, reference = min(found)
            where = reference if len(found) == 1 else f"{reference} 等 {len(found)} 个单元格"
            findings.append(Finding(ledger_file.kind, ledger_file.relative, sheet.sheet, row,
                                    f"{where}（列「{sheet.header.labels[column]}」）{REASON_UNCALCULATED}"))
    return findings
