"""The supplier mailer against a real SMTP server on 127.0.0.1 (aiosmtpd): what arrives, exactly once."""

from __future__ import annotations

import asyncio
import email
import io
import socket
from collections import Counter
from dataclasses import replace
from datetime import date
from email import policy
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from prefect import flow

from flows.mailing import send_one, send_purchase_orders
from flows.settings import Settings
from mail.message import (
    PurchaseOrderMail,
    attachment_name,
    build_message,
    content_hash,
    purchase_order_mails,
    subject_for,
)
from mail.transport import Delivery
from transforms.purchase import build_purchase_lines, total_by_supplier
from transforms.windows import window_for
from warehouse.connection import open_warehouse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NIGHTLY = window_for("nightly", date(2026, 11, 21))
FAST = (0, 0)  # retry delays for tests: three real attempts, no waiting
SUPPLIER_NAME = "广州鲜果供应链有限公司"
LINES = [
    dict(sku_id="SKU1", name="流心奶黄月礼盒", spec="6枚/盒", unit="盒", units_allocated=10, case_pack=6,
         cases=2, units_purchased=12, unit_cost_fen=20000, cost_fen=240000),
    dict(sku_id="SKU2", name="<b>砂糖橘</b>", spec="5斤/箱", unit="箱", units_allocated=3, case_pack=1,
         cases=3, units_purchased=3, unit_cost_fen=2550, cost_fen=7650),
]


# --- fixtures ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts; can refuse addresses or fail DATA a few times,
    drop the connection right after its 250 to DATA, answer QUIT with something else than 221, or
    call `on_quit()` when a client says QUIT (before answering)."""

    def __init__(self):
        self.envelopes = []
        self.refuse: set[str] = set()
        self.fail_data = 0
        self.rcpt_attempts: Counter = Counter()
        self.drop_after_data = False
        self.quit_reply: str | None = None
        self.on_quit = None
        self.quits = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_attempts[address] += 1
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_data:
            self.fail_data -= 1
            return "451 4.3.0 try again later"
        self.envelopes.append(envelope)
        if self.drop_after_data:  # the 250 goes out, then the connection is closed: no answer to QUIT
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        if self.on_quit is not None:
            self.on_quit()
        return self.quit_reply or "221 Bye"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def smtp_server(prefect_harness):
    """start(port=None, **smtp_options) -> a Mailbox with `.port`, served on 127.0.0.1 until teardown."""
    controllers = []

    def start(port: int | None = None, **smtp_options) -> Mailbox:
        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port(), **smtp_options)
        controller.start()
        controllers.append(controller)
        mailbox.port = controller.port
        return mailbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def warehouse(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as opened:
        yield opened


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return tmp_path / "reports" / "nightly" / "2026-11-21"


def write_workbook(path: Path, lines: list[dict]) -> Path:
    """A small real PO workbook (the run's writer makes the real one)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "采购单"
    sheet.append(["SKU", "品名", "规格", "单位", "采购数量", "金额(分)"])
    for line in lines:
        sheet.append([line["sku_id"], line["name"], line["spec"], line["unit"], line["units_purchased"],
                      line["cost_fen"]])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def make_mail(run_dir: Path, supplier_id: str = "S1", emails=("buyer@xianguo.cn",), lines=LINES,
              name: str = SUPPLIER_NAME) -> PurchaseOrderMail:
    workbook = write_workbook(run_dir / "purchase" / f"{supplier_id}.xlsx", lines)
    return PurchaseOrderMail(
        supplier_id=supplier_id, supplier_name=name, emails=list(emails),
        po_number=f"PO-nightly-2026-11-21-{supplier_id}", delivery_window="次日 05:00-07:00",
        po_fen=sum(line["cost_fen"] for line in lines), below_minimum=False, lines=list(lines),
        workbook=workbook)


def smtp_settings(port: int, **extra) -> Settings:
    values = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=2.0, mail_from="po@tuangou.cn",
                  mail_cc="ops@tuangou.cn; buyer-lead@tuangou.cn", platform_name="邻里团购",
                  warehouse_address="广州市白云区仓库 3 号门")
    return Settings(**{**values, **extra})


def emails_rows(warehouse) -> list[dict]:
    return warehouse.frame("SELECT * FROM emails ORDER BY sent_at").to_dicts()


def send(warehouse, mails, settings, run_dir, **options) -> dict[str, str]:
    return send_purchase_orders(warehouse, NIGHTLY, mails, settings, run_dir / "outbox",
                                retry_delays=FAST, **options)


def changed(lines: list[dict]) -> list[dict]:
    """The same PO with one more case of SKU1 (ops fixed an allocation)."""
    first = {**lines[0], "units_allocated": 13, "cases": 3, "units_purchased": 18, "cost_fen": 360000}
    return [first, *lines[1:]]


# --- the message as it arrives ----------------------------------------------------------------------

def test_supplier_receives_the_purchase_order_with_its_workbook(smtp_server, warehouse, run_dir):
    server = smtp_server()
    mail = make_mail(run_dir)

    assert send(warehouse, [mail], smtp_settings(server.port), run_dir) == {"S1": "sent"}

    [envelope] = server.envelopes
    assert sorted(envelope.rcpt_tos) == ["buyer-lead@tuangou.cn", "buyer@xianguo.cn", "ops@tuangou.cn"]
    [message] = server.messages()
    assert message["Subject"] == f"【采购单】2026-11-21 夜间截单 · {SUPPLIER_NAME} · PO-nightly-2026-11-21-S1"
    assert message["To"] == "buyer@xianguo.cn"
    assert message["Cc"] == "ops@tuangou.cn, buyer-lead@tuangou.cn"
    assert message["Reply-To"] == "ops@tuangou.cn, buyer-lead@tuangou.cn"
    assert message["From"].addresses[0].addr_spec == "po@tuangou.cn"
    assert message["From"].addresses[0].display_name == "邻里团购"

    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == f"采购单-PO-nightly-2026-11-21-S1-{SUPPLIER_NAME}.xlsx"
    data = attachment.get_content()
    assert data == mail.workbook.read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "采购单"
    assert [c.value for c in sheet[2]] == ["SKU1", "流心奶黄月礼盒", "6枚/盒", "盒", 12, 240000]

    plain = message.get_body(preferencelist=("plain",)).get_content()
    rich = message.get_body(preferencelist=("html",)).get_content()
    for body in (plain, rich):
        assert "PO-nightly-2026-11-21-S1" in body
        assert "次日 05:00-07:00" in body          # the delivery window
        assert "2476.50 元" in body                # the total: 240000 + 7650 fen
        assert "广州市白云区仓库 3 号门" in body
        assert "流心奶黄月礼盒" in body and "2400.00" in body
    assert "&lt;b&gt;砂糖橘&lt;/b&gt;" in rich and "<b>砂糖橘" not in rich  # supplier text is data

    [row] = emails_rows(warehouse)
    assert (row["supplier_id"], row["status"], row["revision"], row["error"]) == ("S1", "sent", 1, None)
    assert row["content_hash"] == content_hash(NIGHTLY, mail)
    assert row["message_id"] == message["Message-ID"]
    assert row["recipients"] == "buyer@xianguo.cn; ops@tuangou.cn; buyer-lead@tuangou.cn"


def test_several_supplier_addresses_and_a_reply_to_of_its_own(smtp_server, warehouse, run_dir):
    server = smtp_server()
    mail = make_mail(run_dir, emails=["a@xianguo.cn", "b@xianguo.cn"])
    settings = smtp_settings(server.port, mail_cc="", mail_reply_to="caigou@tuangou.cn")

    send(warehouse, [mail], settings, run_dir)

    [message] = server.messages()
    assert sorted(server.envelopes[0].rcpt_tos) == ["a@xianguo.cn", "b@xianguo.cn"]
    assert message["Cc"] is None
    assert message["Reply-To"] == "caigou@tuangou.cn"


@pytest.mark.parametrize("name", [
    "广州市白云区江南果菜批发市场鲜果供应链管理有限公司（一号仓）",  # long: RFC 2231 continuations
    "=SUM(A1) 果园",
    "A/B 食品: \"鲜\" <有限>",                                      # characters no file system takes
])
def test_chinese_file_name_arrives_exact(smtp_server, warehouse, run_dir, name):
    server = smtp_server()
    mail = make_mail(run_dir, name=name)

    send(warehouse, [mail], smtp_settings(server.port), run_dir)

    [attachment] = list(server.messages()[0].iter_attachments())
    assert attachment.get_filename() == attachment_name(mail)
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename().startswith("采购单-PO-nightly-2026-11-21-S1-")
    assert not set('/\\:*?"<>|') & set(attachment.get_filename())


def test_subject_of_weekly_and_english_and_revision():
    mail = PurchaseOrderMail("S1", "鲜果", ["a@x.cn"], "PO-weekly-2026-11-22-S1", None, 0, False, [],
                             Path("x.xlsx"))
    weekly = window_for("weekly", date(2026, 11, 22))
    assert subject_for(weekly, mail, 1) == "【采购单】2026-11-22 周截单 · 鲜果 · PO-weekly-2026-11-22-S1"
    assert subject_for(weekly, mail, 2) == "【采购单·修订版】2026-11-22 周截单 · 鲜果 · PO-weekly-2026-11-22-S1 (第2版)"
    assert subject_for(NIGHTLY, mail, 1, "en") == \
        "[Purchase Order] 2026-11-21 nightly cutoff · 鲜果 · PO-weekly-2026-11-22-S1"
    assert subject_for(NIGHTLY, mail, 3, "en").startswith("[Purchase Order · Revised] 2026-11-21 nightly cutoff")
    assert attachment_name(mail, "en") == "PurchaseOrder-PO-weekly-2026-11-22-S1-鲜果.xlsx"


def test_english_message(smtp_server, warehouse, run_dir):
    server = smtp_server()
    send(warehouse, [make_mail(run_dir)], smtp_settings(server.port, lang="en"), run_dir)

    [message] = server.messages()
    assert message["Subject"].startswith("[Purchase Order] 2026-11-21 nightly cutoff · ")
    assert "Delivery window: 次日 05:00-07:00" in message.get_body(preferencelist=("plain",)).get_content()
    assert "CNY 2476.50" in message.get_body(preferencelist=("html",)).get_content()


# --- exactly once -----------------------------------------------------------------------------------

def test_rerun_with_the_same_content_sends_nothing(smtp_server, warehouse, run_dir):
    server = smtp_server()
    settings = smtp_settings(server.port)
    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "sent"}

    # a rerun rewrites the workbook (new bytes, same data): still the same PO
    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "unchanged"}

    assert len(server.envelopes) == 1
    assert [r["status"] for r in emails_rows(warehouse)] == ["sent"]


def test_a_changed_purchase_order_goes_out_as_the_next_revision(smtp_server, warehouse, run_dir):
    server = smtp_server()
    settings = smtp_settings(server.port)
    send(warehouse, [make_mail(run_dir)], settings, run_dir)

    assert send(warehouse, [make_mail(run_dir, lines=changed(LINES))], settings, run_dir) == {"S1": "revised"}
    assert send(warehouse, [make_mail(run_dir, lines=changed(LINES))], settings, run_dir) == {"S1": "unchanged"}

    first, revision = server.messages()
    assert revision["Subject"] == \
        f"【采购单·修订版】2026-11-21 夜间截单 · {SUPPLIER_NAME} · PO-nightly-2026-11-21-S1 (第2版)"
    assert "修订版（第2版）" in revision.get_body(preferencelist=("plain",)).get_content()
    assert "3600.00" in revision.get_body(preferencelist=("html",)).get_content()
    assert revision["Message-ID"] != first["Message-ID"]
    rows = emails_rows(warehouse)
    assert [(r["status"], r["revision"]) for r in rows] == [("sent", 1), ("revised", 2)]
    assert rows[0]["content_hash"] != rows[1]["content_hash"]


def test_content_hash_covers_the_data_not_the_file_or_recipients(run_dir):
    mail = make_mail(run_dir)
    same = replace(mail, emails=["other@x.cn"], workbook=Path("elsewhere.xlsx"), lines=LINES[::-1])
    assert content_hash(NIGHTLY, same) == content_hash(NIGHTLY, mail)
    assert content_hash(NIGHTLY, replace(mail, lines=changed(LINES))) != content_hash(NIGHTLY, mail)
    assert content_hash(window_for("nightly", date(2026, 11, 22)), mail) != content_hash(NIGHTLY, mail)
    assert len(content_hash(NIGHTLY, mail)) == 64


# --- failures ---------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::UserWarning")
def test_server_down_gives_failed_and_the_next_run_delivers(smtp_server, warehouse, run_dir):
    port = free_port()  # nothing listens here yet
    settings = smtp_settings(port)

    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "failed"}
    [failed] = emails_rows(warehouse)
    assert (failed["status"], failed["revision"]) == ("failed", 1)
    assert "Connection refused" in failed["error"] or "ConnectionRefused" in failed["error"]

    server = smtp_server(port=port)
    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "sent"}
    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "unchanged"}

    assert len(server.envelopes) == 1
    assert "修订版" not in server.messages()[0]["Subject"]  # a first send that failed is still the first
    assert [(r["status"], r["revision"]) for r in emails_rows(warehouse)] == [("failed", 1), ("sent", 1)]


def test_a_transient_error_is_retried(smtp_server, warehouse, run_dir):
    server = smtp_server()
    server.fail_data = 2  # 451 twice: the third attempt goes through

    assert send(warehouse, [make_mail(run_dir)], smtp_settings(server.port), run_dir) == {"S1": "sent"}

    assert server.rcpt_attempts["buyer@xianguo.cn"] == 3
    assert len(server.envelopes) == 1


# --- accepted is sent: nothing twice (issue 10) ------------------------------------------------------

def test_a_421_to_quit_after_the_250_is_a_sent_message_not_a_failure(smtp_server, warehouse, run_dir):
    server = smtp_server()
    server.quit_reply = "421 4.3.2 Service shutting down"  # smtplib's `with` raised on this: a retry resent it

    assert send(warehouse, [make_mail(run_dir)], smtp_settings(server.port), run_dir) == {"S1": "sent"}
    assert send(warehouse, [make_mail(run_dir)], smtp_settings(server.port), run_dir) == {"S1": "unchanged"}

    assert len(server.envelopes) == 1 and server.quits == 1
    assert [(r["status"], r["revision"], r["error"]) for r in emails_rows(warehouse)] == [("sent", 1, None)]


def test_a_connection_dropped_right_after_the_250_is_a_sent_message(smtp_server, warehouse, run_dir):
    server = smtp_server()
    server.drop_after_data = True

    assert send(warehouse, [make_mail(run_dir), make_mail(run_dir, "S2")], smtp_settings(server.port),
                run_dir) == {"S1": "sent", "S2": "sent"}
    server.drop_after_data = False
    assert send(warehouse, [make_mail(run_dir), make_mail(run_dir, "S2")], smtp_settings(server.port),
                run_dir) == {"S1": "unchanged", "S2": "unchanged"}

    assert sorted(m["X-Cutoff-PO"] for m in server.messages()) == ["PO-nightly-2026-11-21-S1",
                                                                    "PO-nightly-2026-11-21-S2"]
    assert server.quits == 0  # the client's QUIT found the connection closed
    assert [(r["supplier_id"], r["status"]) for r in emails_rows(warehouse)] == [("S1", "sent"), ("S2", "sent")]


def test_the_delivery_is_recorded_before_the_quit(smtp_server, warehouse, run_dir):
    """What a process killed during the QUIT leaves: the row is already there."""
    server = smtp_server()
    seen_at_quit = []
    server.on_quit = lambda: seen_at_quit.append(
        [(r["supplier_id"], r["status"]) for r in emails_rows(warehouse)])

    send(warehouse, [make_mail(run_dir), make_mail(run_dir, "S2")], smtp_settings(server.port), run_dir)

    assert seen_at_quit == [[("S1", "sent")], [("S1", "sent"), ("S2", "sent")]]


def test_an_attempt_after_the_server_accepted_records_and_sends_nothing(smtp_server, run_dir):
    """The record fails right after the 250 (say the disk is full): the task retries, and the retry
    only records; the server gets the message once."""
    server = smtp_server()
    records = []

    def record(refused: dict) -> None:
        records.append(refused)
        if len(records) == 1:
            raise OSError(28, "No space left on device")

    settings = smtp_settings(server.port)
    message = build_message(NIGHTLY, make_mail(run_dir), settings, 1, "ab" * 32)
    delivery = Delivery(message["Message-ID"], record)
    attempt = send_one.with_options(retries=2, retry_delay_seconds=0)

    assert attempt("S1", message, settings, delivery) == {}

    assert len(server.envelopes) == 1 and server.rcpt_attempts["buyer@xianguo.cn"] == 1
    assert records == [{}, {}] and delivery.recorded


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_one_supplier_failing_does_not_stop_the_others(smtp_server, warehouse, run_dir):
    server = smtp_server()
    server.refuse = {"gone@bad.cn"}
    mails = [make_mail(run_dir, "S1", emails=["gone@bad.cn"]), make_mail(run_dir, "S2")]

    statuses = send(warehouse, mails, smtp_settings(server.port, mail_cc=""), run_dir)

    assert statuses == {"S1": "failed", "S2": "sent"}
    assert server.rcpt_attempts["gone@bad.cn"] == 3  # first try and two retries
    assert [e.rcpt_tos for e in server.envelopes] == [["buyer@xianguo.cn"]]
    failed = [r for r in emails_rows(warehouse) if r["supplier_id"] == "S1"][0]
    assert "gone@bad.cn" in failed["error"]


def test_a_missing_workbook_fails_that_supplier_only(smtp_server, warehouse, run_dir):
    server = smtp_server()
    missing = replace(make_mail(run_dir, "S1"), workbook=run_dir / "purchase" / "nope.xlsx")

    statuses = send(warehouse, [missing, make_mail(run_dir, "S2")], smtp_settings(server.port), run_dir)

    assert statuses == {"S1": "failed", "S2": "sent"}
    assert len(server.envelopes) == 1


def test_supplier_without_address_gets_no_address(smtp_server, warehouse, run_dir):
    server = smtp_server()
    mails = [make_mail(run_dir, "S1", emails=[]), make_mail(run_dir, "S2")]

    assert send(warehouse, mails, smtp_settings(server.port), run_dir) == {"S1": "no_address", "S2": "sent"}
    assert [e.rcpt_tos[0] for e in server.envelopes] == ["buyer@xianguo.cn"]


# --- no email, outbox -------------------------------------------------------------------------------

def test_no_email_sends_nothing_and_leaves_the_messages_in_the_outbox(smtp_server, warehouse, run_dir):
    server = smtp_server()
    mails = [make_mail(run_dir, "S1"), make_mail(run_dir, "S2", emails=[])]

    statuses = send(warehouse, mails, smtp_settings(server.port), run_dir, send_email=False)

    assert statuses == {"S1": "outbox", "S2": "no_address"}
    assert server.envelopes == []
    assert sorted(p.name for p in (run_dir / "outbox").iterdir()) == ["S1.eml"]
    # the outbox copy is not an SMTP delivery: the next run with email on sends it
    assert send(warehouse, mails, smtp_settings(server.port), run_dir) == {"S1": "sent", "S2": "no_address"}
    assert len(server.envelopes) == 1


def test_without_a_host_the_message_goes_to_the_outbox_once(warehouse, run_dir):
    settings = Settings(mail_from="po@tuangou.cn", mail_cc="ops@tuangou.cn")
    mail = make_mail(run_dir)

    assert send(warehouse, [mail], settings, run_dir) == {"S1": "outbox"}
    eml = run_dir / "outbox" / "S1.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == f"【采购单】2026-11-21 夜间截单 · {SUPPLIER_NAME} · PO-nightly-2026-11-21-S1"
    assert message["Cc"] == "ops@tuangou.cn"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"采购单-PO-nightly-2026-11-21-S1-{SUPPLIER_NAME}.xlsx"
    assert attachment.get_content() == mail.workbook.read_bytes()
    written = eml.read_bytes()

    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "unchanged"}
    assert eml.read_bytes() == written

    assert send(warehouse, [make_mail(run_dir, lines=changed(LINES))], settings, run_dir) == {"S1": "outbox"}
    revised = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert revised["Subject"].startswith("【采购单·修订版】") and revised["Subject"].endswith("(第2版)")
    assert [(r["status"], r["revision"]) for r in emails_rows(warehouse)] == [("outbox", 1), ("outbox", 2)]
    assert list((run_dir / "outbox").iterdir()) == [eml]  # no temporary files left behind


def test_outbox_file_gone_is_written_again(warehouse, run_dir):
    settings = Settings()
    send(warehouse, [make_mail(run_dir)], settings, run_dir)
    (run_dir / "outbox" / "S1.eml").unlink()

    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "outbox"}
    assert (run_dir / "outbox" / "S1.eml").is_file()
    assert [r["revision"] for r in emails_rows(warehouse)] == [1, 1]


def test_an_outbox_copy_does_not_count_as_delivered_by_smtp(smtp_server, warehouse, run_dir):
    """A run without SMTP settings (by mistake) must not keep the supplier from getting the PO."""
    send(warehouse, [make_mail(run_dir)], Settings(), run_dir)
    server = smtp_server()

    assert send(warehouse, [make_mail(run_dir)], smtp_settings(server.port), run_dir) == {"S1": "sent"}
    assert len(server.envelopes) == 1


# --- credentials, and the lead's entry point --------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_password_from_a_prefect_secret_block(smtp_server, warehouse, run_dir, monkeypatch):
    from prefect.blocks.system import Secret
    Secret(value="s3cret-from-block").save("cutoff-smtp-password-test", overwrite=True)
    monkeypatch.setenv("CUTOFF_SMTP_PASSWORD_BLOCK", "cutoff-smtp-password-test")
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret-from-block")

    server = smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    settings = smtp_settings(server.port, smtp_user="po")

    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "sent"}
    assert logins == [(b"po", b"s3cret-from-block")]


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem)."""
    from datetime import datetime, timedelta, timezone
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_starttls_and_ssl_verify_the_server(smtp_server, warehouse, run_dir, tmp_path, monkeypatch, security):
    import ssl

    import mail.transport
    cert_file, key_file = make_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    if security == "starttls":
        server = smtp_server(tls_context=server_context, require_starttls=True)
    else:
        server = smtp_server(ssl_context=server_context)
    settings = smtp_settings(server.port, smtp_security=security)

    # a certificate nobody vouches for: refused
    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "failed"}
    assert "CERTIFICATE_VERIFY_FAILED" in emails_rows(warehouse)[0]["error"]

    # the same server once its certificate is trusted
    monkeypatch.setattr(mail.transport, "tls_context", lambda: ssl.create_default_context(cafile=str(cert_file)))
    assert send(warehouse, [make_mail(run_dir)], settings, run_dir) == {"S1": "sent"}
    assert len(server.envelopes) == 1


def test_purchase_order_mails_from_the_run_frames(run_dir):
    products = pl.DataFrame({
        "sku_id": ["K1", "K2", "K3"], "name": ["月饼", "砂糖橘", "鸡蛋"], "spec": ["6枚/盒", None, "30枚"],
        "unit": ["盒", "斤", "盒"], "category": ["烘焙", "水果", "蛋"], "supplier_id": ["S1", "S1", "S2"],
        "cost_fen": [20000, 300, 1500], "case_pack": [6, 1, 1], "case_rounding": ["up", "up", "up"]})
    allocations = pl.DataFrame({"supplier_id": ["S1", "S1", "S2"], "sku_id": ["K1", "K2", "K3"],
                                "qty_allocated": [10, 4, 2]})
    suppliers = pl.DataFrame({"supplier_id": ["S1", "S2"], "name": ["鲜果", "蛋品"],
                              "email": ["a@x.cn; b@x.cn", None], "min_order_fen": [0, 10000],
                              "delivery_window": ["次日 05:00-07:00", None]})
    lines = build_purchase_lines(allocations, products)

    s1, s2 = purchase_order_mails(NIGHTLY, lines, total_by_supplier(lines, suppliers), products, suppliers,
                                  run_dir)

    assert (s1.supplier_id, s1.supplier_name, s1.emails) == ("S1", "鲜果", ["a@x.cn", "b@x.cn"])
    assert (s1.po_number, s1.delivery_window, s1.po_fen) == ("PO-nightly-2026-11-21-S1", "次日 05:00-07:00",
                                                             12 * 20000 + 4 * 300)
    assert s1.workbook == run_dir / "purchase" / "S1.xlsx"
    assert [(line["sku_id"], line["name"], line["units_purchased"], line["cases"]) for line in s1.lines] == \
        [("K1", "月饼", 12, 2), ("K2", "砂糖橘", 4, 4)]
    assert (s2.emails, s2.below_minimum, s2.delivery_window) == ([], True, None)


@flow(name="mailer-test")
def mail_flow(warehouse_path: Path, run_dir: Path, port: int) -> dict:
    with open_warehouse(warehouse_path) as opened:
        mails = [make_mail(run_dir, "S1"), make_mail(run_dir, "S2")]
        return send(opened, mails, smtp_settings(port), run_dir)


def test_inside_a_flow_run(smtp_server, tmp_path, run_dir):
    """How the cutoff flow calls it: send_one runs as a task of the flow run."""
    server = smtp_server()

    assert mail_flow(tmp_path / "w.duckdb", run_dir, server.port) == {"S1": "sent", "S2": "sent"}

    assert len(server.envelopes) == 2
    with open_warehouse(tmp_path / "w.duckdb") as opened:
        assert opened.scalar("SELECT count(*) FROM emails WHERE status = 'sent'") == 2


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_failed_supplier_is_one_readable_error_line_in_the_prefect_ui(smtp_server, tmp_path, run_dir):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    state = mail_flow(tmp_path / "w.duckdb", run_dir, free_port(), return_state=True)  # nothing listens there

    assert state.result() == {"S1": "failed", "S2": "failed"}
    APILogWorker.drain_all(timeout=30)
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    lines = sorted(log.message for log in logs if "not sent" in log.message and log.level == 40)
    assert [line.split(": ")[0] for line in lines] == [
        "purchase order PO-nightly-2026-11-21-S1 to buyer@xianguo.cn not sent",
        "purchase order PO-nightly-2026-11-21-S2 to buyer@xianguo.cn not sent"]
    assert all("Connection refused" in line and "after 3 attempts" in line and
               line.endswith("It is recorded failed; the next run of this cutoff sends it.") for line in lines)


def test_latest_deliveries_are_each_suppliers_newest_delivered_row_on_the_channel(warehouse, run_dir):
    """Read once per run for every supplier: per supplier the highest revision delivered on the
    channel; a failed attempt, another channel, another cutoff do not count."""
    from mail.record import latest_deliveries, record_email
    s1, s2, s3 = (make_mail(run_dir, supplier) for supplier in ("S1", "S2", "S3"))
    other_day = window_for("nightly", date(2026, 11, 22))
    for mail, window, digest, revision, channel, status in [
            (s1, NIGHTLY, "a", 1, "smtp", "sent"), (s1, NIGHTLY, "b", 2, "smtp", "revised"),
            (s1, NIGHTLY, "c", 3, "smtp", "failed"), (s1, NIGHTLY, "d", 1, "outbox", "outbox"),
            (s2, NIGHTLY, "e", 1, "outbox", "outbox"), (s3, other_day, "f", 4, "smtp", "sent")]:
        record_email(warehouse, window, mail, content_hash=digest, revision=revision, channel=channel,
                     recipients="x@y.cn", status=status)
    assert latest_deliveries(warehouse, NIGHTLY, "smtp") == {"S1": {"content_hash": "b", "revision": 2}}
    assert latest_deliveries(warehouse, NIGHTLY, "outbox") == {"S1": {"content_hash": "d", "revision": 1},
                                                              "S2": {"content_hash": "e", "revision": 1}}
    assert latest_deliveries(warehouse, other_day, "smtp") == {"S3": {"content_hash": "f", "revision": 4}}
