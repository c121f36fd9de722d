#!/usr/bin/env bash
# The runs the before/after equivalence check compares (benchmarks/compare_runs.py).
#   benchmarks/equivalence_runs.sh OUT [INPUTS]
# Without INPUTS: generates the data set (20,000 lines, 2026-11-21, seed 7), adds a few bad input
# rows, and keeps a pristine copy of the inputs in OUT/inputs. With INPUTS (an earlier OUT/inputs):
# copies those same input files (times kept) instead. Then runs, against OUT/data and OUT/reports:
#   nightly 2026-11-21, weekly 2026-11-22, nightly 2026-11-22 (the refunds of 11-21: clawbacks,
#   refund decisions, a refund reject), nightly 2026-11-21 again in English into OUT/reports-en
#   (a rerun: partitions replaced, emails unchanged or re-written to the new outbox), then
#   `settle --week 2026-W47 --force`. Each command's output goes to OUT/logs/.
set -euo pipefail
here="${CUTOFF_SRC:-$(cd "$(dirname "$0")/.." && pwd)}"
cutoff="$here/.venv/bin/cutoff"
out="$1"; inputs="${2:-}"
rm -rf "$out"; mkdir -p "$out/logs"
if [ -z "$inputs" ]; then
  "$cutoff" generate --orders 20000 --date 2026-11-21 --seed 7 --data-dir "$out/data" > "$out/logs/generate.txt"
  # bad rows: two of a broken CSV (a bad qty, an unknown pickup point), and a file of an unknown type
  cat > "$out/data/inbox/orders/manual-2026-11-21.csv" <<'CSV'
order_id,line_no,listing_id,customer_id,customer_name,phone_tail,pickup_point_id,qty,unit_price_fen,status,distributor_id,created_at,updated_at
M-1,1,L-20261121-0001,C000001,手工单,1234,P0001,zwei,1990,paid,,2026-11-21T10:00:00,
M-2,1,L-20261121-0001,C000002,手工单,5678,NOWHERE,1,1990,paid,,2026-11-21T10:01:00,
CSV
  echo "not an export" > "$out/data/inbox/orders/notes.txt"
  cp -a "$out/data" "$out/inputs"
else
  cp -a "$inputs" "$out/data"
  cp -a "$inputs" "$out/inputs"
fi
cd "$out"  # no cutoff.toml here
run() { local name="$1"; shift; /usr/bin/time -f "%e s" -o "$out/logs/$name.time" "$cutoff" "$@" \
          > "$out/logs/$name.txt" 2> "$out/logs/$name.err" || { echo "$name failed"; cat "$out/logs/$name.err"; exit 1; }; }
run nightly-1121 run --calendar nightly --date 2026-11-21 --data-dir "$out/data" --reports-dir "$out/reports"
run weekly-1122 run --calendar weekly --date 2026-11-22 --data-dir "$out/data" --reports-dir "$out/reports"
run nightly-1122 run --calendar nightly --date 2026-11-22 --data-dir "$out/data" --reports-dir "$out/reports"
run nightly-1121-en run --calendar nightly --date 2026-11-21 --lang en --data-dir "$out/data" --reports-dir "$out/reports-en"
run settle-w47 settle --week 2026-W47 --force --data-dir "$out/data" --reports-dir "$out/reports"
echo "done: $out"
