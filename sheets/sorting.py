"""sorting/<route_id>.xlsx: the warehouse's sorting sheets (分拣单) of one delivery route.

The matrix: SKU rows (by category, then SKU; the category printed) x the route's pickup points
as columns in stop order (`route_seq`, then id), allocated units in the cells (blank for none), in
a grid, the route's total per SKU on the right and a total per pickup point at the bottom. A
route of more than POINTS_PER_PAGE stops is split into blocks of columns, a sheet each (分拣矩阵
1-13, 分拣矩阵 14-26, ...), so a page is read at arm's length (not 50 points shrunk to one width).
Last sheet, the pick lists: one section per pickup point in stop order, one after another: a
heading (stop, pickup point, leader, units), its items and a total. The units come from
transforms/sorting.py (`prepare_routes`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from sheets.labels import BookContext
from sheets.spec import INT, TEXT, BookSpec, Column, Section, SheetSpec
from sheets.writer import write_workbooks
from transforms.sorting import POINT_COLUMNS, SKU_COLUMNS, SKU_ORDER, STOP_ORDER, RouteUnits


def _stops(units: pl.DataFrame) -> pl.DataFrame:
    return units.select(POINT_COLUMNS).unique("pickup_point_id").sort(STOP_ORDER)


POINTS_PER_PAGE = 15  # pickup-point columns on one printed page across: ~9 pt text on landscape A4


def matrix_blocks(stops: int, per_page: int | None = None) -> list[tuple[int, int]]:
    """The stops (0-based, end exclusive) of each block of matrix columns: as few blocks as fit
    `per_page` (POINTS_PER_PAGE) points each, of about equal size (50 stops: 13, 13, 12, 12;
    never 15, 15, 15, 5)."""
    blocks = max(1, -(-stops // (per_page or POINTS_PER_PAGE)))
    size, extra = divmod(stops, blocks)
    bounds, start = [], 0
    for number in range(blocks):
        end = start + size + (1 if number < extra else 0)
        bounds.append((start, end))
        start = end
    return bounds


def matrix_sheets(route: RouteUnits, ctx: BookContext) -> list[SheetSpec]:
    """The matrix, in blocks of at most POINTS_PER_PAGE pickup points: a sheet each, printed one
    page wide at a readable size, the category and SKU columns and the route total on every one."""
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
    point_columns = [
        Column(row["key"], f"{row['route_seq']}\n{row['pickup_point_id']}\n{row['point_name'] or ''}".rstrip(),
               INT, 6, 10)
        for row in stops.iter_rows(named=True)]
    sku_columns = (Column("category", t["category"], TEXT, 6, 10), Column("sku_id", t["sku"], TEXT, 8, 12),
                   Column("name", t["name"], TEXT, 12, 22), Column("spec", t["spec"], TEXT, 6, 12),
                   Column("unit", t["unit"], TEXT, 4, 6))
    title = t["matrix_title"].format(route=route.route_id)
    blocks = matrix_blocks(stops.height)
    sheets = []
    for first, last in blocks:
        # a block's point columns keyed by their place in it (b0, b1, ...): blocks of the same width,
        # of every route, are rendered together (sheets/cells.py render_bodies)
        block_keys = {keys[n]: f"b{n - first}" for n in range(first, last)}
        block_frame = matrix.rename(block_keys)
        columns = (*sku_columns, *(replace(c, key=block_keys[c.key]) for c in point_columns[first:last]),
                   Column("sku_total", t["total"], INT, 7))
        totals = {"category": t["total"], **{k: int(block_frame[k].sum()) for k in block_keys.values()},
                  "sku_total": int(matrix["sku_total"].sum())}
        name, line = t["sheet_matrix"], title
        if len(blocks) > 1:
            block = t["matrix_block"].format(first=first + 1, last=last, stops=stops.height)
            name, line = f"{name} {first + 1}-{last}", f"{title} · {block}"
        sheets.append(SheetSpec(
            title=name, columns=columns, frame=block_frame.select(c.key for c in columns), title_line=line,
            header=((t["route"], route.route_id), (t["run"], ctx.run), (t["cutoff_at"], ctx.cutoff_at),
                    (t["stops"], stops.height)),
            totals=totals, landscape=True, freeze_columns=3, footer=line))
    return sheets


def pick_list_sheet(route: RouteUnits, ctx: BookContext) -> SheetSpec:
    """The pick lists, one after another (a blank row between, no page per pickup point: a
    picker needs a heading, the items and a total, not a page each)."""
    t = ctx.labels
    columns = (Column("sku_id", t["sku"], TEXT, 10), Column("item", t["item"], TEXT, 24, 48),
               Column("unit", t["unit"], TEXT, 5, 8), Column("units", t["units"], INT, 8))
    item = pl.when(pl.col("spec").is_null() | (pl.col("spec") == "")).then(pl.col("name")) \
        .otherwise(pl.concat_str([pl.col("name"), pl.col("spec")], separator=" "))
    lines_of = route.units.with_columns(item.fill_null(pl.col("sku_id")).alias("item"))
    sections = []
    by_point = lines_of.partition_by("pickup_point_id", as_dict=True, maintain_order=True)
    for stop in _stops(route.units).iter_rows(named=True):
        lines = by_point[(stop["pickup_point_id"],)]
        units = int(lines["units"].sum())
        heading = t["pick_heading"].format(
            stop=t["stop"].format(seq=stop["route_seq"]), point=stop["pickup_point_id"],
            name=stop["point_name"] or "", leader=stop["leader_name"] or "", n=units)
        sections.append(Section(frame=lines, heading=(heading,), totals={"sku_id": t["total"], "units": units}))
    title = t["pick_title"].format(route=route.route_id)
    return SheetSpec(title=t["sheet_pick_lists"], columns=columns, sections=tuple(sections), title_line=title,
                     header=((t["route"], route.route_id), (t["run"], ctx.run)), section_breaks=False,
                     footer=title)


def route_book(path: Path, route: RouteUnits, ctx: BookContext) -> BookSpec:
    return BookSpec(path, (*matrix_sheets(route, ctx), pick_list_sheet(route, ctx)),
                    ctx.labels["matrix_title"].format(route=route.route_id))


def write_route_sheets(path: Path, route: RouteUnits, ctx: BookContext) -> None:
    write_workbooks([route_book(path, route, ctx)], created=ctx.created)
