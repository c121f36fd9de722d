"""Household labels (户标签): one label per order of a pickup point, for the leader who delivers to
the door (docs/labels.md). What each label says is decided here; labels/household_labels.py lays
it out.

An order's label: the customer's name and phone tail, building and room when the order has them,
its items (name and spec) with their units, the units in all, and the order's pickup code (its QR
code: transforms/pickup_codes.py). Only lines with units to hand out. The orders of a pickup point
are in the order a leader walks them: by building, then room (numbers as numbers: 2栋 before
10栋), orders without a building last; then as the handout list (phone tail, name, customer, order).

Pure: frames in, frames out.
"""

from __future__ import annotations

import polars as pl

from transforms.sorting import in_print_order

ORDER_COLUMNS = ["pickup_point_id", "order_id", "customer_name", "phone_tail", "building", "room", "units", "items"]
ITEM_COLUMNS = ["pickup_point_id", "order_id", "item", "units", "unit"]


def _number(text: str) -> pl.Expr:
    """The first whole number in a text (2 in 2栋, 1202 in 1202室), for sorting; null if none."""
    return pl.col(text).str.extract(r"(\d{1,9})", 1).cast(pl.Int64)


def household_items(lines: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Every line to hand out (`units` > 0) with its item text, in the handout list's order within
    each order. lines: pickup_point_id, customer_id, customer_name, phone_tail, order_id, line_no,
    sku_id, units, and building, room when known."""
    for column in ("building", "room"):
        if column not in lines.columns:
            lines = lines.with_columns(pl.lit(None, pl.String).alias(column))
    return (lines.filter(pl.col("units") > 0)
            .select("pickup_point_id", "customer_id", "customer_name", "phone_tail", "building", "room", "order_id",
                    "line_no", "sku_id", pl.col("units").cast(pl.Int64))
            .join(products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
            .pipe(in_print_order))


def household_orders(items: pl.DataFrame) -> pl.DataFrame:
    """One row per order (ORDER_COLUMNS), in the order the leader walks them; `items` how many lines."""
    orders = (items.group_by("pickup_point_id", "order_id", maintain_order=True)
              .agg(pl.col("customer_id", "customer_name", "phone_tail", "building", "room").first(),
                   pl.col("units").sum(), pl.len().alias("items")))
    return (orders.sort("pickup_point_id", _number("building"), "building", _number("room"), "room", "phone_tail",
                        "customer_name", "customer_id", "order_id", nulls_last=True)
            .select(ORDER_COLUMNS))


def prepare_households(lines: pl.DataFrame, products: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(orders, items) of the household labels of every pickup point in `lines`."""
    items = household_items(lines, products)
    return household_orders(items), items.select(ITEM_COLUMNS)
