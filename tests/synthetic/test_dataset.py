"""The synthetic data set: reproducible, in the contract's format, and referentially whole."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from synthetic.dataset import generate_dataset

ORDERS = 2_000
CUTOFF_DATE = date(2026, 11, 21)
OPENS = datetime(2026, 11, 20, 20, 0)
CLOSES = datetime(2026, 11, 21, 20, 0)
SHANGHAI = ZoneInfo("Asia/Shanghai")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
CHINESE = re.compile(r"[\u4e00-\u9fff]")

# the contract's columns, in the contract's order
MASTER_COLUMNS = {
    "suppliers": ["supplier_id", "name", "email", "min_order_fen", "delivery_window"],
    "products": ["sku_id", "name", "spec", "unit", "category", "supplier_id", "cost_fen", "case_pack",
                 "case_rounding"],
    "categories": ["category", "leader_bp"],
    "pickup_points": ["pickup_point_id", "name", "address", "leader_id", "leader_name", "leader_phone",
                      "route_id", "route_seq", "leader_bp"],
    "distributors": ["distributor_id", "name", "upline_id"],
    "listings": ["listing_id", "sku_id", "calendar", "opens_at", "closes_at", "unit_price_fen", "tiers",
                 "min_qty", "group_scope", "stock_cap", "point_cap", "dist_l1_bp", "dist_l2_bp", "deposit_fen",
                 "deposit_closes_at", "audience_listing_id", "pool_id", "pool_reserve"],
    "pools": ["pool_id", "sku_id", "units"],
}
ORDER_COLUMNS = ["order_id", "line_no", "listing_id", "customer_id", "customer_name", "phone_tail",
                 "pickup_point_id", "qty", "unit_price_fen", "status", "distributor_id", "created_at",
                 "updated_at"]
REFUND_COLUMNS = ["refund_id", "order_id", "line_no", "amount_fen", "reason", "created_at"]
ID_COLUMNS = {
    "suppliers": ["supplier_id"], "products": ["sku_id", "supplier_id"],
    "pickup_points": ["pickup_point_id", "leader_id", "route_id"],
    "distributors": ["distributor_id", "upline_id"], "listings": ["listing_id", "sku_id"],
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("generated")
    generate_dataset(path, ORDERS, CUTOFF_DATE, seed=7)
    return path


def read_master(data_dir: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(data_dir / "master" / f"{name}.csv", infer_schema=False)


def cancellations_file(data_dir: Path) -> Path:
    return data_dir / "inbox" / "orders" / f"orders-{CUTOFF_DATE}-cancellations.csv"


def read_order_exports(data_dir: Path) -> pl.DataFrame:
    """Every first version of an order line: the CSV parts, the presale parquet, the late JSONL."""
    folder = data_dir / "inbox" / "orders"
    csv_parts = sorted(folder.glob(f"orders-{CUTOFF_DATE}-part*.csv"))
    parts = [pl.read_csv(path, infer_schema=False) for path in csv_parts]
    parts.append(pl.read_parquet(folder / f"orders-{CUTOFF_DATE}-presale.parquet"))
    parts.append(pl.read_ndjson(folder / f"orders-{CUTOFF_DATE}-late.jsonl"))
    return pl.concat([part.select(pl.col(ORDER_COLUMNS).cast(pl.String)) for part in parts])


def read_cancellations(data_dir: Path) -> pl.DataFrame:
    text = cancellations_file(data_dir).read_bytes().decode("gb18030")
    return pl.read_csv(text.encode(), infer_schema=False)


def read_refunds(data_dir: Path) -> pl.DataFrame:
    return pl.read_csv(data_dir / "inbox" / "refunds" / f"refunds-{CUTOFF_DATE}.csv", infer_schema=False)


def local_instant(text: str) -> datetime:
    """A contract timestamp (with or without an offset) as naive Asia/Shanghai local time."""
    moment = datetime.fromisoformat(text)
    return moment.astimezone(SHANGHAI).replace(tzinfo=None) if moment.tzinfo else moment


def file_bytes(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    first = generate_dataset(tmp_path / "a", ORDERS, CUTOFF_DATE, seed=7)
    second = generate_dataset(tmp_path / "b", ORDERS, CUTOFF_DATE, seed=7)
    other = generate_dataset(tmp_path / "c", ORDERS, CUTOFF_DATE, seed=8)

    a, b, c = (file_bytes(tmp_path / name) for name in "abc")
    assert first == second
    assert sorted(a) == first["files"]
    assert a == b
    assert a.keys() == c.keys()
    assert a[f"inbox/orders/orders-{CUTOFF_DATE}-part001.csv"] != c[f"inbox/orders/orders-{CUTOFF_DATE}-part001.csv"]
    assert other["orders"] == ORDERS


def test_writes_every_input_format(data_dir):
    names = {path.name for path in (data_dir / "inbox" / "orders").iterdir()}
    assert names == {f"orders-{CUTOFF_DATE}-part001.csv", f"orders-{CUTOFF_DATE}-presale.parquet",
                     f"orders-{CUTOFF_DATE}-late.jsonl", f"orders-{CUTOFF_DATE}-cancellations.csv",
                     f"orders-{CUTOFF_DATE}-deposit-presale.parquet", f"orders-{CUTOFF_DATE}-buyers-group.csv",
                     f"orders-{CUTOFF_DATE}-next-buyers-group.csv"}
    assert not list(data_dir.rglob(".*partial"))


@pytest.mark.parametrize("name", sorted(MASTER_COLUMNS))
def test_master_file_has_the_contract_columns(data_dir, name):
    frame = read_master(data_dir, name)
    assert frame.columns == MASTER_COLUMNS[name]
    assert frame.height > 0


def test_order_and_refund_files_have_the_contract_columns(data_dir):
    assert read_order_exports(data_dir).columns == ORDER_COLUMNS
    assert read_cancellations(data_dir).columns == ORDER_COLUMNS
    assert read_refunds(data_dir).columns == REFUND_COLUMNS


def test_every_id_matches_the_id_pattern(data_dir):
    columns = [read_master(data_dir, name)[column] for name, ids in ID_COLUMNS.items() for column in ids]
    orders = read_order_exports(data_dir)
    columns += [orders[c] for c in ("order_id", "listing_id", "customer_id", "pickup_point_id", "distributor_id")]
    columns.append(read_refunds(data_dir)["refund_id"])
    for column in columns:
        bad = [value for value in column.drop_nulls().to_list() if not ID.fullmatch(value)]
        assert bad == [], column.name


def test_master_ids_are_unique(data_dir):
    for name, ids in ID_COLUMNS.items():
        key = read_master(data_dir, name)[ids[0]]
        assert key.n_unique() == key.len(), name


def test_order_lines_refer_to_master_data(data_dir):
    orders = pl.concat([read_order_exports(data_dir), read_cancellations(data_dir)])
    known = {
        "listing_id": set(read_master(data_dir, "listings")["listing_id"]),
        "pickup_point_id": set(read_master(data_dir, "pickup_points")["pickup_point_id"]),
        "distributor_id": set(read_master(data_dir, "distributors")["distributor_id"]),
    }
    for column, ids in known.items():
        assert set(orders[column].drop_nulls()) <= ids, column
    products = read_master(data_dir, "products")
    assert set(read_master(data_dir, "listings")["sku_id"]) <= set(products["sku_id"])
    assert set(products["supplier_id"]) <= set(read_master(data_dir, "suppliers")["supplier_id"])
    assert set(products["category"]) <= set(read_master(data_dir, "categories")["category"])


def test_order_line_count_is_as_requested(data_dir):
    orders = read_order_exports(data_dir)
    lines = orders.select("order_id", "line_no").unique().height
    assert lines == orders.height  # each line has one first version
    assert abs(lines - ORDERS) <= 0.05 * ORDERS


def test_orders_look_like_a_nightly_export(data_dir):
    orders = read_order_exports(data_dir)
    listings = read_master(data_dir, "listings")
    calendars = orders.join(listings.select("listing_id", "calendar", "unit_price_fen"), on="listing_id")
    nightly = calendars.filter(pl.col("calendar") == "nightly")
    created = [local_instant(text) for text in nightly["created_at"]]
    after_close = sum(moment > CLOSES for moment in created)

    assert (calendars["unit_price_fen"] == calendars["unit_price_fen_right"]).all()
    assert set(orders["status"]) == {"paid"}
    assert orders["phone_tail"].str.contains(r"^\d{4}$").all()
    assert all(OPENS < moment <= CLOSES + timedelta(minutes=10) for moment in created)
    assert 0 < after_close < 0.02 * len(created)
    assert 0 < calendars.filter(pl.col("calendar") == "weekly").height < 0.2 * orders.height
    assert 0.2 < orders["distributor_id"].is_not_null().mean() < 0.4
    # the lines of an order share customer, pickup point and time
    per_order = orders.group_by("order_id").agg(pl.col("customer_id", "pickup_point_id", "created_at").n_unique())
    assert (per_order.select(pl.exclude("order_id")) == 1).to_numpy().all()


def test_nightly_listings_close_in_the_cutoff_window(data_dir):
    """D's nightly and weekly listings; the presales and buyers' groups (synthetic/presale.py) are
    tested in tests/synthetic/test_presale.py."""
    listings = read_master(data_dir, "listings").filter(~pl.col("listing_id").str.contains(r"^(WP|WX|DP|DX)-"))
    nightly = listings.filter(pl.col("calendar") == "nightly")
    weekly = listings.filter(pl.col("calendar") == "weekly")

    assert nightly.height > 0 and weekly.height > 0
    assert all(OPENS < local_instant(text) <= CLOSES for text in nightly["closes_at"])
    assert {local_instant(text) for text in nightly["opens_at"]} == {OPENS}
    assert nightly["closes_at"].str.ends_with("+08:00").any()
    assert not nightly["closes_at"].str.ends_with("+08:00").all()
    monday = datetime(2026, 11, 16)
    assert {local_instant(text) for text in weekly["opens_at"]} == {monday}
    assert {local_instant(text) for text in weekly["closes_at"]} == {monday + timedelta(days=7)}
    assert weekly["listing_id"].str.starts_with("W-20261122-").all()


def test_listings_price_above_cost_with_cheaper_higher_tiers(data_dir):
    listings = read_master(data_dir, "listings").join(
        read_master(data_dir, "products").select("sku_id", "cost_fen"), on="sku_id")
    assert (listings["unit_price_fen"].cast(int) > listings["cost_fen"].cast(int)).all()
    tiered = listings.filter(pl.col("tiers").is_not_null())
    assert tiered.height > 0
    for price, tiers in tiered.select("unit_price_fen", "tiers").iter_rows():
        pairs = [tuple(map(int, tier.split(":"))) for tier in tiers.split("|")]
        thresholds, prices = zip(*pairs, strict=True)
        assert prices[0] == int(price)
        assert list(thresholds) == sorted(set(thresholds))
        assert list(prices) == sorted(set(prices), reverse=True)


def test_distributor_uplines_have_no_cycle(data_dir):
    distributors = read_master(data_dir, "distributors")
    upline = dict(distributors.select("distributor_id", "upline_id").iter_rows())
    assert set(upline.values()) - {None} <= set(upline)
    for start in upline:
        seen, current = set(), start
        while current is not None:
            assert current not in seen, f"cycle through {start}"
            seen.add(current)
            current = upline[current]
    assert 0 < sum(value is None for value in upline.values()) < len(upline)


def test_cancellations_are_gb18030_later_versions(data_dir):
    raw = cancellations_file(data_dir).read_bytes()
    later = read_cancellations(data_dir)
    assert CHINESE.search(raw.decode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")

    firsts = read_order_exports(data_dir)
    joined = later.join(firsts, on=["order_id", "line_no"], suffix="_first")
    assert joined.height == later.height > 0
    assert set(later["status"]) <= {"cancelled", "refunded"}
    assert "cancelled" in set(later["status"])
    assert (joined["updated_at"] > joined["created_at"]).all()
    assert (joined["created_at"] == joined["created_at_first"]).all()


def test_refunds_are_within_what_was_paid_and_belong_to_the_next_run(data_dir):
    refunds = read_refunds(data_dir)
    lines = read_order_exports(data_dir).select("order_id", "line_no", "qty", "unit_price_fen")
    joined = refunds.join(lines, on=["order_id", "line_no"])
    paid = joined["qty"].cast(int) * joined["unit_price_fen"].cast(int)
    amount = joined["amount_fen"].cast(int)

    assert joined.height == refunds.height > 0
    assert refunds["refund_id"].n_unique() == refunds.height
    assert ((amount > 0) & (amount <= paid)).all()
    assert all(CLOSES < local_instant(text) <= CLOSES + timedelta(hours=8) for text in refunds["created_at"])
    assert refunds["reason"].str.contains(CHINESE.pattern).all()


def test_sizes_scale_with_the_orders(tmp_path):
    counts = generate_dataset(tmp_path, 20_000, CUTOFF_DATE, seed=1)
    assert counts["orders"] == 20_000
    assert 150 <= counts["pickup_points"] <= 250
    assert 8 <= counts["routes"] <= 12
    assert 15 <= counts["suppliers"] <= 25
    assert 120 <= counts["products"] <= 180


def test_follows_the_configured_cutoff_time_and_zone(tmp_path):
    generate_dataset(tmp_path, 500, CUTOFF_DATE, seed=3, timezone="Asia/Tokyo", nightly_at=time(18, 30))
    listings = read_master(tmp_path, "listings").filter(pl.col("calendar") == "nightly")
    assert set(listings["closes_at"]) == {"2026-11-21T18:30:00", "2026-11-21T18:30:00+09:00",
                                          "2026-11-23T18:30:00"}  # the presales' buyers' groups: Monday after


def test_regenerating_replaces_the_dates_order_files(tmp_path):
    generate_dataset(tmp_path, 1_000, CUTOFF_DATE, seed=7)
    stale = tmp_path / "inbox" / "orders" / f"orders-{CUTOFF_DATE}-part009.csv"
    stale.write_text("left over")
    other_day = tmp_path / "inbox" / "orders" / "orders-2026-11-20-part001.csv"
    other_day.write_text("kept")
    generate_dataset(tmp_path, 1_000, CUTOFF_DATE, seed=7)
    assert not stale.exists()
    assert other_day.read_text() == "kept"


def test_refuses_an_empty_data_set(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        generate_dataset(tmp_path, 0, CUTOFF_DATE, seed=7)


def test_the_order_lines_are_made_and_written_a_chunk_at_a_time_into_several_parts(tmp_path, monkeypatch):
    """Bounded memory at any size (10M lines: docs/scale.md): never more than CHUNK_ORDERS orders'
    lines in memory, appended to a CSV part of CHUNKS_PER_PART chunks; every line in one file."""
    import synthetic.exports as exports
    monkeypatch.setattr(exports, "CHUNK_ORDERS", 150)
    monkeypatch.setattr(exports, "CHUNKS_PER_PART", 2)
    made = []
    real = exports.make_order_lines

    def spy(rng, calendar, listings, buyers, first, sizes, width):
        made.append(len(sizes))
        return real(rng, calendar, listings, buyers, first, sizes, width)

    monkeypatch.setattr(exports, "make_order_lines", spy)
    counts = generate_dataset(tmp_path, 1_000, CUTOFF_DATE, seed=7, receipts=False)
    assert max(made) == 150 and len(made) == -(-counts["order_ids"] // 150)
    parts = sorted((tmp_path / "inbox" / "orders").glob(f"orders-{CUTOFF_DATE}-part*.csv"))
    assert [p.name for p in parts] == [f"orders-{CUTOFF_DATE}-part{n:03d}.csv"
                                       for n in range(1, -(-len(made) // 2) + 1)]
    lines = pl.concat([pl.read_csv(p, infer_schema=False) for p in parts])
    assert lines.columns == ORDER_COLUMNS
    assert lines.select("order_id", "line_no").is_unique().all()
