import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}


class RefundDecisions(pa.DataFrameModel):
    """refund_decisions: what the nightly cutoff whose window holds a refund decided about it
    (applied, or rejected with the reason), once per refund_id."""

    refund_id: str = pa.Field(unique=True)
    calendar: str = pa.Field(isin=["nightly", "weekly"])
    cutoff_date: pl.Date
    order_id: str
    line_no: int = pa.Field(ge=1)
    amount_fen: int = pa.Field(gt=0)
    created_at: DateTime = pa.Field(dtype_kwargs=UTC)
    status: str = pa.Field(isin=["applied", "rejected"])
    reason: str = pa.Field(nullable=True, description="why it was rejected")
    source_file: str = pa.Field(nullable=True)
    source_row: int = pa.Field(nullable=True)

    class Config:
        strict = True
