"""What reading a 快团团 / 群接龙 export costs (docs/platform-exports.md, "What it costs"): a generated
小区团购 export of N orders (about 1.4 item rows each), written in one process, then read
(inbox/xlsx_reader.py) and turned into the inbox's frames through a master that maps it
(inbox/platform_exports.py) in a fresh one; wall and CPU seconds per step and the reading
process's peak resident memory (its start, imports included, and its peak).

    .venv/bin/python benchmarks/exports.py --orders 2000 20000 60000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write(orders: int, path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from datetime import date

    from synthetic.platform_exports import make_group, write_ktt_community
    write_ktt_community(path, make_group(7, date(2026, 11, 21), orders))


def measure(path: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from datetime import date

    import polars as pl

    from inbox.platform_exports import export_frames, export_master, read_export_file
    from synthetic.platform_exports import ITEMS, POINTS
    day = date(2026, 11, 21)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    parsed = read_export_file(path, path.name)
    read, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    texts = [f"{n}({s})" for n, s, _ in ITEMS]
    export_map = pl.DataFrame({"field": ["product"] * len(texts) + ["pickup_point"] * len(POINTS),
                               "text": texts + [p[0] for p in POINTS],
                               "maps_to": [f"F{i}" for i in range(len(texts))] + [f"Q{i}" for i in range(len(POINTS))]})
    utc = pl.Datetime("us", "UTC")
    listings = pl.DataFrame({"listing_id": [f"F{i}-1121" for i in range(len(texts))],
                             "sku_id": [f"F{i}" for i in range(len(texts))],
                             "opens_at": [f"{day.replace(day=20)}T12:00:00"] * len(texts),
                             "closes_at": [f"{day}T12:00:00"] * len(texts),
                             "unit_price_fen": [p for *_, p in ITEMS]}).with_columns(
        pl.col("opens_at", "closes_at").str.to_datetime().dt.replace_time_zone("UTC").cast(utc))
    groups = pl.DataFrame(schema={"group": pl.String, "placed_from": utc, "placed_to": utc})
    started, cpu = time.perf_counter(), time.process_time()
    frames = export_frames(parsed, export_master(export_map, groups, listings, "Asia/Shanghai"), "Asia/Shanghai")
    mapped, map_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": parsed.rows.data_rows, "lines": frames.orders.height,
            "refund_rows": frames.refunds.height, "rejects": frames.rejects.height,
            "file_mib": round(path.stat().st_size / 1048576, 2),
            "read_s": round(read, 2), "read_cpu_s": round(read_cpu, 2), "map_s": round(mapped, 2),
            "map_cpu_s": round(map_cpu, 2), "rss_before_mib": round(before),
            "peak_rss_mib": round(peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write(args.orders[0], args.write)
        return
    if args.read:
        print(json.dumps(measure(args.read)))
        return
    with tempfile.TemporaryDirectory() as folder:
        for orders in args.orders:  # fresh processes: the reader's peak memory is its own
            path = Path(folder) / f"export-{orders}.xlsx"
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--orders", str(orders), "--write", str(path)], check=True)
            written = time.perf_counter() - started
            out = subprocess.run([sys.executable, __file__, "--read", str(path)], capture_output=True, text=True,
                                 check=True)
            print(json.dumps({"orders": orders, "write_s": round(written, 1), **json.loads(out.stdout)}))


if __name__ == "__main__":
    main()
