"""The commission ledger against a real warehouse: accruals of the mooncake cutoff, refunds and
their clawbacks, reruns, settlement of a closed week and a changed rerun after it, reconciliation,
the workbook. The pure pipeline (ingest -> close) makes the allocations; no Prefect except the one
settle_flow test."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from errors import UserError
from flows.settle_flow import settle_flow
from inbox.ingest import known_state, load_inbox, read_inbox, validate_inbox
from inbox.master import Master, load_master
from ledger.posting import post_commissions
from ledger.reconcile import LedgerMismatch
from ledger.settlement import settle_week
from sheets.commissions_book import write_commissions_workbook
from tests.datasets import mooncake_data_dir, write_csv
from transforms.close import close_listings
from transforms.windows import window_for
from warehouse.connection import Warehouse, open_warehouse

TZ = "Asia/Shanghai"
NOV = {day: date(2026, 11, day) for day in range(16, 31)}
AFTER_W47 = datetime(2026, 11, 23, 1, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai: W47 is over
AFTER_W48 = datetime(2026, 11, 30, 1, tzinfo=timezone.utc)
REFUND_COLUMNS = ["refund_id", "order_id", "line_no", "amount_fen", "reason", "created_at"]
MOONCAKE_ACCRUALS = {  # (order, role, beneficiary): amount_fen
    ("A", "leader", "T1"): 6560, ("A", "dist_l1", "D2"): 9840, ("A", "dist_l2", "D1"): 3280,
    ("B", "leader", "T2"): 16400, ("C", "leader", "T1"): 3280, ("D", "leader", "T2"): 13120,
    ("F", "leader", "T1"): 1674,  # 20930 x 800 bp = 1674.4
}


def refund(refund_id, order_id, amount_fen, created_at, line_no=1, reason="坏果") -> dict:
    return {"refund_id": refund_id, "order_id": order_id, "line_no": str(line_no), "amount_fen": str(amount_fen),
            "reason": reason, "created_at": created_at}


class Books:
    """A warehouse with the mooncake data; `run` closes a cutoff and posts its commissions the way the
    flow's write task does: allocations and ledger in one transaction."""

    def __init__(self, data_dir: Path, reports_dir: Path, warehouse: Warehouse):
        self.data_dir = mooncake_data_dir(data_dir)
        self.reports_dir = reports_dir
        self.warehouse = warehouse
        self.master = load_master(self.data_dir, TZ)

    def refunds(self, rows: list[dict], name: str = "refunds-1.csv") -> None:
        write_csv(self.data_dir / "inbox" / "refunds" / name, rows, REFUND_COLUMNS)

    def run(self, day: date, calendar: str = "nightly", master: Master | None = None):
        master = master or self.master
        window = window_for(calendar, day, TZ)
        hashes, next_seq, refund_ids = known_state(self.warehouse)
        inbox = validate_inbox(read_inbox(self.data_dir, hashes), master, TZ, next_seq, refund_ids, window.label)
        load_inbox(self.warehouse, inbox)
        with self.warehouse.transaction():
            for name, table in master.tables().items():
                self.warehouse.replace_table(name, table)
        lines = self.warehouse.frame("SELECT * FROM order_lines")
        closed = close_listings(lines, master.listings, master.products, window)
        with self.warehouse.transaction():
            self.warehouse.replace_partition("allocations", closed.allocations, calendar, day)
            return post_commissions(self.warehouse, window, closed.allocations, master)

    def ledger(self) -> pl.DataFrame:
        return self.warehouse.frame("SELECT * FROM commission_ledger ORDER BY entry_id")

    def table(self, name: str, order: str) -> pl.DataFrame:
        return self.warehouse.frame(f"SELECT * FROM {name} ORDER BY {order}")

    def settle(self, week: str, now: datetime = AFTER_W48) -> dict:
        return settle_week(self.warehouse, week, self.reports_dir, now=now)


@pytest.fixture
def books(tmp_path):
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        yield Books(tmp_path / "data", tmp_path / "reports", warehouse)


def posted(entries: pl.DataFrame, kind: str = "accrual") -> dict:
    rows = entries.filter(pl.col("entry_type") == kind)
    return {(r["order_id"], r["role"], r["beneficiary_id"]): r["amount_fen"] for r in rows.iter_rows(named=True)}


def with_leader_bp(master: Master, category: str, bp: int) -> Master:
    categories = master.categories.with_columns(
        pl.when(pl.col("category") == category).then(bp).otherwise(pl.col("leader_bp")).cast(pl.Int64)
        .alias("leader_bp"))
    return dataclasses.replace(master, categories=categories)


# -- accruals and reruns ----------------------------------------------------------------------------

def test_a_cutoff_posts_the_accruals_of_its_allocations(books):
    posting = books.run(NOV[21])
    assert posted(books.ledger()) == MOONCAKE_ACCRUALS
    assert posting.totals == {"leader": 41034, "dist_l1": 9840, "dist_l2": 3280, "clawback": 0}
    assert posted(posting.entries) == MOONCAKE_ACCRUALS
    assert set(books.ledger()["settlement_week"]) == {"2026-W47"}


def test_a_rerun_on_the_same_inputs_posts_nothing_twice(books):
    books.refunds([refund("R1", "A", 10000, "2026-11-22T10:00:00")])
    books.run(NOV[21])
    books.run(NOV[22])
    ledger, decisions = books.ledger(), books.table("refund_decisions", "refund_id")
    again = books.run(NOV[22])
    books.run(NOV[21])
    assert_frame_equal(books.ledger(), ledger)
    assert_frame_equal(books.table("refund_decisions", "refund_id"), decisions)
    assert again.totals == {"leader": 0, "dist_l1": 0, "dist_l2": 0, "clawback": -3000}
    assert books.ledger().height == 7 + 3


# -- refunds ----------------------------------------------------------------------------------------

def test_refunds_claw_back_at_the_nightly_run_whose_window_holds_them(books):
    books.refunds([refund("R1", "A", 10000, "2026-11-22T10:00:00")])
    books.run(NOV[21])
    assert posted(books.run(NOV[21]).entries, "clawback") == {}  # created after the 11-21 cutoff
    posting = books.run(NOV[22])
    assert posted(posting.entries, "clawback") == {
        ("A", "leader", "T1"): -1000, ("A", "dist_l1", "D2"): -1500, ("A", "dist_l2", "D1"): -500}
    assert posting.totals["clawback"] == -3000
    clawback = posting.entries.filter(pl.col("role") == "leader").row(0, named=True)
    assert (clawback["cutoff_date"], clawback["refund_id"], clawback["base_fen"], clawback["rate_bp"]) == (
        NOV[22], "R1", 10000, 1000)


def test_weekly_runs_apply_no_refunds(books):
    books.refunds([refund("R1", "A", 10000, "2026-11-22T10:00:00")])
    books.run(NOV[21])
    posting = books.run(NOV[22], calendar="weekly")
    assert posting.refund_decisions.height == 0 and posting.totals["clawback"] == 0
    assert books.ledger().filter(pl.col("entry_type") == "clawback").height == 0


def test_bad_refunds_go_to_the_rejects_once_with_their_reason(books):
    books.refunds([refund("R1", "A", 10000, "2026-11-22T10:00:00"),
                   refund("R2", "Z", 100, "2026-11-22T10:00:00"),
                   refund("R3", "E", 100, "2026-11-22T10:00:00"),     # E got nothing: out of stock
                   refund("R4", "A", 60000, "2026-11-22T11:00:00")])  # 65600 - 10000 < 60000
    books.run(NOV[21])
    posting = books.run(NOV[22])
    books.run(NOV[22])
    rejects = books.table("rejects", "row_number").filter(pl.col("kind") == "refunds")
    assert rejects.select("source_file", "row_number", "reason").rows() == [
        ("inbox/refunds/refunds-1.csv", 3, "order line Z/1 is unknown"),
        ("inbox/refunds/refunds-1.csv", 4, "order line E/1 has been allocated nothing (net_fen 0)"),
        ("inbox/refunds/refunds-1.csv", 5,
         "refund of 60000 fen is larger than the line's net_fen 65600 minus its earlier refunds 10000")]
    assert json.loads(rejects["raw"][2]) == {"refund_id": "R4", "order_id": "A", "line_no": "1",
                                             "amount_fen": "60000", "reason": "坏果",
                                             "created_at": "2026-11-22T11:00:00+08:00"}
    assert_frame_equal(posting.refund_rejects.select("source_file", "row_number", "reason", "raw"),
                       rejects.select("source_file", "row_number", "reason", "raw"))
    assert set(posting.entries["refund_id"].drop_nulls()) == {"R1"}


def test_a_refund_is_rejected_until_a_run_has_processed_its_line(books):
    books.refunds([refund("R0", "A", 100, "2026-11-20T12:00:00"),    # window of nightly 11-20
                   refund("R1", "A", 100, "2026-11-20T21:00:00")])   # window of nightly 11-21
    posting = books.run(NOV[20])  # A's listing closes at the 11-21 cutoff: nothing allocated so far
    assert posting.refund_rejects["reason"].to_list() == [
        "order line A/1 has been allocated nothing so far (no run has processed it yet)"]
    posting = books.run(NOV[21])  # the run that allocates A applies a refund of its own window
    assert posting.refund_decisions["status"].to_list() == ["applied"]
    posting = books.run(NOV[20])  # a rerun of 11-20 now finds A allocated: its reject row goes
    assert posting.refund_decisions["status"].to_list() == ["applied"]
    assert books.table("rejects", "row_number").filter(pl.col("kind") == "refunds").height == 0


def test_clawbacks_are_capped_by_the_accrual_over_several_refunds_and_cutoffs(books):
    # dist_l2 of A accrued 3280 at 500 bp; 30 -> 1.5 -> 2, 70 -> 3.5 -> 4, 65500 -> 3275: 3281 uncapped
    books.refunds([refund("R1", "A", 30, "2026-11-22T10:00:00"), refund("R2", "A", 70, "2026-11-23T10:00:00"),
                   refund("R3", "A", 65500, "2026-11-24T10:00:00")])
    books.run(NOV[21])
    for day in (22, 23, 24):
        books.run(NOV[day])
    clawbacks = books.ledger().filter(pl.col("entry_type") == "clawback")
    dist_l2 = clawbacks.filter(pl.col("role") == "dist_l2").sort("refund_id")
    assert dist_l2.select("refund_id", "amount_fen").rows() == [("R1", -2), ("R2", -4), ("R3", -3274)]
    by_role = clawbacks.group_by("role").agg(pl.col("amount_fen").sum())
    assert dict(by_role.iter_rows()) == {"leader": -6560, "dist_l1": -(4 + 10 + 9825), "dist_l2": -3280}
    books.run(NOV[23])  # a rerun of the middle cutoff decides the same
    assert_frame_equal(books.ledger().filter(pl.col("entry_type") == "clawback").sort("entry_id"),
                       clawbacks.sort("entry_id"))


def test_an_over_refund_after_earlier_refunds_is_rejected(books):
    books.refunds([refund("R1", "A", 60000, "2026-11-22T10:00:00"), refund("R2", "A", 6000, "2026-11-23T10:00:00"),
                   refund("R3", "A", 5600, "2026-11-23T11:00:00")])
    books.run(NOV[21])
    books.run(NOV[22])
    posting = books.run(NOV[23])
    assert dict(zip(posting.refund_decisions["refund_id"], posting.refund_decisions["status"], strict=True)) == {
        "R2": "rejected", "R3": "applied"}
    assert posting.refund_rejects["reason"].to_list() == [
        "refund of 6000 fen is larger than the line's net_fen 65600 minus its earlier refunds 60000"]


# -- settlement -------------------------------------------------------------------------------------

def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_settlement_of_a_closed_week_then_a_changed_rerun(books):
    books.run(NOV[21])
    result = books.settle("2026-W47", now=AFTER_W47)
    week_dir = books.reports_dir / "settlements" / "2026-W47"
    assert result["totals"] == {"leader": 41034, "dist_l1": 9840, "dist_l2": 3280}
    statements = result["statements"]
    assert {(s["role"], s["beneficiary_id"], s["name"], s["entries"], s["amount_fen"]) for s in statements} == {
        ("leader", "T1", "王芳", 3, 11514), ("leader", "T2", "李娜", 2, 29520),
        ("dist_l1", "D2", "李四", 1, 9840), ("dist_l2", "D1", "张三", 1, 3280)}
    assert sorted(p.name for p in week_dir.iterdir()) == [
        "dist_l1-D2.csv", "dist_l2-D1.csv", "leader-T1.csv", "leader-T2.csv", "statement.json"]
    t1 = pl.read_csv(week_dir / "leader-T1.csv")
    assert t1["amount_fen"].to_list() == [6560, 3280, 1674]
    files, rows = files_of(week_dir), books.table("settlements", "role, beneficiary_id")

    # ops raise the bakery leader rate to 12% and rerun the closed cutoff
    changed = with_leader_bp(books.master, "烘焙", 1200)
    posting = books.run(NOV[21], master=changed)
    assert posting.adjustment_week == "2026-W48"
    assert posting.totals == {"leader": 41034 + 1312 + 3280 + 656 + 2624, "dist_l1": 9840, "dist_l2": 3280,
                              "clawback": 0}
    adjustments = books.ledger().filter(pl.col("entry_type") == "adjustment")
    assert posted(adjustments, "adjustment") == {("A", "leader", "T1"): 1312, ("B", "leader", "T2"): 3280,
                                                 ("C", "leader", "T1"): 656, ("D", "leader", "T2"): 2624}
    assert set(adjustments["entry_date"]) == {NOV[23]} and set(adjustments["cutoff_date"]) == {NOV[21]}
    assert posted(books.ledger()) == MOONCAKE_ACCRUALS  # the closed week's entries stand

    # the closed statement is never rewritten; settling it again changes nothing
    again = books.settle("2026-W47")
    assert again["already_settled"] and again["totals"] == result["totals"]
    assert files_of(week_dir) == files
    assert_frame_equal(books.table("settlements", "role, beneficiary_id"), rows)

    # the same rerun again posts the same adjustments; the next week's statement carries them
    ledger = books.ledger()
    books.run(NOV[21], master=changed)
    assert_frame_equal(books.ledger(), ledger)
    week48 = books.settle("2026-W48")
    assert week48["totals"] == {"leader": 1312 + 656 + 3280 + 2624, "dist_l1": 0, "dist_l2": 0}
    assert {s["beneficiary_id"]: s["amount_fen"] for s in week48["statements"]} == {"T1": 1968, "T2": 5904}
    index = json.loads((books.reports_dir / "settlements" / "2026-W48" / "statement.json").read_text())
    assert index["amount_fen"] == 7872
    assert [s["file"] for s in index["statements"]] == ["leader-T1.csv", "leader-T2.csv"]

    # both weeks closed: the same rerun posts nothing more
    books.run(NOV[21], master=changed)
    assert_frame_equal(books.ledger(), ledger)


def test_an_unfinished_week_is_settled_with_a_warning_and_a_bad_week_is_refused(books):
    books.run(NOV[21])
    with pytest.raises(UserError, match="bad ISO week"):
        books.settle("2026-47")
    assert books.table("settled_weeks", "week").height == 0
    early = books.settle("2026-W47", now=datetime(2026, 11, 22, 12, tzinfo=timezone.utc))  # Sunday 20:00 local
    assert early["week"] == "2026-W47" and not early["already_settled"]
    assert "settled before it ended" in early["warnings"][0]
    assert books.table("settled_weeks", "week")["week"].to_list() == ["2026-W47"]


def test_a_week_without_entries_is_settled_empty_and_closed(books):
    result = books.settle("2026-W46")
    assert (result["beneficiaries"], result["amount_fen"]) == (0, 0)
    assert books.table("settled_weeks", "week")["week"].to_list() == ["2026-W46"]
    assert (books.reports_dir / "settlements" / "2026-W46" / "statement.json").is_file()


# -- reconciliation ---------------------------------------------------------------------------------

def test_a_ledger_that_does_not_reconcile_fails_loudly_and_writes_nothing(books, monkeypatch):
    books.run(NOV[21])
    before = books.ledger()
    insert = Warehouse.insert

    def lossy_insert(self, table, frame):
        insert(self, table, frame.head(frame.height - 1) if table == "commission_ledger" else frame)
    monkeypatch.setattr(Warehouse, "insert", lossy_insert)
    with pytest.raises(LedgerMismatch, match="does not reconcile"):
        books.run(NOV[21], master=with_leader_bp(books.master, "水果", 900))
    monkeypatch.undo()
    assert_frame_equal(books.ledger(), before)


def test_amounts_moved_between_lines_with_the_same_totals_do_not_reconcile(books, monkeypatch):
    """The role totals agree, the lines do not: one fen moved from one leader entry to another is
    found (the fingerprint of docs/scale.md) and the message names both lines."""
    books.run(NOV[21])
    before = books.ledger()
    insert = Warehouse.insert

    def shuffled_insert(self, table, frame):
        if table == "commission_ledger":
            leaders = frame.with_row_index("_i").filter(pl.col("role") == "leader").head(2)["_i"].to_list()
            assert len(leaders) == 2
            change = pl.when(pl.int_range(pl.len()) == leaders[0]).then(1).when(
                pl.int_range(pl.len()) == leaders[1]).then(-1).otherwise(0)
            frame = frame.with_columns(pl.col("amount_fen") + change)
            moved = frame[leaders]
            shuffled_insert.lines = [f"{r['order_id']}/{r['line_no']}" for r in moved.iter_rows(named=True)]
        insert(self, table, frame)
    monkeypatch.setattr(Warehouse, "insert", shuffled_insert)
    with pytest.raises(LedgerMismatch, match="does not reconcile") as raised:
        books.run(NOV[21], master=with_leader_bp(books.master, "水果", 900))
    monkeypatch.undo()
    for line in shuffled_insert.lines:
        assert line in str(raised.value)
    assert_frame_equal(books.ledger(), before)


def test_a_settlement_that_does_not_reconcile_fails_and_closes_nothing(books, monkeypatch):
    books.run(NOV[21])
    insert = Warehouse.insert

    def lossy_insert(self, table, frame):
        insert(self, table, frame.head(frame.height - 1) if table == "settlements" else frame)
    monkeypatch.setattr(Warehouse, "insert", lossy_insert)
    with pytest.raises(LedgerMismatch, match="2026-W47"):
        books.settle("2026-W47")
    monkeypatch.undo()
    assert books.table("settled_weeks", "week").height == 0
    assert not (books.reports_dir / "settlements" / "2026-W47").exists()


# -- the workbook -----------------------------------------------------------------------------------

def fen(cell_value) -> int:
    """A money cell (yuan, as Excel stores it) back to integer fen, exactly."""
    return int(Decimal(str(cell_value)) * 100)


def test_the_commissions_workbook_totals_by_beneficiary_and_detail(books, tmp_path):
    master = dataclasses.replace(books.master, distributors=books.master.distributors.with_columns(
        pl.when(pl.col("distributor_id") == "D2").then(pl.lit("=HYPERLINK(\"x\")")).otherwise(pl.col("name"))
        .alias("name")))
    posting = books.run(NOV[21], master=master)
    path = tmp_path / "commissions.xlsx"
    write_commissions_workbook(path, posting.entries, master)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "按角色与类型", "明细"]
    rows = [row for row in book["汇总"].iter_rows(values_only=True) if any(v is not None for v in row)]
    assert rows[0][0] == "佣金 · 每日 2026-11-21"
    assert rows[1] == ("角色", "受益人", "名称", "笔数", "金额")
    assert [(*row[:4], fen(row[4])) for row in rows[2:]] == [
        ("团长", "T1", "王芳", 3, 11514), ("团长", "T2", "李娜", 2, 29520),
        ("一级分销", "D2", "=HYPERLINK(\"x\")", 1, 9840), ("二级分销", "D1", "张三", 1, 3280),
        ("合计", None, None, 7, 54154)]
    name_cell = next(c for row in book["汇总"].iter_rows() for c in row if c.value == "=HYPERLINK(\"x\")")
    assert name_cell.data_type == "s"  # a name is text, never a formula
    detail = list(book["明细"].iter_rows(values_only=True))
    assert detail[0][0] == "佣金 · 每日 2026-11-21"
    labels = [row[0] for row in detail].index("角色")
    assert detail[labels][:4] == ("角色", "受益人", "名称", "类型") and len(detail) == labels + 1 + 7
    assert len(detail[labels]) == 12  # no technical entry id (it is in commission_entries.parquet)
    assert sum(fen(row[9]) for row in detail[labels + 1:]) == 54154
    assert book["明细"].auto_filter.ref == f"A{labels + 1}:L{labels + 8}"
    from tests.sheets.printing import assert_readable
    assert_readable(book)  # 9 pt and more on A4; the 笔数 total as wide as it prints
    kinds = [row for row in book["按角色与类型"].iter_rows(values_only=True) if any(v is not None for v in row)]
    assert kinds[1] == ("角色", "类型", "笔数", "金额")
    assert [(*row[:3], fen(row[3])) for row in kinds[2:]] == [
        ("团长", "佣金", 5, 41034), ("一级分销", "佣金", 1, 9840), ("二级分销", "佣金", 1, 3280),
        ("合计", None, 7, 54154)]
    entries = pl.read_parquet(tmp_path / "commission_entries.parquet")  # every entry, beside the workbook
    assert entries.height == 7 and entries["amount_fen"].dtype == pl.Int64 and entries["amount_fen"].sum() == 54154
    assert entries.filter(pl.col("beneficiary_id") == "T2")["name"].to_list() == ["李娜", "李娜"]
    assert entries["role"].to_list() == ["leader"] * 5 + ["dist_l1", "dist_l2"]

    write_commissions_workbook(path, posting.entries, master, lang="en")
    english = openpyxl.load_workbook(path)
    assert english.sheetnames == ["totals", "by role and type", "entries"]
    assert ("role", "beneficiary", "name", "entries", "amount") in list(english["totals"].iter_rows(values_only=True))


def test_the_detail_sheet_prints_its_first_entries_only_and_says_so(books, tmp_path, monkeypatch):
    import sheets.commissions_book as commissions_book
    monkeypatch.setattr(commissions_book, "DETAIL_PRINT_ROWS", 5)  # the mooncake cutoff posts 7
    posting = books.run(NOV[21])
    path = tmp_path / "commissions.xlsx"
    write_commissions_workbook(path, posting.entries, books.master)
    ws = openpyxl.load_workbook(path)["明细"]
    lines = [row[0] for row in ws.iter_rows(values_only=True)]
    assert lines[1].startswith("本表共 7 条明细，供筛选查找；打印只打印前 5 条")
    labels = lines.index("角色") + 1  # the label row's number
    assert ws.print_area == f"'明细'!$A$1:$L${labels + 5}"  # the title rows and 5 entries; all 7 in the sheet
    assert ws.max_row == labels + 7 and ws.page_setup.orientation == "landscape"


def test_a_cutoff_with_more_entries_than_a_person_reads_keeps_the_detail_in_parquet_only(books, tmp_path,
                                                                                          monkeypatch):
    import sheets.commissions_book as commissions_book
    monkeypatch.setattr(commissions_book, "DETAIL_ROW_LIMIT", 6)  # the mooncake cutoff posts 7
    posting = books.run(NOV[21])
    path = tmp_path / "commissions.xlsx"
    write_commissions_workbook(path, posting.entries, books.master)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "按角色与类型"]
    lines = [row[0] for row in book["汇总"].iter_rows(values_only=True) if row[0]]
    assert "本次共 7 条佣金明细,超过表内上限 6 条:明细见同目录 commission_entries.parquet" in [
        " ".join(lines[1:3])]  # a note wider than the page wraps onto a second line
    assert lines[-1] == "合计" and fen(book["汇总"].cell(book["汇总"].max_row, 5).value) == 54154
    entries = pl.read_parquet(tmp_path / "commission_entries.parquet")
    assert_frame_equal(entries.drop("name").sort("entry_id"), books.ledger().select(entries.drop("name").columns)
                       .sort("entry_id"), check_dtypes=False)


# -- the settle flow --------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_settle_flow_settles_a_week_once(tmp_path, prefect_harness):
    data_dir = tmp_path / "flow-data"
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        Books(data_dir, tmp_path / "unused", warehouse).run(NOV[21])
    reports = tmp_path / "flow-reports"
    result = settle_flow(week="2026-W47", data_dir=str(data_dir), reports_dir=str(reports), force=True)
    assert result["amount_fen"] == 54154 and result["beneficiaries"] == 4
    assert (reports / "settlements" / "2026-W47" / "statement.json").is_file()
    again = settle_flow(week="2026-W47", data_dir=str(data_dir), reports_dir=str(reports))
    assert again["already_settled"] and again["settled_at"] == result["settled_at"]
    with pytest.raises(UserError, match="no warehouse"):
        settle_flow(week="2026-W47", data_dir=str(tmp_path / "nowhere"), reports_dir=str(reports))
