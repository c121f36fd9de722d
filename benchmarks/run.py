"""`make bench`: the whole `cutoff run` end to end (its embedded Prefect server and workbook workers
included) next to the naive pandas + openpyxl script (benchmarks/naive_cutoff.py) on the same data,
in one sitting. Prints wall time, the peak resident memory of each command's whole process tree and
the time of each stage, and appends one record per size to benchmarks/results.jsonl.

    .venv/bin/python benchmarks/run.py                          # 1M order lines (make bench)
    .venv/bin/python benchmarks/run.py --orders 100000,1000000,3000000 --no-naive   # scaling
    BENCH_ORDERS=100000,1000000,3000000 make bench

The data is `cutoff generate --orders N --date 2026-11-21 --seed 7` (5,000 pickup points, 100 routes,
200 suppliers at 1M lines); the run is `cutoff run --calendar nightly --date 2026-11-21 --no-email`.
The naive script needs pandas: `make bench` installs the optional `bench` extra
(requirements-bench.lock) into .venv; the product never imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Measured, measure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.jsonl"
BIN = Path(sys.executable).parent
DATE = "2026-11-21"
STAGE_LINE = re.compile(r"^\s*(\w+)\s+(.*)\((\d+(?:\.\d+)?)s\)\s*$")


def stages_of(measured: Measured) -> dict[str, float]:
    """The stage lines `cutoff run` prints (`  validate   ... (6.4s)`) as {stage: seconds}."""
    found = {}
    for line in measured.stderr:
        match = STAGE_LINE.match(line)
        if match:
            found[match.group(1)] = float(match.group(3))
    return found


def stage_peaks(measured: Measured) -> dict[str, int]:
    """The tree's peak MiB during each stage: from the line before a stage's line (the previous
    stage's, or the run's start) to its own line (printed when the stage ends)."""
    found, since = {}, 0.0
    for line, at in zip(measured.stderr, measured.line_times, strict=True):
        match = STAGE_LINE.match(line)
        if match:
            found[match.group(1)] = round(measured.peak_between(since, at))
            since = at
    found["end"] = round(measured.peak_between(since, measured.seconds))
    return found


def eligible_lines(measured: Measured) -> int | None:
    for line in measured.stderr:
        match = re.search(r"([\d,]+) eligible line", line)
        if match:
            return int(match.group(1).replace(",", ""))
    return None


def bench_size(orders: int, work: Path, naive: bool, seed: int, data: Path | None = None) -> dict:
    data_dir, reports_dir, naive_out = work / "data", work / "reports", work / "naive"
    shutil.rmtree(work, ignore_errors=True)
    generated = None
    if data is not None:  # data generated before (the same arguments): a copy, so it stays unprocessed
        print(f"\n== {orders:,} order lines: copying {data}", flush=True)
        shutil.copytree(data, data_dir)
    else:
        print(f"\n== {orders:,} order lines: generating", flush=True)
        generated = measure([str(BIN / "cutoff"), "generate", "--orders", str(orders), "--date", DATE, "--seed",
                             str(seed), "--data-dir", str(data_dir), "--no-receipts"], echo=False)
        if generated.returncode != 0:
            raise SystemExit(f"cutoff generate failed with exit {generated.returncode}")
        print(f"   {generated.seconds:6.1f} s wall, peak {generated.peak_rss_mb:,.0f} MiB", flush=True)
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect-home")}
    for name in [n for n in env if n.startswith("CUTOFF_")]:
        del env[name]
    # a Prefect home whose database exists, as on any machine that ran before (`make venv` migrates the
    # project's): a fresh one would add the one-off migration (~7 s) to the measured run
    subprocess.run([str(BIN / "prefect"), "server", "database", "upgrade", "-y"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("-- cutoff run (embedded Prefect server, workbook workers)", flush=True)
    run = measure([str(BIN / "cutoff"), "run", "--calendar", "nightly", "--date", DATE, "--no-email",
                   "--data-dir", str(data_dir), "--reports-dir", str(reports_dir)], env=env)
    if run.returncode != 0:
        raise SystemExit(f"cutoff run failed with exit {run.returncode}")
    folder = reports_dir / "nightly" / DATE
    workbooks = sum(1 for _ in folder.rglob("*.xlsx"))
    record = {
        "kind": "run (end to end, benchmarks/run.py)",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "orders": orders,
        "eligible_lines": eligible_lines(run), "machine": f"{platform.machine()} cores={os.cpu_count()}",
        "cutoff_run": {"seconds": round(run.seconds, 2), "peak_rss_mb": round(run.peak_rss_mb),
                       "processes": run.peak_processes, "workbooks": workbooks, "stages": stages_of(run),
                       "stage_peak_mb": stage_peaks(run),
                       "outside_stages": round(run.seconds - sum(stages_of(run).values()), 2),
                       "at_peak_mb": {name: round(size) for name, size in run.at_peak if size >= 1}},
    }
    print(f"   {run.seconds:6.1f} s wall, peak {run.peak_rss_mb:,.0f} MiB (tree), {workbooks:,} workbooks")
    print("   peak MiB by stage: " + ", ".join(f"{n} {mib:,}" for n, mib in stage_peaks(run).items()))
    if generated is not None:
        record["generate"] = {"seconds": round(generated.seconds, 2), "peak_rss_mb": round(generated.peak_rss_mb)}
    if naive:
        print("-- the naive pandas + openpyxl script", flush=True)
        baseline = measure([str(BIN / "python"), str(ROOT / "benchmarks" / "naive_cutoff.py"), "--data-dir",
                            str(data_dir), "--date", DATE, "--out", str(naive_out)], env=env, echo=False)
        if baseline.returncode != 0:
            print("\n".join(baseline.stderr[-20:]))
            raise SystemExit(f"the naive script failed with exit {baseline.returncode}")
        record["naive"] = {"seconds": round(baseline.seconds, 2), "peak_rss_mb": round(baseline.peak_rss_mb),
                           "workbooks": sum(1 for _ in naive_out.rglob("*.xlsx"))}
        record["speedup"] = round(baseline.seconds / run.seconds, 2)
        print(f"   {baseline.seconds:6.1f} s wall, peak {baseline.peak_rss_mb:,.0f} MiB, "
              f"{record['naive']['workbooks']:,} workbooks  ->  cutoff run is {record['speedup']:.1f}x faster")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", default=os.environ.get("BENCH_ORDERS", "1000000"),
                        help="order lines, or a comma-separated list of sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive script")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and outputs")
    parser.add_argument("--data", type=Path, default=None,
                        help="run on this generated data dir (kept as it is; its warehouse and reports go to --work)")
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in str(args.orders).split(",") if size.strip()]
    records = []
    for orders in sizes:
        work = args.work / str(orders)
        records.append(bench_size(orders, work, naive=not args.no_naive, seed=args.seed, data=args.data))
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(json.dumps(records[-1], ensure_ascii=False) + "\n")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'orders':>10} {'cutoff run':>11} {'peak MiB':>9} {'naive':>8} {'peak MiB':>9} {'ratio':>6}")
    for r in records:
        naive = r.get("naive", {})
        print(f"{r['orders']:>10,} {r['cutoff_run']['seconds']:>10.1f}s {r['cutoff_run']['peak_rss_mb']:>9,} "
              f"{naive.get('seconds', float('nan')):>7.1f}s {naive.get('peak_rss_mb', 0):>9,} "
              f"{r.get('speedup', float('nan')):>5.1f}x")
    stages = sorted({name for r in records for name in r["cutoff_run"]["stages"]},
                    key=lambda n: ["ingest", "validate", "close", "write", "email"].index(n)
                    if n in ("ingest", "validate", "close", "write", "email") else 9)
    print("stages (s): " + "; ".join(
        f"{r['orders']:,}: " + ", ".join(f"{n} {r['cutoff_run']['stages'].get(n, 0):.1f}" for n in stages)
        for r in records))
    print(f"recorded in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
