"""Pickup scans (inbox/pickups/, 核销): ingested by a report run (`cutoff report`), each file once.

Rows are validated like every input (a malformed time or line number, a bad id: to `rejects`).
Then a scan must be of a line with something to hand out (transforms.fulfilment.reject_pickups):
an unknown order line, or one with no units allocated after shortages, is rejected too. Of the
scans of one line, the earliest counts (`pickups` keeps it: a later scan changes nothing, an
earlier one in a later file replaces it). The rows, the rejects and the registry are written in
one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from inbox.ingest import PICKUPS, known_state, read_inbox, validate_inbox
from inbox.master import Master
from schemas.pickups import StoredPickups
from transforms.fulfilment import LINE_KEY, reject_pickups, units_to_hand_out
from warehouse.connection import Warehouse

STORED = list(StoredPickups.to_schema().columns)


@dataclass(frozen=True)
class PickupIngest:
    files: int      # new files read
    rows: int       # their rows
    loaded: int     # valid scans (before keeping the earliest of each line)
    rejected: int   # rows rejected (whole files count their rows)


def lines_to_hand_out(warehouse: Warehouse) -> pl.DataFrame:
    """Every cutoff's lines with units to hand out (qty_allocated minus shortage units)."""
    allocations = warehouse.frame("""
        SELECT calendar, cutoff_date, order_id, line_no, qty_allocated FROM allocations WHERE qty_allocated > 0""")
    shortages = warehouse.frame("SELECT order_id, line_no, units_short FROM shortages")
    return units_to_hand_out(allocations, shortages)


def known_lines(warehouse: Warehouse) -> pl.DataFrame:
    return warehouse.frame("SELECT DISTINCT order_id, line_no FROM order_lines")


def _reject_rows(bad: pl.DataFrame, registry: pl.DataFrame, ingested_by: str) -> pl.DataFrame:
    """Scans turned down for their line, as `rejects` rows."""
    files = registry.select(pl.col("path").alias("source_file"), "file_hash", "file_seq") if registry.height else \
        pl.DataFrame(schema={"source_file": pl.String, "file_hash": pl.String, "file_seq": pl.Int64})
    return (bad.join(files, on="source_file", how="left")
            .select("source_file", pl.col("source_row").cast(pl.Int64).alias("row_number"), "reason", "raw",
                    pl.lit(PICKUPS).alias("kind"), "file_hash", pl.lit(None, pl.String).alias("listing_id"),
                    pl.lit(None, pl.Datetime("us", "UTC")).alias("created_at"), "order_id",
                    pl.col("line_no").cast(pl.String), "file_seq", pl.lit(1, pl.Int64).alias("rows_rejected"),
                    pl.lit(ingested_by).alias("ingested_by")))


def _recount(registry: pl.DataFrame, bad: pl.DataFrame) -> pl.DataFrame:
    """The registry's rows_loaded / rows_rejected with the scans turned down for their line."""
    if registry.height == 0 or bad.height == 0:
        return registry
    per_file = bad.group_by(pl.col("source_file").alias("path")).agg(pl.len().cast(pl.Int64).alias("_bad"))
    return (registry.join(per_file, on="path", how="left")
            .with_columns((pl.col("rows_loaded") - pl.col("_bad").fill_null(0)).alias("rows_loaded"),
                          (pl.col("rows_rejected") + pl.col("_bad").fill_null(0)).alias("rows_rejected"))
            .drop("_bad"))


def earliest_of_batch(scans: pl.DataFrame) -> pl.DataFrame:
    """One row per line: its earliest scan of this batch (on a tie, the one ingested first)."""
    return (scans.sort("picked_up_at", "ingest_seq")
            .unique(subset=LINE_KEY, keep="first", maintain_order=True)
            .select(STORED))


def store_earliest_scans(warehouse: Warehouse, scans: pl.DataFrame) -> None:
    """Keep the earliest scan of each line (call inside a transaction)."""
    if scans.height == 0:
        return
    incoming = earliest_of_batch(scans)
    StoredPickups.validate(incoming)
    warehouse.con.register("_scans", incoming)
    try:
        warehouse.execute("""
            DELETE FROM pickups p USING _scans n
            WHERE p.order_id = n.order_id AND p.line_no = n.line_no AND n.picked_up_at < p.picked_up_at""")
        warehouse.execute("""
            INSERT INTO pickups BY NAME SELECT n.* FROM _scans n ANTI JOIN pickups p USING (order_id, line_no)""")
    finally:
        warehouse.con.unregister("_scans")


def ingest_pickups(warehouse: Warehouse, data_dir: Path, master: Master, tz: str, ingested_by: str,
                   ready_marker: str = "") -> PickupIngest:
    """Every new file of inbox/pickups/: validated, the scans of lines with nothing to hand out
    rejected, the earliest scan of each line kept, in one transaction."""
    hashes, next_seq, known_refunds = known_state(warehouse)
    files = read_inbox(data_dir, hashes, ready_marker, kinds=(PICKUPS,))
    if not files:
        return PickupIngest(0, 0, 0, 0)
    inbox = validate_inbox(files, master, tz, next_seq, known_refunds, ingested_by)
    scans = inbox.pickups
    good, bad = (reject_pickups(scans, known_lines(warehouse), lines_to_hand_out(warehouse)) if scans.height
                 else (scans, pl.DataFrame()))
    rejects = [r for r in (inbox.rejects, _reject_rows(bad, inbox.registry, ingested_by) if bad.height else None)
               if r is not None and r.height]
    registry = _recount(inbox.registry, bad)
    with warehouse.transaction():
        store_earliest_scans(warehouse, good)
        if rejects:
            warehouse.insert("rejects", pl.concat(rejects, how="diagonal_relaxed"))
        warehouse.insert("ingested_files", registry)
    rejected = int(registry["rows_rejected"].sum()) if registry.height else 0
    return PickupIngest(len(files), inbox.rows_read, good.height, rejected)
