"""The DuckDB warehouse: one file, one writer at a time, partitions replaced in one transaction."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from errors import WarehouseBusy

DDL = """
CREATE TABLE IF NOT EXISTS ingested_files (
    file_hash VARCHAR PRIMARY KEY, kind VARCHAR, path VARCHAR, file_seq BIGINT,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, ingested_at TIMESTAMPTZ,
    ingested_by VARCHAR);
CREATE TABLE IF NOT EXISTS order_lines (
    order_id VARCHAR, line_no BIGINT, listing_id VARCHAR, customer_id VARCHAR, customer_name VARCHAR,
    phone_tail VARCHAR, pickup_point_id VARCHAR, qty BIGINT, unit_price_fen BIGINT, status VARCHAR,
    distributor_id VARCHAR, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, source_file VARCHAR,
    source_row BIGINT, ingest_seq BIGINT);
CREATE TABLE IF NOT EXISTS refund_requests (
    refund_id VARCHAR, order_id VARCHAR, line_no BIGINT, amount_fen BIGINT, reason VARCHAR,
    created_at TIMESTAMPTZ, source_file VARCHAR, source_row BIGINT, ingest_seq BIGINT);
CREATE TABLE IF NOT EXISTS rejects (
    source_file VARCHAR, row_number BIGINT, reason VARCHAR, raw VARCHAR, kind VARCHAR,
    file_hash VARCHAR, listing_id VARCHAR, created_at TIMESTAMPTZ, ingested_by VARCHAR,
    order_id VARCHAR, line_no VARCHAR, file_seq BIGINT, rows_rejected BIGINT);
-- columns added after the first release: warehouses made before get them here
ALTER TABLE rejects ADD COLUMN IF NOT EXISTS order_id VARCHAR;
ALTER TABLE rejects ADD COLUMN IF NOT EXISTS line_no VARCHAR;
ALTER TABLE rejects ADD COLUMN IF NOT EXISTS file_seq BIGINT;
ALTER TABLE rejects ADD COLUMN IF NOT EXISTS rows_rejected BIGINT;
CREATE TABLE IF NOT EXISTS allocations (
    calendar VARCHAR, cutoff_date DATE, order_id VARCHAR, line_no BIGINT, listing_id VARCHAR,
    sku_id VARCHAR, supplier_id VARCHAR, category VARCHAR, pickup_point_id VARCHAR,
    customer_id VARCHAR, customer_name VARCHAR, phone_tail VARCHAR, distributor_id VARCHAR,
    created_at TIMESTAMPTZ, qty BIGINT,
    qty_allocated BIGINT, qty_cut BIGINT, unit_price_fen BIGINT, final_unit_price_fen BIGINT,
    paid_fen BIGINT, net_fen BIGINT, refund_fen BIGINT, cut_reason VARCHAR);
CREATE TABLE IF NOT EXISTS purchase_lines (
    calendar VARCHAR, cutoff_date DATE, supplier_id VARCHAR, sku_id VARCHAR, units_allocated BIGINT,
    case_pack BIGINT, case_rounding VARCHAR, cases BIGINT, units_purchased BIGINT,
    surplus_units BIGINT, unit_cost_fen BIGINT, cost_fen BIGINT);
CREATE TABLE IF NOT EXISTS groups (
    calendar VARCHAR, cutoff_date DATE, listing_id VARCHAR, group_pickup_point_id VARCHAR,
    units BIGINT, participants BIGINT, min_qty BIGINT, lowest_threshold BIGINT, is_formed BOOLEAN,
    tier_price_fen BIGINT);
CREATE TABLE IF NOT EXISTS runs (
    calendar VARCHAR, cutoff_date DATE, run_id VARCHAR, started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ, status VARCHAR, message VARCHAR, attempts BIGINT,
    listings_closed BIGINT, lines_eligible BIGINT, lines_allocated BIGINT, lines_cut BIGINT,
    lines_rejected BIGINT, units_allocated BIGINT, net_fen BIGINT, purchase_cost_fen BIGINT);
CREATE TABLE IF NOT EXISTS run_log (
    run_id VARCHAR, calendar VARCHAR, cutoff_date DATE, started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ, status VARCHAR, message VARCHAR);
"""

MASTER_TABLES = ("suppliers", "products", "categories", "pickup_points", "distributors", "listings")


class Warehouse:
    """A DuckDB connection with the few operations the flows need."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path):
        self.con = connection
        self.path = path

    def frame(self, query: str, params: list | None = None) -> pl.DataFrame:
        return self.con.sql(query, params=params or []).pl()

    def execute(self, query: str, params: list | None = None) -> None:
        self.con.execute(query, params or []).fetchall()

    def scalar(self, query: str, params: list | None = None):
        rows = self.con.sql(query, params=params or []).fetchall()
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self):
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def insert(self, table: str, frame: pl.DataFrame) -> None:
        """Append a frame's columns by name (missing ones are null)."""
        if frame.height == 0:
            return
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming").fetchall()
        finally:
            self.con.unregister("_incoming")

    def replace_table(self, table: str, frame: pl.DataFrame) -> None:
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _incoming").fetchall()
        finally:
            self.con.unregister("_incoming")

    def replace_partition(self, table: str, frame: pl.DataFrame, calendar: str, cutoff_date: date) -> None:
        """Delete the run's rows and insert the new ones (call inside `transaction()`)."""
        self.execute(f"DELETE FROM {table} WHERE calendar = ? AND cutoff_date = ?", [calendar, cutoff_date])
        self.insert(table, frame.with_columns(pl.lit(calendar).alias("calendar"),
                                              pl.lit(cutoff_date).alias("cutoff_date")))

    def close(self) -> None:
        self.con.close()


def connect(path: Path) -> Warehouse:
    """Open (and create) the warehouse; another process holding it is a clear user error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(
                f"another run holds the warehouse {path}: only one cutoff runs at a time against one "
                "warehouse. Wait for it to finish (see the Prefect UI or `ps`) and run again.") from exc
        raise
    con.execute("SET TimeZone = 'UTC'")
    con.execute(DDL)
    return Warehouse(con, path)


@contextmanager
def open_warehouse(path: Path):
    warehouse = connect(path)
    try:
        yield warehouse
    finally:
        warehouse.close()
