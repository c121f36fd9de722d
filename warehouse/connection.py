"""The DuckDB warehouse: one file, one writer at a time, partitions replaced in one transaction.

A run (or a stage run on its own) opens it once (`open_warehouse`) and hands the `Warehouse` to
what needs it; the tables are those of warehouse/tables.py, made (or completed) on opening."""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from errors import UserError, WarehouseBusy
from warehouse.tables import warehouse_ddl

# DuckDB keeps table blocks it has read or written cached up to its memory limit (80% of RAM by
# default): at 1M order lines ~400 MB more resident memory, held while the workbooks are written.
# The run's frames live in polars; DuckDB's queries are scans and aggregates that stream, and spill
# to <warehouse>.tmp past the limit. CUTOFF_DUCKDB_MEMORY_LIMIT (a DuckDB size, e.g. 2GB) overrides.
MEMORY_LIMIT = "256MB"
# A reader that holds the warehouse for a moment (the notice before arrival reads one cutoff's lines,
# read-only: docs/progress.md) must not fail a run that starts meanwhile: opening waits this long
# for the lock before "another run holds the warehouse".
LOCK_GRACE_SECONDS = 5.0


class Warehouse:
    """A DuckDB connection with the few operations the rooms need."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, memory_limit: str = MEMORY_LIMIT):
        self.con = connection
        self.path = path
        self.memory_limit = memory_limit  # as set (CUTOFF_DUCKDB_MEMORY_LIMIT, validated)

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

    def release_cache(self) -> None:
        """Let DuckDB drop the blocks it keeps cached (up to its memory limit; ~100 MB after a
        million-line run's tables are stored): the limit is lowered, which evicts them, and set
        back. Call outside a transaction, when the next queries are small."""
        self.con.execute("SET memory_limit = '16MB'")
        self.con.execute(f"SET memory_limit = '{self.memory_limit}'")

    def close(self) -> None:
        """Close the connection and let go of it: a failed stage's traceback (kept by Prefect) may
        keep this object, and must not keep DuckDB's objects alive until the interpreter exits."""
        self.con.close()
        self.con = None


def _duckdb_connect(path: Path, read_only: bool, grace_seconds: float) -> duckdb.DuckDBPyConnection:
    """DuckDB's connection, waiting up to `grace_seconds` while another process holds the file."""
    deadline = time.monotonic() + grace_seconds
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"another run holds the warehouse {path}: only one cutoff runs at a time against one "
                    "warehouse. Wait for it to finish (see the Prefect UI or `ps`) and run again.") from exc
            time.sleep(0.1)


def connect(path: Path, *, read_only: bool = False, grace_seconds: float = LOCK_GRACE_SECONDS) -> Warehouse:
    """Open (and create) the warehouse; another process holding it (longer than the grace) is a
    clear user error. `read_only`: an existing warehouse, as it is (no table made or completed);
    other readers may share it, a writer waits."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _duckdb_connect(path, read_only, grace_seconds)
    con.execute("SET TimeZone = 'UTC'")
    limit = os.environ.get("CUTOFF_DUCKDB_MEMORY_LIMIT", "").strip() or MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit, re.IGNORECASE):
        con.close()
        raise UserError(f"CUTOFF_DUCKDB_MEMORY_LIMIT={limit!r} is not a size: write it as DuckDB does, e.g. "
                        "256MB or 2GB.")
    con.execute(f"SET memory_limit = '{limit}'")
    if not read_only:
        con.execute(warehouse_ddl())  # every table, and columns added since a warehouse was made
    return Warehouse(con, path, limit)


@contextmanager
def open_warehouse(path: Path, *, read_only: bool = False, grace_seconds: float = LOCK_GRACE_SECONDS):
    warehouse = connect(path, read_only=read_only, grace_seconds=grace_seconds)
    try:
        yield warehouse
    finally:
        warehouse.close()
