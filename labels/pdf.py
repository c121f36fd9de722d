"""A PDF of labels: one label a page (a label printer's roll) or many labels on A4 pages, every
page a content stream made elsewhere (labels/crate_labels.py, labels/household_labels.py), with
the text in the one embedded font (labels/truetype.py).

What a file holds (PDF 1.4): the catalog and page tree; the font as a Type0 font over a
CIDFontType2 (Identity-H; the codes are the characters' code points) with the subset of glyphs
its text uses (FontFile2), a CIDToGIDMap, the widths of the characters that are not 1 em, and a
ToUnicode map (so pdftotext and a search in a PDF viewer read the text); each page's content
stream. No time stamp: the same labels give the same bytes (a rerun changes nothing).

Why not reportlab: measured here, reportlab 5.1 draws a household label (eight lines of text and
a QR code) in ~1.4 ms; a run at 1M order lines prints ~480,000 of them (the run's whole budget for
labels is ~2 s). Here a label is a few hundred bytes of content made by polars in bulk, and a file
costs its font subset (~0.3 ms).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from isal import isal_zlib

from labels.truetype import FONT_NAME, Font, subset_font
from outputs.files import write_staged

MM = 72 / 25.4
FONT_RESOURCE = "F1"
LEVEL = 1  # ISA-L deflate level of the font streams


@dataclass(frozen=True)
class PageSize:
    """A page (points). `label` is the label's own size on it: the page itself for a label
    printer, a cell of `columns` x `rows` on an A4 sheet (with `margin` round the sheet)."""

    name: str
    width: float
    height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    margin_x: float = 0.0
    margin_y: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """The lower left corner of label `slot` (0 .. per_page - 1), left to right, top to bottom."""
        column, row = slot % self.columns, slot // self.columns
        return (self.margin_x + column * self.label_width,
                self.height - self.margin_y - (row + 1) * self.label_height)


def _label(width_mm: float, height_mm: float, name: str) -> PageSize:
    return PageSize(name, width_mm * MM, height_mm * MM, width_mm * MM, height_mm * MM)


A4_WIDTH, A4_HEIGHT = 210 * MM, 297 * MM
SIZES = {
    "60x40": _label(60, 40, "60x40"),
    "80x60": _label(80, 60, "80x60"),
    # A4 sheets of 2 x 4 labels of 100 x 70 mm (cut, or a sheet of self-adhesive labels of that grid);
    # each label is laid out as an 80 x 60 one, scaled by 1.25 (see labels.layout)
    "a4": PageSize("a4", A4_WIDTH, A4_HEIGHT, 100 * MM, 70 * MM, 2, 4, 5 * MM, 8.5 * MM),
}
DEFAULT_SIZE = "80x60"


def page_size(name: str) -> PageSize:
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"label size must be one of {', '.join(SIZES)}, not {name!r}") from None


def _text_string(text: str) -> bytes:
    """A PDF text string (document title): UTF-16BE with its byte order mark, hex."""
    return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"


@cache
def _to_unicode() -> bytes:
    """The ToUnicode map of every file: code = code point, so one range per high byte."""
    ranges = "\n".join(f"<{high:02x}00> <{high:02x}ff> <{high:02x}00>" for high in range(256)
                       if not 0xD8 <= high <= 0xDF)  # not the surrogates
    body = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
            f"{248} beginbfrange\n{ranges}\nendbfrange\nendcmap\n"
            "CMapName currentdict /CMap defineresource pop\nend\nend\n")
    return isal_zlib.compress(body.encode("ascii"), LEVEL)


def _widths(font: Font, codes: list[int]) -> bytes:
    """The W array: the characters whose advance is not the default 1,000 (the CJK ones are)."""
    array = np.asarray(codes, dtype=np.int64)
    widths = font.pdf_widths(array)
    other = widths != 1000
    entries = [f"{code} [{width}]" for code, width in zip(array[other].tolist(), widths[other].tolist(), strict=True)]
    return ("[" + " ".join(entries) + "]").encode("ascii")


class _Objects:
    """A PDF's objects in memory (the file is written at once), with each one's offset."""

    def __init__(self):
        self.parts, self.offsets, self.at = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"], [], 15

    def add(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        if number != len(self.offsets) + 1:
            raise ValueError(f"PDF objects are added in order: {number} after {len(self.offsets)}")
        head = b"%d 0 obj\n" % number + body
        data = head + b"\nendobj\n" if stream is None else head + b"\nstream\n" + stream + b"\nendstream\nendobj\n"
        self.offsets.append(self.at)
        self.parts.append(data)
        self.at += len(data)

    def add_pages(self, first: int, box: bytes, contents: list[str]) -> None:
        """Each page object (`first`, `first` + 2, ...) with its content stream after it, in bulk."""
        parts, offsets, at = self.parts, self.offsets, self.at
        if first != len(offsets) + 1:
            raise ValueError(f"PDF objects are added in order: {first} after {len(offsets)}")
        for number in range(first, first + 2 * len(contents), 2):
            data = contents[(number - first) // 2].encode("ascii")
            page = (b"%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources 9 0 R /Contents %d 0 R >>"
                    b"\nendobj\n" % (number, box, number + 1))
            stream = b"%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (number + 1, len(data), data)
            offsets += (at, at + len(page))
            at += len(page) + len(stream)
            parts += (page, stream)
        self.at = at

    def close(self, root: int, info: int) -> bytes:
        """The whole file: the objects, the cross-reference table and the trailer."""
        xref = b"".join([b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1),
                         *(b"%010d 00000 n \n" % offset for offset in self.offsets)])
        trailer = (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                   % (len(self.offsets) + 1, root, info, self.at))
        return b"".join([*self.parts, xref, trailer])


def _subset_tag(font_file: bytes) -> str:
    """The subset's six capital letters (the font's name in the file is `<tag>+<name>`): its CRC-32
    in base 26 (a checksum: a SHA-256 of each file's ~50-100 KB subset cost ~0.2 ms)."""
    value = zlib.crc32(font_file)
    letters = []
    for _ in range(6):
        value, letter = divmod(value, 26)
        letters.append(chr(65 + letter))
    return "".join(letters)


def text_codes(text: str) -> list[int]:
    """The code points of a printable text (labels/truetype.printable: all in the BMP), and the
    space, ascending: marked in a table of 65,536 (~100x a set of the characters)."""
    seen = np.zeros(0x10000, dtype=bool)
    seen[np.frombuffer(text.encode("utf-16-le"), dtype="<u2")] = True
    seen[0x20] = True
    return np.flatnonzero(seen).tolist()


def write_pdf(path: Path, size: PageSize, pages: list[str], text: str, font: Font, title: str) -> None:
    """The PDF at `path`: `pages` are the content streams (ASCII), `text` every character they
    print (printable, for the font subset). Written straight to `path`, not to a temporary name
    renamed into place: label files are only written in a run's staging folder, which is renamed
    into place whole (outputs/files.py write_staged)."""
    codes = text_codes(text)
    font_file, cid_map = subset_font(font, codes)
    tag = _subset_tag(font_file)
    base = f"/{tag}+{FONT_NAME}".encode("ascii")
    scale = 1000 / font.units_per_em
    bbox = " ".join(str(round(v * scale)) for v in font.bbox).encode()
    first_page = 11
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(pages)))
    pdf = _Objects()
    pdf.add(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    pdf.add(2, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(pages), kids))
    pdf.add(3, b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H /DescendantFonts [4 0 R] "
               b"/ToUnicode 7 0 R >>" % base)
    pdf.add(4, b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s /CIDSystemInfo << /Registry (Adobe) "
               b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /DW 1000 /W %s "
               b"/CIDToGIDMap 8 0 R >>" % (base, _widths(font, codes)))
    pdf.add(5, b"<< /Type /FontDescriptor /FontName %s /Flags 4 /FontBBox [%s] /ItalicAngle 0 /Ascent %d "
               b"/Descent %d /CapHeight %d /StemV 80 /FontFile2 6 0 R >>"
            % (base, bbox, round(font.ascent * scale), round(font.descent * scale), round(font.ascent * scale)))
    packed = isal_zlib.compress(font_file, LEVEL)
    pdf.add(6, b"<< /Length %d /Length1 %d /Filter /FlateDecode >>" % (len(packed), len(font_file)), packed)
    to_unicode = _to_unicode()
    pdf.add(7, b"<< /Length %d /Filter /FlateDecode >>" % len(to_unicode), to_unicode)
    cid_bytes = isal_zlib.compress(cid_map.tobytes(), LEVEL)
    pdf.add(8, b"<< /Length %d /Filter /FlateDecode >>" % len(cid_bytes), cid_bytes)
    pdf.add(9, b"<< /Font << /%s 3 0 R >> /ProcSet [/PDF /Text /ImageB] >>" % FONT_RESOURCE.encode())
    pdf.add(10, b"<< /Title %s /Producer (cutoff) >>" % _text_string(title))
    pdf.add_pages(first_page, b"[0 0 %s %s]" % (_number(size.width), _number(size.height)), pages)
    write_staged(path, pdf.close(1, 10))


def _number(value: float) -> bytes:
    return (b"%.2f" % value).rstrip(b"0").rstrip(b".")
