"""The purchase orders of the suppliers on `po_transport = api`: each posted to its system, exactly
once per content (docs/po-api.md).

For each such supplier with something to deliver, `post_purchase_orders` decides the revision
(transforms/po_delivery.py), opens it with a `pending` row when it is new (its body frozen in
`po_deliveries`: every attempt, in any run, sends those bytes with the same Idempotency-Key), then
posts it (supplier_api/poster.py), the suppliers side by side: one thread each, at most
MAX_PARALLEL, so a supplier whose endpoint hangs costs the run its budget (300 s) once, not once
per supplier. A delivery is recorded the moment its 2xx is read; what is still undelivered is
recorded `failed` and told: one error line per supplier in the run's log, a `po_failed:` warning in
summary.json. `deliver_purchase_orders` is the whole delivery stage: email and API.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from flows.console import CONSOLE_QUIET
from flows.mailing import RETRY_DELAYS, describe_emails, send_purchase_orders
from flows.po_secrets import po_secrets
from flows.run_log import run_logger
from flows.settings import Settings
from mail.message import PurchaseOrderMail, attachment_name
from mail.record import MailStatuses
from supplier_api.poster import Outcome, PoRequest, Timing, post_with_retries
from supplier_api.record import PoRecord, latest_revisions
from transforms.po_body import data_hash, idempotency_key, purchase_order_data, request_body, workbook_part
from transforms.po_delivery import plan_revision, summary_status, with_po_results
from transforms.summary import with_email_results
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse

MAX_PARALLEL = 8


@dataclass
class Delivered:
    """What the delivery stage did: the email statuses (with `.errors`), each API supplier's result
    (summary `api`), and every supplier's transport."""

    emails: MailStatuses
    api: dict[str, dict] = field(default_factory=dict)
    transports: dict[str, str] = field(default_factory=dict)

    def summary(self, summary: dict) -> dict:
        """summary.json after the stage: `email`, `po_transport`, `api`, and the warnings."""
        return with_po_results(with_email_results(summary, self.emails, self.emails.errors), self.transports,
                               self.api)

    def counts(self) -> str:
        """`2 emailed; 1 unchanged, not sent again; api: 1 delivered` (the stage's line in the log:
        the emails as flows/mailing.py words them, then the API answers)."""
        emails = describe_emails(self.emails) if self.emails else ""
        api = ", ".join(f"{n} {s}" for s, n in sorted(Counter(r["status"] for r in self.api.values()).items()))
        return "; ".join(part for part in (emails, f"api: {api}" if api else "") if part) or "none"


def transports_of(suppliers: pl.DataFrame) -> dict[str, str]:
    """{supplier_id: email | api} of the master data (a warehouse made before po_transport: email)."""
    if "po_transport" not in suppliers.columns:
        return dict.fromkeys(suppliers["supplier_id"].to_list(), "email")
    return {row["supplier_id"]: row["po_transport"] or "email"
            for row in suppliers.select("supplier_id", "po_transport").iter_rows(named=True)}


def deliver_purchase_orders(warehouse: Warehouse, window: CutoffWindow, mails: list[PurchaseOrderMail],
                            suppliers: pl.DataFrame, settings: Settings, outbox_dir: Path, send: bool = True, *,
                            via: str = "run", retry_delays=RETRY_DELAYS, timing: Timing | None = None) -> Delivered:
    """Every supplier's purchase order, each by its transport, once per content. The secrets of
    the suppliers on `api` are resolved first: one missing stops it (UserError) before anything goes
    out. `send=False` (--no-email): no SMTP, nothing posted (API POs `held`)."""
    transports = transports_of(suppliers)
    on_api = [mail for mail in mails if transports.get(mail.supplier_id) == "api"]
    secrets = po_secrets(settings, [mail.supplier_id for mail in on_api]) if send else {}
    by_email = [mail for mail in mails if transports.get(mail.supplier_id) != "api"]
    emails = send_purchase_orders(warehouse, window, by_email, settings, outbox_dir, send_email=send,
                                  retry_delays=retry_delays)
    api = post_purchase_orders(warehouse, window, on_api, suppliers, secrets, settings, send=send, via=via,
                               timing=timing)
    return Delivered(emails, api, transports)


@dataclass(frozen=True)
class _Job:
    mail: PurchaseOrderMail
    request: PoRequest
    revision: int
    digest: str


def _at(instant: datetime | None, window: CutoffWindow) -> str | None:
    return instant.astimezone(ZoneInfo(window.timezone)).isoformat(timespec="seconds") if instant else None


def _result(status: str, revision: int, key: str, at: datetime | None, window: CutoffWindow, **values) -> dict:
    return {"status": status, "revision": revision, "idempotency_key": key, "at": _at(at, window),
            "reference": values.get("reference"), "http_status": values.get("http_status"),
            "attempts": int(values.get("attempts") or 0), "error": values.get("error")}


def post_purchase_orders(warehouse: Warehouse, window: CutoffWindow, mails: list[PurchaseOrderMail],
                         suppliers: pl.DataFrame, secrets: dict[str, str], settings: Settings, *, send: bool = True,
                         via: str = "run", timing: Timing | None = None) -> dict[str, dict]:
    """{supplier_id: result} (summary `api`: status, revision, idempotency_key, at, reference, ...)
    for these mails, all of suppliers on `api`."""
    if not mails:
        return {}
    log = run_logger()
    timing = timing or Timing(timeout=settings.po_timeout, budget=settings.po_budget_seconds)
    master = {row["supplier_id"]: row for row in suppliers.iter_rows(named=True)}
    latest = latest_revisions(warehouse, window)
    record = PoRecord(warehouse, window, via)
    results: dict[str, dict] = {}
    jobs: list[_Job] = []
    opened: list[dict] = []  # the pending rows of the revisions opened now
    for mail in mails:
        supplier = master.get(mail.supplier_id, {})
        data = purchase_order_data(
            calendar=window.calendar, cutoff_date=window.cutoff_date, cutoff_at=window.end,
            supplier_id=mail.supplier_id, supplier_name=mail.supplier_name, po_number=mail.po_number,
            delivery_window=mail.delivery_window, warehouse_address=settings.warehouse_address,
            min_order_fen=int(supplier.get("min_order_fen") or 0), below_minimum=mail.below_minimum,
            lines=mail.lines)
        digest = data_hash(data)
        last = latest.get(mail.supplier_id)
        plan = plan_revision(last, digest)
        key = idempotency_key(mail.po_number, plan.revision)
        if plan.unchanged:
            results[mail.supplier_id] = _result("unchanged", plan.revision, key, last["at"], window,
                                                reference=last["reference"], http_status=last["http_status"])
            continue
        if not send:  # --no-email: nothing goes out; the next run (or `cutoff resend`) posts it
            results[mail.supplier_id] = _result("held", plan.revision, key, None, window)
            continue
        url = str(supplier.get("po_url") or "")
        if plan.new:
            try:
                workbook = workbook_part(attachment_name(mail, settings.lang), mail.workbook.read_bytes())
            except OSError as exc:  # the workbook is not there: this supplier fails, the others go on
                error = f"cannot attach {mail.workbook}: {type(exc).__name__}: {exc}"
                results[mail.supplier_id] = _result("failed", plan.revision, key, None, window, error=error)
                log.error("purchase order %s to %s not posted: %s", key, mail.supplier_id, error,
                          extra={CONSOLE_QUIET: True})
                continue
            body = request_body(data, plan.revision, workbook)
            opened.append(dict(supplier_id=mail.supplier_id, po_number=mail.po_number, revision=plan.revision,
                               key=key, content_hash=digest, status="pending", url=url, body=body.decode("utf-8")))
        else:  # the newest revision again, not delivered yet: the very bytes it was opened with
            body = last["body"].encode("utf-8")
        request = PoRequest(mail.supplier_id, url, body, key, secrets[mail.supplier_id])
        jobs.append(_Job(mail, request, plan.revision, digest))
    record.write_all(opened)  # every new revision, committed before its first request
    if jobs:
        with ThreadPoolExecutor(min(MAX_PARALLEL, len(jobs)), thread_name_prefix="po-api") as pool:
            done = list(pool.map(lambda job: (job, _post(job, record, timing, log)), jobs))
        for job, (outcome, at) in done:
            results[job.mail.supplier_id] = _told(job, outcome, at, window, log)
    counts = Counter(result["status"] for result in results.values())
    log.info("purchase orders by API for %s: %s", window.label,
             ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return dict(sorted(results.items()))


def _post(job: _Job, record: PoRecord, timing: Timing, log) -> tuple[Outcome, datetime]:
    """Post one supplier's PO; record `delivered` the moment its 2xx is read, else `failed`."""
    recorded: list[datetime] = []
    mail, request = job.mail, job.request
    row = dict(supplier_id=mail.supplier_id, po_number=mail.po_number, revision=job.revision, key=request.key,
               content_hash=job.digest, url=request.url)

    def delivered(outcome: Outcome) -> None:
        recorded.append(record.write(**row, status="delivered", **_facts(outcome)))

    outcome = post_with_retries(request, timing, delivered, log)
    if not outcome.delivered:
        recorded.append(record.write(**row, status="failed", **_facts(outcome)))
    return outcome, recorded[-1]


def _facts(outcome: Outcome) -> dict:
    return dict(attempts=outcome.attempts, http_status=outcome.http_status, reference=outcome.reference,
                answer=outcome.answer, error=outcome.error, first_attempt_at=outcome.first_attempt_at)


def _told(job: _Job, outcome: Outcome, at: datetime, window: CutoffWindow, log) -> dict:
    """The supplier's result, and its line in the run's log (an error line when not delivered)."""
    state = "delivered" if outcome.delivered else "failed"
    result = _result(summary_status(state, job.revision, posted=True), job.revision, job.request.key, at, window,
                     **_facts(outcome))
    if outcome.delivered:
        log.info("purchase order %s delivered to %s (%s) after %d attempt(s)%s", job.request.key, job.mail.supplier_id,
                 job.request.url, outcome.attempts, f", their reference {outcome.reference}" if outcome.reference
                 else "")
    else:
        log.error("purchase order %s to %s (%s) not delivered: %s. It is recorded failed; the next run of this cutoff "
                  "or `cutoff resend` posts it again, with the same Idempotency-Key.", job.request.key,
                  job.mail.supplier_id, job.request.url, outcome.error, extra={CONSOLE_QUIET: True})
    return result

