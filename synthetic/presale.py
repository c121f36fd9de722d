"""Deposit presales, buyers' groups and stock pools in the synthetic data (一盘货: one stock, three
ways to sell it), drawn from their own random stream so the rest of the data set is what it was.

For date D (Sunday S ends D's ISO week):

- **Pools**: ~2% of D's nightly listings (at least one; 流心奶黄月饼礼盒 first when it is listed) sell
  from a pool `POOL-<n>` of their SKU. Each pool is the rulebook's mooncake story: the nightly group
  buy of D draws on the pool; a weekly deposit presale `WP-...` of the same SKU (closing S 24:00)
  holds 20% of the pool as its reserve; a nightly buyers' group `WX-...` (closing S+1 20:00) is open
  to the presale's customers only. The pool holds about what the three are expected to sell, so
  some pools sell out.
- **Nightly deposit presales of D**: ~1% more listings `DP-...` (closing D 20:00, ordering until
  D 12:00) with a buyers' group `DX-...` of their own, both in D's run.
- A presale line is ordered `deposit_paid`; most pay the balance later (a second version, `paid`,
  updated before the listing closes); ~12% never do (their deposit is forfeited). ~10% of a
  buyers' group's lines come from customers who did not buy the presale (`not_in_audience`).

Files: `master/pools.csv`; the presales' lines in `inbox/orders/orders-D-deposit-presale.parquet`
(both versions of each line), D's buyers' groups in `orders-D-buyers-group.csv` and S+1's in
`orders-D-next-buyers-group.csv`. These lines come on top of `orders` (3.7% more at 20,000, 0.6% at
200,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from synthetic.draws import epoch, format_local, numbered
from synthetic.master_data import Listings, stamp
from synthetic.orders import Buyers
from synthetic.shape import MEAN_QTY, ORDER_COLUMNS, WEEKLY_ORDER_SHARE, Calendar

POOL_LISTING_SHARE = 0.02
DEPOSIT_LISTING_SHARE = 0.01
RESERVE_SHARE = 0.20
DEPOSIT_SHARE = 0.20           # of the price
BALANCE_UNPAID_SHARE = 0.12
OUTSIDER_SHARE = 0.10
STORY_PRODUCT = "流心奶黄月饼礼盒"
PRESALE_COLUMNS = {"deposit_fen": pl.Int64, "deposit_closes_at": pl.String, "audience_listing_id": pl.String,
                   "pool_id": pl.String, "pool_reserve": pl.Int64}


@dataclass(frozen=True)
class Presales:
    listings: pl.DataFrame  # every listing of the data set, with the presale columns
    pools: pl.DataFrame     # pool_id, sku_id, units
    demand: pl.DataFrame    # per new listing: listing_id, kind (presale, group), lines, opens, closes (local)


def _price(prices: np.ndarray, factor: float) -> np.ndarray:
    return (np.ceil(prices * factor / 10) * 10).astype(np.int64)


def plan_presales(rng: np.random.Generator, products: pl.DataFrame, calendar: Calendar, listings: Listings,
                  lines: int) -> Presales:
    frame = listings.frame.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in PRESALE_COLUMNS.items())
    frame = frame.with_columns(pl.col("pool_reserve").fill_null(0))
    nightly = frame.head(listings.nightly)
    expected = listings.nightly_weights * lines * (1 - WEEKLY_ORDER_SHARE) * MEAN_QTY
    n_pools = max(1, round(POOL_LISTING_SHARE * listings.nightly))
    names = nightly.join(products.select("sku_id", "name"), on="sku_id", how="left")["name"].to_numpy()
    order = np.argsort(-expected, kind="stable")
    story = np.flatnonzero(names == STORY_PRODUCT)
    chosen = np.concatenate([story, rng.permutation(order[:max(4 * n_pools, n_pools)])])
    chosen = list(dict.fromkeys(chosen.tolist()))[:n_pools]  # the story's product first, then popular ones
    zone, sunday = calendar.zone, calendar.sunday
    next_close = datetime.combine(sunday + timedelta(days=1), calendar.closes.time())
    rows, pools, demand = [], [], []
    for k, index in enumerate(chosen, start=1):
        grp = nightly.row(index, named=True)
        group_units = max(3, int(expected[index]))
        reserve = max(1, int(round(RESERVE_SHARE * group_units / (1 - RESERVE_SHARE))))
        units = int(group_units * rng.uniform(0.85, 1.15)) + reserve + max(1, reserve // 2)
        pool_id = f"POOL-{k:03d}"
        pools.append({"pool_id": pool_id, "sku_id": grp["sku_id"], "units": units})
        frame = frame.with_columns(pl.when(pl.col("listing_id") == grp["listing_id"]).then(pl.lit(pool_id))
                                   .otherwise(pl.col("pool_id")).alias("pool_id"))
        price = int(_price(np.array([grp["unit_price_fen"]]), 0.92)[0])
        pre_id, exc_id = f"WP-{sunday:%Y%m%d}-{k:03d}", f"WX-{sunday:%Y%m%d}-{k:03d}"
        rows.append(_listing(pre_id, grp["sku_id"], "weekly", calendar.week_opens, calendar.week_closes, price,
                             zone, deposit=_deposit(price), deposit_closes=calendar.week_closes - timedelta(hours=4),
                             pool=pool_id, reserve=reserve))
        rows.append(_listing(exc_id, grp["sku_id"], "nightly", next_close - timedelta(days=1), next_close,
                             int(_price(np.array([price]), 0.95)[0]), zone, audience=pre_id, pool=pool_id))
        demand += [{"listing_id": pre_id, "kind": "presale", "lines": max(3, int(reserve * 1.4 / MEAN_QTY) + 2),
                    "opens": calendar.week_opens, "closes": calendar.closes, "due": calendar.week_closes,
                    "audience": None},
                   {"listing_id": exc_id, "kind": "group", "lines": max(3, int(reserve * 0.8 / MEAN_QTY) + 2),
                    "opens": next_close - timedelta(days=1), "closes": next_close, "due": next_close,
                    "audience": pre_id}]
    n_deposit = max(1, round(DEPOSIT_LISTING_SHARE * listings.nightly))
    for k, index in enumerate(rng.choice(listings.nightly, n_deposit, replace=False), start=1):
        base = nightly.row(int(index), named=True)
        dep_id, vip_id = f"DP-{calendar.cutoff_date:%Y%m%d}-{k:03d}", f"DX-{calendar.cutoff_date:%Y%m%d}-{k:03d}"
        opens = calendar.closes - timedelta(days=3)
        deposit_closes = datetime.combine(calendar.cutoff_date, datetime.min.time()) + timedelta(hours=12)
        price = int(_price(np.array([base["unit_price_fen"]]), 0.90)[0])
        rows.append(_listing(dep_id, base["sku_id"], "nightly", opens, calendar.closes, price, zone,
                             deposit=_deposit(price), deposit_closes=deposit_closes))
        rows.append(_listing(vip_id, base["sku_id"], "nightly", calendar.opens, calendar.closes,
                             int(_price(np.array([price]), 0.95)[0]), zone, audience=dep_id))
        size = max(4, int(expected[int(index)] * 0.5 / MEAN_QTY))
        demand += [{"listing_id": dep_id, "kind": "presale", "lines": size, "opens": opens,
                    "closes": deposit_closes, "due": calendar.closes, "audience": None},
                   {"listing_id": vip_id, "kind": "group", "lines": max(3, size // 2), "opens": deposit_closes,
                    "closes": calendar.closes, "due": calendar.closes, "audience": dep_id}]
    extra = pl.DataFrame(rows, schema=frame.schema, orient="row")
    return Presales(pl.concat([frame, extra]), pl.DataFrame(pools, schema={"pool_id": pl.String, "sku_id": pl.String,
                                                                          "units": pl.Int64}, orient="row"),
                    pl.DataFrame(demand, orient="row"))


def _deposit(price: int) -> int:
    return max(100, int(price * DEPOSIT_SHARE) // 100 * 100)


def _listing(listing_id: str, sku_id: str, calendar: str, opens: datetime, closes: datetime, price: int, zone,
             *, deposit=None, deposit_closes=None, audience=None, pool=None, reserve=0) -> dict:
    return {"listing_id": listing_id, "sku_id": sku_id, "calendar": calendar, "opens_at": stamp(opens, zone, False),
            "closes_at": stamp(closes, zone, False), "unit_price_fen": price, "tiers": None, "min_qty": 1,
            "group_scope": "platform", "stock_cap": None, "point_cap": None, "dist_l1_bp": 300, "dist_l2_bp": 100,
            "deposit_fen": deposit, "deposit_closes_at": stamp(deposit_closes, zone, False) if deposit_closes else None,
            "audience_listing_id": audience, "pool_id": pool, "pool_reserve": reserve}


def write_presale_orders(rng: np.random.Generator, data_dir: Path, calendar: Calendar, presales: Presales,
                         buyers: Buyers) -> tuple[dict, list[Path]]:
    """The presales' and buyers' groups' lines; returns counts and the files written."""
    prices = dict(zip(presales.listings["listing_id"], presales.listings["unit_price_fen"], strict=True))
    day = f"{calendar.cutoff_date:%Y%m%d}"
    presale_rows, groups_today, groups_next = [], [], []
    customers_of: dict[str, np.ndarray] = {}
    number = 0
    counts = {"presale_lines": 0, "presale_unpaid": 0, "buyers_group_lines": 0, "buyers_group_outsiders": 0}
    for spec in presales.demand.iter_rows(named=True):
        n = spec["lines"]
        if spec["kind"] == "presale":
            customer = rng.choice(buyers.customers.height, n, replace=n > buyers.customers.height)
            customers_of[spec["listing_id"]] = customer
            outsider = np.zeros(n, bool)
        else:
            own = customers_of[spec["audience"]]
            outsider = rng.random(n) < OUTSIDER_SHARE
            customer = np.where(outsider, rng.integers(0, buyers.customers.height, n), rng.choice(own, n))
        start, end = epoch(spec["opens"]), epoch(spec["closes"])
        created = start + rng.integers(1, max(2, end - start), n)
        lines = _lines(spec["listing_id"], customer, created, rng, buyers, prices[spec["listing_id"]],
                       numbered(f"O{day}-{'P' if spec['kind'] == 'presale' else 'G'}", number + np.arange(1, n + 1), 6))
        number += n
        if spec["kind"] == "presale":
            unpaid = rng.random(n) < BALANCE_UNPAID_SHARE
            paid_at = np.minimum(created + rng.integers(600, 48 * 3600, n), epoch(spec["due"]) - 60)  # before 尾款截止
            deposit = lines.with_columns(pl.lit("deposit_paid").alias("status"))
            balance = lines.filter(pl.Series(~unpaid)).with_columns(
                pl.lit("paid").alias("status"), format_local(pl.Series(paid_at[~unpaid])).alias("updated_at"))
            presale_rows += [deposit, balance]
            counts["presale_lines"] += n
            counts["presale_unpaid"] += int(unpaid.sum())
        else:
            (groups_next if spec["listing_id"].startswith("WX-") else groups_today).append(lines)
            counts["buyers_group_lines"] += n
            counts["buyers_group_outsiders"] += int(outsider.sum())
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    iso = calendar.cutoff_date.isoformat()
    for name, frames in ((f"orders-{iso}-deposit-presale.parquet", presale_rows),
                         (f"orders-{iso}-buyers-group.csv", groups_today),
                         (f"orders-{iso}-next-buyers-group.csv", groups_next)):
        if not frames:
            continue
        path = folder / name
        rows = pl.concat(frames).select(ORDER_COLUMNS)
        temporary = path.with_name(f".{path.name}.tmp")
        rows.write_parquet(temporary) if name.endswith(".parquet") else rows.write_csv(temporary)
        temporary.replace(path)
        files.append(path)
    return counts, files


def _lines(listing_id: str, customer: np.ndarray, created: np.ndarray, rng: np.random.Generator, buyers: Buyers,
           price: int, order_ids: pl.Series) -> pl.DataFrame:
    n = len(customer)
    people = buyers.customers.select(pl.all().gather(customer))
    stamps = format_local(pl.Series(created))
    return pl.DataFrame({
        "order_id": order_ids, "line_no": np.ones(n, np.int64), "listing_id": [listing_id] * n,
        **people.to_dict(), "pickup_point_id": buyers.point_ids.gather(buyers.home_point[customer]),
        "qty": rng.choice(3, n, p=(0.6, 0.3, 0.1)).astype(np.int64) + 1, "unit_price_fen": np.full(n, price),
        "status": ["paid"] * n, "distributor_id": pl.Series([None] * n, dtype=pl.String),
        "created_at": stamps, "updated_at": stamps})
