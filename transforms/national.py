"""The national roll-up (docs/regions.md, "The roll-up"): the regions' cutoffs of one calendar and
date, each from its own `summary.json`, added up.

- A region ran by this run is `completed` when its flow run completed (its figures are its
  summary.json's), else `failed` with the reason its run gave.
- A region not ran this time (`--only` named others) keeps what the last roll-up said of it: a
  failed region stays failed until it is rerun; otherwise its stored summary.json of this cutoff
  counts, and without one it is failed ("not run").
- `totals` sums `order_lines`, `units` and `fen` (nested, key by key) over the completed regions
  only; `failed` lists the other regions, in file order.
- Across the completed regions: `suppliers` (per supplier id and name: the regions it delivers to,
  its purchase orders and their total) and `categories` (per category: units allocated and net
  sales; from the regions' summaries that carry categories).

Plain values in, plain values out: no file, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COMPLETED, FAILED = "completed", "failed"
FIGURES = ("order_lines", "units", "fen")
ZERO_TOTALS = {  # the contract's figures of a summary.json, each 0: the totals of no region
    "order_lines": {"eligible": 0, "allocated": 0, "cut": 0, "rejected": 0},
    "units": {"ordered": 0, "allocated": 0, "purchased": 0, "surplus": 0},
    "fen": {"paid": 0, "net": 0, "refund": 0, "forfeit": 0, "purchase_cost": 0,
            "commission": {"leader": 0, "dist_l1": 0, "dist_l2": 0, "clawback": 0}},
}


@dataclass(frozen=True)
class RegionOutcome:
    """What became of one region's cutoff. `summary` is its summary.json when completed; `state`,
    `flow_run_id` and `seconds` describe its flow run ("" and None when it was not run this time
    and the last roll-up did not say)."""

    region_id: str
    status: str
    summary: dict | None = None
    reason: str = ""
    state: str = ""
    flow_run_id: str = ""
    seconds: float | None = None


def _matches(summary: dict | None, calendar: str, cutoff_date: str) -> bool:
    return bool(summary) and summary.get("calendar") == calendar and summary.get("cutoff_date") == cutoff_date


def settle_outcome(region_id: str, calendar: str, cutoff_date: str, ran: RegionOutcome | None,
                   stored: dict | None, previous: dict | None) -> RegionOutcome:
    """The outcome of one region for the roll-up: `ran` (this run's, None when not run now), its
    `stored` summary.json of this cutoff (None when absent) and its entry in the `previous` national
    summary (None when there is none)."""
    if ran is not None:
        if ran.status != COMPLETED:
            return ran
        if not _matches(stored, calendar, cutoff_date):
            return RegionOutcome(region_id, FAILED, None, "its run completed but left no summary.json of this "
                                 "cutoff in its reports dir", ran.state, ran.flow_run_id, ran.seconds)
        return RegionOutcome(region_id, COMPLETED, stored, "", ran.state, ran.flow_run_id, ran.seconds)
    previous = previous or {}
    before = (previous.get("state") or "", previous.get("flow_run_id") or "", previous.get("seconds"))
    if previous.get("status") == FAILED:
        return RegionOutcome(region_id, FAILED, None, previous.get("reason") or "failed in an earlier run", *before)
    if _matches(stored, calendar, cutoff_date):
        return RegionOutcome(region_id, COMPLETED, stored, "", *before)
    return RegionOutcome(region_id, FAILED, None, "not run: no summary.json of this cutoff in its reports dir")


def add_figures(total: dict, figures: dict) -> dict:
    """`total` + `figures`, key by key, nested (a new dict); a key missing on one side counts 0."""
    out = dict(total)
    for key, value in figures.items():
        if isinstance(value, dict):
            out[key] = add_figures(out.get(key) or {}, value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = int(out.get(key) or 0) + value
    return out


def sum_regions(summaries: Iterable[dict]) -> dict:
    """{"order_lines": ..., "units": ..., "fen": ...}: each summed over `summaries`, key by key (the
    contract's keys always there, 0 without regions; any other integer figure added as well)."""
    totals = {key: dict(value) for key, value in ZERO_TOTALS.items()}  # never the module's dict itself
    for summary in summaries:
        for key in FIGURES:
            totals[key] = add_figures(totals[key], summary.get(key) or {})
    return totals


def suppliers_across(outcomes: list[RegionOutcome]) -> list[dict]:
    """Per (supplier_id, name) over the completed regions: the regions, purchase orders, their
    total and how many were below the supplier's minimum; the largest total first."""
    rows: dict[tuple[str, str], dict] = {}
    for outcome in outcomes:
        for supplier in (outcome.summary or {}).get("suppliers", []):
            key = (str(supplier.get("supplier_id")), str(supplier.get("name") or ""))
            row = rows.setdefault(key, {"supplier_id": key[0], "name": key[1], "regions": [], "purchase_orders": 0,
                                        "po_fen": 0, "below_minimum": 0})
            row["regions"].append(outcome.region_id)
            row["purchase_orders"] += 1
            row["po_fen"] += int(supplier.get("po_fen") or 0)
            row["below_minimum"] += bool(supplier.get("below_minimum"))
    return sorted(rows.values(), key=lambda r: (-r["po_fen"], r["supplier_id"], r["name"]))


def categories_across(outcomes: list[RegionOutcome]) -> list[dict]:
    """Per category over the completed regions: units allocated, net sales and the regions; the
    largest net sales first."""
    rows: dict[str, dict] = {}
    for outcome in outcomes:
        for category in (outcome.summary or {}).get("categories", []):
            name = str(category.get("category"))
            row = rows.setdefault(name, {"category": name, "regions": [], "units": 0, "net_fen": 0})
            row["regions"].append(outcome.region_id)
            row["units"] += int(category.get("units") or 0)
            row["net_fen"] += int(category.get("net_fen") or 0)
    return sorted(rows.values(), key=lambda r: (-r["net_fen"], r["category"]))


def region_entry(outcome: RegionOutcome) -> dict:
    """A region in the national summary: its status and its summary's figures (null when failed)."""
    figures = {key: (outcome.summary or {}).get(key) if outcome.status == COMPLETED else None for key in FIGURES}
    return {"region_id": outcome.region_id, "status": outcome.status, **figures,
            "reason": outcome.reason or None, "state": outcome.state or None,
            "flow_run_id": outcome.flow_run_id or None, "seconds": outcome.seconds}


def national_summary(calendar: str, cutoff_date: str, outcomes: list[RegionOutcome]) -> dict:
    """The national summary.json (contract: calendar, cutoff_date, regions, failed, totals; then
    suppliers and categories across the regions)."""
    completed = [o for o in outcomes if o.status == COMPLETED]
    return {
        "calendar": calendar,
        "cutoff_date": cutoff_date,
        "regions": [region_entry(o) for o in outcomes],
        "failed": [o.region_id for o in outcomes if o.status != COMPLETED],
        "totals": sum_regions(o.summary or {} for o in completed),
        "suppliers": suppliers_across(completed),
        "categories": categories_across(completed),
    }
