"""Time `cutoff national` on one machine: N regions of M order lines each, with 1 and with 2 local
workers (the embedded default: the command's own full Prefect server, the pool, its workers).
Prints the figures and appends one line per worker count to benchmarks/results.jsonl.

    .venv/bin/python benchmarks/national.py                      # 4 regions x 250k lines, 1 and 2 workers
    .venv/bin/python benchmarks/national.py --regions 2 --orders 20000 --workers 1

For each run (each on fresh warehouses, the same generated inputs):
- wall: the whole command, from its start to its exit;
- setup: until the regions are started (the local server, the pool and `cutoff/region` on it,
  the workers);
- regions_phase: from the regions' start to the last one's end (their runs, queued on the workers);
- finish: from the last region's end to the exit (the roll-up: summary.json, national.xlsx, the
  artifact; stopping the workers and the server);
- run_seconds: each region's flow run, start to end (the national summary's `seconds`): the
  regional cutoff itself, engine start in its process included;
- overhead: wall minus the regional work as the workers shared it (sum of run_seconds / workers):
  what the national run costs beyond the regional cutoffs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from synthetic.dataset import generate_dataset  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.jsonl"
REGION_IDS = ("east", "west", "north", "south", "central", "northeast", "northwest", "southwest")


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CUTOFF_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PYTHONPATH=str(ROOT))
    return env


def prepare(work: Path, regions: int, orders: int, day: date) -> list[str]:
    """The regions' inputs (generated once, seeded per region) and regions.toml."""
    ids = list(REGION_IDS[:regions])
    marker = work / f"inputs-{regions}x{orders}-{day}.done"
    if not marker.exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for seed, region in enumerate(ids, 7):
            print(f"generating {orders:,} order lines for region {region} ...", flush=True)
            generate_dataset(work / "inputs" / region, orders, day, seed)
        marker.write_text("ok")
    (work / "regions.toml").write_text("".join(f'[regions.{r}]\ndata_dir = "run/{r}"\n\n' for r in ids),
                                       encoding="utf-8")
    return ids


def fresh_run_dirs(work: Path, ids: list[str]) -> None:
    """Each region's data dir as generated (no warehouse yet), and no reports."""
    for folder in (work / "run", work / "reports"):
        shutil.rmtree(folder, ignore_errors=True)
    for region in ids:
        shutil.copytree(work / "inputs" / region, work / "run" / region)


def run_national(work: Path, day: date, workers: int, env: dict[str, str]) -> dict:
    """One `cutoff national`, with the arrival time of each stderr line."""
    started = time.perf_counter()
    lines: list[tuple[float, str]] = []
    process = subprocess.Popen(
        [sys.executable, "-m", "flows", "national", "--date", day.isoformat(), "--regions", "regions.toml",
         "--reports-dir", "reports", "--no-email", "--workers", str(workers)],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def read_stderr():
        for line in process.stderr:
            lines.append((time.perf_counter() - started, line.rstrip()))
            print(f"  [{lines[-1][0]:7.1f}s] {line.rstrip()}", flush=True)
    reader = threading.Thread(target=read_stderr)
    reader.start()
    stdout = process.stdout.read()
    code = process.wait()
    wall = time.perf_counter() - started
    reader.join()
    if code != 0:
        raise SystemExit(f"cutoff national exited with {code}:\n{stdout}")
    begin = next(t for t, text in lines if "region(s) of" in text and "to run on the work pool" in text)
    end = max(t for t, text in lines if text.strip().startswith("region ") and ": Completed" in text)
    summary = json.loads((work / "reports" / "national" / "nightly" / day.isoformat() / "summary.json")
                         .read_text(encoding="utf-8"))
    seconds = {r["region_id"]: r["seconds"] for r in summary["regions"]}
    return {"wall": round(wall, 1), "setup": round(begin, 1), "regions_phase": round(end - begin, 1),
            "finish": round(wall - end, 1), "run_seconds": seconds,
            "overhead": round(wall - sum(seconds.values()) / workers, 1),
            "eligible_lines": summary["totals"]["order_lines"]["eligible"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--orders", type=int, default=250_000, help="order lines per region")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 21))
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "national")
    parser.add_argument("--no-record", action="store_true", help="print only (a trial of the script)")
    args = parser.parse_args()
    work = args.work.resolve()
    ids = prepare(work, args.regions, args.orders, args.date)
    env = clean_env(work / "prefect-home")
    subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"], env=env, check=True,
                   capture_output=True)
    for workers in args.workers:
        fresh_run_dirs(work, ids)
        print(f"cutoff national: {args.regions} regions x {args.orders:,} lines, {workers} worker(s)", flush=True)
        figures = run_national(work, args.date, workers, env)
        print(json.dumps(figures), flush=True)
        record = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "benchmark": "national",
                  "regions": args.regions, "orders_per_region": args.orders, "workers": workers,
                  "machine": f"{platform.machine()} cores={os.cpu_count()}", **figures}
        if args.no_record:
            continue
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
