"""Ingest: every new file under inbox/orders and inbox/refunds (a cutoff run) or inbox/receipts (a
goods-in run) or inbox/pickups (a report run, inbox/pickups.py), once (a registry by content hash).

Reading (`read_inbox`) writes nothing; `validate_inbox` splits rows into good and rejected with
Pandera; `load_inbox` writes both and the registry in one transaction. The current version of an
order line is the one with the latest `updated_at`; on a tie, the one ingested last. Receipts:
inbox/receipts.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from inbox.master import Master
from inbox.platform_exports import (
    RAW,
    SHEET_ROW,
    ExportFrames,
    cancel_left_out,
    export_frames,
    export_key,
    export_master,
    export_reject_rows,
    export_span_rows,
    export_warning_rows,
    is_export,
    read_export_file,
)
from inbox.readers import INPUT_SUFFIXES, UnreadableFile, cut_short, file_hash, read_table
from inbox.receipts import explain_damaged, for_run_label, known_receipts, settle_receipt_ids
from schemas import orders, pickups, receipts, refunds
from schemas.orders import SEQ_PER_FILE
from schemas.validation import ROW, Reference, validate_rows
from transforms.presale import DEPOSIT_PAID, takes_deposit
from transforms.staging import latest_versions, missing_columns, parse_columns
from warehouse.connection import Warehouse

KINDS = ("orders", "refunds")  # what a cutoff run ingests
RECEIPTS = "receipts"           # what a goods-in run ingests (`cutoff receive`)
PICKUPS = "pickups"             # what a report run ingests (`cutoff report`)
MODELS = {"orders": (orders.COLUMNS, orders.OrderLines), "refunds": (refunds.COLUMNS, refunds.Refunds),
          RECEIPTS: (receipts.COLUMNS, receipts.Receipts), PICKUPS: (pickups.COLUMNS, pickups.Pickups)}


@dataclass
class InboxFile:
    kind: str
    path: Path
    relative: str
    file_hash: str
    raw: pl.DataFrame | None = None
    problem: str | None = None  # the whole file is rejected
    cut_row: int | None = None  # a CSV cut short: its last row, cut mid-row (rejected: `cut_problem`)
    cut_problem: str | None = None
    parsed: object | None = None            # a platform export, read (inbox/platform_exports.py)
    export: ExportFrames | None = None      # ... and mapped through the master data (at validation)
    deferred: bool = False      # its table is read when validated, and let go once validated (read_inbox)
    read_rows: int | None = None  # its rows, kept when its table is let go

    @property
    def rows(self) -> int:
        if self.parsed is not None:
            return self.parsed.rows.data_rows
        if self.raw is not None:
            return self.raw.height
        return self.read_rows or 0


@dataclass
class ValidatedInbox:
    files: list[InboxFile]
    order_lines: pl.DataFrame
    refunds: pl.DataFrame
    rejects: pl.DataFrame
    registry: pl.DataFrame = field(default_factory=pl.DataFrame)
    receipts: pl.DataFrame = field(default_factory=pl.DataFrame)
    export_warnings: pl.DataFrame = field(default_factory=pl.DataFrame)  # the warnings of platform exports
    export_spans: pl.DataFrame = field(default_factory=pl.DataFrame)     # what they state in full
    replaced_receipts: list[str] = field(default_factory=list)  # held ids a corrected receipt replaces
    pickups: pl.DataFrame = field(default_factory=pl.DataFrame)  # valid scans (inbox/pickups.py loads them)

    @property
    def rows_read(self) -> int:
        return sum(f.rows for f in self.files)


def find_new_files(data_dir: Path, known_hashes: set[str], ready_marker: str = "",
                   kinds: tuple[str, ...] = KINDS) -> list[InboxFile]:
    """Files of `kinds` not ingested before, by content: orders first, then refunds (or receipts),
    each in name order. Hidden files and the exporter's ready marker (CUTOFF_READY_MARKER) are not
    inputs."""
    found, seen = [], set(known_hashes)
    for kind in kinds:
        folder = data_dir / "inbox" / kind
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                           and not (ready_marker and p.name == ready_marker)):
            digest = export_key(path, data_dir) if kind == "orders" and is_export(path) else file_hash(path)
            if digest in seen:
                continue
            seen.add(digest)
            found.append(InboxFile(kind, path, path.relative_to(data_dir).as_posix(), digest))
    return found


def read_if_export(inbox_file: InboxFile) -> bool:
    """Read a 快团团 / 群接龙 .xlsx export into `parsed` (or its `problem`); False: not an export."""
    if not is_export(inbox_file.path):
        return False
    try:
        inbox_file.parsed = read_export_file(inbox_file.path, inbox_file.relative)
    except UnreadableFile as exc:
        inbox_file.problem = str(exc)
    return True


def read_inbox(data_dir: Path, known_hashes: set[str], ready_marker: str = "",
               kinds: tuple[str, ...] = KINDS, defer: bool = False) -> list[InboxFile]:
    """The new files, each checked (its type, whether it arrived cut short) and read. `defer`: a
    CSV, Parquet or JSONL file's table is not read here but by `validate_inbox`, one file at a
    time, and let go once validated: the inbox's files are never all in memory at once (a cutoff
    run: docs/scale.md)."""
    files = find_new_files(data_dir, known_hashes, ready_marker, kinds)
    for inbox_file in files:
        if inbox_file.kind == "orders" and read_if_export(inbox_file):
            continue
        if inbox_file.path.suffix.lower() not in INPUT_SUFFIXES:
            exports = ", or a 快团团 / 群接龙 export as .xlsx" if inbox_file.kind == "orders" else ""
            inbox_file.problem = f"unknown file type {inbox_file.path.suffix!r} (use .csv, .parquet or .jsonl{exports})"
            continue
        cut_row, cut = cut_short(inbox_file.path)
        if cut is not None and cut_row is None:  # a JSONL or Parquet file cut short: the whole file
            inbox_file.problem = cut
            continue
        inbox_file.cut_row, inbox_file.cut_problem = cut_row, cut
        inbox_file.deferred = defer
        if not defer:
            _read_table(inbox_file)
    return files


def _read_table(inbox_file: InboxFile) -> None:
    try:
        inbox_file.raw = read_table(inbox_file.path)
    except UnreadableFile as exc:  # a CSV cut inside a quoted field does not parse at all
        inbox_file.problem = inbox_file.cut_problem or f"cannot read the file: {exc}"


def _raw_json(raw: pl.DataFrame) -> pl.Expr:
    """The row as read, JSON; a platform export's row as the export writes it."""
    if RAW in raw.columns:
        return pl.col(RAW).alias("raw")
    return pl.struct([c for c in raw.columns if c != ROW]).struct.json_encode().alias("raw")


def _with_shown_rows(frame: pl.DataFrame, raw: pl.DataFrame) -> pl.DataFrame:
    """`frame` with SHEET_ROW: the row the file shows (an export's sheet row; else `_row` itself,
    without a join: the common case, a million rows)."""
    if SHEET_ROW in raw.columns:
        return frame.join(raw.select(ROW, SHEET_ROW), on=ROW, how="left")
    return frame.with_columns(pl.col(ROW).alias(SHEET_ROW))


def _file_reject(inbox_file: InboxFile, reason: str, file_seq: int) -> pl.DataFrame:
    """One row standing for a whole rejected file; `rows_rejected` says how many rows it held."""
    header = ",".join(c for c in inbox_file.raw.columns if c != ROW) if inbox_file.raw is not None else ""
    rows = max(inbox_file.raw.height if inbox_file.raw is not None else 0, 1)
    return pl.DataFrame({"source_file": [inbox_file.relative], "row_number": [None], "reason": [reason],
                         "raw": [header], "kind": [inbox_file.kind], "file_hash": [inbox_file.file_hash],
                         "listing_id": [None], "created_at": [None], "order_id": [None], "line_no": [None],
                         "file_seq": [file_seq], "rows_rejected": [rows]},
                        schema_overrides={"row_number": pl.Int64, "listing_id": pl.String, "order_id": pl.String,
                                          "line_no": pl.String, "created_at": pl.Datetime("us", "UTC"),
                                          "file_seq": pl.Int64, "rows_rejected": pl.Int64})


def _validate_file(inbox_file: InboxFile, file_seq: int, master: Master, tz: str,
                   refs: dict[str, list[Reference]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    columns, model = MODELS[inbox_file.kind]
    raw = inbox_file.raw
    typed = parse_columns(raw, columns, tz)
    if inbox_file.kind == "orders":
        typed = typed.with_columns(pl.col("updated_at").fill_null(pl.col("created_at")))
    valid, rejected = validate_rows(typed, model, refs[inbox_file.kind])
    if inbox_file.cut_row is not None:  # the row a transfer cut off is rejected, however it parsed
        cut = pl.col(ROW) == inbox_file.cut_row
        rejected = pl.concat([rejected.filter(~cut), typed.filter(cut).select(
            ROW, pl.lit(inbox_file.cut_problem, pl.String).alias("reason"))], how="diagonal_relaxed") \
            .select(rejected.columns).sort(ROW)
        valid = valid.filter(~cut)
    if inbox_file.kind == "orders":
        valid, rejected = _reject_deposit_without_presale(valid, rejected, master.listings)
    if inbox_file.kind != "orders":  # kept until duplicates are sorted out (their reject shows it)
        valid = valid.join(raw.select(ROW, _raw_json(raw)), on=ROW, how="left")
    if inbox_file.kind == RECEIPTS:
        rejected = explain_damaged(rejected, typed, ROW)
    valid = _with_shown_rows(valid, raw).with_columns(
        pl.lit(inbox_file.relative).alias("source_file"),
        pl.col(SHEET_ROW).alias("source_row"),
        (pl.lit(file_seq * SEQ_PER_FILE, dtype=pl.Int64) + pl.col(ROW)).alias("ingest_seq"),
    ).drop(ROW, SHEET_ROW)
    prefix = f"sheet {inbox_file.export.parsed.sheet}: " if inbox_file.export is not None else ""
    text = raw.select(ROW, *[pl.col(c).cast(pl.String).str.strip_chars().alias(f"_{c}")
                             for c in ("order_id", "line_no") if c in raw.columns])
    rejects = (
        rejected.join(raw.select(ROW, _raw_json(raw)), on=ROW, how="left")
        .join(typed.select(ROW, *[pl.col(c) if c in typed.columns else pl.lit(None, kind).alias(c)
                                  for c, kind in (("listing_id", pl.String), ("created_at", pl.Datetime("us", "UTC")))],
                           (for_run_label() if inbox_file.kind == RECEIPTS else pl.lit(None, pl.String))
                           .alias("for_run")), on=ROW, how="left")
        .join(text, on=ROW, how="left")
        .pipe(_with_shown_rows, raw)
        .select(pl.lit(inbox_file.relative).alias("source_file"), pl.col(SHEET_ROW).alias("row_number"),
                (pl.lit(prefix) + pl.col("reason")).alias("reason"), "raw", pl.lit(inbox_file.kind).alias("kind"),
                pl.lit(inbox_file.file_hash).alias("file_hash"), "listing_id", "created_at",
                pl.col("^_order_id$").alias("order_id") if "_order_id" in text.columns
                else pl.lit(None, pl.String).alias("order_id"),
                pl.col("^_line_no$").alias("line_no") if "_line_no" in text.columns
                else pl.lit(None, pl.String).alias("line_no"),
                pl.lit(file_seq, pl.Int64).alias("file_seq"), pl.lit(1, pl.Int64).alias("rows_rejected"), "for_run")
    )
    return valid, rejects


def _reject_deposit_without_presale(valid: pl.DataFrame, rejected: pl.DataFrame,
                                    listings: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A `deposit_paid` row of a listing that takes no deposit is a bad row (rulebook: a deposit
    presale's lines alone may be `deposit_paid`)."""
    presales = listings.filter(takes_deposit())["listing_id"] if "deposit_fen" in listings.columns \
        else pl.Series("listing_id", [], pl.String)
    bad = (pl.col("status") == DEPOSIT_PAID) & ~pl.col("listing_id").is_in(presales.implode())
    reasons = valid.filter(bad).select(ROW, pl.concat_str([
        pl.lit("status 'deposit_paid' but listing '"), pl.col("listing_id"),
        pl.lit("' takes no deposit (no deposit_fen in listings.csv): only a deposit presale's lines are "
               "deposit_paid")]).alias("reason"))
    return valid.filter(~bad), pl.concat([rejected, reasons]).sort(ROW)


REFUND_CONTENT = ["order_id", "line_no", "amount_fen", "created_at"]


def _reject_duplicate_refunds(refund_rows: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A refund is applied once, keyed by refund_id. The same refund sent again (a cumulative
    export) is already held and is skipped; the same id with another line, amount or time is an
    error and is rejected."""
    ranked = refund_rows.sort("ingest_seq").join(
        known.select("refund_id", *[pl.col(c).alias(f"_known_{c}") for c in REFUND_CONTENT]),
        on="refund_id", how="left")
    first = pl.col("refund_id").is_first_distinct()
    same_as = lambda prefix: pl.all_horizontal(  # noqa: E731
        [pl.col(c).eq_missing(pl.col(f"{prefix}{c}")) for c in REFUND_CONTENT])
    ranked = ranked.with_columns(
        *[pl.col(c).first().over("refund_id").alias(f"_first_{c}") for c in REFUND_CONTENT])
    held = pl.col("_known_order_id").is_not_null()
    repeat = (held & same_as("_known_")) | (~held & ~first & same_as("_first_"))
    conflict = (held | ~first) & ~repeat
    content = [c for c in ranked.columns if c.startswith(("_known_", "_first_"))]
    dups = ranked.filter(conflict).select(
        "source_file", pl.col("source_row").alias("row_number"),
        pl.concat_str([pl.lit("duplicate refund_id '"), pl.col("refund_id"),
                       pl.lit("' with another line, amount or time: a refund is applied once")]).alias("reason"),
        "raw", pl.lit("refunds").alias("kind"), pl.lit(None, pl.String).alias("file_hash"),
        pl.lit(None, pl.String).alias("listing_id"), "created_at", pl.lit(1, pl.Int64).alias("rows_rejected"))
    return ranked.filter(~conflict & ~repeat).drop(content), dups


def validate_inbox(files: list[InboxFile], master: Master, tz: str, first_seq: int,
                   known_refunds: pl.DataFrame, ingested_by: str,
                   known_receipts: pl.DataFrame | None = None) -> ValidatedInbox:
    """`known_receipts`: inbox.receipts.known_receipts (needed when `files` hold receipts)."""
    refs = {
        "orders": [Reference("listing_id", master.listings["listing_id"], "listings.csv"),
                   Reference("pickup_point_id", master.pickup_points["pickup_point_id"], "pickup_points.csv"),
                   Reference("distributor_id", master.distributors["distributor_id"], "distributors.csv")],
        "refunds": [],
        RECEIPTS: [Reference("supplier_id", master.suppliers["supplier_id"], "suppliers.csv"),
                   Reference("sku_id", master.products["sku_id"], "products.csv")],
        PICKUPS: [Reference("pickup_point_id", master.pickup_points["pickup_point_id"], "pickup_points.csv")],
    }
    goods: dict[str, list[pl.DataFrame]] = {kind: [] for kind in MODELS}
    rejects: list[pl.DataFrame] = []
    registry, warnings, spans = [], [], []
    exports = export_master(master.export_map, master.export_groups, master.listings, tz) \
        if any(f.parsed is not None for f in files) else None
    for offset, inbox_file in enumerate(files):
        if inbox_file.deferred and inbox_file.raw is None and inbox_file.problem is None:
            _read_table(inbox_file)
        if inbox_file.parsed is not None and inbox_file.problem is None:
            inbox_file.export = export_frames(inbox_file.parsed, exports, tz)
            inbox_file.raw = inbox_file.export.orders
        lacking = missing_columns(inbox_file.raw, MODELS[inbox_file.kind][0]) if inbox_file.raw is not None else []
        if inbox_file.problem is None and lacking:
            inbox_file.problem = f"missing required column(s) {', '.join(lacking)}: the whole file is rejected"
        if inbox_file.problem is not None:
            rejects.append(_file_reject(inbox_file, inbox_file.problem, first_seq + offset))
            loaded, bad = 0, inbox_file.raw.height if inbox_file.raw is not None else 0
        else:
            valid, bad_rows = _validate_file(inbox_file, first_seq + offset, master, tz, refs)
            goods[inbox_file.kind].append(valid)
            rejects.append(bad_rows)
            loaded, bad = valid.height, bad_rows.height
            if inbox_file.export is not None:  # its refunds, the rows it rejected itself, its warnings
                refund_file = replace(inbox_file, kind="refunds", raw=inbox_file.export.refunds)
                good_refunds, bad_refunds = _validate_file(refund_file, first_seq + offset, master, tz, refs)
                goods["refunds"].append(good_refunds)
                own = export_reject_rows(inbox_file.export, inbox_file.relative, inbox_file.file_hash,
                                         first_seq + offset)
                rejects += [bad_refunds, own]
                bad += bad_refunds.height + own.height
                warnings.append(export_warning_rows(inbox_file.export, inbox_file.relative, inbox_file.file_hash,
                                                    first_seq + offset, ingested_by))
                spans.append(export_span_rows(inbox_file.export, inbox_file.relative, first_seq + offset, ingested_by))
        registry.append({"file_hash": inbox_file.file_hash, "kind": inbox_file.kind,
                         "path": inbox_file.relative, "file_seq": first_seq + offset,
                         "rows_read": inbox_file.rows,
                         "rows_loaded": loaded, "rows_rejected": bad,
                         "ingested_at": datetime.now(timezone.utc), "ingested_by": ingested_by})
        if inbox_file.deferred:  # validated: its rows are in `goods` and `rejects`, its table goes
            inbox_file.read_rows, inbox_file.raw = inbox_file.rows, None
    order_rows = pl.concat(goods["orders"], how="diagonal_relaxed") if goods["orders"] else pl.DataFrame()
    refund_rows = pl.concat(goods["refunds"], how="diagonal_relaxed") if goods["refunds"] else pl.DataFrame()
    if refund_rows.height:
        refund_rows, duplicate_refunds = _reject_duplicate_refunds(refund_rows, known_refunds)
        rejects.append(duplicate_refunds)
    receipt_rows, replaced = pl.DataFrame(), []
    if goods[RECEIPTS]:
        receipt_rows, reused, replaced = settle_receipt_ids(pl.concat(goods[RECEIPTS], how="diagonal_relaxed"),
                                                            known_receipts)
        rejects.append(reused)
    all_rejects = (pl.concat([r for r in rejects if r.height], how="diagonal_relaxed")
                   if any(r.height for r in rejects) else pl.DataFrame())
    if all_rejects.height:
        all_rejects = all_rejects.with_columns(pl.lit(ingested_by).alias("ingested_by"))
    pickup_rows = pl.concat(goods[PICKUPS], how="diagonal_relaxed") if goods[PICKUPS] else pl.DataFrame()
    return ValidatedInbox(files, order_rows, refund_rows, all_rejects, pl.DataFrame(registry),
                          receipt_rows, pl.concat(warnings) if warnings else pl.DataFrame(),
                          pl.concat(spans) if spans else pl.DataFrame(), replaced, pickup_rows)


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
        warehouse.insert("refund_requests", inbox.refunds.drop("raw", strict=False))
        if inbox.replaced_receipts:
            warehouse.execute("DELETE FROM receipt_requests WHERE receipt_id IN (SELECT unnest(?::VARCHAR[]))",
                              [inbox.replaced_receipts])
        warehouse.insert("receipt_requests", inbox.receipts.drop("raw", strict=False))
        warehouse.insert("rejects", inbox.rejects)
        warehouse.insert("export_warnings", inbox.export_warnings)
        cancel_left_out(warehouse, inbox.export_spans)
        warehouse.insert("ingested_files", inbox.registry)


def known_state(warehouse: Warehouse) -> tuple[set[str], int, pl.DataFrame]:
    """(hashes ingested, the next file_seq, the refunds received)."""
    hashes = set(warehouse.frame("SELECT file_hash FROM ingested_files")["file_hash"].to_list())
    next_seq = (warehouse.scalar("SELECT max(file_seq) FROM ingested_files") or 0) + 1
    refunds = warehouse.frame(f"SELECT refund_id, {', '.join(REFUND_CONTENT)} FROM refund_requests")
    return hashes, next_seq, refunds


def ingest_receipts(warehouse: Warehouse, data_dir: Path, master: Master, tz: str, ingested_by: str,
                    ready_marker: str = "") -> ValidatedInbox:
    """A goods-in run's ingest: every new file of inbox/receipts/, validated (bad rows and reused
    receipt ids to `rejects`), its good rows held in `receipt_requests`, in one transaction."""
    hashes, next_seq, known_refunds = known_state(warehouse)
    files = read_inbox(data_dir, hashes, ready_marker, kinds=(RECEIPTS,))
    inbox = validate_inbox(files, master, tz, next_seq, known_refunds, ingested_by, known_receipts(warehouse))
    load_inbox(warehouse, inbox)
    return inbox
