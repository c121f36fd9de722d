"""A leader's group bot: one text message POSTed to its webhook (企业微信, 钉钉 or 飞书), the way
each expects it, and its answer read (the HTTP status and the bot's own error code).

| format   | body                                              | success                      | a text holds  |
| wecom    | {"msgtype": "text", "text": {"content": ...}}     | {"errcode": 0}               | 2048 bytes    |
| dingtalk | {"msgtype": "text", "text": {"content": ...}}     | {"errcode": 0}               | 20000 bytes   |
| feishu   | {"msg_type": "text", "content": {"text": ...}}    | {"code": 0} or {"StatusCode": 0} | 18000 bytes |

A bot's URL carries its key: it is never printed whole (`masked`). Only the stdlib (urllib): one
POST per message, a timeout, no retry here (the next run sends what did not go out).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from schemas.pickup_points import WEBHOOK_HOSTS

BUDGETS = {"wecom": 2048, "dingtalk": 20000, "feishu": 18000}  # bytes of text a message may hold
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str  # the bot's answer, or what went wrong


def format_of(url: str, webhook_format: str | None) -> str:
    """The bot's format: webhook_format if set, else from the host (pickup_points.csv checks that
    one of them says)."""
    if webhook_format:
        return webhook_format
    host = (urlsplit(url).hostname or "").lower()
    return WEBHOOK_HOSTS.get(host, "wecom")


def payload(webhook_format: str, text: str) -> dict:
    if webhook_format == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}


def masked(url: str) -> str:
    """The URL without its secrets: query values and long path parts become ***."""
    parts = urlsplit(url)
    path = re.sub(r"/[A-Za-z0-9_-]{16,}", "/***", parts.path)
    query = re.sub(r"=([^&]*)", "=***", parts.query)
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "")


def _answer(body: bytes) -> Delivery:
    try:
        reply = json.loads(body.decode("utf-8") or "{}")
    except ValueError:
        return Delivery(True, body[:200].decode("utf-8", errors="replace"))
    if not isinstance(reply, dict):
        return Delivery(True, str(reply)[:200])
    for key, message in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if key in reply and reply[key] not in (0, "0"):
            return Delivery(False, f"the bot answered {key} {reply[key]}: {reply.get(message, '')}".strip())
    return Delivery(True, json.dumps(reply, ensure_ascii=False)[:200])


def post_text(url: str, webhook_format: str, text: str, timeout: float = TIMEOUT_SECONDS) -> Delivery:
    """POST one text message; never raises for what the network or the bot does."""
    data = json.dumps(payload(webhook_format, text), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _answer(response.read())
    except urllib.error.HTTPError as exc:
        return Delivery(False, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(False, f"{type(exc).__name__}: {reason}")
