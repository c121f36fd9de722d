"""The queries the cutoff flow needs, as functions of the warehouse and plain values. The rules that
decide from what they return are in transforms/ (e.g. transforms/rejects.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import polars as pl

from schemas.orders import SEQ_PER_FILE
from schemas.runs import RunLog, Runs
from warehouse.connection import Warehouse
from warehouse.tables import BY_NAME

RUN_FIGURES = ("listings_closed", "lines_eligible", "lines_allocated", "lines_cut", "lines_rejected",
               "units_allocated", "net_fen", "purchase_cost_fen")


def reject_facts(warehouse: Warehouse) -> pl.DataFrame:
    """Every row of `rejects`, with the facts transforms/rejects.py decides from: `listing_known`
    (its listing is in the master data), `corrected` (an order row whose line has a good version
    ingested after it), `re_exported` (its file's path was ingested again later)."""
    return warehouse.frame(f"""
        SELECT r.*,
               coalesce(r.listing_id IN (SELECT listing_id FROM listings), false) AS listing_known,
               EXISTS (SELECT 1 FROM order_lines o
                       WHERE r.kind = 'orders' AND o.order_id = r.order_id
                         AND CAST(o.line_no AS VARCHAR) = r.line_no
                         AND o.ingest_seq > r.file_seq * {SEQ_PER_FILE} + coalesce(r.row_number, 0)) AS corrected,
               EXISTS (SELECT 1 FROM ingested_files f
                       WHERE f.path = r.source_file AND f.file_seq > r.file_seq) AS re_exported
        FROM rejects r""")


def count_order_lines(warehouse: Warehouse, listing_ids: list[str]) -> int:
    """The stored order lines of these listings (the breaker's good rows)."""
    return warehouse.scalar(
        "SELECT count(*) FROM order_lines WHERE listing_id IN (SELECT unnest(?::VARCHAR[]))", [listing_ids])


def order_lines_of_calendar(warehouse: Warehouse, calendar: str) -> pl.DataFrame:
    """Every stored order line of the listings of `calendar`."""
    return warehouse.frame(
        "SELECT * FROM order_lines WHERE listing_id IN (SELECT listing_id FROM listings WHERE calendar = ?)",
        [calendar])


LINE_BOOKKEEPING = ("source_file", "source_row", "ingest_seq", "updated_at")  # how a line came; no rule reads them


def order_lines_of_listings(warehouse: Warehouse, listing_ids: list[str]) -> pl.DataFrame:
    """The stored order lines of the given listings (a cutoff's closing listings), without the
    columns that only say how a line came in (`LINE_BOOKKEEPING`): what closing reads, and no more
    (a million-line region: the lines of other cutoffs and ~45 bytes a line of file names stay in
    the warehouse). In no particular order: the rules sort them."""
    return warehouse.frame(
        f"SELECT * EXCLUDE ({', '.join(LINE_BOOKKEEPING)}) FROM order_lines "
        "WHERE listing_id IN (SELECT unnest(?::VARCHAR[]))", [listing_ids])


def latest_ingestion(warehouse: Warehouse) -> datetime | None:
    """When the last inbox file was ingested (None before the first)."""
    return warehouse.scalar("SELECT max(ingested_at) FROM ingested_files")


def replace_partitions(warehouse: Warehouse, calendar: str, cutoff_date: date, frames: dict[str, pl.DataFrame]) -> None:
    """Replace the run's rows of each partitioned table (call inside a transaction)."""
    for table, frame in frames.items():
        if not BY_NAME[table].partitioned:
            raise ValueError(f"{table} is not partitioned by calendar and cutoff date")
        warehouse.replace_partition(table, frame, calendar, cutoff_date)


def record_run(warehouse: Warehouse, calendar: str, cutoff_date: date, run_id: str, started: datetime,
               status: str, message: str = "", summary: dict | None = None) -> None:
    """`runs` keeps one row per (calendar, cutoff_date), the latest attempt; `run_log` all of them."""
    ended = datetime.now(timezone.utc)
    attempts = (warehouse.scalar("SELECT max(attempts) FROM runs WHERE calendar = ? AND cutoff_date = ?",
                                 [calendar, cutoff_date]) or 0) + 1
    counts = summary or {}
    lines, units, fen = counts.get("order_lines", {}), counts.get("units", {}), counts.get("fen", {})
    row = pl.DataFrame([{
        "run_id": run_id, "started_at": started, "ended_at": ended, "status": status, "message": message,
        "attempts": attempts, "listings_closed": counts.get("listings_closed"),
        "lines_eligible": lines.get("eligible"), "lines_allocated": lines.get("allocated"),
        "lines_cut": lines.get("cut"), "lines_rejected": lines.get("rejected"),
        "units_allocated": units.get("allocated"), "net_fen": fen.get("net"),
        "purchase_cost_fen": fen.get("purchase_cost")}],
        schema_overrides={k: pl.Int64 for k in RUN_FIGURES})
    log = pl.DataFrame([{
        "run_id": run_id, "calendar": calendar, "cutoff_date": cutoff_date,
        "started_at": started, "ended_at": ended, "status": status, "message": message}])
    Runs.validate(row)
    RunLog.validate(log)
    with warehouse.transaction():
        warehouse.replace_partition("runs", row, calendar, cutoff_date)
        warehouse.insert("run_log", log)
