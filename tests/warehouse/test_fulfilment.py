"""The rows of a fulfilment report: a purchase order is out when its email went out or its
supplier's system took it (po_transport = api)."""

from __future__ import annotations

from datetime import date

from mail.record import record_email
from supplier_api.record import PoRecord
from tests.mail.test_mailer import make_mail
from transforms.windows import window_for
from warehouse.connection import open_warehouse
from warehouse.fulfilment import report_rows

NIGHTLY = window_for("nightly", date(2026, 11, 21))


def test_pos_out_are_the_first_delivered_email_or_api_post_of_each_supplier(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        record_email(warehouse, NIGHTLY, make_mail(tmp_path, "S1"), content_hash="a", revision=1, channel="smtp",
                     recipients="x@y.cn", status="sent")
        record = PoRecord(warehouse, NIGHTLY, "run")
        row = dict(po_number="PO-nightly-2026-11-21-S2", revision=1, key="PO-nightly-2026-11-21-S2.r1",
                   content_hash="b", url="https://erp/po")
        record.write(supplier_id="S2", status="pending", **row)
        record.write(supplier_id="S2", status="failed", attempts=3, **row)
        delivered_at = record.write(supplier_id="S2", status="delivered", attempts=1, **row)
        record.write(supplier_id="S3", status="failed", **dict(row, po_number="PO-nightly-2026-11-21-S3"))
        out = report_rows(warehouse, date(2026, 11, 21), date(2026, 11, 21)).emails.sort("supplier_id")
    assert out["supplier_id"].to_list() == ["S1", "S2"]
    assert out.filter(out["supplier_id"] == "S2")["sent_at"][0] == delivered_at
