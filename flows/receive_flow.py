"""The goods-in run (`cutoff receive`, and the receive/receive deployment): the morning after a
cutoff, what each supplier delivered decides who goes without (rulebook "Goods-in, shortages and
supplier payables"; docs/goods-in.md).

ingest (inbox/receipts) -> decide (transforms/goods_in.py: purchase lines, shortages) -> write
(the run's partitions of receipts, shortages, supplier_payables and its shortage clawbacks in one
transaction, reconciled; then its folder `<run folder>/receiving/` written aside and renamed into
place). A goods-in run replaces its own decisions, rows and files, so a corrected or late receipt
is a rerun, and the same inputs give the same tables and files. A cutoff that has not been run
(successfully) is refused before anything is read.
"""

from __future__ import annotations

import shutil
import sys
import time as clock
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from chat.deliver import describe_deliveries
from errors import UserError
from flows.notice_flow import notices_after_goods_in
from flows.planning import resolve_cutoff_date
from flows.receive_artifacts import publish_receive_artifacts
from flows.run_log import fail_run, prepare_run_log
from flows.settings import Settings, load_settings
from inbox.ingest import ingest_receipts
from inbox.master import Master, stored_master
from labels.pickup_key import pickup_key
from labels.reissue import write_reissued_labels
from labels.run_labels import LabelOptions
from ledger.shortages import ShortagePosting, post_shortage_clawbacks
from outputs.files import atomic_write_bytes, write_json
from outputs.run_folder import new_staging_dir, output_errors, prepare_run_folder, publish_dir, run_dir
from sheets.labels import BookContext
from sheets.receiving_books import write_receiving_books
from transforms.goods_in import (
    decide_purchase_lines,
    reject_unknown_purchase_lines,
    summarize_receiving,
    take_back_short_units,
)
from transforms.reissue import revise_handouts, revise_routes
from transforms.windows import CalendarError, CutoffWindow, parse_clock, window_for
from warehouse.connection import Warehouse, open_warehouse
from warehouse.goods_in import (
    basis_fingerprint,
    cutoff_run_status,
    read_goods_in_basis,
    receipt_rejects,
    receive_label,
    record_receive_run,
    turned_down_rejects,
    write_goods_in,
)

RECEIVING = "receiving"
REFUND_COLUMNS = ["order_id", "line_no", "customer_id", "refund_fen", "reason", "pickup_point_id", "sku_id",
                  "units_short"]


@dataclass(frozen=True)
class ReceivePlan:
    window: CutoffWindow
    settings: Settings
    progress: bool = False

    @property
    def output_dir(self) -> Path:
        return run_dir(self.settings.reports_dir, self.window.calendar, self.window.cutoff_date) / RECEIVING


@dataclass(frozen=True)
class GoodsIn:
    """What a goods-in run decided."""

    applied: pl.DataFrame      # the receipts applied (matched a purchase line)
    turned_down: pl.DataFrame  # rejects rows of the receipts that matched none
    payables: pl.DataFrame     # supplier_payables
    shortages: pl.DataFrame    # shortages
    allocations: pl.DataFrame  # the cutoff's allocations


def plan_receive(calendar: str, cutoff_date: date, settings: Settings, progress: bool = False) -> ReceivePlan:
    """Check a goods-in run before anything starts: the calendar allows the date, and the data dir
    and its warehouse exist (UserError with what to do)."""
    try:
        window = window_for(calendar, cutoff_date, settings.timezone, parse_clock(settings.nightly_at))
    except CalendarError as exc:
        raise UserError(str(exc)) from exc
    if not settings.data_dir.is_dir():
        raise UserError(f"data dir {settings.data_dir} does not exist. Pass --data-dir or set CUTOFF_DATA_DIR.")
    if not settings.warehouse_path.is_file():
        raise UserError(_not_run(window, f"there is no warehouse at {settings.warehouse_path}"))
    return ReceivePlan(window, settings, progress)


def _not_run(window: CutoffWindow, why: str) -> str:
    return (f"the {window.label} cutoff has not been run ({why}): a goods-in run decides that cutoff's purchase "
            f"lines, so run `cutoff run --calendar {window.calendar} --date {window.cutoff_date.isoformat()}` "
            "first (with the same --data-dir), then `cutoff receive` again. Nothing was read or written.")


def check_cutoff_ran(warehouse: Warehouse, window: CutoffWindow) -> None:
    status = cutoff_run_status(warehouse, window)
    if status is None:
        raise UserError(_not_run(window, "the warehouse has no run of it"))
    if status != "success":
        raise UserError(_not_run(window, f"its last run ended `{status}`"))


def _say(plan: ReceivePlan, name: str, text: str, since: float) -> None:
    if plan.progress:
        print(f"  {name:<10} {text}  ({clock.perf_counter() - since:.1f}s)", file=sys.stderr, flush=True)


# ---- the stages ------------------------------------------------------------------------------------

@task(name="ingest receipts", cache_policy=NO_CACHE)
def ingest(plan: ReceivePlan, warehouse: Warehouse) -> tuple[Master, int]:
    """The master data the cutoff used, and the new files of inbox/receipts (bad rows to rejects)."""
    master = stored_master(warehouse)
    inbox = ingest_receipts(warehouse, plan.settings.data_dir, master, plan.settings.timezone,
                            receive_label(plan.window), plan.settings.ready_marker)
    return master, len(inbox.files)


@task(name="decide", cache_policy=NO_CACHE)
def decide(plan: ReceivePlan, warehouse: Warehouse) -> GoodsIn:
    """Every purchase line of the cutoff: pending, complete or short; the lines that go without."""
    basis = read_goods_in_basis(warehouse, plan.window)
    applied, unknown = reject_unknown_purchase_lines(basis.receipts, basis.purchase_lines)
    payables = decide_purchase_lines(basis.purchase_lines, applied)
    shortages = take_back_short_units(basis.allocations, payables, basis.after_sales)
    return GoodsIn(applied, turned_down_rejects(unknown, plan.window), payables, shortages, basis.allocations)


@task(name="write", cache_policy=NO_CACHE)
def write(plan: ReceivePlan, warehouse: Warehouse, master: Master, goods_in: GoodsIn) -> dict:
    """The run's partitions and clawbacks in one transaction, then its folder of files."""
    with warehouse.transaction():
        write_goods_in(warehouse, plan.window, goods_in.applied, goods_in.payables, goods_in.shortages,
                       goods_in.turned_down)
        posting = post_shortage_clawbacks(warehouse, plan.window, goods_in.shortages)
    summary = receiving_summary(plan, warehouse, goods_in, posting)
    with output_errors(plan.settings.reports_dir, "the goods-in run's files"):
        staging = new_staging_dir(plan.output_dir)
        try:
            files = write_receiving_files(staging, plan, warehouse, master, goods_in)
            summary = {**summary, "files": files}
            write_json(staging / "receiving.json", summary)
            publish_dir(staging, plan.output_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return summary


# ---- what the stages are made of -------------------------------------------------------------------

def receiving_summary(plan: ReceivePlan, warehouse: Warehouse, goods_in: GoodsIn, posting: ShortagePosting) -> dict:
    """receiving.json: the contract's keys, then the receipts, the adjustment week and the files."""
    summary = summarize_receiving(plan.window, goods_in.payables, goods_in.shortages, posting.clawback_fen)
    rejected = receipt_rejects(warehouse, plan.window)
    summary["receipts"] = {"applied": goods_in.applied.height, "rejected": rejected.height}
    summary["order_lines_short"] = goods_in.shortages.height
    summary["adjustment_week"] = posting.adjustment_week
    return summary


def write_csv_bom(path: Path, frame: pl.DataFrame) -> None:
    """A CSV that Excel on a Chinese Windows machine opens right: UTF-8 with a byte-order mark."""
    atomic_write_bytes(path, b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))


def shortage_refunds(shortages: pl.DataFrame) -> pl.DataFrame:
    """refunds.csv of the goods-in run: the cutoff's refunds.csv columns, then where and what."""
    return (shortages.filter(pl.col("short_refund_fen") > 0)
            .select("order_id", "line_no", "customer_id", pl.col("short_refund_fen").alias("refund_fen"), "reason",
                    "pickup_point_id", "sku_id", "units_short")
            .sort("order_id", "line_no"))


def write_receiving_files(folder: Path, plan: ReceivePlan, warehouse: Warehouse, master: Master,
                          goods_in: GoodsIn) -> dict:
    """refunds.csv, rejects.csv, shortages.xlsx and the re-issued books; returns the files."""
    settings = plan.settings
    write_csv_bom(folder / "refunds.csv", shortage_refunds(goods_in.shortages))
    write_csv_bom(folder / "rejects.csv", receipt_rejects(warehouse, plan.window))
    ctx = BookContext.for_run(plan.window, settings.lang, settings.platform_name, settings.warehouse_address,
                              plan.window.end)
    routes = revise_routes(goods_in.allocations, goods_in.shortages, master.pickup_points, master.products)
    handouts = revise_handouts(goods_in.allocations, goods_in.shortages, master.pickup_points, master.products)
    labels = LabelOptions(pickup_key(settings.data_dir), settings.label_size, settings.crate_units,
                          plan.window.calendar, plan.window.cutoff_date)  # the cutoff's codes (docs/labels.md)
    books = write_receiving_books(folder, ctx, goods_in.payables, goods_in.shortages, goods_in.allocations,
                                  master.suppliers, master.products, routes, handouts, labels)
    reissued = write_reissued_labels(folder / "labels", labels, settings.lang, ctx.run, goods_in.allocations,
                                     goods_in.shortages, master.pickup_points, master.products, master.categories,
                                     routes)
    return {"shortages": "shortages.xlsx", "refunds": "refunds.csv", "rejects": "rejects.csv", **books,
            "labels": reissued}


# ---- the run ---------------------------------------------------------------------------------------

def execute_receive(plan: ReceivePlan) -> dict:
    """Every stage in order against the warehouse, opened once here and held until the run ends."""
    run_id, started = str(uuid.uuid4()), datetime.now(timezone.utc)
    failure: UserError | None = None
    with open_warehouse(plan.settings.warehouse_path) as warehouse:
        try:
            check_cutoff_ran(warehouse, plan.window)
        except UserError as exc:
            failure = exc
        else:
            try:
                prepare_run_folder(plan.output_dir, plan.settings.reports_dir)
                summary = run_stages(plan, warehouse)
            except UserError as exc:
                record_receive_run(warehouse, plan.window, run_id, started, "failed", str(exc))
                failure = exc
            else:
                record_receive_run(warehouse, plan.window, run_id, started, "success", "", run_figures(summary),
                                   basis_fingerprint(warehouse, plan.window))
                summary["notices"] = notices_after_goods_in(warehouse, plan.window, plan.settings)  # 到货通知
    del warehouse
    if failure is not None:
        raise failure.with_traceback(None) from None
    return summary


def run_figures(summary: dict) -> dict:
    lines, fen = summary["purchase_lines"], summary["fen"]
    return {"receipts_applied": summary["receipts"]["applied"], "receipts_rejected": summary["receipts"]["rejected"],
            "lines_pending": lines["pending"], "lines_complete": lines["complete"], "lines_short": lines["short"],
            "units_short": summary["units"]["short"], "short_refund_fen": fen["short_refund"],
            "clawback_fen": fen["clawback"], "payable_fen": fen["payable"]}


def run_stages(plan: ReceivePlan, warehouse: Warehouse) -> dict:
    since = clock.perf_counter()
    master, files = ingest(plan, warehouse)
    _say(plan, "ingest", f"{files} new receipt file(s)", since)
    since = clock.perf_counter()
    goods_in = decide(plan, warehouse)
    lines = goods_in.payables["status"].value_counts().sort("status").rows()
    _say(plan, "decide", f"{goods_in.applied.height} receipt(s) applied, purchase lines "
                         f"{', '.join(f'{n} {s}' for s, n in lines) or 'none'}, "
                         f"{goods_in.shortages.height} order line(s) short", since)
    since = clock.perf_counter()
    summary = write(plan, warehouse, master, goods_in)
    _say(plan, "write", f"-> {plan.output_dir}", since)
    return summary


def name_receive_run() -> str:
    """`receive nightly 2026-11-21` (or `receive nightly (latest)` when the date is left empty)."""
    parameters = flow_run.parameters or {}
    day = parameters.get("cutoff_date")
    return f"receive {parameters.get('calendar', 'nightly')} {day or '(latest)'}"


@flow(name="receive", flow_run_name=name_receive_run, validate_parameters=True)
def receive_flow(calendar: Literal["nightly", "weekly"] = "nightly", cutoff_date: date | None = None,
                 data_dir: str | None = None, reports_dir: str | None = None, lang: Literal["zh", "en"] | None = None,
                 warehouse: str | None = None, progress: bool = False) -> dict:
    """The goods-in run of one cutoff: shortages, shortage refunds and clawbacks, supplier
    payables, re-issued sheets. Without `cutoff_date`, the latest cutoff of the calendar.

    Args:
        calendar: nightly or weekly: the calendar of the cutoff whose goods came in.
        cutoff_date: The cutoff whose goods came in (weekly: its Sunday). Empty: the latest cutoff
            of the calendar.
        data_dir: Data folder (master/, inbox/receipts/, the warehouse) for this run only. Empty:
            CUTOFF_DATA_DIR of `cutoff serve`.
        reports_dir: Reports folder for this run only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        lang: Language of the sheets, zh or en. Empty: CUTOFF_LANG (zh).
        warehouse: The warehouse file (DuckDB) for this run only. Empty: warehouse.duckdb in the data folder.
        progress: Also print each stage on the console of the process that runs it.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None,
            lang=lang, warehouse=Path(warehouse) if warehouse else None)
        day = resolve_cutoff_date(calendar, cutoff_date, settings)
        plan = plan_receive(calendar, day, settings, progress)
        summary = execute_receive(plan)
    except UserError as exc:
        return fail_run(exc)
    publish_receive_artifacts(summary)
    return summary


def print_receiving(summary: dict, output_dir: Path) -> None:
    """What `cutoff receive` prints: the figures a warehouse lead checks."""
    from transforms.money import fen_to_yuan_display as yuan
    lines, units, fen = summary["purchase_lines"], summary["units"], summary["fen"]
    print(f"goods-in {summary['calendar']} {summary['cutoff_date']}: receipts {summary['receipts']['applied']} "
          f"applied, {summary['receipts']['rejected']} rejected")
    print(f"  purchase lines: {lines['complete']} complete, {lines['short']} short, {lines['pending']} pending")
    print(f"  units: {units['purchased']:,} purchased, {units['received']:,} received, {units['damaged']:,} damaged, "
          f"{units['short']:,} short, {units['over']:,} over, {units['payable']:,} payable")
    print(f"  money: shortage refunds {yuan(fen['short_refund'])}, commission clawed back {yuan(fen['clawback'])}, "
          f"payable {yuan(fen['payable'])}")
    files = summary.get("files", {})
    print(f"  outputs: {output_dir}/ (receiving.json, shortages.xlsx, refunds.csv, rejects.csv; re-issued "
          f"修订版: {len(files.get('sorting', []))} sorting, {len(files.get('handout', []))} handout)")
    notices = summary.get("notices")
    if notices:  # the notice before arrival (docs/progress.md)
        counts = describe_deliveries(notices["messages"])
        print(f"  notices to the leaders (到货通知): {counts} -> {notices['folder']}/")
