"""What a cutoff run shows in the Prefect UI: a markdown artifact (what ops act on, first) and a
table artifact (the purchase-order total of each supplier). Both are keyed per calendar, so the
Artifacts tab shows the latest run of each calendar and keeps the earlier ones as its history.

The markdown leads with what needs doing (an inbox not ready, an empty cutoff, emails that
failed, suppliers without an address, a missing warehouse address), then the figures, the
purchase orders and their email, the suppliers below their minimum, the rejected rows, and the
groups not formed, closest to forming first. Every list is capped (`SHOWN` rows) with its count
and where the full list is (summary.xlsx, rejects.csv, the table artifact), so the artifact stays
a few kilobytes at a million order lines. Money reads ¥1,234,567.89.

Publishing never fails a run: an artifact that cannot be created is a logged warning.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

import polars as pl

from flows.mailing import STATUS_WORDS
from flows.po_artifacts import BY_API, api_attention, api_section, api_text
from transforms.money import fen_to_yuan_display as yuan

NOT_SENT = "not sent"
SHOWN = 20             # rows of a list shown in the markdown; the rest are in the run folder
REJECTS_SHOWN = 10
CELL_CHARS = 160       # a cell's text is cut here (a reject's reason can be long)
NEEDS_ACTION = ("failed", "no_address")  # email statuses ops act on


def artifact_key(prefix: str, calendar: str) -> str:
    """Prefect keys are lowercase letters, digits and dashes: 'cutoff-nightly'."""
    slug = re.sub(r"[^a-z0-9-]+", "-", f"{prefix}-{calendar}".lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def _cell(value) -> str:
    text = "" if value is None else str(value).replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS - 1] + "…"


def _warnings(summary: dict, kind: str) -> list[str]:
    prefix = f"{kind}: "
    return [w[len(prefix):] for w in summary.get("warnings", []) if w.startswith(prefix)]


def _email_status(supplier: dict, email_results: dict[str, str] | None) -> str:
    status = (email_results or {}).get(supplier["supplier_id"]) or supplier.get("email") or ""
    if not status and supplier.get("po_transport") == "api":  # it gets no email (docs/po-api.md)
        return BY_API
    return status or NOT_SENT


def email_text(status: str) -> str:
    """An email status as ops read it (`no_address` -> `not sent: no email address`; a failure
    keeps its reason); the table artifact and summary.json keep the status itself."""
    kind, _, detail = status.partition(": ")
    words = STATUS_WORDS.get(kind)
    if words is None:
        return status
    return f"{words} ({detail})" if detail else words


def po_totals_table(summary: dict, email_results: dict[str, str] | None = None) -> list[dict]:
    """One row per supplier with a purchase order: fen as an integer and as ¥ text."""
    return [{"supplier_id": s["supplier_id"], "name": s["name"], "po_fen": int(s["po_fen"]),
             "po": yuan(int(s["po_fen"])), "below_minimum": bool(s["below_minimum"]),
             "email": _email_status(s, email_results), "po_transport": s.get("po_transport") or "email",
             "api": api_text(s)}
            for s in summary.get("suppliers", [])]


def _more(shown: int, total: int, where: str) -> list[str]:
    return ["", f"Showing {shown:,} of {total:,}: the full list is {where}."] if total > shown else []


EXPORT_WORDS = {"export_amount_mismatch": "amounts do not add up", "export_order_number": "order number",
                "export_summary_mismatch": "summary sheet differs", "export_cancelled": "cancelled"}


def _export_warning(warning: str) -> str:
    """`export_amount_mismatch: FILE: order 3 ...` as `amounts do not add up: FILE: order 3 ...`."""
    kind, _, text = warning.partition(": ")
    text = " ".join(f"{EXPORT_WORDS.get(kind, kind)}: {text}".replace("|", "\\|").split())
    return text if len(text) <= 400 else text[:399] + "…"


def _attention(summary: dict, rows: list[dict], folder: str) -> list[str]:
    items = [f"- **Inbox not ready**: {_cell(w)}" for w in _warnings(summary, "inbox_not_ready")]
    items += [f"- **No order lines**: {_cell(w)}" for w in _warnings(summary, "empty_cutoff")]
    items += [f"- **Goods-in out of date**: {_cell(w)}" for w in _warnings(summary, "goods_in_stale")]
    items += [f"- **Stock pool: later cutoffs out of date**: {_cell(w)}" for w in _warnings(summary, "pool_stale")]
    exports = [w for w in summary.get("warnings", []) if w.startswith("export_")]
    if exports:  # each on a line of its own, in words, whole (run together and cut at 160, one ended "read as o…")
        items.append(f"- **Platform exports** ({len(exports):,}): what a 快团团 / 群接龙 export says that does not add "
                     f"up (docs/platform-exports.md); the lines still count.")
        items += [f"  - {_export_warning(w)}" for w in exports[:5]]
        if len(exports) > 5:
            items.append(f"  - … {len(exports) - 5:,} more: all in summary.json `warnings`.")
    failed = [r["supplier_id"] for r in rows if r["email"].startswith("failed")]
    if failed:
        items.append(f"- **Purchase orders not emailed** ({len(failed):,}): {', '.join(failed[:SHOWN])}"
                     + (" …" if len(failed) > SHOWN else "") + ". Run the same cutoff again when the mail "
                     "server answers: it sends only what has not gone out.")
    no_address = [r["supplier_id"] for r in rows if r["email"] == "no_address"]
    if no_address:
        items.append(f"- **Suppliers without an email address** ({len(no_address):,}): "
                     f"{', '.join(no_address[:SHOWN])}" + (" …" if len(no_address) > SHOWN else "")
                     + f". Send their purchase orders by hand (`{folder}purchase/`), and add the address "
                     "to master/suppliers.csv.")
    items += api_attention(summary)
    if _warnings(summary, "warehouse_address_missing"):
        items.append("- **No warehouse address**: CUTOFF_WAREHOUSE_ADDRESS is not set, so the purchase orders print an "
                     "empty 收货地址. Set it for `cutoff serve` (or in cutoff.toml) and run this cutoff again: the "
                     "suppliers get a revision (修订版).")
    return ["", f"## Attention ({len(items)})", "", *items] if items else []


def _figures(summary: dict) -> list[str]:
    lines, units, fen = summary["order_lines"], summary["units"], summary["fen"]
    commission = fen.get("commission", {})
    out = [
        "", "## Figures", "",
        "| figure | value |",
        "| --- | ---: |",
        f"| listings closed | {summary['listings_closed']:,} |",
        f"| groups not formed | {summary.get('groups_not_formed', 0):,} |",
        f"| order lines eligible / allocated / cut / rejected | {lines['eligible']:,} / {lines['allocated']:,} / "
        f"{lines['cut']:,} / {lines['rejected']:,} |",
        f"| units ordered / allocated / purchased / surplus | {units['ordered']:,} / {units['allocated']:,} / "
        f"{units['purchased']:,} / {units['surplus']:,} |",
        f"| paid | {yuan(fen['paid'])} |",
        f"| net (kept) | {yuan(fen['net'])} |",
        f"| refunds owed | {yuan(fen['refund'])} |",
        f"| deposits forfeited (定金不退) | {yuan(int(fen.get('forfeit') or 0))} |",
        f"| purchase cost | {yuan(fen['purchase_cost'])} |",
    ]
    if commission:
        out.append("| commission leader / L1 / L2 / clawback | "
                   + " / ".join(yuan(int(commission.get(k) or 0)) for k in ("leader", "dist_l1", "dist_l2",
                                                                             "clawback")) + " |")
    return out


def _purchase_orders(summary: dict, rows: list[dict], calendar: str, book: str) -> list[str]:
    out = ["", f"## Purchase orders and email ({len(rows):,})", ""]
    if not rows:
        return out + ["No purchase orders: no listing of this calendar closed with allocated units."]
    counts = Counter(r["email"].split(":")[0] for r in rows)
    out += [" · ".join(f"{email_text(status)} {n:,}" for status, n in sorted(counts.items())), ""]
    first = sorted(rows, key=lambda r: (r["email"].split(":")[0] not in NEEDS_ACTION, not r["below_minimum"]))
    out += ["| supplier | name | PO | below minimum | email |", "| --- | --- | ---: | --- | --- |"]
    out += [f"| {_cell(r['supplier_id'])} | {_cell(r['name'])} | {r['po']} | "
            f"{'yes' if r['below_minimum'] else 'no'} | {_cell(email_text(r['email']))} |" for r in first[:SHOWN]]
    return out + _more(SHOWN, len(rows), f"the table artifact `{artifact_key('po-totals', calendar)}` and "
                                         f"{book}, sheet 供应商 (Suppliers)")


def _below_minimum(summary: dict, book: str) -> list[str]:
    below = [s for s in summary.get("suppliers", []) if s.get("below_minimum")]
    out = ["", f"## Suppliers below their minimum ({len(below):,})", ""]
    if not below:
        return out + ["None."]
    out += ["Their purchase orders went out with a note; decide whether to keep or cancel them.", "",
            "| supplier | name | PO | minimum | short by |", "| --- | --- | ---: | ---: | ---: |"]
    closest = sorted(below, key=lambda s: (int(s.get("min_order_fen") or 0) - int(s["po_fen"]), s["supplier_id"]))
    for s in closest[:SHOWN]:
        minimum = int(s.get("min_order_fen") or 0)
        out.append(f"| {_cell(s['supplier_id'])} | {_cell(s.get('name'))} | {yuan(int(s['po_fen']))} | "
                   f"{yuan(minimum)} | {yuan(minimum - int(s['po_fen']))} |")
    return out + _more(SHOWN, len(below), f"{book}, sheet 未达起订额 (Below minimum)")


def _rejects(summary: dict, rejects: pl.DataFrame | None, folder: str) -> list[str]:
    total = rejects.height if rejects is not None else summary["order_lines"]["rejected"]
    out = ["", f"## Rejected rows ({total:,})", ""]
    if not total:
        return out + ["None."]
    out.append(f"{summary['order_lines']['rejected']:,} rejected order row(s) of this window (the 5% limit counts "
               f"these); every rejected row with its file, row and reason: `{folder}rejects.csv`.")
    if rejects is not None and rejects.height:
        reasons = Counter(str(r).split(":")[0][:60] for r in rejects["reason"].to_list())
        out += ["", "Most frequent: " + "; ".join(f"{_cell(reason)} ({n:,})" for reason, n in reasons.most_common(3)),
                "", "| file | row | reason |", "| --- | ---: | --- |"]
        out += [f"| {_cell(r['source_file'])} | {r['row_number'] if r['row_number'] is not None else ''} | "
                f"{_cell(r['reason'])} |" for r in rejects.head(REJECTS_SHOWN).iter_rows(named=True)]
        out += _more(REJECTS_SHOWN, rejects.height, f"`{folder}rejects.csv`")
    return out


def _groups(summary: dict, unformed: pl.DataFrame | None, book: str) -> list[str]:
    total = unformed.height if unformed is not None else summary.get("groups_not_formed", 0)
    out = ["", f"## Groups not formed ({total:,})", ""]
    if not total:
        return out + ["None: every group formed."]
    if unformed is None:  # a summary alone (no run tables): the counts only
        return out + [f"The list, closest to forming first: {book}, sheet 未成团 (Groups not formed)."]
    out += ["Closest to forming first. Their orders were cut and are refunded (refunds.csv).", "",
            "| listing | product | scope | units / min | participants | short of forming |",
            "| --- | --- | --- | ---: | ---: | --- |"]
    for g in unformed.head(SHOWN).iter_rows(named=True):
        people = f"{g['participants']:,}" + (f" / {g['lowest_threshold']:,}" if g["lowest_threshold"] is not None
                                             else "")
        short = [f"{g['units_short']:,} unit(s)"] if g["units_short"] else []
        short += [f"{g['participants_short']:,} participant(s)"] if g["participants_short"] else []
        product = " ".join(x for x in (g["sku_id"], g["name"]) if x)
        out.append(f"| {_cell(g['listing_id'])} | {_cell(product)} | "
                   f"{_cell(g['group_pickup_point_id'] or 'platform')} | {g['units']:,} / {g['min_qty']:,} | "
                   f"{people} | {', '.join(short)} |")
    return out + _more(SHOWN, unformed.height, f"in {book}, sheet 未成团 (Groups not formed)")


def _pools(summary: dict, book: str) -> list[str]:
    """The stock pools the run sold from: per pool its figures, then each turn (一盘货)."""
    pools = summary.get("pools") or []
    if not pools:
        return []
    out = ["", f"## Stock pools ({len(pools):,})", ""]
    for pool in pools:
        out += [f"**{_cell(pool['pool_id'])}** ({_cell(pool['sku_id'])}): {pool['units']:,} units; earlier cutoffs "
                f"took {pool['taken_before']:,}, this one {pool['taken_now']:,}; later cutoffs' reserves hold "
                f"{pool['held_later']:,}; **{pool['left']:,} left**.", "",
                "| cutoff | listings | turn | reserve | taken |", "| --- | --- | --- | ---: | ---: |"]
        out += [f"| {t['calendar']} {t['cutoff_date']} | {_cell(', '.join(t['listings']))} | {t['position']} | "
                f"{t['reserve']:,} | {'to come' if t['taken'] is None else format(t['taken'], ',')} |"
                for t in pool["turns"]]
        out.append("")
    return out + [f"Also in {book}, sheet 一盘货 (Stock pools)."]


def render_run_markdown(summary: dict, email_results: dict[str, str] | None = None, *,
                        folder: Path | str | None = None, unformed: pl.DataFrame | None = None,
                        rejects: pl.DataFrame | None = None) -> str:
    """The run report in markdown: what ops read in the UI the morning after. `folder` is the run
    folder, `unformed` the groups not formed ranked (transforms.groups.rank_unformed_groups),
    `rejects` the run's rejected rows (file, row, reason); without them, what the summary says."""
    calendar, day = summary["calendar"], summary["cutoff_date"]
    where = f"{Path(folder).resolve()}/" if folder is not None else f"reports/{calendar}/{day}/"
    book = f"`{where}summary.xlsx`"
    rows = po_totals_table(summary, email_results)
    out = [
        f"# {calendar} cutoff {day}",
        "",
        f"Run folder: `{where}`{'' if folder is not None else ' (under the reports dir)'} (summary.xlsx, purchase/, "
        f"sorting/, handout/, commissions.xlsx, refunds.csv, rejects.csv). "
        f"Window ({summary['window']['start']}, {summary['window']['end']}].",
    ]
    out += _attention(summary, rows, where)
    out += _figures(summary)
    out += _purchase_orders(summary, rows, calendar, book)
    out += api_section(summary)
    out += _below_minimum(summary, book)
    out += _rejects(summary, rejects, where)
    out += _groups(summary, unformed, book)
    out += _pools(summary, book)
    return "\n".join(out) + "\n"


def _logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        from prefect.logging import get_run_logger
        return get_run_logger()
    except Exception:  # outside a flow or task run
        return logging.getLogger("cutoff.artifacts")


def publish_run_artifacts(summary: dict, email_results: dict[str, str] | None = None, *,
                          folder: Path | str | None = None, unformed: pl.DataFrame | None = None,
                          rejects: pl.DataFrame | None = None) -> None:
    """Create the run's markdown artifact `cutoff-<calendar>` and table artifact
    `po-totals-<calendar>`. Never raises: a failure is logged as a warning."""
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        calendar, day = summary["calendar"], summary["cutoff_date"]
        flags = [label for kind, label in (("inbox_not_ready", "inbox not ready"), ("empty_cutoff", "no order lines"))
                 if _warnings(summary, kind)]
        create_markdown_artifact(
            key=artifact_key("cutoff", calendar),
            markdown=render_run_markdown(summary, email_results, folder=folder, unformed=unformed, rejects=rejects),
            description=f"{calendar} cutoff {day}: net {yuan(summary['fen']['net'])}, "
                        f"{len(summary.get('suppliers', []))} purchase order(s)"
                        + "".join(f"; {flag.upper()}" for flag in flags))
        create_table_artifact(
            key=artifact_key("po-totals", calendar), table=po_totals_table(summary, email_results),
            description=f"{calendar} cutoff {day}: purchase-order total per supplier")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        _logger().warning("could not publish the run's artifacts (%s: %s); the run's outputs are unaffected",
                          type(exc).__name__, exc)
