"""`cutoff serve`: the deployments, served from this process to the Prefect server at PREFECT_API_URL.

| deployment         | runs          | schedule (business time zone)          | parameters            |
| cutoff/nightly     | cutoff_flow   | every day at CUTOFF_NIGHTLY_AT (20:00) | calendar=nightly      |
| cutoff/weekly      | cutoff_flow   | Monday 00:00 = Sunday 24:00            | calendar=weekly       |
| backfill/backfill  | backfill_flow | none: custom runs from the UI          | calendar, start, end  |
| settle/settle      | settle_flow   | none: custom runs from the UI          | week                  |
| receive/receive    | receive_flow  | none: custom runs from the UI          | calendar, cutoff_date |
| resend/resend      | resend_flow   | none: custom runs from the UI          | calendar, cutoff_date |
| alert/alert        | alert_flow    | none: started by the alert automations | kind, subject, body   |
| national/nightly   | national_flow | every day at CUTOFF_NIGHTLY_AT         | calendar=nightly      |
(national/nightly only with CUTOFF_REGIONS; its regions' runs go to the work pool, docs/regions.md)
| report/report      | report_flow   | Wednesday 09:00: the week before       | start, end (or none)  |
| progress/nightly   | progress_flow | CUTOFF_PROGRESS_SCHEDULE (hourly 8-19) | calendar=nightly      |
| progress/weekly    | progress_flow | CUTOFF_PROGRESS_WEEKLY_SCHEDULE (noon) | calendar=weekly       |
| notice/nightly     | notice_flow   | CUTOFF_NOTICE_SCHEDULE (every 10 min   | calendar=nightly      |
| notice/weekly      | notice_flow   |   from 04:00 to 11:50)                 | calendar=weekly       |
(progress and notice: docs/progress.md; a custom run of progress/<calendar> is "progress now" from the UI)
| forecast/forecast  | forecast_flow | after each cutoff/nightly run completes | forecast_date (or none), horizon |

A scheduled run leaves `cutoff_date` empty; the flow derives it from the run's scheduled start
time in the business time zone, so a late or retried run still processes its own cutoff. Each
deployment runs one flow run at a time: a second one is cancelled by the server ("Deployment
concurrency limit reached."), and two runs of different deployments on one warehouse meet the
warehouse lock, which fails the second with a clear message.

`cutoff serve` also creates the alert automations (flows/alerts.py) and names the runs that have
not started yet (scheduled ones, and a second run cancelled by the concurrency limit, which never
runs flow code) after their cutoff, as the flow names the runs it starts.
"""

from __future__ import annotations

from prefect import serve
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron
from prefect.settings import get_current_settings

from errors import UserError
from flows.alert_email import alert_flow
from flows.alerts import ensure_alerts
from flows.backfill_flow import backfill_flow
from flows.cutoff_flow import cutoff_flow
from flows.forecast_command import forecast_deployment
from flows.naming import NAMED_DEPLOYMENTS, RunNamer
from flows.national_command import national_deployment, prepare_national
from flows.progress_deployments import progress_deployments
from flows.receive_flow import receive_flow
from flows.report_flow import report_flow
from flows.resend_flow import resend_flow
from flows.settings import load_settings
from flows.settle_flow import settle_flow
from transforms.windows import parse_clock

SERVER_HELP = (
    "`cutoff serve` needs a Prefect server, and PREFECT_API_URL is not set. Start one in another "
    "terminal with `prefect server start --host 127.0.0.1 --port 4200`, then "
    "`export PREFECT_API_URL=http://127.0.0.1:4200/api` here and run `cutoff serve` again. "
    "The UI is then at http://127.0.0.1:4200 (see docs/ops.md).")


def nightly_cron(nightly_at: str) -> str:
    """'20:00' -> '0 20 * * *'."""
    at = parse_clock(nightly_at)
    return f"{at.minute} {at.hour} * * *"


WEEKLY_CRON = "0 0 * * 1"  # Monday 00:00, i.e. Sunday 24:00: the weekly cutoff of that Sunday
NULL = {"type": "null"}


def form_parameter(prop: dict) -> dict:
    """One parameter as the UI's custom-run form should show it. An optional parameter
    (`cutoff_date: date | None = None`) has the schema `anyOf: [T, null]`, which the form shows as
    a "T | None" switch left on None; as plain T (a date picker, a dropdown, a text box), not
    required and without a default, the field starts empty and may stay so: an empty field is
    left out of the run's parameters (the server accepts that) and the flow takes None."""
    options = prop.get("anyOf")
    if not options or prop.get("default", None) is not None or NULL not in options or len(options) != 2:
        return prop
    (plain,) = [option for option in options if option != NULL]
    return {**plain, **{k: v for k, v in prop.items() if k not in ("anyOf", "default")}}


def _one_line(prop: dict) -> dict:
    """A description from a docstring, its line breaks as spaces (the form wraps it)."""
    if isinstance(prop.get("description"), str):
        return {**prop, "description": " ".join(prop["description"].split())}
    return prop


DEVELOPER_ONLY = ("progress", "warehouse", "now")  # flow parameters the command line and tests set: not in the form
LAST_IN_FORM = ("data_dir", "reports_dir")  # a run's own folders: rarely set from the UI, at the end of the form


def with_form_parameters(deployment):
    """The deployment's custom-run form as ops read it: every optional parameter a plain field
    (`form_parameter`), the developer-only ones (DEVELOPER_ONLY) left out (a run from the UI takes
    their defaults; the flow keeps them for the command line), a run's own folders last."""
    schema = deployment._parameter_openapi_schema
    kept = [(name, prop) for name, prop in schema.properties.items() if name not in DEVELOPER_ONLY]
    ordered = [item for item in kept if item[0] not in LAST_IN_FORM] + [item for item in kept
                                                                         if item[0] in LAST_IN_FORM]
    schema.properties = {name: {**_one_line(form_parameter(prop)), "position": position}
                         for position, (name, prop) in enumerate(ordered)}
    if schema.required:
        schema.required = [name for name in schema.required if name not in DEVELOPER_ONLY]
    return deployment


REPORT_CRON = "0 9 * * 3"  # Wednesday 09:00: the week before, once its last pickup deadline (48 h) has passed


def build_deployments(settings=None, *, include_settle: bool = True) -> list:
    """The RunnerDeployments `cutoff serve` serves (no server contacted)."""
    settings = settings or load_settings()
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    deployments = [
        cutoff_flow.to_deployment(
            name="nightly", schedules=[Cron(nightly_cron(settings.nightly_at), timezone=settings.timezone)],
            parameters={"calendar": "nightly"}, concurrency_limit=one_at_a_time, tags=["cutoff"],
            description=f"The nightly cutoff, every day at {settings.nightly_at} {settings.timezone}. Leave "
                        "cutoff_date empty for the cutoff of the scheduled time; set it to rerun a past one."),
        cutoff_flow.to_deployment(
            name="weekly", schedules=[Cron(WEEKLY_CRON, timezone=settings.timezone)],
            parameters={"calendar": "weekly"}, concurrency_limit=one_at_a_time, tags=["cutoff"],
            description=f"The weekly presale cutoff, Sunday 24:00 {settings.timezone} (Monday 00:00). "
                        "cutoff_date is the Sunday; empty means the Sunday just ended."),
        backfill_flow.to_deployment(
            name="backfill", concurrency_limit=one_at_a_time, tags=["cutoff"],
            description="The cutoffs of one calendar from start to end (inclusive), oldest first, each its own "
                        "flow run; stops at the first failure. Weekly: the Sundays of the range."),
        receive_flow.to_deployment(
            name="receive", concurrency_limit=one_at_a_time, tags=["cutoff"],
            description="The goods-in run of one cutoff (the morning after): shortages, who goes without, shortage "
                        "refunds and clawbacks, supplier payables, re-issued 修订版 sheets. Run it again after a "
                        "corrected or late receipt. cutoff_date empty: the latest cutoff of the calendar."),
        resend_flow.to_deployment(
            name="resend", concurrency_limit=one_at_a_time, tags=["cutoff"],
            description="Delivers what a cutoff left undelivered (emails that failed or wait in the outbox, purchase "
                        "orders a supplier's system did not take), without computing the cutoff again. Nothing "
                        "delivered already goes out twice (docs/po-api.md)."),
    ]
    deployments.append(alert_flow.to_deployment(
        name="alert", tags=["cutoff"],
        description="Emails one alert to CUTOFF_OPS_EMAIL. Started by the `cutoff: ` automations "
                    "(docs/ops.md, Alerts), not by hand."))
    national = national_deployment(settings, [Cron(nightly_cron(settings.nightly_at), timezone=settings.timezone)],
                                   one_at_a_time)
    if national is not None:  # with CUTOFF_REGIONS (docs/regions.md)
        deployments.append(national)
    deployments.append(report_flow.to_deployment(
        name="report", schedules=[Cron(REPORT_CRON, timezone=settings.timezone)], concurrency_limit=one_at_a_time,
        tags=["cutoff"],
        description="The fulfilment timeline and the losses (reports/analysis/<from>_<to>/). Scheduled: every "
                    f"Wednesday 09:00 {settings.timezone}, the ISO week before; a custom run takes start and end."))
    deployments += progress_deployments(settings)
    deployments.append(forecast_deployment(settings, one_at_a_time))
    if include_settle:
        deployments.append(settle_flow.to_deployment(
            name="settle", concurrency_limit=one_at_a_time, tags=["cutoff"],
            description="The weekly commission settlement of one ISO week (e.g. 2026-W47)."))
    return [with_form_parameters(d) for d in deployments]


def _api_url() -> str:
    return (get_current_settings().api.url or "").strip()


def _check_server(api_url: str) -> None:
    with get_client(sync_client=True) as client:
        error = client.api_healthcheck()
    if error is not None:
        raise UserError(f"no Prefect server answers at PREFECT_API_URL={api_url} ({type(error).__name__}). "
                        "Start it with `prefect server start --host 127.0.0.1 --port 4200` (or fix the URL: "
                        "it ends in /api), then run `cutoff serve` again.")


def serve_deployments() -> None:
    """Serve the deployments until interrupted (Ctrl-C). Flow runs execute in this machine's
    processes, with this process's environment (CUTOFF_DATA_DIR, CUTOFF_REPORTS_DIR, SMTP ...).
    Before serving: the deployments are registered, the alert automations made (or updated), and
    a thread names the runs that have not started yet."""


    api_url = _api_url()
    if not api_url:
        raise UserError(SERVER_HELP)
    _check_server(api_url)
    settings = load_settings()
    deployments = build_deployments(settings)
    prepare_national(settings, lambda line: print(line, flush=True))  # the pool and cutoff/region, before serving
    ids = {f"{d.flow_name}/{d.name}": str(d.apply()) for d in deployments}
    ui = _ui_url(api_url)
    try:
        lines = ensure_alerts(settings, ids, ui)
    except Exception as exc:  # the 20:00 run matters more than its alerts: serve, and say so loudly
        lines = [f"WARNING: the alerts could not be set up ({type(exc).__name__}: {exc}). The deployments are "
                 "served, but ops will not be alerted; fix the cause and start `cutoff serve` again."]
    for line in lines:
        print(line, flush=True)
    namer = RunNamer([ids[name] for name in NAMED_DEPLOYMENTS if name in ids], settings)
    namer.start()
    print(f"serving {', '.join(ids)} to {api_url}; UI at {ui}. Ctrl-C stops.", flush=True)
    try:
        serve(*deployments, print_starting_message=False)
    finally:
        namer.stop()


def _ui_url(api_url: str) -> str:
    configured = (get_current_settings().ui_url or "").strip()
    return configured or api_url.removesuffix("/").removesuffix("/api")
