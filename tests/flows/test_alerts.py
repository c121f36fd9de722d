"""Alerts and the scheduled 20:00 run, against a real `prefect server` and `cutoff serve`.

One server for the module: a local SMTP server (aiosmtpd) and a local HTTP server (a chat tool's
webhook) receive what ops would. The nightly cutoff is set to the next minute boundary so the
deployment's own schedule fires during the module: that run starts early by itself, waits for its
cutoff and for the late export, and completes. The other tests use the weekly deployment (its own
concurrency slot) and their own data dirs, so nothing they do meets the scheduled run.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from flows.alerts import PREFIX, WEBHOOK_PAYLOADS, alert_specs, automation_for, ensure_alerts
from flows.run_events import EMPTY_EVENT, INBOX_EVENT, STALE_EVENT, completed_message, cutoff_events, event_sentence
from flows.settings import Settings
from mail.alert import alert_message
from tests.datasets import mooncake_closing_at, mooncake_data_dir, write_orders
from tests.servers import MailReceiver, PrefectServer, WebhookReceiver, stop, tail, wait_for, wait_for_deployment

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOONCAKE_PAID_FEN, MOONCAKE_NET_FEN = 512930, 414530
OPS = "ops@tuangou.example.cn; duty@tuangou.example.cn"
IDS = {name: f"00000000-0000-4000-8000-00000000000{n}" for n, name in enumerate(
    ("cutoff/nightly", "cutoff/weekly", "backfill/backfill", "settle/settle", "alert/alert", "receive/receive",
     "report/report", "national/nightly"), start=1)}
NAMES = {f"{PREFIX}{name}" for name in ("a run failed", "a cutoff run has not completed in time",
                                        "a cutoff has no order lines", "the inbox was not ready",
                                        "purchase orders not delivered", "cutoff serve is not running",
                                        "a rerun left later runs out of date")}


# ---- the automations, as data ------------------------------------------------------------------------

def test_each_alert_watches_the_right_runs_and_events():
    specs = {s.key: s for s in alert_specs(IDS, 30, "http://127.0.0.1:4200")}
    assert {s.name for s in specs.values()} == NAMES
    deployment = lambda *names: sorted(f"prefect.deployment.{IDS[n]}" for n in names)  # noqa: E731
    failed = specs["failed"].trigger
    assert (failed["posture"], failed["threshold"], failed["for_each"]) == ("Reactive", 1, ["prefect.resource.id"])
    assert failed["expect"] == ["prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"]
    # every deployment's runs but the alert's own: a failing alert never alerts about itself
    assert sorted(failed["match_related"]["prefect.resource.id"]) == deployment(
        "cutoff/nightly", "cutoff/weekly", "backfill/backfill", "settle/settle", "receive/receive", "report/report",
        "national/nightly")
    late = specs["late"].trigger
    assert late["posture"] == "Proactive" and late["within"] == 1800
    # the clock starts when the run is handed to a runner (Pending), starts (Running), or when
    # the server marks it Late because no runner took it: so it also fires with `cutoff serve` dead
    assert late["after"] == ["prefect.flow-run.Pending", "prefect.flow-run.Running", "prefect.flow-run.Late"]
    assert late["expect"] == ["prefect.flow-run.Completed"] and late["for_each"] == ["prefect.resource.id"]
    assert sorted(late["match_related"]["prefect.resource.id"]) == deployment("cutoff/nightly", "cutoff/weekly")
    assert specs["empty"].trigger["expect"] == [EMPTY_EVENT] and specs["inbox"].trigger["expect"] == [INBOX_EVENT]
    assert specs["serve"].trigger["match"] == {"prefect.resource.id": f"prefect.deployment.{IDS['cutoff/nightly']}"}
    assert specs["serve"].trigger["expect"] == ["prefect.deployment.not-ready"]
    for spec in specs.values():  # what happened, which cutoff, what to do, and where
        assert "What happened:" in spec.body and "Which cutoff:" in spec.body and "What to do (docs/ops.md" in spec.body
        assert "http://127.0.0.1:4200/" in spec.body and "@UI@" not in spec.body and "@ZONE@" not in spec.body


def test_the_actions_post_the_webhook_on_the_server_and_email_through_the_alert_deployment():
    spec = next(s for s in alert_specs(IDS, 30, "http://ui") if s.key == "failed")
    automation = automation_for(spec, "00000000-0000-4000-8000-0000000000aa", IDS["alert/alert"])
    webhook, email = automation.actions
    assert (webhook.type, str(webhook.block_document_id)) == ("send-notification",
                                                             "00000000-0000-4000-8000-0000000000aa")
    assert (webhook.subject, webhook.body) == (spec.subject, spec.body)
    assert (email.type, str(email.deployment_id)) == ("run-deployment", IDS["alert/alert"])
    assert email.parameters == {"kind": "failed", "subject": spec.subject, "body": spec.body,
                                "about": "{{ flow_run.name }}"}
    assert [a.type for a in automation_for(spec, None, IDS["alert/alert"]).actions] == ["run-deployment"]
    assert [a.type for a in automation_for(spec, "00000000-0000-4000-8000-0000000000aa", None).actions] == \
        ["send-notification"]


@pytest.mark.parametrize("fmt, expected", [
    ("json", {"text": "S\n\nB", "subject": "S", "body": "B", "source": "cutoff"}),
    ("wecom", {"msgtype": "text", "text": {"content": "S\n\nB"}}),
    ("dingtalk", {"msgtype": "text", "text": {"content": "S\n\nB"}}),
    ("feishu", {"msg_type": "text", "content": {"text": "S\n\nB"}}),
])
def test_the_webhook_payload_fits_the_chat_tool(fmt, expected):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    block = CustomWebhookNotificationBlock(name="cutoff alerts", url="http://127.0.0.1:9/hook",
                                           json_data=WEBHOOK_PAYLOADS[fmt])
    assert block._build_request_args(body="B", subject="S")["json"] == expected


def test_a_cutoff_emits_an_event_when_it_is_empty_or_ran_without_a_ready_inbox():
    summary = {"calendar": "nightly", "cutoff_date": "2026-12-02",
               "window": {"start": "2026-12-01T20:00:00+08:00", "end": "2026-12-02T20:00:00+08:00"},
               "listings_closed": 2, "order_lines": {"eligible": 0, "rejected": 3}}
    events = cutoff_events(summary, ["inbox_not_ready: no _READY written since the cutoff in inbox/orders by ..."])
    assert [e["event"] for e in events] == [EMPTY_EVENT, INBOX_EVENT]
    assert events[0]["resource"] == {"prefect.resource.id": "cutoff.nightly.2026-12-02",
                                     "prefect.resource.name": "nightly 2026-12-02"}
    assert events[0]["payload"] == {"calendar": "nightly", "cutoff_date": "2026-12-02",
                                    "window_end": "2026-12-02T20:00:00+08:00", "listings_closed": 2,
                                    "eligible": 0, "rejected": 3}
    assert events[1]["payload"]["warning"] == "no _READY written since the cutoff in inbox/orders by ..."
    assert cutoff_events(dict(summary, order_lines={"eligible": 6, "rejected": 0})) == []
    # the run's log and the Completed state say it in a sentence, not as the event's payload
    assert event_sentence(events[0]).startswith(
        "No order lines: no paid order line belongs to the nightly 2026-12-02 cutoff (2 listing(s) closed, 3 row(s) "
        "rejected), so no purchase order, sorting sheet or handout list was made.")
    assert event_sentence(events[1]).startswith("The order export of the nightly 2026-12-02 cutoff was not ready by "
                                                "its deadline (no _READY written since the cutoff in inbox/orders by")
    assert completed_message(summary) == event_sentence(events[0]) and "{" not in completed_message(summary)
    assert completed_message(dict(summary, order_lines={"eligible": 6, "rejected": 0})) is None


def test_a_rerun_that_leaves_later_runs_out_of_date_emits_an_event_naming_them():
    summary = {"calendar": "nightly", "cutoff_date": "2026-11-19",
               "window": {"start": "2026-11-18T20:00:00+08:00", "end": "2026-11-19T20:00:00+08:00"},
               "listings_closed": 1, "order_lines": {"eligible": 7, "rejected": 0},
               "warnings": ["below_supplier_minimum: S2 ...", "pool_stale: pool MOON: ... (cutoff run --calendar "
                            "weekly --date 2026-11-22)", "goods_in_stale: ... run `cutoff receive ...` again"]}
    events = cutoff_events(summary)
    assert [e["event"] for e in events] == [STALE_EVENT]
    assert events[0]["payload"]["warning"] == (
        "pool_stale: pool MOON: ... (cutoff run --calendar weekly --date 2026-11-22)\n"
        "goods_in_stale: ... run `cutoff receive ...` again")
    spec = next(s for s in alert_specs(IDS, 30, "http://ui") if s.key == "stale")
    assert spec.trigger["expect"] == [STALE_EVENT] and "{{ event.payload.warning }}" in spec.body


def test_the_alert_email_goes_to_every_ops_address():
    settings = Settings(ops_email=OPS, mail_from="cutoff@tuangou.example.cn", platform_name="邻里团")
    message = alert_message(settings, "failed", "[cutoff] nightly 2026-12-02: the run Failed", "What happened: ...")
    assert message["To"] == "ops@tuangou.example.cn, duty@tuangou.example.cn"
    assert message["X-Cutoff-Alert"] == "failed" and message["Subject"] == "[cutoff] nightly 2026-12-02: the run Failed"
    assert message.get_content().startswith("What happened: ...\n\n-- \nSent by `cutoff serve` on ")


# ---- against a real server ---------------------------------------------------------------------------

def _next_boundary(after_seconds: float) -> datetime:
    """The first whole minute (Shanghai) at least `after_seconds` from now."""
    earliest = datetime.now(SHANGHAI) + timedelta(seconds=after_seconds)
    return (earliest + timedelta(minutes=1)).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def alerting(tmp_path_factory):
    base = tmp_path_factory.mktemp("alerting")
    data_dir, reports = base / "data", base / "reports"
    serve_log = base / "serve.log"
    server_settings = {  # the server notices a dead `cutoff serve` in ~20 s instead of ~75 s, a Late run in ~5 s
        "PREFECT_SERVER_SERVICES_FOREMAN_LOOP_SECONDS": "5",
        "PREFECT_SERVER_SERVICES_FOREMAN_DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS": "15",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "2",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "5"}
    with WebhookReceiver() as hook, MailReceiver() as mail, PrefectServer(base / "server", server_settings) as server:
        # the nightly cutoff at the next minute boundary 45 s away or more: time to serve, schedule, poll
        boundary = _next_boundary(45)
        late = mooncake_closing_at(data_dir, boundary)
        env = {"CUTOFF_DATA_DIR": str(data_dir), "CUTOFF_REPORTS_DIR": str(reports),
               "CUTOFF_NIGHTLY_AT": boundary.strftime("%H:%M"), "CUTOFF_OPS_EMAIL": OPS,
               "CUTOFF_MAIL_FROM": "cutoff@tuangou.example.cn", "CUTOFF_SMTP_HOST": "127.0.0.1",
               "CUTOFF_SMTP_PORT": str(mail.port), "CUTOFF_ALERT_WEBHOOK": hook.url,
               "CUTOFF_ALERT_DEADLINE_MINUTES": "0.5", "CUTOFF_READY_MARKER": "_READY",
               "CUTOFF_READY_DEADLINE_SECONDS": "120"}
        serve = server.serve(env, serve_log)
        with server.client() as client:
            wait_for_deployment(client, "cutoff/nightly", serve, serve_log)
            wait_for(lambda: "serving cutoff/nightly" in serve_log.read_text(errors="replace"), 60,
                     "`cutoff serve` to make the automations and start serving", serve_log)
            yield {"server": server, "client": client, "hook": hook, "mail": mail, "serve": serve, "env": env,
                   "serve_log": serve_log, "boundary": boundary, "data_dir": data_dir, "reports": reports,
                   "late": late, "base": base}


def _deployment(alerting: dict, name: str):
    return alerting["client"].read_deployment_by_name(name)


def _final(alerting: dict, run_id, timeout: float = 120):
    client = alerting["client"]

    def final():
        run = client.read_flow_run(run_id)
        return run if run.state and run.state.is_final() else None
    return wait_for(final, timeout, f"flow run {run_id} to end", alerting["serve_log"], interval=1)


def _posts(alerting: dict, subject: str) -> list[dict]:
    return [p["json"] for p in alerting["hook"].posts() if isinstance(p["json"], dict)
            and p["json"].get("subject") == subject]


def _mails(alerting: dict, subject: str) -> list:
    return [m for m in alerting["mail"].messages() if m["Subject"] == subject]


def _received(alerting: dict, subject: str, timeout: float = 90, mail: bool = True) -> tuple[dict, object]:
    """The webhook post (and the email) with this subject, once each has arrived."""
    post = wait_for(lambda: _posts(alerting, subject), timeout, f"a webhook post {subject!r}",
                    alerting["serve_log"])[0]
    if not mail:
        return post, None
    message = wait_for(lambda: _mails(alerting, subject), timeout, f"an email {subject!r}", alerting["serve_log"])[0]
    return post, message


def _check_email(message, post: dict, kind: str) -> None:
    assert message["To"] == "ops@tuangou.example.cn, duty@tuangou.example.cn"
    assert message["X-Cutoff-Alert"] == kind
    assert message.get_content().startswith(post["body"] + "\n\n-- \nSent by `cutoff serve` on ")
    assert post["text"] == f"{post['subject']}\n\n{post['body']}"


@pytest.mark.slow
def test_a_failed_run_reaches_ops_by_webhook_and_by_email(alerting):
    client, ui = alerting["client"], alerting["server"].ui_url
    weekly = _deployment(alerting, "cutoff/weekly")
    run = client.create_flow_run_from_deployment(
        weekly.id, parameters={"cutoff_date": "2026-11-22", "data_dir": "/nonexistent/cutoff-data"})
    ended = _final(alerting, run.id)
    assert ended.state.is_failed() and ended.name == "weekly 2026-11-22"
    post, message = _received(alerting, "[cutoff] weekly 2026-11-22: the run Failed")
    body = post["body"]
    assert body.startswith('What happened: the run "weekly 2026-11-22" (cutoff/weekly) ended Failed at ')
    assert "data dir /nonexistent/cutoff-data does not exist" in body  # the run's own message
    assert "UTC+08:00 (" in body  # the time in business time, and in UTC
    assert "Which cutoff: weekly 2026-11-22." in body
    assert "What to do (docs/ops.md, \"When a run fails\"): read the message, fix the cause, then press Retry" in body
    assert body.endswith(f"Run: {ui}/runs/flow-run/{run.id}")
    _check_email(message, post, "failed")
    # the email went through the alert deployment, in a run named after what it is about
    alert_runs = client.read_flow_runs(deployment_filter=_by_deployment(_deployment(alerting, "alert/alert").id))
    assert "alert failed: weekly 2026-11-22" in [r.name for r in alert_runs]
    assert len(_posts(alerting, "[cutoff] weekly 2026-11-22: the run Failed")) == 1
    assert len(_mails(alerting, "[cutoff] weekly 2026-11-22: the run Failed")) == 1


def _by_deployment(deployment_id):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    return DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))


@pytest.mark.slow
def test_a_cutoff_with_no_order_lines_alerts_ops(alerting):
    """The weekly cutoff of a data dir with only nightly listings: it completes, green, with nothing in it."""
    client, base = alerting["client"], alerting["base"]
    quiet_dir, quiet_reports = mooncake_data_dir(base / "quiet-data"), base / "quiet-reports"
    run = client.create_flow_run_from_deployment(
        _deployment(alerting, "cutoff/weekly").id,
        parameters={"cutoff_date": "2026-11-22", "data_dir": str(quiet_dir), "reports_dir": str(quiet_reports)})
    ended = _final(alerting, run.id)
    assert ended.state.is_completed(), ended.state.message
    assert ended.state.name == "Completed"  # the "not completed in time" automation waits for this name
    assert ended.state.message.startswith("No order lines: no paid order line belongs to the weekly 2026-11-22 cutoff")
    summary = json.loads((quiet_reports / "weekly" / "2026-11-22" / "summary.json").read_text(encoding="utf-8"))
    assert summary["order_lines"]["eligible"] == 0
    assert summary["warnings"][0].startswith("empty_cutoff: no paid order line belongs to this cutoff (0 listing(s)")
    post, message = _received(alerting, "[cutoff] weekly 2026-11-22: completed with no order lines")
    body = post["body"]
    assert body.startswith("What happened: the cutoff weekly 2026-11-22 (cutoff instant 2026-11-23T00:00:00+08:00) "
                           "completed, but no paid order line belongs to it: 0 listing(s) closed, 0 eligible order "
                           "lines, 0 rejected row(s).")
    assert "a custom run of cutoff/weekly with cutoff_date 2026-11-22" in body
    assert body.endswith(f"Run: {alerting['server'].ui_url}/runs/flow-run/{run.id}")
    _check_email(message, post, "empty")


@pytest.mark.slow
def test_serve_makes_each_automation_once_and_updates_it_only_when_it_changed(alerting):
    client = alerting["client"]
    ours = lambda: [a for a in client.read_automations() if a.name.startswith(PREFIX)]  # noqa: E731
    found = ours()
    assert sorted(a.name for a in found) == sorted(NAMES)  # one each
    late = next(a for a in found if a.name == f"{PREFIX}a cutoff run has not completed in time")
    assert late.trigger.within == timedelta(seconds=30) and late.trigger.posture.value == "Proactive"
    assert [a.type for a in late.actions] == ["send-notification", "run-deployment"]
    env = alerting["env"]
    # the webhook's URL (a bot's carries its token) is a secret of the block: not shown in the UI
    shown = client.read_block_document_by_name("cutoff-alert-webhook", "custom-webhook", include_secrets=False)
    assert shown.data["url"] == "{{webhook_url}}" and env["CUTOFF_ALERT_WEBHOOK"] not in json.dumps(shown.data)
    ids = {name: str(_deployment(alerting, name).id)
           for name in ("cutoff/nightly", "cutoff/weekly", "backfill/backfill", "settle/settle", "alert/alert",
                        "receive/receive", "report/report", "progress/nightly", "progress/weekly", "notice/nightly",
                        "notice/weekly", "forecast/forecast")}  # what `cutoff serve` serves here
    settings = Settings(ops_email=OPS, alert_webhook=env["CUTOFF_ALERT_WEBHOOK"], alert_deadline_minutes=0.5)
    ui = alerting["server"].ui_url
    # `cutoff serve` started again: nothing changes (an update would restart the open clocks)
    lines = ensure_alerts(settings, ids, ui)
    assert lines[0] == f"alerts: {len(NAMES)} automation(s), to webhook and email to {OPS}"
    assert sorted(lines[1:]) == sorted(f"  {name}: unchanged" for name in NAMES)
    assert {a.id for a in ours()} == {a.id for a in found}
    # a changed deadline updates that automation in place
    changed = ensure_alerts(Settings(ops_email=OPS, alert_webhook=env["CUTOFF_ALERT_WEBHOOK"],
                                     alert_deadline_minutes=45), ids, ui)
    assert f"  {PREFIX}a cutoff run has not completed in time: updated" in changed
    assert sum(line.endswith(": unchanged") for line in changed) == 5
    assert ensure_alerts(settings, ids, ui).count(f"  {PREFIX}a cutoff run has not completed in time: updated") == 1
    assert {a.id for a in ours()} == {a.id for a in found} and len(ours()) == 6


@pytest.mark.slow
def test_the_scheduled_run_starts_by_itself_waits_for_its_cutoff_and_the_late_export(alerting):
    """The issue's night: the runner picks the 20:00 run up seconds before 20:00. It waits for its
    cutoff, then for the exporter's marker (the last orders land after the cutoff), and completes."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        LogFilter,
        LogFilterFlowRunId,
    )
    client, boundary, data_dir = alerting["client"], alerting["boundary"], alerting["data_dir"]
    nightly = _deployment(alerting, "cutoff/nightly")
    day = boundary.date().isoformat()

    def scheduled_runs():
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(
                after_=boundary - timedelta(seconds=1), before_=boundary + timedelta(seconds=1))),
            deployment_filter=_by_deployment(nightly.id))
    run = wait_for(lambda: (scheduled_runs() or [None])[0], 60,
                   f"the scheduler to create the {boundary:%H:%M} nightly run", alerting["serve_log"])
    assert run.auto_scheduled and run.parameters.get("cutoff_date") is None  # made by the schedule, not by us
    # the exporter: the last orders and then the marker, 3 s after the cutoff
    while datetime.now(timezone.utc) < boundary + timedelta(seconds=3):
        time.sleep(0.2)
    write_orders(data_dir, alerting["late"], name="orders-2.csv")
    (data_dir / "inbox" / "orders" / "_READY").write_text("")

    def the_run_that_ran():  # a twin the scheduler made for the same time is refused by the concurrency limit
        runs = [r for r in scheduled_runs() if r.state and r.state.is_final()]
        twins = [r for r in runs if r.state.is_cancelled() and "concurrency limit" in (r.state.message or "")]
        return next((r for r in runs if r not in twins), None)
    ended = wait_for(the_run_that_ran, 180, "the scheduled nightly run to end", alerting["serve_log"], interval=1)
    run = ended
    assert ended.state.is_completed(), f"{ended.state.message}\n{tail(alerting['serve_log'])}"
    assert ended.name == f"nightly {day}"
    states = {s.name: s.timestamp for s in client.read_flow_run_states(run.id)}
    # handed to `cutoff serve` seconds early (the runner prefetches), and not refused for it; the
    # server holds the start (Running) until the scheduled time, rounded to the second
    assert states["Pending"] < boundary - timedelta(seconds=1)
    assert states["Running"] >= boundary - timedelta(seconds=1)
    summary = json.loads((alerting["reports"] / "nightly" / day / "summary.json").read_text(encoding="utf-8"))
    assert summary["cutoff_date"] == day and summary["window"]["end"] == boundary.isoformat()
    assert summary["fen"]["paid"] == MOONCAKE_PAID_FEN and summary["fen"]["net"] == MOONCAKE_NET_FEN  # late export in
    assert not [w for w in summary["warnings"] if w.startswith(("inbox_not_ready", "empty_cutoff"))]
    def logged():  # the run's last log lines reach the server a moment after its state
        messages = [log.message for log in
                    client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))]
        return messages if any(m.startswith("inbox ready") for m in messages) else None
    logs = wait_for(logged, 30, "the run's log lines", alerting["serve_log"])
    # a flow that begins before its cutoff (up to half a second, or more with skewed clocks) waits for it
    waits = [float(m.split()[1]) for m in logs if m.startswith("waiting ") and m.endswith(
        f"s for the {boundary:%H:%M} cutoff (nightly {day}, Asia/Shanghai): the run started before it")]
    assert waits == [] or (len(waits) == 1 and 0 < waits[0] <= 1.0), logs
    assert any(m.startswith("waiting for the inbox (the ready marker _READY)") for m in logs), logs
    assert any(m.startswith("inbox ready (the ready marker _READY) after waiting ") for m in logs), logs
    for subject in (f"[cutoff] nightly {day}: the run Failed",
                    f"[cutoff] nightly {day}: completed with no order lines"):
        assert not _posts(alerting, subject)


@pytest.mark.slow
def test_with_serve_dead_ops_hear_from_the_server_and_a_late_run_is_reported(alerting):
    """`cutoff serve` dies before a run is due: the server itself posts the webhook alerts (serve not
    running; the run went Late and did not complete in time); the emails follow when serve is back,
    and so does the run."""
    client, server = alerting["client"], alerting["server"]
    nightly = _deployment(alerting, "cutoff/nightly")
    from prefect.states import Scheduled
    due = datetime.now(timezone.utc) + timedelta(seconds=20)
    run = client.create_flow_run_from_deployment(nightly.id, state=Scheduled(scheduled_time=due))
    from transforms.windows import cutoff_date_for_instant, parse_clock
    day = cutoff_date_for_instant("nightly", due, "Asia/Shanghai", parse_clock(alerting["env"]["CUTOFF_NIGHTLY_AT"]))
    name = f"nightly {day.isoformat()}"  # the cutoff its scheduled time falls in
    wait_for(lambda: client.read_flow_run(run.id).name == name, 30, "serve to name the run", alerting["serve_log"])
    stop(alerting["serve"], signal.SIGKILL)  # the machine's batch process dies
    serve_post, _ = _received(alerting, "[cutoff] cutoff serve is not running", mail=False)
    assert serve_post["body"].startswith("What happened: `cutoff serve` has stopped asking the Prefect server for "
                                         "work: at ")
    late_subject = f"[cutoff] {name}: not completed within 0.5 min"
    late_post, _ = _received(alerting, late_subject, timeout=150, mail=False)
    assert late_post["body"].startswith(f'What happened: the run "{name}" (cutoff/nightly) was Late at ')
    assert "`cutoff serve` is not running or cannot reach the server: start it" in late_post["body"]
    assert client.read_flow_run(run.id).state.name == "Late"
    assert not _mails(alerting, late_subject)  # the email is sent by serve, which is down
    # ops start `cutoff serve` again: the queued alert emails go out, the Late run runs
    alerting["serve"] = server.serve(alerting["env"], alerting["serve_log"])
    _, late_mail = _received(alerting, late_subject)
    _check_email(late_mail, late_post, "late")
    _, serve_mail = _received(alerting, "[cutoff] cutoff serve is not running")
    assert serve_mail["X-Cutoff-Alert"] == "serve"
    assert _final(alerting, run.id, timeout=180).state.is_completed()


@pytest.mark.slow
def test_without_an_smtp_server_the_alert_email_is_written_to_the_reports_dir(prefect_harness, tmp_path, monkeypatch):
    from flows.alert_email import alert_flow
    monkeypatch.setenv("CUTOFF_REPORTS_DIR", str(tmp_path / "reports"))
    assert alert_flow(kind="late", subject="[cutoff] nightly 2026-12-02: not completed within 30 min",
                      body="What happened: ...") == "no_address"  # no CUTOFF_OPS_EMAIL: nothing to send
    monkeypatch.setenv("CUTOFF_OPS_EMAIL", OPS)
    assert alert_flow(kind="late", subject="[cutoff] nightly 2026-12-02: not completed within 30 min",
                      body="What happened: ...") == "outbox"
    from email import message_from_bytes, policy
    [written] = (tmp_path / "reports" / "alerts").glob("*-late.eml")
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["Subject"] == "[cutoff] nightly 2026-12-02: not completed within 30 min"
    assert message["To"] == "ops@tuangou.example.cn, duty@tuangou.example.cn"
