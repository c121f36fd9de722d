"""purchase/<supplier_id>.xlsx: the purchase order (采购单) of one supplier.

Sheet 1: the header block (platform, PO number, supplier, warehouse address, cutoff, delivery
window, generated at), a visible note when the order is below the supplier's minimum, then one
row per SKU and a totals row. Sheet 2: subtotals by category. Built from `purchase_lines` and
the product master only: no customer data can reach a supplier.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from flows.sheets.labels import BookContext
from flows.sheets.writer import INT, MONEY, TEXT, BookSpec, Column, SheetSpec, po_number, write_workbooks, yuan_text

LINE_COLUMNS = ["sku_id", "name", "spec", "unit", "category", "units_allocated", "case_pack", "cases",
                "units_purchased", "unit_cost_fen", "cost_fen"]


@dataclass(frozen=True)
class PurchaseOrder:
    supplier_id: str
    name: str
    delivery_window: str | None
    min_order_fen: int
    below_minimum: bool
    lines: pl.DataFrame  # LINE_COLUMNS, this supplier's SKUs only

    @property
    def total_fen(self) -> int:
        return int(self.lines["cost_fen"].sum())


def prepare_purchase_orders(purchase_lines: pl.DataFrame, supplier_totals: pl.DataFrame,
                            suppliers: pl.DataFrame, products: pl.DataFrame) -> list[PurchaseOrder]:
    """One order per supplier with something to deliver, lines sorted by category then SKU."""
    lines = (
        purchase_lines.filter(pl.col("units_allocated") > 0)
        .join(products.select("sku_id", "name", "spec", "unit", "category"), on="sku_id", how="left")
        .sort("supplier_id", "category", "sku_id", nulls_last=True)
    )
    info = (
        supplier_totals.select("supplier_id", "below_minimum")
        .join(suppliers.select("supplier_id", "name", "delivery_window", "min_order_fen"),
              on="supplier_id", how="left")
    )
    by_supplier = lines.partition_by("supplier_id", as_dict=True, include_key=False, maintain_order=True)
    orders = []
    for row in info.sort("supplier_id").iter_rows(named=True):
        supplier_lines = by_supplier.get((row["supplier_id"],))
        if supplier_lines is None or supplier_lines.height == 0:
            continue
        orders.append(PurchaseOrder(
            supplier_id=row["supplier_id"], name=row["name"] or "", delivery_window=row["delivery_window"],
            min_order_fen=int(row["min_order_fen"] or 0), below_minimum=bool(row["below_minimum"]),
            lines=supplier_lines.select(LINE_COLUMNS)))
    return orders


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
    columns = (
        Column("sku_id", t["sku"], TEXT, 10),
        Column("name", t["name"], TEXT, 16, 40),
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
                            header=header, notes=notes, totals=totals, footer=f"{title} {number}")

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
