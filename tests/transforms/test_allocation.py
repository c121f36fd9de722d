"""Steps 1 and 2 on hand-built lines: after close, then first-come-first-served stock allocation."""

from datetime import datetime, timezone

import polars as pl
from polars.testing import assert_frame_equal

from transforms.allocation import allocate_stock, mark_after_close, rank_first_come

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)


def lines(*rows: tuple, stock_cap=None, point_cap=None) -> pl.DataFrame:
    """(order_id, pickup_point_id, qty, minute)"""
    return pl.DataFrame(
        [{"order_id": o, "line_no": 1, "listing_id": "L1", "pickup_point_id": p, "qty": q,
          "created_at": T0.replace(minute=m), "opens_at": T0.replace(hour=0), "closes_at": T0.replace(hour=12),
          "stock_cap": stock_cap, "point_cap": point_cap} for o, p, q, m in rows],
        schema={"order_id": pl.String, "line_no": pl.Int64, "listing_id": pl.String, "pickup_point_id": pl.String,
                "qty": pl.Int64, "created_at": pl.Datetime("us", "UTC"), "opens_at": pl.Datetime("us", "UTC"),
                "closes_at": pl.Datetime("us", "UTC"), "stock_cap": pl.Int64, "point_cap": pl.Int64})


def test_allocation_walks_first_come_first_served_under_both_caps():
    frame = lines(("D", "P3", 5, 3), ("A", "P1", 5, 0), ("C", "P2", 5, 2), ("B", "P1", 5, 1), stock_cap=10, point_cap=4)
    allocated = allocate_stock(mark_after_close(rank_first_come(frame)))
    expected = (frame.sort("created_at").with_row_index("fcfs_rank")
                .with_columns(pl.Series("qty_allocated", [4, 0, 4, 2], pl.Int64),
                              pl.Series("cut_reason", ["out_of_stock"] * 4, pl.String),
                              pl.Series("reaches_group", [True] * 4)))
    assert_frame_equal(allocated, expected)


def test_without_caps_every_line_gets_its_qty_and_no_reason():
    frame = lines(("A", "P1", 3, 0), ("B", "P2", 7, 1))
    allocated = allocate_stock(mark_after_close(rank_first_come(frame)))
    assert allocated.select("order_id", "qty_allocated", "cut_reason").rows() == [("A", 3, None), ("B", 7, None)]
