"""Which rejected rows belong to a cutoff, how many count, and the breaker (transforms/rejects.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import polars as pl
import pytest

from transforms.rejects import (
    REJECT_COLUMNS,
    merge_rejects,
    no_refund_rejects,
    over_reject_limit,
    refund_rejects,
    rejected_rows,
    select_window_rejects,
)
from transforms.windows import window_for

NIGHTLY = window_for("nightly", date(2026, 11, 21))  # (11-20 12:00 UTC, 11-21 12:00 UTC]
IN_WINDOW = datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
BEFORE = datetime(2026, 11, 20, 11, tzinfo=timezone.utc)


def reject(source_file: str, row_number: int | None, **values) -> dict:
    row = dict(source_file=source_file, row_number=row_number, reason="bad", raw="{}", kind="orders",
               file_hash="h", listing_id=None, created_at=None, ingested_by="nightly 2026-11-20",
               order_id=None, line_no=None, file_seq=1, rows_rejected=1,
               listing_known=False, corrected=False, re_exported=False)
    return {**row, **values}


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema_overrides={
        "row_number": pl.Int64, "listing_id": pl.String, "created_at": pl.Datetime("us", "UTC"),
        "order_id": pl.String, "line_no": pl.String, "file_seq": pl.Int64, "rows_rejected": pl.Int64})


def selected(rejects: pl.DataFrame, closing=("L1",)) -> list[tuple]:
    return select_window_rejects(rejects, NIGHTLY, list(closing)).select("source_file", "row_number").rows()


@pytest.mark.parametrize("row, belongs", [
    (reject("a.csv", 2, listing_id="L1", listing_known=True), True),                     # a closing listing
    (reject("a.csv", 2, listing_id="L9", listing_known=True, created_at=IN_WINDOW), False),  # another listing
    (reject("a.csv", 2, listing_id="LX", created_at=IN_WINDOW), True),                  # unknown, in the window
    (reject("a.csv", 2, listing_id="LX", created_at=BEFORE), False),                    # unknown, before it
    (reject("a.csv", 2, created_at=IN_WINDOW), True),                                    # no listing, in the window
    (reject("r.csv", 2, kind="refunds", created_at=IN_WINDOW), True),                   # a refund in the window
    (reject("r.csv", 2, kind="refunds", created_at=BEFORE), False),
    (reject("x.txt", None, ingested_by="nightly 2026-11-21"), True),                    # a whole file of this run
    (reject("x.txt", None, ingested_by="nightly 2026-11-20"), False),                   # ... of another run
    (reject("a.csv", 3, ingested_by="nightly 2026-11-21"), True),                       # no time: the run's own
    (reject("a.csv", 2, listing_id="L1", listing_known=True, corrected=True), False),   # a good version came later
    (reject("a.csv", 2, listing_id="L1", listing_known=True, re_exported=True), False),  # the file came again
    # a file that arrived cut short: in the rejects of the run that read it, whatever its row belongs to
    (reject("a.csv", 7, listing_id="L9", listing_known=True, created_at=BEFORE, ingested_by="nightly 2026-11-21",
            reason="the file is cut short: its last row (row 7) stops after 3 of 13 columns"), True),
    (reject("a.csv", 7, listing_id="L9", listing_known=True, ingested_by="nightly 2026-11-20",
            reason="the file is cut short: its last row (row 7) stops after 3 of 13 columns"), False),
])
def test_which_rejects_belong_to_the_window(row, belongs):
    assert selected(frame(row)) == ([(row["source_file"], row["row_number"])] if belongs else [])


def test_the_window_excludes_its_start_and_includes_its_end():
    start, end = NIGHTLY.start.astimezone(timezone.utc), NIGHTLY.end.astimezone(timezone.utc)
    rows = frame(reject("a.csv", 2, listing_id="LX", created_at=start),
                 reject("a.csv", 3, listing_id="LX", created_at=end),
                 reject("r.csv", 2, kind="refunds", created_at=start),
                 reject("r.csv", 3, kind="refunds", created_at=end))
    assert selected(rows) == [("a.csv", 3), ("r.csv", 3)]


def test_a_refund_reject_belongs_to_the_nightly_calendar_only():
    weekly = window_for("weekly", date(2026, 11, 22))
    row = reject("r.csv", 2, kind="refunds", created_at=datetime(2026, 11, 20, 2, tzinfo=timezone.utc))
    assert select_window_rejects(frame(row), weekly, []).height == 0


def test_window_rejects_in_file_row_reason_order_with_the_table_columns():
    rows = frame(reject("b.csv", 3, listing_id="L1", reason="z"), reject("b.csv", None, listing_id="L1"),
                 reject("a.csv", 9, listing_id="L1"), reject("b.csv", 3, listing_id="L1", reason="a"))

    result = select_window_rejects(rows, NIGHTLY, ["L1"])

    assert result.select("source_file", "row_number", "reason").rows() == [
        ("a.csv", 9, "bad"), ("b.csv", None, "bad"), ("b.csv", 3, "a"), ("b.csv", 3, "z")]
    assert not {"listing_known", "corrected", "re_exported"} & set(result.columns)


def test_no_closing_listing_selects_by_time_only():
    assert selected(frame(reject("a.csv", 2, listing_id="L1", listing_known=True)), closing=()) == []


def test_a_whole_rejected_file_counts_its_rows():
    rows = frame(reject("a.csv", 2), reject("x.txt", None, rows_rejected=40), reject("r.csv", 2, kind="refunds"),
                 reject("b.csv", 2, rows_rejected=None))
    assert rejected_rows(rows) == 1 + 40 + 1
    assert rejected_rows(rows, "refunds") == 1


@pytest.mark.parametrize("rejected, good, limit, over", [
    (5, 95, 5, False),   # exactly 5%: not over
    (6, 94, 5, True),
    (1, 0, 5, True),     # every row rejected
    (0, 0, 5, False),    # an empty window
    (1, 9, 10, False),
    (0, 100, 0, False),
    (1, 100, 0, True),
])
def test_the_breaker_trips_over_the_limit_only(rejected, good, limit, over):
    assert over_reject_limit(rejected, good, limit) is over


def test_merge_rejects_keeps_each_row_once_in_order():
    window = frame(reject("b.csv", 2), reject("a.csv", 5, rows_rejected=3))
    refunds = pl.DataFrame({"source_file": ["b.csv", "c.csv"], "row_number": [2, 1], "reason": ["bad", "x"],
                            "raw": ["{}", "{}"], "kind": ["refunds", "refunds"]})

    merged = merge_rejects(window, refunds)

    assert merged.select("source_file", "row_number", "rows_rejected").rows() == [
        ("a.csv", 5, 3), ("b.csv", 2, 1), ("c.csv", 1, 1)]
    assert merge_rejects(pl.DataFrame()).columns[:4] == REJECT_COLUMNS


def test_a_whole_file_comes_before_its_rows():
    merged = merge_rejects(frame(reject("b.csv", 3), reject("b.csv", None, rows_rejected=9), reject("a.csv", 7)))
    assert merged.select("source_file", "row_number").rows() == [("a.csv", 7), ("b.csv", None), ("b.csv", 3)]


def test_no_refund_rejects_has_the_contract_columns_and_types():
    assert no_refund_rejects().schema == {"source_file": pl.String, "row_number": pl.Int64, "reason": pl.String,
                                          "raw": pl.String}
    assert no_refund_rejects().height == 0


def test_rejected_refunds_in_file_and_row_order():
    created = datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
    decisions = pl.DataFrame({"refund_id": ["R1", "R2", "R3"], "status": ["rejected"] * 3, "reason": ["x"] * 3})
    refunds = pl.DataFrame({"refund_id": ["R1", "R2", "R3"], "order_id": ["O1"] * 3, "line_no": [1] * 3,
                            "amount_fen": [1, 2, 3], "created_at": [created] * 3, "reason": [None] * 3,
                            "source_file": ["b.csv", "a.csv", "b.csv"], "source_row": [9, 5, 2]})
    rows = refund_rejects(decisions, refunds, NIGHTLY)
    assert rows.select("source_file", "row_number").rows() == [("a.csv", 5), ("b.csv", 2), ("b.csv", 9)]
    assert rows.columns == ["source_file", "row_number", "reason", "raw", "kind", "file_hash", "listing_id",
                            "created_at", "ingested_by"]
    assert rows.schema["file_hash"] == pl.String and rows.schema["listing_id"] == pl.String


def test_a_rejected_refund_becomes_a_reject_row_with_its_raw_row():
    created = datetime(2026, 11, 21, 2, 7, 58, tzinfo=timezone.utc)
    decisions = pl.DataFrame({"refund_id": ["R1", "R2"], "status": ["rejected", "applied"],
                              "reason": ["order line O1/1 has been allocated nothing (net_fen 0)", None]})
    refunds = pl.DataFrame({"refund_id": ["R1", "R2"], "order_id": ["O1", "O2"], "line_no": [1, 1],
                            "amount_fen": [3423, 100], "created_at": [created, created], "reason": ["变质", None],
                            "source_file": ["inbox/refunds/r.csv", "inbox/refunds/r.csv"], "source_row": [42, 43]})

    rows = refund_rejects(decisions, refunds, NIGHTLY)

    assert rows.select("source_file", "row_number", "reason", "kind", "ingested_by").rows() == [
        ("inbox/refunds/r.csv", 42, "order line O1/1 has been allocated nothing (net_fen 0)", "refunds",
         "nightly 2026-11-21")]
    assert rows["raw"][0] == ('{"refund_id":"R1","order_id":"O1","line_no":"1","amount_fen":"3423",'
                              '"reason":"变质","created_at":"2026-11-21T10:07:58+08:00"}')
