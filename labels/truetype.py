"""The labels' font (labels/fonts/CutoffLabelSans.ttf, tools/build_label_font.py), read once per
process, and the subset of it each PDF embeds.

Text is written with two-byte codes that are the characters' Unicode code points (CIDs = code
points, Identity-H): so a string's code is its UTF-16 text (no per-document table), pdftotext reads
it back through a ToUnicode map that is the same for every file, and each file embeds only the
glyphs its text uses (a TrueType font of those glyphs, numbered 1..n, and a CIDToGIDMap from code
point to glyph). A character the font lacks (outside GBK and Latin-1, an emoji) is printed as 〓
(the geta mark, the typesetter's sign of a missing character), in print and in the text alike.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "CutoffLabelSans.ttf"
FONT_NAME = "CutoffLabelSans"
MISSING = "\u3013"  # 〓


@dataclass(frozen=True)
class Font:
    tables: dict[str, bytes]
    units_per_em: int
    ascent: int
    descent: int
    glyph_of: np.ndarray       # code point (BMP) -> glyph id, 0 where the font has none
    advance: np.ndarray        # glyph id -> advance width (font units)
    lsb: np.ndarray            # glyph id -> left side bearing
    glyph_start: np.ndarray    # glyph id -> offset in glyf; glyph_start[g + 1] its end
    bbox: tuple[int, int, int, int]
    missing_pattern: re.Pattern  # a character it cannot print

    def width(self, text: str, size: float) -> float:
        """The advance of `text` (as printed: missing characters as 〓) at `size` points."""
        codes = np.frombuffer(printable(text, self).encode("utf-16-le"), dtype="<u2")
        return float(self.advance[self.glyph_of[codes]].sum()) * size / self.units_per_em

    def pdf_widths(self, codes: np.ndarray) -> np.ndarray:
        """The characters' advances in PDF glyph space (1,000 to the em)."""
        return np.rint(self.advance[self.glyph_of[codes]] * 1000 / self.units_per_em).astype(np.int64)


def printable(text: str, font: Font) -> str:
    """`text` with every character the font lacks replaced by 〓."""
    return font.missing_pattern.sub(MISSING, text)


def _tables(data: bytes) -> dict[str, bytes]:
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag.decode("latin-1")] = data[offset:offset + length]
    return tables


def _cmap(table: bytes) -> dict[int, int]:
    """Unicode -> glyph from the font's format 4 (BMP) subtable."""
    count = struct.unpack_from(">H", table, 2)[0]
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * i)
        if (platform, encoding) in ((3, 1), (0, 3)) and struct.unpack_from(">H", table, offset)[0] == 4:
            break
    else:
        raise ValueError("the label font has no Unicode BMP cmap (format 4)")
    segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
    base = offset + 14
    ends = struct.unpack_from(f">{segments}H", table, base)
    starts = struct.unpack_from(f">{segments}H", table, base + 2 * segments + 2)
    deltas = struct.unpack_from(f">{segments}h", table, base + 4 * segments + 2)
    range_at = base + 6 * segments + 2
    ranges = struct.unpack_from(f">{segments}H", table, range_at)
    mapping = {}
    for s, (start, end, delta, range_offset) in enumerate(zip(starts, ends, deltas, ranges, strict=True)):
        for code in range(start, end + 1):
            if code == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = range_at + 2 * s + range_offset + 2 * (code - start)
                glyph = struct.unpack_from(">H", table, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


def _missing_pattern(covered: set[int]) -> re.Pattern:
    ranges, start, last = [], None, None
    for code in sorted(covered):
        if start is None:
            start = last = code
        elif code == last + 1:
            last = code
        else:
            ranges.append((start, last))
            start = last = code
    if start is not None:
        ranges.append((start, last))
    parts = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[^{parts}]")


@cache
def load_font(path: Path = FONT_PATH) -> Font:
    tables = _tables(path.read_bytes())
    head, hhea, maxp = tables["head"], tables["hhea"], tables["maxp"]
    units = struct.unpack_from(">H", head, 18)[0]
    bbox = struct.unpack_from(">4h", head, 36)
    long_loca = struct.unpack_from(">h", head, 50)[0] == 1
    glyphs = struct.unpack_from(">H", maxp, 4)[0]
    ascent, descent = struct.unpack_from(">hh", hhea, 4)
    metrics = struct.unpack_from(">H", hhea, 34)[0]
    hmtx = np.frombuffer(tables["hmtx"][:4 * metrics], dtype=">i2").reshape(metrics, 2)
    advance = np.empty(glyphs, dtype=np.int64)
    lsb = np.empty(glyphs, dtype=np.int64)
    advance[:metrics], lsb[:metrics] = hmtx[:, 0].astype(np.uint16), hmtx[:, 1]
    advance[metrics:] = advance[metrics - 1]
    lsb[metrics:] = np.frombuffer(tables["hmtx"][4 * metrics:4 * metrics + 2 * (glyphs - metrics)], dtype=">i2")
    loca = np.frombuffer(tables["loca"], dtype=">u4" if long_loca else ">u2").astype(np.int64)[:glyphs + 1]
    if not long_loca:
        loca = loca * 2
    mapping = _cmap(tables["cmap"])
    glyph_of = np.zeros(0x10000, dtype=np.int64)
    glyph_of[list(mapping)] = list(mapping.values())
    if not glyph_of[ord(MISSING)]:
        raise ValueError(f"the label font {path} has no {MISSING}")
    covered = set(mapping)
    glyph_of[np.flatnonzero(glyph_of == 0)] = glyph_of[ord(MISSING)]  # what prints in place of a missing one
    return Font(tables, units, ascent, descent, glyph_of, advance, lsb, loca, bbox, _missing_pattern(covered))


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return int(np.frombuffer(padded, dtype=">u4").sum(dtype=np.uint64) & 0xFFFFFFFF)


def subset_font(font: Font, codes: list[int]) -> tuple[bytes, np.ndarray]:
    """A TrueType font of the glyphs of `codes` (code points, printable) and the CIDToGIDMap
    (code point -> its glyph in that font, 0 below the highest code). Glyph 0 is .notdef."""
    code_array = np.asarray(codes, dtype=np.int64)
    glyphs = np.unique(font.glyph_of[code_array]) if len(code_array) else np.zeros(0, dtype=np.int64)
    order = np.concatenate([[0], glyphs[glyphs != 0]]).astype(np.int64)
    starts, ends = font.glyph_start[order], font.glyph_start[order + 1]
    glyf = font.tables["glyf"]
    data = b"".join([glyf[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)])
    loca = np.concatenate([[0], np.cumsum(ends - starts)]).astype(">u4")
    cid_map = np.zeros(int(code_array.max(initial=0)) + 1, dtype=">u2")
    if len(code_array):
        cid_map[code_array] = np.searchsorted(order, font.glyph_of[code_array])
    count = len(order)
    head = bytearray(font.tables["head"])
    struct.pack_into(">I", head, 8, 0)     # checkSumAdjustment (readers do not check it)
    struct.pack_into(">h", head, 50, 1)    # long loca offsets
    hhea = bytearray(font.tables["hhea"])
    struct.pack_into(">H", hhea, 34, count)
    maxp = bytearray(font.tables["maxp"])
    struct.pack_into(">H", maxp, 4, count)
    hmtx = np.empty((count, 2), dtype=">i2")
    hmtx[:, 0] = font.advance[order].astype(np.uint16).view(np.int16)
    hmtx[:, 1] = font.lsb[order]
    post = struct.pack(">IIhhIIIII", 0x00030000, 0, 0, 0, 0, 0, 0, 0, 0)
    tables = {"glyf": data, "head": bytes(head), "hhea": bytes(hhea), "hmtx": hmtx.tobytes(),
              "loca": loca.tobytes(), "maxp": bytes(maxp), "post": post}
    return _font_file(tables), cid_map


def _font_file(tables: dict[str, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    offset = 12 + 16 * count
    records, bodies = [], []
    for tag in tags:
        data = tables[tag]
        records.append(struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset, len(data)))
        padded = data + b"\0" * (-len(data) % 4)
        bodies.append(padded)
        offset += len(padded)
    return header + b"".join(records) + b"".join(bodies)
