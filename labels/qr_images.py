"""QR symbols (labels/qr.py) as PNG files (for the handout list's pictures) and as PDF drawing
operators (for the labels), many at once."""

from __future__ import annotations

import struct
import zlib
from functools import cache

import numpy as np

QUIET = 4  # light modules round a symbol (the standard's quiet zone)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ADLER_MOD = 65521


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def _widen(scale: int) -> np.ndarray:
    """byte -> its bits each repeated `scale` times (`scale` bytes)."""
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
    return np.packbits(np.repeat(bits, scale, axis=1), axis=1)


def qr_pngs(symbols: np.ndarray, scale: int = 2, quiet: int = QUIET) -> list[bytes]:
    """One black-and-white PNG (1 bit a pixel) per symbol (codes, size, size), `scale` pixels a
    module, with the quiet zone. The files of a batch are one array, made at once: every one is as
    long (the pixel rows in one stored deflate block, a zlib stream: its Adler-32 by a product of
    the rows and the weights), and only each IDAT chunk's CRC is computed a file at a time."""
    count, size, _ = symbols.shape
    if count == 0:
        return []
    modules = size + 2 * quiet
    pixels = modules * scale
    padded = -(-modules // 8) * 8  # a row of modules, padded to whole bytes (dark: past the image's width)
    light = np.zeros((count, modules, padded), dtype=bool)  # PNG greyscale: 1 = white
    light[:, :, :modules] = True
    light[:, quiet:quiet + size, quiet:quiet + size] = ~symbols
    # a row's modules packed 8 to a byte (the whole batch at once: rows of whole bytes), each byte
    # widened to `scale` bytes (each bit `scale` bits), each row `scale` times
    packed = np.packbits(light).reshape(count, modules, padded // 8)
    wide = np.take(_widen(scale), packed, axis=0).reshape(count, modules, -1)[:, :, :(pixels + 7) // 8]
    rows = np.repeat(wide, scale, axis=1)
    raw = np.zeros((count, pixels, rows.shape[2] + 1), dtype=np.uint8)  # each row: filter 0, then its bytes
    raw[:, :, 1:] = rows
    data = raw.reshape(count, -1)
    length = data.shape[1]  # < 65,535: one stored block
    low = (1 + data.sum(axis=1, dtype=np.int64)) % ADLER_MOD
    high = (np.einsum("ij,j->i", data, np.arange(length, 0, -1, dtype=np.int32), dtype=np.int64) + length) % ADLER_MOD
    adler = ((high << 16) | low).astype(">u4")
    stream = b"\x78\x01\x01" + struct.pack("<HH", length, length ^ 0xFFFF)  # zlib header, a final stored block
    body = np.empty((count, 4 + len(stream) + length + 4), dtype=np.uint8)  # the IDAT chunk's type and data
    body[:, :4] = np.frombuffer(b"IDAT", dtype=np.uint8)
    body[:, 4:4 + len(stream)] = np.frombuffer(stream, dtype=np.uint8)
    body[:, 4 + len(stream):-4] = data
    body[:, -4:] = adler.view(np.uint8).reshape(count, 4)
    crc = zlib.crc32
    crcs = np.array([crc(chunk) for chunk in body], dtype=">u4")
    head = PNG_SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", pixels, pixels, 1, 0, 0, 0, 0))
    head += struct.pack(">I", body.shape[1] - 4)
    end = _chunk(b"IEND", b"")
    files = np.empty((count, len(head) + body.shape[1] + 4 + len(end)), dtype=np.uint8)
    files[:, :len(head)] = np.frombuffer(head, dtype=np.uint8)
    files[:, len(head):len(head) + body.shape[1]] = body
    files[:, -4 - len(end):-len(end)] = crcs.view(np.uint8).reshape(count, 4)
    files[:, -len(end):] = np.frombuffer(end, dtype=np.uint8)
    whole, width = files.tobytes(), files.shape[1]
    return [whole[at:at + width] for at in range(0, len(whole), width)]


def qr_image_operators(symbols: np.ndarray) -> list[str]:
    """Each symbol as a PDF inline image mask (1 bit a module, dark = painted, no quiet zone):
    drawn in a unit square, so the caller scales and places it with `cm`. ASCII (hex), so no byte
    of it can end the image early."""
    count, size, _ = symbols.shape
    if count == 0:
        return []
    padded = np.zeros((count, size, -(-size // 8) * 8), dtype=bool)  # rows of whole bytes: packed at once
    padded[:, :, :size] = symbols
    digits = np.packbits(padded).tobytes().hex()
    width = len(digits) // count
    head = f"BI /IM true /W {size} /H {size} /BPC 1 /D [1 0] /F /AHx ID "
    return [f"{head}{digits[at:at + width]}> EI" for at in range(0, len(digits), width)]
