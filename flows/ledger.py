"""The commission ledger adapters: post a cutoff's commissions, write its workbook, settle a week.

The rules live in transforms/commissions.py (accruals, refund checks, clawbacks) and
transforms/settlement.py (adjustments after a closed week, statements). This module reads what
they need from the warehouse, writes what they return, and reconciles: after every posting and
every settlement the tables are read back and compared with the figures computed; a difference
raises LedgerMismatch and the enclosing transaction is rolled back. docs/commissions.md has the
rules chosen where the rulebook is silent.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from errors import UserError
from inbox.master import Master
from outputs.files import write_csv, write_json
from outputs.run_folder import new_staging_dir, publish_dir
from flows.settings import Settings, load_settings
from warehouse.connection import Warehouse, open_warehouse
from schemas.commission_ledger import CommissionLedger
from schemas.settlements import SettledWeeks, Settlements
from transforms.commissions import (LEDGER_COLUMNS, LEDGER_SCHEMA, REFUND_DECISION_SCHEMA, ROLES,
                                    accrue_commissions, beneficiary_names, claw_back_commissions,
                                    clawed_back, commission_totals, decide_refunds, effective_accruals,
                                    empty_ledger, latest_allocations)
from transforms.settlement import (adjust_closed_entries, build_statements, settlement_mismatches,
                                   statement_lines)
from transforms.windows import CalendarError, CutoffWindow, iso_week_bounds, iso_week_of

REFUND_REJECT_COLUMNS = ["source_file", "row_number", "reason", "raw"]


class LedgerMismatch(RuntimeError):
    """The ledger does not reconcile with the figures computed: a bug, never a data error."""


@dataclass
class CommissionPosting:
    entries: pl.DataFrame          # the cutoff's ledger rows after posting (all weeks), LEDGER_COLUMNS
    totals: dict[str, int]         # leader, dist_l1, dist_l2 (accruals, >= 0); clawback (<= 0)
    refund_rejects: pl.DataFrame   # source_file, row_number, reason, raw (+ kind, created_at)
    posted: pl.DataFrame = field(default_factory=pl.DataFrame)            # rows inserted by this call
    refund_decisions: pl.DataFrame = field(default_factory=pl.DataFrame)  # this window's refunds
    adjustment_week: str | None = None  # the week adjustments were dated in, if any


def closed_weeks(warehouse: Warehouse) -> set[str]:
    return set(warehouse.frame("SELECT week FROM settled_weeks")["week"].to_list())


def _ledger(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(LEDGER_COLUMNS).cast(LEDGER_SCHEMA) if frame.height else empty_ledger()


def _partition_rows(warehouse: Warehouse, window: CutoffWindow) -> pl.DataFrame:
    return _ledger(warehouse.frame(
        "SELECT * FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? ORDER BY entry_id",
        [window.calendar, window.cutoff_date]))


# -- refunds ----------------------------------------------------------------------------------------

@dataclass
class RefundContext:
    refunds: pl.DataFrame            # refund_requests rows created in the window
    known_lines: pl.DataFrame        # order_id, line_no
    line_nets: pl.DataFrame          # order_id, line_no, net_fen
    applied_elsewhere: pl.DataFrame  # refunds of these lines applied at other cutoffs
    other_entries: pl.DataFrame      # ledger rows of these lines posted by other cutoffs


def read_refund_context(warehouse: Warehouse, window: CutoffWindow, allocations: pl.DataFrame) -> RefundContext:
    """What deciding the window's refunds needs: their lines as ingested, allocated (this run's
    allocations stand for the stored partition of this cutoff) and refunded or commissioned elsewhere."""
    refunds = warehouse.frame(
        "SELECT * FROM refund_requests WHERE created_at > ? AND created_at <= ? ORDER BY created_at, refund_id",
        [window.start, window.end])
    if refunds.height == 0:
        return RefundContext(refunds, refunds.select("order_id", "line_no"), pl.DataFrame(), pl.DataFrame(),
                             empty_ledger())
    this = [window.calendar, window.cutoff_date]
    lines = refunds.select("order_id", "line_no").unique()
    warehouse.con.register("_refund_lines", lines)
    try:
        known = warehouse.frame(
            "SELECT DISTINCT order_id, line_no FROM order_lines SEMI JOIN _refund_lines USING (order_id, line_no)")
        stored = warehouse.frame(
            """SELECT order_id, line_no, net_fen, calendar, cutoff_date FROM allocations
               SEMI JOIN _refund_lines USING (order_id, line_no)
               WHERE NOT (calendar = ? AND cutoff_date = ?)""", this)
        applied = warehouse.frame(
            """SELECT refund_id, order_id, line_no, amount_fen, created_at FROM refund_decisions
               SEMI JOIN _refund_lines USING (order_id, line_no)
               WHERE status = 'applied' AND NOT (calendar = ? AND cutoff_date = ?)""", this)
        others = warehouse.frame(
            """SELECT * FROM commission_ledger SEMI JOIN _refund_lines USING (order_id, line_no)
               WHERE NOT (calendar = ? AND cutoff_date = ?)""", this)
    finally:
        warehouse.con.unregister("_refund_lines")
    current = (allocations.join(lines, on=["order_id", "line_no"], how="semi")
               .select("order_id", "line_no", "net_fen", pl.lit(window.calendar).alias("calendar"),
                       pl.lit(window.cutoff_date).alias("cutoff_date")))
    rows = pl.concat([stored.cast(current.schema), current]) if stored.height else current
    return RefundContext(refunds, known, latest_allocations(rows), applied, _ledger(others))


def _raw_refund(window: CutoffWindow) -> pl.Expr:
    text = [pl.col(c).cast(pl.String) for c in ("refund_id", "order_id", "line_no", "amount_fen")]
    created = pl.col("created_at").dt.convert_time_zone(window.timezone).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    return pl.struct(*text, pl.col("refund_reason").alias("reason"),
                     created.alias("created_at")).struct.json_encode().alias("raw")


def refund_rejects(decisions: pl.DataFrame, refunds: pl.DataFrame, window: CutoffWindow) -> pl.DataFrame:
    """Rows for the `rejects` table: one per rejected refund, with its file, row and raw row."""
    rejected = decisions.filter(pl.col("status") == "rejected").select("refund_id", "reason")
    source = refunds.select("refund_id", "order_id", "line_no", "amount_fen", "created_at", "source_file",
                            "source_row", pl.col("reason").alias("refund_reason"))
    return (rejected.join(source, on="refund_id", how="inner")
            .select("source_file", pl.col("source_row").alias("row_number"), "reason", _raw_refund(window),
                    pl.lit("refunds").alias("kind"), pl.lit(None, pl.String).alias("file_hash"),
                    pl.lit(None, pl.String).alias("listing_id"), "created_at",
                    pl.lit(window.label).alias("ingested_by"))
            .sort("source_file", "row_number"))


def _replace_refund_decisions(warehouse: Warehouse, window: CutoffWindow, decisions: pl.DataFrame,
                              refunds: pl.DataFrame, rejects: pl.DataFrame) -> None:
    """A refund is decided once: the window's earlier decisions (and the reject rows they wrote)
    give way to this run's."""
    this = [window.calendar, window.cutoff_date]
    ids = decisions["refund_id"].to_list()
    warehouse.execute(
        """DELETE FROM rejects r USING refund_decisions d
           WHERE r.kind = 'refunds' AND d.status = 'rejected' AND r.source_file = d.source_file
             AND r.row_number = d.source_row AND r.reason = d.reason
             AND ((d.calendar = ? AND d.cutoff_date = ?) OR d.refund_id IN (SELECT unnest(?::VARCHAR[])))""",
        [*this, ids])
    warehouse.execute(
        """DELETE FROM refund_decisions
           WHERE (calendar = ? AND cutoff_date = ?) OR refund_id IN (SELECT unnest(?::VARCHAR[]))""", [*this, ids])
    if decisions.height:
        warehouse.insert("refund_decisions", decisions.join(
            refunds.select("refund_id", "source_file", "source_row"), on="refund_id", how="left")
            .with_columns(pl.lit(window.calendar).alias("calendar"), pl.lit(window.cutoff_date).alias("cutoff_date")))
    warehouse.insert("rejects", rejects)


def compute_clawbacks(context: RefundContext, accruals: pl.DataFrame,
                      window: CutoffWindow) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(decisions, clawback entries) of the window's refunds."""
    if context.refunds.height == 0:
        return pl.DataFrame(schema=REFUND_DECISION_SCHEMA), empty_ledger()
    decisions = decide_refunds(context.refunds, context.known_lines, context.line_nets, context.applied_elsewhere)
    applied = decisions.filter(pl.col("status") == "applied")
    basis = pl.concat([accruals.join(applied.select("order_id", "line_no").unique(),
                                     on=["order_id", "line_no"], how="semi"), context.other_entries])
    clawbacks = claw_back_commissions(applied, effective_accruals(basis), clawed_back(context.other_entries), window)
    return decisions, clawbacks


# -- posting ----------------------------------------------------------------------------------------

def post_commissions(warehouse: Warehouse, window: CutoffWindow, allocations: pl.DataFrame,
                     master: Master) -> CommissionPosting:
    """Post a cutoff's commissions (call inside the run's write transaction): its accruals; on the nightly calendar the clawbacks of the refunds
    created in its window (bad refunds to `rejects`, once); then replace its ledger rows, or, where
    they lie in a closed week, post the difference as adjustments in the first open week. Reads
    the ledger back and raises LedgerMismatch unless it reconciles with the figures returned."""
    accruals = accrue_commissions(allocations, master.listings, master.pickup_points, master.categories,
                                  master.distributors, window)
    decisions, clawbacks = pl.DataFrame(schema=REFUND_DECISION_SCHEMA), empty_ledger()
    rejects = pl.DataFrame(schema={c: pl.String for c in REFUND_REJECT_COLUMNS}) \
        .with_columns(pl.col("row_number").cast(pl.Int64))
    if window.calendar == "nightly":  # a refund belongs to the nightly run whose window holds it
        context = read_refund_context(warehouse, window, allocations)
        decisions, clawbacks = compute_clawbacks(context, accruals, window)
        rejects = refund_rejects(decisions, context.refunds, window) if decisions.height else rejects
        _replace_refund_decisions(warehouse, window, decisions, context.refunds, rejects)
    computed = pl.concat([accruals, clawbacks])
    CommissionLedger.validate(computed)
    closed = sorted(closed_weeks(warehouse))
    frozen = _closed_rows(warehouse, window, closed)
    posting = adjust_closed_entries(computed, frozen, closed, window)
    if posting is not computed:
        CommissionLedger.validate(posting)
    warehouse.execute(
        """DELETE FROM commission_ledger WHERE calendar = ? AND cutoff_date = ?
           AND settlement_week NOT IN (SELECT unnest(?::VARCHAR[]))""",
        [window.calendar, window.cutoff_date, closed])
    warehouse.insert("commission_ledger", posting)
    totals = commission_totals(computed)
    reconcile_posting(warehouse, window, computed, totals)
    adjusted = posting.filter(pl.col("entry_type") == "adjustment")
    entries = computed if frozen.height == 0 and adjusted.height == 0 else _partition_rows(warehouse, window)
    return CommissionPosting(entries=entries, totals=totals, refund_rejects=rejects, posted=posting,
                             refund_decisions=decisions,
                             adjustment_week=adjusted["settlement_week"][0] if adjusted.height else None)


def _closed_rows(warehouse: Warehouse, window: CutoffWindow, closed: list[str]) -> pl.DataFrame:
    """The cutoff's ledger rows in closed weeks: they stand, whatever this run computes."""
    if not closed:
        return empty_ledger()
    return _ledger(warehouse.frame(
        """SELECT * FROM commission_ledger WHERE calendar = ? AND cutoff_date = ?
           AND settlement_week IN (SELECT unnest(?::VARCHAR[]))""", [window.calendar, window.cutoff_date, closed]))


RECONCILE_SQL = """
WITH ledger AS (
    SELECT coalesce(adjusted_type, entry_type) AS kind, role, beneficiary_id, order_id, line_no,
           coalesce(refund_id, '') AS refund_id, sum(amount_fen)::BIGINT AS ledger_fen
    FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? GROUP BY ALL),
computed AS (
    SELECT entry_type AS kind, role, beneficiary_id, order_id, line_no, coalesce(refund_id, '') AS refund_id,
           sum(amount_fen)::BIGINT AS computed_fen
    FROM _computed GROUP BY ALL)
SELECT * FROM ledger FULL JOIN computed USING (kind, role, beneficiary_id, order_id, line_no, refund_id)
WHERE ledger_fen IS DISTINCT FROM computed_fen
ORDER BY order_id, line_no, kind, role
LIMIT 10"""


def reconcile_posting(warehouse: Warehouse, window: CutoffWindow, computed: pl.DataFrame,
                      totals: dict[str, int]) -> None:
    """Read the cutoff's ledger rows back: per (type, role, beneficiary, line, refund) they must add
    up to what this run computed (adjustments counting as what they adjust), per role to `totals`,
    and no entry id may repeat. Computed in the warehouse: a million-line cutoff's rows stay there."""
    this = [window.calendar, window.cutoff_date]
    warehouse.con.register("_computed", computed.select(
        "entry_type", "role", "beneficiary_id", "order_id", "line_no", "refund_id", "amount_fen"))
    try:
        differences = warehouse.frame(RECONCILE_SQL, this)
    finally:
        warehouse.con.unregister("_computed")
    by_role = warehouse.frame(
        """SELECT coalesce(adjusted_type, entry_type) AS entry_type, role, NULL::VARCHAR AS adjusted_type,
                  sum(amount_fen)::BIGINT AS amount_fen
           FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? GROUP BY ALL""", this)
    from_ledger = commission_totals(by_role)
    duplicates = warehouse.scalar(
        "SELECT count(*) - count(DISTINCT entry_id) FROM commission_ledger WHERE calendar = ? AND cutoff_date = ?",
        this)
    if differences.height or from_ledger != totals or duplicates:
        shown = "; ".join(f"{r['order_id']}/{r['line_no']} {r['kind']} {r['role']} {r['beneficiary_id']}: "
                          f"computed {r['computed_fen']} fen, ledger {r['ledger_fen']} fen"
                          for r in differences.iter_rows(named=True))
        raise LedgerMismatch(
            f"the commission ledger of the {window.label} cutoff does not reconcile: ledger totals {from_ledger}, "
            f"run figures {totals}, {duplicates} duplicated entry id(s). {shown}".strip())


# -- settlement -------------------------------------------------------------------------------------

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
    return _settlement_result(week, monday, sunday, statements, stored["settled_at"][0],
                              reports_dir / stored["statement_dir"][0], already_settled=True)


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
    entries = _ledger(warehouse.frame("SELECT * FROM commission_ledger WHERE settlement_week = ?", [week]))
    statements = build_statements(entries, week, _names(warehouse, master))
    final = reports_dir / "settlements" / week
    settled_at = now.astimezone(timezone.utc)
    result = _settlement_result(week, monday, sunday, statements, settled_at, final, already_settled=False)
    if early:  # allowed (ops may settle on Sunday evening), but said: later cutoffs go to the next week
        result["warnings"] = [f"week {week} ends at {week_end.isoformat()}: it was settled before it ended, so "
                              "the entries of its later cutoffs are posted as adjustments in the next open week"]
    staging = new_staging_dir(final)
    try:
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
            reconcile_settlement(warehouse, week)
            publish_dir(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def reconcile_settlement(warehouse: Warehouse, week: str) -> None:
    """The week's statements, read back, add up to the ledger's entries of the week, per role."""
    statements = warehouse.frame("SELECT role, entries, amount_fen FROM settlements WHERE week = ?", [week])
    entries = _ledger(warehouse.frame("SELECT * FROM commission_ledger WHERE settlement_week = ?", [week]))
    problems = settlement_mismatches(statements.cast({"entries": pl.Int64, "amount_fen": pl.Int64}), entries, week)
    if problems:
        raise LedgerMismatch(f"the settlement of {week} does not reconcile with the ledger: " + "; ".join(problems))


@task(name="settle week", cache_policy=NO_CACHE)
def settle_task(settings: Settings, week: str, force: bool) -> dict:
    with open_warehouse(settings.warehouse_path) as warehouse:
        return settle_week(warehouse, week, settings.reports_dir, force=force, timezone_name=settings.timezone)


@flow(name="settle", flow_run_name="settle {week}", validate_parameters=True)
def settle_flow(week: str, data_dir: str | None = None, reports_dir: str | None = None, force: bool = False) -> dict:
    """The weekly commission settlement of one ISO week, e.g. 2026-W47."""
    settings = load_settings().with_overrides(
        data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None)
    week, _, _ = parse_week(week)
    if not settings.warehouse_path.is_file():
        raise UserError(f"there is no warehouse at {settings.warehouse_path}: run a cutoff first, or pass "
                        "--data-dir (or set CUTOFF_DATA_DIR) to the data dir whose ledger to settle.")
    return settle_task(settings, week, force)
