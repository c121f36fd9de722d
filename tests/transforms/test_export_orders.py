"""The rows of an export read into orders and lines: continuation rows, statuses, skipped and
rejected rows, unit prices in whole fen, times and ids (transforms/export_orders.py)."""

from datetime import datetime
from decimal import Decimal

import pytest

from tests.export_sheets import COMMUNITY, JIELONG, STANDARD, community_row, continuation_row, sheet
from transforms.export_headers import find_line_sheet
from transforms.export_orders import (
    continues_order,
    customer_id,
    fill_times_from_range,
    order_id,
    order_rank_key,
    order_status,
    read_order_rows,
)


def read(headers, rows, first_row=1, no_value=None):
    return read_order_rows(find_line_sheet([sheet("顾客购买表", [headers, *rows], first_row, no_value)]), "x.xlsx")


def test_an_item_per_row_order_continues_over_its_rows():
    got = read(COMMUNITY, [community_row(number=1, order_amount=167.8, shipping=5, discount=3.01),
                           continuation_row(number=1, qty=2, amount=119.8),
                           continuation_row(number=None, item="西柚(十个一份)", spec=None, qty=1, amount=0),
                           community_row(buyer="李娜", number="2", phone="139-0000-1234")])
    first, second = got.orders
    assert (first.order_no, first.row, first.rows, first.status) == ("1", 2, [2, 3, 4], "paid")
    assert [(x.row, x.item_text, x.name, x.spec, x.qty, x.amount_fen) for x in first.lines] == [
        (2, "新奇士橙(1份十个)", "新奇士橙", "1份十个", 1, 4800), (3, "荔枝(每箱四斤)", "荔枝", "每箱四斤", 2, 11980),
        (4, "西柚(十个一份)", "西柚", "十个一份", 1, 0)]
    assert first.amounts == {"order_amount": 16780, "shipping": 500, "discount": 301, "refund_amount": 0}
    assert (first.phone, first.pickup_phone, first.text["building"], first.text["room"]) == \
        ("13812345678", "13800000001", "10", "606")
    assert (first.text["pickup"], first.text["pickup_contact"], first.text["pickup_address"], first.text["leader"]) == \
        ("嘉怡水岸", "王芳", "紫龙路500弄", "梦涵")
    assert (second.order_no, second.phone, second.text["buyer"]) == ("2", "13900001234", "李娜")
    assert (got.rejects, got.warnings, got.skipped, got.data_rows) == ([], [], {}, 4)


def test_a_row_whose_order_columns_are_empty_continues_even_with_another_number():
    got = read(COMMUNITY, [community_row(number=7), continuation_row(number=1007)])
    assert [len(o.lines) for o in got.orders] == [2]
    assert got.warnings == ["export_order_number: x.xlsx: sheet 顾客购买表 row 3 continues order 7 above it "
                            "(its 跟团号 1007 differs: edited by hand?); read as order 7"]


def test_a_row_with_another_number_and_its_own_order_columns_starts_an_order():
    row = continuation_row(number=8)
    row[11] = "顾客自提"  # 物流方式 filled: an order of its own
    got = read(COMMUNITY, [community_row(number=7), row])
    assert [o.order_no for o in got.orders] == ["7", "8"]
    assert got.warnings == []


def test_an_order_amount_of_zero_counts_as_empty():
    row = continuation_row(number=9)
    row[9] = Decimal(0)
    assert continues_order(tuple(row), find_line_sheet([sheet("s", [COMMUNITY])]).columns)
    row[9] = Decimal("0.01")
    assert not continues_order(tuple(row), find_line_sheet([sheet("s", [COMMUNITY])]).columns)
    row[9] = "abc"
    assert not continues_order(tuple(row), find_line_sheet([sheet("s", [COMMUNITY])]).columns)
    assert not continues_order(("1", "苹果"), {"order_no": 0, "item": 1})  # no order column: never


def test_the_same_number_continues_even_with_order_columns_filled_and_amounts_add_up():
    got = read(COMMUNITY, [community_row(number=2, order_amount=48, refund=1),
                           community_row(number=2, item="荔枝(每箱四斤)", amount=59.9, order_amount=59.9, refund=2)])
    (order,) = got.orders
    assert order.amounts["order_amount"] == 10790
    assert order.amounts["refund_amount"] == 300


def test_statuses_map_to_the_contracts():
    assert [order_status(s) for s in ("已支付", "已发货", "已送达", "已取消", "已退款", None, " ", "待支付")] == [
        "paid", "paid", "paid", "cancelled", "refunded", "paid", "paid", None]


def test_an_unknown_status_rejects_its_row():
    got = read(STANDARD, [["1", "王芳", "2026-11-21 10:00", "苹果+1", 10, 0, "已冻结", "点", "王芳", "1380000", "址"]])
    assert got.orders == []
    assert [(r.row, r.reason) for r in got.rejects] == [(2, "订单状态 '已冻结' is not a known status (已支付, 已发货, "
                                                            "已送达, 已取消, 已退款, 待支付)")]


def test_unpaid_rows_are_skipped_with_their_continuation_rows_and_counted():
    got = read(COMMUNITY + ["订单状态"], [community_row(number=1) + ["待支付"], continuation_row(number=1) + [None],
                                      community_row(number=2) + ["已取消"], community_row(number=3) + ["已退款"]])
    assert [(o.order_no, o.status) for o in got.orders] == [("2", "cancelled"), ("3", "refunded")]
    assert got.skipped == {"待支付": 2}
    assert got.rejects == []


def test_an_order_refunded_in_full_by_an_export_without_status_is_refunded():
    got = read(COMMUNITY, [community_row(number=1, order_amount=48, refund=48), community_row(number=2, refund=10),
                           community_row(number=3, order_amount=0, refund=0, amount=0)])
    assert [o.status for o in got.orders] == ["refunded", "paid", "paid"]


def test_total_rows_repeated_headers_and_empty_rows_are_no_orders():
    got = read(COMMUNITY, [community_row(number=1), [], [None, ""], COMMUNITY, ["合计", None, None, None, None, 3]])
    assert len(got.orders) == 1
    assert got.skipped == {"a repeated header row": 1, "a total row": 1}
    assert got.data_rows == 3


def test_rows_above_the_header_are_not_orders():
    got = read_order_rows(find_line_sheet([sheet("s", [["快团团导出"], ["1", "x"], COMMUNITY, community_row()])]), "f")
    assert [o.row for o in got.orders] == [4]


@pytest.mark.parametrize("row, reason", [
    (community_row(qty="两"), "数量 '两' is not a whole number"),
    (community_row(qty=0), "数量 0 must be at least 1"),
    (community_row(amount="abc"), "商品金额 'abc' is not an amount in yuan"),
    (community_row(qty=3, amount=10), "商品金额 '10' / 数量 3 is not a whole number of fen (3.3333 yuan a unit): "
                                      "a unit price must be whole fen"),
    (community_row(item=None), "商品 is empty"),
    (community_row(order_amount="很多"), "订单金额 '很多' is not an amount in yuan"),
    (community_row(number=None), "跟团号 is empty and the row starts an order (its 订单金额, 物流方式 or 服务小区 "
                                 "is filled)"),
    (community_row(number="12 a"), "跟团号 '12 a' must be letters, digits, _ . - (up to 40)"),
])
def test_a_row_that_cannot_be_read_is_rejected_with_why(row, reason):
    got = read(COMMUNITY, [row])
    assert got.orders == []
    assert [(r.row, r.reason) for r in got.rejects] == [(2, reason)]


def test_the_rows_of_a_rejected_first_row_go_with_it_and_a_bad_continuation_marks_its_order():
    got = read(COMMUNITY, [community_row(number=1, qty="x"), continuation_row(number=1),
                           community_row(number=2), continuation_row(number=2, qty=0), continuation_row(number=2)])
    assert [(r.row, r.reason) for r in got.rejects] == [
        (2, "数量 'x' is not a whole number"), (3, "continues the order of row 2, which was rejected"),
        (5, "数量 0 must be at least 1")]
    (order,) = got.orders
    assert (order.order_no, order.incomplete, [x.row for x in order.lines]) == ("2", True, [4, 6])


def test_a_formula_without_a_saved_value_rejects_its_row_naming_the_cell():
    got = read(COMMUNITY, [community_row(number=1), continuation_row(number=1), community_row(number=2)],
               no_value={(3, 6): "F3*59.9", (4, 30): "X4+1"})
    assert [(r.row, r.reason) for r in got.rejects] == [
        (3, "cell G3 holds a formula with no saved value (=F3*59.9): open the file in Excel or WPS and save it, so "
            "its values are stored")]
    assert got.orders[0].incomplete
    assert [o.order_no for o in got.orders] == ["1", "2"]  # a cell outside the read columns does not matter
    first = read(COMMUNITY, [community_row(number=1), continuation_row(number=1)], no_value={(2, 2): "A1"})
    assert [r.row for r in first.rejects] == [2, 3]
    assert first.orders == []


def test_a_standard_group_buy_row_holds_its_items_in_one_cell():
    got = read(STANDARD, [["12", "王芳", "2026/11/21 10:00:05", "新奇士橙(1份十个)+2;\n荔枝+1", "155.9", "0", "已发货",
                           "嘉怡水岸", "王小芳", Decimal("13812345678"), "10栋606"]])
    (order,) = got.orders
    assert [(x.item_text, x.name, x.spec, x.qty, x.amount_fen, x.row) for x in order.lines] == [
        ("新奇士橙(1份十个)", "新奇士橙", "1份十个", 2, None, 2), ("荔枝", "荔枝", None, 1, None, 2)]
    assert (order.ordered_at, order.amounts, order.text["receiver"], order.text["address"]) == (
        datetime(2026, 11, 21, 10, 0, 5), {"order_amount": 15590, "refund_amount": 0}, "王小芳", "10栋606")


def test_a_jielong_row_and_its_times():
    got = read(JIELONG, [["3", "阿芳", "王芳", "13812345678", "西柚*2\n草莓*1", "¥79.80", "2026-11-21 10:00:05",
                          "已支付", "幸福里", "12栋", "603"],
                         ["4", "阿娜", "李娜", "139", "西柚*1", "39.9", "昨天", "已支付", "幸福里", "", ""]])
    (order,) = got.orders
    assert [(x.item_text, x.qty) for x in order.lines] == [("西柚", 2), ("草莓", 1)]
    assert (order.order_no, order.text["building"], order.text["room"], order.amounts) == (
        "3", "12栋", "603", {"order_amount": 7980})
    assert [(r.row, r.reason) for r in got.rejects] == [(3, "下单时间 '昨天' is not a time")]


def test_the_payment_time_comes_before_the_order_time_and_a_refund_has_its_own():
    headers = ["跟团号", "商品", "订单金额", "下单时间", "支付时间", "退款时间"]
    got = read(headers, [["1", "苹果+1", 5, "2026-11-21 09:00", "2026-11-21 09:05", "2026-11-21 12:00"],
                         ["2", "苹果+1", 5, "2026-11-21 09:10", None, None],
                         ["3", "苹果+1", 5, None, None, "坏"]])
    assert [(o.ordered_at, o.refunded_at) for o in got.orders] == [
        (datetime(2026, 11, 21, 9, 5), datetime(2026, 11, 21, 12)), (datetime(2026, 11, 21, 9, 10), None)]
    assert [(r.row, r.reason) for r in got.rejects] == [(4, "退款时间 '坏' is not a time")]


def test_orders_without_times_take_them_from_the_range_by_their_number():
    got = read(STANDARD, [[str(n), "x", None, "苹果+1", 5, 0, "已支付", "点", "x", "1", "a"]
                          for n in ("10", "2", "3a")])
    got.orders[1].ordered_at = datetime(2026, 1, 1)  # one with its own time keeps it
    fill_times_from_range(got.orders, datetime(2026, 11, 21, 10), datetime(2026, 11, 21, 12))
    assert [o.ordered_at for o in got.orders] == [datetime(2026, 11, 21, 11), datetime(2026, 1, 1),
                                                  datetime(2026, 11, 21, 12)]
    single = read(STANDARD, [["1", "x", None, "苹果+1", 5, 0, "已支付", "点", "x", "1", "a"]])
    fill_times_from_range(single.orders, datetime(2026, 11, 21, 10), datetime(2026, 11, 21, 12))
    assert single.orders[0].ordered_at == datetime(2026, 11, 21, 10)


def test_the_number_order_is_numeric_then_text():
    assert sorted(["10", "2", "b", "1", "a"], key=order_rank_key) == ["1", "2", "10", "a", "b"]


def test_ids_are_stable_and_fit_the_contract():
    first = order_id("ktt", "浮生若梦水果套餐", "17")
    assert first == order_id("ktt", "浮生若梦水果套餐", "17")
    assert first.startswith("ktt-") and first.endswith("-17") and len(first) == len("ktt-12345678-17")
    assert order_id("ktt", "另一个团", "17") != first
    assert order_id("qjl", "浮生若梦水果套餐", "17") != first
    customer = customer_id("13812345678", "王芳")
    assert customer == customer_id("13812345678", "李娜")  # a household's phone is its customer
    assert customer != customer_id("13812345679", "王芳")
    assert customer_id(None, "王芳") == customer_id(None, "王芳") != customer_id(None, "李娜")
    assert customer.startswith("c-") and len(customer) == 14


@pytest.mark.parametrize("text, status", [
    *[(t, "paid") for t in "已支付 已付款 已发货 已送达 已完成 交易成功 待发货 待提货 待核销 已核销 已提货 已签收 "
                           "部分退款 退款中".split()],
    *[(t, "cancelled") for t in "已取消 交易关闭 已关闭".split()],
    *[(t, "refunded") for t in "已退款 全部退款".split()],
    *[(t, None) for t in "待支付 待付款 未支付".split()]])
def test_every_documented_status(text, status):
    assert order_status(text) == status
    assert order_status(f" {text} ") == status


def test_a_formula_without_a_saved_value_past_column_z_is_named_by_its_two_letters():
    headers = COMMUNITY + [f"备注{n}" for n in range(5)] + ["订单状态"]  # 订单状态 in column AA
    headers += [f"附注{n}" for n in range(25)] + ["下单时间", "支付时间"]  # columns BA, BB
    row = community_row(number=1) + [None] * 5 + ["已支付"] + [None] * 25 + ["2026-11-21 10:00", None]
    for column, letters, formula in ((26, "AA", "B2"), (52, "BA", "=X2*2"), (53, "BB", "=B2")):
        got = read(headers, [row], no_value={(2, column): formula})
        assert [(r.row, r.reason) for r in got.rejects] == [
            (2, f"cell {letters}2 holds a formula with no saved value (={formula.removeprefix('=')}): open the file "
                "in Excel or WPS and save it, so its values are stored")]


def test_a_customer_keeps_the_id_earlier_runs_gave_them():
    # the ids already in the database: a changed hash or salt would make every customer a new one
    assert customer_id("13812345678", "王芳") == "c-d5956eb6f985"
    assert customer_id(None, "王芳") == "c-ca59f275ecfb"
    assert customer_id(None, None) == customer_id(None, "") == "c-c049c4a2e596"
    assert order_id("ktt", "浮生若梦水果套餐", "17") == "ktt-752e2fbc-17"


def test_a_row_shorter_than_the_header_reads_its_missing_cells_as_empty():
    got = read(COMMUNITY, [community_row(number=1)[:20]])  # 楼号, the last column, not in the row
    (order,) = got.orders
    assert (order.text["building"], order.text["room"], [x.qty for x in order.lines]) == (None, "606", [1])
    assert got.rejects == []


def test_a_payment_time_that_cannot_be_read_rejects_its_row_naming_the_column():
    got = read(STANDARD, [["1", "王芳", "坏", "苹果+1", 5, 0, "已支付", "点", "王芳", "1380000", "址"]])
    assert [(r.row, r.reason) for r in got.rejects] == [(2, "支付时间 '坏' is not a time")]


def test_the_spec_column_gives_the_spec_of_an_item_without_one_in_brackets():
    got = read(COMMUNITY, [community_row(number=1), continuation_row(number=1, item="荔枝", spec="每箱四斤")])
    assert [(x.item_text, x.name, x.spec) for x in got.orders[0].lines] == [
        ("新奇士橙(1份十个)", "新奇士橙", "1份十个"), ("荔枝", "荔枝", "每箱四斤")]


def test_skipped_rows_are_counted_by_why():
    total = ["合计", None, None, None, None, 3]
    got = read(COMMUNITY, [community_row(number=1), total, ["总计", None, 5], COMMUNITY])
    assert got.skipped == {"a total row": 2, "a repeated header row": 1}


def test_an_export_with_a_status_column_keeps_its_status_even_when_refunded_in_full():
    got = read(COMMUNITY + ["订单状态"], [community_row(number=1, order_amount=48, refund=48) + ["退款中"]])
    assert [o.status for o in got.orders] == ["paid"]


def test_refunded_in_full_needs_both_amounts_in_the_file():
    one_fen = read(COMMUNITY, [community_row(number=1, amount=0.01, order_amount=0.01, refund=0.01)])
    assert [o.status for o in one_fen.orders] == ["refunded"]
    without = {"订单金额": 9, "退款金额": 10}
    for header, column in without.items():
        headers = [h for h in COMMUNITY if h != header]
        row = community_row(number=1, amount=0.01, order_amount=0.01, refund=10)
        got = read(headers, [row[:column] + row[column + 1:]])
        assert [(o.amounts.get("order_amount"), o.amounts.get("refund_amount"), o.status) for o in got.orders] == [
            (None, 1000, "paid") if header == "订单金额" else (1, None, "paid")]


def test_times_from_the_range_are_whole_seconds():
    got = read(STANDARD, [[str(n), "x", None, "苹果+1", 5, 0, "已支付", "点", "x", "1", "a"] for n in range(1, 5)])
    fill_times_from_range(got.orders, datetime(2026, 11, 21, 10), datetime(2026, 11, 21, 10, 0, 10))
    assert [o.ordered_at for o in got.orders] == [datetime(2026, 11, 21, 10, 0, s) for s in (0, 3, 6, 10)]
