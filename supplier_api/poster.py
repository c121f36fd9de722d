"""One supplier's purchase order, posted until it is delivered, refused, or the run's budget for it
is spent (transforms/po_delivery.py says what an answer means and how long to wait).

- a 2xx: delivered. `on_delivered(answer)` records it at once, before anything else happens
  (the window in which a killed process would not know it delivered is kept short);
- 5xx, 408, 429, a timeout, a refused or dropped connection: tried again after the backoff
  (1, 2, 4, 8, 16, 30, 30 ... s) or the supplier's Retry-After, while it fits in the budget;
- any other status: refused, not tried again in this run.

Every attempt sends the same body with the same Idempotency-Key; only the timestamp and its
signature are new. Each attempt's timeout is cut to what is left of the budget, so an endpoint that
never answers costs at most the budget (300 s). The clock and the sleep are arguments (tests).
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from supplier_api.http import Answer, post_once
from transforms.po_delivery import (
    ANSWER_CHARS,
    BACKOFF,
    BUDGET_SECONDS,
    answer_reference,
    classify,
    failure_text,
    retry_after_seconds,
    wait_before_retry,
)

LOG = logging.getLogger("cutoff.supplier_api")
MIN_ATTEMPT_SECONDS = 0.05  # an attempt with less budget left than this is not made


@dataclass(frozen=True)
class PoRequest:
    """What every attempt at one revision sends."""

    supplier_id: str
    url: str
    body: bytes
    key: str
    secret: str


@dataclass
class Outcome:
    """How one supplier's posting ended (in this run)."""

    delivered: bool = False
    attempts: int = 0
    http_status: int | None = None
    reference: str | None = None
    answer: str | None = None   # the last answer's body, first ANSWER_CHARS characters
    error: str | None = None    # why it was not delivered, for people
    first_attempt_at: datetime | None = None
    waits: list[float] = field(default_factory=list)  # the pauses between attempts, in seconds


@dataclass(frozen=True)
class Timing:
    """The per-attempt timeout, the budget, the backoff, and the clocks (injectable for tests)."""

    timeout: float = 30.0
    budget: float = BUDGET_SECONDS
    backoff: Sequence[float] = BACKOFF
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def _reference(answer: Answer) -> str | None:
    try:
        return answer_reference(json.loads(answer.text)) if answer.text.strip() else None
    except ValueError:
        return None


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out: no answer within the attempt's timeout"
    return f"{type(exc).__name__}: {exc}"[:ANSWER_CHARS]


def post_with_retries(request: PoRequest, timing: Timing, on_delivered: Callable[[Outcome], None],
                      log: logging.Logger | logging.LoggerAdapter = LOG) -> Outcome:
    """Post until delivered, refused or out of budget. `on_delivered(outcome)` runs the moment a
    2xx is read (it records the delivery); the outcome is returned either way."""
    outcome = Outcome()
    deadline = timing.monotonic() + timing.budget
    while True:
        remaining = deadline - timing.monotonic()
        if remaining < MIN_ATTEMPT_SECONDS:
            outcome.error = (outcome.error or "no attempt made") + \
                f"; gave up after {outcome.attempts} attempt(s) in the run's {timing.budget:g} s"
            return outcome
        now = timing.wall()
        outcome.first_attempt_at = outcome.first_attempt_at or datetime.fromtimestamp(now, timezone.utc)
        outcome.attempts += 1
        retry_after = None
        try:
            answer = post_once(request.url, request.body, request.key, request.secret, int(now),
                               min(timing.timeout, remaining))
        except (OSError, http.client.HTTPException) as exc:
            outcome.http_status, outcome.answer, outcome.error = None, None, _error_text(exc)
            kind = "retry"
        else:
            outcome.http_status = answer.status
            outcome.answer = answer.text[:ANSWER_CHARS] or None
            kind = classify(answer.status)
            if kind == "delivered":
                outcome.delivered, outcome.error, outcome.reference = True, None, _reference(answer)
                on_delivered(outcome)
                return outcome
            outcome.error = failure_text(answer.status, answer.reason, answer.text[:ANSWER_CHARS], None)
            retry_after = retry_after_seconds(answer.headers.get("retry-after"),
                                              datetime.fromtimestamp(timing.wall(), timezone.utc))
        if kind == "refused":
            return outcome
        wait = wait_before_retry(outcome.attempts, retry_after, deadline - timing.monotonic(), timing.backoff)
        if wait is None:
            asked = f" (it asked to wait {retry_after:.0f} s)" if retry_after is not None else ""
            outcome.error += f"; gave up after {outcome.attempts} attempt(s): the next{asked} would not end " \
                             f"within the run's {timing.budget:g} s"
            return outcome
        log.info("purchase order %s to %s: attempt %d: %s; trying again in %g s", request.key, request.supplier_id,
                 outcome.attempts, outcome.error, wait)
        outcome.waits.append(wait)
        timing.sleep(wait)
