"""An alert for ops as an email (the alert flow, flows/alert_email.py, sends it), and the outbox
copy written when no mail server is configured."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from mail.message import split_addresses
from outputs.files import atomic_write_bytes


class AlertSettings(Protocol):
    """What an alert takes from the settings (flows/settings.py Settings has them)."""

    platform_name: str
    mail_from: str
    ops_email: str


def alert_message(settings: AlertSettings, kind: str, subject: str, body: str,
                  now: datetime | None = None) -> EmailMessage:
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


def write_alert_outbox(reports_dir: Path, kind: str, message: EmailMessage) -> Path:
    """`<reports dir>/alerts/<UTC time>-<kind>.eml`: the alert, when no mail server is configured."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = reports_dir / "alerts" / f"{stamp}-{kind}.eml"
    atomic_write_bytes(path, bytes(message))
    return path
