"""handout/<pickup_point_id>.xlsx: the team leader's handout list (提货单) of one pickup point.

The header: pickup point, address, leader, date, then "今日订单共 N 件" (N = the point's allocated
units) and the number of customers. Then one row per allocated order line, sorted the way a
leader looks a customer up: by phone tail (customers give their last four digits), then name,
then customer, order and line. A customer's number, phone tail and name are printed on their
first row only, and an order id on its first row only, so each customer reads as one block.
Only lines with allocated units, only this pickup point's customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from flows.sheets.labels import BookContext
from flows.sheets.writer import INT, TEXT, BookSpec, Column, SheetSpec, write_workbooks

HANDOUT_ORDER = ["pickup_point_id", "phone_tail", "customer_name", "customer_id", "order_id", "line_no"]
ROW_COLUMNS = ["seq", "phone_tail", "customer_name", "order_id", "item", "units", "unit", "signed"]


@dataclass(frozen=True)
class Handout:
    pickup_point_id: str
    name: str
    address: str | None
    leader_name: str | None
    units: int           # allocated units: the N of "今日订单共 N 件"
    customers: int
    lines: pl.DataFrame  # ROW_COLUMNS, in print order


def handout_rows(allocations: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Every allocated line in print order, with the customer's number within its pickup point and
    the repeated customer and order cells blanked."""
    point = pl.col("pickup_point_id")
    customer = pl.concat_str([pl.col("phone_tail").fill_null(""), pl.col("customer_name").fill_null(""),
                              pl.col("customer_id")], separator="\x1f")
    first_of_customer = ((customer != customer.shift(1)) | (point != point.shift(1))).fill_null(True)
    first_of_order = (first_of_customer | (pl.col("order_id") != pl.col("order_id").shift(1))).fill_null(True)
    item = pl.when(pl.col("spec").is_null() | (pl.col("spec") == "")).then(pl.col("name")) \
        .otherwise(pl.concat_str([pl.col("name"), pl.col("spec")], separator=" "))
    return (
        allocations.filter(pl.col("qty_allocated") > 0)
        .select("pickup_point_id", "customer_id", "customer_name", "phone_tail", "order_id", "line_no",
                "sku_id", pl.col("qty_allocated").cast(pl.Int64).alias("units"))
        .join(products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
        .sort(HANDOUT_ORDER, nulls_last=True)
        .with_columns(first_of_customer.alias("_first"), first_of_order.alias("_first_of_order"))
        .with_columns(pl.col("_first").cast(pl.Int64).cum_sum().over("pickup_point_id").alias("_seq"))
        .select(
            "pickup_point_id",
            pl.when("_first").then(pl.col("_seq")).alias("seq"),
            pl.when("_first").then(pl.col("phone_tail")).alias("phone_tail"),
            pl.when("_first").then(pl.col("customer_name")).alias("customer_name"),
            pl.when("_first_of_order").then(pl.col("order_id")).alias("order_id"),
            item.fill_null(pl.col("sku_id")).alias("item"),
            "units", "unit", pl.lit(None, pl.String).alias("signed"))
    )


def prepare_handouts(allocations: pl.DataFrame, pickup_points: pl.DataFrame,
                     products: pl.DataFrame) -> list[Handout]:
    """One handout per pickup point with allocated units."""
    rows = handout_rows(allocations, products)
    by_point = rows.partition_by("pickup_point_id", as_dict=True, include_key=False, maintain_order=True)
    points = (
        rows.group_by("pickup_point_id")
        .agg(pl.col("units").sum().alias("units"), pl.col("seq").max().alias("customers"))
        .join(pickup_points.select("pickup_point_id", "name", "address", "leader_name"),
              on="pickup_point_id", how="left")
        .sort("pickup_point_id")
    )
    return [Handout(row["pickup_point_id"], row["name"] or "", row["address"], row["leader_name"],
                    int(row["units"]), int(row["customers"]), by_point[(row["pickup_point_id"],)])
            for row in points.iter_rows(named=True)]


def handout_sheet(handout: Handout, ctx: BookContext) -> SheetSpec:
    t = ctx.labels
    columns = (Column("seq", t["seq"], INT, 5), Column("phone_tail", t["phone_tail"], TEXT, 8),
               Column("customer_name", t["customer"], TEXT, 10, 24), Column("order_id", t["order_id"], TEXT, 10, 24),
               Column("item", t["item"], TEXT, 20, 44), Column("units", t["units"], INT, 6),
               Column("unit", t["unit"], TEXT, 5, 8), Column("signed", t["signed"], TEXT, 6))
    title = t["handout_title"].format(platform=ctx.platform_name)
    units = handout.units
    return SheetSpec(
        title=t["sheet_handout"], columns=columns, frame=handout.lines,
        title_line=title,
        header=((t["pickup_point"], f"{handout.pickup_point_id} {handout.name}".strip()),
                (t["address"], handout.address or ""), (t["leader"], handout.leader_name or ""),
                (t["cutoff_date"], ctx.cutoff_date.isoformat())),
        highlights=(t["total_items"].format(n=units), t["customers_count"].format(n=handout.customers)),
        totals={"seq": t["total"], "units": units},
        footer=f"{title} {handout.pickup_point_id}")


def handout_book(path: Path, handout: Handout, ctx: BookContext) -> BookSpec:
    return BookSpec(path, (handout_sheet(handout, ctx),),
                    f"{ctx.labels['sheet_handout']} {handout.pickup_point_id}")


def write_handout(path: Path, handout: Handout, ctx: BookContext) -> None:
    write_workbooks([handout_book(path, handout, ctx)], created=ctx.created)
