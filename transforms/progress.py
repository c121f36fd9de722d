"""Progress over the selling day (成团进度): what the coming cutoff would decide if it ran now.

Never a second implementation of the rulebook: the figures come from what `close_listings`
(transforms/close.py) decides on the order lines as they stood at an instant, run twice:

- as the cutoff runs it (`closed`): which groups form, at which tier price, what case rounding
  would take back;
- as if every group formed and nothing were rounded to cases (`held`, rules from
  `as_if_every_group_forms`): each line's units after steps 1 and 2 alone (after close, stock and
  point caps, and whatever step 1 and 2 come to hold), i.e. the units and participants step 3
  counts, per pickup point too. Steps 1 and 2 never look at groups, tiers or cases, so these are
  exactly the units the real run's step 3 sees (`groups.units` equals their sum per group).

One row per closing listing (`pickup_point_id` null) and one per listing and pickup point with
eligible lines; every row has every key of PROGRESS_COLUMNS (null where it does not apply):

- `units`, `participants`: what step 3 counts, after the caps (on a point's row: at that point).
- `would_form`, `missing_units`, `missing_participants`, `price_fen`, `next_price_fen`,
  `participants_to_next_tier`: the figures of the row's group: the listing's for a `platform`
  listing (on its point rows too: the group is the whole listing), the point's own for a
  `pickup_point` listing (its listing row has none: null). A group with no line yet needs
  `max(min_qty, 1)` units (a group is made of lines). The next tier is the lowest tier whose
  threshold is above the participants: for a group not formed for want of people, the tier it
  would form at; null past the top and without tiers. `price_fen` is the price each line would
  pay if the group formed now (the tier price, or the unit price without tiers), null if not.
- `units_to_fill_case` (`down` products only): units that would complete the last supplier case
  among the units reaching case rounding (the formed groups' units of the listing), 0 when the
  cases are full; `units_case_cut` is what case rounding would take back now. Per listing (step 5
  is), repeated on its point rows.
- `stock_left`: `stock_cap` minus the units held; on a point's row the lesser of that and
  `point_cap_left` (`point_cap` minus the point's units held). `pool_left`: what the listing
  could still get from its stock pool (一盘货; null without a pool): its reserve left plus the
  pool's shared units left (`transforms.pools.pool_left`).
- `groups`, `groups_formed` (listing rows): the listing's groups with lines, and how many form.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from transforms.close import ClosedCutoff
from transforms.staging import latest_versions
from transforms.tiers import explode_tiers
from transforms.windows import cutoff_date_for_instant, window_for

PROGRESS_COLUMNS = [
    "listing_id", "pickup_point_id", "sku_id", "group_scope", "units", "participants", "would_form", "missing_units",
    "missing_participants", "price_fen", "next_price_fen", "participants_to_next_tier", "units_to_fill_case",
    "units_case_cut", "stock_left", "point_cap_left", "pool_left", "groups", "groups_formed",
]
GROUP_FIGURES = ["would_form", "missing_units", "missing_participants", "price_fen", "next_price_fen",
                 "participants_to_next_tier"]
VERSION_KEY = ["order_id", "line_no"]
VERSION_ORDER = ["updated_at", "ingest_seq"]  # the latest updated_at wins; on a tie, the row ingested last


# ---- which cutoff, and the lines as they stood ------------------------------------------------------

def coming_cutoff_date(calendar: str, instant: datetime, timezone: str, nightly_at) -> date:
    """The cutoff whose window holds `instant`: (D-1 20:00, D 20:00] gives D (nightly)."""
    latest = cutoff_date_for_instant(calendar, instant, timezone, nightly_at)
    if window_for(calendar, latest, timezone, nightly_at).end == instant:
        return latest
    step = timedelta(days=7 if calendar == "weekly" else 1)
    return latest + step


def versions_as_of(versions: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Each order line as it was at `as_of`: its latest row among those with `created_at` and
    `updated_at` at or before it (the ingest rule: latest `updated_at`, then the row ingested
    last), whatever later rows say. A line created later does not exist yet."""
    if versions.height == 0:
        return versions
    instant = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    known = versions.filter((pl.col("created_at") <= instant) & (pl.col("updated_at") <= instant))
    return latest_versions(known, VERSION_KEY, VERSION_ORDER)


def as_if_every_group_forms(listings: pl.DataFrame, products: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The same listings and products with steps 3 to 5 made neutral (no minimum, no tiers, no
    `down` rounding): closing with them leaves each line what steps 1 and 2 gave it."""
    neutral_listings = listings.with_columns(pl.lit(0, pl.Int64).alias("min_qty"),
                                             pl.lit(None, pl.String).alias("tiers"))
    neutral_products = products.with_columns(pl.lit("up").alias("case_rounding"))
    return neutral_listings, neutral_products


# ---- the figures ------------------------------------------------------------------------------------

def _held(allocations: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Units and participants (customers with units) per `keys`, from the `held` close."""
    held = pl.col("qty_allocated") > 0
    return allocations.group_by(keys).agg(
        pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"),
        pl.col("customer_id").filter(held).n_unique().cast(pl.Int64).alias("participants"))


def _wanted_groups(closing: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Every group a row reports on: a platform listing's one group (point null), each point of
    a pickup-point listing that has lines."""
    platform = closing.filter(pl.col("group_scope") != "pickup_point").select(
        "listing_id", pl.lit(None, pl.String).alias("group_pickup_point_id"))
    per_point = (points.join(closing.filter(pl.col("group_scope") == "pickup_point").select("listing_id"),
                             on="listing_id")
                 .select("listing_id", pl.col("pickup_point_id").alias("group_pickup_point_id")))
    return pl.concat([platform, per_point])


def group_figures(groups: pl.DataFrame, wanted: pl.DataFrame, closing: pl.DataFrame,
                  tiers: pl.DataFrame) -> pl.DataFrame:
    """GROUP_FIGURES for each wanted group (a group the cutoff has not made yet has no line)."""
    keys = ["listing_id", "group_pickup_point_id"]
    frame = (
        wanted.join(groups.select(*keys, "units", "participants", "is_formed", "tier_price_fen",
                                  pl.lit(True).alias("_exists")), on=keys, how="left", nulls_equal=True)
        .join(closing.select("listing_id", "unit_price_fen", "min_qty"), on="listing_id", how="left")
        .join(tiers.group_by("listing_id").agg(pl.col("threshold").min().alias("_lowest")), on="listing_id",
              how="left")
        .with_columns(pl.col("units", "participants").fill_null(0), pl.col("is_formed").fill_null(False),
                      pl.col("_exists").fill_null(False))
    )
    short_units = pl.when(pl.col("_exists")).then(pl.col("min_qty") - pl.col("units")) \
        .otherwise(pl.max_horizontal(pl.col("min_qty"), pl.lit(1)))
    frame = frame.with_columns(
        pl.col("is_formed").alias("would_form"),
        short_units.clip(lower_bound=0).cast(pl.Int64).alias("missing_units"),
        (pl.col("_lowest") - pl.col("participants")).clip(lower_bound=0).fill_null(0).cast(pl.Int64)
        .alias("missing_participants"),
        pl.when(pl.col("is_formed"))
        .then(pl.min_horizontal("unit_price_fen", "tier_price_fen").fill_null(pl.col("unit_price_fen")))
        .cast(pl.Int64).alias("price_fen"))
    above = (
        frame.select(*keys, "participants", "unit_price_fen")
        .join(tiers, on="listing_id")
        .filter(pl.col("threshold") > pl.col("participants"))
        .sort("threshold")
        .group_by(keys)
        .agg(pl.col("threshold").first().alias("_next_threshold"),
             pl.min_horizontal(pl.col("tier_price_fen"), pl.col("unit_price_fen")).first().alias("next_price_fen"))
    )
    return (
        frame.join(above, on=keys, how="left", nulls_equal=True)
        .with_columns((pl.col("_next_threshold") - pl.col("participants")).cast(pl.Int64)
                      .alias("participants_to_next_tier"),
                      pl.col("next_price_fen").cast(pl.Int64))
        .select(*keys, *GROUP_FIGURES, "_exists")
    )


def case_figures(groups: pl.DataFrame, closing: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Per listing of a `down` product: the units reaching case rounding (its formed groups'),
    what would be cut and what would fill the last case."""
    formed = (groups.filter("is_formed").group_by("listing_id")
              .agg(pl.col("units").sum().cast(pl.Int64).alias("_rounded")))
    remainder = pl.col("_rounded") % pl.col("case_pack")
    return (
        closing.select("listing_id", "sku_id")
        .join(products.select("sku_id", "case_pack", "case_rounding"), on="sku_id", how="left")
        .join(formed, on="listing_id", how="left")
        .with_columns(pl.col("_rounded").fill_null(0))
        .select("listing_id",
                pl.when(pl.col("case_rounding") == "down")
                .then((pl.col("case_pack") - remainder) % pl.col("case_pack")).cast(pl.Int64)
                .alias("units_to_fill_case"),
                pl.when(pl.col("case_rounding") == "down").then(remainder).cast(pl.Int64).alias("units_case_cut"))
    )


def progress_rows(closed: ClosedCutoff, held: ClosedCutoff, products: pl.DataFrame,
                  pool_left: pl.DataFrame | None = None) -> pl.DataFrame:
    """PROGRESS_COLUMNS, listing rows first within each listing, sorted by listing and point.

    `closed`: close_listings on the lines as they stood; `held`: the same lines closed with
    `as_if_every_group_forms`. `pool_left` (listing_id, pool_left): the stock pools' figure, when
    the rules have pools; else null."""
    closing = closed.closing
    tiers = explode_tiers(closing)
    lines = held.allocations
    points = _held(lines, ["listing_id", "pickup_point_id"])
    listings = _held(lines, ["listing_id"])
    figures = group_figures(closed.groups, _wanted_groups(closing, points), closing, tiers)
    rules = (closing.select("listing_id", "sku_id", "group_scope", "stock_cap", "point_cap")
             .join(case_figures(closed.groups, closing, products), on="listing_id", how="left"))
    if pool_left is None:
        pool_left = pl.DataFrame(schema={"listing_id": pl.String, "pool_left": pl.Int64})
    group_counts = figures.filter("_exists").group_by("listing_id").agg(
        pl.len().cast(pl.Int64).alias("groups"), pl.col("would_form").sum().cast(pl.Int64).alias("groups_formed"))

    listing_rows = (
        rules.join(listings, on="listing_id", how="left")
        .with_columns(pl.col("units", "participants").fill_null(0))
        .join(figures.filter(pl.col("group_pickup_point_id").is_null()).drop("group_pickup_point_id", "_exists"),
              on="listing_id", how="left")
        .join(group_counts, on="listing_id", how="left")
        .join(pool_left, on="listing_id", how="left")
        .with_columns(pl.lit(None, pl.String).alias("pickup_point_id"),
                      pl.col("groups", "groups_formed").fill_null(0),
                      (pl.col("stock_cap") - pl.col("units")).clip(lower_bound=0).cast(pl.Int64).alias("stock_left"),
                      pl.lit(None, pl.Int64).alias("point_cap_left"))
    )
    point_group = pl.when(pl.col("group_scope") == "pickup_point").then(pl.col("pickup_point_id"))
    point_rows = (
        points.join(rules, on="listing_id", how="inner")
        .with_columns(point_group.alias("group_pickup_point_id"))
        .join(figures.drop("_exists"), on=["listing_id", "group_pickup_point_id"], how="left", nulls_equal=True)
        .join(listings.select("listing_id", pl.col("units").alias("_listing_units")), on="listing_id", how="left")
        .join(pool_left, on="listing_id", how="left")
        .with_columns((pl.col("point_cap") - pl.col("units")).clip(lower_bound=0).cast(pl.Int64)
                      .alias("point_cap_left"),
                      (pl.col("stock_cap") - pl.col("_listing_units")).clip(lower_bound=0).alias("_stock_left"),
                      pl.lit(None, pl.Int64).alias("groups"), pl.lit(None, pl.Int64).alias("groups_formed"))
        .with_columns(pl.min_horizontal("_stock_left", "point_cap_left").cast(pl.Int64).alias("stock_left"))
    )
    columns = [pl.col(c) for c in PROGRESS_COLUMNS]
    return (pl.concat([listing_rows.select(columns), point_rows.select(columns)], how="vertical_relaxed")
            .sort("listing_id", "pickup_point_id", nulls_last=False))


# ---- for people: what is at risk first --------------------------------------------------------------

def reached_share() -> pl.Expr:
    """How far a group is towards forming: the lesser of units / (units + missing) and
    participants / (participants + missing): min(units / min_qty, participants / lowest tier)."""
    def share(have: str, missing: str) -> pl.Expr:
        need = pl.col(have) + pl.col(missing)
        return pl.when(need > 0).then(pl.col(have) / need).otherwise(1.0)
    return pl.min_horizontal(share("units", "missing_units"), share("participants", "missing_participants"))


def at_risk_first(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows that are groups (a platform listing's row, a pickup-point listing's point rows):
    those that would not form first, closest to forming first (fewer units, then people,
    missing), then those that form, closest to their next tier first. Adds `reached` (0..1)."""
    groups = rows.filter(pl.col("pickup_point_id").is_null() == (pl.col("group_scope") == "platform"))
    return (groups.with_columns(reached_share().alias("reached"))
            .sort(["would_form", "reached", "missing_units", "missing_participants", "participants_to_next_tier",
                   "listing_id", "pickup_point_id"],
                  descending=[False, True, False, False, False, False, False], nulls_last=True))

