"""The notice before the goods arrive (到货通知): when it is due, what it says after shortages."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from tests import mooncake
from tests.builders import at, listings, mooncake_orders, products
from tests.transforms.test_leader_messages import CUTOFF
from transforms.close import close_listings
from transforms.notice import (
    NOTICE_COLUMNS,
    REVISION_BYTES,
    _fit,
    _joined,
    build_notices,
    cutoff_day_text,
    departure_after,
    due_points,
    mark_revision,
    route_times,
)
from transforms.windows import window_for

SHANGHAI = timezone(timedelta(hours=8))
def points() -> pl.DataFrame:
    return pl.DataFrame({"pickup_point_id": ["P1", "P2", "P3"], "name": ["幸福里3栋", "阳光花园", "远郊站"],
                         "leader_id": ["T1", "T2", "T3"], "leader_name": ["王芳", "李娜", "赵六"],
                         "route_id": ["R1", "R1", "R9"], "arrives_after_min": [70, None, 30]},
                        schema_overrides={"arrives_after_min": pl.Int64})


def routes() -> pl.DataFrame:
    return pl.DataFrame({"route_id": ["R1"], "departs_at": [time(6, 30)], "contact_name": ["张师傅"],
                         "contact_phone": ["13800001111"]})


@pytest.mark.parametrize("calendar, day, clock, expected", [
    ("nightly", "2026-11-21", time(6, 30), datetime(2026, 11, 22, 6, 30)),
    ("nightly", "2026-11-21", time(21, 0), datetime(2026, 11, 21, 21, 0)),  # the same evening
    ("nightly", "2026-11-21", time(20, 0), datetime(2026, 11, 22, 20, 0)),  # strictly after the cutoff
    ("weekly", "2026-11-22", time(6, 30), datetime(2026, 11, 23, 6, 30)),   # Sunday 24:00 -> Monday morning
])
def test_a_route_leaves_at_its_first_departure_after_the_cutoff(calendar, day, clock, expected):
    window = window_for(calendar, datetime.fromisoformat(day).date())
    assert departure_after(window.end, clock, "Asia/Shanghai") == expected.replace(tzinfo=SHANGHAI)


def test_west_of_utc_a_route_leaving_later_the_same_evening_leaves_that_evening():
    """20:00 in Los Angeles is 04:00 UTC the next day: the day counts in the business time zone."""
    cutoff = datetime(2026, 11, 21, 20, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert departure_after(cutoff, time(21, 0), "America/Los_Angeles") == cutoff.replace(hour=21)


def times():
    return route_times(points(), routes(), CUTOFF, "Asia/Shanghai")


def test_arrival_is_departure_plus_the_stops_minutes():
    by_point = {r["pickup_point_id"]: r for r in times().iter_rows(named=True)}
    assert by_point["P1"]["arrives"] == datetime(2026, 11, 22, 7, 40, tzinfo=SHANGHAI)
    assert by_point["P2"]["arrives"] == datetime(2026, 11, 22, 6, 30, tzinfo=SHANGHAI)  # no offset: departure
    assert by_point["P3"]["departs"] is None  # R9 is not in routes.csv
    assert by_point["P1"]["contact_phone"] == "13800001111"


@pytest.mark.parametrize("now, goods_in, due", [
    ("2026-11-22 06:29", False, []),
    ("2026-11-22 06:30", False, ["P1", "P2"]),     # R1 has left; R9 has no departure time
    ("2026-11-22 05:00", True, ["P1", "P2", "P3"]),  # the goods-in run decided: everyone
])
def test_when_a_notice_is_due(now, goods_in, due):
    assert sorted(due_points(times(), goods_in, at(now))["pickup_point_id"]) == due


@pytest.mark.parametrize("now, goods_in, reason", [("2026-11-22 06:30", False, "departed"),
                                                   ("2026-11-22 05:00", True, "goods_in")])
def test_a_due_notice_says_why_it_is_due(now, goods_in, reason):
    assert due_points(times(), goods_in, at(now))["reason"].to_list() == [reason] * (3 if goods_in else 2)


def notices(shortages=None, budgets=None):
    rows = mooncake_orders().with_columns(
        pl.when(pl.col("order_id").is_in(["B", "D"])).then(pl.lit("P2")).otherwise(pl.lit("P1"))
        .alias("pickup_point_id"),
        pl.col("order_id").replace({"A": "张伟", "B": "李静", "C": "王磊", "D": "赵敏"}).alias("customer_name"),
        pl.col("order_id").replace({"A": "1234", "B": "5678", "C": "0420", "D": "8888"}).alias("phone_tail"))
    closed = close_listings(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS, stock_cap=mooncake.STOCK_CAP)),
                            products({}), window_for("nightly", CUTOFF.date()))
    short = shortages if shortages is not None else \
        pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    built = build_notices(closed.allocations, short, products({}), points(), times(), CUTOFF, "Asia/Shanghai",
                          budgets or {})
    return {n["pickup_point_id"]: n for n in built.iter_rows(named=True)}


def test_the_notice_of_a_point():
    p1 = notices()["P1"]
    assert p1["content"].splitlines() == [
        "【到货通知】幸福里3栋",
        "11月21日(周六) 截单的团购：今日订单共 3 件、2 位顾客，请准备提货。",
        "预计到达：11月22日(周日) 07:40（线路 R1 06:30 发车）",
        "商品：流心奶黄月礼盒 3 盒",
        "顾客：",
        "王磊(0420)：流心奶黄月礼盒 1 盒",
        "张伟(1234)：流心奶黄月礼盒 2 盒",
        "联系：张师傅 13800001111",
    ]
    assert (p1["units"], p1["customers"], p1["units_short"]) == (3, 2, 0)
    assert (p1["leader_id"], p1["leader_name"], p1["point_name"], p1["route_id"], p1["arrives_at"]) == (
        "T1", "王芳", "幸福里3栋", "R1", datetime(2026, 11, 22, 7, 40, tzinfo=SHANGHAI))
    p2 = notices()["P2"]["content"].splitlines()
    assert p2[2] == "线路 R1 发车：11月22日(周日) 06:30（到达时间以司机通知为准）"


def test_after_shortages_the_notice_hands_out_what_came():
    """The rulebook's goods-in example: 2 boxes short, taken from D (赵敏, at P2)."""
    short = pl.DataFrame({"order_id": ["D"], "line_no": [1], "units_short": [mooncake.SHORT_UNITS]})
    p2 = notices(short)["P2"]
    lines = p2["content"].splitlines()
    assert lines[1] == "11月21日(周六) 截单的团购：今日订单共 7 件、2 位顾客，请准备提货。"
    assert "缺货：流心奶黄月礼盒 少 2 盒（赵敏 8888），已退款" in lines
    assert "赵敏(8888)：流心奶黄月礼盒 2 盒" in lines
    assert (p2["units"], p2["units_short"]) == (7, 2)
    assert p2["content_hash"] != notices()["P2"]["content_hash"]
    assert notices(short)["P1"]["content_hash"] == notices()["P1"]["content_hash"]  # P1 did not change


def test_a_revision_is_marked():
    content = notices()["P1"]["content"]
    assert mark_revision(content, 1) == content
    revised = mark_revision(content, 2).splitlines()
    assert revised[0] == "【到货通知·修订版 2】幸福里3栋"
    assert revised[1] == "（更正：以本条为准，替代之前的到货通知）"
    assert revised[2:] == content.splitlines()[1:]


def test_a_long_notice_fits_the_bot():
    """企业微信 takes 2048 bytes: items, shortages and customers are cut short, each saying how many
    it leaves out; a revision still fits."""
    rows = pl.DataFrame({"order_id": [f"O{i}" for i in range(120)], "line_no": [1] * 120,
                         "pickup_point_id": ["P1"] * 120, "customer_id": [f"c{i}" for i in range(120)],
                         "customer_name": ["顾客甲"] * 120, "phone_tail": [f"{i:04d}" for i in range(120)],
                         "sku_id": [f"SKU{i % 60}" for i in range(120)], "qty_allocated": [2] * 120})
    catalogue = products(*[{"sku_id": f"SKU{i}", "name": f"新鲜水果礼盒{i}号"} for i in range(60)])
    short = pl.DataFrame({"order_id": [f"O{i}" for i in range(40)], "line_no": [1] * 40, "units_short": [1] * 40})
    notice = build_notices(rows, short, catalogue, points(), times(), CUTOFF, "Asia/Shanghai", {"P1": 2048}).row(
        0, named=True)
    text = notice["content"]
    assert len(mark_revision(text, 12).encode("utf-8")) <= 2048
    lines = text.splitlines()
    assert lines[3].startswith("商品：新鲜水果礼盒0号 3 盒；新鲜水果礼盒10号 3 盒；") and "……另有 " in lines[3]
    assert lines[4].startswith("缺货：") and "……另有 " in lines[4] and lines[4].endswith("，已退款")
    assert lines[-2].startswith("……另有 ") and lines[-2].endswith(" 位，完整名单见提货单")
    assert lines[-1] == "联系：张师傅 13800001111"
    # the items take up to half of the room the fixed lines leave, the shortages a quarter, the customers the rest
    assert lines[3].endswith("；新鲜水果礼盒32号 3 盒；……另有 34 种")
    assert lines[4].endswith("少 1 盒（顾客甲 0015）；……另有 33 处，已退款")
    assert lines[-2] == "……另有 112 位，完整名单见提货单"
    shown = sum(1 for line in lines if line.startswith("顾客甲("))
    assert int(lines[-2].removeprefix("……另有 ").split(" ")[0]) == 120 - shown
    assert (notice["units"], notice["units_short"], notice["customers"]) == (200, 40, 120)
    unlimited = build_notices(rows, short, catalogue, points(), times(), CUTOFF, "Asia/Shanghai", {}).row(0, named=True)
    assert sum(1 for line in unlimited["content"].splitlines() if line.startswith("顾客甲(")) == 120


def test_a_list_cut_at_its_byte_budget_says_how_many_it_leaves_out():
    """The items and shortages of a notice: as many as fit, then how many are left out; a list of
    exactly the budget is whole. 4 x 4 bytes joined by ';' is 19 bytes."""
    parts = ["aaaa", "bbbb", "cccc", "dddd"]
    assert _joined(parts, ";", 19, "+{n}") == "aaaa;bbbb;cccc;dddd"
    assert _joined(parts, ";", 18, "+{n}") == "aaaa;bbbb;cccc;+1"
    assert _joined(parts, ";", 13, "+{n}") == "aaaa;bbbb;+2"


@pytest.mark.parametrize("budget, kept", [(15, ["aaaa", "bbbb", "cccc"]), (14, ["aaaa", "bbbb", "+1"]),
                                          (13, ["aaaa", "bbbb", "+1"]), (12, ["aaaa", "+2"]), (8, ["aaaa", "+2"]),
                                          (7, ["+3"])])
def test_the_customers_that_fit_in_the_bytes_left_then_how_many_are_left_out(budget, kept):
    """A line takes its bytes and a newline. 3 lines of 4 bytes take 15 bytes; when they do not all
    fit, the line saying how many are left out ("+N" and a newline) must fit after those kept."""
    assert _fit(["aaaa", "bbbb", "cccc"], 0, budget, "+{n}") == kept


def test_an_item_without_a_unit_is_counted_in_portions():
    rows = pl.DataFrame({"order_id": ["O1"], "line_no": [1], "pickup_point_id": ["P1"], "customer_id": ["c1"],
                         "customer_name": ["张伟"], "phone_tail": ["1234"], "sku_id": ["SKU9"], "qty_allocated": [3]})
    catalogue = products({"sku_id": "SKU9", "name": "砂糖橘", "unit": None})
    no_shortage = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    content = build_notices(rows, no_shortage, catalogue, points(), times(), CUTOFF, "Asia/Shanghai", {}).row(
        0, named=True)["content"].splitlines()
    assert content[3] == "商品：砂糖橘 3 份" and content[5] == "张伟(1234)：砂糖橘 3 份"


def test_only_the_points_given_get_a_notice_and_a_customer_with_nothing_left_is_not_counted():
    short = pl.DataFrame({"order_id": ["B"], "line_no": [1], "units_short": [5]})  # B (李静, P2) gets nothing
    rows = mooncake_orders().with_columns(
        pl.when(pl.col("order_id").is_in(["B", "D"])).then(pl.lit("P2")).otherwise(pl.lit("P1"))
        .alias("pickup_point_id"))
    closed = close_listings(rows, listings(dict(listing_id="L1", stock_cap=mooncake.STOCK_CAP)), products({}),
                            window_for("nightly", CUTOFF.date()))
    due = times().filter(pl.col("pickup_point_id") == "P2")
    built = build_notices(closed.allocations, short, products({}), points(), due, CUTOFF, "Asia/Shanghai", {})
    assert built["pickup_point_id"].to_list() == ["P2"]
    p2 = built.row(0, named=True)
    assert (p2["units"], p2["customers"], p2["units_short"]) == (4, 1, 5)
    assert "今日订单共 4 件、1 位顾客" in p2["content"]
    assert "缺货：流心奶黄月礼盒 少 5 盒（顾客 1234），已退款" in p2["content"]


def test_without_routes_or_offsets_the_notice_says_so():
    bare = points().drop("arrives_after_min")
    timed = route_times(bare, routes().clear(), CUTOFF, "Asia/Shanghai")
    assert timed["departs"].null_count() == 3 and timed["arrives"].null_count() == 3
    assert due_points(timed, False, at("2026-11-23 06:00")).height == 0  # no departure: waits for the goods-in run
    closed = close_listings(mooncake_orders(), listings(dict(listing_id="L1")), products({}),
                            window_for("nightly", CUTOFF.date()))
    no_shortage = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    content = build_notices(closed.allocations, no_shortage, products({}), bare, timed, CUTOFF, "Asia/Shanghai",
                            {}).row(0, named=True)["content"]
    assert content.splitlines()[2] == "预计到达：到货时间另行通知"
    assert not content.splitlines()[-1].startswith("联系：")


def test_the_first_revision_is_the_notice_itself():
    assert mark_revision("【到货通知】幸福里3栋\n今日订单共 3 件", 0) == "【到货通知】幸福里3栋\n今日订单共 3 件"
    assert mark_revision("【到货通知】幸福里3栋\n今日订单共 3 件", 3).startswith("【到货通知·修订版 3】幸福里3栋\n")


def test_who_goes_without_and_who_collects_in_the_lists_order():
    """Shortages by item, then phone tail (none first), then name; customers by phone tail, name,
    then id; an item or a customer with nothing left to hand out is not listed."""
    rows = [  # order, customer, name, phone tail, sku, allocated, short
        ("O1", "c6", "赵敏", None, "A", 2, 1), ("O2", "c2", "李静", "1234", "A", 2, 2),
        ("O3", "c1", "张伟", "1234", "A", 2, 1), ("O4", "c9", "王磊", "0420", "A", 3, 0),
        ("O5", "c3", "王磊", "0420", "A", 1, 1), ("O6", "c5", None, "5555", "B", 3, 1),
        ("O7", "c7", "周杰", "0001", "C", 1, 0), ("O8", "c8", "吴昊", "0002", "D", 1, 1),
        ("O9", "c4", "王磊", "0420", "B", 1, 0), ("O10", "c0", "赵六", "1234", "A", 1, 0),
        ("O11", "c12", "陈晨", "0777", "A", 1, 0), ("O12", "c11", "陈晨", "0777", "B", 1, 0),
        ("O13", "c14", "林木", "0888", "A", 1, 0), ("O14", "c13", "林木", "0888", "B", 1, 0),
        ("O15", "c6", "赵敏", None, "B", 1, 0)]
    allocations = pl.DataFrame([dict(order_id=o, line_no=1, pickup_point_id="P1", customer_id=c, customer_name=n,
                                     phone_tail=t, sku_id=k, qty_allocated=q) for o, c, n, t, k, q, _ in rows],
                               schema_overrides={"line_no": pl.Int64, "qty_allocated": pl.Int64})
    short = pl.DataFrame({"order_id": [r[0] for r in rows if r[6]], "line_no": [1] * 6,
                          "units_short": [r[6] for r in rows if r[6]]})
    catalogue = products({"sku_id": "A", "name": "砂糖橘", "unit": "箱"}, {"sku_id": "B", "name": "苹果", "unit": "袋"},
                         {"sku_id": "C", "name": "香蕉", "unit": None}, {"sku_id": "D", "name": "葡萄", "unit": "串"})
    lines = build_notices(allocations, short, catalogue, points(), times(), CUTOFF, "Asia/Shanghai", {}).row(
        0, named=True)["content"].splitlines()
    assert lines[3:] == [
        "商品：砂糖橘 8 箱；苹果 6 袋；香蕉 1 份",
        "缺货：砂糖橘 少 1 箱（赵敏 ）；砂糖橘 少 1 箱（王磊 0420）；砂糖橘 少 1 箱（张伟 1234）；"
        "砂糖橘 少 2 箱（李静 1234）；苹果 少 1 袋（ 5555）；葡萄 少 1 串（吴昊 0002），已退款",
        "顾客：",
        "赵敏(----)：砂糖橘 1 箱、苹果 1 袋", "周杰(0001)：香蕉 1 份",
        "王磊(0420)：苹果 1 袋", "王磊(0420)：砂糖橘 3 箱",
        "陈晨(0777)：苹果 1 袋", "陈晨(0777)：砂糖橘 1 箱", "林木(0888)：苹果 1 袋", "林木(0888)：砂糖橘 1 箱",
        "张伟(1234)：砂糖橘 1 箱", "赵六(1234)：砂糖橘 1 箱", "顾客(5555)：苹果 2 袋",
        "联系：张师傅 13800001111"]


def test_a_notice_is_cut_only_when_it_and_a_revision_mark_would_not_fit():
    """Every customer is listed when all fit, even if the line saying how many are left out would
    not fit after the first one (it once took 3 bytes more than the last customer's line)."""
    whole = notices()["P1"]["content"]
    room = len(whole.encode()) + 1 + REVISION_BYTES   # its lines, each with a newline, and the largest mark
    assert notices(budgets={"P1": room})["P1"]["content"] == whole
    cut = notices(budgets={"P1": room - 1})["P1"]["content"].splitlines()
    assert cut[-3:] == ["顾客：", "……另有 2 位，完整名单见提货单", "联系：张师傅 13800001111"]


@pytest.mark.parametrize("name, phone, contact", [("张师傅", None, "联系：张师傅"),
                                                 (None, "13800001111", "联系：13800001111"), (None, None, None)])
def test_the_contact_is_the_routes_name_or_phone_or_both(name, phone, contact):
    timed = route_times(points(), routes().with_columns(pl.lit(name, pl.String).alias("contact_name"),
                                                        pl.lit(phone, pl.String).alias("contact_phone")),
                        CUTOFF, "Asia/Shanghai")
    closed = close_listings(mooncake_orders(), listings(dict(listing_id="L1")), products({}),
                            window_for("nightly", CUTOFF.date()))
    no_shortage = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    last = build_notices(closed.allocations, no_shortage, products({}), points(), timed, CUTOFF, "Asia/Shanghai",
                         {}).row(0, named=True)["content"].splitlines()[-1]
    assert last == contact if contact else not last.startswith("联系：")


def test_west_of_utc_the_notice_names_the_cutoffs_local_day():
    """20:00 in Los Angeles on Saturday 21 is Sunday 04:00 UTC: the notice says Saturday."""
    zone = "America/Los_Angeles"
    window = window_for("nightly", CUTOFF.date(), zone)
    closed = close_listings(mooncake_orders(), listings(dict(listing_id="L1")), products({}), window)
    no_shortage = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    content = build_notices(closed.allocations, no_shortage, products({}), points(),
                            route_times(points(), routes(), window.end, zone), window.end, zone, {}).row(
        0, named=True)["content"]
    assert content.splitlines()[1].startswith("11月21日(周六) 截单的团购")


def test_an_item_not_in_the_products_is_named_by_its_sku_and_a_point_given_nothing_says_so():
    rows = pl.DataFrame({"order_id": ["O1", "O2"], "line_no": [1, 1], "pickup_point_id": ["P1", "P2"],
                         "customer_id": ["c1", "c2"], "customer_name": ["张伟", "李静"], "phone_tail": ["1234", "5678"],
                         "sku_id": ["SKU404", "SKU404"], "qty_allocated": [2, 1]})
    short = pl.DataFrame({"order_id": ["O2"], "line_no": [1], "units_short": [1]})
    built = build_notices(rows, short, products({}), points(), times(), CUTOFF, "Asia/Shanghai", {})
    p1, p2 = (row["content"].splitlines() for row in built.iter_rows(named=True))
    assert p1[3] == "商品：SKU404 2 份" and p1[5] == "张伟(1234)：SKU404 2 份"
    assert p2[3:6] == ["商品：无", "缺货：SKU404 少 1 份（李静 5678），已退款", "顾客："]


def test_no_point_due_gives_no_notice_but_the_columns():
    closed = close_listings(mooncake_orders(), listings(dict(listing_id="L1")), products({}),
                            window_for("nightly", CUTOFF.date()))
    built = build_notices(closed.allocations,
                          pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64}),
                          products({}), points(), times().clear(), CUTOFF, "Asia/Shanghai", {})
    assert built.height == 0 and built.columns == NOTICE_COLUMNS


@pytest.mark.parametrize("calendar, day, zone, text", [
    ("weekly", date(2026, 11, 22), "Asia/Shanghai", "11月22日(周日) 24:00"),   # Sunday 24:00, not Monday
    ("nightly", date(2026, 11, 21), "Asia/Shanghai", "11月21日(周六)"),
    ("weekly", date(2026, 11, 22), "America/Los_Angeles", "11月22日(周日) 24:00"),
])
def test_the_notice_names_the_cutoff_day_as_leaders_say_it(calendar, day, zone, text):
    assert cutoff_day_text(window_for(calendar, day, zone).end, zone) == text
