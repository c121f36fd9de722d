"""The sheets a shortage changes, re-issued (修订版) by the goods-in run (rulebook "Goods-in";
docs/goods-in.md): the sorting sheets of the routes and the handout lists of the pickup points
where a line gives up units, and nothing else. A line hands out `qty_allocated - units_short`;
the cutoff's allocations stay as it decided them.

Pure: frames in, frames out. The workbooks are sheets/receiving_books.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.sorting import SKU_COLUMNS, STOP_ORDER, RouteUnits, in_print_order, prepare_routes

LINE_KEY = ["order_id", "line_no"]
# the cutoff's handout list's columns (transforms.sorting HANDOUT_COLUMNS) with what a line had
# (`ordered`) and gives up (`short`); `is_changed` marks a line that gives up units
REVISED_HANDOUT_COLUMNS = ["seq", "phone_tail", "customer_name", "order_id", "item", "ordered", "short", "units",
                           "unit", "signed", "is_new_customer", "is_changed"]
SHORT_CUSTOMER_COLUMNS = ["seq", "phone_tail", "customer_name", "short"]
ROUTE_CUT_COLUMNS = ["route_seq", "pickup_point_id", "point_name", "sku_id", "name", "spec", "unit", "ordered",
                     "short", "units"]


def hand_out_after_shortages(allocations: pl.DataFrame, shortages: pl.DataFrame) -> pl.DataFrame:
    """The cutoff's allocated lines with `units_short` (0 for most) and `units_out`, what the
    leader hands out: qty_allocated - units_short."""
    short = shortages.select(*LINE_KEY, "units_short")
    return (allocations.filter(pl.col("qty_allocated") > 0)
            .join(short, on=LINE_KEY, how="left")
            .with_columns(pl.col("units_short").fill_null(0).cast(pl.Int64))
            .with_columns((pl.col("qty_allocated") - pl.col("units_short")).alias("units_out")))


def changed_points(shortages: pl.DataFrame) -> list[str]:
    return sorted(shortages.filter(pl.col("units_short") > 0)["pickup_point_id"].unique().to_list())


def changed_routes(shortages: pl.DataFrame, pickup_points: pl.DataFrame) -> list[str]:
    points = changed_points(shortages)
    return sorted(pickup_points.filter(pl.col("pickup_point_id").is_in(points))["route_id"].unique().to_list())


@dataclass(frozen=True)
class RevisedRoute:
    route: RouteUnits          # the route's units after shortages (transforms.sorting)
    cut: pl.DataFrame          # ROUTE_CUT_COLUMNS: per stop and SKU that lost units, before / short / after
    units_short: int
    units_before: int
    changed: pl.DataFrame | None = None  # pickup_point_id and SKU_COLUMNS of each stop and SKU that lost units


def revise_routes(allocations: pl.DataFrame, shortages: pl.DataFrame, pickup_points: pl.DataFrame,
                  products: pl.DataFrame) -> list[RevisedRoute]:
    """The routes a shortage changed, with their units after it and what each stop lost."""
    routes = changed_routes(shortages, pickup_points)
    on_routes = pickup_points.filter(pl.col("route_id").is_in(routes))["pickup_point_id"]
    lines = hand_out_after_shortages(allocations, shortages).filter(pl.col("pickup_point_id").is_in(on_routes))
    after = {r.route_id: r for r in prepare_routes(
        lines.with_columns(pl.col("units_out").alias("qty_allocated")), pickup_points, products)}
    per_stop = (
        lines.group_by("pickup_point_id", "sku_id")
        .agg(pl.col("qty_allocated").sum().alias("ordered"), pl.col("units_short").sum().alias("short"),
             pl.col("units_out").sum().alias("units"))
        .join(pickup_points.select("pickup_point_id", "route_id", "route_seq", pl.col("name").alias("point_name")),
              on="pickup_point_id", how="left")
        .join(products.select("sku_id", "name", "spec", "unit", "category"), on="sku_id", how="left")
        .with_columns(pl.col("ordered", "short", "units").cast(pl.Int64)))
    revised = []
    for route_id in routes:
        stops = per_stop.filter(pl.col("route_id") == route_id)
        cut = stops.filter(pl.col("short") > 0).sort(*STOP_ORDER, "category", "sku_id").select(ROUTE_CUT_COLUMNS)
        units = after.get(route_id, RouteUnits(route_id, pl.DataFrame()))
        changed = stops.filter(pl.col("short") > 0).select("pickup_point_id", *SKU_COLUMNS)
        revised.append(RevisedRoute(units, cut, int(stops["short"].sum()), int(stops["ordered"].sum()), changed))
    return revised


@dataclass(frozen=True)
class RevisedHandout:
    pickup_point_id: str
    name: str
    address: str | None
    leader_name: str | None
    units: int            # to hand out after the shortage
    units_before: int     # as the cutoff's handout list had it
    units_short: int
    customers_short: int  # customers who get less
    customers: int
    lines: pl.DataFrame   # REVISED_HANDOUT_COLUMNS, in the handout list's order (transforms.sorting)
    short: pl.DataFrame   # SHORT_CUSTOMER_COLUMNS: who gets less, by 序号


def revised_handout_rows(lines: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Every allocated line of the points, in the handout list's print order (transforms.sorting
    handout_rows), with what it was allocated, what it gives up and what is handed out. A line
    that gives up everything stays on the list with 0 to hand out: the leader sees who goes without."""
    return (
        lines.select("pickup_point_id", "customer_id", "customer_name", "phone_tail", "order_id", "line_no",
                     "sku_id", pl.col("qty_allocated").cast(pl.Int64).alias("ordered"),
                     pl.col("units_short").alias("short"), pl.col("units_out").alias("units"))
        .join(products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
        .pipe(in_print_order)
        .select(
            "pickup_point_id", "customer_id",
            pl.when("_first").then(pl.col("_seq")).alias("seq"),
            "phone_tail", "customer_name",  # on every line, as the cutoff's list (transforms.sorting)
            pl.when("_first_of_order").then(pl.col("order_id")).alias("order_id"),
            "item", "ordered", pl.when(pl.col("short") > 0).then(pl.col("short")).alias("short"), "units", "unit",
            pl.lit(None, pl.String).alias("signed"), pl.col("_first").alias("is_new_customer"),
            (pl.col("short") > 0).alias("is_changed"), pl.col("_seq").alias("customer_seq"))
    )


def short_customers(rows: pl.DataFrame) -> pl.DataFrame:
    """The customers of a revised handout list who get less (SHORT_CUSTOMER_COLUMNS: their 序号,
    phone tail, name and the units they go without), in the list's order: who the notice names."""
    return (rows.filter(pl.col("is_changed"))
            .group_by("customer_seq", maintain_order=True)
            .agg(pl.col("phone_tail").first(), pl.col("customer_name").first(), pl.col("short").sum().cast(pl.Int64))
            .rename({"customer_seq": "seq"}).select(SHORT_CUSTOMER_COLUMNS))


def revise_handouts(allocations: pl.DataFrame, shortages: pl.DataFrame, pickup_points: pl.DataFrame,
                    products: pl.DataFrame) -> list[RevisedHandout]:
    """The handout lists of the pickup points where a line gives up units."""
    points = changed_points(shortages)
    lines = hand_out_after_shortages(allocations, shortages).filter(pl.col("pickup_point_id").is_in(points))
    rows = revised_handout_rows(lines, products)
    names = pickup_points.select("pickup_point_id", "name", "address", "leader_name")
    revised = []
    for (point_id,), frame in sorted(rows.partition_by("pickup_point_id", as_dict=True,
                                                        maintain_order=True).items()):
        info = names.filter(pl.col("pickup_point_id") == point_id)
        info = info.row(0, named=True) if info.height else {"name": "", "address": None, "leader_name": None}
        revised.append(RevisedHandout(
            point_id, info["name"] or "", info["address"], info["leader_name"],
            units=int(frame["units"].sum()), units_before=int(frame["ordered"].sum()),
            units_short=int(frame["short"].sum() or 0),
            customers_short=frame.filter(pl.col("short") > 0)["customer_id"].n_unique(),
            customers=frame["customer_id"].n_unique(), lines=frame.select(REVISED_HANDOUT_COLUMNS),
            short=short_customers(frame)))
    return revised
