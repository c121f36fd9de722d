import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}
STATUSES = ["success", "failed"]


class Runs(pa.DataFrameModel):
    """runs: one row per cutoff (calendar, cutoff_date), its latest attempt, with its figures."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    run_id: str
    started_at: DateTime = pa.Field(dtype_kwargs=UTC)
    ended_at: DateTime = pa.Field(dtype_kwargs=UTC)
    status: str = pa.Field(isin=STATUSES)
    message: str = pa.Field(description="why it failed; empty on success")
    attempts: int = pa.Field(ge=1)
    listings_closed: int = pa.Field(nullable=True, ge=0)
    lines_eligible: int = pa.Field(nullable=True, ge=0)
    lines_allocated: int = pa.Field(nullable=True, ge=0)
    lines_cut: int = pa.Field(nullable=True, ge=0)
    lines_rejected: int = pa.Field(nullable=True, ge=0)
    units_allocated: int = pa.Field(nullable=True, ge=0)
    net_fen: int = pa.Field(nullable=True, ge=0)
    purchase_cost_fen: int = pa.Field(nullable=True, ge=0)

    class Config:
        strict = True


class RunLog(pa.DataFrameModel):
    """run_log: every attempt of every cutoff, appended."""

    run_id: str
    calendar: str = pa.Field(isin=["nightly", "weekly"])
    cutoff_date: pl.Date
    started_at: DateTime = pa.Field(dtype_kwargs=UTC)
    ended_at: DateTime = pa.Field(dtype_kwargs=UTC)
    status: str = pa.Field(isin=STATUSES)
    message: str

    class Config:
        strict = True
