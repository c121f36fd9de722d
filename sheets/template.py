"""Books of one shape from a template: openpyxl writes a book of the shape once per process
(sheets/package.py, with marker values where each book differs), and every book of that shape is
the template's parts with its own values put in and its rows streamed into the zip. The result is
openpyxl's own output byte for byte (tests/sheets/test_templates.py). sheets/writer.py decides
which books a template covers; docs/sheets.md, "How it is fast enough"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.compat.strings import safe_string
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.xml.functions import tostring

from outputs.files import atomic_open
from sheets.drawings import Picture, content_types, media_parts, sheet_picture_parts, with_drawing
from sheets.package import ZIP_LEVEL, package_parts, row_chunks, split_sheet_data
from sheets.zipwriter import EPOCH, Deflated, ZipWriter, dos_stamp, now


@dataclass(frozen=True)
class Slot:
    """A place in a template's part where a book's own value goes: `kind` is "width" (sheet,
    column), "footer" (sheet), "filter_row" (sheet) or "title" (the book's title)."""

    kind: str
    sheet: int = 0
    column: int = 0


class BookTemplate:
    """A package openpyxl wrote once for a book shape (the same sheets, columns, panes, print setup),
    with marker values where each book has its own: the column widths, the footer, the last row
    of the filter range, the book's title. A book of that shape is the template's parts with its
    values put in and its rows streamed into the sheet parts: the per-book cost of openpyxl (the
    workbook and worksheet objects, their XML, the package) is paid once per shape and process.

    `markers` maps each Slot to the marker value the template book was made with (as the text
    openpyxl writes it); a marker found other than as often as expected (a filter row twice: the
    sheet's filter and the workbook's filter range; any other once) raises ValueError, and the
    caller writes that shape with openpyxl itself."""

    def __init__(self, wb: Workbook, markers: dict[Slot, bytes]):
        # (name, pieces, the part deflated when it is the same in every book): a piece is bytes, a
        # Slot, or an int (where sheet i's rows go)
        self.parts: list[tuple[str, list, Deflated | None]] = []
        written = package_parts(wb)  # names the sheets' parts (sheet1.xml, ...)
        sheet_parts = {ws.path[1:]: number for number, ws in enumerate(wb.worksheets)}
        for name, data in written:
            pieces: list = [data]
            if name in sheet_parts:
                pieces = _split_rows(data, name, sheet_parts[name])
            for slot, marker in markers.items():
                pieces = _split_marker(pieces, slot, marker)
            shared = Deflated.of(data, ZIP_LEVEL) if pieces == [data] else None
            self.parts.append((name, pieces, shared))
        found = Counter(piece for _, pieces, _ in self.parts for piece in pieces if isinstance(piece, Slot))
        unexpected = {slot: found[slot] for slot in markers if found[slot] != (2 if slot.kind == "filter_row" else 1)}
        if unexpected:
            raise ValueError(f"the template holds these markers other than as often as expected: {unexpected}")
        self.sheet_parts = sheet_parts
        self.last_sheet = max((n for n, (name, _, _) in enumerate(self.parts) if name in sheet_parts), default=-1)
        self._types: dict[tuple, Deflated] = {}

    def write(self, path: Path, values: dict[Slot, bytes], rows: list,
              pictures: dict[int, list[Picture]] | None = None) -> None:
        """The book at `path` (to a temporary name, renamed into place): `values` for every slot,
        `rows[i]` an iterable of the XML rows (str) of sheet i, `pictures[i]` the pictures of sheet
        i (sheets/drawings.py: added where openpyxl adds them). The parts in openpyxl's order, with
        zipfile's time stamps (now; a sheet part, streamed: 1980-01-01)."""
        stamp, sheet_stamp = now(), dos_stamp(EPOCH)
        pictures = {n: p for n, p in (pictures or {}).items() if p}
        drawings: list[tuple[str, int]] = []
        media: list[tuple[str, bytes]] = []
        with atomic_open(path) as out:
            archive = ZipWriter(out, ZIP_LEVEL)
            for index, (name, pieces, shared) in enumerate(self.parts):
                if name in self.sheet_parts:
                    sheet = self.sheet_parts[name]
                    archive.add_stream(name, _sheet_chunks(pieces, values, rows, sheet in pictures), sheet_stamp)
                    if sheet in pictures:
                        drawings.append((name, len(drawings) + 1))
                        first = len(media) + 1
                        for part, data in sheet_picture_parts(name, len(drawings), first, pictures[sheet]):
                            archive.add_bytes(part, data, stamp)
                        media += media_parts(first, pictures[sheet])
                    if index == self.last_sheet:
                        archive.add_stored_many(media, stamp)
                elif name == "[Content_Types].xml" and drawings:
                    archive.add(name, self._content_types(pieces, tuple(drawings)), stamp)
                elif shared is not None:
                    archive.add(name, shared, stamp)
                else:
                    archive.add_bytes(name, b"".join(values[p] if isinstance(p, Slot) else p for p in pieces), stamp)
            archive.close()

    def _content_types(self, pieces: list, drawings: tuple) -> Deflated:
        """The content types with pictures, deflated once per set of drawings."""
        if drawings not in self._types:
            self._types[drawings] = Deflated.of(content_types(b"".join(pieces), list(drawings)), ZIP_LEVEL)
        return self._types[drawings]


def _sheet_chunks(pieces: list, values: dict[Slot, bytes], rows: list, drawing: bool = False) -> Iterator[bytes]:
    for number, piece in enumerate(pieces):
        if isinstance(piece, int):
            yield from row_chunks(rows[piece])
            continue
        data = values[piece] if isinstance(piece, Slot) else piece
        yield with_drawing(data) if drawing and number == len(pieces) - 1 else data


def _split_rows(data: bytes, name: str, sheet: int) -> list:
    head, tail = split_sheet_data(data, name)
    return [head, sheet, tail]


def _split_marker(pieces: list, slot: Slot, marker: bytes) -> list:
    out: list = []
    for piece in pieces:
        if not isinstance(piece, bytes):
            out.append(piece)
            continue
        split = piece.split(marker)
        for number, part in enumerate(split):
            if number:
                out.append(slot)
            out.append(part)
    return out


def xml_text_ascii(text: str) -> bytes:
    """Text as openpyxl writes it in a worksheet part (lxml, ASCII: other characters as &#N;)."""
    return escape(text).encode("ascii", "xmlcharrefreplace")


def xml_text_utf8(text: str) -> bytes:
    """Text as openpyxl writes it in the document properties (lxml, UTF-8)."""
    return escape(text).encode("utf-8")


def plain_text(text: str) -> bool:
    """Text a template can take as is: no control character (lxml would escape or refuse it), no
    white space at either end (openpyxl then marks the element xml:space="preserve")."""
    return text == text.strip() and not any(
        ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff"
        for ch in text)


def breaks_xml(rows: list[int]) -> bytes:
    """A sheet's row breaks as openpyxl writes them (its <rowBreaks> element)."""
    breaks = RowBreak()
    for row in rows:
        breaks.append(Break(id=row))
    return tostring(breaks.to_tree())


def width_attribute(width: float) -> bytes:
    return b'width="' + safe_string(round(width, 1)).encode() + b'"'
