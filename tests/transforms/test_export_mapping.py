"""An export turned into the contract's order lines and refund rows through the master data:
pickup points, SKUs, the listing open at the order's time, prices, ids, the money, rejects naming
what to add, the summary cross-check (transforms/export_mapping.py)."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.export_sheets import COMMUNITY, STANDARD, community_row, continuation_row, sheet
from transforms.export_mapping import (
    NO_PICKUP,
    ExportMaster,
    ListingSpan,
    NotAnExport,
    describe,
    listing_at,
    map_export,
    parse_export,
    place_orders,
    summary_mismatches,
    unmapped,
)
from transforms.export_orders import customer_id, order_id

TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)
NOTES = sheet("说明", [["下单时间：2026-11-21 10:00:00至2026-11-21 12:00:00"]])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def spans(*rows) -> list[ListingSpan]:
    return [ListingSpan(i, at(o), at(c), p) for i, o, c, p in rows]


MASTER = ExportMaster(
    products={"新奇士橙(1份十个)": "P1", "荔枝(每箱四斤)": "P2", "苹果": "P3"},
    pickups={"嘉怡水岸": "PP1", NO_PICKUP: "PP9"},
    listings={"P1": spans(("P1-a", "2026-11-20 20:00", "2026-11-21 20:00", 5000)),
              "P2": spans(("P2-a", "2026-11-20 20:00", "2026-11-21 20:00", 6000)),
              "P3": spans(("P3-old", "2026-11-19 20:00", "2026-11-20 20:00", 900),
                          ("P3-a", "2026-11-20 20:00", "2026-11-21 20:00", 1000),
                          ("P3-b", "2026-11-21 10:00", "2026-11-22 20:00", 1100))})


def parsed_community(rows, sheets=(), name="团.xlsx", saved=None):
    lines = sheet("顾客购买表", [COMMUNITY, *rows])
    return parse_export([lines, NOTES, *sheets], "inbox/orders/团.xlsx", name, saved)


def test_the_listing_of_a_sku_open_at_a_time_is_the_first_to_close():
    options = MASTER.listings["P3"]
    assert listing_at(options, at("2026-11-20 19:00")).listing_id == "P3-old"
    assert listing_at(options, at("2026-11-20 20:00")).listing_id == "P3-old"  # closes_at belongs to it
    assert listing_at(options, at("2026-11-21 11:00")).listing_id == "P3-a"
    assert listing_at(options, at("2026-11-22 11:00")).listing_id == "P3-b"
    assert listing_at(options, at("2026-11-23 11:00")) is None


def test_an_order_becomes_the_contracts_lines_with_its_prices_ids_and_door():
    parsed = parsed_community([community_row(number=1, order_amount=167.8, amount=48, receiver="王小芳"),
                               continuation_row(number=1, qty=2, amount=119.8)])
    mapped = map_export(parsed, MASTER, TZ)
    oid = order_id("ktt", "团", "1")
    assert [(x["order_id"], x["line_no"], x["listing_id"], x["qty"], x["unit_price_fen"], x["status"], x["sheet_row"])
            for x in mapped.lines] == [(oid, 1, "P1-a", 1, 4800, "paid", 2), (oid, 2, "P2-a", 2, 5990, "paid", 3)]
    line = mapped.lines[0]
    assert (line["customer_id"], line["customer_name"], line["phone_tail"], line["pickup_point_id"]) == (
        customer_id("13812345678", "王芳"), "王小芳", "5678", "PP1")
    assert (line["building"], line["room"]) == ("10", "606")
    assert line["created_at"] == at("2026-11-21 10:00") == line["updated_at"]
    assert (mapped.refunds, mapped.rejects, mapped.warnings) == ([], [], [])


def test_the_file_saved_later_is_the_lines_version_time():
    saved = datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
    parsed = parsed_community([community_row(number=1)], saved=saved)
    assert map_export(parsed, MASTER, TZ).lines[0]["updated_at"] == at("2026-11-21 12:00")
    early = parsed_community([community_row(number=1)], saved=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert map_export(early, MASTER, TZ).lines[0]["updated_at"] == at("2026-11-21 10:00")


def test_discount_and_refund_become_refund_rows_and_a_wrong_amount_a_warning():
    parsed = parsed_community([community_row(number=1, amount=48, shipping=5, discount=3.01, order_amount=109.8,
                                             refund=20),
                               continuation_row(number=1, qty=1, amount=59.9)])
    mapped = map_export(parsed, MASTER, TZ)
    oid = order_id("ktt", "团", "1")
    assert [(r["refund_id"], r["line_no"], r["amount_fen"], r["reason"], r["sheet_row"]) for r in mapped.refunds] == [
        (f"{oid}-1-D", 1, 134, "优惠", 2), (f"{oid}-1-R", 1, 890, "退款", 2),   # 889.69 and 1110.30 of 20.00:
        (f"{oid}-2-D", 2, 167, "优惠", 3), (f"{oid}-2-R", 2, 1110, "退款", 3)]  # the fen left to the first
    assert sum(r["amount_fen"] for r in mapped.refunds if r["reason"] == "优惠") == 301
    assert mapped.warnings == [(oid, "export_amount_mismatch: inbox/orders/团.xlsx: order 1 (sheet 顾客购买表 row 2): "
                                     "订单金额 109.80, lines 107.90 less 优惠 3.01 plus 运费 5.00 = 109.89")]


def test_a_refund_takes_its_own_time_when_the_export_has_it():
    headers = ["跟团号", "商品", "订单金额", "退款金额", "支付时间", "退款时间", "自提点"]
    lines = sheet("订单", [headers, ["1", "苹果+2", 20, 10, "2026-11-21 10:00", "2026-11-22 09:00", "嘉怡水岸"]])
    mapped = map_export(parse_export([lines], "f", "团.xlsx", None), MASTER, TZ)
    (refund,) = mapped.refunds
    assert (refund["amount_fen"], refund["created_at"]) == (1000, at("2026-11-22 09:00"))
    assert mapped.lines[0]["unit_price_fen"] == 1000  # no price in the file: the listing's


def test_only_paid_orders_have_refund_rows_and_the_amount_is_checked():
    headers = ["跟团号", "商品", "订单金额", "退款金额", "支付时间", "订单状态", "自提点"]
    rows = [["1", "苹果+1", 99, 99, "2026-11-21 10:00", "已退款", "嘉怡水岸"],
            ["2", "苹果+1", 99, 5, "2026-11-21 10:01", "已取消", "嘉怡水岸"]]
    mapped = map_export(parse_export([sheet("订单", [headers, *rows])], "f", "团.xlsx", None), MASTER, TZ)
    assert [(x["status"], x["unit_price_fen"]) for x in mapped.lines] == [("refunded", 1000), ("cancelled", 1000)]
    assert (mapped.refunds, mapped.warnings) == ([], [])


def test_what_is_not_mapped_is_rejected_naming_the_text_to_add():
    parsed = parsed_community([community_row(number=1, item="榴莲(整个)"),
                               community_row(number=2, point="新小区"),
                               community_row(number=3, item="苹果", amount=10, order_amount=10)])
    late = ExportMaster(MASTER.products, MASTER.pickups, {**MASTER.listings, "P3": []})
    mapped = map_export(parsed, late, TZ)
    assert [(r["sheet_row"], r["order_id"], r["line_no"], r["reason"]) for r in mapped.rejects] == [
        (2, order_id("ktt", "团", "1"), "1", "商品 '榴莲(整个)' is not in master/export_map.csv: add a row "
                                            "`product,榴莲(整个),<sku_id>` (`cutoff map-export` lists every "
                                            "such text)"),
        (3, order_id("ktt", "团", "2"), "1", "服务小区 '新小区' is not in master/export_map.csv: add a row "
                                            "`pickup_point,新小区,<pickup_point_id>`"),
        (4, order_id("ktt", "团", "3"), "1", "no listing of SKU P3 (苹果) is open at 2026-11-21T12:00:00+08:00 "
                                            "(listings.csv)")]
    assert mapped.rejects[0]["created_at"] == at("2026-11-21 10:00")
    assert mapped.lines == []


def test_an_order_with_a_rejected_line_keeps_its_good_lines_unchecked():
    parsed = parsed_community([community_row(number=1, order_amount=999), continuation_row(number=1, item="榴莲")])
    mapped = map_export(parsed, MASTER, TZ)
    assert [x["line_no"] for x in mapped.lines] == [1]
    assert [r["line_no"] for r in mapped.rejects] == ["2"]
    assert mapped.warnings == []


def test_an_export_without_pickup_places_maps_through_the_star():
    headers = ["跟团号", "商品", "订单金额", "支付时间"]
    lines = sheet("订单", [headers, ["1", "苹果+1", 10, "2026-11-21 10:00"]])
    assert map_export(parse_export([lines], "f", "团.xlsx", None), MASTER, TZ).lines[0]["pickup_point_id"] == "PP9"


def test_an_order_without_any_time_is_rejected_until_placed():
    lines = sheet("订单", [STANDARD, ["1", "x", None, "苹果+1", 10, 0, "已支付", "嘉怡水岸", "x", "1", "a"],
                           ["2", "y", None, "苹果+2", 20, 0, "已支付", "嘉怡水岸", "y", "2", "b"]])
    parsed = parse_export([lines], "f", "团.xlsx", None)
    (first, second) = map_export(parsed, MASTER, TZ).rejects
    assert first["reason"].startswith("no order time: the export has no 支付时间 or 下单时间 and no 说明 range")
    assert first["created_at"] is None
    placed = ExportMaster(MASTER.products, MASTER.pickups, MASTER.listings,
                          {"团": (datetime(2026, 11, 20, 20), datetime(2026, 11, 21, 20))})
    mapped = map_export(parse_export([lines], "f", "团.xlsx", None), placed, TZ)
    assert [x["created_at"] for x in mapped.lines] == [at("2026-11-21 04:00"), at("2026-11-21 12:00")]


def test_placing_spreads_orders_over_the_window_in_the_order_they_came():
    parsed = parsed_community([community_row(number=2), community_row(number=1)])
    parsed.rows.orders[0].ordered_at = datetime(2026, 1, 2)
    parsed.rows.orders[1].ordered_at = datetime(2026, 1, 1)
    place_orders(parsed, (datetime(2026, 11, 20, 20), datetime(2026, 11, 21, 20)))
    assert [(o.order_no, o.ordered_at) for o in parsed.rows.orders] == [
        ("2", datetime(2026, 11, 21, 12)), ("1", datetime(2026, 11, 21, 4))]
    place_orders(parsed, None)
    assert parsed.rows.orders[0].ordered_at == datetime(2026, 11, 21, 12)


def test_a_workbook_of_no_known_export_is_refused_with_its_headers():
    with pytest.raises(NotAnExport, match=r"not a 快团团 or 群接龙 export: .* found sheet 订单: 姓名, 电话"):
        parse_export([sheet("订单", [["姓名", "电话"]])], "f", "f.xlsx", None)


def test_the_summary_sheets_are_compared_with_the_lines_read():
    products = sheet("商品汇总表", [["团购标题", "商品", "规格", "销售数量"], ["团", "新奇士橙", "1份十个", 4],
                                   ["团", "西柚", "十个一份", 2], ["团", "荔枝", "每箱四斤", 1], ["团", "坏", "", "x"]])
    points = sheet("服务小区商品汇总表", [["服务小区", "商品总数"], ["嘉怡水岸", 5]])
    parsed = parsed_community([community_row(number=1, qty=2, amount=96), continuation_row(number=1, qty=1),
                               community_row(number=2, point="新小区", qty=1, amount=48, order_amount=48),
                               community_row(number=3, refund=48, order_amount=48)],  # refunded: it was sold
                              [products, points])
    assert summary_mismatches(parsed) == [
        "export_summary_mismatch: inbox/orders/团.xlsx: sheet 商品汇总表 row 5: units 'x' is not a whole number",
        "export_summary_mismatch: inbox/orders/团.xlsx: product 西柚(十个一份): summary 2, lines 0",
        "export_summary_mismatch: inbox/orders/团.xlsx: pickup point 嘉怡水岸: summary 5, lines 4",
        "export_summary_mismatch: inbox/orders/团.xlsx: pickup point 新小区: summary 0, lines 1"]
    assert summary_mismatches(parsed_community([community_row()])) == []
    headers = ["跟团号", "商品", "订单金额", "支付时间", "订单状态", "自提点"]
    cancelled = parse_export([sheet("订单", [headers, ["1", "苹果+2", 20, "2026-11-21 10:00", "已取消", "点"]]),
                              sheet("商品汇总表", [["商品", "销售数量"], ["苹果", 0]])], "f", "f.xlsx", None)
    assert summary_mismatches(cancelled) == []  # the summary leaves out cancelled orders too


def test_what_an_export_holds_and_what_is_not_mapped():
    parsed = parsed_community([community_row(number=1), continuation_row(number=1, item="榴莲", qty=2, amount=20),
                               community_row(number=2, item="榴莲", point="新小区", qty=1, amount=10,
                                             order_amount=10)])
    assert describe(parsed) == ("inbox/orders/团.xlsx: 快团团 小区团购 (sheet 顾客购买表), group '团': 2 orders, 3 "
                                "lines, 订单金额 58.00, 0 rows rejected")
    assert unmapped(parsed, MASTER, {"P1": "新奇士橙", "P7": "金枕榴莲", "P8": None}) == [
        {"field": "product", "text": "榴莲", "maps_to": "",
         "note": "3 unit(s), sheet 顾客购买表 row(s) 3, 4; products.csv has P7 named like it"},
        {"field": "pickup_point", "text": "新小区", "maps_to": "", "note": "1 unit(s), sheet 顾客购买表 row(s) 4"}]
    skipped = parse_export([sheet("s", [STANDARD, ["1", "x", "2026-11-21", "苹果+1", 1, 0, "待支付", "", "", "", ""]])],
                           "f", "f.xlsx", None)
    assert describe(skipped).endswith("0 orders, 0 lines, 订单金额 0.00, 0 rows rejected, skipped 1 待支付")
    nowhere = parse_export([sheet("s", [STANDARD, ["1", "x", "2026-11-21", "苹果+1", 1, 0, "", "", "", "", ""]])],
                           "f", "f.xlsx", None)
    assert unmapped(nowhere, MASTER, {}) == []
    bare = ExportMaster(MASTER.products, {}, MASTER.listings)
    assert unmapped(nowhere, bare, {}) == [{"field": "pickup_point", "text": NO_PICKUP, "maps_to": "", "note": (
        "1 unit(s), sheet s row(s) 2; `*` is an export naming no pickup place")}]


def test_a_lane_goes_before_the_building_and_a_unit_before_the_room():
    headers = ["跟团号", "商品", "数量", "支付时间", "服务小区", "弄号（如168）", "楼号", "单元", "房号"]
    lines = sheet("s", [headers, ["1", "苹果", 1, "2026-11-21 10:00", "嘉怡水岸", 500, 56, 2, 601],
                        ["2", "苹果", 1, "2026-11-21 10:01", "嘉怡水岸", None, "7栋", None, None],
                        ["3", "苹果", 1, "2026-11-21 10:02", "嘉怡水岸", None, None, "3", "101"]])
    mapped = map_export(parse_export([lines], "f", "团.xlsx", None), MASTER, TZ)
    assert [(x["building"], x["room"]) for x in mapped.lines] == [("500-56", "2-601"), ("7栋", None), (None, "3-101")]


def test_the_rows_of_an_unmapped_text_are_listed_up_to_five():
    parsed = parsed_community([community_row(number=n, item="榴莲", amount=10, order_amount=10) for n in range(1, 8)])
    (todo,) = [row for row in unmapped(parsed, MASTER, {}) if row["field"] == "product"]
    assert todo["note"] == "7 unit(s), sheet 顾客购买表 row(s) 2, 3, 4, 5, 6 ..."


def test_a_listing_opens_at_its_opens_at():
    (span,) = spans(("P4-a", "2026-11-21 10:00", "2026-11-21 20:00", 100))
    assert listing_at([span], at("2026-11-21 10:00")) == span
    assert listing_at([span], at("2026-11-21 09:59")) is None


def test_a_line_after_a_rejected_one_is_still_read_and_a_sku_without_listings_is_rejected():
    master = ExportMaster({**MASTER.products, "西柚": "P4"}, MASTER.pickups, MASTER.listings)
    parsed = parsed_community([community_row(number=1), continuation_row(number=1, item="榴莲"),
                               continuation_row(number=1, item="西柚"), continuation_row(number=1)])
    mapped = map_export(parsed, master, TZ)
    assert [(x["line_no"], x["listing_id"], x["sheet_row"]) for x in mapped.lines] == [
        (1, "P1-a", 2), (4, "P2-a", 5)]
    oid = order_id("ktt", "团", "1")
    assert mapped.rejects == [
        {"sheet_row": 3, "order_id": oid, "line_no": "2", "listing_id": None, "created_at": at("2026-11-21 10:00"),
         "reason": "商品 '榴莲' is not in master/export_map.csv: add a row `product,榴莲,<sku_id>` (`cutoff "
                   "map-export` lists every such text)"},
        {"sheet_row": 4, "order_id": oid, "line_no": "3", "listing_id": None, "created_at": at("2026-11-21 10:00"),
         "reason": "no listing of SKU P4 (西柚) is open at 2026-11-21T10:00:00+08:00 (listings.csv)"}]


def test_an_order_without_a_time_is_rejected_saying_how_to_place_it():
    lines = sheet("订单", [STANDARD, ["1", "x", None, "苹果+1", 10, 0, "已支付", "嘉怡水岸", "x", "1", "a"]])
    (reject,) = map_export(parse_export([lines], "f", "团.xlsx", None), MASTER, TZ).rejects
    assert reject["reason"] == (
        "no order time: the export has no 支付时间 or 下单时间 and no 说明 range; place it with "
        "`cutoff init --from-export FILE --date D`")


def test_an_export_without_shipping_or_refund_columns_adds_none():
    headers = ["跟团号", "商品", "订单金额", "支付时间", "自提点"]
    lines = sheet("订单", [headers, ["1", "苹果+2", 20, "2026-11-21 10:00", "嘉怡水岸"]])
    mapped = map_export(parse_export([lines], "f", "团.xlsx", None), MASTER, TZ)
    assert [(x["qty"], x["unit_price_fen"]) for x in mapped.lines] == [(2, 1000)]
    assert (mapped.refunds, mapped.warnings) == ([], [])


def test_a_refund_row_of_one_fen_and_its_columns():
    parsed = parsed_community([community_row(number=1, amount=48, discount=0.01, order_amount=47.99, refund=0.01)])
    oid = order_id("ktt", "团", "1")
    assert map_export(parsed, MASTER, TZ).refunds == [
        {"refund_id": f"{oid}-1-D", "order_id": oid, "line_no": 1, "amount_fen": 1, "reason": "优惠",
         "created_at": at("2026-11-21 10:00"), "sheet_row": 2},
        {"refund_id": f"{oid}-1-R", "order_id": oid, "line_no": 1, "amount_fen": 1, "reason": "退款",
         "created_at": at("2026-11-21 10:00"), "sheet_row": 2}]


def test_the_customer_is_the_buyer_named_else_the_receiver_and_a_phone_tail_needs_four_digits():
    def line(buyer, receiver, phone):
        row = community_row(number=1, buyer=buyer, phone=phone)
        row[16] = receiver
        (got,) = map_export(parsed_community([row]), MASTER, TZ).lines
        return got["customer_id"], got["customer_name"], got["phone_tail"]

    assert line("王芳", "王小芳", None) == (customer_id(None, "王芳"), "王小芳", None)
    assert line("王芳", None, 5678) == (customer_id("5678", "王芳"), "王芳", "5678")
    assert line(None, "王小芳", 678) == (customer_id("678", "王小芳"), "王小芳", None)
    assert line(None, "王小芳", None) == (customer_id(None, "王小芳"), "王小芳", None)


def test_a_line_shows_its_version_time_in_the_business_time_zone():
    saved = datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)
    (line,) = map_export(parsed_community([community_row(number=1)], saved=saved), MASTER, TZ).lines
    assert (line["created_at"].isoformat(), line["updated_at"].isoformat()) == (
        "2026-11-21T10:00:00+08:00", "2026-11-21T12:00:00+08:00")


def test_placing_follows_the_orders_own_times_before_their_numbers_in_whole_seconds():
    parsed = parsed_community([community_row(number=1), community_row(number=2), community_row(number=3)])
    parsed.rows.orders[0].ordered_at = datetime(2026, 1, 2)
    parsed.rows.orders[1].ordered_at = datetime(2026, 1, 1)
    parsed.rows.orders[2].ordered_at = None
    place_orders(parsed, (datetime(2026, 11, 21, 10), datetime(2026, 11, 21, 10, 0, 10)))
    assert [(o.order_no, o.ordered_at) for o in parsed.rows.orders] == [
        ("1", datetime(2026, 11, 21, 10, 0, 5)), ("2", datetime(2026, 11, 21, 10, 0, 2)),
        ("3", datetime(2026, 11, 21, 10, 0, 7))]


def test_units_read_count_every_order_after_a_cancelled_one():
    headers = ["跟团号", "商品", "订单金额", "支付时间", "订单状态", "自提点"]
    rows = [["1", "苹果+2", 20, "2026-11-21 10:00", "已取消", "点"],
            ["2", "苹果+3", 30, "2026-11-21 10:01", "已支付", "点"]]
    parsed = parse_export([sheet("订单", [headers, *rows]), sheet("商品汇总表", [["商品", "销售数量"], ["苹果", 3]])],
                          "f", "f.xlsx", None)
    assert summary_mismatches(parsed) == []


def test_a_pickup_summary_alone_is_compared_too():
    points = sheet("服务小区商品汇总表", [["服务小区", "商品总数"], ["嘉怡水岸", 5]])
    assert summary_mismatches(parsed_community([community_row(number=1, qty=2, amount=96)], [points])) == [
        "export_summary_mismatch: inbox/orders/团.xlsx: pickup point 嘉怡水岸: summary 5, lines 2"]


def test_what_an_export_without_order_amounts_holds():
    headers = ["跟团号", "商品", "数量", "支付时间", "订单状态"]
    rows = [["1", "苹果", 1, "2026-11-21 10:00", "已支付"], ["2", "苹果", 1, "2026-11-21 10:01", "待支付"],
            ["合计", None, 2]]
    parsed = parse_export([sheet("订单", [headers, *rows])], "f", "f.xlsx", None)
    assert describe(parsed) == ("f: 快团团 小区团购 (sheet 订单), group 'f': 1 orders, 1 lines, 订单金额 0.00, 0 rows "
                                "rejected, skipped 1 a total row, 1 待支付")


def test_an_unmapped_product_is_named_like_products_of_its_name_before_its_spec():
    def note(text, rows, names):
        parsed = parsed_community([community_row(number=n, item=text, amount=10, order_amount=10)
                                   for n in range(1, rows + 1)])
        (todo,) = [row for row in unmapped(parsed, MASTER, names) if row["field"] == "product"]
        return todo["note"]

    durians = {f"P{n}": f"金枕榴莲{n}" for n in range(1, 7)}
    assert note("榴莲(整个)", 5, durians) == (
        "5 unit(s), sheet 顾客购买表 row(s) 2, 3, 4, 5, 6; products.csv has P1, P2, P3, P4, P5 named like it")
    assert note("榴莲（整个）", 6, {"P7": "榴莲"}) == (
        "6 unit(s), sheet 顾客购买表 row(s) 2, 3, 4, 5, 6 ...; products.csv has P7 named like it")
    assert note("X", 1, {"P8": None}) == "1 unit(s), sheet 顾客购买表 row(s) 2"  # a product without a name is like none


def test_what_the_line_sheet_holds_is_no_summary_and_no_time_range():
    headers = STANDARD + ["团员备注", "商品总数"]
    note = "下单时间：2026-11-20 08:00至2026-11-20 09:00"  # a remark that reads like the 说明 sheet's range
    rows = [["1", "x", None, "苹果+2", 20, 0, "已支付", "嘉怡水岸", "x", "1", "a", note, 2],
            ["2", "y", None, "苹果+1", 10, 0, "已支付", "嘉怡水岸", "y", "2", "b", None, 1]]
    parsed = parse_export([sheet("订单", [headers, *rows])], "f", "团.xlsx", None)
    assert (parsed.time_range, parsed.summary.products, parsed.summary.pickups) == (None, None, None)
    assert [o.ordered_at for o in parsed.rows.orders] == [None, None]
    assert summary_mismatches(parsed) == []
    timed = parsed_community([community_row(number=1)])
    assert timed.time_range == (datetime(2026, 11, 21, 10), datetime(2026, 11, 21, 12))


def test_a_warning_of_the_rows_names_the_file():
    parsed = parsed_community([community_row(number=7), continuation_row(number=1007)])
    assert parsed.rows.warnings == [
        "export_order_number: inbox/orders/团.xlsx: sheet 顾客购买表 row 3 continues order 7 above it (its 跟团号 1007 "
        "differs: edited by hand?); read as order 7"]
