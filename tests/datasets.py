"""Small hand-written data dirs in the contract's format, for flow and CLI tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests import mooncake, presale_story

SUPPLIERS = [
    {"supplier_id": "S1", "name": "广州月饼食品有限公司", "email": "s1@supplier.example.com",
     "min_order_fen": "0", "delivery_window": "次日 05:00-07:00"},
    {"supplier_id": "S2", "name": "从化鲜果合作社", "email": "s2@supplier.example.com;ops2@supplier.example.com",
     "min_order_fen": "1000000", "delivery_window": "次日 06:00-08:00"},
]
CATEGORIES = [{"category": "烘焙", "leader_bp": "1000"}, {"category": "水果", "leader_bp": "800"}]
PRODUCTS = [
    {"sku_id": mooncake.SKU, "name": mooncake.SKU_NAME, "spec": "6枚/盒", "unit": "盒", "category": "烘焙",
     "supplier_id": "S1", "cost_fen": "20000", "case_pack": "1", "case_rounding": "up"},
    {"sku_id": "SKU2", "name": "砂糖橘", "spec": "5斤/箱", "unit": "箱", "category": "水果",
     "supplier_id": "S2", "cost_fen": "1500", "case_pack": "6", "case_rounding": "up"},
]
PICKUP_POINTS = [
    {"pickup_point_id": "P1", "name": "幸福里3栋", "address": "幸福路1号", "leader_id": "T1",
     "leader_name": "王芳", "leader_phone": "13800000001", "route_id": "R1", "route_seq": "1", "leader_bp": ""},
    {"pickup_point_id": "P2", "name": "阳光花园便利店", "address": "阳光路2号", "leader_id": "T2",
     "leader_name": "李娜", "leader_phone": "13800000002", "route_id": "R1", "route_seq": "2", "leader_bp": ""},
]
DISTRIBUTORS = [{"distributor_id": "D1", "name": "张三", "upline_id": ""},
                {"distributor_id": "D2", "name": "李四", "upline_id": "D1"}]
LISTINGS = [
    {"listing_id": "L1", "sku_id": mooncake.SKU, "calendar": "nightly", "opens_at": "2026-11-20T20:00:00",
     "closes_at": "2026-11-21T20:00:00", "unit_price_fen": str(mooncake.PRICE_FEN), "tiers": mooncake.TIERS,
     "min_qty": "", "group_scope": "", "stock_cap": str(mooncake.STOCK_CAP), "point_cap": "", "dist_l1_bp": "1500",
     "dist_l2_bp": "500"},
    {"listing_id": "L2", "sku_id": "SKU2", "calendar": "nightly", "opens_at": "2026-11-20T20:00:00+08:00",
     "closes_at": "2026-11-21T20:00:00+08:00", "unit_price_fen": "2990", "tiers": "", "min_qty": "",
     "group_scope": "", "stock_cap": "", "point_cap": "", "dist_l1_bp": "", "dist_l2_bp": ""},
]
ORDER_COLUMNS = ["order_id", "line_no", "listing_id", "customer_id", "customer_name", "phone_tail",
                 "pickup_point_id", "qty", "unit_price_fen", "status", "distributor_id", "created_at", "updated_at"]


def order(order_id, customer, qty, created_at, listing="L1", price=32800, point="P1", line_no=1,
          status="paid", distributor="", updated_at="", name="顾客", phone="0001") -> dict:
    return {"order_id": order_id, "line_no": str(line_no), "listing_id": listing, "customer_id": customer,
            "customer_name": name, "phone_tail": phone, "pickup_point_id": point, "qty": str(qty),
            "unit_price_fen": str(price), "status": status, "distributor_id": distributor,
            "created_at": created_at, "updated_at": updated_at}


MOONCAKE_DETAILS = {  # who the rulebook's customers are here (tests/mooncake.py has the example)
    "A": dict(distributor="D2", name="张伟", phone="1234"),
    "B": dict(point="P2", name="李静", phone="5678"),
    "C": dict(name="王磊", phone="0420"),
    "D": dict(point="P2", name="赵敏", phone="8888"),
    "E": dict(name="张伟", phone="1234"),
}
MOONCAKE_ORDERS = [
    *(order(order_id, customer, qty, f"{mooncake.DAY}T{at}:00", **MOONCAKE_DETAILS[order_id])
      for order_id, customer, qty, at in mooncake.ORDERS),
    order("F", "cF", 7, "2026-11-21T10:00:00", listing="L2", price=2990, name="刘洋", phone="3141"),  # another listing
]


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(rows, schema={c: pl.String for c in (columns or list(rows[0]))}) if rows else \
        pl.DataFrame(schema={c: pl.String for c in columns})
    path.write_bytes(frame.write_csv().encode(encoding))
    return path


def write_master(data_dir: Path, **overrides: list[dict]) -> Path:
    tables = {"suppliers": SUPPLIERS, "categories": CATEGORIES, "products": PRODUCTS,
              "pickup_points": PICKUP_POINTS, "distributors": DISTRIBUTORS, "listings": LISTINGS}
    tables.update(overrides)
    for name, rows in tables.items():
        write_csv(data_dir / "master" / f"{name}.csv", rows)
    return data_dir


def write_orders(data_dir: Path, rows: list[dict], name: str = "orders-1.csv", encoding: str = "utf-8") -> Path:
    return write_csv(data_dir / "inbox" / "orders" / name, rows, ORDER_COLUMNS, encoding)


def mooncake_data_dir(data_dir: Path) -> Path:
    write_master(data_dir)
    write_orders(data_dir, MOONCAKE_ORDERS)
    return data_dir


def mooncake_closing_at(data_dir: Path, closes_at, late: bool = True) -> list[dict]:
    """The mooncake example for a cutoff at `closes_at` (an aware datetime; the nightly cutoff of
    CUTOFF_NIGHTLY_AT on its date): the listings open a day before and close then; orders A-E are
    in inbox/orders/orders-1.csv. Order F (7 x 29.90 on L2), placed half a minute before the
    cutoff, is the late export: returned (to be written by `write_orders(..., name="orders-2.csv")`
    after the cutoff) when `late`, else written with the others. The figures are the mooncake
    example's: paid 5129.30, net 4145.30."""
    from datetime import timedelta

    def stamp(instant) -> str:
        return instant.isoformat(timespec="seconds")
    opens_at = closes_at - timedelta(days=1)
    listings = [dict(row, opens_at=stamp(opens_at), closes_at=stamp(closes_at)) for row in LISTINGS]
    write_master(data_dir, listings=listings)
    placed = [dict(row, created_at=stamp(closes_at - timedelta(hours=10) + timedelta(minutes=n)))
              for n, row in enumerate(MOONCAKE_ORDERS)]
    placed[-1]["created_at"] = stamp(closes_at - timedelta(seconds=30))
    on_time, late_rows = (placed[:-1], placed[-1:]) if late else (placed, [])
    write_orders(data_dir, on_time)
    return late_rows


RECEIPT_COLUMNS = ["receipt_id", "calendar", "cutoff_date", "supplier_id", "sku_id", "units_received",
                   "units_damaged", "received_at", "note"]


def receipt(receipt_id, units_received, units_damaged=0, supplier="S1", sku=mooncake.SKU, cutoff_date=mooncake.DAY,
            calendar="nightly", received_at="2026-11-22T06:10:00", note="") -> dict:
    return {"receipt_id": receipt_id, "calendar": calendar, "cutoff_date": cutoff_date, "supplier_id": supplier,
            "sku_id": sku, "units_received": str(units_received), "units_damaged": str(units_damaged),
            "received_at": received_at, "note": note}


def write_receipts(data_dir: Path, rows: list[dict], name: str = "receipts-1.csv", encoding: str = "utf-8") -> Path:
    return write_csv(data_dir / "inbox" / "receipts" / name, rows, RECEIPT_COLUMNS, encoding)


def mooncake_goods_in_dir(data_dir: Path) -> Path:
    """The mooncake data dir of the goods-in example: 流心奶黄月礼盒 bought in cases of 4 (so 3 cases
    for the 12 boxes allocated); the receipts are left to the test."""
    products = [{**PRODUCTS[0], "case_pack": str(mooncake.CASE_PACK), "cost_fen": str(mooncake.COST_FEN)},
                *PRODUCTS[1:]]
    write_master(data_dir, products=products)
    write_orders(data_dir, MOONCAKE_ORDERS)
    return data_dir


MOONCAKE_RECEIPT = receipt("GR-1", mooncake.RECEIVED, mooncake.DAMAGED, note="1盒压损")


def presale_listing(row: dict) -> dict:
    """A listing of tests/presale_story.py in the contract's text format."""
    text = {"tiers": "", "min_qty": "", "group_scope": "", "stock_cap": "", "point_cap": "", "dist_l1_bp": "1500",
            "dist_l2_bp": "500", "deposit_fen": "", "deposit_closes_at": "", "audience_listing_id": "",
            "pool_id": "", "pool_reserve": "", "sku_id": presale_story.SKU}
    for key, value in row.items():
        text[key] = value.replace(" ", "T") + ":00" if key.endswith("_at") else str(value)
    return text


def presale_story_data_dir(data_dir: Path, pool_units: int = presale_story.POOL_UNITS) -> Path:
    """The rulebook's presale worked example (tests/presale_story.py) as a data dir: pool MOON, the
    listings GRP (nightly), PRE (weekly deposit presale) and EXC (its buyers' group), every order
    line in inbox/orders/orders-1.csv (customers at P1, PRE's buyers at P2)."""
    listings = [presale_listing(row) for row in (presale_story.GRP, presale_story.PRE, presale_story.EXC)]
    write_master(data_dir, listings=listings)
    write_csv(data_dir / "master" / "pools.csv",
              [{"pool_id": presale_story.POOL, "sku_id": presale_story.SKU, "units": str(pool_units)}])
    rows = [order(order_id, customer, qty, at.replace(" ", "T") + ":00", listing=listing, price=price, status=status,
                  point="P2" if customer.startswith("p") else "P1", name=f"顾客{customer}", phone=f"{n:04d}")
            for listing, price, lines in (("GRP", 32800, presale_story.GRP_ORDERS),
                                          ("PRE", 29800, presale_story.PRE_ORDERS),
                                          ("EXC", 28800, presale_story.EXC_ORDERS))
            for n, (order_id, customer, qty, at, status) in enumerate(lines)]
    write_orders(data_dir, rows)
    return data_dir
