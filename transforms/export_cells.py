"""One cell of a platform export (快团团 / 群接龙 .xlsx), read the way an operator reads it
(docs/platform-exports.md, "Reading a cell").

A cell arrives from the reader (inbox/xlsx_reader.py) as `str`, `Decimal` (a number cell, at
Excel's 15 significant digits), `datetime` (a date cell, naive local time), `bool` or `None`
(empty). Exports are loose: numbers come as text and text as numbers, phones as number cells,
amounts as `59.9`, `¥59.90` or `59.90元`. Money goes yuan -> `Decimal` -> fen, never through a
float: `59.9` is 5990 fen; an amount with a fraction of a fen is an error.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

CellValue = str | Decimal | datetime | bool | None
EXCEL_DIGITS = 15          # Excel keeps (and shows) 15 significant digits of a number
MAX_ITEMS_PER_CELL = 99    # a 商品 cell of more items is not an order (the line number space of a row)
_EXCEL = Context(prec=EXCEL_DIGITS, rounding=ROUND_HALF_EVEN)
_YUAN_MARKS = re.compile(r"^[¥￥]|元$")
_WHOLE = re.compile(r"^[+]?\d+(?:\.0*)?$")
_TIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)       # serial 1 is 1900-01-01 (Excel's leap-year bug included)
_SERIALS = (Decimal(25569), Decimal(73051))  # 1970-01-01 .. 2100-01-01: a date cell that lost its style
_NAME_SPEC = re.compile(r"^(.*?)\s*[(（]([^()（）]*)[)）]\s*$")
ITEM_SEPARATORS = {"ktt": "+＋", "qjl": "*＊×xX"}  # 名称+数量 (快团团), 名称*数量 (群接龙)
_ITEM_SPLIT = re.compile(r"[;；\n\r]+")
_TOTAL_PIECE = re.compile(r"^(共|合计|总计|小计)")


class CellError(ValueError):
    """A cell that cannot be read as what its column holds; the message says what it holds."""


def excel_number(text: str) -> Decimal:
    """A number cell's stored text as Excel holds it: 15 significant digits, so a value a formula
    left as 179.70000000000002 is 179.7 (what Excel shows and sums)."""
    value = Decimal(text.strip())
    return _EXCEL.plus(value) if len(value.as_tuple().digits) > EXCEL_DIGITS else value


def shown(value: CellValue) -> str:
    """A cell as a short text for messages: `'59.9'`, `'(empty)'`."""
    text = cell_text(value)
    return "(empty)" if text is None else repr(text)


def cell_text(value: CellValue) -> str | None:
    """A cell as text, as Excel shows it: a whole number without `.0` or exponent (a 跟团号 or a
    楼号 typed as a number), other numbers in plain notation, a date as `YYYY-MM-DD HH:MM:SS`;
    surrounding blanks stripped; blank text is `None`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).strip()
    return text or None


def is_blank(value: CellValue) -> bool:
    return cell_text(value) is None


def yuan_to_fen(value: CellValue) -> int:
    """An amount in yuan (a number cell, or text such as `59.9`, `¥59.90`, `1,299.00元`) in fen."""
    if isinstance(value, bool | datetime):
        raise CellError(f"{shown(value)} is not an amount in yuan")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = _YUAN_MARKS.sub("", (cell_text(value) or "").replace(",", "").replace("，", "")).strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(f"{shown(value)} is not an amount in yuan") from None
    if not amount.is_finite():
        raise CellError(f"{shown(value)} is not an amount in yuan")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError(f"{shown(value)} has a fraction of a fen")
    if fen < 0:
        raise CellError(f"{shown(value)} is negative")
    return int(fen)


def optional_fen(value: CellValue) -> int:
    """An order-level amount (运费, 优惠, 退款金额, 订单金额): empty is 0."""
    return 0 if is_blank(value) else yuan_to_fen(value)


def whole_number(value: CellValue) -> int:
    """A count (数量): a whole number, as a number cell or text (`2`, `2.0`)."""
    if isinstance(value, bool | datetime):
        raise CellError(f"{shown(value)} is not a whole number")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise CellError(f"{shown(value)} is not a whole number")
        return int(value)
    text = cell_text(value) or ""
    if not _WHOLE.match(text):
        raise CellError(f"{shown(value)} is not a whole number")
    return int(text.split(".")[0].lstrip("+"))


def phone_digits(value: CellValue) -> str | None:
    """A phone's digits as text, whatever the cell: `13812345678` (a number cell, never
    1.38e+10), `138-1234-5678`, `+86 138 1234 5678`. None when it holds no digit."""
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            return None
        return str(int(value))
    digits = re.sub(r"\D", "", cell_text(value) or "")
    return digits or None


def phone_tail(digits: str | None) -> str | None:
    """The last 4 digits (what the handout list shows); None for a number shorter than that."""
    return digits[-4:] if digits and len(digits) >= 4 else None


def parse_time(value: CellValue) -> datetime:
    """A time cell (a date cell, `2026-11-21 19:30:05`, `2026/11/21 19:30`, `2026年11月21日 19:30`,
    or a date serial whose style was lost) as naive local time."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, Decimal) and _SERIALS[0] <= value <= _SERIALS[1]:
        seconds = int((value * 86400).to_integral_value(ROUND_HALF_EVEN))
        return _EXCEL_EPOCH + timedelta(seconds=seconds)
    match = _TIME.match(cell_text(value) or "") if isinstance(value, str) else None
    if match is None:
        raise CellError(f"{shown(value)} is not a time")
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise CellError(f"{shown(value)} is not a time") from None


def split_name_spec(text: str) -> tuple[str, str | None]:
    """`新奇士橙(1份十个)` -> (`新奇士橙`, `1份十个`): the last bracketed part at the end is the
    spec (half- or full-width brackets); without one, the whole text is the name."""
    match = _NAME_SPEC.match(text.strip())
    if match is None or not match.group(1) or not match.group(2).strip():
        return text.strip(), None
    return match.group(1).strip(), match.group(2).strip()


def parse_items(text: str, platform: str) -> list[tuple[str, int]]:
    """The items of a multi-item cell, in order: (item text, quantity). 快团团 普通团购 writes
    `名称+数量` separated by `;` and line breaks; 群接龙 writes `名称*数量` one per line
    (also `×`, `x`). A closing piece such as `共3件` is not an item. Raises CellError naming the
    piece that has no quantity, a quantity below 1, or more than MAX_ITEMS_PER_CELL items."""
    separators = re.escape(ITEM_SEPARATORS[platform])
    piece_pattern = re.compile(rf"^(.*\S)\s*[{separators}]\s*(\d+)\s*(?:件|份|个)?$")
    items = []
    for piece in _ITEM_SPLIT.split(text):
        piece = piece.strip()
        if not piece or _TOTAL_PIECE.match(piece):
            continue
        match = piece_pattern.match(piece)
        if match is None:
            example = "名称+数量" if platform == "ktt" else "名称*数量"
            raise CellError(f"item {piece!r} has no quantity (write it {example})")
        qty = int(match.group(2))
        if qty < 1:
            raise CellError(f"item {piece!r} has quantity {qty}: at least 1")
        items.append((match.group(1).strip(), qty))
    if not items:
        raise CellError("no item in the cell")
    if len(items) > MAX_ITEMS_PER_CELL:
        raise CellError(f"{len(items)} items in one cell: at most {MAX_ITEMS_PER_CELL}")
    return items
