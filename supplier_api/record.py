"""The exactly-once record of API purchase orders: the `po_deliveries` table (schemas/po_deliveries.py).

Rows are appended, never replaced: a rerun must see what every earlier run sent. A revision is
opened by a `pending` row, committed before its first request, that holds its content hash, its
Idempotency-Key and its body; each run that posts it then appends `delivered` or `failed`. So a
process killed between a request and its record leaves the revision pending, and the next run
(or `cutoff resend`) posts the very same body with the very same key: the supplier sees a repeat,
never a second purchase order. docs/po-api.md.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse
from warehouse.tables import BY_NAME

COLUMNS = list(BY_NAME["po_deliveries"].columns)
_INSERT = f"INSERT INTO po_deliveries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def latest_revisions(warehouse: Warehouse, window: CutoffWindow) -> dict[str, dict]:
    """{supplier_id: its newest revision of the cutoff's PO}: revision, content_hash,
    idempotency_key, body (from its pending row), state (its newest row's status), and, when it
    was delivered, `at` (the delivery's record time), reference, http_status and attempts."""
    rows = warehouse.frame("""
        WITH newest AS (
            SELECT supplier_id, max(revision) AS revision FROM po_deliveries
            WHERE calendar = ? AND cutoff_date = ? GROUP BY supplier_id),
        of_it AS (
            SELECT d.* FROM po_deliveries d JOIN newest USING (supplier_id, revision)
            WHERE d.calendar = ? AND d.cutoff_date = ?)
        SELECT o.supplier_id, o.revision, o.content_hash, o.idempotency_key, o.status AS state,
               o.recorded_at AS at, o.reference, o.http_status, o.attempts, o.error,
               (SELECT p.body FROM of_it p WHERE p.supplier_id = o.supplier_id AND p.status = 'pending'
                ORDER BY p.recorded_at LIMIT 1) AS body
        FROM of_it o
        QUALIFY row_number() OVER (PARTITION BY o.supplier_id
                                   ORDER BY o.recorded_at DESC, (o.status <> 'pending') DESC) = 1""",
        [window.calendar, window.cutoff_date, window.calendar, window.cutoff_date])
    return {row["supplier_id"]: row for row in rows.iter_rows(named=True)}


class PoRecord:
    """Writes rows of `po_deliveries` for one cutoff, each committed on its own (one INSERT),
    from the stage's threads one at a time (a DuckDB connection is not shared between threads)."""

    def __init__(self, warehouse: Warehouse, window: CutoffWindow, via: str):
        self.warehouse = warehouse
        self.window = window
        self.via = via
        self.lock = threading.Lock()

    def _row(self, supplier_id: str, po_number: str, revision: int, key: str, content_hash: str, status: str,
             url: str, **values) -> list:
        row = {"calendar": self.window.calendar, "cutoff_date": self.window.cutoff_date,
               "supplier_id": supplier_id, "po_number": po_number, "revision": revision, "idempotency_key": key,
               "content_hash": content_hash, "status": status, "via": self.via, "url": url, "attempts": 0,
               "recorded_at": datetime.now(timezone.utc), **values}
        return [row.get(column) for column in COLUMNS]

    def write(self, **row) -> datetime:
        """One row (keyword arguments: supplier_id, po_number, revision, key, content_hash, status,
        url and any other column), committed at once; returns its `recorded_at`."""
        values = self._row(**row)
        with self.lock:
            self.warehouse.execute(_INSERT, values)
        return values[COLUMNS.index("recorded_at")]

    def write_all(self, rows: list[dict]) -> None:
        """Several rows (as `write` takes them) in one transaction: one commit, not one each (the
        pending rows of a run, written before any request)."""
        if not rows:
            return
        with self.lock, self.warehouse.transaction():
            for row in rows:
                self.warehouse.execute(_INSERT, self._row(**row))
