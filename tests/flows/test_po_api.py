"""Purchase orders posted to the supplier's system, against a real HTTP server on 127.0.0.1
(tests/supplier_endpoint.py verifies each signature with the secret and keeps one order per
Idempotency-Key): exactly once per content, what is retried and what is not, within the budget."""

from __future__ import annotations

import base64
import io
import json
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from email.utils import format_datetime

import openpyxl
import polars as pl
import pytest

from errors import UserError
from flows.po_api import deliver_purchase_orders, post_purchase_orders
from flows.settings import Settings
from supplier_api.poster import Timing
from tests.mail.test_mailer import LINES, changed, make_mail
from tests.supplier_endpoint import Reply, SupplierEndpoint, expected_signature
from transforms.windows import window_for
from warehouse.connection import open_warehouse

NIGHTLY = window_for("nightly", date(2026, 11, 21))
SECRET = "s3cret-签名-key"
KEY1 = "PO-nightly-2026-11-21-S1.r1"


class Clock:
    """The real monotonic clock plus what the fake `sleep` skipped: the budget is kept, the test
    does not wait for the backoff."""

    def __init__(self):
        self.skipped = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def wall(self) -> float:
        return time.time() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.skipped += seconds


@pytest.fixture
def warehouse(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as opened:
        yield opened


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "reports" / "nightly" / "2026-11-21"


@pytest.fixture
def supplier():
    with SupplierEndpoint(SECRET) as endpoint:
        yield endpoint


def suppliers_frame(url: str, ids=("S1",), transport="api") -> pl.DataFrame:
    return pl.DataFrame([{"supplier_id": s, "name": "广州鲜果供应链有限公司", "email": f"{s.lower()}@x.cn",
                          "min_order_fen": 0, "delivery_window": "次日 05:00-07:00", "po_transport": transport,
                          "po_url": url} for s in ids])


def post(warehouse, mails, url, clock=None, settings=None, **timing):
    clock = clock or Clock()
    timing = Timing(**{"timeout": 2.0, "budget": 20.0, "monotonic": clock.monotonic, "wall": clock.wall,
                       "sleep": clock.sleep, **timing})
    settings = settings or Settings(warehouse_address="广州市白云区仓库路8号")
    ids = [mail.supplier_id for mail in mails]
    return post_purchase_orders(warehouse, NIGHTLY, mails, suppliers_frame(url, ids),
                                dict.fromkeys(ids, SECRET), settings, timing=timing)


def rows(warehouse) -> list[tuple]:
    return warehouse.frame("SELECT supplier_id, revision, idempotency_key, status, attempts, http_status, reference "
                           "FROM po_deliveries ORDER BY recorded_at").rows()


# ---- what the supplier's system receives -------------------------------------------------------------

def test_the_supplier_receives_a_signed_json_purchase_order_with_its_workbook(warehouse, run_dir, supplier):
    result = post(warehouse, [make_mail(run_dir)], supplier.url)

    assert [seen.signature_ok for seen in supplier.seen] == [True]
    seen = supplier.seen[0]
    assert seen.path == "/purchase-orders?tenant=cutoff"
    assert seen.headers["Content-Type"] == "application/json; charset=utf-8"
    assert seen.headers["Idempotency-Key"] == KEY1
    assert seen.headers["X-Cutoff-Signature"] == expected_signature(SECRET, seen.headers["X-Cutoff-Timestamp"],
                                                                    seen.body)
    assert abs(int(seen.headers["X-Cutoff-Timestamp"]) - time.time()) < 5
    body = seen.json
    assert (body["po_number"], body["revision"], body["idempotency_key"]) == ("PO-nightly-2026-11-21-S1", 1, KEY1)
    assert (body["calendar"], body["cutoff_date"], body["cutoff_at"]) == ("nightly", "2026-11-21",
                                                                          "2026-11-21T20:00:00+08:00")
    assert body["supplier_id"] == "S1" and body["supplier_name"] == "广州鲜果供应链有限公司"
    assert body["deliver_to"] == {"address": "广州市白云区仓库路8号", "window": "次日 05:00-07:00"}
    assert body["lines"] == [
        {"sku_id": "SKU1", "name": "流心奶黄月礼盒", "spec": "6枚/盒", "unit": "盒", "units": 12, "cases": 2,
         "case_pack": 6, "unit_cost_fen": 20000, "amount_fen": 240000},
        {"sku_id": "SKU2", "name": "<b>砂糖橘</b>", "spec": "5斤/箱", "unit": "箱", "units": 3, "cases": 3,
         "case_pack": 1, "unit_cost_fen": 2550, "amount_fen": 7650}]
    assert (body["total_fen"], body["total_units"], body["total_cases"]) == (247650, 15, 5)
    workbook = body["workbook"]
    data = base64.b64decode(workbook["content_base64"])
    assert data == (run_dir / "purchase" / "S1.xlsx").read_bytes() and workbook["size"] == len(data)
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "SKU1"
    assert workbook["file_name"] == "采购单-PO-nightly-2026-11-21-S1-广州鲜果供应链有限公司.xlsx"

    assert result["S1"]["status"] == "delivered" and result["S1"]["reference"] == "SO-0001"
    assert (result["S1"]["revision"], result["S1"]["idempotency_key"], result["S1"]["attempts"]) == (1, KEY1, 1)
    assert result["S1"]["at"].startswith("20") and result["S1"]["at"].endswith("+08:00")
    assert rows(warehouse) == [("S1", 1, KEY1, "pending", 0, None, None),
                               ("S1", 1, KEY1, "delivered", 1, 200, "SO-0001")]


def test_a_rerun_without_changes_posts_nothing_and_with_changes_posts_the_next_revision(warehouse, run_dir,
                                                                                       supplier):
    post(warehouse, [make_mail(run_dir)], supplier.url)

    again = post(warehouse, [make_mail(run_dir)], supplier.url)

    assert len(supplier.seen) == 1
    assert again["S1"] == {"status": "unchanged", "revision": 1, "idempotency_key": KEY1,
                           "at": again["S1"]["at"], "reference": "SO-0001", "http_status": 200, "attempts": 0,
                           "error": None}

    revised = post(warehouse, [make_mail(run_dir, lines=changed(LINES))], supplier.url)

    assert [seen.key for seen in supplier.seen] == [KEY1, "PO-nightly-2026-11-21-S1.r2"]
    assert supplier.seen[1].json["revision"] == 2 and supplier.seen[1].json["lines"][0]["units"] == 18
    assert revised["S1"]["status"] == "revised" and revised["S1"]["reference"] == "SO-0002"
    assert post(warehouse, [make_mail(run_dir, lines=changed(LINES))], supplier.url)["S1"]["status"] == "unchanged"
    assert len(supplier.seen) == 2


def test_a_change_of_warehouse_address_is_a_revision_a_change_of_language_is_not(warehouse, run_dir, supplier):
    post(warehouse, [make_mail(run_dir)], supplier.url)

    english = post(warehouse, [make_mail(run_dir)], supplier.url,
                   settings=Settings(warehouse_address="广州市白云区仓库路8号", lang="en"))
    moved = post(warehouse, [make_mail(run_dir)], supplier.url, settings=Settings(warehouse_address="新仓 1 号"))

    assert english["S1"]["status"] == "unchanged"
    assert moved["S1"]["status"] == "revised" and supplier.seen[-1].json["deliver_to"]["address"] == "新仓 1 号"


# ---- retries -----------------------------------------------------------------------------------------

def test_a_500_then_a_200_is_delivered_on_the_second_attempt_with_the_same_key_and_body(warehouse, run_dir,
                                                                                       supplier):
    supplier.script(Reply(500, '{"error": "db down"}'))
    clock = Clock()

    result = post(warehouse, [make_mail(run_dir)], supplier.url, clock)

    assert [seen.status for seen in supplier.seen] == [500, 200]
    assert [seen.key for seen in supplier.seen] == [KEY1, KEY1]
    assert supplier.seen[0].body == supplier.seen[1].body and all(seen.signature_ok for seen in supplier.seen)
    assert clock.sleeps == [1.0]
    assert result["S1"]["status"] == "delivered" and result["S1"]["attempts"] == 2
    assert list(supplier.orders) == [KEY1]


def test_an_endpoint_that_never_answers_costs_at_most_the_budget_then_the_next_run_delivers(warehouse, run_dir,
                                                                                           supplier):
    supplier.script(*[Reply(hold=30) for _ in range(20)])
    started = time.monotonic()

    result = post(warehouse, [make_mail(run_dir)], supplier.url, timeout=0.4, budget=1.5, backoff=(0.1,),
                  monotonic=time.monotonic, sleep=time.sleep)

    took = time.monotonic() - started
    assert 1.3 < took < 2.5, took
    assert result["S1"]["status"] == "failed" and result["S1"]["http_status"] is None
    assert result["S1"]["error"].startswith("timed out: no answer within the attempt's timeout")
    assert "gave up after" in result["S1"]["error"] and result["S1"]["attempts"] >= 3
    assert {seen.key for seen in supplier.seen} == {KEY1}

    supplier.replies.clear()
    again = post(warehouse, [make_mail(run_dir)], supplier.url)

    assert again["S1"]["status"] == "delivered" and supplier.seen[-1].key == KEY1
    assert supplier.seen[-1].body == supplier.seen[0].body


def test_a_429_waits_as_long_as_the_supplier_asks(warehouse, run_dir, supplier):
    """Retry-After as seconds, then as an HTTP date (42 s after the answer, by the client's clock)."""
    clock = Clock()
    later = format_datetime(datetime.fromtimestamp(time.time() + 7 + 42, timezone.utc), usegmt=True)
    supplier.script(Reply(429, "slow down", {"Retry-After": "7"}), Reply(429, "", {"Retry-After": later}))

    result = post(warehouse, [make_mail(run_dir)], supplier.url, clock, budget=120.0)

    assert clock.sleeps[0] == 7.0 and 40 <= clock.sleeps[1] <= 43
    assert result["S1"]["status"] == "delivered" and result["S1"]["attempts"] == 3


def test_a_429_asking_for_longer_than_the_budget_gives_up_at_once(warehouse, run_dir, supplier):
    clock = Clock()
    supplier.script(Reply(429, '{"error": "quota"}', {"Retry-After": "3600"}))

    result = post(warehouse, [make_mail(run_dir)], supplier.url, clock)

    assert clock.sleeps == [] and len(supplier.seen) == 1
    assert result["S1"]["status"] == "failed" and result["S1"]["http_status"] == 429
    assert result["S1"]["error"].startswith('HTTP 429 Too Many Requests: {"error": "quota"}; gave up after 1 attempt')
    assert "it asked to wait 3600 s" in result["S1"]["error"]


def test_a_400_is_not_retried_and_is_reported_with_the_suppliers_answer(warehouse, run_dir, supplier):
    answer = json.dumps({"error": "unknown sku SKU2", "field": "lines[1].sku_id"})
    supplier.script(Reply(400, answer))
    clock = Clock()

    result = post(warehouse, [make_mail(run_dir)], supplier.url, clock)

    assert len(supplier.seen) == 1 and clock.sleeps == []
    assert result["S1"] == {"status": "failed", "revision": 1, "idempotency_key": KEY1, "at": result["S1"]["at"],
                            "reference": None, "http_status": 400, "attempts": 1,
                            "error": f"HTTP 400 Bad Request: {answer}"}
    stored = warehouse.frame("SELECT status, answer, error FROM po_deliveries WHERE status = 'failed'").rows()
    assert stored == [("failed", answer, f"HTTP 400 Bad Request: {answer}")]

    fixed = post(warehouse, [make_mail(run_dir)], supplier.url)  # the supplier fixed its catalogue

    assert fixed["S1"]["status"] == "delivered" and [seen.key for seen in supplier.seen] == [KEY1, KEY1]


def test_a_redirect_is_not_followed(warehouse, run_dir, supplier):
    supplier.script(Reply(301, "", {"Location": "http://127.0.0.1:9/elsewhere"}))

    result = post(warehouse, [make_mail(run_dir)], supplier.url)

    assert result["S1"]["status"] == "failed" and result["S1"]["error"] == "HTTP 301 Moved Permanently"
    assert len(supplier.seen) == 1


def test_a_lost_answer_is_retried_and_the_supplier_recognises_the_repeat_by_its_key(warehouse, run_dir, supplier):
    supplier.script(Reply(drop=True))  # the order is taken, the answer never arrives

    result = post(warehouse, [make_mail(run_dir)], supplier.url)

    assert [seen.key for seen in supplier.seen] == [KEY1, KEY1]
    assert list(supplier.orders) == [KEY1] and supplier.repeats == [KEY1]  # one order, one repeat dropped
    assert result["S1"]["status"] == "delivered" and result["S1"]["reference"] == "SO-0001"


def test_a_wrong_secret_is_refused_by_the_supplier_and_not_retried(warehouse, run_dir):
    with SupplierEndpoint("another secret") as other:
        result = post(warehouse, [make_mail(run_dir)], other.url)

    assert result["S1"]["status"] == "failed" and result["S1"]["error"] == \
        'HTTP 401 Unauthorized: {"error": "bad signature"}'
    assert len(other.seen) == 1 and other.orders == {}


def test_a_supplier_that_hangs_does_not_hold_up_the_others(warehouse, run_dir, supplier):
    with SupplierEndpoint(SECRET) as hanging:
        hanging.script(*[Reply(hold=30) for _ in range(10)])
        mails = [make_mail(run_dir, "S1"), make_mail(run_dir, "S2")]
        frame = suppliers_frame(supplier.url, ["S1"]).vstack(suppliers_frame(hanging.url, ["S2"]))
        started = time.monotonic()

        result = post_purchase_orders(warehouse, NIGHTLY, mails, frame, {"S1": SECRET, "S2": SECRET}, Settings(),
                                      timing=Timing(timeout=0.5, budget=1.2, backoff=(0.1,)))

    assert time.monotonic() - started < 2.5
    assert (result["S1"]["status"], result["S2"]["status"]) == ("delivered", "failed")


# ---- the whole delivery stage ------------------------------------------------------------------------

def test_a_supplier_on_api_gets_no_email_and_one_without_a_secret_stops_everything_first(warehouse, run_dir,
                                                                                        supplier, tmp_path):
    mails = [make_mail(run_dir, "S1"), make_mail(run_dir, "S2")]
    frame = suppliers_frame(supplier.url, ["S1"]).vstack(suppliers_frame("", ["S2"], transport="email"))
    settings = Settings(reports_dir=tmp_path / "reports", data_dir=tmp_path / "data")

    with pytest.raises(UserError) as refused:
        deliver_purchase_orders(warehouse, NIGHTLY, mails, frame, settings, run_dir / "outbox")

    assert str(refused.value).splitlines()[0].startswith("supplier S1 is on po_transport = api but has no signing "
                                                         "secret: add [suppliers.S1] secret = \"...\" to a TOML file")
    assert not (run_dir / "outbox").exists() and supplier.seen == []  # nothing went out, by email or API

    secrets = tmp_path / "secrets" / "po.toml"
    secrets.parent.mkdir()
    secrets.write_text(f'[suppliers.S1]\nsecret = "{SECRET}"\n', encoding="utf-8")
    delivered = deliver_purchase_orders(warehouse, NIGHTLY, mails, frame, replace(settings, po_secrets=secrets),
                                        run_dir / "outbox")

    assert delivered.emails == {"S2": "outbox"} and delivered.api["S1"]["status"] == "delivered"
    assert sorted(p.name for p in (run_dir / "outbox").iterdir()) == ["S2.eml"]
    assert delivered.transports == {"S1": "api", "S2": "email"}
    assert delivered.counts() == "1 written to the outbox, not emailed; api: 1 delivered"


def test_no_email_posts_nothing_and_the_po_is_held(warehouse, run_dir, supplier):
    mails = [make_mail(run_dir, "S1")]

    delivered = deliver_purchase_orders(warehouse, NIGHTLY, mails, suppliers_frame(supplier.url), Settings(),
                                        run_dir / "outbox", send=False)

    assert delivered.api["S1"]["status"] == "held" and supplier.seen == [] and rows(warehouse) == []
