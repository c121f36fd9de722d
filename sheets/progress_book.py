"""progress.xlsx (`cutoff progress`, in reports/<calendar>/<D>/progress/<as-of>/): for ops, the
groups of the coming cutoff at risk first (would not form if the cutoff ran now, closest to
forming first), then the others, closest to their next tier first; a second sheet the same for
the groups of `pickup_point` listings (one per point). Made of the progress rows
(transforms/progress.py); every figure is progress.json's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from sheets.progress_labels import progress_labels
from sheets.spec import INT, MONEY, PERCENT, TEXT, Column, SheetSpec
from sheets.writer import write_workbook
from transforms.progress import at_risk_first


def _named(rows: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame, points: pl.DataFrame,
           t: dict) -> pl.DataFrame:
    return (at_risk_first(rows)
            .join(listings.select("listing_id", "sku_id").join(products.select("sku_id", pl.col("name").alias("item")),
                                                                on="sku_id", how="left").drop("sku_id"),
                  on="listing_id", how="left")
            .join(points.select("pickup_point_id", pl.col("name").alias("point_name"), "leader_name"),
                  on="pickup_point_id", how="left")
            .with_columns(pl.when(pl.col("would_form")).then(pl.lit(t["yes"])).otherwise(pl.lit(t["no"]))
                          .alias("form_text"),
                          pl.format("{} / {}", "groups_formed", "groups").alias("groups_text"),
                          # the listing over its item, the point over its leader: one wrapped column each
                          # (side by side the per-point sheet was 196 width units and printed at 6.4 pt)
                          pl.concat_str("listing_id", pl.col("item").fill_null(""), separator="\n")
                          .str.strip_chars_end().alias("listing_item"),
                          pl.concat_str(pl.concat_str("pickup_point_id", pl.col("point_name").fill_null(""),
                                                      separator=" ").str.strip_chars_end(),
                                        pl.col("leader_name").fill_null(""), separator="\n")
                          .str.strip_chars_end().alias("point_leader")))


def _figures(t: dict) -> tuple[Column, ...]:
    return (Column("units", t["units"], INT, 7), Column("participants", t["participants"], INT, 7),
            Column("form_text", t["would_form"], TEXT, 6), Column("reached", t["reached"], PERCENT, 7),
            Column("missing_units", t["missing_units"], INT, 7),
            Column("missing_participants", t["missing_participants"], INT, 7),
            Column("price_fen", t["price"], MONEY, 8), Column("next_price_fen", t["next_price"], MONEY, 8),
            Column("participants_to_next_tier", t["to_next_tier"], INT, 8),
            Column("units_to_fill_case", t["fill_case"], INT, 8), Column("units_case_cut", t["case_cut"], INT, 8),
            Column("stock_left", t["stock_left"], INT, 8), Column("pool_left", t["pool_left"], INT, 8))


def progress_sheets(rows: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame, points: pl.DataFrame,
                    header: tuple, title: str, lang: str) -> list[SheetSpec]:
    t = progress_labels(lang)
    named = _named(rows, listings, products, points, t)
    platform = named.filter(pl.col("pickup_point_id").is_null())
    at_risk = int((~platform["would_form"]).sum())
    sheets = [SheetSpec(
        title=t["sheet_groups"], title_line=title, header=(*header, (t["at_risk"], at_risk)),
        notes=(t["at_risk_note"],), frame=platform, landscape=True, freeze_columns=1, autofilter=True, footer=title,
        columns=(Column("listing_item", t["listing_item"], TEXT, 20, wrap=True), *_figures(t)))]
    per_point = named.filter(pl.col("pickup_point_id").is_not_null())
    if per_point.height:
        sheets.append(SheetSpec(
            title=t["sheet_points"], title_line=title, header=header, notes=(t["at_risk_note"],), frame=per_point,
            landscape=True, freeze_columns=2, autofilter=True, footer=title,
            columns=(Column("listing_item", t["listing_item"], TEXT, 16, wrap=True),
                     Column("point_leader", t["point_leader"], TEXT, 12, wrap=True),
                     *_figures(t))))
    return sheets


def write_progress_book(path: Path, rows: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame,
                        points: pl.DataFrame, *, run: str, cutoff_text: str, as_of_text: str, lines: int,
                        lang: str, created: datetime) -> None:
    t = progress_labels(lang)
    title = t["title"].format(run=run, as_of=as_of_text)
    header = ((t["run"], run), (t["cutoff"], cutoff_text), (t["as_of"], as_of_text), (t["inbox"], lines))
    write_workbook(path, progress_sheets(rows, listings, products, points, header, title, lang), title=title,
                   created=created)
