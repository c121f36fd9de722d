"""The rulebook's "What happens to each order line", step by step, with hand-built rows."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests import mooncake
from tests.builders import NIGHTLY, at, listings, mooncake_orders, orders, products
from transforms.close import close_listings, select_closing_listings
from transforms.purchase import build_purchase_lines

MOONCAKE = dict(listing_id="L1", tiers=mooncake.TIERS, stock_cap=mooncake.STOCK_CAP)  # the rulebook's L1


def close(order_rows, listing_rows, product_rows=({},)):
    return close_listings(order_rows, listing_rows, products(*product_rows), NIGHTLY)


def by_order(closed) -> dict:
    return {row["order_id"]: row for row in closed.allocations.iter_rows(named=True)}


def test_mooncake_worked_example():
    closed = close(mooncake_orders(), listings(MOONCAKE))
    lines = by_order(closed)
    assert {k: lines[k]["qty_allocated"] for k in "ABCDE"} == {"A": 2, "B": 5, "C": 1, "D": 4, "E": 0}
    assert lines["E"]["cut_reason"] == "out_of_stock" and lines["E"]["refund_fen"] == 3 * 32800
    group = closed.groups.row(0, named=True)
    assert (group["units"], group["participants"], group["is_formed"], group["tier_price_fen"]) == (12, 4, True, 32800)
    allocations = closed.allocations
    assert allocations["net_fen"].sum() == 393600
    assert allocations["refund_fen"].sum() == 98400
    assert allocations["paid_fen"].sum() == 492000 == 15 * 32800
    assert all(lines[k]["final_unit_price_fen"] == 32800 for k in "ABCD")


def test_mooncake_variant_customer_counted_once():
    """E placed before D and stock 20: participants are still 4 (A counts once)."""
    rows = mooncake_orders().with_columns(
        pl.when(pl.col("order_id") == "E").then(pl.lit(at("2026-11-21 09:02:30"))).otherwise(pl.col("created_at"))
        .cast(pl.Datetime("us", "UTC")).alias("created_at"))
    closed = close(rows, listings({**MOONCAKE, "stock_cap": 20}))
    assert closed.groups["participants"].to_list() == [4]
    assert closed.allocations["qty_allocated"].sum() == 15


def test_ten_participants_reach_the_second_tier():
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at=f"2026-11-21 10:{i:02d}")
                    for i in range(10)])
    closed = close(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS)))
    assert set(closed.allocations["final_unit_price_fen"]) == {30800}
    assert closed.allocations["net_fen"].sum() == 10 * 30800
    assert closed.allocations["refund_fen"].sum() == 10 * (32800 - 30800)
    assert closed.allocations["cut_reason"].null_count() == 10  # a price difference is not a cut


def test_line_price_below_tier_price_keeps_its_own_price():
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at=f"2026-11-21 10:0{i}",
                         unit_price_fen=30000 if i == 0 else 32800) for i in range(3)])
    closed = close(rows, listings(dict(listing_id="L1", tiers="3:31000|10:30800")))
    assert by_order(closed)["O0"]["final_unit_price_fen"] == 30000
    assert by_order(closed)["O1"]["final_unit_price_fen"] == 31000


@pytest.mark.parametrize("created, cut", [
    ("2026-11-20 19:59", True),   # before opens_at
    ("2026-11-20 20:00", False),  # at opens_at
    ("2026-11-21 20:00", False),  # at closes_at
    ("2026-11-21 20:01", True),   # after closes_at
])
def test_after_close(created, cut):
    closed = close(orders(dict(order_id="A", customer_id="c", qty=2, created_at=created)),
                   listings(dict(listing_id="L1")))
    line = closed.allocations.row(0, named=True)
    assert (line["cut_reason"] == "after_close") is cut
    assert line["qty_allocated"] == (0 if cut else 2)


def test_after_close_lines_make_no_group_and_take_no_stock():
    rows = orders(dict(order_id="LATE", customer_id="c1", qty=5, created_at="2026-11-21 19:00"),
                  dict(order_id="A", customer_id="c2", qty=3, created_at="2026-11-21 10:00"))
    closed = close(rows, listings(dict(listing_id="L1", stock_cap=4, closes_at=at("2026-11-21 18:00"))))
    lines = by_order(closed)
    assert lines["LATE"]["cut_reason"] == "after_close"
    assert lines["A"]["qty_allocated"] == 3 and lines["A"]["cut_reason"] is None


def test_a_listing_with_only_after_close_lines_has_no_group():
    rows = orders(dict(order_id="LATE", customer_id="c1", qty=5, created_at="2026-11-21 19:00"))
    closed = close(rows, listings(dict(listing_id="L1", closes_at=at("2026-11-21 18:00"), min_qty=10)))
    assert closed.groups.height == 0


def test_stock_cap_first_come_first_served_with_a_partial_line():
    rows = orders(dict(order_id="A", customer_id="c1", qty=3, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c2", qty=3, created_at="2026-11-21 10:01"),
                  dict(order_id="C", customer_id="c3", qty=3, created_at="2026-11-21 10:02"))
    lines = by_order(close(rows, listings(dict(listing_id="L1", stock_cap=5))))
    assert [lines[k]["qty_allocated"] for k in "ABC"] == [3, 2, 0]
    assert [lines[k]["cut_reason"] for k in "ABC"] == [None, "out_of_stock", "out_of_stock"]
    assert lines["B"]["refund_fen"] == 32800 and lines["B"]["net_fen"] == 2 * 32800


def test_ties_in_time_go_by_order_id_then_line_no():
    same = "2026-11-21 10:00"
    rows = orders(dict(order_id="B", customer_id="c2", qty=2, created_at=same),
                  dict(order_id="A", customer_id="c1", qty=2, created_at=same, line_no=2),
                  dict(order_id="A", customer_id="c1", qty=2, created_at=same, line_no=1))
    closed = close(rows, listings(dict(listing_id="L1", stock_cap=3)))
    got = {(r["order_id"], r["line_no"]): r["qty_allocated"] for r in closed.allocations.iter_rows(named=True)}
    assert got == {("A", 1): 2, ("A", 2): 1, ("B", 1): 0}


def test_point_cap_per_pickup_point():
    rows = orders(dict(order_id="A", customer_id="c1", qty=3, created_at="2026-11-21 10:00", pickup_point_id="P1"),
                  dict(order_id="B", customer_id="c2", qty=3, created_at="2026-11-21 10:01", pickup_point_id="P1"),
                  dict(order_id="C", customer_id="c3", qty=3, created_at="2026-11-21 10:02", pickup_point_id="P2"))
    lines = by_order(close(rows, listings(dict(listing_id="L1", point_cap=4))))
    assert [lines[k]["qty_allocated"] for k in "ABC"] == [3, 1, 3]


def test_point_cap_and_stock_cap_together():
    """A point-capped line leaves listing stock for a later line of another point."""
    rows = orders(dict(order_id="A", customer_id="c1", qty=5, created_at="2026-11-21 10:00", pickup_point_id="P1"),
                  dict(order_id="B", customer_id="c2", qty=5, created_at="2026-11-21 10:01", pickup_point_id="P1"),
                  dict(order_id="C", customer_id="c3", qty=5, created_at="2026-11-21 10:02", pickup_point_id="P2"),
                  dict(order_id="D", customer_id="c4", qty=5, created_at="2026-11-21 10:03", pickup_point_id="P3"))
    lines = by_order(close(rows, listings(dict(listing_id="L1", point_cap=4, stock_cap=10))))
    assert [lines[k]["qty_allocated"] for k in "ABCD"] == [4, 0, 4, 2]
    assert {lines[k]["cut_reason"] for k in "ABCD"} == {"out_of_stock"}


def test_group_not_formed_below_min_qty_cuts_every_line():
    rows = orders(dict(order_id="A", customer_id="c1", qty=2, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c2", qty=2, created_at="2026-11-21 10:01"))
    closed = close(rows, listings(dict(listing_id="L1", min_qty=5)))
    assert closed.allocations["qty_allocated"].to_list() == [0, 0]
    assert closed.allocations["cut_reason"].to_list() == ["group_not_formed"] * 2
    assert closed.allocations["refund_fen"].sum() == 4 * 32800
    assert closed.groups["is_formed"].to_list() == [False]


def test_group_needs_the_lowest_tier_in_participants_not_units():
    rows = orders(dict(order_id="A", customer_id="c1", qty=10, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c2", qty=10, created_at="2026-11-21 10:01"))
    closed = close(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS)))
    assert closed.groups.row(0, named=True)["participants"] == 2
    assert closed.allocations["cut_reason"].to_list() == ["group_not_formed"] * 2


def test_out_of_stock_line_keeps_its_first_reason_when_the_group_fails():
    rows = orders(dict(order_id="A", customer_id="c1", qty=2, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c2", qty=5, created_at="2026-11-21 10:01"))
    lines = by_order(close(rows, listings(dict(listing_id="L1", stock_cap=3, min_qty=10))))
    assert lines["A"]["cut_reason"] == "group_not_formed"
    assert lines["B"]["cut_reason"] == "out_of_stock" and lines["B"]["qty_allocated"] == 0


def test_pickup_point_scope_forms_groups_per_point():
    rows = orders(dict(order_id="A", customer_id="c1", qty=3, created_at="2026-11-21 10:00", pickup_point_id="P1"),
                  dict(order_id="B", customer_id="c2", qty=1, created_at="2026-11-21 10:01", pickup_point_id="P2"))
    closed = close(rows, listings(dict(listing_id="L1", group_scope="pickup_point", min_qty=2)))
    lines = by_order(closed)
    assert lines["A"]["qty_allocated"] == 3 and lines["B"]["cut_reason"] == "group_not_formed"
    assert closed.groups.sort("group_pickup_point_id")["is_formed"].to_list() == [True, False]


def test_participants_are_distinct_customers_with_units():
    rows = orders(dict(order_id="A", customer_id="c1", qty=1, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c1", qty=1, created_at="2026-11-21 10:01"),
                  dict(order_id="C", customer_id="c2", qty=1, created_at="2026-11-21 10:02"),
                  dict(order_id="D", customer_id="c3", qty=1, created_at="2026-11-21 10:03"))
    closed = close(rows, listings(dict(listing_id="L1", tiers="3:32800", stock_cap=3)))
    assert closed.groups.row(0, named=True)["participants"] == 2  # c3 got nothing
    assert closed.allocations["cut_reason"].to_list() == ["group_not_formed"] * 3 + ["out_of_stock"]


def test_case_rounding_down_takes_back_from_the_latest_lines():
    rows = orders(dict(order_id="A", customer_id="c1", qty=4, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c2", qty=3, created_at="2026-11-21 10:01"),
                  dict(order_id="C", customer_id="c3", qty=1, created_at="2026-11-21 10:02"))
    closed = close(rows, listings(dict(listing_id="L1")), [dict(case_pack=6, case_rounding="down")])
    lines = by_order(closed)
    assert [lines[k]["qty_allocated"] for k in "ABC"] == [4, 2, 0]
    assert [lines[k]["cut_reason"] for k in "ABC"] == [None, "case_not_filled", "case_not_filled"]
    purchase = build_purchase_lines(closed.allocations, products(dict(case_pack=6, case_rounding="down")))
    assert purchase.select("units_allocated", "cases", "units_purchased", "surplus_units").row(0) == (6, 1, 6, 0)


def test_case_rounding_does_not_revisit_groups_or_tiers():
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at=f"2026-11-21 10:0{i}")
                    for i in range(4)])
    closed = close(rows, listings(dict(listing_id="L1", tiers="3:32800|4:30000", min_qty=4)),
                   [dict(case_pack=6, case_rounding="down")])
    assert closed.allocations["qty_allocated"].sum() == 0          # 4 units fill no case of 6
    assert closed.groups["is_formed"].to_list() == [True]          # the group formed before step 5
    assert set(closed.allocations["final_unit_price_fen"]) == {30000}
    assert closed.allocations["cut_reason"].to_list() == ["case_not_filled"] * 4


def test_case_rounding_keeps_an_earlier_reason():
    rows = orders(dict(order_id="A", customer_id="c1", qty=6, created_at="2026-11-21 10:00"),
                  dict(order_id="B", customer_id="c2", qty=6, created_at="2026-11-21 10:01"))
    lines = by_order(close(rows, listings(dict(listing_id="L1", stock_cap=9)),
                           [dict(case_pack=6, case_rounding="down")]))
    assert (lines["B"]["qty_allocated"], lines["B"]["cut_reason"]) == (0, "out_of_stock")
    assert lines["A"]["qty_allocated"] == 6


def test_cancelled_lines_are_left_out():
    rows = orders(dict(order_id="A", customer_id="c1", qty=1, created_at="2026-11-21 10:00", status="cancelled"),
                  dict(order_id="B", customer_id="c2", qty=1, created_at="2026-11-21 10:01", status="refunded"),
                  dict(order_id="C", customer_id="c3", qty=1, created_at="2026-11-21 10:02"))
    closed = close(rows, listings(dict(listing_id="L1")))
    assert closed.allocations["order_id"].to_list() == ["C"]


@pytest.mark.parametrize("closes_at, closing", [
    ("2026-11-20 20:00", False), ("2026-11-20 20:01", True), ("2026-11-21 20:00", True), ("2026-11-21 20:01", False)])
def test_closing_listings_are_those_closing_in_the_window(closes_at, closing):
    frame = listings(dict(listing_id="L1", opens_at=at("2026-11-19 20:00"), closes_at=at(closes_at)))
    assert select_closing_listings(frame, NIGHTLY).height == (1 if closing else 0)


def test_other_calendars_listings_do_not_close():
    frame = listings(dict(listing_id="W1", calendar="weekly"))
    assert select_closing_listings(frame, NIGHTLY).height == 0


def test_same_inputs_give_identical_tables():
    first = close(mooncake_orders(), listings(MOONCAKE))
    second = close(mooncake_orders().sample(fraction=1.0, shuffle=True, seed=3), listings(MOONCAKE))
    assert_frame_equal(first.allocations, second.allocations)
    assert_frame_equal(first.groups, second.groups)
