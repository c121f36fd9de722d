"""Every version of the order lines of some listings, read from the inbox as ingest reads it.

The warehouse's `order_lines` keeps only each line's current version; `cutoff progress` needs the
line as it stood at an earlier instant, so it reads the versions where they all are: the files of
inbox/orders/ (ingest leaves them in place). They go through the very readers, staging and
Pandera validation of ingest (`read_inbox`, `validate_inbox`), so a row counts here exactly when
ingest takes it. Nothing is written and the warehouse is not opened: a cutoff is never kept
waiting for it.

Only the rows of the listings asked for are validated (a row is judged on its own, so the others
change nothing): the files of earlier days cost a read, not a validation. Files come in path
order, each content once (as one ingest of the whole inbox would take them): `ingest_seq` ranks
rows with the same `updated_at` the way ingest does. (docs/progress.md: where this differs from
the warehouse.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from inbox.ingest import read_inbox, validate_inbox
from inbox.master import Master
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


def read_order_versions(data_dir: Path, master: Master, timezone: str, listing_ids: list[str],
                        ready_marker: str = "") -> OrderVersions:
    """Every valid row of inbox/orders/ whose listing is one of `listing_ids`."""
    files = read_inbox(data_dir, set(), ready_marker, kinds=(ORDERS,))
    wanted = pl.Series(listing_ids, dtype=pl.String)
    for inbox_file in files:
        raw = inbox_file.raw
        if raw is not None and "listing_id" in raw.columns:
            inbox_file.raw = raw.filter(pl.col("listing_id").str.strip_chars().is_in(wanted.implode()))
    rows = sum(f.raw.height for f in files if f.raw is not None)
    validated = validate_inbox(files, master, timezone, 1, NO_REFUNDS, "progress")
    lines = validated.order_lines if validated.order_lines.height else no_lines()
    return OrderVersions(lines.drop(ROW, strict=False), len(files), rows)


def no_lines() -> pl.DataFrame:
    """An empty frame of valid order rows, as validate_inbox gives them."""
    kinds = {"str": pl.String, "int": pl.Int64, "ts": pl.Datetime("us", "UTC"), "date": pl.Date}
    return pl.DataFrame(schema={**{name: kinds[spec.kind] for name, spec in orders.COLUMNS.items()},
                                "source_file": pl.String, "source_row": pl.Int64, "ingest_seq": pl.Int64})
