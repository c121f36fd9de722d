"""The optional master files of platform exports, validated like the others (file, row, problem):
master/export_map.csv (what an export's texts map to) and master/export_groups.csv (where
`cutoff init --from-export --date D` placed a group's orders). docs/platform-exports.md."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from inbox.readers import read_master_file
from schemas.export_map import COLUMNS, FIELDS, GROUP_COLUMNS, ExportGroups, ExportMap
from schemas.validation import ROW, validate_rows
from transforms.staging import missing_columns, parse_columns

EXPORT_MAP = "export_map.csv"
EXPORT_GROUPS = "export_groups.csv"


def empty_export_map() -> pl.DataFrame:
    return pl.DataFrame(schema={"field": pl.String, "text": pl.String, "maps_to": pl.String})


def empty_export_groups() -> pl.DataFrame:
    return pl.DataFrame(schema={"group": pl.String, "placed_from": pl.Datetime("us", "UTC"),
                                "placed_to": pl.Datetime("us", "UTC")})


def _load(path: Path, columns: dict, model, timezone: str) -> tuple[pl.DataFrame | None, list[str]]:
    shown = f"master/{path.name}"
    raw = read_master_file(path)
    lacking = missing_columns(raw, columns)
    if lacking:
        return None, [f"{shown}: missing required column(s) {', '.join(lacking)}"]
    typed = parse_columns(raw, columns, timezone)
    valid, rejected = validate_rows(typed, model)
    return valid, [f"{shown} row {row[ROW]}: {row['reason']}" for row in rejected.iter_rows(named=True)]


def load_export_master(data_dir: Path, timezone: str, products: pl.DataFrame,
                       pickup_points: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(export_map, export_groups, problems); an absent file is an empty table. A text mapped twice,
    or to a SKU or pickup point the master data lacks, is a problem naming its row."""
    export_map, groups, problems = empty_export_map(), empty_export_groups(), []
    path = data_dir / "master" / EXPORT_MAP
    if path.is_file():
        valid, problems = _load(path, COLUMNS, ExportMap, timezone)
        if valid is not None:
            known = {"product": set(products["sku_id"].to_list()) if "sku_id" in products.columns else set(),
                     "pickup_point": set(pickup_points["pickup_point_id"].to_list())
                     if "pickup_point_id" in pickup_points.columns else set()}
            sources = {"product": "products.csv", "pickup_point": "pickup_points.csv"}
            seen: dict[tuple[str, str], int] = {}
            for row in valid.sort(ROW).iter_rows(named=True):
                key = (row["field"], row["text"])
                if key in seen:
                    problems.append(f"master/{EXPORT_MAP} row {row[ROW]}: {row['field']} {row['text']!r} is mapped "
                                    f"already on row {seen[key]}")
                seen.setdefault(key, row[ROW])
                if row["field"] in FIELDS and known[row["field"]] and row["maps_to"] not in known[row["field"]]:
                    problems.append(f"master/{EXPORT_MAP} row {row[ROW]}: maps_to '{row['maps_to']}' is not in "
                                    f"{sources[row['field']]}")
            export_map = valid.drop(ROW)
    path = data_dir / "master" / EXPORT_GROUPS
    if path.is_file():
        valid, more = _load(path, GROUP_COLUMNS, ExportGroups, timezone)
        problems += more
        if valid is not None:
            groups = valid.drop(ROW)
    return export_map, groups, problems
