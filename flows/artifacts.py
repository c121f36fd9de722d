"""What a cutoff run shows in the Prefect UI: a markdown artifact (its figures, groups not formed,
suppliers below their minimum, rejects, email results) and a table artifact (the purchase-order
total of each supplier). Both are keyed per calendar, so the Artifacts tab shows the latest run of
each calendar and keeps the earlier ones as its history.

Publishing never fails a run: an artifact that cannot be created is a logged warning.
"""

from __future__ import annotations

import logging
import re

from transforms.money import fen_to_yuan_text

NOT_SENT = "not sent"


def artifact_key(prefix: str, calendar: str) -> str:
    """Prefect keys are lowercase letters, digits and dashes: 'cutoff-nightly'."""
    slug = re.sub(r"[^a-z0-9-]+", "-", f"{prefix}-{calendar}".lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def _yuan(fen: int | None) -> str:
    return f"¥{fen_to_yuan_text(int(fen or 0))}"


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _warnings(summary: dict, kind: str) -> list[str]:
    prefix = f"{kind}: "
    return [w[len(prefix):] for w in summary.get("warnings", []) if w.startswith(prefix)]


def _email_status(supplier: dict, email_results: dict[str, str] | None) -> str:
    status = (email_results or {}).get(supplier["supplier_id"]) or supplier.get("email") or ""
    return status or NOT_SENT


def po_totals_table(summary: dict, email_results: dict[str, str] | None = None) -> list[dict]:
    """One row per supplier with a purchase order: fen as an integer and as yuan text."""
    return [{"supplier_id": s["supplier_id"], "name": s["name"], "po_fen": int(s["po_fen"]),
             "po": fen_to_yuan_text(int(s["po_fen"])), "below_minimum": bool(s["below_minimum"]),
             "email": _email_status(s, email_results)}
            for s in summary.get("suppliers", [])]


def render_run_markdown(summary: dict, email_results: dict[str, str] | None = None) -> str:
    """The run report in markdown: what ops read in the UI the morning after."""
    calendar, day = summary["calendar"], summary["cutoff_date"]
    lines, units, fen = summary["order_lines"], summary["units"], summary["fen"]
    commission = fen.get("commission", {})
    out = [
        f"# {calendar} cutoff {day}",
        "",
        f"Window ({summary['window']['start']}, {summary['window']['end']}]. "
        f"Sheets and CSVs: `reports/{calendar}/{day}/` under the reports dir.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| listings closed | {summary['listings_closed']} |",
        f"| order lines eligible / allocated / cut / rejected | {lines['eligible']:,} / {lines['allocated']:,} / "
        f"{lines['cut']:,} / {lines['rejected']:,} |",
        f"| units ordered / allocated / purchased / surplus | {units['ordered']:,} / {units['allocated']:,} / "
        f"{units['purchased']:,} / {units['surplus']:,} |",
        f"| paid | {_yuan(fen['paid'])} |",
        f"| net (kept) | {_yuan(fen['net'])} |",
        f"| refund owed | {_yuan(fen['refund'])} |",
        f"| purchase cost | {_yuan(fen['purchase_cost'])} |",
    ]
    if commission:
        out.append("| commission leader / L1 / L2 / clawback | "
                   + " / ".join(_yuan(commission.get(k)) for k in ("leader", "dist_l1", "dist_l2", "clawback"))
                   + " |")
    attention = [f"- **Inbox not ready**: {_cell(w)}" for w in _warnings(summary, "inbox_not_ready")]
    attention += [f"- **No order lines**: {_cell(w)}" for w in _warnings(summary, "empty_cutoff")]
    if attention:
        out += ["", f"## Attention ({len(attention)})", ""] + attention
    not_formed = _warnings(summary, "group_not_formed")
    below = _warnings(summary, "below_supplier_minimum")
    out += ["", f"## Groups not formed ({len(not_formed)})", ""]
    out += [f"- {_cell(w)}" for w in not_formed] or ["None: every group formed."]
    out += ["", f"## Suppliers below their minimum ({len(below)})", ""]
    out += [f"- {_cell(w)}" for w in below] or ["None."]
    out += ["", f"## Rejected rows ({lines['rejected']:,})", ""]
    out.append(f"{lines['rejected']:,} rejected row(s) in this window; rows and reasons are in `rejects.csv`."
               if lines["rejected"] else "None.")
    rows = po_totals_table(summary, email_results)
    out += ["", f"## Purchase orders and email ({len(rows)})", ""]
    if rows:
        out += ["| supplier | name | PO (yuan) | below minimum | email |", "| --- | --- | ---: | --- | --- |"]
        out += [f"| {_cell(r['supplier_id'])} | {_cell(r['name'])} | {r['po']} | "
                f"{'yes' if r['below_minimum'] else 'no'} | {_cell(r['email'])} |" for r in rows]
    else:
        out.append("No purchase orders: no listing of this calendar closed with allocated units.")
    return "\n".join(out) + "\n"


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        from prefect.logging import get_run_logger
        return get_run_logger()
    except Exception:  # outside a flow or task run
        return logging.getLogger("cutoff.artifacts")


def publish_run_artifacts(summary: dict, email_results: dict[str, str] | None = None) -> None:
    """Create the run's markdown artifact `cutoff-<calendar>` and table artifact
    `po-totals-<calendar>`. Never raises: a failure is logged as a warning."""
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        calendar, day = summary["calendar"], summary["cutoff_date"]
        net = _yuan(summary["fen"]["net"])
        flags = [label for kind, label in (("inbox_not_ready", "inbox not ready"), ("empty_cutoff", "no order lines"))
                 if _warnings(summary, kind)]
        create_markdown_artifact(
            key=artifact_key("cutoff", calendar), markdown=render_run_markdown(summary, email_results),
            description=f"{calendar} cutoff {day}: net {net}, {len(summary.get('suppliers', []))} purchase order(s)"
                        + "".join(f"; {flag.upper()}" for flag in flags))
        create_table_artifact(
            key=artifact_key("po-totals", calendar), table=po_totals_table(summary, email_results),
            description=f"{calendar} cutoff {day}: purchase-order total per supplier")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        _logger().warning("could not publish the run's artifacts (%s: %s); the run's outputs are unaffected",
                          type(exc).__name__, exc)
