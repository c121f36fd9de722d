from datetime import datetime, timedelta, timezone

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from schemas import orders
from tests.builders import NIGHTLY
from transforms.staging import latest_versions, missing_columns, parse_columns


def parse(values: list[str | None], kind: str) -> list:
    from schemas.columns import ColumnSpec
    raw = pl.DataFrame({"_row": list(range(2, 2 + len(values))), "v": values},
                       schema={"_row": pl.Int64, "v": pl.String})
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
    raw = pl.DataFrame({"_row": [2], "order_id": ["O1"], "extra": ["x"], "qty": ["2"]},
                       schema_overrides={"_row": pl.Int64})
    typed = parse_columns(raw, orders.COLUMNS, "Asia/Shanghai")
    assert "extra" not in typed.columns and typed["qty"][0] == 2 and typed["customer_name"][0] is None


def test_latest_version_wins_then_last_ingested():
    t1, t2 = datetime(2026, 11, 21, 1, tzinfo=timezone.utc), datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
    frame = pl.DataFrame({
        "order_id": ["A", "A", "B", "B"], "line_no": [1, 1, 1, 1],
        "updated_at": [t2, t1, t1, t1], "ingest_seq": [1, 2, 3, 4],
        "status": ["cancelled", "paid", "paid", "refunded"]})
    current = latest_versions(frame, ["order_id", "line_no"], ["updated_at", "ingest_seq"]).sort("order_id")
    assert current["status"].to_list() == ["cancelled", "refunded"]


# -- offsets at the cutoff's edge (issue 17): a minute off puts an order on the wrong side ----------

CUTOFF_UTC = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)  # 2026-11-21 20:00 Asia/Shanghai


@pytest.mark.parametrize("text, utc", [
    ("2026-11-21T17:30:00+05:30", CUTOFF_UTC),                        # India: the cutoff instant exactly
    ("2026-11-21T17:30:00+0530", CUTOFF_UTC),
    ("2026-11-21 17:30:00.001+05:30", CUTOFF_UTC + timedelta(milliseconds=1)),
    ("2026-11-21T17:29:59.999+0530", CUTOFF_UTC - timedelta(milliseconds=1)),
    ("2026-11-21T17:45:00+05:45", CUTOFF_UTC),                        # Nepal
    ("2026-11-21T08:30:00-03:30", CUTOFF_UTC),                        # Newfoundland: a negative half hour
    ("2026-11-21T08:30:00-0330", CUTOFF_UTC),
    ("2026-11-21T20:00:00+08", CUTOFF_UTC),
    ("2026-11-21T12:00:00.000001Z", CUTOFF_UTC + timedelta(microseconds=1)),
    ("2026-11-21T21:00+09:00", CUTOFF_UTC),                           # minutes only, with an offset
])
def test_offsets_with_minutes_are_exact_at_the_cutoff(text, utc):
    row = parse([text], "ts")[0]
    assert (row["v"], row["_parse_error"]) == (utc, None)
    assert NIGHTLY.contains(row["v"]) is (row["v"] <= CUTOFF_UTC)


def test_a_naive_timestamp_is_local_time_in_the_zone_given():
    from schemas.columns import ColumnSpec
    raw = pl.DataFrame({"v": ["2026-11-21T20:00:00", "2026-11-21 20:00", "2026-11-21"]})
    typed = parse_columns(raw, {"v": ColumnSpec("ts")}, "America/Los_Angeles")  # PST, UTC-8
    assert typed["v"].to_list() == [datetime(2026, 11, 22, 4, 0, tzinfo=timezone.utc)] * 2 + [
        datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)]


def test_a_local_time_that_does_not_exist_is_named_not_guessed():
    from schemas.columns import ColumnSpec
    raw = pl.DataFrame({"v": ["2026-03-08T02:30:00", "2026-11-01T01:30:00"]})  # spring gap; autumn repeat
    typed = parse_columns(raw, {"v": ColumnSpec("ts")}, "America/Los_Angeles")
    assert typed["v"][0] is None
    assert typed["_parse_error"][0] == "v: '2026-03-08T02:30:00' is not an ISO 8601 timestamp"
    assert typed["v"][1] == datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)  # the earlier of the two (PDT)


@pytest.mark.parametrize("text, value", [("+5", 5), ("-3", -3), ("007", 7), ("12.000", 12), ("-4.0", -4)])
def test_integer_spellings(text, value):
    row = parse([text], "int")[0]
    assert (row["v"], row["_parse_error"]) == (value, None)


def test_several_problems_of_a_row_are_all_named_and_defaults_fill_blanks():
    from schemas.columns import ColumnSpec
    raw = pl.DataFrame({"_row": [2, 3], "qty": ["x", ""], "at": ["soon", "2026-11-21T20:00"], "note": [" hi ", ""]},
                       schema_overrides={"_row": pl.Int64})
    specs = {"qty": ColumnSpec("int", default=1), "at": ColumnSpec("ts"), "note": ColumnSpec("str")}
    typed = parse_columns(raw, specs, "Asia/Shanghai")
    assert typed.columns == ["_row", "qty", "at", "note", "_parse_error"]
    assert typed.rows() == [
        (2, 1, None, "hi", "qty: 'x' is not a whole number; at: 'soon' is not an ISO 8601 timestamp"),
        (3, 1, CUTOFF_UTC, None, None)]


def test_a_file_without_row_numbers_parses_too():
    from schemas.columns import ColumnSpec
    typed = parse_columns(pl.DataFrame({"qty": ["3"]}), {"qty": ColumnSpec("int")}, "Asia/Shanghai")
    assert typed.rows() == [(3, None)]


def test_missing_columns_are_the_required_ones_a_file_lacks():
    from schemas.columns import ColumnSpec, optional, required
    specs = {"order_id": required(), "qty": required("int"), "note": optional(), "spare": ColumnSpec()}
    assert missing_columns(pl.DataFrame({"order_id": ["A"], "note": ["x"]}), specs) == ["qty"]
    assert missing_columns(pl.DataFrame({"order_id": ["A"], "qty": ["1"]}), specs) == []


def test_only_keys_with_several_versions_are_chosen_among():
    t1, t2 = datetime(2026, 11, 21, 1, tzinfo=timezone.utc), datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
    frame = pl.DataFrame({
        "order_id": ["A", "A", "A", "B", "C"], "line_no": [1, 2, 1, 1, 1],
        "updated_at": [t1, t1, t1, t2, t1], "ingest_seq": [1, 2, 3, 4, 5],
        "status": ["paid", "paid", "cancelled", "paid", "paid"]})
    current = latest_versions(frame, ["order_id", "line_no"], ["updated_at", "ingest_seq"])
    assert current.sort("order_id", "line_no").select("order_id", "line_no", "ingest_seq", "status").rows() == [
        ("A", 1, 3, "cancelled"), ("A", 2, 2, "paid"), ("B", 1, 4, "paid"), ("C", 1, 5, "paid")]
    assert_frame_equal(latest_versions(frame.slice(3), ["order_id", "line_no"], ["updated_at"]), frame.slice(3))


@pytest.mark.parametrize("text", ["2026-11-21T20:00:00XXXX", "2026-11-21T20:00:00 +08:00 CST", "2026-11-21T20:00:00+8"])
def test_a_timestamp_with_junk_after_it_is_rejected(text):
    row = parse([text], "ts")[0]
    assert (row["v"], row["_parse_error"]) == (None, f"v: '{text}' is not an ISO 8601 timestamp")


@pytest.mark.parametrize("text", ["2026-11-01 01:30:00", "2026-11-01T01:30", "2026-11-01 01:30:00.5"])
def test_an_ambiguous_local_time_in_another_spelling_is_the_earlier_instant(text):
    from schemas.columns import ColumnSpec
    typed = parse_columns(pl.DataFrame({"v": [text]}), {"v": ColumnSpec("ts")}, "America/Los_Angeles")
    assert typed["v"][0].replace(microsecond=0) == datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)  # 01:30 PDT
    assert typed["_parse_error"][0] is None
