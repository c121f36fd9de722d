"""The mooncake goods-in example carried on to the pickups (rulebook "Pickups, the fulfilment
timeline and losses"), for the report tests: the nightly cutoff of 2026-11-21 (20:00 Asia/Shanghai),
its goods-in run (流心奶黄月礼盒 11 received, 1 damaged: 2 short, taken from D; 砂糖橘 13 received
against 12 purchased: 1 over), then the leaders' scans.

What it gives, by hand. To hand out: A 2, B 5, C 1, D 2 (4 minus 2 short) of SKU1 and F 7 of SKU2:
17 units. Scans (earliest counts): A 11-22 09:00, B 11-22 12:30 (and again 13:00), D 11-23 10:00,
F 11-24 09:00 (after the 48 h deadline of 11-23 20:00: still collected); C never (unpicked).
Timeline: goods in 06:10 (10.17 h) .. 07:40 (11.67 h); first pickup 13.0 h; half (9 of 17 units
with D) 38.0 h; last 61.0 h. P1 (A, C, F): 10 to hand out, 9 collected; P2 (B, D): 7 of 7.
Losses: S1 (SKU1 at 200.00) damaged 1, short 2, unpicked 1: 2 units lost of 12, 400.00;
S2 (SKU2 at 15.00) surplus 5, over 1: 5 lost of 12, 75.00. Worst first: S2, then S1."""

from __future__ import annotations

from pathlib import Path

from tests import datasets
from tests.datasets import MOONCAKE_RECEIPT, receipt, write_csv, write_receipts

DAY = "2026-11-21"
PICKUP_COLUMNS = ["order_id", "line_no", "picked_up_at", "pickup_point_id"]
SCANS = [
    {"order_id": "A", "line_no": "1", "picked_up_at": "2026-11-22T09:00:00", "pickup_point_id": "P1"},
    {"order_id": "B", "line_no": "1", "picked_up_at": "2026-11-22T13:00:00", "pickup_point_id": "P2"},
    {"order_id": "B", "line_no": "1", "picked_up_at": "2026-11-22T12:30:00", "pickup_point_id": "P2"},
    {"order_id": "D", "line_no": "1", "picked_up_at": "2026-11-23T10:00:00+08:00", "pickup_point_id": "P2"},
    {"order_id": "F", "line_no": "1", "picked_up_at": "2026-11-24 09:00", "pickup_point_id": ""},
]
BAD_SCANS = [  # (row in the file, the reason's words)
    ({"order_id": "E", "line_no": "1", "picked_up_at": "2026-11-22T09:30:00", "pickup_point_id": "P1"},
     "order line E/1 has nothing to hand out (no units allocated after shortages)"),
    ({"order_id": "Z", "line_no": "9", "picked_up_at": "2026-11-22T09:30:00", "pickup_point_id": "P1"},
     "order line Z/9 is unknown: no such order line"),
    ({"order_id": "C", "line_no": "1", "picked_up_at": "2026-11-22 9点", "pickup_point_id": "P1"},
     "picked_up_at: '2026-11-22 9点' is not an ISO 8601 timestamp"),
    ({"order_id": "C", "line_no": "x", "picked_up_at": "2026-11-22T09:30:00", "pickup_point_id": "P1"},
     "line_no: 'x' is not a whole number"),
    ({"order_id": "C", "line_no": "1", "picked_up_at": "2026-11-22T09:40:00", "pickup_point_id": "P9"},
     "pickup_point_id 'P9' is not in pickup_points.csv"),
]


def write_scans(data_dir: Path, rows: list[dict], name: str = "pickups-1.csv") -> Path:
    return write_csv(data_dir / "inbox" / "pickups" / name, rows, PICKUP_COLUMNS)


def fulfilment_data_dir(data_dir: Path) -> Path:
    """The goods-in mooncake data dir with its two receipts; the scans are written after the runs."""
    datasets.mooncake_goods_in_dir(data_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT, receipt("GR-2", 13, supplier="S2", sku="SKU2",
                                                        received_at="2026-11-22T07:40:00")])
    return data_dir


def run_cutoff_and_goods_in(data_dir: Path, reports_dir: Path) -> None:
    from flows.cutoff_flow import cutoff_flow
    from flows.receive_flow import receive_flow
    cutoff_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir), reports_dir=str(reports_dir))
    receive_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir), reports_dir=str(reports_dir))
