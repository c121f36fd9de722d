"""`cutoff scans FILE`: a scanner's file of pickup codes read, decided against the warehouse
(transforms/scans.py) and written as a file of `inbox/pickups/` for `cutoff report`
(docs/labels.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from errors import UserError
from inbox.ingest import PICKUPS, known_state, read_inbox
from inbox.readers import UnreadableFile, decode_csv_bytes
from labels.pickup_key import read_key
from outputs.files import atomic_write_bytes
from schemas.columns import ID_PATTERN
from transforms.fulfilment import units_to_hand_out
from transforms.scans import decide_scans, order_tags, parse_scan_lines, read_codes
from transforms.staging import parse_instant, parse_integer
from warehouse.connection import Warehouse

OUTPUT_PREFIX = "scans-"


@dataclass(frozen=True)
class ScanResult:
    codes: int               # lines with a code (blank lines aside)
    taken: int               # codes taken
    rows: pl.DataFrame       # the rows written (order_id, line_no, picked_up_at, pickup_point_id)
    rejected: pl.DataFrame   # line, text, reason
    output: Path


def output_path(data_dir: Path, scan_file: Path) -> Path:
    """inbox/pickups/scans-<the scan file's name without suffix>.csv (characters outside an id's
    replaced by '_')."""
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in scan_file.stem) or "scan"
    return data_dir / "inbox" / PICKUPS / f"{OUTPUT_PREFIX}{stem}.csv"


def read_scan_file(path: Path) -> tuple[pl.DataFrame, datetime]:
    """The scan file's lines and its modification time (the time of a line that has none)."""
    try:
        data = path.read_bytes()
        changed = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except FileNotFoundError:
        raise UserError(f"{path}: no such scan file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror})") from exc
    try:
        text = decode_csv_bytes(data).decode("utf-8")
    except UnreadableFile as exc:
        raise UserError(f"{path}: not a text file of pickup codes ({exc})") from exc
    return parse_scan_lines(text), changed


def _lines_of_cutoffs(warehouse: Warehouse, cutoffs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the orders of those cutoffs: pickup_point_id, order_id per cutoff; their lines with units to
    hand out)."""
    warehouse.con.register("_cutoffs", cutoffs)
    try:
        allocations = warehouse.frame("""
            SELECT a.calendar, a.cutoff_date, a.order_id, a.line_no, a.pickup_point_id, a.qty_allocated
            FROM allocations a JOIN _cutoffs c USING (calendar, cutoff_date) WHERE a.qty_allocated > 0""")
        shortages = warehouse.frame("""
            SELECT s.order_id, s.line_no, s.units_short
            FROM shortages s JOIN _cutoffs c USING (calendar, cutoff_date)""")
    finally:
        warehouse.con.unregister("_cutoffs")
    lines = units_to_hand_out(allocations, shortages)
    orders = allocations.select("calendar", "cutoff_date", "pickup_point_id", "order_id").unique()
    return orders, lines.select("calendar", "cutoff_date", "order_id", "line_no", "units_to_hand_out")


def held_scans(warehouse: Warehouse, data_dir: Path, output: Path, timezone_name: str) -> pl.DataFrame:
    """The scans held: in `pickups`, and in the files of inbox/pickups/ not read yet, but not those
    of `output` (this scan file's own earlier result, replaced now)."""
    relative = output.relative_to(data_dir).as_posix()
    stored = warehouse.frame("SELECT order_id, line_no, picked_up_at, source_file AS source FROM pickups "
                             "WHERE source_file <> ?", [relative])
    hashes, _, _ = known_state(warehouse)
    waiting = []
    for inbox_file in read_inbox(data_dir, hashes, kinds=(PICKUPS,)):
        raw = inbox_file.raw
        if inbox_file.relative == relative or raw is None or not {"order_id", "line_no", "picked_up_at"} <= set(
                raw.columns):
            continue
        waiting.append(raw.select(pl.col("order_id").cast(pl.String), parse_integer(pl.col("line_no")).alias("line_no"),
                                  parse_instant(pl.col("picked_up_at"), timezone_name).alias("picked_up_at"),
                                  pl.lit(inbox_file.relative).alias("source")).drop_nulls())
    return pl.concat([stored.with_columns(pl.col("picked_up_at").dt.convert_time_zone("UTC")), *waiting],
                     how="vertical_relaxed")


def take_scans(warehouse: Warehouse, data_dir: Path, scan_file: Path, timezone_name: str,
               pickup_point: str | None = None) -> ScanResult:
    """Decide every line of `scan_file` and write the rows taken to inbox/pickups/ (a file named
    after it, replaced when the same scan file is taken again)."""
    if pickup_point is not None and not re.fullmatch(ID_PATTERN, pickup_point):
        raise UserError(f"--pickup-point {pickup_point!r} is not a pickup point id")
    if pickup_point is not None and not warehouse.frame(
            "SELECT 1 FROM pickup_points WHERE pickup_point_id = ?", [pickup_point]).height:
        raise UserError(f"--pickup-point {pickup_point} is not in the master data (pickup_points.csv) of the "
                        "last cutoff run")
    key = read_key(data_dir)
    if key is None:
        raise UserError(f"{data_dir} has no pickup codes' key (pickup-codes.key): no run from this data dir has "
                        "printed pickup codes yet, so these codes were not made here. Pass the --data-dir whose "
                        "handout lists were printed.")
    scans, changed = read_scan_file(scan_file)
    output = output_path(data_dir, scan_file)
    codes = read_codes(scans, timezone_name, changed)
    cutoffs = codes.select("calendar", "cutoff_date").drop_nulls().unique().sort("calendar", "cutoff_date")
    orders, lines = _lines_of_cutoffs(warehouse, cutoffs)
    tags = [order_tags(key, calendar, day, orders.filter((pl.col("calendar") == calendar)
                                                         & (pl.col("cutoff_date") == day)).drop("calendar",
                                                                                                 "cutoff_date"))
            for calendar, day in cutoffs.iter_rows()]
    tags_frame = pl.concat(tags) if tags else pl.DataFrame(schema={
        "pickup_point_id": pl.String, "order_id": pl.String, "calendar": pl.String, "cutoff_date": pl.Date,
        "tag": pl.Binary})
    rows, rejected = decide_scans(codes, tags_frame, lines, held_scans(warehouse, data_dir, output, timezone_name),
                                  pickup_point, timezone_name)
    if rows.height or output.exists():
        write_pickup_rows(output, rows, timezone_name)
    return ScanResult(scans.height, scans.height - rejected.height, rows, rejected, output)


def write_pickup_rows(path: Path, rows: pl.DataFrame, timezone_name: str) -> None:
    """The rows as a CSV of inbox/pickups/ (times in business time with their offset)."""
    local = rows.with_columns(pl.col("picked_up_at").dt.convert_time_zone(timezone_name)
                              .dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, local.write_csv().encode("utf-8"))
