"""The one workbook renderer: a sheet is a spec (columns with label, kind, width) plus a polars
frame; `write_workbook(path, sheets)` turns a list of specs into an .xlsx file with openpyxl
(write-only), `write_workbooks(books)` many files at once.

What a spec gets, every time:
- a title line, a header block of (label, value) rows, highlight lines, red notes, then the
  table: a bold label row, the data rows, an optional bold totals row; or a list of sections (a
  heading, a label row, rows, totals), each section starting on a new printed page;
- frozen panes under the label row, column widths that fit the content (CJK counts double);
- A4 print setup: portrait or landscape, fit to one page wide, the header rows repeated on every
  page, "&P / &N" page numbers in the footer;
- money as a number with the format "¥"#,##0.00, its text made from integer fen (never a float);
- formula-safe text: every string is written as an inline string (cell type "s"), never as a
  formula; a string that starts with =, +, -, @, tab or CR also gets Excel's quote prefix, so
  editing the cell keeps it text. Characters XML cannot hold are dropped.

How: this module lays each sheet out (where each table's rows go) and sets what openpyxl writes
around the rows (widths, panes, print setup, breaks, chart); sheets/cells.py renders the rows into
SpreadsheetML with polars, a whole column at a time; sheets/package.py streams them into the
worksheet part openpyxl wrote and saves the package (every use of openpyxl's internals is there).
The declarations (Column, SheetSpec, BookSpec, ...) are sheets/spec.py. See docs/sheets.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

import polars as pl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties

from sheets.cells import STYLE, Body, Request, render_bodies, row_xml, text_cell, value_cell, xml_safe
from sheets.package import close_sheet, new_book, save_book, stream_rows
from sheets.sheet_drawings import CHART_BELOW_CM, CHART_SHEET_CM, add_chart, table_pictures
from sheets.spec import (
    INT,
    OWN_SHEET,
    TEXT,
    BookSpec,
    SheetSpec,
    display_width,
)
from sheets.template import BookTemplate, Slot, breaks_xml, plain_text, width_attribute, xml_text_ascii, xml_text_utf8
from sheets.text_fit import NOTE_WIDTH, fit_label, label_lines, sheet_title, total_width, wrap_note

PAPER_A4 = 9
FOOTER_PAGES = "&P / &N"
ROW_HEIGHT = 15.0
SIDE_MARGIN = 0.25  # inches, Excel's "narrow" margins: the columns get the page's width




@dataclass
class _Table:
    headings: tuple[str, ...]
    frame: pl.DataFrame
    totals: dict | None
    labels: tuple[str, ...] | None = None
    heading_row: int = 0
    label_row: int = 0
    first_row: int = 0   # of the data rows
    rows: int = 0
    totals_row: int = 0
    empty_row: int = 0   # the row that says the table is empty (SheetSpec.empty_text), if it is
    body: Body | None = None


@dataclass
class _Sheet:
    """One sheet laid out: where each table's rows go."""

    spec: SheetSpec
    tables: list[_Table]
    top_rows: int = 0    # title, header, highlights, notes and the blank row under them
    last_row: int = 0
    labels: list[str] | None = None  # the label row as printed (fit_label), once the widths are known
    chart_of: _Sheet | None = None   # a sheet of its own for this sheet's chart (ChartSpec OWN_SHEET)

    @property
    def breaks(self) -> list[int]:
        if not self.spec.section_breaks:
            return []
        return [t.heading_row - 1 for t in self.tables[1:]]  # each section starts a printed page


def _notes(spec: SheetSpec) -> list[str]:
    """The sheet's notes as printed lines (wrap_note): a long notice stays within the page."""
    return [line for note in spec.notes for line in wrap_note(note, NOTE_WIDTH[spec.landscape])]


def _lay_out(spec: SheetSpec) -> _Sheet:
    if spec.sections:
        tables = [_Table(s.heading, s.frame, s.totals, s.labels) for s in spec.sections]
    else:
        frame = spec.frame if spec.frame is not None else pl.DataFrame(schema={c.key: pl.String for c in spec.columns})
        tables = [_Table((), frame, spec.totals)]
    top = (1 if spec.title_line else 0) + len(spec.header) + len(spec.highlights) + len(_notes(spec))
    row = top + 2 if top else 1  # a blank row under the header block
    sheet = _Sheet(spec, tables, top_rows=row - 1)
    for table in tables:
        table.heading_row = row
        table.label_row = row + len(table.headings)
        table.first_row = table.label_row + 1
        table.rows = table.frame.height
        empty = 1 if table.rows == 0 and spec.empty_text else 0
        table.empty_row = table.first_row if empty else 0
        table.totals_row = table.first_row + table.rows + empty if table.totals else 0
        row = table.first_row + table.rows + empty + (1 if table.totals else 0)
        if not spec.section_breaks:
            row += 1  # a blank row between sections on one page
    sheet.last_row = row - 1 - (0 if spec.section_breaks else 1)
    return sheet


def _chart_sheet(data: _Sheet) -> _Sheet:
    """The sheet of its own a chart goes on (ChartSpec OWN_SHEET): the data sheet's title line, then
    the chart, on one landscape page."""
    spec, chart = data.spec, data.spec.chart
    own = SheetSpec(title=chart.sheet_title or chart.title, columns=(), title_line=spec.title_line,
                    landscape=True, one_page=True, footer=spec.footer or spec.title)
    return _Sheet(own, [], top_rows=1 if spec.title_line else 0, last_row=1 if spec.title_line else 0,
                  chart_of=data)


def _laid_out_book(book: BookSpec) -> list[_Sheet]:
    sheets = []
    for spec in book.sheets:
        sheets.append(_lay_out(spec))
        if spec.chart and spec.chart.placement == OWN_SHEET:
            sheets.append(_chart_sheet(sheets[-1]))
    return sheets


def _widths(sheet: _Sheet) -> list[float]:
    """Each column's width: what its values and totals take (a wrapping column: at most its
    width), its label on one line or on two (fit_label), within the spec's width and max_width.
    Sets the sheet's printed labels."""
    spec = sheet.spec
    need = [4.0 if c.wrap else c.width for c in spec.columns]  # a wrapping column: as wide as its text, at most width
    for table in sheet.tables:
        need = [max(w, d + 2) for w, d in zip(need, table.body.widths, strict=True)]
        if table.totals:
            need = [max(w, total_width(table.totals.get(c.key), c.kind) + 2) for w, c in zip(need, spec.columns,
                                                                                              strict=True)]
    need = [min(w, c.width) if c.wrap else min(w, max(c.max_width, c.width)) for w, c in zip(need, spec.columns,
                                                                                            strict=True)]
    labels = [fit_label(c.label, w) for c, w in zip(spec.columns, need, strict=True)]
    widths = [max(w, max((display_width(line) for line in label.split("\n")), default=0) + 2)
              for w, label in zip(need, labels, strict=True)]
    if spec.header and widths:  # the header block's labels sit in column A
        widths[0] = max(widths[0], max(display_width(str(label)) for label, _ in spec.header) + 1)
    sheet.labels = labels
    return [min(w, max(c.max_width, c.width)) for w, c in zip(widths, spec.columns, strict=True)]


def _rows_xml(sheet: _Sheet, widths: list[float]):
    """Every row of the sheet as XML, in order."""
    spec, row = sheet.spec, 1
    if spec.title_line:
        yield row_xml(row, [text_cell(f"A{row}", spec.title_line, "title", "quoted_bold")], 22)
        row += 1
    for label, value in spec.header:
        yield row_xml(row, [value_cell(f"A{row}", label, TEXT, bold=True), value_cell(f"B{row}", value, INT)])
        row += 1
    for text in spec.highlights:
        yield row_xml(row, [text_cell(f"A{row}", text, "heading", "quoted_bold")], 20)
        row += 1
    for note in _notes(spec):
        yield row_xml(row, [text_cell(f"A{row}", note, "note", "quoted_bold")])
        row += 1
    printed = sheet.labels or [c.label for c in spec.columns]
    lines = max((label_lines(label, w) for label, w in zip(printed, widths, strict=True)), default=1)
    label_height = ROW_HEIGHT * min(lines, 8) + 3 if lines > 1 else None
    for table in sheet.tables:
        for row, heading in enumerate(table.headings, table.heading_row):
            yield row_xml(row, [text_cell(f"A{row}", heading, "heading", "quoted_bold")], 18)
        row = table.label_row
        labels = table.labels or printed
        yield row_xml(row, [value_cell(f"{get_column_letter(i)}{row}", label, TEXT, text_style="label")
                            for i, label in enumerate(labels, 1)], label_height)
        yield from table.body.xml
        if table.empty_row:
            row = table.empty_row
            yield row_xml(row, [text_cell(f"A{row}", spec.empty_text, "cell", "cell_quoted")]
                          + [f'<c r="{get_column_letter(i)}{row}" s="{STYLE["cell"]}"/>'
                             for i in range(2, len(spec.columns) + 1)])
        if table.totals:
            row = table.totals_row
            yield row_xml(row, [value_cell(f"{get_column_letter(i)}{row}", table.totals.get(c.key), c.kind, grid=True)
                                for i, c in enumerate(spec.columns, 1)])


def _footer_text(text: str) -> str:
    return xml_safe(text).replace("&", "&&")


def _configure(ws, sheet: _Sheet, widths: list[float], footer: str | None = None,
               filter_last: int | None = None, breaks: list[int] | None = None, data_ws=None) -> None:
    """Everything openpyxl writes around the rows: widths, panes, print setup, breaks, chart.
    `footer`, `filter_last` (the filter range's last row) and `breaks` replace the sheet's own (a
    template's markers); `data_ws`: the sheet a chart sheet's chart draws from."""
    spec = sheet.spec
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = round(width, 1)
    if sheet.chart_of is not None:
        title_rows = 0
    elif spec.sections:
        title_rows = sheet.top_rows
        if title_rows:
            ws.freeze_panes = f"A{title_rows + 1}"
    else:
        title_rows = sheet.tables[0].label_row
        ws.freeze_panes = f"{get_column_letter(spec.freeze_columns + 1)}{title_rows + 1}"
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.orientation = "landscape" if spec.landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if spec.one_page else 0  # else as many pages down as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.left.text = footer if footer is not None else _footer_text(spec.footer or spec.title)
    ws.oddFooter.right.text = FOOTER_PAGES
    for row in breaks if breaks is not None else sheet.breaks:
        ws.row_breaks.append(Break(id=row))
    if spec.autofilter and not spec.sections:
        table = sheet.tables[0]
        last = filter_last if filter_last is not None else _filter_last(sheet)
        ws.auto_filter.ref = f"A{table.label_row}:{get_column_letter(len(spec.columns))}{last}"
    if spec.print_rows is not None and not spec.sections:
        table = sheet.tables[0]
        last = max(table.label_row, table.first_row + min(spec.print_rows, table.rows) - 1)
        ws.print_area = f"A1:{get_column_letter(len(spec.columns))}{last}"
    if sheet.chart_of is not None and sheet.chart_of.tables[sheet.chart_of.spec.chart.section].rows:
        add_chart(ws, sheet.chart_of, data_ws, anchor="A2" if sheet.top_rows else "A1", size=CHART_SHEET_CM)
    elif spec.chart and spec.chart.placement != OWN_SHEET and sheet.tables[spec.chart.section].rows:
        add_chart(ws, sheet, ws, anchor=f"A{sheet.last_row + 2}", size=CHART_BELOW_CM[spec.landscape])


def _filter_last(sheet: _Sheet) -> int:
    table = sheet.tables[0]
    return max(table.first_row + table.rows - 1, table.label_row)


def _new_workbook(title: str, laid_out: list[_Sheet], created, widths: list[list[float]],
                  footers: list[str] | None = None, filter_rows: list[int] | None = None,
                  breaks: list[list[int]] | None = None):
    """The workbook with its sheets configured and their parts written without rows (openpyxl);
    `footers`, `filter_rows` and `breaks`: a template's markers instead of the sheets' own."""
    wb = new_book()
    wb.properties.creator = "cutoff"
    if title:
        wb.properties.title = xml_safe(title)
    if created is not None:
        stamp = created if created.tzinfo is None else created.astimezone(timezone.utc).replace(tzinfo=None)
        wb.properties.created = wb.properties.modified = stamp
    taken: set[str] = set()
    made: dict[int, object] = {}
    for number, sheet in enumerate(laid_out):
        ws = wb.create_sheet(sheet_title(sheet.spec.title, taken))
        made[id(sheet)] = ws
        if number == 0:
            wb.prepare_styles(ws)
        _configure(ws, sheet, widths[number], footers[number] if footers else None,
                   filter_rows[number] if filter_rows else None, breaks[number] if breaks else None,
                   made.get(id(sheet.chart_of)) if sheet.chart_of is not None else None)
        close_sheet(ws)  # openpyxl writes the sheet's XML with no rows...
    return wb


def _write_book(book: BookSpec, laid_out: list[_Sheet], created) -> None:
    widths = [_widths(sheet) for sheet in laid_out]
    pictures = {number: table_pictures(sheet) for number, sheet in enumerate(laid_out)}
    template = _template(book, laid_out, created)
    if template is not None:
        template.write(book.path, _template_values(book, laid_out, widths),
                       [_rows_xml(sheet, w) for sheet, w in zip(laid_out, widths, strict=True)], pictures)
        return
    wb = _new_workbook(book.title, laid_out, created, widths)
    for ws, sheet, sheet_widths in zip(wb.worksheets, laid_out, widths, strict=True):
        stream_rows(ws, _rows_xml(sheet, sheet_widths))  # ...and the rows go in
    save_book(wb, book.path, pictures)


# ---- books of one shape from a template (sheets/template.py) ----------------------------

USE_TEMPLATES = True      # False: every book by openpyxl itself (the tests compare the two)
TEMPLATE_CACHE = 64       # shapes kept per process (a long-lived `cutoff serve` runs many cutoffs)
_TEMPLATES: dict[tuple, BookTemplate | None] = {}
_WIDTH_MARKER = 9000.5    # + 100 x sheet + column: a width no sheet has
_FILTER_MARKER = 1040000  # + sheet: the last row of a template's filter range
_BREAK_MARKER = 1030000   # + sheet: the one row break of a template's sheet that has breaks


def _shape(book: BookSpec, laid_out: list[_Sheet], created) -> tuple | None:
    """What openpyxl's parts of this book depend on, beyond the template's slots (widths,
    footers, filter rows, title); None: a book the template does not cover (a chart, page breaks,
    text with control characters, too many sheets or columns), written by openpyxl itself."""
    if not USE_TEMPLATES or len(laid_out) > 9 or not plain_text(book.title):
        return None
    sheets = []
    for sheet in laid_out:
        spec = sheet.spec
        if spec.chart or sheet.chart_of is not None or spec.print_rows is not None or len(spec.columns) > 99 \
                or not plain_text(spec.footer or spec.title):
            return None
        sheets.append((spec.title, len(spec.columns), bool(spec.sections), sheet.top_rows,
                       sheet.tables[0].label_row, spec.freeze_columns, spec.landscape, spec.one_page,
                       bool(spec.autofilter and not spec.sections), bool(sheet.breaks)))
    return tuple(sheets), bool(book.title), created


def _template(book: BookSpec, laid_out: list[_Sheet], created) -> BookTemplate | None:
    key = _shape(book, laid_out, created)
    if key is None:
        return None
    if key not in _TEMPLATES:
        if len(_TEMPLATES) >= TEMPLATE_CACHE:
            _TEMPLATES.clear()
        _TEMPLATES[key] = _make_template(book, laid_out, created)
    return _TEMPLATES[key]


def _make_template(book: BookSpec, laid_out: list[_Sheet], created) -> BookTemplate | None:
    markers: dict[Slot, bytes] = {}
    widths = []
    for number, sheet in enumerate(laid_out):
        sheet_widths = [_WIDTH_MARKER + 100 * number + column for column in range(len(sheet.spec.columns))]
        widths.append(sheet_widths)
        for column, width in enumerate(sheet_widths):
            markers[Slot("width", number, column)] = width_attribute(width)
        markers[Slot("footer", number)] = xml_text_ascii(chr(0xE000 + number))
        if sheet.spec.autofilter and not sheet.spec.sections:
            markers[Slot("filter_row", number)] = str(_FILTER_MARKER + number).encode()
        if sheet.breaks:
            markers[Slot("breaks", number)] = breaks_xml([_BREAK_MARKER + number])
    title = chr(0xE100) if book.title else ""
    if title:
        markers[Slot("title")] = xml_text_utf8(title)
    wb = _new_workbook(title, laid_out, created, widths,
                       footers=[chr(0xE000 + number) for number in range(len(laid_out))],
                       filter_rows=[_FILTER_MARKER + number for number in range(len(laid_out))],
                       breaks=[[_BREAK_MARKER + number] if sheet.breaks else [] for number, sheet in
                               enumerate(laid_out)])
    try:
        return BookTemplate(wb, markers)
    except ValueError:  # openpyxl wrote a marker where it was not expected: this shape the long way
        return None


def _template_values(book: BookSpec, laid_out: list[_Sheet], widths: list[list[float]]) -> dict[Slot, bytes]:
    values: dict[Slot, bytes] = {Slot("title"): xml_text_utf8(book.title)}
    for number, sheet in enumerate(laid_out):
        for column, width in enumerate(widths[number]):
            values[Slot("width", number, column)] = width_attribute(width)
        values[Slot("footer", number)] = xml_text_ascii(_footer_text(sheet.spec.footer or sheet.spec.title))
        values[Slot("filter_row", number)] = str(_filter_last(sheet)).encode()
        if sheet.breaks:
            values[Slot("breaks", number)] = breaks_xml(sheet.breaks)
    return values


def write_workbooks(books: list[BookSpec], *, created=None) -> None:
    """Write each workbook to a temporary name and rename it into place. The rows of sheets with
    the same columns are rendered together (one polars query for many small sheets). `created`
    (a datetime) is stored as the files' creation time."""
    laid_out = []
    requests, targets = [], []
    for book in books:
        if not book.sheets:
            raise ValueError(f"{book.path}: a workbook needs at least one sheet")
        sheets = _laid_out_book(book)
        laid_out.append(sheets)
        for sheet in sheets:
            for table in sheet.tables:
                heights = sheet.spec.pictures.height_key if sheet.spec.pictures else None
                requests.append(Request(table.frame, table.first_row, sheet.spec.columns, sheet.spec.block_key,
                                        sheet.spec.mark_key, heights))
                targets.append(table)
    for table, body in zip(targets, render_bodies(requests), strict=True):
        table.body = body
    for book, sheets in zip(books, laid_out, strict=True):
        _write_book(book, sheets, created)


def write_workbook(path: Path, sheets: list[SheetSpec], *, title: str = "", created=None) -> None:
    """Write one workbook of `sheets` at `path` (see write_workbooks)."""
    write_workbooks([BookSpec(path, tuple(sheets), title)], created=created)
