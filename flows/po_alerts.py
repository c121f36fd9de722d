"""The alert for purchase orders a cutoff left undelivered: an email that failed (`email_failed:`)
or a PO its supplier's system did not take (`po_failed:`, po_transport = api). The run emits the
event `cutoff.run.po-not-delivered`; `cutoff serve` makes the automation `cutoff: purchase orders
not delivered` on it (flows/alerts.py holds the others, and sends it the same ways)."""

from __future__ import annotations

UNDELIVERED_EVENT = "cutoff.run.po-not-delivered"
KINDS = ("email_failed: ", "po_failed: ")
SHOWN = 10


def undelivered(summary: dict) -> list[str]:
    """The `email_failed:` and `po_failed:` warnings of a summary, without their prefix."""
    return [w.split(": ", 1)[1] for w in summary.get("warnings", []) if w.startswith(KINDS)]


def undelivered_event(summary: dict, resource: dict, facts: dict) -> list[dict]:
    """The event (emit_event's keyword arguments) when some purchase order was not delivered."""
    lines = undelivered(summary)
    if not lines:
        return []
    shown = "\n".join(f"- {line}" for line in lines[:SHOWN]) + (f"\n- ... and {len(lines) - SHOWN} more"
                                                                if len(lines) > SHOWN else "")
    return [{"event": UNDELIVERED_EVENT, "resource": resource,
             "payload": {**facts, "undelivered": len(lines), "details": shown}}]


def undelivered_alert(cutoff_deployments: dict) -> dict:
    """The automation's fields (flows/alerts.py AlertSpec), for the cutoff deployments' `match_related`."""
    return dict(
        key="undelivered", name="cutoff: purchase orders not delivered",
        description="A cutoff completed, but some supplier's purchase order did not go out: an email that failed, "
                    "or a PO its system did not take (po_transport = api). Made by `cutoff serve`.",
        trigger={"posture": "Reactive", "expect": [UNDELIVERED_EVENT], "match": {"prefect.resource.id": "cutoff.*"},
                 "match_related": cutoff_deployments, "for_each": ["prefect.resource.id"], "threshold": 1,
                 "within": 0},
        subject="[cutoff] {{ event.resource.name }}: {{ event.payload.undelivered }} purchase order(s) not delivered",
        body=(
            "What happened: the cutoff {{ event.resource.name }} completed (its data and sheets are complete), but "
            "{{ event.payload.undelivered }} purchase order(s) did not reach the supplier, after the run's retries:\n"
            "{{ event.payload.details }}\n\n"
            "Which cutoff: {{ event.resource.name }}. Those suppliers do not know what to deliver yet.\n\n"
            "What to do (docs/ops.md, \"When something goes wrong\", and docs/po-api.md): fix the cause (the mail "
            "server, the supplier's system, or what its answer says), then run `cutoff resend --calendar "
            "{{ event.payload.calendar }} --date {{ event.payload.cutoff_date }}` (or a custom run of resend/resend): "
            "it delivers only what is still undelivered, and an API purchase order goes again with the same "
            "Idempotency-Key, so the supplier's system drops a repeat. If the cause stays, send the workbook "
            "(purchase/<supplier>.xlsx in the run folder) by hand.\n" + "Run: @UI@/runs/flow-run/{{ flow_run.id }}"),
        about="{{ event.resource.name }}")
