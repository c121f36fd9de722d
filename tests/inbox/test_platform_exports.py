"""A 快团团 / 群接龙 export in inbox/orders/ goes through the same ingest as any order file: its lines
and refund rows validated and loaded, its bad rows rejected with the row Excel shows on its own
sheet, its warnings kept with it; each file once; a re-export makes new versions, never a second
order (inbox/ingest.py, inbox/platform_exports.py)."""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from inbox.ingest import known_state, load_inbox, read_inbox, validate_inbox
from inbox.master import load_master
from synthetic.platform_exports import make_group, write_ktt_community, write_ktt_standard, write_qjl
from tests import datasets
from tests.export_data import DAY, SKUS, export_master, write_map
from transforms.export_orders import order_id
from transforms.windows import window_for
from warehouse.connection import open_warehouse
from warehouse.export_warnings import export_warnings_for

TZ = "Asia/Shanghai"


def ingest(data_dir, label="nightly 2026-11-21"):
    master = load_master(data_dir, TZ)
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        hashes, next_seq, known_refunds = known_state(warehouse)
        inbox = validate_inbox(read_inbox(data_dir, hashes), master, TZ, next_seq, known_refunds, label)
        load_inbox(warehouse, inbox)
        tables = {name: warehouse.frame(f"SELECT * FROM {name} ORDER BY ALL") for name in
                  ("order_lines", "refund_requests", "rejects", "export_warnings", "ingested_files")}
        closing = [row["listing_id"] for row in master.listings.to_dicts()]
        tables["warnings"] = export_warnings_for(warehouse, window_for("nightly", DAY, TZ), closing)
    return inbox, tables


@pytest.fixture
def data_dir(tmp_path):
    return export_master(tmp_path / "data")


def drop(data_dir, writer, group, name="export.xlsx", **options):
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    return writer(folder / name, group, **options)


def test_a_community_export_loads_its_lines_refunds_and_warnings(data_dir):
    group = make_group(3, DAY)
    drop(data_dir, write_ktt_community, group)
    inbox, t = ingest(data_dir)
    lines = t["order_lines"]
    kept = group.paid(community=True)
    assert lines.height == sum(len(o.items) for o in kept)
    assert t["rejects"].height == 0
    first = kept[0]  # three items, 优惠 3.01 and 运费 5.00
    oid = order_id("ktt", group.title, "1")
    mine = lines.filter(lines["order_id"] == oid).sort("line_no")
    assert mine["listing_id"].to_list() == [f"{SKUS[item.text]}-1121" for item, _ in first.items]
    assert mine["unit_price_fen"].to_list() == [item.price_fen for item, _ in first.items]
    assert mine["qty"].to_list() == [qty for _, qty in first.items]
    assert mine["source_row"].to_list() == [4, 5, 6]  # two title rows and the header above: as Excel shows them
    assert set(mine["source_file"]) == {"inbox/orders/export.xlsx"}
    assert mine["phone_tail"].to_list() == [first.phone[-4:]] * 3
    assert (mine["building"][0], mine["room"][0]) == (str(first.building), str(first.room))
    assert set(lines.filter(lines["order_id"] == order_id("ktt", group.title, "6"))["status"]) == {"refunded"}
    refunds = t["refund_requests"]
    discount = refunds.filter(refunds["refund_id"].str.ends_with("-D"))
    assert discount["amount_fen"].sum() == 301 and set(discount["order_id"]) == {oid}
    refunded = refunds.filter(refunds["refund_id"].str.ends_with("-R"))
    assert refunded["amount_fen"].sum() == group.orders[1].refund_fen
    assert set(refunds["reason"]) == {"优惠", "退款"}
    warnings = t["warnings"]
    assert [w.split(":")[0] for w in warnings] == ["export_order_number", "export_amount_mismatch",
                                                   "export_summary_mismatch"]
    assert "order 3 (sheet 顾客购买表 row 9)" in warnings[1] and "订单金额" in warnings[1]
    assert warnings[2].endswith(f"product {group.items[0].text}: summary "
                                f"{sum(q for o in kept for i, q in o.items if i == group.items[0]) + 2}, lines "
                                f"{sum(q for o in kept for i, q in o.items if i == group.items[0])}")
    (registry,) = t["ingested_files"].to_dicts()
    assert (registry["kind"], registry["rows_loaded"], registry["rows_rejected"]) == ("orders", lines.height, 0)
    assert inbox.rows_read == registry["rows_read"] == sum(len(o.items) for o in kept)


def test_standard_and_jielong_exports_load_at_their_listings_prices(data_dir):
    group = make_group(4, DAY)
    drop(data_dir, write_ktt_standard, group, "standard.xlsx")
    drop(data_dir, write_qjl, group, "qjl.xlsx")
    _, t = ingest(data_dir)
    lines = t["order_lines"]
    counted = [o for o in group.orders if o.status != "待支付"]
    for prefix, file in (("ktt-", "inbox/orders/standard.xlsx"), ("qjl-", "inbox/orders/qjl.xlsx")):
        mine = lines.filter(lines["source_file"] == file)
        assert mine.height == sum(len(o.items) for o in counted)
        assert all(i.startswith(prefix) for i in mine["order_id"])
        statuses = dict(zip(mine["order_id"].str.split("-").list.last(), mine["status"], strict=True))
        assert (statuses["4"], statuses["6"], statuses["1"]) == ("cancelled", "refunded", "paid")
    prices = dict(zip(lines["listing_id"], lines["unit_price_fen"], strict=True))
    assert all(prices[f"{SKUS[item.text]}-1121"] == item.price_fen for item in group.items
               if f"{SKUS[item.text]}-1121" in prices)
    assert t["rejects"].height == 0
    refunds = t["refund_requests"]  # 订单退款 of the standard export's order 2; 群接龙 has no refund column
    assert refunds["amount_fen"].sum() == group.orders[1].refund_fen
    assert set(refunds["source_file"]) == {"inbox/orders/standard.xlsx"}


def test_a_row_that_cannot_be_mapped_is_rejected_with_its_row_and_sheet(data_dir):
    group = make_group(3, DAY)
    missing = group.orders[0].items[0][0].text
    write_map(data_dir, {text: sku for text, sku in SKUS.items() if text != missing})
    drop(data_dir, write_ktt_community, group)
    _, t = ingest(data_dir)
    rejects = t["rejects"].filter(t["rejects"]["reason"].str.contains(missing, literal=True))
    assert rejects["row_number"][0] == 4
    assert rejects["reason"][0] == (f"sheet 顾客购买表: 商品 '{missing}' is not in master/export_map.csv: add a row "
                                    f"`product,{missing},<sku_id>` (`cutoff map-export` lists every such text)")
    raw = json.loads(rejects["raw"][0])
    assert raw["商品"] == missing and raw["跟团号"] == "1" and raw["房号（如606）"] == str(group.orders[0].room)
    assert rejects["order_id"][0] == order_id("ktt", group.title, "1")
    assert rejects["created_at"][0] is not None


def test_a_mapping_fixed_reads_the_export_again_without_doubling_a_line(data_dir):
    group = make_group(3, DAY)
    missing = group.orders[0].items[0][0].text
    write_map(data_dir, {text: sku for text, sku in SKUS.items() if text != missing})
    drop(data_dir, write_ktt_community, group)
    _, before = ingest(data_dir)
    write_map(data_dir, SKUS)
    inbox, after = ingest(data_dir)
    assert len(inbox.files) == 1  # the same bytes, another mapping: read again
    rejected = before["rejects"].height
    assert rejected > 0
    assert after["order_lines"].height == before["order_lines"].height + rejected
    assert after["order_lines"].select("order_id", "line_no").is_unique().all()
    again, same = ingest(data_dir)
    assert len(again.files) == 0 and same["order_lines"].height == after["order_lines"].height


def test_the_same_export_dropped_twice_is_read_once_and_a_re_export_makes_new_versions(data_dir):
    group = make_group(3, DAY, orders=12)
    path = drop(data_dir, write_ktt_community, group, "团购.xlsx")
    _, first = ingest(data_dir)
    shutil.copy(path, path.with_name("团购 (1).xlsx"))
    inbox, second = ingest(data_dir)
    assert len(inbox.files) == 0 and second["order_lines"].height == first["order_lines"].height
    bigger = make_group(3, DAY, orders=13)  # the same draws, one more order
    drop(data_dir, write_ktt_community, bigger, "团购 20261121 2030.xlsx")
    inbox, third = ingest(data_dir)
    assert len(inbox.files) == 1
    lines = third["order_lines"]
    assert lines.select("order_id", "line_no").is_unique().all()
    orders = set(lines["order_id"])
    assert len(orders) == len(bigger.paid(community=True))
    assert set(first["order_lines"]["order_id"]) < orders
    assert set(lines["source_file"]) == {"inbox/orders/团购 20261121 2030.xlsx"}  # the new versions


def test_a_file_that_is_no_export_or_cannot_be_read_is_one_reject_of_one_row(data_dir):
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True)
    (folder / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["姓名", "电话", "金额"])
    book.save(folder / "名单.xlsx")
    datasets.write_orders(data_dir, [datasets.order("A", "cA", 1, "2026-11-21T09:00:00", listing="F1-1121")])
    _, t = ingest(data_dir)
    rejects = t["rejects"].sort("source_file")
    assert rejects.select("source_file", "row_number", "rows_rejected").rows() == [
        ("inbox/orders/加密.xlsx", None, 1), ("inbox/orders/名单.xlsx", None, 1)]
    assert rejects["reason"][0].startswith("cannot read the export: a password-protected (encrypted) workbook")
    assert rejects["reason"][1] == ("not a 快团团 or 群接龙 export: no sheet has the columns of one (跟团号 or 接龙号, "
                                    "商品, ...) in its first rows; found sheet Sheet: 姓名, 电话, 金额")
    assert t["order_lines"]["order_id"].to_list() == ["A"]  # the run goes on


def test_an_unknown_suffix_names_the_export_format(data_dir):
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True)
    (folder / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    _, t = ingest(data_dir)
    assert t["rejects"]["reason"].to_list() == [
        "unknown file type '.xls' (use .csv, .parquet or .jsonl, or a 快团团 / 群接龙 export as .xlsx)"]


def test_a_warning_belongs_to_the_runs_of_its_lines_and_to_the_reading_run_without_any(data_dir):
    group = make_group(3, DAY)
    drop(data_dir, write_ktt_community, group)
    _, t = ingest(data_dir)
    assert len(t["warnings"]) == 3
    assert t["export_warnings"].height == 3
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        other = window_for("nightly", DAY.replace(day=22), TZ)
        assert export_warnings_for(warehouse, other, []) == []
        warehouse.execute("DELETE FROM order_lines")
        assert len(export_warnings_for(warehouse, window_for("nightly", DAY, TZ), [])) == 3  # read by this run
        assert export_warnings_for(warehouse, other, []) == []


def test_a_later_export_that_leaves_out_an_order_or_item_cancels_it(data_dir):
    group = make_group(3, DAY)
    drop(data_dir, write_ktt_community, group, "团购.xlsx")
    _, before = ingest(data_dir)
    later = copy.deepcopy(group)
    gone = later.orders.pop(12)  # cancelled by its customer: 小区团购 leaves it out
    shrunk = next(o for o in later.orders[13:] if len(o.items) > 1 and o.status == "已支付")
    dropped = len(shrunk.items)
    shrunk.items = shrunk.items[:1]  # an item cancelled
    drop(data_dir, write_ktt_community, later, "团购 2030.xlsx")
    _, after = ingest(data_dir)
    lines = after["order_lines"]
    assert lines.height == before["order_lines"].height  # no line gone, none doubled
    cancelled = lines.filter(lines["status"] == "cancelled")
    assert sorted(zip(cancelled["order_id"], cancelled["line_no"], strict=True)) == sorted(
        [(order_id("ktt", group.title, str(gone.number)), n) for n in range(1, len(gone.items) + 1)]
        + [(order_id("ktt", group.title, str(shrunk.number)), n) for n in range(2, dropped + 1)])
    assert set(cancelled["source_file"]) == {"inbox/orders/团购 2030.xlsx"}
    notes = [w for w in after["export_warnings"]["warning"] if w.startswith("export_cancelled")]
    assert len(notes) == 2 and f"order {order_id('ktt', group.title, str(gone.number))} line(s)" in notes[0]


def test_an_export_of_later_orders_only_cancels_nothing_before_it(data_dir):
    group = make_group(3, DAY)
    drop(data_dir, write_ktt_community, group, "团购.xlsx")
    ingest(data_dir)
    later = copy.deepcopy(group)
    later.orders = later.orders[15:]  # exported with a time filter: the orders since
    drop(data_dir, write_ktt_community, later, "团购 晚.xlsx")
    _, after = ingest(data_dir)
    lines = after["order_lines"]
    assert set(lines["status"]) <= {"paid", "refunded"}
    assert not any(w.startswith("export_cancelled") for w in after["export_warnings"]["warning"])
