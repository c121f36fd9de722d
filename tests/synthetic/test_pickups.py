"""Synthetic pickup scans: most lines the next day, some late, some never; seeded."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from synthetic.pickups import make_pickup_scans

CUTOFF = datetime(2026, 11, 21, 20, 0)
LINES = pl.DataFrame({"order_id": [f"O{n:05d}" for n in range(4000)], "line_no": [1] * 4000,
                      "pickup_point_id": [f"P{n % 40:02d}" for n in range(4000)]})


def test_the_scans_have_the_contract_columns_and_local_times():
    scans = make_pickup_scans(LINES, CUTOFF, seed=7)
    assert scans.columns == ["order_id", "line_no", "picked_up_at", "pickup_point_id"]
    times = scans["picked_up_at"].str.to_datetime("%Y-%m-%dT%H:%M:%S")
    assert times.min() >= datetime(2026, 11, 22, 8, 0) and times.max() < datetime(2026, 11, 25, 0, 0)
    assert scans["picked_up_at"].is_sorted()


def test_most_lines_are_collected_the_next_day_some_late_some_never():
    scans = make_pickup_scans(LINES, CUTOFF, seed=7)
    first = scans.group_by("order_id").agg(pl.col("picked_up_at").min().str.slice(0, 10).alias("day"))
    share = {day: n / LINES.height for day, n in first.group_by("day").len().iter_rows()}
    never = 1 - first.height / LINES.height
    assert 0.70 < share["2026-11-22"] < 0.85
    assert 0.08 < share.get("2026-11-23", 0) + share.get("2026-11-24", 0) < 0.20
    assert 0.03 < share.get("2026-11-24", 0) < 0.08  # after the 48-hour deadline
    assert 0.05 < never < 0.15
    assert 0.01 < scans.height / first.height - 1 < 0.05  # a few lines scanned twice


def test_the_same_seed_gives_the_same_scans_and_another_seed_others():
    assert make_pickup_scans(LINES, CUTOFF, seed=7).equals(make_pickup_scans(LINES, CUTOFF, seed=7))
    assert not make_pickup_scans(LINES, CUTOFF, seed=7).equals(make_pickup_scans(LINES, CUTOFF, seed=8))
