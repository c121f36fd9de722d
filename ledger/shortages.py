"""Posting a goods-in run's shortage clawbacks (rulebook "Goods-in": "Commission on a shortage").

A cutoff's partition of the ledger holds two postings (ledger/reconcile.py): the cutoff's own and
its goods-in run's, the rows with refund_id `short`. A goods-in run replaces and reconciles its own
rows only: for each accrual of a line with a shortage refund, a clawback of
`-round_half_even(short_refund_fen * rate_bp / 10000)`, dated by the cutoff, capped so that the
clawbacks of one accrual never exceed it (the after-sales clawbacks already posted counting first).
Rows in a closed settlement week stand; a changed goods-in run posts the difference as
`adjustment` entries in the first open week (transforms/settlement.py), as a cutoff rerun does.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ledger.posting import closed_weeks
from ledger.reconcile import GOODS_IN_ROWS, reconcile_posting
from schemas.commission_ledger import CommissionLedger
from transforms.commissions import as_ledger, clawed_back, commission_totals, effective_accruals
from transforms.goods_in import claw_back_shortages
from transforms.settlement import adjust_closed_entries
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse


@dataclass
class ShortagePosting:
    computed: pl.DataFrame        # the clawbacks this run computed (ledger rows dated by the cutoff)
    posted: pl.DataFrame          # the rows it inserted (computed, or adjustments in the first open week)
    entries: pl.DataFrame         # the goods-in rows of the cutoff now in the ledger, every week
    clawback_fen: int             # their total in force (<= 0): receiving.json fen.clawback
    adjustment_week: str | None   # the week adjustments were dated in, if any


def _lines_ledger(warehouse: Warehouse, window: CutoffWindow, lines: pl.DataFrame) -> pl.DataFrame:
    """Every ledger row of these lines but this goods-in run's own: their accruals (and
    adjustments of them) and the after-sales clawbacks posted so far."""
    if lines.height == 0:
        return as_ledger(pl.DataFrame())
    warehouse.con.register("_short_lines", lines.select("order_id", "line_no").unique())
    try:
        return as_ledger(warehouse.frame(
            f"""SELECT * FROM commission_ledger SEMI JOIN _short_lines USING (order_id, line_no)
                WHERE NOT (calendar = ? AND cutoff_date = ? AND {GOODS_IN_ROWS}) ORDER BY entry_id""",
            [window.calendar, window.cutoff_date]))
    finally:
        warehouse.con.unregister("_short_lines")


def goods_in_entries(warehouse: Warehouse, window: CutoffWindow, weeks: list[str] | None = None) -> pl.DataFrame:
    """The goods-in rows of the cutoff (refund_id `short`), of the given settlement weeks or all."""
    query = f"SELECT * FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {GOODS_IN_ROWS}"
    params: list = [window.calendar, window.cutoff_date]
    if weeks is not None:
        query += " AND settlement_week IN (SELECT unnest(?::VARCHAR[]))"
        params.append(weeks)
    return as_ledger(warehouse.frame(query + " ORDER BY entry_id", params))


def post_shortage_clawbacks(warehouse: Warehouse, window: CutoffWindow, shortages: pl.DataFrame) -> ShortagePosting:
    """Post the goods-in run's clawbacks (call inside its write transaction): compute them from the
    lines' accruals and earlier clawbacks, replace the run's rows in open weeks (those in closed
    weeks stand; the difference goes in as adjustments), read the ledger back and reconcile
    (LedgerMismatch rolls the transaction back)."""
    basis = _lines_ledger(warehouse, window, shortages)
    computed = claw_back_shortages(shortages, effective_accruals(basis), clawed_back(basis), window)
    CommissionLedger.validate(computed)
    closed = sorted(closed_weeks(warehouse))
    frozen = goods_in_entries(warehouse, window, closed) if closed else as_ledger(pl.DataFrame())
    posting = adjust_closed_entries(computed, frozen, closed, window)
    if posting is not computed:
        CommissionLedger.validate(posting)
    warehouse.execute(
        f"""DELETE FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {GOODS_IN_ROWS}
            AND settlement_week NOT IN (SELECT unnest(?::VARCHAR[]))""",
        [window.calendar, window.cutoff_date, closed])
    warehouse.insert("commission_ledger", posting)
    reconcile_posting(warehouse, window, computed, commission_totals(computed), goods_in=True)
    entries = goods_in_entries(warehouse, window)
    adjusted = posting.filter(pl.col("entry_type") == "adjustment")
    return ShortagePosting(computed, posting, entries, int(entries["amount_fen"].sum() or 0),
                           adjusted["settlement_week"][0] if adjusted.height else None)

