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

from errors import MemoryLimitTooSmall, UserError, WarehouseBusy
from warehouse.tables import warehouse_ddl

# DuckDB keeps table blocks it has read or written cached up to its memory limit (80% of RAM by
# default): at 1M order lines ~400 MB more resident memory, held while the workbooks are written.
# The run's frames live in polars; DuckDB's queries are scans and aggregates that stream, and spill
# past the limit to its temporary directory. CUTOFF_DUCKDB_MEMORY_LIMIT (a DuckDB size, e.g. 2GB)
# overrides the limit; CUTOFF_DUCKDB_TEMP_DIRECTORY the spill folder (default <warehouse>.tmp, beside
# the warehouse in the data dir); CUTOFF_DUCKDB_MAX_TEMP_SIZE the disk it may spill (default: DuckDB's,
# 90% of the free space). A query that does not fit is a MemoryLimitTooSmall naming them (docs/scale.md).
MEMORY_LIMIT = "256MB"
FILE_INSERT_ROWS = 100_000  # a frame this long is inserted through a Parquet file (Warehouse.insert)
SIZE = re.compile(r"\d+(\.\d+)?\s*[KMGT]i?B", re.IGNORECASE)
# A reader that holds the warehouse for a moment (the notice before arrival reads one cutoff's lines,
# read-only: docs/progress.md) must not fail a run that starts meanwhile: opening waits this long
# for the lock before "another run holds the warehouse".
LOCK_GRACE_SECONDS = 5.0


class Warehouse:
    """A DuckDB connection with the few operations the rooms need."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, memory_limit: str = MEMORY_LIMIT,
                 temp_directory: Path | None = None):
        self.con = connection
        self.path = path
        self.memory_limit = memory_limit  # as set (CUTOFF_DUCKDB_MEMORY_LIMIT, validated)
        self.temp_directory = temp_directory or Path(f"{path}.tmp")  # where it spills (CUTOFF_DUCKDB_TEMP_DIRECTORY)

    @contextmanager
    def within_limits(self):
        """DuckDB's out-of-memory error inside as a MemoryLimitTooSmall naming the setting."""
        try:
            yield self
        except duckdb.OutOfMemoryException as exc:
            raise memory_limit_too_small(exc, self) from None

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
        """Append a frame's columns by name (missing ones are null). A large frame goes through a
        Parquet file in the spill folder (`_insert_from_file`)."""
        if frame.height == 0:
            return
        if frame.height >= FILE_INSERT_ROWS and not any(dtype == pl.Null for dtype in frame.dtypes):
            self._insert_from_file(table, frame)
            return
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming").fetchall()
        finally:
            self.con.unregister("_incoming")

    def _insert_from_file(self, table: str, frame: pl.DataFrame) -> None:
        """DuckDB keeps the text of rows inserted from a frame (Arrow) pointing into the frame's
        buffers until the transaction commits: a million-line run's allocations and ledger entries
        held twice through the write transaction (~180 MiB at 1M lines, measured). Read from a file
        it copies them into its own blocks; the file (uncompressed: as fast to write and read as
        the frame is to scan) goes at once."""
        self.temp_directory.mkdir(parents=True, exist_ok=True)
        path = self.temp_directory / f"insert-{os.getpid()}-{time.monotonic_ns()}.parquet"
        try:
            frame.write_parquet(path, compression="uncompressed", statistics=False)
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        finally:
            path.unlink(missing_ok=True)

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
    spill_size = os.environ.get("CUTOFF_DUCKDB_MAX_TEMP_SIZE", "").strip()
    for name, value in (("CUTOFF_DUCKDB_MEMORY_LIMIT", limit), ("CUTOFF_DUCKDB_MAX_TEMP_SIZE", spill_size)):
        if value and not SIZE.fullmatch(value):
            con.close()
            raise UserError(f"{name}={value!r} is not a size: write it as DuckDB does, e.g. 256MB or 2GB.")
    spill = Path(os.environ.get("CUTOFF_DUCKDB_TEMP_DIRECTORY", "").strip() or f"{path}.tmp").expanduser()
    con.execute(f"SET memory_limit = '{limit}'")
    con.execute("SET temp_directory = ?", [str(spill)])  # made by DuckDB when it first spills
    if spill_size:
        con.execute(f"SET max_temp_directory_size = '{spill_size}'")
    if not read_only:
        con.execute(warehouse_ddl())  # every table, and columns added since a warehouse was made
    return Warehouse(con, path, limit, spill)


def memory_limit_too_small(exc: duckdb.OutOfMemoryException, warehouse: Warehouse) -> MemoryLimitTooSmall:
    """DuckDB's out-of-memory error as the operator's: which setting to raise, at what it is now."""
    spilled = "max_temp_directory_size" in str(exc)
    first = str(exc).splitlines()[0] if str(exc) else "out of memory"
    if spilled:
        return MemoryLimitTooSmall(
            f"the warehouse ran out of spill space in {warehouse.temp_directory} ({first}). Raise "
            f"CUTOFF_DUCKDB_MAX_TEMP_SIZE (now {os.environ.get('CUTOFF_DUCKDB_MAX_TEMP_SIZE') or 'unset'}), free "
            f"disk there, or point CUTOFF_DUCKDB_TEMP_DIRECTORY at a larger disk, and run again.")
    return MemoryLimitTooSmall(
        f"the warehouse's memory limit CUTOFF_DUCKDB_MEMORY_LIMIT={warehouse.memory_limit} is too small for this "
        f"data ({first}); what does not fit spills to {warehouse.temp_directory}, but this step cannot. Raise "
        f"CUTOFF_DUCKDB_MEMORY_LIMIT (e.g. 1GB; docs/scale.md) and run again.")


@contextmanager
def open_warehouse(path: Path, *, read_only: bool = False, grace_seconds: float = LOCK_GRACE_SECONDS):
    warehouse = connect(path, read_only=read_only, grace_seconds=grace_seconds)
    try:
        with warehouse.within_limits():
            yield warehouse
    finally:
        warehouse.close()
