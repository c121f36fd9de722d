"""routes.csv, optional master data: each delivery route's departure time and contact, for the
notice before the goods arrive. Validated whole like the other master files (a problem names the
file and row); without the file, no route has a departure time (the notice then waits for the
goods-in run)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import polars as pl

from errors import MasterDataError
from inbox.readers import read_master_file
from schemas import routes
from schemas.validation import ROW, Reference, validate_rows
from transforms.staging import missing_columns, parse_columns

ROUTES_FILE = "routes.csv"
EMPTY = pl.DataFrame(schema={"route_id": pl.String, "departs_at": pl.Time, "contact_name": pl.String,
                             "contact_phone": pl.String})


def load_routes(data_dir: Path, timezone: str, route_ids: pl.Series | None = None) -> pl.DataFrame:
    """route_id, departs_at (a `datetime.time`), contact_name, contact_phone; empty without the
    file. `route_ids`: the routes of pickup_points.csv (an unknown route is a problem)."""
    path = data_dir / "master" / ROUTES_FILE
    if not path.is_file():
        return EMPTY
    raw = read_master_file(path)
    shown = f"master/{ROUTES_FILE}"
    lacking = missing_columns(raw, routes.COLUMNS)
    if lacking:
        raise MasterDataError(f"{data_dir / 'master' / ROUTES_FILE}: missing required column(s) "
                              f"{', '.join(lacking)}. Fix it and run again.")
    typed = parse_columns(raw, routes.COLUMNS, timezone)
    references = [] if route_ids is None else [Reference("route_id", route_ids, "pickup_points.csv")]
    valid, rejected = validate_rows(typed, routes.Routes, references)
    if rejected.height:
        listed = "\n  ".join(f"{shown} row {row[ROW]}: {row['reason']}" for row in rejected.iter_rows(named=True))
        raise MasterDataError(f"master data in {data_dir / 'master'} is invalid. Fix these and run again:\n  {listed}")
    clocks = [time(int(text[:2]), int(text[3:])) for text in valid["departs_at"].to_list()]
    return valid.drop(ROW).with_columns(pl.Series("departs_at", clocks, dtype=pl.Time))
