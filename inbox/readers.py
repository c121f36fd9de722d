"""Read an input file (CSV in UTF-8, UTF-8 with BOM or GB18030; Parquet; JSONL) into text columns.

Every column arrives as text, with `_row`: the row number as the file shows it (CSV: the line,
header = 1, so the first data row is 2; JSONL: the line; Parquet: the record, from 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import polars as pl

from errors import UserError
from transforms.rejects import CUT_SHORT
from transforms.staging import ROW_COLUMN

INPUT_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson")


class UnreadableFile(ValueError):
    """A file that is not a readable table (the whole file is rejected)."""


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_csv_bytes(data: bytes) -> bytes:
    """UTF-8 bytes of a CSV that came as UTF-8, UTF-8 with BOM, or GB18030/GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 or GB18030 text (byte {exc.start})") from exc


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text; instants keep their offset (naive ones stay local time)."""
    def text(name: str, dtype: pl.DataType) -> pl.Expr:
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%dT%H:%M:%S%.f%:z" if dtype.time_zone else "%Y-%m-%dT%H:%M:%S%.f"
            return col.dt.to_string(fmt)
        return col.cast(pl.String)
    return frame.select(text(name, dtype).alias(name.strip()) for name, dtype in frame.schema.items())


def read_table(path: Path) -> pl.DataFrame:
    """A file's rows as text columns plus `_row`. Raises UnreadableFile when it is no table."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            data = decode_csv_bytes(path.read_bytes())
            frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
            frame = frame.rename({c: c.strip() for c in frame.columns})
            first_row = 2
        elif suffix == ".parquet":
            frame = _as_text(pl.read_parquet(path))
            first_row = 1
        elif suffix in (".jsonl", ".ndjson"):
            frame = _as_text(pl.read_ndjson(path, infer_schema_length=None))
            first_row = 1
        else:
            raise UnreadableFile(f"unknown file type {suffix!r} (use .csv, .parquet or .jsonl)")
    except UnreadableFile:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise UnreadableFile(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    return frame.with_row_index(ROW_COLUMN, offset=first_row).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))


BLOCK = 1 << 16  # what cut_short reads at a time


def _tail(path: Path, size: int) -> bytes:
    """The last `size` bytes of a file (all of it when smaller)."""
    with path.open("rb") as handle:
        handle.seek(max(path.stat().st_size - size, 0))
        return handle.read()


def _csv_rows(path: Path) -> tuple[int, int, int] | None:
    """(rows, fields of the first row, fields of the last row) of a CSV, read as a stream (one
    row at a time: a cut file of a million rows is not held whole); None when it is not UTF-8
    (with or without BOM) or GB18030 text."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as text:
                rows, first, last = 0, 0, 0
                for row in csv.reader(text):
                    rows += 1
                    first, last = (len(row), len(row)) if rows == 1 else (first, len(row))
                return rows, first, last
        except UnicodeDecodeError:
            continue
    return None


def _line_count(path: Path) -> int:
    """The lines `bytes.splitlines` would give of the whole file (a line ends at LF, CR or CR LF),
    counted block by block."""
    breaks, previous, last = 0, b"", b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            breaks += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if previous == b"\r" and block.startswith(b"\n"):  # a CR LF across two blocks
                breaks -= 1
            previous, last = block[-1:], block[-1:]
    return breaks + (1 if last and last not in (b"\n", b"\r") else 0)


def _last_line(path: Path) -> bytes:
    """The file's last line (what `splitlines()[-1]` gives), read from its end backwards."""
    size, step = path.stat().st_size, BLOCK
    while True:
        tail = _tail(path, step)
        body = tail[:-1] if tail.endswith(b"\r") else tail
        cut = max(body.rfind(b"\n"), body.rfind(b"\r"))
        if cut >= 0 or step >= size:
            return body[cut + 1:]
        step *= 4


def cut_short(path: Path) -> tuple[int | None, str | None]:
    """Whether a file arrived cut short (a transfer or an export stopped part way): (the number of
    its last row, cut mid-row, in a CSV; a reason for the whole file: a JSONL whose last line is
    not complete JSON, a Parquet file without its footer). (None, None) for a whole file.

    Reads what it needs, not the file: its last bytes (a whole CSV or JSONL ends with a line
    break, a Parquet file with its footer's magic); only a CSV or JSONL that does not end so is
    read through, as a stream (docs/scale.md)."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    end = _tail(path, 4)
    if suffix == ".csv":
        if not size or end.endswith((b"\n", b"\r")):
            return None, None
        counted = _csv_rows(path)
        if counted is None:
            return None, None
        rows, first, last = counted
        if rows > 1 and 0 < last < first:
            return rows, (f"{CUT_SHORT}: its last row (row {rows}) stops after {last} of "
                          f"{first} columns; export the file again")
        return None, None
    if suffix in (".jsonl", ".ndjson"):
        if size and not end.endswith(b"\n"):
            last_line = _last_line(path)
            try:
                json.loads(last_line)
            except ValueError:
                return None, (f"{CUT_SHORT}: its last line (line {_line_count(path)}) is not complete JSON; "
                              f"export the file again")
        return None, None
    with path.open("rb") as handle:
        started = handle.read(4) == b"PAR1"  # a Parquet file starts and ends with it; other bytes are no Parquet at all
    if suffix == ".parquet" and (not size or started and (size < 12 or end != b"PAR1")):
        return None, (f"{CUT_SHORT}: a Parquet file ends with its footer, and this one "
                      f"{'is empty' if not size else f'stops after {size:,} bytes without it'}; export the "
                      f"file again")
    return None, None


def read_master_file(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise UserError(f"master data file {path} is missing. A data dir needs master/suppliers.csv, "
                        "products.csv, categories.csv, pickup_points.csv, distributors.csv and listings.csv.")
    try:
        return read_table(path)
    except UnreadableFile as exc:
        raise UserError(f"{path}: cannot read it as a table: {exc}") from exc
