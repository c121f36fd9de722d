import pandera.polars as pa
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}


class Rejects(pa.DataFrameModel):
    """rejects: input rows (or whole files) turned down, with why. `source_file`, `row_number`,
    `reason` and `raw` are the contract's; the rest says which cutoff a reject belongs to."""

    source_file: str = pa.Field(description="relative to the data dir")
    row_number: int = pa.Field(nullable=True, description="as the file shows it; null: the whole file")
    reason: str
    raw: str = pa.Field(nullable=True, description="the row as read, JSON; a whole file: its header")
    kind: str = pa.Field(isin=["orders", "refunds", "receipts", "pickups"])
    file_hash: str = pa.Field(nullable=True)
    listing_id: str = pa.Field(nullable=True)
    created_at: DateTime = pa.Field(nullable=True, dtype_kwargs=UTC)
    ingested_by: str = pa.Field(description="the run that turned it down, e.g. 'nightly 2026-11-21'")
    order_id: str = pa.Field(nullable=True, description="as written in the file")
    line_no: str = pa.Field(nullable=True, description="as written in the file (text: it may not be a number)")
    file_seq: int = pa.Field(nullable=True)
    rows_rejected: int = pa.Field(nullable=True, ge=1, description="a whole file: the rows it held")
    for_run: str = pa.Field(nullable=True, description="a receipt row: the cutoff it is for, e.g. 'nightly "
                                                       "2026-11-21' (null when its calendar or date is unreadable)")
    decided_by: str = pa.Field(nullable=True, description="a receipt turned down by the goods-in run of its cutoff "
                                                          "(no such purchase line): that run, e.g. 'receive nightly "
                                                          "2026-11-21'; its rerun replaces these rows")

    class Config:
        strict = True
