"""Ingest: every new file under inbox/orders and inbox/refunds, once (a registry by content hash).

Reading (`read_inbox`) writes nothing; `validate_inbox` splits rows into good and rejected with
Pandera; `load_inbox` writes both and the registry in one transaction. The current version of an
order line is the one with the latest `updated_at`; on a tie, the one ingested last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from flows.master import Master
from flows.readers import INPUT_SUFFIXES, UnreadableFile, file_hash, read_table
from flows.warehouse import Warehouse
from schemas import orders, refunds
from schemas.validation import ROW, Reference, validate_rows
from transforms.staging import latest_versions, missing_columns, parse_columns

KINDS = ("orders", "refunds")
SEQ_PER_FILE = 1_000_000_000  # ingest_seq = file_seq * SEQ_PER_FILE + row


@dataclass
class InboxFile:
    kind: str
    path: Path
    relative: str
    file_hash: str
    raw: pl.DataFrame | None = None
    problem: str | None = None  # the whole file is rejected


@dataclass
class ValidatedInbox:
    files: list[InboxFile]
    order_lines: pl.DataFrame
    refunds: pl.DataFrame
    rejects: pl.DataFrame
    registry: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def rows_read(self) -> int:
        return sum(f.raw.height for f in self.files if f.raw is not None)


def find_new_files(data_dir: Path, known_hashes: set[str]) -> list[InboxFile]:
    """Files not ingested before, by content: orders first, then refunds, each in name order."""
    found, seen = [], set(known_hashes)
    for kind in KINDS:
        folder = data_dir / "inbox" / kind
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
            digest = file_hash(path)
            if digest in seen:
                continue
            seen.add(digest)
            found.append(InboxFile(kind, path, path.relative_to(data_dir).as_posix(), digest))
    return found


def read_inbox(data_dir: Path, known_hashes: set[str]) -> list[InboxFile]:
    files = find_new_files(data_dir, known_hashes)
    for inbox_file in files:
        if inbox_file.path.suffix.lower() not in INPUT_SUFFIXES:
            inbox_file.problem = f"unknown file type {inbox_file.path.suffix!r} (use .csv, .parquet or .jsonl)"
            continue
        try:
            inbox_file.raw = read_table(inbox_file.path)
        except UnreadableFile as exc:
            inbox_file.problem = f"cannot read the file: {exc}"
    return files


def _raw_json(raw: pl.DataFrame) -> pl.Expr:
    return pl.struct([c for c in raw.columns if c != ROW]).struct.json_encode().alias("raw")


def _file_reject(inbox_file: InboxFile, reason: str) -> pl.DataFrame:
    header = ",".join(c for c in inbox_file.raw.columns if c != ROW) if inbox_file.raw is not None else ""
    return pl.DataFrame({"source_file": [inbox_file.relative], "row_number": [None], "reason": [reason],
                         "raw": [header], "kind": [inbox_file.kind], "file_hash": [inbox_file.file_hash],
                         "listing_id": [None], "created_at": [None]},
                        schema_overrides={"row_number": pl.Int64, "listing_id": pl.String,
                                          "created_at": pl.Datetime("us", "UTC")})


def _validate_file(inbox_file: InboxFile, file_seq: int, master: Master, tz: str,
                   refs: dict[str, list[Reference]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    module = orders if inbox_file.kind == "orders" else refunds
    model = orders.OrderLines if inbox_file.kind == "orders" else refunds.Refunds
    raw = inbox_file.raw
    typed = parse_columns(raw, module.COLUMNS, tz)
    if inbox_file.kind == "orders":
        typed = typed.with_columns(pl.col("updated_at").fill_null(pl.col("created_at")))
    valid, rejected = validate_rows(typed, model, refs[inbox_file.kind])
    valid = valid.with_columns(
        pl.lit(inbox_file.relative).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        (pl.lit(file_seq * SEQ_PER_FILE, dtype=pl.Int64) + pl.col(ROW)).alias("ingest_seq"),
    ).drop(ROW)
    rejects = (
        rejected.join(raw.select(ROW, _raw_json(raw)), on=ROW, how="left")
        .join(typed.select(ROW, pl.col("listing_id") if "listing_id" in typed.columns
                           else pl.lit(None, pl.String).alias("listing_id"), "created_at"), on=ROW, how="left")
        .select(pl.lit(inbox_file.relative).alias("source_file"), pl.col(ROW).alias("row_number"),
                "reason", "raw", pl.lit(inbox_file.kind).alias("kind"),
                pl.lit(inbox_file.file_hash).alias("file_hash"), "listing_id", "created_at")
    )
    return valid, rejects


def _reject_duplicate_refunds(refund_rows: pl.DataFrame, known_ids: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A refund is applied once: a refund_id seen before (or earlier in this batch) is rejected."""
    ranked = refund_rows.sort("ingest_seq").with_columns(
        (pl.col("refund_id").is_in(sorted(known_ids)) | pl.col("refund_id").is_duplicated()
         & ~pl.col("refund_id").is_first_distinct()).alias("_dup"))
    dups = ranked.filter("_dup").select(
        "source_file", pl.col("source_row").alias("row_number"),
        pl.concat_str([pl.lit("duplicate refund_id '"), pl.col("refund_id"),
                       pl.lit("': a refund is applied once")]).alias("reason"),
        pl.struct("refund_id", "order_id", pl.col("line_no").cast(pl.String),
                  pl.col("amount_fen").cast(pl.String), "reason").struct.json_encode().alias("raw"),
        pl.lit("refunds").alias("kind"), pl.lit(None, pl.String).alias("file_hash"),
        pl.lit(None, pl.String).alias("listing_id"), "created_at")
    return ranked.filter(~pl.col("_dup")).drop("_dup"), dups


def validate_inbox(files: list[InboxFile], master: Master, tz: str, first_seq: int,
                   known_refund_ids: set[str], ingested_by: str) -> ValidatedInbox:
    refs = {
        "orders": [Reference("listing_id", master.listings["listing_id"], "listings.csv"),
                   Reference("pickup_point_id", master.pickup_points["pickup_point_id"], "pickup_points.csv"),
                   Reference("distributor_id", master.distributors["distributor_id"], "distributors.csv")],
        "refunds": [],
    }
    goods: dict[str, list[pl.DataFrame]] = {kind: [] for kind in KINDS}
    rejects: list[pl.DataFrame] = []
    registry = []
    for offset, inbox_file in enumerate(files):
        module = orders if inbox_file.kind == "orders" else refunds
        lacking = missing_columns(inbox_file.raw, module.COLUMNS) if inbox_file.raw is not None else []
        if inbox_file.problem is None and lacking:
            inbox_file.problem = f"missing required column(s) {', '.join(lacking)}: the whole file is rejected"
        if inbox_file.problem is not None:
            rejects.append(_file_reject(inbox_file, inbox_file.problem))
            loaded, bad = 0, inbox_file.raw.height if inbox_file.raw is not None else 0
        else:
            valid, bad_rows = _validate_file(inbox_file, first_seq + offset, master, tz, refs)
            goods[inbox_file.kind].append(valid)
            rejects.append(bad_rows)
            loaded, bad = valid.height, bad_rows.height
        registry.append({"file_hash": inbox_file.file_hash, "kind": inbox_file.kind,
                         "path": inbox_file.relative, "file_seq": first_seq + offset,
                         "rows_read": inbox_file.raw.height if inbox_file.raw is not None else 0,
                         "rows_loaded": loaded, "rows_rejected": bad,
                         "ingested_at": datetime.now(timezone.utc), "ingested_by": ingested_by})
    order_rows = pl.concat(goods["orders"], how="diagonal_relaxed") if goods["orders"] else pl.DataFrame()
    refund_rows = pl.concat(goods["refunds"], how="diagonal_relaxed") if goods["refunds"] else pl.DataFrame()
    if refund_rows.height:
        refund_rows, duplicate_refunds = _reject_duplicate_refunds(refund_rows, known_refund_ids)
        rejects.append(duplicate_refunds)
    all_rejects = (pl.concat([r for r in rejects if r.height], how="diagonal_relaxed")
                   if any(r.height for r in rejects) else pl.DataFrame())
    if all_rejects.height:
        all_rejects = all_rejects.with_columns(pl.lit(ingested_by).alias("ingested_by"))
    return ValidatedInbox(files, order_rows, refund_rows, all_rejects, pl.DataFrame(registry))


def load_inbox(warehouse: Warehouse, inbox: ValidatedInbox) -> None:
    """Write new lines (the latest version wins), refunds, rejects and the registry at once."""
    with warehouse.transaction():
        if inbox.order_lines.height:
            incoming = latest_versions(inbox.order_lines, ["order_id", "line_no"], ["updated_at", "ingest_seq"])
            warehouse.con.register("_latest", incoming)
            try:
                # an incoming version replaces a stored one unless the stored one is strictly newer
                warehouse.execute("""
                    DELETE FROM order_lines o USING _latest n
                    WHERE o.order_id = n.order_id AND o.line_no = n.line_no AND o.updated_at <= n.updated_at""")
                warehouse.execute("""
                    INSERT INTO order_lines BY NAME
                    SELECT n.* FROM _latest n ANTI JOIN order_lines o USING (order_id, line_no)""")
            finally:
                warehouse.con.unregister("_latest")
        warehouse.insert("refund_requests", inbox.refunds)
        warehouse.insert("rejects", inbox.rejects)
        warehouse.insert("ingested_files", inbox.registry)


def known_state(warehouse: Warehouse) -> tuple[set[str], int, set[str]]:
    """(hashes ingested, the next file_seq, refund ids received)."""
    hashes = set(warehouse.frame("SELECT file_hash FROM ingested_files")["file_hash"].to_list())
    next_seq = (warehouse.scalar("SELECT max(file_seq) FROM ingested_files") or 0) + 1
    refund_ids = set(warehouse.frame("SELECT refund_id FROM refund_requests")["refund_id"].to_list())
    return hashes, next_seq, refund_ids
