"""The data dir `cutoff init --from-export` makes, and the to-do list `cutoff map-export` writes
(docs/platform-exports.md). The rules are transforms/export_init.py; this reads the data dir as
it is, writes master files whole (each atomically, rows added after the ones it holds) and copies
the exports into inbox/orders/.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from errors import UserError
from inbox.master import Master, load_master
from inbox.readers import file_hash, read_table
from outputs.files import atomic_open, write_csv
from schemas import categories, distributors, listings, pickup_points, products, suppliers
from schemas.export_map import COLUMNS as MAP_COLUMNS
from schemas.export_map import GROUP_COLUMNS
from schemas.validation import ROW
from transforms.export_init import CATEGORY, SUPPLIER_ID, Existing, InitPlan

MASTER_COLUMNS = {"suppliers": list(suppliers.COLUMNS), "categories": list(categories.COLUMNS),
                  "products": list(products.COLUMNS), "pickup_points": list(pickup_points.COLUMNS),
                  "distributors": list(distributors.COLUMNS), "listings": list(listings.COLUMNS),
                  "export_map": list(MAP_COLUMNS), "export_groups": list(GROUP_COLUMNS)}


def existing_master(data_dir: Path, timezone: str) -> Master | None:
    """The master data of a data dir init made before (validated), None for a new one. A data dir
    with master data of another kind (no export_map.csv) is refused: init would mix into it."""
    master = data_dir / "master"
    if not master.is_dir() or not any(master.glob("*.csv")):
        return None
    if not (master / "export_map.csv").is_file():
        raise UserError(f"{data_dir} holds master data that `cutoff init --from-export` did not make (there is no "
                        f"master/export_map.csv). init builds a data dir of its own; to read exports into this one, "
                        f"map them: `cutoff map-export FILE --data-dir {data_dir}`.")
    return load_master(data_dir, timezone)


def existing_state(master: Master | None) -> Existing:
    if master is None:
        return Existing()
    lookup: dict[str, dict[str, str]] = {"product": {}, "pickup_point": {}}
    for row in master.export_map.iter_rows(named=True):
        lookup[row["field"]][row["text"]] = row["maps_to"]
    last: dict[str, tuple[str, datetime, int]] = {}
    for row in master.listings.sort("closes_at").iter_rows(named=True):
        last[row["sku_id"]] = (row["listing_id"], row["closes_at"], row["unit_price_fen"])
    seqs = master.pickup_points["route_seq"].to_list()
    return Existing(lookup["product"], lookup["pickup_point"], tuple(master.products["sku_id"].to_list()),
                    tuple(master.pickup_points["pickup_point_id"].to_list()), max(seqs, default=0), last)


def _text(value, timezone: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(timezone)).isoformat()
    return str(value)


def _append(data_dir: Path, name: str, rows: list[dict], timezone: str) -> None:
    """master/<name>.csv with `rows` added after the rows it holds (its own extra columns kept)."""
    path = data_dir / "master" / f"{name}.csv"
    columns = MASTER_COLUMNS[name]
    new = pl.DataFrame([{c: _text(row.get(c), timezone) for c in columns} for row in rows],
                       schema={c: pl.String for c in columns}, orient="row")
    held = read_table(path).drop(ROW) if path.is_file() else pl.DataFrame(schema={c: pl.String for c in columns})
    if path.is_file() and not rows:
        return
    write_csv(path, pl.concat([held, new], how="diagonal_relaxed"))


def write_init(data_dir: Path, plan: InitPlan, groups: list[dict], exports: list[Path], timezone: str,
               new_dir: bool) -> list[Path]:
    """Write the plan's rows and copy the exports into inbox/orders/ (an export already there, by
    content, is not copied again). Returns the copies' paths."""
    if new_dir:
        supplier = {"supplier_id": SUPPLIER_ID, "name": "默认供应商（请填写）", "min_order_fen": 0}
        _append(data_dir, "suppliers", [supplier], timezone)
        _append(data_dir, "categories", [{"category": CATEGORY, "leader_bp": 0}], timezone)
        _append(data_dir, "distributors", [], timezone)
    for name, rows in (("products", plan.products), ("pickup_points", plan.pickup_points),
                       ("listings", plan.listings), ("export_map", plan.export_map)):
        _append(data_dir, name, rows, timezone)
    if groups:
        _replace_groups(data_dir, groups, timezone)
    return [_copy_in(data_dir, path) for path in exports]


def _replace_groups(data_dir: Path, groups: list[dict], timezone: str) -> None:
    path = data_dir / "master" / "export_groups.csv"
    placed = {row["group"] for row in groups}
    held = read_table(path).drop(ROW) if path.is_file() else pl.DataFrame(schema={"group": pl.String})
    held = held.filter(~pl.col("group").is_in(list(placed)))
    new = pl.DataFrame([{c: _text(row.get(c), timezone) for c in GROUP_COLUMNS} for row in groups],
                       schema={c: pl.String for c in GROUP_COLUMNS}, orient="row")
    write_csv(path, pl.concat([held, new], how="diagonal_relaxed"))


def _copy_in(data_dir: Path, source: Path) -> Path:
    folder = data_dir / "inbox" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    digest = file_hash(source)
    target, n = folder / source.name, 1
    while target.exists():
        if target.is_file() and file_hash(target) == digest:
            return target
        n += 1
        target = folder / f"{source.stem} ({n}){source.suffix}"
    with source.open("rb") as src, atomic_open(target) as out:
        shutil.copyfileobj(src, out)
    return target


def write_todo(data_dir: Path, held: pl.DataFrame, todo: list[dict]) -> Path:
    """master/export_map.todo.csv: the rows export_map.csv holds, then one per unmapped text (maps_to
    empty, a note saying where it is and what it may be), ready to fill and rename."""
    columns = [*MAP_COLUMNS, "note"]
    rows = [{**row, "note": ""} for row in held.select(list(MAP_COLUMNS)).iter_rows(named=True)] + todo
    path = data_dir / "master" / "export_map.todo.csv"
    write_csv(path, pl.DataFrame(rows, schema={c: pl.String for c in columns}, orient="row"), bom=True)
    return path
