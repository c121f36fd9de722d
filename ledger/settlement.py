"""The weekly settlement (结算) of an ISO week: a statement per beneficiary of the ledger entries
dated in it, the `settlements` and `settled_weeks` rows, in one transaction; then the week is
closed. The rules are transforms/settlement.py; docs/commissions.md, "Settlement"."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from errors import UserError
from inbox.master import Master
from ledger.reconcile import reconcile_settlement
from ledger.supplier_statements import build_supplier_statements, stored_supplier_statements, write_supplier_statements
from outputs.files import write_csv, write_json
from outputs.run_folder import new_staging_dir, publish_dir
from schemas.settlements import SettledWeeks, Settlements
from transforms.commissions import ROLES, as_ledger, beneficiary_names
from transforms.settlement import build_statements, statement_lines
from transforms.windows import CalendarError, iso_week_bounds, iso_week_of
from warehouse.connection import Warehouse


def parse_week(week: str) -> tuple[str, date, date]:
    """'2026-w47' -> ('2026-W47', Monday, Sunday); a bad week is a user error."""
    try:
        monday, sunday = iso_week_bounds(week.strip())
    except CalendarError as exc:
        raise UserError(str(exc)) from exc
    return iso_week_of(monday), monday, sunday


def _table_exists(warehouse: Warehouse, name: str) -> bool:
    return bool(warehouse.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))


def _names(warehouse: Warehouse, master: Master | None) -> pl.DataFrame | None:
    """Beneficiary names from the master data given, or the copy the last run left in the warehouse."""
    if master is not None:
        return beneficiary_names(master.pickup_points, master.distributors)
    if _table_exists(warehouse, "pickup_points") and _table_exists(warehouse, "distributors"):
        return beneficiary_names(warehouse.frame("SELECT * FROM pickup_points"),
                                 warehouse.frame("SELECT * FROM distributors"))
    return None


def _settlement_result(week: str, monday: date, sunday: date, statements: pl.DataFrame, settled_at: datetime,
                       statement_dir: Path, already_settled: bool) -> dict:
    totals = {role: int(statements.filter(pl.col("role") == role)["amount_fen"].sum() or 0) for role in ROLES}
    return {
        "week": week, "start": monday.isoformat(), "end": sunday.isoformat(),
        "settled_at": settled_at.isoformat(), "already_settled": already_settled,
        "beneficiaries": statements.height, "entries": int(statements["entries"].sum() or 0),
        "amount_fen": int(statements["amount_fen"].sum() or 0), "totals": totals,
        "statement_dir": str(statement_dir),
        "statements": [{"role": r["role"], "beneficiary_id": r["beneficiary_id"], "name": r["name"],
                        "entries": int(r["entries"]), "amount_fen": int(r["amount_fen"]),
                        "file": Path(r["statement_file"]).name}
                       for r in statements.iter_rows(named=True)],
    }


def _stored_settlement(warehouse: Warehouse, week: str, monday: date, sunday: date, reports_dir: Path) -> dict | None:
    stored = warehouse.frame("SELECT * FROM settled_weeks WHERE week = ?", [week])
    if stored.height == 0:
        return None
    statements = warehouse.frame(
        """SELECT role, beneficiary_id, beneficiary_name AS name, entries, amount_fen, statement_file
           FROM settlements WHERE week = ?""", [week])
    order = {role: rank for rank, role in enumerate(ROLES)}
    statements = statements.sort(pl.col("role").replace_strict(order, return_dtype=pl.Int64), "beneficiary_id")
    result = _settlement_result(week, monday, sunday, statements, stored["settled_at"][0],
                                reports_dir / stored["statement_dir"][0], already_settled=True)
    return _with_suppliers(result, stored_supplier_statements(warehouse, week))


def _with_suppliers(result: dict, suppliers: list[dict]) -> dict:
    """The suppliers' statements (对账单) and the week's total payable (ledger/supplier_statements.py)."""
    return {**result, "suppliers": suppliers, "payable_fen": sum(int(s["payable_fen"]) for s in suppliers)}


def settle_week(warehouse: Warehouse, week: str, reports_dir: Path, master: Master | None = None, *,
                now: datetime | None = None, force: bool = False, timezone_name: str = "Asia/Shanghai") -> dict:
    """Settle an ISO week: a statement per beneficiary of the entries dated in it, under
    `<reports_dir>/settlements/<week>/` (`<role>-<beneficiary_id>.csv` and `statement.json`), and the
    `settlements` and `settled_weeks` rows, in one transaction. The week is then closed. Settling a
    closed week again returns its settlement and writes nothing. A week that has not ended yet
    (Sunday 24:00, business time) is settled too, with a warning: its later cutoffs then post adjustments."""
    week, monday, sunday = parse_week(week)
    reports_dir = Path(reports_dir)
    stored = _stored_settlement(warehouse, week, monday, sunday, reports_dir)
    if stored is not None:
        return stored
    now = now or datetime.now(timezone.utc)
    week_end = datetime.combine(sunday + timedelta(days=1), time(0, 0), ZoneInfo(timezone_name))
    early = week_end > now and not force
    entries = as_ledger(warehouse.frame("SELECT * FROM commission_ledger WHERE settlement_week = ?", [week]))
    statements = build_statements(entries, week, _names(warehouse, master))
    final = reports_dir / "settlements" / week
    settled_at = now.astimezone(timezone.utc)
    result = _settlement_result(week, monday, sunday, statements, settled_at, final, already_settled=False)
    if early:  # allowed (ops may settle on Sunday evening), but said: later cutoffs go to the next week
        result["warnings"] = [f"week {week} ends at {week_end.isoformat()}: it was settled before it ended, so "
                              "the entries of its later cutoffs are posted as adjustments in the next open week"]
    supplier_rows = build_supplier_statements(warehouse, week, monday, sunday, settled_at)
    staging = new_staging_dir(final)
    try:
        result = _with_suppliers(result, write_supplier_statements(staging, supplier_rows))
        for row in statements.iter_rows(named=True):
            write_csv(staging / Path(row["statement_file"]).name,
                      statement_lines(entries, row["role"], row["beneficiary_id"]))
        write_json(staging / "statement.json", {k: v for k, v in result.items()
                                                if k not in ("already_settled", "statement_dir")})
        with warehouse.transaction():
            rows = statements.rename({"name": "beneficiary_name"}).with_columns(
                pl.lit(week).alias("week"), pl.lit(settled_at).alias("settled_at"))
            Settlements.validate(rows)
            warehouse.insert("settlements", rows)
            summary = pl.DataFrame([{
                "week": week, "week_start": monday, "week_end": sunday, "beneficiaries": result["beneficiaries"],
                "entries": result["entries"], "amount_fen": result["amount_fen"], "settled_at": settled_at,
                "statement_dir": f"settlements/{week}"}])
            SettledWeeks.validate(summary)
            warehouse.insert("settled_weeks", summary)
            warehouse.insert("supplier_statements", supplier_rows)
            reconcile_settlement(warehouse, week)
            publish_dir(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result
