"""The sheets a shortage changes (transforms/reissue.py): only the routes and pickup points where a
line gives up units, each line handing out qty_allocated - units_short, nothing lost."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import NIGHTLY, listings, orders, products
from transforms.close import close_listings
from transforms.goods_in import decide_purchase_lines, take_back_short_units
from transforms.purchase import build_purchase_lines
from transforms.reissue import changed_routes, revise_handouts, revise_routes

POINTS = pl.DataFrame({
    "pickup_point_id": ["P1", "P2", "P3"], "name": ["一号点", "二号点", "三号点"], "address": ["a", "b", "c"],
    "leader_name": ["王", "李", "赵"], "route_id": ["R1", "R1", "R2"], "route_seq": [1, 2, 1]})
def catalogue() -> pl.DataFrame:
    """A function, not a constant: no polars query at import (docs/mutation.md)."""
    return products(dict(sku_id="SKU1"), dict(sku_id="SKU2", name="砂糖橘", spec="", supplier_id="S2", unit="箱"))


def shortages_of(order_rows: pl.DataFrame, received: dict[str, int]):
    listing_rows = listings(dict(listing_id="L1"), dict(listing_id="L2", sku_id="SKU2", unit_price_fen=2990))
    closed = close_listings(order_rows, listing_rows, catalogue(), NIGHTLY)
    lines = build_purchase_lines(closed.allocations, catalogue())
    receipts = pl.DataFrame({"supplier_id": ["S1" if sku == "SKU1" else "S2" for sku in received],
                             "sku_id": list(received), "units_received": list(received.values()),
                             "units_damaged": [0] * len(received)})
    payables = decide_purchase_lines(lines, receipts)
    return closed.allocations, take_back_short_units(closed.allocations, payables)


def test_only_the_points_and_routes_of_short_lines_are_reissued_with_every_line_shown():
    allocations, shortages = shortages_of(orders(
        dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 09:00", pickup_point_id="P1"),
        dict(order_id="B", customer_id="b", qty=3, created_at="2026-11-21 09:05", pickup_point_id="P2"),
        dict(order_id="C", customer_id="c", qty=1, created_at="2026-11-21 09:10", pickup_point_id="P3",
             listing_id="L2", unit_price_fen=2990)), {"SKU1": 2, "SKU2": 1})
    assert shortages.select("order_id", "units_short").rows() == [("B", 3)]  # B, the latest, gives up all 3
    assert changed_routes(shortages, POINTS) == ["R1"]
    handouts = revise_handouts(allocations, shortages, POINTS, catalogue())
    assert [(h.pickup_point_id, h.units, h.units_before, h.units_short, h.customers_short) for h in handouts] == [
        ("P2", 0, 3, 3, 1)]
    assert handouts[0].lines.select("order_id", "ordered", "short", "units").rows() == [("B", 3, 3, 0)]
    (route,) = revise_routes(allocations, shortages, POINTS, catalogue())
    assert (route.route.route_id, route.units_before, route.units_short) == ("R1", 5, 3)
    assert route.route.units.select("pickup_point_id", "sku_id", "units").rows() == [("P1", "SKU1", 2)]
    assert route.cut.select("pickup_point_id", "sku_id", "ordered", "short", "units").rows() == [
        ("P2", "SKU1", 3, 3, 0)]


line_rows = st.lists(st.tuples(st.integers(1, 5), st.integers(0, 59), st.sampled_from(["P1", "P2", "P3"]),
                               st.sampled_from(["L1", "L2"])), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(rows=line_rows, received_1=st.integers(0, 60), received_2=st.integers(0, 60))
def test_the_reissued_sheets_hand_out_exactly_what_is_left(rows, received_1, received_2):
    order_rows = orders(*[dict(order_id=f"O{i:02d}", customer_id=f"c{i % 4}", qty=qty, pickup_point_id=point,
                               listing_id=listing, unit_price_fen=32800 if listing == "L1" else 2990,
                               created_at=f"2026-11-21 10:{minute:02d}")
                          for i, (qty, minute, point, listing) in enumerate(rows)])
    allocations, shortages = shortages_of(order_rows, {"SKU1": received_1, "SKU2": received_2})
    short_by_point = shortages.group_by("pickup_point_id").agg(pl.col("units_short").sum())
    handouts = revise_handouts(allocations, shortages, POINTS, catalogue())
    assert sorted(h.pickup_point_id for h in handouts) == sorted(short_by_point["pickup_point_id"].to_list())
    allocated = dict(allocations.group_by("pickup_point_id").agg(pl.col("qty_allocated").sum()).iter_rows())
    short = dict(short_by_point.iter_rows())
    for handout in handouts:
        point = handout.pickup_point_id
        assert handout.units_before == allocated[point] and handout.units_short == short[point]
        assert handout.units == allocated[point] - short[point] == int(handout.lines["units"].sum())
        assert (handout.lines["units"] >= 0).all()
    for route in revise_routes(allocations, shortages, POINTS, catalogue()):
        on_route = POINTS.filter(pl.col("route_id") == route.route.route_id)["pickup_point_id"].to_list()
        assert route.units_before == sum(allocated.get(p, 0) for p in on_route)
        assert route.units_short == sum(short.get(p, 0) for p in on_route) > 0
        after = int(route.route.units["units"].sum()) if route.route.units.height else 0
        assert after == route.units_before - route.units_short


def test_a_revised_handout_list_reads_as_the_cutoffs_one_name_and_phone_on_every_line():
    """A customer with two lines (one order of two SKUs) at a point that goes short: the revised list
    numbers the customer once and prints their phone tail and name on each line, as the cutoff's list
    (transforms.sorting.handout_rows), so the leader compares the two line by line."""
    allocations, shortages = shortages_of(orders(
        dict(order_id="A", customer_id="a", customer_name="王芳", phone_tail="1111", qty=2,
             created_at="2026-11-21 09:00", pickup_point_id="P2"),
        dict(order_id="A", line_no=2, customer_id="a", customer_name="王芳", phone_tail="1111", qty=1,
             created_at="2026-11-21 09:00", pickup_point_id="P2", listing_id="L2", unit_price_fen=2990),
        dict(order_id="B", customer_id="b", customer_name="李娜", phone_tail="2222", qty=3,
             created_at="2026-11-21 09:05", pickup_point_id="P2")), {"SKU1": 3, "SKU2": 1})
    (handout,) = revise_handouts(allocations, shortages, POINTS, catalogue())
    assert handout.lines.select("seq", "phone_tail", "customer_name", "order_id", "item", "ordered", "short",
                                "units").rows() == [
        (1, "1111", "王芳", "A", "流心奶黄月礼盒 6枚/盒", 2, None, 2),
        (None, "1111", "王芳", None, "砂糖橘", 1, None, 1),
        (2, "2222", "李娜", "B", "流心奶黄月礼盒 6枚/盒", 3, 2, 1)]
