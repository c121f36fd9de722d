import pandera.polars as pa
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}


class IngestedFiles(pa.DataFrameModel):
    """ingested_files: the registry of inbox files, one row per content (a file is ingested once)."""

    file_hash: str = pa.Field(unique=True, description="sha256 of the file's bytes")
    kind: str = pa.Field(isin=["orders", "refunds", "receipts"])
    path: str = pa.Field(description="relative to the data dir")
    file_seq: int = pa.Field(ge=1, description="the order in which files were ingested")
    rows_read: int = pa.Field(ge=0)
    rows_loaded: int = pa.Field(ge=0)
    rows_rejected: int = pa.Field(ge=0)
    ingested_at: DateTime = pa.Field(dtype_kwargs=UTC)
    ingested_by: str = pa.Field(description="the run that ingested it, e.g. 'nightly 2026-11-21'")

    class Config:
        strict = True
