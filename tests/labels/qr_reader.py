"""A QR reader for the tests, as a scanner reads: the format bits (which mask), the modules
unmasked in the standard's zigzag, the codewords de-interleaved and checked against their
Reed-Solomon codewords, the segment (alphanumeric or byte) decoded. Level M, versions 1-6 (what
labels/qr.py makes). Also: a symbol read back from a PNG or a PDF inline image."""

from __future__ import annotations

import re
import struct
import zlib

import numpy as np

from labels import qr

ALNUM = qr.ALPHANUMERIC


def _format(symbol: np.ndarray) -> int:
    bits = 0
    for i, (row, col) in enumerate(qr._format_positions(symbol.shape[0])[0]):
        bits |= int(symbol[row, col]) << i
    for mask in range(8):
        if qr.format_bits(mask) == bits:
            return mask
    raise ValueError("no level M format information: not a code of labels/qr.py")


def read_symbol(symbol: np.ndarray) -> str:
    size = symbol.shape[0]
    version = (size - 17) // 4
    mask = _format(symbol)
    fixed, _, rows, cols, masks, _ = qr._shape(version)
    bits = (symbol ^ masks[mask])[rows, cols]
    total = qr.total_codewords(version)
    codewords = np.packbits(bits[:total * 8])
    ec, blocks = qr.EC_M[version]
    short_blocks = blocks - total % blocks
    short_len = total // blocks
    lengths = [short_len - ec + (0 if b < short_blocks else 1) for b in range(blocks)]
    data = [[] for _ in range(blocks)]
    at = 0
    for i in range(max(lengths)):
        for b in range(blocks):
            if i < lengths[b]:
                data[b].append(codewords[at])
                at += 1
    checks = [[] for _ in range(blocks)]
    for _ in range(ec):
        for b in range(blocks):
            checks[b].append(codewords[at])
            at += 1
    for block, check in zip(data, checks, strict=True):
        expected = qr._remainders(np.array([block], dtype=np.uint8), ec)[0]
        if list(expected) != [int(c) for c in check]:
            raise ValueError("the error correction codewords do not match the data")
    stream = np.unpackbits(np.array([c for block in data for c in block], dtype=np.uint8))
    return _segment("".join(map(str, stream)))


def _segment(bits: str) -> str:
    mode, rest = bits[:4], bits[4:]
    if mode == "0010":
        count, rest = int(rest[:9], 2), rest[9:]
        out = []
        for _ in range(count // 2):
            value, rest = int(rest[:11], 2), rest[11:]
            out += [ALNUM[value // 45], ALNUM[value % 45]]
        if count % 2:
            out.append(ALNUM[int(rest[:6], 2)])
        return "".join(out)
    if mode == "0100":
        count, rest = int(rest[:8], 2), rest[8:]
        return bytes(int(rest[8 * i:8 * i + 8], 2) for i in range(count)).decode("utf-8")
    raise ValueError(f"mode {mode} is not alphanumeric or byte")


def symbol_from_png(png: bytes) -> np.ndarray:
    """The modules of a 1-bit greyscale PNG of labels/qr_images.qr_pngs (quiet zone of 4)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        chunks.setdefault(kind, b"")
        chunks[kind] += png[at + 8:at + 8 + length]
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (1, 0)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, -1)
    assert (raw[:, 0] == 0).all()  # filter 0 on every row
    pixels = ~np.unpackbits(raw[:, 1:], axis=1)[:, :width].astype(bool)  # dark = True
    modules = next(m for m in range(21 + 8, 45 + 9, 4) if width % m == 0)
    scale = width // modules
    grid = pixels[scale // 2::scale, scale // 2::scale]
    return grid[4:-4, 4:-4]


def symbols_in_content(content: str) -> list[np.ndarray]:
    """Every inline image mask of a PDF content stream (labels/qr_images.qr_image_operators)."""
    found = []
    for size, data in re.findall(r"BI /IM true /W (\d+) /H \d+ /BPC 1 /D \[1 0\] /F /AHx ID ([0-9a-f]*)> EI",
                                 content):
        size = int(size)
        rows = np.frombuffer(bytes.fromhex(data), dtype=np.uint8).reshape(size, -1)
        found.append(np.unpackbits(rows, axis=1)[:, :size].astype(bool))
    return found
