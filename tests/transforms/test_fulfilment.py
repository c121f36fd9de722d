"""The rulebook's "Pickups, the fulfilment timeline and losses" on a small hand-computed cutoff.

nightly 2026-11-21 (cutoff 20:00 Shanghai), 48 pickup hours: deadline 2026-11-23 20:00.
| line | point | supplier/SKU | allocated | short | to hand out | earliest scan          |
| O1   | P1    | S1/SKU1      | 3         |       | 3           | 11-22 09:00 (and 10:00) |
| O2   | P1    | S1/SKU1      | 2         | 2     | 0           |                        |
| O3   | P2    | S2/SKU2      | 4         | 1     | 3           | 11-22 08:00            |
| O4   | P2    | S1/SKU1      | 1         |       | 1           | none                   |
| O5   | P1    | S2/SKU2      | 2         |       | 2           | 11-22 18:30            |
| O6   | P2    | S2/SKU2      | 0 (cut)   |       | 0           |                        |
9 units to hand out; half (4.5) is reached by O1's scan at 09:00 (3 + 3 = 6).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.builders import NIGHTLY, at
from transforms.fulfilment import (
    cutoff_timeline,
    earliest_scans,
    pickup_deadline,
    pickup_point_progress,
    pickup_states,
    reject_pickups,
    total_losses,
    unit_losses,
    units_to_hand_out,
)

UTC = pl.Datetime("us", "UTC")
DEADLINE = pickup_deadline(NIGHTLY.end, 48)
BEFORE_DEADLINE, AFTER_DEADLINE = at("2026-11-22 21:00"), at("2026-11-24 00:00")


def allocations() -> pl.DataFrame:
    rows = [("O1", "P1", "S1", "SKU1", 3), ("O2", "P1", "S1", "SKU1", 2), ("O3", "P2", "S2", "SKU2", 4),
            ("O4", "P2", "S1", "SKU1", 1), ("O5", "P1", "S2", "SKU2", 2), ("O6", "P2", "S2", "SKU2", 0)]
    return pl.DataFrame([dict(order_id=o, line_no=1, pickup_point_id=p, supplier_id=s, sku_id=k, qty_allocated=q)
                         for o, p, s, k, q in rows], schema_overrides={"line_no": pl.Int64, "qty_allocated": pl.Int64})


def shortages() -> pl.DataFrame:
    return pl.DataFrame({"order_id": ["O2", "O3"], "line_no": [1, 1], "units_short": [2, 1]})


def scans() -> pl.DataFrame:
    rows = [("O1", "2026-11-22 10:00"), ("O3", "2026-11-22 08:00"), ("O1", "2026-11-22 09:00"),
            ("O5", "2026-11-22 18:30")]
    return pl.DataFrame({"order_id": [o for o, _ in rows], "line_no": [1] * len(rows),
                         "picked_up_at": [at(t) for _, t in rows]}).with_columns(pl.col("picked_up_at").cast(UTC))


def states(as_of: datetime) -> pl.DataFrame:
    return pickup_states(units_to_hand_out(allocations(), shortages()), earliest_scans(scans()), DEADLINE, as_of)


def test_the_deadline_is_the_cutoff_instant_plus_the_pickup_hours():
    assert DEADLINE == at("2026-11-23 20:00")
    assert pickup_deadline(NIGHTLY.end, 72) == at("2026-11-24 20:00")


def test_units_to_hand_out_are_the_allocated_units_minus_shortage_units():
    lines = units_to_hand_out(allocations(), shortages()).sort("order_id")
    assert lines.select("order_id", "units_to_hand_out").rows() == [("O1", 3), ("O3", 3), ("O4", 1), ("O5", 2)]


def test_the_earliest_scan_of_a_line_counts():
    assert earliest_scans(scans()).filter(pl.col("order_id") == "O1")["picked_up_at"].item() == at("2026-11-22 09:00")


@pytest.mark.parametrize("as_of, o4_state", [(BEFORE_DEADLINE, "waiting"), (at("2026-11-23 19:59:59"), "waiting"),
                                             (at("2026-11-23 20:00"), "unpicked"), (AFTER_DEADLINE, "unpicked")])
def test_a_line_without_a_scan_waits_until_the_deadline_then_is_unpicked(as_of, o4_state):
    by_order = dict(states(as_of).select("order_id", "pickup_state").iter_rows())
    assert by_order == {"O1": "picked_up", "O3": "picked_up", "O4": o4_state, "O5": "picked_up"}


def test_a_scan_after_the_deadline_still_counts_as_picked_up():
    late = pl.DataFrame({"order_id": ["O4"], "line_no": [1], "picked_up_at": [at("2026-11-24 09:00")]}).with_columns(
        pl.col("picked_up_at").cast(UTC))
    got = pickup_states(units_to_hand_out(allocations(), shortages()), earliest_scans(late), DEADLINE, AFTER_DEADLINE)
    assert got.filter(pl.col("order_id") == "O4")["pickup_state"].item() == "picked_up"


def test_the_timeline_of_the_cutoff_by_hand():
    emails = pl.Series([at("2026-11-21 20:05:30"), at("2026-11-21 20:03:00")]).cast(UTC)
    received = pl.Series([at("2026-11-22 06:40"), at("2026-11-22 05:10")]).cast(UTC)
    timeline = cutoff_timeline(NIGHTLY.end, emails, at("2026-11-21 20:06"), received, states(BEFORE_DEADLINE))
    assert timeline["cutoff"] == at("2026-11-21 20:00") and timeline["cutoff_hours"] == 0
    assert (timeline["pos_out_first"], timeline["pos_out_last"]) == (at("2026-11-21 20:03"), at("2026-11-21 20:05:30"))
    assert (timeline["pos_out_first_hours"], timeline["pos_out_last_hours"]) == (0.05, 0.09)
    assert (timeline["goods_in_first"], timeline["goods_in_last"]) == (at("2026-11-22 05:10"), at("2026-11-22 06:40"))
    assert (timeline["goods_in_first_hours"], timeline["goods_in_last_hours"]) == (9.17, 10.67)
    assert (timeline["pickup_first"], timeline["pickup_half"], timeline["pickup_last"]) == (
        at("2026-11-22 08:00"), at("2026-11-22 09:00"), at("2026-11-22 18:30"))
    assert (timeline["pickup_first_hours"], timeline["pickup_half_hours"], timeline["pickup_last_hours"]) == (
        12.0, 13.0, 22.5)


def test_without_emails_the_runs_end_stands_for_the_purchase_orders_and_missing_steps_are_empty():
    nothing = pl.Series([], dtype=UTC)
    no_scans = states(BEFORE_DEADLINE).with_columns(pl.lit(None, UTC).alias("picked_up_at"))
    timeline = cutoff_timeline(NIGHTLY.end, nothing, at("2026-11-21 20:12"), nothing, no_scans)
    assert timeline["pos_out_first"] == timeline["pos_out_last"] == at("2026-11-21 20:12")
    assert timeline["pos_out_first_hours"] == 0.2
    assert [timeline[k] for k in ("goods_in_first", "goods_in_last", "pickup_first", "pickup_half", "pickup_last",
                                  "pickup_half_hours")] == [None] * 6


def test_half_is_not_reached_while_fewer_than_half_the_units_are_collected():
    only_o5 = pl.DataFrame({"order_id": ["O5"], "line_no": [1], "picked_up_at": [at("2026-11-22 18:30")]}).with_columns(
        pl.col("picked_up_at").cast(UTC))  # 2 of 9 units
    got = pickup_states(units_to_hand_out(allocations(), shortages()), only_o5, DEADLINE, BEFORE_DEADLINE)
    timeline = cutoff_timeline(NIGHTLY.end, pl.Series([], dtype=UTC), None, pl.Series([], dtype=UTC), got)
    assert timeline["pickup_first"] == timeline["pickup_last"] == at("2026-11-22 18:30")
    assert timeline["pickup_half"] is None


def test_half_is_reached_by_the_scan_that_collects_exactly_half_of_the_units():
    lines = pl.DataFrame({"order_id": ["A", "B"], "line_no": [1, 1], "units_to_hand_out": [2, 2]})
    scanned = pl.DataFrame({"order_id": ["A", "B"], "line_no": [1, 1],
                            "picked_up_at": [at("2026-11-22 08:00"), at("2026-11-22 11:00")]}).with_columns(
        pl.col("picked_up_at").cast(UTC))
    got = pickup_states(lines, scanned, DEADLINE, BEFORE_DEADLINE)
    timeline = cutoff_timeline(NIGHTLY.end, pl.Series([], dtype=UTC), None, pl.Series([], dtype=UTC), got)
    assert timeline["pickup_half"] == at("2026-11-22 08:00")  # 2 of 4 units: half


def test_per_pickup_point_progress_least_collected_first():
    progress = pickup_point_progress(states(AFTER_DEADLINE))
    expected = pl.DataFrame({
        "pickup_point_id": ["P2", "P1"], "units_to_hand_out": [4, 5], "units_collected": [3, 5],
        "units_unpicked": [1, 0], "units_waiting": [0, 0],
        "last_scan_at": [at("2026-11-22 08:00"), at("2026-11-22 18:30")], "collected_share": [0.75, 1.0]},
        schema_overrides={"last_scan_at": UTC, **{c: pl.Int64 for c in ("units_to_hand_out", "units_collected",
                                                                          "units_unpicked", "units_waiting")}})
    assert_frame_equal(progress, expected)
    waiting = pickup_point_progress(states(BEFORE_DEADLINE)).filter(pl.col("pickup_point_id") == "P2")
    assert (waiting["units_unpicked"].item(), waiting["units_waiting"].item()) == (0, 1)


def test_points_that_collected_the_same_share_come_by_id():
    points = ["P6", "P3", "P5", "P1", "P4", "P2"]
    rows = pl.DataFrame({"pickup_point_id": points * 2, "units_to_hand_out": [1] * 12,
                         "pickup_state": ["picked_up"] * 6 + ["unpicked", "picked_up"] * 3,
                         "picked_up_at": [at("2026-11-22 09:00")] * 12}).with_columns(pl.col("picked_up_at").cast(UTC))
    progress = pickup_point_progress(rows)   # P6, P5, P4: 1 of 2 collected; P3, P1, P2: 2 of 2
    assert progress.select("pickup_point_id", "collected_share").rows() == [
        ("P4", 0.5), ("P5", 0.5), ("P6", 0.5), ("P1", 1.0), ("P2", 1.0), ("P3", 1.0)]


def test_scans_of_unknown_lines_and_of_lines_with_nothing_to_hand_out_are_rejected():
    incoming = pl.DataFrame({"order_id": ["O1", "O2", "O6", "X9"], "line_no": [1, 1, 1, 1]})
    good, bad = reject_pickups(incoming, allocations().select("order_id", "line_no"),
                               units_to_hand_out(allocations(), shortages()))
    assert good["order_id"].to_list() == ["O1"]
    assert good.columns == ["order_id", "line_no"] and bad.columns == ["order_id", "line_no", "reason"]
    assert bad.select("order_id", "reason").rows() == [
        ("O2", "order line O2/1 has nothing to hand out (no units allocated after shortages)"),
        ("O6", "order line O6/1 has nothing to hand out (no units allocated after shortages)"),
        ("X9", "order line X9/1 is unknown: no such order line")]


def purchase_lines() -> pl.DataFrame:
    return pl.DataFrame({"supplier_id": ["S1", "S2"], "sku_id": ["SKU1", "SKU2"], "units_purchased": [8, 6],
                         "surplus_units": [2, 0], "unit_cost_fen": [1000, 500]})


def payables() -> pl.DataFrame:
    return pl.DataFrame({"supplier_id": ["S1", "S2"], "sku_id": ["SKU1", "SKU2"], "units_damaged": [1, 0],
                         "units_over": [0, 1], "units_short": [2, 1]})


def test_losses_per_supplier_in_units_and_fen_worst_first():
    losses = total_losses(unit_losses(purchase_lines(), payables(), states(AFTER_DEADLINE)), "supplier_id")
    s1, s2 = losses.row(0, named=True), losses.row(1, named=True)
    assert (s1["supplier_id"], s2["supplier_id"]) == ("S1", "S2")
    assert [s1[f"{k}_units"] for k in ("surplus", "damaged", "over", "short", "unpicked")] == [2, 1, 0, 2, 1]
    assert [s1[f"{k}_fen"] for k in ("surplus", "damaged", "over", "short", "unpicked")] == [2000, 1000, 0, 2000, 1000]
    assert (s1["units_purchased"], s1["purchased_fen"], s1["lost_units"], s1["lost_fen"], s1["loss_rate"]) == (
        8, 8000, 4, 4000, 0.5)
    assert [s2[f"{k}_units"] for k in ("surplus", "damaged", "over", "short", "unpicked")] == [0, 0, 1, 1, 0]
    assert (s2["over_fen"], s2["short_fen"], s2["lost_units"], s2["loss_rate"]) == (500, 500, 0, 0.0)


def test_a_waiting_line_is_no_loss_yet_and_undecided_goods_in_counts_nothing():
    rows = unit_losses(purchase_lines(), payables().filter(pl.col("supplier_id") == "S2"), states(BEFORE_DEADLINE))
    assert rows.filter(pl.col("supplier_id") == "S1").select(
        "damaged_units", "over_units", "short_units", "unpicked_units").row(0) == (0, 0, 0, 0)  # 0, not blank
    s1 = total_losses(rows, "supplier_id").filter(pl.col("supplier_id") == "S1").row(0, named=True)
    assert [s1[f"{k}_units"] for k in ("surplus", "damaged", "over", "short", "unpicked")] == [2, 0, 0, 0, 0]
    assert s1["loss_rate"] == 0.25


def test_losses_per_category_add_up_over_cutoffs_and_suppliers():
    day1 = unit_losses(purchase_lines(), payables(), states(AFTER_DEADLINE))
    day2 = unit_losses(purchase_lines().with_columns(pl.lit(3).alias("surplus_units")), payables(),
                       states(BEFORE_DEADLINE))
    rows = pl.concat([day1, day2]).with_columns(pl.lit("水果").alias("category"))
    fruit = total_losses(rows, "category").row(0, named=True)
    assert (fruit["units_purchased"], fruit["surplus_units"], fruit["damaged_units"], fruit["unpicked_units"]) == (
        28, 2 + 3 + 3, 2, 1)
    assert fruit["surplus_fen"] == 2000 + 3000 + 1500 and fruit["lost_units"] == 11
    assert fruit["loss_rate"] == 11 / 28


def test_how_the_purchase_orders_went_out_from_the_channels_of_their_emails():
    from transforms.fulfilment import EMAILED, OUTBOX_ONLY, RUN_END, purchase_orders_out_by
    assert purchase_orders_out_by(pl.Series(["outbox", "smtp"])) == EMAILED
    assert purchase_orders_out_by(pl.Series(["outbox", "api"])) == EMAILED  # a supplier's system took it
    assert purchase_orders_out_by(pl.Series(["outbox", None])) == OUTBOX_ONLY
    assert purchase_orders_out_by(pl.Series([], dtype=pl.String)) == RUN_END


def test_a_line_collected_after_its_deadline_is_collected_late():
    from transforms.fulfilment import late_pickups
    deadline = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    states = pl.DataFrame({
        "pickup_point_id": ["P1", "P1", "P2", "P2"], "units_to_hand_out": [2, 3, 4, 5],
        "pickup_state": ["picked_up", "picked_up", "picked_up", "unpicked"],
        "picked_up_at": [deadline, deadline + timedelta(seconds=1), deadline - timedelta(hours=1), None],
        "deadline_at": [deadline] * 4}, schema_overrides={"picked_up_at": UTC, "deadline_at": UTC})
    assert dict(late_pickups(states, ["pickup_point_id"]).sort("pickup_point_id").rows()) == {"P1": 3, "P2": 0}


def test_losses_at_one_rate_come_most_fen_first_then_by_supplier():
    rows = pl.DataFrame({"supplier_id": ["S3", "S2", "S1"], "sku_id": ["K3", "K2", "K1"], "units_purchased": [2] * 3,
                         "surplus_units": [1] * 3, "unit_cost_fen": [1000, 3000, 3000], "damaged_units": [0] * 3,
                         "over_units": [0] * 3, "short_units": [0] * 3, "unpicked_units": [0] * 3})
    assert total_losses(rows, "supplier_id").select("supplier_id", "loss_rate", "lost_fen").rows() == [
        ("S1", 0.5, 3000), ("S2", 0.5, 3000), ("S3", 0.5, 1000)]
