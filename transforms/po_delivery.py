"""The rules of posting a purchase order to a supplier's system (po_transport = api,
docs/po-api.md): which revision a PO goes out as, what an answer means and when to try again, and
what the run's summary says. Pure: times, answers and the state of the record come in as values.

Exactly once per content: a revision, once opened, keeps its content, its Idempotency-Key and its
body for good. The same content as the newest revision posts nothing when that revision was
delivered, and that revision again (same key, same body) when it was not; other content opens the
next revision. A revision is never reused for other content, even one whose delivery is unknown
(a killed run): the supplier would drop it as a repeat of a key it has seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # seconds before the 2nd, 3rd, ... attempt (the last repeats)
BUDGET_SECONDS = 300.0                      # what one supplier's attempts may cost a run, at most
ANSWER_CHARS = 1000                         # of a supplier's answer kept in the record
WARNING_CHARS = 200                         # of the answer or error in the `po_failed:` warning
# summary `suppliers[].api.status`
STATUSES = ("delivered", "revised", "unchanged", "failed", "held")


@dataclass(frozen=True)
class RevisionPlan:
    """What to post for one supplier: `revision`, whether it is `new` (open it: a pending row with
    a new body) or the newest one again (its stored body), or nothing (`unchanged`)."""

    revision: int
    new: bool
    unchanged: bool


def plan_revision(latest: dict | None, digest: str) -> RevisionPlan:
    """`latest`: the supplier's newest revision of this PO ({revision, content_hash, state}, state
    one of pending, delivered, failed) or None. `digest`: the content hash of the PO now."""
    if latest is None:
        return RevisionPlan(1, new=True, unchanged=False)
    if latest["content_hash"] != digest:
        return RevisionPlan(int(latest["revision"]) + 1, new=True, unchanged=False)
    return RevisionPlan(int(latest["revision"]), new=False, unchanged=latest["state"] == "delivered")


def classify(status: int) -> str:
    """An HTTP status -> `delivered` (2xx), `retry` (5xx, 429 Too Many Requests, 408 Request
    Timeout: the supplier's side is busy or down) or `refused` (any other: not tried again in the
    run; a 3xx too, as redirects are not followed)."""
    if 200 <= status < 300:
        return "delivered"
    if status >= 500 or status in (408, 429):
        return "retry"
    return "refused"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header: delta-seconds (`120`) or an HTTP date, as seconds from `now` (never
    negative); None when absent or unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(attempt: int, delays: tuple[float, ...] | list[float] = BACKOFF) -> float:
    """The wait after failed attempt number `attempt` (1, 2, ...): `delays` in turn, the last repeating."""
    if not delays:
        return 0.0
    return float(delays[min(attempt, len(delays)) - 1])


def wait_before_retry(attempt: int, retry_after: float | None, remaining: float,
                      delays: tuple[float, ...] | list[float] = BACKOFF) -> float | None:
    """How long to wait before trying again after failed attempt `attempt`: the supplier's
    Retry-After when it gave one, else the backoff. None: do not try again in this run, because the
    wait would not end within the `remaining` seconds of the budget."""
    wait = retry_after if retry_after is not None else backoff_seconds(attempt, delays)
    return wait if wait < remaining else None


def answer_reference(answer: dict | list | str | int | float | None) -> str | None:
    """The supplier's own reference from a 2xx answer (JSON): its `reference` field, a string or a
    number; None otherwise."""
    if not isinstance(answer, dict):
        return None
    reference = answer.get("reference")
    if isinstance(reference, bool) or not isinstance(reference, (str, int)):
        return None
    text = str(reference).strip()
    return text[:200] or None


def failure_text(status: int | None, reason: str, answer: str | None, error: str | None) -> str:
    """What went wrong, for people: `HTTP 400 Bad Request: <the supplier's answer>`, or the error
    (a timeout, a refused connection) when there was no answer."""
    if status is None:
        return error or "no answer"
    head = f"HTTP {status}{f' {reason}' if reason else ''}"
    body = " ".join((answer or "").split())
    return f"{head}: {body}" if body else head


def po_failed_warning(supplier_id: str, text: str) -> str:
    """`po_failed: S1: <the first 200 characters of the answer or the error>`."""
    return f"po_failed: {supplier_id}: {' '.join(text.split())[:WARNING_CHARS]}"


def summary_status(state: str, revision: int, posted: bool) -> str:
    """The summary's status of a PO: `delivered` (revision 1) or `revised` (a later one) when this
    run delivered it, `unchanged` when an earlier run had, else `failed`."""
    if state != "delivered":
        return "failed"
    if not posted:
        return "unchanged"
    return "delivered" if revision == 1 else "revised"


def with_po_results(summary: dict, transports: dict[str, str], results: dict[str, dict]) -> dict:
    """The summary after the purchase orders went out (a new dict): each supplier's `po_transport`
    and `api`: for one on `api` its result ({status, revision, idempotency_key, at, reference,
    http_status, attempts, error}; `results` holds only those), else None; `email` stays the
    contract's key (empty for a supplier on `api`, which gets no email). A `po_failed` warning for
    each PO that was not delivered, in supplier order."""
    suppliers = []
    for supplier in summary["suppliers"]:
        supplier_id = supplier["supplier_id"]
        transport = transports.get(supplier_id, "email")
        suppliers.append({**supplier, "po_transport": transport, "api": results.get(supplier_id)})
    failed = [po_failed_warning(supplier_id, result.get("error") or "not delivered")
              for supplier_id, result in sorted(results.items()) if result.get("status") == "failed"]
    return {**summary, "suppliers": suppliers, "warnings": [*summary["warnings"], *failed]}


UNDELIVERED_PREFIXES = ("email_failed: ", "po_failed: ")
_SUPPLIER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # schemas.columns.ID_PATTERN, unanchored


def warning_supplier(warning: str) -> str | None:
    """The supplier of an `email_failed:` or `po_failed:` warning (`email_failed: S1 not emailed: ...`,
    `po_failed: S1: ...`); None for another warning. Supplier ids hold no space or colon."""
    if not warning.startswith(UNDELIVERED_PREFIXES):
        return None
    found = _SUPPLIER_ID.match(warning.split(": ", 1)[1])
    return found.group(0) if found else None


def acted_on(summary: dict) -> set[str]:
    """The suppliers a delivery (`cutoff resend`) did something for: a PO that went out or failed,
    not one it left `unchanged` (delivered before) or without an address."""
    acted = set()
    for supplier in summary["suppliers"]:
        if supplier.get("po_transport") == "api":
            if (supplier.get("api") or {}).get("status") not in (None, "unchanged", "held"):
                acted.add(supplier["supplier_id"])
        elif supplier.get("email") not in ("", None, "unchanged", "no_address"):
            acted.add(supplier["supplier_id"])
    return acted


def with_resent(summary: dict, fresh: dict, acted: set[str]) -> dict:
    """The run's summary after `cutoff resend` (a new dict): for the suppliers in `acted`, their
    `email`, `po_transport` and `api` from `fresh` (the resend's, its warnings only its failures), and
    their `email_failed:` / `po_failed:` warnings replaced by the resend's; the rest as it was."""
    new = {s["supplier_id"]: s for s in fresh["suppliers"] if s["supplier_id"] in acted}
    suppliers = [{**s, **{k: new[s["supplier_id"]].get(k) for k in ("email", "po_transport", "api")}}
                 if s["supplier_id"] in new else s for s in summary["suppliers"]]
    kept = [w for w in summary["warnings"] if warning_supplier(w) not in acted]
    return {**summary, "suppliers": suppliers,
            "warnings": kept + [w for w in fresh["warnings"] if warning_supplier(w) in acted]}
