"""The notice before the goods arrive (到货通知): when it is due, what it says after shortages."""

from datetime import datetime, time, timedelta, timezone

import polars as pl
import pytest

from tests import mooncake
from tests.builders import at, listings, mooncake_orders, products
from tests.transforms.test_leader_messages import CUTOFF
from transforms.close import close_listings
from transforms.notice import build_notices, departure_after, due_points, mark_revision, route_times
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
    shown = sum(1 for line in lines if line.startswith("顾客甲("))
    assert int(lines[-2].removeprefix("……另有 ").split(" ")[0]) == 120 - shown
    assert (notice["units"], notice["units_short"], notice["customers"]) == (200, 40, 120)
    unlimited = build_notices(rows, short, catalogue, points(), times(), CUTOFF, "Asia/Shanghai", {}).row(0, named=True)
    assert sum(1 for line in unlimited["content"].splitlines() if line.startswith("顾客甲(")) == 120


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
