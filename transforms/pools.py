"""One stock pool (一盘货): rulebook, "Presale deposits, the presale buyers' group and one stock pool".

`pools.csv` holds the units of one SKU that several listings sell from, on any calendar. A
listing's **turn** is (the cutoff instant of the run that processes it, its calendar): the
listings of a pool consume it in turn order, whatever order the runs happen in; the listings of a
pool processed by one run share a turn. At step 2 of a run, for each pool P with listings in it:

- every listing of P with an earlier turn has consumed what its own run allocated (after every
  step); a run whose earlier turn has not run yet stops (`missing_turns`);
- every listing of P with a later turn holds its whole `pool_reserve`;
- `shared_left = max(0, units - taken by earlier turns - reserves of later turns - reserves of
  this run's listings)` (`pool_budgets`).

The lines of the run's listings of P are walked together first come first served; each line gets
`min(qty, its listing's stock left, its pickup point's stock left, its listing's reserve left +
shared_left)`, from its listing's reserve first, then from `shared_left` (`allocate_from_pools`).

Why a cumulative sum is exact here: the reserve a listing's lines use is `min(reserve, their
cumulative demand)`, never cut; only what they ask beyond it competes for `shared_left`, first
come first served over the pool, which is one cap over the pool's lines in walking order. Once a
listing's line is cut by the pool, its reserve and the shared units are both gone, so every later
line of that listing gets nothing from the pool anyway: applying the listing's own caps first (the
demand each line would get without the pool) and the pool after them gives the walk's result.
"""

from __future__ import annotations

from datetime import time

import polars as pl

from transforms.allocation import FCFS_RANK, OUT_OF_STOCK, capped, first_cut
from transforms.windows import CutoffWindow, cutoff_date_closing, window_for

UTC = pl.Datetime("us", "UTC")
TURN_SCHEMA = {"pool_id": pl.String, "listing_id": pl.String, "calendar": pl.String, "turn_date": pl.Date,
               "turn_at": UTC, "pool_reserve": pl.Int64}
EARLIER, THIS_RUN, LATER = "earlier", "this run", "later"
BUDGET_SCHEMA = {"pool_id": pl.String, "sku_id": pl.String, "units": pl.Int64, "taken_before": pl.Int64,
                 "held_later": pl.Int64, "held_now": pl.Int64, "shared_left": pl.Int64}


def pool_listing_problems(listings: pl.DataFrame, pools: pl.DataFrame, row: str = "_row") -> list[tuple]:
    """What is wrong between listings.csv and pools.csv, as (file stem, row, problem): a listing of a
    pool that sells another SKU than the pool's; a pool whose listings' reserves add up past its
    units. `row` is the column with each file's row number."""
    pool_rows = pools.select("pool_id", pl.col("sku_id").alias("_pool_sku"), "units", pl.col(row).alias("_pool_row"))
    pooled = listings.filter(pl.col("pool_id").is_not_null()).join(pool_rows, on="pool_id", how="inner")
    problems = [("listings", r[row], f"pool_id '{r['pool_id']}' is a stock of {r['_pool_sku']} (pools.csv row "
                                     f"{r['_pool_row']}), but this listing sells {r['sku_id']}: a pool's listings "
                                     "sell its SKU")
                for r in pooled.filter(pl.col("sku_id") != pl.col("_pool_sku")).sort(row).iter_rows(named=True)]
    reserves = (pooled.group_by("pool_id", "units", "_pool_row")
                .agg(pl.col("pool_reserve").sum().alias("reserved"), pl.col(row).sort().alias("rows"))
                .filter(pl.col("reserved") > pl.col("units")).sort("_pool_row"))
    problems += [("pools", r["_pool_row"], f"the reserves of pool {r['pool_id']}'s listings add up to {r['reserved']} "
                                           f"(listings.csv rows {', '.join(map(str, r['rows']))}), past its "
                                           f"{r['units']} units")
                 for r in reserves.iter_rows(named=True)]
    return problems


def pool_turns(listings: pl.DataFrame, timezone: str, nightly_at: time) -> pl.DataFrame:
    """One row per listing that names a pool: the run that processes it (`calendar`, `turn_date`)
    and that run's cutoff instant (`turn_at`), with its reserve. Master data is small: a row at a time."""
    rows = []
    pooled = listings.filter(pl.col("pool_id").is_not_null()) if "pool_id" in listings.columns else listings.clear()
    for row in pooled.sort("listing_id").iter_rows(named=True):
        day = cutoff_date_closing(row["calendar"], row["closes_at"], timezone, nightly_at)
        instant = window_for(row["calendar"], day, timezone, nightly_at).end
        rows.append({"pool_id": row["pool_id"], "listing_id": row["listing_id"], "calendar": row["calendar"],
                     "turn_date": day, "turn_at": instant, "pool_reserve": int(row.get("pool_reserve") or 0)})
    return pl.DataFrame(rows, schema=TURN_SCHEMA, orient="row")


def _this_turn(window: CutoffWindow) -> tuple[pl.Expr, pl.Expr]:
    """(same turn, earlier turn) as expressions over `turn_at` and `calendar`."""
    end = pl.lit(window.end).cast(UTC)
    same = (pl.col("calendar") == window.calendar) & (pl.col("turn_date") == window.cutoff_date)
    earlier = (pl.col("turn_at") < end) | ((pl.col("turn_at") == end) & (pl.col("calendar") < window.calendar))
    return same, earlier


def plan_pools(turns: pl.DataFrame, window: CutoffWindow) -> pl.DataFrame:
    """The turns of every pool with a listing in the run of `window`, each marked `earlier`,
    `this run` or `later` (column `position`), in turn order."""
    same, earlier = _this_turn(window)
    here = turns.filter(same)["pool_id"].unique()
    return (turns.filter(pl.col("pool_id").is_in(here.implode()))
            .with_columns(pl.when(same).then(pl.lit(THIS_RUN)).when(earlier).then(pl.lit(EARLIER))
                          .otherwise(pl.lit(LATER)).alias("position"))
            .sort("pool_id", "turn_at", "calendar", "listing_id"))


def runs_of(plan: pl.DataFrame, position: str) -> pl.DataFrame:
    """The runs (calendar, cutoff_date, turn_at) holding the `position` turns of the plan, in turn order."""
    return (plan.filter(pl.col("position") == position)
            .select("calendar", pl.col("turn_date").alias("cutoff_date"), "turn_at").unique()
            .sort("turn_at", "calendar"))


def missing_turns(plan: pl.DataFrame, done: pl.DataFrame) -> pl.DataFrame:
    """The earlier runs the plan needs that have not run (`done`: calendar, cutoff_date of the runs
    that have), in turn order: the first is the one to run first."""
    return runs_of(plan, EARLIER).join(done.select("calendar", "cutoff_date"), on=["calendar", "cutoff_date"],
                                       how="anti").sort("turn_at", "calendar")


def pool_budgets(plan: pl.DataFrame, pools: pl.DataFrame, taken: pl.DataFrame) -> pl.DataFrame:
    """Per pool of the run: `units`, `taken_before` (what its listings of earlier turns allocated:
    `taken` has listing_id, units_allocated), `held_later` (the reserves of later turns), `held_now`
    (the reserves of this run's listings) and `shared_left`."""
    if plan.height == 0:
        return pl.DataFrame(schema=BUDGET_SCHEMA)
    by_listing = plan.join(taken.select("listing_id", "units_allocated"), on="listing_id", how="left")
    sums = by_listing.group_by("pool_id").agg(
        pl.col("units_allocated").filter(pl.col("position") == EARLIER).sum().alias("taken_before"),
        pl.col("pool_reserve").filter(pl.col("position") == LATER).sum().alias("held_later"),
        pl.col("pool_reserve").filter(pl.col("position") == THIS_RUN).sum().alias("held_now"))
    free = pl.col("units") - pl.col("taken_before") - pl.col("held_later") - pl.col("held_now")
    return (pools.select("pool_id", "sku_id", "units").join(sums, on="pool_id", how="inner")
            .with_columns(pl.col("taken_before", "held_later", "held_now").fill_null(0).cast(pl.Int64))
            .with_columns(free.clip(lower_bound=0).cast(pl.Int64).alias("shared_left"))
            .select(list(BUDGET_SCHEMA)).sort("pool_id"))


def allocate_from_pools(lines: pl.DataFrame, budgets: pl.DataFrame) -> pl.DataFrame:
    """Step 2's pool cap, after the listings' own caps (`qty_allocated` is what each line would get
    without the pool): reserve first, then `shared_left`, first come first served over the pool.
    A line of a listing without a pool keeps what it has."""
    if budgets.height == 0 and lines["pool_id"].null_count() == lines.height:
        return lines  # no pool in the run (the common case): nothing to cap
    demand = pl.col("qty_allocated")
    reserve = pl.col("pool_reserve").fill_null(0)
    before = demand.cum_sum().over("listing_id") - demand
    from_reserve = (pl.min_horizontal(reserve, before + demand) - pl.min_horizontal(reserve, before))
    shares = budgets.select("pool_id", pl.col("shared_left").alias("_shared_left"))
    walked = (lines.sort(FCFS_RANK).join(shares, on="pool_id", how="left", maintain_order="left")
              .with_columns(pl.when(pl.col("pool_id").is_null()).then(0).otherwise(from_reserve)
                            .cast(pl.Int64).alias("_from_reserve")))
    unplanned = walked.filter(pl.col("pool_id").is_not_null() & pl.col("_shared_left").is_null())
    if unplanned.height:
        raise ValueError(f"pool(s) {sorted(unplanned['pool_id'].unique().to_list())[:5]} of the run have no budget: "
                         "plan the pools (pool_budgets) before allocating")
    beyond = pl.col("qty_allocated") - pl.col("_from_reserve")
    from_shared = capped(beyond, pl.col("_shared_left"), ["pool_id"])
    got = pl.when(pl.col("pool_id").is_null()).then(pl.col("qty_allocated")) \
        .otherwise(pl.col("_from_reserve") + from_shared).cast(pl.Int64)
    return (walked.with_columns(got.alias("_got"))
            .with_columns(first_cut(OUT_OF_STOCK, pl.col("_got") < pl.col("qty_allocated")))
            .with_columns(pl.col("_got").alias("qty_allocated"))
            .drop("_shared_left", "_from_reserve", "_got"))


def pool_report(plan: pl.DataFrame, budgets: pl.DataFrame, taken: pl.DataFrame,
                allocations: pl.DataFrame) -> list[dict]:
    """Per pool of the run (summary.json `pools`): its units, what each turn took (earlier turns:
    their runs' allocations; this run: its allocations; later turns: the reserve they hold), what
    the reserves still hold and what is left for later turns beyond them."""
    now = allocations.group_by("listing_id").agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units_allocated"))
    took = pl.concat([taken.select("listing_id", pl.col("units_allocated").cast(pl.Int64)), now]) \
        .group_by("listing_id").agg(pl.col("units_allocated").last())
    report = []
    for budget in budgets.iter_rows(named=True):
        turns = (plan.filter(pl.col("pool_id") == budget["pool_id"])
                 .join(took, on="listing_id", how="left")
                 .with_columns(pl.when(pl.col("position") == LATER).then(None)
                               .otherwise(pl.col("units_allocated").fill_null(0)).alias("units_allocated"))
                 .group_by("calendar", "turn_date", "turn_at", "position", maintain_order=True)
                 .agg(pl.col("listing_id"), pl.col("units_allocated").sum(), pl.col("pool_reserve").sum(),
                      pl.col("units_allocated").is_null().all().alias("_later")))
        rows = [{"calendar": t["calendar"], "cutoff_date": t["turn_date"].isoformat(), "position": t["position"],
                 "listings": t["listing_id"], "reserve": int(t["pool_reserve"]),
                 "taken": None if t["_later"] else int(t["units_allocated"])}
                for t in turns.iter_rows(named=True)]
        taken_now = sum(t["taken"] for t in rows if t["position"] == THIS_RUN)
        left = budget["units"] - budget["taken_before"] - taken_now - budget["held_later"]
        report.append({"pool_id": budget["pool_id"], "sku_id": budget["sku_id"], "units": budget["units"],
                       "taken_before": budget["taken_before"], "taken_now": taken_now,
                       "held_later": budget["held_later"], "left": left, "turns": rows})
    return report


def stale_pool_warnings(plan: pl.DataFrame, before: pl.DataFrame, after: pl.DataFrame,
                        later_done: pl.DataFrame, window: CutoffWindow) -> list[str]:
    """`pool_stale: ...` for each pool whose listings of this run now take other units than the run
    stored before (`before`, `after`: listing_id, units_allocated) while later turns of the pool
    already ran with what this run left (`later_done`: calendar, cutoff_date of those runs)."""
    warnings = []
    ran = later_done.select("calendar", "cutoff_date", pl.lit(True).alias("_ran"))
    for pool_id in plan["pool_id"].unique().sort().to_list():
        mine = plan.filter((pl.col("pool_id") == pool_id) & (pl.col("position") == THIS_RUN))["listing_id"]
        was = int(before.filter(pl.col("listing_id").is_in(mine.implode()))["units_allocated"].sum())
        now = int(after.filter(pl.col("listing_id").is_in(mine.implode()))["units_allocated"].sum())
        later = (runs_of(plan.filter(pl.col("pool_id") == pool_id), LATER)
                 .join(ran, on=["calendar", "cutoff_date"], how="inner").sort("turn_at", "calendar"))
        if was == now or later.height == 0:
            continue
        named = ", ".join(f"{r['calendar']} {r['cutoff_date'].isoformat()}" for r in later.iter_rows(named=True))
        commands = "; ".join(f"cutoff run --calendar {r['calendar']} --date {r['cutoff_date'].isoformat()}"
                             for r in later.iter_rows(named=True))
        warnings.append(
            f"pool_stale: pool {pool_id}: the {window.label} cutoff now takes {now} unit(s) of it (it took {was} "
            f"before), and the later cutoff(s) {named} already ran with what it left: rerun them in this order "
            f"({commands})")
    return warnings


def taken_as_reported(plan: pl.DataFrame, reported: pl.DataFrame) -> pl.DataFrame:
    """What the earlier turns of `plan` took, from their runs' own report (`reported`: pool_id,
    calendar, turn_date, taken: each earlier run's summary.json `pools`, its own turn), as
    `pool_budgets` takes it (listing_id, units_allocated): a turn's units on its first listing, 0 on
    the others (the budgets sum them per pool). A turn without a report took nothing yet."""
    turns = (plan.filter(pl.col("position") == EARLIER)
             .join(reported.select("pool_id", "calendar", "turn_date", "taken"),
                   on=["pool_id", "calendar", "turn_date"], how="left")
             .sort("pool_id", "calendar", "turn_date", "listing_id"))
    first = pl.col("listing_id").rank("ordinal").over("pool_id", "calendar", "turn_date") == 1
    return turns.select("listing_id", pl.when(first).then(pl.col("taken").fill_null(0)).otherwise(0)
                        .cast(pl.Int64).alias("units_allocated"))


def pool_left(plan: pl.DataFrame, budgets: pl.DataFrame, allocations: pl.DataFrame) -> pl.DataFrame:
    """Per listing of the run that sells from a pool (listing_id, pool_left): the units it could
    still get from the pool after `allocations` (listing_id, qty_allocated): what its own reserve
    still holds plus what is left of the pool's shared units once every listing of the run has
    drawn on its reserve first."""
    used = allocations.group_by("listing_id").agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("_used"))
    mine = (plan.filter(pl.col("position") == THIS_RUN).select("pool_id", "listing_id", "pool_reserve")
            .join(used, on="listing_id", how="left").with_columns(pl.col("_used").fill_null(0))
            .join(budgets.select("pool_id", "shared_left"), on="pool_id", how="left"))
    beyond = (pl.col("_used") - pl.col("pool_reserve")).clip(lower_bound=0).sum().over("pool_id")
    left = ((pl.col("pool_reserve") - pl.col("_used")).clip(lower_bound=0)
            + (pl.col("shared_left").fill_null(0) - beyond).clip(lower_bound=0))
    return mine.select("listing_id", left.cast(pl.Int64).alias("pool_left")).sort("listing_id")
