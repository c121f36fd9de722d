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
from sheets.handouts import with_code_column
from sheets.labels import BookContext
from sheets.receiving_labels import receiving_labels
from sheets.sorting import matrix_sheets, pick_list_sheet
from sheets.spec import INT, MONEY, TEXT, BookSpec, Column, SheetSpec, workbook_path, yuan_text
from sheets.writer import write_workbooks
from transforms.reissue import RevisedHandout, RevisedRoute


def _status(t: dict, column: str = "status") -> pl.Expr:
    return pl.col(column).replace_strict({s: t[f"status_{s}"] for s in ("pending", "complete", "short")},
                                         default=pl.col(column))


def receiving_sheet(payables: pl.DataFrame, suppliers: pl.DataFrame, products: pl.DataFrame,
                    shortages: pl.DataFrame, ctx: BookContext) -> SheetSpec:
    t = receiving_labels(ctx.lang)
    figures = ("units_purchased", "units_received", "units_damaged", "units_good", "units_short", "units_over",
               "units_payable")
    frame = (payables.join(suppliers.select("supplier_id", pl.col("name").alias("supplier_name")), on="supplier_id",
                           how="left")
             .join(products.select("sku_id", "name", "spec", "unit"), on="sku_id", how="left")
             .with_columns(_status(t).alias("status_text"), pl.col("cost_fen").alias("po_fen"))
             .sort("supplier_id", "sku_id"))
    columns = (Column("supplier_id", t["supplier"], TEXT, 8), Column("supplier_name", t["supplier_name"], TEXT, 12, 30),
               Column("sku_id", t["sku"], TEXT, 8), Column("name", t["name"], TEXT, 12, 30),
               Column("unit", t["unit"], TEXT, 4, 6), Column("status_text", t["status"], TEXT, 6),
               Column("po_fen", t["po_fen"], MONEY, 10),
               *(Column(f, t[f], INT, 6) for f in figures),
               Column("payable_fen", t["payable_fen"], MONEY, 10))
    totals = {"supplier_id": t["total"], "po_fen": int(frame["po_fen"].sum()),
              **{f: int(frame[f].sum()) for f in figures}, "payable_fen": int(frame["payable_fen"].sum())}
    pending = int((payables["status"] == "pending").sum())
    notes = (t["receiving_note"].format(short=totals["units_short"], lines=shortages.height,
                                        refund=yuan_text(int(shortages["short_refund_fen"].sum())),
                                        payable=yuan_text(totals["payable_fen"])),)
    notes += (t["receiving_pending"].format(n=pending),) if pending else ()
    title = t["receiving_title"].format(run=ctx.run)
    return SheetSpec(title=t["sheet_receiving"], columns=columns, frame=frame, title_line=title,
                     header=((t["run"], ctx.run), (t["cutoff_at"], ctx.cutoff_at)), notes=notes, totals=totals,
                     landscape=True, freeze_columns=2, footer=title)


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
                           shortage_lines_sheet(shortages, allocations, suppliers, products, ctx)),
                    t["receiving_title"].format(run=ctx.run))


def _marked(title: str, t: dict) -> str:
    return f"{title} · {t['revised']}"


def revised_route_book(path: Path, revised: RevisedRoute, ctx: BookContext) -> BookSpec:
    """The cutoff's sorting book of the route with the units after the shortage, marked 修订版."""
    t = receiving_labels(ctx.lang)
    note = t["route_revised_note"].format(short=revised.units_short, before=revised.units_before)
    route_id = revised.route.route_id
    sheets = []
    if revised.route.units.height:  # a route left with nothing to hand out has only its shortages
        for sheet in (*matrix_sheets(revised.route, ctx), pick_list_sheet(revised.route, ctx)):
            sheets.append(replace(sheet, title_line=_marked(sheet.title_line, t), notes=(note,),
                                  footer=_marked(sheet.footer, t)))
    columns = (Column("route_seq", t["stop_seq"], INT, 5), Column("pickup_point_id", t["pickup_point"], TEXT, 8),
               Column("point_name", t["point_name"], TEXT, 10, 24), Column("sku_id", t["sku"], TEXT, 8),
               Column("name", t["name"], TEXT, 12, 30), Column("spec", t["spec"], TEXT, 6, 14),
               Column("unit", t["unit"], TEXT, 4, 6), Column("ordered", t["ordered"], INT, 6),
               Column("short", t["short"], INT, 6), Column("units", t["units_out"], INT, 6))
    cut = revised.cut
    title = _marked(t["route_cut_title"].format(route=route_id), t)
    sheets.append(SheetSpec(
        title=t["sheet_route_cut"], columns=columns, frame=cut, title_line=title,
        header=((t["route"], route_id), (t["run"], ctx.run)), notes=(note,),
        totals={"route_seq": t["total"], **{c: int(cut[c].sum()) for c in ("ordered", "short", "units")}},
        footer=title))
    return BookSpec(path, tuple(sheets), _marked(t["matrix_title"].format(route=route_id), t))


def revised_handout_book(path: Path, handout: RevisedHandout, ctx: BookContext) -> BookSpec:
    """The cutoff's handout list of the pickup point after the shortage, marked 修订版, every line
    with what it had, what it gives up and what is handed out."""
    t = receiving_labels(ctx.lang)
    columns = (Column("seq", t["seq"], INT, 5), Column("phone_tail", t["phone_tail"], TEXT, 8),
               Column("customer_name", t["customer"], TEXT, 10, 24), Column("order_id", t["order_id"], TEXT, 10, 24),
               Column("item", t["item"], TEXT, 20, 44), Column("ordered", t["ordered"], INT, 6),
               Column("short", t["short"], INT, 6), Column("units", t["units_out"], INT, 6),
               Column("unit", t["unit"], TEXT, 5, 8), Column("signed", t["signed"], TEXT, 6))
    columns, pictures = with_code_column(columns, handout.lines, ctx.labels)  # the cutoff's codes, unchanged
    title = _marked(t["handout_title"].format(platform=ctx.platform_name), t)
    sheet = SheetSpec(
        title=t["sheet_handout"], columns=columns, frame=handout.lines, title_line=title,
        header=((t["pickup_point"], f"{handout.pickup_point_id} {handout.name}".strip()),
                (t["address"], handout.address or ""), (t["leader"], handout.leader_name or ""),
                (t["cutoff_date"], ctx.cutoff_date.isoformat())),
        highlights=(t["handout_revised_items"].format(n=handout.units),
                    t["customers_count"].format(n=handout.customers)),
        notes=(t["handout_revised_note"].format(customers=handout.customers_short, short=handout.units_short,
                                                before=handout.units_before),),
        totals={"seq": t["total"], "ordered": handout.units_before, "short": handout.units_short,
                "units": handout.units},
        pictures=pictures, footer=f"{title} {handout.pickup_point_id}")
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
