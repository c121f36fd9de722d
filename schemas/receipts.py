import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from schemas.columns import ID_PATTERN, optional, required

UTC = {"time_unit": "us", "time_zone": "UTC"}
CALENDARS = ["nightly", "weekly"]
COLUMNS = {
    "receipt_id": required(), "calendar": required(), "cutoff_date": required("date"),
    "supplier_id": required(), "sku_id": required(), "units_received": required("int"),
    "units_damaged": optional("int", 0), "received_at": required("ts"), "note": optional(),
}
CONTENT = ["calendar", "cutoff_date", "supplier_id", "sku_id", "units_received", "units_damaged", "received_at",
           "note"]  # what a receipt says: the same receipt_id with other content is another receipt
DAMAGED_ABOVE_RECEIVED = "units_damaged is more than units_received: damaged units are counted among the units received"


class Receipts(pa.DataFrameModel):
    """A goods-in record (到货单) of the central warehouse: one delivery of one SKU against one
    run's purchase order, counted in and inspected (品控)."""

    receipt_id: str = pa.Field(str_matches=ID_PATTERN, description="applied once: its key")
    calendar: str = pa.Field(isin=CALENDARS, description="the cutoff run whose purchase order it delivers")
    cutoff_date: pl.Date = pa.Field(description="the cutoff run whose purchase order it delivers")
    supplier_id: str = pa.Field(str_matches=ID_PATTERN)
    sku_id: str = pa.Field(str_matches=ID_PATTERN)
    units_received: int = pa.Field(ge=0, le=10_000_000, description="counted in; 0: the supplier never came")
    units_damaged: int = pa.Field(ge=0, description="rejected at inspection, among the units received")
    received_at: DateTime = pa.Field(dtype_kwargs=UTC)
    note: str = pa.Field(nullable=True)

    class Config:
        strict = True

    @pa.dataframe_check(error=DAMAGED_ABOVE_RECEIVED)
    def damaged_within_received(cls, data) -> pl.LazyFrame:
        received, damaged = pl.col("units_received"), pl.col("units_damaged")
        return data.lazyframe.select((damaged <= received) | (received < 0) | (damaged < 0))  # negatives: own reason


class ReceiptRequests(Receipts):
    """receipt_requests: every valid receipt ingested (one per receipt_id), with where it came
    from. The goods-in run of its cutoff applies it (`receipts`) or turns it down (`rejects`)."""

    source_file: str = pa.Field(description="relative to the data dir")
    source_row: int = pa.Field(ge=1, description="the row as the file shows it")
    ingest_seq: int = pa.Field(ge=0, description="file_seq * SEQ_PER_FILE (schemas/orders.py) + row")


class AppliedReceipts(pa.DataFrameModel):
    """receipts: the goods-in rows applied by the goods-in run of their cutoff (key: receipt_id;
    the run's partition: calendar, cutoff_date). A row of receipt_requests that matched a purchase
    line of its run."""

    calendar: str = pa.Field(isin=CALENDARS, description="partition: the cutoff run it delivers")
    cutoff_date: pl.Date = pa.Field(description="partition: the cutoff run it delivers")
    receipt_id: str = pa.Field(unique=True)
    supplier_id: str
    sku_id: str
    units_received: int = pa.Field(ge=0)
    units_damaged: int = pa.Field(ge=0)
    received_at: DateTime = pa.Field(dtype_kwargs=UTC)
    note: str = pa.Field(nullable=True)
    source_file: str = pa.Field(description="relative to the data dir")
    source_row: int = pa.Field(ge=1, description="the row as the file shows it")

    class Config:
        strict = True

    @pa.dataframe_check(error=DAMAGED_ABOVE_RECEIVED)
    def damaged_within_received(cls, data) -> pl.LazyFrame:
        received, damaged = pl.col("units_received"), pl.col("units_damaged")
        return data.lazyframe.select((damaged <= received) | (received < 0) | (damaged < 0))  # negatives: own reason
