"""Sorting (分拣) and handout (提货) (rulebook: "Sorting and handout"): what the warehouse sorts per
route, stop by stop, and what each team leader hands to whom. The workbooks that print them are
sheets/sorting.py and sheets/handouts.py.

Per route: the allocated units by pickup point (in stop order: `route_seq`, then id) and SKU (by
category, then SKU). Per pickup point: one row per allocated order line, sorted the way a leader
looks a customer up: by phone tail (customers give their last four digits), then name, then
customer, order and line; a customer's number on their first row only, their phone tail and
name on every row, an order id on its first row only, so each customer reads as one block. Only
lines with allocated units; only the pickup point's own customers.

Door delivery: at a pickup point whose lines carry a building or room (送货上门: an export's
楼号 / 房号 columns), the list is in the order the leader walks it: by building, then room, each
by its leading number (2 before 10; `10栋` is building 10, as `10` is), text without a leading
number after the numbers (by its text), lines without a building or room last; within one door,
as above.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

POINT_COLUMNS = ["pickup_point_id", "route_seq", "point_name", "leader_name"]
SKU_COLUMNS = ["sku_id", "name", "spec", "unit", "category"]
SKU_ORDER = ["category", "sku_id"]
STOP_ORDER = ["route_seq", "pickup_point_id"]
HANDOUT_ORDER = ["pickup_point_id", "phone_tail", "customer_name", "customer_id", "order_id", "line_no"]
HANDOUT_COLUMNS = ["seq", "phone_tail", "customer_name", "order_id", "item", "units", "unit", "signed",
                   "is_new_customer", "building", "room"]
DOOR_COLUMNS = ("building", "room")


@dataclass(frozen=True)
class RouteUnits:
    route_id: str
    units: pl.DataFrame  # one row per (pickup point, SKU) with units > 0: POINT_COLUMNS, SKU_COLUMNS, units


def prepare_routes(allocations: pl.DataFrame, pickup_points: pl.DataFrame,
                   products: pl.DataFrame) -> list[RouteUnits]:
    """The allocated units of each route by pickup point and SKU; routes with none are left out."""
    units = (
        allocations.select("pickup_point_id", "sku_id", "qty_allocated")  # not a copy of every column
        .filter(pl.col("qty_allocated") > 0)
        .group_by("pickup_point_id", "sku_id")
        .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"))
        .join(pickup_points.select("pickup_point_id", "route_id", "route_seq", pl.col("name").alias("point_name"),
                                   "leader_name"), on="pickup_point_id", how="left")
        .join(products.select(SKU_COLUMNS), on="sku_id", how="left")
        .sort("route_id", *STOP_ORDER, *SKU_ORDER, nulls_last=True)
    )
    missing = units.filter(pl.col("route_id").is_null())["pickup_point_id"].unique().sort().to_list()
    if missing:
        raise ValueError(f"pickup point(s) {missing[:5]} have allocated units but no route in pickup_points")
    routes = units.partition_by("route_id", as_dict=True, include_key=False, maintain_order=True)
    return [RouteUnits(route_id, frame) for (route_id,), frame in sorted(routes.items())]


@dataclass(frozen=True)
class Handout:
    pickup_point_id: str
    name: str
    address: str | None
    leader_name: str | None
    units: int           # allocated units: the N of "今日订单共 N 件"
    customers: int
    lines: pl.DataFrame  # HANDOUT_COLUMNS, in print order

    @property
    def door(self) -> bool:
        """Door delivery: some line carries a building or room (the sheet shows both columns)."""
        return any(self.lines[c].drop_nulls().len() for c in DOOR_COLUMNS if c in self.lines.columns)


def handout_rows(allocations: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Every allocated line in print order. A customer's number (序号) on their first line only;
    their phone tail and name on every line (the leader finds any item by either, also on a page
    the customer's block continues on); an order id on its first line only. `is_new_customer`
    marks each customer's first line (the sheet draws a line above it)."""
    return (
        allocations.filter(pl.col("qty_allocated") > 0)
        .select("pickup_point_id", "customer_id", "customer_name", "phone_tail", "order_id", "line_no",
                "sku_id", pl.col("qty_allocated").cast(pl.Int64).alias("units"),
                *[pl.col(c) if c in allocations.columns else pl.lit(None, pl.String).alias(c) for c in DOOR_COLUMNS])
        .join(products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
        .pipe(in_print_order)
        .select(
            "pickup_point_id",
            pl.when("_first").then(pl.col("_seq")).alias("seq"),
            "phone_tail", "customer_name",
            pl.when("_first_of_order").then(pl.col("order_id")).alias("order_id"),
            "item", "units", "unit", pl.lit(None, pl.String).alias("signed"),
            pl.col("_first").alias("is_new_customer"), *DOOR_COLUMNS)
    )


def door_keys(lines: pl.DataFrame) -> list[pl.Expr]:
    """The door-delivery sort keys (module docstring): at a pickup point with any building or room,
    building and room each by its leading number, else by its text; elsewhere nulls (no effect)."""
    present = [c for c in DOOR_COLUMNS if c in lines.columns and lines[c].null_count() < lines.height]
    if not present:  # no door delivery anywhere (the common case): no keys to compute
        return []
    door = pl.any_horizontal([pl.col(c).is_not_null() for c in present]).any().over("pickup_point_id")
    keys = []
    for column in present:
        text = pl.col(column).str.strip_chars()
        number = text.str.extract(r"^(\d{1,9})", 1).cast(pl.Int64, strict=False)
        keys += [pl.when(door).then(number), pl.when(door & number.is_null()).then(text)]
    return keys


def in_print_order(lines: pl.DataFrame) -> pl.DataFrame:
    """A handout list's lines (pickup_point_id, customer, order, line, sku_id, name, spec; building
    and room when known) sorted the way a leader looks a customer up (HANDOUT_ORDER; door delivery
    first by building and room, `door_keys`), with `_first` (a customer's first line),
    `_first_of_order`, `_seq` (the customer's number within the pickup point) and `item` (name and
    spec, or the SKU)."""
    point = pl.col("pickup_point_id")
    customer = pl.concat_str([pl.col("phone_tail").fill_null(""), pl.col("customer_name").fill_null(""),
                              pl.col("customer_id")], separator="\x1f")
    first_of_customer = ((customer != customer.shift(1)) | (point != point.shift(1))).fill_null(True)
    first_of_order = (first_of_customer | (pl.col("order_id") != pl.col("order_id").shift(1))).fill_null(True)
    item = pl.when(pl.col("spec").is_null() | (pl.col("spec") == "")).then(pl.col("name")) \
        .otherwise(pl.concat_str([pl.col("name"), pl.col("spec")], separator=" "))
    keys = door_keys(lines)
    order = [point, *keys, *HANDOUT_ORDER[1:]] if keys else HANDOUT_ORDER
    return (lines.sort(order, nulls_last=True)
            .with_columns(first_of_customer.alias("_first"), first_of_order.alias("_first_of_order"),
                          item.fill_null(pl.col("sku_id")).alias("item"))
            .with_columns(pl.col("_first").cast(pl.Int64).cum_sum().over("pickup_point_id").alias("_seq")))


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
