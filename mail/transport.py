"""Sending one message over SMTP: plain smtplib (prefect-email sent octet-stream and mangled Chinese
file names), TLS checked against the system's CAs. A message is delivered the moment the server
answers 250 to DATA; what fails after that (the QUIT, the connection) is no failed send."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

LOG = logging.getLogger("cutoff.mail")


class SmtpSettings(Protocol):
    """The mail server (flows/settings.py Settings has these)."""

    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_security: str
    smtp_timeout: float


def tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificate and host name checked (STARTTLS and SSL)."""
    return ssl.create_default_context()


class Delivery:
    """One supplier's message across the attempts of its task. The delivery is recorded (`record`,
    a row of `emails`) the moment the server accepts the message: its 250 to DATA. Whatever fails
    after that (the QUIT, the connection) is no failed send, and an attempt after it sends nothing.

    A plain class, not a dataclass: Prefect passes it to every attempt as it is."""

    def __init__(self, message_id: str, record: Callable[[dict], None]):
        self.message_id = message_id
        self.record = record               # writes the delivered row, given the refused recipients
        self.accepted: dict | None = None  # the refused recipients, once the server accepted it
        self.recorded = False

    def accept(self, refused: dict) -> None:
        self.accepted = dict(refused)
        self.record(self.accepted)
        self.recorded = True

    def release(self) -> None:
        """After the last attempt: Prefect keeps a task's parameters; they must not keep the
        warehouse connection (held by `record`) alive."""
        self.record = _already_released


def _already_released(refused: dict) -> None:
    raise RuntimeError("this delivery is over: its record is no longer held")


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    security = settings.smtp_security
    port = settings.smtp_port or {"ssl": 465, "starttls": 587}.get(security, 25)
    if security == "ssl":
        return smtplib.SMTP_SSL(settings.smtp_host, port, timeout=settings.smtp_timeout, context=tls_context())
    return smtplib.SMTP(settings.smtp_host, port, timeout=settings.smtp_timeout)


def _say_goodbye(server: smtplib.SMTP, message_id: str, log: logging.Logger | logging.LoggerAdapter) -> None:
    """QUIT after an accepted message. Its answer does not matter any more: a 421, a dropped
    connection or a timeout is logged, never raised (smtplib's `with` would raise on a reply
    other than 221, and a retry would send the message twice)."""
    try:
        code, reply = server.docmd("QUIT")
        if code != 221:
            log.info("message %s was accepted; the server answered QUIT with %s %s (ignored)", message_id,
                        code, reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
    except (smtplib.SMTPException, OSError) as exc:
        log.info("message %s was accepted; the connection ended badly after it (ignored): %s", message_id,
                    error_text(exc))
    finally:
        server.close()


def deliver(message: EmailMessage, settings: SmtpSettings, on_accepted: Callable[[dict], None] | None = None,
            log: logging.Logger | logging.LoggerAdapter = LOG) -> dict:
    """One attempt: connect, (STARTTLS), (login), send, quit. Returns the refused recipients
    (empty when all were accepted); raises when the message was not accepted (the task retries).

    `on_accepted(refused)` runs as soon as the server has accepted the message (its 250 to DATA),
    before the QUIT: that is where the delivery is recorded."""
    server = _connect(settings)
    try:
        if settings.smtp_security == "starttls":
            server.starttls(context=tls_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password)
        refused = server.send_message(message)  # returns once the server has answered 250 to DATA
    except BaseException:
        server.close()
        raise
    try:
        if on_accepted is not None:
            on_accepted(refused)
    finally:
        _say_goodbye(server, str(message["Message-ID"]), log)
    return refused


def error_text(exc: BaseException | None) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000] if exc is not None else "unknown error"
