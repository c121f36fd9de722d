"""Sheets of a platform export written by hand for the rules' tests (no workbook: the cells as the
reader hands them over, numbers as Decimal)."""

from __future__ import annotations

from decimal import Decimal

from transforms.export_headers import Sheet

COMMUNITY = ["下单人", "团员备注", "跟团号", "商品", "规格", "数量", "商品金额", "运费", "优惠", "订单金额", "退款金额",
             "物流方式", "服务小区", "服务小区联系人", "服务小区电话", "服务小区地址", "收货人", "联系电话", "团长",
             "房号（如606）", "楼号（如10）"]
STANDARD = ["跟团号", "下单人", "支付时间", "商品", "订单金额", "订单退款", "订单状态", "自提点", "收货人", "联系电话",
            "详细地址"]
JIELONG = ["接龙号", "微信昵称", "收货人", "联系方式", "商品合计", "订单总金额", "下单时间", "订单状态", "自提点",
           "楼号", "房号"]


def cell(value):
    if isinstance(value, bool) or value is None or isinstance(value, str | Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return value


def sheet(name: str, rows: list[list], first_row: int = 1, no_value: dict | None = None) -> Sheet:
    """Rows from `first_row` on; an empty list is a row the sheet does not hold."""
    return Sheet(name, tuple((first_row + i, tuple(cell(v) for v in row)) for i, row in enumerate(rows) if row),
                 no_value or {})


def community_row(buyer="王芳", number=1, item="新奇士橙(1份十个)", spec="1份十个", qty=1, amount=48, shipping=0,
                  discount=0, order_amount=48, refund=0, delivery="顾客自提", point="嘉怡水岸", contact="王芳",
                  point_phone=13800000001, address="紫龙路500弄", receiver=None, phone=13812345678, leader="梦涵",
                  room=606, building=10) -> list:
    return [buyer, "", number, item, spec, qty, amount, shipping, discount, order_amount, refund, delivery, point,
            contact, point_phone, address, receiver or buyer, phone, leader, room, building]


def continuation_row(number=None, item="荔枝(每箱四斤)", spec="每箱四斤", qty=1, amount=59.9) -> list:
    """An item row below an order's first: its order-level cells empty (merged in the export)."""
    return [None, None, number, item, spec, qty, amount, None, None, None, None, None, None, None, None, None, None,
            None, None, None, None]
