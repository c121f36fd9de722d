"""Property tests of the presale rules and stock pools: whatever the listings, orders and the order
of runs and reruns, a pool is never oversold, every listing's money adds up
(`paid = net + refund + forfeit`), and a pool's turns decide the same whatever order they ran in.

The runs are simulated with the pure rules exactly as the cutoff flow chains them (warehouse/pools.py):
the turns planned from the listings, a run refused while an earlier turn has not run, the budget
from what the earlier turns' runs stored, the allocations stored per run."""

from datetime import date, datetime, time, timedelta, timezone

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import UTC, listings, products
from transforms.close import SaleContext, close_listings
from transforms.pools import missing_turns, plan_pools, pool_budgets, pool_turns
from transforms.presale import audience_members
from transforms.windows import window_for

TZ = "Asia/Shanghai"
SHANGHAI = timezone(timedelta(hours=8))
MONDAY = date(2026, 11, 16)
NIGHTLY_AT = time(20, 0)

listing = st.fixed_dictionaries({
    "weekly": st.booleans(),
    "day": st.integers(0, 13),            # nightly: the closing day; weekly: its week (day // 7)
    "reserve": st.integers(0, 8),
    "stock_cap": st.none() | st.integers(0, 25),
    "deposit": st.booleans(),
    "audience": st.none() | st.integers(0, 4),  # a buyers' group of another listing (by position)
    "min_qty": st.integers(0, 6),
})
line = st.fixed_dictionaries({
    "listing": st.integers(0, 4),
    "customer": st.integers(0, 6),
    "qty": st.integers(1, 6),
    "minute": st.integers(0, 60 * 24 * 6),  # placed up to 6 days before the listing closes
    "unpaid": st.booleans(),                # a deposit presale's line with the balance left unpaid
})


def closes_at(rule: dict) -> datetime:
    if rule["weekly"]:  # Sunday 24:00 of its week
        return datetime.combine(MONDAY + timedelta(days=7 * (rule["day"] // 7 + 1)), time(0), SHANGHAI)
    return datetime.combine(MONDAY + timedelta(days=rule["day"]), NIGHTLY_AT, SHANGHAI)


def build(rules: list[dict], lines: list[dict], units: int):
    rows = []
    for n, rule in enumerate(rules):
        close = closes_at(rule)
        audience = rule["audience"]
        rows.append(dict(
            listing_id=f"L{n}", calendar="weekly" if rule["weekly"] else "nightly",
            opens_at=(close - timedelta(days=7)).astimezone(timezone.utc), closes_at=close.astimezone(timezone.utc),
            unit_price_fen=10000, deposit_fen=2000 if rule["deposit"] else None, stock_cap=rule["stock_cap"],
            audience_listing_id=f"L{audience}" if audience is not None and audience != n and audience < len(rules)
            else None, pool_id="P", pool_reserve=rule["reserve"], min_qty=rule["min_qty"]))
    listing_rows = listings(*rows)
    total = int(listing_rows["pool_reserve"].sum())
    pools = pl.DataFrame({"pool_id": ["P"], "sku_id": ["SKU1"], "units": [max(units, total)]})
    order_rows = []
    for i, spec in enumerate(lines):
        n = spec["listing"] % len(rules)
        created = closes_at(rules[n]) - timedelta(minutes=spec["minute"])
        order_rows.append({
            "order_id": f"O{i:03d}", "line_no": 1, "listing_id": f"L{n}", "customer_id": f"c{spec['customer']}",
            "customer_name": None, "phone_tail": None, "pickup_point_id": "P1", "qty": spec["qty"],
            "unit_price_fen": 10000, "distributor_id": None,
            "status": "deposit_paid" if rules[n]["deposit"] and spec["unpaid"] else "paid",
            "created_at": created.astimezone(timezone.utc)})
    frame = pl.DataFrame(order_rows, schema_overrides={"customer_name": pl.String, "phone_tail": pl.String,
                                                       "distributor_id": pl.String})
    frame = frame.with_columns(pl.col("created_at").cast(UTC), pl.col("created_at").cast(UTC).alias("updated_at"))
    return listing_rows, pools, frame


class Warehouse:
    """What the runs stored: each run's allocations, and which runs have happened."""

    def __init__(self, listing_rows, pools, order_rows):
        self.listings, self.pools, self.orders = listing_rows, pools, order_rows
        self.turns = pool_turns(listing_rows, TZ, NIGHTLY_AT)
        self.stored: dict[tuple[str, date], pl.DataFrame] = {}

    def runs(self) -> list[tuple[str, date]]:
        return sorted({(r["calendar"], r["turn_date"]) for r in self.turns.iter_rows(named=True)},
                      key=lambda run: (window_for(run[0], run[1], TZ).end, run[0]))

    def run(self, calendar: str, day: date) -> bool:
        """One cutoff run: False when refused (an earlier turn has not run)."""
        window = window_for(calendar, day, TZ)
        plan = plan_pools(self.turns, window)
        done = pl.DataFrame({"calendar": [c for c, _ in self.stored], "cutoff_date": [d for _, d in self.stored]},
                            schema={"calendar": pl.String, "cutoff_date": pl.Date})
        if missing_turns(plan, done).height:
            return False
        taken = self.allocated_by_listing()
        budgets = pool_budgets(plan, self.pools, taken)
        own = self.orders.join(self.listings.filter(pl.col("calendar") == calendar).select("listing_id"),
                               on="listing_id")
        closed = close_listings(own, self.listings, products({}), window,
                                SaleContext(audience=audience_members(self.orders), pools=budgets))
        self.stored[(calendar, day)] = closed.allocations
        return True

    def allocated_by_listing(self) -> pl.DataFrame:
        frames = [f.select("listing_id", "qty_allocated") for f in self.stored.values()]
        if not frames:
            return pl.DataFrame(schema={"listing_id": pl.String, "units_allocated": pl.Int64})
        return pl.concat(frames).group_by("listing_id").agg(pl.col("qty_allocated").sum().alias("units_allocated"))

    def sold(self) -> int:
        return int(self.allocated_by_listing()["units_allocated"].sum())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(listing, min_size=1, max_size=5), st.lists(line, min_size=1, max_size=30), st.integers(0, 40),
       st.lists(st.integers(0, 20), min_size=1, max_size=12))
def test_a_pool_is_never_oversold_whatever_the_order_of_runs_and_reruns(rules, lines, units, attempts):
    listing_rows, pools, order_rows = build(rules, lines, units)
    warehouse = Warehouse(listing_rows, pools, order_rows)
    runs = warehouse.runs()
    for pick in attempts:  # runs and reruns in any order; those out of turn are refused
        warehouse.run(*runs[pick % len(runs)])
        assert warehouse.sold() <= pools["units"][0]
    for run in runs:  # then everything in turn order (a backfill of both calendars)
        assert warehouse.run(*run)
        assert warehouse.sold() <= pools["units"][0]
    in_order = Warehouse(listing_rows, pools, order_rows)
    for run in runs:
        in_order.run(*run)
    for run in runs:  # whatever happened before, the turns decide what a single pass in turn order decides
        assert warehouse.stored[run].equals(in_order.stored[run])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(listing, min_size=1, max_size=5), st.lists(line, min_size=1, max_size=30), st.integers(0, 40))
def test_nothing_is_lost_per_listing_and_a_forfeit_is_a_whole_deposit(rules, lines, units):
    listing_rows, pools, order_rows = build(rules, lines, units)
    warehouse = Warehouse(listing_rows, pools, order_rows)
    for run in warehouse.runs():
        assert warehouse.run(*run)
    allocations = pl.concat(warehouse.stored.values())
    per_listing = allocations.group_by("listing_id").agg(
        pl.col("paid_fen", "net_fen", "refund_fen", "forfeit_fen").sum())
    for row in per_listing.iter_rows(named=True):
        assert row["paid_fen"] == row["net_fen"] + row["refund_fen"] + row["forfeit_fen"]
    unpaid = allocations.filter(pl.col("cut_reason") == "balance_unpaid")
    assert (unpaid["forfeit_fen"] == unpaid["qty"] * 2000).all() and (unpaid["qty_allocated"] == 0).all()
    assert (allocations.filter(pl.col("cut_reason") != "balance_unpaid")["forfeit_fen"] == 0).all()
    assert (allocations["qty_allocated"] <= allocations["qty"]).all()
    # each run leaves the later turns their whole reserves: what it takes fits in what is left after them
    def turn(run):
        return window_for(run[0], run[1], TZ).end, run[0]
    for run, frame in warehouse.stored.items():
        later = sum(r["pool_reserve"] for r in warehouse.turns.iter_rows(named=True)
                    if (r["turn_at"], r["calendar"]) > turn(run))
        earlier = sum(int(f["qty_allocated"].sum()) for r, f in warehouse.stored.items() if turn(r) < turn(run))
        assert int(frame["qty_allocated"].sum()) <= pools["units"][0] - earlier - later
