"""`cutoff national`: every region's cutoff as its own flow run on the work pool, then the national
roll-up (docs/regions.md).

- With `PREFECT_API_URL` set: that server, its pool (`CUTOFF_POOL`, made when missing with the
  `--workers` concurrency limit) and the workers ops run there (`prefect worker start --pool ...`).
- Without it (the embedded default, one machine): the command brings up what it needs and stops
  all of it afterwards by its own handles: a full local Prefect server (flows/local_server.py,
  dies with the command), the pool with a concurrency limit of `--workers`, and `--workers` local
  process workers (flows/workers.py), each one region at a time. A worker that dies is replaced.

User errors (a bad regions.toml, an unknown --only region, a future cutoff) are refused before
anything starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from errors import RegionsFailed, UserError

Say = Callable[[str], None]


def add_national_parser(commands, date_type: Callable) -> None:
    national = commands.add_parser(
        "national", help="one cutoff per region of regions.toml, each its own flow run on the work pool, then "
                         "the national roll-up")
    national.add_argument("--calendar", choices=["nightly", "weekly"], default="nightly")
    national.add_argument("--date", type=date_type, required=True, help="the cutoff date, YYYY-MM-DD")
    national.add_argument("--regions", type=Path, help="the regions file (default: CUTOFF_REGIONS)")
    national.add_argument("--only", help="just these regions (comma-separated ids); the others' stored results "
                                         "still count in the roll-up")
    national.add_argument("--workers", type=int, help="regions run at once: the local workers started (no "
                                                      "PREFECT_API_URL), the pool's concurrency limit when it is "
                                                      "made (default: the core count)")
    national.add_argument("--force", action="store_true", help="run a cutoff whose instant is in the future")
    national.add_argument("--no-email", action="store_true", help="send no email")
    national.add_argument("--lang", choices=["zh", "en"], help="sheet and email language (a region's own wins)")
    national.add_argument("--data-dir", type=Path, help="the folder relative paths in the regions file are "
                                                        "relative to (default: the regions file's folder)")
    national.add_argument("--reports-dir", type=Path, help="outputs: national/ and each region's default "
                                                          "<reports dir>/<region id> (default: reports, or "
                                                          "CUTOFF_REPORTS_DIR)")


def _only(text: str | None) -> list[str] | None:
    if text is None:
        return None
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise UserError("--only names no region: give region ids separated by commas, e.g. --only east,west")
    return list(dict.fromkeys(ids))


def _print_national(summary: dict, folder: Path) -> None:
    from transforms.money import fen_to_yuan_text as yuan
    totals = summary["totals"]
    done = len(summary["regions"]) - len(summary["failed"])
    print(f"national {summary['calendar']} cutoff {summary['cutoff_date']}: {done} of {len(summary['regions'])} "
          f"region(s) completed")
    for region in summary["regions"]:
        if region["status"] == "completed":
            print(f"  {region['region_id']:<12} completed  {region['order_lines']['eligible']:>9,} lines  "
                  f"net ¥{yuan(region['fen']['net'])}")
        else:
            print(f"  {region['region_id']:<12} FAILED     {region.get('reason') or ''}")
    print(f"  total: {totals['order_lines']['eligible']:,} lines, paid ¥{yuan(totals['fen']['paid'])}, net "
          f"¥{yuan(totals['fen']['net'])}, purchase ¥{yuan(totals['fen']['purchase_cost'])}")
    print(f"  outputs: {folder}/ (summary.json, national.xlsx); each region's under its reports dir")


def _log_dir() -> Path:
    from flows.local_server import prefect_home
    folder = prefect_home() / "cutoff-national" / str(os.getpid())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _own_server(stack: contextlib.ExitStack, logs: Path, say: Say) -> str:
    """A full local Prefect server for the command's duration; its API URL, set for this process."""
    from prefect.context import refresh_global_settings_context

    from flows.local_server import start_local_server, stop_orphaned_servers
    stopped = stop_orphaned_servers()
    if stopped:
        say(f"stopped {len(stopped)} Prefect server(s) left running by a command that was killed "
            f"(pid {', '.join(map(str, stopped))})")
    try:
        server = start_local_server(ephemeral=False, output=logs / "server.log")
    except RuntimeError as exc:
        raise UserError(f"{exc} Its log: {logs / 'server.log'}") from None

    def stop() -> None:
        from flows.local_server import _flush_prefect_workers
        _flush_prefect_workers()
        server.stop()
        os.environ.pop("PREFECT_API_URL", None)
        refresh_global_settings_context()
    stack.callback(stop)
    os.environ["PREFECT_API_URL"] = server.api_url
    refresh_global_settings_context()
    say(f"started a local Prefect server at {server.api_url} (pid {server.pid}; log {logs / 'server.log'})")
    return server.api_url


def prepare_pool(pool: str, workers: int, *, owned: bool, say: Say) -> str:
    """The pool and `cutoff/region` on it; the pool's limit set to `workers` when this command owns
    the server. Returns the deployment id."""
    from prefect.client.orchestration import get_client

    from flows.region_runs import ensure_lost_run_automation
    from flows.workers import deploy_region, set_pool_limit
    with get_client(sync_client=True) as client:
        deployment_id, what = deploy_region(client, pool, workers)
        if owned:
            set_pool_limit(client, pool, workers)
        else:
            try:
                ensure_lost_run_automation(client, deployment_id)
            except Exception as exc:  # a convenience on a shared server: say so, go on
                say(f"warning: the lost-run automation could not be set up ({type(exc).__name__}: {exc})")
        limit = client.read_work_pool(pool).concurrency_limit
    say(f"work pool {pool!r}: {what}, concurrency limit {limit if limit is not None else 'none'}")
    return deployment_id


def command_national(args: argparse.Namespace, start_prefect: Callable[[], None], say: Say) -> int:
    from prefect.settings import get_current_settings

    from flows.national_flow import check_regions, national_dir, on_each_poll
    from flows.regions import load_regions, select_regions
    from flows.settings import load_settings
    from flows.workers import LocalWorkers
    settings = load_settings().with_overrides(reports_dir=args.reports_dir, lang=args.lang, regions=args.regions)
    if settings.regions is None:
        raise UserError("no regions file: pass --regions FILE or set CUTOFF_REGIONS (docs/regions.md shows the "
                        "format).")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UserError(f"--workers must be at least 1, not {workers}")
    reports_root = settings.reports_dir.resolve()
    base = args.data_dir.resolve() if args.data_dir else None
    if base is not None and not base.is_dir():
        raise UserError(f"data dir {args.data_dir} does not exist (--data-dir: the folder relative paths in "
                        f"{settings.regions} are relative to).")
    regions = load_regions(settings.regions, reports_root, base=base)  # user errors before anything starts
    only = _only(args.only)
    check_regions(select_regions(regions, only, settings.regions), args.calendar, args.date, args.force)
    start_prefect()
    owned = not get_current_settings().api.url
    with contextlib.ExitStack() as stack:
        local = None
        if owned:
            logs = _log_dir()
            api_url = _own_server(stack, logs, say)
            prepare_pool(settings.pool, workers, owned=True, say=say)
            local = LocalWorkers(settings.pool, api_url, workers, logs)
            stack.callback(local.stop)
            local.start()
            say(f"started {workers} local worker(s) on the pool (pid "
                f"{', '.join(str(w.pid) for w in local.workers)}; logs in {logs})")
            stack.enter_context(on_each_poll(local.replace_dead))
        else:
            prepare_pool(settings.pool, workers, owned=False, say=say)
        from flows.national_flow import national_flow
        folder = national_dir(reports_root, args.calendar, args.date)
        try:
            summary = national_flow(calendar=args.calendar, cutoff_date=args.date,
                                    regions_file=str(settings.regions), only=only, force=args.force,
                                    send_email=not args.no_email, reports_dir=str(reports_root), lang=args.lang,
                                    pool=settings.pool, progress=True,
                                    data_dir=str(base) if base is not None else None)
        except RegionsFailed as exc:  # the others finished: their roll-up first, then the paragraph
            _print_national(exc.summary or json.loads((folder / "summary.json").read_text(encoding="utf-8")),
                            folder)
            sys.stdout.flush()
            raise
    _print_national(summary, folder)
    return 0



# ---- `cutoff serve`: the national deployment ----------------------------------------------------------

def national_deployment(settings, schedules: list, concurrency_limit):
    """`national/nightly`: the national flow on the nightly schedule, for the regions of
    CUTOFF_REGIONS; None without CUTOFF_REGIONS. Served by `cutoff serve`; its regional runs go
    to the work pool (`prepare_national`)."""
    if settings.regions is None:
        return None
    from flows.national_flow import national_flow
    return national_flow.to_deployment(
        name="nightly", schedules=schedules, concurrency_limit=concurrency_limit, tags=["cutoff", "national"],
        parameters={"calendar": "nightly", "regions_file": str(settings.regions.resolve()), "pool": settings.pool},
        description=f"Every region of {settings.regions} (CUTOFF_REGIONS): one run of cutoff/region each on the work "
                    f"pool {settings.pool!r}, then the national roll-up. Leave cutoff_date empty for the cutoff of "
                    "the scheduled time; `only` reruns chosen regions. docs/regions.md.")


def prepare_national(settings, say: Say) -> None:
    """Before `cutoff serve` serves `national/nightly`: regions.toml is valid, the pool is there
    (made with a concurrency limit of the core count when missing) and `cutoff/region` is on it."""
    from flows.regions import load_regions
    if settings.regions is None:
        return
    load_regions(settings.regions, settings.reports_dir.resolve())
    prepare_pool(settings.pool, os.cpu_count() or 1, owned=False, say=say)
