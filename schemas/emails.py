import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}
STATUSES = ["sent", "revised", "outbox", "failed"]  # what a row records (`unchanged` and `no_address` send nothing)
CHANNELS = ["smtp", "outbox"]


class Emails(pa.DataFrameModel):
    """emails: one row per purchase-order message delivered (or failed), the exactly-once record:
    per (calendar, cutoff_date, supplier_id) the hash of the PO's data and its revision."""

    calendar: str = pa.Field(isin=["nightly", "weekly"])
    cutoff_date: pl.Date
    supplier_id: str
    content_hash: str = pa.Field(description="sha256 of the PO's data (mail/message.py content_hash)")
    revision: int = pa.Field(ge=1)
    status: str = pa.Field(isin=STATUSES)
    recipients: str = pa.Field(description="To and Cc, `; ` between them")
    message_id: str = pa.Field(nullable=True)
    sent_at: DateTime = pa.Field(dtype_kwargs=UTC)
    error: str = pa.Field(nullable=True)
    po_number: str
    channel: str = pa.Field(isin=CHANNELS)

    class Config:
        strict = True
