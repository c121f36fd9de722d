"""What a progress run shows in the Prefect UI: a markdown artifact `progress-<calendar>` (the
figures, the groups that would not form closest to forming first, then the others closest to their
next tier, each list capped, and the leaders' messages sent) and a table artifact
`progress-groups-<calendar>`. Publishing never fails a run."""

from __future__ import annotations

import logging
from datetime import datetime

import polars as pl

from chat.deliver import describe_deliveries
from flows.artifacts import _cell
from inbox.master import Master
from transforms.money import fen_to_yuan_text

TOP = 25


def local_instant(iso: str) -> str:
    """`2026-12-07 15:00` of progress.json's `as_of` (business time, its offset dropped)."""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(iso)


def _price(fen) -> str:
    return "-" if fen is None else f"¥{fen_to_yuan_text(fen)}"


def _named(groups: pl.DataFrame, master: Master) -> pl.DataFrame:
    return groups.join(master.listings.select("listing_id", "sku_id").join(
        master.products.select("sku_id", pl.col("name").alias("item")), on="sku_id").drop("sku_id"),
        on="listing_id", how="left")


def _missing(row: dict) -> str:
    parts = [f"{row['missing_units']:,} unit(s)" if row["missing_units"] else "",
             f"{row['missing_participants']:,} people" if row["missing_participants"] else ""]
    return ", ".join(p for p in parts if p) or "-"


def group_lines(groups: pl.DataFrame) -> list[str]:
    """A table narrow enough for the artifact page: units and people in one column, what is missing
    in words."""
    out = ["| listing | item | pickup point | units / people | missing | reached | price | next tier |",
           "| --- | --- | --- | ---: | --- | ---: | ---: | --- |"]
    for row in groups.head(TOP).iter_rows(named=True):
        tier = "-" if row["next_price_fen"] is None else \
            f"{_price(row['next_price_fen'])} at +{row['participants_to_next_tier']:,} people"
        point = row["pickup_point_id"] or "all"  # a platform group counts every pickup point
        out.append(f"| {_cell(row['listing_id'])} | {_cell(row['item'] or '')} | {_cell(point)} "
                   f"| {row['units']:,} / {row['participants']:,} | {_missing(row)} | {row['reached'] * 100:.0f}% | "
                   f"{_price(row['price_fen'])} | {tier} |")
    if groups.height > TOP:
        out.append(f"\n... and {groups.height - TOP:,} more: progress.xlsx has them all.")
    return out


def render_progress_markdown(summary: dict, groups: pl.DataFrame, master: Master) -> str:
    named = _named(groups, master)
    at_risk = named.filter(~pl.col("would_form"))
    formed = named.filter(pl.col("would_form"))
    messages = summary["messages"]
    out = [f"# Group progress {summary['calendar']} {summary['cutoff_date']} as of {local_instant(summary['as_of'])}",
           "",
           f"Folder: `{summary['folder']}` (progress.json, progress.xlsx, messages/).", "",
           "| figure | value |", "| --- | --- |",
           f"| order lines so far | {summary['order_lines']:,} |", f"| listings | {summary['listings']:,} |",
           f"| groups that would not form now | {summary['groups_not_formed']:,} |",
           f"| leaders' messages | {describe_deliveries(messages)} |", "",
           f"## Would not form if the cutoff ran now, closest first ({at_risk.height:,})", ""]
    out += group_lines(at_risk) if at_risk.height else ["None: every group with orders would form."]
    out += ["", f"## Formed, closest to the next tier first ({formed.height:,})", ""]
    out += group_lines(formed.sort("participants_to_next_tier", "listing_id", nulls_last=True))
    return "\n".join(out) + "\n"


def group_table(groups: pl.DataFrame) -> list[dict]:
    """The first 200 groups, at risk first: the item's name beside its listing, prices in ¥ (and in
    fen, last), for the artifact's table."""
    head = groups.head(200)
    if "item" not in head.columns:
        head = head.with_columns(pl.lit(None, pl.String).alias("item"))
    rows = head.select("listing_id", "item", "pickup_point_id", "units", "participants", "would_form",
                       "missing_units", "missing_participants", "price_fen", "next_price_fen",
                       "participants_to_next_tier", "stock_left").to_dicts()
    return [{**{k: v for k, v in row.items() if not k.endswith("_fen")},
             "price": None if row["price_fen"] is None else _price(row["price_fen"]),
             "next_price": None if row["next_price_fen"] is None else _price(row["next_price_fen"]),
             "price_fen": row["price_fen"], "next_price_fen": row["next_price_fen"]} for row in rows]


def publish_progress_artifacts(summary: dict, groups: pl.DataFrame, master: Master) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        key = f"progress-{summary['calendar']}"
        as_of = local_instant(summary["as_of"])
        create_markdown_artifact(key=key, markdown=render_progress_markdown(summary, groups, master),
                                 description=f"group progress {summary['cutoff_date']} as of {as_of}: "
                                             f"{summary['groups_not_formed']} group(s) would not form")
        create_table_artifact(key=f"progress-groups-{summary['calendar']}",
                              table=group_table(_named(groups, master)),
                              description="the groups, at risk first (progress.xlsx has them all)")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        try:
            from prefect.logging import get_run_logger
            logger = get_run_logger()
        except Exception:
            logger = logging.getLogger("cutoff.artifacts")
        logger.warning("could not publish the progress artifacts (%s: %s)", type(exc).__name__, exc)
