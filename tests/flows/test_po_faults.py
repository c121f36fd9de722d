"""API purchase orders against real `cutoff` processes and a real supplier endpoint on 127.0.0.1:
the command killed (SIGKILL) while the supplier's system holds its request, then rerun; a supplier
that refuses (the warnings, exit 0), then `cutoff resend`; a supplier on api without a secret."""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests import datasets
from tests.flows.test_faults import DAY, RUN, cutoff_env, query, run_cutoff, start_cutoff
from tests.supplier_endpoint import Reply, SupplierEndpoint

pytestmark = pytest.mark.slow
SECRET = "s1-签名"
KEY = f"PO-nightly-{DAY}-S1.r1"


@pytest.fixture
def supplier():
    with SupplierEndpoint(SECRET) as endpoint:
        yield endpoint


@pytest.fixture
def killed():
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def api_data_dir(tmp_path, url: str):
    suppliers = [dict(datasets.SUPPLIERS[0], po_transport="api", po_url=url), datasets.SUPPLIERS[1]]
    data_dir = datasets.write_master(tmp_path / "data", suppliers=suppliers)
    datasets.write_orders(data_dir, datasets.MOONCAKE_ORDERS)
    return data_dir


def secrets_file(tmp_path):
    path = tmp_path / "etc" / "po-secrets.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'[suppliers.S1]\nsecret = "{SECRET}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


def summary_of(tmp_path) -> dict:
    return json.loads((tmp_path / "reports" / "nightly" / DAY / "summary.json").read_text(encoding="utf-8"))


def test_killed_while_the_supplier_holds_the_request_the_rerun_sends_the_same_key_and_body(tmp_path, supplier,
                                                                                          killed):
    """kill -9 of `cutoff run` after its request reached the supplier's system and before any
    answer: the pending revision is in po_deliveries, so the rerun posts the same body with the same
    Idempotency-Key, and the supplier's system, which took the first, drops the repeat."""
    data_dir = api_data_dir(tmp_path, supplier.url)
    env = cutoff_env(CUTOFF_PO_SECRETS=str(secrets_file(tmp_path)))
    process = start_cutoff(RUN, tmp_path, env, tmp_path / "first.log")
    killed.append(process)
    supplier.script(Reply(drop=True, on_request=lambda: (os.kill(process.pid, signal.SIGKILL), process.wait())))

    assert process.wait(timeout=300) == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    assert [seen.key for seen in supplier.seen] == [KEY] and list(supplier.orders) == [KEY]
    assert query(data_dir, "SELECT revision, status FROM po_deliveries") == [(1, "pending")]

    rerun = run_cutoff(RUN, tmp_path, env)

    assert rerun.returncode == 0, rerun.stderr
    assert [seen.key for seen in supplier.seen] == [KEY, KEY]
    assert supplier.seen[1].body == supplier.seen[0].body and supplier.seen[1].signature_ok
    assert list(supplier.orders) == [KEY] and supplier.repeats == [KEY]  # one purchase order in their system
    assert summary_of(tmp_path)["suppliers"][0]["api"]["status"] == "delivered"
    assert query(data_dir, "SELECT revision, status, reference FROM po_deliveries ORDER BY recorded_at") == [
        (1, "pending", None), (1, "delivered", "SO-0001")]


def test_a_refused_po_is_one_warning_and_exit_0_then_resend_delivers_it(tmp_path, supplier):
    data_dir = api_data_dir(tmp_path, supplier.url)
    env = cutoff_env(CUTOFF_PO_SECRETS=str(secrets_file(tmp_path)))
    answer = '{"error": "SKU1 is not in our catalogue", "code": "UNKNOWN_SKU"}'
    supplier.script(Reply(422, answer))

    refused = run_cutoff(RUN, tmp_path, env)

    assert refused.returncode == 0, refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    why = f"HTTP 422 Unprocessable Entity: {answer}"
    assert [line for line in refused.stderr.splitlines() if line.startswith("cutoff: warning:")] == [
        f"cutoff: warning: purchase order of supplier S1 not delivered to its system: {why}",
        "cutoff: warning: 1 of 1 purchase order(s) by API not delivered (recorded `failed` in the po_deliveries "
        "table; `po_failed` in summary.json). The data and sheets are complete. When the supplier's system "
        f"answers, `cutoff resend --calendar nightly --date {DAY}` posts them, with the same Idempotency-Key."]
    assert "    S1         failed (revision 1)" in refused.stdout
    assert f"po_failed: S1: {why}" in summary_of(tmp_path)["warnings"]

    resent = run_cutoff(["resend", "--date", DAY, "--data-dir", "data", "--reports-dir", "reports"], tmp_path, env)

    assert resent.returncode == 0, resent.stderr
    assert "  S1         API    delivered (revision 1, their reference SO-0001)" in resent.stdout
    assert [line for line in resent.stderr.splitlines() if line.startswith("cutoff: warning:")] == [
        "cutoff: warning: no mail server is set (CUTOFF_SMTP_HOST): the emails stay in the outbox "
        f"(reports/nightly/{DAY}/outbox); set it and resend to send them"]  # S2, by email
    assert [seen.key for seen in supplier.seen] == [KEY, KEY] and list(supplier.orders) == [KEY]
    summary = summary_of(tmp_path)
    assert summary["suppliers"][0]["api"]["status"] == "delivered"
    assert not [w for w in summary["warnings"] if w.startswith("po_failed")]
    assert query(data_dir, "SELECT status, via FROM po_deliveries ORDER BY recorded_at") == [
        ("pending", "run"), ("failed", "run"), ("delivered", "resend")]


def test_a_supplier_on_api_without_a_secret_stops_the_run_before_anything_goes_out(tmp_path, supplier):
    data_dir = api_data_dir(tmp_path, supplier.url)

    refused = run_cutoff(RUN, tmp_path, cutoff_env())

    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert lines[0].startswith("cutoff: supplier S1 is on po_transport = api but has no signing secret: add "
                               "[suppliers.S1] secret = \"...\" to a TOML file named by CUTOFF_PO_SECRETS")
    assert "cutoff-po-s1" in lines[0]
    assert supplier.seen == []
    assert not (tmp_path / "reports" / "nightly" / DAY).exists()  # nothing was computed, nothing went out
    assert not (data_dir / "warehouse.duckdb").exists() or \
        query(data_dir, "SELECT count(*) FROM po_deliveries") == [(0,)]
