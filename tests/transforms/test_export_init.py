"""The master data `cutoff init --from-export` makes from exports: products at the file's prices,
pickup points with their contacts, listings closing at the cutoff, the map; and what it adds to a
data dir it made before (transforms/export_init.py)."""

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.export_sheets import COMMUNITY, STANDARD, community_row, continuation_row, sheet
from transforms.export_init import (
    Existing,
    describe_plan,
    file_prices,
    first_cutoff_at_or_after,
    plan_init,
    unpriced_message,
)
from transforms.export_mapping import parse_export
from transforms.windows import window_for

TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)
NOTES = sheet("说明", [["下单时间：2026-11-21 10:00:00至2026-11-21 12:00:00"]])
CUTOFF = datetime(2026, 11, 21, 20, 0, tzinfo=SH)
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def community(*rows):
    return parse_export([sheet("顾客购买表", [COMMUNITY, *rows]), NOTES], "a.xlsx", "团.xlsx", None)


def standard(*rows):
    return parse_export([sheet("订单", [STANDARD, *rows])], "b.xlsx", "周末团.xlsx", None)


def test_the_first_nightly_cutoff_at_or_after_an_order():
    clock = time(20, 0)
    assert first_cutoff_at_or_after(datetime(2026, 11, 21, 19, 59, tzinfo=SH), TZ, clock) == CUTOFF
    assert first_cutoff_at_or_after(CUTOFF, TZ, clock) == CUTOFF
    assert first_cutoff_at_or_after(datetime(2026, 11, 21, 20, 0, 1, tzinfo=SH), TZ, clock) == \
        datetime(2026, 11, 22, 20, 0, tzinfo=SH)
    assert first_cutoff_at_or_after(CUTOFF, TZ, clock) == window_for("nightly", CUTOFF.date(), TZ, clock).end


def test_prices_come_from_the_lines_else_from_orders_holding_an_item_alone():
    exports = [community(community_row(number=1, qty=2, amount=96), continuation_row(number=1, qty=1, amount=59.9),
                         community_row(number=2, qty=1, amount=50, order_amount=50),  # a hand edit: less frequent
                         community_row(number=3, qty=1, amount=48, order_amount=48)),
               standard(["1", "x", "2026-11-21 10:00", "苹果+2", 21, 0, "已支付", "点", "x", "1", "a"],
                        ["2", "x", "2026-11-21 10:00", "苹果+1;梨+1", 20, 0, "已支付", "点", "x", "1", "a"],
                        ["3", "x", "2026-11-21 10:00", "梨+3", 10, 0, "已支付", "点", "x", "1", "a"],   # 3.33: no
                        ["4", "x", "2026-11-21 10:00", "桃+1", 10, 0, "已取消", "点", "x", "1", "a"])]
    assert file_prices(exports) == {"新奇士橙(1份十个)": 4800, "荔枝(每箱四斤)": 5990, "苹果": 1050}


def test_on_a_tie_the_smaller_price():
    exports = [community(community_row(number=1, amount=50, order_amount=50), community_row(number=2, amount=48))]
    assert file_prices(exports) == {"新奇士橙(1份十个)": 4800}


def test_a_new_data_dir_from_one_export():
    export = community(community_row(number=1, qty=2, amount=96, order_amount=155.9),
                       continuation_row(number=1, qty=1, amount=59.9),
                       community_row(number=2, point="阳光花园", contact=None, point_phone=None, leader="李娜",
                                     address=None))
    plan = plan_init([export], Existing(), CUTOFF, {}, TZ)
    assert plan.products == [
        {"sku_id": "P001", "name": "新奇士橙", "spec": "1份十个", "unit": "份", "category": "团购", "supplier_id": "S1",
         "cost_fen": 0, "case_pack": 1, "case_rounding": "up"},
        {"sku_id": "P002", "name": "荔枝", "spec": "每箱四斤", "unit": "份", "category": "团购", "supplier_id": "S1",
         "cost_fen": 0, "case_pack": 1, "case_rounding": "up"}]
    assert plan.listings == [
        {"listing_id": "P001-20261121", "sku_id": "P001", "calendar": "nightly",
         "opens_at": datetime(2026, 11, 21, 10, 0, tzinfo=SH), "closes_at": CUTOFF, "unit_price_fen": 4800,
         "min_qty": 1},
        {"listing_id": "P002-20261121", "sku_id": "P002", "calendar": "nightly",
         "opens_at": datetime(2026, 11, 21, 10, 0, tzinfo=SH), "closes_at": CUTOFF, "unit_price_fen": 5990,
         "min_qty": 1}]
    assert plan.pickup_points == [
        {"pickup_point_id": "PP01", "name": "嘉怡水岸", "address": "紫龙路500弄", "leader_id": "L01",
         "leader_name": "王芳", "leader_phone": "13800000001", "route_id": "R1", "route_seq": 1},
        {"pickup_point_id": "PP02", "name": "阳光花园", "address": None, "leader_id": "L02", "leader_name": "李娜",
         "leader_phone": None, "route_id": "R1", "route_seq": 2}]
    assert plan.export_map == [
        {"field": "product", "text": "新奇士橙(1份十个)", "maps_to": "P001"},
        {"field": "product", "text": "荔枝(每箱四斤)", "maps_to": "P002"},
        {"field": "pickup_point", "text": "嘉怡水岸", "maps_to": "PP01"},
        {"field": "pickup_point", "text": "阳光花园", "maps_to": "PP02"}]
    assert plan.unpriced == []
    assert describe_plan(plan) == ("2 new product(s), 2 new pickup point(s), 2 listing(s): P001 ¥48.00, "
                                   "P002 ¥59.90")
    ids = [r["sku_id"] for r in plan.products] + [r["pickup_point_id"] for r in plan.pickup_points] + \
        [r["leader_id"] for r in plan.pickup_points] + [r["listing_id"] for r in plan.listings]
    assert all(re.match(ID_PATTERN, i) for i in ids)


def test_an_export_naming_no_pickup_place_gets_one_named_after_its_leader():
    export = parse_export([sheet("订单", [["跟团号", "商品", "订单金额", "支付时间", "团长"],
                                          ["1", "苹果+1", 10, "2026-11-21 10:00", "梦涵"]])], "c", "c.xlsx", None)
    plan = plan_init([export], Existing(), CUTOFF, {}, TZ)
    assert [(p["name"], p["leader_name"]) for p in plan.pickup_points] == [("梦涵", "梦涵")]
    assert plan.export_map[-1] == {"field": "pickup_point", "text": "*", "maps_to": "PP01"}
    bare = parse_export([sheet("订单", [["跟团号", "商品", "订单金额", "支付时间"],
                                        ["1", "苹果+1", 10, "2026-11-21"]])], "c", "c.xlsx", None)
    assert [(p["name"], p["leader_name"]) for p in plan_init([bare], Existing(), CUTOFF, {}, TZ).pickup_points] == [
        ("自提点", "团长")]


def test_products_without_a_price_are_named_and_a_given_price_wins():
    export = standard(["1", "x", "2026-11-21 10:00", "苹果+1;梨+1", 20, 0, "已支付", "点", "x", "1", "a"],
                      ["2", "x", "2026-11-21 11:00", "苹果+1", 12, 0, "已支付", "点", "x", "1", "a"])
    plan = plan_init([export], Existing(), CUTOFF, {}, TZ)
    assert plan.unpriced == ["梨"]
    assert [r["sku_id"] for r in plan.listings] == ["P001"]
    assert unpriced_message(plan.unpriced) == (
        "no price for 1 product(s): 梨. The export gives no 商品金额 for them and no order holds one of them alone. "
        "Give each its unit price in yuan, e.g. --price '梨=12.50', and run the same command again (nothing was "
        "written).")
    assert "and 5 more" in unpriced_message([f"品{i}" for i in range(25)])
    priced = plan_init([export], Existing(), CUTOFF, {"梨": 800, "苹果": 1100}, TZ)
    assert ([r["unit_price_fen"] for r in priced.listings], priced.unpriced) == ([1100, 800], [])


def test_again_on_its_data_dir_init_adds_only_what_is_new():
    existing = Existing(products={"新奇士橙(1份十个)": "P001"}, pickups={"嘉怡水岸": "PP01"}, sku_ids=("P001", "P007"),
                        point_ids=("PP01",), route_seqs=1,
                        last_listing={"P001": ("P001-20261121", CUTOFF, 4800)})
    next_cutoff = datetime(2026, 11, 22, 20, 0, tzinfo=SH)
    export = community(community_row(number=1), community_row(number=2, item="西柚(十个一份)", amount=39.9,
                                                               order_amount=39.9, point="阳光花园"))
    plan = plan_init([export], existing, next_cutoff, {}, TZ)
    assert [r["sku_id"] for r in plan.products] == ["P008"]
    assert [(r["pickup_point_id"], r["route_seq"]) for r in plan.pickup_points] == [("PP02", 2)]
    assert [(r["listing_id"], r["opens_at"], r["unit_price_fen"]) for r in plan.listings] == [
        ("P001-20261122", CUTOFF, 4800), ("P008-20261122", datetime(2026, 11, 21, 12, 0, tzinfo=SH), 3990)]
    assert plan.export_map == [{"field": "product", "text": "西柚(十个一份)", "maps_to": "P008"},
                               {"field": "pickup_point", "text": "阳光花园", "maps_to": "PP02"}]
    again = plan_init([export], existing, CUTOFF, {}, TZ)  # the same cutoff: its listing is there
    assert [r["listing_id"] for r in again.listings] == ["P008-20261121"]


def test_a_product_listed_before_without_a_price_now_keeps_its_last_price():
    existing = Existing(products={"梨": "P001"}, sku_ids=("P001",),
                        last_listing={"P001": ("P001-20261121", CUTOFF, 700)})
    export = standard(["1", "x", "2026-11-22 10:00", "梨+1;桃+1", 20, 0, "已支付", "点", "x", "1", "a"],
                      ["2", "x", "2026-11-22 10:00", "桃+1", 13, 0, "已支付", "点", "x", "1", "a"])
    plan = plan_init([export], existing, datetime(2026, 11, 22, 20, 0, tzinfo=SH), {}, TZ)
    assert [(r["sku_id"], r["unit_price_fen"]) for r in plan.listings] == [("P001", 700), ("P002", 1300)]


@pytest.mark.parametrize("taken, expected", [((), "P001"), (("P009", "X12", "P0x"), "P010")])
def test_new_ids_follow_the_highest(taken, expected):
    export = community(community_row(number=1))
    assert plan_init([export], Existing(sku_ids=taken), CUTOFF, {}, TZ).products[0]["sku_id"] == expected


def test_the_plan_says_what_it_makes_and_names_at_most_eight_prices():
    rows = [community_row(number=n, item=f"品{n}(份)", amount=n, order_amount=n) for n in range(1, 11)]
    plan = plan_init([community(*rows)], Existing(), CUTOFF, {}, TZ)
    assert describe_plan(plan) == ("10 new product(s), 1 new pickup point(s), 10 listing(s): P001 ¥1.00, P002 ¥2.00, "
                                   "P003 ¥3.00, P004 ¥4.00, P005 ¥5.00, P006 ¥6.00, P007 ¥7.00, P008 ¥8.00 ...")


def test_a_cutoff_after_midnight_is_the_business_days():
    clock = time(2, 0)  # a nightly cutoff at 02:00: the order at 05:00 (21:00 UTC the day before) is the next one's
    early = datetime(2026, 11, 21, 5, 0, tzinfo=SH).astimezone(ZoneInfo("UTC"))
    assert first_cutoff_at_or_after(early, TZ, clock) == datetime(2026, 11, 22, 2, 0, tzinfo=SH)
    end = datetime(2026, 11, 22, 2, 0, tzinfo=SH)
    plan = plan_init([community(community_row(number=1))], Existing(), end.astimezone(ZoneInfo("UTC")), {}, TZ)
    assert [r["listing_id"] for r in plan.listings] == ["P001-20261122"]


def test_a_price_given_by_the_products_name_and_an_unpriced_product_before_a_priced_one():
    export = community(community_row(number=1))
    plan = plan_init([export], Existing(), CUTOFF, {"新奇士橙": 5200}, TZ)
    assert [(r["sku_id"], r["unit_price_fen"]) for r in plan.listings] == [("P001", 5200)]
    first = standard(["1", "x", "2026-11-21 10:00", "梨+1;苹果+1", 20, 0, "已支付", "点", "x", "1", "a"],
                     ["2", "x", "2026-11-21 11:00", "苹果+1", 12, 0, "已支付", "点", "x", "1", "a"])
    plan = plan_init([first], Existing(), CUTOFF, {}, TZ)
    assert (plan.unpriced, [(r["sku_id"], r["unit_price_fen"]) for r in plan.listings]) == (["梨"], [("P002", 1200)])


def test_the_message_of_unpriced_products_names_twenty():
    twenty = [f"品{i}" for i in range(20)]
    assert unpriced_message(twenty).startswith(f"no price for 20 product(s): {', '.join(twenty)}. The export")
    more = ["妈妈's 苹果", *twenty]
    assert unpriced_message(more).startswith(
        f"no price for 21 product(s): {', '.join(more[:20])} and 1 more. The export")
    assert "e.g. --price '妈妈s 苹果=12.50'," in unpriced_message(more)


def test_the_plan_names_eight_prices_without_dots_and_none_without_listings():
    rows = [community_row(number=n, item=f"品{n}(份)", amount=n, order_amount=n) for n in range(1, 10)]
    eight = plan_init([community(*rows[:8])], Existing(), CUTOFF, {}, TZ)
    assert describe_plan(eight).endswith("8 listing(s): P001 ¥1.00, P002 ¥2.00, P003 ¥3.00, P004 ¥4.00, P005 ¥5.00, "
                                         "P006 ¥6.00, P007 ¥7.00, P008 ¥8.00")
    nine = plan_init([community(*rows)], Existing(), CUTOFF, {}, TZ)
    assert describe_plan(nine).endswith("P008 ¥8.00 ...")
    unpriced = plan_init([standard(["1", "x", "2026-11-21 10:00", "梨+1;桃+1", 20, 0, "已支付", "点", "x", "1", "a"])],
                         Existing(), CUTOFF, {}, TZ)
    assert describe_plan(unpriced) == "2 new product(s), 1 new pickup point(s), 0 listing(s)"


def test_the_price_of_an_item_alone_is_its_order_less_shipping_plus_discount_in_whole_fen():
    headers = STANDARD + ["运费", "优惠"]
    export = parse_export([sheet("订单", [
        headers,
        ["1", "x", "2026-11-21 10:00", "梨+1", 9, 0, "已取消", "点", "x", "1", "a", 0, 0],
        ["2", "x", "2026-11-21 10:00", "苹果+2", 23, 0, "已支付", "点", "x", "1", "a", 5, 2],   # (23 - 5 + 2) / 2
        ["3", "x", "2026-11-21 10:00", "桃+1", 0.01, 0, "已支付", "点", "x", "1", "a", 0, 0],
        ["4", "x", "2026-11-21 10:00", "梨+1", 10, 0, "已支付", "点", "x", "1", "a", 0, 0],
        ["5", "x", "2026-11-21 10:00", "西瓜+1", 0, 0, "已支付", "点", "x", "1", "a", 0, 0]])], "b", "b.xlsx", None)
    prices = file_prices([export])
    assert {text: str(fen) for text, fen in prices.items()} == {"苹果": "1000", "桃": "1", "梨": "1000"}
    plan = plan_init([export], Existing(), CUTOFF, {}, TZ)
    assert plan.unpriced == ["西瓜"]  # a free order gives no price


def test_a_pickup_point_without_contact_or_leader_is_led_by_its_name():
    export = community(community_row(number=1, contact=None, leader=None))
    (point,) = plan_init([export], Existing(), CUTOFF, {}, TZ).pickup_points
    assert (point["name"], point["leader_name"]) == ("嘉怡水岸", "嘉怡水岸")
