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
    characters: at least `width`, grown to fit the longest value, at most `max_width`."""

    key: str
    label: str
    kind: str = TEXT
    width: float = 6.0
    max_width: float = 48.0
    center: bool = False  # centred cells (a number next to text, e.g. the handout's 序号)

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


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of `value_key` by `category_key` over the rows of the sheet's table (or of its
    `section`), right of the table; `kind="line"` draws lines instead, one per column of
    `value_key` and `more_keys` (history and forecast by date, say)."""

    title: str
    category_key: str
    value_key: str
    y_title: str = ""
    number_format: str = "#,##0"  # of the value axis
    max_rows: int | None = None   # chart only the first rows (a sheet sorted worst first: the worst)
    section: int = 0  # the section whose rows it draws (a sectioned sheet)
    kind: str = "bar"  # or "line"
    more_keys: tuple[str, ...] = ()  # further series (columns) of a line chart


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
    other, a blank row between). `one_page` fits the sheet on one printed page (an overview)."""

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
