"""A supplier's purchase order (采购单) as an email: the data it says (PurchaseOrderMail, made from
the run's frames), the hash of that data (what "the same purchase order" means, docs/email.md),
the subject, the text and HTML bodies in the run's language, and the whole message with the
workbook attached (the xlsx MIME type, the Chinese file name kept exact, RFC 2231)."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Protocol

import polars as pl

from transforms.money import fen_to_yuan_text
from transforms.purchase import po_number as purchase_order_number
from transforms.windows import CutoffWindow


class MessageSettings(Protocol):
    """What a message takes from the settings (flows/settings.py Settings has them)."""

    lang: str
    platform_name: str
    warehouse_address: str
    mail_from: str
    mail_cc: str
    mail_reply_to: str


XLSX_MAINTYPE, XLSX_SUBTYPE = "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINE_KEYS = ("sku_id", "name", "spec", "unit", "units_allocated", "case_pack", "cases", "units_purchased",
             "unit_cost_fen", "cost_fen")


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
    estimate: Path | None = None       # its 明日预估 workbook (mail/estimates.py): not part of the content hash
    estimate_date: date | None = None  # the nightly cutoff it estimates


def po_number(window: CutoffWindow, supplier_id: str) -> str:
    """`PO-nightly-2026-11-21-S1` (transforms/purchase.py po_number)."""
    return purchase_order_number(window.calendar, window.cutoff_date, supplier_id)


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


TEXTS = {
    "zh": dict(
        tag="采购单", tag_revised="采购单·修订版", nightly="夜间截单", weekly="周截单", rev=" (第{n}版)",
        hello="{name}，您好：", intro="请按以下采购单备货并送达。采购单明细见附件 {file}。",
        revised="本采购单为修订版（第{n}版），以此版为准，替换此前版本。",
        po="采购单号", cutoff="截单", window="送货时间", address="送货地址", total="采购金额",
        units="采购数量合计", lines="品项数", below="注意：本单金额低于贵司起订额，仍请照单送货。",
        as_agreed="按约定时间", yuan="{v} 元", file="采购单",
        columns=("SKU", "品名", "规格", "单位", "箱规", "箱数", "采购数量", "单价(元)", "金额(元)"),
        closing="如有疑问请直接回复本邮件。", sign="{platform}",
        estimate="附件另有 {day} 的明日预估 {file}：平台的需求预估，仅供备货参考，不构成订单。",
        estimate_file="明日预估"),
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
        closing="Questions? Reply to this email.", sign="{platform}",
        estimate="Also attached: {file}, the platform's estimate of the cutoff of {day}, to help you prepare: "
                 "not an order.", estimate_file="Estimate"),
}
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def _texts(settings: MessageSettings) -> dict:
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


def estimate_name(mail: PurchaseOrderMail, lang: str = "zh") -> str:
    """`明日预估-2026-11-22-S1.xlsx` (`Estimate-...` in English)."""
    return f"{TEXTS['en' if lang == 'en' else 'zh']['estimate_file']}-{mail.estimate_date}-{mail.supplier_id}.xlsx"


def _estimate_line(mail: PurchaseOrderMail, settings: MessageSettings) -> list[str]:
    if mail.estimate is None:
        return []
    return [_texts(settings)["estimate"].format(day=mail.estimate_date, file=estimate_name(mail, settings.lang))]


def _facts(window: CutoffWindow, mail: PurchaseOrderMail, settings: MessageSettings) -> list[tuple[str, str]]:
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


def render_text(window: CutoffWindow, mail: PurchaseOrderMail, settings: MessageSettings, revision: int,
                file_name: str) -> str:
    t = _texts(settings)
    out = [t["hello"].format(name=mail.supplier_name), "", t["intro"].format(file=file_name)]
    if revision > 1:
        out += ["", t["revised"].format(n=revision)]
    out.append("")
    out += [f"{label}: {value}" for label, value in _facts(window, mail, settings)]
    if mail.below_minimum:
        out += ["", t["below"]]
    out += ["", *_estimate_line(mail, settings)] if mail.estimate is not None else []
    out += ["", " | ".join(t["columns"])]
    out += [" | ".join(_line_cells(line)) for line in mail.lines]
    out += ["", t["closing"], t["sign"].format(platform=settings.platform_name), ""]
    return "\n".join(out)


def render_html(window: CutoffWindow, mail: PurchaseOrderMail, settings: MessageSettings, revision: int,
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
    parts += [f"<p>{e(line)}</p>" for line in _estimate_line(mail, settings)]
    parts.append(f'<table style="border-collapse:collapse;margin-top:12px"><thead><tr>{head}</tr></thead>'
                 f"<tbody>{rows}</tbody></table>")
    parts.append(f"<p>{e(t['closing'])}<br>{e(t['sign'].format(platform=settings.platform_name))}</p>")
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{"".join(parts)}</body></html>\n'


def message_id_for(mail: PurchaseOrderMail, revision: int, digest: str, settings: MessageSettings) -> str:
    """Deterministic per PO, revision and content: a retry of the same message carries the same
    Message-ID, so a receiving system can drop a duplicate."""
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    return f"<{mail.po_number}.r{revision}.{digest[:12]}@{domain}>"


def build_message(window: CutoffWindow, mail: PurchaseOrderMail, settings: MessageSettings, revision: int,
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
    if mail.estimate is not None:
        message.add_attachment(mail.estimate.read_bytes(), maintype=XLSX_MAINTYPE, subtype=XLSX_SUBTYPE,
                               filename=estimate_name(mail, settings.lang))
    return message
