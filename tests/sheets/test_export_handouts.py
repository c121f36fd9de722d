"""Handout lists of orders read from a platform export: door delivery shows 楼号 and 房号 (both
languages) in walking order, and text from the export never reaches a cell as a formula."""

from __future__ import annotations

import zipfile
from datetime import date

import polars as pl
from openpyxl import Workbook, load_workbook

from flows.settings import Settings
from inbox.ingest import read_inbox, validate_inbox
from inbox.master import load_master
from sheets.run_books import write_run_workbooks
from sheets.run_tables import RunTables
from tests.export_data import export_master
from transforms.close import close_listings
from transforms.purchase import build_purchase_lines, total_by_supplier
from transforms.summary import summarize_cutoff
from transforms.windows import window_for

TZ = "Asia/Shanghai"
DAY = date(2026, 11, 21)
SETTINGS = Settings(platform_name="邻里团", warehouse_address="仓库路8号", workers=1)
HEADERS = ["下单人", "跟团号", "商品", "数量", "商品金额", "订单金额", "服务小区", "收货人", "联系电话", "楼号（如10）",
           "房号（如606）"]
HOSTILE = ('=HYPERLINK("http://example.com/x","点我领券")', "=cmd|' /C calc'!A0", "+86 138", "@SUM(1)")


def tables(data_dir) -> RunTables:
    master = load_master(data_dir, TZ)
    window = window_for("nightly", DAY)
    no_refunds = pl.DataFrame(schema={"refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64,
                                      "amount_fen": pl.Int64, "created_at": pl.Datetime("us", "UTC")})
    inbox = validate_inbox(read_inbox(data_dir, set()), master, TZ, 1, no_refunds, window.label)
    closed = close_listings(inbox.order_lines, master.listings, master.products, window)
    purchase = build_purchase_lines(closed.allocations, master.products)
    totals = total_by_supplier(purchase, master.suppliers)
    summary = summarize_cutoff(window, closed.closing, closed.allocations, closed.groups, purchase, totals,
                               rejected=inbox.rejects.height)
    return RunTables(window=window, summary=summary, allocations=closed.allocations, purchase_lines=purchase,
                     supplier_totals=totals, groups=closed.groups, rejects=inbox.rejects, master=master,
                     generated_at=window.end)


def export_with(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "顾客购买表"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a leader typed it
    book.save(path)


def row(number, name, building, room, phone="13812345678"):
    return [name, number, "荔枝(每箱四斤)", 1, 59.9, 59.9, "嘉怡水岸·睿府", name, phone, building, room]


def test_door_delivery_columns_in_walking_order_and_no_formula_from_an_export(tmp_path):
    data_dir = export_master(tmp_path / "data")
    (data_dir / "inbox" / "orders").mkdir(parents=True)
    export_with(data_dir / "inbox" / "orders" / "团.xlsx", [
        row(1, HOSTILE[0], 10, 606), row(2, HOSTILE[1], "2栋", "1201", "13800000002"),
        row(3, HOSTILE[2], "A座", 5, "13800000003"), row(4, HOSTILE[3], 2, "301", "13800000004")])
    (data_dir / "master" / "export_groups.csv").write_text(
        "group,placed_from,placed_to\n团,2026-11-20T20:00:00+08:00,2026-11-21T20:00:00+08:00\n", encoding="utf-8")
    run = tables(data_dir)
    for lang, labels in (("zh", ("楼号", "房号")), ("en", ("Building", "Room"))):
        out = tmp_path / lang
        write_run_workbooks(out, run, SETTINGS, lang=lang)
        sheet = load_workbook(out / "handout" / "Q1.xlsx").worksheets[0]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        header = next(i for i, r in enumerate(table) if labels[0] in r)
        at = table[header].index(labels[0])
        assert table[header][at + 1] == labels[1]
        body = [r for r in table[header + 1:] if r[at] is not None]
        assert [(r[at], r[at + 1]) for r in body] == [("2", "301"), ("2栋", "1201"), ("10", "606"), ("A座", "5")]
        assert [r[at - 1] for r in body] == [HOSTILE[3], HOSTILE[1], HOSTILE[0], HOSTILE[2]]
    for path in (tmp_path / "zh").rglob("*.xlsx"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), path
    book = load_workbook(tmp_path / "zh" / "handout" / "Q1.xlsx")
    found = [c for ws in book.worksheets for r in ws.iter_rows() for c in r if c.value in HOSTILE]
    assert len(found) == 4 and all(c.data_type == "s" and c.quotePrefix for c in found)


def test_a_handout_without_doors_keeps_its_columns(tmp_path):
    data_dir = export_master(tmp_path / "data")
    (data_dir / "inbox" / "orders").mkdir(parents=True)
    export_with(data_dir / "inbox" / "orders" / "团.xlsx", [row(1, "王芳", None, None)])
    (data_dir / "master" / "export_groups.csv").write_text(
        "group,placed_from,placed_to\n团,2026-11-20T20:00:00+08:00,2026-11-21T20:00:00+08:00\n", encoding="utf-8")
    write_run_workbooks(tmp_path / "out", tables(data_dir), SETTINGS)
    table = [list(r) for r in load_workbook(tmp_path / "out" / "handout" / "Q1.xlsx").worksheets[0].iter_rows(
        values_only=True)]
    assert not any("楼号" in r for r in table)
    # (a label wider than its values prints on two lines: 手机/尾号, sheets/text_fit.py)
    assert any([str(c).replace("\n", "") for c in r[:4]] == ["序号", "手机尾号", "顾客", "订单号"] for r in table)


def test_summary_workbook_names_the_export_warnings_in_both_languages():
    from sheets.labels import labels_for
    from sheets.summary_book import warning_rows
    summary = {"warnings": ["export_amount_mismatch: inbox/orders/团.xlsx: order 3 ...",
                            "export_cancelled: inbox/orders/团.xlsx: order x line(s) 1 ..."]}
    assert warning_rows(summary, labels_for("zh")).rows() == [
        ("导出订单金额不符", "inbox/orders/团.xlsx: order 3 ..."),
        ("导出中已取消", "inbox/orders/团.xlsx: order x line(s) 1 ...")]
    assert warning_rows(summary, labels_for("en"))["kind"].to_list() == ["Export: order amount differs",
                                                                          "Export: cancelled"]
