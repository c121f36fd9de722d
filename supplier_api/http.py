"""One signed POST of a purchase order to a supplier's endpoint: the stdlib's http.client, TLS
checked against the system's CAs, no redirect followed (a redirected POST could carry the PO
elsewhere), one timeout for connecting and for each wait on the answer.

Headers (docs/po-api.md): `Content-Type: application/json; charset=utf-8`, `Idempotency-Key`,
`X-Cutoff-Timestamp` (the Unix time of this attempt) and `X-Cutoff-Signature: sha256=<hex>`, the
HMAC-SHA256 of `<timestamp>.<body bytes>` keyed with the secret's UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ANSWER_BYTES = 64 * 1024  # of an answer read; the rest is not needed to know what it said
USER_AGENT = "cutoff-po/1"


@dataclass(frozen=True)
class Answer:
    """What the supplier's endpoint answered."""

    status: int
    reason: str
    headers: dict[str, str]  # names in lower case
    text: str                # the body, decoded as UTF-8 (bad bytes replaced), at most MAX_ANSWER_BYTES


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>`, keyed with the secret's UTF-8 bytes."""
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def request_headers(body: bytes, key: str, secret: str, timestamp: int) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            "User-Agent": USER_AGENT, "Idempotency-Key": key, "X-Cutoff-Timestamp": str(timestamp),
            "X-Cutoff-Signature": signature(secret, timestamp, body)}


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl.create_default_context()), target
    if parts.scheme == "http":
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), target
    raise ValueError(f"not an http(s) address: {url}")


def post_once(url: str, body: bytes, key: str, secret: str, timestamp: int, timeout: float) -> Answer:
    """One attempt. Returns the answer, whatever its status; raises OSError (a refused connection,
    a timeout: TimeoutError) or http.client.HTTPException (a broken answer) when there is none."""
    connection, target = _connection(url, timeout)
    try:
        connection.request("POST", target, body=body, headers=request_headers(body, key, secret, timestamp))
        response = connection.getresponse()
        data = response.read(MAX_ANSWER_BYTES)
        return Answer(response.status, response.reason or "", {k.lower(): v for k, v in response.getheaders()},
                      data.decode("utf-8", errors="replace"))
    finally:
        connection.close()
