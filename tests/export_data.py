"""A platform's data dir whose master data maps the generated exports (synthetic/platform_exports.py):
a SKU per generated item, a pickup point per 服务小区, export_map.csv, a nightly listing per SKU."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from synthetic.platform_exports import ITEMS, POINTS
from tests import datasets

DAY = date(2026, 11, 21)
SKUS = {f"{name}({spec})": f"F{i + 1}" for i, (name, spec, _) in enumerate(ITEMS)}
POINT_IDS = {name: f"Q{i + 1}" for i, (name, *_) in enumerate(POINTS)}


def listing_rows(day: date = DAY, skus: dict[str, str] | None = None) -> list[dict]:
    opens, closes = f"{day - timedelta(days=1)}T20:00:00", f"{day}T20:00:00"
    prices = {f"{name}({spec})": price for name, spec, price in ITEMS}
    return [{"listing_id": f"{sku}-{day:%m%d}", "sku_id": sku, "calendar": "nightly", "opens_at": opens,
             "closes_at": closes, "unit_price_fen": str(prices[text]), "tiers": "", "min_qty": "", "group_scope": "",
             "stock_cap": "", "point_cap": "", "dist_l1_bp": "", "dist_l2_bp": ""}
            for text, sku in (skus or SKUS).items()]


def export_master(data_dir: Path, days: tuple[date, ...] = (DAY,), mapped: dict[str, str] | None = None) -> Path:
    """The master data (a listing per SKU for each of `days`) and export_map.csv (`mapped` products,
    all by default; every pickup place)."""
    products = [{"sku_id": sku, "name": text.split("(")[0], "spec": text.split("(")[1].rstrip(")"), "unit": "份",
                 "category": "水果", "supplier_id": "S2", "cost_fen": "1000", "case_pack": "1", "case_rounding": "up"}
                for text, sku in SKUS.items()]
    points = [{"pickup_point_id": pid, "name": name, "address": "", "leader_id": f"T{pid}", "leader_name": "团长",
               "leader_phone": "", "route_id": "R1", "route_seq": str(i), "leader_bp": ""}
              for i, (name, pid) in enumerate(POINT_IDS.items(), start=1)]
    datasets.write_master(data_dir, products=[*datasets.PRODUCTS, *products],
                          pickup_points=[*datasets.PICKUP_POINTS, *points],
                          listings=[row for day in days for row in listing_rows(day)])
    write_map(data_dir, SKUS if mapped is None else mapped)
    return data_dir


def write_map(data_dir: Path, products: dict[str, str]) -> Path:
    rows = [{"field": "product", "text": text, "maps_to": sku} for text, sku in products.items()]
    rows += [{"field": "pickup_point", "text": name, "maps_to": pid} for name, pid in POINT_IDS.items()]
    return datasets.write_csv(data_dir / "master" / "export_map.csv", rows, ["field", "text", "maps_to"])
