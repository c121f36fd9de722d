"""The national flow: one regional cutoff per region of regions.toml, each its own flow run of
`cutoff/region` on the work pool, then the national roll-up (docs/regions.md).

start regions -> wait for regions -> roll up, one task each:

- start: a run per region (its parameters: calendar, date, data and reports dirs, language; its
  settings as job variables `env`: CUTOFF_TIMEZONE, CUTOFF_NIGHTLY_AT, ...). A region's run is
  exactly `cutoff run` on its data dir: the same flow, the same parameters, the same settings.
- wait: until every run has ended (flows/region_runs.py: lost runs, no worker).
- roll up: every region's stored summary.json (the ones not run now too: `--only` reruns some and
  refreshes the roll-up), transforms/national.py's rule, then `national/<calendar>/<date>/`
  summary.json and national.xlsx under the reports dir, and the artifact `national-<calendar>`.

A region that failed fails alone: the roll-up is written with the others, then the flow raises
RegionsFailed (exit 6) naming it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.logging import get_run_logger

from errors import RegionsFailed, UserError
from flows.naming import cutoff_run_name
from flows.planning import resolve_cutoff_date
from flows.region_runs import RegionWatch, start_region_runs
from flows.regions import Region, load_regions, select_regions
from flows.run_log import fail_run, prepare_run_log
from flows.settings import Settings, load_settings
from outputs.files import write_json
from outputs.run_folder import output_errors, run_dir
from sheets.national_book import write_national_book
from transforms.money import fen_to_yuan_text
from transforms.national import RegionOutcome, national_summary, settle_outcome
from transforms.windows import CalendarError, parse_clock, window_for

_POLL_HOOKS: list[Callable[[], list[str]]] = []  # the command's local workers, replaced when they die


@contextmanager
def on_each_poll(hook: Callable[[], list[str]]) -> Iterator[None]:
    """While the national flow waits for the regions, call `hook` at each look (the embedded
    default replaces its dead local workers there); its sentences go to the log."""
    _POLL_HOOKS.append(hook)
    try:
        yield
    finally:
        _POLL_HOOKS.remove(hook)


def _poll_hooks() -> list[str]:
    return [line for hook in list(_POLL_HOOKS) for line in hook()]


def national_dir(reports_root: Path, calendar: str, cutoff_date: date | str) -> Path:
    return run_dir(reports_root / "national", calendar, cutoff_date)


def check_regions(regions: list[Region], calendar: str, cutoff_date: date, force: bool,
                  now: datetime | None = None) -> None:
    """Before anything starts: the calendar allows the date, and no region's cutoff instant is
    further ahead than its runs may wait for (without --force). UserError otherwise."""
    now = now or datetime.now(timezone.utc)
    ahead = []
    for region in regions:
        try:
            window = window_for(calendar, cutoff_date, region.settings.timezone,
                                parse_clock(region.settings.nightly_at))
        except CalendarError as exc:
            raise UserError(str(exc)) from None
        if (window.end - now).total_seconds() > region.settings.early_start_max_wait_seconds and not force:
            ahead.append(f"{region.region_id} ({window.end.isoformat()})")
    if ahead:
        raise UserError(f"the {calendar} {cutoff_date} cutoff is in the future for region(s) {', '.join(ahead)}: "
                        "their orders are not locked yet. To run it anyway, with the orders there are now, turn on "
                        "force (in the run form; --force on the command line).")


def name_national_run() -> str:
    from prefect.runtime import flow_run
    parameters = flow_run.parameters or {}
    try:
        settings = load_settings()
        at = parse_clock(settings.nightly_at)
    except (UserError, ValueError):
        settings, at = Settings(), parse_clock("20:00")
    return "national " + cutoff_run_name(parameters.get("calendar", "nightly"), parameters.get("cutoff_date"),
                                         flow_run.scheduled_start_time, settings.timezone, at)


def _say(progress: bool) -> Callable[[str], None]:
    logger = get_run_logger()

    def say(text: str) -> None:
        logger.info(text)
        if progress:
            print(f"  {text}", file=sys.stderr, flush=True)
    return say


@task(name="start regions", cache_policy=NO_CACHE)
def start_regions(regions: list[Region], calendar: str, cutoff_date: date, force: bool, send_email: bool,
                  lang: str | None) -> dict[str, str]:
    return start_region_runs(regions, calendar, cutoff_date, force=force, send_email=send_email, lang=lang)


@task(name="wait for regions", cache_policy=NO_CACHE)
def wait_for_regions(started: dict[str, str], pool: str, worker_wait: float,
                     progress: bool) -> dict[str, RegionOutcome]:
    with get_client(sync_client=True) as client:
        return RegionWatch(client, started, pool, worker_wait, say=_say(progress), on_poll=_poll_hooks).wait()


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@task(name="roll up", cache_policy=NO_CACHE)
def roll_up(regions: list[Region], ran: dict[str, RegionOutcome], calendar: str, cutoff_date: date,
            reports_root: Path, lang: str) -> dict:
    """Every region's outcome (run now, or as stored), the national summary, its files."""
    day = cutoff_date.isoformat()
    folder = national_dir(reports_root, calendar, day)
    previous = {entry["region_id"]: entry for entry in (_read_json(folder / "summary.json") or {}).get("regions", [])
                if isinstance(entry, dict) and "region_id" in entry}
    outcomes = [settle_outcome(region.region_id, calendar, day, ran.get(region.region_id),
                               _read_json(run_dir(region.reports_dir, calendar, day) / "summary.json"),
                               previous.get(region.region_id))
                for region in regions]
    summary = national_summary(calendar, day, outcomes)
    with output_errors(reports_root, "the national roll-up"):
        write_json(folder / "summary.json", summary)
        write_national_book(folder / "national.xlsx", summary, lang)
    publish_national_artifact(summary, folder)
    return summary


def render_national_markdown(summary: dict, folder: Path) -> str:
    """The roll-up for the Prefect UI: every region's figures and the totals."""
    def row(name: str, status: str, figures: dict | None, reason: str = "") -> str:
        if not figures:
            return f"| {name} | {status} | | | | | {reason} |"
        lines, fen = figures["order_lines"], figures["fen"]
        return (f"| {name} | {status} | {lines.get('eligible', 0):,} | ¥{fen_to_yuan_text(fen.get('paid', 0))} | "
                f"¥{fen_to_yuan_text(fen.get('net', 0))} | ¥{fen_to_yuan_text(fen.get('purchase_cost', 0))} | "
                f"{reason} |")
    out = [f"# national {summary['calendar']} cutoff {summary['cutoff_date']}", "",
           f"{len(summary['regions']) - len(summary['failed'])} of {len(summary['regions'])} region(s) completed. "
           f"Files: `{folder}` (summary.json, national.xlsx).", "",
           "| region | status | order lines | paid | net | purchase cost | reason |",
           "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for region in summary["regions"]:
        reason = (region.get("reason") or "").replace("|", "\\|").replace("\n", " ")
        out.append(row(region["region_id"], region["status"],
                       region if region["status"] == "completed" else None, reason))
    out.append(row("**total**", "", summary["totals"]))
    if summary["failed"]:
        out += ["", f"Not completed: {', '.join(summary['failed'])}. Rerun just those: "
                    f"`cutoff national --only {','.join(summary['failed'])} ...` (the others are not rerun)."]
    return "\n".join(out) + "\n"


def publish_national_artifact(summary: dict, folder: Path) -> None:
    """The markdown artifact `national-<calendar>`. Never fails the run."""
    try:
        from prefect.artifacts import create_markdown_artifact

        from flows.artifacts import artifact_key
        create_markdown_artifact(
            key=artifact_key("national", summary["calendar"]), markdown=render_national_markdown(summary, folder),
            description=f"national {summary['calendar']} {summary['cutoff_date']}: "
                        f"net ¥{fen_to_yuan_text(summary['totals']['fen']['net'])}, "
                        f"{len(summary['failed'])} region(s) not completed")
    except Exception as exc:  # a convenience: never fails the roll-up
        get_run_logger().warning("could not publish the national artifact (%s: %s)", type(exc).__name__, exc)


def failed_message(summary: dict, folder: Path) -> str:
    reasons = {r["region_id"]: r.get("reason") or r.get("status") for r in summary["regions"]}
    failed = summary["failed"]
    listed = "; ".join(f"{region_id}: {reasons[region_id]}" for region_id in failed)
    return (f"{len(failed)} of {len(summary['regions'])} region(s) did not complete the {summary['calendar']} "
            f"{summary['cutoff_date']} cutoff: {listed}. The others did; the national roll-up (their totals) "
            f"is in {folder}. Fix the cause, then rerun just those regions with `cutoff national --calendar "
            f"{summary['calendar']} --date {summary['cutoff_date']} --regions ... --only {','.join(failed)}`: "
            "the others are not rerun and the roll-up is refreshed.")


@flow(name="national", flow_run_name=name_national_run, validate_parameters=True)
def national_flow(calendar: Literal["nightly", "weekly"] = "nightly", cutoff_date: date | None = None,
                  regions_file: str | None = None, only: list[str] | None = None, force: bool = False,
                  send_email: bool = True,
                  reports_dir: str | None = None, lang: Literal["zh", "en"] | None = None,
                  pool: str | None = None, worker_wait_seconds: float = 120.0, progress: bool = False,
                  data_dir: str | None = None) -> dict:
    """The cutoff of every region of `regions_file` (default CUTOFF_REGIONS) on the work pool, then
    the national roll-up. Without `cutoff_date`, the one the run was scheduled for. `only`: just
    these regions (the others' stored summaries still count). `data_dir`: what relative paths in
    the regions file are relative to (default: its folder).

    Args:
        calendar: nightly or weekly.
        cutoff_date: The cutoff to run in every region (weekly: its Sunday). Empty: the one this run was
            scheduled for.
        regions_file: The regions.toml to read. Empty: CUTOFF_REGIONS of `cutoff serve`.
        only: Just these region ids (a rerun of the failed ones); the others' stored summaries still count.
        force: Run a cutoff whose time has not come yet, with the orders there are now.
        send_email: Email the suppliers their purchase orders (in every region).
        reports_dir: Reports folder of the national roll-up (reports/national/...). Empty: CUTOFF_REPORTS_DIR.
        lang: Language of the sheets, zh or en. Empty: each region's own (CUTOFF_LANG, zh).
        pool: The work pool the regions' runs go to. Empty: CUTOFF_POOL (cutoff-regions).
        worker_wait_seconds: How long the regions' runs may wait for a worker before they are cancelled.
        progress: Also print each region's progress on the console of the process that runs it.
        data_dir: What relative paths in the regions file are relative to. Empty: its folder.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(reports_dir=Path(reports_dir) if reports_dir else None, lang=lang,
                                                  pool=pool, regions=Path(regions_file) if regions_file else None)
        if settings.regions is None:
            raise UserError("no regions file: pass --regions FILE or set CUTOFF_REGIONS (docs/regions.md).")
        reports_root = settings.reports_dir.resolve()
        regions = load_regions(settings.regions, reports_root, base=Path(data_dir).resolve() if data_dir else None)
        selected = select_regions(regions, only, settings.regions)
        day = resolve_cutoff_date(calendar, cutoff_date, settings)
        check_regions(selected, calendar, day, force)
        say = _say(progress)
        say(f"{len(selected)} region(s) of {len(regions)} to run on the work pool {settings.pool!r}: "
            f"{', '.join(r.region_id for r in selected)}")
        started = start_regions(selected, calendar, day, force, send_email, lang)
        outcomes = wait_for_regions(started, settings.pool, worker_wait_seconds, progress)
        summary = roll_up(regions, outcomes, calendar, day, reports_root, settings.lang)
        if summary["failed"]:
            raise RegionsFailed(failed_message(summary, national_dir(reports_root, calendar, day)), summary)
    except UserError as exc:
        return fail_run(exc)
    return summary
