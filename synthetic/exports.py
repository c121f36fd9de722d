"""The files a shop system exports: the order lines chunk by chunk into a UTF-8 CSV per part, the
presale lines into Parquet, a late export into JSONL, the later versions into a GB18030 CSV (what
Excel writes on a Chinese Windows machine), the refunds into a CSV; every file under a temporary
name, renamed into place when complete."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from synthetic.master_data import Listings
from synthetic.orders import Buyers, later_versions, make_order_lines, make_refund_requests, number_refunds, order_sizes
from synthetic.shape import CHUNK_ORDERS, CHUNKS_PER_PART, ORDER_COLUMNS, Calendar


def write_orders(
    rng: np.random.Generator, data_dir: Path, calendar: Calendar, listings: Listings,
    buyers: Buyers, lines: int,
) -> tuple[dict, list[Path]]:
    """Generate the order lines chunk by chunk into the order exports, then the refunds."""
    sizes = order_sizes(rng, lines)
    order_width = max(6, len(str(len(sizes))))
    counts = {"orders": lines, "order_ids": len(sizes), "order_rows": 0, "changed_lines": 0, "after_close": 0}
    refund_requests = []
    with OrderExports(data_dir / "inbox" / "orders", calendar.cutoff_date) as exports:
        for chunk, first in enumerate(range(0, len(sizes), CHUNK_ORDERS)):
            chunk_sizes = sizes[first:first + CHUNK_ORDERS]
            order_lines = make_order_lines(rng, calendar, listings, buyers, first, chunk_sizes, order_width)
            later = later_versions(rng, order_lines)
            exports.write(chunk, order_lines, later)
            refund_requests.append(make_refund_requests(rng, order_lines, calendar))
            counts["order_rows"] += order_lines.height + later.height
            counts["changed_lines"] += later.height
            counts["after_close"] += int(order_lines["_after_close"].sum())
    refunds = number_refunds(pl.concat(refund_requests), calendar)
    counts["refunds"] = refunds.height
    refunds_file = write_csv(refunds, data_dir / "inbox" / "refunds" / f"refunds-{calendar.cutoff_date}.csv")
    return counts, exports.files + [refunds_file]


class OrderExports:
    """The order export files of one date, written chunk by chunk, each under a temporary name
    and renamed into place when complete. Replaces earlier generated files of the same date."""

    def __init__(self, folder: Path, day: date):
        self.folder = folder
        self.prefix = f"orders-{day.isoformat()}"
        self.files: list[Path] = []
        self._handles: dict[Path, BinaryIO] = {}
        self._parquet: pq.ParquetWriter | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{self.prefix}-*"):
            stale.unlink()

    def __enter__(self) -> OrderExports:
        return self

    def __exit__(self, error_type, *_) -> None:
        if self._parquet is not None:
            self._parquet.close()
        for handle in self._handles.values():
            handle.close()
        for path in self._handles:
            if error_type is None:
                os.replace(partial_path(path), path)
            else:
                partial_path(path).unlink()
        self.files = list(self._handles)

    def write(self, chunk: int, order_lines: pl.DataFrame, later: pl.DataFrame) -> None:
        """The chunk's lines into the CSV part, the presale parquet or the late JSONL; their
        later versions into the GB18030 cancellations."""
        late, weekly = pl.col("_late"), pl.col("_weekly")
        part = f"part{chunk // CHUNKS_PER_PART + 1:03d}"
        self._append_csv(f"{self.prefix}-{part}.csv", order_lines.filter(~late & ~weekly))
        self._append_parquet(f"{self.prefix}-presale.parquet", order_lines.filter(~late & weekly))
        self._append_jsonl(f"{self.prefix}-late.jsonl", order_lines.filter(late))
        self._append_gb18030(f"{self.prefix}-cancellations.csv", later)

    def _handle(self, name: str) -> tuple[BinaryIO, bool]:
        """The open handle of a file, and whether it was just opened (so needs a header)."""
        path = self.folder / name
        if path in self._handles:
            return self._handles[path], False
        self._handles[path] = partial_path(path).open("wb")
        return self._handles[path], True

    def _append_csv(self, name: str, rows: pl.DataFrame) -> None:
        handle, first = self._handle(name)
        rows.select(ORDER_COLUMNS).write_csv(handle, include_header=first)

    def _append_jsonl(self, name: str, rows: pl.DataFrame) -> None:
        handle, _ = self._handle(name)
        rows.select(ORDER_COLUMNS).write_ndjson(handle)

    def _append_gb18030(self, name: str, rows: pl.DataFrame) -> None:
        handle, first = self._handle(name)
        handle.write(rows.select(ORDER_COLUMNS).write_csv(include_header=first).encode("gb18030"))

    def _append_parquet(self, name: str, rows: pl.DataFrame) -> None:
        table = rows.select(ORDER_COLUMNS).to_arrow()
        if self._parquet is None:
            handle, _ = self._handle(name)
            self._parquet = pq.ParquetWriter(handle, table.schema, compression="zstd")
        self._parquet.write_table(table)


def partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """A UTF-8 CSV with header, written to a temporary name and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(partial_path(path))
    os.replace(partial_path(path), path)
    return path
