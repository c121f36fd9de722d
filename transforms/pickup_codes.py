"""Pickup codes (提货码): what the QR code beside an order on the handout list and on its household
label says, so the leader can scan it at the counter (`cutoff scans`, docs/labels.md).

A code is `PK1` and 16 characters of base32 (A-Z, 2-7: QR's alphanumeric mode, so a version 1
symbol of 21 x 21 modules). The 16 characters are 10 bytes: the cutoff (2 bytes: its day since
2000-01-01 times 2, plus 1 for weekly) and a tag of 8 bytes, the keyed BLAKE2b (a MAC) of
`calendar|cutoff date|pickup point|order id` under the data dir's pickup key (created once,
labels/pickup_key.py). So a code:
- shows nothing of the order (the tag is a keyed hash: without the key it says nothing, and
  nobody can make the code of another order from its id);
- cannot be made up: a guess matches one of a cutoff's ~300,000 orders once in ~6 x 10^13 tries;
- is the same whenever it is made (no state: the key and the order decide it), so a rerun and the
  goods-in run's 修订版 print the same codes;
- names its cutoff, so a scan looks up that cutoff's orders only (their tags are computed again).

Pure: the key is an argument.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

PREFIX = "PK1"
TAG_BYTES = 8
PAYLOAD_BYTES = 2 + TAG_BYTES
CODE_LENGTH = len(PREFIX) + PAYLOAD_BYTES * 8 // 5  # 19
EPOCH = date(2000, 1, 1)
CALENDARS = ("nightly", "weekly")
BASE32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CODE = re.compile(rf"{PREFIX}[A-Z2-7]{{{CODE_LENGTH - len(PREFIX)}}}")


def cutoff_field(calendar: str, cutoff_date: date) -> int:
    days = (cutoff_date - EPOCH).days
    if calendar not in CALENDARS or not 0 <= days < 2**15:
        raise ValueError(f"no pickup code for the {calendar} cutoff of {cutoff_date}")
    return days * 2 + CALENDARS.index(calendar)


def code_tag(key: bytes, calendar: str, cutoff_date: date, pickup_point_id: str, order_id: str) -> bytes:
    message = f"{calendar}|{cutoff_date.isoformat()}|{pickup_point_id}|{order_id}".encode()
    return hashlib.blake2b(message, key=key, digest_size=TAG_BYTES).digest()


def code_payloads(key: bytes, calendar: str, cutoff_date: date, orders: pl.DataFrame) -> np.ndarray:
    """The 10 bytes of the code of each row of `orders` (pickup_point_id, order_id), in order:
    (rows, 10) uint8."""
    head = cutoff_field(calendar, cutoff_date).to_bytes(2, "big")
    prefix = f"{calendar}|{cutoff_date.isoformat()}|"
    blake = hashlib.blake2b
    tags = b"".join(head + blake(f"{prefix}{point}|{order}".encode(), key=key, digest_size=TAG_BYTES).digest()
                    for point, order in zip(orders["pickup_point_id"].to_list(), orders["order_id"].to_list(),
                                            strict=True))
    return np.frombuffer(tags, dtype=np.uint8).reshape(orders.height, PAYLOAD_BYTES)


def base32_values(payloads: np.ndarray) -> np.ndarray:
    """Each payload's 16 base32 digits (0-31), 5 bits at a time: (rows, 16) uint8."""
    bits = np.unpackbits(payloads, axis=1).reshape(payloads.shape[0], payloads.shape[1] * 8 // 5, 5)  # 0 rows too
    return np.packbits(np.pad(bits, ((0, 0), (0, 0), (3, 0))), axis=2)[:, :, 0]


def payload_texts(payloads: np.ndarray) -> list[str]:
    """The codes as text (what a scanner reads)."""
    letters = np.frombuffer(BASE32, dtype=np.uint8)[base32_values(payloads)]
    width = CODE_LENGTH - len(PREFIX)
    flat = letters.tobytes().decode("ascii")
    return [PREFIX + flat[i * width:(i + 1) * width] for i in range(payloads.shape[0])]


def pickup_codes(key: bytes, calendar: str, cutoff_date: date, orders: pl.DataFrame) -> pl.Series:
    """The code of each row of `orders` (pickup_point_id, order_id) as text."""
    return pl.Series("pickup_code", payload_texts(code_payloads(key, calendar, cutoff_date, orders)), pl.String)


@dataclass(frozen=True)
class ParsedCode:
    calendar: str
    cutoff_date: date
    tag: bytes


def parse_code(text: str) -> ParsedCode | None:
    """A scanned text as a code (its cutoff and tag), or None if it is no pickup code at all
    (another barcode, a typo). Letters may come in lower case (some scanner apps)."""
    text = text.strip().upper()
    if not _CODE.fullmatch(text):
        return None
    payload = base64.b32decode(text[len(PREFIX):])
    field = int.from_bytes(payload[:2], "big")
    return ParsedCode(CALENDARS[field & 1], EPOCH + timedelta(days=field >> 1), payload[2:])
