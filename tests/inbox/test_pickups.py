"""Ingest of pickup scans (inbox/pickups/): the earliest scan of a line counts, across files and
ingests; each file once; three formats; a scan of a line whose every unit went short is rejected."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import polars as pl
import pytest

from inbox.master import stored_master
from inbox.pickups import ingest_pickups
from tests.datasets import MOONCAKE_RECEIPT, receipt, write_receipts
from tests.fulfilment_data import fulfilment_data_dir, run_cutoff_and_goods_in, write_scans
from warehouse.connection import open_warehouse

pytestmark = pytest.mark.slow
TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def ran(tmp_path_factory, prefect_harness):
    """The mooncake cutoff and its goods-in run, before any scan."""
    root = tmp_path_factory.mktemp("pickups")
    data_dir = fulfilment_data_dir(root / "data")
    run_cutoff_and_goods_in(data_dir, root / "reports")
    return data_dir


@pytest.fixture
def data_dir(ran, tmp_path):
    shutil.copytree(ran, tmp_path / "data")
    return tmp_path / "data"


def ingest(data_dir, label="report 2026-11-21..2026-11-21"):
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        result = ingest_pickups(warehouse, data_dir, stored_master(warehouse), TZ, label)
        held = warehouse.frame("SELECT order_id, line_no, picked_up_at, source_file FROM pickups ORDER BY ALL")
        rejects = warehouse.frame("SELECT * FROM rejects WHERE kind = 'pickups' ORDER BY source_file, row_number")
        registry = warehouse.frame("SELECT path, rows_read, rows_loaded, rows_rejected FROM ingested_files "
                                   "WHERE kind = 'pickups' ORDER BY path")
    return result, held, rejects, registry


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def scan(order_id, at, line_no="1", point="P1") -> dict:
    return {"order_id": order_id, "line_no": line_no, "picked_up_at": at, "pickup_point_id": point}


def test_the_earliest_scan_counts_within_a_file_and_across_later_files(data_dir):
    write_scans(data_dir, [scan("A", "2026-11-22T10:00:00"), scan("A", "2026-11-22T09:00:00"),
                           scan("B", "2026-11-22T12:30:00", point="P2")])
    result, held, _, _ = ingest(data_dir)
    assert (result.files, result.rows, result.loaded, result.rejected) == (1, 3, 3, 0)
    assert held.select("order_id", "picked_up_at").rows() == [("A", utc("2026-11-22T09:00:00+08:00")),
                                                              ("B", utc("2026-11-22T12:30:00+08:00"))]
    # a later export: an earlier scan of B replaces the one held, a later one of A changes nothing
    later = pl.DataFrame([scan("B", "2026-11-22T11:00:00+08:00", point="P2"), scan("A", "2026-11-22T08:00:00Z")])
    (data_dir / "inbox" / "pickups" / "pickups-2.jsonl").write_text(later.write_ndjson(), encoding="utf-8")
    _, held, _, _ = ingest(data_dir)
    assert held.rows() == [("A", 1, utc("2026-11-22T09:00:00+08:00"), "inbox/pickups/pickups-1.csv"),
                           ("B", 1, utc("2026-11-22T11:00:00+08:00"), "inbox/pickups/pickups-2.jsonl")]


def test_each_file_is_ingested_once_and_parquet_and_gb18030_are_read(data_dir):
    rows = [scan("C", "2026-11-22T09:00:00"), scan("D", "2026-11-22T10:00:00", point="P2")]
    (data_dir / "inbox" / "pickups").mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows[:1]).write_parquet(data_dir / "inbox" / "pickups" / "a.parquet")
    gbk = pl.DataFrame([dict(rows[1], note="提货点扫码")]).write_csv().encode("gb18030")  # an unknown column too
    (data_dir / "inbox" / "pickups" / "b.csv").write_bytes(gbk)
    first, held, _, registry = ingest(data_dir)
    assert (first.files, first.loaded) == (2, 2) and held["order_id"].to_list() == ["C", "D"]
    assert registry.rows() == [("inbox/pickups/a.parquet", 1, 1, 0), ("inbox/pickups/b.csv", 1, 1, 0)]
    again, held_again, _, _ = ingest(data_dir)
    assert (again.files, again.rows) == (0, 0) and held_again.equals(held)


def test_a_scan_of_a_line_whose_every_unit_went_short_is_rejected(prefect_harness, tmp_path):
    """8 boxes received, none damaged: 4 short, all of D's (the latest line): D has nothing to hand out."""
    data_dir = fulfilment_data_dir(tmp_path / "data")
    write_receipts(data_dir, [dict(MOONCAKE_RECEIPT, units_received="8", units_damaged="0"),
                              receipt("GR-2", 13, supplier="S2", sku="SKU2", received_at="2026-11-22T07:40:00")])
    run_cutoff_and_goods_in(data_dir, tmp_path / "reports")
    write_scans(data_dir, [scan("D", "2026-11-22T10:00:00", point="P2"), scan("B", "2026-11-22T10:05:00", point="P2")])
    result, held, rejects, registry = ingest(data_dir)
    assert held["order_id"].to_list() == ["B"]
    assert rejects.select("source_file", "row_number", "reason", "order_id", "line_no", "ingested_by").rows() == [
        ("inbox/pickups/pickups-1.csv", 2,
         "order line D/1 has nothing to hand out (no units allocated after shortages)", "D", "1",
         "report 2026-11-21..2026-11-21")]
    assert json.loads(rejects["raw"][0]) == scan("D", "2026-11-22T10:00:00", point="P2")
    assert registry.rows() == [("inbox/pickups/pickups-1.csv", 2, 1, 1)]
    assert result.rejected == 1


def test_a_file_without_a_required_column_is_rejected_whole(data_dir):
    path = data_dir / "inbox" / "pickups" / "no-time.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("order_id,line_no\nA,1\nB,1\n", encoding="utf-8")
    result, held, rejects, _ = ingest(data_dir)
    assert held.height == 0 and result.rejected == 2
    assert rejects.select("row_number", "reason", "rows_rejected").rows() == [
        (None, "missing required column(s) picked_up_at: the whole file is rejected", 2)]
