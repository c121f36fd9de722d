"""The rulebook's "Presale deposits, the presale buyers' group and one stock pool": its worked
example number by number with the pure rules, then each rule at its edges."""

from datetime import date, time

import polars as pl
import pytest

from tests import presale_story as story
from tests.builders import at, listings, orders, products
from transforms.close import SaleContext, close_listings
from transforms.pools import pool_budgets, pool_turns
from transforms.presale import audience_members
from transforms.windows import window_for

TZ = "Asia/Shanghai"


def pools() -> pl.DataFrame:
    """Built in a function, not at import: mutmut's fork server must not start polars' pool early."""
    return pl.DataFrame({"pool_id": [story.POOL], "sku_id": [story.SKU], "units": [story.POOL_UNITS]})


def typed(listing: dict) -> dict:
    """A story listing with its local times as instants."""
    return {key: at(value) if key in ("opens_at", "closes_at", "deposit_closes_at") else value
            for key, value in listing.items()}


def story_listings() -> pl.DataFrame:
    return listings(*(typed(row) for row in (story.GRP, story.PRE, story.EXC)))


def story_orders() -> pl.DataFrame:
    rows = [dict(order_id=o, customer_id=c, qty=q, created_at=t, status=s, listing_id=listing,
                 unit_price_fen=price)
            for listing, price, lines in (("GRP", 32800, story.GRP_ORDERS), ("PRE", 29800, story.PRE_ORDERS),
                                          ("EXC", 28800, story.EXC_ORDERS))
            for o, c, q, t, s in lines]
    return orders(*rows)


def run_turn(calendar: str, day: str, taken: dict[str, int], order_rows: pl.DataFrame | None = None):
    """One run of the story with the pure rules: its pools planned from the listings' turns and what
    the earlier turns took (`taken`: listing -> units allocated by its run)."""
    from transforms.pools import plan_pools
    window = window_for(calendar, date.fromisoformat(day), TZ)
    all_listings = story_listings()
    plan = plan_pools(pool_turns(all_listings, TZ, time(20)), window)
    taken_frame = pl.DataFrame({"listing_id": list(taken), "units_allocated": list(taken.values())},
                               schema={"listing_id": pl.String, "units_allocated": pl.Int64})
    budgets = pool_budgets(plan, pools(), taken_frame)
    lines = story_orders() if order_rows is None else order_rows
    own = lines.join(all_listings.filter(pl.col("calendar") == calendar).select("listing_id"), on="listing_id")
    context = SaleContext(audience=audience_members(lines), pools=budgets)
    return budgets, close_listings(own, all_listings, products({}), window, context)


def by_order(closed) -> dict:
    return {row["order_id"]: row for row in closed.allocations.iter_rows(named=True)}


def test_worked_example_turn_1_the_group_buy():
    budgets, closed = run_turn("nightly", story.GRP_DATE, {})
    assert budgets.row(0, named=True) == {"pool_id": "MOON", "sku_id": "SKU1", "units": 40, "taken_before": 0,
                                          "held_later": 6, "held_now": 0, "shared_left": story.GRP_SHARED_LEFT}
    lines = by_order(closed)
    assert {k: v["qty_allocated"] for k, v in lines.items()} == {"g1": 5, "g2": 5, "g3": 5, "g4": 5, "g5": 4, "g6": 3}
    assert closed.allocations["qty_allocated"].sum() == story.GRP_ALLOCATED
    group = closed.groups.row(0, named=True)
    assert (group["participants"], group["is_formed"], group["tier_price_fen"]) == (6, True, 32800)
    assert closed.allocations["cut_reason"].null_count() == 6


def test_worked_example_turn_2_the_presale():
    budgets, closed = run_turn("weekly", story.PRE_DATE, {"GRP": story.GRP_ALLOCATED})
    assert budgets.row(0, named=True)["shared_left"] == story.PRE_SHARED_LEFT == 7
    lines = by_order(closed)
    assert {k: v["qty_allocated"] for k, v in lines.items()} == {"r1": 2, "r2": 0, "r3": 4, "r4": 1}
    p2 = lines["r2"]
    assert (p2["cut_reason"], p2["forfeit_fen"], p2["refund_fen"], p2["net_fen"], p2["paid_fen"]) == \
        ("balance_unpaid", 15000, 0, 0, 15000)
    frame = closed.allocations
    assert frame["paid_fen"].to_list() == [59600, 15000, 119200, 29800]
    assert frame["paid_fen"].sum() == story.PRE_PAID_FEN == 223600
    assert frame["net_fen"].sum() == story.PRE_NET_FEN == 208600
    assert frame["refund_fen"].sum() == 0 and frame["forfeit_fen"].sum() == story.PRE_FORFEIT_FEN
    assert frame["qty_allocated"].sum() == story.PRE_ALLOCATED
    group = closed.groups.row(0, named=True)
    assert (group["units"], group["participants"]) == (7, 3)  # p2 is no participant


def test_worked_example_turn_3_the_buyers_group():
    budgets, closed = run_turn("nightly", story.EXC_DATE, {"GRP": 27, "PRE": 7})
    assert budgets.row(0, named=True)["shared_left"] == story.EXC_SHARED_LEFT == 6
    lines = by_order(closed)
    assert {k: v["qty_allocated"] for k, v in lines.items()} == story.EXC_ALLOCATED
    assert {k: v["refund_fen"] for k, v in lines.items() if v["refund_fen"]} == story.EXC_REFUNDS
    assert {k: v["cut_reason"] for k, v in lines.items() if v["cut_reason"]} == story.EXC_REASONS
    assert 27 + 7 + closed.allocations["qty_allocated"].sum() == story.POOL_UNITS  # sold out, never oversold


def test_runs_in_any_order_decide_the_same():
    """Turn order, not run order: turn 3 computed first (with the earlier turns' figures) gives what
    it gives last."""
    _, late = run_turn("nightly", story.EXC_DATE, {"GRP": 27, "PRE": 7})
    _, early = run_turn("nightly", story.EXC_DATE, {"PRE": 7, "GRP": 27})
    assert late.allocations.equals(early.allocations)


def test_reserve_is_taken_first_then_shared():
    """PRE's lines take its reserve of 6 first: with no shared units left, 6 still go out."""
    budgets, closed = run_turn("weekly", story.PRE_DATE, {"GRP": 34})
    assert budgets["shared_left"].to_list() == [0]
    assert {k: v["qty_allocated"] for k, v in by_order(closed).items()} == {"r1": 2, "r2": 0, "r3": 4, "r4": 0}
    assert by_order(closed)["r4"]["cut_reason"] == "out_of_stock"


@pytest.mark.parametrize(("status", "created", "reason", "refund", "forfeit"), [
    ("deposit_paid", "2026-11-17 10:00", "balance_unpaid", 0, 2 * 5000),
    ("deposit_paid", "2026-11-21 10:00", "after_close", 2 * 5000, 0),   # after deposit_closes_at: deposit back
    ("paid", "2026-11-21 10:00", "after_close", 2 * 29800, 0),          # paid in full, refunded in full
    ("paid", "2026-11-20 20:00", None, 0, 0),                           # at deposit_closes_at exactly: in time
])
def test_deposit_presale_line(status, created, reason, refund, forfeit):
    rows = orders(dict(order_id="r1", customer_id="p1", qty=2, created_at=created, status=status, listing_id="PRE",
                       unit_price_fen=29800))
    _, closed = run_turn("weekly", story.PRE_DATE, {"GRP": 0}, rows)
    line = closed.allocations.row(0, named=True)
    assert (line["cut_reason"], line["refund_fen"], line["forfeit_fen"]) == (reason, refund, forfeit)
    assert line["paid_fen"] == line["net_fen"] + line["refund_fen"] + line["forfeit_fen"]


def test_audience_counts_deposit_paid_and_ignores_cancelled_lines():
    rows = pl.concat([story_orders().filter(pl.col("listing_id") != "EXC"), orders(
        dict(order_id="z1", customer_id="p9", qty=1, created_at="2026-11-17 11:00", status="cancelled",
             listing_id="PRE", unit_price_fen=29800),
        dict(order_id="e8", customer_id="p9", qty=1, created_at="2026-11-23 10:00", listing_id="EXC",
             unit_price_fen=28800),
        dict(order_id="e9", customer_id="p2", qty=1, created_at="2026-11-23 10:01", listing_id="EXC",
             unit_price_fen=28800))], how="vertical_relaxed")
    _, closed = run_turn("nightly", story.EXC_DATE, {"GRP": 27, "PRE": 7}, rows)
    lines = by_order(closed)
    assert lines["e8"]["cut_reason"] == "not_in_audience" and lines["e8"]["refund_fen"] == 28800
    assert lines["e9"]["cut_reason"] is None and lines["e9"]["qty_allocated"] == 1


def test_after_close_comes_before_the_audience_check():
    rows = orders(dict(order_id="e2", customer_id="x9", qty=1, created_at="2026-11-23 20:05", listing_id="EXC",
                       unit_price_fen=28800))
    _, closed = run_turn("nightly", story.EXC_DATE, {"GRP": 27, "PRE": 7}, rows)
    assert closed.allocations["cut_reason"].to_list() == ["after_close"]


def test_lines_cut_before_the_stock_reach_no_group():
    """A presale whose every buyer left the balance unpaid has no group at all (no group_not_formed)."""
    rows = orders(*(dict(order_id=f"r{n}", customer_id=f"p{n}", qty=1, created_at=f"2026-11-17 10:0{n}",
                         status="deposit_paid", listing_id="PRE", unit_price_fen=29800) for n in range(3)))
    _, closed = run_turn("weekly", story.PRE_DATE, {"GRP": 0}, rows)
    assert closed.groups.height == 0
    assert closed.allocations["forfeit_fen"].sum() == 3 * 5000


def test_deposit_paid_line_of_a_listing_without_deposit_is_not_processed():
    rows = orders(dict(order_id="g9", customer_id="c9", qty=1, created_at="2026-11-19 10:00", status="deposit_paid",
                       listing_id="GRP"))
    _, closed = run_turn("nightly", story.GRP_DATE, {}, rows)
    assert closed.allocations.height == 0


def test_the_audience_of_a_listing_is_its_paying_customers_once_each():
    one = orders(dict(order_id="r1", customer_id="p1", qty=1, created_at="2026-11-17 10:00", listing_id="PRE"))
    assert audience_members(one).rows() == [("PRE", "p1")]
    rows = orders(*(dict(order_id=o, customer_id=c, qty=1, created_at="2026-11-17 10:00", status=s, listing_id=li)
                    for o, c, s, li in (("a", "p3", "paid", "PRE"), ("b", "p1", "deposit_paid", "PRE"),
                                        ("c", "p3", "paid", "PRE"), ("d", "p2", "cancelled", "PRE"),
                                        ("e", "p4", "refunded", "PRE"), ("f", "p1", "paid", "GRP"))))
    assert audience_members(rows).rows() == [("GRP", "p1"), ("PRE", "p1"), ("PRE", "p3")]
    none = audience_members(rows.clear())
    assert none.height == 0 and none.schema == {"audience_listing_id": pl.String, "customer_id": pl.String}


def test_a_listing_without_the_presale_fields_is_no_presale():
    rows = orders(dict(order_id="o1", customer_id="c1", qty=2, created_at="2026-11-21 10:00"))
    plain = listings(dict(listing_id="L1"))
    assert not {"deposit_fen", "pool_id", "pool_reserve"} & set(plain.columns)
    closed = close_listings(rows, plain, products({}), window_for("nightly", date(2026, 11, 21), TZ))
    presale = closed.closing.select("deposit_fen", "deposit_closes_at", "audience_listing_id", "pool_id",
                                    "pool_reserve")
    assert presale.rows() == [(None, None, None, None, 0)]
    assert presale.schema == {"deposit_fen": pl.Int64, "deposit_closes_at": pl.Datetime("us", "UTC"),
                              "audience_listing_id": pl.String, "pool_id": pl.String, "pool_reserve": pl.Int64}
    line = closed.allocations.row(0, named=True)
    assert (line["qty_allocated"], line["paid_fen"], line["forfeit_fen"], line["refund_fen"]) == (2, 2 * 32800, 0, 0)


def test_a_deposit_of_one_fen_is_a_deposit_presale():
    """The smallest deposit (0.01 yuan), on a listing of its own (no pool, no stock cap): the line
    whose balance is unpaid gets nothing and forfeits its deposit; the paid line gets its units."""
    rows = orders(dict(order_id="d1", customer_id="c1", qty=3, created_at="2026-11-21 10:00", status="deposit_paid"),
                  dict(order_id="d2", customer_id="c2", qty=2, created_at="2026-11-21 10:01"))
    deposit = listings(dict(listing_id="L1", deposit_fen=1))
    closed = close_listings(rows, deposit, products({}), window_for("nightly", date(2026, 11, 21), TZ))
    assert closed.allocations.select("order_id", "qty_allocated", "cut_reason", "paid_fen", "net_fen", "refund_fen",
                                     "forfeit_fen").rows() == [
        ("d1", 0, "balance_unpaid", 3, 0, 0, 3), ("d2", 2, None, 2 * 32800, 2 * 32800, 0, 0)]
