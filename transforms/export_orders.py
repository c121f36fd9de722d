"""The order rows of a platform export, read into orders and their lines (docs/platform-exports.md,
"Reading the rows").

- One row per item (快团团 小区团购): an order repeats its 跟团号; its order-level amounts (订单金额,
  运费, 优惠, 退款金额) are on its first row (empty or 0 on the others; an order's amounts are
  the sums over its rows). One row per order (快团团 普通团购, 群接龙): its items in one cell.
- A row whose order-level columns (订单金额, 物流方式, 服务小区) are all empty or 0 continues the
  order above it, even when its 跟团号 differs (a hand-edited number): a warning
  `export_order_number:`. A row with the 跟团号 of the order above continues it too.
- 订单状态: paid (已支付, 已发货, 已送达, ...), cancelled (已取消), refunded (已退款); 待支付 rows are
  skipped, not rejected; an empty status is paid (an export without the column lists paid orders).
- A total row (合计, 总计) and a repeated header row are skipped; an empty row is no row.
- Anything that cannot be read rejects its row (the row as Excel numbers it, and why).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from transforms.export_cells import (
    CellError,
    CellValue,
    cell_text,
    is_blank,
    optional_fen,
    parse_items,
    parse_time,
    phone_digits,
    shown,
    split_name_spec,
    whole_number,
    yuan_to_fen,
)
from transforms.export_headers import ORDER_LEVEL, LineSheet, match_headers

STATUSES = {
    "已支付": "paid", "已付款": "paid", "已发货": "paid", "已送达": "paid", "已完成": "paid", "交易成功": "paid",
    "待发货": "paid", "待提货": "paid", "待核销": "paid", "已核销": "paid", "已提货": "paid", "已签收": "paid",
    "部分退款": "paid", "退款中": "paid",
    "已取消": "cancelled", "交易关闭": "cancelled", "已关闭": "cancelled",
    "已退款": "refunded", "全部退款": "refunded",
}
SKIPPED_STATUSES = ("待支付", "待付款", "未支付")
TOTAL_ROWS = ("合计", "总计")
ORDER_NO = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
TEXT_FIELDS = ("buyer", "receiver", "address", "pickup", "pickup_contact", "pickup_address", "leader",
               "building", "room", "lane", "unit")
AMOUNT_FIELDS = {"order_amount": "订单金额", "shipping": "运费", "discount": "优惠", "refund_amount": "退款金额"}


@dataclass
class ExportLine:
    row: int
    item_text: str      # the product as the export writes it: the key of master/export_map.csv
    name: str
    spec: str | None
    qty: int
    amount_fen: int | None  # 商品金额; None: the file holds no price for it


@dataclass
class ExportOrder:
    order_no: str
    row: int
    status: str
    text: dict[str, str | None]
    phone: str | None
    pickup_phone: str | None
    ordered_at: datetime | None
    refunded_at: datetime | None
    amounts: dict[str, int] = field(default_factory=dict)  # AMOUNT_FIELDS present in the file -> fen
    lines: list[ExportLine] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    incomplete: bool = False  # a row of it was rejected: its amounts are not checked

    @property
    def pickup_text(self) -> str | None:
        return self.text.get("pickup")


@dataclass(frozen=True)
class RowReject:
    row: int
    reason: str


@dataclass
class ReadRows:
    orders: list[ExportOrder]
    rejects: list[RowReject]
    warnings: list[str]       # export_order_number: ...
    skipped: dict[str, int]   # why -> rows skipped (待支付, a total row, a repeated header)
    data_rows: int            # rows below the header that hold something


def _get(cells: tuple[CellValue, ...], columns: dict[str, int], name: str) -> CellValue:
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _is_zero(value: CellValue) -> bool:
    try:
        return optional_fen(value) == 0
    except CellError:
        return False


def continues_order(cells: tuple[CellValue, ...], columns: dict[str, int]) -> bool:
    """A row whose order-level columns present are all empty (an amount of 0 counts as empty)."""
    present = [name for name in ORDER_LEVEL if name in columns]
    return bool(present) and all(
        is_blank(_get(cells, columns, name)) or (name == "order_amount" and _is_zero(_get(cells, columns, name)))
        for name in present)


def order_status(value: CellValue) -> str | None:
    """paid, cancelled or refunded; None for a row to skip (待支付). Raises for an unknown status."""
    text = cell_text(value)
    if text is None:
        return "paid"
    if text in SKIPPED_STATUSES:
        return None
    if text not in STATUSES:
        raise CellError(f"订单状态 {text!r} is not a known status (已支付, 已发货, 已送达, 已取消, 已退款, 待支付)")
    return STATUSES[text]


def _order_time(cells: tuple[CellValue, ...], columns: dict[str, int]) -> datetime | None:
    for name, label in (("paid_at", "支付时间"), ("ordered_at", "下单时间")):
        value = _get(cells, columns, name)
        if not is_blank(value):
            try:
                return parse_time(value)
            except CellError as exc:
                raise CellError(f"{label} {exc}") from None
    return None


def _new_order(order_no: str, number: int, status: str, cells: tuple[CellValue, ...],
               columns: dict[str, int]) -> ExportOrder:
    refunded = _get(cells, columns, "refunded_at")
    try:
        refunded_at = None if is_blank(refunded) else parse_time(refunded)
    except CellError as exc:
        raise CellError(f"退款时间 {exc}") from None
    return ExportOrder(
        order_no=order_no, row=number, status=status,
        text={name: cell_text(_get(cells, columns, name)) for name in TEXT_FIELDS},
        phone=phone_digits(_get(cells, columns, "phone")),
        pickup_phone=phone_digits(_get(cells, columns, "pickup_phone")),
        ordered_at=_order_time(cells, columns), refunded_at=refunded_at,
        amounts={name: 0 for name in AMOUNT_FIELDS if name in columns})


def _row_amounts(cells: tuple[CellValue, ...], columns: dict[str, int]) -> dict[str, int]:
    amounts = {}
    for name, label in AMOUNT_FIELDS.items():
        if name in columns:
            try:
                amounts[name] = optional_fen(_get(cells, columns, name))
            except CellError as exc:
                raise CellError(f"{label} {exc}") from None
    return amounts


def _row_lines(number: int, cells: tuple[CellValue, ...], line: LineSheet) -> list[ExportLine]:
    columns, layout = line.columns, line.layout
    item = cell_text(_get(cells, columns, "item"))
    if item is None:
        raise CellError("商品 is empty")
    spec_cell = cell_text(_get(cells, columns, "spec"))
    if layout.items_in_cell:
        lines = []
        for text, qty in parse_items(item, layout.platform):
            name, spec = split_name_spec(text)
            lines.append(ExportLine(number, text, name, spec, qty, None))
        return lines
    try:
        qty = whole_number(_get(cells, columns, "qty"))
    except CellError as exc:
        raise CellError(f"数量 {exc}") from None
    if qty < 1:
        raise CellError(f"数量 {qty} must be at least 1")
    amount_cell = _get(cells, columns, "item_amount")
    try:
        amount = None if is_blank(amount_cell) else yuan_to_fen(amount_cell)
    except CellError as exc:
        raise CellError(f"商品金额 {exc}") from None
    if amount is not None and amount % qty:
        raise CellError(f"商品金额 {shown(amount_cell)} / 数量 {qty} is not a whole number of fen "
                        f"({amount / qty / 100:.4f} yuan a unit): a unit price must be whole fen")
    name, spec = split_name_spec(item)
    return [ExportLine(number, item, name, spec or spec_cell, qty, amount)]


def _no_value_reason(sheet_no_value: dict, number: int, columns: dict[str, int]) -> str | None:
    for index in sorted(set(columns.values())):
        formula = sheet_no_value.get((number, index))
        if formula is not None:
            column = _column_letter(index)
            return (f"cell {column}{number} holds a formula with no saved value (={formula.lstrip('=')}): "
                    "open the file in Excel or WPS and save it, so its values are stored")
    return None


def _column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_order_rows(line: LineSheet, file: str) -> ReadRows:
    """Every row below the header of the line sheet, in order, read into orders (ExportOrder) or
    rejected (RowReject); `file` names the export in the warnings. A row that continues an order
    whose first row was skipped (待支付) is skipped; one that continues a rejected first row is
    rejected with it."""
    columns, sheet = line.columns, line.sheet
    read = ReadRows([], [], [], {}, 0)
    current: ExportOrder | None = None
    above: tuple[str, str | None, int] | None = None  # the order above: (state, its 跟团号, first row)
    for number, cells in sheet.rows:
        if number <= line.header_row or all(is_blank(v) for v in cells):
            continue
        read.data_rows += 1
        first = next(t for t in (cell_text(v) for v in cells) if t)
        if first in TOTAL_ROWS or repeats_header(cells, line):
            _skip(read, "a total row" if first in TOTAL_ROWS else "a repeated header row")
            continue
        order_no = cell_text(_get(cells, columns, "order_no"))
        continuation = above is not None and (order_no is None or order_no == above[1]
                                              or continues_order(cells, columns))
        missing = _no_value_reason(sheet.no_value, number, columns)
        if continuation and above[0] == "skipped":
            _skip(read, "待支付")
            continue
        if continuation and above[0] == "rejected":
            read.rejects.append(RowReject(number, f"continues the order of row {above[2]}, which was rejected"))
            continue
        if missing:
            read.rejects.append(RowReject(number, missing))
            if continuation:
                current.incomplete = True
            else:
                current, above = None, ("rejected", order_no, number)
            continue
        try:
            if continuation:
                amounts, lines = _row_amounts(cells, columns), _row_lines(number, cells, line)
                if order_no is not None and order_no != above[1]:
                    read.warnings.append(
                        f"export_order_number: {file}: sheet {sheet.name} row {number} continues order "
                        f"{current.order_no} above it (its 跟团号 {order_no} differs: edited by hand?); "
                        f"read as order {current.order_no}")
            else:
                if order_no is None:
                    raise CellError("跟团号 is empty and the row starts an order (its 订单金额, 物流方式 or 服务小区 "
                                    "is filled)")
                if not ORDER_NO.match(order_no):
                    raise CellError(f"跟团号 {order_no!r} must be letters, digits, _ . - (up to 40)")
                status = order_status(_get(cells, columns, "status"))
                if status is None:
                    current, above = None, ("skipped", order_no, number)
                    _skip(read, "待支付")
                    continue
                amounts, lines = _row_amounts(cells, columns), _row_lines(number, cells, line)
                current = _new_order(order_no, number, status, cells, columns)
                above = ("order", order_no, number)
                read.orders.append(current)
        except CellError as exc:
            read.rejects.append(RowReject(number, str(exc)))
            if continuation:
                current.incomplete = True
            else:
                current, above = None, ("rejected", order_no, number)
            continue
        for name, fen in amounts.items():
            current.amounts[name] += fen
        current.lines.extend(lines)
        current.rows.append(number)
    if "status" not in columns:  # an export without 订单状态: an order refunded in full is refunded
        for order in read.orders:
            if 0 < order.amounts.get("order_amount", 0) <= order.amounts.get("refund_amount", 0):
                order.status = "refunded"
    return read


def repeats_header(cells: tuple[CellValue, ...], line: LineSheet) -> bool:
    """A row holding the header again (an export stitched from pages): its required columns hold
    their headers. Only text is compared (a number is no header)."""
    required = line.layout.required
    return all(isinstance(_get(cells, line.columns, name), str) for name in required) and all(
        name in match_headers(tuple(_get(cells, line.columns, f) for f in required), line.layout.platform)
        for name in required)


def _skip(read: ReadRows, why: str) -> None:
    read.skipped[why] = read.skipped.get(why, 0) + 1


# -- times and ids -----------------------------------------------------------------------------------

def order_rank_key(order_no: str) -> tuple[int, int, str]:
    """跟团号 in the order people joined: numbers numerically (2 before 10), then other text."""
    return (0, int(order_no), "") if order_no.isdigit() else (1, 0, order_no)


def fill_times_from_range(orders: list[ExportOrder], start: datetime, end: datetime) -> None:
    """Orders without a time of their own get one from the 说明 sheet's range, by 跟团号: the first
    at its start, the last at its end, the others evenly between (whole seconds)."""
    ranked = sorted(orders, key=lambda o: order_rank_key(o.order_no))
    span = int((end - start).total_seconds())
    last = max(len(ranked) - 1, 1)
    for position, order in enumerate(ranked):
        if order.ordered_at is None:
            order.ordered_at = start + timedelta(seconds=span * position // last)


def stable_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def order_id(platform: str, group: str, order_no: str) -> str:
    """`ktt-3f2a9c1b-17`: the platform, the group (团购) and its 跟团号, so a re-export of the group
    gives the same id (a new version of the order, never a second one)."""
    return f"{platform}-{stable_hash(group, 8)}-{order_no}"


def customer_id(phone: str | None, name: str | None) -> str:
    """One id per customer across groups and exports: a hash of the phone's digits (of the name
    when there is no phone). A pseudonym: a phone can be found from it by trying them all."""
    key = f"phone:{phone}" if phone else f"name:{name or ''}"
    return f"c-{stable_hash('cutoff-export-customer|' + key, 12)}"
