"""The cutoff flow: ingest -> validate -> close -> write -> email, one Prefect task per stage.

The flow opens the warehouse once (`execute_cutoff`) and hands it to every stage; it holds it
until the run ends, so another process is refused. Tasks are thin: they take the run's plan,
warehouse and values, return values, and change nothing another task returned. The rules live in
transforms/, the I/O in the adapters (inbox/, warehouse/, ledger/, sheets/, mail/, outputs/).
A run replaces its own partition of every table in one transaction and its own folder of files
in one rename, so a rerun of the same cutoff on the same inputs leaves the same tables and files.
"""

from __future__ import annotations

import shutil
import time as clock
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed

from errors import MasterDataError, RejectLimitExceeded, RunOrderError, UserError
from flows.artifacts import publish_run_artifacts
from flows.naming import name_cutoff_run
from flows.planning import RunPlan, await_start, plan_run, resolve_cutoff_date
from flows.po_api import Delivered, deliver_purchase_orders
from flows.po_secrets import check_po_secrets
from flows.run_events import completed_message, report_cutoff_events
from flows.run_inputs import inputs_as_of, settings_warnings
from flows.run_log import fail_run, prepare_run_log, say, warn
from flows.settings import load_settings
from inbox.ingest import InboxFile, known_state, load_inbox, read_inbox, validate_inbox
from inbox.master import Master, load_master
from labels.pickup_key import pickup_key
from ledger.posting import CommissionPosting, accruals_of, post_commissions
from mail.estimates import attach_estimates
from mail.message import purchase_order_mails
from outputs.files import write_csv, write_json
from outputs.run_folder import new_staging_dir, output_errors, prepare_run_folder, publish_dir, temporary_files_in
from schemas.allocations import Allocations
from schemas.groups import Groups
from schemas.purchase_lines import PurchaseLines
from sheets.commissions_book import write_commissions_workbook
from sheets.run_books import RunBooks, write_summary_workbook
from sheets.run_tables import RunTables
from transforms.close import ClosedCutoff, close_listings, select_closing_listings
from transforms.groups import rank_unformed_groups
from transforms.money import fen_to_yuan_display as yuan
from transforms.pools import pool_report
from transforms.purchase import build_purchase_lines, total_by_supplier
from transforms.rejects import REJECT_COLUMNS, merge_rejects, over_reject_limit, rejected_rows, select_window_rejects
from transforms.summary import empty_cutoff_warnings, refunds_owed, summarize_cutoff
from transforms.windows import parse_clock
from warehouse.connection import Warehouse, open_warehouse
from warehouse.export_warnings import export_warnings_for
from warehouse.goods_in import stale_goods_in_warning
from warehouse.pools import PoolState, plan_run_pools, pool_state, stale_pools
from warehouse.queries import (
    count_order_lines,
    order_lines_of_listings,
    record_run,
    reject_facts,
    replace_partitions,
)


@dataclass(frozen=True)
class CutoffResult:
    closed: ClosedCutoff
    purchase_lines: pl.DataFrame
    supplier_totals: pl.DataFrame
    rejects: pl.DataFrame
    pools: PoolState


@dataclass(frozen=True)
class Written:
    """What the write stage leaves: the tables the workbooks were made of and the files per kind."""

    tables: RunTables
    files: dict[str, int]


@dataclass(frozen=True)
class RunReport:
    """A finished run: its summary (summary.json) and what the artifact lists besides it."""

    summary: dict
    unformed: pl.DataFrame  # the groups not formed, closest to forming first
    rejects: pl.DataFrame   # the rejected rows of rejects.csv


class Progress:
    """Each stage with its counts and time: the run's log (the Logs tab), and stderr on the
    command line (`progress`)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def stage(self, name: str, text: str, since: float) -> None:
        say(f"{name:<10} {text}  ({clock.perf_counter() - since:.1f}s)", console=self.enabled)


# ---- the stages ------------------------------------------------------------------------------------

@task(name="ingest", cache_policy=NO_CACHE)
def ingest(plan: RunPlan, warehouse: Warehouse) -> tuple[Master, pl.DataFrame, list[InboxFile]]:
    """Read the master data (validated whole: bad master data stops here), check that the earlier
    turns of the stock pools the run sells from have run (else it stops here too), and read the
    new inbox files. Returns the master data, the run's pool turns and the files."""
    master = load_master(plan.settings.data_dir, plan.settings.timezone)
    pools = plan_run_pools(warehouse, master.listings, plan.window, plan.settings.timezone,
                           parse_clock(plan.settings.nightly_at))
    hashes, _, _ = known_state(warehouse)
    # each file's table is read by `validate`, one at a time (docs/scale.md)
    return master, pools, read_inbox(plan.settings.data_dir, hashes, plan.settings.ready_marker, defer=True)


@task(name="validate", cache_policy=NO_CACHE)
def validate(plan: RunPlan, warehouse: Warehouse, master: Master, files: list[InboxFile],
             closing_ids: list[str]) -> pl.DataFrame:
    """Validate the new rows with Pandera and load them (bad rows to `rejects`); then the breaker:
    over the limit of the window's rows rejected, the run stops before anything is sent."""
    _, next_seq, known_refunds = known_state(warehouse)
    inbox = validate_inbox(files, master, plan.settings.timezone, next_seq, known_refunds, plan.window.label)
    with warehouse.transaction():
        for name, table in master.tables().items():
            warehouse.replace_table(name, table)
    load_inbox(warehouse, inbox)
    rejects = select_window_rejects(reject_facts(warehouse), plan.window, closing_ids)
    order_rejects = rejected_rows(rejects)
    window_rows = count_order_lines(warehouse, closing_ids)
    if over_reject_limit(order_rejects, window_rows, plan.settings.reject_limit_pct):
        with output_errors(plan.settings.reports_dir, "the rejected rows"):
            write_csv(plan.output_dir / "rejects.csv", rejects.select(REJECT_COLUMNS), bom=True)
        total = window_rows + order_rejects
        raise RejectLimitExceeded(
            f"{order_rejects} of the {total} order rows of the {plan.window.label} cutoff were rejected "
            f"({order_rejects * 100 / total:.1f}%, over the {plan.settings.reject_limit_pct:g}% limit "
            f"CUTOFF_REJECT_LIMIT_PCT). The run stopped before anything was sent. The rows and reasons "
            f"are in {plan.output_dir / 'rejects.csv'}; fix the exports and run again.")
    return rejects


@task(name="close", cache_policy=NO_CACHE)
def close(plan: RunPlan, warehouse: Warehouse, master: Master, pool_plan: pl.DataFrame,
          rejects: pl.DataFrame) -> CutoffResult:
    """Apply the rulebook to the closing listings: allocations, groups, purchase lines. The stock
    pools' budgets and the buyers' groups' audiences are read first."""
    closing = select_closing_listings(master.listings, plan.window)
    lines = order_lines_of_listings(warehouse, closing["listing_id"].to_list())  # what closing reads: docs/scale.md
    warehouse.release_cache()  # the lines' blocks it read (up to its limit) are not held through the rules
    pools = pool_state(warehouse, pool_plan, master.pools, closing)
    closed = close_listings(lines, master.listings, master.products, plan.window, pools.context)
    Allocations.validate(closed.allocations)
    Groups.validate(closed.groups)
    purchase = build_purchase_lines(closed.allocations, master.products)
    PurchaseLines.validate(purchase)
    return CutoffResult(closed, purchase, total_by_supplier(purchase, master.suppliers), rejects, pools)


@task(name="write", cache_policy=NO_CACHE)
def write(plan: RunPlan, warehouse: Warehouse, master: Master, result: CutoffResult) -> Written:
    """Replace the run's partitions and post its commissions in one transaction, then write its
    folder of files (summary, sheets, refunds, rejects) aside and rename it into place. Returns
    what the files were made of (the summary: summary.json) and how many of each kind."""
    as_of = inputs_as_of(warehouse, plan.settings)
    lang = plan.settings.lang
    pool_warnings = stale_pools(warehouse, result.pools.plan, result.closed.allocations, plan.window)  # before storing
    posting = store_run_tables(warehouse, plan, master, result)
    plan = replace(plan, warnings=plan.warnings + tuple(stale_goods_in_warning(warehouse, plan.window))
                   + tuple(pool_warnings)
                   + tuple(export_warnings_for(warehouse, plan.window, result.closed.closing["listing_id"].to_list())))
    warehouse.release_cache()  # the run's tables are stored: its memory goes to the workbooks
    key = pickup_key(plan.settings.data_dir)  # the pickup codes' key (docs/labels.md), made on the first run
    with output_errors(plan.settings.reports_dir):
        staging = new_staging_dir(plan.output_dir)
        try:
            with temporary_files_in(staging):  # a large sheet's spooled part: here, not in /tmp or /dev/shm
                # commissions.xlsx before the workers start: its moment (+300 MiB at 1M lines) and
                # theirs do not add up (docs/scale.md);
                write_commissions_workbook(staging / "commissions.xlsx", posting.entries, master, lang)
                # the ledger entries (millions at 1M lines) are written: not held through the books
                posting.entries = posting.posted = pl.DataFrame()
                # the summary and the files too (summarizing a million lines: +230 MiB for a moment)
                tables = write_run_files(staging, plan, master, result, posting, as_of)
                # then the workers write the per-supplier, route and pickup-point books; an error
                # stops them (at once) before the folder goes
                with RunBooks(plan.settings, result.closed.allocations, key) as books:
                    books.submit(staging, book_tables(plan, master, result, as_of), lang)
                    files = books.finish(staging, tables, lang)
            publish_dir(staging, plan.output_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return Written(tables, files)


def book_tables(plan: RunPlan, master: Master, result: CutoffResult, as_of: datetime) -> RunTables:
    """What the per-supplier, route and pickup-point books are made of (not the summary: it is
    written later, with the figures the ledger adds)."""
    closed = result.closed
    return RunTables(window=plan.window, summary={}, allocations=closed.allocations,
                     purchase_lines=result.purchase_lines, supplier_totals=result.supplier_totals,
                     groups=closed.groups, rejects=result.rejects, master=master, generated_at=as_of)


@task(name="email", cache_policy=NO_CACHE)
def email(plan: RunPlan, warehouse: Warehouse, master: Master, result: CutoffResult,
          tables: RunTables) -> tuple[Delivered, dict]:
    """Each supplier's purchase order, once per content, by its transport: email, or a signed POST
    to its system (po_transport = api, docs/po-api.md). Returns what went out and the summary with
    it (a new dict), which replaces summary.json; summary.xlsx is written again with it (its 邮件
    column, the API sheet), in place and atomically, as summary.json."""
    mails = purchase_order_mails(plan.window, result.purchase_lines, result.supplier_totals, master.products,
                                 master.suppliers, plan.output_dir)
    with output_errors(plan.settings.reports_dir, "the supplier emails"):
        mails, estimates = attach_estimates(mails, plan.window, plan.settings.reports_dir, plan.output_dir,
                                            master.products, plan.settings.lang)  # 明日预估: docs/forecast.md
        if estimates:
            say(estimates)
        delivered = deliver_purchase_orders(warehouse, plan.window, mails, master.suppliers, plan.settings,
                                            plan.output_dir / "outbox", send=plan.send_email)
    emailed = delivered.summary(tables.summary)
    with output_errors(plan.settings.reports_dir, "the run's summary"):
        write_json(plan.output_dir / "summary.json", emailed)
        with temporary_files_in(plan.output_dir):
            write_summary_workbook(plan.output_dir, replace(tables, summary=emailed), plan.settings,
                                   plan.settings.lang)
    return delivered, emailed


# ---- what the stages are made of -------------------------------------------------------------------

def store_run_tables(warehouse: Warehouse, plan: RunPlan, master: Master, result: CutoffResult) -> CommissionPosting:
    """The run's partitions and its commission postings, in one transaction. The accruals are
    computed first (polars), not while DuckDB writes the partitions: the two at once were the
    run's peak of memory (docs/scale.md)."""
    allocations = result.closed.allocations
    accruals = accruals_of(plan.window, allocations, master)
    with warehouse.transaction():
        write_partitions(warehouse, plan, result)
        return post_commissions(warehouse, plan.window, allocations, master, accruals)


def write_partitions(warehouse: Warehouse, plan: RunPlan, result: CutoffResult) -> None:
    """Replace the run's rows of allocations, purchase_lines and groups (inside a transaction)."""
    replace_partitions(warehouse, plan.calendar, plan.cutoff_date, {
        "allocations": result.closed.allocations, "purchase_lines": result.purchase_lines,
        "groups": result.closed.groups})


def write_run_files(folder: Path, plan: RunPlan, master: Master, result: CutoffResult,
                    posting: CommissionPosting, as_of: datetime) -> RunTables:
    """summary.json, refunds.csv and rejects.csv; returns what the workbooks are made of."""
    closed = result.closed
    rejects = merge_rejects(result.rejects, posting.refund_rejects)
    summary = summarize_cutoff(plan.window, closed.closing, closed.allocations, closed.groups,
                               result.purchase_lines, result.supplier_totals,
                               rejected=rejected_rows(rejects), commission=posting.totals,
                               pools=pool_report(result.pools.plan, result.pools.context.pools, result.pools.taken,
                                                 closed.allocations))
    summary = {**summary, "warnings": [*plan.warnings, *empty_cutoff_warnings(summary),
                                       *settings_warnings(plan.settings), *summary["warnings"]]}
    write_json(folder / "summary.json", summary)
    write_csv(folder / "refunds.csv", refunds_owed(closed.allocations), bom=True)
    write_csv(folder / "rejects.csv", rejects.select(REJECT_COLUMNS), bom=True)
    return RunTables(window=plan.window, summary=summary, allocations=closed.allocations,
                     purchase_lines=result.purchase_lines, supplier_totals=result.supplier_totals,
                     groups=closed.groups, rejects=rejects, master=master, generated_at=as_of)


# ---- the run ---------------------------------------------------------------------------------------

NOTHING_WRITTEN = (MasterDataError, RunOrderError)  # a run stopped by these leaves no trace, not even a runs row

def execute_cutoff(plan: RunPlan) -> RunReport:
    """Every stage in order against the warehouse, opened once here and held until the run ends."""
    progress = Progress(plan.progress)
    run_id, started = str(uuid.uuid4()), datetime.now(timezone.utc)
    failure: UserError | None = None
    path = plan.settings.warehouse_path
    existed = path.exists()
    with open_warehouse(path) as warehouse:  # another process is refused until the run ends
        try:
            prepare_run_folder(plan.output_dir, plan.settings.reports_dir)  # writable; a killed run's leftovers go
            with warehouse.within_limits():  # a memory limit too small for the data: a UserError naming it
                report = run_stages(plan, warehouse, progress)
        except UserError as exc:
            if not isinstance(exc, NOTHING_WRITTEN):  # bad master data, a run out of turn: nothing is written
                record_run(warehouse, plan.calendar, plan.cutoff_date, run_id, started, "failed", str(exc))
            failure = exc
        else:
            record_run(warehouse, plan.calendar, plan.cutoff_date, run_id, started, "success", "", report.summary)
    del warehouse
    if isinstance(failure, NOTHING_WRITTEN) and not existed:  # nothing written: not even a new warehouse
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)
    if failure is not None:
        # the message says it all; dropping the traceback also frees the frames that held the
        # warehouse connection (else DuckDB's bindings complain at interpreter exit)
        raise failure.with_traceback(None) from None
    return report


def run_stages(plan: RunPlan, warehouse: Warehouse, progress: Progress) -> RunReport:
    since = clock.perf_counter()
    master, pool_plan, files = ingest(plan, warehouse)
    size = sum(f.path.stat().st_size for f in files)
    shown = f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} KB"
    progress.stage("ingest", f"{len(files)} new file(s), {shown}", since)

    since = clock.perf_counter()
    closing_ids = select_closing_listings(master.listings, plan.window)["listing_id"].to_list()
    rejects = validate(plan, warehouse, master, files, closing_ids)
    rows = sum(f.rows for f in files)
    del files  # the raw rows are loaded: not held through the later stages
    progress.stage("validate", f"{rows:,} rows read, {rejected_rows(rejects):,} rejected order row(s) in the "
                               f"window", since)

    since = clock.perf_counter()
    result = close(plan, warehouse, master, pool_plan, rejects)
    allocations = result.closed.allocations
    not_formed = int((~result.closed.groups["is_formed"]).sum()) if result.closed.groups.height else 0
    progress.stage("close", f"{len(closing_ids):,} listing(s), {allocations.height:,} eligible line(s) "
                            f"({int((allocations['qty_allocated'] > 0).sum()):,} allocated), {not_formed:,} group(s) "
                            f"not formed, {result.purchase_lines.height:,} purchase line(s)", since)

    since = clock.perf_counter()
    written = write(plan, warehouse, master, result)
    summary, files = written.tables.summary, written.files
    commission = summary["fen"]["commission"]
    progress.stage("write", f"{files['purchase']:,} purchase order(s), {files['sorting']:,} sorting book(s), "
                            f"{files['handout']:,} handout list(s), {files.get('labels', 0):,} label file(s), "
                            f"summary.xlsx, commissions.xlsx "
                            f"(commission leader {yuan(commission['leader'])}, L1 {yuan(commission['dist_l1'])}, "
                            f"L2 {yuan(commission['dist_l2'])}) -> {plan.output_dir}", since)

    since = clock.perf_counter()
    delivered, summary = email(plan, warehouse, master, result, written.tables)
    progress.stage("email", delivered.counts(), since)
    fen = summary["fen"]
    say(f"done: paid {yuan(fen['paid'])}, net {yuan(fen['net'])}, refunds owed {yuan(fen['refund'])}, purchase "
        f"{yuan(fen['purchase_cost'])}; the run folder is {plan.output_dir.resolve()}")
    unformed = rank_unformed_groups(result.closed.groups, master.listings, master.products)
    return RunReport(summary, unformed, written.tables.rejects)


@flow(name="cutoff", flow_run_name=name_cutoff_run, validate_parameters=True)
def cutoff_flow(calendar: Literal["nightly", "weekly"] = "nightly", cutoff_date: date | None = None,
                force: bool = False, send_email: bool = True, data_dir: str | None = None,
                reports_dir: str | None = None, progress: bool = False, lang: Literal["zh", "en"] | None = None,
                warehouse: str | None = None) -> dict:
    """One cutoff: lock the orders of the closing listings, then the purchase orders, sorting
    sheets, handout lists, commissions and supplier emails. Returns the run's summary.

    Args:
        calendar: nightly (every day at 20:00) or weekly (the presale week, Sunday 24:00).
        cutoff_date: The cutoff to run (weekly: its Sunday). Leave it empty for the cutoff this run was
            scheduled for; set it to rerun a past cutoff (a rerun replaces its sheets and emails a
            supplier again only if the purchase order changed).
        force: Run a cutoff whose time has not come yet, with the orders there are now.
        send_email: Email the suppliers their purchase orders. Off: the messages wait in the run
            folder's outbox/ and the next run of this cutoff with email on sends them.
        data_dir: Data folder (master/, inbox/, the warehouse) for this run only. Empty: CUTOFF_DATA_DIR
            of `cutoff serve`.
        reports_dir: Reports folder for this run only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        progress: Also print each stage on the console of the process that runs it (the command line
            sets it). The Logs tab shows the stages either way.
        lang: Language of the sheets and emails, zh or en. Empty: CUTOFF_LANG (zh).
        warehouse: The warehouse file (DuckDB) for this run only. Empty: warehouse.duckdb in the data folder.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None,
            lang=lang, warehouse=Path(warehouse) if warehouse else None)
        day = resolve_cutoff_date(calendar, cutoff_date, settings)
        plan = plan_run(calendar, day, settings, force=force, send_email=send_email, progress=progress)
        say(f"{plan.window.label}: orders of ({plan.window.start.isoformat()}, {plan.window.end.isoformat()}]; "
            f"data {settings.data_dir.resolve()}, run folder {plan.output_dir.resolve()}")
        for text in settings_warnings(settings):
            warn(text)
        if send_email:  # a supplier on api without its signing secret: stop before anything is computed
            check_po_secrets(settings)
        plan = await_start(plan, force)
        report = execute_cutoff(plan)
    except UserError as exc:
        return fail_run(exc)
    publish_run_artifacts(report.summary, folder=plan.output_dir, unformed=report.unformed, rejects=report.rejects)
    report_cutoff_events(report.summary, plan.warnings)
    message = completed_message(report.summary)  # a cutoff with no order lines says so on its state
    return Completed(message=message, data=report.summary) if message else report.summary
