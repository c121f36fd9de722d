"""The forecasts already written (reports/forecast/<D>/forecast.parquet, `cutoff forecast`), as other
runs find them: the purchase-order email attaches each supplier's estimate of tomorrow from the
latest one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class StoredForecast:
    made_for: date           # the forecast's date D (made from the cutoffs before it)
    rows: pl.DataFrame       # its rows of the cutoffs from the day asked on (all levels)


def latest_forecast_covering(reports_dir: Path, day: date) -> StoredForecast | None:
    """The latest forecast dated `day` or earlier whose rows cover the nightly cutoff `day`, with
    its rows of `day` and later; None when there is none (or it cannot be read)."""
    folder = Path(reports_dir) / "forecast"
    if not folder.is_dir():
        return None
    dated = []
    for child in folder.iterdir():
        try:
            made = date.fromisoformat(child.name)
        except ValueError:  # staging folders, anything else
            continue
        if made <= day and (child / "forecast.parquet").is_file():
            dated.append((made, child / "forecast.parquet"))
    for made, path in sorted(dated, reverse=True):
        try:
            rows = pl.read_parquet(path).filter(pl.col("cutoff_date") >= day)
        except (OSError, pl.exceptions.PolarsError):
            continue
        if rows.filter(pl.col("cutoff_date") == day).height:
            return StoredForecast(made, rows)
    return None
