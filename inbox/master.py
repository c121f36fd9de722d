"""Master data, loaded whole at every run and validated before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from errors import MasterDataError
from inbox.readers import read_master_file
from schemas import categories, distributors, listings, pickup_points, pools, products, suppliers
from schemas.distributors import find_upline_cycles
from schemas.validation import ROW, Reference, validate_rows
from transforms.pools import pool_listing_problems
from transforms.staging import missing_columns, parse_columns
from warehouse.connection import Warehouse

MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class Master:
    suppliers: pl.DataFrame
    products: pl.DataFrame
    categories: pl.DataFrame
    pickup_points: pl.DataFrame
    distributors: pl.DataFrame
    listings: pl.DataFrame
    pools: pl.DataFrame = field(default_factory=lambda: empty_master("pools"))  # optional: no pools.csv, no pools

    def tables(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name).drop(ROW, strict=False) for name in self.__dataclass_fields__}


# (file stem, schema module, model, references: column -> (table, its id column))
MASTER_FILES = [
    ("suppliers", suppliers, suppliers.Suppliers, {}),
    ("categories", categories, categories.Categories, {}),
    ("products", products, products.Products,
     {"supplier_id": ("suppliers", "supplier_id"), "category": ("categories", "category")}),
    ("pickup_points", pickup_points, pickup_points.PickupPoints, {}),
    ("distributors", distributors, distributors.Distributors,
     {"upline_id": ("distributors", "distributor_id")}),
    ("pools", pools, pools.Pools, {"sku_id": ("products", "sku_id")}),
    ("listings", listings, listings.Listings,
     {"sku_id": ("products", "sku_id"), "audience_listing_id": ("listings", "listing_id"),
      "pool_id": ("pools", "pool_id")}),
]
OPTIONAL_FILES = {"pools"}  # a data dir without them has none of what they hold


def empty_master(stem: str) -> pl.DataFrame:
    """An optional master file that is absent: its columns, typed, no rows."""
    module = next(m for name, m, *_ in MASTER_FILES if name == stem)
    raw = pl.DataFrame(schema={name: pl.String for name in module.COLUMNS}).with_row_index(ROW).cast({ROW: pl.Int64})
    return parse_columns(raw, module.COLUMNS, "UTC").drop("_parse_error")


def _upline_cycle_problems(frame: pl.DataFrame, path: str) -> list[str]:
    uplines = dict(zip(frame["distributor_id"].to_list(), frame["upline_id"].to_list(), strict=True))
    cycle = find_upline_cycles(uplines)
    rows = frame.filter(pl.col("distributor_id").is_in(sorted(cycle)))
    return [f"{path} row {row[ROW]}: distributor {row['distributor_id']} is their own upline "
            f"(through {row['upline_id']}): upline cycles are not allowed"
            for row in rows.sort(ROW).iter_rows(named=True)]


def stored_master(warehouse: Warehouse) -> Master:
    """The master data the last cutoff run validated and copied into the warehouse (a goods-in run
    works with what its cutoff used, not with files changed since). An optional table a warehouse
    made before it existed does not hold is empty."""
    stored = set(warehouse.frame("SELECT table_name FROM information_schema.tables")["table_name"].to_list())
    return Master(**{name: warehouse.frame(f"SELECT * FROM {name}") for name in Master.__dataclass_fields__
                     if name in stored or name not in OPTIONAL_FILES})


_ID_COLUMNS = [(table, column) for *_, refs in MASTER_FILES for table, column in refs.values()]


def _invalid_rows(typed: pl.DataFrame, valid: pl.DataFrame, id_column: str) -> dict[str, int]:
    """The ids present in a file but only on invalid rows: id -> its first row."""
    bad = typed.filter(pl.col(id_column).is_not_null() & ~pl.col(id_column).is_in(valid[id_column].implode()))
    return {row[id_column]: row[ROW] for row in bad.group_by(id_column).agg(pl.col(ROW).min()).iter_rows(named=True)}


def _cascade(reason: str, refs: dict, invalid: dict[str, dict[str, int]]) -> str:
    """A reference to a row that exists but is invalid says so (the problem is that row, listed too),
    instead of 'is not in'."""
    parts = []
    for part in reason.split("; "):
        for column, (table, _) in refs.items():
            prefix = f"{column} '"
            suffix = f"' is not in {table}.csv"
            if part.startswith(prefix) and part.endswith(suffix):
                value = part[len(prefix):-len(suffix)]
                if value in invalid.get(table, {}):
                    part = (f"{column} '{value}' refers to an invalid row of {table}.csv (row "
                            f"{invalid[table][value]}, see its problem)")
        parts.append(part)
    return "; ".join(parts)


def master_files_changed_at(data_dir: Path) -> list[datetime]:
    """When each master file was last changed (its modification time)."""
    return [datetime.fromtimestamp(p.stat().st_mtime, timezone.utc) for p in (data_dir / "master").glob("*.csv")]


def load_master(data_dir: Path, timezone: str) -> Master:
    """Read and validate the six master files; any problem stops the run with all problems named."""
    loaded: dict[str, pl.DataFrame] = {}
    invalid: dict[str, dict[str, int]] = {}  # table -> id -> the first row of it that is invalid
    problems: list[str] = []
    for stem, module, model, refs in MASTER_FILES:
        path = data_dir / "master" / f"{stem}.csv"
        if stem in OPTIONAL_FILES and not path.exists():
            loaded[stem] = empty_master(stem)
            continue
        raw = read_master_file(path)
        shown = f"master/{stem}.csv"
        lacking = missing_columns(raw, module.COLUMNS)
        if lacking:
            problems.append(f"{shown}: missing required column(s) {', '.join(lacking)}")
            loaded[stem] = pl.DataFrame()
            continue
        typed = parse_columns(raw, module.COLUMNS, timezone)
        references = [
            Reference(column, (typed if table == stem else loaded[table])[id_column], f"{table}.csv")
            for column, (table, id_column) in refs.items()
            if table == stem or loaded[table].height  # a table that failed is reported already
            or (table in OPTIONAL_FILES and id_column in loaded[table].columns)]  # absent: nothing to refer to
        valid, rejected = validate_rows(typed, model, references)
        problems += [f"{shown} row {row[ROW]}: {_cascade(row['reason'], refs, invalid)}"
                     for row in rejected.iter_rows(named=True)]
        if stem in {table for table, _ in (ref for m in MASTER_FILES for ref in m[3].values())}:
            invalid[stem] = _invalid_rows(typed, valid, dict(_ID_COLUMNS)[stem])
        if stem == "distributors":
            problems += _upline_cycle_problems(valid, shown)
        if stem == "listings" and "units" in loaded["pools"].columns:
            problems += [f"master/{file}.csv row {row}: {text}"
                         for file, row, text in pool_listing_problems(valid, loaded["pools"])]
        loaded[stem] = valid
    if problems:
        more = len(problems) - MAX_PROBLEMS_SHOWN
        listed = "\n  ".join(problems[:MAX_PROBLEMS_SHOWN]) + (f"\n  ... and {more} more" if more > 0 else "")
        raise MasterDataError(f"master data in {data_dir / 'master'} is invalid; nothing was written. "
                              f"Fix these and run again:\n  {listed}")
    return Master(**loaded)
