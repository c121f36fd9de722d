"""The warehouse rows a fulfilment report reads (`cutoff report`): the range's cutoffs and what
each left behind (allocations, shortages, purchase lines, payables, receipts, emails), the pickup
scans of their lines, and the names of the master data. The figures are transforms/fulfilment_report.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from warehouse.connection import Warehouse

DELIVERED = ("sent", "revised", "outbox")  # an email that went out (or was written for the mailbox)
RANGE = "cutoff_date BETWEEN ? AND ?"


@dataclass(frozen=True)
class ReportRows:
    cutoffs: pl.DataFrame
    allocations: pl.DataFrame
    shortages: pl.DataFrame
    scans: pl.DataFrame
    emails: pl.DataFrame
    receipts: pl.DataFrame
    purchase_lines: pl.DataFrame
    payables: pl.DataFrame
    products: pl.DataFrame
    suppliers: pl.DataFrame
    pickup_points: pl.DataFrame


def _master(warehouse: Warehouse, table: str, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """A master table as the last cutoff run stored it (empty before the first run)."""
    exists = warehouse.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table])
    if not exists:
        return pl.DataFrame(schema=columns)
    return warehouse.frame(f"SELECT {', '.join(columns)} FROM {table}").cast(columns)


def report_rows(warehouse: Warehouse, start: date, end: date) -> ReportRows:
    """The rows of the cutoffs dated start..end (both calendars) that ran successfully."""
    span = [start, end]
    cutoffs = warehouse.frame(f"""
        SELECT r.calendar, r.cutoff_date,
               (SELECT min(l.ended_at) FROM run_log l WHERE l.calendar = r.calendar
                  AND l.cutoff_date = r.cutoff_date AND l.status = 'success') AS run_ended_at
        FROM runs r WHERE r.status = 'success' AND r.{RANGE} ORDER BY r.cutoff_date, r.calendar""", span)
    allocations = warehouse.frame(f"""
        SELECT calendar, cutoff_date, order_id, line_no, listing_id, supplier_id, sku_id, category, pickup_point_id,
               customer_id, customer_name, phone_tail, qty_allocated
        FROM allocations WHERE qty_allocated > 0 AND {RANGE}""", span)
    shortages = warehouse.frame(
        f"SELECT calendar, cutoff_date, order_id, line_no, units_short FROM shortages WHERE {RANGE}", span)
    scans = warehouse.frame(f"""
        SELECT p.order_id, p.line_no, p.picked_up_at FROM pickups p
        SEMI JOIN allocations a ON a.order_id = p.order_id AND a.line_no = p.line_no AND a.{RANGE}""", span)
    emails = warehouse.frame(f"""
        SELECT calendar, cutoff_date, supplier_id, min(sent_at) AS sent_at,
               CASE WHEN bool_or(channel = 'smtp') THEN 'smtp' ELSE 'outbox' END AS channel FROM emails
        WHERE status IN ({', '.join('?' for _ in DELIVERED)}) AND {RANGE}
        GROUP BY ALL""", [*DELIVERED, *span])
    receipts = warehouse.frame(f"SELECT calendar, cutoff_date, received_at FROM receipts WHERE {RANGE}", span)
    purchase_lines = warehouse.frame(f"""
        SELECT calendar, cutoff_date, supplier_id, sku_id, units_purchased, surplus_units, unit_cost_fen
        FROM purchase_lines WHERE {RANGE}""", span)
    payables = warehouse.frame(f"""
        SELECT calendar, cutoff_date, supplier_id, sku_id, units_damaged, units_over, units_short
        FROM supplier_payables WHERE {RANGE}""", span)
    return ReportRows(
        cutoffs, allocations, shortages, scans, emails, receipts, purchase_lines, payables,
        products=_master(warehouse, "products", {"sku_id": pl.String, "name": pl.String, "category": pl.String}),
        suppliers=_master(warehouse, "suppliers", {"supplier_id": pl.String, "name": pl.String}),
        pickup_points=_master(warehouse, "pickup_points", {
            "pickup_point_id": pl.String, "name": pl.String, "leader_name": pl.String, "leader_phone": pl.String,
            "route_id": pl.String}))
