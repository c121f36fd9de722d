"""What every label layout shares: text as PDF operators made by polars for a whole column at
once (code points as two-byte codes, labels/truetype.py), fitted to a width, and labels put on
pages (one a page on a label printer, a grid of them on A4).

Fitting: a line's width is estimated from its characters (a CJK character is 1 em; any other at
most 0.65 em in this font), the size shrinks down to `smallest` to fit, and past that the text is
cut and ends with '…'. An estimate, never narrower than the text: nothing runs off a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from labels.pdf import FONT_RESOURCE, PageSize
from labels.truetype import Font, printable

DISTINCT_SHARE = 4  # a column with fewer distinct texts than a quarter of its rows: hexed per distinct text
NARROW_EM = 0.65  # the widest non-CJK character of the font is ~0.65 em (M, W: less; digits 0.64)


def hex_column(values: pl.Series, font: Font) -> pl.Series:
    """Each text as the hex of its codes (UTF-16BE of the printable text; null stays null). A
    column of few distinct texts (an item and its units, the pickup point's foot line) is hexed
    once per distinct text and mapped back (~5x faster there); others text by text."""
    distinct = values.drop_nulls().unique()
    if distinct.len() * DISTINCT_SHARE < values.len():
        return values.replace_strict(distinct, _hex_each(distinct, font), default=None, return_dtype=pl.String)
    return _hex_each(values, font)


def _hex_each(values: pl.Series, font: Font) -> pl.Series:
    """The hex of each text: the column's texts joined, made printable, encoded and hexed at once,
    then cut at each text's end (printable keeps a text's length in characters, and each is one BMP
    code: 4 hex digits)."""
    filled = values.fill_null("")
    if filled.len() == 0:
        return filled.alias(values.name)
    hexed = printable(filled.str.join("").item(), font).encode("utf-16-be").hex()
    ends = (filled.str.len_chars().cast(pl.Int64).cum_sum() * 4).to_list()
    out = pl.Series(values.name, [hexed[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)], dtype=pl.String)
    return out.set(values.is_null(), None) if values.null_count() else out


def width_em(text: pl.Expr) -> pl.Expr:
    """The estimated width of a text in em: wide (3-byte UTF-8) characters 1, others NARROW_EM."""
    chars = text.str.len_chars()
    wide = (text.str.len_bytes() - chars) // 2
    return wide + (chars - wide) * NARROW_EM


def fit(text: str, size: float, width: float, smallest: float) -> tuple[pl.Expr, pl.Expr]:
    """(the text, its size): `size` if it fits in `width` points, else smaller down to `smallest`,
    then cut with '…'."""
    column = pl.col(text).fill_null("")
    em = width_em(column)
    fitted = pl.min_horizontal(pl.lit(size), pl.lit(width) / pl.max_horizontal(em, pl.lit(0.01)))
    fitted = pl.max_horizontal(fitted, pl.lit(smallest)).round(2)
    keep = (pl.lit(width / smallest) - 1).floor().cast(pl.Int64)  # characters that fit at the smallest size
    cut = pl.when(em * smallest > width).then(column.str.slice(0, keep) + "…").otherwise(column)
    return cut, fitted


def text_op(x: float | pl.Expr, y: float | pl.Expr, size: float | pl.Expr, hex_text: pl.Expr,
            bold: bool = False) -> pl.Expr:
    """`BT /F1 size Tf x y Td <codes> Tj ET`, empty where the text is null or empty. `bold`: the
    glyphs filled and stroked (a heavier line: the font has one weight)."""
    style = pl.lit("2 Tr ") + (_number(size) * 0.04).round(2).cast(pl.String) + pl.lit(" w ") if bold \
        else pl.lit("0 Tr ")  # the rendering mode outlives ET: set it every time
    op = pl.concat_str([pl.lit("BT "), style, pl.lit(f"/{FONT_RESOURCE} "), _number(size).cast(pl.String),
                        pl.lit(" Tf "), _number(x).cast(pl.String), pl.lit(" "), _number(y).cast(pl.String),
                        pl.lit(" Td <"), hex_text, pl.lit("> Tj ET\n")])
    return pl.when(hex_text.is_null() | (hex_text == "")).then(pl.lit("")).otherwise(op)


def _number(value: float | pl.Expr) -> pl.Expr:
    return value.round(2) if isinstance(value, pl.Expr) else pl.lit(round(float(value), 2))


def image_op(x: float, y: float, size: float, image: pl.Expr) -> pl.Expr:
    """An inline image (labels/qr_images.qr_image_operators) drawn in a square of `size` points."""
    return pl.concat_str([pl.lit(f"q {size:g} 0 0 {size:g} {x:.2f} {y:.2f} cm "), image, pl.lit(" Q\n")])


@dataclass(frozen=True)
class Grid:
    """Labels on pages: the page size and the scale of the base layout on it."""

    size: PageSize
    scale: float
    offset_x: float
    offset_y: float


def grid_for(size: PageSize, base_width: float, base_height: float) -> Grid:
    scale = min(size.label_width / base_width, size.label_height / base_height)
    return Grid(size, round(scale, 4), (size.label_width - base_width * scale) / 2,
                (size.label_height - base_height * scale) / 2)


def pages(labels: list[str], grid: Grid, base_width: float, base_height: float) -> list[str]:
    """The content stream of each page: the labels in order, `per_page` a page. On an A4 sheet each
    label is scaled into its cell, with a light cutting frame round it."""
    size = grid.size
    if size.per_page == 1 and grid.scale == 1:
        return labels
    out = []
    for start in range(0, len(labels), size.per_page):
        parts = []
        for slot, content in enumerate(labels[start:start + size.per_page]):
            x, y = size.origin(slot)
            frame = (f"q 0.75 G 0.3 w {x:.2f} {y:.2f} {size.label_width:.2f} {size.label_height:.2f} re S Q\n"
                     if size.per_page > 1 else "")
            place = f"{grid.scale:g} 0 0 {grid.scale:g} {x + grid.offset_x:.2f} {y + grid.offset_y:.2f}"
            parts.append(f"{frame}q {place} cm\n{content}Q\n")
        out.append("".join(parts))
    return out
