"""QR codes (ISO/IEC 18004), many at once: a run draws one per order (~500,000 at 1M order lines),
on the handout lists and the household labels, so the codes are made in batches with numpy, not
one by one (a pure-Python encoder takes ~1 ms a code; this ~10 us).

`qr_matrices(texts, mode)` encodes texts of the same length (so of one version) at error
correction level M (15% of the symbol may be lost): the data bits, the Reed-Solomon codewords
(over GF(256), vectorised over the batch), the modules placed in the standard zigzag, the eight
masks tried and the one with the lowest penalty kept, the format bits. Versions 1-6 (up to 106
bytes): a pickup code is 19 characters (version 1, 21 x 21 modules), a pickup point id at most
64 (version 5). Modes: alphanumeric (0-9, A-Z, space and $%*+-./:) and byte (UTF-8). The
matrices equal segno's for the same text, mode and mask (tests/labels/test_qr.py); any reader
reads them. Returns a bool array (codes, size, size), True = dark, without the quiet zone.
"""

from __future__ import annotations

import numpy as np

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
ALNUM, BYTE = "alphanumeric", "byte"
# level M, versions 1-6: (error correction codewords per block, blocks); the total codewords per version
EC_M = {1: (10, 1), 2: (16, 1), 3: (26, 1), 4: (18, 2), 5: (24, 2), 6: (16, 4)}
ALIGNMENT = {1: [], 2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34]}
LEVEL_M_BITS = 0
CHUNK = 8192  # codes masked at once (8 masks x size^2 bytes each)

_ALNUM_VALUE = np.full(256, 255, dtype=np.uint8)
_ALNUM_VALUE[np.frombuffer(ALPHANUMERIC.encode(), dtype=np.uint8)] = np.arange(45, dtype=np.uint8)

# GF(256) over x^8 + x^4 + x^3 + x^2 + 1
_EXP = np.zeros(512, dtype=np.int32)
_LOG = np.zeros(256, dtype=np.int32)
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
_EXP[255:510] = _EXP[:255]


def _gf_mul_table() -> np.ndarray:
    a = np.arange(256)
    table = _EXP[(_LOG[a][:, None] + _LOG[a][None, :]) % 255].astype(np.uint8)
    table[0, :] = table[:, 0] = 0
    return table


_MUL = _gf_mul_table()


def _divisor(degree: int) -> np.ndarray:
    """The Reed-Solomon generator's coefficients (without the leading 1), highest power first."""
    result = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            result[j] = int(_MUL[result[j], root])
            if j + 1 < degree:
                result[j] ^= result[j + 1]
        root = int(_MUL[root, 2])
    return np.array(result, dtype=np.uint8)


def _remainders(data: np.ndarray, degree: int) -> np.ndarray:
    """The error correction codewords of each row of `data` (codes, k)."""
    products = _MUL[:, _divisor(degree)]  # factor -> the divisor times it
    rem = np.zeros((data.shape[0], degree + 1), dtype=np.uint8)
    for k in range(data.shape[1]):
        factor = data[:, k] ^ rem[:, 0]
        rem[:, :-1] = rem[:, 1:]
        rem[:, :-1] ^= products[factor]
    return rem[:, :-1]


def size_of(version: int) -> int:
    return 17 + 4 * version


def total_codewords(version: int) -> int:
    size = size_of(version)
    modules = size * size - 3 * 64 - 2 * 15 - 1 - 2 * (size - 16)  # finders with separators, format, dark, timing
    if version >= 2:
        count = len(ALIGNMENT[version])
        modules -= (count * count - 3) * 25 - 2 * (count - 2) * 5  # alignment patterns (those on timing counted once)
    return modules // 8


def data_codewords(version: int) -> int:
    ec, blocks = EC_M[version]
    return total_codewords(version) - ec * blocks


def _capacity_bits(version: int) -> int:
    return data_codewords(version) * 8


def _payload_bits(mode: str, length: int) -> int:
    if mode == ALNUM:
        return 4 + 9 + 11 * (length // 2) + 6 * (length % 2)
    return 4 + 8 + 8 * length


def version_for(mode: str, length: int) -> int:
    """The smallest version (1-6, level M) that holds `length` characters (alphanumeric) or bytes."""
    for version in EC_M:
        if _payload_bits(mode, length) <= _capacity_bits(version):
            return version
    raise ValueError(f"{length} {mode} characters do not fit a version 6 QR code at level M")


def _function_modules(version: int) -> tuple[np.ndarray, np.ndarray]:
    """(is a function module, its colour) of a version's symbol, format areas reserved (light)."""
    size = size_of(version)
    fixed = np.zeros((size, size), dtype=bool)
    dark = np.zeros((size, size), dtype=bool)
    fixed[6, :] = fixed[:, 6] = True
    dark[6, ::2] = dark[::2, 6] = True
    for row, col in ((0, 0), (0, size - 7), (size - 7, 0)):
        r0, c0 = max(row - 1, 0), max(col - 1, 0)
        fixed[r0:row + 8, c0:col + 8] = True
        dark[r0:row + 8, c0:col + 8] = False
        dark[row:row + 7, col:col + 7] = True
        dark[row + 1:row + 6, col + 1:col + 6] = False
        dark[row + 2:row + 5, col + 2:col + 5] = True
    centres = ALIGNMENT[version]
    for cy in centres:
        for cx in centres:
            if (cy, cx) in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                continue
            fixed[cy - 2:cy + 3, cx - 2:cx + 3] = True
            dark[cy - 2:cy + 3, cx - 2:cx + 3] = True
            dark[cy - 1:cy + 2, cx - 1:cx + 2] = False
            dark[cy, cx] = True
    fixed[8, :9] = fixed[:9, 8] = True          # format information
    fixed[8, size - 8:] = fixed[size - 7:, 8] = True
    dark[8, :9] &= fixed[8, :9] & dark[8, :9] & False
    dark[:9, 8] = np.where(np.arange(9) == 6, True, False)
    dark[8, :9] = np.where(np.arange(9) == 6, True, False)
    dark[8, size - 8:] = False
    dark[size - 7:, 8] = False
    dark[size - 8, 8] = True  # the dark module
    fixed[size - 8, 8] = True
    return fixed, dark


def _zigzag(fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (row, col) of every data module, in the order the bits are placed."""
    size = fixed.shape[0]
    rows, cols = [], []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for x in (right, right - 1):
                if not fixed[y, x]:
                    rows.append(y)
                    cols.append(x)
        right -= 2
    return np.array(rows), np.array(cols)


def _mask_patterns(size: int) -> np.ndarray:
    i, j = np.indices((size, size))
    return np.stack([(i + j) % 2 == 0, i % 2 == 0, j % 3 == 0, (i + j) % 3 == 0, (i // 2 + j // 3) % 2 == 0,
                     (i * j) % 2 + (i * j) % 3 == 0, ((i * j) % 2 + (i * j) % 3) % 2 == 0,
                     ((i + j) % 2 + (i * j) % 3) % 2 == 0])


def format_bits(mask: int, level_bits: int = LEVEL_M_BITS) -> int:
    data = (level_bits << 3) | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    return ((data << 10) | rem) ^ 0x5412


def _format_positions(size: int) -> tuple[list, list]:
    """Where each of the 15 format bits goes (bit i: two (row, col) places)."""
    first = [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - i) for i in range(9, 15)]
    second = [(8, size - 1 - i) for i in range(8)] + [(size - 15 + i, 8) for i in range(8, 15)]
    return first, second


_SHAPES: dict[int, tuple] = {}


def _shape(version: int) -> tuple:
    if version not in _SHAPES:
        fixed, dark = _function_modules(version)
        size = fixed.shape[0]
        rows, cols = _zigzag(fixed)
        masks = _mask_patterns(size) & ~fixed[None]
        first, second = _format_positions(size)
        formats = np.zeros((8, size, size), dtype=bool)
        for mask in range(8):
            bits = format_bits(mask)
            for i in range(15):
                for row, col in (first[i], second[i]):
                    formats[mask, row, col] = bool((bits >> i) & 1)
        _SHAPES[version] = (fixed, dark, rows, cols, masks, formats)
    return _SHAPES[version]


def _bits(values: np.ndarray, width: int) -> np.ndarray:
    """Each value (codes, k) as `width` bits, most significant first: (codes, k * width) uint8."""
    big = values.astype(">u2").view(np.uint8).reshape(values.shape[0], values.shape[1], 2)
    return np.unpackbits(big, axis=2)[:, :, 16 - width:].reshape(values.shape[0], -1)


def _data_bits(values: np.ndarray, mode: str, version: int) -> np.ndarray:
    """The padded data codewords (codes, k) of same-length inputs (alphanumeric values or bytes)."""
    count, length = values.shape
    if mode == ALNUM:
        header = [0, 0, 1, 0] + [(length >> s) & 1 for s in range(8, -1, -1)]
        pairs = values[:, : length - length % 2].reshape(count, -1, 2).astype(np.uint16)
        body = [_bits(pairs[:, :, 0] * 45 + pairs[:, :, 1], 11)]
        if length % 2:
            body.append(_bits(values[:, -1:], 6))
    else:
        header = [0, 1, 0, 0] + [(length >> s) & 1 for s in range(7, -1, -1)]
        body = [np.unpackbits(values.astype(np.uint8), axis=1)]
    capacity = _capacity_bits(version)
    used = len(header) + sum(b.shape[1] for b in body)
    terminator = min(4, capacity - used)
    fill = (-(used + terminator)) % 8
    pad_bytes = (capacity - used - terminator - fill) // 8
    tail = [0] * (terminator + fill) + np.unpackbits(np.array(([0xEC, 0x11] * pad_bytes)[:pad_bytes],
                                                              dtype=np.uint8)).tolist()
    bits = np.empty((count, capacity), dtype=np.uint8)
    bits[:, :len(header)] = header
    at = len(header)
    for part in body:
        bits[:, at:at + part.shape[1]] = part
        at += part.shape[1]
    bits[:, at:] = tail
    return np.packbits(bits, axis=1)


def _codewords(data: np.ndarray, version: int) -> np.ndarray:
    """Data and error correction codewords, split into blocks and interleaved."""
    ec, blocks = EC_M[version]
    raw = total_codewords(version)
    short_blocks = blocks - raw % blocks
    short_len = raw // blocks
    parts, start = [], 0
    for b in range(blocks):
        length = short_len - ec + (0 if b < short_blocks else 1)
        block = data[:, start:start + length]
        start += length
        parts.append((block, _remainders(block, ec)))
    out = []
    for i in range(short_len - ec + 1):
        for block, _ in parts:
            if i < block.shape[1]:
                out.append(block[:, i])
    for i in range(ec):
        for _, rem in parts:
            out.append(rem[:, i])
    return np.stack(out, axis=1)


def _penalties(symbols: np.ndarray) -> np.ndarray:
    """The mask penalty (ISO 18004, 7.8.3) of each symbol (..., size, size): runs of five or more
    of a colour, 2 x 2 blocks, finder-like 1:1:3:1:1 patterns with four light modules on a side
    (the quiet zone counts as light), the balance of dark and light."""
    total = np.zeros(symbols.shape[:-2], dtype=np.int64)
    width = symbols.shape[-1]
    for grid in (symbols, np.swapaxes(symbols, -1, -2)):
        same = grid[..., 1:] == grid[..., :-1]
        five = same[..., :-3] & same[..., 1:-2] & same[..., 2:-1] & same[..., 3:]  # 5 in a row
        starts = five.copy()
        starts[..., 1:] &= ~five[..., :-1]
        total += five.sum(axis=(-1, -2)) + 2 * starts.sum(axis=(-1, -2))
        padded = np.pad(grid, [(0, 0)] * (grid.ndim - 1) + [(4, 4)]).astype(np.int16)
        windows = np.zeros(grid.shape[:-1] + (width - 2,), dtype=np.int16)  # 11 modules each, as a number
        for t in range(11):
            windows = (windows << 1) | padded[..., t:t + width - 2]
        total += 40 * ((windows == _FINDER_LEFT) | (windows == _FINDER_RIGHT)).sum(axis=(-1, -2))
    block = (symbols[..., :-1, :-1] == symbols[..., 1:, :-1]) & (symbols[..., :-1, :-1] == symbols[..., :-1, 1:]) \
        & (symbols[..., :-1, :-1] == symbols[..., 1:, 1:])
    total += 3 * block.sum(axis=(-1, -2))
    cells = symbols.shape[-1] * symbols.shape[-2]
    dark = symbols.sum(axis=(-1, -2))
    total += 10 * ((np.abs(dark * 20 - cells * 10) + cells - 1) // cells - 1)
    return total


_FINDER_LEFT = 0b10111010000   # 1011101 then 0000
_FINDER_RIGHT = 0b00001011101  # 0000 then 1011101


def _values(texts: list[str], mode: str) -> np.ndarray:
    raw = [t.encode("utf-8") if mode == BYTE else t.encode("ascii") for t in texts]
    lengths = {len(r) for r in raw}
    if len(lengths) != 1:
        raise ValueError("qr_matrices encodes texts of one length at a time (see qr_batches)")
    values = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), lengths.pop())
    if mode == ALNUM:
        values = _ALNUM_VALUE[values]
        if (values == 255).any():
            raise ValueError(f"not alphanumeric (QR): use only {ALPHANUMERIC!r}")
    return values


def qr_matrices(texts: list[str], mode: str = ALNUM, mask: int | None = None) -> np.ndarray:
    """The QR symbols (codes, size, size; True = dark) of texts of one length, level M. `mask`:
    that mask for all (a fixed mask: see encode_values); None: each code's lowest-penalty mask,
    as the standard says (~0.2 ms a code: for hundreds, not hundreds of thousands)."""
    if not texts:
        raise ValueError("no texts to encode")
    return encode_values(_values(texts, mode), mode, mask)


def encode_values(values: np.ndarray, mode: str = ALNUM, mask: int | None = None) -> np.ndarray:
    """qr_matrices of inputs already as numbers (codes, length): alphanumeric values (0-44) or bytes.
    With a fixed `mask` each symbol is one gather of its bits (~2 us a code)."""
    version = version_for(mode, values.shape[1])
    fixed, dark, rows, cols, masks, formats = _shape(version)
    codewords = _codewords(_data_bits(values, mode, version), version)
    size = fixed.shape[0]
    count = values.shape[0]
    bits = np.unpackbits(codewords, axis=1)[:, :len(rows)]
    if mask is not None:
        return _place(bits, version, mask)
    out = np.empty((count, size, size), dtype=bool)
    for start in range(0, count, CHUNK):
        candidates = np.stack([_place(bits[start:start + CHUNK], version, m) for m in range(8)], axis=1)
        best = _penalties(candidates).argmin(axis=1)
        out[start:start + CHUNK] = candidates[np.arange(candidates.shape[0]), best]
    return out


_GATHERS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _place(bits: np.ndarray, version: int, mask: int) -> np.ndarray:
    """Symbols with `mask` from their data bits (codes, n): each module one gather from the bits
    (masked beforehand) or from a light or dark constant."""
    key = (version, mask)
    if key not in _GATHERS:
        fixed, dark, rows, cols, masks, formats = _shape(version)
        size = fixed.shape[0]
        n = len(rows)
        constant = (dark | formats[mask]).ravel()
        source = np.where(constant, n + 1, n).astype(np.intp)
        source[rows * size + cols] = np.arange(n)
        _GATHERS[key] = (source, masks[mask][rows, cols].astype(np.uint8))
    source, flip = _GATHERS[key]
    size = size_of(version)
    extended = np.zeros((bits.shape[0], len(flip) + 2), dtype=np.uint8)
    extended[:, :bits.shape[1]] = bits  # the remainder bits (versions 2-6: 7) stay light
    extended[:, :len(flip)] ^= flip
    extended[:, -1] = 1
    return np.take(extended, source, axis=1).view(bool).reshape(-1, size, size)


def qr_batches(texts: list[str], mode: str = ALNUM, mask: int | None = None) -> list[np.ndarray]:
    """The symbols of texts of any lengths, in their order (a list, since sizes may differ)."""
    lengths = np.array([len(t.encode("utf-8")) for t in texts])
    result: list = [None] * len(texts)
    for length in np.unique(lengths):
        where = np.flatnonzero(lengths == length)
        for index, matrix in zip(where, qr_matrices([texts[i] for i in where], mode, mask), strict=True):
            result[index] = matrix
    return result
