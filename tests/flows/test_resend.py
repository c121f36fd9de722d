"""A supplier on `po_transport = api` in the real cutoff flow, and `cutoff resend` (the resend flow):
what summary.json, summary.xlsx and the artifact say, and what the supplier's system receives."""

from __future__ import annotations

import json
from types import SimpleNamespace

import duckdb
import openpyxl
import pytest

from flows.artifacts import render_run_markdown
from flows.cutoff_flow import cutoff_flow
from flows.resend_flow import resend_flow
from flows.resend_summary import resend_markdown
from tests import datasets
from tests.supplier_endpoint import Reply, SupplierEndpoint

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]
DAY = "2026-11-21"
SECRET = "mooncake-s1-secret"


@pytest.fixture
def api_dirs(tmp_path, monkeypatch):
    """The mooncake data dir with S1 on api (its endpoint started here), S2 by email (the outbox),
    the secret in a file outside the data dir, a short budget."""
    with SupplierEndpoint(SECRET) as supplier:
        suppliers = [dict(datasets.SUPPLIERS[0], po_transport="api", po_url=supplier.url), datasets.SUPPLIERS[1]]
        data_dir = datasets.write_master(tmp_path / "data", suppliers=suppliers)
        datasets.write_orders(data_dir, datasets.MOONCAKE_ORDERS)
        secrets = tmp_path / "etc" / "po-secrets.toml"
        secrets.parent.mkdir()
        secrets.write_text(f'[suppliers.S1]\nsecret = "{SECRET}"\n', encoding="utf-8")
        for name, value in (("PO_SECRETS", str(secrets)), ("PO_TIMEOUT", "0.5"), ("PO_BUDGET_SECONDS", "1"),
                            ("WAREHOUSE_ADDRESS", "广州市白云区仓库路8号")):
            monkeypatch.setenv(f"CUTOFF_{name}", value)
        yield data_dir, tmp_path / "reports", supplier


def run(data_dir, reports_dir, **options):
    return cutoff_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir), reports_dir=str(reports_dir),
                       **options)


def resend(data_dir, reports_dir):
    return resend_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir), reports_dir=str(reports_dir))


def api_sheet(reports_dir) -> list[tuple]:
    book = openpyxl.load_workbook(reports_dir / "nightly" / DAY / "summary.xlsx", read_only=True)
    rows = [row for row in book["API采购单"].iter_rows(values_only=True) if any(v is not None for v in row)]
    return rows


def suppliers_of(summary: dict) -> dict[str, tuple]:
    return {s["supplier_id"]: (s["email"], s["po_transport"], (s["api"] or {}).get("status")) for s in
            summary["suppliers"]}


def test_an_undelivered_api_po_is_a_warning_then_resend_delivers_it_and_the_summary_says_so(api_dirs):
    data_dir, reports_dir, supplier = api_dirs
    supplier.script(*[Reply(503, '{"error": "maintenance until 21:00"}') for _ in range(5)])

    summary = run(data_dir, reports_dir)

    out = reports_dir / "nightly" / DAY
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    assert suppliers_of(summary) == {"S1": ("", "api", "failed"), "S2": ("outbox", "email", None)}
    assert [w for w in summary["warnings"] if w.startswith("po_failed")] == [
        'po_failed: S1: HTTP 503 Service Unavailable: {"error": "maintenance until 21:00"}; gave up after 1 '
        "attempt(s): the next would not end within the run's 1 s"]
    assert sorted(p.name for p in (out / "outbox").iterdir()) == ["S2.eml"]  # S1 gets no email
    assert [seen.key for seen in supplier.seen] == ["PO-nightly-2026-11-21-S1.r1"]
    body = supplier.seen[0].json
    assert body["total_fen"] == 12 * 20000 and body["lines"][0]["units"] == 12
    sheet = api_sheet(reports_dir)
    assert sheet[2][:4] == ("S1", "广州月饼食品有限公司", "未送达", 1)
    assert sheet[2][7].startswith("HTTP 503 Service Unavailable")
    markdown = render_run_markdown(summary)
    assert "**Purchase orders not delivered to the supplier's system (API)** (1): S1" in markdown
    assert f"`cutoff resend --calendar nightly --date {DAY}`" in markdown
    assert "| S1 | 广州月饼食品有限公司 | ¥2,400.00 | no | by API |" in markdown

    supplier.replies.clear()  # the supplier's system is back
    result = resend(data_dir, reports_dir)

    assert [seen.key for seen in supplier.seen] == ["PO-nightly-2026-11-21-S1.r1"] * 2
    assert supplier.seen[1].body == supplier.seen[0].body  # the very same request, re-signed
    assert list(result["resent"]) == ["S1"] and result["resent"]["S1"]["api"]["status"] == "delivered"
    updated = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert updated == result["summary"]
    assert suppliers_of(updated) == {"S1": ("", "api", "delivered"), "S2": ("outbox", "email", None)}
    assert updated["suppliers"][0]["api"]["reference"] == "SO-0001"
    assert not [w for w in updated["warnings"] if w.startswith("po_failed")]
    assert [w for w in updated["warnings"] if not w.startswith("po_failed")] == \
        [w for w in summary["warnings"] if not w.startswith("po_failed")]
    assert api_sheet(reports_dir)[2][:6] == ("S1", "广州月饼食品有限公司", "已送达", 1, updated["suppliers"][0]["api"]
                                             ["at"][:19].replace("T", " "), "SO-0001")

    assert resend(data_dir, reports_dir)["resent"] == {}  # nothing left to deliver
    again = run(data_dir, reports_dir)  # a rerun of the cutoff: the same PO, delivered already
    assert suppliers_of(again)["S1"] == ("", "api", "unchanged") and len(supplier.seen) == 2
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql("SELECT revision, status, via, attempts FROM po_deliveries ORDER BY recorded_at").fetchall()
    assert rows == [(1, "pending", "run", 0), (1, "failed", "run", 1), (1, "delivered", "resend", 1)]


def test_no_email_holds_the_api_po_and_the_next_run_posts_it(api_dirs):
    data_dir, reports_dir, supplier = api_dirs

    held = run(data_dir, reports_dir, send_email=False)

    assert suppliers_of(held)["S1"] == ("", "api", "held") and supplier.seen == []
    posted = run(data_dir, reports_dir)
    assert suppliers_of(posted)["S1"] == ("", "api", "delivered") and len(supplier.orders) == 1


def test_resend_of_a_cutoff_never_run_is_refused(api_dirs):
    data_dir, reports_dir, supplier = api_dirs
    from prefect.states import State
    state: State = resend_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir),
                               reports_dir=str(reports_dir), return_state=True)
    assert state.is_failed() and "there is no warehouse at" in state.message
    assert supplier.seen == []


def test_the_resend_artifact_says_each_delivery_in_words(tmp_path):
    """No `delivered r1 2026-12-08T01:57:54+08:00 ref ...`: the status once, then the revision, the
    business time and their reference in words."""
    window = SimpleNamespace(label="nightly 2026-11-21")
    result = {"resent": {
        "S1": {"po_transport": "api", "api": {"status": "delivered", "revision": 1, "at": "2026-11-22T08:01:02+08:00",
                                              "reference": "SO-1"}},
        "S2": {"po_transport": "api", "warning": "po_failed: S2: HTTP 503",
               "api": {"status": "failed", "revision": 2, "error": "HTTP 503 Service Unavailable"}}}}
    markdown = resend_markdown(window, result, tmp_path)
    assert "| S1 | API | delivered | revision 1 at 2026-11-22 08:01:02, their reference SO-1 |" in markdown
    assert "| S2 | API | failed | revision 2: HTTP 503 Service Unavailable |" in markdown
    assert "**Still undelivered** (1): S2." in markdown
