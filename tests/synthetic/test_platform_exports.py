"""The generated 快团团 / 群接龙 exports have the quirks they claim (synthetic/platform_exports.py),
as a reader of the raw workbook sees them."""

from __future__ import annotations

import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from synthetic.platform_exports import QUIRKS, make_group, write_exports, write_ktt_community

DAY = date(2026, 11, 21)


def quirk(group, name):
    return group.orders[next(i for i, q in QUIRKS.items() if q == name)]


def test_a_group_is_seeded_and_carries_each_quirk():
    group = make_group(11, DAY)
    assert make_group(11, DAY).orders == group.orders
    assert make_group(12, DAY).orders != group.orders
    times = [o.at for o in group.orders]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(str(DAY.replace(day=20)) <= f"{t:%Y-%m-%d}" <= str(DAY) for t in times)
    assert [o.number for o in group.orders] == list(range(1, 25))
    assert (quirk(group, "cancelled").status, quirk(group, "pending").status) == ("已取消", "待支付")
    refunded = quirk(group, "refunded")
    assert (refunded.status, refunded.refund_fen) == ("已退款", refunded.goods_fen)
    assert 0 < quirk(group, "refund").refund_fen < quirk(group, "refund").goods_fen
    assert quirk(group, "hand_edited_amount").amount_fen == quirk(group, "hand_edited_amount").goods_fen + 100
    discounted = quirk(group, "discount_shipping")
    assert (len(discounted.items), discounted.discount_fen, discounted.shipping_fen) == (3, 301, 500)
    with pytest.raises(ValueError, match="at least 8 orders"):
        make_group(1, DAY, orders=5)


def test_the_community_export_has_title_rows_merges_formulas_and_a_summary_that_disagrees(tmp_path):
    group = make_group(11, DAY)
    path = write_ktt_community(tmp_path / "c.xlsx", group, formula_without_value=True)
    book = load_workbook(path)
    assert book.sheetnames == ["顾客购买表", "商品汇总表", "服务小区商品汇总表", "说明"]
    lines = book["顾客购买表"]
    assert lines["A1"].value == "快团团 订单导出" and lines["D3"].value == "跟团号"
    assert lines["W3"].value == "楼号（如10）"
    assert lines.merged_cells.ranges  # the order columns of multi-item orders
    assert any(r.min_row < r.max_row and r.min_col == 11 for r in lines.merged_cells.ranges)  # 订单金额
    values = [[c.value for c in row] for row in lines.iter_rows(min_row=4)]
    assert any(isinstance(r[18], int) and r[18] > 10**10 for r in values)  # phones as number cells
    assert any(isinstance(r[3], str) for r in values) and any(isinstance(r[3], int) for r in values)
    assert any(isinstance(r[7], str) and r[7].startswith("¥") for r in values)  # an amount as text
    assert any(isinstance(r[6], str) for r in values)  # a quantity as text
    assert any(r[3] == quirk(group, "edited_order_number").number + 1000 for r in values)
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="R\d+"[^>]* t="str"><f>A\d+</f><v>[^<]+</v></c>', sheet_xml)  # a text formula, saved
    assert re.search(r'<c r="H\d+"[^>]*><f>G\d+\*[\d.]+</f><v>[\d.]+</v></c>', sheet_xml)  # a number formula
    assert re.search(r"<f>G\d+\*10</f><v>\s*</v>", sheet_xml)  # the one without a saved value
    summary = {r[2]: r[5] for r in book["商品汇总表"].iter_rows(min_row=2, values_only=True)}
    sold = {}
    for order in group.paid(community=True):
        for item, qty in order.items:
            sold[item.name] = sold.get(item.name, 0) + qty
    differ = {name for name in summary if summary[name] != sold.get(name, 0)}
    assert differ == {group.items[0].name}
    assert "下单时间：" in [r[0] for r in book["说明"].iter_rows(values_only=True) if r[0]][-1]
    shown = {o.number for o in group.paid(community=True)}
    assert quirk(group, "cancelled").number not in shown and quirk(group, "pending").number not in shown


def test_the_other_layouts_hold_their_items_in_one_cell(tmp_path):
    paths = write_exports(tmp_path, DAY, 11, orders=10)
    assert [p.name for p in paths.values()] == ["大仓购惠民水果团-小区团购-20261121.xlsx", "周末鲜果团-20261121.xlsx",
                                                "社区蔬果接龙-20261121.xlsx"]
    standard = [r for r in load_workbook(paths["ktt_standard"]).active.iter_rows(values_only=True)]
    assert standard[0][5:9] == ("商品", "订单金额", "订单退款", "订单状态")
    assert {r[8] for r in standard[1:]} >= {"已支付", "已取消", "待支付", "已退款"}
    assert ";\n" in standard[1][5] and re.search(r"\+\d+$", standard[1][5])
    qjl = [r for r in load_workbook(paths["qjl"]).active.iter_rows(values_only=True)]
    assert qjl[0][0] == "社区蔬果接龙 接龙导出"
    assert qjl[1][:5] == ("接龙号", "微信昵称", "收货人", "联系方式", "商品合计")
    assert "\n" in qjl[2][4] and re.search(r"\*\d+$", qjl[2][4]) and qjl[2][9].endswith("栋")
