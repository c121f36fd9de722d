"""What presales, buyers' groups and stock pools cost the close stage: the rules of a cutoff on the
same generated lines, with the generator's pools, deposit presales and buyers' groups, and with
their listings taken out of the run (their lines dropped, pools off). Prints wall and CPU seconds
(CPU: this process, steadier on a shared machine) and appends a `kind: presale` line to
benchmarks/results.jsonl.

    .venv/bin/python benchmarks/presale.py --orders 1000000
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from synthetic.dataset import generate_dataset  # noqa: E402
from transforms.close import SaleContext, close_listings  # noqa: E402
from transforms.windows import parse_clock, window_for  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.jsonl"
DAY = date(2026, 11, 20)


def timed(function, repeat: int = 3) -> tuple[float, float, object]:
    """The best of `repeat` runs: wall seconds, CPU seconds, the result."""
    best = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        figures = (time.perf_counter() - wall, time.process_time() - cpu)
        best = figures if best is None or figures[0] < best[0] else best
    return best[0], best[1], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        generate_dataset(data_dir, args.orders, DAY, 7, receipts=False)
        # the lines and their context as the run reads them, once
        from inbox.ingest import load_inbox, read_inbox, validate_inbox
        from inbox.master import load_master
        from transforms.close import select_closing_listings
        from warehouse.connection import open_warehouse
        from warehouse.pools import plan_run_pools, pool_state
        from warehouse.queries import order_lines_of_calendar
        window = window_for("nightly", DAY, "Asia/Shanghai", parse_clock("20:00"))
        master = load_master(data_dir, "Asia/Shanghai")
        files = read_inbox(data_dir, set(), kinds=("orders",))
        no_refunds = pl.DataFrame(schema={"refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64,
                                          "amount_fen": pl.Int64, "created_at": pl.Datetime("us", "UTC")})
        inbox = validate_inbox(files, master, "Asia/Shanghai", 1, no_refunds, "bench")
        with open_warehouse(data_dir / "w.duckdb") as warehouse:
            for name, table in master.tables().items():
                warehouse.replace_table(name, table)
            load_inbox(warehouse, inbox)
            lines = order_lines_of_calendar(warehouse, "nightly")
            plan = plan_run_pools(warehouse, master.listings, window, "Asia/Shanghai", parse_clock("20:00"))
            pools = pool_state(warehouse, plan, master.pools, select_closing_listings(master.listings, window))
        del inbox, files
        presale_ids = master.listings.filter(
            pl.col("deposit_fen").is_not_null() | pl.col("audience_listing_id").is_not_null())["listing_id"]
        plain_listings = master.listings.filter(~pl.col("listing_id").is_in(presale_ids.implode())) \
            .with_columns(pl.lit(None, pl.String).alias("pool_id"), pl.lit(0, pl.Int64).alias("pool_reserve"))
        plain_lines = lines.filter(~pl.col("listing_id").is_in(presale_ids.implode()))
        with_wall, with_cpu, closed = timed(
            lambda: close_listings(lines, master.listings, master.products, window, pools.context))
        plain_wall, plain_cpu, plain = timed(
            lambda: close_listings(plain_lines, plain_listings, master.products, window, SaleContext()))
    allocations = closed.allocations
    row = {"kind": "presale", "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "machine": platform.machine(), "orders": args.orders, "eligible_lines": allocations.height,
           "presale_lines": int(allocations["listing_id"].is_in(presale_ids.implode()).sum()),
           "pools": master.pools.height, "close_s": round(with_wall, 2), "close_cpu_s": round(with_cpu, 2),
           "close_without_presales_s": round(plain_wall, 2), "close_without_presales_cpu_s": round(plain_cpu, 2),
           "eligible_lines_without_presales": plain.allocations.height}
    print(json.dumps(row, ensure_ascii=False))
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
