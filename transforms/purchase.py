"""Purchase (采购单): per supplier and SKU over all closing listings of the run.

`up` (default): cases = ceil(units / case_pack), purchased = cases * case_pack, surplus the rest.
`down`: case rounding already cut each listing to whole cases, so purchased = allocated.
cost_fen = units_purchased * cost_fen_per_unit. A SKU with no allocated unit is not bought.
"""

from __future__ import annotations

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
