"""Progress over the day (transforms/progress.py): the figures of the rulebook's examples at instants
of their day, and, for any orders, the very figures the cutoff then decides."""

from datetime import date, datetime, time, timedelta, timezone

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import mooncake
from tests.builders import NIGHTLY, at, listings, mooncake_orders, orders, products
from transforms.close import close_listings
from transforms.progress import (
    PROGRESS_COLUMNS,
    as_if_every_group_forms,
    at_risk_first,
    coming_cutoff_date,
    progress_rows,
    versions_as_of,
)

MOONCAKE = dict(listing_id="L1", tiers=mooncake.TIERS, stock_cap=mooncake.STOCK_CAP)


def progress(order_rows, listing_rows, product_rows=({},), as_of=None) -> pl.DataFrame:
    product_frame = products(*product_rows)
    lines = order_rows.with_row_index("ingest_seq").with_columns(pl.col("ingest_seq").cast(pl.Int64))
    if as_of is not None:
        lines = versions_as_of(lines, at(as_of))
    closed = close_listings(lines, listing_rows, product_frame, NIGHTLY)
    held = close_listings(lines, *as_if_every_group_forms(listing_rows, product_frame), NIGHTLY)
    return progress_rows(closed, held, product_frame)


def row(rows: pl.DataFrame, listing="L1", point=None) -> dict:
    match = rows.filter((pl.col("listing_id") == listing) & pl.col("pickup_point_id").eq_missing(point))
    assert match.height == 1, match
    return match.row(0, named=True)


def test_every_row_has_every_key():
    rows = progress(mooncake_orders(), listings(MOONCAKE))
    assert rows.columns == PROGRESS_COLUMNS
    assert rows.height == 2  # the listing, and its one pickup point with orders


@pytest.mark.parametrize("as_of, units, people, forms, missing_people, price, next_price, to_next, stock", [
    ("2026-11-21 08:59", 0, 0, False, 3, None, 32800, 3, 12),    # nothing ordered yet
    ("2026-11-21 09:01:30", 7, 2, False, 1, None, 32800, 1, 5),  # A 2, B 5: one more person forms it at 328
    ("2026-11-21 09:02:30", 8, 3, True, 0, 32800, 30800, 7, 4),  # C: formed; 7 more people and all pay 308
    ("2026-11-21 09:03:30", 12, 4, True, 0, 32800, 30800, 6, 0),  # D: the stock is gone
    ("2026-11-21 19:59", 12, 4, True, 0, 32800, 30800, 6, 0),    # E gets nothing: A counts once
])
def test_the_mooncake_example_over_its_day(as_of, units, people, forms, missing_people, price, next_price, to_next,
                                           stock):
    listing = row(progress(mooncake_orders(), listings(MOONCAKE), as_of=as_of))
    assert (listing["units"], listing["participants"], listing["would_form"]) == (units, people, forms)
    assert (listing["missing_units"], listing["missing_participants"]) == (1 if units == 0 else 0, missing_people)
    assert (listing["price_fen"], listing["next_price_fen"], listing["participants_to_next_tier"]) == \
        (price, next_price, to_next)
    assert listing["stock_left"] == stock and listing["pool_left"] is None
    assert listing["units_to_fill_case"] is None and listing["units_case_cut"] is None  # an `up` product


def test_eight_of_ten_sold_two_more_and_the_group_forms_three_more_people_and_all_pay_308():
    """The issue's own example: min_qty 10, 8 units from 7 customers so far."""
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=2 if i == 0 else 1,
                         created_at=f"2026-11-21 10:0{i}") for i in range(7)])
    listing = row(progress(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS, min_qty=10))))
    assert (listing["units"], listing["participants"], listing["would_form"]) == (8, 7, False)
    assert (listing["missing_units"], listing["missing_participants"]) == (2, 0)
    assert (listing["next_price_fen"], listing["participants_to_next_tier"]) == (30800, 3)
    assert listing["price_fen"] is None


def test_past_the_top_tier_there_is_no_next_tier():
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at=f"2026-11-21 10:{i:02d}")
                    for i in range(11)])
    listing = row(progress(rows, listings(dict(listing_id="L1", tiers=mooncake.TIERS))))
    assert (listing["price_fen"], listing["next_price_fen"], listing["participants_to_next_tier"]) == \
        (30800, None, None)


def test_without_tiers_nothing_is_missing_in_people_and_the_price_is_the_unit_price():
    listing = row(progress(orders(dict(order_id="A", customer_id="c", qty=2, created_at="2026-11-21 10:00")),
                           listings(dict(listing_id="L1", min_qty=5))))
    assert (listing["would_form"], listing["missing_units"], listing["missing_participants"]) == (False, 3, 0)
    assert (listing["price_fen"], listing["next_price_fen"], listing["participants_to_next_tier"]) == \
        (None, None, None)
    listing = row(progress(orders(dict(order_id="A", customer_id="c", qty=5, created_at="2026-11-21 10:00")),
                           listings(dict(listing_id="L1", min_qty=5))))
    assert (listing["would_form"], listing["price_fen"]) == (True, mooncake.PRICE_FEN)


def test_a_listing_without_orders_needs_one_unit_at_least():
    rows = progress(orders(dict(order_id="A", customer_id="c", qty=1, created_at="2026-11-21 10:00")),
                    listings(dict(listing_id="L1"), dict(listing_id="L2", min_qty=0), dict(listing_id="L3", min_qty=4)))
    assert [(r["units"], r["would_form"], r["missing_units"]) for r in
            (row(rows, "L2"), row(rows, "L3"))] == [(0, False, 1), (0, False, 4)]
    assert rows.filter(pl.col("listing_id") == "L2").height == 1  # no point row without orders
    assert (row(rows, "L2")["groups"], row(rows, "L2")["groups_formed"]) == (0, 0)


def test_a_customer_the_stock_cap_left_without_units_is_no_participant():
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at=f"2026-11-21 10:0{i}")
                    for i in range(3)])
    figures = progress(rows, listings(dict(listing_id="L1", stock_cap=2)))
    assert (row(figures)["units"], row(figures)["participants"]) == (2, 2)
    assert (row(figures, point="P1")["units"], row(figures, point="P1")["participants"]) == (2, 2)


def test_a_tier_price_above_the_unit_price_is_not_charged():
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at=f"2026-11-21 10:0{i}",
                         unit_price_fen=30000) for i in range(2)])
    figures = progress(rows, listings(dict(listing_id="L1", unit_price_fen=30000, tiers="2:32800|5:29000")))
    assert (row(figures)["would_form"], row(figures)["price_fen"], row(figures)["next_price_fen"]) == (True, 30000,
                                                                                                      29000)
    short = progress(rows, listings(dict(listing_id="L1", unit_price_fen=30000, tiers="3:31000")))
    assert (row(short)["would_form"], row(short)["next_price_fen"]) == (False, 30000)   # it would form at 30000


def test_rows_by_listing_its_own_row_first_then_its_points():
    pairs = [("L3", "P2"), ("L1", "P3"), ("L2", "P1"), ("L1", "P1"), ("L3", "P3"), ("L2", "P2"), ("L1", "P2"),
             ("L3", "P1"), ("L2", "P3")]
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=1, created_at="2026-11-21 10:00", listing_id=lid,
                         pickup_point_id=p) for i, (lid, p) in enumerate(pairs)])
    figures = progress(rows, listings(dict(listing_id="L3"), dict(listing_id="L1"), dict(listing_id="L2")))
    assert figures.select("listing_id", "pickup_point_id").rows() == [
        (listing, point) for listing in ("L1", "L2", "L3") for point in (None, "P1", "P2", "P3")]


def test_a_pickup_point_row_counts_its_own_orders_and_shows_its_group():
    """Platform scope: the group is the listing, shown on each point's row; units and people are
    the point's own (本小区已售)."""
    rows = mooncake_orders().with_columns(
        pl.when(pl.col("order_id").is_in(["B", "D"])).then(pl.lit("P2")).otherwise(pl.lit("P1"))
        .alias("pickup_point_id"))
    figures = progress(rows, listings(MOONCAKE))
    p1, p2 = row(figures, point="P1"), row(figures, point="P2")
    assert (p1["units"], p1["participants"]) == (3, 2)  # A 2, C 1 (E got nothing)
    assert (p2["units"], p2["participants"]) == (9, 2)
    for point in (p1, p2):
        assert (point["would_form"], point["price_fen"], point["participants_to_next_tier"]) == (True, 32800, 6)
        assert point["stock_left"] == 0 and point["point_cap_left"] is None
        assert point["groups"] is None and point["groups_formed"] is None
    assert row(figures)["groups"] == 1 and row(figures)["groups_formed"] == 1


def test_pickup_point_groups_are_the_point_rows():
    rows = orders(dict(order_id="A", customer_id="a", qty=3, created_at="2026-11-21 10:00", pickup_point_id="P1"),
                  dict(order_id="B", customer_id="b", qty=1, created_at="2026-11-21 10:01", pickup_point_id="P2"))
    figures = progress(rows, listings(dict(listing_id="L1", group_scope="pickup_point", min_qty=3)))
    listing, p1, p2 = row(figures), row(figures, point="P1"), row(figures, point="P2")
    assert (listing["units"], listing["participants"], listing["groups"], listing["groups_formed"]) == (4, 2, 2, 1)
    assert all(listing[key] is None for key in ("would_form", "missing_units", "missing_participants", "price_fen",
                                                "next_price_fen", "participants_to_next_tier"))
    assert (p1["would_form"], p1["missing_units"], p1["price_fen"]) == (True, 0, mooncake.PRICE_FEN)
    assert (p2["would_form"], p2["missing_units"], p2["price_fen"]) == (False, 2, None)
    assert [r["pickup_point_id"] for r in at_risk_first(figures).iter_rows(named=True)] == ["P2", "P1"]


@pytest.mark.parametrize("units, rounding, fill, cut", [
    (14, "down", 4, 2),  # 2 cases and 2 over: 4 more fill the third, else 2 are cut
    (12, "down", 0, 0),  # full cases
    (3, "down", 3, 3),
    (14, "up", None, None),
])
def test_units_to_fill_the_last_case(units, rounding, fill, cut):
    rows = orders(dict(order_id="A", customer_id="a", qty=units, created_at="2026-11-21 10:00"))
    figures = progress(rows, listings(dict(listing_id="L1")), ({"case_pack": 6, "case_rounding": rounding},))
    for figure in (row(figures), row(figures, point="P1")):  # per listing, repeated on its point rows
        assert (figure["units_to_fill_case"], figure["units_case_cut"]) == (fill, cut)


def test_a_group_that_would_not_form_reaches_no_case_rounding():
    rows = orders(dict(order_id="A", customer_id="a", qty=5, created_at="2026-11-21 10:00"))
    figures = progress(rows, listings(dict(listing_id="L1", min_qty=8)), ({"case_pack": 6, "case_rounding": "down"},))
    assert (row(figures)["units_to_fill_case"], row(figures)["units_case_cut"]) == (0, 0)


def test_stock_left_on_a_point_is_the_lesser_of_the_listing_and_the_point_cap():
    rows = orders(dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 10:00", pickup_point_id="P1"),
                  dict(order_id="B", customer_id="b", qty=5, created_at="2026-11-21 10:01", pickup_point_id="P2"))
    figures = progress(rows, listings(dict(listing_id="L1", stock_cap=20, point_cap=4)))
    assert row(figures)["stock_left"] == 20 - 2 - 4  # B holds 4 of its 5 (the point cap)
    p1, p2 = row(figures, point="P1"), row(figures, point="P2")
    assert (p1["units"], p1["point_cap_left"], p1["stock_left"]) == (2, 2, 2)
    assert (p2["units"], p2["point_cap_left"], p2["stock_left"]) == (4, 0, 0)
    no_cap = progress(rows, listings(dict(listing_id="L1")))
    assert row(no_cap, point="P1")["stock_left"] is None and row(no_cap)["stock_left"] is None


def test_a_line_counts_as_it_stood_at_the_instant():
    """Its latest row with created_at and updated_at at or before the instant, whatever later rows
    say; a line created later does not exist yet."""
    first = orders(dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 10:00"),
                   dict(order_id="B", customer_id="b", qty=1, created_at="2026-11-21 12:00"))
    later = first.filter(pl.col("order_id") == "A").with_columns(
        pl.lit("cancelled").alias("status"), pl.lit(at("2026-11-21 11:00")).cast(pl.Datetime("us", "UTC"))
        .alias("updated_at"))
    versions = pl.concat([first, later]).with_row_index("ingest_seq").with_columns(pl.col("ingest_seq").cast(pl.Int64))
    assert versions_as_of(versions, at("2026-11-21 10:30")).select("order_id", "status").rows() == [("A", "paid")]
    assert sorted(versions_as_of(versions, at("2026-11-21 12:00")).select("order_id", "status").rows()) == \
        [("A", "cancelled"), ("B", "paid")]


def test_a_single_version_created_later_does_not_exist_yet():
    one = orders(dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 12:00")).with_columns(
        pl.lit(1, pl.Int64).alias("ingest_seq"))
    assert versions_as_of(one, at("2026-11-21 11:00")).height == 0
    assert versions_as_of(one, at("2026-11-21 12:00")).height == 1


def test_on_a_tie_the_row_ingested_last_wins():
    one = orders(dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 10:00"))
    versions = pl.concat([one, one.with_columns(pl.lit(5, pl.Int64).alias("qty"))]) \
        .with_columns(pl.Series("ingest_seq", [7, 3], pl.Int64))
    assert versions_as_of(versions, at("2026-11-21 11:00"))["qty"].to_list() == [2]


@pytest.mark.parametrize("calendar, local, expected", [
    ("nightly", datetime(2026, 11, 21, 15, 0), date(2026, 11, 21)),
    ("nightly", datetime(2026, 11, 21, 20, 0), date(2026, 11, 21)),     # the cutoff instant is its window's end
    ("nightly", datetime(2026, 11, 21, 20, 0, 1), date(2026, 11, 22)),
    ("nightly", datetime(2026, 11, 21, 20, 30), date(2026, 11, 21)),    # CUTOFF_NIGHTLY_AT 21:00 below
    ("weekly", datetime(2026, 11, 18, 9, 0), date(2026, 11, 22)),       # a Wednesday: the coming Sunday
    ("weekly", datetime(2026, 11, 23, 0, 0), date(2026, 11, 22)),
])
def test_the_coming_cutoff_holds_the_instant_in_its_window(calendar, local, expected):
    instant = local.replace(tzinfo=timezone(timedelta(hours=8)))
    nightly_at = time(21, 0) if local.minute == 30 else time(20, 0)
    assert coming_cutoff_date(calendar, instant, "Asia/Shanghai", nightly_at) == expected
    if nightly_at == time(21, 0):  # the cutoff instant itself, at 21:00
        assert coming_cutoff_date(calendar, instant + timedelta(minutes=30), "Asia/Shanghai", nightly_at) == expected


def group_row(listing: str, point=None, scope="platform", **figures) -> dict:
    row = {column: None for column in PROGRESS_COLUMNS}
    row.update(listing_id=listing, pickup_point_id=point, sku_id="SKU1", group_scope=scope, units=0, participants=0,
               would_form=True, missing_units=0, missing_participants=0)
    return {**row, **figures}


def test_at_risk_first_breaks_every_tie_the_same_way():
    rows = pl.DataFrame([
        group_row("L1", units=5, participants=5, would_form=False, missing_units=5),      # 5 of 10
        group_row("L2", units=1, participants=1, would_form=False, missing_units=1),      # 1 of 2: fewer missing
        group_row("L3", units=4, participants=1, would_form=False, missing_participants=1),  # 1 of 2 people
        group_row("L4", units=4, participants=2, would_form=False, missing_participants=2),  # 2 of 4 people
        group_row("L5", units=3, participants=3),                                          # formed, no tiers
        group_row("L6", units=3, participants=3, participants_to_next_tier=7, next_price_fen=30800),
        group_row("L7", units=3, participants=3, participants_to_next_tier=2, next_price_fen=30800),
        group_row("L8", units=3, participants=3),
        group_row("L9", "P2", "pickup_point", units=1, participants=1),
        group_row("L9", "P1", "pickup_point", units=1, participants=1),
        group_row("L9", None, "pickup_point", units=2, participants=2, would_form=None, groups=2, groups_formed=2),
        group_row("L0", "P1", units=1, participants=1),  # a platform listing's point row: no group of its own
        group_row("LZ", units=0, participants=0, min_qty=0),  # formed with nothing held: all the way
    ], schema_overrides={"would_form": pl.Boolean}).drop("min_qty")
    ranked = at_risk_first(rows)
    assert list(zip(ranked["listing_id"], ranked["pickup_point_id"], strict=True)) == [
        ("L3", None), ("L4", None), ("L2", None), ("L1", None),  # 0.5 reached each: fewer units, then people, missing
        ("L7", None), ("L6", None), ("L5", None), ("L8", None), ("L9", "P1"), ("L9", "P2"), ("LZ", None)]
    assert ranked["reached"].to_list() == [0.5] * 4 + [1.0] * 7


def test_at_risk_first_closest_to_forming_first():
    rows = orders(dict(order_id="A", customer_id="a", qty=9, created_at="2026-11-21 10:00", listing_id="L1"),
                  dict(order_id="B", customer_id="b", qty=2, created_at="2026-11-21 10:00", listing_id="L2"),
                  dict(order_id="C", customer_id="c", qty=2, created_at="2026-11-21 10:00", listing_id="L3"))
    figures = progress(rows, listings(dict(listing_id="L1", min_qty=10), dict(listing_id="L2", min_qty=10),
                                      dict(listing_id="L3"), dict(listing_id="L4", tiers=mooncake.TIERS),
                                      dict(listing_id="L5")))
    ranked = at_risk_first(figures)
    assert ranked["listing_id"].to_list() == ["L1", "L2", "L5", "L4", "L3"]  # L4 lacks 3 people too
    assert ranked["reached"].to_list() == [0.9, 0.2, 0.0, 0.0, 1.0]  # L5, L4: no order yet
    people = progress(orders(dict(order_id="A", customer_id="a", qty=2, created_at="2026-11-21 10:00")),
                      listings(dict(listing_id="L1", tiers=mooncake.TIERS)))
    assert at_risk_first(people)["reached"].to_list() == [pytest.approx(1 / 3)]  # 1 of the 3 people


# ---- the figures are the cutoff's own --------------------------------------------------------------

ORDER_ROW = st.tuples(st.sampled_from(["L1", "L2"]), st.sampled_from(["c1", "c2", "c3", "c4", "c5"]),
                      st.sampled_from(["P1", "P2", "P3"]), st.integers(1, 6), st.integers(0, 600))
LISTING = st.fixed_dictionaries({
    "min_qty": st.integers(0, 12), "tiers": st.sampled_from([None, "2:30000", "3:32000|5:31000"]),
    "group_scope": st.sampled_from(["platform", "pickup_point"]), "stock_cap": st.sampled_from([None, 5, 15]),
    "point_cap": st.sampled_from([None, 3, 8])})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ORDER_ROW, min_size=1, max_size=25), l1=LISTING, l2=LISTING,
       pack=st.integers(1, 4), rounding=st.sampled_from(["up", "down"]))
def test_progress_is_what_the_cutoff_then_decides(rows, l1, l2, pack, rounding):
    """When nothing more is ordered: each group's units, people, forming and price are the
    cutoff's; what case rounding takes back is what it cuts; stock left is what is not held."""
    lines = orders(*[dict(order_id=f"O{n}", customer_id=c, pickup_point_id=p, qty=q, listing_id=listing,
                          created_at=(datetime(2026, 11, 21, 9) + timedelta(minutes=minute)).isoformat(sep=" "))
                     for n, (listing, c, p, q, minute) in enumerate(rows)])
    listing_rows = listings({**l1, "listing_id": "L1"}, {**l2, "listing_id": "L2"})
    product_rows = ({"case_pack": pack, "case_rounding": rounding},)
    figures = progress(lines, listing_rows, product_rows)
    closed = close_listings(lines, listing_rows, products(*product_rows), NIGHTLY)
    groups = {(g["listing_id"], g["group_pickup_point_id"]): g for g in closed.groups.iter_rows(named=True)}
    for figure in at_risk_first(figures).iter_rows(named=True):
        group = groups.get((figure["listing_id"], figure["pickup_point_id"]))
        if group is None:
            assert figure["units"] == 0 and not figure["would_form"]
            continue
        assert (figure["units"], figure["participants"], figure["would_form"]) == \
            (group["units"], group["participants"], group["is_formed"])
        lines_of = closed.allocations.filter((pl.col("listing_id") == figure["listing_id"])
                                             & (pl.col("qty_allocated") > 0))
        if figure["pickup_point_id"] is not None:
            lines_of = lines_of.filter(pl.col("pickup_point_id") == figure["pickup_point_id"])
        if figure["would_form"] and lines_of.height:
            assert set(lines_of["final_unit_price_fen"]) == {figure["price_fen"]}
    for listing in figures.filter(pl.col("pickup_point_id").is_null()).iter_rows(named=True):
        allocated = closed.allocations.filter(pl.col("listing_id") == listing["listing_id"])["qty_allocated"].sum()
        formed = sum(g["units"] for k, g in groups.items() if k[0] == listing["listing_id"] and g["is_formed"])
        assert allocated == formed - (listing["units_case_cut"] or 0)
        points = figures.filter((pl.col("listing_id") == listing["listing_id"])
                                & pl.col("pickup_point_id").is_not_null())
        assert points["units"].sum() == listing["units"]
        cap = listing_rows.filter(pl.col("listing_id") == listing["listing_id"])["stock_cap"][0]
        assert listing["stock_left"] == (None if cap is None else cap - listing["units"])
