"""The real cutoff flow under a Prefect test harness, on a temporary warehouse."""

import json
import os

import duckdb
import polars as pl
import pytest

from errors import MasterDataError, RejectLimitExceeded
from flows.cutoff_flow import cutoff_flow
from tests import datasets
from tests.datasets import order

pytestmark = pytest.mark.usefixtures("prefect_harness")

TABLES = {"allocations": "order_id, line_no", "purchase_lines": "supplier_id, sku_id",
          "order_lines": "order_id, line_no", "rejects": "source_file, row_number", "groups": "listing_id",
          "commission_ledger": "entry_id"}


def run(data_dir, reports_dir, day="2026-11-21", calendar="nightly", force=False):
    return cutoff_flow(calendar=calendar, cutoff_date=day, data_dir=str(data_dir), reports_dir=str(reports_dir),
                       send_email=False, force=force)


def query(data_dir, sql: str) -> list[tuple]:
    """Read the warehouse in a frame of its own (a connection left in a test's frame next to a
    captured exception outlives the test)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def snapshot(data_dir) -> dict:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return {table: con.sql(f"SELECT * FROM {table} ORDER BY {order}").pl()
                for table, order in TABLES.items()}


def test_mooncake_cutoff_end_to_end(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    summary = run(data_dir, reports_dir)
    out = reports_dir / "nightly" / "2026-11-21"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    assert summary["window"] == {"start": "2026-11-20T20:00:00+08:00", "end": "2026-11-21T20:00:00+08:00"}
    assert summary["listings_closed"] == 2 and summary["groups_not_formed"] == 0
    assert summary["order_lines"] == {"eligible": 6, "allocated": 5, "cut": 1, "rejected": 0}
    assert summary["units"] == {"ordered": 22, "allocated": 19, "purchased": 24, "surplus": 5}
    # mooncake 393600 net + 98400 refund; 砂糖橘 7 x 2990 = 20930, all allocated
    assert summary["fen"]["paid"] == 492000 + 20930
    assert summary["fen"]["net"] == 393600 + 20930
    assert summary["fen"]["refund"] == 98400
    assert summary["fen"]["purchase_cost"] == 12 * 20000 + 12 * 1500
    # leader: 烘焙 1000 bp on 65600, 164000, 32800, 131200; 水果 800 bp on 20930 (1674.4 -> 1674)
    # dist_l1: A came through D2 (1500 bp of 65600); dist_l2: D2's upline D1 (500 bp)
    assert summary["fen"]["commission"] == {"leader": 41034, "dist_l1": 9840, "dist_l2": 3280, "clawback": 0}
    s2 = next(s for s in summary["suppliers"] if s["supplier_id"] == "S2")
    assert (s2["po_fen"], s2["below_minimum"], s2["file"]) == (18000, True, "purchase/S2.xlsx")
    refunds = pl.read_csv(out / "refunds.csv")
    assert refunds.rows() == [("E", 1, "cA", 98400, "out_of_stock")]
    assert pl.read_csv(out / "rejects.csv").columns == ["source_file", "row_number", "reason", "raw"]
    # Excel on Windows opens them as UTF-8 only with a byte-order mark
    assert (out / "refunds.csv").read_bytes().startswith("\ufefforder_id,line_no,".encode("utf-8"))
    assert (out / "rejects.csv").read_bytes().startswith("\ufeffsource_file,row_number,".encode("utf-8"))
    # other users (the warehouse PC, the mail gateway) can read the folder and every file in it
    umask = os.umask(0o022)
    os.umask(umask)
    if not umask & 0o044:  # a umask that lets others read new files
        assert [p for p in [out, *out.rglob("*")] if p.stat().st_mode & 0o044 != 0o044] == []
    tables = snapshot(data_dir)
    assert tables["allocations"].filter(pl.col("order_id") == "E")["cut_reason"].to_list() == ["out_of_stock"]
    purchase = tables["purchase_lines"].select("sku_id", "cases", "units_purchased", "surplus_units", "cost_fen")
    assert purchase.rows() == [
        ("SKU1", 12, 12, 0, 240000), ("SKU2", 2, 12, 5, 18000)]
    assert query(data_dir, "SELECT status, lines_eligible, net_fen FROM runs") == [("success", 6, 414530)]


def files_of(out) -> dict:
    """Every file of a run folder but the workbooks (whose zips carry timestamps), and summary.json
    without the email statuses (a rerun's are `unchanged`)."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and p.suffix != ".xlsx"}
    summary = json.loads(files.pop("summary.json"))
    for supplier in summary["suppliers"]:
        supplier.pop("email")
    return {**files, "summary.json": summary}


def cells_of(out) -> dict:
    """Every cell of every workbook, but summary.xlsx's email column (邮件: a rerun's are `unchanged`)."""
    from openpyxl import load_workbook
    books = {}
    for path in sorted(out.rglob("*.xlsx")):
        book = load_workbook(path)
        sheets = [[list(row) for row in ws.values] for ws in book.worksheets]
        if path.name == "summary.xlsx":
            for rows in sheets:
                labels = next((row for row in rows if "邮件" in row), None)
                if labels is not None:
                    column = labels.index("邮件")
                    for row in rows[rows.index(labels) + 1:]:
                        row[column] = None
        books[path.relative_to(out).as_posix()] = sheets
    return books


def test_rerun_leaves_the_same_tables_files_and_sheet_contents(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    first = run(data_dir, reports_dir)
    out = reports_dir / "nightly" / "2026-11-21"
    files, cells, before = files_of(out), cells_of(out), snapshot(data_dir)
    second = run(data_dir, reports_dir)
    after = snapshot(data_dir)
    for table in TABLES:
        assert before[table].equals(after[table]), table
    assert files_of(out) == files
    assert cells_of(out) == cells
    assert {s["email"] for s in first["suppliers"]} == {"outbox"}
    assert {s["email"] for s in second["suppliers"]} == {"unchanged"}
    # summary.xlsx is written again after the email stage: its 邮件 column says what happened
    from openpyxl import load_workbook
    book = load_workbook(out / "summary.xlsx")
    suppliers = [r for r in book["供应商"].values if r[0] in ("S1", "S2")]
    assert [(r[0], r[5]) for r in suppliers] == [("S1", "未变，未重发"), ("S2", "未变，未重发")]
    # no CUTOFF_WAREHOUSE_ADDRESS here: said in summary.json and on the 提醒 sheet
    assert any(w.startswith("warehouse_address_missing: ") for w in second["warnings"])
    assert [r[0] for r in book["提醒"].values][-1] == "未设置仓库收货地址"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_a_late_cancellation_changes_the_rerun(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    run(data_dir, reports_dir)
    datasets.write_orders(data_dir, [order("B", "cB", 5, "2026-11-21T09:01:00", point="P2", status="cancelled",
                                           updated_at="2026-11-21T19:00:00")], name="late.csv")
    summary = run(data_dir, reports_dir)
    # without B, E gets 3 of the remaining stock: 2 + 1 + 4 + 3 = 10 units, 4 participants still
    assert summary["units"]["allocated"] == 10 + 7
    assert summary["order_lines"]["eligible"] == 5
    assert snapshot(data_dir)["allocations"].height == 5


def test_bad_master_data_writes_nothing(tmp_path):
    data_dir = datasets.write_master(tmp_path / "data", suppliers=datasets.SUPPLIERS + [datasets.SUPPLIERS[0]])
    datasets.write_orders(data_dir, datasets.MOONCAKE_ORDERS)
    with pytest.raises(MasterDataError, match="row 4: duplicate supplier_id 'S1'"):
        run(data_dir, tmp_path / "reports")
    assert not (data_dir / "warehouse.duckdb").exists()
    assert not (tmp_path / "reports").exists()


def test_too_many_rejected_rows_stop_the_run_before_anything_is_sent(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    bad = [order(f"X{i}", "cX", 0, "2026-11-21T09:00:00") for i in range(2)]  # qty 0: 2 of 8 rows, 25%
    datasets.write_orders(data_dir, bad, name="bad.csv")
    with pytest.raises(RejectLimitExceeded, match=r"2 of the 8 order rows .*\(25\.0%"):
        run(data_dir, reports_dir)
    out = reports_dir / "nightly" / "2026-11-21"
    assert not (out / "summary.json").exists()
    rejects = pl.read_csv(out / "rejects.csv")
    assert rejects["row_number"].to_list() == [2, 3] and set(rejects["reason"]) == {"qty '0' must be >= 1"}
    assert query(data_dir, "SELECT status FROM runs") == [("failed",)]
    assert query(data_dir, "SELECT count(*) FROM allocations") == [(0,)]


def test_rejected_rows_under_the_limit_are_reported_and_the_run_goes_on(mooncake_dirs, monkeypatch):
    monkeypatch.setenv("CUTOFF_REJECT_LIMIT_PCT", "30")
    data_dir, reports_dir = mooncake_dirs
    datasets.write_orders(data_dir, [order("X1", "cX", 0, "2026-11-21T09:00:00")], name="bad.csv")
    summary = run(data_dir, reports_dir)
    assert summary["order_lines"]["rejected"] == 1
    rejects = pl.read_csv(reports_dir / "nightly" / "2026-11-21" / "rejects.csv")
    assert rejects.select("source_file", "row_number").rows() == [("inbox/orders/bad.csv", 2)]


def test_weekly_cutoff_closes_presale_listings(tmp_path):
    listing = {**datasets.LISTINGS[0], "listing_id": "W1", "calendar": "weekly", "opens_at": "2026-11-16T00:00:00",
               "closes_at": "2026-11-23T00:00:00", "tiers": "", "stock_cap": ""}
    data_dir = datasets.write_master(tmp_path / "data", listings=[*datasets.LISTINGS, listing])
    datasets.write_orders(data_dir, [order("W-A", "cA", 2, "2026-11-18T09:00:00", listing="W1"),
                                     order("N-A", "cB", 1, "2026-11-21T09:00:00")])
    summary = run(data_dir, tmp_path / "reports", day="2026-11-22", calendar="weekly", force=True)
    assert summary["window"] == {"start": "2026-11-16T00:00:00+08:00", "end": "2026-11-23T00:00:00+08:00"}
    assert summary["listings_closed"] == 1
    assert summary["order_lines"]["eligible"] == 1 and summary["fen"]["net"] == 2 * 32800


def test_supplier_emails_go_to_the_outbox_once(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    first = cutoff_flow(calendar="nightly", cutoff_date="2026-11-21", data_dir=str(data_dir),
                        reports_dir=str(reports_dir))
    assert {s["supplier_id"]: s["email"] for s in first["suppliers"]} == {"S1": "outbox", "S2": "outbox"}
    outbox = reports_dir / "nightly" / "2026-11-21" / "outbox"
    written = {p.name: p.read_bytes() for p in outbox.iterdir()}
    assert sorted(written) == ["S1.eml", "S2.eml"]
    again = cutoff_flow(calendar="nightly", cutoff_date="2026-11-21", data_dir=str(data_dir),
                        reports_dir=str(reports_dir))
    assert {s["email"] for s in again["suppliers"]} == {"unchanged"}
    assert {p.name: p.read_bytes() for p in outbox.iterdir()} == written
    assert query(data_dir, "SELECT supplier_id, revision FROM emails ORDER BY 1") == [("S1", 1), ("S2", 1)]
    saved = json.loads((reports_dir / "nightly" / "2026-11-21" / "summary.json").read_text(encoding="utf-8"))
    assert saved["suppliers"][0]["email"] == "unchanged"


def test_every_workbook_of_a_run_is_written(mooncake_dirs):
    from openpyxl import load_workbook
    data_dir, reports_dir = mooncake_dirs
    run(data_dir, reports_dir)
    out = reports_dir / "nightly" / "2026-11-21"
    books = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
    assert books == ["commissions.xlsx", "handout/P1.xlsx", "handout/P2.xlsx", "purchase/S1.xlsx",
                     "purchase/S2.xlsx", "sorting/R1.xlsx", "summary.xlsx"]
    for book in books:
        load_workbook(out / book)  # each opens


def test_a_corrected_export_lifts_the_breaker(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    bad = [order("X1", "cX", 1, "2026-11-21T09:00:00"), order("X2", "cY", "abc", "2026-11-21T09:00:00")]
    datasets.write_orders(data_dir, bad, name="more.csv")
    with pytest.raises(RejectLimitExceeded, match=r"1 of the 8 order rows"):
        run(data_dir, reports_dir)
    bad[1] = order("X2", "cY", 2, "2026-11-21T09:00:00")
    datasets.write_orders(data_dir, bad, name="more.csv")  # the shop re-exports the file, fixed
    summary = run(data_dir, reports_dir)
    assert summary["order_lines"]["rejected"] == 0 and summary["order_lines"]["eligible"] == 8
    assert pl.read_csv(reports_dir / "nightly" / "2026-11-21" / "rejects.csv").height == 0


def test_a_file_rejected_whole_counts_all_its_rows(mooncake_dirs):
    data_dir, reports_dir = mooncake_dirs
    path = datasets.write_orders(data_dir, [order(f"N{i}", "cN", 1, "2026-11-21T09:00:00") for i in range(3)],
                                 name="no-qty.csv")
    path.write_text(pl.read_csv(path, infer_schema=False).drop("qty").write_csv(), encoding="utf-8")
    with pytest.raises(RejectLimitExceeded, match=r"3 of the 9 order rows"):
        run(data_dir, reports_dir)
    rejects = pl.read_csv(reports_dir / "nightly" / "2026-11-21" / "rejects.csv")
    assert rejects.select("source_file", "row_number").rows() == [("inbox/orders/no-qty.csv", None)]


def test_a_row_without_listing_is_reported_in_its_window(mooncake_dirs, monkeypatch):
    monkeypatch.setenv("CUTOFF_REJECT_LIMIT_PCT", "50")
    data_dir, reports_dir = mooncake_dirs
    datasets.write_orders(data_dir, [order("Q1", "cQ", 1, "2026-11-21T09:00:00", listing="")], name="q.csv")
    summary = run(data_dir, reports_dir)
    assert summary["order_lines"]["rejected"] == 1
    rejects = pl.read_csv(reports_dir / "nightly" / "2026-11-21" / "rejects.csv")
    assert rejects.select("row_number", "reason").rows() == [(2, "listing_id is required")]


REFUND_COLUMNS = ["refund_id", "order_id", "line_no", "amount_fen", "reason", "created_at"]


def refund_row(refund_id, order_id, amount_fen, reason="破损", created_at="2026-11-21T12:00:00") -> dict:
    return {"refund_id": refund_id, "order_id": order_id, "line_no": "1", "amount_fen": str(amount_fen),
            "reason": reason, "created_at": created_at}


def test_every_kind_of_reject_says_what_was_wrong(mooncake_dirs, monkeypatch):
    """An order row, a refund row (whose own `reason` column says 破损), a whole file, and a refund
    turned down at the commissions step: each with the problem, in `rejects` and in rejects.csv."""
    monkeypatch.setenv("CUTOFF_REJECT_LIMIT_PCT", "50")
    data_dir, reports_dir = mooncake_dirs
    datasets.write_orders(data_dir, [order("X1", "cX", 0, "2026-11-21T09:00:00")], name="bad.csv")
    datasets.write_csv(data_dir / "inbox" / "refunds" / "refunds-1.csv",
                       [refund_row("R1", "A", 1000), refund_row("R2", "B", 0), refund_row("R3", "Z", 100)],
                       REFUND_COLUMNS)
    datasets.write_csv(data_dir / "inbox" / "refunds" / "refunds-2.csv",
                       [{k: v for k, v in refund_row("R4", "C", 100).items() if k != "created_at"}])

    summary = run(data_dir, reports_dir)

    expected = [
        ("inbox/orders/bad.csv", 2, "qty '0' must be >= 1"),
        ("inbox/refunds/refunds-1.csv", 3, "amount_fen '0' must be > 0"),
        ("inbox/refunds/refunds-1.csv", 4, "order line Z/1 is unknown"),
        ("inbox/refunds/refunds-2.csv", None,
         "missing required column(s) created_at: the whole file is rejected"),
    ]
    csv = pl.read_csv(reports_dir / "nightly" / "2026-11-21" / "rejects.csv", schema_overrides={"row_number": pl.Int64})
    assert csv.select("source_file", "row_number", "reason").rows() == expected
    assert query(data_dir, "SELECT source_file, row_number, reason FROM rejects "
                           "ORDER BY source_file, row_number NULLS FIRST") == expected
    assert json.loads(csv["raw"][2])["reason"] == "破损"  # the refund's own reason stays in its raw row
    assert summary["order_lines"]["rejected"] == 1  # order rows only
    assert query(data_dir, "SELECT refund_id, status FROM refund_decisions ORDER BY 1") == [
        ("R1", "applied"), ("R3", "rejected")]
