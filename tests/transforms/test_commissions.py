"""Commissions (rulebook "Commissions" and "After-sales refunds and clawback"): accruals, refund
checks, clawbacks. Hand-built frames, one behaviour per test."""

from __future__ import annotations

from datetime import date, timedelta, timezone
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from schemas.commission_ledger import CommissionLedger
from transforms.commissions import (
    LEDGER_COLUMNS,
    accrue_commissions,
    beneficiary_names,
    claw_back_commissions,
    clawed_back,
    commission_totals,
    decide_refunds,
    effective_accruals,
    latest_allocations,
    total_by_beneficiary,
)
from transforms.windows import window_for

NIGHTLY = window_for("nightly", date(2026, 11, 21))
NEXT_NIGHT = window_for("nightly", date(2026, 11, 22))
UTC = pl.Datetime("us", "UTC")


def allocation(order_id="A", net_fen=30800, listing="L1", point="P1", distributor=None, category="烘焙",
               line_no=1) -> dict:
    return {"order_id": order_id, "line_no": line_no, "listing_id": listing, "category": category,
            "pickup_point_id": point, "distributor_id": distributor, "net_fen": net_fen}


def allocations(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={"order_id": pl.String, "line_no": pl.Int64, "listing_id": pl.String,
                                            "category": pl.String, "pickup_point_id": pl.String,
                                            "distributor_id": pl.String, "net_fen": pl.Int64})


def master(dist_l1_bp=1500, dist_l2_bp=500, point_bp=None, category_bp=1000, upline="D1"):
    listings = pl.DataFrame({"listing_id": ["L1"], "dist_l1_bp": [dist_l1_bp], "dist_l2_bp": [dist_l2_bp]},
                            schema={"listing_id": pl.String, "dist_l1_bp": pl.Int64, "dist_l2_bp": pl.Int64})
    points = pl.DataFrame({"pickup_point_id": ["P1"], "leader_id": ["T1"], "leader_name": ["王芳"],
                           "leader_bp": [point_bp]},
                          schema={"pickup_point_id": pl.String, "leader_id": pl.String, "leader_name": pl.String,
                                  "leader_bp": pl.Int64})
    categories = pl.DataFrame({"category": ["烘焙"], "leader_bp": [category_bp]},
                              schema={"category": pl.String, "leader_bp": pl.Int64})
    distributors = pl.DataFrame({"distributor_id": ["D1", "D2"], "name": ["张三", "李四"], "upline_id": [None, upline]},
                                schema={"distributor_id": pl.String, "name": pl.String, "upline_id": pl.String})
    return listings, points, categories, distributors


def accrue(rows: pl.DataFrame, window=NIGHTLY, **rates) -> pl.DataFrame:
    return accrue_commissions(rows, *master(**rates), window=window)


def amounts(entries: pl.DataFrame) -> dict[tuple[str, str], int]:
    return {(r["role"], r["beneficiary_id"]): r["amount_fen"] for r in entries.iter_rows(named=True)}


# -- accruals ---------------------------------------------------------------------------------------

def test_the_rulebook_example_net_30800():
    entries = accrue(allocations(allocation(distributor="D2")))
    expected = pl.DataFrame({"role": ["dist_l1", "dist_l2", "leader"], "beneficiary_id": ["D2", "D1", "T1"],
                             "base_fen": [30800] * 3, "rate_bp": [1500, 500, 1000], "amount_fen": [4620, 1540, 3080]})
    assert_frame_equal(entries.select(expected.columns), expected)
    CommissionLedger.validate(entries)


def test_accrual_rows_are_dated_by_their_cutoff_with_readable_ids():
    row = accrue(allocations(allocation())).row(0, named=True)
    assert row["entry_id"] == "accrual|nightly|2026-11-21|A|1|leader"
    assert (row["calendar"], row["cutoff_date"], row["entry_date"]) == \
        ("nightly", date(2026, 11, 21), date(2026, 11, 21))
    assert (row["settlement_week"], row["entry_type"], row["refund_id"]) == ("2026-W47", "accrual", None)


@pytest.mark.parametrize("net_fen, rate_bp, expected", [
    (5, 1000, 0),          # 0.5 -> 0 (even): not posted
    (15, 1000, 2),         # 1.5 -> 2
    (25, 1000, 2),         # 2.5 -> 2
    (35, 1000, 4),         # 3.5 -> 4
    (30805, 1500, 4621),   # 4620.75 -> 4621
    (30830, 500, 1542),    # 1541.5 -> 1542
    (30850, 500, 1542),    # 1542.5 -> 1542
])
def test_accruals_round_half_to_even(net_fen, rate_bp, expected):
    entries = accrue(allocations(allocation(net_fen=net_fen)), category_bp=rate_bp)
    assert amounts(entries).get(("leader", "T1"), 0) == expected


@pytest.mark.parametrize("point_bp, category_bp, expected_rate", [
    (None, 1000, 1000),   # no override: the category's rate
    (1200, 1000, 1200),   # the pickup point's rate wins
    (0, 1000, None),      # an override of 0 is a rate of 0: nothing posted
])
def test_leader_rate_is_the_pickup_points_else_the_categorys(point_bp, category_bp, expected_rate):
    entries = accrue(allocations(allocation()), point_bp=point_bp, category_bp=category_bp)
    rates = dict(zip(entries["role"], entries["rate_bp"], strict=True))
    assert rates.get("leader") == expected_rate


def test_a_distributor_buying_through_their_own_link_earns_like_anyone_else():
    own = allocations({**allocation(distributor="D2"), "customer_id": "D2"})
    assert amounts(accrue(own)) == {("leader", "T1"): 3080, ("dist_l1", "D2"): 4620, ("dist_l2", "D1"): 1540}


def test_no_upline_no_level_two_entry():
    entries = accrue(allocations(allocation(distributor="D1")))
    assert amounts(entries) == {("leader", "T1"): 3080, ("dist_l1", "D1"): 4620}


def test_no_distributor_only_the_leader_earns():
    assert amounts(accrue(allocations(allocation()))) == {("leader", "T1"): 3080}


@pytest.mark.parametrize("rates, expected", [
    ({"dist_l1_bp": 0}, {("leader", "T1"): 3080, ("dist_l2", "D1"): 1540}),
    ({"dist_l2_bp": 0}, {("leader", "T1"): 3080, ("dist_l1", "D2"): 4620}),
    ({"category_bp": 0}, {("dist_l1", "D2"): 4620, ("dist_l2", "D1"): 1540}),
    ({"dist_l1_bp": 0, "dist_l2_bp": 0, "category_bp": 0}, {}),
])
def test_an_entry_with_rate_0_is_not_posted(rates, expected):
    assert amounts(accrue(allocations(allocation(distributor="D2")), **rates)) == expected


def test_lines_worth_nothing_accrue_nothing():
    assert accrue(allocations(allocation(net_fen=0, distributor="D2"))).height == 0


def test_entry_ids_are_stable_and_unique_per_cutoff():
    rows = allocations(allocation("A", distributor="D2"), allocation("A", line_no=2), allocation("B"))
    first, again = accrue(rows), accrue(rows)
    assert_frame_equal(first, again)
    assert first["entry_id"].is_unique().all()
    other_cutoff = accrue(rows, window=NEXT_NIGHT)
    assert set(first["entry_id"]).isdisjoint(other_cutoff["entry_id"])


@settings(max_examples=200, deadline=None)
@given(net=st.integers(1, 10**9), rate=st.integers(1, 10_000))
def test_accrual_is_the_exact_rational_rounded_half_even(net, rate):
    exact = Fraction(net * rate, 10_000)
    expected = round(exact)  # Python rounds a Fraction half to even, exactly
    entries = accrue(allocations(allocation(net_fen=net)), category_bp=rate)
    assert amounts(entries).get(("leader", "T1"), 0) == expected


# -- refund checks ----------------------------------------------------------------------------------

def refunds(*rows: tuple) -> pl.DataFrame:
    """(refund_id, order_id, amount_fen, minutes after the window start)."""
    return pl.DataFrame(
        [{"refund_id": r, "order_id": o, "line_no": 1, "amount_fen": a,
          "created_at": NEXT_NIGHT.start.astimezone(timezone.utc) + timedelta(minutes=m)} for r, o, a, m in rows],
        schema={"refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64, "amount_fen": pl.Int64,
                "created_at": UTC})


def lines(*order_ids: str) -> pl.DataFrame:
    return pl.DataFrame({"order_id": list(order_ids), "line_no": [1] * len(order_ids)},
                        schema={"order_id": pl.String, "line_no": pl.Int64})


def nets(**net_by_order: int) -> pl.DataFrame:
    return pl.DataFrame({"order_id": list(net_by_order), "line_no": [1] * len(net_by_order),
                         "net_fen": list(net_by_order.values())},
                        schema={"order_id": pl.String, "line_no": pl.Int64, "net_fen": pl.Int64})


NO_REFUNDS = refunds()


def decided(frame: pl.DataFrame) -> dict[str, str]:
    return dict(zip(frame["refund_id"], frame["status"], strict=True))


@pytest.mark.parametrize("known, allocated, reason", [
    (lines(), nets(), "order line A/1 is unknown"),
    (lines("A"), nets(), "order line A/1 has been allocated nothing so far (no run has processed it yet)"),
    (lines("A"), nets(A=0), "order line A/1 has been allocated nothing (net_fen 0)"),
])
def test_a_refund_of_an_unknown_or_unallocated_line_is_rejected(known, allocated, reason):
    result = decide_refunds(refunds(("R1", "A", 100, 1)), known, allocated, NO_REFUNDS)
    assert result.select("status", "reason").row(0) == ("rejected", reason)


def test_an_over_refund_is_rejected_with_the_figures():
    result = decide_refunds(refunds(("R1", "A", 30801, 1)), lines("A"), nets(A=30800), NO_REFUNDS)
    assert result.select("status", "reason").row(0) == (
        "rejected", "refund of 30801 fen is larger than the line's net_fen 30800 minus its earlier refunds 0")


def test_refunds_of_a_line_are_checked_in_time_order_and_a_rejected_one_does_not_count():
    result = decide_refunds(refunds(("R3", "A", 400, 3), ("R1", "A", 600, 1), ("R2", "A", 500, 2)),
                            lines("A"), nets(A=1000), NO_REFUNDS)
    assert decided(result) == {"R1": "applied", "R2": "rejected", "R3": "applied"}
    assert result.filter(pl.col("refund_id") == "R2")["reason"][0].endswith("minus its earlier refunds 600")
    assert result["refund_id"].to_list() == ["R1", "R2", "R3"]


def test_refunds_at_the_same_instant_are_ordered_by_refund_id():
    result = decide_refunds(refunds(("R2", "A", 600, 1), ("R1", "A", 600, 1)), lines("A"), nets(A=1000), NO_REFUNDS)
    assert decided(result) == {"R1": "applied", "R2": "rejected"}


def test_refunds_applied_earlier_at_other_cutoffs_count_later_ones_do_not():
    elsewhere = pl.DataFrame(
        [{"refund_id": "R0", "order_id": "A", "line_no": 1, "amount_fen": 700,
          "created_at": NIGHTLY.start.astimezone(timezone.utc)},
         {"refund_id": "R9", "order_id": "A", "line_no": 1, "amount_fen": 300,
          "created_at": NEXT_NIGHT.end.astimezone(timezone.utc) + timedelta(days=1)}],
        schema=refunds().schema)
    result = decide_refunds(refunds(("R1", "A", 300, 1), ("R2", "A", 1, 2)), lines("A"), nets(A=1000), elsewhere)
    assert decided(result) == {"R1": "applied", "R2": "rejected"}
    assert result.filter(pl.col("refund_id") == "R2")["reason"][0].endswith("minus its earlier refunds 1000")


def test_the_latest_run_that_allocated_a_line_gives_its_net():
    rows = pl.DataFrame({"order_id": ["A", "A", "B"], "line_no": [1, 1, 1], "net_fen": [500, 0, 0],
                         "calendar": ["nightly"] * 3,
                         "cutoff_date": [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 21)]})
    assert latest_allocations(rows).rows() == [("A", 1, 500), ("B", 1, 0)]


@settings(max_examples=200, deadline=None)
@given(net=st.integers(0, 100_000), amounts_=st.lists(st.integers(1, 60_000), max_size=8))
def test_applied_refunds_never_exceed_the_net(net, amounts_):
    frame = refunds(*[(f"R{i}", "A", a, i) for i, a in enumerate(amounts_)])
    result = decide_refunds(frame, lines("A"), nets(A=net), NO_REFUNDS)
    applied = result.filter(pl.col("status") == "applied")
    assert int(applied["amount_fen"].sum() or 0) <= net
    # and each rejection is justified at its turn: applying it would have gone over
    running = 0
    for row in result.iter_rows(named=True):
        if row["status"] == "applied":
            running += row["amount_fen"]
        else:
            assert net == 0 or running + row["amount_fen"] > net


# -- clawbacks --------------------------------------------------------------------------------------

def accrual_basis(*rows: tuple) -> pl.DataFrame:
    """(role, beneficiary, rate_bp, amount_fen) of line A/1."""
    return pl.DataFrame([{"order_id": "A", "line_no": 1, "role": r, "beneficiary_id": b, "rate_bp": p, "amount_fen": a}
                         for r, b, p, a in rows],
                        schema={"order_id": pl.String, "line_no": pl.Int64, "role": pl.String,
                                "beneficiary_id": pl.String, "rate_bp": pl.Int64, "amount_fen": pl.Int64})


def prior(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([{"order_id": "A", "line_no": 1, "role": r, "beneficiary_id": b, "clawed_fen": c}
                         for r, b, c in rows],
                        schema={"order_id": pl.String, "line_no": pl.Int64, "role": pl.String,
                                "beneficiary_id": pl.String, "clawed_fen": pl.Int64})


EXAMPLE_ACCRUALS = accrual_basis(("leader", "T1", 1000, 3080), ("dist_l1", "D2", 1500, 4620),
                                 ("dist_l2", "D1", 500, 1540))


def claw(refund_rows: pl.DataFrame, basis=EXAMPLE_ACCRUALS, earlier=None) -> pl.DataFrame:
    return claw_back_commissions(refund_rows, basis, prior() if earlier is None else earlier, NEXT_NIGHT)


def test_a_refund_claws_back_each_accrual_of_its_line_at_its_rate():
    entries = claw(refunds(("R1", "A", 10000, 1)))
    assert amounts(entries) == {("leader", "T1"): -1000, ("dist_l1", "D2"): -1500, ("dist_l2", "D1"): -500}
    row = entries.filter(pl.col("role") == "leader").row(0, named=True)
    assert row["entry_id"] == "clawback|nightly|2026-11-22|R1|A|1|leader|T1"
    assert (row["entry_type"], row["refund_id"], row["base_fen"], row["cutoff_date"]) == (
        "clawback", "R1", 10000, date(2026, 11, 22))
    CommissionLedger.validate(entries)


def test_a_full_refund_claws_back_the_whole_accrual():
    entries = claw(refunds(("R1", "A", 30800, 1)))
    assert amounts(entries) == {("leader", "T1"): -3080, ("dist_l1", "D2"): -4620, ("dist_l2", "D1"): -1540}


def test_clawbacks_over_several_refunds_are_capped_by_the_accrual():
    # net 25 at 1000 bp accrued 2 (2.5 -> 2); refunds of 15 (1.5 -> 2) and 10 (1.0 -> 1) would claw back 3
    entries = claw(refunds(("R1", "A", 15, 1), ("R2", "A", 10, 2)), accrual_basis(("leader", "T1", 1000, 2)))
    # R2 capped to 0: not posted
    assert dict(zip(entries["refund_id"], entries["amount_fen"], strict=True)) == {"R1": -2}


def test_clawbacks_posted_at_other_cutoffs_use_up_the_accrual_first():
    entries = claw(refunds(("R2", "A", 20000, 1)), earlier=prior(("leader", "T1", -2000)))
    assert amounts(entries)[("leader", "T1")] == -1080  # 2000 clawed already: 1080 left of 3080


def test_a_clawback_on_a_line_without_accruals_posts_nothing():
    assert claw(refunds(("R1", "A", 100, 1)), accrual_basis()).height == 0


def test_effective_accruals_add_adjustments_and_take_the_latest_rate():
    rows = pl.DataFrame([
        {"entry_type": "accrual", "adjusted_type": None, "entry_date": date(2026, 11, 21), "rate_bp": 1000,
         "amount_fen": 3080},
        {"entry_type": "adjustment", "adjusted_type": "accrual", "entry_date": date(2026, 11, 23), "rate_bp": 1200,
         "amount_fen": 616},
        {"entry_type": "clawback", "adjusted_type": None, "entry_date": date(2026, 11, 22), "rate_bp": 1000,
         "amount_fen": -100},
    ]).with_columns(order_id=pl.lit("A"), line_no=pl.lit(1, pl.Int64), role=pl.lit("leader"),
                    beneficiary_id=pl.lit("T1"))
    assert effective_accruals(rows).select("amount_fen", "rate_bp").row(0) == (3696, 1200)
    assert clawed_back(rows)["clawed_fen"].to_list() == [-100]


@settings(max_examples=300, deadline=None)
@given(net=st.integers(1, 10**7), rate=st.integers(1, 10_000), earlier_share=st.integers(0, 100),
       refund_amounts=st.lists(st.integers(1, 10**7), min_size=1, max_size=8))
def test_clawbacks_never_exceed_the_accrual_and_their_sum_is_bounded(net, rate, earlier_share, refund_amounts):
    accrued = round(Fraction(net * rate, 10_000))
    assume(accrued > 0)
    clawed_before = -(accrued * earlier_share // 100)
    frame = refunds(*[(f"R{i}", "A", a, i) for i, a in enumerate(refund_amounts)])
    entries = claw(frame, accrual_basis(("leader", "T1", rate, accrued)), prior(("leader", "T1", clawed_before)))
    clawed_now = -int(entries["amount_fen"].sum() or 0)
    uncapped = [round(Fraction(a * rate, 10_000)) for a in refund_amounts]
    assert (entries["amount_fen"] < 0).all()
    assert clawed_now - clawed_before <= accrued                       # never more than the accrual, in all
    assert clawed_now == min(sum(uncapped), accrued + clawed_before)   # the sum: uncapped until the cap
    for row in entries.iter_rows(named=True):                          # each at most its own rate's share
        assert -row["amount_fen"] <= uncapped[int(row["refund_id"][1:])]


# -- figures ----------------------------------------------------------------------------------------

def test_summary_totals_are_accruals_per_role_and_a_negative_clawback():
    accruals = accrue(allocations(allocation(distributor="D2"), allocation("B", net_fen=10000)))
    clawbacks = claw(refunds(("R1", "A", 10000, 1)))
    assert commission_totals(pl.concat([accruals, clawbacks])) == {
        "leader": 4080, "dist_l1": 4620, "dist_l2": 1540, "clawback": -3000}
    assert commission_totals(accruals.clear()) == {"leader": 0, "dist_l1": 0, "dist_l2": 0, "clawback": 0}


def test_totals_by_beneficiary_with_names_in_role_order():
    entries = pl.concat([accrue(allocations(allocation(distributor="D2"), allocation("B", net_fen=10000))),
                         claw(refunds(("R1", "A", 10000, 1)))])
    names = pl.DataFrame({"role": ["leader", "dist_l1", "dist_l2"], "beneficiary_id": ["T1", "D2", "D1"],
                          "name": ["王芳", "李四", "张三"]})
    expected = pl.DataFrame({"role": ["leader", "dist_l1", "dist_l2"], "beneficiary_id": ["T1", "D2", "D1"],
                             "name": ["王芳", "李四", "张三"], "entries": [3, 2, 2],
                             "amount_fen": [3080 + 1000 - 1000, 4620 - 1500, 1540 - 500]})
    assert_frame_equal(total_by_beneficiary(entries, names), expected)


def test_ledger_columns_are_the_contracts():
    contract = ["entry_id", "calendar", "cutoff_date", "entry_type", "role", "beneficiary_id", "order_id",
                "line_no", "refund_id", "base_fen", "rate_bp", "amount_fen"]
    assert set(contract) <= set(LEDGER_COLUMNS)


# -- what the mutation run showed the tests did not hold (issue 17) ---------------------------------

def refunds_of(*rows: tuple, line_no: int = 1) -> pl.DataFrame:
    """(refund_id, order_id, amount_fen, minutes after the window start) of line `line_no`."""
    return refunds(*rows).with_columns(pl.lit(line_no, pl.Int64).alias("line_no"))


def test_refunds_are_decided_in_time_order_not_refund_id_order():
    # R2 came first and takes 600 of 1000; R1, later, asks 500: R1 is the one rejected
    result = decide_refunds(refunds(("R1", "A", 500, 2), ("R2", "A", 600, 1)), lines("A"), nets(A=1000), NO_REFUNDS)
    assert decided(result) == {"R2": "applied", "R1": "rejected"}
    assert result["refund_id"].to_list() == ["R2", "R1"]  # the decisions, in time order
    assert result.filter(pl.col("refund_id") == "R1")["reason"][0] == (
        "refund of 500 fen is larger than the line's net_fen 1000 minus its earlier refunds 600")


def test_a_refund_applied_later_elsewhere_with_a_smaller_id_does_not_count_as_earlier():
    later = pl.DataFrame([{"refund_id": "R0", "order_id": "A", "line_no": 1, "amount_fen": 700,
                           "created_at": NEXT_NIGHT.end.astimezone(timezone.utc) + timedelta(days=1)}],
                         schema=refunds().schema)
    result = decide_refunds(refunds(("R5", "A", 400, 1)), lines("A"), nets(A=1000), later)
    assert decided(result) == {"R5": "applied"}


def test_a_refund_elsewhere_at_the_same_instant_counts_only_with_a_smaller_id():
    same = NEXT_NIGHT.start.astimezone(timezone.utc) + timedelta(minutes=1)
    elsewhere = pl.DataFrame(
        [{"refund_id": "R1", "order_id": "A", "line_no": 1, "amount_fen": 700, "created_at": same},
         {"refund_id": "R9", "order_id": "A", "line_no": 1, "amount_fen": 200, "created_at": same}],
        schema=refunds().schema)
    result = decide_refunds(refunds(("R5", "A", 301, 1)), lines("A"), nets(A=1000), elsewhere)
    assert decided(result) == {"R5": "rejected"}
    assert result["reason"][0].endswith("net_fen 1000 minus its earlier refunds 700")  # R1 counts, R9 does not


def test_refunds_of_two_lines_of_one_order_are_checked_per_line():
    frame = pl.concat([refunds_of(("R1", "A", 800, 1), line_no=1), refunds_of(("R2", "A", 800, 2), line_no=2)])
    known = pl.DataFrame({"order_id": ["A", "A"], "line_no": [1, 2]},
                         schema={"order_id": pl.String, "line_no": pl.Int64})
    line_nets = known.with_columns(pl.Series("net_fen", [1000, 1000], pl.Int64))
    result = decide_refunds(frame, known, line_nets, NO_REFUNDS)
    assert decided(result) == {"R1": "applied", "R2": "applied"}


def test_a_rejected_refund_leaves_room_for_a_later_one_over_several_rounds():
    # net 1000: R1 600 applied; R2 500 and R3 450 both go over; R4 400 fits (600 + 400)
    result = decide_refunds(refunds(("R1", "A", 600, 1), ("R2", "A", 500, 2), ("R3", "A", 450, 3), ("R4", "A", 400, 4)),
                            lines("A"), nets(A=1000), NO_REFUNDS)
    assert decided(result) == {"R1": "applied", "R2": "rejected", "R3": "rejected", "R4": "applied"}
    assert result.select("refund_id", "reason").rows()[1:3] == [
        ("R2", "refund of 500 fen is larger than the line's net_fen 1000 minus its earlier refunds 600"),
        ("R3", "refund of 450 fen is larger than the line's net_fen 1000 minus its earlier refunds 600")]


def test_refund_decisions_keep_the_refunds_figures():
    result = decide_refunds(refunds(("R1", "A", 600, 1)), lines("A"), nets(A=1000), NO_REFUNDS)
    expected = pl.DataFrame({"refund_id": ["R1"], "order_id": ["A"], "line_no": [1], "amount_fen": [600],
                             "created_at": [NEXT_NIGHT.start.astimezone(timezone.utc) + timedelta(minutes=1)],
                             "status": ["applied"], "reason": [None]},
                            schema={**refunds().schema, "status": pl.String, "reason": pl.String})
    assert_frame_equal(result, expected)


def test_the_cap_of_a_clawback_lands_on_the_later_refund_not_the_higher_id():
    # accrual 2 fen (net 25 at 1000 bp); R2 (first) claws 2 (15 -> 1.5 -> 2), R1 (later) finds nothing left
    entries = claw(refunds(("R1", "A", 10, 2), ("R2", "A", 15, 1)), accrual_basis(("leader", "T1", 1000, 2)))
    assert dict(zip(entries["refund_id"], entries["amount_fen"], strict=True)) == {"R2": -2}


def test_a_one_fen_accrual_can_be_clawed_back():
    entries = claw(refunds(("R1", "A", 10, 1)), accrual_basis(("leader", "T1", 1000, 1)))  # 10 x 10% = 1 fen
    assert amounts(entries) == {("leader", "T1"): -1}


def test_a_one_fen_line_posts_its_accrual():
    entries = accrue(allocations(allocation(net_fen=1)), category_bp=6000)  # 0.6 fen -> 1
    assert amounts(entries) == {("leader", "T1"): 1}


def test_an_amount_that_rounds_to_zero_is_still_posted_when_the_rate_is_not_zero():
    entries = accrue(allocations(allocation(net_fen=1, distributor="D2")), category_bp=4000, dist_l1_bp=1, dist_l2_bp=0)
    assert amounts(entries) == {("leader", "T1"): 0, ("dist_l1", "D2"): 0}


def test_a_one_entry_ledger_totals_its_entry():
    one = accrue(allocations(allocation()))
    assert one.height == 1
    assert commission_totals(one) == {"leader": 3080, "dist_l1": 0, "dist_l2": 0, "clawback": 0}


def test_totals_count_adjustments_as_the_type_they_adjust():
    entries = pl.concat([accrue(allocations(allocation())), claw(refunds(("R1", "A", 10000, 1)))])
    adjustments = entries.with_columns(pl.lit("adjustment").alias("entry_type"),
                                       pl.col("entry_type").alias("adjusted_type"),
                                       (pl.col("amount_fen") * 2).alias("amount_fen"))
    assert commission_totals(pl.concat([entries, adjustments])) == {
        "leader": 3 * 3080, "dist_l1": 0, "dist_l2": 0, "clawback": 3 * (-1000 - 1500 - 500)}


def ledger_row(kind="accrual", order="A", role="leader", beneficiary="T1", day=date(2026, 11, 21), rate=1000,
               amount=3080, adjusted=None) -> dict:
    return {"entry_type": kind, "adjusted_type": adjusted, "entry_date": day, "order_id": order, "line_no": 1,
            "role": role, "beneficiary_id": beneficiary, "rate_bp": rate, "amount_fen": amount}


def ledger_rows(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={"entry_type": pl.String, "adjusted_type": pl.String, "entry_date": pl.Date,
                                            "order_id": pl.String, "line_no": pl.Int64, "role": pl.String,
                                            "beneficiary_id": pl.String, "rate_bp": pl.Int64, "amount_fen": pl.Int64})


def test_effective_accruals_are_one_per_line_role_and_beneficiary():
    rows = ledger_rows(ledger_row(), ledger_row(order="B", amount=1000),
                       ledger_row(role="dist_l1", beneficiary="D2", rate=1500, amount=4620),
                       ledger_row(role="dist_l2", beneficiary="D1", rate=500, amount=1540),
                       ledger_row(kind="clawback", amount=-1000))
    expected = pl.DataFrame({"order_id": ["A", "B", "A", "A"], "line_no": [1, 1, 1, 1],
                             "role": ["leader", "leader", "dist_l1", "dist_l2"],
                             "beneficiary_id": ["T1", "T1", "D2", "D1"],
                             "amount_fen": [3080, 1000, 4620, 1540], "rate_bp": [1000, 1000, 1500, 500]})
    assert_frame_equal(effective_accruals(rows), expected, check_row_order=False)


def test_an_accrual_and_its_adjustment_on_one_date_take_the_adjustments_rate():
    day = date(2026, 11, 23)
    rows = ledger_rows(ledger_row(kind="adjustment", adjusted="accrual", day=day, rate=1200, amount=616),
                       ledger_row(day=day, rate=1000, amount=3080))
    assert effective_accruals(rows).select("amount_fen", "rate_bp").rows() == [(3696, 1200)]


def test_an_accrual_adjusted_to_nothing_is_not_in_force():
    rows = ledger_rows(ledger_row(), ledger_row(kind="adjustment", adjusted="accrual", day=date(2026, 11, 23),
                                                amount=-3080),
                       ledger_row(order="B", amount=1))
    assert effective_accruals(rows).select("order_id", "amount_fen").rows() == [("B", 1)]


def test_clawed_back_sums_the_clawbacks_of_each_accrual():
    rows = ledger_rows(ledger_row(), ledger_row(kind="clawback", amount=-1000),
                       ledger_row(kind="clawback", amount=-500),
                       ledger_row(kind="adjustment", adjusted="clawback", amount=-80, day=date(2026, 11, 23)),
                       ledger_row(kind="clawback", role="dist_l1", beneficiary="D2", amount=-1500))
    expected = pl.DataFrame({"order_id": ["A", "A"], "line_no": [1, 1], "role": ["leader", "dist_l1"],
                             "beneficiary_id": ["T1", "D2"], "clawed_fen": [-1580, -1500]})
    assert_frame_equal(clawed_back(rows), expected, check_row_order=False)


def test_beneficiary_names_leaders_by_their_first_pickup_point_and_distributors_in_both_levels():
    points = pl.DataFrame({"pickup_point_id": ["P3", "P2", "P1"], "leader_id": ["T2", "T1", "T1"],
                           "leader_name": ["李娜", "王芳(二店)", "王芳"], "leader_bp": [None, None, 1200]},
                          schema_overrides={"leader_bp": pl.Int64})
    distributors = pl.DataFrame({"distributor_id": ["D1", "D2"], "name": ["张三", "李四"], "upline_id": [None, "D1"]},
                                schema_overrides={"upline_id": pl.String})
    expected = pl.DataFrame({
        "role": ["leader", "leader", "dist_l1", "dist_l1", "dist_l2", "dist_l2"],
        "beneficiary_id": ["T1", "T2", "D1", "D2", "D1", "D2"],
        "name": ["王芳", "李娜", "张三", "李四", "张三", "李四"]})
    names = beneficiary_names(points, distributors)
    assert_frame_equal(names, expected)
    # and they name the statements: T1 by their first point's name, D1 at level 2
    entries = pl.concat([accrue(allocations(allocation(distributor="D2")))])
    totals = total_by_beneficiary(entries, names)
    assert totals.select("role", "beneficiary_id", "name").rows() == [
        ("leader", "T1", "王芳"), ("dist_l1", "D2", "李四"), ("dist_l2", "D1", "张三")]


def test_totals_by_beneficiary_without_names_leave_the_name_empty():
    entries = accrue(allocations(allocation(distributor="D2"), allocation("B", point="P1")))
    for names in (None, pl.DataFrame(schema={"role": pl.String, "beneficiary_id": pl.String, "name": pl.String})):
        expected = pl.DataFrame({"role": ["leader", "dist_l1", "dist_l2"], "beneficiary_id": ["T1", "D2", "D1"],
                                 "name": [None, None, None], "entries": [2, 1, 1], "amount_fen": [6160, 4620, 1540]},
                                schema_overrides={"name": pl.String})
        assert_frame_equal(total_by_beneficiary(entries, names), expected)


def test_totals_by_beneficiary_sort_several_of_one_role_by_id():
    entries = pl.concat([accrue(allocations(allocation("A", distributor="D2"))),
                         accrue(allocations(allocation("B", distributor="D1")))])
    assert total_by_beneficiary(entries).select("role", "beneficiary_id", "amount_fen").rows() == [
        ("leader", "T1", 6160), ("dist_l1", "D1", 4620), ("dist_l1", "D2", 4620), ("dist_l2", "D1", 1540)]


def test_a_line_without_a_leader_rate_still_pays_its_distributors():
    # category 生鲜 has no row in categories and P1 no override: the leader's rate is absent (0), nothing posted
    entries = accrue(allocations(allocation(distributor="D2", category="生鲜")))
    assert amounts(entries) == {("dist_l1", "D2"): 4620, ("dist_l2", "D1"): 1540}


def test_a_line_of_a_pickup_point_missing_from_master_still_pays_its_distributors():
    entries = accrue(allocations(allocation(distributor="D2", point="P9")))
    assert amounts(entries) == {("dist_l1", "D2"): 4620, ("dist_l2", "D1"): 1540}


def test_a_line_of_a_listing_without_distributor_rates_still_pays_its_leader():
    entries = accrue(allocations(allocation(distributor="D2", listing="L9")))
    assert amounts(entries) == {("leader", "T1"): 3080}


def test_the_point_override_pays_the_leader_even_without_a_category_rate():
    entries = accrue(allocations(allocation(category="生鲜")), point_bp=1200)
    assert amounts(entries) == {("leader", "T1"): 3696}


def alloc_runs(*rows: tuple) -> pl.DataFrame:
    """(order_id, calendar, cutoff_date, net_fen) of line 1."""
    return pl.DataFrame([{"order_id": o, "line_no": 1, "calendar": c, "cutoff_date": d, "net_fen": n}
                         for o, c, d, n in rows],
                        schema={"order_id": pl.String, "line_no": pl.Int64, "calendar": pl.String,
                                "cutoff_date": pl.Date, "net_fen": pl.Int64})


def test_of_two_runs_that_allocated_a_line_the_later_cutoff_gives_its_net():
    rows = alloc_runs(("A", "nightly", date(2026, 11, 21), 800), ("A", "nightly", date(2026, 11, 20), 500),
                      ("B", "nightly", date(2026, 11, 22), 100), ("B", "nightly", date(2026, 11, 19), 300))
    assert latest_allocations(rows).rows() == [("A", 1, 800), ("B", 1, 100)]


def test_a_one_fen_allocation_wins_over_a_later_run_that_allocated_nothing():
    rows = alloc_runs(("A", "nightly", date(2026, 11, 20), 1), ("A", "nightly", date(2026, 11, 21), 0))
    assert latest_allocations(rows).rows() == [("A", 1, 1)]


def test_two_calendars_on_one_date_are_ordered_by_calendar_name():
    rows = alloc_runs(("A", "weekly", date(2026, 11, 22), 700), ("A", "nightly", date(2026, 11, 22), 500))
    assert latest_allocations(rows).rows() == [("A", 1, 700)]  # weekly sorts after nightly: it is taken


def test_the_rate_in_force_is_that_of_the_latest_adjustment_by_date_whatever_the_row_order():
    rows = ledger_rows(ledger_row(kind="adjustment", adjusted="accrual", day=date(2026, 11, 30), rate=1500, amount=924),
                       ledger_row(),
                       ledger_row(kind="adjustment", adjusted="accrual", day=date(2026, 11, 23), rate=1200, amount=616))
    assert effective_accruals(rows).select("amount_fen", "rate_bp").rows() == [(4620, 1500)]


def test_a_beneficiary_without_a_name_keeps_their_total():
    entries = accrue(allocations(allocation(distributor="D2")))
    names = pl.DataFrame({"role": ["leader"], "beneficiary_id": ["T1"], "name": ["王芳"]})
    assert total_by_beneficiary(entries, names).select("role", "beneficiary_id", "name", "amount_fen").rows() == [
        ("leader", "T1", "王芳", 3080), ("dist_l1", "D2", None, 4620), ("dist_l2", "D1", None, 1540)]


def test_a_beneficiary_named_twice_is_still_one_row():
    entries = accrue(allocations(allocation()))
    names = pl.DataFrame({"role": ["leader", "leader"], "beneficiary_id": ["T1", "T1"], "name": ["王芳", "王芳(二店)"]})
    totals = total_by_beneficiary(entries, names)
    assert totals.select("beneficiary_id", "entries", "amount_fen").rows() == [("T1", 1, 3080)]
    assert totals["name"][0] in {"王芳", "王芳(二店)"}


def test_accruals_come_in_order_line_and_role_order():
    rows = allocations(allocation("B", distributor="D2"), allocation("A", line_no=2), allocation("A", line_no=1,
                                                                                            distributor="D1"))
    entries = accrue(rows)
    assert entries.select("order_id", "line_no", "role").rows() == [
        ("A", 1, "dist_l1"), ("A", 1, "leader"), ("A", 2, "leader"),
        ("B", 1, "dist_l1"), ("B", 1, "dist_l2"), ("B", 1, "leader")]


def test_refund_decisions_at_one_instant_are_listed_by_refund_id():
    result = decide_refunds(refunds(("R3", "A", 100, 1), ("R1", "B", 100, 1), ("R2", "A", 100, 1)),
                            lines("A", "B"), nets(A=1000, B=1000), NO_REFUNDS)
    assert result["refund_id"].to_list() == ["R1", "R2", "R3"]


def test_refunds_at_one_instant_are_clawed_back_in_refund_id_order():
    # accrual of 2 fen; R1 and R2 at the same minute would claw 2 each: R1 takes both fen, R2 nothing
    entries = claw(refunds(("R2", "A", 15, 1), ("R1", "A", 15, 1)), accrual_basis(("leader", "T1", 1000, 2)))
    assert dict(zip(entries["refund_id"], entries["amount_fen"], strict=True)) == {"R1": -2}


def test_clawbacks_come_in_refund_then_role_order():
    entries = claw(refunds(("R2", "A", 1000, 2), ("R1", "A", 1000, 1)))
    assert entries.select("refund_id", "role", "amount_fen").rows() == [
        ("R1", "dist_l1", -150), ("R1", "dist_l2", -50), ("R1", "leader", -100),
        ("R2", "dist_l1", -150), ("R2", "dist_l2", -50), ("R2", "leader", -100)]


def test_a_one_fen_line_can_be_refunded_its_fen():
    result = decide_refunds(refunds(("R1", "A", 1, 1), ("R2", "B", 1, 2)), lines("A", "B"), nets(A=1, B=0), NO_REFUNDS)
    assert result.select("refund_id", "status", "reason").rows() == [
        ("R1", "applied", None), ("R2", "rejected", "order line B/1 has been allocated nothing (net_fen 0)")]


def test_totals_list_the_beneficiaries_of_one_role_by_id():
    ids = ["T5", "T2", "T6", "T1", "T4", "T3"]
    entries = pl.DataFrame({"role": ["leader"] * 6 + ["dist_l1"], "beneficiary_id": ids + ["D1"],
                            "amount_fen": [100 * int(i[1]) for i in ids] + [7]})
    assert total_by_beneficiary(entries).select("beneficiary_id", "amount_fen").rows() == [
        ("T1", 100), ("T2", 200), ("T3", 300), ("T4", 400), ("T5", 500), ("T6", 600), ("D1", 7)]
