"""Pictures on a sheet (the handout list's QR codes, one per order): the drawing part, its
relationships, the sheet's relationship to it, the media, and what the sheet part and the content
types need, written as openpyxl 3.1 writes them (tests/sheets/test_drawings.py holds its output for
the same pictures), for every book: openpyxl itself would need Pillow to take a picture, and
~500,000 of them at 1M order lines must cost microseconds each (docs/labels.md).

A picture is anchored at one cell (a oneCellAnchor: its top left corner in that cell, its size in
EMU), so it keeps its size whatever the row heights."""

from __future__ import annotations

from typing import NamedTuple

EMU_PER_POINT = 12700
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
ROOT = '<wsDr xmlns="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">'
RELATIONSHIPS = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
IMAGE_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
DRAWING_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
SHEET_DRAWING = b'<drawing ' + R.encode() + b' r:id="rId1"/>'
PNG_DEFAULT = b'<Default Extension="png" ContentType="image/png"/>'
DRAWING_CONTENT = "application/vnd.openxmlformats-officedocument.drawing+xml"


class Picture(NamedTuple):
    """A PNG anchored at (row, column), both from 0, `offset` EMU into the cell, `size` EMU square.
    A named tuple: a handout list makes one an order (~500,000 at 1M lines), ~0.6 us each where a
    frozen dataclass took ~1.4."""

    row: int
    column: int
    png: bytes
    size: int
    offset: int = 0


def drawing_xml(pictures: list[Picture]) -> bytes:
    """The drawing part (as openpyxl writes it with lxml: each a: element declares its namespace)."""
    anchors = [
        f"<oneCellAnchor><from><col>{p.column}</col><colOff>{p.offset}</colOff><row>{p.row}</row>"
        f'<rowOff>{p.offset}</rowOff></from><ext cx="{p.size}" cy="{p.size}"/><pic><nvPicPr>'
        f'<cNvPr id="{n}" name="Image {n}" descr="Picture"/><cNvPicPr/></nvPicPr><blipFill>'
        f'<a:blip {A} {R} cstate="print" r:embed="rId{n}"/><a:stretch {A}><a:fillRect/></a:stretch></blipFill>'
        f'<spPr><a:prstGeom {A} prst="rect"/></spPr></pic><clientData/></oneCellAnchor>'
        for n, p in enumerate(pictures, 1)]
    return f"{ROOT}{''.join(anchors)}</wsDr>".encode()


def drawing_rels(first_image: int, count: int) -> bytes:
    links = "".join(f'<Relationship Type="{IMAGE_TYPE}" Target="/xl/media/image{first_image + n}.png" Id="rId{n + 1}"/>'
                    for n in range(count))
    return f"{RELATIONSHIPS}{links}</Relationships>".encode()


def sheet_rels(drawing: int) -> bytes:
    return (f'{RELATIONSHIPS}<Relationship Type="{DRAWING_TYPE}" Target="/xl/drawings/drawing{drawing}.xml" '
            f'Id="rId1"/></Relationships>').encode()


def sheet_picture_parts(sheet_part: str, drawing: int, first_image: int,
                        pictures: list[Picture]) -> list[tuple[str, bytes]]:
    """The parts right after a sheet part with pictures, in openpyxl's order: the drawing, its
    relationships, the sheet's relationships."""
    sheet_name = sheet_part.rsplit("/", 1)[-1]
    return [(f"xl/drawings/drawing{drawing}.xml", drawing_xml(pictures)),
            (f"xl/drawings/_rels/drawing{drawing}.xml.rels", drawing_rels(first_image, len(pictures))),
            (f"xl/worksheets/_rels/{sheet_name}.rels", sheet_rels(drawing))]


def media_parts(first_image: int, pictures: list[Picture]) -> list[tuple[str, bytes]]:
    """The pictures' files (after every sheet part, as openpyxl writes them)."""
    return [(f"xl/media/image{first_image + n}.png", p.png) for n, p in enumerate(pictures)]


def with_drawing(sheet_tail: bytes) -> bytes:
    """The end of a sheet part (from </sheetData>) with the sheet's drawing, last, as openpyxl puts it."""
    if not sheet_tail.endswith(b"</worksheet>"):
        raise ValueError("a sheet part that does not end with </worksheet>: not openpyxl 3.1's")
    return sheet_tail[:-len(b"</worksheet>")] + SHEET_DRAWING + b"</worksheet>"


def content_types(types: bytes, drawings: list[tuple[str, int]]) -> bytes:
    """[Content_Types].xml with PNG pictures and the drawing parts, where openpyxl puts them: the
    PNG default after the xml one, a drawing's override after its sheet's. `drawings`: (sheet part,
    drawing number)."""
    xml_default = b'<Default Extension="xml" ContentType="application/xml"/>'
    if xml_default not in types:
        raise ValueError("unexpected [Content_Types].xml: not openpyxl 3.1's")
    if PNG_DEFAULT not in types:
        types = types.replace(xml_default, xml_default + PNG_DEFAULT, 1)
    for sheet_part, drawing in drawings:
        sheet = f'<Override PartName="/{sheet_part}" '.encode()
        start = types.find(sheet)
        if start < 0:
            raise ValueError(f"[Content_Types].xml has no {sheet_part}")
        end = types.index(b"/>", start) + 2
        override = f'<Override PartName="/xl/drawings/drawing{drawing}.xml" ContentType="{DRAWING_CONTENT}"/>'
        types = types[:end] + override.encode() + types[end:]
    return types


def with_pictures(parts: list[tuple[str, object]], pictures: dict[str, list[Picture]]) -> list[tuple[str, object]]:
    """A package's parts (name, data; openpyxl's order, no pictures) with the pictures of each sheet
    part in `pictures` added as openpyxl adds them: each sheet's drawing parts after it, the media
    after the last sheet, the content types completed. A sheet part's data stays as it is except
    for the drawing element: bytes get it here; anything else (a template's pieces) is left to
    the caller, with `with_drawing`."""
    out: list[tuple[str, object]] = []
    drawings: list[tuple[str, int]] = []
    media: list[tuple[str, bytes]] = []
    image = 1
    last_sheet = max((i for i, (name, _) in enumerate(parts) if name.startswith("xl/worksheets/sheet")), default=-1)
    for index, (name, data) in enumerate(parts):
        if name == "[Content_Types].xml" and drawings:
            data = content_types(data, drawings)
        if name in pictures and pictures[name]:
            if isinstance(data, bytes):
                head, found, tail = data.rpartition(b"</sheetData>")
                data = head + found + with_drawing(tail) if found else with_drawing(data)
            out.append((name, data))
            drawing = len(drawings) + 1
            drawings.append((name, drawing))
            out += sheet_picture_parts(name, drawing, image, pictures[name])
            media += media_parts(image, pictures[name])
            image += len(pictures[name])
        else:
            out.append((name, data))
        if index == last_sheet:
            out += media
    return out
