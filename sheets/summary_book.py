"""summary.xlsx: what the run did, for ops.

The first sheet (运行概况) is an overview that prints on one page: the figures of summary.json,
what to look at (groups not formed, suppliers below their minimum, rejected rows, emails not
sent, warnings: each a count and the sheet that lists it) and net sales by category with a bar
chart. The lists are sheets of their own: sales by category, suppliers (with their email status),
below minimum, groups not formed (closest to forming first), top SKUs, warnings, rejected rows.
Every word in the sheet's language; money from integer fen.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from sheets.labels import BookContext
from sheets.pools_sheet import pools_sheet
from sheets.reasons import reasons_in
from sheets.run_tables import RunTables
from sheets.spec import (
    INT,
    LIST_PRINT_ROWS,
    MONEY,
    TEXT,
    ChartSpec,
    Column,
    Section,
    SheetSpec,
    print_first_note,
)
from sheets.writer import write_workbook
from transforms.groups import rank_unformed_groups

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
    ("fig_fen_forfeit", ("fen", "forfeit"), MONEY),
    ("fig_fen_purchase_cost", ("fen", "purchase_cost"), MONEY),
    ("fig_commission_leader", ("fen", "commission", "leader"), MONEY),
    ("fig_commission_dist_l1", ("fen", "commission", "dist_l1"), MONEY),
    ("fig_commission_dist_l2", ("fen", "commission", "dist_l2"), MONEY),
    ("fig_commission_clawback", ("fen", "commission", "clawback"), MONEY),
]


FIGURE_SCHEMA = {"figure": pl.String, "value": pl.Int64, "amount_fen": pl.Int64, "note": pl.String}
LISTED_ON_SHEETS = ("group_not_formed", "below_supplier_minimum")  # warnings whose list is a sheet of its own


def _lookup(summary: dict, path: tuple[str, ...]):
    value = summary
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def figures_frame(summary: dict, t: dict[str, str]) -> pl.DataFrame:
    """One row per figure: a count in `value` or fen in `amount_fen`, and what it is (`note`,
    the label `note_<figure>` where the labels have one)."""
    rows = []
    for key, path, kind in FIGURES:
        value = _lookup(summary, path)
        rows.append({"figure": t[key], "value": int(value) if kind == INT and value is not None else None,
                     "amount_fen": int(value) if kind == MONEY and value is not None else None,
                     "note": t.get(f"note_{key}")})
    rows.append({"figure": t["fig_suppliers"], "value": len(summary.get("suppliers", [])), "amount_fen": None,
                 "note": t["see_sheet"].format(sheet=t["sheet_suppliers"])})
    return pl.DataFrame(rows, schema=FIGURE_SCHEMA)


def warning_rows(summary: dict, t: dict[str, str]) -> pl.DataFrame:
    """The warnings of summary.json that no other sheet lists, in the sheet's language: a kind
    and its details (a message the labels know in full, else the details as the run wrote them)."""
    rows = []
    for warning in summary.get("warnings", []):
        kind, _, detail = str(warning).partition(": ")
        if kind in LISTED_ON_SHEETS:
            continue
        rows.append({"kind": t.get(f"warn_{kind}", kind), "detail": t.get(f"msg_{kind}", detail)})
    return pl.DataFrame(rows, schema={"kind": pl.String, "detail": pl.String})


def _email_status(status: str | None, t: dict[str, str]) -> str | None:
    return t.get(f"email_{status}", status) if status else None


def todo_frame(summary: dict, tables: RunTables, warnings: int, t: dict[str, str]) -> pl.DataFrame:
    """What to look at: each a count and the sheet that lists it."""
    suppliers = summary.get("suppliers", [])
    below = tables.supplier_totals.filter(pl.col("below_minimum"))
    rows = [
        (t["fig_groups_not_formed"], int(summary.get("groups_not_formed") or 0), None, t["sheet_groups_not_formed"]),
        (t["sheet_below_minimum"], below.height,
         int((below["min_order_fen"].fill_null(0) - below["po_fen"]).sum()) if below.height else None,
         t["sheet_below_minimum"]),
        (t["fig_lines_rejected"], tables.rejects.height, None, t["sheet_rejects"]),
        (t["todo_email_failed"], sum(s.get("email") == "failed" for s in suppliers), None, t["sheet_suppliers"]),
        (t["todo_no_address"], sum(s.get("email") == "no_address" for s in suppliers), None, t["sheet_suppliers"]),
        (t["sheet_warnings"], warnings, None, t["sheet_warnings"]),
    ]
    return pl.DataFrame([{"figure": f, "value": n, "amount_fen": fen, "note": t["see_sheet"].format(sheet=sheet)}
                         for f, n, fen, sheet in rows], schema=FIGURE_SCHEMA)


def category_sales(allocations: pl.DataFrame) -> pl.DataFrame:
    return (
        allocations.group_by("category")
        .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"),
             pl.col("net_fen").sum().cast(pl.Int64).alias("net_fen"))
        .filter(pl.col("units") > 0)
        .sort("net_fen", "category", descending=[True, False], nulls_last=True)
    )


def overview_sheet(tables: RunTables, ctx: BookContext, title: str, warnings: int) -> SheetSpec:
    """The first sheet, one portrait page at 9 pt or more: figures (each with what it is), what to
    look at, sales by category (its chart is on 分类销售, below the table)."""
    t, summary = ctx.labels, tables.summary
    by_category = category_sales(tables.allocations)
    categories = by_category.select(pl.col("category").alias("figure"), pl.col("units").alias("value"),
                                    pl.col("net_fen").alias("amount_fen"), pl.lit(None, pl.String).alias("note"))
    return SheetSpec(
        title=t["sheet_figures"], title_line=title, header=((t["run"], ctx.run), (t["window"], ctx.window)),
        columns=(Column("figure", t["figure"], TEXT, 16, 30), Column("value", t["value"], INT, 10),
                 Column("amount_fen", t["amount"], MONEY, 14), Column("note", t["detail"], TEXT, 30, wrap=True)),
        sections=(Section(figures_frame(summary, t), heading=(t["overview_figures"],)),
                  Section(todo_frame(summary, tables, warnings, t), heading=(t["overview_todo"],)),
                  Section(categories, heading=(t["sheet_categories"],),
                          labels=(t["category"], t["units_allocated"], t["net_sales"], ""),
                          totals={"figure": t["total"], "value": int(by_category["units"].sum()),
                                  "amount_fen": int(by_category["net_fen"].sum())})),
        section_breaks=False, one_page=True, footer=title)


def summary_sheets(tables: RunTables, ctx: BookContext) -> list[SheetSpec]:
    t, summary, master = ctx.labels, tables.summary, tables.master
    title = t["summary_title"].format(run=ctx.run)
    allocated = tables.allocations.filter(pl.col("qty_allocated") > 0)
    warnings = warning_rows(summary, t)

    by_category = category_sales(tables.allocations)
    categories = SheetSpec(
        title=t["sheet_categories"], title_line=title, frame=by_category,
        columns=(Column("category", t["category"], TEXT, 12), Column("units", t["units_allocated"], INT, 10),
                 Column("net_fen", t["net_sales"], MONEY, 14)),
        totals={"category": t["total"], "units": int(by_category["units"].sum()),
                "net_fen": int(by_category["net_fen"].sum())},
        chart=ChartSpec(t["chart_title"], "category", "net_fen"), footer=title, empty_text=t["none"])

    supplier_rows = pl.DataFrame(
        [{"supplier_id": s.get("supplier_id"), "name": s.get("name"), "po_fen": s.get("po_fen"),
          "min_order_fen": s.get("min_order_fen"), "below_minimum": t["yes"] if s.get("below_minimum") else t["no"],
          "email": _email_status(s.get("email"), t), "file": s.get("file")} for s in summary.get("suppliers", [])],
        schema={"supplier_id": pl.String, "name": pl.String, "po_fen": pl.Int64, "min_order_fen": pl.Int64,
                "below_minimum": pl.String, "email": pl.String, "file": pl.String})
    suppliers = SheetSpec(
        title=t["sheet_suppliers"], title_line=title, frame=supplier_rows,
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10), Column("name", t["supplier_name"], TEXT, 16, 40),
                 Column("po_fen", t["po_amount"], MONEY, 14), Column("min_order_fen", t["minimum"], MONEY, 12),
                 Column("below_minimum", t["below_minimum"], TEXT, 8), Column("email", t["email_status"], TEXT, 8),
                 Column("file", t["file"], TEXT, 16)),
        totals={"supplier_id": t["total"], "po_fen": int(supplier_rows["po_fen"].sum() or 0)}, autofilter=True,
        landscape=True, footer=title, empty_text=t["none"])

    below = (
        tables.supplier_totals.filter(pl.col("below_minimum"))
        .select("supplier_id", "name", "po_fen", pl.col("min_order_fen").fill_null(0),
                (pl.col("min_order_fen").fill_null(0) - pl.col("po_fen")).alias("shortfall_fen"))
        .sort("shortfall_fen", "supplier_id")
    )
    below_minimum = SheetSpec(
        title=t["sheet_below_minimum"], title_line=title, frame=below,
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10), Column("name", t["supplier_name"], TEXT, 16, 40),
                 Column("po_fen", t["po_amount"], MONEY, 14), Column("min_order_fen", t["minimum"], MONEY, 14),
                 Column("shortfall_fen", t["shortfall"], MONEY, 14)),
        footer=title, empty_text=t["none"])

    not_formed = rank_unformed_groups(tables.groups, master.listings, master.products) \
        .with_columns(pl.col("group_pickup_point_id").fill_null(t["all_points"]))
    groups_sheet = SheetSpec(
        title=t["sheet_groups_not_formed"], title_line=title, frame=not_formed,
        columns=(Column("listing_id", t["listing"], TEXT, 10), Column("sku_id", t["sku"], TEXT, 10),
                 Column("name", t["name"], TEXT, 16, 40), Column("group_pickup_point_id", t["group_point"], TEXT, 12),
                 Column("units", t["units"], INT, 8), Column("min_qty", t["min_qty"], INT, 8),
                 Column("units_short", t["units_short"], INT, 8),
                 Column("participants", t["participants"], INT, 8),
                 Column("lowest_threshold", t["lowest_threshold"], INT, 8),
                 Column("participants_short", t["participants_short"], INT, 8)),
        landscape=True, autofilter=True, footer=title, empty_text=t["none"],
        notes=print_first_note(not_formed.height, t), print_rows=LIST_PRINT_ROWS)

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
        footer=title, empty_text=t["none"])

    warnings_sheet = SheetSpec(
        title=t["sheet_warnings"], title_line=title, frame=warnings,
        columns=(Column("kind", t["kind"], TEXT, 14, 24), Column("detail", t["detail"], TEXT, 100, wrap=True)),
        landscape=True, footer=title, empty_text=t["none"])

    reject_frame = reasons_in(rejects_frame(tables.rejects), ctx.lang)
    rejects_sheet = SheetSpec(
        title=t["sheet_rejects"], title_line=title, frame=reject_frame,
        columns=(Column("source_file", t["source_file"], TEXT, 24, wrap=True),
                 Column("row_number", t["row_number"], INT, 6), Column("reason", t["reason"], TEXT, 44, wrap=True),
                 Column("raw", t["raw"], TEXT, 56, wrap=True)),
        landscape=True, autofilter=True, footer=title, empty_text=t["none"],
        notes=print_first_note(reject_frame.height, t), print_rows=LIST_PRINT_ROWS)
    pools = [pools_sheet(summary["pools"], ctx.lang, title, ctx.run)] if summary.get("pools") else []
    return [overview_sheet(tables, ctx, title, warnings.height), categories, suppliers, below_minimum, groups_sheet,
            top_skus, *pools, warnings_sheet, rejects_sheet]


REJECT_SCHEMA = {"source_file": pl.String, "row_number": pl.Int64, "reason": pl.String, "raw": pl.String}


def rejects_frame(rejects: pl.DataFrame) -> pl.DataFrame:
    """The rejected rows with the contract's four columns (a run without rejects may pass an
    empty frame without columns)."""
    if rejects.height == 0:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    return rejects.select(pl.col(c).cast(kind) if c in rejects.columns else pl.lit(None, kind).alias(c)
                          for c, kind in REJECT_SCHEMA.items())


def write_summary_book(path: Path, tables: RunTables, ctx: BookContext) -> None:
    write_workbook(path, summary_sheets(tables, ctx), title=ctx.labels["summary_title"].format(run=ctx.run),
                   created=ctx.created)
