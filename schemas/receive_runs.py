import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}
STATUSES = ["success", "failed"]
FIGURES = ("receipts_applied", "receipts_rejected", "lines_pending", "lines_complete", "lines_short",
           "units_short", "short_refund_fen", "clawback_fen", "payable_fen")


class ReceiveRuns(pa.DataFrameModel):
    """receive_runs: one row per goods-in run of a cutoff (calendar, cutoff_date), its latest
    attempt, with its figures (receiving.json has them all)."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    run_id: str
    started_at: DateTime = pa.Field(dtype_kwargs=UTC)
    ended_at: DateTime = pa.Field(dtype_kwargs=UTC)
    status: str = pa.Field(isin=STATUSES)
    message: str = pa.Field(description="why it failed; empty on success")
    attempts: int = pa.Field(ge=1)
    receipts_applied: int = pa.Field(nullable=True, ge=0)
    receipts_rejected: int = pa.Field(nullable=True, ge=0)
    lines_pending: int = pa.Field(nullable=True, ge=0, description="purchase lines with no receipt yet")
    lines_complete: int = pa.Field(nullable=True, ge=0)
    lines_short: int = pa.Field(nullable=True, ge=0)
    units_short: int = pa.Field(nullable=True, ge=0)
    short_refund_fen: int = pa.Field(nullable=True, ge=0)
    clawback_fen: int = pa.Field(nullable=True, le=0, description="the shortage clawbacks in force (<= 0)")
    payable_fen: int = pa.Field(nullable=True, ge=0)
    basis: str = pa.Field(nullable=True, description="fingerprint of the cutoff's allocations, purchase lines and "
                                                     "ledger rows it decided from (a cutoff rerun compares it)")

    class Config:
        strict = True
