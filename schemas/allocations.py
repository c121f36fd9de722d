import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}

CUT_REASONS = ["after_close", "not_in_audience", "balance_unpaid", "out_of_stock", "group_not_formed",
               "case_not_filled"]


class Allocations(pa.DataFrameModel):
    """allocations: what each eligible line of a run got (key: calendar, cutoff_date, order_id,
    line_no). Checked before it is written."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    order_id: str
    line_no: int = pa.Field(ge=1)
    listing_id: str
    sku_id: str
    supplier_id: str
    category: str = pa.Field(nullable=True)
    pickup_point_id: str
    customer_id: str
    customer_name: str = pa.Field(nullable=True)
    phone_tail: str = pa.Field(nullable=True)
    distributor_id: str = pa.Field(nullable=True)
    created_at: DateTime = pa.Field(dtype_kwargs=UTC)
    qty: int = pa.Field(ge=1)
    qty_allocated: int = pa.Field(ge=0)
    qty_cut: int = pa.Field(ge=0)
    unit_price_fen: int = pa.Field(ge=0)
    final_unit_price_fen: int = pa.Field(ge=0)
    paid_fen: int = pa.Field(ge=0, description="what the line paid: qty x deposit_fen if deposit_paid, else "
                                               "qty x unit_price_fen")
    net_fen: int = pa.Field(ge=0)
    refund_fen: int = pa.Field(ge=0)
    forfeit_fen: int = pa.Field(ge=0, description="a deposit kept (定金不退): qty x deposit_fen of a line cut "
                                                  "balance_unpaid; else 0")
    cut_reason: str = pa.Field(nullable=True, isin=CUT_REASONS)
    building: str = pa.Field(nullable=True, description="door delivery: the customer's building, when known")
    room: str = pa.Field(nullable=True, description="door delivery: the customer's room, when known")

    class Config:
        strict = True

    @pa.dataframe_check(error="nothing is lost: net_fen + refund_fen + forfeit_fen == paid_fen")
    def nothing_lost(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("net_fen") + pl.col("refund_fen") + pl.col("forfeit_fen") == pl.col("paid_fen"))

    @pa.dataframe_check(error="a deposit is forfeited only by a line cut balance_unpaid, which gets nothing")
    def forfeit_only_unpaid(cls, data) -> pl.LazyFrame:
        unpaid = pl.col("cut_reason").eq_missing("balance_unpaid")
        return data.lazyframe.select(
            pl.when(unpaid)
            .then((pl.col("qty_allocated") == 0) & (pl.col("net_fen") == 0) & (pl.col("refund_fen") == 0))
            .otherwise(pl.col("forfeit_fen") == 0))

    @pa.dataframe_check(error="qty_allocated <= qty, and a cut line has a reason")
    def allocation_bounded(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("qty_allocated") <= pl.col("qty"))
            & ((pl.col("qty_allocated") == pl.col("qty")) | pl.col("cut_reason").is_not_null()))
