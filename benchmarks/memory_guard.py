"""The memory guard: does a cutoff's memory grow with its order lines? `cutoff run` at two sizes
(generated data, as `benchmarks/run.py`), and the slope between them: MiB of peak process-tree
memory per million order lines. Exits 1 when the slope is over `--max-mib-per-million` (a
benchmark, not a timed unit test: run it before and after a change to a data stage, see
benchmarks/README.md).

    .venv/bin/python benchmarks/memory_guard.py                       # 200,000 and 1,000,000 lines
    .venv/bin/python benchmarks/memory_guard.py --sizes 500000,2000000 --max-mib-per-million 600

Each size's whole record (time, stages, each stage's peak) goes to benchmarks/results.jsonl as
`run.py` writes it; the guard's verdict is one more record (`kind: memory guard`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import RESULTS, ROOT, bench_size  # noqa: E402

# The slope measured when the guard was last set (benchmarks/README.md, "Memory guard": 626 MiB per
# million lines between 200k and 1M, 2026-12-08, after the second pass; 1,155 on 2026-12-07), plus
# room for the noise of a shared machine: a change that makes memory grow faster than today fails
# it. Lower it as the stages stream (the goal of issue 25, 3 GiB at 10M, is a slope under ~250 MiB
# per million lines): docs/scale.md.
MAX_MIB_PER_MILLION = 750


def slope(small: dict, large: dict) -> float:
    """MiB of peak tree memory per million order lines between two sizes' records."""
    lines = (large["orders"] - small["orders"]) / 1e6
    return (large["cutoff_run"]["peak_rss_mb"] - small["cutoff_run"]["peak_rss_mb"]) / lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200000,1000000", help="two sizes in order lines, small,large")
    parser.add_argument("--max-mib-per-million", type=float, default=MAX_MIB_PER_MILLION)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--keep", action="store_true", help="keep each size's data and outputs (compare_runs.py)")
    args = parser.parse_args()
    small, large = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))
    if small >= large:
        raise SystemExit("--sizes: two different sizes, e.g. 200000,1000000")
    records = []
    for orders in (small, large):
        work = args.work / f"guard-{orders}"
        records.append(bench_size(orders, work, naive=False, seed=args.seed))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    per_million = slope(*records)
    fixed = records[0]["cutoff_run"]["peak_rss_mb"] - per_million * small / 1e6
    verdict = "ok" if per_million <= args.max_mib_per_million else "GROWING"
    print(f"\nmemory guard: {small:,} lines {records[0]['cutoff_run']['peak_rss_mb']:,} MiB, {large:,} lines "
          f"{records[1]['cutoff_run']['peak_rss_mb']:,} MiB -> {per_million:,.0f} MiB per million lines "
          f"(+ {fixed:,.0f} MiB fixed); limit {args.max_mib_per_million:,.0f}: {verdict}")
    for record in records:
        print(f"  {record['orders']:>10,}: peak MiB by stage " + ", ".join(
            f"{name} {mib:,}" for name, mib in record["cutoff_run"]["stage_peak_mb"].items()))
    with RESULTS.open("a", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.write(json.dumps({"kind": "memory guard (benchmarks/memory_guard.py)",
                              "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "sizes": [small, large], "mib_per_million": round(per_million),
                              "fixed_mib": round(fixed), "limit": args.max_mib_per_million,
                              "verdict": verdict}) + "\n")
    sys.exit(0 if verdict == "ok" else 1)


if __name__ == "__main__":
    main()
