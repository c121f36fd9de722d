"""Deliver each pickup point's message once per content: to its group bot, or as a file.

A run that may not send (`stop()` gives why: sending off, the cutoff has passed) records nothing:
its messages stay files of its own folder (`held` for a point with a bot, `file` without). Else,
for every message: the same content as the last one delivered to that point -> `unchanged`; a
point without a bot -> `file` (recorded: the leader's message changed, for ops to paste); else it
is posted: `sent` or `failed` (recorded; the next run tries again). The n-th distinct content
delivered to a point is its revision n, rendered by `render(content, revision)` (the notice
marks 修订版 from 2 on). `stop()` is asked again right before each post: nothing goes out after it
says no. Posts go out `workers` at a time (each point has its own bot: a thousand leaders' groups
take seconds, not minutes); what was delivered is recorded as each answer comes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chat.record import FAILED, FILE, SENT, DeliveryLog
from chat.webhook import BUDGETS, format_of, masked, post_text

UNCHANGED, HELD = "unchanged", "held"
POSTS_AT_ONCE = 8
STATUS_WORDS = {  # the statuses, in words, for people
    SENT: "sent to their group bot", FAILED: "failed to post (the next run tries again)",
    FILE: "written as a file for the leader to paste (no group bot)", UNCHANGED: "unchanged, not sent again",
    HELD: "kept as files, not sent (this run may not send)"}


def describe_deliveries(counts: dict[str, int]) -> str:
    """`42 written as a file for the leader to paste (no group bot)`; `none` without messages."""
    return "; ".join(f"{n:,} {STATUS_WORDS.get(s, s)}" for s, n in sorted(counts.items())) or "none"


@dataclass(frozen=True)
class Outgoing:
    pickup_point_id: str
    leader_id: str | None
    webhook: str | None
    webhook_format: str | None
    content_hash: str
    content: str


def budget_for(webhook: str | None, webhook_format: str | None) -> int | None:
    """The bytes a point's message may hold: its bot's limit, none for a file."""
    return BUDGETS[format_of(webhook, webhook_format)] if webhook else None


def _revision(before: dict | None, content_hash: str) -> int:
    if before is None:
        return 1
    return before["revision"] + (before["content_hash"] != content_hash)


def deliver(messages: list[Outgoing], log: DeliveryLog, stop: Callable[[], str | None],
            render: Callable[[str, int], str] = lambda content, revision: content,
            extra: dict | None = None, workers: int = POSTS_AT_ONCE) -> list[dict]:
    """One result per message, in their order: pickup_point_id, status, revision, text (as
    delivered), detail."""
    last = log.last_delivered()
    results: list[dict] = []
    posts = []
    for message in messages:
        before = last.get(message.pickup_point_id)
        revision = _revision(before, message.content_hash)
        result = {"pickup_point_id": message.pickup_point_id, "revision": revision,
                  "text": render(message.content, revision), "detail": ""}
        results.append(result)
        why_not = stop()
        if why_not:
            result.update(status=HELD if message.webhook else FILE, detail=why_not)
        elif before is not None and before["content_hash"] == message.content_hash:
            result.update(status=UNCHANGED)
        elif not message.webhook:
            log.append({**_entry(message, revision, extra), "status": FILE, "channel": FILE})
            result.update(status=FILE)
        else:
            posts.append((message, result))

    def post(message: Outgoing, result: dict) -> None:
        why_not = stop()  # right before it goes: a run crossing the cutoff stops there
        if why_not:
            result.update(status=HELD, detail=why_not)
            return
        kind = format_of(message.webhook, message.webhook_format)
        delivery = post_text(message.webhook, kind, result["text"])
        result.update(status=SENT if delivery.ok else FAILED, detail=delivery.detail)
        log.append({**_entry(message, result["revision"], extra), "status": result["status"], "channel": kind,
                    "webhook": masked(message.webhook), "detail": delivery.detail})
    if posts:
        with ThreadPoolExecutor(max(1, min(workers, len(posts))), thread_name_prefix="bots") as pool:
            for done in [pool.submit(post, message, result) for message, result in posts]:
                done.result()
    return results


def _entry(message: Outgoing, revision: int, extra: dict | None) -> dict:
    return {**(extra or {}), "pickup_point_id": message.pickup_point_id, "leader_id": message.leader_id,
            "content_hash": message.content_hash, "revision": revision}
