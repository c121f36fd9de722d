"""Scans: every kind of line a scanner saves, each decided with its own reason; a good code gives
its order's lines still to hand out, at the point given or the order's own."""

from __future__ import annotations

from datetime import date, datetime, timezone

import polars as pl

from transforms.pickup_codes import pickup_codes
from transforms.scans import OUTPUT_COLUMNS, decide_scans, order_tags, parse_scan_lines, read_codes

KEY = bytes(32)
DAY = date(2026, 11, 21)
TZ = "Asia/Shanghai"
FILE_TIME = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
POINTS, IDS = ["P1", "P1", "P1", "P2", "P1"], ["A", "B", "C", "D", "E"]
# (no polars query at import time: mutmut's fork server forks every mutant from the collected tests)


def orders() -> pl.DataFrame:
    return pl.DataFrame({"pickup_point_id": POINTS, "order_id": IDS})


def code(order: str) -> str:
    return dict(zip(IDS, pickup_codes(KEY, "nightly", DAY, orders()), strict=True))[order]


def decide(text: str, pickup_point: str | None = None):
    lines = pl.DataFrame({"calendar": ["nightly"] * 6, "cutoff_date": [DAY] * 6,
                          "order_id": ["A", "A", "B", "C", "D", "E"], "line_no": [1, 2, 1, 1, 1, 1],
                          "units_to_hand_out": [2, 1, 1, 0, 1, 3]})
    held = pl.DataFrame({"order_id": ["E", "B"], "line_no": [1, 9],
                         "picked_up_at": [datetime(2026, 11, 22, 1, tzinfo=timezone.utc)] * 2,
                         "source": ["inbox/pickups/x.csv", "inbox/pickups/x.csv"]})
    codes = read_codes(parse_scan_lines(text), TZ, FILE_TIME)
    tags = order_tags(KEY, "nightly", DAY, orders())
    return decide_scans(codes, tags, lines, held, pickup_point, TZ)


def test_the_lines_a_scanner_saves():
    scans = parse_scan_lines("\ufeffA1\r\n\n  B2\t2026-11-22 10:15:00\nC3,2026-11-22T10:15\nD4 x y\n")
    assert scans.rows() == [(1, "A1", None), (3, "B2", "2026-11-22 10:15:00"), (4, "C3", "2026-11-22T10:15"),
                            (5, "D4", "x y")]


def test_each_kind_of_line_gets_its_own_reason():
    text = "\n".join([code("A"), f"{code('B')} 2026-11-22 10:15:00", code("C"), code("A"), "6901234567890",
                      "PK1AAAAAAAAAAAAAAAA", f"{code('D')} tomorrow", code("E"), code("D").lower()])
    rows, rejected = decide(text)
    assert rows.columns == OUTPUT_COLUMNS
    assert rows.select("order_id", "line_no", "pickup_point_id").rows() == [
        ("A", 1, "P1"), ("A", 2, "P1"), ("B", 1, "P1"), ("D", 1, "P2")]
    assert rows["picked_up_at"].to_list()[:2] == [FILE_TIME, FILE_TIME]  # no time written: the file's
    assert rows["picked_up_at"][2] == datetime(2026, 11, 22, 2, 15, tzinfo=timezone.utc)  # business time
    reasons = dict(rejected.select("line", "reason").rows())
    assert reasons[3].startswith("nothing to hand out: every unit of order C")
    assert reasons[4] == "repeated: the same code as line 1"
    assert reasons[5] == "unknown: 6901234567890 is not a pickup code"
    assert reasons[6].startswith("forged: no order of the nightly cutoff of 2000-01-01")
    assert reasons[7] == "bad time: 'tomorrow' is not a time such as 2026-11-22 10:15:00"
    assert reasons[8] == "already scanned: order E was picked up at 2026-11-22 09:00:00 (inbox/pickups/x.csv)"
    assert set(reasons) == {3, 4, 5, 6, 7, 8}


def test_a_code_made_with_another_key_is_forged():
    other = pickup_codes(bytes(range(32)), "nightly", DAY, orders())[0]
    _, rejected = decide(other)
    assert rejected["reason"][0].startswith("forged: no order of the nightly cutoff of 2026-11-21")


def test_at_a_pickup_point_another_points_code_is_turned_down_and_the_rows_name_the_point():
    rows, rejected = decide(f"{code('A')}\n{code('D')}", pickup_point="P1")
    assert rows.select("order_id", "pickup_point_id").unique().rows() == [("A", "P1")]
    assert rejected.rows() == [(2, code("D"), "other point: order D is collected at P2, not P1")]


def test_a_file_of_other_barcodes_and_a_code_of_a_cutoff_without_orders_here_are_turned_down():
    lines = pl.DataFrame(schema={"calendar": pl.String, "cutoff_date": pl.Date, "order_id": pl.String,
                                 "line_no": pl.Int64, "units_to_hand_out": pl.Int64})
    held = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64,
                                "picked_up_at": pl.Datetime("us", "UTC"), "source": pl.String})
    barcodes = read_codes(parse_scan_lines("6901234567890\nhello"), TZ, FILE_TIME)
    no_orders = order_tags(KEY, "nightly", DAY, orders().clear())
    rows, rejected = decide_scans(barcodes, no_orders, lines, held, None, TZ)
    assert (rows.height, rejected.rows()) == (0, [(1, "6901234567890", "unknown: 6901234567890 is not a pickup code"),
                                                  (2, "hello", "unknown: hello is not a pickup code")])
    codes = read_codes(parse_scan_lines(code("A")), TZ, FILE_TIME)
    rows, rejected = decide_scans(codes, no_orders, lines, held, None, TZ)
    assert (rows.height, rejected["reason"].to_list()) == (0, [
        f"forged: no order of the nightly cutoff of 2026-11-21 in this warehouse has the code {code('A')} (made "
        "up, altered, or printed from another data dir)"])


def test_a_line_whose_units_a_shortage_took_is_not_handed_out_with_the_rest_of_its_order():
    lines = pl.DataFrame({"calendar": ["nightly"] * 3, "cutoff_date": [DAY] * 3, "order_id": ["A", "A", "A"],
                          "line_no": [1, 2, 3], "units_to_hand_out": [2, 0, 1]})
    held = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64,
                                "picked_up_at": pl.Datetime("us", "UTC"), "source": pl.String})
    codes = read_codes(parse_scan_lines(code("A")), TZ, FILE_TIME)
    rows, rejected = decide_scans(codes, order_tags(KEY, "nightly", DAY, orders()), lines, held, None, TZ)
    assert (rows.select("order_id", "line_no").rows(), rejected.height) == ([("A", 1), ("A", 3)], 0)


def test_three_lines_and_what_is_written_around_a_code():
    scans = parse_scan_lines("XY12\nC3,2026-11-22T10:15,\nA1 Xmas")
    assert scans.rows() == [(1, "XY12", None), (2, "C3", "2026-11-22T10:15"), (3, "A1", "Xmas")]


def test_the_rows_of_a_scan_are_in_the_order_of_its_lines():
    lines = pl.DataFrame({"calendar": ["nightly"] * 6, "cutoff_date": [DAY] * 6, "order_id": ["A"] * 6,
                          "line_no": [6, 5, 4, 3, 2, 1], "units_to_hand_out": [1] * 6})
    held = pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64,
                                "picked_up_at": pl.Datetime("us", "UTC"), "source": pl.String})
    codes = read_codes(parse_scan_lines(code("A")), TZ, FILE_TIME)
    rows, _ = decide_scans(codes, order_tags(KEY, "nightly", DAY, orders()), lines, held, None, TZ)
    assert rows["line_no"].to_list() == [1, 2, 3, 4, 5, 6]
