"""A supplier's 明日预估 (sheets/estimate_book.py) as the supplier prints it: A4 at 9 pt or more with
a week of later days, the totals only where they add up, the footer whole."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import polars as pl

from sheets.estimate_book import write_estimate_book
from tests.sheets.printing import READABLE, printed_points

DAY = date(2026, 12, 8)
PRODUCTS = pl.DataFrame({"sku_id": ["SKU1", "SKU2"], "name": ["产地直发阳光玫瑰葡萄精品礼盒装", "砂糖橘"],
                         "spec": ["2斤/盒", "5斤/箱"], "unit": ["盒", "箱"], "case_pack": [6, 1]})


def rows() -> pl.DataFrame:
    """SKU1 and SKU2 on tomorrow and the 6 days after (a forecast of horizon 7)."""
    return pl.DataFrame([{"level": "sku", "cutoff_date": DAY + timedelta(days=i), "sku_id": sku, "supplier_id": "S1",
                          "units_p10": p50 * 0.7, "units_p50": p50 + i, "units_p90": p50 * 1.4, "cases_p50": cases}
                         for i in range(7) for sku, p50, cases in (("SKU1", 1170.49, 196), ("SKU2", 3.2, 4))])


def test_the_estimate_prints_at_9_pt_and_totals_only_what_adds_up(tmp_path):
    path = tmp_path / "S1.xlsx"
    write_estimate_book(path, rows(), PRODUCTS, supplier="S1 广州市天河区某某农产品供应链管理有限公司", day=DAY,
                        made_for=DAY, lang="zh")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert printed_points(sheet) >= READABLE and sheet.print_title_rows  # 7.9 pt with a week of later days
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    label = next(row for row in cells if row[0] == "SKU")
    assert label[9:] == ["12-09", "12-10", "12-11", "12-12", "12-13", "12-14"]
    sku1 = next(row for row in cells if row[0] == "SKU1")
    assert sku1[6] == 1170.49 and sku1[9:11] == [1171, 1172]  # tomorrow to the hundredth; the days after, whole
    total = next(row for row in cells if row[0] == "合计")
    # a P10 or P90 summed over SKUs is no P10 or P90 of the total: blank; P50s and cases add up
    assert total[5] is None and total[7] is None
    assert total[6] == round(1170.49 + 3.2, 2) and total[8] == 200 and total[9] == 1171 + 4
    assert sheet.oddFooter.left.text.endswith("仅供备货参考，不构成订单")  # whole, not cut at 20 characters
