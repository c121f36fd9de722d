"""Pickup scans from a scanner (`cutoff scans`): what a USB scanner or a phone's scanning app saved,
one pickup code a line, turned into the rows `inbox/pickups/` takes (docs/labels.md).

A line is a code, optionally followed by a space, tab or comma and the business time it was
scanned (`2026-11-22 10:15:00`; without one, the file's modification time). Each code names its
cutoff and carries a keyed tag of its order (transforms/pickup_codes.py): the tags of that
cutoff's orders are computed again (with the data dir's key) to find it. A good code gives one row
per line of its order with units to hand out (`qty_allocated` minus shortage units) not scanned
yet, at the `--pickup-point` given, else the order's own. A line is rejected, each kind with its
own reason, when it is:
- `unknown`: not a pickup code at all (another barcode, a typo);
- `bad time`: the time after the code cannot be read;
- `forged`: shaped like a code but no order of its cutoff in this warehouse has it (made up,
  altered, or printed from another data dir);
- `other point`: with `--pickup-point`, an order of another pickup point;
- `nothing to hand out`: every unit of the order was taken back by a shortage;
- `repeated`: the same code as an earlier line of the file;
- `already scanned`: every line of the order was scanned before (in `pickups`, or in a scan file
  of inbox/pickups/ not yet read by `cutoff report`).
Blank lines are skipped. Pure: the key, the orders and the scans held are arguments.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from transforms.pickup_codes import code_tag, parse_code
from transforms.staging import parse_instant

LINE_KEY = ["order_id", "line_no"]
_SPLIT = re.compile(r"[ \t,]")
OUTPUT_COLUMNS = ["order_id", "line_no", "picked_up_at", "pickup_point_id"]


def parse_scan_lines(text: str) -> pl.DataFrame:
    """Each non-blank line of a scan file: `line` (from 1), `text` (the code as scanned), `when`
    (the time after it, or null)."""
    rows = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        parts = _SPLIT.split(line, maxsplit=1)
        when = parts[1].strip(" \t,") if len(parts) > 1 else ""
        rows.append((number, parts[0], when or None))
    return pl.DataFrame(rows, schema={"line": pl.Int64, "text": pl.String, "when": pl.String}, orient="row")


def read_codes(scans: pl.DataFrame, timezone: str, default_time) -> pl.DataFrame:
    """The scan lines with their code's cutoff (`calendar`, `cutoff_date`), `tag` (null: not a code)
    and `picked_up_at` (UTC; `default_time` where no time was written; null: unreadable)."""
    parsed = [parse_code(text) for text in scans["text"].to_list()]
    return scans.with_columns(
        pl.Series("calendar", [p.calendar if p else None for p in parsed], pl.String),
        pl.Series("cutoff_date", [p.cutoff_date if p else None for p in parsed], pl.Date),
        pl.Series("tag", [p.tag if p else None for p in parsed], pl.Binary),
        pl.when(pl.col("when").is_null()).then(pl.lit(default_time).cast(pl.Datetime("us", "UTC")))
        .otherwise(parse_instant(pl.col("when"), timezone)).alias("picked_up_at"))


def order_tags(key: bytes, calendar: str, cutoff_date: date, orders: pl.DataFrame) -> pl.DataFrame:
    """The tag of each (pickup_point_id, order_id) of a cutoff (to find a scanned code's order)."""
    tags = [code_tag(key, calendar, cutoff_date, point, order)
            for point, order in zip(orders["pickup_point_id"].to_list(), orders["order_id"].to_list(), strict=True)]
    return orders.with_columns(pl.lit(calendar).alias("calendar"), pl.lit(cutoff_date).alias("cutoff_date"),
                               pl.Series("tag", tags, pl.Binary))


def decide_scans(codes: pl.DataFrame, tags: pl.DataFrame, lines: pl.DataFrame, held: pl.DataFrame,
                 pickup_point: str | None, timezone: str = "UTC") -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows for inbox/pickups: OUTPUT_COLUMNS, rejected lines: line, text, reason).

    codes: read_codes; tags: order_tags of the cutoffs the codes name (calendar, cutoff_date,
    pickup_point_id, order_id, tag); lines: every line of those cutoffs with units to hand out
    (calendar, cutoff_date, order_id, line_no, units_to_hand_out); held: the scans held (order_id,
    line_no, picked_up_at, source). `timezone`: the business time zone, for the times in the reasons."""
    keys = ["calendar", "cutoff_date", "tag"]
    matched = codes.join(tags, on=keys, how="left", nulls_equal=False)
    order_key = ["calendar", "cutoff_date", "order_id"]
    open_lines = (lines.filter(pl.col("units_to_hand_out") > 0).select(*order_key, "line_no")
                  .join(held.select(LINE_KEY).unique(), on=LINE_KEY, how="anti"))
    counts = (lines.filter(pl.col("units_to_hand_out") > 0).group_by(order_key).agg(pl.len().alias("_lines"))
              .join(open_lines.group_by(order_key).agg(pl.len().alias("_open")), on=order_key, how="left"))
    last = (held.sort("picked_up_at").group_by("order_id").agg(pl.col("picked_up_at", "source").first()))
    matched = (matched.join(counts, on=order_key, how="left")
               .join(last.rename({"picked_up_at": "_held_at", "source": "_held_in"}), on="order_id", how="left")
               .with_columns(pl.col("text").str.to_uppercase().alias("_code")))
    order = pl.col("order_id")
    first = (
        pl.when(pl.col("tag").is_null()).then(pl.format("unknown: {} is not a pickup code", pl.col("text")))
        .when(pl.col("picked_up_at").is_null()).then(
            pl.format("bad time: '{}' is not a time such as 2026-11-22 10:15:00", pl.col("when")))
        .when(order.is_null()).then(pl.format(
            "forged: no order of the {} cutoff of {} in this warehouse has the code {} (made up, altered, or "
            "printed from another data dir)", pl.col("calendar"), pl.col("cutoff_date"), pl.col("_code")))
        .when(pl.lit(pickup_point is not None) & (pl.col("pickup_point_id") != pl.lit(pickup_point or ""))).then(
            pl.format("other point: order {} is collected at {}, not {}", order, pl.col("pickup_point_id"),
                      pl.lit(pickup_point or "")))
        .when(pl.col("_lines").is_null()).then(
            pl.format("nothing to hand out: every unit of order {} was taken back (shortage)", order))
        .alias("reason"))
    # a repeat is the same code as an earlier line that was good so far (a line turned down for its
    # time does not make the next scan of the code a repeat)
    decided = matched.with_columns(first).with_columns(
        pl.col("line").filter(pl.col("reason").is_null()).first().over("_code").alias("_first_line"))
    later = (
        pl.when(pl.col("reason").is_not_null()).then(pl.col("reason"))
        .when(pl.col("line") != pl.col("_first_line")).then(
            pl.format("repeated: the same code as line {}", pl.col("_first_line")))
        .when(pl.col("_open").fill_null(0) == 0).then(pl.format(
            "already scanned: order {} was picked up at {} ({})", order,
            pl.col("_held_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M:%S"), pl.col("_held_in")))
        .alias("reason"))
    decided = decided.with_columns(later)
    rejected = decided.filter(pl.col("reason").is_not_null()).select("line", "text", "reason").sort("line")
    taken = decided.filter(pl.col("reason").is_null())
    rows = (taken.select(*order_key, "picked_up_at", "pickup_point_id", "line")
            .join(open_lines, on=order_key, how="inner")
            .with_columns(pl.lit(pickup_point).fill_null(pl.col("pickup_point_id")).alias("pickup_point_id"))
            .sort("line", "line_no")
            .select(OUTPUT_COLUMNS))
    return rows, rejected
