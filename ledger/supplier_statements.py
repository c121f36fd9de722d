"""The suppliers' statements (对账单) of a weekly settlement (rulebook "Goods-in": "Supplier
payables"): per supplier, one line per cutoff of the week with a purchase order of theirs (PO
amount, units purchased, received, damaged, short, over, payable units and fen, the goods-in
status), and the week's total payable. A cutoff with no goods-in run yet is `pending`, all 0.
Written with the week's settlement (`supplier_statements` rows and
`settlements/<week>/suppliers/<supplier_id>.csv`), never rewritten: a goods-in run after the
settlement changes `supplier_payables`, not a settled statement (docs/goods-in.md)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

from outputs.files import atomic_write_bytes
from schemas.supplier_statements import SupplierStatements
from transforms.goods_in import STATEMENT_COLUMNS, supplier_statement
from warehouse.connection import Warehouse

FIGURES = ("units_received", "units_damaged", "units_good", "units_short", "units_over", "units_payable",
           "payable_fen")


def week_payables(warehouse: Warehouse, monday: date, sunday: date) -> pl.DataFrame:
    """Every purchase line of the week's cutoffs with its goods-in decision (pending, all 0, when
    no goods-in run decided it yet)."""
    figures = ", ".join(f"coalesce(s.{f}, 0)::BIGINT AS {f}" for f in FIGURES)
    return warehouse.frame(
        f"""SELECT p.calendar, p.cutoff_date, p.supplier_id, p.sku_id, p.cost_fen, p.units_purchased,
                   coalesce(s.status, 'pending') AS status, {figures}
            FROM purchase_lines p LEFT JOIN supplier_payables s
              ON s.calendar = p.calendar AND s.cutoff_date = p.cutoff_date AND s.supplier_id = p.supplier_id
             AND s.sku_id = p.sku_id
            WHERE p.cutoff_date BETWEEN ? AND ?
            ORDER BY p.supplier_id, p.cutoff_date, p.calendar, p.sku_id""", [monday, sunday])


def build_supplier_statements(warehouse: Warehouse, week: str, monday: date, sunday: date,
                              settled_at: datetime) -> pl.DataFrame:
    """supplier_statements rows of the week (SupplierStatements), one per supplier and cutoff."""
    payables = week_payables(warehouse, monday, sunday)
    names = warehouse.frame("SELECT supplier_id, name AS supplier_name FROM suppliers") \
        if warehouse.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'suppliers'") \
        else pl.DataFrame(schema={"supplier_id": pl.String, "supplier_name": pl.String})
    parts = [supplier_statement(frame).with_columns(pl.lit(supplier_id).alias("supplier_id"))
             for (supplier_id,), frame in payables.partition_by("supplier_id", as_dict=True,
                                                                maintain_order=True).items()]
    if not parts:
        return pl.DataFrame()
    rows = (pl.concat(parts)
            .join(names, on="supplier_id", how="left")
            .with_columns(pl.lit(week).alias("week"), pl.lit(settled_at).alias("settled_at"),
                          pl.format("settlements/{}/suppliers/{}.csv", pl.lit(week), pl.col("supplier_id"))
                          .alias("statement_file"))
            .select(list(SupplierStatements.to_schema().columns))
            .sort("supplier_id", "cutoff_date", "calendar"))
    SupplierStatements.validate(rows)
    return rows


def write_supplier_statements(folder: Path, rows: pl.DataFrame) -> list[dict]:
    """`suppliers/<supplier_id>.csv` under the settlement's folder (UTF-8 with a BOM, for Excel):
    one line per cutoff and a total line. Returns statement.json's `suppliers`."""
    summary: list[dict] = []
    if rows.height == 0:
        return summary
    for (supplier_id,), frame in sorted(rows.partition_by("supplier_id", as_dict=True).items()):
        lines = frame.sort("cutoff_date", "calendar").select(
            pl.col("cutoff_date").cast(pl.String), *[c for c in STATEMENT_COLUMNS if c != "cutoff_date"])
        total = {c: None for c in lines.columns} | {"calendar": "total"} | {
            c: int(lines[c].sum()) for c in lines.columns if c.startswith(("units_", "po_", "payable_"))}
        out = pl.concat([lines, pl.DataFrame([total], schema=lines.schema)])
        atomic_write_bytes(folder / "suppliers" / f"{supplier_id}.csv", b"\xef\xbb\xbf" + out.write_csv().encode())
        summary.append({"supplier_id": supplier_id, "name": frame["supplier_name"][0], "cutoffs": frame.height,
                        "po_fen": total["po_fen"], "units_short": total["units_short"],
                        "payable_fen": total["payable_fen"], "file": f"suppliers/{supplier_id}.csv"})
    return summary


def stored_supplier_statements(warehouse: Warehouse, week: str) -> list[dict]:
    """statement.json's `suppliers` of a week settled before."""
    rows = warehouse.frame("SELECT * FROM supplier_statements WHERE week = ? ORDER BY supplier_id", [week])
    if rows.height == 0:
        return []
    totals = (rows.group_by("supplier_id", maintain_order=True)
              .agg(pl.col("supplier_name").first().alias("name"), pl.len().alias("cutoffs"),
                   pl.col("po_fen", "units_short", "payable_fen").sum()))
    return [{**{k: (int(v) if isinstance(v, int) else v) for k, v in row.items()},
             "file": f"suppliers/{row['supplier_id']}.csv"} for row in totals.iter_rows(named=True)]
