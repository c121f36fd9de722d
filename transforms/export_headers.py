"""What a platform export is (docs/platform-exports.md, "Recognising an export"): its layout,
found by its headers anywhere in the first rows of a sheet, names matched through alias lists;
its summary sheets (商品汇总表, 服务小区商品汇总表); the 说明 sheet's time range; the group it
belongs to.

Three layouts, tried in this order on each sheet, each row of its first HEADER_ROWS rows:

| layout        | platform | one row per | needs (aliases below)                  |
| ------------- | -------- | ----------- | -------------------------------------- |
| ktt_community | 快团团    | item        | order_no (跟团号), item (商品), qty (数量) |
| ktt_standard  | 快团团    | order       | order_no (跟团号), item, order_amount, no qty |
| qjl           | 群接龙    | order       | order_no (接龙号 / 下单序号), item (商品合计), order_amount |

A header is compared after `normalize_header`: blanks and a leading `*` dropped, a trailing hint
in brackets (`楼号（如10）` -> `楼号`) dropped, ASCII lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from transforms.export_cells import CellError, CellValue, cell_text, parse_time, whole_number

HEADER_ROWS = 20  # a header row is looked for in the first rows of a sheet (title rows above it)

COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "buyer": ("下单人", "微信昵称", "昵称", "下单用户", "用户昵称", "买家昵称"),
    "receiver": ("收货人", "收件人", "收货人姓名", "收件人姓名", "提货人", "取货人"),
    "phone": ("联系电话", "联系方式", "收件人手机号码", "收货人手机号", "收货人手机号码", "收货人电话", "手机号",
              "手机号码", "手机", "电话", "收件人电话", "收件人手机"),
    "address": ("详细地址", "收货地址", "收件地址", "地址", "配送地址"),
    "pickup": ("服务小区", "自提点", "自提点名称", "提货点", "取货点", "自提地点"),
    "pickup_contact": ("服务小区联系人", "自提点联系人", "提货点联系人"),
    "pickup_phone": ("服务小区电话", "自提点电话", "自提点联系电话", "提货点电话"),
    "pickup_address": ("服务小区地址", "自提点地址", "提货点地址"),
    "leader": ("团长", "团长昵称", "所属团长"),
    "spec": ("规格", "商品规格"),
    "qty": ("数量", "购买数量", "商品数量", "件数"),
    "item_amount": ("商品金额", "商品总价", "商品小计", "小计"),
    "shipping": ("运费", "配送费"),
    "discount": ("优惠", "优惠金额", "订单优惠"),
    "order_amount": ("订单金额", "订单总金额", "实付金额", "支付金额", "实收金额", "实付款", "总金额"),
    "refund_amount": ("退款金额", "订单退款", "已退款金额", "退款总额"),
    "delivery": ("物流方式", "配送方式", "提货方式", "收货方式"),
    "status": ("订单状态", "状态", "支付状态"),
    "paid_at": ("支付时间", "付款时间"),
    "ordered_at": ("下单时间", "创建时间", "接龙时间", "跟团时间"),
    "refunded_at": ("退款时间",),
    "group_title": ("团购标题", "团购名称", "接龙标题", "活动名称", "团购活动"),
    "building": ("楼号", "楼栋", "楼栋号", "栋", "栋号", "幢", "幢号", "楼", "几号楼", "几栋"),
    "room": ("房号", "房间号", "门牌号", "室", "室号", "房间"),
    "lane": ("弄号", "弄"),
    "unit": ("单元", "单元号"),
}
PLATFORM_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "ktt": {"order_no": ("跟团号", "跟团序号"), "item": ("商品", "商品名称", "商品信息")},
    "qjl": {"order_no": ("接龙号", "下单序号", "接龙序号", "序号"),
            "item": ("商品合计", "商品", "商品信息", "购买商品", "商品明细", "商品名称")},
}
ORDER_LEVEL = ("order_amount", "delivery", "pickup")  # all empty on a row: it continues the order above


@dataclass(frozen=True)
class Layout:
    name: str
    platform: str
    title: str
    required: tuple[str, ...]
    absent: tuple[str, ...] = ()
    items_in_cell: bool = False  # the items of an order in one cell (名称+数量 / 名称*数量)


LAYOUTS = (
    Layout("ktt_community", "ktt", "快团团 小区团购", ("order_no", "item", "qty")),
    Layout("ktt_standard", "ktt", "快团团 普通团购", ("order_no", "item", "order_amount"), ("qty",), True),
    Layout("qjl", "qjl", "群接龙", ("order_no", "item", "order_amount"), (), True),
)


@dataclass(frozen=True)
class Sheet:
    """A sheet as read: (row number as Excel shows it, its cells from column A) for each row that
    holds a cell, and the cells holding a formula without a saved value ((row, column index) ->
    the formula)."""

    name: str
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...]
    no_value: Mapping[tuple[int, int], str] = field(default_factory=dict)


@dataclass(frozen=True)
class LineSheet:
    """The sheet of order rows: its layout, header row, the column of each field (0-based) and
    the header texts as the file writes them."""

    sheet: Sheet
    layout: Layout
    header_row: int
    columns: dict[str, int]
    headers: tuple[str | None, ...]


def normalize_header(value: CellValue) -> str:
    text = re.sub(r"\s+", "", cell_text(value) or "").lstrip("*＊")
    text = re.sub(r"[(（](?:如|例|比如|示例|例如|e\.?g\.?)[^()（）]*[)）]$", "", text, flags=re.IGNORECASE)
    return text.lower()


def aliases_for(platform: str) -> dict[str, tuple[str, ...]]:
    return {**COMMON_ALIASES, **PLATFORM_ALIASES[platform]}


@cache
def _lookup(platform: str) -> dict[str, str]:
    return {alias: name for name, aliases in aliases_for(platform).items() for alias in aliases}


def match_headers(cells: tuple[CellValue, ...], platform: str) -> dict[str, int]:
    """field -> the column (0-based) of its first header in the row."""
    lookup = _lookup(platform)
    found: dict[str, int] = {}
    for index, value in enumerate(cells):
        name = lookup.get(normalize_header(value))
        if name is not None and name not in found:
            found[name] = index
    return found


def find_line_sheet(sheets: list[Sheet]) -> LineSheet | None:
    """The first sheet, row and layout whose headers a layout recognises (layouts in LAYOUTS order
    for each row, rows top down, sheets in workbook order)."""
    for sheet in sheets:
        for number, cells in sheet.rows[:HEADER_ROWS]:
            for layout in LAYOUTS:
                columns = match_headers(cells, layout.platform)
                if all(f in columns for f in layout.required) and not any(f in columns for f in layout.absent):
                    return LineSheet(sheet, layout, number, columns, tuple(cell_text(v) for v in cells))
    return None


def headers_found(sheets: list[Sheet], limit: int = 30) -> str:
    """What an unknown workbook holds, for its one-line reject: each sheet's fullest row among its
    first rows (`sheet 订单: 姓名, 电话, 金额`)."""
    parts = []
    for sheet in sheets:
        rows = [[t for t in (cell_text(v) for v in cells) if t] for _, cells in sheet.rows[:HEADER_ROWS]]
        fullest = max(rows, key=len, default=[])
        shown = ", ".join(t.replace("\n", " ")[:30] for t in fullest[:limit]) + (" ..." if len(fullest) > limit else "")
        parts.append(f"sheet {sheet.name}: {shown or '(empty)'}")
    return "; ".join(parts) if parts else "no sheet"


# -- the summary sheets, the 说明 sheet, the group -------------------------------------------------

SUMMARY_UNITS = ("销售数量", "销量", "已售数量", "售出数量")
POINT_UNITS = ("商品总数", "商品件数", "总件数")


@dataclass(frozen=True)
class SummarySheets:
    """Units per product key (`名称(规格)`) and per pickup place as the export's own summary
    sheets state them; None when the export has no such sheet."""

    products: dict[str, int] | None
    pickups: dict[str, int] | None
    problems: tuple[str, ...] = ()  # summary rows that could not be read (named in the warnings)


def _header_in(sheet: Sheet, needed: tuple[tuple[str, ...], ...]) -> tuple[int, dict[str, int]] | None:
    for number, cells in sheet.rows[:HEADER_ROWS]:
        names = {normalize_header(v): i for i, v in reversed(list(enumerate(cells)))}
        found = [next((names[a] for a in aliases if a in names), None) for aliases in needed]
        if all(i is not None for i in found):
            return number, dict(zip([a[0] for a in needed], found, strict=True))
    return None


def _cell(cells: tuple[CellValue, ...], index: int | None) -> CellValue:
    return cells[index] if index is not None and index < len(cells) else None


def read_summary_sheets(sheets: list[Sheet], line_sheet: Sheet) -> SummarySheets:
    products: dict[str, int] | None = None
    pickups: dict[str, int] | None = None
    problems: list[str] = []
    for sheet in sheets:
        if sheet is line_sheet:
            continue
        product_header = _header_in(sheet, (("商品", "商品名称"), SUMMARY_UNITS))
        point_header = _header_in(sheet, (("服务小区", "自提点"), POINT_UNITS))
        header, target, key_column = ((product_header, "products", "商品") if product_header
                                      else (point_header, "pickups", "服务小区") if point_header else (None, "", ""))
        if header is None:
            continue
        number, columns = header
        spec_at = _header_in(sheet, (("商品", "商品名称"), ("规格", "商品规格"))) if target == "products" else None
        spec_column = spec_at[1]["规格"] if spec_at and spec_at[0] == number else None
        units_column = columns[SUMMARY_UNITS[0] if target == "products" else POINT_UNITS[0]]
        counts: dict[str, int] = {}
        for row, cells in sheet.rows:
            if row <= number:
                continue
            name, spec = cell_text(_cell(cells, columns[key_column])), cell_text(_cell(cells, spec_column))
            if name is None or name in ("合计", "总计"):
                continue
            key = f"{name}({spec})" if spec else name
            try:
                counts[key] = counts.get(key, 0) + whole_number(_cell(cells, units_column))
            except CellError as exc:
                problems.append(f"sheet {sheet.name} row {row}: units {exc}")
        if target == "products" and products is None:
            products = counts
        elif target == "pickups" and pickups is None:
            pickups = counts
    return SummarySheets(products, pickups, tuple(problems))


_RANGE = re.compile(r"(?:下单时间|支付时间|时间范围)\s*[:：]\s*(.+?)\s*(?:至|到|~|～|\s-\s)\s*(.+?)\s*$")


def order_time_range(sheets: list[Sheet], line_sheet: Sheet) -> tuple[datetime, datetime] | None:
    """The 说明 sheet's `下单时间：2022-05-23 10:40:59至2022-05-24 20:57:56`, when any sheet but
    the line sheet states one in its first rows."""
    for sheet in sheets:
        if sheet is line_sheet:
            continue
        for _, cells in sheet.rows[:50]:
            for value in cells:
                match = _RANGE.search(value) if isinstance(value, str) else None
                if match is None:
                    continue
                try:
                    start, end = parse_time(match.group(1)), parse_time(match.group(2))
                except CellError:
                    continue
                if start <= end:
                    return start, end
    return None


def group_title(line: LineSheet, sheets: list[Sheet], file_name: str) -> str:
    """The group (团购) an export belongs to: its 团购标题 (a column of the line sheet or of a
    summary sheet), else its file name without dates, times, copy marks and extension (a
    re-export named `浮生若梦水果套餐 20261122.xlsx` is the group of `20261121浮生若梦水果套餐.xlsx`)."""
    for sheet in [line.sheet, *sheets]:
        header = _header_in(sheet, (COMMON_ALIASES["group_title"],))
        if header is None:
            continue
        number, columns = header
        for row, cells in sheet.rows:
            title = cell_text(_cell(cells, columns[COMMON_ALIASES["group_title"][0]])) if row > number else None
            if title:
                return re.sub(r"\s+", " ", title)
    return title_from_file_name(file_name)


def title_from_file_name(file_name: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", file_name.strip())
    text = re.sub(r"\d{4}[-_./年]?\d{1,2}[-_./月]?\d{1,2}日?", " ", stem)        # dates
    text = re.sub(r"\d{1,2}[:：.\-_]\d{2}(?:[:：.\-_]\d{2})?", " ", text)        # times
    text = re.sub(r"\d{6,}", " ", text)                                          # stamps
    text = re.sub(r"[(（]\d+[)）]|副本|copy|导出", " ", text, flags=re.IGNORECASE)  # copies
    text = re.sub(r"[\s\-_.()（）]+", " ", text).strip()
    return text or stem
