from datetime import datetime, timezone

import polars as pl
import pytest

from schemas import orders
from transforms.staging import latest_versions, parse_columns


def parse(values: list[str | None], kind: str) -> list:
    from schemas.columns import ColumnSpec
    raw = pl.DataFrame({"_row": list(range(2, 2 + len(values))), "v": values}, schema={"_row": pl.Int64, "v": pl.String})
    return parse_columns(raw, {"v": ColumnSpec(kind)}, "Asia/Shanghai").to_dicts()


@pytest.mark.parametrize("text, utc", [
    ("2026-11-21T20:00:00", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),        # naive = Shanghai
    ("2026-11-21 20:00:00", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
    ("2026-11-21T20:00", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
    ("2026-11-21T20:00:00+08:00", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
    ("2026-11-21T12:00:00Z", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
    ("2026-11-21T07:00:00-05:00", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
    ("2026-11-21T20:00:00.250", datetime(2026, 11, 21, 12, 0, 0, 250000, tzinfo=timezone.utc)),
    ("2026-11-21", datetime(2026, 11, 20, 16, 0, tzinfo=timezone.utc)),                  # a date: local midnight
    ("2026-11-21 20:00:00+0800", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
    ("2026-11-21T20:00+08", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)),
])
def test_timestamps_are_instants_and_naive_means_shanghai(text, utc):
    row = parse([text], "ts")[0]
    assert row["v"] == utc and row["_parse_error"] is None


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00", "21/11/2026 20:00"])
def test_a_bad_timestamp_is_named(text):
    row = parse([text], "ts")[0]
    assert row["v"] is None
    assert row["_parse_error"] == f"v: '{text}' is not an ISO 8601 timestamp"


def test_integers_parse_and_blanks_are_absent():
    rows = parse(["12", " 7 ", "3.0", "", None, "1.5", "x"], "int")
    assert [r["v"] for r in rows] == [12, 7, 3, None, None, None, None]
    assert [r["_parse_error"] for r in rows][-2:] == ["v: '1.5' is not a whole number", "v: 'x' is not a whole number"]


def test_order_defaults_and_unknown_columns_dropped():
    raw = pl.DataFrame({"_row": [2], "order_id": ["O1"], "extra": ["x"], "qty": ["2"]}, schema_overrides={"_row": pl.Int64})
    typed = parse_columns(raw, orders.COLUMNS, "Asia/Shanghai")
    assert "extra" not in typed.columns and typed["qty"][0] == 2 and typed["customer_name"][0] is None


def test_latest_version_wins_then_last_ingested():
    t1, t2 = datetime(2026, 11, 21, 1, tzinfo=timezone.utc), datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
    frame = pl.DataFrame({
        "order_id": ["A", "A", "B", "B"], "line_no": [1, 1, 1, 1],
        "updated_at": [t2, t1, t1, t1], "ingest_seq": [1, 2, 3, 4], "status": ["cancelled", "paid", "paid", "refunded"]})
    current = latest_versions(frame, ["order_id", "line_no"], ["updated_at", "ingest_seq"]).sort("order_id")
    assert current["status"].to_list() == ["cancelled", "refunded"]
