"""One stock pool (transforms/pools.py) by hand: what summary.json `pools` reports of each turn, the
`pool_stale` warning of a rerun, and what is wrong between listings.csv and pools.csv. The
rulebook's worked example (tests/presale_story.py); its runs themselves are in test_presale.py."""

from datetime import date, datetime, time, timedelta, timezone

import polars as pl
import pytest

from tests import presale_story as story
from tests.builders import at, listings
from transforms.pools import (
    LATER,
    allocate_from_pools,
    missing_turns,
    plan_pools,
    pool_budgets,
    pool_left,
    pool_listing_problems,
    pool_report,
    pool_turns,
    runs_of,
    stale_pool_warnings,
)
from transforms.windows import window_for

TZ = "Asia/Shanghai"


def story_listings() -> pl.DataFrame:
    return listings(*({key: at(value) if key in ("opens_at", "closes_at", "deposit_closes_at") else value
                       for key, value in row.items()} for row in (story.GRP, story.PRE, story.EXC)))


def pools() -> pl.DataFrame:
    return pl.DataFrame({"pool_id": [story.POOL], "sku_id": [story.SKU], "units": [story.POOL_UNITS]})


def taken(**units: int) -> pl.DataFrame:
    return pl.DataFrame({"listing_id": list(units), "units_allocated": list(units.values())},
                        schema={"listing_id": pl.String, "units_allocated": pl.Int64})


def allocated(*lines: tuple[str, int]) -> pl.DataFrame:
    return pl.DataFrame(lines, schema={"listing_id": pl.String, "qty_allocated": pl.Int64}, orient="row")


def turn(calendar: str, day: str):
    window = window_for(calendar, date.fromisoformat(day), TZ)
    return window, plan_pools(pool_turns(story_listings(), TZ, time(20)), window)


def report(calendar: str, day: str, earlier: pl.DataFrame, lines: pl.DataFrame) -> list[dict]:
    _, plan = turn(calendar, day)
    return pool_report(plan, pool_budgets(plan, pools(), earlier), earlier, lines)


def test_the_report_of_the_first_turn_holds_the_later_reserve():
    # GRP takes 27 (two lines of one listing: summed); PRE's reserve of 6 is held for it: 40 - 27 - 6 = 7 left
    assert report("nightly", story.GRP_DATE, taken(), allocated(("GRP", 20), ("GRP", 7))) == [{
        "pool_id": "MOON", "sku_id": "SKU1", "units": 40, "taken_before": 0, "taken_now": 27, "held_later": 6,
        "left": 7, "turns": [
            {"calendar": "nightly", "cutoff_date": "2026-11-19", "position": "this run", "listings": ["GRP"],
             "reserve": 0, "taken": 27},
            {"calendar": "weekly", "cutoff_date": "2026-11-22", "position": "later", "listings": ["PRE"],
             "reserve": 6, "taken": None},
            {"calendar": "nightly", "cutoff_date": "2026-11-23", "position": "later", "listings": ["EXC"],
             "reserve": 0, "taken": None}]}]


def test_the_report_of_the_middle_turn_counts_the_earlier_one_as_its_run_stored_it():
    pool = report("weekly", story.PRE_DATE, taken(GRP=27), allocated(("PRE", 2), ("PRE", 0), ("PRE", 4), ("PRE", 1)))
    assert len(pool) == 1
    assert {k: pool[0][k] for k in ("taken_before", "taken_now", "held_later", "left")} == \
        {"taken_before": 27, "taken_now": 7, "held_later": 0, "left": 6}
    assert [(t["position"], t["listings"], t["reserve"], t["taken"]) for t in pool[0]["turns"]] == \
        [("earlier", ["GRP"], 0, 27), ("this run", ["PRE"], 6, 7), ("later", ["EXC"], 0, None)]


def test_the_report_of_a_turn_whose_listing_sold_nothing_says_0_not_to_come():
    pool = report("nightly", story.EXC_DATE, taken(GRP=27, PRE=7), allocated())
    assert [(t["position"], t["taken"]) for t in pool[0]["turns"]] == [("earlier", 27), ("earlier", 7),
                                                                       ("this run", 0)]
    assert (pool[0]["taken_now"], pool[0]["left"]) == (0, 6)


def test_listings_of_one_turn_share_a_row_of_the_report():
    both = story_listings().with_columns(
        pl.when(pl.col("listing_id") == "EXC").then(at("2026-11-19 20:00")).otherwise(pl.col("closes_at"))
        .alias("closes_at"),
        pl.when(pl.col("listing_id") == "EXC").then(3).otherwise(pl.col("pool_reserve")).alias("pool_reserve"))
    window = window_for("nightly", date.fromisoformat(story.GRP_DATE), TZ)
    plan = plan_pools(pool_turns(both, TZ, time(20)), window)
    pool = pool_report(plan, pool_budgets(plan, pools(), taken()), taken(),
                       allocated(("GRP", 20), ("EXC", 3), ("EXC", 1)))
    assert pool[0]["turns"][0] == {"calendar": "nightly", "cutoff_date": "2026-11-19", "position": "this run",
                                   "listings": ["EXC", "GRP"], "reserve": 3, "taken": 24}
    assert (pool[0]["taken_now"], pool[0]["held_later"], pool[0]["left"]) == (24, 6, 10)


def runs(frame: pl.DataFrame) -> list[tuple[str, str]]:
    return [(r["calendar"], r["cutoff_date"].isoformat()) for r in frame.iter_rows(named=True)]


def test_the_runs_of_the_turns_come_in_turn_order_not_by_calendar():
    _, plan = turn("nightly", story.GRP_DATE)
    assert runs(runs_of(plan, LATER)) == [("weekly", "2026-11-22"), ("nightly", "2026-11-23")]
    # GRP moved after both: the weekly PRE must run before the nightly EXC, and a run done is not asked for
    late = story_listings().with_columns(
        pl.when(pl.col("listing_id") == "GRP").then(at("2026-11-24 20:00")).otherwise(pl.col("closes_at"))
        .alias("closes_at"))
    window = window_for("nightly", date(2026, 11, 24), TZ)
    plan = plan_pools(pool_turns(late, TZ, time(20)), window)
    none = pl.DataFrame(schema={"calendar": pl.String, "cutoff_date": pl.Date})
    assert runs(missing_turns(plan, none)) == [("weekly", "2026-11-22"), ("nightly", "2026-11-23")]
    done = pl.DataFrame({"calendar": ["weekly"], "cutoff_date": [date(2026, 11, 22)]})
    assert runs(missing_turns(plan, done)) == [("nightly", "2026-11-23")]


def test_a_rerun_that_takes_more_warns_naming_the_later_cutoffs_that_ran_in_turn_order():
    window, plan = turn("nightly", story.GRP_DATE)
    ran = pl.DataFrame({"calendar": ["nightly", "weekly"], "cutoff_date": [date(2026, 11, 23), date(2026, 11, 22)]})
    assert stale_pool_warnings(plan, taken(GRP=27), taken(GRP=29), ran, window) == [
        "pool_stale: pool MOON: the nightly 2026-11-19 cutoff now takes 29 unit(s) of it (it took 27 before), and "
        "the later cutoff(s) weekly 2026-11-22, nightly 2026-11-23 already ran with what it left: rerun them in "
        "this order (cutoff run --calendar weekly --date 2026-11-22; cutoff run --calendar nightly --date "
        "2026-11-23)"]
    # fewer units is as stale as more; only the later runs that ran are named
    fewer = stale_pool_warnings(plan, taken(GRP=27), taken(GRP=25), ran.filter(pl.col("calendar") == "weekly"), window)
    assert fewer == [
        "pool_stale: pool MOON: the nightly 2026-11-19 cutoff now takes 25 unit(s) of it (it took 27 before), and "
        "the later cutoff(s) weekly 2026-11-22 already ran with what it left: rerun them in this order "
        "(cutoff run --calendar weekly --date 2026-11-22)"]


def test_no_stale_warning_for_the_same_units_or_when_no_later_cutoff_ran():
    window, plan = turn("nightly", story.GRP_DATE)
    ran = pl.DataFrame({"calendar": ["weekly"], "cutoff_date": [date(2026, 11, 22)]})
    assert stale_pool_warnings(plan, taken(GRP=27), taken(GRP=27), ran, window) == []
    assert stale_pool_warnings(plan, taken(GRP=27), taken(GRP=29), ran.clear(), window) == []
    # an earlier turn that ran is no later cutoff; another listing's units are not this run's
    window, plan = turn("weekly", story.PRE_DATE)
    earlier = pl.DataFrame({"calendar": ["nightly"], "cutoff_date": [date(2026, 11, 19)]})
    assert stale_pool_warnings(plan, taken(PRE=7, GRP=27), taken(PRE=7, GRP=30), earlier, window) == []


def master(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"listing_id": pl.String, "sku_id": pl.String, "pool_id": pl.String,
                                      "pool_reserve": pl.Int64, "_row": pl.Int64}, orient="row")


def pool_rows(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"pool_id": pl.String, "sku_id": pl.String, "units": pl.Int64,
                                      "_row": pl.Int64}, orient="row")


def test_a_listing_of_a_pool_must_sell_its_sku():
    problems = pool_listing_problems(
        master([("GRP", "SKU2", "MOON", 0, 2), ("PRE", "SKU1", "MOON", 6, 3), ("X", "SKU9", None, 0, 4),
                ("Y", "SKU3", "SUN", 0, 5), ("A", "SKU2", "MOON", 0, 6)]),
        pool_rows([("SUN", "SKU1", 5, 3), ("MOON", "SKU1", 40, 2)]))
    assert problems == [
        ("listings", 2, "pool_id 'MOON' is a stock of SKU1 (pools.csv row 2), but this listing sells SKU2: a pool's "
                        "listings sell its SKU"),
        ("listings", 5, "pool_id 'SUN' is a stock of SKU1 (pools.csv row 3), but this listing sells SKU3: a pool's "
                        "listings sell its SKU"),
        ("listings", 6, "pool_id 'MOON' is a stock of SKU1 (pools.csv row 2), but this listing sells SKU2: a pool's "
                        "listings sell its SKU")]


def test_the_reserves_of_a_pool_may_add_up_to_its_units_and_no_more():
    listing_rows = [("GRP", "SKU1", "MOON", 30, 4), ("PRE", "SKU1", "MOON", 6, 2), ("EXC", "SKU1", "MOON", 5, 3),
                    ("S1", "SKU2", "SUN", 3, 6), ("S2", "SKU2", "SUN", 2, 5), ("F", "SKU3", "FOG", 9, 7)]
    pools_csv = [("SUN", "SKU2", 4, 3), ("MOON", "SKU1", 40, 2), ("FOG", "SKU3", 9, 4)]
    assert pool_listing_problems(master(listing_rows), pool_rows(pools_csv)) == [
        ("pools", 2, "the reserves of pool MOON's listings add up to 41 (listings.csv rows 2, 3, 4), past its 40 "
                     "units"),
        ("pools", 3, "the reserves of pool SUN's listings add up to 5 (listings.csv rows 5, 6), past its 4 units")]
    exactly = [(*row[:3], 5 if row[0] == "PRE" else row[3], row[4]) for row in listing_rows]
    assert [problem[1] for problem in pool_listing_problems(master(exactly), pool_rows(pools_csv))] == [3]


def hand_plan(rows: list[tuple]) -> pl.DataFrame:
    """(pool, listing, calendar, turn date, turn instant UTC, position) of a plan, by hand."""
    return pl.DataFrame([(*row, 0) for row in rows], orient="row", schema={
        "pool_id": pl.String, "listing_id": pl.String, "calendar": pl.String, "turn_date": pl.Date,
        "turn_at": pl.Datetime("us", "UTC"), "position": pl.String, "pool_reserve": pl.Int64})


def test_each_pool_of_the_run_is_checked_on_its_own_listings():
    sunday, monday = datetime(2026, 11, 22, 16, tzinfo=timezone.utc), datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    thursday = datetime(2026, 11, 19, 12, tzinfo=timezone.utc)
    plan = hand_plan([("AAA", "X", "nightly", date(2026, 11, 19), thursday, "this run"),
                      ("AAA", "Y", "weekly", date(2026, 11, 22), sunday, "later"),
                      ("MOON", "GRP", "nightly", date(2026, 11, 19), thursday, "this run"),
                      ("MOON", "PRE", "weekly", date(2026, 11, 22), sunday, "later"),
                      ("MOON", "EXC", "nightly", date(2026, 11, 23), monday, "later")])
    window = window_for("nightly", date(2026, 11, 19), TZ)
    ran = pl.DataFrame({"calendar": ["weekly"], "cutoff_date": [date(2026, 11, 22)]})
    warnings = stale_pool_warnings(plan, taken(X=5, GRP=27), taken(X=5, GRP=29), ran, window)
    assert warnings == [
        "pool_stale: pool MOON: the nightly 2026-11-19 cutoff now takes 29 unit(s) of it (it took 27 before), and "
        "the later cutoff(s) weekly 2026-11-22 already ran with what it left: rerun them in this order "
        "(cutoff run --calendar weekly --date 2026-11-22)"]


def test_later_cutoffs_at_the_same_instant_are_named_nightly_first():
    """With the nightly cutoff at 24:00, Sunday's weekly and Monday's nightly cutoffs close at one
    instant: turn order then goes by calendar (nightly, then weekly)."""
    midnight = datetime(2026, 11, 22, 16, tzinfo=timezone.utc)
    thursday = datetime(2026, 11, 19, 16, tzinfo=timezone.utc)
    plan = hand_plan([("MOON", "GRP", "nightly", date(2026, 11, 20), thursday, "this run"),
                      ("MOON", "PRE", "weekly", date(2026, 11, 22), midnight, "later"),
                      ("MOON", "EXC", "nightly", date(2026, 11, 23), midnight, "later")])
    window = window_for("nightly", date(2026, 11, 20), TZ, time(0))
    ran = pl.DataFrame({"calendar": ["weekly", "nightly"], "cutoff_date": [date(2026, 11, 22), date(2026, 11, 23)]})
    [warning] = stale_pool_warnings(plan, taken(GRP=27), taken(GRP=28), ran, window)
    assert warning.endswith("(cutoff run --calendar nightly --date 2026-11-23; cutoff run --calendar weekly "
                            "--date 2026-11-22)")


def test_earlier_cutoffs_at_the_same_instant_are_asked_for_nightly_first():
    midnight, friday = datetime(2026, 11, 22, 16, tzinfo=timezone.utc), datetime(2026, 11, 27, 16, tzinfo=timezone.utc)
    plan = hand_plan([("MOON", "PRE", "weekly", date(2026, 11, 22), midnight, "earlier"),
                      ("MOON", "EXC", "nightly", date(2026, 11, 23), midnight, "earlier"),
                      ("MOON", "GRP", "nightly", date(2026, 11, 28), friday, "this run")])
    none = pl.DataFrame(schema={"calendar": pl.String, "cutoff_date": pl.Date})
    assert runs(missing_turns(plan, none)) == [("nightly", "2026-11-23"), ("weekly", "2026-11-22")]


def test_later_runs_at_the_same_instant_come_nightly_first():
    """Three weeks of a weekly turn (Sunday 24:00) and a nightly one at the same instant (nightly
    cutoff at 24:00): three ties, so a lost tie-break cannot come out right by luck."""
    thursday = datetime(2026, 11, 19, 16, tzinfo=timezone.utc)
    rows = [("MOON", "GRP", "nightly", date(2026, 11, 20), thursday, "this run")]
    for week in range(3):
        sunday = date(2026, 11, 22) + timedelta(days=7 * week)
        midnight = datetime.combine(sunday, time(16), timezone.utc)
        rows += [("MOON", f"W{week}", "weekly", sunday, midnight, "later"),
                 ("MOON", f"N{week}", "nightly", sunday + timedelta(days=1), midnight, "later")]
    assert runs(runs_of(hand_plan(rows), LATER)) == [
        ("nightly", "2026-11-23"), ("weekly", "2026-11-22"), ("nightly", "2026-11-30"), ("weekly", "2026-11-29"),
        ("nightly", "2026-12-07"), ("weekly", "2026-12-06")]


def test_a_pool_sold_by_one_listing_has_its_budget():
    plan = hand_plan([("MOON", "GRP", "nightly", date(2026, 11, 19), datetime(2026, 11, 19, 12, tzinfo=timezone.utc),
                       "this run")])
    assert pool_budgets(plan, pools(), taken()).rows() == [("MOON", "SKU1", 40, 0, 0, 0, 40)]


def test_a_run_without_pools_has_no_budget_and_nothing_left_to_report():
    plan = hand_plan([])
    budgets = pool_budgets(plan, pools(), taken())
    assert budgets.height == 0 and "shared_left" in budgets.columns
    assert pool_left(plan, budgets, allocated(("GRP", 3))).height == 0


def test_a_turn_is_the_run_at_the_configured_nightly_time():
    """With the nightly cutoff at 22:00, GRP closing at 21:00 is Thursday's run (at 22:00), not Friday's."""
    late = story_listings().with_columns(
        pl.when(pl.col("listing_id") == "GRP").then(at("2026-11-19 21:00")).otherwise(pl.col("closes_at"))
        .alias("closes_at"))
    turns = pool_turns(late, TZ, time(22)).filter(pl.col("listing_id") == "GRP")
    assert turns.select("turn_date", "turn_at").row(0) == (date(2026, 11, 19), at("2026-11-19 22:00"))


def test_listings_without_pools_have_no_turns():
    assert pool_turns(listings(dict(listing_id="L1")), TZ, time(20)).height == 0


def test_at_one_instant_the_nightly_turn_comes_before_the_weekly_one():
    """With the nightly cutoff at 24:00, Sunday's weekly run and Monday's nightly run (EXC) close
    at one instant: for the nightly run the weekly turn is later; for the weekly run the nightly one is earlier."""
    moved = story_listings().with_columns(
        pl.when(pl.col("listing_id") == "EXC").then(at("2026-11-23 00:00")).otherwise(pl.col("closes_at"))
        .alias("closes_at"))
    turns = pool_turns(moved, TZ, time(0))
    nightly = plan_pools(turns, window_for("nightly", date(2026, 11, 23), TZ, time(0)))
    weekly = plan_pools(turns, window_for("weekly", date(2026, 11, 22), TZ, time(0)))
    assert dict(nightly.select("listing_id", "position").rows()) == {"GRP": "earlier", "EXC": "this run",
                                                                      "PRE": "later"}
    assert dict(weekly.select("listing_id", "position").rows()) == {"GRP": "earlier", "EXC": "earlier",
                                                                     "PRE": "this run"}


def test_earlier_turns_that_took_more_than_was_free_leave_nothing_shared_never_less():
    _, plan = turn("weekly", story.PRE_DATE)
    budgets = pool_budgets(plan, pools(), taken(GRP=36))  # 40 - 36 - 6 held now: -2
    assert budgets.select("taken_before", "held_now", "shared_left").row(0) == (36, 6, 0)


def test_the_report_lists_turns_at_one_instant_nightly_first():
    moved = story_listings().with_columns(
        pl.when(pl.col("listing_id") == "EXC").then(at("2026-11-23 00:00")).otherwise(pl.col("closes_at"))
        .alias("closes_at"),
        pl.when(pl.col("listing_id") == "EXC").then(pl.lit("XC")).otherwise(pl.col("listing_id")).alias("listing_id"))
    window = window_for("nightly", date(2026, 11, 20), TZ, time(0))
    plan = plan_pools(pool_turns(moved, TZ, time(0)), window)
    pool = pool_report(plan, pool_budgets(plan, pools(), taken()), taken(), allocated(("GRP", 5)))
    assert [(t["calendar"], t["listings"]) for t in pool[0]["turns"]] == [
        ("nightly", ["GRP"]), ("nightly", ["XC"]), ("weekly", ["PRE"])]


def step2(rows: list[tuple]) -> pl.DataFrame:
    """Lines after the listings' own caps: (listing, pool, reserve, units, fcfs rank)."""
    return pl.DataFrame([(*row, None) for row in rows], orient="row", schema={
        "listing_id": pl.String, "pool_id": pl.String, "pool_reserve": pl.Int64, "qty_allocated": pl.Int64,
        "fcfs_rank": pl.Int64, "cut_reason": pl.String})


def test_a_listing_without_a_pool_keeps_its_units_beside_a_pooled_one():
    lines = step2([("GRP", "MOON", 0, 3, 0), ("L9", None, 0, 2, 1), ("GRP", "MOON", 0, 2, 2), ("L9", None, 0, 4, 3)])
    budgets = pl.DataFrame({"pool_id": ["MOON"], "shared_left": [4]})
    got = allocate_from_pools(lines, budgets)
    assert got.select("listing_id", "qty_allocated", "cut_reason").rows() == [
        ("GRP", 3, None), ("L9", 2, None), ("GRP", 1, "out_of_stock"), ("L9", 4, None)]
    assert got.columns == lines.columns


def test_lines_of_a_pool_are_never_allocated_without_its_budget():
    lines = step2([(f"L{n}", pool, 0, 3, n) for n, pool in enumerate("FEDCBA")])
    with pytest.raises(ValueError) as refused:
        allocate_from_pools(lines, pool_budgets(hand_plan([]), pools(), taken()))
    assert str(refused.value) == ("pool(s) ['A', 'B', 'C', 'D', 'E'] of the run have no budget: plan the pools "
                                  "(pool_budgets) before allocating")
