"""handout/<pickup_point_id>.xlsx: the team leader's handout list (提货单) of one pickup point.

The header: pickup point, address, leader, date, then "今日订单共 N 件" (N = the point's allocated
units) and the number of customers. Then one row per allocated order line, in the order and
with the blanks of transforms/sorting.py (`prepare_handouts`): only lines with allocated units,
only this pickup point's customers. In a grid, a heavier line above each customer's first line,
序号 and 手机尾号 centred (a right-aligned number against a left-aligned tail read as one
number), the phone tail and name on every line, filter buttons on the label row. Door delivery
(lines with a building or room): 楼号 and 房号 after the customer, the list in walking order. When
the run prints pickup codes (labels/run_labels.py adds `qr`, `qr_png`, `qr_height` to the rows), a
last column 提货码 holds each order's QR code on the order's first row (docs/labels.md).
"""

from __future__ import annotations

from pathlib import Path

from labels.run_labels import QR_SIDE
from sheets.labels import BookContext
from sheets.spec import INT, TEXT, BookSpec, Column, Pictures, SheetSpec
from sheets.writer import write_workbooks
from transforms.sorting import Handout

QR_COLUMN_WIDTH = 7.5  # characters: a QR picture of 34 pt and its margins
ITEM_WIDTH = 32
DOOR_WIDTH = 12  # 楼号 and 房号, 6 each
SPARE = 4  # what the list without doors and codes leaves of a portrait page at 9 pt (~96 units)


def item_width(door: bool, codes: bool) -> float:
    """The item's wrap width: what the door columns and the code column take beyond the spare
    comes out of it (with both, at ITEM_WIDTH, an export's list printed at 7.8 pt)."""
    extra = (DOOR_WIDTH if door else 0) + (QR_COLUMN_WIDTH if codes else 0)
    return ITEM_WIDTH - max(0.0, extra - SPARE)


def handout_sheet(handout: Handout, ctx: BookContext) -> SheetSpec:
    t = ctx.labels
    # portrait A4 at 9 pt or more: the item wraps past ITEM_WIDTH, 手机尾号 prints on two lines
    door = (Column("building", t["building"], TEXT, DOOR_WIDTH / 2, 10, center=True),
            Column("room", t["room"], TEXT, DOOR_WIDTH / 2, 10, center=True)) if handout.door else ()
    columns = (Column("seq", t["seq"], INT, 5, center=True),
               Column("phone_tail", t["phone_tail"], TEXT, 6, center=True),
               # a platform export's names are WeChat nicknames, some long: they wrap, as the item does
               Column("customer_name", t["customer"], TEXT, 10, wrap=True), *door,
               Column("order_id", t["order_id"], TEXT, 10, 24),
               Column("item", t["item"], TEXT, item_width(handout.door, "qr_png" in handout.lines.columns), wrap=True),
               Column("units", t["units"], INT, 6),
               Column("unit", t["unit"], TEXT, 5, 8), Column("signed", t["signed"], TEXT, 6))
    columns, pictures = with_code_column(columns, handout.lines, t)
    title = t["handout_title"].format(platform=ctx.platform_name)
    units = handout.units
    return SheetSpec(
        title=t["sheet_handout"], columns=columns, frame=handout.lines,
        title_line=title,
        header=((t["pickup_point"], f"{handout.pickup_point_id} {handout.name}".strip()),
                (t["address"], handout.address or ""), (t["leader"], handout.leader_name or ""),
                (t["cutoff_date"], ctx.cutoff_date.isoformat())),
        highlights=(t["total_items"].format(n=units), t["customers_count"].format(n=handout.customers)),
        totals={"seq": t["total"], "units": units},
        block_key="is_new_customer", autofilter=True, pictures=pictures,
        footer=f"{title} {handout.pickup_point_id}")


def with_code_column(columns: tuple[Column, ...], lines, t: dict) -> tuple[tuple[Column, ...], Pictures | None]:
    """The columns with the 提货码 column last and its pictures, when the rows carry QR codes."""
    if "qr_png" not in lines.columns:
        return columns, None
    return (*columns, Column("qr", t["pickup_code"], TEXT, QR_COLUMN_WIDTH, QR_COLUMN_WIDTH)), \
        Pictures("qr_png", "qr", QR_SIDE, "qr_height")


def handout_book(path: Path, handout: Handout, ctx: BookContext) -> BookSpec:
    return BookSpec(path, (handout_sheet(handout, ctx),),
                    f"{ctx.labels['sheet_handout']} {handout.pickup_point_id}")


def write_handout(path: Path, handout: Handout, ctx: BookContext) -> None:
    write_workbooks([handout_book(path, handout, ctx)], created=ctx.created)
