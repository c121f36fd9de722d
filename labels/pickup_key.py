"""The pickup codes' key (transforms/pickup_codes.py): 32 random bytes, made once per data dir
(`<data dir>/pickup-codes.key`, hex, readable by its owner only) the first time a run prints
codes, and read by every later run and by `cutoff scans`. No setting: whoever holds the data dir
holds the key. Keep it with the warehouse (a backup of the data dir has it): a lost key makes the
codes already printed unreadable (`cutoff scans` then calls them forged), and a new one is made
for the next lists. docs/labels.md."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from errors import UserError

KEY_FILE = "pickup-codes.key"
KEY_BYTES = 32


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def read_key(data_dir: Path) -> bytes | None:
    """The data dir's key, or None if it has none yet (UserError: a file there that is no key)."""
    path = key_path(data_dir)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise UserError(f"{path} is not a pickup-code key ({KEY_BYTES} bytes in hex): restore it from a backup, "
                         "or remove it to make a new one (the codes already printed then no longer scan)")
    return key


def pickup_key(data_dir: Path) -> bytes:
    """The data dir's key, made now if it has none (created exclusively: two processes end up
    with the same key)."""
    key = read_key(data_dir)
    if key is not None:
        return key
    path = key_path(data_dir)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key(data_dir) or b""
    except OSError as exc:
        raise UserError(f"cannot create the pickup codes' key {path} ({exc.strerror}): the data dir must be "
                        "writable by the run") from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return read_key(data_dir) or b""
