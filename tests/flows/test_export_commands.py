"""`cutoff init --from-export`, `cutoff map-export` and a cutoff run on what init made, through the
real command line: an operator's exports alone give purchase lists, sorting sheets and handout
lists with the right numbers (flows/export_commands.py, docs/platform-exports.md)."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from synthetic.platform_exports import make_group, write_exports, write_ktt_community
from tests import datasets
from tests.export_data import SKUS, export_master, write_map
from tests.flows.test_cli import assert_user_error, cutoff

DAY = date(2026, 11, 21)
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Done:
    def __init__(self, code, out, err):
        self.returncode, self.stdout, self.stderr = code, out, err


@pytest.fixture
def command(monkeypatch, capsys):
    """`cutoff ...` in this process (init and map-export start no Prefect): the exit code and output."""
    from flows.cli import main

    def run(*args, cwd) -> Done:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Done(code, out, err)
    return run


def rows(path) -> list[dict]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def saved_at(path, stamp: str) -> None:
    """Set an .xlsx file's saved time (docProps/core.xml dcterms:modified), as the exporting tool does."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            archive.writestr(name, data)


def paid_lines(seed: int, orders: int = 24):
    group = make_group(seed, DAY, orders)
    return [(item, qty, o) for o in group.orders if o.status == "已支付" for item, qty in o.items]


@pytest.mark.slow
def test_init_then_run_gives_the_sheets_with_the_right_numbers(tmp_path, command):
    paths = write_exports(tmp_path / "exports", DAY, 7)
    made = command("init", "--from-export", *map(str, paths.values()), "--data-dir", "shop", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "made the data dir shop: 8 new product(s), 3 new pickup point(s), 8 listing(s)" in made.stdout
    assert "cutoff run --calendar nightly --date 2026-11-21 --data-dir shop" in made.stdout
    master = tmp_path / "shop" / "master"
    ids = [r["sku_id"] for r in rows(master / "products.csv")]
    ids += [r["listing_id"] for r in rows(master / "listings.csv")]
    ids += [r[c] for r in rows(master / "pickup_points.csv") for c in ("pickup_point_id", "leader_id", "route_id")]
    assert all(ID.match(i) for i in ids)
    assert {r["name"] for r in rows(master / "pickup_points.csv")} == {"嘉怡水岸·睿府", "阳光花园", "幸福里小区"}
    assert sorted(p.name for p in (tmp_path / "shop" / "inbox" / "orders").iterdir()) == sorted(
        p.name for p in paths.values())

    # over the day, `cutoff progress` reads the exports as ingest does (inbox/versions.py); an export states
    # its orders as of when it was saved (dcterms:modified): these were saved at 19:50
    for path in (tmp_path / "shop" / "inbox" / "orders").iterdir():
        saved_at(path, "2026-11-21T11:50:00Z")
    seen = cutoff("progress", "--date", "2026-11-21", "--as-of", "2026-11-21T19:59", "--no-send", "--data-dir",
                  "shop", "--reports-dir", "reports", cwd=tmp_path)
    assert seen.returncode == 0, seen.stderr
    lines = [line for seed in (7, 8, 9) for line in paid_lines(seed)]
    units = sum(qty for _, qty, _ in lines)
    snapshot = tmp_path / "reports" / "nightly" / "2026-11-21" / "progress" / "2026-11-21T195900+0800"
    progress = json.loads((snapshot / "progress.json").read_text(encoding="utf-8"))
    assert sum(r["units"] for r in progress["rows"] if r["pickup_point_id"] is None) == units

    result = cutoff("run", "--date", "2026-11-21", "--data-dir", "shop", "--reports-dir", "reports", "--no-email",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "reports" / "nightly" / "2026-11-21"
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["order_lines"] == {"eligible": len(lines), "allocated": len(lines), "cut": 0, "rejected": 0}
    assert summary["units"]["ordered"] == summary["units"]["purchased"] == units
    assert summary["fen"]["paid"] == sum(item.price_fen * qty for item, qty, _ in lines)
    kinds = [w.split(":")[0] for w in summary["warnings"] if w.startswith("export_")]
    assert kinds.count("export_order_number") == 1 and kinds.count("export_summary_mismatch") == 1
    assert kinds.count("export_amount_mismatch") == 5  # the hand edit in each, 优惠 and 运费 in the two without them
    assert "cutoff: warning: export_order_number: inbox/orders/大仓购惠民水果团-小区团购-20261121.xlsx" in result.stderr
    assert rows(run / "rejects.csv") == []

    po = load_workbook(run / "purchase" / "S1.xlsx", read_only=True)
    cells = [c for row in po.worksheets[0].iter_rows(values_only=True) for c in row if c is not None]
    assert units in cells
    matrix = load_workbook(run / "sorting" / "R1.xlsx", read_only=True)
    assert units in [c for row in matrix.worksheets[0].iter_rows(values_only=True) for c in row]
    handout = load_workbook(run / "handout" / "PP01.xlsx").worksheets[0]
    table = [list(r) for r in handout.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(table) if "楼号" in r)
    building = table[header].index("楼号")
    at_point = [line for line in lines if line[2].point[0] == "嘉怡水岸·睿府"]
    assert f"今日订单共 {sum(q for _, q, _ in at_point)} 件" in [c for r in table for c in r if c]
    walked = [r[building] for r in table[header + 1:] if r[building]]
    numbers = [int(re.match(r"\d+", b).group()) for b in walked]
    assert numbers == sorted(numbers)  # door delivery: building by building (2 before 10)


@pytest.mark.slow
def test_a_re_export_with_one_more_order_adds_it_and_nothing_twice(tmp_path, command):
    write_ktt_community(tmp_path / "团购.xlsx", make_group(5, DAY, 12))
    saved_at(tmp_path / "团购.xlsx", "2026-11-21T11:40:00Z")  # saved at 19:40 (the re-export: 19:50)
    assert command("init", "--from-export", "团购.xlsx", "--data-dir", "shop", cwd=tmp_path).returncode == 0
    again = command("init", "--from-export", "团购.xlsx", "--data-dir", "shop", cwd=tmp_path)  # the same file again
    assert "updated the data dir shop: 0 new product(s), 0 new pickup point(s), 0 listing(s)" in again.stdout
    bigger = make_group(5, DAY, 13)  # the same group re-exported with one more order, ten minutes later
    write_ktt_community(tmp_path / "团购 20261121 1950.xlsx", bigger)
    saved_at(tmp_path / "团购 20261121 1950.xlsx", "2026-11-21T11:50:00Z")
    more = command("init", "--from-export", "团购 20261121 1950.xlsx", "--data-dir", "shop", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert len(list((tmp_path / "shop" / "inbox" / "orders").iterdir())) == 2
    result = cutoff("run", "--date", "2026-11-21", "--data-dir", "shop", "--reports-dir", "r", "--no-email",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "r" / "nightly" / "2026-11-21" / "summary.json").read_text(encoding="utf-8"))
    expected = [(i, q) for o in bigger.orders if o.status == "已支付" for i, q in o.items]
    assert summary["order_lines"]["eligible"] == len(expected)
    assert summary["units"]["ordered"] == sum(q for _, q in expected)


def test_init_refuses_what_it_cannot_do_and_writes_nothing(tmp_path, command):
    book = Workbook()
    book.active.append(["姓名", "电话"])
    book.save(tmp_path / "名单.xlsx")
    assert_user_error(command("init", "--from-export", "名单.xlsx", "--data-dir", "shop", cwd=tmp_path),
                      "名单.xlsx: not a 快团团 or 群接龙 export")
    assert_user_error(command("init", "--from-export", "none.xlsx", "--data-dir", "shop", cwd=tmp_path),
                      "none.xlsx: no such file")
    standard = Workbook()
    standard.active.append(["跟团号", "支付时间", "商品", "订单金额", "自提点"])
    standard.active.append(["1", "2026-11-21 09:00", "苹果(大果)+2", 20, "幸福里"])
    standard.active.append(["2", "2026-11-21 09:30", "苹果(大果)+1;\n丹东草莓(500g/盒)+1", 39.9, "幸福里"])
    standard.save(tmp_path / "周末团.xlsx")
    priceless = command("init", "--from-export", "周末团.xlsx", "--data-dir", "shop", cwd=tmp_path)
    assert_user_error(priceless, "no price for 1 product(s): 丹东草莓(500g/盒)")
    assert "--price '丹东草莓(500g/盒)=12.50'" in priceless.stderr
    assert not (tmp_path / "shop").exists()
    priced = command("init", "--from-export", "周末团.xlsx", "--data-dir", "shop", "--price", "丹东草莓(500g/盒)=29.90",
                    cwd=tmp_path)
    assert priced.returncode == 0, priced.stderr
    assert "export_amount_mismatch" not in priced.stderr  # 2 x 10.00 and 10.00 + 29.90: as the file says
    mapped = {m["text"]: m["maps_to"] for m in rows(tmp_path / "shop" / "master" / "export_map.csv")}
    prices = {r["sku_id"]: r["unit_price_fen"] for r in rows(tmp_path / "shop" / "master" / "listings.csv")}
    assert (prices[mapped["苹果(大果)"]], prices[mapped["丹东草莓(500g/盒)"]]) == ("1000", "2990")
    assert_user_error(command("init", "--from-export", "周末团.xlsx", "--data-dir", "x", "--price", "坏", cwd=tmp_path),
                      "--price '坏': write it as PRODUCT=YUAN")
    datasets.write_master(tmp_path / "platform")
    assert_user_error(command("init", "--from-export", "周末团.xlsx", "--data-dir", "platform", cwd=tmp_path),
                      "holds master data that `cutoff init --from-export` did not make")


def test_an_export_without_times_needs_a_date_and_is_placed_in_its_window(tmp_path, command):
    book = Workbook()
    book.active.append(["跟团号", "商品", "订单金额", "自提点", "收货人", "联系电话"])
    for number, cell, amount in (("1", "苹果+2", 20), ("2", "梨+1", 8), ("3", "苹果+1;梨+1", 18)):
        book.active.append([number, cell, amount, "幸福里", "王芳", "13812345678"])
    book.save(tmp_path / "接龙.xlsx")
    assert_user_error(command("init", "--from-export", "接龙.xlsx", "--data-dir", "shop", cwd=tmp_path),
                      "3 order(s) have no time")
    made = command("init", "--from-export", "接龙.xlsx", "--data-dir", "shop", "--date", "2026-11-21", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (group,) = rows(tmp_path / "shop" / "master" / "export_groups.csv")
    assert group == {"group": "接龙", "placed_from": "2026-11-20T20:00:00+08:00",
                     "placed_to": "2026-11-21T20:00:00+08:00"}
    assert "4 order line(s)" in made.stdout and "0 row(s) rejected" in made.stdout
    assert "cutoff run --calendar nightly --date 2026-11-21 --data-dir shop" in made.stdout


def test_map_export_writes_the_texts_to_map(tmp_path, command):
    data_dir = export_master(tmp_path / "data")
    group = make_group(3, DAY)
    missing = group.orders[0].items[0][0].text
    write_map(data_dir, {t: s for t, s in SKUS.items() if t != missing})
    write_ktt_community(tmp_path / "团.xlsx", group)
    result = command("map-export", "团.xlsx", "--data-dir", "data", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 product(s) and 0 pickup place(s) are not mapped" in result.stdout
    todo = rows(data_dir / "master" / "export_map.todo.csv")
    assert todo[-1]["field"] == "product" and todo[-1]["text"] == missing and todo[-1]["maps_to"] == ""
    assert "sheet 顾客购买表 row(s) 4" in todo[-1]["note"] and "named like it" in todo[-1]["note"]
    assert [r["text"] for r in todo[:-1]] == [r["text"] for r in rows(data_dir / "master" / "export_map.csv")]
    write_map(data_dir, SKUS)
    done = command("map-export", "团.xlsx", "--data-dir", "data", cwd=tmp_path)
    assert "every product and pickup place is in" in done.stdout
    assert_user_error(command("map-export", "团.xlsx", "--data-dir", "nowhere", cwd=tmp_path),
                      "nowhere has no master/ folder")


def test_generate_exports_writes_each_layout(tmp_path, command):
    result = command("generate", "--exports", "--orders", "10", "--date", "2026-11-21", "--data-dir", "gen",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "gen" / "exports").glob("*.xlsx"))) == 3
    assert not (tmp_path / "gen" / "master").exists()
    assert_user_error(command("generate", "--exports", "--orders", "3", "--date", "2026-11-21", "--data-dir", "g",
                             cwd=tmp_path), "at least 8 orders")


def test_the_artifact_and_the_command_line_show_the_export_warnings():
    from flows.artifacts import render_run_markdown
    from flows.export_commands import print_export_warnings
    from tests.flows.test_deployments import SUMMARY
    warnings = [f"export_amount_mismatch: inbox/orders/团.xlsx: order {n} (sheet 顾客购买表 row {n + 1}): ..."
                for n in range(1, 24)] + ["export_cancelled: inbox/orders/团.xlsx: order ktt-1-2 line(s) 1 ..."]
    summary = {**SUMMARY, "warnings": ["inbox_not_ready: late", *warnings]}
    markdown = render_run_markdown(summary)
    assert "- **Platform exports** (24): what a 快团团 / 群接龙 export says that does not add up" in markdown
    assert "order 5 (sheet 顾客购买表 row 6)" in markdown and "order 6 " not in markdown
    assert "…; all in summary.json `warnings`." in markdown
    printed = []
    print_export_warnings(summary, printed.append)
    assert printed[:20] == warnings[:20] and printed[20] == "... and 4 more export warnings in summary.json"
    printed.clear()
    print_export_warnings({"warnings": ["goods_in_stale: x"]}, printed.append)
    assert printed == []
