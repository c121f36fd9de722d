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

How: openpyxl makes the workbook (styles, sheet views, column widths, page setup, print titles,
footer, page breaks, charts, the zip package). The cell rows are rendered into SpreadsheetML by
polars expressions, a whole column at a time, and streamed into the worksheet part that openpyxl
wrote; openpyxl's per-cell Python path is ~15 us a cell, too slow for a million-line run. See
docs/sheets.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timezone
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

import numpy as np
import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.packaging.extended import ExtendedProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyleList
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.styles.table import TableStyleList
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter
from openpyxl.writer.theme import theme_xml
from openpyxl.xml.constants import (ARC_APP, ARC_CORE, ARC_ROOT_RELS, ARC_STYLE, ARC_THEME, ARC_WORKBOOK,
                                    ARC_WORKBOOK_RELS)
from openpyxl.xml.functions import tostring

from schemas.columns import ID_PATTERN
from transforms.money import fen_to_yuan_text

TEXT, INT, MONEY = "text", "int", "money"
KINDS = (TEXT, INT, MONEY)
MONEY_FORMAT = '"¥"#,##0.00'
PAPER_A4 = 9
FOOTER_PAGES = "&P / &N"
MAX_CELL_CHARS = 32_767
RISKY_FIRST = frozenset("=+-@\t\r")
RISKY_FIRST_REGEX = r"^[=+\-@\t\r]"
ILLEGAL_XML_REGEX = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"  # polars (Rust) syntax
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID = re.compile(ID_PATTERN)
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
ZIP_LEVEL = 1  # deflate level 1: ~3x faster than the default 6, files ~25% larger
ROW_HEIGHT = 15.0


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the frame column `key`, its printed `label` (may hold newlines),
    its `kind` (text, int or money: integer fen shown as ¥ with two decimals) and its width in
    characters: at least `width`, grown to fit the longest value, at most `max_width`."""

    key: str
    label: str
    kind: str = TEXT
    width: float = 6.0
    max_width: float = 48.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind must be one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Section:
    """A block of a sectioned sheet: heading lines, the label row, the rows, a totals row."""

    frame: pl.DataFrame
    heading: tuple[str, ...] = ()
    totals: dict | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of `value_key` by `category_key` over the sheet's rows, right of the table."""

    title: str
    category_key: str
    value_key: str
    y_title: str = ""


@dataclass(frozen=True)
class SheetSpec:
    """A sheet: `columns` rendered over `frame` (or over each of `sections`).

    `header` rows are (label, value) pairs under the `title_line`; `highlights` are large bold
    lines and `notes` red bold lines under them; `totals` maps column keys to the totals row's
    values (a string is printed as text, an int in the column's kind). `freeze_columns` keeps
    that many left columns in view; `footer` is the left footer (default: the title)."""

    title: str
    columns: tuple[Column, ...]
    frame: pl.DataFrame | None = None
    title_line: str = ""
    header: tuple[tuple[str, object], ...] = ()
    highlights: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    totals: dict | None = None
    sections: tuple[Section, ...] = ()
    landscape: bool = False
    freeze_columns: int = 0
    chart: ChartSpec | None = None
    footer: str = ""


# ---------------------------------------------------------------------------------- helpers

def po_number(calendar: str, cutoff_date: date | str, supplier_id: str) -> str:
    """`PO-<calendar>-<date>-<supplier_id>`, e.g. PO-nightly-2026-11-21-S1."""
    day = cutoff_date.isoformat() if isinstance(cutoff_date, date) else str(cutoff_date)
    return f"PO-{calendar}-{day}-{supplier_id}"


def yuan_text(fen: int) -> str:
    """12345678 fen -> '¥123,456.78', from integers only (for text such as notes)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def workbook_path(out_dir: Path, folder: str, file_id: str) -> Path:
    """`out_dir/folder/<file_id>.xlsx` for a validated id; anything else is refused, so no input
    text can choose where a file goes."""
    if not isinstance(file_id, str) or not _ID.fullmatch(file_id):
        raise ValueError(f"refusing to name a workbook after {file_id!r}: ids match {ID_PATTERN}")
    return out_dir / folder / f"{file_id}.xlsx"


def is_formula_like(text: str) -> bool:
    """Text that Excel (or a CSV export of the sheet) could take for a formula."""
    return bool(text) and text[0] in RISKY_FIRST


def display_width(text: str) -> float:
    """Columns a string takes: CJK and other wide characters count two."""
    return sum(2 if ord(ch) > 0x7FF else 1 for ch in text)


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_TITLE_BAD.sub("_", title).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


# ---------------------------------------------------------------------------------- styles

STYLE_NAMES = ("title", "heading", "bold", "note", "label", "money", "money_bold", "quoted", "quoted_bold")
STYLE = {name: number for number, name in enumerate(STYLE_NAMES, 1)}  # cell style ids (0: the default)


def _register_styles(ws) -> None:
    """Register the cell styles in the workbook, in STYLE order, so their ids are known before
    any row is rendered (rows of many workbooks are rendered together)."""
    bold, thin = Font(bold=True), Side(style="thin", color="808080")
    attributes = {
        "title": dict(font=Font(bold=True, size=14)),
        "heading": dict(font=Font(bold=True, size=12)),
        "bold": dict(font=bold),
        "note": dict(font=Font(bold=True, color="C00000")),
        "label": dict(font=bold, fill=PatternFill("solid", fgColor="D9D9D9"),
                      border=Border(left=thin, right=thin, top=thin, bottom=thin),
                      alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)),
        "money": dict(number_format=MONEY_FORMAT),
        "money_bold": dict(number_format=MONEY_FORMAT, font=bold),
        "quoted": dict(quotePrefix=True),
        "quoted_bold": dict(quotePrefix=True, font=bold),
    }
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


# ------------------------------------------------------------------------- cells, one by one

def _clean_text(value: str) -> str:
    return _ILLEGAL_XML.sub("", value)[:MAX_CELL_CHARS]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _text_cell(ref: str, value: str, style: str | None = None, quoted: str = "quoted") -> str:
    text = _clean_text(value)
    if not text:
        return ""
    if is_formula_like(text):
        style = quoted
    s = f' s="{STYLE[style]}"' if style else ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{_escape(text)}</t></is></c>'


def _number_cell(ref: str, number: str, style: str | None) -> str:
    s = f' s="{STYLE[style]}"' if style else ""
    return f'<c r="{ref}"{s}><v>{number}</v></c>'


def _value_cell(ref: str, value, kind: str, bold: bool = False, text_style: str | None = None) -> str:
    """One cell of a header, label or totals row: a string is text, an int takes `kind`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text_cell(ref, value, text_style or ("bold" if bold else None), "quoted_bold" if bold else "quoted")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"cell {ref}: write text or integers (fen for money), not {type(value).__name__}")
    if kind == MONEY:
        return _number_cell(ref, fen_to_yuan_text(value), "money_bold" if bold else "money")
    return _number_cell(ref, str(value), "bold" if bold else None)


def _row(row: int, cells: list[str], height: float | None = None) -> str:
    ht = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{row}"{ht}>{"".join(cells)}</row>'


# ------------------------------------------------------------------- cells, a column at a time

@dataclass(frozen=True)
class Body:
    """Data rows rendered to SpreadsheetML: the XML (in pieces), the number of rows, and the
    display width of each column's widest value."""

    xml: tuple[str, ...]
    rows: int
    widths: tuple[float, ...]


def _clean_text_expr(column: pl.Expr) -> pl.Expr:
    text = column.cast(pl.String)
    text = pl.when(text.str.contains(ILLEGAL_XML_REGEX)).then(text.str.replace_all(ILLEGAL_XML_REGEX, "")) \
        .otherwise(text).str.slice(0, MAX_CELL_CHARS)
    return pl.when(text == "").then(None).otherwise(text)


def _escape_expr(text: pl.Expr) -> pl.Expr:
    escaped = (text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
               .str.replace_all(">", "&gt;", literal=True).str.replace_all("\r", "&#13;", literal=True))
    return pl.when(text.str.contains(r"[&<>\r]")).then(escaped).otherwise(text)  # most text needs none


def yuan_expr(fen: pl.Expr) -> pl.Expr:
    """Integer fen -> '1234.56' (a number's text for the cell), integer arithmetic only."""
    whole = fen.abs()
    return pl.concat_str([pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit("")),
                          (whole // 100).cast(pl.String), pl.lit("."),
                          (whole % 100).cast(pl.String).str.zfill(2)])


def _typed_exprs(columns: tuple[Column, ...]) -> list[pl.Expr]:
    """The columns as the cells take them: text cleaned (XML-legal, at most 32767 characters,
    empty as null), counts and fen as Int64."""
    return [_clean_text_expr(pl.col(c.key)).alias(c.key) if c.kind == TEXT
            else pl.col(c.key).cast(pl.Int64).alias(c.key) for c in columns]


def _cell_expr(index: int, column: Column, row: pl.Expr) -> pl.Expr:
    """The XML of one column's cells (empty where the value is null)."""
    ref = pl.concat_str([pl.lit(f'<c r="{get_column_letter(index)}'), row])
    value = pl.col(column.key)
    if column.kind == TEXT:
        quoted = pl.when(value.str.contains(RISKY_FIRST_REGEX)).then(pl.lit(f'" s="{STYLE["quoted"]}'))
        space = pl.when(value.str.strip_chars() != value).then(pl.lit(' xml:space="preserve"'))
        xml = pl.concat_str([ref, quoted.otherwise(pl.lit("")), pl.lit('" t="inlineStr"><is><t'),
                             space.otherwise(pl.lit("")), pl.lit(">"), _escape_expr(value),
                             pl.lit("</t></is></c>")])
    elif column.kind == INT:
        xml = pl.concat_str([ref, pl.lit('"><v>'), value.cast(pl.String), pl.lit("</v></c>")])
    else:
        xml = pl.concat_str([ref, pl.lit(f'" s="{STYLE["money"]}"><v>'), yuan_expr(value), pl.lit("</v></c>")])
    return xml.fill_null("")


def _width_expr(column: Column) -> pl.Expr:
    value = pl.col(column.key)
    if column.kind == TEXT:
        width = (value.str.len_bytes() + value.str.len_chars()) / 2  # CJK: 3 bytes -> 2 columns
    elif column.kind == INT:
        width = value.cast(pl.String).str.len_chars()
    else:
        width = yuan_expr(value).str.len_chars() * 4 / 3 + 1  # with ¥ and thousands separators
    return width.max().fill_null(0).cast(pl.Float64)


RENDER_ROWS = 200_000  # rows rendered in one query (bounds the memory the XML takes)


def _render_group(frames: list[pl.DataFrame], first_rows: list[int], columns: tuple[Column, ...]) -> list[Body]:
    """The bodies of several tables with the same columns, in one polars query."""
    keys = [c.key for c in columns]
    missing = sorted({k for f in frames for k in keys if k not in f.columns})
    if missing:
        raise KeyError(f"the frame has no column(s) {missing} for this sheet")
    heights = [f.height for f in frames]
    stacked = pl.concat([pl.DataFrame([f.get_column(k) for k in keys]) for f in frames],
                        how="vertical_relaxed").with_columns(
        pl.Series("_table", np.repeat(np.arange(len(frames), dtype=np.int64), heights)),
        pl.Series("_first", np.repeat(np.asarray(first_rows, dtype=np.int64), heights)))
    row = (pl.col("_first") + pl.int_range(pl.len()).over("_table")).cast(pl.String)
    cells = [_cell_expr(i, c, pl.col("_row")) for i, c in enumerate(columns, 1)]
    xml = pl.concat_str([pl.lit('<row r="'), pl.col("_row"), pl.lit('">'), *cells, pl.lit("</row>")])
    out = (
        stacked.lazy().with_columns(*_typed_exprs(columns), row.alias("_row"))
        .group_by("_table", maintain_order=True)
        .agg(xml.str.join("").alias("_xml"), pl.len().alias("_rows"),
             *[_width_expr(c).alias(f"_w{i}") for i, c in enumerate(columns)])
        .collect()
    )
    bodies: dict[int, Body] = {}
    for table, text, rows, *widths in out.iter_rows():
        bodies[table] = Body((text,), rows, tuple(widths))
    empty = Body((), 0, (0.0,) * len(columns))
    return [bodies.get(i, empty) for i in range(len(frames))]


def render_bodies(requests: list[tuple[pl.DataFrame, int, tuple[Column, ...]]]) -> list[Body]:
    """Render (frame, first row, columns) tables: those with the same columns together, a few
    hundred thousand rows per query; a longer table in slices."""
    bodies: list[Body | None] = [None] * len(requests)
    by_columns: dict[tuple[Column, ...], list[tuple[int, pl.DataFrame, int]]] = {}
    for number, (frame, first_row, columns) in enumerate(requests):
        if frame.height > RENDER_ROWS:
            pieces = [_render_group([frame.slice(o, RENDER_ROWS)], [first_row + o], columns)[0]
                      for o in range(0, frame.height, RENDER_ROWS)]
            bodies[number] = Body(tuple(x for p in pieces for x in p.xml), frame.height,
                                  tuple(max(w) for w in zip(*(p.widths for p in pieces))))
        else:
            by_columns.setdefault(columns, []).append((number, frame, first_row))
    for columns, tables in by_columns.items():
        batch: list[tuple[int, pl.DataFrame, int]] = []
        rows = 0
        for index, table in enumerate(tables):
            batch.append(table)
            rows += table[1].height
            if rows >= RENDER_ROWS or index == len(tables) - 1:
                rendered = _render_group([f for _, f, _ in batch], [r for _, _, r in batch], columns)
                for (number, _, _), body in zip(batch, rendered):
                    bodies[number] = body
                batch, rows = [], 0
    return bodies


def _label_lines(label: str, width: float) -> int:
    return sum(max(1, -(-int(display_width(line)) // max(1, int(width) - 1))) for line in label.split("\n"))


# ----------------------------------------------------------------------------------- layout

@dataclass
class _Table:
    headings: tuple[str, ...]
    frame: pl.DataFrame
    totals: dict | None
    heading_row: int = 0
    label_row: int = 0
    first_row: int = 0   # of the data rows
    rows: int = 0
    totals_row: int = 0
    body: Body | None = None


@dataclass
class _Sheet:
    """One sheet laid out: where each table's rows go."""

    spec: SheetSpec
    tables: list[_Table]
    top_rows: int = 0    # title, header, highlights, notes and the blank row under them
    last_row: int = 0

    @property
    def breaks(self) -> list[int]:
        return [t.heading_row - 1 for t in self.tables[1:]]  # each section starts a printed page


def _lay_out(spec: SheetSpec) -> _Sheet:
    if spec.sections:
        tables = [_Table(s.heading, s.frame, s.totals) for s in spec.sections]
    else:
        frame = spec.frame if spec.frame is not None else pl.DataFrame(schema={c.key: pl.String for c in spec.columns})
        tables = [_Table((), frame, spec.totals)]
    top = (1 if spec.title_line else 0) + len(spec.header) + len(spec.highlights) + len(spec.notes)
    row = top + 2 if top else 1  # a blank row under the header block
    sheet = _Sheet(spec, tables, top_rows=row - 1)
    for table in tables:
        table.heading_row = row
        table.label_row = row + len(table.headings)
        table.first_row = table.label_row + 1
        table.rows = table.frame.height
        table.totals_row = table.first_row + table.rows if table.totals else 0
        row = table.first_row + table.rows + (1 if table.totals else 0)
    sheet.last_row = row - 1
    return sheet


def _widths(sheet: _Sheet) -> list[float]:
    spec = sheet.spec
    widths = [max(c.width, max((display_width(line) for line in c.label.split("\n")), default=0) + 2)
              for c in spec.columns]
    for table in sheet.tables:
        widths = [max(w, d + 2) for w, d in zip(widths, table.body.widths)]
    if spec.header and widths:  # the header block's labels sit in column A
        widths[0] = max(widths[0], max(display_width(str(label)) for label, _ in spec.header) + 2)
    return [min(w, max(c.max_width, c.width)) for w, c in zip(widths, spec.columns)]


def _rows_xml(sheet: _Sheet, widths: list[float]):
    """Every row of the sheet as XML, in order."""
    spec, row = sheet.spec, 1
    if spec.title_line:
        yield _row(row, [_text_cell(f"A{row}", spec.title_line, "title", "quoted_bold")], 22)
        row += 1
    for label, value in spec.header:
        yield _row(row, [_value_cell(f"A{row}", label, TEXT, bold=True), _value_cell(f"B{row}", value, INT)])
        row += 1
    for text in spec.highlights:
        yield _row(row, [_text_cell(f"A{row}", text, "heading", "quoted_bold")], 20)
        row += 1
    for note in spec.notes:
        yield _row(row, [_text_cell(f"A{row}", note, "note", "quoted_bold")])
        row += 1
    lines = max((_label_lines(c.label, w) for c, w in zip(spec.columns, widths)), default=1)
    label_height = ROW_HEIGHT * min(lines, 8) + 3 if lines > 1 else None
    for table in sheet.tables:
        for row, heading in enumerate(table.headings, table.heading_row):
            yield _row(row, [_text_cell(f"A{row}", heading, "heading", "quoted_bold")], 18)
        row = table.label_row
        yield _row(row, [_value_cell(f"{get_column_letter(i)}{row}", c.label, TEXT, text_style="label")
                         for i, c in enumerate(spec.columns, 1)], label_height)
        yield from table.body.xml
        if table.totals:
            row = table.totals_row
            yield _row(row, [_value_cell(f"{get_column_letter(i)}{row}", table.totals.get(c.key), c.kind, bold=True)
                             for i, c in enumerate(spec.columns, 1)])


def _footer_text(text: str) -> str:
    return text.replace("&", "&&")


def _configure(ws, sheet: _Sheet, widths: list[float]) -> None:
    """Everything openpyxl writes around the rows: widths, panes, print setup, breaks, chart."""
    spec = sheet.spec
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = round(width, 1)
    if spec.sections:
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
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.left.text = _footer_text(spec.footer or spec.title)
    ws.oddFooter.right.text = FOOTER_PAGES
    for row in sheet.breaks:
        ws.row_breaks.append(Break(id=row))
    if spec.chart and sheet.tables[0].rows:
        _add_chart(ws, sheet)


def _add_chart(ws, sheet: _Sheet) -> None:
    spec, table = sheet.spec, sheet.tables[0]
    keys = [c.key for c in spec.columns]
    last = table.first_row + table.rows - 1
    chart = BarChart()
    chart.type = "col"
    chart.title = spec.chart.title
    chart.legend = None
    chart.y_axis.title = spec.chart.y_title or None
    chart.y_axis.numFmt = "#,##0"
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides axes unless told
    chart.add_data(Reference(ws, min_col=keys.index(spec.chart.value_key) + 1, min_row=table.label_row,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=keys.index(spec.chart.category_key) + 1, min_row=table.first_row,
                                   max_row=last))
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, f"{get_column_letter(len(keys) + 2)}{table.label_row}")


def _stream_rows(ws, rows) -> None:
    """Put the rows into the worksheet part openpyxl wrote (with an empty <sheetData>)."""
    path = ws._writer.out
    with open(path, "rb") as handle:
        written = handle.read()
    for empty in (b"<sheetData></sheetData>", b"<sheetData/>", b"<sheetData />"):
        head, found, tail = written.partition(empty)
        if found:
            break
    else:
        raise RuntimeError("openpyxl wrote no empty <sheetData>: this writer is made for openpyxl 3.1")
    if head.startswith(b"<?xml") and b"utf-8" not in head[:60].lower():
        raise RuntimeError("openpyxl wrote the sheet in an encoding other than UTF-8")
    with open(path, "wb") as handle:
        handle.write(head + b"<sheetData>")
        for xml in rows:
            handle.write(xml.encode("utf-8"))
        handle.write(b"</sheetData>" + tail)


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
               tuple((ws.title, ws.sheet_state, ws.print_titles, ws.print_area) for ws in wb._sheets))
        if key not in _SHARED_PARTS:
            workbook = WorkbookWriter(wb)
            _SHARED_PARTS[key] = (workbook.write_root_rels(), workbook.write(), workbook.write_rels())
        for name, data in zip((ARC_ROOT_RELS, ARC_WORKBOOK, ARC_WORKBOOK_RELS), _SHARED_PARTS[key]):
            archive.writestr(name, data)
        self.manifest.append(wb)
        key = ("manifest", tuple(archive.namelist()),
               tuple((o.PartName, o.ContentType) for o in self.manifest.Override))
        if key not in _SHARED_PARTS:
            self.manifest._register_mimetypes(filenames=archive.namelist())
            _SHARED_PARTS[key] = tostring(self.manifest.to_tree())
        archive.writestr(self.manifest.path, _SHARED_PARTS[key])


def _save(wb: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with ZipFile(temporary, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL) as archive:
            _PackageWriter(wb, archive).save()
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class BookSpec:
    """A workbook: where it goes, its sheets, and the title stored in its properties."""

    path: Path
    sheets: tuple[SheetSpec, ...]
    title: str = ""


def _write_book(book: BookSpec, laid_out: list[_Sheet], created) -> None:
    wb = _Book()
    wb.properties.creator = "cutoff"
    if book.title:
        wb.properties.title = book.title
    if created is not None:
        stamp = created if created.tzinfo is None else created.astimezone(timezone.utc).replace(tzinfo=None)
        wb.properties.created = wb.properties.modified = stamp
    taken: set[str] = set()
    for number, sheet in enumerate(laid_out):
        ws = wb.create_sheet(_sheet_title(sheet.spec.title, taken))
        if number == 0:
            wb.prepare_styles(ws)
        widths = _widths(sheet)
        _configure(ws, sheet, widths)
        ws.close()  # openpyxl writes the sheet's XML with no rows...
        _stream_rows(ws, _rows_xml(sheet, widths))  # ...and the rows go in
    _save(wb, book.path)


def write_workbooks(books: list[BookSpec], *, created=None) -> None:
    """Write each workbook to a temporary name and rename it into place. The rows of sheets with
    the same columns are rendered together (one polars query for many small sheets). `created`
    (a datetime) is stored as the files' creation time."""
    laid_out = []
    requests, targets = [], []
    for book in books:
        if not book.sheets:
            raise ValueError(f"{book.path}: a workbook needs at least one sheet")
        sheets = [_lay_out(spec) for spec in book.sheets]
        laid_out.append(sheets)
        for sheet in sheets:
            for table in sheet.tables:
                requests.append((table.frame, table.first_row, sheet.spec.columns))
                targets.append(table)
    for table, body in zip(targets, render_bodies(requests)):
        table.body = body
    for book, sheets in zip(books, laid_out):
        _write_book(book, sheets, created)


def write_workbook(path: Path, sheets: list[SheetSpec], *, title: str = "", created=None) -> None:
    """Write one workbook of `sheets` at `path` (see write_workbooks)."""
    write_workbooks([BookSpec(path, tuple(sheets), title)], created=created)
