"""The report over a range of cutoffs (transforms/fulfilment_report.py), by hand on two cutoffs: the
nightly one of 2026-11-21 (20:00 +08:00 = 12:00 UTC) and the weekly one of Sunday 2026-11-22
(Monday 00:00 +08:00 = 2026-11-22 16:00 UTC)."""

from datetime import date, datetime, time, timezone

import polars as pl
import pytest

from transforms.fulfilment import UTC
from transforms.fulfilment_report import build_fulfilment_report, report_as_of, report_totals

N, W = date(2026, 11, 21), date(2026, 11, 22)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def frame(rows: list[dict], **types) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides=types)


CUTOFFS = frame([{"calendar": "nightly", "cutoff_date": N, "run_ended_at": utc("2026-11-21T12:05:00")},
                 {"calendar": "weekly", "cutoff_date": W, "run_ended_at": utc("2026-11-22T16:30:00")}],
                run_ended_at=UTC)


def line(calendar, day, order_id, qty, point, supplier="S1", sku="K1", category="水果") -> dict:
    return {"calendar": calendar, "cutoff_date": day, "order_id": order_id, "line_no": 1, "listing_id": "L",
            "supplier_id": supplier, "sku_id": sku, "category": category, "pickup_point_id": point,
            "customer_id": f"c{order_id}", "customer_name": "顾客", "phone_tail": "0001", "qty_allocated": qty}


ALLOCATIONS = frame([line("nightly", N, "N1", 3, "P1"), line("nightly", N, "N2", 2, "P2"),
                     line("nightly", N, "N3", 5, "P1", supplier="S2", sku="K2", category="蔬菜"),
                     line("weekly", W, "W1", 4, "P2")], line_no=pl.Int64, qty_allocated=pl.Int64)
SHORTAGES = frame([{"calendar": "nightly", "cutoff_date": N, "order_id": "N3", "line_no": 1, "units_short": 1}],
                  line_no=pl.Int64, units_short=pl.Int64)
SCANS = frame([{"order_id": "N1", "line_no": 1, "picked_up_at": utc("2026-11-22T01:00:00")},   # 13 h
               {"order_id": "N1", "line_no": 1, "picked_up_at": utc("2026-11-22T00:30:00")},   # earlier: 12.5 h
               {"order_id": "N3", "line_no": 1, "picked_up_at": utc("2026-11-22T06:00:00")},   # 18 h
               {"order_id": "W1", "line_no": 1, "picked_up_at": utc("2026-11-23T04:00:00")}],  # 12 h after W
              line_no=pl.Int64, picked_up_at=UTC)
EMAILS = frame([{"calendar": "nightly", "cutoff_date": N, "sent_at": utc("2026-11-21T12:03:00")},
                {"calendar": "nightly", "cutoff_date": N, "sent_at": utc("2026-11-21T12:09:00")}], sent_at=UTC)
RECEIPTS = frame([{"calendar": "nightly", "cutoff_date": N, "received_at": utc("2026-11-21T22:15:00")}],
                 received_at=UTC)
PURCHASE = frame([
    {"calendar": "nightly", "cutoff_date": N, "supplier_id": "S1", "sku_id": "K1", "units_purchased": 6,
     "surplus_units": 1, "unit_cost_fen": 100},
    {"calendar": "nightly", "cutoff_date": N, "supplier_id": "S2", "sku_id": "K2", "units_purchased": 5,
     "surplus_units": 0, "unit_cost_fen": 250},
    {"calendar": "weekly", "cutoff_date": W, "supplier_id": "S1", "sku_id": "K1", "units_purchased": 4,
     "surplus_units": 0, "unit_cost_fen": 100}])
PAYABLES = frame([{"calendar": "nightly", "cutoff_date": N, "supplier_id": "S2", "sku_id": "K2", "units_damaged": 1,
                   "units_over": 0, "units_short": 1}])
PRODUCTS = frame([{"sku_id": "K1", "category": "水果"}, {"sku_id": "K2", "category": "蔬菜"}])


def report(now: datetime):
    return build_fulfilment_report(CUTOFFS, ALLOCATIONS, SHORTAGES, SCANS, EMAILS, RECEIPTS, PURCHASE, PAYABLES,
                                   PRODUCTS, timezone="Asia/Shanghai", nightly_at=time(20, 0), pickup_hours=48,
                                   now=now)


FINAL = utc("2026-12-01T00:00:00")


def test_the_timeline_of_each_cutoff_by_hand():
    timeline = report(FINAL).timeline
    nightly, weekly = timeline.to_dicts()
    assert nightly["cutoff"] == utc("2026-11-21T12:00:00")
    assert [nightly[f"{s}_hours"] for s in ("pos_out_first", "pos_out_last", "goods_in_first", "goods_in_last",
                                            "pickup_first", "pickup_half", "pickup_last")] == [
        0.05, 0.15, 10.25, 10.25, 12.5, 18.0, 18.0]  # half of 9 units: N1 3 (12.5 h) then N3 4 (18 h)
    assert (nightly["units_to_hand_out"], nightly["units_collected"], nightly["units_unpicked"]) == (9, 7, 2)
    assert nightly["collected_share"] == pytest.approx(7 / 9)
    # weekly: nothing emailed, so the run's end stands for the POs; no receipt
    assert weekly["cutoff"] == utc("2026-11-22T16:00:00") and weekly["pos_out_first_hours"] == 0.5
    assert weekly["goods_in_first"] is None and weekly["goods_in_first_hours"] is None
    assert (weekly["pickup_first_hours"], weekly["pickup_half_hours"], weekly["units_collected"]) == (12.0, 12.0, 4)


def test_per_pickup_point_over_the_range_least_collected_first():
    points = report(FINAL).points
    assert points.select("pickup_point_id", "units_to_hand_out", "units_collected", "units_unpicked",
                         "last_scan_at").rows() == [("P2", 6, 4, 2, utc("2026-11-23T04:00:00")),
                                                    ("P1", 7, 7, 0, utc("2026-11-22T06:00:00"))]
    assert points["collected_share"].to_list() == pytest.approx([4 / 6, 1.0])


def test_the_lines_to_chase_are_the_unpicked_ones():
    chase = report(FINAL).to_chase
    assert chase.select("pickup_point_id", "order_id", "units_to_hand_out", "deadline_at").rows() == [
        ("P2", "N2", 2, utc("2026-11-23T12:00:00"))]


def test_losses_per_supplier_and_category_by_hand():
    built = report(FINAL)
    assert built.by_supplier.select("supplier_id", "units_purchased", "surplus_units", "damaged_units",
                                    "short_units", "unpicked_units", "lost_units", "lost_fen").rows() == [
        ("S1", 10, 1, 0, 0, 2, 3, 300),       # (surplus 1 + unpicked 2) / 10 = 0.3: the worst first
        ("S2", 5, 0, 1, 1, 0, 1, 250)]        # damaged 1 / 5 = 0.2 (short is not a loss of the platform's)
    assert built.by_supplier["loss_rate"].to_list() == pytest.approx([0.3, 0.2])
    assert built.by_category.select("category", "units_purchased", "lost_units", "short_fen").rows() == [
        ("水果", 10, 3, 0), ("蔬菜", 5, 1, 250)]
    assert sorted(built.unit_losses.select("calendar", "cutoff_date", "supplier_id", "sku_id", "category").rows()) == [
        ("nightly", N, "S1", "K1", "水果"), ("nightly", N, "S2", "K2", "蔬菜"), ("weekly", W, "S1", "K1", "水果")]


def test_a_sku_without_a_product_row_counts_its_losses_under_a_dash():
    built = build_fulfilment_report(CUTOFFS, ALLOCATIONS, SHORTAGES, SCANS, EMAILS, RECEIPTS, PURCHASE, PAYABLES,
                                    PRODUCTS.filter(pl.col("sku_id") == "K1"), timezone="Asia/Shanghai",
                                    nightly_at=time(20, 0), pickup_hours=48, now=FINAL)
    assert built.by_category.select("category", "units_purchased", "lost_units").rows() == [("水果", 10, 3),
                                                                                          ("-", 5, 1)]


def test_before_the_deadline_a_line_without_a_scan_waits_and_the_report_is_not_final():
    early = report(utc("2026-11-22T12:00:00"))  # a day after the nightly cutoff
    assert early.final is False and early.as_of == utc("2026-11-22T12:00:00")
    assert early.to_chase.height == 0
    assert early.timeline.select("units_unpicked", "units_waiting").rows() == [(0, 2), (0, 0)]
    assert early.by_supplier.filter(pl.col("supplier_id") == "S1")["unpicked_units"].to_list() == [0]


@pytest.mark.parametrize("now, expected", [
    (utc("2026-11-23T00:00:00"), (utc("2026-11-23T00:00:00"), False)),
    (utc("2026-11-24T16:00:00"), (utc("2026-11-24T16:00:00"), True)),   # the weekly deadline: exactly reached
    (utc("2027-01-01T00:00:00"), (utc("2026-11-24T16:00:00"), True)),   # later: the same as at the deadline
])
def test_a_report_holds_as_of_now_or_of_the_last_deadline_once_passed(now, expected):
    deadlines = [utc("2026-11-23T12:00:00"), utc("2026-11-24T16:00:00")]
    assert report_as_of(deadlines, now) == expected


def test_the_totals_add_up_over_the_range():
    totals = report_totals(report(FINAL))
    assert (totals["cutoffs"], totals["as_of"], totals["final"]) == (2, "2026-11-24T16:00:00+00:00", True)
    assert totals["units"] == {"to_hand_out": 13, "collected": 11, "collected_late": 0, "unpicked": 2, "waiting": 0,
                               "purchased": 15, "surplus": 1, "damaged": 1, "over": 0, "short": 1, "lost": 4}
    assert totals["fen"] == {"purchased": 2250, "surplus": 100, "damaged": 250, "over": 0, "short": 250,
                             "unpicked": 200, "lost": 550}
    assert totals["loss_rate"] == pytest.approx(4 / 15) and totals["collected_share"] == pytest.approx(11 / 13)


def test_a_range_without_cutoffs_gives_empty_frames():
    empty = build_fulfilment_report(CUTOFFS.clear(), ALLOCATIONS.clear(), SHORTAGES.clear(), SCANS.clear(),
                                    EMAILS.clear(), RECEIPTS.clear(), PURCHASE.clear(), PAYABLES.clear(), PRODUCTS,
                                    timezone="Asia/Shanghai", nightly_at=time(20, 0), pickup_hours=48, now=FINAL)
    assert (empty.timeline.height, empty.points.height, empty.by_supplier.height) == (0, 0, 0)
    assert report_totals(empty)["loss_rate"] is None
    # the losses sheet of an empty range has the same columns as any other's
    assert empty.unit_losses.schema == report(FINAL).unit_losses.schema


def test_a_scan_after_the_deadline_is_collected_and_shown_late():
    late = pl.concat([SCANS, frame([{"order_id": "N2", "line_no": 1, "picked_up_at": utc("2026-11-24T00:00:00")}],
                                   line_no=pl.Int64, picked_up_at=UTC)])  # the nightly deadline: 11-23 12:00
    built = build_fulfilment_report(CUTOFFS, ALLOCATIONS, SHORTAGES, late, EMAILS, RECEIPTS, PURCHASE, PAYABLES,
                                    PRODUCTS, timezone="Asia/Shanghai", nightly_at=time(20, 0), pickup_hours=48,
                                    now=FINAL)
    assert built.timeline.select("units_collected", "units_collected_late", "units_unpicked").rows() == [
        (9, 2, 0), (4, 0, 0)]  # N2's 2 units: collected (not unpicked), late
    assert dict(built.points.select("pickup_point_id", "units_collected_late").rows()) == {"P1": 0, "P2": 2}
    assert report_totals(built)["units"]["collected_late"] == 2


def test_how_the_purchase_orders_went_out_and_how_late_the_run_was():
    cutoffs = CUTOFFS.with_columns(pl.when(pl.col("calendar") == "weekly")
                                   .then(pl.lit(utc("2026-12-18T16:00:00"))).otherwise(pl.col("run_ended_at"))
                                   .alias("run_ended_at"))  # the weekly cutoff first ran 26 days late: a backfill
    outbox = EMAILS.with_columns(pl.lit("outbox").alias("channel"))
    built = build_fulfilment_report(cutoffs, ALLOCATIONS, SHORTAGES, SCANS, outbox, RECEIPTS, PURCHASE, PAYABLES,
                                    PRODUCTS, timezone="Asia/Shanghai", nightly_at=time(20, 0), pickup_hours=48,
                                    now=FINAL)
    assert built.timeline.select("pos_out_by", "run_hours").rows() == [("outbox", 0.08), ("run_end", 624.0)]
    emailed = pl.concat([outbox, outbox.head(1).with_columns(pl.lit("smtp").alias("channel"))])
    assert report(FINAL).timeline["pos_out_by"].to_list() == ["email", "run_end"]  # rows without a channel: emailed
    assert build_fulfilment_report(cutoffs, ALLOCATIONS, SHORTAGES, SCANS, emailed, RECEIPTS, PURCHASE, PAYABLES,
                                   PRODUCTS, timezone="Asia/Shanghai", nightly_at=time(20, 0), pickup_hours=48,
                                   now=FINAL).timeline["pos_out_by"].to_list() == ["email", "run_end"]


def test_a_sundays_nightly_and_weekly_cutoffs_each_count_their_own_lines_in_date_then_calendar_order():
    sunday_nightly = frame([{"calendar": "nightly", "cutoff_date": W, "run_ended_at": utc("2026-11-22T12:05:00")}],
                           run_ended_at=UTC)
    monday = frame([{"calendar": "nightly", "cutoff_date": date(2026, 11, 23),
                     "run_ended_at": utc("2026-11-23T12:05:00")}], run_ended_at=UTC)
    cutoffs = pl.concat([monday, CUTOFFS.reverse(), sunday_nightly])   # nightly Monday, weekly W, nightly N and W
    allocations = pl.concat([ALLOCATIONS, frame([line("nightly", W, "S1", 6, "P1")], line_no=pl.Int64,
                                                qty_allocated=pl.Int64)])
    built = build_fulfilment_report(cutoffs, allocations, SHORTAGES, SCANS, EMAILS, RECEIPTS, PURCHASE, PAYABLES,
                                    PRODUCTS, timezone="Asia/Shanghai", nightly_at=time(20, 0), pickup_hours=48,
                                    now=FINAL)
    assert built.timeline.select("calendar", "cutoff_date", "units_to_hand_out").rows() == [
        ("nightly", N, 9), ("nightly", W, 6), ("weekly", W, 4), ("nightly", date(2026, 11, 23), 0)]


def test_the_cutoff_instant_and_the_pickup_deadline_follow_the_configured_nightly_time():
    built = build_fulfilment_report(CUTOFFS, ALLOCATIONS, SHORTAGES, SCANS, EMAILS, RECEIPTS, PURCHASE, PAYABLES,
                                    PRODUCTS, timezone="Asia/Shanghai", nightly_at=time(21, 0), pickup_hours=48,
                                    now=FINAL)
    assert built.timeline.select("cutoff", "deadline").rows()[0] == (utc("2026-11-21T13:00:00"),
                                                                     utc("2026-11-23T13:00:00"))


def _sunday_report(allocations: pl.DataFrame, scans: pl.DataFrame):
    """The range with Sunday's nightly cutoff too (its run ended 12:05 UTC), without receipts."""
    sunday_nightly = frame([{"calendar": "nightly", "cutoff_date": W, "run_ended_at": utc("2026-11-22T12:05:00")}],
                           run_ended_at=UTC)
    return build_fulfilment_report(pl.concat([CUTOFFS, sunday_nightly]), allocations, SHORTAGES, scans, EMAILS,
                                   RECEIPTS.clear(), PURCHASE, PAYABLES, PRODUCTS, timezone="Asia/Shanghai",
                                   nightly_at=time(20, 0), pickup_hours=48, now=FINAL)


def test_a_cutoff_with_nothing_to_hand_out_has_no_collected_share_and_one_unit_has_its_own():
    one = frame([line("nightly", W, "A1", 1, "P1")], line_no=pl.Int64, qty_allocated=pl.Int64)
    scans = pl.concat([SCANS, frame([{"order_id": "A1", "line_no": 1, "picked_up_at": utc("2026-11-23T01:00:00")}],
                                    line_no=pl.Int64, picked_up_at=UTC)])
    built = _sunday_report(pl.concat([ALLOCATIONS.filter(pl.col("calendar") == "nightly"), one]), scans)
    assert built.timeline.select("calendar", "cutoff_date", "units_to_hand_out", "collected_share").rows() == [
        ("nightly", N, 9, 7 / 9), ("nightly", W, 1, 1.0), ("weekly", W, 0, None)]
    assert built.timeline.schema["goods_in_first"] == UTC  # no receipt in the range: still instants


def test_the_lines_to_chase_by_point_then_cutoff_then_order():
    extra = frame([line("nightly", W, "A1", 1, "P1"), line("weekly", W, "A0", 2, "P1")], line_no=pl.Int64,
                  qty_allocated=pl.Int64)
    built = _sunday_report(pl.concat([extra, ALLOCATIONS]).reverse(), SCANS.clear())
    assert built.to_chase.select("pickup_point_id", "cutoff_date", "calendar", "order_id").rows() == [
        ("P1", N, "nightly", "N1"), ("P1", N, "nightly", "N3"), ("P1", W, "nightly", "A1"), ("P1", W, "weekly", "A0"),
        ("P2", N, "nightly", "N2"), ("P2", W, "weekly", "W1")]
    assert built.states.height == 6
