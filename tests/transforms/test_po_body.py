"""The purchase order as JSON (transforms/po_body.py): its fields to the fen, its hash, its key,
and agreement with the published JSON Schema (docs/po-api.schema.json)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from transforms.po_body import (
    SCHEMA,
    XLSX,
    api_lines,
    canonical_json,
    data_hash,
    idempotency_key,
    purchase_order_data,
    request_body,
    workbook_part,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "po-api.schema.json"
CUTOFF_AT = datetime(2026, 11, 21, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LINES = [  # as the mail has them (mail.message LINE_KEYS), SKU2 first to show the sort
    dict(sku_id="SKU2", name="砂糖橘", spec="5斤/箱", unit="箱", units_allocated=3, case_pack=1, cases=3,
         units_purchased=3, unit_cost_fen=2550, cost_fen=7650),
    dict(sku_id="SKU1", name="流心奶黄月礼盒", spec=None, unit="盒", units_allocated=10, case_pack=6, cases=2,
         units_purchased=12, unit_cost_fen=20000, cost_fen=240000),
]


def data(**changes) -> dict:
    values = dict(calendar="nightly", cutoff_date=date(2026, 11, 21), cutoff_at=CUTOFF_AT, supplier_id="S1",
                  supplier_name="广州月饼食品有限公司", po_number="PO-nightly-2026-11-21-S1",
                  delivery_window="次日 05:00-07:00", warehouse_address=" 广州市白云区仓库路8号 ", min_order_fen=100000,
                  below_minimum=False, lines=LINES)
    return purchase_order_data(**{**values, **changes})


def test_the_data_of_a_purchase_order_to_the_fen():
    assert data() == {
        "po_number": "PO-nightly-2026-11-21-S1", "calendar": "nightly", "cutoff_date": "2026-11-21",
        "cutoff_at": "2026-11-21T20:00:00+08:00", "supplier_id": "S1", "supplier_name": "广州月饼食品有限公司",
        "deliver_to": {"address": "广州市白云区仓库路8号", "window": "次日 05:00-07:00"},
        "min_order_fen": 100000, "below_minimum": False, "currency": "CNY",
        "lines": [
            {"sku_id": "SKU1", "name": "流心奶黄月礼盒", "spec": None, "unit": "盒", "units": 12, "cases": 2,
             "case_pack": 6, "unit_cost_fen": 20000, "amount_fen": 240000},
            {"sku_id": "SKU2", "name": "砂糖橘", "spec": "5斤/箱", "unit": "箱", "units": 3, "cases": 3,
             "case_pack": 1, "unit_cost_fen": 2550, "amount_fen": 7650}],
        "line_count": 2, "total_units": 15, "total_cases": 5, "total_fen": 247650}


def test_unknown_address_and_window_are_null_not_empty():
    assert data(warehouse_address="  ", delivery_window="")["deliver_to"] == {"address": None, "window": None}
    assert data(warehouse_address=None, delivery_window=None)["deliver_to"] == {"address": None, "window": None}


def test_api_lines_read_missing_numbers_as_zero_and_text_as_text():
    line = api_lines([{"sku_id": 7, "name": "", "units_purchased": None, "cost_fen": None}])[0]
    assert line == {"sku_id": "7", "name": None, "spec": None, "unit": None, "units": 0, "cases": 0,
                    "case_pack": 0, "unit_cost_fen": 0, "amount_fen": 0}


def test_the_key_is_the_po_number_and_the_revision():
    assert idempotency_key("PO-nightly-2026-11-21-S1", 1) == "PO-nightly-2026-11-21-S1.r1"
    assert idempotency_key("PO-weekly-2026-11-22-S9", 12) == "PO-weekly-2026-11-22-S9.r12"


def test_the_hash_covers_the_data_not_the_revision_or_the_workbook():
    base = data()
    digest = data_hash(base)
    assert digest == hashlib.sha256(canonical_json(base)).hexdigest()
    assert data_hash({**base, "revision": 2, "idempotency_key": "x", "content_hash": "y", "workbook": {"a": 1},
                      "schema": "z"}) == digest
    assert data_hash(data(lines=list(reversed(LINES)))) == digest  # the lines' order is the SKUs'
    assert data_hash(data(warehouse_address="新仓")) != digest
    assert data_hash(data(delivery_window="次日 08:00")) != digest
    assert data_hash(data(below_minimum=True)) != digest
    one_more_case = {**LINES[0], "cases": 4, "units_purchased": 4, "cost_fen": 10200}
    assert data_hash(data(lines=[one_more_case, LINES[1]])) != digest


def test_canonical_json_is_utf8_sorted_and_compact():
    assert canonical_json({"b": "砂糖橘", "a": [1, 2]}) == '{"a":[1,2],"b":"砂糖橘"}'.encode()


def test_the_workbook_is_attached_with_its_name_size_and_hash():
    content = b"PK\x03\x04 not really a workbook"
    part = workbook_part("采购单-PO-nightly-2026-11-21-S1.xlsx", content)
    assert part == {"file_name": "采购单-PO-nightly-2026-11-21-S1.xlsx", "media_type": XLSX, "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "content_base64": base64.b64encode(content).decode()}


def test_the_request_body_is_the_data_and_its_revision():
    workbook = workbook_part("po.xlsx", b"xlsx")
    body = json.loads(request_body(data(), 2, workbook))
    assert body == {"schema": SCHEMA, **data(), "revision": 2, "idempotency_key": "PO-nightly-2026-11-21-S1.r2",
                    "content_hash": data_hash(data()), "workbook": workbook}
    assert request_body(data(), 2, workbook) == request_body(data(), 2, workbook)  # byte for byte
    assert request_body(data(), 1, None) != request_body(data(), 2, None)


@pytest.mark.parametrize("workbook", [workbook_part("po.xlsx", b"xlsx"), None])
def test_a_body_is_valid_against_the_published_json_schema(workbook):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(request_body(data(), 1, workbook)), schema,
                        cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())
    empty = json.loads(request_body(data(warehouse_address=None, delivery_window=None, lines=[]), 3, workbook))
    jsonschema.validate(empty, schema, cls=jsonschema.Draft202012Validator)


def test_the_schema_refuses_what_the_body_never_is():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    body = json.loads(request_body(data(), 1, None))
    for broken in ({**body, "total_fen": 2476.5}, {**body, "revision": 0}, {**body, "lines": [{"sku_id": "S"}]},
                   {k: v for k, v in body.items() if k != "idempotency_key"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)
