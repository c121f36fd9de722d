"""labels/households-<pickup_point_id>.pdf: a household label (户标签) per order of a pickup point,
for the bags a leader delivers to the door (docs/labels.md). What a label says is
transforms/households.py; here it is laid out, for a label printer (80 x 60 or 60 x 40 mm, one a
page) or A4 sheets of 2 x 4.

A label: the customer's name, big; the phone tail; building and room when known (else the pickup
point); the order's QR code (its pickup code) top right; the items with their units; two foot
lines: the order id, the units and, when an order's items need more than one label, `1/2`; the
pickup point and the cutoff. Every part is real text (pdftotext reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from labels.layout import fit, grid_for, hex_column, image_op, pages, text_op
from labels.pdf import PageSize, write_pdf
from labels.truetype import Font, printable
from labels.words import words_for


@dataclass(frozen=True)
class HouseholdLayout:
    """Positions in points on a label of `width` x `height` (origin bottom left)."""

    width: float
    height: float
    margin: float
    qr: float
    name: float         # sizes
    phone: float
    place: float
    item: float
    leading: float
    foot: float
    items_top: float    # baseline of the first item line
    lines: int          # item lines a label holds


LAYOUTS = {
    "80x60": HouseholdLayout(226.77, 170.08, 8, 72, 17, 12, 14, 8.5, 10.6, 6.5, 80, 6),
    "60x40": HouseholdLayout(170.08, 113.39, 6, 52, 12, 9.5, 10.5, 7, 8.2, 5.5, 47, 4),
}


def layout_for(size: PageSize) -> HouseholdLayout:
    return LAYOUTS["60x40" if size.name == "60x40" else "80x60"]


def _units(words: str) -> pl.Expr:
    """`共 {n} 件` with the order's units."""
    before, _, after = words.partition("{n}")
    return pl.concat_str([pl.lit(before), pl.col("units").cast(pl.String), pl.lit(after)])


def label_contents(orders: pl.DataFrame, items: pl.DataFrame, qr_ops: list[str], layout: HouseholdLayout,
                   font: Font, lang: str, cutoff_text: str, point_names: dict[str, str]) -> pl.DataFrame:
    """Every label of `orders` (transforms.households ORDER_COLUMNS, in print order, `qr_ops` the
    QR code of each as an inline image): pickup_point_id, content (the label's PDF operators),
    text (what it prints, for the font subset)."""
    t = words_for(lang)
    lay = layout
    m = lay.margin
    left_width = lay.width - 2 * m - lay.qr - 10  # bold text strokes a little past its advance
    full_width = lay.width - 2 * m
    orders = orders.with_columns(pl.Series("_qr", qr_ops, pl.String), pl.int_range(pl.len()).alias("_seq"),
                                 ((pl.col("items") + lay.lines - 1) // lay.lines).cast(pl.Int64).alias("_parts"))
    lines = (items.with_columns(pl.int_range(pl.len()).over("pickup_point_id", "order_id").alias("_i"))
             .with_columns((pl.col("_i") // lay.lines).alias("_part"), (pl.col("_i") % lay.lines).alias("_line"),
                           pl.concat_str([pl.col("item").fill_null(""), pl.lit(" ×"), pl.col("units").cast(pl.String),
                                          pl.col("unit").fill_null("")]).alias("_item")))
    text, size = fit("_item", lay.item, full_width, lay.item * 0.75)
    lines = lines.with_columns(text.alias("_item"), size.alias("_item_size"))
    lines = lines.with_columns(hex_column(lines["_item"], font).alias("_item_hex"))
    item_ops = (lines.with_columns(text_op(m, lay.items_top - pl.col("_line") * lay.leading, pl.col("_item_size"),
                                           pl.col("_item_hex")).alias("_op"))
                .group_by("pickup_point_id", "order_id", "_part")
                .agg(pl.col("_op").str.join(""), pl.col("_item").str.join("")))
    labels = (orders.with_columns(pl.int_ranges(0, pl.col("_parts")).alias("_part")).explode("_part")
              .join(item_ops, on=["pickup_point_id", "order_id", "_part"], how="left", maintain_order="left"))
    place = pl.concat_str([pl.col("building"), pl.col("room")], separator=" ", ignore_nulls=True)
    point = pl.col("pickup_point_id").replace_strict(point_names, default="")
    part = pl.when(pl.col("_parts") > 1).then(
        pl.format(" · {}/{}", pl.col("_part") + 1, pl.col("_parts"))).otherwise(pl.lit(""))
    foot = pl.concat_str([pl.lit(f"{t['order']} "), pl.col("order_id"), pl.lit(" · "), _units(t["units"]), part])
    where = pl.concat_str([pl.col("pickup_point_id"), pl.lit(" "), point, pl.lit(f" · {cutoff_text}")])
    labels = labels.with_columns(
        pl.col("customer_name").fill_null(""),
        pl.when(pl.col("phone_tail").is_not_null()).then(pl.lit(f"{t['phone_tail']} ") + pl.col("phone_tail"))
        .alias("_phone"),
        pl.when(place != "").then(place).otherwise(point).alias("_place"),
        foot.alias("_foot"), where.alias("_where"))
    name, name_size = fit("customer_name", lay.name, left_width, lay.name * 0.6)
    place_text, place_size = fit("_place", lay.place, left_width, lay.place * 0.6)
    foot_text, foot_size = fit("_foot", lay.foot, full_width, lay.foot * 0.8)
    where_text, where_size = fit("_where", lay.foot, full_width, lay.foot * 0.8)
    labels = labels.with_columns(name.alias("_name"), name_size.alias("_name_size"), place_text.alias("_place"),
                                 place_size.alias("_place_size"), foot_text.alias("_foot"),
                                 foot_size.alias("_foot_size"), where_text.alias("_where"),
                                 where_size.alias("_where_size"))
    labels = labels.with_columns(*(hex_column(labels[c], font).alias(f"{c}_hex")
                                   for c in ("_name", "_phone", "_place", "_foot", "_where")))
    top = lay.height - m
    content = pl.concat_str([
        text_op(m, top - lay.name, pl.col("_name_size"), pl.col("_name_hex"), bold=True),
        text_op(m, top - lay.name - lay.phone - 5, lay.phone, pl.col("_phone_hex")),
        text_op(m, top - lay.name - lay.phone - lay.place - 11, pl.col("_place_size"), pl.col("_place_hex"),
                bold=True),
        image_op(lay.width - m - lay.qr, top - lay.qr, lay.qr, pl.col("_qr")),
        pl.col("_op").fill_null(""),
        text_op(m, m * 0.6 + lay.foot + 2, pl.col("_foot_size"), pl.col("_foot_hex"), bold=True),
        text_op(m, m * 0.6, pl.col("_where_size"), pl.col("_where_hex")),
    ])
    text = pl.concat_str([pl.col("_name"), pl.col("_phone"), pl.col("_place"), pl.col("_item"), pl.col("_foot"),
                          pl.col("_where")], ignore_nulls=True)
    return labels.sort("_seq", "_part").select("pickup_point_id", content.alias("content"), text.alias("text"))


def write_household_labels(folder: Path, orders: pl.DataFrame, items: pl.DataFrame, qr_ops: list[str],
                           size: PageSize, font: Font, lang: str, cutoff_text: str,
                           point_names: dict[str, str]) -> list[Path]:
    """households-<pickup_point_id>.pdf under `folder` for each pickup point of `orders`."""
    lay = layout_for(size)
    contents = label_contents(orders, items, qr_ops, lay, font, lang, cutoff_text, point_names)
    grid = grid_for(size, lay.width, lay.height)
    t = words_for(lang)
    written = []
    for (point_id,), frame in contents.partition_by("pickup_point_id", as_dict=True, maintain_order=True).items():
        path = folder / f"households-{point_id}.pdf"
        text = printable("".join(frame["text"].to_list()), font) + "…·×/0123456789"
        write_pdf(path, size, pages(frame["content"].to_list(), grid, lay.width, lay.height), text, font,
                  t["households_title"].format(point=point_id))
        written.append(path)
    return written
