"""The deployments of the day (docs/progress.md), served by `cutoff serve` with the others
(flows/deployments.py): progress/nightly and progress/weekly (scheduled through the selling day,
and "progress now" from the UI as a custom run), notice/nightly and notice/weekly (the notice
before arrival: every few minutes in the morning, each run sends what has become due)."""

from __future__ import annotations

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from errors import UserError
from flows.notice_flow import notice_flow
from flows.progress_flow import progress_flow


def schedule(setting: str, cron: str, timezone: str) -> Cron:
    """The Cron of a schedule setting; a bad one is a user error naming it."""
    try:
        return Cron(cron, timezone=timezone)
    except ValueError as exc:
        raise UserError(f"{setting}={cron!r} is not a cron schedule ({exc}): write it as five fields, e.g. "
                        "'0 8-19 * * *' (minute hour day month weekday).") from None


def progress_deployments(settings) -> list:
    # an on-demand run while a scheduled one runs waits for it (each takes seconds), rather than being dropped
    queued = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    tz = settings.timezone
    progress_nightly = schedule("CUTOFF_PROGRESS_SCHEDULE", settings.progress_schedule, tz)
    progress_weekly = schedule("CUTOFF_PROGRESS_WEEKLY_SCHEDULE", settings.progress_weekly_schedule, tz)
    notice = schedule("CUTOFF_NOTICE_SCHEDULE", settings.notice_schedule, tz)
    return [
        progress_flow.to_deployment(
            name="nightly", schedules=[progress_nightly],
            parameters={"calendar": "nightly"}, concurrency_limit=queued, tags=["cutoff"],
            description=f"Group progress (成团进度) of the coming nightly cutoff on the orders so far, on "
                        f"`{settings.progress_schedule}` ({tz}, CUTOFF_PROGRESS_SCHEDULE): progress.json, "
                        "progress.xlsx, the leaders' messages to their group bots when they changed (never after "
                        "the cutoff). Custom run: now, or as_of an earlier instant (files only)."),
        progress_flow.to_deployment(
            name="weekly", schedules=[progress_weekly],
            parameters={"calendar": "weekly"}, concurrency_limit=queued, tags=["cutoff"],
            description=f"Group progress of the coming weekly presale cutoff, on `{settings.progress_weekly_schedule}` "
                        f"({tz}, CUTOFF_PROGRESS_WEEKLY_SCHEDULE)."),
        notice_flow.to_deployment(
            name="nightly", schedules=[notice],
            parameters={"calendar": "nightly"}, concurrency_limit=queued, tags=["cutoff"],
            description=f"The notice before the goods arrive (到货通知) of the latest nightly cutoff, on "
                        f"`{settings.notice_schedule}` ({tz}, CUTOFF_NOTICE_SCHEDULE): each leader once the goods-in "
                        "run decided or their route left (master/routes.csv); a change later as 修订版."),
        notice_flow.to_deployment(
            name="weekly", schedules=[notice],
            parameters={"calendar": "weekly"}, concurrency_limit=queued, tags=["cutoff"],
            description="The notice before the goods arrive of the latest weekly presale cutoff, on the same "
                        "schedule (CUTOFF_NOTICE_SCHEDULE)."),
    ]
