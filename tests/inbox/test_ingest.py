"""Ingest: every file once, three encodings and three formats, the latest version wins, bad rows
to the rejects with file, row, reason and the raw row."""

import json

import polars as pl
import pytest

from inbox.ingest import known_state, load_inbox, read_inbox, validate_inbox
from inbox.master import load_master
from tests import datasets
from tests.datasets import order
from warehouse.connection import open_warehouse


@pytest.fixture
def data_dir(tmp_path):
    return datasets.write_master(tmp_path / "data")


def ingest(data_dir, label="nightly 2026-11-21"):
    master = load_master(data_dir, "Asia/Shanghai")
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        hashes, next_seq, known_refunds = known_state(warehouse)
        inbox = validate_inbox(read_inbox(data_dir, hashes), master, "Asia/Shanghai", next_seq, known_refunds, label)
        load_inbox(warehouse, inbox)
        lines = warehouse.frame("SELECT * FROM order_lines ORDER BY order_id, line_no")
        rejects = warehouse.frame("SELECT * FROM rejects ORDER BY source_file, row_number")
    return inbox, lines, rejects


ROWS = [order("A", "cA", 2, "2026-11-21T09:00:00", name="张伟"), order("B", "cB", 1, "2026-11-21T09:01:00")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(data_dir, encoding):
    datasets.write_orders(data_dir, ROWS, encoding=encoding)
    _, lines, rejects = ingest(data_dir)
    assert lines["customer_name"].to_list() == ["张伟", "顾客"]
    assert rejects.height == 0


def test_parquet_and_jsonl(data_dir):
    frame = pl.DataFrame(ROWS)
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True)
    frame.head(1).write_parquet(folder / "a.parquet")
    (folder / "b.jsonl").write_text(json.dumps(ROWS[1], ensure_ascii=False) + "\n", encoding="utf-8")
    _, lines, _ = ingest(data_dir)
    assert lines["order_id"].to_list() == ["A", "B"]
    assert lines["source_file"].to_list() == ["inbox/orders/a.parquet", "inbox/orders/b.jsonl"]


def test_each_file_is_ingested_once_by_content(data_dir):
    datasets.write_orders(data_dir, ROWS, name="one.csv")
    first, _, _ = ingest(data_dir)
    datasets.write_orders(data_dir, ROWS, name="copy-of-one.csv")  # same content, other name
    second, lines, _ = ingest(data_dir)
    assert len(first.files) == 1 and len(second.files) == 0
    assert lines.height == 2


def test_latest_updated_at_wins_across_files(data_dir):
    datasets.write_orders(data_dir, [order("A", "cA", 2, "2026-11-21T09:00:00")], name="1.csv")
    ingest(data_dir)
    datasets.write_orders(data_dir, [order("A", "cA", 2, "2026-11-21T09:00:00", status="cancelled",
                                           updated_at="2026-11-21T10:00:00")], name="2.csv")
    datasets.write_orders(data_dir, [order("A", "cA", 5, "2026-11-21T09:00:00", updated_at="2026-11-21T09:30:00")],
                          name="3.csv")  # arrives later but is an older version
    _, lines, _ = ingest(data_dir)
    assert lines.select("status", "qty", "source_file").row(0) == ("cancelled", 2, "inbox/orders/2.csv")


def test_on_an_updated_at_tie_the_line_ingested_last_wins(data_dir):
    same = "2026-11-21T10:00:00"
    datasets.write_orders(data_dir, [order("A", "cA", 2, "2026-11-21T09:00:00", updated_at=same),
                                     order("A", "cA", 3, "2026-11-21T09:00:00", updated_at=same)])
    _, lines, _ = ingest(data_dir)
    assert lines["qty"].to_list() == [3]
    datasets.write_orders(data_dir, [order("A", "cA", 4, "2026-11-21T09:00:00", updated_at=same)], name="2.csv")
    _, lines, _ = ingest(data_dir)
    assert lines["qty"].to_list() == [4]


def test_bad_rows_are_rejected_with_file_row_reason_and_raw(data_dir):
    rows = [order("A", "cA", 2, "2026-11-21T09:00:00"),
            order("B", "cB", 0, "2026-11-21T09:00:00"),                      # qty < 1
            order("C", "cC", 1, "2026-11-21T09:00:00", listing="L404"),      # unknown listing
            order("D", "cD", 1, "not a time"),                               # bad timestamp
            order("E", "cE", 1, "2026-11-21T09:00:00", status="shipped", phone="12")]
    datasets.write_orders(data_dir, rows)
    inbox, lines, rejects = ingest(data_dir)
    assert lines["order_id"].to_list() == ["A"]
    got = {r["row_number"]: r["reason"] for r in rejects.iter_rows(named=True)}
    assert got == {
        3: "qty '0' must be >= 1",
        4: "listing_id 'L404' is not in listings.csv",
        5: "created_at: 'not a time' is not an ISO 8601 timestamp",
        6: "phone_tail '12' has a bad format; status 'shipped' must be one of 'paid', 'deposit_paid', 'cancelled', "
           "'refunded'",
    }
    assert set(rejects["source_file"]) == {"inbox/orders/orders-1.csv"}
    assert json.loads(rejects.filter(pl.col("row_number") == 3)["raw"][0])["order_id"] == "B"


def test_a_file_missing_a_required_column_is_rejected_whole(data_dir):
    path = datasets.write_orders(data_dir, ROWS)
    frame = pl.read_csv(path, infer_schema=False).drop("qty")
    path.write_text(frame.write_csv(), encoding="utf-8")
    inbox, lines, rejects = ingest(data_dir)
    assert lines.height == 0
    assert rejects.select("source_file", "row_number").row(0) == ("inbox/orders/orders-1.csv", None)
    assert "missing required column(s) qty" in rejects["reason"][0]
    assert inbox.registry["rows_rejected"].to_list() == [2]


def test_a_file_that_is_not_a_table_is_rejected_not_fatal(data_dir):
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True)
    (folder / "broken.parquet").write_bytes(b"not parquet at all")
    (folder / "notes.txt").write_text("hello")
    _, _, rejects = ingest(data_dir)
    assert sorted(rejects["source_file"]) == ["inbox/orders/broken.parquet", "inbox/orders/notes.txt"]


def test_a_file_that_arrived_cut_short_says_so_and_its_cut_row_is_never_loaded(data_dir):
    path = datasets.write_orders(data_dir, ROWS + [order("C", "cC", 3, "2026-11-21T09:02:00")])
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text[:text.rindex(",")], encoding="utf-8")  # the transfer stopped inside the last field
    folder = data_dir / "inbox" / "orders"
    pl.DataFrame(ROWS).write_parquet(folder / "whole.parquet")
    (folder / "cut.parquet").write_bytes((folder / "whole.parquet").read_bytes()[:40])
    (folder / "empty.parquet").write_bytes(b"")
    (folder / "cut.jsonl").write_text(json.dumps(ROWS[0]) + "\n" + json.dumps(ROWS[1])[:30], encoding="utf-8")
    _, lines, rejects = ingest(data_dir)
    assert lines["order_id"].to_list() == ["A", "B"]  # C never: its row was cut
    got = {(r["source_file"], r["row_number"]): r["reason"] for r in rejects.iter_rows(named=True)}
    assert got == {
        # C's row parses (its last column is optional) but is cut: it is not loaded with a missing value
        ("inbox/orders/orders-1.csv", 4): "the file is cut short: its last row (row 4) stops after 12 of 13 "
                                          "columns; export the file again",
        ("inbox/orders/cut.jsonl", None): "the file is cut short: its last line (line 2) is not complete JSON; "
                                          "export the file again",
        ("inbox/orders/cut.parquet", None): "the file is cut short: a Parquet file ends with its footer, and this "
                                            "one stops after 40 bytes without it; export the file again",
        ("inbox/orders/empty.parquet", None): "the file is cut short: a Parquet file ends with its footer, and this "
                                              "one is empty; export the file again"}


def test_refunds_ingested_once_per_refund_id(data_dir):
    refund = {"refund_id": "R1", "order_id": "A", "line_no": "1", "amount_fen": "100", "reason": "坏果",
              "created_at": "2026-11-21T21:00:00"}
    datasets.write_csv(data_dir / "inbox" / "refunds" / "r1.csv", [refund])
    # a cumulative export: R1 again (the same refund: skipped), R2 new, R1 changed (an error)
    datasets.write_csv(data_dir / "inbox" / "refunds" / "r2.csv",
                       [refund, {**refund, "refund_id": "R2"}, {**refund, "amount_fen": "900"}])
    _, _, rejects = ingest(data_dir)
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        held = warehouse.frame("SELECT refund_id, amount_fen FROM refund_requests ORDER BY refund_id").rows()
    assert held == [("R1", 100), ("R2", 100)]
    assert rejects.select("source_file", "row_number").rows() == [("inbox/refunds/r2.csv", 4)]
    assert rejects["reason"][0] == ("duplicate refund_id 'R1' with another line, amount or time: "
                                    "a refund is applied once")
    assert json.loads(rejects["raw"][0])["amount_fen"] == "900"


def test_a_deposit_paid_row_of_a_listing_without_a_deposit_is_rejected(tmp_path):
    data_dir = datasets.presale_story_data_dir(tmp_path / "data")
    datasets.write_orders(data_dir, [order("g9", "c9", 1, "2026-11-19T10:00:00", listing="GRP", status="deposit_paid"),
                                     order("r9", "p9", 1, "2026-11-17T10:00:00", listing="PRE", price=29800,
                                           status="deposit_paid")], name="orders-2.csv")
    _, lines, rejects = ingest(data_dir)
    assert "r9" in lines["order_id"].to_list() and "g9" not in lines["order_id"].to_list()
    bad = rejects.filter(pl.col("source_file") == "inbox/orders/orders-2.csv")
    assert bad.select("row_number", "reason").rows() == [
        (2, "status 'deposit_paid' but listing 'GRP' takes no deposit (no deposit_fen in listings.csv): only a "
            "deposit presale's lines are deposit_paid")]
    assert json.loads(bad["raw"][0])["order_id"] == "g9"


def test_a_deferred_inbox_reads_each_table_when_validated_and_lets_it_go_with_the_same_result(data_dir):
    """A cutoff run reads its inbox files one at a time (`defer`): the same rows, rejects and
    registry as reading them all first, and no file's table held once it is validated."""
    datasets.write_orders(data_dir, ROWS + [order("C", "cC", 0, "2026-11-21T09:02:00")], name="a.csv")
    folder = data_dir / "inbox" / "orders"
    pl.DataFrame([order("D", "cD", 1, "2026-11-21T09:03:00")]).write_parquet(folder / "b.parquet")
    (folder / "c.jsonl").write_text(json.dumps(ROWS[0]) + "\n" + json.dumps(ROWS[1])[:30], encoding="utf-8")
    (folder / "d.parquet").write_bytes(b"not parquet at all")
    master = load_master(data_dir, "Asia/Shanghai")
    results = {}
    for defer in (False, True):
        files = read_inbox(data_dir, set(), defer=defer)
        assert all(f.raw is None for f in files) == defer
        inbox = validate_inbox(files, master, "Asia/Shanghai", 1, known_state_empty(), "nightly 2026-11-21")
        assert all(f.raw is None for f in inbox.files) == defer
        results[defer] = inbox
    eager, deferred = results[False], results[True]
    assert deferred.order_lines.equals(eager.order_lines)
    assert deferred.order_lines["order_id"].to_list() == ["A", "B", "D"]
    assert deferred.rejects.equals(eager.rejects)
    assert deferred.rejects["source_file"].to_list() == ["inbox/orders/a.csv", "inbox/orders/c.jsonl",
                                                         "inbox/orders/d.parquet"]
    assert deferred.registry.drop("ingested_at").equals(eager.registry.drop("ingested_at"))
    assert deferred.registry["rows_read"].to_list() == [3, 1, 0, 0] == [f.rows for f in deferred.files]


def known_state_empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64,
                                "amount_fen": pl.Int64, "created_at": pl.Datetime("us", "UTC")})
