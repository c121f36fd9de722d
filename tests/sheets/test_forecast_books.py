"""forecast.xlsx, the suppliers' 明日预估 and products.xlsx, opened as people open them."""

from __future__ import annotations

import zipfile
from datetime import datetime
from types import SimpleNamespace

import openpyxl
import polars as pl

from sheets.forecast_book import write_forecast_book
from sheets.products_book import write_products_book
from tests.sheets.printing import READABLE, charts_below_or_alone, printed_points
from tests.transforms import forecast_world as world
from transforms import forecast as f
from transforms.product_review import review_products


def master():
    products = world.products().with_columns(pl.Series("name", ["流心奶黄月", "砂糖橘", "=SUM(A1)"]),
                                             pl.lit("盒").alias("unit"), pl.lit("").alias("spec"))
    suppliers = pl.DataFrame({"supplier_id": ["S1", "S2"], "name": ["广州鲜果供应链有限公司", "蔬菜行"]})
    return SimpleNamespace(products=products, suppliers=suppliers)


def summary(result: f.Forecast) -> dict:
    return {"forecast_date": world.D.isoformat(), "horizon": 7, "history": {"from": "2026-09-28", "to": "2026-11-22",
                                                                           "cutoffs": 56},
            "accuracy": {**result.overall, "held_out": result.overall["held_out"]}, "holidays": [],
            "weather": {"files": [], "rows": 0, "rejected": 0}}


def cells(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_forecast_book(tmp_path):
    result = f.forecast_demand(world.daily(), world.point_units(), world.products(), world.no_listings(),
                               world.days(), world.no_weather(), world.D, 7)
    path = tmp_path / "forecast.xlsx"
    write_forecast_book(path, result, master(), summary(result), lang="zh", created=datetime(2026, 11, 23))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概览", "概览图", "SKU预测", "准确率", "S1 广州鲜果供应链有限公司"]
    # the suppliers' chart on a page of its own: below the overview's tall header block it broke over
    # two pages under the repeated header; the overview keeps no chart
    assert not book["概览"]._charts and len(book["概览图"]._charts) == 1
    assert charts_below_or_alone(book["概览图"])
    for sheet in book.worksheets:  # A4, 9 pt or more (SKU预测 and 准确率 printed at 8.4 and 8.8 pt: names wrap now)
        assert printed_points(sheet) >= READABLE, sheet.title
        assert sheet.print_title_rows or not sheet.max_column > 1, sheet.title  # a chart's own sheet: its title
    overview = cells(book["概览"])
    s1 = next(row for row in overview if row[0] == "S1")
    first_day = result.rows.filter((pl.col("level") == "supplier") & (pl.col("cutoff_date") == world.D))
    assert s1[3] == round(first_day["units_p50"].item(), 2) and s1[1] == "广州鲜果供应链有限公司"  # to the hundredth
    trend = cells(book["S1 广州鲜果供应链有限公司"])
    header = next(row for row in trend if row[0] == "日期")
    assert header[1:3] == ["A 实际", "A 预测"]
    ahead = next(row for row in trend if row[0] == world.D.isoformat())
    assert ahead[1] is None and ahead[2] > 0  # a forecast day: no actual yet
    sold = next(row for row in book["S1 广州鲜果供应链有限公司"].iter_rows() if isinstance(row[1].value, int))
    assert sold[1].number_format == "#,##0"  # whole units sold print 659, not 659.00
    with zipfile.ZipFile(path) as package:
        charts = [package.read(n).decode() for n in package.namelist() if n.startswith("xl/charts/chart")]
    assert any("lineChart" in chart for chart in charts) and any("barChart" in chart for chart in charts)
    line = next(chart for chart in charts if "lineChart" in chart)  # straight lines between the days
    assert 'smooth val="1"' not in line and 'smooth val="0"' in line


def test_products_book_ranks_flags_and_says_why(tmp_path):
    sales = pl.DataFrame({"sku_id": ["A", "B", "C"], "units": [500, 40, 3], "gmv_fen": [1_000_000, 80_000, 9_000],
                          "cutoffs": [7, 7, 2]})
    customers = pl.DataFrame({"sku_id": ["A", "B", "C"], "customers": [100, 20, 3], "repeat_customers": [60, 2, 0]})
    purchases = pl.DataFrame({"sku_id": ["A", "B", "C"], "cost_fen": [600_000, 50_000, 9_500]})
    groups = pl.DataFrame({"sku_id": ["A", "B", "C"], "groups": [7, 7, 2], "formed": [7, 7, 0]})
    losses = pl.DataFrame({"sku_id": ["A", "B", "C"], "units_purchased": [500, 40, 3], "lost_units": [10, 2, 0]})
    review = review_products(sales, customers, purchases, groups, losses)
    path = tmp_path / "products.xlsx"
    write_products_book(path, review, master().products, span="2026-11-16 ~ 2026-11-22", lang="zh",
                        created=datetime(2026, 11, 22))
    book = openpyxl.load_workbook(path)
    ranked = cells(book["商品排行"])
    rows = {row[1]: row for row in ranked if row[1] in ("A", "B", "C")}
    assert [rows[s][0] for s in ("A", "B", "C")] == [1, 2, 3]
    assert rows["A"][6] == 10000.0 and rows["A"][7] == 4000.0  # GMV and margin in yuan
    assert rows["A"][12] == "爆品" and rows["C"][12] == "待复盘"
    name = book["商品排行"].cell(row=ranked.index(rows["C"]) + 1, column=3)
    assert name.value == "=SUM(A1)" and name.data_type == "s"  # a name is text, never a formula
    why = {row[1]: row for row in cells(book["待复盘与爆品"]) if row[1] in ("A", "B", "C")}
    assert why["C"][5] == 95.0 and why["C"][7] == 2  # cost in yuan; its groups
    assert "毛利≤0" in why["C"][13] and "成团率低于50%" in why["C"][13]
    assert book.sheetnames == ["商品排行", "毛利图", "待复盘与爆品"]  # the chart on a page of its own
    assert not book["商品排行"]._charts and charts_below_or_alone(book["毛利图"]) and book["毛利图"]._charts
    for sheet in book.worksheets:  # A4, 9 pt or more: with every figure and the reasons on one sheet, 5.5 pt
        assert printed_points(sheet) >= READABLE, sheet.title
        assert sheet.print_title_rows or sheet.max_column <= 1, sheet.title
    flagged = [row[1] for row in cells(book["待复盘与爆品"]) if row[1] in ("A", "B", "C")]
    assert flagged == ["C", "A"]  # to reconsider first, then the stars
