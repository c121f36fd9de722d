"""Hand-built typed frames for transform tests: a handful of rows, defaults for the rest."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import polars as pl

from tests import mooncake
from transforms.windows import window_for

UTC = pl.Datetime("us", "UTC")
SHANGHAI = timezone(timedelta(hours=8))
NIGHTLY = window_for("nightly", date(2026, 11, 21))


def at(text: str) -> datetime:
    """'2026-11-21 10:00' local Shanghai time -> aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def listings(*rows: dict) -> pl.DataFrame:
    defaults = dict(sku_id=mooncake.SKU, calendar="nightly", opens_at=at("2026-11-20 20:00"),
                    closes_at=at("2026-11-21 20:00"), unit_price_fen=mooncake.PRICE_FEN, tiers=None, min_qty=1,
                    group_scope="platform", stock_cap=None, point_cap=None, dist_l1_bp=0, dist_l2_bp=0)
    frame = pl.DataFrame([{**defaults, **row} for row in rows], infer_schema_length=None)
    presale = {"deposit_fen": pl.Int64, "pool_reserve": pl.Int64, "deposit_closes_at": UTC,
               "audience_listing_id": pl.String, "pool_id": pl.String}
    return frame.with_columns(
        pl.col("opens_at", "closes_at").cast(UTC),
        pl.col("tiers").cast(pl.String),
        pl.col("min_qty", "stock_cap", "point_cap", "unit_price_fen", "dist_l1_bp", "dist_l2_bp").cast(pl.Int64),
        *[pl.col(name).cast(dtype) for name, dtype in presale.items() if name in frame.columns])


def products(*rows: dict) -> pl.DataFrame:
    defaults = dict(sku_id=mooncake.SKU, name=mooncake.SKU_NAME, spec="6枚/盒", unit="盒", category="烘焙",
                    supplier_id="S1", cost_fen=20000, case_pack=1, case_rounding="up")
    frame = pl.DataFrame([{**defaults, **row} for row in rows], infer_schema_length=None)
    return frame.with_columns(pl.col("cost_fen", "case_pack").cast(pl.Int64))


def orders(*rows: dict) -> pl.DataFrame:
    """Rows need order_id, customer_id, qty and created_at (local text); the rest defaults."""
    defaults = dict(line_no=1, listing_id="L1", customer_name="顾客", phone_tail="1234",
                    pickup_point_id="P1", unit_price_fen=mooncake.PRICE_FEN, status="paid", distributor_id=None)
    frame = pl.DataFrame([{**defaults, **row, "created_at": at(row["created_at"])} for row in rows],
                         infer_schema_length=None)
    return frame.with_columns(
        pl.col("created_at").cast(UTC), pl.col("created_at").cast(UTC).alias("updated_at"),
        pl.col("distributor_id").cast(pl.String),
        pl.col("line_no", "qty", "unit_price_fen").cast(pl.Int64))


def mooncake_orders() -> pl.DataFrame:
    """The rulebook's worked example (tests/mooncake.py): A 2, B 5, C 1, D 4, then E 3 (customer A again)."""
    return orders(*(dict(order_id=order_id, customer_id=customer, qty=qty, created_at=f"{mooncake.DAY} {at}")
                    for order_id, customer, qty, at in mooncake.ORDERS))
