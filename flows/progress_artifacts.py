"""What a progress run shows in the Prefect UI: a markdown artifact `progress-<calendar>` (the
figures, the groups that would not form closest to forming first, then the others closest to their
next tier, each list capped, and the leaders' messages sent) and a table artifact
`progress-groups-<calendar>`. Publishing never fails a run."""

from __future__ import annotations

import logging

import polars as pl

from flows.artifacts import _cell
from inbox.master import Master
from transforms.money import fen_to_yuan_text

TOP = 25


def _price(fen) -> str:
    return "-" if fen is None else f"¥{fen_to_yuan_text(fen)}"


def _named(groups: pl.DataFrame, master: Master) -> pl.DataFrame:
    return groups.join(master.listings.select("listing_id", "sku_id").join(
        master.products.select("sku_id", pl.col("name").alias("item")), on="sku_id").drop("sku_id"),
        on="listing_id", how="left")


def group_lines(groups: pl.DataFrame) -> list[str]:
    out = ["| listing | item | pickup point | units | people | missing units | missing people | reached | price | "
           "next tier |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in groups.head(TOP).iter_rows(named=True):
        tier = "-" if row["next_price_fen"] is None else \
            f"{_price(row['next_price_fen'])} at +{row['participants_to_next_tier']} people"
        out.append(f"| {_cell(row['listing_id'])} | {_cell(row['item'] or '')} | {_cell(row['pickup_point_id'] or '')} "
                   f"| {row['units']:,} | {row['participants']:,} | {row['missing_units']:,} | "
                   f"{row['missing_participants']:,} | {row['reached'] * 100:.0f}% | {_price(row['price_fen'])} | "
                   f"{tier} |")
    if groups.height > TOP:
        out.append(f"\n... and {groups.height - TOP:,} more: progress.xlsx has them all.")
    return out


def render_progress_markdown(summary: dict, groups: pl.DataFrame, master: Master) -> str:
    named = _named(groups, master)
    at_risk = named.filter(~pl.col("would_form"))
    formed = named.filter(pl.col("would_form"))
    messages = summary["messages"]
    out = [f"# Group progress {summary['calendar']} {summary['cutoff_date']} as of {summary['as_of']}", "",
           f"Folder: `{summary['folder']}` (progress.json, progress.xlsx, messages/).", "",
           "| figure | value |", "| --- | --- |",
           f"| order lines so far | {summary['order_lines']:,} |", f"| listings | {summary['listings']:,} |",
           f"| groups that would not form now | {summary['groups_not_formed']:,} |",
           f"| leaders' messages | {', '.join(f'{n} {s}' for s, n in sorted(messages.items())) or 'none'} |", "",
           f"## Would not form if the cutoff ran now, closest first ({at_risk.height:,})", ""]
    out += group_lines(at_risk) if at_risk.height else ["None: every group with orders would form."]
    out += ["", f"## Formed, closest to the next tier first ({formed.height:,})", ""]
    out += group_lines(formed.sort("participants_to_next_tier", "listing_id", nulls_last=True))
    return "\n".join(out) + "\n"


def group_table(groups: pl.DataFrame) -> list[dict]:
    columns = ["listing_id", "pickup_point_id", "units", "participants", "would_form", "missing_units",
               "missing_participants", "price_fen", "next_price_fen", "participants_to_next_tier", "stock_left"]
    return groups.head(200).select(columns).to_dicts()


def publish_progress_artifacts(summary: dict, groups: pl.DataFrame, master: Master) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        key = f"progress-{summary['calendar']}"
        create_markdown_artifact(key=key, markdown=render_progress_markdown(summary, groups, master),
                                 description=f"group progress {summary['cutoff_date']} as of {summary['as_of']}: "
                                             f"{summary['groups_not_formed']} group(s) would not form")
        create_table_artifact(key=f"progress-groups-{summary['calendar']}", table=group_table(groups),
                              description="the groups, at risk first (progress.xlsx has them all)")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        try:
            from prefect.logging import get_run_logger
            logger = get_run_logger()
        except Exception:
            logger = logging.getLogger("cutoff.artifacts")
        logger.warning("could not publish the progress artifacts (%s: %s)", type(exc).__name__, exc)
