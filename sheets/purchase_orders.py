"""purchase/<supplier_id>.xlsx: the purchase order (采购单) of one supplier.

Sheet 1: the header block (platform, PO number, supplier, warehouse address, cutoff, delivery
window, generated at), a visible note when the order is below the supplier's minimum, then one
row per SKU and a totals row. Sheet 2: subtotals by category. Built from `purchase_lines` and
the product master only (transforms/purchase.py `prepare_purchase_orders`): no customer data can
reach a supplier.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sheets.labels import BookContext
from sheets.spec import INT, MONEY, TEXT, BookSpec, Column, SheetSpec, yuan_text
from sheets.writer import write_workbooks
from transforms.purchase import PurchaseOrder, po_number


def purchase_order_sheets(order: PurchaseOrder, ctx: BookContext) -> list[SheetSpec]:
    t = ctx.labels
    lines, total = order.lines, order.total_fen
    number = po_number(ctx.calendar, ctx.cutoff_date, order.supplier_id)
    header = (
        (t["po_number"], number),
        (t["supplier"], f"{order.supplier_id} {order.name}".strip()),
        (t["ship_to"], ctx.warehouse_address),
        (t["run"], ctx.run),
        (t["cutoff_at"], ctx.cutoff_at),
        (t["delivery_window"], order.delivery_window or ""),
        (t["generated_at"], ctx.generated_at),
    )
    notes = (t["below_minimum_note"].format(amount=yuan_text(total), minimum=yuan_text(order.min_order_fen)),) \
        if order.below_minimum else ()
    columns = (  # landscape A4 at 11 pt: ten columns; a name past 30 wraps
        Column("sku_id", t["sku"], TEXT, 10),
        Column("name", t["name"], TEXT, 30, wrap=True),
        Column("spec", t["spec"], TEXT, 8, 20),
        Column("unit", t["unit"], TEXT, 5),
        Column("units_allocated", t["units_ordered"], INT, 8),
        Column("case_pack", t["case_pack"], INT, 6),
        Column("cases", t["cases"], INT, 6),
        Column("units_purchased", t["units_to_deliver"], INT, 8),
        Column("unit_cost_fen", t["unit_cost"], MONEY, 10),
        Column("cost_fen", t["amount"], MONEY, 12),
    )
    totals = {"sku_id": t["total"], "units_allocated": int(lines["units_allocated"].sum()),
              "cases": int(lines["cases"].sum()), "units_purchased": int(lines["units_purchased"].sum()),
              "cost_fen": total}
    title = t["po_title"].format(platform=ctx.platform_name)
    order_sheet = SheetSpec(title=t["sheet_po"], columns=columns, frame=lines, title_line=title,
                            header=header, notes=notes, totals=totals, footer=f"{title} {number}", landscape=True)

    by_category = (
        lines.group_by("category")
        .agg(pl.len().cast(pl.Int64).alias("sku_count"), pl.col("units_purchased").sum(),
             pl.col("cost_fen").sum())
        .sort("category", nulls_last=True)
    )
    category_sheet = SheetSpec(
        title=t["sheet_po_categories"],
        columns=(Column("category", t["category"], TEXT, 12), Column("sku_count", t["sku_count"], INT, 8),
                 Column("units_purchased", t["units_to_deliver"], INT, 10),
                 Column("cost_fen", t["amount"], MONEY, 14)),
        frame=by_category, title_line=title, header=((t["po_number"], number), header[1]),
        totals={"category": t["total"], "sku_count": lines.height,
                "units_purchased": int(lines["units_purchased"].sum()), "cost_fen": total},
        footer=f"{title} {number}")
    return [order_sheet, category_sheet]


def purchase_order_book(path: Path, order: PurchaseOrder, ctx: BookContext) -> BookSpec:
    return BookSpec(path, tuple(purchase_order_sheets(order, ctx)),
                    po_number(ctx.calendar, ctx.cutoff_date, order.supplier_id))


def write_purchase_order(path: Path, order: PurchaseOrder, ctx: BookContext) -> None:
    write_workbooks([purchase_order_book(path, order, ctx)], created=ctx.created)
