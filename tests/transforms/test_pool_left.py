"""What progress reads of a stock pool: the earlier turns' takes as their runs reported them, and
what each listing of the run could still get (transforms/pools.py `taken_as_reported`, `pool_left`)."""

from datetime import date

import polars as pl

from transforms.pools import EARLIER, LATER, THIS_RUN, pool_budgets, pool_left, taken_as_reported


def plan() -> pl.DataFrame:
    rows = [("MOON", "A1", "nightly", date(2026, 11, 19), EARLIER, 0),
            ("MOON", "A2", "nightly", date(2026, 11, 19), EARLIER, 2),
            ("MOON", "B", "weekly", date(2026, 11, 22), EARLIER, 6),
            ("MOON", "C", "nightly", date(2026, 11, 23), THIS_RUN, 4),
            ("MOON", "D", "nightly", date(2026, 11, 23), THIS_RUN, 0),
            ("MOON", "E", "nightly", date(2026, 11, 24), LATER, 5)]
    return pl.DataFrame(rows, schema={"pool_id": pl.String, "listing_id": pl.String, "calendar": pl.String,
                                      "turn_date": pl.Date, "position": pl.String, "pool_reserve": pl.Int64},
                        orient="row")


def reported() -> pl.DataFrame:
    return pl.DataFrame({"pool_id": ["MOON"], "calendar": ["nightly"], "turn_date": [date(2026, 11, 19)],
                         "taken": [20]})


def test_a_reported_turn_counts_once_and_an_unreported_one_as_nothing():
    taken = taken_as_reported(plan(), reported())
    assert sorted(taken.rows()) == [("A1", 20), ("A2", 0), ("B", 0)]  # B's run has not reported
    assert taken["units_allocated"].dtype == pl.Int64


def test_budgets_from_the_reported_takes():
    pools = pl.DataFrame({"pool_id": ["MOON"], "sku_id": ["SKU1"], "units": [40]})
    budgets = pool_budgets(plan(), pools, taken_as_reported(plan(), reported()))
    # 40 - 20 taken - 5 held for E - 4 held now for C
    assert budgets.select("taken_before", "held_later", "held_now", "shared_left").row(0) == (20, 5, 4, 11)


def budgets(shared: int) -> pl.DataFrame:
    return pl.DataFrame({"pool_id": ["MOON"], "shared_left": [shared]})


def held(c: int, d: int) -> pl.DataFrame:
    return pl.DataFrame({"listing_id": ["C", "C", "D"], "qty_allocated": [c - 1, 1, d]})


def test_each_listing_keeps_its_reserve_and_shares_what_is_left():
    # C holds 3 of its reserve 4 (1 left); D 5 from the shared 11 (6 left): C 1 + 6, D 6
    assert pool_left(plan(), budgets(11), held(3, 5)).to_dicts() == [{"listing_id": "C", "pool_left": 7},
                                                                      {"listing_id": "D", "pool_left": 6}]
    # past its reserve, C draws on the shared units too: 6 - 4 = 2 of them
    assert pool_left(plan(), budgets(11), held(6, 5)).rows() == [("C", 4), ("D", 4)]


def test_a_pool_used_up_leaves_nothing_and_never_less():
    assert pool_left(plan(), budgets(11), held(6, 20)).rows() == [("C", 0), ("D", 0)]
    assert pool_left(plan(), budgets(0), held(4, 0)).rows() == [("C", 0), ("D", 0)]


def test_a_listing_without_lines_still_has_its_row():
    none = pl.DataFrame(schema={"listing_id": pl.String, "qty_allocated": pl.Int64})
    assert pool_left(plan(), budgets(11), none).rows() == [("C", 15), ("D", 11)]


def test_each_reported_turn_counts_once_in_its_own_pool():
    """Two pools, and turns that share a date (nightly and weekly on Sunday) or a calendar (two
    nightly turns): each turn's report is counted once, on one listing of it, in its pool."""
    rows = [("MOON", "A1", "nightly", date(2026, 11, 19), EARLIER, 0),
            ("MOON", "A2", "nightly", date(2026, 11, 19), EARLIER, 0),
            ("MOON", "B1", "nightly", date(2026, 11, 20), EARLIER, 0),
            ("MOON", "N", "nightly", date(2026, 11, 22), EARLIER, 0),
            ("MOON", "W", "weekly", date(2026, 11, 22), EARLIER, 0),
            ("SUN", "S1", "nightly", date(2026, 11, 19), EARLIER, 0),
            ("SUN", "S2", "nightly", date(2026, 11, 23), THIS_RUN, 0)]
    plan = pl.DataFrame(rows, schema={"pool_id": pl.String, "listing_id": pl.String, "calendar": pl.String,
                                      "turn_date": pl.Date, "position": pl.String, "pool_reserve": pl.Int64},
                        orient="row")
    reported = pl.DataFrame({"pool_id": ["MOON", "MOON", "MOON", "MOON", "SUN"],
                             "calendar": ["nightly", "nightly", "nightly", "weekly", "nightly"],
                             "turn_date": [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 22),
                                           date(2026, 11, 22), date(2026, 11, 19)],
                             "taken": [20, 3, 4, 5, 7]})
    pools = pl.DataFrame({"pool_id": ["MOON", "SUN"], "sku_id": ["SKU1", "SKU2"], "units": [40, 10]})
    budgets = pool_budgets(plan, pools, taken_as_reported(plan, reported))
    assert budgets.select("pool_id", "taken_before").rows() == [("MOON", 20 + 3 + 4 + 5), ("SUN", 7)]
