"""What purchase orders by API cost a cutoff (docs/po-api.md, "What it costs"): `cutoff run` on a
generated data set with every supplier by email (the outbox), then with every supplier on
`po_transport = api` to a local supplier endpoint (tests/supplier_endpoint.py: it checks each
signature) that answers after `--latency` seconds, then the same cutoff again (nothing to post).
Prints the delivery stage's time (`email`, from the run's stage lines) and the wall time of each.

    .venv/bin/cutoff generate --orders 1000000 --date 2026-11-21 --seed 7 --no-receipts --no-pickups \\
        --data-dir /tmp/big/data
    .venv/bin/python benchmarks/po_api.py /tmp/big/data --latency 0.05
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import STAGE_LINE  # noqa: E402
from tests.supplier_endpoint import SupplierEndpoint  # noqa: E402

SECRET = "bench-secret"


def run(data_dir: Path, reports: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """`cutoff run` -> (wall seconds, the email stage's seconds, its line)."""
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "cutoff"), "run", "--date", "2026-11-21",
                           "--data-dir", str(data_dir), "--reports-dir", str(reports)],
                          env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    for line in done.stderr.splitlines():
        match = STAGE_LINE.match(line)
        if match and match.group(1) == "email":
            return wall, float(match.group(3)), match.group(2).strip()
    raise RuntimeError(done.stderr[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each answer of the endpoint takes")
    parser.add_argument("--work", type=Path, default=Path("/tmp/po-api-bench"))
    args = parser.parse_args()
    import os
    shutil.rmtree(args.work, ignore_errors=True)
    email_dir, api_dir = args.work / "email" / "data", args.work / "api" / "data"
    for target in (email_dir, api_dir):
        shutil.copytree(args.data_dir, target, ignore=shutil.ignore_patterns("warehouse.duckdb*"))
    secrets = args.work / "po-secrets.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOFF_")}
    env.update(CUTOFF_WAREHOUSE_ADDRESS="广州市白云区仓库路8号", CUTOFF_PO_SECRETS=str(secrets))
    with SupplierEndpoint(SECRET, latency=args.latency) as endpoint:
        suppliers = pl.read_csv(api_dir / "master" / "suppliers.csv", infer_schema=False)
        suppliers.with_columns(pl.lit("api").alias("po_transport"), pl.lit(endpoint.url).alias("po_url")) \
            .write_csv(api_dir / "master" / "suppliers.csv")
        secrets.write_text("".join(f'[suppliers."{s}"]\nsecret = "{SECRET}"\n' for s in suppliers["supplier_id"]),
                           encoding="utf-8")
        secrets.chmod(0o600)
        by_email = run(email_dir, args.work / "email" / "reports", env)
        by_api = run(api_dir, args.work / "api" / "reports", env)
        again = run(api_dir, args.work / "api" / "reports", env)
        posted, bytes_ = len(endpoint.seen), sum(len(seen.body) for seen in endpoint.seen)
        bad = sum(not seen.signature_ok for seen in endpoint.seen)
    print(f"{len(suppliers)} suppliers, endpoint latency {args.latency:g} s")
    for name, (wall, stage, line) in (("by email (outbox)", by_email), ("by API", by_api),
                                      ("by API, rerun", again)):
        print(f"  {name:<18} wall {wall:6.1f} s   email stage {stage:5.1f} s   ({line})")
    print(f"  posted {posted} purchase orders, {bytes_ / posted / 1024:.1f} KiB a body on average, "
          f"{bad} bad signature(s)")


if __name__ == "__main__":
    main()
