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
_OFFSET = r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)$"  # only after a time of day
_INTEGER = r"^[+-]?\d+(?:\.0*)?$"
_MIDNIGHT = r"[T ]00:00(?::00(?:\.0*)?)?$"  # a date written with a midnight time (a spreadsheet's date cell)


def blank_to_null(column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def parse_integer(text: pl.Expr) -> pl.Expr:
    digits = text.str.replace(r"\.0*$", "")
    return pl.when(text.str.contains(_INTEGER)).then(digits.cast(pl.Int64, strict=False))


def parse_instant(text: pl.Expr, timezone: str) -> pl.Expr:
    """ISO 8601 text -> UTC instant; naive values are local time in `timezone`.

    Plain string operations and one strict strptime (no regex groups): at a million rows a column
    this is the hot path of ingest.
    """
    norm = text.str.replace(" ", "T", literal=True)
    offset = norm.str.extract(_OFFSET, 1)
    base = norm.str.strip_suffix(offset.fill_null(""))
    width = base.str.len_chars()
    padded = (pl.when(width == 10).then(base + "T00:00:00")
              .when(width == 16).then(base + ":00")
              .otherwise(base))
    naive = padded.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    digits = offset.str.replace_all(":", "", literal=True)
    minutes = (digits.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
               + digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0))
    signed = pl.when(digits.str.starts_with("-")).then(-minutes).otherwise(minutes)
    from_offset = (naive - pl.duration(minutes=signed)).dt.replace_time_zone("UTC")
    from_local = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null") \
        .dt.convert_time_zone("UTC")
    return (pl.when(offset.is_null()).then(from_local)
            .when(offset == "Z").then(naive.dt.replace_time_zone("UTC"))
            .otherwise(from_offset))


def parse_date(text: pl.Expr) -> pl.Expr:
    """`2026-11-21`, `2026/11/21` or either with a midnight time (`2026-11-21 00:00:00`) -> a date."""
    day = text.str.replace(_MIDNIGHT, "").str.replace_all("/", "-", literal=True)
    return day.str.to_date("%Y-%m-%d", strict=False)


FAST = {
    # the common spelling, parsed in one vectorised cast; other spellings take the general path
    "int": lambda text: text.cast(pl.Int64, strict=False),
    "ts": lambda text, timezone: text.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC"),
    "date": lambda text: text.str.to_date("%Y-%m-%d", strict=False),
}
PROBLEMS = {"int": "is not a whole number", "ts": "is not an ISO 8601 timestamp",
            "date": "is not a date (write it as YYYY-MM-DD)"}


def _parse_kind(text: pl.Series, kind: str, timezone: str) -> pl.Series:
    """Parse one text column: the fast cast for all rows, the general parser for the rest only."""
    fast = FAST[kind](pl.lit(text), timezone) if kind == "ts" else FAST[kind](pl.lit(text))
    parsed = pl.select(fast.alias(text.name)).to_series()
    retry = (parsed.is_null() & text.is_not_null()).arg_true()
    if retry.len():
        subset = text.gather(retry)
        general = {"int": lambda: parse_integer(pl.lit(subset)), "date": lambda: parse_date(pl.lit(subset)),
                   "ts": lambda: parse_instant(pl.lit(subset), timezone)}[kind]()
        parsed = parsed.scatter(retry, pl.select(general).to_series())
    return parsed


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
    texts = frame.select(blank_to_null(name).alias(name) for name in specs)
    typed = {name: _parse_kind(texts[name], spec.kind, timezone) if spec.kind in FAST else texts[name]
             for name, spec in specs.items()}
    parsed = [name for name, spec in specs.items() if spec.kind in FAST]
    checks = texts.with_columns(typed[name].alias(f"typed_{name}") for name in parsed)
    errors = [
        pl.when(pl.col(name).is_not_null() & pl.col(f"typed_{name}").is_null())
        .then(pl.concat_str([pl.lit(f"{name}: '"), pl.col(name), pl.lit(f"' {PROBLEMS[specs[name].kind]}")]))
        for name in parsed]
    problems = pl.concat_str(errors, separator="; ", ignore_nulls=True) if errors else pl.lit(None, pl.String)
    problems = checks.with_columns(pl.when(problems == "").then(None).otherwise(problems)
                                   .cast(pl.String).alias("_parse_error"))["_parse_error"]
    keep = [frame[ROW_COLUMN]] if ROW_COLUMN in frame.columns else []
    columns = [typed[name].fill_null(spec.default) if spec.default is not None else typed[name]
               for name, spec in specs.items()]
    return pl.DataFrame([*keep, *columns, problems])


def latest_versions(frame: pl.DataFrame, keys: list[str], order: list[str]) -> pl.DataFrame:
    """The current version of each key: the greatest `order` tuple wins (latest updated_at,
    then the row ingested last)."""
    repeated = frame.select(pl.struct(keys).is_duplicated()).to_series()
    if not repeated.any():
        return frame  # one version of each key: nothing to choose (the common case, and cheaper)
    chosen = (frame.filter(repeated)  # only the keys with several versions need sorting
              .sort([*keys, *order], descending=[False] * len(keys) + [True] * len(order))
              .unique(subset=keys, keep="first", maintain_order=True))
    return pl.concat([frame.filter(~repeated), chosen])
