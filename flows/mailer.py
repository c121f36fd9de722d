"""The supplier mailer: each supplier's purchase order (采购单) by email, exactly once per content.

After a run has published its folder, `send_purchase_orders` gives every supplier with an address
one message: subject, HTML body with a plain-text alternative, the workbook attached. The `emails`
table is the ledger that makes it exactly once: per (calendar, cutoff_date, supplier_id) it keeps a
hash of the PO's *data* and a revision number. Same content as the last delivery: nothing is sent
(`unchanged`); changed content: the next revision (`revised`, 修订版). See docs/email.md.

Plain smtplib + EmailMessage (prefect-email sent octet-stream and mangled Chinese file names).
One Prefect task per supplier (`send_one`) carries the retries with backoff.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import smtplib
import ssl
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Callable, Sequence

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from flows.console import CONSOLE_QUIET
from outputs.files import atomic_write_bytes
from flows.settings import Settings
from warehouse.connection import Warehouse
from transforms.money import fen_to_yuan_text
from transforms.windows import CutoffWindow

XLSX_MAINTYPE, XLSX_SUBTYPE = "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETRY_DELAYS: tuple[float, ...] = (1, 4)  # seconds before the 2nd and the 3rd attempt
PASSWORD_BLOCK_ENV = "CUTOFF_SMTP_PASSWORD_BLOCK"  # name of a Prefect Secret block holding the password

# summary `suppliers[].email` values (the contract's); --no-email writes to the outbox
STATUSES = ("sent", "revised", "unchanged", "outbox", "no_address", "failed")
DELIVERED = {"smtp": ("sent", "revised"), "outbox": ("outbox",)}  # what counts as delivered, per channel

EMAIL_SCHEMA = {
    "calendar": pl.String, "cutoff_date": pl.Date, "supplier_id": pl.String, "content_hash": pl.String,
    "revision": pl.Int64, "status": pl.String, "recipients": pl.String, "message_id": pl.String,
    "sent_at": pl.Datetime("us", "UTC"), "error": pl.String, "po_number": pl.String, "channel": pl.String,
}
LINE_KEYS = ("sku_id", "name", "spec", "unit", "units_allocated", "case_pack", "cases", "units_purchased",
             "unit_cost_fen", "cost_fen")


def _log() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger inside a flow or task (shown in the UI), else a plain one."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("cutoff.mailer")


@dataclass(frozen=True)
class PurchaseOrderMail:
    """One supplier's purchase order, as data (what the email says and what its hash covers)."""

    supplier_id: str
    supplier_name: str
    emails: list[str]
    po_number: str
    delivery_window: str | None
    po_fen: int
    below_minimum: bool
    lines: list[dict]  # LINE_KEYS, sorted by sku_id
    workbook: Path     # the written purchase/<supplier_id>.xlsx


# --- the purchase orders, as data -------------------------------------------------------------------

def po_number(window: CutoffWindow, supplier_id: str) -> str:
    """`PO-nightly-2026-11-21-S1`."""
    return f"PO-{window.calendar}-{window.cutoff_date.isoformat()}-{supplier_id}"


def split_addresses(text: str | None) -> list[str]:
    """'a@x.cn; b@x.cn,' -> ['a@x.cn', 'b@x.cn'] (`;` or `,` between addresses)."""
    return [part.strip() for part in re.split(r"[;,]", text or "") if part.strip()]


def purchase_order_mails(window: CutoffWindow, purchase_lines: pl.DataFrame, supplier_totals: pl.DataFrame,
                         master_products: pl.DataFrame, master_suppliers: pl.DataFrame,
                         run_dir: Path) -> list[PurchaseOrderMail]:
    """One mail per supplier with something to deliver (a row of `supplier_totals`)."""
    lines = (purchase_lines.select("supplier_id", "sku_id", "units_allocated", "case_pack", "cases",
                                   "units_purchased", "unit_cost_fen", "cost_fen")
             .join(master_products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
             .sort("supplier_id", "sku_id"))
    by_supplier: dict[str, list[dict]] = {}
    for row in lines.iter_rows(named=True):
        by_supplier.setdefault(row["supplier_id"], []).append({key: row[key] for key in LINE_KEYS})
    suppliers = {row["supplier_id"]: row for row in master_suppliers.iter_rows(named=True)}
    mails = []
    for total in supplier_totals.sort("supplier_id").iter_rows(named=True):
        supplier_id = total["supplier_id"]
        master = suppliers.get(supplier_id, {})
        mails.append(PurchaseOrderMail(
            supplier_id=supplier_id,
            supplier_name=master.get("name") or total.get("name") or supplier_id,
            emails=split_addresses(master.get("email") if master else total.get("email")),
            po_number=po_number(window, supplier_id),
            delivery_window=master.get("delivery_window"),
            po_fen=int(total["po_fen"]),
            below_minimum=bool(total.get("below_minimum")),
            lines=by_supplier.get(supplier_id, []),
            workbook=run_dir / "purchase" / f"{supplier_id}.xlsx"))
    return mails


def content_hash(window: CutoffWindow, mail: PurchaseOrderMail) -> str:
    """sha256 of the PO's data: calendar, date, supplier (id, name, delivery window), lines, totals.

    Not the workbook's bytes (they carry timestamps) and not the recipients, the language or the
    settings: the same order to the same supplier hashes the same on every rerun."""
    lines = sorted(({key: line.get(key) for key in LINE_KEYS} for line in mail.lines),
                   key=lambda line: str(line["sku_id"]))
    payload = {
        "calendar": window.calendar, "cutoff_date": window.cutoff_date.isoformat(),
        "supplier_id": mail.supplier_id, "supplier_name": mail.supplier_name,
        "delivery_window": mail.delivery_window, "po_number": mail.po_number, "po_fen": int(mail.po_fen),
        "units_purchased": sum(int(line["units_purchased"] or 0) for line in lines), "lines": lines,
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the message ------------------------------------------------------------------------------------

TEXTS = {
    "zh": dict(
        tag="采购单", tag_revised="采购单·修订版", nightly="夜间截单", weekly="周截单", rev=" (第{n}版)",
        hello="{name}，您好：", intro="请按以下采购单备货并送达。采购单明细见附件 {file}。",
        revised="本采购单为修订版（第{n}版），以此版为准，替换此前版本。",
        po="采购单号", cutoff="截单", window="送货时间", address="送货地址", total="采购金额",
        units="采购数量合计", lines="品项数", below="注意：本单金额低于贵司起订额，仍请照单送货。",
        as_agreed="按约定时间", yuan="{v} 元", file="采购单",
        columns=("SKU", "品名", "规格", "单位", "箱规", "箱数", "采购数量", "单价(元)", "金额(元)"),
        closing="如有疑问请直接回复本邮件。", sign="{platform}"),
    "en": dict(
        tag="Purchase Order", tag_revised="Purchase Order · Revised", nightly="nightly cutoff",
        weekly="weekly cutoff", rev=" (rev. {n})",
        hello="Dear {name},", intro="Please prepare and deliver the order below. The workbook {file} is attached.",
        revised="This purchase order is revision {n}: it replaces the earlier version(s).",
        po="PO number", cutoff="Cutoff", window="Delivery window", address="Deliver to",
        total="Order total", units="Units in total", lines="Lines",
        below="Note: this order is below your minimum order value; please deliver it all the same.",
        as_agreed="as agreed", yuan="CNY {v}", file="PurchaseOrder",
        columns=("SKU", "Product", "Spec", "Unit", "Case pack", "Cases", "Units", "Unit cost (CNY)",
                 "Amount (CNY)"),
        closing="Questions? Reply to this email.", sign="{platform}"),
}
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def _texts(settings: Settings) -> dict:
    return TEXTS["en" if settings.lang == "en" else "zh"]


def subject_for(window: CutoffWindow, mail: PurchaseOrderMail, revision: int, lang: str = "zh") -> str:
    """`【采购单】2026-11-21 夜间截单 · 鲜果供应链 · PO-nightly-2026-11-21-S1`; a revision:
    `【采购单·修订版】... (第2版)`; English: `[Purchase Order] 2026-11-21 nightly cutoff · ...`."""
    t = TEXTS["en" if lang == "en" else "zh"]
    tag = t["tag_revised"] if revision > 1 else t["tag"]
    tag = f"[{tag}] " if lang == "en" else f"【{tag}】"
    suffix = t["rev"].format(n=revision) if revision > 1 else ""
    return (f"{tag}{window.cutoff_date.isoformat()} {t[window.calendar]} · {mail.supplier_name} · "
            f"{mail.po_number}{suffix}")


def attachment_name(mail: PurchaseOrderMail, lang: str = "zh") -> str:
    """`采购单-PO-nightly-2026-11-21-S1-<supplier name>.xlsx`: the name kept readable, minus the
    characters a file system refuses, cut to 40 characters. Sent RFC 2231-encoded (exact)."""
    name = " ".join(_UNSAFE_IN_FILE_NAME.sub(" ", mail.supplier_name).split()).strip(" .")[:40].strip(" .")
    stem = f"{TEXTS['en' if lang == 'en' else 'zh']['file']}-{mail.po_number}"
    return f"{stem}-{name}.xlsx" if name else f"{stem}.xlsx"


def _facts(window: CutoffWindow, mail: PurchaseOrderMail, settings: Settings) -> list[tuple[str, str]]:
    t = _texts(settings)
    facts = [(t["po"], mail.po_number), (t["cutoff"], f"{window.cutoff_date.isoformat()} {t[window.calendar]}"),
             (t["window"], mail.delivery_window or t["as_agreed"])]
    if settings.warehouse_address:
        facts.append((t["address"], settings.warehouse_address))
    facts += [(t["total"], t["yuan"].format(v=fen_to_yuan_text(mail.po_fen))),
              (t["units"], str(sum(int(line["units_purchased"] or 0) for line in mail.lines))),
              (t["lines"], str(len(mail.lines)))]
    return facts


def _line_cells(line: dict) -> list[str]:
    return [str(line.get("sku_id") or ""), str(line.get("name") or ""), str(line.get("spec") or ""),
            str(line.get("unit") or ""), str(line.get("case_pack") or ""), str(line.get("cases") or ""),
            str(line.get("units_purchased") or 0), fen_to_yuan_text(int(line.get("unit_cost_fen") or 0)),
            fen_to_yuan_text(int(line.get("cost_fen") or 0))]


def render_text(window: CutoffWindow, mail: PurchaseOrderMail, settings: Settings, revision: int,
                file_name: str) -> str:
    t = _texts(settings)
    out = [t["hello"].format(name=mail.supplier_name), "", t["intro"].format(file=file_name)]
    if revision > 1:
        out += ["", t["revised"].format(n=revision)]
    out.append("")
    out += [f"{label}: {value}" for label, value in _facts(window, mail, settings)]
    if mail.below_minimum:
        out += ["", t["below"]]
    out += ["", " | ".join(t["columns"])]
    out += [" | ".join(_line_cells(line)) for line in mail.lines]
    out += ["", t["closing"], t["sign"].format(platform=settings.platform_name), ""]
    return "\n".join(out)


def render_html(window: CutoffWindow, mail: PurchaseOrderMail, settings: Settings, revision: int,
                file_name: str) -> str:
    """Every supplier-provided text is escaped: a product name is data, never markup."""
    t, e = _texts(settings), html.escape
    cell = 'style="border:1px solid #ccc;padding:4px 8px"'
    right = 'style="border:1px solid #ccc;padding:4px 8px;text-align:right"'
    facts = "".join(f"<tr><th align=left {cell}>{e(label)}</th><td {cell}>{e(value)}</td></tr>"
                    for label, value in _facts(window, mail, settings))
    head = "".join(f"<th {cell}>{e(c)}</th>" for c in t["columns"])
    rows = "".join("<tr>" + "".join(f"<td {right if i >= 4 else cell}>{e(v)}</td>"
                                    for i, v in enumerate(_line_cells(line))) + "</tr>"
                   for line in mail.lines)
    parts = [f"<p>{e(t['hello'].format(name=mail.supplier_name))}</p>",
             f"<p>{e(t['intro'].format(file=file_name))}</p>"]
    if revision > 1:
        parts.append(f"<p><strong style=\"color:#c00\">{e(t['revised'].format(n=revision))}</strong></p>")
    parts.append(f'<table style="border-collapse:collapse">{facts}</table>')
    if mail.below_minimum:
        parts.append(f"<p><strong>{e(t['below'])}</strong></p>")
    parts.append(f'<table style="border-collapse:collapse;margin-top:12px"><thead><tr>{head}</tr></thead>'
                 f"<tbody>{rows}</tbody></table>")
    parts.append(f"<p>{e(t['closing'])}<br>{e(t['sign'].format(platform=settings.platform_name))}</p>")
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{"".join(parts)}</body></html>\n'


def message_id_for(mail: PurchaseOrderMail, revision: int, digest: str, settings: Settings) -> str:
    """Deterministic per PO, revision and content: a retry of the same message carries the same
    Message-ID, so a receiving system can drop a duplicate."""
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    return f"<{mail.po_number}.r{revision}.{digest[:12]}@{domain}>"


def build_message(window: CutoffWindow, mail: PurchaseOrderMail, settings: Settings, revision: int,
                  digest: str, now: datetime | None = None) -> EmailMessage:
    """The whole message: headers, text + HTML alternatives, the workbook (xlsx MIME type)."""
    file_name = attachment_name(mail, settings.lang)
    message = EmailMessage()
    message["Subject"] = subject_for(window, mail, revision, settings.lang)
    message["From"] = formataddr((settings.platform_name, settings.mail_from)) if settings.platform_name \
        else settings.mail_from
    message["To"] = ", ".join(mail.emails)
    cc = split_addresses(settings.mail_cc)
    if cc:
        message["Cc"] = ", ".join(cc)
    reply_to = split_addresses(settings.mail_reply_to) or cc
    if reply_to:
        message["Reply-To"] = ", ".join(reply_to)
    message["Date"] = format_datetime(now or datetime.now(timezone.utc))
    message["Message-ID"] = message_id_for(mail, revision, digest, settings)
    message["X-Cutoff-PO"] = mail.po_number
    message["X-Cutoff-Revision"] = str(revision)
    message["X-Cutoff-Content-Hash"] = digest
    # base64: Chinese text as raw 8bit is what an old relay without 8BITMIME mangles
    message.set_content(render_text(window, mail, settings, revision, file_name), cte="base64")
    message.add_alternative(render_html(window, mail, settings, revision, file_name), subtype="html",
                            cte="base64")
    # filename only on Content-Disposition: adding a non-ASCII `name` to Content-Type makes Python
    # fold the long xlsx subtype into an RFC 2047 word, which breaks the MIME type.
    message.add_attachment(mail.workbook.read_bytes(), maintype=XLSX_MAINTYPE, subtype=XLSX_SUBTYPE,
                           filename=file_name)
    return message


# --- sending ----------------------------------------------------------------------------------------

def smtp_password(settings: Settings, environ: dict | None = None) -> str:
    """`CUTOFF_SMTP_PASSWORD` (settings.smtp_password), else the Prefect Secret block named by
    `CUTOFF_SMTP_PASSWORD_BLOCK`, else none. Without `smtp_user` there is no login: no password."""
    if settings.smtp_password or not settings.smtp_user:
        return settings.smtp_password
    block = (os.environ if environ is None else environ).get(PASSWORD_BLOCK_ENV, "").strip()
    if not block:
        return ""
    from prefect.blocks.system import Secret
    return str(Secret.load(block).get())


def tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificate and host name checked (STARTTLS and SSL)."""
    return ssl.create_default_context()


class Delivery:
    """One supplier's message across the attempts of its task. The delivery is recorded (`record`,
    a row of `emails`) the moment the server accepts the message: its 250 to DATA. Whatever fails
    after that (the QUIT, the connection) is no failed send, and an attempt after it sends nothing.

    A plain class, not a dataclass: Prefect passes it to every attempt as it is."""

    def __init__(self, message_id: str, record: Callable[[dict], None]):
        self.message_id = message_id
        self.record = record               # writes the delivered row, given the refused recipients
        self.accepted: dict | None = None  # the refused recipients, once the server accepted it
        self.recorded = False

    def accept(self, refused: dict) -> None:
        self.accepted = dict(refused)
        self.record(self.accepted)
        self.recorded = True

    def release(self) -> None:
        """After the last attempt: Prefect keeps a task's parameters; they must not keep the
        warehouse connection (held by `record`) alive."""
        self.record = _already_released


def _already_released(refused: dict) -> None:
    raise RuntimeError("this delivery is over: its record is no longer held")


def _connect(settings: Settings) -> smtplib.SMTP:
    security = settings.smtp_security
    port = settings.smtp_port or {"ssl": 465, "starttls": 587}.get(security, 25)
    if security == "ssl":
        return smtplib.SMTP_SSL(settings.smtp_host, port, timeout=settings.smtp_timeout, context=tls_context())
    return smtplib.SMTP(settings.smtp_host, port, timeout=settings.smtp_timeout)


def _say_goodbye(server: smtplib.SMTP, message_id: str) -> None:
    """QUIT after an accepted message. Its answer does not matter any more: a 421, a dropped
    connection or a timeout is logged, never raised (smtplib's `with` would raise on a reply
    other than 221, and a retry would send the message twice)."""
    try:
        code, reply = server.docmd("QUIT")
        if code != 221:
            _log().info("message %s was accepted; the server answered QUIT with %s %s (ignored)", message_id,
                        code, reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
    except (smtplib.SMTPException, OSError) as exc:
        _log().info("message %s was accepted; the connection ended badly after it (ignored): %s", message_id,
                    _error_text(exc))
    finally:
        server.close()


def deliver(message: EmailMessage, settings: Settings, on_accepted: Callable[[dict], None] | None = None) -> dict:
    """One attempt: connect, (STARTTLS), (login), send, quit. Returns the refused recipients
    (empty when all were accepted); raises when the message was not accepted (the task retries).

    `on_accepted(refused)` runs as soon as the server has accepted the message (its 250 to DATA),
    before the QUIT: that is where the delivery is recorded."""
    server = _connect(settings)
    try:
        if settings.smtp_security == "starttls":
            server.starttls(context=tls_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password)
        refused = server.send_message(message)  # returns once the server has answered 250 to DATA
    except BaseException:
        server.close()
        raise
    try:
        if on_accepted is not None:
            on_accepted(refused)
    finally:
        _say_goodbye(server, str(message["Message-ID"]))
    return refused


@task(name="send_one", task_run_name="email {supplier_id}", retries=len(RETRY_DELAYS),
      retry_delay_seconds=list(RETRY_DELAYS), cache_policy=NO_CACHE, log_prints=False)
def send_one(supplier_id: str, message: EmailMessage, settings: Settings, delivery: Delivery) -> dict:
    """One supplier's message, with retries and backoff (1 s, then 4 s). An attempt after the
    server accepted the message (only recording it failed) sends nothing again: it records."""
    if delivery.accepted is None:
        deliver(message, settings, on_accepted=delivery.accept)
    elif not delivery.recorded:
        delivery.accept(delivery.accepted)
    return delivery.accepted or {}


def latest_delivery(warehouse: Warehouse, window: CutoffWindow, supplier_id: str, channel: str) -> dict | None:
    """The newest delivered row of this supplier's PO on this channel (smtp or outbox), if any."""
    statuses = list(DELIVERED[channel])
    rows = warehouse.frame(
        "SELECT content_hash, revision FROM emails WHERE calendar = ? AND cutoff_date = ? AND supplier_id = ? "
        "AND status IN (SELECT unnest(?::VARCHAR[])) ORDER BY revision DESC, sent_at DESC LIMIT 1",
        [window.calendar, window.cutoff_date, supplier_id, statuses])
    return rows.row(0, named=True) if rows.height else None


_INSERT_EMAIL = f"INSERT INTO emails ({', '.join(EMAIL_SCHEMA)}) VALUES ({', '.join('?' * len(EMAIL_SCHEMA))})"


def record_email(warehouse: Warehouse, window: CutoffWindow, mail: PurchaseOrderMail, **values) -> None:
    """One row of `emails`, committed (one plain INSERT: after a server's 250 this is the window in
    which a killed process would not know it sent, so it is kept short)."""
    row = {"calendar": window.calendar, "cutoff_date": window.cutoff_date, "supplier_id": mail.supplier_id,
           "po_number": mail.po_number, "sent_at": datetime.now(timezone.utc), **values}
    warehouse.execute(_INSERT_EMAIL, [row.get(column) for column in EMAIL_SCHEMA])


def _error_text(exc: BaseException | None) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000] if exc is not None else "unknown error"


class MailStatuses(dict):
    """{supplier_id: status} (see STATUSES); `.errors` says why, for each supplier `failed`."""

    def __init__(self):
        super().__init__()
        self.errors: dict[str, str] = {}


def send_purchase_orders(warehouse: Warehouse, window: CutoffWindow, mails: list[PurchaseOrderMail],
                         settings: Settings, outbox_dir: Path, send_email: bool = True, *,
                         retry_delays: Sequence[float] = RETRY_DELAYS) -> MailStatuses:
    """Each supplier's PO once per content -> {supplier_id: status} (see STATUSES), with `.errors`.

    Call after the run folder is published, and only when the run did not stop on bad input.
    Without `settings.smtp_host` the messages go to `outbox_dir/<supplier_id>.eml` under the same
    exactly-once rule. A delivery is recorded in `emails` the moment the server accepts it."""
    if not send_email:  # --no-email: nothing goes over SMTP; the messages are left in the outbox
        settings = replace(settings, smtp_host="")
    channel = "smtp" if settings.smtp_host else "outbox"
    setup_error: str | None = None
    if channel == "smtp":
        try:
            settings = replace(settings, smtp_password=smtp_password(settings))
        except Exception as exc:  # a missing or unreadable Secret block: every send fails, visibly
            block = os.environ.get(PASSWORD_BLOCK_ENV)
            setup_error = f"SMTP password from Prefect Secret block {block!r}: {_error_text(exc)}"
    sender = send_one.with_options(retries=len(retry_delays), retry_delay_seconds=list(retry_delays) or 0)
    statuses = MailStatuses()
    for mail in mails:
        status, error = _send_mail(warehouse, window, mail, settings, outbox_dir, channel, sender, setup_error,
                                   attempts=len(retry_delays) + 1)
        statuses[mail.supplier_id] = status
        if error is not None:
            statuses.errors[mail.supplier_id] = error
            # one readable line per supplier in the Prefect UI; the CLI prints its own warning
            _log().error("purchase order %s to %s not sent: %s. It is recorded failed; the next run of this "
                         "cutoff sends it.", mail.po_number, ", ".join(mail.emails), error,
                         extra={CONSOLE_QUIET: True})
    counts = Counter(statuses.values())
    _log().info("purchase-order emails for %s (%s): %s", window.label, channel,
                ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none")
    return statuses


def _send_mail(warehouse: Warehouse, window: CutoffWindow, mail: PurchaseOrderMail, settings: Settings,
               outbox_dir: Path, channel: str, sender, setup_error: str | None,
               attempts: int) -> tuple[str, str | None]:
    """-> (status, why it failed or None)."""
    if not mail.emails:
        return "no_address", None
    digest = content_hash(window, mail)
    last = latest_delivery(warehouse, window, mail.supplier_id, channel)
    eml = outbox_dir / f"{mail.supplier_id}.eml"
    if last and last["content_hash"] == digest and (channel == "smtp" or eml.is_file()):
        return "unchanged", None
    if last is None:
        revision = 1
    elif last["content_hash"] != digest:
        revision = last["revision"] + 1
    else:  # same content whose outbox file went missing: written again under the same revision
        revision = last["revision"]
    record = dict(content_hash=digest, revision=revision, channel=channel,
                  recipients="; ".join(mail.emails + split_addresses(settings.mail_cc)))
    try:
        message = build_message(window, mail, settings, revision, digest)
    except OSError as exc:  # the workbook is not there: this supplier fails, the others go on
        error = f"cannot attach {mail.workbook}: {_error_text(exc)}"
        record_email(warehouse, window, mail, **record, status="failed", error=error)
        return "failed", error
    record["message_id"] = message["Message-ID"]
    if channel == "outbox":
        atomic_write_bytes(eml, message.as_bytes(policy=policy.SMTP))
        record_email(warehouse, window, mail, **record, status="outbox")
        return "outbox", None
    if setup_error:
        record_email(warehouse, window, mail, **record, status="failed", error=setup_error)
        return "failed", setup_error
    status = "sent" if revision == 1 else "revised"

    def record_accepted(refused: dict) -> None:
        error = f"refused: {', '.join(sorted(refused))}" if refused else None
        record_email(warehouse, window, mail, **record, status=status, error=error)

    delivery = Delivery(record["message_id"], record_accepted)
    state = sender(mail.supplier_id, message, settings, delivery, return_state=True)
    delivery.release()
    if delivery.recorded:
        return status, None
    exc = state.result(raise_on_failure=False)
    exc = exc if isinstance(exc, BaseException) else None
    if exc is not None:  # Prefect keeps the state; its traceback would keep our frames alive
        exc.__traceback__ = None
    if delivery.accepted is not None:  # sent, but the warehouse refused the record on every attempt
        raise RuntimeError(f"purchase order {mail.po_number} was accepted by the mail server (Message-ID "
                           f"{delivery.message_id}) but could not be recorded in `emails`: {_error_text(exc)}")
    error = f"{_error_text(exc)}, after {attempts} attempt{'s' if attempts != 1 else ''}"
    record_email(warehouse, window, mail, **record, status="failed", error=error)
    return "failed", error
