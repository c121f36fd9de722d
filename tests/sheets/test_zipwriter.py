"""The zip container of the books written from a template (sheets/zipwriter.py): read back by
Python's zipfile (every CRC checked) with the parts, their order and their bytes as written."""

from __future__ import annotations

import os
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sheets.zipwriter as zipwriter
from sheets.zipwriter import EPOCH, Deflated, ZipWriter, dos_stamp


def test_parts_shared_made_and_streamed_read_back_exactly(tmp_path):
    theme = Deflated.of(b"<theme>" + b"x" * 10_000 + b"</theme>", 1)
    rows = [f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>客户{n}</t></is></c></row>'.encode() for n in range(5000)]
    path = tmp_path / "b.xlsx"
    with open(path, "wb") as out:
        archive = ZipWriter(out, 1)
        archive.add("xl/theme/theme1.xml", theme, dos_stamp((2026, 11, 21, 20, 5, 7)))
        archive.add_stream("xl/worksheets/sheet1.xml", iter(rows), dos_stamp(EPOCH))
        archive.add_bytes("docProps/core.xml", "<title>提货单 P1</title>".encode(), dos_stamp((2026, 1, 2, 3, 4, 5)))
        archive.close()
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None  # every CRC
        assert book.namelist() == ["xl/theme/theme1.xml", "xl/worksheets/sheet1.xml", "docProps/core.xml"]
        assert book.read("xl/worksheets/sheet1.xml") == b"".join(rows)
        assert book.read("docProps/core.xml").decode() == "<title>提货单 P1</title>"
        infos = {i.filename: i for i in book.infolist()}
        assert infos["xl/theme/theme1.xml"].date_time == (2026, 11, 21, 20, 5, 6)  # 2-second resolution
        assert infos["xl/worksheets/sheet1.xml"].date_time == EPOCH
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos.values())
        assert infos["xl/worksheets/sheet1.xml"].compress_size < infos["xl/worksheets/sheet1.xml"].file_size // 4


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.xml", "b/c.xml", "[Content_Types].xml"]), st.binary(max_size=3000),
                          st.booleans()), min_size=1, max_size=6, unique_by=lambda p: p[0]))
def test_any_parts_round_trip(tmp_path_factory, parts):
    path = tmp_path_factory.mktemp("zip") / "x.zip"
    with open(path, "wb") as out:
        archive = ZipWriter(out, 1)
        for name, data, streamed in parts:
            if streamed:
                archive.add_stream(name, (data[i:i + 100] for i in range(0, len(data), 100)), dos_stamp(EPOCH))
            else:
                archive.add_bytes(name, data, zipwriter.now())
        archive.close()
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None
        assert [(i.filename, book.read(i)) for i in book.infolist()] == [(n, d) for n, d, _ in parts]


def test_a_part_past_the_zip_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(zipwriter, "LIMIT", 1000)
    with open(tmp_path / "big.zip", "wb") as out, pytest.raises(ValueError, match="zip64"):
        ZipWriter(out, 1).add_stream("xl/worksheets/sheet1.xml", [os.urandom(2000)], dos_stamp(EPOCH))
