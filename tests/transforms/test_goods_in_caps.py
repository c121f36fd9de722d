"""Shortage and after-sales clawbacks together (rulebook "Commission on a shortage"): whatever the
order in which after-sales refunds and the shortage come, the clawbacks of one accrual never exceed
it, and the customer is never refunded more than the line's net."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import NIGHTLY, listings, orders, products
from tests.transforms.test_goods_in import _categories, _distributors, _no_clawbacks, _points
from transforms.close import close_listings
from transforms.commissions import accrue_commissions, claw_back_commissions, clawed_back, effective_accruals
from transforms.goods_in import claw_back_shortages, decide_purchase_lines, take_back_short_units
from transforms.purchase import build_purchase_lines

CREATED = datetime(2026, 11, 22, 2, tzinfo=timezone.utc)
def catalogue() -> pl.DataFrame:
    """The mooncake product (a function: no polars query at import, docs/mutation.md)."""
    return products({})


@settings(max_examples=60, deadline=None)
@given(qtys=st.lists(st.integers(1, 5), min_size=1, max_size=8), received=st.integers(0, 40),
       refund_shares=st.lists(st.integers(0, 100), min_size=8, max_size=8), leader_bp=st.integers(1, 3000),
       dist_l1_bp=st.integers(0, 3000))
def test_clawbacks_of_one_accrual_never_exceed_it_and_refunds_never_exceed_the_net(
        qtys, received, refund_shares, leader_bp, dist_l1_bp):
    order_rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=q, distributor_id="X2",
                               created_at=f"2026-11-21 10:{i:02d}") for i, q in enumerate(qtys)])
    listing_rows = listings(dict(listing_id="L1", dist_l1_bp=dist_l1_bp, dist_l2_bp=500))
    closed = close_listings(order_rows, listing_rows, catalogue(), NIGHTLY)
    accruals = accrue_commissions(closed.allocations, listing_rows, _points(leader_bp), _categories(),
                                  _distributors(), NIGHTLY)
    # after-sales refunds first: a share of each line's net (refund checked against the net)
    nets = closed.allocations.filter(pl.col("net_fen") > 0)
    shares = pl.Series("share", [refund_shares[i % 8] for i in range(nets.height)], dtype=pl.Int64)
    after_sales = (nets.with_columns(shares).with_row_index("i")
                   .select(pl.format("R{}", pl.col("i")).alias("refund_id"), "order_id", "line_no",
                           (pl.col("net_fen") * pl.col("share") // 100).alias("amount_fen"),
                           pl.lit(CREATED).alias("created_at"))
                   .filter(pl.col("amount_fen") > 0))
    after_clawbacks = claw_back_commissions(after_sales, effective_accruals(accruals), _no_clawbacks(), NIGHTLY)
    # then the goods-in run: short refunds capped at what the after-sales refunds left
    lines = build_purchase_lines(closed.allocations, catalogue())
    payables = decide_purchase_lines(lines, pl.DataFrame({"supplier_id": ["S1"], "sku_id": ["SKU1"],
                                                          "units_received": [received], "units_damaged": [0]}))
    refunded = after_sales.select("order_id", "line_no", pl.col("amount_fen").alias("refund_fen"))
    shortages = take_back_short_units(closed.allocations, payables, refunded)
    owed = (closed.allocations.select("order_id", "line_no", "net_fen")
            .join(after_sales.group_by("order_id", "line_no").agg(pl.col("amount_fen").sum().alias("after")),
                  on=["order_id", "line_no"], how="left")
            .join(shortages.select("order_id", "line_no", "short_refund_fen"), on=["order_id", "line_no"], how="left")
            .fill_null(0))
    assert (owed["after"] + owed["short_refund_fen"] <= owed["net_fen"]).all()
    entries = pl.concat([accruals, after_clawbacks])
    short_clawbacks = claw_back_shortages(shortages, effective_accruals(entries), clawed_back(entries), NIGHTLY)
    ledger = pl.concat([entries, short_clawbacks])
    per_accrual = ledger.group_by("order_id", "line_no", "role", "beneficiary_id").agg(
        pl.col("amount_fen").filter(pl.col("entry_type") == "accrual").sum().alias("accrued"),
        pl.col("amount_fen").filter(pl.col("entry_type") == "clawback").sum().alias("clawed"))
    assert (per_accrual["clawed"] <= 0).all()
    assert (per_accrual["accrued"] + per_accrual["clawed"] >= 0).all()
    assert (short_clawbacks["refund_id"] == "short").all()
