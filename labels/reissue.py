"""The labels a goods-in run re-issues (修订版) under `receiving/labels/`, beside the re-issued
sheets: the crate labels of every route a shortage changed (the crates of its points after the
shortage) and the household labels of every pickup point where a line gives up units (an order
that gives up everything has no label). The codes are the cutoff's: the same QR codes. The foot
line of each label says 修订版. docs/labels.md."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from labels.qr_images import qr_image_operators
from labels.run_labels import LabelOptions, pickup_symbols, write_crates, write_households
from labels.words import words_for
from transforms.crates import prepare_crates
from transforms.households import prepare_households
from transforms.reissue import RevisedRoute, changed_points, hand_out_after_shortages


def write_reissued_labels(folder: Path, options: LabelOptions, lang: str, run_text: str, allocations: pl.DataFrame,
                          shortages: pl.DataFrame, pickup_points: pl.DataFrame, products: pl.DataFrame,
                          categories: pl.DataFrame, routes: list[RevisedRoute]) -> list[str]:
    """Write the re-issued labels under `folder`; returns their names (labels/<file>)."""
    text = f"{run_text} · {words_for(lang)['revised']}"
    units = [r.route.units.select("pickup_point_id", "sku_id", "units") for r in routes if r.route.units.height]
    crates = prepare_crates(pl.concat(units), pickup_points, products, categories, options.crate_units) if units \
        else pl.DataFrame()
    write_crates(folder, options, lang, text, crates)
    lines = (hand_out_after_shortages(allocations, shortages)
             .filter(pl.col("pickup_point_id").is_in(changed_points(shortages)))
             .with_columns(pl.col("units_out").alias("units")))
    orders, items = prepare_households(lines, products)
    ops = qr_image_operators(pickup_symbols(options, orders.select("pickup_point_id", "order_id")))
    by_order = dict(zip(orders["order_id"].to_list(), ops, strict=True))
    names = dict(zip(pickup_points["pickup_point_id"].to_list(), pickup_points["name"].to_list(), strict=True))
    write_households(folder, options, lang, text, [
        (frame, items.filter(pl.col("pickup_point_id") == point), by_order, names.get(point) or "")
        for (point,), frame in orders.partition_by("pickup_point_id", as_dict=True, maintain_order=True).items()])
    return sorted(f"labels/{p.name}" for p in folder.glob("*.pdf")) if folder.is_dir() else []
