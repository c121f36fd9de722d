"""The supplier's 明日预估 workbook (attached to its purchase-order email, mail/estimates.py): from
the latest forecast (`cutoff forecast`), its SKUs' expected units of tomorrow's nightly cutoff
(P10, P50, P90) and cases as it packs them, then the expected units of the days after. A
non-binding estimate, and it says so at the top."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from sheets.forecast_labels import forecast_labels
from sheets.spec import DECIMAL, INT, TEXT, Column, SheetSpec
from sheets.writer import write_workbook


def estimate_frame(rows: pl.DataFrame, products: pl.DataFrame, day: date) -> tuple[pl.DataFrame, list[date]]:
    """One row per SKU of the supplier: tomorrow's figures, and `d<i>` the P50 of each later date."""
    skus = rows.filter(pl.col("level") == "sku")
    first = skus.filter(pl.col("cutoff_date") == day)
    later = sorted(d for d in skus["cutoff_date"].unique().to_list() if d > day)
    frame = first.join(products.select("sku_id", "name", "spec", "unit", "case_pack"), on="sku_id", how="left")
    for i, other in enumerate(later):  # the days after, an outlook: whole units
        frame = frame.join(skus.filter(pl.col("cutoff_date") == other).select(
            "sku_id", pl.col("units_p50").round(0).cast(pl.Int64).alias(f"d{i}")), on="sku_id", how="left")
    return frame.sort("units_p50", "sku_id", descending=[True, False]), later


def write_estimate_book(path: Path, rows: pl.DataFrame, products: pl.DataFrame, *, supplier: str, day: date,
                        made_for: date, lang: str) -> None:
    """rows: the supplier's forecast rows (sku level, its dates from `day`)."""
    t = forecast_labels(lang)
    frame, later = estimate_frame(rows, products, day)
    title = t["mail_title"].format(supplier=supplier, day=day.isoformat())
    columns = (Column("sku_id", t["sku"], TEXT, 9), Column("name", t["name"], TEXT, 12, wrap=True),
               Column("spec", t["spec"], TEXT, 8, 16), Column("unit", t["unit"], TEXT, 4),
               Column("case_pack", t["case_pack"], INT, 5), Column("units_p10", t["p10"], DECIMAL, 8),
               Column("units_p50", t["p50"], DECIMAL, 9), Column("units_p90", t["p90"], DECIMAL, 8),
               Column("cases_p50", t["cases_p50"], INT, 7),
               *[Column(f"d{i}", other.strftime("%m-%d"), INT, 6) for i, other in enumerate(later)])
    # P50s add up; a P10 or P90 of the SKUs summed is no P10 or P90 of the total (forecast.xlsx leaves
    # them blank too)
    totals = {"sku_id": t["total"], "units_p50": float(frame["units_p50"].fill_null(0).sum()),
              "cases_p50": int(frame["cases_p50"].sum()),
              **{f"d{i}": int(frame[f"d{i}"].fill_null(0).sum()) for i in range(len(later))}}
    header = ((t["supplier_id"], supplier), (t["mail_tomorrow"], day.isoformat()),
              (t["mail_made"], made_for.isoformat()))
    sheet = SheetSpec(title=t["mail_sheet"], columns=columns, frame=frame, title_line=title, header=header,
                      notes=(t["mail_note"],), totals=totals, landscape=True, freeze_columns=2,
                      footer=f"{title} · {t['mail_footer']}")  # the note cut at 20 characters ended mid-word
    write_workbook(path, [sheet], title=title, created=datetime.combine(made_for, datetime.min.time()))
