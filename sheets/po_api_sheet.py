"""summary.xlsx's sheet of the purchase orders posted to suppliers' systems (po_transport = api,
docs/po-api.md): per supplier its status (delivered, revision sent, unchanged, not delivered, held),
revision, when, the supplier's own reference, and the answer or error of one not delivered, those
first. Its words, in both languages, are here; a run without such a supplier has no such sheet."""

from __future__ import annotations

import polars as pl

from sheets.labels import labels_for
from sheets.spec import INT, TEXT, Column, SheetSpec

WORDS = {
    "zh": {"sheet_api": "API采购单", "api_status": "状态", "api_revision": "版本", "api_at": "时间",
           "api_reference": "对方单号", "api_key": "Idempotency-Key", "api_error": "对方答复或错误",
           "api_delivered": "已送达", "api_revised": "已送达修订版", "api_unchanged": "未变，未重发",
           "api_failed": "未送达", "api_held": "未发送（--no-email）",
           "todo_po_failed": "API采购单未送达", "email_by_api": "经API发送"},
    "en": {"sheet_api": "API purchase orders", "api_status": "Status", "api_revision": "Revision", "api_at": "At",
           "api_reference": "Their reference", "api_key": "Idempotency-Key", "api_error": "Their answer or error",
           "api_delivered": "delivered", "api_revised": "revision delivered",
           "api_unchanged": "unchanged, not sent again", "api_failed": "not delivered", "api_held": "held (--no-email)",
           "todo_po_failed": "API purchase orders not delivered", "email_by_api": "by API"},
}
ERROR_CHARS = 60  # of the answer or error in a cell (wrapped over a few lines); the whole is in summary.json
SCHEMA = {"supplier_id": pl.String, "name": pl.String, "status": pl.String, "revision": pl.Int64, "at": pl.String,
          "reference": pl.String, "key": pl.String, "error": pl.String}


def api_words(lang: str) -> dict[str, str]:
    """The run's labels with this sheet's words."""
    return {**labels_for(lang), **WORDS["en" if lang == "en" else "zh"]}


def _on_api(summary: dict) -> list[dict]:
    return [s for s in summary.get("suppliers", []) if s.get("po_transport") == "api"]


def api_rows(summary: dict, lang: str) -> pl.DataFrame:
    """One row per supplier on `api`, the ones not delivered first."""
    t = api_words(lang)
    suppliers = sorted(_on_api(summary), key=lambda s: ((s.get("api") or {}).get("status") != "failed",
                                                         s["supplier_id"]))
    rows = []
    for s in suppliers:
        api = s.get("api") or {}
        status = api.get("status") or ""
        rows.append({"supplier_id": s["supplier_id"], "name": s.get("name"),
                     "status": t.get(f"api_{status}", status), "revision": api.get("revision"),
                     "at": (api.get("at") or "")[:19].replace("T", " ") or None,  # business time
                     "reference": api.get("reference"),
                     "key": api.get("idempotency_key"), "error": _short(api.get("error"))})
    return pl.DataFrame(rows, schema=SCHEMA)


def _short(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS - 1] + "…"


def api_failed_count(summary: dict) -> int:
    return sum((s.get("api") or {}).get("status") == "failed" for s in _on_api(summary))


def api_todo_row(summary: dict, lang: str) -> list[tuple]:
    """The overview's "what to look at" row: (label, count, amount, sheet); none without `api`."""
    if not _on_api(summary):
        return []
    t = api_words(lang)
    return [(t["todo_po_failed"], api_failed_count(summary), None, t["sheet_api"])]


def email_cell(supplier: dict, lang: str) -> str | None:
    """The suppliers sheet's email cell of a supplier on `api` (it gets no email); None otherwise."""
    return api_words(lang)["email_by_api"] if supplier.get("po_transport") == "api" else None


def api_sheets(summary: dict, lang: str, title: str) -> list[SheetSpec]:
    """The API sheet (a list: empty when no supplier is on `api`)."""
    if not _on_api(summary):
        return []
    t = api_words(lang)
    return [SheetSpec(
        title=t["sheet_api"], title_line=title, frame=api_rows(summary, lang),
        # a long name and the answer wrap: grown to their length, the sheet printed at 7 pt
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10),
                 Column("name", t["supplier_name"], TEXT, 12, wrap=True),
                 Column("status", t["api_status"], TEXT, 10, 16), Column("revision", t["api_revision"], INT, 6),
                 Column("at", t["api_at"], TEXT, 18), Column("reference", t["api_reference"], TEXT, 12, 24),
                 Column("key", t["api_key"], TEXT, 16, 34), Column("error", t["api_error"], TEXT, 24, wrap=True)),
        landscape=True, autofilter=True, footer=title)]
