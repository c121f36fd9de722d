"""The fulfilment report over a range of cutoffs (`cutoff report`): each cutoff's pickup states and
timeline, the progress of each pickup point, the lines to chase, and the losses per supplier and
per category (rulebook "Pickups, the fulfilment timeline and losses"; the rules themselves are
transforms/fulfilment.py).

Pure: the warehouse's rows of the range in, frames out; the time zone, the nightly cutoff time,
the pickup hours and "now" (`as_of`) are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from datetime import timezone as dt_timezone

import polars as pl

from transforms.fulfilment import (
    LINE_KEY,
    PICKED_UP,
    UNPICKED,
    UTC,
    WAITING,
    collected_late,
    cutoff_timeline,
    earliest_scans,
    hours_after,
    late_pickups,
    pickup_deadline,
    pickup_point_progress,
    pickup_states,
    purchase_orders_out_by,
    total_losses,
    unit_losses,
    units_to_hand_out,
)
from transforms.windows import window_for

RUN_KEY = ["calendar", "cutoff_date"]
STEPS = ("cutoff", "pos_out_first", "pos_out_last", "goods_in_first", "goods_in_last", "pickup_first",
         "pickup_half", "pickup_last")
STATE_COLUMNS = ["calendar", "cutoff_date", "order_id", "line_no", "listing_id", "supplier_id", "sku_id", "category",
                 "pickup_point_id", "customer_id", "customer_name", "phone_tail", "qty_allocated",
                 "units_to_hand_out", "picked_up_at", "pickup_state", "deadline_at"]


@dataclass(frozen=True)
class FulfilmentReport:
    timeline: pl.DataFrame      # one row per cutoff: the steps (UTC instants) and hours from the cutoff, the
    #                             units collected late, the hours to the end of its first successful run
    #                             (`run_hours`) and how its purchase orders went out (`pos_out_by`)
    states: pl.DataFrame        # every line to hand out of the range, with its pickup state
    points: pl.DataFrame        # per pickup point over the range (pickup_point_progress, units_collected_late)
    to_chase: pl.DataFrame      # the unpicked lines, by pickup point
    unit_losses: pl.DataFrame   # per cutoff and purchase line: units purchased and lost, by kind
    by_supplier: pl.DataFrame   # total_losses by supplier_id
    by_category: pl.DataFrame   # total_losses by category
    as_of: datetime             # the states hold as of this instant
    final: bool                 # every deadline of the range has passed: the states no longer change


def _of(frame: pl.DataFrame, calendar: str, day: date) -> pl.DataFrame:
    return frame.filter((pl.col("calendar") == calendar) & (pl.col("cutoff_date") == day))


def report_as_of(deadlines: list[datetime], now: datetime) -> tuple[datetime, bool]:
    """The instant the states hold as of: now, or the last deadline once it has passed (so a
    report of a finished range is the same whenever it is made); and whether it is final."""
    last = max(deadlines) if deadlines else now
    as_of, final = (last, True) if now >= last else (now, False)
    return as_of.astimezone(dt_timezone.utc), final


def build_fulfilment_report(cutoffs: pl.DataFrame, allocations: pl.DataFrame, shortages: pl.DataFrame,
                            scans: pl.DataFrame, emails: pl.DataFrame, receipts: pl.DataFrame,
                            purchase_lines: pl.DataFrame, payables: pl.DataFrame, products: pl.DataFrame,
                            *, timezone: str, nightly_at: time, pickup_hours: int, now: datetime) -> FulfilmentReport:
    """cutoffs: calendar, cutoff_date, run_ended_at (the end of its first successful run);
    allocations: the range's lines (calendar, cutoff_date, order_id, line_no, listing_id, supplier_id,
    sku_id, category, pickup_point_id, customer_id, customer_name, phone_tail, qty_allocated);
    shortages: calendar, cutoff_date, order_id, line_no, units_short; scans: order_id, line_no,
    picked_up_at; emails: calendar, cutoff_date, sent_at (each supplier's first delivered email),
    optionally channel (smtp, outbox: how it went out);
    receipts: calendar, cutoff_date, received_at; purchase_lines and payables: the range's rows
    (transforms.fulfilment.unit_losses, with calendar and cutoff_date); products: sku_id, category."""
    cutoffs = cutoffs.sort("cutoff_date", "calendar")
    instants = {(c, d): window_for(c, d, timezone, nightly_at).end for c, d in cutoffs.select(RUN_KEY).iter_rows()}
    deadlines = {key: pickup_deadline(at, pickup_hours) for key, at in instants.items()}
    as_of, final = report_as_of(list(deadlines.values()), now)
    first_scans = earliest_scans(scans.select(*LINE_KEY, pl.col("picked_up_at").cast(UTC)))
    timeline, states, losses = [], [], []
    for calendar, day, run_ended_at in cutoffs.select(*RUN_KEY, "run_ended_at").iter_rows():
        instant, deadline = instants[(calendar, day)], deadlines[(calendar, day)]
        lines = units_to_hand_out(_of(allocations, calendar, day), _of(shortages, calendar, day))
        cutoff_states = pickup_states(lines, first_scans, deadline, as_of).with_columns(
            pl.lit(deadline).cast(UTC).alias("deadline_at"))
        steps = cutoff_timeline(instant, _of(emails, calendar, day)["sent_at"], run_ended_at,
                                _of(receipts, calendar, day)["received_at"], cutoff_states)
        units = cutoff_states["units_to_hand_out"]
        state = cutoff_states["pickup_state"]
        cutoff_emails = _of(emails, calendar, day)
        late = cutoff_states.select(collected_late(cutoff_states)).to_series()
        timeline.append({"calendar": calendar, "cutoff_date": day, **steps,
                         "units_to_hand_out": int(units.sum()),
                         "units_collected": int(units.filter(state == PICKED_UP).sum()),
                         "units_unpicked": int(units.filter(state == UNPICKED).sum()),
                         "units_waiting": int(units.filter(state == WAITING).sum()),
                         "deadline": deadline, "units_collected_late": int(units.filter(late).sum()),
                         "run_hours": hours_after(run_ended_at, instant),
                         "pos_out_by": purchase_orders_out_by(_channels(cutoff_emails))})
        states.append(cutoff_states)
        losses.append(unit_losses(_of(purchase_lines, calendar, day), _of(payables, calendar, day), cutoff_states)
                      .with_columns(pl.lit(calendar).alias("calendar"), pl.lit(day).alias("cutoff_date")))
    all_states = (pl.concat(states, how="vertical_relaxed").select(STATE_COLUMNS) if states
                  else pl.DataFrame(schema={**allocations.schema, "units_to_hand_out": pl.Int64,
                                            "picked_up_at": UTC, "pickup_state": pl.String,
                                            "deadline_at": UTC}).select(STATE_COLUMNS))
    timeline_frame = _timeline_frame(timeline)
    unit_rows = (pl.concat(losses, how="vertical_relaxed") if losses else _empty_losses()).join(
        products.select("sku_id", "category"), on="sku_id", how="left").with_columns(
        pl.col("category").fill_null("-"))
    to_chase = (all_states.filter(pl.col("pickup_state") == UNPICKED)
                .sort("pickup_point_id", "cutoff_date", "calendar", *LINE_KEY))
    points = pickup_point_progress(all_states).join(late_pickups(all_states, ["pickup_point_id"]),
                                                    on="pickup_point_id", how="left")
    return FulfilmentReport(timeline_frame, all_states, points, to_chase, unit_rows,
                            total_losses(unit_rows, "supplier_id"), total_losses(unit_rows, "category"), as_of, final)


def _channels(emails: pl.DataFrame) -> pl.Series:
    """The channels of a cutoff's delivered emails (rows without one: emailed)."""
    if "channel" in emails.columns:
        return emails["channel"]
    return pl.Series("channel", ["smtp"] * emails.height, dtype=pl.String)


def _timeline_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {"calendar": pl.String, "cutoff_date": pl.Date, **{step: UTC for step in STEPS},
              **{f"{step}_hours": pl.Float64 for step in STEPS}, "units_to_hand_out": pl.Int64,
              "units_collected": pl.Int64, "units_unpicked": pl.Int64, "units_waiting": pl.Int64, "deadline": UTC,
              "units_collected_late": pl.Int64, "run_hours": pl.Float64, "pos_out_by": pl.String}
    frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return frame.with_columns(
        pl.when(pl.col("units_to_hand_out") > 0)
        .then(pl.col("units_collected") / pl.col("units_to_hand_out")).alias("collected_share"))


def _empty_losses() -> pl.DataFrame:
    return pl.DataFrame(schema={"supplier_id": pl.String, "sku_id": pl.String, "units_purchased": pl.Int64,
                                "surplus_units": pl.Int64, "unit_cost_fen": pl.Int64, "damaged_units": pl.Int64,
                                "over_units": pl.Int64, "short_units": pl.Int64, "unpicked_units": pl.Int64,
                                "calendar": pl.String, "cutoff_date": pl.Date})


def report_totals(report: FulfilmentReport) -> dict:
    """The range's figures in one dict (units and fen as integers; the rates as ratios)."""
    timeline, rows = report.timeline, report.by_supplier
    total = lambda frame, column: int(frame[column].sum()) if frame.height else 0  # noqa: E731
    purchased = total(rows, "units_purchased")
    lost = total(rows, "lost_units")
    handed = total(timeline, "units_to_hand_out")
    return {
        "cutoffs": timeline.height,
        "units": {"to_hand_out": handed, "collected": total(timeline, "units_collected"),
                  "collected_late": total(timeline, "units_collected_late"),
                  "unpicked": total(timeline, "units_unpicked"), "waiting": total(timeline, "units_waiting"),
                  "purchased": purchased,
                  **{kind: total(rows, f"{kind}_units") for kind in ("surplus", "damaged", "over", "short")},
                  "lost": lost},
        "fen": {"purchased": total(rows, "purchased_fen"),
                **{kind: total(rows, f"{kind}_fen") for kind in ("surplus", "damaged", "over", "short", "unpicked")},
                "lost": total(rows, "lost_fen")},
        "collected_share": (total(timeline, "units_collected") / handed) if handed else None,
        "loss_rate": (lost / purchased) if purchased else None,
        "as_of": report.as_of.isoformat(), "final": report.final,
    }
