"""`cutoff report` end to end under the Prefect test harness: the mooncake example's cutoff, its
goods-in run and the leaders' scans (tests/fulfilment_data.py has the figures by hand), then the
workbooks opened and checked cell by cell, their charts, the loss figures reconciled with
purchase_lines, supplier_payables and pickups, a rerun that changes nothing, the artifacts."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timezone

import duckdb
import openpyxl
import pytest

from tests.fulfilment_data import BAD_SCANS, SCANS, fulfilment_data_dir, run_cutoff_and_goods_in, write_scans

pytestmark = pytest.mark.slow
DAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def reported(tmp_path_factory, prefect_harness):
    from flows.report_flow import report_flow
    root = tmp_path_factory.mktemp("report")
    data_dir, reports = fulfilment_data_dir(root / "data"), root / "reports"
    run_cutoff_and_goods_in(data_dir, reports)
    write_scans(data_dir, SCANS + [row for row, _ in BAD_SCANS])
    result = report_flow(start=DAY, end=DAY, data_dir=str(data_dir), reports_dir=str(reports))
    return data_dir, reports, result


def rows_of(path, sheet: str, first_label: str) -> list[tuple]:
    """The rows under the label row whose first cell is `first_label` (totals row included)."""
    ws = openpyxl.load_workbook(path)[sheet]
    values = [tuple(row) for row in ws.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(values) if row[0] == first_label)
    return [row for row in values[start + 1:] if any(v is not None for v in row)]


def folder(reports):
    return reports / "analysis" / "2026-11-21_2026-11-21"


def test_the_report_writes_both_workbooks_and_report_json(reported):
    data_dir, reports, result = reported
    assert result["folder"] == str(folder(reports))
    assert sorted(p.name for p in folder(reports).iterdir()) == ["fulfilment.xlsx", "losses.xlsx", "products.xlsx",
                                                               "report.json"]
    saved = json.loads((folder(reports) / "report.json").read_text(encoding="utf-8"))
    assert saved["products"] == {"skus": 2, "stars": 0, "reconsider": 2}  # 选品: docs/forecast.md
    assert saved["units"] == {"to_hand_out": 17, "collected": 16, "collected_late": 7, "unpicked": 1, "waiting": 0,
                              "purchased": 24, "surplus": 5, "damaged": 1, "over": 1, "short": 2, "lost": 7}
    assert saved["fen"] == {"purchased": 258000, "surplus": 7500, "damaged": 20000, "over": 1500, "short": 40000,
                            "unpicked": 20000, "lost": 47500}
    assert saved["final"] is True and saved["as_of"] == "2026-11-23T12:00:00+00:00"  # the last deadline
    assert result["pickups"] == {"files": 1, "rows": 10, "loaded": 5, "rejected": 5}


def test_the_product_review_ranks_the_range_s_skus(reported):
    import openpyxl
    _, reports, _ = reported
    book = openpyxl.load_workbook(folder(reports) / "products.xlsx", read_only=True)
    rows = [row for row in book["商品排行"].iter_rows(values_only=True) if row and isinstance(row[0], int)]
    assert [row[0] for row in rows] == [1, 2] and all(row[12] == "待复盘" for row in rows)
    why = [row for row in book["待复盘与爆品"].iter_rows(values_only=True) if row and isinstance(row[0], int)]
    assert len(why) == 2 and all("损耗率高于15%" in row[13] for row in why)  # mooncakes lost 7 of 24


def test_the_timeline_by_hand(reported):
    data_dir, reports, _ = reported
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        con.execute("SET TimeZone = 'Asia/Shanghai'")
        first, last, hours = con.sql(
            "SELECT strftime(min(sent_at), '%m-%d %H:%M'), strftime(max(sent_at), '%m-%d %H:%M'), "
            "round(epoch(min(sent_at) - TIMESTAMPTZ '2026-11-21 20:00:00+08') / 3600, 2) "
            "FROM emails WHERE status = 'outbox'").fetchall()[0]
    book = folder(reports) / "fulfilment.xlsx"
    (row,) = rows_of(book, "履约时效", "截单批次")
    assert row[:8] == ("每日 2026-11-21", hours, hours, 10.17, 11.67, 13.0, 38.0, 61.0)
    # this cutoff's run was made days after it (the test runs later), its POs only went to the outbox,
    # and P1's customers collected after the deadline: the row says so, and is filled
    assert "天才首次运行成功（补跑或重跑）" in row[8] and "只写入了发件箱" in row[8] and row[8].endswith("7 件逾期提货")
    assert openpyxl.load_workbook(book)["履约时效"]["A9"].fill.fgColor.rgb == "00FFF2CC"
    assert rows_of(book, "时间点", "截单批次") == [("每日 2026-11-21", "11-21 20:00", first, last, "11-22 06:10",
                                                 "11-22 07:40", "11-22 09:00", "11-23 10:00", "11-24 09:00",
                                                 "11-23 20:00")]
    assert rows_of(book, "提货进度", "截单批次") == [("每日 2026-11-21", 17, 16, 7, 0.9412, 0.5294, 1, 0),
                                                 ("合计", 17, 16, 7, 0.9412, 0.5294, 1, 0)]


def test_per_pickup_point_and_the_lines_to_chase(reported):
    _, reports, _ = reported
    book = folder(reports) / "fulfilment.xlsx"
    # the least collected on time first: P1's customers collected 7 of their 10 units after the deadline
    assert rows_of(book, "提货点", "提货点") == [
        ("P1 幸福里3栋", "王芳", "13800000001", "R1", 10, 9, 7, 0.2, 0.9, 1, 0, "11-24 09:00"),
        ("P2 阳光花园便利店", "李娜", "13800000002", "R1", 7, 7, 0, 1.0, 1.0, 0, 0, "11-23 10:00"),
        ("合计", None, None, None, 17, 16, 7, 0.5294, 0.9412, 1, 0, None)]
    assert rows_of(book, "未提货", "提货点") == [
        ("P1 幸福里3栋", "王芳", "每日 2026-11-21", "C", 1, "王磊", "0420", "流心奶黄月礼盒", 1, "11-23 20:00"),
        ("合计", None, None, None, None, None, None, None, 1, None)]


def test_every_kind_of_bad_scan_is_in_the_rejects_with_file_row_and_reason(reported):
    from sheets.reasons import reason_text
    data_dir, reports, _ = reported
    expected = [("inbox/pickups/pickups-1.csv", len(SCANS) + 2 + n, reason) for n, (_, reason) in enumerate(BAD_SCANS)]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        stored = con.sql("SELECT source_file, row_number, reason FROM rejects WHERE kind = 'pickups' "
                         "ORDER BY row_number").fetchall()
        raw = con.sql("SELECT raw FROM rejects WHERE kind = 'pickups' AND row_number = 7").fetchall()[0][0]
    assert stored == expected  # the warehouse keeps the reason as the rules wrote it
    assert json.loads(raw)["order_id"] == "E"
    sheet = rows_of(folder(reports) / "fulfilment.xlsx", "核销拒收", "文件")
    # the workbook says it in its language, every part of every reason
    assert sorted(row[:3] for row in sheet) == [(f, n, reason_text(r, "zh")) for f, n, r in expected]
    assert not any(word in row[2] for row in sheet for word in (" is ", " has ", " not ", "unknown"))


def test_losses_per_supplier_and_category_worst_first(reported):
    _, reports, _ = reported
    book = folder(reports) / "losses.xlsx"
    s2, s1, total = (12, 5, 0, 1, 0, 0, 5, 0.4167), (12, 0, 1, 0, 2, 1, 2, 0.1667), (24, 5, 1, 1, 2, 1, 7, 0.2917)
    assert rows_of(book, "按供应商", "供应商") == [("S2 从化鲜果合作社", *s2), ("S1 广州月饼食品有限公司", *s1),
                                              ("合计", *total)]
    assert rows_of(book, "按分类", "分类") == [("水果", *s2), ("烘焙", *s1), ("合计", *total)]
    money = (180.0, 75.0, 0.0, 15.0, 0.0, 0.0, 75.0, 0.4167), (2400.0, 0.0, 200.0, 0.0, 400.0, 200.0, 400.0, 0.1667)
    assert rows_of(book, "按供应商·金额", "供应商") == [
        ("S2 从化鲜果合作社", *money[0]), ("S1 广州月饼食品有限公司", *money[1]),
        ("合计", 2580.0, 75.0, 200.0, 15.0, 400.0, 200.0, 475.0, 0.2917)]


def test_loss_figures_reconcile_with_purchase_lines_payables_and_pickups(reported):
    data_dir, reports, _ = reported
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        expected = con.sql("""
            WITH handed AS (
                SELECT a.supplier_id, a.order_id, a.line_no,
                       a.qty_allocated - coalesce((SELECT sum(s.units_short) FROM shortages s
                                                   WHERE s.order_id = a.order_id AND s.line_no = a.line_no), 0) AS units
                FROM allocations a WHERE a.cutoff_date = DATE '2026-11-21'),
            unpicked AS (
                SELECT supplier_id, sum(units) AS units FROM handed h
                WHERE units > 0 AND NOT EXISTS (SELECT 1 FROM pickups p WHERE p.order_id = h.order_id
                                                AND p.line_no = h.line_no) GROUP BY ALL)
            SELECT p.supplier_id, sum(p.units_purchased), sum(p.units_purchased * p.unit_cost_fen),
                   sum(p.surplus_units), sum(s.units_damaged), sum(s.units_over), sum(s.units_short),
                   coalesce(max(u.units), 0)
            FROM purchase_lines p JOIN supplier_payables s USING (calendar, cutoff_date, supplier_id, sku_id)
            LEFT JOIN unpicked u USING (supplier_id) GROUP BY p.supplier_id ORDER BY p.supplier_id""").fetchall()
    book = folder(reports) / "losses.xlsx"
    units = {row[0].split()[0]: row for row in rows_of(book, "按供应商", "供应商")}
    money = {row[0].split()[0]: row for row in rows_of(book, "按供应商·金额", "供应商")}
    for supplier, purchased, purchased_fen, surplus, damaged, over, short, unpicked in expected:
        assert units[supplier][1:7] == (purchased, surplus, damaged, over, short, unpicked)
        assert round(money[supplier][1] * 100) == purchased_fen
        assert units[supplier][7] == surplus + damaged + unpicked


def test_the_workbooks_have_their_charts_on_sheets_of_their_own(reported):
    _, reports, _ = reported
    charted = {}
    for name in ("fulfilment.xlsx", "losses.xlsx"):
        for ws in openpyxl.load_workbook(folder(reports) / name):
            charted[ws.title] = len(ws._charts)
    assert charted == {"履约时效": 0, "图·过半核销": 1, "提货进度": 0, "时间点": 0, "提货点": 0, "图·按时提货率": 1,
                       "未提货": 0, "核销拒收": 0, "按供应商": 0, "图·供应商损耗率": 1, "按供应商·金额": 0, "按分类": 0,
                       "图·分类损耗率": 1, "按分类·金额": 0, "明细": 0}
    chart = openpyxl.load_workbook(folder(reports) / "losses.xlsx")["图·供应商损耗率"]._charts[0]
    assert chart.series[0].val.numRef.f == "'按供应商'!$I$10:$I$11"  # the loss rate of S2 and S1
    assert chart.series[0].cat.numRef.f == "'按供应商'!$A$10:$A$11"  # named: "S2 从化鲜果合作社", not S2 alone
    assert chart.title.tx.rich.p[0].r[0].t == "损耗率最高的供应商"  # short: it never breaks inside a word


def test_every_sheet_prints_at_nine_points_or_more(reported):
    from tests.sheets.printing import assert_readable
    _, reports, _ = reported
    for name in ("fulfilment.xlsx", "losses.xlsx"):
        assert_readable(openpyxl.load_workbook(folder(reports) / name))


def cells(path) -> dict:
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in openpyxl.load_workbook(path)}


def test_a_rerun_changes_nothing(reported, tmp_path):
    from flows.report_flow import report_flow
    data_dir, reports, _ = reported
    copy_data, copy_reports = tmp_path / "data", tmp_path / "reports"
    shutil.copytree(data_dir, copy_data)
    shutil.copytree(reports, copy_reports)
    before = {name: cells(folder(copy_reports) / name) for name in ("fulfilment.xlsx", "losses.xlsx")}
    report_json = (folder(copy_reports) / "report.json").read_text(encoding="utf-8")
    with duckdb.connect(str(copy_data / "warehouse.duckdb"), read_only=True) as con:
        tables = {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("pickups", "rejects")}
    again = report_flow(start=DAY, end=DAY, data_dir=str(copy_data), reports_dir=str(copy_reports),
                        now=datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert again["pickups"] == {"files": 0, "rows": 0, "loaded": 0, "rejected": 0}  # each file once
    assert {name: cells(folder(copy_reports) / name) for name in before} == before
    assert (folder(copy_reports) / "report.json").read_text(encoding="utf-8") == report_json
    with duckdb.connect(str(copy_data / "warehouse.duckdb"), read_only=True) as con:
        assert {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables} == tables


def test_before_the_deadline_a_line_without_a_scan_is_waiting_not_unpicked(reported, tmp_path):
    from flows.report_flow import report_flow
    data_dir, reports, _ = reported
    shutil.copytree(data_dir, tmp_path / "data")
    result = report_flow(start=DAY, end=DAY, data_dir=str(tmp_path / "data"), reports_dir=str(tmp_path / "r"),
                         now=datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc), lang="en")
    assert result["final"] is False and result["as_of"] == "2026-11-23T00:00:00+00:00"
    assert result["units"]["waiting"] == 1 and result["units"]["unpicked"] == 0
    book = tmp_path / "r" / "analysis" / "2026-11-21_2026-11-21" / "fulfilment.xlsx"
    assert [ws.title for ws in openpyxl.load_workbook(book)] == [
        "timeline", "chart half collected", "pickups", "instants", "pickup points", "chart on time", "unpicked",
        "rejected scans"]
    assert rows_of(book, "unpicked", "pickup\npoint") == [("none", *[None] * 9), ("total", *[None] * 7, 0, None)]
    losses = openpyxl.load_workbook(tmp_path / "r" / "analysis" / "2026-11-21_2026-11-21" / "losses.xlsx")
    labels = [row for row in losses["by supplier (yuan)"].iter_rows(values_only=True) if row[0] == "supplier"][0]
    assert "surplus (yuan)" in [v.replace("\n", " ") for v in labels] and not any("fen" in v for v in labels)


def test_the_report_publishes_its_markdown_and_table_artifacts(reported):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["fulfilment-report", "fulfilment-timeline"])))
    by_key = {a.key: a for a in found}
    assert by_key["fulfilment-report"].type == "markdown"
    markdown = by_key["fulfilment-report"].data
    assert "| nightly 2026-11-21 | " in markdown and "38.0 h" in markdown and "94.1%" in markdown
    assert "| S2 从化鲜果合作社 | 12 | 5 | 0 | 1 | 0 | 0 | ¥75.00 | 41.7% |" in markdown
    table = by_key["fulfilment-timeline"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert table[0]["cutoff_date"] == "2026-11-21" and table[0]["pickup_half_hours"] == 38.0
