"""The script an ops analyst would write instead of the product: the baseline of `make bench`.

pandas + openpyxl, no rules at all: the paid lines of the listings that close in the cutoff's
window, grouped into the same files the product writes (a purchase order per supplier, a sorting
workbook per route with its SKU x pickup-point matrix and pick list, a handout list per pickup
point), unstyled. No stock caps, groups, tiers, case packs, commissions, rejects or email: it only
shows what reading the exports and writing ~5,300 workbooks costs the simple way, so the product's
speed can be put next to it (issue 13: the product at least 5x faster).

    .venv/bin/python benchmarks/naive_cutoff.py --data-dir DIR --date 2026-11-21 --out DIR

Needs the optional `bench` extra (pandas), which the product never imports.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

TZ = "Asia/Shanghai"


def instants(text: pd.Series) -> pd.Series:
    """ISO 8601 text to UTC instants; without an offset it is Shanghai local time."""
    local = ~text.str.contains(r"(?:Z|[+-]\d\d(?::?\d\d)?)$", na=False)
    return pd.to_datetime(text.where(~local, text + "+08:00"), format="ISO8601", utc=True, errors="coerce")


def read_orders(folder: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".csv":
            try:
                frames.append(pd.read_csv(path, dtype=str, encoding="utf-8-sig"))
            except UnicodeDecodeError:
                frames.append(pd.read_csv(path, dtype=str, encoding="gb18030"))
        elif path.suffix == ".parquet":
            frames.append(pd.read_parquet(path).astype("string"))
        elif path.suffix in (".jsonl", ".ndjson"):
            frames.append(pd.read_json(path, lines=True, dtype=False).astype("string"))
    orders = pd.concat(frames, ignore_index=True)
    orders["updated_at"] = orders["updated_at"].where(orders["updated_at"].notna() & (orders["updated_at"] != ""),
                                                      orders["created_at"])
    orders["_updated"] = instants(orders["updated_at"])
    # the latest version of each line wins
    orders = orders.sort_values("_updated", kind="stable").drop_duplicates(["order_id", "line_no"], keep="last")
    orders["qty"] = pd.to_numeric(orders["qty"], errors="coerce").fillna(0).astype(int)
    return orders[orders["status"] == "paid"]


def save(book: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    master = args.data_dir / "master"
    listings = pd.read_csv(master / "listings.csv", dtype=str)
    products = pd.read_csv(master / "products.csv", dtype=str)
    points = pd.read_csv(master / "pickup_points.csv", dtype=str)
    suppliers = pd.read_csv(master / "suppliers.csv", dtype=str)

    end = pd.Timestamp(datetime.combine(args.date, datetime.min.time()) + timedelta(hours=20), tz=TZ)
    closes = instants(listings["closes_at"])
    closing = listings[(listings["calendar"] == "nightly") & (closes > end - pd.Timedelta(days=1)) & (closes <= end)]
    lines = (read_orders(args.data_dir / "inbox" / "orders")
             .merge(closing[["listing_id", "sku_id"]], on="listing_id")
             .merge(products[["sku_id", "name", "spec", "unit", "supplier_id", "cost_fen", "category"]], on="sku_id")
             .merge(points[["pickup_point_id", "name", "route_id", "route_seq", "leader_name"]],
                    on="pickup_point_id", suffixes=("", "_point")))
    lines["route_seq"] = lines["route_seq"].astype(int)
    lines["cost_fen"] = lines["cost_fen"].astype(int)
    print(f"read {len(lines):,} paid lines of {len(closing):,} closing listings "
          f"in {time.perf_counter() - started:.1f}s")

    names = dict(zip(suppliers["supplier_id"], suppliers["name"], strict=True))
    purchase = (lines.groupby(["supplier_id", "sku_id", "name", "spec", "unit", "cost_fen"], as_index=False)["qty"]
                .sum())
    for supplier_id, rows in purchase.groupby("supplier_id"):
        book = Workbook()
        sheet = book.active
        sheet.title = "采购单"
        sheet.append([f"采购单 {supplier_id} {names.get(supplier_id, '')} {args.date}"])
        sheet.append(["SKU", "品名", "规格", "单位", "数量", "单价(元)", "金额(元)"])
        total = 0
        for row in rows.itertuples(index=False):
            amount = row.qty * row.cost_fen
            total += amount
            sheet.append([row.sku_id, row.name, row.spec, row.unit, row.qty, row.cost_fen / 100, amount / 100])
        sheet.append(["合计", "", "", "", int(rows["qty"].sum()), "", total / 100])
        save(book, args.out / "purchase" / f"{supplier_id}.xlsx")
    print(f"purchase orders written at {time.perf_counter() - started:.1f}s")

    for route_id, rows in lines.groupby("route_id"):
        book = Workbook()
        matrix = book.active
        matrix.title = "分拣矩阵"
        pivot = rows.pivot_table(index=["sku_id", "name"], columns=["route_seq", "pickup_point_id"], values="qty",
                                 aggfunc="sum", fill_value=0).sort_index(axis=1)
        matrix.append(["SKU", "品名", *[f"{seq} {point}" for seq, point in pivot.columns], "合计"])
        for (sku_id, name), values in pivot.iterrows():
            matrix.append([sku_id, name, *[int(v) for v in values], int(values.sum())])
        picks = book.create_sheet("拣货单")
        picks.append(["站", "自提点", "SKU", "品名", "数量"])
        per_point = rows.groupby(["route_seq", "pickup_point_id", "sku_id", "name"], as_index=False)["qty"].sum()
        for row in per_point.itertuples(index=False):
            picks.append([row.route_seq, row.pickup_point_id, row.sku_id, row.name, row.qty])
        save(book, args.out / "sorting" / f"{route_id}.xlsx")
    print(f"sorting workbooks written at {time.perf_counter() - started:.1f}s")

    for point_id, rows in lines.groupby("pickup_point_id"):
        book = Workbook()
        sheet = book.active
        sheet.title = "提货单"
        sheet.append([f"提货单 {point_id} {rows['name_point'].iloc[0]} 团长 {rows['leader_name'].iloc[0]}"])
        sheet.append(["顾客", "手机尾号", "订单号", "品名", "数量"])
        for row in rows.sort_values(["phone_tail", "customer_name", "order_id"]).itertuples(index=False):
            sheet.append([row.customer_name, row.phone_tail, row.order_id, row.name, row.qty])
        sheet.append(["今日订单共", "", "", "", int(rows["qty"].sum())])
        save(book, args.out / "handout" / f"{point_id}.xlsx")
    files = sum(1 for _ in args.out.rglob("*.xlsx"))
    print(f"handout lists written; {files:,} workbooks in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
