"""The exactly-once record: the `emails` table (schemas/emails.py). Per (calendar, cutoff_date,
supplier_id) it keeps a hash of the purchase order's data and a revision number: the same content
as the last delivery on a channel sends nothing (`unchanged`); changed content goes out as the
next revision (`revised`, 修订版). docs/email.md."""

from __future__ import annotations

from datetime import datetime, timezone

from mail.message import PurchaseOrderMail
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse
from warehouse.tables import BY_NAME

EMAIL_COLUMNS = list(BY_NAME["emails"].columns)
# summary `suppliers[].email` values (the contract's); --no-email writes to the outbox
STATUSES = ("sent", "revised", "unchanged", "outbox", "no_address", "failed")
DELIVERED = {"smtp": ("sent", "revised"), "outbox": ("outbox",)}  # what counts as delivered, per channel


def latest_deliveries(warehouse: Warehouse, window: CutoffWindow, channel: str) -> dict[str, dict]:
    """{supplier_id: the newest delivered row of its PO on this channel (smtp or outbox)}: the
    content hash and revision, read once for the cutoff (a run holds the warehouse: nothing else
    writes `emails` meanwhile, and each supplier's row is only its own)."""
    rows = warehouse.frame(
        "SELECT supplier_id, content_hash, revision FROM emails WHERE calendar = ? AND cutoff_date = ? "
        "AND status IN (SELECT unnest(?::VARCHAR[])) "
        "QUALIFY row_number() OVER (PARTITION BY supplier_id ORDER BY revision DESC, sent_at DESC) = 1",
        [window.calendar, window.cutoff_date, list(DELIVERED[channel])])
    return {row["supplier_id"]: {"content_hash": row["content_hash"], "revision": row["revision"]}
            for row in rows.iter_rows(named=True)}



_INSERT_EMAIL = f"INSERT INTO emails ({', '.join(EMAIL_COLUMNS)}) VALUES ({', '.join('?' * len(EMAIL_COLUMNS))})"


def record_email(warehouse: Warehouse, window: CutoffWindow, mail: PurchaseOrderMail, **values) -> None:
    """One row of `emails`, committed (one plain INSERT: after a server's 250 this is the window in
    which a killed process would not know it sent, so it is kept short)."""
    row = {"calendar": window.calendar, "cutoff_date": window.cutoff_date, "supplier_id": mail.supplier_id,
           "po_number": mail.po_number, "sent_at": datetime.now(timezone.utc), **values}
    warehouse.execute(_INSERT_EMAIL, [row.get(column) for column in EMAIL_COLUMNS])


def next_revision(last: dict | None, digest: str, channel: str, outbox_file_there: bool) -> int | None:
    """The revision to deliver a purchase order of content hash `digest` as, given the `last`
    delivery on the channel (`latest_deliveries`); None when it is delivered already (`unchanged`).
    An outbox copy counts only while its file is there: one that went missing is written again
    under the same revision."""
    if last and last["content_hash"] == digest and (channel == "smtp" or outbox_file_there):
        return None
    if last is None:
        return 1
    if last["content_hash"] != digest:
        return last["revision"] + 1
    return last["revision"]


class MailStatuses(dict):
    """{supplier_id: status} (see STATUSES); `.errors` says why, for each supplier `failed`."""

    def __init__(self):
        super().__init__()
        self.errors: dict[str, str] = {}
