"""sorting/<route_id>.xlsx: the warehouse's sorting sheets (分拣单) of one delivery route.

Sheet 1, the matrix: SKU rows (by category, then SKU) x the route's pickup points as columns in
stop order (`route_seq`, then id), allocated units in the cells (blank for none), a total per
SKU on the right and per pickup point at the bottom; the bottom-right cell is the route's total.
Sheet 2, the pick lists: one section per pickup point in stop order, each on its own printed page
(a page break before it): a heading (stop, pickup point, leader, units) and its SKUs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from flows.sheets.labels import BookContext
from flows.sheets.writer import INT, TEXT, BookSpec, Column, Section, SheetSpec, write_workbooks

POINT_COLUMNS = ["pickup_point_id", "route_seq", "point_name", "leader_name"]
SKU_COLUMNS = ["sku_id", "name", "spec", "unit", "category"]
SKU_ORDER = ["category", "sku_id"]
STOP_ORDER = ["route_seq", "pickup_point_id"]


@dataclass(frozen=True)
class RouteSheets:
    route_id: str
    units: pl.DataFrame  # one row per (pickup point, SKU) with units > 0: POINT_COLUMNS, SKU_COLUMNS, units


def prepare_routes(allocations: pl.DataFrame, pickup_points: pl.DataFrame,
                   products: pl.DataFrame) -> list[RouteSheets]:
    """The allocated units of each route by pickup point and SKU; routes with none are left out."""
    units = (
        allocations.filter(pl.col("qty_allocated") > 0)
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
    return [RouteSheets(route_id, frame) for (route_id,), frame in sorted(routes.items())]


def _stops(units: pl.DataFrame) -> pl.DataFrame:
    return units.select(POINT_COLUMNS).unique("pickup_point_id").sort(STOP_ORDER)


def matrix_sheet(route: RouteSheets, ctx: BookContext) -> SheetSpec:
    t = ctx.labels
    stops = _stops(route.units).with_row_index("stop").with_columns(
        pl.format("p{}", pl.col("stop")).alias("key"))
    cells = route.units.join(stops.select("pickup_point_id", "key"), on="pickup_point_id")
    keys = stops["key"].to_list()
    matrix = (
        cells.pivot(on="key", index="sku_id", values="units", aggregate_function=None, on_columns=keys)
        .join(route.units.select(SKU_COLUMNS).unique("sku_id"), on="sku_id", how="left")
        .with_columns(pl.sum_horizontal(keys).cast(pl.Int64).alias("sku_total"))
        .sort(SKU_ORDER, nulls_last=True)
    )
    point_columns = tuple(
        Column(row["key"], f"{row['route_seq']}\n{row['pickup_point_id']}\n{row['point_name'] or ''}".rstrip(),
               INT, 6, 10)
        for row in stops.iter_rows(named=True))
    columns = (Column("sku_id", t["sku"], TEXT, 10), Column("name", t["name"], TEXT, 14, 30),
               Column("spec", t["spec"], TEXT, 6, 14), Column("unit", t["unit"], TEXT, 4, 6),
               *point_columns, Column("sku_total", t["total"], INT, 7))
    totals = {"sku_id": t["total"], **{k: int(matrix[k].sum()) for k in keys},
              "sku_total": int(matrix["sku_total"].sum())}
    title = t["matrix_title"].format(route=route.route_id)
    return SheetSpec(title=t["sheet_matrix"], columns=columns, frame=matrix, title_line=title,
                     header=((t["route"], route.route_id), (t["run"], ctx.run), (t["cutoff_at"], ctx.cutoff_at),
                             (t["stops"], stops.height)),
                     totals=totals, landscape=True, freeze_columns=2, footer=title)


def pick_list_sheet(route: RouteSheets, ctx: BookContext) -> SheetSpec:
    t = ctx.labels
    columns = (Column("sku_id", t["sku"], TEXT, 10), Column("name", t["name"], TEXT, 18, 40),
               Column("spec", t["spec"], TEXT, 8, 20), Column("unit", t["unit"], TEXT, 5, 8),
               Column("units", t["units"], INT, 8))
    sections = []
    by_point = route.units.partition_by("pickup_point_id", as_dict=True, maintain_order=True)
    for stop in _stops(route.units).iter_rows(named=True):
        lines = by_point[(stop["pickup_point_id"],)]
        units = int(lines["units"].sum())
        heading = t["pick_heading"].format(
            stop=t["stop"].format(seq=stop["route_seq"]), point=stop["pickup_point_id"],
            name=stop["point_name"] or "", leader=stop["leader_name"] or "", n=units)
        sections.append(Section(frame=lines, heading=(heading,), totals={"sku_id": t["total"], "units": units}))
    title = t["pick_title"].format(route=route.route_id)
    return SheetSpec(title=t["sheet_pick_lists"], columns=columns, sections=tuple(sections), title_line=title,
                     header=((t["route"], route.route_id), (t["run"], ctx.run)), footer=title)


def route_book(path: Path, route: RouteSheets, ctx: BookContext) -> BookSpec:
    return BookSpec(path, (matrix_sheet(route, ctx), pick_list_sheet(route, ctx)),
                    ctx.labels["matrix_title"].format(route=route.route_id))


def write_route_sheets(path: Path, route: RouteSheets, ctx: BookContext) -> None:
    write_workbooks([route_book(path, route, ctx)], created=ctx.created)
