"""sheets/package.py is the one module that uses openpyxl's internals. If an openpyxl upgrade moves
one of them, these tests fail and say which (the lock pins openpyxl 3.1.5)."""

from __future__ import annotations

import tempfile

import openpyxl
import pytest

from sheets.cells import STYLE, STYLE_NAMES, row_xml, text_cell, value_cell
from sheets.package import check_openpyxl, close_sheet, new_book, save_book, stream_rows
from sheets.spec import MONEY


def test_openpyxl_still_has_every_internal_the_package_uses():
    assert check_openpyxl() == [], (
        f"openpyxl {openpyxl.__version__} lacks what sheets/package.py relies on; fix that module "
        "(or pin openpyxl back in requirements.lock)")


def test_rows_streamed_into_a_write_only_book_read_back(tmp_path):
    path = tmp_path / "probe.xlsx"
    for _ in range(2):  # the second book takes its styles and shared parts from the first
        book = new_book()
        ws = book.create_sheet("probe")
        book.prepare_styles(ws)
        close_sheet(ws)
        stream_rows(ws, [row_xml(1, [text_cell("A1", "=SUM(1)"), value_cell("B1", 12345, MONEY)]),
                         row_xml(2, [value_cell("A2", "合计", MONEY, bold=True)])])
        save_book(book, path)
        read = openpyxl.load_workbook(path)["probe"]
        assert [[c.value for c in row] for row in read.iter_rows()] == [["=SUM(1)", 123.45], ["合计", None]]
        assert read["A1"].data_type == "s" and read["A1"].quotePrefix  # text, never a formula
        assert read["B1"].number_format == '"¥"#,##0.00'
        assert read["A2"].font.b
    assert len(book._cell_styles) == len(STYLE_NAMES) + 1 and STYLE["money"] == 6


@pytest.mark.parametrize("spool_bytes", [16 * 2**20, 100])
def test_a_sheet_is_written_without_leaving_a_temporary_file(tmp_path, monkeypatch, spool_bytes):
    """The sheet's part stays in memory (or, past SPOOL_BYTES, in an unnamed temporary file in the
    temporary folder, the run's staging folder in a run): nothing is left there after the save."""
    import sheets.package as package
    monkeypatch.setattr(package, "SPOOL_BYTES", spool_bytes)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    book = new_book()
    ws = book.create_sheet("many")
    book.prepare_styles(ws)
    close_sheet(ws)
    stream_rows(ws, (row_xml(n, [text_cell(f"A{n}", f"客户{n}"), value_cell(f"B{n}", n * 101, MONEY)])
                     for n in range(1, 3001)))
    assert list(scratch.iterdir()) == []
    save_book(book, tmp_path / "many.xlsx")
    assert list(scratch.iterdir()) == []
    rows = list(openpyxl.load_workbook(tmp_path / "many.xlsx")["many"].iter_rows(values_only=True))
    assert len(rows) == 3000 and rows[0] == ("客户1", 1.01) and rows[-1] == ("客户3000", 3030.0)
