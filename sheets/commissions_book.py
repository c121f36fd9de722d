"""commissions.xlsx: a cutoff's ledger entries, by beneficiary (role, id, name, entries, amount),
by role and entry type, then the detail while it is something a person reads (at most
DETAIL_ROW_LIMIT entries); every entry, always, in commission_entries.parquet beside the workbook
(a national-scale cutoff posts millions: no one opens a 1.7M-row workbook, and Excel stops at
1,048,576 rows a sheet). Through the house writer (sheets/writer.py): money from integer fen,
every name written as text, written to a temporary name and renamed. The words are
sheets/labels.py's."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Protocol

import polars as pl

from outputs.files import write_parquet
from schemas.commission_ledger import ENTRY_TYPES
from sheets.labels import LABELS, labels_for
from sheets.spec import INT, LIST_PRINT_ROWS, MONEY, Column, SheetSpec
from sheets.writer import write_workbook
from transforms.commissions import ROLES, as_ledger, beneficiary_names, total_by_beneficiary

DETAIL_ROW_LIMIT = 100_000  # entries shown in the workbook's detail sheet; past it, only in the Parquet file
DETAIL_PRINT_ROWS = LIST_PRINT_ROWS  # entries of the detail sheet that print (its print area): it is for looking up
ENTRIES_FILE = "commission_entries.parquet"


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
            .otherwise(pl.format("{}({})", kind, adjusted)).alias("type_label"))
    if "entry_date" in frame.columns:
        labelled = labelled.with_columns(pl.col("entry_date").cast(pl.String).alias("entry_date_text"))
    return labelled


def detail_entries(entries: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """The ledger rows with the beneficiary's name, in role order, then beneficiary, date, order,
    line and entry id: the detail sheet's rows and the Parquet file's."""
    return (entries.join(names.unique(["role", "beneficiary_id"]), on=["role", "beneficiary_id"], how="left")
            .with_columns(pl.col("role").replace_strict({r: i for i, r in enumerate(ROLES)}, default=9,
                                                        return_dtype=pl.Int64).alias("_rank"))
            .sort("_rank", "beneficiary_id", "entry_date", "order_id", "line_no", "entry_id").drop("_rank"))


def total_by_role_and_type(entries: pl.DataFrame) -> pl.DataFrame:
    """role, entry_type, adjusted_type, entries, amount_fen: what finance books per kind of entry."""
    return (entries.group_by("role", "entry_type", "adjusted_type")
            .agg(pl.len().cast(pl.Int64).alias("entries"), pl.col("amount_fen").sum().cast(pl.Int64))
            .with_columns(pl.col("role").replace_strict({r: i for i, r in enumerate(ROLES)}, default=9,
                                                        return_dtype=pl.Int64).alias("_rank"),
                          pl.col("entry_type").replace_strict({k: i for i, k in enumerate(ENTRY_TYPES)}, default=9,
                                                              return_dtype=pl.Int64).alias("_kind"))
            .sort("_rank", "_kind", "adjusted_type", nulls_last=True).drop("_rank", "_kind"))


def commission_sheets(entries: pl.DataFrame, names: pl.DataFrame, lang: str = "zh") -> list[SheetSpec]:
    """The sheet specs of commissions.xlsx: totals by beneficiary (with a totals row), by role and
    entry type, then the detail when there are at most DETAIL_ROW_LIMIT entries (else a note on the
    totals sheet points to the Parquet file)."""
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
    in_book = entries.height <= DETAIL_ROW_LIMIT
    notes = () if in_book else (t["commissions_detail_elsewhere"].format(
        entries=f"{entries.height:,}", limit=f"{DETAIL_ROW_LIMIT:,}", file=ENTRIES_FILE),)
    grand = {"entries": int(entries.height), "amount_fen": int(entries["amount_fen"].sum() or 0)}
    sheets = [SheetSpec(title=t["commissions_totals"], columns=total_columns, frame=totals, title_line=title,
                        notes=notes, totals={"role_label": t["commissions_total"], **grand})]
    kinds = _labelled(total_by_role_and_type(entries), lang)
    sheets.append(SheetSpec(
        title=t["commissions_by_type"], title_line=title, frame=kinds,
        columns=(Column("role_label", t["commissions_role"]), Column("type_label", t["commissions_type"], width=12),
                 Column("entries", t["commissions_entries"], INT),
                 Column("amount_fen", t["commissions_amount"], MONEY, width=12)),
        totals={"role_label": t["commissions_total"], **grand}))
    if not in_book:
        return sheets
    detail = _labelled(detail_entries(entries, names), lang)
    detail_columns = (  # the entry id is in commission_entries.parquet: a technical key nobody reads
        Column("role_label", t["commissions_role"]), Column("beneficiary_id", t["commissions_beneficiary"]),
        Column("name", t["commissions_name"]), Column("type_label", t["commissions_type"]),
        Column("order_id", t["commissions_order"]), Column("line_no", t["commissions_line"], INT),
        Column("refund_id", t["commissions_refund"]), Column("base_fen", t["commissions_base"], MONEY, width=12),
        Column("rate_bp", t["commissions_rate"], INT), Column("amount_fen", t["commissions_amount"], MONEY, width=12),
        Column("entry_date_text", t["commissions_dated"], width=11), Column("settlement_week", t["commissions_week"]))
    printed = () if detail.height <= DETAIL_PRINT_ROWS else (t["commissions_detail_printed"].format(
        shown=DETAIL_PRINT_ROWS, entries=f"{detail.height:,}", file=ENTRIES_FILE),)
    sheets.append(SheetSpec(title=t["commissions_detail"], columns=detail_columns, frame=detail, title_line=title,
                            notes=printed, landscape=True, autofilter=True, print_rows=DETAIL_PRINT_ROWS))
    return sheets


def write_commissions_workbook(path: Path, entries: pl.DataFrame, master: MasterNames, lang: str = "zh") -> None:
    """commissions.xlsx of `entries` (a cutoff's ledger rows), beneficiaries named from the master
    data's pickup points and distributors, and every entry in commission_entries.parquet beside it
    (the ledger's columns and the name). A language other than zh or en: zh."""
    lang = lang if lang in LABELS else "zh"
    names = beneficiary_names(master.pickup_points, master.distributors)
    ledger = as_ledger(entries)
    created = datetime.combine(ledger["cutoff_date"].min(), time(0, 0)) if ledger.height else None
    write_workbook(Path(path), commission_sheets(ledger, names, lang),
                   title=labels_for(lang)["commissions_title"].format(run="").rstrip(" ·"), created=created)
    write_parquet(Path(path).with_name(ENTRIES_FILE), detail_entries(ledger, names))
