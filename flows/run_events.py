"""The custom events a finished cutoff run emits (the alerts' automations of flows/alerts.py match
them), each with a plain sentence in the run's log, and the message of a Completed state that ops
must not take for a normal one."""

from __future__ import annotations

import logging

from flows.console import CONSOLE_QUIET
from flows.po_alerts import UNDELIVERED_EVENT, undelivered_event

EMPTY_EVENT = "cutoff.run.empty"
INBOX_EVENT = "cutoff.run.inbox-not-ready"
STALE_EVENT = "cutoff.run.later-runs-stale"
STALE_KINDS = ("goods_in_stale: ", "pool_stale: ")  # warnings that name runs to do again


def _log() -> logging.Logger | logging.LoggerAdapter:
    try:
        from prefect.logging import get_run_logger
        return get_run_logger()
    except Exception:  # outside a flow or task run
        return logging.getLogger("cutoff.alerts")


# ---- events a cutoff run emits ---------------------------------------------------------------------

def cutoff_events(summary: dict, warnings: tuple[str, ...] | list[str] = ()) -> list[dict]:
    """The custom events a finished cutoff run emits: `cutoff.run.empty` with no eligible order
    line, `cutoff.run.inbox-not-ready` when it went on without a ready inbox. Plain dicts
    (the keyword arguments of `emit_event`)."""
    label = f"{summary['calendar']} {summary['cutoff_date']}"
    resource = {"prefect.resource.id": f"cutoff.{summary['calendar']}.{summary['cutoff_date']}",
                "prefect.resource.name": label}
    facts = {"calendar": summary["calendar"], "cutoff_date": summary["cutoff_date"],
             "window_end": summary["window"]["end"], "listings_closed": summary["listings_closed"],
             "eligible": summary["order_lines"]["eligible"], "rejected": summary["order_lines"]["rejected"]}
    events = []
    if summary["order_lines"]["eligible"] == 0:
        events.append({"event": EMPTY_EVENT, "resource": resource, "payload": facts})
    inbox = [w for w in warnings if w.startswith("inbox_not_ready: ")]
    if inbox:
        events.append({"event": INBOX_EVENT, "resource": resource,
                       "payload": {**facts, "warning": inbox[0].removeprefix("inbox_not_ready: ")}})
    stale = [w for w in summary.get("warnings", []) if w.startswith(STALE_KINDS)]
    if stale:
        events.append({"event": STALE_EVENT, "resource": resource, "payload": {**facts, "warning": "\n".join(stale)}})
    return events + undelivered_event(summary, resource, facts)


def event_sentence(event: dict) -> str:
    """What a run's event means, as ops read it in the run's log (and, for an empty cutoff, as the
    Completed state's message): a plain sentence, not the event's payload."""
    facts = event["payload"]
    label = f"{facts['calendar']} {facts['cutoff_date']}"
    if event["event"] == EMPTY_EVENT:
        return (f"No order lines: no paid order line belongs to the {label} cutoff ({facts['listings_closed']} "
                f"listing(s) closed, {facts['rejected']} row(s) rejected), so no purchase order, sorting sheet or "
                "handout list was made. That is almost always a missing or broken order export: check inbox/orders "
                "and the run folder's rejects.csv, then run this cutoff again. Ops are alerted.")
    if event["event"] == INBOX_EVENT:
        return (f"The order export of the {label} cutoff was not ready by its deadline ({facts['warning']}); the "
                "run went on with the files there were. Once the export is complete, run this cutoff again. Ops "
                "are alerted.")
    if event["event"] == UNDELIVERED_EVENT:
        return (f"{facts['undelivered']} purchase order(s) of the {label} cutoff did not reach the supplier after the "
                f"run's retries:\n{facts['details']}\nOnce the address or endpoint is right, run `cutoff resend "
                f"--calendar {facts['calendar']} --date {facts['cutoff_date']}`. Ops are alerted.")
    if event["event"] == STALE_EVENT:
        return (f"This rerun of the {label} cutoff changed what later runs decided from; run them again:\n"
                f"{facts['warning']}\nOps are alerted.")
    return f"{event['event']} for the {label} cutoff."


def report_cutoff_events(summary: dict, warnings: tuple[str, ...] | list[str] = ()) -> None:
    """Emit the run's custom events (related to its flow run and deployment by Prefect), each with
    a plain sentence in the run's log. Never fails the run."""
    try:
        from prefect.events import emit_event
        for event in cutoff_events(summary, warnings):
            emit_event(**event)
            # the command line says undelivered purchase orders in its own words (flows/cli.py)
            quiet = {CONSOLE_QUIET: True} if event["event"] == UNDELIVERED_EVENT else None
            _log().warning(event_sentence(event), extra=quiet)
    except Exception as exc:  # an alert is a convenience: it never fails the run
        _log().warning("could not emit the run's events (%s: %s)", type(exc).__name__, exc)


def completed_message(summary: dict) -> str | None:
    """The message of a completed cutoff run that ops must not take for a normal one (the UI shows
    it with the green Completed state): a cutoff with no order lines. None otherwise."""
    empty = [e for e in cutoff_events(summary) if e["event"] == EMPTY_EVENT]
    return event_sentence(empty[0]) if empty else None
