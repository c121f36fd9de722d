"""The alert email: the `alert/alert` deployment, which the alert automations (flows/alerts.py)
start and `cutoff serve` runs. The serve process holds the SMTP settings and secrets; the message
(mail/alert.py) goes over the supplier mailer's transport (mail/transport.py) to CUTOFF_OPS_EMAIL.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from email.message import EmailMessage

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from flows.mailing import smtp_password
from flows.settings import Settings, load_settings
from mail.alert import alert_message, write_alert_outbox
from mail.transport import deliver

SEND_RETRY_DELAYS = (5, 30)


def _log() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except Exception:  # outside a flow or task run
        return logging.getLogger("cutoff.alerts")


@task(name="send_alert", retries=len(SEND_RETRY_DELAYS), retry_delay_seconds=list(SEND_RETRY_DELAYS),
      cache_policy=NO_CACHE)
def send_alert(message: EmailMessage, settings: Settings) -> dict:
    return deliver(message, settings, log=_log())


@flow(name="alert", flow_run_name="alert {kind}: {about}", validate_parameters=True)
def alert_flow(kind: str, subject: str, body: str, about: str = "") -> str:
    """Email one alert to CUTOFF_OPS_EMAIL over the configured SMTP (started by an automation).
    Without an SMTP host the message is written to <reports dir>/alerts/.

    Args:
        kind: Which alert (the automation's key): set by the automation.
        subject: The email's subject line.
        body: The email's text.
        about: The flow run or deployment it concerns (for the run's name).
    """
    settings = load_settings()
    logger = _log()
    if not settings.ops_email:
        logger.warning("alert %s not emailed: CUTOFF_OPS_EMAIL is not set", kind)
        return "no_address"
    message = alert_message(settings, kind, subject, body)
    if not settings.smtp_host:
        path = write_alert_outbox(settings.reports_dir, kind, message)
        logger.warning("alert %s written to %s: no SMTP server (CUTOFF_SMTP_HOST) is configured", kind, path)
        return "outbox"
    settings = replace(settings, smtp_password=smtp_password(settings))
    refused = send_alert(message, settings)
    if refused:
        logger.warning("alert %s refused by the mail server for %s", kind, ", ".join(refused))
    logger.info("alert %s emailed to %s: %s", kind, settings.ops_email, subject)
    return "sent"
