"""The shape of a data set: how many of each entity for a number of order lines, the instants of
the cutoff date, and the shares and distributions the orders follow."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from synthetic.catalogue import CATEGORIES

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


@dataclass(frozen=True)
class Sizes:
    """How many of each entity a data set of `lines` order lines has."""

    suppliers: int
    skus: int
    pickup_points: int
    routes: int
    distributors: int
    customers: int

    @classmethod
    def for_lines(cls, lines: int) -> Sizes:
        pickup_points = scaled(lines, 200, 5000, minimum=10)
        return cls(
            suppliers=scaled(lines, 20, 200, minimum=len(CATEGORIES)),
            skus=scaled(lines, 150, 2000, minimum=30),
            pickup_points=pickup_points,
            routes=min(pickup_points, scaled(lines, 10, 100, minimum=2)),
            distributors=max(3, pickup_points // 5),
            customers=max(30, lines // 3),
        )


def scaled(lines: int, at_20k: int, at_1m: int, *, minimum: int) -> int:
    """A power law through (20,000 -> at_20k) and (1,000,000 -> at_1m)."""
    exponent = math.log(at_1m / at_20k) / math.log(50)
    return max(minimum, round(at_1m * (lines / 1_000_000) ** exponent))


@dataclass(frozen=True)
class Calendar:
    """The instants of cutoff date D, as local (naive) datetimes, and the business zone."""

    cutoff_date: date
    opens: datetime  # D-1 at the nightly time
    closes: datetime  # D at the nightly time: the cutoff instant
    week_opens: datetime  # Monday 00:00 of D's ISO week
    week_closes: datetime  # Sunday 24:00, written as the next Monday 00:00
    zone: ZoneInfo

    @classmethod
    def of(cls, cutoff_date: date, nightly_at: time, zone: ZoneInfo) -> Calendar:
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
