"""The goods-in run end to end (`cutoff receive` and receive_flow, real Prefect, a DuckDB file):
the rulebook's worked example to the fen, reruns identical, a late receipt, every kind of bad
receipt row, a cutoff not run, a cutoff rerun after goods-in, a closed week, the supplier
statements of the settlement."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.cli import main
from flows.cutoff_flow import cutoff_flow
from flows.receive_artifacts import render_receive_markdown, supplier_table
from flows.receive_flow import receive_flow
from flows.settle_flow import settle_flow
from tests import datasets
from tests.datasets import MOONCAKE_RECEIPT, order, receipt, write_receipts

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = "2026-11-21"
BOM = b"\xef\xbb\xbf"
WORKED_EXAMPLE = {
    "calendar": "nightly", "cutoff_date": DAY,
    "purchase_lines": {"pending": 1, "complete": 0, "short": 1},
    "units": {"purchased": 24, "received": 11, "damaged": 1, "good": 10, "short": 2, "over": 0, "payable": 10},
    "fen": {"short_refund": 65600, "clawback": -6560, "payable": 200000},
    "suppliers": [{"supplier_id": "S1", "status": "short", "units_short": 2, "payable_fen": 200000},
                  {"supplier_id": "S2", "status": "pending", "units_short": 0, "payable_fen": 0}],
}


def test_the_artifact_reads_money_as_people_write_it():
    """¥ with thousands separators, the sign before the ¥, as summary.xlsx and the command line."""
    summary = dict(WORKED_EXAMPLE, receipts={"applied": 12345, "rejected": 0},
                   fen={"short_refund": 65600, "clawback": -1146, "payable": 8723930})
    markdown = render_receive_markdown(summary)
    assert "| payable to suppliers | ¥87,239.30 |" in markdown
    assert "| commission clawed back | -¥11.46 |" in markdown
    assert "| receipts applied / rejected | 12,345 / 0 |" in markdown
    assert [r["payable"] for r in supplier_table(summary)] == ["¥2,000.00", "¥0.00"]


@pytest.fixture
def dirs(tmp_path):
    return datasets.mooncake_goods_in_dir(tmp_path / "data"), tmp_path / "reports"


def cutoff(data_dir: Path, reports_dir: Path, day: str = DAY) -> dict:
    return cutoff_flow(calendar="nightly", cutoff_date=day, data_dir=str(data_dir), reports_dir=str(reports_dir),
                       send_email=False)


def receive(data_dir: Path, reports_dir: Path) -> dict:
    return receive_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir), reports_dir=str(reports_dir))


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def folder(reports_dir: Path) -> Path:
    return reports_dir / "nightly" / DAY / "receiving"


def cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: [row for row in sheet.iter_rows(values_only=True)] for sheet in book}


def snapshot(data_dir: Path, reports_dir: Path) -> dict:
    """Every table the goods-in run writes and every file it leaves, workbooks cell by cell."""
    tables = {name: query(data_dir, f"SELECT * FROM {name} ORDER BY ALL")
              for name in ("receipts", "shortages", "supplier_payables", "commission_ledger", "rejects",
                           "receipt_requests")}
    files = {}
    for path in sorted(folder(reports_dir).rglob("*")):
        if path.is_file():
            name = path.relative_to(folder(reports_dir)).as_posix()
            files[name] = cells(path) if path.suffix == ".xlsx" else path.read_bytes()
    return {"tables": tables, "files": files}


def test_the_worked_example_through_cutoff_receive_to_the_fen(dirs, capsys):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT])
    code = main(["receive", "--date", DAY, "--data-dir", str(data_dir), "--reports-dir", str(reports_dir)])
    assert code == 0
    out = capsys.readouterr().out
    assert "purchase lines: 0 complete, 1 short, 1 pending" in out
    assert "shortage refunds ¥656.00, commission clawed back -¥65.60, payable ¥2,000.00" in out
    summary = json.loads((folder(reports_dir) / "receiving.json").read_text(encoding="utf-8"))
    assert {k: summary[k] for k in WORKED_EXAMPLE} == WORKED_EXAMPLE
    assert summary["receipts"] == {"applied": 1, "rejected": 0} and summary["adjustment_week"] is None
    assert summary["files"]["sorting"] == ["sorting/R1.xlsx"] and summary["files"]["handout"] == ["handout/P2.xlsx"]
    assert query(data_dir, "SELECT order_id, line_no, supplier_id, sku_id, qty_allocated, units_short, "
                           "short_refund_fen, net_fen, reason FROM shortages") == [
        ("D", 1, "S1", "SKU1", 4, 2, 65600, 131200, "short_delivery")]
    assert query(data_dir, "SELECT supplier_id, status, units_purchased, units_received, units_damaged, units_good, "
                           "units_short, units_over, units_payable, payable_fen FROM supplier_payables ORDER BY 1") == [
        ("S1", "short", 12, 11, 1, 10, 2, 0, 10, 200000), ("S2", "pending", 12, 0, 0, 0, 0, 0, 0, 0)]
    assert query(data_dir, "SELECT entry_type, entry_date, order_id, role, beneficiary_id, amount_fen "
                           "FROM commission_ledger WHERE refund_id = 'short'") == [
        ("clawback", date(2026, 11, 21), "D", "leader", "T2", -6560)]
    assert query(data_dir, "SELECT receipt_id, units_received, units_damaged FROM receipts") == [("GR-1", 11, 1)]
    assert (folder(reports_dir) / "refunds.csv").read_bytes() == BOM + (
        b"order_id,line_no,customer_id,refund_fen,reason,pickup_point_id,sku_id,units_short\n"
        b"D,1,cD,65600,short_delivery,P2,SKU1,2\n")
    book = cells(folder(reports_dir) / "shortages.xlsx")
    goods_in, cut = book["到货汇总"], book["缺货顾客"]
    labels = [tuple(v.replace("\n", "") if isinstance(v, str) else v for v in row) for row in goods_in]
    header = labels.index(("供应商", "商品", "状态", "采购数量", "顾客订购", "到货", "破损", "合格", "余量抵扣", "缺货",
                           "多送", "应付数量", "应付金额"))
    # the short line first, then the one not delivered yet; purchased 12 = good 10 + surplus 0 + short 2
    assert goods_in[header + 1] == ("S1 广州月饼食品有限公司", "SKU1 流心奶黄月礼盒 6枚/盒", "缺货", 12, 12, 11, 1, 10,
                                    0, 2, 0, 10, 2000)
    assert goods_in[header + 2][:3] == ("S2 从化鲜果合作社", "SKU2 砂糖橘 5斤/箱", "未到货")
    assert goods_in[header + 3] == ("合计", None, None, 24, 19, 11, 1, 10, 0, 2, 0, 10, 2000)
    money = book["按供应商"]
    assert money[-3:] == [("S1 广州月饼食品有限公司", 1, 1, 0, 2400, 2000, 400),
                          ("S2 从化鲜果合作社", 1, 0, 1, 180, 0, 180), ("合计", 2, 1, 1, 2580, 2000, 580)]
    assert "缺货 2 件：1 行订单少发，退款 ¥656.00；应付供应商 ¥2,000.00。" in [r[0] for r in goods_in]
    assert ("S1", "SKU1", "流心奶黄月礼盒", "P2", "D", 1, "赵敏", 4, 2, 328, 656) in cut


def assert_artifacts(run_id) -> None:
    """The run's summary in the Prefect UI: a markdown artifact and a table per supplier."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    with get_client(sync_client=True) as client:
        found = {a.key: a for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))}
        run = client.read_flow_run(run_id)
    assert run.name == "receive nightly 2026-11-21"
    assert set(found) == {"receive-nightly", "receive-suppliers-nightly"}
    markdown = found["receive-nightly"].data
    assert "| shortage refunds | ¥656.00 |" in markdown and "| payable to suppliers | ¥2,000.00 |" in markdown
    assert "- `sorting/R1.xlsx`" in markdown and "- `handout/P2.xlsx`" in markdown
    table = found["receive-suppliers-nightly"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert [(r["supplier_id"], r["status"], r["units_short"], r["payable"]) for r in table] == [
        ("S1", "short", 2, "¥2,000.00"), ("S2", "pending", 0, "¥0.00")]


def test_the_reissued_sheets_cell_by_cell_and_only_where_a_shortage_changed_them(dirs):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT])
    state = receive_flow(calendar="nightly", cutoff_date=DAY, data_dir=str(data_dir), reports_dir=str(reports_dir),
                         return_state=True)
    assert_artifacts(state.state_details.flow_run_id)
    assert sorted(p.relative_to(folder(reports_dir)).as_posix() for p in folder(reports_dir).rglob("*.xlsx")) == [
        "handout/P2.xlsx", "shortages.xlsx", "sorting/R1.xlsx"]  # P1 lost nothing: its list stands
    handout = cells(folder(reports_dir) / "handout" / "P2.xlsx")["提货单"]
    # the cutoff's list's layout (序号 centred, phone tail and name on every line, ruled customers, the
    # filter), 数量 now 实发; the changed line filled and saying so; the notice names who gets less
    assert handout == [
        ("社区团购平台 提货单 · 修订版", *[None] * 8),
        ("提货点", "P2 阳光花园便利店", *[None] * 7),
        ("地址", "阳光路2号", *[None] * 7),
        ("团长", "李娜", *[None] * 7),
        ("日期", "2026-11-21", *[None] * 7),
        ("今日实发共 7 件", *[None] * 8),
        ("顾客 2 位", *[None] * 8),
        ("修订版：供应商缺货，1 位顾客少发 2 件（原 9 件，实发 7 件），差额已退款。", *[None] * 8),
        ("以此版为准，标色的行有改动。", *[None] * 8),
        ("少发：2号 赵敏 8888 少2件", *[None] * 8),
        (None,) * 9,
        ("序号", "手机\n尾号", "顾客", "订单号", "商品", "实发", "单位", "签收", "提货码"),
        (1, "5678", "李静", "B", "流心奶黄月礼盒 6枚/盒", 5, "盒", None, None),
        (2, "8888", "赵敏", "D", "流心奶黄月礼盒 6枚/盒（少 2 件，原 4 件）", 2, "盒", None, None),
        ("合计", None, None, None, None, 7, None, None, None),
    ]  # the 提货码 column holds each order's QR code: a picture, the cell is empty
    ws = openpyxl.load_workbook(folder(reports_dir) / "handout" / "P2.xlsx")["提货单"]
    assert [ws.cell(row, 5).fill.fgColor.rgb for row in (13, 14)] == ["00000000", "00FFF2CC"]  # the changed line
    assert ws.cell(13, 1).alignment.horizontal == "center" and ws.auto_filter.ref == "A12:I14"
    assert ws.cell(14, 1).border.top.style == "medium"  # each customer a ruled block, as the cutoff's list
    route = cells(folder(reports_dir) / "sorting" / "R1.xlsx")
    assert list(route) == ["分拣矩阵", "拣货单", "缺货明细"]
    matrix = route["分拣矩阵"]
    assert matrix[0][0] == "分拣单 · 线路 R1 · 修订版"
    assert [r[0] for r in matrix[5:7]] == [
        "修订版：供应商缺货，本线路少发 2 件（原 19 件），以此版为准。标色的行有改动，明细见“缺货明细”。",
        "少发的站：第 2 站 P2 少 2 件"]
    assert matrix[-3:] == [("水果", "SKU2", "砂糖橘", "5斤/箱", "箱", 7, None, 7),
                           ("烘焙", "SKU1", "流心奶黄月礼盒", "6枚/盒", "盒", 3, 7, 10),
                           ("合计", None, None, None, None, 10, 7, 17)]
    book = openpyxl.load_workbook(folder(reports_dir) / "sorting" / "R1.xlsx")
    assert [book["分拣矩阵"].cell(row, 2).fill.fgColor.rgb for row in (10, 11)] == ["00000000", "00FFF2CC"]
    picks = route["拣货单"]
    assert "第 2 站 · P2 阳光花园便利店 · 团长 李娜 · 共 7 件" in [r[0] for r in picks]
    marked = [r[0] for n, r in enumerate(picks, 1) if book["拣货单"].cell(n, 1).fill.fgColor.rgb == "00FFF2CC"]
    assert marked == ["SKU1"] and picks[[r[0] for r in picks].index("第 2 站 · P2 阳光花园便利店 · 团长 李娜 · 共 7 件")
                                     + 2][0] == "SKU1"
    assert route["缺货明细"][-2:] == [(2, "P2", "阳光花园便利店", "SKU1", "流心奶黄月礼盒", "6枚/盒", "盒", 9, 2, 7),
                                  ("合计", None, None, None, None, None, None, 9, 2, 7)]
    from tests.sheets.printing import assert_readable
    for name in ("handout/P2.xlsx", "sorting/R1.xlsx", "shortages.xlsx"):  # 9 pt and more on A4
        assert_readable(openpyxl.load_workbook(folder(reports_dir) / name))
    # the cutoff's own sheets stay as the cutoff made them
    original = cells(reports_dir / "nightly" / DAY / "handout" / "P2.xlsx")["提货单"]
    assert ("今日订单共 9 件", *[None] * 8) in original  # (with the 提货码 column)


def test_a_rerun_is_identical_and_a_late_receipt_replaces_the_runs_decisions(dirs):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT])
    receive(data_dir, reports_dir)
    first = snapshot(data_dir, reports_dir)
    receive(data_dir, reports_dir)
    assert snapshot(data_dir, reports_dir) == first
    assert query(data_dir, "SELECT status, attempts FROM receive_runs") == [("success", 2)]
    # late: the second delivery of S1's 2 missing boxes, and S2's oranges (7 allocated, 12 purchased)
    write_receipts(data_dir, [receipt("GR-2", 2, received_at="2026-11-22T09:30:00"),
                              receipt("GR-3", 8, supplier="S2", sku="SKU2")], name="receipts-2.csv")
    late = receive(data_dir, reports_dir)
    assert late["purchase_lines"] == {"pending": 0, "complete": 2, "short": 0}
    assert late["fen"] == {"short_refund": 0, "clawback": 0, "payable": 12 * 20000 + 8 * 1500}
    assert late["files"]["sorting"] == [] and late["files"]["handout"] == []
    assert query(data_dir, "SELECT count(*) FROM shortages") == [(0,)]
    assert query(data_dir, "SELECT count(*) FROM commission_ledger WHERE refund_id = 'short'") == [(0,)]
    assert not (folder(reports_dir) / "handout").exists()
    assert (folder(reports_dir) / "refunds.csv").read_bytes() == BOM + (
        b"order_id,line_no,customer_id,refund_fen,reason,pickup_point_id,sku_id,units_short\n")


def test_every_kind_of_bad_receipt_row_is_rejected_with_file_row_and_reason(dirs):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [
        MOONCAKE_RECEIPT,                                       # row 2: good
        receipt("GR-2", 3, supplier="S1", sku="SKU2"),          # row 3: S1 does not deliver SKU2 in this run
        receipt("GR-3", 3, 5),                                  # row 4: more damaged than received
        receipt("GR-4", -1),                                    # row 5: negative units
        receipt("GR-5", 3, supplier="S404"),                    # row 6: unknown supplier
        receipt("GR-6", 3, cutoff_date="2026-11-31"),           # row 7: no such date
    ])
    write_receipts(data_dir, [receipt("GR-1", 12)], name="receipts-2.csv")  # GR-1 again with other content
    summary = receive(data_dir, reports_dir)
    assert summary["receipts"] == {"applied": 1, "rejected": 6}
    assert summary["fen"]["short_refund"] == 65600  # the good row stands alone
    rejects = (folder(reports_dir) / "rejects.csv").read_bytes()
    assert rejects.startswith(BOM + b"source_file,row_number,reason,raw\n")
    lines = rejects.decode("utf-8-sig").splitlines()[1:]
    found = {tuple(line.split(",", 2)[:2]): line for line in lines}
    assert set(found) == {("inbox/receipts/receipts-1.csv", str(n)) for n in (3, 4, 5, 6, 7)} | {
        ("inbox/receipts/receipts-2.csv", "2")}
    assert "no purchase line nightly 2026-11-21 for supplier S1 and SKU SKU2" in found[
        ("inbox/receipts/receipts-1.csv", "3")]
    assert "units_damaged 5 is more than units_received 3" in found[("inbox/receipts/receipts-1.csv", "4")]
    assert "units_received" in found[("inbox/receipts/receipts-1.csv", "5")]
    assert "S404" in found[("inbox/receipts/receipts-1.csv", "6")]
    assert "is not a date (write it as YYYY-MM-DD)" in found[("inbox/receipts/receipts-1.csv", "7")]
    assert "duplicate receipt_id 'GR-1' with other content (units_received, units_damaged, note differ" in found[
        ("inbox/receipts/receipts-2.csv", "2")]
    # the row with no date cannot be placed in a cutoff: it is reported by the run that ingested it
    unplaced = query(data_dir, "SELECT source_file, row_number, ingested_by FROM rejects WHERE for_run IS NULL")
    assert unplaced == [("inbox/receipts/receipts-1.csv", 7, "receive nightly 2026-11-21")]
    again = receive(data_dir, reports_dir)  # a rerun reports them again, and writes none twice
    assert again["receipts"] == {"applied": 1, "rejected": 6}
    assert query(data_dir, "SELECT count(*) FROM rejects WHERE kind = 'receipts'") == [(6,)]


def test_a_cutoff_that_was_not_run_is_refused_in_one_paragraph(dirs, capsys):
    data_dir, reports_dir = dirs
    args = ["receive", "--date", DAY, "--data-dir", str(data_dir), "--reports-dir", str(reports_dir)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("cutoff: the nightly 2026-11-21 cutoff has not been run (there is no warehouse at ")
    assert "run `cutoff run --calendar nightly --date 2026-11-21` first" in err and err.count("\n") == 1
    assert not (data_dir / "warehouse.duckdb").exists()
    cutoff(data_dir, reports_dir, day="2026-11-20")  # another cutoff ran: not this one
    assert main(args) == 2
    assert "(the warehouse has no run of it)" in capsys.readouterr().err
    assert not folder(reports_dir).exists()


def test_a_cutoff_rerun_keeps_the_goods_in_run_and_warns_when_it_changed_its_basis(dirs):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT])
    receive(data_dir, reports_dir)
    files = snapshot(data_dir, reports_dir)["files"]
    same = cutoff(data_dir, reports_dir)
    assert not [w for w in same["warnings"] if w.startswith("goods_in_stale:")]
    assert snapshot(data_dir, reports_dir)["files"] == files  # receiving/ kept across the rerun
    assert query(data_dir, "SELECT amount_fen FROM commission_ledger WHERE refund_id = 'short'") == [(-6560,)]
    cancelled = order("C", "cC", 1, "2026-11-21T09:02:00", status="cancelled", updated_at="2026-11-21T12:00:00",
                      name="王磊", phone="0420")
    datasets.write_csv(data_dir / "inbox" / "orders" / "orders-2.csv", [cancelled], datasets.ORDER_COLUMNS)
    changed = cutoff(data_dir, reports_dir)
    stale = [w for w in changed["warnings"] if w.startswith("goods_in_stale:")]
    assert stale and "run `cutoff receive --calendar nightly --date 2026-11-21` again" in stale[0]
    assert (folder(reports_dir) / "receiving.json").is_file()
    receive(data_dir, reports_dir)  # decided again on the new basis: the warning goes
    assert not [w for w in cutoff(data_dir, reports_dir)["warnings"] if w.startswith("goods_in_stale:")]


def test_a_closed_week_and_the_supplier_statements_of_the_settlement(dirs):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT])
    settled = settle_flow(week="2026-W47", data_dir=str(data_dir), reports_dir=str(reports_dir), force=True)
    # settled before goods-in: S1's statement line is pending, nothing payable yet
    assert [(s["supplier_id"], s["po_fen"], s["payable_fen"]) for s in settled["suppliers"]] == [
        ("S1", 240000, 0), ("S2", 18000, 0)]
    summary = receive(data_dir, reports_dir)
    assert summary["adjustment_week"] == "2026-W48" and summary["fen"]["clawback"] == -6560
    assert query(data_dir, "SELECT entry_type, adjusted_type, entry_date, settlement_week, amount_fen "
                           "FROM commission_ledger WHERE refund_id = 'short'") == [
        ("adjustment", "clawback", date(2026, 11, 23), "2026-W48", -6560)]
    assert query(data_dir, "SELECT supplier_id, status, payable_fen FROM supplier_statements ORDER BY 1") == [
        ("S1", "pending", 0), ("S2", "pending", 0)]  # a settled statement is never rewritten
    statement = (reports_dir / "settlements" / "2026-W47" / "suppliers" / "S1.csv").read_bytes()
    assert statement == BOM + (
        b"cutoff_date,calendar,po_fen,units_purchased,units_received,units_damaged,units_short,units_over,"
        b"units_payable,payable_fen,status\n"
        b"2026-11-21,nightly,240000,12,0,0,0,0,0,0,pending\n"
        b",total,240000,12,0,0,0,0,0,0,\n")


def test_the_settlement_after_goods_in_states_what_is_owed_each_supplier(dirs):
    data_dir, reports_dir = dirs
    cutoff(data_dir, reports_dir)
    write_receipts(data_dir, [MOONCAKE_RECEIPT])
    receive(data_dir, reports_dir)
    settled = settle_flow(week="2026-W47", data_dir=str(data_dir), reports_dir=str(reports_dir), force=True)
    assert settled["payable_fen"] == 200000
    assert settled["suppliers"][0] == {"supplier_id": "S1", "name": "广州月饼食品有限公司", "cutoffs": 1,
                                       "po_fen": 240000, "units_short": 2, "payable_fen": 200000,
                                       "file": "suppliers/S1.csv"}
    statement = json.loads((reports_dir / "settlements" / "2026-W47" / "statement.json").read_text("utf-8"))
    assert statement["payable_fen"] == 200000 and statement["suppliers"] == settled["suppliers"]
    lines = (reports_dir / "settlements" / "2026-W47" / "suppliers" / "S1.csv").read_text("utf-8-sig").splitlines()
    assert lines[1:] == ["2026-11-21,nightly,240000,12,11,1,2,0,10,200000,short",
                         ",total,240000,12,11,1,2,0,10,200000,"]
    again = settle_flow(week="2026-W47", data_dir=str(data_dir), reports_dir=str(reports_dir))
    assert again["already_settled"] and again["suppliers"] == settled["suppliers"] and again["payable_fen"] == 200000


def test_the_cutoff_artifact_says_when_a_rerun_left_goods_in_out_of_date():
    from flows.artifacts import render_run_markdown
    from tests.flows.test_deployments import SUMMARY
    stale = ("goods_in_stale: the goods-in run of nightly 2026-11-21 was decided on what this cutoff had before "
             "this rerun; run `cutoff receive --date 2026-11-21` again")
    markdown = render_run_markdown(dict(SUMMARY, warnings=[stale, *SUMMARY["warnings"]]))
    assert "## Attention (1)\n\n- **Goods-in out of date**: the goods-in run of nightly 2026-11-21 was" in markdown
    assert "Goods-in out of date" not in render_run_markdown(SUMMARY)
