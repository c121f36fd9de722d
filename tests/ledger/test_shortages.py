"""The goods-in run's side of the ledger against a real warehouse: the shortage clawbacks of the
rulebook's example (refund_id `short`), a cutoff rerun that leaves them alone, a goods-in rerun that
replaces only its own rows, a closed week (adjustments in the first open week), after-sales refunds
before and after the goods-in run (the clawbacks of one accrual never exceed it; a refund is checked
against net - short_refund - earlier refunds)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ledger.shortages import post_shortage_clawbacks
from tests.ledger.test_ledger import AFTER_W47, AFTER_W48, NOV, TZ, Books, refund
from transforms.goods_in import decide_purchase_lines, take_back_short_units
from transforms.purchase import build_purchase_lines
from transforms.windows import window_for
from warehouse.connection import open_warehouse
from warehouse.goods_in import read_goods_in_basis

D_LEADER = ("D", "leader", "T2")


@pytest.fixture
def books(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        yield Books(tmp_path / "data", tmp_path / "reports", warehouse)


def receive(books: Books, received: int, damaged: int = 0, day: date = NOV[21]):
    """The goods-in run's decisions and posting, as the flow's write task makes them: the mooncake
    supplier S1 delivers `received` boxes of SKU1 (12 allocated, 12 purchased)."""
    window = window_for("nightly", day, TZ)
    allocations = books.warehouse.frame("SELECT * FROM allocations WHERE calendar = 'nightly' AND cutoff_date = ?",
                                        [day])
    with books.warehouse.transaction():
        books.warehouse.replace_partition("purchase_lines", build_purchase_lines(allocations, books.master.products),
                                          "nightly", day)
    basis = read_goods_in_basis(books.warehouse, window)
    receipts = pl.DataFrame({"supplier_id": ["S1"], "sku_id": ["SKU1"], "units_received": [received],
                             "units_damaged": [damaged]})
    payables = decide_purchase_lines(basis.purchase_lines, receipts)
    shortages = take_back_short_units(basis.allocations, payables, basis.after_sales)
    with books.warehouse.transaction():
        books.warehouse.replace_partition("shortages", shortages, "nightly", day)
        return post_shortage_clawbacks(books.warehouse, window, shortages), shortages


def short_rows(books: Books) -> pl.DataFrame:
    return books.warehouse.frame(
        """SELECT entry_id, entry_type, adjusted_type, entry_date, settlement_week, order_id, role, beneficiary_id,
                  refund_id, base_fen, rate_bp, amount_fen
           FROM commission_ledger WHERE refund_id = 'short' ORDER BY entry_id""")


def test_the_worked_example_claws_back_d_leaders_commission_by_6560(books):
    books.run(NOV[21])
    posting, shortages = receive(books, received=11, damaged=1)
    assert shortages.select("order_id", "units_short", "short_refund_fen").rows() == [("D", 2, 65600)]
    rows = short_rows(books)
    assert rows.select("entry_id", "entry_type", "entry_date", "order_id", "role", "beneficiary_id", "base_fen",
                       "rate_bp", "amount_fen").rows() == [
        ("clawback|nightly|2026-11-21|short|D|1|leader|T2", "clawback", NOV[21], "D", "leader", "T2", 65600, 1000,
         -6560)]
    assert posting.clawback_fen == -6560 and posting.adjustment_week is None


def test_a_cutoff_rerun_keeps_the_shortage_clawbacks_and_still_reconciles(books):
    books.run(NOV[21])
    receive(books, received=11, damaged=1)
    before = books.ledger()
    books.run(NOV[21])  # reconciles its own rows; LedgerMismatch otherwise
    assert_frame_equal(books.ledger(), before)
    assert short_rows(books)["amount_fen"].to_list() == [-6560]


def test_a_goods_in_rerun_replaces_only_its_own_rows(books):
    books.run(NOV[21])
    accruals = books.ledger().filter(pl.col("entry_type") == "accrual")
    receive(books, received=11, damaged=1)
    first = books.ledger()
    receive(books, received=11, damaged=1)  # the same inputs: the same rows, nothing twice
    assert_frame_equal(books.ledger(), first)
    posting, shortages = receive(books, received=12)  # a corrected receipt: nothing short
    assert shortages.height == 0 and short_rows(books).height == 0 and posting.clawback_fen == 0
    assert_frame_equal(books.ledger().filter(pl.col("entry_type") == "accrual"), accruals)
    receive(books, received=9)  # 3 short: D gives up 3 of its 4 (98400), clawback 9840
    assert short_rows(books)["amount_fen"].to_list() == [-9840]


def test_a_closed_week_gets_adjustments_in_the_first_open_week(books):
    books.run(NOV[21])
    books.settle("2026-W47", now=AFTER_W47)
    posting, _ = receive(books, received=11, damaged=1)
    rows = short_rows(books)
    assert rows.select("entry_type", "adjusted_type", "entry_date", "settlement_week", "order_id", "role",
                       "amount_fen").rows() == [("adjustment", "clawback", NOV[23], "2026-W48", "D", "leader", -6560)]
    assert posting.adjustment_week == "2026-W48" and posting.clawback_fen == -6560
    receive(books, received=11, damaged=1)  # a rerun: the same adjustment, not a second one
    assert_frame_equal(short_rows(books), rows)
    books.settle("2026-W48", now=AFTER_W48)
    posting, _ = receive(books, received=12)  # corrected after both weeks closed: given back in W49
    rows = short_rows(books)
    assert rows.select("settlement_week", "entry_date", "amount_fen").rows() == [
        ("2026-W48", NOV[23], -6560), ("2026-W49", NOV[30], 6560)]
    assert posting.clawback_fen == 0


def test_after_sales_clawbacks_count_first_and_the_shortage_refund_is_capped(books):
    books.run(NOV[21])
    books.refunds([refund("R1", "D", 100000, "2026-11-22T10:00:00")])
    books.run(NOV[22])  # D's after-sales refund: 100000 of its 131200, clawback 10000 of the 13120
    posting, shortages = receive(books, received=11, damaged=1)
    # the shortage refund is what the after-sales refund left: 131200 - 100000 = 31200 (units stay 2)
    assert shortages.select("order_id", "units_short", "short_refund_fen").rows() == [("D", 2, 31200)]
    d_leader = books.ledger().filter((pl.col("order_id") == "D") & (pl.col("role") == "leader"))
    assert sorted(d_leader.select("refund_id", "amount_fen").rows(), key=str) == sorted(
        [(None, 13120), ("R1", -10000), ("short", -3120)], key=str)
    assert int(d_leader["amount_fen"].sum()) == 0  # clawed back to nothing, never beyond


def test_an_after_sales_refund_after_the_goods_in_run_is_checked_against_what_is_left(books):
    books.run(NOV[21])
    receive(books, received=11, damaged=1)  # D: net 131200, shortage refund 65600
    books.refunds([refund("R1", "D", 65601, "2026-11-22T10:00:00"),
                   refund("R2", "D", 65600, "2026-11-22T11:00:00")])
    posting = books.run(NOV[22])
    decisions = posting.refund_decisions.select("refund_id", "status", "reason").rows()
    assert decisions[0][:2] == ("R1", "rejected")
    assert decisions[0][2] == ("refund of 65601 fen is larger than the line's net_fen 131200 minus its shortage "
                               "refund 65600 (short delivery) minus its earlier refunds 0")
    assert decisions[1] == ("R2", "applied", None)
    d_leader = books.ledger().filter((pl.col("order_id") == "D") & (pl.col("role") == "leader"))
    assert sorted(d_leader.select("refund_id", "amount_fen").rows(), key=str) == sorted(
        [(None, 13120), ("short", -6560), ("R2", -6560)], key=str)


def test_a_closed_accrual_whose_line_is_cancelled_later_is_given_back_and_still_reconciles(books):
    """Reconciliation counts rows that net to 0 as none: an accrual of a closed week, taken back by
    an adjustment in the first open week, matches a rerun that computes nothing for the line."""
    from tests.datasets import ORDER_COLUMNS, order, write_csv
    books.run(NOV[21])
    books.settle("2026-W47", now=AFTER_W47)
    write_csv(books.data_dir / "inbox" / "orders" / "later.csv",
              [order("D", "cD", 4, "2026-11-21T09:03:00", point="P2", status="cancelled",
                     updated_at="2026-11-21T15:00:00", name="赵敏", phone="8888")], ORDER_COLUMNS)
    posting = books.run(NOV[21])  # before: LedgerMismatch (ledger 0 fen, computed none)
    d_leader = books.ledger().filter((pl.col("order_id") == "D") & (pl.col("role") == "leader"))
    assert d_leader.select("entry_type", "settlement_week", "amount_fen").rows() == [
        ("accrual", "2026-W47", 13120), ("adjustment", "2026-W48", -13120)]
    assert posting.adjustment_week == "2026-W48"
