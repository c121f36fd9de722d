"""Cells and rows as SpreadsheetML (the XML of a worksheet's <sheetData>): header, label and
totals rows one by one; data rows a whole column at a time, as polars expressions (openpyxl's
per-cell path is ~15 us a cell, too slow for a million-line run).

Money is a number with the format "¥"#,##0.00, its text made from integer fen (never a float).
Text is formula-safe: every string is an inline string (cell type "s"), never a formula; one that
starts with =, +, -, @, tab or CR also gets Excel's quote prefix, so editing the cell keeps it text.
Characters XML cannot hold are dropped. The style ids are those sheets/package.py registers."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import polars as pl
from openpyxl.utils import get_column_letter

from sheets.spec import DECIMAL, INT, MONEY, PERCENT, TEXT, Column, is_formula_like
from transforms.money import fen_to_yuan_text

MAX_CELL_CHARS = 32_767
RISKY_FIRST_REGEX = r"^[=+\-@\t\r]"
ILLEGAL_XML_REGEX = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"  # polars (Rust) syntax
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
GRID_BASES = ("cell", "cell_center", "cell_money", "cell_quoted", "cell_percent", "cell_decimal",
              "cell_wrap", "cell_quoted_wrap")  # wrap: the text wraps in its column (sheets/spec.py Column.wrap)
# the cells of a table, in a grid (thin lines round each cell): each base plain, _top (the first row
# of a block: a heavier line above), _mark (a marked row: a line a re-issued sheet changed, a line
# to look at: filled) and _top_mark
GRID_VARIANTS = ("", "_top", "_mark", "_top_mark")
STYLE_NAMES = ("title", "heading", "bold", "note", "label", "money", "money_bold", "quoted", "quoted_bold",
               # the totals row, in the grid
               "cell_bold", "cell_money_bold", "cell_quoted_bold",
               # ratios (a percent) and display figures (hours), outside the grid
               "percent", "decimal",
               *(f"{base}{variant}" for variant in GRID_VARIANTS for base in GRID_BASES),
               # a count outside the grid (a header block's figure): 1,435, not 1435
               "count")
ROUNDED = {PERCENT: 4, DECIMAL: 2}  # decimals a ratio or a display figure keeps in its cell
STYLE = {name: number for number, name in enumerate(STYLE_NAMES, 1)}  # cell style ids (0: the default)


def xml_safe(value: str) -> str:
    """Text XML can hold: the control characters and U+FFFE/U+FFFF lxml refuses, taken out (a
    footer's or a title's as a cell's)."""
    return _ILLEGAL_XML.sub("", value)


def _clean_text(value: str) -> str:
    return _ILLEGAL_XML.sub("", value)[:MAX_CELL_CHARS]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def text_cell(ref: str, value: str, style: str | None = None, quoted: str = "quoted") -> str:
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


def value_cell(ref: str, value, kind: str, bold: bool = False, text_style: str | None = None,
               grid: bool = False) -> str:
    """One cell of a header, label or totals row: a string is text, an int takes `kind`. `grid`:
    a cell of a table's totals row (bold, in the grid, drawn even when empty)."""
    prefix = "cell_" if grid else ""
    if value is None:
        return f'<c r="{ref}" s="{STYLE["cell_bold"]}"/>' if grid else ""
    if isinstance(value, str):
        if grid:
            return text_cell(ref, value, "cell_bold", "cell_quoted_bold") or \
                f'<c r="{ref}" s="{STYLE["cell_bold"]}"/>'
        return text_cell(ref, value, text_style or ("bold" if bold else None), "quoted_bold" if bold else "quoted")
    if kind in ROUNDED and isinstance(value, float) and math.isfinite(value):  # a ratio or display figure
        return _number_cell(ref, repr(round(value, ROUNDED[kind])), f"{prefix}{kind}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"cell {ref}: write text or integers (fen for money), not {type(value).__name__}")
    if kind == MONEY:
        return _number_cell(ref, fen_to_yuan_text(value), f"{prefix}money_bold" if bold or grid else "money")
    return _number_cell(ref, str(value), f"{prefix}bold" if bold or grid else "count")


def row_xml(row: int, cells: list[str], height: float | None = None) -> str:
    ht = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{row}"{ht}>{"".join(cells)}</row>'


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


def _typed_expr(column: Column) -> pl.Expr:
    value = pl.col(column.key)
    if column.kind == TEXT:
        return _clean_text_expr(value).alias(column.key)
    if column.kind in ROUNDED:  # a display figure: rounded, and no cell for NaN or infinity
        number = value.cast(pl.Float64).round(ROUNDED[column.kind])
        return pl.when(number.is_finite()).then(number).alias(column.key)
    return value.cast(pl.Int64).alias(column.key)


def _typed_exprs(columns: tuple[Column, ...]) -> list[pl.Expr]:
    """The columns as the cells take them: text cleaned (XML-legal, at most 32767 characters,
    empty as null), counts and fen as Int64, ratios and display figures as rounded floats."""
    return [_typed_expr(c) for c in columns]


def _style(name: str, top: pl.Expr | None, mark: pl.Expr | None = None) -> pl.Expr:
    """The style id of a grid cell, as text: `name`, or its `_top` variant where `top` is true,
    its `_mark` variant where `mark` is true (both: `_top_mark`)."""
    if top is None and mark is None:
        return pl.lit(str(STYLE[name]))
    if mark is None:
        return pl.when(top).then(pl.lit(str(STYLE[f"{name}_top"]))).otherwise(pl.lit(str(STYLE[name])))
    if top is None:
        return pl.when(mark).then(pl.lit(str(STYLE[f"{name}_mark"]))).otherwise(pl.lit(str(STYLE[name])))
    return (pl.when(top & mark).then(pl.lit(str(STYLE[f"{name}_top_mark"])))
            .when(top).then(pl.lit(str(STYLE[f"{name}_top"])))
            .when(mark).then(pl.lit(str(STYLE[f"{name}_mark"])))
            .otherwise(pl.lit(str(STYLE[name]))))


def _cell_expr(index: int, column: Column, row: pl.Expr, top: pl.Expr | None = None,
               mark: pl.Expr | None = None) -> pl.Expr:
    """The XML of one column's cells, in the grid (an empty cell keeps its lines)."""
    ref = pl.concat_str([pl.lit(f'<c r="{get_column_letter(index)}'), row])
    value = pl.col(column.key)
    base = "cell_money" if column.kind == MONEY else f"cell_{column.kind}" if column.kind in ROUNDED \
        else "cell_center" if column.center else "cell_wrap" if column.wrap else "cell"
    style = _style(base, top, mark)
    if column.kind == TEXT:
        quoted = "cell_quoted_wrap" if column.wrap else "cell_quoted"
        style = pl.when(value.str.contains(RISKY_FIRST_REGEX).fill_null(False)) \
            .then(_style(quoted, top, mark)).otherwise(style)
        space = pl.when(value.str.strip_chars() != value).then(pl.lit(' xml:space="preserve"'))
        xml = pl.concat_str([ref, pl.lit('" s="'), style, pl.lit('" t="inlineStr"><is><t'),
                             space.otherwise(pl.lit("")), pl.lit(">"), _escape_expr(value),
                             pl.lit("</t></is></c>")])
    elif column.kind == INT:
        xml = pl.concat_str([ref, pl.lit('" s="'), style, pl.lit('"><v>'), value.cast(pl.String), pl.lit("</v></c>")])
    elif column.kind in ROUNDED:
        xml = pl.concat_str([ref, pl.lit('" s="'), style, pl.lit('"><v>'), value.cast(pl.String), pl.lit("</v></c>")])
    else:
        xml = pl.concat_str([ref, pl.lit('" s="'), style, pl.lit('"><v>'), yuan_expr(value), pl.lit("</v></c>")])
    empty = pl.concat_str([ref, pl.lit('" s="'), _style(base, top, mark), pl.lit('"/>')])
    return xml.fill_null(empty)


def text_width_expr(text: pl.Expr) -> pl.Expr:
    """Columns a text takes: CJK (3 bytes in UTF-8) counts two, ASCII one."""
    return (text.str.len_bytes() + text.str.len_chars()) / 2


def _width_expr(column: Column) -> pl.Expr:
    value = pl.col(column.key)
    if column.kind == TEXT:
        width = text_width_expr(value)
    elif column.kind == INT:
        digits = value.cast(pl.String).str.len_chars()
        width = digits + (digits - 1) // 3  # the thousands separators of "#,##0"
    elif column.kind in ROUNDED:
        width = value.cast(pl.String).str.len_chars() + 1
    else:  # "¥1,234.56": the yuan's digits, their separators, the cents, ¥ and a minus
        digits = (value.abs() // 100).cast(pl.String).str.len_chars()
        width = digits + (digits - 1) // 3 + 4 + (value < 0).cast(pl.Int64)
    return width.max().fill_null(0).cast(pl.Float64)


def wrapped_lines(text: pl.Expr, width: float) -> pl.Expr:
    """Lines a text takes wrapped in a column `width` wide (an estimate on the safe side: a CJK
    character counts two, as wide as it prints in Excel, a line holds width - 1; LibreOffice prints
    CJK narrower and fits more). A text of several lines (`\n`) takes each line's own count: the
    whole text's width over the column, plus its breaks, counted a short line twice (a progress
    row of `L-20261121-0024` over its item took 3 lines' height for 2)."""
    per_line = max(1.0, width - 1)
    each = text_width_expr(pl.element()) / per_line
    return (text.str.split("\n").list.eval(each.ceil().clip(lower_bound=1)).list.sum()
            .fill_null(1).clip(lower_bound=1).cast(pl.Int64))


def row_height_expr(columns: tuple[Column, ...]) -> pl.Expr | None:
    """A row's height where a wrapping column's text takes more than one line (None: no column wraps)."""
    lines = [wrapped_lines(pl.col(c.key), c.width) for c in columns if c.wrap and c.kind == TEXT]
    return pl.max_horizontal(lines) if lines else None


RENDER_ROWS = 200_000  # rows rendered in one query (bounds the memory the XML takes)
ROW_POINTS = 15  # a line of 11 pt text: the row height openpyxl, Excel and LibreOffice give a row


@functools.lru_cache(maxsize=256)
def _group_exprs(signature: tuple[tuple[str, str, bool, float], ...], block_key: str | None,
                 mark_key: str | None = None, height_key: str | None = None) -> tuple[list, list]:
    """The expressions of a group's query, made once per (columns as rendered, block key, mark
    key, height key): a run renders thousands of groups of a few shapes. -> (typed columns and the
    row number, aggregates). A column's width is part of its signature only when it wraps (0
    otherwise). `height_key`: a text column, a row's least height in points where set (a row with
    a picture); a row whose wrapping text takes more lines gets the taller of the two."""
    columns = tuple(Column(key, key, kind, width=wrap or 6.0, center=center, wrap=bool(wrap))
                    for key, kind, center, wrap in signature)
    row = (pl.col("_first") + pl.int_range(pl.len()).over("_table")).cast(pl.String)
    top = pl.col(block_key).fill_null(False) if block_key else None
    mark = pl.col(mark_key).fill_null(False) if mark_key else None
    cells = [_cell_expr(i, c, pl.col("_row"), top, mark) for i, c in enumerate(columns, 1)]
    lines = row_height_expr(columns)
    heights = [] if lines is None else [pl.when(lines > 1).then(lines * ROW_POINTS).cast(pl.Float64)]
    if height_key is not None:
        heights.append(pl.col(height_key).cast(pl.Float64))
    if heights:
        points = pl.max_horizontal(heights) if len(heights) > 1 else heights[0]
        height = pl.when(points.is_not_null()).then(
            pl.concat_str([pl.lit(' ht="'), points.round(2).cast(pl.String), pl.lit('" customHeight="1"')])) \
            .otherwise(pl.lit(""))
    else:
        height = pl.lit("")
    xml = pl.concat_str([pl.lit('<row r="'), pl.col("_row"), pl.lit('"'), height, pl.lit(">"), *cells,
                         pl.lit("</row>")])
    typed = [*_typed_exprs(columns), row.alias("_row")]
    aggregates = [xml.str.join("").alias("_xml"), pl.len().alias("_rows"),
                  *[_width_expr(c).alias(f"_w{i}") for i, c in enumerate(columns)]]
    return typed, aggregates


def _signature(columns: tuple[Column, ...]) -> tuple[tuple[str, str, bool, float], ...]:
    """How the columns' cells render (keys, kinds, centring, the width a wrapping column wraps at):
    not their labels or widths."""
    return tuple((c.key, c.kind, c.center, float(c.width) if c.wrap and c.kind == TEXT else 0.0) for c in columns)


def _render_group(frames: list[pl.DataFrame], first_rows: list[int], columns: tuple[Column, ...],
                  block_key: str | None = None, mark_key: str | None = None,
                  height_key: str | None = None) -> list[Body]:
    """The bodies of several tables with the same columns, in one polars query. `block_key`: a
    boolean column, true on the first row of a block (drawn with a heavier line above);
    `mark_key`: a boolean column, true on a marked row (filled); `height_key`: a text column of
    least row heights (points; a row with a picture)."""
    extra = [k for k in (block_key, mark_key, height_key) if k and k not in (c.key for c in columns)]
    keys = [c.key for c in columns] + list(dict.fromkeys(extra))
    missing = sorted({k for f in frames for k in keys if k not in f.columns})
    if missing:
        raise KeyError(f"the frame has no column(s) {missing} for this sheet")
    heights = [f.height for f in frames]
    stacked = pl.concat([pl.DataFrame([f.get_column(k) for k in keys]) for f in frames],
                        how="vertical_relaxed").with_columns(
        pl.Series("_table", np.repeat(np.arange(len(frames), dtype=np.int64), heights)),
        pl.Series("_first", np.repeat(np.asarray(first_rows, dtype=np.int64), heights)))
    typed, aggregates = _group_exprs(_signature(columns), block_key, mark_key, height_key)
    out = stacked.lazy().with_columns(*typed).group_by("_table", maintain_order=True).agg(*aggregates).collect()
    bodies: dict[int, Body] = {}
    for table, text, rows, *widths in out.iter_rows():
        bodies[table] = Body((text,), rows, tuple(widths))
    empty = Body((), 0, (0.0,) * len(columns))
    return [bodies.get(i, empty) for i in range(len(frames))]


@dataclass(frozen=True)
class Request:
    """A table to render: its frame, the sheet row of its first data row, its columns, and the
    frame's boolean columns that start a block (`block_key`) or mark a row (`mark_key`), and its
    text column of least row heights (`height_key`)."""

    frame: pl.DataFrame
    first_row: int
    columns: tuple[Column, ...]
    block_key: str | None = None
    mark_key: str | None = None
    height_key: str | None = None  # a text column of least row heights in points (rows with a picture)


def render_bodies(requests: list[Request]) -> list[Body]:
    """Render tables: those whose cells render alike together, a few hundred thousand rows per
    query; a longer table in slices."""
    bodies: list[Body | None] = [None] * len(requests)
    by_columns: dict[tuple, list[tuple[int, Request]]] = {}
    for number, request in enumerate(requests):
        frame, first_row, columns = request.frame, request.first_row, request.columns
        if frame.height > RENDER_ROWS:
            pieces = [_render_group([frame.slice(o, RENDER_ROWS)], [first_row + o], columns, request.block_key,
                                    request.mark_key, request.height_key)[0]
                      for o in range(0, frame.height, RENDER_ROWS)]
            bodies[number] = Body(tuple(x for p in pieces for x in p.xml), frame.height,
                                  tuple(max(w) for w in zip(*(p.widths for p in pieces), strict=True)))
        else:
            # tables whose cells render alike (keys, kinds, centring, wrapping: not labels or widths) go together
            signature = (_signature(columns), request.block_key, request.mark_key, request.height_key)
            by_columns.setdefault(signature, []).append((number, request))
    for (_, block_key, mark_key, height_key), tables in by_columns.items():
        columns = tables[0][1].columns
        batch: list[tuple[int, Request]] = []
        rows = 0
        for index, table in enumerate(tables):
            batch.append(table)
            rows += table[1].frame.height
            if rows >= RENDER_ROWS or index == len(tables) - 1:
                rendered = _render_group([r.frame for _, r in batch], [r.first_row for _, r in batch], columns,
                                         block_key, mark_key, height_key)
                for (number, _), body in zip(batch, rendered, strict=True):
                    bodies[number] = body
                batch, rows = [], 0
    return bodies
