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

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from isal import isal_zlib

from labels.truetype import FONT_NAME, Font, subset_font
from outputs.files import atomic_open

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
    def __init__(self, out):
        self.out, self.offsets, self.at = out, [], 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.at += len(data)

    def add(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        while len(self.offsets) < number:
            self.offsets.append(0)
        self.offsets[number - 1] = self.at
        head = b"%d 0 obj\n" % number + body
        if stream is None:
            self._write(head + b"\nendobj\n")
        else:
            self._write(head + b"\nstream\n" + stream + b"\nendstream\nendobj\n")

    def close(self, root: int, info: int) -> None:
        start = self.at
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1)]
        lines += [b"%010d 00000 n \n" % offset for offset in self.offsets]
        self._write(b"".join(lines) + b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                    % (len(self.offsets) + 1, root, info, start))


def write_pdf(path: Path, size: PageSize, pages: list[str], text: str, font: Font, title: str) -> None:
    """The PDF at `path` (to a temporary name, renamed into place): `pages` are the content streams
    (ASCII), `text` every character they print (for the font subset)."""
    codes = sorted({ord(c) for c in text} | {0x20})
    font_file, cid_map = subset_font(font, codes)
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(font_file).digest()[:6])
    base = f"/{tag}+{FONT_NAME}".encode("ascii")
    scale = 1000 / font.units_per_em
    bbox = " ".join(str(round(v * scale)) for v in font.bbox).encode()
    first_page = 11
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(pages)))
    with atomic_open(path) as out:
        pdf = _Objects(out)
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
        box = b"[0 0 %s %s]" % (_number(size.width), _number(size.height))
        for i, content in enumerate(pages):
            data = content.encode("ascii")
            pdf.add(first_page + 2 * i, b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources 9 0 R "
                                        b"/Contents %d 0 R >>" % (box, first_page + 2 * i + 1))
            pdf.add(first_page + 2 * i + 1, b"<< /Length %d >>" % len(data), data)
        pdf.close(1, 10)


def _number(value: float) -> bytes:
    return (b"%.2f" % value).rstrip(b"0").rstrip(b".")
