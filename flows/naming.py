"""Run names: a cutoff run is named after its cutoff ("nightly 2026-11-21") even when it was
scheduled without a date, and `cutoff serve` names the runs that have not started yet (scheduled
ones, and a twin cancelled by the concurrency limit, which never runs flow code) the same way."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.runtime import flow_run
from prefect.settings import get_current_settings

from errors import UserError
from flows.settings import Settings, load_settings
from transforms.windows import CalendarError, cutoff_date_for_instant, parse_clock


def cutoff_run_name(calendar: str, cutoff_date: date | str | None, scheduled: datetime | None,
                    timezone: str = "Asia/Shanghai", nightly_at: time = time(20, 0)) -> str:
    """'nightly 2026-11-21': the given date, or the cutoff the run was scheduled for."""
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
    try:
        settings = load_settings()
        nightly_at = parse_clock(settings.nightly_at)
    except (UserError, ValueError):  # the run itself reports bad settings; the name uses the defaults
        settings, nightly_at = Settings(), time(20, 0)
    parameters = flow_run.parameters or {}
    return cutoff_run_name(parameters.get("calendar", "nightly"), parameters.get("cutoff_date"),
                           flow_run.scheduled_start_time, settings.timezone, nightly_at)


NAMED_DEPLOYMENTS = ("cutoff/nightly", "cutoff/weekly", "backfill/backfill", "progress/nightly", "progress/weekly",
                     "notice/nightly", "notice/weekly", "report/report")


def instant_text(value, timezone_name: str) -> str:
    """An instant as ops read it: `2026-11-21 15:00` in the business time zone (an aware instant, or
    ISO text from the UI's form; a naive one is business time already); empty: `now`."""
    if not value:
        return "now"
    try:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if instant.tzinfo is not None:
            instant = instant.astimezone(ZoneInfo(timezone_name))
        return instant.strftime("%Y-%m-%d %H:%M")
    except (ValueError, KeyError):  # a name is never worth failing a run for
        return str(value)


def progress_run_name(parameters: dict, scheduled: datetime | None, timezone_name: str) -> str:
    """`progress nightly (coming) as of 2026-11-21 15:00`: a run without `as_of` counts as of its
    scheduled time (flows/progress_flow.py: default_as_of)."""
    day = parameters.get("cutoff_date") or "(coming)"
    return (f"progress {parameters.get('calendar', 'nightly')} {day} as of "
            f"{instant_text(parameters.get('as_of') or scheduled, timezone_name)}")


def notice_run_name(parameters: dict, scheduled: datetime | None, timezone_name: str) -> str:
    """`notice nightly 2026-11-21`; a scheduled one (the latest cutoff, every 10 minutes) with its time."""
    if parameters.get("cutoff_date"):
        return f"notice {parameters.get('calendar', 'nightly')} {parameters['cutoff_date']}"
    at = f" at {instant_text(scheduled, timezone_name)}" if scheduled else ""
    return f"notice {parameters.get('calendar', 'nightly')} (latest){at}"


def report_run_name(parameters: dict) -> str:
    start, end = parameters.get("start"), parameters.get("end")
    return f"report {start}..{end}" if start and end else "report (the week before)"


def expected_run_name(flow_name: str, parameters: dict, scheduled, settings) -> str | None:
    """The name a run of cutoff, backfill, progress, notice or report gets when it starts, from its
    parameters and scheduled time; None for another flow."""
    if flow_name == "cutoff":
        try:
            nightly_at = parse_clock(settings.nightly_at)
        except ValueError:
            nightly_at = time(20, 0)
        return cutoff_run_name(parameters.get("calendar", "nightly"), parameters.get("cutoff_date"),
                               scheduled, settings.timezone, nightly_at)
    if flow_name == "backfill" and parameters.get("start") and parameters.get("end"):
        return f"backfill {parameters.get('calendar', 'nightly')} {parameters['start']}..{parameters['end']}"
    if flow_name == "progress":  # the upcoming runs read as they will, not `majestic-scallop`
        return progress_run_name(parameters, scheduled, settings.timezone)
    if flow_name == "notice":
        return notice_run_name(parameters, scheduled, settings.timezone)
    if flow_name == "report":
        return report_run_name(parameters)
    return None


def name_waiting_runs(client, deployment_ids: list[str], settings, horizon_days: float = 2) -> list[tuple[str, str]]:
    """Rename the runs of these deployments that wait (Scheduled, Late, Pending) or were cancelled
    (the twin refused by the concurrency limit never runs flow code), expected from a day ago to
    `horizon_days` ahead, after their cutoff. A run that started was named by the flow; it is
    left as it is. Returns [(old name, new name)]."""
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
        self.deployment_ids, self.settings = deployment_ids, settings
        self.interval = interval or max(1.0, min(float(get_current_settings().runner.poll_frequency), 5.0))
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cutoff-run-namer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _loop(self) -> None:
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
