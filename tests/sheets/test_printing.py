"""Every workbook of a run prints on A4 with its text at 9 pt or more (LibreOffice's figures,
tests/sheets/printing.py), its charts below a table or on a sheet of their own: read from each
book's own print settings (orientation, fit to page, column widths, chart anchors), on data with
long product, supplier and pickup-point names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from openpyxl import load_workbook

from sheets.run_books import write_run_workbooks
from tests.sheets.printing import assert_readable, printed_points
from tests.sheets.test_sheets import GENERATED, SETTINGS, larger_data_dir, run_tables

LONG = "当季精选家庭装特惠礼盒"  # names as long as real catalogues have them


def long_named_data_dir(data_dir: Path) -> Path:
    larger_data_dir(data_dir)
    master = data_dir / "master"
    for name, column, suffix in (("products", "name", LONG), ("suppliers", "name", "农副产品供应链有限公司"),
                                 ("pickup_points", "name", "花园小区东门便利店自提点")):
        frame = pl.read_csv(master / f"{name}.csv", infer_schema=False)
        frame = frame.with_columns(pl.concat_str([pl.col(column), pl.lit(suffix)]).alias(column))
        if name == "pickup_points":
            frame = frame.with_columns(pl.concat_str([pl.lit("广州市白云区"), pl.col("address"),
                                                      pl.lit("幸福花园东区3栋1单元")]).alias("address"))
        frame.write_csv(master / f"{name}.csv")
    return data_dir


def test_every_book_of_a_run_prints_at_nine_points_or_more(tmp_path):
    tables = run_tables(long_named_data_dir(tmp_path / "data"))
    out = tmp_path / "out"
    counts = write_run_workbooks(out, tables, SETTINGS)
    books = sorted(out.rglob("*.xlsx"))
    assert len(books) == sum(counts.values())
    for path in books:
        assert_readable(load_workbook(path))
    # the sheets with the most columns: a purchase order and a matrix block (landscape), a handout list
    # (portrait, its item wrapping)
    po = load_workbook(out / "purchase" / "S1.xlsx")["采购单"]
    assert po.page_setup.orientation == "landscape" and printed_points(po) >= 10
    handout = load_workbook(next((out / "handout").glob("*.xlsx")))["提货单"]
    assert handout.page_setup.orientation == "portrait" and handout.column_dimensions["E"].width <= 32
    wrapped = [r for r in range(1, handout.max_row + 1) if (handout.row_dimensions[r].height or 0) >= 30]
    assert wrapped  # a long item takes two lines, its row two lines' height


def test_a_long_routes_matrix_prints_each_block_at_nine_points_or_more(tmp_path):
    from sheets.labels import BookContext
    from sheets.sorting import route_book
    from sheets.writer import write_workbooks
    from transforms.sorting import RouteUnits
    from transforms.windows import window_for
    stops = 20
    units = pl.DataFrame({
        "pickup_point_id": [f"P{n:03d}" for n in range(stops) for _ in range(3)],
        "route_seq": [n + 1 for n in range(stops) for _ in range(3)],
        "point_name": [f"幸福花园{n}栋东门便利店" for n in range(stops) for _ in range(3)],
        "leader_name": ["王芳"] * 3 * stops, "sku_id": ["SKU1", "SKU2", "SKU3"] * stops,
        "name": [f"当季精选家庭装{k}" for k in range(3)] * stops, "spec": ["250ml*12盒/箱"] * 3 * stops,
        "unit": ["箱"] * 3 * stops, "category": ["乳品烘焙"] * 3 * stops, "units": [1234] * 3 * stops})
    ctx = BookContext.for_run(window_for("nightly", date(2026, 11, 21)), "zh", "邻里团", "", GENERATED)
    path = tmp_path / "R1.xlsx"
    write_workbooks([route_book(path, RouteUnits("R1", units), ctx)])
    book = load_workbook(path)
    assert book.sheetnames == ["线路合计", "分拣矩阵 1-7", "分拣矩阵 8-14", "分拣矩阵 15-20", "拣货单"]
    assert_readable(book)
