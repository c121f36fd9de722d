"""Reconciliation: after every posting and every settlement the ledger is read back and compared
with the figures computed; a difference is a bug, never a data error (LedgerMismatch), and the
enclosing transaction is rolled back."""

from __future__ import annotations

import polars as pl

from schemas.refunds import SHORT_REFUND_ID
from transforms.commissions import as_ledger, commission_totals
from transforms.settlement import settlement_mismatches
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse


class LedgerMismatch(RuntimeError):
    """The ledger does not reconcile with the figures computed: a bug, never a data error."""


# A cutoff's partition of the ledger holds two postings: the cutoff's own (accruals, after-sales
# clawbacks, their adjustments) and its goods-in run's (the shortage clawbacks, refund_id `short`,
# and their adjustments). Each run replaces and reconciles its own posting only.
GOODS_IN_ROWS = f"coalesce(refund_id, '') = '{SHORT_REFUND_ID}'"
CUTOFF_ROWS = f"NOT ({GOODS_IN_ROWS})"

RECONCILE_SQL = """
WITH ledger AS (
    SELECT coalesce(adjusted_type, entry_type) AS kind, role, beneficiary_id, order_id, line_no,
           coalesce(refund_id, '') AS refund_id, sum(amount_fen)::BIGINT AS ledger_fen
    FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {rows} GROUP BY ALL),
computed AS (
    SELECT entry_type AS kind, role, beneficiary_id, order_id, line_no, coalesce(refund_id, '') AS refund_id,
           sum(amount_fen)::BIGINT AS computed_fen
    FROM _computed GROUP BY ALL)
SELECT * FROM ledger FULL JOIN computed USING (kind, role, beneficiary_id, order_id, line_no, refund_id)
WHERE coalesce(ledger_fen, 0) <> coalesce(computed_fen, 0)  -- rows that net to 0: as none (a closed week given back)
ORDER BY order_id, line_no, kind, role
LIMIT 10"""


# Both sides' fingerprint: the sum over rows of hash(key) * amount, key = (kind, role, beneficiary,
# line, refund). It is linear in the amounts, so it is the same sum taken key by key: equal per-key
# sums give equal fingerprints, and a key whose sums differ by d changes it by hash(key) * d, which
# other keys' differences cancel with odds of about 2**-64 (docs/scale.md). One pass, no table of keys.
FINGERPRINT_SQL = """
SELECT (SELECT coalesce(sum(hash(coalesce(adjusted_type, entry_type), role, beneficiary_id, order_id, line_no,
                                 coalesce(refund_id, ''))::HUGEINT * amount_fen), 0)
        FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {rows})
     = (SELECT coalesce(sum(hash(entry_type, role, beneficiary_id, order_id, line_no,
                                 coalesce(refund_id, ''))::HUGEINT * amount_fen), 0)
        FROM _computed)"""


def reconcile_posting(warehouse: Warehouse, window: CutoffWindow, computed: pl.DataFrame,
                      totals: dict[str, int], goods_in: bool = False) -> None:
    """Read the run's ledger rows back (the cutoff's own, or with `goods_in` its goods-in run's):
    per (type, role, beneficiary, line, refund) they must add up to what this run computed
    (adjustments counting as what they adjust), per role to `totals`, and no entry id of the
    cutoff may repeat. Computed in the warehouse: a million-line cutoff's rows stay there."""
    this = [window.calendar, window.cutoff_date]
    rows = GOODS_IN_ROWS if goods_in else CUTOFF_ROWS
    warehouse.con.register("_computed", computed.select(
        "entry_type", "role", "beneficiary_id", "order_id", "line_no", "refund_id", "amount_fen"))
    try:
        same = warehouse.scalar(FINGERPRINT_SQL.format(rows=rows), this)
        # only a difference is looked for line by line (a join of every line's sums: seconds and
        # hundreds of MiB at a million lines), to name the lines that differ
        differences = warehouse.frame(RECONCILE_SQL.format(rows=rows), this) if not same else pl.DataFrame()
    finally:
        warehouse.con.unregister("_computed")
    by_role = warehouse.frame(
        f"""SELECT coalesce(adjusted_type, entry_type) AS entry_type, role, NULL::VARCHAR AS adjusted_type,
                   sum(amount_fen)::BIGINT AS amount_fen
            FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {rows} GROUP BY ALL""", this)
    from_ledger = commission_totals(by_role)
    duplicates = warehouse.scalar(
        "SELECT count(*) - count(DISTINCT entry_id) FROM commission_ledger WHERE calendar = ? AND cutoff_date = ?",
        this)
    if differences.height or from_ledger != totals or duplicates:
        shown = "; ".join(f"{r['order_id']}/{r['line_no']} {r['kind']} {r['role']} {r['beneficiary_id']}: "
                          f"computed {r['computed_fen']} fen, ledger {r['ledger_fen']} fen"
                          for r in differences.iter_rows(named=True))
        run = "goods-in run" if goods_in else "cutoff"
        raise LedgerMismatch(
            f"the commission ledger of the {window.label} {run} does not reconcile: ledger totals {from_ledger}, "
            f"run figures {totals}, {duplicates} duplicated entry id(s). {shown}".strip())


def reconcile_settlement(warehouse: Warehouse, week: str) -> None:
    """The week's statements, read back, add up to the ledger's entries of the week, per role."""
    statements = warehouse.frame("SELECT role, entries, amount_fen FROM settlements WHERE week = ?", [week])
    entries = as_ledger(warehouse.frame("SELECT * FROM commission_ledger WHERE settlement_week = ?", [week]))
    problems = settlement_mismatches(statements.cast({"entries": pl.Int64, "amount_fen": pl.Int64}), entries, week)
    if problems:
        raise LedgerMismatch(f"the settlement of {week} does not reconcile with the ledger: " + "; ".join(problems))
