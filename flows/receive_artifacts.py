"""What a goods-in run shows in the Prefect UI: a markdown artifact `receive-<calendar>` (its
figures, the suppliers by status) and a table artifact `receive-suppliers-<calendar>` (status,
units short and payable per supplier). Keyed per calendar: the latest run, and the earlier ones as
its history. Publishing never fails a run."""

from __future__ import annotations

import logging

from flows.artifacts import artifact_key
from transforms.money import fen_to_yuan_display


def _yuan(fen: int | None) -> str:
    """¥87,239.30; a negative amount -¥11.46 (as the command line prints it)."""
    return fen_to_yuan_display(int(fen or 0))


def render_receive_markdown(summary: dict) -> str:
    lines, units, fen = summary["purchase_lines"], summary["units"], summary["fen"]
    receipts = summary.get("receipts", {})
    out = [
        f"# goods-in {summary['calendar']} {summary['cutoff_date']}",
        "",
        f"Files: `reports/{summary['calendar']}/{summary['cutoff_date']}/receiving/` under the reports dir.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| receipts applied / rejected | {receipts.get('applied', 0):,} / {receipts.get('rejected', 0):,} |",
        f"| purchase lines pending / complete / short | {lines['pending']:,} / {lines['complete']:,} / "
        f"{lines['short']:,} |",
        f"| units purchased / received / damaged / good | {units['purchased']:,} / {units['received']:,} / "
        f"{units['damaged']:,} / {units['good']:,} |",
        f"| units short / over / payable | {units['short']:,} / {units['over']:,} / {units['payable']:,} |",
        f"| order lines short | {summary.get('order_lines_short', 0):,} |",
        f"| shortage refunds | {_yuan(fen['short_refund'])} |",
        f"| commission clawed back | {_yuan(fen['clawback'])} |",
        f"| payable to suppliers | {_yuan(fen['payable'])} |",
    ]
    if summary.get("adjustment_week"):
        out.append(f"| adjustments dated in (the cutoff's week is settled) | {summary['adjustment_week']} |")
    files = summary.get("files", {})
    revised = [*files.get("sorting", []), *files.get("handout", [])]
    out += ["", f"## Re-issued sheets (修订版) ({len(revised)})", ""]
    out += [f"- `{name}`" for name in revised] or ["None: no shortage changed a sorting sheet or handout list."]
    return "\n".join(out) + "\n"


def supplier_table(summary: dict) -> list[dict]:
    return [{"supplier_id": s["supplier_id"], "status": s["status"], "units_short": int(s["units_short"]),
             "payable_fen": int(s["payable_fen"]), "payable": _yuan(s["payable_fen"])}
            for s in summary.get("suppliers", [])]


def publish_receive_artifacts(summary: dict) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        calendar, day = summary["calendar"], summary["cutoff_date"]
        lines = summary["purchase_lines"]
        create_markdown_artifact(
            key=artifact_key("receive", calendar), markdown=render_receive_markdown(summary),
            description=f"goods-in {calendar} {day}: {lines['short']} short, {lines['pending']} pending, "
                        f"payable {_yuan(summary['fen']['payable'])}")
        create_table_artifact(key=artifact_key("receive-suppliers", calendar), table=supplier_table(summary),
                              description=f"goods-in {calendar} {day}: status and payable per supplier")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        try:
            from prefect.logging import get_run_logger
            logger = get_run_logger()
        except Exception:
            logger = logging.getLogger("cutoff.artifacts")
        logger.warning("could not publish the goods-in run's artifacts (%s: %s); its outputs are unaffected",
                       type(exc).__name__, exc)
