"""Time each stage of a cutoff at scale, with peak memory; print the figures and append them to
benchmarks/results.jsonl.

    .venv/bin/python benchmarks/stages.py            # 1M order lines (default)
    .venv/bin/python benchmarks/stages.py --orders 200000

The stages run as plain functions (each Prefect task's `.fn`), so the figures are the work itself,
without the orchestration (Prefect adds a few ms per task and ~4 s to start an embedded server).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows import cutoff_flow as stages  # noqa: E402
from flows.planning import plan_run  # noqa: E402
from flows.settings import Settings  # noqa: E402
from ledger.posting import post_commissions  # noqa: E402
from outputs.run_folder import new_staging_dir, publish_dir  # noqa: E402
from sheets.commissions_book import write_commissions_workbook  # noqa: E402
from sheets.run_books import write_run_workbooks  # noqa: E402
from synthetic.dataset import generate_dataset  # noqa: E402
from transforms.close import select_closing_listings  # noqa: E402
from warehouse.connection import open_warehouse  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.jsonl"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 21))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    data_dir, reports_dir = args.work / "data", args.work / "reports"
    figures: list[tuple[str, float, float]] = []

    def timed(name, fn, *a):
        started = time.perf_counter()
        value = fn(*a)
        figures.append((name, time.perf_counter() - started, peak_rss_mb()))
        print(f"  {name:<10} {figures[-1][1]:7.2f} s   peak RSS {figures[-1][2]:7.0f} MB", flush=True)
        return value

    print(f"cutoff benchmark: {args.orders:,} order lines, nightly {args.date}")
    timed("generate", generate_dataset, data_dir, args.orders, args.date, args.seed)
    settings = Settings(data_dir=data_dir, reports_dir=reports_dir)
    plan = plan_run("nightly", args.date, settings, force=True)
    with open_warehouse(settings.warehouse_path) as warehouse:  # once, as the flow does
        master, files = timed("ingest", stages.ingest.fn, plan, warehouse)
        closing_ids = select_closing_listings(master.listings, plan.window)["listing_id"].to_list()
        rejects = timed("validate", stages.validate.fn, plan, warehouse, master, files, closing_ids)
        result = timed("close", stages.close.fn, plan, warehouse, master, rejects)
        with warehouse.transaction():  # as stages.store_run_tables, timed apart
            timed("write", stages.write_partitions, warehouse, plan, result)
            posting = timed("ledger", post_commissions, warehouse, plan.window, result.closed.allocations, master)
        as_of = stages.inputs_as_of(warehouse, settings)
    folder = new_staging_dir(plan.output_dir)
    tables = timed("files", stages.write_run_files, folder, plan, master, result, posting, as_of)
    foundation = sum(seconds for name, seconds, _ in figures if name not in ("generate", "ledger"))
    timed("sheets", write_run_workbooks, folder, tables, settings, "zh")
    timed("comm.xlsx", write_commissions_workbook, folder / "commissions.xlsx", posting.entries, master, "zh")

    timed("publish", publish_dir, folder, plan.output_dir)

    pipeline = sum(seconds for name, seconds, _ in figures if name != "generate")
    print(f"  {'foundation':<10} {foundation:7.2f} s   (issue 2's stages: ingest + validate + close + write + files;"
          " target <= 15 s)")
    print(f"  {'total':<10} {pipeline:7.2f} s   (everything but email)")
    record = {"kind": "stages (in-process, benchmarks/stages.py)",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "orders": args.orders,
        "eligible_lines": result.closed.allocations.height, "machine": f"{platform.machine()} cores=2",
        "stages": {name: {"seconds": round(seconds, 3), "peak_rss_mb": round(rss)} for name, seconds, rss in figures},
        "foundation_seconds": round(foundation, 3), "pipeline_seconds": round(pipeline, 3),
    }
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
