"""The rulebook's presale worked example through real cutoff runs (tests/presale_story.py): three
runs on two calendars sell one pool of 40 boxes in turn order, number by number; runs out of turn
are refused before anything is written; reruns; `pool_stale`."""

import json

import duckdb
import polars as pl
import pytest

from errors import RunOrderError
from flows.backfill_flow import backfill_flow
from flows.cutoff_flow import cutoff_flow
from tests import datasets
from tests import presale_story as story

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(data_dir, reports_dir, calendar, day):
    return cutoff_flow(calendar=calendar, cutoff_date=day, data_dir=str(data_dir), reports_dir=str(reports_dir),
                       send_email=False)


def allocations(data_dir, calendar, day) -> dict:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("SELECT * FROM allocations WHERE calendar = ? AND cutoff_date = ? ORDER BY order_id",
                       params=[calendar, day]).pl()
    return {row["order_id"]: row for row in rows.iter_rows(named=True)}


def table_count(data_dir, table: str) -> int:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]


@pytest.fixture
def story_dirs(tmp_path):
    return datasets.presale_story_data_dir(tmp_path / "data"), tmp_path / "reports"


def test_the_worked_example_through_three_runs(story_dirs):
    data_dir, reports_dir = story_dirs
    grp = run(data_dir, reports_dir, "nightly", story.GRP_DATE)
    assert grp["units"]["allocated"] == story.GRP_ALLOCATED == 27
    assert grp["fen"]["net"] == 27 * 32800 and grp["fen"]["forfeit"] == 0
    assert grp["pools"] == [{
        "pool_id": "MOON", "sku_id": "SKU1", "units": 40, "taken_before": 0, "taken_now": 27, "held_later": 6,
        "left": 7, "turns": [
            {"calendar": "nightly", "cutoff_date": "2026-11-19", "position": "this run", "listings": ["GRP"],
             "reserve": 0, "taken": 27},
            {"calendar": "weekly", "cutoff_date": "2026-11-22", "position": "later", "listings": ["PRE"],
             "reserve": 6, "taken": None},
            {"calendar": "nightly", "cutoff_date": "2026-11-23", "position": "later", "listings": ["EXC"],
             "reserve": 0, "taken": None}]}]

    pre = run(data_dir, reports_dir, "weekly", story.PRE_DATE)
    assert pre["fen"]["paid"] == story.PRE_PAID_FEN == 223600
    assert pre["fen"]["net"] == story.PRE_NET_FEN == 208600
    assert pre["fen"]["refund"] == 0 and pre["fen"]["forfeit"] == story.PRE_FORFEIT_FEN == 15000
    assert pre["units"]["allocated"] == 7 and pre["order_lines"]["eligible"] == 4  # p2's deposit line counts
    assert (pre["pools"][0]["taken_before"], pre["pools"][0]["taken_now"], pre["pools"][0]["left"]) == (27, 7, 6)
    lines = allocations(data_dir, "weekly", story.PRE_DATE)
    assert (lines["r2"]["cut_reason"], lines["r2"]["forfeit_fen"], lines["r2"]["paid_fen"]) == \
        ("balance_unpaid", 15000, 15000)

    exc = run(data_dir, reports_dir, "nightly", story.EXC_DATE)
    lines = allocations(data_dir, "nightly", story.EXC_DATE)
    assert {k: v["qty_allocated"] for k, v in lines.items()} == story.EXC_ALLOCATED
    assert {k: v["cut_reason"] for k, v in lines.items() if v["cut_reason"]} == story.EXC_REASONS
    assert exc["fen"]["refund"] == 28800 + 57600
    assert exc["pools"][0]["taken_before"] == 34 and exc["pools"][0]["left"] == 0  # sold out, never oversold
    refunds = pl.read_csv(reports_dir / "nightly" / story.EXC_DATE / "refunds.csv").sort("order_id")
    assert refunds.select("order_id", "refund_fen", "reason").rows() == [
        ("e2", 28800, "not_in_audience"), ("e4", 57600, "out_of_stock")]
    # commissions accrue on net only: p2's forfeited deposit earns nobody anything
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        earned = con.sql("SELECT count(*) FROM commission_ledger WHERE order_id = 'r2'").fetchall()[0][0]
    assert earned == 0


def test_a_run_out_of_turn_stops_before_writing_anything(story_dirs):
    data_dir, reports_dir = story_dirs
    with pytest.raises(RunOrderError) as err:
        run(data_dir, reports_dir, "weekly", story.PRE_DATE)
    message = str(err.value)
    assert "nightly 2026-11-19" in message and "GRP (pool MOON)" in message
    assert "`cutoff run --calendar nightly --date 2026-11-19` first" in message
    assert not (data_dir / "warehouse.duckdb").exists()  # nothing written, not even the warehouse
    run(data_dir, reports_dir, "nightly", story.GRP_DATE)
    with pytest.raises(RunOrderError) as err:
        run(data_dir, reports_dir, "nightly", story.EXC_DATE)
    assert "weekly 2026-11-22" in str(err.value)
    assert table_count(data_dir, "run_log") == 1  # the refused run left no trace


def test_a_rerun_that_takes_more_warns_pool_stale_naming_the_later_cutoffs(story_dirs):
    data_dir, reports_dir = story_dirs
    for calendar, day in (("nightly", story.GRP_DATE), ("weekly", story.PRE_DATE), ("nightly", story.EXC_DATE)):
        run(data_dir, reports_dir, calendar, day)
    again = run(data_dir, reports_dir, "nightly", story.GRP_DATE)  # same inputs: same result, no warning
    assert not [w for w in again["warnings"] if w.startswith("pool_stale")]
    datasets.write_orders(data_dir, [datasets.order("g7", "c7", 2, "2026-11-19T19:00:00", listing="GRP")],
                          name="orders-late.csv")
    late = run(data_dir, reports_dir, "nightly", story.GRP_DATE)
    assert late["units"]["allocated"] == 29
    stale = [w for w in late["warnings"] if w.startswith("pool_stale: ")]
    assert stale == [
        "pool_stale: pool MOON: the nightly 2026-11-19 cutoff now takes 29 unit(s) of it (it took 27 before), and "
        "the later cutoff(s) weekly 2026-11-22, nightly 2026-11-23 already ran with what it left: rerun them in "
        "this order (cutoff run --calendar weekly --date 2026-11-22; cutoff run --calendar nightly --date "
        "2026-11-23)"]
    summary = json.loads((reports_dir / "nightly" / story.GRP_DATE / "summary.json").read_text(encoding="utf-8"))
    assert stale[0] in summary["warnings"]
    # following the warning puts the pool right: 29 + 7 + 4 = 40
    assert run(data_dir, reports_dir, "weekly", story.PRE_DATE)["units"]["allocated"] == 7
    exc = run(data_dir, reports_dir, "nightly", story.EXC_DATE)
    assert exc["units"]["allocated"] == 4 and exc["pools"][0]["left"] == 0


def test_a_backfill_of_both_calendars_runs_the_story_in_turn_order(story_dirs):
    data_dir, reports_dir = story_dirs
    entries = backfill_flow(calendar="both", start=story.GRP_DATE, end=story.EXC_DATE, send_email=False,
                            data_dir=str(data_dir), reports_dir=str(reports_dir))
    assert [(e["calendar"], e["cutoff_date"]) for e in entries] == [
        ("nightly", "2026-11-19"), ("nightly", "2026-11-20"), ("nightly", "2026-11-21"), ("nightly", "2026-11-22"),
        ("weekly", "2026-11-22"), ("nightly", "2026-11-23")]
    assert [e["lines_allocated"] for e in entries] == [6, 0, 0, 0, 3, 3]
    assert {k: v["qty_allocated"] for k, v in allocations(data_dir, "nightly", story.EXC_DATE).items()} == \
        story.EXC_ALLOCATED
