"""Every table of the warehouse, in one place: its name, its Pandera model (schemas/, one per table:
the columns, their types and checks) and how it is made. The DDL is generated from the model, so
a column is declared once. docs/architecture.md ("A new table") says how to add one.

| table            | model                            | written by                                  |
| ---------------- | -------------------------------- | ------------------------------------------- |
| ingested_files   | IngestedFiles                    | inbox/ingest.py (the registry)              |
| order_lines      | StoredOrderLines                 | inbox/ingest.py (the latest version wins)   |
| refund_requests  | RefundRequests                   | inbox/ingest.py                             |
| rejects          | Rejects                          | inbox/ingest.py, ledger/posting.py          |
| allocations      | Allocations                      | the cutoff's write stage (its partition)    |
| purchase_lines   | PurchaseLines                    | the cutoff's write stage (its partition)    |
| groups           | Groups                           | the cutoff's write stage (its partition)    |
| runs, run_log    | Runs, RunLog                     | warehouse/queries.py record_run             |
| commission_ledger, refund_decisions | CommissionLedger, RefundDecisions | ledger/posting.py      |
| settlements, settled_weeks | Settlements, SettledWeeks | ledger/settlement.py                        |
| receipt_requests | ReceiptRequests                  | inbox/ingest.py (the receive run's ingest)  |
| receipts, shortages, supplier_payables | AppliedReceipts, Shortages, SupplierPayables | warehouse/goods_in.py |
| receive_runs     | ReceiveRuns                      | warehouse/goods_in.py record_receive_run    |
| supplier_statements | SupplierStatements            | ledger/supplier_statements.py (settlement)  |
| pickups          | StoredPickups                    | inbox/pickups.py (the report run's ingest) |
| emails           | Emails                           | mail/record.py                              |
| suppliers ... listings, pools | Suppliers ... Listings, Pools  | replaced whole every run from master/       |
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from schemas.allocations import Allocations
from schemas.categories import Categories
from schemas.commission_ledger import CommissionLedger
from schemas.distributors import Distributors
from schemas.emails import Emails
from schemas.groups import Groups
from schemas.ingested_files import IngestedFiles
from schemas.listings import Listings
from schemas.orders import StoredOrderLines
from schemas.pickup_points import PickupPoints
from schemas.pickups import StoredPickups
from schemas.pools import Pools
from schemas.products import Products
from schemas.purchase_lines import PurchaseLines
from schemas.receipts import AppliedReceipts, ReceiptRequests
from schemas.receive_runs import ReceiveRuns
from schemas.refund_decisions import RefundDecisions
from schemas.refunds import RefundRequests
from schemas.rejects import Rejects
from schemas.runs import RunLog, Runs
from schemas.settlements import SettledWeeks, Settlements
from schemas.shortages import Shortages
from schemas.supplier_payables import SupplierPayables
from schemas.supplier_statements import SupplierStatements
from schemas.suppliers import Suppliers

SQL_TYPES = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Date: "DATE", pl.Boolean: "BOOLEAN"}
PARTITION = ("calendar", "cutoff_date")  # a run replaces its own rows of a partitioned table


@dataclass(frozen=True)
class Table:
    """A warehouse table. A `partitioned` one holds a row set per run (PARTITION). `added_columns`
    came after the first release: a warehouse made before gets them when it is opened.
    `replaced_whole` tables (the master data) are made from their validated frame at every run,
    not from DDL."""

    name: str
    model: type[pa.DataFrameModel]
    primary_key: str | None = None
    partitioned: bool = False  # a run replaces its own rows (PARTITION) in one transaction
    added_columns: tuple[str, ...] = ()
    replaced_whole: bool = False

    @property
    def columns(self) -> dict[str, str]:
        """column -> SQL type, in the model's order."""
        return {name: sql_type(column.dtype.type) for name, column in self.model.to_schema().columns.items()}

    def ddl(self) -> str:
        if self.replaced_whole:
            return ""
        columns = ", ".join(f"{name} {kind}{' PRIMARY KEY' if name == self.primary_key else ''}"
                            for name, kind in self.columns.items())
        statements = [f"CREATE TABLE IF NOT EXISTS {self.name} ({columns});"]
        statements += [f"ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS {name} {self.columns[name]};"
                       for name in self.added_columns]
        return "\n".join(statements)


def sql_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone != "UTC":
            raise TypeError(f"an instant is stored as UTC (TIMESTAMPTZ), not {dtype}")
        return "TIMESTAMPTZ"
    for kind, sql in SQL_TYPES.items():
        if dtype == kind:
            return sql
    raise TypeError(f"no warehouse type for {dtype}")


TABLES: tuple[Table, ...] = (
    Table("ingested_files", IngestedFiles, primary_key="file_hash"),
    Table("order_lines", StoredOrderLines, added_columns=("building", "room")),
    Table("refund_requests", RefundRequests),
    Table("rejects", Rejects, added_columns=("order_id", "line_no", "file_seq", "rows_rejected", "for_run",
                                             "decided_by")),
    Table("allocations", Allocations, partitioned=True, added_columns=("building", "room", "forfeit_fen")),
    Table("purchase_lines", PurchaseLines, partitioned=True),
    Table("groups", Groups, partitioned=True),
    Table("runs", Runs, partitioned=True),
    Table("run_log", RunLog),
    Table("commission_ledger", CommissionLedger),
    Table("refund_decisions", RefundDecisions),
    Table("settlements", Settlements),
    Table("settled_weeks", SettledWeeks, primary_key="week"),
    Table("emails", Emails),
    Table("receipt_requests", ReceiptRequests, primary_key="receipt_id"),
    Table("receipts", AppliedReceipts, partitioned=True),
    Table("shortages", Shortages, partitioned=True),
    Table("supplier_payables", SupplierPayables, partitioned=True),
    Table("receive_runs", ReceiveRuns, partitioned=True),
    Table("supplier_statements", SupplierStatements),
    Table("pickups", StoredPickups),
    Table("suppliers", Suppliers, replaced_whole=True),
    Table("products", Products, replaced_whole=True),
    Table("categories", Categories, replaced_whole=True),
    Table("pickup_points", PickupPoints, replaced_whole=True),
    Table("distributors", Distributors, replaced_whole=True),
    Table("listings", Listings, replaced_whole=True),
    Table("pools", Pools, replaced_whole=True),
)
BY_NAME = {table.name: table for table in TABLES}
MASTER_TABLES = tuple(table.name for table in TABLES if table.replaced_whole)


def warehouse_ddl() -> str:
    """The DDL that makes (or completes) every table but the master data's."""
    return "\n".join(table.ddl() for table in TABLES if not table.replaced_whole)
