"""What a cutoff run reads from the warehouse to sell from stock pools and to open buyers' groups
(rulebook: "Presale deposits, the presale buyers' group and one stock pool"): which runs have
happened, what the listings of earlier turns took, the customers of the audience listings. The
rules that decide from them are transforms/pools.py and transforms/presale.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import polars as pl

from errors import RunOrderError
from transforms.close import SaleContext
from transforms.pools import (
    EARLIER,
    LATER,
    THIS_RUN,
    missing_turns,
    plan_pools,
    pool_budgets,
    pool_turns,
    runs_of,
    stale_pool_warnings,
)
from transforms.presale import audience_members
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse

TAKEN_SCHEMA = {"listing_id": pl.String, "units_allocated": pl.Int64}


@dataclass(frozen=True)
class PoolState:
    """A run's pools: the turns of each pool it sells from (`transforms.pools.plan_pools`), what the
    earlier turns took, and the context the rules need."""

    plan: pl.DataFrame
    taken: pl.DataFrame  # listing_id, units_allocated: the listings of earlier turns
    context: SaleContext


def runs_done(warehouse: Warehouse) -> pl.DataFrame:
    """(calendar, cutoff_date) of every cutoff that has completed once: its partitions hold what it
    decided (a later failed attempt stops before replacing them, or replaces them whole)."""
    return warehouse.frame("SELECT DISTINCT calendar, cutoff_date FROM run_log WHERE status = 'success'")


def plan_run_pools(warehouse: Warehouse, listings: pl.DataFrame, window: CutoffWindow, timezone: str,
                   nightly_at: time) -> pl.DataFrame:
    """The pool turns of the run of `window`. Stops the run (RunOrderError, nothing written) when a
    pool it sells from needs an earlier turn whose cutoff has not run yet."""
    plan = plan_pools(pool_turns(listings, timezone, nightly_at), window)
    missing = missing_turns(plan, runs_done(warehouse))
    if missing.height:
        first = missing.row(0, named=True)
        pools = plan.join(missing.select("calendar", pl.col("cutoff_date").alias("turn_date")),
                          on=["calendar", "turn_date"])
        named = ", ".join(f"{r['calendar']} {r['cutoff_date'].isoformat()}" for r in missing.iter_rows(named=True))
        listed = ", ".join(f"{r['listing_id']} (pool {r['pool_id']})" for r in pools.iter_rows(named=True))
        raise RunOrderError(
            f"the {window.label} cutoff sells from stock pools that earlier cutoffs sell from first, and these "
            f"have not run yet: {named} (listings {listed}). A pool is consumed in turn "
            f"order, whatever order the runs happen in. Run `cutoff run --calendar {first['calendar']} --date "
            f"{first['cutoff_date'].isoformat()}` first (or every cutoff in turn order: `cutoff backfill --calendar "
            f"both --from {first['cutoff_date'].isoformat()} --to {window.cutoff_date.isoformat()}`). Nothing was "
            f"written.")
    return plan


def taken_by(warehouse: Warehouse, plan: pl.DataFrame, position: str = EARLIER) -> pl.DataFrame:
    """What each listing of the plan's `position` turns allocated, as its own run decided (after
    every step): listing_id, units_allocated (0 for a listing its run allocated nothing)."""
    turns = plan.filter(pl.col("position") == position).select("listing_id", "calendar", "turn_date")
    if turns.height == 0:
        return pl.DataFrame(schema=TAKEN_SCHEMA)
    warehouse.con.register("_turns", turns)
    try:
        found = warehouse.frame("""
            SELECT t.listing_id, CAST(coalesce(sum(a.qty_allocated), 0) AS BIGINT) AS units_allocated
            FROM _turns t LEFT JOIN allocations a
              ON a.listing_id = t.listing_id AND a.calendar = t.calendar AND a.cutoff_date = t.turn_date
            GROUP BY t.listing_id ORDER BY t.listing_id""")
    finally:
        warehouse.con.unregister("_turns")
    return found.cast(TAKEN_SCHEMA)


def audience_of(warehouse: Warehouse, closing: pl.DataFrame) -> pl.DataFrame:
    """The customers of the audience listings of the run's buyers' groups, from the stored current
    lines of those listings, whatever their calendar."""
    ids = closing["audience_listing_id"].drop_nulls().unique().sort().to_list()
    lines = warehouse.frame("SELECT listing_id, customer_id, status FROM order_lines "
                            "WHERE listing_id IN (SELECT unnest(?::VARCHAR[]))", [ids]) if ids else pl.DataFrame()
    return audience_members(lines)


def pool_state(warehouse: Warehouse, plan: pl.DataFrame, pools: pl.DataFrame, closing: pl.DataFrame) -> PoolState:
    """The run's pools and buyers' groups, read once the inbox is loaded."""
    taken = taken_by(warehouse, plan)
    return PoolState(plan, taken, SaleContext(audience=audience_of(warehouse, closing),
                                              pools=pool_budgets(plan, pools, taken)))


def stored_this_run(warehouse: Warehouse, plan: pl.DataFrame) -> pl.DataFrame:
    """What the run's own pool listings allocated when the run was last stored (before a rerun
    replaces its partition)."""
    return taken_by(warehouse, plan, THIS_RUN)


def later_runs_done(warehouse: Warehouse, plan: pl.DataFrame) -> pl.DataFrame:
    """The later turns' runs of the plan that have already run."""
    return runs_of(plan, LATER).join(runs_done(warehouse), on=["calendar", "cutoff_date"], how="inner")


def stale_pools(warehouse: Warehouse, plan: pl.DataFrame, allocations: pl.DataFrame, window: CutoffWindow) -> list[str]:
    """`pool_stale: ...` when the run now takes other units from a pool than it stored before, and
    later turns of that pool already ran with what it left. Call before the run's partitions are
    replaced."""
    if plan.height == 0:
        return []
    after = allocations.group_by("listing_id").agg(
        pl.col("qty_allocated").sum().cast(pl.Int64).alias("units_allocated"))
    return stale_pool_warnings(plan, stored_this_run(warehouse, plan), after, later_runs_done(warehouse, plan), window)
