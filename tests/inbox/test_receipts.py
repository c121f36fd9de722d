"""Ingest of goods-in receipts (inbox/receipts/): three encodings and three formats, each file once,
every kind of bad row to the rejects with a reason that names the problem, a receipt_id applied
once (the same row again skipped, other content rejected, a turned-down receipt corrected)."""

import json
from datetime import date

import polars as pl
import pytest

from inbox.ingest import ingest_receipts, known_state, read_inbox
from inbox.master import load_master, stored_master
from tests import datasets
from tests.datasets import MOONCAKE_RECEIPT, receipt, write_receipts
from warehouse.connection import open_warehouse

LABEL = "receive nightly 2026-11-21"


@pytest.fixture
def data_dir(tmp_path):
    data_dir = datasets.mooncake_goods_in_dir(tmp_path / "data")
    master = load_master(data_dir, "Asia/Shanghai")
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        for name, table in master.tables().items():
            warehouse.replace_table(name, table)
    return data_dir


def ingest(data_dir, label=LABEL):
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        inbox = ingest_receipts(warehouse, data_dir, stored_master(warehouse), "Asia/Shanghai", label)
        held = warehouse.frame("SELECT * FROM receipt_requests ORDER BY receipt_id")
        rejects = warehouse.frame("SELECT * FROM rejects ORDER BY source_file, row_number")
    return inbox, held, rejects


def reasons(rejects: pl.DataFrame) -> list[tuple]:
    return rejects.select("source_file", "row_number", "reason").rows()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_receipts_in_three_encodings(data_dir, encoding):
    write_receipts(data_dir, [MOONCAKE_RECEIPT], encoding=encoding)
    inbox, held, rejects = ingest(data_dir)
    assert rejects.height == 0 and [f.kind for f in inbox.files] == ["receipts"]
    row = held.row(0, named=True)
    assert (row["receipt_id"], row["calendar"], row["cutoff_date"], row["supplier_id"], row["sku_id"]) == (
        "GR-1", "nightly", date(2026, 11, 21), "S1", "SKU1")
    assert (row["units_received"], row["units_damaged"], row["note"]) == (11, 1, "1盒压损")
    assert row["received_at"].isoformat() == "2026-11-21T22:10:00+00:00"  # 06:10 in Shanghai
    assert (row["source_file"], row["source_row"]) == ("inbox/receipts/receipts-1.csv", 2)


def test_parquet_and_jsonl_receipts_and_a_default_of_no_damaged_units(data_dir):
    folder = data_dir / "inbox" / "receipts"
    folder.mkdir(parents=True)
    pl.DataFrame([receipt("GR-1", 6, 1)]).with_columns(
        pl.col("units_received", "units_damaged").cast(pl.Int64),
        pl.col("cutoff_date").str.to_date()).write_parquet(folder / "a.parquet")
    second = {k: v for k, v in receipt("GR-2", 5).items() if k != "units_damaged"}
    (folder / "b.jsonl").write_text(json.dumps(second, ensure_ascii=False) + "\n", encoding="utf-8")
    _, held, rejects = ingest(data_dir)
    assert rejects.height == 0
    assert held.select("receipt_id", "cutoff_date", "units_received", "units_damaged", "source_file").rows() == [
        ("GR-1", date(2026, 11, 21), 6, 1, "inbox/receipts/a.parquet"),
        ("GR-2", date(2026, 11, 21), 5, 0, "inbox/receipts/b.jsonl")]


def test_each_receipt_file_is_ingested_once_and_only_by_a_goods_in_run(data_dir):
    write_receipts(data_dir, [MOONCAKE_RECEIPT], name="one.csv")
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        hashes, _, _ = known_state(warehouse)
    assert {f.kind for f in read_inbox(data_dir, hashes)} == {"orders"}  # a cutoff run reads no receipts
    first, _, _ = ingest(data_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT], name="copy-of-one.csv")  # same content, another name
    second, held, _ = ingest(data_dir)
    assert len(first.files) == 1 and second.files == [] and held.height == 1


@pytest.mark.parametrize("row, reason", [
    (receipt("GR-9", 3, 5), "units_damaged 5 is more than units_received 3: damaged units are counted among the "
                            "units received"),
    (receipt("GR-9", -1), "units_received '-1' must be >= 0"),
    (receipt("GR-9", 4, -2), "units_damaged '-2' must be >= 0"),
    (receipt("GR-9", "eleven"), "units_received: 'eleven' is not a whole number"),
    (receipt("GR-9", "11.5"), "units_received: '11.5' is not a whole number"),
    (receipt("GR-9", 11, cutoff_date="21.11.2026"), "cutoff_date: '21.11.2026' is not a date (write it as "
                                                    "YYYY-MM-DD)"),
    (receipt("GR-9", 11, received_at="tomorrow 6am"), "received_at: 'tomorrow 6am' is not an ISO 8601 timestamp"),
    (receipt("GR-9", 11, calendar="daily"), "calendar 'daily' must be one of 'nightly', 'weekly'"),
    (receipt("GR-9", 11, sku="SKU404"), "sku_id 'SKU404' is not in products.csv"),
    (receipt("GR-9", 11, supplier="S404"), "supplier_id 'S404' is not in suppliers.csv"),
    (receipt("", 11), "receipt_id is required"),
])
def test_a_bad_receipt_row_is_rejected_with_what_is_wrong(data_dir, row, reason):
    write_receipts(data_dir, [MOONCAKE_RECEIPT, row])
    inbox, held, rejects = ingest(data_dir)
    assert held["receipt_id"].to_list() == ["GR-1"]  # the good row goes on
    assert reasons(rejects) == [("inbox/receipts/receipts-1.csv", 3, reason)]
    bad = rejects.row(0, named=True)
    assert (bad["kind"], bad["ingested_by"]) == ("receipts", LABEL)
    assert json.loads(bad["raw"])["receipt_id"] == row["receipt_id"]


def test_a_file_without_a_required_column_is_rejected_whole(data_dir):
    path = write_receipts(data_dir, [MOONCAKE_RECEIPT])
    path.write_text(pl.read_csv(path, infer_schema=False).drop("received_at").write_csv(), encoding="utf-8")
    _, held, rejects = ingest(data_dir)
    assert held.height == 0
    assert reasons(rejects) == [("inbox/receipts/receipts-1.csv", None,
                                 "missing required column(s) received_at: the whole file is rejected")]


def test_a_rejected_receipt_row_names_the_cutoff_it_was_for(data_dir):
    write_receipts(data_dir, [receipt("GR-9", 3, 5), receipt("GR-8", 1, cutoff_date="bad")])
    _, _, rejects = ingest(data_dir)
    assert rejects["for_run"].to_list() == ["nightly 2026-11-21", None]


def test_the_same_receipt_again_is_skipped_and_a_reused_id_with_other_content_rejected(data_dir):
    write_receipts(data_dir, [MOONCAKE_RECEIPT], name="1.csv")
    ingest(data_dir)
    again = receipt("GR-1", 12, 1, note="1盒压损")  # the id of a held receipt, one unit more
    write_receipts(data_dir, [MOONCAKE_RECEIPT, again, receipt("GR-2", 1), receipt("GR-2", 1), receipt("GR-2", 2)],
                   name="2.csv")
    _, held, rejects = ingest(data_dir)
    assert held.select("receipt_id", "units_received", "source_file").rows() == [
        ("GR-1", 11, "inbox/receipts/1.csv"), ("GR-2", 1, "inbox/receipts/2.csv")]
    assert reasons(rejects) == [
        ("inbox/receipts/2.csv", 3, "duplicate receipt_id 'GR-1' with other content (units_received differ from "
                                    "the receipt already held): a receipt is applied once; a correction of an "
                                    "applied receipt needs a new receipt_id"),
        ("inbox/receipts/2.csv", 6, "duplicate receipt_id 'GR-2' with other content (units_received differ from "
                                    "the receipt already held): a receipt is applied once; a correction of an "
                                    "applied receipt needs a new receipt_id")]


def test_a_receipt_for_no_purchase_line_of_a_run_that_ran_can_be_corrected_under_its_id(data_dir):
    """GR-1 was sent for SKU2 of S1 (S1 sells no SKU2 in that run): it holds nothing, so the
    warehouse's corrected row with the same id takes its place."""
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        warehouse.execute("INSERT INTO runs (calendar, cutoff_date, run_id, started_at, ended_at, status, message, "
                          "attempts) VALUES ('nightly', DATE '2026-11-21', 'r', now(), now(), 'success', '', 1)")
        warehouse.execute("INSERT INTO purchase_lines VALUES ('nightly', DATE '2026-11-21', 'S1', 'SKU1', 12, 4, "
                          "'up', 3, 12, 0, 20000, 240000)")
    write_receipts(data_dir, [receipt("GR-1", 11, sku="SKU2")], name="1.csv")
    ingest(data_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT], name="2.csv")
    _, held, rejects = ingest(data_dir)
    assert held.select("receipt_id", "sku_id", "source_file").rows() == [("GR-1", "SKU1", "inbox/receipts/2.csv")]
    assert rejects.height == 0
    write_receipts(data_dir, [receipt("GR-1", 11, sku="SKU2", note="again")], name="3.csv")  # GR-1 is held now
    _, held, rejects = ingest(data_dir)
    assert held["sku_id"].to_list() == ["SKU1"]
    assert reasons(rejects) == [("inbox/receipts/3.csv", 2, "duplicate receipt_id 'GR-1' with other content (sku_id, "
                                                            "units_damaged, note differ from the receipt already "
                                                            "held): a receipt is applied once; a correction of an "
                                                            "applied receipt needs a new receipt_id")]
