"""Alerts for ops: Prefect automations that `cutoff serve` creates (or updates) on the server.

| automation (name)                          | fires when                                                     |
| cutoff: a run failed                       | a run of cutoff/nightly, cutoff/weekly, backfill, settle,      |
|                                            | receive, report, national/nightly, progress/*, notice/* or     |
|                                            | forecast                                                       |
|                                            | ends Failed, Crashed or TimedOut                               |
| cutoff: a cutoff run has not completed     | a nightly or weekly run became Pending, Running or Late and    |
|                                            | no Completed followed within CUTOFF_ALERT_DEADLINE_MINUTES     |
| cutoff: a cutoff has no order lines        | a nightly or weekly run completed with 0 eligible order lines  |
| cutoff: the inbox was not ready            | a run went on at its readiness deadline without a ready inbox  |
| cutoff: purchase orders not delivered      | a cutoff completed with an email or an API PO undelivered      |
|                                            | (flows/po_alerts.py)                                           |
| cutoff: a rerun left later runs out of date | a cutoff rerun changed what its goods-in run or a stock pool's |
|                                            | later cutoffs decided from (`goods_in_stale`, `pool_stale`)    |
| cutoff: cutoff serve is not running        | the server has not heard from `cutoff serve` for a minute      |

Each alert goes to the webhook CUTOFF_ALERT_WEBHOOK (a `send-notification` action with a Custom
Webhook block: the Prefect server itself posts it, so it arrives even when `cutoff serve` is down)
and by email to CUTOFF_OPS_EMAIL (a `run-deployment` action of the `alert/alert` deployment that
`cutoff serve` serves: the serve process holds the SMTP settings and secrets and sends it with the
mailer's transport, flows/alert_email.py). The message says what happened, which cutoff, and what to do; the Prefect
server renders it from the triggering event (Jinja), so the webhook and the email say the same.

Automations are found by name: created when missing, updated only when their definition changed
(an update would restart a proactive trigger's open clocks), never duplicated. With neither
channel set, `cutoff serve` removes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.po_alerts import undelivered_alert
from flows.run_events import EMPTY_EVENT, INBOX_EVENT, STALE_EVENT
from flows.settings import Settings

PREFIX = "cutoff: "
WEBHOOK_BLOCK = "cutoff-alert-webhook"
FAILED_STATES = ("Failed", "Crashed", "TimedOut")
OVER_THE_DAY = ("progress/nightly", "progress/weekly", "notice/nightly", "notice/weekly")  # docs/progress.md
STARTED_STATES = ("Pending", "Running", "Late")

# what a chat tool expects: {{subject}} and {{body}} are filled in by the Custom Webhook block
WEBHOOK_PAYLOADS: dict[str, dict] = {
    "json": {"text": "{{subject}}\n\n{{body}}", "subject": "{{subject}}", "body": "{{body}}", "source": "cutoff"},
    "wecom": {"msgtype": "text", "text": {"content": "{{subject}}\n\n{{body}}"}},      # 企业微信群机器人
    "dingtalk": {"msgtype": "text", "text": {"content": "{{subject}}\n\n{{body}}"}},   # 钉钉自定义机器人
    "feishu": {"msg_type": "text", "content": {"text": "{{subject}}\n\n{{body}}"}},    # 飞书自定义机器人
}


# ---- the messages (Jinja, rendered by the Prefect server) ------------------------------------------

RUN_LINK = "Run: @UI@/runs/flow-run/{{ flow_run.id }}"


def when(expression: str) -> str:
    """Jinja for an instant: '20:03:05 UTC+08:00 (2026-12-02 12:03:05 UTC)'. The server renders in
    UTC; the business time zone's offset (@OFFSET@ seconds, @ZONE@) is filled in when the
    automation is made."""
    return ("{% set t = (" + expression + ".timestamp() | int) + @OFFSET@ %}"
            "{{ '%02d:%02d:%02d' | format(t // 3600 % 24, t // 60 % 60, t % 60) }} @ZONE@ "
            "({{ " + expression + ".strftime('%Y-%m-%d %H:%M:%S') }} UTC)")


STATE_TIME = when("flow_run.state.timestamp")


@dataclass(frozen=True)
class AlertSpec:
    """One automation: its name, what it is about, its trigger (a dict), its message."""

    key: str
    name: str
    description: str
    trigger: dict
    subject: str
    body: str
    about: str  # a short Jinja text naming the run or cutoff, for the alert run's name


def _related(deployment_ids: list[str]) -> dict:
    return {"prefect.resource.role": "deployment",
            "prefect.resource.id": [f"prefect.deployment.{d}" for d in deployment_ids]}


def alert_specs(ids: dict[str, str], deadline_minutes: float, ui_url: str,
                utc_offset: timedelta = timedelta(hours=8)) -> list[AlertSpec]:
    """The automations, for the served deployments' ids ({'cutoff/nightly': id, ...}); times in
    the messages at `utc_offset` (the business time zone's)."""
    cutoffs = [ids[name] for name in ("cutoff/nightly", "cutoff/weekly") if name in ids]
    runs = cutoffs + [ids[name] for name in ("backfill/backfill", "settle/settle", "receive/receive", "report/report",
                                             "national/nightly", *OVER_THE_DAY, "forecast/forecast") if name in ids]
    minutes = f"{deadline_minutes:g}"
    specs = [
        AlertSpec(
            key="failed", name=f"{PREFIX}a run failed",
            description="A run of cutoff/nightly, cutoff/weekly, backfill, settle, receive, report, national, "
                        "progress, notice or forecast ended Failed, Crashed or "
                        "TimedOut. Made by `cutoff serve` (docs/ops.md, Alerts).",
            trigger={"posture": "Reactive", "expect": [f"prefect.flow-run.{s}" for s in FAILED_STATES],
                     "match": {"prefect.resource.id": "prefect.flow-run.*"}, "match_related": _related(runs),
                     "for_each": ["prefect.resource.id"], "threshold": 1, "within": 0},
            subject="[cutoff] {{ flow_run.name }}: the run {{ flow_run.state.name }}",
            body=(
                "What happened: the run \"{{ flow_run.name }}\" ({{ flow.name }}/{{ deployment.name }}) ended "
                "{{ flow_run.state.name }} at " + STATE_TIME + ".\n"
                "Its message: {{ flow_run.state.message or '(none)' }}\n\n"
                "Which cutoff: {{ flow_run.name }}. Nothing of a failed cutoff is sent: its suppliers have no "
                "purchase order from this run and the warehouse no sorting sheets.\n\n"
                "What to do (docs/ops.md, \"When a run fails\"): read the message, fix the cause, then press "
                "Retry on the run (a scheduled run keeps its own cutoff) or start a custom run of "
                "{{ flow.name }}/{{ deployment.name }} with the same cutoff_date. Crashed means the process "
                "died (the machine, or `cutoff serve` stopped): check that `cutoff serve` runs, then Retry.\n"
                + RUN_LINK),
            about="{{ flow_run.name }}"),
        AlertSpec(
            key="late", name=f"{PREFIX}a cutoff run has not completed in time",
            description=f"A nightly or weekly run became Pending, Running or Late and no Completed state "
                        f"followed within {minutes} minutes (CUTOFF_ALERT_DEADLINE_MINUTES). Made by `cutoff serve`.",
            trigger={"posture": "Proactive", "after": [f"prefect.flow-run.{s}" for s in STARTED_STATES],
                     "expect": ["prefect.flow-run.Completed"],
                     "match": {"prefect.resource.id": "prefect.flow-run.*"}, "match_related": _related(cutoffs),
                     "for_each": ["prefect.resource.id"], "threshold": 1,
                     "within": deadline_minutes * 60},
            subject=f"[cutoff] {{{{ flow_run.name }}}}: not completed within {minutes} min",
            body=(
                "What happened: the run \"{{ flow_run.name }}\" ({{ flow.name }}/{{ deployment.name }}) was "
                "{{ flow_run.state.name }} at " + STATE_TIME + f" and has not completed in the {minutes} minutes "
                "since (CUTOFF_ALERT_DEADLINE_MINUTES).\n\n"
                "Which cutoff: {{ flow_run.name }}. Until it completes, its suppliers have no purchase order.\n\n"
                "What to do (docs/ops.md, \"Alerts\"): open the run. Late or Scheduled: no process picked it "
                "up; `cutoff serve` is not running or cannot reach the server: start it (docs/ops.md, section "
                "2) and the run starts by itself. Running: read its log; it may be waiting for the inbox "
                "(CUTOFF_READY_MARKER) or stuck: if nothing moves, cancel it and start a custom run with "
                "the same cutoff_date. Failed or Crashed: see the failure alert; fix, then Retry.\n"
                + RUN_LINK),
            about="{{ flow_run.name }}"),
        AlertSpec(
            key="empty", name=f"{PREFIX}a cutoff has no order lines",
            description="A nightly or weekly cutoff completed with no eligible order line: almost always a "
                        "missing or broken order export. Made by `cutoff serve`.",
            trigger={"posture": "Reactive", "expect": [EMPTY_EVENT], "match": {"prefect.resource.id": "cutoff.*"},
                     "match_related": _related(cutoffs), "for_each": ["prefect.resource.id"], "threshold": 1,
                     "within": 0},
            subject="[cutoff] {{ event.resource.name }}: completed with no order lines",
            body=(
                "What happened: the cutoff {{ event.resource.name }} (cutoff instant "
                "{{ event.payload.window_end }}) completed, but no paid order line belongs to it: "
                "{{ event.payload.listings_closed }} listing(s) closed, 0 eligible order lines, "
                "{{ event.payload.rejected }} rejected row(s). No supplier got a purchase order.\n\n"
                "Which cutoff: {{ event.resource.name }}. A cutoff without orders is almost always a "
                "missing or broken export.\n\n"
                "What to do (docs/ops.md, \"Alerts\"): check that the shop system exported the orders of the "
                "day into inbox/orders/ (and rejects.csv in the run folder); once they are there, rerun the "
                "cutoff: a custom run of {{ flow.name }}/{{ deployment.name }} with cutoff_date "
                "{{ event.payload.cutoff_date }}. If there really were no orders (no listing closed), "
                "nothing is to be done.\n" + RUN_LINK),
            about="{{ event.resource.name }}"),
        AlertSpec(
            key="inbox", name=f"{PREFIX}the inbox was not ready",
            description="A run reached its readiness deadline (CUTOFF_READY_DEADLINE_SECONDS) without a ready "
                        "inbox and went on with the files present. Made by `cutoff serve`.",
            trigger={"posture": "Reactive", "expect": [INBOX_EVENT], "match": {"prefect.resource.id": "cutoff.*"},
                     "match_related": _related(cutoffs), "for_each": ["prefect.resource.id"], "threshold": 1,
                     "within": 0},
            subject="[cutoff] {{ event.resource.name }}: ran without the last export",
            body=(
                "What happened: the cutoff {{ event.resource.name }} waited for the inbox until its deadline and "
                "went on without it being ready: {{ event.payload.warning }}\n\n"
                "Which cutoff: {{ event.resource.name }}. It completed with the files present at the deadline; "
                "its purchase orders may miss the last orders.\n\n"
                "What to do (docs/ops.md, \"The 20:00 run\"): once the export is complete, rerun the cutoff: "
                "a custom run of {{ flow.name }}/{{ deployment.name }} with cutoff_date "
                "{{ event.payload.cutoff_date }}. A supplier whose order changed gets it again, marked 修订版.\n"
                + RUN_LINK),
            about="{{ event.resource.name }}"),
        AlertSpec(
            key="stale", name=f"{PREFIX}a rerun left later runs out of date",
            description="A cutoff rerun changed what later runs decided from: its goods-in run (goods_in_stale) or "
                        "the later cutoffs of a stock pool it sells from (pool_stale). Made by `cutoff serve`.",
            trigger={"posture": "Reactive", "expect": [STALE_EVENT], "match": {"prefect.resource.id": "cutoff.*"},
                     "match_related": _related(runs), "for_each": ["prefect.resource.id"], "threshold": 1,
                     "within": 0},
            subject="[cutoff] {{ event.resource.name }}: later runs to do again",
            body=(
                "What happened: the cutoff {{ event.resource.name }} was run again and now decides differently "
                "from what later runs used:\n{{ event.payload.warning }}\n\n"
                "Which cutoff: {{ event.resource.name }} and the runs named above. Until they are run again, "
                "their figures (shortages and payables, or a stock pool's later allocations) are those of "
                "before the rerun, and a pool can be oversold.\n\n"
                "What to do (docs/ops.md, \"Alerts\"): run the commands named above, in that order (or a "
                "custom run of each deployment with its cutoff_date; `cutoff backfill --calendar both` runs a "
                "range in turn order).\n" + RUN_LINK),
            about="{{ event.resource.name }}"),
    ]
    specs.append(AlertSpec(**undelivered_alert(_related(cutoffs))))
    if "cutoff/nightly" in ids:
        specs.append(AlertSpec(
            key="serve", name=f"{PREFIX}cutoff serve is not running",
            description="The Prefect server has not heard from `cutoff serve` for a minute (cutoff/nightly is "
                        "NOT READY). Made by `cutoff serve`.",
            trigger={"posture": "Reactive", "expect": ["prefect.deployment.not-ready"],
                     "match": {"prefect.resource.id": f"prefect.deployment.{ids['cutoff/nightly']}"},
                     "for_each": ["prefect.resource.id"], "threshold": 1, "within": 0},
            subject="[cutoff] cutoff serve is not running",
            body=(
                "What happened: `cutoff serve` has stopped asking the Prefect server for work: at "
                + when("event.occurred") + " the server marked cutoff/nightly NOT READY. While it is down "
                "no cutoff runs: the next scheduled run will wait, Late.\n\n"
                "Which cutoff: the next nightly and weekly ones.\n\n"
                "What to do (docs/ops.md, section 2): start `cutoff serve` again on the batch machine (with its "
                "environment: CUTOFF_DATA_DIR, SMTP, ...). A run that went Late meanwhile starts by itself. "
                "If you stopped it on purpose, nothing is to be done. (The email of this alert is sent by "
                "`cutoff serve` itself: it arrives once it runs again.)\n"
                "Deployment: @UI@/deployments/deployment/{{ deployment.id }}"),
            about="cutoff serve"))
    seconds = int(utc_offset.total_seconds())
    zone = f"UTC{'+' if seconds >= 0 else '-'}{abs(seconds) // 3600:02d}:{abs(seconds) // 60 % 60:02d}"

    def filled(text: str) -> str:
        return text.replace("@UI@", ui_url.rstrip("/")).replace("@OFFSET@", str(seconds)).replace("@ZONE@", zone)
    return [AlertSpec(s.key, s.name, s.description, s.trigger, filled(s.subject), filled(s.body), s.about)
            for s in specs]


def automation_for(spec: AlertSpec, webhook_block_id: str | None, alert_deployment_id: str | None):
    """The AutomationCore of a spec, with its actions: the webhook, and the `alert` deployment."""
    from prefect.events.actions import RunDeployment, SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger

    actions: list[Any] = []
    if webhook_block_id:
        actions.append(SendNotification(block_document_id=webhook_block_id, subject=spec.subject, body=spec.body))
    if alert_deployment_id:
        actions.append(RunDeployment(source="selected", deployment_id=alert_deployment_id, parameters={
            "kind": spec.key, "subject": spec.subject, "body": spec.body, "about": spec.about}))
    return AutomationCore(name=spec.name, description=spec.description, enabled=True,
                          trigger=EventTrigger(**spec.trigger), actions=actions, tags=["cutoff"])


def _normalized(value: Any) -> Any:
    """A definition without server-side ids, with sets (dumped as lists) in a stable order."""
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items() if k not in ("id",)}
    if isinstance(value, list):
        items = [_normalized(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True)) \
            if all(isinstance(v, (str, int, float)) for v in items) else items
    return value


FIELDS = ("name", "description", "enabled", "trigger", "actions", "tags")


def _definition(automation) -> dict:
    return _normalized(automation.model_dump(mode="json", include=set(FIELDS)))


def ensure_automations(client, wanted: list) -> dict[str, str]:
    """Create or update the `cutoff: ` automations by name; delete ours that are no longer wanted
    and duplicates. Returns {name: 'created' | 'updated' | 'unchanged' | 'deleted'}."""
    from prefect.events.schemas.automations import AutomationCore
    existing: dict[str, list] = {}
    for automation in client.read_automations():
        if automation.name.startswith(PREFIX):
            existing.setdefault(automation.name, []).append(automation)
    done: dict[str, str] = {}
    for automation in wanted:
        found = sorted(existing.pop(automation.name, []), key=lambda a: str(a.id))
        if not found:
            client.create_automation(automation)
            done[automation.name] = "created"
            continue
        keep, *duplicates = found
        for duplicate in duplicates:
            client.delete_automation(duplicate.id)
        current = AutomationCore.model_validate(keep.model_dump(include=set(FIELDS)))
        if _definition(current) == _definition(automation):
            done[automation.name] = "unchanged"
        else:
            client.update_automation(keep.id, automation)
            done[automation.name] = "updated"
    for name, stale in existing.items():
        for automation in stale:
            client.delete_automation(automation.id)
        done[name] = "deleted"
    return done


def save_webhook_block(settings: Settings) -> str | None:
    """The Custom Webhook block the server posts alerts with (saved under WEBHOOK_BLOCK, replaced
    in place), or None without CUTOFF_ALERT_WEBHOOK."""
    if not settings.alert_webhook:
        return None
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    # the URL (a chat bot's usually carries its token) is kept as a secret value of the block:
    # the UI shows it obfuscated; the server reads it when it posts
    block = CustomWebhookNotificationBlock(
        name="cutoff alerts", url="{{webhook_url}}", secrets={"webhook_url": settings.alert_webhook},
        method="POST", json_data=WEBHOOK_PAYLOADS[settings.alert_webhook_format],
        headers={"Content-Type": "application/json; charset=utf-8"}, timeout=10)
    return str(block.save(WEBHOOK_BLOCK, overwrite=True))


def ensure_alerts(settings: Settings, ids: dict[str, str], ui_url: str) -> list[str]:
    """`cutoff serve`: the webhook block and the automations, for the served deployments' ids.
    Returns lines to print."""
    from prefect.client.orchestration import get_client
    webhook = save_webhook_block(settings)
    alert_deployment = ids.get("alert/alert") if settings.ops_email else None
    channels = [c for c, on in (("webhook", webhook), (f"email to {settings.ops_email}", alert_deployment)) if on]
    from zoneinfo import ZoneInfo
    offset = datetime.now(ZoneInfo(settings.timezone)).utcoffset() or timedelta(0)
    specs = alert_specs(ids, settings.alert_deadline_minutes, ui_url, offset)
    wanted = [automation_for(s, webhook, alert_deployment) for s in specs] if channels else []
    with get_client(sync_client=True) as client:
        done = ensure_automations(client, wanted)
    if not channels:
        return ["alerts: off (set CUTOFF_OPS_EMAIL and/or CUTOFF_ALERT_WEBHOOK; docs/ops.md, Alerts)"] + \
            [f"  {name}: {what}" for name, what in done.items()]
    return [f"alerts: {len(wanted)} automation(s), to {' and '.join(channels)}"] + \
        [f"  {name}: {what}" for name, what in done.items()]
