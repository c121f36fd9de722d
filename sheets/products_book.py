"""products.xlsx (reports/analysis/<from>_<to>/, `cutoff report`): the product review (选品) of the
range, transforms/product_review.py. Sheet 1: every SKU ranked by margin, with its units, GMV,
cost, margin, group formation rate, repeat-customer rate and loss rate, its flag and why, and a
chart of the highest margins; sheet 2: the products to reconsider, then the stars."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from sheets.forecast_labels import forecast_labels
from sheets.spec import INT, MONEY, OWN_SHEET, PERCENT, TEXT, ChartSpec, Column, Section, SheetSpec
from sheets.writer import write_workbook
from transforms.product_review import MAX_LOSS_BP, MIN_FORMATION_BP, TOP_SHARE_BP

CHART_ROWS = 30
RATES = ("margin_rate_bp", "formation_rate_bp", "repeat_rate_bp", "loss_rate_bp")


def _pct_bp(bp: int) -> str:
    return f"{bp / 100:g}%"


def readable(review: pl.DataFrame, products: pl.DataFrame, t: dict) -> pl.DataFrame:
    """The review with names, rates as ratios for the cells and the flag and reasons in words."""
    words = {"margin": t["reason_margin"], "formation": t["reason_formation"].format(bp=_pct_bp(MIN_FORMATION_BP)),
             "loss": t["reason_loss"].format(bp=_pct_bp(MAX_LOSS_BP)),
             "slow": t["reason_slow"].format(share=_pct_bp(TOP_SHARE_BP)),
             "star": t["reason_star"].format(share=_pct_bp(TOP_SHARE_BP))}
    return (review.join(products.select("sku_id", "name", "category", "supplier_id"), on="sku_id", how="left")
            .with_columns(*[(pl.col(c) / 10_000).alias(c.removesuffix("_bp")) for c in RATES],
                          pl.col("flag").replace_strict({"star": t["flag_star"], "reconsider": t["flag_reconsider"]},
                                                        default=None).alias("flag_text"),
                          pl.col("reasons").list.eval(pl.element().replace_strict(words, default=pl.element()))
                          .list.join("；" if t["lang"] == "zh" else "; ").alias("reason_text")))


def product_columns(t: dict) -> tuple[Column, ...]:
    """商品排行: what each SKU sold and earned, its rates and flag. The counts behind the rates and the
    reasons are on the second sheet: with them the sheet was 225 width units and printed at 5.5 pt."""
    return (Column("rank", t["rank"], INT, 4), Column("sku_id", t["sku"], TEXT, 9),
            Column("name", t["name"], TEXT, 12, wrap=True), Column("category", t["category"], TEXT, 6),
            Column("supplier_id", t["supplier_id"], TEXT, 6), Column("units", t["units"], INT, 7),
            Column("gmv_fen", t["gmv"], MONEY, 11), Column("margin_fen", t["margin"], MONEY, 11),
            Column("margin_rate", t["margin_rate"], PERCENT, 6),
            Column("formation_rate", t["formation_rate"], PERCENT, 6),
            Column("repeat_rate", t["repeat_rate"], PERCENT, 6), Column("loss_rate", t["loss_rate"], PERCENT, 6),
            Column("flag_text", t["flag"], TEXT, 5))


def flag_columns(t: dict) -> tuple[Column, ...]:
    """待复盘与爆品: each flagged SKU's figures behind its flag, and why."""
    return (Column("rank", t["rank"], INT, 4), Column("sku_id", t["sku"], TEXT, 9),
            Column("name", t["name"], TEXT, 12, wrap=True), Column("cutoffs", t["cutoffs"], INT, 6),
            Column("units", t["units"], INT, 7), Column("cost_fen", t["cost"], MONEY, 11),
            Column("margin_rate", t["margin_rate"], PERCENT, 6), Column("groups", t["groups"], INT, 5),
            Column("formation_rate", t["formation_rate"], PERCENT, 6), Column("customers", t["customers"], INT, 6),
            Column("repeat_rate", t["repeat_rate"], PERCENT, 6), Column("loss_rate", t["loss_rate"], PERCENT, 6),
            Column("flag_text", t["flag"], TEXT, 5), Column("reason_text", t["reasons"], TEXT, 18, wrap=True))


def write_products_book(path: Path, review: pl.DataFrame, products: pl.DataFrame, *, span: str, lang: str,
                        created: datetime) -> None:
    """products: sku_id, name, category, supplier_id."""
    t = forecast_labels(lang)
    title = t["products_title"].format(span=span)
    frame = readable(review, products, t)
    columns = product_columns(t)
    totals = {"rank": t["total"], **{c: int(frame[c].sum()) for c in ("units", "gmv_fen", "margin_fen")}}
    ranked = SheetSpec(title=t["sheet_products"], columns=columns, frame=frame, title_line=title,
                       header=((t["span"], span),), notes=(t["products_note"],), totals=totals, landscape=True,
                       freeze_columns=3, autofilter=True,
                       # on a page of its own: below a ranking of many pages it broke over two, the
                       # repeated header printed over it
                       chart=ChartSpec(t["chart_products"].format(n=CHART_ROWS), "sku_id", "margin_fen", t["margin"],
                                       '"¥"#,##0', max_rows=CHART_ROWS, placement=OWN_SHEET,
                                       sheet_title=t["sheet_products_chart"]))
    flagged = SheetSpec(
        title=t["sheet_flags"], columns=flag_columns(t), title_line=title, header=((t["span"], span),), landscape=True,
        section_breaks=False,
        sections=(Section(frame.filter(pl.col("flag") == "reconsider"), heading=(t["flag_reconsider"],)),
                  Section(frame.filter(pl.col("flag") == "star"), heading=(t["flag_star"],))))
    write_workbook(path, [ranked, flagged], title=title, created=created)
