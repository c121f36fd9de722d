"""sorting/<route_id>.xlsx: the warehouse's sorting sheets (分拣单) of one delivery route.

Sheet 1, the matrix: SKU rows (by category, then SKU) x the route's pickup points as columns in
stop order (`route_seq`, then id), allocated units in the cells (blank for none), a total per
SKU on the right and per pickup point at the bottom; the bottom-right cell is the route's total.
Sheet 2, the pick lists: one section per pickup point in stop order, each on its own printed page
(a page break before it): a heading (stop, pickup point, leader, units) and its SKUs. The units
come from transforms/sorting.py (`prepare_routes`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sheets.labels import BookContext
from sheets.spec import INT, TEXT, BookSpec, Column, Section, SheetSpec
from sheets.writer import write_workbooks
from transforms.sorting import POINT_COLUMNS, SKU_COLUMNS, SKU_ORDER, STOP_ORDER, RouteUnits


def _stops(units: pl.DataFrame) -> pl.DataFrame:
    return units.select(POINT_COLUMNS).unique("pickup_point_id").sort(STOP_ORDER)


def matrix_sheet(route: RouteUnits, ctx: BookContext) -> SheetSpec:
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


def pick_list_sheet(route: RouteUnits, ctx: BookContext) -> SheetSpec:
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


def route_book(path: Path, route: RouteUnits, ctx: BookContext) -> BookSpec:
    return BookSpec(path, (matrix_sheet(route, ctx), pick_list_sheet(route, ctx)),
                    ctx.labels["matrix_title"].format(route=route.route_id))


def write_route_sheets(path: Path, route: RouteUnits, ctx: BookContext) -> None:
    write_workbooks([route_book(path, route, ctx)], created=ctx.created)
