"""Reading an .xlsx from outside (inbox/xlsx_reader.py): cells as Excel shows them (merges, saved
formula values, numbers from their stored text, dates), and every hostile or broken file refused
in one line naming the limit or the reason, before it costs memory or time."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from inbox import xlsx_reader
from inbox.readers import UnreadableFile
from inbox.xlsx_reader import MAX_COLUMNS, MAX_ROWS, OLE_MAGIC, read_workbook


def write_book(path: Path, rows: list[list], merges: tuple[str, ...] = (), title: str = "顾客购买表") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def rewrite_part(path: Path, part: str, change) -> None:
    """Replace one part of the zip with `change(text)`."""
    with zipfile.ZipFile(path) as archive:
        members = [(i.filename, archive.read(i.filename)) for i in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, change(data.decode("utf-8")).encode("utf-8") if name == part else data)


def declare_size(path: Path, part: str, size: int) -> None:
    """Make the zip's central directory declare `size` bytes unpacked for `part` (a lie)."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    for match in re.finditer(rb"PK\x01\x02", data):
        start = match.start()
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + name_length] == name:
            struct.pack_into("<I", data, start + 24, size)
    path.write_bytes(bytes(data))


def test_cells_read_as_excel_shows_them(tmp_path):
    path = write_book(tmp_path / "a.xlsx", [
        ["跟团号", "商品", "数量", "商品金额", "联系电话", "支付时间", "备注"],
        [1, "橙(1份)", 2, 59.9, 13812345678, datetime(2026, 11, 21, 19, 30, 5), True],
        [None, "荔枝", "2", "¥59.90", "138-1234-5678", "2026/11/21 19:30", None]])
    book = read_workbook(path)
    (sheet,) = book.sheets
    assert sheet.name == "顾客购买表"
    assert sheet.rows[1] == (2, (Decimal(1), "橙(1份)", Decimal(2), Decimal("59.9"), Decimal(13812345678),
                                 datetime(2026, 11, 21, 19, 30, 5), True))
    assert sheet.rows[2] == (3, (None, "荔枝", "2", "¥59.90", "138-1234-5678", "2026/11/21 19:30"))
    assert isinstance(sheet.rows[1][1][3], Decimal)  # never a float
    assert sheet.no_value == {}


def test_a_merged_range_reads_only_in_its_first_cell(tmp_path):
    path = write_book(tmp_path / "m.xlsx", [["跟团号", "订单金额", "商品"], [1, 99, "橙"], [1, None, "荔枝"],
                                           [2, 5, "梨"]], merges=("B2:B3", "A4:C4"))
    rewrite_part(path, "xl/worksheets/sheet1.xml",  # WPS keeps a value under a merge: it is hidden
                 lambda text: text.replace('<c r="B3"/>', '<c r="B3"><v>0</v></c>'))
    rows = dict(read_workbook(path).sheets[0].rows)
    assert rows[2] == (Decimal(1), Decimal(99), "橙")
    assert rows[3] == (Decimal(1), None, "荔枝")
    assert rows[4] == (Decimal(2),)  # B4 and C4 are no cells at all


def test_a_formula_gives_its_saved_value_and_one_without_is_named(tmp_path):
    path = write_book(tmp_path / "f.xlsx", [["下单人", "收货人", "数量", "商品金额"], ["王芳", "x", 2, 0]])
    sheet_xml = "xl/worksheets/sheet1.xml"
    rewrite_part(path, sheet_xml, lambda text: re.sub(
        r'<c r="B2"[^>]*>.*?</c>', '<c r="B2" t="str"><f>A2</f><v>王芳</v></c>', re.sub(
            r'<c r="D2"[^>]*>.*?</c>', '<c r="D2"><f>C2*59.9</f><v>119.80000000000001</v></c>', text)))
    book = Workbook()
    book.active.append(["跟团号", "金额"])
    book.active.append([1, "=A2*10"])  # openpyxl saves a formula without a value
    book.save(tmp_path / "g.xlsx")
    (sheet,) = read_workbook(path).sheets
    assert sheet.rows[1][1] == ("王芳", "王芳", Decimal(2), Decimal("119.8"))
    (other,) = read_workbook(tmp_path / "g.xlsx").sheets
    assert other.no_value == {(2, 1): "A2*10"}
    assert other.rows[1] == (2, (Decimal(1),))


def test_the_time_the_file_was_saved(tmp_path):
    path = write_book(tmp_path / "t.xlsx", [["a"]])
    rewrite_part(path, "docProps/core.xml", lambda text: re.sub(
        r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", r"\g<1>2026-11-21T12:30:00Z\g<2>", text))
    assert read_workbook(path).modified == datetime.fromisoformat("2026-11-21T12:30:00+00:00")
    rewrite_part(path, "docProps/core.xml", lambda text: re.sub(r"<dcterms:modified.*?</dcterms:modified>", "", text))
    assert read_workbook(path).modified is None


def refused(path: Path, message: str) -> None:
    with pytest.raises(UnreadableFile, match=message) as caught:
        read_workbook(path)
    assert "\n" not in str(caught.value)


def test_a_password_protected_workbook_is_refused_in_one_line(tmp_path):
    path = tmp_path / "加密.xlsx"
    path.write_bytes(OLE_MAGIC + b"\0" * 4096)  # Excel saves an encrypted workbook as an OLE compound file
    refused(path, r"a password-protected \(encrypted\) workbook, or an old .xls renamed")


def test_a_corrupt_or_foreign_file_is_refused_in_one_line(tmp_path):
    good = write_book(tmp_path / "good.xlsx", [["跟团号"]])
    (tmp_path / "cut.xlsx").write_bytes(good.read_bytes()[:300])
    refused(tmp_path / "cut.xlsx", r"a damaged .xlsx \(the zip archive is corrupt")
    (tmp_path / "csv.xlsx").write_text("跟团号,商品\n1,橙\n", encoding="utf-8")
    refused(tmp_path / "csv.xlsx", r"not an .xlsx workbook \(not a zip archive\)")
    with zipfile.ZipFile(tmp_path / "zip.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hello")
    refused(tmp_path / "zip.xlsx", r"a zip archive without an Excel workbook in it")
    broken = write_book(tmp_path / "broken.xlsx", [["跟团号"]])
    rewrite_part(broken, "xl/workbook.xml", lambda text: text[:len(text) // 2])
    refused(broken, r"cannot read the workbook \(")


def test_a_zip_bomb_is_refused_by_what_it_declares_before_inflating(tmp_path, monkeypatch):
    path = write_book(tmp_path / "bomb.xlsx", [["跟团号"]])
    declare_size(path, "xl/worksheets/sheet1.xml", 3 * 1024 ** 3)
    refused(path, r"its parts unpack to 3,072 MiB \(the largest, xl/worksheets/sheet1.xml, 3,072 MiB\): a zip bomb "
                  r"or far more than an export; an export is read up to 200 MiB unpacked")
    zeros = tmp_path / "zeros.xlsx"
    write_book(zeros, [["跟团号"]])
    rewrite_part(zeros, "xl/worksheets/sheet1.xml", lambda text: text + " " * (2 * 1024 * 1024))
    monkeypatch.setattr(xlsx_reader, "MAX_UNCOMPRESSED", 1024 * 1024)
    refused(zeros, r"an export is read up to 1 MiB unpacked")


def test_a_part_that_inflates_past_what_it_declares_is_refused(tmp_path):
    path = write_book(tmp_path / "lie.xlsx", [["跟团号", "商品"]] + [[i, "橙"] for i in range(2000)])
    declare_size(path, "xl/worksheets/sheet1.xml", 100)  # zipfile reads 100 bytes, then the check fails
    refused(path, r"cannot read the workbook \(")


def test_a_sheet_declaring_a_million_rows_or_columns_is_refused(tmp_path):
    path = write_book(tmp_path / "huge.xlsx", [["跟团号"]])
    rewrite_part(path, "xl/worksheets/sheet1.xml",
                 lambda text: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', text))
    refused(path, r"sheet 顾客购买表 declares 1,048,576 rows and 16,384 columns; an export is read up to "
                  rf"{MAX_ROWS:,} rows and {MAX_COLUMNS} columns a sheet")


def test_rows_and_columns_past_the_limits_are_refused_while_reading(tmp_path):
    far = write_book(tmp_path / "far.xlsx", [["跟团号"]])
    rewrite_part(far, "xl/worksheets/sheet1.xml", lambda text: text.replace(
        "</sheetData>", '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    refused(far, rf"sheet 顾客购买表 has rows past row {MAX_ROWS:,}")
    wide = write_book(tmp_path / "wide.xlsx", [["跟团号"]])
    rewrite_part(wide, "xl/worksheets/sheet1.xml", lambda text: re.sub(r'<dimension ref="[^"]*"/>', "", text).replace(
        "</row>", '<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1))
    refused(wide, rf"sheet 顾客购买表 row 1 has cells past column {MAX_COLUMNS}")


def test_merges_spanning_too_many_rows_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_reader, "MAX_MERGED_ROWS", 10)
    path = write_book(tmp_path / "merge.xlsx", [["跟团号"], [1]] + [[None]] * 20, merges=("A2:A22",))
    refused(path, "its merged cells span more than 10 rows together")


def test_entity_expansion_in_a_sheet_is_refused(tmp_path):
    path = write_book(tmp_path / "laughs.xlsx", [["跟团号"]])
    entities = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"  # 10^9 a's
    rewrite_part(path, "xl/worksheets/sheet1.xml", lambda text: '<?xml version="1.0"?>' + entities + text.replace(
        "</sheetData>", '<row r="2"><c r="A2" t="inlineStr"><is><t>&i;</t></is></c></row></sheetData>'))
    refused(path, r"cannot read the workbook \(ParseError: limit on input amplification factor")


def test_too_large_a_file_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    path = write_book(tmp_path / "big.xlsx", [["跟团号"]])
    monkeypatch.setattr(xlsx_reader, "MAX_FILE_BYTES", 100)
    refused(path, r"the file is 0.0 MiB; an export is read up to 0 MiB")


def test_an_encrypted_zip_is_refused(tmp_path):
    path = write_book(tmp_path / "zipcrypto.xlsx", [["跟团号"]])
    data = bytearray(path.read_bytes())
    for match in re.finditer(rb"PK\x01\x02", data):
        struct.pack_into("<H", data, match.start() + 8, struct.unpack_from("<H", data, match.start() + 8)[0] | 1)
    path.write_bytes(bytes(data))
    refused(path, "a password-protected \\(encrypted\\) zip")


def test_many_sheets_are_refused(tmp_path, monkeypatch):
    book = Workbook()
    for i in range(3):
        book.create_sheet(f"s{i}")
    buffer = io.BytesIO()
    book.save(buffer)
    (tmp_path / "sheets.xlsx").write_bytes(buffer.getvalue())
    monkeypatch.setattr(xlsx_reader, "MAX_SHEETS", 2)
    refused(tmp_path / "sheets.xlsx", "4 sheets; an export is read up to 2")
