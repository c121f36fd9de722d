"""Compare the outputs of two runs of the same inputs, e.g. before and after a refactoring.

    .venv/bin/python benchmarks/compare_runs.py BEFORE AFTER

BEFORE and AFTER are folders (e.g. two outputs of benchmarks/equivalence_runs.sh). Every file
under them is compared with the file at the same relative path on the other side (logs/ is
skipped; a file on one side only is a difference), by kind:

- `*.duckdb`: the same tables, each with the same columns and types and the same rows (every row,
  both sides sorted by all their columns);
- `*.xlsx`: the same sheets in the same order, the same cell values (every cell of every sheet),
  the same workbook title and creation time;
- `*.json`: the same parsed content; `*.eml`: the same headers, text parts and attachment names,
  and attached workbooks compared as workbooks (above);
- anything else (csv, jsonl, parquet, ...): the same bytes.

Ignored, because they are time-of-run by nature (everything else must be equal):

- tables `runs` and `run_log`: `run_id`, `started_at`, `ended_at` (a uuid and the wall clock);
- table `ingested_files`: `ingested_at`;
- table `emails`: `sent_at`;
- tables `settlements`, `settled_weeks` and `supplier_statements`: `settled_at`; `statement.json`:
  `settled_at`;
- a purchase order's "generated at" cell (the header row labelled 生成时间 / Generated at, column
  B): the latest input change, i.e. the ingestion time of the inbox files;
- an `.eml`'s `Date` header (when the message was made) and its MIME boundary (random).

Exit code 0 when nothing differs, 1 otherwise; the differences are listed (at most 20 per file).
"""

from __future__ import annotations

import argparse
import email
import io
import json
import re
import sys
from email import policy
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

IGNORED_COLUMNS = {
    "runs": {"run_id", "started_at", "ended_at"},
    "run_log": {"run_id", "started_at", "ended_at"},
    "ingested_files": {"ingested_at"},
    "emails": {"sent_at"},
    "settlements": {"settled_at"},
    "settled_weeks": {"settled_at"},
    "supplier_statements": {"settled_at"},
}
IGNORED_JSON_KEYS = {"statement.json": {"settled_at"}}
GENERATED_AT_LABELS = {"生成时间", "Generated at"}
IGNORED_HEADERS = {"date"}
BOUNDARY = re.compile(r';\s*boundary="[^"]*"')  # MIME boundaries are random
SKIPPED_DIRS = {"logs"}
SHOWN = 20


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] not in SKIPPED_DIRS}


# ---- warehouses ----------------------------------------------------------------------------------

def read_tables(path: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        names = [r[0] for r in con.sql("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main' ORDER BY table_name").fetchall()]
        return {name: con.sql(f'SELECT * FROM "{name}"').pl() for name in names}
    finally:
        con.close()


def stable(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    kept = frame.drop([c for c in IGNORED_COLUMNS.get(table, ()) if c in frame.columns])
    return kept.sort(kept.columns, nulls_last=True) if kept.width else kept


def compare_warehouses(a: Path, b: Path) -> tuple[list[str], str]:
    left, right = read_tables(a), read_tables(b)
    sides = (("BEFORE", left.keys() - right.keys()), ("AFTER", right.keys() - left.keys()))
    problems = [f"table {t} only in {side}" for side, only in sides for t in sorted(only)]
    rows = 0
    for table in sorted(left.keys() & right.keys()):
        x, y = left[table], right[table]
        if x.schema != y.schema:
            problems.append(f"table {table}: columns differ: {dict(x.schema)} != {dict(y.schema)}")
            continue
        x, y = stable(x, table), stable(y, table)
        rows += x.height
        if x.height != y.height:
            problems.append(f"table {table}: {x.height} rows != {y.height} rows")
        elif not x.equals(y, null_equal=True):
            diff = x.join(y, on=x.columns, how="anti", nulls_equal=True).head(3)
            problems.append(f"table {table}: rows differ, e.g. {diff.to_dicts()}")
    return problems, f"{len(left)} tables, {rows:,} rows"


# ---- workbooks -----------------------------------------------------------------------------------

def trimmed(row: tuple) -> list:
    """A row's values without its trailing empty cells (an empty cell reads as no cell)."""
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return values


def workbook_cells(data: bytes, name: str) -> tuple[list[str], dict]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells: dict = {"title": book.properties.title, "created": book.properties.created}
    for sheet in book.worksheets:
        rows = [trimmed(r) for r in sheet.iter_rows(values_only=True)]
        if name.startswith("purchase") or "/purchase/" in name:
            for row in rows:
                if row and row[0] in GENERATED_AT_LABELS and len(row) > 1:
                    row[1] = "(ignored: generated at)"
        cells[sheet.title] = rows
    book.close()
    return book.sheetnames, cells


def compare_workbooks(a: bytes, b: bytes, name: str) -> tuple[list[str], int]:
    sheets_a, cells_a = workbook_cells(a, name)
    sheets_b, cells_b = workbook_cells(b, name)
    if sheets_a != sheets_b:
        return [f"{name}: sheets {sheets_a} != {sheets_b}"], 0
    problems, count = [], 0
    for key in cells_a:
        x, y = cells_a[key], cells_b[key]
        if key in ("title", "created"):
            if x != y:
                problems.append(f"{name}: workbook {key} {x!r} != {y!r}")
            continue
        if len(x) != len(y):
            problems.append(f"{name} [{key}]: {len(x)} rows != {len(y)} rows")
        for number, (row_a, row_b) in enumerate(zip(x, y, strict=False), 1):
            count += len(row_a)
            if row_a != row_b:
                problems.append(f"{name} [{key}] row {number}: {row_a} != {row_b}")
    return problems, count


# ---- json and email ------------------------------------------------------------------------------

def without(value, keys: set[str]):
    if isinstance(value, dict):
        return {k: without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, keys) for v in value]
    return value


def compare_json(a: bytes, b: bytes, name: str) -> list[str]:
    keys = IGNORED_JSON_KEYS.get(Path(name).name, set())
    x, y = without(json.loads(a), keys), without(json.loads(b), keys)
    return [] if x == y else [f"{name}: content differs"]


def message_parts(data: bytes) -> tuple[list, list]:
    message = email.message_from_bytes(data, policy=policy.SMTP)
    headers = sorted((k.lower(), BOUNDARY.sub("", str(v))) for k, v in message.items()
                     if k.lower() not in IGNORED_HEADERS)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append((part.get_content_type(), part.get_filename(), part.get_payload(decode=True)))
    return headers, parts


def compare_emails(a: bytes, b: bytes, name: str) -> tuple[list[str], int]:
    headers_a, parts_a = message_parts(a)
    headers_b, parts_b = message_parts(b)
    problems, cells = [], 0
    if headers_a != headers_b:
        problems.append(f"{name}: headers differ: {set(headers_a) ^ set(headers_b)}")
    if [p[:2] for p in parts_a] != [p[:2] for p in parts_b]:
        return problems + [f"{name}: parts differ"], 0
    for (kind, filename, x), (_, _, y) in zip(parts_a, parts_b, strict=True):
        if filename and filename.endswith(".xlsx"):
            found, count = compare_workbooks(x, y, f"{name} attachment {filename} /purchase/")
            problems += found
            cells += count
        elif x != y:
            problems.append(f"{name}: {kind} part differs")
    return problems, cells


# ---- the trees -----------------------------------------------------------------------------------

def compare(before: Path, after: Path) -> int:
    left, right = files_under(before), files_under(after)
    problems = [f"only in BEFORE: {n}" for n in sorted(left - right)] + \
               [f"only in AFTER: {n}" for n in sorted(right - left)]
    counts: dict[str, int] = {}
    cells = 0
    details = []
    for name in sorted(left & right):
        a, b = (before / name).read_bytes(), (after / name).read_bytes()
        suffix = Path(name).suffix.lower()
        counts[suffix] = counts.get(suffix, 0) + 1
        if suffix == ".duckdb":
            found, detail = compare_warehouses(before / name, after / name)
            details.append(f"{name}: {detail}")
        elif suffix == ".xlsx":
            found, count = compare_workbooks(a, b, name)
            cells += count
        elif suffix == ".json":
            found = compare_json(a, b, name)
        elif suffix == ".eml":
            found, count = compare_emails(a, b, name)
            cells += count
        else:
            found = [] if a == b else [f"{name}: bytes differ"]
        if len(found) > SHOWN:
            found = found[:SHOWN] + [f"{name}: ... and {len(found) - SHOWN} more"]
        problems += found
    kinds = ", ".join(f"{n:,} {s or '(none)'}" for s, n in sorted(counts.items()))
    print(f"compared {len(left & right):,} files: {kinds}")
    for line in details:
        print(f"  {line}")
    print(f"  {cells:,} workbook cells (attachments included)")
    if problems:
        print(f"{len(problems)} difference(s):")
        for line in problems:
            print(f"  {line}")
        return 1
    print("no differences (ignored: the time-of-run columns and cells listed in this script's docstring)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
