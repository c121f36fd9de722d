"""QR symbols (labels/qr.py) as PNG files (for the handout list's pictures) and as PDF drawing
operators (for the labels), many at once."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from isal import isal_zlib

QUIET = 4  # light modules round a symbol (the standard's quiet zone)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def qr_pngs(symbols: np.ndarray, scale: int = 2, quiet: int = QUIET) -> list[bytes]:
    """One black-and-white PNG (1 bit a pixel) per symbol (codes, size, size), `scale` pixels a
    module, with the quiet zone. The pixel rows are made for the whole batch at once; each file is
    then its header, its rows deflated (ISA-L's fastest level, a zlib stream) and the end."""
    count, size, _ = symbols.shape
    if count == 0:
        return []
    modules = size + 2 * quiet
    pixels = modules * scale
    grid = np.zeros((count, modules, modules), dtype=bool)
    grid[:, quiet:quiet + size, quiet:quiet + size] = symbols
    light = np.broadcast_to(~grid[:, :, None, :, None], (count, modules, scale, modules, scale))
    rows = np.packbits(light.reshape(count, pixels, pixels), axis=2)  # PNG greyscale: 1 = white
    raw = np.zeros((count, pixels, rows.shape[2] + 1), dtype=np.uint8)  # each row: filter 0, then its bytes
    raw[:, :, 1:] = rows
    data = raw.reshape(count, -1)
    head = PNG_SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", pixels, pixels, 1, 0, 0, 0, 0))
    end = _chunk(b"IEND", b"")
    compress, crc, pack = isal_zlib.compress, zlib.crc32, struct.pack
    out = []
    for image in data:
        body = b"IDAT" + compress(image.tobytes(), 0)
        out.append(b"".join((head, pack(">I", len(body) - 4), body, pack(">I", crc(body)), end)))
    return out


def qr_image_operators(symbols: np.ndarray) -> list[str]:
    """Each symbol as a PDF inline image mask (1 bit a module, dark = painted, no quiet zone):
    drawn in a unit square, so the caller scales and places it with `cm`. ASCII (hex), so no byte
    of it can end the image early."""
    count, size, _ = symbols.shape
    if count == 0:
        return []
    rows = np.packbits(symbols, axis=2).reshape(count, -1)
    head = f"BI /IM true /W {size} /H {size} /BPC 1 /D [1 0] /F /AHx ID "
    return [f"{head}{row.tobytes().hex()}> EI" for row in rows]
