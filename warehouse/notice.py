"""What the notice before arrival reads from the warehouse: one cutoff's allocated lines, its
shortages, and whether its cutoff and goods-in runs succeeded. Read-only and brief: opened, read,
closed (a run opening the warehouse meanwhile waits for the lock, warehouse/connection.py
LOCK_GRACE_SECONDS), or read through the connection a goods-in run already holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse, open_warehouse

LINE_COLUMNS = ["order_id", "line_no", "pickup_point_id", "customer_id", "customer_name", "phone_tail", "sku_id",
                "qty_allocated"]


@dataclass(frozen=True)
class NoticeBasis:
    cutoff_status: str | None    # the cutoff run's latest attempt: success, failed, or None (never run)
    goods_in_status: str | None  # the goods-in run's
    allocations: pl.DataFrame    # LINE_COLUMNS of the lines with units allocated
    shortages: pl.DataFrame      # order_id, line_no, units_short


def _table_exists(warehouse: Warehouse, name: str) -> bool:
    return bool(warehouse.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))


def read_notice_basis(warehouse: Warehouse, window: CutoffWindow) -> NoticeBasis:
    this = [window.calendar, window.cutoff_date]
    status = warehouse.scalar("SELECT status FROM runs WHERE calendar = ? AND cutoff_date = ?", this)
    goods_in = warehouse.scalar("SELECT status FROM receive_runs WHERE calendar = ? AND cutoff_date = ?", this) \
        if _table_exists(warehouse, "receive_runs") else None
    allocations = warehouse.frame(
        f"SELECT {', '.join(LINE_COLUMNS)} FROM allocations WHERE calendar = ? AND cutoff_date = ? "
        "AND qty_allocated > 0 ORDER BY order_id, line_no", this)
    shortages = warehouse.frame(
        "SELECT order_id, line_no, units_short FROM shortages WHERE calendar = ? AND cutoff_date = ? "
        "ORDER BY order_id, line_no", this) if goods_in == "success" else \
        pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "units_short": pl.Int64})
    return NoticeBasis(status, goods_in, allocations, shortages)


def read_notice_basis_briefly(path: Path, window: CutoffWindow) -> NoticeBasis:
    """Open the warehouse read-only, read, close."""
    with open_warehouse(path, read_only=True) as warehouse:
        return read_notice_basis(warehouse, window)
