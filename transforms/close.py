"""Closing the listings of a cutoff: the five steps of "What happens to each order line".

`close_listings` is the whole rule in order: select the closing listings and their paid (and
deposit-paid) lines, then after close (and a presale's deposit close) -> the buyers' group's
audience -> the unpaid balance (step 1b) -> stock allocation (the listing's caps, then its stock
pool) -> group formation -> tier price -> case rounding, then the money of each line. Each step
lives in its own module. What a run needs beyond its own lines comes in a `SaleContext`: the
customers of its buyers' groups' audience listings (any calendar) and its stock pools' budgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone

import polars as pl

from transforms.allocation import allocate_stock, mark_after_close, rank_first_come
from transforms.case_rounding import round_cases_down
from transforms.groups import assign_groups, form_groups, summarize_groups
from transforms.pools import BUDGET_SCHEMA, allocate_from_pools
from transforms.presale import (
    ELIGIBLE_STATUSES,
    audience_members,
    forfeit_fen,
    mark_after_deposit_close,
    mark_balance_unpaid,
    mark_not_in_audience,
    paid_fen,
    takes_deposit,
    with_presale_columns,
)
from transforms.tiers import apply_tier_prices, explode_tiers, lowest_thresholds, price_groups
from transforms.windows import CutoffWindow

LISTING_COLUMNS = ["listing_id", "sku_id", "opens_at", "closes_at", "tiers", "min_qty",
                   "group_scope", "stock_cap", "point_cap", "deposit_fen", "deposit_closes_at",
                   "audience_listing_id", "pool_id", "pool_reserve"]
PRODUCT_COLUMNS = ["sku_id", "supplier_id", "category", "case_pack", "case_rounding"]
ALLOCATION_COLUMNS = [
    "order_id", "line_no", "listing_id", "sku_id", "supplier_id", "category", "pickup_point_id",
    "customer_id", "customer_name", "phone_tail", "distributor_id", "created_at", "qty", "qty_allocated", "qty_cut",
    "unit_price_fen", "final_unit_price_fen", "paid_fen", "net_fen", "refund_fen", "forfeit_fen",
    "cut_reason", "building", "room",
]
OPTIONAL_LINE_COLUMNS = {"building": pl.String, "room": pl.String}  # door delivery, when the export has them


@dataclass(frozen=True)
class SaleContext:
    """What a run decides from beyond its own lines. `audience`: the customers of the listings its
    buyers' groups are open to (audience_listing_id, customer_id; `transforms.presale.audience_members`
    of those listings' lines, whatever their calendar); None: taken from the run's own lines.
    `pools`: the budget of each stock pool with a listing in the run (`transforms.pools.pool_budgets`)."""

    audience: pl.DataFrame | None = None
    pools: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=BUDGET_SCHEMA))


@dataclass(frozen=True)
class ClosedCutoff:
    closing: pl.DataFrame      # the closing listings
    allocations: pl.DataFrame  # every eligible line, with what it got
    groups: pl.DataFrame       # every group, formed or not


def _utc(instant):
    return pl.lit(instant.astimezone(timezone.utc)).cast(pl.Datetime("us", "UTC"))


def select_closing_listings(listings: pl.DataFrame, window: CutoffWindow) -> pl.DataFrame:
    """The listings of the window's calendar whose `closes_at` lies in (start, end]."""
    return with_presale_columns(listings).filter(
        (pl.col("calendar") == window.calendar)
        & (pl.col("closes_at") > _utc(window.start))
        & (pl.col("closes_at") <= _utc(window.end))
    ).sort("listing_id")


def select_eligible_lines(order_lines: pl.DataFrame, closing: pl.DataFrame,
                          products: pl.DataFrame) -> pl.DataFrame:
    """The paid current lines of the closing listings (and the deposit-paid ones of deposit presales),
    with their listing's and product's rules."""
    absent = [pl.lit(None, dtype).alias(name) for name, dtype in OPTIONAL_LINE_COLUMNS.items()
              if name not in order_lines.columns]
    return (
        order_lines.with_columns(absent).filter(pl.col("status").is_in(ELIGIBLE_STATUSES))
        .join(closing.select(LISTING_COLUMNS), on="listing_id", how="inner")
        .filter((pl.col("status") == "paid") | takes_deposit())
        .join(products.select(PRODUCT_COLUMNS), on="sku_id", how="left")
    )


def price_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """What each line paid, is worth, forfeits and is owed back: nothing is lost
    (`paid = net + refund + forfeit`)."""
    return lines.with_columns(
        (pl.col("qty") - pl.col("qty_allocated")).alias("qty_cut"),
        paid_fen().alias("paid_fen"),
        (pl.col("qty_allocated") * pl.col("final_unit_price_fen")).alias("net_fen"),
        forfeit_fen().alias("forfeit_fen"),
    ).with_columns((pl.col("paid_fen") - pl.col("net_fen") - pl.col("forfeit_fen")).alias("refund_fen"))


def close_listings(order_lines: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame,
                   window: CutoffWindow, context: SaleContext | None = None) -> ClosedCutoff:
    context = context or SaleContext()
    audience = context.audience if context.audience is not None else audience_members(order_lines)
    closing = select_closing_listings(listings, window)
    tiers = explode_tiers(closing)
    lines = mark_after_close(rank_first_come(select_eligible_lines(order_lines, closing, products)))
    lines = mark_balance_unpaid(mark_not_in_audience(mark_after_deposit_close(lines), audience))
    lines = assign_groups(allocate_from_pools(allocate_stock(lines), context.pools))
    groups = summarize_groups(lines, lowest_thresholds(tiers))
    groups = price_groups(groups, tiers)
    lines = round_cases_down(apply_tier_prices(form_groups(lines, groups), groups))
    allocations = price_lines(lines).select(ALLOCATION_COLUMNS)  # first come first served order
    return ClosedCutoff(closing=closing, allocations=allocations, groups=groups)
