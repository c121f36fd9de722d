"""A run's labels and pickup codes, written by the workbook workers beside the books
(sheets/run_books.py): the QR codes of a batch of pickup points' orders made once and used twice,
as the handout lists' pictures and on the household labels; the crate labels of a batch of routes.
docs/labels.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from labels.crate_labels import write_crate_labels
from labels.household_labels import write_household_labels
from labels.pdf import page_size
from labels.qr import ALNUM, BYTE, encode_values, qr_batches
from labels.qr_images import qr_image_operators, qr_pngs
from labels.truetype import load_font
from schemas.columns import ID_PATTERN
from transforms.pickup_codes import PREFIX, base32_values, code_payloads

# Pickup codes are drawn with one mask: choosing each code's mask (the standard's penalty, 8 masks
# tried) costs ~0.2 ms a code, 100 s at 1M order lines. Their data are a keyed hash, so all masks
# score alike (measured on 4,000 codes, mean penalty per mask: 1126 1151 1101 1137 1155 1207 1130
# 1196): mask 2 is the lowest. Any reader reads any mask (the format bits say which). The crate
# labels' codes (pickup point ids, ~5,000 a run) get it too: the same picture for a point every time.
PICKUP_MASK = 2
QR_SIDE = 34.0  # points: the picture of a code on the handout list (~12 mm; a module ~0.4 mm)
ROW_HEIGHT = 15.0
PICTURE_KEYS = ("qr", "qr_png", "qr_height")  # the handout frame's columns: the cell, the PNG, the row height


@dataclass(frozen=True)
class LabelOptions:
    """What the workers need for a run's labels and codes (plain values: they are pickled)."""

    key: bytes
    size: str          # CUTOFF_LABEL_SIZE
    crate_units: int   # CUTOFF_CRATE_UNITS
    calendar: str
    cutoff_date: date


def _alnum_values(payloads: np.ndarray) -> np.ndarray:
    """A code's characters as QR alphanumeric values: the prefix, then base32 (A-Z: 10-35, 2-7: 2-7)."""
    digits = base32_values(payloads)
    values = np.where(digits < 26, digits + 10, digits - 24).astype(np.uint8)
    prefix = np.array([int(c, 36) for c in PREFIX], dtype=np.uint8)
    return np.concatenate([np.broadcast_to(prefix, (len(values), len(prefix))), values], axis=1)


def pickup_symbols(options: LabelOptions, orders: pl.DataFrame) -> np.ndarray:
    """The QR symbols of the codes of `orders` (pickup_point_id, order_id), in order."""
    if orders.height == 0:
        return np.zeros((0, 21, 21), dtype=bool)
    payloads = code_payloads(options.key, options.calendar, options.cutoff_date, orders)
    return encode_values(_alnum_values(payloads), ALNUM, PICKUP_MASK)


def handout_pictures(options: LabelOptions, handouts: list[tuple[str, pl.DataFrame]]) -> tuple[list, list]:
    """For the handout lists of a batch (pickup_point_id, rows in print order): each list's rows with
    its orders' QR pictures (`qr_png` on each order's first row, the row that prints its id; `qr` the
    cell under it, empty; `qr_height` that row's height, so the order's rows together are at least
    as tall as the picture), and each list's QR codes as PDF images by order id (its household
    labels). One query and one batch of codes for the whole batch of lists."""
    if not handouts:
        return [], []
    stacked = pl.concat([lines.with_columns(pl.lit(number, pl.Int64).alias("_list"), pl.lit(point).alias("_point"))
                         for number, (point, lines) in enumerate(handouts)], how="vertical_relaxed")
    head = pl.col("order_id").is_not_null()
    stacked = stacked.with_columns(head.alias("_head"), head.cast(pl.Int64).cum_sum().alias("_order"))
    heads = stacked.filter("_head").select(pl.col("_point").alias("pickup_point_id"), "order_id", "_list")
    symbols = pickup_symbols(options, heads)
    pngs, ops = qr_pngs(symbols), qr_image_operators(symbols)
    rows = pl.len().over("_order")
    height = pl.max_horizontal(pl.lit(ROW_HEIGHT), pl.lit(QR_SIDE + 3) - (rows - 1) * ROW_HEIGHT)
    pictures = pl.DataFrame({"_order": pl.int_range(1, len(pngs) + 1, eager=True),
                             "qr_png": pl.Series(pngs, dtype=pl.Binary)})
    pictured = (stacked.join(pictures, on="_order", how="left", maintain_order="left")
                .with_columns(pl.lit(None, pl.String).alias("qr"),
                              pl.when(pl.col("_head")).then(pl.col("qr_png")).alias("qr_png"),
                              pl.when(pl.col("_head") & (height > ROW_HEIGHT))
                              .then(height.round(1).cast(pl.String)).alias("qr_height")))
    by_list = pictured.partition_by("_list", as_dict=True, include_key=False, maintain_order=True)
    helpers = ["_point", "_head", "_order"]
    out_lines = [by_list[(n,)].drop(helpers) if (n,) in by_list else lines.clear()
                 for n, (_, lines) in enumerate(handouts)]
    ends = np.searchsorted(heads["_list"].to_numpy(), np.arange(1, len(handouts) + 1)).tolist()  # heads: by list
    order_ids = heads["order_id"].to_list()
    out_ops = [dict(zip(order_ids[start:end], ops[start:end], strict=True))
               for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    return out_lines, out_ops


def label_path(folder: Path, prefix: str, file_id: str) -> Path:
    """`folder/<prefix>-<file_id>.pdf` for a validated id (no input text chooses where a file goes)."""
    if not re.fullmatch(ID_PATTERN, file_id):
        raise ValueError(f"refusing to name a label file after {file_id!r}: ids match {ID_PATTERN}")
    return folder / f"{prefix}-{file_id}.pdf"


def write_households(folder: Path, options: LabelOptions, lang: str, cutoff_text: str,
                     points: list[tuple[pl.DataFrame, pl.DataFrame, dict[str, str], str]]) -> int:
    """households-<point>.pdf for each (orders, items, QR images by order id, point name)."""
    points = [p for p in points if p[0].height]
    if not points:
        return 0
    orders = pl.concat([o for o, _, _, _ in points])
    items = pl.concat([i for _, i, _, _ in points])
    ops = [op for o, _, by_order, _ in points for op in (by_order[order] for order in o["order_id"].to_list())]
    names = {o["pickup_point_id"][0]: name for o, _, _, name in points}
    folder.mkdir(parents=True, exist_ok=True)
    return len(write_household_labels(folder, orders, items, ops, page_size(options.size), load_font(), lang,
                                      cutoff_text, names))


def write_crates(folder: Path, options: LabelOptions, lang: str, cutoff_text: str, crates: pl.DataFrame) -> int:
    """crates-<route>.pdf for each route of `crates` (transforms.crates.prepare_crates)."""
    if crates.height == 0:
        return 0
    points = crates["pickup_point_id"].unique(maintain_order=True).to_list()
    ops = dict(zip(points, point_codes(points), strict=True))
    folder.mkdir(parents=True, exist_ok=True)
    return len(write_crate_labels(folder, crates, ops, page_size(options.size), load_font(), lang, cutoff_text))


def point_codes(points: list[str]) -> list[str]:
    """The pickup points' QR codes (their ids, byte mode, the pickup codes' mask) as PDF images."""
    return [qr_image_operators(symbol[None])[0] for symbol in qr_batches(points, BYTE, PICKUP_MASK)]
