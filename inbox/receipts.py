"""Goods-in receipts (inbox/receipts/): what ingest does besides validating the rows.

A receipt is applied once, keyed by `receipt_id` (rulebook "Goods-in"): the same row sent again
(a cumulative export) is skipped; the same id with other content is rejected. One exception: a
receipt the goods-in run of its cutoff turned down (no such purchase line: the cutoff has been
run, and ordered no such supplier and SKU) holds nothing, so a corrected row with its id takes
its place. Whether a receipt matches a purchase line is decided by the goods-in run of its cutoff
(warehouse/goods_in.py, transforms/goods_in.py), not here: a cutoff rerun may change them.
"""

from __future__ import annotations

import polars as pl

from schemas.receipts import CONTENT, DAMAGED_ABOVE_RECEIVED
from warehouse.connection import Warehouse

REUSED = ("duplicate receipt_id '{}' with other content ({} differ from the receipt already held): a receipt "
          "is applied once; a correction of an applied receipt needs a new receipt_id")


def known_receipts(warehouse: Warehouse) -> pl.DataFrame:
    """The receipts held (receipt_requests), with `free`: turned down by their cutoff's goods-in
    run, or sure to be (their cutoff ran successfully and has no such purchase line)."""
    return warehouse.frame(f"""
        SELECT r.receipt_id, {', '.join(f'r.{c}' for c in CONTENT)},
               EXISTS (SELECT 1 FROM runs u WHERE u.calendar = r.calendar AND u.cutoff_date = r.cutoff_date
                                             AND u.status = 'success')
               AND NOT EXISTS (SELECT 1 FROM purchase_lines p
                               WHERE p.calendar = r.calendar AND p.cutoff_date = r.cutoff_date
                                 AND p.supplier_id = r.supplier_id AND p.sku_id = r.sku_id) AS free
        FROM receipt_requests r""")


def settle_receipt_ids(rows: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(the new receipts to hold, the rejects of reused ids, the held receipt ids they replace).

    rows: this ingest's valid receipts (with source_file, source_row, ingest_seq, raw).
    known: known_receipts(). Per id, the reference is the held receipt unless it is free; else
    the first row of this ingest (file, then row order). A row equal to its reference is new (the
    reference itself) or skipped; a row that differs is rejected."""
    held_columns = [pl.col(c).alias(f"_held_{c}") for c in CONTENT]
    ranked = rows.sort("ingest_seq").join(
        known.select("receipt_id", *held_columns, pl.lit(True).alias("_held"), pl.col("free").alias("_free")),
        on="receipt_id", how="left").with_columns(pl.col("_held", "_free").fill_null(False))
    by_held = pl.col("_held") & ~pl.col("_free")
    first = pl.col("receipt_id").is_first_distinct()

    def reference(column: str) -> pl.Expr:
        return pl.when(by_held).then(pl.col(f"_held_{column}")).otherwise(pl.col(column).first().over("receipt_id"))

    same = {c: pl.col(c).eq_missing(reference(c)) for c in CONTENT}
    same_as_held = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"_held_{c}")) for c in CONTENT])
    is_reference = ~by_held & first
    again = pl.col("_held") & is_reference & same_as_held  # a free receipt sent again as it is: held already
    ranked = ranked.with_columns(
        (is_reference & ~again).alias("_new"),
        (~pl.all_horizontal(list(same.values()))).alias("_conflict"),
        pl.concat_str([pl.when(~expr).then(pl.lit(c)) for c, expr in same.items()], separator=", ",
                      ignore_nulls=True).alias("_differ"))
    rejects = ranked.filter("_conflict").select(
        "source_file", pl.col("source_row").alias("row_number"),
        pl.format(REUSED, pl.col("receipt_id"), pl.col("_differ")).alias("reason"), "raw",
        pl.lit("receipts").alias("kind"), pl.lit(None, pl.String).alias("file_hash"),
        pl.lit(None, pl.String).alias("listing_id"), pl.lit(None, pl.Datetime("us", "UTC")).alias("created_at"),
        for_run_label().alias("for_run"), pl.lit(1, pl.Int64).alias("rows_rejected"))
    new = ranked.filter(pl.col("_new") & ~pl.col("_conflict"))
    replaced = new.filter("_held")["receipt_id"].to_list()
    return new.drop([c for c in ranked.columns if c.startswith("_")]), rejects, replaced


def for_run_label() -> pl.Expr:
    """'nightly 2026-11-21': the cutoff a receipt row is for (null when either part is unreadable)."""
    return pl.concat_str([pl.col("calendar"), pl.col("cutoff_date").cast(pl.String)], separator=" ")


def explain_damaged(rejected: pl.DataFrame, typed: pl.DataFrame, row: str) -> pl.DataFrame:
    """The dataframe check's reason with the row's figures: `units_damaged 5 is more than
    units_received 3: ...`."""
    figures = typed.select(row, "units_received", "units_damaged")
    detail = pl.format("units_damaged {} is more than units_received {}: damaged units are counted among the "
                       "units received", pl.col("units_damaged"), pl.col("units_received"))
    return (rejected.join(figures, on=row, how="left")
            .with_columns(pl.col("reason").str.replace(DAMAGED_ABOVE_RECEIVED, detail, literal=True))
            .drop("units_received", "units_damaged"))
