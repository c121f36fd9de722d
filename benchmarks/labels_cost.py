"""Benchmark: what the pickup codes and labels add to a run's workbooks (issue 30, docs/labels.md
"Speed and size"), in CPU-seconds, so a loaded shared machine skews it less than wall time.

The project's data set (`cutoff generate`: at 1M lines 5,000 pickup points on 100 routes, ~2
lines an order; fewer points at smaller sizes) run through ingest, validate and close in this
process (the tables kept in benchmarks/work/labels-<lines>.pickle for the next time), then
`write_run_workbooks` in this process with one worker (no pool: every CPU-second is this
process's, polars' threads included), books alone (no pickup key) and books + codes + labels,
alternated `--repeat` times; the least of each is kept (load only ever adds). The labels' share
at a size is the difference.

    .venv/bin/python benchmarks/labels_cost.py [--lines 30000,100000] [--repeat 3] [--size 80x60]
        [--profile FILE.prof] [--no-record]

`--profile` runs books + labels once at the first size under cProfile (`python -m pstats FILE`);
`--once` runs it once (for a sampling profiler: `.venv/bin/py-spy record -r 200 -f raw -o F -- ...`).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# polars' allocator as in a workbook worker (outputs/processes.py WORKER_ALLOCATOR), where a run
# writes its books and labels: set before polars loads
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:1000,muzzy_decay_ms:1000")

from flows import cutoff_flow as stages  # noqa: E402
from flows.planning import plan_run  # noqa: E402
from flows.run_inputs import inputs_as_of  # noqa: E402
from flows.settings import Settings  # noqa: E402
from sheets.run_books import write_run_workbooks  # noqa: E402
from sheets.run_tables import RunTables  # noqa: E402
from synthetic.dataset import generate_dataset  # noqa: E402
from transforms.close import select_closing_listings  # noqa: E402
from warehouse.connection import open_warehouse  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.jsonl"
WORK = ROOT / "benchmarks" / "work"
KEY = bytes(range(32))
DAY = date(2026, 11, 21)


def make_tables(lines: int) -> RunTables:
    """The run's tables for the books at `lines` order lines (generated, ingested, closed; cached)."""
    cached = WORK / f"labels-{lines}.pickle"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    work = WORK / f"labels-{lines}"
    shutil.rmtree(work, ignore_errors=True)
    generate_dataset(work / "data", lines, DAY, 7, receipts=False)
    settings = Settings(data_dir=work / "data", reports_dir=work / "reports")
    plan = plan_run("nightly", DAY, settings, force=True)
    with open_warehouse(settings.warehouse_path) as warehouse:
        master, pools, files = stages.ingest.fn(plan, warehouse)
        closing_ids = select_closing_listings(master.listings, plan.window)["listing_id"].to_list()
        rejects = stages.validate.fn(plan, warehouse, master, files, closing_ids)
        result = stages.close.fn(plan, warehouse, master, pools, rejects)
        tables = stages.book_tables(plan, master, result, inputs_as_of(warehouse, settings))
    shutil.rmtree(work, ignore_errors=True)
    cached.write_bytes(pickle.dumps(tables))
    return tables


def head_commit() -> str:
    """The checkout's commit (the code the figures are of)."""
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip() or "unknown"


def cpu_run(tables, settings: Settings, key: bytes | None) -> tuple[float, int]:
    """CPU-seconds (this process, all its threads) of writing the run's books, with labels when
    `key`; and the label files written."""
    out = Path(tempfile.mkdtemp(prefix="bench-labels-"))
    try:
        before = time.process_time()
        counts = write_run_workbooks(out, tables, settings, pickup_key=key)
        return time.process_time() - before, counts.get("labels", 0)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="200000,1000000", help="comma-separated sizes (order lines)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", default="80x60", help="CUTOFF_LABEL_SIZE")
    parser.add_argument("--profile", type=Path, help="cProfile books + labels at the first size into this file")
    parser.add_argument("--once", action="store_true",
                        help="books + labels once at the first size (to run under py-spy), nothing recorded")
    parser.add_argument("--no-record", action="store_true", help="do not append to benchmarks/results.jsonl")
    args = parser.parse_args()
    settings = replace(Settings(), workers=1, label_size=args.size)
    sizes = [int(s) for s in args.lines.split(",")]

    if args.profile:
        tables = make_tables(sizes[0])
        cpu_run(tables, settings, KEY)  # warm: imports, the font, templates
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        cpu_run(tables, settings, KEY)
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"profile of books + labels at {sizes[0]:,} lines: {args.profile}")
        return

    if args.once:
        tables = make_tables(sizes[0])
        seconds, files = cpu_run(tables, settings, KEY)
        print(f"books + codes + labels at {sizes[0]:,} lines: {seconds:.2f} CPU-s, {files:,} label files")
        return

    rows = []
    for lines in sizes:
        tables = make_tables(lines)
        cpu_run(tables, settings, KEY)  # warm
        books, labelled, files = [], [], 0
        for _ in range(args.repeat):
            books.append(cpu_run(tables, settings, None)[0])
            seconds, files = cpu_run(tables, settings, KEY)
            labelled.append(seconds)
        row = {"stage": "labels_cost", "lines": lines, "orders": tables.allocations["order_id"].n_unique(),
               "pickup_points": tables.allocations["pickup_point_id"].n_unique(),
               "label_files": files, "size": args.size, "books_cpu_s": round(min(books), 2),
               "books_labels_cpu_s": round(min(labelled), 2),
               "labels_cpu_s": round(min(labelled) - min(books), 2), "repeat": args.repeat,
               "load_avg_1m": round(os.getloadavg()[0], 2), "commit": head_commit(),
               "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        rows.append(row)
        print(f"{lines:>9,} lines, {row['orders']:,} orders, {row['pickup_points']:,} points, {files:,} label files: "
              f"books {row['books_cpu_s']:.2f} "
              f"CPU-s, books + codes + labels {row['books_labels_cpu_s']:.2f} CPU-s, labels "
              f"{row['labels_cpu_s']:.2f} CPU-s (all runs: {[round(b, 2) for b in books]} / "
              f"{[round(b, 2) for b in labelled]}; load {row['load_avg_1m']})", flush=True)
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
