"""Household labels: one per order with units to hand out, in the order the leader walks (building,
room, numbers as numbers; without a building last), its items in the handout list's order."""

from __future__ import annotations

import polars as pl

from transforms.households import ORDER_COLUMNS, prepare_households

PRODUCTS = pl.DataFrame({"sku_id": ["A", "B"], "name": ["苹果", "梨"], "spec": ["1kg", None], "unit": ["袋", "个"]})


def lines(rows, building=True):
    frame = pl.DataFrame(rows, schema={
        "pickup_point_id": pl.String, "customer_id": pl.String, "customer_name": pl.String, "phone_tail": pl.String,
        "order_id": pl.String, "line_no": pl.Int64, "sku_id": pl.String, "units": pl.Int64, "building": pl.String,
        "room": pl.String}, orient="row")
    return frame if building else frame.drop("building", "room")


ROWS = [("P1", "c1", "王", "1234", "O1", 2, "B", 1, "10栋", "1202"),
        ("P1", "c1", "王", "1234", "O1", 1, "A", 2, "10栋", "1202"),
        ("P1", "c2", "李", "0001", "O2", 1, "A", 1, "2栋", "301"),
        ("P1", "c3", "张", "9999", "O3", 1, "A", 0, None, None),      # nothing to hand out: no label
        ("P1", "c4", "赵", "5555", "O4", 1, "B", 3, None, None),
        ("P2", "c9", "钱", "1111", "O9", 1, "A", 1, "2栋", "101")]


def test_one_label_per_order_in_door_order_with_its_items():
    orders, items = prepare_households(lines(ROWS), PRODUCTS)
    assert orders.columns == ORDER_COLUMNS
    assert orders.select("pickup_point_id", "order_id", "building", "units", "items").rows() == [
        ("P1", "O2", "2栋", 1, 1), ("P1", "O1", "10栋", 3, 2), ("P1", "O4", None, 3, 1), ("P2", "O9", "2栋", 1, 1)]
    assert items.filter(pl.col("order_id") == "O1").select("item", "units", "unit").rows() == [
        ("苹果 1kg", 2, "袋"), ("梨", 1, "个")]


def test_nothing_of_one_pickup_point_is_on_anothers():
    orders, items = prepare_households(lines(ROWS), PRODUCTS)
    for frame in (orders, items):
        assert set(frame.filter(pl.col("pickup_point_id") == "P2")["order_id"]) == {"O9"}


def test_orders_without_building_and_room_columns():
    orders, _ = prepare_households(lines(ROWS, building=False), PRODUCTS)
    assert orders["building"].null_count() == orders.height
    assert orders.filter(pl.col("pickup_point_id") == "P1")["order_id"].to_list() == ["O2", "O1", "O4"]  # phone tail


def test_the_walking_order_whatever_order_the_lines_come_in():
    # groups of orders tied on every key before one, each a step further along that key; the
    # order ids run backwards in each group, so a lost key cannot come out right by the last one
    groups = [
        [(b, "1", "0001", "甲", "c0") for b in ("5", "5号", "5幢", "5座", "5栋", "5楼")],  # building: same number
        [("6栋", r, "0001", "甲", "c0") for r in ("2室", "3室", "9室", "10室", "11室", "20室")],  # room by number
        [("7栋", r, "0001", "甲", "c0") for r in ("8", "8号", "8室", "8户", "8房")],  # room: same number
        [("8栋", "1", t, "甲", "c0") for t in ("0001", "0002", "0003", "0004", "0005", "0006")],  # phone tail
        [("9栋", "1", "0001", n, "c0") for n in ("A", "B", "C", "D", "E", "F")],  # name
        [("11栋", "1", "0001", "甲", c) for c in ("c1", "c2", "c3", "c4", "c5", "c6")]]  # customer
    walk = [(*door, f"O{g}-{len(group) - i}") for g, group in enumerate(groups) for i, door in enumerate(group)]
    walk += [("12栋", "1", "0001", "甲", "c0", f"O9-{i}") for i in range(1, 7)]  # one customer's orders
    walk += [(None, None, "0001", "甲", "c0", "O99")]  # without a door: last
    rows = [("P1", cid, name, tail, order, 1, "A", 1, building, room)
            for building, room, tail, name, cid, order in reversed(walk)]
    orders, _ = prepare_households(lines(rows), PRODUCTS)
    assert orders["order_id"].to_list() == [w[-1] for w in walk]
