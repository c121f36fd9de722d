"""Read an .xlsx from outside within bounded memory and time (docs/platform-exports.md, "Hostile
files"): each sheet's cells as Excel shows them, for transforms/export_headers.py.

An .xlsx is a zip of XML parts, and one from outside may be a zip bomb, a sheet declaring a
million rows or columns, a password-protected (encrypted) workbook, or no workbook at all. Before
openpyxl opens it: the first bytes (an OLE compound file is an encrypted workbook or an old .xls),
the zip's directory (members, their declared sizes: zipfile never inflates a member past its
declared size, so the declared sizes bound what is read), then each sheet's declared dimension;
while reading, its rows and columns. Each limit breached is one line naming the limit.

What a cell holds: its saved value (openpyxl `read_only` + `data_only`): a formula's last computed
value, as Excel shows it (a number cell at Excel's 15 significant digits, as `Decimal` from the
stored text, never a float; a date cell as a naive `datetime`). A formula with no saved value (a
file written by a tool that does not compute) is named per cell, and its row is rejected. A merged
range's value belongs to its first cell; the others read empty, as Excel shows them (WPS keeps
hidden values under a merge).

openpyxl opens the workbook (its parts, shared strings, styles: which number formats are dates);
its read-only worksheet would pad every row up to the declared dimension and hides merges and
formulas without a value, so each sheet's XML is parsed here, lean (the standard library's
parser, whose entity-expansion limits hold): only the cells present. Three of openpyxl's private
attributes are used for that (the archive, a sheet's part, the date formats), pinned with
openpyxl==3.1.5.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from pathlib import Path

from inbox.readers import UnreadableFile
from transforms.export_cells import excel_number
from transforms.export_headers import Sheet

MAX_FILE_BYTES = 50 * 1024 * 1024           # the .xlsx itself
MAX_UNCOMPRESSED = 200 * 1024 * 1024        # all its parts, as declared in its zip directory
MAX_MEMBERS = 2_000
MAX_SHEETS = 50
MAX_ROWS = 100_000                          # a sheet's rows (a large group is a few thousand)
MAX_COLUMNS = 256
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>\s*([^<\s]+)\s*</dcterms:modified>")


@dataclass(frozen=True)
class Workbook:
    sheets: list[Sheet]
    modified: datetime | None  # docProps/core.xml dcterms:modified, UTC (aware), when it says


def _check_container(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(f"the file is {size / 1048576:.1f} MiB; an export is read up to "
                             f"{MAX_FILE_BYTES // 1048576} MiB")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == OLE_MAGIC:
        raise UnreadableFile("a password-protected (encrypted) workbook, or an old .xls renamed: an OLE compound "
                             "file, not an .xlsx. Open it in Excel or WPS, remove the password and save it as .xlsx")
    if not head.startswith(b"PK"):
        raise UnreadableFile("not an .xlsx workbook (not a zip archive); a CSV export goes in as .csv")


def _check_zip(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UnreadableFile(f"the zip holds {len(members):,} parts; an export is read up to {MAX_MEMBERS:,}")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        biggest = max(members, key=lambda m: m.file_size)
        raise UnreadableFile(f"its parts unpack to {total / 1048576:,.0f} MiB (the largest, {biggest.filename}, "
                             f"{biggest.file_size / 1048576:,.0f} MiB): a zip bomb or far more than an export; "
                             f"an export is read up to {MAX_UNCOMPRESSED // 1048576} MiB unpacked")
    if any(m.flag_bits & 0x1 for m in members):
        raise UnreadableFile("a password-protected (encrypted) zip: save the workbook as .xlsx without a password")
    if "xl/workbook.xml" not in archive.namelist():
        raise UnreadableFile("a zip archive without an Excel workbook in it (no xl/workbook.xml)")


def _modified(archive: zipfile.ZipFile) -> datetime | None:
    try:
        data = archive.read("docProps/core.xml")
    except KeyError:
        return None
    match = _MODIFIED.search(data)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match.group(1).decode("ascii").replace("Z", "+00:00"))
    except ValueError:
        return None


def read_workbook(path: Path) -> Workbook:
    """Every worksheet's cells (chart sheets have none). Raises UnreadableFile, one line, naming
    the limit a file breaches or why it cannot be read."""
    _check_container(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_zip(archive)
            modified = _modified(archive)
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"a damaged .xlsx (the zip archive is corrupt: {exc})") from None
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises what its parts raise: one line for the reject
        raise UnreadableFile(f"cannot read the workbook ({type(exc).__name__}: {_first_line(exc)})") from None
    try:
        sheets = [ws for ws in book.worksheets if hasattr(ws, "_worksheet_path")]
        if len(sheets) > MAX_SHEETS:
            raise UnreadableFile(f"{len(sheets)} sheets; an export is read up to {MAX_SHEETS}")
        return Workbook([_read_sheet(book, ws) for ws in sheets], modified)
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"cannot read the workbook ({type(exc).__name__}: {_first_line(exc)})") from None
    finally:
        book.close()


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL, _ROW, _VALUE, _FORMULA, _INLINE, _TEXT = (f"{_NS}{t}" for t in ("c", "row", "v", "f", "is", "t"))
_MERGE, _DIMENSION = f"{_NS}mergeCell", f"{_NS}dimension"
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _declared(ref: str) -> tuple[int, int]:
    """The rows and columns a dimension `A1:XFD1048576` declares (its last cell)."""
    match = _REF.match(ref.split(":")[-1].replace("$", ""))
    return (int(match.group(2)), _column(match.group(1))) if match else (0, 0)


def _read_sheet(book, ws) -> Sheet:
    """The sheet's cells present, each as its saved value (module docstring), parsed with the
    standard library's XML parser (its entity-expansion limits hold) and nothing padded."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.datetime import from_excel
    strings, dates, epoch = ws._shared_strings, book._date_formats, book.epoch
    no_value: dict[tuple[int, int], str] = {}
    rows: list[tuple[int, list]] = []
    merges: list[str] = []
    number = 0

    def too_far(what: str) -> UnreadableFile:
        return UnreadableFile(f"sheet {ws.title} {what}; an export is read up to {MAX_ROWS:,} rows and {MAX_COLUMNS} "
                              f"columns a sheet")

    with book._archive.open(ws._worksheet_path) as source:
        for _, element in iterparse(source):
            tag = element.tag
            if tag == _ROW:
                number = int(element.get("r") or number + 1)
                if number > MAX_ROWS:
                    raise too_far(f"has rows past row {MAX_ROWS:,}")
                cells, column = {}, 0
                for cell in element.iter(_CELL):
                    ref = _REF.match(cell.get("r") or "")
                    column = _column(ref.group(1)) if ref else column + 1
                    if column > MAX_COLUMNS:
                        raise too_far(f"row {number} has cells past column {MAX_COLUMNS}")
                    value = _cell_value(cell, strings, dates, epoch, from_excel)
                    formula = cell.find(_FORMULA)
                    if formula is not None and value is None and cell.get("t") != "str":
                        no_value[(number, column - 1)] = formula.text or "(a shared formula)"
                    elif value is not None:
                        cells[column - 1] = value
                if cells:
                    values = [None] * (max(cells) + 1)
                    for index, value in cells.items():
                        values[index] = value
                    rows.append((number, values))
                element.clear()
            elif tag == _MERGE:
                merges.append(element.get("ref", ""))
                element.clear()
            elif tag == _DIMENSION:
                declared_rows, declared_columns = _declared(element.get("ref", ""))
                if declared_rows > MAX_ROWS or declared_columns > MAX_COLUMNS:
                    raise too_far(f"declares {declared_rows:,} rows and {declared_columns:,} columns")
    covering = _merges_by_row(merges)
    return Sheet(ws.title, tuple((number, _blank_covered(number, values, covering.get(number, ())))
                                 for number, values in rows), no_value)


def _cell_value(cell, strings, dates, epoch, from_excel):
    """A cell's saved value: text, Decimal (from the stored text), datetime, bool; None when empty."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        return "".join(t.text or "" for t in inline.iter(_TEXT)) if inline is not None else None
    text = cell.findtext(_VALUE)
    if not text:
        return None
    if kind == "s":
        index = int(text)
        if not 0 <= index < len(strings):
            raise UnreadableFile(f"cell {cell.get('r')} names shared string {index}, which the workbook lacks")
        return str(strings[index])
    if kind in ("str", "e"):
        return text
    if kind == "b":
        return text == "1"
    if kind == "d":
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    style = int(cell.get("s") or 0)
    if style in dates:
        try:
            return _value(from_excel(float(text), epoch))  # a date serial, not money: a float is exact enough
        except (ValueError, OverflowError):
            return text
    try:
        return excel_number(text)
    except InvalidOperation:
        return text


def _value(value):
    if isinstance(value, datetime) or value is None or isinstance(value, bool | str):
        return value
    return value if hasattr(value, "as_tuple") else str(value)  # a Decimal, else text (a time of day, ...)


MAX_MERGED_ROWS = 1_000_000  # rows spanned by all merges together


def _merges_by_row(refs: list[str]) -> dict[int, list[tuple[int, int, bool]]]:
    """For each row a merge spans: (first column index, last column index, whether the row is the
    merge's first) of each merge."""
    from openpyxl.utils.cell import range_boundaries
    by_row: dict[int, list[tuple[int, int, bool]]] = {}
    spanned = 0
    for merge in refs:
        min_col, min_row, max_col, max_row = range_boundaries(merge)
        max_row = min(max_row, MAX_ROWS)
        spanned += max(max_row - min_row + 1, 0)
        if spanned > MAX_MERGED_ROWS:
            raise UnreadableFile(f"its merged cells span more than {MAX_MERGED_ROWS:,} rows together; an export is "
                                 f"read up to that")
        for row in range(min_row, max_row + 1):
            by_row.setdefault(row, []).append((min_col - 1, max_col - 1, row == min_row))
    return by_row


def _blank_covered(row: int, values: list, merges: list[tuple[int, int, bool]]) -> tuple:
    """The row's cells, those a merge covers (all but its first cell) read empty."""
    if not merges:
        return tuple(values)
    out = list(values)
    for first, last, top in merges:
        for index in range(first + (1 if top else 0), min(last, len(out) - 1) + 1):
            out[index] = None
    return tuple(out)
