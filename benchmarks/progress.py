"""Time a `cutoff progress` run at scale, stage by stage, with peak memory; print the figures and
append them to benchmarks/results.jsonl (docs/progress.md, "What it costs").

    .venv/bin/python benchmarks/progress.py                       # 1M order lines, as of 15:00
    .venv/bin/python benchmarks/progress.py --orders 200000 --as-of 19:00
    .venv/bin/python benchmarks/progress.py --data-dir /tmp/big  # a data set made before

The stages run in-process as the flow's tasks do (without Prefect: ~3 s more to start a local
server from the command line): master data, every version of the closing listings' lines from the
inbox, the lines as of the instant, the cutoff's close twice, the progress rows, the leaders'
messages, the snapshot (progress.json, progress.xlsx, the messages).
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
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.progress_flow import Figures, plan_progress, progress_head  # noqa: E402
from flows.settings import Settings  # noqa: E402
from inbox.master import load_master  # noqa: E402
from inbox.versions import read_order_versions  # noqa: E402
from outputs.files import atomic_write_text  # noqa: E402
from outputs.progress_folder import PROGRESS, as_of_name, publish_snapshot, write_rows_json  # noqa: E402
from sheets.progress_book import write_progress_book  # noqa: E402
from synthetic.dataset import generate_dataset  # noqa: E402
from transforms.close import close_listings, select_closing_listings  # noqa: E402
from transforms.leader_messages import build_messages  # noqa: E402
from transforms.progress import PROGRESS_COLUMNS, as_if_every_group_forms, progress_rows, versions_as_of  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.jsonl"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 21))
    parser.add_argument("--as-of", dest="as_of", default="15:00", help="local HH:MM of the cutoff's date")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="an existing data set (else one is generated)")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work-progress")
    args = parser.parse_args()

    figures: list[tuple[str, float, float]] = []

    def timed(name, fn, *a):
        started = time.perf_counter()
        value = fn(*a)
        figures.append((name, time.perf_counter() - started, peak_rss_mb()))
        print(f"  {name:<10} {figures[-1][1]:7.2f} s   peak RSS {figures[-1][2]:7.0f} MB", flush=True)
        return value

    shutil.rmtree(args.work, ignore_errors=True)
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = args.work / "data"
        timed("generate", generate_dataset, data_dir, args.orders, args.date, args.seed)
    settings = Settings(data_dir=data_dir, reports_dir=args.work / "reports")
    hour, minute = (int(part) for part in args.as_of.split(":"))
    as_of = datetime(args.date.year, args.date.month, args.date.day, hour, minute, tzinfo=ZoneInfo(settings.timezone))
    plan = plan_progress("nightly", args.date, as_of, settings, now=datetime.now(timezone.utc), send=False)
    print(f"progress benchmark: {data_dir}, nightly {args.date} as of {args.as_of}")
    master = timed("master", load_master, data_dir, settings.timezone)
    closing = select_closing_listings(master.listings, plan.window)
    versions = timed("versions", read_order_versions, data_dir, master, settings.timezone,
                     closing["listing_id"].to_list(), "", closing["opens_at"].min())
    lines = timed("as_of", versions_as_of, versions.lines, plan.as_of)
    closed = timed("close", close_listings, lines, master.listings, master.products, plan.window)
    neutral = as_if_every_group_forms(master.listings, master.products)
    held = timed("close_held", close_listings, lines, *neutral, plan.window)
    rows = timed("rows", progress_rows, closed, held, master.products)
    messages = timed("messages", build_messages, rows, master.listings, master.products, master.pickup_points, {},
                     plan.window.end, plan.as_of, settings.timezone)
    result = Figures(master, rows, messages, versions.files, lines.height)

    def snapshot(folder: Path) -> None:
        timed("json", lambda: write_rows_json(folder / "progress.json",
                                              progress_head(plan, result, datetime.now(timezone.utc)),
                                              rows.select(PROGRESS_COLUMNS)))
        timed("xlsx", lambda: write_progress_book(
            folder / "progress.xlsx", rows, master.listings, master.products, master.pickup_points,
            run=f"nightly {args.date}", cutoff_text="", as_of_text=args.as_of, lines=lines.height, lang="zh",
            created=plan.as_of))
        timed("msg files", lambda: [atomic_write_text(folder / "messages" / f"{m['pickup_point_id']}.txt", m["text"])
                                    for m in messages.iter_rows(named=True)])
    folder = publish_snapshot(plan.run_folder, PROGRESS, as_of_name(plan.as_of, settings.timezone), snapshot)
    total = sum(seconds for name, seconds, _ in figures if name != "generate")
    sizes = {path.name: path.stat().st_size for path in folder.iterdir() if path.is_file()}
    print(f"  {'total':<10} {total:7.2f} s   ({lines.height:,} lines as of, {rows.height:,} rows, "
          f"{messages.height:,} messages; progress.json {sizes['progress.json'] / 2**20:.0f} MiB)")
    record = {"kind": "progress (in-process, benchmarks/progress.py)",
              "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "orders": args.orders,
              "inbox_rows": versions.rows, "lines_as_of": lines.height, "rows": rows.height,
              "messages": messages.height, "machine": f"{platform.machine()} cores=2",
              "stages": {name: {"seconds": round(seconds, 3), "peak_rss_mb": round(rss)}
                         for name, seconds, rss in figures},
              "total_seconds": round(total, 3), "bytes": sizes}
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
