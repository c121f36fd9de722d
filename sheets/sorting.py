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


POINTS_PER_PAGE = 8  # pickup-point columns on one landscape page, with the SKU and total columns: 9 pt or more
PICK_ROWS_PER_PAGE = 40  # pick-list lines on a portrait page under the route's title rows, a heading and labels


def matrix_blocks(stops: int, per_page: int | None = None) -> list[tuple[int, int]]:
    """The stops (0-based, end exclusive) of each block of matrix columns: as few blocks as fit
    `per_page` (POINTS_PER_PAGE) points each, of about equal size (20 stops: 7, 7, 6; never 8, 8, 4)."""
    blocks = max(1, -(-stops // (per_page or POINTS_PER_PAGE)))
    size, extra = divmod(stops, blocks)
    bounds, start = [], 0
    for number in range(blocks):
        end = start + size + (1 if number < extra else 0)
        bounds.append((start, end))
        start = end
    return bounds


def _sku_columns(t: dict) -> tuple[Column, ...]:
    return (Column("category", t["category"], TEXT, 6, 10), Column("sku_id", t["sku"], TEXT, 8, 12),
            Column("name", t["name"], TEXT, 24, wrap=True), Column("spec", t["spec"], TEXT, 6, 12),
            Column("unit", t["unit"], TEXT, 4, 6))


def matrix_sheets(route: RouteUnits, ctx: BookContext, changed: pl.DataFrame | None = None) -> list[SheetSpec]:
    """The matrix, in blocks of at most POINTS_PER_PAGE pickup points: a sheet each, printed one
    page wide at a readable size, with the SKUs its stops get (a SKU none of them gets is left off
    that block), the category and SKU columns, and the block's total per SKU, labelled with its
    stops. A route of more blocks than one starts with its totals per SKU (线路合计). `changed`
    (pickup_point_id, sku_id): the lines a re-issued book marks (a row of a SKU that one of the
    block's stops lost is filled, and kept when nothing is left of it)."""
    t = ctx.labels
    stops = _stops(route.units).with_row_index("stop").with_columns(
        pl.format("p{}", pl.col("stop")).alias("key"))
    cells = route.units.join(stops.select("pickup_point_id", "key"), on="pickup_point_id")
    keys = stops["key"].to_list()
    skus = route.units.select(SKU_COLUMNS).unique("sku_id")
    if changed is not None and changed.height:  # a SKU a stop lost entirely still has its row, marked
        skus = pl.concat([skus, changed.select("sku_id").unique().join(skus, on="sku_id", how="anti")
                          .join(changed.select(SKU_COLUMNS).unique("sku_id"), on="sku_id", how="left")],
                         how="diagonal_relaxed")
    matrix = (
        skus.select("sku_id").join(
            cells.pivot(on="key", index="sku_id", values="units", aggregate_function=None, on_columns=keys),
            on="sku_id", how="left")
        .join(skus, on="sku_id", how="left")
        .with_columns(pl.sum_horizontal(keys).cast(pl.Int64).alias("sku_total"))
        .sort(SKU_ORDER, nulls_last=True)
    )
    point_columns = [
        Column(row["key"], f"{row['route_seq']}\n{row['pickup_point_id']}\n{row['point_name'] or ''}".rstrip(),
               INT, 7, 7)
        for row in stops.iter_rows(named=True)]
    sku_columns = _sku_columns(t)
    title = t["matrix_title"].format(route=route.route_id)
    header = ((t["route"], route.route_id), (t["run"], ctx.run), (t["cutoff_at"], ctx.cutoff_at),
              (t["stops"], stops.height))
    blocks = matrix_blocks(stops.height)
    sheets = []
    if len(blocks) > 1:
        sheets.append(route_totals_sheet(matrix, route, ctx, title, header, changed))
    for first, last in blocks:
        # a block's point columns keyed by their place in it (b0, b1, ...): blocks of the same width,
        # of every route, are rendered together (sheets/cells.py render_bodies)
        block_keys = {keys[n]: f"b{n - first}" for n in range(first, last)}
        block_frame = matrix.rename(block_keys).with_columns(
            pl.sum_horizontal(list(block_keys.values())).cast(pl.Int64).alias("block_total"))
        mark = None
        if changed is not None:
            lost = changed.filter(pl.col("pickup_point_id").is_in(stops["pickup_point_id"][first:last].to_list()))
            block_frame = block_frame.with_columns(pl.col("sku_id").is_in(lost["sku_id"].to_list()).alias("_changed"))
            mark = "_changed"
        kept = pl.col("block_total") > 0
        block_frame = block_frame.filter(kept | pl.col(mark) if mark else kept)
        several = len(blocks) > 1
        total_label = t["block_total"].format(first=first + 1, last=last) if several else t["total"]
        columns = (*sku_columns, *(replace(c, key=block_keys[c.key]) for c in point_columns[first:last]),
                   Column("block_total", total_label, INT, 7))
        totals = {"category": t["total"], **{k: int(block_frame[k].sum()) for k in block_keys.values()},
                  "block_total": int(block_frame["block_total"].sum())}
        name, line = t["sheet_matrix"], title
        if several:
            block = t["matrix_block"].format(first=first + 1, last=last, stops=stops.height)
            name, line = f"{name} {first + 1}-{last}", f"{title} · {block}"
        sheets.append(SheetSpec(
            title=name, columns=columns,
            frame=block_frame.select(*(c.key for c in columns), *([mark] if mark else [])), title_line=line,
            header=header, totals=totals, landscape=True, freeze_columns=3, footer=line, mark_key=mark))
    return sheets


def route_totals_sheet(matrix: pl.DataFrame, route: RouteUnits, ctx: BookContext, title: str, header: tuple,
                       changed: pl.DataFrame | None = None) -> SheetSpec:
    """The route's total per SKU (a route printed in several blocks): what leaves the warehouse
    on the route, the figure each block's page total is a part of."""
    t = ctx.labels
    columns = (*_sku_columns(t), Column("sku_total", t["route_total"].format(stops=route.units["pickup_point_id"]
                                                                          .n_unique()), INT, 8))
    frame = matrix.select(*(c.key for c in columns))
    mark = None
    if changed is not None:
        frame = frame.with_columns(pl.col("sku_id").is_in(changed["sku_id"].to_list()).alias("_changed"))
        mark = "_changed"
    line = f"{title} · {t['sheet_route_totals']}"
    return SheetSpec(title=t["sheet_route_totals"], columns=columns, frame=frame, title_line=line, header=header,
                     totals={"category": t["total"], "sku_total": int(matrix["sku_total"].sum())},
                     freeze_columns=3, footer=line, mark_key=mark)


def _page_parts(lines: pl.DataFrame, per_page: int) -> list[pl.DataFrame]:
    return [lines.slice(start, per_page) for start in range(0, max(lines.height, 1), per_page)]


def pick_list_sheet(route: RouteUnits, ctx: BookContext, changed: pl.DataFrame | None = None) -> SheetSpec:
    """The pick lists: each pickup point's on a page of its own (a page each PICK_ROWS_PER_PAGE
    lines: a long one goes on over pages, each headed with its stop, 续 and the column labels).
    Its last page ends with the stop's total; a page it goes on from ends with that page's
    units. `changed` (pickup_point_id, sku_id): lines a re-issued book marks (filled)."""
    t = ctx.labels
    columns = (Column("sku_id", t["sku"], TEXT, 10), Column("item", t["item"], TEXT, 24, 48),
               Column("unit", t["unit"], TEXT, 5, 8), Column("units", t["units"], INT, 8))
    item = pl.when(pl.col("spec").is_null() | (pl.col("spec") == "")).then(pl.col("name")) \
        .otherwise(pl.concat_str([pl.col("name"), pl.col("spec")], separator=" "))
    lines_of = route.units.with_columns(item.fill_null(pl.col("sku_id")).alias("item"))
    mark = None
    if changed is not None:
        lost = changed.select("pickup_point_id", "sku_id", pl.lit(True).alias("_changed"))
        lines_of = lines_of.join(lost, on=["pickup_point_id", "sku_id"], how="left").with_columns(
            pl.col("_changed").fill_null(False))
        mark = "_changed"
    sections = []
    by_point = lines_of.partition_by("pickup_point_id", as_dict=True, maintain_order=True)
    for stop in _stops(route.units).iter_rows(named=True):
        lines = by_point[(stop["pickup_point_id"],)]
        units = int(lines["units"].sum())
        where = t["stop"].format(seq=stop["route_seq"])
        heading = t["pick_heading"].format(stop=where, point=stop["pickup_point_id"],
                                           name=stop["point_name"] or "", leader=stop["leader_name"] or "", n=units)
        parts = _page_parts(lines, PICK_ROWS_PER_PAGE)
        for number, part in enumerate(parts, 1):
            last = number == len(parts)
            shown = heading if len(parts) == 1 else t["pick_heading_part"].format(heading=heading, part=number,
                                                                                  parts=len(parts))
            total = (t["stop_total"].format(stop=where), units) if last else \
                (t["page_subtotal"], int(part["units"].sum()))
            sections.append(Section(frame=part, heading=(shown,), totals={"sku_id": total[0], "units": total[1]}))
    title = t["pick_title"].format(route=route.route_id)
    return SheetSpec(title=t["sheet_pick_lists"], columns=columns, sections=tuple(sections), title_line=title,
                     header=((t["route"], route.route_id), (t["run"], ctx.run)), section_breaks=True,
                     footer=title, mark_key=mark)


def route_book(path: Path, route: RouteUnits, ctx: BookContext) -> BookSpec:
    return BookSpec(path, (*matrix_sheets(route, ctx), pick_list_sheet(route, ctx)),
                    ctx.labels["matrix_title"].format(route=route.route_id))


def write_route_sheets(path: Path, route: RouteUnits, ctx: BookContext) -> None:
    write_workbooks([route_book(path, route, ctx)], created=ctx.created)
