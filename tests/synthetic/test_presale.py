"""The generator's presales, buyers' groups and pools: the mooncake story per pool, in the contract's
format, valid master data, and the rest of the data set untouched by them."""

from __future__ import annotations

from datetime import date, time

import polars as pl
import pytest

from inbox.master import load_master
from synthetic.dataset import generate_dataset
from synthetic.receipts import expected_allocations

DAY = date(2026, 11, 20)  # a Friday: its Sunday is 11-22, the buyers' groups close Monday 11-23


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("presale")
    generate_dataset(folder, 3_000, DAY, 7, receipts=False)
    return folder


def orders(data_dir, name: str) -> pl.DataFrame:
    path = data_dir / "inbox" / "orders" / name
    return pl.read_parquet(path) if name.endswith(".parquet") else pl.read_csv(path, infer_schema=False)


def test_each_pool_tells_the_mooncake_story(data_dir):
    master = load_master(data_dir, "Asia/Shanghai")  # valid master data, pools included
    listings, pools = master.listings, master.pools
    assert pools.height >= 1
    for pool in pools.iter_rows(named=True):
        sold = listings.filter(pl.col("pool_id") == pool["pool_id"])
        assert set(sold["sku_id"]) == {pool["sku_id"]}
        nightly_d = sold.filter((pl.col("calendar") == "nightly") & pl.col("deposit_fen").is_null()
                                & pl.col("audience_listing_id").is_null())
        presale = sold.filter(pl.col("deposit_fen") > 0).row(0, named=True)
        group = sold.filter(pl.col("audience_listing_id").is_not_null()).row(0, named=True)
        assert nightly_d.height == 1 and presale["calendar"] == "weekly" and group["calendar"] == "nightly"
        assert group["audience_listing_id"] == presale["listing_id"]
        # the presale holds about a fifth of the pool; every reserve fits
        assert 0.1 * pool["units"] <= presale["pool_reserve"] <= 0.25 * pool["units"]
        assert sold["pool_reserve"].sum() <= pool["units"]
        assert presale["deposit_fen"] < presale["unit_price_fen"]
        assert presale["opens_at"] <= presale["deposit_closes_at"] <= presale["closes_at"]


def test_presale_lines_are_deposits_and_most_pay_the_balance(data_dir):
    rows = orders(data_dir, f"orders-{DAY}-deposit-presale.parquet")
    first = rows.filter(pl.col("status") == "deposit_paid")
    balance = rows.filter(pl.col("status") == "paid")
    assert first.height == rows.select("order_id").n_unique() and balance.height < first.height
    unpaid_share = 1 - balance.height / first.height
    assert 0.03 < unpaid_share < 0.3
    later = balance.join(first.select("order_id", pl.col("updated_at").alias("deposit_at")), on="order_id")
    assert (later["updated_at"] > later["deposit_at"]).all()  # the balance is a later version


def test_buyers_groups_are_mostly_the_presales_customers(data_dir):
    presale = orders(data_dir, f"orders-{DAY}-deposit-presale.parquet")
    listings = load_master(data_dir, "Asia/Shanghai").listings
    for name in (f"orders-{DAY}-buyers-group.csv", f"orders-{DAY}-next-buyers-group.csv"):
        group = orders(data_dir, name).join(listings.select("listing_id", "audience_listing_id"), on="listing_id")
        members = presale.select(pl.col("listing_id").alias("audience_listing_id"), "customer_id").unique()
        inside = group.join(members, on=["audience_listing_id", "customer_id"], how="semi").height
        assert 0.6 * group.height <= inside < group.height  # most, not all


def test_the_cutoff_of_d_draws_on_the_pools_and_cuts_unpaid_and_outsiders(data_dir):
    master, allocations = expected_allocations(data_dir, DAY, "Asia/Shanghai", time(20))
    reasons = set(allocations["cut_reason"].drop_nulls())
    assert {"balance_unpaid", "not_in_audience"} <= reasons  # D's own deposit presales and buyers' groups
    forfeit = allocations.filter(pl.col("cut_reason") == "balance_unpaid")
    assert forfeit.height and (forfeit["forfeit_fen"] > 0).all()
    pooled = master.listings.filter(pl.col("pool_id").is_not_null() & (pl.col("calendar") == "nightly")
                                    & pl.col("audience_listing_id").is_null())["listing_id"]
    took = allocations.filter(pl.col("listing_id").is_in(pooled.implode()))["qty_allocated"].sum()
    room = (master.pools["units"].sum()
            - master.listings.filter(pl.col("calendar") == "weekly")["pool_reserve"].sum())
    assert 0 < took <= room  # the presales' reserves are held for their turn
