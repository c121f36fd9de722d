"""The settle flow: the weekly commission settlement of one ISO week (`cutoff settle`, and the
settle/settle deployment). The settlement itself is ledger/settlement.py."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from errors import UserError
from flows.run_log import fail_run, prepare_run_log
from flows.settings import Settings, load_settings
from ledger.settlement import parse_week, settle_week
from warehouse.connection import open_warehouse


@task(name="settle week", cache_policy=NO_CACHE)
def settle_task(settings: Settings, week: str, force: bool) -> dict:
    with open_warehouse(settings.warehouse_path) as warehouse:
        return settle_week(warehouse, week, settings.reports_dir, force=force, timezone_name=settings.timezone)


@flow(name="settle", flow_run_name="settle {week}", validate_parameters=True)
def settle_flow(week: str, data_dir: str | None = None, reports_dir: str | None = None, force: bool = False) -> dict:
    """The weekly commission settlement of one ISO week, e.g. 2026-W47.

    Args:
        week: The ISO week to settle, as 2026-W47 (Monday to Sunday). Its cutoffs must have run.
        data_dir: Data folder (the warehouse with the ledger) for this run only. Empty: CUTOFF_DATA_DIR
            of `cutoff serve`.
        reports_dir: Reports folder for this run only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        force: Settle a week that has not ended yet (Sunday 24:00) without the warning that its later
            cutoffs post adjustments to the next week. A week already settled is never settled twice.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None)
        week, _, _ = parse_week(week)
        if not settings.warehouse_path.is_file():
            raise UserError(f"there is no warehouse at {settings.warehouse_path}: run a cutoff first, or pass "
                            "--data-dir (or set CUTOFF_DATA_DIR) to the data dir whose ledger to settle.")
        return settle_task(settings, week, force)
    except UserError as exc:  # one readable message in the UI, no traceback
        return fail_run(exc)
