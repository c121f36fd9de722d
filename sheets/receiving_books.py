"""The goods-in run's workbooks, under `<run folder>/receiving/` (contract "Outputs"):

- `shortages.xlsx`, for the warehouse and procurement: sheet 1 one row per purchase line, by
  supplier (status, PO amount, purchased, received, damaged, good, short, over, payable units and
  fen) with totals; sheet 2 the customer lines cut (latest first within each SKU, as taken back).
- `sorting/<route_id>.xlsx` and `handout/<pickup_point_id>.xlsx`, re-issued (修订版) for the routes
  and pickup points a shortage changed only: the cutoff's sheets (sheets/sorting.py,
  sheets/handouts.py) with the units after the shortage, the title marked 修订版, a red note of what
  was cut, and the cut items visible (a route's 缺货明细 sheet; on a handout list the columns
  原数量 / 缺货 / 实发, a line that gives up everything kept with 0 to hand out).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from labels.run_labels import LabelOptions, handout_pictures
from sheets.handouts import handout_sheet
from sheets.labels import BookContext
from sheets.receiving_labels import receiving_labels
from sheets.sorting import matrix_sheets, pick_list_sheet
from sheets.spec import INT, MONEY, TEXT, BookSpec, Column, SheetSpec, workbook_path, yuan_text
from sheets.writer import write_workbooks
from transforms.goods_in import with_surplus_absorbed
from transforms.reissue import RevisedHandout, RevisedRoute
from transforms.sorting import Handout


def _status(t: dict, column: str = "status") -> pl.Expr:
    return pl.col(column).replace_strict({s: t[f"status_{s}"] for s in ("pending", "complete", "short")},
                                         default=pl.col(column))


STATUS_ORDER = {"short": 0, "pending": 1, "complete": 2}  # what needs a look first


def _lines_frame(payables: pl.DataFrame, suppliers: pl.DataFrame, products: pl.DataFrame, t: dict) -> pl.DataFrame:
    item = pl.concat_str([pl.col("sku_id"), pl.col("name").fill_null(""), pl.col("spec").fill_null("")],
                         separator=" ").str.strip_chars()
    return (with_surplus_absorbed(payables)
            .join(suppliers.select("supplier_id", pl.col("name").alias("supplier_name")), on="supplier_id", how="left")
            .join(products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
            .with_columns(_status(t).alias("status_text"), pl.col("cost_fen").alias("po_fen"), item.alias("item"),
                          pl.concat_str([pl.col("supplier_id"), pl.col("supplier_name").fill_null("")], separator=" ")
                          .str.strip_chars().alias("supplier"),
                          pl.col("status").replace_strict(STATUS_ORDER, default=9, return_dtype=pl.Int64)
                          .alias("_order"),
                          (pl.col("status") != "complete").alias("_attention")))


def receiving_sheet(payables: pl.DataFrame, suppliers: pl.DataFrame, products: pl.DataFrame,
                    shortages: pl.DataFrame, ctx: BookContext) -> SheetSpec:
    """One row per purchase line: the short ones first, then those not delivered yet (both
    filled), then the complete ones, each by supplier and SKU. Purchased units reconcile: 采购 =
    合格 + 余量抵扣 + 缺货 - 多送 (a case surplus absorbs a shortfall before a customer goes without).
    Money per supplier is on the next sheet (按供应商)."""
    t = receiving_labels(ctx.lang)
    figures = ("units_purchased", "units_allocated", "units_received", "units_damaged", "units_good",
               "units_absorbed", "units_short", "units_over", "units_payable")
    frame = _lines_frame(payables, suppliers, products, t).sort("_order", "supplier_id", "sku_id")
    columns = (Column("supplier", t["supplier"], TEXT, 18, wrap=True), Column("item", t["item"], TEXT, 24, wrap=True),
               Column("status_text", t["status"], TEXT, 6),
               *(Column(f, t[f], INT, 5) for f in figures),
               Column("payable_fen", t["payable_fen"], MONEY, 10))
    totals = {"supplier": t["total"], **{f: int(frame[f].sum()) for f in figures},
              "payable_fen": int(frame["payable_fen"].sum())}
    pending = int((payables["status"] == "pending").sum())
    short = int((payables["status"] == "short").sum())
    notes = (t["receiving_note"].format(short=totals["units_short"], lines=shortages.height,
                                        refund=yuan_text(int(shortages["short_refund_fen"].sum())),
                                        payable=yuan_text(totals["payable_fen"])),)
    notes += (t["receiving_pending"].format(n=pending),) if pending else ()
    notes += (t["receiving_order"].format(short=short, pending=pending),) if short or pending else ()
    notes += (t["receiving_reconcile"],)
    title = t["receiving_title"].format(run=ctx.run)
    return SheetSpec(title=t["sheet_receiving"], columns=columns, frame=frame, title_line=title,
                     header=((t["run"], ctx.run), (t["cutoff_at"], ctx.cutoff_at)), notes=notes, totals=totals,
                     landscape=True, freeze_columns=2, footer=title, mark_key="_attention", autofilter=True)


def supplier_money_sheet(payables: pl.DataFrame, suppliers: pl.DataFrame, products: pl.DataFrame,
                         ctx: BookContext) -> SheetSpec:
    """Per supplier: its purchase lines (short, not delivered yet), the purchase order's amount and
    what is payable after goods-in, and the difference; suppliers with a short or pending line first."""
    t = receiving_labels(ctx.lang)
    lines = _lines_frame(payables, suppliers, products, t)
    frame = (lines.group_by("supplier_id", "supplier")
             .agg(pl.len().cast(pl.Int64).alias("lines"),
                  (pl.col("status") == "short").sum().cast(pl.Int64).alias("lines_short"),
                  (pl.col("status") == "pending").sum().cast(pl.Int64).alias("lines_pending"),
                  pl.col("po_fen").sum().cast(pl.Int64), pl.col("payable_fen").sum().cast(pl.Int64),
                  pl.col("_attention").any())
             .with_columns((pl.col("po_fen") - pl.col("payable_fen")).alias("difference_fen"))
             .sort(pl.col("_attention").not_(), "supplier_id"))
    columns = (Column("supplier", t["supplier"], TEXT, 14, 36), Column("lines", t["po_lines"], INT, 6),
               Column("lines_short", t["lines_short"], INT, 6), Column("lines_pending", t["lines_pending"], INT, 6),
               Column("po_fen", t["po_fen"], MONEY, 10), Column("payable_fen", t["payable_fen"], MONEY, 10),
               Column("difference_fen", t["difference_fen"], MONEY, 10))
    totals = {"supplier": t["total"], **{c: int(frame[c].sum()) for c in ("lines", "lines_short", "lines_pending",
                                                                          "po_fen", "payable_fen", "difference_fen")}}
    title = t["receiving_title"].format(run=ctx.run)
    return SheetSpec(title=t["sheet_supplier_money"], columns=columns, frame=frame, title_line=title,
                     header=((t["run"], ctx.run),), notes=(t["supplier_money_note"],), totals=totals,
                     footer=title, mark_key="_attention", autofilter=True)


def shortage_lines_sheet(shortages: pl.DataFrame, allocations: pl.DataFrame, suppliers: pl.DataFrame,
                         products: pl.DataFrame, ctx: BookContext) -> SheetSpec:
    t = receiving_labels(ctx.lang)
    frame = (shortages.join(allocations.select("order_id", "line_no", "customer_name"), on=["order_id", "line_no"],
                            how="left")
             .join(products.select("sku_id", "name", "unit"), on="sku_id", how="left")
             .sort("supplier_id", "sku_id", "created_at", "order_id", "line_no", descending=[False, False, True,
                                                                                             True, True]))
    columns = (Column("supplier_id", t["supplier"], TEXT, 8), Column("sku_id", t["sku"], TEXT, 8),
               Column("name", t["name"], TEXT, 12, 30), Column("pickup_point_id", t["pickup_point"], TEXT, 8),
               Column("order_id", t["order_id"], TEXT, 10), Column("line_no", "#", INT, 4),
               Column("customer_name", t["customer"], TEXT, 8, 20),
               Column("qty_allocated", t["qty_allocated"], INT, 6), Column("units_short", t["units_short"], INT, 6),
               Column("final_unit_price_fen", t["final_price"], MONEY, 9),
               Column("short_refund_fen", t["short_refund_fen"], MONEY, 10))
    totals = {"supplier_id": t["total"], "qty_allocated": int(frame["qty_allocated"].sum()),
              "units_short": int(frame["units_short"].sum()), "short_refund_fen": int(frame["short_refund_fen"].sum())}
    title = t["shortage_lines_title"].format(run=ctx.run)
    return SheetSpec(title=t["sheet_shortage_lines"], columns=columns, frame=frame, title_line=title,
                     header=((t["run"], ctx.run),), totals=totals, landscape=True, footer=title)


def shortages_book(path: Path, payables: pl.DataFrame, shortages: pl.DataFrame, allocations: pl.DataFrame,
                   suppliers: pl.DataFrame, products: pl.DataFrame, ctx: BookContext) -> BookSpec:
    t = receiving_labels(ctx.lang)
    return BookSpec(path, (receiving_sheet(payables, suppliers, products, shortages, ctx),
                           supplier_money_sheet(payables, suppliers, products, ctx),
                           shortage_lines_sheet(shortages, allocations, suppliers, products, ctx)),
                    t["receiving_title"].format(run=ctx.run))


def _marked(title: str, t: dict) -> str:
    return f"{title} · {t['revised']}"


NOTICE_NAMES = 12  # customers (stops) a notice names; the others are the shaded lines


def _listed(lead: str, items: list[str], t: dict) -> tuple[str, ...]:
    """`lead` and the first NOTICE_NAMES items in one notice line (the writer wraps it to the
    page), the others counted (t["and_more"])."""
    if not items:
        return ()
    more = t["and_more"].format(n=len(items) - NOTICE_NAMES) if len(items) > NOTICE_NAMES else ""
    return (lead + t["list_separator"].join(items[:NOTICE_NAMES]) + more,)


def revised_route_book(path: Path, revised: RevisedRoute, ctx: BookContext) -> BookSpec:
    """The cutoff's sorting book of the route with the units after the shortage, marked 修订版: the
    notice says which stops lost what, the matrix rows and pick-list lines that changed are filled,
    and 缺货明细 lists every stop and SKU that lost units."""
    t = receiving_labels(ctx.lang)
    cut = revised.cut
    stops = (cut.group_by("route_seq", "pickup_point_id", maintain_order=True).agg(pl.col("short").sum())
             .sort("route_seq", "pickup_point_id"))
    notes = (t["route_revised_note"].format(short=revised.units_short, before=revised.units_before),
             *_listed(t["route_revised_stops"], [t["route_revised_stop"].format(seq=seq, point=point, n=n)
                                                 for seq, point, n in stops.iter_rows()], t))
    route_id = revised.route.route_id
    sheets = []
    if revised.route.units.height:  # a route left with nothing to hand out has only its shortages
        for sheet in (*matrix_sheets(revised.route, ctx, revised.changed),
                      pick_list_sheet(revised.route, ctx, revised.changed)):
            sheets.append(replace(sheet, title_line=_marked(sheet.title_line, t), notes=notes,
                                  footer=_marked(sheet.footer, t)))
    columns = (Column("route_seq", t["stop_seq"], INT, 5), Column("pickup_point_id", t["pickup_point"], TEXT, 8),
               Column("point_name", t["point_name"], TEXT, 10, 24), Column("sku_id", t["sku"], TEXT, 8),
               Column("name", t["name"], TEXT, 12, 30), Column("spec", t["spec"], TEXT, 6, 14),
               Column("unit", t["unit"], TEXT, 4, 6), Column("ordered", t["ordered"], INT, 6),
               Column("short", t["short"], INT, 6), Column("units", t["units_out"], INT, 6))
    title = _marked(t["route_cut_title"].format(route=route_id), t)
    sheets.append(SheetSpec(
        title=t["sheet_route_cut"], columns=columns, frame=cut, title_line=title,
        header=((t["route"], route_id), (t["run"], ctx.run)), notes=notes[:1],
        totals={"route_seq": t["total"], **{c: int(cut[c].sum()) for c in ("ordered", "short", "units")}},
        landscape=True, footer=title))
    return BookSpec(path, tuple(sheets), _marked(t["matrix_title"].format(route=route_id), t))


def revised_handout_book(path: Path, handout: RevisedHandout, ctx: BookContext) -> BookSpec:
    """The cutoff's handout list of the pickup point after the shortage, in its layout
    (sheets/handouts.py: 序号 centred, each customer a ruled block, name and phone tail on every
    line, filter buttons), marked 修订版: 数量 is what is handed out now (实发), a line that gives up
    units is filled and says so after its item (少 2 件，原 4 件), and the notice names the
    customers who get less (序号, name, phone tail)."""
    t = receiving_labels(ctx.lang)
    changed = pl.col("is_changed")
    lines = handout.lines.with_columns(
        pl.when(changed).then(pl.format(t["item_short"], pl.col("item"), pl.col("short"), pl.col("ordered")))
        .otherwise(pl.col("item")).alias("item"))
    base = handout_sheet(Handout(handout.pickup_point_id, handout.name, handout.address, handout.leader_name,
                                 handout.units, handout.customers, lines), ctx)
    columns = tuple(replace(c, label=t["units_out"]) if c.key == "units" else c for c in base.columns)
    who = [t["handout_revised_customer"].format(seq=seq, name=name or "", tail=tail or "", n=n)
           for seq, tail, name, n in handout.short.iter_rows()]
    notes = (t["handout_revised_note"].format(customers=handout.customers_short, short=handout.units_short,
                                              before=handout.units_before, after=handout.units),
             *_listed(t["handout_revised_who"], who, t))
    title = _marked(base.title_line, t)
    sheet = replace(
        base, columns=columns, title_line=title,
        highlights=(t["handout_revised_items"].format(n=handout.units),
                    t["customers_count"].format(n=handout.customers)),
        notes=notes, mark_key="is_changed", footer=f"{title} {handout.pickup_point_id}")
    return BookSpec(path, (sheet,), f"{title} {handout.pickup_point_id}")


def write_receiving_books(folder: Path, ctx: BookContext, payables: pl.DataFrame, shortages: pl.DataFrame,
                          allocations: pl.DataFrame, suppliers: pl.DataFrame, products: pl.DataFrame,
                          routes: list[RevisedRoute], handouts: list[RevisedHandout],
                          labels: LabelOptions | None = None) -> dict[str, list[str]]:
    """Write shortages.xlsx and the re-issued books under `folder` (the receiving/ staging folder).
    With `labels` the re-issued handout lists keep the cutoff's pickup codes (the same QR codes) and
    labels/ gets the re-issued labels (labels/reissue.py). Returns the files written, relative to
    it, per kind."""
    if labels is not None:
        lines, _ = handout_pictures(labels, [(h.pickup_point_id, h.lines) for h in handouts])
        handouts = [replace(h, lines=new) for h, new in zip(handouts, lines, strict=True)]
    books = [shortages_book(folder / "shortages.xlsx", payables, shortages, allocations, suppliers, products, ctx)]
    books += [revised_route_book(workbook_path(folder, "sorting", r.route.route_id), r, ctx) for r in routes]
    books += [revised_handout_book(workbook_path(folder, "handout", h.pickup_point_id), h, ctx) for h in handouts]
    write_workbooks(books, created=ctx.created)
    return {"sorting": [f"sorting/{r.route.route_id}.xlsx" for r in routes],
            "handout": [f"handout/{h.pickup_point_id}.xlsx" for h in handouts]}
