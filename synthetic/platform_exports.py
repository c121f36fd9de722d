"""Synthetic 快团团 and 群接龙 exports (.xlsx) in each layout, with the quirks real ones have
(docs/platform-exports.md): title rows above the header, merged cells, formulas (with their saved
values; optionally one without), numbers as text and text as numbers, phones as number cells,
multi-item cells, continuation rows (one with a hand-edited 跟团号), an 订单金额 edited by hand,
待支付 and 已取消 orders, refunds, 优惠 and 运费, a summary sheet that disagrees.

`make_group` draws one group buy (团购): its products, pickup places (服务小区) and orders, seeded;
the writers lay it out as each platform exports it. The quirks sit on fixed orders (QUIRKS), so
a test knows what to expect; `GeneratedGroup` says it too.
"""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from outputs.files import atomic_open

ITEMS = (("冰淇淋黄心西瓜", "一箱四个约14斤", 8000), ("新奇士橙", "1份十个", 4800), ("荔枝", "每箱四斤", 5990),
         ("水仙芒果", "12个/箱约九斤", 9500), ("怡颗梅蓝莓", "半箱六盒", 9200), ("西柚", "十个一份", 3990),
         ("阳光玫瑰葡萄", "2斤/盒", 3590), ("丹东草莓", "500g/盒", 2990))
POINTS = (("嘉怡水岸·睿府", "王芳", "13800000001", "上海市闵行区紫龙路500弄"),
          ("阳光花园", "李娜", "13800000002", "上海市闵行区阳光路2号"),
          ("幸福里小区", "张伟", "13800000003", "上海市闵行区幸福路1号"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("芳", "娜", "伟", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平", "刚")
# order index -> its quirk (the rest are plain paid orders of one or two items)
QUIRKS = {0: "discount_shipping", 1: "refund", 2: "hand_edited_amount", 3: "cancelled", 4: "pending",
          5: "refunded", 6: "edited_order_number", 7: "text_numbers"}
TITLE = "大仓购惠民水果团"


@dataclass(frozen=True)
class Item:
    name: str
    spec: str
    price_fen: int

    @property
    def text(self) -> str:
        return f"{self.name}({self.spec})"


@dataclass
class Order:
    number: int
    buyer: str
    phone: str
    point: tuple[str, str, str, str]
    building: int
    room: int
    at: datetime
    items: list[tuple[Item, int]]
    status: str = "已支付"
    shipping_fen: int = 0
    discount_fen: int = 0
    refund_fen: int = 0
    edited_amount_fen: int = 0  # added by hand to 订单金额

    @property
    def goods_fen(self) -> int:
        return sum(item.price_fen * qty for item, qty in self.items)

    @property
    def amount_fen(self) -> int:
        return self.goods_fen - self.discount_fen + self.shipping_fen + self.edited_amount_fen


@dataclass
class GeneratedGroup:
    title: str
    day: date
    items: list[Item]
    orders: list[Order]
    summary_extra: dict[str, int] = field(default_factory=dict)  # product text -> units the summary overstates

    def paid(self, community: bool = False) -> list[Order]:
        """The orders a cutoff takes: paid ones (a 小区团购 export lists 已退款 ones too, as paid
        orders refunded in full)."""
        kept = ("已支付", "已退款") if community else ("已支付",)
        return [o for o in self.orders if o.status in kept]


def _yuan(fen: int) -> float | str:
    return f"{fen // 100}.{fen % 100:02d}"


def make_group(seed: int, day: date, orders: int = 24, nightly_at: time = time(20, 0),
               title: str = TITLE) -> GeneratedGroup:
    """One group buy of `orders` orders placed in day's nightly window, 跟团号 in time order."""
    if orders < len(QUIRKS):
        raise ValueError(f"a generated group has at least {len(QUIRKS)} orders (one per quirk)")
    rng = random.Random(seed)
    items = [Item(*item) for item in ITEMS]
    start = datetime.combine(day - timedelta(days=1), nightly_at)
    seconds = sorted(rng.sample(range(60, 24 * 3600 - 60), orders))
    made = []
    for index, offset in enumerate(seconds):
        count = 3 if index == 0 else 2 if index in (1, 6) else rng.choice((1, 1, 2))
        chosen = rng.sample(items, count)
        made.append(Order(
            number=index + 1, buyer=rng.choice(SURNAMES) + rng.choice(GIVEN),
            phone="13" + "".join(rng.choice("0123456789") for _ in range(9)),
            point=POINTS[index % len(POINTS)], building=rng.randint(1, 30),
            room=rng.randint(1, 18) * 100 + rng.randint(1, 4), at=start + timedelta(seconds=offset),
            items=[(item, rng.choice((1, 1, 2, 3))) for item in chosen]))
    quirks = {name: made[i] for i, name in QUIRKS.items()}
    quirks["discount_shipping"].discount_fen, quirks["discount_shipping"].shipping_fen = 301, 500
    quirks["refund"].refund_fen = quirks["refund"].items[0][0].price_fen
    quirks["hand_edited_amount"].edited_amount_fen = 100
    quirks["cancelled"].status, quirks["pending"].status = "已取消", "待支付"
    refunded = quirks["refunded"]
    refunded.status, refunded.refund_fen = "已退款", refunded.goods_fen
    return GeneratedGroup(title, day, items, made, {items[0].text: 2})


# -- the layouts ---------------------------------------------------------------------------------------

COMMUNITY_HEADERS = ("下单人", "团员备注", "备注", "跟团号", "商品", "规格", "数量", "商品金额", "运费", "优惠",
                     "订单金额", "退款金额", "物流方式", "服务小区", "服务小区联系人", "服务小区电话", "服务小区地址",
                     "收货人", "联系电话", "详细地址", "团长", "房号（如606）", "楼号（如10）")
ORDER_COLUMNS = ("A", "B", "C", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W")  # merged


def write_ktt_community(path: Path, group: GeneratedGroup, *, formula_without_value: bool = False) -> Path:
    """快团团 小区团购: sheets 顾客购买表 (two title rows, then one row per item; an order's amounts
    on its first row, its order columns merged down its rows), 商品汇总表 (one product overstated),
    服务小区商品汇总表, 说明 (the 下单时间 range). Cancelled and unpaid orders are left out."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "顾客购买表"
    sheet.append(["快团团 订单导出"])
    sheet.append([f"团购：{group.title}"])
    sheet.append(list(COMMUNITY_HEADERS))
    formulas: dict[str, tuple[str, object]] = {}
    merges: list[str] = []
    row = 3  # the last row written (openpyxl's max_row looks at every cell)
    for order in group.paid(community=True):
        first_row = row + 1
        for index, (item, qty) in enumerate(order.items):
            row += 1
            number: object = order.number if order.number % 2 else str(order.number)  # text as numbers and back
            if index and QUIRKS.get(order.number - 1) == "edited_order_number":
                number = order.number + 1000  # a hand-edited 跟团号 on a continuation row
            amount: object = item.price_fen * qty / 100 if (item.price_fen * qty) % 100 else item.price_fen * qty // 100
            quantity: object = qty
            if QUIRKS.get(order.number - 1) == "text_numbers":
                amount, quantity = f"¥{_yuan(item.price_fen * qty)}", str(qty)
            head = index == 0
            sheet.append([
                order.buyer if head else None, "", "", number, item.text, item.spec, quantity, amount,
                _num(order.shipping_fen) if head else None, _num(order.discount_fen) if head else None,
                _num(order.amount_fen) if head else 0, _num(order.refund_fen) if head else None,
                "顾客自提" if head else None, order.point[0] if head else None, order.point[1] if head else None,
                order.point[2] if head else None, order.point[3] if head else None, order.buyer if head else None,
                int(order.phone) if head else None,
                f"{order.point[3]}{order.building}号{order.room}室" if head else None,
                "梦涵" if head else None, order.room if head else None, order.building if head else None])
            if index == 0 and order.number == 2:
                formulas[f"R{row}"] = (f"A{row}", order.buyer)  # 收货人 = 下单人, a text formula
            if isinstance(amount, int | float) and not isinstance(amount, bool) and order.number in (9, 10):
                formulas[f"H{row}"] = (f"G{row}*{_yuan(item.price_fen)}", amount)
        if len(order.items) > 1:  # written into the sheet's XML below (openpyxl's merge_cells is quadratic)
            merges += [f"{column}{first_row}:{column}{row}" for column in ORDER_COLUMNS]
    if formula_without_value:
        sheet[f"H{row}"] = f"=G{row}*10"  # openpyxl saves a formula with no value
    _summary_sheets(book, group)
    notes = book.create_sheet("说明")
    times = [o.at for o in group.orders]
    for text in ("说明", "顾客购买表：将下单人和收货信息相同的订单合并，不包含已取消的订单和商品", "", "筛选条件：全部",
                 f"下单时间：{min(times):%Y-%m-%d %H:%M:%S}至{max(times):%Y-%m-%d %H:%M:%S}"):
        notes.append([text])
    _save(book, path)
    _patch_sheet(path, "xl/worksheets/sheet1.xml", formulas, merges)
    return path


def _num(fen: int) -> int | float:
    return fen // 100 if fen % 100 == 0 else fen / 100


def _summary_sheets(book, group: GeneratedGroup) -> None:
    units: dict[str, int] = {}
    by_point: dict[str, int] = {}
    for order in group.paid(community=True):
        for item, qty in order.items:
            units[item.text] = units.get(item.text, 0) + qty
            by_point[order.point[0]] = by_point.get(order.point[0], 0) + qty
    products = book.create_sheet("商品汇总表")
    products.append(["团购标题", "所属团长", "商品", "商品ID", "规格", "销售数量", "团当前单价", "商品总金额"])
    for item in group.items:
        sold = units.get(item.text, 0) + group.summary_extra.get(item.text, 0)
        if sold:
            products.append([group.title, "梦涵", item.name, "", item.spec, sold, _yuan(item.price_fen),
                             _num(item.price_fen * sold)])
    points = book.create_sheet("服务小区商品汇总表")
    points.append(["团购标题", "服务小区", "服务小区联系人", "商品总数"])
    for name, count in by_point.items():
        points.append([group.title, name, "", count])


def _items_cell(order: Order, joiner: str, separator: str) -> str:
    return joiner.join(f"{item.text}{separator}{qty}" for item, qty in order.items)


def write_ktt_standard(path: Path, group: GeneratedGroup) -> Path:
    """快团团 普通团购: one row per order, its items in one 商品 cell (`名称(规格)+数量`, `;` and a line
    break between them), no 数量 column, 支付时间 and 订单状态 (待支付, 已取消 and 已退款 ones too),
    `订单退款` for 退款金额 (the name drifts), phones as number cells."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "订单列表"
    sheet.append(["跟团号", "下单人", "团员备注", "支付时间", "团长备注", "商品", "订单金额", "订单退款", "订单状态",
                  "自提点", "收货人", "联系电话", "详细地址"])
    for order in group.orders:
        at: object = order.at if order.number % 2 else f"{order.at:%Y/%m/%d %H:%M:%S}"
        sheet.append([order.number, order.buyer, "", at, "", _items_cell(order, ";\n", "+"), _num(order.amount_fen),
                      _num(order.refund_fen), order.status, order.point[0], order.buyer, int(order.phone),
                      f"{order.point[3]}{order.building}号{order.room}室"])
    _save(book, path)
    return path


def write_qjl(path: Path, group: GeneratedGroup) -> Path:
    """群接龙: a title row, then one row per order, its items in 商品合计 one per line (`名称*数量`),
    `接龙号`, `订单总金额`, `下单时间`, `联系方式` for the phone (as text), `楼号`/`房号`."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "接龙订单"
    sheet.append([f"{group.title} 接龙导出"])
    sheet.append(["接龙号", "微信昵称", "收货人", "联系方式", "商品合计", "订单总金额", "下单时间", "订单状态",
                  "自提点", "楼号", "房号", "备注"])
    for order in group.orders:
        sheet.append([str(order.number), order.buyer, order.buyer, order.phone, _items_cell(order, "\n", "*"),
                      _yuan(order.amount_fen), f"{order.at:%Y-%m-%d %H:%M:%S}", order.status, order.point[0],
                      f"{order.building}栋", str(order.room), ""])
    _save(book, path)
    return path


WRITERS = {"ktt_community": write_ktt_community, "ktt_standard": write_ktt_standard, "qjl": write_qjl}
FILE_NAMES = {"ktt_community": "{title}-小区团购-{day}.xlsx", "ktt_standard": "{title}-{day}.xlsx",
              "qjl": "{title}-{day}.xlsx"}
GROUP_TITLES = {"ktt_community": TITLE, "ktt_standard": "周末鲜果团", "qjl": "社区蔬果接龙"}


def write_exports(folder: Path, day: date, seed: int, orders: int = 24) -> dict[str, Path]:
    """One export in each layout, each of its own group buy (drawn with its own seed and title), so
    the three can feed one data dir: `cutoff init --from-export` on them makes one shop."""
    out = {}
    for offset, (layout, writer) in enumerate(WRITERS.items()):
        group = make_group(seed + offset, day, orders, title=GROUP_TITLES[layout])
        out[layout] = writer(folder / FILE_NAMES[layout].format(title=group.title, day=day.strftime("%Y%m%d")), group)
    return out


def _save(book, path: Path) -> None:
    with atomic_open(path) as out:
        book.save(out)


def _patch_sheet(path: Path, part: str, formulas: dict[str, tuple[str, object]], merges: list[str]) -> None:
    """Give cells a formula with its saved value, as Excel saves them (openpyxl cannot: it writes a
    formula without a value), and merge ranges (their cells other than the first are empty)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    patched = []
    for name, data in members:
        if name == part:
            text = data.decode("utf-8")
            for coordinate, (formula, value) in formulas.items():
                def cell(match, formula=formula, value=value, coordinate=coordinate):
                    attributes = re.sub(r'\s(?:t|r)="[^"]*"', "", match.group(1))
                    kind = ' t="str"' if isinstance(value, str) else ""
                    shown = escape(value) if isinstance(value, str) else value
                    return f'<c r="{coordinate}"{attributes}{kind}><f>{escape(formula)}</f><v>{shown}</v></c>'
                text = re.sub(rf'<c r="{coordinate}"([^>]*?)(?:/>|>.*?</c>)', cell, text, count=1)
            if merges:
                ranges = "".join(f'<mergeCell ref="{ref}"/>' for ref in merges)
                merged = f'<mergeCells count="{len(merges)}">{ranges}</mergeCells>'
                text = text.replace("</sheetData>", f"</sheetData>{merged}", 1)
            data = text.encode("utf-8")
        patched.append((name, data))
    with atomic_open(path) as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in patched:
            archive.writestr(name, data)
