"""Purchase (采购单): per supplier and SKU over all closing listings of the run.

`up` (default): cases = ceil(units / case_pack), purchased = cases * case_pack, surplus the rest.
`down`: case rounding already cut each listing to whole cases, so purchased = allocated.
cost_fen = units_purchased * cost_fen_per_unit. A SKU with no allocated unit is not bought.
Each supplier's purchase order (`prepare_purchase_orders`) holds that supplier's lines alone and
no customer data; its number is `po_number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

PURCHASE_COLUMNS = ["supplier_id", "sku_id", "units_allocated", "case_pack", "case_rounding", "cases",
                    "units_purchased", "surplus_units", "unit_cost_fen", "cost_fen"]


def build_purchase_lines(allocations: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    units = pl.col("units_allocated")
    cases = (units + pl.col("case_pack") - 1) // pl.col("case_pack")
    return (
        allocations.group_by("supplier_id", "sku_id")
        .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units_allocated"))
        .filter(units > 0)
        .join(products.select("sku_id", "case_pack", "case_rounding",
                              pl.col("cost_fen").alias("unit_cost_fen")), on="sku_id", how="left")
        .with_columns(cases.cast(pl.Int64).alias("cases"))
        .with_columns((pl.col("cases") * pl.col("case_pack")).alias("units_purchased"))
        .with_columns(
            (pl.col("units_purchased") - units).alias("surplus_units"),
            (pl.col("units_purchased") * pl.col("unit_cost_fen")).alias("cost_fen"))
        .select(PURCHASE_COLUMNS)
        .sort("supplier_id", "sku_id")
    )


def total_by_supplier(purchase_lines: pl.DataFrame, suppliers: pl.DataFrame) -> pl.DataFrame:
    """One row per supplier with something to deliver: `po_fen` and `below_minimum`."""
    return (
        purchase_lines.group_by("supplier_id")
        .agg(pl.col("cost_fen").sum().cast(pl.Int64).alias("po_fen"),
             pl.col("units_purchased").sum().cast(pl.Int64).alias("units_purchased"))
        .join(suppliers.select("supplier_id", "name", "email", "min_order_fen"),
              on="supplier_id", how="left")
        .with_columns((pl.col("po_fen") < pl.col("min_order_fen").fill_null(0)).alias("below_minimum"))
        .sort("supplier_id")
    )


def po_number(calendar: str, cutoff_date: date | str, supplier_id: str) -> str:
    """`PO-<calendar>-<date>-<supplier_id>`, e.g. PO-nightly-2026-11-21-S1: the purchase order's
    number on its workbook, in its email and in the `emails` table."""
    day = cutoff_date.isoformat() if isinstance(cutoff_date, date) else str(cutoff_date)
    return f"PO-{calendar}-{day}-{supplier_id}"


PO_LINE_COLUMNS = ["sku_id", "name", "spec", "unit", "category", "units_allocated", "case_pack", "cases",
                   "units_purchased", "unit_cost_fen", "cost_fen"]


@dataclass(frozen=True)
class PurchaseOrder:
    supplier_id: str
    name: str
    delivery_window: str | None
    min_order_fen: int
    below_minimum: bool
    lines: pl.DataFrame  # PO_LINE_COLUMNS, this supplier's SKUs only

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
            lines=supplier_lines.select(PO_LINE_COLUMNS)))
    return orders
