"""Every version of the order lines of some listings, read from the inbox as ingest reads it.

The warehouse's `order_lines` keeps only each line's current version; `cutoff progress` needs the
line as it stood at an earlier instant, so it reads the versions where they all are: the files of
inbox/orders/ (ingest leaves them in place). They go through ingest's own reader (`read_table`),
staging and Pandera validation (`validate_inbox`), so a row counts here exactly when ingest takes
it; a 快团团 / 群接龙 export (.xlsx) through ingest's export reader and mapping (inbox/platform_exports.py).
One difference: lines a later export of a group leaves out become cancelled versions when ingest
loads it (`cancel_left_out`, in the warehouse); progress does not make them (docs/progress.md).
Nothing is written and the warehouse is not opened: a cutoff is never kept waiting for it.

What it costs stays that of the coming cutoff, however long the inbox's history:
- a file last written before the earliest `opens_at` of the listings asked for holds none of their
  lines (a line is exported after it is placed, and one placed before its listing opened is cut
  `after_close` anyway): it is not even read;
- each file read keeps only the rows of those listings, so memory holds them, not the inbox;
- only those rows are validated (a row is judged on its own: the others change nothing).

Files come in path order, each content once (as one ingest of the whole inbox would take them):
`ingest_seq` ranks rows with the same `updated_at` the way ingest does (docs/progress.md: where
this differs from the warehouse). Ingest's reader knows CSV, Parquet and JSONL; a format ingest
learns later must be read here the same way (`_read`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from inbox.ingest import InboxFile, read_if_export, validate_inbox
from inbox.master import Master
from inbox.platform_exports import export_key, is_export
from inbox.readers import INPUT_SUFFIXES, UnreadableFile, file_hash, read_table
from schemas import orders
from schemas.validation import ROW

ORDERS = "orders"
NO_REFUNDS = pl.DataFrame(schema={"refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64,
                                  "amount_fen": pl.Int64, "created_at": pl.Datetime("us", "UTC")})


@dataclass(frozen=True)
class OrderVersions:
    lines: pl.DataFrame  # every valid row of the listings: order line columns, source_file, source_row, ingest_seq
    files: int           # inbox files read
    rows: int            # rows of the listings in them (valid or not)
    skipped: int = 0     # files last written before the listings opened: not read


def order_files(data_dir: Path, ready_marker: str = "", written_since: datetime | None = None) -> tuple[list, int]:
    """inbox/orders/'s files in path order, each content once, but those last written before
    `written_since`; and how many were left out for that."""
    folder = data_dir / "inbox" / ORDERS
    found, seen, skipped = [], set(), 0
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and not (ready_marker and p.name == ready_marker)) if folder.is_dir() else []
    for path in paths:
        if written_since is not None and path.stat().st_mtime < written_since.timestamp():
            skipped += 1
            continue
        digest = export_key(path, data_dir) if is_export(path) else file_hash(path)
        if digest in seen:
            continue
        seen.add(digest)
        found.append(InboxFile(ORDERS, path, path.relative_to(data_dir).as_posix(), digest))
    return found, skipped


def _read(inbox_file: InboxFile, wanted: pl.Series) -> InboxFile:
    """The file's rows of the wanted listings (ingest's reader), or its problem. A platform export
    is read whole (validate_inbox maps it to listings; close_listings keeps the wanted ones)."""
    if read_if_export(inbox_file):
        return inbox_file
    if inbox_file.path.suffix.lower() not in INPUT_SUFFIXES:
        inbox_file.problem = f"unknown file type {inbox_file.path.suffix!r}"
        return inbox_file
    try:
        raw = read_table(inbox_file.path)
    except UnreadableFile as exc:
        inbox_file.problem = f"cannot read the file: {exc}"
        return inbox_file
    if "listing_id" in raw.columns:
        raw = raw.filter(pl.col("listing_id").str.strip_chars().is_in(wanted.implode()))
    inbox_file.raw = raw
    return inbox_file


def read_order_versions(data_dir: Path, master: Master, timezone: str, listing_ids: list[str],
                        ready_marker: str = "", opened_at: datetime | None = None) -> OrderVersions:
    """Every valid row of inbox/orders/ whose listing is one of `listing_ids`; `opened_at`: the
    earliest `opens_at` of those listings (files last written before it are not read)."""
    files, skipped = order_files(data_dir, ready_marker, opened_at)
    wanted = pl.Series(listing_ids, dtype=pl.String)
    files = [_read(inbox_file, wanted) for inbox_file in files]
    rows = sum(f.rows for f in files)
    validated = validate_inbox(files, master, timezone, 1, NO_REFUNDS, "progress")
    lines = validated.order_lines if validated.order_lines.height else no_lines()
    return OrderVersions(lines.drop(ROW, strict=False), len(files), rows, skipped)


def no_lines() -> pl.DataFrame:
    """An empty frame of valid order rows, as validate_inbox gives them."""
    kinds = {"str": pl.String, "int": pl.Int64, "ts": pl.Datetime("us", "UTC"), "date": pl.Date}
    return pl.DataFrame(schema={**{name: kinds[spec.kind] for name, spec in orders.COLUMNS.items()},
                                "source_file": pl.String, "source_row": pl.Int64, "ingest_seq": pl.Int64})
