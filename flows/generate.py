"""A synthetic data set for demos and benchmarks (`cutoff generate`).

`generate_dataset` writes what a shop system would export for the nightly cutoff of date D, in
the formats of the data contract ("Inputs, under the data dir"):

    master/categories.csv       the eight categories (水果, 蔬菜, ...) and their leader rates
    master/suppliers.csv        Chinese company names; a few with two addresses, a few with none
    master/products.csv         SKUs built from a catalogue of items; ~10% rounded `down` to cases
    master/pickup_points.csv    pickup points on delivery routes, one team leader each
    master/distributors.csv     one per ~5 pickup points; an upline is always an older distributor
    master/listings.csv         the nightly listings of D (~80% of SKUs) and the weekly presale
                                listings of D's ISO week (~5% more SKUs)
    inbox/orders/orders-D-part001.csv ...   the bulk: UTF-8 CSV, appended chunk by chunk
    inbox/orders/orders-D-presale.parquet   the lines of weekly presale listings (~10%)
    inbox/orders/orders-D-late.jsonl        a late export: ~1% of the orders, in no other file
    inbox/orders/orders-D-cancellations.csv GB18030 (an Excel export): a later version of ~2% of
                                            the lines, `cancelled` (some `refunded`), updated later
    inbox/refunds/refunds-D.csv             after-sales refunds of ~0.2% of the lines

The shape of the orders. `orders` is the number of distinct order lines `(order_id, line_no)`;
the files hold a few more rows because of the later versions. An order has 1-4 lines with one
customer, pickup point and `created_at`. Customers live at a pickup point (5% order elsewhere);
pickup points are big and small (log-normal), listings popular or not (Zipf), quantities mostly
1-3. Nightly orders fall in the window (D-1 20:00, D 20:00] with an intraday shape (the evening
after the listings open, the rush before the cutoff, a night trough); 0.5% come a few minutes
after the close (the `after_close` rule). Weekly presale orders fall between Monday 00:00 of D's
week and D 20:00. Every order id carries D, the date of the export (`O20261121-000001`). 30% of
the orders came through a distributor's link. The listings exercise every group rule: stock and
per-point caps set near the expected demand (some sell out), price tiers, `min_qty` (a few too
high to form), pickup-point group scope, distributor rates.

Refunds. An after-sales refund usually concerns a line of an earlier cutoff, which this data set
does not hold. So the refunds here refer to lines of D itself and are created a few hours after
D's cutoff (D 20:00 + 10 min .. 8 h): they belong to the next nightly run (D+1), which sees the
lines of D already processed. Their amount is 10-90% of the line's paid amount; some lines end
up cut by the cutoff, so a few refunds are (realistically) rejected as data errors.

Sizes scale with `orders` along a power law through two anchors (20,000 and 1,000,000 lines:
200 and 5,000 pickup points, 10 and 100 routes, 20 and 200 suppliers, 150 and 2,000 SKUs), with
minimums for tiny sets. Everything comes from one `np.random.default_rng(seed)`, drawn in a fixed
order, so the same arguments give byte-identical files. Order lines are generated with numpy in
chunks of `CHUNK_ORDERS` orders and written chunk by chunk: memory stays flat in `orders`.
Timestamps are written as local time without an offset, except half the listings' opening and
closing instants, which carry the offset of `timezone` (both forms are in the contract).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyarrow.parquet as pq

# --- the catalogue -------------------------------------------------------------------------
# category, leader_bp, share of the SKUs, supplier name word
CATEGORIES = (
    ("水果", 1000, 0.22, "鲜果"),
    ("蔬菜", 800, 0.18, "蔬菜"),
    ("肉禽蛋", 600, 0.12, "肉食"),
    ("水产海鲜", 700, 0.10, "海产"),
    ("乳品烘焙", 800, 0.10, "乳业"),
    ("粮油调味", 500, 0.10, "粮油"),
    ("休闲零食", 1000, 0.10, "食品"),
    ("日用百货", 1200, 0.08, "日化"),
)
# category -> (item, unit, specs, (cost_fen low, high))
ITEMS = {
    "水果": (
        ("砂糖橘", "箱", ("5斤/箱", "3斤/箱"), (1500, 3500)),
        ("红富士苹果", "箱", ("5斤/箱", "10斤/箱"), (2000, 4500)),
        ("阳光玫瑰葡萄", "盒", ("2斤/盒", "1斤/盒"), (2000, 4500)),
        ("海南香蕉", "袋", ("3斤/袋",), (800, 1500)),
        ("赣南脐橙", "箱", ("5斤/箱", "10斤/箱"), (1800, 4000)),
        ("丹东草莓", "盒", ("500g/盒",), (2500, 5000)),
        ("麒麟西瓜", "个", ("约8斤/个",), (1500, 2800)),
        ("红心火龙果", "箱", ("4个/箱",), (1500, 3000)),
        ("云南蓝莓", "盒", ("125g/盒",), (900, 1800)),
    ),
    "蔬菜": (
        ("西红柿", "份", ("500g/份",), (300, 700)),
        ("上海青", "份", ("500g/份",), (200, 500)),
        ("土豆", "袋", ("2.5kg/袋",), (500, 1000)),
        ("西兰花", "个", ("约400g/个",), (300, 700)),
        ("胡萝卜", "袋", ("1kg/袋",), (300, 600)),
        ("娃娃菜", "袋", ("3颗/袋",), (400, 800)),
        ("香菇", "盒", ("250g/盒",), (500, 1000)),
        ("甜玉米", "袋", ("4根/袋",), (600, 1200)),
    ),
    "肉禽蛋": (
        ("土鸡蛋", "盒", ("30枚/盒", "15枚/盒"), (1200, 2800)),
        ("黑猪五花肉", "盒", ("500g/盒",), (1800, 3200)),
        ("冷鲜鸡翅中", "袋", ("1kg/袋",), (3000, 5000)),
        ("牛腩块", "袋", ("500g/袋",), (3500, 5500)),
        ("猪肋排", "盒", ("500g/盒",), (2500, 4000)),
        ("三黄鸡", "只", ("约1.2kg/只",), (2500, 4000)),
    ),
    "水产海鲜": (
        ("鲜活基围虾", "盒", ("500g/盒",), (3000, 5500)),
        ("大闸蟹", "盒", ("4只/盒", "8只/盒"), (8000, 20000)),
        ("冷冻带鱼段", "袋", ("1kg/袋",), (2500, 4500)),
        ("巴沙鱼柳", "袋", ("1kg/袋",), (1500, 2800)),
        ("鲜活鲈鱼", "条", ("约1斤/条",), (1500, 2800)),
        ("扇贝肉", "袋", ("500g/袋",), (2000, 3500)),
    ),
    "乳品烘焙": (
        ("纯牛奶", "箱", ("250ml*12盒/箱",), (3000, 5000)),
        ("原味酸奶", "瓶", ("1kg/瓶",), (1000, 1800)),
        ("全麦吐司", "袋", ("400g/袋",), (600, 1200)),
        ("鲜奶小方", "盒", ("6个/盒",), (1200, 2200)),
        ("流心奶黄月饼礼盒", "盒", ("6枚/盒",), (15000, 28000)),
    ),
    "粮油调味": (
        ("东北大米", "袋", ("5kg/袋", "10kg/袋"), (2500, 6000)),
        ("花生油", "桶", ("5L/桶",), (6000, 9000)),
        ("特级生抽", "瓶", ("500ml/瓶",), (600, 1200)),
        ("鸡蛋挂面", "袋", ("1kg/袋",), (500, 1000)),
        ("黄小米", "袋", ("2.5kg/袋",), (1500, 2500)),
    ),
    "休闲零食": (
        ("每日坚果", "盒", ("30包/盒",), (4000, 7000)),
        ("手撕面包", "箱", ("1kg/箱",), (1200, 2000)),
        ("海苔脆", "袋", ("100g/袋",), (500, 1000)),
        ("牛肉干", "袋", ("250g/袋",), (2000, 3500)),
        ("薯片", "袋", ("70g/袋",), (300, 600)),
    ),
    "日用百货": (
        ("抽纸", "提", ("6包/提",), (1000, 1800)),
        ("洗衣液", "瓶", ("2kg/瓶",), (1500, 2800)),
        ("厨房湿巾", "包", ("80片/包",), (500, 1000)),
        ("垃圾袋", "卷", ("100只/卷",), (300, 700)),
        ("洗洁精", "瓶", ("1.5kg/瓶",), (800, 1500)),
    ),
}
PRODUCT_PREFIXES = ("精品", "新鲜", "产地直发", "特级", "农家", "有机", "优选", "当季", "严选", "")
CASE_PACKS = (1, 1, 1, 6, 10, 12, 24)

# --- people and places ---------------------------------------------------------------------
SUPPLIER_CITIES = ("广州", "深圳", "佛山", "东莞", "惠州", "中山", "珠海", "江门", "湛江", "昆明", "长沙", "厦门")
SUPPLIER_KINDS = ("供应链有限公司", "贸易有限公司", "商贸有限公司", "农业科技有限公司", "食品有限公司")
SUPPLIER_MINIMUMS_FEN = (0, 0, 0, 20000, 50000, 100000)
DELIVERY_WINDOWS = ("次日 05:00-07:00", "次日 06:00-08:00", "次日 04:30-06:30", "次日 07:00-09:00")
CITY = "广州市"
DISTRICTS = ("天河区", "海珠区", "越秀区", "荔湾区", "白云区", "番禺区", "黄埔区", "花都区")
ROADS = ("中山大道", "黄埔大道", "工业大道", "广州大道", "科韵路", "江南大道", "东风路", "迎宾路", "滨江路")
COMMUNITIES = ("幸福里", "锦绣", "阳光", "翠苑", "金沙", "碧桂", "华景", "丽江", "东山", "龙湖",
               "万科", "保利", "星河", "时代", "雅居", "南国", "富力", "君华", "珠江", "祈福")
COMMUNITY_SUFFIXES = ("小区", "花园", "新村", "家园", "公寓", "苑")
SHOPS = ("便利店", "水果店", "生鲜店", "超市", "快递驿站", "团长自提点", "烟酒店")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余叶程魏苏吕丁"
GIVEN_CHARS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建文辉丹玲鑫宇浩然欣怡涵轩诺琪思远雪婷颖斌峰"
REFUND_REASONS = ("坏果", "少件", "破损", "变质", "漏发", "规格不符")

# --- the shape of the orders ---------------------------------------------------------------
CHUNK_ORDERS = 250_000  # orders per generated chunk (about 450,000 lines)
CHUNKS_PER_PART = 4  # chunks appended to one CSV part file
LINES_PER_ORDER_P = (0.50, 0.27, 0.15, 0.08)  # 1..4 lines
QTY_P = (0.55, 0.22, 0.10, 0.04, 0.03, 0.02, 0.01, 0.01, 0.005, 0.015)  # 1..10 units
MEAN_QTY = sum((k + 1) * p for k, p in enumerate(QTY_P))
# relative order rate by clock hour 0..23: a night trough, lunch, the rush before the 20:00
# cutoff and the evening peak when the new listings open
HOURLY_ORDER_RATE = (1.5, 0.8, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 3.8, 4.0, 4.5,
                     5.0, 4.2, 3.6, 3.6, 4.0, 4.8, 5.5, 7.0, 9.0, 8.5, 6.5, 3.5)
WEEKLY_ORDER_SHARE = 0.10
LATE_ORDER_SHARE = 0.01
AFTER_CLOSE_ORDER_SHARE = 0.005
AWAY_FROM_HOME_SHARE = 0.05
DISTRIBUTOR_ORDER_SHARE = 0.30
CHANGED_LINE_SHARE = 0.02  # lines with a later version in the cancellations file
REFUNDED_SHARE_OF_CHANGED = 0.10  # of those, refunded by the shop rather than cancelled
REFUND_LINE_SHARE = 0.002
LISTED_SKU_SHARE = 0.80
WEEKLY_SKU_SHARE = 0.05

ORDER_COLUMNS = ("order_id", "line_no", "listing_id", "customer_id", "customer_name", "phone_tail",
                 "pickup_point_id", "qty", "unit_price_fen", "status", "distributor_id",
                 "created_at", "updated_at")
REFUND_COLUMNS = ("refund_id", "order_id", "line_no", "amount_fen", "reason", "created_at")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class _Sizes:
    """How many of each entity a data set of `lines` order lines has."""

    suppliers: int
    skus: int
    pickup_points: int
    routes: int
    distributors: int
    customers: int

    @classmethod
    def for_lines(cls, lines: int) -> _Sizes:
        pickup_points = _scaled(lines, 200, 5000, minimum=10)
        return cls(
            suppliers=_scaled(lines, 20, 200, minimum=len(CATEGORIES)),
            skus=_scaled(lines, 150, 2000, minimum=30),
            pickup_points=pickup_points,
            routes=min(pickup_points, _scaled(lines, 10, 100, minimum=2)),
            distributors=max(3, pickup_points // 5),
            customers=max(30, lines // 3),
        )


def _scaled(lines: int, at_20k: int, at_1m: int, *, minimum: int) -> int:
    """A power law through (20,000 -> at_20k) and (1,000,000 -> at_1m)."""
    exponent = math.log(at_1m / at_20k) / math.log(50)
    return max(minimum, round(at_1m * (lines / 1_000_000) ** exponent))


@dataclass(frozen=True)
class _Calendar:
    """The instants of cutoff date D, as local (naive) datetimes, and the business zone."""

    cutoff_date: date
    opens: datetime  # D-1 at the nightly time
    closes: datetime  # D at the nightly time: the cutoff instant
    week_opens: datetime  # Monday 00:00 of D's ISO week
    week_closes: datetime  # Sunday 24:00, written as the next Monday 00:00
    zone: ZoneInfo

    @classmethod
    def of(cls, cutoff_date: date, nightly_at: time, zone: ZoneInfo) -> _Calendar:
        monday = cutoff_date - timedelta(days=cutoff_date.weekday())
        return cls(
            cutoff_date=cutoff_date,
            opens=datetime.combine(cutoff_date - timedelta(days=1), nightly_at),
            closes=datetime.combine(cutoff_date, nightly_at),
            week_opens=datetime.combine(monday, time()),
            week_closes=datetime.combine(monday + timedelta(days=7), time()),
            zone=zone,
        )

    @property
    def sunday(self) -> date:
        return self.week_closes.date() - timedelta(days=1)


@dataclass(frozen=True)
class _Listings:
    """The listings, nightly first, with what the order generator needs to pick among them."""

    frame: pl.DataFrame
    nightly: int
    nightly_weights: np.ndarray
    weekly_weights: np.ndarray
    prices: np.ndarray


@dataclass(frozen=True)
class _Buyers:
    """Who orders where: customers at their home pickup points, and the distributors' links."""

    customers: pl.DataFrame  # customer_id, customer_name, phone_tail
    home_point: np.ndarray
    point_ids: pl.Series
    point_weights: np.ndarray
    distributor_ids: pl.Series
    distributor_weights: np.ndarray


# --- the entry point -----------------------------------------------------------------------
def generate_dataset(
    data_dir: Path,
    orders: int,
    cutoff_date: date,
    seed: int,
    *,
    timezone: str = "Asia/Shanghai",
    nightly_at: time = time(20, 0),
) -> dict:
    """Write a synthetic data set of `orders` order lines for the nightly cutoff of `cutoff_date`
    under `data_dir`; return its counts and its files (POSIX paths relative to `data_dir`).

    `orders` counts distinct lines `(order_id, line_no)`; `order_rows` adds their later versions.
    This date's generated order and refund files are replaced; other files are left alone."""
    if orders < 1:
        raise ValueError(f"orders must be at least 1, not {orders}")
    data_dir = Path(data_dir)
    rng = np.random.default_rng(seed)
    sizes = _Sizes.for_lines(orders)
    calendar = _Calendar.of(cutoff_date, nightly_at, ZoneInfo(timezone))

    suppliers = _suppliers(rng, sizes.suppliers)
    products = _products(rng, sizes.skus, sizes.suppliers)
    points = _pickup_points(rng, sizes.pickup_points, sizes.routes)
    distributors = _distributors(rng, sizes.distributors)
    listings = _listings(rng, products, calendar, orders)
    masters = {
        "categories": _categories(), "suppliers": suppliers, "products": products,
        "pickup_points": points, "distributors": distributors, "listings": listings.frame,
    }
    files = [_write_csv(frame, data_dir / "master" / f"{name}.csv") for name, frame in masters.items()]

    buyers = _buyers(rng, sizes, points, distributors)
    order_counts, order_files = _write_orders(rng, data_dir, calendar, listings, buyers, orders)
    return {
        **order_counts,
        "suppliers": suppliers.height,
        "products": products.height,
        "categories": len(CATEGORIES),
        "pickup_points": points.height,
        "routes": points["route_id"].n_unique(),
        "distributors": distributors.height,
        "customers": sizes.customers,
        "listings_nightly": listings.nightly,
        "listings_weekly": listings.frame.height - listings.nightly,
        "files": sorted(path.relative_to(data_dir).as_posix() for path in files + order_files),
    }


# --- master data ---------------------------------------------------------------------------
def _categories() -> pl.DataFrame:
    return pl.DataFrame({
        "category": [name for name, *_ in CATEGORIES],
        "leader_bp": [bp for _, bp, *_ in CATEGORIES],
    })


def _supplier_category(supplier: int) -> int:
    """Suppliers specialise: supplier i deals in category i mod 8."""
    return supplier % len(CATEGORIES)


def _suppliers(rng: np.random.Generator, n: int) -> pl.DataFrame:
    ids = _ids("S", n, 3)
    return pl.DataFrame({
        "supplier_id": ids,
        "name": [_supplier_name(i) for i in range(n)],
        "email": [_supplier_email(i, supplier_id) for i, supplier_id in enumerate(ids.to_list())],
        "min_order_fen": rng.choice(SUPPLIER_MINIMUMS_FEN, n),
        "delivery_window": rng.choice(DELIVERY_WINDOWS, n),
    })


def _supplier_name(i: int) -> str:
    """Unique per supplier: a city, the category's word and a company kind, then a branch."""
    category = _supplier_category(i)
    j = i // len(CATEGORIES)
    city = SUPPLIER_CITIES[j % len(SUPPLIER_CITIES)]
    kind = SUPPLIER_KINDS[j // len(SUPPLIER_CITIES) % len(SUPPLIER_KINDS)]
    branch = j // (len(SUPPLIER_CITIES) * len(SUPPLIER_KINDS))
    suffix = f"{DISTRICTS[branch % len(DISTRICTS)]}{branch}分公司" if branch else ""
    return f"{city}{CATEGORIES[category][3]}{kind}{suffix}"


def _supplier_email(i: int, supplier_id: str) -> str | None:
    """One address for most; two for every tenth supplier; none for one in twenty-five."""
    mailbox = supplier_id.lower()
    if i % 25 == 4:
        return None
    if i % 10 == 7:
        return f"{mailbox}@supplier.example.com;{mailbox}.sales@supplier.example.com"
    return f"{mailbox}@supplier.example.com"


def _products(rng: np.random.Generator, n: int, n_suppliers: int) -> pl.DataFrame:
    shares = np.array([share for _, _, share, _ in CATEGORIES])
    categories = rng.choice(len(CATEGORIES), n, p=shares / shares.sum())
    suppliers_of = [np.arange(c, n_suppliers, len(CATEGORIES)) for c in range(len(CATEGORIES))]
    rows = [_product(rng, int(c), suppliers_of[c]) for c in categories]
    frame = pl.DataFrame(rows, schema=["name", "spec", "unit", "category", "supplier", "cost_fen"], orient="row")
    return frame.select(
        _ids("SKU", n, 4).alias("sku_id"),
        "name", "spec", "unit", "category",
        _ids("S", n_suppliers, 3).gather(frame["supplier"]).alias("supplier_id"),
        "cost_fen",
        pl.Series("case_pack", rng.choice(CASE_PACKS, n)),
        pl.Series("case_rounding", np.where(rng.random(n) < 0.10, "down", "up")),
    )


def _product(rng: np.random.Generator, category: int, suppliers: np.ndarray) -> tuple:
    """One SKU of a category: e.g. 精品砂糖橘5斤装, spec 5斤/箱, unit 箱."""
    category_name = CATEGORIES[category][0]
    item, unit, specs, (low, high) = ITEMS[category_name][rng.integers(len(ITEMS[category_name]))]
    spec = specs[rng.integers(len(specs))]
    prefix = PRODUCT_PREFIXES[rng.integers(len(PRODUCT_PREFIXES))]
    pack = spec.split("/")[0]
    name = f"{prefix}{item}{pack}装" if pack[0].isdigit() else f"{prefix}{item}"
    cost_fen = int(rng.integers(low, high + 1)) // 10 * 10
    return name, spec, unit, category_name, int(suppliers[rng.integers(len(suppliers))]), cost_fen


def _pickup_points(rng: np.random.Generator, n: int, n_routes: int) -> pl.DataFrame:
    route = rng.permutation(np.arange(n) % n_routes)
    leader_bp = np.where(rng.random(n) < 0.05, rng.choice((1000, 1200, 1200), n), -1)
    return pl.DataFrame({
        "pickup_point_id": _ids("P", n, 4),
        "name": [_point_name(rng) for _ in range(n)],
        "address": [_address(rng) for _ in range(n)],
        "leader_id": _ids("T", n, 4),
        "leader_name": _person_names(rng, n),
        "leader_phone": [_phone(rng) for _ in range(n)],
        "route_id": _ids("R", n_routes, 2).gather(route),
        "leader_bp": pl.Series(leader_bp).replace(-1, None),
    }).select(
        pl.exclude("leader_bp"),
        route_seq=pl.int_range(1, pl.len() + 1).over("route_id"),
        leader_bp=pl.col("leader_bp"),
    )


def _point_name(rng: np.random.Generator) -> str:
    """e.g. 幸福里小区3栋便利店"""
    community = COMMUNITIES[rng.integers(len(COMMUNITIES))]
    suffix = COMMUNITY_SUFFIXES[rng.integers(len(COMMUNITY_SUFFIXES))]
    return f"{community}{suffix}{rng.integers(1, 31)}栋{SHOPS[rng.integers(len(SHOPS))]}"


def _address(rng: np.random.Generator) -> str:
    district = DISTRICTS[rng.integers(len(DISTRICTS))]
    return f"{CITY}{district}{ROADS[rng.integers(len(ROADS))]}{rng.integers(1, 900)}号"


def _phone(rng: np.random.Generator) -> str:
    return f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"


def _distributors(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """~40% have no upline; the others' upline is a distributor with a smaller index (no cycle)."""
    has_upline = (rng.random(n) >= 0.40) & (np.arange(n) > 0)
    upline = (rng.random(n) * np.arange(n)).astype(np.int64)
    ids = _ids("D", n, 3)
    return pl.DataFrame({
        "distributor_id": ids,
        "name": _person_names(rng, n),
        "upline_id": _take(ids, np.where(has_upline, upline, -1)),
    })


def _person_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Chinese names of two or three characters, vectorised."""
    surname = pl.Series(list(SURNAMES)).gather(rng.integers(0, len(SURNAMES), n))
    given = pl.Series(list(GIVEN_CHARS))
    first = given.gather(rng.integers(0, len(GIVEN_CHARS), n))
    second = given.gather(rng.integers(0, len(GIVEN_CHARS), n))
    second = pl.select(pl.when(pl.Series(rng.random(n) < 0.6)).then(second).otherwise(pl.lit(""))).to_series()
    return pl.select(pl.concat_str(surname, first, second)).to_series()


# --- listings ------------------------------------------------------------------------------
def _listings(rng: np.random.Generator, products: pl.DataFrame, calendar: _Calendar, lines: int) -> _Listings:
    """The nightly listings of D for ~80% of the SKUs, then weekly presale listings for ~5% more."""
    skus = rng.permutation(products.height)
    n_nightly = max(1, round(LISTED_SKU_SHARE * products.height))
    n_weekly = max(1, round(WEEKLY_SKU_SHARE * products.height))
    nightly_skus, weekly_skus = skus[:n_nightly], skus[n_nightly:n_nightly + n_weekly]
    nightly_weights, weekly_weights = _zipf_weights(rng, n_nightly), _zipf_weights(rng, n_weekly)
    nightly = _listing_frame(
        rng, products, nightly_skus, calendar, "nightly", calendar.opens, calendar.closes,
        _ids(f"L-{calendar.cutoff_date:%Y%m%d}-", n_nightly, 4),
        expected_units=nightly_weights * lines * (1 - WEEKLY_ORDER_SHARE) * MEAN_QTY,
    )
    weekly = _listing_frame(
        rng, products, weekly_skus, calendar, "weekly", calendar.week_opens, calendar.week_closes,
        _ids(f"W-{calendar.sunday:%Y%m%d}-", n_weekly, 4),
        expected_units=weekly_weights * lines * WEEKLY_ORDER_SHARE * MEAN_QTY,
    )
    frame = pl.concat([nightly, weekly])
    return _Listings(frame, n_nightly, nightly_weights, weekly_weights, frame["unit_price_fen"].to_numpy())


def _listing_frame(
    rng: np.random.Generator, products: pl.DataFrame, skus: np.ndarray, calendar: _Calendar,
    calendar_name: str, opens: datetime, closes: datetime, ids: pl.Series, expected_units: np.ndarray,
) -> pl.DataFrame:
    n = len(skus)
    costs = products["cost_fen"].to_numpy()[skus]
    prices = _sale_prices(rng, costs)
    with_offset = rng.random(n) < 0.5
    return pl.DataFrame({
        "listing_id": ids,
        "sku_id": products["sku_id"].gather(skus),
        "calendar": [calendar_name] * n,
        "opens_at": [_stamp(opens, calendar.zone, bool(o)) for o in with_offset],
        "closes_at": [_stamp(closes, calendar.zone, bool(o)) for o in with_offset],
        "unit_price_fen": prices,
        **_group_rules(rng, prices, costs, expected_units),
    })


def _sale_prices(rng: np.random.Generator, costs: np.ndarray) -> np.ndarray:
    """A 15-60% markup, rounded up to 10 fen: always above cost."""
    return (np.ceil(costs * rng.uniform(1.15, 1.60, len(costs)) / 10) * 10).astype(np.int64)


def _group_rules(
    rng: np.random.Generator, prices: np.ndarray, costs: np.ndarray, expected_units: np.ndarray
) -> dict[str, pl.Series]:
    """Caps, tiers, group minimums and scopes, and distributor rates; every rule appears at least
    once. Caps are set near the expected demand, so some listings sell out."""
    n = len(prices)
    expected = np.maximum(expected_units, 1)
    stock_cap = np.where(_some(rng, n, 0.15), np.maximum(1, expected * rng.uniform(0.5, 1.3, n)), -1)
    point_cap = np.where(_some(rng, n, 0.05), rng.integers(2, 9, n), -1)
    tiered = _some(rng, n, 0.10)
    tiers = [_tiers(rng, int(p), int(c)) if t else None for p, c, t in zip(prices, costs, tiered)]
    min_qty = np.where(_some(rng, n, 0.10), np.maximum(2, expected * rng.uniform(0.05, 0.3, n)), 1)
    unreachable = _some(rng, n, 0.015)
    min_qty = np.where(unreachable, np.maximum(50, expected * 5), min_qty)
    scope = np.where(_some(rng, n, 0.05), "pickup_point", "platform")
    return {
        "tiers": pl.Series(tiers, dtype=pl.String),
        "min_qty": pl.Series(min_qty.astype(np.int64)),
        "group_scope": pl.Series(scope),
        "stock_cap": pl.Series(stock_cap.astype(np.int64)).replace(-1, None),
        "point_cap": pl.Series(point_cap.astype(np.int64)).replace(-1, None),
        "dist_l1_bp": pl.Series(rng.choice((0, 300, 500), n, p=(0.3, 0.4, 0.3))),
        "dist_l2_bp": pl.Series(rng.choice((0, 100, 200), n, p=(0.4, 0.4, 0.2))),
    }


def _tiers(rng: np.random.Generator, price: int, cost: int) -> str:
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
    return "|".join(f"{t}:{p}" for t, p in zip(thresholds, tier_prices))


def _stamp(local: datetime, zone: ZoneInfo, with_offset: bool) -> str:
    """`2026-11-20T20:00:00`, or with the zone's offset `2026-11-20T20:00:00+08:00`."""
    return local.replace(tzinfo=zone).isoformat() if with_offset else local.strftime(LOCAL_FORMAT)


# --- who orders ----------------------------------------------------------------------------
def _buyers(rng: np.random.Generator, sizes: _Sizes, points: pl.DataFrame, distributors: pl.DataFrame) -> _Buyers:
    """Customers live at pickup points of log-normal sizes; a few distributors sell the most."""
    point_weights = rng.lognormal(0.0, 1.0, sizes.pickup_points)
    point_weights /= point_weights.sum()
    customers = pl.DataFrame({
        "customer_id": _ids("C", sizes.customers, 6),
        "customer_name": _person_names(rng, sizes.customers),
        "phone_tail": pl.Series(rng.integers(0, 10_000, sizes.customers)).cast(pl.String).str.zfill(4),
    })
    return _Buyers(
        customers=customers,
        home_point=rng.choice(sizes.pickup_points, sizes.customers, p=point_weights),
        point_ids=points["pickup_point_id"],
        point_weights=point_weights,
        distributor_ids=distributors["distributor_id"],
        distributor_weights=_zipf_weights(rng, sizes.distributors),
    )


# --- order lines ---------------------------------------------------------------------------
def _write_orders(
    rng: np.random.Generator, data_dir: Path, calendar: _Calendar, listings: _Listings,
    buyers: _Buyers, lines: int,
) -> tuple[dict, list[Path]]:
    """Generate the order lines chunk by chunk into the order exports, then the refunds."""
    sizes = _order_sizes(rng, lines)
    order_width = max(6, len(str(len(sizes))))
    counts = {"orders": lines, "order_ids": len(sizes), "order_rows": 0, "changed_lines": 0, "after_close": 0}
    refund_requests = []
    with _OrderExports(data_dir / "inbox" / "orders", calendar.cutoff_date) as exports:
        for chunk, first in enumerate(range(0, len(sizes), CHUNK_ORDERS)):
            chunk_sizes = sizes[first:first + CHUNK_ORDERS]
            order_lines = _order_lines(rng, calendar, listings, buyers, first, chunk_sizes, order_width)
            later = _later_versions(rng, order_lines)
            exports.write(chunk, order_lines, later)
            refund_requests.append(_refund_requests(rng, order_lines, calendar))
            counts["order_rows"] += order_lines.height + later.height
            counts["changed_lines"] += later.height
            counts["after_close"] += int(order_lines["_after_close"].sum())
    refunds = _refunds(pl.concat(refund_requests), calendar)
    counts["refunds"] = refunds.height
    refunds_file = _write_csv(refunds, data_dir / "inbox" / "refunds" / f"refunds-{calendar.cutoff_date}.csv")
    return counts, exports.files + [refunds_file]


def _order_sizes(rng: np.random.Generator, lines: int) -> np.ndarray:
    """Lines per order (1-4), trimmed so they add up to `lines` exactly."""
    n = int(lines / 1.8 * 1.2) + 20
    sizes = rng.choice(len(LINES_PER_ORDER_P), n, p=LINES_PER_ORDER_P).astype(np.int64) + 1
    total = np.cumsum(sizes)
    if total[-1] < lines:  # practically never: pad with one-line orders
        sizes = np.concatenate([sizes, np.ones(lines - total[-1], np.int64)])
        total = np.cumsum(sizes)
    last = int(np.searchsorted(total, lines))
    sizes = sizes[:last + 1]
    sizes[-1] -= total[last] - lines
    return sizes


def _order_lines(
    rng: np.random.Generator, calendar: _Calendar, listings: _Listings, buyers: _Buyers,
    first_order: int, sizes: np.ndarray, order_width: int,
) -> pl.DataFrame:
    """One chunk of orders, one row per line: the contract's columns, plus private flags
    (`_weekly`, `_late`, `_after_close`, `_changed`, `_refund`) and `_created` (local epoch s)."""
    n = len(sizes)
    customer = rng.integers(0, buyers.customers.height, n)
    away = rng.random(n) < AWAY_FROM_HOME_SHARE
    point = np.where(away, rng.choice(len(buyers.point_weights), n, p=buyers.point_weights),
                     buyers.home_point[customer])
    weekly = rng.random(n) < WEEKLY_ORDER_SHARE
    after_close = ~weekly & (rng.random(n) < AFTER_CLOSE_ORDER_SHARE)
    created = _created_at(rng, calendar, weekly, after_close)
    referred = rng.random(n) < DISTRIBUTOR_ORDER_SHARE
    n_distributors = len(buyers.distributor_weights)
    distributor = np.where(referred, rng.choice(n_distributors, n, p=buyers.distributor_weights), -1)
    late = rng.random(n) < LATE_ORDER_SHARE

    order = np.repeat(np.arange(n), sizes)  # the order of each line
    line_no = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    listing = _pick_listings(rng, listings, weekly[order])
    qty = rng.choice(len(QTY_P), len(order), p=QTY_P) + 1
    changed = rng.random(len(order)) < CHANGED_LINE_SHARE
    refund = ~changed & ~weekly[order] & ~after_close[order] & (rng.random(len(order)) < REFUND_LINE_SHARE)
    created_at = _format_local(pl.Series(created[order]))

    customers = buyers.customers.select(pl.all().gather(customer[order]))
    return pl.DataFrame({
        "order_id": _order_ids(calendar.cutoff_date, first_order + order + 1, order_width),
        "line_no": line_no,
        "listing_id": listings.frame["listing_id"].gather(listing),
        **customers.to_dict(),
        "pickup_point_id": buyers.point_ids.gather(point[order]),
        "qty": qty.astype(np.int64),
        "unit_price_fen": listings.prices[listing],
        "status": pl.repeat("paid", len(order), eager=True),
        "distributor_id": _take(buyers.distributor_ids, distributor[order]),
        "created_at": created_at,
        "updated_at": created_at,
        "_created": created[order],
        "_weekly": weekly[order],
        "_late": late[order],
        "_after_close": after_close[order],
        "_changed": changed,
        "_refund": refund,
    })


def _order_ids(day: date, numbers: np.ndarray, width: int) -> pl.Series:
    """`O20261121-000001`: the export date and a running number, zero-padded to `width`."""
    return _numbered(f"O{day:%Y%m%d}-", numbers, width)


def _created_at(
    rng: np.random.Generator, calendar: _Calendar, weekly: np.ndarray, after_close: np.ndarray
) -> np.ndarray:
    """Local epoch seconds: nightly orders in (opens, closes] by the hourly rate, after-close ones
    30 s to 10 min past the close, weekly ones uniform from Monday 00:00 to the close of D."""
    n = len(weekly)
    clock_hours = (calendar.opens.hour + np.arange(24)) % 24
    rates = np.array(HOURLY_ORDER_RATE)[clock_hours]
    hour = rng.choice(24, n, p=rates / rates.sum())
    nightly = _epoch(calendar.opens) + hour * 3600 + rng.integers(1, 3601, n)
    late = _epoch(calendar.closes) + rng.integers(30, 601, n)
    week_span = max(1, _epoch(calendar.closes) - _epoch(calendar.week_opens))
    presale = _epoch(calendar.week_opens) + rng.integers(1, week_span + 1, n)
    return np.where(weekly, presale, np.where(after_close, late, nightly))


def _pick_listings(rng: np.random.Generator, listings: _Listings, weekly: np.ndarray) -> np.ndarray:
    """A nightly or weekly listing per line, the popular ones more often."""
    picked = np.empty(len(weekly), np.int64)
    picked[~weekly] = rng.choice(listings.nightly, int((~weekly).sum()), p=listings.nightly_weights)
    n_weekly = len(listings.weekly_weights)
    picked[weekly] = listings.nightly + rng.choice(n_weekly, int(weekly.sum()), p=listings.weekly_weights)
    return picked


def _later_versions(rng: np.random.Generator, order_lines: pl.DataFrame) -> pl.DataFrame:
    """The later version of the `_changed` lines: cancelled (or refunded by the shop) 1 min to
    3 h after it was placed."""
    n = order_lines.height
    refunded = rng.random(n) < REFUNDED_SHARE_OF_CHANGED
    updated = order_lines["_created"].to_numpy() + rng.integers(60, 3 * 3600, n)
    return (
        order_lines.with_columns(_refunded=pl.Series(refunded), _updated=pl.Series(updated))
        .filter("_changed")
        .with_columns(
            status=pl.when("_refunded").then(pl.lit("refunded")).otherwise(pl.lit("cancelled")),
            updated_at=_format_local(pl.col("_updated")),
        )
        .select(ORDER_COLUMNS)
    )


def _refund_requests(rng: np.random.Generator, order_lines: pl.DataFrame, calendar: _Calendar) -> pl.DataFrame:
    """After-sales refunds of the `_refund` lines: 10-90% of what was paid, created 10 min to 8 h
    after the cutoff. Ids are given later, in time order."""
    n = order_lines.height
    share = rng.uniform(0.10, 0.90, n)
    reason = rng.integers(0, len(REFUND_REASONS), n)
    created = _epoch(calendar.closes) + rng.integers(600, 8 * 3600, n)
    paid = pl.col("qty") * pl.col("unit_price_fen")
    return order_lines.select(
        "order_id", "line_no", "_refund",
        amount_fen=pl.max_horizontal(pl.lit(1), (paid * pl.Series(share)).floor().cast(pl.Int64)),
        _reason=pl.Series(reason),
        _created=pl.Series(created),
    ).filter("_refund").select(
        pl.exclude("_refund", "_reason"),
        reason=pl.lit(pl.Series(REFUND_REASONS)).gather("_reason"),
    )


def _refunds(requests: pl.DataFrame, calendar: _Calendar) -> pl.DataFrame:
    """Number the refunds in time order: `RF20261121-0001`."""
    ordered = requests.sort("_created", "order_id", "line_no")
    return ordered.select(
        refund_id=_ids(f"RF{calendar.cutoff_date:%Y%m%d}-", ordered.height, 4),
        order_id="order_id", line_no="line_no", amount_fen="amount_fen", reason="reason",
        created_at=_format_local(ordered["_created"]),
    )


class _OrderExports:
    """The order export files of one date, written chunk by chunk, each under a temporary name
    and renamed into place when complete. Replaces earlier generated files of the same date."""

    def __init__(self, folder: Path, day: date):
        self.folder = folder
        self.prefix = f"orders-{day.isoformat()}"
        self.files: list[Path] = []
        self._handles: dict[Path, BinaryIO] = {}
        self._parquet: pq.ParquetWriter | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{self.prefix}-*"):
            stale.unlink()

    def __enter__(self) -> _OrderExports:
        return self

    def __exit__(self, error_type, *_) -> None:
        if self._parquet is not None:
            self._parquet.close()
        for handle in self._handles.values():
            handle.close()
        for path in self._handles:
            if error_type is None:
                os.replace(_partial(path), path)
            else:
                _partial(path).unlink()
        self.files = list(self._handles)

    def write(self, chunk: int, order_lines: pl.DataFrame, later: pl.DataFrame) -> None:
        """The chunk's lines into the CSV part, the presale parquet or the late JSONL; their
        later versions into the GB18030 cancellations."""
        late, weekly = pl.col("_late"), pl.col("_weekly")
        part = f"part{chunk // CHUNKS_PER_PART + 1:03d}"
        self._append_csv(f"{self.prefix}-{part}.csv", order_lines.filter(~late & ~weekly))
        self._append_parquet(f"{self.prefix}-presale.parquet", order_lines.filter(~late & weekly))
        self._append_jsonl(f"{self.prefix}-late.jsonl", order_lines.filter(late))
        self._append_gb18030(f"{self.prefix}-cancellations.csv", later)

    def _handle(self, name: str) -> tuple[BinaryIO, bool]:
        """The open handle of a file, and whether it was just opened (so needs a header)."""
        path = self.folder / name
        if path in self._handles:
            return self._handles[path], False
        self._handles[path] = _partial(path).open("wb")
        return self._handles[path], True

    def _append_csv(self, name: str, rows: pl.DataFrame) -> None:
        handle, first = self._handle(name)
        rows.select(ORDER_COLUMNS).write_csv(handle, include_header=first)

    def _append_jsonl(self, name: str, rows: pl.DataFrame) -> None:
        handle, _ = self._handle(name)
        rows.select(ORDER_COLUMNS).write_ndjson(handle)

    def _append_gb18030(self, name: str, rows: pl.DataFrame) -> None:
        handle, first = self._handle(name)
        handle.write(rows.select(ORDER_COLUMNS).write_csv(include_header=first).encode("gb18030"))

    def _append_parquet(self, name: str, rows: pl.DataFrame) -> None:
        table = rows.select(ORDER_COLUMNS).to_arrow()
        if self._parquet is None:
            handle, _ = self._handle(name)
            self._parquet = pq.ParquetWriter(handle, table.schema, compression="zstd")
        self._parquet.write_table(table)


# --- small helpers -------------------------------------------------------------------------
def _ids(prefix: str, n: int, width: int) -> pl.Series:
    """`S001`, `SKU0001`, ...: 1-based, zero-padded to `width` or wider when n needs it."""
    return _numbered(prefix, np.arange(1, n + 1), max(width, len(str(n))))


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """`prefix` + each number zero-padded to `width`, vectorised."""
    padded = pl.Series(numbers, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    return pl.select(pl.concat_str(pl.lit(prefix), padded)).to_series()


def _take(values: pl.Series, index: np.ndarray) -> pl.Series:
    """values[index], with null where index is -1."""
    taken = values.gather(np.maximum(index, 0))
    missing = np.flatnonzero(index < 0)
    return taken.scatter(missing, None) if len(missing) else taken


def _zipf_weights(rng: np.random.Generator, n: int, exponent: float = 0.8) -> np.ndarray:
    """Popularity weights 1/rank^s over a random ranking of n things."""
    weights = 1.0 / (rng.permutation(n) + 1.0) ** exponent
    return weights / weights.sum()


def _some(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A random mask of about `share` of n, with at least one True so small sets show every rule."""
    mask = rng.random(n) < share
    if n and not mask.any():
        mask[rng.integers(n)] = True
    return mask


def _epoch(local: datetime) -> int:
    """Seconds since 1970-01-01 00:00 of a local (naive) datetime: arithmetic in local time."""
    return int((local - EPOCH).total_seconds())


def _format_local(seconds: pl.Series | pl.Expr) -> pl.Series | pl.Expr:
    """Local epoch seconds as `2026-11-21T13:05:07` (no offset: the contract's local time)."""
    return pl.from_epoch(seconds, time_unit="s").dt.strftime(LOCAL_FORMAT)


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """A UTF-8 CSV with header, written to a temporary name and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(_partial(path))
    os.replace(_partial(path), path)
    return path
