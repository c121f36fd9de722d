"""Deposit presales (定金 + 尾款) and the presale buyers' group (专属团): rulebook, "Presale deposits,
the presale buyers' group and one stock pool".

A listing with `deposit_fen > 0` is a deposit presale: a line pays the deposit when it is ordered
(status `deposit_paid`) and the balance before the listing's `closes_at` (status `paid`).
`deposit_closes_at` ends the time to order. A listing with `audience_listing_id` is open only to
the customers of that listing. Three cuts come before stock allocation, in this order:

- step 1, after close: a line created after `deposit_closes_at` is cut `after_close`, as one created
  after `closes_at` (transforms/allocation.py);
- step 1, audience: a line of a customer who has no current `paid` or `deposit_paid` line of the
  audience listing is cut `not_in_audience` (after the after_close check);
- step 1b: a line not cut at step 1 that is still `deposit_paid` is cut `balance_unpaid`: its
  deposit is forfeited (定金不退).

A line cut at step 1 or 1b takes no stock and is no participant of a group: it does not reach
step 3 (`reaches_group` false), as an `after_close` line. What a line paid and what it forfeits
are `paid_fen` and `forfeit_fen` (`price_lines` in transforms/close.py uses them): nothing is
lost, `paid = net + refund + forfeit`.
"""

from __future__ import annotations

import polars as pl

from transforms.allocation import AFTER_CLOSE, first_cut

NOT_IN_AUDIENCE = "not_in_audience"
BALANCE_UNPAID = "balance_unpaid"
PAID = "paid"
DEPOSIT_PAID = "deposit_paid"
ELIGIBLE_STATUSES = (PAID, DEPOSIT_PAID)  # the statuses of a line a run processes
PRESALE_DEFAULTS = {"deposit_fen": pl.Int64, "deposit_closes_at": pl.Datetime("us", "UTC"),
                    "audience_listing_id": pl.String, "pool_id": pl.String}
AUDIENCE_COLUMNS = ["audience_listing_id", "customer_id"]


def with_presale_columns(listings: pl.DataFrame) -> pl.DataFrame:
    """Listings with every presale column (absent ones empty, `pool_reserve` 0): a listing without
    them behaves exactly as before."""
    absent = [pl.lit(None, dtype).alias(name) for name, dtype in PRESALE_DEFAULTS.items()
              if name not in listings.columns]
    if "pool_reserve" not in listings.columns:
        absent.append(pl.lit(0, pl.Int64).alias("pool_reserve"))
    return listings.with_columns(absent) if absent else listings


def takes_deposit() -> pl.Expr:
    """A listing (or a line joined with its listing) of a deposit presale."""
    return pl.col("deposit_fen").fill_null(0) > 0


def audience_members(order_lines: pl.DataFrame) -> pl.DataFrame:
    """The customers of each listing, as an audience: those with a current line of it whose status is
    `paid` or `deposit_paid`, whatever that line's outcome."""
    if order_lines.height == 0:
        return pl.DataFrame(schema={"audience_listing_id": pl.String, "customer_id": pl.String})
    return (order_lines.filter(pl.col("status").is_in(ELIGIBLE_STATUSES))
            .select(pl.col("listing_id").alias("audience_listing_id"), "customer_id")
            .unique().sort(AUDIENCE_COLUMNS))


def _cut_to_nothing(lines: pl.DataFrame, reason: str, cut: pl.Expr) -> pl.DataFrame:
    """Cut the lines where `cut` holds (and no earlier reason) to nothing; they reach no group."""
    now = pl.col("cut_reason").is_null() & cut
    return lines.with_columns(
        pl.when(now).then(0).otherwise(pl.col("qty_allocated")).cast(pl.Int64).alias("qty_allocated"),
        pl.when(now).then(False).otherwise(pl.col("reaches_group")).alias("reaches_group"),
        first_cut(reason, now),
    )


def mark_after_deposit_close(lines: pl.DataFrame) -> pl.DataFrame:
    """Step 1 for a deposit presale: a line created after `deposit_closes_at` is cut `after_close`."""
    late = pl.col("deposit_closes_at").is_not_null() & (pl.col("created_at") > pl.col("deposit_closes_at"))
    return _cut_to_nothing(lines, AFTER_CLOSE, late)


def mark_not_in_audience(lines: pl.DataFrame, audience: pl.DataFrame) -> pl.DataFrame:
    """Step 1, after the after_close check: a line of a buyers' group whose customer is not of its
    audience listing's customers is cut `not_in_audience`."""
    if lines["audience_listing_id"].null_count() == lines.height:
        return lines  # no buyers' group in the run (the common case)
    members = audience.select(*AUDIENCE_COLUMNS).unique().with_columns(pl.lit(True).alias("_member"))
    checked = lines.join(members, on=AUDIENCE_COLUMNS, how="left")
    outsider = pl.col("audience_listing_id").is_not_null() & pl.col("_member").is_null()
    return _cut_to_nothing(checked, NOT_IN_AUDIENCE, outsider).drop("_member")


def mark_balance_unpaid(lines: pl.DataFrame) -> pl.DataFrame:
    """Step 1b: a line not cut at step 1 and still `deposit_paid` gets nothing (`balance_unpaid`)."""
    return _cut_to_nothing(lines, BALANCE_UNPAID, pl.col("status") == DEPOSIT_PAID)


def paid_fen() -> pl.Expr:
    """What a line paid: the deposit of each unit if `deposit_paid`, else the whole unit price."""
    each = pl.when(pl.col("status") == DEPOSIT_PAID).then(pl.col("deposit_fen")).otherwise(pl.col("unit_price_fen"))
    return (pl.col("qty") * each).cast(pl.Int64)


def forfeit_fen() -> pl.Expr:
    """The deposit a line cut `balance_unpaid` forfeits (kept by the platform); 0 for every other line."""
    unpaid = pl.col("cut_reason").eq_missing(BALANCE_UNPAID)
    return pl.when(unpaid).then(pl.col("qty") * pl.col("deposit_fen")).otherwise(0).cast(pl.Int64)
