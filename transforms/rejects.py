"""Rejected input rows: which belong to a cutoff, how many count, and the bad-row breaker
(contract: "If more than 5% (configurable) of the rows in the window are rejected, the run stops
before any email is sent"; docs/rules.md, "Rejects").

The warehouse keeps every reject (`rejects`, schemas/rejects.py) with three facts the query adds
(warehouse/queries.py `reject_facts`): `listing_known` (its listing is in the master data),
`corrected` (a good version of its order line was ingested after it), `re_exported` (its file's
path was ingested again later). The rules below decide from those.
"""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl

from transforms.windows import CutoffWindow

REJECT_COLUMNS = ["source_file", "row_number", "reason", "raw"]  # rejects.csv and the contract's columns
CUT_SHORT = "the file is cut short"  # the reason's start for a file that arrived cut short (inbox/readers.py)
REJECT_ORDER = ["source_file", "row_number", "reason"]
FACTS = ["listing_known", "corrected", "re_exported"]
RUN_REJECT_SCHEMA = {"source_file": pl.String, "row_number": pl.Int64, "reason": pl.String, "raw": pl.String,
                     "kind": pl.String, "rows_rejected": pl.Int64}


def _utc(instant: datetime) -> pl.Expr:
    return pl.lit(instant.astimezone(timezone.utc)).cast(pl.Datetime("us", "UTC"))


def select_window_rejects(rejects: pl.DataFrame, window: CutoffWindow, closing_ids: list[str]) -> pl.DataFrame:
    """The rejected rows that belong to this cutoff: order rows of its closing listings; rows whose
    listing is unknown (or empty) and whose created_at lies in the window; refunds created in the
    window (nightly); rows with neither, and whole files, of the run that ingested them; and every
    reject of a file that arrived cut short (CUT_SHORT) in the run that read it, whatever its rows
    belong to: the file needs exporting again now.

    A reject that has been corrected no longer counts: an order row whose line has a good version
    ingested after it, or any row of a file whose path was ingested again later (a re-export).
    `rejects` carries FACTS; the result has the table's columns, ordered by file, row, reason."""
    created = pl.col("created_at")
    in_window = (created > _utc(window.start)) & (created <= _utc(window.end))
    orders, unknown_listing = pl.col("kind") == "orders", ~pl.col("listing_known")
    belongs = (
        (orders & pl.col("listing_id").is_in(closing_ids))
        | (orders & unknown_listing & in_window)
        | ((pl.col("kind") == "refunds") & pl.lit(window.calendar == "nightly") & in_window)
        | ((created.is_null() | pl.col("row_number").is_null()) & unknown_listing
           & (pl.col("ingested_by") == window.label))
        | (pl.col("reason").str.starts_with(CUT_SHORT) & (pl.col("ingested_by") == window.label))
    ).fill_null(False)
    return (rejects.filter(belongs & ~pl.col("corrected") & ~pl.col("re_exported"))
            .drop(FACTS).sort(REJECT_ORDER, nulls_last=False))


def rejected_rows(rejects: pl.DataFrame, kind: str = "orders") -> int:
    """Input rows rejected: a whole rejected file counts its rows."""
    return int(rejects.filter(pl.col("kind") == kind)["rows_rejected"].fill_null(1).sum())


def over_reject_limit(rejected: int, window_rows: int, limit_pct: float) -> bool:
    """The breaker: more than `limit_pct` percent of the window's order rows (its good lines plus
    the rejected rows) were rejected."""
    total = window_rows + rejected
    return bool(total) and rejected * 100 > limit_pct * total


def merge_rejects(*frames: pl.DataFrame) -> pl.DataFrame:
    """The run's rejects (its window's, and the refunds its commissions turned down), once each."""
    present = [f.with_columns(pl.lit(1, pl.Int64).alias("rows_rejected")) if "rows_rejected" not in f.columns
               else f for f in frames if f.height]
    if not present:
        return pl.DataFrame(schema=RUN_REJECT_SCHEMA)
    return (pl.concat([f.select(list(RUN_REJECT_SCHEMA)).cast(RUN_REJECT_SCHEMA) for f in present],
                      how="vertical_relaxed")
            .unique(subset=REJECT_ORDER, maintain_order=True)
            .sort(REJECT_ORDER, nulls_last=False))


def _raw_refund(window: CutoffWindow) -> pl.Expr:
    text = [pl.col(c).cast(pl.String) for c in ("refund_id", "order_id", "line_no", "amount_fen")]
    created = pl.col("created_at").dt.convert_time_zone(window.timezone).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    return pl.struct(*text, pl.col("refund_reason").alias("reason"),
                     created.alias("created_at")).struct.json_encode().alias("raw")


def refund_rejects(decisions: pl.DataFrame, refunds: pl.DataFrame, window: CutoffWindow) -> pl.DataFrame:
    """Rows for the `rejects` table: one per rejected refund, with its file, row and raw row."""
    rejected = decisions.filter(pl.col("status") == "rejected").select("refund_id", "reason")
    source = refunds.select("refund_id", "order_id", "line_no", "amount_fen", "created_at", "source_file",
                            "source_row", pl.col("reason").alias("refund_reason"))
    return (rejected.join(source, on="refund_id", how="inner")
            .select("source_file", pl.col("source_row").alias("row_number"), "reason", _raw_refund(window),
                    pl.lit("refunds").alias("kind"), pl.lit(None, pl.String).alias("file_hash"),
                    pl.lit(None, pl.String).alias("listing_id"), "created_at",
                    pl.lit(window.label).alias("ingested_by"))
            .sort("source_file", "row_number"))


def no_refund_rejects() -> pl.DataFrame:
    """The refund rejects of a run without refunds: the contract's columns, no rows."""
    return pl.DataFrame(schema={c: pl.String for c in REJECT_COLUMNS}).with_columns(pl.col("row_number").cast(pl.Int64))
