"""The rules of posting a purchase order (transforms/po_delivery.py): which revision goes out, what
an answer means, how long to wait, and what the summary says."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.po_delivery import (
    BACKOFF,
    RevisionPlan,
    acted_on,
    answer_reference,
    backoff_seconds,
    classify,
    failure_text,
    plan_revision,
    po_failed_warning,
    retry_after_seconds,
    summary_status,
    wait_before_retry,
    warning_supplier,
    with_po_results,
    with_resent,
)

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


# ---- which revision ----------------------------------------------------------------------------------

@pytest.mark.parametrize("latest, digest, expected", [
    (None, "a", RevisionPlan(1, new=True, unchanged=False)),                                  # never posted
    ({"revision": 1, "content_hash": "a", "state": "delivered"}, "a", RevisionPlan(1, False, True)),  # unchanged
    ({"revision": 1, "content_hash": "a", "state": "failed"}, "a", RevisionPlan(1, False, False)),    # again, same key
    ({"revision": 3, "content_hash": "a", "state": "pending"}, "a", RevisionPlan(3, False, False)),   # killed: again
    ({"revision": 1, "content_hash": "a", "state": "delivered"}, "b", RevisionPlan(2, True, False)),  # changed
    ({"revision": 2, "content_hash": "b", "state": "failed"}, "c", RevisionPlan(3, True, False)),     # changed again
    ({"revision": 4, "content_hash": "x", "state": "pending"}, "y", RevisionPlan(5, True, False)),    # never reuse 4
])
def test_plan_revision(latest, digest, expected):
    assert plan_revision(latest, digest) == expected


def test_back_to_an_earlier_content_is_a_new_revision_not_the_old_key():
    """A -> r1, B -> r2, A again: the supplier holds B, so A goes out as r3 (r1's key would be a repeat)."""
    latest = {"revision": 2, "content_hash": "B", "state": "delivered"}
    assert plan_revision(latest, "A") == RevisionPlan(3, True, False)


# ---- what an answer means ----------------------------------------------------------------------------

@pytest.mark.parametrize("status, kind", [
    (200, "delivered"), (201, "delivered"), (202, "delivered"), (204, "delivered"), (299, "delivered"),
    (500, "retry"), (502, "retry"), (503, "retry"), (504, "retry"), (599, "retry"), (429, "retry"), (408, "retry"),
    (400, "refused"), (401, "refused"), (403, "refused"), (404, "refused"), (409, "refused"), (422, "refused"),
    (499, "refused"), (301, "refused"), (302, "refused"), (304, "refused"), (199, "refused"), (300, "refused"),
])
def test_classify(status, kind):
    assert classify(status) == kind


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0), (" 7 ", 7.0), ("0", 0.0), (None, None), ("", None), ("soon", None), ("-5", None), ("1.5", None),
    ("Sat, 21 Nov 2026 12:00:42 GMT", 42.0),   # an HTTP date, 42 s from now
    ("Sat, 21 Nov 2026 11:59:00 GMT", 0.0),    # in the past: at once
    ("Sat, 21 Nov 2026 12:00:42", None),       # no zone: unreadable
])
def test_retry_after(value, seconds):
    assert retry_after_seconds(value, NOW) == seconds


def test_backoff_doubles_then_holds_at_30_seconds():
    assert [backoff_seconds(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert BACKOFF == (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
    assert backoff_seconds(3, (5,)) == 5 and backoff_seconds(1, ()) == 0.0


@pytest.mark.parametrize("attempt, retry_after, remaining, wait", [
    (1, None, 100.0, 1.0),     # the backoff
    (2, None, 100.0, 2.0),
    (6, None, 100.0, 30.0),
    (1, 7.0, 100.0, 7.0),      # the supplier's Retry-After wins
    (5, 0.0, 100.0, 0.0),
    (1, 3600.0, 100.0, None),  # asked to wait past the budget: give up now
    (6, None, 30.0, None),     # exactly what is left: nothing would remain for the attempt
    (6, None, 30.5, 30.0),
])
def test_wait_before_retry(attempt, retry_after, remaining, wait):
    assert wait_before_retry(attempt, retry_after, remaining) == wait


def test_wait_before_retry_takes_the_backoff_it_is_given():
    assert wait_before_retry(1, None, 100.0, (5.0, 7.0)) == 5.0
    assert wait_before_retry(4, None, 100.0, (5.0, 7.0)) == 7.0


@given(st.lists(st.floats(min_value=0, max_value=60), min_size=1, max_size=10),
       st.floats(min_value=0.1, max_value=300))
def test_the_waits_never_outlast_the_budget(delays, budget):
    """Whatever the backoff, the waits of one supplier's attempts sum to less than its budget."""
    remaining, attempt, waited = budget, 0, 0.0
    while True:
        attempt += 1
        wait = wait_before_retry(attempt, None, remaining, tuple(delays))
        if wait is None:
            break
        waited += wait
        remaining -= wait
        if remaining <= 0 or attempt > 1000:
            break
    assert waited < budget or waited == 0


@pytest.mark.parametrize("answer, reference", [
    ({"reference": "SO-1"}, "SO-1"), ({"reference": 991}, "991"), ({"reference": " X "}, "X"),
    ({"reference": ""}, None), ({"reference": True}, None), ({"reference": None}, None), ({"id": "SO-1"}, None),
    ([{"reference": "SO-1"}], None), ("SO-1", None), (None, None), ({"reference": "R" * 300}, "R" * 200),
])
def test_answer_reference(answer, reference):
    assert answer_reference(answer) == reference


def test_failure_text_has_the_status_and_the_answer_on_one_line():
    assert failure_text(400, "Bad Request", '{"error":\n  "unknown sku"}', None) == \
        'HTTP 400 Bad Request: {"error": "unknown sku"}'
    assert failure_text(503, "", "", None) == "HTTP 503"
    assert failure_text(None, "", None, "timed out") == "timed out"
    assert failure_text(None, "", None, None) == "no answer"


def test_po_failed_warning_keeps_the_first_200_characters():
    warning = po_failed_warning("S1", "HTTP 400 Bad Request: " + "x" * 500)
    assert warning.startswith("po_failed: S1: HTTP 400 Bad Request: xxx")
    assert len(warning) == len("po_failed: S1: ") + 200
    assert po_failed_warning("S1", "a\nb") == "po_failed: S1: a b"


@pytest.mark.parametrize("state, revision, posted, status", [
    ("delivered", 1, True, "delivered"), ("delivered", 2, True, "revised"), ("delivered", 2, False, "unchanged"),
    ("delivered", 1, False, "unchanged"), ("failed", 1, True, "failed"), ("pending", 3, True, "failed"),
])
def test_summary_status(state, revision, posted, status):
    assert summary_status(state, revision, posted) == status


# ---- the summary -------------------------------------------------------------------------------------

SUMMARY = {"calendar": "nightly", "cutoff_date": "2026-11-21", "warnings": ["below_supplier_minimum: S2 ..."],
           "suppliers": [{"supplier_id": "S1", "email": ""}, {"supplier_id": "S2", "email": "sent"},
                         {"supplier_id": "S3", "email": ""}]}
FAILED = {"status": "failed", "revision": 1, "error": "HTTP 400 Bad Request: no"}
DELIVERED = {"status": "delivered", "revision": 1, "reference": "SO-1", "error": None}


def test_with_po_results_adds_the_transport_and_the_api_result_and_a_warning_per_failure():
    result = with_po_results(SUMMARY, {"S1": "api", "S2": "email", "S3": "api"}, {"S3": FAILED, "S1": DELIVERED})
    assert result["suppliers"] == [
        {"supplier_id": "S1", "email": "", "po_transport": "api", "api": DELIVERED},
        {"supplier_id": "S2", "email": "sent", "po_transport": "email", "api": None},
        {"supplier_id": "S3", "email": "", "po_transport": "api", "api": FAILED}]
    assert result["warnings"] == ["below_supplier_minimum: S2 ...", "po_failed: S3: HTTP 400 Bad Request: no"]
    assert SUMMARY["suppliers"][0] == {"supplier_id": "S1", "email": ""}  # a new dict


def test_a_supplier_unknown_to_the_transports_is_on_email_and_failures_are_in_supplier_order():
    result = with_po_results(SUMMARY, {"S1": "api", "S3": "api"}, {"S3": FAILED, "S1": {**FAILED, "error": None}})
    assert result["suppliers"][1]["po_transport"] == "email"
    assert result["warnings"][1:] == ["po_failed: S1: not delivered", "po_failed: S3: HTTP 400 Bad Request: no"]


@pytest.mark.parametrize("warning, supplier", [
    ("email_failed: S1 not emailed: ConnectionRefusedError", "S1"), ("po_failed: S2.x: HTTP 400", "S2.x"),
    ("po_failed: S3:HTTP", "S3"), ("po_failed: S3:a:b c", "S3"), ("email_failed: S_9 x y", "S_9"),
    ("below_supplier_minimum: S1 ...", None), ("po_failed: ", None), ("po_failed: :x", None),
])
def test_warning_supplier(warning, supplier):
    assert warning_supplier(warning) == supplier


def test_acted_on_is_what_a_resend_sent_or_failed():
    fresh = {"suppliers": [
        {"supplier_id": "A", "po_transport": "email", "email": "sent"},
        {"supplier_id": "B", "po_transport": "email", "email": "unchanged"},
        {"supplier_id": "C", "po_transport": "email", "email": "no_address"},
        {"supplier_id": "D", "po_transport": "email", "email": "failed"},
        {"supplier_id": "E", "po_transport": "api", "email": "", "api": {"status": "delivered"}},
        {"supplier_id": "F", "po_transport": "api", "email": "", "api": {"status": "unchanged"}},
        {"supplier_id": "G", "po_transport": "api", "email": "", "api": {"status": "failed"}},
        {"supplier_id": "H", "po_transport": "api", "email": "", "api": None},
        {"supplier_id": "I", "email": "outbox"},
        {"supplier_id": "J", "po_transport": "api", "email": "", "api": {"status": "held"}},
        {"supplier_id": "K", "po_transport": "email", "email": ""},
        {"supplier_id": "L", "po_transport": "email", "email": "revised"}]}
    assert acted_on(fresh) == {"A", "D", "E", "G", "I", "L"}


def test_with_resent_replaces_only_what_resend_did():
    summary = {"warnings": ["email_failed: S1 not emailed: down", "po_failed: S3: HTTP 503", "group_not_formed: L1",
                            "po_failed: S4: HTTP 400"],
               "suppliers": [{"supplier_id": "S1", "po_fen": 1, "email": "failed", "po_transport": "email",
                              "api": None},
                             {"supplier_id": "S3", "po_fen": 3, "email": "", "po_transport": "api", "api": FAILED},
                             {"supplier_id": "S4", "po_fen": 4, "email": "", "po_transport": "api", "api": FAILED}]}
    fresh = {"warnings": ["po_failed: S4: HTTP 400 again"],
             "suppliers": [{"supplier_id": "S1", "po_fen": 9, "email": "sent", "po_transport": "email", "api": None},
                           {"supplier_id": "S3", "po_fen": 9, "email": "", "po_transport": "api", "api": DELIVERED},
                           {"supplier_id": "S4", "po_fen": 9, "email": "", "po_transport": "api", "api": FAILED}]}
    updated = with_resent(summary, fresh, {"S1", "S3", "S4"})
    assert [(s["supplier_id"], s["po_fen"], s["email"], (s["api"] or {}).get("status")) for s in updated["suppliers"]] \
        == [("S1", 1, "sent", None), ("S3", 3, "", "delivered"), ("S4", 4, "", "failed")]
    assert updated["warnings"] == ["group_not_formed: L1", "po_failed: S4: HTTP 400 again"]
    assert with_resent(summary, fresh, set()) == summary


def test_with_resent_adds_the_transport_to_a_summary_written_before_it_existed():
    summary = {"warnings": [], "suppliers": [{"supplier_id": "S1", "email": "failed"}]}
    fresh = {"warnings": [], "suppliers": [{"supplier_id": "S1", "email": "sent", "po_transport": "email",
                                            "api": None}]}
    assert with_resent(summary, fresh, {"S1"})["suppliers"] == [
        {"supplier_id": "S1", "email": "sent", "po_transport": "email", "api": None}]
