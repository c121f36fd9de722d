"""Pickups, the fulfilment timeline and losses (rulebook "Pickups, the fulfilment timeline and losses").

A leader scans each line a customer collects (核销); the earliest scan of a line counts. For a
cutoff, a line with units to hand out (`qty_allocated` minus its shortage units) is `picked_up`
(scanned), `waiting` (no scan yet, before the pickup deadline) or `unpicked` (no scan by the
deadline: the cutoff instant + the pickup hours). The timeline of a cutoff runs cutoff -> purchase
orders out -> goods in -> pickups; losses are counted per supplier and per category at unit cost.

Pure: frames in, frames out; "now" (`as_of`) and the deadline are arguments.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

PICKED_UP, WAITING, UNPICKED = "picked_up", "waiting", "unpicked"
LINE_KEY = ["order_id", "line_no"]
UTC = pl.Datetime("us", "UTC")
LOSS_KINDS = ("surplus", "damaged", "over", "short", "unpicked")
LATE_RUN_HOURS = 1.0  # a cutoff whose first successful run ended later than this after the cutoff ran late
EMAILED, OUTBOX_ONLY, RUN_END = "email", "outbox", "run_end"  # how a cutoff's purchase orders went out


def earliest_scans(pickups: pl.DataFrame) -> pl.DataFrame:
    """One row per line: its earliest `picked_up_at` (a repeated scan keeps the first)."""
    return pickups.group_by(LINE_KEY).agg(pl.col("picked_up_at").min()).sort(LINE_KEY)


def units_to_hand_out(allocations: pl.DataFrame, shortages: pl.DataFrame) -> pl.DataFrame:
    """The cutoff's lines with something to hand out: `units_to_hand_out = qty_allocated - units_short`."""
    short = shortages.group_by(LINE_KEY).agg(pl.col("units_short").sum().alias("_short"))
    return (allocations.join(short, on=LINE_KEY, how="left")
            .with_columns((pl.col("qty_allocated") - pl.col("_short").fill_null(0)).cast(pl.Int64)
                          .alias("units_to_hand_out"))
            .drop("_short")
            .filter(pl.col("units_to_hand_out") > 0))


def reject_pickups(pickups: pl.DataFrame, known_lines: pl.DataFrame,
                   to_hand_out: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split scans into (scans of lines with something to hand out, the others with a `reason`).

    known_lines: order_id, line_no of every ingested order line; to_hand_out: the lines with units to
    hand out (units_to_hand_out over every cutoff)."""
    line = pl.format("order line {}/{}", pl.col("order_id"), pl.col("line_no"))
    flagged = (pickups
               .join(known_lines.select(LINE_KEY).unique().with_columns(pl.lit(True).alias("_known")),
                     on=LINE_KEY, how="left")
               .join(to_hand_out.select(*LINE_KEY, pl.lit(True).alias("_to_hand")), on=LINE_KEY, how="left")
               .with_columns(
                   pl.when(pl.col("_known").is_null()).then(pl.format("{} is unknown: no such order line", line))
                   .when(pl.col("_to_hand").is_null()).then(
                       pl.format("{} has nothing to hand out (no units allocated after shortages)", line))
                   .alias("reason")))
    good = flagged.filter(pl.col("reason").is_null()).drop("_known", "_to_hand", "reason")
    return good, flagged.filter(pl.col("reason").is_not_null()).drop("_known", "_to_hand")


def pickup_states(lines: pl.DataFrame, scans: pl.DataFrame, deadline: datetime, as_of: datetime) -> pl.DataFrame:
    """Each line to hand out with its `picked_up_at` (earliest scan) and `pickup_state`.

    lines: units_to_hand_out; scans: earliest_scans. A scan counts whenever it came; a line without
    one is `unpicked` once `as_of` has reached the deadline, else `waiting`."""
    overdue = pl.lit(as_of >= deadline)
    return (lines.join(scans.select(*LINE_KEY, "picked_up_at"), on=LINE_KEY, how="left")
            .with_columns(pl.when(pl.col("picked_up_at").is_not_null()).then(pl.lit(PICKED_UP))
                          .when(overdue).then(pl.lit(UNPICKED))
                          .otherwise(pl.lit(WAITING)).alias("pickup_state")))


def pickup_deadline(cutoff_instant: datetime, pickup_hours: int) -> datetime:
    """No scan by this instant: the line is unpicked."""
    return cutoff_instant + timedelta(hours=pickup_hours)


def hours_after(instant: datetime | None, cutoff_instant: datetime) -> float | None:
    """Hours from the cutoff instant, to the minute (a display figure, not money)."""
    return None if instant is None else round((instant - cutoff_instant).total_seconds() / 3600, 2)


def half_collected_at(states: pl.DataFrame) -> datetime | None:
    """The scan by which half of the units to hand out were collected (None if never)."""
    total = int(states["units_to_hand_out"].sum()) if states.height else 0
    scanned = (states.filter(pl.col("picked_up_at").is_not_null()).sort("picked_up_at", *LINE_KEY)
               .with_columns(pl.col("units_to_hand_out").cum_sum().alias("_collected")))
    reached = scanned.filter(pl.col("_collected") * 2 >= total)
    return reached["picked_up_at"][0] if total and reached.height else None


def cutoff_timeline(cutoff_instant: datetime, email_times: pl.Series, run_ended_at: datetime | None,
                    received_times: pl.Series, states: pl.DataFrame) -> dict:
    """The timeline of one cutoff (履约时效): each step's instant and hours from the cutoff.

    email_times: when the cutoff's supplier emails went out (empty: the run's end stands for them);
    received_times: the `received_at` of the run's receipts; states: pickup_states."""
    emails = email_times.drop_nulls()
    received = received_times.drop_nulls()
    scans = states["picked_up_at"].drop_nulls() if states.height else pl.Series([], dtype=UTC)
    steps = {
        "cutoff": cutoff_instant,
        "pos_out_first": emails.min() if emails.len() else run_ended_at,
        "pos_out_last": emails.max() if emails.len() else run_ended_at,
        "goods_in_first": received.min() if received.len() else None,
        "goods_in_last": received.max() if received.len() else None,
        "pickup_first": scans.min() if scans.len() else None,
        "pickup_half": half_collected_at(states) if states.height else None,
        "pickup_last": scans.max() if scans.len() else None,
    }
    return {**steps, **{f"{step}_hours": hours_after(at, cutoff_instant) for step, at in steps.items()}}


def collected_late(states: pl.DataFrame) -> pl.Expr:
    """True on a line collected after its pickup deadline (`picked_up_at > deadline_at`): picked up,
    and counted as collected, but late (docs/fulfilment.md)."""
    return ((pl.col("pickup_state") == PICKED_UP) & (pl.col("picked_up_at") > pl.col("deadline_at"))).fill_null(False)


def late_pickups(states: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per `by`: `units_collected_late`, the units collected after their deadline (states with
    `deadline_at`, as the report's)."""
    return (states.group_by(by)
            .agg(pl.col("units_to_hand_out").filter(collected_late(states)).sum().cast(pl.Int64)
                 .alias("units_collected_late")))


def purchase_orders_out_by(channels: pl.Series) -> str:
    """How a cutoff's purchase orders went out, from the channels of its delivered emails (`smtp`,
    `outbox`): EMAILED when one went over SMTP, OUTBOX_ONLY when they were only written to the
    outbox (`--no-email`, no SMTP server), RUN_END when none was delivered (the step is then the
    run's end)."""
    present = set(channels.drop_nulls().to_list())
    return EMAILED if "smtp" in present else OUTBOX_ONLY if present else RUN_END


def pickup_point_progress(states: pl.DataFrame) -> pl.DataFrame:
    """Per pickup point: units to hand out, collected, the share collected (a ratio of units, for
    display), unpicked and waiting units, the last scan. Least collected first."""
    units = pl.col("units_to_hand_out")
    state = pl.col("pickup_state")
    return (states.group_by("pickup_point_id")
            .agg(units.sum().cast(pl.Int64).alias("units_to_hand_out"),
                 units.filter(state == PICKED_UP).sum().cast(pl.Int64).alias("units_collected"),
                 units.filter(state == UNPICKED).sum().cast(pl.Int64).alias("units_unpicked"),
                 units.filter(state == WAITING).sum().cast(pl.Int64).alias("units_waiting"),
                 pl.col("picked_up_at").max().alias("last_scan_at"))
            .with_columns((pl.col("units_collected") / pl.col("units_to_hand_out")).alias("collected_share"))
            .sort("collected_share", "pickup_point_id"))


def unit_losses(purchase_lines: pl.DataFrame, payables: pl.DataFrame, states: pl.DataFrame) -> pl.DataFrame:
    """Per purchase line of a cutoff: units purchased and lost, by kind.

    purchase_lines: supplier_id, sku_id, units_purchased, surplus_units, unit_cost_fen;
    payables: supplier_id, sku_id, units_damaged, units_over, units_short (a missing line: nothing
    decided yet); states: pickup_states (unpicked units per supplier and SKU)."""
    unpicked = (states.filter(pl.col("pickup_state") == UNPICKED).group_by("supplier_id", "sku_id")
                .agg(pl.col("units_to_hand_out").sum().cast(pl.Int64).alias("unpicked_units")))
    return (purchase_lines.select("supplier_id", "sku_id", "units_purchased", pl.col("surplus_units"), "unit_cost_fen")
            .join(payables.select("supplier_id", "sku_id", pl.col("units_damaged").alias("damaged_units"),
                                  pl.col("units_over").alias("over_units"),
                                  pl.col("units_short").alias("short_units")),
                  on=["supplier_id", "sku_id"], how="left")
            .join(unpicked, on=["supplier_id", "sku_id"], how="left")
            .with_columns(pl.col("damaged_units", "over_units", "short_units", "unpicked_units").fill_null(0))
            .with_columns(pl.col("surplus_units").cast(pl.Int64)))


def total_losses(unit_rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """Losses summed per `by` (supplier_id or category) over any range of cutoffs: units and fen at
    unit cost of each kind, and the loss rate (surplus + damaged + unpicked) / units_purchased (a ratio
    of units, for display; money stays integer fen). Worst first (highest rate, then most fen lost)."""
    units = [f"{kind}_units" for kind in LOSS_KINDS]
    fen = [(pl.col(f"{kind}_units") * pl.col("unit_cost_fen")).alias(f"{kind}_fen") for kind in LOSS_KINDS]
    lost = pl.col("surplus_units") + pl.col("damaged_units") + pl.col("unpicked_units")
    lost_fen = pl.col("surplus_fen") + pl.col("damaged_fen") + pl.col("unpicked_fen")
    return (unit_rows.with_columns(fen)
            .group_by(by)
            .agg(pl.col("units_purchased", *units, *[f"{kind}_fen" for kind in LOSS_KINDS]).sum().cast(pl.Int64),
                 (pl.col("units_purchased") * pl.col("unit_cost_fen")).sum().cast(pl.Int64).alias("purchased_fen"))
            .with_columns(lost.alias("lost_units"), lost_fen.cast(pl.Int64).alias("lost_fen"))
            # a purchase line always buys something (units_purchased > 0), so the rate is defined
            .with_columns((pl.col("lost_units") / pl.col("units_purchased")).alias("loss_rate"))
            .sort(["loss_rate", "lost_fen", by], descending=[True, True, False]))
