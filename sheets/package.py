"""The .xlsx package, and every use of openpyxl's private internals in this project (one module,
so an openpyxl upgrade that breaks them breaks here, and tests/sheets/test_package.py says so).

openpyxl makes the workbook: styles, sheet views, column widths, page setup, print titles, footer,
page breaks, charts, the zip package. What this module adds:

- `new_book()`: a write-only workbook whose style tables are copied from the first one made in the
  process (openpyxl's `Workbook._setup_styles`, `IndexedList._dict`, `WriteOnlyCell.style_id`);
- `close_sheet(ws)`: openpyxl writes the worksheet part (an empty <sheetData>) into memory, not into
  a temporary file (`WorksheetWriter(ws, out)`, `ws._writer`): a run writes ~5,300 workbooks, and
  creating, reopening and removing a file per sheet cost a third of the sheets' time;
- `stream_rows(ws, rows)`: the rendered rows (sheets/cells.py) put into that part, spooled (in
  memory up to SPOOL_BYTES, past it in a temporary file in the run's staging folder);
- `save_book(wb, path)`: the package written by `ExcelWriter` minus the parts never used, with
  the parts workbooks share (stylesheet, workbook part, content types) serialised once per
  process (`ExcelWriter.write_data`, `wb._cell_styles` and its siblings, `WorkbookWriter`);
  to a temporary name, renamed into place.

openpyxl is pinned (3.1.5, requirements.lock); `check_openpyxl()` names what an upgrade broke."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.extended import ExtendedProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyleList
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.styles.table import TableStyleList
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.writer.theme import theme_xml
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CORE,
    ARC_ROOT_RELS,
    ARC_STYLE,
    ARC_THEME,
    ARC_WORKBOOK,
    ARC_WORKBOOK_RELS,
)
from openpyxl.xml.functions import tostring

from outputs.files import atomic_open
from sheets.cells import GRID_VARIANTS, STYLE, STYLE_NAMES
from sheets.drawings import Picture, with_pictures
from sheets.spec import DECIMAL_FORMAT, MONEY_FORMAT, PERCENT_FORMAT

COUNT_FORMAT = "#,##0"  # counts with thousands separators (text cells ignore it)
MARK_COLOUR = "FFF2CC"  # a marked row (a changed line, a line to look at): light yellow, light grey in black and white
ZIP_LEVEL = 1  # deflate level 1: ~3x faster than the default 6, files ~25% larger


def _font(**attributes) -> Font:
    """The workbook's default font (Calibri 11, the theme's minor font) with `attributes`. A bare
    Font(bold=True) has no name, and LibreOffice then prints the cell in a serif font."""
    return Font(name=DEFAULT_FONT.name, family=DEFAULT_FONT.family, scheme=DEFAULT_FONT.scheme,
                **{"size": DEFAULT_FONT.sz, **attributes})


def _register_styles(ws) -> None:
    """Register the cell styles in the workbook, in STYLE order, so their ids are known before
    any row is rendered (rows of many workbooks are rendered together)."""
    bold, thin = _font(bold=True), Side(style="thin", color="808080")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    block = Border(left=thin, right=thin, top=Side(style="medium", color="000000"), bottom=thin)
    center = Alignment(horizontal="center", vertical="center")
    middle = Alignment(vertical="center")
    wrap = Alignment(vertical="center", wrap_text=True)
    attributes = {
        "title": dict(font=_font(bold=True, size=14)),
        "heading": dict(font=_font(bold=True, size=12)),
        "bold": dict(font=bold),
        "note": dict(font=_font(bold=True, color="C00000")),
        "label": dict(font=bold, fill=PatternFill("solid", fgColor="D9D9D9"), border=grid,
                      alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)),
        "money": dict(number_format=MONEY_FORMAT),
        "money_bold": dict(number_format=MONEY_FORMAT, font=bold),
        "quoted": dict(quotePrefix=True),
        "quoted_bold": dict(quotePrefix=True, font=bold),
        "cell_bold": dict(border=grid, font=bold, number_format=COUNT_FORMAT, alignment=middle),
        "cell_money_bold": dict(border=grid, number_format=MONEY_FORMAT, font=bold, alignment=middle),
        "cell_quoted_bold": dict(border=grid, quotePrefix=True, font=bold, alignment=middle),
        "percent": dict(number_format=PERCENT_FORMAT),
        "decimal": dict(number_format=DECIMAL_FORMAT),
        "count": dict(number_format=COUNT_FORMAT),
    }
    bases = {
        "cell": dict(number_format=COUNT_FORMAT, alignment=middle),
        "cell_center": dict(alignment=center, number_format=COUNT_FORMAT),
        "cell_money": dict(number_format=MONEY_FORMAT, alignment=middle),
        "cell_quoted": dict(quotePrefix=True, alignment=middle),
        "cell_percent": dict(number_format=PERCENT_FORMAT, alignment=middle),
        "cell_decimal": dict(number_format=DECIMAL_FORMAT, alignment=middle),
        "cell_wrap": dict(alignment=wrap),
        "cell_quoted_wrap": dict(quotePrefix=True, alignment=wrap),
    }
    for base, base_attributes in bases.items():
        for variant in GRID_VARIANTS:
            marked = {"fill": PatternFill("solid", fgColor=MARK_COLOUR)} if "mark" in variant else {}
            attributes[f"{base}{variant}"] = dict(base_attributes, border=block if "top" in variant else grid,
                                                  **marked)
    for name in STYLE_NAMES:
        cell = WriteOnlyCell(ws)
        for attribute, value in attributes[name].items():
            setattr(cell, attribute, value)
        if cell.style_id != STYLE[name]:
            raise RuntimeError(f"cell style {name} got id {cell.style_id}, not {STYLE[name]}")


_STYLE_TABLES = ("_fonts", "_alignments", "_borders", "_fills", "_number_formats", "_protections", "_cell_styles")


def _clone(indexed: IndexedList) -> IndexedList:
    clone = IndexedList()
    list.extend(clone, indexed)
    clone._dict, clone.clean = dict(indexed._dict), indexed.clean
    return clone


class _Book(Workbook):
    """A write-only workbook whose style tables (openpyxl's defaults plus STYLE_NAMES) are copied
    from the first workbook made in this process instead of being built again for every file."""

    _template: dict | None = None

    def __init__(self):
        super().__init__(write_only=True)

    def _setup_styles(self):
        template = _Book._template
        if template is None:
            super()._setup_styles()
            return
        for name in _STYLE_TABLES:
            setattr(self, name, _clone(template[name]))
        self._date_formats, self._timedelta_formats = {}, {}
        self._colors = template["_colors"]
        self._named_styles = template["_named_styles"]  # only read when the stylesheet is written
        self._table_styles = TableStyleList()
        self._differential_styles = DifferentialStyleList()

    def prepare_styles(self, ws) -> None:
        """Make sure the STYLE ids are this workbook's (the first time, register them)."""
        if _Book._template is None:
            _register_styles(ws)
            _Book._template = {name: _clone(getattr(self, name)) for name in _STYLE_TABLES} | {
                "_colors": self._colors, "_named_styles": self._named_styles}
        elif len(self._cell_styles) != len(STYLE_NAMES) + 1:
            raise RuntimeError("the workbook's cell styles are not the writer's")


def new_book() -> Workbook:
    """A write-only workbook with the writer's cell styles (call `prepare_styles(ws)` with its
    first sheet before rendering rows)."""
    return _Book()


SHEET_DATA_EMPTY = (b"<sheetData></sheetData>", b"<sheetData/>", b"<sheetData />")  # as openpyxl may write it
SPOOL_BYTES = 16 * 2**20  # a sheet's XML past this goes to a temporary file (in the staging folder)


def close_sheet(ws) -> None:
    """Let openpyxl write the worksheet part, with an empty <sheetData>, into memory (call after
    the sheet's views, columns, page setup and charts are set, then `stream_rows`)."""
    if ws._writer is not None:
        raise RuntimeError("the sheet was already opened for writing")
    ws._writer = WorksheetWriter(ws, out=io.BytesIO())
    ws._writer.write_top()
    ws.close()


def split_sheet_data(data: bytes, name: str = "the sheet") -> tuple[bytes, bytes]:
    """A worksheet part openpyxl wrote with an empty <sheetData>: (what goes before its rows, with
    `<sheetData>`; what goes after them, from `</sheetData>`)."""
    for empty in SHEET_DATA_EMPTY:
        head, found, tail = data.partition(empty)
        if found:
            return head + b"<sheetData>", b"</sheetData>" + tail
    raise ValueError(f"openpyxl wrote no empty <sheetData> in {name}: this writer is made for openpyxl 3.1")


def row_chunks(rows) -> Iterator[bytes]:
    """Rendered rows (str) as UTF-8, 2,048 rows a chunk."""
    chunk: list[str] = []
    for xml in rows:
        chunk.append(xml)
        if len(chunk) >= 2048:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    yield "".join(chunk).encode("utf-8")


def stream_rows(ws, rows) -> None:
    """Put the rows into the worksheet part openpyxl wrote (with an empty <sheetData>)."""
    head, tail = split_sheet_data(ws._writer.out.getvalue())
    if head.startswith(b"<?xml") and b"utf-8" not in head[:60].lower():
        raise RuntimeError("openpyxl wrote the sheet in an encoding other than UTF-8")
    part = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    part.write(head)
    for chunk in row_chunks(rows):
        part.write(chunk)
    part.write(tail)
    part.seek(0)
    ws._writer.out = part


_SHARED_PARTS: dict[tuple, bytes] = {}


def _stylesheet_key(wb: Workbook) -> tuple:
    return (STYLE_NAMES, len(wb._cell_styles), len(wb._fonts), len(wb._fills), len(wb._borders),
            len(wb._number_formats), len(wb._alignments), len(wb._protections), len(wb._named_styles),
            len(wb._differential_styles.styles))


class _PackageWriter(ExcelWriter):
    """openpyxl's ExcelWriter, minus the parts this writer never uses (custom document properties,
    a loaded theme, macros), with the parts workbooks here share serialised once per process and
    kept by what they depend on: the extended properties; the stylesheet (every workbook registers
    the same cell styles, STYLE_NAMES, and nothing else); the workbook part and its relationships
    (sheet names and print titles); the content types (the package's parts). For a handout list
    these were half of the time openpyxl spends on a workbook."""

    def write_worksheet(self, ws):
        """openpyxl's, for a part in memory or spooled (`stream_rows`), not in a named file."""
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        if not ws.closed:
            ws.close()
        ws._rels = ws._writer._rels
        part = ws._writer.out
        part.seek(0)
        with self._archive.open(ws.path[1:], "w", force_zip64=True) as target:
            shutil.copyfileobj(part, target, 2**20)
        part.close()
        self.manifest.append(ws)

    def write_data(self):
        archive, wb = self._archive, self.workbook
        if "app" not in _SHARED_PARTS:
            _SHARED_PARTS["app"] = tostring(ExtendedProperties().to_tree())
        archive.writestr(ARC_APP, _SHARED_PARTS["app"])
        archive.writestr(ARC_CORE, tostring(wb.properties.to_tree()))
        archive.writestr(ARC_THEME, theme_xml)
        self._write_worksheets()
        self._write_chartsheets()
        self._write_images()
        self._write_charts()
        self._write_external_links()
        key = _stylesheet_key(wb)
        if key not in _SHARED_PARTS:
            _SHARED_PARTS[key] = tostring(write_stylesheet(wb))
        archive.writestr(ARC_STYLE, _SHARED_PARTS[key])
        key = ("workbook", len(wb.defined_names),
               tuple((ws.title, ws.sheet_state, ws.print_titles, ws.print_area, ws.auto_filter.ref)
                     for ws in wb._sheets))
        if key not in _SHARED_PARTS:
            workbook = WorkbookWriter(wb)
            _SHARED_PARTS[key] = (workbook.write_root_rels(), workbook.write(), workbook.write_rels())
        for name, data in zip((ARC_ROOT_RELS, ARC_WORKBOOK, ARC_WORKBOOK_RELS), _SHARED_PARTS[key], strict=True):
            archive.writestr(name, data)
        self.manifest.append(wb)
        key = ("manifest", tuple(archive.namelist()),
               tuple((o.PartName, o.ContentType) for o in self.manifest.Override))
        if key not in _SHARED_PARTS:
            self.manifest._register_mimetypes(filenames=archive.namelist())
            _SHARED_PARTS[key] = tostring(self.manifest.to_tree())
        archive.writestr(self.manifest.path, _SHARED_PARTS[key])


def save_book(wb: Workbook, path: Path, pictures: dict[int, list[Picture]] | None = None) -> None:
    """The package at `path`; `pictures`: per sheet (its number, from 0), the pictures added as
    openpyxl adds them (sheets/drawings.py)."""
    with atomic_open(path) as out, ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True,
                                           compresslevel=ZIP_LEVEL) as archive:
        if not any(pictures.values() if pictures else ()):
            _PackageWriter(wb, archive).save()
            return
        parts = package_parts(wb)  # names the sheets' parts
        by_part = {ws.path[1:]: pictures.get(number, []) for number, ws in enumerate(wb.worksheets)}
        for name, data in with_pictures(parts, by_part):
            archive.writestr(name, data)


def check_openpyxl() -> list[str]:
    """What of openpyxl's internals this module relies on is missing (empty: all there). A test
    runs it, so an openpyxl upgrade that moves one fails loudly, naming it."""
    book = Workbook(write_only=True)
    ws = book.create_sheet("probe")
    writer = ExcelWriter(book, ZipFile(io.BytesIO(), "w"))
    wanted = {
        "Workbook._setup_styles": hasattr(Workbook, "_setup_styles"),
        "Workbook._colors, _named_styles, _date_formats, _timedelta_formats, _table_styles, "
        "_differential_styles, _sheets": all(hasattr(book, n) for n in (
            "_colors", "_named_styles", "_date_formats", "_timedelta_formats", "_table_styles",
            "_differential_styles", "_sheets")),
        "Workbook style tables as IndexedList with _dict and clean": all(
            isinstance(getattr(book, n, None), IndexedList) and hasattr(getattr(book, n), "_dict")
            and hasattr(getattr(book, n), "clean") for n in _STYLE_TABLES),
        "WriteOnlyCell.style_id": hasattr(WriteOnlyCell(ws), "style_id"),
        "WriteOnlyWorksheet._writer": hasattr(ws, "_writer"),
        "WorksheetWriter(ws, out) with write_top and _rels": all(
            hasattr(WorksheetWriter, n) for n in ("write_top", "write_tail", "close"))
        and "out" in WorksheetWriter.__init__.__code__.co_varnames,
        "ExcelWriter.write_worksheet": hasattr(ExcelWriter, "write_worksheet"),
        "ExcelWriter.write_data, _archive, workbook, manifest and its _write_* steps": hasattr(
            ExcelWriter, "write_data") and all(hasattr(writer, n) for n in (
                "_archive", "workbook", "manifest", "_write_worksheets", "_write_chartsheets", "_write_images",
                "_write_charts", "_write_external_links")),
        "manifest._register_mimetypes and Override": hasattr(writer.manifest, "_register_mimetypes")
        and hasattr(writer.manifest, "Override"),
        "WorkbookWriter.write, write_rels, write_root_rels": all(
            hasattr(WorkbookWriter, n) for n in ("write", "write_rels", "write_root_rels")),
    }
    return [name for name, present in wanted.items() if not present]


def package_parts(wb: Workbook) -> list[tuple[str, bytes]]:
    """The parts of the package `save_book` would write for `wb`, in its order: (name, bytes)."""
    out = io.BytesIO()
    with ZipFile(out, "w", ZIP_DEFLATED) as archive:
        _PackageWriter(wb, archive).save()
    with ZipFile(out) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]
