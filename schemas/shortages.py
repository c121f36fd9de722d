import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}


class Shortages(pa.DataFrameModel):
    """shortages: the order lines that go without because their supplier delivered short (key:
    calendar, cutoff_date, order_id, line_no), written by the goods-in run of the cutoff. The
    cutoff's `allocations` stay as it decided them; these are recorded beside them."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    order_id: str
    line_no: int = pa.Field(ge=1)
    listing_id: str
    supplier_id: str
    sku_id: str
    pickup_point_id: str
    customer_id: str
    created_at: DateTime = pa.Field(dtype_kwargs=UTC, description="the line's place in the allocation order")
    qty_allocated: int = pa.Field(ge=1, description="what the cutoff allocated the line")
    final_unit_price_fen: int = pa.Field(ge=0)
    net_fen: int = pa.Field(ge=0, description="as the cutoff decided it")
    units_short: int = pa.Field(ge=1, description="units taken back (latest lines first)")
    short_refund_fen: int = pa.Field(ge=0, description="owed back: units_short x final price, capped at what "
                                                       "after-sales refunds left of net_fen")
    reason: str = pa.Field(isin=["short_delivery"])

    class Config:
        strict = True

    @pa.dataframe_check(error="a line gives up at most what it was allocated, and is refunded at most its net")
    def bounded(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("units_short") <= pl.col("qty_allocated"))
            & (pl.col("short_refund_fen") <= pl.col("units_short") * pl.col("final_unit_price_fen"))
            & (pl.col("short_refund_fen") <= pl.col("net_fen")))
