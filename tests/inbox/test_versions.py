"""Every version of the closing listings' lines, read from the inbox as ingest reads it."""

from pathlib import Path

import polars as pl

from inbox.master import load_master
from inbox.versions import read_order_versions
from tests import datasets
from tests.builders import at
from transforms.progress import versions_as_of


def versions(data_dir: Path, listing_ids=("L1", "L2")):
    master = load_master(data_dir, "Asia/Shanghai")
    return read_order_versions(data_dir, master, "Asia/Shanghai", list(listing_ids))


def test_every_version_of_every_file_counts_once(tmp_path):
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    # a later export: B cancelled at 12:00, in GB18030 as Excel writes it; the first file again under another name
    cancelled = dict(datasets.MOONCAKE_ORDERS[1], status="cancelled", updated_at="2026-11-21T12:00:00")
    datasets.write_orders(data_dir, [cancelled], name="orders-2.csv", encoding="gb18030")
    (data_dir / "inbox" / "orders" / "copy.csv").write_bytes((data_dir / "inbox" / "orders" / "orders-1.csv")
                                                              .read_bytes())
    read = versions(data_dir)
    assert read.files == 2 and read.rows == 7  # the copy is the same content: read once, as ingest does
    b = read.lines.filter(pl.col("order_id") == "B").sort("ingest_seq")
    assert b["status"].to_list() == ["paid", "cancelled"] and b["source_file"].to_list() == \
        ["inbox/orders/copy.csv", "inbox/orders/orders-2.csv"]  # path order: the copy's name comes first
    assert versions_as_of(read.lines, at("2026-11-21 11:00")).filter(pl.col("order_id") == "B")["status"] \
        .to_list() == ["paid"]
    assert versions_as_of(read.lines, at("2026-11-21 12:00")).filter(pl.col("order_id") == "B")["status"] \
        .to_list() == ["cancelled"]


def test_only_the_listings_asked_for_and_only_good_rows(tmp_path):
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    bad = [datasets.order("X1", "cX", "two", "2026-11-21T11:00:00"),            # qty does not parse
           datasets.order("X2", "cX", 1, "2026-11-21T11:00:00", point="P404")]  # an unknown pickup point
    datasets.write_orders(data_dir, bad, name="orders-bad.csv")
    (data_dir / "inbox" / "orders" / "notes.txt").write_text("not an export")   # rejected whole by ingest
    read = versions(data_dir, ["L1"])
    assert sorted(read.lines["order_id"]) == ["A", "B", "C", "D", "E"]  # F is L2's; X1, X2 are rejected
    assert set(read.lines.columns) >= {"order_id", "line_no", "created_at", "updated_at", "ingest_seq", "status"}
    assert read.lines["ingest_seq"].is_unique().all()


def test_an_empty_inbox(tmp_path):
    data_dir = datasets.write_master(tmp_path / "data")
    read = versions(data_dir)
    assert (read.files, read.rows, read.lines.height) == (0, 0, 0)
    assert versions_as_of(read.lines, at("2026-11-21 11:00")).height == 0


def test_files_written_before_the_listings_opened_are_not_read(tmp_path):
    """Last month's exports cost nothing: a file last written before the listings opened holds none
    of their lines. Memory holds the rows of the listings asked for, not the inbox."""
    import os
    from datetime import datetime, timezone
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    old = datasets.write_orders(data_dir, [datasets.order("OLD", "cO", 1, "2026-10-01T10:00:00")], name="old.csv")
    long_ago = datetime(2026, 10, 1, 12, tzinfo=timezone.utc).timestamp()
    os.utime(old, (long_ago, long_ago))
    master = load_master(data_dir, "Asia/Shanghai")
    read = read_order_versions(data_dir, master, "Asia/Shanghai", ["L1", "L2"],
                               opened_at=datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
    assert (read.files, read.skipped) == (1, 1) and "OLD" not in read.lines["order_id"].to_list()
    everything = read_order_versions(data_dir, master, "Asia/Shanghai", ["L1", "L2"])
    assert (everything.files, everything.skipped) == (2, 0)
