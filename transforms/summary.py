"""The figures of a run (`summary.json`), computed from its frames. Keys per the contract."""

from __future__ import annotations

import polars as pl

from transforms.money import fen_to_yuan_text
from transforms.windows import CutoffWindow

COMMISSION_KEYS = ("leader", "dist_l1", "dist_l2", "clawback")


def _total(frame: pl.DataFrame, column: str) -> int:
    return int(frame[column].sum() or 0) if frame.height else 0


def summarize_cutoff(window: CutoffWindow, closing: pl.DataFrame, allocations: pl.DataFrame,
                     groups: pl.DataFrame, purchase_lines: pl.DataFrame, supplier_totals: pl.DataFrame,
                     rejected: int, commission: dict[str, int] | None = None,
                     pools: list[dict] | None = None) -> dict:
    """The run's figures. `pools`: the stock pools the run sold from (`transforms.pools.pool_report`)."""
    commission = {key: int((commission or {}).get(key, 0)) for key in COMMISSION_KEYS}
    suppliers = [
        {"supplier_id": row["supplier_id"], "name": row["name"], "po_fen": int(row["po_fen"]),
         "file": f"purchase/{row['supplier_id']}.xlsx", "below_minimum": bool(row["below_minimum"]),
         "min_order_fen": int(row["min_order_fen"] or 0), "email": ""}
        for row in supplier_totals.iter_rows(named=True)]
    not_formed = groups.filter(~pl.col("is_formed")) if groups.height else groups
    warnings = [
        f"below_supplier_minimum: {s['supplier_id']} purchase order {fen_to_yuan_text(s['po_fen'])} < "
        f"minimum {fen_to_yuan_text(s['min_order_fen'])}" for s in suppliers if s["below_minimum"]]
    warnings += [
        f"group_not_formed: {row['listing_id']}"
        + (f" at {row['group_pickup_point_id']}" if row["group_pickup_point_id"] else "")
        + f" ({row['units']} units of min {row['min_qty']}, {row['participants']} participants"
        + (f" of {row['lowest_threshold']}" if row["lowest_threshold"] is not None else "") + ")"
        for row in not_formed.iter_rows(named=True)]
    return {
        "calendar": window.calendar,
        "cutoff_date": window.cutoff_date.isoformat(),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "listings_closed": closing.height,
        "groups_not_formed": not_formed.height,
        "order_lines": {
            "eligible": allocations.height,
            "allocated": allocations.filter(pl.col("qty_allocated") > 0).height,
            "cut": allocations.filter(pl.col("qty_cut") > 0).height,
            "rejected": rejected,
        },
        "units": {
            "ordered": _total(allocations, "qty"),
            "allocated": _total(allocations, "qty_allocated"),
            "purchased": _total(purchase_lines, "units_purchased"),
            "surplus": _total(purchase_lines, "surplus_units"),
        },
        "fen": {
            "paid": _total(allocations, "paid_fen"),
            "net": _total(allocations, "net_fen"),
            "refund": _total(allocations, "refund_fen"),
            "forfeit": _total(allocations, "forfeit_fen"),
            "purchase_cost": _total(purchase_lines, "cost_fen"),
            "commission": commission,
        },
        "suppliers": suppliers,
        "categories": sales_by_category(allocations),
        "pools": list(pools or []),
        "warnings": warnings,
    }


def sales_by_category(allocations: pl.DataFrame) -> list[dict]:
    """Per product category with units allocated: the units and the net sales (fen), the largest
    net sales first (summary.xlsx's category sheet, in figures; the national roll-up adds them up)."""
    if allocations.height == 0:
        return []
    by_category = (
        allocations.group_by("category")
        .agg(pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"),
             pl.col("net_fen").sum().cast(pl.Int64).alias("net_fen"))
        .filter(pl.col("units") > 0)
        .sort(["net_fen", "category"], descending=[True, False], nulls_last=True)
    )
    return [{"category": row["category"], "units": int(row["units"]), "net_fen": int(row["net_fen"])}
            for row in by_category.iter_rows(named=True)]


def refunds_owed(allocations: pl.DataFrame) -> pl.DataFrame:
    """refunds.csv: what is owed back to each customer. The reason is the line's cut reason, or
    `tier_price` when only the tier price difference is owed."""
    return (
        allocations.filter(pl.col("refund_fen") > 0)
        .select("order_id", "line_no", "customer_id", "refund_fen",
                pl.col("cut_reason").fill_null("tier_price").alias("reason"))
        .sort("order_id", "line_no")
    )


def empty_cutoff_warnings(summary: dict) -> list[str]:
    """A cutoff with no eligible order line is almost always a missing or broken export."""
    if summary["order_lines"]["eligible"]:
        return []
    return [f"empty_cutoff: no paid order line belongs to this cutoff ({summary['listings_closed']} listing(s) "
            f"closed, {summary['order_lines']['rejected']} rejected row(s)); almost always a missing or broken "
            f"order export: check inbox/orders, then rerun"]


def with_email_results(summary: dict, statuses: dict[str, str], errors: dict[str, str]) -> dict:
    """The summary after the email stage (a new dict): each supplier's `email` status (one of
    mail/record.py STATUSES; empty for a supplier not in `statuses`) and an `email_failed` warning
    for each supplier whose purchase order was not emailed, in supplier order."""
    suppliers = [{**supplier, "email": statuses.get(supplier["supplier_id"], "")} for supplier in summary["suppliers"]]
    failed = [f"email_failed: {supplier_id} not emailed: {error}" for supplier_id, error in sorted(errors.items())]
    return {**summary, "suppliers": suppliers, "warnings": [*summary["warnings"], *failed]}
