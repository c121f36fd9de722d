"""Benchmark: write all workbooks of a regional cutoff (issue 3, "The sheets").

The regional workload: 1,000,000 allocation lines, 5,000 pickup points on 100 routes, 200
suppliers, 2,000 SKUs. The frames are made directly with numpy/polars (seeded; SKU popularity
skewed as in real group buying, ~2 lines per customer and order), then `write_run_workbooks` runs
with 2 worker processes. Prints the seconds and peak RSS and appends a JSON line to
benchmarks/results.jsonl.

    .venv/bin/python benchmarks/bench_sheets.py [--lines 1000000] [--workers 2] [--keep DIR] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.settings import Settings  # noqa: E402
from inbox.master import Master  # noqa: E402
from sheets.run_books import plan_workbooks, write_run_workbooks  # noqa: E402
from sheets.run_tables import RunTables  # noqa: E402
from transforms.close import ALLOCATION_COLUMNS  # noqa: E402
from transforms.purchase import build_purchase_lines, total_by_supplier  # noqa: E402
from transforms.summary import summarize_cutoff  # noqa: E402
from transforms.windows import window_for  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.jsonl"
CATEGORIES = ["水果", "蔬菜", "肉禽", "水产", "蛋奶", "烘焙", "粮油", "零食", "酒水", "日用", "冻品", "熟食"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "桂英",
         "建华", "小红"]
PRODUCT_WORDS = ["有机", "精选", "鲜", "农家", "进口", "特级", "新疆", "海南", "东北", "云南"]
PRODUCT_NOUNS = ["苹果", "砂糖橘", "车厘子", "菠菜", "土豆", "鸡蛋", "牛奶", "五花肉", "鸡翅", "大虾", "带鱼", "大米",
                 "花生油", "面包", "月饼", "薯片", "啤酒", "纸巾", "饺子", "卤味"]


def choose(rng: np.random.Generator, pool: list[str], n: int) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n)]


def make_master(rng: np.random.Generator, suppliers: int, skus: int, points: int, routes: int) -> Master:
    supplier_ids = [f"S{i:03d}" for i in range(1, suppliers + 1)]
    supplier_frame = pl.DataFrame({
        "supplier_id": supplier_ids,
        "name": [f"供应商{i:03d}食品有限公司" for i in range(1, suppliers + 1)],
        "email": [f"s{i}@supplier.example.com" for i in range(1, suppliers + 1)],
        "min_order_fen": rng.choice([0, 50_000, 200_000, 5_000_000], suppliers).astype(np.int64),
        "delivery_window": ["次日 05:00-07:00"] * suppliers,
    })
    sku_ids = [f"SKU{i:05d}" for i in range(1, skus + 1)]
    products = pl.DataFrame({
        "sku_id": sku_ids,
        "name": [f"{a}{b}{i}" for i, (a, b) in enumerate(zip(choose(rng, PRODUCT_WORDS, skus),
                                                             choose(rng, PRODUCT_NOUNS, skus), strict=True))],
        "spec": choose(rng, ["500g/袋", "5斤/箱", "6枚/盒", "1L/瓶", "2斤/盒", None], skus),
        "unit": choose(rng, ["袋", "箱", "盒", "瓶", "斤"], skus),
        "category": choose(rng, CATEGORIES, skus),
        "supplier_id": np.asarray(supplier_ids, dtype=object)[rng.integers(0, suppliers, skus)],
        "cost_fen": rng.integers(200, 20_000, skus).astype(np.int64),
        "case_pack": rng.choice([1, 1, 1, 6, 10, 12], skus).astype(np.int64),
        "case_rounding": ["up"] * skus,
    })
    per_route = points // routes
    point_numbers = np.arange(points)
    pickup_points = pl.DataFrame({
        "pickup_point_id": [f"P{i:05d}" for i in range(1, points + 1)],
        "name": [f"幸福小区{i}号楼" for i in range(1, points + 1)],
        "address": [f"幸福路{i}号" for i in range(1, points + 1)],
        "leader_id": [f"T{i:05d}" for i in range(1, points + 1)],
        "leader_name": [f"{s}{g}" for s, g in zip(choose(rng, SURNAMES, points), choose(rng, GIVEN, points),
                                                  strict=True)],
        "leader_phone": ["13800000000"] * points,
        "route_id": [f"R{i // per_route + 1:03d}" for i in point_numbers],
        "route_seq": (point_numbers % per_route + 1).astype(np.int64),
        "leader_bp": pl.Series([None] * points, dtype=pl.Int64),
    })
    listings = pl.DataFrame({"listing_id": [f"L{i:05d}" for i in range(1, skus + 1)], "sku_id": sku_ids})
    return Master(suppliers=supplier_frame, products=products,
                  categories=pl.DataFrame({"category": CATEGORIES, "leader_bp": [1000] * len(CATEGORIES)}),
                  pickup_points=pickup_points, distributors=pl.DataFrame(), listings=listings)


def make_allocations(rng: np.random.Generator, master: Master, lines: int) -> pl.DataFrame:
    """`lines` eligible lines: popular SKUs (Zipf-like), ~2 lines per order and per customer."""
    skus, points = master.products.height, master.pickup_points.height
    popularity = 1.0 / np.arange(1, skus + 1) ** 0.8
    sku_index = rng.choice(skus, lines, p=popularity / popularity.sum())
    point_index = rng.integers(0, points, lines)
    customer_in_point = rng.integers(0, max(1, lines // points // 2), lines)
    qty = rng.integers(1, 4, lines).astype(np.int64)
    cut = rng.random(lines) < 0.05
    qty_allocated = np.where(cut, 0, qty).astype(np.int64)
    price = (master.products["cost_fen"].to_numpy()[sku_index] * 13 // 10).astype(np.int64)
    order_number = np.arange(lines) // 2
    frame = pl.DataFrame({
        "order_id": [f"O{n:08d}" for n in order_number],
        "line_no": (np.arange(lines) % 2 + 1).astype(np.int64),
        "sku_id": master.products["sku_id"].to_numpy()[sku_index],
        "supplier_id": master.products["supplier_id"].to_numpy()[sku_index],
        "category": master.products["category"].to_numpy()[sku_index],
        "pickup_point_id": master.pickup_points["pickup_point_id"].to_numpy()[point_index],
        "customer_id": [f"C{p:05d}-{c:03d}" for p, c in zip(point_index, customer_in_point, strict=True)],
        "customer_name": [f"{s}{g}" for s, g in zip(choose(rng, SURNAMES, lines), choose(rng, GIVEN, lines),
                                                    strict=True)],
        "phone_tail": [f"{n:04d}" for n in rng.integers(0, 10_000, lines)],
        "qty": qty, "qty_allocated": qty_allocated, "unit_price_fen": price,
    })
    return frame.with_columns(
        pl.format("L{}", pl.col("sku_id").str.slice(3)).alias("listing_id"),
        pl.lit(None, pl.String).alias("distributor_id"),
        pl.lit(datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)).alias("created_at"),
        (pl.col("qty") - pl.col("qty_allocated")).alias("qty_cut"),
        pl.col("unit_price_fen").alias("final_unit_price_fen"),
        (pl.col("qty") * pl.col("unit_price_fen")).alias("paid_fen"),
        (pl.col("qty_allocated") * pl.col("unit_price_fen")).alias("net_fen"),
        ((pl.col("qty") - pl.col("qty_allocated")) * pl.col("unit_price_fen")).alias("refund_fen"),
        pl.when(pl.col("qty_allocated") < pl.col("qty")).then(pl.lit("out_of_stock")).alias("cut_reason"),
    ).select(ALLOCATION_COLUMNS)


def make_tables(lines: int, seed: int = 7) -> RunTables:
    rng = np.random.default_rng(seed)
    master = make_master(rng, suppliers=200, skus=2_000, points=5_000, routes=100)
    allocations = make_allocations(rng, master, lines)
    window = window_for("nightly", date(2026, 11, 21))
    purchase = build_purchase_lines(allocations, master.products)
    totals = total_by_supplier(purchase, master.suppliers)
    groups = pl.DataFrame({"listing_id": ["L00001", "L00002"], "group_pickup_point_id": [None, "P00001"],
                           "units": [3, 1], "participants": [2, 1], "min_qty": [5, 2], "lowest_threshold": [3, None],
                           "is_formed": [False, False], "tier_price_fen": [None, None]},
                          schema_overrides={"group_pickup_point_id": pl.String, "lowest_threshold": pl.Int64,
                                            "tier_price_fen": pl.Int64})
    rejects = pl.DataFrame({"source_file": ["inbox/orders/bad.csv"] * 1_000, "row_number": list(range(2, 1_002)),
                            "reason": ["qty: must be >= 1"] * 1_000, "raw": ['{"qty": "0"}'] * 1_000})
    summary = summarize_cutoff(window, master.listings, allocations, groups, purchase, totals, rejected=1_000)
    return RunTables(window=window, summary=summary, allocations=allocations, purchase_lines=purchase,
                     supplier_totals=totals, groups=groups, rejects=rejects, master=master,
                     generated_at=datetime(2026, 11, 21, 12, 5, tzinfo=timezone.utc))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def cpu_seconds() -> float:
    """User + system time of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class WorkerPeak(threading.Thread):
    """The largest peak RSS (VmHWM) of this process's children, sampled from /proc. (A spawned
    child's ru_maxrss starts at its parent's, from the fork before exec, so RUSAGE_CHILDREN
    over-reports it.)"""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb, self.running = 0, True

    def run(self) -> None:
        me = str(os.getpid())
        while self.running:
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    for line in (stat.parent / "status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except (OSError, IndexError, ValueError):
                    continue
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write here and keep the files (default: a temp dir, removed)")
    parser.add_argument("--no-record", action="store_true", help="do not append to benchmarks/results.jsonl")
    args = parser.parse_args()

    since = time.perf_counter()
    tables = make_tables(args.lines)
    made = time.perf_counter() - since
    print(f"tables: {tables.allocations.height:,} lines, {tables.purchase_lines.height:,} purchase lines "
          f"({made:.1f}s to make)", flush=True)

    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-sheets-"))
    if args.keep:
        shutil.rmtree(out, ignore_errors=True)
    since = time.perf_counter()
    jobs = plan_workbooks(out, tables)
    prepare = time.perf_counter() - since
    del jobs

    watcher = WorkerPeak()
    watcher.start()
    cpu_before, since = cpu_seconds(), time.perf_counter()
    counts = write_run_workbooks(out, tables, Settings(workers=args.workers))
    seconds, cpu = time.perf_counter() - since, cpu_seconds() - cpu_before
    watcher.running = False
    files = sum(1 for _ in out.rglob("*.xlsx"))
    size_mb = sum(p.stat().st_size for p in out.rglob("*.xlsx")) / 1e6
    result = {
        "stage": "sheets", "lines": tables.allocations.height, "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 1), "prepare_seconds": round(prepare, 2), "peak_rss_mb": round(peak_rss_mb()),
        "peak_rss_worker_mb": round(watcher.peak_kb / 1024), "files": files, "counts": counts,
        "output_mb": round(size_mb, 1), "workers": args.workers, "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    print(f"sheets: {files:,} workbooks ({size_mb:,.0f} MB) in {seconds:.1f}s with {args.workers} workers, "
          f"{cpu:.0f} CPU-seconds (rows prepared in {prepare:.1f}s); peak RSS {result['peak_rss_mb']} MB, "
          f"largest worker {result['peak_rss_worker_mb']} MB; load average {result['load_avg_1m']}")
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
