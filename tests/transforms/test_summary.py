"""summary.json and refunds.csv (contract: "Outputs"): every figure against the contract's definition,
computed by hand from a cutoff built with the real rules."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from tests import mooncake
from tests.builders import NIGHTLY, at, listings, mooncake_orders, orders, products
from transforms.close import close_listings
from transforms.purchase import build_purchase_lines, total_by_supplier
from transforms.summary import refunds_owed, summarize_cutoff
from transforms.windows import window_for

ZERO_COMMISSION = {"leader": 0, "dist_l1": 0, "dist_l2": 0, "clawback": 0}


def suppliers(*rows: tuple) -> pl.DataFrame:
    """(supplier_id, name, min_order_fen)"""
    return pl.DataFrame([{"supplier_id": s, "name": n, "email": f"{s.lower()}@example.com", "min_order_fen": m}
                         for s, n, m in rows],
                        schema={"supplier_id": pl.String, "name": pl.String, "email": pl.String,
                                "min_order_fen": pl.Int64})


# Frames are built inside the tests, never at import: a polars query run while `make mutate`'s fork
# server collects the tests starts polars' thread pool there, and every mutant forked from it hangs.
def items() -> pl.DataFrame:
    return products(
        dict(sku_id="SKU1", supplier_id="S1", cost_fen=20000, case_pack=1),               # mooncakes
        dict(sku_id="SKU2", supplier_id="S2", cost_fen=1500, case_pack=6, name="砂糖橘",    # oranges, cases of 6
             category="水果"),
        dict(sku_id="SKU3", supplier_id="S1", cost_fen=900, name="蛋黄酥"),
        dict(sku_id="SKU4", supplier_id="S1", cost_fen=3000, name="榴莲千层"),
    )


def two_suppliers() -> pl.DataFrame:
    return suppliers(("S1", "广州月饼食品有限公司", 0), ("S2", "从化鲜果合作社", 10000))


def busy_cutoff():
    """Four closing listings and two that do not close:
    L1 the rulebook's mooncakes (stock 12; E out of stock) and F, created after the close;
    L2 oranges per pickup point, min 3, point cap 3: G at P1 gets 3 of 4, H alone at P2 forms no group;
    L3 closes with no order at all; L5 needs 3 participants and gets 2: no group;
    W1 is weekly and N2 closes tomorrow: neither closes tonight."""
    order_rows = pl.concat([
        mooncake_orders(),
        orders(dict(order_id="F", customer_id="cF", qty=1, created_at="2026-11-21 20:30"),
               dict(order_id="G", customer_id="cG", qty=4, created_at="2026-11-21 10:00", listing_id="L2",
                    unit_price_fen=2990, pickup_point_id="P1"),
               dict(order_id="H", customer_id="cH", qty=1, created_at="2026-11-21 10:05", listing_id="L2",
                    unit_price_fen=2990, pickup_point_id="P2"),
               dict(order_id="I", customer_id="cI", qty=1, created_at="2026-11-21 11:00", listing_id="L5",
                    unit_price_fen=5000),
               dict(order_id="J", customer_id="cJ", qty=1, created_at="2026-11-21 11:01", listing_id="L5",
                    unit_price_fen=5000),
               dict(order_id="K", customer_id="cK", qty=9, created_at="2026-11-21 11:02", status="cancelled"),
               dict(order_id="W", customer_id="cW", qty=2, created_at="2026-11-21 11:03", listing_id="W1")),
    ])
    listing_rows = listings(
        dict(listing_id="L1", sku_id="SKU1", tiers=mooncake.TIERS, stock_cap=mooncake.STOCK_CAP),
        dict(listing_id="L2", sku_id="SKU2", unit_price_fen=2990, group_scope="pickup_point", min_qty=3, point_cap=3),
        dict(listing_id="L3", sku_id="SKU3", unit_price_fen=1200),
        dict(listing_id="L5", sku_id="SKU4", unit_price_fen=5000, tiers="3:5000"),
        dict(listing_id="W1", sku_id="SKU3", calendar="weekly", closes_at=at("2026-11-23 00:00")),
        dict(listing_id="N2", sku_id="SKU3", closes_at=at("2026-11-22 20:00")),
    )
    closed = close_listings(order_rows, listing_rows, items(), NIGHTLY)
    purchase = build_purchase_lines(closed.allocations, items())
    return closed, purchase, total_by_supplier(purchase, two_suppliers())


def test_every_figure_of_a_busy_cutoff_is_the_contracts():
    closed, purchase, totals = busy_cutoff()
    summary = summarize_cutoff(NIGHTLY, closed.closing, closed.allocations, closed.groups, purchase, totals,
                               rejected=2, commission={"leader": 4080, "dist_l1": 4620, "clawback": -1000})
    assert summary == {
        "calendar": "nightly",
        "cutoff_date": "2026-11-21",
        "window": {"start": "2026-11-20T20:00:00+08:00", "end": "2026-11-21T20:00:00+08:00"},
        "listings_closed": 4,                  # L1, L2, L3 (no orders) and L5; not W1 nor N2
        "groups_not_formed": 2,                # L2 at P2, L5
        "order_lines": {
            "eligible": 10,                    # A-F (F after close), G, H, I, J; not the cancelled K nor W
            "allocated": 5,                    # A, B, C, D, G
            "cut": 6,                          # E, F, G (1 of 4), H, I, J
            "rejected": 2,
        },
        "units": {
            "ordered": 2 + 5 + 1 + 4 + 3 + 1 + 4 + 1 + 1 + 1,   # 23
            "allocated": 12 + 3,
            "purchased": 12 + 6,               # mooncakes one by one; oranges: 3 fill one case of 6
            "surplus": 3,
        },
        "fen": {
            "paid": 16 * 32800 + 5 * 2990 + 2 * 5000,   # 549750
            "net": 12 * 32800 + 3 * 2990,                # 402570
            "refund": 4 * 32800 + 2 * 2990 + 2 * 5000,   # 147180: E 3 and F 1 box, G 1 and H 1, I and J
            "forfeit": 0,                                # no deposit presale
            "purchase_cost": 12 * 20000 + 6 * 1500,      # 249000
            "commission": {"leader": 4080, "dist_l1": 4620, "dist_l2": 0, "clawback": -1000},
        },
        "suppliers": [
            {"supplier_id": "S1", "name": "广州月饼食品有限公司", "po_fen": 240000, "file": "purchase/S1.xlsx",
             "below_minimum": False, "min_order_fen": 0, "email": ""},
            {"supplier_id": "S2", "name": "从化鲜果合作社", "po_fen": 9000, "file": "purchase/S2.xlsx",
             "below_minimum": True, "min_order_fen": 10000, "email": ""},
        ],
        "categories": [                        # the allocated lines by category, largest net sales first
            {"category": "烘焙", "units": 12, "net_fen": 12 * 32800},   # 393600: the mooncakes A-D
            {"category": "水果", "units": 3, "net_fen": 3 * 2990},      # 8970: G's 3 of 4 bags of oranges
        ],
        "pools": [],                           # no stock pool
        "warnings": [
            "below_supplier_minimum: S2 purchase order 90.00 < minimum 100.00",
            "group_not_formed: L2 at P2 (1 units of min 3, 1 participants)",
            "group_not_formed: L5 (2 units of min 1, 2 participants of 3)",
        ],
    }
    assert summary["fen"]["paid"] == summary["fen"]["net"] + summary["fen"]["refund"]  # nothing lost


def test_a_cutoff_where_nothing_forms_counts_its_lines_and_zero_fen():
    order_rows = orders(dict(order_id="A", customer_id="c1", qty=2, created_at="2026-11-21 10:00"),
                        dict(order_id="B", customer_id="c2", qty=1, created_at="2026-11-21 10:01"))
    closed = close_listings(order_rows, listings(dict(listing_id="L1", min_qty=5)), items(), NIGHTLY)
    purchase = build_purchase_lines(closed.allocations, items())
    summary = summarize_cutoff(NIGHTLY, closed.closing, closed.allocations, closed.groups, purchase,
                               total_by_supplier(purchase, two_suppliers()), rejected=0)
    assert purchase.height == 0
    assert (summary["listings_closed"], summary["groups_not_formed"]) == (1, 1)
    assert summary["order_lines"] == {"eligible": 2, "allocated": 0, "cut": 2, "rejected": 0}
    assert summary["units"] == {"ordered": 3, "allocated": 0, "purchased": 0, "surplus": 0}
    assert summary["fen"] == {"paid": 3 * 32800, "net": 0, "refund": 3 * 32800, "forfeit": 0, "purchase_cost": 0,
                              "commission": ZERO_COMMISSION}
    assert summary["suppliers"] == []
    assert summary["categories"] == []  # nothing allocated: no category sold
    assert summary["warnings"] == ["group_not_formed: L1 (3 units of min 5, 2 participants)"]


def test_a_cutoff_that_closes_nothing_is_all_zero():
    weekly = window_for("weekly", date(2026, 11, 22))
    closed = close_listings(orders(dict(order_id="A", customer_id="c1", qty=2, created_at="2026-11-21 10:00")),
                            listings(dict(listing_id="L1")), items(), weekly)
    purchase = build_purchase_lines(closed.allocations, items())
    summary = summarize_cutoff(weekly, closed.closing, closed.allocations, closed.groups, purchase,
                               total_by_supplier(purchase, two_suppliers()), rejected=1)
    assert summary == {
        "calendar": "weekly", "cutoff_date": "2026-11-22",
        "window": {"start": "2026-11-16T00:00:00+08:00", "end": "2026-11-23T00:00:00+08:00"},
        "listings_closed": 0, "groups_not_formed": 0,
        "order_lines": {"eligible": 0, "allocated": 0, "cut": 0, "rejected": 1},
        "units": {"ordered": 0, "allocated": 0, "purchased": 0, "surplus": 0},
        "fen": {"paid": 0, "net": 0, "refund": 0, "forfeit": 0, "purchase_cost": 0, "commission": ZERO_COMMISSION},
        "suppliers": [], "categories": [], "pools": [], "warnings": [],
    }


def test_a_purchase_order_exactly_at_the_minimum_is_not_below_it():
    closed, purchase, _ = busy_cutoff()
    totals = total_by_supplier(purchase, suppliers(("S1", "月饼", 240000), ("S2", "鲜果", 9001)))
    summary = summarize_cutoff(NIGHTLY, closed.closing, closed.allocations, closed.groups, purchase, totals, 0)
    assert [(s["supplier_id"], s["po_fen"], s["below_minimum"]) for s in summary["suppliers"]] == [
        ("S1", 240000, False), ("S2", 9000, True)]
    assert summary["warnings"][0] == "below_supplier_minimum: S2 purchase order 90.00 < minimum 90.01"


def test_a_supplier_without_a_minimum_is_never_below_it():
    closed, purchase, _ = busy_cutoff()
    no_minimum = suppliers(("S1", "月饼", 0), ("S2", "鲜果", 0)).with_columns(
        pl.when(pl.col("supplier_id") == "S2").then(None).otherwise(pl.col("min_order_fen")).alias("min_order_fen"))
    summary = summarize_cutoff(NIGHTLY, closed.closing, closed.allocations, closed.groups, purchase,
                               total_by_supplier(purchase, no_minimum), 0)
    s2 = summary["suppliers"][1]
    assert (s2["po_fen"], s2["min_order_fen"], s2["below_minimum"]) == (9000, 0, False)
    assert not [w for w in summary["warnings"] if w.startswith("below_supplier_minimum")]


def test_refunds_owed_name_the_cut_reason_or_the_tier_price():
    allocations = pl.DataFrame({
        "order_id": ["B", "A", "C", "A", "D"], "line_no": [1, 2, 1, 1, 1],
        "customer_id": ["cB", "cA", "cC", "cA", "cD"],
        "refund_fen": [2000, 32800, 0, 98400, 1],
        "cut_reason": [None, "out_of_stock", None, "group_not_formed", "case_not_filled"],
        "net_fen": [30800, 0, 32800, 0, 0]})
    expected = pl.DataFrame({
        "order_id": ["A", "A", "B", "D"], "line_no": [1, 2, 1, 1], "customer_id": ["cA", "cA", "cB", "cD"],
        "refund_fen": [98400, 32800, 2000, 1],
        "reason": ["group_not_formed", "out_of_stock", "tier_price", "case_not_filled"]})
    assert_frame_equal(refunds_owed(allocations), expected)


def test_refunds_owed_of_the_busy_cutoff_add_up_to_its_refund_figure():
    closed, _, _ = busy_cutoff()
    owed = refunds_owed(closed.allocations)
    assert owed.select("order_id", "refund_fen", "reason").rows() == [
        ("E", 3 * 32800, "out_of_stock"), ("F", 32800, "after_close"), ("G", 2990, "out_of_stock"),
        ("H", 2990, "group_not_formed"), ("I", 5000, "group_not_formed"), ("J", 5000, "group_not_formed")]
    assert owed["refund_fen"].sum() == 147180
