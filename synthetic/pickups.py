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
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

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


def write_pickup_scans(scans: pl.DataFrame, data_dir: Path, cutoff_date) -> Path:
    """inbox/pickups/pickups-<D>.csv (UTF-8), written aside and renamed into place."""
    path = Path(data_dir) / "inbox" / "pickups" / f"pickups-{cutoff_date.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    scans.write_csv(partial)
    os.replace(partial, path)
    return path


def paid_nightly_lines(data_dir: Path, cutoff_date, cutoff_at: datetime) -> pl.DataFrame:
    """The generated nightly order lines of D that were paid and placed in time (read back from the
    order exports; the presale lines close on Sunday, and a line changed later is left out). Some of
    them are cut by the cutoff (out of stock, no group): their scans are rejected, as a scan of a line
    that was not handed out is."""
    folder = Path(data_dir) / "inbox" / "orders"
    prefix = f"orders-{cutoff_date.isoformat()}"
    columns = ["order_id", "line_no", "pickup_point_id", "status", "created_at"]
    parts = [pl.read_csv(p, infer_schema=False, columns=columns) for p in sorted(folder.glob(f"{prefix}-part*.csv"))]
    late = folder / f"{prefix}-late.jsonl"
    if late.is_file():
        parts.append(pl.read_ndjson(late).select(columns).cast(pl.String))
    changed = folder / f"{prefix}-cancellations.csv"
    later = (pl.read_csv(changed.read_bytes().decode("gb18030").encode(), infer_schema=False, columns=columns)
             if changed.is_file() else pl.DataFrame(schema={c: pl.String for c in columns}))
    if not parts:
        return pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "pickup_point_id": pl.String})
    closes = cutoff_at.strftime("%Y-%m-%dT%H:%M:%S")
    return (pl.concat(parts).filter((pl.col("status") == "paid") & (pl.col("created_at").str.slice(0, 19) <= closes))
            .join(later.select("order_id", "line_no"), on=["order_id", "line_no"], how="anti")
            .select("order_id", pl.col("line_no").cast(pl.Int64), "pickup_point_id"))
