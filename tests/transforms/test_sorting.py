"""What the warehouse sorts per route and what each leader hands out (transforms/sorting.py), and
each supplier's purchase order as prepared for its workbook (transforms/purchase.py)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms.purchase import PO_LINE_COLUMNS, po_number, prepare_purchase_orders
from transforms.sorting import HANDOUT_COLUMNS, prepare_handouts, prepare_routes


def products() -> pl.DataFrame:  # built in the tests, never at import (docs/mutation.md)
    return pl.DataFrame({"sku_id": ["K1", "K2", "K3"], "name": ["月饼", "砂糖橘", "鸡蛋"],
                         "spec": ["6枚/盒", "", None], "unit": ["盒", "箱", "盒"], "category": ["烘焙", "水果", "蛋"],
                         "supplier_id": ["S1", "S1", "S2"]})


def points() -> pl.DataFrame:
    return pl.DataFrame({"pickup_point_id": ["P1", "P2", "P3"], "name": ["幸福里", "阳光", "翠苑"],
                         "address": ["幸福路1号", None, "翠苑路3号"], "leader_name": ["王芳", "李娜", "赵敏"],
                         "route_id": ["R2", "R1", "R1"], "route_seq": [1, 2, 1]})


def allocations(*rows: tuple) -> pl.DataFrame:
    """(pickup_point_id, customer_id, customer_name, phone_tail, order_id, line_no, sku_id, qty_allocated)"""
    return pl.DataFrame(rows, orient="row", schema={
        "pickup_point_id": pl.String, "customer_id": pl.String, "customer_name": pl.String, "phone_tail": pl.String,
        "order_id": pl.String, "line_no": pl.Int64, "sku_id": pl.String, "qty_allocated": pl.Int64})


def test_routes_in_route_order_stops_in_stop_order_skus_by_category():
    rows = allocations(("P2", "c1", "甲", "1111", "O1", 1, "K1", 2), ("P3", "c2", "乙", "2222", "O2", 1, "K3", 1),
                       ("P3", "c2", "乙", "2222", "O2", 2, "K1", 3), ("P1", "c3", "丙", "3333", "O3", 1, "K2", 4),
                       ("P2", "c4", "丁", "4444", "O4", 1, "K1", 5), ("P2", "c5", "戊", "5555", "O5", 1, "K2", 0))

    r1, r2 = prepare_routes(rows, points(), products())

    assert (r1.route_id, r2.route_id) == ("R1", "R2")
    assert r1.units.select("pickup_point_id", "route_seq", "sku_id", "units").rows() == [
        ("P3", 1, "K1", 3), ("P3", 1, "K3", 1), ("P2", 2, "K1", 7)]  # 烘焙 before 蛋; a cut line is not sorted
    assert r2.units.select("pickup_point_id", "point_name", "leader_name", "sku_id", "units").rows() == [
        ("P1", "幸福里", "王芳", "K2", 4)]


def test_a_pickup_point_without_a_route_is_refused():
    rows = allocations(("P9", "c1", "甲", "1111", "O1", 1, "K1", 2))
    with pytest.raises(ValueError, match=r"\['P9'\].*no route"):
        prepare_routes(rows, points(), products())


def test_a_handout_reads_one_customer_block_after_another_by_phone_tail():
    rows = allocations(("P1", "c2", "李静", "5678", "O7", 1, "K1", 1), ("P1", "c1", "张伟", "1234", "O2", 2, "K2", 3),
                       ("P1", "c1", "张伟", "1234", "O2", 1, "K1", 2), ("P1", "c1", "张伟", "1234", "O5", 1, "K3", 1),
                       ("P1", "c3", "王磊", "0420", "O9", 1, "K1", 0), ("P2", "c4", "赵敏", "8888", "O4", 1, "K3", 6))

    p1, p2 = prepare_handouts(rows, points(), products())

    assert (p1.pickup_point_id, p1.name, p1.address, p1.leader_name, p1.units, p1.customers) == \
        ("P1", "幸福里", "幸福路1号", "王芳", 7, 2)
    assert p1.lines.columns == HANDOUT_COLUMNS
    assert p1.lines.rows() == [
        (1, "1234", "张伟", "O2", "月饼 6枚/盒", 2, "盒", None, True, None, None),
        (None, "1234", "张伟", None, "砂糖橘", 3, "箱", None, False, None, None),  # an empty spec: the name alone
        (None, "1234", "张伟", "O5", "鸡蛋", 1, "盒", None, False, None, None),    # the same customer's next order
        (2, "5678", "李静", "O7", "月饼 6枚/盒", 1, "盒", None, True, None, None)]
    assert (p2.pickup_point_id, p2.address, p2.units, p2.customers) == ("P2", None, 6, 1)
    assert p2.lines["seq"].to_list() == [1]


def test_each_supplier_gets_its_own_lines_by_category_then_sku():
    purchase_lines = pl.DataFrame({
        "supplier_id": ["S1", "S1", "S2", "S3"], "sku_id": ["K2", "K1", "K3", "K4"], "units_allocated": [4, 12, 2, 0],
        "case_pack": [1, 6, 1, 1], "case_rounding": ["up"] * 4, "cases": [4, 2, 2, 0], "units_purchased": [4, 12, 2, 0],
        "surplus_units": [0, 0, 0, 0], "unit_cost_fen": [300, 20000, 1500, 100], "cost_fen": [1200, 240000, 3000, 0]})
    totals = pl.DataFrame({"supplier_id": ["S1", "S2", "S3"], "below_minimum": [False, True, False]})
    suppliers = pl.DataFrame({"supplier_id": ["S1", "S2", "S3"], "name": ["鲜果", None, "空"],
                              "delivery_window": ["次日 05:00-07:00", None, None], "min_order_fen": [0, 10000, None]})

    s1, s2 = prepare_purchase_orders(purchase_lines, totals, suppliers, products())  # S3 has nothing to deliver

    assert (s1.supplier_id, s1.name, s1.delivery_window, s1.min_order_fen, s1.below_minimum, s1.total_fen) == \
        ("S1", "鲜果", "次日 05:00-07:00", 0, False, 241200)
    assert s1.lines.columns == PO_LINE_COLUMNS
    assert s1.lines.select("sku_id", "category", "units_purchased").rows() == [("K2", "水果", 4), ("K1", "烘焙", 12)]
    assert (s2.name, s2.min_order_fen, s2.below_minimum, s2.lines["sku_id"].to_list()) == ("", 10000, True, ["K3"])


def test_the_purchase_order_number():
    assert po_number("nightly", date(2026, 11, 21), "S1") == "PO-nightly-2026-11-21-S1"
    assert po_number("weekly", "2026-11-22", "S002") == "PO-weekly-2026-11-22-S002"


def test_an_unknown_sku_is_sorted_last_and_kept_and_the_route_is_not_a_column():
    rows = allocations(("P3", "c1", "甲", "1111", "O1", 1, "K9", 2), ("P3", "c2", "乙", "2222", "O2", 1, "K3", 1))

    [route] = prepare_routes(rows, points(), products())

    assert route.units.select("sku_id", "category", "units").rows() == [("K3", "蛋", 1), ("K9", None, 2)]
    assert "route_id" not in route.units.columns


def test_at_most_five_pickup_points_without_a_route_are_named():
    rows = allocations(*[(f"Q{n}", "c1", "甲", "1111", f"O{n}", 1, "K1", 1) for n in range(6)])
    with pytest.raises(ValueError) as refused:
        prepare_routes(rows, points(), products())
    assert "['Q0', 'Q1', 'Q2', 'Q3', 'Q4']" in str(refused.value)


def test_a_handout_lists_customers_without_a_phone_tail_last_and_unknown_things_as_they_are():
    rows = allocations(("P9", "c1", "甲", None, "O1", 1, "K9", 2), ("P9", "c2", "乙", "2222", "O2", 1, "K3", 1))

    [handout] = prepare_handouts(rows, points(), products())

    assert (handout.pickup_point_id, handout.name, handout.address, handout.leader_name) == ("P9", "", None, None)
    assert handout.lines.select("seq", "phone_tail", "customer_name", "item", "unit").rows() == [
        (1, "2222", "乙", "鸡蛋", "盒"), (2, None, "甲", "K9", None)]  # an unknown SKU: its id


def door(*rows: tuple) -> pl.DataFrame:
    """allocations() rows, each with (building, room) after it."""
    frame = allocations(*[r[:8] for r in rows])
    return frame.with_columns(pl.Series("building", [r[8] for r in rows], pl.String),
                              pl.Series("room", [r[9] for r in rows], pl.String))


def test_a_door_delivery_handout_walks_building_by_building_then_room_by_room():
    rows = door(("P1", "c1", "甲", "1111", "O1", 1, "K1", 1, "10", "606"),
                ("P1", "c2", "乙", "0001", "O2", 1, "K1", 1, "2", "1201"),
                ("P1", "c3", "丙", "2222", "O3", 1, "K1", 1, "10栋", "102"),
                ("P1", "c4", "丁", "3333", "O4", 1, "K1", 1, "A座", "5"),
                ("P1", "c5", "戊", "0002", "O5", 1, "K1", 1, None, None),
                ("P1", "c6", "己", "4444", "O6", 1, "K1", 1, "2", "301室"),
                ("P1", "c7", "庚", "5555", "O7", 1, "K1", 1, " 9 ", None),
                ("P1", "c8", "辛", "6666", "O8", 1, "K1", 1, "2", "1201"),
                ("P1", "cb", "子", "7777", "OB", 1, "K1", 1, "B座", "3"),
                ("P2", "c9", "壬", "9999", "O9", 1, "K1", 1, None, None),
                ("P2", "c0", "癸", "0000", "O0", 1, "K1", 1, None, None))
    p1, p2 = prepare_handouts(rows, points(), products())
    assert p1.lines.select("building", "room", "customer_name").rows() == [
        ("2", "301室", "己"), ("2", "1201", "乙"), ("2", "1201", "辛"), (" 9 ", None, "庚"),
        ("10栋", "102", "丙"), ("10", "606", "甲"), ("A座", "5", "丁"), ("B座", "3", "子"),  # 10栋 is 10
        (None, None, "戊")]
    assert p1.lines["seq"].to_list() == list(range(1, 10))
    assert p1.door and not p2.door
    assert p2.lines["customer_name"].to_list() == ["癸", "壬"]  # no door: by phone tail, as always


def test_only_a_point_with_doors_is_walked():
    rows = door(("P1", "c1", "甲", "2222", "O1", 1, "K1", 1, None, None),
                ("P1", "c2", "乙", "1111", "O2", 1, "K1", 1, None, None),
                ("P2", "c3", "丙", "3333", "O3", 1, "K1", 1, None, "12"),
                ("P2", "c4", "丁", "0001", "O4", 1, "K1", 1, None, "3"))
    p1, p2 = prepare_handouts(rows, points(), products())
    assert p1.lines["customer_name"].to_list() == ["乙", "甲"]
    assert p2.lines["customer_name"].to_list() == ["丁", "丙"]  # room 3 before room 12
    assert p2.door and not p1.door


def test_a_stop_lists_its_skus_by_category_then_sku_whatever_order_they_were_allocated_in():
    skus = pl.DataFrame({"sku_id": [f"K{n}" for n in range(1, 7)], "name": list("abcdef"), "spec": [None] * 6,
                         "unit": ["盒"] * 6, "category": ["a", "a", "b", "b", "c", "c"], "supplier_id": ["S1"] * 6})
    rows = allocations(*[("P1", "c1", "甲", "1111", f"O{n}", 1, f"K{n}", n) for n in range(6, 0, -1)])
    (route,) = prepare_routes(rows, points(), skus)
    assert route.units["sku_id"].to_list() == ["K1", "K2", "K3", "K4", "K5", "K6"]
