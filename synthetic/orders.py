"""The order lines: who orders (customers at their home pickup points, the distributors' links),
when (the intraday shape of the window, after-close and presale orders), what and how many (popular
listings more often, mostly 1-3 units); their later versions (cancelled or refunded) and the
after-sales refunds of the next night."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from synthetic.draws import epoch, format_local, number_ids, numbered, take, zipf_weights
from synthetic.master_data import Listings, person_names
from synthetic.shape import (
    AFTER_CLOSE_ORDER_SHARE,
    AWAY_FROM_HOME_SHARE,
    CHANGED_LINE_SHARE,
    DISTRIBUTOR_ORDER_SHARE,
    HOURLY_ORDER_RATE,
    LATE_ORDER_SHARE,
    LINES_PER_ORDER_P,
    ORDER_COLUMNS,
    QTY_P,
    REFUND_LINE_SHARE,
    REFUNDED_SHARE_OF_CHANGED,
    WEEKLY_ORDER_SHARE,
    Calendar,
    Sizes,
)

REFUND_REASONS = ("坏果", "少件", "破损", "变质", "漏发", "规格不符")


@dataclass(frozen=True)
class Buyers:
    """Who orders where: customers at their home pickup points, and the distributors' links."""

    customers: pl.DataFrame  # customer_id, customer_name, phone_tail
    home_point: np.ndarray
    point_ids: pl.Series
    point_weights: np.ndarray
    distributor_ids: pl.Series
    distributor_weights: np.ndarray


def make_buyers(rng: np.random.Generator, sizes: Sizes, points: pl.DataFrame, distributors: pl.DataFrame) -> Buyers:
    """Customers live at pickup points of log-normal sizes; a few distributors sell the most."""
    point_weights = rng.lognormal(0.0, 1.0, sizes.pickup_points)
    point_weights /= point_weights.sum()
    customers = pl.DataFrame({
        "customer_id": number_ids("C", sizes.customers, 6),
        "customer_name": person_names(rng, sizes.customers),
        "phone_tail": pl.Series(rng.integers(0, 10_000, sizes.customers)).cast(pl.String).str.zfill(4),
    })
    return Buyers(
        customers=customers,
        home_point=rng.choice(sizes.pickup_points, sizes.customers, p=point_weights),
        point_ids=points["pickup_point_id"],
        point_weights=point_weights,
        distributor_ids=distributors["distributor_id"],
        distributor_weights=zipf_weights(rng, sizes.distributors),
    )


def order_sizes(rng: np.random.Generator, lines: int) -> np.ndarray:
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


def make_order_lines(
    rng: np.random.Generator, calendar: Calendar, listings: Listings, buyers: Buyers,
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
    created = draw_created_at(rng, calendar, weekly, after_close)
    referred = rng.random(n) < DISTRIBUTOR_ORDER_SHARE
    n_distributors = len(buyers.distributor_weights)
    distributor = np.where(referred, rng.choice(n_distributors, n, p=buyers.distributor_weights), -1)
    late = rng.random(n) < LATE_ORDER_SHARE

    order = np.repeat(np.arange(n), sizes)  # the order of each line
    line_no = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    listing = pick_listings(rng, listings, weekly[order])
    qty = rng.choice(len(QTY_P), len(order), p=QTY_P) + 1
    changed = rng.random(len(order)) < CHANGED_LINE_SHARE
    refund = ~changed & ~weekly[order] & ~after_close[order] & (rng.random(len(order)) < REFUND_LINE_SHARE)
    created_at = format_local(pl.Series(created[order]))

    customers = buyers.customers.select(pl.all().gather(customer[order]))
    return pl.DataFrame({
        "order_id": order_ids(calendar.cutoff_date, first_order + order + 1, order_width),
        "line_no": line_no,
        "listing_id": listings.frame["listing_id"].gather(listing),
        **customers.to_dict(),
        "pickup_point_id": buyers.point_ids.gather(point[order]),
        "qty": qty.astype(np.int64),
        "unit_price_fen": listings.prices[listing],
        "status": pl.repeat("paid", len(order), eager=True),
        "distributor_id": take(buyers.distributor_ids, distributor[order]),
        "created_at": created_at,
        "updated_at": created_at,
        "_created": created[order],
        "_weekly": weekly[order],
        "_late": late[order],
        "_after_close": after_close[order],
        "_changed": changed,
        "_refund": refund,
    })


def order_ids(day: date, numbers: np.ndarray, width: int) -> pl.Series:
    """`O20261121-000001`: the export date and a running number, zero-padded to `width`."""
    return numbered(f"O{day:%Y%m%d}-", numbers, width)


def draw_created_at(
    rng: np.random.Generator, calendar: Calendar, weekly: np.ndarray, after_close: np.ndarray
) -> np.ndarray:
    """Local epoch seconds: nightly orders in (opens, closes] by the hourly rate, after-close ones
    30 s to 10 min past the close, weekly ones uniform from Monday 00:00 to the close of D."""
    n = len(weekly)
    clock_hours = (calendar.opens.hour + np.arange(24)) % 24
    rates = np.array(HOURLY_ORDER_RATE)[clock_hours]
    hour = rng.choice(24, n, p=rates / rates.sum())
    nightly = epoch(calendar.opens) + hour * 3600 + rng.integers(1, 3601, n)
    late = epoch(calendar.closes) + rng.integers(30, 601, n)
    week_span = max(1, epoch(calendar.closes) - epoch(calendar.week_opens))
    presale = epoch(calendar.week_opens) + rng.integers(1, week_span + 1, n)
    return np.where(weekly, presale, np.where(after_close, late, nightly))


def pick_listings(rng: np.random.Generator, listings: Listings, weekly: np.ndarray) -> np.ndarray:
    """A nightly or weekly listing per line, the popular ones more often."""
    picked = np.empty(len(weekly), np.int64)
    picked[~weekly] = rng.choice(listings.nightly, int((~weekly).sum()), p=listings.nightly_weights)
    n_weekly = len(listings.weekly_weights)
    picked[weekly] = listings.nightly + rng.choice(n_weekly, int(weekly.sum()), p=listings.weekly_weights)
    return picked


def later_versions(rng: np.random.Generator, order_lines: pl.DataFrame) -> pl.DataFrame:
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
            updated_at=format_local(pl.col("_updated")),
        )
        .select(ORDER_COLUMNS)
    )


def make_refund_requests(rng: np.random.Generator, order_lines: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """After-sales refunds of the `_refund` lines: 10-90% of what was paid, created 10 min to 8 h
    after the cutoff. Ids are given later, in time order."""
    n = order_lines.height
    share = rng.uniform(0.10, 0.90, n)
    reason = rng.integers(0, len(REFUND_REASONS), n)
    created = epoch(calendar.closes) + rng.integers(600, 8 * 3600, n)
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


def number_refunds(requests: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """Number the refunds in time order: `RF20261121-0001`."""
    ordered = requests.sort("_created", "order_id", "line_no")
    return ordered.select(
        refund_id=number_ids(f"RF{calendar.cutoff_date:%Y%m%d}-", ordered.height, 4),
        order_id="order_id", line_no="line_no", amount_fen="amount_fen", reason="reason",
        created_at=format_local(ordered["_created"]),
    )
