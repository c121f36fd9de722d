"""The goods-in run's side of the warehouse: what it reads (the cutoff's purchase lines and
allocations, the receipts held for the cutoff, after-sales refunds of its lines), what it writes
(its partitions of `receipts`, `shortages`, `supplier_payables`, the receipts it turned down in
`rejects`, `receive_runs`) and whether a cutoff rerun left it stale. The rules are
transforms/goods_in.py; the ledger side is ledger/shortages.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import polars as pl

from schemas.receipts import CONTENT, AppliedReceipts
from schemas.receive_runs import FIGURES, ReceiveRuns
from schemas.shortages import Shortages
from schemas.supplier_payables import SupplierPayables
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse
from warehouse.queries import replace_partitions

RECEIPT_RAW = ["receipt_id", *CONTENT]


def receive_label(window: CutoffWindow) -> str:
    """'receive nightly 2026-11-21': who ingested or turned down a receipt row (rejects)."""
    return f"receive {window.label}"


def cutoff_run_status(warehouse: Warehouse, window: CutoffWindow) -> str | None:
    """The status of the cutoff run's latest attempt (`success`, `failed`), None if never run."""
    return warehouse.scalar("SELECT status FROM runs WHERE calendar = ? AND cutoff_date = ?",
                            [window.calendar, window.cutoff_date])


@dataclass
class GoodsInBasis:
    purchase_lines: pl.DataFrame   # the cutoff's purchase lines
    allocations: pl.DataFrame      # the cutoff's allocations (as it decided them)
    receipts: pl.DataFrame         # receipt_requests held for the cutoff (any supplier and SKU)
    after_sales: pl.DataFrame      # order_id, line_no, refund_fen: after-sales refunds applied to its lines


def read_goods_in_basis(warehouse: Warehouse, window: CutoffWindow) -> GoodsInBasis:
    this = [window.calendar, window.cutoff_date]
    purchase = warehouse.frame(
        "SELECT * FROM purchase_lines WHERE calendar = ? AND cutoff_date = ? ORDER BY supplier_id, sku_id", this)
    allocations = warehouse.frame(
        "SELECT * FROM allocations WHERE calendar = ? AND cutoff_date = ? ORDER BY order_id, line_no", this)
    receipts = warehouse.frame(
        "SELECT * FROM receipt_requests WHERE calendar = ? AND cutoff_date = ? ORDER BY ingest_seq, receipt_id",
        this)
    after_sales = warehouse.frame(
        """SELECT d.order_id, d.line_no, sum(d.amount_fen)::BIGINT AS refund_fen FROM refund_decisions d
           SEMI JOIN (SELECT order_id, line_no FROM allocations WHERE calendar = ? AND cutoff_date = ?
                      AND qty_allocated > 0) a USING (order_id, line_no)
           WHERE d.status = 'applied' GROUP BY ALL ORDER BY ALL""", this)
    return GoodsInBasis(purchase, allocations, receipts, after_sales)


def turned_down_rejects(unknown: pl.DataFrame, window: CutoffWindow) -> pl.DataFrame:
    """`rejects` rows for the receipts of the cutoff that match none of its purchase lines."""
    raw = pl.struct(*[pl.col(c).cast(pl.String) for c in RECEIPT_RAW]).struct.json_encode()
    return unknown.select(
        "source_file", pl.col("source_row").alias("row_number"), "reason", raw.alias("raw"),
        pl.lit("receipts").alias("kind"), pl.lit(None, pl.String).alias("file_hash"),
        pl.lit(None, pl.String).alias("listing_id"), pl.lit(None, pl.Datetime("us", "UTC")).alias("created_at"),
        pl.lit(receive_label(window)).alias("ingested_by"), pl.lit(1, pl.Int64).alias("rows_rejected"),
        pl.lit(window.label).alias("for_run"), pl.lit(receive_label(window)).alias("decided_by"),
    ).sort("source_file", "row_number")


def write_goods_in(warehouse: Warehouse, window: CutoffWindow, applied: pl.DataFrame, payables: pl.DataFrame,
                   shortages: pl.DataFrame, turned_down: pl.DataFrame) -> None:
    """Replace the run's partitions and the receipts it turned down (call inside a transaction)."""
    applied = applied.select([c for c in AppliedReceipts.to_schema().columns if c not in ("calendar", "cutoff_date")])
    for model, frame in ((AppliedReceipts, applied.with_columns(pl.lit(window.calendar).alias("calendar"),
                                                                 pl.lit(window.cutoff_date).alias("cutoff_date"))),
                         (SupplierPayables, payables), (Shortages, shortages)):
        model.validate(frame)
    replace_partitions(warehouse, window.calendar, window.cutoff_date, {
        "receipts": applied, "supplier_payables": payables, "shortages": shortages})
    warehouse.execute("DELETE FROM rejects WHERE kind = 'receipts' AND decided_by = ?", [receive_label(window)])
    warehouse.insert("rejects", turned_down)


def receipt_rejects(warehouse: Warehouse, window: CutoffWindow) -> pl.DataFrame:
    """The receipt rows of this cutoff turned down (bad rows, reused ids, no such purchase line),
    and the unreadable ones ingested by its goods-in runs: receiving/rejects.csv."""
    return warehouse.frame(
        """SELECT source_file, row_number, reason, raw FROM rejects
           WHERE kind = 'receipts' AND (for_run = ? OR (for_run IS NULL AND ingested_by = ?))
           ORDER BY source_file, row_number NULLS FIRST, reason""", [window.label, receive_label(window)])


def basis_fingerprint(warehouse: Warehouse, window: CutoffWindow) -> str:
    """A fingerprint of what a goods-in run decides from and the cutoff run rewrites: the cutoff's
    allocations, purchase lines and accruals (adjustments of them included). A cutoff rerun that changes none of them
    leaves the goods-in run's decisions standing."""
    this = [window.calendar, window.cutoff_date]
    parts = warehouse.frame(
        """SELECT
             (SELECT coalesce(bit_xor(hash(order_id, line_no, sku_id, supplier_id, created_at, qty_allocated,
                                           final_unit_price_fen, net_fen)), 0)
              FROM allocations WHERE calendar = ? AND cutoff_date = ?) AS a,
             (SELECT coalesce(bit_xor(hash(supplier_id, sku_id, units_allocated, units_purchased, unit_cost_fen)), 0)
              FROM purchase_lines WHERE calendar = ? AND cutoff_date = ?) AS p,
             (SELECT coalesce(bit_xor(hash(entry_id, amount_fen, rate_bp)), 0)
              FROM commission_ledger WHERE calendar = ? AND cutoff_date = ?
                AND coalesce(adjusted_type, entry_type) = 'accrual') AS l
        """, this * 3)
    return "-".join(str(v) for v in parts.row(0))


def stale_goods_in_warning(warehouse: Warehouse, window: CutoffWindow) -> list[str]:
    """After a cutoff rerun: `goods_in_stale: ...` when a goods-in run of the cutoff decided from
    allocations, purchase lines or accruals the rerun changed (an empty list otherwise)."""
    stored = warehouse.frame(
        "SELECT basis, ended_at FROM receive_runs WHERE calendar = ? AND cutoff_date = ? AND basis IS NOT NULL",
        [window.calendar, window.cutoff_date])
    if stored.height == 0 or stored["basis"][0] == basis_fingerprint(warehouse, window):
        return []
    return [f"goods_in_stale: the goods-in run of the {window.label} cutoff decided its shortages, refunds, "
            f"clawbacks and payables from what this cutoff decided before; run `cutoff receive --calendar "
            f"{window.calendar} --date {window.cutoff_date.isoformat()}` again"]


def record_receive_run(warehouse: Warehouse, window: CutoffWindow, run_id: str, started: datetime, status: str,
                       message: str = "", figures: dict | None = None, basis: str | None = None) -> None:
    """`receive_runs` keeps one row per cutoff: its goods-in run's latest attempt."""
    this = [window.calendar, window.cutoff_date]
    attempts = (warehouse.scalar("SELECT max(attempts) FROM receive_runs WHERE calendar = ? AND cutoff_date = ?",
                                 this) or 0) + 1
    previous = warehouse.scalar("SELECT basis FROM receive_runs WHERE calendar = ? AND cutoff_date = ?", this)
    row = pl.DataFrame([{"run_id": run_id, "started_at": started, "ended_at": datetime.now(timezone.utc),
                         "status": status, "message": message, "attempts": attempts,
                         **{k: (figures or {}).get(k) for k in FIGURES},
                         "basis": basis if status == "success" else previous}],
                       schema_overrides={**{k: pl.Int64 for k in FIGURES}, "basis": pl.String})
    ReceiveRuns.validate(row)
    with warehouse.transaction():
        warehouse.replace_partition("receive_runs", row, window.calendar, window.cutoff_date)
