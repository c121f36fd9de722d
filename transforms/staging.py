"""Staging: raw text columns in, typed columns out (rename, cast, convert, dedupe).

Every input file arrives as text columns (the flows read CSV, Parquet and JSONL alike into
strings). `parse_columns` casts them to the declared kinds and says, per row, what did not
parse; rules come after, on the typed frames.

Timestamps are ISO 8601. With an offset (`+08:00`, `Z`) they are that instant; without one they
are local time in the business time zone. They are held as UTC instants.
"""

from __future__ import annotations

import polars as pl

from schemas.columns import ColumnSpec

UTC_INSTANT = pl.Datetime("us", "UTC")
ROW_COLUMN = "_row"  # 1-based row number within the source file, set by the reader
_TIMESTAMP = r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
_INTEGER = r"^[+-]?\d+(?:\.0*)?$"


def blank_to_null(column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def parse_integer(text: pl.Expr) -> pl.Expr:
    digits = text.str.replace(r"\.0*$", "")
    return pl.when(text.str.contains(_INTEGER)).then(digits.cast(pl.Int64, strict=False))


def parse_instant(text: pl.Expr, timezone: str) -> pl.Expr:
    """ISO 8601 text -> UTC instant; naive values are local time in `timezone`."""
    parts = text.str.extract_groups(_TIMESTAMP)
    clock = parts.struct.field("2").fill_null("00:00:00")
    clock = pl.when(clock.str.len_chars() == 5).then(clock + ":00").otherwise(clock)
    naive = (parts.struct.field("1") + "T" + clock).str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    offset = parts.struct.field("3")
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    digits = offset.str.replace_all(r"[^0-9]", "")
    minutes = sign * (digits.str.slice(0, 2).cast(pl.Int64, strict=False) * 60
                      + digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0))
    with_offset = (naive - pl.duration(minutes=minutes.fill_null(0))).dt.replace_time_zone("UTC")
    local = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return (pl.when(offset.is_null() | (offset == "Z")).then(
        pl.when(offset == "Z").then(naive.dt.replace_time_zone("UTC")).otherwise(
            local.dt.convert_time_zone("UTC")))
        .otherwise(with_offset.dt.convert_time_zone("UTC")))


def _parse_one(column: str, spec: ColumnSpec, timezone: str) -> tuple[pl.Expr, pl.Expr]:
    text = blank_to_null(column)
    if spec.kind == "int":
        typed = parse_integer(text)
        problem = "is not a whole number"
    elif spec.kind == "ts":
        typed = parse_instant(text, timezone)
        problem = "is not an ISO 8601 timestamp"
    else:
        return text.alias(column), pl.lit(None, dtype=pl.String)
    error = pl.when(text.is_not_null() & typed.is_null()).then(
        pl.concat_str([pl.lit(f"{column}: '"), text, pl.lit(f"' {problem}")]))
    return typed.alias(column), error


def missing_columns(raw: pl.DataFrame, specs: dict[str, ColumnSpec]) -> list[str]:
    """The required columns a file lacks (the file is then rejected whole)."""
    return [name for name, spec in specs.items() if spec.required and name not in raw.columns]


def parse_columns(raw: pl.DataFrame, specs: dict[str, ColumnSpec], timezone: str) -> pl.DataFrame:
    """Cast the raw text columns of `specs` to their kinds; unknown columns are dropped.

    Adds `_parse_error` (null when the row parsed; else what did not, `; `-separated). Absent
    optional columns are added as nulls; defaults fill absent values.
    """
    frame = raw.with_columns(
        pl.lit(None, dtype=pl.String).alias(name) for name in specs if name not in raw.columns)
    typed, errors = [], []
    for name, spec in specs.items():
        expr, error = _parse_one(name, spec, timezone)
        if spec.default is not None:
            expr = expr.fill_null(pl.lit(spec.default))
        typed.append(expr)
        errors.append(error)
    keep = [c for c in (ROW_COLUMN,) if c in frame.columns]
    problems = pl.concat_str(errors, separator="; ", ignore_nulls=True)
    return frame.select(
        *keep, *typed,
        pl.when(problems == "").then(None).otherwise(problems).alias("_parse_error"))


def latest_versions(frame: pl.DataFrame, keys: list[str], order: list[str]) -> pl.DataFrame:
    """The current version of each key: the greatest `order` tuple wins (latest updated_at,
    then the row ingested last)."""
    return (frame.sort([*keys, *order], descending=[False] * len(keys) + [True] * len(order))
            .unique(subset=keys, keep="first", maintain_order=True))
