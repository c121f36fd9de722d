"""Files written atomically: to a temporary name beside the target, then renamed into place, so a
reader (or a killed run) never sees half a file; and files of a staging folder (`write_staged`),
written straight to their names, as the folder is renamed into place whole."""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import polars as pl


def unique_token() -> str:
    """`<pid>-<8 hex digits>`: unique among the processes writing beside each other."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


@contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write `path` through: `.<name>.<pid>-<token>.tmp`, renamed to `path` when
    the block ends, removed if it fails. Created with mode 0666 minus the umask, as any new file
    (not mkstemp's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{unique_token()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """`data` at `path`, written atomically (`atomic_open`)."""
    with atomic_open(path) as out:
        out.write(data)


def write_staged(path: Path, data: bytes) -> None:
    """`data` at `path`, a file in a staging folder (outputs/run_folder.py new_staging_dir): written
    straight to its name, as nobody reads the folder before it is renamed into place whole (a
    temporary name and a rename per file would buy nothing; ~0.1-0.6 ms a file here, thousands of
    label files a run). Removed if writing fails."""
    try:
        with open(path, "wb") as out:
            out.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


UTF8_BOM = b"\xef\xbb\xbf"


def write_csv(path: Path, frame: pl.DataFrame, *, bom: bool = False) -> None:
    """UTF-8 CSV with a header, written atomically. `bom`: with a byte-order mark, for the files
    people open in Excel (rejects.csv, refunds.csv): without it Excel on Windows reads UTF-8 as the
    local code page and shows Chinese garbled. polars and DuckDB skip it; Python's csv module
    wants encoding="utf-8-sig"."""
    atomic_write_bytes(path, (UTF8_BOM if bom else b"") + frame.write_csv().encode("utf-8"))


def write_parquet(path: Path, frame: pl.DataFrame) -> None:
    """A Parquet file (zstd), written atomically."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    atomic_write_bytes(path, buffer.getvalue())
