"""Recognising an export by its headers (anywhere in the first rows, names through alias lists),
its summary sheets, the 说明 range and its group (transforms/export_headers.py)."""

from datetime import datetime

import pytest

from tests.export_sheets import COMMUNITY, JIELONG, STANDARD, community_row, sheet
from transforms.export_headers import (
    HEADER_ROWS,
    find_line_sheet,
    group_title,
    headers_found,
    match_headers,
    normalize_header,
    order_time_range,
    read_summary_sheets,
    title_from_file_name,
)


@pytest.mark.parametrize("header, expected", [
    ("楼号（如10）", "楼号"), ("房号(如606)", "房号"), (" 跟 团号\n", "跟团号"), ("*联系电话", "联系电话"),
    ("单元(例:2)", "单元"), ("门牌号（比如1203）", "门牌号"), ("Phone(e.g. 138)", "phone"),
    ("当前库存（总库存-销售数量）", "当前库存（总库存-销售数量）"), (None, ""), ("楼号（E.g. 10）", "楼号"),
    ("XL码", "xl码")])
def test_a_header_is_compared_without_blanks_marks_and_hints(header, expected):
    assert normalize_header(header) == expected


def test_the_columns_of_a_row_through_the_aliases():
    row = ("跟团号", "收件人手机号码", "楼号（如10）", "订单退款", "备注", "联系电话", "微信昵称")
    assert match_headers(row, "ktt") == {"order_no": 0, "phone": 1, "building": 2, "refund_amount": 3, "buyer": 6}
    assert match_headers(("接龙号", "商品合计", "订单总金额"), "qjl") == {"order_no": 0, "item": 1, "order_amount": 2}
    assert "order_no" not in match_headers(("接龙号",), "ktt")


@pytest.mark.parametrize("headers, layout", [
    (COMMUNITY, "ktt_community"), (STANDARD, "ktt_standard"), (JIELONG, "qjl"),
    (["跟团号", "商品", "数量"], "ktt_community"), (["下单序号", "商品", "实付金额"], "qjl")])
def test_each_layout_is_known_by_its_headers(headers, layout):
    found = find_line_sheet([sheet("Sheet1", [headers])])
    assert found.layout.name == layout
    assert found.header_row == 1


def test_the_header_may_sit_below_title_rows_on_a_later_sheet():
    first = sheet("说明", [["说明"], ["筛选条件：全部"]])
    lines = sheet("订单", [["快团团订单导出"], [], ["导出时间：2026-11-21"], STANDARD, ["1", "王芳"]])
    found = find_line_sheet([first, lines])
    assert (found.sheet.name, found.header_row, found.layout.name) == ("订单", 4, "ktt_standard")
    assert found.columns["item"] == 3
    assert found.headers[:2] == ("跟团号", "下单人")


def test_a_header_below_the_first_rows_is_not_looked_for():
    rows = [["title"]] * HEADER_ROWS + [STANDARD]
    assert find_line_sheet([sheet("订单", rows)]) is None
    assert find_line_sheet([sheet("订单", rows[1:])]).header_row == HEADER_ROWS


def test_a_standard_layout_needs_its_amount_and_no_quantity():
    assert find_line_sheet([sheet("S", [["跟团号", "商品"]])]) is None
    assert find_line_sheet([sheet("S", [["跟团号", "商品", "订单金额", "数量"]])]).layout.name == "ktt_community"


def test_an_unknown_workbook_lists_the_headers_it_found():
    sheets = [sheet("订单", [["导出"], ["姓名", "电话", "金额"]]), sheet("空", [])]
    assert find_line_sheet(sheets) is None
    assert headers_found(sheets) == "sheet 订单: 姓名, 电话, 金额; sheet 空: (empty)"
    assert headers_found([]) == "no sheet"
    long = headers_found([sheet("x", [[f"h{i}" for i in range(40)]])], limit=3)
    assert long == "sheet x: h0, h1, h2 ..."


def test_the_summary_sheets_say_units_per_product_and_per_pickup_place():
    lines = sheet("顾客购买表", [COMMUNITY, community_row()])
    products = sheet("商品汇总表", [["团购标题", "商品", "规格", "销售数量"], ["团", "新奇士橙", "1份十个", 23],
                                   ["团", "荔枝", "", "36"], ["团", "荔枝", None, 1], ["团", "合计", "", 60],
                                   ["团", "坏行", "", "很多"]])
    points = sheet("服务小区商品汇总表", [["团购标题", "服务小区", "商品总数", "新奇士橙(1份十个)"],
                                          ["团", "嘉怡水岸", 60, 23]])
    summary = read_summary_sheets([lines, products, points], lines)
    assert summary.products == {"新奇士橙(1份十个)": 23, "荔枝": 37}
    assert summary.pickups == {"嘉怡水岸": 60}
    assert summary.problems == ("sheet 商品汇总表 row 6: units '很多' is not a whole number",)


def test_without_summary_sheets_there_is_nothing_to_compare():
    lines = sheet("顾客购买表", [COMMUNITY])
    summary = read_summary_sheets([lines, sheet("说明", [["说明"]])], lines)
    assert (summary.products, summary.pickups, summary.problems) == (None, None, ())


def test_the_notes_sheet_gives_the_order_time_range():
    lines = sheet("顾客购买表", [COMMUNITY])
    notes = sheet("说明", [["说明"], ["筛选范围：2022-02-25 15:31:58-2022-05-26 15:31:58"],
                         ["下单时间：2022-05-23 10:40:59至2022-05-24 20:57:56"]])
    assert order_time_range([lines, notes], lines) == (datetime(2022, 5, 23, 10, 40, 59),
                                                       datetime(2022, 5, 24, 20, 57, 56))
    assert order_time_range([lines], lines) is None
    backwards = sheet("说明", [["下单时间：2022-05-24 10:00:00 ~ 2022-05-23 10:00:00"], ["下单时间：昨天至今天"]])
    assert order_time_range([lines, backwards], lines) is None
    spaced = sheet("说明", [["支付时间: 2022/05/23 10:00 - 2022/05/24 09:00"]])
    assert order_time_range([lines, spaced], lines) == (datetime(2022, 5, 23, 10), datetime(2022, 5, 24, 9))


def test_the_group_is_the_title_the_export_carries_else_its_file_name():
    lines = sheet("顾客购买表", [COMMUNITY, community_row()])
    line = find_line_sheet([lines])
    products = sheet("商品汇总表", [["团购标题", "商品", "销售数量"], ["大仓购惠民水果\n已报备", "橙", 1]])
    assert group_title(line, [lines, products], "x.xlsx") == "大仓购惠民水果 已报备"
    assert group_title(line, [lines], "20261121浮生若梦水果套餐.xlsx") == "浮生若梦水果套餐"
    own = sheet("订单", [["团购名称", *STANDARD], ["", "1"], ["周末团", "2"]])
    assert group_title(find_line_sheet([own]), [own], "x.xlsx") == "周末团"


@pytest.mark.parametrize("name, title", [
    ("20261121浮生若梦水果套餐.xlsx", "浮生若梦水果套餐"),
    ("浮生若梦水果套餐 2026-11-22 20.30.xlsx", "浮生若梦水果套餐"),
    ("浮生若梦水果套餐(1).xlsx", "浮生若梦水果套餐"), ("浮生若梦水果套餐 - 副本.XLSX", "浮生若梦水果套餐"),
    ("快团团订单导出_20261121203000.xlsx", "快团团订单"), ("2026年11月21日接龙.xlsx", "接龙"),
    ("20261121.xlsx", "20261121"),
    ("社区团_copy.xlsx", "社区团"), ("社区团_COPY.xlsx", "社区团")])
def test_a_file_name_gives_the_group_without_dates_and_copy_marks(name, title):
    assert title_from_file_name(name) == title


ALIASES = {  # docs/platform-exports.md, "The layouts and their columns": every name is recognised
    "buyer": "下单人 微信昵称 昵称 下单用户 用户昵称 买家昵称",
    "receiver": "收货人 收件人 收货人姓名 收件人姓名 提货人 取货人",
    "phone": "联系电话 联系方式 收件人手机号码 收货人手机号 收货人手机号码 收货人电话 手机号 手机号码 手机 电话 "
             "收件人电话 收件人手机",
    "address": "详细地址 收货地址 收件地址 地址 配送地址",
    "pickup": "服务小区 自提点 自提点名称 提货点 取货点 自提地点",
    "pickup_contact": "服务小区联系人 自提点联系人 提货点联系人",
    "pickup_phone": "服务小区电话 自提点电话 自提点联系电话 提货点电话",
    "pickup_address": "服务小区地址 自提点地址 提货点地址",
    "leader": "团长 团长昵称 所属团长",
    "spec": "规格 商品规格",
    "qty": "数量 购买数量 商品数量 件数",
    "item_amount": "商品金额 商品总价 商品小计 小计",
    "shipping": "运费 配送费",
    "discount": "优惠 优惠金额 订单优惠",
    "order_amount": "订单金额 订单总金额 实付金额 支付金额 实收金额 实付款 总金额",
    "refund_amount": "退款金额 订单退款 已退款金额 退款总额",
    "delivery": "物流方式 配送方式 提货方式 收货方式",
    "status": "订单状态 状态 支付状态",
    "paid_at": "支付时间 付款时间",
    "ordered_at": "下单时间 创建时间 接龙时间 跟团时间",
    "refunded_at": "退款时间",
    "group_title": "团购标题 团购名称 接龙标题 活动名称 团购活动",
    "building": "楼号 楼栋 楼栋号 栋 栋号 幢 幢号 楼 几号楼 几栋",
    "room": "房号 房间号 门牌号 室 室号 房间",
    "lane": "弄号 弄",
    "unit": "单元 单元号",
}
PLATFORM = {("ktt", "order_no"): "跟团号 跟团序号", ("ktt", "item"): "商品 商品名称 商品信息",
            ("qjl", "order_no"): "接龙号 下单序号 接龙序号 序号",
            ("qjl", "item"): "商品合计 商品 商品信息 购买商品 商品明细 商品名称"}


@pytest.mark.parametrize("field, header", [(f, h) for f, names in ALIASES.items() for h in names.split()])
def test_every_documented_header_is_recognised(field, header):
    assert match_headers(("x", header), "ktt") == {field: 1}
    assert match_headers((f" *{header}（如10） ",), "qjl") == {field: 0}


@pytest.mark.parametrize("platform, field, header", [(p, f, h) for (p, f), names in PLATFORM.items()
                                                     for h in names.split()])
def test_each_platforms_own_headers(platform, field, header):
    assert match_headers((header,), platform) == {field: 0}


def test_a_long_header_is_cut_in_the_list_of_what_was_found():
    found = headers_found([sheet("x", [["很长" * 20 + "\n第二行", "b"]])])
    assert found == f"sheet x: {('很长' * 20)[:30]}, b"


def test_a_summary_row_shorter_than_its_header_has_empty_cells():
    lines = sheet("顾客购买表", [COMMUNITY])
    products = sheet("商品汇总表", [["商品", "规格", "销售数量"], ["新奇士橙", "1份十个", 3], ["荔枝"]])
    summary = read_summary_sheets([lines, products], lines)
    assert (summary.products, summary.problems) == (
        {"新奇士橙(1份十个)": 3}, ("sheet 商品汇总表 row 3: units (empty) is not a whole number",))


def test_what_was_found_lists_thirty_headers_each_on_one_line():
    thirty = [f"h{i}" for i in range(30)]
    assert headers_found([sheet("x", [thirty])]) == f"sheet x: {', '.join(thirty)}"
    assert headers_found([sheet("x", [[*thirty, "h30"]])]) == f"sheet x: {', '.join(thirty)} ..."
    assert headers_found([sheet("x", [["h0", "h1", "h2"]])], limit=3) == "sheet x: h0, h1, h2"
    assert headers_found([sheet("x", [["商品\n名称", "数量"]])]) == "sheet x: 商品 名称, 数量"


def test_summary_sheets_by_their_other_headers_first_of_each_kind():
    lines = sheet("顾客购买表", [COMMUNITY])
    points = sheet("自提点汇总", [["自提点", "商品", "规格", "商品总数"], ["嘉怡水岸", "新奇士橙", "1份十个", 2],
                                   ["嘉怡水岸", "荔枝", None, 3], ["总计", None, None, 5]])
    products = sheet("商品汇总表", [["商品名称", "商品规格", "销售数量"], ["新奇士橙", "1份十个", 2], ["总计", "", 2]])
    again = sheet("商品汇总表2", [["商品", "销售数量"], ["荔枝", 9]])
    summary = read_summary_sheets([lines, points, products, again], lines)
    assert (summary.products, summary.pickups, summary.problems) == ({"新奇士橙(1份十个)": 2}, {"嘉怡水岸": 5}, ())
    alone = read_summary_sheets([lines, products, again], lines)
    assert (alone.products, alone.pickups) == ({"新奇士橙(1份十个)": 2}, None)


def test_the_notes_range_is_found_in_any_cell_of_the_first_fifty_rows():
    lines = sheet("顾客购买表", [COMMUNITY])
    rows = [["说明"]] * 49 + [["下单时间：2022-05-23 10:00:00至2022-05-24 10:00:00"]]
    assert order_time_range([lines, sheet("说明", rows)], lines) == (datetime(2022, 5, 23, 10),
                                                                    datetime(2022, 5, 24, 10))
    assert order_time_range([lines, sheet("说明", [["说明"], *rows])], lines) is None  # in row 51
    later_cell = sheet("说明", [["说明", "下单时间：昨天至今天", "下单时间：2022-05-23 10:00:00至2022-05-23 10:00:00"]])
    assert order_time_range([lines, later_cell], lines) == (datetime(2022, 5, 23, 10), datetime(2022, 5, 23, 10))
