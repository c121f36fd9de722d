"""commissions.xlsx: a cutoff's ledger entries, by beneficiary (role, id, name, entries, amount),
then the detail (split over sheets of ROW_LIMIT rows past Excel's limit), through the house writer
(sheets/writer.py): money from integer fen, every name written as text, written to a temporary
name and renamed. The words are sheets/labels.py's."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Protocol

import polars as pl

from schemas.commission_ledger import ENTRY_TYPES
from sheets.labels import LABELS, labels_for
from sheets.spec import INT, MONEY, Column, SheetSpec
from sheets.writer import write_workbook
from transforms.commissions import ROLES, as_ledger, beneficiary_names, total_by_beneficiary

ROW_LIMIT = 1_000_000  # rows per detail sheet (Excel holds 1,048,576)


class MasterNames(Protocol):
    """The master frames that name the beneficiaries (inbox/master.py Master has them)."""

    pickup_points: pl.DataFrame
    distributors: pl.DataFrame


def _labelled(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Role and entry-type words of `lang`, and dates as text, for the sheets."""
    t = labels_for(lang)
    roles = {role: t[f"role_{role}"] for role in ROLES}
    types = {kind: t[f"entry_{kind}"] for kind in ENTRY_TYPES}
    labelled = frame.with_columns(pl.col("role").replace_strict(roles, default=pl.col("role")).alias("role_label"))
    if "entry_type" in frame.columns:
        kind = pl.col("entry_type").replace_strict(types, default=pl.col("entry_type"))
        adjusted = pl.col("adjusted_type").replace_strict(types, default=pl.col("adjusted_type"))
        labelled = labelled.with_columns(
            pl.when(pl.col("adjusted_type").is_null()).then(kind)
            .otherwise(pl.format("{}({})", kind, adjusted)).alias("type_label"),
            pl.col("entry_date").cast(pl.String).alias("entry_date_text"))
    return labelled


def commission_sheets(entries: pl.DataFrame, names: pl.DataFrame, lang: str = "zh") -> list[SheetSpec]:
    """The sheet specs of commissions.xlsx: totals by beneficiary (with a totals row), then the
    detail (split over sheets of ROW_LIMIT rows past Excel's limit)."""
    t = labels_for(lang)
    run = ""
    if entries.height:
        first = entries.row(0, named=True)
        calendar = t.get(f"commissions_calendar_{first['calendar']}", first["calendar"])
        run = f"{calendar} {first['cutoff_date'].isoformat()}"
    title = t["commissions_title"].format(run=run).rstrip(" ·")
    totals = _labelled(total_by_beneficiary(entries, names), lang)
    total_columns = (Column("role_label", t["commissions_role"]),
                     Column("beneficiary_id", t["commissions_beneficiary"]),
                     Column("name", t["commissions_name"]), Column("entries", t["commissions_entries"], INT),
                     Column("amount_fen", t["commissions_amount"], MONEY, width=12))
    sheets = [SheetSpec(title=t["commissions_totals"], columns=total_columns, frame=totals, title_line=title,
                        totals={"role_label": t["commissions_total"], "entries": int(totals["entries"].sum() or 0),
                                "amount_fen": int(totals["amount_fen"].sum() or 0)})]
    detail = (_labelled(entries.join(names, on=["role", "beneficiary_id"], how="left"), lang)
              .with_columns(pl.col("role").replace_strict({r: i for i, r in enumerate(ROLES)}, default=9,
                                                          return_dtype=pl.Int64).alias("_rank"))
              .sort("_rank", "beneficiary_id", "entry_date", "order_id", "line_no", "entry_id"))
    detail_columns = (
        Column("role_label", t["commissions_role"]), Column("beneficiary_id", t["commissions_beneficiary"]),
        Column("name", t["commissions_name"]), Column("type_label", t["commissions_type"]),
        Column("order_id", t["commissions_order"]), Column("line_no", t["commissions_line"], INT),
        Column("refund_id", t["commissions_refund"]), Column("base_fen", t["commissions_base"], MONEY, width=12),
        Column("rate_bp", t["commissions_rate"], INT), Column("amount_fen", t["commissions_amount"], MONEY, width=12),
        Column("entry_date_text", t["commissions_dated"], width=11), Column("settlement_week", t["commissions_week"]),
        Column("entry_id", t["commissions_entry_id"], max_width=60))
    for part, start in enumerate(range(0, max(detail.height, 1), ROW_LIMIT)):
        name = t["commissions_detail"] if part == 0 else f"{t['commissions_detail']} ({part + 1})"
        sheets.append(SheetSpec(title=name, columns=detail_columns, frame=detail.slice(start, ROW_LIMIT),
                                landscape=True))
    return sheets


def write_commissions_workbook(path: Path, entries: pl.DataFrame, master: MasterNames, lang: str = "zh") -> None:
    """commissions.xlsx of `entries` (a cutoff's ledger rows), beneficiaries named from the master
    data's pickup points and distributors. A language other than zh or en: zh."""
    lang = lang if lang in LABELS else "zh"
    names = beneficiary_names(master.pickup_points, master.distributors)
    created = datetime.combine(entries["cutoff_date"].min(), time(0, 0)) if entries.height else None
    write_workbook(Path(path), commission_sheets(as_ledger(entries), names, lang),
                   title=labels_for(lang)["commissions_title"].format(run="").rstrip(" ·"), created=created)
