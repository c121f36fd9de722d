"""The national roll-up (transforms/national.py): each region's outcome, the totals over the regions
that finished, suppliers and categories across regions."""

import copy

import pytest

from transforms.national import (
    COMPLETED,
    FAILED,
    ZERO_TOTALS,
    RegionOutcome,
    national_summary,
    settle_outcome,
    sum_regions,
)


def regional(net: int, *, eligible: int, suppliers=(), categories=(), clawback: int = 0) -> dict:
    """A region's summary.json (the figures the roll-up reads)."""
    return {"calendar": "nightly", "cutoff_date": "2026-11-21",
            "order_lines": {"eligible": eligible, "allocated": eligible - 1, "cut": 1, "rejected": 2},
            "units": {"ordered": 10, "allocated": 9, "purchased": 12, "surplus": 3},
            "fen": {"paid": net + 500, "net": net, "refund": 500, "purchase_cost": net // 2,
                    "commission": {"leader": net // 10, "dist_l1": 30, "dist_l2": 10, "clawback": clawback}},
            "suppliers": list(suppliers), "categories": list(categories), "warnings": []}


EAST = regional(393600, eligible=8,
                suppliers=[{"supplier_id": "S1", "name": "广州酒家", "po_fen": 240000, "below_minimum": False}],
                categories=[{"category": "烘焙", "units": 12, "net_fen": 393600}], clawback=-328)
WEST = regional(8970, eligible=3,
                suppliers=[{"supplier_id": "S1", "name": "广州酒家", "po_fen": 9000, "below_minimum": True},
                           {"supplier_id": "S9", "name": "新疆果园", "po_fen": 18000, "below_minimum": False}],
                categories=[{"category": "水果", "units": 3, "net_fen": 8970},
                            {"category": "烘焙", "units": 1, "net_fen": 32800}])


def done(region_id: str, summary: dict) -> RegionOutcome:
    return RegionOutcome(region_id, COMPLETED, summary, "", "Completed", f"run-{region_id}", 12.5)


def test_totals_sum_the_completed_regions_key_by_key_and_the_failed_are_listed():
    broken = RegionOutcome("north", FAILED, None, "master/products.csv row 2: supplier_id 'S404' is not in "
                           "suppliers.csv", "Failed", "run-north", 3.0)
    summary = national_summary("nightly", "2026-11-21", [done("east", EAST), broken, done("west", WEST)])
    assert summary["calendar"] == "nightly" and summary["cutoff_date"] == "2026-11-21"
    assert summary["failed"] == ["north"]
    assert summary["totals"] == {
        "order_lines": {"eligible": 11, "allocated": 9, "cut": 2, "rejected": 4},
        "units": {"ordered": 20, "allocated": 18, "purchased": 24, "surplus": 6},
        "fen": {"paid": 393600 + 8970 + 1000, "net": 402570, "refund": 1000, "forfeit": 0,
                "purchase_cost": 196800 + 4485,
                "commission": {"leader": 39360 + 897, "dist_l1": 60, "dist_l2": 20, "clawback": -328}},
    }
    east, north, west = summary["regions"]
    assert east == {"region_id": "east", "status": "completed", "order_lines": EAST["order_lines"],
                    "units": EAST["units"], "fen": EAST["fen"], "reason": None, "state": "Completed",
                    "flow_run_id": "run-east", "seconds": 12.5}
    assert north["status"] == "failed" and north["fen"] is None and north["reason"].startswith("master/products")
    assert west["fen"]["net"] == 8970
    assert summary["suppliers"] == [
        {"supplier_id": "S1", "name": "广州酒家", "regions": ["east", "west"], "purchase_orders": 2,
         "po_fen": 249000, "below_minimum": 1},
        {"supplier_id": "S9", "name": "新疆果园", "regions": ["west"], "purchase_orders": 1, "po_fen": 18000,
         "below_minimum": 0}]
    assert summary["categories"] == [
        {"category": "烘焙", "regions": ["east", "west"], "units": 13, "net_fen": 426400},
        {"category": "水果", "regions": ["west"], "units": 3, "net_fen": 8970}]


def test_no_region_completed_is_all_zero_and_the_zero_totals_stay_zero():
    before = copy.deepcopy(ZERO_TOTALS)
    sum_regions([EAST, WEST])
    assert ZERO_TOTALS == before  # a roll-up never changes the next one's starting point
    summary = national_summary("nightly", "2026-11-21", [RegionOutcome("east", FAILED, None, "crashed")])
    assert summary["totals"] == before and summary["failed"] == ["east"]
    assert summary["suppliers"] == [] and summary["categories"] == []


STORED = EAST
OTHER_DAY = {**EAST, "cutoff_date": "2026-11-20"}


@pytest.mark.parametrize("ran, stored, previous, status, reason", [
    # run now
    (RegionOutcome("east", COMPLETED, state="Completed"), STORED, None, COMPLETED, ""),
    (RegionOutcome("east", COMPLETED, state="Completed"), OTHER_DAY, None, FAILED,
     "its run completed but left no summary.json of this cutoff in its reports dir"),
    (RegionOutcome("east", FAILED, None, "killed", "Crashed"), STORED, None, FAILED, "killed"),
    # not run now (--only named others): the stored summary, unless the last roll-up said failed
    (None, STORED, {"status": "completed"}, COMPLETED, ""),
    (None, STORED, None, COMPLETED, ""),
    (None, STORED, {"status": "failed", "reason": "worker killed"}, FAILED, "worker killed"),
    (None, None, None, FAILED, "not run: no summary.json of this cutoff in its reports dir"),
    (None, OTHER_DAY, None, FAILED, "not run: no summary.json of this cutoff in its reports dir"),
])
def test_settle_outcome(ran, stored, previous, status, reason):
    outcome = settle_outcome("east", "nightly", "2026-11-21", ran, stored, previous)
    assert (outcome.status, outcome.reason) == (status, reason)
    assert outcome.summary == (STORED if status == COMPLETED else None)
