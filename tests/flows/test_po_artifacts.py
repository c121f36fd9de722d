"""What the run's artifact and the alerts say of purchase orders by API (flows/po_artifacts.py,
flows/po_alerts.py), from a summary as the run writes it."""

from __future__ import annotations

from flows.alerts import alert_specs
from flows.artifacts import po_totals_table, render_run_markdown
from flows.po_alerts import UNDELIVERED_EVENT
from flows.po_artifacts import api_text
from flows.run_events import cutoff_events

DELIVERED = {"status": "revised", "revision": 2, "idempotency_key": "PO-nightly-2026-11-21-S1.r2",
             "at": "2026-11-21T20:03:05+08:00", "reference": "SO-0042", "http_status": 201, "attempts": 1,
             "error": None}
FAILED = {"status": "failed", "revision": 1, "idempotency_key": "PO-nightly-2026-11-21-S3.r1",
          "at": "2026-11-21T20:08:05+08:00", "reference": None, "http_status": 400, "attempts": 1,
          "error": 'HTTP 400 Bad Request: {"error": "unknown sku | SKU9"}'}
SUMMARY = {
    "calendar": "nightly", "cutoff_date": "2026-11-21",
    "window": {"start": "2026-11-20T20:00:00+08:00", "end": "2026-11-21T20:00:00+08:00"},
    "listings_closed": 3, "groups_not_formed": 0,
    "order_lines": {"eligible": 9, "allocated": 9, "cut": 0, "rejected": 0},
    "units": {"ordered": 30, "allocated": 30, "purchased": 30, "surplus": 0},
    "fen": {"paid": 90000, "net": 90000, "refund": 0, "purchase_cost": 60000,
            "commission": {"leader": 0, "dist_l1": 0, "dist_l2": 0, "clawback": 0}},
    "suppliers": [
        {"supplier_id": "S1", "name": "鲜果", "po_fen": 30000, "below_minimum": False, "email": "",
         "po_transport": "api", "api": DELIVERED},
        {"supplier_id": "S2", "name": "粮油", "po_fen": 20000, "below_minimum": False, "email": "sent",
         "po_transport": "email", "api": None},
        {"supplier_id": "S3", "name": "肉禽", "po_fen": 10000, "below_minimum": False, "email": "",
         "po_transport": "api", "api": FAILED}],
    "warnings": ['po_failed: S3: HTTP 400 Bad Request: {"error": "unknown sku | SKU9"}']}


def test_api_text():
    assert api_text(SUMMARY["suppliers"][0]) == "revised, revision 2 at 2026-11-21 20:03:05, their reference SO-0042"
    assert api_text(SUMMARY["suppliers"][1]) == ""
    assert api_text(SUMMARY["suppliers"][2]) == \
        'failed, revision 1: HTTP 400 Bad Request: {"error": "unknown sku | SKU9"}'


def test_the_table_artifact_says_by_api_and_the_api_status():
    rows = {row["supplier_id"]: row for row in po_totals_table(SUMMARY)}
    assert (rows["S1"]["email"], rows["S1"]["po_transport"], rows["S1"]["api"]) == (
        "by API", "api", "revised, revision 2 at 2026-11-21 20:03:05, their reference SO-0042")
    assert (rows["S2"]["email"], rows["S2"]["po_transport"], rows["S2"]["api"]) == ("sent", "email", "")


def test_the_markdown_puts_the_undelivered_first_and_lists_every_po_by_api():
    markdown = render_run_markdown(SUMMARY)
    attention = markdown[markdown.index("## Attention"):markdown.index("## Figures")]
    assert "**Purchase orders not delivered to the supplier's system (API)** (1): S3." in attention
    assert "`cutoff resend --calendar nightly --date 2026-11-21`" in attention
    section = markdown[markdown.index("## Purchase orders to suppliers' systems (API) (2)"):]
    lines = [line for line in section.splitlines() if line.startswith("| S")]
    assert lines == ["| S3 | 肉禽 | failed | 1 | 2026-11-21 20:08:05 |  |",
                     "| S1 | 鲜果 | revised | 2 | 2026-11-21 20:03:05 | SO-0042 |"]
    # the answer on a line of its own, whole (in a table column it ran off the artifact page)
    assert '- **S3** 肉禽: `HTTP 400 Bad Request: {"error": "unknown sku | SKU9"}`' in section
    assert "| S1 | 鲜果 | ¥300.00 | no | by API |" in markdown


def test_a_run_without_api_suppliers_has_no_api_section():
    summary = dict(SUMMARY, suppliers=[SUMMARY["suppliers"][1]], warnings=[])
    assert "(API)" not in render_run_markdown(summary)


def test_an_undelivered_po_emits_the_event_the_alert_waits_for():
    email = "email_failed: S2 not emailed: ConnectionRefusedError: [Errno 111] Connection refused, after 3 attempts"
    events = cutoff_events(dict(SUMMARY, warnings=[*SUMMARY["warnings"], email]))
    assert [e["event"] for e in events] == [UNDELIVERED_EVENT]
    payload = events[0]["payload"]
    assert payload["undelivered"] == 2 and payload["cutoff_date"] == "2026-11-21"
    assert payload["details"] == ('- S3: HTTP 400 Bad Request: {"error": "unknown sku | SKU9"}\n'
                                  f"- {email.removeprefix('email_failed: ')}")
    assert cutoff_events(dict(SUMMARY, warnings=[])) == []


def test_the_alert_says_what_happened_which_cutoff_and_what_to_do():
    ids = {"cutoff/nightly": "00000000-0000-4000-8000-000000000001",
           "cutoff/weekly": "00000000-0000-4000-8000-000000000002"}
    spec = next(s for s in alert_specs(ids, 30, "http://127.0.0.1:4200") if s.key == "undelivered")
    assert spec.trigger["expect"] == [UNDELIVERED_EVENT]
    assert sorted(spec.trigger["match_related"]["prefect.resource.id"]) == [f"prefect.deployment.{i}"
                                                                           for i in sorted(ids.values())]
    assert spec.subject == "[cutoff] {{ event.resource.name }}: {{ event.payload.undelivered }} purchase order(s) " \
                           "not delivered"
    assert "cutoff resend --calendar {{ event.payload.calendar }} --date {{ event.payload.cutoff_date }}" in spec.body
    assert "http://127.0.0.1:4200/runs/flow-run/" in spec.body


def test_the_email_column_says_each_status_in_words_and_the_table_keeps_the_status():
    suppliers = [{"supplier_id": f"S{n}", "name": "x", "po_fen": 100, "below_minimum": False, "email": status,
                  "po_transport": "email", "api": None}
                 for n, status in enumerate(["no_address", "outbox", "failed: 421 try later", "unchanged"], 1)]
    summary = {**SUMMARY, "suppliers": suppliers, "warnings": []}
    markdown = render_run_markdown(summary)
    assert "| S1 | x | ¥1.00 | no | not sent: no email address |" in markdown
    assert "| S2 | x | ¥1.00 | no | written to the outbox, not emailed |" in markdown
    assert "| S3 | x | ¥1.00 | no | not sent: the mail server refused or failed (421 try later) |" in markdown
    assert "| S4 | x | ¥1.00 | no | unchanged, not sent again |" in markdown
    assert "not sent: no email address 1" in markdown  # the counts line
    assert [row["email"] for row in po_totals_table(summary)] == [
        "no_address", "outbox", "failed: 421 try later", "unchanged"]
