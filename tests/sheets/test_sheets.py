"""The workbooks: opened with openpyxl and checked against the run's tables.

The run's tables come from the real rules (ingest without a warehouse, close, purchase, summary)
on the mooncake example and on a larger hand-made set; no Prefect needed.
"""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

import sheets.run_books as run_books
import sheets.sorting as sorting
from flows.settings import Settings
from inbox.ingest import read_inbox, validate_inbox
from inbox.master import load_master
from sheets.cells import yuan_expr
from sheets.run_books import write_run_workbooks
from sheets.run_tables import RunTables
from sheets.sorting import matrix_blocks
from sheets.spec import INT, MONEY, MONEY_FORMAT, Column, Section, SheetSpec, workbook_path, yuan_text
from sheets.writer import write_workbook
from tests import datasets
from tests.datasets import (
    MOONCAKE_DETAILS,
    MOONCAKE_ORDERS,
    PRODUCTS,
    mooncake_data_dir,
    order,
    write_master,
    write_orders,
)
from tests.mooncake import TIERS as MOONCAKE_TIERS
from transforms.close import close_listings
from transforms.purchase import build_purchase_lines, po_number, total_by_supplier
from transforms.summary import summarize_cutoff
from transforms.windows import window_for

TZ = "Asia/Shanghai"
DAY = date(2026, 11, 21)
GENERATED = datetime(2026, 11, 21, 12, 5, tzinfo=timezone.utc)  # 20:05 in Shanghai
SETTINGS = Settings(platform_name="邻里团", warehouse_address="广州市白云区仓库路8号", workers=1)


def run_tables(data_dir: Path) -> RunTables:
    """The tables of the nightly run of DAY on data_dir, computed by the real rules."""
    master = load_master(data_dir, TZ)
    window = window_for("nightly", DAY)
    inbox = validate_inbox(read_inbox(data_dir, set()), master, TZ, 0, set(), window.label)
    closed = close_listings(inbox.order_lines, master.listings, master.products, window)
    purchase = build_purchase_lines(closed.allocations, master.products)
    totals = total_by_supplier(purchase, master.suppliers)
    summary = summarize_cutoff(window, closed.closing, closed.allocations, closed.groups, purchase, totals,
                               rejected=inbox.rejects.height)
    return RunTables(window=window, summary=summary, allocations=closed.allocations, purchase_lines=purchase,
                     supplier_totals=totals, groups=closed.groups, rejects=inbox.rejects, master=master,
                     generated_at=GENERATED)


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def row_starting(ws, first: str, after: int = 0) -> int:
    """The 1-based number of the first row (after row `after`) whose column A holds `first`."""
    for number, row in enumerate(ws.iter_rows(min_row=after + 1, max_col=1, values_only=True), after + 1):
        if row[0] == first:
            return number
    raise AssertionError(f"no row starting with {first!r} in {ws.title}")


def one_line(label):
    """A label as one line: a label wider than its values prints on two (sheets/writer.py fit_label)."""
    return label.replace("\n", "") if isinstance(label, str) else label


def header_value(ws, label: str):
    return ws.cell(row_starting(ws, label), 2).value


def allocated_by_point(tables: RunTables) -> dict[str, int]:
    frame = tables.allocations.group_by("pickup_point_id").agg(pl.col("qty_allocated").sum())
    return {k: int(v) for k, v in frame.iter_rows() if v}


def all_strings(path: Path) -> list[str]:
    book = load_workbook(path)
    return [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


@pytest.fixture
def mooncake(tmp_path) -> RunTables:
    return run_tables(mooncake_data_dir(tmp_path / "data"))


@pytest.fixture
def books(tmp_path, mooncake) -> Path:
    out = tmp_path / "staging"
    counts = write_run_workbooks(out, mooncake, SETTINGS)
    assert counts == {"purchase": 2, "sorting": 1, "handout": 2, "summary": 1, "labels": 0}
    return out


# ------------------------------------------------------------------------ purchase orders

def test_mooncake_purchase_order_of_s1(books, mooncake):
    ws = load_workbook(books / "purchase" / "S1.xlsx")["采购单"]
    assert ws["A1"].value == "邻里团 采购单"
    assert header_value(ws, "采购单号") == "PO-nightly-2026-11-21-S1"
    assert header_value(ws, "供应商") == "S1 广州月饼食品有限公司"
    assert header_value(ws, "收货地址") == "广州市白云区仓库路8号"
    assert header_value(ws, "截单时间") == "2026-11-21 20:00"
    assert header_value(ws, "送货时间") == "次日 05:00-07:00"
    assert header_value(ws, "生成时间") == "2026-11-21 20:05:00"
    labels = row_starting(ws, "商品编码")
    assert [one_line(c.value) for c in ws[labels]] == ["商品编码", "商品名称", "规格", "单位", "订购数量", "箱规",
                                                       "箱数", "送货数量", "单价", "金额"]
    line = [c.value for c in ws[labels + 1]]
    assert line == ["SKU1", "流心奶黄月礼盒", "6枚/盒", "盒", 12, 1, 12, 12, 200, 2400]
    assert ws.cell(labels + 1, 10).number_format == MONEY_FORMAT
    assert ws.cell(labels + 1, 9).number_format == MONEY_FORMAT
    totals = [c.value for c in ws[labels + 2]]
    assert totals == ["合计", None, None, None, 12, None, 12, 12, None, 2400]
    assert ws.cell(labels + 2, 1).font.b
    assert not any("起订额" in s for s in all_strings(books / "purchase" / "S1.xlsx"))


def test_purchase_order_below_minimum_has_a_visible_note(books):
    book = load_workbook(books / "purchase" / "S2.xlsx")
    ws = book["采购单"]
    labels = row_starting(ws, "商品编码")
    # 7 units ordered, case pack 6 -> 2 cases, 12 units to deliver at 15.00 = 180.00
    assert [c.value for c in ws[labels + 1]] == ["SKU2", "砂糖橘", "5斤/箱", "箱", 7, 6, 2, 12, 15, 180]
    notes = [c for row in ws.iter_rows(max_row=labels - 1) for c in row
             if isinstance(c.value, str) and "起订额" in c.value]
    assert len(notes) == 1
    assert notes[0].value == "注意：本单金额 ¥180.00 低于供应商起订额 ¥10,000.00。"
    assert notes[0].font.b and notes[0].font.color.rgb.endswith("C00000")
    by_category = book["分类小计"]
    row = row_starting(by_category, "水果")
    assert [c.value for c in by_category[row]] == ["水果", 1, 12, 180]


@pytest.mark.parametrize("supplier_id", ["S1", "S2"])
def test_purchase_order_total_is_the_suppliers_cost_to_the_fen(books, mooncake, supplier_id):
    ws = load_workbook(books / "purchase" / f"{supplier_id}.xlsx")["采购单"]
    total = ws.cell(row_starting(ws, "合计"), 10).value
    cost_fen = mooncake.supplier_totals.filter(pl.col("supplier_id") == supplier_id)["po_fen"].item()
    assert cost_fen == {"S1": 240000, "S2": 18000}[supplier_id]
    assert Decimal(str(total)) * 100 == cost_fen


def test_purchase_order_holds_no_customer_data(books, mooncake):
    customers = set(mooncake.allocations["customer_name"].to_list()) | set(mooncake.allocations["phone_tail"].to_list())
    for path in (books / "purchase").glob("*.xlsx"):
        strings = all_strings(path)
        assert not customers & set(strings)
        assert not any(name in s for s in strings for name in customers if len(name) > 1)
        assert not any(s in {"顾客", "手机尾号", "订单号"} for s in strings)


def test_po_number():
    assert po_number("nightly", DAY, "S1") == "PO-nightly-2026-11-21-S1"
    assert po_number("weekly", "2026-11-22", "S-9") == "PO-weekly-2026-11-22-S-9"


# -------------------------------------------------------------------------------- sorting

def test_route_matrix_totals_match_the_allocations(books, mooncake):
    ws = load_workbook(books / "sorting" / "R1.xlsx")["分拣矩阵"]
    labels = row_starting(ws, "分类")
    header = [c.value for c in ws[labels]]
    assert [one_line(h) for h in header[:5]] + header[5:] == [
        "分类", "商品编码", "商品名称", "规格", "单位", "1\nP1\n幸福里3栋", "2\nP2\n阳光花园便利店",
                      "合计"]
    assert [c.value for c in ws[labels + 1]] == ["水果", "SKU2", "砂糖橘", "5斤/箱", "箱", 7, None, 7]
    assert [c.value for c in ws[labels + 2]] == ["烘焙", "SKU1", "流心奶黄月礼盒", "6枚/盒", "盒", 3, 9, 12]
    totals = [c.value for c in ws[labels + 3]]
    by_point = allocated_by_point(mooncake)
    assert totals[0] == "合计" and totals[5:7] == [by_point["P1"], by_point["P2"]] == [10, 9]
    grand_total = totals[7]
    assert grand_total == by_point["P1"] + by_point["P2"] == mooncake.purchase_lines["units_allocated"].sum() == 19
    assert ws.freeze_panes == f"D{labels + 1}"
    assert ws.page_setup.orientation == "landscape"
    # a grid: the blank cell (P2 gets no 砂糖橘) has its lines too
    assert ws.cell(labels + 1, 7).value is None and ws.cell(labels + 1, 7).border.left.style == "thin"


@pytest.mark.parametrize("stops, sizes", [(1, [1]), (8, [8]), (9, [5, 4]), (20, [7, 7, 6]),
                                          (50, [8, 7, 7, 7, 7, 7, 7])])
def test_matrix_blocks_are_at_most_eight_points_and_about_equal(stops, sizes):
    blocks = matrix_blocks(stops)
    assert [end - start for start, end in blocks] == sizes
    assert blocks[0][0] == 0 and blocks[-1][1] == stops
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))  # contiguous, in stop order


def test_a_long_route_prints_its_matrix_in_blocks_with_the_sku_columns_on_each(tmp_path, larger, monkeypatch):
    monkeypatch.setattr(sorting, "POINTS_PER_PAGE", 3)
    write_run_workbooks(tmp_path / "out", larger, SETTINGS)
    book = load_workbook(tmp_path / "out" / "sorting" / "R1.xlsx")
    by_point = allocated_by_point(larger)
    stops = [p for p in larger.master.pickup_points.filter(pl.col("route_id") == "R1").sort("route_seq")[
        "pickup_point_id"].to_list() if p in by_point]
    assert len(stops) >= 7
    blocks = matrix_blocks(len(stops), 3)
    assert book.sheetnames == ["线路合计"] + [f"分拣矩阵 {a + 1}-{b}" for a, b in blocks] + ["拣货单"]
    route = book["线路合计"]
    labels = row_starting(route, "分类")
    assert route.cell(labels, 6).value == f"全线路合计\n（{len(stops)} 站）"
    assert route.cell(row_starting(route, "合计", after=labels), 6).value == sum(by_point[p] for p in stops)
    seen = []
    for (first, last), ws in zip(blocks, book.worksheets[1:], strict=False):
        assert ws.cell(1, 1).value == f"分拣单 · 线路 R1 · 第 {first + 1}-{last} 站（共 {len(stops)} 站）"
        labels = row_starting(ws, "分类")
        header = [c.value for c in ws[labels]]
        # the block's own total, labelled with its stops: what a picker adds up along the row
        assert [one_line(h) for h in header[:5]] == ["分类", "商品编码", "商品名称", "规格", "单位"]
        assert header[-1] == f"第{first + 1}-{last}站\n合计"
        totals = row_starting(ws, "合计", after=labels)
        points = [h.split("\n")[1] for h in header[5:-1]]
        assert points == stops[first:last]
        assert [ws.cell(totals, 6 + i).value for i in range(len(points))] == [by_point[p] for p in points]
        assert ws.cell(totals, 6 + len(points)).value == sum(by_point[p] for p in points)
        body = [r[5:] for r in ws.iter_rows(min_row=labels + 1, max_row=totals - 1, values_only=True)]
        assert all(sum(v or 0 for v in r[:-1]) == r[-1] > 0 for r in body)  # no row of a SKU the block does not get
        assert ws.page_setup.orientation == "landscape" and ws.freeze_panes == f"D{labels + 1}"
        seen += points
    assert seen == stops


def test_pick_lists_each_pickup_point_on_a_page_of_its_own(books):
    ws = load_workbook(books / "sorting" / "R1.xlsx")["拣货单"]
    headings = [r[0] for r in rows(ws) if isinstance(r[0], str) and r[0].startswith("第 ") and "合计" not in r[0]]
    assert headings == ["第 1 站 · P1 幸福里3栋 · 团长 王芳 · 共 10 件",
                        "第 2 站 · P2 阳光花园便利店 · 团长 李娜 · 共 9 件"]
    second = row_starting(ws, headings[1])
    assert [b.id for b in ws.row_breaks.brk] == [second - 1]  # the second stop starts a page
    first_labels = row_starting(ws, "商品编码")
    assert [c.value for c in ws[first_labels]] == ["商品编码", "商品", "单位", "数量"]
    assert [c.value for c in ws[first_labels + 1]] == ["SKU2", "砂糖橘 5斤/箱", "箱", 7]
    assert [c.value for c in ws[first_labels + 2]] == ["SKU1", "流心奶黄月礼盒 6枚/盒", "盒", 3]
    assert [c.value for c in ws[first_labels + 3]] == ["第 1 站合计", None, None, 10]
    assert second == first_labels + 4
    assert ws.print_title_rows == "$1:$4"  # the route's title rows on every page


def test_a_long_pick_list_goes_on_over_pages_each_headed_with_its_stop_and_labels(tmp_path, mooncake, monkeypatch):
    monkeypatch.setattr(sorting, "PICK_ROWS_PER_PAGE", 1)
    write_run_workbooks(tmp_path / "out", mooncake, SETTINGS)
    ws = load_workbook(tmp_path / "out" / "sorting" / "R1.xlsx")["拣货单"]
    table = rows(ws)[4:]
    first, second = "第 1 站 · P1 幸福里3栋 · 团长 王芳 · 共 10 件", "第 2 站 · P2 阳光花园便利店 · 团长 李娜 · 共 9 件"
    assert table == [
        (f"{first}（续，第 1/2 页）", None, None, None), ("商品编码", "商品", "单位", "数量"),
        ("SKU2", "砂糖橘 5斤/箱", "箱", 7), ("本页小计", None, None, 7),
        (f"{first}（续，第 2/2 页）", None, None, None), ("商品编码", "商品", "单位", "数量"),
        ("SKU1", "流心奶黄月礼盒 6枚/盒", "盒", 3), ("第 1 站合计", None, None, 10),
        (second, None, None, None), ("商品编码", "商品", "单位", "数量"),
        ("SKU1", "流心奶黄月礼盒 6枚/盒", "盒", 9), ("第 2 站合计", None, None, 9)]
    assert [b.id for b in ws.row_breaks.brk] == [8, 12]  # every part starts a page


# ------------------------------------------------------------------------------- handouts

def test_handout_counts_its_pickup_points_units(books, mooncake):
    for point, units in allocated_by_point(mooncake).items():
        ws = load_workbook(books / "handout" / f"{point}.xlsx")["提货单"]
        lines = [r[0] for r in rows(ws) if isinstance(r[0], str) and r[0].startswith("今日订单共")]
        assert lines == [f"今日订单共 {units} 件"]
        assert ws.cell(row_starting(ws, "合计"), 6).value == units


def test_handout_lists_its_own_customers_by_phone_tail(books):
    ws = load_workbook(books / "handout" / "P1.xlsx")["提货单"]
    assert header_value(ws, "提货点") == "P1 幸福里3栋"
    assert header_value(ws, "团长") == "王芳"
    assert header_value(ws, "日期") == "2026-11-21"
    labels = row_starting(ws, "序号")
    body = [r[:7] for r in rows(ws)[labels:row_starting(ws, "合计") - 1]]
    assert body == [
        (1, "0420", "王磊", "C", "流心奶黄月礼盒 6枚/盒", 1, "盒"),
        (2, "1234", "张伟", "A", "流心奶黄月礼盒 6枚/盒", 2, "盒"),   # E (3 boxes) was cut: not listed
        (3, "3141", "刘洋", "F", "砂糖橘 5斤/箱", 7, "箱"),
    ]
    strings = all_strings(books / "handout" / "P1.xlsx")
    assert "李静" not in strings and "赵敏" not in strings  # P2's customers


def test_handout_prints_each_customer_as_a_ruled_block_with_name_and_tail_on_every_line(tmp_path):
    data_dir = tmp_path / "data"
    write_master(data_dir)
    write_orders(data_dir, [*MOONCAKE_ORDERS, order("G", "cA", 1, "2026-11-21T11:00:00", listing="L2", price=2990,
                                                    **MOONCAKE_DETAILS["A"])])
    write_run_workbooks(tmp_path / "out", run_tables(data_dir), SETTINGS)
    ws = load_workbook(tmp_path / "out" / "handout" / "P1.xlsx")["提货单"]
    labels, total = row_starting(ws, "序号"), row_starting(ws, "合计")
    assert [r[:6] for r in rows(ws)[labels:total - 1]] == [
        (1, "0420", "王磊", "C", "流心奶黄月礼盒 6枚/盒", 1),
        (2, "1234", "张伟", "A", "流心奶黄月礼盒 6枚/盒", 2),
        (None, "1234", "张伟", "G", "砂糖橘 5斤/箱", 1),      # the same customer: tail and name again
        (3, "3141", "刘洋", "F", "砂糖橘 5斤/箱", 7)]
    assert ws.auto_filter.ref == f"A{labels}:H{total - 1}"
    # 序号 and the phone tail centred, so "10" and "0180" never read as one number
    assert [ws.cell(labels + 1, c).alignment.horizontal for c in (1, 2, 3)] == ["center", "center", None]
    # a grid round every cell, the empty 签收 cells too; a heavier line above each customer
    for row in range(labels + 1, total + 1):
        for column in range(1, 9):
            border = ws.cell(row, column).border
            assert (border.left.style, border.right.style, border.bottom.style) == ("thin",) * 3, (row, column)
    assert [ws.cell(r, 5).border.top.style for r in range(labels + 1, total)] == ["medium", "medium", "thin", "medium"]
    # bold cells keep the sheet's font (a nameless bold font prints serif in LibreOffice)
    assert (ws.cell(total, 1).font.name, ws.cell(total, 1).font.b) == ("Calibri", True)
    assert ws.cell(labels, 1).font.name == "Calibri" and ws.cell(1, 1).font.name == "Calibri"


# -------------------------------------------------------------------------------- summary

def test_summary_book_overview_on_one_page_and_the_lists_on_their_own_sheets(books, mooncake):
    book = load_workbook(books / "summary.xlsx")
    assert book.sheetnames == ["运行概况", "分类销售", "供应商", "未达起订额", "未成团", "热销商品", "提醒", "拒收数据"]
    overview = book["运行概况"]
    table = rows(overview)
    figures = {r[0]: (r[1], r[2], r[3]) for r in table if r[0]}
    assert figures["分配件数"] == (19, None, "分给顾客的件数")  # every figure says what it is
    assert overview.cell(row_starting(overview, "分配件数"), 2).number_format == "#,##0"  # 35,063, like ¥1,234.56
    assert figures["净销售额"][1] == pytest.approx(4145.30)  # 414530 fen
    assert Decimal(str(figures["采购成本"][1])) * 100 == mooncake.summary["fen"]["purchase_cost"] == 258000
    # what to look at: a count each and the sheet that lists it
    assert figures["未成团数"] == (0, None, "见「未成团」表")
    assert figures["未达起订额"] == (1, 9820, "见「未达起订额」表")  # S2 short by ¥9,820.00
    assert figures["拒收数据行"] == (0, None, "见「拒收数据」表")
    assert figures["提醒"] == (0, None, "见「提醒」表")
    headings = [r[0] for r in table if r[0] in ("本批次数字", "需要处理", "分类销售")]
    assert headings == ["本批次数字", "需要处理", "分类销售"]
    categories_at = row_starting(overview, "分类销售")
    assert table[categories_at][:3] == ("分类", "分配数量", "净销售额")
    assert [r[:3] for r in table[categories_at + 1:categories_at + 4]] == [
        ("烘焙", 12, 3936), ("水果", 7, 209.3), ("合计", 19, 4145.3)]
    # one portrait page, no chart beside a table (it is on 分类销售), no warning rows
    assert len(overview._charts) == 0 and all(r[3] for r in table[row_starting(overview, "项目"):][1:19])
    assert (int(overview.page_setup.fitToWidth), int(overview.page_setup.fitToHeight)) == (1, 1)
    assert overview.page_setup.orientation == "portrait"
    assert len(table) < 45
    categories = book["分类销售"]
    (chart,) = categories._charts  # below the table, from column A
    assert (chart.anchor._from.col, chart.anchor._from.row) == (0, categories.max_row + 1)
    assert book["提醒"]["A3"].value == "类型" and book["提醒"]["A4"].value == "无"  # an empty list says so
    assert {r[0]: r[2] for r in rows(categories)[row_starting(categories, "分类"):]} == \
        {"烘焙": 3936, "水果": 209.3, "合计": 4145.3}
    below = book["未达起订额"]
    assert [c.value for c in below[row_starting(below, "S2")]] == ["S2", "从化鲜果合作社", 180, 10000, 9820]


def test_summary_book_says_email_and_warnings_in_the_sheet_language(tmp_path, mooncake):
    summary = {**mooncake.summary,
               "suppliers": [{**s, "email": status} for s, status in zip(mooncake.summary["suppliers"],
                                                                          ["sent", "failed"], strict=True)],
               "warnings": [*mooncake.summary["warnings"],
                            "warehouse_address_missing: CUTOFF_WAREHOUSE_ADDRESS is not set, so ...",
                            "email_failed: S2 not emailed: connection refused"]}
    for lang, sheet, sent, failed, kinds in [
            ("zh", "提醒", "已发送", "发送失败", ["未设置仓库收货地址", "邮件发送失败"]),
            ("en", "Warnings", "sent", "failed", ["No warehouse address", "Email failed"])]:
        write_run_workbooks(tmp_path / lang, replace(mooncake, summary=summary), SETTINGS, lang=lang)
        book = load_workbook(tmp_path / lang / "summary.xlsx")
        suppliers = book.worksheets[2]
        labels = rows(suppliers)[row_starting(suppliers, "S1") - 2]
        column = labels.index("邮件" if lang == "zh" else "Email")
        assert [suppliers.cell(row_starting(suppliers, sid), column + 1).value for sid in ("S1", "S2")] == \
            [sent, failed]
        warnings = book[sheet]
        body = rows(warnings)[row_starting(warnings, "类型" if lang == "zh" else "Kind"):]
        assert [r[0] for r in body] == kinds
        assert body[1][1] == "S2 not emailed: connection refused"
        if lang == "zh":
            assert body[0][1].startswith("未设置 CUTOFF_WAREHOUSE_ADDRESS，采购单的收货地址为空。")
        overview = {r[0]: r[1] for r in rows(book.worksheets[0]) if r[0]}
        assert overview["采购单邮件未发出" if lang == "zh" else "Purchase orders not emailed"] == 1
        assert overview["提醒" if lang == "zh" else "Warnings"] == 2  # below minimum has its own sheet


def test_summary_book_lists_groups_not_formed_closest_first(tmp_path, larger):
    write_run_workbooks(tmp_path / "out", larger, SETTINGS)
    ws = load_workbook(tmp_path / "out" / "summary.xlsx")["未成团"]
    labels = row_starting(ws, "活动")
    body = rows(ws)[labels:]
    assert len(body) == larger.summary["groups_not_formed"] > 3
    shares = [min(r[4] / max(r[5], 1), (r[7] / r[8]) if r[8] else float("inf")) for r in body]
    assert shares == sorted(shares, reverse=True)  # closest to forming first
    assert all(r[6] == max(r[5] - r[4], 0) for r in body)  # units short
    assert ws.auto_filter.ref == f"A{labels}:J{labels + len(body)}"


# ----------------------------------------------------------------------- language, safety

def test_english_labels(tmp_path, mooncake):
    out = tmp_path / "en"
    write_run_workbooks(out, mooncake, SETTINGS, lang="en")
    po = load_workbook(out / "purchase" / "S1.xlsx")
    assert po.sheetnames == ["Purchase order", "By category"]
    ws = po["Purchase order"]
    assert header_value(ws, "PO number") == "PO-nightly-2026-11-21-S1"
    # a label wider than its values prints on two lines (sheets/writer.py fit_label)
    assert [c.value.replace("\n", " ") for c in ws[row_starting(ws, "SKU")]][4:] == [
        "Units ordered", "Case pack", "Cases", "Units to deliver", "Unit cost", "Amount"]
    assert load_workbook(out / "sorting" / "R1.xlsx").sheetnames == ["Sorting matrix", "Pick lists"]
    handout = load_workbook(out / "handout" / "P1.xlsx")["Handout"]
    assert "Today's orders: 10 items" in [r[0] for r in rows(handout)]
    assert load_workbook(out / "summary.xlsx").sheetnames[0] == "Run figures"
    with pytest.raises(ValueError, match="unknown sheet language"):
        write_run_workbooks(tmp_path / "fr", mooncake, SETTINGS, lang="fr")


def test_formula_looking_names_arrive_as_text(tmp_path):
    data_dir = tmp_path / "data"
    products = [dict(p) for p in PRODUCTS]
    products[0]["name"] = "=SUM(A1)"
    write_master(data_dir, products=products)
    orders = [dict(o) for o in MOONCAKE_ORDERS]
    orders[0]["customer_name"] = "+86123"
    orders[2]["customer_name"] = "@cmd"
    write_orders(data_dir, orders)
    out = tmp_path / "staging"
    write_run_workbooks(out, run_tables(data_dir), SETTINGS)

    def cells_with(path: Path, value: str):
        book = load_workbook(path)
        return [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value == value]

    for path, value in [(out / "purchase" / "S1.xlsx", "=SUM(A1)"), (out / "sorting" / "R1.xlsx", "=SUM(A1)"),
                        (out / "handout" / "P1.xlsx", "=SUM(A1) 6枚/盒")]:
        found = cells_with(path, value)
        assert found, path
        assert all(c.data_type == "s" and c.quotePrefix for c in found)
    for name in ("+86123", "@cmd"):
        found = cells_with(out / "handout" / "P1.xlsx", name)
        assert len(found) == 1 and found[0].data_type == "s" and found[0].quotePrefix
    for path in out.rglob("*.xlsx"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_print_setup_of_every_sheet(books):
    for path in books.rglob("*.xlsx"):
        for ws in load_workbook(path).worksheets:
            where = f"{path.name}:{ws.title}"
            assert int(ws.page_setup.paperSize) == 9, where
            assert int(ws.page_setup.fitToWidth) == 1, where
            assert int(ws.page_setup.fitToHeight) == (1 if ws.title == "运行概况" else 0), where
            assert ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert re.fullmatch(r"\$1:\$\d+", ws.print_title_rows or ""), where
            assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text, where
            assert ws.freeze_panes, where
            assert all((ws.column_dimensions[c].width or 0) >= 4 for c in "ABC"), where


def test_file_names_come_from_validated_ids(tmp_path):
    assert workbook_path(tmp_path, "handout", "P-1.a_2") == tmp_path / "handout" / "P-1.a_2.xlsx"
    for bad in ["../x", "a/b", "", ".hidden", "x" * 65, "名字", None]:
        with pytest.raises(ValueError):
            workbook_path(tmp_path, "handout", bad)


# -------------------------------------------------------------------------- the renderer

def test_writer_keeps_text_exact_and_money_from_fen(tmp_path):
    frame = pl.DataFrame({
        "text": ["a&b<c>", "  lead and trail  ", "bell\x07gone", "-12", None, "", "line\nbreak", "cr\rkept"],
        "n": [1, -2, None, 0, 5, 6, 7, 8],
        "fen": [1, -5, 123456789, None, 0, 10, 99, 100],
    })
    spec = SheetSpec(title="T[1]:x", columns=(Column("text", "Text"), Column("n", "N", INT),
                                               Column("fen", "Money", MONEY)),
                     frame=frame, header=(("k", "=v"),), totals={"text": "total", "fen": 123456789 - 5 + 110})
    path = tmp_path / "w.xlsx"
    write_workbook(path, [spec])
    ws = load_workbook(path).worksheets[0]
    assert ws.title == "T_1__x"
    assert ws["B1"].value == "=v" and ws["B1"].data_type == "s"
    assert [r for r in rows(ws)[3:11]] == [
        ("a&b<c>", 1, 0.01), ("  lead and trail  ", -2, -0.05), ("bellgone", None, 1234567.89),
        ("-12", 0, None), (None, 5, 0), (None, 6, 0.1), ("line\nbreak", 7, 0.99), ("cr\rkept", 8, 1)]
    assert ws["A7"].data_type == "s" and ws["A7"].quotePrefix
    assert rows(ws)[11] == ("total", None, 1234568.94)
    assert ws["C12"].number_format == MONEY_FORMAT and ws["C12"].font.b


def test_sections_break_pages(tmp_path):
    columns = (Column("a", "A"), Column("n", "N", INT))
    sections = tuple(Section(pl.DataFrame({"a": ["x"] * k, "n": list(range(k))}), heading=(f"part {k}",),
                             totals={"a": "sum", "n": sum(range(k))}) for k in (1, 3, 2))
    path = tmp_path / "s.xlsx"
    write_workbook(path, [SheetSpec(title="S", columns=columns, sections=sections, title_line="title")])
    ws = load_workbook(path).worksheets[0]
    starts = [row_starting(ws, f"part {k}") for k in (1, 3, 2)]
    assert [b.id for b in ws.row_breaks.brk] == [s - 1 for s in starts[1:]]
    assert ws.print_title_rows == "$1:$2" and ws.freeze_panes == "A3"
    assert ws.cell(starts[1] + 5, 2).value == 3


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (1, "0.01"), (-1, "-0.01"), (240000, "2400.00"),
                                       (-123456789, "-1234567.89"), (10**15 + 7, "10000000000000.07")])
def test_money_text_from_integer_fen(fen, text):
    assert pl.select(yuan_expr(pl.lit(fen, pl.Int64))).item() == text
    assert yuan_text(fen) == ("-" if fen < 0 else "") + "¥" + f"{int(text.lstrip('-').split('.')[0]):,}." \
        + text.split(".")[1]


# --------------------------------------------------------------- a larger hand-made run

ROUTES = 4
POINTS_PER_ROUTE = 9


def larger_data_dir(data_dir: Path) -> Path:
    """4 routes x 9 pickup points, 3 suppliers, 6 SKUs (case packs, a `down` product, caps, a
    pickup-point group that may not form), 400 order lines from 150 customers."""
    rng = random.Random(20261121)
    suppliers = [dict(datasets.SUPPLIERS[0]), dict(datasets.SUPPLIERS[1]),
                 {"supplier_id": "S3", "name": "=HYPERLINK(\"x\")蔬菜基地", "email": "", "min_order_fen": "99999999",
                  "delivery_window": ""}]
    products = [
        dict(PRODUCTS[0]), dict(PRODUCTS[1]),
        {"sku_id": "SKU3", "name": "鲜鸡蛋", "spec": "30枚/盒", "unit": "盒", "category": "水果", "supplier_id": "S3",
         "cost_fen": "1800", "case_pack": "4", "case_rounding": "up"},
        {"sku_id": "SKU4", "name": "有机菠菜", "spec": "", "unit": "斤", "category": "水果", "supplier_id": "S3",
         "cost_fen": "450", "case_pack": "10", "case_rounding": "down"},
        {"sku_id": "SKU5", "name": "蛋黄酥", "spec": "4枚/盒", "unit": "盒", "category": "烘焙", "supplier_id": "S1",
         "cost_fen": "1200", "case_pack": "3", "case_rounding": "up"},
        {"sku_id": "SKU6", "name": "车厘子", "spec": "2斤/盒", "unit": "盒", "category": "水果", "supplier_id": "S2",
         "cost_fen": "6800", "case_pack": "1", "case_rounding": "up"},
    ]
    points = []
    for r in range(1, ROUTES + 1):
        for s in range(1, POINTS_PER_ROUTE + 1):
            n = (r - 1) * POINTS_PER_ROUTE + s
            points.append({"pickup_point_id": f"P{n:02d}", "name": f"小区{n}号门", "address": f"路{n}号",
                           "leader_id": f"T{n:02d}", "leader_name": f"团长{n}", "leader_phone": "",
                           "route_id": f"R{r}", "route_seq": str(POINTS_PER_ROUTE + 1 - s), "leader_bp": ""})
    window = {"calendar": "nightly", "opens_at": "2026-11-20T20:00:00", "closes_at": "2026-11-21T20:00:00",
              "tiers": "", "min_qty": "", "group_scope": "", "stock_cap": "", "point_cap": "", "dist_l1_bp": "",
              "dist_l2_bp": ""}
    listings = [
        {**window, "listing_id": "L1", "sku_id": "SKU1", "unit_price_fen": "32800", "tiers": MOONCAKE_TIERS,
         "stock_cap": "120"},
        {**window, "listing_id": "L2", "sku_id": "SKU2", "unit_price_fen": "2990", "point_cap": "6"},
        {**window, "listing_id": "L3", "sku_id": "SKU3", "unit_price_fen": "2500"},
        {**window, "listing_id": "L4", "sku_id": "SKU4", "unit_price_fen": "690"},
        {**window, "listing_id": "L5", "sku_id": "SKU5", "unit_price_fen": "1990", "group_scope": "pickup_point",
         "min_qty": "4"},
        {**window, "listing_id": "L6", "sku_id": "SKU6", "unit_price_fen": "9900"},
    ]
    write_master(data_dir, suppliers=suppliers, products=products, pickup_points=points, listings=listings)
    customers = [(f"c{i:03d}", rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "娜", "敏", "静", "磊"]),
                  f"{rng.randrange(10000):04d}", f"P{rng.randrange(1, ROUTES * POINTS_PER_ROUTE + 1):02d}")
                  for i in range(150)]
    start = datetime(2026, 11, 20, 20, 30)
    orders = []
    for i in range(400):
        customer, name, phone, point = rng.choice(customers)
        listing = f"L{rng.randrange(1, 7)}"
        status = "cancelled" if i % 37 == 0 else "paid"
        created = start + timedelta(minutes=3 * i) if i % 53 else datetime(2026, 11, 21, 20, 30)
        orders.append(order(f"O{i:04d}", customer, rng.randrange(1, 6), created.isoformat(), listing=listing,
                            price={"L1": 32800, "L2": 2990, "L3": 2500, "L4": 690, "L5": 1990, "L6": 9900}[listing],
                            point=point, status=status, name=name, phone=phone))
    write_orders(data_dir, orders)
    return data_dir


@pytest.fixture
def larger(tmp_path) -> RunTables:
    return run_tables(larger_data_dir(tmp_path / "data"))


def route_matrix_totals(path: Path) -> dict[str, int]:
    """{column header's pickup point id (or 'total'): the totals row's value} of a route matrix,
    over its blocks (each block's rows and columns add up to its totals; the blocks' totals to the
    route's total on 线路合计)."""
    book = load_workbook(path)
    out, total = {}, 0
    for ws in book.worksheets:
        if not ws.title.startswith("分拣矩阵"):
            continue
        labels = row_starting(ws, "分类")
        totals = row_starting(ws, "合计", after=labels)
        assert totals == ws.max_row
        block = {}
        for column in range(6, ws.max_column):
            block[ws.cell(labels, column).value.split("\n")[1]] = ws.cell(totals, column).value
        body = [[v or 0 for v in r[5:]] for r in ws.iter_rows(min_row=labels + 1, max_row=totals - 1,
                                                               values_only=True)]
        assert all(sum(r[:-1]) == r[-1] for r in body)                       # row totals
        assert [sum(c) for c in zip(*body, strict=True)] == [*block.values(), ws.cell(totals, ws.max_column).value]
        out |= block
        total += ws.cell(totals, ws.max_column).value
    if "线路合计" in book.sheetnames:
        route = book["线路合计"]
        assert route.cell(row_starting(route, "合计", after=row_starting(route, "分类")), 6).value == total
    return out | {"total": total}


def test_larger_run_matrices_add_up_to_the_purchase_lines(tmp_path, larger):
    out = tmp_path / "staging"
    counts = write_run_workbooks(out, larger, SETTINGS)
    by_point = allocated_by_point(larger)
    assert len(by_point) >= 30
    points = larger.master.pickup_points
    routes_with_units = points.filter(pl.col("pickup_point_id").is_in(list(by_point)))["route_id"].unique()
    assert counts["sorting"] == routes_with_units.len() == ROUTES
    assert counts["handout"] == len(by_point)
    assert counts["purchase"] == larger.supplier_totals.height == 3

    grand_totals = 0
    for route in sorted(routes_with_units.to_list()):
        totals = route_matrix_totals(out / "sorting" / f"{route}.xlsx")
        stops = points.filter((pl.col("route_id") == route) & pl.col("pickup_point_id").is_in(list(by_point))) \
            .sort("route_seq")["pickup_point_id"].to_list()
        assert list(totals)[:-1] == stops                                # columns in stop order
        assert all(totals[p] == by_point[p] for p in stops)
        assert totals["total"] == sum(by_point[p] for p in stops)
        grand_totals += totals["total"]
    assert grand_totals == larger.purchase_lines["units_allocated"].sum() == sum(by_point.values())

    for point, units in by_point.items():
        ws = load_workbook(out / "handout" / f"{point}.xlsx")["提货单"]
        assert f"今日订单共 {units} 件" in [r[0] for r in rows(ws)]
    for supplier in larger.supplier_totals.iter_rows(named=True):
        ws = load_workbook(out / "purchase" / f"{supplier['supplier_id']}.xlsx")["采购单"]
        assert Decimal(str(ws.cell(row_starting(ws, "合计"), 10).value)) * 100 == supplier["po_fen"]
        assert any("起订额" in s for s in all_strings(out / "purchase" / f"{supplier['supplier_id']}.xlsx")) \
            == supplier["below_minimum"]
    s3 = load_workbook(out / "purchase" / "S3.xlsx")["采购单"]
    assert header_value(s3, "供应商") == 'S3 =HYPERLINK("x")蔬菜基地'


def test_process_pool_writes_the_same_cells(tmp_path, larger, monkeypatch):
    write_run_workbooks(tmp_path / "one", larger, SETTINGS)
    monkeypatch.setattr(run_books, "POOL_MIN_FILES", 1)
    counts = write_run_workbooks(tmp_path / "pool", larger, replace(SETTINGS, workers=2))
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.xlsx"))
    assert files == sorted(p.relative_to(tmp_path / "pool") for p in (tmp_path / "pool").rglob("*.xlsx"))
    assert len(files) == sum(counts.values())
    for name in files:
        one, pool = load_workbook(tmp_path / "one" / name), load_workbook(tmp_path / "pool" / name)
        assert [rows(ws) for ws in one.worksheets] == [rows(ws) for ws in pool.worksheets], name


def test_parts_shared_across_workbooks_equal_freshly_written_ones(tmp_path, mooncake):
    """The writer keeps the package parts workbooks share (styles, workbook, content types) once
    per process; a workbook written with them equals one written from scratch."""
    from sheets import package

    write_run_workbooks(tmp_path / "warm", mooncake, SETTINGS)  # the shared parts are now kept
    write_run_workbooks(tmp_path / "warm2", mooncake, SETTINGS)
    package._SHARED_PARTS.clear()
    write_run_workbooks(tmp_path / "fresh", mooncake, SETTINGS)
    for path in sorted((tmp_path / "warm2").rglob("*.xlsx")):
        relative = path.relative_to(tmp_path / "warm2")
        with zipfile.ZipFile(path) as warm, zipfile.ZipFile(tmp_path / "fresh" / relative) as fresh:
            assert warm.namelist() == fresh.namelist(), relative
            for name in warm.namelist():
                assert warm.read(name) == fresh.read(name), (relative, name)


def test_a_run_with_nothing_allocated_writes_only_the_summary(tmp_path):
    data_dir = tmp_path / "data"
    write_master(data_dir)
    write_orders(data_dir, [order("A", "cA", 2, "2026-11-21T21:00:00", name="晚到")])  # after close
    tables = run_tables(data_dir)
    assert tables.allocations["qty_allocated"].sum() == 0
    out = tmp_path / "staging"
    assert write_run_workbooks(out, tables, SETTINGS) == {"purchase": 0, "sorting": 0, "handout": 0, "summary": 1,
                                                          "labels": 0}
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx")) == ["summary.xlsx"]
    figures = {r[0]: r[1] for r in rows(load_workbook(out / "summary.xlsx")["运行概况"]) if r[0]}
    assert figures["有效订单行"] == 1 and figures["分配件数"] == 0


def test_pickup_points_prepared_a_group_at_a_time_give_the_same_books(tmp_path, larger, monkeypatch):
    """The handout lists and household labels are prepared a group of pickup points at a time
    (POINT_BATCH_ROWS lines, docs/scale.md): each point's rows are the same as when all points
    are prepared at once, no point is split or lost, and the groups hold about that many lines."""
    from labels.run_labels import LabelOptions

    labels = LabelOptions(b"k" * 32, "80x60", 30, larger.window.calendar, larger.window.cutoff_date)

    def point_payloads():
        return {job.path.name: job.payload for kind in run_books.plan_by_kind(tmp_path, larger, labels)
                for job in kind if isinstance(job.payload, run_books.PointBooks)}
    whole = point_payloads()
    allocated = larger.allocations.filter(pl.col("qty_allocated") > 0)
    assert len(whole) == allocated["pickup_point_id"].n_unique() > 3
    monkeypatch.setattr(run_books, "POINT_BATCH_ROWS", 5)
    groups = list(run_books.point_batches(larger.allocations))
    assert len(groups) > 1
    seen = [set(g["pickup_point_id"].unique()) for g in groups]
    assert sum(len(s) for s in seen) == len(set().union(*seen)) == len(whole)  # no point in two groups
    assert sum(g.height for g in groups) == allocated.height
    assert all(g.height < 5 + allocated.group_by("pickup_point_id").len()["len"].max() for g in groups)
    batched = point_payloads()
    assert batched.keys() == whole.keys()
    for name, payload in whole.items():
        other = batched[name]
        assert other.handout.lines.equals(payload.handout.lines), name
        assert (other.handout.units, other.handout.customers) == (payload.handout.units, payload.handout.customers)
        assert other.orders.equals(payload.orders) and other.items.equals(payload.items), name
