"""The leaders' progress messages (成团进度): what a leader pastes into their group."""

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from tests import mooncake
from tests.builders import at, listings, orders, products
from tests.transforms.test_progress import progress
from transforms.leader_messages import (
    MESSAGE_COLUMNS,
    build_messages,
    content_hash,
    fit_lines,
    local_day_time,
    yuan_short,
)

CUTOFF = datetime(2026, 11, 21, 20, 0, tzinfo=timezone(timedelta(hours=8)))
def points() -> pl.DataFrame:
    return pl.DataFrame({"pickup_point_id": ["P1", "P2"], "name": ["幸福里3栋", "阳光花园"], "leader_id": ["T1", "T2"],
                         "leader_name": ["王芳", "李娜"]})
PRODUCTS = ({}, {"sku_id": "SKU2", "name": "砂糖橘", "unit": "箱", "case_pack": 6, "case_rounding": "down"})


def messages(order_rows, listing_rows, as_of="2026-11-21 15:00", budgets=None) -> dict[str, dict]:
    rows = progress(order_rows, listing_rows, PRODUCTS)
    built = build_messages(rows, listing_rows, products(*PRODUCTS), points(), budgets or {}, CUTOFF, at(as_of),
                           "Asia/Shanghai")
    return {m["pickup_point_id"]: m for m in built.iter_rows(named=True)}


def mooncake_day():
    """Min 10 boxes and tiers 3:328|10:308: 8 boxes from 7 customers; 砂糖橘 in cases of 6, 8 sold."""
    rows = [dict(order_id=f"O{i}", customer_id=f"c{i}", qty=2 if i == 0 else 1, created_at=f"2026-11-21 10:0{i}",
                 pickup_point_id="P1" if i < 5 else "P2") for i in range(7)]
    rows.append(dict(order_id="S", customer_id="c9", qty=8, created_at="2026-11-21 11:00", listing_id="L2",
                     unit_price_fen=2990))
    listing_rows = listings(dict(listing_id="L1", tiers=mooncake.TIERS, min_qty=10),
                            dict(listing_id="L2", sku_id="SKU2", unit_price_fen=2990, stock_cap=10))
    return orders(*rows), listing_rows


def test_the_issues_message():
    by_point = messages(*mooncake_day())
    text = by_point["P1"]["text"]
    assert text.splitlines() == [
        "【成团进度】幸福里3栋",
        "截单时间：11月21日(周六) 20:00",
        "1. 流心奶黄月礼盒：本小区已售 6 份；全团已售 8 件，还差 2 件成团；再 3 人享 ¥308",
        "2. 砂糖橘：本小区已售 8 份；已成团，¥29.90；再 4 件凑满整箱；仅剩 2 份",
        "（截至 15:00）",
        "邀请邻居一起下单，早成团、享低价！",
    ]
    assert by_point["P2"]["text"].splitlines()[2] == \
        "1. 流心奶黄月礼盒：本小区已售 2 份；全团已售 8 件，还差 2 件成团；再 3 人享 ¥308"
    assert (by_point["P1"]["leader_id"], by_point["P1"]["listings"]) == ("T1", 2)


def test_a_group_short_of_people_says_its_price():
    rows = orders(dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 10:00"))
    line = messages(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS)))["P1"]["text"].splitlines()[2]
    assert line == "1. 流心奶黄月礼盒：本小区已售 2 份；全团已售 2 件，还差 2 人成团，成团价 ¥328"


def test_a_pickup_point_group_speaks_of_the_point_alone():
    rows = orders(dict(order_id="A", customer_id="a", qty=1, created_at="2026-11-21 10:00"))
    line = messages(rows, listings(dict(listing_id="L1", group_scope="pickup_point", min_qty=3)))["P1"]["text"]
    assert "1. 流心奶黄月礼盒：本小区已售 1 份；还差 2 件成团" in line and "全团" not in line


def test_sold_out():
    rows = orders(dict(order_id="A", customer_id="a", qty=5, created_at="2026-11-21 10:00"))
    text = messages(rows, listings(dict(listing_id="L1", stock_cap=5)))["P1"]["text"]
    assert "1. 流心奶黄月礼盒：本小区已售 5 份；已成团，¥328；已售罄" in text


def test_the_content_leaves_out_the_instant():
    """The same figures an hour later: the same content (nothing goes out again); new figures: a new one."""
    rows, listing_rows = mooncake_day()
    at_three, at_four = messages(rows, listing_rows, "2026-11-21 15:00"), messages(rows, listing_rows,
                                                                                     "2026-11-21 16:00")
    assert at_three["P1"]["text"] != at_four["P1"]["text"]
    assert at_three["P1"]["content_hash"] == at_four["P1"]["content_hash"] == content_hash(at_three["P1"]["content"])
    assert "15:00" not in at_three["P1"]["content"]
    more = pl.concat([rows, orders(dict(order_id="X", customer_id="cx", qty=1, created_at="2026-11-21 15:30"))],
                     how="diagonal_relaxed")
    assert messages(more, listing_rows, "2026-11-21 16:00")["P1"]["content_hash"] != at_three["P1"]["content_hash"]


def test_a_message_fits_its_bots_limit():
    """企业微信 takes 2048 bytes: what does not fit is summed up, at-risk listings kept first."""
    many = [dict(listing_id=f"L{i:02d}", min_qty=50 if i < 3 else 1) for i in range(40)]
    rows = orders(*[dict(order_id=f"O{i}", customer_id="a", qty=1, created_at="2026-11-21 10:00",
                         listing_id=f"L{i:02d}") for i in range(40)])
    text = messages(rows, listings(*many), budgets={"P1": 2048})["P1"]["text"]
    assert len(text.encode("utf-8")) <= 2048
    lines = text.splitlines()
    assert all("还差 49 件成团" in line for line in lines[2:5])  # the three at risk first
    assert lines[-3].startswith("……另有 ") and lines[-3].endswith(" 个商品")
    shown = len([line for line in lines if line[:1].isdigit()])
    assert int(lines[-3].removeprefix("……另有 ").removesuffix(" 个商品")) == 40 - shown
    assert len(messages(rows, listings(*many))["P1"]["text"].splitlines()) == 40 + 4  # a file: every listing


@pytest.mark.parametrize("fen, text", [(30800, "¥308"), (2990, "¥29.90"), (5, "¥0.05"), (100, "¥1")])
def test_prices_as_a_leader_writes_them(fen, text):
    assert pl.select(yuan_short(pl.lit(fen))).item() == text


def test_fit_lines_counts_what_is_left_out():
    kept, left = fit_lines(["甲" * 10] * 5, "", "", budget=2 * (len(b"1. ") + 31) + 30)
    assert len(kept) == 2 and left == 3
    assert fit_lines(["a", "b"], "", "", None) == (["1. a", "2. b"], 0)


def test_every_listing_that_fits_is_shown_even_when_the_summing_up_line_would_not_fit():
    """A long line and a short one, 39 bytes with their newlines: both fit in 39, though the first
    with "\\n……另有 2 个商品" (25 bytes) after it would not; in 38 neither is shown."""
    lines = ["甲" * 10, "x"]           # "1. " + 30 bytes, "2. x"
    assert fit_lines(lines, "", "", 39) == (["1. " + "甲" * 10, "2. x"], 0)
    assert fit_lines(lines, "", "", 38) == ([], 2)
    assert fit_lines(lines, "head", "tail", 47) == (["1. " + "甲" * 10, "2. x"], 0)
    assert fit_lines(lines, "head", "tail", 46) == ([], 2)
    assert fit_lines(["甲" * 10, "乙" * 10, "x"], "", "", 59) == (["1. " + "甲" * 10], 2)  # 34 + 25
    assert fit_lines(["甲" * 10, "乙" * 10, "x"], "", "", 58) == ([], 3)
    four = ["a" * 27] * 4    # 30 bytes numbered, 31 with the newline
    assert fit_lines(four, "", "", 31 + 31 + 25) == (["1. " + "a" * 27, "2. " + "a" * 27], 2)
    assert fit_lines(four, "", "", 31 + 31 + 24) == (["1. " + "a" * 27], 3)


def test_local_day_time():
    assert local_day_time(CUTOFF.astimezone(timezone.utc), "Asia/Shanghai") == "11月21日(周六) 20:00"


def test_a_point_lists_its_listings_at_risk_first_then_closest_to_the_next_tier():
    rows = orders(*[dict(order_id=f"{listing}{n}", customer_id=f"c{listing}{n}", qty=1, listing_id=listing,
                         created_at="2026-11-21 10:00") for listing, count in
                    (("L1", 1), ("L2", 3), ("L3", 1), ("L4", 2), ("L5", 9), ("L6", 2)) for n in range(count)])
    listing_rows = listings(dict(listing_id="L1"), dict(listing_id="L2", min_qty=4), dict(listing_id="L3", min_qty=4),
                            dict(listing_id="L4", tiers=mooncake.TIERS), dict(listing_id="L5", tiers=mooncake.TIERS),
                            dict(listing_id="L6"))
    lines = messages(rows, listing_rows)["P1"]["text"].splitlines()[2:8]
    assert [line.split("：")[1].split("；")[1] for line in lines] == [
        "全团已售 3 件，还差 1 件成团",                  # L2: 3 of 4
        "全团已售 2 件，还差 1 人成团，成团价 ¥328",     # L4: 2 of 3 people, fewer missing than L3
        "全团已售 1 件，还差 3 件成团",                  # L3: 1 of 4
        "已成团，¥328",                                   # L5: formed, 1 more person to ¥308
        "已成团，¥328",                                   # L1, L6: formed, no tier: by listing
        "已成团，¥328"]
    assert lines[3].endswith("再 1 人享 ¥308")
    assert [line.split(". ")[0] for line in lines] == ["1", "2", "3", "4", "5", "6"]


def test_both_units_and_people_missing_and_stock_at_the_edge():
    rows = orders(*[dict(order_id=f"O{n}", customer_id="a", qty=1, created_at="2026-11-21 10:00") for n in range(2)])
    text = messages(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS, min_qty=5, stock_cap=22)))["P1"]["text"]
    assert "本小区已售 2 份；全团已售 2 件，还差 3 件、2 人成团，成团价 ¥328；仅剩 20 份" in text
    wider = messages(rows, listings(dict(listing_id="L1", stock_cap=23)))["P1"]["text"]
    assert "仅剩" not in wider  # 21 left: plenty


def test_a_case_to_fill_only_once_the_group_forms():
    rows = orders(dict(order_id="S", customer_id="c", qty=2, created_at="2026-11-21 10:00", listing_id="L2"))
    not_yet = messages(rows, listings(dict(listing_id="L2", sku_id="SKU2", min_qty=3)))["P1"]["text"]
    assert "凑满整箱" not in not_yet and "还差 1 件成团" in not_yet
    formed = messages(rows, listings(dict(listing_id="L2", sku_id="SKU2")))["P1"]["text"]
    assert "砂糖橘：本小区已售 2 份；已成团，¥328；再 4 件凑满整箱" in formed


def test_a_case_to_fill_shows_on_the_formed_groups_and_not_when_the_cases_are_full():
    def rows(*qtys):   # (point, qty) of the orders of 砂糖橘 (cases of 6, rounded down)
        return orders(*[dict(order_id=f"S{i}", customer_id=f"c{i}", qty=q, created_at="2026-11-21 10:00",
                             listing_id="L2", pickup_point_id=p) for i, (p, q) in enumerate(qtys)])
    per_point = listings(dict(listing_id="L2", sku_id="SKU2", group_scope="pickup_point", min_qty=3))
    sent = messages(rows(("P1", 4), ("P2", 1)), per_point)   # P1 forms with 4: 2 more fill a case; P2 does not
    assert "已成团，¥328；再 2 件凑满整箱" in sent["P1"]["text"] and "凑满整箱" not in sent["P2"]["text"]
    one_more = messages(rows(("P1", 5)), listings(dict(listing_id="L2", sku_id="SKU2")))["P1"]["text"]
    assert "已成团，¥328；再 1 件凑满整箱" in one_more
    full = messages(rows(("P1", 6)), listings(dict(listing_id="L2", sku_id="SKU2")))["P1"]["text"]
    assert "砂糖橘：本小区已售 6 份；已成团，¥328\n" in full


def test_a_stock_pool_with_less_left_than_the_listings_cap_is_what_is_left():
    listing_rows = listings(dict(listing_id="L1", stock_cap=100))
    rows = progress(orders(dict(order_id="A", customer_id="a", qty=1, created_at="2026-11-21 10:00")), listing_rows,
                    PRODUCTS).with_columns(pl.lit(3, pl.Int64).alias("pool_left"))
    built = build_messages(rows, listing_rows, products(*PRODUCTS), points(), {}, CUTOFF, at("2026-11-21 15:00"),
                           "Asia/Shanghai")
    assert built["text"][0].splitlines()[2].endswith("；仅剩 3 份")


def test_a_listing_whose_product_has_no_row_is_named_by_its_listing_id():
    listing_rows = listings(dict(listing_id="L1"))
    rows = progress(orders(dict(order_id="A", customer_id="a", qty=1, created_at="2026-11-21 10:00")), listing_rows,
                    PRODUCTS)
    built = build_messages(rows, listing_rows, products(*PRODUCTS).filter(pl.col("sku_id") == "SKU2"), points(), {},
                           CUTOFF, at("2026-11-21 15:00"), "Asia/Shanghai")
    assert built["text"][0].splitlines()[2].startswith("1. L1：本小区已售 1 份；")


def test_formed_groups_closest_to_their_next_tier_first_then_by_listing():
    counts = (("F3", 1), ("F1", 3), ("F0", 2), ("F2", 3))
    rows = orders(*[dict(order_id=f"{listing}{n}", customer_id=f"c{listing}{n}", qty=1, listing_id=listing,
                         created_at="2026-11-21 10:00") for listing, count in counts for n in range(count)])
    listing_rows = listings(dict(listing_id="F3"), dict(listing_id="F1", tiers="2:32800|9:30800"),
                            dict(listing_id="F0"), dict(listing_id="F2", tiers="2:32800|4:30800"))
    lines = messages(rows, listing_rows)["P1"]["text"].splitlines()[2:6]
    assert [line.split("：", 1)[1] for line in lines] == [
        "本小区已售 3 份；已成团，¥328；再 1 人享 ¥308",     # F2
        "本小区已售 3 份；已成团，¥328；再 6 人享 ¥308",     # F1
        "本小区已售 2 份；已成团，¥328",                      # F0, no tier
        "本小区已售 1 份；已成团，¥328"]                      # F3, no tier


def test_the_messages_come_by_pickup_point():
    rows = orders(*[dict(order_id=f"O{p}", customer_id=f"c{p}", qty=1, created_at="2026-11-21 10:00",
                         pickup_point_id=f"P{p}") for p in (4, 2, 6, 1, 5, 3)])
    built = build_messages(progress(rows, listings(dict(listing_id="L1")), PRODUCTS), listings(dict(listing_id="L1")),
                           products(*PRODUCTS), points(), {}, CUTOFF, at("2026-11-21 15:00"), "Asia/Shanghai")
    assert built["pickup_point_id"].to_list() == ["P1", "P2", "P3", "P4", "P5", "P6"]


def test_a_message_of_exactly_the_bots_limit_is_whole_and_one_byte_less_is_summed_up():
    rows, listing_rows = mooncake_day()
    text = messages(rows, listing_rows)["P1"]["text"]
    size = len(text.encode())
    assert messages(rows, listing_rows, budgets={"P1": size})["P1"]["text"] == text
    cut = messages(rows, listing_rows, budgets={"P1": size - 1})["P1"]["text"]
    assert "……另有 " in cut and len(cut.encode()) <= size - 1


def test_a_message_names_its_point_and_leader_and_no_orders_gives_no_message_but_the_columns():
    rows, listing_rows = mooncake_day()
    p2 = messages(rows, listing_rows)["P2"]
    assert (p2["leader_id"], p2["leader_name"], p2["point_name"], p2["listings"]) == ("T2", "李娜", "阳光花园", 1)
    none = build_messages(progress(rows.clear(), listing_rows, PRODUCTS), listing_rows, products(*PRODUCTS), points(),
                          {}, CUTOFF, at("2026-11-21 15:00"), "Asia/Shanghai")
    assert none.height == 0 and none.columns == MESSAGE_COLUMNS


def test_a_point_not_in_the_master_data_keeps_its_id():
    rows = orders(dict(order_id="A", customer_id="a", qty=1, created_at="2026-11-21 10:00", pickup_point_id="P9"))
    message = messages(rows, listings(dict(listing_id="L1")))["P9"]
    assert message["text"].startswith("【成团进度】P9\n") and message["leader_id"] is None
