"""A history of nightly cutoffs (`cutoff generate --history-weeks W`): the data set a forecast and a
product review are measured on (docs/forecast.md).

For the W weeks of days before D, and for D itself, the generator writes what the shop systems
would have exported (synthetic/demand.py says what sells): the master data with every day's
nightly listings (and D+1's, planned the evening before), one order export per day
(`inbox/orders/history/orders-<day>.parquet`; D's as `inbox/orders/orders-<D>.csv`), the pickup
scans of each past day (`inbox/pickups/history/`) and a weather file (`inbox/weather/weather.csv`,
D-7W .. D+7). Then it writes the warehouse as `cutoff backfill` of those days would: the same
ingest (every file registered, validated and loaded), and for each day before D the cutoff's own
rules (transforms/close.py, transforms/purchase.py), its partitions, its commissions and its
`runs` row; then the pickup scans, ingested as `cutoff report` does. It writes no workbook and
sends no email. D itself is left to `cutoff run --date D`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from errors import UserError
from inbox.ingest import known_state, load_inbox, read_inbox, validate_inbox
from inbox.master import Master, load_master
from inbox.pickups import ingest_pickups
from ledger.posting import post_commissions
from schemas.allocations import Allocations
from schemas.groups import Groups
from schemas.purchase_lines import PurchaseLines
from synthetic.catalogue import CATEGORIES, make_categories, make_products, make_suppliers
from synthetic.demand import Demand, day_lines, demand_rates, make_buyers
from synthetic.draws import LOCAL_FORMAT, number_ids, numbered
from synthetic.exports import write_csv
from synthetic.master_data import make_distributors, make_pickup_points, person_names, sale_prices
from synthetic.pickups import make_pickup_scans
from synthetic.shape import HOURLY_ORDER_RATE, MEAN_QTY, Sizes
from transforms.close import close_listings, select_closing_listings
from transforms.forecast_calendar import china_days, weather_class
from transforms.purchase import build_purchase_lines, total_by_supplier
from transforms.summary import summarize_cutoff
from transforms.windows import window_for
from warehouse.connection import open_warehouse
from warehouse.queries import record_run, replace_partitions

SEED_SALT = 28               # the history draws from its own stream
WEATHER_AHEAD = 7            # the weather file reaches a week past D (a forecast)
CANCELLED_SHARE = 0.02
DISTRIBUTOR_SHARE = 0.30
TIERED_SHARE, HARD_GROUP_SHARE, POINT_SCOPE_SHARE, CAPPED_SHARE = 0.10, 0.06, 0.03, 0.05


@dataclass(frozen=True)
class HistoryPlan:
    day: date                 # D: the first day not closed
    weeks: int
    lines_per_day: int
    seed: int
    skus: int | None = None
    pickup_points: int | None = None

    @property
    def days(self) -> list[date]:
        """Every day with orders: the history, then D."""
        first = self.day - timedelta(days=7 * self.weeks)
        return [first + timedelta(days=i) for i in range(7 * self.weeks + 1)]


def weather_rows(rng: np.random.Generator, days: list[date]) -> pl.DataFrame:
    """A Guangzhou-like year: 18 °C in January, 33 °C in July, rain on about a day in four."""
    doy = np.array([d.timetuple().tm_yday for d in days])
    temp = 25.5 - 7.5 * np.cos(2 * np.pi * (doy - 15) / 365) + rng.normal(0, 2.5, len(days))
    rain = np.where(rng.random(len(days)) < 0.25, rng.gamma(2.0, 9.0, len(days)), rng.uniform(0, 3, len(days)))
    return pl.DataFrame({"date": days, "precip_mm": np.round(rain, 1), "temp_max_c": np.round(temp, 1)})


def _listings(rng: np.random.Generator, plan: HistoryPlan, products: pl.DataFrame, demand: Demand,
              days: list[date], nightly_at: time) -> pl.DataFrame:
    """The nightly listings of every day (the SKUs on sale), each SKU at its own price and rules."""
    n = products.height
    costs = products["cost_fen"].to_numpy()
    prices = sale_prices(rng, costs)
    tiered = rng.random(n) < TIERED_SHARE
    hard = rng.random(n) < HARD_GROUP_SHARE
    point_scope = ~hard & (rng.random(n) < POINT_SCOPE_SHARE)
    l1, l2 = rng.choice((0, 300, 500), n), rng.choice((0, 100, 200), n)
    tiers = [f"2:{p}|10:{max(c + 10, int(p * 0.92) // 10 * 10)}" if t and int(p * 0.92) > c + 10 else None
             for p, c, t in zip(prices, costs, tiered, strict=True)]
    frames = []
    for t, day in enumerate(days):
        listed = np.flatnonzero(demand.listed[min(t, len(demand.listed) - 1)])
        expected = demand.rates[min(t, len(demand.rates) - 1), listed] * MEAN_QTY
        capped = rng.random(len(listed)) < CAPPED_SHARE
        min_qty = np.where(hard[listed], np.maximum(2, np.round(expected * rng.uniform(0.6, 1.1, len(listed)))),
                           np.where(point_scope[listed], 2, 1))
        frames.append(pl.DataFrame({
            "listing_id": numbered(f"L-{day:%Y%m%d}-", listed + 1, 4),
            "sku_id": products["sku_id"].gather(listed),
            "calendar": "nightly",
            "opens_at": datetime.combine(day - timedelta(days=1), nightly_at).strftime(LOCAL_FORMAT),
            "closes_at": datetime.combine(day, nightly_at).strftime(LOCAL_FORMAT),
            "unit_price_fen": prices[listed],
            "tiers": pl.Series([tiers[i] for i in listed], dtype=pl.String),
            "min_qty": min_qty.astype(np.int64),
            "group_scope": np.where(point_scope[listed], "pickup_point", "platform"),
            "stock_cap": pl.Series(np.where(capped, np.ceil(expected * rng.uniform(1.0, 1.4, len(listed))), -1)
                                   .astype(np.int64)).replace(-1, None),
            "point_cap": pl.Series([None] * len(listed), dtype=pl.Int64),
            "dist_l1_bp": l1[listed], "dist_l2_bp": l2[listed],
        }))
    return pl.concat(frames)


def _orders(rng: np.random.Generator, lines: pl.DataFrame, day: date, products: pl.DataFrame,
            listings: pl.DataFrame, customers: pl.DataFrame, points: pl.Series, distributors: pl.Series,
            nightly_at: time) -> pl.DataFrame:
    """One day's lines as the orders export has them (one line an order)."""
    n = lines.height
    opens = datetime.combine(day - timedelta(days=1), nightly_at)
    clock_hours = (opens.hour + np.arange(24)) % 24
    rates = np.array(HOURLY_ORDER_RATE)[clock_hours]
    seconds = rng.choice(24, n, p=rates / rates.sum()) * 3600 + rng.integers(1, 3600, n)
    created = pl.Series(np.full(n, int((opens - datetime(1970, 1, 1)).total_seconds())) + seconds)
    created_at = pl.from_epoch(created, time_unit="s").dt.strftime(LOCAL_FORMAT)
    sku_ids = products["sku_id"].gather(lines["sku"])
    listing = listings.filter(pl.col("closes_at") == datetime.combine(day, nightly_at).strftime(LOCAL_FORMAT))
    who = customers.select(pl.all().gather(lines["customer"]))
    referred = rng.random(n) < DISTRIBUTOR_SHARE
    distributor = distributors.gather(rng.integers(0, len(distributors), n)).scatter(np.flatnonzero(~referred), None)
    frame = pl.DataFrame({
        "order_id": numbered(f"O{day:%Y%m%d}-", np.arange(1, n + 1), 6), "line_no": pl.repeat(1, n, eager=True),
        "sku_id": sku_ids, **who.to_dict(), "pickup_point_id": points.gather(lines["point"]),
        "qty": lines["qty"], "status": np.where(rng.random(n) < CANCELLED_SHARE, "cancelled", "paid"),
        "distributor_id": distributor, "created_at": created_at, "updated_at": created_at})
    return (frame.join(listing.select("sku_id", "listing_id", "unit_price_fen"), on="sku_id", how="inner")
            .select("order_id", "line_no", "listing_id", "customer_id", "customer_name", "phone_tail",
                    "pickup_point_id", "qty", "unit_price_fen", "status", "distributor_id", "created_at",
                    "updated_at"))


def write_history_files(data_dir: Path, plan: HistoryPlan, nightly_at: time) -> dict:
    """The master data, the day's order exports, the weather file. Returns what the warehouse
    step needs (the days' kinds for the pickups, the counts)."""
    rng = np.random.default_rng([plan.seed, SEED_SALT])
    sizes = Sizes.for_lines(plan.lines_per_day)
    n_skus, n_points = plan.skus or sizes.skus, plan.pickup_points or sizes.pickup_points
    suppliers = make_suppliers(rng, sizes.suppliers)
    products = make_products(rng, n_skus, sizes.suppliers)
    points = make_pickup_points(rng, n_points, min(n_points, sizes.routes))
    distributors = make_distributors(rng, sizes.distributors)
    days = plan.days
    kinds = china_days(days[0], days[-1] + timedelta(days=1))
    weather = weather_rows(rng, days + [days[-1] + timedelta(days=i) for i in range(1, WEATHER_AHEAD + 1)])
    classes = weather.select(weather_class(pl.col("precip_mm"), pl.col("temp_max_c")))
    demand_days = days + [days[-1] + timedelta(days=1)]
    demand = demand_rates(rng, products["category"].to_list(), demand_days, kinds["day_kind"].to_list(),
                          classes.to_series().to_list()[:len(demand_days)], plan.lines_per_day)
    listings = _listings(rng, plan, products, demand, demand_days, nightly_at)
    buyers = make_buyers(rng, n_skus, n_points, max(30, plan.lines_per_day * 2))
    n_customers = int(buyers.customers_at.sum())  # every point has one at least
    tails = pl.Series(rng.integers(0, 10_000, n_customers)).cast(pl.String).str.zfill(4)
    customers = pl.DataFrame({"customer_id": number_ids("C", n_customers, 6),
                              "customer_name": person_names(rng, n_customers), "phone_tail": tails})
    masters = {"categories": make_categories(), "suppliers": suppliers, "products": products,
               "pickup_points": points, "distributors": distributors, "listings": listings}
    for name, frame in masters.items():
        write_csv(frame, data_dir / "master" / f"{name}.csv")
    write_csv(weather, data_dir / "inbox" / "weather" / "weather.csv")
    lines_written = 0
    for t, day in enumerate(days):
        orders = _orders(rng, day_lines(rng, demand, buyers, t), day, products, listings, customers,
                         points["pickup_point_id"], distributors["distributor_id"], nightly_at)
        lines_written += orders.height
        if day < plan.day:
            path = data_dir / "inbox" / "orders" / "history" / f"orders-{day.isoformat()}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            orders.write_parquet(path)
        else:
            write_csv(orders, data_dir / "inbox" / "orders" / f"orders-{day.isoformat()}.csv")
    return {"suppliers": suppliers.height, "products": products.height, "pickup_points": points.height,
            "categories": len(CATEGORIES), "listings_nightly": listings.height, "order_lines": lines_written,
            "history_days": len(days) - 1, "holiday_days": int((kinds["day_kind"] == "holiday").sum())}


def backfill_history(data_dir: Path, warehouse_path: Path, plan: HistoryPlan, timezone_name: str,
                     nightly_at: time) -> int:
    """The warehouse as `cutoff backfill` of the days before D would leave it (module docstring);
    returns the cutoffs written."""
    master = load_master(data_dir, timezone_name)
    with open_warehouse(warehouse_path) as warehouse:
        with warehouse.transaction():
            for name, table in master.tables().items():
                warehouse.replace_table(name, table)
        hashes, next_seq, refunds = known_state(warehouse)
        files = read_inbox(data_dir, hashes)
        load_inbox(warehouse, validate_inbox(files, master, timezone_name, next_seq, refunds, "generate --history"))
        history = [d for d in plan.days if d < plan.day]
        for day in history:
            handed_out = _close_day(warehouse, master, day, timezone_name, nightly_at)
            scans = make_pickup_scans(handed_out, datetime.combine(day, nightly_at), plan.seed)
            write_csv(scans, data_dir / "inbox" / "pickups" / "history" / f"pickups-{day.isoformat()}.csv")
        ingest_pickups(warehouse, data_dir, master, timezone_name, "generate --history")
    return len(history)


def _close_day(warehouse, master: Master, day: date, timezone_name: str, nightly_at: time) -> pl.DataFrame:
    """One history day's cutoff, as the cutoff's close and write stages make it; returns the lines
    handed out (for their pickup scans)."""
    window = window_for("nightly", day, timezone_name, nightly_at)
    closing = select_closing_listings(master.listings, window)["listing_id"].to_list()
    lines = warehouse.frame("SELECT * FROM order_lines WHERE listing_id IN (SELECT unnest(?::VARCHAR[]))", [closing])
    closed = close_listings(lines, master.listings, master.products, window)
    Allocations.validate(closed.allocations)
    Groups.validate(closed.groups)
    purchase = build_purchase_lines(closed.allocations, master.products)
    PurchaseLines.validate(purchase)
    totals = total_by_supplier(purchase, master.suppliers)
    started = datetime.now(timezone.utc)
    with warehouse.transaction():
        replace_partitions(warehouse, "nightly", day, {"allocations": closed.allocations, "purchase_lines": purchase,
                                                       "groups": closed.groups})
        posting = post_commissions(warehouse, window, closed.allocations, master)
    summary = summarize_cutoff(window, closed.closing, closed.allocations, closed.groups, purchase, totals,
                               rejected=0, commission=posting.totals)
    record_run(warehouse, "nightly", day, str(uuid.uuid4()), started, "success", "", summary)
    return closed.allocations.filter(pl.col("qty_allocated") > 0).select("order_id", "line_no", "pickup_point_id")


def generate_history(data_dir: Path, lines_per_day: int, day: date, weeks: int, seed: int, *,
                     timezone_name: str = "Asia/Shanghai", nightly_at: time = time(20, 0),
                     warehouse_path: Path | None = None, skus: int | None = None,
                     pickup_points: int | None = None) -> dict:
    """Write `weeks` weeks of nightly cutoffs before `day` and the exports of `day` (module
    docstring) under a new data dir; returns its counts."""
    data_dir = Path(data_dir)
    warehouse_path = Path(warehouse_path or data_dir / "warehouse.duckdb")
    if weeks < 1 or lines_per_day < 1:
        raise UserError("--history-weeks and --orders must be at least 1")
    if warehouse_path.exists() or (data_dir / "master").exists():
        raise UserError(f"{data_dir} already holds a data set: a history is written into a new data dir "
                        "(its warehouse is written as a backfill would). Choose an empty --data-dir.")
    ZoneInfo(timezone_name)
    plan = HistoryPlan(day, weeks, lines_per_day, seed, skus, pickup_points)
    counts = write_history_files(data_dir, plan, nightly_at)
    counts["cutoffs_written"] = backfill_history(data_dir, warehouse_path, plan, timezone_name, nightly_at)
    return counts
