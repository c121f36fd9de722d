"""Read an input file (CSV in UTF-8, UTF-8 with BOM or GB18030; Parquet; JSONL) into text columns.

Every column arrives as text, with `_row`: the row number as the file shows it (CSV: the line,
header = 1, so the first data row is 2; JSONL: the line; Parquet: the record, from 1).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import polars as pl

from errors import UserError
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


def read_master_file(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise UserError(f"master data file {path} is missing. A data dir needs master/suppliers.csv, "
                        "products.csv, categories.csv, pickup_points.csv, distributors.csv and listings.csv.")
    try:
        return read_table(path)
    except UnreadableFile as exc:
        raise UserError(f"{path}: cannot read it as a table: {exc}") from exc
