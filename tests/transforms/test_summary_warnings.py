"""summary.json's warnings of an empty cutoff, and the summary after the email stage
(transforms/summary.py: empty_cutoff_warnings, with_email_results)."""

from __future__ import annotations

import copy

from transforms.summary import empty_cutoff_warnings, with_email_results


def summary(eligible: int = 3) -> dict:
    return {"calendar": "nightly", "cutoff_date": "2026-11-21", "listings_closed": 2,
            "order_lines": {"eligible": eligible, "allocated": eligible, "cut": 0, "rejected": 4},
            "suppliers": [{"supplier_id": "S1", "po_fen": 100, "email": ""},
                          {"supplier_id": "S2", "po_fen": 200, "email": ""},
                          {"supplier_id": "S3", "po_fen": 300, "email": ""}],
            "warnings": ["below_supplier_minimum: S2"]}


def test_an_empty_cutoff_says_so_with_its_figures():
    assert empty_cutoff_warnings(summary(eligible=3)) == []
    assert empty_cutoff_warnings(summary(eligible=0)) == [
        "empty_cutoff: no paid order line belongs to this cutoff (2 listing(s) closed, 4 rejected row(s)); almost "
        "always a missing or broken order export: check inbox/orders, then rerun"]


def test_the_email_results_go_into_a_new_summary():
    before = summary()
    kept = copy.deepcopy(before)

    after = with_email_results(before, {"S2": "failed", "S1": "sent"}, {"S2": "ConnectionRefusedError: no"})

    assert [(s["supplier_id"], s["email"]) for s in after["suppliers"]] == [("S1", "sent"), ("S2", "failed"),
                                                                           ("S3", "")]
    assert after["warnings"] == ["below_supplier_minimum: S2",
                                 "email_failed: S2 not emailed: ConnectionRefusedError: no"]
    assert list(after) == list(before) and list(after["suppliers"][0]) == ["supplier_id", "po_fen", "email"]
    assert before == kept  # the summary it was given is unchanged


def test_failed_suppliers_are_warned_in_supplier_order():
    after = with_email_results(summary(), {}, {"S3": "x", "S1": "y"})
    assert after["warnings"][1:] == ["email_failed: S1 not emailed: y", "email_failed: S3 not emailed: x"]
