"""summary.xlsx: what the run did, for ops. The figures of summary.json, net sales by category with
a bar chart, the suppliers and those below their minimum, the groups that did not form, the top
SKUs and the rejected rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sheets.labels import BookContext
from sheets.run_tables import RunTables
from sheets.spec import INT, MONEY, TEXT, ChartSpec, Column, SheetSpec
from sheets.writer import write_workbook

TOP_SKUS = 20
FIGURES = [  # (label key, path in summary.json, kind)
    ("fig_listings_closed", ("listings_closed",), INT),
    ("fig_groups_not_formed", ("groups_not_formed",), INT),
    ("fig_lines_eligible", ("order_lines", "eligible"), INT),
    ("fig_lines_allocated", ("order_lines", "allocated"), INT),
    ("fig_lines_cut", ("order_lines", "cut"), INT),
    ("fig_lines_rejected", ("order_lines", "rejected"), INT),
    ("fig_units_ordered", ("units", "ordered"), INT),
    ("fig_units_allocated", ("units", "allocated"), INT),
    ("fig_units_purchased", ("units", "purchased"), INT),
    ("fig_units_surplus", ("units", "surplus"), INT),
    ("fig_fen_paid", ("fen", "paid"), MONEY),
    ("fig_fen_net", ("fen", "net"), MONEY),
    ("fig_fen_refund", ("fen", "refund"), MONEY),
    ("fig_fen_purchase_cost", ("fen", "purchase_cost"), MONEY),
    ("fig_commission_leader", ("fen", "commission", "leader"), MONEY),
    ("fig_commission_dist_l1", ("fen", "commission", "dist_l1"), MONEY),
    ("fig_commission_dist_l2", ("fen", "commission", "dist_l2"), MONEY),
    ("fig_commission_clawback", ("fen", "commission", "clawback"), MONEY),
]


def _lookup(summary: dict, path: tuple[str, ...]):
    value = summary
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def figures_frame(summary: dict, t: dict[str, str]) -> pl.DataFrame:
    """One row per figure: a count in `value` or fen in `amount_fen`; then one row per warning."""
    rows = []
    for key, path, kind in FIGURES:
        value = _lookup(summary, path)
        rows.append({"figure": t[key], "value": int(value) if kind == INT and value is not None else None,
                     "amount_fen": int(value) if kind == MONEY and value is not None else None, "note": None})
    rows.append({"figure": t["fig_suppliers"], "value": len(summary.get("suppliers", [])), "amount_fen": None,
                 "note": None})
    rows += [{"figure": t["fig_warnings"], "value": None, "amount_fen": None, "note": str(w)}
             for w in summary.get("warnings", [])]
    return pl.DataFrame(rows, schema={"figure": pl.String, "value": pl.Int64, "amount_fen": pl.Int64,
                                      "note": pl.String})


REJECT_SCHEMA = {"source_file": pl.String, "row_number": pl.Int64, "reason": pl.String, "raw": pl.String}


def rejects_frame(rejects: pl.DataFrame) -> pl.DataFrame:
    """The rejected rows with the contract's four columns (a run without rejects may pass an
    empty frame without columns)."""
    if rejects.height == 0:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    return rejects.select(pl.col(c).cast(kind) if c in rejects.columns else pl.lit(None, kind).alias(c)
                          for c, kind in REJECT_SCHEMA.items())


def summary_sheets(tables: RunTables, ctx: BookContext) -> list[SheetSpec]:
    t, summary, master = ctx.labels, tables.summary, tables.master
    title = t["summary_title"].format(run=ctx.run)
    header = ((t["run"], ctx.run), (t["window"], ctx.window))
    allocated = tables.allocations.filter(pl.col("qty_allocated") > 0)

    figures = SheetSpec(
        title=t["sheet_figures"], title_line=title, header=header, frame=figures_frame(summary, t),
        columns=(Column("figure", t["figure"], TEXT, 16), Column("value", t["value"], INT, 10),
                 Column("amount_fen", t["amount"], MONEY, 14), Column("note", t["reason"], TEXT, 20, 80)),
        footer=title)

    by_category = (
        tables.allocations.group_by("category")
        .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"),
             pl.col("net_fen").sum().cast(pl.Int64).alias("net_fen"))
        .filter(pl.col("units") > 0)
        .sort("net_fen", "category", descending=[True, False], nulls_last=True)
    )
    categories = SheetSpec(
        title=t["sheet_categories"], title_line=title, frame=by_category,
        columns=(Column("category", t["category"], TEXT, 12), Column("units", t["units_allocated"], INT, 10),
                 Column("net_fen", t["net_sales"], MONEY, 14)),
        totals={"category": t["total"], "units": int(by_category["units"].sum()),
                "net_fen": int(by_category["net_fen"].sum())},
        chart=ChartSpec(t["chart_title"], "category", "net_fen"), footer=title)

    supplier_rows = pl.DataFrame(
        [{"supplier_id": s.get("supplier_id"), "name": s.get("name"), "po_fen": s.get("po_fen"),
          "min_order_fen": s.get("min_order_fen"), "below_minimum": t["yes"] if s.get("below_minimum") else t["no"],
          "email": s.get("email") or None, "file": s.get("file")} for s in summary.get("suppliers", [])],
        schema={"supplier_id": pl.String, "name": pl.String, "po_fen": pl.Int64, "min_order_fen": pl.Int64,
                "below_minimum": pl.String, "email": pl.String, "file": pl.String})
    suppliers = SheetSpec(
        title=t["sheet_suppliers"], title_line=title, frame=supplier_rows,
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10), Column("name", t["supplier_name"], TEXT, 16, 40),
                 Column("po_fen", t["po_amount"], MONEY, 14), Column("min_order_fen", t["minimum"], MONEY, 12),
                 Column("below_minimum", t["below_minimum"], TEXT, 8), Column("email", t["email_status"], TEXT, 8),
                 Column("file", t["file"], TEXT, 16)),
        totals={"supplier_id": t["total"], "po_fen": int(supplier_rows["po_fen"].sum() or 0)}, footer=title)

    below = (
        tables.supplier_totals.filter(pl.col("below_minimum"))
        .select("supplier_id", "name", "po_fen", pl.col("min_order_fen").fill_null(0),
                (pl.col("min_order_fen").fill_null(0) - pl.col("po_fen")).alias("shortfall_fen"))
    )
    below_minimum = SheetSpec(
        title=t["sheet_below_minimum"], title_line=title, frame=below,
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10), Column("name", t["supplier_name"], TEXT, 16, 40),
                 Column("po_fen", t["po_amount"], MONEY, 14), Column("min_order_fen", t["minimum"], MONEY, 14),
                 Column("shortfall_fen", t["shortfall"], MONEY, 14)),
        footer=title)

    groups = tables.groups
    not_formed = (
        groups.filter(~pl.col("is_formed"))
        .join(master.listings.select("listing_id", "sku_id"), on="listing_id", how="left")
        .join(master.products.select("sku_id", "name"), on="sku_id", how="left")
        .select("listing_id", "sku_id", "name", pl.col("group_pickup_point_id").fill_null(t["all_points"]),
                "units", "min_qty", "participants", "lowest_threshold")
        .sort("listing_id", "group_pickup_point_id")
    ) if groups.height else pl.DataFrame(schema={
        "listing_id": pl.String, "sku_id": pl.String, "name": pl.String, "group_pickup_point_id": pl.String,
        "units": pl.Int64, "min_qty": pl.Int64, "participants": pl.Int64, "lowest_threshold": pl.Int64})
    groups_sheet = SheetSpec(
        title=t["sheet_groups_not_formed"], title_line=title, frame=not_formed,
        columns=(Column("listing_id", t["listing"], TEXT, 10), Column("sku_id", t["sku"], TEXT, 10),
                 Column("name", t["name"], TEXT, 16, 40), Column("group_pickup_point_id", t["group_point"], TEXT, 12),
                 Column("units", t["units"], INT, 8), Column("min_qty", t["min_qty"], INT, 8),
                 Column("participants", t["participants"], INT, 8),
                 Column("lowest_threshold", t["lowest_threshold"], INT, 8)),
        footer=title)

    top = (
        allocated.group_by("sku_id")
        .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"), pl.col("net_fen").sum().cast(pl.Int64))
        .join(master.products.select("sku_id", "name", "category"), on="sku_id", how="left")
        .sort(["net_fen", "units", "sku_id"], descending=[True, True, False])
        .head(TOP_SKUS)
    )
    top_skus = SheetSpec(
        title=t["sheet_top_skus"], title_line=title, frame=top,
        columns=(Column("sku_id", t["sku"], TEXT, 10), Column("name", t["name"], TEXT, 16, 40),
                 Column("category", t["category"], TEXT, 8), Column("units", t["units_allocated"], INT, 10),
                 Column("net_fen", t["net_sales"], MONEY, 14)),
        footer=title)

    reject_frame = rejects_frame(tables.rejects)
    rejects_sheet = SheetSpec(
        title=t["sheet_rejects"], title_line=title, frame=reject_frame,
        columns=(Column("source_file", t["source_file"], TEXT, 14, 30), Column("row_number", t["row_number"], INT, 6),
                 Column("reason", t["reason"], TEXT, 20, 60), Column("raw", t["raw"], TEXT, 20, 80)),
        landscape=True, footer=title)
    return [figures, categories, suppliers, below_minimum, groups_sheet, top_skus, rejects_sheet]


def write_summary_book(path: Path, tables: RunTables, ctx: BookContext) -> None:
    write_workbook(path, summary_sheets(tables, ctx), title=ctx.labels["summary_title"].format(run=ctx.run),
                   created=ctx.created)
