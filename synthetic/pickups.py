"""Pickup scans (核销) as a shop system exports them (inbox/pickups/pickups-<D>.csv), for the demo
and for `cutoff generate`.

The shape, after the cutoff at D 20:00 (local time, written without an offset): goods arrive early
on D+1; most lines (~80%) are collected on D+1 between 08:00 and 22:30, around a late-morning and an
early-evening peak; ~12% late, on D+2 (some after the 48-hour deadline, on D+3); the rest never.
Pickup points differ: at a slow point (one in eight) twice as many lines are late or never
collected. ~3% of the scanned lines are scanned twice (the second a few minutes later: the
earliest counts). Seeded: the same lines and seed give the same file.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from synthetic.receipts import expected_allocations
from transforms.fulfilment import units_to_hand_out
from transforms.goods_in import decide_purchase_lines, take_back_short_units
from transforms.purchase import build_purchase_lines

NEXT_DAY_SHARE, LATE_SHARE = 0.80, 0.12  # the rest: never collected
AFTER_DEADLINE_SHARE = 0.3               # of the late ones: on D+3
SLOW_POINT_SHARE = 0.125
DOUBLE_SCAN_SHARE = 0.03
PEAKS = ((11.5, 1.5), (18.5, 1.5))       # hour of D+1 and spread (hours)
COLUMNS = ["order_id", "line_no", "picked_up_at", "pickup_point_id"]
SEED_SALT = 16                           # the scans draw from their own stream: the orders stay as they are


def make_pickup_scans(lines: pl.DataFrame, cutoff_at: datetime, seed: int) -> pl.DataFrame:
    """lines: order_id, line_no, pickup_point_id (the lines handed out); cutoff_at: the cutoff, local
    naive. Returns the scans (the contract's columns, picked_up_at as local text), in time order."""
    rng = np.random.default_rng([seed, SEED_SALT])
    lines = lines.select("order_id", "line_no", "pickup_point_id").sort("order_id", "line_no")
    n = lines.height
    points = lines["pickup_point_id"].unique().sort()
    slow_points = set(points.filter(pl.Series(rng.random(points.len()) < SLOW_POINT_SHARE)).to_list())
    slow = lines["pickup_point_id"].is_in(list(slow_points)).to_numpy()
    late_share = np.where(slow, 2 * LATE_SHARE, LATE_SHARE)
    never_share = np.where(slow, 2 * (1 - NEXT_DAY_SHARE - LATE_SHARE), 1 - NEXT_DAY_SHARE - LATE_SHARE)
    draw = rng.random(n)
    never = draw < never_share
    late = ~never & (draw < never_share + late_share)
    day_start = datetime.combine(cutoff_at.date() + timedelta(days=1), datetime.min.time())
    peak = rng.integers(0, len(PEAKS), n)
    centre = np.array([p[0] for p in PEAKS])[peak]
    spread = np.array([p[1] for p in PEAKS])[peak]
    drawn = rng.normal(centre, spread)
    jitter = rng.uniform(0.0, 1.5, n)  # outside the opening hours: folded back into the first or last 90 minutes
    next_day_hours = np.where(drawn < 8.0, 8.0 + jitter, np.where(drawn > 22.5, 22.5 - jitter, drawn))
    late_days = np.where(rng.random(n) < AFTER_DEADLINE_SHARE, 2, 1)
    late_hours = 24 * late_days + rng.uniform(9.0, 21.0, n)
    hours = np.where(late, late_hours, next_day_hours)
    seconds = np.round(hours * 3600).astype(np.int64)
    scanned = lines.with_columns(pl.Series("_seconds", seconds)).filter(pl.Series(~never))
    again = scanned.filter(pl.Series(rng.random(scanned.height) < DOUBLE_SCAN_SHARE))
    again = again.with_columns(pl.col("_seconds") + pl.Series(rng.integers(60, 1800, again.height)))
    start = pl.lit(day_start)
    return (pl.concat([scanned, again])
            .with_columns((start + pl.duration(seconds=pl.col("_seconds"))).dt.strftime("%Y-%m-%dT%H:%M:%S")
                          .alias("picked_up_at"))
            .sort("_seconds", "order_id", "line_no")
            .select(COLUMNS))


def write_pickup_scans(scans: pl.DataFrame, data_dir: Path, cutoff_date: date) -> Path:
    """inbox/pickups/pickups-<D>.csv (UTF-8), written aside and renamed into place."""
    path = Path(data_dir) / "inbox" / "pickups" / f"pickups-{cutoff_date.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    scans.write_csv(partial)
    os.replace(partial, path)
    return path


def expected_handout(data_dir: Path, cutoff_date: date, timezone: str, nightly_at: time) -> pl.DataFrame:
    """The lines the nightly cutoff of D will hand out (order_id, line_no, pickup_point_id): the
    cutoff's own allocations of the generated files (as synthetic.receipts finds its purchase lines),
    minus the units its generated receipts leave short (transforms.goods_in)."""
    master, allocations = expected_allocations(data_dir, cutoff_date, timezone, nightly_at)
    receipts_file = Path(data_dir) / "inbox" / "receipts" / f"receipts-{cutoff_date.isoformat()}.csv"
    receipts = (pl.read_csv(receipts_file, infer_schema=False).select(
        "supplier_id", "sku_id", pl.col("units_received").cast(pl.Int64), pl.col("units_damaged").cast(pl.Int64))
        if receipts_file.is_file() else pl.DataFrame(schema={"supplier_id": pl.String, "sku_id": pl.String,
                                                             "units_received": pl.Int64, "units_damaged": pl.Int64}))
    shortages = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    if receipts.height:
        payables = decide_purchase_lines(build_purchase_lines(allocations, master.products), receipts)
        shortages = take_back_short_units(allocations, payables).select("order_id", "line_no", "units_short")
    return units_to_hand_out(allocations.filter(pl.col("qty_allocated") > 0), shortages).select(
        "order_id", "line_no", "pickup_point_id")
