"""The report flow (`cutoff report --from D1 --to D2`, and the report/report deployment): ingest
the new pickup scans, then the fulfilment timeline and the losses of the cutoffs dated D1..D2
into reports/analysis/<D1>_<D2>/ (fulfilment.xlsx, losses.xlsx, report.json), and the same figures
as Prefect artifacts. The rules are transforms/fulfilment.py and transforms/fulfilment_report.py.

A scheduled run leaves the dates empty: it reports the ISO week (Monday..Sunday) before the week
of its scheduled time, in the business time zone. Rerun on the same inputs once every pickup
deadline of the range has passed, it writes the same figures (the states hold as of the last
deadline, not of the clock)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from errors import UserError
from flows.naming import report_run_name
from flows.report_artifacts import publish_report_artifacts
from flows.run_log import fail_run, prepare_run_log
from flows.settings import Settings, load_settings
from inbox.master import stored_master
from inbox.pickups import PickupIngest, ingest_pickups
from outputs.files import write_json
from outputs.run_folder import output_errors
from sheets.fulfilment_book import write_fulfilment_book
from sheets.losses_book import write_losses_book
from sheets.products_book import write_products_book
from transforms.fulfilment_report import FulfilmentReport, build_fulfilment_report, report_totals
from transforms.product_review import review_products, review_totals, sku_losses
from transforms.windows import parse_clock
from warehouse.connection import Warehouse, open_warehouse
from warehouse.fulfilment import ReportRows, report_rows
from warehouse.products import product_rows

MAX_DAYS = 366


def previous_week(day: date) -> tuple[date, date]:
    """The Monday and Sunday of the ISO week before `day`'s."""
    monday = day - timedelta(days=day.weekday()) - timedelta(days=7)
    return monday, monday + timedelta(days=6)


def resolve_range(start: date | None, end: date | None, settings: Settings) -> tuple[date, date]:
    if start is None and end is None:
        scheduled = flow_run.scheduled_start_time or datetime.now(timezone.utc)
        return previous_week(scheduled.astimezone(ZoneInfo(settings.timezone)).date())
    if start is None or end is None:
        raise UserError("give both ends of the range (--from and --to), or neither for the week before this one")
    if end < start:
        raise UserError(f"the range ends ({end}) before it starts ({start}): --from is the first day, --to the last")
    if (end - start).days >= MAX_DAYS:
        raise UserError(f"the range {start}..{end} is longer than {MAX_DAYS} days: report a year at most at a time")
    return start, end


def analysis_dir(reports_dir: Path, start: date, end: date) -> Path:
    return reports_dir / "analysis" / f"{start.isoformat()}_{end.isoformat()}"


def name_report_run() -> str:
    return report_run_name(flow_run.parameters or {})


@task(name="ingest pickups", cache_policy=NO_CACHE)
def ingest_task(settings: Settings, warehouse: Warehouse, label: str) -> PickupIngest:
    if not warehouse.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'pickup_points'"):
        raise UserError(f"the warehouse {settings.warehouse_path} holds no cutoff yet: run a cutoff first "
                        "(`cutoff run`), then report on it.")
    master = stored_master(warehouse)  # what the cutoffs used, not master files changed since
    return ingest_pickups(warehouse, settings.data_dir, master, settings.timezone, label, settings.ready_marker)


@task(name="figures", cache_policy=NO_CACHE)
def figures_task(settings: Settings, warehouse: Warehouse, start: date, end: date,
                 now: datetime) -> tuple[ReportRows, FulfilmentReport, pl.DataFrame]:
    rows = report_rows(warehouse, start, end)
    report = build_fulfilment_report(
        rows.cutoffs, rows.allocations, rows.shortages, rows.scans, rows.emails, rows.receipts, rows.purchase_lines,
        rows.payables, rows.products, timezone=settings.timezone, nightly_at=parse_clock(settings.nightly_at),
        pickup_hours=settings.pickup_hours, now=now)
    rejects = warehouse.frame("""
        SELECT source_file, row_number, reason, raw FROM rejects WHERE kind = 'pickups'
        ORDER BY file_seq, source_file, row_number NULLS FIRST""")
    return rows, report, rejects


@task(name="product review", cache_policy=NO_CACHE)
def products_task(warehouse: Warehouse, start: date, end: date,
                  report: FulfilmentReport) -> tuple[pl.DataFrame, pl.DataFrame]:
    """选品: each SKU of the range ranked, with the products to reconsider and the stars (docs/forecast.md);
    and the products' names."""
    found = product_rows(warehouse, start, end)
    return review_products(found["sales"], found["customers"], found["purchases"], found["groups"],
                           sku_losses(report.unit_losses)), found["products"]


@task(name="write books", cache_policy=NO_CACHE)
def write_task(settings: Settings, folder: Path, span: str, rows: ReportRows, report: FulfilmentReport,
               rejects: pl.DataFrame, totals: dict, end: date,
               review: tuple[pl.DataFrame, pl.DataFrame] | None = None) -> None:
    created = datetime.combine(end, time(0, 0))
    common = dict(span=span, timezone=settings.timezone, pickup_hours=settings.pickup_hours, lang=settings.lang,
                  created=created)
    with output_errors(settings.reports_dir, "the analysis workbooks"):
        write_fulfilment_book(folder / "fulfilment.xlsx", report, rows.pickup_points, rows.products, rejects,
                              **common)
        write_losses_book(folder / "losses.xlsx", report, rows.suppliers, rows.products, **common)
        if review is not None:
            write_products_book(folder / "products.xlsx", *review, span=span, lang=settings.lang, created=created)
        write_json(folder / "report.json", totals)


@flow(name="report", flow_run_name=name_report_run, validate_parameters=True)
def report_flow(start: date | None = None, end: date | None = None, data_dir: str | None = None,
                reports_dir: str | None = None, lang: Literal["zh", "en"] | None = None,
                warehouse: str | None = None, now: datetime | None = None) -> dict:
    """The fulfilment timeline and the losses of the cutoffs dated start..end (both calendars).
    Without dates: the ISO week before the one of the scheduled time. `now` (default: the clock)
    is the instant the pickup states are judged at.

    Args:
        start: The first cutoff date of the report. Empty (with end empty): the ISO week before this run's.
        end: The last cutoff date of the report (at most a year after start).
        data_dir: Data folder (master/, inbox/pickups/, the warehouse) for this run only. Empty:
            CUTOFF_DATA_DIR of `cutoff serve`.
        reports_dir: Reports folder for this run only (the report goes to `analysis/<from>_<to>/` in it).
            Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        lang: Language of the workbooks, zh or en. Empty: CUTOFF_LANG (zh).
        warehouse: The warehouse file (DuckDB) for this run only. Empty: warehouse.duckdb in the data folder.
        now: The instant the pickups are judged at (a line not scanned by then is waiting or unpicked).
            Empty: now, or the last pickup deadline of the range once it has passed.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None,
            lang=lang, warehouse=Path(warehouse) if warehouse else None)
        start, end = resolve_range(start, end, settings)
        if not settings.warehouse_path.is_file():
            raise UserError(f"there is no warehouse at {settings.warehouse_path}: run a cutoff first, or pass "
                            "--data-dir (or set CUTOFF_DATA_DIR) to the data dir to report on.")
    except UserError as exc:
        return fail_run(exc)
    span = f"{start.isoformat()} ~ {end.isoformat()}"
    folder = analysis_dir(settings.reports_dir, start, end)
    now = now or datetime.now(timezone.utc)
    with open_warehouse(settings.warehouse_path) as db:
        ingested = ingest_task(settings, db, f"report {start.isoformat()}..{end.isoformat()}")
        rows, report, rejects = figures_task(settings, db, start, end, now)
        review = products_task(db, start, end, report)
    totals = {"from": start.isoformat(), "to": end.isoformat(), **report_totals(report),
              "products": review_totals(review[0])}
    write_task(settings, folder, span, rows, report, rejects, totals, end, review)
    names = dict(rows.suppliers.select("supplier_id", "name").iter_rows())
    publish_report_artifacts(report, totals, span, str(folder), names)
    return {**totals, "folder": str(folder),  # what this run ingested: not in report.json (a rerun reads nothing new)
            "pickups": {"files": ingested.files, "rows": ingested.rows, "loaded": ingested.loaded,
                        "rejected": ingested.rejected}}
