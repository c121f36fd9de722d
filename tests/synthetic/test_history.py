"""`cutoff generate --history-weeks` (synthetic/history.py): weeks of nightly cutoffs written as a
backfill would, with the demand a forecast must meet; and the forecast measured on it (two
successive weeks: WAPE against seasonal naive, bias, and the P10-P90 coverage)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from errors import UserError
from flows.forecast_flow import compute, read_inputs
from flows.settings import Settings
from synthetic.history import generate_history
from transforms.forecast_methods import seasonal_naive
from warehouse.connection import open_warehouse
from warehouse.forecast import sku_units

END = date(2026, 11, 30)  # D of the generated data set: its cutoffs are the 7 weeks before
WEEKS = 7


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("history") / "data"
    counts = generate_history(data_dir, 400, END, WEEKS, seed=5)
    return data_dir, counts


def test_the_warehouse_holds_each_cutoff_before_d_as_a_backfill_leaves_it(history):
    data_dir, counts = history
    assert counts["cutoffs_written"] == counts["history_days"] == 7 * WEEKS
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        runs = warehouse.frame("SELECT cutoff_date, status, lines_eligible FROM runs ORDER BY cutoff_date")
        assert runs["cutoff_date"].to_list() == [END - timedelta(days=7 * WEEKS - i) for i in range(7 * WEEKS)]
        assert set(runs["status"]) == {"success"} and (runs["lines_eligible"] > 0).all()
        partitions = warehouse.scalar("SELECT count(DISTINCT cutoff_date) FROM allocations")
        ledger = warehouse.scalar("SELECT count(DISTINCT cutoff_date) FROM commission_ledger")
        files = warehouse.frame("SELECT path FROM ingested_files ORDER BY path")["path"].to_list()
        waiting = warehouse.scalar("SELECT count(*) FROM order_lines WHERE order_id LIKE 'O20261130-%'")
    assert partitions == ledger == 7 * WEEKS
    assert f"inbox/orders/orders-{END}.csv" in files  # D's export: ingested, not cut off (the next run's)
    assert waiting > 0 and (data_dir / "inbox" / "weather" / "weather.csv").is_file()


def test_a_history_is_written_into_a_new_data_dir_only(history):
    data_dir, _ = history
    with pytest.raises(UserError, match="already holds a data set"):
        generate_history(data_dir, 400, END, 1, seed=5)


def test_the_history_has_a_week_intermittent_new_and_dying_products(history):
    data_dir, _ = history
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        daily = sku_units(warehouse, END, END - timedelta(days=7 * WEEKS))
    weekday = daily.group_by(pl.col("date").dt.weekday()).agg(pl.col("units").sum()).sort("date")["units"]
    assert weekday[5] > 1.05 * weekday[0]  # Saturday sells more than Monday
    sold = daily.filter(pl.col("units") > 0)
    first, last = sold.group_by("sku_id").agg(pl.col("date").min()), sold.group_by("sku_id").agg(pl.col("date").max())
    assert (first["date"] > END - timedelta(days=7 * WEEKS - 7)).any()  # a product new in the range
    assert (last["date"] < END - timedelta(days=14)).any()               # a product that left it
    zeros = daily.group_by("sku_id").agg((pl.col("units") == 0).mean().alias("zero_share"))
    assert (zeros["zero_share"] > 0.3).sum() >= 3                        # intermittent SKUs


def test_the_forecast_beats_seasonal_naive_over_two_weeks_with_an_honest_range(history):
    """On the generated history, the SKU level of two successive forecast weeks (each forecast from
    the cutoffs before its week alone): WAPE at most 0.9 x seasonal naive's, bias within 10%,
    70-90% of the actual values within P10-P90."""
    data_dir, _ = history
    settings = Settings(data_dir=data_dir, reports_dir=data_dir.parent / "reports")
    weeks = []
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        actual = sku_units(warehouse, END, END - timedelta(days=14)).rename({"date": "cutoff_date",
                                                                            "units": "actual"})
        for day in (END - timedelta(days=14), END - timedelta(days=7)):
            inputs = read_inputs(settings, warehouse, day, 7)
            skus = compute(inputs).rows.filter(pl.col("level") == "sku").join(actual, on=["sku_id", "cutoff_date"])
            naive = seasonal_naive(inputs.daily.rename({"sku_id": "key"}),
                                   skus.select(pl.col("sku_id").alias("key"), pl.col("cutoff_date").alias("date")))
            weeks.append(skus.join(naive.rename({"key": "sku_id", "date": "cutoff_date", "forecast": "naive"}),
                                   on=["sku_id", "cutoff_date"]))
    both = pl.concat(weeks)
    sold = both["actual"].sum()
    wape = (both["units_p50"] - both["actual"]).abs().sum() / sold
    naive_wape = (both["naive"] - both["actual"]).abs().sum() / sold
    bias = (both["units_p50"] - both["actual"]).sum() / sold
    coverage = both.select(((pl.col("actual") >= pl.col("units_p10")) & (pl.col("actual") <= pl.col("units_p90")))
                           .mean()).item()
    assert both.height > 300
    assert wape <= 0.9 * naive_wape, (wape, naive_wape)
    assert abs(bias) <= 0.10, bias
    assert 0.70 <= coverage <= 0.90, coverage
