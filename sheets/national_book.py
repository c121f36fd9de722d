"""national.xlsx: the national roll-up of one cutoff (`cutoff national`), from the national
summary.json. Sheets: every region's figures (the totals row is the national totals, a bar chart
of net sales by region, the regions not completed in red with the rerun command), the suppliers
across the regions, and the categories across the regions (with a chart)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from sheets.national_labels import national_labels
from sheets.spec import INT, MONEY, OWN_SHEET, TEXT, ChartSpec, Column, SheetSpec
from sheets.writer import write_workbook

REGION_FIGURES = (  # (column key, label key, path in a summary, kind)
    ("lines_eligible", "lines_eligible", ("order_lines", "eligible"), INT),
    ("lines_allocated", "lines_allocated", ("order_lines", "allocated"), INT),
    ("lines_cut", "lines_cut", ("order_lines", "cut"), INT),
    ("lines_rejected", "lines_rejected", ("order_lines", "rejected"), INT),
    ("units_ordered", "units_ordered", ("units", "ordered"), INT),
    ("units_allocated", "units_allocated", ("units", "allocated"), INT),
    ("units_purchased", "units_purchased", ("units", "purchased"), INT),
    ("units_surplus", "units_surplus", ("units", "surplus"), INT),
    ("fen_paid", "fen_paid", ("fen", "paid"), MONEY),
    ("fen_net", "fen_net", ("fen", "net"), MONEY),
    ("fen_refund", "fen_refund", ("fen", "refund"), MONEY),
    ("fen_purchase_cost", "fen_purchase_cost", ("fen", "purchase_cost"), MONEY),
)
COMMISSION_KEYS = ("leader", "dist_l1", "dist_l2", "clawback")


def _figure(figures: dict | None, path: tuple[str, ...]) -> int | None:
    value = figures
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return int(value) if isinstance(value, int) else None


def _commission(figures: dict | None) -> int | None:
    """The commission of a summary, all roles, clawbacks (negative) included."""
    if figures is None:
        return None
    parts = (figures.get("fen") or {}).get("commission") or {}
    return sum(int(parts.get(key) or 0) for key in COMMISSION_KEYS)


def _row(figures: dict | None) -> dict:
    row = {key: _figure(figures, path) for key, _, path, _ in REGION_FIGURES}
    row["fen_commission"] = _commission(figures)
    return row


def regions_frame(summary: dict, t: dict[str, str]) -> pl.DataFrame:
    """One row per region (file order): id, status, its figures (empty when not completed), reason."""
    rows = []
    for region in summary["regions"]:
        done = region["status"] == "completed"
        figures = {key: region.get(key) for key in ("order_lines", "units", "fen")} if done else None
        rows.append({"region_id": region["region_id"], "status": t["status_completed" if done else "status_failed"],
                     **_row(figures), "reason": region.get("reason")})
    schema = {"region_id": pl.String, "status": pl.String, **{key: pl.Int64 for key, *_ in REGION_FIGURES},
              "fen_commission": pl.Int64, "reason": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _joined(regions: list[str]) -> str:
    return ", ".join(regions)


def national_sheets(summary: dict, lang: str) -> list[SheetSpec]:
    t = national_labels(lang)
    run = f"{t.get('calendar_' + summary['calendar'], summary['calendar'])} {summary['cutoff_date']}"
    title = t["title"].format(run=run)
    failed = summary["failed"]
    total = len(summary["regions"])
    header = ((t["run"], run), (t["regions_count"], t["regions_count_value"].format(
        total=total, completed=total - len(failed), failed=len(failed))))
    reasons = {r["region_id"]: r.get("reason") or "" for r in summary["regions"]}
    notes = tuple(t["failed_note"].format(region=r, reason=reasons[r]) for r in failed)
    if failed:
        notes += (t["rerun_note"].format(regions=",".join(failed)),)

    # two sheets of the regions' figures, each readable on landscape A4: lines, net sales and commission
    # with the status and reason; then units and the other money (docs/sheets.md)
    frame = regions_frame(summary, t)
    figures = {key: (label, kind) for key, label, _, kind in REGION_FIGURES}
    totals = {"region_id": t["total"], **_row(summary["totals"])}

    def figure(key: str) -> Column:
        label, kind = figures[key]
        return Column(key, t[label], kind, 12 if kind == MONEY else 8)

    regions = SheetSpec(
        title=t["sheet_regions"], title_line=title, header=header, notes=notes, frame=frame,
        columns=(Column("region_id", t["region"], TEXT, 10), Column("status", t["status"], TEXT, 8),
                 *(figure(key) for key in ("lines_eligible", "lines_allocated", "lines_cut", "lines_rejected",
                                           "fen_net")),
                 Column("fen_commission", t["fen_commission"], MONEY, 12),
                 Column("reason", t["reason"], TEXT, 30, wrap=True)),
        totals=totals, landscape=True, freeze_columns=2, footer=title,
        chart=ChartSpec(t["chart_regions"], "region_id", "fen_net", placement=OWN_SHEET,
                        sheet_title=t["sheet_chart_regions"]))
    region_figures = SheetSpec(
        title=t["sheet_region_figures"], title_line=title, header=header, frame=frame,
        columns=(Column("region_id", t["region"], TEXT, 10), Column("status", t["status"], TEXT, 8),
                 *(figure(key) for key in ("units_ordered", "units_allocated", "units_purchased", "units_surplus",
                                           "fen_paid", "fen_refund", "fen_purchase_cost"))),
        totals=totals, landscape=True, freeze_columns=2, footer=title)

    supplier_rows = pl.DataFrame(
        [{"supplier_id": s["supplier_id"], "name": s["name"], "regions": _joined(s["regions"]),
          "purchase_orders": s["purchase_orders"], "below_minimum": s["below_minimum"], "po_fen": s["po_fen"]}
         for s in summary.get("suppliers", [])],
        schema={"supplier_id": pl.String, "name": pl.String, "regions": pl.String, "purchase_orders": pl.Int64,
                "below_minimum": pl.Int64, "po_fen": pl.Int64})
    suppliers = SheetSpec(
        title=t["sheet_suppliers"], title_line=title, header=header, frame=supplier_rows,
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10), Column("name", t["supplier_name"], TEXT, 16, 40),
                 Column("regions", t["regions"], TEXT, 24, wrap=True),
                 Column("purchase_orders", t["purchase_orders"], INT, 8),
                 Column("below_minimum", t["below_minimum"], INT, 8), Column("po_fen", t["po_amount"], MONEY, 14)),
        landscape=True, empty_text=t["none"],
        totals={"supplier_id": t["total"], "purchase_orders": int(supplier_rows["purchase_orders"].sum() or 0),
                "below_minimum": int(supplier_rows["below_minimum"].sum() or 0),
                "po_fen": int(supplier_rows["po_fen"].sum() or 0)},
        footer=title)

    category_rows = pl.DataFrame(
        [{"category": c["category"], "regions": _joined(c["regions"]), "units": c["units"], "net_fen": c["net_fen"]}
         for c in summary.get("categories", [])],
        schema={"category": pl.String, "regions": pl.String, "units": pl.Int64, "net_fen": pl.Int64})
    categories = SheetSpec(
        title=t["sheet_categories"], title_line=title, header=header, frame=category_rows,
        columns=(Column("category", t["category"], TEXT, 12), Column("regions", t["regions"], TEXT, 30, wrap=True),
                 Column("units", t["units"], INT, 10), Column("net_fen", t["net_sales"], MONEY, 14)),
        totals={"category": t["total"], "units": int(category_rows["units"].sum() or 0),
                "net_fen": int(category_rows["net_fen"].sum() or 0)},
        chart=ChartSpec(t["chart_categories"], "category", "net_fen"), footer=title, empty_text=t["none"])
    return [regions, region_figures, suppliers, categories]


def write_national_book(path: Path, summary: dict, lang: str) -> None:
    """national.xlsx at `path` (written aside and renamed into place)."""
    day = date.fromisoformat(summary["cutoff_date"])
    t = national_labels(lang)
    run = f"{t.get('calendar_' + summary['calendar'], summary['calendar'])} {day.isoformat()}"
    write_workbook(path, national_sheets(summary, lang), title=t["title"].format(run=run))
