"""The master data besides the catalogue: pickup points on delivery routes (one team leader each),
distributors (an upline is always an older one: no cycle) and the listings of the cutoff date,
whose caps, tiers, minimums and scopes exercise every group rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from synthetic.catalogue import DISTRICTS
from synthetic.draws import LOCAL_FORMAT, number_ids, some, take, zipf_weights
from synthetic.shape import LISTED_SKU_SHARE, MEAN_QTY, WEEKLY_ORDER_SHARE, WEEKLY_SKU_SHARE, Calendar

CITY = "广州市"
ROADS = ("中山大道", "黄埔大道", "工业大道", "广州大道", "科韵路", "江南大道", "东风路", "迎宾路", "滨江路")
COMMUNITIES = ("幸福里", "锦绣", "阳光", "翠苑", "金沙", "碧桂", "华景", "丽江", "东山", "龙湖",
               "万科", "保利", "星河", "时代", "雅居", "南国", "富力", "君华", "珠江", "祈福")
COMMUNITY_SUFFIXES = ("小区", "花园", "新村", "家园", "公寓", "苑")
SHOPS = ("便利店", "水果店", "生鲜店", "超市", "快递驿站", "团长自提点", "烟酒店")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余叶程魏苏吕丁"
GIVEN_CHARS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建文辉丹玲鑫宇浩然欣怡涵轩诺琪思远雪婷颖斌峰"


@dataclass(frozen=True)
class Listings:
    """The listings, nightly first, with what the order generator needs to pick among them."""

    frame: pl.DataFrame
    nightly: int
    nightly_weights: np.ndarray
    weekly_weights: np.ndarray
    prices: np.ndarray


def make_pickup_points(rng: np.random.Generator, n: int, n_routes: int) -> pl.DataFrame:
    route = rng.permutation(np.arange(n) % n_routes)
    leader_bp = np.where(rng.random(n) < 0.05, rng.choice((1000, 1200, 1200), n), -1)
    return pl.DataFrame({
        "pickup_point_id": number_ids("P", n, 4),
        "name": [point_name(rng) for _ in range(n)],
        "address": [address(rng) for _ in range(n)],
        "leader_id": number_ids("T", n, 4),
        "leader_name": person_names(rng, n),
        "leader_phone": [phone(rng) for _ in range(n)],
        "route_id": number_ids("R", n_routes, 2).gather(route),
        "leader_bp": pl.Series(leader_bp).replace(-1, None),
    }).select(
        pl.exclude("leader_bp"),
        route_seq=pl.int_range(1, pl.len() + 1).over("route_id"),
        leader_bp=pl.col("leader_bp"),
    )


def point_name(rng: np.random.Generator) -> str:
    """e.g. 幸福里小区3栋便利店"""
    community = COMMUNITIES[rng.integers(len(COMMUNITIES))]
    suffix = COMMUNITY_SUFFIXES[rng.integers(len(COMMUNITY_SUFFIXES))]
    return f"{community}{suffix}{rng.integers(1, 31)}栋{SHOPS[rng.integers(len(SHOPS))]}"


def address(rng: np.random.Generator) -> str:
    district = DISTRICTS[rng.integers(len(DISTRICTS))]
    return f"{CITY}{district}{ROADS[rng.integers(len(ROADS))]}{rng.integers(1, 900)}号"


def phone(rng: np.random.Generator) -> str:
    return f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"


def make_distributors(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """~40% have no upline; the others' upline is a distributor with a smaller index (no cycle)."""
    has_upline = (rng.random(n) >= 0.40) & (np.arange(n) > 0)
    upline = (rng.random(n) * np.arange(n)).astype(np.int64)
    ids = number_ids("D", n, 3)
    return pl.DataFrame({
        "distributor_id": ids,
        "name": person_names(rng, n),
        "upline_id": take(ids, np.where(has_upline, upline, -1)),
    })


def person_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Chinese names of two or three characters, vectorised."""
    surname = pl.Series(list(SURNAMES)).gather(rng.integers(0, len(SURNAMES), n))
    given = pl.Series(list(GIVEN_CHARS))
    first = given.gather(rng.integers(0, len(GIVEN_CHARS), n))
    second = given.gather(rng.integers(0, len(GIVEN_CHARS), n))
    second = pl.select(pl.when(pl.Series(rng.random(n) < 0.6)).then(second).otherwise(pl.lit(""))).to_series()
    return pl.select(pl.concat_str(surname, first, second)).to_series()


def make_listings(rng: np.random.Generator, products: pl.DataFrame, calendar: Calendar, lines: int) -> Listings:
    """The nightly listings of D for ~80% of the SKUs, then weekly presale listings for ~5% more."""
    skus = rng.permutation(products.height)
    n_nightly = max(1, round(LISTED_SKU_SHARE * products.height))
    n_weekly = max(1, round(WEEKLY_SKU_SHARE * products.height))
    nightly_skus, weekly_skus = skus[:n_nightly], skus[n_nightly:n_nightly + n_weekly]
    nightly_weights, weekly_weights = zipf_weights(rng, n_nightly), zipf_weights(rng, n_weekly)
    nightly = listing_frame(
        rng, products, nightly_skus, calendar, "nightly", calendar.opens, calendar.closes,
        number_ids(f"L-{calendar.cutoff_date:%Y%m%d}-", n_nightly, 4),
        expected_units=nightly_weights * lines * (1 - WEEKLY_ORDER_SHARE) * MEAN_QTY,
    )
    weekly = listing_frame(
        rng, products, weekly_skus, calendar, "weekly", calendar.week_opens, calendar.week_closes,
        number_ids(f"W-{calendar.sunday:%Y%m%d}-", n_weekly, 4),
        expected_units=weekly_weights * lines * WEEKLY_ORDER_SHARE * MEAN_QTY,
    )
    frame = pl.concat([nightly, weekly])
    return Listings(frame, n_nightly, nightly_weights, weekly_weights, frame["unit_price_fen"].to_numpy())


def listing_frame(
    rng: np.random.Generator, products: pl.DataFrame, skus: np.ndarray, calendar: Calendar,
    calendar_name: str, opens: datetime, closes: datetime, ids: pl.Series, expected_units: np.ndarray,
) -> pl.DataFrame:
    n = len(skus)
    costs = products["cost_fen"].to_numpy()[skus]
    prices = sale_prices(rng, costs)
    with_offset = rng.random(n) < 0.5
    return pl.DataFrame({
        "listing_id": ids,
        "sku_id": products["sku_id"].gather(skus),
        "calendar": [calendar_name] * n,
        "opens_at": [stamp(opens, calendar.zone, bool(o)) for o in with_offset],
        "closes_at": [stamp(closes, calendar.zone, bool(o)) for o in with_offset],
        "unit_price_fen": prices,
        **group_rules(rng, prices, costs, expected_units),
    })


def sale_prices(rng: np.random.Generator, costs: np.ndarray) -> np.ndarray:
    """A 15-60% markup, rounded up to 10 fen: always above cost."""
    return (np.ceil(costs * rng.uniform(1.15, 1.60, len(costs)) / 10) * 10).astype(np.int64)


def group_rules(
    rng: np.random.Generator, prices: np.ndarray, costs: np.ndarray, expected_units: np.ndarray
) -> dict[str, pl.Series]:
    """Caps, tiers, group minimums and scopes, and distributor rates; every rule appears at least
    once. Caps are set near the expected demand, so some listings sell out."""
    n = len(prices)
    expected = np.maximum(expected_units, 1)
    stock_cap = np.where(some(rng, n, 0.15), np.maximum(1, expected * rng.uniform(0.5, 1.3, n)), -1)
    point_cap = np.where(some(rng, n, 0.05), rng.integers(2, 9, n), -1)
    tiered = some(rng, n, 0.10)
    tiers = [draw_tiers(rng, int(p), int(c)) if t else None for p, c, t in zip(prices, costs, tiered, strict=True)]
    min_qty = np.where(some(rng, n, 0.10), np.maximum(2, expected * rng.uniform(0.05, 0.3, n)), 1)
    unreachable = some(rng, n, 0.015)
    min_qty = np.where(unreachable, np.maximum(50, expected * 5), min_qty)
    scope = np.where(some(rng, n, 0.05), "pickup_point", "platform")
    return {
        "tiers": pl.Series(tiers, dtype=pl.String),
        "min_qty": pl.Series(min_qty.astype(np.int64)),
        "group_scope": pl.Series(scope),
        "stock_cap": pl.Series(stock_cap.astype(np.int64)).replace(-1, None),
        "point_cap": pl.Series(point_cap.astype(np.int64)).replace(-1, None),
        "dist_l1_bp": pl.Series(rng.choice((0, 300, 500), n, p=(0.3, 0.4, 0.3))),
        "dist_l2_bp": pl.Series(rng.choice((0, 100, 200), n, p=(0.4, 0.4, 0.2))),
    }


def draw_tiers(rng: np.random.Generator, price: int, cost: int) -> str:
    """e.g. `3:32800|10:30800`: the first tier at the listing's price, each higher one cheaper,
    and none at or below cost (a tier without room to be cheaper is left out)."""
    thresholds = [int(rng.choice((2, 3, 5))), int(rng.choice((10, 20, 30)))]
    if rng.random() < 0.3:
        thresholds.append(int(rng.choice((50, 100))))
    tier_prices = [price]
    for _ in thresholds[1:]:
        cheaper = max(cost + 10, int(tier_prices[-1] * rng.uniform(0.88, 0.96)) // 10 * 10)
        if cheaper >= tier_prices[-1]:
            break
        tier_prices.append(cheaper)
    return "|".join(f"{t}:{p}" for t, p in zip(thresholds, tier_prices, strict=False))


def stamp(local: datetime, zone: ZoneInfo, with_offset: bool) -> str:
    """`2026-11-20T20:00:00`, or with the zone's offset `2026-11-20T20:00:00+08:00`."""
    return local.replace(tzinfo=zone).isoformat() if with_offset else local.strftime(LOCAL_FORMAT)
