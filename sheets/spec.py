"""What a workbook is made of, declared: a sheet is a frame plus its columns (label, kind, width),
sections, header rows, notes, totals, a chart; a book is where it goes and its sheets. The writer
(sheets/writer.py) renders any spec the same way, so a new sheet is a spec, not a copy of code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from schemas.columns import ID_PATTERN
from transforms.money import fen_to_yuan_display

TEXT, INT, MONEY = "text", "int", "money"
PERCENT, DECIMAL = "percent", "decimal"  # display ratios and hours (floats: never money)
KINDS = (TEXT, INT, MONEY, PERCENT, DECIMAL)
MONEY_FORMAT = '"¥"#,##0.00'
PERCENT_FORMAT = "0.0%"
DECIMAL_FORMAT = "#,##0.00"
RISKY_FIRST = frozenset("=+-@\t\r")
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the frame column `key`, its printed `label` (may hold newlines),
    its `kind` (text, int or money: integer fen shown as ¥ with two decimals; percent or decimal:
    a display ratio or figure such as hours, a float rounded for the cell) and its width in
    characters: at least `width`, grown to fit the longest value, at most `max_width`. A `wrap`
    column (text) is at most `width` wide and its text wraps: the row grows a line per line of text
    (a long product name on a sheet that must print at a readable size)."""

    key: str
    label: str
    kind: str = TEXT
    width: float = 6.0
    max_width: float = 48.0
    center: bool = False  # centred cells (a number next to text, e.g. the handout's 序号)
    wrap: bool = False    # text wraps at `width` (the row grows), rather than the column growing

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind must be one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Section:
    """A block of a sectioned sheet: heading lines, the label row, the rows, a totals row."""

    frame: pl.DataFrame
    heading: tuple[str, ...] = ()
    totals: dict | None = None
    labels: tuple[str, ...] | None = None  # this section's label row, if not the sheet's column labels


BELOW, OWN_SHEET = "below", "sheet"


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of `value_key` by `category_key` over the rows of the sheet's table (or of its
    `section`): below the table (`placement` BELOW, for a short table: the chart is as wide as the
    printed page, so it never shrinks the table), or on a sheet of its own right after it
    (OWN_SHEET, named `sheet_title`: a landscape page of its own, for a table that runs over pages).
    `kind="line"` draws lines instead, one per column of `value_key` and `more_keys` (history and
    forecast by date, say)."""

    title: str
    category_key: str
    value_key: str
    y_title: str = ""
    number_format: str = "#,##0"  # of the value axis
    max_rows: int | None = None   # chart only the first rows (a sheet sorted worst first: the worst)
    section: int = 0  # the section whose rows it draws (a sectioned sheet)
    kind: str = "bar"  # or "line"
    more_keys: tuple[str, ...] = ()  # further series (columns) of a line chart
    placement: str = BELOW
    sheet_title: str = ""  # OWN_SHEET: the chart's sheet name (default: the chart's title)

    def __post_init__(self):
        if self.placement not in (BELOW, OWN_SHEET):
            raise ValueError(f"chart placement must be {BELOW!r} or {OWN_SHEET!r}, not {self.placement!r}")


@dataclass(frozen=True)
class Pictures:
    """A picture on some rows of a sheet's table (the handout list's QR codes): `key` a binary
    column of PNG files (null: no picture on that row), placed in the column `column` (a key),
    `side` points square, `height_key` a text column of row heights in points (null: the
    default) so each picture has room (sheets/drawings.py)."""

    key: str
    column: str
    side: float
    height_key: str | None = None


@dataclass(frozen=True)
class SheetSpec:
    """A sheet: `columns` rendered over `frame` (or over each of `sections`).

    `header` rows are (label, value) pairs under the `title_line`; `highlights` are large bold
    lines and `notes` red bold lines under them; `totals` maps column keys to the totals row's
    values (a string is printed as text, an int in the column's kind). `freeze_columns` keeps
    that many left columns in view; `footer` is the left footer (default: the title).
    Every table is drawn in a grid (thin lines round every cell, blanks included). `block_key`
    names a boolean column of the frame (not printed): a row where it is true starts a block (a
    handout's customer) under a heavier line. `autofilter` puts Excel's filter buttons on the
    label row. `section_breaks` starts each section on a new printed page (off: one after the
    other, a blank row between). `one_page` fits the sheet on one printed page (an overview).
    `mark_key` names a boolean column (not printed): a row where it is true is filled (a line a
    re-issued sheet changed; a line to look at). `empty_text` is printed in the table's one row
    when it has none (无: an empty list says so, not a bare label row). `print_rows`: print only
    the first that many data rows (a detail sheet of thousands of rows that nobody prints whole;
    the rows are all in the sheet). `pictures`: PNGs on rows of a one-table sheet (Pictures)."""

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
    block_key: str | None = None
    autofilter: bool = False
    section_breaks: bool = True
    one_page: bool = False
    pictures: Pictures | None = None
    mark_key: str | None = None
    empty_text: str = ""
    print_rows: int | None = None


LIST_PRINT_ROWS = 200  # rows of a long working list that print (a lookup of thousands of lines: its print area)


def print_first_note(rows: int, t: dict, shown: int = LIST_PRINT_ROWS) -> tuple[str, ...]:
    """The note of a list that prints only its first `shown` rows (SheetSpec.print_rows), in the
    labels' language (`print_first`); none when it prints whole."""
    return (t["print_first"].format(rows=f"{rows:,}", shown=f"{shown:,}"),) if rows > shown else ()


def yuan_text(fen: int) -> str:
    """12345678 fen -> '¥123,456.78', from integers only (for text such as notes)."""
    return fen_to_yuan_display(fen)


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


@dataclass(frozen=True)
class BookSpec:
    """A workbook: where it goes, its sheets, and the title stored in its properties."""

    path: Path
    sheets: tuple[SheetSpec, ...]
    title: str = ""
