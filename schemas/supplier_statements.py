import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from schemas.commission_ledger import WEEK_PATTERN

UTC = {"time_unit": "us", "time_zone": "UTC"}


class SupplierStatements(pa.DataFrameModel):
    """supplier_statements: the lines of each supplier's statement (对账单) of a settled ISO week,
    one per cutoff of the week with a purchase order of theirs. Written with the week's settlement;
    never rewritten."""

    week: str = pa.Field(str_matches=WEEK_PATTERN)
    supplier_id: str
    supplier_name: str = pa.Field(nullable=True, description="from the master data at settlement")
    calendar: str = pa.Field(isin=["nightly", "weekly"])
    cutoff_date: pl.Date
    status: str = pa.Field(isin=["pending", "complete", "short"],
                           description="the goods-in status (pending: nothing received, or no goods-in run yet)")
    po_fen: int = pa.Field(ge=0, description="what the cutoff ordered (purchase_lines.cost_fen)")
    units_purchased: int = pa.Field(ge=0)
    units_received: int = pa.Field(ge=0)
    units_damaged: int = pa.Field(ge=0)
    units_short: int = pa.Field(ge=0)
    units_over: int = pa.Field(ge=0)
    units_payable: int = pa.Field(ge=0)
    payable_fen: int = pa.Field(ge=0)
    statement_file: str = pa.Field(description="relative to the reports dir")
    settled_at: DateTime = pa.Field(dtype_kwargs=UTC)

    class Config:
        strict = True
        unique = ["week", "supplier_id", "calendar", "cutoff_date"]
