"""national.xlsx: every region's figures, the national totals, suppliers and categories across the
regions, a failed region shown with its reason and the rerun command."""

from decimal import Decimal

from openpyxl import load_workbook

from sheets.national_book import write_national_book
from tests.sheets.printing import assert_readable
from tests.sheets.test_sheets import row_starting, rows
from tests.transforms.test_national import EAST, WEST, done
from transforms.national import FAILED, RegionOutcome, national_summary


def yuan(value) -> int:
    """A money cell (yuan) back in fen, exactly."""
    return int(Decimal(str(value)) * 100)


def summary() -> dict:
    broken = RegionOutcome("north", FAILED, None, "master/products.csv row 2: supplier_id 'S404' is not in "
                           "suppliers.csv", "Failed", "run-north")
    return national_summary("nightly", "2026-11-21", [done("east", EAST), broken, done("west", WEST)])


def test_regions_sheet_has_each_regions_figures_and_the_totals(tmp_path):
    path = tmp_path / "national.xlsx"
    write_national_book(path, summary(), "zh")
    book = load_workbook(path)
    assert book.sheetnames == ["各区域", "图·各区域净销售额", "各区域件数与金额", "供应商汇总", "分类汇总"]
    ws = book["各区域"]
    assert ws["A1"].value == "全国汇总 · 每日 2026-11-21"
    assert ws.cell(row_starting(ws, "区域"), 2).value == "3 个（完成 2，未完成 1）"
    assert any(r[0] == "未完成：north（master/products.csv row 2: supplier_id 'S404' is not in suppliers.csv）"
               for r in rows(ws))
    assert any(r[0] == "重跑未完成的区域：cutoff national --only north（其余区域不重跑）" for r in rows(ws))
    head = row_starting(ws, "区域", row_starting(ws, "区域"))  # the table's label row, under the header block
    labels = [c.value for c in ws[head]]
    assert labels[:3] == ["区域", "状态", "订单行"]
    col = {label: i for i, label in enumerate(labels)}
    east, north, west, total = (ws[head + 1], ws[head + 2], ws[head + 3], ws[head + 4])
    assert [east[0].value, east[1].value, east[col["订单行"]].value] == ["east", "完成", 8]
    assert yuan(east[col["净销售额"]].value) == 393600
    assert yuan(east[col["佣金合计"]].value) == 39360 + 30 + 10 - 328  # clawback included
    assert [north[0].value, north[1].value, north[col["订单行"]].value, north[col["净销售额"]].value] == \
        ["north", "未完成", None, None]
    assert north[col["原因"]].value.startswith("master/products.csv row 2")
    assert west[0].value == "west" and yuan(west[col["净销售额"]].value) == 8970
    assert total[0].value == "合计"
    assert total[col["订单行"]].value == 11
    assert yuan(total[col["净销售额"]].value) == 402570
    money = book["各区域件数与金额"]
    head = row_starting(money, "区域", row_starting(money, "区域"))
    labels = [c.value for c in money[head]]
    assert labels[:2] == ["区域", "状态"] and money.cell(head + 4, 1).value == "合计"
    assert yuan(money.cell(head + 4, labels.index("实付") + 1).value) == 402570 + 1000
    assert len(ws._charts) == 0 and len(book["图·各区域净销售额"]._charts) == 1  # a chart on a sheet of its own
    assert_readable(book)  # 9 pt and more on A4


def test_suppliers_and_categories_across_regions(tmp_path):
    path = tmp_path / "national.xlsx"
    write_national_book(path, summary(), "en")
    book = load_workbook(path)
    assert book.sheetnames == ["Regions", "chart regions", "Region units and money", "Suppliers", "Categories"]
    suppliers = book["Suppliers"]
    first = row_starting(suppliers, "S1")
    assert [c.value for c in suppliers[first]][:5] == ["S1", "广州酒家", "east, west", 2, 1]
    assert yuan(suppliers[first][5].value) == 249000
    totals = suppliers[row_starting(suppliers, "Total")]
    assert totals[3].value == 3 and yuan(totals[5].value) == 267000
    categories = book["Categories"]
    assert {r[0]: (r[1], r[2], yuan(r[3])) for r in rows(categories)[row_starting(categories, "Category"):]} == {
        "烘焙": ("east, west", 13, 426400), "水果": ("west", 3, 8970), "Total": (None, 16, 435370)}
    assert len(categories._charts) == 1
