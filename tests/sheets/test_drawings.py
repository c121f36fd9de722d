"""Pictures on a sheet are written as openpyxl 3.1 (with lxml, as this project installs it) writes
them: its output for three pictures on the first of two sheets is kept in data/openpyxl_pictures
(made with Pillow, which openpyxl needs to take a picture and this project does not install)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheets.drawings import Picture, content_types, drawing_xml, sheet_picture_parts, with_drawing

DATA = Path(__file__).parent / "data" / "openpyxl_pictures"
PICTURES = [Picture(7, 8, b"png1", 431800, 19050), Picture(9, 8, b"png2", 431800, 19050),
            Picture(12, 8, b"png3", 431800, 19050)]


def openpyxl_part(name: str) -> bytes:
    return (DATA / name.replace("/", "__")).read_bytes()


def test_the_drawing_and_its_relationships_are_openpyxls():
    parts = dict(sheet_picture_parts("xl/worksheets/sheet1.xml", 1, 1, PICTURES))
    for name in ("xl/drawings/drawing1.xml", "xl/drawings/_rels/drawing1.xml.rels",
                 "xl/worksheets/_rels/sheet1.xml.rels"):
        assert parts[name] == openpyxl_part(name), name
    assert drawing_xml(PICTURES).count(b"<oneCellAnchor>") == 3


def test_the_sheet_gets_its_drawing_last_and_the_content_types_the_pictures():
    sheet = openpyxl_part("xl/worksheets/sheet1.xml")
    without = sheet.replace(b'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                            b'r:id="rId1"/>', b"")
    assert without != sheet and with_drawing(without) == sheet
    types = openpyxl_part("[Content_Types].xml")
    plain = (types.replace(b'<Default Extension="png" ContentType="image/png"/>', b"")
             .replace(b'<Override PartName="/xl/drawings/drawing1.xml" '
                      b'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>', b""))
    assert plain != types and content_types(plain, [("xl/worksheets/sheet1.xml", 1)]) == types


def test_a_part_not_written_by_openpyxl_31_is_refused():
    with pytest.raises(ValueError):
        with_drawing(b"<worksheet>")
    with pytest.raises(ValueError):
        content_types(b"<Types></Types>", [("xl/worksheets/sheet1.xml", 1)])
