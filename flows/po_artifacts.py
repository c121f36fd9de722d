"""What the run's artifact says of the purchase orders posted to suppliers' systems (po_transport =
api, docs/po-api.md): an attention item when one was not delivered, and a section listing each, with
its status, revision, time and the supplier's reference (flows/artifacts.py renders the rest)."""

from __future__ import annotations

from datetime import datetime

BY_API = "by API"  # the email column of a supplier on api: it gets no email
SHOWN = 20


def _cell(value) -> str:
    text = "" if value is None else " ".join(str(value).replace("|", "\\|").split())
    return text if len(text) <= 160 else text[:159] + "…"


def on_api(summary: dict) -> list[dict]:
    return [s for s in summary.get("suppliers", []) if s.get("po_transport") == "api"]


def _at(text) -> str:
    """`2026-11-21 20:03:05` of the record's business-time instant (its offset dropped)."""
    try:
        return datetime.fromisoformat(str(text)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(text or "")


def api_text(supplier: dict) -> str:
    """One line: `delivered, revision 1 at 2026-11-21 20:03:05, their reference SO-0001`,
    `failed, revision 2: HTTP 400 ...`; empty for a supplier on email."""
    api = supplier.get("api") or {}
    if supplier.get("po_transport") != "api" or not api:
        return ""
    status, revision = api.get("status", ""), api.get("revision")
    head = f"{status}, revision {revision}" if revision else status
    if status == "failed":
        return f"{head}: {api.get('error') or 'not delivered'}"
    at = f" at {_at(api['at'])}" if api.get("at") else ""
    return head + at + (f", their reference {api['reference']}" if api.get("reference") else "")


def api_attention(summary: dict) -> list[str]:
    """The attention item: the POs by API not delivered, and what delivers them."""
    failed = [s["supplier_id"] for s in on_api(summary) if (s.get("api") or {}).get("status") == "failed"]
    if not failed:
        return []
    command = f"cutoff resend --calendar {summary['calendar']} --date {summary['cutoff_date']}"
    return [f"- **Purchase orders not delivered to the supplier's system (API)** ({len(failed):,}): "
            f"{', '.join(failed[:SHOWN])}" + (" …" if len(failed) > SHOWN else "")
            + f". The reason is in the section below. When their system answers again, `{command}` (or a rerun of "
            "the cutoff) posts them, with the same Idempotency-Key: the supplier drops a repeat."]


def api_section(summary: dict) -> list[str]:
    """The section `Purchase orders to suppliers' systems (API)`, failed first; none without such a supplier."""
    suppliers = on_api(summary)
    if not suppliers:
        return []
    first = sorted(suppliers, key=lambda s: ((s.get("api") or {}).get("status") != "failed", s["supplier_id"]))
    out = ["", f"## Purchase orders to suppliers' systems (API) ({len(suppliers):,})", "",
           "| supplier | name | status | revision | at | their reference |",
           "| --- | --- | --- | ---: | --- | --- |"]
    for s in first[:SHOWN]:
        api = s.get("api") or {}
        out.append(f"| {_cell(s['supplier_id'])} | {_cell(s.get('name'))} | {_cell(api.get('status'))} | "
                   f"{_cell(api.get('revision'))} | {_cell(_at(api['at']) if api.get('at') else '')} | "
                   f"{_cell(api.get('reference'))} |")
    # their answer (often JSON) as a line of its own: in a table column it ran off the page
    answers = [(s, (s.get("api") or {}).get("error")) for s in first[:SHOWN] if (s.get("api") or {}).get("error")]
    if answers:
        out += ["", "What their system answered, or why it could not be reached:", ""]
        out += [f"- **{s['supplier_id']}** {s.get('name') or ''}: `{_answer(error)}`" for s, error in answers]
    if len(suppliers) > SHOWN:
        out += ["", f"Showing {SHOWN:,} of {len(suppliers):,}: every one is in summary.json (`suppliers[].api`)."]
    return out


def _answer(error) -> str:
    text = " ".join(str(error).replace("`", "'").split())
    return text if len(text) <= 300 else text[:299] + "…"
