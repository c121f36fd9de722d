"""The optional weather file(s) of `inbox/weather/` (schemas/weather.py), read by every forecast
run (not ingested into the warehouse: a forecast reads them as they are now). Files in path order;
a later row for the same date replaces an earlier one. A bad row is left out and reported (file,
row, reason, raw): the forecast goes on without it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from inbox.readers import INPUT_SUFFIXES, UnreadableFile, read_table
from schemas.validation import ROW, validate_rows
from schemas.weather import COLUMNS, Weather
from transforms.staging import missing_columns, parse_columns

NUMBERS = ("precip_mm", "temp_max_c")
REJECT_SCHEMA = {"source_file": pl.String, "row_number": pl.Int64, "reason": pl.String, "raw": pl.String}


@dataclass(frozen=True)
class WeatherInput:
    rows: pl.DataFrame      # date, precip_mm, temp_max_c (one per date)
    rejects: pl.DataFrame   # source_file, row_number, reason, raw
    files: list[str]        # relative to the data dir


def _numbers(typed: pl.DataFrame) -> pl.DataFrame:
    """The numeric columns as floats (`12.5`, `12,5` is not one); what did not parse joins the row's
    parse error."""
    problems = [pl.when(pl.col(c).is_not_null() & pl.col(c).cast(pl.Float64, strict=False).is_null())
                .then(pl.concat_str([pl.lit(f"{c}: '"), pl.col(c), pl.lit("' is not a number")])) for c in NUMBERS]
    joined = pl.concat_str([pl.col("_parse_error"), *problems], separator="; ", ignore_nulls=True)
    return typed.with_columns(pl.when(joined == "").then(None).otherwise(joined).alias("_parse_error"),
                              *[pl.col(c).cast(pl.Float64, strict=False) for c in NUMBERS])


def _raw(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(ROW, pl.struct([c for c in frame.columns if c != ROW]).struct.json_encode().alias("raw"))


def read_weather(data_dir: Path) -> WeatherInput:
    folder = Path(data_dir) / "inbox" / "weather"
    found = folder.rglob("*") if folder.is_dir() else []
    paths = sorted(p for p in found if p.is_file() and not p.name.startswith("."))
    good, bad, names = [], [], []
    for order, path in enumerate(paths):
        relative = path.relative_to(data_dir).as_posix()
        names.append(relative)
        if path.suffix.lower() not in INPUT_SUFFIXES:
            bad.append(pl.DataFrame([{"source_file": relative, "row_number": None, "raw": "",
                                      "reason": f"unknown file type {path.suffix!r} (use .csv, .parquet or .jsonl)"}],
                                    schema=REJECT_SCHEMA))
            continue
        try:
            raw = read_table(path)
        except UnreadableFile as exc:
            bad.append(pl.DataFrame([{"source_file": relative, "row_number": None, "raw": "",
                                      "reason": f"cannot read the file: {exc}"}], schema=REJECT_SCHEMA))
            continue
        lacking = missing_columns(raw, COLUMNS)
        if lacking:
            bad.append(pl.DataFrame([{"source_file": relative, "row_number": None, "raw": ",".join(raw.columns[1:]),
                                      "reason": f"missing required column(s) {', '.join(lacking)}: the whole file "
                                                "is rejected"}], schema=REJECT_SCHEMA))
            continue
        valid, rejected = validate_rows(_numbers(parse_columns(raw, COLUMNS, "UTC")), Weather)
        good.append(valid.with_columns(pl.lit(order).alias("_file")))
        bad.append(rejected.join(_raw(raw), on=ROW, how="left").select(
            pl.lit(relative).alias("source_file"), pl.col(ROW).cast(pl.Int64).alias("row_number"), "reason", "raw"))
    rows = (pl.concat(good).sort("_file", ROW).unique("date", keep="last", maintain_order=True).sort("date")
            .select(*COLUMNS) if good else pl.DataFrame(schema={"date": pl.Date, "precip_mm": pl.Float64,
                                                               "temp_max_c": pl.Float64}))
    rejects = pl.concat(bad, how="vertical_relaxed") if bad else pl.DataFrame(schema=REJECT_SCHEMA)
    return WeatherInput(rows, rejects, names)
