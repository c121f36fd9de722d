"""Goods-in receipts for the synthetic data set (inbox/receipts/receipts-D.csv): what the central
warehouse counts in the morning after the nightly cutoff of D.

A receipt answers a purchase line, so the purchase lines come first: `expected_purchase_lines`
applies the cutoff's own rules (inbox/ ingest and validation, transforms/close.py,
transforms/purchase.py) to the generated files, in a temporary warehouse, and gets exactly the
purchase lines `cutoff run` will make. Then, per supplier with a purchase order (`make_receipts`):
- most deliver exactly what they were ordered (one receipt per SKU, a large line in two deliveries);
- about 1 in 10 (at least one) delivers short: one of its lines comes 1-3 units under what
  customers were allocated;
- about 1 in 10 (at least one) has damaged goods: one line has 1-3 units more than its
  case-rounding surplus rejected at inspection (so customers go without);
- about 1 in 20 over-delivers a line by a unit or two (not paid);
- one supplier has not arrived yet (no receipt: its lines stay `pending`).
Deliveries arrive on D+1 between 05:00 and 08:00, local time. The draws come from their own
generator (`seed`, then 14), so the order files stay what they were without receipts.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from inbox.ingest import load_inbox, read_inbox, validate_inbox
from inbox.master import Master, load_master
from transforms.close import close_listings, select_closing_listings
from transforms.purchase import build_purchase_lines
from transforms.windows import window_for
from warehouse.connection import open_warehouse
from warehouse.pools import plan_run_pools, pool_state
from warehouse.queries import order_lines_of_calendar

RECEIPT_COLUMNS = ["receipt_id", "calendar", "cutoff_date", "supplier_id", "sku_id", "units_received",
                   "units_damaged", "received_at", "note"]
SPLIT_ABOVE = 200  # a line of more units than this comes in two deliveries


def expected_purchase_lines(data_dir: Path, cutoff_date: date, timezone: str, nightly_at: time) -> pl.DataFrame:
    """The purchase lines the nightly cutoff of `cutoff_date` makes of the data dir's files."""
    master, allocations = expected_allocations(data_dir, cutoff_date, timezone, nightly_at)
    return build_purchase_lines(allocations, master.products)


def expected_allocations(data_dir: Path, cutoff_date: date, timezone: str,
                         nightly_at: time) -> tuple[Master, pl.DataFrame]:
    """The master data and the allocations the nightly cutoff of `cutoff_date` makes of the data
    dir's order files (the cutoff's own rules, in a scratch warehouse)."""
    master = load_master(data_dir, timezone)
    files = read_inbox(data_dir, set(), kinds=("orders",), defer=True)  # a file at a time (docs/scale.md)
    no_refunds = pl.DataFrame(schema={"refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64,
                                      "amount_fen": pl.Int64, "created_at": pl.Datetime("us", "UTC")})
    inbox = validate_inbox(files, master, timezone, 1, no_refunds, "generate")
    window = window_for("nightly", cutoff_date, timezone, nightly_at)
    with tempfile.TemporaryDirectory() as scratch, open_warehouse(Path(scratch) / "w.duckdb") as warehouse:
        for name, table in master.tables().items():
            warehouse.replace_table(name, table)
        load_inbox(warehouse, inbox)
        del inbox, files  # loaded: not held beside the lines read back
        lines = order_lines_of_calendar(warehouse, "nightly")
        # the cutoff's stock pools and buyers' groups, as the run reads them (its pools' earliest turn)
        plan = plan_run_pools(warehouse, master.listings, window, timezone, nightly_at)
        pools = pool_state(warehouse, plan, master.pools, select_closing_listings(master.listings, window))
    return master, close_listings(lines, master.listings, master.products, window, pools.context).allocations


def make_receipts(purchase_lines: pl.DataFrame, cutoff_date: date, seed: int) -> pl.DataFrame:
    """The receipts of the purchase lines (RECEIPT_COLUMNS, text as a CSV export has it)."""
    rng = np.random.default_rng([seed, 14])
    lines = purchase_lines.sort("supplier_id", "sku_id")
    suppliers = lines["supplier_id"].unique(maintain_order=True).to_list()
    if not suppliers:
        return pl.DataFrame(schema={c: pl.String for c in RECEIPT_COLUMNS})
    absent = suppliers[int(rng.integers(len(suppliers)))] if len(suppliers) > 1 else None
    fate = {s: str(rng.choice(["exact", "short", "damaged", "over"], p=[0.75, 0.1, 0.1, 0.05])) for s in suppliers}
    present = [s for s in suppliers if s != absent]
    for supplier, kind in zip(rng.permutation(present), ["short", "damaged"], strict=False):  # at least one each
        fate[str(supplier)] = kind
    morning = datetime.combine(cutoff_date + timedelta(days=1), time(5, 0))
    rows = []
    for supplier, frame in lines.group_by("supplier_id", maintain_order=True):
        supplier = supplier[0]
        if supplier == absent:
            continue
        arrives = morning + timedelta(minutes=int(rng.integers(0, 180)))
        marked = int(rng.integers(frame.height))  # the line a short, damaged or over delivery concerns
        for index, line in enumerate(frame.iter_rows(named=True)):
            received, damaged, note = line["units_purchased"], 0, ""
            if index == marked and fate[supplier] == "short":
                missing = int(rng.integers(1, 4)) + line["surplus_units"]
                received, note = max(0, received - missing), "少送"
            elif index == marked and fate[supplier] == "damaged":
                damaged, note = min(received, int(rng.integers(1, 4)) + line["surplus_units"]), "破损"
            elif index == marked and fate[supplier] == "over":
                received, note = received + int(rng.integers(1, 3)), "多送"
            parts = [received // 2, received - received // 2] if received > SPLIT_ABOVE else [received]
            for number, units in enumerate(parts):
                rows.append({"supplier_id": supplier, "sku_id": line["sku_id"], "units_received": units,
                             "units_damaged": damaged if number == len(parts) - 1 else 0,
                             "received_at": arrives + timedelta(minutes=20 * number), "note": note})
    day = cutoff_date.strftime("%Y%m%d")
    return pl.DataFrame(rows).with_row_index("n", offset=1).select(
        pl.format("GR{}-{}", pl.lit(day), pl.col("n").cast(pl.String).str.zfill(5)).alias("receipt_id"),
        pl.lit("nightly").alias("calendar"), pl.lit(cutoff_date.isoformat()).alias("cutoff_date"),
        "supplier_id", "sku_id", pl.col("units_received").cast(pl.String), pl.col("units_damaged").cast(pl.String),
        pl.col("received_at").dt.strftime("%Y-%m-%dT%H:%M:%S"), "note")


def write_receipts(data_dir: Path, purchase_lines: pl.DataFrame, cutoff_date: date, seed: int) -> tuple[Path, int]:
    """inbox/receipts/receipts-D.csv, UTF-8 with a byte-order mark (the warehouse's Excel export),
    written to a temporary name and renamed into place."""
    receipts = make_receipts(purchase_lines, cutoff_date, seed)
    path = Path(data_dir) / "inbox" / "receipts" / f"receipts-{cutoff_date.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(b"\xef\xbb\xbf" + receipts.write_csv().encode("utf-8"))
    partial.replace(path)
    return path, receipts.height
