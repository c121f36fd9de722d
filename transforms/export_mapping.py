"""A platform export turned into the contract's order lines and refunds (docs/platform-exports.md,
"Mapping to the master data").

- `parse_export`: the workbook's sheets -> its layout, group, orders (transforms/export_orders.py),
  summary sheets and 说明 range; orders without a time of their own take one from that range.
- `map_export`: each order's time (its own, or placed by master/export_groups.csv), pickup point
  (master/export_map.csv `pickup_point`, the 服务小区 / 自提点 text; `*` for an export without one),
  and for each line its SKU (export_map.csv `product`, the 商品 text as exported) and the listing of
  that SKU open at the order's time (opens_at <= time <= closes_at; the first to close). A line
  without a price in the file takes its listing's. Whatever is not mapped is rejected naming the
  text to add. Then the money (transforms/export_money.py) and the ids (transforms/export_orders.py).
- `summary_mismatches`: the export's summary sheets against the lines read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from transforms.export_headers import (
    Layout,
    LineSheet,
    Sheet,
    SummarySheets,
    find_line_sheet,
    group_title,
    headers_found,
    order_time_range,
    read_summary_sheets,
)
from transforms.export_money import amount_mismatch, line_shares
from transforms.export_orders import (
    ExportOrder,
    ReadRows,
    customer_id,
    fill_times_from_range,
    order_id,
    order_rank_key,
    read_order_rows,
)
from transforms.money import fen_to_yuan_text

NO_PICKUP = "*"  # the export_map.csv text of an export (or a row) that names no pickup place


@dataclass
class ParsedExport:
    file: str
    line: LineSheet
    layout: Layout
    group: str
    rows: ReadRows
    summary: SummarySheets
    time_range: tuple[datetime, datetime] | None
    exported_at: datetime | None  # when the file was saved (an aware instant), if it says

    @property
    def sheet(self) -> str:
        return self.line.sheet.name


class NotAnExport(ValueError):
    """A workbook that is none of the known exports: the message lists the headers found."""


def parse_export(sheets: list[Sheet], file: str, file_name: str, exported_at: datetime | None) -> ParsedExport:
    line = find_line_sheet(sheets)
    if line is None:
        raise NotAnExport(f"not a 快团团 or 群接龙 export: no sheet has the columns of one (跟团号 or 接龙号, "
                          f"商品, ...) in its first rows; found {headers_found(sheets)}")
    rows = read_order_rows(line, file)
    time_range = order_time_range(sheets, line.sheet)
    if time_range is not None:
        fill_times_from_range(rows.orders, *time_range)
    return ParsedExport(file, line, line.layout, group_title(line, sheets, file_name), rows,
                        read_summary_sheets(sheets, line.sheet), time_range, exported_at)


@dataclass(frozen=True)
class ListingSpan:
    listing_id: str
    opens_at: datetime
    closes_at: datetime
    unit_price_fen: int


@dataclass(frozen=True)
class ExportMaster:
    """What mapping needs of the master data: export_map.csv as two lookups, each SKU's listings
    (sorted by closes_at), and where export_groups.csv places a group's orders ((from, to], local)."""

    products: dict[str, str]
    pickups: dict[str, str]
    listings: dict[str, list[ListingSpan]]
    placements: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)


@dataclass
class MappedExport:
    lines: list[dict]     # the contract's order-line columns, plus `sheet_row` (the row Excel shows)
    refunds: list[dict]   # the contract's refund columns, plus `sheet_row`
    rejects: list[dict]   # sheet_row, reason, order_id, line_no, listing_id, created_at
    warnings: list[tuple[str | None, str]]  # (order_id or None for the whole file, the warning)


def place_orders(parsed: ParsedExport, placement: tuple[datetime, datetime] | None) -> None:
    """A group export_groups.csv places (`cutoff init --from-export --date D`): its orders are spread
    evenly over (from, to) in the order they came (their own times, then 跟团号, then row)."""
    if placement is None or not parsed.rows.orders:
        return
    start, end = placement
    ordered = sorted(parsed.rows.orders, key=lambda o: (o.ordered_at is None, o.ordered_at or start,
                                                        order_rank_key(o.order_no), o.row))
    seconds = int((end - start).total_seconds())
    for rank, order in enumerate(ordered):
        order.ordered_at = start + timedelta(seconds=seconds * (rank + 1) // (len(ordered) + 1))


def listing_at(spans: list[ListingSpan], instant: datetime) -> ListingSpan | None:
    """The SKU's listing open at `instant`: opens_at <= instant <= closes_at, the first to close."""
    return next((s for s in spans if s.opens_at <= instant <= s.closes_at), None)


def _door(order: ExportOrder) -> tuple[str | None, str | None]:
    """building and room as written; a 弄号 goes before the building, a 单元 before the room."""
    text = order.text
    building = "-".join(p for p in (text.get("lane"), text.get("building")) if p) or None
    room = "-".join(p for p in (text.get("unit"), text.get("room")) if p) or None
    return building, room


def map_export(parsed: ParsedExport, master: ExportMaster, timezone: str) -> MappedExport:
    tz = ZoneInfo(timezone)
    out = MappedExport([], [], [], [(None, w) for w in parsed.rows.warnings])
    place_orders(parsed, master.placements.get(parsed.group))
    platform = parsed.layout.platform
    exported_at = parsed.exported_at.astimezone(tz) if parsed.exported_at else None
    for order in parsed.rows.orders:
        oid = order_id(platform, parsed.group, order.order_no)
        created = order.ordered_at.replace(tzinfo=tz) if order.ordered_at else None
        pickup_text = order.pickup_text or NO_PICKUP
        pickup = master.pickups.get(pickup_text)
        good: list[tuple[int, dict]] = []
        for line_no, line in enumerate(order.lines, start=1):
            reject = {"sheet_row": line.row, "order_id": oid, "line_no": str(line_no), "listing_id": None,
                      "created_at": created}
            sku = master.products.get(line.item_text)
            span = listing_at(master.listings.get(sku, []), created) if sku and created else None
            problem = (
                "no order time: the export has no 支付时间 or 下单时间 and no 说明 range; place it with "
                "`cutoff init --from-export FILE --date D`" if created is None
                else f"商品 {line.item_text!r} is not in master/export_map.csv: add a row `product,{line.item_text},"
                     f"<sku_id>` (`cutoff map-export` lists every such text)" if sku is None
                else f"服务小区 {pickup_text!r} is not in master/export_map.csv: add a row `pickup_point,"
                     f"{pickup_text},<pickup_point_id>`" if pickup is None
                else f"no listing of SKU {sku} ({line.item_text}) is open at {created.isoformat()} "
                     f"(listings.csv)" if span is None
                else None)
            if problem is not None:
                out.rejects.append({**reject, "reason": problem})
                order.incomplete = True
                continue
            price = line.amount_fen // line.qty if line.amount_fen is not None else span.unit_price_fen
            good.append((line_no, {"line": line, "listing_id": span.listing_id, "unit_price_fen": price}))
        if not good:
            continue
        amounts = [g["unit_price_fen"] * g["line"].qty for _, g in good]
        discount, refund = order.amounts.get("discount", 0), order.amounts.get("refund_amount", 0)
        shipping = order.amounts.get("shipping", 0)
        if "order_amount" in order.amounts and not order.incomplete and order.status == "paid":
            mismatch = amount_mismatch(order.amounts["order_amount"], amounts, discount, shipping)
            if mismatch:
                out.warnings.append((oid, f"export_amount_mismatch: {parsed.file}: order {order.order_no} "
                                          f"(sheet {parsed.sheet} row {order.row}): {mismatch}"))
        building, room = _door(order)
        updated = max(created, exported_at) if exported_at else created
        name = order.text.get("receiver") or order.text.get("buyer")
        for line_no, g in good:
            out.lines.append({
                "order_id": oid, "line_no": line_no, "listing_id": g["listing_id"],
                "customer_id": customer_id(order.phone, order.text.get("buyer") or name),
                "customer_name": name, "phone_tail": order.phone[-4:] if order.phone and len(order.phone) >= 4
                else None, "pickup_point_id": pickup, "qty": g["line"].qty, "unit_price_fen": g["unit_price_fen"],
                "status": order.status, "created_at": created, "updated_at": updated,
                "building": building, "room": room, "sheet_row": g["line"].row})
        if order.status != "paid":
            continue
        discounts, refunds = line_shares(amounts, discount, refund)
        refunded_at = order.refunded_at.replace(tzinfo=tz) if order.refunded_at else created
        for (line_no, g), off, back in zip(good, discounts, refunds, strict=True):
            for kind, fen, reason, at in (("D", off, "优惠", created), ("R", back, "退款", refunded_at)):
                if fen > 0:
                    out.refunds.append({"refund_id": f"{oid}-{line_no}-{kind}", "order_id": oid, "line_no": line_no,
                                        "amount_fen": fen, "reason": reason, "created_at": at,
                                        "sheet_row": g["line"].row})
    return out


def units_read(parsed: ParsedExport) -> tuple[dict[str, int], dict[str, int]]:
    """Units of the lines read, per product text and per pickup text: the orders not cancelled (the
    summary sheets leave out cancelled orders; an order refunded later was sold)."""
    products: dict[str, int] = {}
    pickups: dict[str, int] = {}
    for order in parsed.rows.orders:
        if order.status == "cancelled":
            continue
        for line in order.lines:
            products[line.item_text] = products.get(line.item_text, 0) + line.qty
            place = order.pickup_text or NO_PICKUP
            pickups[place] = pickups.get(place, 0) + line.qty
    return products, pickups


def summary_mismatches(parsed: ParsedExport) -> list[str]:
    """`export_summary_mismatch: FILE: product NAME: summary N, lines M`, one per product (and per
    pickup point) whose units in the export's summary sheets differ from the lines read; a
    product found only in the summary has lines 0. Rows of a summary sheet that cannot be read are
    named too."""
    products, pickups = units_read(parsed)
    out = [f"export_summary_mismatch: {parsed.file}: {problem}" for problem in parsed.summary.problems]
    for kind, stated, read in (("product", parsed.summary.products, products),
                               ("pickup point", parsed.summary.pickups, pickups)):
        if stated is None:
            continue
        for key in sorted(set(stated) | (set(read) - {NO_PICKUP})):
            if stated.get(key, 0) != read.get(key, 0):
                out.append(f"export_summary_mismatch: {parsed.file}: {kind} {key}: summary {stated.get(key, 0)}, "
                           f"lines {read.get(key, 0)}")
    return out


def describe(parsed: ParsedExport) -> str:
    """One line for the command line: what the export holds."""
    rows = parsed.rows
    lines = sum(len(o.lines) for o in rows.orders)
    paid = sum(o.amounts.get("order_amount", 0) for o in rows.orders if o.status == "paid")
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(rows.skipped.items()))
    return (f"{parsed.file}: {parsed.layout.title} (sheet {parsed.sheet}), group {parsed.group!r}: "
            f"{len(rows.orders)} orders, {lines} lines, 订单金额 {fen_to_yuan_text(paid)}, {len(rows.rejects)} rows "
            f"rejected" + (f", skipped {skipped}" if skipped else ""))


def unmapped(parsed: ParsedExport, master: ExportMaster, product_names: dict[str, str]) -> list[dict]:
    """The export's texts export_map.csv does not map: rows of `field`, `text`, an empty `maps_to`
    and a `note` (units, the first rows, and for a product the SKUs of that name, if any).
    `product_names`: sku_id -> name of products.csv."""
    found: dict[tuple[str, str], dict] = {}
    for order in parsed.rows.orders:
        place = order.pickup_text or NO_PICKUP
        keys = [("pickup_point", place, sum(line.qty for line in order.lines), order.row)]
        keys += [("product", line.item_text, line.qty, line.row) for line in order.lines]
        for kind, text, units, row in keys:
            lookup = master.products if kind == "product" else master.pickups
            if text in lookup:
                continue
            entry = found.setdefault((kind, text), {"units": 0, "rows": []})
            entry["units"] += units
            entry["rows"].append(row)
    out = []
    for (kind, text), entry in found.items():
        rows = sorted(set(entry["rows"]))
        where = f"{entry['units']} unit(s), sheet {parsed.sheet} row(s) {', '.join(map(str, rows[:5]))}" + (
            " ..." if len(rows) > 5 else "")
        if kind == "product":
            name = text.split("(")[0].split("（")[0].strip()
            alike = sorted(sku for sku, sku_name in product_names.items() if name and name in (sku_name or ""))
            where += f"; products.csv has {', '.join(alike[:5])} named like it" if alike else ""
        else:
            where += "; `*` is an export naming no pickup place" if text == NO_PICKUP else ""
        out.append({"field": kind, "text": text, "maps_to": "", "note": where})
    return sorted(out, key=lambda r: (r["field"] != "product", r["text"]))
