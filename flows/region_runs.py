"""The regional cutoffs of a national run: one flow run of `cutoff/region` per region, started on the
work pool, then watched until each has ended.

A region's run ends Completed, Failed (the cutoff's own error, e.g. bad master data), Crashed (its
process died: the worker saw it) or Cancelled. Two cases nobody else reports, handled here:

- lost: the run's process is gone but its state still says Running: its worker was killed with it
  (SIGKILL, the OOM killer). A process of this machine is recognised by the run's
  `infrastructure_pid` and `PREFECT__FLOW_RUN_ID` in its environment; once seen and then gone
  for `LOST_GRACE_SECONDS` without a final state, the run is set Crashed with the reason. Runs on
  other machines are covered by flow-run heartbeats (every 30 s) and the automation
  `ensure_lost_run_automation` makes: no heartbeat for 90 s -> Crashed.
- no worker: runs wait (Scheduled) while no worker polls the pool. After `worker_wait` seconds
  without an online worker the runs not started are cancelled and reported as such, instead of
  waiting forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from errors import USER_ERROR_NAMES
from flows.regions import Region
from flows.workers import HEARTBEAT_SECONDS, REGION_DEPLOYMENT, online_workers
from transforms.national import COMPLETED, FAILED, RegionOutcome

POLL_SECONDS = 2.0
LOST_GRACE_SECONDS = 10.0
LOST_RUN_AUTOMATION = "cutoff national: a region's run lost its heartbeat"
ENGINE_PREFIX = "Flow run encountered an exception: "

Say = Callable[[str], None]


def region_parameters(region: Region, calendar: str, cutoff_date: date, *, force: bool, send_email: bool,
                      lang: str | None) -> dict:
    """The cutoff flow's parameters for `region`: what `cutoff run --data-dir ... --reports-dir ...
    --lang ...` on its data dir passes. The region's own language wins over the national one."""
    return {"calendar": calendar, "cutoff_date": cutoff_date.isoformat(), "force": force, "send_email": send_email,
            "data_dir": str(region.data_dir), "reports_dir": str(region.reports_dir),
            "lang": region.lang or lang, "warehouse": str(region.warehouse) if region.warehouse else None}


def start_region_runs(regions: list[Region], calendar: str, cutoff_date: date, *, force: bool, send_email: bool,
                      lang: str | None) -> dict[str, str]:
    """One flow run of `cutoff/region` per region (returns at once: the workers run them).
    {region_id: flow run id}. Inside a flow, each run is its child in the UI."""
    from prefect.deployments import run_deployment
    started = {}
    for region in regions:
        run = run_deployment(
            REGION_DEPLOYMENT, timeout=0, tags=["cutoff", f"region:{region.region_id}"],
            parameters=region_parameters(region, calendar, cutoff_date, force=force, send_email=send_email, lang=lang),
            job_variables=region.run_job_variables())
        started[region.region_id] = str(run.id)
    return started


def failure_reason(state_name: str, message: str | None) -> str:
    """What a failed region's run says, without the engine's wrapping ("Flow run encountered an
    exception: MasterDataError: ...") when the error is one of ours."""
    text = (message or "").strip()
    text = text.removeprefix(ENGINE_PREFIX)
    name, sep, rest = text.partition(": ")
    if sep and name in USER_ERROR_NAMES:
        text = rest
    return text or state_name.lower()


def _seconds(run) -> float | None:
    if run.start_time and run.end_time:
        return round((run.end_time - run.start_time).total_seconds(), 1)
    return round(run.total_run_time.total_seconds(), 1) if run.total_run_time else None


def outcome_of(region_id: str, run) -> RegionOutcome:
    """The outcome of a region whose run has ended (`run`: the API's flow run)."""
    state = run.state
    if state.is_completed():
        return RegionOutcome(region_id, COMPLETED, None, "", state.name, str(run.id), _seconds(run))
    return RegionOutcome(region_id, FAILED, None, failure_reason(state.name, state.message), state.name,
                         str(run.id), _seconds(run))


def runs_here(pid_text: str | None, flow_run_id: str) -> bool | None:
    """Is the process `pid_text` (a flow run's infrastructure_pid, 'pid' or 'host:pid') a live
    process of this machine running `flow_run_id`? None when it cannot be told (no pid, no /proc,
    another user's process)."""
    if not pid_text:
        return None
    try:
        pid = int(str(pid_text).rsplit(":", 1)[-1])
    except ValueError:
        return None
    if not Path("/proc").is_dir():
        return None
    try:
        environment = Path(f"/proc/{pid}/environ").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        return None
    return f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode() in environment.split(b"\0")


@dataclass
class Watched:
    region_id: str
    flow_run_id: str
    seen_here: bool = False
    gone_since: float | None = None


@dataclass
class RegionWatch:
    """Watches the region runs `started` ({region_id: flow run id}) until each has ended."""

    client: object
    started: dict[str, str]
    pool: str
    worker_wait: float = 120.0
    say: Say = print
    on_poll: Callable[[], list[str]] | None = None
    poll_seconds: float = POLL_SECONDS
    outcomes: dict[str, RegionOutcome] = field(default_factory=dict)

    def __post_init__(self):
        self.watched = {rid: Watched(rid, run_id) for rid, run_id in self.started.items()}
        self.no_worker_since: float | None = None
        self.warned_no_worker = False

    def _read(self) -> dict[str, object]:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
        ids = [w.flow_run_id for w in self.watched.values() if w.region_id not in self.outcomes]
        runs = self.client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                                          limit=len(ids))
        return {str(run.id): run for run in runs}

    def _crash(self, watched: Watched, run, why: str) -> None:
        from prefect.states import Crashed
        current = self.client.read_flow_run(run.id)
        if current.state is not None and current.state.is_final():
            return
        self.client.set_flow_run_state(run.id, Crashed(message=why), force=True)

    def _check_lost(self, watched: Watched, run, now: float) -> None:
        here = runs_here(run.infrastructure_pid, watched.flow_run_id)
        if here:
            if not watched.seen_here:
                self.say(f"region {watched.region_id}: running (pid {run.infrastructure_pid} on this machine)")
            watched.seen_here, watched.gone_since = True, None
            return
        if here is False and watched.seen_here:
            watched.gone_since = watched.gone_since or now
            if now - watched.gone_since >= LOST_GRACE_SECONDS:
                pid = str(run.infrastructure_pid).rsplit(":", 1)[-1]
                self._crash(watched, run, f"the process running it (pid {pid}) is gone and its run never ended: its "
                                          "worker was killed with it, or it ran out of memory")

    def _check_workers(self, waiting: list[Watched], now: float) -> None:
        """Runs not taken by a worker: say so when no worker is online; give up after worker_wait."""
        if not waiting or online_workers(self.client, self.pool):
            self.no_worker_since, self.warned_no_worker = None, False
            return
        self.no_worker_since = self.no_worker_since or now
        idle = now - self.no_worker_since
        if idle >= min(30.0, self.worker_wait / 3) and not self.warned_no_worker:
            self.warned_no_worker = True
            self.say(f"no worker polls the work pool {self.pool!r}: {len(waiting)} region run(s) wait. Start one "
                     f"with `prefect worker start --pool {self.pool}` (docs/ops.md); giving up after "
                     f"{self.worker_wait:g} s without a worker.")
        if idle >= self.worker_wait:
            from prefect.states import Cancelled
            for watched in waiting:
                reason = (f"not started: no worker polled the work pool {self.pool!r} for {self.worker_wait:g} s "
                          f"(start one with `prefect worker start --pool {self.pool}`)")
                self.client.set_flow_run_state(watched.flow_run_id, Cancelled(message=reason), force=True)
                self.outcomes[watched.region_id] = RegionOutcome(watched.region_id, FAILED, None, reason,
                                                                 "Cancelled", watched.flow_run_id)
                self.say(f"region {watched.region_id}: {reason}")

    def poll(self, now: float | None = None) -> bool:
        """One look at every run not ended yet; True when all have ended."""
        now = time.monotonic() if now is None else now
        runs = self._read()
        waiting = []
        for watched in self.watched.values():
            if watched.region_id in self.outcomes:
                continue
            run = runs.get(watched.flow_run_id)
            if run is None or run.state is None:
                continue
            if run.state.is_final():
                outcome = outcome_of(watched.region_id, run)
                self.outcomes[watched.region_id] = outcome
                self.say(f"region {watched.region_id}: {outcome.state}"
                         + (f" in {outcome.seconds:g} s" if outcome.seconds is not None else "")
                         + (f": {outcome.reason}" if outcome.reason else ""))
            elif run.state.is_scheduled():
                waiting.append(watched)
            else:
                self._check_lost(watched, run, now)
        self._check_workers(waiting, now)
        for line in (self.on_poll() if self.on_poll else []):
            self.say(line)
        return len(self.outcomes) == len(self.watched)

    def wait(self) -> dict[str, RegionOutcome]:
        while not self.poll():
            time.sleep(self.poll_seconds)
        return self.outcomes


def lost_run_automation(region_deployment_id: str):
    """The automation that sets a region's run Crashed when its heartbeats stop (its process died
    on another machine with nobody left to say so): Prefect's zombie-run pattern, limited to runs
    of `cutoff/region`."""
    from datetime import timedelta

    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    return AutomationCore(
        name=LOST_RUN_AUTOMATION, enabled=True, tags=["cutoff"],
        description=f"A run of {REGION_DEPLOYMENT} sent no heartbeat for {3 * HEARTBEAT_SECONDS} s (it sends one "
                    f"every {HEARTBEAT_SECONDS} s): its process is gone. Set Crashed, so the national run reports "
                    "the region failed. Made by `cutoff national` and `cutoff serve`.",
        trigger=EventTrigger(
            posture=Posture.Proactive, after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.id": f"prefect.deployment.{region_deployment_id}",
                           "prefect.resource.role": "deployment"},
            for_each={"prefect.resource.id"}, threshold=1, within=timedelta(seconds=3 * HEARTBEAT_SECONDS)),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message=f"no heartbeat for {3 * HEARTBEAT_SECONDS} s: the process running this "
                                            "region's cutoff is gone (its worker or machine died, or it ran out of "
                                            "memory)")])


def ensure_lost_run_automation(client, region_deployment_id: str) -> str:
    """Create the automation, or update it when its definition changed. Returns what was done."""
    wanted = lost_run_automation(region_deployment_id)
    found = client.read_automations_by_name(LOST_RUN_AUTOMATION)
    if not found:
        client.create_automation(wanted)
        return "created"
    keep, *duplicates = sorted(found, key=lambda a: str(a.id))
    for duplicate in duplicates:
        client.delete_automation(duplicate.id)
    fields = {"name", "description", "enabled", "trigger", "actions", "tags"}
    if keep.model_dump(mode="json", include=fields) == wanted.model_dump(mode="json", include=fields):
        return "unchanged"
    client.update_automation(keep.id, wanted)
    return "updated"
