"""A purchase order as the JSON a supplier's system receives (po_transport = api; docs/po-api.md,
whose schema is docs/po-api.schema.json).

The body is made of the PO's data (what "the same purchase order" means: its hash decides whether
a rerun posts anything) plus what identifies one revision of it (`revision`, `idempotency_key`,
`content_hash`) and the workbook, attached. Money is integer fen; `units` are units purchased, in
whole supplier cases. Nothing here reads a file or the clock: the workbook comes in as bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime

SCHEMA = "cutoff.purchase-order/1"  # the body's format and version (docs/po-api.md)
CURRENCY = "CNY"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINE_FIELDS = ("sku_id", "name", "spec", "unit", "units", "cases", "case_pack", "unit_cost_fen", "amount_fen")
# fields of the body that say which revision it is (and the file): not the PO's data
REVISION_FIELDS = ("schema", "revision", "idempotency_key", "content_hash", "workbook")


def idempotency_key(po_number: str, revision: int) -> str:
    """`PO-nightly-2026-11-21-S1.r2`: the PO number and revision. The same on every attempt at a
    revision, in any run; only a new revision (changed content) changes it."""
    return f"{po_number}.r{revision}"


def _int(value) -> int:
    return int(value or 0)


def _text(value) -> str | None:
    return None if value is None or str(value) == "" else str(value)


def api_lines(lines: list[dict]) -> list[dict]:
    """The purchase lines (mail.message LINE_KEYS: units_purchased, cost_fen, ...) as the body's
    `lines`, in SKU order: units = units purchased, amount_fen = units x unit cost."""
    out = [{"sku_id": str(line["sku_id"]), "name": _text(line.get("name")), "spec": _text(line.get("spec")),
            "unit": _text(line.get("unit")), "units": _int(line.get("units_purchased")),
            "cases": _int(line.get("cases")), "case_pack": _int(line.get("case_pack")),
            "unit_cost_fen": _int(line.get("unit_cost_fen")), "amount_fen": _int(line.get("cost_fen"))}
           for line in lines]
    return sorted(out, key=lambda line: line["sku_id"])


def purchase_order_data(*, calendar: str, cutoff_date: date, cutoff_at: datetime, supplier_id: str,
                        supplier_name: str, po_number: str, delivery_window: str | None,
                        warehouse_address: str | None, min_order_fen: int, below_minimum: bool,
                        lines: list[dict]) -> dict:
    """The PO's data: every field of the body but those of REVISION_FIELDS. `lines` as the
    mail's (units_purchased, cost_fen, ...); the totals are summed from them."""
    body_lines = api_lines(lines)
    return {
        "po_number": po_number,
        "calendar": calendar,
        "cutoff_date": cutoff_date.isoformat(),
        "cutoff_at": cutoff_at.isoformat(),
        "supplier_id": supplier_id,
        "supplier_name": supplier_name,
        "deliver_to": {"address": _text((warehouse_address or "").strip()), "window": _text(delivery_window)},
        "min_order_fen": _int(min_order_fen),
        "below_minimum": bool(below_minimum),
        "currency": CURRENCY,
        "lines": body_lines,
        "line_count": len(body_lines),
        "total_units": sum(line["units"] for line in body_lines),
        "total_cases": sum(line["cases"] for line in body_lines),
        "total_fen": sum(line["amount_fen"] for line in body_lines),
    }


def canonical_json(value: dict) -> bytes:
    """UTF-8 JSON, keys in order, no spaces: the same data gives the same bytes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def data_hash(data: dict) -> str:
    """sha256 of the PO's data (the body without REVISION_FIELDS): a rerun that changes none of it
    posts nothing. It covers the warehouse address and delivery window (the supplier's system keeps
    them), not the workbook's bytes, the language or the URL."""
    return hashlib.sha256(canonical_json({k: v for k, v in data.items() if k not in REVISION_FIELDS})).hexdigest()


def workbook_part(file_name: str, content: bytes) -> dict:
    """The workbook, attached: its name, type, size, sha256 and bytes (base64)."""
    return {"file_name": file_name, "media_type": XLSX, "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(), "content_base64": base64.b64encode(content).decode("ascii")}


def request_body(data: dict, revision: int, workbook: dict | None) -> bytes:
    """The exact bytes POSTed (and signed) for a revision of the PO: `schema`, the data, `revision`,
    `idempotency_key`, `content_hash` and the workbook, UTF-8 JSON with keys in order."""
    body = {"schema": SCHEMA, **data, "revision": revision,
            "idempotency_key": idempotency_key(data["po_number"], revision), "content_hash": data_hash(data),
            "workbook": workbook}
    return canonical_json(body)
