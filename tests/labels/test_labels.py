"""The labels of a run, read back as a person and a scanner would: every household label's text
against the tables (its customer, items and units), its QR code read and found to be its own
order's code, nothing of one pickup point on another's labels; the crate labels' counts adding up
to the units; the handout list's pictures each its order's code; the page sizes of every
CUTOFF_LABEL_SIZE; the font embedded (pypdf reads the text back; pdftotext and pdffonts too where
poppler is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from labels.pdf import MM
from sheets.run_books import write_run_workbooks
from tests.labels.qr_reader import read_symbol, symbol_from_png, symbols_in_content
from tests.sheets.test_sheets import SETTINGS, larger_data_dir, run_tables
from transforms.crates import prepare_crates
from transforms.households import prepare_households
from transforms.pickup_codes import code_tag, parse_code
from transforms.sorting import in_print_order

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("labels")
    tables = run_tables(larger_data_dir(root / "data"))
    counts = write_run_workbooks(root / "out", tables, SETTINGS, pickup_key=KEY)
    return root / "out", tables, counts


def pages(path: Path) -> list:
    return PdfReader(path).pages


def code_order(symbol, tables, point: str) -> str:
    """The order of the point whose code the symbol holds (the tag checked against every order)."""
    code = parse_code(read_symbol(symbol))
    window = tables.window
    assert (code.calendar, code.cutoff_date) == (window.calendar, window.cutoff_date)
    orders = tables.allocations.filter(pl.col("pickup_point_id") == point)["order_id"].unique().to_list()
    found = [o for o in orders if code_tag(KEY, window.calendar, window.cutoff_date, point, o) == code.tag]
    assert len(found) == 1
    return found[0]


def test_a_household_label_per_order_with_its_own_code_and_nothing_of_another_point(run):
    out, tables, counts = run
    orders, items = prepare_households(tables.allocations.with_columns(pl.col("qty_allocated").alias("units")),
                                       tables.master.products)
    points = sorted(orders["pickup_point_id"].unique())
    assert sorted(p.name for p in (out / "labels").glob("households-*.pdf")) == [f"households-{p}.pdf" for p in points]
    for point in points:
        expected = orders.filter(pl.col("pickup_point_id") == point)
        labels = pages(out / "labels" / f"households-{point}.pdf")
        assert len(labels) == expected.height  # at most 6 items an order here: one label each
        for page, order in zip(labels, expected.iter_rows(named=True), strict=True):
            text = page.extract_text()
            assert order["customer_name"] in text and f"尾号 {order['phone_tail']}" in text
            assert f"订单 {order['order_id']} · 共 {order['units']} 件" in text and text.count(f"{point} ") == 1
            for item in items.filter(pl.col("order_id") == order["order_id"]).iter_rows(named=True):
                assert f"{item['item']} ×{item['units']}{item['unit']}" in text
            [symbol] = symbols_in_content(page.get_contents().get_data().decode("ascii"))
            assert code_order(symbol, tables, point) == order["order_id"]
            others = tables.allocations.filter(pl.col("pickup_point_id") != point)["customer_name"].unique()
            assert not [name for name in others if name not in set(expected["customer_name"]) and name in text]
    assert counts["labels"] == len(points) + len(list((out / "labels").glob("crates-*.pdf")))


def test_crate_labels_in_stop_order_add_up_to_each_points_units(run):
    out, tables, _ = run
    crates = prepare_crates(tables.allocations.filter(pl.col("qty_allocated") > 0).group_by("pickup_point_id", "sku_id")
                            .agg(pl.col("qty_allocated").sum().alias("units")), tables.master.pickup_points,
                            tables.master.products, tables.master.categories, 30)
    allocated = dict(tables.allocations.group_by("pickup_point_id").agg(pl.col("qty_allocated").sum()).rows())
    for (route,), frame in crates.partition_by("route_id", as_dict=True).items():
        labels = pages(out / "labels" / f"crates-{route}.pdf")
        assert len(labels) == frame.height
        seen: dict[str, list] = {}
        for page in labels:
            text = page.extract_text()
            point, name = re.search(r"\n(P\d+) (\S+)\n", text).groups()
            number, of = map(int, re.search(r"箱 (\d+)/(\d+)", text).groups())
            units = int(re.search(r"共 (\d+) 件", text).group(1))
            seen.setdefault(point, []).append((number, of, units))
            [symbol] = symbols_in_content(page.get_contents().get_data().decode("ascii"))
            assert read_symbol(symbol) == point  # the machine-readable code of the pickup point
        stops = [p for p in frame["pickup_point_id"].unique(maintain_order=True)]
        assert list(seen) == stops  # in stop order
        for point, crates_of in seen.items():
            assert [n for n, _, _ in crates_of] == list(range(1, len(crates_of) + 1))
            assert {of for _, of, _ in crates_of} == {len(crates_of)}
            assert sum(u for _, _, u in crates_of) == allocated[point]
            assert all(u <= 30 for _, _, u in crates_of)


def test_the_handout_lists_pictures_are_their_orders_codes(run):
    out, tables, _ = run
    book = out / "handout" / "P02.xlsx"
    ws = load_workbook(book).worksheets[0]
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "序号")
    assert ws.cell(header, 9).value == "提货码"
    with zipfile.ZipFile(book) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
        rows = [int(r) for r in re.findall(r"<row>(\d+)</row>", drawing)]
        media = [archive.read(f"xl/media/image{n}.png") for n in range(1, len(rows) + 1)]
    orders = [ws.cell(r + 1, 4).value for r in rows]  # the row (from 0) of the picture: its order's first row
    assert None not in orders
    expected = in_print_order(tables.allocations.filter((pl.col("pickup_point_id") == "P02")
                                                        & (pl.col("qty_allocated") > 0))
                              .join(tables.master.products.select("sku_id", "name", "spec"), on="sku_id"))
    assert orders == expected.filter("_first_of_order")["order_id"].to_list()
    for order, png in zip(orders, media, strict=True):
        assert code_order(symbol_from_png(png), tables, "P02") == order
    for row in rows:  # the order's rows are at least as tall as the picture
        assert (ws.row_dimensions[row + 1].height or 15) >= 15


@pytest.mark.parametrize(("size", "width", "height", "per_page"), [("60x40", 60, 40, 1), ("80x60", 80, 60, 1),
                                                                   ("a4", 210, 297, 8)])
def test_each_label_size(tmp_path, size, width, height, per_page):
    tables = run_tables(larger_data_dir(tmp_path / "data"))
    write_run_workbooks(tmp_path / "out", tables, replace(SETTINGS, label_size=size), pickup_key=KEY)
    path = tmp_path / "out" / "labels" / "crates-R1.pdf"
    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (width, height)
    crates = sum(len(re.findall(r"箱 \d+/\d+", page.extract_text())) for page in reader.pages)
    assert len(reader.pages) == -(-crates // per_page)


def test_the_font_is_embedded_and_the_text_is_text(run):
    out, _, _ = run
    path = out / "labels" / "households-P02.pdf"
    font = PdfReader(path).pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    descendant = font["/DescendantFonts"][0].get_object()
    assert font["/Subtype"] == "/Type0" and descendant["/Subtype"] == "/CIDFontType2"
    assert re.fullmatch(r"/[A-Z]{6}\+CutoffLabelSans", font["/BaseFont"])
    program = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
    assert program[:4] == b"\x00\x01\x00\x00" and len(program) < 200_000  # a subset, not the 4 MB font
    if shutil.which("pdffonts") and shutil.which("pdftotext"):  # poppler, where installed
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"CutoffLabelSans\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes", fonts)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "尾号" in text and "订单" in text
