"""summary.xlsx's 一盘货 sheet (sheets/pools_sheet.py) as ops and finance print it: each pool's
figures in its heading with thousands separators, a line per turn, the totals; A4, 9 pt or more,
the header repeated."""

from __future__ import annotations

import openpyxl

from sheets.pools_sheet import pools_sheet
from sheets.writer import write_workbook
from tests.sheets.printing import READABLE, printed_points

POOLS = [{"pool_id": "POOL-001", "sku_id": "SKU0020", "units": 12_750, "taken_before": 9_510, "taken_now": 2_180,
          "held_later": 0, "left": 1_060, "turns": [
              {"calendar": "nightly", "cutoff_date": "2026-12-04", "position": "earlier",
               "listings": ["L-20261204-0003"], "reserve": 0, "taken": 9_510},
              {"calendar": "weekly", "cutoff_date": "2026-12-06", "position": "this run",
               "listings": ["WP-20261206-001"], "reserve": 2_440, "taken": 2_180},
              {"calendar": "nightly", "cutoff_date": "2026-12-07", "position": "later",
               "listings": ["WX-20261206-001"], "reserve": 0, "taken": None}]}]


def test_the_pool_sheet_reads_its_figures_with_separators_and_adds_up(tmp_path):
    path = tmp_path / "summary.xlsx"
    write_workbook(path, [pools_sheet(POOLS, "zh", "截单汇总 · 每周预售 2026-12-06", "每周预售 2026-12-06")])
    sheet = openpyxl.load_workbook(path)["一盘货"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    texts = [row[0] for row in values if isinstance(row[0], str)]
    assert "库存池 POOL-001 · 商品编码 SKU0020 · 总库存 12,750" in texts
    assert "之前批次已用 9,510 · 本批次分配 2,180 · 之后批次预留 0 · 剩余可售 1,060" in texts
    assert ["每日 2026-12-07", "WX-20261206-001", "之后 (未到)", 0, None] in values
    assert ["合计", None, None, 2_440, 11_690] in values  # taken: 9,510 before + 2,180 now
    assert printed_points(sheet) >= READABLE and sheet.print_title_rows
    header = next(row for row in sheet.iter_rows() if row[0].value == "截单批次")
    assert header[1].value == "每周预售 2026-12-06"
