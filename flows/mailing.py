"""The email stage: each supplier's purchase order (采购单) by email, exactly once per content.

After a run has published its folder, `send_purchase_orders` gives every supplier with an address
one message (mail/message.py), over SMTP (mail/transport.py) or into the outbox, and records it
(mail/record.py: the same content as the last delivery sends nothing, changed content goes out as
the next revision, 修订版). One Prefect task per supplier (`send_one`) carries the retries with
backoff. The SMTP password from a Prefect Secret block is resolved here. See docs/email.md.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from flows.console import CONSOLE_QUIET
from flows.settings import Settings
from mail.message import PurchaseOrderMail, build_message, content_hash, split_addresses
from mail.record import MailStatuses, latest_deliveries, next_revision, record_email
from mail.transport import Delivery, deliver, error_text
from outputs.files import atomic_write_bytes
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse

RETRY_DELAYS: tuple[float, ...] = (1, 4)  # seconds before the 2nd and the 3rd attempt
STATUS_WORDS = {  # a status as ops read it in the run's log, in the order they are listed
    "sent": "emailed", "revised": "emailed again as a revision (修订版)", "unchanged": "unchanged, not sent again",
    "outbox": "written to the outbox, not emailed", "no_address": "not sent: no email address",
    "failed": "not sent: the mail server refused or failed"}
NAMED = ("no_address", "failed")  # statuses whose suppliers the line names (ops act on them)
PASSWORD_BLOCK_ENV = "CUTOFF_SMTP_PASSWORD_BLOCK"  # name of a Prefect Secret block holding the password


def _log() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger inside a flow or task (shown in the UI), else a plain one."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("cutoff.mailer")


def smtp_password(settings: Settings, environ: dict | None = None) -> str:
    """`CUTOFF_SMTP_PASSWORD` (settings.smtp_password), else the Prefect Secret block named by
    `CUTOFF_SMTP_PASSWORD_BLOCK`, else none. Without `smtp_user` there is no login: no password."""
    if settings.smtp_password or not settings.smtp_user:
        return settings.smtp_password
    block = (os.environ if environ is None else environ).get(PASSWORD_BLOCK_ENV, "").strip()
    if not block:
        return ""
    from prefect.blocks.system import Secret
    return str(Secret.load(block).get())


@task(name="send_one", task_run_name="email {supplier_id}", retries=len(RETRY_DELAYS),
      retry_delay_seconds=list(RETRY_DELAYS), cache_policy=NO_CACHE, log_prints=False)
def send_one(supplier_id: str, message: EmailMessage, settings: Settings, delivery: Delivery) -> dict:
    """One supplier's message, with retries and backoff (1 s, then 4 s). An attempt after the
    server accepted the message (only recording it failed) sends nothing again: it records."""
    if delivery.accepted is None:
        deliver(message, settings, on_accepted=delivery.accept, log=_log())
    elif not delivery.recorded:
        delivery.accept(delivery.accepted)
    return delivery.accepted or {}


def send_purchase_orders(warehouse: Warehouse, window: CutoffWindow, mails: list[PurchaseOrderMail],
                         settings: Settings, outbox_dir: Path, send_email: bool = True, *,
                         retry_delays: Sequence[float] = RETRY_DELAYS) -> MailStatuses:
    """Each supplier's PO once per content -> {supplier_id: status} (see STATUSES), with `.errors`.

    Call after the run folder is published, and only when the run did not stop on bad input.
    Without `settings.smtp_host` the messages go to `outbox_dir/<supplier_id>.eml` under the same
    exactly-once rule. A delivery is recorded in `emails` the moment the server accepts it."""
    if not send_email:  # --no-email: nothing goes over SMTP; the messages are left in the outbox
        settings = replace(settings, smtp_host="")
    channel = "smtp" if settings.smtp_host else "outbox"
    setup_error: str | None = None
    if channel == "smtp":
        try:
            settings = replace(settings, smtp_password=smtp_password(settings))
        except Exception as exc:  # a missing or unreadable Secret block: every send fails, visibly
            block = os.environ.get(PASSWORD_BLOCK_ENV)
            setup_error = f"SMTP password from Prefect Secret block {block!r}: {error_text(exc)}"
    sender = send_one.with_options(retries=len(retry_delays), retry_delay_seconds=list(retry_delays) or 0)
    statuses = MailStatuses()
    delivered = latest_deliveries(warehouse, window, channel)  # once, not a query per supplier
    for mail in mails:
        status, error = _send_mail(warehouse, window, mail, settings, outbox_dir, channel, sender, setup_error,
                                   attempts=len(retry_delays) + 1, last=delivered.get(mail.supplier_id))
        statuses[mail.supplier_id] = status
        if error is not None:
            statuses.errors[mail.supplier_id] = error
            # one readable line per supplier in the Prefect UI; the CLI prints its own warning
            _log().error("purchase order %s to %s not sent: %s. It is recorded failed; the next run of this "
                         "cutoff sends it.", mail.po_number, ", ".join(mail.emails), error,
                         extra={CONSOLE_QUIET: True})
    for mail in mails:
        if statuses.get(mail.supplier_id) == "no_address":
            _log().warning("purchase order %s of %s %s was not emailed: the supplier has no email address in "
                           "master/suppliers.csv. Add one and run this cutoff again: it is emailed then.",
                           mail.po_number, mail.supplier_id, mail.supplier_name, extra={CONSOLE_QUIET: True})
    _log().info("purchase-order emails for %s: %s", window.label, describe_emails(statuses))
    return statuses


def describe_emails(statuses: dict[str, str], shown: int = 5) -> str:
    """The email statuses as a sentence: '19 written to the outbox, not emailed; 1 not sent: no email
    address (S007)'; the suppliers ops act on named (at most `shown`)."""
    counts = Counter(statuses.values())
    parts = []
    for status, words in STATUS_WORDS.items():
        if not counts[status]:
            continue
        part = f"{counts[status]:,} {words}"
        if status in NAMED:
            named = sorted(s for s, st in statuses.items() if st == status)
            part += f" ({', '.join(named[:shown])}{', ...' if len(named) > shown else ''})"
        parts.append(part)
    parts += [f"{n:,} {status}" for status, n in sorted(counts.items()) if status not in STATUS_WORDS]
    return "; ".join(parts) or "no purchase order to send"


def _send_mail(warehouse: Warehouse, window: CutoffWindow, mail: PurchaseOrderMail, settings: Settings,
               outbox_dir: Path, channel: str, sender, setup_error: str | None,
               attempts: int, last: dict | None) -> tuple[str, str | None]:
    """-> (status, why it failed or None). `last`: the supplier's latest delivery on the channel."""
    if not mail.emails:
        return "no_address", None
    digest = content_hash(window, mail)
    eml = outbox_dir / f"{mail.supplier_id}.eml"
    revision = next_revision(last, digest, channel, eml.is_file())
    if revision is None:
        return "unchanged", None
    record = dict(content_hash=digest, revision=revision, channel=channel,
                  recipients="; ".join(mail.emails + split_addresses(settings.mail_cc)))
    try:
        message = build_message(window, mail, settings, revision, digest)
    except OSError as exc:  # the workbook is not there: this supplier fails, the others go on
        error = f"cannot attach {mail.workbook}: {error_text(exc)}"
        record_email(warehouse, window, mail, **record, status="failed", error=error)
        return "failed", error
    record["message_id"] = message["Message-ID"]
    if channel == "outbox":
        atomic_write_bytes(eml, message.as_bytes(policy=policy.SMTP))
        record_email(warehouse, window, mail, **record, status="outbox")
        return "outbox", None
    if setup_error:
        record_email(warehouse, window, mail, **record, status="failed", error=setup_error)
        return "failed", setup_error
    status = "sent" if revision == 1 else "revised"

    def record_accepted(refused: dict) -> None:
        error = f"refused: {', '.join(sorted(refused))}" if refused else None
        record_email(warehouse, window, mail, **record, status=status, error=error)

    delivery = Delivery(record["message_id"], record_accepted)
    state = sender(mail.supplier_id, message, settings, delivery, return_state=True)
    delivery.release()
    if delivery.recorded:
        return status, None
    exc = state.result(raise_on_failure=False)
    exc = exc if isinstance(exc, BaseException) else None
    if exc is not None:  # Prefect keeps the state; its traceback would keep our frames alive
        exc.__traceback__ = None
    if delivery.accepted is not None:  # sent, but the warehouse refused the record on every attempt
        raise RuntimeError(f"purchase order {mail.po_number} was accepted by the mail server (Message-ID "
                           f"{delivery.message_id}) but could not be recorded in `emails`: {error_text(exc)}")
    error = f"{error_text(exc)}, after {attempts} attempt{'s' if attempts != 1 else ''}"
    record_email(warehouse, window, mail, **record, status="failed", error=error)
    return "failed", error
