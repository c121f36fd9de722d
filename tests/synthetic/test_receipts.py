"""Synthetic goods-in receipts (synthetic/receipts.py): they answer exactly the purchase lines the
cutoff makes, most suppliers exact, some short or damaged, one not yet arrived; seeded."""

from __future__ import annotations

from datetime import date, time

import polars as pl

from schemas.receipts import COLUMNS
from synthetic.dataset import generate_dataset
from synthetic.receipts import expected_purchase_lines, make_receipts
from transforms.goods_in import decide_purchase_lines

DAY = date(2026, 11, 21)


def test_generated_receipts_answer_the_cutoffs_purchase_lines_with_every_status(tmp_path):
    counts = generate_dataset(tmp_path, 3_000, DAY, seed=5)
    path = tmp_path / "inbox" / "receipts" / f"receipts-{DAY}.csv"
    assert f"inbox/receipts/receipts-{DAY}.csv" in counts["files"]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    receipts = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    assert receipts.height == counts["receipts"] and set(receipts.columns) == set(COLUMNS)
    assert receipts["receipt_id"].is_unique().all()
    assert set(receipts["received_at"].str.slice(0, 10)) == {"2026-11-22"}
    lines = expected_purchase_lines(tmp_path, DAY, "Asia/Shanghai", time(20, 0))
    typed = receipts.with_columns(pl.col("units_received", "units_damaged").cast(pl.Int64))
    assert typed.join(lines, on=["supplier_id", "sku_id"], how="anti").height == 0  # no receipt for nothing
    payables = decide_purchase_lines(lines, typed)
    statuses = payables.group_by("supplier_id").agg(pl.col("status").unique())
    assert set(payables["status"]) == {"complete", "short", "pending"}
    pending = statuses.filter(pl.col("status").list.contains("pending"))
    assert pending.height == 1 and pending["status"][0].to_list() == ["pending"]  # one supplier did not come
    assert payables.filter(pl.col("status") == "complete").height > payables.height * 0.6


def test_receipts_are_seeded():
    lines = pl.DataFrame({"supplier_id": ["S1", "S1", "S2", "S3"], "sku_id": ["A", "B", "C", "D"],
                          "units_purchased": [10, 300, 4, 6], "surplus_units": [0, 2, 0, 1]})
    first = make_receipts(lines, DAY, 7)
    assert first.equals(make_receipts(lines, DAY, 7))
    assert first["supplier_id"].n_unique() == 2  # one of the three has not arrived
    split = first.filter(pl.col("sku_id") == "B")
    assert split.height in (0, 2)  # 300 units come in two deliveries (unless S1 is the one not arrived)


def test_receipts_can_be_left_out_for_speed(tmp_path):
    counts = generate_dataset(tmp_path, 500, DAY, seed=5, receipts=False)
    assert "receipts" not in counts and not (tmp_path / "inbox" / "receipts").exists()
    assert not [f for f in counts["files"] if f.startswith("inbox/receipts/")]
