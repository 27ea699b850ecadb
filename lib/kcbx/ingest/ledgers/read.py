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

import bisect
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
from kcbx.ingest.ledgers.folder import Finding, LedgerFile, name_finding
from kcbx.ingest.ledgers.headers import normalize_header

# The header is looked for among the first rows only: title rows sit above it.
HEADER_SEARCH_ROWS = 10
# A sheet whose best row matches fewer known headers has no recognisable header
# (a lone "备注" in an instructions sheet is not a table).
MIN_HEADER_MATCHES = 2
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK and GB2312
# Row-number columns every template has: not worth a finding when left unread. So is the
# column of kcbx's own 疑似失学核查回执 that says why kcbx listed the child (kcbx templates).
SERIAL_HEADERS = {"序号", "编号", "No", "No.", "列入原因"}
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
    """CSV bytes as text: UTF-8 (with or without BOM), else GBK/GB18030, line by line
    (decode_csv_lines); a line that is neither becomes U+FFFD characters."""
    return decode_csv_lines(data).text


UTF8_BOM = b"\xef\xbb\xbf"
REASON_ENCODING = "此行编码无法识别（既不是 UTF-8 也不是 GBK），未读取"


@dataclass(frozen=True)
class DecodedCsv:
    """A CSV's text, and the line numbers (1-based, physical lines) read as GBK in a
    file otherwise UTF-8 (``gbk_lines``) and of the lines neither decodes (``bad_lines``,
    their undecodable bytes shown as U+FFFD)."""

    text: str
    gbk_lines: tuple[int, ...] = ()
    bad_lines: tuple[int, ...] = ()


def decode_csv_lines(data: bytes) -> DecodedCsv:
    """CSV bytes as text: UTF-8 (with or without BOM) when the whole file is; else line by line.

    A file in one encoding is the usual case. A file with both (rows pasted from another
    export) is decoded line by line: UTF-8 where a line is valid UTF-8 (GBK text almost
    never is), else GBK (GB18030, its superset). Only in such a mixed file are the GBK lines
    listed (``gbk_lines``), since there they are worth a look; a line that is neither is
    listed in ``bad_lines``: its row is rejected, never the file. The separators (comma,
    quote, line end) are ASCII in both encodings, so a line's cells stay in place.
    """
    try:
        return DecodedCsv(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    body = data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data
    lines = body.split(b"\n")
    texts: list[str | None] = []
    utf8_lines, gbk_lines, bad_lines = [], [], []
    for number, line in enumerate(lines, start=1):
        try:
            texts.append(line.decode("utf-8"))
            if not line.isascii():
                utf8_lines.append(number)
            continue
        except UnicodeDecodeError:
            pass
        try:
            texts.append(line.decode(CSV_ENCODINGS[1]))
            gbk_lines.append(number)
        except UnicodeDecodeError:
            texts.append(None)
            bad_lines.append(number)
    # A line in neither is shown in the file's main encoding, U+FFFD where its bytes are bad.
    main = "utf-8" if len(utf8_lines) >= len(gbk_lines) else CSV_ENCODINGS[1]
    for number in bad_lines:
        texts[number - 1] = lines[number - 1].decode(main, "replace")
    return DecodedCsv("\n".join(texts), tuple(gbk_lines) if utf8_lines else (), tuple(bad_lines))


def _record_of_lines(starts: list[int], lines: Iterable[int]) -> list[int]:
    """The rows (CSV records, by their first line) holding these physical lines (a quoted
    cell may span lines)."""
    return sorted({starts[bisect.bisect_right(starts, line) - 1] for line in lines if starts and line >= starts[0]})


def _csv_grid(path: Path) -> tuple[pd.DataFrame, DecodedCsv, list[int]]:
    """The CSV's cells, how it decoded, and the rows (record start lines) holding bad lines."""
    decoded = decode_csv_lines(path.read_bytes())
    text = decoded.text
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
    grid = pd.DataFrame(padded, index=line_numbers, columns=range(width), dtype=object)
    return grid, decoded, _record_of_lines(line_numbers, decoded.bad_lines)


# What one file may cost to read, checked before reading (a reader process is also bounded in
# memory and time: kcbx.ingest.isolation). A county's largest ledger files inflate to a few MB.
# Beyond this many bytes inflated (an xlsx's parts, by its zip directory; a CSV's or an .xls's
# size), a file is refused: a "zip bomb" of 1 MB inflating to 1 GB read at 2.2 GB of memory.
MAX_INFLATED_BYTES = 200 * 2 ** 20
# A part of an xlsx larger than this, inflating more than MAX_COMPRESSION_RATIO times its
# compressed size, is refused too: real sheets compress about 10 times.
RATIO_CHECKED_FROM_BYTES = 10 * 2 ** 20
MAX_COMPRESSION_RATIO = 100
# The reader allocates every cell of a sheet's used range, from its first cell holding a value
# to its last (32 bytes each, then a Python object each): a stray value at XFD1048576 asked for
# 512 GiB. A sheet whose used range holds more cells is refused. A county-wide roster of
# 100,000 pupils and 25 columns is 2.5 million.
MAX_SHEET_CELLS = 5_000_000
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
# The <dimension ref="A1:E300"/> near a sheet's start: the used range the writer recorded.
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="([A-Z]{1,3})?([0-9]+)?(?::([A-Z]{1,3})([0-9]+))?"')
# A cell holding something (a value, inline text or a formula): an empty cell that only
# carries a style (<c r="XFD1048576" s="1"/>) is not read, nor counted in the used range.
CELL_WITH_CONTENT = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>\s*<(?:\w+:)?(?:v|is|f)\b")
REASON_TRUNCATED = ("Excel 文件不完整或已损坏（多半是上传或复制没有完成），无法读取：请重新上传完整的文件 "
                    "incomplete or damaged workbook")


def _mb(size: int) -> str:
    return f"{size / 2 ** 20:,.0f} MB"


def check_file_size(path: Path, content_format: str) -> None:
    """Refuse (LedgerReadError) a file that would cost too much to read, before reading it:
    more than MAX_INFLATED_BYTES inflated, an xlsx part inflating beyond
    MAX_COMPRESSION_RATIO, a sheet whose used range exceeds MAX_SHEET_CELLS cells; and a
    zip that is cut short (a half-copied upload), with a clear reason."""
    if content_format != "xlsx":
        size = path.stat().st_size
        if size > MAX_INFLATED_BYTES:
            raise LedgerReadError(f"文件有 {_mb(size)}，超过单个文件 {_mb(MAX_INFLATED_BYTES)} 的上限，未读取"
                                  f"（请按学校或乡镇拆分后重报） file too large")
        return
    try:
        workbook = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise LedgerReadError(f"{REASON_TRUNCATED}（{exc}）") from exc
    with workbook:
        parts = workbook.infolist()
        inflated = sum(part.file_size for part in parts)
        if inflated > MAX_INFLATED_BYTES:
            raise LedgerReadError(f"解压后有 {_mb(inflated)}，超过单个文件 {_mb(MAX_INFLATED_BYTES)} 的上限，未读取"
                                  f"（文件只有 {_mb(path.stat().st_size)}：多半不是正常的台账） inflates beyond the limit")
        for part in parts:
            if part.file_size > RATIO_CHECKED_FROM_BYTES and part.file_size > MAX_COMPRESSION_RATIO * part.compress_size:
                raise LedgerReadError(f"文件中的 {part.filename} 解压后放大 {part.file_size // max(1, part.compress_size):,} 倍"
                                      f"（{_mb(part.file_size)}），超过 {MAX_COMPRESSION_RATIO} 倍的上限，未读取"
                                      "（正常的工作表约 10 倍） compression ratio beyond the limit")
        try:
            sheets = _worksheet_parts(workbook)
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError):
            return  # not laid out as we know: the reader decides (and its process is bounded)
        for sheet, part in sheets.items():
            _check_used_range(workbook, sheet, part)


def _cell_count(first: tuple[int, int], last: tuple[int, int]) -> int:
    return (abs(last[0] - first[0]) + 1) * (abs(last[1] - first[1]) + 1)


def _reference(row: int, column: int) -> str:
    letters = ""
    while column >= 0:
        column, rest = divmod(column, 26)
        letters = chr(ord("A") + rest) + letters
        column -= 1
    return f"{letters}{row}"


def _check_used_range(workbook: zipfile.ZipFile, sheet: str, part: str) -> None:
    """Refuse a sheet whose used range (cells holding something) exceeds MAX_SHEET_CELLS.

    The <dimension> the writer recorded at the sheet's start decides when it is small. When
    it is missing, or large (styles applied to whole rows make it so, without any value
    there), the sheet's cells are scanned, part by part, without keeping them.
    """
    try:
        stream = workbook.open(part)
    except KeyError:
        return
    with stream:
        head = stream.read(16_384)
        dimension = DIMENSION.search(head)
        if dimension and dimension.group(2):
            first_col, first_row, last_col, last_row = dimension.groups()
            first = (int(first_row), _column_position(first_col or b"A"))
            last = (int(last_row), _column_position(last_col)) if last_row else first
            if _cell_count(first, last) <= MAX_SHEET_CELLS:
                return
        low = high = None  # (row, column) bounds of the cells holding something
        farthest = None
        pending = head
        while True:
            cut = pending.rfind(b"</c>") + len(b"</c>") if b"</c>" in pending else 0
            for match in CELL_WITH_CONTENT.finditer(pending, 0, cut):
                reference = CELL_REFERENCE.search(match.group(1))
                if reference is None:
                    continue  # a cell without r= sits after the one before: not a jump
                cell = (int(reference.group(2)), _column_position(reference.group(1)))
                low = cell if low is None else (min(low[0], cell[0]), min(low[1], cell[1]))
                high = cell if high is None else (max(high[0], cell[0]), max(high[1], cell[1]))
                if farthest is None or cell[0] + cell[1] > farthest[0] + farthest[1]:
                    farthest = cell
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            pending = pending[cut:] + chunk
    if low is not None and _cell_count(low, high) > MAX_SHEET_CELLS:
        used = f"{_reference(*low)}:{_reference(*high)}"
        raise LedgerReadError(
            f"工作表「{sheet}」的使用范围 {used} 有 {_cell_count(low, high):,} 个单元格，超过 {MAX_SHEET_CELLS:,} 的上限，"
            f"未读取：多半是远处误填了单元格（最远的是 {_reference(*farthest)}），请删除该单元格后重报 "
            f"used range too large (a stray cell far from the table?)")


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
        return [("", _csv_grid(path)[0])]
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
        # A header kcbx knows from another kind (姓名 in an absence ledger) is no unknown one.
        known = any(headers.is_known_header(part) for part in _texts(header_cells(position)))
        if position not in merged and text and normalize_header(text) not in SERIAL_HEADERS and not known:
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
    ``has_blanks``: whether any of their cells is blank; ``unfilled``: the lines of a template
    left unfilled that were passed over (a pupil's line: 身份证号 or 学籍号 and nothing of what
    happened), not blank rows.
    """

    rows: pd.DataFrame
    long_cells: list[tuple[int, str, int]]
    has_blanks: bool
    unfilled: int = 0


# Columns that say who or where, not what happened: in a kind whose row is an event (an absence,
# a case event, a visit, a payment), a row holding only these is a line of a template that lists
# the pupils or the cases and was not filled in (kcbx templates), never a data row. (A 核查回执
# row not filled in is read, and counts as no check: normalize.)
WHO_COLUMNS = frozenset({"id_number", "student_no", "name", "gender", "birth_date", "township", "village",
                         "school", "grade", "class_name", "school_year"})
EVENT_KINDS = frozenset({"absence", "cases", "home_teaching", "subsidy"})
# A template line names its pupil (or case's child) by these: a line left unfilled is counted
# (DataRows.unfilled), a blank spare line or the 零报告 line left blank is not.
KEY_COLUMNS = frozenset({"id_number", "student_no"})


def data_rows(grid: pd.DataFrame, header: Header, kind: str | None = None) -> DataRows:
    """The data rows below the header, as raw cells under canonical column names.

    Not data rows: rows whose known columns are all blank (templates often
    pre-fill a 序号 column), rows with a 合计/小计/总计 cell in any column (often
    under 序号 or 学校, which may be unmapped), and rows repeating the header's
    texts in at least MIN_HEADER_MATCHES cells (sheets pasted together). In a kind whose
    row is an event (EVENT_KINDS), also a row whose known columns other than WHO_COLUMNS
    are all blank: a pupil's (or case's, or child's) line of a template left unfilled (counted
    in ``unfilled`` when it names someone by 身份证号 or 学籍号).
    """
    below_header = grid.index > max(header.rows)
    body = grid.to_numpy(dtype=object)[below_header]
    column_at = {position: column for column, position in header.columns.items()}
    skip = [False] * len(body)
    header_repeats = [0] * len(body)
    known_texts = []
    what_texts = []  # the known columns other than WHO_COLUMNS, in an event kind
    key_texts = []  # 身份证号, 学籍号, in an event kind
    long_cells = []  # (position in body, column, characters)
    for position in range(body.shape[1]):
        texts = _stripped_texts(body[:, position].tolist())
        for row in _total_positions(texts):
            skip[row] = True
        if position not in column_at:
            continue
        known_texts.append(texts)
        if kind in EVENT_KINDS and column_at[position] not in WHO_COLUMNS:
            what_texts.append(texts)
        if kind in EVENT_KINDS and column_at[position] in KEY_COLUMNS:
            key_texts.append(texts)
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
    unfilled = 0
    if what_texts:  # an event kind's sheet with at least one column saying what happened
        keyed = [any(texts) for texts in zip(*key_texts)] if key_texts else [False] * len(body)
        for row, texts in enumerate(zip(*what_texts)):
            if not any(texts):
                if keyed[row] and not skip[row]:
                    unfilled += 1
                skip[row] = True
    keep = ~np.array(skip, dtype=bool)
    row_numbers = grid.index[below_header]
    rows = pd.DataFrame(body[keep][:, list(header.columns.values())], index=row_numbers[keep],
                        columns=list(header.columns), dtype=object)
    return DataRows(rows, [(int(row_numbers[row]), column, length) for row, column, length in long_cells
                           if not skip[row]], has_blanks, unfilled)


# --------------------------------------------------------------------------- one file

@dataclass
class RawSheet:
    """One sheet's data rows, not yet interpreted.

    ``rows``: raw cells under canonical column names, indexed by source row;
    ``missing``: descriptions of required headers the sheet lacks (then every
    row is rejected with ``missing_message``); ``cell_rejections``: rows to
    reject for a cell found unfit when reading, row -> (column, reason);
    ``unfilled``: template lines left unfilled, passed over (DataRows.unfilled).
    """

    kind: str
    file: str
    sheet: str
    header: Header
    rows: pd.DataFrame
    missing: list[str] = field(default_factory=list)
    cell_rejections: dict[int, tuple[str, str]] = field(default_factory=dict)
    unfilled: int = 0

    @property
    def missing_message(self) -> str:
        where = f"{self.file}" + (f"，工作表「{self.sheet}」" if self.sheet else "")
        return f"{where}：缺少必需的列 {'；'.join(self.missing)}"


REASON_NO_HEADER = "未找到可识别的表头，已跳过该工作表"


def read_ledger_file(ledger_file: LedgerFile, vocabulary: HeaderVocabulary,
                     skipped: list[tuple[str, str]] | None = None) -> tuple[list[RawSheet], list[Finding]]:
    """Read every sheet of a file that has a recognisable header.

    The file is read as what it holds, with a finding when its name says
    otherwise. Sheets without a header are skipped and listed as findings (and, as
    (sheet, reason), in ``skipped`` when given); so are header texts that name no known
    column, texts that Excel's cell limit may have cut, and (xlsx) formula cells that
    were never calculated. A text longer than that limit rejects its row; so does a CSV
    line in no encoding we read. Raises LedgerReadError when the file cannot be read, would
    cost too much to read (check_file_size), or when no sheet at all has a recognisable header.
    """
    sheets: list[RawSheet] = []
    findings: list[Finding] = []

    def note(sheet: str, text: str, row: int | None = None) -> None:
        findings.append(Finding(ledger_file.kind, ledger_file.relative, sheet, row, text))

    odd_name = name_finding(ledger_file)
    if odd_name:
        note("", odd_name)
    content_format = file_format(ledger_file.path)
    name_mismatch = misnamed(ledger_file.path, content_format)
    if name_mismatch:
        note("", name_mismatch)
    check_file_size(ledger_file.path, content_format)
    bad_rows: list[int] = []
    if content_format == "csv":
        grid, decoded, bad_rows = _csv_grid(ledger_file.path)
        grids = [("", grid)]
        if decoded.gbk_lines:
            shown = "、".join(map(str, decoded.gbk_lines[:10])) + (" 等" if len(decoded.gbk_lines) > 10 else "")
            note("", f"第 {shown} 行（共 {len(decoded.gbk_lines)} 行）是 GBK 编码，文件其余是 UTF-8：已按 GBK 读取，请核对",
                 decoded.gbk_lines[0])
    else:
        grids = _excel_grids(ledger_file.path)
    sheets_with_blanks = []
    for sheet_name, grid in grids:
        header = detect_header(grid, vocabulary)
        if header is None:
            note(sheet_name, REASON_NO_HEADER)
            if skipped is not None:
                skipped.append((sheet_name, REASON_NO_HEADER))
            continue
        if header.unknown:
            note(sheet_name, f"未识别的列（未读取）：{'、'.join(header.unknown)}", header.rows[0])
        for column in header.duplicates:
            note(sheet_name, f"列{vocabulary.describe(column)}出现多次，只读取第一列", header.rows[0])
        body = data_rows(grid, header, vocabulary.kind)
        rejections = {}
        for row, column, length in body.long_cells:
            if length > EXCEL_CELL_LIMIT:
                rejections.setdefault(row, (column, REASON_CELL_TOO_LONG))
            else:
                note(sheet_name, f"文本可能被截断（列「{header.labels[column]}」正好 {EXCEL_CELL_LIMIT:,} 个字符，"
                                 f"是 Excel 单元格的上限）", row)
        for row in bad_rows:
            if row in body.rows.index:
                cells = body.rows.loc[row]
                column = next((c for c in body.rows.columns if isinstance(cells[c], str) and "\ufffd" in cells[c]),
                              body.rows.columns[0])
                rejections[row] = (column, REASON_ENCODING)
            else:  # a title or header line: nothing to reject, but worth saying
                note(sheet_name, REASON_ENCODING.replace("此行", f"第 {row} 行"), row)
        sheets.append(RawSheet(ledger_file.kind, ledger_file.relative, sheet_name, header,
                               body.rows, missing_headers(header, vocabulary), rejections, body.unfilled))
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
