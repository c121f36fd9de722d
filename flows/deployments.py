"""`cutoff serve`: the deployments, served from this process to the Prefect server at PREFECT_API_URL.

| deployment         | runs          | schedule (business time zone)          | parameters            |
| cutoff/nightly     | cutoff_flow   | every day at CUTOFF_NIGHTLY_AT (20:00) | calendar=nightly      |
| cutoff/weekly      | cutoff_flow   | Monday 00:00 = Sunday 24:00            | calendar=weekly       |
| backfill/backfill  | backfill_flow | none: custom runs from the UI          | calendar, start, end  |
| settle/settle      | settle_flow   | none: custom runs from the UI          | week                  |
| alert/alert        | alert_flow    | none: started by the alert automations | kind, subject, body   |

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

from datetime import date, datetime, time

from errors import UserError

SERVER_HELP = (
    "`cutoff serve` needs a Prefect server, and PREFECT_API_URL is not set. Start one in another "
    "terminal with `prefect server start --host 127.0.0.1 --port 4200`, then "
    "`export PREFECT_API_URL=http://127.0.0.1:4200/api` here and run `cutoff serve` again. "
    "The UI is then at http://127.0.0.1:4200 (see docs/ops.md).")


def cutoff_run_name(calendar: str, cutoff_date: date | str | None, scheduled: datetime | None,
                    timezone: str = "Asia/Shanghai", nightly_at: time = time(20, 0)) -> str:
    """'nightly 2026-11-21': the given date, or the cutoff the run was scheduled for."""
    from transforms.windows import CalendarError, cutoff_date_for_instant
    if isinstance(cutoff_date, str) and cutoff_date:
        try:
            cutoff_date = date.fromisoformat(cutoff_date)
        except ValueError:
            return f"{calendar} {cutoff_date}"
    if isinstance(cutoff_date, date):
        return f"{calendar} {cutoff_date.isoformat()}"
    if scheduled is None:
        return f"{calendar} (no date)"
    try:
        return f"{calendar} {cutoff_date_for_instant(calendar, scheduled, timezone, nightly_at).isoformat()}"
    except CalendarError:
        return f"{calendar} (unknown calendar)"


def name_cutoff_run() -> str:
    """`flow_run_name` callable of cutoff_flow: the run's name even when `cutoff_date` is empty."""
    from prefect.runtime import flow_run

    from flows.settings import Settings, load_settings
    from transforms.windows import parse_clock
    try:
        settings = load_settings()
        nightly_at = parse_clock(settings.nightly_at)
    except (UserError, ValueError):  # the run itself reports bad settings; the name uses the defaults
        settings, nightly_at = Settings(), time(20, 0)
    parameters = flow_run.parameters or {}
    return cutoff_run_name(parameters.get("calendar", "nightly"), parameters.get("cutoff_date"),
                           flow_run.scheduled_start_time, settings.timezone, nightly_at)


def nightly_cron(nightly_at: str) -> str:
    """'20:00' -> '0 20 * * *'."""
    from transforms.windows import parse_clock
    at = parse_clock(nightly_at)
    return f"{at.minute} {at.hour} * * *"


WEEKLY_CRON = "0 0 * * 1"  # Monday 00:00, i.e. Sunday 24:00: the weekly cutoff of that Sunday


def build_deployments(settings=None, *, include_settle: bool = True) -> list:
    """The RunnerDeployments `cutoff serve` serves (no server contacted)."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    from flows.backfill import backfill_flow
    from flows.cutoff_flow import cutoff_flow
    from flows.settings import load_settings

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
    ]
    from flows.alert_email import alert_flow
    deployments.append(alert_flow.to_deployment(
        name="alert", tags=["cutoff"],
        description="Emails one alert to CUTOFF_OPS_EMAIL. Started by the `cutoff: ` automations "
                    "(docs/ops.md, Alerts), not by hand."))
    if include_settle:
        try:
            from flows.settle_flow import settle_flow
        except Exception as exc:  # the ledger is optional here: serve the cutoffs regardless
            print(f"note: the settle deployment is not served: flows.settle_flow does not import "
                  f"({type(exc).__name__}: {exc}).", flush=True)
        else:
            deployments.append(settle_flow.to_deployment(
                name="settle", concurrency_limit=one_at_a_time, tags=["cutoff"],
                description="The weekly commission settlement of one ISO week (e.g. 2026-W47)."))
    return deployments


def _api_url() -> str:
    from prefect.settings import get_current_settings
    return (get_current_settings().api.url or "").strip()


def _check_server(api_url: str) -> None:
    from prefect.client.orchestration import get_client
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
    from prefect import serve

    from flows.alerts import ensure_alerts
    from flows.settings import load_settings

    api_url = _api_url()
    if not api_url:
        raise UserError(SERVER_HELP)
    _check_server(api_url)
    settings = load_settings()
    deployments = build_deployments(settings)
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
    from prefect.settings import get_current_settings
    configured = (get_current_settings().ui_url or "").strip()
    return configured or api_url.removesuffix("/").removesuffix("/api")


# ---- names for the runs that have not started ------------------------------------------------------

NAMED_DEPLOYMENTS = ("cutoff/nightly", "cutoff/weekly", "backfill/backfill")


def expected_run_name(flow_name: str, parameters: dict, scheduled, settings) -> str | None:
    """The name a run of cutoff or backfill gets when it starts, from its parameters and
    scheduled time; None for another flow."""
    from transforms.windows import parse_clock
    if flow_name == "cutoff":
        try:
            nightly_at = parse_clock(settings.nightly_at)
        except ValueError:
            nightly_at = time(20, 0)
        return cutoff_run_name(parameters.get("calendar", "nightly"), parameters.get("cutoff_date"),
                               scheduled, settings.timezone, nightly_at)
    if flow_name == "backfill" and parameters.get("start") and parameters.get("end"):
        return f"backfill {parameters.get('calendar', 'nightly')} {parameters['start']}..{parameters['end']}"
    return None


def name_waiting_runs(client, deployment_ids: list[str], settings, horizon_days: float = 2) -> list[tuple[str, str]]:
    """Rename the runs of these deployments that wait (Scheduled, Late, Pending) or were cancelled
    (the twin refused by the concurrency limit never runs flow code), expected from a day ago to
    `horizon_days` ahead, after their cutoff. A run that started was named by the flow; it is
    left as it is. Returns [(old name, new name)]."""
    from datetime import timedelta, timezone

    from prefect.client.schemas.filters import (
        DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterExpectedStartTime,
        FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    if not deployment_ids:
        return []
    now = datetime.now(timezone.utc)
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.SCHEDULED, StateType.PENDING, StateType.CANCELLED])),
            expected_start_time=FlowRunFilterExpectedStartTime(
                after_=now - timedelta(days=1), before_=now + timedelta(days=horizon_days))),
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=deployment_ids)), limit=200)
    flows: dict = {}
    renamed = []
    for run in runs:
        if run.flow_id not in flows:
            flows[run.flow_id] = client.read_flow(run.flow_id).name
        name = expected_run_name(flows[run.flow_id], run.parameters or {},
                                 run.expected_start_time or run.next_scheduled_start_time, settings)
        if name and name != run.name:
            client.update_flow_run(run.id, name=name)
            renamed.append((run.name, name))
    return renamed


class RunNamer:
    """A daemon thread of `cutoff serve`: every few seconds, `name_waiting_runs`. A run that never
    starts (the cancelled twin) otherwise keeps the random name the server gave it."""

    def __init__(self, deployment_ids: list[str], settings, interval: float | None = None):
        import threading

        from prefect.settings import get_current_settings
        self.deployment_ids, self.settings = deployment_ids, settings
        self.interval = interval or max(1.0, min(float(get_current_settings().runner.poll_frequency), 5.0))
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cutoff-run-namer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _loop(self) -> None:
        import logging

        from prefect.client.orchestration import get_client
        logger = logging.getLogger("cutoff.serve")
        while not self._stopped.is_set():
            try:
                with get_client(sync_client=True) as client:
                    while not self._stopped.is_set():
                        for old, new in name_waiting_runs(client, self.deployment_ids, self.settings):
                            logger.info("named run %s: %s", old, new)
                        self._stopped.wait(self.interval)
            except Exception as exc:  # the server away for a moment: try again
                logger.warning("naming the waiting runs failed (%s: %s); trying again", type(exc).__name__, exc)
                self._stopped.wait(self.interval * 2)
