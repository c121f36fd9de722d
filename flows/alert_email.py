"""The alert email: the `alert/alert` deployment, which the alert automations (flows/alerts.py)
start and `cutoff serve` runs. The serve process holds the SMTP settings and secrets; the message
goes over the supplier mailer's transport (flows/mailer.py: deliver) to CUTOFF_OPS_EMAIL.
"""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.settings import Settings, load_settings

SEND_RETRY_DELAYS = (5, 30)


def _log() -> logging.Logger | logging.LoggerAdapter:
    try:
        from prefect.logging import get_run_logger
        return get_run_logger()
    except Exception:  # outside a flow or task run
        return logging.getLogger("cutoff.alerts")


def alert_message(settings: Settings, kind: str, subject: str, body: str, now: datetime | None = None) -> EmailMessage:
    from flows.mailer import split_addresses
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((f"{settings.platform_name} cutoff", settings.mail_from)) \
        if settings.platform_name else settings.mail_from
    message["To"] = ", ".join(split_addresses(settings.ops_email))
    message["Date"] = format_datetime(now or datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid("cutoff-alert", settings.mail_from.rpartition("@")[2] or "localhost")
    message["X-Cutoff-Alert"] = kind
    footer = f"\n\n-- \nSent by `cutoff serve` on {socket.gethostname()} (alert {kind}; docs/ops.md, Alerts)."
    message.set_content(body + footer, cte="base64")
    return message


@task(name="send_alert", retries=len(SEND_RETRY_DELAYS), retry_delay_seconds=list(SEND_RETRY_DELAYS),
      cache_policy=NO_CACHE)
def send_alert(message: EmailMessage, settings: Settings) -> dict:
    from flows.mailer import deliver
    return deliver(message, settings)


def _outbox(settings: Settings, kind: str, message: EmailMessage) -> Path:
    from outputs.files import atomic_write_bytes
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = settings.reports_dir / "alerts" / f"{stamp}-{kind}.eml"
    atomic_write_bytes(path, bytes(message))
    return path


@flow(name="alert", flow_run_name="alert {kind}: {about}", validate_parameters=True)
def alert_flow(kind: str, subject: str, body: str, about: str = "") -> str:
    """Email one alert to CUTOFF_OPS_EMAIL over the configured SMTP (started by an automation).
    Without an SMTP host the message is written to <reports dir>/alerts/."""
    from dataclasses import replace

    from flows.mailer import smtp_password
    settings = load_settings()
    logger = _log()
    if not settings.ops_email:
        logger.warning("alert %s not emailed: CUTOFF_OPS_EMAIL is not set", kind)
        return "no_address"
    message = alert_message(settings, kind, subject, body)
    if not settings.smtp_host:
        path = _outbox(settings, kind, message)
        logger.warning("alert %s written to %s: no SMTP server (CUTOFF_SMTP_HOST) is configured", kind, path)
        return "outbox"
    settings = replace(settings, smtp_password=smtp_password(settings))
    refused = send_alert(message, settings)
    if refused:
        logger.warning("alert %s refused by the mail server for %s", kind, ", ".join(refused))
    logger.info("alert %s emailed to %s: %s", kind, settings.ops_email, subject)
    return "sent"
