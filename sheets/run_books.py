"""The workbooks of a run (contract.md, "Outputs"): purchase orders, sorting sheets, handout lists
and the summary, written with openpyxl from the run's tables.

`write_run_workbooks` prepares each file's rows with the rules of transforms/ (purchase.py,
sorting.py), then writes the per-supplier, per-route and per-pickup-point workbooks, spread over
`settings.workers` processes when there are many of them. Layout: sheets/writer.py (the one
renderer) and docs/sheets.md.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import polars as pl

from labels.pdf import DEFAULT_SIZE
from labels.run_labels import LabelOptions, handout_pictures, label_path, write_crates, write_households
from outputs.processes import ALLOCATOR_SETTING, die_with_parent, worker_allocator
from sheets import handouts, purchase_orders, sorting, summary_book
from sheets.labels import BookContext
from sheets.run_tables import RunTables
from sheets.spec import workbook_path
from sheets.writer import write_workbooks
from transforms.crates import prepare_crates
from transforms.households import prepare_households
from transforms.purchase import prepare_purchase_orders
from transforms.sorting import Handout, prepare_handouts, prepare_routes

POOL_MIN_FILES = 200      # fewer files than this are written in-process (a pool costs ~1 s to start)
FILE_COST_ROWS = 300      # a workbook's fixed cost, in rows, for balancing the workers
LABEL_COST_ROWS = 3       # a label (and an order's QR code), in rows
BATCHES_PER_WORKER = 8
BATCH_COST = 100_000      # a batch's rows at most: a worker holds them (and their pickled copy) while it writes


@dataclass(frozen=True)
class WorkbookJob:
    """One file to write: its kind (purchase, sorting, handout), where, and its prepared rows."""

    kind: str
    path: Path
    payload: object
    cost: int


@dataclass(frozen=True)
class PointBooks:
    """A pickup point's handout list and, when the run prints labels, its household labels'
    orders and items (transforms/households.py)."""

    handout: Handout
    orders: pl.DataFrame
    items: pl.DataFrame


def _handout_book(path: Path, payload: Handout | PointBooks, ctx: BookContext):
    return handouts.handout_book(path, payload.handout if isinstance(payload, PointBooks) else payload, ctx)


BOOKS = {  # kind -> (path, payload, ctx) -> BookSpec
    "purchase": purchase_orders.purchase_order_book,
    "sorting": sorting.route_book,
    "handout": _handout_book,
}
LABELS_FOLDER = "labels"
POINT_BATCH_ROWS = 20_000  # allocated lines of the pickup points prepared at a time (handout lists, labels)
ROWS_PER_CALL = 10_000  # workbooks written per write_workbooks call: rows rendered together, at most
# (a worker's memory: ~250 MB at 25,000, ~320 MB at 100,000, for the same time)


def allocated_units(allocations: pl.DataFrame) -> pl.DataFrame:
    """Units per pickup point and SKU (what the crates hold)."""
    return (allocations.select("pickup_point_id", "sku_id", "qty_allocated").filter(pl.col("qty_allocated") > 0)
            .group_by("pickup_point_id", "sku_id")
            .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units")))


def plan_by_kind(out_dir: Path, tables: RunTables, labels: LabelOptions | None = None) -> Iterator[list[WorkbookJob]]:
    """The run's workbooks a kind at a time, rows prepared: the purchase orders (cheap), then the
    route books, then (with `labels`) the crate labels, then the handout lists (with the household
    labels) a group of pickup points at a time (`point_batches`), so workers write the first while
    the next are prepared, and the run holds a group's prepared rows, not the region's."""
    master = tables.master
    # the crates first, while the workers start (they are prepared in a moment of +125 MiB at 1M
    # lines, which later met the workers at their largest: docs/scale.md); handed out after the routes
    crates = None if labels is None else prepare_crates(
        allocated_units(tables.allocations), master.pickup_points, master.products, master.categories,
        labels.crate_units)
    yield [WorkbookJob("purchase", workbook_path(out_dir, "purchase", order.supplier_id), order,
                       order.lines.height + FILE_COST_ROWS)
           for order in prepare_purchase_orders(
               tables.purchase_lines, tables.supplier_totals, master.suppliers, master.products)]
    yield [WorkbookJob("sorting", workbook_path(out_dir, "sorting", route.route_id), route,
                       3 * route.units.height + FILE_COST_ROWS)
           for route in prepare_routes(tables.allocations, master.pickup_points, master.products)]
    if crates is not None:
        yield [WorkbookJob("crates", label_path(out_dir / LABELS_FOLDER, "crates", route_id), frame,
                           LABEL_COST_ROWS * frame.height + FILE_COST_ROWS)
               for (route_id,), frame in crates.partition_by("route_id", as_dict=True, maintain_order=True).items()]
    for allocations in point_batches(tables.allocations):  # a group of pickup points at a time: bounded memory
        yield point_jobs(out_dir, allocations, master, labels)


def point_batches(allocations: pl.DataFrame, rows: int | None = None) -> Iterator[pl.DataFrame]:
    """The allocated lines a group of pickup points at a time (the points in id order, about `rows`
    lines a group; a point is never split). Each pickup point's books depend on its own lines only,
    so the books are the same as when every point is prepared at once (docs/scale.md)."""
    rows = rows or POINT_BATCH_ROWS
    # the allocated lines' row numbers and points (not a copy of the region's lines), then each
    # group's lines gathered in their order in `allocations`, as a filter would give them
    index = (allocations.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "pickup_point_id",
                                "qty_allocated")
             .filter(pl.col("qty_allocated") > 0).select("row", "pickup_point_id"))
    per_point = index.group_by("pickup_point_id").len().sort("pickup_point_id")
    groups = per_point.select("pickup_point_id", ((pl.col("len").cum_sum() - 1) // max(1, rows)).alias("group"))
    for _, members in sorted(index.join(groups, on="pickup_point_id").partition_by("group", as_dict=True).items()):
        yield allocations[members["row"].sort()]


def point_jobs(out_dir: Path, allocations: pl.DataFrame, master, labels: LabelOptions | None) -> list[WorkbookJob]:
    """The handout lists of the pickup points in `allocations` (with `labels`: their household labels)."""
    handout_list = prepare_handouts(allocations, master.pickup_points, master.products)
    if labels is None:
        return [WorkbookJob("handout", workbook_path(out_dir, "handout", handout.pickup_point_id), handout,
                            handout.lines.height + FILE_COST_ROWS) for handout in handout_list]
    orders, items = prepare_households(allocations.with_columns(pl.col("qty_allocated").alias("units")),
                                       master.products)
    orders_by = orders.partition_by("pickup_point_id", as_dict=True, maintain_order=True)
    items_by = items.partition_by("pickup_point_id", as_dict=True, maintain_order=True)
    empty_orders, empty_items = orders.clear(), items.clear()
    return [WorkbookJob("handout", workbook_path(out_dir, "handout", h.pickup_point_id),
                        PointBooks(h, orders_by.get((h.pickup_point_id,), empty_orders),
                                   items_by.get((h.pickup_point_id,), empty_items)),
                        h.lines.height + LABEL_COST_ROWS * orders_by.get((h.pickup_point_id,), empty_orders).height
                        + FILE_COST_ROWS)
            for h in handout_list]


def plan_workbooks(out_dir: Path, tables: RunTables) -> list[WorkbookJob]:
    """Every per-supplier, per-route and per-pickup-point workbook of the run, rows prepared."""
    return [job for jobs in plan_by_kind(out_dir, tables) for job in jobs]


def write_jobs(jobs: list[WorkbookJob], ctx: BookContext, temporary_dir: str | None = None,
               labels: LabelOptions | None = None) -> int:
    """Write the given workbooks and label files (in a worker process, or in this one), a group at
    a time: the rows of a group's same-shaped sheets are rendered together, its orders' QR codes
    made together. `temporary_dir`: where a worker's spooled sheets go past their size in memory
    (the run's staging folder, as the parent's)."""
    if temporary_dir is not None:
        tempfile.tempdir = temporary_dir
    group: list[WorkbookJob] = []
    rows = 0
    ordered = sorted(jobs, key=lambda j: j.kind)
    for number, job in enumerate(ordered):
        group.append(job)
        rows += job.cost
        if rows >= ROWS_PER_CALL or number == len(ordered) - 1:
            _write_group(group, ctx, labels)
            group, rows = [], 0
    return len(jobs)


def _write_group(group: list[WorkbookJob], ctx: BookContext, labels: LabelOptions | None) -> None:
    crates = [j for j in group if j.kind == "crates"]
    books = [j for j in group if j.kind != "crates"]
    points = [j for j in books if isinstance(j.payload, PointBooks)]
    if points and labels is not None:
        lines, codes = handout_pictures(labels, [(j.payload.handout.pickup_point_id, j.payload.handout.lines)
                                                 for j in points])
        with_codes = {id(j): replace(j.payload, handout=replace(j.payload.handout, lines=new))
                      for j, new in zip(points, lines, strict=True)}
        books = [replace(j, payload=with_codes.get(id(j), j.payload)) for j in books]
    write_workbooks([BOOKS[j.kind](j.path, j.payload, ctx) for j in books], created=ctx.created)
    if points and labels is not None:
        folder = points[0].path.parent.parent / LABELS_FOLDER
        write_households(folder, labels, ctx.lang, ctx.run, [
            (j.payload.orders, j.payload.items, by_order, j.payload.handout.name)
            for j, by_order in zip(points, codes, strict=True)])
    if crates and labels is not None:
        write_crates(crates[0].path.parent, labels, ctx.lang, ctx.run, pl.concat([j.payload for j in crates]))


def balance(jobs: list[WorkbookJob], batches: int) -> list[list[WorkbookJob]]:
    """Split jobs into batches of about equal cost (largest first into the lightest batch)."""
    bins: list[list[WorkbookJob]] = [[] for _ in range(max(1, min(batches, len(jobs))))]
    loads = [0] * len(bins)
    for job in sorted(jobs, key=lambda j: -j.cost):
        lightest = loads.index(min(loads))
        bins[lightest].append(job)
        loads[lightest] += job.cost
    return [b for b in bins if b]


def expected_workbooks(tables: RunTables | pl.DataFrame) -> int:
    """About how many files the run writes (pickup points and suppliers with something), cheaply,
    to decide on a process pool before the rows are prepared (from the tables or the allocations)."""
    allocations = tables if isinstance(tables, pl.DataFrame) else tables.allocations
    allocated = (allocations.select("pickup_point_id", "supplier_id", "qty_allocated")
                 .filter(pl.col("qty_allocated") > 0))
    return allocated["pickup_point_id"].n_unique() + allocated["supplier_id"].n_unique()


def _start_worker(temporary_dir: str, parent_pid: int) -> None:
    """In each worker process: openpyxl's temporary sheet files go where the parent's go (the run's
    staging folder, outputs/run_folder.py: they hold customer names and go with it), and the worker
    dies with the parent (a killed run leaves no worker writing into a folder the rerun clears)."""
    die_with_parent(parent_pid)
    tempfile.tempdir = temporary_dir


def _started() -> int:
    return os.getpid()


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes, started now so they import while the rows are prepared (spawn: no fork
    of a process that runs polars threads)."""
    saved, wanted = os.environ.get(ALLOCATOR_SETTING), worker_allocator()
    os.environ[ALLOCATOR_SETTING] = wanted  # the workers' environment is this one's at their start
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(tempfile.gettempdir(), os.getpid()))
        for _ in range(workers):
            pool.submit(_started)
    finally:
        if saved is None:
            os.environ.pop(ALLOCATOR_SETTING, None)
        else:
            os.environ[ALLOCATOR_SETTING] = saved
    return pool


class BookSettings(Protocol):
    """What the run's workbooks take from the settings (flows/settings.py Settings has them)."""

    platform_name: str
    warehouse_address: str
    workers: int
    label_size: str    # CUTOFF_LABEL_SIZE (a settings object without it: 80x60)
    crate_units: int   # CUTOFF_CRATE_UNITS (without it: 30)


class RunBooks:
    """The run's workbooks: creating it spawns the worker processes (they import while the first
    rows are prepared), `submit` prepares the purchase orders, route books and handout lists a
    kind (a group of pickup points) at a time and hands them to the workers (or writes them here
    when there are few), `finish` waits for the workers, stops them and writes summary.xlsx. The
    cutoff writes commissions.xlsx and the summary before it creates one, so that what this
    process holds for them and what the workers hold do not add up (docs/scale.md). With a
    `pickup_key` (labels/pickup_key.py) the handout lists carry each order's QR code and the
    labels/ folder gets the crate and household labels (docs/labels.md)."""

    def __init__(self, settings: BookSettings, allocations: pl.DataFrame, pickup_key: bytes | None = None):
        self.settings = settings
        self.pickup_key = pickup_key
        self.workers = max(1, int(settings.workers or 1))
        self.expected = expected_workbooks(allocations)
        self.pool = _new_pool(self.workers) if self.workers > 1 and self.expected >= POOL_MIN_FILES else None
        self.futures: list = []
        self.counts: Counter = Counter()

    def context(self, tables: RunTables, lang: str) -> BookContext:
        return BookContext.for_run(tables.window, lang, self.settings.platform_name, self.settings.warehouse_address,
                                   tables.generated_at)

    def submit(self, out_dir: Path, tables: RunTables, lang: str = "zh") -> None:
        """The per-supplier, per-route and per-pickup-point workbooks under out_dir (`tables.summary`
        is not read here)."""
        ctx = self.context(tables, lang)
        labels = self.label_options(tables)
        for kind in plan_by_kind(out_dir, tables, labels):  # the workers write a kind while the next is prepared
            self.counts.update(job.kind for job in kind)
            self.counts["households"] += sum(1 for job in kind if isinstance(job.payload, PointBooks)
                                             and job.payload.orders.height)
            if self.pool:
                share = len(kind) / max(1, self.expected)
                cost = sum(job.cost for job in kind)
                batches = max(self.workers, round(self.workers * BATCHES_PER_WORKER * share), -(-cost // BATCH_COST))
                self.futures += [self.pool.submit(write_jobs, batch, ctx, tempfile.gettempdir(), labels)
                                 for batch in balance(kind, batches)]
                self.wait_backlog()  # a group's rows are sent before the next group's are prepared
            else:
                write_jobs(kind, ctx, labels=labels)
            del kind  # a kind's rows go once its workbooks are written

    def wait_backlog(self) -> None:
        """Wait until no more batches wait than the workers have (each holds its rows here until it
        is written): the run's memory holds about two groups of pickup points' rows, not all."""
        pending = [f for f in self.futures if not f.done()]
        while len(pending) > self.workers:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            pending = [f for f in pending if f not in done]

    def label_options(self, tables: RunTables) -> LabelOptions | None:
        if self.pickup_key is None:
            return None
        return LabelOptions(self.pickup_key, getattr(self.settings, "label_size", DEFAULT_SIZE),
                            int(getattr(self.settings, "crate_units", 30)), tables.window.calendar,
                            tables.window.cutoff_date)

    def finish(self, out_dir: Path, tables: RunTables, lang: str = "zh") -> dict[str, int]:
        """The workers' work (a worker's error is raised here), then summary.xlsx. Returns counts per
        kind, e.g. {"purchase": 2, "sorting": 1, "handout": 2, "summary": 1, "labels": 3} (labels:
        the PDF files of labels/)."""
        for future in self.futures:
            future.result()
        self.close()  # the workers go before summary.xlsx is written: its moment and theirs do not add up
        summary_book.write_summary_book(out_dir / "summary.xlsx", tables, self.context(tables, lang))
        return {"purchase": self.counts["purchase"], "sorting": self.counts["sorting"],
                "handout": self.counts["handout"], "summary": 1,
                "labels": self.counts["crates"] + self.counts["households"]}

    def close(self, cancel: bool = False) -> None:
        """Stop the workers (at once with `cancel`: what they have not started is dropped)."""
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
            self.pool = None

    def __enter__(self) -> RunBooks:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(cancel=kind is not None)


def write_run_workbooks(out_dir: Path, tables: RunTables, settings: BookSettings, lang: str = "zh",
                        pickup_key: bytes | None = None) -> dict[str, int]:
    """Write purchase/, sorting/, handout/ and summary.xlsx under out_dir (a staging folder the
    lead later renames into place), and with `pickup_key` the pickup codes and labels/. Returns
    counts per kind, e.g. {"purchase": 2, "sorting": 1, "handout": 2} (and "summary": 1, "labels")."""
    with RunBooks(settings, tables.allocations, pickup_key) as books:
        books.submit(out_dir, tables, lang)
        return books.finish(out_dir, tables, lang)


def write_summary_workbook(out_dir: Path, tables: RunTables, settings: BookSettings, lang: str = "zh") -> None:
    """summary.xlsx alone, again: after the email stage, with each supplier's email status (its
    邮件 column). Written to a temporary name and renamed into place, as every workbook."""
    ctx = BookContext.for_run(tables.window, lang, settings.platform_name, settings.warehouse_address,
                              tables.generated_at)
    summary_book.write_summary_book(out_dir / "summary.xlsx", tables, ctx)
