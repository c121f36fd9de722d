import pandera.polars as pa
import polars as pl

STATUSES = ["pending", "complete", "short"]


class SupplierPayables(pa.DataFrameModel):
    """supplier_payables: the goods-in decision of every purchase line of a cutoff (key: calendar,
    cutoff_date, supplier_id, sku_id) and what the platform owes its supplier for it (应付)."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    supplier_id: str
    sku_id: str
    status: str = pa.Field(isin=STATUSES, description="pending: no receipt yet; short: units short; else complete")
    units_allocated: int = pa.Field(ge=0, description="from the purchase line")
    units_purchased: int = pa.Field(ge=0, description="from the purchase line")
    unit_cost_fen: int = pa.Field(ge=0)
    cost_fen: int = pa.Field(ge=0, description="the purchase order's amount for the line")
    receipts: int = pa.Field(ge=0, description="receipts applied")
    units_received: int = pa.Field(ge=0)
    units_damaged: int = pa.Field(ge=0)
    units_good: int = pa.Field(ge=0, description="received - damaged")
    units_short: int = pa.Field(ge=0, description="max(0, allocated - good)")
    units_over: int = pa.Field(ge=0, description="good above purchased: not paid")
    units_payable: int = pa.Field(ge=0, description="min(good, purchased)")
    payable_fen: int = pa.Field(ge=0, description="units_payable x unit_cost_fen")

    class Config:
        strict = True

    @pa.dataframe_check(error="good = received - damaged; short, over and payable follow from good, allocated "
                              "and purchased; a pending line has nothing decided")
    def figures_agree(cls, data) -> pl.LazyFrame:
        good, pending = pl.col("units_good"), pl.col("status") == "pending"
        decided = (
            (good == pl.col("units_received") - pl.col("units_damaged"))
            & (pl.col("units_short") == (pl.col("units_allocated") - good).clip(lower_bound=0))
            & (pl.col("units_over") == (good - pl.col("units_purchased")).clip(lower_bound=0))
            & (pl.col("units_payable") == pl.min_horizontal(good, pl.col("units_purchased")))
            & (pl.col("payable_fen") == pl.col("units_payable") * pl.col("unit_cost_fen"))
            & ((pl.col("status") == "short") == (pl.col("units_short") > 0)))
        nothing = pl.sum_horizontal("units_received", "units_damaged", "units_good", "units_short", "units_over",
                                    "units_payable", "payable_fen", "receipts") == 0
        return data.lazyframe.select(pl.when(pending).then(nothing).otherwise(decided))
